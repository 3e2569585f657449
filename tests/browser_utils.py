"""Start the real Streamlit server and drive it with Playwright in Debian's Chromium.

Also a small command for looking at pages by eye:
    python -m tests.browser_utils gan pt     # writes tests/screenshots/gan_pt.png
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1440, "height": 1000}


def require_browser():
    """Playwright's sync API for a browser test module, or skip the module: Chromium or Playwright
    missing is a skip, except under ``REQUIRE_BROWSER=1`` (CI), where it is an error."""
    import pytest

    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            raise RuntimeError(f"browser tests are required but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(timeout: float = 90.0):
    """A fresh ``streamlit run streamlit_app.py`` on a free loopback port; yields its base URL."""
    with server_process(timeout) as (base, _):
        yield base


@contextlib.contextmanager
def server_process(timeout: float = 90.0, options: tuple[str, ...] = (), log: Path | None = None,
                   launcher: tuple[str, ...] = ("-m", "streamlit"), script: str = "streamlit_app.py", cwd: Path = ROOT):
    """Like ``server()``, but yields ``(base URL, Popen)`` so a benchmark can read the server's /proc.
    ``options`` are extra ``streamlit run`` flags (e.g. ``("--server.disconnectedSessionTTL", "30")``);
    ``log`` takes the server's stderr, so a long run never blocks on a full pipe; ``launcher``: what
    ``python`` runs instead of Streamlit's own command (a script that wraps it, e.g. under a profiler);
    ``script`` and ``cwd``: another app than the project's (its ``.streamlit/`` config is read from ``cwd``)."""
    port = free_port()
    cmd = [sys.executable, *launcher, "run", script, "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", *options]
    err = open(log, "w") if log is not None else subprocess.PIPE
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                why = "timeout" if proc.poll() is None else proc.stderr.read() if log is None else Path(log).read_text()
                raise RuntimeError(f"streamlit did not start: {why}")
            time.sleep(0.3)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log is not None:
            err.close()


def wait_for_script(page, timeout_ms: int = 120_000) -> None:
    """Wait until the app has connected, run the page's script to the end, and painted."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)
    page.wait_for_timeout(1500)  # let plotly and the fonts settle
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def shoot(key: str, lang: str, path: Path | None = None, height: int = 2400) -> Path:
    """Screenshot a page on a fresh server. Streamlit scrolls inside its own container, so a
    tall viewport (not full_page) is what captures the whole page."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    path = path or SHOTS / f"{key}_{lang}.png"
    with server() as base, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": VIEWPORT["width"], "height": height})
        page.goto(f"{base}/{'' if key == 'home' else key}?lang={lang}")
        wait_for_script(page)
        page.screenshot(path=str(path))
        browser.close()
    return path


if __name__ == "__main__":
    print(shoot(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "en", height=int(sys.argv[3]) if len(sys.argv) > 3 else 2400))
