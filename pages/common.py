"""Helpers every page shares: the one Database of the app process, and errors shown to people."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from honeybee_core.config import get_settings
from honeybee_core.db import open_database
from honeybee_core.errors import HoneybeeError
from honeybee_core.repo import Repository

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _repository(path: str) -> Repository:
    # one connection for the whole app process: DuckDB allows a single writer per file
    return Repository(open_database(path))


def repo() -> Repository:
    """The app's repository on the configured database; a lock or bad file stops the page."""
    try:
        return _repository(str(get_settings().db))
    except HoneybeeError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises; keeps type checkers honest


def attempt(action: Callable[[], T]) -> T | None:
    """Run a core call; a HoneybeeError becomes one st.error line and nothing else happens."""
    try:
        return action()
    except HoneybeeError as exc:
        st.error(str(exc))
        return None
