"""The job engine: open or resume a job, run its requests, store what comes back.

The event loop never waits on DuckDB. Before it starts, the job's stored answers are read in one
query (they are the cache). While it runs, each attempt is appended to the job's spool (in the
operating system before the next line of the worker runs, so a kill -9 loses no paid answer)
and queued, with each result, for the job's group writer, which commits them in groups. Running
the same job again resumes it: a killed run's spool is folded into llm_calls first, finished
calls are answered from there, and only the rest are paid for. Answers still in flight at a kill
(at most `concurrency` of them) were never received and are asked again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from honeybee_core.auth import Actor, require, writes
from honeybee_core.config import Settings
from honeybee_core.errors import HoneybeeError, InputError, ProviderError
from honeybee_core.pipeline.calllog import JobCallLog
from honeybee_core.pipeline.group_writer import GroupWriter, Handle
from honeybee_core.pipeline.spool import Spool, fold_spools
from honeybee_core.providers.base import LLMRequest, LLMResult, ProviderBase
from honeybee_core.providers.batch import BatchProvider
from honeybee_core.providers.client import LLMClient
from honeybee_core.providers.registry import ProviderClass, batch_names, provider_class
from honeybee_core.store import Repository

Progress = Callable[[dict[str, Any]], None]
PROGRESS_EVERY_S = 0.2  # how often on_progress hears of a running job
cancel_flags: dict[str, threading.Event] = {}
_active: set[str] = set()  # jobs running in this process (the one writer of the database)
_open_lock = threading.Lock()
# job kind -> the action that opens it (an answering job is part of an evaluation)
JOB_ACTIONS = {"generate": "launch_job", "verify": "launch_job", "feedback": "launch_job",
               "evaluate": "launch_run", "answer": "launch_run"}


class JobCancelled(HoneybeeError):
    """The job was cancelled by a person; what finished before is kept."""


@dataclass
class JobOutcome:
    job_id: str
    kind: str
    status: str
    done: int
    total: int
    new_items: int = 0
    duplicates: int = 0
    scored: int = 0
    failed: int = 0
    cost_usd: float = 0.0  # every paid attempt of this job, across resumes, valid or not
    paid_calls: int = 0
    cached_calls: int = 0
    commits: int = 0  # group commits of this run

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def request_cancel(job_id: str) -> None:
    """Ask a running job of this process to stop after the calls in flight."""
    cancel_flags.setdefault(job_id, threading.Event()).set()


@writes("launch_job", "launch_run")
def open_job(repo: Repository, kind: str, key: str, actor: Actor) -> str:
    """The job to run: the unfinished one with the same settings, or a new one; marked active
    here (under a lock) so a second launch of the same work is refused, not run twice. Spools
    left by killed runs are folded into the call log first, so their answers are found."""
    actor = require(actor, JOB_ACTIONS[kind], repo)
    with _open_lock:
        fold_spools(repo, running=set(_active))
        job_id = repo.unfinished_job(kind, key)
        if job_id in _active:
            raise InputError(f"Job {job_id} with these settings is already running; wait for "
                             "it or cancel it.")
        if job_id is None:
            job_id = f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
            repo.create_job(job_id, kind, key, actor.name)
        _active.add(job_id)
    cancel_flags[job_id] = threading.Event()
    return job_id


def release(job_id: str) -> None:
    """Mark a job of this process as no longer running (idempotent)."""
    _active.discard(job_id)


def job_provider(provider: ProviderClass | str, model: str | None,
                 settings: Settings) -> ProviderBase:
    """The provider a job calls, with the HTTP settings applied."""
    cls = provider_class(provider) if isinstance(provider, str) else provider
    return cls.create(model, timeout=settings.request_timeout_s,
                      transport=settings.http_transport)


def llm_client(provider: ProviderBase, repo: Repository, job_id: str, concurrency: int,
               settings: Settings, batch: bool = False) -> LLMClient:
    return LLMClient(
        provider, JobCallLog(repo, job_id, batch=batch), concurrency=concurrency,
        max_attempts=settings.max_attempts,
        prices={k: (v[0], v[1]) for k, v in settings.prices.items()},
    )


def run_requests(repo: Repository, outcome: JobOutcome, client: LLMClient,
                 requests: list[LLMRequest], handle: Handle, on_progress: Progress | None,
                 batch_poll_s: float | None = None) -> JobOutcome:
    """Run requests (concurrently, or as provider batches when batch_poll_s is given); results
    reach handle(cursor, [(index, result)]) in group commits; the job row is kept current."""
    job_id, provider = outcome.job_id, client.provider
    log = client.call_log
    assert isinstance(log, JobCallLog), "llm_client() builds a job's client"
    cancel = cancel_flags[job_id]
    log.preload(provider.name, provider.model,
                [req.request_hash(provider.model) for req in requests])
    spent_before = float(repo.llm_call_totals(job_id)["cost_usd"])
    outcome.cost_usd = spent_before
    rounds = json.loads((repo.job(job_id) or {}).get("batch_ids") or "[]")
    repo.update_job(job_id, status="running", progress_total=outcome.total, started_at=now(),
                    error=None)
    writer = GroupWriter(repo, job_id, handle, lambda: {
        "progress_done": outcome.done, "cost_usd": round(outcome.cost_usd, 6)}).start()
    spool = Spool.for_job(repo, job_id)
    log.attach(spool, writer.call)
    last_progress = 0.0

    def on_result(i: int, _req: LLMRequest, result: LLMResult | ProviderError) -> None:
        nonlocal last_progress
        if isinstance(result, ProviderError):
            outcome.failed += 1
        else:
            writer.result(i, result)
            outcome.cached_calls += int(result.cached)
            outcome.paid_calls += int(not result.cached)
        outcome.done += 1
        outcome.cost_usd = spent_before + log.spent
        if writer.error is not None:
            raise writer.error
        if on_progress and (time.monotonic() - last_progress >= PROGRESS_EVERY_S
                            or outcome.done == outcome.total):
            on_progress(outcome.as_dict())
            last_progress = time.monotonic()
        if cancel.is_set():
            raise JobCancelled(f"Job {job_id} was cancelled; finished work is kept.")

    async def work() -> None:
        try:
            if batch_poll_s is None:
                await client.complete_many(requests, on_result=on_result)
            else:
                await _batch_rounds(job_id, client, requests, rounds, writer, on_result,
                                    batch_poll_s)
        finally:
            await provider.aclose()  # its connections belong to this event loop

    failure: BaseException | None = None
    try:
        asyncio.run(work())
    except JobCancelled:
        outcome.status = "cancelled"
    except BaseException as exc:  # noqa: BLE001 - recorded on the job row, then raised again
        failure = exc
    finally:
        writer.close()
        log.detach()
        spool.close(delete=writer.error is None)  # else folded when a job next opens
        release(job_id)
    failure = failure or writer.error
    outcome.commits = writer.commits
    outcome.cost_usd = spent_before + log.spent
    if failure is not None:
        repo.update_job(job_id, status="failed", error=str(failure)[:2000], finished_at=now(),
                        progress_done=outcome.done, cost_usd=round(outcome.cost_usd, 6))
        raise failure
    if outcome.status != "cancelled":
        outcome.status = "finished" if outcome.failed == 0 else (
            "failed" if outcome.failed == outcome.total else "partial")
    error = (f"{outcome.failed} of {outcome.total} calls failed after all attempts; run the job "
             "again to retry them." if outcome.failed else None)
    repo.update_job(job_id, status=outcome.status, error=error, finished_at=now(),
                    progress_done=outcome.done, cost_usd=round(outcome.cost_usd, 6))
    return outcome


async def _batch_rounds(job_id: str, client: LLMClient, requests: list[LLMRequest],
                        rounds: list[dict[str, Any]], writer: GroupWriter,
                        on_result: Callable[..., None], poll_s: float) -> None:
    """Batch mode: answers already in the call log first, then one provider batch per round for
    the rest; failed or expired rows go into the next round, up to max_attempts rounds. Batch ids
    live on the job row, so a restarted job polls its open batch instead of paying again."""
    provider, log = client.provider, client.call_log
    if not isinstance(provider, BatchProvider):  # refused by the params' check() before this
        raise InputError(f"Batch mode needs --provider {' or '.join(batch_names())}.")

    async def save_rounds() -> None:  # committed (by the job's writer) before polling
        await asyncio.wrap_future(writer.update_job(batch_ids=json.dumps(rounds)))

    hashes = [req.request_hash(provider.model) for req in requests]
    pending = []
    for i, h in enumerate(hashes):
        hit = log.lookup(provider.name, provider.model, h)
        if hit is not None and hit.parsed is not None:
            on_result(i, requests[i], LLMResult(hit.parsed, hit.raw_response or "", 0, 0, 0.0,
                                                0.0, 0, True, h))
        else:
            pending.append(i)
    while pending and len([r for r in rounds if r["done"]]) < client.max_attempts:
        subset = [requests[i] for i in pending]
        if not rounds or rounds[-1]["done"]:
            rounds.append({"id": await provider.submit_batch(subset), "n": len(subset),
                           "done": False})
            await save_rounds()
        while True:
            status = await provider.poll_batch(rounds[-1]["id"], subset, prices=client.prices,
                                               call_log=log, attempt=len(rounds))
            if status.done:
                break
            if cancel_flags[job_id].is_set():
                raise JobCancelled(f"Job {job_id} was cancelled; batch {rounds[-1]['id']} "
                                   "keeps running at the provider and is polled on re-run.")
            await asyncio.sleep(poll_s)
        for i in list(pending):
            result = status.results.get(hashes[i])
            if result is not None:
                pending.remove(i)
                on_result(i, requests[i], result)
        rounds[-1]["done"] = True
        await save_rounds()
    for i in pending:
        on_result(i, requests[i], ProviderError(
            f"Request {hashes[i][:12]} failed in {len(rounds)} batch rounds."))


def now() -> dt.datetime:
    return dt.datetime.now()
