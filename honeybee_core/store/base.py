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

if TYPE_CHECKING:  # hints only: the frame libraries load when a method uses them
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


# DuckDB's .df() costs milliseconds per call whatever the size; a page reads a few small
# results per item on every rerun, so those are built from the rows instead.
def small_frame(result: Cursor) -> pd.DataFrame:
    """A small result (a few rows) as a DataFrame."""
    import pandas as pd

    return pd.DataFrame.from_records(result.fetchall(),
                                     columns=[d[0] for d in result.description])


def record(result: Cursor) -> dict[str, Any] | None:
    """The first row of a result as a dict (None for SQL NULL), or None without rows."""
    rows = result.fetchall()  # read to the end: DuckDB keeps an unfinished result open
    return dict(zip([d[0] for d in result.description], rows[0], strict=True)) if rows else None


def quote_identifier(name: str) -> str:
    """Quote a table name that came from information_schema (never from a user)."""
    return '"' + name.replace('"', '""') + '"'
