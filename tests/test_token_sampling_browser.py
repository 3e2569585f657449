"""The token page at 1024 px wide in headless Chromium: no drop-down, button or label is cut off."""

from __future__ import annotations

import pytest

from tests.browser_utils import launch, require_browser, server, wait_for_script
from ui import text

pytestmark = pytest.mark.browser

sync_api = require_browser()
NARROW = {"width": 1024, "height": 768}

# Text the browser clips: an input whose value is wider than the box, an element that hides its overflow (Streamlit
# ends cut labels with an ellipsis) holding more than it shows, or a control reaching past the page's right margin.
CLIPPED = """(root) => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  const right = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  const out = [];
  for (const e of document.querySelectorAll(root)) {
    const cs = getComputedStyle(e), box = e.getBoundingClientRect();
    const label = (e.value || e.textContent || '').trim();
    if (!label || box.width === 0 || e.closest('.katex')) continue;  // KaTeX keeps its MathML source in a 1 px box
    const where = ' (' + (e.closest('[data-testid]') || e).dataset.testid + ')';
    const hides = e.tagName === 'INPUT' || cs.textOverflow === 'ellipsis' || cs.overflowX === 'hidden';
    if (hides && e.scrollWidth > e.clientWidth + 1) out.push(label + where);
    else if (root.includes('stMain') && e.matches('button, input:not([type="range"])') && box.right > right + 1)
      out.push(label + where + ' past the margin');
  }
  return out;
}"""


def clipped(page) -> list[str]:
    return page.evaluate(CLIPPED, '[data-testid="stMain"] *')


def options_clipped(page) -> list[str]:
    """Open every drop-down in turn and return the option labels it cuts off."""
    cut = []
    boxes = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]')
    for i in range(boxes.count()):
        boxes.nth(i).get_by_role("button", name="Open").click()
        page.locator('[role="option"]').first.wait_for()
        cut += page.evaluate(CLIPPED, '[role="option"] *')
        page.keyboard.press("Escape")
        page.locator('[role="option"]').first.wait_for(state="detached")
    return cut


def tabs_clipped(page) -> list[str]:
    """Show every tab in turn (they switch in the browser, without a rerun) and return what each one cuts off."""
    cut = []
    tabs = page.locator('[data-testid="stMain"] [role="tab"]')
    for i in range(tabs.count()):
        tabs.nth(i).click()
        page.wait_for_timeout(400)
        cut += clipped(page)
    return cut


def choose(page, box: int, value: str, lang: str) -> None:
    """Pick an option of the page's ``box``-th drop-down by its catalogue label, and wait for the rerun."""
    table = ("corpora", "rungs")[box]
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').nth(box).get_by_role("button", name="Open").click()
    page.get_by_role("option", name=text.lookup(lang, f"token_sampling.{table}.{value}"), exact=True).click()
    page.wait_for_timeout(500)
    wait_for_script(page)


@pytest.fixture(scope="module")
def site():
    """One server and one browser for both languages."""
    with server() as base, sync_api.sync_playwright() as p:
        browser = launch(p)
        yield base, browser
        browser.close()


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_nothing_is_cut_off_at_1024_px(site, lang):
    base, browser = site
    page = browser.new_page(viewport=NARROW)
    try:
        page.goto(f"{base}/token_sampling?lang={lang}")
        wait_for_script(page)
        assert clipped(page) == []
        choose(page, 0, "alice", lang)  # the longest labels of both drop-downs, selected
        choose(page, 1, "mlp", lang)
        assert clipped(page) == []
        assert options_clipped(page) == []
        assert tabs_clipped(page) == []  # the training buttons among them
    finally:
        page.close()
