"""Langevin dynamics: gradient descent on the energy, plus noise.

    x ← x − (ε²/2) · ∇E(x)/T + λ · ε · ξ,        ξ ~ N(0, I)

With λ = 1 and a small step ε, the chain's stationary distribution is p(x) ∝ exp(−E(x)/T) (the
unadjusted Langevin algorithm: exact only as ε → 0; a Gaussian of variance σ² comes out with
variance σ²/(1 − ε²/(4σ²))). With λ = 0 it is plain gradient descent and every particle slides into
the nearest minimum. With too large a step (ε²/2 · curvature > 2 in a quadratic well) it overshoots
and the particles fly away: they are stopped at ``LIMIT`` from the origin and counted as escaped.

Works on any energy that gives a gradient function on torch tensors (a learned :class:`EnergyNet`,
or the hand-made energies of :mod:`engine.families.energy.landscapes`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator, child_seed
from engine.core.torch_setup import generator as torch_generator
from engine.core.torch_setup import torch

__all__ = ["LIMIT", "MAX_STEPS", "MAX_PARTICLES", "MAX_STEP_SIZE", "Chains", "langevin", "check_settings", "frame_steps", "GradFn", "NOISE_CHUNK"]

LIMIT = 1e4  # particles farther than this from the origin have escaped: they are held there
MAX_STEPS = 20_000
MAX_PARTICLES = 20_000
MAX_STEP_SIZE = 10.0
NOISE_CHUNK = 64  # steps of noise drawn at once

GradFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class Chains:
    """Where Langevin took the particles, and what happened on the way."""

    samples: np.ndarray  # (n, d) the particles after the last step (escaped ones at the limit)
    frames: np.ndarray  # (F, keep, d) the first ``keep`` particles at each kept step ((0, 0, d) if none)
    frame_steps: np.ndarray  # (F,) the step of each frame: 0 is the start, the last is ``n_steps``
    grad_norm: np.ndarray  # (n_steps,) mean ‖∇E(x)/T‖ over the particles, before each step
    escaped: int  # particles that left the safe region (|x| > LIMIT) or became NaN
    escaped_at: int | None  # the first step after which some particle had escaped

    @property
    def n_steps(self) -> int:
        return len(self.grad_norm)


def check_settings(step_size: float, n_steps: int, n_particles: int, noise: float = 1.0, temperature: float = 1.0) -> None:
    """Refuse settings no sampler can run, with a message the page translates."""
    if not np.isfinite(step_size) or not 0 < step_size <= MAX_STEP_SIZE:
        raise InputError("bad_step_size", value=float(step_size), max=MAX_STEP_SIZE)
    if not 0 <= n_steps <= MAX_STEPS:
        raise InputError("bad_step_count", n=int(n_steps), max=MAX_STEPS)
    if not 1 <= n_particles <= MAX_PARTICLES:
        raise InputError("bad_particle_count", n=int(n_particles), max=MAX_PARTICLES)
    if not np.isfinite(noise) or noise < 0:
        raise InputError("bad_noise_scale", value=float(noise))
    if not np.isfinite(temperature) or temperature <= 0:
        raise InputError("bad_temperature", value=float(temperature))


def frame_steps(n_steps: int, n_frames: int) -> np.ndarray:
    """``n_frames`` steps from 0 to ``n_steps`` (fewer if there are fewer steps), evenly spread."""
    return np.unique(np.round(np.linspace(0, n_steps, max(2, min(n_frames, n_steps + 1)))).astype(int))


def langevin(grad_fn: GradFn, x0: np.ndarray, step_size: float, n_steps: int, *, noise: float = 1.0,
             temperature: float = 1.0, seed: SeedLike = 0, keep: int = 0, n_frames: int = 60,
             record_grad: bool = True, bounds: tuple | None = None) -> Chains:
    """Run ``n_steps`` Langevin steps from ``x0`` (n, d) on the energy whose gradient is ``grad_fn``
    (kept inside ``bounds`` = (lo, hi) on every coordinate, if given: the pixels' range for images)."""
    x0 = np.asarray(x0, np.float32)
    check_settings(step_size, n_steps, len(x0), noise, temperature)
    gen = torch_generator(child_seed(as_generator(seed)))
    x = torch.from_numpy(x0.copy())
    n, d = x.shape
    drift = 0.5 * step_size * step_size / temperature
    kick = noise * step_size
    keep = min(int(keep), n)
    kept = set(frame_steps(n_steps, n_frames).tolist()) if keep else set()
    frames, at = [], []
    grad_norm = torch.zeros(n_steps)
    escaped_at = None
    chunk = None
    with torch.no_grad():
        for k in range(n_steps + 1):
            if k in kept:
                frames.append(x[:keep].clone())
                at.append(k)
            if k == n_steps:
                break
            g = grad_fn(x)
            if record_grad:
                grad_norm[k] = g.norm(dim=1).mean() / temperature
            if kick:
                if k % NOISE_CHUNK == 0:
                    chunk = torch.randn((min(NOISE_CHUNK, n_steps - k), n, d), generator=gen)
                x = torch.add(x, chunk[k % NOISE_CHUNK], alpha=kick)
            x = torch.add(x, g, alpha=-drift).clamp_(-LIMIT, LIMIT)
            if bounds is not None:
                x = torch.clamp(x, bounds[0], bounds[1])
            if escaped_at is None and (k % 16 == 15 or k == n_steps - 1) and _n_escaped(x):
                escaped_at = k + 1
    bad = int(_n_escaped(x))
    x = torch.nan_to_num(x, nan=LIMIT)
    frames_np = torch.stack(frames).nan_to_num(nan=LIMIT).numpy() if frames else np.zeros((0, 0, d), np.float32)
    return Chains(x.numpy(), frames_np, np.array(at, int), grad_norm.numpy(), bad, escaped_at if bad or escaped_at else None)


def _n_escaped(x: torch.Tensor) -> int:
    return int((~(x.abs() < LIMIT).all(dim=1)).sum())
