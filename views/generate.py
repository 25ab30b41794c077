"""Generate: launch Instructor and Verifier jobs; cost up front, progress live."""

import hashlib
from pathlib import Path

import streamlit as st

from honeybee_core import job_report, safefile
from honeybee_core.config import get_settings
from honeybee_core.pipeline import jobs
from honeybee_core.pipeline.costs import estimate_generation, estimate_verification
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.pipeline.prompts import VERIFY_VERSION
from honeybee_core.pipeline.taxonomy import TASK_TYPES, TOPICS
from honeybee_core.providers import registry
from honeybee_core.wording import readable
from views.common import attempt, current_actor, repo, rerun_on_change

PROVIDERS = registry.names()
settings = get_settings()
store = repo()
actor = current_actor("curator")
prices = {k: (v[0], v[1]) for k, v in settings.prices.items()}

st.title("Generate and verify")
st.caption("The offline provider is a deterministic heuristic for demos and tests, not an LLM.")
gen, ver = st.columns(2)

with gen:
    st.subheader("Instructor")
    kind = registry.provider_class(st.selectbox(
        "Provider", PROVIDERS, key="gen_provider",
        index=PROVIDERS.index(registry.provider_class(settings.instructor_provider).name)))
    model = st.text_input("Model", registry.suggested_model(
        kind, settings.instructor_provider, settings.instructor_model), key="gen_model")
    topics = st.multiselect("Topics", TOPICS, key="gen_topics", placeholder="All 20 topics")
    kinds = st.multiselect("Task types", TASK_TYPES, key="gen_task_types",
                           placeholder="All 20 task types")
    upload = st.file_uploader("Grounding passages (JSONL with 'text', or blank-line separated "
                              "text)", type=["jsonl", "txt", "md"], key="gen_grounded")
    n = st.number_input("Triples", 1, 100_000, 50, key="gen_n")
    per_call = st.number_input("Triples per call", 1, 20, 5, key="gen_per_call")
    stage = st.number_input("Stage", 1, 10, 1, key="gen_stage")
    concurrency = st.number_input("Concurrency", 1, 256, settings.concurrency, key="gen_conc")
    batch = st.checkbox("Batch API (half price, hours)", key="gen_batch",
                        disabled=not kind.supports_batch)
    est = estimate_generation(int(n), int(per_call), model, upload is not None, batch, prices)
    st.caption(f"Estimate: {est.calls} calls, ~{est.input_tokens:,} input and "
               f"~{est.output_tokens:,} output tokens, ${est.cost_usd:.2f}"
               + ("" if est.priced else " (model not in the price table: set HONEYBEE_PRICES)"))
    if st.button("Launch generation", key="gen_launch", type="primary"):
        grounded = None
        if upload is not None:  # keep the passages with the runs so a resumed job finds them
            digest = hashlib.sha256(upload.getvalue()).hexdigest()[:16]
            name = safefile.plain_name(upload.name)  # the browser chose it: no "../"
            target = Path(settings.runs_dir) / "uploads" / f"{digest}-{name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(upload.getvalue())
            grounded = str(target)
        params = GenerateParams(
            n=int(n), provider=kind, model=model, stage=int(stage), topics=tuple(topics),
            task_types=tuple(kinds), grounded=grounded, per_call=int(per_call),
            concurrency=int(concurrency), batch=batch,
            seed=jobs.next_generate_seed(store))
        if attempt(lambda: jobs.check_launch(actor, params)) is not None:
            jobs.start_in_background(jobs.run_generate, store, params, actor=actor)
            st.success("Generation started; progress below.")

with ver:
    st.subheader("Verifier")
    v_kind = registry.provider_class(st.selectbox(
        "Provider", PROVIDERS, key="ver_provider",
        index=PROVIDERS.index(registry.provider_class(settings.verifier_provider).name)))
    v_model = st.text_input("Model", registry.suggested_model(
        v_kind, settings.verifier_provider, settings.verifier_model), key="ver_model")
    v_conc = st.number_input("Concurrency", 1, 256, settings.concurrency, key="ver_conc")
    v_batch = st.checkbox("Batch API (half price, hours)", key="ver_batch",
                          disabled=not v_kind.supports_batch)
    waiting = store.count_to_verify(f"{v_kind.name}:{v_model}", VERIFY_VERSION)
    v_est = estimate_verification(waiting, v_model, v_batch, prices)
    st.caption(f"{waiting:,} items not yet scored by {v_kind.name}:{v_model}; estimate "
               f"${v_est.cost_usd:.2f}")
    if st.button("Launch verification", key="ver_launch", type="primary", disabled=not waiting):
        v_params = jobs.VerifyParams(provider=v_kind, model=v_model,
                                     concurrency=int(v_conc), batch=v_batch)
        if attempt(lambda: jobs.check_launch(actor, v_params)) is not None:
            jobs.start_in_background(jobs.run_verify, store, v_params, actor=actor)
            st.success("Verification started; progress below.")


def job_states() -> tuple:
    return tuple(store.jobs(limit=8)[["id", "status"]].itertuples(index=False))


# the board polls only while a job runs; otherwise an invisible watcher notices a new job
@st.fragment(run_every=2 if any(s in ("queued", "running") for _, s in job_states()) else None)
def job_board() -> None:
    st.subheader("Jobs")
    for job in job_report.board(store, limit=8):
        label = f"{job['kind'].capitalize()} {job['id']}: {job['status']} — {job['summary']}"
        st.progress(job["fraction"], text=label)
        if job["explore"]:  # the items it wrote, on the Explore page
            st.page_link("views/explore.py", label=f"Open the items of {job['id']} in Explore",
                         icon="🔎", query_params=job["explore"])
        if job["status"] == "running" and st.button("Cancel", key=f"cancel_{job['id']}"):
            jobs.request_cancel(job["id"])
    history = job_report.history(store)
    if len(history):
        st.dataframe(readable(history, {"summary": "What it did"}), hide_index=True,
                     key="jobs_table")


job_board()
rerun_on_change(job_states, "gen_jobs_seen")
