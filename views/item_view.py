"""Rendering shared by Review and Explore: a triple as safe Markdown, and verifier scores."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from honeybee_core.markup import safe_markdown
from honeybee_core.review import DIMENSIONS


def show_item(item: dict) -> None:
    """Instruction, input and output as Markdown with math; any HTML in them stays inert."""
    about = f"{item.get('topic') or 'no topic'} · {item.get('task_type') or 'no task type'} · "
    st.caption(f"Stage {item['stage']} · {safe_markdown(about + item['source'])} · `{item['id']}`")
    for label, key in (("Instruction", "instruction"), ("Input", "input"), ("Output", "output")):
        if key == "input" and not item.get(key):
            continue
        st.markdown(f"**{label}**")
        with st.container(border=True):
            st.markdown(safe_markdown(item.get(key)))


def show_verifier(scores: pd.DataFrame, yours: dict[str, float | None] | None = None) -> None:
    """The verifier's four scores (mean over verifiers) and rationale; with yours, the deltas
    read "you minus verifier"."""
    if scores.empty:
        st.caption("No verifier has scored this item yet.")
        return
    means = scores[list(DIMENSIONS)].mean()
    for col, dim in zip(st.columns(2) * 2, DIMENSIONS, strict=True):  # 2 x 2: labels fit
        mine = None if yours is None else yours.get(dim)
        delta = None if mine is None else f"{mine - means[dim]:+.0f} (you)"
        col.metric(f"Verifier {dim}", f"{means[dim]:.0f}", delta, delta_color="off")
    for row in scores.itertuples():
        if isinstance(row.rationale, str) and row.rationale:
            st.caption(f"**{safe_markdown(row.verifier)}**: {safe_markdown(row.rationale)}")
