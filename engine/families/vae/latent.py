"""Paths and grids in a VAE's latent space: what the page walks along and decodes.

lerp is the straight line between two codes; slerp an arc that keeps the endpoints' norm.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["lerp", "slerp", "grid"]


def lerp(z0: np.ndarray, z1: np.ndarray, n: int) -> np.ndarray:
    """Straight line z(t) = (1 − t)·z₀ + t·z₁ for t in [0, 1], n points."""
    ts = np.linspace(0.0, 1.0, n)[:, None]
    return ((1 - ts) * z0[None] + ts * z1[None]).astype(np.float32)


def slerp(z0: np.ndarray, z1: np.ndarray, n: int) -> np.ndarray:
    """Spherical interpolation: z(t) = sin((1−t)Ω)/sin Ω · z₀ + sin(tΩ)/sin Ω · z₁, cos Ω = ẑ₀·ẑ₁.

    An arc in the plane of z₀ and z₁ that keeps the endpoints' norm: ‖z(t)‖ is constant when
    ‖z₀‖ = ‖z₁‖, and otherwise the middle sits at ‖z₀ + z₁‖ / (2 cos(Ω/2)), at least the mean of
    the two norms (lerp's middle is ‖z₀ + z₁‖ / 2, shorter). It does not move the path to the
    prior's √d shell: the page's endpoints are means μ(x), well inside it (see LatentUsage).
    Falls back to lerp when the two codes are (anti)parallel.
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 < 1e-8 or n1 < 1e-8:
        return lerp(z0, z1, n)
    cos = float(np.clip(z0 @ z1 / (n0 * n1), -1.0, 1.0))
    omega = math.acos(cos)
    if omega < 1e-4 or math.pi - omega < 1e-4:
        return lerp(z0, z1, n)
    ts = np.linspace(0.0, 1.0, n)[:, None]
    return ((np.sin((1 - ts) * omega) * z0 + np.sin(ts * omega) * z1) / math.sin(omega)).astype(np.float32)


def grid(lim: float = 3.0, n: int = 20) -> np.ndarray:
    """(n·n, 2) latent points on a regular grid over [−lim, lim]², rows from top (z₂ high) to bottom."""
    ticks = np.linspace(-lim, lim, n, dtype=np.float32)
    zz1, zz2 = np.meshgrid(ticks, ticks[::-1])
    return np.stack([zz1.ravel(), zz2.ravel()], axis=1)
