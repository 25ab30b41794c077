"""Named training recipes: `paper` (the released HoneyBee recipe) and `fast` (our CPU defaults).

A preset is a dict of run.json fields laid under the caller's own overrides, so
`honeybee train --preset paper --epochs 3` is the paper recipe with three epochs. Where the
released code depends on the machine (8-bit loading, the number of GPUs), the choice is made
when the run starts and said in one line (see resolve_loading, accumulation_steps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from honeybee_core.errors import InputError
from honeybee_core.training.config import RunConfig, parse_config

# The released recipe (uniform_finetune.py with the README's arguments): LoRA r 8 / alpha 16 /
# dropout 0.05 on q_proj and v_proj; 4 per device x 32 accumulation = 128 per optimizer step on
# one GPU; lr 1e-4 on the Trainer's default linear schedule; warm-up of one tenth of the
# optimizer steps of an epoch; 10 epochs; 512-token cutoff; 2,000 validation rows split with
# seed 42; evaluation and a checkpoint once per epoch, best eval loss loaded at the end, at most
# 11 checkpoints; loss logged every 20 steps; an 8-bit base trained in fp16; no length grouping.
PAPER: dict[str, Any] = {
    "lora_r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "target_modules": ["q_proj", "v_proj"],
    "learning_rate": 1e-4, "lr_scheduler_type": "linear", "warmup_epochs": 0.1,
    "warmup_ratio": 0.0, "val_fraction": 0.0,
    "epochs": 10.0, "per_device_batch_size": 4, "effective_batch_size": 128,
    "max_length": 512, "val_size": 2000, "seed": 42, "eval_per_epoch": True,
    "early_stopping_patience": 0, "save_total_limit": 11, "logging_steps": 20,
    "weight_decay": 0.0, "base_8bit": True, "group_by_length": False, "precision": "auto",
}
PRESETS: dict[str, dict[str, Any]] = {"fast": {}, "paper": PAPER}  # fast: RunConfig defaults
DESCRIPTIONS = {
    "fast": "fast: CPU-friendly defaults (batch 4, cosine, 3 % warm-up, 3 epochs, full precision)",
    "paper": "paper: the released HoneyBee recipe (batch 128 by accumulation, linear, warm-up "
             "a tenth of an epoch, 10 epochs, lr 1e-4, 8-bit base)",
}
PLACEHOLDER_DIR = Path("data/runs/<run-id>")


def preset_fields(name: str) -> dict[str, Any]:
    """The run.json fields of a preset (a copy), or one clear sentence naming the choices."""
    if name not in PRESETS:
        raise InputError(f"Unknown preset '{name}'; choose one of {', '.join(PRESETS)}.")
    return {**PRESETS[name], "preset": name}


def build_config(name: str, overrides: dict[str, Any] | None = None,
                 folder: str | Path | None = None, world_size: int = 1) -> RunConfig:
    """The run configuration a launch would write: preset, then overrides, then the run folder
    (a placeholder when none is chosen yet); grad_accum resolved for world_size processes."""
    folder = Path(folder) if folder is not None else PLACEHOLDER_DIR
    data = {**preset_fields(name), **(overrides or {}),
            "snapshot_path": str(folder / "snapshot.parquet"), "out_dir": str(folder)}
    config = parse_config(data, where=f"preset {name}")
    return with_accumulation(config, world_size)


def accumulation_steps(config: RunConfig, world_size: int) -> int:
    """Gradient accumulation that reaches effective_batch_size on world_size processes (the
    released code multiplies by the GPU count instead; we keep the effective batch fixed)."""
    if config.effective_batch_size is None:
        return config.grad_accum
    per_step = config.per_device_batch_size * max(1, world_size)
    return max(1, math.ceil(config.effective_batch_size / per_step))


def with_accumulation(config: RunConfig, world_size: int) -> RunConfig:
    return config.model_copy(update={"grad_accum": accumulation_steps(config, world_size)})


def warmup_steps(config: RunConfig, n_train: int, world_size: int) -> int | float:
    """warmup_epochs as the released code counts it: int(steps_per_epoch * warmup_epochs) with
    steps_per_epoch = n_train // batch; otherwise the ratio warmup_ratio."""
    if config.warmup_epochs is None:
        return config.warmup_ratio
    batch = config.per_device_batch_size * max(1, world_size) * config.grad_accum
    return int((n_train // batch) * config.warmup_epochs)


@dataclass(frozen=True)
class Loading:
    """How the base model is loaded and which mixed precision trains it."""

    quantize_8bit: bool
    precision: str
    note: str | None = None


def resolve_loading(base_8bit: bool, precision: str, cuda: bool, bnb: bool,
                    bf16_ok: bool) -> Loading:
    """8-bit when asked for and bitsandbytes + CUDA are present (fp16 on top, as released);
    otherwise bf16 with a one-line note; without base_8bit the usual auto rule."""
    if not base_8bit:
        return Loading(False, resolve_precision(precision, cuda, bf16_ok))
    if cuda and bnb:
        return Loading(True, "fp16" if precision == "auto" else precision)
    missing = " and ".join(m for m, ok in (("bitsandbytes", bnb), ("a CUDA GPU", cuda)) if not ok)
    fallback = "bf16" if (bf16_ok or not cuda) else "fp16"
    chosen = fallback if precision == "auto" else precision
    return Loading(False, chosen, f"The paper recipe loads the base in 8 bits, which needs "
                                  f"{missing}; loading it in {chosen} instead.")


def resolve_precision(precision: str, cuda: bool, bf16_ok: bool) -> str:
    """auto: bf16 (or fp16) on GPU, fp32 on CPU; fp16 cannot train on CPU."""
    if precision == "auto":
        if not cuda:
            return "fp32"
        return "bf16" if bf16_ok else "fp16"
    if precision == "fp16" and not cuda:
        raise InputError("precision fp16 needs a CUDA GPU; use auto, fp32 or bf16 on CPU.")
    return precision


def machine() -> tuple[bool, bool, bool, int]:
    """(cuda, bitsandbytes importable, bf16 supported, visible GPUs) on this machine."""
    import importlib.util

    import torch

    cuda = torch.cuda.is_available()
    bnb = importlib.util.find_spec("bitsandbytes") is not None
    return cuda, bnb, cuda and torch.cuda.is_bf16_supported(), torch.cuda.device_count()
