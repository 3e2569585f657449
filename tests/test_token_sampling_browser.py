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


# The next-token chart as plotly drew it: trace name -> [bar labels, heights].
DRAWN = """() => { const g = document.querySelector('.st-key-ts_dist .js-plotly-plot');
  return g && g._fullData ? Object.fromEntries(g._fullData.map(t => [t.name, [Array.from(t.x || []), Array.from(t.y || [])]])) : null; }"""


def test_a_sampling_move_reruns_only_its_section_and_the_chart_follows_the_latest_prompt(site):
    """Temperature reruns only the sampling section (the prompt is not sent again), and that section's chart is always
    the model's distribution after the prompt on screen: after a button changed the prompt (a page run), the next move
    (a section run) still draws the new context, not the one of the page run before."""
    import time

    import numpy as np

    from engine.families import autoregressive as ts
    from tests.browser_utils import VIEWPORT
    from ui.plots_token_sampling import show_char

    base, browser = site
    t = lambda key: text.lookup("en", f"token_sampling.{key}")  # noqa: E731
    model, _ = ts.load_pretrained("alice", "transformer")
    vocab = ts.load_corpus("alice").vocab
    index = {show_char(c): i for i, c in enumerate(vocab.chars)}
    page = browser.new_page(viewport=VIEWPORT)
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f if isinstance(f, bytes) else f.encode())))

    def drawn(changed_from=None) -> dict:
        """The chart once plotly has drawn it (and, given the chart before, once it differs from it)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = page.evaluate(DRAWN)
            if now and now != changed_from:
                return now
            page.wait_for_timeout(200)
        raise AssertionError("the next-token chart was not drawn anew")

    def matches_the_prompt(chart: dict) -> bool:
        """The diamonds are softmax(z) of the model after the prompt shown in the text area, token by token."""
        prompt = page.locator(".st-key-w-token_sampling-prompt textarea").input_value()
        p_model = ts.softmax(ts.next_logits(model, ts.context_ids("stream", vocab, prompt)))
        labels, heights = chart[t("bar_p_model")]
        return len(labels) == 20 and np.allclose(heights, [p_model[index[x]] for x in labels], atol=1e-6)

    def move_temperature(key: str) -> None:
        page.locator(".st-key-w-token_sampling-temperature").get_by_role("slider").focus()
        page.keyboard.press(key)
        page.wait_for_timeout(300)
        wait_for_script(page)

    try:
        page.goto(f"{base}/token_sampling?lang=en")
        wait_for_script(page)
        first = drawn()
        assert matches_the_prompt(first)

        frames.clear()
        move_temperature("ArrowRight")  # T = 1.05: the sampled bars change, the model's own diamonds do not
        second = drawn(first)
        assert second[t("bar_q")] != first[t("bar_q")] and second[t("bar_p_model")] == first[t("bar_p_model")]
        assert frames and not any(t("prompt").encode() in f for f in frames)  # the prompt section was not sent again

        page.locator(".st-key-ts_next button >> visible=true").click()  # the prompt grows by one token: the page reruns
        wait_for_script(page)
        third = drawn(second)
        assert matches_the_prompt(third) and third[t("bar_p_model")] != second[t("bar_p_model")]

        move_temperature("ArrowLeft")  # a section run after that page run: the new context, not the first one
        fourth = drawn(third)
        assert matches_the_prompt(fourth)
        assert page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count() == 0
    finally:
        page.close()
