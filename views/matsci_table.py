"""The Evaluate page's MatSci-NLP table: saved scores of every evaluated model, as in the paper."""

import streamlit as st

from honeybee_core.config import get_settings
from honeybee_core.matsci_nlp.table import matsci_table


def render_matsci_table() -> None:
    st.subheader("MatSci-NLP")
    folder = get_settings().matsci_dir
    table = matsci_table(folder)
    if table.empty:
        st.info(f"No MatSci-NLP scores in {folder} yet: `honeybee matsci-nlp run --model RUN_ID "
                "--data DIR` (or `score PREDICTIONS --data DIR --out FOLDER`) adds a row.")
        return
    st.caption("Micro and macro F1 per task with 95 % bootstrap intervals; answers mapped to "
               "labels as the paper's evaluation does (rule \"released\").")
    st.dataframe(table, hide_index=True, key="eval_matsci_table")
