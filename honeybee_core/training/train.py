"""LoRA finetuning entry point: `python -m honeybee_core.training.train --config run.json`.

Also runs under `torchrun --nproc_per_node N` (gloo on CPU); only rank 0 writes
status.json, metrics.jsonl and the manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from honeybee_core.errors import InputError, TrainingError
from honeybee_core.limits import read_json_object
from honeybee_core.training import runner
from honeybee_core.training.config import RunConfig, last_checkpoint, parse_config
from honeybee_core.training.presets import resolve_precision  # noqa: F401 - public here too

ADAPTER_DIR = "adapter"
BASE_DIR = "base"


@dataclass
class TrainResult:
    state: str  # "finished" | "stopped"
    global_step: int
    out_dir: Path
    adapter_dir: Path
    manifest: dict[str, Any]


def _rank() -> int:
    return int(os.environ.get("RANK", "0"))


def _log(msg: str) -> None:
    if _rank() == 0:
        print(f"[honeybee.train] {msg}", flush=True)


def _init_adapter_base(init_adapter: Path) -> Path:
    """The base model folder an earlier adapter was trained on (tiny runs save their own)."""
    cfg = json.loads((init_adapter / "adapter_config.json").read_text(encoding="utf-8"))
    candidates = [cfg.get("base_model_name_or_path") or "", init_adapter.parent / BASE_DIR]
    for cand in candidates:
        if cand and (Path(cand) / "config.json").is_file():
            return Path(cand)
    raise InputError(
        f"Cannot find the tiny base model that {init_adapter} was trained on; keep the earlier "
        "run folder next to its adapter."
    )


def prepare_base(cfg: RunConfig, df: Any, build: bool) -> str:
    """Where to load the base from; for "tiny" build or copy it into out_dir/base first."""
    if cfg.base_model != "tiny":
        return cfg.base_model
    base_dir = cfg.out_dir / BASE_DIR
    if not build:
        return str(base_dir)
    if cfg.init_adapter is not None:
        src = _init_adapter_base(cfg.init_adapter)
        if src.resolve() != base_dir.resolve():
            shutil.rmtree(base_dir, ignore_errors=True)
            shutil.copytree(src, base_dir)
        return str(base_dir)
    if cfg.resume and (base_dir / "config.json").is_file():
        return str(base_dir)  # same tokenizer and weights as the checkpoints
    from honeybee_core.training.data import training_text
    from honeybee_core.training.tiny import build_tiny_base

    texts = [
        training_text(i, x, o)
        for i, x, o in zip(df["instruction"], df["input"], df["output"], strict=True)
    ]
    shutil.rmtree(base_dir, ignore_errors=True)
    build_tiny_base(texts, cfg.tiny, cfg.seed, base_dir)
    _log(f"built tiny base model in {base_dir}")
    return str(base_dir)


def load_base(path: str, dtype: Any, quantize_8bit: bool = False) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token_id is None:  # LLaMA ships without one; pads are masked anyway
        tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
    tokenizer.padding_side = "right"
    if not quantize_8bit:
        return AutoModelForCausalLM.from_pretrained(path, dtype=dtype), tokenizer
    from peft import prepare_model_for_kbit_training
    from transformers import BitsAndBytesConfig

    model = AutoModelForCausalLM.from_pretrained(
        path, quantization_config=BitsAndBytesConfig(load_in_8bit=True),
        device_map={"": int(os.environ.get("LOCAL_RANK") or 0)})
    return prepare_model_for_kbit_training(model), tokenizer


def _checkpointing_kwargs(args_cls: Any, enabled: bool) -> dict[str, Any]:
    """transformers 5.24 renamed gradient_ to activation_checkpointing; accept both."""
    fields = getattr(args_cls, "__dataclass_fields__", {})
    prefix = "activation" if "activation_checkpointing" in fields else "gradient"
    # Non-reentrant checkpointing works with frozen embeddings (LoRA) without extra hooks.
    return {
        f"{prefix}_checkpointing": enabled,
        f"{prefix}_checkpointing_kwargs": {"use_reentrant": False},
    }


def _checkpoint_step(ckpt: str) -> int:
    state = json.loads((Path(ckpt) / "trainer_state.json").read_text(encoding="utf-8"))
    return int(state.get("global_step", 0))


def run_training(cfg: RunConfig, stop_flag: Any = None) -> TrainResult:
    """Train one adapter; writes status/metrics/manifest under cfg.out_dir (rank 0).

    status.json says "starting" (with the phase) until the first optimizer step, then
    "running"; a resumed run reports its checkpoint's step from the first write on.
    """
    from honeybee_core.training.status import StatusFile, checkpoint_step, previous_max_steps
    from honeybee_core.training.stopflag import StopFlag

    cfg = cfg.resolved()
    cfg.check_inputs()  # refused runs leave an earlier run's status.json alone
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = last_checkpoint(cfg.out_dir) if cfg.resume else None
    status = StatusFile(
        cfg.out_dir, enabled=_rank() == 0, state="starting",
        step=checkpoint_step(ckpt) if ckpt else 0,
        max_steps=cfg.max_steps if cfg.max_steps > 0 else (
            previous_max_steps(cfg.out_dir) if ckpt else None))
    status.update(phase="loading the training libraries")  # torch and transformers: seconds
    flag = stop_flag or StopFlag()
    try:
        return _run(cfg, status, flag)
    except BaseException as err:
        ours = isinstance(err, InputError | TrainingError)
        msg = str(err) if ours else f"{type(err).__name__}: {err}"
        status.update(state="failed", phase=None, error=msg, eta_s=None)
        raise


def training_args(cfg: RunConfig, has_val: bool, precision: str, cuda: bool,
                  warmup: int | float | None = None) -> Any:
    """The Trainer settings of our recipe; validated names for transformers 5.x."""
    from transformers import TrainingArguments

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    every = "epoch" if cfg.eval_per_epoch else "steps"
    return TrainingArguments(
        output_dir=str(cfg.out_dir),
        per_device_train_batch_size=cfg.per_device_batch_size,
        per_device_eval_batch_size=cfg.per_device_batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler_type,
        # a float < 1 is a ratio in transformers 5, an int a step count (warmup_epochs)
        warmup_steps=cfg.warmup_ratio if warmup is None else warmup,
        weight_decay=cfg.weight_decay,
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        eval_strategy=every if has_val else "no",
        eval_steps=cfg.eval_steps,
        save_strategy=every,
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        load_best_model_at_end=has_val,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        seed=cfg.seed,
        data_seed=cfg.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not cuda,
        ddp_backend="gloo" if (distributed and not cuda) else None,
        ddp_find_unused_parameters=False,  # every LoRA matrix gets a gradient each step
        **_checkpointing_kwargs(TrainingArguments, cfg.gradient_checkpointing),
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
        include_num_input_tokens_seen="non_padding",
        remove_unused_columns=False,
        label_names=["labels"],
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )


def attach_lora(model: Any, cfg: RunConfig) -> Any:
    """A fresh LoRA adapter, or the earlier one in cfg.init_adapter made trainable again."""
    from peft import LoraConfig, PeftModel, get_peft_model

    if cfg.gradient_checkpointing:
        model.config.use_cache = False
    if cfg.init_adapter is not None:
        _log(f"continuing from adapter {cfg.init_adapter}")
        return PeftModel.from_pretrained(model, str(cfg.init_adapter), is_trainable=True)
    lora = LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=list(cfg.target_modules),
        task_type="CAUSAL_LM",
    )
    try:
        return get_peft_model(model, lora)
    except ValueError as err:
        raise InputError(
            f"target_modules {cfg.target_modules} do not match the base model ({err})."
        ) from None


def _run(cfg: RunConfig, status: Any, flag: Any) -> TrainResult:
    import torch
    from transformers import EarlyStoppingCallback, Trainer, set_seed
    from transformers.trainer_utils import IntervalStrategy

    from honeybee_core.training.callbacks import (
        ProgressCallback,
        StopOnSignalCallback,
        trim_metrics,
    )
    from honeybee_core.training.data import PaddingCollator, load_snapshot, prepare_data, split_rows
    from honeybee_core.training.manifest import write_manifest
    from honeybee_core.training.presets import (
        machine,
        resolve_loading,
        warmup_steps,
        with_accumulation,
    )
    from honeybee_core.training.tiny import fit_cpu_threads

    def phase(text: str) -> None:
        status.update(phase=text)

    if cfg.base_model == "tiny" or Path(cfg.base_model).exists():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing local should ever download
    df = load_snapshot(cfg.snapshot_path)
    ckpt = last_checkpoint(cfg.out_dir) if cfg.resume else None
    resume_from = str(ckpt) if ckpt else None

    cuda, bnb, bf16_ok, _ = machine()
    loading = resolve_loading(cfg.base_8bit, cfg.precision, cuda, bnb, bf16_ok)
    if loading.note:
        _log(loading.note)
    precision = loading.precision
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cfg = with_accumulation(cfg, world)  # effective_batch_size on this many processes
    train_rows, val_rows = split_rows(df, cfg.val_fraction, cfg.seed, cfg.val_size)
    has_val = cfg.has_validation and len(val_rows) > 0
    # Built first: it sets up the process group that main_process_first() needs.
    args = training_args(cfg, has_val, precision, cuda, warmup_steps(cfg, len(train_rows), world))
    rank0 = args.process_index == 0

    if cfg.base_model == "tiny" and not (cfg.resume or cfg.init_adapter):
        phase("building the tiny base model")
    with args.main_process_first(local=False, desc="base model"):
        base_path = prepare_base(cfg, df, build=rank0)
    phase(f"loading the base model {cfg.base_model}")
    model, tokenizer = load_base(base_path, dtype, loading.quantize_8bit)
    if not cuda:
        fit_cpu_threads(model)
    phase(f"preparing {len(df):,} items")
    data = prepare_data(tokenizer, df, cfg.max_length, cfg.val_fraction, cfg.seed, cfg.val_size)
    _log(f"data: {json.dumps({k: v for k, v in data.stats.items() if k != 'dropped_ids'})}")
    if data.val is None and has_val:  # every validation row was dropped by max_length
        args.eval_strategy = IntervalStrategy.NO
        args.load_best_model_at_end = False
        args.do_eval = False
    set_seed(cfg.seed)  # LoRA A matrices are drawn from the global RNG
    model = attach_lora(model, cfg)

    # Rank 0 alone owns metrics.jsonl; on resume it drops lines past the checkpoint.
    wall_offset = 0.0
    if rank0:
        wall_offset = trim_metrics(
            cfg.out_dir, _checkpoint_step(resume_from) if resume_from else -1
        )
    callbacks: list[Any] = [
        ProgressCallback(cfg.out_dir, status, wall_offset),
        StopOnSignalCallback(flag, status),
    ]
    if cfg.early_stopping and data.val is not None:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.early_stopping_patience))
    trainer = Trainer(
        model=model,
        args=args,
        data_collator=PaddingCollator(tokenizer.pad_token_id, 8 if cuda else None),
        train_dataset=data.train,
        eval_dataset=data.val,
        processing_class=tokenizer,
        callbacks=callbacks,
    )
    if resume_from:
        _log(f"resuming from {resume_from}")
        phase(f"restoring {Path(resume_from).name}")
    else:
        phase("setting up the trainer")
    output = trainer.train(resume_from_checkpoint=resume_from)

    state = "stopped" if flag.requested else "finished"
    adapter_dir = cfg.out_dir / ADAPTER_DIR
    manifest: dict[str, Any] = {}
    if trainer.is_world_process_zero():
        # The best checkpoint's weights when an eval set exists (load_best_model_at_end).
        from peft import PeftModel

        lora_model = trainer.model
        assert isinstance(lora_model, PeftModel)  # what attach_lora handed the Trainer
        lora_model.save_pretrained(str(adapter_dir))
        tokenizer.save_pretrained(str(adapter_dir))
        extra = {"precision_resolved": precision, "state": state,
                 "base_8bit_resolved": loading.quantize_8bit, "loading_note": loading.note}
        manifest = write_manifest(cfg, trainer, output, data.stats, base_path, extra)
        status.update(state=state, phase=None, step=trainer.state.global_step, eta_s=0,
                      error=None)
    _log(f"{state} at step {trainer.state.global_step}; adapter in {adapter_dir}")
    return TrainResult(state, trainer.state.global_step, cfg.out_dir, adapter_dir, manifest)


def main(argv: list[str] | None = None) -> int:
    """CLI exit codes: 0 finished or stopped, 1 failed, 2 invalid config or inputs."""
    from honeybee_core.training.stopflag import StopFlag

    parser = argparse.ArgumentParser(description="HoneyBee LoRA finetuning run")
    parser.add_argument("--config", required=True, help="path to run.json")
    parser.add_argument("--init-adapter", help="continue from this adapter folder")
    ns = parser.parse_args(argv)
    flag = StopFlag()
    flag.install()  # early: a stop during model loading still ends cleanly at step 1
    try:
        cfg = parse_config(read_json_object(Path(ns.config), "Run config"), ns.config)
        if ns.init_adapter:
            cfg = cfg.model_copy(update={"init_adapter": Path(ns.init_adapter)})
        if _rank() == 0 and runner.LOCK_FD_ENV not in os.environ:  # started by hand
            runner.hold_trainer_lock(cfg.out_dir.expanduser().resolve())  # held until exit
    except (InputError, TrainingError) as err:
        print(f"[honeybee.train] {err}", file=sys.stderr, flush=True)
        return 2
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # train.log is a file, not a terminal
    try:
        run_training(cfg, flag)
    except InputError as err:
        print(f"[honeybee.train] failed: {err}", file=sys.stderr, flush=True)
        return 2
    except BaseException as err:  # noqa: BLE001 - every failure must reach status.json
        traceback.print_exc()
        print(f"[honeybee.train] failed: {err}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
