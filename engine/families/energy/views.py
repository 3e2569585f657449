"""What the energy page shows, computed here so the page only draws.

- :func:`energy_source` names every energy the page can show: the hand-made ones, and the shipped learned
  energy of 8 Gaussians (persistent chains, the faithful one);
- :func:`langevin_run` runs the sampler with the page's settings and measures, frame by frame, how far the
  particles are from p_T (MMD² to exact draws from the grid density);
- :func:`score_field` is the score s(x) = −∇E(x) on a coarse grid, for the arrows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import metrics
from engine.families.energy import grid, landscapes, sampler
from engine.core.rng import as_generator, child_seed

__all__ = ["SOURCES", "LEARNED", "EnergySource", "energy_source", "langevin_run", "score_field", "MMD_POINTS"]

LEARNED = "learned"
SOURCES = (*landscapes.HAND_MADE, LEARNED)
MMD_POINTS = 300  # particles measured against p_T at each frame


@dataclass
class EnergySource:
    """An energy, its gradient for Langevin, where to look at it, and where chains start."""

    name: str
    energy: object  # X (n, 2) -> E (n,)
    grad_fn: object  # torch rows -> ∇E rows
    box: tuple[float, float, float, float]
    start: object  # (n, seed) -> (n, 2) starting points
    default_step: float  # a step size that samples it well


def energy_source(name: str) -> EnergySource:
    if name == LEARNED:
        from engine.families.energy import shipped

        model = shipped.load_2d("ring8", "persistent")
        return EnergySource(name, model.energy, model.grad_fn(), model.box_, model.noise, model.step_size_data())
    land = landscapes.hand_made(name)
    box = land.box

    def start(n: int, seed=0) -> np.ndarray:  # noise spread over the whole view
        return as_generator(seed).uniform([box[0], box[2]], [box[1], box[3]], (int(n), 2))

    return EnergySource(name, land.energy, land.grad_fn(), box, start, 0.1)


def langevin_run(source: EnergySource, step_size: float, n_steps: int, n_particles: int, noise: float = 1.0,
                 temperature: float = 1.0, seed: int = 0, keep: int = 250, n_frames: int = 40, resolution: int = 120) -> dict:
    """Chains on ``source`` and how close they come to p_T: MMD² of the particles to exact grid draws, at every frame."""
    sampler.check_settings(step_size, n_steps, n_particles, noise, temperature)
    rng = as_generator(seed)
    g = grid.on_grid(source.energy, source.box, resolution, temperature)
    x0 = source.start(n_particles, child_seed(rng))
    keep = min(keep, n_particles)
    chains = sampler.langevin(source.grad_fn, x0, step_size, n_steps, noise=noise, temperature=temperature,
                               seed=child_seed(rng), keep=max(keep, min(MMD_POINTS, n_particles)), n_frames=n_frames)
    exact = grid.sample_cells(g, 2 * MMD_POINTS, child_seed(rng))
    m = min(MMD_POINTS, n_particles)
    curve = [metrics.mmd2(np.clip(f[:m], -1e3, 1e3), exact[:MMD_POINTS]) if m >= 2 else float("nan") for f in chains.frames]
    return {"grid": g, "frames": chains.frames[:, :keep].astype(np.float32), "frame_steps": chains.frame_steps,
            "samples": chains.samples, "mmd_curve": np.asarray(curve), "mmd_final": curve[-1] if curve else float("nan"),
            "mmd_exact": metrics.mmd2(exact[:MMD_POINTS], exact[MMD_POINTS:]), "escaped": chains.escaped,
            "escaped_at": chains.escaped_at, "grad_norm": chains.grad_norm, "n": n_particles}


def score_field(model, box: tuple[float, float, float, float], n: int = 17) -> tuple[np.ndarray, np.ndarray]:
    """Points on an n × n grid over ``box`` and the model's score s(x) = −∇ₓE(x) there."""
    xs = np.linspace(box[0], box[1], n + 2)[1:-1]
    ys = np.linspace(box[2], box[3], n + 2)[1:-1]
    xx, yy = np.meshgrid(xs, ys)
    P = np.c_[xx.ravel(), yy.ravel()]
    return P, model.score(P)
