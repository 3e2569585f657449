"""AppTest for the VAE page's VAE-GAN tab, in both languages."""

from __future__ import annotations

import pytest

from tests.apptest_utils import assert_clean, open_page
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
