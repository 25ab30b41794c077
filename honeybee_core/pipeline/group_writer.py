"""The one thread that writes a running job's rows, in group commits.

The event loop only queues: call records (already durable in the job's spool) and results. The
writer takes whatever has queued while its last commit ran and commits it as one transaction:
the call records in one statement, the results through the job's handler (which writes them in
bulk too), and the job row's progress. Under load groups grow by themselves, so the cost of a
commit is shared by many answers; when answers are few, each one is committed at once.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from honeybee_core.providers.base import LLMResult
from honeybee_core.store import Cursor, Repository

Results = list[tuple[int, LLMResult]]
Handle = Callable[[Cursor, Results], None]  # (cursor, [(request index, result)]) inside the commit
MAX_GROUP = 5000
# The longest a queued row waits for company (it is in the spool meanwhile). Each commit costs
# the writer about 20 ms of CPU besides its rows (the derived tables' statements), and the
# event loop shares that CPU: at 0.05 s a job at 400 answers/s made ~15 commits per 1,000
# answers, at 0.2 s it makes ~6, and the job row's progress still moves five times a second.
LINGER_S = 0.2
_STOP = object()


class GroupWriter:
    """Owns a job's writes from start() to close(); the first error stops its writing (what it
    did not commit stays in the spool and is folded, or recomputed from it, on the next run)."""

    def __init__(self, repo: Repository, job_id: str, handle: Handle,
                 progress: Callable[[], dict[str, Any]]) -> None:
        self.repo = repo
        self.job_id = job_id
        self.handle = handle
        self.progress = progress
        self.error: BaseException | None = None
        self.commits = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"honeybee-writer-{job_id}",
                                        daemon=True)

    def start(self) -> GroupWriter:
        self._thread.start()
        return self

    def call(self, row: dict[str, Any]) -> None:
        self._queue.put(("call", row))

    def result(self, index: int, result: LLMResult) -> None:
        self._queue.put(("result", (index, result)))

    def update_job(self, **fields: Any) -> Future[None]:
        """Set job columns in the next group; the future is done once they are committed (the
        job row has one writer, so nothing else updates it while the job runs)."""
        done: Future[None] = Future()
        self._queue.put(("job", (fields, done)))
        return done

    def close(self) -> None:
        """Commit everything queued, then stop (call once, after the loop has finished)."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            # Wait a moment for more: a commit costs about the same for 1 row as for 100.
            deadline = time.monotonic() + LINGER_S
            while len(group) < MAX_GROUP and group[-1] is not _STOP:
                try:
                    group.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            stop = group[-1] is _STOP  # close() queues it after everything else
            items = group[:-1] if stop else group
            if items and self.error is None:
                try:
                    self._commit(items)
                except BaseException as exc:  # noqa: BLE001 - handed to the job via .error
                    self.error = exc
            for kind, payload in items:
                if kind == "job" and not payload[1].done():
                    payload[1].set_exception(self.error or RuntimeError("the writer stopped"))
            if stop:
                return

    def _commit(self, items: list[tuple[str, Any]]) -> None:
        calls = [payload for kind, payload in items if kind == "call"]
        results = [payload for kind, payload in items if kind == "result"]
        jobs = [payload for kind, payload in items if kind == "job"]
        fields = self.progress()
        for more, _ in jobs:
            fields.update(more)
        with self.repo.db.transaction() as cur:
            if calls:
                self.repo.insert_llm_calls(cur, calls)
            if results:
                self.handle(cur, results)
            self.repo.update_job(self.job_id, cur, **fields)
        self.commits += 1
        for _, done in jobs:
            done.set_result(None)
