"""AppTest of the diffusion page: every widget, both languages, and every bad input's message."""

from __future__ import annotations

import base64
import importlib.util
import json

import numpy as np
import pytest

from engine.data import points
from engine.data.points import Dataset
from engine.families import diffusion as D
from tests.apptest_utils import assert_clean, open_page
from ui import data_input, text
from ui import views_diffusion as V

SCRIPT = "pages/05_diffusion.py"
K = "w:diffusion."


def msg(lang: str, code: str, **params) -> str:
    return text.lookup(lang, f"diffusion.errors.{code}", **params)


def section(at, name: str):
    at.segmented_control(key=K + "section").set_value(name).run()
    return at


def chart_keys(block) -> set[str]:
    """The keys of the plotly charts in a block (a chart's id ends with its key)."""
    return {c.proto.id.rsplit("-", 1)[-1] for c in block.get("plotly_chart")}


def chart(at, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-" + key)).proto.spec)


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_forward_process_widgets_and_bad_schedules(lang):
    at = open_page(SCRIPT, lang)
    assert_clean(at)
    assert at.title[0].value == text.lookup(lang, "diffusion.title")
    for schedule in ("cosine", "sigmoid", "linear"):
        at.selectbox(key=K + "schedule").set_value(schedule).run()
        assert_clean(at)
    at.session_state[K + "t_forward"] = 100  # the points' roads scrub in the browser: a link's t opens them there
    at.run()
    assert_clean(at)
    at.session_state[K + "t_forward"] = 0
    at.run()
    assert_clean(at)
    at.selectbox(key=K + "dataset").set_value("ring8").run()
    at.slider(key=K + "noise_ring8").set_value(0.2).run()
    at.slider(key=K + "n_points").set_value(300).run()
    assert_clean(at)
    for source in ("digits", "photo", "points"):
        at.segmented_control(key=K + "source").set_value(source).run()
        assert_clean(at)
        if source == "digits":  # images: the two roads at one t, on a Streamlit slider
            for t in (100, 0):
                at.slider(key=K + "t_forward").set_value(t).run()
                assert_clean(at)
    # the teaching point: DDPM's betas with T = 50 leave ᾱ_T ≈ 0.6
    at.number_input(key=K + "beta_start").set_value(0.0001).run()
    at.number_input(key=K + "beta_end").set_value(0.02).run()
    at.number_input(key=K + "T").set_value(50).run()
    assert_clean(at)
    assert any(text.number(lang, 0.60, ".2f") in w.value for w in at.warning)
    # bad inputs, each with its own message and no traceback
    at.number_input(key=K + "T").set_value(1).run()
    assert [e.value for e in at.error] == [msg(lang, "T_too_small", T=1, min=2)]
    assert not at.exception
    at.number_input(key=K + "T").set_value(100).run()
    at.number_input(key=K + "beta_end").set_value(1.2).run()
    assert [e.value for e in at.error] == [msg(lang, "alpha_bar_zero", value=1.2)]
    at.number_input(key=K + "beta_end").set_value(0.2).run()
    at.number_input(key=K + "beta_start").set_value(-0.05).run()
    assert [e.value for e in at.error] == [msg(lang, "alpha_bar_above_one", value=-0.05)]
    assert not at.exception
    at.number_input(key=K + "beta_start").set_value(0.001).run()
    at.number_input(key=K + "T").set_value(1000).run()
    assert_clean(at)


def test_drawing_controls_seed_and_reset():
    at = open_page(SCRIPT, "en")
    at.radio(key=K + "draw_class").set_value(2).run()
    at.radio(key=K + "draw_mode").set_value("point").run()
    assert_clean(at)
    at.button(key="use_drawing_diffusion").click().run()  # nothing drawn yet: the shared message
    assert [e.value for e in at.error] == [text.lookup("en", "errors.nothing_drawn")]
    at.number_input(key="w:seed").set_value(3).run()
    at.number_input(key=K + "T").set_value(40).run()
    assert_clean(at)
    at.button(key="reset_page").click().run()
    assert_clean(at)
    assert at.number_input(key=K + "T").value == 100
    # the browser is told too (set_value): a deleted key alone left it showing, and sending back, T = 40
    assert at.number_input(key=K + "T").proto.set_value
    assert at.radio(key=K + "draw_mode").value != "point" and at.radio(key=K + "draw_mode").proto.set_value


def test_degenerate_own_points_get_a_message():
    at = open_page(SCRIPT, "en", run=False)
    X = np.c_[np.linspace(0, 1, 30), np.linspace(0, 2, 30)]  # every point on one line
    at.session_state["user_data"] = Dataset(X, np.zeros(30, int), "line", ("A",))
    at.session_state[K + "dataset"] = "own"
    at.run()
    assert [e.value for e in at.error] == [msg("en", "degenerate_data")]
    assert not at.exception


def mmd_help(at) -> str:
    return next(m.help for m in at.metric if m.label == text.lookup("en", "diffusion.mmd2"))


def test_reverse_process_with_shipped_models():
    at = open_page(SCRIPT, "en")
    at.selectbox(key=K + "dataset").set_value("moons").run()
    section(at, "reverse")
    assert_clean(at)
    assert len(at.metric) >= 2
    assert "between 500 samples and 500 data points" in mmd_help(at)  # the page's EVAL_POINTS, not a number in the text
    assert text.lookup("en", "diffusion.mmd2_negative") in mmd_help(at)
    at.slider(key=K + "n_points").set_value(300).run()
    assert_clean(at)
    assert "between 500 samples and 300 data points" in mmd_help(at)  # fewer data points than EVAL_POINTS: all of them
    field = chart(at, "field_fig")  # the arrows' t scrubs in the browser: a frame per noise level, opening at T // 10
    ts = V.field_timesteps(100)
    assert ts[:3] == [1, 10, 20] and ts[-1] == 100 and [f["name"] for f in field["frames"]] == [str(t) for t in ts]
    assert opening(field) == "10" and not [s for s in at.slider if s.key == K + "t_field"]
    assert field["data"][1]["name"] == text.lookup("en", "diffusion.field_x_t")
    at.session_state[K + "t_field"] = 37  # a link's t (``t_field`` was a Streamlit slider): the nearest frame
    at.run()
    assert_clean(at)
    assert opening(chart(at, "field_fig")) == "40"
    at.session_state[K + "t_field"] = "abc"  # not a timestep: said once, the default
    at.run()
    assert not at.exception and len(at.warning) == 1 and opening(chart(at, "field_fig")) == "10"
    for steps in (10, 50):
        at.segmented_control(key=K + "ddim_steps").set_value(steps).run()
        assert_clean(at)
    at.segmented_control(key=K + "sampler").set_value("ddpm").run()
    assert_clean(at)
    at.selectbox(key=K + "dataset").set_value("swiss_roll").run()
    assert_clean(at)


def test_live_training_start_pause_restart_and_too_many_steps():
    at = open_page(SCRIPT, "pt")
    at.number_input(key=K + "T").set_value(10).run()  # a short chain, so DDIM-20 is impossible
    at.selectbox(key=K + "dataset").set_value("moons").run()
    section(at, "reverse")
    at.segmented_control(key=K + "model_source").set_value("live").run()
    assert_clean(at)
    at.select_slider(key=K + "train_steps").set_value(400).run()
    at.button(key="diffusion_play").click().run()  # start: one training tick per run under AppTest
    assert_clean(at)
    at.run()
    trainer = at.session_state["diffusion.live"].trainer
    assert trainer.step_ > 0
    # the loss is a mean over the d = 2 coordinates, and the axis and legend say so
    assert chart(at, "loss_fig")["layout"]["yaxis"]["title"]["text"] == text.lookup("pt", "diffusion.loss_axis", d=2)
    assert "‖² / d" in text.lookup("pt", "diffusion.loss_axis", d=2)
    assert text.lookup("pt", "diffusion.loss_legend", d=2) in [c.value for c in at.caption]
    from ui import diffusion_sections as sections

    def counts() -> list[int]:  # points of each cloud the preview draws: the data, then the samples
        return [len(base64.b64decode(t["x"]["bdata"])) // 4 for t in chart(at, "preview_fig")["data"]]

    n_data = len(trainer._data)  # the points it trains on (the page's moons)
    assert n_data > sections.LIVE_DATA
    assert counts() == [sections.LIVE_DATA, sections.LIVE_PREVIEW]  # while playing: a fixed sample of each, said so
    assert any(c.value.startswith("Enquanto o treino roda, o gráfico da direita") for c in at.caption)
    at.button(key="diffusion_pause").click().run()  # pause: the reverse views appear …
    assert counts() == [n_data, sections.PREVIEW_POINTS]  # … and the preview draws every point
    # … but DDIM's default 20 steps do not fit in T = 10: a clear message, no traceback
    assert [e.value for e in at.error] == [msg("pt", "more_steps_than_T", steps=20, T=10)]
    assert not at.exception
    at.segmented_control(key=K + "ddim_steps").set_value(10).run()
    assert_clean(at)
    assert len(at.metric) >= 2
    at.segmented_control(key=K + "sampler").set_value("ddpm").run()
    assert_clean(at)
    at.button(key="diffusion_reset").click().run()
    assert_clean(at)
    assert at.session_state["diffusion.live"].trainer.step_ == 0


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_digits_scrub_every_guidance_weight_in_the_browser(lang):
    """The guided digits show all 13 weights as plotly frames (no guidance widget, so no rerun): the shipped sweep at
    first, a fresh one for another class and step count, each frame with the film, the grid and both markers."""
    at = open_page(SCRIPT, lang)
    section(at, "digits")
    assert_clean(at)
    assert not [w for w in at.slider if w.key == K + "guidance"]

    def frames() -> list:
        fig = chart(at, "digit_sweep")
        assert len(fig["layout"]["sliders"][0]["steps"]) == len(D.GUIDANCE_SWEEP)
        return fig["frames"]

    shipped = frames()
    assert len(shipped) == len(D.GUIDANCE_SWEEP) and all(len(f["data"]) == 4 for f in shipped)
    at.segmented_control(key=K + "digit_class").set_value(0).run()
    at.segmented_control(key=K + "digit_steps").set_value(10).run()
    assert_clean(at)
    assert frames() != shipped


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_latent_and_comparison_sections(lang):
    at = open_page(SCRIPT, lang)
    section(at, "latent")
    assert_clean(at)
    if importlib.util.find_spec("engine.families.vae") is None:
        assert at.info  # says the VAE page's model is missing
    else:
        at.segmented_control(key=K + "latent_class").set_value(2).run()
        at.slider(key=K + "latent_guidance").set_value(4.0).run()
        at.segmented_control(key=K + "latent_steps").set_value(20).run()
        assert_clean(at)
        helps = [m.help for m in at.metric if m.label.startswith("MMD²")]
        assert len(helps) == 2 and all(text.lookup(lang, "diffusion.mmd2_negative") in h for h in helps)
    section(at, "models")
    assert_clean(at)
    assert any("DALL·E" in m.value for m in at.markdown)


COMPARE_CAPTIONS = {"digits": "compare_digits_caption", "photo": "compare_photo_caption"}
COMPARE_CHARTS = {"digits": {"compare_images", "compare_hist"}, "photo": {"compare_images", "compare_hist"}}


def typed(trace: dict) -> np.ndarray:
    """A scatter trace's points, sent as float32 base64."""
    return np.column_stack([np.frombuffer(base64.b64decode(trace[a]["bdata"]), np.float32) for a in "xy"])


def opening(fig: dict) -> str:
    """The frame a figure's plotly slider opens at, by name."""
    slider = fig["layout"]["sliders"][0]
    return slider["steps"][slider["active"]]["args"][0][0]


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_step_by_step_panel_draws_and_explains_every_data_choice(lang):
    """Neither column of "Step by step, or in one jump?" is empty for images, and its captions describe what is drawn;
    the points' roads are one figure scrubbed in the browser, explained under it."""
    at = open_page(SCRIPT, lang)
    for source in ("digits", "photo"):
        at.segmented_control(key=K + "source").set_value(source).run()
        assert_clean(at)
        i = next(i for i, c in enumerate(at.columns) if c.get("dataframe"))  # the table's column, right of the figures
        left, right = at.columns[i - 1], at.columns[i]
        assert chart_keys(left) == COMPARE_CHARTS[source], source
        assert len(right.get("dataframe")) == 1
        captions = [c.value for c in left.get("caption")]
        shown = {s for s, key in COMPARE_CAPTIONS.items() if text.lookup(lang, f"diffusion.{key}", n=8, t=10) in captions}
        assert shown == {source}, (source, captions)  # t = 10 by default
        m = {"digits": 400 * 64, "photo": 64 * 64 * 3}[source]  # the histogram's legend counts every pixel value
        assert captions[1] == text.lookup(lang, "diffusion.compare_hist_legend", m=text.number(lang, m, ","))
    at.slider(key=K + "t_forward").set_value(0).run()  # nothing to histogram at t = 0: the images and a sentence
    i = next(i for i, c in enumerate(at.columns) if c.get("dataframe"))
    assert chart_keys(at.columns[i - 1]) == {"compare_images"}
    assert text.lookup(lang, "diffusion.compare_t0") in [c.value for c in at.columns[i - 1].get("caption")]
    at.segmented_control(key=K + "source").set_value("points").run()
    assert_clean(at)
    assert not at.get("dataframe") and not [s for s in at.slider if s.key == K + "t_forward"]  # no table, no rerun for t
    captions = [c.value for c in at.caption]
    assert text.lookup(lang, "diffusion.compare_caption", n=text.number(lang, 300, ","), m=text.number(lang, 400, ",")) in captions  # 300 of each cloud drawn
    assert text.lookup(lang, "diffusion.compare_scrub", n=21) + " " + text.lookup(lang, "diffusion.mmd2_negative") in captions


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_the_points_roads_scrub_in_the_browser_with_the_server_s_numbers_in_each_frame(lang):
    """Every t of the roads is a plotly frame (no t widget: no rerun): at two of them the clouds are the rows of
    ``compare_roads`` at that t (300 of 800, the same rows by both roads) and the label gives its residual statistics
    and MMD² (over every point), as the table and the metric did; the figure opens at a link's t."""
    at = open_page(SCRIPT, lang)
    fig = chart(at, "compare_fig")
    ds = data_input.builtin("swiss_roll", points.BUILTIN["swiss_roll"].default_n, points.BUILTIN["swiss_roll"].default_noise, 0)
    X0, config = D.check_2d_data(ds.X), D.ScheduleConfig()
    ts = [int(f["name"]) for f in fig["frames"]]
    assert ts == list(range(0, 101, 5)) and opening(fig) == "10"
    steps = fig["layout"]["sliders"][0]["steps"]
    assert [step["args"][0] for step in steps] == [[str(t)] for t in ts]
    rows = np.sort(np.random.default_rng(0).choice(len(X0), 300, replace=False))
    sched = D.NoiseSchedule(config)
    for t in (10, 55):
        res = D.compare_roads(X0, config, t, 0)  # what the table and the metric showed at t
        frame = fig["frames"][ts.index(t)]
        assert frame["traces"] == [1, 2]
        for trace, cloud in zip(frame["data"], (res.iterative, res.closed)):
            np.testing.assert_allclose(typed(trace), cloud[rows], rtol=1e-5, atol=1e-6)
        n = lambda v, spec: text.number(lang, v, spec)  # noqa: E731
        assert steps[ts.index(t)]["label"] == text.lookup(
            lang, "diffusion.compare_frame", t=t, mean_factor=n(sched.marginal(t)[0], ".3f"), var=n(res.var, ".4f"),
            it_mean=n(res.rows["iterative"][0], "+.4f"), it_var=n(res.rows["iterative"][1], ".4f"),
            cf_mean=n(res.rows["closed"][0], "+.4f"), cf_var=n(res.rows["closed"][1], ".4f"), mmd=n(res.mmd2, ".4f"))
        if t == 10:  # drawn first: the frame it opens at; its MMD² is negative (-0.0044), explained under the figure
            for trace, cloud in zip(fig["data"][1:], (res.iterative, res.closed)):
                np.testing.assert_allclose(typed(trace), cloud[rows], rtol=1e-5, atol=1e-6)
            assert res.mmd2 < 0
    at.session_state[K + "t_forward"] = 55  # a link's t (``t_forward`` was the roads' Streamlit slider)
    at.run()
    assert_clean(at)
    assert opening(chart(at, "compare_fig")) == "55" and opening(chart(at, "forward_fig")) == "54"  # the forward one's nearest t
    at.session_state[K + "t_forward"] = "abc"  # not a timestep: said once, the default
    at.run()
    assert not at.exception and len(at.warning) == 1 and K + "t_forward" not in at.session_state
    assert opening(chart(at, "compare_fig")) == "10"


def test_a_link_opens_the_score_field_at_its_noise_level_on_a_fresh_server():
    """``t_field`` is no widget any more (the arrows' t scrubs in the browser): a link's value still opens the figure
    there (the nearest frame), and is no "unknown setting"."""
    at = open_page(SCRIPT, "en", run=False)
    at.query_params["section"] = "reverse"
    at.query_params["t_field"] = "37"
    at.run()
    assert_clean(at)
    assert not [w for w in at.warning if w.icon == ":material/link_off:"]
    assert opening(chart(at, "field_fig")) == "40"
