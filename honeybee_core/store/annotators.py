"""The people who rate and decide (table annotators): roles, password hashes, progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load when a method uses them
    import pandas as pd


class AnnotatorTables(Tables):
    """Annotators and their roles; who has rated how much."""

    def ensure_annotators(self, cur: Cursor, names: list[str], role: str = "reviewer") -> None:
        cur.execute(
            "INSERT INTO annotators (name, role) SELECT DISTINCT unnest(?::VARCHAR[]), ?"
            " ON CONFLICT (name) DO NOTHING",
            [names, role],
        )

    def annotator(self, name: str) -> dict[str, Any] | None:
        rows = self.db.cursor().execute(
            "SELECT name, role, password_hash FROM annotators WHERE name = ?", [name]
        ).fetchall()
        return dict(zip(("name", "role", "password_hash"), rows[0], strict=True)) if rows else None

    def annotators(self) -> pd.DataFrame:
        return self.db.cursor().execute(
            "SELECT name, role, password_hash IS NOT NULL AS has_password, created_at"
            " FROM annotators ORDER BY name"
        ).df()

    def upsert_annotator(
        self, cur: Cursor, name: str, role: str, password_hash: str | None
    ) -> bool:
        """Create the annotator or set its role (and hash, when given); True when created."""
        existed = cur.execute("SELECT count(*) FROM annotators WHERE name = ?", [name]).fetchall()
        cur.execute(
            "INSERT INTO annotators (name, role, password_hash) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET role = excluded.role,"
            " password_hash = coalesce(excluded.password_hash, annotators.password_hash)",
            [name, role, password_hash],
        ).fetchall()
        return existed[0][0] == 0

    def reviewer_progress(self) -> pd.DataFrame:
        """Per annotator: role, rated (skips excluded), skipped, flagged, last activity."""
        return self.db.cursor().execute(
            "SELECT a.name AS annotator, a.role,"
            " count(r.instruction_id) FILTER (WHERE r.verdict IS DISTINCT FROM 'skip') AS rated,"
            " count(r.instruction_id) FILTER (WHERE r.verdict = 'skip') AS skipped,"
            " count(r.instruction_id) FILTER (WHERE r.verdict = 'flag') AS flagged,"
            " max(r.updated_at) AS last_active"
            " FROM annotators a LEFT JOIN expert_ratings r ON r.annotator = a.name"
            " GROUP BY a.name, a.role ORDER BY rated DESC, a.name"
        ).df()
