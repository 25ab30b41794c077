"""Anthropic Messages API: structured output through one forced tool whose input is the answer."""

from __future__ import annotations

import json
import os
import ssl
from typing import Any

import anthropic
import httpx2

from honeybee_core.providers.base import LLMRequest, RawAnswer
from honeybee_core.providers.http_errors import from_sdk_exception
from honeybee_core.providers.sdk_provider import SDKProvider


class AnthropicProvider(SDKProvider[anthropic.AsyncAnthropic]):
    """One Claude model.

    The installed SDK (2.x) no longer has a temperature parameter, so req.temperature is not sent.
    """

    name = "anthropic"
    key_env = "ANTHROPIC_API_KEY"
    base_url_env = "ANTHROPIC_BASE_URL"

    def new_sdk(self, http_client: httpx2.AsyncClient | None,
                tls: ssl.SSLContext) -> anthropic.AsyncAnthropic:
        # Passing the key explicitly stops the SDK from falling back to on-disk profiles.
        return anthropic.AsyncAnthropic(
            api_key=os.environ.get(self.key_env), base_url=self.base_url, timeout=self.timeout,
            max_retries=0, http_client=http_client or anthropic.DefaultAsyncHttpxClient(verify=tls))

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
