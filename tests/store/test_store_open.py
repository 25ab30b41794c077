"""Opening a file that is not ours, is damaged, or comes from a newer version: one sentence,
and the file is left exactly as it was (nothing created in it, no write-ahead log beside it)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import duckdb
import pytest

from honeybee_core.errors import DatabaseFileError, HoneybeeError
from honeybee_core.store import MIGRATIONS, Repository, open_database
from tests.conftest import run_cli


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file in folder with the hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def refused(path: Path, match: str) -> str:
    before = fingerprint(path.parent)
    with pytest.raises(DatabaseFileError, match=match) as caught:
        open_database(path)
    assert fingerprint(path.parent) == before  # untouched, and nothing new beside it
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message and str(path) in message
    return message


def ours(path: Path) -> Path:
    database = open_database(path)
    with database.transaction() as cur:
        cur.execute("INSERT INTO instructions (id, instruction, output) VALUES ('a', 'q', 'x')")
    database.close()
    return path


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    path = ours(tmp_path / "new.duckdb")
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO _migrations (id, name) VALUES (99, '0099_from_the_future')")
    con.close()
    message = refused(path, "newer version")
    assert "0099_from_the_future" in message and "upgrade" in message
    with pytest.raises(DatabaseFileError, match="newer version"):  # read-only too
        open_database(path, read_only=True)


def test_another_programs_duckdb_file_is_refused_and_nothing_is_created_in_it(tmp_path):
    path = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (id INTEGER, total DOUBLE)")
    con.execute("INSERT INTO orders VALUES (1, 9.5)")
    con.close()
    assert "another program" in refused(path, "not a HoneyBee database")
    con = duckdb.connect(str(path), read_only=True)
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables")
              .fetchall()]
    con.close()
    assert tables == ["orders"]  # no _migrations, no instructions


@pytest.mark.parametrize("damage", ["empty", "text", "truncated", "half", "zeros", "flipped",
                                    "sqlite"])
def test_a_damaged_or_foreign_file_gets_one_line_and_stays_as_it_was(tmp_path, damage):
    good = ours(tmp_path / "good.duckdb").read_bytes()
    path = tmp_path / "sub" / "honeybee.duckdb"
    path.parent.mkdir()
    if damage == "sqlite":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE a (x)")
        con.commit()
        con.close()
    else:
        path.write_bytes({
            "empty": b"", "text": b"id,instruction\n1,hello\n" * 50, "truncated": good[:100],
            "half": good[:len(good) // 2], "zeros": bytes(len(good)),
            "flipped": good[:4096] + bytes(b ^ 0xFF for b in good[4096:8192]) + good[8192:],
        }[damage])
    refused(path, "nothing was changed")


def test_the_cli_says_one_line_for_a_foreign_file(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("just some notes\n")
    result = run_cli("stats", db=path)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "not a readable DuckDB database" in result.stderr
    assert path.read_text() == "just some notes\n"


def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(HoneybeeError, match="is a folder"):
        open_database(tmp_path)


def test_our_own_database_still_opens_and_migrates(tmp_path):
    path = ours(tmp_path / "mine.duckdb")
    database = open_database(path)
    assert Repository(database).existing_ids(["a", "b"]) == {"a"}
    names = [r[0] for r in database.cursor().execute(
        "SELECT name FROM _migrations ORDER BY id").fetchall()]
    assert names == [m.name for m in MIGRATIONS]
    database.close()
