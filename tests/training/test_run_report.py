"""Run folders read without training: which weights an evaluation loads, the progress line in
words, and metrics re-ingested after a resume trimmed the file."""

from __future__ import annotations

import json
from pathlib import Path

from honeybee_core import run_report
from honeybee_core import training_runs as runs
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.training.adapters import describe, find_weights, label_step, weights_at


def adapter(folder: Path, step: int | None = None, *, checkpoint: bool = False) -> Path:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    if checkpoint:
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    elif step is not None:
        (folder / "manifest.json").write_text(json.dumps({"metrics": {"global_step": step}}))
    return folder


def test_the_newest_weights_are_chosen_and_named(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    assert find_weights(run) is None
    adapter(run / "checkpoint-10", 10, checkpoint=True)
    only = find_weights(run)
    assert (only.source, only.step, only.is_checkpoint) == ("checkpoint-10", 10, True)
    assert only.note == ("its last checkpoint, checkpoint-10 (step 10): the run has no newer "
                         "final adapter")
    adapter(run / "adapter", 16)  # a clean stop at 16 saved the adapter
    assert find_weights(run).note == "its final adapter (step 16)"
    adapter(run / "checkpoint-20", 20, checkpoint=True)  # resumed, then killed at 23
    assert find_weights(run).source == "checkpoint-20"


def test_each_weights_of_a_run_has_its_own_grade_label(tmp_path):
    run = tmp_path / "run"
    adapter(run / "checkpoint-8", 8, checkpoint=True)
    assert find_weights(run).label == "checkpoint-8"
    stopped = adapter(run / "adapter")
    (stopped / "manifest.json").write_text(json.dumps(
        {"state": "stopped", "metrics": {"global_step": 11}}))
    weights = find_weights(run)
    assert (weights.label, weights.note) == (
        "stopped-at-11", "the adapter it saved when stopped (step 11)")
    assert describe(weights.label) == "adapter saved when stopped at step 11"
    (stopped / "manifest.json").write_text(json.dumps(  # resumed to the end: saved again
        {"state": "finished", "metrics": {"global_step": 30}}))
    assert weights_at(stopped).label == "final" and describe("final") == "final adapter"
    assert sorted(["final", "checkpoint-12", "stopped-at-11", "checkpoint-8"],
                  key=label_step) == ["checkpoint-8", "stopped-at-11", "checkpoint-12", "final"]


def test_progress_lines_say_what_a_run_is_doing():
    status = {"phase": "building the tiny base model", "started_at": None}
    starting = {"status": "starting", "step": 0, "max_steps": 60, "out_dir": "x"}
    assert run_report.progress(starting, status) == (
        0.0, "Starting: building the tiny base model")
    resumed = {**starting, "step": 17}
    assert run_report.progress(resumed, {"phase": "restoring checkpoint-17"})[1] == (
        "Starting: restoring checkpoint-17, resuming at step 17 of 60")
    running = {**starting, "status": "running", "step": 30}
    assert run_report.progress(running, {"eta_s": 41.6}) == (
        0.5, "Running: step 30 of 60, about 42 s left")
    stopped = {**starting, "status": "stopped", "step": 17}
    assert run_report.progress(stopped, {})[1].startswith("Stopped at step 17 of 60: evaluate")


def test_a_trimmed_metrics_file_is_ingested_afresh(repo, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    repo.insert_run({"id": "r1", "stage": 1, "base_model": "tiny", "config": "{}",
                     "out_dir": str(folder),
                     "status": "running", "max_steps": 20})

    def write(steps, wall0=0.0):
        lines = [json.dumps({"kind": "train", "step": s, "loss": 1 / s, "wall_s": wall0 + s})
                 for s in steps]
        (folder / "metrics.jsonl").write_text("".join(x + "\n" for x in lines))

    (folder / "status.json").write_text(json.dumps({"state": "stopped", "step": 17}))
    write(range(1, 18))
    runs.ingest(repo, "r1", actor=CLI_ACTOR)
    assert repo.run_metrics("r1")["step"].tolist() == list(range(1, 18))
    # resumed from checkpoint-10: the trainer kept 1-10 and wrote 11-20 again, longer than
    # before by the time the app looks
    write([*range(1, 11), *range(11, 21)])
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    again = [json.dumps({**json.loads(x), "wall_s": json.loads(x)["wall_s"] + 100})
             for x in lines[10:]]
    (folder / "metrics.jsonl").write_text("\n".join(lines[:10] + again) + "\n")
    runs.ingest(repo, "r1", actor=CLI_ACTOR)
    metrics = repo.run_metrics("r1")
    assert metrics["step"].tolist() == list(range(1, 21))  # once each, none missing
    assert metrics["wall_s"].tolist() == [*range(1, 11), *range(111, 121)]  # the new 11-17
