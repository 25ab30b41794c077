"""Training throughput: our recipe vs the paper's released recipe, on this CPU.

ours:  length-grouped batches (LengthGroupedSampler), dynamic padding, masked prompt.
paper: random batches, DataCollatorForSeq2Seq padding to the longest in the batch.
Same data (skewed, long-tailed lengths), same tiny LLaMA + LoRA init, same number of steps.
Throughput: both recipes in one process, alternating step by step, so a busy shared CPU
slows both alike. Peak RSS (getrusage) comes from one subprocess per recipe that runs its
largest padded batches.

    python benchmarks/train.py            # prints one JSON object
    python benchmarks/train.py --device-7b  # adds a 7B-shaped LoRA run on a CUDA GPU
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# bf16 dense peak (no sparsity) by GPU name, for MFU.
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12, "A10": 125e12}


def _rss_mib() -> float:
    """Peak RSS of this process image. VmHWM restarts at exec; getrusage's ru_maxrss does not
    (it keeps the parent's peak across fork+exec), so it is only the fallback."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def prepare(work: Path, n: int, seed: int) -> dict[str, str]:
    """Snapshot with a long-tailed length law + one tiny base shared by both recipes."""
    from honeybee_core.training.config import TinyModelConfig
    from honeybee_core.training.data import format_prompt
    from honeybee_core.training.synthetic import make_rows, write_snapshot
    from honeybee_core.training.tiny import build_tiny_base

    snap = write_snapshot(work / "snapshot.parquet", n, seed=seed, long_tail=True)
    rows = make_rows(n, seed=seed, long_tail=True)
    texts = [format_prompt(r["instruction"], r["input"]) + r["output"] for r in rows]
    shape = TinyModelConfig(
        hidden_size=256, num_layers=4, num_heads=8, intermediate_size=688, vocab_size=3000
    )
    base = build_tiny_base(texts, shape, seed, work / "base")
    return {"snapshot": str(snap), "base": str(base)}


def build_recipes(tok: Any, examples: list[dict], batch: int, seed: int) -> dict[str, Any]:
    """Batch order + collator of each recipe, from the same classes the Trainer uses."""
    import torch
    from transformers import DataCollatorForSeq2Seq
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from honeybee_core.training.data import PaddingCollator

    lengths = [len(e["input_ids"]) for e in examples]
    paper_order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed))
    ours_sampler = LengthGroupedSampler(
        batch, lengths=lengths, generator=torch.Generator().manual_seed(seed)
    )
    plans = {"paper": paper_order.tolist(), "ours": list(ours_sampler)}
    collators = {
        "paper": DataCollatorForSeq2Seq(tok, padding="longest", label_pad_token_id=-100),
        "ours": PaddingCollator(tok.pad_token_id),
    }
    return {
        name: {
            "batches": [order[i : i + batch] for i in range(0, len(order), batch)],
            "collate": collators[name],
        }
        for name, order in plans.items()
    }


def load_setup(snapshot: str, base: str, max_len: int) -> tuple[Any, list[dict], Any]:
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    from honeybee_core.training.data import load_snapshot, tokenize_examples

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tok = AutoTokenizer.from_pretrained(base)
    examples, stats = tokenize_examples(tok, load_snapshot(snapshot), max_len)
    return tok, examples, stats


def lora_model(base: str) -> tuple[Any, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    lora = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "v_proj"])
    model = get_peft_model(model, lora).train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    return model, opt


def train_step(model: Any, opt: Any, collate: Any, feats: list[dict]) -> tuple[int, int]:
    """One optimizer step including collation (the Trainer collates in-process too)."""
    batch = collate(feats)
    loss = model(**batch).loss
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return int(batch["attention_mask"].sum()), int(batch["input_ids"].numel())


def throughput(data: dict[str, str], ns: argparse.Namespace) -> dict[str, dict]:
    """Both recipes step by step, alternating, so a busy shared CPU slows both alike."""
    tok, examples, stats = load_setup(data["snapshot"], data["base"], ns.max_length)
    recipes = build_recipes(tok, examples, ns.batch_size, ns.seed)
    models = {name: lora_model(data["base"]) for name in recipes}
    acc = {name: {"time": 0.0, "tokens": 0, "padded": 0, "max_len": 0} for name in recipes}
    steps = min(ns.steps, len(recipes["ours"]["batches"]))
    for k in range(steps):
        names = ("paper", "ours") if k % 2 == 0 else ("ours", "paper")
        for name in names:
            feats = [examples[i] for i in recipes[name]["batches"][k]]
            model, opt = models[name]
            t0 = time.perf_counter()
            tokens, padded = train_step(model, opt, recipes[name]["collate"], feats)
            acc[name]["time"] += time.perf_counter() - t0
            acc[name]["tokens"] += tokens
            acc[name]["padded"] += padded
            acc[name]["max_len"] = max(acc[name]["max_len"], padded // len(feats))
    out = {}
    for name, a in acc.items():
        out[name] = {
            "steps": steps,
            "train_s": round(a["time"], 2),
            "non_pad_tokens": a["tokens"],
            "padded_tokens": a["padded"],
            "padding_efficiency": round(a["tokens"] / max(a["padded"], 1), 3),
            "max_batch_len": a["max_len"],
            "non_pad_tokens_per_s": round(a["tokens"] / a["time"], 1),
            "padded_tokens_per_s": round(a["padded"] / a["time"], 1),
        }
    out["data"] = {
        "n_examples": len(examples),
        "n_truncated": stats.n_truncated,
        "max_tokens": stats.max_tokens,
        "mean_tokens": round(stats.n_tokens / len(examples), 1),
    }
    return out


def memory_worker(ns: argparse.Namespace) -> dict:
    """Peak RSS of one recipe over a full epoch: its two largest padded batches decide it."""
    recipe, snapshot, base = ns.memory_worker, ns.snapshot, ns.base
    batch, max_len, seed = ns.batch_size, ns.max_length, ns.seed
    tok, examples, _ = load_setup(snapshot, base, max_len)
    plan = build_recipes(tok, examples, batch, seed)[recipe]
    model, opt = lora_model(base)
    rss_before = _rss_mib()

    def padded(b: list[int]) -> int:
        return len(b) * max(len(examples[i]["input_ids"]) for i in b)

    for b in sorted(plan["batches"], key=padded, reverse=True)[:2]:
        train_step(model, opt, plan["collate"], [examples[i] for i in b])
    return {"peak_rss_mib": round(_rss_mib(), 1), "rss_before_train_mib": round(rss_before, 1)}


def _memory(recipe: str, data: dict[str, str], ns: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--memory-worker", recipe, "--snapshot", data["snapshot"]]
    cmd += ["--base", data["base"], "--batch-size", str(ns.batch_size)]
    cmd += ["--max-length", str(ns.max_length), "--seed", str(ns.seed), "--steps", str(ns.steps)]
    cmd += ["--threads", str(ns.threads)]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{recipe} memory worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def cpu_benchmark(ns: argparse.Namespace) -> dict:
    import torch

    with tempfile.TemporaryDirectory(prefix="hb-bench-") as tmp:
        data = prepare(Path(tmp), ns.n_examples, ns.seed)
        res = throughput(data, ns)
        for recipe in ("paper", "ours"):
            res[recipe] |= _memory(recipe, data, ns)
    speedup = res["ours"]["non_pad_tokens_per_s"] / res["paper"]["non_pad_tokens_per_s"]
    return {
        "setup": {
            "model": "tiny LLaMA hidden 256, 4 layers, 8 heads; LoRA r=8 q_proj,v_proj; fp32",
            "paper_recipe": "RandomSampler + DataCollatorForSeq2Seq(padding='longest')",
            "our_recipe": "LengthGroupedSampler + PaddingCollator (pad to longest), masked prompt",
            "n_examples": ns.n_examples,
            "batch_size": ns.batch_size,
            "max_length": ns.max_length,
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "peak_rss": "per recipe subprocess, VmHWM after its 2 largest batches of one epoch",
        },
        "data": res.pop("data"),
        "paper": res["paper"],
        "ours": res["ours"],
        "speedup_tokens_per_s": round(speedup, 2),
        "target_speedup": 1.5,
        "meets_target": speedup >= 1.5,
    }


def device_7b(ns: argparse.Namespace) -> dict:
    """7B-shaped LLaMA (random bf16 weights) + LoRA on CUDA: tokens/s and MFU."""
    import torch

    if not torch.cuda.is_available():
        return {"skipped": "no CUDA device available; run with --device-7b on a GPU machine"}
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(
        vocab_size=32000,
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=32,
        num_attention_heads=32,
        max_position_embeddings=4096,
    )
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM._from_config(cfg, dtype=torch.bfloat16, attn_implementation="sdpa")
    n_params = sum(p.numel() for p in model.parameters())
    model.config.use_cache = False
    if ns.gc:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    lora = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "v_proj"])
    model = get_peft_model(model, lora)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    b, s = ns.gpu_batch, ns.gpu_seq
    ids = torch.randint(0, cfg.vocab_size, (b, s), device="cuda")

    def step() -> None:
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(3):  # warm-up: allocator, kernels
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(ns.gpu_steps):
        step()
    torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    tps = b * s * ns.gpu_steps / wall
    # LoRA skips weight gradients of frozen matmuls: ~4N per token (fwd 2N + input-grad 2N),
    # plus attention scores/values, forward and backward: 12 * layers * seq * hidden.
    flops_tok = 4 * n_params + 12 * cfg.num_hidden_layers * s * cfg.hidden_size
    if ns.gc:
        flops_tok += 2 * n_params  # recomputed forward (hardware, not model, FLOPs)
    name = torch.cuda.get_device_name()
    peak = next((v for k, v in PEAK_BF16_FLOPS.items() if k in name), None)
    return {
        "device": name,
        "params": n_params,
        "batch": b,
        "seq_len": s,
        "steps": ns.gpu_steps,
        "gradient_checkpointing": ns.gc,
        "tokens_per_s": round(tps, 1),
        "flops_per_token": flops_tok,
        "mfu": round(tps * flops_tok / peak, 4) if peak else None,
        "peak_gpu_mem_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 1600 rows: the Trainer's LengthGroupedSampler then sorts mega-batches of 50 batches.
    p.add_argument("--n-examples", type=int, default=1600)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--steps", type=int, default=48, help="optimizer steps per recipe")
    p.add_argument("--max-length", type=int, default=1024)
    p.add_argument("--seed", type=int, default=0)
    # One thread by default: on a small shared CPU, a second OpenMP thread stalls at every
    # barrier while another process holds the other core, which punishes small batches.
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: torch default)")
    p.add_argument("--device-7b", action="store_true")
    p.add_argument("--gpu-batch", type=int, default=4)
    p.add_argument("--gpu-seq", type=int, default=1024)
    p.add_argument("--gpu-steps", type=int, default=10)
    p.add_argument("--gc", action="store_true", help="gradient checkpointing for --device-7b")
    p.add_argument("--memory-worker", choices=["ours", "paper"], help=argparse.SUPPRESS)
    p.add_argument("--snapshot", help=argparse.SUPPRESS)
    p.add_argument("--base", help=argparse.SUPPRESS)
    ns = p.parse_args()
    if ns.threads > 0:
        import torch

        torch.set_num_threads(ns.threads)
    if ns.memory_worker:
        print(json.dumps(memory_worker(ns)))
        return
    t0 = time.perf_counter()
    result: dict[str, Any] = {"benchmark": "train_recipe_throughput", "cpu": cpu_benchmark(ns)}
    result["device_7b"] = device_7b(ns) if ns.device_7b else {"skipped": "pass --device-7b"}
    result["total_wall_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
