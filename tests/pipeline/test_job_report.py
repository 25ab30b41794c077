"""Jobs reported in the unit a person asked for: items requested, new, near-duplicates and
failed (through the real OpenAI SDK against the fake server), and the link to a job's items."""

from __future__ import annotations

import pytest

from honeybee_core import job_report
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import load_settings
from honeybee_core.pipeline import jobs
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.providers.openai_provider import OpenAIProvider
from honeybee_core.wording import plural
from tests.fake_llm_server import FakeLLMServer


@pytest.fixture
def settings(tmp_path):
    return load_settings(db=tmp_path / "x.duckdb", runs_dir=tmp_path / "runs", max_attempts=2)


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-job-key-0123456789")
    srv = FakeLLMServer(latency=0.01).start()
    monkeypatch.setenv("OPENAI_BASE_URL", srv.openai_base_url)
    yield srv
    srv.stop()


def test_a_partial_generation_reports_items_and_links_to_them(repo, settings, server):
    server.add_fault("status", status=503, times=100, match="request 2;")
    params = GenerateParams(n=7, per_call=3, provider=OpenAIProvider, model="gpt-4o-mini")
    outcome = jobs.run_generate(repo, params, actor=CLI_ACTOR, settings=settings)
    assert outcome.status == "partial" and outcome.failed == 1  # 3 calls: 3 + 3 + 1 items
    job = job_report.board(repo)[0]
    counts = job_report.item_counts(repo, [repo.job(outcome.job_id)])[outcome.job_id]
    stored = repo.job_item_ids(outcome.job_id)
    assert counts.requested == 7 and counts.failed == 3  # what the failed call asked for
    assert counts.new + counts.near_duplicates == len(stored) > 0
    assert counts.new + counts.near_duplicates + counts.failed + counts.missing == 7
    assert job["summary"].startswith(
        f"7 items requested: {counts.new} new, ") and f"{counts.failed} failed" in job["summary"]
    assert "calls" not in job["summary"].split(" — ")[0]
    assert job["fraction"] == 1.0 and job["explore"] == {"job": outcome.job_id}
    ids, said = job_report.job_items(repo, outcome.job_id)
    assert sorted(ids) == sorted(stored)
    assert said.startswith(f"Only the {plural(len(stored), 'item')} generate job "
                           f"{outcome.job_id} wrote")
    assert job_report.history(repo)["summary"].iloc[0] == job["summary"]


def test_a_rerun_adds_nothing_and_the_board_key_moves_only_on_change(repo, settings):
    params = GenerateParams(n=6, per_call=3)
    first = jobs.run_generate(repo, params, actor=CLI_ACTOR, settings=settings)
    before = job_report.board_key(repo)
    assert job_report.board_key(repo) == before
    counts = job_report.item_counts(repo, [repo.job(first.job_id)])[first.job_id]
    assert (counts.requested, counts.failed, counts.active) == (6, 0, False)
    verify = jobs.run_verify(repo, jobs.VerifyParams(), actor=CLI_ACTOR, settings=settings)
    assert job_report.board_key(repo) != before
    summary = next(j["summary"] for j in job_report.board(repo) if j["id"] == verify.job_id)
    n = counts.new  # near-duplicates are not verified
    assert summary.startswith(f"{n} of {n} items scored" if n != 1 else "1 of 1 item scored")
    assert job_report.job_items(repo, "generate-nope") == (
        (), "No job 'generate-nope' exists; showing no items.")


def test_item_counts_while_running_say_what_is_still_to_come():
    counts = job_report.ItemCounts(30, 12, 3, 0, active=True)
    assert counts.sentence() == ("30 items requested: 12 new, 3 near-duplicates, 0 failed, "
                                 "15 still to come")
    assert counts.fraction == 0.5
    done = job_report.ItemCounts(1, 1, 0, 0, active=False)
    assert done.sentence() == "1 item requested: 1 new, 0 near-duplicates, 0 failed"
