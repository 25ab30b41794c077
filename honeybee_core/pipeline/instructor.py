"""The Instructor: plans generation calls over topics x task types and turns answers into items.

The plan is a pure function of the job's parameters, so re-running a killed job rebuilds the same
requests, finds the finished ones in the call log, and pays only for the rest.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from honeybee_core.domain import content_id
from honeybee_core.errors import InputError
from honeybee_core.pipeline.prompts import INSTRUCT_VERSION, render, system_prompt
from honeybee_core.pipeline.taxonomy import TASK_TYPES, TOPICS
from honeybee_core.providers.base import LLMRequest
from honeybee_core.providers.offline import OfflineProvider
from honeybee_core.providers.registry import ProviderClass, batch_names


@dataclass(frozen=True)
class Passage:
    id: str
    topic: str | None
    text: str


@dataclass(frozen=True)
class GenerateParams:
    n: int
    provider: ProviderClass = OfflineProvider  # resolved from its name by the caller
    model: str = "heuristic-v1"
    stage: int = 1
    topics: tuple[str, ...] = ()
    task_types: tuple[str, ...] = ()
    grounded: str | None = None
    per_call: int = 5
    seed: int = 0
    concurrency: int = 8
    batch: bool = False

    def check(self) -> None:
        if self.n < 1:
            raise InputError("--n must be at least 1.")
        if not 1 <= self.per_call <= 20:
            raise InputError("--per-call must be between 1 and 20.")
        if self.stage < 1:
            raise InputError("--stage must be 1 or more.")
        for topic in self.topics:
            if topic not in TOPICS:
                raise InputError(f"Unknown topic '{topic}'; choose from: {', '.join(TOPICS)}.")
        for kind in self.task_types:
            if kind not in TASK_TYPES:
                raise InputError(
                    f"Unknown task type '{kind}'; choose from: {', '.join(TASK_TYPES)}."
                )
        if self.batch and not self.provider.supports_batch:
            raise InputError(f"--batch needs --provider {' or '.join(batch_names())}.")
        if self.grounded and not Path(self.grounded).exists():
            raise InputError(f"--grounded {self.grounded} does not exist; check the path.")

    def key(self) -> str:
        """Canonical JSON of the parameters that decide the work (the job's identity)."""
        data = asdict(self)
        data.pop("concurrency")  # how fast, not what
        data["provider"] = self.provider.name
        return json.dumps(data, sort_keys=True)


MAX_RELATED = 3  # other passages an offline call may draw on


@dataclass(frozen=True)
class PlannedCall:
    index: int
    topic: str
    task_type: str
    quota: int
    passage: Passage | None = field(default=None)
    # the topic's other passages, for a call that reads its passage as material (not as the
    # input of every example): once the passage's sentences are used, examples draw on these
    related: tuple[str, ...] = ()


def load_passages(path: str | Path) -> list[Passage]:
    """Passages from a JSONL file (text, optional topic and id), a folder holding
    passages.jsonl, or a plain text file with passages separated by blank lines."""
    path = Path(path)
    if path.is_dir():
        path = path / "passages.jsonl"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read passages from {path} ({exc}); give UTF-8 text.") from None
    passages: list[Passage] = []
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                body = rec["text"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise InputError(
                    f"{path.name}: line {number} is not a JSON object with a 'text' field."
                ) from None
            passages.append(Passage(str(rec.get("id", number)), rec.get("topic"), body))
    else:
        blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
        passages = [Passage(str(i + 1), None, block) for i, block in enumerate(blocks)]
    if not passages:
        raise InputError(f"{path.name} holds no passages.")
    return passages


def plan_calls(params: GenerateParams, passages: list[Passage] | None) -> list[PlannedCall]:
    """Spread the calls over topic x task-type cells in a seeded order; pick a passage each."""
    topics = list(params.topics or TOPICS)
    kinds = list(params.task_types or TASK_TYPES)
    cells = [(t, k) for t in topics for k in kinds]
    random.Random(params.seed).shuffle(cells)
    by_topic: dict[str | None, list[Passage]] = {}
    for source in passages or []:
        by_topic.setdefault(source.topic, []).append(source)
    calls = []
    n_calls = -(-params.n // params.per_call)
    for i in range(n_calls):
        topic, kind = cells[i % len(cells)]
        passage: Passage | None = None
        related: tuple[str, ...] = ()
        if passages:
            pool = by_topic.get(topic) or passages
            passage = pool[i % len(pool)]
            if passage.topic and passage.topic in TOPICS:
                topic = passage.topic  # a grounded passage decides its own topic
            k = pool.index(passage)
            related = tuple(p.text for p in (pool[k + 1 :] + pool[:k])[:MAX_RELATED])
        quota = min(params.per_call, params.n - i * params.per_call)
        calls.append(PlannedCall(i, topic, kind, quota, passage,
                                 () if params.grounded else related))
    return calls


def build_request(call: PlannedCall, grounded: bool) -> LLMRequest:
    grounding = (
        "Ground every example in this passage; it is the input of every example, so write "
        f"instructions that need it:\n<passage>\n{call.passage.text}\n</passage>\n"
        if grounded and call.passage else ""
    )
    return LLMRequest(
        purpose="instruct",
        system=system_prompt(INSTRUCT_VERSION),
        prompt=render(INSTRUCT_VERSION, n=call.quota, topic=call.topic,
                      task_type=call.task_type, grounding=grounding, variant=call.index + 1),
        schema_name="instruct_batch",
        payload={
            "topic": call.topic, "task_type": call.task_type, "n": call.quota,
            "passage": call.passage.text if call.passage else "", "grounded": grounded,
            **({"related": list(call.related)} if call.related and not grounded else {}),
            "variant": call.index,
        },
        temperature=0.7,
        max_tokens=4096,
    )


def items_from_answer(
    call: PlannedCall, parsed: dict[str, Any], *, grounded: bool, stage: int, generator: str,
    job_id: str | None, source: str = "generated", parent_id: str | None = None,
) -> list[dict[str, Any]]:
    """Item rows from a validated instruct answer (at most the call's quota)."""
    rows = []
    for item in parsed["items"][: call.quota]:
        input_text = call.passage.text if grounded and call.passage else item["input"]
        rows.append({
            "id": content_id(item["instruction"], input_text, item["output"]),
            "stage": stage, "topic": call.topic, "task_type": call.task_type,
            "instruction": item["instruction"], "input": input_text, "output": item["output"],
            "source": source, "generator": generator, "prompt_version": INSTRUCT_VERSION,
            "parent_id": parent_id, "job_id": job_id,
        })
    return rows
