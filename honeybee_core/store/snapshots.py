"""Snapshots (tables snapshots, snapshot_items): the frozen item sets a run trains on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables, first_row
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load when a method uses them
    import pandas as pd


class SnapshotTables(Tables):
    """Curation candidates and the snapshots made from them."""

    def snapshot_exists(self, snapshot_id: str) -> bool:
        row = self.db.cursor().execute(
            "SELECT count(*) FROM snapshots WHERE id = ?", [snapshot_id]
        ).fetchall()[0]
        return bool(row and row[0])

    def curation_candidates(self, stages: list[int] | None) -> pd.DataFrame:
        """Kept items with their verifier scores (mean over verifiers, newest rubric of each),
        current decision and stage; the curation rule is applied by the caller."""
        return self.db.cursor().execute(
            "WITH latest AS (SELECT * FROM verifier_scores QUALIFY row_number() OVER"
            " (PARTITION BY instruction_id, verifier ORDER BY created_at DESC,"
            " rubric_version DESC) = 1),"
            " mean_scores AS (SELECT instruction_id, avg(accuracy) AS accuracy,"
            " avg(relevance) AS relevance, avg(completeness) AS completeness,"
            " avg(reasonableness) AS reasonableness FROM latest GROUP BY instruction_id)"
            " SELECT i.id, i.stage, m.accuracy, m.relevance, m.completeness, m.reasonableness,"
            " d.decision FROM instructions i"
            " LEFT JOIN mean_scores m ON m.instruction_id = i.id"
            " LEFT JOIN current_decisions d ON d.instruction_id = i.id"
            " WHERE i.duplicate_of IS NULL AND (?::INTEGER[] IS NULL OR list_contains(?, i.stage))"
            " ORDER BY i.id",
            [stages, stages],
        ).df()

    def snapshot_by_sha(self, sha256: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute(
            "SELECT * FROM snapshots WHERE sha256 = ? LIMIT 1", [sha256]).df()
        return first_row(frame)

    def insert_snapshot(self, cur: Cursor, row: dict[str, Any], ids: list[str]) -> None:
        cols = ["id", "name", "rule", "require_approval", "stages", "n_items", "sha256", "path",
                "created_by"]
        cur.execute(
            "INSERT INTO snapshots (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ")",
            [row[c] for c in cols],
        ).fetchall()
        cur.execute(
            "INSERT INTO snapshot_items (snapshot_id, instruction_id)"
            " SELECT ?, unnest(?::VARCHAR[])",
            [row["id"], ids],
        ).fetchall()

    def snapshots(self) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT id, name, rule, require_approval, stages, n_items, sha256, path, created_by,"
            " created_at FROM snapshots ORDER BY created_at DESC"
        ).df()

    def snapshot(self, snapshot_id: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute(
            "SELECT * FROM snapshots WHERE id = ?", [snapshot_id]).df()
        return first_row(frame)

    def items_stage_max(self, snapshot_id: str) -> int | None:
        """The highest stage among a snapshot's items (a run trains that stage)."""
        value = self.db.cursor().execute(
            "SELECT max(i.stage) FROM snapshot_items s JOIN instructions i"
            " ON i.id = s.instruction_id WHERE s.snapshot_id = ?", [snapshot_id]
        ).fetchall()[0][0]
        return int(value) if value is not None else None
