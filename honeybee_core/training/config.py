"""Run configuration (run.json): one pydantic model, validated into one-sentence InputErrors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from honeybee_core.errors import InputError

SNAPSHOT_COLUMNS = ("id", "instruction", "input", "output")


class TinyModelConfig(BaseModel):
    """Shape of the random-init LLaMA used when base_model == "tiny" (tests, demos, CPU)."""

    model_config = ConfigDict(extra="forbid")

    hidden_size: int = Field(64, ge=8, le=4096)
    num_layers: int = Field(2, ge=1, le=64)
    num_heads: int = Field(4, ge=1, le=64)
    intermediate_size: int = Field(256, ge=8)
    vocab_size: int = Field(3000, ge=300, le=65536)
    max_position_embeddings: int = Field(1024, ge=16)

    @model_validator(mode="after")
    def _heads_divide_hidden(self) -> TinyModelConfig:
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"tiny.hidden_size {self.hidden_size} is not a multiple of "
                f"tiny.num_heads {self.num_heads}"
            )
        return self


class RunConfig(BaseModel):
    """Everything one LoRA finetuning run needs; written to out_dir/run.json by the runner."""

    model_config = ConfigDict(extra="forbid")

    snapshot_path: Path
    out_dir: Path
    base_model: str = "tiny"  # "tiny" | local directory | hub id (downloads only if named)
    init_adapter: Path | None = None  # continue from an earlier run's adapter directory
    lora_r: int = Field(8, ge=1, le=1024)
    lora_alpha: int = Field(16, ge=1)
    lora_dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"], min_length=1)
    learning_rate: float = Field(1e-4, gt=0.0, le=1.0)
    lr_scheduler_type: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "cosine"
    warmup_ratio: float = Field(0.03, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    epochs: float = Field(3.0, gt=0.0)
    max_steps: int = Field(-1, ge=-1)  # -1: run by epochs
    per_device_batch_size: int = Field(4, ge=1)
    grad_accum: int = Field(1, ge=1)
    max_length: int = Field(512, ge=8)
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0)
    seed: int = 42
    logging_steps: int = Field(1, ge=1)  # every optimizer step on the curve: one line each
    eval_steps: int = Field(50, ge=1)
    save_steps: int = Field(50, ge=1)
    save_total_limit: int | None = Field(3, ge=1)
    early_stopping_patience: int = Field(3, ge=0)  # 0 disables early stopping
    gradient_checkpointing: bool = False
    resume: bool = False
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    tiny: TinyModelConfig = Field(default_factory=TinyModelConfig)
    # Fields the presets use (training/presets.py); their defaults keep the fast recipe.
    preset: str = "fast"  # the recipe this configuration started from (provenance only)
    effective_batch_size: int | None = Field(None, ge=1)  # grad_accum follows the device count
    warmup_epochs: float | None = Field(None, ge=0.0)  # instead of warmup_ratio, released rule
    val_size: int | None = Field(None, ge=1)  # validation rows; at most a tenth of the rows
    eval_per_epoch: bool = False  # evaluate and checkpoint once per epoch (eval/save_steps unused)
    base_8bit: bool = False  # 8-bit base when bitsandbytes and CUDA are present, else bf16
    group_by_length: bool = True  # batches of similar length (less padding)

    @model_validator(mode="after")
    def _cross_field(self) -> RunConfig:
        if not self.base_model.strip():
            raise ValueError('base_model is empty; use "tiny", a local directory or a hub id')
        if self.max_steps == 0:
            raise ValueError("max_steps is 0; use -1 to train by epochs or a positive step count")
        if self.val_fraction > 0 and not self.eval_per_epoch and self.save_steps % self.eval_steps:
            # load_best_model_at_end needs every checkpoint to carry an eval_loss
            raise ValueError(
                f"save_steps {self.save_steps} is not a multiple of eval_steps {self.eval_steps}"
            )
        if self.base_model == "tiny" and self.max_length > self.tiny.max_position_embeddings:
            raise ValueError(
                f"max_length {self.max_length} exceeds tiny.max_position_embeddings "
                f"{self.tiny.max_position_embeddings}"
            )
        return self

    @property
    def early_stopping(self) -> bool:
        return self.has_validation and self.early_stopping_patience > 0

    @property
    def has_validation(self) -> bool:
        return self.val_fraction > 0 or self.val_size is not None

    def resolved(self) -> RunConfig:
        """A copy with absolute paths, so the file still works from another working directory."""
        data = self.model_dump()
        data["snapshot_path"] = self.snapshot_path.expanduser().resolve()
        data["out_dir"] = self.out_dir.expanduser().resolve()
        if self.init_adapter is not None:
            data["init_adapter"] = self.init_adapter.expanduser().resolve()
        base = Path(self.base_model).expanduser()
        if self.base_model != "tiny" and base.exists():
            data["base_model"] = str(base.resolve())
        return RunConfig.model_validate(data)

    def check_inputs(self) -> None:
        """Fail fast (InputError) on missing files before anything is launched."""
        if not self.snapshot_path.is_file():
            raise InputError(
                f"Snapshot {self.snapshot_path} does not exist; export a snapshot first or fix "
                "snapshot_path in run.json."
            )
        adapter = self.init_adapter
        if adapter is not None and not (adapter / "adapter_config.json").is_file():
            raise InputError(
                f"init_adapter {self.init_adapter} holds no adapter_config.json; point it at a "
                "finished run's adapter folder."
            )
        base = Path(self.base_model).expanduser()
        looks_local = self.base_model.startswith((".", "/", "~")) or base.exists()
        if self.base_model != "tiny" and looks_local and not (base / "config.json").is_file():
            raise InputError(
                f"Base model folder {base} holds no config.json; give a saved transformers model "
                'folder, "tiny", or a hub id.'
            )

        if not self.resume and last_checkpoint(self.out_dir) is not None:
            raise InputError(
                f"Run folder {self.out_dir} already holds checkpoints; set resume to true or "
                "choose an empty out_dir."
            )

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def last_checkpoint(out_dir: str | Path) -> Path | None:
    """The highest checkpoint-N folder in out_dir (same rule as transformers), or None."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return None
    found = [
        (int(m.group(1)), p)
        for p in out_dir.iterdir()
        if p.is_dir() and (m := re.fullmatch(r"checkpoint-(\d+)", p.name))
    ]
    return max(found)[1] if found else None


def _one_sentence(err: ValidationError, where: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    msg = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    field = f"field '{loc}' " if loc else ""
    extra = f" ({len(err.errors()) - 1} more problem(s))" if len(err.errors()) > 1 else ""
    return f"Run config {where}: {field}{msg}{extra}; fix it and try again."


def parse_config(data: dict, where: str = "<dict>") -> RunConfig:
    """Validate a dict into a RunConfig; any problem becomes an InputError with one sentence."""
    try:
        return RunConfig.model_validate(data)
    except ValidationError as err:
        raise InputError(_one_sentence(err, where)) from None


def load_config(path: str | Path) -> RunConfig:
    """Read run.json; missing file, bad JSON or bad fields raise InputError."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"Run config {path} does not exist; write run.json first.") from None
    except json.JSONDecodeError as err:
        raise InputError(
            f"Run config {path} is not valid JSON (line {err.lineno}); fix the file."
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"Run config {path} must hold a JSON object; fix the file.")
    return parse_config(data, str(path))


def save_config(cfg: RunConfig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cfg.to_json() + "\n", encoding="utf-8")
    return path
