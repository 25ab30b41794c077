"""The review guideline in Debian's Chromium: a reviewer sees it beside the rating form, and the
rating stores the version in force."""

from __future__ import annotations

import os

import pytest

from honeybee_core import guidelines, review
from honeybee_core.auth import Actor
from honeybee_core.store import Repository, open_database
from tests.e2e.test_e2e_browser import CHROMIUM
from tests.e2e.test_e2e_identity import add_person, app, chromium, new_page, password_sign_in
from tests.review_seed import add_user, seed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing; install it "
                       "with `apt-get install -y chromium` (.ci/run does)"),
]


def test_a_reviewer_sees_the_guideline_beside_the_form(tmp_path):
    db = tmp_path / "guide.duckdb"
    database = open_database(db)
    repo = Repository(database)
    seed(repo, 8)
    text = guidelines.default_text().replace(
        "## Comments", "## Our lab\n\nFor oxides, quote band gaps from the passage only.\n\n"
        "## Comments")
    guidelines.save(repo, add_user(repo, "cora", "curator"), text, note="oxide rule")
    first = review.queue(repo, Actor("erin", "reviewer")).ids[0]
    database.close()
    add_person(db, "erin", "--role", "reviewer", password="erin-password")
    with app(db, "password") as url, chromium() as browser:
        page = new_page(browser.new_context(viewport={"width": 1400, "height": 900}))
        page.goto(url + "/review")
        password_sign_in(page, "erin", "erin-password")
        page.get_by_text(first).wait_for()
        summary = page.get_by_text("📘 Guideline v2: rubric, anchor scores, verdicts")
        summary.wait_for()
        rubric = page.get_by_role("heading", name="Accuracy: is it true?")
        rubric.wait_for()  # open on a reviewer's first item
        page.get_by_text("For oxides, quote band gaps from the passage only.").wait_for()
        form = page.get_by_label("Accuracy", exact=True)
        item = page.get_by_text("Output", exact=True)
        guide_box, form_box, item_box = (x.bounding_box() for x in (summary, form, item))
        # beside the form: under the item in the left column, level with the form on the right
        assert guide_box["y"] > item_box["y"] and abs(guide_box["x"] - item_box["x"]) < 60
        assert form_box["x"] > guide_box["x"] + guide_box["width"]
        assert guide_box["y"] + guide_box["height"] < 900  # in view without scrolling
        if os.environ.get("HONEYBEE_E2E_SHOTS"):
            page.screenshot(path=os.environ["HONEYBEE_E2E_SHOTS"] + ".guideline.png",
                            full_page=True)
        for label, value in (("Accuracy", "81"), ("Relevance", "92"), ("Completeness", "73"),
                             ("Reasonableness", "64")):
            page.get_by_label(label, exact=True).focus()
            page.keyboard.press("Control+A")
            page.keyboard.type(value)
        page.get_by_role("button", name="Approve").click()
        page.get_by_text("Saved your rating (approve).").wait_for()
    database = open_database(db)
    try:
        stored = database.cursor().execute(
            "SELECT instruction_id, annotator, guideline_version FROM expert_ratings").fetchall()
    finally:
        database.close()
    assert stored == [(first, "erin", 2)]
