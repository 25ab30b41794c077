"""Import and export of a generated 52,000-record Alpaca file, beside a plain pandas read.

Prints one JSON object. The baseline (pandas.read_json of the same file) parses but neither
validates, hashes, deduplicates nor stores anything, so it is a floor, not a competitor.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

import pandas as pd

from honeybee_core import transfer
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.store import Repository, open_database

N = 52_000
WORDS = ("band gap lattice dislocation polymer grain boundary perovskite anneal dopant phonon "
         "ceramic sinter fracture toughness modulus crystalline amorphous diffusion").split()


def make_records(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)

    def text(lo: int, hi: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))

    return [{"instruction": f"{i}: {text(8, 30)}?", "input": text(0, 60) if i % 3 else "",
             "output": text(20, 120)} for i in range(n)]


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "alpaca.json"
        src.write_text(json.dumps(make_records(N)), encoding="utf-8")
        repo = Repository(open_database(tmp / "bench.duckdb"))
        t_import, result = timed(lambda: transfer.import_file(repo, src, actor=CLI_ACTOR))
        t_reimport, again = timed(lambda: transfer.import_file(repo, src, actor=CLI_ACTOR))
        t_export_jsonl, _ = timed(lambda: transfer.export_items(repo, tmp / "out.jsonl", "jsonl",
                                                                actor=CLI_ACTOR))
        t_export_parquet, _ = timed(
            lambda: transfer.export_items(repo, tmp / "o.parquet", "parquet", actor=CLI_ACTOR))
        t_pandas, frame = timed(lambda: pd.read_json(src))
        assert result.new_items == N and again.new_items == 0 and len(frame) == N
        print(json.dumps({
            "records": N,
            "file_mb": round(src.stat().st_size / 1e6, 1),
            "import_s": round(t_import, 3),
            "import_records_per_s": round(N / t_import),
            "reimport_s": round(t_reimport, 3),
            "export_jsonl_s": round(t_export_jsonl, 3),
            "export_parquet_s": round(t_export_parquet, 3),
            "export_jsonl_records_per_s": round(N / t_export_jsonl),
            "baseline_pandas_read_json_s": round(t_pandas, 3),
            "baseline_records_per_s": round(N / t_pandas),
            "import_vs_baseline": round(t_import / t_pandas, 2),
            "target_import_s": 2.0,
            "meets_target": t_import < 2.0,
        }, indent=2))


if __name__ == "__main__":
    main()
