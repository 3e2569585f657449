"""The forward process by both roads: t single steps, or one closed-form draw, and how to tell them apart.

Both roads reach q(x_t | x_0) = N(√ᾱ_t · x_0, (1 − ᾱ_t) · I), so the residual x_t − √ᾱ_t · x_0 of either
must have mean 0 and variance 1 − ᾱ_t in every coordinate. The page shows that table, a histogram of the
residuals (images) and the MMD² between the two clouds (2D points).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.families.diffusion.schedule import NoiseSchedule, ScheduleConfig
from engine.metrics import mmd2

__all__ = ["ROADS", "COMPARE_MMD_POINTS", "RoadComparison", "draw_x_t", "residuals", "residual_stats", "compare_roads",
           "compare_roads_series"]

ROADS = ("iterative", "closed")
COMPARE_MMD_POINTS = 400  # the MMD² between the two clouds uses at most this many points of each (its cost grows as n²:
# 1,000 made the two roads' 21 frames most of a schedule change's server time, 0.35 s; 400 keep it near 0, well under 0.01)


@dataclass
class RoadComparison:
    """x_t by both roads from one x_0 (rows = examples).

    ``rows`` maps "iterative", "closed" and "theory" to (mean, variance) of the residual. For 2D points
    ``iterative`` / ``closed`` hold every x_t and ``mmd2`` compares them; for images they hold the first
    ``keep`` rows, ``residuals`` every value of both roads, and ``mmd2`` is None.
    """

    iterative: np.ndarray
    closed: np.ndarray
    rows: dict
    var: float
    mmd2: float | None = None
    residuals: dict = field(default_factory=dict)


def draw_x_t(X0: np.ndarray, sched: NoiseSchedule, t: int, seed: int) -> np.ndarray:
    """One closed-form draw x_t ~ q(x_t | x_0) for every row of ``X0``, its noise ε from ``seed``."""
    return sched.add_noise(X0, np.random.default_rng(seed).standard_normal(X0.shape), t)


def residuals(Xt: np.ndarray, X0: np.ndarray, mean_factor: float) -> np.ndarray:
    """x_t − √ᾱ_t · x_0 (float32): a draw of √(1 − ᾱ_t) · ε if x_t came from q(x_t | x_0)."""
    return (Xt - mean_factor * X0).astype(np.float32)


def residual_stats(resid: np.ndarray) -> tuple[float, float]:
    """(mean, variance) over every value of the residuals: (0, 1 − ᾱ_t) in theory."""
    return float(resid.mean()), float(resid.var())


def compare_roads(X0: np.ndarray, config: ScheduleConfig, t: int, seed: int, keep: int = 8) -> RoadComparison:
    """Both roads to x_t from the same ``X0``: ``t`` single steps (seed ``seed``), and one closed-form draw
    (seed ``seed + 1``), with the residual statistics of each and the theory's."""
    sched = NoiseSchedule(config)
    return _compare(X0, sched, t, sched.forward_iterative(X0, t, seed=seed), seed, keep)


def compare_roads_series(X0: np.ndarray, config: ScheduleConfig, ts: list[int], seed: int, keep: int = 8) -> list[RoadComparison]:
    """:func:`compare_roads` at every t of ``ts`` (increasing), the same numbers, with the single steps walked once
    to the last t (each x_t on the way is where ``t`` steps with the same draws end)."""
    sched = NoiseSchedule(config)
    paths = sched.forward_iterative_path(X0, ts, seed=seed)
    return [_compare(X0, sched, t, step_by_step, seed, keep) for t, step_by_step in zip(ts, paths)]


def _compare(X0: np.ndarray, sched: NoiseSchedule, t: int, step_by_step: np.ndarray, seed: int, keep: int) -> RoadComparison:
    closed = draw_x_t(X0, sched, t, seed + 1)
    mean_factor, var = sched.marginal(t)
    resid = {"iterative": residuals(step_by_step, X0, mean_factor), "closed": residuals(closed, X0, mean_factor)}
    rows = {name: residual_stats(r) for name, r in resid.items()} | {"theory": (0.0, var)}
    if X0.shape[1] == 2:
        n = COMPARE_MMD_POINTS
        return RoadComparison(step_by_step, closed, rows, var, mmd2(step_by_step[:n], closed[:n]))
    return RoadComparison(step_by_step[:keep], closed[:keep], rows, var, None, resid)
