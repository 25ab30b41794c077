"""Words and numbers for people: plurals, verdict verbs, p-values, table headers."""

from __future__ import annotations

import math

import pandas as pd

from honeybee_core.wording import header, interval, number, p_value, past, plural, readable


def test_plural_and_past_tense_read_right():
    assert plural(1, "item") == "1 item" and plural(0, "item") == "0 items"
    assert plural(1204, "item") == "1,204 items" and plural(2, "query", "queries") == "2 queries"
    assert [past(v) for v in ("approve", "reject", "flag", "skip")] == [
        "approved", "rejected", "flagged", "skipped"]


def test_p_values_in_scientific_notation_below_a_thousandth():
    assert p_value(6.17e-39) == "6.2 × 10⁻³⁹"
    assert p_value(0.0) == "< 1 × 10⁻³⁰⁰"
    assert p_value(0.032) == "0.032" and p_value(0.5) == "0.5" and p_value(0.0041) == "0.0041"
    assert p_value(None) == "" and p_value(math.nan) == ""


def test_numbers_and_intervals_show_a_dash_when_missing():
    assert number(0.6789) == "0.68" and number(None) == "–" and number(math.nan, 1) == "–"
    assert interval(0.41, 0.77) == "0.41 to 0.77" and interval(None, 0.5) == "–"


def test_headers_in_words():
    assert header("verifier_mean") == "Verifier mean" and header("task_type") == "Task type"
    assert header("n_ratings") == "Ratings" and header("id") == "ID"
    frame = readable(pd.DataFrame(columns=["id", "last_active", "rated"]), {"rated": "Rated items"})
    assert list(frame.columns) == ["ID", "Last active", "Rated items"]
    assert not any("_" in c for c in frame.columns)


def test_tables_show_a_dash_for_missing_dates_and_texts_and_dates_to_the_minute():
    frame = readable(pd.DataFrame({
        "last_active": pd.to_datetime(["2026-11-29 19:20:39.123", None]),
        "email": ["ada@lab.org", None], "rated": [3, 0]}))
    assert list(frame["Last active"]) == ["2026-11-29 19:20", "–"]
    assert list(frame["Email"]) == ["ada@lab.org", "–"] and list(frame["Rated"]) == [3, 0]
