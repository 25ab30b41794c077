"""What the OpenAI and Anthropic providers share: the key check, and one SDK client per loop."""

from __future__ import annotations

import asyncio
import os
import ssl
from types import ModuleType
from typing import Generic, Protocol, TypeVar

import httpx2

from honeybee_core.errors import ProviderError
from honeybee_core.providers.base import DEFAULT_TRANSPORT, ProviderBase

DEFAULT_TIMEOUT_S = 120.0


class _Closable(Protocol):
    async def close(self) -> None: ...


SDK = TypeVar("SDK", bound=_Closable)


class SDKProvider(ProviderBase, Generic[SDK]):
    """A provider behind an official SDK. Subclasses set name, key_env and base_url_env and
    build the SDK client in new_sdk(), importing the SDK there (so that the registry and
    its capabilities cost no SDK import); the SDK's own retries stay off (LLMClient retries)."""

    needs_key = True
    base_url_env: str

    def __init__(self, model: str, *, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, transport: str = DEFAULT_TRANSPORT) -> None:
        self.check(model)
        self.model = model
        self.base_url = base_url or os.environ.get(self.base_url_env)
        self.timeout = timeout
        self.transport = transport
        self._sdk: SDK | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tls: ssl.SSLContext | None = None

    @classmethod
    def check(cls, model: str | None) -> None:
        if not model:
            raise ProviderError(f"Provider {cls.name!r} needs a model name; pass --model.")
        if not os.environ.get(cls.key_env):
            raise ProviderError(f"{cls.key_env} is not set; export it or choose "
                                "--provider offline")

    @classmethod
    def create(cls, model: str | None, *, timeout: float, base_url: str | None = None,
               transport: str = DEFAULT_TRANSPORT) -> SDKProvider[SDK]:
        cls.check(model)
        assert model is not None  # check() refused an empty one
        return cls(model, base_url=base_url, timeout=timeout, transport=transport)

    def sdk(self) -> SDK:
        """The SDK client of the running event loop (its connections belong to that loop)."""
        loop = asyncio.get_running_loop()
        if self._sdk is None or self._loop is not loop:
            if self._tls is None:  # loading the CA bundle costs ~40 ms; do it once
                self._tls = httpx2.create_ssl_context()
            self._sdk = self.new_sdk(self._http_client(self._tls))
            self._loop = loop
        return self._sdk

    def _http_client(self, tls: ssl.SSLContext) -> httpx2.AsyncClient:
        """The HTTP client under the SDK, as the transport setting asks."""
        sdk = self.sdk_module()
        if self.transport == "keepalive":
            from honeybee_core.providers.transport import make_http_client

            lean = make_http_client(tls)  # None when a proxy is configured
            if lean is not None:
                return lean
        if self.transport == "aiohttp":
            return sdk.DefaultAioHttpClient(verify=tls)
        return sdk.DefaultAsyncHttpxClient(verify=tls)

    @staticmethod
    def sdk_module() -> ModuleType:
        """The SDK's module (imported on first use)."""
        raise NotImplementedError

    def new_sdk(self, http_client: httpx2.AsyncClient) -> SDK:
        """The SDK client on http_client."""
        raise NotImplementedError

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None
