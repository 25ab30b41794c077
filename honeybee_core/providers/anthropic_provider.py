"""Anthropic Messages API: structured output through one forced tool whose input is the answer,
live or through Message Batches."""

from __future__ import annotations

import json
import os
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx2

from honeybee_core.providers.base import LLMRequest, RawAnswer
from honeybee_core.providers.batch import BatchFailure, BatchProvider, BatchStatus, Row, sdk_call
from honeybee_core.providers.http_errors import from_sdk_exception

if TYPE_CHECKING:
    import anthropic
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
    from anthropic.types.messages.batch_create_params import Request


def _anthropic() -> ModuleType:
    import anthropic  # loaded by the first call, not by the registry

    return anthropic


class AnthropicProvider(BatchProvider["anthropic.AsyncAnthropic"]):
    """One Claude model.

    The installed SDK (2.x) no longer has a temperature parameter, so req.temperature is not sent.
    """

    name = "anthropic"
    key_env = "ANTHROPIC_API_KEY"
    base_url_env = "ANTHROPIC_BASE_URL"
    example_model = "claude-haiku-4-5"
    max_batch_requests = 100_000

    @staticmethod
    def sdk_module() -> ModuleType:
        return _anthropic()

    def new_sdk(self, http_client: httpx2.AsyncClient) -> anthropic.AsyncAnthropic:
        # Passing the key explicitly stops the SDK from falling back to on-disk profiles.
        return _anthropic().AsyncAnthropic(
            api_key=os.environ.get(self.key_env), base_url=self.base_url, timeout=self.timeout,
            max_retries=0, http_client=http_client)

    def request_params(self, req: LLMRequest) -> MessageCreateParamsNonStreaming:
        """Messages API params (also used as `params` of a Message Batches request)."""
        assert req.json_schema is not None  # LLMRequest fills it from the schema registry
        params: MessageCreateParamsNonStreaming = {
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
        sdk = _anthropic()
        try:
            message = await self.sdk().messages.create(**self.request_params(req))
        except sdk.AnthropicError as exc:
            raise from_sdk_exception(exc, sdk) from None
        return answer_from_message(message.model_dump(exclude_unset=True), req.schema_name)

    # -- Message Batches ------------------------------------------------------------------
    async def _submit(self, unique: dict[str, LLMRequest]) -> str:
        requests: list[Request] = [{"custom_id": cid, "params": self.request_params(req)}
                                   for cid, req in unique.items()]
        client = self.sdk()
        batch = await sdk_call("Creating the Anthropic message batch",
                               lambda: client.messages.batches.create(requests=requests),
                               _anthropic())
        return batch.id

    async def _poll(self, batch_id: str, status: BatchStatus,
                    unique: dict[str, LLMRequest]) -> list[Row]:
        client, sdk = self.sdk(), _anthropic()
        batch = await sdk_call(f"Reading Anthropic batch {batch_id}",
                               lambda: client.messages.batches.retrieve(batch_id), sdk)
        status.state, status.done = batch.processing_status, batch.processing_status == "ended"
        status.counts = batch.request_counts.model_dump()
        if not status.done:
            return []
        decoder = await sdk_call(f"Downloading Anthropic batch {batch_id} results",
                                 lambda: client.messages.batches.results(batch_id), sdk)
        rows: list[Row] = []
        async for row in decoder:
            req = unique.get(row.custom_id)
            tool = req.schema_name if req is not None else ""
            rows.append((row.custom_id, _batch_row(row.result.model_dump(), tool)))
        return rows


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


def _batch_row(result: dict[str, Any], tool: str) -> RawAnswer | BatchFailure:
    kind = result.get("type")
    if kind == "succeeded":
        return answer_from_message(result.get("message") or {}, tool)
    if kind == "errored":
        error = (result.get("error") or {}).get("error") or {}
        etype = error.get("type", "error")
        return BatchFailure(f"{etype}: {error.get('message', 'no message')}",
                            etype != "invalid_request_error")
    if kind == "expired":
        return BatchFailure("expired: the batch ended before this request ran")
    return BatchFailure(f"{kind}: the request did not run")
