"""LLMClient with the real openai/anthropic SDKs against a local server speaking their protocols."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from honeybee_core.config import load_settings
from honeybee_core.errors import ProviderError
from honeybee_core.pipeline.jobs import job_provider
from honeybee_core.providers.anthropic_provider import AnthropicProvider
from honeybee_core.providers.base import InMemoryCallLog, LLMRequest, redact
from honeybee_core.providers.client import LLMClient
from honeybee_core.providers.openai_provider import OpenAIProvider
from honeybee_core.providers.pricing import PriceTable, cost, is_known
from honeybee_core.providers.registry import make_provider
from honeybee_core.providers.schemas import SCHEMAS

try:  # pytest puts tests/ on sys.path; a runner started from the repo root sees the package
    from fake_llm_server import FakeLLMServer
except ImportError:  # pragma: no cover
    from tests.fake_llm_server import FakeLLMServer

OPENAI_KEY = "sk-test-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"
KINDS = ("openai", "anthropic")
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    for var in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    srv = FakeLLMServer().start()
    yield srv
    srv.stop()


def provider(kind: str, srv: FakeLLMServer, timeout: float = 5.0):
    if kind == "openai":
        return OpenAIProvider(MODELS[kind], base_url=srv.openai_base_url, timeout=timeout)
    return AnthropicProvider(MODELS[kind], base_url=srv.base_url, timeout=timeout)


def client(prov, log: InMemoryCallLog | None = None, **kw) -> LLMClient:
    kw.setdefault("base_delay", 0.01)
    kw.setdefault("max_delay", 0.05)
    return LLMClient(prov, log if log is not None else InMemoryCallLog(), **kw)


def req(i: int, schema: str = "verdict", purpose: str = "verify") -> LLMRequest:
    return LLMRequest(
        purpose=purpose,
        system="You are a strict materials-science verifier.",
        prompt=f"Score item {i}: the steel was annealed at 700 C to restore ductility.",
        schema_name=schema,
        payload={"item": i},
        temperature=0.0,
        max_tokens=300,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_schema_comes_back_validated_with_usage_and_cost(server, kind):
    prov, log = provider(kind, server), InMemoryCallLog()
    c = client(prov, log)
    for schema, (model_cls, _) in SCHEMAS.items():
        res = asyncio.run(c.complete(req(1, schema)))
        model_cls.model_validate(res.parsed)
        assert not res.cached and res.attempts == 1
        assert res.input_tokens > 0 and res.output_tokens > 0
        assert res.cost_usd == pytest.approx(
            PriceTable().cost(prov.model, res.input_tokens, res.output_tokens)
        )
    assert [r.ok for r in log.records] == [True, True, True]
    sent = server.seen[-1]
    body = json.loads(sent.body)
    if kind == "openai":
        fmt = body["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
        assert fmt["json_schema"]["schema"] == SCHEMAS["grade"][1]
        assert body["temperature"] == 0.0 and body["max_tokens"] == 300
        assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    else:
        assert body["tools"][0]["input_schema"] == SCHEMAS["grade"][1]
        assert body["tool_choice"] == {"type": "tool", "name": "grade"}
        assert body["system"].startswith("You are") and body["max_tokens"] == 300
        # this SDK generation sends the key as a bearer token; older ones used x-api-key
        assert ANTHROPIC_KEY in (sent.headers.get("x-api-key"), sent.headers.get(
            "authorization", "").removeprefix("Bearer "))
    # max_retries=0 in the SDK: one HTTP request per attempt, no hidden retries
    assert server.model_requests() == 3


@pytest.mark.parametrize("kind", KINDS)
def test_transient_failures_are_retried_and_recorded(server, kind):
    server.add_fault("status", status=500)
    server.add_fault("status", status=503)
    server.add_fault("reset")
    log = InMemoryCallLog()
    res = asyncio.run(client(provider(kind, server), log).complete(req(2)))
    assert res.attempts == 4 and server.model_requests() == 4
    assert [r.ok for r in log.records] == [False, False, False, True]
    errors = [r.error or "" for r in log.records[:3]]
    assert "HTTP 500" in errors[0] and "HTTP 503" in errors[1]
    assert "connection error" in errors[2]
    assert [r.attempt for r in log.records] == [1, 2, 3, 4]


def test_slow_response_times_out_and_is_retried(server):
    server.add_fault("delay", delay=1.0)
    log = InMemoryCallLog()
    started = time.monotonic()
    res = asyncio.run(client(provider("openai", server, timeout=0.3), log).complete(req(3)))
    assert res.attempts == 2 and time.monotonic() - started < 1.0
    assert "timed out" in (log.records[0].error or "")
    assert 250 <= log.records[0].latency_ms < 1000


@pytest.mark.parametrize(("kind", "header", "value", "wait"), [
    ("openai", "retry-after", "0.4", 0.4),
    ("anthropic", "retry-after-ms", "400", 0.4),
    ("openai", "retry-after", "1", 1.0),
])
def test_retry_after_is_honoured(server, kind, header, value, wait):
    server.add_fault("status", status=429, headers={header: value})
    log = InMemoryCallLog()
    res = asyncio.run(client(provider(kind, server), log).complete(req(4)))
    assert res.attempts == 2
    first, second = server.seen[0].at, server.seen[1].at
    assert wait <= second - first < wait + 1.5
    assert "HTTP 429" in (log.records[0].error or "")


@pytest.mark.parametrize("kind", KINDS)
def test_permanent_failure_is_bounded_and_raises_one_sentence(server, kind):
    server.add_fault("status", status=500, times=-1)
    log = InMemoryCallLog()
    with pytest.raises(ProviderError) as err:
        asyncio.run(client(provider(kind, server), log, max_attempts=3).complete(req(5)))
    assert server.model_requests() == 3 and len(log.records) == 3
    assert not any(r.ok for r in log.records)
    msg = str(err.value)
    assert "after 3 attempt(s)" in msg and "HTTP 500" in msg and "\n" not in msg


def test_client_errors_are_not_retried(server):
    server.add_fault("status", status=400, times=-1)
    with pytest.raises(ProviderError, match="after 1 attempt"):
        asyncio.run(client(provider("openai", server)).complete(req(6)))
    assert server.model_requests() == 1


@pytest.mark.parametrize(("kind", "fault", "reason"), [
    ("openai", "invalid", "does not match schema"),
    ("anthropic", "invalid", "does not match schema"),
    ("openai", "not_json", "not valid JSON"),
    ("anthropic", "not_json", "not valid JSON"),
])
def test_schema_invalid_answers_are_kept_raw_and_retried(server, kind, fault, reason):
    server.add_fault(fault, times=2)
    log = InMemoryCallLog()
    res = asyncio.run(client(provider(kind, server), log).complete(req(7)))
    assert res.attempts == 3
    bad = log.records[:2]
    assert all(not r.ok and reason in (r.error or "") for r in bad)
    assert all(r.raw_response is not None and r.parsed is None for r in bad)
    if fault == "invalid":
        assert "unexpected" in (bad[0].raw_response or "")
    # a malformed answer still used tokens, so it is costed and counted in the result
    assert all(r.cost_usd > 0 for r in bad)
    assert res.cost_usd == pytest.approx(sum(r.cost_usd for r in log.records))


@pytest.mark.parametrize("kind", KINDS)
def test_cache_hit_on_rerun_makes_zero_http_requests(server, kind):
    log = InMemoryCallLog()
    reqs = [req(i) for i in range(5)]
    first = asyncio.run(client(provider(kind, server), log).complete_many(reqs))
    assert server.model_requests() == 5
    server.reset_stats()
    again = asyncio.run(client(provider(kind, server), log).complete_many(reqs))
    assert server.model_requests() == 0
    for a, b in zip(first, again, strict=True):
        assert b.cached and b.attempts == 0 and b.cost_usd == 0.0 and b.parsed == a.parsed


def test_identical_concurrent_requests_share_one_call(server):
    results = asyncio.run(client(provider("openai", server)).complete_many([req(8)] * 3))
    assert server.model_requests() == 1
    assert sorted(r.cached for r in results) == [False, True, True]


@pytest.mark.parametrize("kind", KINDS)
def test_concurrency_limit_is_respected(server, kind):
    server.latency = 0.05
    asyncio.run(client(provider(kind, server), concurrency=5).complete_many(
        [req(i) for i in range(30)]
    ))
    assert server.max_in_flight == 5


def test_a_long_run_keeps_a_bounded_pool_of_tasks_and_the_input_order(server):
    tasks_seen = []

    def on_result(i, r, outcome):
        # the client's own tasks, complete_many included (the HTTP client may run a few of its
        # own per connection)
        tasks_seen.append(sum(t.get_coro().__qualname__.startswith("LLMClient.")
                              for t in asyncio.all_tasks()))

    out = asyncio.run(client(provider("openai", server), concurrency=3).complete_many(
        [req(i) for i in range(40)], on_result=on_result
    ))
    assert max(tasks_seen) <= 2 * 3 + 1  # the workers and the main task, never one per request

    async def one_by_one():
        c = client(provider("openai", server))
        return [(await c.complete(req(i))).parsed for i in range(40)]

    # the fake server's answers are seeded by the prompt: out[i] must be the answer to req(i)
    assert [o.parsed for o in out] == asyncio.run(one_by_one())
    assert len({o.parsed["accuracy"] for o in out}) > 1


def test_costs_add_up_and_callbacks_see_every_outcome(server):
    server.add_fault("invalid", match="item 3:", times=1)
    server.add_fault("status", status=500, match="item 5:", times=-1)
    log, seen = InMemoryCallLog(), {}

    async def on_result(i, r, outcome):
        await asyncio.sleep(0)
        seen[i] = outcome

    out = asyncio.run(client(provider("openai", server), log, max_attempts=2).complete_many(
        [req(i) for i in range(8)], on_result=on_result
    ))
    assert sorted(seen) == list(range(8))
    assert isinstance(out[5], ProviderError) and isinstance(seen[5], ProviderError)
    ok = [o for o in out if not isinstance(o, ProviderError)]
    assert len(ok) == 7 and ok[3].attempts == 2
    assert sum(o.cost_usd for o in ok) == pytest.approx(sum(r.cost_usd for r in log.records))
    prices = PriceTable()
    for rec in log.records:
        assert rec.cost_usd == pytest.approx(
            prices.cost(rec.model, rec.input_tokens, rec.output_tokens)
        )


def test_a_failing_callback_stops_the_run(server):
    def on_result(i, r, outcome):
        raise RuntimeError("database is gone")

    with pytest.raises(RuntimeError, match="database is gone"):
        asyncio.run(client(provider("openai", server), concurrency=2).complete_many(
            [req(i) for i in range(20)], on_result=on_result
        ))
    assert server.model_requests() < 20


@pytest.mark.parametrize("kind", KINDS)
def test_keys_never_appear_in_call_records(server, kind):
    server.add_fault("echo_auth")  # a 401 whose body quotes the credential, as OpenAI's does
    log = InMemoryCallLog()
    with pytest.raises(ProviderError) as err:
        asyncio.run(client(provider(kind, server), log).complete(req(9)))
    key = OPENAI_KEY if kind == "openai" else ANTHROPIC_KEY
    asyncio.run(client(provider(kind, server), log).complete(req(10)))
    assert len(log.records) == 2 and "[redacted]" in (log.records[0].error or "")
    dumped = repr([r.to_dict() for r in log.records]) + str(err.value)
    assert key not in dumped and key[:12] not in dumped


def test_redact_masks_env_keys_and_key_shaped_strings(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "plainsecretvalue")
    text = redact("a plainsecretvalue b sk-proj-ABCDEFGH123456 c Bearer abc.def.ghijkl")
    assert "plainsecretvalue" not in text and "sk-proj" not in text and "abc.def" not in text


@pytest.mark.parametrize(("name", "env"), [
    ("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY"),
])
def test_missing_key_is_a_clear_provider_error(monkeypatch, name, env):
    monkeypatch.delenv(env, raising=False)
    with pytest.raises(ProviderError) as err:
        make_provider(name, "some-model")
    assert str(err.value) == f"{env} is not set; export it or choose --provider offline"


def test_unknown_provider_and_offline_factory():
    with pytest.raises(ProviderError, match="Unknown provider"):
        make_provider("cohere", "x")
    offline = make_provider("offline")
    assert (offline.name, offline.model) == ("offline", "heuristic-v1")


@pytest.mark.parametrize("kind", KINDS)
def test_base_url_comes_from_the_environment(server, monkeypatch, kind):
    if kind == "openai":
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
    else:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    res = asyncio.run(client(make_provider(kind, MODELS[kind], timeout=5)).complete(req(11)))
    assert res.parsed and server.model_requests() == 1


def test_request_hash_covers_the_answer_inputs():
    a, b = req(1), req(1)
    assert a.request_hash("m") == b.request_hash("m") and len(a.request_hash("m")) == 64
    assert a.request_hash("m") != a.request_hash("other-model")
    assert a.request_hash("m") != req(2).request_hash("m")
    with pytest.raises(ValueError, match="not registered"):
        LLMRequest(purpose="x", system="", prompt="", schema_name="nope")


def test_pricing_table():
    assert cost("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert cost("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    assert cost("gpt-4o-2024-08-06", 1_000_000, 0) == pytest.approx(2.50)
    assert cost("claude-sonnet-4-5", 2_000_000, 0, batch=True) == pytest.approx(3.0)
    assert cost("my-local-llama", 10**6, 10**6) == 0.0 and not is_known("my-local-llama")
    table = PriceTable({"my-local-llama": (1.0, 2.0)})
    assert table.cost("my-local-llama", 10**6, 10**6) == pytest.approx(3.0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("transport", "expected"), [
    ("keepalive", "KeepAliveTransport"), ("aiohttp", "AiohttpTransport"),
    ("httpx", "AsyncHTTPTransport")])
def test_every_http_transport_answers_and_the_setting_picks_one(server, monkeypatch, kind,
                                                                transport, expected):
    if kind == "openai":
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
    else:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    settings = load_settings(http_transport=transport, request_timeout_s=5)
    prov = job_provider(kind, MODELS[kind], settings)

    async def go():
        res = await client(prov).complete(req(1))
        used = type(prov.sdk()._client._transport).__name__
        await prov.aclose()
        return res, used

    res, used = asyncio.run(go())
    assert res.parsed and res.attempts == 1
    assert used == expected
    assert prov.timeout == 5
