"""Batch mode with the real SDKs against the local server: failed rows are found, resubmitted."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from honeybee_core.errors import InputError
from honeybee_core.providers.anthropic_provider import AnthropicProvider
from honeybee_core.providers.base import InMemoryCallLog, LLMRequest
from honeybee_core.providers.client import LLMClient
from honeybee_core.providers.offline import OfflineProvider
from honeybee_core.providers.openai_provider import OpenAIProvider
from honeybee_core.providers.pricing import PriceTable

try:  # pytest puts tests/ on sys.path; a runner started from the repo root sees the package
    from fake_llm_server import FakeLLMServer
except ImportError:  # pragma: no cover
    from tests.fake_llm_server import FakeLLMServer

KEY = "sk-test-batch-0123456789abcdef"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    srv = FakeLLMServer(batch_polls=1).start()
    yield srv
    srv.stop()


def provider(kind: str, srv: FakeLLMServer):
    if kind == "openai":
        return OpenAIProvider("gpt-4o-mini", base_url=srv.openai_base_url, timeout=5)
    return AnthropicProvider("claude-haiku-4-5", base_url=srv.base_url, timeout=5)


def reqs(n: int = 6) -> list[LLMRequest]:
    return [
        LLMRequest(purpose="verify", system="Verify.", prompt=f"Item {i}: the alloy was quenched.",
                   schema_name="verdict", payload={"i": i})
        for i in range(n)
    ]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_batch_round_trip_with_failed_rows_resubmitted(server, kind):
    prov, log, batch = provider(kind, server), InMemoryCallLog(), reqs()
    server.add_fault("row_error", match="Item 1:")
    server.add_fault("row_expired", match="Item 2:")
    server.add_fault("row_invalid", match="Item 3:")

    async def scenario():
        batch_id = await prov.submit_batch(batch + batch[:2])  # duplicates collapse
        pending = await prov.poll_batch(batch_id, batch, call_log=log)
        done = await prov.poll_batch(batch_id, batch, call_log=log)
        logged = len(log.records)
        await prov.poll_batch(batch_id, batch, call_log=log)  # re-polling adds no ok rows
        assert len(log.records) == logged + 3
        return pending, done

    pending, done = asyncio.run(scenario())
    assert not pending.done and not pending.results and not pending.records
    assert done.done
    ids = [prov.custom_id(r) for r in batch]
    assert all(re.fullmatch(r"[a-f0-9]{64}", cid) for cid in ids)  # valid for both APIs
    assert set(done.results) == {ids[0], ids[4], ids[5]}
    assert set(done.failed) == {ids[1], ids[2], ids[3]}
    assert "expire" in done.failed[ids[2]].reason
    assert "does not match schema" in done.failed[ids[3]].reason
    assert len(done.records) == 6 and sum(r.ok for r in done.records) == 3

    prices = PriceTable()
    for rec in done.records:  # batch rows cost half the live price
        live = prices.cost(rec.model, rec.input_tokens, rec.output_tokens)
        assert rec.cost_usd == pytest.approx(live / 2)
    assert done.cost_usd == pytest.approx(sum(r.cost_usd for r in done.records))
    invalid = next(r for r in done.records if r.request_hash == ids[3])
    assert invalid.raw_response and invalid.cost_usd > 0 and not invalid.ok

    retry = prov.to_resubmit(done, batch)
    assert [prov.custom_id(r) for r in retry] == [ids[1], ids[2], ids[3]]

    async def second_round():
        batch_id = await prov.submit_batch(retry)
        await prov.poll_batch(batch_id, retry, call_log=log, attempt=2)
        return await prov.poll_batch(batch_id, retry, call_log=log, attempt=2)

    again = asyncio.run(second_round())
    assert again.done and set(again.results) == {ids[1], ids[2], ids[3]} and not again.failed
    assert {r.attempt for r in again.records} == {2}

    # every request now has an ok record, so the live client answers from the log alone
    server.reset_stats()
    out = asyncio.run(LLMClient(prov, log).complete_many(batch))
    assert all(o.cached for o in out) and server.model_requests() == 0


def test_openai_batch_file_is_chat_completions_jsonl(server):
    prov = provider("openai", server)
    batch = reqs(3)
    asyncio.run(prov.submit_batch(batch))
    upload = next(f for f in server.files.values() if f["purpose"] == "batch")
    lines = [json.loads(x) for x in upload["content"].decode().splitlines()]
    assert [x["custom_id"] for x in lines] == [prov.custom_id(r) for r in batch]
    assert {x["url"] for x in lines} == {"/v1/chat/completions"} and lines[0]["method"] == "POST"
    assert lines[0]["body"]["response_format"]["json_schema"]["strict"] is True
    created = json.loads(next(s.body for s in server.seen if s.path == "/v1/batches"))
    assert created["completion_window"] == "24h" and created["endpoint"] == "/v1/chat/completions"


def test_batch_is_a_capability_of_the_http_providers_and_needs_requests(server):
    assert not OfflineProvider.supports_batch and not hasattr(OfflineProvider, "submit_batch")
    assert OpenAIProvider.supports_batch and AnthropicProvider.supports_batch
    with pytest.raises(InputError, match="at least one"):
        asyncio.run(provider("openai", server).submit_batch([]))
