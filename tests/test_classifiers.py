"""Page 1's engine: both kinds of classifier learn, and only the generative kind can sample."""

import numpy as np
import pytest

from engine import classifiers
from engine.data import points


def split(name, n=600, noise=None, seed=0):
    return points.train_test_split(points.make_dataset(name, n, noise, seed), 0.25, seed)


@pytest.mark.parametrize("kind", classifiers.GENERATIVE)
def test_generative_classifier_is_accurate_on_blobs(kind):
    train, test = split("blobs", noise=0.45)
    model = classifiers.make_classifier(kind, seed=0).fit(train.X, train.y)
    assert classifiers.accuracy(model, test.X, test.y) >= 0.95


@pytest.mark.parametrize("kind", classifiers.DISCRIMINATIVE)
def test_discriminative_classifier_is_accurate_on_blobs(kind):
    train, test = split("blobs", noise=0.45)
    model = classifiers.make_classifier(kind, seed=0).fit(train.X, train.y)
    assert classifiers.accuracy(model, test.X, test.y) >= 0.95


def test_nonlinear_models_beat_a_line_on_circles():
    train, test = split("circles")
    line = classifiers.make_classifier("logistic").fit(train.X, train.y)
    qda = classifiers.make_classifier("qda").fit(train.X, train.y)
    assert classifiers.accuracy(line, test.X, test.y) < 0.7 < 0.95 < classifiers.accuracy(qda, test.X, test.y)


def test_mixture_beats_single_gaussian_on_moons_in_held_out_likelihood():
    train, test = split("moons")
    qda = classifiers.make_classifier("qda").fit(train.X, train.y)
    gmm = classifiers.make_classifier("gmm", 5).fit(train.X, train.y)
    assert gmm.score_samples(test.X).mean() > qda.score_samples(test.X).mean() + 0.2


@pytest.mark.parametrize("kind", classifiers.GENERATIVE)
def test_samples_lie_nearer_their_own_class(kind):
    train, _ = split("blobs", noise=0.45)
    model = classifiers.make_classifier(kind, seed=0).fit(train.X, train.y)
    X, y = model.sample_per_class(200, seed=1)
    assert X.shape == (600, 2) and np.bincount(y).tolist() == [200, 200, 200]
    means = np.stack([train.X[train.y == k].mean(0) for k in range(3)])
    nearest = np.linalg.norm(X[:, None, :] - means[None], axis=2).argmin(1)
    assert (nearest == y).mean() >= 0.9


def test_sampling_is_reproducible_and_seed_dependent():
    train, _ = split("moons")
    model = classifiers.make_classifier("gmm", 3).fit(train.X, train.y)
    a, b, c = model.sample_per_class(50, seed=3), model.sample_per_class(50, seed=3), model.sample_per_class(50, seed=4)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])


def test_bayes_rule_posteriors_are_normalised_and_evidence_matches():
    train, test = split("moons")
    model = classifiers.make_classifier("qda").fit(train.X, train.y)
    proba = model.predict_proba(test.X)
    assert np.allclose(proba.sum(1), 1)
    joint = np.exp(model.joint_log_proba(test.X))
    assert np.allclose(np.log(joint.sum(1)), model.score_samples(test.X))
    assert np.allclose(joint / joint.sum(1, keepdims=True), proba)


def test_lowest_density_flags_a_planted_outlier():
    train, _ = split("blobs", noise=0.3)
    X = np.r_[train.X, [[6.0, 6.0]]]
    y = np.r_[train.y, [0]]
    model = classifiers.make_classifier("qda").fit(X, y)
    assert len(X) - 1 in classifiers.lowest_density(model.score_samples(X), 0.01)


def test_degenerate_class_gets_a_regularised_density_not_a_crash():
    X = np.r_[np.zeros((5, 2)), np.c_[np.linspace(0, 1, 6), np.linspace(0, 1, 6)]]  # duplicates, then a line
    y = np.r_[np.zeros(5, int), np.ones(6, int)]
    for kind in classifiers.GENERATIVE:
        model = classifiers.make_classifier(kind, 4).fit(X, y)
        assert np.isfinite(model.score_samples(X)).all()
        X_new, _ = model.sample_per_class(5, seed=0)
        assert np.isfinite(X_new).all()


def test_more_components_than_points_is_capped_and_reported():
    X = np.array([[0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [5, 6], [6, 6]], float)
    y = np.array([0, 0, 0, 1, 1, 1, 1])
    model = classifiers.make_classifier("gmm", 8).fit(X, y)
    assert model.n_components_ == [3, 4] and model.components_capped_


def test_a_single_class_is_an_input_error():
    X = np.random.default_rng(0).normal(size=(20, 2))
    for kind in classifiers.DISCRIMINATIVE + classifiers.GENERATIVE:
        with pytest.raises(classifiers.InputError) as e:
            classifiers.make_classifier(kind).fit(X, np.zeros(20, int))
        assert e.value.code == "single_class"


def test_fit_view_has_everything_page_one_draws():
    ds = points.make_dataset("moons", 300, seed=0)
    view = classifiers.fit_view(ds.X, ds.y, "gmm", 3, seed=0, n_samples=10, resolution=30)
    assert view.proba.shape == (900, 2) and view.density.shape == (900, 2)
    assert view.samples[0].shape == (20, 2)
    assert view.accuracy > 0.9 and np.isfinite(view.test_log_px)
    # page 1 fits once for every sample count and draws from the fit: the very points a fit with that count holds
    drawn = classifiers.fit_view(ds.X, ds.y, "gmm", 3, seed=0, resolution=30).draw(10, 0)
    assert np.array_equal(drawn[0], view.samples[0]) and np.array_equal(drawn[1], view.samples[1])
    disc = classifiers.fit_view(ds.X, ds.y, "svm_rbf", 1.0, seed=0, resolution=30)
    assert disc.density is None and disc.samples is None and disc.accuracy > 0.9


def test_every_prefix_of_a_drawn_series_samples_the_whole_mixture():
    """Page 1 scrubs the sample count in the browser through prefixes of one series per class: a prefix must be n
    draws from the whole class density, not the first components' points (``sample_per_class`` groups them)."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([-6, 0], 0.3, (60, 2)), rng.normal([6, 0], 0.3, (60, 2)), rng.normal([0, 6], 0.3, (60, 2))])
    y = np.repeat([0, 0, 1], 60)
    view = classifiers.fit_view(X, y, "gmm", 2, seed=0, resolution=20)
    series = dict(view.draw_series(300, 0))
    assert set(series) == {0, 1} and all(s.shape == (300, 2) for s in series.values())
    first = series[0][:20]
    assert (first[:, 0] < 0).sum() >= 4 and (first[:, 0] > 0).sum() >= 4  # both of class 0's clusters, ~10 each
    assert abs((series[0][:, 0] < 0).mean() - 0.5) < 0.1 and np.all(series[1][:, 1] > 3)
    again = dict(view.draw_series(300, 0))
    assert all(np.array_equal(again[k], series[k]) for k in series)  # one seed, one series: frames match the server's
