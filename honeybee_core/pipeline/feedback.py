"""Feedback: the Instructor writes new triples aimed at where the student is weak.

An answer is weak when any of its grades (averaged over evaluators) is below the threshold (the
paper: anything under 100). Two modes:

- per-dimension (default, as released in generate_data_from_feedback.py): one Instructor prompt
  per weak dimension of a weak item (so up to three per item), each asking for `per_item` new
  examples that train that one ability (accuracy, completeness or reasonableness), showing the
  weak item itself; the item's input passage is kept as the input of every new triple when it
  had one; temperature 0. The released prompt's random word limits and topic/task samples are
  drawn from a seed of the item and dimension, so a re-run asks the same question (cache).
- with-answer (feedback_v1): one prompt per weak item that also shows the student's answer, the
  grades and the Evaluator's note, and asks for examples with new inputs.

New items carry source "feedback", parent_id = the weak item, target_dimension (per-dimension
mode) and the next stage: max(the weak item's stage, the run's stage) + 1, so a fixed
evaluation set still drives stage 1 -> 2 -> 3. They are unscored, so the next verify job picks
them up like any other item.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from honeybee_core.auth import Actor, require, writes
from honeybee_core.config import Settings, get_settings
from honeybee_core.domain import content_id
from honeybee_core.errors import InputError, NotFoundError
from honeybee_core.pipeline import instructor
from honeybee_core.pipeline.evaluation_job import BASE_RUN
from honeybee_core.pipeline.evaluator import GRADE_COLUMNS
from honeybee_core.pipeline.jobs import (
    JobOutcome,
    Progress,
    job_provider,
    kept_index,
    llm_client,
    open_job,
    run_requests,
    store_items,
)
from honeybee_core.pipeline.prompts import (
    FEEDBACK_PER_DIMENSION,
    FEEDBACK_VERSION,
    render,
    system_prompt,
)
from honeybee_core.pipeline.taxonomy import TASK_TYPES, TOPICS
from honeybee_core.providers.base import LLMRequest, LLMResult
from honeybee_core.providers.registry import provider_class
from honeybee_core.store import Cursor, Repository, rows
from honeybee_core.training.adapters import FINAL

MODES = {"per-dimension": FEEDBACK_PER_DIMENSION, "with-answer": FEEDBACK_VERSION}
ABILITIES = {  # what each weak dimension's prompt asks the new examples to train
    "accuracy": "Accuracy is judged by checking the output (with its instruction and input) "
                "against known facts and credible sources: every claim must be correct and "
                "supported by evidence.",
    "completeness": "Completeness is judged by how fully the output answers the instruction, "
                    "every sub-question included, with depth but without padding.",
    "reasonableness": "Reasonableness is judged by how logically consistent the output is, free "
                      "of evident contradictions.",
}


@dataclass(frozen=True)
class FeedbackParams:
    run: str  # a training run id, a run folder, or "base"
    provider: str = "offline"
    model: str = "heuristic-v1"
    evaluator: str | None = None  # whose grades count; None: every evaluator's, averaged
    threshold: float = 100.0
    n: int | None = None  # at most this many weak items, weakest first
    per_item: int = 5
    concurrency: int = 8
    mode: str = "per-dimension"
    temperature: float = 0.0

    def check(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"--mode {self.mode} is unknown; choose {' or '.join(MODES)}.")
        if not 0 <= self.temperature <= 2:
            raise InputError("--temperature must be between 0 and 2.")
        if not 0 < self.threshold <= 100:
            raise InputError("--threshold must be above 0 and at most 100.")
        if self.n is not None and self.n < 1:
            raise InputError("--n must be at least 1.")
        if not 1 <= self.per_item <= 20:
            raise InputError("--per-item must be between 1 and 20.")

    def key(self, run_id: str, weights: str = FINAL) -> str:
        return json.dumps({"run": run_id, "provider": self.provider, "model": self.model,
                           **({"weights": weights} if weights != FINAL else {}),
                           "evaluator": self.evaluator, "threshold": self.threshold, "n": self.n,
                           "per_item": self.per_item, "prompt": MODES[self.mode],
                           "temperature": self.temperature}, sort_keys=True)


def resolve_run_id(repo: Repository, run: str) -> tuple[str, int]:
    """(evaluations.run_id, the run's stage; 0 for the base model) of a run id or folder."""
    row: dict[str, Any] | None = {"id": BASE_RUN, "stage": 0} if run == BASE_RUN else repo.run(run)
    if row is None and repo.evaluation_count(run):  # an API student's or the references' row
        row = {"id": run, "stage": 0}
    if row is None:  # a run or adapter folder, as `evaluate --run DIR` stored it
        path = Path(run).expanduser().resolve()
        folder = path.parent if (path / "adapter_config.json").is_file() else path
        row = repo.run_by_out_dir(str(folder)) or {"id": str(folder), "stage": 0}
    if not repo.evaluation_count(row["id"]):
        raise NotFoundError(f"Run {run} has no evaluations yet; run `honeybee evaluate --run "
                            f"{run}` first.")
    return row["id"], int(row["stage"] or 0)


def check_launch(actor: Actor, params: FeedbackParams) -> bool:
    """Before a page starts feedback generation: the role allows it and the provider is usable."""
    require(actor, "launch_job")
    params.check()
    provider_class(params.provider).check(params.model)
    return True


def build_request(weak: dict[str, Any], n: int, temperature: float = 0.0) -> LLMRequest:
    """The feedback request for one weak answer (item, answer, grades, rationale)."""
    grades = {k: float(weak[k]) for k in GRADE_COLUMNS}
    item = {"instruction": weak["instruction"], "input": weak["input"] or "",
            "output": weak["output"]}
    return LLMRequest(
        purpose="feedback",
        system=system_prompt(FEEDBACK_VERSION),
        prompt=render(FEEDBACK_VERSION, topic=weak["topic"] or "materials science",
                      task_type=weak["task_type"] or "any", instruction=item["instruction"],
                      input=item["input"] or "(none)", reference=item["output"],
                      answer=weak["answer"] or "(empty answer)",
                      **{k: round(v) for k, v in grades.items()},
                      rationale=weak["rationale"] or "(none)", n=n),
        schema_name="instruct_batch",
        payload={"item": item, "answer": weak["answer"], "grades": grades,
                 "topic": weak["topic"], "task_type": weak["task_type"], "n": n},
        temperature=temperature,
        max_tokens=4096,
    )


def weak_dimensions(weak: dict[str, Any], threshold: float) -> list[str]:
    """The dimensions of a weak answer graded below the threshold, in rubric order."""
    return [dim for dim in GRADE_COLUMNS if float(weak[dim]) < threshold]


def build_dimension_request(weak: dict[str, Any], dimension: str, n: int,
                            temperature: float = 0.0, run_id: str = "") -> LLMRequest:
    """The released feedback request: the weak item (instruction, input, output) and the one
    ability to train; grounded on the item's input when it has one, else on five topics and
    five task types. Its random parts are seeded by run, item and dimension: a re-run asks the
    same question, the next stage's run a new one."""
    seed = hashlib.sha256(f"{run_id}:{weak['id']}:{dimension}".encode()).hexdigest()
    rng = random.Random(int(seed[:16], 16))
    passage = weak["input"] or ""
    if passage:
        context = f"The given text is: {passage}"
        sample = (f"   <input>: {passage}\n   <instruction>: {weak['instruction']}\n"
                  f"   <output>: {weak['output']}")
    else:
        context = (f"Cover these topics: {', '.join(rng.sample(TOPICS, 5))}; and diverse kinds "
                   f"of instructions, such as: {', '.join(rng.sample(TASK_TYPES, 5))}.")
        sample = f"   <instruction>: {weak['instruction']}\n   <output>: {weak['output']}"
    words = rng.randint(100, 1000), rng.randint(100, 1000)
    return LLMRequest(
        purpose="feedback",
        system="",  # the released prompt is a single user message
        prompt=render(FEEDBACK_PER_DIMENSION, context=context, sample=sample, n=n,
                      grounding_clause=" based on the given text" if passage else "",
                      ability=dimension, description=ABILITIES[dimension],
                      instruction_words=words[0], output_words=words[1]),
        schema_name="instruct_batch",
        payload={"item": {"instruction": weak["instruction"], "input": passage,
                          "output": weak["output"]},
                 "grades": {dimension: float(weak[dimension])}, "dimension": dimension,
                 "topic": weak["topic"], "task_type": weak["task_type"], "n": n,
                 "passage": passage},
        temperature=temperature,
        max_tokens=4096,
    )


@dataclass(frozen=True)
class Ask:
    """One feedback request: the weak item and the dimension it targets (None: all)."""

    weak: dict[str, Any]
    dimension: str | None


def plan(weak: list[dict[str, Any]], params: FeedbackParams) -> list[Ask]:
    if params.mode == "with-answer":
        return [Ask(item, None) for item in weak]
    return [Ask(item, dim) for item in weak for dim in weak_dimensions(item, params.threshold)]


def request_for(ask: Ask, params: FeedbackParams, run_id: str = "") -> LLMRequest:
    if ask.dimension is None:
        return build_request(ask.weak, params.per_item, params.temperature)
    return build_dimension_request(ask.weak, ask.dimension, params.per_item, params.temperature,
                                   run_id)


@writes("launch_job")
def run_feedback(repo: Repository, params: FeedbackParams, *, actor: Actor,
                 settings: Settings | None = None,
                 on_progress: Progress | None = None) -> JobOutcome:
    """Write per_item new triples per weak dimension (or per weak answer, with-answer mode) of
    the run's weak answers (near-duplicates flagged)."""
    require(actor, "launch_job", repo)
    settings = settings or get_settings()
    params.check()
    run_id, run_stage = resolve_run_id(repo, params.run)
    # the run's newest graded weights: a finished run's final adapter over its old checkpoint
    weights = next(iter(repo.graded_weights(run_id, params.evaluator)), FINAL)
    weak = rows(repo.weak_answers(run_id, params.evaluator, params.threshold, weights))
    if params.n is not None:
        weak = weak[: params.n]
    provider = job_provider(params.provider, params.model, settings)
    job_id = open_job(repo, "feedback", params.key(run_id, weights), actor)
    client = llm_client(provider, repo, job_id, params.concurrency, settings)
    generator = f"{params.provider}:{params.model}"
    index = kept_index(repo)
    asks = plan(weak, params)
    outcome = JobOutcome(job_id, "feedback", "running", 0, len(asks))

    def handle(cur: Cursor, results: list[tuple[int, LLMResult]]) -> None:
        for i, result in results:
            ask = asks[i]
            parent = ask.weak
            call = instructor.PlannedCall(i, parent["topic"] or "", parent["task_type"] or "",
                                          params.per_item)
            new = instructor.items_from_answer(
                call, result.parsed, grounded=False,
                stage=max(int(parent["stage"]), run_stage) + 1, generator=generator,
                job_id=job_id, source="feedback", parent_id=parent["id"])
            for row in new:
                row.update(topic=parent["topic"], task_type=parent["task_type"],
                           prompt_version=MODES[params.mode])
                if ask.dimension is not None and parent["input"]:  # the weak item's passage stays
                    row["input"] = parent["input"]
                    row["id"] = content_id(row["instruction"], row["input"], row["output"])
            store_items(repo, cur, index, outcome, new)
            if ask.dimension is not None and new:
                repo.tag_target_dimension(cur, [(row["id"], ask.dimension) for row in new])

    return run_requests(repo, outcome, client, [request_for(a, params, run_id) for a in asks],
                        handle, on_progress)
