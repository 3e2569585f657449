"""Seeds in, generators out: the only way the engine makes randomness."""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.Generator | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return ``seed`` itself if it is a Generator, else a fresh one seeded with it."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def child_seed(rng: np.random.Generator) -> int:
    """An int seed drawn from ``rng``, for libraries that want ``random_state=int``."""
    return int(rng.integers(0, 2**31 - 1))
