"""A bulk decision, its preview and a curation count on 100,000 scored items: the filter rule in
the database (ours) beside the path it replaced (the baseline).

Prints one JSON object. The baseline is the code as it was before rules compiled to SQL, copied
here: read every scored item's four scores into numpy, apply FilterRule.passes, build a Python
list of the chosen ids and send it back in an INSERT ... SELECT unnest(list). Ours is
review.bulk_preview / review.bulk_apply / curation.preview as they are now. Ours and the baseline
run in turn, REPS times each (median), the decisions table emptied before every run; DuckDB's
QueryLog counts the statements each runs (BEGIN and COMMIT aside), and the rows that cross into
or out of Python are counted as well.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from honeybee_core import curation, review  # noqa: E402
from honeybee_core.auth import CLI_ACTOR  # noqa: E402
from honeybee_core.domain import DIMENSIONS  # noqa: E402
from honeybee_core.rules import FilterRule, parse_rule  # noqa: E402
from honeybee_core.store import ITEM_COLUMNS, Repository, open_database  # noqa: E402

N_ITEMS, REPS = 100_000, 9
ALL_RULE = "min>=0"  # every scored item passes: the decision touches all 100,000
PAPER_RULE = "mean>=95,min>=90"


def build(repo: Repository, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"it{i:06d}" for i in range(N_ITEMS)]
    items = pd.DataFrame({c: None for c in ITEM_COLUMNS}, index=range(N_ITEMS)).assign(
        id=ids, stage=rng.integers(1, 4, N_ITEMS), instruction=[f"Q {i}" for i in ids],
        input="", output="A.", source="generated")
    base = np.clip(rng.normal(88, 9, N_ITEMS), 0, 100)
    scores = pd.DataFrame({"instruction_id": ids, "verifier": "offline:v1",
                           "rubric_version": "r1", "rationale": None})
    for dim in DIMENSIONS:
        scores[dim] = np.clip(np.round(base + rng.normal(0, 3, N_ITEMS)), 0, 100)
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, scores)


# -- the baseline: the path before rules compiled to SQL (store.item_scores + review._plan) -----
def _old_scores(cur, undecided_only: bool) -> tuple[list[str], np.ndarray]:
    frame = cur.execute(
        "SELECT v.instruction_id, avg(v.accuracy), avg(v.relevance), avg(v.completeness),"
        " avg(v.reasonableness) FROM verifier_scores v"
        " WHERE (?::VARCHAR IS NULL OR v.verifier = ?::VARCHAR) AND (NOT ? OR NOT EXISTS"
        " (SELECT 1 FROM current_decisions d WHERE d.instruction_id = v.instruction_id))"
        " GROUP BY v.instruction_id ORDER BY v.instruction_id",
        [None, None, undecided_only],
    ).fetchnumpy()
    ids = frame["instruction_id"].tolist()
    return ids, np.column_stack([np.asarray(frame[k], dtype=float) for k in list(frame)[1:]])


def old_preview(repo: Repository, rule: FilterRule) -> tuple[int, int]:
    ids, scores = _old_scores(repo.db.cursor(), True)
    chosen = [i for i, k in zip(ids, rule.passes(scores), strict=True) if k]
    return len(chosen), len(ids)  # picked, rows read into Python


def old_apply(repo: Repository, rule: FilterRule) -> tuple[int, int]:
    with repo.db.transaction() as cur:
        ids, scores = _old_scores(cur, True)
        chosen = [i for i, k in zip(ids, rule.passes(scores), strict=True) if k]
        cur.execute("INSERT INTO decisions (instruction_id, decision, decided_by, reason, rule)"
                    " SELECT unnest(?::VARCHAR[]), ?, ?, ?, ?",
                    [chosen, "approve", "cli", f"bulk: passes {rule}", str(rule)])
    return len(chosen), len(ids) + len(chosen)  # rows read out, ids sent back


def old_curation(repo: Repository, rule: FilterRule) -> tuple[int, int]:
    frame = repo.db.cursor().execute(
        "WITH latest AS (SELECT * FROM verifier_scores QUALIFY row_number() OVER"
        " (PARTITION BY instruction_id, verifier ORDER BY created_at DESC,"
        " rubric_version DESC) = 1),"
        " mean_scores AS (SELECT instruction_id, avg(accuracy) AS accuracy,"
        " avg(relevance) AS relevance, avg(completeness) AS completeness,"
        " avg(reasonableness) AS reasonableness FROM latest GROUP BY instruction_id)"
        " SELECT i.id, i.stage, m.accuracy, m.relevance, m.completeness, m.reasonableness,"
        " d.decision FROM instructions i LEFT JOIN mean_scores m ON m.instruction_id = i.id"
        " LEFT JOIN current_decisions d ON d.instruction_id = i.id"
        " WHERE i.duplicate_of IS NULL ORDER BY i.id").df()
    keep = rule.passes(frame[list(DIMENSIONS)].to_numpy(dtype=float))
    keep &= (frame["decision"] != "reject").fillna(True).to_numpy(dtype=bool)
    return len(sorted(frame.loc[keep, "id"].tolist())), len(frame)


# -- ours ----------------------------------------------------------------------------------------
def new_preview(repo: Repository, rule: FilterRule) -> tuple[int, int]:
    return review.bulk_preview(repo, rule, "approve").n, 1


def new_apply(repo: Repository, rule: FilterRule) -> tuple[int, int]:
    return review.bulk_apply(repo, CLI_ACTOR, rule, "approve").n, 1


def new_curation(repo: Repository, rule: FilterRule) -> tuple[int, int]:
    return curation.preview(repo, curation.SnapshotSpec(str(rule))), 1


@contextlib.contextmanager
def query_log(repo: Repository) -> Iterator[list[str]]:
    cur = repo.db.cursor()
    cur.execute("CALL enable_logging('QueryLog')")
    cur.execute("CALL truncate_duckdb_logs()")
    seen: list[str] = []
    try:
        yield seen
    finally:
        cur.execute("CALL disable_logging()")
        seen += [r[0] for r in cur.execute(
            "SELECT message FROM duckdb_logs WHERE type = 'QueryLog' ORDER BY context_id"
        ).fetchall() if r[0].split()[0] not in ("CALL", "BEGIN", "COMMIT")]


def _timed(repo: Repository, run: Callable[[Repository, FilterRule], tuple[int, int]],
           rule: FilterRule) -> tuple[float, int]:
    repo.db.cursor().execute("DELETE FROM decisions").fetchall()
    start = time.perf_counter()
    picked, _ = run(repo, rule)
    return time.perf_counter() - start, picked


def _counted(repo: Repository, run: Callable[[Repository, FilterRule], tuple[int, int]],
             rule: FilterRule, times: list[float], picked: int) -> dict:
    repo.db.cursor().execute("DELETE FROM decisions").fetchall()
    with query_log(repo) as statements:
        _, moved = run(repo, rule)
    return {"median_s": round(statistics.median(times), 4), "items": picked,
            "statements": len(statements), "rows_through_python": moved}


def measure(repo: Repository, ours: Callable, baseline: Callable, rule: FilterRule) -> dict:
    """Ours and the baseline in turn, REPS times each (the machine's load falls on both)."""
    times: dict[str, list[float]] = {"ours": [], "baseline": []}
    picked = {}
    for _ in range(REPS):
        for name, run in (("ours", ours), ("baseline", baseline)):
            seconds, picked[name] = _timed(repo, run, rule)
            times[name].append(seconds)
    return {name: _counted(repo, run, rule, times[name], picked[name])
            for name, run in (("ours", ours), ("baseline", baseline))}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repository(open_database(Path(tmp) / "bench.duckdb"))
        build(repo)
        out: dict = {"n_items": N_ITEMS, "reps": REPS}
        for name, rule_text in (("all_items", ALL_RULE), ("paper_rule", PAPER_RULE)):
            rule = parse_rule(rule_text)
            for what, ours, baseline in (("bulk_decide", new_apply, old_apply),
                                         ("preview", new_preview, old_preview),
                                         ("curation_preview", new_curation, old_curation)):
                result = measure(repo, ours, baseline, rule)
                a, b = result["ours"], result["baseline"]
                assert a["items"] == b["items"], (what, rule_text, a, b)
                out[f"{what}_{name}"] = {
                    "rule": rule_text, "ours": a, "baseline": b,
                    "speedup": round(b["median_s"] / a["median_s"], 2) if a["median_s"] else None}
        repo.db.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
