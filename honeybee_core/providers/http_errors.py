"""Turn SDK exceptions (openai and anthropic share a shape) into TransientError / PermanentError."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

from honeybee_core.providers.base import AttemptError, PermanentError, TransientError

# 408 timeout, 409 conflict/lock, 429 rate limit, 5xx server, 529 Anthropic overloaded.
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from retry-after-ms, retry-after (seconds or HTTP date), or None."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def _body_text(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body
    try:
        return json.dumps(body, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(body)


def from_sdk_exception(exc: Exception, sdk: Any) -> AttemptError:
    """Map an exception raised by the openai/anthropic module `sdk` to our attempt errors."""
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        msg = f"HTTP {status}: {getattr(exc, 'message', str(exc))}"
        raw = _body_text(exc.body)
        if status in RETRYABLE_STATUS or status >= 500:
            retry_after = parse_retry_after(exc.response.headers)
            return TransientError(msg, status=status, raw=raw, retry_after=retry_after)
        return PermanentError(msg, status=status, raw=raw)
    if isinstance(exc, sdk.APITimeoutError):
        root = _root_cause(exc)
        # The SDKs' aiohttp client reports any dropped connection as a connect timeout.
        if not isinstance(root, TimeoutError) and "Timeout" not in type(root).__name__:
            return TransientError(f"connection error ({type(root).__name__}: {root})")
        return TransientError("request timed out")
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f" ({type(cause).__name__}: {cause})" if cause else ""
        return TransientError(f"connection error{detail}")
    return PermanentError(f"{type(exc).__name__}: {exc}")


def _root_cause(exc: BaseException) -> BaseException:
    """The first exception of the chain that ended in exc (a few links at most)."""
    for _ in range(8):
        nxt = exc.__cause__ or exc.__context__
        if nxt is None or nxt is exc:
            break
        exc = nxt
    return exc
