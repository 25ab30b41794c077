"""The launch forms of the Evaluate page (evaluation and feedback), kept apart so the page stays
a short list of sections."""

import pandas as pd
import streamlit as st

from honeybee_core import run_report
from honeybee_core.auth import Actor
from honeybee_core.config import get_settings
from honeybee_core.pipeline import evaluation_job, evaluator, feedback, jobs
from honeybee_core.pipeline.prompts import EVALUATE_VERSIONS
from honeybee_core.providers import registry
from honeybee_core.store import Repository
from honeybee_core.training.decoding import DECODING_PRESETS
from views.common import attempt

PROVIDERS = registry.names()
STUDENTS = {"run": "a training run (and its base model)", "api": "an API model",
            "reference": "the Instructor's references"}


def model_input(provider: str, key: str, configured: str, configured_provider: str) -> str:
    default = registry.suggested_model(registry.provider_class(provider), configured_provider,
                                       configured)
    return st.text_input("Model", default, key=key)


def evaluate_form(store: Repository, actor: Actor) -> None:
    """Launch an evaluation of a run, an API model or the references."""
    settings = get_settings()
    st.markdown("**Evaluate** on the held-out set")
    kind = st.radio("Student", list(STUDENTS), format_func=STUDENTS.get, key="eval_kind")
    ready = run_report.evaluable_runs(store)  # finished, or stopped with a checkpoint
    run = st.selectbox("Run", list(ready), format_func=lambda r: ready[r], key="eval_run",
                       placeholder="No run has weights yet") if kind == "run" else None
    if run is not None:
        st.caption(f"The run answers with {run_report.weights_note(store, run)}.")
    decoding = st.selectbox("Decoding", list(DECODING_PRESETS), key="eval_decoding") \
        if kind == "run" else "greedy"
    student = st.text_input("API student (provider:model)", "openai:gpt-4o-mini",
                            key="eval_student") if kind == "api" else "reference"
    provider = st.selectbox("Evaluator", PROVIDERS, key="eval_provider",
                            index=PROVIDERS.index(registry.provider_class(settings.evaluator_provider).name))
    model = model_input(provider, "eval_model", settings.evaluator_model,
                        settings.evaluator_provider)
    rubric = st.selectbox("Rubric", EVALUATE_VERSIONS, index=len(EVALUATE_VERSIONS) - 1,
                          format_func=evaluator.RUBRIC_LABELS.__getitem__, key="eval_rubric")
    n = st.number_input("Held-out items (when the set is drawn)", 1, 100_000, 50, key="eval_n")
    if st.button("Launch evaluation", key="eval_launch", disabled=kind == "run" and not run):
        params = evaluation_job.EvaluateParams(
            run=run or "", student="" if kind == "run" else student, provider=provider,
            model=model, n=int(n), rubric=rubric, decoding=decoding,
            concurrency=settings.concurrency)
        if attempt(lambda: evaluation_job.check_launch(actor, params, settings)) is not None:
            jobs.start_in_background(evaluation_job.run_evaluate, store, params, actor=actor)
            st.success("Evaluation started; progress below.")


def feedback_form(store: Repository, actor: Actor, table: pd.DataFrame) -> None:
    """Launch feedback generation for one evaluated row."""
    settings = get_settings()
    st.markdown("**Feedback**: new next-stage triples for the weak answers")
    names = dict(zip(table["run_id"], table["model"], strict=True))  # says which weights
    fb_run = st.selectbox("Evaluated run", list(names), key="fb_run",
                          format_func=names.__getitem__)
    threshold = st.number_input("Weak: any grade below", 1.0, 100.0, 100.0, step=1.0, format="%.0f",
                                key="fb_threshold")
    fb_n = st.number_input("At most this many weak answers (0 = all)", 0, 100_000, 0,
                           key="fb_n")
    mode = st.selectbox("Prompt", list(feedback.MODES), key="fb_mode")
    fb_provider = st.selectbox("Instructor", PROVIDERS, key="fb_provider",
                               index=PROVIDERS.index(registry.provider_class(settings.instructor_provider).name))
    fb_model = model_input(fb_provider, "fb_model", settings.instructor_model,
                           settings.instructor_provider)
    if st.button("Generate feedback", key="fb_launch", disabled=fb_run is None):
        fb_params = feedback.FeedbackParams(
            run=fb_run, provider=fb_provider, model=fb_model, threshold=float(threshold),
            n=int(fb_n) or None, mode=mode, concurrency=settings.concurrency)
        if attempt(lambda: feedback.check_launch(actor, fb_params)) is not None:
            jobs.start_in_background(feedback.run_feedback, store, fb_params, actor=actor)
            st.success("Feedback generation started; verify the new items next.")
