"""Start-up: the CLI imports only what a command uses, so `honeybee stats` costs little more
than DuckDB itself. Each check runs a fresh interpreter and reads its sys.modules."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, run_cli

# Modules that cost tens of milliseconds or megabytes to import and that `honeybee stats` never
# needs (pydantic: typer's option adapters and the settings, both avoided for stats).
HEAVY = {"torch", "transformers", "peft", "openai", "anthropic", "httpx", "pandas", "pyarrow",
         "numpy", "scipy", "streamlit", "plotly", "argon2", "pydantic", "pydantic_settings",
         "rich", "ftfy"}


def loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """Top-level package names in sys.modules after running code in a fresh interpreter."""
    probe = (code + "\nimport json, sys\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HONEYBEE_")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env={**full_env, **(env or {})}, timeout=120, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def stats_through_main(args: list[str]) -> str:
    """`honeybee stats ...` as the console entry point runs it (only its group imported)."""
    return ("import sys\nfrom honeybee_core.cli import main\n"
            f"sys.argv = ['honeybee', 'stats', *{args!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n")


def seeded(db_path):
    database = open_database(db_path)
    with database.transaction() as cur:
        cur.execute("INSERT INTO instructions (id, instruction, output) VALUES ('a', 'q', 'x')")
    database.close()


def test_importing_the_cli_loads_no_heavy_module():
    loaded = loaded_after("import honeybee_core.cli")
    assert "duckdb" in loaded and "typer" in loaded  # the probe sees what was imported
    assert not loaded & HEAVY, sorted(loaded & HEAVY)


def test_stats_runs_without_heavy_modules(db_path):
    seeded(db_path)
    for code, env in [
        (stats_through_main(["--json", "--db", str(db_path)]), None),
        (stats_through_main(["--json"]), {"HONEYBEE_DB": str(db_path)}),
        # every group registered, as `honeybee_core.cli.app` has them
        ("from honeybee_core import cli\n"
         f"cli.app(['stats', '--json', '--db', {str(db_path)!r}], standalone_mode=False)", None),
    ]:
        loaded = loaded_after(code, env)
        assert "duckdb" in loaded
        assert not loaded & HEAVY, sorted(loaded & HEAVY)
    reopened = open_database(db_path)
    assert Repository(reopened).stats()["instructions"] == 1
    reopened.close()


def test_stats_on_an_up_to_date_file_writes_nothing(db_path):
    seeded(db_path)
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    result = run_cli("stats", "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["instructions"] == 1
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert not db_path.with_name(db_path.name + ".wal").exists()


def test_stats_creates_and_migrates_a_new_file(tmp_path):
    db = tmp_path / "new" / "honeybee.duckdb"
    result = run_cli("stats", "--json", db=db)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["instructions"] == 0
    reopened = open_database(db, read_only=True)
    assert reopened.cursor().execute("SELECT count(*) FROM _migrations").fetchall()[0][0] > 0
    reopened.close()


def test_command_table_names_the_module_of_every_command():
    from typer.main import get_command

    from honeybee_core import cli

    group = get_command(cli.app)
    assert list(group.commands) == list(cli.COMMANDS)  # also the order --help lists them in
    for name, command in group.commands.items():
        module = command.callback.__module__ if command.callback else None
        if module and module != "honeybee_core.cli.common":  # sub-apps: their group callback
            assert module == f"honeybee_core.cli.{cli.COMMANDS[name]}", name


def test_a_command_runs_with_only_its_group_loaded(db_path):
    code = ("import sys\nfrom honeybee_core import cli\n"
            "sys.argv = ['honeybee', 'users', 'list', '--json', '--db', " + repr(str(db_path))
            + "]\ntry:\n    cli.main()\nexcept SystemExit as exc:\n    assert not exc.code\n"
            "assert cli._loaded == {'users'}, cli._loaded\n")
    loaded = loaded_after(code)
    assert "honeybee_core" in loaded
