"""MatSci-NLP harness: tolerant loading, label mapping, sklearn-checked metrics, evaluate()."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from honeybee_core import matsci_nlp as mnlp
from honeybee_core.errors import InputError
from honeybee_core.matsci_nlp import (
    NO_MATCH,
    TaskSpec,
    build_prompts,
    evaluate,
    exact_match,
    fix_mojibake,
    levenshtein,
    load_task,
    map_to_label,
    score,
)

DATA = Path(__file__).parent / "data" / "matsci_nlp"
GLASS = {"0": "not glass", "1": "glass"}
ACTIONS = TaskSpec(  # a three-label task, not registered: score() takes a spec directly
    name="actions", file_name="actions.json", text_column="t", label_column="l",
    label_names={"h": "heating", "m": "mixing", "c": "cooling"},
    instruction="Which synthesis action is this? Answer heating, mixing or cooling.",
)


def _split_json(columns: list[str], rows: list[list], index: list | None = None) -> str:
    return pd.DataFrame(rows, columns=columns, index=index).to_json(
        orient="split", force_ascii=False
    )


def _write_glass(folder: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    path = folder / "glass_non_glass.json"
    path.write_bytes(_split_json(["Abstract", "Label"], rows).encode(encoding))
    return path


# -- loading ------------------------------------------------------------------------------------
def test_fixtures_are_pandas_split_json() -> None:
    for name, column in (("glass_non_glass.json", "Abstract"), ("sofc_sent.json", "sents")):
        frame = pd.read_json(DATA / name, orient="split")
        assert len(frame) == 12 and column in frame.columns


def test_load_glass_repairs_escaped_mojibake_and_keeps_the_index() -> None:
    frame = load_task(DATA, "glass_non_glass")
    assert list(frame.columns) == ["text", "label", "raw_label"]
    assert list(frame.index) == list(range(100, 112))
    assert frame["label"].value_counts().to_dict() == {"glass": 6, "not glass": 6}
    assert frame.attrs["encoding"] == "utf-8" and frame.attrs["dropped_rows"] == 0
    text = frame.loc[102, "text"]
    assert "Poulain’s" in text and "2.5 µm" in text and "Sébastien" in text
    assert not any(marker in " ".join(frame["text"]) for marker in ("Ã", "â€", "Â"))


def test_load_sofc_repairs_literal_mojibake() -> None:
    frame = load_task(DATA, "sofc_sent")
    assert len(frame) == 12 and set(frame["label"]) == {"yes", "no"}
    assert frame.loc[0, "text"].startswith("The cell was operated at 800 °C with a Ni–YSZ anode")


def test_cp1252_encoded_file(tmp_path: Path) -> None:
    _write_glass(tmp_path, [["Soda–lime glass at 550 °C, ‘annealed’ in Málaga", "1"],
                            ["Steel", "0"]], encoding="cp1252")
    frame = load_task(tmp_path, "glass_non_glass")
    assert frame.attrs["encoding"] == "cp1252"
    assert frame["text"].iloc[0] == "Soda–lime glass at 550 °C, ‘annealed’ in Málaga"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_encodings(tmp_path: Path, encoding: str) -> None:
    _write_glass(tmp_path, [["Verre de silice à 20 °C", "1"]], encoding=encoding)
    assert load_task(tmp_path, "glass_non_glass")["text"].iloc[0] == "Verre de silice à 20 °C"


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    body = _split_json(["Abstract", "Label"], [["glass X", "1"]]).encode("ascii")
    (tmp_path / "glass_non_glass.json").write_bytes(body.replace(b"X", b"\x81\xe9"))
    frame = load_task(tmp_path, "glass_non_glass")
    assert frame.attrs["encoding"] == "latin-1" and frame["text"].iloc[0] == "glass \x81é"


def test_numeric_labels_case_insensitive_columns_and_dropped_rows(tmp_path: Path) -> None:
    path = tmp_path / "glass_non_glass.json"
    rows = [["a glass", 1], ["a metal", 0.0], [None, 1], ["  ", 0], ["no label", None],
            ["verbal label", "Not Glass"]]
    path.write_text(_split_json(["abstract", "LABEL"], rows), encoding="utf-8")
    frame = load_task(tmp_path, "glass_non_glass")
    assert list(frame["label"]) == ["glass", "not glass", "not glass"]
    assert list(frame["raw_label"]) == ["1", "0", "Not Glass"]
    assert frame.attrs["dropped_rows"] == 3


def test_limit_is_a_seeded_sample_in_file_order() -> None:
    first = load_task(DATA, "glass_non_glass", limit=6)
    assert len(first) == 6 and list(first.index) == sorted(first.index)
    assert first.index.equals(load_task(DATA, "glass_non_glass", limit=6).index)
    assert len(load_task(DATA, "glass_non_glass", limit=50)) == 12
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="limit must be a positive whole number"):
            load_task(DATA, "glass_non_glass", limit=bad)


def test_missing_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_task(tmp_path, "sofc_sent")
    message = str(err.value)
    assert str(tmp_path / "sofc_sent.json") in message and "'sofc_sent'" in message
    assert "data_dir" in message and message.count(".") >= 1


def test_missing_column_error(tmp_path: Path) -> None:
    path = tmp_path / "glass_non_glass.json"
    path.write_text(_split_json(["Abstract", "Class"], [["glass", "1"]]), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_task(tmp_path, "glass_non_glass")
    message = str(err.value)
    assert "no column 'Label'" in message and "columns: Abstract, Class" in message
    assert "'glass_non_glass'" in message


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "is not valid JSON"),
    ('{"records": []}', "is not split-oriented JSON"),
    ('{"columns": ["Abstract", "Label"], "index": [0], "data": [["only text"]]}',
     "data row 0 has 1 values for 2 columns"),
    ('{"columns": ["Abstract", "Label"], "index": [7], "data": [["text", "2"]]}',
     "row 7: label '2' is not one of 0, 1"),
    ('{"columns": ["Abstract", "Label"], "index": [0], "data": [[null, "1"]]}',
     "has no row with both Abstract and Label"),
])
def test_bad_file_errors(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "glass_non_glass.json").write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        load_task(tmp_path, "glass_non_glass")


def test_records_oriented_json_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "glass_non_glass.json"
    path.write_text(json.dumps([{"Abstract": "glass", "Label": "1"}]), encoding="utf-8")
    assert list(load_task(tmp_path, "glass_non_glass")["label"]) == ["glass"]


@pytest.mark.parametrize(("broken", "fixed"), [
    ("cafÃ©", "café"),
    ("Itâ€™s", "It’s"),
    ("Niâ€“YSZ at 800 Â°C", "Ni–YSZ at 800 °C"),
    ("Î±-Fe2O3 and Î²-Ga2O3", "α-Fe2O3 and β-Ga2O3"),
    ("Å‚ódź", "łódź"),  # broken and genuine characters in one string
    ("naïve cafÃ©", "naïve café"),
    ("Ã¢â‚¬â„¢", "’"),  # decoded wrongly twice
    ("Ã\x89cole", "École"),  # latin-1 rather than cp1252 decoding
])
def test_fix_mojibake_repairs(broken: str, fixed: str) -> None:
    assert fix_mojibake(broken) == fixed


@pytest.mark.parametrize("text", ["plain ASCII", "café", "3 Å–5 Å films", "Straß“", "Ã", "", "µm"])
def test_fix_mojibake_leaves_genuine_text(text: str) -> None:
    assert fix_mojibake(text) == text


# -- prompts and label mapping ------------------------------------------------------------------
def test_build_prompts() -> None:
    frame = load_task(DATA, "sofc_sent", limit=3)
    prompts = build_prompts("sofc_sent", frame)
    assert len(prompts) == 3 and all(set(p) == {"instruction", "input"} for p in prompts)
    assert prompts[0]["instruction"] == mnlp.REGISTRY["sofc_sent"].instruction
    assert [p["input"] for p in prompts] == list(frame["text"])
    with pytest.raises(InputError, match="'text' column"):
        build_prompts("sofc_sent", pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("", "abc", 3), ("glass", "glass", 0),
    ("glass", "not glass", 4), ("abc", "", 3), ("gumbo", "gambol", 2),
])
def test_levenshtein(a: str, b: str, distance: int) -> None:
    assert levenshtein(a, b) == distance == levenshtein(b, a)


@pytest.mark.parametrize(("answer", "label"), [
    ("Glass.", "glass"),
    ("NOT   glass!", "not glass"),
    ("This abstract is not glass", "not glass"),  # "glass" inside "not glass" does not count
    ("It is a glass, not a crystal", "glass"),  # whole phrase; "not a" is not "not glass"
    ("Not glass. On reflection, glass", "not glass"),  # the earliest named label wins
    ("glassy", "glass"),  # no whole phrase: edit distance 1 vs 5
    ("gless", "glass"),
    ("nit glas", "not glass"),
    ("metallic alloy", "not glass"),  # distance 11 vs 12
    ("", "glass"),  # distance 5 vs 9
])
def test_map_to_label(answer: str, label: str) -> None:
    assert map_to_label(answer, GLASS) == label


def test_map_to_label_ties_go_to_the_first_label() -> None:
    assert map_to_label("aa", ["ab", "ba"]) == "ab"
    assert map_to_label("aa", ["ba", "ab"]) == "ba"
    assert map_to_label("xyz", ACTIONS.label_names) == "mixing"  # 6 vs 5 vs 7
    assert map_to_label("Mixing, then heating", ACTIONS.labels) == "mixing"
    with pytest.raises(InputError, match="label_names is empty"):
        map_to_label("glass", [])


@pytest.mark.parametrize(("answer", "label"), [
    ("glass", "glass"), (" Glass. ", "glass"), ("NOT-glass", "not glass"),
    ("glassy", None), ("It is glass", None), ("", None),
])
def test_exact_match(answer: str, label: str | None) -> None:
    assert exact_match(answer, GLASS) == label


# -- scoring ------------------------------------------------------------------------------------
GOLD = ["heating", "heating", "mixing", "mixing", "cooling", "cooling", "heating", "mixing"]
ANSWERS = ["Heating", "heat it", "mixing.", "The answer is heating", "mixing", "stir",
           "Heating!", "it was mixed"]


def _sklearn(gold: list[str], pred: list[str], labels: list[str]) -> dict[str, float]:
    kw = {"labels": labels, "zero_division": 0}
    return {"micro_f1": f1_score(gold, pred, average="micro", **kw),
            "macro_f1": f1_score(gold, pred, average="macro", **kw),
            "accuracy": accuracy_score(gold, pred)}


def _assert_matches_sklearn(metrics: dict, gold: list[str], pred: list[str],
                            labels: list[str]) -> None:
    expected = _sklearn(gold, pred, labels)
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, abs=1e-12), key
    per_label = f1_score(gold, pred, average=None, **{"labels": labels, "zero_division": 0})
    got = [metrics["per_label"][lab]["f1"] for lab in labels]
    np.testing.assert_allclose(got, per_label, atol=1e-12)


def test_score_matches_sklearn_with_a_class_never_predicted() -> None:
    result = score(ACTIONS, GOLD, ANSWERS)
    labels = list(ACTIONS.labels)
    closest = [map_to_label(a, labels) for a in ANSWERS]
    exact = [exact_match(a, labels) or NO_MATCH for a in ANSWERS]
    assert "cooling" not in closest and "cooling" not in exact  # never predicted
    _assert_matches_sklearn(result["closest"], GOLD, closest, labels)
    _assert_matches_sklearn(result["exact"], GOLD, exact, labels)
    assert result["exact"]["unmatched"] == exact.count(NO_MATCH) == 4
    # unmatched answers are misses but no label's false positives: micro-F1 != accuracy
    assert result["exact"]["micro_f1"] != pytest.approx(result["exact"]["accuracy"])
    # "stir" is 5 edits from heating and from mixing: the tie goes to the first label
    assert result["closest"]["confusion"]["cooling"] == {"heating": 1, "mixing": 1, "cooling": 0}
    assert result["exact"]["confusion"]["cooling"][NO_MATCH] == 1
    assert result["n"] == 8 and result["labels"] == labels


def test_score_matches_sklearn_default_for_a_label_absent_from_gold_and_answers() -> None:
    gold, answers = ["heating", "mixing", "mixing"], ["heating", "no idea", "mixing"]
    exact = [exact_match(a, ACTIONS.labels) or NO_MATCH for a in answers]
    with pytest.warns(UserWarning, match="ill-defined"):  # sklearn warns, then counts it as 0
        expected = f1_score(gold, exact, labels=list(ACTIONS.labels), average="macro")
    assert score(ACTIONS, gold, answers)["exact"]["macro_f1"] == pytest.approx(expected)
    assert score(ACTIONS, gold, answers)["exact"]["per_label"]["cooling"]["support"] == 0


@pytest.mark.parametrize("seed", range(20))
def test_score_matches_sklearn_on_random_predictions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = list(ACTIONS.labels)
    gold = list(rng.choice(labels, size=int(rng.integers(1, 30))))
    answers = list(rng.choice([*labels, "no idea", "cool", "Heating."], size=len(gold)))
    result = score(ACTIONS, gold, answers)
    _assert_matches_sklearn(result["closest"], gold, [map_to_label(a, labels) for a in answers],
                            labels)
    _assert_matches_sklearn(result["exact"], gold,
                            [exact_match(a, labels) or NO_MATCH for a in answers], labels)


def test_score_accepts_raw_gold_labels_and_rejects_bad_input() -> None:
    assert score("glass_non_glass", ["1", 0], ["glass", "glass"])["closest"]["accuracy"] == 0.5
    frame = load_task(DATA, "glass_non_glass")  # pandas Series work as well as lists
    assert score("glass_non_glass", frame["label"], frame["label"])["exact"]["accuracy"] == 1.0
    with pytest.raises(InputError, match="2 gold labels but 1 answers"):
        score("glass_non_glass", ["1", "0"], ["glass"])
    with pytest.raises(InputError, match=r"Gold label 1 \('metal'\) is not a label"):
        score("glass_non_glass", ["1", "metal"], ["glass", "glass"])
    with pytest.raises(InputError, match="no examples"):
        score("glass_non_glass", [], [])
    with pytest.raises(InputError, match="Unknown MatSci-NLP task 'nope'"):
        score("nope", ["1"], ["glass"])


# -- evaluate -----------------------------------------------------------------------------------
class FakeModel:
    """Keyword rules instead of a model; records every batch it was given."""

    def __init__(self) -> None:
        self.calls: list[list[dict[str, str]]] = []

    def __call__(self, items: list[dict[str, str]]) -> list[str]:
        self.calls.append(items)
        return [self.answer(item["instruction"], item["input"]) for item in items]

    @staticmethod
    def answer(instruction: str, text: str) -> str:
        if "about glass" in instruction:
            return "Glass." if "glass" in text.lower() else "It is not glass"
        return "Yes" if any(ch.isdigit() for ch in text) else "no, it does not"


def test_evaluate_with_a_fake_model() -> None:
    model = FakeModel()
    report = evaluate(DATA, model)
    json.dumps(report)  # JSON-serialisable as it is
    assert set(report["tasks"]) == {"glass_non_glass", "sofc_sent"}
    assert [len(batch) for batch in model.calls] == [12, 12]
    glass = report["tasks"]["glass_non_glass"]
    # rules miss row 103 (glass, no keyword) and row 108 (glass substrate, not glass)
    assert glass["closest"]["accuracy"] == pytest.approx(10 / 12)
    assert glass["closest"]["micro_f1"] == glass["closest"]["macro_f1"] == pytest.approx(10 / 12)
    # "It is not glass" is no exact label: six answers fall into "(none)"
    assert glass["exact"]["unmatched"] == 6 and glass["exact"]["accuracy"] == pytest.approx(5 / 12)
    assert glass["exact"]["micro_f1"] == pytest.approx(10 / 18)
    assert glass["exact"]["macro_f1"] == pytest.approx((10 / 12 + 0) / 2)
    example = glass["examples"][2]
    assert len(glass["examples"]) == 5
    assert example["text"].startswith("Fluoride glass fibres (ZBLAN) studied by Poulain’s")
    assert (example["gold"], example["answer"], example["mapped"], example["exact"]) == (
        "glass", "Glass.", "glass", "glass")
    summary = report["summary"]["closest"]
    assert summary["per_task"]["glass_non_glass"]["micro_f1"] == pytest.approx(10 / 12)
    assert summary["mean_micro_f1"] == pytest.approx(
        (10 / 12 + report["tasks"]["sofc_sent"]["closest"]["micro_f1"]) / 2)


def test_evaluate_sofc_matches_direct_scoring() -> None:
    report = evaluate(DATA, FakeModel(), tasks="sofc_sent", limit=8)
    sofc = report["tasks"]["sofc_sent"]
    frame = load_task(DATA, "sofc_sent", limit=8)
    answers = [FakeModel.answer(sofc["instruction"], t) for t in frame["text"]]
    direct = score("sofc_sent", list(frame["label"]), answers)
    assert sofc["n"] == 8 and sofc["closest"] == direct["closest"]
    assert sofc["exact"] == direct["exact"] and report["limit"] == 8


def test_evaluate_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="returned 0 answers for 12 prompts"):
        evaluate(DATA, lambda items: [], tasks=["glass_non_glass"])
    with pytest.raises(InputError, match="No MatSci-NLP task file in"):
        evaluate(tmp_path, FakeModel())
    with pytest.raises(InputError, match="does not exist"):
        evaluate(tmp_path / "missing", FakeModel())
    with pytest.raises(InputError, match="generate must be a callable"):
        evaluate(DATA, "model")
    with pytest.raises(InputError, match=r"Task file .* does not exist"):
        evaluate(tmp_path, FakeModel(), tasks=["sofc_sent"])
    with pytest.raises(InputError, match="tasks is empty"):
        evaluate(DATA, FakeModel(), tasks=[])


# -- registry -----------------------------------------------------------------------------------
def test_a_new_task_plugs_in_with_a_parse_hook(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A relation-classification-style file (JSON lines, one row per argument pair)."""
    monkeypatch.setattr(mnlp, "REGISTRY", dict(mnlp.REGISTRY))

    def parse(text: str) -> pd.DataFrame:
        rows = []
        for line in text.splitlines():
            record = json.loads(line)
            for rel in record["relations"]:
                rows.append({"input": f"Sentence: {record['sentence']}\nPair: {rel['args']}",
                             "relation": rel["type"]})
        return pd.DataFrame(rows)

    spec = mnlp.register_task(TaskSpec(
        name="toy_re", file_name="toy_re.jsonl", text_column="input", label_column="relation",
        label_names={"capacity": "capacity", "voltage": "voltage"}, parse=parse,
        instruction="Which property links the pair? Answer capacity or voltage.",
    ))
    lines = [{"sentence": "LiCoO2 delivers 140 mAh/g at 4.2 V.",
              "relations": [{"args": "LiCoO2, 140 mAh/g", "type": "capacity"},
                            {"args": "LiCoO2, 4.2 V", "type": "voltage"}]}]
    (tmp_path / "toy_re.jsonl").write_text("\n".join(map(json.dumps, lines)), encoding="utf-8")
    report = evaluate(tmp_path, lambda items: ["Capacity", "the voltage"])
    assert list(report["tasks"]) == ["toy_re"]
    assert report["tasks"]["toy_re"]["closest"]["accuracy"] == 1.0
    assert report["tasks"]["toy_re"]["exact"]["accuracy"] == 0.5
    with pytest.raises(InputError, match="already registered"):
        mnlp.register_task(spec)
    mnlp.register_task(dataclasses.replace(spec, parse=lambda text: [text]), replace=True)
    with pytest.raises(InputError, match=r"returned list .* make it return a pandas DataFrame"):
        load_task(tmp_path, "toy_re")


@pytest.mark.parametrize("names", [{}, {"a": "yes", "b": "Yes!"}, {"a": "?"}, {"a": NO_MATCH}])
def test_task_spec_rejects_bad_label_names(names: dict[str, str]) -> None:
    with pytest.raises(InputError, match="distinct, non-empty verbal labels"):
        TaskSpec(name="bad", file_name="b.json", text_column="t", label_column="l",
                 label_names=names, instruction="Answer.")
