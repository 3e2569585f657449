"""Page 1 under AppTest: every widget moved across its range, in both languages, never a traceback."""

import numpy as np
import pytest

from engine import classifiers
from engine.data import points
from tests.apptest_utils import assert_clean, open_page, problems
from ui import text

SCRIPT = "pages/01_discriminative_vs_generative.py"
KEY = "w:discriminative_vs_generative."


def widget(at, kind, name):
    return getattr(at, kind)(key=KEY + name)


@pytest.mark.parametrize("lang", text.LANGS)
def test_every_dataset_and_its_sliders(lang):
    at = open_page(SCRIPT, lang)
    for name in points.BUILTIN:
        widget(at, "selectbox", "dataset").set_value(name).run()
        assert_clean(at)
        noise = widget(at, "slider", f"noise_{name}")
        for value in (noise.min, noise.max):
            noise.set_value(value).run()
            assert_clean(at)
    n_points = widget(at, "slider", "n_points")
    for value in (n_points.min, n_points.max):
        n_points.set_value(value).run()
        assert_clean(at)


def test_every_model_and_every_hyperparameter_value():
    at = open_page(SCRIPT, "en")
    for side, kinds in (("disc", classifiers.DISCRIMINATIVE), ("gen", classifiers.GENERATIVE)):
        for kind in kinds:
            widget(at, "selectbox", f"{side}_model").set_value(kind).run()
            assert_clean(at)
            for value in classifiers.HYPERPARAMS[kind].values:
                widget(at, "select_slider", f"{side}_{kind}_param").set_value(value).run()
                assert_clean(at)


def test_samples_slider_and_layers():
    at = open_page(SCRIPT, "pt")
    samples = widget(at, "slider", "n_samples")
    for value in (samples.min, samples.max):
        samples.set_value(value).run()
        assert_clean(at)
    layers = at.get("button_group")[0]
    for chosen in ([], ["contours", "evidence", "outliers", "samples"], ["evidence"]):
        layers.set_value(chosen).run()
        assert_clean(at)


def test_accuracies_are_reported_for_both_sides():
    at = open_page(SCRIPT, "en")
    labels = [m.label for m in at.metric]
    assert labels.count(text.lookup("en", "discriminative_vs_generative.held_out_accuracy")) == 2
    values = [float(m.value.rstrip("%")) for m in at.metric if m.label.startswith("Held-out accuracy")]
    assert all(v > 85 for v in values), values  # moons at default noise


def test_own_data_without_points_asks_for_some_and_keeps_working():
    at = open_page(SCRIPT, "en")
    widget(at, "selectbox", "dataset").set_value("own").run()
    assert_clean(at)
    assert any(text.lookup("en", "data.need_own") in i.value for i in at.info)


def test_own_single_class_data_gets_a_clear_message():
    at = open_page(SCRIPT, "pt", run=False)
    at.session_state["user_data"] = points.Dataset(np.random.default_rng(0).normal(size=(30, 2)), np.zeros(30, int), "mine", ("A",))
    at.run()
    widget(at, "selectbox", "dataset").set_value("own").run()
    assert not at.exception
    assert [e.value for e in at.error] == [text.lookup("pt", "errors.single_class", min=2)]


def test_empty_drawing_says_nothing_was_drawn():
    at = open_page(SCRIPT, "en")
    at.button(key="use_drawing_discriminative_vs_generative").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [text.lookup("en", "errors.nothing_drawn")]


def test_reset_restores_defaults_but_keeps_own_data():
    at = open_page(SCRIPT, "en", run=False)
    mine = points.make_dataset("blobs", 90, seed=1)
    at.session_state["user_data"] = mine
    at.run()
    widget(at, "selectbox", "dataset").set_value("circles").run()
    widget(at, "selectbox", "disc_model").set_value("mlp").run()
    at.sidebar.button(key="reset_page").click().run()
    assert_clean(at)
    assert widget(at, "selectbox", "dataset").value == "moons"
    assert widget(at, "selectbox", "disc_model").value == "logistic"
    assert at.session_state["user_data"] is mine


def test_settings_survive_a_visit_to_another_page():
    at = open_page(SCRIPT, "en")
    widget(at, "selectbox", "dataset").set_value("spiral").run()
    at.switch_page("streamlit_app.py").run()
    at.switch_page(SCRIPT).run()
    assert widget(at, "selectbox", "dataset").value == "spiral"
    assert not problems(at)


def test_drawing_controls_accept_every_option():
    at = open_page(SCRIPT, "en")
    for cls in range(4):
        widget(at, "radio", "draw_class").set_value(cls).run()
        assert_clean(at)
    for mode in ("point", "freedraw"):
        widget(at, "radio", "draw_mode").set_value(mode).run()
        assert_clean(at)


def test_model_names_fit_their_box_at_1024_px():
    """The model box is half of one side: at 1024 px it shows about 29 characters, minus the selected
    value's margin ("QDA: one Gaussian per cla…" and "Mistura de gaussianas por cla…" were cut)."""
    for lang in text.LANGS:
        for kind in classifiers.DISCRIMINATIVE + classifiers.GENERATIVE:
            name = text.lookup(lang, f"discriminative_vs_generative.models.{kind}")
            assert len(name) <= 26, (lang, name)
