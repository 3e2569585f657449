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


def _bundled_csv():
    """scikit-learn's own copy of the digits (``sklearn/datasets/data/digits.csv.gz``), found without
    importing scikit-learn: ``find_spec`` of a top-level package only locates it, and importing
    sklearn costs about 2 s of CPU, the largest part of a digits page's first view."""
    from importlib.util import find_spec

    spec = find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    from pathlib import Path

    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _all() -> tuple[np.ndarray, np.ndarray]:
    path = _bundled_csv()
    if path is not None:  # what load_digits reads: 64 pixels then the label, one row per image
        table = np.loadtxt(path, delimiter=",")
        X, y = table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)
    else:
        from sklearn.datasets import load_digits

        data = load_digits()
        X, y = data.data.astype(np.float32), data.target.astype(np.int64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: X is (n, 64) float32 with values 0..16, y is (n,) int64 labels 0..9 (read-only)."""
    X, y = _all()
    return X[SPLITS[split]], y[SPLITS[split]]


SVM = {"kernel": "rbf", "gamma": 0.001, "C": 10.0}
SVM_FILE = ("evaluator", "digits_svm")  # assets/weights/evaluator/digits_svm.npy and its manifest entry


def fit_classifier():
    """The judge's RBF SVM, fitted by scikit-learn on the real training digits (for the shipped file)."""
    from sklearn.svm import SVC

    X, y = load("train")
    return SVC(**SVM).fit(X, y)


def svm_array(clf) -> tuple[np.ndarray, dict]:
    """A fitted SVC as plain numbers: one row per support vector, ``[row in the training split, its
    nine one-vs-one coefficients]``, and the intercepts and class sizes in the config."""
    table = np.column_stack([clf.support_.astype(np.float64), clf.dual_coef_.T]).astype(np.float64)
    return table, {**SVM, "intercept": [float(v) for v in clf.intercept_], "n_support": [int(v) for v in clf.n_support_]}


class DigitJudge:
    """scikit-learn's ``SVC.predict`` (libsvm's one-vs-one vote) computed with numpy from the shipped
    support vectors, so pages can ask "which digit is this?" without importing scikit-learn.
    A test checks it against ``SVC.predict``: the same labels on real, noisy and random images."""

    def __init__(self, table: np.ndarray, config: dict) -> None:
        X, _ = load("train")
        rows = table[:, 0].astype(np.int64)
        self.sv = X[rows].astype(np.float64)
        self.sv_sq = (self.sv ** 2).sum(1)
        self.coef = np.ascontiguousarray(table[:, 1:].T)  # (9, n_sv), as SVC.dual_coef_
        self.intercept = np.asarray(config["intercept"], np.float64)
        self.starts = np.concatenate([[0], np.cumsum(config["n_support"])])
        self.gamma = float(config["gamma"])
        self.n_classes = len(config["n_support"])

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, np.float64)
        d2 = (X ** 2).sum(1)[:, None] + self.sv_sq[None, :] - 2.0 * X @ self.sv.T
        K = np.exp(-self.gamma * np.maximum(d2, 0.0))
        votes = np.zeros((len(X), self.n_classes), np.int64)
        rows, st, pair = np.arange(len(X)), self.starts, 0
        for i in range(self.n_classes):
            for j in range(i + 1, self.n_classes):
                si, sj = slice(st[i], st[i + 1]), slice(st[j], st[j + 1])
                dec = K[:, si] @ self.coef[j - 1, si] + K[:, sj] @ self.coef[i, sj] + self.intercept[pair]
                np.add.at(votes, (rows, np.where(dec > 0, i, j)), 1)
                pair += 1
        return votes.argmax(1)  # ties: the lowest label, as libsvm


@lru_cache(maxsize=1)
def classifier() -> DigitJudge:
    """An RBF SVM trained on the real training digits, used to judge generated digits.

    It is an evaluator, not part of any generative model: pages ask it "which digit is
    this?" about reconstructions and samples (about 96% accurate on the real test split).
    Fitted once by scikit-learn (``python -m engine.regenerate evaluator``) and shipped as numbers.
    """
    from engine.core import weights

    table, entry = weights.load_array(*SVM_FILE)
    return DigitJudge(table, entry["config"])


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
