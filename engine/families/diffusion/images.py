"""Images for the forward process: a real photo, noised to each level of a schedule (no model involved)."""

from __future__ import annotations

import numpy as np

from engine.core.rng import SeedLike, as_generator
from engine.families.diffusion.schedule import NoiseSchedule

__all__ = ["PHOTO_SIDE", "load_photo", "to_model_space", "to_display", "strip_timesteps", "noisy_images"]

PHOTO_SIDE = 64


def load_photo(side: int = PHOTO_SIDE) -> np.ndarray:
    """A real photo (scikit-learn's sample "china.jpg"), centre-cropped and block-averaged to side×side RGB in 0…1."""
    from sklearn.datasets import load_sample_images

    img = np.asarray(load_sample_images().images[0], np.float64) / 255.0
    h, w, _ = img.shape
    s = min(h, w)
    img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    k = s // side
    img = img[: k * side, : k * side].reshape(side, k, side, k, 3).mean(axis=(1, 3))
    return img


def to_model_space(images01: np.ndarray) -> np.ndarray:
    """Images in 0…1 mapped to −1…1, the space image diffusion noises them in."""
    return 2.0 * np.asarray(images01, float) - 1.0


def to_display(x: np.ndarray) -> np.ndarray:
    """The way back: −1…1 to 0…1, clipped, for display."""
    return np.clip((x + 1.0) / 2.0, 0.0, 1.0)


def strip_timesteps(T: int, n: int = 8) -> list[int]:
    """About ``n`` evenly spaced timesteps 0 … T (each once) for a strip of noisier and noisier images."""
    return sorted({int(round(v)) for v in np.linspace(0, T, n)})


def noisy_images(images01: np.ndarray, schedule: NoiseSchedule, ts, seed: SeedLike = 0) -> np.ndarray:
    """x_t for each t in ``ts`` (same ε for every t, so one sees only the schedule change), in 0…1 for display.

    Images are mapped from 0…1 to −1…1 (the model space of image diffusion), noised, and mapped back.
    """
    x0 = to_model_space(images01)
    eps = as_generator(seed).standard_normal(x0.shape)
    return to_display(np.stack([schedule.add_noise(x0, eps, int(t)) for t in ts]))
