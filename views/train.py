"""Train: freeze a snapshot, launch LoRA finetuning, watch it, stop or resume it."""

import pandas as pd
import streamlit as st

from honeybee_core import charts, curation, review, run_report
from honeybee_core import training_runs as runs
from honeybee_core.config import get_settings
from honeybee_core.errors import HoneybeeError
from honeybee_core.training import presets
from honeybee_core.wording import readable
from views.common import attempt, current_actor, repo, rerun_on_change

store = repo()
actor = current_actor("curator")
st.title("Train")

with st.expander("Freeze a snapshot", expanded=store.snapshots().empty):
    spec = curation.SnapshotSpec(
        rule=st.text_input("Verifier rule", get_settings().filter_rule, key="snap_rule"),
        require_approval=st.checkbox("Require curator approval", key="snap_approval"),
        stages=tuple(st.multiselect("Stages", review.filter_options(store)["stages"],
                                    key="snap_stages", placeholder="All stages")),
        name=st.text_input("Name (optional)", key="snap_name") or None,
    )
    count = attempt(lambda: curation.preview(store, spec))
    if count is not None:
        st.caption(f"{count} items pass (rejected items and near-duplicates are always out).")
    if st.button("Freeze snapshot", key="snap_go", disabled=not count):
        snap = attempt(lambda: curation.create_snapshot(store, spec, actor))
        if snap:
            st.success(f"Snapshot {snap['id']}: {snap['n_items']} items, sha256 "
                       f"{snap['sha256'][:12]}…")

snapshots = store.snapshots()
st.subheader("Launch a run")
if snapshots.empty:
    st.info("Freeze a snapshot first.")
else:
    sizes = dict(zip(snapshots["id"], snapshots["n_items"], strict=True))
    snapshot = st.selectbox("Snapshot", list(sizes), key="run_snapshot",
                            format_func=lambda s: f"{s} ({sizes[s]} items)")
    finished = store.runs()
    adapters = [f"{o}/adapter" for o in finished.loc[finished["status"] == "finished", "out_dir"]]
    preset = st.selectbox("Recipe", list(presets.PRESETS), key="run_preset",
                          format_func=presets.DESCRIPTIONS.__getitem__)
    base, k = presets.build_config(preset), f"_{preset}"  # each recipe keeps its own widgets
    a, b, c, d = st.columns(4)
    overrides = {
        "base_model": a.text_input("Base model (tiny, path or hub id)", "tiny", key="run_base"),
        "epochs": b.number_input("Epochs", 0.1, 100.0, base.epochs, key="run_epochs" + k),
        "max_steps": c.number_input("Max steps (-1: by epochs)", -1, 10**7, -1, key="run_steps"),
        "learning_rate": d.number_input("Learning rate", 1e-6, 1.0, base.learning_rate,
                                        format="%.0e", key="run_lr" + k),
        "lora_r": a.number_input("LoRA r", 1, 256, base.lora_r, key="run_r" + k),
        "lora_alpha": b.number_input("LoRA alpha", 1, 512, base.lora_alpha, key="run_alpha" + k),
        "lora_dropout": c.number_input("LoRA dropout", 0.0, 0.9, base.lora_dropout,
                                       key="run_dropout" + k),
        "per_device_batch_size": d.number_input("Batch size per device", 1, 512,
                                                base.per_device_batch_size, key="run_batch" + k),
        "max_length": a.number_input("Max tokens", 16, 8192, base.max_length, key="run_len" + k),
        "eval_steps": b.number_input("Eval every", 1, 10**6, base.eval_steps, key="run_eval",
                                     disabled=base.eval_per_epoch),
        "save_steps": c.number_input("Checkpoint every", 1, 10**6, base.save_steps,
                                     key="run_save", disabled=base.eval_per_epoch),
        "early_stopping_patience": d.number_input("Early-stop patience (0 off)", 0, 100,
                                                  base.early_stopping_patience,
                                                  key="run_patience" + k),
        "gradient_checkpointing": a.checkbox("Gradient checkpointing", key="run_gc"),
    }
    init = b.selectbox("Continue from adapter", [None, *adapters], key="run_init")
    if init:
        overrides["init_adapter"] = init
    with st.expander("Equivalent commands (CLI, torchrun, accelerate)"):
        for name, line in runs.preview_commands(snapshot, overrides, preset=preset).items():
            st.code(line, language="bash" if name != "extra.json" else "json")
    force = st.checkbox("Launch even if a run is active", key="run_force")
    if st.button("Launch", key="run_launch", type="primary"):
        run = attempt(lambda: runs.launch_run(store, snapshot, actor, overrides=overrides,
                                              force=force, preset=preset))
        if run:
            st.success(f"Run {run['id']} started.")

# redraws when a run's state, phase, step or curve changes (it ingests the active runs)
rerun_on_change(lambda: run_report.board_key(store, actor), "run_board_seen")
st.subheader("Runs")
table = run_report.runs_table(store)
if table.empty:
    st.caption("No runs yet.")
    st.stop()
st.dataframe(readable(table, {"best_eval_loss": "Best validation loss"}), hide_index=True,
             key="runs_table")
run_id = st.selectbox("Run", table["id"], key="run_pick")


def _act(action) -> None:
    # before the page draws the run: the progress line below already shows the change
    try:
        action(store, run_id, actor)
    except HoneybeeError as exc:
        st.session_state["run_error"] = str(exc)


run = store.run(run_id)
if run is None:  # picked from the table above: gone only if deleted meanwhile
    st.stop()
if run["status"] in run_report.ACTIVE:
    st.button("Stop (saves a checkpoint)", key="run_stop", on_click=_act, args=(runs.stop_run,))
elif run["status"] in ("stopped", "failed"):
    st.button("Resume", key="run_resume", on_click=_act, args=(runs.resume_run,))
if error := st.session_state.pop("run_error", None):
    st.error(error)
fraction, line = run_report.progress(run)
st.progress(fraction, text=line)
st.plotly_chart(charts.training_curves(store.run_metrics(run_id)), key="run_curves")
if run["error"]:
    st.error(run["error"])
with st.expander("Artifacts"):
    st.dataframe(readable(pd.DataFrame(runs.artifacts(run))), hide_index=True,
                 key="run_artifacts")
