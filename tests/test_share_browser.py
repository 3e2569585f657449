"""Classroom mode in the real browser: a copied link opens the same view on a fresh server, in a new context."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.browser_utils import CHROMIUM, VIEWPORT, launch, server, wait_for_script
from ui import text

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"browser tests are required but {CHROMIUM} is missing")
    pytest.skip(f"{CHROMIUM} not found: apt-get install chromium", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
# the fitted mixture's figure, by its key: the page has more than one, and while a page loads the first one in the
# document is not always the same (seen once in the full suite: the log-likelihood curve against the points)
FIGURE = "document.querySelector('.st-key-gmm_generate .js-plotly-plot')"
FIGURE_DATA = f"() => JSON.stringify({FIGURE}.data.map(t => [t.x, t.y, t.z]))"
FIGURE_DRAWN = f"() => {{ const f = {FIGURE}; return !!(f && f.data && f._fullData); }}"


def _k_slider(page):
    label = text.lookup("pt", "mixtures_and_hmm.n_components")
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")


def _open(context, url: str):
    page = context.new_page()
    page.goto(url)
    wait_for_script(page)
    return page


def test_a_copied_link_opens_the_same_control_and_figure_on_a_fresh_server():
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            with server() as base:
                page = _open(browser.new_context(viewport=VIEWPORT), f"{base}/mixtures_and_hmm?lang=pt")
                _k_slider(page).focus()
                page.keyboard.press("ArrowRight")
                page.keyboard.press("ArrowRight")
                wait_for_script(page)
                expect(_k_slider(page)).to_have_value("5")
                page.get_by_text(text.lookup("pt", "share.title")).click()
                code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"] code')
                expect(code).to_contain_text("k=5", timeout=60_000)  # opening the panel makes the link from this moment's settings
                link = code.inner_text().strip()
                page.wait_for_function(FIGURE_DRAWN, timeout=60_000)
                figure = page.evaluate(FIGURE_DATA)
            assert "k=5" in link and "lang=pt" in link, link
            with server() as fresh:
                path = link.split("/", 3)[3]  # the same view on the other server: /mixtures_and_hmm?lang=pt&k=5
                other = _open(browser.new_context(viewport=VIEWPORT), f"{fresh}/{path}")
                expect(_k_slider(other)).to_have_value("5")
                other.wait_for_function(FIGURE_DRAWN, timeout=60_000)  # the script has finished; plotly may still be drawing
                assert json.loads(other.evaluate(FIGURE_DATA)) == json.loads(figure)
                assert other.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
