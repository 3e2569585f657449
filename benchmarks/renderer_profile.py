"""Where the browser's time goes while a page trains live: a CPU profile of Chromium's renderer.

    .venv/bin/python -m benchmarks.renderer_profile                      # the GAN page, Play, 8 s profiled
    .venv/bin/python -m benchmarks.renderer_profile --page vae --play vae_play --seconds 8
    .venv/bin/python -m benchmarks.renderer_profile --page token_sampling --move temperature --times 10
    .venv/bin/python -m benchmarks.renderer_profile --page vae --move "grid size" --times 10

A fresh server; headless Chromium opens the page, presses the panel's Play button (its widget key), waits
``--settle`` seconds, then samples the page's JavaScript through the DevTools protocol (``Profiler.start`` /
``Profiler.stop``) for ``--seconds``. With ``--move <name>`` (an interaction of the page in
``benchmarks/interactions.py``) it instead moves that control ``--times`` times, each timed as the browser benchmark
times it (input → last redraw of its figures), and profiles those moves. Prints the renderer's CPU over the profiled
span (``Performance.getMetrics``: TaskDuration, ScriptDuration, LayoutDuration, RecalcStyleDuration deltas), the
functions with the most self time and the most inclusive time (by function and script), as shares of the sampled
time. Traffic to 127.0.0.1 only; bounded by ``--seconds`` or ``--times``.
"""

from __future__ import annotations

import argparse
import collections
import time


def _name(frame: dict, line: bool) -> str:
    script = frame["url"].rsplit("/", 1)[-1][:40]
    return f"{frame['functionName'] or '(anonymous)'} {script}" + (f":{frame['lineNumber']}" if line else "")


def summarise(profile: dict, top: int = 15) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(self, inclusive) shares of the sampled time, the largest first."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    own, incl = collections.Counter(), collections.Counter()
    for sample, dt in zip(profile["samples"], profile["timeDeltas"]):
        own[_name(nodes[sample]["callFrame"], True)] += dt
        seen, node = set(), sample
        while node in nodes:
            name = _name(nodes[node]["callFrame"], False)
            if name not in seen:
                incl[name] += dt
                seen.add(name)
            node = parent.get(node, -1)
    total = max(1, sum(profile["timeDeltas"]))
    return ([(k, v / total) for k, v in own.most_common(top)], [(k, v / total) for k, v in incl.most_common(2 * top)])


def by_script(profile: dict) -> list[tuple[str, float]]:
    """Self time (ms) per script, the largest first: "PlotlyChart" is plotly's drawing, "(program)" the browser's own."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    out: collections.Counter = collections.Counter()
    for sample, dt in zip(profile["samples"], profile["timeDeltas"]):
        frame = nodes[sample]["callFrame"]
        name = frame["url"].rsplit("/", 1)[-1].split(".")[0] or frame["functionName"] or "(anonymous)"
        if name != "(idle)":
            out[name] += dt / 1000
    return out.most_common()


def _plot_api_offsets() -> dict[int, str]:
    """Where Streamlit's bundled plotly.js defines ``_doPlot`` (a full drawing) and ``react``: their minified names
    are single letters, so they are found by the offset of their definition in the bundle's plot_api module."""
    import re
    from pathlib import Path

    import streamlit

    bundle = next((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    text = bundle.read_text(encoding="utf-8")
    start = text.index('"src/plot_api/plot_api.js"')
    exports = re.compile(r"\._doPlot=([\w$]+),.*?\.react=([\w$]+)").search(text, start)
    out = {}
    for label, name in zip(("full drawings (_doPlot)", "Plotly.react"), exports.groups()):
        out[text.index(f"function {name}(", start)] = label
    return out


def plotly_calls(coverage: list[dict]) -> dict[str, int]:
    """How often plotly drew a whole figure (``_doPlot``), ran ``Plotly.react`` and its auto-margin pass, from V8's
    call counts (``Profiler`` precise coverage): exact, whatever the machine's load. A figure whose margins grow is
    drawn a second time inside one update (doAutoMargin calls ``_doPlot`` again)."""
    try:
        offsets = _plot_api_offsets()
    except (StopIteration, ValueError, AttributeError, OSError):
        offsets = {}
    out = {label: 0 for label in (*offsets.values(), "doAutoMargin")}
    for script in coverage:
        if "PlotlyChart" not in script["url"]:
            continue
        for fn in script["functions"]:
            if not fn["ranges"]:
                continue
            label = offsets.get(fn["ranges"][0]["startOffset"])
            if label is None and fn["functionName"].endswith("doAutoMargin"):
                label = "doAutoMargin"
            if label is not None:
                out[label] += fn["ranges"][0]["count"]
    return out


METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def metrics(cdp) -> dict[str, float]:
    """The renderer's cumulative CPU seconds (``Performance.getMetrics``) for the page."""
    got = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: got.get(name, 0.0) for name in METRICS}


def _moves(context, base: str, args):
    """Open ``args.page`` as the browser benchmark does and return its tab and the interaction."""
    from benchmarks.browser import Tab_
    from benchmarks.interactions import BY_KEY

    bench = BY_KEY[args.page]
    inter = next((i for i in bench.interactions if i.name == args.move), None)
    if inter is None:
        raise SystemExit(f"no interaction {args.move!r} on {args.page}; known: {[i.name for i in bench.interactions]}")
    tab = Tab_(context, args.lang)
    tab.open(f"{base}/{bench.path}?lang={args.lang}")
    tab.setup(inter.setup)
    tab.wait_quiet()
    return tab, inter


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    from benchmarks.browser import css_key
    from tests.browser_utils import VIEWPORT, launch, server, wait_for_script

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--page", default="gan")
    ap.add_argument("--play", default="gan_play", help="the key of the Play button")
    ap.add_argument("--lang", default="en", choices=("en", "pt"))
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--move", help="profile this interaction of --page (its name in benchmarks/interactions.py) instead of Play")
    ap.add_argument("--times", type=int, default=10, help="how many times --move moves its control")
    args = ap.parse_args(argv)
    latencies: list = []
    with server() as url, sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=VIEWPORT)
        if args.move:
            tab, inter = _moves(context, url, args)
            page = tab.page
        else:
            page = context.new_page()
            page.goto(f"{url}/{args.page}?lang={args.lang}")
            wait_for_script(page)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
        if not args.move:
            page.click(f"{css_key(args.play)} button")
            time.sleep(args.settle)
        before, t0 = metrics(cdp), time.perf_counter()
        cdp.send("Profiler.startPreciseCoverage", {"callCount": True, "detailed": False})
        cdp.send("Profiler.takePreciseCoverage")  # resets the counts: from here on
        cdp.send("Profiler.start")
        if args.move:
            for _ in range(args.times):
                latencies.append(tab.measure(inter.act, inter.charts).get("latency"))
        else:
            time.sleep(args.seconds)
        profile = cdp.send("Profiler.stop")["profile"]
        after, wall = metrics(cdp), time.perf_counter() - t0
        calls = plotly_calls(cdp.send("Profiler.takePreciseCoverage")["result"])
        browser.close()
    own, incl = summarise(profile)
    what = f"{args.times} moves of {args.move!r}" if args.move else f"{args.seconds:.0f} s of live training"
    print(f"{args.page} ({args.lang}), {what}, {wall:.1f} s wall")
    for name in METRICS:
        print(f"  {name:20s} {(after[name] - before[name]) * 1000:8.0f} ms" +
              (f"  ({(after[name] - before[name]) * 1000 / args.times:.0f} ms a move)" if args.move else ""))
    if latencies:
        done = sorted(x for x in latencies if x is not None)
        print(f"  latency median {done[len(done) // 2] * 1000:.0f} ms over {len(done)} moves" if done else "  no latency measured")
    per = args.times if args.move else 1
    print("plotly calls" + (" a move" if args.move else "") + " (exact, from V8's call counts): " +
          ", ".join(f"{name} {n / per:.1f}" for name, n in calls.items()))
    print(f"sampled {sum(profile['timeDeltas']) / 1e6:.1f} s of the renderer's JavaScript thread")
    print("self time by script (ms" + (" a move)" if args.move else ")") + ": " + ", ".join(
        f"{name} {ms / (args.times if args.move else 1):.0f}" for name, ms in by_script(profile)[:6]))
    print("self time:")
    for name, share in own:
        print(f"  {share * 100:5.1f} %  {name}")
    print("inclusive time:")
    for name, share in incl:
        print(f"  {share * 100:5.1f} %  {name}")


if __name__ == "__main__":
    main()
