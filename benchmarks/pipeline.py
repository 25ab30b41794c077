"""Whole-job throughput side by side: `honeybee generate` against distilabel, one stand-in, one run.

A local server (tests/fake_llm_server.py, in its own process) answers OpenAI Chat Completions
after --latency seconds, so `concurrency / latency` is the bound. For each concurrency:

- ours: the whole generate job (jobs.run_generate: plan, the real OpenAI SDK, validation, the
  spool, group commits of call records and items into a fresh DuckDB file, near-duplicate
  checks), per_call=1 so N items are N requests; once per HTTP transport named in
  --transports (the SDKs' DefaultAioHttpClient, our opt-in KeepAliveTransport, the SDKs'
  default httpx client); medians of --repeats.
- distilabel 1.5.3: TextGeneration(OpenAILLM) over the same N prompts (same system prompt),
  input_batch_size = concurrency, timed around pipeline.run(). It runs in a virtual environment
  this script creates (--peer-venv), never in the app's. "steady" subtracts its start-up,
  measured by a run of one batch.

Then, once: the whole `honeybee verify` job against the paper's released script's way (4
processes, one blocking call each) and against bare asyncio sockets (what the stand-in serves at
all). Prints one JSON object. The SDK modules are imported before timing (a running app has
them); everything else a job does is inside the timing.

    .venv/bin/python benchmarks/pipeline.py [--items 1000] [--concurrency 64 256] [--repeats 3]
        [--busy-cores 1]   # a busy loop holding one core throughout
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anthropic  # noqa: E402,F401 - imported before timing, as a running app has it
import openai  # noqa: E402

from honeybee_core.auth import CLI_ACTOR  # noqa: E402
from honeybee_core.config import load_settings  # noqa: E402
from honeybee_core.pipeline import instructor, jobs  # noqa: E402
from honeybee_core.pipeline.instructor import GenerateParams  # noqa: E402
from honeybee_core.providers.openai_provider import OpenAIProvider  # noqa: E402
from honeybee_core.providers.schemas import VERDICT_SCHEMA  # noqa: E402
from honeybee_core.store import Repository, open_database  # noqa: E402
from tests.fake_llm_server import serve_in_process  # noqa: E402

MODEL = "gpt-4o-mini"
PEER_PACKAGES = ["distilabel[openai]==1.5.3", "openai==1.61.1", "requests==2.34.2",
                 "beautifulsoup4==4.15.0"]  # distilabel imports the last two without declaring
DEFAULT_PEER_VENV = Path.home() / ".cache" / "honeybee-bench" / "distilabel-1.5.3"
# Only the local server is contacted; never send a real key to it.
os.environ["OPENAI_API_KEY"] = "sk-local-benchmark-not-a-real-key"


def server_call(base: str, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(base + path, timeout=10) as resp:
        return json.load(resp)


def generate_params(n: int, concurrency: int, seed: int = 7) -> GenerateParams:
    return GenerateParams(n=n, per_call=1, seed=seed, provider=OpenAIProvider, model=MODEL,
                          concurrency=concurrency)


def run_ours(base: str, n: int, concurrency: int, transport: str, seed: int) -> dict[str, Any]:
    """The whole generate job on a fresh DuckDB file."""
    os.environ["OPENAI_BASE_URL"] = base + "/v1"
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(db=Path(tmp) / "bench.duckdb", runs_dir=Path(tmp) / "runs",
                                 http_transport=transport)
        database = open_database(settings.db)
        repo = Repository(database)
        server_call(base, "/_reset")
        cpu0, t0 = time.process_time(), time.perf_counter()
        out = jobs.run_generate(repo, generate_params(n, concurrency, seed), settings=settings,
                                actor=CLI_ACTOR)
        seconds = time.perf_counter() - t0
        cpu_ms = (time.process_time() - cpu0) * 1000 / n
        database.close()
    stats = server_call(base, "/_stats")
    return {"items_per_s": n / seconds, "cpu_ms_per_item": cpu_ms, "status": out.status,
            "commits": out.commits, "max_in_flight": stats["max_in_flight"]}


def ensure_peer_venv(venv: Path) -> Path:
    """distilabel's own virtual environment, created and filled on first use."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *PEER_PACKAGES], check=True)
    return python


def run_distilabel(python: Path, base: str, n: int, concurrency: int) -> dict[str, Any]:
    calls = instructor.plan_calls(generate_params(n, concurrency), None)
    reqs = [instructor.build_request(call, False) for call in calls]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump({"base_url": base + "/v1", "model": MODEL, "concurrency": concurrency,
                   "system": reqs[0].system, "prompts": [r.prompt for r in reqs]}, spec)
    try:
        server_call(base, "/_reset")
        out = subprocess.run([str(python), str(ROOT / "benchmarks" / "distilabel_peer.py"),
                              spec.name], capture_output=True, text=True, timeout=1800)
    finally:
        os.unlink(spec.name)
    if out.returncode != 0:
        raise RuntimeError(f"distilabel run failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["max_in_flight"] = server_call(base, "/_stats")["max_in_flight"]
    return result


def compare(base: str, python: Path | None, n: int, concurrency: int, latency: float,
            transports: list[str], repeats: int) -> dict[str, Any]:
    bound = concurrency / latency
    ours: dict[str, Any] = {}
    for transport in transports:
        runs = [run_ours(base, n, concurrency, transport, seed=7 + r) for r in range(repeats)]
        rates = [r["items_per_s"] for r in runs]
        ours[transport] = {
            "items_per_s": round(statistics.median(rates), 1),
            "runs_items_per_s": [round(x, 1) for x in rates],
            "cpu_ms_per_item": round(statistics.median(r["cpu_ms_per_item"] for r in runs), 3),
            "fraction_of_bound": round(statistics.median(rates) / bound, 3),
            "group_commits": [r["commits"] for r in runs],
            "max_in_flight": max(r["max_in_flight"] for r in runs),
            "status": sorted({r["status"] for r in runs}),
        }
    best = max(ours.values(), key=lambda o: o["items_per_s"])["items_per_s"]
    default = ours[transports[0]]["items_per_s"]
    row: dict[str, Any] = {"concurrency": concurrency, "bound_items_per_s": bound,
                           "ours": ours}
    if python is not None:
        whole = run_distilabel(python, base, n, concurrency)
        one_batch = run_distilabel(python, base, concurrency, concurrency)
        steady = (n - concurrency) / max(1e-9, whole["seconds"] - one_batch["seconds"])
        row["distilabel"] = {
            "items_per_s": round(whole["items_per_s"], 1),
            "steady_items_per_s": round(steady, 1),
            "start_up_s": round(one_batch["seconds"] - latency, 1),
            "generated": whole["generated"], "max_in_flight": whole["max_in_flight"],
            "fraction_of_bound": round(whole["items_per_s"] / bound, 3),
        }
        row["ratio_ours_vs_distilabel"] = round(default / whole["items_per_s"], 2)
        row["ratio_ours_vs_distilabel_steady"] = round(default / steady, 2)
    row["targets"] = {"ratio_vs_distilabel": 2.0, "fraction_of_bound": 0.8,
                      "met_ratio": row.get("ratio_ours_vs_distilabel", 0) >= 2.0,
                      "met_fraction": default / bound >= 0.8}
    row["best_transport_items_per_s"] = best
    return row


# -- the verify job against the paper's script and bare sockets ------------------------------
_sync_client: openai.OpenAI | None = None


def _init_worker(base: str) -> None:
    global _sync_client
    _sync_client = openai.OpenAI(base_url=base + "/v1", timeout=30)


def _paper_call(i: int) -> dict[str, Any]:
    """One blocking call, as the released script did per item."""
    assert _sync_client is not None
    completion = _sync_client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": "You are a materials-science verifier."},
                  {"role": "user", "content": f"Item {i}: Annealing restored the ductility."}],
        response_format={"type": "json_schema", "json_schema": {
            "name": "verdict", "schema": VERDICT_SCHEMA, "strict": True}},
        max_completion_tokens=256,
    )
    return json.loads(completion.choices[0].message.content or "{}")


def run_paper(base: str, n: int, workers: int) -> float:
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(base,)) as pool:
        pool.map(_paper_call, range(-workers, 0), chunksize=1)  # warm-up, not timed
        t0 = time.perf_counter()
        pool.map(_paper_call, range(n), chunksize=1)
        return n / (time.perf_counter() - t0)


async def run_raw(port: int, n: int, concurrency: int) -> float:
    """What the stand-in serves at all: bare asyncio sockets, no SDK, no validation."""
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


def run_verify_job(base: str, n: int, concurrency: int) -> float:
    os.environ["OPENAI_BASE_URL"] = base + "/v1"
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(db=Path(tmp) / "bench.duckdb", runs_dir=Path(tmp) / "runs")
        database = open_database(settings.db)
        repo = Repository(database)
        jobs.run_generate(repo, GenerateParams(n=n, per_call=1, seed=7), settings=settings,
                          actor=CLI_ACTOR)
        todo = len(repo.items_to_verify(f"openai:{MODEL}", "verify_v1"))
        t0 = time.perf_counter()
        jobs.run_verify(repo, jobs.VerifyParams(provider=OpenAIProvider, model=MODEL,
                                                concurrency=concurrency), settings=settings,
                        actor=CLI_ACTOR)
        seconds = time.perf_counter() - t0
        database.close()
    return todo / seconds


def spin() -> None:
    """A busy loop holding one core, as another program on a shared machine would."""
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3, help="runs of ours; the median counts")
    parser.add_argument("--transports", default="aiohttp,keepalive,httpx",
                        help="HONEYBEE_HTTP_TRANSPORT values for ours; the first one's figures "
                        "are compared with distilabel (aiohttp is the app's default)")
    parser.add_argument("--peer-venv", type=Path, default=DEFAULT_PEER_VENV)
    parser.add_argument("--no-peer", action="store_true", help="skip distilabel")
    parser.add_argument("--paper-workers", type=int, default=4)
    parser.add_argument("--busy-cores", type=int, default=0,
                        help="busy loops holding this many cores for the whole run")
    args = parser.parse_args()
    transports = args.transports.split(",")

    python = None if args.no_peer else ensure_peer_venv(args.peer_venv)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve_in_process, args=(child, args.latency), daemon=True)
    server.start()
    port = parent.recv()
    base = f"http://127.0.0.1:{port}"
    spinners = [ctx.Process(target=spin, daemon=True) for _ in range(args.busy_cores)]
    for proc in spinners:
        proc.start()
    try:
        rows = [compare(base, python, args.items, c, args.latency, transports, args.repeats)
                for c in args.concurrency]
        verify = run_verify_job(base, args.items, args.concurrency[0])
        paper = run_paper(base, args.items, args.paper_workers)
        raw = asyncio.run(run_raw(port, args.items, args.concurrency[0]))
    finally:
        for proc in [server, *spinners]:
            proc.terminate()
            proc.join(5)

    def versus_keepalive(name: str) -> list[float] | None:
        if name not in transports or "keepalive" not in transports:
            return None
        return [round(r["ours"][name]["items_per_s"] / r["ours"]["keepalive"]["items_per_s"], 3)
                for r in rows]

    print(json.dumps({
        "items": args.items,
        "latency_s": args.latency,
        "generate_job": {str(r["concurrency"]): r for r in rows},
        "whole_job_vs_keepalive": {t: versus_keepalive(t) for t in transports
                                   if t != "keepalive"},
        "verify_job": {
            "concurrency": args.concurrency[0],
            "items_per_s": round(verify, 1),
            "paper_script_items_per_s": round(paper, 1),
            "ratio_vs_paper": round(verify / paper, 2),
            "bare_sockets_items_per_s": round(raw, 1),
            "fraction_of_bare_sockets": round(verify / raw, 3),
        },
        "cpu_count": os.cpu_count(),
        "busy_cores": args.busy_cores,
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "sdk": f"openai {openai.__version__}",
    }, indent=2))


if __name__ == "__main__":
    main()
