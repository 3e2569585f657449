"""The VAE page's latent-arithmetic section (issue 18, "Editing"): move a digit towards another class.

``edit_section``: a held-out digit moved along z + t·(m_target − m_source) with the page's chosen VAE: the strip
t = 0 … 1.5, an animation whose slider scrubs t in the browser (the digit and the evaluator's class probabilities),
and how often t = 1 reaches the target over every held-out digit and target. A section (``ui.shell.section``).
Its heading's anchor is ``latent-arithmetic`` and the tab ``?tab=edit``: other pages link to ``/vae?tab=edit``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from engine.data import digits
from engine.families import vae
from ui import digit_images, plots_vae
from ui import views_vae as views
from ui.charts import FONT_SIZE, PALETTE
from ui.shell import PageContext, section

CHART = {"displaylogo": False}
ANCHOR = "latent-arithmetic"
STRIP_COLS = 9  # the input and t = 0 … 0.7, then t = 0.8 … 1.5
SOURCE, TARGET, OTHER = PALETTE[0], PALETTE[1], "#9ca3af"


# ---------------------------------------------------------------- cached engine calls (shared, read-only)

@st.cache_resource(max_entries=16, show_spinner=False)
def class_means(latent: int, beta: float, arch: str) -> np.ndarray:
    means = vae.edit.class_means(views.model(latent, beta, arch))
    means.setflags(write=False)
    return means


@st.cache_resource(max_entries=16, show_spinner=False)
def success(latent: int, beta: float, arch: str) -> vae.edit.Success:
    """t = 1 over every test digit and each of the 9 other classes (a few seconds once per model)."""
    X, y = digits.load("test")
    M = views.model(latent, beta, arch)
    return vae.edit.success_rate(M, class_means(latent, beta, arch), X, y, 1.0)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def edit_path(latent: int, beta: float, arch: str, index: int, target: int) -> vae.edit.Path:
    X, y = digits.load("test")
    return vae.edit.path(views.model(latent, beta, arch), X[index], int(y[index]), target, class_means(latent, beta, arch))


# ---------------------------------------------------------------- latent arithmetic

def edit_animation(path: vae.edit.Path, source: int, target: int, labels: dict[str, str], t_text: list[str]) -> go.Figure:
    """The decoded digit at t (left) and the evaluator's p(y | x(t)) for the ten classes (right), one frame per t;
    the slider and ▶ scrub t in the browser. Bars: the source class blue, the target orange, the others grey."""
    probs = path.probs
    colours = [SOURCE if k == source else TARGET if k == target else OTHER for k in range(10)]
    imgs = np.asarray(path.images).reshape(-1, 8, 8)

    def traces(k: int):
        return [digit_images.heatmap(imgs[k], hovertemplate="%{z:.1f}<extra></extra>"),
                go.Bar(x=[str(c) for c in range(10)], y=probs[k], marker_color=colours,
                       hovertemplate=labels["bar_hover"] + "<extra></extra>", showlegend=False)]

    fig = make_subplots(rows=1, cols=2, column_widths=[0.4, 0.6], horizontal_spacing=0.08)
    for i, tr in enumerate(traces(0)):
        fig.add_trace(tr, row=1, col=i + 1)
    fig.frames = [go.Frame(data=traces(k), traces=[0, 1], name=str(k)) for k in range(len(imgs))]
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x", scaleratio=1, row=1, col=1)
    fig.update_xaxes(visible=False, constrain="domain", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], title_text=labels["prob_axis"], row=1, col=2)
    fig.update_xaxes(title_text=labels["class_axis"], type="category", row=1, col=2)
    fig.update_layout(
        height=360, margin=dict(l=10, r=10, t=10, b=95), font=dict(size=FONT_SIZE), plot_bgcolor="white",
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=-0.18, xanchor="left", yanchor="top", buttons=[
            dict(label="▶ " + labels["play"], method="animate",
                 args=[None, dict(frame=dict(duration=250, redraw=True), fromcurrent=True, transition=dict(duration=0))]),
            dict(label="■ " + labels["pause"], method="animate", args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")]),
        ])],
        sliders=[dict(active=0, x=0.25, len=0.75, y=-0.12, currentvalue=dict(prefix="t = "),
                      steps=[dict(method="animate", label=t_text[k], args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
                             for k in range(len(imgs))])],
    )
    return fig


@section
def edit_section(ctx: PageContext, latent: int, beta: float, arch: str) -> None:
    st.subheader(ctx.t("edit.title"), anchor=ANCHOR)
    ctx.md("edit")
    X, y = digits.load("test")
    a, b = st.columns([1, 2])
    index = int(a.number_input(ctx.t("edit.index"), 0, len(X) - 1, 0, key=ctx.key("edit_index"), help=ctx.t("edit.index_help")))
    source = int(y[index])
    target = b.segmented_control(ctx.t("edit.target"), list(range(10)), default=(source + 1) % 10, required=True,
                                 key=ctx.key("edit_target"), help=ctx.t("edit.target_help"))
    target = int(target)
    a.caption(ctx.t("edit.true_label", k=source))
    if target == source:
        st.info(ctx.t("edit.same_class", k=source), icon=":material/info:")
        return
    with st.spinner(ctx.t("edit.computing")):
        path = edit_path(latent, beta, arch, index, target)
        rate = success(latent, beta, arch)
    ts = [ctx.num(t, ".1f") for t in path.ts]
    caps = [ctx.t("edit.tile", k=int(p), p=ctx.num(c, ".0%")) for p, c in zip(path.predicted, path.confidence)]
    st.markdown(ctx.t("edit.strip_title", s=source, k=target))
    ctx.chart(plots_vae.digits_figure(np.vstack([X[index:index + 1], path.images]), STRIP_COLS, [ctx.t("edit.original")] + caps),
              key="edit_strip", config=CHART)
    st.caption(ctx.t("edit.strip_caption"))
    left, right = st.columns([3, 2], gap="large")
    labels = {"play": ctx.t("play"), "pause": ctx.t("pause"), "prob_axis": ctx.t("edit.prob_axis"),
              "class_axis": ctx.t("edit.class_axis"), "bar_hover": ctx.t("edit.bar_hover")}
    with left:
        ctx.chart(edit_animation(path, source, target, labels, ts), key="edit_anim", config=CHART)
        st.caption(ctx.t("edit.anim_caption", s=source, k=target))
    with right:
        at1 = int(np.argmin(np.abs(path.ts - 1.0)))
        reached = next((ts[i] for i in range(len(ts)) if path.predicted[i] == target), None)
        st.metric(ctx.t("edit.m_target_prob"), ctx.num(path.probs[at1, target], ".0%"), help=ctx.t("edit.m_target_prob_help", k=target))
        st.markdown(ctx.t("edit.reached", t=reached, k=target) if reached is not None else ctx.t("edit.not_reached", k=target))
        st.metric(ctx.t("edit.m_rate"), ctx.num(rate.rate, ".0%"), help=ctx.t("edit.m_rate_help", pairs=ctx.num(rate.pairs, ",")))
        st.caption(ctx.t("edit.rate_caption", pairs=ctx.num(rate.pairs, ","), rate=ctx.num(rate.rate, ".0%"),
                         stays=ctx.num(rate.stays, ".0%"), k=target, per=ctx.num(rate.per_target[target], ".0%")))
    st.caption(ctx.t("edit.why_rough"))
