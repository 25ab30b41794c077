"""Students beyond local adapters: an API model answering the held-out set, and the Instructor's
own references graded as a row (the paper's Table 2 rows for ChatGPT, Claude, GPT-4).

An API student sees the same Alpaca prompt bytes a local student does and answers through the
same providers, call log (the cache: a re-run pays nothing) and cost log as every other job; any
OpenAI-compatible server (vLLM, Ollama) serves through OPENAI_BASE_URL. The answer comes back in
a one-field JSON object, because our providers ask every model for structured output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from honeybee_core.auth import Actor, require, writes
from honeybee_core.config import Settings
from honeybee_core.errors import InputError, ProviderError
from honeybee_core.pipeline.jobs import (
    JobOutcome,
    Progress,
    job_provider,
    llm_client,
    open_job,
    run_requests,
)
from honeybee_core.pipeline.prompts import system_prompt
from honeybee_core.providers.base import LLMRequest, LLMResult
from honeybee_core.providers.registry import provider_class
from honeybee_core.store import Cursor, Repository, rows
from honeybee_core.training.template import format_prompt

REFERENCE = "reference"  # --student reference
REFERENCE_RUN = "instructor"  # evaluations.run_id of the Instructor's references
REFERENCE_DECODING = "reference"
ANSWER_VERSION = "answer_v1"
API_TEMPERATURE = 0.0
API_MAX_TOKENS = 1024  # the paper decoding's 512 answer tokens plus room for the JSON wrapper


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str


ANSWER_SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}},
                 "required": ["answer"], "additionalProperties": False}


@dataclass(frozen=True)
class Student:
    """Who answers: run_id and decoding name its row in evaluations."""

    run_id: str
    decoding: str
    provider: str | None = None
    model: str | None = None


def parse(spec: str) -> Student:
    """`reference`, or PROVIDER:MODEL with an SDK provider (openai, anthropic)."""
    spec = spec.strip()
    if spec == REFERENCE:
        return Student(REFERENCE_RUN, REFERENCE_DECODING)
    provider, sep, model = spec.partition(":")
    bad = InputError(f"--student {spec!r} is not PROVIDER:MODEL or 'reference'; give e.g. "
                     "openai:gpt-4o-mini, anthropic:claude-sonnet-4-5 or reference.")
    if not sep or not model:
        raise bad
    try:
        cls = provider_class(provider)
    except ProviderError:
        raise bad from None
    if cls.is_offline:  # the offline heuristic writes no answers worth grading
        raise bad
    return Student(f"{cls.name}:{model}", f"api-t{API_TEMPERATURE:g}", cls.name, model)


def answer_request(item: dict[str, Any]) -> LLMRequest:
    """The question an API student answers: the Alpaca prompt a local student sees."""
    return LLMRequest(
        purpose="answer",
        system=system_prompt(ANSWER_VERSION),
        prompt=format_prompt(item["instruction"], item["input"] or ""),
        schema_name="answer",
        json_schema=ANSWER_SCHEMA,
        model_cls=Answer,
        payload={"instruction": item["instruction"], "input": item["input"] or ""},
        temperature=API_TEMPERATURE,
        max_tokens=API_MAX_TOKENS,
    )


@writes("launch_run")
def answers(repo: Repository, student: Student, frame: pd.DataFrame, settings: Settings, *,
            concurrency: int, set_id: str, actor: Actor,
            on_progress: Progress | None = None) -> tuple[dict[str, str], JobOutcome | None]:
    """id -> answer for every item of frame: the references, or the API model's answers (a job
    of kind "answer"; failed calls leave their items out, a re-run retries them)."""
    require(actor, "launch_run", repo)
    items = rows(frame)
    if student.provider is None:
        return {item["id"]: item["output"] for item in items}, None
    provider = job_provider(student.provider, student.model, settings)
    key = json.dumps({"set": set_id, "student": student.run_id, "prompt": ANSWER_VERSION},
                     sort_keys=True)
    job_id = open_job(repo, "answer", key, actor)
    outcome = JobOutcome(job_id, "answer", "running", 0, len(items))
    client = llm_client(provider, repo, job_id, concurrency, settings)
    got: dict[str, str] = {}

    def handle(_cur: Cursor, results: list[tuple[int, LLMResult]]) -> None:
        for i, result in results:
            got[items[i]["id"]] = result.parsed["answer"].strip()

    run_requests(repo, outcome, client, [answer_request(item) for item in items], handle,
                 on_progress)
    return got, outcome


def check(spec: str, settings: Settings) -> Student:
    """Before a page or the CLI starts: the spec parses and its provider has a key."""
    student = parse(spec)
    if student.provider is not None:
        job_provider(student.provider, student.model, settings)
    return student

