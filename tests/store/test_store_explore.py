"""Review and explore queries: filter options, audit order, queue, item summary, explore pages,
and the whole-database counts the Repository keeps for itself."""

from __future__ import annotations

import pytest

from honeybee_core.domain import ExploreQuery, ItemWhere
from honeybee_core.errors import InputError
from tests.review_seed import items_frame, scores_frame


@pytest.fixture
def filled(repo):
    items = items_frame(30)
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, scores_frame(items["id"].tolist(), scored_fraction=0.8))
        repo.ensure_annotators(cur, ["ann"])
    return repo


def rate(repo, item_id: str, verdict: str = "approve") -> None:
    value = None if verdict == "skip" else 75.0
    with repo.db.transaction() as cur:
        repo.save_rating(cur, item_id, "ann", {
            "accuracy": value, "relevance": value, "completeness": value,
            "reasonableness": value, "verdict": verdict, "comment": None, "blind": True})


def test_filter_options_list_what_is_stored(filled):
    options = filled.filter_options()
    assert options["stages"] == [1, 2, 3]
    assert options["topics"] == ["batteries", "ceramics", "polymers", "semiconductors"]
    assert options["verifiers"] == ["offline:v1"]


def test_audit_order_is_a_permutation_fixed_by_the_seed(filled):
    order = filled.review_order("ann", ItemWhere(), 4)
    again = filled.review_order("ann", ItemWhere(), 4)
    other = filled.review_order("bob", ItemWhere(), 4)
    ids = order.column("id").to_pylist()
    assert sorted(ids) == sorted(items_frame(30)["id"]) and len(set(ids)) == 30
    assert order.column("pos").to_pylist() == list(range(30))
    assert ids == again.column("id").to_pylist() and ids != other.column("id").to_pylist()
    assert set(order.column("stratum").to_pylist()) <= {0, 1, 2, 3, 4}  # 4 = unscored
    only_two = filled.review_order("ann", ItemWhere(stages=(2,)), 4)
    assert only_two.num_rows == 10


def test_queue_moves_rated_items_out_and_skips_to_the_back(filled):
    order = filled.review_order("ann", ItemWhere(), 4)
    ids = order.column("id").to_pylist()
    rate(filled, ids[0])
    rate(filled, ids[1], "skip")
    rows, total, rated = filled.review_queue("ann", order, 0, 100)
    assert (total, rated) == (29, 1)
    assert rows["id"].tolist() == [*ids[2:], ids[1]]
    assert rows["skipped"].tolist()[-1] and not rows["skipped"].tolist()[0]
    rows, total, rated = filled.review_queue("ann", order, 500, 10)  # past the end: counts stay
    assert rows.empty and (total, rated) == (29, 1)


def test_item_summary_and_an_explore_page(filled):
    rate(filled, "item00003")
    with filled.db.transaction() as cur:
        filled.add_decisions(cur, ["item00004"], "reject", "cur", None)
    summary = filled.item_summary(None)
    assert summary.num_rows == 30
    by_id = {r["id"]: r for r in summary.to_pylist()}
    assert by_id["item00003"]["n_ratings"] == 1 and by_id["item00003"]["expert_mean"] == 75.0
    assert by_id["item00004"]["decision"] == "reject"
    assert by_id["item00005"]["decision"] == "undecided"
    page, total = filled.explore(ExploreQuery(where=ItemWhere(stages=(1,)),
                                                       sort="id", page_size=4))
    assert total == 10 and page["id"].tolist() == ["item00000", "item00003", "item00006",
                                                   "item00009"]
    page, total = filled.explore(ExploreQuery(rated=True))
    assert (total, page["id"].tolist()) == (1, ["item00003"])
    page, total = filled.explore(ExploreQuery(decision="reject"))
    assert page["id"].tolist() == ["item00004"]
    page, total = filled.explore(ExploreQuery(sort="id", page=9, page_size=10))
    assert page.empty and total == 30


def test_explore_query_is_checked_when_made_not_by_the_store():
    with pytest.raises(InputError, match="Cannot sort"):
        ExploreQuery(sort="id; DROP TABLE instructions")
    with pytest.raises(InputError, match="No score range"):
        ExploreQuery(ranges={"instruction": (0, 1)})
    with pytest.raises(InputError, match="Decision filter"):
        ExploreQuery(decision="maybe")
    assert ExploreQuery(page=3, page_size=20).offset == 60


def test_counts_and_fingerprint_follow_the_data(filled):
    version = filled.data_version()
    assert filled.data_version() == version
    rate(filled, "item00001")
    assert filled.data_version() != version
    counts = filled.table_counts()
    assert counts["instructions"] == 30 and counts["expert_ratings"] == 1
    assert counts["_migrations"] >= 2 and "current_decisions" not in counts  # tables, not views
    stats = filled.stats()
    assert stats["instructions"] == 30 and stats["expert_rated"] == 1
    assert stats["by_stage"] == {"1": 10, "2": 10, "3": 10}
