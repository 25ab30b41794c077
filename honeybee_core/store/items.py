"""Items (table instructions) and their verifier scores (table verifier_scores)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.domain import SCORE_COLUMNS
from honeybee_core.store import derived
from honeybee_core.store.base import Tables, first_row, registered
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
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

    def item(self, item_id: str) -> dict[str, Any] | None:
        return first_row(self.db.cursor().execute(
            "SELECT * FROM instructions WHERE id = ?", [item_id]).df())

    def item_verifier_scores(self, item_id: str) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT verifier, rubric_version, accuracy, relevance, completeness, reasonableness,"
            " rationale, created_at FROM verifier_scores WHERE instruction_id = ?"
            " ORDER BY verifier, rubric_version", [item_id]).df()

    def items_by_ids(self, ids: list[str]) -> pd.DataFrame:
        cols = ", ".join(ITEM_COLUMNS)
        return self.db.cursor().execute(
            "SELECT " + cols + " FROM instructions WHERE id IN (SELECT unnest(?::VARCHAR[]))"
            " ORDER BY id",
            [ids],
        ).df()

    def items_by_job_actor(self, actor: str) -> int:
        """How many items jobs started by actor wrote (the demo seeding runs as 'demo')."""
        return int(self.db.cursor().execute(
            "SELECT count(*) FROM instructions"
            " WHERE job_id IN (SELECT id FROM jobs WHERE created_by = ?)", [actor],
        ).fetchall()[0][0])

    def tag_target_dimension(self, cur: Cursor, pairs: list[tuple[str, str]]) -> None:
        """Record which ability each new feedback item was written for (first writer wins)."""
        cur.executemany(
            "UPDATE instructions SET target_dimension = ? WHERE id = ?"
            " AND source = 'feedback' AND target_dimension IS NULL",
            [[dimension, item_id] for item_id, dimension in pairs],
        )

    def insert_generated_rows(self, cur: Cursor, rows: list[dict[str, Any]]) -> int:
        """insert_generated in one statement (a group of a job's items); returns rows added."""
        import pyarrow as pa

        cols = [*ITEM_COLUMNS, "job_id", "duplicate_of"]
        table = pa.Table.from_pydict({c: [row.get(c) for row in rows] for c in cols})
        with registered(cur, table) as view:
            added = cur.execute(
                "INSERT INTO instructions (" + ", ".join(cols) + ") SELECT " + ", ".join(cols)
                + " FROM " + view + " ON CONFLICT (id) DO NOTHING"
            ).fetchall()
        derived.refresh_new_items(cur)
        return int(added[0][0]) if added else 0

    def insert_verifier_score_rows(self, cur: Cursor, scores: list[dict[str, Any]]) -> None:
        """Insert job verifier scores (with raw_response) in one statement; repeats ignored."""
        import pyarrow as pa

        cols = ["instruction_id", "verifier", "rubric_version", *SCORE_COLUMNS, "rationale",
                "raw_response"]
        with registered(cur, pa.Table.from_pylist([{c: s.get(c) for c in cols}
                                                    for s in scores])) as view:
            cur.execute(
                "INSERT INTO verifier_scores (" + ", ".join(cols) + ") SELECT " + ", ".join(cols)
                + " FROM " + view + " ON CONFLICT DO NOTHING"
            ).fetchall()
        derived.refresh_scores(cur, [s["instruction_id"] for s in scores])

    def job_item_counts(self, job_ids: list[str]) -> dict[str, tuple[int, int]]:
        """job id -> (new items, near-duplicates flagged) written by each of these jobs."""
        return {job: (int(new), int(dup)) for job, new, dup in self.db.cursor().execute(
            "SELECT job_id, count(*) FILTER (WHERE duplicate_of IS NULL),"
            " count(*) FILTER (WHERE duplicate_of IS NOT NULL) FROM instructions"
            " WHERE job_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY job_id", [job_ids],
        ).fetchall()}

    def job_item_ids(self, job_id: str) -> list[str]:
        """Ids of the items a job wrote (near-duplicates included), oldest first."""
        return [r[0] for r in self.db.cursor().execute(
            "SELECT id FROM instructions WHERE job_id = ? ORDER BY created_at, id", [job_id]
        ).fetchall()]
