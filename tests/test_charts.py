"""ui.charts.fit_margins: fixed margins that grow with what a figure shows, and plotly's autoexpand off."""

import numpy as np
import plotly.graph_objects as go

from ui import charts, presenter


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
