"""Training runs (table training_runs) and the metrics ingested from their folders (table
training_metrics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables, first_row
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd


class TrainingRunTables(Tables):
    """Run rows and their metrics lines."""

    def insert_run(self, row: dict[str, Any]) -> None:
        cols = ["id", "snapshot_id", "stage", "base_model", "init_adapter", "config", "out_dir",
                "status", "pid", "max_steps", "created_by"]
        self.db.cursor().execute(
            "INSERT INTO training_runs (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ")",
            [row.get(c) for c in cols],
        ).fetchall()

    def update_run(self, run_id: str, cur: Cursor | None = None, **fields: Any) -> None:
        allowed = {"status", "pid", "step", "max_steps", "final_metrics", "error", "finished_at",
                   "config"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not training_runs columns: {sorted(unknown)}")
        names = sorted(fields)
        (cur or self.db.cursor()).execute(
            "UPDATE training_runs SET " + ", ".join(f"{n} = ?" for n in names) + " WHERE id = ?",
            [*(fields[n] for n in names), run_id],
        ).fetchall()

    def run(self, run_id: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute(
            "SELECT * FROM training_runs WHERE id = ?", [run_id]).df()
        return first_row(frame)

    def runs(self, limit: int = 50) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT id, stage, snapshot_id, base_model, status, step, max_steps, final_metrics,"
            " error, out_dir, created_by, started_at, finished_at FROM training_runs"
            " ORDER BY started_at DESC LIMIT ?",
            [limit],
        ).df()

    def active_runs(self) -> list[str]:
        return [r[0] for r in self.db.cursor().execute(
            "SELECT id FROM training_runs WHERE status IN ('starting', 'running')"
        ).fetchall()]

    def latest_training_runs(self, limit: int) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT id, snapshot_id, stage, base_model, status, step, max_steps, created_by,"
            " started_at, finished_at FROM training_runs ORDER BY started_at DESC LIMIT ?",
            [limit],
        ).df()

    def run_by_out_dir(self, out_dir: str) -> dict[str, Any] | None:
        return first_row(self.db.cursor().execute(
            "SELECT * FROM training_runs WHERE out_dir = ? ORDER BY started_at DESC LIMIT 1",
            [out_dir]).df())

    def metrics_lines(self, run_id: str) -> int:
        """How many metrics.jsonl lines of this run are already ingested."""
        return int(self.db.cursor().execute(
            "SELECT coalesce(max(line) + 1, 0) FROM training_metrics WHERE run_id = ?", [run_id]
        ).fetchall()[0][0])

    def last_metric_line(self, run_id: str) -> tuple[int, int, float | None] | None:
        """(line, step, wall_s) of the last ingested metrics line, or None."""
        found = self.db.cursor().execute(
            "SELECT line, step, wall_s FROM training_metrics WHERE run_id = ?"
            " ORDER BY line DESC LIMIT 1", [run_id]).fetchall()
        return tuple(found[0]) if found else None

    def insert_metrics(self, cur: Cursor, run_id: str, rows: list[dict[str, Any]]) -> None:
        cols = ["line", "step", "epoch", "loss", "eval_loss", "learning_rate", "tokens_per_s",
                "tokens_seen", "wall_s"]
        cur.executemany(
            "INSERT INTO training_metrics (run_id, " + ", ".join(cols) + ") VALUES (?, "
            + ", ".join("?" for _ in cols) + ") ON CONFLICT DO NOTHING",
            [[run_id, *(row.get(c) for c in cols)] for row in rows],
        )

    def delete_metrics(self, run_id: str) -> None:
        self.db.cursor().execute(
            "DELETE FROM training_metrics WHERE run_id = ?", [run_id]).fetchall()

    def run_metrics(self, run_id: str) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT step, epoch, loss, eval_loss, learning_rate, tokens_per_s, tokens_seen, wall_s"
            " FROM training_metrics WHERE run_id = ? ORDER BY line",
            [run_id],
        ).df()
