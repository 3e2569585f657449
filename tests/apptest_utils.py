"""Helpers for AppTest: open a page the way a browser would, and check it is clean."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
ENTRY = str(ROOT / "streamlit_app.py")
TIMEOUT = 180  # generous: the CI machine is small and shared


def open_page(script: str, lang: str = "en", run: bool = True) -> AppTest:
    """Start from the entry point (so st.page_link resolves) and switch to ``script``."""
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    if script != "streamlit_app.py":
        at.switch_page(script)
    if run:
        at.run()
    return at


def problems(at: AppTest) -> list[str]:
    """Exceptions and error boxes on the page, as text; empty when the page is clean."""
    return [f"exception: {e.value}" for e in at.exception] + [f"error: {e.value}" for e in at.error]


def assert_clean(at: AppTest) -> None:
    found = problems(at)
    assert not found, found


def read_number(shown: str, lang: str) -> float:
    """A number as a page shows it (``ctx.num``), back to a float: '98,4' in Portuguese, '93.7%' in English."""
    s = str(shown).strip().rstrip("%").strip()
    if lang == "pt":
        s = s.replace(".", "").replace(",", ".")
    return float(s.replace(",", ""))


def capture_csv(monkeypatch) -> dict[str, str]:
    """The CSV each page writes for its sidebar download (``ui.export.csv_button``), by page key, filled as pages run."""
    from ui import export

    written: dict[str, str] = {}
    draw = export.csv_button

    def keep(ctx, data, what="data"):
        written[ctx.page] = data() if callable(data) else data  # a deferred download: what a click would write
        draw(ctx, data, what)

    monkeypatch.setattr(export, "csv_button", keep)
    return written
