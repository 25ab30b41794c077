"""Training presets: the released recipe's resolved values, machine-dependent choices, one run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from honeybee_core.errors import InputError
from honeybee_core.training import presets, runner
from honeybee_core.training.config import RunConfig
from honeybee_core.training.data import split_rows
from honeybee_core.training.synthetic import write_snapshot
from honeybee_core.training.train import run_training
from tests.conftest import run_cli

# uniform_finetune.py with the README's flags (--per_gpu_train_batch_size 4 --learning_rate
# 1e-4 --epochs 10) and its argparse defaults (gradient_accumulation_steps 32, cutoff_len 512,
# lora r 8 / alpha 16 / dropout 0.05, val_set_size 2000), TrainingArguments as it builds them.
RELEASED = {
    "per_device_batch_size": 4, "grad_accum": 32, "effective_batch_size": 128,
    "learning_rate": 1e-4, "lr_scheduler_type": "linear", "warmup_epochs": 0.1,
    "epochs": 10.0, "max_length": 512, "lora_r": 8, "lora_alpha": 16, "lora_dropout": 0.05,
    "target_modules": ["q_proj", "v_proj"], "val_size": 2000, "seed": 42,
    "eval_per_epoch": True, "early_stopping_patience": 0, "save_total_limit": 11,
    "logging_steps": 20, "weight_decay": 0.0, "base_8bit": True, "group_by_length": False,
    "preset": "paper",
}


def test_paper_preset_resolves_to_the_released_recipe():
    config = presets.build_config("paper")
    assert {k: getattr(config, k) for k in RELEASED} == RELEASED
    # the effective batch is kept by accumulation on whatever devices there are
    assert presets.build_config("paper", world_size=4).grad_accum == 8
    assert presets.build_config("paper", world_size=3).grad_accum == 11  # ceil(128 / 12)
    # warm-up: int(optimizer steps of one epoch / 10), as released; 52,000 rows -> 406 -> 40
    assert presets.warmup_steps(config, 52_000, world_size=1) == 40
    # the caller's fields win over the preset's
    assert presets.build_config("paper", {"epochs": 3}).epochs == 3


def test_fast_preset_is_todays_defaults():
    fast = presets.build_config("fast", folder="/tmp/x")
    defaults = RunConfig(snapshot_path="/tmp/x/snapshot.parquet", out_dir="/tmp/x")
    assert fast.model_dump() == defaults.model_dump() | {"preset": "fast"}
    assert presets.warmup_steps(fast, 1000, 1) == 0.03  # a ratio, as before
    with pytest.raises(InputError, match="Unknown preset 'slow'; choose one of fast, paper"):
        presets.build_config("slow")


@pytest.mark.parametrize(("cuda", "bnb", "bf16", "expected"), [
    (True, True, True, (True, "fp16")),  # as released: 8-bit base, fp16 training
    (True, False, True, (False, "bf16")),
    (False, True, False, (False, "bf16")),
    (True, False, False, (False, "fp16")),  # a GPU without bf16
])
def test_8bit_base_only_where_it_can_load(cuda, bnb, bf16, expected):
    loading = presets.resolve_loading(True, "auto", cuda, bnb, bf16)
    assert (loading.quantize_8bit, loading.precision) == expected
    assert (loading.note is None) == expected[0]
    if loading.note:
        assert loading.note.count(".") == 1 and "8 bits" in loading.note
    assert presets.resolve_loading(False, "auto", False, True, False).precision == "fp32"


def test_val_size_takes_at_most_a_tenth():
    df = pd.DataFrame({"id": [f"r{i}" for i in range(50)]})
    assert len(split_rows(df, 0.0, 42, val_size=2000)[1]) == 5
    assert len(split_rows(pd.concat([df] * 500, ignore_index=True), 0.0, 42, 2000)[1]) == 2000


def test_cli_prints_the_resolved_run_json_and_launches_nothing(tmp_path):
    done = run_cli("train", "--preset", "paper", "--print-config", "--epochs", "2",
                   "--out", str(tmp_path / "run"), db=tmp_path / "db.duckdb")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert {k: printed[k] for k in RELEASED if k != "epochs"} == {
        k: v for k, v in RELEASED.items() if k != "epochs"}
    assert printed["epochs"] == 2 and printed["out_dir"].endswith("run")
    assert not (tmp_path / "run").exists() and not (tmp_path / "db.duckdb").exists()
    assert done.stderr.startswith("note: The paper recipe loads the base in 8 bits")


@pytest.mark.slow
def test_a_tiny_run_on_the_paper_recipe(tmp_path):
    """Epoch evaluation, accumulation and the bf16 fallback, on 40 rows for one epoch."""
    snap = write_snapshot(tmp_path / "snapshot.parquet", 40, seed=5)
    config = presets.build_config("paper", {
        "epochs": 1, "effective_batch_size": 8, "max_length": 128, "logging_steps": 1,
        "learning_rate": 1e-3}, folder=tmp_path / "out")
    result = run_training(config.model_copy(update={"snapshot_path": snap}))
    hp = result.manifest["hyperparameters"]
    assert result.state == "finished" and result.global_step == 5  # 36 rows / 8 per step
    assert (hp["grad_accum"], hp["precision_resolved"], hp["base_8bit_resolved"]) == (
        2, "bf16", False)
    assert "8 bits" in hp["loading_note"]
    evals = [r for r in runner.read_metrics(tmp_path / "out")[0] if r["kind"] == "eval"]
    assert len(evals) == 1  # once per epoch
