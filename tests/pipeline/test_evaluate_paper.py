"""Paper-faithful evaluation: the reference-free rubric, per-dimension feedback, API and
reference students on one held-out set, and the stage table's bootstrap intervals."""

from __future__ import annotations

import asyncio
import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from honeybee_core import curation, stage_table
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import load_settings
from honeybee_core.errors import InputError
from honeybee_core.pipeline import evaluator, heldout, jobs
from honeybee_core.pipeline.evaluation_job import EvaluateParams, run_evaluate
from honeybee_core.pipeline.feedback import FeedbackParams, run_feedback
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.pipeline.prompts import render, system_prompt
from honeybee_core.providers.offline import OfflineProvider
from honeybee_core.stats import mean_bootstrap
from honeybee_core.store import MIGRATIONS, Repository, migrate, open_database
from honeybee_core.training.template import format_prompt
from tests.conftest import run_cli
from tests.fake_llm_server import FakeLLMServer

PASSAGE = ("Annealing the cold-rolled copper at 400 °C for 2 h restored its ductility, lowered "
           "its hardness and grew its grains from 2 µm to 15 µm.")
ITEM = {"instruction": "Summarize how annealing changed the cold-rolled copper in the input.",
        "input": PASSAGE, "output": "Annealing made the copper softer."}  # a thin reference
BETTER = ("After annealing at 400 °C for 2 h, the cold-rolled copper regained its ductility, "
          "its hardness fell and its grains grew from 2 µm to 15 µm.")


def grade(item: dict, answer: str, rubric: str) -> dict:
    raw = asyncio.run(OfflineProvider().call(evaluator.build_request(item, answer, rubric)))
    return json.loads(raw.text)


def mean_grade(g: dict) -> float:
    return sum(g[k] for k in evaluator.GRADE_COLUMNS) / 3


# ---------------------------------------------------------------- the rubric


def test_rubric_v2_is_reference_free_and_says_the_reference_never_caps():
    prompt = " ".join(render("evaluate_v2", instruction="q", input="(none)", reference="r",
                             answer="a").split())
    assert "established materials-science knowledge" in prompt
    assert "never cap a score at the level" in prompt and "hint" in prompt
    assert "scores higher than the reference would" in prompt
    assert "as good as the reference" not in prompt  # the v1 rule is gone from v2
    assert "never by its likeness to a reference" in " ".join(system_prompt("evaluate_v2").split())
    assert "100 on a dimension only when the answer is as good as the reference" in " ".join(
        render("evaluate_v1", instruction="q", input="", reference="r", answer="a").split())
    with pytest.raises(InputError, match="Unknown rubric 'evaluate_v9'"):
        evaluator.check_rubric("evaluate_v9")


def test_an_answer_better_than_its_reference_scores_higher_than_the_reference():
    v2_ref, v2_better = grade(ITEM, ITEM["output"], "evaluate_v2"), grade(
        ITEM, BETTER, "evaluate_v2")
    assert mean_grade(v2_better) > mean_grade(v2_ref)
    assert v2_better["completeness"] > v2_ref["completeness"]  # not capped at the reference's
    # under v1 the reference is the ceiling: itself 100, the better answer below it
    v1_ref, v1_better = grade(ITEM, ITEM["output"], "evaluate_v1"), grade(
        ITEM, BETTER, "evaluate_v1")
    assert mean_grade(v1_ref) == 100 and mean_grade(v1_better) < 100
    # v1 requests keep their old hashes (the call log still serves them); v2 names its rubric
    assert "rubric" not in evaluator.build_request(ITEM, "a", "evaluate_v1").payload
    assert evaluator.build_request(ITEM, "a").payload["rubric"] == "evaluate_v2"


# ---------------------------------------------------------------- feedback


def _item(repo: Repository, instruction: str, input_text: str, output: str) -> str:
    from honeybee_core.domain import content_id

    item_id = content_id(instruction, input_text, output)
    with repo.db.transaction() as cur:
        repo.insert_generated_rows(cur, [{"id": item_id, "stage": 1, "topic": "Metals",
                                          "task_type": "Commonsense reasoning",
                                          "instruction": instruction,
                                          "input": input_text, "output": output,
                                          "source": "generated"}])
    return item_id


def _grade(repo, item_id, acc, comp, reas, run_id="base"):
    with repo.db.transaction() as cur:
        repo.insert_grade(cur, {"run_id": run_id, "instruction_id": item_id,
                                "evaluator": "offline:heuristic-v1", "decoding": "greedy-128",
                                "rubric_version": "evaluate_v2", "answer": "meh",
                                "accuracy": acc, "completeness": comp, "reasonableness": reas,
                                "rationale": "r"})


def test_feedback_fans_out_one_prompt_per_weak_dimension_and_keeps_the_passage(repo, tmp_path):
    settings = load_settings(db=repo.db.path, runs_dir=tmp_path / "runs")
    grounded = _item(repo, ITEM["instruction"], PASSAGE, ITEM["output"])
    open_ended = _item(repo, "Explain why grain refinement strengthens steel.", "",
                       "Grain boundaries block dislocations (Hall-Petch).")
    _grade(repo, grounded, 40, 60, 80)  # three weak dimensions
    _grade(repo, open_ended, 100, 100, 70)  # one
    outcome = run_feedback(repo, FeedbackParams(run="base", per_item=4), settings=settings,
                           actor=CLI_ACTOR)
    assert (outcome.status, outcome.total) == ("finished", 4)  # 3 + 1 prompts
    logged = repo.db.cursor().execute(
        "SELECT request, parsed FROM llm_calls WHERE purpose = 'feedback'").fetchall()
    calls = [json.loads(r[0]) for r in logged]
    written = {json.loads(r[0])["payload"]["dimension"]: json.loads(r[1])["items"]
               for r in logged if json.loads(r[0])["payload"]["passage"]}
    assert sorted(c["payload"]["dimension"] for c in calls) == [
        "accuracy", "completeness", "reasonableness", "reasonableness"]
    for call in calls:
        assert call["temperature"] == 0.0 and call["system"] == ""
        assert f"model's {call['payload']['dimension']}" in call["prompt"]
        if call["payload"]["passage"]:
            assert f"The given text is: {PASSAGE}" in call["prompt"]
        else:
            assert "Cover these topics:" in call["prompt"]
    new = repo.db.cursor().execute(
        "SELECT parent_id, input, target_dimension, stage, prompt_version FROM instructions"
        " WHERE source = 'feedback'").df()
    mine = new[new["parent_id"] == grounded]
    assert {d: len(items) for d, items in written.items()} == {
        "accuracy": 4, "completeness": 4, "reasonableness": 4}  # 3 prompts x n triples
    assert mine.groupby("target_dimension").size().to_dict() == {  # each distinct one stored
        d: len({(i["instruction"], i["output"]) for i in items}) for d, items in written.items()}
    assert (mine["input"] == PASSAGE).all()  # the weak item's passage is kept
    assert set(new["stage"]) == {2} and set(new["prompt_version"]) == {"feedback_v2"}
    assert set(new.loc[new["parent_id"] == open_ended, "target_dimension"]) == {
        "reasonableness"}
    again = run_feedback(repo, FeedbackParams(run="base", per_item=4), settings=settings,
                         actor=CLI_ACTOR)
    assert (again.paid_calls, again.new_items) == (0, 0)  # seeded prompts: the cache answers


# ---------------------------------------------------------------- the bootstrap


def test_ci_equals_a_plain_numpy_bootstrap_with_the_same_seed():
    values = np.random.default_rng(3).integers(0, 101, 37).astype(float)
    rng = np.random.default_rng(mean_bootstrap.SEED)
    means = [values[rng.integers(0, len(values), len(values))].mean()
             for _ in range(mean_bootstrap.N_BOOT)]
    low, high = np.percentile(means, [2.5, 97.5])
    assert mean_bootstrap.mean_ci(values) == (values.mean(), low, high, 37)
    rng = np.random.default_rng(5)  # the same stream as resampling the values themselves
    plain = [rng.choice(values, len(values)).mean() for _ in range(500)]
    assert mean_bootstrap.mean_ci(values, 500, 5)[1:3] == tuple(np.percentile(plain, [2.5, 97.5]))
    assert mean_bootstrap.mean_ci([50.0])[0] == 50 and np.isnan(mean_bootstrap.mean_ci([50.0])[1])


def test_stage_table_intervals_are_the_bootstrap_of_each_row():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame([{"run_id": run, "decoding": "greedy-128", "run_stage": stage,
                           "run_started_at": pd.Timestamp(2024, 1, stage or 1),
                           "instruction_id": f"i{i}", **{d: float(rng.integers(0, 101))
                                                        for d in evaluator.GRADE_COLUMNS}}
                          for run, stage in (("base", None), ("run-1", 1)) for i in range(25)])
    frame["mean"] = frame[list(evaluator.GRADE_COLUMNS)].mean(axis=1)
    table = stage_table.stage_table(frame)
    assert list(table["kind"]) == ["base", "run"] and set(table["n"]) == {25}
    for row in table.itertuples():
        for dim in stage_table.DIMENSIONS:
            mean, low, high, _ = mean_bootstrap.mean_ci(
                frame.loc[frame["run_id"] == row.run_id, dim])
            assert (getattr(row, dim), getattr(row, f"{dim}_ci_low"),
                    getattr(row, f"{dim}_ci_high")) == (round(mean, 1), round(low, 1),
                                                         round(high, 1))
            assert getattr(row, f"{dim}_ci_low") <= getattr(row, dim) <= getattr(
                row, f"{dim}_ci_high")


# ---------------------------------------------------------------- students and the set


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paperseed")
    settings = load_settings(db=folder / "s.duckdb", runs_dir=folder / "runs")
    database = open_database(settings.db)
    repo = Repository(database)
    jobs.run_generate(repo, GenerateParams(n=60, seed=4), settings=settings, actor=CLI_ACTOR)
    jobs.run_verify(repo, jobs.VerifyParams(), settings=settings, actor=CLI_ACTOR)
    database.close()
    return settings.db


@pytest.fixture
def db_copy(seeded_file, tmp_path):
    path = tmp_path / "db.duckdb"
    shutil.copyfile(seeded_file, path)
    return path


@pytest.fixture
def server(monkeypatch):
    fake = FakeLLMServer().start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-students-0123456789")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base_url)
    yield fake
    fake.stop()


def test_cli_api_student_and_reference_fill_rows_on_one_held_out_set(db_copy, server,
                                                                     tmp_path):
    env = {"HONEYBEE_RUNS_DIR": str(tmp_path / "runs")}
    done = run_cli("evaluate", "--student", "openai:gpt-4o-mini", "--n", "6", "--json",
                   db=db_copy, env=env)
    assert done.returncode == 0, done.stderr
    api = json.loads(done.stdout)
    assert (api["run_id"], api["answered"], api["scored"], api["eval_items"]) == (
        "openai:gpt-4o-mini", 6, 6, 6)
    assert api["heldout_set"].startswith("heldout-") and api["rubric"] == "evaluate_v2"
    assert server.model_requests() == 6  # the student's answers; the offline Evaluator grades
    again = json.loads(run_cli("evaluate", "--student", "openai:gpt-4o-mini", "--json",
                               db=db_copy, env=env).stdout)
    assert (again["scored"], again["paid_calls"], server.model_requests()) == (0, 0, 6)
    ref = run_cli("evaluate", "--student", "reference", "--json", db=db_copy, env=env)
    assert ref.returncode == 0 and json.loads(ref.stdout)["scored"] == 6
    table = run_cli("stages", "--json", db=db_copy)
    assert table.returncode == 0, table.stderr
    report = json.loads(table.stdout)
    assert report["heldout_set"] == api["heldout_set"] and report["heldout_items"] == 6
    assert [r["kind"] for r in report["rows"]] == ["api", "reference"]
    for row in report["rows"]:
        for dim in ("accuracy", "completeness", "reasonableness", "mean"):
            cell = row[dim]
            assert set(cell) == {"mean", "ci_low", "ci_high", "n"} and cell["n"] == 6
            assert cell["ci_low"] <= cell["mean"] <= cell["ci_high"]
    assert "rubric evaluate_v2" in report["caption"] and "bootstrap" in report["caption"]
    human = run_cli("stages", db=db_copy)
    assert "openai:gpt-4o-mini (API)" in human.stdout and "instructor (reference)" in human.stdout
    bad = run_cli("evaluate", "--student", "offline:heuristic-v1", db=db_copy)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "PROVIDER:MODEL" in bad.stderr

    repo = Repository(open_database(db_copy))
    try:
        answer_calls = repo.db.cursor().execute(
            "SELECT c.request, j.kind FROM llm_calls c JOIN jobs j ON j.id = c.job_id"
            " WHERE c.purpose = 'answer'").fetchall()
        assert {kind for _, kind in answer_calls} == {"answer"} and len(answer_calls) == 6
        sent = json.loads(answer_calls[0][0])
        assert sent["prompt"] == format_prompt(sent["payload"]["instruction"],
                                               sent["payload"]["input"])  # the Alpaca bytes
        held = repo.heldout_ids(api["heldout_set"])
        settings = load_settings(db=db_copy, runs_dir=tmp_path / "runs")
        snap = curation.create_snapshot(repo, curation.SnapshotSpec("mean>=0"), CLI_ACTOR,
                                        settings)
        assert snap["n_items"] > 0
        assert not held & set(pd.read_parquet(snap["path"])["id"])  # never trained on
    finally:
        repo.db.close()


def test_rubrics_and_evaluators_never_share_a_column(db_copy, tmp_path):
    settings = load_settings(db=db_copy, runs_dir=tmp_path / "runs")
    repo = Repository(open_database(db_copy))
    try:
        for rubric in ("evaluate_v1", "evaluate_v2"):
            run_evaluate(repo, EvaluateParams(student="reference", n=5, rubric=rubric),
                         settings=settings, actor=CLI_ACTOR)
        v1 = stage_table.report(repo, rubric_version="evaluate_v1")
        v2 = stage_table.report(repo, rubric_version="evaluate_v2")
        assert v1["rows"][0]["mean"]["n"] == v2["rows"][0]["mean"]["n"] == 5  # not 10
        assert v1["rows"][0]["mean"]["mean"] == 100  # v1: the reference grades itself perfect
        assert (v1["rubric_version"], v2["rubric_version"]) == ("evaluate_v1", "evaluate_v2")
        assert "evaluate_v1" in v1["caption"] and "evaluate_v2" not in v1["caption"]
        assert heldout.current(repo)["items"] == 5
        fed = run_feedback(repo, FeedbackParams(run="instructor", per_item=1), settings=settings,
                           actor=CLI_ACTOR)
        assert fed.status == "finished"  # any graded row can drive feedback
        fresh = run_evaluate(repo, EvaluateParams(student="reference", n=3, new_set=True),
                             settings=settings, actor=CLI_ACTOR)
        assert fresh.eval_items == 3 and fresh.heldout_set != v2["heldout_set"]
        assert stage_table.report(repo)["rows"][0]["mean"]["n"] == 3  # the newest set by default
    finally:
        repo.db.close()


def test_grades_from_before_the_decoding_column_migrate_as_greedy(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    before = [m for m in MIGRATIONS if m.name < "0005_paper_evaluation"]
    migrate(con, before)  # a database from before grades recorded their decoding
    con.execute("INSERT INTO evaluations (run_id, instruction_id, evaluator, rubric_version,"
                " answer, accuracy, completeness, reasonableness) VALUES"
                " ('base', 'i1', 'offline:heuristic-v1', 'evaluate_v1', 'a', 1, 2, 3)")
    con.close()
    repo = Repository(open_database(path))
    try:
        assert repo.graded_ids("offline:heuristic-v1", "evaluate_v1", "base", "greedy") == {"i1"}
        _grade(repo, "i1", 5, 5, 5)  # same run and item, another decoding and rubric: a new row
        assert repo.table_counts()["evaluations"] == 2
    finally:
        repo.db.close()


def test_grades_from_before_the_weights_column_migrate_as_the_final_adapter(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, [m for m in MIGRATIONS if m.name < "0007_grade_weights"])
    con.execute("INSERT INTO evaluations (run_id, instruction_id, evaluator, rubric_version,"
                " decoding, answer, accuracy, completeness, reasonableness) VALUES"
                " ('run1', 'i1', 'offline:heuristic-v1', 'evaluate_v2', 'greedy-8', 'a', 1, 2, 3)")
    con.close()
    repo = Repository(open_database(path))
    try:
        assert repo.graded_weights("run1") == ["final"]
        assert repo.graded_ids("offline:heuristic-v1", "evaluate_v2", "run1", "greedy-8",
                               "final") == {"i1"}
        with repo.db.transaction() as cur:  # the same item from a checkpoint: a row of its own
            repo.insert_grade(cur, {"run_id": "run1", "instruction_id": "i1",
                                    "evaluator": "offline:heuristic-v1",
                                    "rubric_version": "evaluate_v2", "decoding": "greedy-8",
                                    "weights": "checkpoint-4", "answer": "b", "accuracy": 4,
                                    "completeness": 5, "reasonableness": 6, "rationale": ""})
        assert repo.evaluation_count("run1") == 2
        assert repo.evaluation_count("run1", "checkpoint-4") == 1
    finally:
        repo.db.close()
