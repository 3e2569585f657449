"""Distances between sample sets, shared by every page that compares generated and real data.

All take numpy arrays of shape (n, d) (2D points or a feature space) and return plain floats or
small dataclasses, so a GAN, a diffusion model and a Gaussian mixture are measured with exactly
the same ruler. Sections: kernel and transport distances (MMD², sliced Wasserstein), mode
coverage, k-nearest-neighbour metrics (precision, recall, density, coverage), Gaussian-feature
metrics (Fréchet distance, KID, Inception-Score analogue, diversity), memorisation (distances
to the training set, a copy detector) and a Parzen-window log-likelihood.

Bad input (too few points for k, a singular covariance) raises or reports with an
``engine.core.errors.InputError`` code, so every page says it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator

MMD_BANDWIDTHS = (0.1, 0.2, 0.5, 1.0, 2.0)


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


_BLOCK = 16_384  # entries per block of the kernel sums: small enough to stay in the CPU cache


def _kernel_sum(d2: np.ndarray, bandwidths) -> float:
    """Σ over the entries of ``d2`` (squared distances) and over h of exp(−d² / 2h²).

    The exponentials run in float32 blocks, summed in float64: four times faster than float64
    (what lets the evaluation page's sliders stay live on 2,000 points), and within 1e-9 of it.
    """
    d2 = np.ascontiguousarray(d2, np.float32).ravel()
    buf = np.empty(min(_BLOCK, len(d2)), np.float32)
    total = 0.0
    for h in bandwidths:
        a = np.float32(-1.0 / (2.0 * h * h))
        for start in range(0, len(d2), _BLOCK):
            part = buf[: min(_BLOCK, len(d2) - start)]
            np.multiply(d2[start : start + _BLOCK], a, out=part)
            np.exp(part, out=part)
            total += float(part.sum(dtype=np.float64))
    return total


def within_kernel_mean(X: np.ndarray, bandwidths=MMD_BANDWIDTHS) -> float:
    """Mean of k(x_i, x_j) over the pairs i ≠ j of X: the part of MMD² that only depends on one set,
    so a page comparing many generators with one real set computes it once."""
    from scipy.spatial.distance import pdist

    X = np.asarray(X, float)
    if len(X) < 2:
        raise InputError("too_few_points", n=len(X), min=2)
    return 2.0 * _kernel_sum(pdist(X, "sqeuclidean"), bandwidths) / (len(X) * (len(X) - 1))


def mmd2(X: np.ndarray, Y: np.ndarray, bandwidths=MMD_BANDWIDTHS, *, xx: float | None = None) -> float:
    """Unbiased MMD² with k(x, y) = Σ_h exp(-‖x − y‖² / 2h²) summed over ``bandwidths``:

        MMD² = mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) − 2 mean_{i,j} k(x_i, y_j)

    Zero in expectation when X and Y come from the same distribution (so it can dip
    slightly below zero); grows as they differ. ``xx`` is :func:`within_kernel_mean` of X,
    if it was computed already.
    """
    from scipy.spatial.distance import cdist

    X, Y = np.asarray(X, float), np.asarray(Y, float)
    m, n = len(X), len(Y)
    if m < 2 or n < 2:
        raise InputError("too_few_points", n=min(m, n), min=2)
    xx = within_kernel_mean(X, bandwidths) if xx is None else xx
    xy = _kernel_sum(cdist(X, Y, "sqeuclidean"), bandwidths) / (m * n)
    return float(xx + within_kernel_mean(Y, bandwidths) - 2.0 * xy)


def sliced_wasserstein(X: np.ndarray, Y: np.ndarray, n_projections: int = 128, seed: SeedLike = 0) -> float:
    """Mean 1-Wasserstein distance between X and Y projected on random unit directions.

    In 1D, W1 is the mean gap between matching quantiles: sorted projections when the sizes
    match, else both quantile functions read at the same levels.
    """
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    rng = as_generator(seed)
    dirs = rng.standard_normal((X.shape[1], n_projections))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    return float(projected_wasserstein(X, Y, dirs).mean())


def projected_wasserstein(X: np.ndarray, Y: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """W1 between X and Y projected on each column of ``dirs`` (unit vectors, shape (d, m))."""
    px, py = np.sort(np.asarray(X, float) @ dirs, axis=0), np.sort(np.asarray(Y, float) @ dirs, axis=0)
    if len(px) != len(py):
        n = max(len(px), len(py))
        levels = (np.arange(n) + 0.5) / n
        px = _quantiles(px, levels)
        py = _quantiles(py, levels)
    return np.abs(px - py).mean(0)


def _quantiles(sorted_cols: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Each column's empirical quantile function (sorted values) read at ``levels``."""
    m = len(sorted_cols)
    at = (np.arange(m) + 0.5) / m
    return np.stack([np.interp(levels, at, col) for col in sorted_cols.T], axis=1)


@dataclass(frozen=True)
class ModeCoverage:
    covered: int  # modes that received at least ``min_count`` high-quality samples
    n_modes: int
    high_quality: float  # fraction of samples within ``radius`` of some mode centre
    counts: np.ndarray  # high-quality samples per mode


def mode_coverage(samples: np.ndarray, centres: np.ndarray, radius: float, min_count: int | None = None) -> ModeCoverage:
    """Count the modes a generator covers: each sample goes to its nearest centre, and counts
    as high quality if it lies within ``radius`` of it. By default a mode is covered once it
    holds at least a fifth of its fair share of the samples."""
    samples = np.asarray(samples, float)
    d = np.sqrt(_sq_dists(samples, centres))
    nearest = d.argmin(1)
    good = d[np.arange(len(samples)), nearest] <= radius
    counts = np.bincount(nearest[good], minlength=len(centres))
    if min_count is None:
        min_count = max(1, int(0.2 * len(samples) / len(centres)))
    return ModeCoverage(int((counts >= min_count).sum()), len(centres), float(good.mean()) if len(samples) else 0.0, counts)


def mmd_witness(X: np.ndarray, Y: np.ndarray, points: np.ndarray, bandwidths=MMD_BANDWIDTHS) -> np.ndarray:
    """The witness function of MMD at ``points``: f(p) = mean_j k(p, y_j) − mean_i k(p, x_i).

    Positive where Y (the generator) puts more mass than X (the data), negative where less;
    MMD² is (up to the diagonal terms) E_Y f − E_X f, the gap the witness makes visible."""
    from scipy.spatial.distance import cdist

    P = np.asarray(points, float)
    out = np.zeros(len(P))
    for rows in _blocks(len(P)):
        for A, sign in ((Y, 1.0), (X, -1.0)):
            d2 = cdist(P[rows], np.asarray(A, float), "sqeuclidean").astype(np.float32)
            out[rows] += sign * sum(np.exp(d2 * np.float32(-1.0 / (2 * h * h))).mean(1, dtype=np.float64) for h in bandwidths)
    return out


# ---------------------------------------------------------------- k nearest neighbours: precision, recall, density, coverage

_ROWS = 512  # rows per block of a distance matrix: bounds the memory of every metric below


def _blocks(n: int):
    for start in range(0, n, _ROWS):
        yield slice(start, min(n, start + _ROWS))


def knn_distances(X: np.ndarray, k_max: int) -> np.ndarray:
    """(n, k_max): column j − 1 holds each point's distance to its j-th nearest *other* point of X."""
    from scipy.spatial.distance import cdist

    X = np.asarray(X, float)
    if k_max < 1 or len(X) <= k_max:
        raise InputError("too_few_for_k", n=len(X), k=k_max)
    out = np.empty((len(X), k_max))
    for rows in _blocks(len(X)):
        d = cdist(X[rows], X, "euclidean")
        d[np.arange(d.shape[0]), np.arange(rows.start, rows.stop)] = np.inf  # a point is not its own neighbour
        near = np.partition(d, k_max - 1, axis=1)[:, :k_max]
        out[rows] = np.sort(near, axis=1)
    return out


def knn_radii(X: np.ndarray, k: int) -> np.ndarray:
    """Each point's distance to its k-th nearest other point: the radius of its k-NN ball."""
    return knn_distances(X, k)[:, k - 1]


@dataclass(frozen=True)
class PRDC:
    """Precision and recall (Kynkäänniemi et al., 2019), density and coverage (Naeem et al., 2020),
    with the per-point facts behind each number, so a page can draw which points count.

    A real point's ball has the radius of its k-th nearest real neighbour; a generated point's
    ball, of its k-th nearest generated neighbour.
    """

    precision: float  # share of generated points inside at least one real ball
    recall: float  # share of real points inside at least one generated ball
    density: float  # mean number of real balls around a generated point, divided by k
    coverage: float  # share of real balls that hold at least one generated point
    k: int
    real_radii: np.ndarray
    fake_radii: np.ndarray
    fake_in_real: np.ndarray  # bool per generated point: counts for precision
    real_in_fake: np.ndarray  # bool per real point: counts for recall
    real_covered: np.ndarray  # bool per real point: its ball holds a generated point (coverage)
    balls_per_fake: np.ndarray  # int per generated point: real balls that contain it (density)


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5, *, real_radii: np.ndarray | None = None) -> PRDC:
    """Precision, recall, density and coverage of ``fake`` against ``real`` with k-NN balls.

        precision = 1/M Σ_j 1[∃i: ‖y_j − x_i‖ ≤ r_i]      recall   = 1/N Σ_i 1[∃j: ‖x_i − y_j‖ ≤ s_j]
        density   = 1/(kM) Σ_j Σ_i 1[‖y_j − x_i‖ ≤ r_i]    coverage = 1/N Σ_i 1[min_j ‖x_i − y_j‖ ≤ r_i]

    with r_i the k-NN radius of real x_i among the reals and s_j that of generated y_j among the
    generated. ``real_radii`` may be passed in when the real set is fixed and the generator varies.
    """
    from scipy.spatial.distance import cdist

    real, fake = np.asarray(real, float), np.asarray(fake, float)
    n_min = min(len(real), len(fake))
    if k < 1 or n_min <= k:
        raise InputError("too_few_for_k", n=n_min, k=k)
    r = knn_radii(real, k) if real_radii is None else np.asarray(real_radii, float)
    s = knn_radii(fake, k)
    balls = np.zeros(len(fake), np.int64)
    real_in_fake = np.zeros(len(real), bool)
    nearest_fake = np.full(len(real), np.inf)
    for rows in _blocks(len(fake)):
        d = cdist(fake[rows], real, "euclidean")  # (generated block, real)
        balls[rows] = (d <= r[None, :]).sum(1)
        real_in_fake |= (d <= s[rows, None]).any(0)
        np.minimum(nearest_fake, d.min(0), out=nearest_fake)
    covered = nearest_fake <= r
    return PRDC(float((balls > 0).mean()), float(real_in_fake.mean()), float(balls.mean() / k), float(covered.mean()),
                k, r, s, balls > 0, real_in_fake, covered, balls)


# ---------------------------------------------------------------- Gaussian features: Fréchet distance, KID, IS, diversity

@dataclass(frozen=True)
class Frechet:
    """FID = ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2(Σ_r Σ_g)^{1/2}), with its two parts."""

    value: float
    mean_term: float  # ‖μ_r − μ_g‖²
    cov_term: float  # Tr(Σ_r + Σ_g − 2(Σ_r Σ_g)^{1/2})
    dim: int
    n_real: int
    n_fake: int
    regularised: bool  # a covariance was singular (rank < dim): ε·I was added to both
    eps: float
    rank_real: int
    rank_fake: int


def gaussian_stats(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of the rows of F."""
    F = np.asarray(F, float)
    if len(F) < 2:
        raise InputError("too_few_points", n=len(F), min=2)
    return F.mean(0), np.atleast_2d(np.cov(F, rowvar=False))


def _psd_sqrt(S: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh((S + S.T) / 2)
    return (V * np.sqrt(np.clip(w, 0, None))) @ V.T


def trace_sqrt_product(S1: np.ndarray, S2: np.ndarray) -> float:
    """Tr((S1 S2)^{1/2}) for symmetric positive semi-definite S1, S2, by eigen-decomposition:
    S1 S2 is similar to S1^{1/2} S2 S1^{1/2}, which is symmetric, so its square root's trace is the
    sum of the square roots of its eigenvalues. No inverse, so it stays defined when S1 is singular."""
    r = _psd_sqrt(S1)
    M = r @ S2 @ r
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((M + M.T) / 2), 0, None)).sum())


def frechet_distance(mu1: np.ndarray, S1: np.ndarray, mu2: np.ndarray, S2: np.ndarray) -> tuple[float, float]:
    """(‖μ1 − μ2‖², Tr(S1 + S2 − 2(S1 S2)^{1/2})): the squared 2-Wasserstein distance between
    N(μ1, S1) and N(μ2, S2) is their sum."""
    mean_term = float(((np.asarray(mu1) - np.asarray(mu2)) ** 2).sum())
    cov_term = float(np.trace(S1) + np.trace(S2) - 2.0 * trace_sqrt_product(S1, S2))
    return mean_term, max(cov_term, 0.0)


def covariance_rank(S: np.ndarray) -> int:
    """The numerical rank of a covariance matrix (eigenvalues above 1e-10 × d × the largest)."""
    w = np.linalg.eigvalsh((S + S.T) / 2)
    return int((w > max(w.max(), 0.0) * len(S) * 1e-10).sum()) if len(w) else 0


def fid(real_features: np.ndarray, fake_features: np.ndarray, eps: float = 1e-6,
        real_stats: tuple[np.ndarray, np.ndarray, int] | None = None) -> Frechet:
    """The Fréchet distance between Gaussians fitted to two feature sets (FID when the features are
    Inception-v3's). With fewer samples than dimensions a covariance is singular (its rank is at most
    n − 1): then ``eps`` × (mean variance) × I is added to both, and the result says so.
    ``real_stats`` = (μ_r, Σ_r, rank of Σ_r), when many sample sets are compared with one real set."""
    mu_r, S_r, rank_r = real_stats if real_stats is not None else (*gaussian_stats(real_features), None)
    mu_g, S_g = gaussian_stats(fake_features)
    d = len(mu_r)
    rank_r = covariance_rank(S_r) if rank_r is None else rank_r
    rank_g = covariance_rank(S_g)
    regularised = min(rank_r, rank_g) < d
    offset = 0.0
    if regularised:
        offset = eps * max(float(np.trace(S_r) + np.trace(S_g)) / (2 * d), 1e-12)
        S_r, S_g = S_r + offset * np.eye(d), S_g + offset * np.eye(d)
    mean_term, cov_term = frechet_distance(mu_r, S_r, mu_g, S_g)
    return Frechet(mean_term + cov_term, mean_term, cov_term, d, len(real_features), len(fake_features),
                   regularised, offset, rank_r, rank_g)


def _cubic_kernel(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    k = A @ B.T
    k *= 1.0 / A.shape[1]
    k += 1.0
    return k * k * k  # (xᵀy / d + 1)³; an integer power by multiplication, far faster than ** 3


def _poly_kernel_mmd2(X: np.ndarray, Y: np.ndarray) -> float:
    kxx, kyy, kxy = _cubic_kernel(X, X), _cubic_kernel(Y, Y), _cubic_kernel(X, Y)
    m, n = len(X), len(Y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean())


@dataclass(frozen=True)
class KID:
    value: float  # unbiased MMD² with the cubic polynomial kernel, on all the points
    std: float  # spread of the same estimate over random halves of both sets
    n_real: int
    n_fake: int


def kid(real_features: np.ndarray, fake_features: np.ndarray, n_subsets: int = 10, seed: SeedLike = 0) -> KID:
    """Kernel Inception Distance (Bińkowski et al., 2018): unbiased MMD² with k(x, y) = (xᵀy / d + 1)³.
    Unlike FID it assumes no Gaussian and is unbiased at any N (it can dip below zero)."""
    X, Y = np.asarray(real_features, float), np.asarray(fake_features, float)
    if min(len(X), len(Y)) < 4:
        raise InputError("too_few_points", n=min(len(X), len(Y)), min=4)
    rng = as_generator(seed)
    halves = []
    for _ in range(n_subsets):
        i = rng.choice(len(X), len(X) // 2, replace=False)
        j = rng.choice(len(Y), len(Y) // 2, replace=False)
        halves.append(_poly_kernel_mmd2(X[i], Y[j]))
    return KID(_poly_kernel_mmd2(X, Y), float(np.std(halves)), len(X), len(Y))


def inception_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    """exp E_x KL(p(y|x) ‖ p(y)), with p(y) the mean of p(y|x) over the samples: high when each sample
    is confidently one class and the classes are balanced. It never looks at real data. Between 1 and
    the number of classes."""
    P = np.clip(np.asarray(probs, float), eps, 1.0)
    P = P / P.sum(1, keepdims=True)
    marginal = P.mean(0)
    return float(np.exp((P * (np.log(P) - np.log(marginal))).sum(1).mean()))


def diversity(features: np.ndarray, max_pairs: int = 200_000, seed: SeedLike = 0) -> float:
    """Mean squared distance between unit-normalised features over pairs of samples: the spirit of
    LPIPS diversity (LPIPS itself compares normalised deep features of two images, layer by layer, with
    learned weights). 0 when every sample is the same; 2 for features pointing in unrelated directions."""
    F = np.asarray(features, float)
    if len(F) < 2:
        raise InputError("too_few_points", n=len(F), min=2)
    F = F / np.maximum(np.linalg.norm(F, axis=1, keepdims=True), 1e-12)
    n = len(F)
    if n * (n - 1) // 2 <= max_pairs:
        G = F @ F.T
        return float((2.0 - 2.0 * G[np.triu_indices(n, 1)]).mean())
    rng = as_generator(seed)
    i, j = rng.integers(0, n, max_pairs), rng.integers(0, n, max_pairs)
    keep = i != j
    return float((((F[i[keep]] - F[j[keep]]) ** 2).sum(1)).mean())


# ---------------------------------------------------------------- memorisation

def nearest_distances(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each query point's distance to its nearest point of ``reference``."""
    from scipy.spatial.distance import cdist

    Q, R = np.asarray(queries, float), np.asarray(reference, float)
    out = np.empty(len(Q))
    for rows in _blocks(len(Q)):
        out[rows] = cdist(Q[rows], R, "euclidean").min(1)
    return out


@dataclass(frozen=True)
class CopyReport:
    """Are generated points closer to the training set than fresh real points are?

    The threshold is the ``quantile`` of the held-out real points' distances to their nearest training
    point: an honest generator puts about that share of its points below it. The alarm fires when the
    generated share is more than three binomial standard deviations above it.
    """

    quantile: float
    threshold: float
    share: float  # generated points closer to a training point than the threshold
    limit: float  # the alarm's level: quantile + 3·√(quantile(1 − quantile)/n)
    alarm: bool
    median_ratio: float  # median generated distance / median held-out distance (1 for an honest model)


def copy_report(generated_to_train: np.ndarray, held_out_to_train: np.ndarray, quantile: float = 0.05) -> CopyReport:
    g, h = np.asarray(generated_to_train, float), np.asarray(held_out_to_train, float)
    if len(g) < 1 or len(h) < 2:
        raise InputError("too_few_points", n=min(len(g), len(h)), min=2)
    threshold = float(np.quantile(h, quantile))
    share = float((g < threshold).mean()) if threshold > 0 else float((g <= 0).mean())
    limit = quantile + 3.0 * np.sqrt(quantile * (1 - quantile) / len(g))
    med_h = float(np.median(h))
    return CopyReport(quantile, threshold, share, float(limit), share > limit, float(np.median(g) / med_h) if med_h > 0 else float("nan"))


# ---------------------------------------------------------------- a density from samples alone

PARZEN_K = 10


def knn_bandwidth(samples: np.ndarray, k: int = PARZEN_K) -> float:
    """A local kernel width for a Parzen window: the median distance from a sample to its k-th nearest
    other sample. Scott's rule (n^(−1/(d+4)) × the standard deviation) assumes one Gaussian blob and
    smears multimodal data: on the 8-Gaussian ring it gives 0.52 where each mode is 0.05 wide."""
    S = np.asarray(samples, float)
    k = min(k, len(S) - 1)
    return float(max(np.median(knn_distances(S, k)[:, k - 1]), 1e-6))


def parzen_log_likelihood(samples: np.ndarray, X: np.ndarray, bandwidth: float | None = None) -> np.ndarray:
    """log p̂(x) for each row of X under a Parzen window (Gaussian kernel density) on ``samples``:

        p̂(x) = 1/m Σ_j N(x; y_j, h² I)

    How the first GAN paper measured likelihood; Theis et al. (2016) showed it is unreliable beyond a
    few dimensions. In 2D it is a fair density for a generator that only samples. The default width
    is :func:`knn_bandwidth`."""
    from scipy.spatial.distance import cdist

    Y, X = np.asarray(samples, float), np.asarray(X, float)
    if len(Y) < 2:
        raise InputError("too_few_points", n=len(Y), min=2)
    h = knn_bandwidth(Y) if bandwidth is None else float(bandwidth)
    d = Y.shape[1]
    out = np.empty(len(X))
    const = np.log(len(Y)) + 0.5 * d * np.log(2 * np.pi * h * h)
    for rows in _blocks(len(X)):
        a = cdist(X[rows], Y, "sqeuclidean").astype(np.float32)  # log-sum-exp in float32, summed in float64
        a *= np.float32(-1.0 / (2 * h * h))
        top = a.max(1, keepdims=True)
        a -= top
        np.exp(a, out=a)
        out[rows] = np.log(a.sum(1, dtype=np.float64)) + top[:, 0] - const
    return out
