"""Hidden Markov models: sample, decode (Viterbi, forward-backward) and learn (Baum-Welch).

    p(z_1..T, x_1..T) = π_{z_1} · Π_t A_{z_{t-1} z_t} · Π_t B_{z_t}(x_t)

π is the start distribution, A the transition matrix (row = from, column = to) and B the
emission matrix (row = state, column = symbol). The heavy lifting is hmmlearn's
(``CategoricalHMM`` and ``GaussianHMM``); this module adds what a page needs around it:
presets, validation of hand-edited matrices, bounded lengths, a per-iteration
log-likelihood, and matching learned states to true ones (label switching).

States and symbols are codes (``"fair"``, ``"walk"``); the UI translates them.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator, child_seed
from engine.core.training import Budget, Trainer

MAX_T = 5000  # longer sequences are cut to this length (and the page says so)
MAX_STATES = 6
SUM_TOL = 1e-6

logging.getLogger("hmmlearn").setLevel(logging.ERROR)  # "model is not converging" on a tiny drop; we report it ourselves


@dataclass(frozen=True)
class HMMParams:
    """A categorical HMM: startprob (S,), transmat (S, S), emissionprob (S, M)."""

    startprob: np.ndarray
    transmat: np.ndarray
    emissionprob: np.ndarray

    @property
    def n_states(self) -> int:
        return len(self.startprob)

    @property
    def n_symbols(self) -> int:
        return self.emissionprob.shape[1]

    def permuted(self, order: np.ndarray) -> HMMParams:
        """The same model with its states renumbered: new state i is old state order[i]."""
        o = np.asarray(order)
        return HMMParams(self.startprob[o], self.transmat[np.ix_(o, o)], self.emissionprob[o])


@dataclass(frozen=True)
class Preset:
    key: str
    states: tuple[str, ...]  # codes, translated under [mixtures_and_hmm.state]
    symbols: tuple[str, ...]  # codes, translated under [mixtures_and_hmm.symbol]
    params: HMMParams


PRESETS: dict[str, Preset] = {
    # After Durbin, Eddy, Krogh & Mitchison (1998), "Biological sequence analysis", §3.2, with a
    # stickier croupier (swap 3% / 5% of the time instead of 5% / 10%): with Durbin's numbers
    # Viterbi is right on only ~80% of 2,000 rolls on average, which leaves little to see.
    "casino": Preset(
        "casino", ("fair", "loaded"), ("1", "2", "3", "4", "5", "6"),
        HMMParams(np.array([0.5, 0.5]),
                  np.array([[0.97, 0.03], [0.05, 0.95]]),
                  np.array([[1 / 6] * 6, [0.1, 0.1, 0.1, 0.1, 0.1, 0.5]])),
    ),
    # The weather is hidden; we only see what a friend did each day.
    "weather": Preset(
        "weather", ("sunny", "cloudy", "rainy"), ("walk", "bike", "shop", "read"),
        HMMParams(np.array([0.5, 0.3, 0.2]),
                  np.array([[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.2, 0.3, 0.5]]),
                  np.array([[0.45, 0.35, 0.15, 0.05], [0.25, 0.15, 0.35, 0.25], [0.05, 0.05, 0.30, 0.60]])),
    ),
}


# ---------------------------------------------------------------- validated editing

@dataclass(frozen=True)
class RowProblem:
    row: int  # 0-based
    kind: str  # "negative" | "not_finite" | "sum"
    total: float


def row_problems(M: np.ndarray) -> list[RowProblem]:
    """Rows of a probability table that are not distributions, and why."""
    M = np.atleast_2d(np.asarray(M, float))
    out = []
    for i, row in enumerate(M):
        if not np.isfinite(row).all():
            out.append(RowProblem(i, "not_finite", float("nan")))
        elif (row < 0).any():
            out.append(RowProblem(i, "negative", float(row.sum())))
        elif abs(row.sum() - 1) > SUM_TOL:
            out.append(RowProblem(i, "sum", float(row.sum())))
    return out


def normalise_rows(M: np.ndarray) -> np.ndarray:
    """Negative or missing entries become 0, then each row is divided by its sum.

    A row with nothing left becomes uniform.
    """
    M = np.atleast_2d(np.array(M, float))
    M = np.where(np.isfinite(M), M, 0.0).clip(min=0.0)
    sums = M.sum(axis=1, keepdims=True)
    uniform = np.full_like(M, 1.0 / M.shape[1])
    return np.where(sums > 0, M / np.where(sums > 0, sums, 1.0), uniform)


def validate(startprob, transmat, emissionprob) -> HMMParams:
    """Check shapes and that every row is a probability distribution."""
    start = np.asarray(startprob, float).reshape(-1)
    A = np.atleast_2d(np.asarray(transmat, float))
    B = np.atleast_2d(np.asarray(emissionprob, float))
    S = len(start)
    if A.shape != (S, S) or B.shape[0] != S or not 1 <= S <= MAX_STATES:
        raise InputError("hmm_bad_shape")
    for name, M in (("start", start[None]), ("transition", A), ("emission", B)):
        problems = row_problems(M)
        if problems:
            raise InputError("hmm_bad_rows", matrix=name, rows=", ".join(str(p.row + 1) for p in problems))
    return HMMParams(start, A, B)


def bounded_length(T) -> tuple[int, bool]:
    """(length to use, whether it was cut to MAX_T). A length below 1 is an error."""
    try:
        T = int(T)
    except (TypeError, ValueError):
        raise InputError("sequence_empty") from None
    if T < 1:
        raise InputError("sequence_empty")
    return min(T, MAX_T), T > MAX_T


# ---------------------------------------------------------------- hmmlearn models

def _categorical(params: HMMParams):
    from hmmlearn.hmm import CategoricalHMM

    m = CategoricalHMM(n_components=params.n_states, n_features=params.n_symbols, init_params="", params="")
    m.startprob_, m.transmat_, m.emissionprob_ = params.startprob, params.transmat, params.emissionprob
    return m


def ancestral_sample(params: HMMParams, T: int, seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
    """(observations (T,), hidden states (T,)), drawn by ancestral sampling."""
    T, _ = bounded_length(T)
    X, Z = _categorical(params).sample(T, random_state=child_seed(as_generator(seed)))
    return X[:, 0].astype(int), Z.astype(int)


def _obs(obs: np.ndarray, n_symbols: int) -> np.ndarray:
    obs = np.asarray(obs, int).reshape(-1)
    if len(obs) == 0:
        raise InputError("sequence_empty")
    if obs.min() < 0 or obs.max() >= n_symbols:
        raise InputError("hmm_bad_symbol", max=n_symbols - 1, n=n_symbols)
    return obs[:, None]


def viterbi(params: HMMParams, obs: np.ndarray) -> tuple[np.ndarray, float]:
    """The single most probable hidden path, and its log-probability log p(z*, x)."""
    logprob, states = _categorical(params).decode(_obs(obs, params.n_symbols), algorithm="viterbi")
    return states.astype(int), float(logprob)


def posteriors(params: HMMParams, obs: np.ndarray) -> tuple[np.ndarray, float]:
    """Forward-backward: p(z_t = s | x_1..T) as (T, S), and log p(x_1..T)."""
    m = _categorical(params)
    X = _obs(obs, params.n_symbols)
    logprob, post = m.score_samples(X)
    return post, float(logprob)


def accuracy(decoded: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(np.asarray(decoded) == np.asarray(truth)))


# ---------------------------------------------------------------- learning: Baum-Welch

@dataclass(frozen=True)
class LearnedHMM:
    params: HMMParams  # states already matched to the true ones when a truth was given
    log_likelihood: np.ndarray  # log p(x_1..T) at each iteration (before its M-step)
    converged: bool
    order: np.ndarray  # learned state order[i] is shown in place i (see match_states)
    stopped_on_nan: bool = False


def match_states(true_emission: np.ndarray, learned_emission: np.ndarray) -> np.ndarray:
    """Hungarian algorithm on the L1 distance between emission rows (or between means).

    Returns ``order``: learned state ``order[i]`` is shown in place i. When there are at
    least as many learned states as true ones, place i is matched to true state i and the
    learned states left over come last. With fewer learned states, each takes the place
    of the true state it was matched to, in true-state order.
    """
    t = np.atleast_2d(true_emission)
    s = np.atleast_2d(learned_emission)
    cost = np.abs(t[:, None, :] - s[None, :, :]).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    order = list(cols[np.argsort(rows)])
    order += [j for j in range(len(s)) if j not in order]
    return np.array(order, int)


def matched_labels(true_emission: np.ndarray, learned_emission: np.ndarray) -> np.ndarray:
    """For each learned state, the true state it was matched to (−1 if none)."""
    t = np.atleast_2d(true_emission)
    s = np.atleast_2d(learned_emission)
    rows, cols = linear_sum_assignment(np.abs(t[:, None, :] - s[None, :, :]).sum(axis=2))
    label = np.full(len(s), -1)
    label[cols] = rows
    return label


def check_learnable(T: int, n_states: int) -> None:
    if not 1 <= n_states <= MAX_STATES:
        raise InputError("hmm_bad_states", k=n_states, max=MAX_STATES)
    if T < 1:
        raise InputError("sequence_empty")
    if n_states > T:
        raise InputError("more_states_than_data", k=n_states, n=T)


def _snapshot(m) -> HMMParams:
    return HMMParams(m.startprob_.copy(), m.transmat_.copy(), m.emissionprob_.copy())


def _restore(m, p: HMMParams) -> None:
    m.startprob_, m.transmat_, m.emissionprob_ = p.startprob.copy(), p.transmat.copy(), p.emissionprob.copy()


def _em_chunk(m, X: np.ndarray, n: int) -> np.ndarray:
    """Run ``n`` more Baum-Welch iterations from the model's current parameters.

    Returns log p(x) before each iteration's M-step; NaN or a broken model comes back as a
    non-finite entry so the caller can restore the last good parameters.
    """
    m.n_iter, m.init_params = n, ""
    m.monitor_.n_iter = n  # hmmlearn's monitor keeps the n_iter it was built with
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            m.fit(X)
        except ValueError:  # hmmlearn rejects a model whose rows became NaN
            return np.array([np.nan])
    hist = np.array(m.monitor_.history, float)
    ok = all(np.isfinite(a).all() for a in (m.startprob_, m.transmat_, m.emissionprob_))
    return hist if ok else np.r_[hist, np.nan]


class BaumWelch(Trainer):
    """Baum-Welch iterations of a CategoricalHMM, one per step, from its current parameters.

    ``history_`` is log p(x_1..T) before each iteration's M-step (the probes' included). Done when an
    iteration gains less than ``tol``; an iteration that produces NaN puts the last good parameters
    back and stops (``diverged_``).
    """

    report_every = 10

    def __init__(self, model, X: np.ndarray, history: list[float], tol: float) -> None:
        self.model, self._X, self.history_, self.tol = model, X, history, tol
        self.step_, self.diverged_, self.elapsed_ = len(history), False, 0.0
        self.converged_ = len(history) >= 2 and history[-1] - history[-2] < tol

    @property
    def done(self) -> bool:
        return self.diverged_ or self.converged_

    @property
    def n_params_(self) -> int:
        """Free numbers of π, A and B (each row sums to 1)."""
        S, M = self.model.n_components, self.model.n_features
        return (S - 1) + S * (S - 1) + S * (M - 1)

    def _train_step(self) -> bool:
        good = _snapshot(self.model)
        log_px = _em_chunk(self.model, self._X, 1)
        if not np.isfinite(log_px).all():
            _restore(self.model, good)
            self.history_ += [v for v in log_px if np.isfinite(v)]
            return False
        self.history_ += list(log_px)
        self.step_ += 1
        self.converged_ = self.history_[-1] - self.history_[-2] < self.tol
        return True

    def _metrics(self) -> dict[str, float]:
        return {"log_likelihood": self.history_[-1]} if self.history_ else {}


def baum_welch(obs: np.ndarray, n_states: int, n_symbols: int, seed: SeedLike = 0, n_iter: int = 200,
               tol: float = 1e-4, n_restarts: int = 3, probe_iter: int = 20, max_seconds: float = 4.0,
               true_emission: np.ndarray | None = None) -> LearnedHMM:
    """Fit a fresh CategoricalHMM to the observations alone.

    Each of ``n_restarts`` random starts gets ``probe_iter`` iterations; the best one then
    continues until the log-likelihood gains less than ``tol``, ``n_iter`` iterations in all,
    or ``max_seconds``. If an iteration produces NaN, learning stops and keeps the last good
    parameters. The learned states are matched to ``true_emission``'s if given.
    """
    from hmmlearn.hmm import CategoricalHMM

    obs = np.asarray(obs, int).reshape(-1)
    check_learnable(len(obs), n_states)
    X = _obs(obs, n_symbols)
    rng = as_generator(seed)
    start_time = time.perf_counter()
    freq = (np.bincount(obs, minlength=n_symbols) + 1.0) / (len(obs) + n_symbols)
    best = None
    for _ in range(n_restarts):
        # Start: uniform π, a "sticky" chain, and emissions scattered around the overall symbol
        # frequencies, so that every state starts out plausible and the states differ a little.
        m = CategoricalHMM(n_components=n_states, n_features=n_symbols, tol=tol,
                           random_state=child_seed(rng), init_params="", params="ste")
        m.startprob_ = np.full(n_states, 1.0 / n_states)
        m.transmat_ = regime_transmat(0.9, n_states) if n_states > 1 else np.ones((1, 1))
        m.emissionprob_ = np.stack([rng.dirichlet(20 * n_symbols * freq) for _ in range(n_states)])
        hist = _em_chunk(m, X, probe_iter)
        if np.isfinite(hist).all() and (best is None or hist[-1] > best[1][-1]):
            best = (m, hist)
    if best is None:
        raise InputError("training_diverged")
    m, hist = best
    trainer = BaumWelch(m, X, list(hist), tol)
    left = max_seconds - (time.perf_counter() - start_time)
    trainer.advance(Budget(max_steps=max(0, n_iter - len(hist)), max_seconds=max(0.0, left)))
    history, converged, stopped = trainer.history_, trainer.converged_, trainer.diverged_
    params = _snapshot(m)
    order = np.arange(n_states) if true_emission is None else match_states(true_emission, params.emissionprob)
    return LearnedHMM(params.permuted(order), np.array(history), bool(converged), order, stopped)


# ---------------------------------------------------------------- Gaussian emissions: regime switching

@dataclass(frozen=True)
class RegimeSignal:
    """A 1D signal whose mean and spread switch with a hidden Markov regime."""

    x: np.ndarray  # (T,)
    z: np.ndarray  # (T,) true regime
    means: np.ndarray
    stds: np.ndarray
    transmat: np.ndarray


REGIME_CODES = ("low", "middle", "high")
REGIME_MEANS = np.array([-2.0, 0.0, 2.0])
REGIME_STDS = np.array([0.6, 0.8, 0.7])


def regime_transmat(stay: float, n: int = 3) -> np.ndarray:
    """Stay with probability ``stay``, otherwise move to one of the other regimes at random."""
    A = np.full((n, n), (1 - stay) / (n - 1))
    np.fill_diagonal(A, stay)
    return A


def regime_signal(T: int, stay: float = 0.95, spread: float = 1.0, seed: SeedLike = 0) -> RegimeSignal:
    """Sample a regime-switching signal with three regimes (low, middle, high): a uniform first regime, the chain
    ``regime_transmat(stay)``, and x_t ~ N(μ_{z_t}, σ_{z_t}²). Drawn here, not by hmmlearn's ``sample``, which
    takes a Python step with its checks per time step (~0.2 s for 600 points, most of a "stay" move)."""
    T, _ = bounded_length(T)
    if not 0 <= stay < 1:
        raise InputError("hmm_bad_stay")
    A = regime_transmat(stay)
    stds = REGIME_STDS * float(spread)
    rng = as_generator(child_seed(as_generator(seed)))
    z = markov_chain(np.full(3, 1 / 3), A, T, rng)
    x = REGIME_MEANS[z] + stds[z] * rng.standard_normal(T)
    return RegimeSignal(x, z, REGIME_MEANS.copy(), stds, A)


def markov_chain(start: np.ndarray, A: np.ndarray, T: int, rng: np.random.Generator) -> np.ndarray:
    """T states of the chain (start, A), by inverse CDF on one uniform per step (a plain loop of lookups: ~1 µs a
    step)."""
    u = rng.random(T).tolist()
    cum = np.cumsum(A, axis=1)
    cum[:, -1] = 1.0  # rounding: a u just below 1 always finds a state
    rows = cum.tolist()
    z = [min(int(np.searchsorted(np.cumsum(start), u[0], side="right")), len(start) - 1)]
    for ut in u[1:]:
        row, s = rows[z[-1]], 0
        while ut >= row[s]:
            s += 1
        z.append(s)
    return np.array(z, dtype=int)


@dataclass(frozen=True)
class RegimeFit:
    """A Gaussian HMM and a plain Gaussian mixture fitted to the same signal, states matched."""

    hmm_means: np.ndarray
    hmm_stds: np.ndarray
    hmm_weights: np.ndarray  # the stationary distribution of the learned chain
    hmm_transmat: np.ndarray
    hmm_states: np.ndarray  # Viterbi path
    hmm_accuracy: float
    hmm_log_likelihood: np.ndarray
    gmm_means: np.ndarray
    gmm_stds: np.ndarray
    gmm_weights: np.ndarray
    gmm_states: np.ndarray  # most responsible component per point, ignoring time
    gmm_accuracy: float


def stationary(A: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eig(A.T)
    v = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
    v = np.abs(v)
    return v / v.sum()


def fit_regimes(signal: RegimeSignal, n_states: int = 3, seed: SeedLike = 0, n_iter: int = 200) -> RegimeFit:
    """Baum-Welch for a Gaussian HMM, and EM for a mixture that ignores the order of time."""
    from hmmlearn.hmm import GaussianHMM

    from engine.families import mixture

    x = np.asarray(signal.x, float)
    check_learnable(len(x), n_states)
    if n_states > len(np.unique(x)):
        raise InputError("more_states_than_data", k=n_states, n=len(np.unique(x)))
    rng = as_generator(seed)
    X = x[:, None]
    # Start from k-means on the values (as hmmlearn would), with a "sticky" chain.
    labels = mixture.kmeans(X, n_states, rng)
    m = GaussianHMM(n_components=n_states, covariance_type="diag", n_iter=n_iter, tol=1e-4,
                    random_state=child_seed(rng), min_covar=1e-3, init_params="", params="stmc")
    m.startprob_ = np.full(n_states, 1.0 / n_states)
    m.transmat_ = regime_transmat(0.9, n_states) if n_states > 1 else np.ones((1, 1))
    m.means_ = np.array([[X[labels == k, 0].mean()] for k in range(n_states)])
    m.covars_ = np.array([[max(X[labels == k, 0].var(), 1e-2)] for k in range(n_states)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(X)
    hist = np.array(m.monitor_.history, float)
    if not np.isfinite(hist).all() or not np.isfinite(m.means_).all():
        raise InputError("training_diverged")
    order = match_states(signal.means[:, None], m.means_)
    means, stds = m.means_[order, 0], np.sqrt(m.covars_[order, 0, 0])
    A = m.transmat_[np.ix_(order, order)]
    raw_states = m.predict(X)
    hmm_states = np.argsort(order)[raw_states]  # in display order
    hmm_truth_label = matched_labels(signal.means[:, None], m.means_)[raw_states]

    gm = mixture.fit_em(X, n_states, "diag", "kmeans", child_seed(rng), max_iter=200).final
    g_order = match_states(signal.means[:, None], gm.means)
    g_raw = mixture.predict_proba(X, gm).argmax(axis=1)
    gmm_states = np.argsort(g_order)[g_raw]
    gmm_truth_label = matched_labels(signal.means[:, None], gm.means)[g_raw]
    return RegimeFit(
        means, stds, stationary(A), A, hmm_states, accuracy(hmm_truth_label, signal.z), hist,
        gm.means[g_order, 0], np.sqrt(gm.covariances[g_order, 0]), gm.weights[g_order], gmm_states,
        accuracy(gmm_truth_label, signal.z),
    )
