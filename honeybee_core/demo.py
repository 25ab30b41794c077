"""The offline demo: a new user lands in a full app with no key and no download.

Seeds an empty database with offline-generated triples grounded on data/corpus, scores them with
the offline verifier, and adds ratings from two clearly named, simulated demo experts so the
agreement page has something to show. The simulated experts see what the verifier sees plus a
judgement of their own (shared by both: experts agree with each other more than with a model)
and some personal noise, sized to each dimension's spread so the expert-verifier correlations
land near the paper's Spearman 0.6-0.8 rather than at a copy's 0.95. Never touches a non-empty
database; every page shows a "demo data" badge while the demo items are there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from honeybee_core.auth import DEMO_ACTOR, Actor, require, writes
from honeybee_core.domain import SCORE_COLUMNS
from honeybee_core.store import Repository

if TYPE_CHECKING:  # every page asks demo_items; the seeding's libraries load when it runs
    import numpy as np

    from honeybee_core.config import Settings

DEMO_EXPERTS = ("demo-expert-a", "demo-expert-b")
SHARED_NOISE = 0.9    # the experts' own view, in units of the verifier's spread per dimension
PERSONAL_NOISE = 0.6  # each expert's scatter around it, same units


@writes("import_data")
def seed_demo(repo: Repository, settings: Settings | None = None, *,
              actor: Actor) -> dict[str, int] | None:
    """Seed an empty database; returns the counts, or None when the database already has items.
    The jobs run as auth.DEMO_ACTOR, whose name marks the demo's items."""
    from honeybee_core.config import get_settings
    from honeybee_core.pipeline import jobs
    from honeybee_core.pipeline.instructor import GenerateParams

    require(actor, "import_data", repo)
    settings = settings or get_settings()
    if repo.stats()["instructions"] > 0 or settings.demo_items == 0:
        return None
    generated = jobs.run_generate(
        repo, GenerateParams(n=settings.demo_items, per_call=5, seed=2023), actor=DEMO_ACTOR,
        settings=settings,
    )
    verified = jobs.run_verify(repo, jobs.VerifyParams(), actor=DEMO_ACTOR, settings=settings)
    rated = _demo_ratings(repo)
    return {"items": generated.new_items, "duplicates": generated.duplicates,
            "scored": verified.scored, "demo_ratings": rated}


def demo_items(repo: Repository) -> int:
    """How many items in the database the demo seeding wrote (0: no demo data here)."""
    return repo.items_by_job_actor(DEMO_ACTOR.name)


def simulated_ratings(verifier: np.ndarray, n_experts: int, seed: int) -> np.ndarray:
    """(experts, items, 4) 0-100 scores: the verifier's plus a shared and a personal deviation,
    each scaled to the spread of the verifier's scores on that dimension."""
    import numpy as np

    rng = np.random.default_rng(seed)
    spread = np.maximum(verifier.std(axis=0), 5.0)
    shared = rng.normal(0.0, SHARED_NOISE, verifier.shape) * spread
    personal = rng.normal(0.0, PERSONAL_NOISE, (n_experts, *verifier.shape)) * spread
    return np.clip(np.rint(verifier + shared + personal), 0, 100)


def _demo_ratings(repo: Repository, n_items: int = 80, seed: int = 7) -> int:
    import numpy as np
    import pandas as pd

    scores = repo.verifier_scores()
    if scores.empty:
        return 0
    ordered = scores.sort_values("instruction_id")  # a content hash: a fair, fixed sample
    chosen = ordered.iloc[np.linspace(0, len(ordered) - 1, min(n_items, len(ordered))).astype(int)]
    values = simulated_ratings(chosen[SCORE_COLUMNS].to_numpy(float), len(DEMO_EXPERTS), seed)
    rows = []
    for expert, mine in zip(DEMO_EXPERTS, values, strict=True):
        for item_id, row in zip(chosen["instruction_id"], mine, strict=True):
            good = row.mean() >= 80 and row.min() >= 60
            rows.append({"instruction_id": item_id, "annotator": expert,
                         **dict(zip(SCORE_COLUMNS, row.tolist(), strict=True)),
                         "verdict": "approve" if good else "reject",
                         "comment": "simulated demo rating", "blind": True})
    with repo.db.transaction() as cur:
        repo.ensure_annotators(cur, list(DEMO_EXPERTS))
        inserted, _ = repo.upsert_ratings(cur, pd.DataFrame(rows))
    return inserted
