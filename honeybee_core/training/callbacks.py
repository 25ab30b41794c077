"""Trainer callbacks: metrics.jsonl + status.json for the UI, and signal-driven clean stops."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from honeybee_core.training.files import now_iso
from honeybee_core.training.status import STATUS_FILE, StatusFile
from honeybee_core.training.stopflag import StopFlag

METRICS_FILE = "metrics.jsonl"
__all__ = ["METRICS_FILE", "STATUS_FILE", "ProgressCallback", "StatusFile",
           "StopOnSignalCallback", "trim_metrics"]


def trim_metrics(out_dir: Path, max_step: int) -> float:
    """Drop lines past the resumed checkpoint so the curve stays strictly increasing.

    Returns the last kept wall_s, so wall time keeps accumulating across resumes.
    """
    path = Path(out_dir) / METRICS_FILE
    if not path.exists():
        return 0.0
    kept, wall = [], 0.0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by SIGKILL
        if rec.get("kind") != "summary" and int(rec.get("step", 0)) <= max_step:
            kept.append(line)
            wall = max(wall, float(rec.get("wall_s") or 0.0))
    path.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
    return wall


class ProgressCallback(TrainerCallback):
    """Appends one JSON line per Trainer log and keeps status.json fresh (rank 0 only)."""

    def __init__(self, out_dir: Path, status: StatusFile, wall_offset: float = 0.0) -> None:
        self.metrics_path = Path(out_dir) / METRICS_FILE
        self.status = status
        self.wall_offset = wall_offset
        self.t0 = time.time()
        self.first_step: int | None = None
        self.last_status_write = 0.0
        self.last_tokens: int | None = None
        self.last_time = self.t0

    def _eta(self, state: Any) -> float | None:
        if self.first_step is None or state.global_step <= self.first_step:
            return None
        per_step = (time.time() - self.t0) / (state.global_step - self.first_step)
        return round(per_step * max(state.max_steps - state.global_step, 0), 1)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.first_step = state.global_step
        self.t0 = self.last_time = time.time()
        self.last_tokens = state.num_input_tokens_seen
        if state.is_world_process_zero:  # the first optimizer step is next: no longer starting
            self.status.update(state="running", phase=None, step=state.global_step,
                               max_steps=state.max_steps)

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        # Throttled: tiny models take milliseconds per step.
        if state.is_world_process_zero and time.time() - self.last_status_write > 1.0:
            self.last_status_write = time.time()
            self.status.update(step=state.global_step, eta_s=self._eta(state))

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        now = time.time()
        tokens = int(state.num_input_tokens_seen or 0)
        if "loss" in logs:
            kind = "train"
        elif "eval_loss" in logs:
            kind = "eval"
        else:
            kind = "summary"
        rec: dict[str, Any] = {
            "kind": kind,
            "step": state.global_step,
            "epoch": round(state.epoch, 4) if state.epoch is not None else None,
            "loss": logs.get("loss"),
            "eval_loss": logs.get("eval_loss"),
            "learning_rate": logs.get("learning_rate"),
            "grad_norm": logs.get("grad_norm"),
            "tokens_per_s": None,
            "tokens_seen": tokens,
            "wall_s": round(self.wall_offset + now - self.t0, 3),
            "time": now_iso(),
        }
        if kind == "train" and self.last_tokens is not None and now > self.last_time:
            # Non-pad tokens since the previous train log (includes eval/save pauses).
            rec["tokens_per_s"] = round((tokens - self.last_tokens) / (now - self.last_time), 1)
        if kind == "train":
            self.last_tokens, self.last_time = tokens, now
        if kind == "summary":
            rec["train_loss"] = logs.get("train_loss")
            rec["train_runtime"] = logs.get("train_runtime")
        with self.metrics_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
        self.status.update(step=state.global_step, eta_s=self._eta(state))


class StopOnSignalCallback(TrainerCallback):
    """Turns the flag into save + stop at the next optimizer step boundary."""

    def __init__(self, flag: StopFlag, status: StatusFile | None = None) -> None:
        self.flag = flag
        self.status = status

    def _agreed(self) -> bool:
        # Under DDP every rank must stop on the same step, or the others hang in all-reduce.
        requested = self.flag.requested
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            t = torch.tensor([1 if requested else 0], dtype=torch.int32)
            if torch.distributed.get_backend() == "nccl":
                t = t.cuda()
            torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
            requested = bool(t.item())
            self.flag.requested = requested
        return requested

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> Any:
        if self._agreed():
            control.should_save = True
            control.should_training_stop = True
            if self.status is not None and state.is_world_process_zero:
                self.status.update(phase="stopping: saving a checkpoint", step=state.global_step)
        return control
