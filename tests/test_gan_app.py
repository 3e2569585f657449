"""AppTest of the GAN page: every widget, both languages, one training tick per run."""

import base64
import json

import numpy as np
import pytest

from engine.data import points
from engine.families import gan
from tests.apptest_utils import assert_clean, open_page
from ui import text

SCRIPT = "pages/04_gan.py"


def k(name: str) -> str:
    return f"w:gan.{name}"


def trainer(at):
    return at.session_state["gan.live"].trainer


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_page_opens_with_a_trained_gan(lang):
    at = open_page(SCRIPT, lang)
    assert_clean(at)
    tr = trainer(at)
    assert tr.pretrained == "fixed" and tr.step_ == gan.PRESET_BUDGET  # useful in its first second
    assert at.title[0].value == ("GAN: adversarial training" if lang == "en" else "GAN: treino adversarial")
    modes = [m.value for m in at.metric if m.label == ("Modes covered" if lang == "en" else "Modos cobertos")]
    assert len(modes) == 4  # the live view, then the three presets side by side
    live, collapse, fixed, diverge = (int(v.split("/")[0]) for v in modes)
    assert live >= 7 and fixed >= 7 and collapse <= 3
    assert len(at.get("plotly_chart")) >= 7  # plane, curves, replay, three presets, the two losses' pull, digit curves
    pull = next(c for c in at.caption if c.value.startswith("Computed on this server" if lang == "en" else "Calculado neste servidor"))
    assert ("Minimax: the pull peaks at" if lang == "en" else "Minimax: o puxão chega a") in pull.value
    assert len(at.get("image")) >= 1  # the conditional GAN's digits (the epochs' grids are a plotly animation)


def test_training_controls_en():
    at = open_page(SCRIPT, "en")
    at.button(key="gan_reset").click().run()
    assert_clean(at)
    tr = trainer(at)
    assert tr.step_ == 0 and tr.pretrained is None
    at.button(key="gan_step").click().run()
    at.button(key="gan_d_only").click().run()
    at.button(key="gan_g_only").click().run()
    assert trainer(at).step_ == 3
    at.slider(key=k("steps_per_tick")).set_value(7).run()
    at.button(key="gan_play").click().run()  # playing: the fragment ticks once per run
    assert at.session_state["gan.live"].playing
    # up to 7 steps: a frame also stops at its time budget, so a loaded machine takes fewer
    assert 3 < trainer(at).step_ <= 10
    shown = trainer(at).step_
    at.button(key="gan_pause").click().run()  # pause
    assert not at.session_state["gan.live"].playing
    assert trainer(at).step_ == shown  # pausing takes no further step
    assert_clean(at)
    # layers and distance
    at.button_group(key=k("layers")).set_value(list(gan_layers())).run()
    at.button_group(key=k("layers")).set_value([]).run()
    at.radio(key=k("metric")).set_value("mmd2").run()
    assert_clean(at)
    help_text = at.radio(key=k("metric")).help  # the sizes evaluate() really uses
    assert "every 100 steps" in help_text and "512 generated points" in help_text and "first 256" in help_text
    # slow motion, every stage
    at.button(key="gan_slow").click().run()
    assert trainer(at).slow_stages is not None
    for stage in gan.STAGES:
        at.select_slider(key=k("stage")).set_value(stage).run()
        assert_clean(at)
        assert at.markdown  # the stage text is there
    cos = trainer(at).slow_stages.agreement
    assert -1 <= cos <= 1
    assert any("roughly along its arrow" in m.value and f"median cosine between a point's move and its arrow is {cos:.2f}" in m.value
               for m in at.markdown)


def agreement_captions(at):
    return [c.value for c in at.caption if "median cosine" in c.value or "mediana do cosseno" in c.value]


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_train_g_only_shows_how_closely_points_followed_their_arrows(lang):
    at = open_page(SCRIPT, lang)
    assert not agreement_captions(at)
    at.button(key="gan_g_only").click().run()
    assert_clean(at)
    step, cos = trainer(at).g_agreement
    assert step == trainer(at).step_ and -1 <= cos <= 1
    captions = agreement_captions(at)
    assert len(captions) == 1 and f" {ctx_num(cos, lang)} " in captions[0]  # the measured number, the reader's way
    at.button(key="gan_step").click().run()  # another step: the measurement no longer describes the view
    assert not agreement_captions(at)


def ctx_num(value, lang):
    from ui import text

    return text.number(lang, value, ".2f")


def gan_layers():
    from ui.plots_gan import LAYERS

    return LAYERS


def test_settings_and_presets_en():
    at = open_page(SCRIPT, "en")
    for name in ("collapse", "diverge", "custom", "fixed"):
        at.selectbox(key=k("preset")).set_value(name).run()
        assert_clean(at)
    assert trainer(at).pretrained == "fixed"
    at.selectbox(key=k("loss")).set_value("lsgan").run()
    assert at.selectbox(key=k("preset")).value == "custom"
    assert trainer(at).step_ == 0 and trainer(at).cfg.loss == "lsgan"
    for loss in gan.LOSSES:
        at.selectbox(key=k("loss")).set_value(loss).run()
        assert_clean(at)
    at.button_group(key=k("optimizer")).set_value("sgd").run()
    at.select_slider(key=k("lr_d")).set_value(0.1).run()
    at.select_slider(key=k("lr_g")).set_value(3e-2).run()
    at.slider(key=k("d_steps")).set_value(3).run()
    at.select_slider(key=k("noise_dim")).set_value(1).run()
    at.select_slider(key=k("width")).set_value(16).run()
    assert_clean(at)
    cfg = trainer(at).cfg
    assert (cfg.optimizer, cfg.lr_d, cfg.lr_g, cfg.d_steps, cfg.noise_dim, cfg.width) == ("sgd", 0.1, 3e-2, 3, 1, 16)
    at.button(key="gan_slow").click().run()  # slow motion says the 2 further D steps used fresh batches
    at.select_slider(key=k("stage")).set_value("update_d").run()
    assert_clean(at)
    assert any(m.value.startswith("With 3 D steps per G step, D then takes 2 more steps") for m in at.markdown)
    at.button_group(key=k("optimizer")).set_value(None).run()  # emptied by a second click: back to Adam
    assert_clean(at)
    at.button(key="gan_load_collapse").click().run()
    assert_clean(at)
    assert trainer(at).pretrained == "collapse" and at.selectbox(key=k("preset")).value == "collapse"


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_train_this_one_live_says_what_it_loaded_and_where(lang):
    """The live view is off-screen from the button: a message next to it, and one in the live section."""
    at = open_page(SCRIPT, lang)
    assert not at.success
    at.button(key="gan_load_collapse").click().run()
    assert_clean(at)
    tr = trainer(at)
    assert tr.pretrained == "collapse" and tr.step_ == gan.PRESET_BUDGET
    assert at.selectbox(key=k("preset")).value == "collapse"
    messages = [m.value for m in at.success]
    if lang == "en":
        assert messages == [
            "Loaded here from “Mode collapse, shown and fixed” further down: the “Mode collapse (vanilla GAN)” settings, "
            "the ring data and the shipped weights after 2,000 steps.",
            "Loaded into the live GAN at the top of the page, with its shipped weights after 2,000 steps. "
            "[↑ Go to the live GAN](#live-gan) and press Play there."]
    else:
        assert len(messages) == 2 and "Colapso de modos (GAN clássica)" in messages[0] and "2.000 passos" in messages[1]
        assert "(#live-gan)" in messages[1]
    assert at.header[0].proto.anchor == "live-gan"  # where the link goes
    at.selectbox(key=k("preset")).set_value("fixed").run()  # choosing another start clears both messages
    assert_clean(at)
    assert not at.success and trainer(at).pretrained == "fixed"


def test_nan_is_caught_translated_and_resettable():
    at = open_page(SCRIPT, "pt")
    at.selectbox(key=k("loss")).set_value("lsgan").run()
    at.button_group(key=k("optimizer")).set_value("sgd").run()
    at.select_slider(key=k("lr_d")).set_value(1.0).run()
    at.select_slider(key=k("lr_g")).set_value(1.0).run()
    at.slider(key=k("steps_per_tick")).set_value(100).run()
    at.button(key="gan_play").click().run()
    for _ in range(5):
        if trainer(at).diverged_:
            break
        at.run()
    assert trainer(at).diverged_
    at.run()
    assert not at.exception
    assert any("NaN" in w.value for w in at.error)  # the translated message, not a traceback
    at.button(key="gan_nan_reset").click().run()
    assert_clean(at)
    assert not trainer(at).diverged_ and trainer(at).step_ == 0


def chart(at, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-" + key)).proto.spec)


def typed(array: dict) -> np.ndarray:
    """A plotly typed array (numpy data sent as base64 binary) back to numpy."""
    values = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return values.reshape([int(v) for v in array["shape"].split(",")]) if "shape" in array else values


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_digits_section(lang):
    at = open_page(SCRIPT, lang)
    # the epochs scrub in the browser: one frame per shown epoch, each the shipped run's own grid at that epoch
    _, hist, _ = gan.digits.pretrained(False)
    spec = chart(at, "gan_digit_curves")
    epochs = [int(f["name"]) for f in spec["frames"]]
    assert epochs[0] == 1 and epochs[-1] == len(hist.epoch) and 10 <= len(epochs) <= 25
    assert spec["layout"]["sliders"][0]["active"] == len(epochs) - 1  # it opens on the trained GAN
    for frame in (spec["frames"][0], spec["frames"][-1]):
        e = int(frame["name"])
        grid = typed(frame["data"][0]["z"])
        assert np.array_equal(grid[:8, 9:17], np.asarray(hist.grids[e - 1][1]).reshape(8, 8))  # the second tile
        assert str(hist.classes_covered[e - 1]) in spec["layout"]["sliders"][0]["steps"][epochs.index(e)]["label"]
    assert not np.array_equal(typed(spec["frames"][0]["data"][0]["z"]), typed(spec["frames"][-1]["data"][0]["z"]))
    for digit in (0, 7, 9):
        at.button_group(key=k("digit")).set_value(digit).run()
        assert_clean(at)
    at.button(key="gan_new_noise").click().run()
    assert at.session_state["gan.digit_seed"] == 1
    at.button_group(key=k("digit")).set_value(None).run()
    assert_clean(at)


def test_an_older_link_with_an_epoch_opens_the_animation_there():
    """``epoch`` was a slider before the epochs scrubbed in the browser: a link that carries it still works."""
    at = open_page(SCRIPT, "en", run=False)
    at.query_params["epoch"] = "5"  # as the guided lesson's step does
    at.run()
    assert_clean(at)
    assert not at.warning
    steps = chart(at, "gan_digit_curves")["layout"]["sliders"][0]
    assert steps["steps"][steps["active"]]["label"].startswith("Epoch 5 · 3 of the 10")  # the lesson's answer
    at = open_page(SCRIPT, "pt", run=False)
    at.query_params["epoch"] = "500"  # out of range: said, and the animation opens on the last epoch
    at.run()
    assert not at.exception
    assert any("500" in w.value for w in at.warning)
    steps = chart(at, "gan_digit_curves")["layout"]["sliders"][0]
    assert steps["active"] == len(steps["steps"]) - 1


def test_own_points_and_other_datasets():
    at = open_page(SCRIPT, "en")
    at.selectbox(key="w:gan.dataset").set_value("moons").run()
    assert_clean(at)
    tr = trainer(at)
    assert tr.ring_centres is None and tr.step_ == 0
    labels = [m.label for m in at.metric]
    assert labels.count("Modes covered") == 3  # only the three presets below, not the live view
    at.selectbox(key="w:gan.dataset").set_value("own").run()  # no own points yet: a hint, no crash
    assert_clean(at)


def test_data_noise_and_size_sliders_rebuild_the_trainer():
    at = open_page(SCRIPT, "en")
    ring = points.BUILTIN["ring8"]
    centres = points.ring8_centres()
    at.slider(key=k("noise_ring8")).set_value(0.12).run()
    assert_clean(at)
    tr = trainer(at)
    assert tr.pretrained is None and tr.step_ == 0  # the shipped weights fit only the default ring
    assert len(tr.X) == ring.default_n and abs(gan.ring_noise(tr.X, centres) - 0.12) < 0.015
    assert tr.quality_radius == pytest.approx(4 * gan.ring_noise(tr.X, centres))  # "high quality" widens with the noise
    at.slider(key=k("n_points")).set_value(300).run()
    assert_clean(at)
    tr = trainer(at)
    assert len(tr.X) == 300 and tr.step_ == 0 and tr.eval_sizes()["sw_real"] == 300
    at.button(key="gan_step").click().run()
    assert trainer(at).step_ == 1  # the new data set trains
    at.slider(key=k("noise_ring8")).set_value(ring.default_noise).run()
    at.slider(key=k("n_points")).set_value(ring.default_n).run()
    assert_clean(at)
    tr = trainer(at)
    assert tr.pretrained == "fixed" and tr.step_ == gan.PRESET_BUDGET  # the preset's own data: shipped weights again
    at.selectbox(key=k("dataset")).set_value("moons").run()
    at.slider(key=k("noise_moons")).set_value(0.3).run()
    at.slider(key=k("n_points")).set_value(150).run()
    assert_clean(at)
    tr = trainer(at)
    assert len(tr.X) == 150 and tr.ring_centres is None and tr.step_ == 0
    seed = at.session_state["w:seed"]
    np.testing.assert_array_equal(tr.X, points.make_dataset("moons", 150, 0.3, seed).X)  # the slider's noise, not 0.15
    assert not np.allclose(tr.X, points.make_dataset("moons", 150, 0.15, seed).X)


def test_too_few_own_points_gives_a_translated_message():
    from engine.data.points import Dataset

    at = open_page(SCRIPT, "pt")
    at.session_state["user_data"] = Dataset(np.arange(10.0).reshape(5, 2), np.zeros(5, int), "drawn", ("A",))
    at.selectbox(key="w:gan.dataset").set_value("own").run()
    assert not at.exception
    assert [e.value for e in at.error] == [text.lookup("pt", "errors.too_few_points", n=5, min=8)]


def test_folded_parts_are_made_when_opened_and_show_the_right_thing():
    """The replay (an expander) and the variants (tabs) run nothing on the first view; opened, they show their figures."""
    at = open_page(SCRIPT, "en")
    charts = {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}
    assert "gan_replay" not in charts and "gan_truncation_curve" in charts  # folded replay; the first tab's curve
    assert "gan.cycle" not in at.session_state and "gan_cycle_plane" not in charts  # a closed tab's section never ran
    at.session_state["gan_replay_open"] = True  # the student unfolds the replay
    at.run()
    assert_clean(at)
    replay = chart(at, "gan_replay")
    assert len(replay["frames"]) == len(trainer(at).frames) >= 2  # this session's own training, every frame
    at.session_state["gan_tab"] = text.lookup("en", "gan.variants.cycle")
    at.run()
    assert_clean(at)
    assert at.session_state["gan.cycle"].trainer is None  # the tab opened on the shipped run: no trainer until Train live
    label = text.lookup("en", "gan.cycle.metric_cycle")
    shown = [float(m.value) for m in at.metric if m.label == label]
    assert shown == [pytest.approx(gan.cycle.shipped_run(True).history.cycle_test[-1], abs=6e-4)]
    assert chart(at, "gan_cycle_plane")["layout"]["title"]["text"] == text.lookup("en", "gan.cycle.title_shipped", steps="600")
    assert "gan_truncation_curve" not in {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}


def test_the_fast_figure_helpers_send_what_plotly_would():
    """``plots_gan.subplots`` builds what make_subplots builds; a frozen figure sends the same dict on every run, and a
    copy of it (presenter mode restyles one) keeps its frames."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ui import plots_gan

    shape = dict(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=["a", "b"], row_heights=[0.7, 0.3])
    ours, theirs = plots_gan.subplots(**shape), make_subplots(**shape)
    for fig in (ours, theirs):
        fig.add_trace(go.Scatter(x=[1, 2], y=[3, 4]), row=2, col=1)
        fig.update_yaxes(type="log", row=1, col=1)
        fig.add_vline(x=1.5, row="all", col=1)
    assert ours.to_dict() == theirs.to_dict()
    rng = np.random.default_rng(0)
    frames = [(s, rng.normal(size=(5, 2))) for s in (0, 10, 20)]
    labels = {"real": "real", "fake": "fake", "step": "step"}
    frozen = plots_gan.replay((-3, 3, -3, 3), rng.normal(size=(4, 2)), frames, labels, "pt")
    sent = frozen.to_dict()
    assert frozen.to_dict() == sent and sent["layout"]["separators"] == ",."
    assert len(sent["frames"]) == 3
    x = np.frombuffer(base64.b64decode(sent["frames"][1]["data"][0]["x"]["bdata"]), np.float32)
    assert np.allclose(x, frames[1][1][:, 0])  # each frame's own points, packed as plotly packs them
    assert go.Figure(frozen).to_dict()["frames"] == sent["frames"]


def test_the_live_plane_draws_a_fixed_subset_while_playing_and_the_csv_keeps_every_point(monkeypatch):
    """While training plays the plane draws LIVE_REAL of the real points (the same ones on every tick, said in the
    legend) and the first LIVE_FAKE generated ones, D(x) on a coarser grid; paused, all of them. The CSV in the sidebar
    always has every real and generated point, from the data, never from the thinned figure."""
    from tests.apptest_utils import capture_csv
    from ui import plots_gan

    written = capture_csv(monkeypatch)
    at = open_page(SCRIPT, "pt")
    tr = trainer(at)
    n_real, n_fake = len(tr.X), gan.MAX_POINTS_PER_FRAME
    assert n_real > plots_gan.LIVE_REAL and n_fake > plots_gan.LIVE_FAKE

    def traces(spec):
        return {t.get("name"): t for t in spec["data"]}

    def xy(trace):
        return np.column_stack([typed(trace["x"]), typed(trace["y"])])

    def d_grid(spec):
        z = next(t for t in spec["data"] if t["type"] == "heatmap")["z"]
        return np.shape(typed(z) if isinstance(z, dict) else z)

    paused = traces(chart(at, "gan_plane"))
    assert len(xy(paused["dados reais"])) == n_real and len(xy(paused["gerados G(z)"])) == n_fake
    assert d_grid(chart(at, "gan_plane")) == (60, 60)

    at.slider(key=k("steps_per_tick")).set_value(2).run()
    at.button(key="gan_play").click().run()  # playing: this run is one tick
    assert at.session_state["gan.live"].playing
    live = traces(spec := chart(at, "gan_plane"))
    real_name = f"dados reais ({plots_gan.LIVE_REAL} de {n_real} desenhados durante o treino)"
    fake_name = f"gerados G(z) ({plots_gan.LIVE_FAKE} de {n_fake} desenhados durante o treino)"
    assert set(live) >= {real_name, fake_name}
    shown = xy(live[real_name])
    assert len(shown) == plots_gan.LIVE_REAL
    assert np.allclose(shown, tr.X[plots_gan.live_subset(n_real)], atol=1e-6)  # a fixed subset of the real points
    assert len(xy(live[fake_name])) == plots_gan.LIVE_FAKE
    assert d_grid(spec) == (plots_gan.LIVE_RESOLUTION,) * 2
    rows = written["gan"].splitlines()  # the CSV this run drew: every point
    assert sum(r.startswith("dados reais,") for r in rows) == n_real
    assert sum(r.startswith("gerados G(z),") for r in rows) == n_fake
    assert len(rows) == 1 + n_real + n_fake  # no arrows, no grid
    at.button(key="gan_pause").click().run()
    assert_clean(at)
    again = traces(chart(at, "gan_plane"))
    assert len(xy(again["dados reais"])) == n_real and len(xy(again["gerados G(z)"])) == n_fake
    assert any(plots_gan.LIVE_REAL == int(c.value.split(" pontos reais")[0].split()[-1]) for c in at.caption
               if "amostra fixa de" in c.value)


def test_reset_this_page_brings_back_the_pages_own_defaults():
    """The page seeds its layers, its start and its steps per frame before drawing them (the widgets have no
    default of their own): "Reset this page" used to empty the layers and start from the first preset at step 0."""
    at = open_page(SCRIPT, "en")
    first = (list(at.button_group(key=k("layers")).value), at.selectbox(key=k("preset")).value, at.slider(key=k("steps_per_tick")).value)
    at.button_group(key=k("layers")).set_value(["real"]).run()
    at.slider(key=k("steps_per_tick")).set_value(3).run()
    at.selectbox(key=k("preset")).set_value("collapse").run()
    assert trainer(at).pretrained == "collapse"
    at.button(key="reset_page").click().run()
    assert_clean(at)
    assert first == (["real", "fake", "d_map", "arrows"], "fixed", 20)
    assert (list(at.button_group(key=k("layers")).value), at.selectbox(key=k("preset")).value, at.slider(key=k("steps_per_tick")).value) == first
    assert trainer(at).pretrained == "fixed" and trainer(at).step_ == gan.PRESET_BUDGET
