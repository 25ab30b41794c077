"""Background jobs (table jobs): generate, verify, train, evaluate, feedback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables, first_row
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd


class JobTables(Tables):
    """Job rows: created queued, updated as they run, continued when unfinished."""

    def create_job(self, job_id: str, kind: str, params: str, created_by: str | None) -> None:
        self.db.cursor().execute(
            "INSERT INTO jobs (id, kind, params, status, created_by) VALUES (?, ?, ?, 'queued', ?)",
            [job_id, kind, params, created_by],
        ).fetchall()

    def unfinished_job(self, kind: str, params: str) -> str | None:
        """The latest job of this kind with these exact params that did not finish (killed,
        cancelled, failed or partial): running the same job again continues it."""
        rows = self.db.cursor().execute(
            "SELECT id FROM jobs WHERE kind = ? AND params = ? AND status <> 'finished'"
            " ORDER BY created_at DESC LIMIT 1",
            [kind, params],
        ).fetchall()
        return rows[0][0] if rows else None

    def finished_job_count(self, kind: str) -> int:
        return int(self.db.cursor().execute(
            "SELECT count(*) FROM jobs WHERE kind = ? AND status = 'finished'", [kind]
        ).fetchall()[0][0])

    def update_job(self, job_id: str, cur: Cursor | None = None, **fields: Any) -> None:
        """Set job columns (a whitelist) and the heartbeat; inside cur's transaction if given."""
        allowed = {"status", "progress_done", "progress_total", "cost_usd", "batch_ids", "error",
                   "started_at", "finished_at"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not job columns: {sorted(unknown)}")
        names = sorted(fields)
        assignments = ", ".join(f"{name} = ?" for name in names)  # names from the whitelist
        (cur or self.db.cursor()).execute(
            "UPDATE jobs SET " + assignments + ", heartbeat_at = now()::TIMESTAMP WHERE id = ?",
            [*(fields[n] for n in names), job_id],
        ).fetchall()

    def job(self, job_id: str) -> dict[str, Any] | None:
        frame = self.db.cursor().execute("SELECT * FROM jobs WHERE id = ?", [job_id]).df()
        return first_row(frame)

    def jobs(self, limit: int = 20, kind: str | None = None) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT id, kind, status, progress_done, progress_total, cost_usd, error, created_by,"
            " created_at, started_at, finished_at, heartbeat_at FROM jobs"
            " WHERE (? IS NULL OR kind = ?) ORDER BY created_at DESC LIMIT ?",
            [kind, kind, limit],
        ).df()

    def job_params(self, job_ids: list[str]) -> dict[str, str]:
        """job id -> its params JSON (what it was asked to do)."""
        return dict(self.db.cursor().execute(
            "SELECT id, params FROM jobs WHERE id IN (SELECT unnest(?::VARCHAR[]))", [job_ids]
        ).fetchall())
