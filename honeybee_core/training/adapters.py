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


@dataclass(frozen=True)
class Weights:
    """The adapter folder to load, and where it came from."""

    path: Path
    source: str  # "adapter" or the checkpoint folder's name ("checkpoint-40")
    step: int | None  # the optimizer step the weights were saved at, when known

    @property
    def is_checkpoint(self) -> bool:
        return self.source != ADAPTER_DIR

    @property
    def note(self) -> str:
        """How a page or the CLI says which weights were used."""
        at = f" (step {self.step})" if self.step is not None else ""
        if self.is_checkpoint:
            return (f"its last checkpoint, {self.source}{at}: the run has no newer final "
                    "adapter")
        return f"its final adapter{at}"


def _adapter_step(adapter: Path) -> int | None:
    try:
        manifest = json.loads((adapter / "manifest.json").read_text(encoding="utf-8"))
        return int(manifest["metrics"]["global_step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find_weights(run_dir: str | Path) -> Weights | None:
    """The newest loadable LoRA weights of a run folder, or None when it has none yet."""
    run_dir = Path(run_dir)
    adapter = run_dir / ADAPTER_DIR
    final = Weights(adapter, ADAPTER_DIR, _adapter_step(adapter)) \
        if (adapter / ADAPTER_CONFIG).is_file() else None
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
        return Weights(path, ADAPTER_DIR, _adapter_step(path))
    return Weights(path, path.name, checkpoint_step(path))
