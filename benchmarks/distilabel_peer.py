"""The peer side of benchmarks/pipeline.py: distilabel's TextGeneration(OpenAILLM) on the stand-in.

Runs in distilabel's own virtual environment (benchmarks/pipeline.py creates it), never in the
app's, so it imports nothing from honeybee_core. Reads a JSON file {"base_url", "model",
"concurrency", "prompts"}, runs one pipeline over the prompts with input_batch_size =
concurrency (distilabel sends a batch's requests concurrently and waits for the batch), and
prints one JSON object: rows in, generations out, seconds (pipeline.run, start to finish).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    from distilabel.models.llms import OpenAILLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import TextGeneration

    rows = [{"instruction": prompt} for prompt in spec["prompts"]]
    with tempfile.TemporaryDirectory() as cache, Pipeline(
        name="honeybee-peer", cache_dir=cache
    ) as pipeline:
        load = LoadDataFromDicts(data=rows, batch_size=max(50, spec["concurrency"]))
        generate = TextGeneration(
            llm=OpenAILLM(model=spec["model"], base_url=spec["base_url"],
                          api_key="sk-local-benchmark-not-a-real-key", timeout=60),
            input_batch_size=spec["concurrency"],
            system_prompt=spec.get("system"),
        )
        load >> generate
        t0 = time.perf_counter()
        distiset = pipeline.run(use_cache=False)
        seconds = time.perf_counter() - t0
    out = distiset["default"]["train"]
    generated = sum(1 for g in out["generation"] if g)
    print(json.dumps({"rows": len(rows), "generated": generated, "seconds": seconds,
                      "items_per_s": len(rows) / seconds}))


if __name__ == "__main__":
    main()
