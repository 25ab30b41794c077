"""The evaluation set of a run: held-out items with trustworthy references, drawn reproducibly.

An item is held out from a run when it is in none of the training snapshots of the run's lineage
(its own snapshot.parquet and, through init_adapter, every earlier stage's) and is no near-
duplicate of one of them. Among held-out items, those the evaluator has already graded for some
run come first, so later stages are compared on the same items; then items whose verifier mean is
at least min_score, in a seeded order; then the rest, best verifier mean first.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from honeybee_core.pipeline.dedup import NearDuplicateIndex

SNAPSHOT_FILE = "snapshot.parquet"  # the copy runs.launch_run puts in every run folder
RUN_FILE = "run.json"


def lineage(run_dir: str | Path) -> list[Path]:
    """The run folder and the folders of the runs it continued from (init_adapter), newest first."""
    chain, folder = [], Path(run_dir).resolve()
    while folder not in chain:  # a cycle would be a hand-edited run.json; stop rather than loop
        chain.append(folder)
        try:
            config = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            break
        init = config.get("init_adapter") if isinstance(config, dict) else None
        if not init:
            break
        folder = Path(init).resolve().parent
    return chain


def training_items(run_dir: str | Path) -> pd.DataFrame:
    """id, instruction, input of every item the run (and its lineage) trained on."""
    frames = [pd.read_parquet(folder / SNAPSHOT_FILE, columns=["id", "instruction", "input"])
              for folder in lineage(run_dir) if (folder / SNAPSHOT_FILE).is_file()]
    if not frames:
        return pd.DataFrame(columns=["id", "instruction", "input"])
    return pd.concat(frames, ignore_index=True).drop_duplicates("id")


def held_out(candidates: pd.DataFrame, trained: pd.DataFrame) -> pd.DataFrame:
    """Candidates that are neither training items nor near-duplicates of one."""
    index = NearDuplicateIndex()
    for row in trained.itertuples(index=False):
        index.add(row.id, row.instruction, row.input or "")
    seen = set(trained["id"])
    keep = [item_id not in seen and index.find(instr, inp or "") is None
            for item_id, instr, inp in zip(candidates["id"], candidates["instruction"],
                                           candidates["input"], strict=True)]
    return candidates[keep]


def choose(candidates: pd.DataFrame, trained: pd.DataFrame, n: int, seed: int = 0,
           min_score: float = 80.0, established: set[str] | frozenset[str] = frozenset()
           ) -> pd.DataFrame:
    """n held-out items: established ones first, then verifier mean >= min_score in a seeded
    order, then the rest by verifier mean; returned sorted by id."""
    pool = held_out(candidates, trained)
    if pool.empty:
        return pool
    shuffle = pool["id"].map(lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    vmean = pool["vmean"].astype(float)
    tier = np.select([pool["id"].isin(established), vmean.fillna(-1) >= min_score], [0, 1], 2)
    ranked = pool.assign(_tier=tier, _score=-vmean.fillna(-1), _shuffle=shuffle)
    # within the first two tiers the seeded order alone; in the last, best references first
    ranked["_score"] = ranked["_score"].where(ranked["_tier"] == 2, 0)
    picked = ranked.sort_values(["_tier", "_score", "_shuffle"]).head(n)
    return picked.drop(columns=["_tier", "_score", "_shuffle"]).sort_values("id")
