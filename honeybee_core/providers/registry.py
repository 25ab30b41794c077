"""The provider registry: a name maps to a provider class, and the class says what it can do.

    cls = provider_class("openai")      # once, where a name comes in (a CLI option, a widget)
    cls.is_offline, cls.supports_batch, cls.needs_key
    cls.check(model)                    # model named and key present; nothing is built
    provider = cls.create(model, timeout=60.0)

Capabilities are class attributes, so asking costs no SDK import: an SDK module loads when its
provider first talks to the service. Everything that decides by provider lives here or on the
classes; nothing else compares provider names.
"""

from __future__ import annotations

from honeybee_core.errors import ProviderError
from honeybee_core.providers.anthropic_provider import AnthropicProvider
from honeybee_core.providers.base import DEFAULT_TRANSPORT, ProviderBase
from honeybee_core.providers.offline import OfflineProvider
from honeybee_core.providers.openai_provider import OpenAIProvider

ProviderClass = type[ProviderBase]

_REGISTRY: dict[str, ProviderClass] = {
    cls.name: cls for cls in (OfflineProvider, OpenAIProvider, AnthropicProvider)
}


def names() -> list[str]:
    """Every registered provider name, the offline one first (the default)."""
    return list(_REGISTRY)


def registered(name: str) -> ProviderClass | None:
    """The class registered as name (case and spaces ignored), or None."""
    return _REGISTRY.get(name.strip().lower())


def provider_class(name: str) -> ProviderClass:
    """The class registered as name (case and spaces ignored), else one clear ProviderError."""
    cls = _REGISTRY.get(name.strip().lower())
    if cls is None:
        raise ProviderError(f"Unknown provider {name!r}; choose one of {', '.join(_REGISTRY)}.")
    return cls


def batch_names() -> list[str]:
    return [name for name, cls in _REGISTRY.items() if cls.supports_batch]


def make_provider(name: str | ProviderClass, model: str | None = None, *,
                  timeout: float = 120.0, base_url: str | None = None,
                  transport: str = DEFAULT_TRANSPORT) -> ProviderBase:
    """A provider instance; keys come from the provider's environment variable only."""
    cls = provider_class(name) if isinstance(name, str) else name
    return cls.create(model, timeout=timeout, base_url=base_url, transport=transport)


def suggested_model(cls: ProviderClass, configured_provider: str, configured_model: str) -> str:
    """The model a form starts with: the configured one when cls is the configured provider,
    else the provider's own default ("" when it has none: the person names one)."""
    if _REGISTRY.get(configured_provider.strip().lower()) is cls:
        return configured_model
    return cls.default_model or ""


def pick_model(cls: ProviderClass, given: str | None, configured_provider: str,
               configured_model: str) -> str:
    """The model a command uses: the one given, else the suggested one, else a clear error."""
    model = given or suggested_model(cls, configured_provider, configured_model)
    if not model:
        raise ProviderError(f"Name a model for --provider {cls.name}, e.g. --model "
                            f"{cls.example_model}.")
    return model
