"""Every page of the registry renders cleanly in both languages, with the shared frame."""

import pytest

from tests.apptest_utils import assert_clean, open_page
from ui import text
from ui.registry import HOME_SCRIPT, PAGES

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
