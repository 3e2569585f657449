"""The one contract of every generative model family, in scikit-learn's words.

    model = Family(config, seed)                 hyperparameters in, nothing learned yet
    model.fit(X, budget=Budget(...))             learn from X (n, d); returns the model
    model.sample(n, seed)                        (n, d) new points, the same for the same seed
    model.score_samples(X)                       log p(x) per row, or a stated lower bound on it
    model.advance(budget, callback)              more training, for live pages (see engine.core.training)

Learned state carries a trailing underscore: ``step_``, ``history_``, ``diverged_``,
``n_params_``. What a family can do is *declared* in its :class:`Capabilities`, so a loop over
families asks instead of guessing: a GAN has no density, so its ``capabilities.density`` is None
and :meth:`GenerativeModel.score_samples` says so with :class:`NoDensity` rather than a missing method.

One meaning per name everywhere: ``score_samples`` is a log-density (never a logit or a loss),
``n_params_`` counts trainable numbers, ``seed`` is an argument (never ``random_state``, never a
config field).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from engine.core.rng import SeedLike
from engine.core.training import Budget, Callback, Trainer

Density = Literal["exact", "bound"]


@dataclass(frozen=True)
class Capabilities:
    """What a family declares about itself."""

    density: Density | None  # "exact": score_samples is log p(x); "bound": a lower bound (an ELBO); None: no density
    can_diverge: bool = True  # a setting (say, a huge learning rate) can drive training to NaN
    density_note: str = ""  # for a bound: which one, in a few words


class NoDensity(NotImplementedError):
    """Raised by ``score_samples`` of a family whose capabilities declare no density."""


class GenerativeModel(Trainer):
    """A generative model that trains live. Subclasses set ``capabilities`` and implement
    :meth:`_start` (take the data, build what training needs), :meth:`sample` and, when they
    declare a density, :meth:`score_samples`, plus the :class:`Trainer` step."""

    capabilities: ClassVar[Capabilities]

    def fit(self, X: np.ndarray, *, budget: Budget, callback: Callback | None = None) -> GenerativeModel:
        """Start from X and train for ``budget``; returns the model (``diverged_`` tells if a NaN stopped it)."""
        self._start(np.asarray(X))
        self.advance(budget, callback)
        return self

    @abstractmethod
    def _start(self, X: np.ndarray) -> None:
        """Take the training data and get ready to train (called once, by ``fit``)."""

    @abstractmethod
    def sample(self, n: int, seed: SeedLike = 0) -> np.ndarray:
        """``n`` new points as an (n, d) array, in the data's own coordinates."""

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log p(x) for each row (or, when ``capabilities.density == "bound"``, a lower bound on it)."""
        raise NoDensity(f"{type(self).__name__} has no density (capabilities.density is None)")

    @property
    @abstractmethod
    def n_params_(self) -> int:
        """Trainable numbers in the model."""
