"""The app frame: who is signed in (sidebar) and the page list by role.

Signed out, every page's address shows the sign-in form, so a bookmark or a deep link (/review)
signs in and then lands on the page asked for. Signed in, pages above the person's role keep
their address but say which role they need instead of "Page not found".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import NamedTuple

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from honeybee_core import auth
from honeybee_core.config import get_settings
from honeybee_core.markup import safe_markdown
from views import identity, sign_in_form
from views.common import repo, signed_in


class PageSpec(NamedTuple):
    """One entry of the page list; least_role None = open before sign-in when HONEYBEE_AUTH=none."""

    path: str
    title: str
    icon: str
    least_role: str | None


def _slug(spec: PageSpec) -> str:
    return Path(spec.path).stem


def _needs_role(spec: PageSpec, role: str) -> None:
    st.error(f"The {spec.title} page needs the {spec.least_role} role; you are a {role}. "
             "An admin can change roles on the People page.")


def _signed_out(pages: Sequence[PageSpec]) -> StreamlitPage:
    open_home = get_settings().auth == "none"
    entries = []
    for i, spec in enumerate(pages):
        if open_home and spec.least_role is None:
            entries.append(st.Page(spec.path, title=spec.title, icon=spec.icon, default=i == 0))
            continue
        here = "/" if i == 0 else f"/{_slug(spec)}"  # the first page is served at the root
        entries.append(st.Page(partial(sign_in_form.render, here), title=spec.title, icon=spec.icon,
                               url_path=_slug(spec), default=i == 0, visibility="hidden"))
    entries.append(st.Page("views/sign_in.py", title="Sign in", icon=":material/key:"))
    return st.navigation(entries, position="sidebar" if open_home else "hidden")


def navigation(pages: Sequence[PageSpec]) -> StreamlitPage:
    """The st.navigation of the pages this person may open, and the sidebar saying who it is.

    Pages check the role again themselves (`current_actor(least_role)`): the list only hides.
    """
    actor = signed_in()
    if actor is None:
        return _signed_out(pages)
    with st.sidebar:
        st.markdown(f"Signed in as **{safe_markdown(actor.name)}** · {actor.role}")
        if st.button("Sign out", key="hb_sign_out"):
            identity.sign_out(repo())
    entries = []
    for i, spec in enumerate(pages):
        if spec.least_role is None or auth.role_at_least(actor.role, spec.least_role):
            entries.append(st.Page(spec.path, title=spec.title, icon=spec.icon, default=i == 0))
        else:
            entries.append(st.Page(partial(_needs_role, spec, actor.role), title=spec.title,
                                   icon=spec.icon, url_path=_slug(spec), visibility="hidden"))
    return st.navigation(entries)
