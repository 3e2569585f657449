"""Distances between sample sets, shared by every page that compares generated and real data.

All take numpy arrays of shape (n, d) and return plain floats, so a GAN, a diffusion
model and a Gaussian mixture are measured with exactly the same ruler.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.core.rng import SeedLike, as_generator

MMD_BANDWIDTHS = (0.1, 0.2, 0.5, 1.0, 2.0)


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def _kernel(A: np.ndarray, B: np.ndarray, bandwidths) -> np.ndarray:
    d = _sq_dists(A, B)
    return sum(np.exp(-d / (2.0 * h * h)) for h in bandwidths)


def mmd2(X: np.ndarray, Y: np.ndarray, bandwidths=MMD_BANDWIDTHS) -> float:
    """Unbiased MMD² with k(x, y) = Σ_h exp(-‖x − y‖² / 2h²) summed over ``bandwidths``.

    Zero in expectation when X and Y come from the same distribution (so it can dip
    slightly below zero); grows as they differ.
    """
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    m, n = len(X), len(Y)
    if m < 2 or n < 2:
        raise ValueError("mmd2 needs at least two points on each side")
    kxx, kyy, kxy = _kernel(X, X, bandwidths), _kernel(Y, Y, bandwidths), _kernel(X, Y, bandwidths)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2.0 * kxy.mean()
    )


def sliced_wasserstein(X: np.ndarray, Y: np.ndarray, n_projections: int = 128, seed: SeedLike = 0) -> float:
    """Mean 1-Wasserstein distance between X and Y projected on random unit directions.

    In 1D, W1 is the mean gap between matching quantiles: sorted projections when the sizes
    match, else both quantile functions read at the same levels.
    """
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    rng = as_generator(seed)
    dirs = rng.standard_normal((X.shape[1], n_projections))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    px, py = np.sort(X @ dirs, axis=0), np.sort(Y @ dirs, axis=0)
    if len(px) != len(py):
        n = max(len(px), len(py))
        levels = (np.arange(n) + 0.5) / n
        px = _quantiles(px, levels)
        py = _quantiles(py, levels)
    return float(np.abs(px - py).mean())


def _quantiles(sorted_cols: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Each column's empirical quantile function (sorted values) read at ``levels``."""
    m = len(sorted_cols)
    at = (np.arange(m) + 0.5) / m
    return np.stack([np.interp(levels, at, col) for col in sorted_cols.T], axis=1)


@dataclass(frozen=True)
class ModeCoverage:
    covered: int  # modes that received at least ``min_count`` high-quality samples
    n_modes: int
    high_quality: float  # fraction of samples within ``radius`` of some mode centre
    counts: np.ndarray  # high-quality samples per mode


def mode_coverage(samples: np.ndarray, centres: np.ndarray, radius: float, min_count: int | None = None) -> ModeCoverage:
    """Count the modes a generator covers: each sample goes to its nearest centre, and counts
    as high quality if it lies within ``radius`` of it. By default a mode is covered once it
    holds at least a fifth of its fair share of the samples."""
    samples = np.asarray(samples, float)
    d = np.sqrt(_sq_dists(samples, centres))
    nearest = d.argmin(1)
    good = d[np.arange(len(samples)), nearest] <= radius
    counts = np.bincount(nearest[good], minlength=len(centres))
    if min_count is None:
        min_count = max(1, int(0.2 * len(samples) / len(centres)))
    return ModeCoverage(int((counts >= min_count).sum()), len(centres), float(good.mean()) if len(samples) else 0.0, counts)
