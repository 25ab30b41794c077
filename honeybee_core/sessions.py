"""Browser sessions that outlast a tab: a random token in an HttpOnly cookie, its hash in the
database, an expiry (HONEYBEE_SESSION_HOURS) and revocation on sign-out.

Streamlit pages cannot set cookies, so signing in is two steps: the page checks the credentials
and `start`s a session, which yields a one-time handoff code (valid HANDOFF seconds); the browser
takes the code to the server's /hb/session route, which `redeem`s it for the token and sets the
cookie. The token itself is never shown to a page script or stored in plain text. The code is
bound to the browser that signed in (a digest of Streamlit's XSRF cookie token, which the page
and the route both see), so a code lured into someone else's browser signs no one in there.
Every page run `resume`s the cookie's token: expired, revoked or deactivated means signed out.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from honeybee_core.auth import Actor, utcnow
from honeybee_core.store import Repository

COOKIE = "hb_session"
HANDOFF = timedelta(seconds=60)
KEEP_ENDED = timedelta(days=7)  # ended sessions are kept this long, then purged


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def start(repo: Repository, actor: Actor, mode: str, lifetime: timedelta,
          now: datetime | None = None, browser: str | None = None) -> str:
    """Open a session for actor (already signed in) and return its one-time handoff code, to be
    redeemed by the same browser (when `browser` names it)."""
    now = now or utcnow()
    code = secrets.token_urlsafe(32)
    with repo.db.transaction() as cur:
        repo.purge_sessions(cur, now - KEEP_ENDED)
        repo.insert_session(cur, {
            "id": secrets.token_hex(16), "person": actor.name, "auth_mode": mode,
            "handoff_hash": _digest(code), "handoff_expires_at": now + HANDOFF,
            "handoff_browser": browser,
            "created_at": now, "expires_at": now + lifetime,
        })
    return code


def redeem(repo: Repository, code: str, now: datetime | None = None,
           browser: str | None = None) -> str | None:
    """The session token for a fresh handoff code presented by its browser (the code then stops
    working), or None."""
    if not code:
        return None
    now = now or utcnow()
    with repo.db.transaction() as cur:
        session_id = repo.session_for_handoff(cur, _digest(code), now, browser)
        if session_id is None:
            return None
        token = secrets.token_urlsafe(32)
        repo.set_session_token(cur, session_id, _digest(token))
    return token


def resume(repo: Repository, token: str | None, now: datetime | None = None) -> Actor | None:
    """The person a live session token belongs to, with their role now; None when the token is
    unknown, expired or revoked, or the person was deactivated."""
    if not token:
        return None
    row = repo.session_by_token(_digest(token))
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= (now or utcnow()):
        return None
    return Actor(row["person"], row["role"], repo) if row["active"] and row["role"] else None


def seconds_left(repo: Repository, token: str | None, now: datetime | None = None) -> float:
    """How long the session still lasts (0 when it does not)."""
    row = repo.session_by_token(_digest(token)) if token else None
    if row is None or row["revoked_at"] is not None:
        return 0.0
    return max(0.0, (row["expires_at"] - (now or utcnow())).total_seconds())


def end(repo: Repository, token: str | None, now: datetime | None = None) -> bool:
    """Sign out: revoke the session (every tab sharing the cookie); True if one was live."""
    if not token:
        return False
    with repo.db.transaction() as cur:
        return repo.revoke_session(cur, _digest(token), now or utcnow()) > 0
