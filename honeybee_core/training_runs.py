"""Training runs: launch from a snapshot, ingest what the run folder reports, stop, resume.

The training process never opens the database (DuckDB has one writer: the app or the CLI). It
writes status.json and metrics.jsonl into its run folder; `ingest` copies them into
training_runs / training_metrics. The same `launch_run` serves the CLI and the Train page.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from honeybee_core.auth import Actor, require, writes
from honeybee_core.config import Settings, get_settings
from honeybee_core.errors import InputError, NotFoundError, TrainingError
from honeybee_core.limits import read_json_object
from honeybee_core.store import Repository
from honeybee_core.training import runner
from honeybee_core.training.config import parse_config, save_config
from honeybee_core.training.presets import build_config

SNAPSHOT_FILE = "snapshot.parquet"
_METRIC_KEYS = ("step", "epoch", "loss", "eval_loss", "learning_rate", "tokens_per_s",
                "tokens_seen", "wall_s")


def resolve_snapshot(repo: Repository, snapshot: str) -> tuple[str | None, Path]:
    """(snapshot id or None for an outside file, path of its Parquet file), checked to be a
    Parquet file with the snapshot columns."""
    row = repo.snapshot(snapshot)
    if row is not None:
        path = Path(row["path"])
        if not path.is_file():
            raise NotFoundError(f"Snapshot {row['id']}'s file {path} is missing; curate again.")
        runner.check_snapshot(path)
        return row["id"], path
    path = Path(snapshot)
    if path.is_file():
        runner.check_snapshot(path)
        return None, path
    raise NotFoundError(
        f"Snapshot '{snapshot}' is neither a snapshot id nor a Parquet file; "
        "`honeybee curate` makes one."
    )


def _new_run_folder(folder: Path) -> Path:
    """Create the run folder (it must be new or empty); one InputError line otherwise."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out {folder} is a file; give a folder (new or empty) for the run.")
    try:
        if folder.exists() and any(folder.iterdir()):
            raise InputError(f"{folder} is not empty; choose a new --out folder.")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {folder} cannot be used as a run folder "
                         f"({exc.strerror or exc}); choose another.") from None
    return folder


@writes("launch_run")
def launch_run(
    repo: Repository, snapshot: str, actor: Actor, *, overrides: dict[str, Any] | None = None,
    stage: int | None = None, out_dir: str | Path | None = None, force: bool = False,
    settings: Settings | None = None, preset: str = "fast",
) -> dict[str, Any]:
    """Validate, copy the snapshot into a new run folder, start the detached training process;
    the preset's fields (training/presets.py) lie under the overrides."""
    require(actor, "launch_run", repo)
    settings = settings or get_settings()
    refresh_active(repo, actor=actor)
    if not force and repo.active_runs():
        raise TrainingError(
            f"Run {repo.active_runs()[0]} is still training; stop it first or launch with "
            "--force."
        )
    snapshot_id, source = resolve_snapshot(repo, snapshot)
    run_id = f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
    folder = Path(out_dir or Path(settings.runs_dir) / run_id).expanduser().resolve()
    # every check that can fail runs before the folder exists: a refusal leaves nothing behind
    config = build_config(preset, overrides, folder)
    config.model_copy(update={"snapshot_path": Path(source)}).resolved().check_inputs()
    existed = folder.exists()
    _new_run_folder(folder)
    try:
        shutil.copyfile(source, folder / SNAPSHOT_FILE)  # the run folder is self-contained
        info = runner.launch(config, force=force, lock_dir=None)
    except TrainingError:
        raise  # another trainer holds this folder: what is in it is theirs
    except OSError as exc:
        _discard(folder, existed)
        raise InputError(f"Cannot prepare the run folder {folder} ({exc.strerror or exc}).") \
            from None
    except BaseException:
        _discard(folder, existed)
        raise
    if stage is None:
        stage = _snapshot_stage(repo, snapshot_id)
    repo.insert_run({
        "id": run_id, "snapshot_id": snapshot_id, "stage": stage,
        "base_model": config.base_model,
        "init_adapter": str(config.init_adapter) if config.init_adapter else None,
        "config": config.model_dump_json(), "out_dir": str(folder), "status": "starting",
        "pid": info.pid, "max_steps": config.max_steps if config.max_steps > 0 else None,
        "created_by": actor.name,
    })
    return _get(repo, run_id)


def _discard(folder: Path, existed: bool) -> None:
    """Undo a launch that did not start: remove what it put in the folder."""
    if existed:
        for child in folder.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _snapshot_stage(repo: Repository, snapshot_id: str | None) -> int:
    if snapshot_id is None:
        return 1
    stages = repo.items_stage_max(snapshot_id)
    return stages or 1


@writes("launch_run")
def ingest(repo: Repository, run_id: str, *, actor: Actor) -> dict[str, Any]:
    """Copy the run folder's status and new metric lines into the database; return the run."""
    require(actor, "launch_run", repo)
    run = _get(repo, run_id)
    folder = Path(run["out_dir"])
    status = runner.read_status(folder)
    records, _ = runner.read_metrics(folder, 0)
    have = repo.metrics_lines(run_id)
    with repo.db.transaction() as cur:
        if have and not _still_there(records, repo.last_metric_line(run_id)):
            # a resume trimmed the file back to its checkpoint (and may have grown it again):
            # ingest it afresh, so no step is on the curve twice and none is missing
            repo.delete_metrics(run_id)
            have = 0
        fresh = [{**{k: rec.get(k) for k in _METRIC_KEYS}, "line": have + i}
                 for i, rec in enumerate(records[have:])
                 if rec.get("kind") in ("train", "eval")] if records[have:] else []
        if fresh:
            repo.insert_metrics(cur, run_id, fresh)
        state = status.get("state", "starting")
        fields: dict[str, Any] = {"status": state, "step": int(status.get("step") or 0)}
        if status.get("max_steps"):
            fields["max_steps"] = int(status["max_steps"])
        if state == "failed":
            tail = "\n".join(status.get("log_tail") or [])
            fields["error"] = f"{status.get('error') or 'failed'}\n{tail}".strip()[:4000]
        if state in ("finished", "stopped", "failed") and run["finished_at"] is None:
            fields["finished_at"] = dt.datetime.now()
            manifest = folder / "adapter" / "manifest.json"
            if manifest.is_file():
                final = json.loads(manifest.read_text(encoding="utf-8")).get("metrics")
                fields["final_metrics"] = json.dumps(final)
        repo.update_run(run_id, cur, **fields)
    return _get(repo, run_id)


def _still_there(records: list[dict[str, Any]], last: tuple | None) -> bool:
    """Whether the last ingested line is still the same record at the same line of the file."""
    if last is None:
        return True
    line, step, wall_s = last
    if line >= len(records):
        return False
    rec = records[line]
    return rec.get("step") == step and rec.get("wall_s") == wall_s


def _get(repo: Repository, run_id: str) -> dict[str, Any]:
    run = repo.run(run_id)
    if run is None:
        raise NotFoundError(f"Training run '{run_id}' does not exist; see the runs table.")
    return run


@writes("launch_run")
def refresh_active(repo: Repository, *, actor: Actor) -> None:
    require(actor, "launch_run", repo)
    for run_id in repo.active_runs():
        ingest(repo, run_id, actor=actor)


@writes("launch_run")
def stop_run(repo: Repository, run_id: str, actor: Actor) -> bool:
    """Ask the run to save a checkpoint and stop (SIGTERM to its process group)."""
    require(actor, "launch_run", repo)
    return runner.stop(_get(repo, run_id)["out_dir"])


@writes("launch_run")
def resume_run(repo: Repository, run_id: str, actor: Actor,
               extra_steps: int | None = None) -> dict[str, Any]:
    """Continue a stopped or failed run from its last checkpoint, in the same folder."""
    require(actor, "launch_run", repo)
    run = ingest(repo, run_id, actor=actor)
    if run["status"] in ("starting", "running"):
        raise TrainingError(f"Run {run_id} is still running; stop it before resuming.")
    folder = Path(run["out_dir"])
    if runner.is_running(folder) and runner.wait(folder, timeout=30)["alive"]:
        raise TrainingError(f"Run {run_id} has stopped but its process is still saving; "
                            "resume again in a few seconds.")
    path = folder / runner.RUN_FILE
    config = parse_config(read_json_object(path, "Run config"), str(path))
    if config.out_dir.expanduser().resolve() != folder.resolve():
        raise InputError(
            f"{path} names out_dir {config.out_dir}, not its own folder {folder}; a run trains "
            "only in its folder. Set out_dir back, or launch a new run."
        )
    changes: dict[str, Any] = {"resume": True}
    if extra_steps:
        changes["max_steps"] = int(run["step"]) + extra_steps
    config = config.model_copy(update=changes)
    save_config(config, folder / runner.RUN_FILE)
    info = runner.launch(config)
    repo.update_run(run_id, status="starting", pid=info.pid, error=None, finished_at=None,
                    config=config.model_dump_json())
    return ingest(repo, run_id, actor=actor)  # the checkpoint's step, from the first moment


@writes("launch_run")
def wait_for(repo: Repository, run_id: str, timeout: float = 3600, poll_s: float = 1.0,
             on_update: Any = None, *, actor: Actor) -> dict[str, Any]:
    """Ingest until the run ends (the CLI's foreground mode)."""
    require(actor, "launch_run", repo)
    deadline = time.monotonic() + timeout
    while True:
        run = ingest(repo, run_id, actor=actor)
        if on_update:
            on_update(run)
        if run["status"] not in ("starting", "running"):
            return run
        if time.monotonic() > deadline:
            raise TrainingError(f"Run {run_id} did not finish within {timeout:.0f} s; it is "
                                "still training in the background.")
        time.sleep(poll_s)


def commands(run: dict[str, Any], nproc: int = 2) -> dict[str, str]:
    """The equivalent command lines (python, torchrun, accelerate) for a run's run.json."""
    return runner.build_commands(Path(run["out_dir"]) / runner.RUN_FILE, nproc=nproc)


def artifacts(run: dict[str, Any]) -> list[dict[str, Any]]:
    folder = Path(run["out_dir"])
    if not folder.is_dir():
        return []
    return [{"path": str(p.relative_to(folder)), "bytes": p.stat().st_size}
            for p in sorted(folder.rglob("*")) if p.is_file() and "checkpoint-" not in str(p)]


_CLI_FLAGS = {"base_model": "--base-model", "init_adapter": "--init-adapter", "epochs": "--epochs",
              "max_steps": "--max-steps", "learning_rate": "--learning-rate",
              "lora_r": "--lora-r", "per_device_batch_size": "--batch-size"}


def preview_commands(snapshot: str, overrides: dict[str, Any], nproc: int = 2,
                     preset: str = "fast") -> dict[str, str]:
    """What launching these settings means on a command line, before anything starts: the
    `honeybee train` line (fields without a flag go into --config run.json) and the multi-GPU
    lines for the run.json the launch will write."""
    import shlex

    parts = ["honeybee", "train", "--snapshot", snapshot, "--preset", preset]
    extra = {}
    for key, value in overrides.items():
        if key in _CLI_FLAGS:
            parts += [_CLI_FLAGS[key], str(value)]
        else:
            extra[key] = value
    if extra:
        parts += ["--config", "extra.json"]
    lines = {"honeybee": shlex.join(parts)}
    if extra:
        lines["extra.json"] = json.dumps(extra)
    lines |= runner.build_commands("data/runs/<run-id>/run.json", nproc=nproc)
    return lines
