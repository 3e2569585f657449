"""The drawing canvas every page uses (streamlit-drawable-canvas 0.13), with its hidden toolbar kept off
the drawing area.

Why a wrapper: the package hides its toolbar (send, undo, redo, edit, clear) with ``opacity: 0`` *over the
canvas's top-right corner* (``top: -1rem``, about 150 × 35 px), and slides it above the canvas only after
the pointer has hovered the canvas for 0.1-0.2 s. Until then the invisible toolbar takes the pointer, so a
stroke that starts in that corner never reaches the canvas: the top of a digit drawn as soon as the pointer
enters (the VAE's 200-pixel boxes lose a sixth of their area), and on a touch screen, which has no hover,
every first touch there. The stroke is silently dropped; the second one works because the pointer has
hovered by then. Keys, ``initial_drawing`` and reruns play no part: the canvas is never remounted, and
``tests/test_browser.py`` draws right after switching and after a rerun to keep it so.

The fix is one CSS rule added to the package's own stylesheet (the canvas lives in a shadow root, so page
CSS cannot reach it): the toolbar always sits above the canvas, and takes the pointer only when shown.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import streamlit as st

COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"  # the name the package registers
HTML = '<div class="canvas-root"></div>'  # the package's own root element
TOOLBAR_FIX = (
    ".dc-toolbar{top:-2.65rem;pointer-events:none}"
    ".dc-root:hover>.dc-toolbar,.dc-toolbar:focus-within,.dc-toolbar[data-pinned=true]{pointer-events:auto}"
)


class _ExpectedOverwrite(logging.Filter):
    """Streamlit warns once per server that the canvas's definition is replaced: here that is the point."""

    def filter(self, record: logging.LogRecord) -> bool:
        return COMPONENT not in record.getMessage()


logging.getLogger("streamlit.components.v2.component_registry").addFilter(_ExpectedOverwrite())


@cache
def _stylesheet() -> str:
    import streamlit_drawable_canvas

    build = Path(streamlit_drawable_canvas.__file__).parent / "frontend" / "build"
    (css,) = build.glob("index-*.css")
    return css.read_text("utf-8") + "\n" + TOOLBAR_FIX + "\n"


def st_canvas(**kwargs):
    """``streamlit_drawable_canvas.st_canvas`` with the toolbar fix; needs a Streamlit run."""
    from streamlit_drawable_canvas import st_canvas as package_canvas

    # Re-registering the same name replaces the package's stylesheet for this server (the JavaScript stays
    # the package's file). It is cheap, and done on every call because each AppTest has its own runtime.
    st.components.v2.component(COMPONENT, html=HTML, js="index-*.js", css=_stylesheet(), isolate_styles=True)
    return package_canvas(**kwargs)
