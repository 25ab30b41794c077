"""People (table annotators with their sign-in details), browser sessions, failed sign-ins
and the audit of changes to people (tables sessions, sign_in_failures, people_audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from honeybee_core.store.base import Tables
from honeybee_core.store.database import Cursor

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd


class PeopleTables(Tables):
    """Who may sign in, how, with which role; their sessions and the record of changes."""

    # people (annotators with sign-in details), sessions, sign-in failures, the people audit
    _PERSON_COLUMNS = ("name", "role", "password_hash", "email", "sso_subject", "active")

    def _person_where(self, cur: Cursor | None, clause: str, value: Any) -> dict[str, Any] | None:
        # clause is one of the fixed conditions below, never built from input
        found = (cur or self.db.cursor()).execute(
            "SELECT name, role, password_hash, email, sso_subject, coalesce(active, TRUE)"
            " FROM annotators WHERE " + clause, [value]).fetchall()
        return dict(zip(self._PERSON_COLUMNS, found[0], strict=True)) if found else None

    def person(self, name: str, cur: Cursor | None = None) -> dict[str, Any] | None:
        """name, role, password_hash, email, sso_subject, active of one person, or None."""
        return self._person_where(cur, "name = ?", name)

    def person_by_email(self, email: str, cur: Cursor | None = None) -> dict[str, Any] | None:
        return self._person_where(cur, "lower(email) = lower(?)", email)

    def person_by_subject(self, subject: str, cur: Cursor | None = None) -> dict[str, Any] | None:
        return self._person_where(cur, "sso_subject = ?", subject)

    def person_name_taken(self, name: str, cur: Cursor | None = None) -> bool:
        """Whether name is used by a person or appears as an annotator of any rating."""
        return bool((cur or self.db.cursor()).execute(
            "SELECT (SELECT count(*) FROM annotators WHERE lower(name) = lower(?))"
            " + (SELECT count(*) FROM expert_ratings WHERE annotator = ?)", [name, name]
        ).fetchall()[0][0])

    def people(self) -> pd.DataFrame:
        """Everyone with their role, email, state and ratings count (never a hash)."""
        return self.db.cursor().execute(
            "SELECT a.name, a.role, a.email, coalesce(a.active, TRUE) AS active,"
            " a.password_hash IS NOT NULL AS has_password, a.sso_subject IS NOT NULL AS sso_linked,"
            " (SELECT count(*) FROM expert_ratings r WHERE r.annotator = a.name) AS ratings,"
            " a.created_at FROM annotators a ORDER BY lower(a.name)"
        ).df()

    def active_names(self) -> list[str]:
        """Names of the people who may sign in (no ratings count: this runs on every rerun of
        the sign-in form)."""
        return [name for (name,) in self.db.cursor().execute(
            "SELECT name FROM annotators WHERE coalesce(active, TRUE) ORDER BY lower(name)"
        ).fetchall()]

    def count_active_admins(self, cur: Cursor) -> int:
        return int(cur.execute(
            "SELECT count(*) FROM annotators WHERE role = 'admin' AND coalesce(active, TRUE)"
        ).fetchall()[0][0])

    def insert_person(self, cur: Cursor, name: str, role: str, password_hash: str | None,
                      email: str | None, sso_subject: str | None = None) -> None:
        cur.execute(
            "INSERT INTO annotators (name, role, password_hash, email, sso_subject, active)"
            " VALUES (?, ?, ?, ?, ?, TRUE)", [name, role, password_hash, email, sso_subject]
        ).fetchall()

    def set_person_role(self, cur: Cursor, name: str, role: str) -> None:
        cur.execute("UPDATE annotators SET role = ? WHERE name = ?", [role, name]).fetchall()

    def set_person_password(self, cur: Cursor, name: str, password_hash: str) -> None:
        cur.execute("UPDATE annotators SET password_hash = ? WHERE name = ?",
                    [password_hash, name]).fetchall()

    def set_person_active(self, cur: Cursor, name: str, active: bool) -> None:
        cur.execute("UPDATE annotators SET active = ? WHERE name = ?", [active, name]).fetchall()

    def set_person_email(self, cur: Cursor, name: str, email: str | None) -> None:
        cur.execute("UPDATE annotators SET email = ? WHERE name = ?", [email, name]).fetchall()

    def set_person_subject(self, cur: Cursor, name: str, subject: str) -> None:
        cur.execute("UPDATE annotators SET sso_subject = ? WHERE name = ?",
                    [subject, name]).fetchall()

    def add_people_audit(self, cur: Cursor, at: Any, actor: str, person: str, action: str,
                         detail: str | None) -> None:
        cur.execute(
            "INSERT INTO people_audit (changed_at, actor, person, action, detail)"
            " VALUES (?, ?, ?, ?, ?)",
            [at, actor, person, action, detail]).fetchall()

    def people_audit(self, limit: int = 200, person: str | None = None) -> pd.DataFrame:
        """The latest changes to people, newest first."""
        return self.db.cursor().execute(
            "SELECT changed_at AS at, actor, person, action, detail FROM people_audit"
            " WHERE ?::VARCHAR IS NULL OR person = ? ORDER BY id DESC LIMIT ?",
            [person, person, limit]).df()

    def insert_session(self, cur: Cursor, row: dict[str, Any]) -> None:
        cols = ["id", "person", "auth_mode", "token_hash", "handoff_hash", "handoff_expires_at",
                "handoff_browser", "created_at", "expires_at"]
        cur.execute(
            "INSERT INTO sessions (" + ", ".join(cols) + ") VALUES ("
            + ", ".join("?" for _ in cols) + ")", [row.get(c) for c in cols]).fetchall()

    def session_for_handoff(self, cur: Cursor, handoff_hash: str, now: Any,
                            browser: str | None) -> str | None:
        """The id of the unrevoked session whose handoff code this is, while the code is fresh
        and presented by the browser it was made for (when that was known)."""
        found = cur.execute(
            "SELECT id FROM sessions WHERE handoff_hash = ? AND handoff_expires_at > ?"
            " AND expires_at > ? AND revoked_at IS NULL"
            " AND (handoff_browser IS NULL OR handoff_browser = ?)",
            [handoff_hash, now, now, browser]).fetchall()
        return found[0][0] if found else None

    def set_session_token(self, cur: Cursor, session_id: str, token_hash: str) -> None:
        """Store the token's hash and burn the handoff code (it works once)."""
        cur.execute(
            "UPDATE sessions SET token_hash = ?, handoff_hash = NULL, handoff_expires_at = NULL,"
            " handoff_browser = NULL WHERE id = ?", [token_hash, session_id]).fetchall()

    def session_by_token(self, token_hash: str) -> dict[str, Any] | None:
        """The session with this token hash and its person's role and state, in one query."""
        found = self.db.cursor().execute(
            "SELECT s.id, s.person, s.auth_mode, s.expires_at, s.revoked_at, a.role,"
            " coalesce(a.active, FALSE) FROM sessions s LEFT JOIN annotators a"
            " ON a.name = s.person WHERE s.token_hash = ?", [token_hash]).fetchall()
        keys = ("id", "person", "auth_mode", "expires_at", "revoked_at", "role", "active")
        return dict(zip(keys, found[0], strict=True)) if found else None

    def revoke_session(self, cur: Cursor, token_hash: str, now: Any) -> int:
        return len(cur.execute(
            "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL"
            " RETURNING id", [now, token_hash]).fetchall())

    def revoke_sessions_of(self, cur: Cursor, person: str, now: Any) -> int:
        return len(cur.execute(
            "UPDATE sessions SET revoked_at = ? WHERE person = ? AND revoked_at IS NULL"
            " RETURNING id", [now, person]).fetchall())

    def purge_sessions(self, cur: Cursor, before: Any) -> None:
        """Forget sessions that ended (expired or revoked) before `before`."""
        cur.execute("DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?",
                    [before, before]).fetchall()

    def add_sign_in_failure(self, cur: Cursor, scope: str, key: str, at: Any) -> None:
        cur.execute("INSERT INTO sign_in_failures (scope, key, failed_at) VALUES (?, ?, ?)",
                    [scope, key, at]).fetchall()

    def sign_in_failures(self, scope: str, key: str, since: Any) -> tuple[int, Any]:
        """(failures since `since`, the latest one's time) for one name or address."""
        count, last = self.db.cursor().execute(
            "SELECT count(*), max(failed_at) FROM sign_in_failures"
            " WHERE scope = ? AND key = ? AND failed_at >= ?", [scope, key, since]).fetchall()[0]
        return int(count), last

    def clear_sign_in_failures(self, cur: Cursor, scope: str, key: str, before: Any) -> None:
        """Forget one key's failures, and everyone's older than `before`."""
        cur.execute("DELETE FROM sign_in_failures WHERE (scope = ? AND key = ?) OR failed_at < ?",
                    [scope, key, before]).fetchall()
