"""The sign-in form: single sign-on (HONEYBEE_AUTH=oidc), a password (password), or pick/type a
name (none). Shown at the address of whichever page was asked for, which opens once signed in."""

from __future__ import annotations

import streamlit as st

from honeybee_core import auth, signin, throttle, web_routes
from honeybee_core.config import get_settings
from views import identity
from views.common import attempt, repo


def _sso_configured(provider: str | None) -> bool:
    from streamlit.auth_util import get_secrets_auth_section

    section = get_secrets_auth_section()
    if section and (provider is None or provider in section):
        return True
    where = f"[auth.{provider}]" if provider else "[auth]"
    st.error(f"HONEYBEE_AUTH=oidc needs a {where} section in .streamlit/secrets.toml "
             "(redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url); "
             "the README shows one for Keycloak, Entra and Google.")
    return False


def _single_sign_on(next_path: str) -> None:
    settings = get_settings()
    if not _sso_configured(settings.oidc_provider):
        return
    error = st.session_state.pop("hb_sso_error", None)
    if error:
        st.error(error)
    if identity.provider_claims():  # Streamlit still holds an identity older than the lifetime
        st.info(f"Your sign-in is older than {settings.session_hours:g} hours; sign in again.")
    label = settings.oidc_provider or "your institution"
    st.caption("You sign in at your institution's sign-in page and come back here.")
    if st.button(f"Sign in with {label}", type="primary", key="hb_sso"):
        if web_routes.mounted():
            identity.go(web_routes.sso_url(next_path))
        attempt(lambda: st.login(settings.oidc_provider) if settings.oidc_provider
                else st.login())


def _password_form() -> tuple[str, str | None]:
    name = st.text_input("Name", key="hb_name")
    password = st.text_input("Password", type="password", key="hb_password")
    st.caption(throttle.policy_sentence())
    return name, password


def _local_form() -> tuple[str, str | None]:
    st.caption("Local mode (HONEYBEE_AUTH=none): the first person becomes the admin, later "
               "new names become reviewers.")
    picked = st.selectbox("Who are you?", auth.active_names(repo()),
                          index=None, key="hb_pick", placeholder="Pick your name")
    typed = st.text_input("New name", key="hb_new_name",
                          placeholder="…or type a new name (you are added as a reviewer)")
    return (typed.strip() or picked or ""), None


def render(here: str) -> None:
    """The sign-in form; once signed in, the browser goes to `here` (a path such as /review)."""
    mode = get_settings().auth
    next_path = web_routes.base_path() + here
    st.title("🐝 Sign in to HoneyBee Studio")
    if here not in ("/", ""):
        st.caption(f"Sign in to open {here}.")
    if mode == "oidc":
        _single_sign_on(next_path)
        return
    with st.form("hb_sign_in_form"):
        name, password = _password_form() if mode == "password" else _local_form()
        submitted = st.form_submit_button("Sign in", type="primary", key="hb_sign_in_submit")
    if submitted:
        store = repo()
        actor = attempt(lambda: signin.sign_in(store, mode, name, password,
                                               address=identity.client_address()))
        if actor is not None:
            identity.establish(store, actor, next_path)
