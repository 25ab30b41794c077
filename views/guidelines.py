"""Guidelines: the review guideline in force, its older versions, and (curators) the editor."""

import streamlit as st

from honeybee_core import auth, guidelines
from honeybee_core.errors import HoneybeeError
from honeybee_core.wording import readable
from views.common import attempt, current_actor, repo

store, actor = repo(), current_actor()
ss = st.session_state
st.title("📘 Review guideline")
rule = guidelines.current(store)
st.caption(f"In force: {rule.label}. Reviewers see it beside the rating form; every rating "
           "stores the version it was given under.")
if flash := ss.pop("gl_flash", None):
    st.success(flash)

can_edit = auth.role_at_least(actor.role, "curator")
read, edit, older = st.tabs(["Read", "Edit" if can_edit else "Edit (curators)", "History"],
                            key="gl_tabs")
with read:
    st.markdown(guidelines.side_panel(rule.body, shift=1))  # its title under the page's


def _save() -> None:
    try:
        saved = guidelines.save(store, actor, ss["gl_body"], ss.get("gl_note"))
    except HoneybeeError as exc:  # shown under the button, and nothing was stored
        ss["gl_error"] = str(exc)
        return
    ss.update(gl_flash=f"Saved {saved.label}.", gl_note="", gl_for=saved.version)


with edit:
    if not can_edit:
        st.info(f"Curators and admins edit the guideline; you are a {actor.role}.")
    else:
        if ss.get("gl_for") != rule.version:  # a new version came in: start from it
            ss.update(gl_body=rule.body, gl_for=rule.version)
        st.caption("Markdown: headings, lists, tables and $math$ render as on the Read tab. "
                   "Saving makes a new version; the old one stays readable under History.")
        st.text_area("Guideline (Markdown)", key="gl_body", height=480)
        st.text_input("What changed (optional)", key="gl_note", max_chars=guidelines.MAX_NOTE)
        st.button("Save as a new version", key="gl_save", type="primary", on_click=_save)
        if error := ss.pop("gl_error", None):
            st.error(error)
        if ss.get("gl_body", rule.body).strip() != rule.body.strip():
            with st.expander("Preview"):
                st.markdown(ss["gl_body"])

with older:
    versions = guidelines.history(store)
    st.dataframe(readable(versions, {"saved_by": "Saved by", "saved_at": "Saved (UTC)",
                                     "characters": "Length"}), hide_index=True, key="gl_history")
    pick = st.selectbox("Open version", versions["version"].tolist(), key="gl_pick")
    shown = attempt(lambda: guidelines.version(store, int(pick))) if pick else None
    if shown is not None:
        st.caption(shown.title + (f" · {shown.note}" if shown.note else ""))
        if shown.version > 1:
            previous = guidelines.version(store, shown.version - 1)
            with st.expander(f"Changes from version {previous.version}"):
                st.code(guidelines.diff(previous, shown) or "No changes.", language="diff")
        with st.container(border=True):
            st.markdown(guidelines.side_panel(shown.body, shift=1))
