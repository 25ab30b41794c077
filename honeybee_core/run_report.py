"""Training runs as a person reads them on the Train and Evaluate pages: a progress line in
words, a runs table without JSON, which runs can be evaluated with which weights, and a cheap
fingerprint that tells a page when to redraw.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pandas as pd

from honeybee_core import training_runs
from honeybee_core.auth import Actor, require, writes
from honeybee_core.store import Repository, rows
from honeybee_core.training import runner
from honeybee_core.training.adapters import find_weights

ACTIVE = ("starting", "running")


def _seconds_since(iso: str | None) -> float | None:
    try:
        started = dt.datetime.fromisoformat(str(iso))
    except (TypeError, ValueError):
        return None
    return (dt.datetime.now(dt.UTC) - started).total_seconds()


def _of(step: int, total: int | None) -> str:
    return f"step {step:,} of {total:,}" if total else f"step {step:,}"


def progress(run: dict[str, Any], status: dict[str, Any] | None = None) -> tuple[float, str]:
    """(fraction done, one line) for a run: 'Starting: loading the base model (12 s)',
    'Running: step 17 of 60, about 40 s left', 'Stopped at step 17 of 60: ...'."""
    status = status if status is not None else runner.read_status(run["out_dir"])
    step = int(run["step"] or 0)
    total = run["max_steps"] or status.get("max_steps") or None
    fraction = min(1.0, step / total) if total else 0.0
    state = run["status"]
    if state == "starting":
        waited = _seconds_since(status.get("started_at"))
        took = f" ({waited:.0f} s)" if waited is not None and waited >= 0 else ""
        resumed = f", resuming at {_of(step, total)}" if step else ""
        return fraction, f"Starting: {status.get('phase') or 'launching'}{took}{resumed}"
    if state == "running":
        eta = status.get("eta_s")
        left = f", about {eta:.0f} s left" if isinstance(eta, int | float) and eta > 0 else ""
        phase = f" ({status['phase']})" if status.get("phase") else ""
        return fraction, f"Running: {_of(step, total)}{left}{phase}"
    if state == "finished":
        return 1.0, f"Finished at {_of(step, total)}"
    if state == "stopped":
        return fraction, (f"Stopped at {_of(step, total)}: evaluate its last weights on the "
                          "Evaluate page, or resume it here")
    return fraction, f"{str(state).capitalize()} at {_of(step, total)}"


def _best_eval_loss(final_metrics: Any) -> float | None:
    try:
        value = json.loads(final_metrics).get("best_eval_loss")
    except (TypeError, ValueError, AttributeError):
        return None
    return None if value is None or not math.isfinite(float(value)) else float(value)


def runs_table(repo: Repository, limit: int = 50) -> pd.DataFrame:
    """The latest runs for a table: id, stage, status, progress, best validation loss, base
    model, snapshot, who and when (no JSON, no folders)."""
    table = repo.runs(limit)
    return pd.DataFrame({
        "id": table["id"], "stage": table["stage"], "status": table["status"],
        "progress": [f"{int(s):,} / {int(m):,}" if pd.notna(m) and m else f"{int(s):,}"
                     for s, m in zip(table["step"], table["max_steps"], strict=True)],
        "best_eval_loss": [_best_eval_loss(f) for f in table["final_metrics"]],
        "base_model": table["base_model"], "snapshot_id": table["snapshot_id"],
        "created_by": table["created_by"], "started_at": table["started_at"],
        "finished_at": table["finished_at"],
    })


@writes("launch_run")
def board_key(repo: Repository, actor: Actor) -> Hashable:
    """What the run board shows, after ingesting active runs (actor: who watches, a curator):
    it changes exactly when the board would look different (state, phase, step, a new metrics
    line, a new run)."""
    require(actor, "launch_run", repo)
    training_runs.refresh_active(repo, actor=actor)
    shown = []
    for run in rows(repo.runs(20)):
        phase = runner.read_status(run["out_dir"]).get("phase") if run["status"] in ACTIVE \
            else None
        shown.append((run["id"], run["status"], int(run["step"] or 0), phase,
                      repo.metrics_lines(run["id"]) if run["status"] in ACTIVE else None))
    return tuple(shown)


def evaluable_runs(repo: Repository) -> dict[str, str]:
    """run id -> label of every run that is not training and has weights to answer with:
    'run-… · finished · final adapter (step 60)' or '… · stopped · checkpoint-40 (step 40)'."""
    found = {}
    for run in rows(repo.runs(200)):
        if run["status"] in ACTIVE:
            continue
        weights = find_weights(Path(run["out_dir"]))
        if weights is not None:
            what = weights.source if weights.is_checkpoint else "final adapter"
            at = f" (step {weights.step})" if weights.step is not None else ""
            found[run["id"]] = f"{run['id']} · {run['status']} · {what}{at}"
    return found


def weights_note(repo: Repository, run_id: str) -> str:
    """Which weights an evaluation of the run would load, in words."""
    run = repo.run(run_id)
    weights = find_weights(Path(run["out_dir"])) if run else None
    return weights.note if weights else "no weights yet"
