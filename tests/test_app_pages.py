"""Every page of the registry renders cleanly in both languages, with the shared frame."""

import json
import re

import pytest

from tests.apptest_utils import assert_clean, open_page
from ui import text
from ui.registry import HOME_SCRIPT, PAGES

# a decimal point as English writes it: 0.9, 12.5, 0.0148 (but not Portuguese thousands: 2.000)
ENGLISH_DECIMAL = re.compile(r"(?<![\d.])0\.\d|\d\.\d{1,2}(?!\d)|\d\.\d{4,}")
SCRIPTS = [HOME_SCRIPT] + [p.script for p in PAGES]


@pytest.mark.parametrize("lang", text.LANGS)
@pytest.mark.parametrize("script", SCRIPTS)
def test_page_renders_in_both_languages(script, lang):
    at = open_page(script, lang)
    assert_clean(at)
    key = "home" if script == HOME_SCRIPT else next(p.key for p in PAGES if p.script == script)
    assert at.title[0].value == text.lookup(lang, f"{key}.title")
    assert at.query_params["lang"] == lang
    # the shared sidebar: language switch and seed on every page
    assert at.sidebar.number_input[0].label == text.lookup(lang, "common.seed")
    if lang == "pt":  # numbers are written the Brazilian way: 0,904 and 12,5%, never 0.904
        english = [m.value for m in at.metric if ENGLISH_DECIMAL.search(str(m.value))]
        assert not english, english
    # and so are the numbers on every chart's axes and in its hovers (plotly's separators)
    layouts = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]
    separators = {layout.get("separators") for layout in layouts}
    assert separators <= {",." if lang == "pt" else ".,"}, separators
    # fixed margins (ui.charts.fit_margins), so the browser draws each figure once instead of growing its margins to fit
    # the legend, colour bar and labels and drawing it again
    auto = [i for i, layout in enumerate(layouts) if (layout.get("margin") or {}).get("autoexpand") is not False]
    assert not auto, auto
