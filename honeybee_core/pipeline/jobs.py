"""Generation and verification jobs: one function per job, shared by the CLI and the app.

Each job plans its requests, runs them through the engine (pipeline/engine.py: spool, group
commits, resume) and turns the answers into rows: items, or verifier scores. A job killed at any
moment is resumed by running it again with the same parameters: the plan is rebuilt, finished
calls come from the call log, items are keyed by content hash, so nothing is duplicated and no
finished call is paid twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from honeybee_core.auth import Actor, require, writes
from honeybee_core.config import Settings, get_settings
from honeybee_core.errors import HoneybeeError, InputError
from honeybee_core.pipeline import instructor, verifier
from honeybee_core.pipeline.dedup import NearDuplicateIndex
from honeybee_core.pipeline.engine import (
    JobCancelled,
    JobOutcome,
    Progress,
    cancel_flags,
    job_provider,
    llm_client,
    now,
    open_job,
    release,
    request_cancel,
    run_requests,
)
from honeybee_core.pipeline.group_writer import Results
from honeybee_core.pipeline.prompts import VERIFY_VERSION
from honeybee_core.providers.offline import OfflineProvider
from honeybee_core.providers.registry import ProviderClass, batch_names
from honeybee_core.store import Cursor, Repository, rows

# The engine's names, for the other jobs (evaluate, feedback) that import them from here.
__all__ = ["JobCancelled", "JobOutcome", "Progress", "VerifyParams", "cancel_flags",
           "check_launch", "job_board", "job_provider", "kept_index", "llm_client", "now",
           "open_job", "release", "request_cancel", "run_generate", "run_requests",
           "run_verify", "start_in_background", "store_items"]


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


def kept_index(repo: Repository) -> NearDuplicateIndex:
    """The near-duplicate index over every kept item, for a job that writes new items."""
    index = NearDuplicateIndex()
    for item_id, text, input_text in repo.kept_instructions():
        index.add(item_id, text, input_text)
    return index


def store_items(repo: Repository, cur: Cursor, index: NearDuplicateIndex, outcome: JobOutcome,
                rows: list[dict[str, Any]]) -> None:
    """Flag near-duplicates of kept items (the rest join the index) and insert the rows in
    cur's transaction."""
    for row in rows:
        match = index.find(row["instruction"], row["input"])
        row["duplicate_of"] = match.item_id if match and match.item_id != row["id"] else None
        if match is None:
            index.add(row["id"], row["instruction"], row["input"])
        elif row["duplicate_of"] is not None:
            outcome.duplicates += 1
        # else: the item itself (a resumed job's answer, a repeated one) is indexed already
    if rows:
        outcome.new_items += repo.insert_generated_rows(cur, rows)


@writes("launch_job")
def run_generate(repo: Repository, params: instructor.GenerateParams, *,
                 actor: Actor, settings: Settings | None = None,
                 on_progress: Progress | None = None) -> JobOutcome:
    """Generate params.n triples (fewer if some calls fail), near-duplicates flagged."""
    require(actor, "launch_job", repo)
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

    def handle(cur: Cursor, results: Results) -> None:
        store_items(repo, cur, index, outcome, [
            item for i, result in results for item in instructor.items_from_answer(
                calls[i], result.parsed, grounded=grounded, stage=params.stage,
                generator=generator, job_id=job_id)])

    requests = [instructor.build_request(call, grounded) for call in calls]
    return run_requests(repo, outcome, client, requests, handle, on_progress,
                        settings.batch_poll_s if params.batch else None)


@writes("launch_job")
def run_verify(repo: Repository, params: VerifyParams, *, actor: Actor,
               settings: Settings | None = None,
               on_progress: Progress | None = None) -> JobOutcome:
    """Score every item this verifier has not scored yet (near-duplicates are skipped)."""
    require(actor, "launch_job", repo)
    settings = settings or get_settings()
    params.check()
    name = f"{params.provider.name}:{params.model}"
    items = repo.items_to_verify(name, VERIFY_VERSION, params.limit).to_dict("records")
    provider = job_provider(params.provider, params.model, settings)
    job_id = open_job(repo, "verify", params.key(), actor)
    client = llm_client(provider, repo, job_id, params.concurrency, settings, params.batch)
    outcome = JobOutcome(job_id, "verify", "running", 0, len(items))

    def handle(cur: Cursor, results: Results) -> None:
        repo.insert_verifier_score_rows(
            cur, [verifier.score_row(items[i]["id"], name, result) for i, result in results])
        outcome.scored += len(results)

    requests = [verifier.build_request(item) for item in items]
    return run_requests(repo, outcome, client, requests, handle, on_progress,
                        settings.batch_poll_s if params.batch else None)


def next_generate_seed(repo: Repository) -> int:
    """The plan seed for a page's next generate launch: a new plan once every earlier one
    finished (so 'generate 50 more' writes new items), the same one while a launch did not
    finish (so launching again resumes it and pays for no answer twice)."""
    return repo.finished_job_count("generate")


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
