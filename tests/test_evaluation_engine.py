"""The evaluation metrics on cases with known answers, the dialled 2D generator, and the shipped digits data."""

import numpy as np
import pytest
from scipy.linalg import sqrtm
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

from engine import metrics
from engine.data import points
from engine.core.errors import InputError
from engine.evaluation import leaderboard as lb
from engine.evaluation import plane
from engine.evaluation import scorecard as sc


def gauss(n, d=2, shift=0.0, scale=1.0, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)) * scale + shift


@pytest.fixture(scope="module")
def ring():
    ds = points.make_dataset("ring8", 800, None, seed=0)
    return plane.prepare(ds.X, ds.y, seed=0)


def card(setup, dials, seed=1, k=5):
    ref = sc.reference(setup.held_out)
    gen = plane.generate(setup, dials, len(setup.held_out), seed)
    return sc.scorecard(ref, gen.points, k=k, train=setup.train)


# ---------------------------------------------------------------- known answers

def test_identical_sets_score_perfectly():
    X = gauss(400)
    p = metrics.prdc(X, X.copy(), k=5)
    assert p.precision == p.recall == p.coverage == 1.0
    assert metrics.fid(X, X.copy()).value == pytest.approx(0.0, abs=1e-9)
    # the unbiased MMD² of a set with itself is (2/n)(mean off-diagonal kernel − k(x, x)): a hair below 0
    assert -0.03 < metrics.mmd2(X, X.copy()) <= 0.0
    assert sc.identical(X, X[::-1]) and not sc.identical(X, X + 1e-9)


def test_mmd2_float32_blocks_match_a_float64_computation():
    X, Y = gauss(300, seed=1), gauss(250, shift=0.3, seed=2)
    def k(A, B):
        d = cdist(A, B, "sqeuclidean")
        return sum(np.exp(-d / (2 * h * h)) for h in metrics.MMD_BANDWIDTHS)
    kxx, kyy, kxy = k(X, X), k(Y, Y), k(X, Y)
    direct = ((kxx.sum() - np.trace(kxx)) / (300 * 299) + (kyy.sum() - np.trace(kyy)) / (250 * 249) - 2 * kxy.mean())
    assert metrics.mmd2(X, Y) == pytest.approx(direct, abs=1e-9)
    assert metrics.mmd2(X, Y, xx=metrics.within_kernel_mean(X)) == metrics.mmd2(X, Y)


def test_frechet_distance_matches_the_closed_form_and_scipy():
    rng = np.random.default_rng(0)
    # diagonal covariances: W2² = ‖μ1 − μ2‖² + Σ (σ1 − σ2)²
    s1, s2 = np.array([1.0, 2.0, 0.5]), np.array([0.5, 1.0, 1.5])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    m, c = metrics.frechet_distance(mu1, np.diag(s1**2), mu2, np.diag(s2**2))
    assert m + c == pytest.approx(((mu1 - mu2) ** 2).sum() + ((s1 - s2) ** 2).sum(), rel=1e-10)
    # full covariances: the same as scipy's matrix square root of Σ1 Σ2
    A, B = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    S1, S2 = A @ A.T + np.eye(5), B @ B.T + 0.1 * np.eye(5)
    expected = np.trace(S1) + np.trace(S2) - 2 * np.trace(sqrtm(S1 @ S2)).real
    assert metrics.frechet_distance(np.zeros(5), S1, np.zeros(5), S2)[1] == pytest.approx(expected, rel=1e-8)


def test_fid_from_gaussian_samples_converges_to_the_closed_form():
    d, n = 4, 40_000
    s1, s2 = np.array([1.0, 1.0, 2.0, 0.5]), np.array([1.5, 1.0, 1.0, 0.5])
    X = gauss(n, d, shift=0.0, scale=s1, seed=3)
    Y = gauss(n, d, shift=[0.5, 0, 0, 0], scale=s2, seed=4)
    truth = 0.25 + ((s1 - s2) ** 2).sum()  # 0.25 + 0.25 + 1 = 1.5
    f = metrics.fid(X, Y)
    assert not f.regularised
    assert f.value == pytest.approx(truth, abs=0.03)
    assert f.mean_term == pytest.approx(0.25, abs=0.02)


def test_singular_covariance_is_regularised_and_said():
    X, Y = gauss(500, d=32, seed=0), gauss(20, d=32, seed=1)  # 20 samples: rank ≤ 19 < 32
    f = metrics.fid(X, Y)
    assert f.regularised and f.rank_fake <= 19 and f.eps > 0
    assert np.isfinite(f.value) and f.value > metrics.fid(X, gauss(500, d=32, seed=2)).value


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_gap():
    X = gauss(400, d=8, seed=0)
    same = metrics.kid(X, gauss(400, d=8, seed=1))
    far = metrics.kid(X, gauss(400, d=8, shift=0.5, seed=2))
    assert abs(same.value) < 3 * same.std + 1e-3 < far.value


def test_inception_score_bounds():
    onehot = np.eye(10)[np.arange(1000) % 10]
    assert metrics.inception_score(onehot) == pytest.approx(10.0, rel=1e-6)  # confident and balanced
    assert metrics.inception_score(np.eye(10)[np.zeros(1000, int)]) == pytest.approx(1.0)  # one class only
    assert metrics.inception_score(np.full((100, 10), 0.1)) == pytest.approx(1.0)  # never confident


def test_diversity_is_zero_for_one_sample_repeated():
    F = gauss(200, d=16)
    assert metrics.diversity(np.repeat(F[:1], 50, axis=0)) == pytest.approx(0.0, abs=1e-12)
    assert 1.8 < metrics.diversity(F) < 2.2  # random directions in 16D are nearly orthogonal: ‖a − b‖² ≈ 2


def test_parzen_matches_a_direct_log_sum_exp():
    Y, X = gauss(300, seed=5), gauss(50, seed=6)
    h = 0.3
    direct = logsumexp(-cdist(X, Y, "sqeuclidean") / (2 * h * h), axis=1) - np.log(300) - np.log(2 * np.pi * h * h)
    assert np.allclose(metrics.parzen_log_likelihood(Y, X, h), direct, atol=1e-5)


def test_too_few_points_for_k_is_a_clear_error():
    with pytest.raises(InputError) as err:
        metrics.prdc(gauss(5), gauss(50), k=5)
    assert err.value.code == "too_few_for_k" and err.value.params == {"n": 5, "k": 5}
    ref = sc.reference(gauss(30))
    with pytest.raises(InputError):
        sc.prdc(ref, gauss(4), k=5)


def test_ball_union_draws_a_disc_of_the_right_area():
    img = plane.ball_union(np.array([[0.0, 0.0]]), np.array([1.0]), (-2, 2, -2, 2), resolution=201)
    cell = 4 / 200
    assert img.sum() * cell * cell == pytest.approx(np.pi, rel=0.02)
    assert img[100, 100] and not img[0, 0]


# ---------------------------------------------------------------- the dialled generator: each failure and who sees it

def test_honest_generator_is_good_and_raises_no_alarm(ring):
    c = card(ring, plane.Dials())
    assert c.precision > 0.9 and c.recall > 0.9 and c.coverage > 0.9
    assert not c.copy.alarm


def test_dropping_half_the_modes_lowers_recall_and_coverage_not_precision(ring):
    honest, dropped = card(ring, plane.Dials()), card(ring, plane.Dials(modes_kept=4))
    assert dropped.recall < honest.recall - 0.3 and dropped.coverage < honest.coverage - 0.3
    assert dropped.precision > honest.precision - 0.03
    assert dropped.mmd2 > honest.mmd2 + 0.1


def test_blurring_lowers_precision(ring):
    honest, blurred = card(ring, plane.Dials()), card(ring, plane.Dials(blur=0.2))
    assert blurred.precision < honest.precision - 0.5
    assert blurred.recall >= honest.recall - 0.02


def test_shrinking_raises_precision_and_lowers_recall(ring):
    honest, shrunk = card(ring, plane.Dials()), card(ring, plane.Dials(shrink=0.8))
    assert shrunk.precision >= honest.precision and shrunk.density > honest.density
    assert shrunk.recall < honest.recall - 0.3


def test_copying_fires_the_detector_while_quality_metrics_stay_perfect(ring):
    honest, copier = card(ring, plane.Dials()), card(ring, plane.Dials(copy=1.0))
    assert copier.copy.alarm and copier.copy.share == 1.0 and not honest.copy.alarm
    for name in ("precision", "recall", "coverage"):
        assert getattr(copier, name) > 0.9  # copies of real data look like real data
    assert abs(copier.mmd2) < 0.02
    # the alarm rises with the copy dial: silent at 0, firing at 10%
    assert not card(ring, plane.Dials(copy=0.0)).copy.alarm and card(ring, plane.Dials(copy=0.1)).copy.alarm


def test_generator_is_reproducible_and_dials_do_not_reshuffle_each_other(ring):
    a = plane.generate(ring, plane.Dials(blur=0.1), 300, seed=7).points
    b = plane.generate(ring, plane.Dials(blur=0.1), 300, seed=7).points
    assert np.array_equal(a, b)
    shifted = plane.generate(ring, plane.Dials(blur=0.1, shift=0.5), 300, seed=7).points
    assert np.allclose(shifted - a, [0.5, 0.0])


def test_failure_table_marks_what_each_metric_catches(ring):
    t = plane.failure_table(ring)
    assert t.caught["drop"]["recall"] and not t.caught["drop"]["precision"]
    assert t.caught["blur"]["precision"]
    assert t.caught["copy"]["copy_share"] and not any(t.caught["copy"][m] for m in ("precision", "recall", "mmd2"))


def test_one_class_data_gets_cluster_modes_and_tiny_data_is_refused():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    s = plane.prepare(X, np.zeros(200, int), seed=0)
    assert not s.modes_are_classes and s.n_modes == plane.N_CLUSTER_MODES
    with pytest.raises(InputError):
        plane.prepare(X[:5], np.zeros(5, int))


# ---------------------------------------------------------------- the digits leaderboard from shipped files

@pytest.fixture(scope="module")
def board():
    return {r.source: r for r in lb.leaderboard()}


def test_shipped_arrays_are_plain_numbers_with_checksums():
    data = lb.shipped()
    assert set(data.images) == set(lb.SOURCES)
    assert all(len(data.images[s]) >= lb.N_TABLE for s in lb.SOURCES)
    assert data.reference_features.shape == (447, 32)


def test_leaderboard_ranks_what_it_should(board):
    fid = {s: r.fid.value for s, r in board.items()}
    assert fid["noise"] == max(fid.values())
    assert fid["train"] < fid["vae"] and fid["held_out"] < fid["vq_vae"]
    # the memoriser is caught only by the copy column; real held-out digits raise no alarm
    assert board["train"].copy.alarm and not board["held_out"].copy.alarm
    assert not any(board[g].copy.alarm for g in lb.GENERATORS)
    # the Inception Score ignores diversity: ten digits repeated score close to real digits, with no recall
    assert board["ten_digits"].inception_score > 0.9 * board["held_out"].inception_score
    assert board["ten_digits"].prdc.recall < 0.05


def test_fid_decreases_with_n_and_extrapolates_below_its_last_value():
    c = lb.fid_curve("gan")
    assert c.mean[0] > 3 * c.mean[-1]
    assert c.regularised[c.ns <= 32].all() and not c.regularised[c.ns > 33].any()
    assert 0 < c.fid_inf < c.mean[-1]


def test_crossing_finds_where_two_curves_swap():
    a = lb.FidCurve("a", np.array([10, 100, 1000]), np.array([5.0, 2.0, 1.0]), np.zeros(3), np.zeros(3, bool), 0.9, 40)
    b = lb.FidCurve("b", np.array([10, 100, 1000]), np.array([4.0, 2.5, 2.0]), np.zeros(3), np.zeros(3, bool), 1.9, 20)
    n = lb.crossing(a, b)
    assert 10 < n < 100
    assert lb.order_around(a, b, n) == ("b", "a")
    # several flips (noise at small N): the last one is the one that counts
    w = lb.FidCurve("w", np.array([10, 20, 30, 100]), np.array([5.0, 3.0, 4.0, 1.0]), np.zeros(4), np.zeros(4, bool), 1, 1)
    v = lb.FidCurve("v", np.array([10, 20, 30, 100]), np.array([4.0, 3.5, 3.5, 2.0]), np.zeros(4), np.zeros(4, bool), 2, 1)
    assert 30 < lb.crossing(w, v) < 100
    c = lb.FidCurve("c", a.ns, a.mean + 5, a.std, a.regularised, 5.9, 40)
    assert lb.crossing(a, c) is None


def test_human_round_is_half_real_and_scored():
    r = lb.human_round("gan", 16, seed=3)
    assert r.real.sum() == 8 and r.images.shape == (16, 64)
    assert np.array_equal(r.images, lb.human_round("gan", 16, seed=3).images)
    s = lb.score_round(r.real, r.real)
    assert s.correct == 16 and s.fooled == 0 and s.accuracy == 1.0
    everything = lb.score_round(r.real, np.ones(16, bool))
    assert everything.real_found == 8 and everything.fooled == 8 and everything.correct == 8


def test_shipped_features_are_the_shipped_networks_features():
    from engine.evaluation import features

    net = features.pretrained()
    data = lb.shipped()
    for source in ("gan", "diffusion", "held_out"):
        f, p = features.extract(net, data.images[source][:200])
        assert np.allclose(f, data.features[source][:200], atol=2e-3)  # shipped as float16
        assert np.allclose(p, data.probs[source][:200], atol=2e-3)
    assert features.accuracy(net, "test") > 0.96


def test_every_registered_2d_family_is_fitted_sampled_and_scored_through_the_contract():
    """models.fit_family has no list of its own: whatever the registry holds is trained, sampled, and scored
    on the held-out points exactly where its capabilities declare a density."""
    from engine import registry
    from engine.evaluation import models

    ds = points.make_dataset("ring8", 120, None, seed=0)
    setup = plane.prepare(ds.X, ds.y, 0)
    assert models.families() == tuple(registry.families())
    for name, family in registry.families().items():
        f = models.fit_family(name, setup.train, setup.held_out, 5, seed=0)
        assert f.samples.shape == setup.held_out.shape and np.isfinite(f.samples).all(), name
        assert 1 <= f.steps <= 5 and f.density == family.capabilities.density, name
        assert (f.held_log_density is None) == (family.capabilities.density is None), name
        assert f.held_log_density is None or np.isfinite(f.held_log_density), name
