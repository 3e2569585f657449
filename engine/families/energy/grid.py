"""The normalising constant Z, computed the only way it can be: by summing over a grid.

    p_T(x) = exp(−E(x)/T) / Z_T,      Z_T = ∫ exp(−E(x)/T) dx  ≈  Σ_cells exp(−E(c)/T) · Δx Δy

The sum uses the centre of each cell of a ``resolution × resolution`` grid over ``box`` (the midpoint
rule), so the grid density sums to exactly 1 over the box, and for a smooth energy it converges to
the true Z as the cells shrink (mass outside the box is left out). This is feasible in 2D: 120² =
14,400 energy evaluations. For an 8×8 image it would take 120⁶⁴ ≈ 10¹³³, and for 28×28 pixels
120⁷⁸⁴: that is why Z is called intractable, and why EBMs are sampled with MCMC instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.core.errors import InputError

__all__ = ["GridDensity", "cell_centres", "on_grid", "sample_cells", "MAX_RESOLUTION"]

MAX_RESOLUTION = 600


@dataclass(frozen=True)
class GridDensity:
    xs: np.ndarray  # (res,) cell centres along x₁
    ys: np.ndarray  # (res,) cell centres along x₂
    energy: np.ndarray  # (res, res) E at each cell centre, rows along x₂
    log_density: np.ndarray  # (res, res) log p_T = −E/T − log Z_T
    log_z: float  # log Z_T over the box
    temperature: float
    cell_area: float

    @property
    def density(self) -> np.ndarray:
        return np.exp(self.log_density)

    def total_mass(self) -> float:
        """Σ p · ΔA over the grid: 1 by construction (a test checks it)."""
        return float(self.density.sum() * self.cell_area)


def cell_centres(box: tuple[float, float, float, float], resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The centres of a ``resolution²`` grid of cells over ``box``: axes and the (res², 2) points."""
    xs = box[0] + (np.arange(resolution) + 0.5) * (box[1] - box[0]) / resolution
    ys = box[2] + (np.arange(resolution) + 0.5) * (box[3] - box[2]) / resolution
    xx, yy = np.meshgrid(xs, ys)
    return xs, ys, np.c_[xx.ravel(), yy.ravel()]


def on_grid(energy: Callable[[np.ndarray], np.ndarray], box: tuple[float, float, float, float], resolution: int = 120,
            temperature: float = 1.0) -> GridDensity:
    """E, log p_T and log Z_T on a grid over ``box``."""
    if not np.isfinite(temperature) or temperature <= 0:
        raise InputError("bad_temperature", value=float(temperature))
    if not 2 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be in 2..{MAX_RESOLUTION}")
    xs, ys, pts = cell_centres(box, resolution)
    E = np.asarray(energy(pts), np.float64).reshape(resolution, resolution)
    if not np.isfinite(E).all():
        raise InputError("energy_not_finite")
    area = float((xs[1] - xs[0]) * (ys[1] - ys[0]))
    logits = -E / temperature
    top = float(logits.max())
    log_z = top + float(np.log(np.exp(logits - top).sum())) + float(np.log(area))
    return GridDensity(xs, ys, E, logits - log_z, log_z, float(temperature), area)


def sample_cells(g: GridDensity, n: int, seed=0) -> np.ndarray:
    """``n`` exact draws from the grid density: a cell with probability p · ΔA, then a uniform point inside it.

    In 2D this is an exact sampler of p_T (up to the cell size), so it is the yardstick Langevin is measured against.
    """
    from engine.core.rng import as_generator

    rng = as_generator(seed)
    prob = (g.density * g.cell_area).ravel()
    cells = rng.choice(prob.size, size=int(n), p=prob / prob.sum())
    iy, ix = np.divmod(cells, len(g.xs))
    dx, dy = g.xs[1] - g.xs[0], g.ys[1] - g.ys[0]
    return np.c_[g.xs[ix] + rng.uniform(-dx / 2, dx / 2, n), g.ys[iy] + rng.uniform(-dy / 2, dy / 2, n)]
