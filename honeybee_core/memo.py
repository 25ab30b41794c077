"""A small per-database cache for derived tables, keyed by the data they were derived from.

The review order and the explore summary each take a full pass over 100,000 items; they only
change when items, scores, ratings or decisions do. Keys carry `Repository.data_version()`, so a
write by anyone (another tab, a job thread) makes the next read rebuild; nothing is invalidated
by hand. The cache lives with the Database object and goes when it does.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from honeybee_core.store import Database

T = TypeVar("T")
MAX_ENTRIES = 16  # per database: a few reviewers and filter settings at a time
_caches: weakref.WeakKeyDictionary[Database, OrderedDict[Hashable, Any]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def cached(db: Database, key: Hashable, build: Callable[[], T]) -> T:
    """The value stored under key for db, else build() stored (least recently used goes first)."""
    with _lock:
        entries = _caches.setdefault(db, OrderedDict())
        if key in entries:
            entries.move_to_end(key)
            return entries[key]
    value = build()  # outside the lock: a slow build must not block other sessions' reads
    with _lock:
        entries[key] = value
        while len(entries) > MAX_ENTRIES:
            entries.popitem(last=False)
    return value
