"""Who is signed in, for every page run: the session cookie (or the tab's token), else, with
HONEYBEE_AUTH=oidc, the identity Streamlit's st.login brought back from the provider."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from honeybee_core import sessions, signin, web_routes
from honeybee_core.auth import Actor
from honeybee_core.config import get_settings
from honeybee_core.errors import HoneybeeError
from honeybee_core.store import Repository

TOKEN_KEY = "hb_session_token"  # the tab's own token when the cookie routes are not mounted


def lifetime() -> timedelta:
    return timedelta(hours=get_settings().session_hours)


def _cookie() -> str | None:
    value = st.context.cookies.get(sessions.COOKIE)
    return value if isinstance(value, str) else None  # AppTest's context is a stand-in


def client_address() -> str | None:
    """The browser's address for sign-in throttling (None on localhost or unknown)."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def _token() -> str | None:
    return _cookie() or st.session_state.get(TOKEN_KEY)


def go(url: str, note: str = "Signing you in…") -> None:
    """Send the browser to url (the same message st.login uses), then stop this run."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    msg = ForwardMsg()
    msg.auth_redirect.url = url
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.enqueue(msg)
    st.caption(note)
    st.stop()


def establish(repo: Repository, actor: Actor, next_path: str | None) -> None:
    """Start a session for actor, carried by the cookie (or this tab), and show next_path (None:
    the page remembered when single sign-on began)."""
    if web_routes.mounted():
        xsrf = st.context.cookies.get(web_routes.XSRF_COOKIE)
        browser = web_routes.browser_id(xsrf if isinstance(xsrf, str) else None)
        code = sessions.start(repo, actor, get_settings().auth, lifetime(), browser=browser)
        go(web_routes.session_url(code, next_path))
    code = sessions.start(repo, actor, get_settings().auth, lifetime())
    st.session_state[TOKEN_KEY] = sessions.redeem(repo, code)
    st.rerun()


def provider_claims() -> dict | None:
    """st.user's claims when Streamlit holds a provider identity, else None."""
    try:
        return st.user.to_dict() if st.user.is_logged_in else None
    except (HoneybeeError, AttributeError, KeyError):
        return None


def current(repo: Repository) -> Actor | None:
    """The signed-in person with the role the database holds now, or None."""
    actor = sessions.resume(repo, _token())
    if actor is not None or get_settings().auth != "oidc":
        return actor
    claims = provider_claims()
    if not claims or not signin.sso_fresh(claims, lifetime()):
        return None  # an identity older than the lifetime signs in at the provider again
    try:
        actor = signin.sign_in_sso(repo, claims)
    except HoneybeeError as exc:
        st.session_state["hb_sso_error"] = str(exc)
        return None
    establish(repo, actor, None)
    return actor


def sign_out(repo: Repository) -> None:
    """End the session everywhere it is open (all tabs share the cookie), then start over."""
    sessions.end(repo, _token())
    st.session_state.pop(TOKEN_KEY, None)
    if web_routes.mounted() and _cookie():
        go(web_routes.signout_url(), "Signing you out…")
    if get_settings().auth == "oidc" and provider_claims():
        st.logout()
    st.rerun()
