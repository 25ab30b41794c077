"""KeepAliveTransport byte by byte: framing, keep-alive, failures, TLS, and an SDK on top."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import socket
import ssl
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from honeybee_core.providers import transport
from honeybee_core.providers.transport import KeepAliveTransport, make_http_client

Reply = bytes | Callable[[asyncio.StreamWriter], Any]


class ScriptedServer:
    """Answers each request with the next scripted raw reply; records requests and connections."""

    def __init__(self, replies: list[Reply], tls: ssl.SSLContext | None = None) -> None:
        self.replies = list(replies)
        self.tls = tls
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body)
        self.connections = 0
        self.port = 0

    async def __aenter__(self) -> ScriptedServer:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=self.tls)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()

    def url(self, path: str = "/v1/thing") -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.requests.append((head, body))
                reply = self.replies.pop(0)
                if callable(reply):
                    if await reply(writer) is False:
                        return
                    continue
                writer.write(reply)
                await writer.drain()
                if not self.replies:  # the script is done: hang up, as after a truncated body
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes, *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json",
            b"Content-Length: %d" % len(body), *extra]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def then_close(raw: bytes) -> Callable[[asyncio.StreamWriter], Any]:
    """A reply after which the server hangs up (Connection: close, EOF-delimited bodies)."""

    async def reply(writer: asyncio.StreamWriter) -> bool:
        writer.write(raw)
        await writer.drain()
        return False

    return reply


async def fetch(srv: ScriptedServer, n: int = 1, method: str = "GET", **kw: Any
                ) -> list[httpx2.Response]:
    async with httpx2.AsyncClient(transport=KeepAliveTransport()) as client:
        return [await client.request(method, srv.url(), **kw) for _ in range(n)]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_content_length_responses_reuse_one_connection():
    async def go():
        async with ScriptedServer([ok(b'{"a": 1}'), ok(b'{"a": 2}'), ok(b'{"a": 3}')]) as srv:
            out = await fetch(srv, 3)
            return srv, out

    srv, out = run(go())
    assert [r.json()["a"] for r in out] == [1, 2, 3]
    assert srv.connections == 1
    assert out[0].http_version == "HTTP/1.1" and out[0].reason_phrase == "OK"


def test_chunked_body_with_extensions_and_trailers_is_reassembled():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;name=x\r\n{\"a\":\r\n3\r\n 42\r\n1\r\n}\r\n0\r\nX-Trailer: yes\r\n\r\n")

    async def go():
        async with ScriptedServer([chunked, ok(b"{}")]) as srv:
            return srv, await fetch(srv, 2)

    srv, out = run(go())
    assert out[0].json() == {"a": 42}
    assert srv.connections == 1  # the chunked response ended cleanly, so the stream was reused


def test_connection_close_and_eof_delimited_bodies_open_a_new_connection():
    close = ok(b'{"a": 1}', b"Connection: close")
    eof = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"

    async def go():
        async with ScriptedServer([then_close(close), then_close(eof), ok(b"{}")]) as srv:
            return srv, await fetch(srv, 3)

    srv, out = run(go())
    assert out[0].json() == {"a": 1}
    assert out[1].text == "until the end"
    assert srv.connections == 3


def test_head_204_and_interim_responses_carry_no_body():
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b'{"after": "interim"}')

    async def go():
        async with ScriptedServer([no_content, interim]) as srv:
            return srv, await fetch(srv, 2)

    srv, out = run(go())
    assert out[0].status_code == 204 and out[0].content == b""
    assert out[1].json() == {"after": "interim"}
    assert srv.connections == 1


def test_gzip_bodies_are_decoded_as_httpx_does():
    body = gzip.compress(json.dumps({"score": 88}).encode())

    async def go():
        async with ScriptedServer([ok(body, b"Content-Encoding: gzip")]) as srv:
            return await fetch(srv)

    assert run(go())[0].json() == {"score": 88}


def test_request_is_sent_with_its_query_headers_and_a_content_length():
    async def stream():
        yield b"part one, "
        yield b"part two"

    async def go():
        async with ScriptedServer([ok(b"{}"), ok(b"{}")]) as srv:
            async with httpx2.AsyncClient(transport=KeepAliveTransport()) as client:
                await client.post(srv.url("/v1/files?purpose=batch"), content=stream(),
                                  headers={"X-Api-Key": "k"})
                await client.post(srv.url("/v1/upload"),
                                  files={"file": ("rows.jsonl", b'{"x": 1}\n')})
            return srv

    srv = run(go())
    head, body = srv.requests[0]
    assert head.startswith(b"POST /v1/files?purpose=batch HTTP/1.1\r\n")
    assert b"\r\nhost: 127.0.0.1:%d\r\n" % srv.port in head.lower()  # required by HTTP/1.1
    assert b"x-api-key: k" in head.lower() and b"transfer-encoding" not in head.lower()
    assert b"content-length: 18\r\n" in head.lower() and body == b"part one, part two"
    head, body = srv.requests[1]
    assert b"multipart/form-data" in head and b'{"x": 1}\n' in body


def test_idle_connection_closed_by_the_server_is_not_reused():
    async def go():
        # keep-alive promised, then the server hangs up while the connection is idle
        async with ScriptedServer([then_close(ok(b'{"a": 1}')), ok(b'{"a": 2}')]) as srv:
            async with httpx2.AsyncClient(transport=KeepAliveTransport()) as client:
                first = await client.get(srv.url())
                await asyncio.sleep(0.05)  # the FIN reaches the idle connection
                second = await client.get(srv.url())
            return srv, first, second

    srv, first, second = run(go())
    assert (first.json(), second.json()) == ({"a": 1}, {"a": 2})
    assert srv.connections == 2


def test_a_reused_connection_closed_as_the_request_arrives_is_retried_on_a_new_one():
    async def hang_up(writer: asyncio.StreamWriter) -> bool:
        return False  # read the request, answer nothing, close cleanly: an idle-timeout race

    async def go():
        async with ScriptedServer([ok(b'{"a": 1}'), hang_up, ok(b'{"a": 2}')]) as srv:
            return srv, await fetch(srv, 2)

    srv, out = run(go())
    assert [r.json() for r in out] == [{"a": 1}, {"a": 2}]
    assert srv.connections == 2 and len(srv.requests) == 3


def test_a_reset_after_the_request_is_an_error_not_a_silent_resend():
    async def reset(writer: asyncio.StreamWriter) -> bool:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return False

    async def go():
        async with ScriptedServer([ok(b'{"a": 1}'), reset]) as srv:
            async with httpx2.AsyncClient(transport=KeepAliveTransport()) as client:
                await client.get(srv.url())
                with pytest.raises(httpx2.ReadError):
                    await client.get(srv.url())
            return srv

    assert len(run(go()).requests) == 2


def test_idle_connections_expire(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(transport, "KEEPALIVE_EXPIRY_S", 0.0)

    async def go():
        async with ScriptedServer([ok(b"{}"), ok(b"{}")]) as srv:
            await fetch(srv, 2)
            return srv

    assert run(go()).connections == 2


@pytest.mark.parametrize(("reply", "error", "words"), [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", httpx2.RemoteProtocolError,
     "95 body bytes unsent"),
    (b"SMTP ready\r\n\r\n", httpx2.RemoteProtocolError, "Malformed status line"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n",
     httpx2.RemoteProtocolError, "Malformed header line"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", httpx2.RemoteProtocolError,
     "Malformed chunk size"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
     httpx2.RemoteProtocolError, "Invalid Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 70_000,
     httpx2.RemoteProtocolError, "chunk-size line exceeds"),
    (b"", httpx2.RemoteProtocolError, "without sending a response"),
], ids=["truncated-body", "not-http", "bad-header", "bad-chunk-size", "two-lengths",
        "huge-chunk-line", "hang-up"])
def test_broken_responses_raise_httpx_errors(reply: bytes, error: type[Exception], words: str):
    async def go():
        async with ScriptedServer([reply]) as srv:
            await fetch(srv)

    with pytest.raises(error, match=words):
        run(go())


def test_timeouts_and_refused_connections_raise_httpx_errors():
    async def stall(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(2)

    async def go():
        lean = KeepAliveTransport()
        async with ScriptedServer([stall]) as srv, httpx2.AsyncClient(transport=lean,
                                                                      timeout=0.2) as client:
            with pytest.raises(httpx2.ReadTimeout):
                await client.get(srv.url())
        port = srv.port  # closed now: nothing listens there
        async with httpx2.AsyncClient(transport=KeepAliveTransport()) as client:
            with pytest.raises(httpx2.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/")

    run(go())


def test_a_cancelled_request_does_not_leave_its_connection_in_the_pool():
    async def stall(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.3)
        writer.write(ok(b'{"late": true}'))

    async def go():
        async with ScriptedServer([stall, ok(b'{"a": 2}')]) as srv:
            async with httpx2.AsyncClient(transport=KeepAliveTransport()) as client:
                task = asyncio.create_task(client.get(srv.url()))
                await asyncio.sleep(0.1)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                again = await client.get(srv.url())
            return srv, again

    srv, again = run(go())
    assert again.json() == {"a": 2}  # not the late answer to the cancelled request
    assert srv.connections == 2


def test_unsupported_scheme_is_refused():
    async def go():
        async with httpx2.AsyncClient(transport=KeepAliveTransport()) as client:
            await client.get("ftp://127.0.0.1/x")

    with pytest.raises(httpx2.UnsupportedProtocol, match="use http or https"):
        run(go())


def test_a_configured_proxy_keeps_the_sdk_default_transport(monkeypatch: pytest.MonkeyPatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
                "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    assert isinstance(make_http_client(), httpx2.AsyncClient)
    monkeypatch.setenv("NO_PROXY", "localhost")
    assert isinstance(make_http_client(), httpx2.AsyncClient)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert make_http_client() is None


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    return server_ctx, client_ctx


def test_https_verifies_the_certificate_and_reuses_the_connection(tls_pair):
    server_ctx, client_ctx = tls_pair

    async def go():
        async with ScriptedServer([ok(b'{"a": 1}'), ok(b'{"a": 2}')], tls=server_ctx) as srv:
            async with httpx2.AsyncClient(transport=KeepAliveTransport(client_ctx)) as client:
                out = [(await client.get(srv.url())).json() for _ in range(2)]
            async with httpx2.AsyncClient(transport=KeepAliveTransport()) as untrusting:
                with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await untrusting.get(srv.url())
            return srv, out

    srv, out = run(go())
    assert out == [{"a": 1}, {"a": 2}]
    assert srv.connections == 1  # both trusted calls on one stream; the refused one never got in


def test_the_openai_sdk_maps_transport_errors_to_its_own(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")

    async def stall(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(2)

    async def go():
        async with ScriptedServer([stall, b"garbage\r\n\r\n"]) as srv:
            sdk = openai.AsyncOpenAI(base_url=srv.url("/v1"), max_retries=0, timeout=0.2,
                                     http_client=make_http_client())
            with pytest.raises(openai.APITimeoutError):
                await sdk.models.list()
            with pytest.raises(openai.APIConnectionError):
                await sdk.models.list()
            await sdk.close()

    run(go())
