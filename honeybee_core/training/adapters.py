"""Which LoRA weights of a run folder to load: the final adapter, or the latest checkpoint.

A run that finished (or was stopped cleanly) saves its adapter in RUN/adapter. A run killed
before that, or resumed and stopped again, has Trainer checkpoints (RUN/checkpoint-N, each a
complete PEFT adapter) newer than its adapter or instead of one: the newest weights are taken,
and the choice is named, so evaluating a stopped run says what it evaluated. No torch here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from honeybee_core.training.config import last_checkpoint
from honeybee_core.training.status import checkpoint_step

ADAPTER_DIR = "adapter"
ADAPTER_CONFIG = "adapter_config.json"
FINAL = "final"  # the grade key of a finished run's adapter (and of rows that are not runs)
STOPPED = "stopped-at-"  # + step: the adapter a clean stop saved, before a resume trains on


@dataclass(frozen=True)
class Weights:
    """The adapter folder to load, and where it came from."""

    path: Path
    source: str  # "adapter" or the checkpoint folder's name ("checkpoint-40")
    step: int | None  # the optimizer step the weights were saved at, when known
    stopped: bool = False  # an adapter saved by a clean stop (a resume trains on from it)

    @property
    def is_checkpoint(self) -> bool:
        return self.source != ADAPTER_DIR

    @property
    def label(self) -> str:
        """The weights' part of a grade key: 'final', 'checkpoint-40' or 'stopped-at-12'.
        Different weights of one run get different labels, so each is graded on its own."""
        if self.is_checkpoint:
            return self.source
        if self.stopped and self.step is not None:
            return f"{STOPPED}{self.step}"
        return FINAL

    @property
    def note(self) -> str:
        """How a page or the CLI says which weights were used."""
        at = f" (step {self.step})" if self.step is not None else ""
        if self.is_checkpoint:
            return (f"its last checkpoint, {self.source}{at}: the run has no newer final "
                    "adapter")
        if self.stopped:
            return f"the adapter it saved when stopped{at}"
        return f"its final adapter{at}"


def describe(label: str) -> str:
    """A grade key's weights in words: 'final adapter', 'checkpoint-40', 'adapter saved when
    stopped at step 12'."""
    if label == FINAL:
        return "final adapter"
    if label.startswith(STOPPED):
        return f"adapter saved when stopped at step {label.removeprefix(STOPPED)}"
    return label


def label_step(label: str) -> float:
    """Where a grade key's weights sit in training: their step, the final adapter last."""
    if label == FINAL:
        return float("inf")
    digits = label.rpartition("-")[2]
    return float(digits) if digits.isdigit() else -1.0


def _adapter_manifest(adapter: Path) -> tuple[int | None, bool]:
    """(the step the adapter was saved at, whether a clean stop saved it) from its manifest."""
    try:
        manifest = json.loads((adapter / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, False
    try:
        step = int(manifest["metrics"]["global_step"])
    except (KeyError, TypeError, ValueError):
        step = None
    return step, manifest.get("state") == "stopped"


def _adapter(adapter: Path) -> Weights:
    step, stopped = _adapter_manifest(adapter)
    return Weights(adapter, ADAPTER_DIR, step, stopped)


def find_weights(run_dir: str | Path) -> Weights | None:
    """The newest loadable LoRA weights of a run folder, or None when it has none yet."""
    run_dir = Path(run_dir)
    adapter = run_dir / ADAPTER_DIR
    final = _adapter(adapter) if (adapter / ADAPTER_CONFIG).is_file() else None
    ckpt = last_checkpoint(run_dir)
    latest = Weights(ckpt, ckpt.name, checkpoint_step(ckpt)) \
        if ckpt is not None and (ckpt / ADAPTER_CONFIG).is_file() else None
    if final is None or (latest is not None and final.step is not None
                         and (latest.step or 0) > final.step):
        return latest
    return final


def weights_at(path: str | Path) -> Weights:
    """The Weights of one adapter or checkpoint folder (as a student process is told)."""
    path = Path(path)
    if path.name == ADAPTER_DIR:
        return _adapter(path)
    return Weights(path, path.name, checkpoint_step(path))
