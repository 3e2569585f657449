"""Both languages must say everything: same keys, same placeholders, same explanation files."""

import html
import re
from pathlib import Path

import pytest

from ui import text
from ui.registry import PAGES

ROOT = Path(__file__).resolve().parent.parent


def fields(s: str) -> set[str]:
    """The {name} placeholders (LaTeX braces such as \\{1,\\dots,K\\} are not placeholders)."""
    return set(re.findall(r"(?<!\\)\{(\w+)\}", s))


def test_catalogues_have_the_same_keys():
    en, pt = text.catalogue("en"), text.catalogue("pt")
    assert sorted(set(en) - set(pt)) == [], "keys only in English"
    assert sorted(set(pt) - set(en)) == [], "keys only in Portuguese"


def test_every_text_is_non_empty_and_has_the_same_placeholders():
    en, pt = text.catalogue("en"), text.catalogue("pt")
    for key in en:
        assert en[key].strip() and pt[key].strip(), key
        assert fields(en[key]) == fields(pt[key]), key


def test_markdown_files_exist_in_both_languages():
    en = {p.relative_to(text.TEXTS / "en") for p in (text.TEXTS / "en").rglob("*.md")}
    pt = {p.relative_to(text.TEXTS / "pt") for p in (text.TEXTS / "pt").rglob("*.md")}
    assert en == pt
    for rel in en:
        assert (text.TEXTS / "en" / rel).read_text("utf-8").strip(), rel
        assert (text.TEXTS / "pt" / rel).read_text("utf-8").strip(), rel


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.key)
def test_every_page_has_navigation_texts(page):
    for lang in text.LANGS:
        for name in ("nav", "title", "summary"):
            assert f"{page.key}.{name}" in text.catalogue(lang), (lang, page.key, name)
        assert f"families.{page.family}" in text.catalogue(lang)


def _literal_keys():
    """Keys passed as string literals to t(...), ctx.t(...) in the app's code."""
    found = set()
    for path in [ROOT / "streamlit_app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        src = path.read_text("utf-8")
        page = re.search(r'setup\("(\w+)"\)', src)
        for m in re.finditer(r'(?<![\w.])t\(\s*"([\w.]+)"', src):
            found.add((path.name, m.group(1)))
        if page:
            for m in re.finditer(r'ctx\.t\(\s*"([\w.]+)"', src):
                found.add((path.name, f"{page.group(1)}.{m.group(1)}"))
    return sorted(found)


def test_every_literal_key_in_the_code_exists():
    en = text.catalogue("en")
    missing = [(f, k) for f, k in _literal_keys() if k not in en]
    assert not missing


def test_language_choice_order():
    assert text.pick_lang("pt", "en", "en-US") == "pt"
    assert text.pick_lang(None, "en", "pt-BR") == "en"
    assert text.pick_lang(None, None, "pt-BR") == "pt"
    assert text.pick_lang("xx", None, "de-DE") == "en"
    assert text.pick_lang(None, None, None) == "en"


def test_numbers_are_written_the_readers_way():
    assert text.number("en", 2000.5, ",.1f") == "2,000.5"
    assert text.number("pt", 2000.5, ",.1f") == "2.000,5"
    assert text.number("pt", 0.845, ".1%") == "84,5%"
    assert text.number("pt", -0.0148, "+.4f") == "-0,0148"
    assert text.number("en", 3e-3, "g") == "0.003"
    # numbers passed into a catalogue text are written the same way, whatever their format spec
    assert "β = 1,2" in text.lookup("pt", "diffusion.errors.alpha_bar_zero", value=1.2)
    assert "β = 1.2" in text.lookup("en", "diffusion.errors.alpha_bar_zero", value=1.2)


def test_a_count_of_one_reads_in_the_singular_in_both_languages():
    assert text.lookup("en", "errors.too_few_points", n=1, min=8) == "There is only 1 point; this page needs at least 8."
    assert text.lookup("pt", "errors.too_few_points", n=1, min=8) == "Há só 1 ponto; esta página precisa de pelo menos 8."
    assert text.lookup("en", "errors.too_few_points", n=5, min=8) == "There are only 5 points; this page needs at least 8."
    assert text.lookup("pt", "data.n_classes", n=1) == "1 classe" and text.lookup("pt", "data.n_classes", n=3) == "3 classes"
    for lang in text.LANGS:  # a singular has the same placeholders as its plural
        cat = text.catalogue(lang)
        for key in (k for k in cat if k.endswith("_one") and k[:-4] in cat):
            assert fields(cat[key]) == fields(cat[key[:-4]]), key


def test_upload_limits_and_counts_are_written_the_readers_way():
    assert "20.000 linhas e 2 MB" in text.lookup("pt", "data.csv_format", rows=20_000, mb=2.0)
    assert "20,000 rows and 2 MB" in text.lookup("en", "data.csv_format", rows=20_000, mb=2.0)
    assert "(30.512 kB)" in text.lookup("pt", "errors.file_too_large", size_kb=30_512, max_kb=2_000)
    assert "−1.000.000 e 1.000.000" in text.lookup("pt", "errors.coordinates_too_large", value=3e7, max=1e6)


@pytest.mark.parametrize("label", ["<b>bold</b>", '<a href="https://example.com">x</a>', "$x^2$", "**x**", ":red[x]",
                                   "%{x}", "a_b_c", "`code`", "&amp;"])
def test_user_text_reaches_markdown_and_plotly_as_plain_characters(label):
    safe = text.literal(label)
    assert not set(safe) & set("<>$*[]`%{}_"), safe  # nothing left for Markdown, HTML, LaTeX or plotly to read
    assert html.unescape(safe) == label  # and every character is still there, as a character reference
    assert text.literal("Classe A 1") == "Classe A 1" and text.literal("ação") == "ação"
