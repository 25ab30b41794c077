"""AppTest for the Generate, Train and Agreement pages on an empty and on a seeded database."""

from __future__ import annotations

import re
import shutil
import time

import pytest
from streamlit.testing.v1 import AppTest

from honeybee_core import curation
from honeybee_core import training_runs as runs
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import get_settings, load_settings
from honeybee_core.demo import seed_demo
from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, sign_in_as

PAGES = ["views/generate.py", "views/train.py", "views/agreement.py"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A demo database with a snapshot and one short finished run (built once)."""
    folder = tmp_path_factory.mktemp("seeded")
    settings = load_settings(db=folder / "seed.duckdb", runs_dir=folder / "runs")
    database = open_database(settings.db)
    repo = Repository(database)
    seed_demo(repo, settings, actor=CLI_ACTOR)
    snap = curation.create_snapshot(repo, curation.SnapshotSpec("mean>=60"), CLI_ACTOR, settings)
    run = runs.launch_run(repo, snap["id"], CLI_ACTOR, settings=settings, overrides={
        "max_steps": 4, "eval_steps": 2, "save_steps": 2, "logging_steps": 1,
        "early_stopping_patience": 0, "max_length": 256})
    runs.wait_for(repo, run["id"], timeout=240, poll_s=0.5, actor=CLI_ACTOR)
    database.close()
    return folder


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    def use(source=None):
        if source is not None:
            shutil.copytree(source, tmp_path / "data")
            path = tmp_path / "data" / "seed.duckdb"
        else:
            path = tmp_path / "empty.duckdb"
        monkeypatch.setenv("HONEYBEE_DB", str(path))
        monkeypatch.setenv("HONEYBEE_RUNS_DIR", str(tmp_path / "data" / "runs"))
        get_settings.cache_clear()
        return path
    yield use
    get_settings.cache_clear()


def _open(page: str, role: str = "admin") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at, role=role)
    at.run()
    at.switch_page(page)
    at.run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_empty(app_env, page):
    app_env()
    assert not _open(page).exception


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_seeded(app_env, seeded, page):
    app_env(seeded)
    at = _open(page)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]


def test_agreement_page_shows_correlations(app_env, seeded):
    app_env(seeded)
    at = _open("views/agreement.py")
    table = at.dataframe[0].value  # the correlation table comes first
    assert set(table["Dimension"]) == {"accuracy", "relevance", "completeness",
                                       "reasonableness"}
    assert "Note" not in table and table["Spearman ρ"].str.match(r"^-?\d\.\d\d$").all()
    # a report, not data structures: no JSON widget, the rule's numbers as metrics, links
    assert len(at.get("json")) == 0
    assert [m.label for m in at.metric][:3] == ["Precision", "Recall", "F1"]
    links = at.get("page_link")
    assert len(links) == 4 and all("cell=" in link.proto.query_string for link in links)
    assert any(m.value.startswith("The best F1") for m in at.markdown)


def test_generate_page_launches_an_offline_job(app_env):
    path = app_env()
    at = _open("views/generate.py")
    at.number_input(key="gen_n").set_value(10)
    at.button(key="gen_launch").click()
    at.run()
    assert not at.exception and not at.error
    from views.common import _repository

    store = _repository(str(path))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        jobs = store.jobs()
        if len(jobs) and jobs.iloc[0]["status"] == "finished":
            break
        time.sleep(0.2)
    assert store.jobs().iloc[0]["status"] == "finished"
    assert store.jobs().iloc[0]["created_by"] == "tester"
    assert store.stats()["instructions"] > 0
    job_id = store.jobs().iloc[0]["id"]
    at.run()  # the board reports items, not calls, and links to them
    label = next(p.proto.text for p in at.get("progress") if job_id in p.proto.text)
    written = store.job_item_ids(job_id)
    counts = re.search(r"10 items requested: (\d+) new, (\d+) near-duplicates?, 0 failed"
                       r"(?:, (\d+) not written \(exact repeats)?", label)
    new, near, unwritten = (int(g or 0) for g in counts.groups())
    assert new + near == len(written) and new + near + unwritten == 10
    assert "calls" not in label
    link = next(x for x in at.get("page_link") if job_id in x.proto.label)
    assert link.proto.query_string == f"job={job_id}"
    explore = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(explore, role="admin")
    explore.query_params["job"] = job_id
    explore.run()
    explore.switch_page("views/explore.py")
    explore.run()
    assert not explore.exception
    assert any(f"Only the {len(written)} items generate job {job_id} wrote" in i.value
               for i in explore.info)
    shown = next(d.value for d in explore.dataframe if "Verifier mean" in d.value.columns)
    assert sorted(shown["ID"]) == sorted(written)


def test_train_page_reports_runs_in_words(app_env, seeded):
    app_env(seeded)
    at = _open("views/train.py")
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "Progress" in d.value.columns)
    assert table["Status"].tolist() == ["finished"] and table["Progress"].tolist() == ["4 / 4"]
    assert not [c for c in table.columns if "_" in c] and "Best validation loss" in table
    assert at.get("progress")[0].proto.text == "Finished at step 4 of 4"


def test_train_page_freezes_a_snapshot(app_env, seeded):
    path = app_env(seeded)
    at = _open("views/train.py")
    at.text_input(key="snap_rule").set_value("mean>=50")
    at.run()
    at.button(key="snap_go").click()
    at.run()
    assert not at.exception and not at.error
    from views.common import _repository

    assert "mean>=50" in set(_repository(str(path)).snapshots()["rule"])


@pytest.mark.parametrize("page", ["views/generate.py", "views/train.py"])
def test_reviewer_cannot_open_launch_pages(app_env, page):
    app_env()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        _open(page, role="reviewer")  # not in a reviewer's menu...
    direct = AppTest.from_file(str(ROOT / page), default_timeout=60)
    sign_in_as(direct, role="reviewer")
    direct.run()  # ...and reached directly, the page stops before any control
    assert not direct.exception
    assert direct.error and "curator" in direct.error[0].value
    assert not direct.button


def test_review_sidebar_shows_the_reviewers_running_rho(app_env, seeded):
    app_env(seeded)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at, name="demo-expert-a", role="reviewer")
    at.run()
    at.switch_page("views/review.py")
    at.run()
    assert not at.exception
    lines = next(m.value for m in at.sidebar.markdown if "Accuracy" in m.value).splitlines()
    found = [re.fullmatch(r"- \*\*(\w+)\*\* (-?\d\.\d\d) \(.+ to .+\), n = (\d+)", line)
             for line in lines]
    assert [m.group(1) for m in found] == ["Accuracy", "Relevance", "Completeness",
                                           "Reasonableness"]
    assert all(int(m.group(3)) > 10 for m in found)


def test_agreement_links_open_the_rules_cells_in_explore(app_env, seeded):
    from honeybee_core import audit
    from views.common import _repository

    path = app_env(seeded)
    rule = get_settings().filter_rule
    cells = {c: audit.confusion_ids(_repository(str(path)), audit.AuditFilters(), rule, c)
             for c in ("tp", "fn")}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at, role="curator")
    at.query_params.update(audit.explore_params(audit.AuditFilters(), rule, "fn"))
    at.run()
    at.switch_page("views/explore.py")
    at.run()
    assert not at.exception and len(cells["fn"]) > 0
    table = next(d.value for d in at.dataframe if "Verifier mean" in d.value.columns)
    assert sorted(table["ID"]) == sorted(cells["fn"])
    assert "dropped by the rule, approved by experts" in at.info[0].value


def test_train_page_offers_the_paper_recipe(app_env, seeded):
    app_env(seeded)
    at = _open("views/train.py")
    assert at.number_input(key="run_epochs_fast").value == 3.0
    at.selectbox(key="run_preset").set_value("paper")
    at.run()
    assert not at.exception and not at.error
    assert at.number_input(key="run_epochs_paper").value == 10.0
    assert at.number_input(key="run_eval").disabled  # the paper recipe evaluates per epoch
    commands = "\n".join(c.value for c in at.code)
    assert "--preset paper" in commands
