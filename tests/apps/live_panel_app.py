"""A toy page for tests/test_live_panel.py: the shared live panel around a trainer that counts."""

import time

import numpy as np
import streamlit as st

from engine.core.training import Trainer
from ui import live_panel
from ui.shell import PageContext


class Counter(Trainer):
    """One "weight" that grows by one per step; at ``diverge_at`` a step goes NaN and is undone."""

    ends_at_total = True

    def __init__(self, X: np.ndarray, diverge_at: int | None) -> None:
        self.X, self.diverge_at, self.weight, self.history_ = X, diverge_at, 0.0, []
        self.step_seconds = float(st.session_state.get("step_seconds", 0.0))  # a slower model, for the server-load test

    @property
    def total_steps(self) -> int:
        return 30

    def _train_step(self) -> bool:
        if self.diverge_at is not None and self.step_ + 1 >= self.diverge_at:
            return False  # the NaN step is not kept: the weight stays the last good one
        time.sleep(self.step_seconds)
        self.step_ += 1
        self.weight += 1.0
        self.history_.append(self.weight)
        return True


def draw(snap: live_panel.Snapshot) -> None:
    st.session_state["draws"] = st.session_state.get("draws", 0) + 1
    st.metric("weight", snap.page[-1] if snap.page else 0)
    # a slowly changing view (a whole run's curve): the step it was last built at, for what "shows" selects
    built_at = live_panel.lagging(ctx, "curve", (snap.trainer, st.session_state.get("shows", "a")), lambda: snap.step)
    st.caption(f"curve {st.session_state.get('shows', 'a')} at step {built_at}")


ctx = PageContext("toy", "en", 0)
X = st.session_state.setdefault("X", np.arange(6.0))
diverge_at = st.session_state.get("diverge_at")
panel = live_panel.Panel(
    ctx, "toy", lambda reset: Counter(X, diverge_at), data=X, settings=(diverge_at,), lazy=True, steps_per_tick=5,
    idle="no trainer yet", snapshot=lambda tr, done: list(tr.history_),
    draw=lambda snap: draw(snap))
tick_every = st.session_state.pop("tick_every", None)  # this run is the ticking fragment's, as its timer calls it
if tick_every is not None:
    live_panel._tick(panel, tick_every)
else:
    live_panel.show(panel)
