"""Helpers every page shares: the one Database of the app process, and errors shown to people."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

import streamlit as st

from honeybee_core import auth, demo
from honeybee_core.auth import Actor
from honeybee_core.config import get_settings
from honeybee_core.errors import HoneybeeError
from honeybee_core.store import Repository
from honeybee_core.web_routes import app_repository

T = TypeVar("T")
P = ParamSpec("P")


def _repository(path: str) -> Repository:
    # one connection for the whole app process (pages and the sign-in routes): DuckDB allows a
    # single writer per file
    return app_repository(path)


def repo() -> Repository:
    """The app's repository on the configured database; a lock or bad file stops the page."""
    try:
        return _repository(str(get_settings().db))
    except HoneybeeError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises; keeps type checkers honest


def demo_badge() -> None:
    """A small "demo data" badge on every page while the offline demo's items are present."""
    if demo.demo_items(repo()):
        st.caption(":orange-badge[🧪 Demo data] These items are synthetic: written by the "
                   "offline demo generator and rated by two simulated experts.")


def rerun_on_change(fingerprint: Callable[[], Hashable], key: str, every: float = 3.0) -> None:
    """Check fingerprint() every few seconds from an invisible fragment and rerun the page when
    it changed: the page updates by itself, and nothing on it redraws (or fades) meanwhile."""
    st.session_state[key] = fingerprint()  # what this run of the page shows

    def watch() -> None:
        now = fingerprint()
        if st.session_state.get(key) != now:
            st.session_state[key] = now
            st.rerun()

    st.fragment(run_every=every)(watch)()


def attempt(action: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """Run a core call, action(*args, **kwargs); a HoneybeeError becomes one st.error line and
    nothing else happens."""
    try:
        return action(*args, **kwargs)
    except HoneybeeError as exc:
        st.error(str(exc))
        return None


# -- identity -----------------------------------------------------------------------------------
def signed_in() -> Actor | None:
    """The signed-in person with the role the database holds now, or None (see views/identity)."""
    from views import identity

    return identity.current(repo())


def current_actor(least_role: str = "reviewer") -> Actor:
    """The signed-in person; the page stops here unless they are signed in with least_role."""
    actor = signed_in()
    if actor is None:
        st.info("Sign in first.")
        st.stop()
    if not auth.role_at_least(actor.role, least_role):
        st.error(f"This page needs the {least_role} role; {actor.name} is a {actor.role}.")
        st.stop()
    return actor
