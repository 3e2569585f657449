"""AppTest for the VAE page: every widget moved across its range, in both languages."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.apptest_utils import assert_clean, open_page, read_number
from ui import text

SCRIPT = "pages/03_vae.py"


def k(name: str) -> str:
    return f"w:vae.{name}"


def open_tab(at, lang: str, name: str) -> None:
    """Tabs are lazy (only the open one runs): select one as a click would, then rerun."""
    at.session_state["vae_tab"] = text.catalogue(lang)[f"vae.tab.{name}"]
    at.run()


def cat_start(lang: str, key: str) -> str:
    """The text of ``vae.<key>`` up to its first placeholder."""
    return text.catalogue(lang)[f"vae.{key}"].split("{")[0]


def texts(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "error") for e in getattr(at, kind))


@pytest.fixture(params=["en", "pt"])
def lang(request):
    return request.param


def test_model_choice_metrics_and_latent_space(lang):
    at = open_page(SCRIPT, lang)
    assert_clean(at)
    cat = text.catalogue(lang)
    assert at.title[0].value == cat["vae.title"]
    elbo = read_number(at.metric[0].value, lang)
    assert 90 < elbo < 106  # a trained model beats independent pixels (106.5)
    for beta in (0.25, 8.0):
        at.select_slider(key=k("beta")).set_value(beta).run()
        assert_clean(at)
    kl_collapsed = read_number(at.metric[2].value, lang)
    assert kl_collapsed < 0.5  # β = 8: posterior collapse, shown by the KL metric
    at.select_slider(key=k("beta")).set_value(1.0).run()
    at.select_slider(key=k("iwae_k")).set_value(50).run()
    assert_clean(at)
    assert read_number(at.metric[3].value, lang) <= read_number(at.metric[0].value, lang)  # −IWAE ≤ −ELBO
    for d in (8, 16):
        at.selectbox(key=k("latent")).set_value(d).run()
        assert_clean(at)
    at.segmented_control(key=k("arch")).set_value("conv").run()
    assert_clean(at)
    assert at.selectbox(key=k("latent")).value == 2
    at.segmented_control(key=k("arch")).set_value("mlp").run()
    # pick a point near the prior, then one far outside it: the page warns and says why
    at.number_input(key=k("pick_z1")).set_value(1.0)
    at.number_input(key=k("pick_z2")).set_value(-1.0).run()
    assert_clean(at)
    assert not at.warning
    at.number_input(key=k("pick_z1")).set_value(30.0).run()
    assert_clean(at)
    assert len(at.warning) == 1 and cat["vae.far_warning"][:20] in at.warning[0].value


def chart_spec(at, key: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    assert len(charts) == 1, key
    return json.loads(charts[0].proto.spec)


def test_a_typed_point_far_from_the_codes_stays_on_the_plot(lang):
    at = open_page(SCRIPT, lang)
    for z1, z2 in ((6.0, -2.8), (-30.0, 12.0), (0.5, 0.5)):
        at.number_input(key=k("pick_z1")).set_value(z1)
        at.number_input(key=k("pick_z2")).set_value(z2).run()
        assert_clean(at)
        layout = chart_spec(at, "latent_fig")["layout"]
        (x0, x1), (y0, y1) = layout["xaxis"]["range"], layout["yaxis"]["range"]
        assert x0 < z1 < x1 and y0 < z2 < y1, (z1, z2, layout["xaxis"]["range"], layout["yaxis"]["range"])
    assert x1 == pytest.approx(3.5, abs=0.6)  # back near the codes, the view is the usual one again


def test_kl_per_dimension_and_active_dimensions(lang):
    at = open_page(SCRIPT, lang)
    cat = text.catalogue(lang)
    at.selectbox(key=k("latent")).set_value(16).run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    active, total = (int(v) for v in metrics[cat["vae.m_active"]].split("/"))
    assert total == 16 and 4 <= active <= 7  # the shipped d = 16 model uses 6 of its 16 dimensions
    rate = read_number(metrics[cat["vae.m_rate"]], lang)
    assert rate == pytest.approx(read_number(metrics[cat["vae.m_kl"]], lang), abs=0.006)  # the same KL, in two places
    info, rest = read_number(metrics[cat["vae.m_info"]], lang), read_number(metrics[cat["vae.m_marginal"]], lang)
    assert info + rest == pytest.approx(rate, abs=0.011) and 0 < info < rate
    bars = [tr for tr in chart_spec(at, "kl_dims_fig")["data"] if tr["type"] == "bar"]
    assert sum(len(b["x"]) for b in bars) == 16 and len(bars[0]["x"]) == active  # one bar per dimension, active ones first
    at.selectbox(key=k("latent")).set_value(2).run()
    at.select_slider(key=k("beta")).set_value(8.0).run()  # posterior collapse: one weak dimension left
    assert_clean(at)
    assert {m.label: m.value for m in at.metric}[cat["vae.m_active"]].replace(" ", "") == "1/2"


def test_latent_plane_hover_images_are_compact_and_whole():
    """Each test digit's hover image is its eight rows (ASCII, two characters per pixel, the line breaks once in the
    trace's template): block characters and a "<br>" per row made the plane 283 kB of JSON, most of a β change."""
    import numpy as np
    import plotly.io as pio

    from engine.data import digits
    from ui import plots_vae

    X, y = digits.load("test")
    Z = np.random.default_rng(0).normal(size=(len(X), 2))
    fig = plots_vae.latent_scatter(Z, y, X, ("z1", "z2"), "digit {k}", 3.5, np.zeros(2), "picked")
    zeros = next(t for t in fig.data if t.name == "digit 0")
    rows = zeros.customdata[0]
    assert len(rows) == 8 and all(len(r) == 16 and r.isascii() for r in rows)
    first = X[y == 0][0].reshape(8, 8)
    assert [r[::2] for r in rows] == ["".join(plots_vae.SHADES[int(v)] for v in np.rint(row / 16 * 4)) for row in first]
    assert zeros.hovertemplate.count("%{customdata[") == 8
    assert len(pio.to_json(fig, validate=False)) < 130_000


def test_walk_animation_buttons_use_glyphs_the_fonts_have():
    """⏸ (U+23F8) drew a missing-glyph box in Chromium: every character on the buttons must be in an installed font."""
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig is not installed")
    import numpy as np

    from ui import plots_vae

    fig = plots_vae.walk_animation(np.zeros((3, 64)), "t", "Play", "Pause")
    for button in fig.layout.updatemenus[0].buttons:
        for ch in set(button.label) - set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ "):
            fonts = subprocess.run(["fc-list", f":charset={ord(ch):x}", "family"], capture_output=True, text=True).stdout
            assert fonts.strip(), f"no installed font draws {ch!r} (U+{ord(ch):04X}) in {button.label!r}"


def test_grid_walk_sampling_reconstructions(lang):
    at = open_page(SCRIPT, lang)
    open_tab(at, lang, "grid")
    at.slider(key=k("grid_n")).set_value(5)
    at.slider(key=k("grid_lim")).set_value(8.0).run()
    assert_clean(at)
    at.slider(key=k("grid_n")).set_value(25).run()
    assert_clean(at)
    open_tab(at, lang, "walk")
    at.number_input(key=k("walk_idx0")).set_value(446)
    at.number_input(key=k("walk_idx1")).set_value(0)
    at.slider(key=k("walk_n")).set_value(16).run()
    assert_clean(at)
    assert at.radio(key=k("walk_method")).options == [text.catalogue(lang)["vae.methods.lerp"]]
    at.selectbox(key=k("latent")).set_value(16).run()
    at.radio(key=k("walk_method")).set_value("slerp").run()
    assert_clean(at)
    said = texts(at)
    assert "√d = 4" in said.replace("4,0", "4.0") and cat_start(lang, "walk_norms_paths") in said  # the arc vs √d, stated
    at.slider(key=k("walk_n")).set_value(5).run()
    assert_clean(at)
    open_tab(at, lang, "sample")
    at.slider(key=k("n_samples")).set_value(48)
    at.toggle(key=k("sample_pixels")).set_value(True).run()
    assert_clean(at)
    at.button(key="vae_resample").click().run()
    assert_clean(at)
    open_tab(at, lang, "recon")
    at.slider(key=k("n_recon")).set_value(24).run()
    for order in ("worst", "best", "first"):
        at.segmented_control(key=k("recon_order")).set_value(order).run()
        assert_clean(at)


def test_drawn_endpoints_before_drawing_invite_to_draw(lang):
    at = open_page(SCRIPT, lang)
    open_tab(at, lang, "walk")
    at.segmented_control(key=k("walk_source")).set_value("drawn").run()
    assert_clean(at)
    prompt = text.catalogue(lang)["vae.draw_prompt"]
    assert [e.value for e in at.info].count(prompt) == 2  # two untouched canvases: an invitation, not an error
    at.segmented_control(key=k("walk_source")).set_value("test").run()
    assert_clean(at)


def test_live_training_runs_pauses_and_finishes(lang):
    at = open_page(SCRIPT, lang)
    open_tab(at, lang, "train")
    assert text.catalogue(lang)["vae.live_none"] in texts(at)
    at.selectbox(key=k("live_latent")).set_value(2)
    at.select_slider(key=k("live_beta")).set_value(0.5)
    at.select_slider(key=k("live_lr")).set_value(0.01)
    at.select_slider(key=k("live_steps")).set_value(100)
    at.button(key="vae_play").click().run()  # the fragment runs one tick per run
    assert_clean(at)
    trainer = at.session_state["vae.live"].trainer
    assert 0 < trainer.step_ < 100
    at.button(key="vae_pause").click().run()  # pause
    step = trainer.step_
    at.run()
    assert trainer.step_ == step
    at.button(key="vae_play").click().run()  # resume
    for _ in range(40):  # a tick stops at 40 steps or its time budget: a loaded machine needs more ticks
        if trainer.done:
            break
        at.run()
    at.run()
    assert trainer.done and not trainer.diverged_
    assert_clean(at)
    assert len(at.metric) >= 8  # the model's metrics plus the fresh model's


def test_divergent_training_stops_and_says_so(lang):
    at = open_page(SCRIPT, lang)
    open_tab(at, lang, "train")
    at.select_slider(key=k("live_lr")).set_value(1000.0)
    at.select_slider(key=k("live_steps")).set_value(100)
    at.button(key="vae_play").click().run()
    for _ in range(40):
        if at.session_state["vae.live"].trainer.done:
            break
        at.run()
    at.run()
    tr = at.session_state["vae.live"].trainer
    assert tr.diverged_
    assert not at.exception
    assert len(at.error) == 1
    assert text.catalogue(lang)["vae.diverged"].split("{")[0] in at.error[0].value


def test_vq_vae_tab(lang):
    at = open_page(SCRIPT, lang)
    open_tab(at, lang, "vq")
    assert_clean(at)
    for code, slot in ((0, 1), (31, 3), (5, 0)):
        at.number_input(key=k("vq_code")).set_value(code)
        at.segmented_control(key=k("vq_slot")).set_value(slot).run()
        assert_clean(at)


def test_the_other_shipped_betas_are_ready_before_a_move(monkeypatch):
    """After a view of a model, a background thread scores every shipped β of that architecture and latent size once
    (a move of β then finds them cached); a second view starts none."""
    from engine.families import vae
    from ui import views_vae

    monkeypatch.setenv("GP_PREWARM", "1")
    monkeypatch.setattr(views_vae, "_warmed", set())
    thread = views_vae.warm_betas(2, "mlp", 5, "pt")
    assert thread is not None and views_vae.warm_betas(2, "mlp", 5, "pt") is None  # once per setting
    thread.join(240)
    assert not thread.is_alive()

    def refuse(*args, **kwargs):
        raise AssertionError("scored again: the warm-up left it out")

    monkeypatch.setattr(vae.VAE, "evaluate", refuse)
    monkeypatch.setattr(vae.VAE, "iwae", refuse)
    for b in (0.25, 4.0, 8.0):
        ev, neg_iwae = views_vae.test_bounds(2, b, "mlp", 5)
        assert neg_iwae <= ev.neg_elbo + 0.5  # the importance-weighted bound is the tighter one (scored by the thread, by the page's call)
