"""Real (tiny) LoRA runs: in-process, through the detached runner, and 2-process DDP on CPU."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from honeybee_core.errors import InputError, TrainingError
from honeybee_core.training import runner
from honeybee_core.training.config import RunConfig, parse_config, save_config
from honeybee_core.training.synthetic import write_snapshot
from honeybee_core.training.train import run_training

pytestmark = pytest.mark.slow

ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def tiny_cfg(snapshot: Path, out_dir: Path, **over: object) -> RunConfig:
    base = {
        "snapshot_path": str(snapshot),
        "out_dir": str(out_dir),
        "target_modules": ALL_LINEAR,
        "learning_rate": 3e-3,
        "lr_scheduler_type": "constant",
        "warmup_ratio": 0.0,
        "per_device_batch_size": 8,
        "max_length": 256,
        "val_fraction": 0.1,
        "logging_steps": 5,
        "eval_steps": 20,
        "save_steps": 20,
        "seed": 0,
    }
    return parse_config(base | over)


def records(out_dir: Path, kind: str = "train") -> list[dict]:
    recs, _ = runner.read_metrics(out_dir)
    return [r for r in recs if r["kind"] == kind]


def wait_for(out_dir: Path, min_step: int, timeout: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = runner.read_status(out_dir)
        if st["state"] == "running" and st.get("step", 0) >= min_step:
            return st
        if st["state"] not in ("starting", "running"):
            pytest.fail(f"run ended early: {st}")
        time.sleep(0.2)
    pytest.fail(f"run did not reach step {min_step}: {runner.read_status(out_dir)}")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_snapshot(tmp_path_factory.mktemp("snap") / "snapshot.parquet", 160, seed=11)


@pytest.fixture(scope="module")
def trained(snapshot: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    result = run_training(tiny_cfg(snapshot, out, max_steps=60))
    assert result.state == "finished" and result.global_step == 60
    return out


@pytest.fixture
def reaper() -> Iterator[list[Path]]:
    """Kill whatever a failing test left running."""
    dirs: list[Path] = []
    yield dirs
    for d in dirs:
        pid = runner._run_pid(d)
        if pid and runner.pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)


# ---------------------------------------------------------------- in-process runs


def test_tiny_run_lowers_loss_and_reports(trained: Path) -> None:
    train = records(trained)
    steps = [r["step"] for r in train]
    assert steps == sorted(set(steps)) and steps[0] == 1 and steps[-1] == 60
    assert train[-1]["loss"] < train[0]["loss"] - 0.3, train
    evals = records(trained, "eval")
    assert [r["step"] for r in evals] == [20, 40, 60]
    assert evals[-1]["eval_loss"] < evals[0]["eval_loss"]
    seen = [r["tokens_seen"] for r in train]
    assert all(b > a for a, b in itertools.pairwise(seen))
    assert all(r["tokens_per_s"] > 0 and r["learning_rate"] == 3e-3 for r in train)
    status = json.loads((trained / "status.json").read_text())
    assert status["state"] == "finished" and status["step"] == status["max_steps"] == 60
    assert (trained / "checkpoint-60" / "adapter_model.safetensors").is_file()


def test_manifest_describes_the_run(trained: Path, snapshot: Path) -> None:
    adapter = trained / "adapter"
    for name in ("adapter_config.json", "adapter_model.safetensors", "manifest.json"):
        assert (adapter / name).is_file()
    m = json.loads((adapter / "manifest.json").read_text())
    assert m["state"] == "finished"
    assert m["snapshot"]["sha256"] == hashlib.sha256(snapshot.read_bytes()).hexdigest()
    assert m["snapshot"]["n_rows"] == 160
    base = m["base_model"]
    assert base["name"] == "tiny" and Path(base["path"]) == trained / "base"
    tok_hash = hashlib.sha256((trained / "base" / "tokenizer.json").read_bytes()).hexdigest()
    assert base["tokenizer_sha256"] == tok_hash
    tiny = base["tiny_config"]
    assert tiny["hidden_size"] == 64 and tiny["num_hidden_layers"] == 2
    hp = m["hyperparameters"]
    assert (hp["lora_r"], hp["lora_alpha"], hp["lora_dropout"]) == (8, 16, 0.05)
    assert hp["max_steps"] == 60 and hp["precision_resolved"] == "fp32" and hp["world_size"] == 1
    assert sorted(hp["lora_config"]["target_modules"]) == sorted(ALL_LINEAR)
    assert m["data"]["n_train"] == 144 and m["data"]["n_val"] == 16
    assert {"n_truncated", "n_dropped"} <= set(m["data"])
    assert m["metrics"]["global_step"] == 60 and m["metrics"]["best_eval_loss"] is not None
    assert {"torch", "transformers", "peft"} <= set(m["versions"])
    assert m["git_commit"] is None or len(m["git_commit"]) == 40


def test_adapter_reloads_onto_saved_base_and_generates(trained: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from honeybee_core.training.inference import AdapterGenerator

    ids = torch.tensor([[1, 40, 41, 42, 43]])
    base = AutoModelForCausalLM.from_pretrained(trained / "base").eval()
    with torch.no_grad():
        base_logits = base(ids).logits
    tuned = PeftModel.from_pretrained(base, trained / "adapter").eval()
    with torch.no_grad():
        assert not torch.allclose(tuned(ids).logits, base_logits, atol=1e-4)

    gen = AdapterGenerator.from_run(trained)
    items = [
        ("What is the band gap of silicon?", ""),
        ("Name the crystal structure of the material described.", "The material is zinc oxide."),
        ("Give the chemical formula of gallium nitride.", ""),
    ]
    batched = gen.generate(items, max_new_tokens=12, batch_size=3)
    single = gen.generate(items, max_new_tokens=12, batch_size=1)
    assert batched == single  # left padding does not change greedy answers
    assert len(batched) == 3 and all(isinstance(a, str) for a in batched)
    assert any(a for a in batched)


def test_init_adapter_continues_from_earlier_weights(trained: Path, snapshot: Path, tmp_path: Path):
    first_loss = records(trained)[0]["loss"]
    adapter = str(trained / "adapter")
    # Also exercises activation checkpointing with frozen embeddings (non-reentrant).
    cfg = tiny_cfg(
        snapshot,
        tmp_path / "next",
        max_steps=4,
        logging_steps=1,
        init_adapter=adapter,
        gradient_checkpointing=True,
    )
    result = run_training(cfg)
    assert result.state == "finished"
    assert records(tmp_path / "next")[0]["loss"] < first_loss - 0.3  # starts where it left off
    m = result.manifest
    assert m["hyperparameters"]["init_adapter"] == str(trained / "adapter")
    old = json.loads((trained / "adapter" / "manifest.json").read_text())
    assert m["base_model"]["tokenizer_sha256"] == old["base_model"]["tokenizer_sha256"]


def test_resume_continues_step_count_and_curve(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    common = {"logging_steps": 2, "eval_steps": 5, "save_steps": 5}
    assert run_training(tiny_cfg(snapshot, out, max_steps=10, **common)).global_step == 10
    with pytest.raises(InputError, match="already holds checkpoints"):
        run_training(tiny_cfg(snapshot, out, max_steps=20, **common))
    assert json.loads((out / "status.json").read_text())["state"] == "finished"  # untouched

    result = run_training(tiny_cfg(snapshot, out, max_steps=20, resume=True, **common))
    assert result.global_step == 20
    train = records(out)
    steps = [r["step"] for r in train]
    assert steps == [1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]  # strictly increasing, from K on
    seen = [r["tokens_seen"] for r in train]
    assert all(b > a for a, b in itertools.pairwise(seen))
    walls = [r["wall_s"] for r in train]
    assert walls == sorted(walls)
    state = json.loads((out / "checkpoint-20" / "trainer_state.json").read_text())
    assert state["global_step"] == 20
    assert json.loads((out / "status.json").read_text())["step"] == 20


def test_same_seed_gives_the_same_curve(snapshot: Path, tmp_path: Path) -> None:
    curves = []
    for name in ("a", "b"):
        out = tmp_path / name
        run_training(
            tiny_cfg(snapshot, out, max_steps=6, logging_steps=2, eval_steps=3, save_steps=6)
        )
        curves.append(
            [(r["kind"], r["step"], r["loss"], r["eval_loss"]) for r in records(out, "train")]
        )
        curves[-1] += [(r["kind"], r["step"], r["eval_loss"]) for r in records(out, "eval")]
    assert curves[0] == curves[1]
    tok = [
        hashlib.sha256((tmp_path / n / "base/tokenizer.json").read_bytes()).digest() for n in "ab"
    ]
    assert tok[0] == tok[1]


def test_failure_is_recorded_in_status(snapshot: Path, tmp_path: Path) -> None:
    cfg = tiny_cfg(snapshot, tmp_path / "bad", max_steps=2, target_modules=["no_such_proj"])
    with pytest.raises(InputError, match="target_modules"):
        run_training(cfg)
    status = json.loads((tmp_path / "bad" / "status.json").read_text())
    assert status["state"] == "failed" and "target_modules" in status["error"]


# ---------------------------------------------------------------- detached runs


def test_cli_rejects_bad_config_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"snapshot_path": "x", "out_dir": "y", "lora_r": 0}))
    proc = subprocess.run(
        [sys.executable, "-m", "honeybee_core.training.train", "--config", str(path)],
        capture_output=True,
        text=True,
        env=runner.train_env(),
        timeout=120,
    )
    assert proc.returncode == 2 and "lora_r" in proc.stderr


def test_stop_signal_ends_cleanly_with_checkpoint(
    snapshot: Path, tmp_path: Path, reaper: list[Path]
) -> None:
    out = tmp_path / "out"
    cfg = tiny_cfg(snapshot, out, max_steps=5000, eval_steps=1000, save_steps=1000)
    reaper.append(out)
    info = runner.launch(cfg, lock_dir=tmp_path / "locks")
    assert (out / "run.json").is_file() and info.log_path == out / "train.log"
    with pytest.raises(TrainingError, match="still alive"):
        runner.launch(cfg)
    other = tiny_cfg(snapshot, tmp_path / "other", max_steps=5)
    with pytest.raises(TrainingError, match="holds the lock"):
        runner.launch(other, lock_dir=tmp_path / "locks")

    wait_for(out, min_step=3)
    assert runner.stop(out, timeout=120)
    st = runner.read_status(out)
    assert st["state"] == "stopped" and not st["alive"], st
    ckpt = out / f"checkpoint-{st['step']}"
    assert json.loads((ckpt / "trainer_state.json").read_text())["global_step"] == st["step"]
    manifest = json.loads((out / "adapter" / "manifest.json").read_text())
    assert manifest["state"] == "stopped"
    assert runner._CHILDREN[info.pid].returncode == 0

    # The UI's "Resume" after a stop: same folder, same curve, step count continues.
    # (logging_steps comes back from the checkpoint's trainer_state: 5.)
    stopped_at = st["step"]
    more = tiny_cfg(
        snapshot, out, max_steps=stopped_at + 6, eval_steps=1000, save_steps=1000, resume=True
    )
    assert run_training(more).global_step == stopped_at + 6
    steps = [r["step"] for r in records(out)]
    assert steps == sorted(set(steps)) and steps[-1] > stopped_at


def test_killed_run_is_detected_as_failed(snapshot: Path, tmp_path: Path, reaper: list[Path]):
    out = tmp_path / "out"
    reaper.append(out)
    info = runner.launch(tiny_cfg(snapshot, out, max_steps=5000, eval_steps=1000, save_steps=1000))
    wait_for(out, min_step=2)  # step N's count is written before its loss line is printed
    os.killpg(info.pid, signal.SIGKILL)
    st = runner.wait(out, timeout=30)
    assert st["state"] == "failed" and not st["alive"]
    assert "killed or crashed" in st["error"]
    assert 0 < len(st["log_tail"]) <= 20 and any("loss" in line for line in st["log_tail"])
    # A dead run no longer blocks a new launch in the same folder.
    assert not runner.is_running(out)


def _torchrun() -> list[str]:
    local = Path(sys.executable).with_name("torchrun")
    if local.exists():
        return [str(local)]
    found = shutil.which("torchrun")
    return [found] if found else [sys.executable, "-m", "torch.distributed.run"]


def test_ddp_two_processes_on_cpu(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cfg = tiny_cfg(snapshot, out, max_steps=4, logging_steps=1, eval_steps=2, save_steps=2)
    path = save_config(cfg, tmp_path / "run.json")
    cmd = [*_torchrun(), "--standalone", "--nproc_per_node", "2", "-m"]
    cmd += ["honeybee_core.training.train", "--config", str(path)]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=300,
        env=runner.train_env({"OMP_NUM_THREADS": "1"}),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    status = json.loads((out / "status.json").read_text())
    assert status["state"] == "finished" and status["step"] == 4
    manifest = json.loads((out / "adapter" / "manifest.json").read_text())
    assert manifest["hyperparameters"]["world_size"] == 2
    assert manifest["hyperparameters"]["effective_batch_size"] == 16
    assert [r["step"] for r in records(out)] == [1, 2, 3, 4]  # one writer: rank 0


def test_answers_are_generated_in_batches(trained: Path) -> None:
    from honeybee_core.training.inference import AdapterGenerator

    gen = AdapterGenerator.from_run(trained)
    assert gen.weights.source == "adapter" and gen.weights.step == 60
    rows: list[int] = []
    hook = gen.model.get_base_model().register_forward_pre_hook(
        lambda _m, args, kwargs: rows.append(kwargs["input_ids"].shape[0]), with_kwargs=True)
    try:
        items = [(f"Explain the band gap of material {i}.", "") for i in range(10)]
        answers = gen.generate(items, max_new_tokens=3, batch_size=4)
    finally:
        hook.remove()
    assert len(answers) == 10
    assert set(rows) == {4, 2}  # three batches (4 + 4 + 2 prompts), never one at a time
    assert torch.get_num_threads() == 1  # a tiny model answers on one CPU thread
