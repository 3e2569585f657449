"""One live-training panel for every page that trains live (VAE, GAN, diffusion, tokens, energy).

A page describes its trainer and what it draws; the panel owns the state machine:

- the trainer is kept per session under one key (``<page>.live``, or ``<page>.<name>`` for a page's second
  panel: a :class:`LiveRun`), and it is
  rebuilt (or dropped, for a trainer built on the first Play) when the :func:`fingerprint` of
  the data and the settings changes: the one way a page says what it trains on;
- Play and Pause are two buttons with one meaning each (one shown at a time, in one place), then
  Step, the page's extra buttons, Reset and Stop; they are drawn inside the ticking fragment, so a
  click reruns only the panel, after the tick under way (see ``ui/live.py``), and a click that stops the
  ticking (Pause, Stop, Reset, a page's button) redraws only the buttons before the full run that stops the timer
  and draws the views once;
- a tick (``st.fragment(run_every=…)``, guarded) trains for at most ``tick_budget`` seconds,
  asking between two steps whether to go on (a newer run paused it, or a click waits for the tick to end:
  ``live.click_waiting``), so Pause takes effect after the current step; on a server
  busy with other students' runs it trains for a share of that and redraws less often
  (``ui/server_load.py``), and a run queued for a slot (``ui/training_slots.py``) ticks every 2 s;
- under the panel, the trained model's download and a model file's upload (``ui/export.py``: weights only,
  checked on load; a loaded model replaces the run's trainer);
- the page draws from a :class:`Snapshot` copied under the trainer's lock, never from the live
  trainer; every changed figure is a new chart to the browser (Streamlit's front end gives a plotly chart an
  identity that hashes its figure) and drawing them was the tick's cost, so a view that changes slowly (a whole
  run's curves) is rebuilt only on every :data:`SLOW_EVERY`-th tick while playing and on every other run
  (:func:`lagging`): in between it is the same figure, which the browser leaves as it is; a progress bar shows
  the steps, the seconds trained and the time left (estimated from
  the measured rate once the first 100 ms have run); a diverged run says so in the reader's
  language (the engine's trainers put their last good weights back).

The trainer only needs the engine's interface (:class:`engine.core.training.Trainer`):
``advance(Budget, callback) -> Progress``, ``step_``, ``diverged_``, ``elapsed_``, ``done``,
``total_steps``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st

from engine.core.errors import InputError
from engine.core.training import Budget
from ui import export, heap, live, server_load, share, training_slots
from ui.shell import PageContext, guarded, session_id, show_input_error, t

RATE_AFTER = 0.1  # seconds of training before the time left is estimated from the measured rate
TICK_SECONDS = 0.25  # a redraw every quarter second (4 per second) while playing, where the machine allows
TICK_BUDGET = 0.15  # seconds of training per tick at most: Pause waits for one step, a tick never runs long
SLOW_EVERY = 4  # a slow-changing view (a whole run's curves) is redrawn on every 4th tick while playing: once a second
QUEUED_TICK_SECONDS = 2.0  # a run waiting for a slot only renews its place (well within the slots' lease) and looks again


def fingerprint(data: object, settings: object = None) -> str:
    """What a trainer trains on, as one string: the bytes of the data (an array, bytes, text, or a
    list or tuple of these, e.g. a corpus's documents) and the settings' ``repr`` (a config, the seed)."""
    h = hashlib.sha1()
    _feed(h, data)
    h.update(repr(settings).encode())
    return h.hexdigest()[:20]


def _feed(h, part: object) -> None:
    if isinstance(part, np.ndarray):
        h.update(f"{part.dtype}{part.shape}".encode())
        h.update(np.ascontiguousarray(part).tobytes())
    elif isinstance(part, (bytes, bytearray)):
        h.update(bytes(part))
    elif isinstance(part, (list, tuple)) and part and all(isinstance(p, np.ndarray) and p.ndim == 1 for p in part):
        _feed(h, np.array([len(p) for p in part]))  # many documents: their lengths, then all of them at once
        _feed(h, np.concatenate(part))
    elif isinstance(part, (list, tuple)):
        h.update(f"{type(part).__name__}{len(part)}".encode())
        for p in part:
            _feed(h, p)
    else:
        h.update(repr(part).encode())
    h.update(b"|")


@dataclass(eq=False)
class LiveRun:
    """The one session-state record of a page's live training."""

    fingerprint: str | None = None
    trainer: Any = None
    playing: bool = False
    stopped: bool = False  # Stop: the run is over at this step (until Reset or new data)
    error: InputError | None = None  # a build that failed, shown by the panel
    pending: str | None = None  # "play" or "step" pressed before there was a trainer: the next run builds it
    refused: bool = False  # Play found the server's queue full: said until the next Play
    every: float | None = None  # the ticking fragment's run_every, as the last full run registered it
    ticks: int = 0  # the ticks this record's run has drawn while playing (see :func:`due`)


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of where training stands, taken under the trainer's lock."""

    trainer: Any  # for reading what never changes (its config, its data); draw from the fields
    step: int
    total: int | None
    elapsed: float
    diverged: bool
    done: bool  # diverged, at its end, or stopped
    playing: bool
    page: Any = None  # what the page's ``snapshot`` hook copied


@dataclass(frozen=True)
class Extra:
    """A page's own button (the GAN's "train D only"): ``action(trainer)`` runs through the lock, paused."""

    key: str
    label: str
    action: Callable[[Any], object]
    icon: str | None = None
    help: str | None = None


@dataclass
class Panel:
    """What a page tells the panel. ``build(reset)`` makes a trainer (``reset``: after Reset, e.g. no
    shipped weights); ``draw(snapshot)`` draws the page's views inside the fragment."""

    ctx: PageContext
    prefix: str  # widget keys: <prefix>_play, _pause, _step, _reset, _stop
    build: Callable[[bool], Any]
    data: object
    settings: object = None
    draw: Callable[[Snapshot], None] = lambda snap: None
    snapshot: Callable[[Any, bool], Any] = lambda trainer, done: None  # under the lock: copy what draw needs
    lazy: bool = False  # True: no trainer until Play or Step is pressed
    total: int | None = None  # the run's length; None: the trainer's total_steps (None: open-ended)
    step: Callable[[Any], object] | None = None  # one step (returns a Progress); default advance(Budget(1))
    steps_per_tick: int = 1_000_000
    tick_seconds: float = TICK_SECONDS
    tick_budget: float = TICK_BUDGET
    extras: tuple[Extra, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # start, resume, pause, step, reset, stop
    helps: dict[str, str] = field(default_factory=dict)
    idle: str | None = None  # shown while there is no trainer yet
    idle_draw: Callable[[], None] | None = None  # drawn in the fragment while there is none (a lazy panel's shipped run)
    diverged_text: Callable[[int], str] | None = None  # the page's own message for a diverged run
    full_run_when: Callable[[Snapshot], bool] = lambda snap: False  # the page's views outside need a redraw
    buttons: tuple[str, ...] = ("step", "reset", "stop")  # besides Play/Pause, in this order
    model_file: bool = True  # the trained model's download and upload under the panel (ui/export.py)
    name: str = "live"  # the record's name: a page with a second panel (the GAN page's CycleGAN) gives it another

    @property
    def state_key(self) -> str:
        return self.ctx.state_key(self.name)


# ------------------------------------------------------------------------------------ the record

def run_for(ctx: PageContext, data: object = None, settings: object = None, check: bool = True, name: str = "live") -> LiveRun:
    """The page's record (``name``: the panel's, see :attr:`Panel.name`); with ``check``, a trainer built on other
    data or settings is dropped first."""
    key = ctx.state_key(name)
    run = st.session_state.get(key)
    if not isinstance(run, LiveRun):
        run = st.session_state[key] = LiveRun()
    if check:
        fp = fingerprint(data, settings)
        if run.fingerprint != fp:  # a new record: an old tick's keep_going says stop
            pending = run.pending if run.trainer is None else None  # Play pressed with new settings in the same run
            st.session_state[key] = run = LiveRun(fingerprint=fp, pending=pending)
    return run


def current(ctx: PageContext, data: object = None, settings: object = None):
    """The page's trainer for this data and these settings, or None (not built yet, or dropped)."""
    return run_for(ctx, data, settings).trainer


def _total(panel: Panel, tr) -> int | None:
    return panel.total if panel.total is not None else getattr(tr, "total_steps", None)


def _done(panel: Panel, run: LiveRun, tr) -> bool:
    return bool(tr.diverged_ or tr.done or run.stopped or (panel.total is not None and tr.step_ >= panel.total))


def _ensure(panel: Panel, run: LiveRun):
    if run.trainer is None:
        try:
            run.trainer = panel.build(False)
            run.error = None
        except InputError as err:
            run.error = err
    return run.trainer


def _one_step(panel: Panel, tr) -> object:
    return panel.step(tr) if panel.step is not None else tr.advance(Budget(max_steps=1))


# ------------------------------------------------------------------------------------ the server's slots

def _who(panel: Panel) -> str:
    """This session's live run of this page, as the server's slots know it."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    run = get_script_run_ctx(suppress_warning=True)
    return f"{run.session_id if run is not None else 'local'}:{panel.state_key}"


def _release(panel: Panel) -> None:
    training_slots.slots().release(_who(panel))


# ------------------------------------------------------------------------------------ callbacks

def _apply_pending(panel: Panel, run: LiveRun) -> None:
    """Build the trainer a Play or Step asked for, in the run that has the settings the user sees."""
    what, run.pending = run.pending, None
    if what is None or _ensure(panel, run) is None:
        return
    if what == "play":
        play(panel)
    else:
        step_once(panel)


def play(panel: Panel) -> None:
    run = run_for(panel.ctx, check=False, name=panel.name)
    tr = run.trainer
    if tr is None:
        run.pending = "play"  # built by the run this click starts (a callback still has the last run's settings)
    elif not _done(panel, run, tr):
        run.playing, run.refused = True, False  # a second delivery of the click means the same


def pause(panel: Panel) -> None:
    run_for(panel.ctx, check=False, name=panel.name).playing = False
    _release(panel)


def stop(panel: Panel) -> None:
    run = run_for(panel.ctx, check=False, name=panel.name)
    run.playing = False
    _release(panel)
    if run.trainer is not None:
        run.stopped = True


def reset(panel: Panel) -> None:
    """Back to step 0: a new trainer object (a run still stepping the old one finishes with it)."""
    run = run_for(panel.ctx, check=False, name=panel.name)
    run.playing, run.stopped, run.error = False, False, None
    _release(panel)
    run.trainer = None
    if not panel.lazy:
        try:
            run.trainer = panel.build(True)
        except InputError as err:
            run.error = err


def request(panel: Panel, action: Callable[[Any], object]) -> None:
    """Pause, then run ``action(trainer)`` now or after the step another run is taking."""
    run = run_for(panel.ctx, check=False, name=panel.name)
    run.playing = False
    tr = run.trainer
    if tr is not None and not _done(panel, run, tr):
        live.request(tr, lambda: action(tr))


def step_once(panel: Panel) -> None:
    run = run_for(panel.ctx, check=False, name=panel.name)
    if run.trainer is None:
        run.playing, run.pending = False, "step"
        return
    request(panel, lambda tr: _one_step(panel, tr))


# ------------------------------------------------------------------------------------ drawing

def due(ctx: PageContext, every: int = SLOW_EVERY, name: str = "live") -> bool:
    """Whether this run draws a slowly changing view anew: always, but on a playing panel's ticks only every
    ``every``-th one (a pause, a step, a click or a full run always does)."""
    run = st.session_state.get(ctx.state_key(name))
    return not isinstance(run, LiveRun) or not run.playing or not live.in_fragment_run() or run.ticks % every == 0


def lagging(ctx: PageContext, view: str, shows: object, build: Callable[[], Any], every: int = SLOW_EVERY, name: str = "live") -> Any:
    """``build()``, or, on a tick where the view is not :func:`due`, the object it last built for the same ``shows``
    (what the view shows apart from training's progress: the trainer, a setting, the language). The same figure
    again is the same chart to the browser, which then does not draw it: a changed setting is drawn at once,
    training's progress at most ``every`` ticks late."""
    slot = ctx.state_key(f"lagging.{view}")
    memo = st.session_state.get(slot)
    if memo is not None and memo[0] == shows and not due(ctx, every, name):
        return memo[1]
    out = build()
    st.session_state[slot] = (shows, out)
    return out


def prepare(panel: Panel) -> LiveRun:
    """The page's record for this panel's data and settings, with its trainer built (unless lazy).

    ``show`` calls it; a page calls it first when it draws something of the trainer above the panel."""
    run = run_for(panel.ctx, panel.data, panel.settings, name=panel.name)
    if panel.model_file:
        export.load_pending(panel, run)  # a model file whose settings the page has just put back
    if not panel.lazy:
        _ensure(panel, run)
    _apply_pending(panel, run)
    return run


def show(panel: Panel) -> LiveRun:
    """Draw the panel (controls, progress, the page's views) in a fragment that ticks while playing."""
    run = prepare(panel)
    if run.error is not None:
        show_input_error(run.error)
    if run.trainer is not None and _done(panel, run, run.trainer):
        run.playing = False
    run.every = every = _every(panel, run, current=run.every)
    st.fragment(run_every=every)(_tick)(panel, every)
    if panel.model_file:
        export.model_file(panel, run)
    return run


def _every(panel: Panel, run: LiveRun, place: training_slots.Place | None = None, current: float | None = None) -> float | None:
    """How often the panel ticks (``current``: how often it ticks now): not at all unless playing; slowly while
    waiting for a slot (the queue's ticks only renew the place, and their redraws show the same step); with a
    slot, at the panel's rate, or once a second while other students' runs keep the server busy (ui/server_load.py)."""
    if not run.playing or (run.trainer is not None and _done(panel, run, run.trainer)):
        return None
    if place is None and run.trainer is not None:  # a full run (Play, a page's control): ask where it stands
        place = training_slots.slots().request(_who(panel))
    if place is not None and not place.granted and not place.refused:
        return QUEUED_TICK_SECONDS
    return server_load.load().tick_every(current, panel.tick_seconds, session_id())


def _label(panel: Panel, name: str) -> str:
    return panel.labels.get(name) or t(f"live.{name}")


def _controls(panel: Panel, run: LiveRun) -> None:
    tr = run.trainer
    done = tr is not None and _done(panel, run, tr)
    names = ["play", *panel.buttons[:1], *[e.key for e in panel.extras], *panel.buttons[1:]]
    cols = st.columns(len(names))
    for col, name in zip(cols, names):
        extra = next((e for e in panel.extras if e.key == name), None)
        if extra is not None:
            col.button(extra.label, key=extra.key, icon=extra.icon, help=extra.help, width="stretch", disabled=done,
                       on_click=request, args=(panel, extra.action))
        elif name == "play" and run.playing:  # two buttons in one place, one meaning each (see ui/live.py)
            col.button(_label(panel, "pause"), key=f"{panel.prefix}_pause", icon=":material/pause:", type="primary",
                       width="stretch", on_click=pause, args=(panel,))
        elif name == "play":
            label = _label(panel, "resume" if tr is not None and tr.step_ else "start")
            col.button(label, key=f"{panel.prefix}_play", icon=":material/play_arrow:", type="primary", width="stretch",
                       disabled=done, on_click=play, args=(panel,), help=panel.helps.get("play"))
        elif name == "step":
            col.button(_label(panel, "step"), key=f"{panel.prefix}_step", icon=":material/skip_next:", width="stretch",
                       disabled=done, on_click=step_once, args=(panel,), help=panel.helps.get("step"))
        elif name == "reset":
            col.button(_label(panel, "reset"), key=f"{panel.prefix}_reset", icon=":material/restart_alt:", width="stretch",
                       on_click=reset, args=(panel,), help=panel.helps.get("reset") or t("live.reset_help"))
        elif name == "stop":
            col.button(_label(panel, "stop"), key=f"{panel.prefix}_stop", icon=":material/stop:", width="stretch",
                       disabled=tr is None or done, on_click=stop, args=(panel,), help=panel.helps.get("stop") or t("live.stop_help"))


def progress_text(ctx: PageContext, snap: Snapshot) -> str:
    """Steps, seconds trained and (with a planned length, after the first 100 ms) the time left."""
    step, elapsed = ctx.num(snap.step, ","), ctx.num(snap.elapsed, ".1f")
    if snap.total is None:
        return t("live.progress_open", step=step, s=elapsed)
    if snap.done or snap.step >= snap.total:
        left = ctx.num(0.0, ".1f")
    elif snap.elapsed >= RATE_AFTER and snap.step > 0:
        left = ctx.num((snap.total - snap.step) * snap.elapsed / snap.step, ".1f")
    else:
        return t("live.progress_measuring", step=step, total=ctx.num(snap.total, ","), s=elapsed)
    return t("live.progress", step=step, total=ctx.num(snap.total, ","), s=elapsed, left=left)


@guarded  # under st.fragment above: every tick is guarded
def _tick(panel: Panel, every: float | None) -> None:
    """The panel's fragment (``every``: its ``run_every``): the view, then the heap frozen if a tick grew it (``ui.heap``)."""
    try:
        _view(panel, every)
    finally:
        heap.after_run()


def _view(panel: Panel, every: float | None) -> None:
    ticking = every is not None
    run = run_for(panel.ctx, check=False, name=panel.name)
    _apply_pending(panel, run)
    if run.playing and not ticking:
        st.rerun(scope="app")  # Play was pressed in this fragment: a full run starts the timer
    _controls(panel, run)
    if ticking and not run.playing and live.in_fragment_run():
        # Pause, Stop, Reset or a page's button pressed during a tick: the buttons above already say so, and the full
        # run below (which stops the timer) draws the views once; drawing them here too kept the browser busy before it
        # showed the new button
        st.rerun(scope="app")
    if ticking and run.playing and live.in_fragment_run():
        run.ticks += 1  # before the page's snapshot and drawing: both ask due() about the same tick
    tr = run.trainer
    if tr is None:
        if panel.idle:
            st.info(panel.idle, icon=":material/model_training:")
        if panel.idle_draw is not None:
            panel.idle_draw()
        return
    key = panel.state_key

    def keep_going() -> bool:  # asked between two steps: a Pause, a Reset or new data in a newer run stops this tick,
        # and so does a click waiting for this tick to end (its run will say what it meant)
        return run.playing and run.trainer is tr and st.session_state.get(key) is run and not live.click_waiting()

    def within_budget() -> bool:  # the full budget alone; a share of it while other students' runs wait (ui/server_load.py)
        return time.perf_counter() - started < server_load.load().budget(
            panel.tick_budget, every or panel.tick_seconds, place.running if place is not None else 1, session)

    place = None
    if run.playing and not _done(panel, run, tr):
        place = training_slots.slots().request(_who(panel))  # a place in the queue when the server is full
        if place.refused:
            run.playing, run.refused, place = False, True, None
    else:
        _release(panel)
    with live.hold(tr) as held:  # one tick: a few steps, then a consistent copy of where they stopped
        if held:
            if run.playing and not _done(panel, run, tr) and place is not None and place.granted:
                n = panel.steps_per_tick if panel.total is None else max(0, min(panel.steps_per_tick, panel.total - tr.step_))
                session, started = session_id(), time.perf_counter()
                live.advance(lambda: not getattr(_one_step(panel, tr), "diverged", False), n, panel.tick_budget,
                             lambda: keep_going() and within_budget())
            done = _done(panel, run, tr)
            snap = Snapshot(tr, tr.step_, _total(panel, tr), tr.elapsed_, tr.diverged_, done, run.playing and not done,
                            panel.snapshot(tr, done))
    if not held:
        live.show_busy()
        return
    if snap.done:
        run.playing = False
        _release(panel)
    elif run.refused:
        st.warning(t("live.server_full"), icon=":material/block:")
    elif place is not None and not place.granted:
        st.warning(t("live.queued", position=place.position, running=place.running, slots=place.slots),
                   icon=":material/groups:")
    live.show_dropped(tr)
    if snap.total is not None:  # an open-ended run (the GAN's) has no budget to show; its page shows the step
        st.progress(min(1.0, snap.step / max(1, snap.total)), text=progress_text(panel.ctx, snap))
    if snap.diverged:
        message = panel.diverged_text(snap.step) if panel.diverged_text else t("live.diverged", step=snap.step)
        st.error(message, icon=":material/error:")
    st.session_state[export.TICKING] = ticking and live.in_fragment_run()
    try:
        panel.draw(snap)
    finally:
        st.session_state[export.TICKING] = False
    if live.in_fragment_run():  # a control inside the panel reran only the panel: the link must still say the whole view
        share.write(panel.ctx.page, panel.ctx.lang)
    if (ticking and not run.playing) or panel.full_run_when(snap) or (ticking and _every(panel, run, place, every) != every):
        st.rerun(scope="app")  # after drawing: stop the timer, redraw what lies outside the panel, or tick at a new rate
