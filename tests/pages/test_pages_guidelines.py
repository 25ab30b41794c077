"""AppTest for the Guidelines page (read, edit as a curator, history) and the guideline beside
the rating form on the Review page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from honeybee_core import guidelines
from honeybee_core.store import Repository, open_database
from tests.pages.test_pages_review import app, db_rows, rate
from tests.review_seed import add_user, seed

PAGE = "views/guidelines.py"


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_a_curator_saves_a_new_version_and_reads_the_old_one(app_db):
    at = app(PAGE, "cora", "curator")
    assert not at.exception and "### Accuracy" in markdown_text(at)
    assert "version 1, the default shipped with HoneyBee" in at.caption[0].value
    body = at.text_area(key="gl_body")
    body.set_value(body.value.replace("## Comments", "## Comments\n\nCite a source for "
                                      "every number you correct."))
    at.text_input(key="gl_note").set_value("cite sources")
    at.button(key="gl_save").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("Saved version 2, saved by cora on ")
    assert db_rows(app_db, "SELECT version, saved_by, note FROM guidelines ORDER BY version") \
        == [(1, "system", "The default shipped with HoneyBee."), (2, "cora", "cite sources")]
    assert "Cite a source for every number" in markdown_text(at)  # the Read tab shows it
    history = at.dataframe[0].value
    assert history["Version"].tolist() == [2, 1] and "Saved by" in history.columns
    at.selectbox(key="gl_pick").set_value(2).run()
    assert [e.label for e in at.expander] == ["Changes from version 1"]
    assert "+Cite a source for every number" in at.code[0].value
    at.selectbox(key="gl_pick").set_value(1).run()
    assert not at.expander and markdown_text(at).count("Cite a source") == 1  # Read tab only


def test_saving_an_unchanged_guideline_is_refused(app_db):
    at = app(PAGE, "cora", "curator")
    at.button(key="gl_save").click().run()
    assert "unchanged" in at.error[0].value
    assert db_rows(app_db, "SELECT count(*) FROM guidelines") == [(0,)]


def test_a_reviewer_reads_but_cannot_edit(app_db):
    at = app(PAGE, "rita", "reviewer")
    assert not at.exception and "### Relevance" in markdown_text(at)
    assert not [t for t in at.text_area if t.key == "gl_body"]
    assert "Curators and admins edit the guideline; you are a reviewer." in at.info[0].value


def test_the_review_page_shows_the_guideline_in_force_beside_the_form(app_db):
    full_db = app_db
    database = open_database(full_db)
    repo = Repository(database)
    seed(repo, 40)
    guidelines.save(repo, add_user(repo, "cora", "curator"), "# Lab rubric\nA 90 is "
                    "textbook-ready.")
    database.close()
    at = app("views/review.py", "rita", "reviewer")
    guide = next(e for e in at.expander if e.label.startswith("📘 Guideline"))
    assert guide.label.startswith("📘 Guideline v2")
    assert "A 90 is textbook-ready." in markdown_text(at)
    rate(at)
    assert db_rows(full_db, "SELECT annotator, guideline_version FROM expert_ratings") == [
        ("rita", 2)]
