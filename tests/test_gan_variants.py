"""The GAN page's variants (issue 18): the truncation trick on the shipped digits GAN, measured and live."""

import base64
import json

import numpy as np
import pytest
from scipy.stats import norm

from engine.core.errors import InputError
from engine.evaluation import truncation
from engine.families import gan
from streamlit.testing.v1 import AppTest

from tests.apptest_utils import assert_clean
from ui import digit_images, text

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


def _typed(array: dict) -> np.ndarray:
    values = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return values.reshape([int(v) for v in array["shape"].split(",")]) if "shape" in array else values


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_truncation_scrubs_the_grid_and_the_numbers_in_the_browser(lang):
    """ψ is plotly's slider (no rerun): each frame holds the grid the GAN draws at that ψ from the seed's uniform
    numbers and a label with the evaluator's numbers there, checked at two ψ against the engine's own."""
    at = AppTest.from_file(SCRIPT, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    assert not at.select_slider and not at.metric  # nothing that reruns: the numbers are in the slider's label
    fig = json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-gan_truncation_curve")).proto.spec)
    slider = fig["layout"]["sliders"][0]
    steps = {float(s["args"][0][0]): s["label"] for s in slider["steps"]}
    assert list(steps) == list(truncation.PSIS) and slider["steps"][slider["active"]]["args"][0] == ["0.5"]
    covered = "{k} of 10 classes covered" if lang == "en" else "{k} de 10 classes cobertas"
    assert covered.format(k=7) in steps[0.5] and covered.format(k=1) in steps[0.1]  # what the shipped curve measured
    assert text.number(lang, 0.25, "g") in steps[0.25]
    model = gan.digits.pretrained(False)[0]
    frames = {float(f["name"]): f for f in fig["frames"]}
    for psi in (0.1, 0.5):
        images = gan.truncation.sample(model, 40, psi, 0).reshape(-1, 8, 8)
        want = np.full((5 * 9 - 1, 8 * 9 - 1), np.nan)
        for k, img in enumerate(images):
            r, c = divmod(k, 8)
            want[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = img
        assert np.array_equal(_typed(frames[psi]["data"][0]["z"]), digit_images.packed(want, levels=16))
    assert not np.array_equal(_typed(frames[0.1]["data"][0]["z"]), _typed(frames[3.0]["data"][0]["z"]))
    assert len(at.get("image")) == 1 and len(at.get("plotly_chart")) == 1  # the untruncated grid, and the figure
    assert any("| " + ("Choice" if lang == "en" else "Escolha") + " | DCGAN |" in m.value for m in at.markdown)  # the DCGAN table


def test_a_linked_psi_opens_the_slider_there_and_a_bad_one_says_so():
    """``psi`` was a Streamlit slider: a link's ψ (in the session, as ``share.read`` puts it) opens the plotly slider
    there; a ψ that is not on it gets a message and the default."""
    for value, opened, warned in ((0.1, "0.1", False), (0.3, "0.5", True)):
        at = AppTest.from_file(SCRIPT, default_timeout=120)
        at.session_state["w:gan.psi"] = value
        at.run()
        assert not at.exception
        slider = json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-gan_truncation_curve")).proto.spec)["layout"]["sliders"][0]
        assert slider["steps"][slider["active"]]["args"][0] == [opened]
        assert bool(at.warning) == warned and ("w:gan.psi" in at.session_state) != warned  # said once, then dropped
