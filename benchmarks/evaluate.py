"""Evaluation speed on the demo (`make run` defaults: offline evaluator, tiny model): a 10-item
evaluation end to end, and the student's answers batched (left-padded, batch 8, as evaluation
runs) vs one by one (batch 1), both timed in this one process on the same 20 prompts (10 items,
student and base).

    python benchmarks/evaluate.py   # prints one JSON object
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from honeybee_core import curation
    from honeybee_core import training_runs as runs
    from honeybee_core.auth import CLI_ACTOR
    from honeybee_core.config import load_settings
    from honeybee_core.demo import seed_demo
    from honeybee_core.pipeline.evaluation_job import (
        EvaluateParams,
        eval_set,
        resolve_run,
        run_evaluate,
    )
    from honeybee_core.store import Repository, open_database
    from honeybee_core.training.inference import AdapterGenerator

    work = Path(tempfile.mkdtemp(prefix="hb-bench-eval-"))
    settings = load_settings(db=work / "demo.duckdb", runs_dir=work / "runs")
    repo = Repository(open_database(settings.db))
    seed_demo(repo, settings, actor=CLI_ACTOR)
    snap = curation.create_snapshot(repo, curation.SnapshotSpec("mean>=60"), CLI_ACTOR,
                                    settings)
    run = runs.launch_run(repo, snap["id"], CLI_ACTOR, settings=settings,
                          overrides={"max_steps": 12, "eval_steps": 6, "save_steps": 6})
    runs.wait_for(repo, run["id"], timeout=600, actor=CLI_ACTOR)
    params = EvaluateParams(run=run["id"], n=10)  # the page's defaults but for n
    start = time.perf_counter()
    outcome = run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR)
    end_to_end = time.perf_counter() - start
    items = eval_set(repo, resolve_run(repo, run["id"]), params, actor=CLI_ACTOR)
    pairs = [(r.instruction, r.input or "") for r in items.itertuples()] * 2  # student + base
    gen = AdapterGenerator.from_run(run["out_dir"], device="cpu")
    how = params.decoding_config
    timings: dict[str, list[float]] = {"batched": [], "one_by_one": []}
    for _ in range(2):  # alternate, so a busy shared CPU slows both alike
        for name, size in (("batched", params.batch_size), ("one_by_one", 1)):
            t = time.perf_counter()
            gen.generate(pairs, batch_size=size, decoding=how)
            timings[name].append(time.perf_counter() - t)
    batched, single = min(timings["batched"]), min(timings["one_by_one"])
    print(json.dumps({
        "benchmark": "evaluate 10 held-out items, tiny model, offline evaluator",
        "evaluation_end_to_end_s": round(end_to_end, 2), "status": outcome.status,
        "answers_generated": outcome.answered, "grades": outcome.scored,
        "decoding": how.label, "prompts": len(pairs),
        "ours_batched_generate_s": round(batched, 2),
        "baseline_one_by_one_generate_s": round(single, 2),
        "ratio_one_by_one_over_batched": round(single / batched, 2),
        "batch_size": params.batch_size,
    }))


if __name__ == "__main__":
    main()
