"""The GAN page's CycleGAN section (issue 18): two unpaired point sets, two generators, with and without the cycle loss.

- ``cycle_section``: a toggle for the cycle loss and a choice of what the plane shows (A → B, B → A, or the round
  trip A → B → A); the shipped run of the chosen setting (``gan.cycle.shipped_run``, its figures built once per
  setting and language and shared) until "Train live" builds a trainer and retrains it from step 0 through the
  shared live panel (``ui/live_panel.py``, lazy, its own record ``gan.cycle``); the held-out cycle
  error and MMD² curves of both shipped runs, with the live run's on top. A section: its controls rerun it alone.
"""

from __future__ import annotations

import copy

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine.data import points
from engine.families import gan
from ui import charts, live_panel, plots_gan
from ui.shell import PageContext, section

CHART = {"displaylogo": False}
VIEWS = ("ab", "ba", "aba")  # what the plane shows: G on A, F on B, or the round trip F(G(a))
A_COLOUR, B_COLOUR = charts.PALETTE[0], charts.PALETTE[1]  # the two domains: blue, vermillion
GA_COLOUR, FB_COLOUR, BACK_COLOUR = charts.PALETTE[2], charts.PALETTE[3], charts.PALETTE[4]  # G(a) green, F(b) pink, F(G(a)) orange
ON, OFF, LIVE = charts.PALETTE[2], charts.PALETTE[1] + ":dash", "#111827"  # the curves: shipped on, shipped off, this run
ARROW = "#6b7280"
POSITION_SCALE = "Phase"  # cyclic: the colour of a point's angle around its set's centre
TICK_SECONDS, TICK_BUDGET = 0.8, 0.6  # redraws take most of a busy server's tick: fewer of them, more steps each
LOG_TICKS = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)


# ---------------------------------------------------------------- shipped runs and data (shared, read-only)

@st.cache_resource(max_entries=2, show_spinner=False)
def shipped(cycle: bool) -> gan.cycle.ShippedCycle:
    return gan.cycle.shipped_run(cycle)


@st.cache_resource(max_entries=1, show_spinner=False)
def data() -> gan.cycle.Domains:
    """Moons (A) and circles (B), the shipped runs' (seed 0); every live run trains on them too."""
    return gan.cycle.domains(seed=gan.cycle.SHIPPED_SEED)


def box(d: gan.cycle.Domains) -> tuple[float, float, float, float]:
    return points.bounds(np.vstack([d.A, d.B]), margin=0.2)


# ---------------------------------------------------------------- figures

def _points(fig: go.Figure, X: np.ndarray, colour: str, name: str, size: int = 6, symbol: str = "circle") -> None:
    """SVG markers, not WebGL: a few hundred points redrawn on every tick of a live run, which WebGL left blank in a
    busy browser until the run paused."""
    x, y = (np.ascontiguousarray(X[:, i], dtype=np.float32) for i in (0, 1))
    fig.add_trace(go.Scatter(x=x, y=y, mode="markers", name=name, marker=dict(color=colour, size=size, symbol=symbol, opacity=0.8,
                                                                                line=dict(width=0)),
                               hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>"))


def _segments(fig: go.Figure, start: np.ndarray, end: np.ndarray, name: str) -> None:
    """One thin line from each start to its end: one trace, segments split by NaN rows."""
    xy = np.full((3 * len(start), 2), np.nan, dtype=np.float32)
    xy[0::3], xy[1::3] = start, end
    fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", name=name, line=dict(color=ARROW, width=0.8),
                             opacity=0.7, hoverinfo="skip"))


def position_colours(X: np.ndarray) -> np.ndarray:
    """Each point's angle around its set's centre, in [0, 1): neighbours get neighbouring colours on a cyclic scale."""
    d = X - X.mean(axis=0)
    return ((np.arctan2(d[:, 1], d[:, 0]) / (2 * np.pi)) % 1.0).astype(np.float32)


def _coloured(fig: go.Figure, X: np.ndarray, c: np.ndarray, name: str, symbol: str, size: int) -> None:
    x, y = (np.ascontiguousarray(X[:, i], dtype=np.float32) for i in (0, 1))
    fig.add_trace(go.Scatter(x=x, y=y, mode="markers", name=name, hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>",
                               marker=dict(color=c, colorscale=POSITION_SCALE, cmin=0, cmax=1, size=size, symbol=symbol,
                                           line=dict(width=0.6, color="#374151") if symbol != "circle" else dict(width=0))))


def plane(ctx: PageContext, view: gan.cycle.CycleView, shown: str, bounds, title: str, by_position: bool = False) -> go.Figure:
    """A (blue) and B (vermillion), then the images of the chosen map and a line from each point to its image.
    ``by_position``: the starting points and their images take the colour of where each point starts instead."""
    fig = charts.plane_figure(bounds, title=title, height=620)
    fig.update_layout(uirevision="cycle")
    start, end, colour, name, other = {
        "ab": (view.A, view.GA, GA_COLOUR, ctx.t("cycle.legend_ga"), view.B),
        "ba": (view.B, view.FB, FB_COLOUR, ctx.t("cycle.legend_fb"), view.A),
        "aba": (view.A, view.FGA, BACK_COLOUR, ctx.t("cycle.legend_fga"), view.B),
    }[shown]
    if by_position:
        c = position_colours(start)
        _points(fig, other, "#9ca3af", ctx.t("cycle.legend_b" if shown != "ba" else "cycle.legend_a"), size=4)
        _segments(fig, start, end, ctx.t("cycle.legend_lines"))
        _coloured(fig, start, c, ctx.t("cycle.legend_a" if shown != "ba" else "cycle.legend_b"), "circle", 7)
        _coloured(fig, end, c, name, "diamond", 8)
        return fig
    _points(fig, view.A, A_COLOUR, ctx.t("cycle.legend_a"))
    _points(fig, view.B, B_COLOUR, ctx.t("cycle.legend_b"))
    _segments(fig, start, end, ctx.t("cycle.legend_lines"))
    _points(fig, end, colour, name, size=7, symbol="diamond")
    return fig


def curves(ctx: PageContext, live: gan.cycle.CycleHistory | None, cycle: bool) -> go.Figure:
    """Held-out cycle error (log axis, top) and MMD²(G(A), B) (bottom) of both shipped runs, and of this session's
    live run when there is one. One Figure(data, layout) call: the figure is rebuilt on every tick of a live run, and
    plotly's make_subplots and update calls took ~80 ms of it under load, this ~10 ms."""
    on, off = shipped(True).history, shipped(False).history
    lines = [(ctx.t("cycle.curve_on"), on, ON), (ctx.t("cycle.curve_off"), off, OFF)]
    if live is not None and len(live.eval_step) > 1:
        lines.append((ctx.t("cycle.curve_live_on" if cycle else "cycle.curve_live_off"), live, LIVE))
    traces = []
    for row, (axis, series) in enumerate((("y", "cycle_test"), ("y2", "mmd_ab"))):
        for name, h, style in lines:
            colour, _, dash = style.partition(":")
            traces.append(go.Scatter(x=np.asarray(h.eval_step, np.float32), y=np.asarray(getattr(h, series), np.float32), yaxis=axis,
                                     mode="lines", name=name, legendgroup=name, showlegend=row == 0,
                                     line=dict(color=colour, width=2, dash=dash or None),
                                     hovertemplate="%{x}: %{y:.3f}<extra>" + name + "</extra>"))
    grid = dict(gridcolor="#e5e7eb", zeroline=False)
    title = dict(font=dict(size=charts.FONT_SIZE - 1), xref="paper", yref="paper", x=0.5, xanchor="center", yanchor="bottom",
                 showarrow=False)
    layout = dict(
        height=470, margin=dict(l=10, r=10, t=30, b=10), font=dict(size=charts.FONT_SIZE - 2), plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="top", y=-0.14, x=0), uirevision="cycle_curves",
        xaxis=dict(grid, anchor="y2", title=dict(text=ctx.t("cycle.step_axis")), range=[0, on.eval_step[-1]]),
        yaxis=dict(grid, domain=[0.56, 1.0], type="log", tickvals=LOG_TICKS, ticktext=[ctx.num(v, "g") for v in LOG_TICKS]),
        yaxis2=dict(grid, domain=[0.0, 0.44], rangemode="tozero"),  # MMD² is unbiased: it can dip just below 0, no log axis
        annotations=[dict(title, text=ctx.t("cycle.panel_cycle"), y=1.0), dict(title, text=ctx.t("cycle.panel_mmd"), y=0.44)],
    )
    return go.Figure(data=traces, layout=layout)


# ---------------------------------------------------------------- the section

def live_snapshot(tr: gan.cycle.CycleTrainer, done: bool) -> dict:
    """Under the trainer's lock: where the maps send the held-out points, and the history so far."""
    return {"view": tr.view(), "history": copy.deepcopy(tr.history_)}


@charts.shared_figures(max_entries=2 * len(VIEWS) * 2 * 2, show_spinner=False)
def shipped_figures(cycle: bool, shown: str, by_position: bool, lang: str) -> tuple[go.Figure, go.Figure]:
    """The plane and the curves of a shipped run, what every student sees before training (shared: read-only,
    serialised once)."""
    ctx, run = PageContext("gan", lang, 0), shipped(cycle)
    title = ctx.t("cycle.title_shipped", steps=ctx.num(run.step, ","))
    return (plots_gan.freeze(plane(ctx, run.view, shown, box(data()), title, by_position), lang),
            plots_gan.freeze(curves(ctx, None, cycle), lang))


def _metrics(ctx: PageContext, history: gan.cycle.CycleHistory) -> None:
    m = st.columns(3)
    m[0].metric(ctx.t("cycle.metric_cycle"), ctx.num(history.latest("cycle_test"), ".3f"), help=ctx.t("cycle.metric_cycle_help"))
    m[1].metric(ctx.t("cycle.metric_mmd_ab"), ctx.num(history.latest("mmd_ab"), ".3f"), help=ctx.t("cycle.metric_mmd_help"))
    m[2].metric(ctx.t("cycle.metric_mmd_ba"), ctx.num(history.latest("mmd_ba"), ".3f"), help=ctx.t("cycle.metric_mmd_help"))


def _figures(ctx: PageContext, plane_fig: go.Figure, curves_fig: go.Figure) -> None:
    left, right = st.columns([1.25, 1], gap="medium")
    with left:
        ctx.chart(plane_fig, key="gan_cycle_plane", config=CHART)
    with right:
        ctx.chart(curves_fig, key="gan_cycle_curves", config=CHART)


def draw_shipped(ctx: PageContext, cycle: bool, shown: str, by_position: bool) -> None:
    """The shipped run of the chosen setting: what the panel shows until "Train live" builds a trainer, and at step 0."""
    _metrics(ctx, shipped(cycle).history)
    _figures(ctx, *shipped_figures(cycle, shown, by_position, ctx.lang))


def draw(ctx: PageContext, snap: live_panel.Snapshot, cycle: bool, shown: str, by_position: bool) -> None:
    """Inside the panel's fragment: the shipped run at step 0 (nothing trained yet), this session's run after."""
    if snap.step == 0:
        draw_shipped(ctx, cycle, shown, by_position)
        return
    view, history = snap.page["view"], snap.page["history"]
    _metrics(ctx, history)
    title = ctx.t("cycle.title_live", step=ctx.num(snap.step, ","))
    _figures(ctx, plane(ctx, view, shown, box(data()), title, by_position), curves(ctx, history, cycle))


@section
def cycle_section(ctx: PageContext) -> None:
    st.subheader(ctx.t("cycle.title"))
    st.markdown(ctx.t("cycle.lead"))
    ss = st.session_state
    if ctx.key("cycle_loss") not in ss:
        ss[ctx.key("cycle_loss")] = True
    if ctx.key("cycle_view") not in ss:
        ss[ctx.key("cycle_view")] = "ab"
    c1, c2, c3 = st.columns([1, 1.6, 1], vertical_alignment="bottom")
    cycle = bool(c1.toggle(ctx.t("cycle.toggle"), key=ctx.key("cycle_loss"), help=ctx.t("cycle.toggle_help")))
    shown = c2.segmented_control(ctx.t("cycle.show"), VIEWS, format_func=ctx.labeler("gan.cycle.views"), key=ctx.key("cycle_view"))
    shown = shown or "ab"  # a second click empties the control
    by_position = bool(c3.toggle(ctx.t("cycle.by_position"), key=ctx.key("cycle_colours"), help=ctx.t("cycle.by_position_help")))
    cfg, seed, d = gan.cycle.CycleConfig(cycle=cycle), ctx.seed, data()
    panel = live_panel.Panel(  # lazy: no trainer (and no figures of its own) until "Train live"; the shipped run till then
        ctx, "gan_cycle", lambda reset: gan.cycle.CycleTrainer(d, cfg, seed), data=(d.A, d.B), settings=(cfg, seed), name="cycle",
        snapshot=live_snapshot, draw=lambda snap: draw(ctx, snap, cycle, shown, by_position), lazy=True,
        idle_draw=lambda: draw_shipped(ctx, cycle, shown, by_position), buttons=("reset",), model_file=False,
        labels={"start": ctx.t("cycle.train"), "resume": ctx.t("cycle.resume"), "reset": ctx.t("cycle.reset")},
        helps={"play": ctx.t("cycle.train_help", steps=ctx.num(cfg.steps, ",")), "reset": ctx.t("cycle.reset_help")},
        tick_seconds=TICK_SECONDS, tick_budget=TICK_BUDGET, diverged_text=lambda step: ctx.t("cycle.diverged", step=step))
    live_panel.show(panel)
    st.caption(ctx.t(f"cycle.legend_{shown}") + " " + ctx.t("cycle.legend_position" if by_position else "cycle.legend_domains"))
    st.caption(ctx.t("cycle.curves_legend", n=ctx.num(len(d.A_test), ","), seed=gan.cycle.SHIPPED_SEED))
    on, off = shipped(True).history, shipped(False).history
    st.markdown(ctx.t("cycle.look_for", on=ctx.num(on.cycle_test[-1], ".2f"), off=ctx.num(off.cycle_test[-1], ".2f"),
                      start=ctx.num(on.cycle_test[0], ".2f"), mmd_on=ctx.num(on.mmd_ab[-1], ".3f"), mmd_off=ctx.num(off.mmd_ab[-1], ".3f")))
    ctx.md("cycle")
