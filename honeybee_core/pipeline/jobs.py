"""Generation and verification jobs: one function per job, shared by the CLI and the app.

Each finished call is committed as it finishes (items or scores, plus job progress), and every
attempt is in llm_calls. A job killed at any moment is resumed by running it again with the same
parameters: the plan is rebuilt, finished calls come from the call log, items are keyed by
content hash, so nothing is duplicated and no finished call is paid twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from honeybee_core.auth import Actor, require
from honeybee_core.config import Settings, get_settings
from honeybee_core.errors import HoneybeeError, InputError, ProviderError
from honeybee_core.pipeline import instructor, verifier
from honeybee_core.pipeline.calllog import DuckCallLog
from honeybee_core.pipeline.dedup import NearDuplicateIndex
from honeybee_core.pipeline.prompts import VERIFY_VERSION
from honeybee_core.providers.base import LLMRequest, LLMResult, ProviderBase
from honeybee_core.providers.batch import BatchProvider
from honeybee_core.providers.client import LLMClient
from honeybee_core.providers.offline import OfflineProvider
from honeybee_core.providers.registry import ProviderClass, batch_names, provider_class
from honeybee_core.repo import Repository, rows

Progress = Callable[[dict[str, Any]], None]
PROGRESS_WRITE_S = 0.5  # how often a running job's row (progress, cost so far) is written
cancel_flags: dict[str, threading.Event] = {}
_active: set[str] = set()  # jobs running in this process (the one writer of the database)
_open_lock = threading.Lock()


class JobCancelled(HoneybeeError):
    """The job was cancelled by a person; what finished before is kept."""


@dataclass(frozen=True)
class VerifyParams:
    provider: ProviderClass = OfflineProvider  # resolved from its name by the caller
    model: str = "heuristic-v1"
    limit: int | None = None
    concurrency: int = 8
    batch: bool = False

    def check(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise InputError("--limit must be at least 1.")
        if self.batch and not self.provider.supports_batch:
            raise InputError(f"--batch needs --provider {' or '.join(batch_names())}.")

    def key(self) -> str:
        return json.dumps({"provider": self.provider.name, "model": self.model,
                           "rubric": VERIFY_VERSION, "limit": self.limit}, sort_keys=True)


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
    cost_usd: float = 0.0
    paid_calls: int = 0
    cached_calls: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def request_cancel(job_id: str) -> None:
    """Ask a running job of this process to stop after the calls in flight."""
    cancel_flags.setdefault(job_id, threading.Event()).set()


def open_job(repo: Repository, kind: str, key: str, actor: str | None) -> str:
    """The job to run: the unfinished one with the same settings, or a new one; marked active
    here (under a lock) so a second launch of the same work is refused, not run twice."""
    with _open_lock:
        job_id = repo.unfinished_job(kind, key)
        if job_id in _active:
            raise InputError(f"Job {job_id} with these settings is already running; wait for "
                             "it or cancel it.")
        if job_id is None:
            job_id = f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
            repo.create_job(job_id, kind, key, actor)
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
        provider, DuckCallLog(repo, job_id, batch=batch), concurrency=concurrency,
        max_attempts=settings.max_attempts,
        prices={k: (v[0], v[1]) for k, v in settings.prices.items()},
    )


def run_requests(repo: Repository, outcome: JobOutcome, client: LLMClient,
                 requests: list[LLMRequest], handle: Callable[[int, LLMResult], None],
                 on_progress: Progress | None, batch_poll_s: float | None = None) -> JobOutcome:
    """Run requests (concurrently, or as provider batches when batch_poll_s is given); commit
    each result through handle as it arrives; keep the job row current."""
    cancel = cancel_flags[outcome.job_id]
    repo.update_job(outcome.job_id, status="running", progress_total=outcome.total,
                    started_at=now(), error=None)
    last_write = 0.0

    def write_progress() -> None:
        repo.update_job(outcome.job_id, progress_done=outcome.done,
                        cost_usd=round(outcome.cost_usd, 6))

    def on_result(i: int, _req: LLMRequest, result: LLMResult | ProviderError) -> None:
        nonlocal last_write
        if isinstance(result, ProviderError):
            outcome.failed += 1
        else:
            handle(i, result)
            outcome.cost_usd += result.cost_usd
            outcome.cached_calls += int(result.cached)
            outcome.paid_calls += int(not result.cached)
        outcome.done += 1
        # The job row is a progress display (results and calls are committed on their own), so
        # it is written at most every PROGRESS_WRITE_S, not after each of 50,000 calls.
        if time.monotonic() - last_write >= PROGRESS_WRITE_S or outcome.done == outcome.total:
            write_progress()
            last_write = time.monotonic()
        if on_progress:
            on_progress(outcome.as_dict())
        if cancel.is_set():
            raise JobCancelled(f"Job {outcome.job_id} was cancelled; finished work is kept.")

    # Results (and the job row) are written on one thread of their own, in order, while the
    # event loop keeps the HTTP calls moving: DuckDB holds a thread for 2-3 ms per result and
    # releases the GIL meanwhile. Each result is still committed before its worker moves on,
    # and its call record before that (on the loop), so a kill -9 loses no paid answer.
    # (Call records on this thread too measured slower: two hops per call.)
    writer = ThreadPoolExecutor(1, thread_name_prefix="honeybee-results")

    async def write_result(i: int, req: LLMRequest, result: LLMResult | ProviderError) -> None:
        await asyncio.get_running_loop().run_in_executor(writer, on_result, i, req, result)

    async def work() -> None:
        try:
            if batch_poll_s is None:
                await client.complete_many(requests, on_result=write_result)
            else:
                await _batch_rounds(repo, outcome.job_id, client, requests, on_result,
                                    batch_poll_s)
        finally:
            await client.provider.aclose()  # its connections belong to this event loop

    try:
        asyncio.run(work())
    except JobCancelled:
        outcome.status = "cancelled"
    except Exception as exc:
        write_progress()
        repo.update_job(outcome.job_id, status="failed", error=str(exc)[:2000],
                        finished_at=now())
        raise
    else:
        outcome.status = "finished" if outcome.failed == 0 else (
            "failed" if outcome.failed == outcome.total else "partial")
    finally:
        writer.shutdown(wait=True)
        release(outcome.job_id)
    error = (f"{outcome.failed} of {outcome.total} calls failed after all attempts; run the job "
             "again to retry them." if outcome.failed else None)
    repo.update_job(outcome.job_id, status=outcome.status, error=error, finished_at=now(),
                    progress_done=outcome.done, cost_usd=round(outcome.cost_usd, 6))
    return outcome


async def _batch_rounds(repo: Repository, job_id: str, client: LLMClient,
                        requests: list[LLMRequest], on_result: Callable[..., None],
                        poll_s: float) -> None:
    """Batch mode: answers already in the call log first, then one provider batch per round for
    the rest; failed or expired rows go into the next round, up to max_attempts rounds. Batch ids
    live on the job row, so a restarted job polls its open batch instead of paying again."""
    provider, log = client.provider, client.call_log
    if not isinstance(provider, BatchProvider):  # refused by the params' check() before this
        raise InputError(f"Batch mode needs --provider {' or '.join(batch_names())}.")
    hashes = [req.request_hash(provider.model) for req in requests]
    pending = []
    for i, h in enumerate(hashes):
        hit = log.lookup(provider.name, provider.model, h)
        if hit is not None and hit.parsed is not None:
            on_result(i, requests[i], LLMResult(hit.parsed, hit.raw_response or "", 0, 0, 0.0,
                                                0.0, 0, True, h))
        else:
            pending.append(i)
    rounds = json.loads(repo.job(job_id)["batch_ids"] or "[]")
    while pending and len([r for r in rounds if r["done"]]) < client.max_attempts:
        subset = [requests[i] for i in pending]
        if not rounds or rounds[-1]["done"]:
            rounds.append({"id": await provider.submit_batch(subset), "n": len(subset),
                           "done": False})
            repo.update_job(job_id, batch_ids=json.dumps(rounds))
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
        repo.update_job(job_id, batch_ids=json.dumps(rounds))
    for i in pending:
        on_result(i, requests[i], ProviderError(
            f"Request {hashes[i][:12]} failed in {len(rounds)} batch rounds."))


def kept_index(repo: Repository) -> NearDuplicateIndex:
    """The near-duplicate index over every kept item, for a job that writes new items."""
    index = NearDuplicateIndex()
    for item_id, text, input_text in repo.kept_instructions():
        index.add(item_id, text, input_text)
    return index


def store_items(repo: Repository, index: NearDuplicateIndex, outcome: JobOutcome,
                rows: list[dict[str, Any]]) -> None:
    """Flag near-duplicates of kept items (the rest join the index) and commit the rows."""
    for row in rows:
        match = index.find(row["instruction"], row["input"])
        row["duplicate_of"] = match.item_id if match and match.item_id != row["id"] else None
        if row["duplicate_of"] is None:
            index.add(row["id"], row["instruction"], row["input"])
        else:
            outcome.duplicates += 1
    with repo.db.transaction() as cur:
        outcome.new_items += repo.insert_generated(cur, rows)


def run_generate(repo: Repository, params: instructor.GenerateParams, *,
                 actor: str | None = None, settings: Settings | None = None,
                 on_progress: Progress | None = None) -> JobOutcome:
    """Generate params.n triples (fewer if some calls fail), near-duplicates flagged."""
    settings = settings or get_settings()
    params.check()
    grounded = params.grounded is not None
    passages = instructor.load_passages(params.grounded or settings.corpus_dir) if (
        grounded or params.provider.is_offline) else None
    calls = instructor.plan_calls(params, passages)
    provider = job_provider(params.provider, params.model, settings)
    job_id = open_job(repo, "generate", params.key(), actor)
    client = llm_client(provider, repo, job_id, params.concurrency, settings, params.batch)
    generator = f"{params.provider.name}:{params.model}"
    index = kept_index(repo)
    outcome = JobOutcome(job_id, "generate", "running", 0, len(calls))

    def handle(i: int, result: LLMResult) -> None:
        store_items(repo, index, outcome, instructor.items_from_answer(
            calls[i], result.parsed, grounded=grounded, stage=params.stage,
            generator=generator, job_id=job_id))

    requests = [instructor.build_request(call, grounded) for call in calls]
    return run_requests(repo, outcome, client, requests, handle, on_progress,
                settings.batch_poll_s if params.batch else None)


def run_verify(repo: Repository, params: VerifyParams, *, actor: str | None = None,
               settings: Settings | None = None,
               on_progress: Progress | None = None) -> JobOutcome:
    """Score every item this verifier has not scored yet (near-duplicates are skipped)."""
    settings = settings or get_settings()
    params.check()
    name = f"{params.provider.name}:{params.model}"
    items = repo.items_to_verify(name, VERIFY_VERSION, params.limit).to_dict("records")
    provider = job_provider(params.provider, params.model, settings)
    job_id = open_job(repo, "verify", params.key(), actor)
    client = llm_client(provider, repo, job_id, params.concurrency, settings, params.batch)
    outcome = JobOutcome(job_id, "verify", "running", 0, len(items))

    def handle(i: int, result: LLMResult) -> None:
        with repo.db.transaction() as cur:
            repo.insert_verifier_score(cur, verifier.score_row(items[i]["id"], name, result))
        outcome.scored += 1

    requests = [verifier.build_request(item) for item in items]
    return run_requests(repo, outcome, client, requests, handle, on_progress,
                settings.batch_poll_s if params.batch else None)


def check_launch(actor: Actor, params: instructor.GenerateParams | VerifyParams) -> bool:
    """Before a page starts a job: the person may launch jobs and the parameters are valid."""
    require(actor, "launch_job")
    params.check()
    params.provider.check(params.model)  # a missing key fails here, not in a thread
    return True


def job_board(repo: Repository, limit: int = 8) -> list[dict[str, Any]]:
    """Recent jobs with their progress fraction and a one-line summary (ETA and cost so far)."""
    board = []
    for job in rows(repo.jobs(limit=limit)):
        done, total = int(job["progress_done"]), int(job["progress_total"])
        fraction = min(1.0, done / total) if total else (1.0 if job["status"] == "finished"
                                                         else 0.0)
        summary = f"{done}/{total} calls, ${job['cost_usd']:.4f}"
        started = job["started_at"]
        if job["status"] == "running" and done and started is not None:
            elapsed = (dt.datetime.now() - started).total_seconds()
            summary += f", ETA {elapsed / done * (total - done):.0f} s"
        if job["error"]:
            summary += f" — {job['error']}"
        board.append({**job, "fraction": fraction, "summary": summary})
    return board


def start_in_background(target: Callable[..., JobOutcome], *args: Any,
                        **kwargs: Any) -> threading.Thread:
    """Run a job function in a daemon thread of the app process (the one DuckDB writer)."""
    thread = threading.Thread(target=_guarded, args=(target, args, kwargs), daemon=True)
    thread.start()
    return thread


def _guarded(target: Callable[..., JobOutcome], args: tuple, kwargs: dict) -> None:
    # the failure is on the job row already, where the page shows it
    with contextlib.suppress(HoneybeeError):
        target(*args, **kwargs)


def now() -> dt.datetime:
    return dt.datetime.now()
