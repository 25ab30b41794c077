"""Jobs that failed or left failures exit non-zero with one line: how many, why, how to resume.

The old `generate` and `verify` exited 0 even when every call failed, a 401 included.
"""

from __future__ import annotations

import json
import os

import pytest

from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import load_settings
from honeybee_core.pipeline import jobs
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.store import Repository, open_database
from tests.conftest import run_cli
from tests.fake_llm_server import FakeLLMServer

OPENAI = ("--provider", "openai", "--model", "gpt-4o-mini")


@pytest.fixture
def server():
    srv = FakeLLMServer().start()
    yield srv
    srv.stop()


def _env(srv: FakeLLMServer) -> dict[str, str]:
    return {"OPENAI_API_KEY": "sk-test-exit-codes-0123456789", "HONEYBEE_MAX_ATTEMPTS": "2",
            "OPENAI_BASE_URL": srv.openai_base_url}


def _last_line(stderr: str) -> str:
    lines = [line for line in stderr.replace("\r", "\n").splitlines() if line.strip()]
    assert "Traceback" not in stderr
    return lines[-1]


def test_generate_with_every_call_refused_401_exits_1(server, db_path):
    server.add_fault("status", status=401, times=-1)
    result = run_cli("generate", "--n", "4", "--per-call", "2", *OPENAI, "--json",
                     db=db_path, env=_env(server))
    assert result.returncode == 1
    assert json.loads(result.stdout)["status"] == "failed"  # stdout keeps its one JSON object
    line = _last_line(result.stderr)
    assert line.startswith("error: job generate-") and "2 of 2 calls failed" in line
    assert "HTTP 401" in line and "run the same command again to resume" in line
    assert "sk-test-exit-codes" not in result.stderr + result.stdout


def test_verify_that_failed_exits_1_and_a_rerun_resumes(server, db_path):
    database = open_database(db_path)
    jobs.run_generate(Repository(database), GenerateParams(n=6, per_call=3),
                      settings=load_settings(db=db_path), actor=CLI_ACTOR)
    database.close()
    server.add_fault("status", status=401, times=-1)
    failed = run_cli("verify", *OPENAI, db=db_path, env=_env(server))
    assert failed.returncode == 1
    line = _last_line(failed.stderr)
    assert "calls failed" in line and "HTTP 401" in line and line.startswith("error: job verify-")
    server.faults.clear()
    again = run_cli("verify", *OPENAI, "--json", db=db_path, env=_env(server))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "finished"


def test_a_partial_job_exits_1_naming_the_most_common_error(server, db_path):
    server.add_fault("status", status=503, times=-1, match="request 1;")
    result = run_cli("generate", "--n", "6", "--per-call", "2", *OPENAI, "--json",
                     db=db_path, env=_env(server))
    assert result.returncode == 1
    assert json.loads(result.stdout)["status"] == "partial"
    line = _last_line(result.stderr)
    assert "1 of 3 calls failed" in line and "HTTP 503" in line


def test_a_finished_job_still_exits_0(db_path):
    result = run_cli("generate", "--n", "4", "--per-call", "2", db=db_path,
                     env={"HONEYBEE_INSTRUCTOR_PROVIDER": "offline"})
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr and os.path.exists(db_path)
