"""The shared rulers: each distance is zero-ish for equal distributions and grows as they part."""

import numpy as np
import pytest

from engine import metrics


def gauss(n, shift=0.0, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2)) + shift


def test_mmd2_is_near_zero_for_the_same_distribution_and_grows_with_the_gap():
    same = metrics.mmd2(gauss(500, seed=0), gauss(500, seed=1))
    near = metrics.mmd2(gauss(500, seed=0), gauss(500, 0.5, seed=1))
    far = metrics.mmd2(gauss(500, seed=0), gauss(500, 2.0, seed=1))
    assert abs(same) < 0.01 < near < far


@pytest.mark.parametrize("m", [400, 250])
def test_sliced_wasserstein_recovers_a_known_shift(m):
    # shifting by d along x moves each projection by d·|cos θ|, whose mean over directions is 2d/π
    d = 1.0
    sw = metrics.sliced_wasserstein(gauss(400, seed=0), gauss(m, seed=1) + [d, 0], n_projections=512)
    assert abs(sw - 2 * d / np.pi) < 0.08
    assert metrics.sliced_wasserstein(gauss(400, seed=0), gauss(m, seed=1)) < 0.1


def test_mode_coverage_counts_modes_and_quality():
    centres = np.array([[0, 0], [5, 0], [0, 5]], float)
    rng = np.random.default_rng(0)
    samples = np.r_[centres[0] + 0.1 * rng.normal(size=(50, 2)), centres[1] + 0.1 * rng.normal(size=(50, 2)), [[2.5, 2.5]] * 10]
    cov = metrics.mode_coverage(samples, centres, radius=0.5)
    assert cov.covered == 2 and cov.n_modes == 3
    assert cov.high_quality == pytest.approx(100 / 110)
