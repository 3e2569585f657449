"""Cached engine calls and figures of the GAN page (pages/04_gan.py).

Shipped models are read once and shared by every session (read-only, inference only). Figures that
depend on no session's training (the presets side by side, the pull, the digits curves) are built once
per language and shared: each key includes the language, so they carry that language's labels.
The live trainer's figures are built per run from that session's snapshot.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine.data import digits, points
from engine.families import gan
from ui import charts, plots_gan
from ui.shell import PageContext

PAGE = "gan"
REPLAY_POINTS = 200  # generated points per replay frame: four replays of 41 frames stay under 100 kB each
CURVE_POINTS = 400  # points per live training curve at most: a long run's curves keep their shape, not every logged row


def _ctx(lang: str) -> PageContext:
    """The page's texts in ``lang`` (figures shared across sessions are cached per language)."""
    return PageContext(PAGE, lang, 0)


# ---------------------------------------------------------------- shipped models (read-only, shared)

@st.cache_resource(max_entries=len(gan.PRESETS), show_spinner=False)
def shipped_preset(name: str) -> gan.ShippedPreset:
    return gan.shipped_preset(name)


@st.cache_resource(max_entries=2, show_spinner=False)
def digits_model(conditional: bool):
    return gan.digits.pretrained(conditional)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def conditional_samples(digit: int, seed: int, n: int = 16) -> tuple[np.ndarray, int]:
    """``n`` samples of the conditional GAN asked for ``digit`` as one picture (8 a row), and how many of them the
    evaluator reads as that digit."""
    model, _, _ = digits_model(True)
    samples = model.sample(n, digit, seed)
    return plots_gan.digit_tiles(samples, 8, zoom=7, gap=5), int((digits.classify(samples) == digit).sum())


@st.cache_data(max_entries=1, ttl=24 * 3600, show_spinner=False)
def pull_curves() -> gan.PullCurves:
    """The two classic losses' pull while D trains alone: one deterministic run of a few hundred small steps."""
    return gan.shipped_pull_curves()


def build_trainer(ds: points.Dataset, cfg: gan.GanConfig, seed: int, pretrained: bool) -> gan.GanTrainer:
    """A new trainer; after Reset (``pretrained`` False) it starts from fresh random weights, not the shipped ones."""
    name = gan.matching_preset(ds.X, ds.name, cfg) if pretrained else None
    return gan.trainer_for(ds.X, ds.name, cfg, seed, shipped_preset(name) if name is not None else None)


# ---------------------------------------------------------------- figures

def plane_labels(lang: str, probability: bool, live: tuple[int, int] | None = None) -> dict[str, str]:
    """The plane's names in ``lang``; ``live``: (real, generated) points of the plane drawn while training plays, whose
    legend says how many of them it shows (``real_live``, ``fake_live``)."""
    ctx = _ctx(lang)
    labels = {"real": ctx.t("real"), "fake": ctx.t("fake"), "manifold": ctx.t("manifold"), "arrows": ctx.t("arrows"),
              "d_map": ctx.t("d_prob") if probability else ctx.t("d_score"), "noise": ctx.t("noise_points"),
              "fake_after": ctx.t("fake_after"), "step": ctx.t("step")}
    if live is not None:
        n_real, n_fake = live
        labels["real_live"] = ctx.t("real_live", shown=ctx.num(min(n_real, plots_gan.LIVE_REAL), ","), n=ctx.num(n_real, ","))
        labels["fake_live"] = ctx.t("fake_live", shown=ctx.num(min(n_fake, plots_gan.LIVE_FAKE), ","), n=ctx.num(n_fake, ","))
    return labels


def _player_rows(ctx: PageContext, h, probability: bool) -> list:
    """The losses and D's outputs, for the live curves and the digits curves alike."""
    return [
        (ctx.t("panel_losses"), [(ctx.t("d_loss"), h.d_loss, plots_gan.REAL), (ctx.t("g_loss"), h.g_loss, plots_gan.FAKE)]),
        (ctx.t("panel_scores") if probability else ctx.t("panel_scores_raw"),
         [(ctx.t("d_real"), h.d_real, plots_gan.REAL + ":dash"), (ctx.t("d_fake"), h.d_fake, plots_gan.FAKE + ":dash")]),
    ]


def shown_rows(n: int, gaps: np.ndarray | None = None, most: int = CURVE_POINTS) -> np.ndarray:
    """Which of ``n`` logged rows a curve draws: all of them up to ``most``, else ``most`` evenly spread ones with the
    first and the last, plus every row in ``gaps`` (a True row is kept: a "Train D only" row, NaN for G, still breaks
    G's line)."""
    if n <= most:
        return np.arange(n)
    keep = np.zeros(n, bool)
    keep[np.linspace(0, n - 1, most).round().astype(int)] = True
    if gaps is not None:
        keep |= gaps
    return np.flatnonzero(keep)


def shown_history(h: gan.History, most: int = CURVE_POINTS) -> gan.History:
    """``h`` with at most about ``most`` rows per curve (see :func:`shown_rows`): what the live curves draw."""
    players = ("d_loss", "g_loss", "d_real", "d_fake")
    gaps = ~np.isfinite(np.array([getattr(h, name) for name in players], float)).all(axis=0) if h.step else None
    rows = shown_rows(len(h.step), gaps, most)
    evals = shown_rows(len(h.eval_step), ~np.isfinite(np.array(h.sw, float)) if h.eval_step else None, most)
    pick = lambda name, idx: [getattr(h, name)[i] for i in idx]  # noqa: E731
    return gan.History(step=pick("step", rows), **{name: pick(name, rows) for name in players},
                       **{name: pick(name, evals) for name in ("eval_step", "sw", "mmd2", "modes", "high_quality")})


CURVES_WIDTH = 340  # px: the live curves' column (see training_curves)


def training_curves(lang: str, h: gan.History, metric: str, probability: bool, ring: bool):
    """The live trainer's curves: losses, D's outputs, the chosen distance and (on the ring) the modes covered, at
    most :data:`CURVE_POINTS` points a curve."""
    ctx = _ctx(lang)
    h = shown_history(h)
    rows = _player_rows(ctx, h, probability)
    rows.append((ctx.t(f"panel_{metric}"), [(ctx.t(f"metric_{metric}"), (h.eval_step, getattr(h, metric)), "#111827")]))
    if ring:
        rows.append((ctx.t("panel_modes"), [(ctx.t("modes_line"), (h.eval_step, h.modes), charts.colour(2))]))
    fig = plots_gan.curves(h.step, rows, ctx.t("step"), height=640 if len(rows) == 4 else 560,
                           integer_axes=(4,) if len(rows) == 4 else ())
    # the page's right column (~370 px at 1280 px, narrower than charts.ASSUMED_WIDTH): the legend takes three rows
    # there, and margins fitted for two cut the third ("modes covered") off
    return charts.fit_margins(fig, CURVES_WIDTH)


@charts.shared_figures(max_entries=8, ttl=3600)
def shared_plane(inputs: str, layers: tuple, lang: str, _view: gan.GanView, _X: np.ndarray, _box) -> go.Figure:
    """The live plane of a trainer that stands where other students' stand (the shipped start at these settings):
    built once for all of them. ``inputs``: ``charts.digest`` of the view, the data and the box, the figure's inputs."""
    return plots_gan.plane(_view, _X, _box, layers, plane_labels(lang, _view.probability), height=560)


@charts.shared_figures(max_entries=8, ttl=3600)
def shared_curves(inputs: str, metric: str, probability: bool, ring: bool, lang: str, _h: gan.History) -> go.Figure:
    """The live curves of a history other students have too (the shipped start); ``inputs``: ``charts.digest(_h)``."""
    return training_curves(lang, _h, metric, probability, ring)


def replay_figure(tr: gan.GanTrainer, frames: list, lang: str):
    """A session's own training as a replay (built again only when its frames change)."""
    return plots_gan.replay(tr.box, tr.X, frames, plane_labels(lang, True), lang, max_points=REPLAY_POINTS)


@charts.shared_figures(max_entries=8, show_spinner=False)
def preset_replay_figure(name: str, lang: str):
    """The shipped training of a preset as a replay (read-only: shared by every session)."""
    ring = gan.preset_data()
    return plots_gan.replay(points.bounds(ring), ring, shipped_preset(name).frames, plane_labels(lang, True), lang, height=420,
                            max_points=REPLAY_POINTS)


@charts.shared_figures(max_entries=2, show_spinner=False)
def pull_figure(lang: str):
    """The pull figure and its caption, with the numbers the run measured."""
    ctx, pc = _ctx(lang), pull_curves()
    labels = {"pull": ctx.t("pull_panel"), "d_fake": ctx.t("pull_d_panel"), "x": ctx.t("pull_x"),
              "minimax": ctx.t("losses.minimax"), "nonsat": ctx.t("losses.nonsat"), "d_fake_line": ctx.t("pull_d_panel")}
    caption = ctx.t("pull_caption", steps=ctx.num(int(pc.step[-1]), ","), lr=ctx.num(gan.PULL_CONFIG.lr_d, "g"), n=gan.N_ARROWS,
                    mm_peak=ctx.num(pc.minimax.max(), ".3g"), mm_end=ctx.num(pc.minimax[-1], ".3g"),
                    d_end=ctx.num(pc.d_fake[-1], ".3f"), ns_start=ctx.num(pc.nonsat[0], ".3g"), ns_end=ctx.num(pc.nonsat[-1], ".3g"))
    return plots_gan.freeze(plots_gan.pulls(pc, labels, height=420), lang), caption


DIGIT_FRAMES = 25  # epochs the digits animation holds (of the 100 trained): one byte per pixel, about 4 kB a frame


def digit_epochs(n: int, frames: int = DIGIT_FRAMES) -> list[int]:
    """Indices of the epochs the animation shows: the first, then every ``step``-th epoch (epochs 1, 5, 10, … 100 for
    100 epochs), at most ``frames`` of them."""
    step = max(1, -(-n // max(1, frames - 1)))
    return sorted({0, *range(step - 1, n, step), n - 1})


def shown_epochs() -> list[int]:
    """The epochs the digits animation holds."""
    _, hist, _ = digits_model(False)
    return [int(hist.epoch[i]) for i in digit_epochs(len(hist.epoch))]


@charts.shared_figures(max_entries=4, show_spinner=False)
def digits_epochs_figure(lang: str, start: int):
    """The shipped digits GAN's samples and curves, epoch by epoch, scrubbed in the browser and opening at frame
    ``start`` (read-only: shared)."""
    ctx = _ctx(lang)
    _, hist, _ = digits_model(False)
    idx = digit_epochs(len(hist.epoch))
    epochs = [int(hist.epoch[i]) for i in idx]
    rows = _player_rows(ctx, hist, True) + [
        (ctx.t("panel_sw"), [(ctx.t("metric_sw"), hist.sw, "#111827")]),
        (ctx.t("panel_classes"), [(ctx.t("classes_line"), hist.classes_covered, charts.colour(2))]),
    ]
    labels = [ctx.t("digits_frame", epoch=e, k=hist.classes_covered[i]) for e, i in zip(epochs, idx)]
    return plots_gan.digits_epochs(np.asarray(hist.grids)[idx], 8, epochs, start, rows, list(hist.epoch), ctx.t("epoch"),
                                   ctx.t("digits_grid_title"), labels, ctx.t("play"), ctx.t("pause"), lang)
