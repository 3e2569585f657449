"""AppTest for the VAE page's VAE-GAN and latent-arithmetic tabs, in both languages."""

from __future__ import annotations

import pytest

from engine.data import digits
from tests.apptest_utils import assert_clean, open_page, read_number
from tests.test_vae_app import chart_spec, k, open_tab, texts
from ui import text

SCRIPT = "pages/03_vae.py"


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_vaegan_tab(lang):
    at = open_page(SCRIPT, lang)
    open_tab(at, lang, "vaegan")
    assert_clean(at)
    cat = text.catalogue(lang)
    shown = texts(at)
    for name in ("plain", "vaegan", "real"):  # the table's three rows
        assert f"| {cat[f'vae.vaegan.row_{name}']} |" in shown
    assert cat["vae.vaegan.verdict"].split("{")[0] in shown
    for key in ("vaegan_plain_fig", "vaegan_recon_fig"):
        chart_spec(at, key)
    rows = lambda: int(chart_spec(at, "vaegan_vg_fig")["data"][0]["z"]["shape"].split(",")[0])  # noqa: E731
    pixels = lambda: chart_spec(at, "vaegan_vg_fig")["data"][0]["z"]["bdata"]  # noqa: E731
    first = rows()
    at.select_slider(key=k("vaegan_n")).set_value(48).run()
    assert_clean(at)
    assert rows() > 1.8 * first  # 6 rows of 8 digits instead of 3
    grown = pixels()
    at.button(key="vaegan_resample").click().run()
    assert_clean(at)
    assert pixels() != grown  # new codes, new samples


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_latent_arithmetic_tab(lang):
    at = open_page(SCRIPT, lang)
    open_tab(at, lang, "edit")
    assert_clean(at)
    cat = text.catalogue(lang)
    anim = chart_spec(at, "edit_anim")
    assert len(anim["frames"]) == 16 and len(anim["layout"]["sliders"][0]["steps"]) == 16  # t scrubs in the browser
    chart_spec(at, "edit_strip")
    rate = next(m for m in at.metric if m.label == cat["vae.edit.m_rate"])
    assert 0.42 < read_number(rate.value, lang) / 100 < 0.6  # the 2D model (the page's default): 50.5% measured
    at.number_input(key=k("edit_index")).set_value(446).run()
    assert_clean(at)
    own = int(digits.load("test")[1][446])
    at.segmented_control(key=k("edit_target")).set_value(own).run()  # its own class: nothing to move
    assert_clean(at)
    assert len(at.info) == 1 and cat["vae.edit.same_class"].split("{")[0] in at.info[0].value
    at.segmented_control(key=k("edit_target")).set_value((own + 1) % 10).run()
    assert_clean(at)
    assert not at.info and chart_spec(at, "edit_anim")
