"""Gaussian mixtures fitted by EM, one recorded iteration at a time, so a page can replay them.

    p(x) = Σ_k π_k N(x | μ_k, Σ_k)

The E-step computes the responsibilities r_ik = p(z_i = k | x_i), the M-step re-estimates
π, μ and Σ from them. The four covariance types are scikit-learn's: ``full`` (one free Σ_k
per component), ``tied`` (one Σ shared by all), ``diag`` (axis-aligned Σ_k) and
``spherical`` (Σ_k = σ_k² I).

Why our own E/M steps instead of sklearn's ``GaussianMixture``: scikit-learn adds
``reg_covar`` to every covariance *after* the M-step, which keeps Σ invertible but means
EM no longer provably increases anything. Here the same safety comes from a small penalty
−½ ε tr(Σ_k⁻¹) per covariance (an inverse-Wishart-type prior). Its exact M-step is
Σ_k = S_k / N_k + (ε / N_k) I, and EM then *provably* never decreases the penalised
log-likelihood ``objective``. ε is 10⁻⁴ of the data's variance, so the penalty is tiny
next to the log-likelihood the page plots; a test checks that both are non-decreasing.

Left out on purpose: more than 2 dimensions in the drawings (the maths works for any d),
Bayesian mixtures, and n_init restarts (the page asks the user to "try another seed").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from engine.core.contract import Capabilities, GenerativeModel
from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator, child_seed
from engine.core.training import Budget, Callback

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INITS = ("kmeans", "random")
MAX_COMPONENTS = 10
REG_FRACTION = 1e-4  # ε = REG_FRACTION · mean variance of the data
TINY = 10 * np.finfo(float).eps


@dataclass(frozen=True)
class MixtureParams:
    """π (K,), μ (K, d) and the covariances in their type's own shape (as in sklearn)."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray  # full (K,d,d) · tied (d,d) · diag (K,d) · spherical (K,)
    covariance_type: str

    @property
    def n_components(self) -> int:
        return len(self.weights)

    def full_covariances(self) -> np.ndarray:
        """Every Σ_k as a (K, d, d) array, whatever the covariance type."""
        K, d = self.means.shape
        c = self.covariances
        if self.covariance_type == "full":
            return c
        if self.covariance_type == "tied":
            return np.broadcast_to(c, (K, d, d)).copy()
        if self.covariance_type == "diag":
            return np.stack([np.diag(v) for v in c])
        return c[:, None, None] * np.eye(d)[None]


def n_parameters(K: int, d: int, covariance_type: str) -> int:
    """Free parameters of a K-component mixture in d dimensions (as sklearn counts them)."""
    cov = {"full": K * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": K * d, "spherical": K}[covariance_type]
    return cov + K * d + K - 1


# ---------------------------------------------------------------- the two steps

def component_log_densities(X: np.ndarray, params: MixtureParams) -> np.ndarray:
    """log N(x_i | μ_k, Σ_k) for every point and component: (n, K)."""
    X = np.asarray(X, float)
    n, d = X.shape
    covs = params.full_covariances()
    out = np.empty((n, params.n_components))
    for k, (mu, cov) in enumerate(zip(params.means, covs)):
        L = np.linalg.cholesky(cov)
        sol = np.linalg.solve(L, (X - mu).T)  # L⁻¹ (x − μ)
        maha = np.sum(sol**2, axis=0)
        log_det = 2 * np.sum(np.log(np.diag(L)))
        out[:, k] = -0.5 * (d * math.log(2 * math.pi) + log_det + maha)
    return out


def e_step(X: np.ndarray, params: MixtureParams) -> tuple[np.ndarray, np.ndarray]:
    """Responsibilities r_ik = π_k N(x_i|k) / Σ_j π_j N(x_i|j), and log p(x_i)."""
    joint = component_log_densities(X, params) + np.log(np.maximum(params.weights, np.finfo(float).tiny))
    log_px = logsumexp(joint, axis=1)
    return np.exp(joint - log_px[:, None]), log_px


def m_step(X: np.ndarray, resp: np.ndarray, covariance_type: str, eps: float) -> MixtureParams:
    """The maximiser of the penalised expected complete-data log-likelihood."""
    n, d = X.shape
    Nk = resp.sum(axis=0) + TINY
    means = (resp.T @ X) / Nk[:, None]
    K = len(Nk)
    if covariance_type == "full":
        cov = np.empty((K, d, d))
        for k in range(K):
            diff = X - means[k]
            cov[k] = (resp[:, k] * diff.T) @ diff / Nk[k] + (eps / Nk[k]) * np.eye(d)
    elif covariance_type == "tied":
        S = np.zeros((d, d))
        for k in range(K):
            diff = X - means[k]
            S += (resp[:, k] * diff.T) @ diff
        cov = (S + eps * np.eye(d)) / n
    elif covariance_type == "diag":
        sq = resp.T @ (X**2) - 2 * means * (resp.T @ X) + Nk[:, None] * means**2
        cov = (np.maximum(sq, 0) + eps) / Nk[:, None]
    elif covariance_type == "spherical":
        sq = resp.T @ (X**2) - 2 * means * (resp.T @ X) + Nk[:, None] * means**2
        cov = (np.maximum(sq, 0).sum(axis=1) + eps * d) / (d * Nk)
    else:
        raise InputError("unknown_covariance", name=covariance_type)
    return MixtureParams(Nk / Nk.sum(), means, cov, covariance_type)


def penalty(params: MixtureParams, eps: float) -> float:
    """−½ ε Σ_k tr(Σ_k⁻¹) (counted once for a tied Σ): what keeps every Σ invertible."""
    c = params.covariances
    if params.covariance_type == "full":
        tr = sum(np.trace(np.linalg.inv(s)) for s in c)
    elif params.covariance_type == "tied":
        tr = np.trace(np.linalg.inv(c))
    elif params.covariance_type == "diag":
        tr = np.sum(1.0 / c)
    else:
        tr = np.sum(params.means.shape[1] / c)
    return -0.5 * eps * float(tr)


# ---------------------------------------------------------------- the recorded run

@dataclass(frozen=True)
class EMHistory:
    """One fit, iteration by iteration. Entry 0 is the initialisation.

    ``params[t]`` are the parameters after t M-steps; ``resp[t]`` and ``log_likelihood[t]``
    come from the E-step on ``params[t]`` (so they describe exactly those parameters).
    ``log_likelihood`` is the mean log p(x) per point; ``objective`` adds the penalty / n.
    """

    params: list[MixtureParams]
    resp: list[np.ndarray]
    log_likelihood: np.ndarray
    objective: np.ndarray
    converged: bool
    eps: float
    stopped_on_nan: bool = False

    @property
    def final(self) -> MixtureParams:
        return self.params[-1]

    @property
    def n_iter(self) -> int:
        return len(self.params) - 1


def check_mixture_input(X: np.ndarray, n_components: int, covariance_type: str, init: str) -> np.ndarray:
    X = np.asarray(X, float)
    if X.ndim != 2 or len(X) == 0:
        raise InputError("too_few_points", n=0 if X.ndim != 2 else len(X), min=2)
    if covariance_type not in COVARIANCE_TYPES:
        raise InputError("unknown_covariance", name=covariance_type)
    if init not in INITS:
        raise InputError("unknown_init", name=init)
    if not 1 <= n_components <= MAX_COMPONENTS:
        raise InputError("bad_components", k=n_components, max=MAX_COMPONENTS)
    if not np.isfinite(X).all():
        raise InputError("not_finite", line=int(np.argmin(np.isfinite(X).all(axis=1))) + 1)
    n_distinct = len(np.unique(X, axis=0))
    if n_components > len(X):
        raise InputError("more_components_than_points", k=n_components, n=len(X))
    if n_components > n_distinct:
        raise InputError("more_components_than_distinct", k=n_components, n=n_distinct)
    return X


def kmeans(X: np.ndarray, n_clusters: int, rng: np.random.Generator, max_iter: int = 50) -> np.ndarray:
    """Lloyd's k-means from a k-means++ start; returns the cluster of each point.

    (sklearn's KMeans gives the same answer but costs ~100 ms per call in thread start-up;
    this takes about a millisecond on 1,000 points.)
    """
    n = len(X)
    centres = [X[rng.integers(n)]]
    d2 = np.sum((X - centres[0]) ** 2, axis=1)
    for _ in range(1, n_clusters):
        total = d2.sum()
        idx = rng.choice(n, p=d2 / total) if total > 0 else rng.integers(n)
        centres.append(X[idx])
        d2 = np.minimum(d2, np.sum((X - X[idx]) ** 2, axis=1))
    C = np.array(centres)
    labels = np.full(n, -1)
    for _ in range(max_iter):
        dist = ((X[:, None, :] - C[None]) ** 2).sum(axis=2)
        new = dist.argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for k in range(n_clusters):
            members = X[labels == k]
            C[k] = members.mean(axis=0) if len(members) else X[dist[:, k].argmax()]  # refill an empty cluster
    return labels


def initial_params(X: np.ndarray, n_components: int, covariance_type: str, init: str, eps: float,
                   rng: np.random.Generator) -> MixtureParams:
    """k-means: one M-step on the hard k-means clusters. random: K distinct data points as
    the means, each with the whole data's covariance, equal weights."""
    n, d = X.shape
    if init == "kmeans":
        labels = kmeans(X, n_components, rng)
        resp = np.zeros((n, n_components))
        resp[np.arange(n), labels] = 1.0
        return m_step(X, resp, covariance_type, eps)
    distinct = np.unique(X, axis=0)
    means = distinct[rng.choice(len(distinct), n_components, replace=False)]
    cov = np.cov(X.T, bias=True).reshape(d, d) + (eps / n) * np.eye(d)
    covs = {"full": np.repeat(cov[None], n_components, 0), "tied": cov,
            "diag": np.repeat(np.diag(cov)[None], n_components, 0),
            "spherical": np.full(n_components, np.trace(cov) / d)}[covariance_type]
    return MixtureParams(np.full(n_components, 1.0 / n_components), means, covs, covariance_type)


@dataclass(frozen=True)
class MixtureConfig:
    """The hyperparameters of :class:`GaussianMixture`, as one value (what the model registry passes)."""

    n_components: int = 3
    covariance_type: str = "full"
    init: str = "kmeans"
    tol: float = 1e-4


class GaussianMixture(GenerativeModel):
    """p(x) = Σ_k π_k N(x | μ_k, Σ_k) fitted by EM, with the engine's verbs (:mod:`engine.core.contract`).

    One step is one EM iteration: an M-step, then the E-step that scores its parameters.
    ``history_`` (an :class:`EMHistory`) keeps every iteration, the initialisation first. Training
    is done when the mean log-likelihood gains less than ``tol``; if a step ever produces NaN, it
    stops there (``diverged_``) and the last good parameters stay. EM has no learning rate to blow
    up, so the family declares that it cannot be driven to diverge.
    """

    capabilities = Capabilities(density="exact", can_diverge=False)
    report_every = 1

    def __init__(self, n_components: int = 3, covariance_type: str = "full", init: str = "kmeans",
                 tol: float = 1e-4, seed: SeedLike = 0) -> None:
        self.n_components, self.covariance_type, self.init, self.tol, self.seed = n_components, covariance_type, init, tol, seed
        self.step_, self.diverged_, self.converged_, self.elapsed_ = 0, False, False, 0.0
        self._params: list[MixtureParams] = []
        self._resp: list[np.ndarray] = []
        self._ll: list[float] = []
        self._obj: list[float] = []

    def _start(self, X: np.ndarray) -> None:
        X = check_mixture_input(X, self.n_components, self.covariance_type, self.init)
        spread = float(X.var(axis=0).mean())
        self.eps_ = REG_FRACTION * spread if spread > 0 else 1e-6
        self._X = X
        params = initial_params(X, self.n_components, self.covariance_type, self.init, self.eps_, as_generator(self.seed))
        if not self._score(params):
            raise InputError("degenerate_data")

    def fit(self, X: np.ndarray, *, budget: Budget = Budget(max_steps=100), callback: Callback | None = None) -> GaussianMixture:
        """Start from the chosen initialisation and run up to ``budget`` EM iterations."""
        return super().fit(X, budget=budget, callback=callback)

    def _score(self, params: MixtureParams) -> bool:
        """The E-step on ``params``, recorded; False (nothing recorded) if it produced NaN."""
        try:
            resp, log_px = e_step(self._X, params)
        except np.linalg.LinAlgError:
            return False
        mean_ll = float(log_px.mean())
        if not np.isfinite(mean_ll) or not np.isfinite(resp).all():
            return False
        self._params.append(params)
        self._resp.append(resp)
        self._ll.append(mean_ll)
        self._obj.append(mean_ll + penalty(params, self.eps_) / len(self._X))
        return True

    def _train_step(self) -> bool:
        if not self._score(m_step(self._X, self._resp[-1], self.covariance_type, self.eps_)):
            return False
        self.step_ += 1
        self.converged_ = abs(self._ll[-1] - self._ll[-2]) < self.tol
        return True

    @property
    def done(self) -> bool:
        return self.diverged_ or self.converged_

    def _metrics(self) -> dict[str, float]:
        return {"log_likelihood": self._ll[-1]} if self._ll else {}

    @classmethod
    def from_config(cls, config: MixtureConfig, seed: SeedLike = 0) -> GaussianMixture:
        return cls(config.n_components, config.covariance_type, config.init, config.tol, seed)

    @property
    def history_(self) -> EMHistory:
        return EMHistory(list(self._params), list(self._resp), np.array(self._ll), np.array(self._obj), self.converged_,
                         self.eps_, self.diverged_)

    @property
    def params_(self) -> MixtureParams:
        """The last good parameters."""
        return self._params[-1]

    @property
    def n_params_(self) -> int:
        return n_parameters(self.n_components, self._X.shape[1], self.covariance_type)

    def sample(self, n: int, seed: SeedLike = 0) -> np.ndarray:
        return ancestral_sample(self.params_, n, seed)[0]

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log p(x) for each row of X."""
        return score_samples(X, self.params_)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return predict_proba(X, self.params_)


def fit_em(X: np.ndarray, n_components: int = 3, covariance_type: str = "full", init: str = "kmeans",
           seed: SeedLike = 0, max_iter: int = 100, tol: float = 1e-4) -> EMHistory:
    """Run EM from the chosen initialisation and keep every iteration (see :class:`GaussianMixture`).

    Stops when the mean log-likelihood gains less than ``tol`` or after ``max_iter``
    M-steps. If a step ever produced NaN, it stops and keeps the last good parameters.
    """
    gm = GaussianMixture(n_components, covariance_type, init, tol, seed)
    return gm.fit(X, budget=Budget(max_steps=max_iter)).history_


# ---------------------------------------------------------------- using a fitted mixture

def score_samples(X: np.ndarray, params: MixtureParams) -> np.ndarray:
    """log p(x) for each row of X."""
    return e_step(np.asarray(X, float), params)[1]


def predict_proba(X: np.ndarray, params: MixtureParams) -> np.ndarray:
    """Responsibilities p(z = k | x)."""
    return e_step(np.asarray(X, float), params)[0]


def ancestral_sample(params: MixtureParams, n: int, seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ancestral sampling: z ~ Categorical(π), then x ~ N(μ_z, Σ_z). Returns (X, z)."""
    rng = as_generator(seed)
    n = int(n)
    if n <= 0:
        return np.zeros((0, params.means.shape[1])), np.zeros(0, int)
    z = rng.choice(params.n_components, size=n, p=params.weights / params.weights.sum())
    covs = params.full_covariances()
    L = np.linalg.cholesky(covs)  # (K, d, d)
    noise = rng.standard_normal((n, params.means.shape[1]))
    X = params.means[z] + np.einsum("nij,nj->ni", L[z], noise)
    return X, z


def ellipse(mean: np.ndarray, cov: np.ndarray, n_sigma: float, n_points: int = 60) -> np.ndarray:
    """The curve (x − μ)ᵀ Σ⁻¹ (x − μ) = n_sigma²: a closed (n_points + 1, 2) polyline."""
    vals, vecs = np.linalg.eigh(cov)
    t = np.linspace(0, 2 * math.pi, n_points + 1)
    circle = np.c_[np.cos(t), np.sin(t)]
    return mean + n_sigma * (circle * np.sqrt(np.maximum(vals, 0))) @ vecs.T


# ---------------------------------------------------------------- model selection

@dataclass(frozen=True)
class SelectionResult:
    ks: np.ndarray
    bic: np.ndarray
    aic: np.ndarray
    log_likelihood: np.ndarray  # total, not per point

    @property
    def best_bic(self) -> int:
        return int(self.ks[np.nanargmin(self.bic)])

    @property
    def best_aic(self) -> int:
        return int(self.ks[np.nanargmin(self.aic)])


def information_criteria(X: np.ndarray, params: MixtureParams) -> tuple[float, float, float]:
    """(BIC, AIC, total log-likelihood): BIC = −2 log L + p ln n, AIC = −2 log L + 2p."""
    X = np.asarray(X, float)
    n, d = X.shape
    total = float(score_samples(X, params).sum())
    p = n_parameters(params.n_components, d, params.covariance_type)
    return -2 * total + p * math.log(n), -2 * total + 2 * p, total


def select_components(X: np.ndarray, max_components: int = MAX_COMPONENTS, covariance_type: str = "full",
                      seed: SeedLike = 0, n_init: int = 1, max_iter: int = 100) -> SelectionResult:
    """BIC and AIC for K = 1..max_components, each the best of ``n_init`` k-means starts.

    The default scans every K the page's slider offers (``MAX_COMPONENTS``), fewer only when the
    data has fewer distinct points.
    """
    X = np.asarray(X, float)
    n_distinct = len(np.unique(X, axis=0))
    top = int(min(max_components, MAX_COMPONENTS, n_distinct))
    rng = as_generator(seed)
    ks, bics, aics, lls = [], [], [], []
    for k in range(1, top + 1):
        best = None
        for _ in range(n_init):
            h = fit_em(X, k, covariance_type, "kmeans", child_seed(rng), max_iter=max_iter)
            if best is None or h.log_likelihood[-1] > best.log_likelihood[-1]:
                best = h
        bic, aic, total = information_criteria(X, best.final)
        ks.append(k)
        bics.append(bic)
        aics.append(aic)
        lls.append(total)
    return SelectionResult(np.array(ks), np.array(bics), np.array(aics), np.array(lls))


# ---------------------------------------------------------------- what the page shows

@dataclass(frozen=True)
class MixtureView:
    """A fit on the training split plus everything the page draws about it."""

    history: EMHistory
    train_X: np.ndarray
    test_X: np.ndarray
    train_log_px: float
    test_log_px: float
    xs: np.ndarray = field(repr=False)
    ys: np.ndarray = field(repr=False)
    grid_log_px: np.ndarray = field(repr=False)


def fit_view(X: np.ndarray, n_components: int, covariance_type: str, init: str, seed: int, split_seed: int = 0,
             test_fraction: float = 0.25, resolution: int = 80, max_iter: int = 100) -> MixtureView:
    """Split (with ``split_seed``), fit by EM on the training part from a start drawn with
    ``seed``, and score both parts and a grid. A new start keeps the same split."""
    from engine.data.points import Dataset, bounds, grid, train_test_split

    X = np.asarray(X, float)
    if len(X) < 2:
        raise InputError("too_few_points", n=len(X), min=2)
    train, test = train_test_split(Dataset(X, np.zeros(len(X), int), "data"), test_fraction, split_seed)
    hist = fit_em(train.X, n_components, covariance_type, init, seed, max_iter=max_iter)
    xs, ys, pts = grid(bounds(X), resolution)
    final = hist.final
    return MixtureView(hist, train.X, test.X, float(score_samples(train.X, final).mean()),
                       float(score_samples(test.X, final).mean()), xs, ys, score_samples(pts, final))
