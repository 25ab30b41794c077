"""Evaluator, evaluation sets, feedback and the stage table, with answers written by hand.

The student process is replaced by answers already on disk (the job then never starts it), so
these tests run in seconds; tests/pipeline/test_evaluate_loop.py runs the real thing end to end.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from honeybee_core import charts, stage_table
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import load_settings
from honeybee_core.errors import InputError, NotFoundError, TrainingError
from honeybee_core.pipeline import heldout_draw, jobs
from honeybee_core.pipeline.evaluation_job import (
    BASE_RUN,
    EvaluateParams,
    answers_folder,
    eval_set,
    resolve_run,
    run_evaluate,
)
from honeybee_core.pipeline.evaluator import GRADE_COLUMNS
from honeybee_core.pipeline.feedback import FeedbackParams, run_feedback
from honeybee_core.pipeline.instructor import GenerateParams
from honeybee_core.store import Repository, open_database
from honeybee_core.training import student
from tests.fake_llm_server import FakeLLMServer


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory):
    """80 offline-generated, verified items (built once, copied per test)."""
    folder = tmp_path_factory.mktemp("evalseed")
    settings = load_settings(db=folder / "s.duckdb", runs_dir=folder / "runs")
    database = open_database(settings.db)
    repo = Repository(database)
    jobs.run_generate(repo, GenerateParams(n=80, seed=3), settings=settings, actor=CLI_ACTOR)
    jobs.run_verify(repo, jobs.VerifyParams(), settings=settings, actor=CLI_ACTOR)
    database.close()
    return settings.db


@pytest.fixture
def env(seeded_file, tmp_path):
    path = tmp_path / "db.duckdb"
    shutil.copyfile(seeded_file, path)
    settings = load_settings(db=path, runs_dir=tmp_path / "runs", max_attempts=3)
    database = open_database(path)
    yield Repository(database), settings, tmp_path
    database.close()


def fake_run(repo: Repository, folder, n_train: int = 20):
    """A run folder that trained on the first n_train items (its adapter is a stand-in)."""
    (folder / "adapter").mkdir(parents=True)
    (folder / "adapter" / "adapter_config.json").write_text("{}", encoding="utf-8")
    items = repo.select_items().head(n_train)
    items[["id", "instruction", "input", "output"]].to_parquet(folder / "snapshot.parquet")
    return folder


def write_answers(repo: Repository, params: EvaluateParams, good: int) -> pd.DataFrame:
    """The student copies the reference on the first `good` items and answers the rest badly;
    the base model answers nothing useful. Returns the evaluation set."""
    target = resolve_run(repo, params.run)
    items = eval_set(repo, target, params, actor=CLI_ACTOR)
    folder = answers_folder(target, params)
    folder.mkdir(parents=True)
    for who in student.TARGETS:
        lines = [json.dumps({"id": row.id, "answer": row.output if who == "student" and i < good
                             else "The weather was pleasant."})
                 for i, row in enumerate(items.itertuples())]
        student.answers_path(folder, who).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return items


def test_eval_set_is_held_out_and_prefers_trustworthy_references():
    candidates = pd.DataFrame({
        "id": list("abcdefgh"),
        "instruction": ["Explain why steel rusts.", "Define creep in nickel superalloys.",
                        "Name two polymer glass transitions.", "Compare ceramics and glasses.",
                        "What limits graphene transistors?", "Describe sintering stages.",
                        "Why do magnets lose strength when hot?", "Summarize band theory."],
        "input": [""] * 8,
        "vmean": [99, 98, 97, 50, 40, None, 96, 95],
    })
    trained = pd.DataFrame({"id": ["a", "x"], "instruction": [
        "Explain why steel rusts.", "Define creep in nickel-base superalloys!"],
        "input": ["", ""]})
    picked = heldout_draw.choose(candidates, trained, n=4, seed=1)
    assert "a" not in set(picked["id"])  # trained on
    assert "b" not in set(picked["id"])  # a near-duplicate of a training item
    assert set(picked["id"]) == {"c", "g", "h", "d"}  # good references first, then the best rest
    assert heldout_draw.choose(candidates, trained, n=4, seed=1).equals(picked)  # reproducible
    sticky = heldout_draw.choose(candidates, trained, n=2, seed=1, established={"e", "f"})
    assert set(sticky["id"]) == {"e", "f"}  # an established set is kept across stages


def test_evaluator_stores_one_grade_per_answer_and_rerun_adds_none(env):
    repo, settings, tmp = env
    folder = fake_run(repo, tmp / "run-a")
    params = EvaluateParams(run=str(folder / "adapter"), n=8, rubric="evaluate_v1")
    items = write_answers(repo, params, good=3)
    assert not set(items["id"]) & set(pd.read_parquet(folder / "snapshot.parquet")["id"])
    outcome = run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR)
    assert (outcome.status, outcome.scored, outcome.answered) == ("finished", 16, 0)
    grades = repo.grade_rows("offline:heuristic-v1", "evaluate_v1")
    assert sorted(grades["run_id"].unique()) == sorted([BASE_RUN, str(folder)])
    assert (grades.groupby("run_id")["instruction_id"].nunique() == 8).all()
    assert grades[["accuracy", "completeness", "reasonableness"]].stack().between(0, 100).all()
    perfect = grades[(grades["run_id"] == str(folder)) & (grades["answer"] == grades["reference"])]
    assert len(perfect) == 3 and (perfect[["accuracy", "completeness"]] == 100).all().all()
    assert repo.job(outcome.job_id)["status"] == "finished"
    again = run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR)
    assert (again.scored, again.total, again.paid_calls) == (0, 0, 0)
    assert len(repo.grade_rows("offline:heuristic-v1", "evaluate_v1")) == 16


def test_evaluator_grades_by_schema_through_the_openai_sdk(env, monkeypatch):
    repo, settings, tmp = env
    server = FakeLLMServer(latency=0.0).start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-eval-0123456789")
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
    try:
        folder = fake_run(repo, tmp / "run-b")
        params = EvaluateParams(run=str(folder), provider="openai", model="gpt-4o-mini", n=5,
                                include_base=False)
        write_answers(repo, params, good=1)
        outcome = run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR)
        assert (outcome.scored, outcome.paid_calls) == (5, 5)
        grades = repo.grade_rows("openai:gpt-4o-mini", "evaluate_v2")
        assert len(grades) == 5 and set(grades["run_id"]) == {str(folder)}
        assert set(grades["decoding"]) == {"greedy-128"}
        prompts = repo.db.cursor().execute(
            "SELECT request FROM llm_calls WHERE purpose = 'evaluate'").fetchall()
        assert "### Reference answer (a hint" in prompts[0][0]  # the versioned v2 prompt
    finally:
        server.stop()


def test_feedback_items_carry_parent_and_next_stage_then_get_verified(env):
    repo, settings, tmp = env
    folder = fake_run(repo, tmp / "run-c")
    params = EvaluateParams(run=str(folder), n=6, include_base=False, rubric="evaluate_v1")
    write_answers(repo, params, good=2)
    run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR)
    weak = repo.weak_answers(str(folder), None, 100.0)
    assert len(weak) == 4  # the two copied references are perfect under v1; the rest are weak
    dims = {(r.id, d) for r in weak.itertuples() for d in GRADE_COLUMNS if getattr(r, d) < 100}
    outcome = run_feedback(repo, FeedbackParams(run=str(folder), per_item=3), settings=settings,
                           actor=CLI_ACTOR)
    assert outcome.status == "finished" and outcome.new_items > 0
    assert outcome.total == len(dims)  # one prompt per weak dimension of each weak item
    new = repo.select_items().query("source == 'feedback'")
    assert len(new) == outcome.new_items
    assert set(new["parent_id"]) <= set(weak["id"]) and set(new["stage"]) == {2}
    assert set(new["prompt_version"]) == {"feedback_v2"}
    tagged = dict(repo.db.cursor().execute(
        "SELECT id, target_dimension FROM instructions WHERE source = 'feedback'").fetchall())
    assert set(tagged.values()) <= set(GRADE_COLUMNS) and None not in tagged.values()
    parents = weak.set_index("id")["input"]
    for row in new.itertuples():  # a weak item's passage is the input of its new triples
        if parents[row.parent_id]:
            assert row.input == parents[row.parent_id]
    assert repo.job(outcome.job_id)["kind"] == "feedback"
    again = run_feedback(repo, FeedbackParams(run=str(folder), per_item=3), settings=settings,
                         actor=CLI_ACTOR)
    assert (again.new_items, again.paid_calls) == (0, 0)
    jobs.run_verify(repo, jobs.VerifyParams(), settings=settings, actor=CLI_ACTOR)
    scored = set(repo.verifier_scores()["instruction_id"])
    kept = {r[0] for r in repo.db.cursor().execute(
        "SELECT id FROM instructions WHERE source = 'feedback' AND duplicate_of IS NULL"
    ).fetchall()}
    assert kept and kept <= scored  # verified like any other item


def test_feedback_with_the_students_answer_stays_an_option(env):
    repo, settings, tmp = env
    folder = fake_run(repo, tmp / "run-d")
    params = EvaluateParams(run=str(folder), n=4, include_base=False, rubric="evaluate_v1")
    write_answers(repo, params, good=0)
    run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR)
    outcome = run_feedback(repo, FeedbackParams(run=str(folder), per_item=2, mode="with-answer"),
                           settings=settings, actor=CLI_ACTOR)
    assert outcome.total == 4  # one prompt per weak item
    new = repo.select_items().query("source == 'feedback'")
    assert len(new) and set(new["prompt_version"]) == {"feedback_v1"}
    request = json.loads(repo.db.cursor().execute(
        "SELECT request FROM llm_calls WHERE purpose = 'feedback' LIMIT 1").fetchall()[0][0])
    assert "### Student answer" in request["prompt"] and request["temperature"] == 0.0
    with pytest.raises(InputError, match="--mode"):
        run_feedback(repo, FeedbackParams(run=str(folder), mode="sometimes"), settings=settings,
                     actor=CLI_ACTOR)


def test_feedback_and_evaluate_refuse_bad_requests_in_one_sentence(env):
    repo, settings, tmp = env
    with pytest.raises(NotFoundError, match="no evaluations yet"):
        run_feedback(repo, FeedbackParams(run="run-missing"), settings=settings, actor=CLI_ACTOR)
    with pytest.raises(InputError, match="threshold"):
        run_feedback(repo, FeedbackParams(run="base", threshold=0), settings=settings,
                     actor=CLI_ACTOR)
    with pytest.raises(NotFoundError, match="neither a training run id"):
        run_evaluate(repo, EvaluateParams(run=str(tmp / "nowhere")), settings=settings,
                     actor=CLI_ACTOR)
    (tmp / "half" / "adapter").mkdir(parents=True)
    with pytest.raises(TrainingError, match="neither a final adapter nor a checkpoint yet"):
        run_evaluate(repo, EvaluateParams(run=str(tmp / "half")), settings=settings,
                     actor=CLI_ACTOR)


def test_student_failure_marks_the_job_failed(env):
    repo, settings, tmp = env
    folder = fake_run(repo, tmp / "run-broken")  # a stand-in adapter cannot be loaded
    params = EvaluateParams(run=str(folder), n=2, include_base=False, max_new_tokens=4)
    with pytest.raises(TrainingError, match="Student inference failed"):
        run_evaluate(repo, params, settings=settings, actor=CLI_ACTOR)
    job = repo.jobs(kind="evaluate").iloc[0]
    assert job["status"] == "failed" and "Student inference failed" in job["error"]
    assert student.read_status(answers_folder(resolve_run(repo, str(folder)), params))[
        "state"] == "failed"


def test_answers_file_ignores_a_half_written_line(tmp_path):
    student.answers_path(tmp_path, "student").write_text(
        '{"id": "a", "answer": "x"}\n{"id": "b", "ans', encoding="utf-8")
    assert student.read_answers(tmp_path, "student") == {"a": "x"}


def test_stage_table_orders_base_runs_and_references():
    def grade(run_id, stage, item, score):
        return {"run_id": run_id, "run_stage": stage, "run_started_at": pd.Timestamp(2024, 1, 1),
                "instruction_id": item, "topic": "Metals", "task_type": "Editing",
                "instruction": "q", "input": "", "reference": "r", "answer": "a",
                "accuracy": score, "completeness": score, "reasonableness": score,
                "rationale": "", "mean": float(score)}
    frame = pd.DataFrame([grade(r, s, i, v) for r, s, v in (
        ("instructor", None, 90), ("run-2", 2, 60), ("base", None, 10), ("run-1", 1, 40))
        for i in ("i1", "i2")])
    table = stage_table.stage_table(frame)
    assert list(table["model"]) == ["base model", "stage 1 · run-1", "stage 2 · run-2",
                                    "instructor (reference)"]
    assert list(table["mean"]) == [10, 40, 60, 90] and set(table["n"]) == {2}
    assert len(charts.stage_chart(table).data) == 4
    assert charts.stage_chart(stage_table.stage_table(frame.head(0))).layout.annotations
    worst = stage_table.worst_answers(frame, "run-1", k=1)
    assert len(worst) == 1 and worst.loc[0, "mean"] == 40
    assert stage_table.weakest(frame, "topic").loc[0, "topic"] == "Metals"
