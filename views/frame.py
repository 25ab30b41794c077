"""The app frame: who is signed in (sidebar) and the page list by role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from honeybee_core import auth
from honeybee_core.config import get_settings
from honeybee_core.markup import safe_markdown
from views.common import USER_KEY, signed_in

SIGN_IN = "views/sign_in.py"


class PageSpec(NamedTuple):
    """One entry of the page list; least_role None = open before sign-in when HONEYBEE_AUTH=none."""

    path: str
    title: str
    icon: str
    least_role: str | None


def navigation(pages: Sequence[PageSpec]) -> StreamlitPage:
    """The st.navigation of the pages this person may open, and the sidebar saying who it is.

    Pages check the role again themselves (`current_actor(least_role)`): the list only hides.
    """
    actor = signed_in()
    if actor is None:
        open_pages = [] if get_settings().auth == "password" else [
            st.Page(p.path, title=p.title, icon=p.icon) for p in pages if p.least_role is None]
        return st.navigation([*open_pages, st.Page(SIGN_IN, title="Sign in", icon="🔑")])
    with st.sidebar:
        st.markdown(f"Signed in as **{safe_markdown(actor.name)}** · {actor.role}")
        if st.button("Sign out", key="hb_sign_out"):
            del st.session_state[USER_KEY]
            st.rerun()
    return st.navigation([
        st.Page(p.path, title=p.title, icon=p.icon)
        for p in pages if p.least_role is None or auth.role_at_least(actor.role, p.least_role)
    ])
