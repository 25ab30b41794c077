"""Generation and verification jobs over a real DuckDB file, offline and through the real SDKs."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import load_settings
from honeybee_core.demo import seed_demo
from honeybee_core.pipeline import jobs
from honeybee_core.pipeline.calllog import JobCallLog
from honeybee_core.pipeline.group_writer import GroupWriter
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.pipeline.spool import Spool, fold_spools, read_spool
from honeybee_core.providers.base import hash_json
from honeybee_core.providers.openai_provider import OpenAIProvider
from honeybee_core.providers.registry import provider_class
from tests.conftest import ROOT
from tests.fake_llm_server import FakeLLMServer


@pytest.fixture
def settings(tmp_path):
    return load_settings(db=tmp_path / "x.duckdb", runs_dir=tmp_path / "runs", max_attempts=4)


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-job-key-0123456789")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    srv = FakeLLMServer(latency=0.01).start()
    monkeypatch.setenv("OPENAI_BASE_URL", srv.openai_base_url)
    yield srv
    srv.stop()


def _count(repo, sql_table: str) -> int:
    return repo.table_counts()[sql_table]


def test_offline_generate_then_rerun_makes_no_new_calls(repo, settings):
    params = GenerateParams(n=40, per_call=5, seed=1)
    first = jobs.run_generate(repo, params, settings=settings, actor=CLI_ACTOR)
    assert first.status == "finished" and first.total == 8 and first.paid_calls == 8
    items = repo.select_items()
    assert len(items) == first.new_items > 0
    assert set(items["source"]) == {"generated"} and set(items["prompt_version"]) == {
        "instruct_v1"}
    calls = _count(repo, "llm_calls")
    again = jobs.run_generate(repo, params, settings=settings, actor=CLI_ACTOR)
    assert (again.paid_calls, again.cached_calls, again.new_items) == (0, 8, 0)
    assert _count(repo, "llm_calls") == calls  # a cache hit writes nothing
    assert repo.job(first.job_id)["status"] == "finished"


def test_verify_scores_only_what_is_unscored(repo, settings):
    jobs.run_generate(repo, GenerateParams(n=30, per_call=5), settings=settings, actor=CLI_ACTOR)
    waiting = len(repo.items_to_verify("offline:heuristic-v1", "verify_v1"))
    done = jobs.run_verify(repo, jobs.VerifyParams(), settings=settings, actor=CLI_ACTOR)
    assert done.scored == waiting > 0
    scores = repo.verifier_scores()
    assert scores[["accuracy", "relevance", "completeness", "reasonableness"]].stack().between(
        0, 100).all()
    assert set(scores["rubric_version"]) == {"verify_v1"}
    assert jobs.run_verify(repo, jobs.VerifyParams(), settings=settings, actor=CLI_ACTOR).total == 0


def test_demo_seeds_an_empty_database_once(repo, settings):
    seeded = seed_demo(repo, settings, actor=CLI_ACTOR)
    stats = repo.stats()
    assert stats["instructions"] >= 200 and stats["verifier_scored"] >= 200
    assert seeded["demo_ratings"] > 0
    assert seed_demo(repo, settings, actor=CLI_ACTOR) is None


def test_openai_job_with_faults_stores_everything_and_costs_add_up(repo, settings, server):
    server.add_fault("status", status=429, headers={"retry-after": "0.05"}, times=2)
    server.add_fault("status", status=500, times=2)
    server.add_fault("invalid", times=2)
    params = GenerateParams(n=12, per_call=2, provider=OpenAIProvider, model="gpt-4o-mini",
                            concurrency=4)
    outcome = jobs.run_generate(repo, params, settings=settings, actor=CLI_ACTOR)
    assert outcome.status == "finished" and outcome.failed == 0
    calls = repo.db.cursor().execute(
        "SELECT ok, error, raw_response, cost_usd FROM llm_calls").df()
    failures = calls[~calls["ok"]]
    assert len(failures) == 6 and calls["ok"].sum() == 6
    assert failures["error"].str.contains("schema", case=False).sum() == 2  # kept with reason
    assert failures["raw_response"].notna().sum() >= 2
    assert abs(calls["cost_usd"].sum() - outcome.cost_usd) < 1e-9
    job = repo.job(outcome.job_id)
    assert abs(job["cost_usd"] - round(outcome.cost_usd, 6)) < 1e-9
    assert job["progress_done"] == job["progress_total"] == outcome.total  # throttled, then final
    assert "sk-test-job-key" not in calls.to_json()
    deadline = time.monotonic() + 2  # the job closed its connections when it ended
    while server.open_connections() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.open_connections() == 0


def test_a_call_that_keeps_failing_is_bounded_and_the_job_is_partial(repo, settings, server):
    server.add_fault("status", status=503, times=100, match="request 1;")
    params = GenerateParams(n=6, per_call=2, provider=OpenAIProvider, model="gpt-4o-mini")
    outcome = jobs.run_generate(repo, params, settings=settings, actor=CLI_ACTOR)
    assert outcome.status == "partial" and outcome.failed == 1
    attempts = repo.db.cursor().execute(
        "SELECT count(*) FROM llm_calls WHERE NOT ok").fetchall()[0][0]
    assert attempts == settings.max_attempts
    assert "run the job again" in repo.job(outcome.job_id)["error"]


def test_sigkill_mid_job_then_rerun_completes_without_repeats(db_path, monkeypatch):
    srv = FakeLLMServer(latency=0.15).start()
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-kill-0123456789",
           "OPENAI_BASE_URL": srv.openai_base_url, "HONEYBEE_DB": str(db_path)}
    cmd = [sys.executable, "-m", "honeybee_core.cli", "generate", "--n", "60", "--per-call",
           "2", "--provider", "openai", "--model", "gpt-4o-mini", "--concurrency", "2", "--json"]
    try:
        child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 60
        while srv.model_requests() < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        # Answers are durable in the job's spool as they land and reach DuckDB in group
        # commits, so what the killed run had received is the union of the two.
        spool = db_path.with_name(db_path.name + ".spool")
        assert list(spool.glob("*.jsonl")), "the killed job left its spool"
        stored, spooled = _answered_after_kill(db_path)
        finished = len(stored | spooled)
        assert 0 < finished < 30
        srv.reset_stats()
        rerun = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        outcome = json.loads(rerun.stdout)
        assert outcome["status"] == "finished" and outcome["total"] == 30
        assert outcome["cached_calls"] == finished  # finished calls came from the log...
        assert srv.model_requests() == 30 - finished  # ...and only the rest were paid for
        assert not spool.exists()  # folded, then removed
        calls = subprocess.run(
            [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]);"
             "print(*c.execute('select count(*) filter (where ok), count(distinct request_hash)"
             " filter (where ok), sum(cost_usd) from llm_calls').fetchall()[0])",
             str(db_path)], capture_output=True, text=True, check=True).stdout.split()
        assert calls[:2] == ["30", "30"]  # one paid answer per request: none lost, none twice
        # the job's cost counts every paid attempt of both runs
        assert abs(float(calls[2]) - outcome["cost_usd"]) < 1e-6 and outcome["cost_usd"] > 0
    finally:
        srv.stop()
    clean_db = db_path.with_name("clean.duckdb")
    srv2 = FakeLLMServer().start()
    try:
        env2 = {**env, "OPENAI_BASE_URL": srv2.openai_base_url, "HONEYBEE_DB": str(clean_db)}
        subprocess.run(cmd, cwd=ROOT, env=env2, capture_output=True, check=True, timeout=120)
    finally:
        srv2.stop()
    ids = [subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]);"
         "print(sorted(r[0] for r in c.execute('select id from instructions').fetchall()))",
         str(path)], capture_output=True, text=True, check=True).stdout for path in
        (db_path, clean_db)]
    assert ids[0] == ids[1]  # the same final item set as an uninterrupted run


def _answered_after_kill(db_path) -> tuple[set[str], set[str]]:
    """Request hashes with an ok answer: in DuckDB, and in the spool files (read as text)."""
    probe = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]);"
         "print(*[h for (h,) in c.execute('select request_hash from llm_calls where ok')"
         ".fetchall()])", str(db_path)], capture_output=True, text=True, check=True)
    spooled = set()
    for path in db_path.with_name(db_path.name + ".spool").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                row = json.loads(line)
                if row["ok"]:
                    spooled.add(row["request_hash"])
    return set(probe.stdout.split()), spooled


@pytest.mark.parametrize("provider, model, key_env, url_attr", [
    ("openai", "gpt-4o-mini", "OPENAI_API_KEY", "openai_base_url"),
    ("anthropic", "claude-haiku-4-5", "ANTHROPIC_API_KEY", "base_url"),
])
def test_batch_mode_resubmits_only_failed_rows(repo, tmp_path, monkeypatch, provider, model,
                                               key_env, url_attr):
    srv = FakeLLMServer(batch_polls=1).start()
    monkeypatch.setenv(key_env, "sk-test-batch-0123456789")
    monkeypatch.setenv(key_env.replace("API_KEY", "BASE_URL"), getattr(srv, url_attr))
    settings = load_settings(db=tmp_path / "b.duckdb", batch_poll_s=0.01)
    try:
        srv.add_fault("row_error", match="request 2;")
        srv.add_fault("row_expired", match="request 3;")
        params = GenerateParams(n=8, per_call=2, provider=provider_class(provider), model=model,
                                batch=True)
        outcome = jobs.run_generate(repo, params, settings=settings, actor=CLI_ACTOR)
        assert outcome.status == "finished" and outcome.failed == 0
        rounds = json.loads(repo.job(outcome.job_id)["batch_ids"])
        assert [r["n"] for r in rounds] == [4, 2]  # the second round holds only the failures
        assert all(r["done"] for r in rounds)
        calls = repo.db.cursor().execute("SELECT ok, batch FROM llm_calls").df()
        assert calls["batch"].all() and calls["ok"].sum() == 4
        assert repo.stats()["instructions"] == outcome.new_items > 0
        again = jobs.run_generate(repo, params, settings=settings, actor=CLI_ACTOR)
        assert again.cached_calls == 4 and again.paid_calls == 0
    finally:
        srv.stop()


def test_batch_job_stopped_mid_poll_resumes_without_resubmitting(repo, tmp_path, monkeypatch):
    import threading

    srv = FakeLLMServer(batch_polls=10_000).start()  # the batch stays "in progress"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-batch-0123456789")
    monkeypatch.setenv("OPENAI_BASE_URL", srv.openai_base_url)
    settings = load_settings(db=tmp_path / "b.duckdb", batch_poll_s=0.02)
    params = GenerateParams(n=6, per_call=2, provider=OpenAIProvider, model="gpt-4o-mini",
                            batch=True)
    try:
        worker = threading.Thread(target=jobs.run_generate, args=(repo, params),
                                  kwargs={"settings": settings, "actor": CLI_ACTOR})
        worker.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            board = repo.jobs()
            if len(board) and repo.job(board.iloc[0]["id"])["batch_ids"]:
                break
            time.sleep(0.05)
        job_id = repo.jobs().iloc[0]["id"]
        jobs.request_cancel(job_id)  # as if the app stopped while the batch was open
        worker.join(30)
        assert repo.job(job_id)["status"] == "cancelled"
        submitted = srv.counts["/v1/batches"]
        srv.batch_polls = 0  # the provider finishes the batch
        outcome = jobs.run_generate(repo, params, settings=settings, actor=CLI_ACTOR)
        assert outcome.job_id == job_id and outcome.status == "finished"
        assert srv.counts["/v1/batches"] == submitted  # polled the open batch, paid nothing more
        assert len(json.loads(repo.job(job_id)["batch_ids"])) == 1
    finally:
        srv.stop()


def _record(h: str, ok: bool):
    from honeybee_core.providers.base import CallRecord

    return CallRecord(provider="openai", model="m", request_hash=h, purpose="verify",
                      request_json="{}", raw_response='{"a": 1}', parsed={"a": 1} if ok else None,
                      ok=ok, error=None if ok else "bad", input_tokens=3, output_tokens=4,
                      cost_usd=0.5, latency_ms=1.0, attempt=1)


def test_job_call_log_spools_at_once_and_answers_from_its_preload(repo):
    answered, failed, never = hash_json("answered"), hash_json("failed"), hash_json("never")
    log, queued = JobCallLog(repo, "job-1"), []
    spool = Spool.for_job(repo, "job-1")
    log.attach(spool, queued.append)
    log.record(_record(answered, ok=True))
    log.record(_record(failed, ok=False))
    # durable in the spool when record() returns; DuckDB gets them from the group writer
    assert [r["request_hash"] for r in read_spool(spool.path)] == [answered, failed]
    assert len(queued) == 2 and _count(repo, "llm_calls") == 0
    assert log.lookup("openai", "m", answered).parsed == {"a": 1}
    assert log.lookup("openai", "m", failed) is None
    assert log.spent == 1.0  # both attempts were paid for, valid answer or not
    log.detach()
    spool.close(delete=False)  # as a kill -9 leaves it
    assert fold_spools(repo, running={"job-1"}) == 0  # a running job's spool is left alone
    assert fold_spools(repo, running=set()) == 2 and not spool.path.exists()
    again = Spool.for_job(repo, "job-1")  # a fold interrupted after its commit: folded again
    for row in queued:
        again.append(row)
    again.close(delete=False)
    assert fold_spools(repo, running=set()) == 2 and _count(repo, "llm_calls") == 2
    fresh = JobCallLog(repo, "job-2")
    assert fresh.preload("openai", "m", [answered, failed, never]) == 1
    assert fresh.lookup("openai", "m", answered).parsed == {"a": 1}
    assert fresh.lookup("openai", "m", never) is None
    fresh.record(_record(never, ok=True))  # no writer attached: committed at once
    assert _count(repo, "llm_calls") == 3


def test_group_writer_commits_what_queued_together_and_stops_at_an_error(repo):
    from honeybee_core.providers.base import LLMResult

    repo.create_job("job-g", "verify", "{}", None)
    groups = []
    writer = GroupWriter(repo, "job-g", lambda cur, results: groups.append(len(results)),
                         lambda: {"progress_done": 200})
    log = JobCallLog(repo, "job-g")
    for n in range(200):
        writer.call(log.row(_record(hash_json(str(n)), ok=True)))
        writer.result(n, LLMResult({}, "", 0, 0, 0.0, 0.0, 1, False))
    done = writer.update_job(batch_ids="[]")
    writer.start().close()  # everything was queued before the thread started: one group
    assert (writer.commits, groups, writer.error) == (1, [200], None) and done.done()
    assert _count(repo, "llm_calls") == 200 and repo.job("job-g")["progress_done"] == 200

    def broken(cur, results):
        raise RuntimeError("disk full")

    failing = GroupWriter(repo, "job-g", broken, dict).start()
    failing.call(log.row(_record(hash_json("lost?"), ok=True)))
    failing.result(0, LLMResult({}, "", 0, 0, 0.0, 0.0, 1, False))
    failing.close()
    assert str(failing.error) == "disk full" and failing.commits == 0
    assert _count(repo, "llm_calls") == 200  # rolled back: the spool keeps the record


def test_a_job_costs_every_paid_attempt_across_resumes(repo, settings, server):
    server.add_fault("invalid", times=9)  # 3 calls x 3 attempts, paid and all invalid
    params = GenerateParams(n=6, per_call=2, provider=OpenAIProvider, model="gpt-4o-mini",
                            concurrency=1)
    three = load_settings(db=settings.db, runs_dir=settings.runs_dir, max_attempts=3)
    first = jobs.run_generate(repo, params, settings=three, actor=CLI_ACTOR)
    assert first.status == "failed" and first.paid_calls == 0 and first.cost_usd > 0
    assert repo.job(first.job_id)["cost_usd"] == pytest.approx(first.cost_usd, abs=1e-6)
    # resumes the same job
    second = jobs.run_generate(repo, params, settings=three, actor=CLI_ACTOR)
    assert second.job_id == first.job_id and second.status == "finished"
    total = repo.llm_call_totals(first.job_id)
    assert total["calls"] == 12 and second.cost_usd == pytest.approx(total["cost_usd"])
    assert second.cost_usd > first.cost_usd
    assert repo.job(first.job_id)["cost_usd"] == pytest.approx(total["cost_usd"], abs=1e-6)
