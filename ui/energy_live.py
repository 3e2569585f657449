"""Live training of the energy page, through the shared live-training panel (``ui/live_panel.py``).

The panel owns Play / Pause / Reset / Stop, the progress bar, the tick and the trainer's lock; this module
says what the energy model trains on, what one step is (with an MMD² to held-out points every
``EVAL_EVERY`` steps), the page's "20 steps" button, and what the live view draws.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from engine.core.training import Budget
from engine.data import points
from engine.families import energy
from ui import live_panel
from ui import plots_energy as P
from ui.shell import PageContext

STEP_BUTTON = 20  # steps the "step" button takes
EVAL_EVERY = 20  # training steps between two MMD² evaluations
CHART = {"displaylogo": False}


def one_step(trainer: energy.EnergyModel, held_out: np.ndarray | None):
    """One training step, then (every ``EVAL_EVERY`` steps) the MMD² of the samples to held-out points."""
    progress = trainer.advance(Budget(max_steps=1))
    if held_out is not None and not trainer.diverged_ and trainer.step_ % EVAL_EVERY == 0 and \
            (not trainer.history_.eval_step or trainer.history_.eval_step[-1] != trainer.step_):
        trainer.evaluate(held_out, n=300, seed=trainer.step_)
    return progress


def steps(trainer: energy.EnergyModel, held_out: np.ndarray | None, n: int, target: int) -> None:
    """The page's Step button: ``n`` steps (fewer at the end of the run)."""
    for _ in range(max(0, min(n, target - trainer.step_))):
        if getattr(one_step(trainer, held_out), "diverged", False):
            break


def live_training(ctx: PageContext, ds: points.Dataset | None, regime: str, K: int, lr: float, target: int) -> None:
    """The live trainer for these data and settings. Without usable data the previous training stays on screen."""
    setup_key = ctx.state_key("live_setup")
    if ds is not None:
        train, held_out = points.train_test_split(ds, 0.2, seed=ctx.seed)
        name = st.session_state.get(ctx.key("dataset"))
        noise = st.session_state.get(ctx.key(f"noise_{name}")) if name in points.BUILTIN else None
        config = energy.shipped.config_2d(regime, target, energy.shipped.persistent_step(train.X, noise) if regime == "persistent" else None)
        config = replace(config, train=replace(config.train, langevin_steps=K, lr=lr))
        st.session_state[setup_key] = (train.X, held_out.X, config, target)
    elif setup_key in st.session_state:
        st.caption(ctx.t("kept_previous"))
    else:
        return
    X, held, config, target = st.session_state[setup_key]
    seed = ctx.seed
    panel = live_panel.Panel(
        ctx, "ebm", lambda reset: energy.EnergyModel(config, seed=seed).fit(X, budget=Budget(max_steps=0)),
        data=X, settings=(config, seed), total=target, step=lambda tr: one_step(tr, held),
        extras=(live_panel.Extra("ebm_step", ctx.t("step_button", n=STEP_BUTTON), lambda tr: steps(tr, held, STEP_BUTTON, target),
                                 icon=":material/skip_next:"),),
        buttons=("reset", "stop"), labels={"pause": ctx.t("pause"), "reset": ctx.t("reset")},
        snapshot=lambda tr, done: live_snapshot(ctx, tr), draw=lambda snap: draw_live(ctx, snap.page),
        diverged_text=lambda step: ctx.t("diverged", step=step))
    trainer = live_panel.prepare(panel).trainer
    if trainer is not None:
        st.caption(ctx.t("live_caption", params=ctx.num(trainer.n_params_, ","), n=len(X), held=len(held)))
    live_panel.show(panel)


def live_snapshot(ctx: PageContext, trainer: energy.EnergyModel) -> dict:
    """Everything the live view draws, read while holding the trainer."""
    h = trainer.history_
    pos = trainer.training_points(400)
    neg = trainer.sample(300, seed=ctx.seed) if trainer.step_ else trainer.noise(300, ctx.seed)
    return {"grid": trainer.density_grid(resolution=60), "pos": pos, "neg": neg, "step": trainer.step_, "elapsed": trainer.elapsed_,
            "diverged": trainer.diverged_, "history": {"e_data": (h.step, h.e_data), "e_neg": (h.step, h.e_neg),
                                                       "gap": (h.step, list(h.gap)), "grad_norm": (h.step, h.grad_norm),
                                                       "mmd2": (h.eval_step, h.mmd2)}, "dsm": trainer.config.train.objective == "dsm"}


def draw_live(ctx: PageContext, s: dict) -> None:
    """The positives and negatives over the landscape, and the curves (the panel draws the progress above)."""
    left, right = st.columns(2, gap="large")
    with left:
        clouds = [(s["pos"], ctx.t("positives"), P.DATA_COLOUR), (s["neg"], ctx.t("negatives"), P.PARTICLE_COLOUR)]
        ctx.chart(P.points_over_energy(s["grid"], clouds, ctx.t("energy_axis"), height=420), key="live_fig", config=CHART, export=True)
        st.caption(ctx.t("live_legend_dsm" if s["dsm"] else "live_legend"))
    with right:
        names = {k: ctx.t(f"curve.{k}") for k in ("e_data", "e_neg", "gap", "grad_norm", "mmd2")}
        titles = (ctx.t("curves_energy"), ctx.t("curves_grad"), ctx.t("curves_mmd"))
        ctx.chart(P.training_curves(s["history"], names, titles, ctx.t("step_axis")), key="curves_fig", config=CHART)
        st.caption(ctx.t("curves_legend"))
