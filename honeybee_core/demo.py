"""The offline demo: a new user lands in a full app with no key and no download.

Seeds an empty database with offline-generated triples grounded on data/corpus, scores them with
the offline verifier, and adds ratings from two clearly named demo experts (noisy copies of the
verifier's scores) so the agreement page has something to show. Never touches a non-empty
database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from honeybee_core.config import Settings, get_settings
from honeybee_core.domain import SCORE_COLUMNS
from honeybee_core.pipeline import jobs
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.store import Repository

DEMO_EXPERTS = ("demo-expert-a", "demo-expert-b")


def seed_demo(repo: Repository, settings: Settings | None = None) -> dict[str, int] | None:
    """Seed an empty database; returns the counts, or None when the database already has items."""
    settings = settings or get_settings()
    if repo.stats()["instructions"] > 0 or settings.demo_items == 0:
        return None
    generated = jobs.run_generate(
        repo, GenerateParams(n=settings.demo_items, per_call=5, seed=2023), actor="demo",
        settings=settings,
    )
    verified = jobs.run_verify(repo, jobs.VerifyParams(), actor="demo", settings=settings)
    rated = _demo_ratings(repo)
    return {"items": generated.new_items, "duplicates": generated.duplicates,
            "scored": verified.scored, "demo_ratings": rated}


def _demo_ratings(repo: Repository, n_items: int = 60, seed: int = 7) -> int:
    scores = repo.verifier_scores()
    if scores.empty:
        return 0
    rng = np.random.default_rng(seed)
    chosen = scores.sort_values("instruction_id").iloc[:: max(1, len(scores) // n_items)]
    rows = []
    for expert_no, expert in enumerate(DEMO_EXPERTS):
        noise = rng.normal(0, 8 + 4 * expert_no, size=(len(chosen), len(SCORE_COLUMNS)))
        values = np.clip(np.rint(chosen[SCORE_COLUMNS].to_numpy() + noise), 0, 100)
        for item_id, row in zip(chosen["instruction_id"], values, strict=True):
            rows.append({"instruction_id": item_id, "annotator": expert,
                         **dict(zip(SCORE_COLUMNS, row.tolist(), strict=True)),
                         "verdict": "approve" if row.mean() >= 80 else "reject",
                         "comment": "demo rating", "blind": True})
    frame = pd.DataFrame(rows)
    with repo.db.transaction() as cur:
        repo.ensure_annotators(cur, list(DEMO_EXPERTS))
        inserted, _ = repo.upsert_ratings(cur, frame)
    return inserted
