"""A local HTTP server speaking the OpenAI and Anthropic wire protocols, with scriptable faults.

Endpoints: POST /v1/chat/completions, POST /v1/messages, the OpenAI Batch API (POST /v1/files,
POST /v1/batches, GET /v1/batches/{id}, GET /v1/files/{id}/content) and Anthropic Message
Batches (POST /v1/messages/batches, GET /v1/messages/batches/{id}, GET .../results).
GET /_stats returns the counters as JSON and GET /_reset clears them (for a server running in
another process, see serve_in_process).

Answers are schema-valid instances generated from the JSON Schema in the request, seeded by
the prompt, so they are deterministic. Usage counts whitespace tokens.

Faults (see Fault) match requests by a substring of the raw body and apply `times` times.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import hashlib
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

LIVE_PATHS = ("/v1/chat/completions", "/v1/messages")
ROW_FAULTS = ("row_error", "row_expired", "row_invalid")
EXPIRED_MSG = "This request could not be executed before the completion window expired."


@dataclass
class Fault:
    """One scripted misbehaviour.

    kind: "status" (reply `status` with `headers`), "delay" (sleep `delay` s, then answer),
    "reset" (drop the connection with a TCP RST), "invalid" (JSON that breaks the schema),
    "not_json" (prose instead of JSON), "echo_auth" (401 quoting the caller's credential),
    and for batch rows: "row_error", "row_expired", "row_invalid".
    """

    kind: str
    match: str = ""
    times: int = 1  # -1: forever
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    path: str | None = None
    used: int = 0

    def applies(self, path: str, body: bytes) -> bool:
        if self.times != -1 and self.used >= self.times:
            return False
        if self.path is not None and self.path != path:
            return False
        return not self.match or self.match.encode() in body


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


def _tokens(text: str) -> int:
    return len(text.split())


def fake_instance(schema: dict[str, Any], rng: random.Random, hint: str, name: str = "") -> Any:
    """A value valid against the (simple) JSON Schema, deterministic for a given rng."""
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: fake_instance(v, rng, hint, k) for k, v in props.items()}
    if kind == "array":
        return [fake_instance(schema.get("items") or {}, rng, hint, name) for _ in range(2)]
    if kind == "integer":
        return rng.randint(int(schema.get("minimum", 0)), int(schema.get("maximum", 100)))
    if kind == "number":
        return round(rng.uniform(schema.get("minimum", 0.0), schema.get("maximum", 1.0)), 3)
    if kind == "boolean":
        return rng.random() < 0.5
    return f"{name or 'text'} about {hint}".strip()


class FakeLLMServer:
    """Start with start() (own thread and event loop) or serve_forever() (blocking)."""

    def __init__(self, latency: float = 0.0, batch_polls: int = 1, host: str = "127.0.0.1"):
        self.latency = latency
        self.batch_polls = batch_polls  # GETs that still report "in progress"
        self.host = host
        self.port = 0
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.keep_bodies = True
        self.counts: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.msg_batches: dict[str, dict[str, Any]] = {}
        self._ids = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    # -- control ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return self.base_url + "/v1"

    def add_fault(self, kind: str, **kw: Any) -> Fault:
        fault = Fault(kind, **kw)
        with self._lock:
            self.faults.append(fault)
        return fault

    def model_requests(self) -> int:
        return sum(self.counts[p] for p in LIVE_PATHS)

    def open_connections(self) -> int:
        return len(self._writers)

    def reset_stats(self) -> None:
        with self._lock:
            self.counts.clear()
            self.seen.clear()
            self.max_in_flight = self.in_flight

    def stats(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "model_requests": self.model_requests(),
            "max_in_flight": self.max_in_flight,
            "cpu_s": time.process_time(),
        }

    def start(self) -> FakeLLMServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._run(ready),), daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake LLM server did not start")
        return self

    async def _run(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        await self._stop.wait()
        self._server.close()
        # Abort open keep-alive connections (not task.cancel(): 3.11's stream callback then
        # logs a spurious error) and let their handlers finish.
        for writer in list(self._writers):
            writer.transport.abort()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await asyncio.wait(others, timeout=5) if others else None

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    async def serve_forever(self, on_ready: Any = None) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        if on_ready is not None:
            on_ready(self.port)
        async with self._server:
            await self._server.serve_forever()

    # -- HTTP plumbing ---------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await self._read_body(reader, headers)
                path = target.split("?", 1)[0]
                keep = await self._dispatch(method, path, headers, body, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            if not writer.is_closing():
                writer.close()

    @staticmethod
    async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readline()).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readline()
                    return b"".join(chunks)
                chunks.append(await reader.readexactly(size))
                await reader.readline()
        length = int(headers.get("content-length") or 0)
        return await reader.readexactly(length) if length else b""

    @staticmethod
    def _send(
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes | dict[str, Any] | str,
        headers: dict[str, str] | None = None,
        ctype: str = "application/json",
    ) -> None:
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        head = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def _take_fault(self, path: str, body: bytes, kinds: tuple[str, ...]) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.kind in kinds and fault.applies(path, body):
                    fault.used += 1
                    return fault
        return None

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{prefix}{self._ids:06d}"

    async def _dispatch(
        self, method: str, path: str, headers: dict[str, str], body: bytes, w: asyncio.StreamWriter
    ) -> bool:
        with self._lock:
            self.counts[path] += 1
            kept = body if self.keep_bodies else b""
            self.seen.append(Seen(method, path, headers, kept, time.time()))
        if path in LIVE_PATHS and method == "POST":
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await self._live(path, headers, body, w)
            finally:
                self.in_flight -= 1
        if path == "/_stats":
            self._send(w, 200, self.stats())
        elif path == "/_reset":
            self.reset_stats()
            self._send(w, 200, self.stats())
        elif path == "/v1/files" and method == "POST":
            self._send(w, 200, self._upload(headers, body))
        elif path.startswith("/v1/files/") and path.endswith("/content"):
            f = self.files.get(path.split("/")[3])
            if f is None:
                self._send(w, 404, {"error": {"message": "No such file", "type": "not_found"}})
            else:
                self._send(w, 200, f["content"], ctype="application/octet-stream")
        elif path == "/v1/batches" and method == "POST":
            self._send(w, 200, self._openai_batch_create(json.loads(body)))
        elif path.startswith("/v1/batches/"):
            self._send(w, *self._openai_batch_get(path.split("/")[3]))
        elif path == "/v1/messages/batches" and method == "POST":
            self._send(w, 200, self._anthropic_batch_create(json.loads(body)))
        elif path.startswith("/v1/messages/batches/") and path.endswith("/results"):
            b = self.msg_batches.get(path.split("/")[4])
            if b is not None and b["view"]["processing_status"] == "ended":
                self._send(w, 200, b["results"], ctype="application/binary")
            else:
                self._send(w, 404, {"type": "error", "error": {"type": "not_found_error",
                                                               "message": "No results yet"}})
        elif path.startswith("/v1/messages/batches/"):
            self._send(w, *self._anthropic_batch_get(path.split("/")[4]))
        else:
            self._send(w, 404, {"error": {"message": f"no route {method} {path}"}})
        await w.drain()
        return True

    # -- live completions ------------------------------------------------------------------
    async def _live(
        self, path: str, headers: dict[str, str], body: bytes, w: asyncio.StreamWriter
    ) -> bool:
        anth = path == "/v1/messages"
        fault = self._take_fault(
            path, body, ("status", "delay", "reset", "invalid", "not_json", "echo_auth")
        )
        if self.latency:
            await asyncio.sleep(self.latency)
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.kind == "reset":
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            w.transport.abort()
            return False
        if fault is not None and fault.kind in ("status", "echo_auth"):
            status = 401 if fault.kind == "echo_auth" else fault.status
            cred = headers.get("authorization", "") or headers.get("x-api-key", "")
            msg = "Scripted failure"
            if fault.kind == "echo_auth":
                msg = f"Incorrect API key provided: {cred}"
            etype = {429: "rate_limit_error", 401: "authentication_error"}.get(status, "api_error")
            err = (
                {"type": "error", "error": {"type": etype, "message": msg}}
                if anth
                else {"error": {"message": msg, "type": etype, "param": None, "code": None}}
            )
            self._send(w, status, err, headers=fault.headers)
            await w.drain()
            return True
        req = json.loads(body)
        mode = fault.kind if fault is not None else "ok"
        reply = self._anthropic_reply(req, mode) if anth else self._openai_reply(req, mode)
        self._send(w, 200, reply)
        await w.drain()
        return True

    @staticmethod
    def _answer(schema: dict[str, Any], prompt: str, mode: str) -> Any:
        if mode == "invalid":
            return {"unexpected": "this object does not follow the schema"}
        seed = int(hashlib.sha256(prompt.encode()).hexdigest()[:16], 16)
        return fake_instance(schema, random.Random(seed), " ".join(prompt.split()[:6]))

    def _openai_reply(self, req: dict[str, Any], mode: str) -> dict[str, Any]:
        prompt = "\n".join(str(m.get("content", "")) for m in req.get("messages", []))
        schema = (req.get("response_format") or {}).get("json_schema", {}).get("schema", {})
        if mode == "not_json":
            text = "Sure! Here is the JSON you asked for: {accuracy: high"
        else:
            text = json.dumps(self._answer(schema, prompt, mode))
        return {
            "id": self._next_id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.get("model", "unknown"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": _tokens(prompt),
                "completion_tokens": _tokens(text),
                "total_tokens": _tokens(prompt) + _tokens(text),
            },
        }

    def _anthropic_reply(self, req: dict[str, Any], mode: str) -> dict[str, Any]:
        system = req.get("system") or ""
        prompt = "\n".join(
            [system if isinstance(system, str) else ""]
            + [str(m.get("content", "")) for m in req.get("messages", [])]
        ).strip()
        tool = (req.get("tools") or [{}])[0]
        forced = (req.get("tool_choice") or {}).get("name") == tool.get("name")
        if mode == "not_json" or not forced:
            content: list[dict[str, Any]] = [{"type": "text", "text": "I would rather chat."}]
            out_text, stop = content[0]["text"], "end_turn"
        else:
            value = self._answer(tool.get("input_schema", {}), prompt, mode)
            block = {"type": "tool_use", "id": self._next_id("toolu_"), "name": tool["name"]}
            content = [{**block, "input": value}]
            out_text, stop = json.dumps(value), "tool_use"
        return {
            "id": self._next_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": req.get("model", "unknown"),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": _tokens(prompt), "output_tokens": _tokens(out_text)},
        }

    # -- OpenAI Batch API ------------------------------------------------------------------
    def _upload(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + headers["content-type"].encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = (part.get_filename(), part.get_payload(decode=True))
        filename, content = fields["file"]
        purpose = fields.get("purpose", (None, b"batch"))[1].decode()
        return self._store_file(content, filename or "upload.jsonl", purpose)

    def _store_file(self, content: bytes, filename: str, purpose: str) -> dict[str, Any]:
        fid = self._next_id("file-")
        meta = {
            "id": fid,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }
        self.files[fid] = {**meta, "content": content, "meta": meta}
        return meta

    def _openai_batch_create(self, req: dict[str, Any]) -> dict[str, Any]:
        bid = self._next_id("batch_")
        now = int(time.time())
        lines = self.files[req["input_file_id"]]["content"].decode().splitlines()
        out, err = [], []
        expired = False
        for raw in filter(None, lines):
            row = json.loads(raw)
            fault = self._take_fault("batch", raw.encode(), ROW_FAULTS)
            base = {"id": self._next_id("batch_req_"), "custom_id": row["custom_id"]}
            if fault is not None and fault.kind == "row_expired":
                expired = True
                err.append({**base, "response": None, "error": {
                    "code": "batch_expired",
                    "message": EXPIRED_MSG}})
            elif fault is not None and fault.kind == "row_error":
                err.append({**base, "error": None, "response": {
                    "status_code": 500, "request_id": self._next_id("req_"),
                    "body": {"error": {"message": "Scripted row failure",
                                       "type": "server_error"}}}})
            else:
                mode = "invalid" if fault is not None else "ok"
                out.append({**base, "error": None, "response": {
                    "status_code": 200, "request_id": self._next_id("req_"),
                    "body": self._openai_reply(row["body"], mode)}})
        jsonl = lambda rows: "".join(json.dumps(r) + "\n" for r in rows).encode()  # noqa: E731
        out_id = self._store_file(jsonl(out), "output.jsonl", "batch_output")["id"] if out else None
        err_id = self._store_file(jsonl(err), "errors.jsonl", "batch_output")["id"] if err else None
        view = {
            "id": bid, "object": "batch", "endpoint": req["endpoint"], "errors": None,
            "input_file_id": req["input_file_id"], "completion_window": req["completion_window"],
            "status": "validating", "output_file_id": None, "error_file_id": None,
            "created_at": now, "in_progress_at": None, "expires_at": now + 86400,
            "completed_at": None, "expired_at": None, "metadata": req.get("metadata"),
            "request_counts": {"total": len(out) + len(err), "completed": 0, "failed": 0},
        }
        final = {
            **view, "status": "expired" if expired else "completed", "output_file_id": out_id,
            "error_file_id": err_id, "in_progress_at": now,
            ("expired_at" if expired else "completed_at"): now,
            "request_counts": {"total": len(out) + len(err), "completed": len(out),
                               "failed": len(err)},
        }
        self.batches[bid] = {"view": view, "final": final, "polls": 0}
        return view

    def _openai_batch_get(self, bid: str) -> tuple[int, dict[str, Any]]:
        b = self.batches.get(bid)
        if b is None:
            return 404, {"error": {"message": "No such batch", "type": "invalid_request_error"}}
        b["polls"] += 1
        if b["polls"] > self.batch_polls:
            b["view"] = b["final"]
        else:
            b["view"] = {**b["view"], "status": "in_progress"}
        return 200, b["view"]

    # -- Anthropic Message Batches ---------------------------------------------------------
    def _anthropic_batch_create(self, req: dict[str, Any]) -> dict[str, Any]:
        bid = self._next_id("msgbatch_")
        now = datetime.now(UTC)
        rows, counts = [], Counter()
        for item in req["requests"]:
            raw = json.dumps(item).encode()
            fault = self._take_fault("batch", raw, ROW_FAULTS)
            if fault is not None and fault.kind == "row_expired":
                result: dict[str, Any] = {"type": "expired"}
                counts["expired"] += 1
            elif fault is not None and fault.kind == "row_error":
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": "api_error", "message": "Scripted row failure"}}}
                counts["errored"] += 1
            else:
                mode = "invalid" if fault is not None else "ok"
                message = self._anthropic_reply(item["params"], mode)
                result = {"type": "succeeded", "message": message}
                counts["succeeded"] += 1
            rows.append({"custom_id": item["custom_id"], "result": result})
        iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
        view = {
            "id": bid, "type": "message_batch", "processing_status": "in_progress",
            "request_counts": {"processing": len(rows), "succeeded": 0, "errored": 0,
                               "canceled": 0, "expired": 0},
            "ended_at": None, "created_at": iso(now), "expires_at": iso(now + timedelta(days=1)),
            "archived_at": None, "cancel_initiated_at": None, "results_url": None,
        }
        final = {
            **view, "processing_status": "ended", "ended_at": iso(now),
            "request_counts": {"processing": 0, "succeeded": counts["succeeded"],
                               "errored": counts["errored"], "canceled": 0,
                               "expired": counts["expired"]},
            "results_url": f"{self.base_url}/v1/messages/batches/{bid}/results",
        }
        results = "".join(json.dumps(r) + "\n" for r in rows).encode()
        self.msg_batches[bid] = {"view": view, "final": final, "polls": 0, "results": results}
        return view

    def _anthropic_batch_get(self, bid: str) -> tuple[int, dict[str, Any]]:
        b = self.msg_batches.get(bid)
        if b is None:
            return 404, {"type": "error",
                         "error": {"type": "not_found_error", "message": "No batch"}}
        b["polls"] += 1
        if b["polls"] > self.batch_polls:
            b["view"] = b["final"]
        return 200, b["view"]


def serve_in_process(port_conn: Any, latency: float) -> None:
    """Target for multiprocessing: run a server and send its port back through a Pipe end."""
    server = FakeLLMServer(latency=latency)
    server.keep_bodies = False
    asyncio.run(server.serve_forever(on_ready=port_conn.send))
