"""Derived tables (item_facts, item_verifier_facts, item_rows, the search index) follow every
write item by item, equal a rebuild from scratch, and repair themselves when they do not."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from honeybee_core import explore, review
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.domain import ExploreQuery, ItemWhere
from honeybee_core.store import Repository, derived, open_database
from tests.review_seed import items_frame, scores_frame

FACTS = ("SELECT id, no, stage, topic, task_type, source, created_at, accuracy, relevance,"
         " completeness, reasonableness, verifier_mean, n_ratings, expert_mean, decision"
         " FROM item_facts ORDER BY id")


def snapshot(repo: Repository) -> dict[str, list]:
    cur = repo.db.cursor()
    return {
        "facts": cur.execute(FACTS).fetchall(),
        "verifier": cur.execute("SELECT * FROM item_verifier_facts ORDER BY ALL").fetchall(),
        "rows": cur.execute("SELECT no, rid FROM item_rows ORDER BY no").fetchall(),
        "postings": cur.execute(
            "SELECT v.token, p.no FROM (SELECT * FROM search_postings UNION ALL"
            " SELECT * FROM search_recent) p JOIN search_vocab v USING (token_no)"
            " ORDER BY ALL").fetchall(),
    }


def rebuilt(repo: Repository) -> dict[str, list]:
    with repo.db.transaction() as cur:
        derived.rebuild(cur)
    return snapshot(repo)


def rate(repo, item, who, score, verdict="approve"):
    value = None if verdict == "skip" else score
    with repo.db.transaction() as cur:
        repo.save_rating(cur, item, who, {
            "accuracy": value, "relevance": value, "completeness": value,
            "reasonableness": value, "verdict": verdict, "comment": None, "blind": True})


def test_every_writer_keeps_the_derived_tables_equal_to_a_rebuild(repo):
    items = items_frame(40)
    with repo.db.transaction() as cur:  # an import: items and their scores together
        repo.insert_items(cur, items.iloc[:30])
        repo.insert_verifier_scores(cur, scores_frame(items["id"][:30].tolist()))
    with repo.db.transaction() as cur:  # a generate job's items, one verify result at a time
        repo.insert_generated_rows(cur, items.iloc[30:].to_dict("records"))
    with repo.db.transaction() as cur:
        repo.insert_verifier_score_rows(cur, [{
            "instruction_id": "item00031", "verifier": "other:v2", "rubric_version": "r1",
            "accuracy": 10.0, "relevance": 20.0, "completeness": 30.0, "reasonableness": 40.0}])
        repo.insert_verifier_scores(cur, scores_frame(["item00001", "item00002"],
                                                      verifier="other:v2"))
    rate(repo, "item00001", "ann", 80.0)
    rate(repo, "item00001", "bob", 40.0)
    rate(repo, "item00001", "bob", 60.0)  # an edit
    rate(repo, "item00002", "ann", 0.0, "skip")
    rate(repo, "item00003", "ann", 70.0)
    rate(repo, "item00003", "ann", 0.0, "skip")  # a rating turned into a skip
    bulk = pd.DataFrame({"instruction_id": items["id"][5:25], "annotator": "cora",
                         "accuracy": 55.0, "relevance": 65.0, "completeness": 75.0,
                         "reasonableness": 85.0, "verdict": "reject", "comment": None,
                         "blind": True})
    with repo.db.transaction() as cur:
        repo.ensure_annotators(cur, ["cora"])
        repo.upsert_ratings(cur, bulk)
        repo.add_decisions(cur, items["id"][:25].tolist(), "approve", "cora", None)
        repo.add_decisions(cur, ["item00004", "item00005"], "reject", "cora", None)
    with repo.db.transaction() as cur:
        repo.add_decisions(cur, ["item00004"], "approve", "cora", None)

    facts = {row[0]: row for row in snapshot(repo)["facts"]}
    assert facts["item00001"][12:] == (2, 70.0, "approve")
    assert facts["item00003"][12:] == (0, None, "approve")  # skips are not ratings
    assert facts["item00005"][12:14] == (1, 70.0) and facts["item00005"][14] == "reject"
    assert facts["item00039"][12:] == (0, None, "undecided")
    assert snapshot(repo) == rebuilt(repo)


def test_a_failed_write_leaves_no_derived_row(repo):
    items = items_frame(5)
    with pytest.raises(RuntimeError), repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        raise RuntimeError("the import failed half way")
    assert snapshot(repo) == {"facts": [], "verifier": [], "rows": [], "postings": []}
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
    assert [r[0] for r in snapshot(repo)["rows"]] == [1, 2, 3, 4, 5]
    assert snapshot(repo) == rebuilt(repo)


def test_item_rows_hold_the_committed_rowids(repo):
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items_frame(12))
    cur = repo.db.cursor()
    pairs = cur.execute("SELECT f.id, r.rid FROM item_facts f JOIN item_rows r USING (no)"
                        " ORDER BY f.no").fetchall()
    actual = dict(cur.execute("SELECT id, rowid FROM instructions").fetchall())
    assert len(pairs) == 12 and all(actual[item] == rid for item, rid in pairs)
    assert max(rid for _, rid in pairs) < derived.PROVISIONAL


def test_a_database_out_of_step_is_rebuilt_when_opened(db_path, caplog):
    database = open_database(db_path)
    repo = Repository(database)
    with database.transaction() as cur:
        repo.insert_items(cur, items_frame(20))
    rate(repo, "item00007", "ann", 90.0)
    expected = snapshot(repo)
    with database.transaction() as cur:  # lost rows, as a writer that skipped them would leave
        cur.execute("DELETE FROM item_facts WHERE id = 'item00007'")
        cur.execute("DELETE FROM item_rows WHERE no > 15")
    database.close()
    with caplog.at_level("WARNING", logger=derived.__name__):
        reopened = open_database(db_path)
    assert snapshot(Repository(reopened)) == expected
    assert "search index for 20 items, once" in caplog.text  # a long first open is announced
    reopened.close()


def test_many_small_inserts_fold_into_sorted_runs(repo, monkeypatch):
    monkeypatch.setattr(derived, "RECENT_LIMIT", 40)
    monkeypatch.setattr(derived, "MAX_RUNS", 2)
    items = items_frame(60)
    for start in range(0, 60, 3):
        with repo.db.transaction() as cur:
            repo.insert_generated_rows(cur, items.iloc[start:start + 3].to_dict("records"))
    cur = repo.db.cursor()
    assert cur.execute("SELECT runs FROM search_runs").fetchall()[0][0] >= 1
    assert cur.execute("SELECT count(*) FROM search_postings").fetchall()[0][0] > 0
    assert sorted(snapshot(repo)["postings"]) == sorted(rebuilt(repo)["postings"])


def test_concurrent_reviewers_rating_one_item_all_land(repo):
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items_frame(3))
    errors: list[BaseException] = []

    def reviewer(k: int) -> None:
        try:
            for n in range(10):
                rate(repo, f"item0000{n % 3}", f"rev{k}", float(10 * k + n))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reviewer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    facts = {row[0]: row for row in snapshot(repo)["facts"]}
    assert sum(facts[f"item0000{n}"][12] for n in range(3)) == 8 * 3
    assert snapshot(repo) == rebuilt(repo)


def test_bulk_decisions_and_an_explore_selection_keep_the_derived_rows(repo):
    items = items_frame(30)
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, scores_frame(items["id"].tolist()))
    plan = review.bulk_preview(repo, "mean>=0", "approve")
    review.bulk_apply(repo, CLI_ACTOR, "mean>=0", "approve", expected=plan.n)
    query = ExploreQuery(where=ItemWhere(stages=(2,)), search="explain")
    shown = explore.explore(repo, query).total
    assert explore.decide_selection(repo, CLI_ACTOR, query, "reject", expected=shown) == shown
    decided = {row[0]: row[14] for row in snapshot(repo)["facts"]}
    assert sum(d == "reject" for d in decided.values()) == shown > 0
    assert sum(d == "approve" for d in decided.values()) == plan.n - shown
    assert explore.explore(repo, ExploreQuery(decision="reject")).total == shown
    assert snapshot(repo) == rebuilt(repo)
