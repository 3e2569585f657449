"""The generative families that work on 2D points, by name: one loop can fit and compare them all.

    model = registry.build("diffusion", seed=0)          # the family's default config
    model.fit(X, budget=Budget(max_steps=500))           # the same verbs for every family
    registry.compare(X_train, X_test, Budget(max_steps=500))   # every family, one table

Each entry is a :class:`Family`: a factory ``make(config, seed)``, its default config, and the
settings that make its training blow up (what the contract test uses to check ``diverged_``;
``None`` for a family without a learning rate). Adding a family is one entry in ``FAMILIES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from engine import metrics
from engine.core.contract import Capabilities, GenerativeModel
from engine.core.training import Budget


@dataclass(frozen=True)
class Family:
    name: str
    model: type[GenerativeModel]  # the class ``make`` builds: it declares the capabilities
    make: Callable[[Any, int], GenerativeModel]  # (config, seed) -> an unfitted model
    config: Any  # the default config
    unstable: Any | None = None  # a config whose training blows up (None: the family cannot be driven to NaN)

    @property
    def capabilities(self) -> Capabilities:
        return self.model.capabilities

    def build(self, config: Any = None, seed: int = 0) -> GenerativeModel:
        return self.make(self.config if config is None else config, seed)


def _families() -> list[Family]:
    """Imported here, not at module import: building the list needs torch."""
    from engine.families import diffusion, energy, gan, mixture
    from engine.families.vae import plane as vae_plane

    return [
        Family("mixture", mixture.GaussianMixture, mixture.GaussianMixture.from_config,
               mixture.MixtureConfig(n_components=8, init="random")),
        Family("vae", vae_plane.PointVAE, vae_plane.PointVAE, vae_plane.PointVAEConfig(),
               unstable=vae_plane.PointVAEConfig(lr=1e6)),
        Family("gan", gan.GanTrainer, lambda c, seed: gan.GanTrainer(None, c, seed), gan.GanConfig(),
               unstable=gan.GanConfig(loss="lsgan", optimizer="sgd", lr_d=10.0, lr_g=10.0)),
        Family("wgan_gp", gan.GanTrainer, lambda c, seed: gan.GanTrainer(None, c, seed), gan.PRESETS["fixed"],
               unstable=replace(gan.PRESETS["fixed"], optimizer="sgd", lr_d=10.0, lr_g=10.0)),
        Family("diffusion", diffusion.DiffusionModel, diffusion.DiffusionModel, diffusion.config_2d(),
               unstable=diffusion.config_2d(lr=1e6, grad_clip=0.0)),
        Family("energy", energy.EnergyModel, energy.EnergyModel, energy.shipped.config_2d("short_run"),
               unstable=_energy_unstable(energy)),
    ]


def _energy_unstable(energy):
    """The energy's short-run recipe with a learning rate of 10⁶: the energies blow up within a few steps."""
    config = energy.shipped.config_2d("short_run")
    return replace(config, train=replace(config.train, lr=1e6))


FAMILIES: dict[str, Family] = {}


def families() -> dict[str, Family]:
    """Every registered 2D family, by name (in the order the comparison table lists them)."""
    if not FAMILIES:
        FAMILIES.update((f.name, f) for f in _families())
    return FAMILIES


def build(name: str, config: Any = None, seed: int = 0) -> GenerativeModel:
    return families()[name].build(config, seed)


def compare(X_train: np.ndarray, X_test: np.ndarray, budget: Budget, names: list[str] | None = None,
            n_samples: int | None = None, seed: int = 0) -> list[dict]:
    """Fit every family on the same points with the same budget, and measure each one's samples
    against held-out points: MMD² and sliced Wasserstein (lower is closer), before training
    (``mmd2_start``: the model fitted with no steps) and after, plus the mean held-out
    log-density (or bound) where the family declares one."""
    X_test = np.asarray(X_test, float)
    n = n_samples or len(X_test)
    rows = []
    for name in names or list(families()):
        model = build(name, seed=seed).fit(X_train, budget=Budget(max_steps=0))
        start = metrics.mmd2(model.sample(n, seed), X_test)
        model.advance(budget)
        samples = model.sample(n, seed)
        row = {"family": name, "steps": model.step_, "seconds": model.elapsed_, "diverged": model.diverged_,
               "n_params": model.n_params_, "mmd2_start": start, "mmd2": metrics.mmd2(samples, X_test),
               "sliced_wasserstein": metrics.sliced_wasserstein(samples, X_test, seed=seed),
               "density": model.capabilities.density, "test_log_density": None}
        if model.capabilities.density:
            row["test_log_density"] = float(np.mean(model.score_samples(X_test)))
        rows.append(row)
    return rows
