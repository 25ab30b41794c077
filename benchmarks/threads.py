"""CPU threads for the tiny model: one thread (ours, training.tiny.fit_cpu_threads) vs torch's
default of one per core (the baseline), on the same trained tiny run, in one process,
alternating round by round so a busy shared CPU slows both alike.

Measures answering 16 prompts (greedy, 64 new tokens, batches of 8: what an evaluation's
student process does) and 20 LoRA training steps' worth of forward+backward passes.

    python benchmarks/threads.py   # prints one JSON object
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import torch

    from honeybee_core.training.config import parse_config
    from honeybee_core.training.inference import AdapterGenerator
    from honeybee_core.training.synthetic import write_snapshot
    from honeybee_core.training.train import run_training

    default_threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        snap = write_snapshot(Path(tmp) / "snapshot.parquet", 64, seed=3)
        run_training(parse_config({"snapshot_path": str(snap), "out_dir": f"{tmp}/run",
                                   "max_steps": 2, "val_fraction": 0.0, "save_steps": 2}))
        gen = AdapterGenerator.from_run(f"{tmp}/run")
        prompts = [(f"Explain why the band gap of material {i} matters.", "") for i in range(16)]
        batch = torch.randint(5, len(gen.tokenizer), (8, 96))
        for name, param in gen.model.named_parameters():
            param.requires_grad_("lora_" in name)  # as in training: only LoRA learns

        def answer() -> None:
            gen.generate(prompts, max_new_tokens=64, batch_size=8)

        def train_steps() -> None:
            for _ in range(20):
                loss = gen.model(input_ids=batch, labels=batch).loss
                loss.backward()

        timings: dict[str, dict[int, list[float]]] = {"answer_16": {}, "train_20_steps": {}}
        for _ in range(3):
            for threads in (1, default_threads):
                torch.set_num_threads(threads)
                for name, work in (("answer_16", answer), ("train_20_steps", train_steps)):
                    start = time.perf_counter()
                    work()
                    timings[name].setdefault(threads, []).append(time.perf_counter() - start)
    med = {name: {t: statistics.median(v) for t, v in by.items()} for name, by in timings.items()}
    print(json.dumps({
        "ours": {f"{name}_s": round(by[1], 3) for name, by in med.items()} | {"threads": 1},
        "baseline": {f"{name}_s": round(by[default_threads], 3) for name, by in med.items()}
        | {"threads": default_threads},
        "ratio": {name: round(by[default_threads] / by[1], 2) for name, by in med.items()},
    }))


if __name__ == "__main__":
    main()
