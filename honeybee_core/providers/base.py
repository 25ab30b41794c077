"""Provider-neutral request/result types, the Provider and CallLog protocols, and key redaction."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

from honeybee_core.providers import schemas

PURPOSES = ("instruct", "verify", "evaluate", "feedback")
# The HTTP client under the SDKs: "aiohttp" (the SDKs' DefaultAioHttpClient), "httpx" (the SDKs'
# default client) or "keepalive" (our own transport, providers/transport.py, opt-in only).
DEFAULT_TRANSPORT = "aiohttp"


@dataclass(frozen=True, eq=False)
class LLMRequest:
    """One structured-output question. json_schema/model default from the schema_name registry."""

    purpose: str
    system: str
    prompt: str
    schema_name: str
    payload: dict[str, Any] = field(default_factory=dict)
    json_schema: dict[str, Any] | None = None
    model_cls: type[BaseModel] | None = None
    temperature: float | None = None
    max_tokens: int = 2048
    _hashes: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.json_schema is None or self.model_cls is None:
            known = schemas.SCHEMAS.get(self.schema_name)
            if known is None:
                raise ValueError(
                    f"schema_name {self.schema_name!r} is not registered; pass json_schema and "
                    "model_cls explicitly"
                )
            if self.json_schema is None:
                object.__setattr__(self, "json_schema", known[1])
            if self.model_cls is None:
                object.__setattr__(self, "model_cls", known[0])

    def canonical(self, model: str) -> dict[str, Any]:
        """Everything that determines the answer, provider-independent (the model is included)."""
        return {
            "model": model,
            "purpose": self.purpose,
            "system": self.system,
            "prompt": self.prompt,
            "schema_name": self.schema_name,
            "json_schema": self.json_schema,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "payload": self.payload,
        }

    def request_json(self, model: str) -> str:
        return canonical_json(self.canonical(model))

    def request_hash(self, model: str) -> str:
        """sha256 hex (64 chars, valid as an OpenAI/Anthropic batch custom_id); computed once
        per model (a job hashes every request to find its stored answers, the client again)."""
        known = self._hashes.get(model)
        if known is None:
            known = self._hashes[model] = hash_json(self.request_json(model))
        return known


def hash_json(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class RawAnswer:
    """What one HTTP attempt returned: the model's JSON text plus usage."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    stop_reason: str | None = None


@dataclass(frozen=True)
class LLMResult:
    """A validated answer. cost_usd/attempts are what this call spent (0 when served from cache)."""

    parsed: dict[str, Any]
    raw_text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float
    attempts: int
    cached: bool
    request_hash: str = ""
    priced: bool = True


@dataclass
class CallRecord:
    """One attempt (ok or not), as the call log stores it. Never contains credentials."""

    provider: str
    model: str
    request_hash: str
    purpose: str
    request_json: str
    raw_response: str | None
    parsed: dict[str, Any] | None
    ok: bool
    error: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    attempt: int
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class AttemptError(Exception):
    """One HTTP attempt failed. Internal to the provider layer; LLMClient turns it into a record."""

    def __init__(self, message: str, *, status: int | None = None, raw: str | None = None) -> None:
        super().__init__(redact(message))
        self.status = status
        self.raw = redact(raw) if raw is not None else None


class TransientError(AttemptError):
    """Worth retrying: 408/409/429/5xx/529, timeouts, connection errors."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        raw: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, raw=raw)
        self.retry_after = retry_after


class PermanentError(AttemptError):
    """Retrying cannot help: bad request, authentication, permission, not found."""


@runtime_checkable
class Provider(Protocol):
    @property
    def name(self) -> str:
        """The registry name (a class attribute of every provider class)."""
        ...

    model: str

    async def call(self, req: LLMRequest) -> RawAnswer:
        """One attempt; raises TransientError or PermanentError."""
        ...

    async def aclose(self) -> None:
        """Close the connections of the running event loop (before it ends)."""
        ...


class ProviderBase:
    """What every registered provider class declares: its name and capabilities (class
    attributes, read without building anything), check() and create()."""

    name: ClassVar[str]
    is_offline: ClassVar[bool] = False  # answers without a network or a paid service
    supports_batch: ClassVar[bool] = False  # has submit_batch / poll_batch (half-price batches)
    needs_key: ClassVar[bool] = False  # reads an API key from key_env
    key_env: ClassVar[str] = ""
    default_model: ClassVar[str | None] = None  # the model when none is named
    example_model: ClassVar[str] = ""  # shown in the message asking for a model

    model: str

    @classmethod
    def check(cls, model: str | None) -> None:
        """Raise ProviderError when create(model) would fail (no model, no key); builds nothing."""

    @classmethod
    def create(cls, model: str | None, *, timeout: float, base_url: str | None = None,
               transport: str = DEFAULT_TRANSPORT) -> ProviderBase:
        raise NotImplementedError

    async def call(self, req: LLMRequest) -> RawAnswer:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close the connections of the running event loop (before it ends)."""


@runtime_checkable
class CallLog(Protocol):
    def lookup(self, provider: str, model: str, request_hash: str) -> CallRecord | None:
        """The latest ok record for this request, or None."""
        ...

    def record(self, rec: CallRecord) -> None: ...


class InMemoryCallLog:
    """CallLog for tests and the offline demo; the app uses the DuckDB-backed one."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self._ok: dict[tuple[str, str, str], CallRecord] = {}
        self._lock = threading.Lock()

    def lookup(self, provider: str, model: str, request_hash: str) -> CallRecord | None:
        with self._lock:
            return self._ok.get((provider, model, request_hash))

    def record(self, rec: CallRecord) -> None:
        with self._lock:
            self.records.append(rec)
            if rec.ok:
                self._ok[(rec.provider, rec.model, rec.request_hash)] = rec


# Secrets can come back inside provider error bodies ("Incorrect API key provided: sk-...").
_KEY_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9_\-.]{8,})")


def redact(text: str) -> str:
    """Remove API keys (exact env values and sk-/Bearer patterns) from text bound for storage."""
    for env in _KEY_ENV:
        secret = os.environ.get(env)
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return _KEY_PATTERN.sub("[redacted]", text)
