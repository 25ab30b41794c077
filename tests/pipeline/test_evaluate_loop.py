"""The whole loop offline (two stages, tiny model), then the CLI and the Evaluate page on it."""

from __future__ import annotations

import json
import shutil
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import get_settings, load_settings
from honeybee_core.loop import run_offline_loop
from honeybee_core.pipeline.evaluation_job import BASE_RUN, EvaluateParams, run_evaluate
from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, run_cli, sign_in_as

TRAIN = {"max_steps": 8, "max_length": 256, "eval_steps": 4, "save_steps": 4,
         "logging_steps": 2, "early_stopping_patience": 0}
EVAL = {"n": 8, "max_new_tokens": 32}


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """A database after two offline stages (built once; tests work on copies of the file)."""
    folder = tmp_path_factory.mktemp("loop")
    settings = load_settings(db=folder / "seed.duckdb", runs_dir=folder / "runs")
    database = open_database(settings.db)
    report = run_offline_loop(Repository(database), settings, stages=2, n_items=100,
                              eval_n=EVAL["n"], train=TRAIN,
                              max_new_tokens=EVAL["max_new_tokens"], actor=CLI_ACTOR)
    database.close()
    return folder, report


@pytest.fixture
def copy(loop, tmp_path):
    shutil.copyfile(loop[0] / "seed.duckdb", tmp_path / "db.duckdb")
    return tmp_path / "db.duckdb"


def test_two_stage_loop_ends_with_a_stage_table_and_items_to_review(loop, copy):
    _, report = loop
    table = pd.DataFrame(report["stage_table"])
    assert list(table["stage"]) == [0, 1, 2]
    assert table.loc[0, "run_id"] == BASE_RUN
    assert list(table["run_id"][1:]) == [s["run_id"] for s in report["stages"]]
    assert (table["n"] == EVAL["n"]).all()
    assert table[["accuracy", "completeness", "reasonableness", "mean"]].stack().between(
        0, 100).all()
    repo = Repository(open_database(copy))
    grades = repo.grade_rows("offline:heuristic-v1", "evaluate_v2")
    per_run = grades.groupby("run_id")["instruction_id"].apply(frozenset)
    assert per_run.nunique() == 1  # every stage is graded on the same held-out items
    eval_ids = set(per_run.iloc[0])
    assert eval_ids == repo.heldout_ids()  # the one held-out set, drawn before training
    assert (table["mean_ci_low"] <= table["mean"]).all() and set(table["decoding"]) == {
        "greedy-32"}
    scores = repo.evaluation_candidates().set_index("id")["vmean"]
    assert (scores[list(eval_ids)] >= 80).all()  # held out before curation: good references
    for stage in report["stages"]:
        trained = set(pd.read_parquet(
            loop[0] / "runs" / stage["run_id"] / "snapshot.parquet")["id"])
        assert not eval_ids & trained
    items = repo.select_items()
    stage2 = items[items["stage"] == 2]
    assert len(stage2) and set(stage2["source"]) == {"feedback"}
    assert set(stage2["parent_id"]) <= eval_ids
    second = repo.run(report["stages"][1]["run_id"])
    assert second["stage"] == 2 and json.loads(second["config"])["init_adapter"]
    later = items[items["stage"] == 3]  # written for the stage-2 run's weak answers
    assert set(later["source"]) <= {"feedback"} and set(later["parent_id"]) <= eval_ids
    assert report["waiting_for_review"] == len(later)
    kinds = set(repo.jobs(limit=100)["kind"])
    assert {"generate", "verify", "evaluate", "feedback"} <= kinds
    repo.db.close()


def test_evaluating_again_adds_nothing(loop, copy):
    repo = Repository(open_database(copy))
    settings = load_settings(db=copy, runs_dir=loop[0] / "runs")
    run_id = loop[1]["stages"][1]["run_id"]
    before = repo.table_counts()["evaluations"]
    outcome = run_evaluate(repo, EvaluateParams(run=run_id, **EVAL), settings=settings,
                           actor=CLI_ACTOR)
    assert (outcome.scored, outcome.answered, outcome.paid_calls) == (0, 0, 0)
    assert repo.table_counts()["evaluations"] == before
    repo.db.close()


def test_cli_evaluate_and_feedback(loop, copy):
    run_id = loop[1]["stages"][0]["run_id"]
    done = run_cli("evaluate", "--run", run_id, "--n", "8", "--max-new-tokens", "32", "--json",
                   db=copy)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scored"] == 0  # graded during the loop already
    fed = run_cli("feedback", "--run", run_id, "--threshold", "50", "--json", db=copy)
    assert fed.returncode == 0, fed.stderr
    assert json.loads(fed.stdout)["paid_calls"] == 0  # every weak answer was handled in the loop
    missing = run_cli("feedback", "--run", "run-nope", db=copy)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "no evaluations yet" in missing.stderr


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    def use(source=None):
        path = tmp_path / "app.duckdb"
        if source is not None:
            shutil.copyfile(source, path)
        monkeypatch.setenv("HONEYBEE_DB", str(path))
        monkeypatch.setenv("HONEYBEE_RUNS_DIR", str(tmp_path / "runs"))
        get_settings.cache_clear()
        return path
    yield use
    get_settings.cache_clear()


def _open(role: str = "admin") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at, role=role)
    at.run()
    at.switch_page("views/evaluate.py")
    at.run()
    return at


def test_evaluate_page_on_an_empty_database(app_env):
    app_env()
    at = _open()
    assert not at.exception and not at.error
    assert "No evaluations yet" in at.info[0].value


def test_evaluate_page_shows_the_stage_table_and_launches_feedback(app_env, loop):
    path = app_env(loop[0] / "seed.duckdb")
    at = _open()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert table["Model"].iloc[0] == "base model" and len(table) == 3
    assert not [c for d in at.dataframe for c in d.value.columns if "_" in str(c)]  # readable
    assert at.selectbox(key="eval_focus").value == loop[1]["stages"][1]["run_id"]
    at.selectbox(key="fb_run").set_value(BASE_RUN)
    at.button(key="fb_launch").click()
    at.run()
    assert not at.exception and not at.error
    from views.common import _repository

    store = _repository(str(path))
    deadline = time.monotonic() + 60  # let the job's thread finish before the test ends
    while time.monotonic() < deadline:
        mine = store.jobs(kind="feedback").query("created_by == 'tester'")
        if len(mine) and mine.iloc[0]["status"] in ("finished", "failed"):
            break
        time.sleep(0.2)
    assert mine.iloc[0]["status"] == "finished"


def test_a_reviewer_sees_results_but_no_launch_buttons(app_env, loop):
    app_env(loop[0] / "seed.duckdb")
    at = _open(role="reviewer")
    assert not at.exception and not at.error
    assert at.dataframe[0].value is not None
    assert not [b for b in at.button if b.key in ("eval_launch", "fb_launch")]


def test_evaluate_page_grades_the_references_as_a_row(app_env, loop):
    path = app_env(loop[0] / "seed.duckdb")
    at = _open()
    assert "bootstrap" in at.caption[1].value and "held-out set" in at.caption[1].value
    at.radio(key="eval_kind").set_value("reference")
    at.run()
    at.button(key="eval_launch").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from views.common import _repository

    store = _repository(str(path))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mine = store.jobs(kind="evaluate").query("created_by == 'tester'")
        if len(mine) and mine.iloc[0]["status"] in ("finished", "failed"):
            break
        time.sleep(0.2)
    assert mine.iloc[0]["status"] == "finished"
    at.run()
    table = at.dataframe[0].value
    assert list(table["Kind"]) == ["base", "run", "run", "reference"]  # readable headers
    assert table.loc[3, "Answers"] == EVAL["n"]
