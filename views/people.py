"""People (admin): add a person, change a role, reset a password, set the single sign-on email,
deactivate or reactivate. Every change is recorded with who made it and when (shown below)."""

import streamlit as st

from honeybee_core import people
from honeybee_core.auth import MIN_PASSWORD_LENGTH, ROLES
from honeybee_core.config import get_settings
from views.common import attempt, current_actor, repo

store, actor = repo(), current_actor("admin")
mode = get_settings().auth
st.title("👥 People")
st.caption("Reviewers rate; curators also decide, import, generate and train; admins also manage "
           "people. A deactivated person cannot sign in; their ratings stay theirs.")

if flash := st.session_state.pop("pp_flash", None):
    st.success(flash)
everyone = people.list_people(store)
st.dataframe(
    everyone.assign(email=everyone["email"].fillna("")), hide_index=True, key="pp_table",
    column_config={
        "name": "Name", "role": "Role", "email": "Email (single sign-on)", "active": "Active",
        "has_password": "Password set", "sso_linked": "Signed in by SSO", "ratings": "Ratings",
        "created_at": st.column_config.DatetimeColumn("Added", format="YYYY-MM-DD HH:mm"),
    },
)

def _do(change, done: str) -> None:
    """Run a people change; on success say so (after the rerun that shows it in the tables)."""
    if attempt(lambda: change() or True):
        st.session_state["pp_flash"] = done
        st.rerun()


add_col, change_col = st.columns(2)
with add_col, st.form("pp_add_form", clear_on_submit=True):
    st.subheader("Add a person")
    name = st.text_input("Name", key="pp_add_name", help="As it appears on their ratings.")
    role = st.selectbox("Role", ROLES, key="pp_add_role")
    email = st.text_input("Email", key="pp_add_email",
                          help="The address their institution's sign-in sends (single sign-on).")
    password = st.text_input(
        "Password", type="password", key="pp_add_password",
        help=f"For password sign-in; at least {MIN_PASSWORD_LENGTH} characters. Hand it over "
             "in person; they sign in with it.") if mode != "oidc" else ""
    if st.form_submit_button("Add person", type="primary", key="pp_add_submit"):
        _do(lambda: people.add_person(store, actor, name, role, password or None, email or None),
            f"Added {name.strip()} as a {role}.")

with change_col:
    st.subheader("Change a person")
    who = st.selectbox("Person", everyone["name"].tolist(), index=None, key="pp_who",
                       placeholder="Choose a person")
    if who:
        row = everyone.set_index("name").loc[who]
        new_role = st.selectbox("Role", ROLES, index=ROLES.index(row["role"]), key="pp_role")
        if st.button("Change role", key="pp_role_submit"):
            _do(lambda: people.set_role(store, actor, who, new_role), f"{who} is a {new_role}.")
        if mode != "oidc":
            new_password = st.text_input("New password", type="password", key="pp_password")
            if st.button("Reset password", key="pp_password_submit"):
                _do(lambda: people.reset_password(store, actor, who, new_password),
                    f"New password set for {who}; their open sessions ended.")
        new_email = st.text_input("Email (single sign-on)", value=row["email"] or "",
                                  key="pp_email")
        if st.button("Save email", key="pp_email_submit"):
            _do(lambda: people.set_email(store, actor, who, new_email or None),
                f"Saved the email of {who}.")
        active = bool(row["active"])
        if st.button("Deactivate" if active else "Reactivate", key="pp_active_submit"):
            _do(lambda: people.set_active(store, actor, who, not active),
                f"{who} is {'deactivated; their ratings stay theirs' if active else 'active'}.")

st.subheader("Changes")
st.dataframe(
    people.audit_log(store), hide_index=True, key="pp_audit",
    column_config={"at": st.column_config.DatetimeColumn("When (UTC)",
                                                         format="YYYY-MM-DD HH:mm:ss"),
                   "actor": "Who", "person": "Person", "action": "Change", "detail": "Detail"},
)
