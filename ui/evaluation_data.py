"""Cached computations and figures of the evaluation page, each bounded and keyed by small values.

The real points travel as ``_data = (X, y)``, an argument Streamlit does not hash (its name starts
with an underscore), next to their fingerprint in :class:`Case`: a cache hit then costs microseconds
instead of hashing the arrays again for every section. Numbers go in ``st.cache_data``. Figures go
in ``st.cache_resource``, built once per setting and language and then only read (``st.plotly_chart``
copies a figure before sending it); building a plotly figure costs more than every metric on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import metrics
from engine.data import points
from engine.evaluation import leaderboard as lb
from engine.evaluation import models, plane
from engine.evaluation import scorecard as sc
from ui import charts, plots_evaluation as plots
from ui import text

BALL_RES = 240  # pixels per side of the k-NN balls' picture
MAP_RES = 50  # grid of the witness and Parzen maps
WITNESS_POINTS = 600  # of each set, for the witness map (both sets are in random order)
ANGLES = np.arange(0, 180, 3.0)
DATA = dict(max_entries=64, ttl=3600, show_spinner=False)
FIGURES = dict(max_entries=16, ttl=3600, show_spinner=False)


@dataclass(frozen=True)
class Case:
    """Which real data, which generator, measured against which real points."""

    fp: str  # fingerprint of the real points
    seed: int
    dials: tuple  # plane.Dials fields (ignored when ``model`` is set)
    against: str  # "held_out" or "train"
    model: tuple[str, int] | None = None  # (family, steps): one of the app's 2D families, trained on the training half


def fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    h = hashlib.sha1(np.ascontiguousarray(X, float).tobytes())
    h.update(np.ascontiguousarray(y, np.int64).tobytes())
    return h.hexdigest()


def _labels(lang: str, prefix: str, *names: str) -> dict[str, str]:
    return {n: text.lookup(lang, f"evaluation.{prefix}.{n}") for n in names}


def _separators(fig: go.Figure, lang: str) -> go.Figure:
    fig.update_layout(separators=",." if lang == "pt" else ".,")  # set once here: the shared figure is never changed later
    return fig


# ---------------------------------------------------------------- 2D numbers

@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def prepared(fp: str, seed: int, _data) -> plane.Setup:
    return plane.prepare(*_data, seed)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def real_side(fp: str, seed: int, against: str, _data) -> tuple[sc.Reference, np.ndarray]:
    """The reference points with their k-NN distances and kernel mean, and the held-out points'
    distances to the training set (the copy detector's yardstick)."""
    S = prepared(fp, seed, _data)
    return sc.reference(S.held_out if against == "held_out" else S.train), metrics.nearest_distances(S.held_out, S.train)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def fitted(fp: str, seed: int, family: str, steps: int, _data) -> models.Fitted:
    """A family trained on the training half (seconds of torch for the GAN and diffusion): bounded, per setting."""
    S = prepared(fp, seed, _data)
    return models.fit_family(family, S.train, S.held_out, steps, seed)


@st.cache_data(**DATA)
def generated(case: Case, _data) -> plane.Generated:
    S = prepared(case.fp, case.seed, _data)
    if case.model is not None:
        f = fitted(case.fp, case.seed, *case.model, _data)
        return plane.Generated(f.samples, np.zeros(len(f.samples), bool), np.arange(S.n_modes))
    return plane.generate(S, plane.Dials(*case.dials), len(S.held_out), case.seed + 1)


def reference(case: Case, _data) -> sc.Reference:
    return real_side(case.fp, case.seed, case.against, _data)[0]


@st.cache_data(**DATA)
def balls(case: Case, k: int, box, _data) -> tuple[metrics.PRDC, np.ndarray, np.ndarray]:
    ref, gen = reference(case, _data), generated(case, _data).points
    p = sc.prdc(ref, gen, k)
    return p, plane.ball_union(ref.X, p.real_radii, box, BALL_RES), plane.ball_union(gen, p.fake_radii, box, BALL_RES)


@st.cache_data(**DATA)
def distances(case: Case, bandwidths: tuple, _data) -> tuple[float, float, np.ndarray]:
    """(MMD², sliced W₁ over 128 random directions, W₁ along each angle of ``ANGLES``)."""
    ref, gen = reference(case, _data), generated(case, _data).points
    mmd2 = sc.mmd2(ref, gen) if bandwidths == metrics.MMD_BANDWIDTHS else metrics.mmd2(ref.X, gen, bandwidths)
    dirs = np.stack([np.cos(np.radians(ANGLES)), np.sin(np.radians(ANGLES))])
    return mmd2, sc.sliced_wasserstein(ref, gen, case.seed), metrics.projected_wasserstein(ref.X, gen, dirs)


@st.cache_data(**DATA)
def likelihood(case: Case, factor: float, _data) -> tuple[float, float, float]:
    """(bandwidth h, mean log p̂ of the reference points, of the training points) for the Parzen window."""
    ref, gen = reference(case, _data), generated(case, _data).points
    h = factor * metrics.knn_bandwidth(gen)
    train = prepared(case.fp, case.seed, _data).train
    return h, float(metrics.parzen_log_likelihood(gen, ref.X, h).mean()), float(metrics.parzen_log_likelihood(gen, train, h).mean())


@st.cache_data(**DATA)
def copying(case: Case, quantile: float, _data) -> tuple[metrics.CopyReport, np.ndarray, np.ndarray]:
    train = prepared(case.fp, case.seed, _data).train
    _, held = real_side(case.fp, case.seed, "held_out", _data)
    d = metrics.nearest_distances(generated(case, _data).points, train)
    return metrics.copy_report(d, held, quantile), d, held


def scoreboard(case: Case, box, data) -> dict[str, tuple[float, str]]:
    """The eight headline numbers (at k = 5, every bandwidth, Parzen factor 1, the 5% copy quantile) and their formats."""
    p = balls(case, 5, box, data)[0]
    mmd2, swd, _ = distances(case, metrics.MMD_BANDWIDTHS, data)
    return {"precision": (p.precision, ".2f"), "recall": (p.recall, ".2f"), "density": (p.density, ".2f"),
            "coverage": (p.coverage, ".2f"), "mmd2": (mmd2, ".4f"), "swd": (swd, ".3f"),
            "log_lik": (likelihood(case, 1.0, data)[1], ".2f"), "copies": (copying(case, 0.05, data)[0].share, ".0%")}


def plane_box(case: Case, data) -> tuple[float, float, float, float]:
    """The drawing box: every real and generated point, with a 5% margin."""
    return points.bounds(np.r_[data[0], generated(case, data).points], margin=0.05)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def failures(fp: str, seed: int, _data) -> plane.FailureTable:
    return plane.failure_table(prepared(fp, seed, _data))


# ---------------------------------------------------------------- 2D figures

PLANE_NAMES = ("real", "fake", "real_in", "real_out", "fake_in", "fake_out", "real_balls", "fake_balls", "balls", "count")


@charts.shared_figures(**FIGURES)
def balls_figure(case: Case, k: int, box, view: str, lang: str, _data) -> go.Figure:
    p, real_img, fake_img = balls(case, k, box, _data)
    ref, gen = reference(case, _data), generated(case, _data).points
    names = _labels(lang, "plane", *PLANE_NAMES)
    if view == "recall":  # real points inside generated balls
        fig = plots.balls_figure(box, ref.X, gen, None, fake_img, p.real_in_fake, None, names)
    elif view == "precision":  # generated points inside real balls
        fig = plots.balls_figure(box, ref.X, gen, real_img, None, None, p.fake_in_real, names)
    elif view == "coverage":  # real balls that hold a generated point
        fig = plots.balls_figure(box, ref.X, gen, real_img, None, p.real_covered, None, names)
    else:  # density: how many real balls hold each generated point
        fig = plots.balls_figure(box, ref.X, gen, real_img, None, None, None, names, fake_colours=p.balls_per_fake, k=k)
    return _separators(fig, lang)


@charts.shared_figures(**FIGURES)
def witness_figure(case: Case, bandwidths: tuple, box, lang: str, _data) -> go.Figure:
    ref, gen = reference(case, _data).X, generated(case, _data).points
    xs, ys, grid = points.grid(box, MAP_RES)
    w = metrics.mmd_witness(ref[:WITNESS_POINTS], gen[:WITNESS_POINTS], grid, bandwidths)
    return _separators(plots.witness_figure(box, xs, ys, w, ref, gen, _labels(lang, "plane", "real", "fake", "witness")), lang)


@charts.shared_figures(**FIGURES)
def sliced_figure(case: Case, bandwidths: tuple, lang: str, _data) -> go.Figure:
    w1 = distances(case, bandwidths, _data)[2]
    return _separators(plots.sliced_figure(ANGLES, w1, _labels(lang, "sliced", "w1", "mean", "angle")), lang)


@charts.shared_figures(**FIGURES)
def parzen_figure(case: Case, factor: float, box, lang: str, _data) -> go.Figure:
    h = likelihood(case, factor, _data)[0]
    gen = generated(case, _data).points
    xs, ys, grid = points.grid(box, MAP_RES)
    log_p = metrics.parzen_log_likelihood(gen, grid, h)
    fig = plots.density_map_figure(box, xs, ys, log_p, reference(case, _data).X, _labels(lang, "plane", "real", "log_p"))
    return _separators(fig, lang)


@charts.shared_figures(**FIGURES)
def distances_figure(case: Case, quantile: float, lang: str, _data) -> go.Figure:
    report, d_gen, d_held = copying(case, quantile, _data)
    fig = plots.distances_figure(d_gen, d_held, report.threshold, _labels(lang, "memo", "gen", "held", "threshold", "x", "y"))
    return _separators(fig, lang)


# ---------------------------------------------------------------- digits

@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def board(k: int, n: int) -> list[lb.Row]:
    return lb.leaderboard(k, n)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def fid_curve(source: str) -> lb.FidCurve:
    return lb.fid_curve(source)


@charts.shared_figures(**FIGURES)
def fid_figure(a: str, b: str, lang: str) -> go.Figure:
    curves = [fid_curve(a)] if a == b else [fid_curve(a), fid_curve(b)]
    cross = lb.crossing(*curves) if a != b else None
    names = {s: text.lookup(lang, f"evaluation.sources.{s}") for s in (a, b)}
    colours = {a: plots.REAL, b: plots.FAKE} if a != b else {a: plots.REAL}
    fig = plots.fid_curves_figure(curves, names, colours, cross, lb.shipped().reference_features.shape[1],
                                  _labels(lang, "bias", "singular", "cross", "n", "fid"))
    return _separators(fig, lang)


@st.cache_resource(max_entries=len(lb.SOURCES), show_spinner=False)
def sample_tiles(source: str) -> np.ndarray:
    return plots.tiles(lb.shipped().images[source][:24], 8)
