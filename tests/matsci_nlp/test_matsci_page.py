"""The Evaluate page shows the MatSci-NLP table from saved metrics.json files."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from honeybee_core.config import get_settings
from tests.conftest import ROOT, sign_in_as


def _metrics(model: str, micro: float) -> dict:
    row = {"n": 10, "pairs": 10, "micro_f1": micro, "macro_f1": micro / 2,
           "micro_f1_ci": [micro - 0.1, micro + 0.05], "macro_f1_ci": [0.1, 0.4]}
    return {"benchmark": "MatSci-NLP", "model": model, "created_at": f"2026-01-0{int(micro*5)}",
            "split": {"mode": "low-resource", "train_size": 0.01, "seed": 0},
            "rule": "released", "tasks": {"ner": row, "sc": row}}


def _open(tmp_path: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("HONEYBEE_DB", str(tmp_path / "app.duckdb"))
    monkeypatch.setenv("HONEYBEE_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("HONEYBEE_MATSCI_DIR", str(tmp_path / "matsci"))
    get_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at, role="reviewer")
    at.run()
    at.switch_page("views/evaluate.py")
    at.run()
    return at


def test_evaluate_page_shows_the_matsci_table(tmp_path: Path, monkeypatch) -> None:
    for name, micro in (("honeybee-7b", 0.8), ("openai:gpt-4o", 0.6)):
        folder = tmp_path / "matsci" / name.replace(":", "_")
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text(json.dumps(_metrics(name, micro)), "utf-8")
    try:
        at = _open(tmp_path, monkeypatch)
        assert not at.exception
        table = next(d.value for d in at.dataframe if "NER micro" in d.value.columns)
        assert list(table["model"]) == ["openai:gpt-4o", "honeybee-7b"]  # oldest first
        assert table.loc[1, "NER micro"] == "0.800 [0.700, 0.850]"
        assert table.loc[1, "SC macro"] == "0.400 [0.100, 0.400]"
        assert table.loc[0, "RC micro"] == "–" and table.loc[0, "split"].startswith("low-res")
    finally:
        get_settings.cache_clear()


def test_evaluate_page_without_matsci_scores(tmp_path: Path, monkeypatch) -> None:
    try:
        at = _open(tmp_path, monkeypatch)
        assert not at.exception
        assert any("No MatSci-NLP scores" in i.value for i in at.info)
    finally:
        get_settings.cache_clear()
