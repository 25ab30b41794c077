"""One reviewer's own ratings as the Review page needs them on every rerun, kept in step cheaply.

The set (item -> is a skip, updated_at) is read once, then only the rows changed since the
last look (annotator_activity tells whether there are any). How many of them fall in a filtered
pool is counted once per filter, then adjusted by the changed items alone. So a rerun costs a
lookup or two whether the reviewer has rated ten items or a hundred thousand, and other
people's ratings cost nothing here at all.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from honeybee_core import memo
from honeybee_core.domain import ItemWhere
from honeybee_core.store import Repository

if TYPE_CHECKING:
    import pyarrow as pa

_LOG_LIMIT = 5000  # changes remembered for adjusting counts; older counts are made again


class Rated:
    """A reviewer's ratings: items (item -> (is a skip, updated_at)) and a version that moves
    with every change. Read with `rated_items`, which brings it up to date first."""

    SLACK_US = 60_000_000  # each look reads a minute back, against clock steps

    def __init__(self) -> None:
        self.items: dict[str, tuple[bool, int]] = {}  # item -> (is a skip, changed at, us)
        self.version = 0
        self._since: int | None = None
        self._seen = -1  # the annotator's change count at the last look
        self._log: list[tuple[int, str, tuple[bool, int] | None]] = []  # version, item, before
        self._counts: dict[tuple, tuple[int, int, int]] = {}  # key -> version, in pool, skips
        self._lock = threading.Lock()

    def refresh(self, repo: Repository, annotator: str) -> Rated:
        seen = repo.annotator_changes(annotator)
        with self._lock:
            if seen == self._seen:
                return self  # none of this annotator's ratings changed since
            self._seen = seen
            since = None if self._since is None else self._since - self.SLACK_US
            found = repo.ratings_since(annotator, since)
            for item, skip, at in zip(found["item"].tolist(), found["skip"].tolist(),
                                      found["at_us"].tolist(), strict=True):
                value = (skip, at)
                before = self.items.get(item)
                if before != value:
                    self.items[item] = value
                    self.version += 1
                    self._log.append((self.version, item, before))
            if len(found["at_us"]):
                latest = int(found["at_us"].max())
                self._since = latest if self._since is None else max(self._since, latest)
            del self._log[:-_LOG_LIMIT]
        return self

    def table(self) -> pa.Table:
        import pyarrow as pa

        return pa.table({"id": pa.array(list(self.items), pa.string()),
                         "skip": pa.array([v[0] for v in self.items.values()], pa.bool_())})

    def in_pool(self, repo: Repository, where: ItemWhere, basis: tuple) -> tuple[int, int]:
        """(rated items, of them skips) among the filtered items; basis: the fingerprint of the
        items and scores the pool was drawn from."""
        key = (where, basis)
        with self._lock:
            known = self._counts.get(key)
            version = self.version
            if known and known[0] == version:
                return known[1], known[2]
            before: dict[str, tuple[bool, int] | None] = {}  # changed item -> value at known
            if known and self._log and self._log[0][0] <= known[0] + 1:
                for changed_at, item, old in self._log:
                    if changed_at > known[0]:
                        before.setdefault(item, old)
            after = {item: self.items.get(item) for item in before}
            whole = None if known and before and len(before) <= 64 else self.table()
        if whole is None and known is not None:  # adjust by the changed items alone
            in_pool, skips = known[1], known[2]
            for item in repo.in_pool(where, sorted(before)):
                old, new = before[item], after[item]
                in_pool += (new is not None) - (old is not None)
                skips += bool(new and new[0]) - bool(old and old[0])
        else:
            in_pool, skips = repo.rated_in_pool(where, whole)
        with self._lock:
            self._counts[key] = (version, in_pool, skips)
        return in_pool, skips


def rated_items(repo: Repository, annotator: str) -> Rated:
    """The annotator's ratings, brought up to date (its version moves when they change)."""
    return memo.cached(repo.db, ("rated", annotator), Rated).refresh(repo, annotator)
