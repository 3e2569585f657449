"""Paths, grids and views of a VAE's latent space: what the page walks along, decodes and plots.

lerp is the straight line between two codes; slerp an arc that keeps the endpoints' norm; LatentPlane
is the 2D view of the codes (themselves in 2D, their first two principal components above); log_prior
and far_radius say how plausible a point is under the prior N(0, I).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["lerp", "slerp", "grid", "LatentPlane", "latent_plane", "log_prior", "PRIOR_FAR", "far_radius"]

# Beyond this radius the N(0, I) prior has almost no mass: P(‖z‖ > 4) = e⁻⁸ ≈ 3·10⁻⁴ in 2D.
PRIOR_FAR = 4.0


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


@dataclass(frozen=True)
class LatentPlane:
    """A 2D view of N codes of dimension d, and the way back from a point of it to a code.

    In 2D the view is the codes themselves. Above, it is their projection on the first two principal
    components: ``shown = (codes − mean) · componentsᵀ``, and a point p of the plane is the code
    ``mean + p · components`` (the other directions stay at their average).
    """

    codes: np.ndarray  # (N, d) the codes (the encoder's means μ(x))
    shown: np.ndarray  # (N, 2) their place in the plane
    mean: np.ndarray  # (d,) the plane's origin (zero in 2D)
    components: np.ndarray  # (2, d) orthonormal rows: the plane's axes (the identity in 2D)
    explained: np.ndarray  # (2,) share of the codes' variance along each axis (ones in 2D)

    def to_latent(self, P: np.ndarray) -> np.ndarray:
        """Points of the plane, (n, 2), back to codes z, (n, d): themselves in 2D, mean + p·(first two PCs) above."""
        return (self.mean + np.asarray(P, np.float32) @ self.components).astype(np.float32)


def latent_plane(codes: np.ndarray) -> LatentPlane:
    """The plane the page draws ``codes`` (N, d) in: the codes themselves when d = 2, else PCA by SVD.

    The SVD of the centred codes, C = U S Vᵀ, gives the principal axes as the rows of Vᵀ and the
    variance along axis i as S_i² / N, so axis i explains S_i² / Σ_j S_j² of the total variance.
    """
    if codes.shape[1] == 2:
        return LatentPlane(codes, codes, np.zeros(2, np.float32), np.eye(2, dtype=np.float32), np.ones(2))
    mean = codes.mean(0)
    _, s, vt = np.linalg.svd(codes - mean, full_matrices=False)
    var = s**2 / (s**2).sum()
    return LatentPlane(codes, (codes - mean) @ vt[:2].T, mean, vt[:2], var[:2])


def log_prior(z: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) of each row of ``z`` (n, d): −‖z‖²/2 − (d/2)·log 2π, in nats."""
    z = np.asarray(z)
    return -0.5 * (z**2).sum(-1) - 0.5 * z.shape[-1] * np.log(2 * np.pi)


def far_radius(d: int) -> float:
    """The radius ‖z‖ beyond which the page calls a d-dimensional point far outside the prior.

    ``PRIOR_FAR`` in 2D; above, ``PRIOR_FAR + √d``, since draws from N(0, I) concentrate near ‖z‖ ≈ √d
    (E‖z‖² = d) with a spread of about 1/√2: a point 4 beyond that shell is rarer still than ‖z‖ > 4 in 2D.
    """
    return PRIOR_FAR + (math.sqrt(d) if d > 2 else 0.0)
