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


# ---------------------------------------------------------------- inpainting

@pytest.fixture(scope="module")
def digits_diffusion():
    from engine.families import diffusion

    return diffusion.pretrained_digits()


def test_inpainting_keeps_the_known_pixels_and_the_class_more_often_than_the_baselines(digits_diffusion):
    from engine.applications import inpainting as I
    from engine.data import digits

    X, y = digits.load("test")
    X, y = X[:30], y[:30]
    known = I.known_mask("centre")
    assert known.sum() == 48  # a 4×4 hole in the middle
    out = I.inpaint(digits_diffusion, X, known, 2, seed=0, jumps=I.DEFAULT_JUMPS)
    wanted = np.repeat(y, 2)
    assert np.array_equal(out[:, known], np.repeat(X, 2, axis=0)[:, known])  # exactly, not approximately
    assert not np.allclose(out[0, ~known], out[1, ~known])  # two draws, two completions

    def kept(images):
        return float((digits.classify(images) == wanted).mean())

    inpainted, mean, noise = kept(out), kept(I.fill(X, known, "mean", 2)), kept(I.fill(X, known, "noise", 2, seed=0))
    assert inpainted > mean + 0.1 and inpainted > noise + 0.1, (inpainted, mean, noise)


def test_the_shipped_inpainting_view_is_what_the_model_makes(digits_diffusion):
    from engine.applications import augmentation as A
    from engine.applications import inpainting as I

    doc = I.shipped(A.FOLDER)
    view = doc["default"]
    fresh = I.default_view(digits_diffusion, view["digit"], view["mask"], view["jumps"], view["seed"])
    assert np.allclose(fresh, np.asarray(view["samples"]), atol=1e-3)
    rates = {(r["mask"], r["jumps"]): r for r in doc["rates"]}
    assert set(rates) == {(m, j) for m in I.MASKS for j in (1, I.DEFAULT_JUMPS)}
    # the section's caption counts these: RePaint's resampling beats the mean fill on every region
    assert all(rates[(m, I.DEFAULT_JUMPS)]["inpainted"] > rates[(m, I.DEFAULT_JUMPS)]["mean"] for m in I.MASKS)
