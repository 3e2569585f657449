"""AppTest for page 2: every widget, in both languages, and every kind of bad input."""

import base64
import json

import numpy as np
import pytest

from engine.data import points
from engine.data.points import Dataset
from engine.families import hmm, mixture
from tests.apptest_utils import assert_clean, open_page, problems, read_number
from ui import charts
from ui import plots_mixtures_and_hmm as plots
from ui import text
from ui.views_mixtures_and_hmm import labels

SCRIPT = "pages/02_mixtures_and_hmm.py"
P = "mixtures_and_hmm"


def key(name: str) -> str:
    return f"w:{P}.{name}"


def part(at, name: str):
    at.radio(key=key("part")).set_value(name).run()
    assert_clean(at)
    return at


def texts(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "error") for e in getattr(at, kind))


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_page_opens_clean_on_every_part(lang):
    at = open_page(SCRIPT, lang)
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 3  # EM replay, BIC/AIC, generated points
    assert at.metric[0].value.isdigit()  # iterations
    part(at, "hmm")
    assert len(at.get("plotly_chart")) == 7  # timeline, curve, 4 matrices, new sequence
    part(at, "regimes")
    assert len(at.get("plotly_chart")) == 2
    hmm_acc, gmm_acc = (read_number(m.value, lang) for m in at.metric[:2])
    assert hmm_acc > gmm_acc  # the default settings show the point of the section


def test_mixture_controls_move_across_their_range():
    at = open_page(SCRIPT, "en")
    for k in (1, 6, 10):
        at.slider(key=key("k")).set_value(k).run()
        assert_clean(at)
    at.slider(key=key("k")).set_value(3).run()
    for cov in ("tied", "diag", "spherical", "full"):
        at.selectbox(key=key("cov")).set_value(cov).run()
        assert_clean(at)
    at.radio(key=key("init")).set_value("kmeans").run()
    at.number_input(key=key("em_seed")).set_value(9999).run()
    assert_clean(at)
    for n in (0, 2000):
        at.slider(key=key("n_new")).set_value(n).run()
        assert_clean(at)
    at.radio(key=key("density_mode")).set_value("heatmap").run()
    assert_clean(at)
    # The data picker: every built-in dataset, its noise and size.
    for name in ("moons", "circles", "ring8", "swiss_roll", "spiral", "checkerboard"):
        at.selectbox(key=key("dataset")).set_value(name).run()
        assert_clean(at)
    at.slider(key=key("noise_checkerboard")).set_value(0.3).run()
    at.slider(key=key("n_points")).set_value(50).run()
    assert_clean(at)
    at.slider(key=key("n_points")).set_value(2000).run()
    assert_clean(at)


def chart_data(at, key: str) -> list[dict]:
    """The traces of the plotly chart drawn with ``key``, as plotly JSON."""
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    assert len(charts) == 1, key
    return json.loads(charts[0].proto.spec)["data"]


def array(value) -> np.ndarray:
    """A plotly JSON array as numpy: plotly writes numpy data as base64 ``{"dtype", "bdata", "shape"}``."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return out.reshape([int(n) for n in str(shape).split(",")]) if shape else out
    return np.asarray(value)


def test_bic_scan_covers_every_k_the_slider_offers():
    at = open_page(SCRIPT, "en")
    slider = at.slider(key=key("k"))
    assert (slider.min, slider.max) == (1, mixture.MAX_COMPONENTS)
    curves = {t["name"]: array(t["x"]).tolist() for t in chart_data(at, "bic_aic") if t["name"] in ("BIC", "AIC")}
    every_k = list(range(1, mixture.MAX_COMPONENTS + 1))
    assert curves == {"BIC": every_k, "AIC": every_k}


@pytest.mark.parametrize("k", [6, mixture.MAX_COMPONENTS])
def test_mixture_weights_are_bars_not_labels_on_the_means(k):
    """At K = 6 the labels "k: π=0.17" above nearby means ran into each other: the means now carry
    only their number, and the weights have one bar per component, in every frame of the replay."""
    at = open_page(SCRIPT, "pt")
    at.slider(key=key("k")).set_value(k).run()
    assert_clean(at)
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith("em_replay")]
    spec = json.loads(charts[0].proto.spec)
    means = next(t for t in spec["data"] if t.get("name") == text.lookup("pt", f"{P}.replay.means"))
    assert means["text"] == [str(j + 1) for j in range(k)] and "texttemplate" not in means
    bars = [t for t in spec["data"] if t["type"] == "bar"]
    assert len(bars) == 1 and bars[0]["orientation"] == "h"  # one row per component: ten values never collide
    assert array(bars[0]["y"]).tolist() == list(range(1, k + 1)) and bars[0]["texttemplate"] == "%{x:.2f}"
    assert spec["layout"]["separators"] == ",."  # so the values read 0,17 in Portuguese
    for frame in spec["frames"]:
        weights = array(frame["data"][-1]["x"])
        assert len(weights) == k and weights.sum() == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_transition_heat_maps_have_short_column_labels(lang):
    """The Portuguese names ("2 ≈ dado viciado") under the columns were tilted and squeezed the
    learned transitions into a small square: columns are numbered, names stay on the rows and in the hover."""
    at = part(open_page(SCRIPT, lang), "hmm")
    for preset, n_states in (("casino", 2), ("weather", 3), ("weather", hmm.MAX_STATES)):
        at.selectbox(key=key("preset")).set_value(preset).run()
        at.slider(key=key(f"learn_states_{preset}")).set_value(n_states).run()
        assert_clean(at)
        states = [text.lookup(lang, f"{P}.state.{s}") for s in hmm.PRESETS[preset].states]
        for name, n in (("true_trans", len(states)), ("learned_trans", n_states)):
            charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(name)]
            spec = json.loads(charts[0].proto.spec)
            heat = spec["data"][0]
            numbers = [str(j + 1) for j in range(n)]
            assert heat["x"] == numbers and spec["layout"]["xaxis"]["tickvals"] == numbers
            assert spec["layout"]["xaxis"]["tickangle"] == 0
            assert all(s in heat["y"][j] for j, s in enumerate(states[:n]))  # rows: number and name
            hover = " ".join(" ".join(row) for row in heat["text"])
            assert all(s in hover for s in states[:n])  # the hover names both states in full
            assert spec["layout"]["height"] >= 110 + 36 * n  # six rows get the room two rows get


def test_every_component_has_its_own_colour():
    colours = [charts.colour(k).lower() for k in range(mixture.MAX_COMPONENTS)]
    assert len(set(colours)) == mixture.MAX_COMPONENTS == 10
    assert "#ffffff" not in colours


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_thinned_em_replay_says_which_iterations_it_shows(lang):
    def replay_steps(at) -> list[str]:
        spec = json.loads(at.get("plotly_chart")[0].proto.spec)
        return [s["label"] for s in spec["layout"]["sliders"][0]["steps"]]

    def notes(at, n: int) -> list[str]:
        expected = text.lookup(lang, f"{P}.replay_subsampled", n=n, shown=plots.MAX_FRAMES, first=plots.MAX_FRAMES // 2)
        return [c.value for c in at.caption if c.value == expected]

    at = open_page(SCRIPT, lang)
    n = int(at.metric[0].value)
    assert n < plots.MAX_FRAMES and len(replay_steps(at)) == n + 1 and notes(at, n) == []  # short run: every iteration
    at.selectbox(key=key("dataset")).set_value("checkerboard").run()
    at.slider(key=key("k")).set_value(6).run()
    assert_clean(at)
    n = int(at.metric[0].value)
    steps = replay_steps(at)
    assert n >= plots.MAX_FRAMES and len(steps) == plots.MAX_FRAMES and steps[0] == "0" and steps[-1] == str(n)
    first = plots.MAX_FRAMES // 2  # each of the first iterations, where EM moves most, then a spread of the rest
    assert steps[:first] == [str(i) for i in range(first)] and [int(s) for s in steps] == sorted({int(s) for s in steps})
    assert len(notes(at, n)) == 1, [c.value for c in at.caption]


def test_em_replay_frames_carry_only_what_moves():
    """Each frame of the replay holds the points' colours (short "#rgb"), the ellipses' and means' coordinates, the
    marker on the curve and the bars: styles and names stay in the traces (they were a third of a new K's bytes)."""
    X = points.make_dataset("checkerboard", seed=0).X
    view = mixture.fit_view(X, 6, "full", "random", 0, 0)
    fig = plots.em_replay_figure(view.history, view.train_X, points.bounds(X), labels("replay", "en"))
    frames = fig.to_dict()["frames"]
    assert 2 < len(frames) <= plots.MAX_FRAMES
    for frame in frames:
        colours = frame["data"][0]["marker"]["color"]
        assert len(colours) == len(view.train_X) and all(len(c) == 4 and c[0] == "#" for c in colours)
        assert all(set(tr) <= {"x", "y", "customdata", "marker"} for tr in frame["data"])
    ellipse = fig.data[1]
    assert len(ellipse.x) == plots.ELLIPSE_POINTS + 1 and ellipse.line.dash == "solid"  # closed; its style stays on the trace


@pytest.mark.parametrize("n_new, kind", [(300, "scatter"), (2000, "scattergl")])
def test_generated_points_figure_names_its_contours_and_draws_svg_unless_many(n_new, kind):
    X = points.make_dataset("blobs", seed=0).X
    view = mixture.fit_view(X, 3, "full", "random", 0, 0)
    names = labels("generate", "en")
    fig = plots.generate_figure(view, mixture.ancestral_sample(view.history.final, n_new, 0), points.bounds(X), "contours", names)
    contour = fig.data[0]
    assert contour.type == "contour" and contour.name == names["contours"] and contour.showlegend
    assert {tr.type for tr in fig.data[1:]} == {kind}  # SVG up to charts.SVG_POINTS points, WebGL past them


def test_mixture_in_portuguese_with_other_controls():
    at = open_page(SCRIPT, "pt")
    at.selectbox(key=key("cov")).set_value("diag").run()
    at.slider(key=key("k")).set_value(5).run()
    at.radio(key=key("density_mode")).set_value("heatmap").run()
    assert_clean(at)
    assert "BIC" in texts(at)
    at.sidebar.number_input(key="w:seed").set_value(3).run()
    assert_clean(at)


def test_own_points_and_bad_mixture_input():
    at = open_page(SCRIPT, "en")
    at.selectbox(key=key("dataset")).set_value("own").run()
    assert not at.exception and not at.error  # no points yet: an invitation, not an error
    assert at.info
    # Drawing nothing and pressing "use these points" says so, without a traceback.
    at.radio(key=key("draw_class")).set_value(2).run()
    at.radio(key=key("draw_mode")).set_value("point").run()
    at.button(key=f"use_drawing_{P}").click().run()
    assert not at.exception and len(at.error) == 1
    # Too few points for the page (however they got into the session): one clear message naming the need.
    rng = np.random.default_rng(0)
    at.session_state["user_data"] = Dataset(rng.normal(size=(6, 2)), np.zeros(6, int), "mine", ("A",))
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "13" in at.error[0].value
    # The declared minimum is enough for every K on the slider, the largest included.
    at.session_state["user_data"] = Dataset(rng.normal(size=(13, 2)), np.zeros(13, int), "mine", ("A",))
    at.run()
    at.slider(key=key("k")).set_value(at.slider(key=key("k")).max).run()
    assert_clean(at)
    # Degenerate data: two distinct points repeated, and points on a line.
    at.session_state["user_data"] = Dataset(np.r_[np.zeros((20, 2)), np.ones((20, 2))], np.zeros(40, int), "dup", ("A",))
    at.slider(key=key("k")).set_value(3).run()
    assert not at.exception and len(at.error) == 1
    t = np.linspace(-2, 2, 100)
    at.session_state["user_data"] = Dataset(np.c_[t, 2 * t], np.zeros(100, int), "line", ("A",))
    at.run()
    assert_clean(at)


def test_hmm_controls():
    at = part(open_page(SCRIPT, "en"), "hmm")
    # "Roll again" draws a new sequence: its log-likelihood log p(x₁..x_T) (metric 2) changes with every roll.
    logliks = [read_number(at.metric[2].value, "en")]
    for _ in range(2):
        at.button(key="hmm_resample").click().run()
        assert_clean(at)
        logliks.append(read_number(at.metric[2].value, "en"))
    assert len(set(logliks)) == 3, logliks
    at.number_input(key=key("length")).set_value(2000).run()
    assert_clean(at)
    assert read_number(at.metric[0].value, "en") >= 80  # Viterbi on the casino
    at.number_input(key=key("length")).set_value(40).run()
    for n in (1, 6, 2):
        at.slider(key=key("learn_states_casino")).set_value(n).run()
        assert_clean(at)
    at.toggle(key=key("match")).set_value(False).run()
    assert_clean(at)
    at.slider(key=key("n_generate")).set_value(300).run()
    assert_clean(at)
    at.selectbox(key=key("preset")).set_value("weather").run()
    assert_clean(at)
    at.slider(key=key("learn_states_weather")).set_value(4).run()
    assert_clean(at)


def test_hmm_bad_lengths_in_portuguese():
    at = part(open_page(SCRIPT, "pt"), "hmm")
    at.number_input(key=key("length")).set_value(0).run()
    assert not at.exception and len(at.error) == 1
    assert "pelo menos um passo" in at.error[0].value
    at.number_input(key=key("length")).set_value(1_000_000).run()
    assert_clean(at)
    assert any(str(hmm.MAX_T) in i.value for i in at.info)
    # More states than observations: a clear message.
    at.number_input(key=key("length")).set_value(3).run()
    at.slider(key=key("learn_states_casino")).set_value(5).run()
    assert not at.exception and len(at.error) == 1


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_bad_matrix_rows_offer_to_normalise(lang):
    at = part(open_page(SCRIPT, lang), "hmm")
    at.session_state[f"{P}.m.casino.trans"] = np.array([[0.9, 0.3], [-0.1, 1.1]])
    at.session_state[f"{P}.m.casino.emit"] = np.array([[1 / 6] * 6, [0.1, 0.1, 0.1, 0.1, 0.1, np.nan]])
    at.run()
    assert not at.exception
    assert len(at.error) == 3  # row 1 sums to 1.2, row 2 is negative, an emission cell is empty
    assert len(at.get("plotly_chart")) == 0  # nothing is computed from an invalid model
    at.button(key="hmm_normalise").click().run()
    assert_clean(at)
    fixed = at.session_state[f"{P}.m.casino.trans"]
    np.testing.assert_allclose(fixed, [[0.75, 0.25], [0.0, 1.0]])
    np.testing.assert_allclose(at.session_state[f"{P}.m.casino.emit"][1], [0.2] * 5 + [0.0])
    at.button(key="hmm_restore").click().run()
    assert_clean(at)
    np.testing.assert_allclose(at.session_state[f"{P}.m.casino.trans"], hmm.PRESETS["casino"].params.transmat)


def test_regime_controls():
    at = part(open_page(SCRIPT, "pt"), "regimes")
    for name, value in (("regime_length", 100), ("regime_length", 2000), ("stay", 0.5), ("stay", 0.99),
                        ("spread", 0.3), ("spread", 2.5), ("regime_states", 1), ("regime_states", 5)):
        at.slider(key=key(name)).set_value(value).run()
        assert_clean(at)


def test_reset_and_language_switch():
    at = open_page(SCRIPT, "en")
    at.slider(key=key("k")).set_value(7).run()
    at.sidebar.button(key="reset_page").click().run()
    assert_clean(at)
    assert at.slider(key=key("k")).value == 3
    at.query_params["lang"] = "pt"
    at.session_state["lang"] = "pt"
    at.run()
    assert_clean(at)
    assert not problems(at)


def test_editing_a_cell_is_validated():
    at = part(open_page(SCRIPT, "en"), "hmm")
    editor = f"{P}.ed.casino.trans.0"
    assert at.data_editor(key=editor).value.shape == (2, 2)
    at.session_state[editor] = {"edited_rows": {0: {"fair die": 0.5}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "0.530" in at.error[0].value
    at.button(key="hmm_normalise").click().run()
    assert_clean(at)
    np.testing.assert_allclose(at.session_state[f"{P}.m.casino.trans"][0], [0.5 / 0.53, 0.03 / 0.53])
