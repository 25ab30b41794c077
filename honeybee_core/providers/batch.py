"""Batch mode (half price) as provider methods: submit many requests at once, poll later,
resubmit only failures.

Stateless: the caller stores the batch id (jobs table) and passes the same requests back to
poll_batch. Each request's custom_id is its request hash, so results map back to requests
and land in the call log under the same key LLMClient looks up. A provider with a batch API
subclasses BatchProvider and implements _submit and _poll; the rest is shared here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar, TypeVar

from honeybee_core.errors import InputError, ProviderError
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
from honeybee_core.providers.http_errors import from_sdk_exception
from honeybee_core.providers.pricing import PriceTable
from honeybee_core.providers.sdk_provider import SDK, SDKProvider

T = TypeVar("T")
Row = tuple[str, "RawAnswer | BatchFailure"]


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


class BatchProvider(SDKProvider[SDK]):
    """An SDK provider with a batch API."""

    supports_batch = True
    max_batch_requests: ClassVar[int]

    def custom_id(self, req: LLMRequest) -> str:
        return req.request_hash(self.model)

    async def submit_batch(self, reqs: Sequence[LLMRequest]) -> str:
        """Create a provider batch for reqs (duplicates collapse to one) and return its id."""
        unique = self._unique(reqs)
        if not unique:
            raise InputError("submit_batch needs at least one request.")
        if len(unique) > self.max_batch_requests:
            raise InputError(f"A {self.name} batch holds at most {self.max_batch_requests} "
                             "requests; split them.")
        return await self._submit(unique)

    async def poll_batch(self, batch_id: str, reqs: Sequence[LLMRequest], *,
                         prices: PriceTable | None = None, call_log: CallLog | None = None,
                         attempt: int = 1) -> BatchStatus:
        """Fetch status; once the batch has ended, parse and validate every row.

        Rows are costed at batch prices and returned as CallRecords, also written to call_log
        when given (skipping requests that already have an ok record there, so re-polling an
        ended batch adds nothing for them). `attempt` is the submission round, for the records.
        When done, any request the provider did not report on is listed in failed as missing.
        """
        unique = self._unique(reqs)
        status = BatchStatus(batch_id, self.name, "unknown", False)
        rows = await self._poll(batch_id, status, unique)
        table = prices or PriceTable()
        for cid, answer in rows:
            req = unique.get(cid)
            if req is not None:
                self._settle(req, cid, answer, status, table, attempt)
        if status.done:
            for cid, req in unique.items():
                if cid not in status.results and cid not in status.failed:
                    reason = f"missing from the batch output (batch {status.state})"
                    status.failed[cid] = BatchFailure(reason)
                    status.records.append(self._record(req, cid, None, reason, attempt))
        if call_log is not None:
            for rec in status.records:
                # Polling an ended batch again must not duplicate rows already in the log.
                if call_log.lookup(rec.provider, rec.model, rec.request_hash) is None:
                    call_log.record(rec)
        return status

    def to_resubmit(self, status: BatchStatus, reqs: Sequence[LLMRequest]) -> list[LLMRequest]:
        """The requests worth another batch: retryable failures (expired, errored, invalid)."""
        want = {cid for cid, f in status.failed.items() if f.retryable}
        return [r for cid, r in self._unique(reqs).items() if cid in want]

    async def _submit(self, unique: dict[str, LLMRequest]) -> str:
        raise NotImplementedError

    async def _poll(self, batch_id: str, status: BatchStatus,
                    unique: dict[str, LLMRequest]) -> list[Row]:
        """Set status.state/done/counts; once done, every (custom_id, answer or failure)."""
        raise NotImplementedError

    def _unique(self, reqs: Sequence[LLMRequest]) -> dict[str, LLMRequest]:
        return {self.custom_id(r): r for r in reqs}

    def _record(self, req: LLMRequest, cid: str, answer: RawAnswer | None, error: str | None,
                attempt: int, parsed: dict[str, Any] | None = None,
                cost: float = 0.0) -> CallRecord:
        return CallRecord(
            provider=self.name, model=self.model, request_hash=cid, purpose=req.purpose,
            request_json=req.request_json(self.model),
            raw_response=redact(answer.text) if answer is not None else None, parsed=parsed,
            ok=parsed is not None, error=redact(error) if error else None,
            input_tokens=answer.input_tokens if answer else 0,
            output_tokens=answer.output_tokens if answer else 0,
            cost_usd=cost, latency_ms=0.0, attempt=attempt,
        )

    def _settle(self, req: LLMRequest, cid: str, answer: RawAnswer | BatchFailure,
                status: BatchStatus, prices: PriceTable, attempt: int) -> None:
        if isinstance(answer, BatchFailure):
            status.failed[cid] = answer
            status.records.append(self._record(req, cid, None, answer.reason, attempt))
            return
        cost = prices.cost(self.model, answer.input_tokens, answer.output_tokens, batch=True)
        try:
            parsed = validate_answer(req, answer.text)
        except InvalidAnswer as exc:
            status.failed[cid] = BatchFailure(str(exc))
            status.records.append(self._record(req, cid, answer, str(exc), attempt, cost=cost))
            return
        status.records.append(self._record(req, cid, answer, None, attempt, parsed, cost))
        status.results[cid] = LLMResult(
            parsed=parsed, raw_text=answer.text, input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens, cost_usd=cost, latency_s=0.0, attempts=attempt,
            cached=False, request_hash=cid, priced=prices.is_known(self.model),
        )


async def sdk_call(what: str, make: Callable[[], Awaitable[T]], sdk: ModuleType,
                   attempts: int = 3, delay: float = 1.0) -> T:
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
