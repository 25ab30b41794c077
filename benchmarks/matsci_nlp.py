"""MatSci-NLP answering speed: the tiny model one row at a time vs the default batch.

A tiny LoRA run (two steps) is trained on the fixture questions through the training runner;
then the same adapter answers the same questions (the `run` command's prompts, greedy, the same
max_new_tokens) at batch 1 and at the default batch size, alternating rounds so a busy shared
CPU slows both alike. Prints one JSON object: rows/s for each, the ratio, and how many answers
came out the same.

    python benchmarks/matsci_nlp.py [--rows 128] [--rounds 3] [--max-new-tokens 16]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data" / "matsci_nlp"


def tiny_run(work: Path, questions: list) -> Path:
    """A finished tiny run trained for two steps on the questions (runner, detached process)."""
    import pandas as pd

    from honeybee_core.matsci_nlp.tasks import TASKS, instruction
    from honeybee_core.training import runner
    from honeybee_core.training.config import parse_config

    rows = [{"id": q.id, "instruction": instruction(TASKS[q.task], q.question),
             "input": q.text, "output": q.answer} for q in questions]
    snapshot = work / "train.parquet"
    pd.DataFrame(rows).to_parquet(snapshot, index=False)
    config = parse_config({"snapshot_path": str(snapshot), "out_dir": str(work / "run"),
                           "max_steps": 2, "val_fraction": 0.0, "save_steps": 2,
                           "logging_steps": 1, "max_length": 512, "early_stopping_patience": 0})
    runner.launch(config)
    status = runner.wait(work / "run", timeout=900)
    if status.get("state") != "finished":
        raise SystemExit(f"tiny run did not finish: {status}")
    return work / "run"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    args = parser.parse_args()

    import torch

    from honeybee_core.matsci_nlp import load
    from honeybee_core.matsci_nlp.run import RunParams
    from honeybee_core.matsci_nlp.tasks import TASKS, instruction
    from honeybee_core.training.inference import AdapterGenerator

    default_batch = RunParams(model="", data_dir=DATA).batch_size
    questions = load(DATA).questions
    items = [(instruction(TASKS[q.task], q.question), q.text) for q in questions]
    items = (items * (args.rows // len(items) + 1))[: args.rows]
    with tempfile.TemporaryDirectory() as tmp:
        generator = AdapterGenerator.from_run(tiny_run(Path(tmp), questions))
        seconds = {1: [], default_batch: []}
        answers = {}
        for _ in range(args.rounds):
            for batch in seconds:
                started = time.perf_counter()
                answers[batch] = generator.generate(items, max_new_tokens=args.max_new_tokens,
                                                    batch_size=batch)
                seconds[batch].append(time.perf_counter() - started)
    best = {b: len(items) / min(s) for b, s in seconds.items()}
    same = sum(a == b for a, b in zip(answers[1], answers[default_batch], strict=True))
    print(json.dumps({
        "benchmark": "matsci_nlp answering, tiny model, greedy",
        "rows": len(items), "max_new_tokens": args.max_new_tokens, "rounds": args.rounds,
        "device": str(next(generator.model.parameters()).device),
        "torch_threads": torch.get_num_threads(),
        "batch_1_rows_per_s": round(best[1], 2),
        f"batch_{default_batch}_rows_per_s": round(best[default_batch], 2),
        "ratio": round(best[default_batch] / best[1], 2),
        "same_answers": f"{same}/{len(items)}",
        "seconds": {str(b): [round(x, 2) for x in s] for b, s in seconds.items()},
    }))


if __name__ == "__main__":
    main()
