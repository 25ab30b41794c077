"""The offline heuristic provider: deterministic, schema-valid for 20 task types, spread scores."""

from __future__ import annotations

import asyncio
import random
import statistics

import pytest

from honeybee_core.errors import ProviderError
from honeybee_core.providers.base import InMemoryCallLog, LLMRequest
from honeybee_core.providers.client import LLMClient
from honeybee_core.providers.offline import OfflineProvider
from honeybee_core.providers.offline_flaws import weaken
from honeybee_core.providers.offline_templates import TASK_TYPES, TEMPLATES, Ctx
from honeybee_core.providers.offline_text import sentences
from honeybee_core.providers.schemas import Grade, InstructBatch, Verdict

PASSAGE = (
    "Nickel-based superalloys are used in turbine blades because they retain strength at high "
    "temperature. The alloy was annealed at 1100 °C for 4 h and then quenched in water. "
    "Annealing reduced the dislocation density and improved the ductility of the alloy. "
    "The yield strength decreased from 950 MPa to 870 MPa after annealing. Precipitates of the "
    "gamma prime phase were observed by TEM along the grain boundaries. Finer grains increased "
    "the hardness, consistent with the Hall-Petch relation. Oxidation at 900 °C formed a "
    "protective Al2O3 scale on the surface."
)
DIMS = ("accuracy", "relevance", "completeness", "reasonableness")


def run(req: LLMRequest, log: InMemoryCallLog | None = None):
    return asyncio.run(LLMClient(OfflineProvider(), log or InMemoryCallLog()).complete(req))


def instruct(task: str, n: int = 4, passage: str = PASSAGE, variant: int = 0) -> LLMRequest:
    return LLMRequest(
        purpose="instruct", system="", prompt=f"Write {n} {task} examples.",
        schema_name="instruct_batch",
        payload={"topic": "Metals", "task_type": task, "passage": passage, "n": n,
                 "variant": variant},
    )


def verify(item: dict) -> LLMRequest:
    return LLMRequest(purpose="verify", system="", prompt="Score it.", schema_name="verdict",
                      payload={**item, "passage": PASSAGE})


def test_the_paper_task_types_all_have_templates():
    assert len(TASK_TYPES) == 20


@pytest.mark.parametrize("task", TASK_TYPES)
def test_every_task_type_yields_valid_deterministic_items(task):
    log = InMemoryCallLog()
    first = run(instruct(task), log)
    batch = InstructBatch.model_validate(first.parsed)
    assert len(batch.items) == 4
    assert first.cost_usd == 0.0 and first.input_tokens > 0 and first.output_tokens > 0
    assert (log.records[0].provider, log.records[0].model) == ("offline", "heuristic-v1")
    assert run(instruct(task)).parsed == first.parsed  # same request, fresh log: same answer
    assert run(instruct(task, variant=1)).parsed != first.parsed
    for item in batch.items:
        Verdict.model_validate(run(verify(item.model_dump())).parsed)


@pytest.mark.parametrize("task", TASK_TYPES)
def test_ungrounded_requests_use_built_in_topic_material(task):
    batch = InstructBatch.model_validate(run(instruct(task, n=2, passage="")).parsed)
    assert all(item.instruction.strip() and item.output.strip() for item in batch.items)


def test_verifier_scores_spread_and_rank_weakened_items_lower():
    rng = random.Random(7)
    ctx = Ctx("Metals", sentences(PASSAGE), rng)
    good, weak = [], []
    for tmpl in TEMPLATES.values():
        for _ in range(3):
            triple = tmpl(ctx)
            for bucket, t in ((good, triple), (weak, weaken(triple, rng))):
                item = dict(zip(("instruction", "input", "output"), t, strict=True))
                verdict = run(verify(item)).parsed
                bucket.append(statistics.mean(verdict[d] for d in DIMS))
    scores = good + weak
    assert statistics.pstdev(scores) > 10 and max(scores) - min(scores) > 40
    assert statistics.mean(good) > statistics.mean(weak) + 15


def test_instruct_batches_mix_strong_and_weak_items():
    means = []
    for task in TASK_TYPES:
        for item in run(instruct(task, n=5)).parsed["items"]:
            means.append(statistics.mean(run(verify(item)).parsed[d] for d in DIMS))
    assert min(means) < 60 < 85 < max(means)


def test_evaluate_grades_against_the_reference():
    ref = "The yield strength decreased from 950 MPa to 870 MPa after annealing."

    def grade(answer: str) -> dict:
        req = LLMRequest(purpose="evaluate", system="", prompt="Grade it.", schema_name="grade",
                         payload={"instruction": "q", "input": "", "reference": ref,
                                  "answer": answer})
        return Grade.model_validate(run(req).parsed).model_dump()

    perfect, partial, wrong = grade(ref), grade("Annealing lowered the strength to 500 MPa."), \
        grade("Cooking is fun.")
    assert perfect["accuracy"] == perfect["completeness"] == perfect["reasonableness"] == 100
    assert perfect["accuracy"] > partial["accuracy"] > wrong["accuracy"]
    assert partial["reasonableness"] < 100 and "500" in partial["rationale"]


def test_feedback_targets_the_weakest_dimension():
    item = {"instruction": "Summarize the text in one sentence.", "input": PASSAGE,
            "output": "Good cooking depends on fresh ingredients."}
    req = LLMRequest(purpose="feedback", system="", prompt="Improve.", schema_name="instruct_batch",
                     payload={"item": item, "n": 3, "task_type": "Summarization",
                              "grades": {"accuracy": 15, "relevance": 40, "completeness": 60,
                                         "reasonableness": 70}})
    items = InstructBatch.model_validate(run(req).parsed).items
    assert len(items) == 3
    assert all(i.instruction.startswith("Using only facts stated in the input") for i in items)
    assert all("cooking" not in i.output.lower() for i in items)


def test_unknown_purpose_or_task_fails_once_with_a_clear_error():
    bad = LLMRequest(purpose="chat", system="", prompt="hi", schema_name="verdict")
    with pytest.raises(ProviderError, match=r"after 1 attempt.*no heuristic for purpose 'chat'"):
        run(bad)
    with pytest.raises(ProviderError, match="unknown task type 'Poetry'"):
        run(instruct("Poetry"))
