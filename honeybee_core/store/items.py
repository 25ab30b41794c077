"""Items (table instructions) and their verifier scores (table verifier_scores)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.domain import SCORE_COLUMNS
from honeybee_core.store import derived
from honeybee_core.store.base import Tables, record, registered, small_frame
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load when a method uses them
    import pandas as pd
    import pyarrow as pa

ITEM_COLUMNS = [
    "id", "stage", "topic", "task_type", "instruction", "input", "output", "source", "generator",
    "prompt_version", "parent_id",
]


class ItemTables(Tables):
    """Imports, generated items, what is left to verify, one item and its scores."""

    def existing_ids(self, ids: list[str]) -> set[str]:
        cur = self.db.cursor()
        rows = cur.execute(
            "SELECT id FROM instructions WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
        return {r[0] for r in rows}

    def insert_items(self, cur: Cursor, items: pd.DataFrame | pa.Table) -> int:
        """Insert items inside the caller's transaction; existing ids are kept as they are."""
        with registered(cur, items) as view:
            before = cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0]
            cur.execute(
                "INSERT INTO instructions (id, stage, topic, task_type, instruction, input, output,"
                " source, generator, prompt_version, parent_id) "
                "SELECT id, stage, topic, task_type, instruction, input, output, source, generator,"
                " prompt_version, parent_id FROM " + view + " ON CONFLICT (id) DO NOTHING"
            )
            after = cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0]
        derived.refresh_new_items(cur)
        return int(after - before)

    def insert_verifier_scores(self, cur: Cursor, scores: pd.DataFrame | pa.Table) -> int:
        """Insert verifier scores inside the caller's transaction; a repeat score is ignored."""
        with registered(cur, scores) as view:
            before = cur.execute("SELECT count(*) FROM verifier_scores").fetchall()[0][0]
            cur.execute(
                "INSERT INTO verifier_scores (instruction_id, verifier, rubric_version, accuracy,"
                " relevance, completeness, reasonableness, rationale) "
                "SELECT instruction_id, verifier, rubric_version, accuracy, relevance,"
                " completeness, reasonableness, rationale FROM " + view
                + " ON CONFLICT DO NOTHING"
            )
            after = cur.execute("SELECT count(*) FROM verifier_scores").fetchall()[0][0]
            ids = [r[0] for r in cur.execute(
                "SELECT DISTINCT instruction_id FROM " + view).fetchall()]
        derived.refresh_scores(cur, ids)
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

    def kept_instructions(self) -> list[tuple[str, str, str]]:
        """(id, instruction, input) of every item that is not a near-duplicate, oldest first."""
        return self.db.cursor().execute(
            "SELECT id, instruction, input FROM instructions WHERE duplicate_of IS NULL"
            " ORDER BY created_at, id"
        ).fetchall()

    def insert_generated(self, cur: Cursor, rows: list[dict[str, Any]]) -> int:
        """Insert generated items (with job and near-duplicate flags); existing ids are kept."""
        cols = [*ITEM_COLUMNS, "job_id", "duplicate_of"]
        before = cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0]
        cur.executemany(
            "INSERT INTO instructions (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ") ON CONFLICT (id) DO NOTHING",
            [[row.get(c) for c in cols] for row in rows],
        )
        derived.refresh_new_items(cur)
        return int(cur.execute("SELECT count(*) FROM instructions").fetchall()[0][0] - before)

    def items_to_verify(self, verifier: str, rubric_version: str,
                        limit: int | None = None) -> pd.DataFrame:
        """Items this verifier (with this rubric) has not scored; near-duplicates are skipped."""
        return self.db.cursor().execute(
            "SELECT i.id, i.instruction, i.input, i.output FROM instructions i"
            " WHERE i.duplicate_of IS NULL AND NOT EXISTS (SELECT 1 FROM verifier_scores v"
            " WHERE v.instruction_id = i.id AND v.verifier = ? AND v.rubric_version = ?)"
            " ORDER BY i.created_at, i.id LIMIT ?",
            [verifier, rubric_version, limit if limit is not None else 2**62],
        ).df()

    def count_to_verify(self, verifier: str, rubric_version: str) -> int:
        return int(self.db.cursor().execute(
            "SELECT count(*) FROM instructions i WHERE i.duplicate_of IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM verifier_scores v WHERE v.instruction_id = i.id"
            " AND v.verifier = ? AND v.rubric_version = ?)",
            [verifier, rubric_version],
        ).fetchall()[0][0])

    def insert_verifier_score(self, cur: Cursor, row: dict[str, Any]) -> None:
        cols = ["instruction_id", "verifier", "rubric_version", *SCORE_COLUMNS, "rationale",
                "raw_response"]
        cur.execute(
            "INSERT INTO verifier_scores (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ") ON CONFLICT DO NOTHING",
            [row.get(c) for c in cols],
        ).fetchall()
        derived.refresh_scores(cur, [row["instruction_id"]])

    def item(self, item_id: str) -> dict[str, Any] | None:
        return record(self.db.cursor().execute(
            "SELECT * FROM instructions WHERE id = ?", [item_id]))

    def item_verifier_scores(self, item_id: str) -> pd.DataFrame:
        return small_frame(self.db.cursor().execute(
            "SELECT verifier, rubric_version, accuracy, relevance, completeness, reasonableness,"
            " rationale, created_at FROM verifier_scores WHERE instruction_id = ?"
            " ORDER BY verifier, rubric_version", [item_id]))

    def items_by_ids(self, ids: list[str]) -> pd.DataFrame:
        cols = ", ".join(ITEM_COLUMNS)
        return self.db.cursor().execute(
            "SELECT " + cols + " FROM instructions WHERE id IN (SELECT unnest(?::VARCHAR[]))"
            " ORDER BY id",
            [ids],
        ).df()
