"""--finetune: a LoRA adapter trained on the low-resource train part through the training
runner (tiny model, two steps), then batched local generation answers the test part."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from honeybee_core.auth import CLI_ACTOR
from honeybee_core.config import load_settings
from honeybee_core.matsci_nlp import SplitSpec, load, split_questions
from honeybee_core.matsci_nlp.files import read_predictions
from honeybee_core.matsci_nlp.run import RunParams, run_benchmark

DATA = Path(__file__).resolve().parents[1] / "data" / "matsci_nlp"
TINY = {"max_steps": 2, "val_fraction": 0.0, "logging_steps": 1, "save_steps": 2,
        "max_length": 256, "early_stopping_patience": 0, "per_device_batch_size": 4}


@pytest.mark.slow
def test_finetune_on_the_train_part_then_answer_the_test_part(tmp_path: Path, repo) -> None:
    settings = load_settings(db=tmp_path / "x.duckdb", runs_dir=tmp_path / "runs",
                             matsci_dir=tmp_path / "matsci")
    split = SplitSpec("low-resource", 0.25, 5)
    params = RunParams(model="tiny", data_dir=DATA, tasks=("pc", "sc", "sar"), split=split,
                       finetune=True, train_overrides=TINY, batch_size=8, max_new_tokens=4,
                       n_boot=20, out_dir=tmp_path / "eval")
    metrics = run_benchmark(repo, params, settings, actor=CLI_ACTOR)
    train, test = split_questions(load(DATA, ["pc", "sc", "sar"]).questions, split)
    tuned = metrics["finetune"]
    assert tuned["from"] == "tiny" and tuned["train_questions"] == len(train) == 8
    assert tuned["steps"] == 2 and repo.run(tuned["run_id"])["status"] == "finished"
    assert metrics["model"] == "tiny+finetune" and metrics["answered"] == len(test) == 26
    snapshot = pd.read_parquet(tmp_path / "eval" / "finetune" / "train.parquet")
    assert sorted(snapshot["id"]) == sorted(q.id for q in train)
    assert snapshot["instruction"].str.contains("choices : ").all()
    assert set(snapshot["output"]) <= {"yes", "no", *(q.answer for q in train)}
    predictions = read_predictions(tmp_path / "eval" / "predictions.jsonl")
    assert set(predictions) == {q.id for q in test}
    saved = json.loads((tmp_path / "eval" / "metrics.json").read_text("utf-8"))
    assert set(saved["tasks"]) == {"pc", "sar", "sc"}
    assert saved["generation"]["batch_size"] == 8 and saved["generation"]["rows_per_s"] > 0
    # the new run answers again by its id, one row at a time
    again = run_benchmark(repo, RunParams(model=tuned["run_id"], data_dir=DATA, tasks=("pc",),
                                          limit=3, batch_size=1, max_new_tokens=4, n_boot=0),
                          settings, actor=CLI_ACTOR)
    assert again["model"] == tuned["run_id"] and again["tasks"]["pc"]["n"] == 3
    assert Path(again["folder"]).parent == tmp_path / "matsci"
