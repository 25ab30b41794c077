"""AppTest for the Review, Explore and Home pages and the sign-in frame."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from honeybee_core.config import get_settings
from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, sign_in_as
from tests.review_seed import add_user, seed

PAGES = ["views/home.py", "views/review.py", "views/explore.py", "views/data.py"]
SCORES = {"accuracy": 81, "relevance": 92, "completeness": 73, "reasonableness": 64}


def db_rows(path, sql: str) -> list[tuple]:
    database = open_database(path)
    try:
        return database.cursor().execute(sql).fetchall()
    finally:
        database.close()


def app(page: str, user: str | None = "cora", role: str = "curator") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if user:
        sign_in_as(at, user, role)
    at.run()
    if page != "views/home.py":
        at.switch_page(page)
        at.run()
    return at


def rate(at: AppTest, verdict: str = "approve", scores: dict | None = None) -> AppTest:
    for dim, value in (scores or SCORES).items():
        at.number_input(key=f"rv_{dim}").set_value(value)
    at.text_area(key="rv_comment").input("units check out")
    return at.button(key=f"rv_{verdict}").click().run()


def verifier_metrics(at: AppTest) -> list[str]:
    return [m.label for m in at.metric if m.label.startswith("Verifier ")]


def table_of(at: AppTest):
    return next(d.value for d in at.dataframe if "Verifier mean" in d.value.columns)


def shown_item(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Stage ")).split("`")[1]


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_on_empty_and_full_database(app_db, page):
    at = app(page)
    assert not at.exception
    database = open_database(app_db)
    seed(Repository(database), 40)
    database.close()
    at.run()
    assert not at.exception and not at.error


def test_submit_stores_the_rating_for_the_signed_in_person(full_db):
    at = app("views/review.py", "rita", "reviewer")
    item = shown_item(at)
    rate(at)
    assert not at.exception and not at.error
    assert db_rows(full_db, "SELECT instruction_id, annotator, accuracy, relevance, completeness,"
                   " reasonableness, verdict, comment, blind FROM expert_ratings") == [
        (item, "rita", 81.0, 92.0, 73.0, 64.0, "approve", "units check out", True)]
    at.button(key="rv_next").click().run()
    assert shown_item(at) != item and "1 rated / 40" in at.get("progress")[0].proto.text


def test_blind_mode_hides_the_verifier_until_submit(full_db):
    at = app("views/review.py", "rita", "reviewer")
    assert verifier_metrics(at) == [] and any("Blind mode" in c.value for c in at.caption)
    rate(at, "reject")
    assert len(verifier_metrics(at)) == 4
    assert all("(you)" in str(m.delta) for m in at.metric if m.label.startswith("Verifier"))
    compare = next(d.value for d in at.dataframe if "Difference" in d.value.columns)
    assert compare["Difference"].notna().all()
    # with blind mode off the scores show before submitting, and the rating is stored unblind
    at.button(key="rv_next").click().run()
    at.toggle(key="rv_blind").set_value(False).run()
    assert len(verifier_metrics(at)) == 4
    rate(at)
    assert sorted(r[0] for r in db_rows(full_db, "SELECT blind FROM expert_ratings")) == [
        False, True]


def test_missing_score_is_refused_and_skip_moves_on(full_db):
    at = app("views/review.py", "rita", "reviewer")
    item = shown_item(at)
    rate(at, "approve", {"accuracy": 50})
    assert "relevance score is missing" in at.error[0].value
    assert db_rows(full_db, "SELECT count(*) FROM expert_ratings") == [(0,)]
    at.button(key="rv_skip").click().run()
    assert shown_item(at) != item and not verifier_metrics(at)
    assert db_rows(full_db, "SELECT verdict, accuracy FROM expert_ratings") == [("skip", None)]


def test_edit_reopens_and_updates_the_same_row(full_db):
    at = app("views/review.py", "rita", "reviewer")
    item = shown_item(at)
    rate(at)
    at.button(key="rv_edit_again").click().run()
    assert at.number_input(key="rv_accuracy").value == 81 and shown_item(at) == item
    at.number_input(key="rv_accuracy").set_value(20)
    at.button(key="rv_flag").click().run()
    assert db_rows(full_db, "SELECT instruction_id, accuracy, verdict FROM expert_ratings") == [
        (item, 20.0, "flag")]
    at.button(key="rv_next").click().run()
    at.selectbox(key="rv_reopen").set_value(item)
    at.button(key="rv_reopen_go").click().run()
    assert shown_item(at) == item and at.number_input(key="rv_accuracy").value == 20


def test_previous_returns_to_the_items_you_rated_latest_first(full_db):
    at = app("views/review.py", "rita", "reviewer")
    first = shown_item(at)
    rate(at)
    at.button(key="rv_next").click().run()
    passed = shown_item(at)
    at.button(key="rv_next").click().run()  # pass one item unrated
    second = shown_item(at)
    rate(at, "reject", {**SCORES, "accuracy": 33})
    at.button(key="rv_next").click().run()
    assert shown_item(at) not in (first, passed, second)
    at.button(key="rv_prev").click().run()  # the item just rated, with its scores
    assert shown_item(at) == second and at.number_input(key="rv_accuracy").value == 33
    at.button(key="rv_prev").click().run()
    assert shown_item(at) == first and at.number_input(key="rv_accuracy").value == 81
    at.button(key="rv_prev").click().run()  # nothing older: stays
    assert shown_item(at) == first
    at.button(key="rv_next").click().run()
    assert shown_item(at) == second
    at.button(key="rv_next").click().run()  # back to the queue where it was left
    queue_item = shown_item(at)
    assert queue_item not in (first, second) and any("Blind mode" in c.value for c in at.caption)
    at.button(key="rv_next").click().run()
    at.button(key="rv_prev").click().run()  # a passed queue slot first, then the ratings
    assert shown_item(at) == queue_item


def test_review_navigation_core():
    from honeybee_core.review import Place, navigate

    rated = ["c", "b", "a"]  # latest first
    assert navigate(Place(2), -1, rated) == Place(1)  # passed items first
    assert navigate(Place(2, left_rated=True), -1, rated) == Place(2, "c", True)
    assert navigate(Place(0), -1, rated) == Place(0, "c", True)
    assert navigate(Place(0, "c", True), -1, rated) == Place(0, "b", True)
    assert navigate(Place(0, "a", True), -1, rated) == Place(0, "a", True)
    assert navigate(Place(0, "b", True), 1, rated) == Place(0, "c", True)
    assert navigate(Place(0, "c", True), 1, rated) == Place(0, None, True)
    assert navigate(Place(3), 1, rated) == Place(4)
    assert navigate(Place(0), -1, []) == Place(0)


def test_another_tab_of_the_same_person_sees_the_rating(full_db):
    tab_a = app("views/review.py", "rita", "reviewer")
    tab_b = app("views/review.py", "rita", "reviewer")
    item = shown_item(tab_a)
    assert shown_item(tab_b) == item
    rate(tab_a)
    tab_b.run()
    assert shown_item(tab_b) != item and "1 rated" in tab_b.get("progress")[0].proto.text


def test_reviewer_sees_no_curator_controls(full_db):
    at = app("views/explore.py", "rita", "reviewer")
    keys = {b.key for b in at.button}
    assert not keys & {"ex_approve", "ex_reject", "ex_bulk_preview", "ex_bulk_apply"}
    assert not [e for e in at.expander if "Bulk" in e.label]
    try:  # the Data page is not in a reviewer's navigation, and refuses if reached anyway
        at.switch_page("views/data.py")
        at.run()
    except ValueError as exc:
        assert "Could not find a navigation page" in str(exc)
    assert "Data" not in [t.value for t in at.title] and not at.get("file_uploader")
    curator = app("views/explore.py", "cora", "curator")
    assert {"ex_approve", "ex_reject", "ex_bulk_preview"} <= {b.key for b in curator.button}


def test_curator_decides_and_bulk_applies_after_a_preview(full_db):
    at = app("views/explore.py")
    at.button(key="ex_approve").click().run()
    assert "Item approved." in at.success[0].value
    at.text_input(key="ex_rule").input("mean>=50").run()
    assert "ex_bulk_apply" not in {b.key for b in at.button}  # no apply before a preview
    at.button(key="ex_bulk_preview").click().run()
    shown = int(at.info[0].value.split()[0].replace(",", ""))
    at.button(key="ex_bulk_apply").click().run()
    assert not at.exception and not at.error
    assert db_rows(full_db, "SELECT count(*) FROM decisions WHERE rule = 'mean>=50'") == [(shown,)]


def test_explore_filters_and_pages(full_db):
    at = app("views/explore.py")
    assert len(table_of(at)) == 40
    at.multiselect(key="ex_stages").set_value([2]).run()
    at.text_input(key="ex_search").input("q1").run()
    table = table_of(at)
    assert len(table) > 0 and set(table["Stage"]) == {2}
    assert table["Instruction"].str.lower().str.contains("q1").all()
    assert not any("_" in c for c in table.columns)


def test_explore_pages_stay_within_the_pages_there_are(full_db):
    at = app("views/explore.py")
    at.selectbox(key="ex_page_size").set_value(25).run()
    assert any(c.value == "40 items match · page 1 of 2" for c in at.caption)
    at.number_input(key="ex_page").set_value(2).run()
    assert len(table_of(at)) == 15
    at.text_input(key="ex_search").input("q1").run()  # 11 items: one page, no page 2 to show
    assert any(c.value == "11 items match · page 1 of 1" for c in at.caption)
    at.text_input(key="ex_search").input("q17").run()
    assert any(c.value == "1 item matches · page 1 of 1" for c in at.caption)


def test_password_mode_signs_in(full_db, monkeypatch):
    monkeypatch.setenv("HONEYBEE_AUTH", "password")
    get_settings.cache_clear()
    database = open_database(full_db)
    add_user(Repository(database), "pat", "reviewer", "a long password")
    database.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.metric and at.text_input(key="hb_password")
    at.text_input(key="hb_name").input("pat")
    at.text_input(key="hb_password").input("wrong password")
    at.button(key="hb_sign_in_submit").click().run()
    assert "Unknown name or wrong password" in at.error[0].value
    at.text_input(key="hb_password").input("a long password")
    at.button(key="hb_sign_in_submit").click().run()
    assert not at.exception and "Signed in as **pat**" in at.sidebar.markdown[0].value
    at.switch_page("views/review.py")
    at.run()
    assert shown_item(at)


def test_local_mode_typed_name_becomes_a_reviewer(full_db):
    database = open_database(full_db)
    add_user(Repository(database), "owner", "admin")  # the database already has its admin
    database.close()
    at = app("views/home.py", user=None)
    assert at.metric  # home is open before choosing a name in HONEYBEE_AUTH=none
    at.switch_page("views/sign_in.py")
    at.run()
    at.text_input(key="hb_new_name").input("newbie")
    at.button(key="hb_sign_in_submit").click().run()
    assert db_rows(full_db, "SELECT name, role FROM annotators WHERE name = 'newbie'") == [
        ("newbie", "reviewer")]
    at.switch_page("views/review.py")
    at.run()
    assert not at.exception and shown_item(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/data.py")  # beyond the role: not in the menu, no URL reaches it
    direct = AppTest.from_file(str(ROOT / "views" / "data.py"), default_timeout=60)
    sign_in_as(direct, "newbie", "reviewer")
    direct.run()  # and the script itself refuses when run on its own
    assert "needs the curator role" in direct.error[0].value and not direct.get("file_uploader")
