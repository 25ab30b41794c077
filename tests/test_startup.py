"""Start-up: the CLI imports only what a command uses, so `honeybee stats` costs little more
than DuckDB itself. Each check runs a fresh interpreter and reads its sys.modules."""

from __future__ import annotations

import json
import subprocess
import sys

from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT

# Modules that cost seconds or tens of MiB to import and that `honeybee stats` never needs.
HEAVY = {"torch", "transformers", "peft", "openai", "anthropic", "httpx", "pandas", "pyarrow",
         "numpy", "scipy", "streamlit", "plotly", "argon2"}


def loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """Top-level package names in sys.modules after running code in a fresh interpreter."""
    probe = (code + "\nimport json, sys\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=120, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_module():
    loaded = loaded_after("import honeybee_core.cli")
    assert "duckdb" in loaded and "typer" in loaded  # the probe sees what was imported
    assert not loaded & HEAVY, sorted(loaded & HEAVY)


def test_stats_runs_without_heavy_modules(db_path):
    database = open_database(db_path)
    with database.transaction() as cur:
        cur.execute("INSERT INTO instructions (id, instruction, output) VALUES ('a', 'q', 'x')")
    database.close()
    code = ("from honeybee_core import cli\n"
            f"cli.app(['stats', '--json', '--db', {str(db_path)!r}], standalone_mode=False)")
    loaded = loaded_after(code)
    assert not loaded & HEAVY, sorted(loaded & HEAVY)
    reopened = open_database(db_path)
    assert Repository(reopened).stats()["instructions"] == 1
    reopened.close()
