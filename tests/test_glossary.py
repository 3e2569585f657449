"""One term per concept in Portuguese: the glossary's banned variants appear in no Portuguese text.

``assets/i18n/GLOSSARY.md`` is a Markdown table: concept | Use | Não use | why. Every backticked phrase in
"Não use" is banned (whole words, case-insensitive, ``*`` at the end of a word matches any ending) in every value of
``pt.toml`` and every ``assets/texts/pt/**/*.md``, except inside a backticked "Use" phrase of the same row
(so ``orientação (guidance)`` may keep the English word in parentheses). Formulas, code and ``{placeholders}``
are not prose and are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ui import text

GLOSSARY = text.I18N / "GLOSSARY.md"
MAX_ROWS = 40
NOT_PROSE = re.compile(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$|(?<!\\)\{\w*(?::[^{}]*)?\}", re.DOTALL)
# the list of references on the home page: its italics are the titles of works, in their own language
BIBLIOGRAPHY = ("assets/texts/pt/home/resources.md",)
TITLE = re.compile(r"\*[^*\n]+\*")


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """``o componente`` -> whole words, any whitespace between them; ``cronograma*`` -> any ending."""
    words = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in phrase.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Row:
    concept: str
    use: tuple[str, ...]
    banned: tuple[str, ...]

    def violations(self, prose: str) -> list[str]:
        allowed = [m.span() for form in self.use for m in phrase_pattern(form).finditer(prose)]
        found = []
        for phrase in self.banned:
            for m in phrase_pattern(phrase).finditer(prose):
                if not any(a <= m.start() and m.end() <= b for a, b in allowed):
                    found.append(m.group(0))
        return found


def read_glossary() -> list[Row]:
    rows = []
    lines = [line for line in GLOSSARY.read_text("utf-8").splitlines() if line.startswith("|")]
    for line in lines[2:]:  # after the header and its |---| line
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"a glossary row needs 4 cells: {line}"
        rows.append(Row(cells[0], tuple(re.findall(r"`([^`]+)`", cells[1])), tuple(re.findall(r"`([^`]+)`", cells[2]))))
    return rows


def prose(s: str) -> str:
    return NOT_PROSE.sub(" ", s)


def portuguese_texts() -> dict[str, str]:
    """Every Portuguese text the app shows: catalogue values by key, explanation files by path."""
    texts = {f"pt.toml [{key}]": value for key, value in text.catalogue("pt").items()}
    for path in sorted((text.TEXTS / "pt").rglob("*.md")):
        texts[str(path.relative_to(text.ROOT))] = path.read_text("utf-8")
    return texts


def find_violations(texts: dict[str, str], rows: list[Row]) -> list[str]:
    out = []
    for where, s in texts.items():
        clean = prose(TITLE.sub(" ", s) if where in BIBLIOGRAPHY else s)
        for row in rows:
            for hit in row.violations(clean):
                out.append(f"{where}: “{hit}” ({row.concept}: use {', '.join(row.use)})")
    return out


def test_the_glossary_is_short_and_every_row_says_what_to_use():
    rows = read_glossary()
    assert 10 <= len(rows) <= MAX_ROWS, len(rows)
    for row in rows:
        assert row.concept and row.use and row.banned, row
    concepts = [r.concept for r in rows]
    assert len(set(concepts)) == len(concepts), "one row per concept"


def test_no_banned_variant_in_any_portuguese_text():
    assert not find_violations(portuguese_texts(), read_glossary())


def test_every_term_to_use_is_allowed_by_the_whole_glossary():
    """A row must not recommend what another row bans (or the glossary contradicts itself)."""
    rows = read_glossary()
    texts = {f"{row.concept}: {form}": form.replace("*", "") for row in rows for form in row.use}
    assert not find_violations(texts, rows)


@pytest.mark.parametrize("row", read_glossary(), ids=lambda r: r.concept)
def test_the_check_catches_every_banned_variant(row):
    """The test above can fail: each banned phrase, put in a sentence (capitalised, with an ending for
    ``*``), is reported, while the same sentence in code or a formula is not."""
    for phrase in row.banned:
        word = phrase.replace("*", "s")
        sentence = f"Aqui {word.capitalize()}, no meio da frase."
        assert row.violations(prose(sentence)), (row.concept, phrase)
        field = re.sub(r"\W", "_", word)
        assert not row.violations(prose(f"Aqui `{word}` e ${word}$ e {{{field}}}.")), (row.concept, phrase)


def test_quoted_on_purpose_passes_only_inside_its_form():
    rows = {r.concept: r for r in read_glossary()}
    guidance = rows["guidance"]
    assert not guidance.violations("A orientação (guidance) de Ho e Salimans.")
    assert guidance.violations("A guidance de Ho e Salimans.")
    assert guidance.violations("A escala de guiagem w.")
    component = rows["mixture component"]
    assert not component.violations("Cada componente da mistura; a componente oculta; duas componentes.")
    assert component.violations("O componente oculto") == ["O componente", "componente oculto"]
    posterior = rows["posterior"]
    assert not posterior.violations("o colapso da posteriori e a distribuição a posteriori")
    assert posterior.violations("o codificador acha o posterior verdadeiro")
