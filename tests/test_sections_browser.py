"""Partial reruns in the real browser: a section's own control reruns only that section (a fragment),
and no section is left drawing stale data after a shared input changes (AppTest always reruns the
whole script, so only the browser sees a fragment rerun with the arguments of an older page run)."""

from __future__ import annotations

import pytest

from tests.browser_utils import VIEWPORT, server, wait_for_script
from ui import text

pytestmark = pytest.mark.browser

# each figure's point traces, decoded: name -> [[x...], [y...]]
POINTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => Object.fromEntries(
    g._fullData.filter(t => t.type === 'scattergl' || (t.type === 'scatter' && t.mode.includes('markers'))).map(t => [t.name, [Array.from(t.x), Array.from(t.y)]])))"""


def _points(page) -> list[dict]:
    """Both figures' point traces, once plotly has drawn both (on a busy machine it paints after the run ends)."""
    page.wait_for_function("() => { const g = [...document.querySelectorAll('.js-plotly-plot')];"
                           " return g.length >= 2 && g.every(f => f._fullData && f._fullData.length); }", timeout=60_000)
    return page.evaluate(POINTS)


def _slider(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")


def _move(page, label: str, key: str = "ArrowRight") -> None:
    _slider(page, label).focus()
    page.keyboard.press(key)
    page.wait_for_timeout(300)
    wait_for_script(page)


def test_a_section_control_reruns_its_section_and_no_section_keeps_stale_data(browser):
    t = lambda key: text.lookup("en", key)  # noqa: E731
    with server() as base:
        page = browser.new_context(viewport=VIEWPORT).new_page()
        frames: list[bytes] = []  # what the server sends: a rerun's figures travel as JSON inside these
        page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f if isinstance(f, bytes) else f.encode())))
        page.goto(f"{base}/discriminative_vs_generative?lang=en")
        wait_for_script(page)
        disc, gen = _points(page)
        train = [name for name in disc]  # the training points, one trace per class, in both figures
        assert len(train) == 2 and all(gen[name] == disc[name] for name in train)
        title = page.locator("h1").first.inner_text()

        # the generative side's own control: only its figure changes, the other figure and the page title stay
        samples = [name for name in gen if name not in train]
        left_only = t("discriminative_vs_generative.boundary").encode()  # a trace name only the left figure has
        frames.clear()
        reg = t("discriminative_vs_generative.param.reg")  # the generative model's own setting (the samples scrub in plotly)
        _move(page, reg)
        disc2, gen2 = _points(page)
        assert samples and all(gen2[name] != gen[name] for name in samples)  # drawn from the refitted densities
        assert all(gen2[name] == gen[name] for name in train)
        assert disc2 == disc
        # the left figure was not sent again: a section's rerun re-sends only its own figures
        assert frames and not any(left_only in f for f in frames)
        assert "gen_naive_bayes_param=0.01" in page.url  # the address bar still says the whole view after a section's own rerun
        assert page.locator("h1").first.inner_text() == title

        # a shared input (the number of points): the whole page reruns, both sections draw the new data
        frames.clear()
        _move(page, t("data.n_points"))
        assert any(left_only in f for f in frames)
        disc3, gen3 = _points(page)
        assert all(len(disc3[name][0]) != len(disc[name][0]) or disc3[name] != disc[name] for name in train)
        assert all(gen3[name] == disc3[name] for name in train)

        # the section's own control again: its rerun uses the data of the latest page run, not the first one
        _move(page, reg, "ArrowLeft")
        disc4, gen4 = _points(page)
        assert all(gen4[name] == disc3[name] for name in train)
        assert disc4 == disc3
        assert page.locator('[data-testid="stException"]').count() == 0
