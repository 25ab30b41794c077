"""Throughput of LLM calls: our async LLMClient versus the paper script's multiprocessing loop.

A local server (tests/fake_llm_server.py, in its own process) answers OpenAI Chat Completions
after 100 ms. With 64 calls in flight the ceiling is 64 / 0.1 s = 640 items/s. The paper's
released script ran 4 processes, each making one blocking call at a time with the sync SDK
(ceiling 4 / 0.1 s = 40 items/s). Also run: our client on the SDK's default httpx transport
(the baseline of KeepAliveTransport), and a bare-socket asyncio client, to show what this
machine allows at all. Prints one JSON object; async figures are medians of repeats.

    .venv/bin/python benchmarks/pipeline.py [--items 1000] [--concurrency 64] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anthropic  # noqa: E402
import openai  # noqa: E402

from honeybee_core.errors import ProviderError  # noqa: E402
from honeybee_core.providers.anthropic_provider import AnthropicProvider  # noqa: E402
from honeybee_core.providers.base import InMemoryCallLog, LLMRequest  # noqa: E402
from honeybee_core.providers.client import LLMClient  # noqa: E402
from honeybee_core.providers.openai_provider import OpenAIProvider  # noqa: E402
from honeybee_core.providers.schemas import VERDICT_SCHEMA  # noqa: E402
from tests.fake_llm_server import serve_in_process  # noqa: E402

MODEL = "gpt-4o-mini"
LATENCY_S = 0.1
# Only the local server is contacted; never send a real key to it.
os.environ["OPENAI_API_KEY"] = "sk-local-benchmark-not-a-real-key"
os.environ["ANTHROPIC_API_KEY"] = "sk-ant-local-benchmark-not-a-real-key"


def verify_request(i: int, run: int) -> LLMRequest:
    return LLMRequest(
        purpose="verify",
        system="You are a materials-science verifier. Score the item on four dimensions.",
        prompt=f"[run {run}] Item {i}: Annealing at 700 C restored the ductility of the steel.",
        schema_name="verdict",
        payload={"item": i, "run": run},
        temperature=0.0,
        max_tokens=256,
    )


def server_call(base: str, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(base + path, timeout=10) as resp:
        return json.load(resp)


def make_provider(kind: str, base: str, transport: str) -> OpenAIProvider | AnthropicProvider:
    if kind == "anthropic":
        return AnthropicProvider("claude-haiku-4-5", base_url=base, timeout=30,
                                 transport=transport)
    return OpenAIProvider(MODEL, base_url=base + "/v1", timeout=30, transport=transport)


async def run_async(base: str, n: int, concurrency: int, run: int, kind: str = "openai",
                    transport: str = "keepalive") -> dict[str, Any]:
    """Our path: one LLMClient, `concurrency` calls in flight, call records kept in memory."""
    provider = make_provider(kind, base, transport)
    client = LLMClient(provider, InMemoryCallLog(), concurrency=concurrency)
    # Warm-up (not timed): open the connection pool, as a long-running job would have.
    await client.complete_many([verify_request(-1 - i, run) for i in range(concurrency)])
    server_call(base, "/_reset")
    reqs = [verify_request(i, run) for i in range(n)]
    cpu0, t0 = time.process_time(), time.perf_counter()
    out = await client.complete_many(reqs)
    seconds = time.perf_counter() - t0
    cpu_ms = (time.process_time() - cpu0) * 1000 / n
    await provider.aclose()
    failed = sum(isinstance(o, ProviderError) for o in out)
    stats = server_call(base, "/_stats")
    return {"seconds": seconds, "items_per_s": n / seconds, "failed": failed,
            "client_cpu_ms_per_item": cpu_ms, "max_in_flight": stats["max_in_flight"],
            "http_requests": stats["model_requests"]}


async def run_raw(port: int, n: int, concurrency: int) -> float:
    """Reference ceiling of this machine: bare asyncio sockets, no SDK, no validation."""
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "x"}]}).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    todo = iter(range(n))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in todo:
            writer.write(head + body)
            headers = await reader.readuntil(b"\r\n\r\n")
            length = int(headers.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            json.loads(await reader.readexactly(length))
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - t0)


_sync_client: openai.OpenAI | None = None


def _init_worker(base: str) -> None:
    global _sync_client
    _sync_client = openai.OpenAI(base_url=base + "/v1", timeout=30)


def _paper_call(i: int) -> dict[str, Any]:
    """One blocking call, as the released script did per item."""
    assert _sync_client is not None
    completion = _sync_client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are a materials-science verifier."},
            {"role": "user", "content": f"Item {i}: Annealing restored the ductility."},
        ],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA,
                                         "strict": True}},
        max_completion_tokens=256,
    )
    return json.loads(completion.choices[0].message.content or "{}")


def run_job(base: str, n: int, concurrency: int) -> dict[str, Any]:
    """The whole app path: `honeybee verify` on a DuckDB file, each score and call record
    committed as it lands (what a kill -9 must not lose)."""
    from honeybee_core.config import load_settings
    from honeybee_core.db import open_database
    from honeybee_core.pipeline import jobs
    from honeybee_core.pipeline.instructor import GenerateParams
    from honeybee_core.repo import Repository

    os.environ["OPENAI_BASE_URL"] = base + "/v1"
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(db=Path(tmp) / "bench.duckdb", runs_dir=Path(tmp) / "runs")
        database = open_database(settings.db)
        repo = Repository(database)
        jobs.run_generate(repo, GenerateParams(n=n, per_call=1, seed=7), settings=settings)
        todo = len(repo.items_to_verify(f"openai:{MODEL}", "verify_v1"))
        t0 = time.perf_counter()
        out = jobs.run_verify(repo, jobs.VerifyParams(provider=OpenAIProvider, model=MODEL,
                                                      concurrency=concurrency), settings=settings)
        seconds = time.perf_counter() - t0
        database.close()
    return {"items": todo, "items_per_s": todo / seconds, "status": out.status}


def run_paper(base: str, n: int, workers: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(base,)) as pool:
        pool.map(_paper_call, range(-workers, 0), chunksize=1)  # warm-up, not timed
        server_call(base, "/_reset")
        t0 = time.perf_counter()
        out = pool.map(_paper_call, range(n), chunksize=1)
        seconds = time.perf_counter() - t0
    stats = server_call(base, "/_stats")
    return {"workers": workers, "seconds": seconds, "items_per_s": n / seconds,
            "failed": sum(not o for o in out), "max_in_flight": stats["max_in_flight"],
            "bound_items_per_s": workers / LATENCY_S}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5, help="async runs; the median counts")
    parser.add_argument("--paper-workers", type=int, default=4)
    parser.add_argument("--provider", choices=("openai", "anthropic"), default="openai",
                        help="SDK for our path and its baseline (the paper's way is OpenAI's)")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve_in_process, args=(child, LATENCY_S), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{parent.recv()}"
    try:
        runs = [asyncio.run(run_async(base, args.items, args.concurrency, r, args.provider))
                for r in range(args.repeats)]
        default = [asyncio.run(run_async(base, args.items, args.concurrency, 100 + r,
                                         args.provider, transport="httpx"))
                   for r in range(args.repeats)]
        raw = asyncio.run(run_raw(int(base.rsplit(":", 1)[1]), args.items, args.concurrency))
        paper = run_paper(base, args.items, args.paper_workers)
        job = run_job(base, args.items, args.concurrency)
    finally:
        server.terminate()
        server.join(5)

    bound = args.concurrency / LATENCY_S
    rates = [r["items_per_s"] for r in runs]
    median = statistics.median(rates)
    mid = runs[rates.index(median)] if median in rates else runs[0]
    print(json.dumps({
        "items": args.items,
        "latency_s": LATENCY_S,
        "concurrency": args.concurrency,
        "bound_items_per_s": bound,
        "items_per_s": round(median, 1),
        "fraction_of_bound": round(median / bound, 3),
        "target_fraction": 0.9,
        "async_runs_items_per_s": [round(x, 1) for x in rates],
        "async_client_cpu_ms_per_item": round(mid["client_cpu_ms_per_item"], 3),
        "async_max_in_flight": mid["max_in_flight"],
        "async_failed": sum(r["failed"] for r in runs),
        "baseline_sdk_default_transport": {
            "items_per_s": round(statistics.median(d["items_per_s"] for d in default), 1),
            "fraction_of_bound": round(
                statistics.median(d["items_per_s"] for d in default) / bound, 3),
            "client_cpu_ms_per_item": round(
                statistics.median(d["client_cpu_ms_per_item"] for d in default), 3),
            "failed": sum(d["failed"] for d in default),
        },
        "whole_verify_job_with_duckdb": {
            "items": job["items"],
            "items_per_s": round(job["items_per_s"], 1),
            "fraction_of_bound": round(job["items_per_s"] / bound, 3),
            "status": job["status"],
        },
        "paper_multiprocessing": {
            "workers": paper["workers"],
            "items_per_s": round(paper["items_per_s"], 1),
            "fraction_of_bound": round(paper["items_per_s"] / bound, 3),
            "own_bound_items_per_s": paper["bound_items_per_s"],
            "max_in_flight": paper["max_in_flight"],
            "failed": paper["failed"],
        },
        "speedup_vs_paper": round(median / paper["items_per_s"], 1),
        "reference_raw_socket_items_per_s": round(raw, 1),
        "reference_raw_fraction_of_bound": round(raw / bound, 3),
        "cpu_count": os.cpu_count(),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "sdk": (f"anthropic {anthropic.__version__}" if args.provider == "anthropic"
                else f"openai {openai.__version__}"),
    }, indent=2))


if __name__ == "__main__":
    main()
