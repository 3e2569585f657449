"""Every visible string, in English and Brazilian Portuguese.

Short labels: ``assets/i18n/<lang>.toml``, one catalogue per language, a table per page
(``[gan]``) plus ``[common]``, ``[errors]``, ``[families]``. Long explanations:
Markdown files ``assets/texts/<lang>/<page>/<name>.md``. Tests check that both
languages have exactly the same keys and files. No streamlit here.
"""

from __future__ import annotations

import numbers
import re
import string
import tomllib
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "assets" / "i18n"
TEXTS = ROOT / "assets" / "texts"
LANGS = ("en", "pt")
LANG_NAMES = {"en": "English", "pt": "Português (Brasil)"}
DEFAULT_LANG = "en"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = value
    return out


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    with open(I18N / f"{lang}.toml", "rb") as f:
        return _flatten(tomllib.load(f))


def lookup(lang: str, key: str, **params: object) -> str:
    """The text for ``key`` in ``lang``, with ``{name}`` fields filled from ``params``.

    A count ``n`` of exactly 1 picks ``<key>_one`` when the catalogue has it ("only 1 point", "só 1 ponto").
    A missing key shows as the key itself (and the parity tests catch it), never a crash.
    """
    if params.get("n") == 1 and not isinstance(params["n"], bool) and f"{key}_one" in catalogue(lang):
        key = f"{key}_one"
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANG).get(key, key)
    if params:
        try:
            return (_PT_FORMATTER if lang == "pt" else _FORMATTER).vformat(text, (), params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


class _Formatter(string.Formatter):
    """``str.format`` that writes numbers the reader's way: ``{p:.1%}`` of 0.845 is 84,5% in Portuguese."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return number(self.lang, value, format_spec)
        return super().format_field(value, format_spec)


_FORMATTER, _PT_FORMATTER = _Formatter("en"), _Formatter("pt")


@lru_cache(maxsize=256)
def markdown(lang: str, page: str, name: str) -> str:
    path = TEXTS / lang / page / f"{name}.md"
    if not path.exists():
        path = TEXTS / DEFAULT_LANG / page / f"{name}.md"
    return path.read_text("utf-8") if path.exists() else f"`{page}/{name}.md`"


_NOT_PLAIN = re.compile(r"[^\w\s]|_")


def literal(value: object) -> str:
    """User text (a class label, a file name, a cell of a file) that Markdown and plotly show exactly as
    typed: every character other than letters, digits and spaces becomes a numeric character reference,
    which both render as that character. So ``<b>`` is not bold, ``<a href>`` is not a link, ``$x$`` is
    not LaTeX, ``**x**`` is not emphasis, ``:red[x]`` is not coloured and ``%{x}`` is no hover field."""
    return _NOT_PLAIN.sub(lambda m: f"&#{ord(m.group())};", str(value))


def number(lang: str, value: float, spec: str = ".2f") -> str:
    """``value`` written the way ``lang`` writes numbers: 2,000.5 in English, 2.000,5 in Portuguese."""
    written = format(value, spec)
    return written.translate(str.maketrans(",.", ".,")) if lang == "pt" else written


def pick_lang(query: str | None, remembered: str | None, browser_locale: str | None) -> str:
    """?lang= wins, then what this session chose before, then the browser's locale."""
    for candidate in (query, remembered):
        if candidate in LANGS:
            return candidate
    if browser_locale and browser_locale.lower().startswith("pt"):
        return "pt"
    return DEFAULT_LANG
