"""The 8×8 handwritten digits shipped with scikit-learn (1,797 images, no download).

Shared by the VAE, GAN and diffusion pages, with one fixed split so their numbers compare:
rows 0–999 train, 1000–1349 validation, 1350–1796 test. Pixels are integers 0–16.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from engine.core.errors import InputError

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


def from_canvas(rgba: np.ndarray) -> np.ndarray:
    """Turn a drawn image (h, w, 3 or 4 RGBA; dark ink on light or transparent paper)
    into one 8×8 digit on the 0..16 scale, like load_digits (block-average, then rescale).

    Raises InputError ``blank_drawing`` / ``full_drawing`` when there is nothing to read.
    """
    img = np.asarray(rgba, np.float32)
    if img.ndim != 3 or img.shape[0] < 8 or img.shape[1] < 8:
        raise InputError("blank_drawing")
    ink = 1.0 - img[..., :3].mean(-1) / 255.0  # dark strokes on light paper
    if img.shape[2] == 4:
        ink = ink * img[..., 3] / 255.0  # transparent paper holds no ink
    frac = float((ink > 0.3).mean())
    if frac < 0.005:
        raise InputError("blank_drawing")
    if frac > 0.85:
        raise InputError("full_drawing")
    h, w = ink.shape
    ys, xs = np.nonzero(ink > 0.3)
    # centre the bounding box in a square (load_digits digits fill most of the frame)
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    half = max(ys.max() - ys.min(), xs.max() - xs.min()) / 2 * 1.15 + 2
    y0, x0 = int(round(cy - half)), int(round(cx - half))
    size = int(round(2 * half))
    pad = np.zeros((size, size), np.float32)
    sy0, sx0 = max(0, y0), max(0, x0)
    sy1, sx1 = min(h, y0 + size), min(w, x0 + size)
    pad[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = ink[sy0:sy1, sx0:sx1]
    edges = np.linspace(0, size, SIDE + 1).astype(int)
    out = np.array([[pad[edges[i]:edges[i + 1], edges[j]:edges[j + 1]].mean() for j in range(8)] for i in range(8)])
    if out.max() <= 0:
        raise InputError("blank_drawing")
    out = np.clip(out / out.max() * 16.0 * 1.2, 0, 16)
    return np.rint(out).reshape(1, SIDE * SIDE).astype(np.float32)
