"""Review and Explore at scale while people rate, beside the previous implementation.

    python benchmarks/review.py --items 100000 --writes-per-s 5

Builds a database of N items (verifier scores, RATINGS_PER_ITEM expert ratings per item spread
over 30 experts, a decision on one item in ten) through the store's own writers, 100,000 items
per transaction, so the derived tables and the token index are maintained as they would be in
use. Then, while another thread saves ratings at R per second (other experts, through
review.save_rating), it times each page operation RERUNS times, ours and the old path
(benchmarks/review_baseline.py: main before this work) one after the other on the same data:

- review: what a Review page rerun asks the core for (filters, the queue page, the item in
  full, your rating, the sidebar's running rho, your earlier ratings);
- rate_and_next: the reviewer saves a rating of the item in front of them, then that rerun
  (their own rating changes their queue, rho and earlier ratings; both paths save through
  today's save_rating);
- explore: what an Explore page rerun asks for (filters, a page of stage 2 sorted by accuracy,
  the first row in full);
- search_<kind>: an Explore page with a search text never searched before (a rare, a
  mid-frequency and a common word, and a two-word phrase), ours through the token index, the
  old path by ILIKE over every text (its item summary built beforehand, so only the search is
  timed);
- rate: saving a rating (the writer thread's own latencies, ours only: the old path wrote the
  same rows without the derived ones);
- review_page / explore_page: whole AppTest reruns of the page scripts (ours only);
- first_page_after_start: a fresh process that imports the core, opens the file and returns the
  first Review queue item with its detail, or the first Explore page (ours and the old path).

Prints one JSON object; times in ms (p50/p95), build and start-up in seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import review_baseline as old  # noqa: E402

from honeybee_core import audit, auth, explore, review, sessions  # noqa: E402  # noqa: E402
from honeybee_core.auth import Actor  # noqa: E402
from honeybee_core.config import get_settings  # noqa: E402
from honeybee_core.domain import SCORE_COLUMNS, ExploreQuery, ItemWhere  # noqa: E402
from honeybee_core.store import Repository  # noqa: E402

N_EXPERTS, RATINGS_PER_ITEM, CHUNK = 30, 3, 100_000
REVIEWER = "expert-00"
WORDS = ("band gap lattice dislocation polymer grain boundary perovskite anneal dopant phonon "
         "ceramic sinter fracture toughness modulus crystalline diffusion the of and a in is to "
         "for with by on at oxide alloy steel strain stress thermal conductivity electron "
         "battery cathode").split()
VOCAB = 30_000  # plus WORDS; drawn log-uniformly (Zipf-like), so words range from rare to common


def _generator() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE vocab AS SELECT list(w ORDER BY k) AS words FROM (SELECT k, CASE WHEN"
        " k < ? THEN (?::VARCHAR[])[k + 1] ELSE chr(97 + (hash(k, 1) % 26)::INT) || chr(97 +"
        " (hash(k, 2) % 26)::INT) || chr(97 + (hash(k, 3) % 26)::INT) || 'ium' || k::VARCHAR"
        " END AS w FROM range(?) t(k))", [len(WORDS), WORDS, VOCAB])
    return con


def _text(column: str, words: int) -> str:
    pick = (f"v.words[1 + least({VOCAB - 1}, floor(exp((hash(i, j, '{column}') % 1000000)"
            f" / 1000000.0 * ln({VOCAB}))) - 1)::INT]")
    return f"array_to_string(list_transform(range({words}), lambda j: {pick}), ' ')"


def item_id(i: int) -> str:
    """Item i's id: 20 hex digits like the content ids (so ids are in no order on disk)."""
    return hashlib.md5(str(i).encode()).hexdigest()[:20]


def items_chunk(gen: duckdb.DuckDBPyConnection, start: int, n: int) -> object:
    return gen.sql(
        "SELECT substr(md5(i::VARCHAR), 1, 20) AS id, 1 + (hash(i, 's') % 3)::INT AS stage,"
        " 'topic ' || (hash(i, 't') % 20)::VARCHAR AS topic,"
        " 'task ' || (hash(i, 'k') % 20)::VARCHAR AS task_type,"
        f" {_text('ins', 12)} AS instruction, {_text('inp', 20)} AS input,"
        f" {_text('out', 40)} AS output,"
        " CASE WHEN hash(i, 'g') % 5 = 0 THEN 'imported' ELSE 'generated' END AS source,"
        " 'bench' AS generator, 'v1' AS prompt_version, NULL::VARCHAR AS parent_id"
        f" FROM range({start}, {start + n}) r(i), vocab v").to_arrow_table()


def scores_chunk(start: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(start)
    ids = [item_id(i) for i in range(start, start + n)]
    base = np.clip(rng.normal(85, 10, n), 0, 100)
    frame = pd.DataFrame({"instruction_id": ids, "verifier": "offline:v1",
                          "rubric_version": "r1", "rationale": "bench"})
    for dim in SCORE_COLUMNS:
        frame[dim] = np.clip(np.round(base + rng.normal(0, 4, n)), 0, 100)
    return frame


def ratings_of(expert: int, n_items: int) -> pd.DataFrame:
    rng = np.random.default_rng(1000 + expert)
    chosen = np.flatnonzero(rng.random(n_items) < RATINGS_PER_ITEM / N_EXPERTS)
    frame = pd.DataFrame({"instruction_id": [item_id(i) for i in chosen],
                          "annotator": f"expert-{expert:02d}"})
    base = rng.normal(80, 12, len(chosen))
    for dim in SCORE_COLUMNS:
        frame[dim] = np.clip(np.round(base + rng.normal(0, 6, len(chosen))), 0, 100)
    frame["verdict"] = np.where(rng.random(len(chosen)) < 0.8, "approve", "reject")
    frame["comment"], frame["blind"] = None, True
    return frame


def build(repo: Repository, n: int) -> dict[str, float]:
    """Everything through the store's writers, as imports would write it."""
    gen, times = _generator(), {}
    start = time.perf_counter()
    for first in range(0, n, CHUNK):
        size = min(CHUNK, n - first)
        with repo.db.transaction() as cur:
            repo.insert_items(cur, items_chunk(gen, first, size))
            repo.insert_verifier_scores(cur, scores_chunk(first, size))
    times["items_and_scores_s"] = time.perf_counter() - start
    start = time.perf_counter()
    experts = [f"expert-{k:02d}" for k in range(N_EXPERTS)]
    for name in experts:  # people who may rate (the writers look roles up in the database)
        auth.add_user(repo, auth.CLI_ACTOR, name, "reviewer")
    for k in range(N_EXPERTS):
        with repo.db.transaction() as cur:
            repo.upsert_ratings(cur, ratings_of(k, n))
    times["ratings_s"] = time.perf_counter() - start
    start = time.perf_counter()
    decided = [item_id(i) for i in range(0, n, 10)]
    with repo.db.transaction() as cur:
        repo.add_decisions(cur, decided[::2], "approve", "cora", None)
        repo.add_decisions(cur, decided[1::2], "reject", "cora", None)
    times["decisions_s"] = time.perf_counter() - start
    return {k: round(v, 1) for k, v in times.items()}


# -- timing -------------------------------------------------------------------------------------
def timed(fn: Callable[[int], object], n: int) -> dict[str, float]:
    fn(0)  # warm imports and caches once, as a live app would be
    times = []
    for i in range(n):
        start = time.perf_counter()
        fn(i + 1)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 1),
            "p95_ms": round(float(np.percentile(times, 95)), 1)}


class Writer(threading.Thread):
    """Other experts saving ratings at rate per second, as people working would."""

    def __init__(self, repo: Repository, n_items: int, rate: float) -> None:
        super().__init__(daemon=True)
        self.repo, self.n_items, self.rate = repo, n_items, rate
        self.stop, self.latencies_ms, self.errors = threading.Event(), [], []

    def run(self) -> None:
        rng = np.random.default_rng(7)
        nxt = time.perf_counter()
        while not self.stop.is_set():
            who = auth.get_user(self.repo, f"expert-{rng.integers(1, N_EXPERTS):02d}")
            item = item_id(int(rng.integers(0, self.n_items)))
            score = float(rng.integers(0, 101))
            start = time.perf_counter()
            try:
                review.save_rating(self.repo, who, item, review.Rating(
                    score, score, score, score, verdict="approve"))
            except Exception as exc:  # noqa: BLE001 - counted in the report
                self.errors.append(repr(exc))
            self.latencies_ms.append((time.perf_counter() - start) * 1000)
            nxt += 1 / self.rate
            self.stop.wait(max(0.0, nxt - time.perf_counter()))


def review_rerun(repo: Repository, me: Actor, where: ItemWhere, i: int) -> None:
    review.filter_options(repo)
    page = review.queue(repo, me, where, offset=i % 5)
    explore.item_detail(repo, page.ids[0])
    review.get_rating(repo, me, page.ids[0])
    audit.reviewer_agreement(repo, me.name)
    review.my_ratings(repo, me)


def rate_and_next(repo: Repository, me: Actor, where: ItemWhere, rerun: Callable) -> None:
    """The reviewer rates the item in front of them, then the page reruns."""
    page = review.queue(repo, me, where)
    review.save_rating(repo, me, page.ids[0], review.Rating(60, 60, 60, 60, "approve"))
    rerun(0)


def old_review_rerun(repo: Repository, q: old.OldQueries, where: ItemWhere, i: int) -> None:
    review.filter_options(repo)
    rows, _, _ = old.queue(q, REVIEWER, where, i % 5)
    explore.item_detail(repo, rows["id"].iloc[0])
    repo.rating_of(rows["id"].iloc[0], REVIEWER)
    old.reviewer_agreement(q, REVIEWER)
    old.my_ratings(q, REVIEWER)


EXPLORE = ExploreQuery(where=ItemWhere(stages=(2,)), sort="accuracy", descending=True)


def explore_rerun(repo: Repository, i: int) -> None:
    review.filter_options(repo)
    page = explore.explore(repo, ExploreQuery(**{**EXPLORE.__dict__, "page": i % 10}))
    explore.item_detail(repo, page.rows["id"].iloc[0])


def old_explore_rerun(repo: Repository, q: old.OldQueries, i: int) -> None:
    review.filter_options(repo)
    rows, _ = old.explore(q, ExploreQuery(**{**EXPLORE.__dict__, "page": i % 10}))
    explore.item_detail(repo, rows["id"].iloc[0])


def search_words(repo: Repository, reruns: int) -> dict[str, list[str]]:
    """Words never searched before, per frequency band (fraction of items holding them)."""
    n = repo.db.cursor().execute("SELECT count(*) FROM item_facts").fetchall()[0][0]
    df = repo.db.cursor().execute(
        "SELECT v.token, count(*) AS df FROM (SELECT * FROM search_postings UNION ALL"
        " SELECT * FROM search_recent) p JOIN search_vocab v USING (token_no)"
        " GROUP BY v.token").df()
    df["share"] = df["df"] / n
    bands = {"rare": (0.0001, 0.001), "mid": (0.005, 0.02), "common": (0.1, 0.5)}
    out = {}
    for kind, (lo, hi) in bands.items():
        pool = df[(df["share"] >= lo) & (df["share"] <= hi)]["token"].tolist()
        out[kind] = (pool * (reruns // max(1, len(pool)) + 2))[:reruns + 1]
    mid = out["mid"]
    out["phrase"] = [f"{a} {b}" for a, b in zip(mid, out["rare"], strict=True)]
    return out


FIRST_PAGE = """
import sys, time
start = time.perf_counter()
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/benchmarks"]
from honeybee_core import explore, review
from honeybee_core.auth import Actor
from honeybee_core.domain import ExploreQuery, ItemWhere
from honeybee_core.store import Repository, open_database
repo = Repository(open_database(sys.argv[2]))
from honeybee_core.auth import get_user
me, where = get_user(repo, "expert-00"), ItemWhere()
query = ExploreQuery(where=ItemWhere(stages=(2,)), sort="accuracy", descending=True)
if sys.argv[3] == "ours":
    first = review.queue(repo, me, where).ids[0] if sys.argv[4] == "review" else \\
        explore.explore(repo, query).rows["id"].iloc[0]
else:
    import review_baseline as old
    q = old.OldQueries(repo)
    first = old.queue(q, me.name, where, 0)[0]["id"].iloc[0] if sys.argv[4] == "review" else \\
        old.explore(q, query)[0]["id"].iloc[0]
explore.item_detail(repo, first)
print(time.perf_counter() - start)
"""


def first_page(path: Path, who: str, page: str) -> float:
    out = subprocess.run([sys.executable, "-c", FIRST_PAGE, str(ROOT), str(path), who, page],
                         capture_output=True, text=True, check=True)
    return round(float(out.stdout.strip().splitlines()[-1]), 2)


def page_reruns(repo: Repository, page: str, reruns: int,
                step: Callable | None = None) -> dict[str, float]:
    from datetime import timedelta

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    code = sessions.start(repo, auth.get_user(repo, REVIEWER), "none", timedelta(hours=1))
    at.session_state["hb_session_token"] = sessions.redeem(repo, code)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception

    def rerun(i: int) -> None:
        if step is not None:
            step(at, i)
        at.run()
        assert not at.exception, at.exception
    return timed(rerun, reruns)


def explore_step(at: object, i: int) -> None:
    if i == 0:
        at.multiselect(key="ex_stages").set_value([2])
        at.selectbox(key="ex_sort").set_value("accuracy")
        at.toggle(key="ex_desc").set_value(True)
    at.number_input(key="ex_page").set_value(1 + i % 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--writes-per-s", type=float, default=5.0)
    parser.add_argument("--reruns", type=int, default=30)
    parser.add_argument("--db", type=Path, help="keep the database here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        os.environ["HONEYBEE_DB"] = str(path)  # a standalone script, not a test
        get_settings.cache_clear()
        from views.common import _repository  # the app's own Repository: one write lock

        fresh = not path.exists()
        start = time.perf_counter()
        repo = _repository(str(path))
        result: dict[str, object] = {"items": args.items, "writes_per_s": args.writes_per_s,
                                     "reruns": args.reruns, "cpus": os.cpu_count(),
                                     "load_avg_1m_start": round(os.getloadavg()[0], 1)}
        if fresh:
            result["build"] = build(repo, args.items)
        result["build_s"] = round(time.perf_counter() - start, 1)
        counts = repo.table_counts()
        result["ratings"] = counts["expert_ratings"]
        result["postings"] = counts["search_postings"] + counts["search_recent"]
        q = old.OldQueries(repo)
        me, where = auth.get_user(repo, REVIEWER), ItemWhere()
        words = search_words(repo, args.reruns)
        writer = Writer(repo, args.items, args.writes_per_s)
        writer.start()
        ops: dict[str, dict[str, object]] = {}
        ops["review"] = {"ours": timed(lambda i: review_rerun(repo, me, where, i), args.reruns),
                         "old": timed(lambda i: old_review_rerun(repo, q, where, i),
                                      max(3, args.reruns // 6))}
        ops["rate_and_next"] = {
            "ours": timed(lambda i: rate_and_next(
                repo, me, where, lambda k: review_rerun(repo, me, where, k)), args.reruns),
            "old": timed(lambda i: rate_and_next(
                repo, me, where, lambda k: old_review_rerun(repo, q, where, k)),
                max(3, args.reruns // 6))}
        ops["explore"] = {"ours": timed(lambda i: explore_rerun(repo, i), args.reruns),
                          "old": timed(lambda i: old_explore_rerun(repo, q, i),
                                       max(3, args.reruns // 6))}
        summary = q.item_summary(None)
        for kind, texts in words.items():
            ops["search_" + kind] = {
                "ours": timed(lambda i, t=texts: explore.explore(
                    repo, ExploreQuery(search=t[i])), args.reruns),
                "old": timed(lambda i, t=texts: q.explore(summary, ExploreQuery(search=t[i])),
                             max(3, args.reruns // 6)),
                "example": texts[0]}
        ops["review_page"] = {"ours": page_reruns(repo, "views/review.py", args.reruns)}
        ops["explore_page"] = {"ours": page_reruns(repo, "views/explore.py", args.reruns,
                                                   explore_step)}
        writer.stop.set()
        writer.join()
        lat = writer.latencies_ms
        ops["rate"] = {"ours": {"p50_ms": round(float(np.percentile(lat, 50)), 1),
                                "p95_ms": round(float(np.percentile(lat, 95)), 1)},
                       "writes": len(lat), "errors": writer.errors[:3]}
        for op in ops.values():
            if "old" in op:
                op["ratio_p95_old_over_ours"] = round(op["old"]["p95_ms"]
                                                      / max(op["ours"]["p95_ms"], 0.1), 1)
        result["ops"] = ops
        repo.db.close()
        from honeybee_core import web_routes

        web_routes._repos.clear()  # the file is closed: a later open starts afresh
        result["first_page_after_start_s"] = {
            page: {"ours": first_page(path, "ours", page), "old": first_page(path, "old", page)}
            for page in ("review", "explore")}
        result["targets_ms"] = {"review_and_explore_p95": 150, "search_p95": 300,
                                "first_page_s": 3}
        result["load_avg_1m_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
