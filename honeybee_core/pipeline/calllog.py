"""The LLM call log of a job: every attempt becomes a row of llm_calls, and ok rows are the cache.

Nothing here waits on DuckDB while the event loop runs. preload() reads, in one query before
the loop starts, the stored answers to the job's requests; lookup() is then a dict read.
record() appends the attempt to the job's spool (durable against kill -9 when it returns) and
hands the row to the job's group writer, which commits rows in groups. Without a spool and a
writer attached (a log used outside a job) record() commits the row itself.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from typing import Any

from honeybee_core.pipeline.spool import Spool
from honeybee_core.providers.base import CallRecord
from honeybee_core.store import Repository

Row = dict[str, Any]


class JobCallLog:
    """CallLog over the repository for one job (job_id None: calls outside any job)."""

    def __init__(self, repo: Repository, job_id: str | None = None, batch: bool = False) -> None:
        self.repo = repo
        self.job_id = job_id
        self.batch = batch
        self.spent = 0.0  # what every attempt recorded here cost, valid answer or not
        self._ok: dict[tuple[str, str, str], CallRecord] = {}
        self._spool: Spool | None = None
        self._sink: Callable[[Row], None] | None = None
        self._ids = (f"{uuid.uuid4().hex[:20]}{n:012x}" for n in itertools.count())

    def preload(self, provider: str, model: str, request_hashes: list[str]) -> int:
        """Load the stored ok answers to these requests; returns how many there are."""
        rows = self.repo.answered_calls(provider, model, request_hashes)
        for row in rows:
            self._ok[(provider, model, row["request_hash"])] = _record(row)
        return len(rows)

    def attach(self, spool: Spool, sink: Callable[[Row], None]) -> None:
        """Send records to spool (at once) and to sink (the group writer's queue)."""
        self._spool, self._sink = spool, sink

    def detach(self) -> None:
        self._spool = self._sink = None

    def lookup(self, provider: str, model: str, request_hash: str) -> CallRecord | None:
        return self._ok.get((provider, model, request_hash))

    def record(self, rec: CallRecord) -> None:
        row = self.row(rec)
        if self._spool is not None and self._sink is not None:
            self._spool.append(row)
            self._sink(row)
        else:
            with self.repo.db.transaction() as cur:
                self.repo.insert_llm_calls(cur, [row])
        self.spent += rec.cost_usd
        if rec.ok:
            self._ok[(rec.provider, rec.model, rec.request_hash)] = rec

    def row(self, rec: CallRecord) -> Row:
        """The llm_calls row of an attempt: a unique id (a random prefix per log and a counter,
        no system call per row) and the created time as local wall time, as jobs keep it."""
        return {
            "id": next(self._ids), "provider": rec.provider, "model": rec.model,
            "request_hash": rec.request_hash, "purpose": rec.purpose,
            "request": rec.request_json, "raw_response": rec.raw_response,
            "parsed": json.dumps(rec.parsed, ensure_ascii=False) if rec.parsed is not None
            else None,
            "ok": rec.ok, "error": rec.error, "input_tokens": rec.input_tokens,
            "output_tokens": rec.output_tokens, "cost_usd": rec.cost_usd,
            "latency_ms": rec.latency_ms, "attempt": rec.attempt, "batch": self.batch,
            "job_id": self.job_id,
            "created_at": rec.created_at.astimezone().replace(tzinfo=None),
        }


def _record(row: Row) -> CallRecord:
    return CallRecord(
        provider=row["provider"], model=row["model"], request_hash=row["request_hash"],
        purpose=row["purpose"], request_json=row["request"], raw_response=row["raw_response"],
        parsed=json.loads(row["parsed"]) if row["parsed"] else None, ok=bool(row["ok"]),
        error=row["error"], input_tokens=int(row["input_tokens"]),
        output_tokens=int(row["output_tokens"]), cost_usd=float(row["cost_usd"]),
        latency_ms=float(row["latency_ms"] or 0), attempt=int(row["attempt"]),
    )
