"""Values reach DuckDB as bound parameters: text that looks like SQL is stored and matched as
text, and changes nothing else."""

from __future__ import annotations

from datetime import datetime

import pytest

from honeybee_core.domain import ExploreQuery
from tests.review_seed import items_frame

HOSTILE = [
    "x'); DROP TABLE instructions; --",
    "' OR '1'='1",
    "100% _of_ \\ the ? and $1",
    'quote " double; DELETE FROM decisions',
    "Ni\u2082O\u2083 \U0001f41d \x00 after nul",
]


def test_hostile_text_round_trips_verbatim_through_every_writer(repo):
    texts = [t.replace("\x00", "") for t in HOSTILE]  # DuckDB VARCHAR holds no NUL
    items = items_frame(len(texts))
    items["instruction"] = texts
    items["topic"] = texts
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
        repo.insert_person(cur, texts[0], "reviewer", texts[1], texts[2])
        repo.save_rating(cur, "item00000", texts[0], {
            "accuracy": 1.0, "relevance": 2.0, "completeness": 3.0, "reasonableness": 4.0,
            "verdict": "approve", "comment": texts[2], "blind": False})
        repo.add_decisions(cur, ["item00001"], "reject", texts[3], texts[4], rule=texts[0])
    repo.create_job("job'; --", "verify", texts[2], texts[1])
    repo.update_job("job'; --", error=texts[0])
    with repo.db.transaction() as cur:
        repo.insert_llm_calls(cur, [{
            "id": "c1", "provider": texts[1], "model": texts[0], "request_hash": texts[2],
            "purpose": None, "request": texts[3], "raw_response": texts[4], "parsed": None,
            "ok": True, "error": None, "input_tokens": 1, "output_tokens": 1, "cost_usd": 0.0,
            "latency_ms": 1.0, "attempt": 1, "batch": False, "job_id": None,
            "created_at": datetime(2026, 1, 1)}])

    assert repo.select_items()["instruction"].tolist() == texts
    assert repo.filter_options()["topics"] == sorted(texts)
    assert repo.person(texts[0])["password_hash"] == texts[1]
    assert repo.person_by_email(texts[2])["name"] == texts[0]
    assert repo.rating_of("item00000", texts[0])["comment"] == texts[2]
    decision = repo.item_decisions("item00001").iloc[0]
    assert (decision["decided_by"], decision["reason"], decision["rule"]) == tuple(texts[3:] +
                                                                                   texts[:1])
    job = repo.job("job'; --")
    assert (job["params"], job["created_by"], job["error"]) == (texts[2], texts[1], texts[0])
    assert repo.answered_calls(texts[1], texts[0], [texts[2]])[0]["raw_response"] == texts[4]
    counts = repo.table_counts()
    assert counts["instructions"] == len(texts) and counts["decisions"] == 1


@pytest.mark.parametrize("needle", ["100%", "_of_", "\\ the", "' OR '1'='1", "?"])
def test_explore_search_matches_text_literally(repo, needle):
    items = items_frame(len(HOSTILE))
    items["instruction"] = [t.replace("\x00", "") for t in HOSTILE]
    with repo.db.transaction() as cur:
        repo.insert_items(cur, items)
    page, total = repo.explore(ExploreQuery(search=needle))
    text = items["instruction"] + "\n" + items["input"] + "\n" + items["output"]
    expected = sorted(items["id"][text.str.lower().str.contains(needle.lower(), regex=False)])
    assert sorted(page["id"]) == expected and total == len(expected) >= 1


def test_only_whitelisted_column_names_reach_sql(repo):
    repo.create_job("j", "verify", "{}", None)
    repo.insert_run({"id": "r", "stage": 1, "base_model": "m", "config": "{}", "out_dir": "/o",
                     "status": "running"})
    with pytest.raises(ValueError):
        repo.update_job("j", **{"status = 'x', kind": "y"})
    with pytest.raises(ValueError):
        repo.update_run("r", **{"status = 'x' --": "y"})
    assert (repo.job("j")["status"], repo.run("r")["status"]) == ("queued", "running")
