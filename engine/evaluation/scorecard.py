"""Score a set of samples against a fixed real set: every metric of the evaluation page in one place.

    ref = reference(X_held_out)                        # once per real set
    card = scorecard(ref, samples, k=5, train=X_train, held_out_to_train=...)

A page that compares many generators (the evaluation page's dials, the arena's families) builds the
:class:`Reference` once: the real points' k-NN distances and their within-set kernel mean do not
change when the generator does, and they are half the cost of the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import metrics
from engine.core.errors import InputError
from engine.evaluation.threads import single_threaded
from engine.core.rng import SeedLike

K_MAX = 20  # the largest k of the k-NN metrics a page offers


@dataclass(frozen=True)
class Reference:
    """A real point set with what every metric needs from it alone."""

    X: np.ndarray
    knn: np.ndarray  # (n, k_max): distance of each point to its 1st … k_max-th nearest other point
    kernel_mean: float  # mean_{i≠j} k(x_i, x_j): the real part of MMD²

    @property
    def k_max(self) -> int:
        return self.knn.shape[1]

    def radii(self, k: int) -> np.ndarray:
        check_k(k, len(self.X), self.k_max)
        return self.knn[:, k - 1]


def check_k(k: int, n: int, k_max: int = K_MAX) -> None:
    """k-NN metrics need more points than k on each side (a point's k-th neighbour must exist)."""
    if not 1 <= k <= k_max or n <= k:
        raise InputError("too_few_for_k", n=n, k=k)


@single_threaded
def reference(X: np.ndarray, k_max: int = K_MAX) -> Reference:
    X = np.asarray(X, float)
    if len(X) < 3:
        raise InputError("too_few_points", n=len(X), min=3)
    k_max = min(k_max, len(X) - 1)
    return Reference(X, metrics.knn_distances(X, k_max), metrics.within_kernel_mean(X))


def identical(A: np.ndarray, B: np.ndarray) -> bool:
    """True when A and B hold exactly the same points (in any order, duplicates counted)."""
    A, B = np.asarray(A, float), np.asarray(B, float)
    if A.shape != B.shape:
        return False
    return bool(np.array_equal(A[np.lexsort(A.T[::-1])], B[np.lexsort(B.T[::-1])]))


@single_threaded
def prdc(ref: Reference, Y: np.ndarray, k: int) -> metrics.PRDC:
    check_k(k, min(len(ref.X), len(Y)), ref.k_max)
    return metrics.prdc(ref.X, Y, k, real_radii=ref.radii(k))


@single_threaded
def mmd2(ref: Reference, Y: np.ndarray) -> float:
    return metrics.mmd2(ref.X, Y, xx=ref.kernel_mean)


def sliced_wasserstein(ref: Reference, Y: np.ndarray, seed: SeedLike = 0) -> float:
    return metrics.sliced_wasserstein(ref.X, Y, seed=seed)


@dataclass(frozen=True)
class Scorecard:
    """Every number of the evaluation page for one set of samples (higher is better for the first
    four and the log-likelihood; lower for MMD² and the sliced Wasserstein distance)."""

    precision: float
    recall: float
    density: float
    coverage: float
    mmd2: float
    sliced_wasserstein: float
    log_likelihood: float | None  # mean log p(x) of the real reference points, when known
    copy: metrics.CopyReport | None  # when the training set is given
    n: int
    k: int

    def as_row(self) -> dict[str, float | bool | None]:
        row = {name: getattr(self, name) for name in ("precision", "recall", "density", "coverage", "mmd2",
                                                      "sliced_wasserstein", "log_likelihood")}
        row["copy_share"] = self.copy.share if self.copy else None
        row["copy_alarm"] = self.copy.alarm if self.copy else None
        return row


@single_threaded
def scorecard(ref: Reference, Y: np.ndarray, *, k: int = 5, train: np.ndarray | None = None,
              held_out_to_train: np.ndarray | None = None, log_likelihood: float | None = None,
              copy_quantile: float = 0.05, seed: SeedLike = 0) -> Scorecard:
    """Score samples ``Y`` against ``ref``. With the training set (and the reference points' distances
    to it), the copy detector runs too; ``log_likelihood`` is the model's own mean log p(x) on the
    reference points, for a family that has a density."""
    Y = np.asarray(Y, float)
    p = prdc(ref, Y, k)
    copy = None
    if train is not None:
        h = metrics.nearest_distances(ref.X, train) if held_out_to_train is None else held_out_to_train
        copy = metrics.copy_report(metrics.nearest_distances(Y, train), h, copy_quantile)
    return Scorecard(p.precision, p.recall, p.density, p.coverage, mmd2(ref, Y), sliced_wasserstein(ref, Y, seed),
                     log_likelihood, copy, len(Y), k)
