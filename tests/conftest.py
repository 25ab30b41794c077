"""Shared fixtures: a real DuckDB file per test, and a way to run the real `honeybee` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from honeybee_core.store import Repository, open_database
from tests.derived_check import derived_drift

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "honeybee.duckdb"


@pytest.fixture
def repo(db_path: Path) -> Repository:
    database = open_database(db_path)
    repository = Repository(database)
    yield repository
    try:
        drift = derived_drift(repository)
    except duckdb.ConnectionException:  # the test closed the database itself
        return
    database.close()
    assert not drift, f"derived tables out of step with their sources after the test: {drift}"


def run_cli(*args: str, db: Path | None = None, stdin: str | None = None,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m honeybee_core.cli` in a subprocess, as a user would."""
    cmd = [sys.executable, "-m", "honeybee_core.cli", *args]
    if db is not None:
        cmd += ["--db", str(db)]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=ROOT,
                          env=full_env, timeout=300)


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path


def triples(n: int, prefix: str = "item") -> list[dict]:
    return [
        {"instruction": f"{prefix} {i}: explain the band gap of silicon.",
         "input": "" if i % 2 else f"Context {i}: Si is an indirect semiconductor.",
         "output": f"Answer {i}: about 1.12 eV at 300 K."}
        for i in range(n)
    ]


def sign_in_as(at, name: str = "tester", role: str = "admin", db: Path | None = None) -> None:
    """Create (or re-role) a user in the app's database and sign the AppTest session in as them.

    The app re-reads the role from the database on every run, so the user must exist there.
    """
    from datetime import timedelta

    from honeybee_core import auth, sessions
    from honeybee_core.config import get_settings

    database = open_database(db or get_settings().db)
    try:
        repo = Repository(database)
        auth.add_user(repo, auth.CLI_ACTOR, name, role)
        code = sessions.start(repo, auth.get_user(repo, name), "none", timedelta(hours=1))
        token = sessions.redeem(repo, code)
    finally:
        database.close()
    at.session_state["hb_session_token"] = token  # what the tab keeps without the cookie routes
