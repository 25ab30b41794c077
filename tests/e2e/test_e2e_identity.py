"""Identity end to end in Debian's Chromium against `streamlit run serve.py`: a sign-in survives
reloads and tabs, a signed-out deep link lands where it pointed, an admin adds a person on the
People page who then signs in with that role, and single sign-on through a local OpenID Connect
provider (oidc-provider-mock, started here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.e2e.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing; install it "
                       "with `apt-get install -y chromium` (.ci/run does)"),
]


@contextmanager
def process(cmd: list[str], env: dict | None = None):
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def app(db: Path, auth: str, *extra: str, env: dict | None = None, port: int | None = None):
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *extra]
    with process(cmd, {"HONEYBEE_DB": str(db), "HONEYBEE_AUTH": auth, **(env or {})}) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        yield url


@contextmanager
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(context):
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def add_person(db: Path, name: str, *args: str, password: str | None = None) -> None:
    done = run_cli("users", "add", name, *args, *(["--password-stdin"] if password else []),
                   db=db, stdin=f"{password}\n" if password else None)
    assert done.returncode == 0, done.stderr


def password_sign_in(page, name: str, password: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.keyboard.press("Enter")
    page.get_by_text("Signed in as").wait_for()


def test_deep_link_reload_tabs_and_sign_out(tmp_path):
    db = tmp_path / "id.duckdb"
    add_person(db, "erin", "--role", "reviewer", password="erin-password")
    with app(db, "password") as url, chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = new_page(context)
        page.goto(url + "/agreement")  # signed out: the sign-in form at that address
        page.get_by_text("Sign in to open /agreement.").wait_for()
        password_sign_in(page, "erin", "erin-password")
        page.get_by_role("heading", name="Verifier vs experts").wait_for()  # the page asked for
        assert page.url == url + "/agreement"
        cookie = next(c for c in context.cookies() if c["name"] == "hb_session")
        assert cookie["httpOnly"] and "erin" not in cookie["value"]
        page.reload()
        page.get_by_text("Signed in as").wait_for()
        page.get_by_role("heading", name="Verifier vs experts").wait_for()
        other = new_page(context)  # a second tab, through a bookmark
        other.goto(url + "/explore")
        other.get_by_text("Signed in as").wait_for()
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("Password", exact=True).wait_for()
        assert not [c for c in context.cookies() if c["name"] == "hb_session"]
        other.reload()  # the other tab is signed out too
        other.get_by_label("Password", exact=True).wait_for()
        assert not other.get_by_text("Signed in as").count()


def test_admin_adds_a_person_who_signs_in_with_that_role(tmp_path):
    db = tmp_path / "people.duckdb"
    add_person(db, "boss", "--role", "admin", password="boss-password")
    with app(db, "password") as url, chromium() as browser:
        admin = new_page(browser.new_context(viewport={"width": 1400, "height": 900}))
        admin.goto(url + "/people")
        password_sign_in(admin, "boss", "boss-password")
        admin.get_by_text("Add a person").wait_for()
        form = admin.get_by_test_id("stForm").filter(has_text="Add a person")
        form.get_by_label("Name", exact=True).fill("nina")
        form.get_by_label("Role", exact=True).click()
        admin.get_by_role("option", name="curator").click()
        form.get_by_label("Password", exact=True).fill("nina-password")
        form.get_by_role("button", name="Add person").click()
        admin.get_by_text("Added nina as a curator.").wait_for()
        if os.environ.get("HONEYBEE_E2E_SHOTS"):
            admin.screenshot(path=os.environ["HONEYBEE_E2E_SHOTS"] + ".people.png",
                             full_page=True)

        nina = new_page(browser.new_context(viewport={"width": 1400, "height": 900}))
        nina.goto(url + "/generate")  # a curator's page
        password_sign_in(nina, "nina", "nina-password")
        nina.get_by_text("Signed in as nina · curator").wait_for()
        assert nina.url == url + "/generate"
        assert not nina.get_by_role("link", name="People").count()  # admins only
        nina.goto(url + "/people")
        nina.get_by_text("The People page needs the admin role").wait_for()
    audit = run_cli("users", "audit", "--person", "nina", "--json", db=db)
    assert [(c["actor"], c["action"]) for c in json.loads(audit.stdout)["changes"]] == [
        ("boss", "add")]


@contextmanager
def oidc_provider(users: list[dict]):
    port = free_port()
    cmd = [str(Path(sys.executable).with_name("oidc-provider-mock")), "-p", str(port)]
    for claims in users:
        cmd += ["--user-claims", json.dumps(claims)]
    with process(cmd) as proc:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"oidc-provider-mock exited: {proc.stdout.read()}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"oidc-provider-mock did not answer on {url}") from None
                time.sleep(0.3)
        yield url


def test_single_sign_on_against_a_local_provider(tmp_path):
    db = tmp_path / "sso.duckdb"
    add_person(db, "Grace", "--role", "reviewer", "--email", "grace@lab.org")
    users = [{"sub": "ada-sub", "email": "ada@lab.org", "name": "Ada Lovelace"},
             {"sub": "grace-sub", "email": "grace@lab.org", "name": "Grace Hopper"},
             {"sub": "eve-sub", "email": "eve@elsewhere.org", "name": "Eve"}]
    port = free_port()
    with oidc_provider(users) as issuer:
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a test cookie secret, long enough"\n'
            'client_id = "honeybee"\nclient_secret = "honeybee-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n')
        with app(db, "oidc", "--secrets.files", str(secrets), port=port,
                 env={"HONEYBEE_ADMIN": "ada@lab.org"}) as url, chromium() as browser:
            def sign_in(deep_link: str, sub: str):
                page = new_page(browser.new_context(viewport={"width": 1400, "height": 900}))
                page.goto(url + deep_link)
                page.get_by_role("button", name="Sign in with your institution").click()
                page.wait_for_url(issuer + "/oauth2/authorize**")
                page.get_by_role("button", name=sub, exact=True).click()
                return page

            ada = sign_in("/agreement", "ada-sub")  # the first admin, named by HONEYBEE_ADMIN
            ada.get_by_text("Signed in as Ada Lovelace · admin").wait_for()
            ada.get_by_role("heading", name="Verifier vs experts").wait_for()
            assert ada.url == url + "/agreement"  # back on the page asked for
            ada.reload()
            ada.get_by_text("Signed in as Ada Lovelace · admin").wait_for()
            grace = sign_in("/review", "grace-sub")  # added by the CLI with her email
            grace.get_by_text("Signed in as Grace · reviewer").wait_for()
            assert grace.url == url + "/review"
            eve = sign_in("/", "eve-sub")  # vouched for by the provider, unknown here
            eve.get_by_text("has no account in HoneyBee Studio yet").wait_for()
            assert not eve.get_by_text("Signed in as").count()
            ada.get_by_role("button", name="Sign out").click()
            ada.wait_for_url(issuer + "/**")  # the provider's own sign-out
            ada.goto(url + "/agreement")
            ada.get_by_role("button", name="Sign in with your institution").wait_for()
    listed = json.loads(run_cli("users", "list", "--json", db=db).stdout)["users"]
    assert {(u["name"], u["role"]) for u in listed} == {("Ada Lovelace", "admin"),
                                                       ("Grace", "reviewer")}
