"""Timing helpers shared by the page benchmarks."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def median_rerun(at, move: Callable[[int], object], repeats: int = 5) -> float:
    """Median seconds of server time for ``at.run()`` after ``move(i)`` sets a widget, i = 0 … repeats − 1.

    ``at`` is a ``streamlit.testing.v1.AppTest``; the run covers the whole page script and its figures.
    """
    times = []
    for i in range(repeats):
        move(i)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
