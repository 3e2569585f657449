"""Two replicas behind nginx, in a real browser: each tab stays on one replica, and a killed replica's students
move to the other one with a message, while the other replica's students keep their sessions.

Needs nginx (``apt-get install nginx``; CI installs it) and Chromium; skipped without them unless
REQUIRE_BROWSER=1 (CI), like the other browser tests. The AppTests at the top need neither.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from deploy import local_replicas
from tests.apptest_utils import assert_clean, open_page
from ui import reconnect, text

PROTOCOL = "Sec-Websocket-Protocol"


# ---------------------------------------------------------------- the app's side, without a browser

def test_resume_request_is_the_third_subprotocol_entry():
    assert reconnect.resume_requested({PROTOCOL: "streamlit, 2|ab|cd|1, 5f3c-session"}) == "5f3c-session"
    assert reconnect.resume_requested({"sec-websocket-protocol": "streamlit,tok,abc"}) == "abc"
    assert reconnect.resume_requested({PROTOCOL: "streamlit, 2|ab|cd|1"}) is None  # a first visit
    assert reconnect.resume_requested({PROTOCOL: "streamlit, tok, "}) is None
    assert reconnect.resume_requested({}) is None
    assert reconnect.resume_requested(None) is None


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_a_fresh_session_that_was_asked_to_resume_says_so_until_dismissed(monkeypatch, lang):
    monkeypatch.setattr(reconnect, "_handshake_headers", lambda: {PROTOCOL: "streamlit, tok, gone-session"})
    at = open_page("streamlit_app.py", lang)
    assert_clean(at)
    assert [w.value for w in at.warning] == [text.lookup(lang, "reconnect.moved")]
    at.run()  # a slider move or any rerun: still there
    assert len(at.warning) == 1
    at.button(key="gp_reconnect_ok").click().run()
    assert len(at.warning) == 0
    assert_clean(at)


def test_a_first_visit_and_a_resumed_session_show_nothing(monkeypatch):
    headers = {PROTOCOL: "streamlit, tok"}
    monkeypatch.setattr(reconnect, "_handshake_headers", lambda: headers)
    at = open_page("streamlit_app.py", "en")
    assert len(at.warning) == 0
    headers[PROTOCOL] = "streamlit, tok, this-session"  # the server resumed it: its state is not new
    at.run()
    assert len(at.warning) == 0


def test_the_notice_stays_on_the_page_where_it_happened(monkeypatch):
    monkeypatch.setattr(reconnect, "_handshake_headers", lambda: {PROTOCOL: "streamlit, tok, gone-session"})
    at = open_page("streamlit_app.py", "en")
    assert len(at.warning) == 1
    at.switch_page("pages/08_evaluation.py").run()
    assert len(at.warning) == 0
    at.switch_page("streamlit_app.py").run()
    assert len(at.warning) == 0


# ---------------------------------------------------------------- nginx and two real replicas in Chromium

CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"


def _need_tools():
    from tests.browser_utils import CHROMIUM

    missing = [what for what, ok in (("Chromium", Path(CHROMIUM).exists()), ("nginx", local_replicas.NGINX is not None)) if not ok]
    if missing:
        if REQUIRED:
            pytest.fail(f"replica tests are required but {' and '.join(missing)} missing (apt-get install nginx chromium)")
        pytest.skip(f"{' and '.join(missing)} not found: apt-get install nginx chromium")
    return pytest.importorskip("playwright.sync_api")


class Tab:
    """One student's browser (its own cookies): every response's X-Upstream, and its websockets."""

    def __init__(self, browser, url: str):
        from tests.browser_utils import VIEWPORT

        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.upstreams: list[tuple[float, str, str | None]] = []  # (time, path, X-Upstream)
        self.sockets: list[dict] = []
        self.page.on("response", self._response)
        self.page.on("websocket", self._websocket)
        self.page.goto(url)

    def _response(self, r) -> None:
        self.upstreams.append((time.time(), r.url.split("/", 3)[-1], r.headers.get(local_replicas.HEADER.lower())))

    def _websocket(self, ws) -> None:
        rec = {"url": ws.url, "closed": False}
        ws.on("close", lambda _ws: rec.update(closed=True))
        self.sockets.append(rec)

    def replicas(self, since: float = 0.0) -> set[str | None]:
        return {u for t, _, u in self.upstreams if t >= since}

    def cookie(self) -> str | None:
        return next((c["value"] for c in self.context.cookies() if c["name"] == local_replicas.COOKIE), None)

    def problems(self) -> list[str]:
        bad = self.page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
        return bad.all_inner_texts()


@pytest.mark.browser
def test_two_replicas_behind_nginx_keep_each_tab_on_one_and_move_a_killed_ones_students():
    sync_api = _need_tools()
    from tests.browser_utils import launch, wait_for_script

    expect = sync_api.expect
    with local_replicas.cluster(2) as c, sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            # Two students: first visits take turns (round robin), so the second lands on the other replica.
            a = Tab(browser, f"{c.url}/?lang=pt")
            wait_for_script(a.page)
            b = Tab(browser, f"{c.url}/?lang=en")
            wait_for_script(b.page)
            (ra,), (rb,) = a.replicas(), b.replicas()
            assert {ra, rb} == {"r1", "r2"}, (a.upstreams, b.upstreams)
            assert a.cookie() == ra and b.cookie() == rb
            assert len(a.sockets) == len(b.sockets) == 1

            # Both move a control: a rerun on their own replica.
            seed_a, seed_b = (t.page.locator('[data-testid="stSidebar"] input[type="number"]') for t in (a, b))
            for tab, seed, value in ((a, seed_a, "5"), (b, seed_b, "7")):
                seed.fill(value)
                seed.press("Enter")
                wait_for_script(tab.page)

            killed_at = time.time()
            c.kill(ra)
            # A's websocket drops; the frontend reconnects through nginx, which passes it to B's replica.
            deadline = time.time() + 30
            while not (len(a.sockets) == 2 and a.page.locator(CONNECTED).count() == 1) and time.time() < deadline:
                a.page.wait_for_timeout(200)
            assert len(a.sockets) == 2 and a.sockets[0]["closed"], a.sockets
            # An idle page is not rerun on reconnect (Streamlit's frontend reruns only a running or auto-refreshing
            # one), so the new session starts at A's next move.
            seed_a.fill("6")
            seed_a.press("Enter")
            moved = text.lookup("pt", "reconnect.moved")
            expect(a.page.get_by_text(moved)).to_be_visible(timeout=30_000)
            wait_for_script(a.page)
            from tests.browser_utils import SHOTS

            SHOTS.mkdir(parents=True, exist_ok=True)
            a.page.screenshot(path=str(SHOTS / "replicas_notice.png"))  # what the moved student sees
            expect(a.page.locator("h1").first).to_have_text(text.lookup("pt", "home.title"))
            # A fresh session: the controls come back from the link (the URL carries the view), nothing else does.
            from urllib.parse import parse_qs, urlparse

            assert seed_a.input_value() == parse_qs(urlparse(a.page.url).query).get("seed", ["0"])[0]
            assert a.problems() == []
            assert a.replicas(since=killed_at) == {rb}, a.upstreams
            assert a.cookie() == rb, "the cookie follows the student to the new replica"
            a.page.get_by_role("button", name=text.lookup("pt", "reconnect.ok")).click()
            expect(a.page.get_by_text(moved)).to_have_count(0)

            # B kept its session: the same websocket all along, no notice, and it still reruns.
            seed_b.fill("8")
            seed_b.press("Enter")
            wait_for_script(b.page)
            assert len(b.sockets) == 1 and not b.sockets[0]["closed"]
            assert b.replicas() == {rb}
            assert b.page.get_by_text(text.lookup("en", "reconnect.moved")).count() == 0
            assert b.problems() == []
        finally:
            from tests.browser_utils import SHOTS

            SHOTS.mkdir(parents=True, exist_ok=True)
            for name, tab in (("moved", locals().get("a")), ("stayed", locals().get("b"))):
                if tab is not None:
                    tab.page.screenshot(path=str(SHOTS / f"replicas_{name}.png"))
            browser.close()
        # nginx writes a websocket's log line when it closes (now). Every request went where its cookie pointed,
        # except A's first requests after the kill, which carried the dead replica's cookie and were passed to
        # the backup; the answer re-pinned A, so its new websocket already carried the new cookie.
        time.sleep(0.5)
        log = c.access_log.read_text()
    lines = re.findall(r'"(\S+) /(\S*) HTTP/1.1" (\d+) cookie=(\S*) replica=(\S*) upstream=(\S*)', log)
    streams = [(cookie, replica) for _, path, status, cookie, replica, _ in lines if path == "_stcore/stream" and status == "101"]
    assert len(streams) == 3 and all(cookie == replica for cookie, replica in streams), log
    assert {(cookie, replica) for _, _, _, cookie, replica, _ in lines if cookie != "-" and cookie != replica} == {(ra, rb)}, log
