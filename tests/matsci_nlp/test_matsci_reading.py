"""Reading the released file formats into questions, as the release's loaders build them."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from honeybee_core.errors import InputError
from honeybee_core.matsci_nlp import TASKS, get_task, instruction, load
from honeybee_core.matsci_nlp.reading import decode_bytes

DATA = Path(__file__).resolve().parents[1] / "data" / "matsci_nlp"


@pytest.fixture(scope="module")
def bench():
    return load(DATA)


def _by_id(bench):
    return {q.id: q for q in bench.questions}


def test_all_seven_tasks_from_their_released_files(bench) -> None:
    assert [t.key for t in bench.tasks] == ["ner", "rc", "ee", "pc", "sar", "sc", "sf"]
    assert bench.notes == []
    sources = {(q.task, q.source) for q in bench.questions}
    for task in TASKS.values():
        assert {s for t, s in sources if t == task.key} == set(task.files), task.key
    assert Counter(q.task for q in bench.questions) == {
        "ner": 47, "rc": 13, "pc": 12, "sc": 12, "sar": 10, "sf": 9, "ee": 7}
    assert all(f["encoding"] == "utf-8" for f in bench.files.values())


def test_questions_and_answers_as_released(bench) -> None:
    q = _by_id(bench)
    # matscholar: one question per tagged token, answer lower-cased
    assert (q["matscholar/0"].question, q["matscholar/0"].answer) == (
        "named entity recognition \t LiFePO4", "b-mat")
    assert q["matscholar/0"].text == "LiFePO4 nanoparticles were synthesized by a sol-gel method ."
    # sofc_token: NER and slot filling questions interleaved, text is the joined tokens
    sofc = [x for x in bench.questions if x.source == "sofc_token.json"][:3]
    assert [(x.task, x.question, x.answer) for x in sofc] == [
        ("ner", "named entity recognition \t Ni-YSZ", "b-material"),
        ("sf", "slot filling \t Ni-YSZ", "b-anode_material"),
        ("ner", "named entity recognition \t tested", "b-experiment")]
    assert sofc[0].text.startswith("The Ni-YSZ anode was tested at 800 °C")
    # brat files: entities by span, relations by argument text, events as arg:role lists
    assert q["synthesis_procedures/6"].question == "named entity recognition:C"
    assert q["synthesis_procedures/10"].question == "relation classification\t900,C"
    assert q["synthesis_procedures/9"].answer == "next_operation"  # E1,E2 -> trigger text
    assert q["synthesis_procedures/9"].question == "relation classification\tmixing,heating"
    assert q["synthesis_procedures/12"].answer == "li2co3:recipe_precursor,co3o4:recipe_precursor"
    assert q["synthesis_procedures/21"].answer == "none:none"  # an event without arguments
    assert q["sc_comics/7"].question == "event extraction\tdoped"
    assert q["structured_re/2"].answer == "coulombic efficiency"
    assert q["synthesis_actions/6"].question == "synthesis action retrieval \t pressed"
    assert q["synthesis_actions/7"].answer == "non-altering"


def test_paragraph_and_sentence_classification_answer_yes_or_no(bench) -> None:
    glass = [x for x in bench.questions if x.task == "pc"]
    assert {x.answer for x in glass} == {"yes", "no"} and len(glass) == 12
    assert all(x.question == "paragraph classification" for x in glass)
    raw = json.loads((DATA / "glass_non_glass.json").read_text(encoding="utf-8"))
    assert [x.answer for x in glass] == ["yes" if row[1] == "1" else "no" for row in raw["data"]]
    assert {x.answer for x in bench.questions if x.task == "sc"} == {"yes", "no"}


def test_text_is_published_text_unless_repair_is_asked(bench) -> None:
    published = _by_id(bench)["glass_non_glass/2"].text
    assert "Poulainâ€™s" in published and "Ã©" in published  # mojibake as published
    fixed = load(DATA, repair=True)
    text = _by_id(fixed)["glass_non_glass/2"].text
    assert "Poulain’s" in text and "2.5 µm" in text and "Sébastien" in text
    assert fixed.repaired == {"texts_changed": 2, "texts": 44, "questions_changed": 2,
                              "questions": 110}
    assert bench.repaired is None


def test_task_selection_and_missing_files(tmp_path: Path) -> None:
    for name in ("glass_non_glass.json", "sofc_token.json"):
        shutil.copy(DATA / name, tmp_path / name)
    bench = load(tmp_path)
    assert [t.key for t in bench.tasks] == ["ner", "pc", "sf"]
    assert sum("Skipped" in n for n in bench.notes) == 4  # rc, ee, sar, sc
    assert any(n.startswith("Skipped event argument extraction (ee)") for n in bench.notes)
    assert any("Named entity recognition (ner) without matscholar.json" in n for n in bench.notes)
    only = load(tmp_path, ["sf"])
    assert {q.task for q in only.questions} == {"sf"} and only.notes == []
    with pytest.raises(InputError, match="No MatSci-NLP task file in"):
        load(tmp_path, ["sar"])
    with pytest.raises(InputError, match="does not exist"):
        load(tmp_path / "nope")


def test_task_names_and_prompts() -> None:
    assert get_task("RE").key == "rc" and get_task("slot filling").key == "sf"
    assert get_task("Event argument extraction").key == "ee"
    with pytest.raises(InputError, match="Unknown MatSci-NLP task 'pos'"):
        get_task("pos")
    assert instruction(TASKS["pc"], "paragraph classification", "plain") == (
        "paragraph classification")
    assert instruction(TASKS["pc"], "paragraph classification") == (
        "paragraph classification. choices : yes,no")
    assert "argument:role" in instruction(TASKS["ee"], "event extraction\tmixing")
    with pytest.raises(InputError, match="Unknown prompt style"):
        instruction(TASKS["pc"], "x", "fancy")


def _glass(folder: Path, body: str | bytes) -> None:
    path = folder / "glass_non_glass.json"
    path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))


@pytest.mark.parametrize(("body", "expected"), [
    ("{not json", "is not valid JSON"),
    ('{"records": []}', "is not split-oriented JSON"),
    ('{"columns": ["Abstract", "Class"], "data": [["a", 1]]}', r"has no column Label"),
    ('{"columns": ["Abstract", "Label"], "data": [["only text"]]}', "data row 0 does not"),
    ('{"columns": ["Abstract", "Label"], "data": [["text", "2"]]}', "row 0: label '2' is not"),
])
def test_bad_split_files(tmp_path: Path, body: str, expected: str) -> None:
    _glass(tmp_path, body)
    with pytest.raises(InputError, match=expected):
        load(tmp_path)


def test_gold_labels_must_be_released_labels(tmp_path: Path) -> None:
    bad = [{"sentence": "It was baked .", "annotations": [{"token": "baked", "tag": "Baking"}]}]
    (tmp_path / "synthesis_actions.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(InputError, match="gold answer 'baking' is not one of the released"):
        load(tmp_path)
    (tmp_path / "synthesis_actions.json").write_text('[{"sentence": "x"}]', encoding="utf-8")
    with pytest.raises(InputError, match="sentence 0: field 'annotations' is missing"):
        load(tmp_path)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_file_encodings(tmp_path: Path, encoding: str) -> None:
    body = json.dumps({"columns": ["Abstract", "Label"], "data": [["Verre à 20 °C – ‘x’", 1]]},
                      ensure_ascii=False)
    _glass(tmp_path, body.encode(encoding))
    bench = load(tmp_path)
    assert bench.questions[0].text == "Verre à 20 °C – ‘x’"
    assert bench.files["glass_non_glass.json"]["encoding"] == encoding


def test_bytes_undefined_in_cp1252_fall_back_to_latin1() -> None:
    assert decode_bytes(b'"x \x81\xe9"') == ('"x \x81é"', "latin-1")
