"""The sign-in routes over real HTTP (Starlette's TestClient): the HttpOnly session cookie, one-time
handoff codes, safe redirects, and sign-out revoking the session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from honeybee_core import sessions, web_routes
from honeybee_core.auth import get_user
from honeybee_core.config import get_settings
from tests.review_seed import add_user


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("HONEYBEE_DB", str(tmp_path / "web.duckdb"))
    monkeypatch.setenv("HONEYBEE_SESSION_HOURS", "2")
    get_settings.cache_clear()
    repo = web_routes.app_repository(str(get_settings().db))
    add_user(repo, "erin", "reviewer")
    with TestClient(Starlette(routes=web_routes.routes()), follow_redirects=False) as http:
        yield http, repo
    assert not web_routes.mounted()  # only serve.py marks the app as serving them
    get_settings.cache_clear()


def handoff(repo) -> str:
    return sessions.start(repo, get_user(repo, "erin"), "password", timedelta(hours=2))


def test_a_handoff_code_becomes_an_http_only_cookie_once(client):
    http, repo = client
    code = handoff(repo)
    first = http.get(web_routes.session_url(code, "/review"))
    assert first.status_code == 303 and first.headers["location"] == "/review"
    cookie = first.headers["set-cookie"]
    assert "hb_session=" in cookie and "HttpOnly" in cookie and "Max-Age=7200" in cookie
    assert "SameSite=lax" in cookie and code not in cookie
    token = first.cookies[sessions.COOKIE]
    assert sessions.resume(repo, token).name == "erin"
    again = http.get(web_routes.session_url(code, "/review"))  # a code works once
    assert again.status_code == 303 and "hb_session=" not in again.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil",
                                    "javascript:alert(1)", ""])
def test_only_local_paths_are_followed(client, target):
    http, repo = client
    response = http.get(web_routes.SESSION_PATH, params={"code": handoff(repo), "next": target})
    assert response.headers["location"] == "/"


def test_sign_out_revokes_the_session_and_drops_the_cookie(client):
    http, repo = client
    token = http.get(web_routes.session_url(handoff(repo), "/")).cookies[sessions.COOKIE]
    http.cookies.set(sessions.COOKIE, token)
    response = http.get(web_routes.SIGNOUT_PATH)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert 'hb_session=""' in response.headers["set-cookie"]
    assert sessions.resume(repo, token) is None


def test_a_code_works_only_in_the_browser_that_signed_in(client):
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    http, repo = client
    mine, theirs = b"m" * 32, b"t" * 32
    browser = web_routes.browser_id(generate_xsrf_token_string(mine, 1))
    code = sessions.start(repo, get_user(repo, "erin"), "password", timedelta(hours=2),
                          browser=browser)
    http.cookies.set(web_routes.XSRF_COOKIE, generate_xsrf_token_string(theirs, 1))
    lured = http.get(web_routes.session_url(code, "/"))  # someone else's browser
    assert "hb_session=" not in lured.headers.get("set-cookie", "")
    # the same browser, its XSRF cookie re-masked since (as Streamlit does on every page load)
    http.cookies.set(web_routes.XSRF_COOKIE, generate_xsrf_token_string(mine, 1))
    assert "hb_session=" in http.get(web_routes.session_url(code, "/")).headers["set-cookie"]
