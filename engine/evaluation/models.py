"""The app's own 2D families as generators for the evaluation page, straight from the model registry.

Every family in :mod:`engine.registry` speaks the same contract, so one function serves them all:
fit on the training half, sample one point per held-out point, and score the held-out points with
the family's own ``score_samples`` where its capabilities declare a density (``"exact"``: log p(x);
``"bound"``: a lower bound such as an ELBO; ``None``: samples only). A family added to the registry
shows up here with no change. The registry is read lazily: building it imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.core.training import Budget

STEPS = (100, 250, 500, 1000, 2000)  # training steps (EM iterations for the mixture, which stops once converged)
DEFAULT_STEPS = 1000
MAX_SECONDS = 30.0  # a family slower than this on the shared server stops early and says how far it got


@dataclass(frozen=True)
class Fitted:
    family: str
    samples: np.ndarray
    held_log_density: float | None  # mean log p(x) (or its bound) of the held-out points, when the family has one
    density: str | None  # the family's declared capability: "exact", "bound" or None
    steps: int  # training steps actually run
    seconds: float
    diverged: bool


def families() -> tuple[str, ...]:
    """Every registered 2D family, in the registry's order."""
    from engine import registry

    return tuple(registry.families())


def density(name: str) -> str | None:
    from engine import registry

    return registry.families()[name].capabilities.density


def fit_family(name: str, X_train: np.ndarray, X_held: np.ndarray, steps: int, seed: int = 0) -> Fitted:
    """Train ``name`` (its registry default config) on the training points for ``steps`` and draw one
    sample per held-out point; the held-out points' mean log-density where the family declares one."""
    from engine import registry

    X_held = np.asarray(X_held, float)
    model = registry.build(name, seed=seed)
    model.fit(np.asarray(X_train, float), budget=Budget(max_steps=int(steps), max_seconds=MAX_SECONDS))
    samples = np.asarray(model.sample(len(X_held), seed + 1), float)
    declared = model.capabilities.density
    held = float(np.mean(model.score_samples(X_held))) if declared else None
    return Fitted(name, samples, held, declared, int(model.step_), float(model.elapsed_), bool(model.diverged_))
