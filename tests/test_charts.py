"""ui.charts.fit_margins: fixed margins that grow with what a figure shows, and plotly's autoexpand off."""

import numpy as np
import plotly.graph_objects as go
import pytest

from ui import charts, plots_diffusion, presenter


def _plane(**kw) -> go.Figure:
    fig = charts.plane_figure((-2, 2, -1.5, 1.5), **kw)
    X = np.random.default_rng(0).normal(size=(40, 2))
    charts.add_points(fig, X, np.arange(40) % 2, ["A", "B"])
    return fig


def _margins(fig: go.Figure) -> dict:
    return {side: fig.to_dict()["layout"]["margin"][side] for side in "lrtb"}


def test_fitted_figures_turn_auto_margins_off_and_keep_what_they_gave():
    fig = charts.fit_margins(_plane())
    layout = fig.to_dict()["layout"]  # what st.plotly_chart sends
    assert layout["margin"]["autoexpand"] is False
    assert all(layout["margin"][side] >= 10 for side in "lrtb")  # plane_figure's own 10 px are the least
    again = _margins(charts.fit_margins(fig))
    assert again == _margins(fig)  # idempotent: a cached figure passes every rerun


def test_margins_grow_with_what_the_figure_shows():
    bare = _margins(charts.fit_margins(_plane()))
    # a colour bar with its title on the right
    with_bar = _plane()
    xs, ys = np.linspace(-2, 2, 9), np.linspace(-1.5, 1.5, 7)
    charts.add_probability_map(with_bar, xs, ys, np.full((63, 2), 0.5), ["A", "B"], "p(classe B | x)")
    assert _margins(charts.fit_margins(with_bar))["r"] >= bare["r"] + 60
    # a long axis title on two lines and long tick labels
    long = _plane()
    long.update_layout(yaxis_title_text="log-verossimilhança<br>média por ponto", yaxis_tickformat=".4f")
    assert _margins(charts.fit_margins(long))["l"] > bare["l"] + 15
    # a horizontal legend below the plot, many entries: more rows, more room below
    many = _plane()
    for k in range(8):
        many.add_trace(go.Scatter(x=[0], y=[0], name=f"componente número {k}"))
    assert _margins(charts.fit_margins(many))["b"] > bare["b"] + 40
    # a title
    assert _margins(charts.fit_margins(_plane(title="Um título")))["t"] >= 30


def test_presenter_type_gets_bigger_margins():
    fig = _plane()
    fig.update_layout(yaxis_title_text="densidade")
    normal = _margins(charts.fit_margins(fig))
    styled = _margins(charts.fit_margins(presenter.style(fig)))  # the presenter copy is fitted again, for its type
    assert styled["l"] > normal["l"] and styled["b"] > normal["b"]


def test_arrows_are_one_path_from_each_start_to_its_tip_with_a_head_behind_it():
    """charts.arrow_path: every arrow in one trace (no marker per point), shaft start → tip, then two wings that sit
    behind the tip on either side of the shaft, none for a zero arrow; the diffusion helper scales the longest."""
    fig = charts.plane_figure((-2, 2, -2, 2))
    start = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 0.5]])
    vec = np.array([[1.0, 0.0], [0.0, -0.5], [0.0, 0.0]])
    charts.arrow_path(fig, start, vec, "arrows", "#111827")
    (tr,) = fig.data
    assert tr.mode == "lines" and not tr.marker.symbol
    xy = np.column_stack([tr.x, tr.y]).reshape(3, 7, 2)
    np.testing.assert_allclose(xy[:, 0], start, atol=1e-6)
    np.testing.assert_allclose(xy[:, 1], start + vec, atol=1e-6)  # the shaft ends at the tip
    for i in (0, 1):
        np.testing.assert_allclose(xy[i, 4], start[i] + vec[i], atol=1e-6)  # the head's strokes meet at the tip
        unit = vec[i] / np.linalg.norm(vec[i])
        behind = [(w - xy[i, 4]) @ unit for w in (xy[i, 3], xy[i, 5])]
        side = [(w - xy[i, 4]) @ np.array([-unit[1], unit[0]]) for w in (xy[i, 3], xy[i, 5])]
        assert all(b < 0 for b in behind) and abs(side[0]) > 0.01 and side[0] == pytest.approx(-side[1], abs=1e-6)  # one each side
    assert np.isnan(xy[2, 3:6]).all()  # no head on a zero arrow
    fig2 = charts.plane_figure((-2, 2, -2, 2))
    plots_diffusion.add_arrows(fig2, start[:2], vec[:2], 0.3, "arrows")
    xy2 = np.column_stack([fig2.data[0].x, fig2.data[0].y]).reshape(2, 7, 2)
    np.testing.assert_allclose(np.linalg.norm(xy2[:, 1] - xy2[:, 0], axis=1), [0.3, 0.15], atol=1e-6)  # longest = 0.3


def test_a_frozen_figure_is_written_to_json_once_however_many_runs_draw_it(monkeypatch):
    """``st.plotly_chart`` asks plotly for a figure's JSON on every run; a frozen (shared) figure's is written once, and
    it is plotly's own text. Any other figure is written on every run, as before."""
    import json

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    calls = []
    real = charts._PLOTLY_TO_JSON
    monkeypatch.setattr(charts, "_PLOTLY_TO_JSON", lambda *a, **k: (calls.append(1), real(*a, **k))[1])

    def app():
        import numpy as np
        import plotly.graph_objects as go
        import streamlit as st

        from ui import charts

        @st.cache_resource
        def shared():
            return charts.freeze(go.Figure(go.Scatter(x=np.arange(50.0), y=np.arange(50.0) ** 2)), "en")

        st.plotly_chart(shared(), key="frozen")
        st.plotly_chart(go.Figure(go.Bar(x=[1, 2], y=[3, 4])), key="plain")

    st.cache_resource.clear()
    try:
        at = AppTest.from_function(app, default_timeout=60).run()
        spec = at.get("plotly_chart")[0].proto.spec
        at.run()
        at.run()
        assert not at.exception and len(calls) == 1 + 3  # the frozen figure once, the plain one on each of the 3 runs
        assert at.get("plotly_chart")[0].proto.spec == spec
        assert json.loads(spec)["data"][0]["type"] == "scatter" and "layout" in json.loads(spec)
    finally:
        st.cache_resource.clear()


def test_points_are_svg_unless_there_are_many():
    """A new chart's WebGL context is drawn in software without a GPU: a figure's points are SVG up to SVG_POINTS
    (the mixtures page's regime move took 755 ms in Chromium with WebGL, ~300 ms with SVG)."""
    assert charts.scatter_class(charts.SVG_POINTS) is go.Scatter
    assert charts.scatter_class(charts.SVG_POINTS + 1) is go.Scattergl
