"""Feedback: for each weak answer of a run, the Instructor writes new triples aimed at the weakness.

An answer is weak when any of its grades (averaged over evaluators) is below the threshold (the
paper: anything under 100). The feedback prompt shows the Instructor the item, the student's
answer and the grades, asks it to analyse what went wrong and to write per_item new examples for
that ability. New items carry source "feedback", parent_id = the weak item and the next stage:
max(the weak item's stage, the run's stage) + 1, so a fixed evaluation set still drives stage
1 -> 2 -> 3. They are unscored, so the next verify job picks them up like any other item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from honeybee_core.auth import Actor, require
from honeybee_core.config import Settings, get_settings
from honeybee_core.errors import InputError, NotFoundError
from honeybee_core.pipeline import instructor
from honeybee_core.pipeline.evaluate import BASE_RUN
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
from honeybee_core.pipeline.prompts import FEEDBACK_VERSION, render, system_prompt
from honeybee_core.providers.base import LLMRequest, LLMResult
from honeybee_core.providers.registry import provider_class
from honeybee_core.repo import Repository, rows


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

    def check(self) -> None:
        if not 0 < self.threshold <= 100:
            raise InputError("--threshold must be above 0 and at most 100.")
        if self.n is not None and self.n < 1:
            raise InputError("--n must be at least 1.")
        if not 1 <= self.per_item <= 20:
            raise InputError("--per-item must be between 1 and 20.")

    def key(self, run_id: str) -> str:
        return json.dumps({"run": run_id, "provider": self.provider, "model": self.model,
                           "evaluator": self.evaluator, "threshold": self.threshold, "n": self.n,
                           "per_item": self.per_item, "prompt": FEEDBACK_VERSION}, sort_keys=True)


def resolve_run_id(repo: Repository, run: str) -> tuple[str, int]:
    """(evaluations.run_id, the run's stage; 0 for the base model) of a run id or folder."""
    row = {"id": BASE_RUN, "stage": 0} if run == BASE_RUN else repo.run(run)
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


def build_request(weak: dict[str, Any], n: int) -> LLMRequest:
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
        temperature=0.7,
        max_tokens=4096,
    )


def run_feedback(repo: Repository, params: FeedbackParams, *, actor: str | None = None,
                 settings: Settings | None = None,
                 on_progress: Progress | None = None) -> JobOutcome:
    """Write per_item new triples for each weak answer of the run (near-duplicates flagged)."""
    settings = settings or get_settings()
    params.check()
    run_id, run_stage = resolve_run_id(repo, params.run)
    weak = rows(repo.weak_answers(run_id, params.evaluator, params.threshold))
    if params.n is not None:
        weak = weak[: params.n]
    provider = job_provider(params.provider, params.model, settings)
    job_id = open_job(repo, "feedback", params.key(run_id), actor)
    client = llm_client(provider, repo, job_id, params.concurrency, settings)
    generator = f"{params.provider}:{params.model}"
    index = kept_index(repo)
    outcome = JobOutcome(job_id, "feedback", "running", 0, len(weak))

    def handle(cur: Any, results: list[tuple[int, LLMResult]]) -> None:
        for i, result in results:
            parent = weak[i]
            call = instructor.PlannedCall(i, parent["topic"] or "", parent["task_type"] or "",
                                          params.per_item)
            new = instructor.items_from_answer(
                call, result.parsed, grounded=False,
                stage=max(int(parent["stage"]), run_stage) + 1, generator=generator,
                job_id=job_id, source="feedback", parent_id=parent["id"])
            for row in new:
                row.update(topic=parent["topic"], task_type=parent["task_type"],
                           prompt_version=FEEDBACK_VERSION)
            store_items(repo, cur, index, outcome, new)

    requests = [build_request(item, params.per_item) for item in weak]
    return run_requests(repo, outcome, client, requests, handle, on_progress)
