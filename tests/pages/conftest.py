"""The app's database for page tests: a fresh file named by HONEYBEE_DB, settings read anew."""

from __future__ import annotations

import pytest

from honeybee_core.config import get_settings
from honeybee_core.store import Repository, open_database
from tests.review_seed import seed


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("HONEYBEE_DB", str(path))
    monkeypatch.delenv("HONEYBEE_AUTH", raising=False)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def full_db(app_db):
    """The pages' database with 40 seeded items, scores and ratings."""
    database = open_database(app_db)
    seed(Repository(database), 40)
    database.close()
    return app_db
