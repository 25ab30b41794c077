"""AppTest for every page: no exception on an empty and on a full database."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from honeybee_core import transfer as hio
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, sign_in_as, triples, write_jsonl

PAGES = ["views/home.py", "views/data.py"]


def _fill(path, tmp_path) -> None:
    database = open_database(path)
    hio.import_file(Repository(database), write_jsonl(tmp_path / "d.jsonl", triples(12)),
                    actor=CLI_ACTOR)
    database.close()


def _run(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at)  # pages are listed by role; an admin sees them all
    at.run()
    if page != "views/home.py":
        at.switch_page(page)
        at.run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_database(app_db, page):
    at = _run(page)
    assert not at.exception


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_full_database(app_db, tmp_path, page):
    _fill(app_db, tmp_path)
    at = _run(page)
    assert not at.exception


def test_home_shows_counts(app_db, tmp_path):
    _fill(app_db, tmp_path)
    at = _run("views/home.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Instructions"] == "12"
