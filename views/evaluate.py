"""Evaluate: the stage table (the paper's Table 2), where the student is weak, the next stage."""

import streamlit as st

from honeybee_core import auth, charts, job_report
from honeybee_core import stage_table as stages
from honeybee_core.domain import DIMENSIONS
from honeybee_core.pipeline import evaluator
from honeybee_core.store import rows
from honeybee_core.wording import readable
from views.common import current_actor, repo, rerun_on_change
from views.evaluate_forms import evaluate_form, feedback_form
from views.matsci_table import render_matsci_table

store = repo()
actor = current_actor("reviewer")
HEADERS = {"n": "Answers", "mean": "Mean grade", **{
    f"{d}_ci_{end}": f"{d.capitalize()} 95% CI {end}" for d in DIMENSIONS
    for end in ("low", "high")}}


def stage_table_section():
    """The stage table of one evaluator and rubric on the held-out set; returns (frame, table)."""
    st.subheader("Stage table")
    known = store.evaluators()
    labels = [f"{e} · {evaluator.RUBRIC_LABELS.get(r, r)}"
              for e, r in zip(known["evaluator"], known["rubric_version"], strict=True)]
    pick = st.selectbox("Evaluator and rubric", range(len(labels)), key="eval_evaluator",
                        format_func=labels.__getitem__) if labels else None
    chosen = known.iloc[pick] if pick is not None else {"evaluator": None,
                                                        "rubric_version": None}
    every = st.toggle("Every graded item, not only the held-out set", key="eval_every_item")
    set_id = None if every else stages.CURRENT
    frame = stages.evaluation_frame(store, chosen["evaluator"], chosen["rubric_version"], set_id)
    table = stages.stage_table(frame)
    if table.empty:
        st.info("No evaluations yet: a curator evaluates a finished run, an API model or the "
                "references below (or `honeybee evaluate --run RUN_ID`).")
        return frame, table
    st.dataframe(readable(table, HEADERS), hide_index=True, key="eval_stage_table")
    st.caption(stages.caption(store, frame, set_id))
    st.plotly_chart(charts.stage_chart(table), key="eval_stage_chart")
    return frame, table


def inspect_section(frame, table):
    """Weakest topics and task types and the worst answers of one row."""
    names = dict(zip(table["run_id"], table["model"], strict=True))
    focus = st.selectbox("Model to inspect", list(names), index=len(names) - 1,
                         format_func=names.__getitem__, key="eval_focus")
    left, right = st.columns(2)
    left.markdown("**Weakest topics**")
    left.dataframe(readable(stages.weakest(frame, "topic", focus), {"n": "Answers"}),
                   hide_index=True, key="eval_topics")
    right.markdown("**Weakest task types**")
    right.dataframe(readable(stages.weakest(frame, "task_type", focus), {"n": "Answers"}),
                    hide_index=True, key="eval_tasks")
    st.subheader("Worst answers")
    k = st.number_input("How many", 1, 100, 5, key="eval_worst_k")
    for i, row in enumerate(rows(stages.worst_answers(frame, focus, int(k)))):
        title = f"{row['mean']:.0f} · {row['task_type'] or ''} · {row['instruction'][:90]}"
        with st.expander(title, key=f"eval_worst_{i}"):
            st.text(f"Instruction: {row['instruction']}\nInput: {row['input'] or '(none)'}")
            ref, ans = st.columns(2)
            ref.markdown("**Reference**")
            ref.text(row["reference"])
            ans.markdown(f"**Answer** (accuracy {row['accuracy']:.0f}, completeness "
                         f"{row['completeness']:.0f}, reasonableness {row['reasonableness']:.0f})")
            ans.text(row["answer"] or "(empty)")
            st.caption(row["rationale"] or "")


BOARD = ("evaluate", "answer", "feedback")


def job_board() -> None:
    """Evaluation, answering and feedback jobs in their own units; redrawn when one moves on."""
    for job in job_report.board(store, limit=20, kinds=BOARD):
        st.progress(job["fraction"], text=f"{job['kind'].capitalize()} {job['id']}: "
                    f"{job['status']} — {job['summary']}")
        if job["explore"]:  # feedback's new triples, on the Explore page
            st.page_link("views/explore.py", label=f"Open the items of {job['id']} in Explore",
                         icon="🔎", query_params=job["explore"])
    rerun_on_change(lambda: job_report.board_key(store, BOARD), "eval_jobs_seen")


st.title("Evaluate")
st.caption("The Evaluator grades answers to one held-out set (0-100). The offline evaluator is a "
           "heuristic (token overlap; reference-free under rubric v2), not an LLM.")
frame, table = stage_table_section()
if not table.empty:
    inspect_section(frame, table)
if auth.role_at_least(actor.role, "curator"):
    st.subheader("Next stage")
    ev, fb = st.columns(2)
    with ev:
        evaluate_form(store, actor)
    with fb:
        feedback_form(store, actor, table)
    job_board()

render_matsci_table()
