"""The generation plan: deterministic, exact quotas, spread over the topic x task-type grid."""

from __future__ import annotations

import pytest

from honeybee_core.errors import InputError
from honeybee_core.pipeline import instructor
from honeybee_core.pipeline.taxonomy import TASK_TYPES, TOPICS
from tests.conftest import ROOT

CORPUS = ROOT / "data" / "corpus"


def test_plan_is_deterministic_with_exact_quota():
    params = instructor.GenerateParams(n=203, per_call=5, seed=4)
    plan = instructor.plan_calls(params, None)
    assert plan == instructor.plan_calls(params, None)
    assert sum(c.quota for c in plan) == 203 and len(plan) == 41
    assert len({(c.topic, c.task_type) for c in plan}) == 41  # no cell repeats before 400 calls


def test_plan_covers_the_grid():
    plan = instructor.plan_calls(instructor.GenerateParams(n=400, per_call=1), None)
    assert {c.topic for c in plan} == set(TOPICS)
    assert {c.task_type for c in plan} == set(TASK_TYPES)


def test_grounded_passages_decide_topic_and_become_input():
    passages = instructor.load_passages(CORPUS)
    assert len(passages) >= 40 and {p.topic for p in passages} == set(TOPICS)
    params = instructor.GenerateParams(n=10, per_call=5, topics=("Glass",))
    plan = instructor.plan_calls(params, passages)
    assert all(c.passage.topic == "Glass" and c.topic == "Glass" for c in plan)
    answer = {"items": [{"instruction": f"Q{i}", "input": "ignored", "output": "A"}
                        for i in range(6)]}
    rows = instructor.items_from_answer(plan[0], answer, grounded=True, stage=2,
                                        generator="x:y", job_id="j")
    assert len(rows) == 5  # never more than the call's quota
    assert all(r["input"] == plan[0].passage.text and r["stage"] == 2 for r in rows)
    request = instructor.build_request(plan[0], grounded=True)
    assert plan[0].passage.text in request.prompt


def test_plain_text_passages(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("First passage about glass.\n\nSecond passage about steel.\n")
    assert [p.text for p in instructor.load_passages(path)] == [
        "First passage about glass.", "Second passage about steel."]


@pytest.mark.parametrize("change, message", [
    ({"n": 0}, "--n"), ({"topics": ("Alchemy",)}, "Unknown topic 'Alchemy'"),
    ({"task_types": ("Poetry",)}, "Unknown task type"), ({"grounded": "/nope.jsonl"}, "/nope"),
])
def test_bad_parameters_are_one_sentence(change, message):
    with pytest.raises(InputError, match=message):
        instructor.GenerateParams(**{"n": 5, **change}).check()
