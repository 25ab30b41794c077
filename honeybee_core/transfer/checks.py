"""Field checks over raw records: each failure names the file, the 1-based record and the field;
validate_items turns checked records into Arrow tables of items and verifier scores."""

from __future__ import annotations

import math
from typing import Any, Literal, overload

import pyarrow as pa

from honeybee_core import limits
from honeybee_core.domain import SCORE_COLUMNS, content_id
from honeybee_core.errors import InputError
from honeybee_core.store import ITEM_COLUMNS

VERIFIER_KEYS = {"Accuracy": "accuracy", "Relevance": "relevance",
                 "Completeness": "completeness", "Reasonableness": "reasonableness"}
OPTIONAL_TEXT = ("topic", "task_type", "source", "generator", "prompt_version", "parent_id")


class FieldChecker:
    """Field checks that name the file, the 1-based record number and the field."""

    def __init__(self, name: str, textual: bool) -> None:
        self.name = name
        self.textual = textual  # CSV: every value arrives as a string

    def fail(self, number: int, field: str, problem: str) -> InputError:
        return InputError(f"{self.name}: record {number}, field '{field}': {problem}.")

    @overload
    def text(self, rec: dict, number: int, field: str, *, required: Literal[True],
             allow_empty: bool = True, aliases: tuple[str, ...] = ()) -> str: ...

    @overload
    def text(self, rec: dict, number: int, field: str, *, required: bool,
             allow_empty: bool = True, aliases: tuple[str, ...] = ()) -> str | None: ...

    def text(self, rec: dict, number: int, field: str, *, required: bool,
             allow_empty: bool = True, aliases: tuple[str, ...] = ()) -> str | None:
        value = rec.get(field)
        for alias in aliases:
            if value is not None:
                break
            value = rec.get(alias)
        if value is None or (value.__class__ is float and math.isnan(value)):
            if required:
                raise self.fail(number, field, "is missing; every record needs it")
            return None
        if not isinstance(value, str):
            raise self.fail(number, field, f"must be text, not {type(value).__name__}")
        try:
            value.encode("utf-8")  # lone surrogates (from \ud800-style escapes) cannot be stored
        except UnicodeEncodeError:
            raise self.fail(number, field, "holds invalid Unicode (a lone surrogate)") from None
        if not allow_empty and not value.strip():
            raise self.fail(number, field, "is empty; write the text or drop the record")
        return value

    def score(self, rec: dict, number: int, field: str, aliases: tuple[str, ...] = ()) -> float:
        value = rec.get(field)
        for alias in aliases:
            if value is not None:
                break
            value = rec.get(alias)
        if value is None or value == "":
            raise self.fail(number, field, "is missing; scores are numbers from 0 to 100")
        if isinstance(value, str) and self.textual:
            parsed = limits.strict_float(value)
            if parsed is None:
                raise self.fail(number, field, f"'{limits.short(value, 20)}' is not a number "
                                "(write plain digits, e.g. 85 or 72.5)")
            value = parsed
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(number, field, f"must be a number, not {type(value).__name__}")
        # compared before any float conversion: float() of a 400-digit integer overflows
        if not 0 <= value <= 100:  # NaN fails this too
            raise self.fail(number, field, f"{limits.short(value, 20)} is outside 0-100")
        return float(value)

    def stage(self, rec: dict, number: int) -> int | None:
        value = rec.get("stage")
        if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, str) and self.textual:
            parsed = limits.strict_int(value)
            value = value if parsed is None else parsed
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if (isinstance(value, bool) or not isinstance(value, int)
                or not 1 <= value <= limits.MAX_STAGE):
            raise self.fail(number, "stage", f"{limits.short(value, 20)} is not a whole number "
                            f"from 1 to {limits.MAX_STAGE}")
        return value

    def flag(self, rec: dict, number: int, field: str, default: bool) -> bool:
        value = rec.get(field)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "y"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "n"):
            return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise self.fail(number, field, f"'{value}' is not true or false")


def record_dict(rec: Any, name: str, number: int) -> dict:
    if not isinstance(rec, dict):
        raise InputError(
            f"{name}: record {number} is a {type(rec).__name__}, not an object with "
            "instruction, input and output."
        )
    return rec


_ITEM_SCHEMA = pa.schema(
    [("id", pa.string()), ("stage", pa.int32())]
    + [(c, pa.string()) for c in ITEM_COLUMNS if c not in ("id", "stage")]
)
_SCORE_SCHEMA = pa.schema(
    [("instruction_id", pa.string()), ("verifier", pa.string()), ("rubric_version", pa.string())]
    + [(c, pa.float64()) for c in SCORE_COLUMNS] + [("rationale", pa.string())]
)


def validate_items(
    records: list[Any], name: str, *, textual: bool, verifier: str | None,
    stage: int | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Check every record; return (items, verifier scores) frames, deduplicated by content id.

    textual: values arrive as strings (CSV); verifier: the paper's verifier-result records, whose
    scores are stored under this verifier name.
    """
    check = FieldChecker(name, textual=textual)
    is_verifier = verifier is not None
    items: dict[str, dict[str, Any]] = {}
    scores: dict[str, dict[str, Any]] = {}
    for number, raw in enumerate(records, start=1):
        rec = record_dict(raw, name, number)
        instruction = check.text(rec, number, "instruction", required=True, allow_empty=False)
        input_text = check.text(rec, number, "input", required=False) or ""
        output = check.text(
            rec, number, "output", required=True, allow_empty=False,
            aliases=("output_text",) if is_verifier else (),
        )
        item_id = content_id(instruction, input_text, output)
        row = {
            "id": item_id, "stage": stage or check.stage(rec, number) or 1,
            "instruction": instruction, "input": input_text, "output": output,
        }
        for field in OPTIONAL_TEXT:
            row[field] = check.text(rec, number, field, required=False) if field in rec else None
        row["source"] = row["source"] or "imported"
        items.setdefault(item_id, row)
        if is_verifier:
            scores[item_id] = {
                "instruction_id": item_id, "verifier": verifier, "rubric_version": "imported",
                **{dim: check.score(rec, number, cap, aliases=(dim,))
                   for cap, dim in VERIFIER_KEYS.items()},
                "rationale": check.text(rec, number, "rationale", required=False),
            }
    # Arrow tables: built in C++ and scanned by DuckDB in place, far cheaper than DataFrames here
    return (pa.Table.from_pylist(list(items.values()), schema=_ITEM_SCHEMA),
            pa.Table.from_pylist(list(scores.values()), schema=_SCORE_SCHEMA))
