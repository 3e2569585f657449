"""Cold and warm render time of every page (AppTest, server time), and the real server's peak memory.

    .venv/bin/python -m benchmarks.render            # all pages
    .venv/bin/python -m benchmarks.render --no-memory

Cold: the first run of a page in a fresh process, caches empty (imports, pretrained loads, fits).
Warm: the median of 5 further reruns with nothing changed, as after a widget interaction that hits
the caches (that process has the background warm-up off, so nothing else runs while they are timed).
First view on a warm server: another fresh process opens the home page first, as the teacher opening the link
does (its run starts ``ui/prewarm.py``'s warm-up), waits for the warm-up to finish, then times the page's first
run: what a student's first view costs on a server that has been up for a few seconds (or whose health check
ran). Each first view is also given as CPU time (``time.process_time``), steadier than wall time on a busy machine.
Peak memory: VmHWM of a real `streamlit run` after a browser has visited every page.
"""

from __future__ import annotations

import argparse
import json
import os
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
t0, c0 = time.perf_counter(), time.process_time(); at.run(); cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
warm = []
for _ in range(5):
    t0 = time.perf_counter(); at.run(); warm.append(time.perf_counter() - t0)
print(json.dumps({"cold": cold, "cold_cpu": cold_cpu, "warm": statistics.median(warm), "problems": problems(at),
                  "torch": "torch" in sys.modules}))
"""

WARM_SERVER_CHILD = r"""
import json, sys, time
from tests.apptest_utils import open_page, problems
from ui import prewarm
script = sys.argv[1]
home = open_page("streamlit_app.py", "en")  # the teacher opens the link: the process's first run starts the warm-up
t0 = time.perf_counter(); finished = prewarm.wait(600); waited = time.perf_counter() - t0
at = open_page(script, "en", run=False)
# A server scans the installed components once, at start; each AppTest does it on its first run (0.2 s of CPU, up to
# 0.6 s of disk reads): the page's session gets the home session's scan, as a real second session would.
at._bidi_component_manager = home._bidi_component_manager
t0, c0 = time.perf_counter(), time.process_time(); at.run(); first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"first": first, "first_cpu": first_cpu, "warmup_wait": waited, "warmup_finished": finished,
                  "warmup": prewarm.report(), "problems": problems(home) + problems(at)}))
"""


def _child(code: str, script: str, prewarm: bool) -> dict:
    env = os.environ | {"GP_PREWARM": "1" if prewarm else "0"}
    out = subprocess.run([sys.executable, "-c", code, script], cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def render_times(scripts: list[str]) -> list[dict]:
    rows = []
    for script in scripts:
        data = _child(CHILD, script, prewarm=False)
        warm_server = _child(WARM_SERVER_CHILD, script, prewarm=True)
        problems = data["problems"] + warm_server["problems"]
        rows.append({"page": script, **data, **warm_server, "problems": problems})
        print(f"{script:45s} cold {data['cold'] * 1000:7.0f} ms (cpu {data['cold_cpu'] * 1000:6.0f})"
              f"   warm {data['warm'] * 1000:6.0f} ms"
              f"   first view on a warm server {warm_server['first'] * 1000:6.0f} ms (cpu {warm_server['first_cpu'] * 1000:6.0f})"
              f"   torch={data['torch']}"
              + ("" if warm_server["warmup_finished"] else "   WARM-UP UNFINISHED")
              + (f"   PROBLEMS {problems}" if problems else ""), flush=True)
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
    print(f"load: {open('/proc/loadavg').read().split()[:3]}", flush=True)
    rows = render_times([HOME_SCRIPT] + [p.script for p in PAGES])
    warm = [r["warm"] for r in rows]
    print(f"median warm rerun: {statistics.median(warm) * 1000:.0f} ms; slowest: {max(warm) * 1000:.0f} ms")
    first = max(rows, key=lambda r: r["first"])
    print(f"slowest first view on a warm server: {first['first'] * 1000:.0f} ms ({first['page']}); the warm-up took "
          + ", ".join(f"{k} {v:.1f} s" for k, v in rows[0]["warmup"].items()), flush=True)
    print(f"load: {open('/proc/loadavg').read().split()[:3]}")
    if not args.no_memory:
        mib = peak_memory(["home"] + [p.key for p in PAGES])
        print(f"server peak memory after visiting every page: {mib:.0f} MiB")


if __name__ == "__main__":
    main()
