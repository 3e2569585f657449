"""The server's heavy imports, done once in the background after the first script run, before a student needs them.

A page's first view in a fresh process pays for its imports: ``import torch`` is 2.3–2.8 s here, the first
``torch.optim.Adam`` step imports ``torch._dynamo`` (1.5–3 s more), the scikit-learn modules 2.7 s, plotly's
validators and the page's own engine and ui modules the rest. No torch page can show its first view within 2 s
while that is still to do. So the end of the process's first run (``PageContext.finish()``: the home page the
teacher opens, or the container's health check, which runs the home page in a session of its own) starts one
daemon thread that does all of it: torch through ``engine.core.torch_setup`` (so the thread count is the server's)
and one tiny Adam step, the scientific modules in :data:`LIBRARIES`, plotly's figure machinery as Streamlit
serialises it, and every module the page scripts import (``ui.registry``'s pages, read with ``ast``: the
engine families and the pages' ui modules).

What it leaves alone: it draws nothing and fills no ``st.cache_resource`` (the thread has no script run context,
and a shared model is loaded by the first page that asks for it), and a failed import is logged and skipped, so
the page that needs it reports it as before. It gives way to the pages: before each module it has still to import
it waits (10 s at most) while a session's script runs, so a student who opens a page at once is not slowed by
imports that page does not need. At the end it runs one full collection and lets ``ui.heap`` freeze
what survived, as after a page's first view. ``GP_PREWARM=0`` turns it off (the tests do: a background import
would make them slower and their timing nondeterministic).
"""

from __future__ import annotations

import ast
import gc
import importlib
import logging
import os
import sys
import threading
import time
from pathlib import Path

from ui import server_load

LOG = logging.getLogger("generative_playground")
ROOT = Path(__file__).resolve().parent.parent

# Every scikit-learn, SciPy and hmmlearn module that engine/ and ui/ import, most of them inside the function that
# needs them (tests/test_prewarm.py checks this list against the code).
LIBRARIES = (
    "hmmlearn.hmm",
    "scipy.linalg",
    "scipy.optimize",
    "scipy.spatial.distance",
    "scipy.special",
    "sklearn.calibration",
    "sklearn.cluster",
    "sklearn.datasets",
    "sklearn.exceptions",
    "sklearn.linear_model",
    "sklearn.mixture",
    "sklearn.neural_network",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.svm",
)

GIVE_WAY_S = 10.0  # at most this long before each module still to import while a page's script runs

_lock = threading.Lock()
_thread: threading.Thread | None = None
_report: dict[str, float] = {}  # step -> seconds, once the warm-up has finished


def enabled() -> bool:
    return os.environ.get("GP_PREWARM", "1") != "0"


# ---------------------------------------------------------------- what is warmed

def give_way() -> None:
    """Let a running page script go first: it needs the interpreter now, the warm-up only soon. Waits until no
    session's script runs, or ``GIVE_WAY_S`` at most (a busy server's scripts never all stop: the warm-up still
    advances, one module per wait). A run in flight is what ``ui.server_load`` counts, as live training does."""
    deadline = time.monotonic() + GIVE_WAY_S
    while time.monotonic() < deadline and server_load.load().others() > 0:
        time.sleep(0.05)


def _torch() -> None:
    if "torch._dynamo" not in sys.modules:
        give_way()
    from engine.core import torch_setup  # noqa: F401  (first: it sets the server's thread count)

    import torch

    weight = torch.nn.Parameter(torch.zeros(2))
    optimiser = torch.optim.Adam([weight], lr=1e-3)
    weight.sum().backward()
    optimiser.step()  # the first step of a process imports torch._dynamo


def _plotly() -> None:
    import plotly.graph_objects as go
    import plotly.io
    import plotly.tools  # noqa: F401  (streamlit's plotly_chart imports it)

    z = [[0.0, 1.0], [1.0, 0.0]]
    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1]), go.Scattergl(x=[0], y=[0]), go.Heatmap(z=z), go.Contour(z=z),
                     go.Bar(x=[0], y=[1]), go.Histogram(x=[0, 1]), go.Image(z=[[[0, 0, 0]]]), go.Surface(z=z)],
                    frames=[go.Frame(data=[go.Scatter(x=[0], y=[1])], name="0")])
    fig.update_layout(sliders=[{"steps": [{"label": "0"}]}], updatemenus=[{"buttons": [{"label": "play"}]}])
    plotly.io.to_json(fig, validate=False)  # what st.plotly_chart does with every figure


def page_modules() -> list[str]:
    """Every module the home page and ``ui.registry``'s page scripts import, in the order they first appear
    (``from ui import views_vae`` gives ``ui`` and ``ui.views_vae``)."""
    from ui.registry import HOME_SCRIPT, PAGES

    found: dict[str, None] = {}
    for script in [HOME_SCRIPT, *(p.script for p in PAGES)]:
        for node in ast.walk(ast.parse((ROOT / script).read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found.update((a.name, None) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found[node.module] = None
                found.update((f"{node.module}.{a.name}", None) for a in node.names
                             if _is_local_module(f"{node.module}.{a.name}"))
    return [m for m in found if m != "__future__"]


def _is_local_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _import_all(modules) -> None:
    for name in modules:
        if name not in sys.modules:
            give_way()
        try:
            importlib.import_module(name)
        except Exception:  # the page that needs it reports it; the warm-up goes on
            LOG.warning("prewarm: importing %s failed", name, exc_info=True)


STEPS = (
    ("torch", _torch),
    ("libraries", lambda: _import_all(LIBRARIES)),
    ("plotly", _plotly),
    ("pages", lambda: _import_all(page_modules())),
)


# ---------------------------------------------------------------- running it

def run() -> dict[str, float]:
    """The whole warm-up, in the calling thread: seconds per step. Never raises."""
    from ui import heap

    times: dict[str, float] = {}
    for name, step in STEPS:
        t0 = time.perf_counter()
        try:
            step()
        except Exception:
            LOG.warning("prewarm: step %s failed", name, exc_info=True)
        times[name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        gc.collect()  # a full collection over the grown heap: slow, so ui.heap freezes what survived (if it is on)
        heap.after_run()
    except Exception:
        LOG.warning("prewarm: freezing the heap failed", exc_info=True)
    times["heap"] = time.perf_counter() - t0
    return times


def _work() -> None:
    try:
        times = run()
        _report.update(times)
        LOG.info("prewarm: done in %.1f s (%s)", sum(times.values()),
                 ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
    except BaseException:  # a daemon thread must not die noisily, even at interpreter shutdown
        LOG.debug("prewarm: stopped", exc_info=True)


def start() -> bool:
    """Start the warm-up thread, once per process (later calls do nothing). True if this call started it."""
    global _thread
    if _thread is not None or not enabled():
        return False
    with _lock:
        if _thread is not None:
            return False
        thread = threading.Thread(target=_work, name="gp-prewarm", daemon=True)
        try:
            thread.start()
        except Exception:  # (no threads left): the pages import what they need themselves
            LOG.warning("prewarm: could not start", exc_info=True)
            return False
        _thread = thread
    return True


def wait(timeout: float | None = None) -> bool:
    """Wait for the warm-up to finish; True if it has (False if it never started or is still running)."""
    thread = _thread
    if thread is None:
        return False
    thread.join(timeout)
    return not thread.is_alive()


def report() -> dict[str, float]:
    """Seconds per step of the finished warm-up (empty until it has finished)."""
    return dict(_report)
