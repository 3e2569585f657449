"""The real server in headless Chromium: every page opened first on a fresh server, both languages.

Skipped when Chromium is missing, unless REQUIRE_BROWSER=1 (CI sets it), so a newcomer without
Chromium still gets a green run of everything else.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_utils import SHOTS, VIEWPORT, require_browser, server, wait_for_script
from ui import text
from ui.registry import PAGES

pytestmark = pytest.mark.browser

sync_api = require_browser()
expect = sync_api.expect
PAINT_MS = 30_000
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
PAGE_UPLOADER = '[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]'  # the page's own, not the sidebar's settings file
KEYS = ["home"] + [p.key for p in PAGES]


def check_page(browser, base: str, key: str, lang: str) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    try:
        page.goto(f"{base}/{'' if key == 'home' else key}?lang={lang}")
        wait_for_script(page)
        # Auto-retrying assertions: on a loaded CI machine the frontend may still be painting the
        # sidebar when the script has already finished (seen once: title drawn, 0 links counted).
        expect(page.locator("h1").first).to_have_text(text.lookup(lang, f"{key}.title"), timeout=PAINT_MS)
        # the shared sidebar: one link per registry page plus home, translated
        links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
        expect(links).to_have_count(len(PAGES) + 1, timeout=PAINT_MS)
        expect(links.first).to_contain_text(text.lookup(lang, "home.nav"))
        assert page.locator(ERRORS).count() == 0, page.locator(ERRORS).all_inner_texts()
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0, "Streamlit's own navigation must be hidden"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{key}_{lang}.png"))
        assert not console_errors, console_errors
    finally:
        page.close()


@pytest.mark.parametrize("key", KEYS)
def test_deep_link_on_a_fresh_server(browser, key):
    """Open the page's URL first on a brand-new server, then the other language."""
    first, second = ("pt", "en") if KEYS.index(key) % 2 == 0 else ("en", "pt")
    with server() as base:
        check_page(browser, base, key, first)
        check_page(browser, base, key, second)


def test_csv_upload_bad_then_good_then_bad_keeps_data_and_says_why(browser, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n1,2,a\nfoo,3,b\n")
    good = tmp_path / "good.csv"
    good.write_text("x,y,label\n" + "".join(f"{i % 7 / 3:.2f},{i % 5 / 2:.2f},{'ab'[i % 2]}\n" for i in range(40)))
    one_class = tmp_path / "one_class.csv"
    one_class.write_text("x,y,label\n" + "".join(f"{i / 3:.2f},{i % 5 / 2:.2f},a\n" for i in range(25)))
    expected = text.lookup("pt", "errors.not_numeric", line=3, value="foo")

    def upload(page, path) -> None:
        tab = page.get_by_role("tab", name=text.lookup("pt", "data.upload"))
        if not tab.is_visible():  # the panel folds once the page has points: open it again
            page.get_by_text(text.lookup("pt", "data.own_title")).click()
        tab.click()
        page.locator(PAGE_UPLOADER).set_input_files(str(path))
        wait_for_script(page)

    with server() as base:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{base}/discriminative_vs_generative?lang=pt")
        wait_for_script(page)
        upload(page, bad)  # no data yet: the message, and nothing stored
        page.get_by_text(expected).wait_for(timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        upload(page, good)
        page.get_by_text(text.lookup("pt", "data.own_points")).first.wait_for(timeout=30_000)
        points = page.locator('[data-testid="stMetricValue"]').first
        expect(points).to_have_text("40", timeout=PAINT_MS)
        with page.expect_download() as download:  # the sidebar's CSV is written when clicked (a deferred download)
            page.locator('[data-testid="stSidebar"] .st-key-discriminative_vs_generative_csv button').first.click()
        rows = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
        uploaded = {f"{float(x):g},{float(y):g}" for x, y, _ in (line.split(",") for line in good.read_text().splitlines()[1:])}
        # the figure shows the training three quarters of the 40 points (a quarter is held out to score the models)
        assert rows[0] == "source,x1,x2" and sum(row.split(",", 1)[1] in uploaded for row in rows[1:]) == 30, rows[:5]
        for refused in (bad, one_class):  # each is refused in Portuguese, and the 40 points stay
            upload(page, refused)
            expect(page.get_by_text(text.lookup("pt", "data.kept_previous"))).to_be_visible(timeout=PAINT_MS)
            expect(points).to_have_text("40", timeout=PAINT_MS)
        expect(page.get_by_text(text.lookup("pt", "errors.single_class", min=2))).to_be_visible(timeout=PAINT_MS)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()


def stroke(page, box, x0: float, y0: float, dx: float, dy: float, n: int = 20) -> None:
    """Press at once where the pointer lands, as a hurried student does, and drag."""
    page.mouse.move(box["x"] + x0, box["y"] + y0)
    page.mouse.down()
    for i in range(1, n + 1):
        page.mouse.move(box["x"] + x0 + i * dx, box["y"] + y0 + i * dy, steps=2)
    page.mouse.up()


def _sent_after(page, sent: list, before: int, timeout_ms: int = 20_000) -> None:
    """Wait until the page has sent the server a message since ``before`` (a stroke's value: the canvas sends it on its
    own schedule, and a busy machine may not have sent it when the script looks idle), then for the run it starts."""
    for _ in range(timeout_ms // 100):
        if len(sent) > before:
            break
        page.wait_for_timeout(100)
    wait_for_script(page)


def test_drawing_two_strokes_gives_two_classes_of_points(browser):
    """Each stroke starts in the canvas's top-right corner the moment the pointer arrives, right after a
    rerun: where the package's invisible toolbar used to swallow the first stroke (one click, no retries)."""
    with server() as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1400})
        sent: list = []  # what the browser sends the server: each stroke's canvas value is one of these
        page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(1)))
        page.goto(f"{base}/discriminative_vs_generative?lang=en")
        wait_for_script(page)
        page.get_by_text(text.lookup("en", "data.own_title")).click()
        canvas = page.locator('[data-testid="stExpander"] canvas.upper-canvas').first
        canvas.wait_for(timeout=30_000)
        box = canvas.bounding_box()
        before = len(sent)
        stroke(page, box, box["width"] - 40, 12, -10, 3)
        page.wait_for_timeout(1500)
        _sent_after(page, sent, before)
        page.locator("[data-testid=stRadio] label").filter(has_text="B").first.click()  # a rerun
        wait_for_script(page)
        before = len(sent)
        stroke(page, box, box["width"] - 30, 8, -8, 12)
        page.wait_for_timeout(1500)
        _sent_after(page, sent, before)
        page.get_by_role("button", name=text.lookup("en", "data.use_drawing")).click()
        page.get_by_text(text.lookup("en", "data.own_points")).first.wait_for(timeout=60_000)
        wait_for_script(page)
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        assert int(values[0]) > 30 and values[1] == "2", values
        assert page.locator(ERRORS).count() == 0
        page.close()


def test_the_first_stroke_right_after_switching_to_drawing_reaches_the_vae(browser):
    with server() as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1400})
        page.goto(f"{base}/vae?lang=pt")
        wait_for_script(page)
        page.get_by_role("tab", name=text.lookup("pt", "vae.tab.walk")).click()
        wait_for_script(page)
        page.get_by_text(text.lookup("pt", "vae.sources.drawn"), exact=True).first.click()
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(timeout=60_000)
        wait_for_script(page)
        prompts = page.get_by_text(text.lookup("pt", "vae.draw_prompt"))
        expect(prompts).to_have_count(2, timeout=PAINT_MS)
        box = canvas.bounding_box()
        stroke(page, box, 130, 14, 0, 9, n=18)  # a "1", from the top right of the box, drawn at once
        expect(prompts).to_have_count(1, timeout=PAINT_MS)  # the first drawing arrived: its digit is shown
        assert page.locator(ERRORS).count() == 0
        page.close()


def open_upload_tab(page, lang: str) -> None:
    tab = page.get_by_role("tab", name=text.lookup(lang, "data.upload"))
    if not tab.is_visible():
        page.get_by_text(text.lookup(lang, "data.own_title")).click()
    tab.click()


def test_upload_messages_are_on_screen_and_never_about_a_previous_file(browser, tmp_path):
    bad = tmp_path / "ruim.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    tags = tmp_path / "tags.csv"  # labels that are HTML: they must stay text in the legends
    labels = ("<b>bold</b>", '<a href="https://example.com">link</a>')
    tags.write_text("x;y;rótulo\n" + "".join(f"{i % 7 / 3:.2f};{i % 5 / 2:.2f};".replace(".", ",") + labels[i % 2] + "\n"
                                             for i in range(40)))
    huge = tmp_path / "enorme.csv"
    huge.write_bytes(b"1,2,a\n" * 5_200_000)  # 31 MB: above the server's 25 MB, refused in the browser
    visible = {"timeout": PAINT_MS}
    with server() as base:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{base}/discriminative_vs_generative?lang=pt")
        wait_for_script(page)
        open_upload_tab(page, "pt")
        page.locator(PAGE_UPLOADER).set_input_files(str(bad))
        wait_for_script(page)
        message = page.get_by_text(text.lookup("pt", "errors.file_binary"))
        expect(message).to_be_visible(**visible)
        expect(message).to_be_in_viewport(**visible)

        open_upload_tab(page, "pt")
        page.locator(PAGE_UPLOADER).set_input_files(str(tags))
        wait_for_script(page)
        expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("40", **visible)
        expect(message).to_have_count(0)  # a good file replaces the old message
        legend = page.locator(".stPlotlyChart .legend").first
        expect(legend).to_contain_text("<b>bold</b>", **visible)
        expect(legend).to_contain_text('<a href="https://example.com">link</a>', **visible)
        assert page.locator(".stPlotlyChart .legend a").count() == 0  # no link, and no bold text either
        assert page.locator(".stPlotlyChart .legend tspan[style*='bold']").count() == 0

        open_upload_tab(page, "pt")
        page.locator(PAGE_UPLOADER).set_input_files(str(bad))
        wait_for_script(page)
        expect(message).to_be_in_viewport(**visible)
        page.locator(PAGE_UPLOADER).set_input_files(str(huge))
        wait_for_script(page)
        expect(message).to_have_count(0, **visible)  # the binary file's message is gone: it was about another file
        too_big = page.get_by_text(text.lookup("pt", "errors.file_refused_size", name="enorme.csv",
                                               size_kb=-(-huge.stat().st_size // 1000), max_kb=2000))
        expect(too_big).to_be_visible(**visible)
        expect(too_big).to_be_in_viewport(**visible)
        expect(page.get_by_text(text.lookup("pt", "data.kept_previous"))).to_be_visible(**visible)
        expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("40", **visible)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()


def test_the_token_page_shows_an_error_for_a_second_file_on_screen(browser, tmp_path):
    good = tmp_path / "text.txt"
    good.write_text("The quick brown fox jumps over the lazy dog. " * 60)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with server() as base:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{base}/token_sampling?lang=en")
        wait_for_script(page)
        page.locator(".st-key-w-token_sampling-corpus input").click()  # the box itself, not the middle of label + box
        page.get_by_role("option", name=text.lookup("en", "token_sampling.corpora.upload")).click()
        wait_for_script(page)
        page.locator(PAGE_UPLOADER).set_input_files(str(good))
        wait_for_script(page)
        expect(page.get_by_text(text.lookup("en", "token_sampling.need_upload"))).to_have_count(0, timeout=PAINT_MS)
        page.locator(PAGE_UPLOADER).set_input_files(str(empty))  # the panel has folded
        wait_for_script(page)
        message = page.get_by_text(text.lookup("en", "token_sampling.errors.corpus_empty"))
        expect(message).to_be_visible(timeout=PAINT_MS)
        expect(message).to_be_in_viewport(timeout=PAINT_MS)
        expect(page.get_by_text(text.lookup("en", "token_sampling.upload_kept"))).to_be_visible(timeout=PAINT_MS)
        page.close()


def test_portuguese_browser_gets_portuguese_without_a_query(browser):
    with server() as base:
        context = browser.new_context(locale="pt-BR", viewport=VIEWPORT)
        page = context.new_page()
        page.goto(f"{base}/")
        wait_for_script(page)
        expect(page.locator("h1").first).to_have_text(text.lookup("pt", "home.title"), timeout=PAINT_MS)
        expect(page.locator("h2").first).to_contain_text(text.lookup("pt", "home.map_title"), timeout=PAINT_MS)
        assert "lang=pt" in page.url
        context.close()


# ---------------------------------------------------------------- rapid clicks on live training (ui/live.py)

def plot_trace(page, key: str) -> dict:
    """x of the first trace of the plotly chart drawn with ``key`` (Streamlit tags it ``st-key-<key>``)."""
    return page.evaluate(
        """key => { const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
                    const traces = gd && (gd._fullData || gd.data);  // _fullData: numpy arrays arrive base64-packed
                    return traces && traces.length ? {x: Array.from(traces[0].x)} : null; }""", key)


def rapid_clicks(page, selector: str, n: int, gap_ms: int) -> None:
    """Clicks as fast as a student's, at the button's place (Playwright's click() would wait for each run)."""
    button = page.locator(selector).first
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    for _ in range(n):
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(gap_ms)


def assert_no_error(page) -> None:
    assert page.locator(ERRORS).count() == 0, page.locator(ERRORS).all_inner_texts()


def test_gan_one_step_clicked_25_times_in_a_second_takes_each_step_once_and_pause_holds(browser):
    lang = "en"
    with server() as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1400})
        page.goto(f"{base}/gan?lang={lang}")
        wait_for_script(page)
        step = page.locator('[data-testid="stMetric"]').filter(has_text=text.lookup(lang, "gan.step")).locator(
            '[data-testid="stMetricValue"]').first
        page.locator(".st-key-gan_reset button").first.click()
        wait_for_script(page)
        expect(step).to_have_text("0", timeout=PAINT_MS)
        rapid_clicks(page, ".st-key-gan_step button", 25, 40)
        wait_for_script(page)
        assert_no_error(page)
        shown = int(step.inner_text().replace(",", ""))
        assert 1 <= shown <= 25  # each click one step at most; never two threads' steps counted twice
        x = plot_trace(page, "gan_curves")["x"]  # history rows, one every 10 steps
        assert (x[-1] if x else 0) == shown // 10 * 10, (x, shown)
        page.locator(".st-key-gan_step button").first.click()  # and the page still answers, one step per click
        expect(step).to_have_text(str(shown + 1), timeout=PAINT_MS)
        assert_no_error(page)
        # Play, then Pause: it takes (the button says Play again, within seconds even on a loaded machine),
        # and the counter then stays where it stopped
        play, pause = page.locator(".st-key-gan_play button").first, page.locator(".st-key-gan_pause button").first
        play.click()
        expect(pause).to_be_visible(timeout=PAINT_MS)
        page.wait_for_function("el => el.innerText.replace(/,/g, '') > 100", arg=step.element_handle(), timeout=60_000)
        pause.click()
        expect(play).to_be_visible(timeout=5_000)
        wait_for_script(page)
        stopped = step.inner_text()
        page.wait_for_timeout(2000)
        assert step.inner_text() == stopped and play.is_visible()
        assert_no_error(page)
        page.close()


def test_vae_train_clicked_8_times_then_pause_resume_keeps_one_consistent_run(browser):
    lang = "pt"
    with server() as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1400})
        page.goto(f"{base}/vae?lang={lang}")
        wait_for_script(page)
        page.get_by_role("tab", name=text.lookup(lang, "vae.tab.train")).click()
        wait_for_script(page)
        rapid_clicks(page, ".st-key-vae_play button", 8, 150)  # Train and Pause share the place: the clicks land on both
        page.locator('[data-testid="stProgress"]').first.wait_for(timeout=PAINT_MS)  # one trainer, built by the first
        rapid_clicks(page, ".st-key-vae_play button, .st-key-vae_pause button", 6, 150)  # ... paused or running again
        page.wait_for_timeout(1500)
        pause, play = page.locator(".st-key-vae_pause button"), page.locator(".st-key-vae_play button")
        for _ in range(20):  # still training: pause it, at the button's place (a tick may be redrawing the button)
            try:
                box = pause.first.bounding_box(timeout=1000) if pause.count() else None
            except sync_api.TimeoutError:
                continue  # redrawn between the count and the look: look again
            if box is None:
                break  # paused already, or the run ended
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            try:
                play.first.wait_for(timeout=3000)
                break
            except sync_api.TimeoutError:
                continue  # the click met a redraw: try again
        wait_for_script(page)
        assert_no_error(page)
        progress = page.locator('[data-testid="stProgress"]').first

        def shown_step() -> int:
            return int(re.search(r"\d+", progress.inner_text()).group())

        step = shown_step()
        x = plot_trace(page, "live_curves")["x"]
        assert step > 0 and len(x) == step and x[-1] == step  # the bar and the curves: one history row per step
        page.wait_for_timeout(2000)
        assert shown_step() == step  # paused where it says
        assert_no_error(page)
        page.close()
