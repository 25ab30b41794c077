"""adapter/manifest.json: everything needed to say what an adapter was trained on and how."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_git_head(root: Path) -> str | None:
    """Resolve HEAD from the .git files directly (works where the git binary is missing)."""
    git = root / ".git"
    if git.is_file():  # worktree: "gitdir: <path>"
        text = git.read_text(encoding="utf-8").strip()
        if not text.startswith("gitdir:"):
            return None
        git = (root / text.split(":", 1)[1].strip()).resolve()
    head_file = git / "HEAD"
    if not head_file.is_file():
        return None
    head = head_file.read_text(encoding="utf-8").strip()
    if not head.startswith("ref:"):
        return head or None
    ref = head.split(":", 1)[1].strip()
    common = git
    if (git / "commondir").is_file():
        common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
    for base in (git, common):
        if (base / ref).is_file():
            return (base / ref).read_text(encoding="utf-8").strip() or None
        packed = base / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0]
    return None  # unborn branch: no commit yet


def git_commit(root: Path = REPO_ROOT) -> str | None:
    """The project's commit, or None when this is not a git checkout (or has no commits)."""
    try:
        return _read_git_head(root)
    except OSError:
        pass
    try:  # odd layouts: let git itself answer
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def library_versions() -> dict[str, str]:
    import accelerate
    import peft
    import tokenizers
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "accelerate": accelerate.__version__,
        "tokenizers": tokenizers.__version__,
    }


def snapshot_info(path: Path, n_rows: int) -> dict[str, Any]:
    return {
        "path": str(path),
        "sha256": sha256_file(path),
        "size_bytes": path.stat().st_size,
        "n_rows": n_rows,
    }


def _lora_summary(peft_cfg: Any) -> dict[str, Any]:
    """The adapter's effective LoRA settings (from init_adapter they may differ from cfg)."""
    d = peft_cfg.to_dict()
    keys = ("r", "lora_alpha", "lora_dropout", "target_modules", "bias", "task_type", "use_dora")
    return {k: d.get(k) for k in keys}


def _base_info(cfg: Any, base_path: str, adapter_dir: Path) -> dict[str, Any]:
    tok_json = Path(base_path) / "tokenizer.json"
    if not tok_json.is_file():  # hub ids: the copy saved next to the adapter
        tok_json = adapter_dir / "tokenizer.json"
    base: dict[str, Any] = {
        "name": cfg.base_model,
        "path": base_path,
        "tokenizer_sha256": sha256_file(tok_json) if tok_json.is_file() else None,
    }
    if cfg.base_model == "tiny":
        base["tiny_config"] = json.loads((Path(base_path) / "config.json").read_text("utf-8"))
    return base


def write_manifest(
    cfg: Any,
    trainer: Any,
    output: Any,
    stats: dict[str, Any],
    base_path: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Write out_dir/adapter/manifest.json and return it (rank 0 only)."""
    from honeybee_core.training.files import now_iso, write_json_atomic

    adapter_dir = Path(cfg.out_dir) / "adapter"
    ts, args = trainer.state, trainer.args
    evals = [h["eval_loss"] for h in ts.log_history if "eval_loss" in h]
    trains = [h["loss"] for h in ts.log_history if "loss" in h]
    world = args.world_size
    manifest = {
        "format_version": 1,
        "state": extra.get("state", "finished"),
        "created_at": now_iso(),
        "snapshot": snapshot_info(Path(cfg.snapshot_path), int(stats["n_rows"])),
        "base_model": _base_info(cfg, base_path, adapter_dir),
        "hyperparameters": cfg.model_dump(mode="json")
        | {
            "precision_resolved": extra.get("precision_resolved"),
            "base_8bit_resolved": extra.get("base_8bit_resolved", False),
            "loading_note": extra.get("loading_note"),
            "world_size": world,
            "effective_batch_size": args.per_device_train_batch_size
            * args.gradient_accumulation_steps
            * world,
            "lora_config": _lora_summary(trainer.model.peft_config["default"]),
        },
        "git_commit": git_commit(),
        "metrics": {
            "global_step": ts.global_step,
            "max_steps": ts.max_steps,
            "epoch": ts.epoch,
            "train_loss": output.training_loss,
            "last_train_loss": trains[-1] if trains else None,
            "last_eval_loss": evals[-1] if evals else None,
            "best_eval_loss": ts.best_metric,
            "best_checkpoint": ts.best_model_checkpoint,
            "tokens_seen": ts.num_input_tokens_seen,
            "train_runtime_s": output.metrics.get("train_runtime"),
        },
        "data": stats,
        "versions": library_versions(),
    }
    # target_modules may be a set; round-trip through JSON so the caller sees the file's content
    text = json.dumps(manifest, default=lambda o: sorted(o) if isinstance(o, set) else str(o))
    data = json.loads(text)
    write_json_atomic(adapter_dir / "manifest.json", data)
    return data
