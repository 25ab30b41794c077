"""Evaluate: the stage table (the paper's Table 2), where the student is weak, the next stage."""

import streamlit as st

from honeybee_core import auth, charts, job_report, run_report, stages
from honeybee_core.config import get_settings
from honeybee_core.pipeline import evaluate, feedback, jobs
from honeybee_core.store import rows
from honeybee_core.wording import readable
from views.common import attempt, current_actor, repo, rerun_on_change
from views.matsci_table import render_matsci_table

PROVIDERS = ["offline", "openai", "anthropic"]
settings = get_settings()
store = repo()
actor = current_actor("reviewer")
st.title("Evaluate")
st.caption("The Evaluator grades the student's answers on held-out items against their references "
           "(0-100). The offline evaluator is a heuristic (token overlap), not an LLM.")

known = store.evaluators()
labels = [f"{e} · {r}" for e, r in zip(known["evaluator"], known["rubric_version"], strict=True)]
pick = st.selectbox("Evaluator", range(len(labels)), format_func=labels.__getitem__,
                    key="eval_evaluator") if labels else None
chosen = known.iloc[pick] if pick is not None else {"evaluator": None, "rubric_version": None}
frame = stages.evaluation_frame(store, chosen["evaluator"], chosen["rubric_version"])
table = stages.stage_table(frame)
if table.empty:
    st.info("No evaluations yet: a curator evaluates a finished run below "
            "(or `honeybee evaluate --run RUN_ID`).")
else:
    st.subheader("Stage table")
    st.dataframe(readable(table, {"n": "Answers", "mean": "Mean grade"}), hide_index=True,
                 key="eval_stage_table")
    st.plotly_chart(charts.stage_chart(table), key="eval_stage_chart")
    names = dict(zip(table["run_id"], table["model"], strict=True))
    focus = st.selectbox("Model to inspect", list(names), index=len(names) - 1,
                         format_func=names.get, key="eval_focus")
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


def model_input(provider: str, key: str, configured: str, configured_provider: str) -> str:
    default = configured if provider == "offline" or configured_provider != "offline" else ""
    return st.text_input("Model", default, key=key)


if auth.role_at_least(actor.role, "curator"):
    st.subheader("Next stage")
    ev, fb = st.columns(2)
    ready = run_report.evaluable_runs(store)  # finished, or stopped with a checkpoint
    with ev:
        st.markdown("**Evaluate a run** (its answers and the base model's)")
        run = st.selectbox("Run", list(ready), format_func=ready.get, key="eval_run",
                           placeholder="No run has weights yet")
        if run is not None:
            st.caption(f"The run answers with {run_report.weights_note(store, run)}.")
        provider = st.selectbox("Evaluator", PROVIDERS, key="eval_provider",
                                index=PROVIDERS.index(settings.evaluator_provider))
        model = model_input(provider, "eval_model", settings.evaluator_model,
                            settings.evaluator_provider)
        n = st.number_input("Held-out items", 1, 100_000, 50, key="eval_n")
        if st.button("Launch evaluation", key="eval_launch", disabled=run is None):
            params = evaluate.EvaluateParams(run=run, provider=provider, model=model, n=int(n),
                                             concurrency=settings.concurrency)
            if attempt(lambda: evaluate.check_launch(actor, params)) is not None:
                jobs.start_in_background(evaluate.run_evaluate, store, params, actor=actor.name)
                st.success("Evaluation started; progress below.")
    with fb:
        st.markdown("**Feedback**: new next-stage triples for the weak answers")
        fb_run = st.selectbox("Evaluated run", list(table["run_id"]), key="fb_run")
        threshold = st.number_input("Weak: any grade below", 1.0, 100.0, 100.0, key="fb_threshold")
        fb_n = st.number_input("At most this many weak answers (0 = all)", 0, 100_000, 0,
                               key="fb_n")
        fb_provider = st.selectbox("Instructor", PROVIDERS, key="fb_provider",
                                   index=PROVIDERS.index(settings.instructor_provider))
        fb_model = model_input(fb_provider, "fb_model", settings.instructor_model,
                               settings.instructor_provider)
        if st.button("Generate feedback", key="fb_launch", disabled=fb_run is None):
            fb_params = feedback.FeedbackParams(
                run=fb_run, provider=fb_provider, model=fb_model, threshold=float(threshold),
                n=int(fb_n) or None, concurrency=settings.concurrency)
            if attempt(lambda: feedback.check_launch(actor, fb_params)) is not None:
                jobs.start_in_background(feedback.run_feedback, store, fb_params,
                                         actor=actor.name)
                st.success("Feedback generation started; verify the new items next.")

    for job in job_report.board(store, limit=20, kinds=("evaluate", "feedback")):
        st.progress(job["fraction"], text=f"{job['kind'].capitalize()} {job['id']}: "
                    f"{job['status']} — {job['summary']}")
        if job["explore"]:  # feedback's new triples, on the Explore page
            st.page_link("views/explore.py", label=f"Open the items of {job['id']} in Explore",
                         icon="🔎", query_params=job["explore"])
    # redraws when one of these jobs moves on, and only then
    rerun_on_change(lambda: job_report.board_key(store, ("evaluate", "feedback")),
                    "eval_jobs_seen")

render_matsci_table()
