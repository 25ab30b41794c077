"""status.json of a run folder: what the trainer is doing now (no torch import here, so the
trainer reports "starting" before the heavy libraries load).

state: starting (from launch until the first optimizer step: loading libraries, building or
loading the base model, preparing data, restoring a checkpoint; `phase` says which), running,
finished, stopped or failed. step is the optimizer step reached (a resumed run starts at its
checkpoint's step, never at 0).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from honeybee_core.training.files import now_iso, read_json, write_json_atomic

STATUS_FILE = "status.json"


class StatusFile:
    """status.json: state, phase, pid, step, max_steps, started_at, updated_at, eta_s, error."""

    def __init__(self, out_dir: Path, enabled: bool = True, *, state: str = "running",
                 step: int = 0, max_steps: int | None = None) -> None:
        self.path = Path(out_dir) / STATUS_FILE
        self.enabled = enabled
        launched = read_json(self.path) or {}  # the launcher's note on this very process
        started = launched.get("started_at") if launched.get("pid") == os.getpid() else None
        self.data: dict[str, Any] = {
            "state": state,
            "phase": None,
            "pid": os.getpid(),
            "step": step,
            "max_steps": max_steps,
            "started_at": started or now_iso(),  # when the launch began, for "starting (12 s)"
            "updated_at": now_iso(),
            "eta_s": None,
            "error": None,
        }

    def update(self, **fields: Any) -> None:
        self.data.update(fields, updated_at=now_iso())
        if self.enabled:
            write_json_atomic(self.path, self.data)


def checkpoint_step(checkpoint: Path) -> int:
    """The optimizer step a Trainer checkpoint folder was saved at (0 when unreadable)."""
    state = read_json(Path(checkpoint) / "trainer_state.json") or {}
    return int(state.get("global_step") or 0)


def previous_max_steps(out_dir: Path) -> int | None:
    """max_steps an earlier trainer of this folder reported (epochs-based runs learn it late)."""
    value = (read_json(Path(out_dir) / STATUS_FILE) or {}).get("max_steps")
    return int(value) if value else None
