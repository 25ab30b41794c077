"""AppTest for the Explore page: a clicked row opens its item, the picker's labels are readable and
distinct, and a bulk decision says what it applies to (the filtered table or a rule) with the count.
The fixtures and helpers are the Review page tests' (one seeded database of 40 items)."""

from __future__ import annotations

import pandas as pd

from honeybee_core import explore
from honeybee_core.rules import parse_rule
from tests.pages.test_pages_review import app, db_rows, shown_item, table_of


def click_row(at, position: int):
    at.session_state["ex_table"] = {"selection": {"rows": [position], "columns": [],
                                                  "cells": []}}
    return at.run()


def test_clicking_a_row_opens_that_item(full_db):
    at = app("views/explore.py")
    ids = table_of(at)["ID"].tolist()
    assert shown_item(at) == ids[0]  # nothing clicked: the first row
    click_row(at, 6)
    assert not at.exception and shown_item(at) == ids[6]
    assert at.selectbox(key="ex_item").value == ids[6]
    at.selectbox(key="ex_item").set_value(ids[9]).run()  # the picker still moves on
    assert shown_item(at) == ids[9]
    click_row(at, 2)
    assert shown_item(at) == ids[2]


def test_the_item_picker_labels_are_distinct_and_readable(full_db):
    at = app("views/explore.py")
    picker = at.selectbox(key="ex_item")
    assert len(picker.options) == len(set(picker.options)) == 40
    assert all(len(label) < 120 and ", stage " in label for label in picker.options)


def test_labels_tell_apart_items_whose_instructions_begin_alike():
    text = "Explain why the band gap of a perovskite solar absorber narrows when " * 3
    rows = pd.DataFrame({"id": ["a1", "a2"], "instruction": [text + "one", text + "two"],
                         "topic": ["batteries", None], "stage": [1, 2]})
    labels = explore.item_labels(rows)
    assert len(set(labels.values())) == 2
    assert labels["a1"] == ("Explain why the band gap of a perovskite solar absorber… · "
                            "batteries, stage 1 · a1")
    assert labels["a2"].endswith("· no topic, stage 2 · a2")


def test_a_bulk_decision_on_the_filtered_table_says_so_and_applies_to_it(full_db):
    at = app("views/explore.py")
    at.multiselect(key="ex_stages").set_value([2]).run()
    shown = len(table_of(at))
    at.radio(key="ex_bulk_scope").set_value("table").run()
    label = at.radio(key="ex_bulk_scope").options[1]
    assert label == f"the {shown} items matching the filters above"
    note = at.info[0].value
    assert note.startswith(f"{shown} items would be approved") and "(stage 2)" in note
    at.radio(key="ex_tbl_decision").set_value("reject").run()
    at.button(key="ex_tbl_apply").click().run()
    assert not at.exception and not at.error
    assert f"{shown} items rejected." in at.success[0].value
    assert db_rows(full_db, "SELECT count(*), count(*) FILTER (WHERE i.stage = 2) FROM decisions"
                            " d JOIN instructions i ON i.id = d.instruction_id") == [(shown, shown)]


def test_a_rule_preview_reads_the_rule_as_a_sentence(full_db):
    at = app("views/explore.py")
    assert at.radio(key="ex_bulk_scope").value == "rule"
    assert any("whatever the filters above show" in c.value for c in at.caption)
    at.multiselect(key="ex_stages").set_value([2]).run()  # a rule ignores the filters
    at.text_input(key="ex_rule").input("mean>=50,min>=40").run()
    at.button(key="ex_bulk_preview").click().run()
    note = at.info[0].value
    assert parse_rule("mean>=50,min>=40").describe() in note
    n, scored = int(note.split()[0]), int(note.split()[3])
    assert n <= scored and scored > len(table_of(at))  # counted on all scored items


def test_home_shows_the_default_rule_as_a_sentence(full_db):
    at = app("views/home.py")
    sentence = parse_rule("mean>=95,min>=90").describe()
    assert any(sentence in c.value for c in at.caption)
