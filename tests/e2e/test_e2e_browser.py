"""End to end: the real app in Debian's Chromium; sign in, rate by keyboard, check DuckDB."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from honeybee_core import review
from honeybee_core.auth import Actor
from honeybee_core.store import Repository, open_database
from tests.conftest import ROOT, run_cli
from tests.review_seed import seed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing; install it "
                       "with `apt-get install -y chromium` (.ci/run does)"),
]
SCORES = {"Accuracy": "81", "Relevance": "92", "Completeness": "73", "Reasonableness": "64"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as resp:
                if resp.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout} s")


@pytest.fixture
def served(tmp_path):
    """A seeded database, an account made by the CLI, and `streamlit run app.py` on it."""
    db = tmp_path / "e2e.duckdb"
    database = open_database(db)
    repo = Repository(database)
    seed(repo, 8)
    first = review.queue(repo, Actor("erin", "reviewer")).ids[0]
    database.close()
    made = run_cli("users", "add", "erin", "--role", "reviewer", "--password-stdin", db=db,
                   stdin="erin-password\n")
    assert made.returncode == 0, made.stderr
    port = free_port()
    env = {**os.environ, "HONEYBEE_DB": str(db), "HONEYBEE_AUTH": "password"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        yield url, db, first, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_sign_in_and_rate_by_keyboard(served):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, db, first, proc = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.goto(url.rstrip("/") + "/data")  # a deep link cannot skip the sign-in frame
            page.get_by_label("Password", exact=True).wait_for()
            assert not page.get_by_text("Import", exact=True).count()
            page.goto(url)
            page.get_by_label("Name").fill("erin")
            page.get_by_label("Password", exact=True).fill("erin-password")
            page.keyboard.press("Enter")
            page.get_by_text("Signed in as").wait_for()
            page.get_by_role("link", name="Review").click()
            page.get_by_text(first).wait_for()  # the queue's first item, by its id
            page.get_by_text("Blind mode: the verifier").wait_for()  # the form, not the guideline
            for label, value in SCORES.items():
                page.get_by_label(label, exact=True).focus()
                page.keyboard.press("Control+A")
                page.keyboard.type(value)
            page.keyboard.press("Alt+A")  # approve, typed with focus still in the last input
            page.get_by_text("Saved your rating (approve).").wait_for()
            page.get_by_text("Your rating beside the verifier's").wait_for()  # revealed now
            if os.environ.get("HONEYBEE_E2E_SHOTS"):
                page.screenshot(path=os.environ["HONEYBEE_E2E_SHOTS"], full_page=True)
            page.keyboard.press("Alt+N")
            page.get_by_text(first).wait_for(state="detached")
        finally:
            browser.close()
    proc.terminate()
    proc.wait(timeout=20)
    database = open_database(db)
    try:
        rows = database.cursor().execute(
            "SELECT instruction_id, annotator, accuracy, relevance, completeness, reasonableness,"
            " verdict, blind FROM expert_ratings").fetchall()
    finally:
        database.close()
    assert rows == [(first, "erin", 81.0, 92.0, 73.0, 64.0, "approve", True)]
