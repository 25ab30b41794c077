"""AppTest for the People page and the sign-in frame."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from honeybee_core import auth, people, sessions, signin
from honeybee_core.config import get_settings
from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, sign_in_as


@pytest.fixture
def app_db(app_db, monkeypatch):
    """The pages' database, with password sign-in."""
    monkeypatch.setenv("HONEYBEE_AUTH", "password")
    get_settings.cache_clear()
    return app_db


def with_repo(path, action):
    database = open_database(path)
    try:
        return action(Repository(database))
    finally:
        database.close()


def people_page(user: str = "boss", role: str = "admin") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at, user, role)
    at.run()
    at.switch_page("views/people.py")
    return at.run()


def test_admin_adds_changes_and_deactivates_a_person(app_db):
    at = people_page()
    assert not at.exception and at.dataframe
    at.text_input(key="pp_add_name").input("Nina")
    at.selectbox(key="pp_add_role").select("curator")
    at.text_input(key="pp_add_email").input("nina@lab.org")
    at.text_input(key="pp_add_password").input("nina-password")
    at.button(key="pp_add_submit").click().run()
    assert not at.exception and "Added Nina as a curator." in at.success[0].value
    nina = with_repo(app_db, lambda r: signin.sign_in(r, "password", "Nina", "nina-password"))
    assert (nina.name, nina.role) == ("Nina", "curator")

    at.selectbox(key="pp_who").select("Nina")
    at.run()
    at.selectbox(key="pp_role").select("reviewer")
    at.button(key="pp_role_submit").click().run()
    assert "Nina is a reviewer." in at.success[0].value
    at.button(key="pp_active_submit").click().run()
    assert "Nina is deactivated" in at.success[0].value
    at.button(key="pp_add_submit").click().run()  # an empty name: one clear line, nothing added
    assert "not allowed" in at.error[0].value

    log = with_repo(app_db, lambda r: people.audit_log(r))
    assert log[["actor", "person", "action"]].values.tolist()[:3] == [
        ["boss", "Nina", "deactivate"], ["boss", "Nina", "role"], ["boss", "Nina", "add"]]
    assert with_repo(app_db, lambda r: auth.lookup(r, "Nina")) is None  # cannot sign in now


def test_the_last_admin_is_told_why_not(app_db):
    at = people_page()
    at.selectbox(key="pp_who").select("boss")
    at.run()
    at.button(key="pp_active_submit").click().run()
    assert "last active admin" in at.error[0].value
    assert with_repo(app_db, lambda r: r.person("boss")["active"])


def test_people_is_for_admins_only(app_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at, "cora", "curator")
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/people.py")  # not a page a curator gets
    direct = AppTest.from_file(str(ROOT / "views" / "people.py"), default_timeout=60)
    sign_in_as(direct, "cora", "curator")
    direct.run()  # and the script refuses when run on its own
    assert "needs the admin role" in direct.error[0].value
    assert not direct.dataframe


def test_signed_out_shows_the_password_form_with_the_throttle_rule(app_db):
    with_repo(app_db, lambda r: people.add_person(r, auth.CLI_ACTOR, "erin", "reviewer",
                                                  "erin-password"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and at.text_input(key="hb_password")
    assert any("each further try waits longer" in c.value for c in at.caption)
    for _ in range(3):
        at.text_input(key="hb_name").input("erin")
        at.text_input(key="hb_password").input("wrong password")
        at.button(key="hb_sign_in_submit").click().run()
    at.text_input(key="hb_password").input("erin-password")
    at.button(key="hb_sign_in_submit").click().run()
    assert "Too many failed sign-ins for this name" in at.error[0].value
    assert not at.sidebar.markdown or "Signed in as" not in at.sidebar.markdown[0].value


def test_sign_out_ends_the_session(app_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_as(at, "erin", "reviewer")
    token = at.session_state["hb_session_token"]
    at.run()
    assert "Signed in as **erin**" in at.sidebar.markdown[0].value
    at.button(key="hb_sign_out").click().run()
    assert not at.exception and at.text_input(key="hb_password")
    assert with_repo(app_db, lambda r: sessions.resume(r, token)) is None


def test_single_sign_on_without_secrets_says_what_to_add(app_db, monkeypatch):
    monkeypatch.setenv("HONEYBEE_AUTH", "oidc")
    get_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "needs a [auth] section in .streamlit/secrets.toml" in at.error[0].value
