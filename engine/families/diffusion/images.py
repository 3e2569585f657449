"""Images for the forward process: a real photo, noised to each level of a schedule (no model involved)."""

from __future__ import annotations

import numpy as np

from engine.core.rng import SeedLike, as_generator
from engine.families.diffusion.schedule import NoiseSchedule

__all__ = ["PHOTO_SIDE", "load_photo", "noisy_images"]

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


def noisy_images(images01: np.ndarray, schedule: NoiseSchedule, ts, seed: SeedLike = 0) -> np.ndarray:
    """x_t for each t in ``ts`` (same ε for every t, so one sees only the schedule change), in 0…1 for display.

    Images are mapped from 0…1 to −1…1 (the model space of image diffusion), noised, and mapped back.
    """
    x0 = 2.0 * np.asarray(images01, float) - 1.0
    eps = as_generator(seed).standard_normal(x0.shape)
    out = np.stack([schedule.add_noise(x0, eps, int(t)) for t in ts])
    return np.clip((out + 1.0) / 2.0, 0.0, 1.0)
