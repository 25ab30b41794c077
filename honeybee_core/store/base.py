"""What every table family shares: the Database it reads and writes, and the helpers that move
frames in and out of SQL.

Bulk writes take an Arrow table or pandas DataFrame registered as a view (DuckDB scans it in
place), so importing 52,000 records is one INSERT ... SELECT instead of 52,000 round trips.
DuckDB keeps a result open until it is read to the end, so reads here use fetchall().
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import duckdb

from honeybee_core.store.database import Cursor, Database

if TYPE_CHECKING:  # hints only: the frame libraries load where a method uses them
    import pandas as pd
    import pyarrow as pa

_view_names = (f"incoming_{n}" for n in itertools.count())


class Tables:
    """Base of the table families; Repository composes them over one Database."""

    db: Database


@contextlib.contextmanager
def registered(cur: Cursor, frame: pd.DataFrame | pa.Table) -> Iterator[str]:
    """Expose a DataFrame to SQL under a fresh internal name for the duration of a block."""
    view = next(_view_names)
    cur.register(view, frame)
    try:
        yield view
    finally:
        # after a failed statement the transaction is aborted; the caller's ROLLBACK cleans up
        with contextlib.suppress(duckdb.TransactionException):
            cur.unregister(view)


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as dicts with None (not NaN/NaT) for SQL NULL."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def first_row(frame: pd.DataFrame) -> dict[str, Any] | None:
    return rows(frame.head(1))[0] if len(frame) else None


def quote_identifier(name: str) -> str:
    """Quote a table name that came from information_schema (never from a user)."""
    return '"' + name.replace('"', '""') + '"'
