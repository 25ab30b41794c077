"""Migrations: named .sql files applied in order, recorded by name; old databases upgrade."""

from __future__ import annotations

import duckdb
import pytest

from honeybee_core.store import MIGRATIONS, Repository, migrate, open_database
from honeybee_core.store.database import MIGRATIONS_DIR, Migration, load_migrations


def recorded(cur) -> list[tuple[int, str]]:
    return [tuple(r) for r in
            cur.execute("SELECT id, name FROM _migrations ORDER BY id").fetchall()]


def nullable(cur, table: str, column: str) -> bool:
    return cur.execute(
        "SELECT is_nullable FROM information_schema.columns WHERE table_name = ?"
        " AND column_name = ?", [table, column]).fetchall()[0][0] == "YES"


def build_unnamed(path, positions: int) -> None:
    """A database as the list-position migrator left it: _migrations holds (position, function
    name), and only the first `positions` changes are applied."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY,"
                " name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    for number, function in enumerate(("_m001_initial", "_m002_review")[:positions], start=1):
        con.execute(MIGRATIONS[number - 1].sql)
        con.execute("INSERT INTO _migrations (id, name) VALUES (?, ?)", [number, function])
    con.execute("INSERT INTO instructions (id, instruction, output) VALUES ('old', 'q', 'a')")
    con.close()


def test_migrations_are_the_sql_files_in_name_order():
    files = sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))
    assert [m.name + ".sql" for m in MIGRATIONS] == files
    assert [m.name for m in MIGRATIONS][:2] == ["0001_initial", "0002_review"]
    assert all(m.sql.strip() for m in MIGRATIONS)


def test_fresh_database_records_each_migration_by_name(db_path):
    database = open_database(db_path)
    cur = database.cursor()
    assert recorded(cur) == [(n, m.name) for n, m in enumerate(MIGRATIONS, start=1)]
    assert nullable(cur, "expert_ratings", "accuracy")  # 0002_review ran after 0001_initial
    assert migrate(cur) == []
    database.close()


def test_a_new_migration_applies_once_after_the_shipped_ones(db_path):
    database = open_database(db_path)
    cur = database.cursor()
    extra = Migration("0099_notes",
                      "CREATE TABLE notes (id INTEGER); INSERT INTO notes VALUES (7);")
    assert migrate(cur, [*MIGRATIONS, extra]) == ["0099_notes"]
    assert migrate(cur, [*MIGRATIONS, extra]) == []
    assert recorded(cur)[-1] == (len(MIGRATIONS) + 1, "0099_notes")
    assert cur.execute("SELECT id FROM notes").fetchall() == [(7,)]
    database.close()


def test_a_failing_migration_changes_nothing_and_is_not_recorded(db_path):
    database = open_database(db_path)
    cur = database.cursor()
    broken = Migration("0099_broken", "CREATE TABLE half (id INTEGER); SELECT * FROM nowhere;")
    with pytest.raises(duckdb.CatalogException):
        migrate(cur, [*MIGRATIONS, broken])
    assert [name for _, name in recorded(cur)] == [m.name for m in MIGRATIONS]
    assert not cur.execute("SELECT count(*) FROM information_schema.tables"
                           " WHERE table_name = 'half'").fetchall()[0][0]
    database.close()


def test_load_migrations_reads_only_numbered_sql_files(tmp_path):
    (tmp_path / "0002_b.sql").write_text("SELECT 2;")
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "notes.sql").write_text("SELECT 0;")
    (tmp_path / "0003_c.txt").write_text("SELECT 3;")
    assert [m.name for m in load_migrations(tmp_path)] == ["0001_a", "0002_b"]


def test_database_migrated_by_position_upgrades_in_place(db_path):
    build_unnamed(db_path, positions=2)
    database = open_database(db_path)
    cur = database.cursor()
    # nothing re-applied (0001 again would fail on CREATE TABLE), rows renamed to the file names
    assert recorded(cur) == [(n, m.name) for n, m in enumerate(MIGRATIONS, start=1)]
    assert Repository(database).existing_ids(["old", "new"]) == {"old"}
    assert migrate(cur) == []
    database.close()


def test_database_half_migrated_by_position_gets_the_rest(db_path):
    build_unnamed(db_path, positions=1)
    check = duckdb.connect(str(db_path))
    assert not nullable(check, "expert_ratings", "accuracy")
    check.close()
    database = open_database(db_path)
    cur = database.cursor()
    assert recorded(cur) == [(n, m.name) for n, m in enumerate(MIGRATIONS, start=1)]
    assert nullable(cur, "expert_ratings", "accuracy")
    assert cur.execute("SELECT id FROM instructions").fetchall() == [("old",)]
    database.close()


def test_names_are_unique_after_upgrade(db_path):
    database = open_database(db_path)
    cur = database.cursor()
    with pytest.raises(duckdb.ConstraintException):
        cur.execute("INSERT INTO _migrations (id, name) VALUES (99, '0001_initial')")
    database.close()
