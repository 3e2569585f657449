"""How busy the server is with work other than live training, so that live training gives way to it.

One Streamlit process runs every session's script under one interpreter lock (about one core). A live
panel's tick trains for up to its budget (0.15 s of every 0.25 s), so two trainings alone want more than
the core, and a slider moved by another student waits behind their steps. So every page run and every
section's own rerun says when it starts and ends (:meth:`ServerLoad.begin` and :meth:`ServerLoad.end`, from
``ui/shell.py``), and a tick asks before each step how long it may train (:meth:`ServerLoad.budget`):

- no other session's run in flight, and none ended in the last ``RECENT`` seconds: the panel's full
  budget, so a student alone trains as fast as the model allows;
- otherwise the trainings together get ``share`` of the time (``GP_TRAINING_SHARE``, default 0.3),
  split between the trainings holding a slot: 0.3 × 0.25 s / 2 trainings = 38 ms of each 0.25 s tick.

Under a lasting load the panel also redraws less often (:meth:`ServerLoad.tick_every`): a tick's redraw (its
figures built and serialised) costs more than its steps, so two trainings redrawing four times a second would
still take most of the core. When other sessions' runs were in flight for more than ``BUSY`` of the last
``WINDOW`` seconds, a tick comes every ``BUSY_TICK_SECONDS``; below ``CALM`` of it, at the panel's own rate
again (between the two the rate stays as it is, so it does not flap: each change costs the student a page run).

A tick still takes at least one step, and asks before every step (``ui.live.advance``), so Pause and the
step counter work as before; a run that starts in the middle of a tick shortens it from the next step on.

Runs are keyed by session (a session runs one script at a time): a run that never reached its end (a
rerun, a stop, a closed tab) is replaced by the session's next one, or forgotten after ``STALE`` seconds.
Pure Python and thread-safe; the page layer holds the one instance per process (:func:`load`).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

DEFAULT_SHARE = 0.3  # of the process's time, for all live trainings together while other runs wait
RECENT = 0.5  # seconds: a run that ended this recently counts as more to come (students act in bursts)
STALE = 10.0  # seconds: a run that began this long ago and never said it ended is forgotten
WINDOW = 3.0  # seconds over which the share of time with other runs in flight is measured
BUSY, CALM = 0.5, 0.2  # that share above which a tick slows down, and below which it speeds up again
BUSY_TICK_SECONDS = 1.0  # a redraw a second while the server is busy with other students' runs
MIN_SHARE, MAX_SHARE = 0.05, 1.0


def configured_share(environ: dict[str, str] | None = None, name: str = "GP_TRAINING_SHARE") -> float:
    raw = (os.environ if environ is None else environ).get(name, "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_SHARE
    except ValueError:
        return DEFAULT_SHARE
    return min(MAX_SHARE, max(MIN_SHARE, value)) if value == value else DEFAULT_SHARE  # NaN: the default


class ServerLoad:
    """The runs in flight (by session) and the recent ends of runs, with the budget they leave a tick."""

    def __init__(self, share: float = DEFAULT_SHARE, recent: float = RECENT, stale: float = STALE,
                 clock: Callable[[], float] = time.monotonic):
        self.share = min(MAX_SHARE, max(MIN_SHARE, float(share)))
        self.recent, self.stale = recent, stale
        self._clock = clock
        self._lock = threading.Lock()
        self._running: dict[Hashable, float] = {}  # session -> when its run began
        self._ended: deque[tuple[float, float, Hashable]] = deque()  # (began, ended, session), by end

    def begin(self, who: Hashable) -> None:
        """``who``'s run started (an earlier run of ``who`` that never ended is replaced)."""
        with self._lock:
            self._running[who] = self._clock()

    def end(self, who: Hashable) -> None:
        with self._lock:
            now = self._clock()
            began = self._running.pop(who, None)
            if began is not None:
                self._ended.append((began, now, who))
            self._forget(now)

    @contextmanager
    def running(self, who: Hashable, counted: bool = True) -> Iterator[None]:
        """``begin`` and ``end`` around a block (nothing when not ``counted``)."""
        if not counted:
            yield
            return
        self.begin(who)
        try:
            yield
        finally:
            self.end(who)

    def others(self, who: Hashable = None) -> int:
        """Runs in flight now in sessions other than ``who``."""
        with self._lock:
            self._forget(self._clock())
            return sum(1 for w in self._running if w != who)

    def quiet(self, who: Hashable = None) -> bool:
        """No other session's run in flight, and none ended in the last ``recent`` seconds."""
        with self._lock:
            now = self._clock()
            self._forget(now)
            return all(w == who for w in self._running) and all(w == who for _, end, w in self._ended if now - end <= self.recent)

    def budget(self, full: float, tick: float, trainings: int, who: Hashable = None) -> float:
        """Seconds a tick of ``tick`` seconds may train: ``full`` when :meth:`quiet`, else this training's
        part of ``share`` of the tick (``trainings``: how many train at once), never more than ``full``."""
        if self.quiet(who):
            return full
        return min(full, self.share * tick / max(1, int(trainings)))

    def busy(self, who: Hashable = None, window: float = WINDOW) -> float:
        """The share of the last ``window`` seconds during which some other session's run was in flight."""
        with self._lock:
            now = self._clock()
            self._forget(now)
            spans = sorted([(max(b, now - window), e) for b, e, w in self._ended if w != who and e > now - window]
                           + [(max(b, now - window), now) for w, b in self._running.items() if w != who])
        covered, reach = 0.0, now - window
        for b, e in spans:  # the union of the spans
            if e > reach:
                covered += e - max(b, reach)
                reach = e
        return covered / window

    def tick_every(self, current: float | None, base: float, who: Hashable = None) -> float:
        """How often a playing panel should tick: ``base`` on a calm server, ``BUSY_TICK_SECONDS`` (never faster
        than ``base``) on a busy one; ``current`` (the rate it ticks at, None: not yet) is kept in between."""
        slow = max(base, BUSY_TICK_SECONDS)
        share = self.busy(who)
        if share > BUSY:
            return slow
        if share < CALM or current not in (base, slow):
            return base
        return current

    def _forget(self, now: float) -> None:
        keep = max(self.recent, WINDOW)
        while self._ended and now - self._ended[0][1] > keep:
            self._ended.popleft()
        for w in [w for w, began in self._running.items() if now - began > self.stale]:
            del self._running[w]


_INSTANCE: ServerLoad | None = None
_INSTANCE_LOCK = threading.Lock()


def load() -> ServerLoad:
    """The server's one instance (every session of this process shares it)."""
    global _INSTANCE
    with _INSTANCE_LOCK:
        if _INSTANCE is None:
            _INSTANCE = ServerLoad(configured_share())
        return _INSTANCE
