"""The three HTTP routes that make a sign-in last, mounted beside Streamlit by serve.py.

A Streamlit page cannot set a cookie, so the browser visits these:
- /hb/session?code=..&next=/review   trade a one-time handoff code for the HttpOnly session
                                     cookie, then go to the page asked for
- /hb/sso?next=/review               remember the page asked for, then Streamlit's st.login
- /hb/signout                        end the session, drop the cookie (and the provider's)
They share the app process's one database connection (`app_repository`).
"""

from __future__ import annotations

import hashlib
import re
import threading
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from honeybee_core import sessions
from honeybee_core.config import get_settings
from honeybee_core.store import Repository, open_database

NEXT_COOKIE = "hb_next"
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's own, readable by page scripts and routes alike
SESSION_PATH, SSO_PATH, SIGNOUT_PATH = "/hb/session", "/hb/sso", "/hb/signout"
_SAFE_NEXT = re.compile(r"^/(?![/\\])[\w\-./%]{0,300}$")
_repos: dict[str, Repository] = {}
_repos_lock = threading.Lock()
_mounted = threading.Event()


def app_repository(path: str) -> Repository:
    """The app process's one Repository on path (DuckDB allows a single writer per file)."""
    with _repos_lock:
        if path not in _repos:
            _repos[path] = Repository(open_database(path))
        return _repos[path]


def browser_id(xsrf_cookie: str | None) -> str | None:
    """A digest naming the browser by Streamlit's XSRF token (stable while the browser keeps the
    cookie; the cookie's text changes, its token does not); None when there is none."""
    from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string

    token, _ = decode_xsrf_token_string(xsrf_cookie or "")
    return hashlib.sha256(token).hexdigest() if token else None


def mounted() -> bool:
    """Whether the routes serve this process (serve.py); without them sign-in lasts a tab."""
    return _mounted.is_set()


def base_path() -> str:
    """Streamlit's server.baseUrlPath as "" or "/prefix"."""
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in; anything else (another site, //host) is "/"."""
    return value if value and _SAFE_NEXT.match(value) else base_path() + "/"


def session_url(code: str, next_path: str | None) -> str:
    """Where the browser trades code for the cookie; next_path None: the page remembered by
    /hb/sso before single sign-on."""
    url = f"{base_path()}{SESSION_PATH}?code={quote(code)}"
    return url if next_path is None else f"{url}&next={quote(safe_next(next_path))}"


def sso_url(next_path: str) -> str:
    return f"{base_path()}{SSO_PATH}?next={quote(safe_next(next_path))}"


def signout_url() -> str:
    return base_path() + SIGNOUT_PATH


def _cookie_args(request: Request) -> dict:
    return {"path": base_path() + "/", "httponly": True, "samesite": "lax",
            "secure": request.url.scheme == "https"}


async def _session(request: Request) -> Response:
    settings = get_settings()
    target = safe_next(request.query_params.get("next") or request.cookies.get(NEXT_COOKIE))
    repo = app_repository(str(settings.db))
    token = await run_in_threadpool(sessions.redeem, repo, request.query_params.get("code", ""),
                                    None, browser_id(request.cookies.get(XSRF_COOKIE)))
    response = RedirectResponse(target, status_code=303)
    if token:
        response.set_cookie(sessions.COOKIE, token, max_age=int(settings.session_hours * 3600),
                            **_cookie_args(request))
    response.delete_cookie(NEXT_COOKIE, path=base_path() + "/")
    return response


async def _sso(request: Request) -> Response:
    from streamlit.user_info import generate_login_redirect_url  # what st.login redirects to

    provider = get_settings().oidc_provider or "default"
    response = RedirectResponse(generate_login_redirect_url(provider), status_code=303)
    response.set_cookie(NEXT_COOKIE, safe_next(request.query_params.get("next")), max_age=600,
                        **_cookie_args(request))
    return response


async def _signout(request: Request) -> Response:
    settings = get_settings()
    repo = app_repository(str(settings.db))
    await run_in_threadpool(sessions.end, repo, request.cookies.get(sessions.COOKIE))
    # in oidc mode Streamlit's own identity cookie goes too (and the provider's, if it can)
    target = base_path() + ("/auth/logout" if settings.auth == "oidc" else "/")
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(sessions.COOKIE, path=base_path() + "/")
    return response


def routes() -> list[Route]:
    """The three routes, under Streamlit's base path."""
    base = base_path()
    return [Route(base + SESSION_PATH, _session, methods=["GET"]),
            Route(base + SSO_PATH, _sso, methods=["GET"]),
            Route(base + SIGNOUT_PATH, _signout, methods=["GET"])]


def mount() -> list[Route]:
    """The routes for st.App(routes=...), marking this process as serving them."""
    _mounted.set()
    return routes()
