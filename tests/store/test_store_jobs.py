"""Jobs and the LLM call log: rows created, updated through a whitelist, cached answers found."""

from __future__ import annotations

from datetime import datetime

import pytest


def call(i: int, *, ok: bool = True, job: str | None = "job-1", request_hash: str = "h1",
         answer: str = "ok") -> dict:
    return {"id": f"call{i}", "provider": "openai", "model": "m", "request_hash": request_hash,
            "purpose": "verify", "request": "{}", "raw_response": answer, "parsed": None, "ok": ok,
            "error": None if ok else "timeout", "input_tokens": 10, "output_tokens": 5,
            "cost_usd": 0.25, "latency_ms": 12.0, "attempt": 1, "batch": False, "job_id": job,
            "created_at": datetime(2026, 1, 1, 0, 0, i)}


def record(repo, *calls: dict) -> None:
    with repo.db.transaction() as cur:
        repo.insert_llm_calls(cur, list(calls))


def test_job_rows_are_created_updated_and_continued(repo):
    repo.create_job("job-1", "verify", '{"n": 3}', "ann")
    repo.create_job("job-2", "generate", "{}", None)
    assert repo.job("job-1")["status"] == "queued" and repo.job("nope") is None
    assert repo.unfinished_job("verify", '{"n": 3}') == "job-1"
    with repo.db.transaction() as cur:
        repo.update_job("job-1", cur, status="running", progress_total=3)
    repo.update_job("job-1", progress_done=3, status="finished", cost_usd=0.5)
    job = repo.job("job-1")
    assert (job["status"], job["progress_done"], job["progress_total"]) == ("finished", 3, 3)
    assert job["heartbeat_at"] is not None
    assert repo.unfinished_job("verify", '{"n": 3}') is None
    assert repo.jobs(kind="generate")["id"].tolist() == ["job-2"]
    assert len(repo.jobs(limit=1)) == 1


def test_update_job_takes_only_job_columns(repo):
    repo.create_job("job-1", "verify", "{}", None)
    with pytest.raises(ValueError, match="not job columns"):
        repo.update_job("job-1", status="running", kind="train")
    assert repo.job("job-1")["status"] == "queued" and repo.job("job-1")["kind"] == "verify"


def test_call_log_caches_the_latest_ok_answer_and_totals_costs(repo):
    record(repo, call(1, ok=False, answer="fail"))
    assert repo.answered_calls("openai", "m", ["h1"]) == []  # failures are not answers
    record(repo, call(2, answer="first"), call(3, job="job-2", request_hash="h2"))
    record(repo, call(2, answer="first"))  # a spool folded twice adds nothing
    [cached] = repo.answered_calls("openai", "m", ["h1"])
    assert cached["id"] == "call2" and cached["raw_response"] == "first"
    assert repo.answered_calls("anthropic", "m", ["h1"]) == []
    answered = repo.answered_calls("openai", "m", ["h1", "h2", "h3"])
    assert sorted(c["request_hash"] for c in answered) == ["h1", "h2"]
    assert repo.llm_call_totals("job-1") == {"calls": 2, "ok_calls": 1, "cost_usd": 0.5,
                                             "input_tokens": 20, "output_tokens": 10}
    assert repo.llm_call_totals()["calls"] == 3
