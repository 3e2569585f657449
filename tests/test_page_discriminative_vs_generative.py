"""Page 1 under AppTest: every widget moved across its range, in both languages, never a traceback."""

import base64
import json

import numpy as np
import pytest

from engine import classifiers
from engine.data import points
from tests.apptest_utils import assert_clean, capture_csv, open_page, problems
from ui import data_input, text

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


def _chart(at, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-" + key)).proto.spec)


def _typed(array) -> np.ndarray:
    if isinstance(array, list):  # plotly sends an empty array as a list
        return np.asarray(array, float)
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))


@pytest.mark.parametrize("lang", text.LANGS)
def test_samples_drawn_scrub_in_the_browser_and_show_the_models_own_draws(lang):
    """The samples slider is plotly's (no rerun): its frame n holds the first n of each class's series that the engine
    draws from the fitted model for this seed, at two counts and at the opening one, labelled in the reader's language."""
    at = open_page(SCRIPT, lang)
    assert KEY + "n_samples" not in [s.key for s in at.slider]  # no Streamlit slider for the count any more
    spec = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-gen_fig"))
    fig = json.loads(spec.proto.spec)
    slider = fig["layout"]["sliders"][0]
    counts = [int(s["args"][0][0]) for s in slider["steps"]]
    assert counts == list(range(0, 301, 10))
    assert slider["steps"][slider["active"]]["label"] == text.lookup(lang, "discriminative_vs_generative.samples_frame", n=40)
    spec_data = points.BUILTIN["moons"]
    ds = data_input.builtin("moons", spec_data.default_n, spec_data.default_noise, 0)
    series = classifiers.fit_view(ds.X, ds.y, "naive_bayes", classifiers.HYPERPARAMS["naive_bayes"].default, 0, 0).draw_series(300, 0)
    names = [text.lookup(lang, "discriminative_vs_generative.sample_label").format(name=n) for n in data_input.class_labels(ds)]
    shown = {d["name"]: d for d in fig["data"]}
    for (k, X), name in zip(series, names):  # the opening frame: 40 per class
        got = np.column_stack([_typed(shown[name]["x"]), _typed(shown[name]["y"])])
        np.testing.assert_allclose(got, X[:40], rtol=1e-6)
    frames = {f["name"]: f for f in fig["frames"]}
    for n in (10, 300):
        frame = frames[str(n)]
        assert [fig["data"][i]["name"] for i in frame["traces"]] == names
        for (k, X), trace in zip(series, frame["data"]):
            got = np.column_stack([_typed(trace["x"]), _typed(trace["y"])])
            np.testing.assert_allclose(got, X[:n], rtol=1e-6)
    assert all(len(_typed(trace["x"])) == 0 for trace in frames["0"]["data"])  # 0: no sample at all


def test_a_link_with_a_sample_count_opens_the_slider_there():
    """``n_samples`` was a Streamlit slider: a link that carries it opens the plotly slider at the nearest count;
    one out of range says so and opens at the default."""
    at = open_page(SCRIPT, "en", run=False)
    at.query_params["n_samples"] = "83"
    at.run()
    assert_clean(at)
    slider = _chart(at, "gen_fig")["layout"]["sliders"][0]
    assert slider["steps"][slider["active"]]["args"][0] == ["80"]
    at = open_page(SCRIPT, "pt", run=False)
    at.query_params["n_samples"] = "5000"
    at.run()
    assert not at.exception
    assert any("5000" in w.value for w in at.warning)
    slider = _chart(at, "gen_fig")["layout"]["sliders"][0]
    assert slider["steps"][slider["active"]]["args"][0] == ["40"]


def test_layers():
    at = open_page(SCRIPT, "pt")
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


def test_the_csv_holds_the_training_points_and_every_count_of_samples(monkeypatch):
    """The sidebar's CSV: the training points, and the whole series of samples the slider scrubs (300 per class)."""
    written = capture_csv(monkeypatch)
    at = open_page(SCRIPT, "en")
    assert_clean(at)
    sources = [r.split(",")[0] for r in written["discriminative_vs_generative"].splitlines()[1:]]
    assert sources.count("new sample of class A") == sources.count("new sample of class B") == 300
    assert sources.count("class A") + sources.count("class B") == 450  # the training three quarters of 600 moons
