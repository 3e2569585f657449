"""The 2D GAN's named settings in use: which config a set of knobs names, and when a preset's shipped run fits.

- ``SETTINGS`` are the knobs a user sets (the other ``GanConfig`` fields keep their defaults);
  ``settings_config`` turns their values into a config: a preset's own config (its betas
  included) when they are a preset's, otherwise a new one.
- ``matching_preset`` says whether a preset's shipped weights fit a data set: the same settings
  on the ring with its default size and noise (any seed's sample of it).
- ``trainer_for`` builds the trainer for a data set, with the modes counter on the ring, resuming
  a preset's shipped run when one is given.
"""

from __future__ import annotations

import numpy as np

from engine.data import points
from engine.families.gan.plane import PRESETS, GanConfig, GanTrainer, ShippedPreset, ring_noise, ring_trainer

__all__ = ["SETTINGS", "RING", "NOISE_TOLERANCE", "settings_config", "matching_preset", "trainer_for"]

SETTINGS = ("loss", "optimizer", "lr_d", "lr_g", "d_steps", "noise_dim", "width")
RING = "ring8"  # the built-in data set every preset is trained on
NOISE_TOLERANCE = 0.01  # how far the estimated ring noise may be from the default for the shipped weights to fit


def settings_config(loss: str, optimizer: str | None, lr_d: float, lr_g: float, d_steps: int, noise_dim: int,
                    width: int) -> GanConfig:
    """The config these settings name. A preset's settings give the preset itself (its own betas); other
    settings a new config with Adam's betas (0.5, 0.999), or the fixed preset's (0.5, 0.9) for WGAN-GP.
    An emptied optimiser choice (None) means Adam."""
    values = dict(loss=loss, optimizer=optimizer, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps, noise_dim=noise_dim, width=width)
    for preset in PRESETS.values():
        if all(getattr(preset, name) == values[name] for name in SETTINGS):
            return preset
    betas = PRESETS["fixed"].betas if loss == "wgan_gp" else GanConfig().betas
    return GanConfig(loss=loss, optimizer=optimizer or "adam", lr_d=float(lr_d), lr_g=float(lr_g), d_steps=int(d_steps),
                     noise_dim=int(noise_dim), width=int(width), betas=betas)


def matching_preset(X: np.ndarray, dataset: str, cfg: GanConfig) -> str | None:
    """The preset whose shipped weights fit: the same config, on the ring (``dataset``) with its default
    number of points and a noise (estimated from ``X``) within 0.01 of its default."""
    ring = points.BUILTIN[RING]
    if dataset != RING or len(X) != ring.default_n:
        return None
    if abs(ring_noise(X, points.ring8_centres()) - ring.default_noise) > NOISE_TOLERANCE:
        return None
    return next((name for name, p in PRESETS.items() if cfg == p), None)


def trainer_for(X: np.ndarray, dataset: str, cfg: GanConfig, seed: int, shipped: ShippedPreset | None = None) -> GanTrainer:
    """A trainer on ``X`` (counting modes when ``dataset`` is the ring), resuming ``shipped`` when given."""
    trainer = ring_trainer(X, cfg, seed) if dataset == RING else GanTrainer(X, cfg, seed)
    if shipped is not None:
        trainer.load_preset(shipped)
    return trainer
