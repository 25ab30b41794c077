"""The settings object: every setting is documented in the README, and bad values are one line."""

from __future__ import annotations

import pytest

from honeybee_core.config import Settings, load_settings
from honeybee_core.errors import InputError
from tests.conftest import ROOT


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`HONEYBEE_{name.upper()}`" in readme, f"HONEYBEE_{name.upper()} not documented"


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("HONEYBEE_DB", str(tmp_path / "x.duckdb"))
    monkeypatch.setenv("HONEYBEE_PRICES", '{"gpt-x": [1.5, 6]}')
    settings = load_settings()
    assert settings.db == tmp_path / "x.duckdb"
    assert settings.prices == {"gpt-x": [1.5, 6.0]}


@pytest.mark.parametrize("name, value", [("HONEYBEE_CONCURRENCY", "0"),
                                         ("HONEYBEE_AUTH", "ldap"),
                                         ("HONEYBEE_PRICES", "{not json")])
def test_bad_setting_is_one_clear_line(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError) as err:
        load_settings()
    assert name in str(err.value) and "\n" not in str(err.value)


def test_keys_are_not_settings():
    assert not any("key" in name for name in Settings.model_fields)
