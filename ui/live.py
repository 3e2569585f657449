"""Live training without races: one thread at a time steps (or reads) a trainer.

Streamlit runs every rerun in its own thread, and with ``fastReruns = true`` a click starts a
new run while the old thread is still inside torch. Two threads stepping one trainer break it
(autograd's "modified by an inplace operation", an optimiser finding a gradient gone). So each
trainer object gets one lock, and everything that touches its networks holds it:

- a button's callback calls ``request(trainer, action)``: the action runs at once if the trainer
  is free; otherwise it waits in the trainer's queue and the next holder runs it first (a full
  queue drops the click and counts it, so the page can say so with ``take_dropped``);
- a tick or a redraw uses ``with hold(trainer) as held:`` (``held`` is False, and nothing is held,
  if another thread keeps the trainer longer than ``wait`` seconds);
- ``advance`` is the body of a tick: a few steps within a time budget, asking between two steps
  whether to go on, so a Pause or a Reset from a newer run stops an old run after its current step.

The lock belongs to the trainer *object*, not to its session-state key: a rebuilt or reset
trainer is a new object with a new lock, so an old thread finishes with the old object while
the new run uses the new one, and neither is corrupted. The record lives as long as the trainer
(the session state holds the trainer; the record goes when the trainer is garbage-collected).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import streamlit as st

from ui.shell import guard, t

MAX_PENDING = 20  # clicks waiting for one trainer; more are dropped (and counted)
WAIT_SECONDS = 5.0  # how long a redraw waits for a step running in another thread


@dataclass(eq=False)
class _Live:
    lock: threading.RLock = field(default_factory=threading.RLock)  # re-entrant: a holder may request
    pending: deque = field(default_factory=deque)  # appends and pops are thread-safe
    dropped: int = 0
    count_lock: threading.Lock = field(default_factory=threading.Lock)  # for ``dropped`` only


_RECORDS: dict[int, _Live] = {}
_RECORDS_LOCK = threading.Lock()


def _record(trainer: object) -> _Live:
    key = id(trainer)
    with _RECORDS_LOCK:
        record = _RECORDS.get(key)
        if record is None:
            record = _RECORDS[key] = _Live()
            # dict.pop is atomic: safe from a finaliser, whichever thread the collector runs in
            weakref.finalize(trainer, _RECORDS.pop, key, None)
        return record


def _run_pending(record: _Live) -> None:
    while record.pending:
        action = record.pending.popleft()
        with guard():
            action()


def request(trainer: object, action: Callable[[], object]) -> bool:
    """Run ``action`` (which steps ``trainer``) now if no other thread holds it, else queue it.

    For button callbacks. Returns False when the queue was full and the click was dropped.
    """
    record = _record(trainer)
    if record.lock.acquire(blocking=False):
        try:
            _run_pending(record)
            with guard():
                action()
        finally:
            record.lock.release()
        return True
    if len(record.pending) >= MAX_PENDING:
        with record.count_lock:
            record.dropped += 1
        return False
    record.pending.append(action)
    if record.lock.acquire(blocking=False):  # the holder may have let go just before the append
        try:
            _run_pending(record)
        finally:
            record.lock.release()
    return True


@contextmanager
def hold(trainer: object, wait: float = WAIT_SECONDS) -> Iterator[bool]:
    """Hold ``trainer`` for the block, after running the requests queued for it.

    Yields True while held; False (holding nothing) if another thread kept it past ``wait``
    seconds. Keep Streamlit calls out of the block where you can: it should last milliseconds.
    """
    record = _record(trainer)
    held = record.lock.acquire(timeout=wait) if wait > 0 else record.lock.acquire(blocking=False)
    if not held:
        yield False
        return
    try:
        _run_pending(record)
        yield True
    finally:
        record.lock.release()


def advance(step: Callable[[], object], max_steps: int, max_seconds: float,
            keep_going: Callable[[], bool] = lambda: True) -> int:
    """One tick: call ``step()`` up to ``max_steps`` times and for at most ``max_seconds``.

    ``keep_going()`` is asked before every step (a newer run may have paused or replaced the
    trainer); ``step()`` returning False (training diverged) also stops. Hold the trainer
    while calling this. Returns how many steps were taken.
    """
    start, done = time.perf_counter(), 0
    while done < max_steps and keep_going() and (done == 0 or time.perf_counter() - start < max_seconds):
        done += 1
        if step() is False:
            break
    return done


def take_dropped(trainer: object) -> int:
    """How many clicks were dropped since the last call (the page shows it, then it is cleared)."""
    record = _record(trainer)
    with record.count_lock:
        n, record.dropped = record.dropped, 0
    return n


def show_dropped(trainer: object) -> None:
    """Say how many clicks were dropped since the last redraw (nothing when none was)."""
    n = take_dropped(trainer)
    if n:
        st.warning(t("live.dropped", n=n), icon=":material/front_hand:")


def show_busy() -> None:
    """What a redraw shows when the trainer stayed busy longer than it could wait."""
    st.info(t("live.busy"), icon=":material/hourglass_top:")


def in_fragment_run() -> bool:
    """True while Streamlit reruns only fragments (a ``run_every`` tick), not the whole page.

    While a fragment ticks, a click was seen delivered twice: in the tick's own request (the
    browser sends its widget state with it), then in the click's request, with the button
    redrawn in between. So a button's callback must mean the same thing both times: no toggles
    (use one button per meaning), and for a button drawn outside every fragment, whose click
    always brings a full run, ``outside_fragments`` ignores the first delivery.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    run = get_script_run_ctx(suppress_warning=True)
    return bool(run is not None and getattr(run, "fragment_ids_this_run", None))


def click_waiting() -> bool:
    """True when this session's next run, already asked for, carries a button press (a Pause during a tick).

    A click inside a ticking fragment does not interrupt the tick under way (Streamlit lets a fragment's run finish
    before it starts the next one), so a tick asks this between two steps and draws at once instead of training on.
    The timer's own reruns carry no press. Reads Streamlit's pending request (its internals, pinned in
    requirements.txt; ``tests/test_live.py`` checks them), and says False when it cannot tell."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    run = get_script_run_ctx(suppress_warning=True)
    try:
        return _presses(run.script_requests)
    except Exception:  # no runtime (plain Python, AppTest), or internals that changed: train on as before
        return False


def _presses(requests) -> bool:
    if requests._state.name != "RERUN":
        return False
    states = requests._rerun_data.widget_states
    return states is not None and any(w.WhichOneof("value") == "trigger_value" and w.trigger_value for w in states.widgets)


def outside_fragments(callback: Callable[..., None]) -> Callable[..., None]:
    """The ``on_click`` of a button drawn outside every fragment: runs in full runs only."""

    def on_click(*args, **kwargs) -> None:
        if not in_fragment_run():
            callback(*args, **kwargs)

    on_click.__name__ = getattr(callback, "__name__", "on_click")
    return on_click
