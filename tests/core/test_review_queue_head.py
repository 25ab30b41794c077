"""The queue served from the head of the audit order and the reviewer's own ratings gives exactly
the pages of the whole-order queue, whatever the filters, ratings and skips."""

from __future__ import annotations

import pytest

from honeybee_core import review
from honeybee_core.rated import rated_items
from honeybee_core.review import ItemWhere, Rating
from tests.review_seed import add_user, scores_frame, seed

WHERES = [ItemWhere(), ItemWhere(stages=(2, 3), topics=("ceramics", "polymers", "batteries")),
          ItemWhere(verifier="offline:v1"), ItemWhere(verifier="other:v2")]


@pytest.fixture
def rated(repo):
    items, _ = seed(repo, 300)
    with repo.db.transaction() as cur:
        repo.insert_verifier_scores(cur, scores_frame(items["id"][::3].tolist(), seed=5,
                                                      verifier="other:v2"))
    alice = add_user(repo, "alice")
    order = review.audit_order(repo, "alice").column("id").to_pylist()
    for k in (0, 3, 7, 50, 51, 120, 299):
        review.save_rating(repo, alice, order[k], Rating(70, 70, 70, 70, "approve"))
    for k in (5, 9, 200):
        review.save_rating(repo, alice, order[k], Rating(None, None, None, None, "skip"))
    for item in items["id"][::3][3:6]:  # some in the second verifier's pool whatever the order
        review.save_rating(repo, alice, item, Rating(40, 40, 40, 40, "reject"))
    review.save_rating(repo, alice, items["id"].iloc[21], Rating(None, None, None, None, "skip"))
    review.save_rating(repo, add_user(repo, "bob"), order[1], Rating(10, 10, 10, 10, "reject"))
    return repo, alice


def exact(repo, actor, where):
    order = repo.review_order(actor.name, where, review.N_STRATA)
    return repo.review_queue(actor.name, order, 0, 10_000)


@pytest.mark.parametrize("where", WHERES, ids=["all", "filtered", "verifier", "other"])
def test_head_pages_equal_the_whole_order(rated, where, monkeypatch):
    repo, alice = rated
    monkeypatch.setattr(review, "HEAD_TURNS", 1)  # force the head to grow page by page
    rows, total, done = exact(repo, alice, where)
    assert total > 30 and done >= 1
    for offset in [*range(0, total, 7), total - 1, total + 3]:
        page = review.queue(repo, alice, where, offset=offset, limit=5)
        assert (page.total, page.rated) == (total, done)
        assert page.ids == rows["id"].iloc[offset:offset + 5].tolist(), offset
        assert page.rows["skipped"].tolist() == rows["skipped"].iloc[offset:offset + 5].tolist()


def test_the_head_is_the_start_of_the_order(rated):
    repo, _ = rated
    for where in WHERES:
        whole = repo.review_order("carol", where, review.N_STRATA)
        for turns in (1, 2, 5):
            head, n = repo.audit_head("carol", where, review.N_STRATA, turns)
            assert n == whole.num_rows
            assert head.column("id").to_pylist() == \
                whole.column("id").to_pylist()[:head.num_rows]
            assert head.num_rows >= min(n, turns)


def test_a_new_rating_leaves_the_queue_at_once_and_keeps_the_rest_in_place(rated,
                                                                            monkeypatch):
    repo, alice = rated
    monkeypatch.setattr(review, "HEAD_TURNS", 2)
    before = review.queue(repo, alice, limit=10)
    review.save_rating(repo, alice, before.ids[0], Rating(90, 90, 90, 90, "approve"))
    after = review.queue(repo, alice, limit=9)
    assert after.ids == before.ids[1:] and after.rated == before.rated + 1
    assert after.total == before.total - 1


def test_pool_counts_follow_ratings_skips_and_edits(rated):
    repo, alice = rated
    where = WHERES[1]
    basis = tuple(repo.versions()[k] for k in ("items", "scores"))
    ids = repo.review_order("x", ItemWhere(), review.N_STRATA).column("id").to_pylist()
    steps = [(ids[10], "approve"), (ids[11], "skip"), (ids[11], "approve"), (ids[12], "skip"),
             (ids[10], "skip"), (ids[13], "flag"), *[(ids[k], "approve") for k in range(20, 90)]]
    for k, (item, verdict) in enumerate(steps):
        score = None if verdict == "skip" else 50.0
        review.save_rating(repo, alice, item, Rating(score, score, score, score, verdict))
        if k % 7 and k < len(steps) - 1:
            continue  # several changes between looks, as between reruns
        got = rated_items(repo, "alice")
        assert got.in_pool(repo, where, basis) == repo.rated_in_pool(where, got.table())
