"""LLM providers: structured requests, retrying client, offline heuristic, batch mode.

    provider = make_provider("openai", "gpt-4o-mini")
    client = LLMClient(provider, call_log, concurrency=8)
    result = await client.complete(LLMRequest(purpose="verify", ..., schema_name="verdict"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from honeybee_core.errors import ProviderError

if TYPE_CHECKING:
    from honeybee_core.providers.base import Provider

PROVIDERS = ("offline", "openai", "anthropic")


def make_provider(
    name: str,
    model: str | None = None,
    base_url: str | None = None,
    timeout: float = 120.0,
    transport: str = "keepalive",
) -> Provider:
    """The provider called name; keys come from OPENAI_API_KEY / ANTHROPIC_API_KEY only.

    base_url defaults to OPENAI_BASE_URL / ANTHROPIC_BASE_URL; transport is "keepalive" or
    "httpx" (see providers/transport.py). The offline provider ignores all but name.
    """
    # Imported here so that `import honeybee_core.providers.base` stays free of the SDKs.
    key = name.strip().lower()
    if key == "offline":
        from honeybee_core.providers.offline import OfflineProvider

        return OfflineProvider()
    if not model:
        raise ProviderError(f"Provider {name!r} needs a model name; pass --model.")
    if key == "openai":
        from honeybee_core.providers.openai_provider import OpenAIProvider

        return OpenAIProvider(model, base_url=base_url, timeout=timeout, transport=transport)
    if key == "anthropic":
        from honeybee_core.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider(model, base_url=base_url, timeout=timeout, transport=transport)
    raise ProviderError(f"Unknown provider {name!r}; choose one of {', '.join(PROVIDERS)}.")
