"""Annotators, expert ratings and decisions: upserts, history, and the frames statistics read."""

from __future__ import annotations

import pandas as pd

from honeybee_core.domain import ItemWhere, RuleScope
from honeybee_core.rules import parse_rule
from tests.review_seed import items_frame, scores_frame


def scores(value: float, verdict: str = "approve", comment: str | None = None) -> dict:
    return {"accuracy": value, "relevance": value, "completeness": value,
            "reasonableness": value, "verdict": verdict, "comment": comment, "blind": True}


def seeded(repo, n: int = 6):
    items = items_frame(n)
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, scores_frame(items["id"].tolist(), scored_fraction=1.0))
        repo.ensure_annotators(cur, ["ann", "bob"])
    return items["id"].tolist()


def test_annotators_create_update_and_keep_their_password_hash(repo):
    with repo.db.transaction() as cur:
        repo.insert_person(cur, "ann", "reviewer", "hash-1", None)
        repo.set_person_role(cur, "ann", "curator")  # role only
        repo.ensure_annotators(cur, ["ann", "bob", "bob"])
    ann = repo.person("ann")
    assert {k: ann[k] for k in ("name", "role", "password_hash")} == {
        "name": "ann", "role": "curator", "password_hash": "hash-1"}
    assert repo.person("nobody") is None
    assert repo.annotators_missing(["ann", "bob", "carl"]) == ["carl"]
    table = repo.people().set_index("name")
    assert table["role"].to_dict() == {"ann": "curator", "bob": "reviewer"}
    assert table["has_password"].to_dict() == {"ann": True, "bob": False}


def test_a_rating_is_updated_in_place_and_keeps_its_creation_time(repo):
    ids = seeded(repo)
    with repo.db.transaction() as cur:
        repo.save_rating(cur, ids[0], "ann", scores(70, comment="first"))
    first = repo.rating_of(ids[0], "ann")
    with repo.db.transaction() as cur:
        repo.save_rating(cur, ids[0], "ann", scores(90, comment="second"))
    second = repo.rating_of(ids[0], "ann")
    assert (second["accuracy"], second["comment"]) == (90.0, "second")
    assert second["created_at"] == first["created_at"]
    assert second["updated_at"] >= first["updated_at"]
    assert len(repo.expert_ratings()) == 1
    assert repo.rating_of(ids[0], "bob") is None


def test_bulk_ratings_count_inserted_and_updated(repo):
    ids = seeded(repo)
    frame = pd.DataFrame([{"instruction_id": i, "annotator": "bob", **scores(60)} for i in ids[:3]])
    with repo.db.transaction() as cur:
        assert repo.upsert_ratings(cur, frame) == (3, 0)
    again = pd.concat([frame.assign(accuracy=10.0),
                       pd.DataFrame([{"instruction_id": ids[3], "annotator": "bob",
                                      **scores(50)}])])
    with repo.db.transaction() as cur:
        assert repo.upsert_ratings(cur, again) == (1, 3)
    stored = repo.expert_ratings().set_index("instruction_id")
    assert stored.loc[ids[0], "accuracy"] == 10.0 and len(stored) == 4
    assert repo.annotator_names() == ["bob"]
    assert repo.item_ratings(ids[3])["annotator"].tolist() == ["bob"]
    assert repo.ratings_by("bob", limit=2).shape[0] == 2


def test_skips_carry_no_scores_and_progress_counts_them_apart(repo):
    ids = seeded(repo)
    with repo.db.transaction() as cur:
        repo.save_rating(cur, ids[0], "ann", scores(80))
        repo.save_rating(cur, ids[1], "ann", {**scores(None, "skip")})
        repo.save_rating(cur, ids[2], "ann", scores(20, "flag"))
    progress = repo.reviewer_progress().set_index("annotator")
    assert progress.loc["ann", ["rated", "skipped", "flagged"]].tolist() == [2, 1, 1]
    assert progress.loc["bob", "rated"] == 0
    verifier, ratings, verdicts = repo.agreement_frames()
    assert sorted(ratings["item_id"]) == sorted([ids[0], ids[2]])  # the skip holds no scores
    assert set(verifier["item_id"]) == {ids[0], ids[1], ids[2]}
    assert set(verdicts.columns) == {"item_id", "reviewer", "verdict"}
    verifier, ratings, _ = repo.agreement_frames(annotator="bob")
    assert verifier.empty and ratings.empty


def test_decisions_keep_history_and_the_latest_is_in_force(repo):
    ids = seeded(repo, 4)
    with repo.db.transaction() as cur:
        assert repo.add_decisions(cur, ids[:3], "approve", "cur", None, rule="mean>=0") == 3
        repo.add_decisions(cur, [ids[1]], "reject", "ann", "wrong units")
    history = repo.item_decisions(ids[1])
    assert history["decision"].tolist() == ["reject", "approve"]
    assert history["reason"].iloc[0] == "wrong units" and history["rule"].iloc[1] == "mean>=0"
    every_score = parse_rule("min>=0")  # passes wherever all four scores are there
    with repo.db.transaction() as cur:
        assert repo.rule_counts(every_score, RuleScope(undecided_only=True), cur) == (1, 1)
    assert repo.rule_ids(every_score, RuleScope(undecided_only=True)) == [ids[3]]
    by_one = RuleScope(ItemWhere(verifier="offline:v1"))
    assert repo.rule_ids(every_score, by_one) == sorted(ids)
    assert repo.rule_counts(every_score, by_one) == (4, 4)
    assert repo.stats()["approved"] == 2 and repo.stats()["rejected"] == 1
