"""Cold and warm render time of every page (AppTest, server time), and the real server's peak memory.

    .venv/bin/python -m benchmarks.render            # all pages
    .venv/bin/python -m benchmarks.render --no-memory

Cold: the first run of a page in a fresh process, caches empty (imports, pretrained loads, fits).
Warm: the median of 5 further reruns with nothing changed, as after a widget interaction that hits
the caches. Peak memory: VmHWM of a real `streamlit run` after a browser has visited every page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, statistics, sys, time
from tests.apptest_utils import open_page, problems
script = sys.argv[1]
at = open_page(script, "en", run=False)
t0 = time.perf_counter(); at.run(); cold = time.perf_counter() - t0
warm = []
for _ in range(5):
    t0 = time.perf_counter(); at.run(); warm.append(time.perf_counter() - t0)
print(json.dumps({"cold": cold, "warm": statistics.median(warm), "problems": problems(at), "torch": "torch" in sys.modules}))
"""


def render_times(scripts: list[str]) -> list[dict]:
    rows = []
    for script in scripts:
        out = subprocess.run([sys.executable, "-c", CHILD, script], cwd=ROOT, capture_output=True, text=True, timeout=900)
        data = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append({"page": script, **data})
        print(f"{script:45s} cold {data['cold'] * 1000:7.0f} ms   warm {data['warm'] * 1000:6.0f} ms   torch={data['torch']}"
              + (f"   PROBLEMS {data['problems']}" if data["problems"] else ""), flush=True)
    return rows


def peak_memory(keys: list[str]) -> float:
    """MiB: the server's peak resident memory after one browser session visits every page."""
    from playwright.sync_api import sync_playwright

    from tests.browser_utils import VIEWPORT, free_port, launch, wait_for_script

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                             "--server.headless", "true"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(4)
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport=VIEWPORT)
            for key in keys:
                page.goto(f"http://127.0.0.1:{port}/{'' if key == 'home' else key}?lang=en")
                wait_for_script(page)
            browser.close()
        status = Path(f"/proc/{proc.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    from ui.registry import HOME_SCRIPT, PAGES

    parser = argparse.ArgumentParser()
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    rows = render_times([HOME_SCRIPT] + [p.script for p in PAGES])
    warm = [r["warm"] for r in rows]
    print(f"median warm rerun: {statistics.median(warm) * 1000:.0f} ms; slowest: {max(warm) * 1000:.0f} ms")
    if not args.no_memory:
        mib = peak_memory(["home"] + [p.key for p in PAGES])
        print(f"server peak memory after visiting every page: {mib:.0f} MiB")


if __name__ == "__main__":
    main()
