"""Generated items, verifier scores and users for the review tests (bulk inserts, seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from honeybee_core import auth
from honeybee_core.domain import SCORE_COLUMNS
from honeybee_core.store import ITEM_COLUMNS, Repository

TOPICS = ("batteries", "ceramics", "polymers", "semiconductors")
TASKS = ("explain", "calculate", "classify")
SOURCES = ("generated", "imported", "feedback")


def items_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array("band gap lattice Perovskite anneal dopant phonon ceramic sinter".split())
    rows = []
    for i in range(n):
        text = " ".join(rng.choice(words, 4))
        rows.append({
            "id": f"item{i:05d}", "stage": int(i % 3) + 1, "topic": TOPICS[i % 4],
            "task_type": TASKS[i % 3], "instruction": f"Q{i}: explain {text} <b>{i}</b>",
            "input": "" if i % 2 else f"Context with $E_g < 2$ eV and 100% {text}",
            "output": f"A{i}: {text}", "source": SOURCES[i % 3], "generator": "test",
            "prompt_version": "v1", "parent_id": None,
        })
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def scores_frame(ids: list[str], seed: int = 0, verifier: str = "offline:v1",
                 scored_fraction: float = 0.9) -> pd.DataFrame:
    """Scores spread over the whole 0-100 range (so strata are populated); some items unscored."""
    rng = np.random.default_rng(seed)
    keep = [i for i in ids if rng.random() < scored_fraction]
    base = rng.uniform(20, 100, len(keep))
    frame = pd.DataFrame({"instruction_id": keep, "verifier": verifier, "rubric_version": "r1"})
    for dim in SCORE_COLUMNS:
        frame[dim] = np.clip(np.round(base + rng.normal(0, 4, len(keep))), 0, 100)
    frame["rationale"] = "checked <i>units</i>"
    return frame


def seed(repo: Repository, n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    items = items_frame(n, seed)
    scores = scores_frame(items["id"].tolist(), seed)
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, scores)
    return items, scores


def add_user(repo: Repository, name: str, role: str = "reviewer",
             password: str | None = None) -> auth.Actor:
    auth.add_user(repo, auth.CLI_ACTOR, name, role, password)
    return auth.get_user(repo, name)  # looked up: require() reads the role from the database
