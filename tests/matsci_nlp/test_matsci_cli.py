"""`honeybee matsci-nlp tasks | export | score | run` as a user runs them, and the table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import load_settings
from honeybee_core.errors import InputError
from honeybee_core.matsci_nlp.files import read_predictions
from honeybee_core.matsci_nlp.run import RunParams, run_benchmark
from honeybee_core.matsci_nlp.splits import SplitSpec
from honeybee_core.matsci_nlp.table import matsci_table
from tests.conftest import run_cli, write_jsonl
from tests.fake_llm_server import FakeLLMServer

DATA = Path(__file__).resolve().parents[1] / "data" / "matsci_nlp"
LOW = ["--split", "low-resource", "--train-size", "0.25", "--seed", "3"]


def test_tasks_lists_each_task_and_skips_absent_files(tmp_path: Path) -> None:
    shutil.copy(DATA / "sofc_sent.json", tmp_path / "sofc_sent.json")
    done = run_cli("matsci-nlp", "tasks", "--data", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tasks"] == [{"task": "sc", "name": "Sentence classification",
                                "files": ["sofc_sent.json"], "missing_files": [], "rows": 12,
                                "labels": ["yes", "no"]}]
    skipped = [line for line in done.stderr.splitlines() if line.startswith("Skipped")]
    assert len(skipped) == 6 and "glass_non_glass.json not in" in done.stderr


def test_export_then_score_its_own_answers_gives_one_everywhere(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    done = run_cli("matsci-nlp", "export", "--data", str(DATA), *LOW, "--out", str(questions),
                   "--json")
    assert done.returncode == 0, done.stderr
    exported = [json.loads(line) for line in questions.read_text("utf-8").splitlines()]
    assert json.loads(done.stdout)["questions"] == len(exported) == 85
    first = exported[0]
    assert set(first) == {"id", "task", "prompt", "instruction", "input", "answer"}
    assert first["prompt"].startswith("Below is an instruction") and "### Response:" in (
        first["prompt"])
    answers = write_jsonl(tmp_path / "answers.jsonl",
                          [{"id": r["id"], "prediction": r["answer"]} for r in exported])
    done = run_cli("matsci-nlp", "score", str(answers), "--data", str(DATA), *LOW,
                   "--bootstrap", "100", "--json")
    assert done.returncode == 0, done.stderr
    tasks = json.loads(done.stdout)["tasks"]
    assert list(tasks) == ["ner", "rc", "ee", "pc", "sar", "sc", "sf"]
    assert all(r["micro_f1"] == r["macro_f1"] == 1.0 for r in tasks.values())
    human = run_cli("matsci-nlp", "score", str(answers), "--data", str(DATA), *LOW,
                    "--bootstrap", "0")
    assert human.stdout.count("micro-F1 1.000") == 7
    # the train part's ids are not scored questions: an error, and nothing is printed
    train = tmp_path / "train.jsonl"
    run_cli("matsci-nlp", "export", "--data", str(DATA), *LOW, "--part", "train",
            "--out", str(train))
    first_train = json.loads(train.read_text("utf-8").splitlines()[0])["id"]
    write_jsonl(answers, [{"id": first_train, "prediction": "yes"}])
    bad = run_cli("matsci-nlp", "score", str(answers), "--data", str(DATA), *LOW)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and f"'{first_train}'" in bad.stderr


def test_score_saves_metrics_for_the_table(tmp_path: Path) -> None:
    answers = write_jsonl(tmp_path / "model-x.jsonl", [
        {"id": "sofc_sent/0", "prediction": "yes"}, {"id": "sofc_sent/1", "prediction": "no"},
        {"id": "glass_non_glass/0", "prediction": "no"}])
    done = run_cli("matsci-nlp", "score", str(answers), "--data", str(DATA), "--out",
                   str(tmp_path / "runs" / "x"), "--json")
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / "runs" / "x" / "metrics.json").read_text("utf-8"))
    assert saved["model"] == "model-x" and set(saved["tasks"]) == {"pc", "sc"}
    assert saved["rule"] == "released" and saved["answered"] == 3
    table = matsci_table(tmp_path / "runs")
    assert list(table["model"]) == ["model-x"]
    assert table.loc[0, "SC micro"].startswith("1.000") and table.loc[0, "NER micro"] == "–"
    assert list(table.columns[4:6]) == ["NER micro", "NER macro"]


@pytest.mark.parametrize(("lines", "message"), [
    (['{"id": "a"}'], "line 1 \\(id a\\) has no string 'prediction'"),
    (["nope"], "line 1 is not JSON"),
    (['{"id": "a", "prediction": "x"}', '{"id": "a", "prediction": "y"}'], "appears twice"),
])
def test_bad_prediction_files(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_predictions(path)


def test_an_api_model_answers_through_the_providers(tmp_path: Path, repo, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-matsci-0123456789")
    server = FakeLLMServer().start()
    settings = load_settings(db=tmp_path / "x.duckdb", matsci_dir=tmp_path / "matsci")
    params = RunParams(model="openai:gpt-4o-mini", data_dir=DATA, tasks=("sc", "pc", "ee"),
                       split=SplitSpec("low-resource", 0.25, 1), limit=4, n_boot=50,
                       base_url=server.openai_base_url)
    try:
        metrics = run_benchmark(repo, params, settings, actor=CLI_ACTOR)
        calls = server.model_requests()
        again = run_benchmark(repo, RunParams(**{**params.__dict__, "out_dir": None}), settings,
                              actor=CLI_ACTOR)
        assert server.model_requests() == calls  # the call log answered every question
    finally:
        server.stop()
    assert calls == 12 and metrics["api_calls"]["failed"] == 0
    assert again["api_calls"]["cached"] == 12
    folder = Path(metrics["folder"])
    assert folder.parent == tmp_path / "matsci"
    predictions = read_predictions(folder / "predictions.jsonl")
    assert len(predictions) == 12 and all(p.startswith("answer about") for p in
                                          predictions.values())
    saved = json.loads((folder / "metrics.json").read_text("utf-8"))
    assert saved["tasks"] == metrics["tasks"] and set(saved["tasks"]) == {"ee", "pc", "sc"}
    assert saved["model"] == "openai:gpt-4o-mini" and saved["split"]["train_size"] == 0.25
    assert all(saved["tasks"][k]["n"] == 4 for k in saved["tasks"])
    requests = [json.loads(s.body) for s in server.seen if s.path == "/v1/chat/completions"]
    prompts = [r["messages"][-1]["content"] for r in requests]
    assert sum("sentence classification. choices : yes,no" in p for p in prompts) == 4


@pytest.mark.parametrize(("model", "extra", "message"), [
    ("offline", {}, "offline provider has no MatSci-NLP answers"),
    ("gpt-4o", {}, "neither a run id, a run folder, tiny, nor PROVIDER:MODEL"),
    ("tiny", {}, "base model without an adapter"),
    ("tiny", {"finetune": True}, "--finetune trains on the train part"),
    ("openai:gpt-4o", {"finetune": True, "split": SplitSpec("low-resource", 0.25)},
     "--finetune trains a local model"),
])
def test_run_rejects_what_it_cannot_do(tmp_path: Path, repo, model, extra, message) -> None:
    settings = load_settings(db=tmp_path / "x.duckdb", matsci_dir=tmp_path / "m")
    with pytest.raises(InputError, match=message):
        run_benchmark(repo, RunParams(model=model, data_dir=DATA, **extra), settings,
                      actor=CLI_ACTOR)
