"""The GAN page's variants (issue 18): the truncation trick on the shipped digits GAN, measured and live."""

import numpy as np
import pytest
from scipy.stats import norm

from engine.core.errors import InputError
from engine.evaluation import truncation
from engine.families import gan
from streamlit.testing.v1 import AppTest

from tests.apptest_utils import assert_clean
from ui import text

SCRIPT = "apps/gan_variants_app.py"  # relative to this file: the two sections alone


def test_truncated_normal_is_the_truncated_normal_not_a_clip():
    psi = 1.0
    z = gan.truncation.truncated_normal(20_000, 8, psi, seed=3)
    assert np.abs(z).max() <= psi
    # variance of N(0, 1) truncated to [−ψ, ψ]: 1 − 2ψφ(ψ)/(2Φ(ψ) − 1) = 0.291 (a clip would give 0.516)
    expected = 1 - 2 * psi * norm.pdf(psi) / (2 * norm.cdf(psi) - 1)
    assert z.var() == pytest.approx(expected, abs=0.01)
    assert (np.abs(z) > 0.999 * psi).mean() < 0.002  # no pile of mass at ±ψ
    assert np.array_equal(z, gan.truncation.truncated_normal(20_000, 8, psi, seed=3))  # a seed repeats it
    assert gan.truncation.truncated_normal(20_000, 1, None, seed=0).std() == pytest.approx(1.0, abs=0.02)
    with pytest.raises(InputError):
        gan.truncation.truncated_normal(3, 2, 0.0)


@pytest.fixture(scope="module")
def curve():
    return truncation.curve()  # shipped weights, fixed seed: the numbers the page shows


def test_truncation_raises_confidence_and_precision_and_lowers_class_coverage(curve):
    base, strong, mild = curve.untruncated, curve.at(0.25), curve.at(0.5)
    assert base.classes_covered == 10 and base.effective_classes > 9  # untruncated, the GAN covers every digit
    assert strong.confidence > base.confidence + 0.015 and curve.at(0.1).confidence > base.confidence + 0.05
    assert strong.classes_covered <= 5 and strong.effective_classes < 0.5 * base.effective_classes
    assert abs(mild.confidence - base.confidence) < 0.02  # the caption's "hardly moves while ψ ≥ 0.5"
    precision, recall = curve.series("precision"), curve.series("recall")  # ψ ascending
    assert np.all(np.diff(precision) <= 0.01) and precision[0] > base.precision + 0.2
    assert np.all(np.diff(recall) >= -0.01) and recall[0] < 0.1 < 0.8 < base.recall
    assert sum(curve.at(0.1).counts) == curve.n and np.argmax(curve.at(0.1).counts) == 8  # the caption's "read as an 8"
    shipped = truncation.shipped_curve()  # what the page reads: the same judgement, made when the evaluator shipped
    assert shipped.psi == curve.psi and shipped.untruncated.counts == curve.untruncated.counts
    for got, want in zip(shipped.points, curve.points):
        assert got.counts == want.counts and got.confidence == pytest.approx(want.confidence, abs=1e-6)


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_truncation_slider_redraws_the_grid_and_the_numbers(lang):
    at = AppTest.from_file(SCRIPT, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    label = text.lookup(lang, "gan.trunc.covered")
    slider = at.select_slider(key="w:gan.psi")
    assert slider.value == 0.5
    assert [m.value for m in at.metric if m.label == label] == ["7/10"]
    slider.set_value(0.1).run()
    assert_clean(at)
    assert [m.value for m in at.metric if m.label == label] == ["1/10"]
    assert len(at.get("image")) == 2 and len(at.get("plotly_chart")) == 1
    assert any("| " + ("Choice" if lang == "en" else "Escolha") + " | DCGAN |" in m.value for m in at.markdown)  # the DCGAN table
