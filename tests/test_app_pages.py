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
    separators = {json.loads(c.proto.spec)["layout"].get("separators") for c in at.get("plotly_chart")}
    assert separators <= {",." if lang == "pt" else ".,"}, separators


def test_language_follows_the_browser_then_sticks_through_navigation():
    at = open_page(HOME_SCRIPT, "pt")
    assert at.title[0].value == text.lookup("pt", "home.title")
    at.query_params.clear()  # navigating without ?lang keeps the session's language
    at.switch_page(PAGES[0].script).run()
    assert at.title[0].value == text.lookup("pt", f"{PAGES[0].key}.title")
    assert at.query_params["lang"] == "pt"


def test_language_switch_changes_every_label():
    at = open_page(PAGES[0].script, "en")
    at.sidebar.segmented_control[0].set_value("pt").run()
    assert_clean(at)
    assert at.title[0].value == text.lookup("pt", f"{PAGES[0].key}.title")
    assert at.query_params["lang"] == "pt"


def test_seed_is_shared_across_pages():
    at = open_page(PAGES[0].script, "en")
    at.sidebar.number_input[0].set_value(42).run()
    at.switch_page(HOME_SCRIPT).run()
    at.switch_page(PAGES[0].script).run()
    assert at.sidebar.number_input[0].value == 42


def test_home_map_links_every_registry_page():
    at = open_page(HOME_SCRIPT, "en")
    body_links = [el for el in at.main.get("page_link")]
    assert len(body_links) == len(PAGES)
    sidebar_links = [el for el in at.sidebar.get("page_link")]
    assert len(sidebar_links) == len(PAGES) + 1


def test_page_specific_error_messages_win_over_shared_ones():
    from unittest import mock

    from engine.core.errors import InputError
    from ui import shell

    shown = []
    state = {"lang": "en", shell.CURRENT_PAGE: "discriminative_vs_generative"}
    fake_catalogue = {"errors.file_empty": "shared", "discriminative_vs_generative.errors.file_empty": "own"}
    with mock.patch.object(shell.st, "session_state", state), mock.patch.object(shell.st, "error", lambda m, **k: shown.append(m)), \
            mock.patch.object(shell.text, "catalogue", lambda lang: fake_catalogue), \
            mock.patch.object(shell.text, "lookup", lambda lang, key, **p: fake_catalogue[key]):
        shell.show_input_error(InputError("file_empty"))
        state[shell.CURRENT_PAGE] = "home"
        shell.show_input_error(InputError("file_empty"))
    assert shown == ["own", "shared"]
