"""The LLM call log in DuckDB: every attempt is a row in llm_calls, and ok rows are the cache."""

from __future__ import annotations

import json
import uuid

from honeybee_core.providers.base import CallRecord
from honeybee_core.store import Repository


class DuckCallLog:
    """CallLog over the repository; each record commits at once so a kill loses no paid call.

    A lookup for a request never answered costs no query: the hashes of every answered request
    of the provider and model are loaded once (as 64-bit prefixes, ~60 MB per million calls)
    and kept current by record(). Only a prefix hit reads the row. On a fresh job this takes
    the cache check from about 3 ms of DuckDB work per call, on the event loop, to nothing.
    """

    def __init__(self, repo: Repository, job_id: str | None = None, batch: bool = False) -> None:
        self.repo = repo
        self.job_id = job_id
        self.batch = batch
        self._answered: dict[tuple[str, str], set[int]] = {}

    def _known(self, provider: str, model: str) -> set[int]:
        known = self._answered.get((provider, model))
        if known is None:
            known = {_prefix(h) for h in self.repo.answered_request_hashes(provider, model)}
            self._answered[(provider, model)] = known
        return known

    def lookup(self, provider: str, model: str, request_hash: str) -> CallRecord | None:
        if _prefix(request_hash) not in self._known(provider, model):
            return None
        row = self.repo.cached_llm_call(provider, model, request_hash)
        if row is None:
            return None
        return CallRecord(
            provider=row["provider"], model=row["model"], request_hash=row["request_hash"],
            purpose=row["purpose"], request_json=row["request"],
            raw_response=row["raw_response"],
            parsed=json.loads(row["parsed"]) if row["parsed"] else None, ok=bool(row["ok"]),
            error=row["error"], input_tokens=int(row["input_tokens"]),
            output_tokens=int(row["output_tokens"]), cost_usd=float(row["cost_usd"]),
            latency_ms=float(row["latency_ms"] or 0), attempt=int(row["attempt"]),
        )

    def record(self, rec: CallRecord) -> None:
        self.repo.record_llm_call({
            "id": uuid.uuid4().hex, "provider": rec.provider, "model": rec.model,
            "request_hash": rec.request_hash, "purpose": rec.purpose,
            "request": rec.request_json, "raw_response": rec.raw_response,
            "parsed": json.dumps(rec.parsed, ensure_ascii=False) if rec.parsed is not None
            else None,
            "ok": rec.ok, "error": rec.error, "input_tokens": rec.input_tokens,
            "output_tokens": rec.output_tokens, "cost_usd": rec.cost_usd,
            "latency_ms": rec.latency_ms, "attempt": rec.attempt, "batch": self.batch,
            "job_id": self.job_id,
        })
        if rec.ok:
            self._known(rec.provider, rec.model).add(_prefix(rec.request_hash))


def _prefix(request_hash: str) -> int:
    return int(request_hash[:16], 16)
