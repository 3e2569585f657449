"""No navigation text is cut off: every sidebar link and every home-page card title is shown whole, in both
languages, at the widths the app is used at (a 1440 px projector and a 1024 px laptop, sidebar at its
default width).

Streamlit draws a page link on one line and hides what does not fit behind "…" (``text-overflow: ellipsis``
on an ``overflow: hidden`` box), so a cut-off label is an element inside the link whose content is wider than
its box. Skipped without Chromium, like ``tests/test_browser.py``.
"""

from __future__ import annotations

import pytest

from tests.browser_utils import require_browser, server, wait_for_script
from ui import text
from ui.registry import PAGES

pytestmark = pytest.mark.browser

sync_api = require_browser()
expect = sync_api.expect
WIDTHS = (1440, 1024)
PAINT_MS = 30_000

# For every page link: its text, whether it is in the sidebar, and the text of each element inside it whose
# content is wider than its box (1 px of slack for sub-pixel rounding).
CUT_OFF = """() => [...document.querySelectorAll('[data-testid="stPageLink"]')].map(link => ({
    text: link.innerText.split('\\n').pop().trim(),
    sidebar: link.closest('[data-testid="stSidebar"]') !== null,
    cut: [...link.querySelectorAll('*')]
        .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible')
        .map(e => e.innerText),
}))"""


@pytest.fixture(scope="module")
def base():
    with server() as url:
        yield url


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", text.LANGS)
def test_no_sidebar_link_or_home_card_title_is_cut_off(browser, base, lang, width):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    try:
        page.goto(f"{base}/?lang={lang}")
        wait_for_script(page)
        links = page.locator('[data-testid="stPageLink"]')
        expect(links).to_have_count(2 * len(PAGES) + 1, timeout=PAINT_MS)  # sidebar (with home) + one card each
        expect(page.locator('[data-testid="stSidebar"]')).to_be_visible()
        found = page.evaluate(CUT_OFF)
        sidebar = [f["text"] for f in found if f["sidebar"]]
        cards = [f["text"] for f in found if not f["sidebar"]]
        # the check looked at the right texts: every nav label and every page title, translated
        assert sidebar[0] == text.lookup(lang, "home.nav")
        assert [s.split(" · ")[0] for s in sidebar[1:]] == [text.lookup(lang, f"{p.key}.nav") for p in PAGES]
        assert sorted(cards) == sorted(text.lookup(lang, f"{p.key}.title") for p in PAGES)
        cut = [f["text"] for f in found if f["cut"]]
        assert not cut, f"cut off at {width} px in {lang}: {cut}"
    finally:
        page.close()
