"""The applications page's engine: the augmentation experiment repeats from its seed, the shipped one is what
``python -m engine.regenerate experiments`` makes, and the verdict follows the numbers."""

import numpy as np
import pytest

from engine.applications import augmentation as A
from engine.core.errors import InputError

SMALL = A.AugmentationConfig(n_real=5, k_generated=5, source="gan", n_seeds=2)


def test_the_experiment_is_reproducible_from_its_seed():
    first, again, other = A.run(SMALL, seed=3), A.run(SMALL, seed=3), A.run(SMALL, seed=4)
    assert (first.real, first.augmented, first.generated_agreement) == (again.real, again.augmented, again.generated_agreement)
    assert first.real != other.real  # another seed draws other real digits
    X1, _ = A.real_subset(5, 11)
    X2, y2 = A.real_subset(5, 11)
    assert np.array_equal(X1, X2) and np.array_equal(np.bincount(y2), np.full(10, 5))


def test_the_shipped_default_is_what_the_recipe_makes():
    """The page's first view (seed 0, the default settings) recomputed here gives the shipped numbers exactly
    (``regenerate experiments --check`` compares the whole document the same way)."""
    shipped = A.shipped_results()
    assert {(s, n) for s, n, _ in shipped} == {(s, n) for s in A.SOURCES for n in A.N_REAL_SWEEP}
    default = A.AugmentationConfig()
    fresh = A.run(default, seed=0)
    kept = shipped[(default.source, default.n_real, default.k_generated)]
    assert (fresh.real, fresh.augmented, fresh.reference) == (kept.real, kept.augmented, kept.reference)
    assert fresh.generated_agreement == kept.generated_agreement
    # the lesson's first claim: on 10 real digits per class, the GAN's digits help in every seed
    assert kept.verdict == "helps" and kept.seeds_better == default.n_seeds and kept.reference > max(kept.augmented)


def _result(real, augmented):
    return A.Result(A.AugmentationConfig(n_seeds=len(real)), tuple(range(len(real))), tuple(real), tuple(augmented), 1.0, 0.9, 447, 0.0)


def test_the_verdict_follows_the_numbers():
    assert _result([0.80, 0.81, 0.82], [0.83, 0.85, 0.85]).verdict == "helps"
    assert _result([0.80, 0.81, 0.82], [0.78, 0.78, 0.80]).verdict == "hurts"
    unclear = _result([0.80, 0.81, 0.82], [0.81, 0.80, 0.83])
    assert unclear.verdict == "unclear" and unclear.seeds_better == 2


@pytest.mark.parametrize("bad", [dict(source="vae"), dict(n_real=4), dict(n_real=51), dict(k_generated=0), dict(n_seeds=1)])
def test_settings_out_of_range_are_refused_with_a_code(bad):
    with pytest.raises(InputError):
        A.run(A.AugmentationConfig(**bad))
