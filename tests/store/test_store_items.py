"""Items and verifier scores: bulk and single inserts, reads, what is left to verify."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from honeybee_core.store import ITEM_COLUMNS
from tests.review_seed import items_frame, scores_frame


def generated(i: int, duplicate_of: str | None = None) -> dict:
    return {"id": f"gen{i}", "stage": 2, "topic": "polymers", "task_type": "explain",
            "instruction": f"Why does polymer {i} creep?", "input": "", "output": f"Because {i}.",
            "source": "generated", "generator": "offline", "prompt_version": "p1",
            "parent_id": None, "job_id": "job-1", "duplicate_of": duplicate_of}


def test_bulk_items_and_scores_round_trip(repo):
    items = items_frame(8)
    scores = scores_frame(items["id"].tolist(), scored_fraction=1.0)
    with repo.db.transaction() as cur:
        assert repo.insert_items(cur, items) == 8
        assert repo.insert_verifier_scores(cur, scores) == 8
    with repo.db.transaction() as cur:  # the same rows again: kept as they are, nothing added
        assert repo.insert_items(cur, pa.Table.from_pandas(items, preserve_index=False)) == 0
        assert repo.insert_verifier_scores(cur, scores) == 0
    assert repo.existing_ids(["item00000", "item00007", "nope"]) == {"item00000", "item00007"}
    stored = repo.select_items()
    assert stored["id"].tolist() == items["id"].tolist()
    assert stored.set_index("id").loc["item00003", "instruction"] == items.loc[3, "instruction"]
    got = repo.verifier_scores().set_index("instruction_id")
    assert got.loc["item00002", "accuracy"] == scores.set_index("instruction_id").loc[
        "item00002", "accuracy"]
    assert repo.items_by_ids(["item00005", "item00001"])["id"].tolist() == [
        "item00001", "item00005"]
    one = repo.item("item00004")
    assert one["topic"] == items.loc[4, "topic"] and one["duplicate_of"] is None
    assert repo.item("missing") is None
    assert len(repo.item_verifier_scores("item00004")) == 1


def test_select_items_approved_only_follows_the_latest_decision(repo):
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items_frame(4))
        repo.add_decisions(cur, ["item00000", "item00001"], "approve", "cur", None)
        repo.add_decisions(cur, ["item00001"], "reject", "cur", "too short")
    assert repo.select_items("approved")["id"].tolist() == ["item00000"]


def test_generated_items_duplicates_and_the_verify_backlog(repo):
    with repo.db.transaction() as cur:
        assert repo.insert_generated_rows(cur, [generated(1), generated(2, duplicate_of="gen1"),
                                                generated(3)]) == 3
        assert repo.insert_generated_rows(cur, [generated(1)]) == 0
    assert [row[0] for row in repo.kept_instructions()] == ["gen1", "gen3"]
    assert repo.item("gen2")["duplicate_of"] == "gen1" and repo.item("gen1")["job_id"] == "job-1"
    assert repo.count_to_verify("v", "r1") == 2
    assert repo.items_to_verify("v", "r1", limit=1)["id"].tolist() == ["gen1"]
    with repo.db.transaction() as cur:
        repo.insert_verifier_score_rows(cur, [{
            "instruction_id": "gen1", "verifier": "v", "rubric_version": "r1", "accuracy": 90.0,
            "relevance": 80.0, "completeness": 70.0, "reasonableness": 60.0,
            "rationale": "fine", "raw_response": "{}"}])
    assert repo.count_to_verify("v", "r1") == 1
    assert repo.count_to_verify("v", "r2") == 2  # another rubric has not scored anything
    assert repo.items_to_verify("v", "r1")["id"].tolist() == ["gen3"]
    scores = repo.item_verifier_scores("gen1")
    assert scores[["accuracy", "reasonableness"]].iloc[0].tolist() == [90.0, 60.0]


def test_a_failed_transaction_leaves_no_rows(repo):
    before = repo.table_counts()
    bad = pd.DataFrame([{**generated(9), "instruction": None}])[ITEM_COLUMNS]
    with (pytest.raises(duckdb.ConstraintException, match="NOT NULL"),
          repo.db.transaction() as cur):
        repo.insert_generated_rows(cur, [generated(8)])
        repo.insert_items(cur, bad)  # instruction is NOT NULL
    assert repo.table_counts() == before
