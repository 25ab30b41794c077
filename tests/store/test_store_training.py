"""Snapshots, training runs with their metrics, and evaluations: each family's round trip."""

from __future__ import annotations

import pytest

from honeybee_core.domain import ItemWhere, RuleScope
from honeybee_core.rules import parse_rule
from tests.review_seed import items_frame, scores_frame


@pytest.fixture
def filled(repo):
    items = items_frame(9)  # stages 1, 2, 3 in turn
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_verifier_scores(cur, scores_frame(items["id"].tolist(), scored_fraction=1.0))
    return repo


def snapshot_row(snapshot_id: str = "snap1") -> dict:
    return {"id": snapshot_id, "name": "first", "rule": "mean>=0", "require_approval": False,
            "stages": "1,2", "n_items": 2, "sha256": "abc", "path": "/tmp/snap.parquet",
            "created_by": "cur"}


def run_row(run_id: str = "run1", out_dir: str = "/runs/run1") -> dict:
    return {"id": run_id, "snapshot_id": "snap1", "stage": 2, "base_model": "tiny",
            "init_adapter": None, "config": "{}", "out_dir": out_dir, "status": "starting",
            "pid": 123, "max_steps": 10, "created_by": "cur"}


def grade(run_id: str, item_id: str, value: float, evaluator: str = "eval:a") -> dict:
    return {"run_id": run_id, "instruction_id": item_id, "evaluator": evaluator,
            "rubric_version": "e1", "answer": f"answer to {item_id}", "accuracy": value,
            "completeness": value, "reasonableness": value, "rationale": "graded",
            "decoding": "greedy"}


def test_snapshot_round_trip(filled):
    every_score = parse_rule("min>=0")  # passes wherever all four scores are there
    curated = RuleScope(ItemWhere(stages=(1, 2)), rejected_out=True, kept_only=True)
    picked = filled.rule_ids(every_score, curated)
    assert len(picked) == 6 and set(filled.items_by_ids(picked)["stage"]) == {1, 2}
    assert filled.rule_ids(every_score, RuleScope(ItemWhere(stages=(1, 2)),
                                                  undecided_only=True)) == picked
    assert len(filled.rule_ids(every_score, RuleScope(kept_only=True))) == 9
    with filled.db.transaction() as cur:
        filled.insert_snapshot(cur, snapshot_row(), ["item00000", "item00001"])
    assert filled.snapshot_exists("snap1") and not filled.snapshot_exists("snap2")
    assert filled.snapshot("snap1")["rule"] == "mean>=0" and filled.snapshot("x") is None
    assert filled.snapshot_by_sha("abc")["id"] == "snap1" and filled.snapshot_by_sha("z") is None
    assert filled.snapshots()["id"].tolist() == ["snap1"]
    assert filled.items_stage_max("snap1") == 2 and filled.items_stage_max("x") is None
    assert filled.select_items("snapshot", "snap1")["id"].tolist() == ["item00000", "item00001"]


def test_training_run_and_metrics_round_trip(filled):
    filled.insert_run(run_row())
    assert filled.active_runs() == ["run1"]
    with filled.db.transaction() as cur:
        filled.update_run("run1", cur, status="running", step=4)
    run = filled.run("run1")
    assert (run["status"], run["step"], run["pid"]) == ("running", 4, 123)
    with pytest.raises(ValueError, match="not training_runs columns"):
        filled.update_run("run1", out_dir="/elsewhere")
    assert filled.run_by_out_dir("/runs/run1")["id"] == "run1"
    assert filled.run_by_out_dir("/nowhere") is None
    lines = [{"line": n, "step": n + 1, "loss": 2.0 - n / 10} for n in range(3)]
    with filled.db.transaction() as cur:
        filled.insert_metrics(cur, "run1", lines)
        filled.insert_metrics(cur, "run1", lines[1:])  # a re-read adds nothing
    assert filled.metrics_lines("run1") == 3 and filled.metrics_lines("other") == 0
    assert filled.run_metrics("run1")["step"].tolist() == [1, 2, 3]
    filled.update_run("run1", status="finished")
    assert filled.active_runs() == []
    assert filled.runs()["id"].tolist() == ["run1"]
    assert filled.latest_training_runs(5)["status"].tolist() == ["finished"]
    filled.delete_metrics("run1")
    assert filled.run_metrics("run1").empty


def test_evaluation_round_trip_and_weak_answers(filled):
    filled.insert_run(run_row())
    with filled.db.transaction() as cur:
        filled.insert_grade(cur, grade("run1", "item00000", 90))
        filled.insert_grade(cur, grade("run1", "item00001", 40))
        filled.insert_grade(cur, grade("run1", "item00001", 99))  # same key: ignored
        filled.insert_grade(cur, grade("run1", "item00002", 20, evaluator="eval:b"))
        filled.insert_grade(cur, grade("base", "item00000", 10))
    assert filled.evaluation_count("run1") == 3
    assert filled.graded_ids("eval:a", "e1", "run1", "greedy") == {"item00000", "item00001"}
    assert filled.graded_ids("eval:a", "e1", "run1", "paper") == set()
    assert filled.evaluators()["evaluator"].tolist() == ["eval:a", "eval:b"]
    rows = filled.grade_rows("eval:a", "e1")
    assert len(rows) == 3 and set(rows["run_id"]) == {"base", "run1"}
    assert rows.set_index("run_id").loc["run1", "run_stage"].tolist() == [2, 2]
    weak = filled.weak_answers("run1", None, threshold=50)
    assert weak["id"].tolist() == ["item00002", "item00001"]  # weakest first
    assert filled.weak_answers("run1", "eval:a", threshold=50)["id"].tolist() == ["item00001"]
    candidates = filled.evaluation_candidates()
    assert len(candidates) == 9 and candidates["vmean"].notna().all()


def test_grades_of_each_weights_are_kept_and_the_newest_are_read(filled):
    filled.insert_run(run_row())
    with filled.db.transaction() as cur:
        for weights, value in (("checkpoint-8", 10), ("checkpoint-12", 30),
                               ("stopped-at-10", 20)):
            for item in ("item00000", "item00001"):
                filled.insert_grade(cur, grade("run1", item, value) | {"weights": weights})
        filled.insert_grade(cur, grade("base", "item00000", 5))  # no weights given: 'final'
    assert filled.graded_weights("run1") == ["checkpoint-12", "stopped-at-10", "checkpoint-8"]
    assert filled.graded_ids("eval:a", "e1", "run1", "greedy", "checkpoint-8") == {
        "item00000", "item00001"}
    assert filled.graded_ids("eval:a", "e1", "run1", "greedy") == set()  # nothing 'final' yet
    newest = filled.grade_rows("eval:a", "e1")
    assert sorted(zip(newest["run_id"], newest["weights"], newest["accuracy"], strict=True)) == [
        ("base", "final", 5), ("run1", "checkpoint-12", 30), ("run1", "checkpoint-12", 30)]
    assert len(filled.grade_rows("eval:a", "e1", weights=None)) == 7
    assert set(filled.grade_rows("eval:a", "e1", weights="checkpoint-8")["accuracy"]) == {10}
    with filled.db.transaction() as cur:
        filled.insert_grade(cur, grade("run1", "item00001", 90) | {"weights": "final"})
    assert filled.graded_weights("run1")[0] == "final"
    weak = filled.weak_answers("run1", None, threshold=50)
    assert weak.empty  # the final adapter's one grade is 90
    assert filled.weak_answers("run1", None, 50, weights="checkpoint-12")["weights"].tolist() \
        == ["checkpoint-12", "checkpoint-12"]
