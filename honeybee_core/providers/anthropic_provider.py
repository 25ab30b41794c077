"""Anthropic Messages API: structured output through one forced tool whose input is the answer."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from typing import Any

import anthropic
import httpx2

from honeybee_core.providers.base import LLMRequest, RawAnswer
from honeybee_core.providers.http_errors import from_sdk_exception
from honeybee_core.providers.openai_provider import DEFAULT_TIMEOUT_S, missing_key_error
from honeybee_core.providers.transport import make_http_client


class AnthropicProvider:
    """One Claude model. The SDK's own retries are off: LLMClient retries and counts attempts.

    The installed SDK (2.x) no longer has a temperature parameter, so req.temperature is not sent.
    """

    name = "anthropic"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        transport: str = "keepalive",
    ) -> None:
        if not os.environ.get("ANTHROPIC_API_KEY"):
            raise missing_key_error("ANTHROPIC_API_KEY")
        self.model = model
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL")
        self.timeout = timeout
        self.transport = transport
        self._sdk: anthropic.AsyncAnthropic | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tls: ssl.SSLContext | None = None

    def sdk(self) -> anthropic.AsyncAnthropic:
        """The AsyncAnthropic client of the running event loop (connections are loop-bound)."""
        loop = asyncio.get_running_loop()
        if self._sdk is None or self._loop is not loop:
            # Passing the key explicitly stops the SDK from falling back to on-disk profiles.
            if self._tls is None:  # loading the CA bundle costs ~40 ms; do it once
                self._tls = httpx2.create_ssl_context()
            self._sdk = anthropic.AsyncAnthropic(
                api_key=os.environ.get("ANTHROPIC_API_KEY"),
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,
                http_client=(make_http_client(self._tls, self.transport)
                             or anthropic.DefaultAsyncHttpxClient(verify=self._tls)),
            )
            self._loop = loop
        return self._sdk

    def request_params(self, req: LLMRequest) -> dict[str, Any]:
        """Messages API params (also used as `params` of a Message Batches request)."""
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": req.max_tokens,
            "messages": [{"role": "user", "content": req.prompt}],
            "tools": [
                {
                    "name": req.schema_name,
                    "description": f"Record the {req.purpose} answer in the required structure.",
                    "input_schema": req.json_schema,
                }
            ],
            "tool_choice": {"type": "tool", "name": req.schema_name},
        }
        if req.system:
            params["system"] = req.system
        return params

    async def call(self, req: LLMRequest) -> RawAnswer:
        try:
            message = await self.sdk().messages.create(**self.request_params(req))
        except anthropic.AnthropicError as exc:
            raise from_sdk_exception(exc, anthropic) from None
        return answer_from_message(message.model_dump(exclude_unset=True), req.schema_name)

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None


def answer_from_message(body: dict[str, Any], tool_name: str) -> RawAnswer:
    """RawAnswer from a Message JSON body: the forced tool's input, serialised as JSON text."""
    usage = body.get("usage") or {}
    blocks = body.get("content") or []
    tool_input = next(
        (
            b.get("input")
            for b in blocks
            if b.get("type") == "tool_use" and b.get("name") == tool_name
        ),
        None,
    )
    if tool_input is not None:
        text = json.dumps(tool_input, ensure_ascii=False)
    else:  # keep whatever it said so the failed record explains itself
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
    return RawAnswer(
        text=text,
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        stop_reason=body.get("stop_reason"),
    )
