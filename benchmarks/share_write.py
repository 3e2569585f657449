"""What writing the URL costs a rerun (issue 17 asks for at most 10 ms).

    .venv/bin/python -m benchmarks.share_write

Times ``share.write`` (the work ``setup()`` adds to every rerun: collect the page's values off their
defaults, compare them with the URL, write them when they changed) 200 times inside an AppTest script
run, with 20 persisted values of the page and 20 of other pages in the session, for an unchanged view
and for a view whose slider moved at every call.
"""

from __future__ import annotations

import statistics

from streamlit.testing.v1 import AppTest


def probe() -> None:  # AppTest runs this function's source as the script
    import time

    import streamlit as st

    from ui import share

    ss = st.session_state
    for i in range(20):
        ss[f"w:mixtures_and_hmm.c{i}"] = float(i)
        ss[f"w:gan.c{i}"] = ["a", "b"]
    timings = {"unchanged": [], "changed": []}
    for case, ms in timings.items():
        for i in range(200):
            if case == "changed":
                ss["w:mixtures_and_hmm.c0"] = 100.0 + i
            t0 = time.perf_counter()
            share.write("mixtures_and_hmm", "en")
            ms.append((time.perf_counter() - t0) * 1e3)
    ss["timings"] = timings


def main() -> None:
    at = AppTest.from_function(probe, default_timeout=60).run()
    assert not at.exception, at.exception
    for case, ms in at.session_state["timings"].items():
        p99 = sorted(ms)[int(0.99 * len(ms))]
        print(f"share.write, {case} view: median {statistics.median(ms):.3f} ms, p99 {p99:.3f} ms, max {max(ms):.3f} ms (n={len(ms)})")


if __name__ == "__main__":
    main()
