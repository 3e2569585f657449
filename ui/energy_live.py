"""Live training of the energy page: one trainer per session, advanced by a fragment that reruns on a timer.

Play / pause / step / reset, a progress bar with the elapsed and remaining budget, the trainer kept in
session state and rebuilt when the data or a setting changes. With ``fastReruns`` a click can start a new
run while a tick is still inside torch, so every step and every read of the trainer goes through
``ui/live.py``: a tick and a redraw hold the trainer (``live.hold``), a Step click is a ``live.request``
(run now, or queued for the run that holds the trainer): two runs never step one trainer, and no click is lost.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import streamlit as st

from engine.data import points
from engine.core.errors import InputError
from engine.families import energy
from engine.core.training import Budget
from ui import live, plots_energy as P
from ui.shell import PageContext, guard, show_input_error

TICK_SECONDS = 0.25  # the view redraws four times a second while playing
TICK_BUDGET = 0.15  # seconds of training per tick at most, so a Pause takes effect at once
STEP_BUTTON = 20  # steps the "step" button takes
EVAL_EVERY = 20  # training steps between two MMD² evaluations
CHART = {"displaylogo": False}

def data_id(X: np.ndarray) -> str:
    """One identity for a set of points: the hash of their bytes."""
    return hashlib.sha1(np.ascontiguousarray(X, np.float64).tobytes()).hexdigest()[:16]


class Live:
    """The session-state slots of one live trainer, under the page's own state keys."""

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
        """The Step button: ``n`` steps now, or as soon as the run that holds the trainer lets go."""
        st.session_state[self.playing_key] = False
        trainer = self.trainer
        if trainer is None:
            return
        held_out = st.session_state.get(self.held_out_key)
        live.request(trainer, lambda: advance(trainer, held_out, min(n, max(0, target - trainer.step_)), 5.0))


def advance(trainer, held_out: np.ndarray | None, n_steps: int, seconds: float,
            keep_going: Callable[[], bool] = lambda: True) -> int:
    """Train up to ``n_steps`` steps within ``seconds``, measuring MMD² to held-out points every ``EVAL_EVERY``
    steps (hold the trainer while calling this); ``keep_going()`` is asked between two chunks."""
    if n_steps <= 0 or trainer.diverged_:
        return 0
    start = trainer.step_
    deadline = time.perf_counter() + seconds
    while trainer.step_ < start + n_steps and not trainer.diverged_ and time.perf_counter() < deadline and keep_going():
        chunk = min(EVAL_EVERY - trainer.step_ % EVAL_EVERY, start + n_steps - trainer.step_)
        trainer.advance(Budget(max_steps=chunk, max_seconds=max(0.01, deadline - time.perf_counter())))
        if held_out is not None and not trainer.diverged_ and trainer.step_ % EVAL_EVERY == 0 and \
                (not trainer.history_.eval_step or trainer.history_.eval_step[-1] != trainer.step_):
            trainer.evaluate(held_out, n=300, seed=trainer.step_)
    return trainer.step_ - start


def tick(LIVE: Live, target: int) -> bool:
    """One tick while playing: a few steps. Returns True when training just ended (target reached or diverged)."""
    trainer = LIVE.trainer
    if trainer is None or not LIVE.playing:
        return False
    def keep_going() -> bool:  # a Pause, a Reset or a new trainer in a newer run stops this tick
        return LIVE.playing and LIVE.trainer is trainer

    with live.hold(trainer, wait=0.5) as held:
        if not held:
            return False
        advance(trainer, st.session_state.get(LIVE.held_out_key), target - trainer.step_, TICK_BUDGET, keep_going)
        finished = trainer.diverged_ or trainer.step_ >= target
    if finished:
        LIVE.set_playing(False)
    return finished


# ---------------------------------------------------------------- the page's live section

def live_training(ctx: PageContext, LIVE: Live, ds: points.Dataset | None, regime: str, K: int, lr: float, target: int) -> None:
    """The live trainer for these data and settings. Without usable data the previous trainer stays on screen."""
    trainer, err = LIVE.trainer, None
    if ds is not None:
        train, held_out = points.train_test_split(ds, 0.2, seed=ctx.seed)
        name = st.session_state.get(ctx.key("dataset"))
        noise = st.session_state.get(ctx.key(f"noise_{name}")) if name in points.BUILTIN else None
        config = energy.shipped.config_2d(regime, target, energy.shipped.persistent_step(train.X, noise) if regime == "persistent" else None)
        config = replace(config, train=replace(config.train, langevin_steps=K, lr=lr))
        signature = (data_id(train.X), config, ctx.seed)
        trainer, err = LIVE.ensure(signature, lambda: energy.EnergyModel(config, seed=ctx.seed).fit(train.X, budget=Budget(max_steps=0)),
                                   held_out.X)
        if err is not None:
            show_input_error(err) if isinstance(err, InputError) else st.error(ctx.t("build_failed"), icon=":material/error:")
    if trainer is None:
        return
    if ds is None or err is not None:
        st.caption(ctx.t("kept_previous"))
    playing = LIVE.playing
    b = st.columns([1, 1, 1, 3])
    b[0].button(ctx.t("pause") if playing else ctx.t("play"), icon=":material/pause:" if playing else ":material/play_arrow:",
                key="ebm_play", width="stretch", on_click=live.outside_fragments(LIVE.set_playing), args=(not playing,),
                disabled=not playing and (trainer.diverged_ or trainer.step_ >= target))
    b[1].button(ctx.t("step_button", n=STEP_BUTTON), icon=":material/skip_next:", key="ebm_step", width="stretch",
                on_click=live.outside_fragments(LIVE.step), args=(target,), disabled=trainer.diverged_ or trainer.step_ >= target)
    b[2].button(ctx.t("reset"), icon=":material/restart_alt:", key="ebm_reset", width="stretch", on_click=live.outside_fragments(LIVE.reset))
    b[3].caption(ctx.t("live_caption", params=ctx.num(trainer.n_params_, ","), n=len(trainer.training_points(10**9)),
                       held=len(st.session_state.get(LIVE.held_out_key, ()))))
    st.fragment(run_every=TICK_SECONDS if playing else None)(live_view)(ctx, LIVE, target)


def live_view(ctx: PageContext, LIVE: Live, target: int) -> None:
    with guard():
        if tick(LIVE, target):
            st.rerun(scope="app")  # training ended: the buttons change
        trainer = LIVE.trainer
        with live.hold(trainer) as held:  # runs a queued Step click first
            if held:
                snapshot = live_snapshot(ctx, trainer)
        if not held:
            live.show_busy()
            return
        live.show_dropped(trainer)
        draw_live(ctx, snapshot, target)


def live_snapshot(ctx: PageContext, trainer: energy.EnergyModel) -> dict:
    """Everything the live view draws, read while holding the trainer."""
    h = trainer.history_
    pos = trainer.training_points(400)
    neg = trainer.sample(300, seed=ctx.seed) if trainer.step_ else trainer.noise(300, ctx.seed)
    return {"grid": trainer.density_grid(resolution=60), "pos": pos, "neg": neg, "step": trainer.step_, "elapsed": trainer.elapsed_,
            "diverged": trainer.diverged_, "history": {"e_data": (h.step, h.e_data), "e_neg": (h.step, h.e_neg),
                                                       "gap": (h.step, list(h.gap)), "grad_norm": (h.step, h.grad_norm),
                                                       "mmd2": (h.eval_step, h.mmd2)}, "dsm": trainer.config.train.objective == "dsm"}


def draw_live(ctx: PageContext, s: dict, target: int) -> None:
    if s["diverged"]:
        st.error(ctx.t("diverged", step=s["step"]), icon=":material/error:")
    rate = s["step"] / s["elapsed"] if s["elapsed"] > 0 else 0.0
    remaining = (target - s["step"]) / rate if rate else float("nan")
    st.progress(min(1.0, s["step"] / target), text=ctx.t("progress", step=s["step"], target=target, elapsed=ctx.num(s["elapsed"], ".1f"),
                                                        remaining=ctx.num(remaining, ".1f") if np.isfinite(remaining) else "–"))
    left, right = st.columns(2, gap="large")
    with left:
        clouds = [(s["pos"], ctx.t("positives"), P.DATA_COLOUR), (s["neg"], ctx.t("negatives"), P.PARTICLE_COLOUR)]
        ctx.chart(P.points_over_energy(s["grid"], clouds, ctx.t("energy_axis"), height=420), key="live_fig", config=CHART)
        st.caption(ctx.t("live_legend_dsm" if s["dsm"] else "live_legend"))
    with right:
        names = {k: ctx.t(f"curve.{k}") for k in ("e_data", "e_neg", "gap", "grad_norm", "mmd2")}
        titles = (ctx.t("curves_energy"), ctx.t("curves_grad"), ctx.t("curves_mmd"))
        ctx.chart(P.training_curves(s["history"], names, titles, ctx.t("step_axis")), key="curves_fig", config=CHART)
        st.caption(ctx.t("curves_legend"))
