"""Home: what is in the database at a glance."""

import pandas as pd
import streamlit as st

from pages.common import repo

st.title("🐝 HoneyBee Studio")
st.caption(
    "MatSci-Instruct, human in the loop: an Instructor LLM writes materials-science triples, a "
    "Verifier scores them, experts review, and the approved subset finetunes a LLaMA-family model."
)

stats = repo().stats()
cols = st.columns(5)
labels = ["instructions", "verifier_scored", "expert_rated", "approved", "rejected"]
for col, key in zip(cols, labels, strict=True):
    col.metric(key.replace("_", " ").capitalize(), f"{stats[key]:,}")

if stats["instructions"] == 0:
    st.info("The database is empty. Import a file on the Data page, or run `honeybee import FILE`.")
else:
    by_stage = pd.DataFrame(
        {"stage": list(stats["by_stage"]), "items": list(stats["by_stage"].values())}
    )
    st.subheader("Items by stage")
    st.bar_chart(by_stage, x="stage", y="items")
