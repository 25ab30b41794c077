"""The bad-input corpus: files an attacker or a clumsy user hands the importers, written by code.

Each Case is one file (or path) with the import it goes through and a phrase its one-line refusal
must contain. GOOD holds inputs that look odd but are valid: they must import, not be refused.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from honeybee_core.domain import content_id
from tests.conftest import triples

ITEMS = triples(3)
FIRST_ID = content_id(ITEMS[0]["instruction"], ITEMS[0]["input"], ITEMS[0]["output"])
TRIPLE = {"instruction": "Define a grain boundary.", "input": "", "output": "An interface."}
SCORES = {"Accuracy": 80, "Relevance": 80, "Completeness": 80, "Reasonableness": 80}
RATING = {"instruction_id": FIRST_ID, "annotator": "ana", "accuracy": 80, "relevance": 80,
          "completeness": 80, "reasonableness": 80, "verdict": "approve", "comment": "fine"}


@dataclass(frozen=True)
class Case:
    name: str  # file name; its extension picks the format
    write: Callable[[Path], None]
    expect: str  # a phrase of the one-line refusal
    kind: str = "items"  # items | ratings
    options: dict = field(default_factory=dict)  # keyword arguments of the import


def _text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text, encoding="utf-8")


def _raw(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _jsonl(*records: dict) -> Callable[[Path], None]:
    return _text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def _csv(*records: dict) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
        path.write_text(buf.getvalue(), encoding="utf-8")
    return write


def _parquet(table: pa.Table) -> Callable[[Path], None]:
    return lambda path: pq.write_table(table, path)


def _sparse(size: int) -> Callable[[Path], None]:
    def write(path: Path) -> None:  # no disk used: the size check must refuse before reading
        with path.open("wb") as fh:
            fh.truncate(size)
    return write


def _nested(depth: int) -> object:
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


def _mkdir(path: Path) -> None:
    path.mkdir()


def _verifier(**scores: object) -> dict:
    return {**TRIPLE, **SCORES, **scores}


CASES: list[Case] = [
    # JSON nesting and size
    Case("deep_list.json", _raw(b"[" * 100_000 + b"]" * 100_000), "nested deeper than 32"),
    Case("deep_object.json", _text('{"instruction": ' + '{"a": ' * 5000 + "1" + "}" * 5001),
         "nested deeper than 32"),
    Case("deep_field.jsonl", _jsonl(TRIPLE, {**TRIPLE, "extra": _nested(40)}),
         "line 2: JSON nested deeper than 32"),
    Case("deep_line.jsonl", _text(json.dumps(TRIPLE) + "\n" + "[" * 50_000 + "\n"),
         "nested deeper than 32"),
    Case("digits_5000.json", _text('[{"instruction": "a", "output": "b", "stage": '
                                   + "7" * 5000 + "}]"), "number too long to read"),
    Case("too_big.jsonl", _sparse((1 << 30) + 1), "over the limit of 1,073,741,824 bytes"),
    Case("too_many_rows.parquet", _parquet(pa.table({"instruction": pa.array(
        np.zeros(5_000_001, dtype=np.int8))})), "over the limit of 5,000,000"),
    # stage bounds and strict whole numbers
    Case("stage_1e30.jsonl", _jsonl({**TRIPLE, "stage": 10**30}), "field 'stage'"),
    Case("stage_1e300.json", _text(json.dumps([{**TRIPLE, "stage": 1e300}])), "field 'stage'"),
    Case("stage_huge.csv", _csv({**TRIPLE, "stage": "9" * 30}), "field 'stage'"),
    Case("stage_superscript.csv", _csv({**TRIPLE, "stage": "²"}), "field 'stage'"),
    Case("stage_arabic.csv", _csv({**TRIPLE, "stage": "١٢"}), "field 'stage'"),
    Case("stage_underscore.csv", _csv({**TRIPLE, "stage": "1_0"}), "field 'stage'"),
    Case("stage_zero.jsonl", _jsonl({**TRIPLE, "stage": 0}), "field 'stage'"),
    Case("stage_negative.csv", _csv({**TRIPLE, "stage": "-3"}), "field 'stage'"),
    Case("stage_bool.jsonl", _jsonl({**TRIPLE, "stage": True}), "field 'stage'"),
    Case("stage_int64.parquet", _parquet(pa.table({
        "instruction": ["a"], "output": ["b"], "stage": pa.array([2**62], pa.int64())})),
        "field 'stage'"),
    Case("stage_option.jsonl", _jsonl(TRIPLE), "--stage must be a whole number from 1 to 1000",
         options={"stage": 10**12}),
    Case("verifier_newline.jsonl", _jsonl(_verifier()), "--verifier must name",
         options={"verifier": "gpt-4\nINJECTED"}),
    Case("verifier_long.jsonl", _jsonl(_verifier()), "--verifier must name",
         options={"verifier": "v" * 500}),
    # scores: strict numbers in CSV, bounds everywhere
    Case("score_underscore.csv", _csv(_verifier(Accuracy="1_0")), "'1_0' is not a number"),
    Case("score_fullwidth.csv", _csv(_verifier(Accuracy="１０")), "is not a number"),
    Case("score_arabic.csv", _csv(_verifier(Accuracy="٨٠")), "is not a number"),
    Case("score_nan.csv", _csv(_verifier(Accuracy="nan")), "is not a number"),
    Case("score_inf.csv", _csv(_verifier(Accuracy="inf")), "is not a number"),
    Case("score_hex.csv", _csv(_verifier(Accuracy="0x50")), "is not a number"),
    Case("score_exp_overflow.csv", _csv(_verifier(Accuracy="1e400")), "outside 0-100"),
    Case("score_huge_int.jsonl", _jsonl(_verifier(Accuracy=10**400)), "outside 0-100"),
    Case("score_bool.jsonl", _jsonl(_verifier(Accuracy=True)), "must be a number"),
    # files that are not what they claim
    Case("binary.json", _raw(b'[{"instruction": "\x00\x01"}]'), "looks binary"),
    Case("latin1.csv", _raw("instruction,output\ncaf\u00e9,x\n".encode("latin-1")),
         "not valid UTF-8"),
    Case("folder.csv", _mkdir, "is not a regular file", options={"fmt": "csv"}),
    Case("empty.jsonl", _text("\n\n"), "is empty"),
    # ratings: the app's limits on names and comments, bounded messages
    Case("ratings_long_name.csv", _csv({**RATING, "annotator": "a" * 65}),
         "is not a user name the app allows", kind="ratings"),
    Case("ratings_nul_name.jsonl", _jsonl({**RATING, "annotator": "ana\u0000"}),
         "is not a user name the app allows", kind="ratings"),
    Case("ratings_rtl_name.jsonl", _jsonl({**RATING, "annotator": "\u202eana"}),
         "is not a user name the app allows", kind="ratings"),
    Case("ratings_long_comment.csv", _csv({**RATING, "comment": "c" * 5001}),
         "over the app's limit of 5,000", kind="ratings"),
    Case("ratings_long_verdict.csv", _csv({**RATING, "verdict": "v" * 100_000}),
         "is not approve, reject, skip or flag", kind="ratings"),
    Case("ratings_long_id.jsonl", _jsonl({**RATING, "instruction_id": "z" * 100_000}),
         "is not in the database", kind="ratings"),
    Case("ratings_underscore.csv", _csv({**RATING, "accuracy": "8_0"}), "is not a number",
         kind="ratings"),
    Case("ratings_bad_option.jsonl", _jsonl({k: v for k, v in RATING.items()
                                             if k != "annotator"}),
         "is not allowed", kind="ratings", options={"annotator": "x" * 65}),
]

GOOD: list[Case] = [
    Case("big_field.csv", _csv({**TRIPLE, "output": "x" * 300_000}), "1 new item"),
    Case("spaced_numbers.csv", _csv({**_verifier(Accuracy=" 85 "), "stage": " 2 "}),
         "1 new item"),
    Case("nested_30.jsonl", _jsonl({**TRIPLE, "extra": _nested(29)}), "1 new item"),
    Case("line_separator.jsonl", _text('{"instruction": "a\u2028b", "output": "c\u2029d"}\n'),
         "1 new item"),  # raw U+2028/U+2029 inside a JSON string are not line breaks
]


def write(folder: Path, cases: list[Case]) -> dict[str, Path]:
    """Write every case's file into folder; name -> path."""
    paths = {}
    for case in cases:
        path = folder / case.name
        case.write(path)
        paths[case.name] = path
    return paths
