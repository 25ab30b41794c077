"""Jobs as a person reads them, in the unit they asked for: items for Generate and Feedback
(requested, new, near-duplicates, failed), items scored for Verify, answers and grades for
Evaluate; never "6/6 calls" for 30 triples. Also the link from a job to the items it wrote.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from honeybee_core.store import Repository, rows
from honeybee_core.wording import plural

ACTIVE = ("queued", "running")
WRITES_ITEMS = ("generate", "feedback")


@dataclass(frozen=True)
class ItemCounts:
    """What a generation (or feedback) job was asked for and what it wrote."""

    requested: int
    new: int
    near_duplicates: int
    failed: int  # asked of calls that got no usable answer after every attempt
    active: bool  # still queued or running

    @property
    def written(self) -> int:
        return self.new + self.near_duplicates

    @property
    def missing(self) -> int:
        """Requested but neither written nor failed: still to come while the job runs; once
        it ended, exact repeats of items already stored (the same text has one id) or answers
        with fewer items than asked."""
        return max(0, self.requested - self.written - self.failed)

    @property
    def fraction(self) -> float:
        if not self.active:
            return 1.0
        return min(1.0, (self.written + self.failed) / self.requested) if self.requested else 0.0

    def sentence(self) -> str:
        """'30 items requested: 27 new, 2 near-duplicates, 1 failed'."""
        parts = [f"{self.new:,} new", plural(self.near_duplicates, "near-duplicate"),
                 f"{self.failed:,} failed"]
        if self.missing:
            parts.append(f"{self.missing:,} still to come" if self.active else
                         f"{self.missing:,} not written (exact repeats or short answers)")
        return f"{plural(self.requested, 'item')} requested: " + ", ".join(parts)


def _requested(job: dict[str, Any], params_json: str | None) -> int:
    try:
        params = json.loads(params_json or "{}")
    except ValueError:
        params = {}
    if job["kind"] == "generate":
        return int(params.get("n") or 0)
    return int(job["progress_total"]) * int(params.get("per_item") or 1)  # feedback: per call


def item_counts(repo: Repository, jobs: Sequence[dict[str, Any]]) -> dict[str, ItemCounts]:
    """ItemCounts of each generate or feedback job among jobs (four queries in all)."""
    ids = [j["id"] for j in jobs if j["kind"] in WRITES_ITEMS]
    if not ids:
        return {}
    params = repo.job_params(ids)
    written, failed = repo.job_item_counts(ids), repo.failed_request_items(ids)
    return {j["id"]: ItemCounts(_requested(j, params.get(j["id"])),
                                *written.get(j["id"], (0, 0)), failed.get(j["id"], 0),
                                j["status"] in ACTIVE)
            for j in jobs if j["kind"] in WRITES_ITEMS}


def _eta(job: dict[str, Any]) -> str:
    done, total, started = int(job["progress_done"]), int(job["progress_total"]), \
        job["started_at"]
    if job["status"] != "running" or not done or started is None or done >= total:
        return ""
    elapsed = (dt.datetime.now() - started).total_seconds()
    return f", about {elapsed / done * (total - done):.0f} s left"


def board(repo: Repository, limit: int = 8,
          kinds: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The latest jobs (of kinds) with a progress fraction, a one-line summary in the unit
    asked for, and for jobs that wrote items the Explore query that shows them."""
    found = [j for j in rows(repo.jobs(limit=max(limit, 50)))
             if kinds is None or j["kind"] in kinds][:limit]
    counts = item_counts(repo, found)
    out = []
    for job in found:
        done, total = int(job["progress_done"]), int(job["progress_total"])
        fraction = min(1.0, done / total) if total else float(job["status"] not in ACTIVE)
        explore = None
        if job["id"] in counts:
            items = counts[job["id"]]
            fraction, summary = items.fraction, items.sentence()
            explore = {"job": job["id"]} if items.written else None
        elif job["kind"] == "verify":
            summary = f"{done:,} of {plural(total, 'item')} scored"
        elif job["kind"] == "evaluate":
            summary = f"{done:,} of {total:,} answers and grades"
        elif job["kind"] == "answer":
            summary = f"{done:,} of {plural(total, 'answer')}"
        else:
            summary = f"{done:,} of {total:,} done"
        summary += f", ${job['cost_usd']:.4f}" + _eta(job)
        if job["error"]:
            summary += f" — {job['error']}"
        out.append({**job, "fraction": fraction, "summary": summary, "explore": explore})
    return out


def history(repo: Repository, limit: int = 50) -> pd.DataFrame:
    """The latest jobs for a table: id, kind, status, what it did (in the unit asked for),
    who and when; no parameters as JSON."""
    cols = ["id", "kind", "status", "summary", "created_by", "started_at", "finished_at"]
    return pd.DataFrame([{c: job[c] for c in cols} for job in board(repo, limit)],
                        columns=cols)


def board_key(repo: Repository, kinds: Sequence[str] | None = None) -> Hashable:
    """Changes exactly when a board of these jobs would look different."""
    return tuple((j["id"], j["status"], int(j["progress_done"]), j["error"])
                 for j in rows(repo.jobs(limit=50)) if kinds is None or j["kind"] in kinds)


def job_items(repo: Repository, job_id: str) -> tuple[tuple[str, ...], str]:
    """(ids of the items job_id wrote, a sentence for the Explore page saying so)."""
    ids = tuple(repo.job_item_ids(job_id))
    job = repo.job(job_id)
    if job is None:
        return ids, f"No job {job_id!r} exists; showing no items."
    counts = item_counts(repo, [job]).get(job_id)
    dup = f", {plural(counts.near_duplicates, 'near-duplicate')} among them" \
        if counts and counts.near_duplicates else ""
    return ids, f"Only the {plural(len(ids), 'item')} {job['kind']} job {job_id} wrote{dup}."
