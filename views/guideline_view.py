"""The review guideline beside the rating form: the version in force, collapsible."""

from __future__ import annotations

import streamlit as st

from honeybee_core import guidelines
from honeybee_core.store import Repository


def show_guideline(store: Repository, expanded: bool = True) -> None:
    """An expander with the guideline in force (rubric, anchors, verdicts) and its version."""
    rule = guidelines.current(store)
    with st.expander(f"📘 Guideline v{rule.version}: rubric, anchor scores, verdicts",
                     expanded=expanded, key="rv_guideline"):
        st.caption(f"{rule.title}. Your rating is stored with this version; the Guidelines "
                   "page shows it in full.")
        with st.container(height=320):  # scrolls, so the form below stays in view
            st.markdown(guidelines.side_panel(rule.body))
