"""The repository: the only module that holds SQL. Parameters are always bound, never formatted in.

Bulk writes take an Arrow table or pandas DataFrame registered as a view (DuckDB scans it in
place), so importing 52,000 records is one INSERT ... SELECT instead of 52,000 round trips.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd

from honeybee_core.db import Database

ITEM_COLUMNS = [
    "id", "stage", "topic", "task_type", "instruction", "input", "output", "source", "generator",
    "prompt_version", "parent_id",
]
SCORE_COLUMNS = ["accuracy", "relevance", "completeness", "reasonableness"]
_view_names = (f"incoming_{n}" for n in itertools.count())


class Repository:
    """Typed reads and writes over one Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- items ----------------------------------------------------------------------------
    def existing_ids(self, ids: list[str]) -> set[str]:
        cur = self.db.cursor()
        rows = cur.execute(
            "SELECT id FROM instructions WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
        return {r[0] for r in rows}

    def insert_items(self, cur: Any, items: Any) -> int:
        """Insert items inside the caller's transaction; existing ids are kept as they are."""
        with _registered(cur, items) as view:
            before = cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0]
            cur.execute(
                "INSERT INTO instructions (id, stage, topic, task_type, instruction, input, output,"
                " source, generator, prompt_version, parent_id) "
                "SELECT id, stage, topic, task_type, instruction, input, output, source, generator,"
                " prompt_version, parent_id FROM " + view + " ON CONFLICT (id) DO NOTHING"
            )
            after = cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0]
        return int(after - before)

    def insert_verifier_scores(self, cur: Any, scores: Any) -> int:
        """Insert verifier scores inside the caller's transaction; a repeat score is ignored."""
        with _registered(cur, scores) as view:
            before = cur.execute("SELECT count(*) FROM verifier_scores").fetchall()[0][0]
            cur.execute(
                "INSERT INTO verifier_scores (instruction_id, verifier, rubric_version, accuracy,"
                " relevance, completeness, reasonableness, rationale) "
                "SELECT instruction_id, verifier, rubric_version, accuracy, relevance,"
                " completeness, reasonableness, rationale FROM " + view
                + " ON CONFLICT DO NOTHING"
            )
            after = cur.execute("SELECT count(*) FROM verifier_scores").fetchall()[0][0]
        return int(after - before)

    def select_items(self, selection: str = "all", snapshot_id: str | None = None) -> pd.DataFrame:
        """Items in import order: all of them, the currently approved ones, or a snapshot's."""
        cur = self.db.cursor()
        cols = ", ".join("i." + c for c in ITEM_COLUMNS)
        if selection == "snapshot":
            return cur.execute(
                "SELECT " + cols + " FROM instructions i JOIN snapshot_items s"
                " ON s.instruction_id = i.id WHERE s.snapshot_id = ? ORDER BY i.created_at, i.id",
                [snapshot_id],
            ).df()
        if selection == "approved":
            return cur.execute(
                "SELECT " + cols + " FROM instructions i JOIN current_decisions d"
                " ON d.instruction_id = i.id WHERE d.decision = 'approve'"
                " ORDER BY i.created_at, i.id"
            ).df()
        return cur.execute(
            "SELECT " + cols + " FROM instructions i ORDER BY i.created_at, i.id"
        ).df()

    def verifier_scores(self) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT instruction_id, verifier, rubric_version, accuracy, relevance, completeness,"
            " reasonableness, rationale, created_at FROM verifier_scores"
            " ORDER BY instruction_id, verifier"
        ).df()

    def snapshot_exists(self, snapshot_id: str) -> bool:
        row = self.db.cursor().execute(
            "SELECT count(*) FROM snapshots WHERE id = ?", [snapshot_id]
        ).fetchall()[0]
        return bool(row and row[0])

    # -- expert ratings --------------------------------------------------------------------
    def ensure_annotators(self, cur: Any, names: list[str], role: str = "reviewer") -> None:
        cur.execute(
            "INSERT INTO annotators (name, role) SELECT DISTINCT unnest(?::VARCHAR[]), ?"
            " ON CONFLICT (name) DO NOTHING",
            [names, role],
        )

    def upsert_ratings(self, cur: Any, ratings: pd.DataFrame) -> tuple[int, int]:
        """Insert or update (item, annotator) ratings; returns (inserted, updated)."""
        cols = ["instruction_id", "annotator", *SCORE_COLUMNS, "verdict", "comment", "blind"]
        with _registered(cur, ratings[cols]) as view:
            existing = cur.execute(
                "SELECT count(*) FROM expert_ratings r JOIN " + view + " v"
                " ON r.instruction_id = v.instruction_id AND r.annotator = v.annotator"
            ).fetchall()[0][0]
            cur.execute(
                "INSERT INTO expert_ratings (instruction_id, annotator, accuracy, relevance,"
                " completeness, reasonableness, verdict, comment, blind) "
                "SELECT instruction_id, annotator, accuracy, relevance, completeness,"
                " reasonableness, verdict, comment, blind FROM " + view
                + " ON CONFLICT (instruction_id, annotator) DO UPDATE SET"
                " accuracy = excluded.accuracy, relevance = excluded.relevance,"
                " completeness = excluded.completeness, reasonableness = excluded.reasonableness,"
                " verdict = excluded.verdict, comment = excluded.comment,"
                " blind = excluded.blind, updated_at = now()::TIMESTAMP"
            ).fetchall()
        return len(ratings) - int(existing), int(existing)

    def expert_ratings(self) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT instruction_id, annotator, accuracy, relevance, completeness, reasonableness,"
            " verdict, comment, blind, created_at, updated_at FROM expert_ratings"
            " ORDER BY instruction_id, annotator"
        ).df()

    # -- decisions -------------------------------------------------------------------------
    def add_decisions(
        self, cur: Any, ids: list[str], decision: str, by: str, reason: str | None,
        rule: str | None = None,
    ) -> int:
        cur.execute(
            "INSERT INTO decisions (instruction_id, decision, decided_by, reason, rule)"
            " SELECT unnest(?::VARCHAR[]), ?, ?, ?, ?",
            [ids, decision, by, reason, rule],
        )
        return len(ids)

    # -- statistics ------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        cur = self.db.cursor()
        row = cur.execute(
            "SELECT (SELECT count(*) FROM instructions),"
            " (SELECT count(DISTINCT instruction_id) FROM verifier_scores),"
            " (SELECT count(DISTINCT instruction_id) FROM expert_ratings),"
            " (SELECT count(*) FROM current_decisions WHERE decision = 'approve'),"
            " (SELECT count(*) FROM current_decisions WHERE decision = 'reject')"
        ).fetchall()[0]
        by_stage = cur.execute(
            "SELECT stage, count(*) FROM instructions GROUP BY stage ORDER BY stage"
        ).fetchall()
        keys = ["instructions", "verifier_scored", "expert_rated", "approved", "rejected"]
        out: dict[str, Any] = {k: int(v) for k, v in zip(keys, row, strict=True)}
        out["by_stage"] = {str(stage): int(n) for stage, n in by_stage}
        return out

    def table_counts(self) -> dict[str, int]:
        """Row count of every table (tests use it to prove a rejected import changed nothing)."""
        cur = self.db.cursor()
        names = [
            r[0] for r in cur.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        ]
        return {
            name: int(cur.execute("SELECT count(*) FROM " + _identifier(name)).fetchall()[0][0])
            for name in names
        }


# DuckDB 2 keeps a result open until it is read to the end, so reads here use fetchall().


@contextlib.contextmanager
def _registered(cur: Any, frame: pd.DataFrame) -> Iterator[str]:
    """Expose a DataFrame to SQL under a fresh internal name for the duration of a block."""
    view = next(_view_names)
    cur.register(view, frame)
    try:
        yield view
    finally:
        # after a failed statement the transaction is aborted; the caller's ROLLBACK cleans up
        with contextlib.suppress(duckdb.TransactionException):
            cur.unregister(view)


def _identifier(name: str) -> str:
    """Quote a table name that came from information_schema (never from a user)."""
    return '"' + name.replace('"', '""') + '"'
