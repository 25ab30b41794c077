"""Selections in bulk: a filter rule or an explore query counted, listed and decided on in the
database. Checked against the path they replaced (scores read into numpy, the rule applied with
passes(), the ids sent back), and by DuckDB's own query log: one statement per bulk decision."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from honeybee_core import curation, explore, review
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.domain import DIMENSIONS, ExploreQuery, ItemWhere, RuleScope
from honeybee_core.errors import InputError
from honeybee_core.rules import FilterRule, parse_rule
from honeybee_core.store import Repository, open_database
from tests.conftest import run_cli

TOPICS = np.array(["batteries", "ceramics", "polymers"])


def random_items(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ids = [f"it{i:06d}" for i in range(n)]
    return pd.DataFrame({
        "id": ids, "stage": np.arange(n) % 3 + 1, "topic": TOPICS[np.arange(n) % 3],
        "task_type": "explain", "instruction": [f"Explain item {i}" for i in range(n)],
        "input": "", "output": "An answer.", "source": "generated", "generator": "test",
        "prompt_version": "v1", "parent_id": None,
    })


def random_scores(ids: list[str], verifier: str, rng: np.random.Generator,
                  fraction: float = 0.9, rubric: str = "r1") -> pd.DataFrame:
    """Whole-number scores clustered near the thresholds rules use, so ties are common."""
    keep = [i for i in ids if rng.random() < fraction]
    frame = pd.DataFrame({"instruction_id": keep, "verifier": verifier, "rubric_version": rubric,
                          "rationale": None})
    for dim in DIMENSIONS:
        frame[dim] = rng.choice([50.0, 70.0, 85.0, 89.0, 90.0, 91.0, 95.0, 100.0], len(keep))
    return frame


def fill(repo: Repository, n: int, seed: int = 0) -> list[str]:
    """n items, two verifiers on most of them, some near-duplicates, some decisions, a held-out
    evaluation set."""
    rng = np.random.default_rng(seed)
    items = random_items(n, rng)
    ids = items["id"].tolist()
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, random_scores(ids, "v:a", rng))
        repo.insert_verifier_scores(cur, random_scores(ids, "v:b", rng, fraction=0.5))
        picked = rng.choice(ids, n // 5, replace=False).tolist()
        repo.add_decisions(cur, picked[: n // 10], "approve", "cur", None)
        repo.add_decisions(cur, picked[n // 10:], "reject", "cur", None)
        repo.insert_heldout_set(cur, {"id": "held", "n": n // 50, "seed": 0, "min_score": 0.0,
                                      "created_by": "cur"},
                                rng.choice(ids, n // 50, replace=False).tolist())
        cur.execute("UPDATE instructions SET duplicate_of = 'it000000'"
                    " WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                    [rng.choice(ids, n // 20, replace=False).tolist()]).fetchall()
    return ids


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Iterator[Repository]:
    database = open_database(tmp_path_factory.mktemp("selection") / "s.duckdb")
    repo = Repository(database)
    fill(repo, 3000)
    yield repo
    database.close()


# -- the path these queries replaced, as the oracle --------------------------------------------
def read(repo: Repository, sql: str) -> pd.DataFrame:
    return repo.db.cursor().execute(sql).df()


def old_bulk_ids(repo: Repository, rule: FilterRule, decision: str, verifier: str | None,
                 undecided_only: bool) -> list[str]:
    """Every score row averaged per item (one rubric per verifier here), passes() in numpy."""
    scores = repo.verifier_scores()
    if verifier:
        scores = scores[scores["verifier"] == verifier]
    means = scores.groupby("instruction_id")[list(DIMENSIONS)].mean().sort_index()
    if undecided_only:
        decided = set(read(repo, "SELECT instruction_id FROM current_decisions")["instruction_id"])
        means = means[~means.index.isin(decided)]
    keep = rule.passes(means.to_numpy())
    return sorted(means.index[keep if decision == "approve" else ~keep])


def old_curation_ids(repo: Repository, spec: curation.SnapshotSpec) -> list[str]:
    items = read(repo, "SELECT i.id, i.stage, d.decision FROM instructions i LEFT JOIN"
                       " current_decisions d ON d.instruction_id = i.id"
                       " WHERE i.duplicate_of IS NULL")
    means = repo.verifier_scores().groupby("instruction_id")[list(DIMENSIONS)].mean()
    frame = items.join(means, on="id")
    if spec.stages:
        frame = frame[frame["stage"].isin(spec.stages)]
    keep = parse_rule(spec.rule).passes(frame[list(DIMENSIONS)].to_numpy(dtype=float))
    keep &= (frame["decision"] != "reject").to_numpy()
    keep &= ~frame["id"].isin(spec.exclude | repo.heldout_ids()).to_numpy()
    if spec.require_approval:
        keep &= (frame["decision"] == "approve").to_numpy()
    return sorted(frame.loc[keep, "id"])


def random_rule(rng: np.random.Generator) -> FilterRule:
    fields = ["mean", "min", *DIMENSIONS]
    clauses = [(str(rng.choice(fields)), str(rng.choice([">=", ">"])),
                float(rng.choice([0, 70, 85, 89, 89.5, 90, 91, 92.5, 95, 100])))
               for _ in range(rng.integers(1, 4))]
    return parse_rule(",".join(f"{f}{op}{t:g}" for f, op, t in clauses))


def test_rule_selections_equal_the_numpy_path_on_random_data(mixed):
    rng = np.random.default_rng(7)
    for _ in range(25):
        rule = random_rule(rng)
        for decision in ("approve", "reject"):
            verifier = rng.choice([None, "v:a", "v:b"])
            undecided = bool(rng.integers(2))
            scope = RuleScope(ItemWhere(verifier=verifier), undecided_only=undecided,
                              failing=decision == "reject")
            expected = old_bulk_ids(mixed, rule, decision, verifier, undecided)
            assert mixed.rule_ids(rule, scope) == expected, (str(rule), decision, verifier)
            plan = review.bulk_preview(mixed, rule, decision, verifier=verifier,
                                       undecided_only=undecided)
            assert plan.n == len(expected) and plan.description == rule.describe()
        stages = tuple(int(s) for s in rng.choice([1, 2, 3], rng.integers(0, 3)))
        spec = curation.SnapshotSpec(str(rule), bool(rng.integers(2)), stages,
                                     exclude=frozenset(f"it{i:06d}" for i in range(0, 3000, 7)))
        expected = old_curation_ids(mixed, spec)
        assert curation.select(mixed, spec) == expected, str(spec)
        assert curation.preview(mixed, spec) == len(expected)


def test_bulk_decisions_write_what_the_numpy_path_would(tmp_path):
    repo = Repository(open_database(tmp_path / "d.duckdb"))
    fill(repo, 2000, seed=3)
    rule = parse_rule("mean>=89.5,accuracy>85")
    approve = old_bulk_ids(repo, rule, "approve", None, True)
    assert review.bulk_apply(repo, CLI_ACTOR, rule, "approve", expected=len(approve)).n \
        == len(approve)
    reject = old_bulk_ids(repo, rule, "reject", "v:a", True)  # what is left undecided now
    assert review.bulk_apply(repo, CLI_ACTOR, rule, "reject", verifier="v:a").n == len(reject)
    written = read(repo, "SELECT instruction_id, decision, rule, reason FROM decisions"
                         " WHERE rule IS NOT NULL ORDER BY instruction_id")
    assert sorted(written.loc[written["decision"] == "approve", "instruction_id"]) == approve
    assert sorted(written.loc[written["decision"] == "reject", "instruction_id"]) == reject
    assert set(written["rule"]) == {str(rule)}
    assert set(written["reason"]) == {f"bulk: passes {rule}", f"bulk: fails {rule}"}


def test_a_changed_selection_is_refused_and_writes_nothing(mixed):
    before = mixed.table_counts()["decisions"]
    plan = review.bulk_preview(mixed, "mean>=90", "approve")
    with pytest.raises(InputError, match="preview again"):
        review.bulk_apply(mixed, CLI_ACTOR, "mean>=90", expected=plan.n - 1)
    assert mixed.table_counts()["decisions"] == before


def test_the_newest_rubric_of_each_verifier_counts(tmp_path):
    repo = Repository(open_database(tmp_path / "r.duckdb"))
    rng = np.random.default_rng(0)
    items = random_items(3, rng)
    ids = items["id"].tolist()
    low = random_scores(ids, "v:a", rng, fraction=1.0, rubric="r1").assign(
        accuracy=10.0, relevance=10.0, completeness=10.0, reasonableness=10.0)
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, low)
    with repo.db.transaction() as cur:  # a later transaction: a later created_at
        repo.insert_verifier_scores(cur, low.iloc[:1].assign(rubric_version="r0", accuracy=99.0,
                                    relevance=99.0, completeness=99.0, reasonableness=99.0))
    rule = parse_rule("min>=90")
    assert repo.rule_ids(rule, RuleScope()) == [ids[0]]  # r0 came last: it is the newest
    assert curation.select(repo, curation.SnapshotSpec("min>=90")) == [ids[0]]
    page = explore.explore(repo, ExploreQuery(ranges={"verifier_mean": (90.0, 100.0)}))
    assert page.rows["id"].tolist() == [ids[0]]  # the table and the rule agree


# -- one statement, counted by DuckDB's query log -----------------------------------------------
@contextlib.contextmanager
def query_log(repo: Repository) -> Iterator[list[str]]:
    """The SQL DuckDB ran inside the block, from its own QueryLog (every cursor)."""
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
        ).fetchall() if not r[0].startswith("CALL ")]


def one_insert_and_its_derived_rows(sql: list[str]) -> bool:
    """One transaction whose writes are one INSERT ... SELECT into decisions and one UPDATE of
    the items' derived rows (no list of ids crosses into Python and back)."""
    writes = [s for s in sql if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    return (sql[0].startswith("BEGIN") and sql[-1].startswith("COMMIT")
            and [s.split()[:2] for s in writes] == [["INSERT", "INTO"], ["UPDATE", "item_facts"]]
            and writes[0].startswith("INSERT INTO decisions") and " SELECT " in writes[0])


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Iterator[Repository]:
    database = open_database(tmp_path_factory.mktemp("big") / "big.duckdb")
    repo = Repository(database)
    rng = np.random.default_rng(1)
    items = random_items(100_000, rng)
    scores = random_scores(items["id"].tolist(), "v:a", rng, fraction=1.0)
    scores[list(DIMENSIONS)] = 95.0  # every item passes: the decision touches all 100,000
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, scores)
    yield repo
    database.close()


def test_a_bulk_decision_on_100k_items_is_one_statement(big):
    with query_log(big) as preview_sql:
        plan = review.bulk_preview(big, "mean>=95,min>=90", "approve")
    assert plan.n == plan.candidates == 100_000
    assert len(preview_sql) == 1 and "count(*)" in preview_sql[0]
    with query_log(big) as apply_sql:
        done = review.bulk_apply(big, CLI_ACTOR, "mean>=95,min>=90", expected=plan.n)
    assert done.n == 100_000 and big.table_counts()["decisions"] == 100_000
    assert one_insert_and_its_derived_rows(apply_sql)
    with query_log(big) as home_sql:
        summary = explore.home_summary(big, "mean>=95,min>=90")
    assert (summary.scored, summary.passing) == (100_000, 100_000)
    rule_sql = [s for s in home_sql if "passes" in s]  # the rest: stats, reviewers, jobs, runs
    assert len(rule_sql) == 1 and "count(*)" in rule_sql[0]


def test_a_bulk_decision_on_the_filtered_table_is_one_statement(big):
    query = ExploreQuery(ItemWhere(stages=(2,), topics=("ceramics",)), search="item 1",
                         ranges={"accuracy": (90.0, 100.0)})
    shown = explore.explore(big, query).total
    stage_2 = [i for i in range(100_000) if i % 3 == 1 and str(i).startswith("1")]
    assert shown == len(stage_2) > 0
    with query_log(big) as sql:
        n = explore.decide_selection(big, CLI_ACTOR, query, "reject", expected=shown)
    assert n == shown
    assert one_insert_and_its_derived_rows(sql)
    rejected = read(big, "SELECT instruction_id, reason, rule FROM decisions"
                         " WHERE decision = 'reject' ORDER BY instruction_id")
    assert rejected["instruction_id"].tolist() == [f"it{i:06d}" for i in stage_2]
    assert rejected["rule"].isna().all()
    assert set(rejected["reason"]) == {
        'bulk: filtered table (stage 2, topic ceramics, search "item 1", accuracy 90-100)'}


def test_curate_preview_counts_in_the_database_and_reads_the_rule(tmp_path):
    path = tmp_path / "c.duckdb"
    repo = Repository(open_database(path))
    fill(repo, 300)
    spec = curation.SnapshotSpec("mean>=89,min>=85", stages=(1, 3))
    expected = old_curation_ids(repo, spec)
    repo.db.close()
    done = run_cli("curate", "--preview", "--rule", spec.rule, "--stage", "1", "--stage", "3",
                   "--json", db=path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "rule": spec.rule, "items": len(expected),
        "description": "the mean of the four scores is at least 89 and every score is at least 85"}
