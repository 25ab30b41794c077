"""A job's spool: an append-only file of its LLM call records, one JSON line per attempt.

Each line goes out in one os.write on an O_APPEND descriptor, so once append() returns the
answer is in the operating system's hands and a kill -9 of the process cannot lose it (a power
cut can; that is what DuckDB's commits are for). The job's group writer folds the records into
llm_calls; a spool left behind by a killed process is folded when the next job opens on the same
database, and a spool is deleted once its records are committed.

Spools live beside the database file: data/honeybee.duckdb.spool/JOB_ID.jsonl.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from honeybee_core.store import Repository


def spool_dir(repo: Repository) -> Path:
    path = Path(repo.db.path)
    if str(path) == ":memory:":  # nothing outlives an in-memory database; a private folder will do
        return Path(tempfile.gettempdir()) / f"honeybee-memory-{os.getpid()}-{id(repo.db)}.spool"
    return path.with_name(path.name + ".spool")  # one per database file, whatever its suffix


class Spool:
    """The open spool of one running job."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    @classmethod
    def for_job(cls, repo: Repository, job_id: str) -> Spool:
        return cls(spool_dir(repo) / f"{job_id}.jsonl")

    def append(self, row: dict[str, Any]) -> None:
        assert self._fd is not None, "the spool is closed"
        line = json.dumps(row, ensure_ascii=False, default=_iso) + "\n"
        os.write(self._fd, line.encode("utf-8"))

    def close(self, delete: bool) -> None:
        """Close; delete the file when every record in it is committed to the database."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if delete:
            self.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()  # only when no other job's spool is there


def read_spool(path: Path) -> list[dict[str, Any]]:
    """The records of a spool file; a torn last line (the write a kill interrupted) is skipped."""
    records = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and row.get("id"):
                if row.get("created_at"):
                    row["created_at"] = dt.datetime.fromisoformat(row["created_at"])
                records.append(row)
    return records


def fold_spools(repo: Repository, running: set[str]) -> int:
    """Commit the records of spools left by killed jobs (none of `running`) and delete them;
    each such job's cost becomes the sum of its stored attempts. Returns the records read."""
    folder = spool_dir(repo)
    if not folder.is_dir():
        return 0
    folded = 0
    for path in sorted(folder.glob("*.jsonl")):
        job_id = path.stem
        if job_id in running:
            continue
        records = read_spool(path)
        with repo.db.transaction() as cur:
            if records:
                repo.insert_llm_calls(cur, records)
            if repo.job(job_id) is not None:
                totals = repo.llm_call_totals(job_id)
                repo.update_job(job_id, cur, cost_usd=round(float(totals["cost_usd"]), 6))
        path.unlink()
        folded += len(records)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty
    return folded


def _iso(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
