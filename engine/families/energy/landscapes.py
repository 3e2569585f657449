"""Energies designed by hand, so the sampler can be taught before anything is learned.

Each is a :class:`Landscape`: ``energy(X)`` on numpy rows, ``grad_fn()`` for Langevin on torch
tensors, and a plotting box. Their formulas:

    wells        E(x) = −log Σ_k w_k N(x; μ_k, s_k² I)          three wells of different depth and width
    ring         E(x) = (‖x‖ − r)² / (2 s²)                      a circular valley
    double_well  E(x) = h ((x₁/c)² − 1)² + x₂² / (2 s²)          two minima at x₁ = ±c, a barrier of height h
    gaussian     E(x) = ½ (x − μ)ᵀ Σ⁻¹ (x − μ)                   a known answer, for the tests

``wells`` is a normalised mixture density written as an energy, so its Z is 1 (up to the mass
outside the box), which the page's grid computation can be checked against; ``gaussian`` has
Z = 2π √det Σ.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.core.torch_setup import torch

__all__ = ["Landscape", "Wells", "Ring", "DoubleWell", "Gaussian", "HAND_MADE", "hand_made", "BOX"]

BOX = (-3.0, 3.0, -3.0, 3.0)


class Landscape:
    """An energy over the plane. Subclasses implement :meth:`_energy` and :meth:`_grad` on torch tensors."""

    box: tuple[float, float, float, float] = BOX
    minima: np.ndarray  # (m, 2) where the energy is lowest, for the captions

    def energy(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self._energy(torch.as_tensor(np.asarray(X, np.float32))).numpy().astype(np.float64)

    def grad(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self._grad(torch.as_tensor(np.asarray(X, np.float32))).numpy()

    def grad_fn(self) -> Callable[[torch.Tensor], torch.Tensor]:
        return self._grad

    def _energy(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _grad(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


@dataclass
class Wells(Landscape):
    means: np.ndarray = field(default_factory=lambda: np.array([[-1.3, -0.9], [1.3, -0.6], [0.1, 1.4]]))
    widths: np.ndarray = field(default_factory=lambda: np.array([0.45, 0.6, 0.35]))
    weights: np.ndarray = field(default_factory=lambda: np.array([0.45, 0.35, 0.2]))

    def __post_init__(self) -> None:
        self._mu = torch.tensor(self.means, dtype=torch.float32)
        self._inv_var = torch.tensor(1.0 / self.widths**2, dtype=torch.float32)
        # log w_k − log(2π s_k²): the log of each component's weight times its normalising constant
        self._log_c = torch.tensor(np.log(self.weights) - np.log(2 * math.pi * self.widths**2), dtype=torch.float32)
        self.minima = np.asarray(self.means, float)

    def _logits(self, x):
        d2 = ((x[:, None, :] - self._mu[None]) ** 2).sum(-1)
        return self._log_c - 0.5 * d2 * self._inv_var

    def _energy(self, x):
        return -torch.logsumexp(self._logits(x), dim=1)

    def _grad(self, x):
        r = torch.softmax(self._logits(x), dim=1) * self._inv_var  # responsibility / s_k²
        return r.sum(1, keepdim=True) * x - r @ self._mu


@dataclass
class Ring(Landscape):
    radius: float = 1.6
    width: float = 0.25

    def __post_init__(self) -> None:
        angles = np.linspace(0, 2 * math.pi, 8, endpoint=False)
        self.minima = self.radius * np.c_[np.cos(angles), np.sin(angles)]

    def _energy(self, x):
        return (x.norm(dim=1) - self.radius) ** 2 / (2 * self.width**2)

    def _grad(self, x):
        r = x.norm(dim=1, keepdim=True).clamp_min(1e-6)
        return (r - self.radius) / self.width**2 * x / r


@dataclass
class DoubleWell(Landscape):
    height: float = 3.0
    centre: float = 1.3
    width: float = 0.6

    def __post_init__(self) -> None:
        self.minima = np.array([[-self.centre, 0.0], [self.centre, 0.0]])

    def _energy(self, x):
        u = (x[:, 0] / self.centre) ** 2 - 1
        return self.height * u**2 + x[:, 1] ** 2 / (2 * self.width**2)

    def _grad(self, x):
        u = (x[:, 0] / self.centre) ** 2 - 1
        g1 = 4 * self.height * u * x[:, 0] / self.centre**2
        return torch.stack([g1, x[:, 1] / self.width**2], dim=1)


@dataclass
class Gaussian(Landscape):
    mean: np.ndarray = field(default_factory=lambda: np.array([0.5, -0.3]))
    cov: np.ndarray = field(default_factory=lambda: np.array([[0.6, 0.25], [0.25, 0.3]]))

    def __post_init__(self) -> None:
        self._mu = torch.tensor(self.mean, dtype=torch.float32)
        self._prec = torch.tensor(np.linalg.inv(self.cov), dtype=torch.float32)
        self.minima = np.asarray(self.mean, float)[None]

    @property
    def log_z(self) -> float:
        return float(math.log(2 * math.pi) + 0.5 * math.log(np.linalg.det(self.cov)))

    def _energy(self, x):
        d = x - self._mu
        return 0.5 * ((d @ self._prec) * d).sum(1)

    def _grad(self, x):
        return (x - self._mu) @ self._prec


HAND_MADE: dict[str, type[Landscape]] = {"wells": Wells, "ring": Ring, "double_well": DoubleWell}


def hand_made(name: str) -> Landscape:
    from engine.core.errors import InputError

    if name not in HAND_MADE:
        raise InputError("unknown_landscape", name=name)
    return HAND_MADE[name]()
