"""The 8×8 handwritten digits shipped with scikit-learn (1,797 images, no download).

Shared by the VAE, GAN and diffusion pages, with one fixed split so their numbers compare:
rows 0–999 train, 1000–1349 validation, 1350–1796 test. Pixels are integers 0–16.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SPLITS = {"train": slice(0, 1000), "val": slice(1000, 1350), "test": slice(1350, 1797)}
N_LEVELS = 17  # pixel values 0..16
SIDE = 8


@lru_cache(maxsize=1)
def _all() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    X = data.data.astype(np.float32)
    y = data.target.astype(np.int64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: X is (n, 64) float32 with values 0..16, y is (n,) int64 labels 0..9 (read-only)."""
    X, y = _all()
    return X[SPLITS[split]], y[SPLITS[split]]


@lru_cache(maxsize=1)
def classifier():
    """An RBF SVM trained on the real training digits, used to judge generated digits.

    It is an evaluator, not part of any generative model: pages ask it "which digit is
    this?" about reconstructions and samples (about 96% accurate on the real test split).
    """
    from sklearn.svm import SVC

    X, y = load("train")
    return SVC(kernel="rbf", gamma=0.001, C=10.0).fit(X, y)


def classify(images: np.ndarray) -> np.ndarray:
    """Labels 0..9 for images given as (n, 64) or (n, 8, 8) arrays on the 0..16 scale."""
    return classifier().predict(np.asarray(images, np.float32).reshape(len(images), SIDE * SIDE))
