"""The held-out evaluation set: drawn once, graded for every row of the stage table.

The first evaluation of anything (a training run, an API model, the references) draws the set
from the items no snapshot holds and no run trained on (pipeline.heldout_draw: trustworthy
references first, in a seeded order). Every later row is graded on the same items, and every
later snapshot leaves them out (curation.select), so the base model, each stage, the API
students and the Instructor are compared on one set, which the table names.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pandas as pd

from honeybee_core.auth import Actor, require, writes
from honeybee_core.errors import InputError
from honeybee_core.pipeline import heldout_draw
from honeybee_core.store import Repository, rows

EMPTY = pd.DataFrame(columns=["id", "instruction", "input"])


def current(repo: Repository) -> dict[str, Any] | None:
    """The newest held-out set (id, n, seed, min_score, items, created_at), or None."""
    sets = repo.heldout_sets()
    return rows(sets.head(1))[0] if len(sets) else None


def trained_items(repo: Repository) -> pd.DataFrame:
    """id, instruction, input of every item a snapshot holds or a registered run trained on."""
    frames = [repo.items_by_ids(sorted(repo.snapshot_item_ids()))[["id", "instruction", "input"]]]
    for out_dir in repo.runs(limit=1_000_000)["out_dir"]:
        frames.append(heldout_draw.training_items(Path(out_dir)))
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True).drop_duplicates("id") if frames else EMPTY


@writes("launch_run")
def ensure(repo: Repository, n: int, seed: int, min_score: float, *, actor: Actor,
           also_trained: pd.DataFrame | None = None, new: bool = False) -> dict[str, Any]:
    """The current set; drawn now when there is none yet (or new=True), away from everything
    trained so far and from also_trained (the run about to be evaluated)."""
    actor = require(actor, "launch_run", repo)
    row = None if new else current(repo)
    if row is not None:
        return row
    trained = trained_items(repo)
    if also_trained is not None and not also_trained.empty:
        trained = pd.concat([trained, also_trained], ignore_index=True).drop_duplicates("id")
    picked = heldout_draw.choose(repo.evaluation_candidates(), trained, n, seed, min_score)
    if picked.empty:
        raise InputError("No item is left to hold out for evaluation; generate and verify "
                         "items first.")
    ids = sorted(picked["id"])
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:8]
    set_id = f"heldout-{time.strftime('%Y%m%d-%H%M%S')}-{digest}"
    with repo.db.transaction() as cur:
        repo.insert_heldout_set(cur, {"id": set_id, "n": n, "seed": seed, "min_score": min_score,
                                      "created_by": actor.name}, ids)
    return current(repo) or {}


def items(repo: Repository, set_id: str) -> pd.DataFrame:
    """The set's items with what answering and grading need (id, topic, instruction, input,
    output, verifier mean), sorted by id."""
    ids = repo.heldout_ids(set_id)
    candidates = repo.evaluation_candidates()
    return candidates[candidates["id"].isin(ids)].sort_values("id").reset_index(drop=True)


def describe(row: dict[str, Any] | None) -> str:
    """One line naming the set, for tables and CLI output."""
    if not row:
        return "no held-out set drawn yet"
    return (f"held-out set {row['id']}: {int(row['items'])} items (seed {int(row['seed'])}, "
            f"references with verifier mean >= {row['min_score']:g} first)")
