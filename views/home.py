"""Home: what is in the database at a glance."""

import pandas as pd
import streamlit as st

from honeybee_core import explore
from honeybee_core.wording import readable
from views.common import attempt, repo

# what fits in half the page; the full rows are on the Generate and Train pages
JOB_COLUMNS = ["kind", "status", "progress_done", "progress_total", "created_by", "finished_at"]
RUN_COLUMNS = ["id", "status", "step", "max_steps", "base_model", "finished_at"]

st.title("🐝 HoneyBee Studio")
st.caption(
    "MatSci-Instruct, human in the loop: an Instructor LLM writes materials-science triples, a "
    "Verifier scores them, experts review, and the approved subset finetunes a LLaMA-family model."
)

summary = attempt(lambda: explore.home_summary(repo()))
if summary is None:
    st.stop()
stats = summary.stats
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
    # a bar in each row: a chart would load altair, the slowest part of the app's first page
    st.dataframe(by_stage, hide_index=True, key="home_by_stage", column_config={
        "items": st.column_config.ProgressColumn(
            "items", format="%d", min_value=0, max_value=max(stats["by_stage"].values()))})
    rate = summary.pass_rate
    st.metric(f"Verifier pass rate ({summary.rule})",
              "no scores yet" if rate is None else f"{rate:.0%}",
              help=f"{summary.passing:,} of {summary.scored:,} scored items pass the default rule.")
    st.caption(f"The default rule keeps an item when {summary.rule_sentence}.")

st.subheader("Rating progress per reviewer")
if summary.reviewers.empty:
    st.caption("No reviewers yet.")
else:
    st.dataframe(readable(summary.reviewers), hide_index=True, key="home_reviewers")
jobs_col, runs_col = st.columns(2)
jobs_col.subheader("Latest jobs")
if summary.jobs.empty:
    jobs_col.caption("No jobs yet.")
else:
    jobs_col.dataframe(readable(summary.jobs.reindex(columns=JOB_COLUMNS)), hide_index=True,
                       key="home_jobs")
runs_col.subheader("Latest training runs")
if summary.runs.empty:
    runs_col.caption("No training runs yet.")
else:
    runs_col.dataframe(readable(summary.runs.reindex(columns=RUN_COLUMNS)), hide_index=True,
                       key="home_runs")
