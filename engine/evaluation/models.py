"""The app's own 2D families as generators for the evaluation page: fit on the training half, sample
as many points as there are held-out points, and score the held-out points where the family has a
density. One function, the same for every family, so the page measures them all with one ruler.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

FAMILIES = ("mixture", "gan", "diffusion")
DENSITY = {"mixture": "exact", "gan": None, "diffusion": None}  # "exact": log p(x); None: samples only
STEPS = {"mixture": (20, 50, 100), "gan": (500, 1000, 2000), "diffusion": (500, 1000, 2000)}  # EM iterations or steps
DEFAULT_STEPS = {"mixture": 100, "gan": 1000, "diffusion": 1000}
MIXTURE_COMPONENTS = 8


@dataclass(frozen=True)
class Fitted:
    family: str
    samples: np.ndarray
    held_log_density: float | None  # mean log p(x) of the held-out points, when the family has a density
    density: str | None
    steps: int  # training steps (EM iterations for the mixture) actually run
    seconds: float
    diverged: bool


def _mixture(X: np.ndarray, steps: int, seed: int):
    from engine import mixtures

    params = mixtures.fit_em(X, MIXTURE_COMPONENTS, "full", "kmeans", seed=seed, max_iter=steps).final
    return (lambda n, s: mixtures.sample(params, n, s)[0]), (lambda Z: mixtures.score_samples(Z, params)), steps, False


def _gan(X: np.ndarray, steps: int, seed: int):
    from engine import gan

    tr = gan.GanTrainer(X, gan.GanConfig(seed=seed), eval_every=10**9, frame_every=10**9)
    tr.step(steps)
    return tr.sample, None, tr.step_count, bool(tr.diverged)


def _diffusion(X: np.ndarray, steps: int, seed: int):
    from engine import diffusion
    from engine.training import Budget

    model = diffusion.DiffusionModel(diffusion.config_2d(), random_state=seed).fit(X, budget=Budget(max_steps=steps))
    return (lambda n, s: model.sample(n, "ddim", 20, seed=s).samples), None, model.step_, bool(model.diverged_)


_FIT = {"mixture": _mixture, "gan": _gan, "diffusion": _diffusion}


def fit_family(name: str, X_train: np.ndarray, X_held: np.ndarray, steps: int, seed: int = 0) -> Fitted:
    """Train ``name`` on the training points for ``steps`` and draw one sample per held-out point."""
    t0 = time.perf_counter()
    sample, score, done, diverged = _FIT[name](np.asarray(X_train, float), int(steps), int(seed))
    samples = np.asarray(sample(len(X_held), seed + 1), float)
    held = float(np.mean(score(np.asarray(X_held, float)))) if score is not None else None
    return Fitted(name, samples, held, DENSITY[name], int(done), time.perf_counter() - t0, diverged)
