"""The GAN page's sections on GAN variants (issue 18): the truncation trick, live, and DCGAN's design choices.

- ``truncation_section``: a ψ slider over the shipped digits GAN; a grid at ψ beside the same uniform
  numbers untruncated, the evaluator's judgement at ψ, and the curve over every ψ (computed once per
  process and shared: read-only), with a marker at ψ. A section: the slider reruns it alone.
- ``dcgan_section``: DCGAN's guidelines against what the page's digits GAN actually does (a text).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.evaluation import truncation
from engine.families import gan
from ui import charts, plots_gan, views_gan
from ui.shell import PageContext, section

CHART = {"displaylogo": False}
PSIS = truncation.PSIS
DEFAULT_PSI = 0.5
GRID_N, GRID_COLS = 40, 8
QUALITY, DIVERSITY = charts.PALETTE[0], charts.PALETTE[1]  # solid lines: quality; dashed lines: diversity


# ---------------------------------------------------------------- cached engine calls (shared, read-only)

@st.cache_resource(max_entries=1, show_spinner=False)
def curve() -> truncation.Curve:
    """The shipped digits GAN judged at every ψ (shipped: judged when the evaluator was regenerated), shared."""
    return truncation.shipped_curve()


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def grids(psi: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``GRID_N`` digits at ψ and the same uniform numbers untruncated, as two pictures."""
    model = views_gan.digits_model(False)[0]  # the page's shared copy of the shipped digits GAN
    return tuple(plots_gan.digit_tiles(gan.truncation.sample(model, GRID_N, p, seed), GRID_COLS, zoom=5, gap=3) for p in (psi, None))


@st.cache_resource(max_entries=2 * len(PSIS), show_spinner=False)
def curve_figure(lang: str, psi: float) -> plots_gan.Frozen:
    """The curve over ψ in ``lang`` with a marker at ``psi`` (shared: read-only, serialised once)."""
    ctx, c = PageContext("gan", lang, 0), curve()
    rows = [
        (ctx.t("trunc.panel_share"), [(ctx.t("trunc.confidence"), c.series("confidence"), QUALITY),
                                       (ctx.t("trunc.precision"), c.series("precision"), charts.PALETTE[2]),
                                       (ctx.t("trunc.recall"), c.series("recall"), DIVERSITY + ":dash")]),
        (ctx.t("trunc.panel_classes"), [(ctx.t("trunc.covered"), c.series("classes_covered"), charts.PALETTE[3] + ":dash"),
                                         (ctx.t("trunc.effective"), c.series("effective_classes"), DIVERSITY + ":dash")]),
    ]
    fig = plots_gan.curves(list(c.psi), rows, ctx.t("trunc.psi_axis"), height=480)
    for trace in fig.data:
        trace.mode = "lines+markers"
    fig.update_xaxes(type="log", tickvals=list(c.psi), ticktext=[ctx.num(p, "g") for p in c.psi])
    fig.update_yaxes(range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(range=[0, 10.3], dtick=2, row=2, col=1)
    fig.update_layout(uirevision="truncation", legend=dict(y=-0.16))
    fig.add_vline(x=float(psi), line=dict(color="#6b7280", dash="dot"))
    return plots_gan.freeze(fig, lang)


# ---------------------------------------------------------------- the truncation trick

@section
def truncation_section(ctx: PageContext) -> None:
    st.subheader(ctx.t("trunc.title"))
    st.markdown(ctx.t("trunc.lead"))
    psi = st.select_slider(ctx.t("trunc.psi"), PSIS, DEFAULT_PSI, key=ctx.key("psi"), format_func=lambda v: ctx.num(v, "g"),
                           help=ctx.t("trunc.psi_help"))
    with st.spinner(ctx.t("trunc.computing")):
        c = curve()
    p, base = c.at(float(psi)), c.untruncated
    m = st.columns(5)
    m[0].metric(ctx.t("trunc.confidence"), ctx.num(p.confidence, ".0%"), ctx.num(100 * (p.confidence - base.confidence), "+.1f") + " pp",
                help=ctx.t("trunc.confidence_help"))
    m[1].metric(ctx.t("trunc.precision"), ctx.num(p.precision, ".2f"), ctx.num(p.precision - base.precision, "+.2f"),
                help=ctx.t("trunc.precision_help"))
    m[2].metric(ctx.t("trunc.recall"), ctx.num(p.recall, ".2f"), ctx.num(p.recall - base.recall, "+.2f"), help=ctx.t("trunc.recall_help"))
    m[3].metric(ctx.t("trunc.covered"), f"{p.classes_covered}/10", p.classes_covered - base.classes_covered, help=ctx.t("trunc.covered_help"))
    m[4].metric(ctx.t("trunc.effective"), ctx.num(p.effective_classes, ".1f"), ctx.num(p.effective_classes - base.effective_classes, "+.1f"),
                help=ctx.t("trunc.effective_help"))
    st.caption(ctx.t("trunc.metrics_caption", n=ctx.num(c.n, ","), conf=ctx.num(base.confidence, ".0%"),
                     precision=ctx.num(base.precision, ".2f"), recall=ctx.num(base.recall, ".2f"),
                     effective=ctx.num(base.effective_classes, ".1f")))
    truncated, plain = grids(float(psi), ctx.seed)
    left, right = st.columns([1, 1.25], gap="large")
    with left:
        a, b = st.columns(2)
        a.image(truncated, caption=ctx.t("trunc.grid_caption", psi=ctx.num(psi, "g")),
                width="content")
        b.image(plain, caption=ctx.t("trunc.grid_plain"), width="content")
        st.caption(ctx.t("trunc.grid_note"))
    with right:
        ctx.chart(curve_figure(ctx.lang, float(psi)), key="gan_truncation_curve", config=CHART)
    lowest = c.points[0]
    top = int(np.argmax(lowest.counts))
    st.caption(ctx.t("trunc.curve_caption", n=ctx.num(c.n, ","), psi_min=ctx.num(c.psi[0], "g"), digit=top,
                     share=ctx.num(lowest.counts[top] / c.n, ".1%"), conf_min=ctx.num(lowest.confidence, ".0%"),
                     conf=ctx.num(base.confidence, ".0%")))


# ---------------------------------------------------------------- DCGAN's design choices

def dcgan_section(ctx: PageContext) -> None:
    st.subheader(ctx.t("dcgan.title"))
    ctx.md("dcgan")
