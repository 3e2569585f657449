"""Live training of the energy page: one trainer per session, advanced by a fragment that reruns on a timer.

A stand-in for the shared live-training component (issue 11) until it lands on ``main``: play / pause /
step / reset, a progress bar with the elapsed and remaining budget, the trainer kept in session state,
rebuilt when the data or a setting changes. With ``fastReruns`` a click can start a new run while a tick
is still inside torch, so every step and every read of the trainer holds its lock (one per trainer
object, as ``ui/live.py`` does): two runs never step one trainer.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import streamlit as st

from engine.training import Budget

TICK_SECONDS = 0.25  # the view redraws four times a second while playing
TICK_BUDGET = 0.15  # seconds of training per tick at most, so a Pause takes effect at once
STEP_BUTTON = 20  # steps the "step" button takes
EVAL_EVERY = 20  # training steps between two MMD² evaluations

_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _lock(trainer: object) -> threading.Lock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(trainer)
        if lock is None:
            lock = _LOCKS[trainer] = threading.Lock()
        return lock


@contextmanager
def hold(trainer: object, wait: float = 2.0) -> Iterator[bool]:
    """Hold ``trainer`` for the block; yields False (holding nothing) if another run kept it past ``wait`` seconds."""
    lock = _lock(trainer)
    held = lock.acquire(timeout=wait)
    try:
        yield held
    finally:
        if held:
            lock.release()


def data_id(X: np.ndarray) -> str:
    """One identity for a set of points: the hash of their bytes."""
    return hashlib.sha1(np.ascontiguousarray(X, np.float64).tobytes()).hexdigest()[:16]


class Live:
    """The session-state slots of one live trainer (``prefix`` keeps them apart from other state)."""

    def __init__(self, state_key: Callable[[str], str]) -> None:
        self.trainer_key, self.signature_key, self.playing_key = (state_key(k) for k in ("trainer", "signature", "playing"))
        self.held_out_key = state_key("held_out")

    @property
    def trainer(self):
        return st.session_state.get(self.trainer_key)

    @property
    def playing(self) -> bool:
        return bool(st.session_state.get(self.playing_key))

    def ensure(self, signature: tuple, build: Callable[[], object], held_out: np.ndarray) -> tuple[object, Exception | None]:
        """The trainer for ``signature``, built if new. If building fails (bad data), the old trainer stays and the error is returned."""
        if self.trainer is not None and st.session_state.get(self.signature_key) == signature:
            return self.trainer, None
        try:
            trainer = build()
        except Exception as err:  # noqa: BLE001  (an InputError the page shows; the previous trainer is kept)
            return self.trainer, err
        st.session_state[self.trainer_key] = trainer
        st.session_state[self.signature_key] = signature
        st.session_state[self.held_out_key] = held_out
        st.session_state[self.playing_key] = False
        return trainer, None

    def set_playing(self, playing: bool) -> None:
        st.session_state[self.playing_key] = playing  # set, never toggle: a click may arrive twice

    def reset(self) -> None:
        st.session_state[self.playing_key] = False
        st.session_state.pop(self.signature_key, None)  # the next run builds a fresh trainer

    def step(self, target: int, n: int = STEP_BUTTON) -> None:
        st.session_state[self.playing_key] = False
        trainer = self.trainer
        if trainer is None:
            return
        with hold(trainer) as held:
            if held:
                advance(trainer, st.session_state.get(self.held_out_key), min(n, max(0, target - trainer.step_)), 5.0)


def advance(trainer, held_out: np.ndarray | None, n_steps: int, seconds: float) -> int:
    """Train up to ``n_steps`` steps within ``seconds``, measuring MMD² to held-out points every ``EVAL_EVERY`` steps."""
    if n_steps <= 0 or trainer.diverged_:
        return 0
    start = trainer.step_
    deadline = time.perf_counter() + seconds
    while trainer.step_ < start + n_steps and not trainer.diverged_ and time.perf_counter() < deadline:
        chunk = min(EVAL_EVERY - trainer.step_ % EVAL_EVERY, start + n_steps - trainer.step_)
        trainer.advance(Budget(max_steps=chunk, max_seconds=max(0.01, deadline - time.perf_counter())))
        if held_out is not None and not trainer.diverged_ and trainer.step_ % EVAL_EVERY == 0 and \
                (not trainer.history_.eval_step or trainer.history_.eval_step[-1] != trainer.step_):
            trainer.evaluate(held_out, n=300, seed=trainer.step_)
    return trainer.step_ - start


def tick(live: Live, target: int) -> bool:
    """One tick while playing: a few steps. Returns True when training just ended (target reached or diverged)."""
    trainer = live.trainer
    if trainer is None or not live.playing:
        return False
    with hold(trainer, wait=0.5) as held:
        if not held:
            return False
        advance(trainer, st.session_state.get(live.held_out_key), target - trainer.step_, TICK_BUDGET)
        finished = trainer.diverged_ or trainer.step_ >= target
    if finished:
        live.set_playing(False)
    return finished
