"""The provider registry: names to classes, capabilities read without building anything."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from honeybee_core.errors import InputError, ProviderError
from honeybee_core.pipeline import jobs
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.providers.anthropic_provider import AnthropicProvider
from honeybee_core.providers.offline import OfflineProvider
from honeybee_core.providers.openai_provider import OpenAIProvider
from honeybee_core.providers.registry import (
    batch_names,
    names,
    pick_model,
    provider_class,
    suggested_model,
)
from tests.conftest import ROOT
from tests.review_seed import add_user


def test_names_resolve_to_classes_with_their_capabilities():
    assert names() == ["offline", "openai", "anthropic"]
    assert provider_class(" OpenAI ") is OpenAIProvider
    offline, openai, anthropic = (provider_class(n) for n in names())
    assert (offline.is_offline, offline.supports_batch, offline.needs_key) == (True, False, False)
    for cls in (openai, anthropic):
        assert (cls.is_offline, cls.supports_batch, cls.needs_key) == (False, True, True)
    assert batch_names() == ["openai", "anthropic"]
    with pytest.raises(ProviderError, match="Unknown provider 'cohere'; choose one of offline"):
        provider_class("cohere")


def test_capabilities_cost_no_sdk_import():
    code = ("import sys; from honeybee_core.providers.registry import provider_class as p; "
            "assert p('openai').supports_batch and p('anthropic').needs_key; "
            "print('openai' in sys.modules, 'anthropic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_check_says_what_is_missing_without_building(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ProviderError, match=r"^ANTHROPIC_API_KEY is not set"):
        AnthropicProvider.check("claude-haiku-4-5")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789")
    with pytest.raises(ProviderError, match="needs a model name"):
        AnthropicProvider.check("")
    AnthropicProvider.check("claude-haiku-4-5")
    OfflineProvider.check(None)


def test_launch_check_refuses_batch_offline_and_a_missing_key(monkeypatch, repo):
    admin = add_user(repo, "ada", "admin")  # looked up: require() reads the stored role
    with pytest.raises(InputError, match="--batch needs --provider openai or anthropic"):
        jobs.check_launch(admin, GenerateParams(n=5, batch=True))
    with pytest.raises(InputError, match="--batch needs --provider openai or anthropic"):
        jobs.check_launch(admin, jobs.VerifyParams(batch=True))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ProviderError, match="OPENAI_API_KEY is not set"):
        jobs.check_launch(admin, jobs.VerifyParams(provider=OpenAIProvider, model="gpt-4o-mini"))
    assert jobs.check_launch(admin, GenerateParams(n=5))


def test_models_suggested_and_picked():
    assert suggested_model(OfflineProvider, "offline", "heuristic-v1") == "heuristic-v1"
    assert suggested_model(OpenAIProvider, "offline", "heuristic-v1") == ""
    assert suggested_model(OpenAIProvider, "openai", "gpt-4o") == "gpt-4o"
    assert suggested_model(AnthropicProvider, "openai", "gpt-4o") == ""  # not openai's model
    assert suggested_model(OfflineProvider, "openai", "gpt-4o") == "heuristic-v1"
    assert pick_model(OpenAIProvider, "gpt-4.1", "offline", "heuristic-v1") == "gpt-4.1"
    with pytest.raises(ProviderError, match=re.escape(
            "Name a model for --provider anthropic, e.g. --model claude-haiku-4-5.")):
        pick_model(AnthropicProvider, None, "offline", "heuristic-v1")


def test_job_keys_name_the_provider():
    params = GenerateParams(n=5, provider=OpenAIProvider, model="gpt-4o-mini")
    assert '"provider": "openai"' in params.key()
    assert '"provider": "anthropic"' in jobs.VerifyParams(AnthropicProvider, "m").key()


def test_no_provider_name_is_compared_outside_the_registry():
    compare = re.compile(r"""(==|!=|\bis\b|\bin\b)\s*\(?["'](offline|openai|anthropic)["']"""
                         r"""|["'](offline|openai|anthropic)["']\s*(==|!=)""")
    found = []
    for folder in ("honeybee_core", "views"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "registry.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if compare.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    for path in (ROOT / "app.py",):
        if path.exists() and compare.search(path.read_text()):
            found.append(str(path))
    assert not found, found


def test_the_sdk_client_is_the_default_transport(monkeypatch):
    from honeybee_core.config import Settings
    from honeybee_core.providers.base import DEFAULT_TRANSPORT

    monkeypatch.delenv("HONEYBEE_HTTP_TRANSPORT", raising=False)
    assert Settings.model_fields["http_transport"].default == DEFAULT_TRANSPORT == "aiohttp"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    assert OpenAIProvider("gpt-4o-mini").transport == "aiohttp"
