"""The people who rate and decide (table annotators): accounts made on demand, who lacks one,
and how far each has rated. Sign-in details and roles are in store/people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from honeybee_core.store.base import Tables
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd


class AnnotatorTables(Tables):
    """Annotators made on demand; who has rated how much."""

    def ensure_annotators(self, cur: Cursor, names: list[str], role: str = "reviewer") -> None:
        cur.execute(
            "INSERT INTO annotators (name, role) SELECT DISTINCT unnest(?::VARCHAR[]), ?"
            " ON CONFLICT (name) DO NOTHING",
            [names, role],
        )

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

    def annotators_missing(self, names: list[str]) -> list[str]:
        """Those of names that have no account, sorted."""
        found = {r[0] for r in self.db.cursor().execute(
            "SELECT name FROM annotators WHERE name IN (SELECT unnest(?::VARCHAR[]))", [names]
        ).fetchall()}
        return sorted(set(names) - found)
