"""LLMClient: cache lookup, bounded concurrency, retries with backoff, validation, call records."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

from pydantic import ValidationError

from honeybee_core.errors import ProviderError
from honeybee_core.providers.base import (
    CallLog,
    CallRecord,
    LLMRequest,
    LLMResult,
    PermanentError,
    Provider,
    RawAnswer,
    TransientError,
    redact,
)
from honeybee_core.providers.pricing import PriceTable

log = logging.getLogger(__name__)

Outcome = LLMResult | ProviderError
_NORMAL_STOPS = (None, "stop", "end_turn", "tool_use")
OnResult = Callable[[int, LLMRequest, Outcome], Awaitable[None] | None]


class InvalidAnswer(Exception):
    """The model answered, but not with JSON that matches the schema."""


def validate_answer(req: LLMRequest, text: str) -> dict[str, Any]:
    """Parse the model's text as JSON and validate it against req.model_cls, else InvalidAnswer."""
    stripped = text.strip()
    if stripped.startswith("```"):  # compatible servers without strict mode may fence the JSON
        stripped = stripped.strip("`").removeprefix("json").strip()
    try:
        obj = json.loads(stripped)
    except (json.JSONDecodeError, TypeError) as exc:
        raise InvalidAnswer(f"answer is not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise InvalidAnswer(f"answer is JSON {type(obj).__name__}, expected an object")
    assert req.model_cls is not None  # filled by LLMRequest.__post_init__
    try:
        return req.model_cls.model_validate(obj).model_dump()
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
            for e in exc.errors()[:3]
        )
        name = req.schema_name
        raise InvalidAnswer(f"answer does not match schema {name!r}: {details}") from None


class LLMClient:
    """Runs LLMRequests against one provider; every attempt becomes a CallRecord in call_log."""

    def __init__(
        self,
        provider: Provider,
        call_log: CallLog,
        *,
        concurrency: int = 8,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        max_retry_after: float = 120.0,
        prices: PriceTable | Mapping[str, tuple[float, float]] | None = None,
        use_cache: bool = True,
    ) -> None:
        if concurrency < 1 or max_attempts < 1:
            raise ValueError("concurrency and max_attempts must be at least 1")
        self.provider = provider
        self.call_log = call_log
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self.prices = prices if isinstance(prices, PriceTable) else PriceTable(prices)
        self.use_cache = use_cache
        self._sem: asyncio.Semaphore | None = None
        self._sem_loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[str, asyncio.Future[LLMResult]] = {}
        # A 429's retry-after pauses every worker, not only the one that got it.
        self._resume_at = 0.0

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._sem is None or self._sem_loop is not loop:
            self._sem, self._sem_loop = asyncio.Semaphore(self.concurrency), loop
        return self._sem

    async def complete(self, req: LLMRequest) -> LLMResult:
        """The validated answer: from the call log if present, else from the provider."""
        started = time.monotonic()
        h = req.request_hash(self.provider.model)
        if self.use_cache:
            hit = self.call_log.lookup(self.provider.name, self.provider.model, h)
            if hit is not None and hit.parsed is not None:
                return self._from_record(hit, h, started)
            # Identical requests running concurrently share one set of attempts.
            pending = self._inflight.get(h)
            if pending is not None:
                try:
                    res = await asyncio.shield(pending)
                    return replace(res, cached=True, cost_usd=0.0, attempts=0,
                                   latency_s=time.monotonic() - started)
                except asyncio.CancelledError:
                    if not pending.cancelled():
                        raise  # we were cancelled ourselves
                    # the first caller was cancelled: do the work here instead
        fut: asyncio.Future[LLMResult] = asyncio.get_running_loop().create_future()
        self._inflight.setdefault(h, fut)
        try:
            res = await self._attempts(req, h, started)
            fut.set_result(res)
            return res
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved: nobody may be waiting on it
            raise
        finally:
            if self._inflight.get(h) is fut:
                del self._inflight[h]

    async def complete_many(
        self, reqs: Sequence[LLMRequest], on_result: OnResult | None = None
    ) -> list[Outcome]:
        """All requests concurrently (bounded); on_result(i, req, outcome) fires as each finishes.

        A request that exhausts its attempts yields its ProviderError in the list instead of
        aborting the others; an exception raised by on_result cancels the rest and propagates.

        Requests are pulled by a fixed pool of workers, twice the concurrency limit: the spare
        half keeps every slot busy while some workers sleep in backoff or run on_result. One
        task per request instead would make 50,000 tasks up front and build every request body
        before the first answer could be read.
        """
        out: list[Outcome | None] = [None] * len(reqs)
        todo = iter(range(len(reqs)))

        async def worker() -> None:
            for i in todo:
                try:
                    outcome: Outcome = await self.complete(reqs[i])
                except ProviderError as exc:
                    outcome = exc
                out[i] = outcome
                if on_result is not None:
                    maybe = on_result(i, reqs[i], outcome)
                    if inspect.isawaitable(maybe):
                        await maybe

        tasks = [asyncio.create_task(worker())
                 for _ in range(min(len(reqs), 2 * self.concurrency))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return cast(list[Outcome], out)  # every slot was filled: no worker failed

    async def _attempts(self, req: LLMRequest, h: str, started: float) -> LLMResult:
        p = self.provider
        request_json = req.request_json(p.model)  # stored with every attempt
        spent = 0.0
        last_error = "no attempt was made"
        for attempt in range(1, self.max_attempts + 1):
            await self._wait_for_rate_limit()
            async with self._semaphore():
                t0 = time.monotonic()
                try:
                    ans: RawAnswer | None = await p.call(req)
                    error: Exception | None = None
                except (TransientError, PermanentError) as exc:
                    ans, error = None, exc
                except Exception as exc:  # noqa: BLE001 - an unexpected SDK error is recorded too
                    ans, error = None, PermanentError(f"{type(exc).__name__}: {exc}")
                latency_ms = (time.monotonic() - t0) * 1000
            rec = CallRecord(
                provider=p.name, model=p.model, request_hash=h, purpose=req.purpose,
                request_json=request_json, raw_response=None, parsed=None, ok=False, error=None,
                input_tokens=0, output_tokens=0, cost_usd=0.0, latency_ms=latency_ms,
                attempt=attempt,
            )
            if ans is None:
                assert isinstance(error, (TransientError, PermanentError))
                rec.error, rec.raw_response = str(error), error.raw
                self.call_log.record(rec)
                last_error = str(error)
                log.info("%s attempt %d/%d for %s failed: %s", p.name, attempt,
                         self.max_attempts, h[:12], last_error)
                if isinstance(error, PermanentError):
                    break
                if attempt < self.max_attempts:
                    await asyncio.sleep(self._delay(attempt, error.retry_after))
                continue
            rec.raw_response = redact(ans.text)
            rec.input_tokens, rec.output_tokens = ans.input_tokens, ans.output_tokens
            rec.cost_usd = self.prices.cost(p.model, ans.input_tokens, ans.output_tokens)
            spent += rec.cost_usd
            try:
                parsed = validate_answer(req, ans.text)
            except InvalidAnswer as exc:
                reason = str(exc)
                if ans.stop_reason in ("length", "max_tokens"):
                    reason += " (output was cut off at max_tokens)"
                elif ans.stop_reason not in _NORMAL_STOPS:
                    reason += f" (stop reason: {ans.stop_reason})"
                rec.error = last_error = reason
                self.call_log.record(rec)
                log.info("%s attempt %d/%d for %s invalid: %s", p.name, attempt,
                         self.max_attempts, h[:12], reason)
                continue  # the service is healthy; ask again straight away
            rec.ok, rec.parsed = True, parsed
            self.call_log.record(rec)
            return LLMResult(
                parsed=parsed, raw_text=ans.text, input_tokens=ans.input_tokens,
                output_tokens=ans.output_tokens, cost_usd=spent,
                latency_s=time.monotonic() - started, attempts=attempt, cached=False,
                request_hash=h, priced=self.prices.is_known(p.model),
            )
        last_error = " ".join(last_error.split())[:400]
        raise ProviderError(
            f"{p.name} ({p.model}) could not answer the {req.purpose} request {h[:12]} after "
            f"{attempt} attempt(s); last error: {last_error}"
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff, never shorter than the server's retry-after."""
        delay = random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))
        if retry_after is not None and retry_after > 0:
            wait = min(retry_after, self.max_retry_after)
            self._resume_at = max(self._resume_at, time.monotonic() + wait)
            delay = max(delay, wait)
        return delay

    async def _wait_for_rate_limit(self) -> None:
        while (wait := self._resume_at - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    def _from_record(self, rec: CallRecord, h: str, started: float) -> LLMResult:
        return LLMResult(
            parsed=dict(rec.parsed or {}), raw_text=rec.raw_response or "",
            input_tokens=rec.input_tokens, output_tokens=rec.output_tokens, cost_usd=0.0,
            latency_s=time.monotonic() - started, attempts=0, cached=True, request_hash=h,
            priced=self.prices.is_known(self.provider.model),
        )
