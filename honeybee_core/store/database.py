"""DuckDB connection and named migrations (store/migrations/NNNN_<name>.sql, applied in order).

DuckDB allows one read-write process per file. `open_database` turns the lock conflict into one
sentence naming the holder, so a CLI run beside the app fails clearly instead of with a traceback.
A file that is damaged, another program's, or written by a newer version (migrations this code
does not know) is refused in one sentence before anything is written to it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from honeybee_core.errors import DatabaseFileError, DatabaseLockedError, HoneybeeError

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
    known = MIGRATIONS if migrations is None else migrations
    if _check_not_newer(con, "the database", [m.name for m in known]) >= {m.name for m in known}:
        return []  # up to date: opening writes nothing
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    _adopt_unnamed(con)
    done = {row[0] for row in con.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for migration in known:
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


def _tables(con: Cursor) -> set[str]:
    return {row[0] for row in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}


def _check_not_newer(con: Cursor, where: str, known: list[str]) -> set[str]:
    """Refuse a database that records migrations this code does not have (a newer version wrote
    it): writing to it with an older schema in mind could damage data the newer one relies on.
    Returns the names recorded (only those of named files once the name index exists)."""
    if "_migrations" not in _tables(con):
        return set()
    old_names = {old for _, old, _ in _UNNAMED}
    names = [row[0] for row in con.execute("SELECT name FROM _migrations ORDER BY id").fetchall()]
    unknown = [name for name in names if name not in known and name not in old_names]
    if unknown:
        raise DatabaseFileError(
            f"{where} was written by a newer version of HoneyBee Studio (it has migration "
            f"{unknown[0]!r}, unknown here); upgrade honeybee-studio to open it, or point --db / "
            "HONEYBEE_DB at another file. Nothing was changed."
        )
    indexed = con.execute("SELECT count(*) FROM duckdb_indexes()"
                          " WHERE index_name = '_migrations_name'").fetchall()[0][0]
    return set(names) if indexed else set()


def _check_ours(con: Cursor, path: Path) -> set[str]:
    """A file with tables but no _migrations belongs to another program: leave it alone.
    Returns the migrations recorded (as _check_not_newer)."""
    tables = _tables(con)
    if tables and "_migrations" not in tables:
        shown = ", ".join(sorted(tables)[:3])
        raise DatabaseFileError(
            f"{path} is a DuckDB database of another program (tables {shown}), not a HoneyBee "
            "database; nothing was changed. Point --db / HONEYBEE_DB at another file."
        )
    return _check_not_newer(con, str(path), [m.name for m in MIGRATIONS])


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
        # One write transaction at a time in this process (DuckDB lets no other process write):
        # writers also update the derived rows of the items they touch, and two transactions
        # updating one row at once would make DuckDB abort one of them.
        self._writing = threading.RLock()

    def cursor(self) -> Cursor:
        """A cursor for the calling thread (DuckDB connections are not shared across threads)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cur = cur
        return cur

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """All-or-nothing: statements inside commit together or not at all. Transactions of
        this process run one after another; reads outside them never wait."""
        from honeybee_core.store import derived  # it imports this module

        cur = self.cursor()
        with self._writing:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                derived.forget_pending()
                raise
            cur.execute("COMMIT")
            derived.settle_after_commit(cur)  # new items' rowids are final only now

    def close(self) -> None:
        self._con.close()


# No network: a foreign file must not make DuckDB fetch an extension to read it.
_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False, "autoload_known_extensions": False}


def _connect(path: Path, read_only: bool) -> Cursor:
    """duckdb.connect, with every failure to open the file as one sentence."""
    try:
        return duckdb.connect(str(path), read_only=read_only, config=_CONFIG)
    except duckdb.Error as exc:
        text = str(exc)
        if isinstance(exc, duckdb.IOException) and "lock" in text.lower():
            raise DatabaseLockedError(
                f"{path} is in use by {_holder(text)}; stop that process (or the app) first, "
                "or point --db / HONEYBEE_DB at another file."
            ) from None
        if path.exists() and path.is_file():
            raise DatabaseFileError(
                f"{path} is not a readable DuckDB database (damaged, truncated or another "
                f"program's file: {text.splitlines()[0][:160]}); nothing was changed. Move it "
                "aside and restore a backup, or point --db / HONEYBEE_DB at another file."
            ) from None
        raise HoneybeeError(
            f"Cannot open the database {path}: {text.splitlines()[0]}; check the path and its "
            "permissions, or point --db / HONEYBEE_DB at another file."
        ) from None


def _inspect(path: Path) -> None:
    """Look at an existing file read-only first: a damaged, foreign or newer database is refused
    before a read-write connection could write anything into it."""
    try:
        con = duckdb.connect(str(path), read_only=True, config=_CONFIG)
    except duckdb.Error as exc:
        # a file this process has open already was looked at when it was first opened
        if isinstance(exc, duckdb.ConnectionException) and "different configuration" in str(exc):
            return
        _connect(path, read_only=True)  # raises the one-sentence error for this failure
        raise
    try:
        _check_ours(con, path)
    except duckdb.Error as exc:
        raise DatabaseFileError(
            f"{path} could not be read as a HoneyBee database ({str(exc).splitlines()[0][:160]});"
            " nothing was changed. Move it aside or point --db / HONEYBEE_DB at another file."
        ) from None
    finally:
        con.close()


def open_database(
    path: str | Path, *, read_only: bool = False, migrate_now: bool = True
) -> Database:
    """Open (creating and migrating) the DuckDB file at path; refuse a damaged or foreign file,
    or one from a newer version, without changing it."""
    path = Path(path)
    memory = str(path) == ":memory:"
    if not memory and path.is_dir():
        raise DatabaseFileError(f"{path} is a folder, not a database file; give a file path.")
    if not memory and path.exists():
        _inspect(path)
    elif not memory and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path, read_only)
    if migrate_now and not read_only:
        migrate(con)
        from honeybee_core.store.derived import ensure_derived  # it imports this module

        ensure_derived(con)
    return Database(con, str(path))


def open_for_reading(path: str | Path) -> Database:
    """An existing, up-to-date database opened read-only in one connection, taking no write lock
    (for a command that only reads); a new, older, foreign or damaged file, or one this process
    holds open already, goes through open_database (created, migrated or refused as there)."""
    path = Path(path)
    if str(path) == ":memory:" or not path.is_file():
        return open_database(path)
    try:
        con = duckdb.connect(str(path), read_only=True, config=_CONFIG)
    except duckdb.Error:
        return open_database(path)  # which says why in one sentence, or opens the held file
    try:
        current = _check_ours(con, path) >= {m.name for m in MIGRATIONS}
    except duckdb.Error:
        current = False
    except BaseException:
        con.close()
        raise
    if current:
        return Database(con, str(path))
    con.close()
    return open_database(path)
