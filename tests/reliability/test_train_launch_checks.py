"""Training launches are checked before anything starts, and one run folder has one trainer.

The old launcher: `train --out FILE` and a binary run.json or --config ended in tracebacks, any
file passed as --snapshot was launched before anyone checked it was Parquet, `force` started a
second trainer in a live run's folder, and an edited out_dir in run.json was obeyed on resume.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from honeybee_core import training_runs as runs
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import load_settings
from honeybee_core.errors import InputError, TrainingError
from honeybee_core.store import Repository, open_database
from honeybee_core.training import runner
from honeybee_core.training.synthetic import write_snapshot
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

FAST = {"eval_steps": 4, "save_steps": 4, "logging_steps": 2, "per_device_batch_size": 4,
        "max_length": 256, "early_stopping_patience": 0}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    return write_snapshot(tmp_path_factory.mktemp("snap") / "snapshot.parquet", 64, seed=3)


def _refused(result, phrase: str) -> None:
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], lines


def _nothing_launched(db_path: Path, runs_dir: Path) -> None:
    database = open_database(db_path)
    assert Repository(database).table_counts()["training_runs"] == 0
    database.close()
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_bad_launch_inputs_get_one_line_and_launch_nothing(db_path, tmp_path, snapshot):
    runs_dir = tmp_path / "runs"
    env = {"HONEYBEE_RUNS_DIR": str(runs_dir)}
    out_file = tmp_path / "notes.txt"
    out_file.write_text("not a folder")
    _refused(run_cli("train", "--snapshot", str(snapshot), "--out", str(out_file), db=db_path,
                     env=env), "is a file")
    assert out_file.read_text() == "not a folder"
    csv_snapshot = tmp_path / "items.csv"
    csv_snapshot.write_text("instruction,input,output\na,b,c\n")
    _refused(run_cli("train", "--snapshot", str(csv_snapshot), db=db_path, env=env),
             "is not a Parquet file")
    no_columns = tmp_path / "other.parquet"
    pq.write_table(pa.table({"text": ["a"]}), no_columns)
    _refused(run_cli("train", "--snapshot", str(no_columns), db=db_path, env=env),
             "lacks column(s) id, instruction, input, output")
    binary = tmp_path / "extra.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    _refused(run_cli("train", "--snapshot", str(snapshot), "--config", str(binary), db=db_path,
                     env=env), "is not UTF-8 text")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    _refused(run_cli("train", "--snapshot", str(snapshot), "--config", str(deep), db=db_path,
                     env=env), "nested deeper than")
    _nothing_launched(db_path, runs_dir)


def _wait_running(repo: Repository, run_id: str) -> None:
    deadline = time.monotonic() + 180
    while runs.ingest(repo, run_id, actor=CLI_ACTOR)["status"] != "running":
        assert time.monotonic() < deadline, runs.ingest(repo, run_id, actor=CLI_ACTOR)
        time.sleep(0.3)


def test_one_trainer_per_run_folder_and_resume_checks_run_json(db_path, tmp_path, snapshot):
    settings = load_settings(db=db_path, runs_dir=tmp_path / "runs")
    database = open_database(db_path)
    repo = Repository(database)
    # no checkpoint before the stop: the second trainer must meet the lock, not a checkpoint
    run = runs.launch_run(repo, str(snapshot), CLI_ACTOR, settings=settings, overrides={
        **FAST, "max_steps": 100_000, "eval_steps": 50_000, "save_steps": 50_000})
    folder = Path(run["out_dir"])
    try:
        _wait_running(repo, run["id"])
        with pytest.raises(TrainingError, match="one trainer per run folder"):
            runner.launch(folder / runner.RUN_FILE, force=True)  # force skips the status check
        by_hand = subprocess.run(
            [sys.executable, "-m", runner.MODULE, "--config", str(folder / runner.RUN_FILE)],
            capture_output=True, text=True, env=runner.train_env(), timeout=120)
        assert by_hand.returncode == 2 and "one trainer per run folder" in by_hand.stderr
        assert runner.stop(folder, timeout=120)
        assert runs.ingest(repo, run["id"], actor=CLI_ACTOR)["status"] == "stopped"

        config = json.loads((folder / runner.RUN_FILE).read_text())
        (folder / runner.RUN_FILE).write_text(json.dumps({**config,
                                                          "out_dir": str(tmp_path / "moved")}))
        with pytest.raises(InputError, match="not its own folder"):
            runs.resume_run(repo, run["id"], CLI_ACTOR)
        assert not (tmp_path / "moved").exists() and not runner.is_running(folder)
    finally:
        pid = runner._run_pid(folder)
        if pid and runner.pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)
        database.close()
    os.close(runner.hold_trainer_lock(folder))  # the trainer is gone, so is its lock
    (folder / runner.RUN_FILE).write_bytes(os.urandom(512) + b"\x00\xff")
    _refused(run_cli("train", "--resume", run["id"], db=db_path,
                     env={"HONEYBEE_RUNS_DIR": str(tmp_path / "runs")}), "Run config")
