"""Presenter mode: the same pages, made to read from the back of a room on a washed-out projector.

``?present=1`` or the sidebar toggle. Larger type (CSS for the page, a plotly restyle for figures),
thicker lines and bigger markers, full-opacity colours and darker grid lines, the long explanations
folded, the sidebar hidden (a button at the top of the page leaves the mode), and plotly's toolbar
always shown, so its camera button (download as PNG, at twice the resolution) is in view.

One big figure at a time: columns that hold a figure are stacked, one per row at the page's full width
(CSS, so every page gets it without a change; columns of metrics or buttons stay side by side). On a
1280×720 projector two figures side by side are each ~600 px wide, with 22 px type that leaves a plot
too small to read from the back; scrolling through full-width figures reads better than a selector
that hides the others.

The colours stay the Okabe-Ito palette of ``ui.charts`` (distinguishable under the common colour
blindnesses): the page texts name the colours ("the orange points"), so presenter mode keeps the hues
and makes them survive a projector by weight instead: opaque markers, lines twice as thick, dark axes.
"""

from __future__ import annotations

import plotly.graph_objects as go

FONT = 22
LINE_SCALE = 1.8
MARKER_SCALE = 1.45

CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] { display: none; }
[data-testid="stAppViewContainer"] .stMainBlockContainer { padding-top: 1.5rem; max-width: 100%; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; line-height: 1.5; }
[data-testid="stWidgetLabel"] p { font-size: 1.15rem; font-weight: 600; }
h1 { font-size: 2.6rem !important; }
h2 { font-size: 2.0rem !important; }
h3 { font-size: 1.6rem !important; }
[data-testid="stTab"] p { font-size: 1.2rem; }
.modebar-container .modebar { opacity: 1 !important; }
.modebar-container .modebar-btn path { fill: #374151 !important; }
[data-testid="stHorizontalBlock"]:has([data-testid="stPlotlyChart"]) { flex-wrap: wrap; }
[data-testid="stHorizontalBlock"]:has([data-testid="stPlotlyChart"]) > [data-testid="stColumn"] {
  flex: 1 1 100% !important; width: 100% !important; min-width: 100% !important; }
</style>
"""

CONFIG = {"displaylogo": False, "displayModeBar": True, "toImageButtonOptions": {"scale": 2}}


def _scaled(value, factor: float):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * factor
    return value


def style(fig: go.Figure) -> go.Figure:
    """A restyled copy of ``fig`` (the original may be a cached object shared by other reruns)."""
    fig = go.Figure(fig)
    if fig.layout.height:  # the larger type and legend take room from the plot: give it back
        fig.update_layout(height=int(fig.layout.height * 1.2))
    fig.update_layout(font_size=FONT, legend_font_size=FONT - 2, title_font_size=FONT + 4, hoverlabel_font_size=FONT - 4)
    fig.update_xaxes(title_font_size=FONT, tickfont_size=FONT - 4, gridcolor="#9ca3af", linecolor="#111827", linewidth=2)
    fig.update_yaxes(title_font_size=FONT, tickfont_size=FONT - 4, gridcolor="#9ca3af", linecolor="#111827", linewidth=2)
    for ann in fig.layout.annotations or ():
        ann.font.size = max(ann.font.size or 0, FONT - 2)

    def heavier(trace) -> None:
        line = getattr(trace, "line", None)
        if line is not None and "width" in line:
            line.width = _scaled(line.width if line.width is not None else 2, LINE_SCALE)
        marker = getattr(trace, "marker", None)
        if marker is not None and "size" in marker and marker.size is not None:
            marker.size = _scaled(marker.size, MARKER_SCALE)
        if marker is not None and "opacity" in marker and isinstance(marker.opacity, (int, float)):
            marker.opacity = max(marker.opacity, 0.95)
        if marker is not None and "line" in marker and marker.line.width is not None:
            marker.line.width = _scaled(marker.line.width, LINE_SCALE)

    fig.for_each_trace(heavier)
    return fig
