"""Review and Explore page reruns on 100,000 items and 300,000 ratings, beside a pandas baseline.

Prints one JSON object. For each page: the server-side time of a whole rerun (AppTest: the page
script, its DuckDB queries and the render) and of the core queries alone, p50/p95 over RERUNS
reruns. The baseline does what a naive page would: load the items (with their scores, ratings and
decisions) into pandas on every rerun, then filter, sort and page there.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from honeybee_core import auth, explore, review  # noqa: E402
from honeybee_core.config import get_settings  # noqa: E402
from honeybee_core.domain import SCORE_COLUMNS, ExploreQuery  # noqa: E402
from honeybee_core.store import ITEM_COLUMNS, Repository, open_database  # noqa: E402

N_ITEMS, N_EXPERTS, PER_EXPERT, RERUNS = 100_000, 30, 10_000, 30
WORDS = np.array("band gap lattice dislocation polymer grain boundary perovskite anneal dopant "
                 "phonon ceramic sinter fracture toughness modulus crystalline diffusion".split())
TOPICS = np.array([f"topic {i}" for i in range(20)])
TASKS = np.array([f"task {i}" for i in range(20)])
REVIEWER = "expert-00"


def _text(rng: np.random.Generator, n: int, words: int) -> np.ndarray:
    picks = WORDS[rng.integers(0, len(WORDS), (n, words))]
    return np.array([" ".join(row) for row in picks], dtype=object)


def build(path: Path, seed: int = 0) -> None:
    """Items, verifier scores and ratings, each written as one bulk insert."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"it{i:06d}" for i in range(N_ITEMS)], dtype=object)
    items = pa.table({
        "id": ids, "stage": rng.integers(1, 4, N_ITEMS), "topic": TOPICS[rng.integers(0, 20,
                                                                                     N_ITEMS)],
        "task_type": TASKS[rng.integers(0, 20, N_ITEMS)],
        "instruction": np.char.add(ids.astype(str), ": " + _text(rng, N_ITEMS, 12).astype(str)),
        "input": _text(rng, N_ITEMS, 20), "output": _text(rng, N_ITEMS, 40),
        "source": np.where(rng.random(N_ITEMS) < 0.8, "generated", "imported"),
        "generator": np.full(N_ITEMS, "bench", dtype=object),
        "prompt_version": np.full(N_ITEMS, "v1", dtype=object),
        "parent_id": pa.nulls(N_ITEMS, pa.string()),
    }).select(ITEM_COLUMNS)
    base = np.clip(rng.normal(88, 9, N_ITEMS), 0, 100)
    scores = pd.DataFrame({"instruction_id": ids, "verifier": "offline:v1",
                           "rubric_version": "r1", "rationale": "bench"})
    for dim in SCORE_COLUMNS:
        scores[dim] = np.clip(np.round(base + rng.normal(0, 4, N_ITEMS)), 0, 100)
    experts = [f"expert-{k:02d}" for k in range(N_EXPERTS)]
    rated = np.concatenate([rng.choice(N_ITEMS, PER_EXPERT, replace=False)
                            for _ in experts])
    ratings = pd.DataFrame({"instruction_id": ids[rated],
                            "annotator": np.repeat(experts, PER_EXPERT)})
    for dim in SCORE_COLUMNS:
        ratings[dim] = np.clip(np.round(base[rated] + rng.normal(0, 8, len(rated))), 0, 100)
    ratings["verdict"] = np.where(rng.random(len(rated)) < 0.8, "approve", "reject")
    ratings["comment"], ratings["blind"] = None, True
    database = open_database(path)
    repo = Repository(database)
    with database.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, scores)
        repo.ensure_annotators(cur, experts)
        repo.upsert_ratings(cur, ratings)
    database.close()


# -- the baseline: everything into pandas on every rerun ----------------------------------------
def _frames(repo: Repository) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    items = repo.select_items()
    scores = repo.verifier_scores().groupby("instruction_id")[SCORE_COLUMNS].mean()
    ratings = repo.expert_ratings()
    return items.set_index("id").join(scores), ratings, scores


def baseline_review(repo: Repository, who: str) -> str:
    table, ratings, _ = _frames(repo)
    mine = set(ratings.loc[ratings["annotator"] == who, "instruction_id"])
    table["vmean"] = table[SCORE_COLUMNS].mean(axis=1)
    lo, hi = table["vmean"].min(), table["vmean"].max()
    table["stratum"] = np.minimum(9, ((table["vmean"] - lo) / (hi - lo) * 10) // 1)
    table["h"] = [hash((i, who)) for i in table.index]
    table["turn"] = table.groupby("stratum")["h"].rank(method="first")
    queue = table[~table.index.isin(mine)].sort_values(["turn", "stratum"])
    return str(queue.index[0])


def baseline_explore(repo: Repository, page: int) -> pd.DataFrame:
    table, ratings, _ = _frames(repo)
    counts = ratings.groupby("instruction_id").size().rename("n_ratings")
    table = table.join(counts)
    table = table[(table["stage"] == 2) & table["instruction"].str.contains("perovskite")]
    return table.sort_values("accuracy", ascending=False).iloc[page * 50:(page + 1) * 50]


# -- timing -------------------------------------------------------------------------------------
def timed(fn: Callable[[int], object], n: int = RERUNS) -> dict[str, float]:
    fn(0)  # warm caches and imports once, as a live app would be
    times = []
    for i in range(n):
        start = time.perf_counter()
        fn(i + 1)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 1),
            "p95_ms": round(float(np.percentile(times, 95)), 1)}


def page_reruns(page: str, step: Callable | None = None) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["hb_user"] = REVIEWER
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception

    def rerun(i: int) -> None:
        if step is not None:
            step(at, i)
        at.run()
        assert not at.exception, at.exception
    return timed(rerun)


def explore_step(at: object, i: int) -> None:
    """The benchmark's explore query in the page: stage 2, a search, sorted by accuracy."""
    if i == 0:
        at.multiselect(key="ex_stages").set_value([2])
        at.text_input(key="ex_search").input("perovskite")
        at.selectbox(key="ex_sort").set_value("accuracy")
        at.toggle(key="ex_desc").set_value(True)
    at.number_input(key="ex_page").set_value(1 + i % 5)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        start = time.perf_counter()
        build(path)
        build_s = time.perf_counter() - start
        os.environ["HONEYBEE_DB"] = str(path)  # a standalone script, not a test
        get_settings.cache_clear()
        database = open_database(path)
        repo = Repository(database)
        me = auth.get_user(repo, REVIEWER)
        where = review.ItemWhere()
        query = ExploreQuery(where=review.ItemWhere(stages=(2,)), search="perovskite",
                             sort="accuracy", descending=True)
        result = {
            "items": N_ITEMS, "ratings": N_EXPERTS * PER_EXPERT, "reruns": RERUNS,
            "build_s": round(build_s, 1),
            # what a rerun pays once after the data change (both are cached until the next one)
            "cold_audit_order": timed(lambda i: repo.review_order(REVIEWER, where, 10), 5),
            "cold_item_summary": timed(lambda i: repo.item_summary(None), 5),
            # the page reads its progress off the same queue call
            "review_queries": timed(lambda i: review.queue(repo, me, where, offset=i % 5)),
            "explore_queries": timed(lambda i: explore.explore(
                repo, ExploreQuery(**{**query.__dict__, "page": i % 10}))),
            "baseline_review_pandas": timed(lambda i: baseline_review(repo, REVIEWER), 5),
            "baseline_explore_pandas": timed(lambda i: baseline_explore(repo, i % 10), 5),
        }
        result["review_page_rerun"] = page_reruns("views/review.py")
        result["explore_page_rerun"] = page_reruns("views/explore.py", explore_step)
        result["target_p95_ms"] = 150
        result["meets_target"] = all(result[k]["p95_ms"] < 150
                                     for k in ("review_page_rerun", "explore_page_rerun"))
        database.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
