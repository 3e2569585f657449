"""The cycle collector, kept from rescanning the app's long-lived heap on every interaction.

A warm server holds millions of Python objects that live as long as the process: torch, plotly and
scikit-learn, the shipped models and the shared figures. CPython's full (generation 2) collection walks
all of them, and a rerun that builds figures triggers one about every rerun: measured on the GAN page
(``benchmarks/rerun_cpu.py`` with the collector timed), 38 full collections took 7.0 s of CPU over 30
reruns, ~180 ms each, as much as the reruns' own work. ``gc.freeze()`` moves every object alive at that
moment to a permanent generation that collections skip (reference counting still frees them).

So: a full collection slower than ``SLOW_S`` marks the heap as grown, and the end of the run (a page's
``ctx.finish()``, a section's or a live tick's) collects once more and freezes what survived, so nothing
dead is kept. A process freezes a handful of times (each page's first view, a new
shared model), and full collections then cost a few milliseconds. ``GP_GC_FREEZE=0`` turns it off.
"""

from __future__ import annotations

import gc
import os
import threading
import time

SLOW_S = 0.02  # a full collection slower than this means a large unfrozen heap
ENABLED = os.environ.get("GP_GC_FREEZE", "1") != "0"

_state = {"due": False, "started": 0.0, "freezes": 0}
_lock = threading.Lock()


def _on_collect(phase: str, info: dict) -> None:
    if info.get("generation") != 2:
        return
    if phase == "start":
        _state["started"] = time.perf_counter()
    elif time.perf_counter() - _state["started"] > SLOW_S:
        _state["due"] = True


def install() -> None:
    """Watch full collections (once per process)."""
    if ENABLED and _on_collect not in gc.callbacks:
        gc.callbacks.append(_on_collect)


def after_run() -> bool:
    """At the end of a run: freeze the heap if a slow full collection said it grew. True if it froze."""
    if not (ENABLED and _state["due"]):
        return False
    with _lock:
        if not _state["due"]:
            return False
        gc.collect()  # garbage goes first, so nothing dead is frozen (a full collection, a handful of times per process)
        gc.freeze()
        _state["due"] = False  # after the collection above, which was slow too
        _state["freezes"] += 1
    return True


def freezes() -> int:
    return _state["freezes"]
