"""Words and numbers as a person reads them on a page: plurals, verbs, p-values, table headers."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

MISSING = "–"  # a missing number, date or text on a page (Streamlit would show "None")
_PAST = {"approve": "approved", "reject": "rejected", "flag": "flagged", "skip": "skipped"}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
# Column names whose words are not just the snake_case split.
HEADERS: dict[str, str] = {
    "id": "ID", "n": "Items", "n_ratings": "Ratings", "n_items": "Items", "rho": "ρ",
    "task_type": "Task type", "created_at": "Created", "updated_at": "Updated",
    "started_at": "Started", "finished_at": "Finished", "last_active": "Last active",
    "created_by": "By", "decided_by": "By", "instruction_id": "Item", "snapshot_id": "Snapshot",
    "run_id": "Run", "max_steps": "Max steps", "base_model": "Base model",
    "verifier_mean": "Verifier mean", "expert_mean": "Expert mean", "p_value": "p-value",
    "progress_done": "Done", "progress_total": "Total", "cost_usd": "Cost (USD)",
    "duplicate_of": "Near-duplicate of", "parent_id": "Written for", "job_id": "Job",
    "prompt_version": "Prompt version", "rubric_version": "Rubric version",
}


def plural(n: int, noun: str, many: str | None = None) -> str:
    """'1 item', '2 items', '1,204 items'; many for irregular plurals ('1 query', '2 queries')."""
    return f"{n:,} {noun if n == 1 else many or noun + 's'}"


def past(verb: str) -> str:
    """The past participle of a verdict: approve -> approved, reject -> rejected."""
    return _PAST.get(verb, verb if verb.endswith("ed") else verb + "ed")


def p_value(p: float | None) -> str:
    """A p-value for people: 0.032, 0.0041, or 6.2 × 10⁻³⁹ below 0.001; '' when there is none."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    if p <= 0:
        return "< 1 × 10⁻³⁰⁰"  # underflow: smaller than a double can hold
    if p >= 0.001:
        return f"{p:.2g}" if p < 0.01 else f"{p:.3f}".rstrip("0").rstrip(".")
    mantissa, exponent = f"{p:.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def number(value: float | None, digits: int = 2) -> str:
    """A fixed-point number, or an en dash when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{value:.{digits}f}"


def interval(low: float | None, high: float | None, digits: int = 2) -> str:
    """'0.41 to 0.77', or an en dash when either end is missing."""
    if low is None or high is None or any(math.isnan(v) for v in (low, high)):
        return MISSING
    return f"{low:.{digits}f} to {high:.{digits}f}"


def header(column: str) -> str:
    """A column name in words: task_type -> Task type, verifier_mean -> Verifier mean."""
    if column in HEADERS:
        return HEADERS[column]
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def readable(frame: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The frame with its column headers in words (names first, then HEADERS, then split) and
    missing dates and texts as a dash; dates to the minute."""
    names = names or {}
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M").fillna(MISSING)
        elif (values.dtype == object or pd.api.types.is_string_dtype(values)) \
                and values.isna().any():
            out[column] = values.astype(object).where(values.notna(), MISSING)
    return out.rename(columns={c: names.get(c) or header(str(c)) for c in out.columns})
