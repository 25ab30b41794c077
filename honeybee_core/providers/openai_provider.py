"""OpenAI (and OpenAI-compatible) Chat Completions with strict json_schema structured output."""

from __future__ import annotations

import ssl
from typing import Any

import httpx2
import openai

from honeybee_core.providers.base import LLMRequest, RawAnswer, TransientError
from honeybee_core.providers.http_errors import from_sdk_exception
from honeybee_core.providers.sdk_provider import DEFAULT_TIMEOUT_S, SDKProvider

# Reasoning models reject any temperature but the default (HTTP 400), so none is sent.
FIXED_TEMPERATURE_MODELS = ("o1", "o3", "o4", "gpt-5")


class OpenAIProvider(SDKProvider[openai.AsyncOpenAI]):
    """One model behind /v1/chat/completions."""

    name = "openai"
    key_env = "OPENAI_API_KEY"
    base_url_env = "OPENAI_BASE_URL"

    def __init__(self, model: str, *, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, transport: str = "keepalive") -> None:
        super().__init__(model, base_url=base_url, timeout=timeout, transport=transport)
        # The official API rejects max_tokens for reasoning models; compatible servers
        # (vLLM, Ollama, LM Studio) reliably understand only max_tokens.
        official = not self.base_url or "api.openai.com" in self.base_url
        self._max_tokens_key = "max_completion_tokens" if official else "max_tokens"

    def new_sdk(self, http_client: httpx2.AsyncClient | None,
                tls: ssl.SSLContext) -> openai.AsyncOpenAI:
        # The SDK reads the key from the environment; this object never holds it.
        return openai.AsyncOpenAI(
            base_url=self.base_url, timeout=self.timeout, max_retries=0,
            http_client=http_client or openai.DefaultAsyncHttpxClient(verify=tls))

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
