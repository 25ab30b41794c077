"""Who answers the questions: a finetuned run (base + LoRA adapter, batched greedy generation),
or an API / OpenAI-compatible model through the providers as a zero-shot baseline (structured
answer {"answer": text}, every call in the call log, so a re-run pays for nothing twice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from honeybee_core.auth import Actor, require, writes
from honeybee_core.config import Settings
from honeybee_core.errors import InputError, TrainingError
from honeybee_core.providers.base import LLMRequest, LLMResult

LOCAL_CHUNK = 256  # prompts per generate() call: progress between chunks, sorting within them
SYSTEM = ("You answer questions about materials-science text for a benchmark. Give only the "
          "answer (a label from the choices, or the requested list), no explanation.")
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
    "additionalProperties": False,
}


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # "adapter" (a finished run), "base" (only with --finetune) or "api"
    label: str  # how the model appears in files and tables
    run_dir: Path | None = None
    base: str | None = None  # "tiny", a model folder or a hub id
    provider: str | None = None
    model: str | None = None


def resolve_model(model: str, find_run: Callable[[str], dict[str, Any] | None]) -> ModelSpec:
    """RUN_ID, a run (or adapter) folder, a base model for --finetune, or PROVIDER:MODEL."""
    text = model.strip()
    path = Path(text).expanduser()
    if text and path.is_dir():
        if (path / "adapter_config.json").is_file():
            path = path.parent
        if (path / "adapter" / "adapter_config.json").is_file():
            return ModelSpec("adapter", path.resolve().name, run_dir=path.resolve())
        if (path / "config.json").is_file():
            return ModelSpec("base", path.resolve().name, base=str(path.resolve()))
        raise InputError(f"--model {model} is a folder with neither an adapter nor a model "
                         "config; pass a finished run's folder.")
    if text == "tiny":
        return ModelSpec("base", "tiny", base="tiny")
    run = find_run(text) if text else None
    if run is not None:
        folder = Path(run["out_dir"])
        if not (folder / "adapter" / "adapter_config.json").is_file():
            raise TrainingError(f"Run {text} has no adapter yet; wait for it to finish.")
        return ModelSpec("adapter", str(run["id"]), run_dir=folder)
    from honeybee_core.providers.registry import registered

    provider, sep, name = text.partition(":")
    cls = registered(provider)
    if sep and cls is not None and not cls.is_offline and name.strip():
        return ModelSpec("api", f"{cls.name}:{name.strip()}", provider=cls.name,
                         model=name.strip())
    if cls is not None and cls.is_offline:
        raise InputError("The offline provider has no MatSci-NLP answers; use a run, or "
                         "openai:MODEL / anthropic:MODEL.")
    raise InputError(f"--model {model} is neither a run id, a run folder, tiny, nor "
                     "PROVIDER:MODEL (openai:MODEL or anthropic:MODEL).")


Progress = Callable[[int, int], None]


def answer_local(run_dir: Path, items: Sequence[tuple[str, str]], batch_size: int,
                 max_new_tokens: int, on_progress: Progress | None = None) -> list[str]:
    """Greedy answers of base + adapter, batched with left padding (AdapterGenerator)."""
    from honeybee_core.training.inference import AdapterGenerator

    generator = AdapterGenerator.from_run(run_dir)
    answers: list[str] = []
    for start in range(0, len(items), LOCAL_CHUNK):
        answers += generator.generate(items[start:start + LOCAL_CHUNK],
                                      max_new_tokens=max_new_tokens, batch_size=batch_size)
        if on_progress:
            on_progress(len(answers), len(items))
    return answers


def api_request(instruction: str, text: str, max_tokens: int) -> LLMRequest:
    return LLMRequest(
        purpose="matsci_nlp", system=SYSTEM, prompt=f"{instruction}\n\nText:\n{text}",
        schema_name="matsci_answer", json_schema=ANSWER_SCHEMA, model_cls=Answer,
        temperature=0.0, max_tokens=max_tokens)


@writes("launch_run")
def answer_api(spec: ModelSpec, items: Sequence[tuple[str, str]], repo: Any,
               settings: Settings, *, concurrency: int, base_url: str | None = None,
               max_tokens: int = 256, on_progress: Progress | None = None, actor: Actor,
               ) -> tuple[list[str | None], dict[str, Any]]:
    """Answers (None where the provider failed after its retries) and call statistics."""
    require(actor, "launch_run", repo)
    from honeybee_core.pipeline.calllog import JobCallLog
    from honeybee_core.providers.client import LLMClient
    from honeybee_core.providers.registry import make_provider

    assert spec.provider and spec.model
    provider = make_provider(spec.provider, spec.model, base_url=base_url,
                             timeout=settings.request_timeout_s,
                             transport=settings.http_transport)
    log = JobCallLog(repo)  # no job: each answer is recorded as it lands
    client = LLMClient(provider, log, concurrency=concurrency,
                       max_attempts=settings.max_attempts,
                       prices={k: (v[0], v[1]) for k, v in settings.prices.items()})
    requests = [api_request(instr, text, max_tokens) for instr, text in items]
    log.preload(provider.name, provider.model, [r.request_hash(provider.model) for r in requests])
    done = 0

    def count(*_: Any) -> None:
        nonlocal done
        done += 1
        if on_progress:
            on_progress(done, len(requests))

    async def go() -> list[LLMResult | Exception]:
        try:
            return list(await client.complete_many(requests, on_result=count))
        finally:
            await provider.aclose()

    outcomes = asyncio.run(go())
    results = [o for o in outcomes if isinstance(o, LLMResult)]
    stats = {"calls": len(requests), "failed": len(outcomes) - len(results),
             "cached": sum(r.cached for r in results),
             "cost_usd": round(sum(r.cost_usd for r in results), 6)}
    return [o.parsed["answer"] if isinstance(o, LLMResult) else None for o in outcomes], stats
