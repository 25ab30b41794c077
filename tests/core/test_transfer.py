"""Import, validation, ratings and export against a real DuckDB file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from honeybee_core import transfer as hio
from honeybee_core.auth import CLI_ACTOR
from honeybee_core.errors import InputError
from honeybee_core.store import Repository, open_database
from tests.conftest import triples, write_jsonl

HARD_TEXT = {
    "instruction": r"Explain $\textbf{x}$ and $E = mc^2$ in \LaTeX; 'quotes', \"dq\", tab\tend",
    "input": "Ünïcödé: α-Fe₂O₃, 石墨烯, emoji 🧪, newline\nsecond line\r\nCRLF",
    "output": "x" * 100_000,  # a 100 kB field
}


def _alpaca(path: Path, records: list) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def _csv(path: Path, records: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return path


def _items(repo: Repository) -> pd.DataFrame:
    return repo.select_items().sort_values("id").reset_index(drop=True)


@pytest.mark.parametrize("fmt", ["alpaca", "jsonl", "csv", "parquet"])
def test_every_format_imports_text_exactly(repo, tmp_path, fmt):
    records = [HARD_TEXT, *triples(5)]
    path = {
        "alpaca": lambda: _alpaca(tmp_path / "d.json", records),
        "jsonl": lambda: write_jsonl(tmp_path / "d.jsonl", records),
        "csv": lambda: _csv(tmp_path / "d.csv", records),
        "parquet": lambda: pd.DataFrame(records).to_parquet(tmp_path / "d.parquet") or
        tmp_path / "d.parquet",
    }[fmt]()
    result = hio.import_file(repo, path, actor=CLI_ACTOR)
    assert result.format == fmt
    assert (result.records, result.new_items) == (6, 6)
    stored = _items(repo).set_index("id")
    hard = stored.loc[hio.content_id(HARD_TEXT["instruction"], HARD_TEXT["input"],
                                     HARD_TEXT["output"])]
    assert hard["instruction"] == HARD_TEXT["instruction"]
    assert hard["input"] == HARD_TEXT["input"]
    assert hard["output"] == HARD_TEXT["output"]


def test_format_sniffed_from_content_without_extension(repo, tmp_path):
    path = tmp_path / "data.txt"
    write_jsonl(path, triples(3))
    assert hio.import_file(repo, path, actor=CLI_ACTOR).format == "jsonl"
    path2 = tmp_path / "data2.dat"
    _alpaca(path2, triples(2, "other"))
    assert hio.import_file(repo, path2, actor=CLI_ACTOR).format == "alpaca"


def test_reimport_adds_nothing(repo, tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", triples(20))
    first = hio.import_file(repo, path, actor=CLI_ACTOR)
    counts = repo.table_counts()
    second = hio.import_file(repo, path, actor=CLI_ACTOR)
    assert (first.new_items, second.new_items, second.existing_items) == (20, 0, 20)
    assert repo.table_counts() == counts


def test_duplicate_records_in_one_file_stored_once(repo, tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", triples(3) + triples(3))
    assert hio.import_file(repo, path, actor=CLI_ACTOR).new_items == 3


def test_verifier_format_writes_scores(repo, tmp_path):
    records = [
        {"instruction": t["instruction"], "input": t["input"], "output_text": t["output"],
         "Accuracy": 95, "Relevance": 100, "Completeness": 90.5, "Reasonableness": 0}
        for t in triples(4)
    ]
    path = write_jsonl(tmp_path / "verifier.jsonl", records)
    result = hio.import_file(repo, path, verifier="gpt-4:paper", actor=CLI_ACTOR)
    assert (result.format, result.new_items, result.new_scores) == ("verifier", 4, 4)
    scores = repo.verifier_scores()
    assert set(scores["verifier"]) == {"gpt-4:paper"}
    assert sorted(scores["completeness"]) == [90.5] * 4
    assert hio.import_file(repo, path, verifier="gpt-4:paper", actor=CLI_ACTOR).new_scores == 0
    # the same items scored by a second verifier add scores, not items
    again = hio.import_file(repo, path, fmt="verifier", verifier="claude", actor=CLI_ACTOR)
    assert (again.new_items, again.new_scores) == (0, 4)
    assert repo.stats()["verifier_scored"] == 4


BAD_CASES = {
    "bad_json_list": ("d.json", b'[{"instruction": "a", "output": "b"},\n {"instruction": }]',
                      "line 2"),
    "bad_jsonl_line": ("d.jsonl", b'{"instruction": "a", "output": "b"}\n{"instruction": "c"\n',
                       "record 2"),
    "missing_output": ("d.jsonl",
                       b'{"instruction": "a", "output": "b"}\n{"instruction": "c", "input": ""}\n',
                       "record 2, field 'output'"),
    "wrong_type": ("d.json", b'[{"instruction": "a", "output": "b"}, {"instruction": 7,'
                   b' "output": "x"}]', "record 2, field 'instruction'"),
    "empty_instruction": ("d.jsonl", b'{"instruction": "  ", "output": "b"}\n',
                          "record 1, field 'instruction'"),
    "score_out_of_range": ("v.jsonl", b'{"instruction": "a", "input": "", "output_text": "b",'
                           b' "Accuracy": 101, "Relevance": 1, "Completeness": 1,'
                           b' "Reasonableness": 1}\n', "record 1, field 'Accuracy'"),
    "score_not_number": ("v.csv", b"instruction,input,output,Accuracy,Relevance,Completeness,"
                         b"Reasonableness\na,,b,90,high,90,90\n", "record 1, field 'Relevance'"),
    "score_missing": ("v.jsonl", b'{"instruction": "a", "output": "b", "Accuracy": 90}\n',
                      "record 1, field 'Relevance'"),
    "empty_file": ("d.jsonl", b"", "empty"),
    "whitespace_file": ("d.json", b"  \n\n", "empty"),
    "empty_list": ("d.json", b"[]", "empty"),
    "header_only_csv": ("d.csv", b"instruction,input,output\n", "no records"),
    "binary_file": ("d.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    "wrong_encoding": ("d.jsonl", '{"instruction": "caf\u00e9", "output": "b"}\n'.encode("latin-1"),
                       "not valid UTF-8"),
    "not_a_list": ("d.json", b'{"data": []}', "list of objects"),
    "record_not_object": ("d.json", b'[{"instruction": "a", "output": "b"}, "text"]',
                          "record 2"),
    "bad_stage": ("d.jsonl", b'{"instruction": "a", "output": "b", "stage": 0}\n',
                  "record 1, field 'stage'"),
    "damaged_parquet": ("d.parquet", b"PAR1 this is not parquet", "not a readable Parquet"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_file_rejected_whole_with_one_line(repo, tmp_path, case):
    hio.import_file(repo, write_jsonl(tmp_path / "good.jsonl", triples(3)), actor=CLI_ACTOR)
    before = repo.table_counts()
    name, content, expected = BAD_CASES[case]
    path = tmp_path / name
    # a valid record first, so "nothing is written" means the good ones too
    path.write_bytes(content)
    fmt = "verifier" if name.startswith("v.") else "auto"
    with pytest.raises(InputError) as err:
        hio.import_file(repo, path, fmt=fmt, actor=CLI_ACTOR)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message and name in message
    assert repo.table_counts() == before


def test_bad_record_late_in_file_writes_nothing(repo, tmp_path):
    records = triples(500)
    records[450] = {"instruction": "ok", "output": None}
    with pytest.raises(InputError, match="record 451, field 'output'"):
        hio.import_file(repo, write_jsonl(tmp_path / "d.jsonl", records), actor=CLI_ACTOR)
    assert repo.stats()["instructions"] == 0


def test_missing_file_is_one_clear_line(repo, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        hio.import_file(repo, tmp_path / "nope.jsonl", actor=CLI_ACTOR)


def test_stage_option_applies_to_all(repo, tmp_path):
    hio.import_file(repo, write_jsonl(tmp_path / "d.jsonl", triples(4)), stage=2, actor=CLI_ACTOR)
    assert repo.stats()["by_stage"] == {"2": 4}


@pytest.mark.parametrize("fmt", ["alpaca", "jsonl", "parquet", "hf"])
def test_round_trip_is_identity(repo, tmp_path, fmt):
    records = [{**HARD_TEXT, "stage": 2, "topic": "Glass", "task_type": "Editing"},
               *triples(30)]
    hio.import_file(repo, write_jsonl(tmp_path / "in.jsonl", records), actor=CLI_ACTOR)
    out = tmp_path / ("out" if fmt == "hf" else f"out.{ {'alpaca': 'json'}.get(fmt, fmt)}")
    assert hio.export_items(repo, out, fmt, actor=CLI_ACTOR).items == 31
    fresh = Repository(open_database(tmp_path / "fresh.duckdb"))
    assert hio.import_file(fresh, out, actor=CLI_ACTOR).new_items == 31
    cols = ["id", "instruction", "input", "output"] if fmt == "alpaca" else [
        "id", "stage", "topic", "task_type", "instruction", "input", "output", "source"]
    pd.testing.assert_frame_equal(_items(repo)[cols], _items(fresh)[cols])
    # and importing the export back into the source adds nothing
    assert hio.import_file(repo, out, actor=CLI_ACTOR).new_items == 0


def test_export_approved_only(repo, tmp_path):
    hio.import_file(repo, write_jsonl(tmp_path / "d.jsonl", triples(5)), actor=CLI_ACTOR)
    ids = sorted(repo.select_items()["id"])
    with repo.db.transaction() as cur:
        repo.add_decisions(cur, ids[:3], "approve", "curator", "good")
        repo.add_decisions(cur, ids[2:3], "reject", "curator", "changed my mind")
    result = hio.export_items(repo, tmp_path / "a.jsonl", "jsonl", approved=True, actor=CLI_ACTOR)
    exported = [json.loads(line)["id"] for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert result.items == 2 and sorted(exported) == ids[:2]
    assert repo.stats()["approved"] == 2 and repo.stats()["rejected"] == 1


def test_export_unknown_snapshot_is_clear(repo, tmp_path):
    with pytest.raises(InputError, match="Snapshot 'nope' does not exist"):
        hio.export_items(repo, tmp_path / "x.jsonl", "jsonl", snapshot="nope", actor=CLI_ACTOR)


# -- ratings ----------------------------------------------------------------------------------
def _rating_rows(repo: Repository, annotator: str, score: int) -> list[dict]:
    return [{"instruction_id": item_id, "annotator": annotator, "accuracy": score,
             "relevance": score, "completeness": score, "reasonableness": score,
             "comment": "ok", "blind": "true"} for item_id in sorted(repo.select_items()["id"])]


def test_ratings_import_then_replace_only_when_asked(repo, tmp_path):
    hio.import_file(repo, write_jsonl(tmp_path / "d.jsonl", triples(4)), actor=CLI_ACTOR)
    first = hio.import_ratings(repo, _csv(tmp_path / "r.csv", _rating_rows(repo, "ana", 80)),
                               actor=CLI_ACTOR, create_annotators=True)
    assert (first.inserted, first.updated, first.new_annotators) == (4, 0, ("ana",))
    again = hio.import_ratings(repo, tmp_path / "r.csv", actor=CLI_ACTOR)
    assert (again.inserted, again.unchanged) == (0, 4)  # the same file again changes nothing
    with pytest.raises(InputError, match="would replace ratings other people made"):
        hio.import_ratings(repo, _csv(tmp_path / "r2.csv", _rating_rows(repo, "ana", 60)),
                           actor=CLI_ACTOR)
    assert set(repo.expert_ratings()["accuracy"]) == {80.0}
    second = hio.import_ratings(repo, tmp_path / "r2.csv", actor=CLI_ACTOR, replace=True)
    assert (second.inserted, second.replaced, second.replace) == (0, 4, True)
    ratings = repo.expert_ratings()
    assert len(ratings) == 4 and set(ratings["accuracy"]) == {60.0}
    assert repo.stats()["expert_rated"] == 4
    history = repo.ratings_history()
    assert len(history) == 4 and set(history["accuracy"]) == {80.0}
    assert set(history["replaced_by"]) == {"cli"}


def test_ratings_by_triple_jsonl_with_default_annotator(repo, tmp_path):
    items = triples(3)
    hio.import_file(repo, write_jsonl(tmp_path / "d.jsonl", items), actor=CLI_ACTOR)
    rows = [{**t, "Accuracy": 90, "Relevance": 80, "Completeness": 70, "Reasonableness": 60,
             "blind": False} for t in items]
    result = hio.import_ratings(repo, write_jsonl(tmp_path / "r.jsonl", rows), annotator="bo",
                                actor=CLI_ACTOR, create_annotators=True)
    assert result.inserted == 3
    ratings = repo.expert_ratings()
    assert set(ratings["annotator"]) == {"bo"} and not ratings["blind"].any()


@pytest.mark.parametrize("mutate, expected", [
    (lambda r: r.update(accuracy="150"), "record 2, field 'accuracy'"),
    (lambda r: r.update(instruction_id="unknown-id"), "record 2: item 'unknown-id' is not in"),
    (lambda r: r.update(annotator=""), "record 2, field 'annotator'"),
    (lambda r: r.update(blind="maybe"), "record 2, field 'blind'"),
])
def test_bad_ratings_change_nothing(repo, tmp_path, mutate, expected):
    hio.import_file(repo, write_jsonl(tmp_path / "d.jsonl", triples(3)), actor=CLI_ACTOR)
    rows = _rating_rows(repo, "ana", 80)
    mutate(rows[1])
    before = repo.table_counts()
    with pytest.raises(InputError) as err:
        hio.import_ratings(repo, _csv(tmp_path / "r.csv", rows), actor=CLI_ACTOR,
                           create_annotators=True)
    assert expected in str(err.value)
    assert repo.table_counts() == before
