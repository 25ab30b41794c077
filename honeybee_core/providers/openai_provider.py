"""OpenAI (and OpenAI-compatible) Chat Completions with strict json_schema structured output,
live or through the Batch API."""

from __future__ import annotations

import json
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx2

from honeybee_core.providers.base import DEFAULT_TRANSPORT, LLMRequest, RawAnswer, TransientError
from honeybee_core.providers.batch import BatchFailure, BatchProvider, BatchStatus, Row, sdk_call
from honeybee_core.providers.http_errors import RETRYABLE_STATUS, from_sdk_exception
from honeybee_core.providers.sdk_provider import DEFAULT_TIMEOUT_S

if TYPE_CHECKING:
    import openai

# Reasoning models reject any temperature but the default (HTTP 400), so none is sent.
FIXED_TEMPERATURE_MODELS = ("o1", "o3", "o4", "gpt-5")
TERMINAL_STATES = ("completed", "expired", "failed", "cancelled")


def _openai() -> ModuleType:
    import openai  # loaded by the first call, not by the registry

    return openai


class OpenAIProvider(BatchProvider["openai.AsyncOpenAI"]):
    """One model behind /v1/chat/completions."""

    name = "openai"
    key_env = "OPENAI_API_KEY"
    base_url_env = "OPENAI_BASE_URL"
    example_model = "gpt-4o-mini"
    max_batch_requests = 50_000

    def __init__(self, model: str, *, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, transport: str = DEFAULT_TRANSPORT) -> None:
        super().__init__(model, base_url=base_url, timeout=timeout, transport=transport)
        # The official API rejects max_tokens for reasoning models; compatible servers
        # (vLLM, Ollama, LM Studio) reliably understand only max_tokens.
        official = not self.base_url or "api.openai.com" in self.base_url
        self._max_tokens_key = "max_completion_tokens" if official else "max_tokens"

    @staticmethod
    def sdk_module() -> ModuleType:
        return _openai()

    def new_sdk(self, http_client: httpx2.AsyncClient) -> openai.AsyncOpenAI:
        # The SDK reads the key from the environment; this object never holds it.
        return _openai().AsyncOpenAI(base_url=self.base_url, timeout=self.timeout,
                                     max_retries=0, http_client=http_client)

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
        sdk = _openai()
        try:
            # client.post is the SDK's documented way to send a raw body: auth, base_url,
            # timeouts and error types stay the SDK's, but it skips the TypedDict transform
            # and response model construction that create() spends ~0.5 ms CPU on per call.
            response = await self.sdk().post(
                "/chat/completions", body=self.request_body(req), cast_to=httpx2.Response
            )
            body = response.json()
        except sdk.OpenAIError as exc:
            raise from_sdk_exception(exc, sdk) from None
        except ValueError as exc:  # a non-JSON 200 body from a compatible server
            raise TransientError(f"response body is not JSON ({exc})") from None
        if not isinstance(body, dict):
            raise TransientError(f"response body is JSON {type(body).__name__}, not an object")
        return answer_from_completion(body)

    # -- Batch API ------------------------------------------------------------------------
    async def _submit(self, unique: dict[str, LLMRequest]) -> str:
        lines = [{"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
                  "body": self.request_body(req)} for cid, req in unique.items()]
        data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
        client, sdk = self.sdk(), _openai()
        upload = await sdk_call(
            "Uploading the OpenAI batch file",
            lambda: client.files.create(file=("honeybee-batch.jsonl", data), purpose="batch"),
            sdk)
        batch = await sdk_call(
            "Creating the OpenAI batch",
            lambda: client.batches.create(
                input_file_id=upload.id, endpoint="/v1/chat/completions",
                completion_window="24h", metadata={"source": "honeybee-studio"}),
            sdk)
        return batch.id

    async def _poll(self, batch_id: str, status: BatchStatus,
                    unique: dict[str, LLMRequest]) -> list[Row]:
        client, sdk = self.sdk(), _openai()
        batch = await sdk_call(f"Reading OpenAI batch {batch_id}",
                               lambda: client.batches.retrieve(batch_id), sdk)
        status.state, status.done = batch.status, batch.status in TERMINAL_STATES
        if batch.request_counts is not None:
            status.counts = batch.request_counts.model_dump()
        if not status.done:
            return []
        rows: list[Row] = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await sdk_call(f"Downloading OpenAI batch file {file_id}",
                                     partial(client.files.content, file_id), sdk)
            rows += [_batch_row(json.loads(line)) for line in content.text.splitlines() if line]
        if batch.status == "failed" and not rows:
            data = (batch.errors.data or []) if batch.errors else []
            errors = [e.message or e.code or "" for e in data]
            status.state = f"failed: {'; '.join(filter(None, errors)) or 'no reason given'}"
        return rows


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


def _batch_row(row: dict[str, Any]) -> Row:
    cid, resp, err = row["custom_id"], row.get("response"), row.get("error")
    if resp and resp.get("status_code") == 200:
        return cid, answer_from_completion(resp.get("body") or {})
    if err:
        return cid, BatchFailure(f"{err.get('code')}: {err.get('message')}")
    code = int((resp or {}).get("status_code") or 0)
    message = ((resp or {}).get("body") or {}).get("error", {}).get("message", "no message")
    retryable = code in RETRYABLE_STATUS or code >= 500
    return cid, BatchFailure(f"HTTP {code}: {message}", retryable)
