"""Engine tests for page 2: Gaussian mixtures by EM, and hidden Markov models."""

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.mixture import GaussianMixture

from engine.core.errors import InputError
from engine.data import points
from engine.families import hmm, mixture

# ---------------------------------------------------------------- EM for a Gaussian mixture


@pytest.mark.parametrize("cov", mixture.COVARIANCE_TYPES)
@pytest.mark.parametrize("init", mixture.INITS)
@pytest.mark.parametrize("name", ["moons", "blobs", "checkerboard"])
def test_em_log_likelihood_never_decreases(cov, init, name):
    X = points.make_dataset(name, 500, None, seed=1).X
    h = mixture.fit_em(X, 5, cov, init, seed=2, max_iter=60)
    assert h.n_iter >= 1
    assert np.all(np.diff(h.objective) >= -1e-12), "penalised objective decreased"
    assert np.all(np.diff(h.log_likelihood) >= -1e-9), "log-likelihood decreased"
    assert len(h.params) == len(h.resp) == len(h.log_likelihood)
    # Responsibilities are distributions over components.
    np.testing.assert_allclose(h.resp[-1].sum(axis=1), 1.0, atol=1e-9)


def test_em_improves_on_its_start_and_matches_sklearn():
    X = points.make_dataset("blobs", 600, None, seed=0).X
    start = mixture.fit_em(X, 3, "full", "random", seed=0)
    assert start.log_likelihood[-1] > start.log_likelihood[0] + 0.1  # a random start is clearly worse
    h = mixture.fit_em(X, 3, "full", "kmeans", seed=0)
    sk = GaussianMixture(3, covariance_type="full", random_state=0, n_init=3).fit(X)
    assert h.log_likelihood[-1] == pytest.approx(sk.score(X), abs=0.01)
    # Local optima: some random starts end clearly below the k-means start's optimum.
    finals = [mixture.fit_em(X, 3, "full", "random", seed=s).log_likelihood[-1] for s in range(6)]
    assert min(finals) < h.log_likelihood[-1] - 0.05
    assert max(finals) == pytest.approx(h.log_likelihood[-1], abs=0.01)


@pytest.mark.parametrize("cov", mixture.COVARIANCE_TYPES)
def test_covariance_types_have_their_shapes(cov):
    X = points.make_dataset("blobs", 300, None, seed=0).X
    p = mixture.fit_em(X, 3, cov, "kmeans", seed=0).final
    expected = {"full": (3, 2, 2), "tied": (2, 2), "diag": (3, 2), "spherical": (3,)}[cov]
    assert p.covariances.shape == expected
    full = p.full_covariances()
    assert full.shape == (3, 2, 2)
    if cov == "tied":
        np.testing.assert_allclose(full[0], full[2])
    if cov in ("diag", "spherical"):
        assert np.allclose(full[:, 0, 1], 0)
    if cov == "spherical":
        np.testing.assert_allclose(full[:, 0, 0], full[:, 1, 1])


def test_bic_picks_three_components_on_three_blobs():
    X = points.make_dataset("blobs", 600, 0.45, seed=0).X
    sel = mixture.select_components(X, covariance_type="full", seed=0)
    assert sel.best_bic == 3
    # By default the scan covers every K the page's slider offers (it once stopped at 8 of 10).
    assert list(sel.ks) == list(range(1, mixture.MAX_COMPONENTS + 1))
    # More components always fit the training data at least about as well...
    assert sel.log_likelihood[2] > sel.log_likelihood[0] + 100
    # ...but BIC's penalty makes 8 or 10 components worse than 3.
    assert sel.bic[7] > sel.bic[2] and sel.bic[-1] > sel.bic[2]
    # Fewer distinct points than MAX_COMPONENTS: the scan stops there.
    assert list(mixture.select_components(X[:4], seed=0).ks) == [1, 2, 3, 4]


def test_sampling_follows_the_mixture():
    params = mixture.MixtureParams(np.array([0.25, 0.75]), np.array([[-3.0, 0.0], [3.0, 1.0]]),
                                    np.array([0.5, 0.1]), "spherical")
    X, z = mixture.ancestral_sample(params, 4000, seed=0)
    assert abs(z.mean() - 0.75) < 0.03
    np.testing.assert_allclose(X[z == 1].mean(axis=0), [3.0, 1.0], atol=0.05)
    np.testing.assert_allclose(X[z == 0].var(axis=0), [0.5, 0.5], rtol=0.15)
    # score_samples is a proper log-density: it integrates to ~1 over a fine grid.
    xs, ys, pts = points.grid((-8, 8, -6, 7), 260)
    mass = np.exp(mixture.score_samples(pts, params)).sum() * (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert mass == pytest.approx(1.0, abs=0.01)


def test_held_out_log_likelihood_prefers_a_sensible_model():
    X = points.make_dataset("moons", 800, None, seed=0).X
    one = mixture.fit_view(X, 1, "full", "kmeans", 0)
    many = mixture.fit_view(X, 8, "full", "kmeans", 0)
    assert many.test_log_px > one.test_log_px + 0.2
    assert len(one.train_X) == 600 and len(one.test_X) == 200


def test_bad_mixture_input_gives_input_errors():
    X = np.random.default_rng(0).normal(size=(5, 2))
    with pytest.raises(InputError) as e:
        mixture.fit_em(X, 6)
    assert e.value.code == "more_components_than_points"
    dup = np.r_[np.zeros((20, 2)), np.ones((20, 2))]
    with pytest.raises(InputError) as e:
        mixture.fit_em(dup, 3)
    assert e.value.code == "more_components_than_distinct"
    with pytest.raises(InputError):
        mixture.fit_em(X, 2, "banana")


def test_degenerate_data_on_a_line_still_fits():
    t = np.linspace(-2, 2, 200)
    X = np.c_[t, 0.5 * t]  # every point on one line: a singular covariance without the penalty
    for cov in mixture.COVARIANCE_TYPES:
        h = mixture.fit_em(X, 3, cov, "kmeans", seed=0)
        assert np.isfinite(h.log_likelihood).all()
        assert np.all(np.diff(h.objective) >= -1e-12)


# ---------------------------------------------------------------- hidden Markov models

CASINO = hmm.PRESETS["casino"]


def test_presets_are_valid_distributions():
    for preset in hmm.PRESETS.values():
        p = preset.params
        hmm.validate(p.startprob, p.transmat, p.emissionprob)
        assert p.emissionprob.shape == (len(preset.states), len(preset.symbols))
        assert 2 <= p.n_states <= 3


def test_viterbi_on_the_casino_is_at_least_80_percent_right():
    for seed in (0, 1, 2):
        x, z = hmm.ancestral_sample(CASINO.params, 2000, seed)
        assert len(x) == 2000 and set(np.unique(x)) <= set(range(6))
        states, logprob = hmm.viterbi(CASINO.params, x)
        assert hmm.accuracy(states, z) >= 0.80
        post, loglik = hmm.posteriors(CASINO.params, x)
        np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-9)
        assert logprob <= loglik  # one path is never more probable than all paths together
        # Posterior decoding is right at least about as often as Viterbi.
        assert hmm.accuracy(post.argmax(axis=1), z) >= hmm.accuracy(states, z) - 0.02


def text_recursions(params: hmm.HMMParams, x: np.ndarray) -> dict:
    """Viterbi, forward-backward and Baum-Welch's γ, ξ and M-step exactly as hmm.md writes them,
    in log space (log-sum-exp for Σ, + for ×) as the text says the code computes them."""
    with np.errstate(divide="ignore"):
        log_pi, log_A, log_B = np.log(params.startprob), np.log(params.transmat), np.log(params.emissionprob)
    log_b = log_B[:, x].T  # log B_j(x_t), (T, S)
    T, S = log_b.shape
    log_alpha, log_delta, log_beta = np.empty((T, S)), np.empty((T, S)), np.zeros((T, S))  # log β_T = log 1
    log_alpha[0] = log_delta[0] = log_pi + log_b[0]  # α₁(j) = δ₁(j) = π_j B_j(x₁)
    for t in range(1, T):
        log_alpha[t] = logsumexp(log_alpha[t - 1][:, None] + log_A, axis=0) + log_b[t]
        log_delta[t] = (log_delta[t - 1][:, None] + log_A).max(axis=0) + log_b[t]
    for t in range(T - 2, -1, -1):
        log_beta[t] = logsumexp(log_A + log_b[t + 1] + log_beta[t + 1], axis=1)
    path = np.empty(T, int)
    path[-1] = log_delta[-1].argmax()
    for t in range(T - 2, -1, -1):  # z*_t = argmax_i δ_t(i) A_{i z*_{t+1}}
        path[t] = (log_delta[t] + log_A[:, path[t + 1]]).argmax()
    log_px = logsumexp(log_alpha[-1])
    gamma = np.exp(log_alpha + log_beta - log_px)
    xi = np.exp(log_alpha[:-1, :, None] + log_A[None] + (log_b[1:] + log_beta[1:])[:, None, :] - log_px)  # t = 1..T−1
    B = np.stack([gamma[x == k].sum(axis=0) for k in range(params.n_symbols)], axis=1) / gamma.sum(axis=0)[:, None]
    return dict(log_px=log_px, path=path, log_p_path=log_delta[-1].max(), gamma=gamma, xi=xi,
                startprob=gamma[0], transmat=xi.sum(axis=0) / gamma[:-1].sum(axis=0)[:, None], emissionprob=B)


@pytest.mark.parametrize("preset", list(hmm.PRESETS))
def test_decoding_follows_the_recursions_in_the_text(preset):
    params = hmm.PRESETS[preset].params
    x, _ = hmm.ancestral_sample(params, 2000, 0)
    ours = text_recursions(params, x)
    path, log_p_path = hmm.viterbi(params, x)
    np.testing.assert_array_equal(path, ours["path"])
    assert log_p_path == pytest.approx(ours["log_p_path"], abs=1e-6)
    post, log_px = hmm.posteriors(params, x)
    assert log_px == pytest.approx(ours["log_px"], abs=1e-6)
    np.testing.assert_allclose(post, ours["gamma"], atol=1e-9)
    np.testing.assert_allclose(ours["xi"].sum(axis=2), ours["gamma"][:-1], atol=1e-9)  # Σ_j ξ_t(i, j) = γ_t(i)


def test_the_plain_recursion_underflows_where_the_text_says():
    """hmm.md: "after about 430 rolls the recursion, computed as written, gives exactly 0"; the log-space code does not."""
    for seed in range(3):
        x, _ = hmm.ancestral_sample(CASINO.params, 1000, seed)
        alpha = CASINO.params.startprob * CASINO.params.emissionprob[:, x[0]]
        for t in range(1, len(x)):
            alpha = (alpha @ CASINO.params.transmat) * CASINO.params.emissionprob[:, x[t]]
            if not alpha.any():
                break
        assert 380 <= t + 1 <= 480, t + 1
        log_px = hmm.posteriors(CASINO.params, x)[1]
        assert np.isfinite(log_px) and -1.8 < log_px / len(x) < -1.65  # "about e^−1.7 per roll"


def test_baum_welch_ends_at_a_fixed_point_of_the_m_step_in_the_text():
    """The M-step formulas of hmm.md, applied to what Baum-Welch learned, give back the same model;
    a wrong normalisation (Σ over all T steps for A) would be visibly off."""
    x, _ = hmm.ancestral_sample(CASINO.params, 2000, 0)
    learned = hmm.baum_welch(x, 2, 6, seed=0, n_iter=2000, tol=1e-8, max_seconds=60)
    assert learned.converged
    ours = text_recursions(learned.params, x)
    for name in ("startprob", "transmat", "emissionprob"):
        np.testing.assert_allclose(ours[name], getattr(learned.params, name), atol=1e-5, err_msg=name)
    wrong = ours["xi"].sum(axis=0) / ours["gamma"].sum(axis=0)[:, None]
    assert np.abs(wrong - learned.params.transmat).max() > 1e-4


def test_bad_symbol_error_names_the_valid_range():
    n = CASINO.params.n_symbols  # six faces, coded 0..5
    hmm.viterbi(CASINO.params, np.array([0, n - 1]))  # both ends are valid
    for bad in (n, -1):
        with pytest.raises(InputError) as e:
            hmm.viterbi(CASINO.params, np.array([0, bad]))
        assert e.value.code == "hmm_bad_symbol" and e.value.params == {"max": n - 1, "n": n}


def test_baum_welch_recovers_the_loaded_six():
    six = []
    for seed in range(5):
        x, _ = hmm.ancestral_sample(CASINO.params, 2000, seed)
        learned = hmm.baum_welch(x, 2, 6, seed, true_emission=CASINO.params.emissionprob)
        h = learned.log_likelihood
        assert np.all(np.diff(h) >= -1e-6), "Baum-Welch's log-likelihood decreased"
        six.append(learned.params.emissionprob[1, 5])
        if seed == 0:
            assert abs(six[-1] - 0.5) <= 0.05
            fair = learned.params.emissionprob[0]
            assert np.abs(fair - 1 / 6).max() < 0.05
    assert abs(np.median(six) - 0.5) <= 0.03


def test_state_matching_undoes_label_switching():
    B = CASINO.params.emissionprob
    swapped = CASINO.params.permuted([1, 0])
    order = hmm.match_states(B, swapped.emissionprob)
    assert list(order) == [1, 0]
    np.testing.assert_allclose(swapped.permuted(order).emissionprob, B)
    assert list(hmm.matched_labels(B, swapped.emissionprob)) == [1, 0]


def test_matrix_validation_and_normalising():
    bad = np.array([[0.5, 0.6], [-0.1, 1.1]])
    kinds = [(p.row, p.kind) for p in hmm.row_problems(bad)]
    assert kinds == [(0, "sum"), (1, "negative")]
    fixed = hmm.normalise_rows(bad)
    np.testing.assert_allclose(fixed, [[0.5 / 1.1, 0.6 / 1.1], [0.0, 1.0]])
    np.testing.assert_allclose(hmm.normalise_rows([[0, 0, 0]]), [[1 / 3] * 3])
    with pytest.raises(InputError) as e:
        hmm.validate([0.5, 0.5], bad, CASINO.params.emissionprob)
    assert e.value.code == "hmm_bad_rows" and e.value.params["rows"] == "1, 2"


def test_lengths_are_bounded():
    with pytest.raises(InputError) as e:
        hmm.ancestral_sample(CASINO.params, 0)
    assert e.value.code == "sequence_empty"
    assert hmm.bounded_length(10**7) == (hmm.MAX_T, True)
    x, _ = hmm.ancestral_sample(CASINO.params, 10**7, 0)
    assert len(x) == hmm.MAX_T
    with pytest.raises(InputError) as e:
        hmm.baum_welch(np.array([0, 1]), 3, 6)
    assert e.value.code == "more_states_than_data"


def test_the_regime_signal_follows_its_chain_and_its_regimes():
    """The sampler the page draws with (its own, not hmmlearn's per-step loop): transitions at the chain's rates, a
    fixed start respected, and each regime's values at its mean and spread."""
    A = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.0, 0.5, 0.5]])
    z = hmm.markov_chain(np.array([0.0, 1.0, 0.0]), A, 30_000, np.random.default_rng(0))
    assert z[0] == 1 and set(np.unique(z)) == {0, 1, 2}
    counts = np.zeros((3, 3))
    np.add.at(counts, (z[:-1], z[1:]), 1)
    np.testing.assert_allclose(counts / counts.sum(axis=1, keepdims=True), A, atol=0.02)
    signal = hmm.regime_signal(hmm.MAX_T, stay=0.9, spread=2.0, seed=3)
    for k in range(3):
        x = signal.x[signal.z == k]
        assert abs(x.mean() - hmm.REGIME_MEANS[k]) < 0.1 and abs(x.std() - 2.0 * hmm.REGIME_STDS[k]) < 0.1
    assert np.mean(signal.z[1:] == signal.z[:-1]) == pytest.approx(0.9, abs=0.02)
    again = hmm.regime_signal(hmm.MAX_T, stay=0.9, spread=2.0, seed=3)
    assert np.array_equal(again.x, signal.x)  # a seed gives the same signal


def test_gaussian_hmm_beats_a_mixture_that_ignores_time():
    signal = hmm.regime_signal(600, stay=0.95, spread=1.5, seed=0)
    fit = hmm.fit_regimes(signal, 3, seed=0)
    np.testing.assert_allclose(fit.hmm_means, hmm.REGIME_MEANS, atol=0.25)
    assert fit.hmm_accuracy >= 0.9
    assert fit.hmm_accuracy > fit.gmm_accuracy + 0.1
    assert np.all(np.diff(fit.hmm_log_likelihood) >= -1e-6)
    np.testing.assert_allclose(fit.hmm_weights.sum(), 1.0)


def test_baum_welch_stops_on_nan_and_keeps_the_last_good_model(monkeypatch):
    x, _ = hmm.ancestral_sample(CASINO.params, 500, 0)
    real = hmm._em_chunk
    calls = {"n": 0}

    def breaking(m, X, n):
        calls["n"] += 1
        if calls["n"] <= 3:  # the three probes run normally
            return real(m, X, n)
        m.emissionprob_ = np.full_like(m.emissionprob_, np.nan)
        return np.array([np.nan])

    monkeypatch.setattr(hmm, "_em_chunk", breaking)
    learned = hmm.baum_welch(x, 2, 6, seed=0, tol=0.0)
    assert learned.stopped_on_nan and not learned.converged
    assert np.isfinite(learned.params.emissionprob).all()
    np.testing.assert_allclose(learned.params.emissionprob.sum(axis=1), 1.0)
    assert len(learned.log_likelihood) == 20 and np.isfinite(learned.log_likelihood).all()


def test_baum_welch_respects_its_time_budget():
    x, _ = hmm.ancestral_sample(hmm.PRESETS["weather"].params, 3000, 0)
    learned = hmm.baum_welch(x, 6, 4, seed=0, max_seconds=0.0)  # only the probes run
    assert len(learned.log_likelihood) == 20
    assert np.isfinite(learned.params.transmat).all()


def test_em_stops_on_nan_and_keeps_the_last_good_parameters(monkeypatch):
    X = points.make_dataset("blobs", 300, None, seed=0).X
    real = mixture.m_step
    calls = {"n": 0}

    def breaking(X, resp, cov, eps):
        calls["n"] += 1
        p = real(X, resp, cov, eps)
        if calls["n"] == 5:  # (a random start makes no M-step) the 5th M-step goes wrong
            return mixture.MixtureParams(p.weights, p.means * np.nan, p.covariances, cov)
        return p

    monkeypatch.setattr(mixture, "m_step", breaking)
    h = mixture.fit_em(X, 3, "full", "random", seed=0, tol=0.0)
    assert h.stopped_on_nan and h.n_iter == 4  # parameters 0..4 were good
    assert np.isfinite(h.final.means).all() and np.isfinite(h.log_likelihood).all()
