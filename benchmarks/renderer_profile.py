"""Where the browser's time goes while a page trains live: a CPU profile of Chromium's renderer.

    .venv/bin/python -m benchmarks.renderer_profile                      # the GAN page, Play, 8 s profiled
    .venv/bin/python -m benchmarks.renderer_profile --page vae --play vae_play --seconds 8

A fresh server; headless Chromium opens the page, presses the panel's Play button (its widget key), waits
``--settle`` seconds, then samples the page's JavaScript through the DevTools protocol (``Profiler.start`` /
``Profiler.stop``) for ``--seconds``. Prints the functions with the most self time and the most inclusive time (by
function and script), as shares of the sampled time. Traffic to 127.0.0.1 only; bounded by ``--seconds``.
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
    args = ap.parse_args(argv)
    with server() as url, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{url}/{args.page}?lang={args.lang}")
        wait_for_script(page)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
        page.click(f"{css_key(args.play)} button")
        time.sleep(args.settle)
        cdp.send("Profiler.start")
        time.sleep(args.seconds)
        profile = cdp.send("Profiler.stop")["profile"]
        browser.close()
    own, incl = summarise(profile)
    print(f"sampled {sum(profile['timeDeltas']) / 1e6:.1f} s of the renderer's JavaScript thread")
    print("self time:")
    for name, share in own:
        print(f"  {share * 100:5.1f} %  {name}")
    print("inclusive time:")
    for name, share in incl:
        print(f"  {share * 100:5.1f} %  {name}")


if __name__ == "__main__":
    main()
