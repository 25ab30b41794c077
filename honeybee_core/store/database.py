"""DuckDB connection and named migrations (store/migrations/NNNN_<name>.sql, applied in order).

DuckDB allows one read-write process per file. `open_database` turns the lock conflict into one
sentence naming the holder, so a CLI run beside the app fails clearly instead of with a traceback.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from honeybee_core.errors import DatabaseLockedError, HoneybeeError

# What a repository method that writes inside the caller's transaction takes as `cur`: DuckDB's
# cursors are connections of their own (Database.cursor and Database.transaction hand them out).
Cursor = duckdb.DuckDBPyConnection

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class Migration:
    """One schema change: its name (the file's stem, recorded once applied) and its SQL."""

    name: str
    sql: str


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every NNNN_<name>.sql file in folder, in file-name order (the order they apply in)."""
    return [Migration(path.stem, path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.sql"))]


# Append only: a migration that has shipped is never edited, a change is a new file.
MIGRATIONS: list[Migration] = load_migrations()

# Databases made before migrations had names recorded (list position, function name); they are
# renamed in place to the file that holds the same change, so nothing is applied twice.
_UNNAMED = ((1, "_m001_initial", "0001_initial"), (2, "_m002_review", "0002_review"))


def _adopt_unnamed(con: Cursor) -> None:
    """Rename the rows of a database migrated by position, then make names unique."""
    for number, old, new in _UNNAMED:
        con.execute("UPDATE _migrations SET name = ? WHERE id = ? AND name = ?",
                    [new, number, old]).fetchall()
    con.execute("CREATE UNIQUE INDEX IF NOT EXISTS _migrations_name ON _migrations (name)")


def migrate(con: Cursor, migrations: list[Migration] | None = None) -> list[str]:
    """Apply every migration whose name is not yet recorded in _migrations, in order, each in
    its own transaction; return the names applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    _adopt_unnamed(con)
    done = {row[0] for row in con.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for migration in MIGRATIONS if migrations is None else migrations:
        if migration.name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            # id: the order of application, name: which change it was
            con.execute(
                "INSERT INTO _migrations (id, name) SELECT coalesce(max(id), 0) + 1, ?"
                " FROM _migrations", [migration.name],
            ).fetchall()
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.name)
    return applied


_LOCK_PID = re.compile(r"PID (\d+)")


def _holder(message: str) -> str:
    """Describe the process named in DuckDB's lock message, from /proc when we can read it."""
    match = _LOCK_PID.search(message)
    if not match:
        return "another process"
    pid = match.group(1)
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        cmd = ""
    return f"process {pid} ({cmd[:120]})" if cmd else f"process {pid}"


class Database:
    """Owns the one DuckDB connection of this process; threads take cursors from it."""

    def __init__(self, con: Cursor, path: str) -> None:
        self._con = con
        self.path = path
        self._local = threading.local()

    def cursor(self) -> Cursor:
        """A cursor for the calling thread (DuckDB connections are not shared across threads)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cur = cur
        return cur

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """All-or-nothing: statements inside commit together or not at all."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def close(self) -> None:
        self._con.close()


def open_database(
    path: str | Path, *, read_only: bool = False, migrate_now: bool = True
) -> Database:
    """Open (creating and migrating) the DuckDB file at path."""
    path = Path(path)
    if str(path) != ":memory:" and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise DatabaseLockedError(
                f"{path} is in use by {_holder(text)}; stop that process (or the app) first, "
                "or point --db / HONEYBEE_DB at another file."
            ) from None
        raise HoneybeeError(f"Cannot open the database {path}: {text.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise HoneybeeError(
            f"{path} is not a usable DuckDB file ({str(exc).splitlines()[0]}); "
            "move it aside or point --db at another file."
        ) from None
    if migrate_now and not read_only:
        migrate(con)
    return Database(con, str(path))
