"""Streamlit's own floor in the browser: the least a slider move can cost when it reruns anything on the server.

    .venv/bin/python -m benchmarks.streamlit_floor                 # 16 moves, the chart at the container's width
    .venv/bin/python -m benchmarks.streamlit_floor --width 620     # the chart at a fixed width

A trivial app (eight lines of text, then a fragment with one slider, a 30-bar plotly chart and one line of text;
the project's own ``.streamlit/config.toml``) runs on a fresh server; headless Chromium presses an arrow key on the
slider and times, from the key's event, the first and the last drawing of the chart (a new plotly ``<div>`` found
drawn, or its ``plotly_afterplot``) within a second. Nothing in it is the project's: it is the time every
Streamlit-side control on this machine starts from, so a view control whose goal lies below it can only meet the
goal in the browser (a plotly slider or animation frame). Traffic to 127.0.0.1 only; bounded by ``--moves``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from benchmarks.timing import load_text, machine_load, summary

ROOT = Path(__file__).resolve().parent.parent

APP = '''
import numpy as np
import plotly.graph_objects as go
import streamlit as st

for i in range(8):
    st.write(f"filler line {i}")


@st.fragment
def section():
    t = st.slider("T", 0.05, 5.0, 1.0, 0.05, key="t")
    p = np.exp(np.random.default_rng(0).normal(size=30) * 2 / t)
    p /= p.sum()
    fig = go.Figure(go.Bar(x=[f"c{i}" for i in range(30)], y=p))
    fig.update_layout(height=300, margin=dict(l=30, r=10, t=10, b=30), yaxis_range=[0, 1])
    st.plotly_chart(fig, key="chart", config={"displayModeBar": False}, WIDTH)
    st.write(f"entropy {-(p * np.log2(p)).sum():.3f} bits")


section()
'''

# every plotly div under the chart's key, the moment it is found drawn, and each of its afterplots
PROBE = r"""
window.__ev = [];
const seen = new WeakSet();
const watch = () => {
  for (const gd of document.querySelectorAll('.st-key-chart .js-plotly-plot')) {
    if (seen.has(gd) || typeof gd.on !== 'function') continue;
    seen.add(gd);
    window.__ev.push(['div', performance.now()]);
    gd.on('plotly_afterplot', () => window.__ev.push(['after', performance.now()]));
  }
  requestAnimationFrame(watch);
};
requestAnimationFrame(watch);
window.addEventListener('keydown', e => window.__ev.push(['key', e.timeStamp]), true);
"""


def measure(moves: int, width: int | None) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser_utils import launch, server_process

    firsts, lasts, drawings, mounts = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "app.py"
        app.write_text(APP.replace("WIDTH", f"width={width}" if width else 'width="stretch"'), encoding="utf-8")
        shutil.copytree(ROOT / ".streamlit", Path(tmp) / ".streamlit")
        with server_process(script=str(app), cwd=Path(tmp)) as (base, _), sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.add_init_script(PROBE)
            page.goto(base + "/")
            page.wait_for_selector(".st-key-chart .js-plotly-plot", timeout=60_000)
            page.wait_for_timeout(2000)
            page.locator(".st-key-t").get_by_role("slider").focus()
            for i in range(moves):
                page.evaluate("() => { window.__ev = []; }")
                page.keyboard.press("ArrowLeft" if i % 2 else "ArrowRight")
                page.wait_for_timeout(1000)
                events = page.evaluate("() => window.__ev")
                t_key = next(t for kind, t in events if kind == "key")
                after = [(kind, t - t_key) for kind, t in events if kind != "key" and t >= t_key]
                if after:
                    firsts.append(min(t for _, t in after))
                    lasts.append(max(t for _, t in after))
                    drawings.append(sum(kind == "after" for kind, _ in after))
                    mounts.append(sum(kind == "div" for kind, _ in after))
            browser.close()
    first, last = summary(firsts), summary(lasts)
    return {"moves": moves, "drawn": len(firsts), "first_median_ms": first["p50"], "first_p95_ms": first["p95"],
            "last_median_ms": last["p50"], "afterplots_per_move": statistics.mean(drawings) if drawings else float("nan"),
            "new_charts_per_move": statistics.mean(mounts) if mounts else float("nan")}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=16)
    ap.add_argument("--width", type=int, default=None, help="the chart's width in px (default: the container's)")
    args = ap.parse_args(argv)
    print(f"before: {load_text(machine_load())}")
    r = measure(args.moves, args.width)
    print(f"after: {load_text(machine_load())}")
    print(f"{r['drawn']} of {r['moves']} moves drawn; key → chart drawn: first median {r['first_median_ms']:.0f} ms "
          f"(p95 {r['first_p95_ms']:.0f}), last median {r['last_median_ms']:.0f} ms, {r['afterplots_per_move']:.1f} plotly_afterplot and {r['new_charts_per_move']:.1f} new chart a move")


if __name__ == "__main__":
    main()
