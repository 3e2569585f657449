"""Cold start, as a newly deployed (or woken) server feels it to the first visitor.

    python -m benchmarks.cold_start [--page gan] [--runs 2]

For each run, a fresh ``streamlit run streamlit_app.py`` on a free loopback port, then Chromium:
- health: process start -> ``/_stcore/health`` answers 200;
- first page: process start -> the home page's script has finished and painted;
- heaviest page: following on the same server to ``/<page>`` (default ``gan``: torch, the shipped models),
  click -> its script has finished;
- deep link: on a second fresh server, ``/<page>`` opened first (what a shared link does);
and the server's RSS after both pages. Traffic stays on 127.0.0.1. Prints the machine load before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from deploy.local_replicas import ROOT, free_port, wait_healthy


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def start(port: int):
    import subprocess

    env = os.environ | {"GP_TORCH_THREADS": "1", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true"]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def one_run(browser, page_key: str) -> dict:
    from tests.browser_utils import VIEWPORT, wait_for_script

    out = {}
    port = free_port()
    t0 = time.perf_counter()
    proc = start(port)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, 180, proc)
        out["health_s"] = time.perf_counter() - t0
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{url}/?lang=en")
        wait_for_script(page)
        out["first_page_s"] = time.perf_counter() - t0 - 1.5  # wait_for_script lets plotly settle 1.5 s
        t1 = time.perf_counter()
        page.goto(f"{url}/{page_key}?lang=en")
        wait_for_script(page)
        out["heaviest_page_s"] = time.perf_counter() - t1 - 1.5
        out["rss_mb"] = rss_mb(proc.pid)
        page.close()
    finally:
        proc.terminate()
        proc.wait(20)
    port = free_port()
    t0 = time.perf_counter()
    proc = start(port)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, 180, proc)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{url}/{page_key}?lang=pt")
        wait_for_script(page)
        out["deep_link_s"] = time.perf_counter() - t0 - 1.5
        page.close()
    finally:
        proc.terminate()
        proc.wait(20)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--page", default="gan")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.browser_utils import launch

    print(f"load before: {open('/proc/loadavg').read().split()[:3]}", flush=True)
    rows = []
    with sync_playwright() as p:
        browser = launch(p)
        for i in range(args.runs):
            rows.append(one_run(browser, args.page))
            print(f"run {i + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in rows[-1].items()), flush=True)
        browser.close()
    for k in rows[0]:
        print(f"{k:>16}: median {statistics.median(r[k] for r in rows):.1f}  (runs: {', '.join(f'{r[k]:.1f}' for r in rows)})")
    print(f"load after: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
