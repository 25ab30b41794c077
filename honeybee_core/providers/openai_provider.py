"""OpenAI (and OpenAI-compatible) Chat Completions with strict json_schema structured output."""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any

import httpx2
import openai

from honeybee_core.errors import ProviderError
from honeybee_core.providers.base import LLMRequest, RawAnswer, TransientError
from honeybee_core.providers.http_errors import from_sdk_exception
from honeybee_core.providers.transport import make_http_client

DEFAULT_TIMEOUT_S = 120.0
# Reasoning models reject any temperature but the default (HTTP 400), so none is sent.
FIXED_TEMPERATURE_MODELS = ("o1", "o3", "o4", "gpt-5")


def missing_key_error(env: str) -> ProviderError:
    return ProviderError(f"{env} is not set; export it or choose --provider offline")


class OpenAIProvider:
    """One model behind /v1/chat/completions. The SDK's own retries are off: LLMClient retries."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        transport: str = "keepalive",
    ) -> None:
        if not os.environ.get("OPENAI_API_KEY"):
            raise missing_key_error("OPENAI_API_KEY")
        self.model = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        self.timeout = timeout
        self.transport = transport
        # The official API rejects max_tokens for reasoning models; compatible servers
        # (vLLM, Ollama, LM Studio) reliably understand only max_tokens.
        official = not self.base_url or "api.openai.com" in self.base_url
        self._max_tokens_key = "max_completion_tokens" if official else "max_tokens"
        self._sdk: openai.AsyncOpenAI | None = None
        self._tls: ssl.SSLContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def sdk(self) -> openai.AsyncOpenAI:
        """The AsyncOpenAI client of the running event loop (connections are loop-bound)."""
        loop = asyncio.get_running_loop()
        if self._sdk is None or self._loop is not loop:
            if self._tls is None:  # loading the CA bundle costs ~40 ms; do it once
                self._tls = httpx2.create_ssl_context()
            # The SDK reads the key from the environment; this object never holds it.
            self._sdk = openai.AsyncOpenAI(
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,
                http_client=(make_http_client(self._tls, self.transport)
                             or openai.DefaultAsyncHttpxClient(verify=self._tls)),
            )
            self._loop = loop
        return self._sdk

    def request_body(self, req: LLMRequest) -> dict[str, Any]:
        """The JSON body for /v1/chat/completions (also used verbatim in batch JSONL lines)."""
        messages = []
        if req.system:
            messages.append({"role": "system", "content": req.system})
        messages.append({"role": "user", "content": req.prompt})
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": req.schema_name, "schema": req.json_schema, "strict": True},
            },
            self._max_tokens_key: req.max_tokens,
        }
        if req.temperature is not None and not self.model.startswith(FIXED_TEMPERATURE_MODELS):
            body["temperature"] = req.temperature
        return body

    async def call(self, req: LLMRequest) -> RawAnswer:
        try:
            # client.post is the SDK's documented way to send a raw body: auth, base_url,
            # timeouts and error types stay the SDK's, but it skips the TypedDict transform
            # and response model construction that create() spends ~0.5 ms CPU on per call.
            response = await self.sdk().post(
                "/chat/completions", body=self.request_body(req), cast_to=httpx2.Response
            )
            body = response.json()
        except openai.OpenAIError as exc:
            raise from_sdk_exception(exc, openai) from None
        except ValueError as exc:  # a non-JSON 200 body from a compatible server
            raise TransientError(f"response body is not JSON ({exc})") from None
        if not isinstance(body, dict):
            raise TransientError(f"response body is JSON {type(body).__name__}, not an object")
        return answer_from_completion(body)

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None


def answer_from_completion(body: dict[str, Any]) -> RawAnswer:
    """RawAnswer from a chat.completion JSON body (live response or batch output line)."""
    choices = body.get("choices") or [{}]
    choice = choices[0] or {}
    message = choice.get("message") or {}
    usage = body.get("usage") or {}
    stop = choice.get("finish_reason")
    if message.get("refusal"):
        stop = f"refusal: {message['refusal']}"
    return RawAnswer(
        text=message.get("content") or "",
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        stop_reason=stop,
    )
