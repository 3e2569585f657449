"""At most a few live trainings at once on a server; the others wait in a queue, in arrival order.

One Streamlit process runs every session's script under one interpreter lock: ten students pressing
Play on the GAN page at once would leave every slider on the server waiting behind their steps. So
a live panel asks for a slot before each tick's steps (:func:`ui.live_panel._view`). A session that
gets none keeps ticking, slowly (every ``ui.live_panel.QUEUED_TICK_SECONDS``, no steps), shows its place in
the queue, and starts by itself when a slot frees (a full rerun puts it back on the panel's tick rate).

A slot is a lease: the panel renews it on every tick, and gives it back on Pause, Stop, Reset or at
the end of the run. A tab closed while training stops ticking, so its lease runs out after
``LEASE_SECONDS`` and the next student in the queue gets the slot. The number of slots is
``GP_TRAINING_SLOTS`` (default 2, one per core of a small server; 0 or less is read as 1). The queue is
bounded too (``GP_TRAINING_QUEUE``, default 40): past it, Play says the server is full and nothing waits.

Pure Python and thread-safe (Streamlit runs each session's script in its own thread); the page layer
holds the one instance per process (:func:`slots`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_SLOTS = 2
DEFAULT_QUEUE = 40
LEASE_SECONDS = 5.0  # no tick for this long: the tab is gone (or asleep), its slot goes to the next one


def configured_slots(environ: dict[str, str] | None = None, name: str = "GP_TRAINING_SLOTS",
                     default: int = DEFAULT_SLOTS) -> int:
    raw = (os.environ if environ is None else environ).get(name, "")
    try:
        return max(1, int(raw)) if raw.strip() else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Place:
    """Where a session stands: ``position`` 0 holds a slot; n > 0 is n-th in the queue; -1: the queue
    was full, so it was not let in."""

    position: int
    running: int  # trainings holding a slot now
    slots: int

    @property
    def granted(self) -> bool:
        return self.position == 0

    @property
    def refused(self) -> bool:
        return self.position < 0


class TrainingSlots:
    """A bounded set of slot holders and a first-come queue, both keyed by an opaque id."""

    def __init__(self, slots: int, queue: int = DEFAULT_QUEUE, lease: float = LEASE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.slots = max(1, int(slots))
        self.queue = max(0, int(queue))
        self.lease = lease
        self._clock = clock
        self._lock = threading.Lock()
        self._holders: dict[str, float] = {}  # id -> last renewal
        self._waiting: dict[str, float] = {}  # id -> last renewal, in arrival order

    def request(self, who: str) -> Place:
        """Renew ``who``'s slot, or its place in the queue (joining it if new)."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if who in self._holders:
                self._holders[who] = now
            elif who not in self._waiting and len(self._waiting) >= self.queue and len(self._holders) >= self.slots:
                return Place(-1, len(self._holders), self.slots)
            else:
                self._waiting[who] = now  # an existing waiter keeps its place: dict order is arrival order
                self._promote(now)
            return self._place(who)

    def release(self, who: str) -> None:
        with self._lock:
            self._holders.pop(who, None)
            self._waiting.pop(who, None)
            self._promote(self._clock())

    def place(self, who: str) -> Place | None:
        """Where ``who`` stands, without renewing; None if it neither holds nor waits."""
        with self._lock:
            self._expire(self._clock())
            return self._place(who) if who in self._holders or who in self._waiting else None

    def _place(self, who: str) -> Place:
        position = 0 if who in self._holders else list(self._waiting).index(who) + 1
        return Place(position, len(self._holders), self.slots)

    def _expire(self, now: float) -> None:
        for table in (self._holders, self._waiting):
            for who in [w for w, seen in table.items() if now - seen > self.lease]:
                del table[who]

    def _promote(self, now: float) -> None:
        while len(self._holders) < self.slots and self._waiting:
            who = next(iter(self._waiting))
            del self._waiting[who]
            self._holders[who] = now


_INSTANCE: TrainingSlots | None = None
_INSTANCE_LOCK = threading.Lock()


def slots() -> TrainingSlots:
    """The server's one instance (every session of this process shares it)."""
    global _INSTANCE
    with _INSTANCE_LOCK:
        if _INSTANCE is None:
            _INSTANCE = TrainingSlots(configured_slots(), configured_slots(name="GP_TRAINING_QUEUE", default=DEFAULT_QUEUE))
        return _INSTANCE
