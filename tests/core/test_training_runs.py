"""Snapshots and training runs through the database: curate -> launch -> ingest -> adapter."""

from __future__ import annotations

import json
import os
import signal
import stat
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from honeybee_core import curation
from honeybee_core import training_runs as runs
from honeybee_core.auth import CLI_ACTOR, Actor
from honeybee_core.config import load_settings
from honeybee_core.demo import seed_demo
from honeybee_core.errors import InputError, PermissionDeniedError, TrainingError
from honeybee_core.training import runner
from tests.conftest import ROOT, run_cli

FAST = {"max_steps": 12, "eval_steps": 4, "save_steps": 4, "logging_steps": 2,
        "per_device_batch_size": 4, "max_length": 256, "early_stopping_patience": 0}
REVIEWER = Actor("rita", "reviewer")


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    """One seeded demo database, copied per test (seeding takes a few seconds)."""
    from honeybee_core.store import Repository, open_database

    folder = tmp_path_factory.mktemp("demo")
    settings = load_settings(db=folder / "demo.duckdb", runs_dir=folder / "runs")
    database = open_database(settings.db)
    seed_demo(Repository(database), settings, actor=CLI_ACTOR)
    database.close()
    return settings.db


@pytest.fixture
def env(demo_source, tmp_path):
    from honeybee_core.store import Repository, open_database

    path = tmp_path / "db.duckdb"
    path.write_bytes(demo_source.read_bytes())
    settings = load_settings(db=path, runs_dir=tmp_path / "runs")
    database = open_database(path)
    yield Repository(database), settings
    for run_id in Repository(database).active_runs():
        runner.stop(Repository(database).run(run_id)["out_dir"], timeout=30)
    database.close()


def test_snapshot_is_frozen_hashed_and_content_addressed(env):
    repo, settings = env
    spec = curation.SnapshotSpec(rule="mean>=70")
    expected = curation.preview(repo, spec)
    snap = curation.create_snapshot(repo, spec, CLI_ACTOR, settings)
    path = Path(snap["path"])
    assert snap["n_items"] == expected == pq.read_table(path).num_rows > 0
    import hashlib

    assert hashlib.sha256(path.read_bytes()).hexdigest() == snap["sha256"]
    assert not path.stat().st_mode & stat.S_IWUSR  # read-only on disk
    again = curation.create_snapshot(repo, spec, CLI_ACTOR, settings)
    assert again["id"] == snap["id"]  # same content, same snapshot
    # rejecting an item changes the selection, so a new snapshot, and the old one is untouched
    victim = pq.read_table(path).column("id")[0].as_py()
    with repo.db.transaction() as cur:
        repo.add_decisions(cur, [victim], "reject", "curator", "wrong")
    newer = curation.create_snapshot(repo, spec, CLI_ACTOR, settings)
    assert newer["id"] != snap["id"] and newer["n_items"] == snap["n_items"] - 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == snap["sha256"]


def test_snapshot_rules_and_permissions(env):
    repo, settings = env
    with pytest.raises(PermissionDeniedError):
        curation.create_snapshot(repo, curation.SnapshotSpec("mean>=0"), REVIEWER, settings)
    with pytest.raises(InputError, match="No item passes"):
        curation.create_snapshot(repo, curation.SnapshotSpec("mean>=0", require_approval=True),
                                 CLI_ACTOR, settings)
    with pytest.raises(InputError):
        curation.preview(repo, curation.SnapshotSpec("mean>=lots"))


def test_tiny_run_end_to_end_is_ingested(env):
    repo, settings = env
    snap = curation.create_snapshot(repo, curation.SnapshotSpec("mean>=60"), CLI_ACTOR,
                                    settings)
    with pytest.raises(PermissionDeniedError):
        runs.launch_run(repo, snap["id"], REVIEWER, overrides=FAST, settings=settings)
    run = runs.launch_run(repo, snap["id"], CLI_ACTOR, overrides=FAST, settings=settings)
    with pytest.raises(TrainingError, match="still training"):
        runs.launch_run(repo, snap["id"], CLI_ACTOR, overrides=FAST, settings=settings)
    done = runs.wait_for(repo, run["id"], timeout=240, poll_s=0.5, actor=CLI_ACTOR)
    assert done["status"] == "finished", done["error"]
    assert done["step"] == 12 and done["stage"] == 1
    metrics = repo.run_metrics(run["id"])
    train = metrics.dropna(subset=["loss"])
    assert len(train) >= 5 and metrics["eval_loss"].notna().sum() >= 3
    assert list(metrics["step"]) == sorted(metrics["step"])
    manifest = json.loads((Path(done["out_dir"]) / "adapter" / "manifest.json").read_text())
    assert manifest["snapshot"]["sha256"] == snap["sha256"]
    assert json.loads(done["final_metrics"]) == manifest["metrics"]
    assert runs.ingest(repo, run["id"], actor=CLI_ACTOR)["step"] == 12  # re-ingest adds nothing
    assert len(repo.run_metrics(run["id"])) == len(metrics)
    commands = runs.commands(done)
    assert "torchrun --standalone --nproc_per_node 2" in commands["torchrun"]
    # the finished adapter answers the MatSci-NLP harness through the CLI
    folder = Path(done["out_dir"]).parent / "matsci"
    bench = run_cli("matsci-nlp", "run", "--model", done["out_dir"], "--data",
                    str(ROOT / "tests" / "data" / "matsci_nlp"), "--task", "pc", "--task", "sc",
                    "--limit", "6", "--bootstrap", "50", "--out", str(folder), "--json",
                    db=Path(done["out_dir"]).parent / "other.duckdb")
    assert bench.returncode == 0, bench.stderr
    report = json.loads(bench.stdout)
    for task in ("pc", "sc"):
        assert report["tasks"][task]["n"] == 6
        assert 0.0 <= report["tasks"][task]["micro_f1"] <= 1.0
    assert len((folder / "predictions.jsonl").read_text("utf-8").splitlines()) == 12


def test_killed_run_is_marked_failed_with_log_tail(env):
    repo, settings = env
    snap = curation.create_snapshot(repo, curation.SnapshotSpec("mean>=60"), CLI_ACTOR,
                                    settings)
    run = runs.launch_run(repo, snap["id"], CLI_ACTOR,
                          overrides={**FAST, "max_steps": 2000}, settings=settings)
    deadline = time.monotonic() + 120
    while (runs.ingest(repo, run["id"], actor=CLI_ACTOR)["status"] != "running"
           and time.monotonic() < deadline):
        time.sleep(0.3)
    os.killpg(run["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while (runs.ingest(repo, run["id"], actor=CLI_ACTOR)["status"] != "failed"
           and time.monotonic() < deadline):
        time.sleep(0.2)
    failed = repo.run(run["id"])
    assert failed["status"] == "failed"
    assert "killed or crashed" in failed["error"]


def killed_after_a_checkpoint(repo, settings) -> dict:
    """A run killed (no clean stop, so no final adapter) once it has checkpoints, seen failed."""
    snap = curation.create_snapshot(repo, curation.SnapshotSpec("mean>=60"), CLI_ACTOR,
                                    settings)
    run = runs.launch_run(repo, snap["id"], CLI_ACTOR, settings=settings,
                          overrides={**FAST, "max_steps": 2000})
    _observe(repo, run["id"], lambda r: r["step"] >= 9)
    os.killpg(run["pid"], signal.SIGKILL)
    _observe(repo, run["id"], lambda r: r["status"] == "failed", timeout=30)
    return run


def _observe(repo, run_id, until, timeout=240):
    """(status, phase, step, max_steps) each time it changes, until until(run) holds."""
    from honeybee_core import run_report

    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = runs.ingest(repo, run_id, actor=CLI_ACTOR)
        status = runner.read_status(run["out_dir"])
        if status["state"] != run["status"]:  # it moved on between the two reads
            time.sleep(0.05)
            continue
        now = (run["status"], status.get("phase"), run["step"], run["max_steps"],
               run_report.progress(run, status)[1])
        if not seen or seen[-1] != now:
            seen.append(now)
        if until(run):
            return seen
        time.sleep(0.05)
    pytest.fail(f"run {run_id} did not get there: {seen[-3:]}")


def test_starting_until_the_first_step_then_stop_resume_keeps_step_and_curve(env):
    repo, settings = env
    snap = curation.create_snapshot(repo, curation.SnapshotSpec("mean>=60"), CLI_ACTOR,
                                    settings)
    over = {"max_steps": 30, "eval_steps": 5, "save_steps": 5, "per_device_batch_size": 4,
            "max_length": 256, "early_stopping_patience": 0}  # logging: every step (default)
    run = runs.launch_run(repo, snap["id"], CLI_ACTOR, overrides=over, settings=settings)
    seen = _observe(repo, run["id"], lambda r: r["step"] >= 8)
    first_running = next(i for i, s in enumerate(seen) if s[0] == "running")
    assert first_running > 0 and seen[0][0] == "starting"
    assert all(s[0] == "starting" and s[1] and s[2] == 0 and s[4].startswith("Starting: ")
               for s in seen[:first_running]), seen  # says what it does while it really starts
    assert all(s[0] != "starting" for s in seen[first_running:])
    assert {s[1] for s in seen[:first_running]} <= {
        "launching", "loading the training libraries", "building the tiny base model",
        "loading the base model tiny", f"preparing {snap['n_items']:,} items",
        "setting up the trainer"}
    runs.stop_run(repo, run["id"], CLI_ACTOR)
    _observe(repo, run["id"], lambda r: r["status"] == "stopped")
    stopped = repo.run(run["id"])["step"]
    resumed = runs.resume_run(repo, run["id"], CLI_ACTOR)
    assert resumed["status"] == "starting" and resumed["step"] == stopped  # not 0 of 30
    from honeybee_core import run_report

    assert f"resuming at step {stopped} of 30" in run_report.progress(resumed)[1]
    after = _observe(repo, run["id"], lambda r: r["status"] == "finished")
    assert min(s[2] for s in after) == stopped
    metrics = repo.run_metrics(run["id"])
    train = metrics.dropna(subset=["loss"])["step"].tolist()
    assert train == list(range(1, 31))  # every step on the curve, once
    assert metrics.dropna(subset=["eval_loss"])["step"].tolist() == [5, 10, 15, 20, 25, 30]
    assert run_report.progress(repo.run(run["id"]))[1] == "Finished at step 30 of 30"


def test_a_killed_run_is_evaluated_from_its_last_checkpoint_and_says_so(env):
    from honeybee_core import run_report
    from honeybee_core.pipeline.evaluation_job import EvaluateParams, run_evaluate

    repo, settings = env
    run = killed_after_a_checkpoint(repo, settings)
    folder = Path(run["out_dir"])
    assert not (folder / "adapter").exists()
    label = run_report.evaluable_runs(repo)[run["id"]]
    assert label.startswith(f"{run['id']} · failed · checkpoint-") and "(step " in label
    outcome = run_evaluate(repo, EvaluateParams(run=run["id"], n=3, include_base=False,
                                                max_new_tokens=8), settings=settings,
                           actor=CLI_ACTOR)
    assert outcome.status == "finished" and repo.evaluation_count(run["id"]) == 3
    assert outcome.weights.startswith("its last checkpoint, checkpoint-")
    assert Path(outcome.folder).name.startswith("answers-8-checkpoint-")
