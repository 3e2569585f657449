"""The responsible-use page and the home page's resources: every part in both languages, links that lead somewhere."""

import re

import pytest

from tests.apptest_utils import assert_clean, open_page
from ui import text

LINK = re.compile(r"\]\(([^)]+)\)")


@pytest.mark.parametrize("lang", text.LANGS)
def test_every_part_is_there_with_its_links_into_the_app(lang):
    at = open_page("pages/10_responsible_use.py", lang)
    assert_clean(at)
    parts = ("deepfakes", "memorisation", "bias", "provenance", "checklist")
    assert [h.value for h in at.header] == [text.lookup(lang, f"responsible_use.{p}_title") for p in parts]
    links = at.get("page_link")
    assert {link.proto.page for link in links} >= {"evaluation", "gan"}
    copy = next(link for link in links if link.proto.page == "evaluation" and "“" in link.proto.label)  # not the sidebar's
    assert text.lookup(lang, "evaluation.memo_title") in copy.proto.label  # names the section it leads to
    # a text page (registry: controls=False, so no lesson and no link round trip): it draws no widget of its own
    kinds = ("slider", "select_slider", "selectbox", "radio", "button_group", "multiselect", "number_input", "toggle", "checkbox", "text_input")
    assert not [w.key for kind in kinds for w in at.main.get(kind)]


@pytest.mark.parametrize("lang", text.LANGS)
def test_home_resources_link_only_outside_and_name_every_page_s_papers(lang):
    body = text.markdown(lang, "home", "resources")
    urls = LINK.findall(body)
    assert len(urls) >= 20 and all(u.startswith("https://") for u in urls)  # external only: the app works without them
    assert all(re.fullmatch(r"https://arxiv\.org/abs/\d{4}\.\d{4,5}", u) for u in urls if "arxiv" in u)
    for paper in ("Ho, Jain", "Song, Meng", "Kingma", "Burda", "van den Oord", "Goodfellow", "Gulrajani", "Dempster", "Rabiner",
                  "Vaswani", "LeCun", "Du "):
        assert paper in body, paper
    at = open_page("streamlit_app.py", lang)
    assert at.header[-1].value == text.lookup(lang, "home.resources_title")
