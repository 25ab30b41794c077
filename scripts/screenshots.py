"""Screenshots of every page at 1400x900, as `make run` serves them (offline demo, no sign-in).

    python scripts/screenshots.py OUT_DIR [--db PATH]

Builds the demo database (unless --db names one), starts `streamlit run serve.py` on a free
port, opens each page in Debian's Chromium and saves OUT_DIR/NN-page.png. For looking at, not
for asserting: the browser tests in tests/e2e/ assert.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PAGES = ["", "review", "explore", "agreement", "generate", "train", "evaluate", "guidelines",
         "data", "people"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as resp:
                if resp.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--height", type=int, default=900, help="viewport height (taller: more "
                        "of each page)")
    parser.add_argument("--pages", nargs="*", default=PAGES, help="url paths ('' = Home)")
    parser.add_argument("--user", default="ada", help="the name to sign in as")
    parser.add_argument("--settle", type=float, default=4.0, help="seconds after load")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.db or Path(tempfile.mkdtemp()) / "demo.duckdb"
    env = {**os.environ, "HONEYBEE_DB": str(db), "HONEYBEE_AUTH": "none"}
    if args.db is None:
        subprocess.run([sys.executable, "-m", "honeybee_core.cli", "init", "--demo"], env=env,
                       cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from playwright.sync_api import sync_playwright
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": args.height})
            page.set_default_timeout(60_000)
            page.goto(f"{url}/review")  # local mode: the first person to sign in is the admin
            page.get_by_label("New name").fill(args.user)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_text("Signed in as").wait_for()
            for i, name in enumerate(args.pages):
                page.goto(f"{url}/{name}")
                page.wait_for_selector("[data-testid='stSidebar']")
                time.sleep(args.settle)
                shot = args.out / f"{i:02d}-{name or 'home'}.png"
                page.screenshot(path=str(shot))
                print(shot)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
