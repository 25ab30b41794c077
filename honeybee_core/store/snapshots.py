"""Snapshots (tables snapshots, snapshot_items): the frozen item sets a run trains on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables, first_row
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd


class SnapshotTables(Tables):
    """Snapshots and the items frozen in them (the selection is in store/selection)."""

    def snapshot_exists(self, snapshot_id: str) -> bool:
        row = self.db.cursor().execute(
            "SELECT count(*) FROM snapshots WHERE id = ?", [snapshot_id]
        ).fetchall()[0]
        return bool(row and row[0])

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

    def snapshot_item_ids(self) -> set[str]:
        """Items any snapshot holds (a held-out set drawn later must avoid them)."""
        return {r[0] for r in self.db.cursor().execute(
            "SELECT DISTINCT instruction_id FROM snapshot_items").fetchall()}
