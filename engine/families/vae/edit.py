"""Latent arithmetic on a digits VAE: move a digit's code along the direction between two class means.

With the encoder's means μ(x) of the training digits, the class mean of digit k is

    m_k = (1 / N_k) Σ_{n: y_n = k} μ(x_n)

and a held-out digit x of class s is edited towards class k by

    z(t) = μ(x) + t · (m_k − m_s),      t ∈ [0, 1.5],

each z(t) decoded to its mean image E[x | z(t)]. At t = 0 that is the reconstruction of x; at t = 1 the code has
moved by exactly the gap between the two class means. Nothing makes the decoder linear in classes: the codes of one
class are not a shifted copy of another's, so the straight step can land between classes or stay in the source one.
:func:`success_rate` measures how often t = 1 reaches the target, as the evaluator's classifier sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.core.errors import InputError
from engine.data import digits

__all__ = ["T_MAX", "TS", "N_CLASSES", "class_means", "direction", "codes", "Path", "path", "judge", "Success", "success_rate"]

T_MAX = 1.5
TS = tuple(round(0.1 * i, 1) for i in range(16))  # the page's strip: t = 0, 0.1, …, 1.5
N_CLASSES = 10


def class_means(model, X: np.ndarray | None = None, y: np.ndarray | None = None) -> np.ndarray:
    """(10, d): the mean of the encoder's μ(x) over the training digits of each class."""
    if X is None:
        X, y = digits.load("train")
    mu = model.encode_mean(X)
    y = np.asarray(y)
    if set(np.unique(y)) != set(range(N_CLASSES)):
        raise InputError("edit_missing_class")
    return np.stack([mu[y == k].mean(0) for k in range(N_CLASSES)])


def direction(means: np.ndarray, source: int, target: int) -> np.ndarray:
    """m_target − m_source."""
    return means[int(target)] - means[int(source)]


def codes(z0: np.ndarray, step: np.ndarray, ts) -> np.ndarray:
    """z(t) = z₀ + t · step for every t of ``ts``: (len(ts), d), float32."""
    ts = np.asarray(ts, np.float64)[:, None]
    return (np.asarray(z0, np.float64)[None] + ts * np.asarray(step, np.float64)[None]).astype(np.float32)


@dataclass(frozen=True)
class Path:
    ts: np.ndarray  # (m,)
    z: np.ndarray  # (m, d)
    images: np.ndarray  # (m, 64), 0..16: E[x | z(t)]
    probs: np.ndarray  # (m, 10) the evaluator classifier's p(y | x(t))

    @property
    def predicted(self) -> np.ndarray:
        """(m,) the classifier's label of each image."""
        return self.probs.argmax(1)

    @property
    def confidence(self) -> np.ndarray:
        """(m,) its probability of that label."""
        return self.probs.max(1)


def judge(images: np.ndarray) -> np.ndarray:
    """p(y | x) of the evaluator's digit classifier (the evaluation page's feature network), (n, 10)."""
    from engine.evaluation import features  # torch, like the VAE itself

    return features.extract(features.pretrained(), images)[1]


def path(model, x: np.ndarray, source: int, target: int, means: np.ndarray, ts=TS) -> Path:
    """The edited strip of one digit ``x`` (64,) of class ``source`` towards ``target``."""
    if not (0 <= int(source) < N_CLASSES and 0 <= int(target) < N_CLASSES):
        raise InputError("edit_bad_class")
    z0 = model.encode_mean(np.asarray(x, np.float32).reshape(1, 64))[0]
    z = codes(z0, direction(means, source, target), ts)
    images = model.decode_mean(z)
    return Path(np.asarray(ts, float), z, images, judge(images))


@dataclass(frozen=True)
class Success:
    """How often the edit at ``t`` reaches its target, over every held-out digit and every other class."""

    t: float
    rate: float  # share of (digit, target ≠ its class) pairs the classifier labels as the target at t
    stays: float  # share still labelled as the source class
    pairs: int
    per_target: np.ndarray  # (10,) rate for each target class


def success_rate(model, means: np.ndarray, X: np.ndarray, y: np.ndarray, t: float = 1.0) -> Success:
    """Edit every digit of ``X`` (labels ``y``) towards each of the 9 other classes by t · (m_k − m_y)."""
    y = np.asarray(y, int)
    mu = model.encode_mean(X)
    src = np.repeat(y, N_CLASSES)
    tgt = np.tile(np.arange(N_CLASSES), len(y))
    keep = src != tgt
    src, tgt = src[keep], tgt[keep]
    z = np.repeat(mu, N_CLASSES, axis=0)[keep] + t * (means[tgt] - means[src])
    pred = judge(model.decode_mean(z.astype(np.float32))).argmax(1)
    hit = pred == tgt
    per = np.array([hit[tgt == k].mean() for k in range(N_CLASSES)])
    return Success(float(t), float(hit.mean()), float((pred == src).mean()), int(len(tgt)), per)
