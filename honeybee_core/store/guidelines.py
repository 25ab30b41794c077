"""The review guideline (table guidelines): one row per saved version, never changed after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd

_GUIDELINE_COLUMNS = ("version", "body", "note", "saved_by", "saved_at")


class GuidelineTables(Tables):
    """Add a version, read the latest or any one, list them all."""

    def _guideline_where(self, cur: Cursor | None, clause: str, args: list[Any]
                         ) -> dict[str, Any] | None:
        # clause is one of the fixed conditions below, never built from input
        found = (cur or self.db.cursor()).execute(
            "SELECT version, body, note, saved_by, saved_at FROM guidelines " + clause, args
        ).fetchall()
        return dict(zip(_GUIDELINE_COLUMNS, found[0], strict=True)) if found else None

    def latest_guideline(self, cur: Cursor | None = None) -> dict[str, Any] | None:
        """The newest version (the one in force), or None when none was saved yet."""
        return self._guideline_where(cur, "ORDER BY version DESC LIMIT 1", [])

    def guideline_version(self, version: int) -> dict[str, Any] | None:
        return self._guideline_where(None, "WHERE version = ?", [version])

    def add_guideline(self, cur: Cursor, body: str, note: str | None, saved_by: str,
                      saved_at: Any) -> int:
        """Store body as the next version inside the caller's transaction; its number."""
        version = int(cur.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM guidelines").fetchall()[0][0])
        cur.execute(
            "INSERT INTO guidelines (version, body, note, saved_by, saved_at)"
            " VALUES (?, ?, ?, ?, ?)", [version, body, note, saved_by, saved_at]).fetchall()
        return version

    def guideline_history(self) -> pd.DataFrame:
        """Every version, newest first: version, saved_by, saved_at, note, characters, and how
        many ratings were given under it."""
        return self.db.cursor().execute(
            "SELECT g.version, g.saved_by, g.saved_at, g.note, length(g.body) AS characters,"
            " (SELECT count(*) FROM expert_ratings r WHERE r.guideline_version = g.version)"
            " AS ratings FROM guidelines g ORDER BY g.version DESC"
        ).df()
