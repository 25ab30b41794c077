"""Batch mode (half price): submit many requests at once, poll later, resubmit only failures.

Stateless: the caller stores the batch id (jobs table) and passes the same requests back to
poll_batch. Each request's custom_id is its request hash, so results map back to requests
and land in the call log under the same key LLMClient looks up.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anthropic
import openai

from honeybee_core.errors import InputError, ProviderError
from honeybee_core.providers.anthropic_provider import AnthropicProvider, answer_from_message
from honeybee_core.providers.base import (
    AttemptError,
    CallLog,
    CallRecord,
    LLMRequest,
    LLMResult,
    RawAnswer,
    TransientError,
    redact,
)
from honeybee_core.providers.client import InvalidAnswer, validate_answer
from honeybee_core.providers.http_errors import RETRYABLE_STATUS, from_sdk_exception
from honeybee_core.providers.openai_provider import OpenAIProvider, answer_from_completion
from honeybee_core.providers.pricing import PriceTable

BatchProvider = OpenAIProvider | AnthropicProvider
MAX_REQUESTS = {"openai": 50_000, "anthropic": 100_000}
OPENAI_TERMINAL = ("completed", "expired", "failed", "cancelled")
T = TypeVar("T")


@dataclass(frozen=True)
class BatchFailure:
    reason: str
    retryable: bool = True


@dataclass
class BatchStatus:
    """Where a batch stands. results/failed are keyed by custom_id (= request hash)."""

    batch_id: str
    provider: str
    state: str
    done: bool
    counts: dict[str, int] = field(default_factory=dict)
    results: dict[str, LLMResult] = field(default_factory=dict)
    failed: dict[str, BatchFailure] = field(default_factory=dict)
    records: list[CallRecord] = field(default_factory=list)

    @property
    def cost_usd(self) -> float:
        return sum(r.cost_usd for r in self.records)


def custom_id(provider: BatchProvider, req: LLMRequest) -> str:
    return req.request_hash(provider.model)


def to_resubmit(
    status: BatchStatus, reqs: Sequence[LLMRequest], provider: BatchProvider
) -> list[LLMRequest]:
    """The requests worth another batch: retryable failures (expired, errored, invalid answer)."""
    want = {cid for cid, f in status.failed.items() if f.retryable}
    return [r for r in _unique(provider, reqs).values() if custom_id(provider, r) in want]


async def submit_batch(provider: BatchProvider, reqs: Sequence[LLMRequest]) -> str:
    """Create a provider batch for reqs (duplicates collapse to one) and return its id."""
    if not isinstance(provider, OpenAIProvider | AnthropicProvider):
        raise _not_batchable(provider)
    unique = _unique(provider, reqs)
    if not unique:
        raise InputError("submit_batch needs at least one request.")
    limit = MAX_REQUESTS[provider.name]
    if len(unique) > limit:
        raise InputError(f"A {provider.name} batch holds at most {limit} requests; split them.")
    if isinstance(provider, OpenAIProvider):
        return await _openai_submit(provider, unique)
    return await _anthropic_submit(provider, unique)


async def poll_batch(
    provider: BatchProvider,
    batch_id: str,
    reqs: Sequence[LLMRequest],
    *,
    prices: PriceTable | None = None,
    call_log: CallLog | None = None,
    attempt: int = 1,
) -> BatchStatus:
    """Fetch status; once the batch has ended, parse and validate every row.

    Rows are costed at batch prices and returned as CallRecords, also written to call_log when
    given (skipping requests that already have an ok record there, so re-polling an ended batch
    adds nothing for them). `attempt` is the submission round, for the records. When done,
    any request the provider did not report on is listed in failed as missing.
    """
    unique = _unique(provider, reqs)
    status = BatchStatus(batch_id, provider.name, "unknown", False)
    if isinstance(provider, OpenAIProvider):
        rows = await _openai_poll(provider, batch_id, status)
    elif isinstance(provider, AnthropicProvider):
        rows = await _anthropic_poll(provider, batch_id, status, unique)
    else:
        raise _not_batchable(provider)
    table = prices or PriceTable()
    for cid, answer in rows:
        req = unique.get(cid)
        if req is not None:
            _settle(provider, req, cid, answer, status, table, attempt)
    if status.done:
        for cid, req in unique.items():
            if cid not in status.results and cid not in status.failed:
                reason = f"missing from the batch output (batch {status.state})"
                status.failed[cid] = BatchFailure(reason)
                status.records.append(_record(provider, req, cid, None, reason, attempt))
    if call_log is not None:
        for rec in status.records:
            # Polling an ended batch again must not duplicate rows already in the log.
            if call_log.lookup(rec.provider, rec.model, rec.request_hash) is None:
                call_log.record(rec)
    return status


# -- shared ---------------------------------------------------------------------------------
def _not_batchable(provider: object) -> InputError:
    name = getattr(provider, "name", type(provider).__name__)
    return InputError(f"Batch mode needs the openai or anthropic provider, not {name!r}.")


def _unique(provider: BatchProvider, reqs: Sequence[LLMRequest]) -> dict[str, LLMRequest]:
    return {custom_id(provider, r): r for r in reqs}


def _record(
    provider: BatchProvider,
    req: LLMRequest,
    cid: str,
    answer: RawAnswer | None,
    error: str | None,
    attempt: int,
    parsed: dict[str, Any] | None = None,
    cost: float = 0.0,
) -> CallRecord:
    return CallRecord(
        provider=provider.name, model=provider.model, request_hash=cid, purpose=req.purpose,
        request_json=req.request_json(provider.model),
        raw_response=redact(answer.text) if answer is not None else None, parsed=parsed,
        ok=parsed is not None, error=redact(error) if error else None,
        input_tokens=answer.input_tokens if answer else 0,
        output_tokens=answer.output_tokens if answer else 0,
        cost_usd=cost, latency_ms=0.0, attempt=attempt,
    )


def _settle(
    provider: BatchProvider,
    req: LLMRequest,
    cid: str,
    answer: RawAnswer | BatchFailure,
    status: BatchStatus,
    prices: PriceTable,
    attempt: int,
) -> None:
    if isinstance(answer, BatchFailure):
        status.failed[cid] = answer
        status.records.append(_record(provider, req, cid, None, answer.reason, attempt))
        return
    cost = prices.cost(provider.model, answer.input_tokens, answer.output_tokens, batch=True)
    try:
        parsed = validate_answer(req, answer.text)
    except InvalidAnswer as exc:
        status.failed[cid] = BatchFailure(str(exc))
        status.records.append(_record(provider, req, cid, answer, str(exc), attempt, cost=cost))
        return
    status.records.append(_record(provider, req, cid, answer, None, attempt, parsed, cost))
    status.results[cid] = LLMResult(
        parsed=parsed, raw_text=answer.text, input_tokens=answer.input_tokens,
        output_tokens=answer.output_tokens, cost_usd=cost, latency_s=0.0, attempts=attempt,
        cached=False, request_hash=cid, priced=prices.is_known(provider.model),
    )


async def _sdk_call(
    what: str, make: Callable[[], Awaitable[T]], sdk: Any, attempts: int = 3, delay: float = 1.0
) -> T:
    """Run one batch-management API call, retrying transient failures a few times."""
    for attempt in range(1, attempts + 1):
        try:
            return await make()
        except sdk.APIError as exc:
            err: AttemptError = from_sdk_exception(exc, sdk)
            if not isinstance(err, TransientError) or attempt == attempts:
                raise ProviderError(f"{what} failed: {err}.") from None
            await asyncio.sleep(max(delay * attempt, err.retry_after or 0.0))
    raise AssertionError("unreachable")


# -- OpenAI Batch API -----------------------------------------------------------------------
async def _openai_submit(provider: OpenAIProvider, unique: dict[str, LLMRequest]) -> str:
    lines = [
        {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
         "body": provider.request_body(req)}
        for cid, req in unique.items()
    ]
    data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
    sdk = provider.sdk()
    upload = await _sdk_call(
        "Uploading the OpenAI batch file",
        lambda: sdk.files.create(file=("honeybee-batch.jsonl", data), purpose="batch"),
        openai,
    )
    batch = await _sdk_call(
        "Creating the OpenAI batch",
        lambda: sdk.batches.create(
            input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h",
            metadata={"source": "honeybee-studio"},
        ),
        openai,
    )
    return batch.id


async def _openai_poll(
    provider: OpenAIProvider, batch_id: str, status: BatchStatus
) -> list[tuple[str, RawAnswer | BatchFailure]]:
    sdk = provider.sdk()
    batch = await _sdk_call(
        f"Reading OpenAI batch {batch_id}", lambda: sdk.batches.retrieve(batch_id), openai
    )
    status.state, status.done = batch.status, batch.status in OPENAI_TERMINAL
    if batch.request_counts is not None:
        status.counts = batch.request_counts.model_dump()
    if not status.done:
        return []
    rows: list[tuple[str, RawAnswer | BatchFailure]] = []
    for file_id in (batch.output_file_id, batch.error_file_id):
        if not file_id:
            continue
        content = await _sdk_call(
            f"Downloading OpenAI batch file {file_id}", lambda f=file_id: sdk.files.content(f),
            openai,
        )
        rows += [_openai_row(json.loads(line)) for line in content.text.splitlines() if line]
    if batch.status == "failed" and not rows:
        data = (batch.errors.data or []) if batch.errors else []
        errors = [e.message or e.code or "" for e in data]
        status.state = f"failed: {'; '.join(filter(None, errors)) or 'no reason given'}"
    return rows


def _openai_row(row: dict[str, Any]) -> tuple[str, RawAnswer | BatchFailure]:
    cid, resp, err = row["custom_id"], row.get("response"), row.get("error")
    if resp and resp.get("status_code") == 200:
        return cid, answer_from_completion(resp.get("body") or {})
    if err:
        return cid, BatchFailure(f"{err.get('code')}: {err.get('message')}")
    code = int((resp or {}).get("status_code") or 0)
    message = ((resp or {}).get("body") or {}).get("error", {}).get("message", "no message")
    retryable = code in RETRYABLE_STATUS or code >= 500
    return cid, BatchFailure(f"HTTP {code}: {message}", retryable)


# -- Anthropic Message Batches --------------------------------------------------------------
async def _anthropic_submit(provider: AnthropicProvider, unique: dict[str, LLMRequest]) -> str:
    requests = [{"custom_id": cid, "params": provider.request_params(req)}
                for cid, req in unique.items()]
    sdk = provider.sdk()
    batch = await _sdk_call(
        "Creating the Anthropic message batch",
        lambda: sdk.messages.batches.create(requests=requests),  # type: ignore[arg-type]
        anthropic,
    )
    return batch.id


async def _anthropic_poll(
    provider: AnthropicProvider,
    batch_id: str,
    status: BatchStatus,
    unique: dict[str, LLMRequest],
) -> list[tuple[str, RawAnswer | BatchFailure]]:
    sdk = provider.sdk()
    batch = await _sdk_call(
        f"Reading Anthropic batch {batch_id}",
        lambda: sdk.messages.batches.retrieve(batch_id), anthropic,
    )
    status.state, status.done = batch.processing_status, batch.processing_status == "ended"
    status.counts = batch.request_counts.model_dump()
    if not status.done:
        return []
    decoder = await _sdk_call(
        f"Downloading Anthropic batch {batch_id} results",
        lambda: sdk.messages.batches.results(batch_id), anthropic,
    )
    rows: list[tuple[str, RawAnswer | BatchFailure]] = []
    async for row in decoder:
        req = unique.get(row.custom_id)
        tool = req.schema_name if req is not None else ""
        rows.append((row.custom_id, _anthropic_row(row.result.model_dump(), tool)))
    return rows


def _anthropic_row(result: dict[str, Any], tool: str) -> RawAnswer | BatchFailure:
    kind = result.get("type")
    if kind == "succeeded":
        return answer_from_message(result.get("message") or {}, tool)
    if kind == "errored":
        error = (result.get("error") or {}).get("error") or {}
        etype = error.get("type", "error")
        return BatchFailure(f"{etype}: {error.get('message', 'no message')}",
                            etype != "invalid_request_error")
    if kind == "expired":
        return BatchFailure("expired: the batch ended before this request ran")
    return BatchFailure(f"{kind}: the request did not run")
