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


def percentile(values, q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values``, linear between the two nearest ranks (numpy's
    default); NaN when there are none. A p95 of fewer than 20 samples is close to their maximum."""
    xs = sorted(float(v) for v in values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * min(max(q, 0.0), 100.0) / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(values) -> dict:
    """``{"n", "p50", "p95", "max"}`` of ``values`` (NaN where there are none)."""
    xs = [float(v) for v in values]
    return {"n": len(xs), "p50": percentile(xs, 50), "p95": percentile(xs, 95), "max": max(xs) if xs else float("nan")}


def machine_load() -> dict:
    """What the benchmarks must state next to their numbers: the load averages and the core count."""
    import datetime
    import os

    one, five, fifteen = os.getloadavg()
    return {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "loadavg_1_5_15": [round(one, 2), round(five, 2), round(fifteen, 2)], "cpus": os.cpu_count()}


def load_text(load: dict) -> str:
    one, five, fifteen = load["loadavg_1_5_15"]
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {load['cpus']} cores at {load['time']}"


def fmt_ms(seconds: float | None) -> str:
    """Seconds as whole milliseconds for a table; a dash for a missing or NaN value."""
    if seconds is None or seconds != seconds:
        return "–"
    return f"{seconds * 1000:,.0f} ms"


def fmt_bytes(n: float | None) -> str:
    if n is None or n != n:
        return "–"
    for unit, size in (("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f} B"
