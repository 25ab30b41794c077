"""Sign in: a password form (HONEYBEE_AUTH=password), or pick/type a name (none)."""

import streamlit as st

from honeybee_core import auth
from honeybee_core.config import get_settings
from views.common import USER_KEY, attempt, repo

mode = get_settings().auth
st.title("🐝 Sign in to HoneyBee Studio")
with st.form("hb_sign_in_form"):
    if mode == "password":
        name = st.text_input("Name", key="hb_name")
        password = st.text_input("Password", type="password", key="hb_password")
    else:
        st.caption("Local mode (HONEYBEE_AUTH=none): the first person becomes the admin, later "
                   "new names become reviewers.")
        picked = st.selectbox("Who are you?", auth.list_users(repo())["name"].tolist(),
                              index=None, key="hb_pick", placeholder="Pick your name")
        typed = st.text_input("…or type a new name", key="hb_new_name")
        name, password = (typed.strip() or picked or ""), None
    if st.form_submit_button("Sign in", type="primary", key="hb_sign_in_submit"):
        actor = attempt(lambda: auth.sign_in(repo(), mode, name, password))
        if actor is not None:
            st.session_state[USER_KEY] = actor.name
            st.rerun()
