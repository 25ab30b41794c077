"""A lean HTTP/1.1 keep-alive transport under the SDKs' httpx clients.

Why: with 64 calls in flight, httpx's default transport (httpcore + anyio + h11) spends about
0.5 ms of CPU per request and, more costly, adds several event-loop round trips between a
response arriving and the next request leaving; measured against a 100 ms server it alone
holds throughput to 0.86 of the concurrency bound. The SDK stays in charge of everything
above the socket (request building, auth headers, error types, response parsing); this class
only moves bytes: one asyncio stream per connection, idle connections reused for
KEEPALIVE_EXPIRY_S, responses read whole (the SDK calls here never stream).

Framing follows RFC 9112 section 6.3: no body for HEAD, 1xx, 204 and 304; chunked transfer
coding; Content-Length; otherwise read to EOF. Failures surface as httpx's own exception types
(ConnectError, ReadTimeout, ReadError, RemoteProtocolError...), which the SDKs turn into
APIConnectionError/APITimeoutError exactly as they do for the default transport.

Proxies are not spoken here: make_http_client falls back to httpx's transport when the
environment names one, or when HONEYBEE_HTTP_TRANSPORT=httpx asks for it.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.request
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx2

KEEPALIVE_EXPIRY_S = 5.0  # as httpx: servers commonly drop idle connections after 5-75 s
MAX_IDLE_PER_HOST = 256
_READ_SIZE = 1 << 16
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NO_BODY_STATUS = (204, 304)
_T = TypeVar("_T")
Headers = list[tuple[bytes, bytes]]


class _NothingReceived(httpx2.RemoteProtocolError):
    """A clean close before any response byte. On a reused connection this is the server's
    idle timeout crossing our request (uvicorn, under vLLM, closes after 5 s; we expire at 5 s),
    so the request is sent again on a new connection at once: LLMClient would resend it anyway,
    only after a backoff and with a failed attempt on record."""


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = field(default_factory=time.monotonic)

    def reusable(self, now: float) -> bool:
        # A server that closed the idle connection has fed EOF to the reader by now.
        return (not self.writer.is_closing() and not self.reader.at_eof()
                and now - self.idle_since < KEEPALIVE_EXPIRY_S)

    def close(self) -> None:
        self.writer.close()


class KeepAliveTransport(httpx2.AsyncBaseTransport):
    """HTTP/1.1 over asyncio streams; connections are bound to the event loop that opened them."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl = ssl_context
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._closed = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx2.UnsupportedProtocol(
                f"Request URL {str(url)!r} has scheme {url.scheme!r}; use http or https.",
                request=request)
        key = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        timeouts: dict[str, float | None] = request.extensions.get("timeout") or {}
        body = await request.aread()
        data = _request_head(request, body) + body
        conn = self._take_idle(key)
        if conn is not None:
            try:
                return await self._exchange(key, conn, request, data, timeouts)
            except _NothingReceived:
                pass  # the server closed this idle connection as we reused it: send again
        conn = await self._connect(key, timeouts.get("connect"), request)
        return await self._exchange(key, conn, request, data, timeouts)

    async def _exchange(self, key: tuple[str, str, int], conn: _Connection,
                        request: httpx2.Request, data: bytes,
                        timeouts: dict[str, float | None]) -> httpx2.Response:
        try:
            conn.writer.write(data)
            await _timed(conn.writer.drain(), timeouts.get("write"), httpx2.WriteTimeout, request)
            status, reason, headers, version = await _read_head(
                conn.reader, timeouts.get("read"), request)
            content, keep = await _read_body(
                conn.reader, request.method, status, headers, timeouts.get("read"), request)
        except httpx2.HTTPError:
            conn.close()
            raise
        except (OSError, EOFError) as exc:  # EOFError: IncompleteReadError inside a body
            conn.close()
            raise httpx2.ReadError(_describe(exc, "the connection broke"), request=request) from exc
        except asyncio.LimitOverrunError as exc:
            conn.close()
            raise httpx2.RemoteProtocolError(
                f"A chunk-size line exceeds {_READ_SIZE} bytes.", request=request) from exc
        except BaseException:  # cancelled mid-exchange: the stream is in an unknown state
            conn.close()
            raise
        keep = keep and version == b"HTTP/1.1" and not _has_token(headers, b"connection", b"close")
        idle = self._idle.setdefault(key, [])
        if keep and not self._closed and len(idle) < MAX_IDLE_PER_HOST:
            conn.idle_since = time.monotonic()
            idle.append(conn)
        else:
            conn.close()
        return httpx2.Response(status, headers=headers, content=content, request=request,
                               extensions={"http_version": version, "reason_phrase": reason})

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # the most recently used is the least likely to be stale
            if conn.reusable(now):
                return conn
            conn.close()
        return None

    async def _connect(self, key: tuple[str, str, int], timeout: float | None,
                       request: httpx2.Request) -> _Connection:
        scheme, host, port = key
        tls = None
        if scheme == "https":
            tls = self._ssl or ssl.create_default_context()
        try:
            reader, writer = await _timed(
                # happy eyeballs, as httpcore: a host with a dead IPv6 route falls back to IPv4
                asyncio.open_connection(host, port, ssl=tls, server_hostname=host if tls else None,
                                        limit=_READ_SIZE, happy_eyeballs_delay=0.25),
                timeout, httpx2.ConnectTimeout, request)
        except (OSError, ssl.SSLError) as exc:
            raise httpx2.ConnectError(_describe(exc, f"cannot connect to {host}:{port}"),
                                      request=request) from exc
        return _Connection(reader, writer)

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def make_http_client(ssl_context: ssl.SSLContext | None = None) -> httpx2.AsyncClient | None:
    """An httpx client on KeepAliveTransport, or None (use the SDK's client) when a proxy is
    set."""
    if set(urllib.request.getproxies()) - {"no"}:  # NO_PROXY alone
        return None
    # follow_redirects as the SDKs' default clients do
    return httpx2.AsyncClient(transport=KeepAliveTransport(ssl_context), follow_redirects=True)


async def _timed(aw: Awaitable[_T], seconds: float | None, error: type[httpx2.TimeoutException],
                 request: httpx2.Request) -> _T:
    if seconds is None:
        return await aw
    try:
        async with asyncio.timeout(seconds):
            return await aw
    except TimeoutError:
        raise error(f"no progress within {seconds:g} s", request=request) from None


def _describe(exc: BaseException, fallback: str) -> str:
    return str(exc) or f"{fallback} ({type(exc).__name__})"


def _request_head(request: httpx2.Request, body: bytes) -> bytes:
    # The body was read whole, so it is always sent with a Content-Length.
    lines = [b"%s %s HTTP/1.1" % (request.method.encode("ascii"), request.url.raw_path)]
    lines += [k + b": " + v for k, v in request.headers.raw
              if k.lower() not in (b"content-length", b"transfer-encoding")]
    if body or request.method in ("POST", "PUT", "PATCH"):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def _read_head(reader: asyncio.StreamReader, timeout: float | None,
                     request: httpx2.Request) -> tuple[int, bytes, Headers, bytes]:
    while True:
        try:
            raw = await _timed(reader.readuntil(b"\r\n\r\n"), timeout, httpx2.ReadTimeout, request)
        except asyncio.IncompleteReadError as exc:
            error = httpx2.RemoteProtocolError if exc.partial else _NothingReceived
            raise error("Server disconnected without sending a response.",
                        request=request) from exc
        except asyncio.LimitOverrunError as exc:
            raise httpx2.RemoteProtocolError(
                f"Response headers exceed {_READ_SIZE} bytes.", request=request) from exc
        lines = raw[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise httpx2.RemoteProtocolError(
                f"Malformed status line {lines[0][:80]!r}.", request=request)
        status = int(parts[1])
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise httpx2.RemoteProtocolError(
                    f"Malformed header line {line[:80]!r}.", request=request)
            headers.append((name.strip(), value.strip()))
        if not 100 <= status < 200:  # interim responses (100 Continue, 103) are skipped
            return status, parts[2] if len(parts) > 2 else b"", headers, parts[0]


async def _read_body(reader: asyncio.StreamReader, method: str, status: int,
                     headers: Headers, timeout: float | None,
                     request: httpx2.Request) -> tuple[bytes, bool]:
    """The response body and whether the connection may carry another request."""
    if method == "HEAD" or status in _NO_BODY_STATUS:
        return b"", True

    async def read(aw: Awaitable[bytes]) -> bytes:
        return await _timed(aw, timeout, httpx2.ReadTimeout, request)

    if _has_token(headers, b"transfer-encoding", b"chunked"):
        chunks: list[bytes] = []
        while True:
            size_line = await read(reader.readuntil(b"\r\n"))
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise httpx2.RemoteProtocolError(
                    f"Malformed chunk size {size_line[:40]!r}.", request=request) from None
            if size == 0:
                while await read(reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailer fields are dropped, as httpx does
                return b"".join(chunks), True
            chunks.append(await read(reader.readexactly(size)))
            await read(reader.readexactly(2))
    lengths = {v for k, v in headers if k.lower() == b"content-length"}
    if lengths:
        if len(lengths) > 1 or not next(iter(lengths)).isdigit():
            raise httpx2.RemoteProtocolError(
                f"Invalid Content-Length {sorted(lengths)!r}.", request=request)
        remaining = int(next(iter(lengths)))
        parts = []
        while remaining:  # piecewise, so the read timeout bounds each step, not the whole body
            part = await read(reader.read(min(remaining, _READ_SIZE)))
            if not part:
                raise httpx2.RemoteProtocolError(
                    f"Server closed the connection with {remaining} body bytes unsent.",
                    request=request)
            parts.append(part)
            remaining -= len(part)
        return b"".join(parts), True
    parts = []
    while part := await read(reader.read(_READ_SIZE)):
        parts.append(part)
    return b"".join(parts), False


def _has_token(headers: Headers, name: bytes, token: bytes) -> bool:
    return any(k.lower() == name and token in (t.strip().lower() for t in v.split(b","))
               for k, v in headers)
