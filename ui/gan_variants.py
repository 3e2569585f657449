"""The GAN page's sections on GAN variants (issue 18): the truncation trick, live, and DCGAN's design choices.

- ``truncation_section``: the shipped digits GAN at every ψ in one figure scrubbed in the browser (a plotly slider:
  no rerun): the grid at ψ, the evaluator's judgement at ψ in the slider's label, and the curve over every ψ
  (computed once per process and shared: read-only) with a marker at ψ; below, the same uniform numbers untruncated.
- ``dcgan_section``: DCGAN's guidelines against what the page's digits GAN actually does (a text).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.evaluation import truncation
from engine.families import gan
from ui import charts, plots_gan, share, text, views_gan
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


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def plain_grid(seed: int) -> np.ndarray:
    """The ``GRID_N`` digits of the seed's uniform numbers untruncated, as one picture (shared, read-only)."""
    model = views_gan.digits_model(False)[0]  # the page's shared copy of the shipped digits GAN
    return plots_gan.digit_tiles(gan.truncation.sample(model, GRID_N, None, seed), GRID_COLS, zoom=5, gap=3)


def frame_label(ctx: PageContext, psi: float, p: truncation.Point, base: truncation.Point) -> str:
    """The slider's label at ψ: the evaluator's five numbers there, each with its change from no truncation."""
    return ctx.t("trunc.frame", psi=ctx.num(psi, "g"), conf=ctx.num(p.confidence, ".0%"),
                 dconf=ctx.num(100 * (p.confidence - base.confidence), "+.1f"), precision=ctx.num(p.precision, ".2f"),
                 dprecision=ctx.num(p.precision - base.precision, "+.2f"), recall=ctx.num(p.recall, ".2f"),
                 drecall=ctx.num(p.recall - base.recall, "+.2f"), covered=p.classes_covered,
                 dcovered=f"{p.classes_covered - base.classes_covered:+d}", effective=ctx.num(p.effective_classes, ".1f"),
                 deffective=ctx.num(p.effective_classes - base.effective_classes, "+.1f"))


@charts.shared_figures(max_entries=2 * len(PSIS), ttl=3600)
def truncation_figure(seed: int, start: int, lang: str) -> charts.Frozen:
    """The grid at every ψ (the seed's same uniform numbers) beside the curve over ψ, one frame per ψ, opening at
    ``PSIS[start]``: the slider moves the grid, the dotted marker on the curves and the numbers in its label together,
    in the browser (shared: read-only, serialised once)."""
    ctx, c = PageContext("gan", lang, 0), curve()
    model = views_gan.digits_model(False)[0]
    grids = np.stack([gan.truncation.sample(model, GRID_N, p, seed) for p in PSIS])  # (ψ, n, 64) on 0…16
    rows = [
        (ctx.t("trunc.panel_share"), [(ctx.t("trunc.confidence"), c.series("confidence"), QUALITY),
                                       (ctx.t("trunc.precision"), c.series("precision"), charts.PALETTE[2]),
                                       (ctx.t("trunc.recall"), c.series("recall"), DIVERSITY + ":dash")]),
        (ctx.t("trunc.panel_classes"), [(ctx.t("trunc.covered"), c.series("classes_covered"), charts.PALETTE[3] + ":dash"),
                                         (ctx.t("trunc.effective"), c.series("effective_classes"), charts.PALETTE[4] + ":dash")]),
    ]
    labels = [frame_label(ctx, p, c.at(p), c.untruncated) for p in PSIS]
    fig = plots_gan.digits_epochs(grids, GRID_COLS, list(PSIS), start, rows, list(c.psi), ctx.t("trunc.psi_axis"),
                                  ctx.t("trunc.grid_title", n=GRID_N), labels, ctx.t("play"), ctx.t("pause"), lang, height=600)
    for trace in fig.data[1:6]:  # the five curves (then the markers): a point at each measured ψ
        trace.mode = "lines+markers"
    ticks = dict(type="log", tickvals=list(c.psi), ticktext=[ctx.num(p, "g") for p in c.psi])
    fig.update_xaxes(**ticks, row=1, col=2)
    fig.update_xaxes(**ticks, row=2, col=2)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_yaxes(range=[0, 10.3], dtick=2, row=2, col=2)
    fig.update_layout(uirevision="truncation")
    fig.layout.sliders[0].y = 0.595  # its three-line label pushes the rail and ticks down: up a little, clear of ▶ and ■
    return fig  # frozen by digits_epochs, changed before its first serialisation


def opening(ctx: PageContext) -> int:
    """The frame the ψ slider opens at: ``DEFAULT_PSI``, or the ψ a link asks for (``psi`` was a Streamlit slider before
    the ψ scrubbed in the browser; a link keeps carrying it). A value that is not one of ``PSIS`` says so once."""
    key = ctx.key("psi")
    value = st.session_state.get(key)
    if value is None:
        return PSIS.index(DEFAULT_PSI)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value) in PSIS:
        return PSIS.index(float(value))
    del st.session_state[key]
    (st.session_state.get(share.PENDING) or {}).pop(key, None)
    shown = text.literal(share.encode(value)[:60])
    st.warning(text.lookup(ctx.lang, "share.bad_value", name=ctx.t("trunc.psi"), value=shown), icon=":material/link_off:")
    return PSIS.index(DEFAULT_PSI)


# ---------------------------------------------------------------- the truncation trick

@section
def truncation_section(ctx: PageContext) -> None:
    st.subheader(ctx.t("trunc.title"))
    st.markdown(ctx.t("trunc.lead"))
    with st.spinner(ctx.t("trunc.computing")):
        c = curve()
        fig = truncation_figure(ctx.seed, opening(ctx), ctx.lang)
    base = c.untruncated
    ctx.chart(fig, key="gan_truncation_curve", config=CHART)
    st.caption(ctx.t("trunc.scrub"))
    st.caption(ctx.t("trunc.metrics_caption", n=ctx.num(c.n, ","), conf=ctx.num(base.confidence, ".0%"),
                     precision=ctx.num(base.precision, ".2f"), recall=ctx.num(base.recall, ".2f"),
                     effective=ctx.num(base.effective_classes, ".1f")))
    st.caption(" ".join(f"**{ctx.t(f'trunc.{name}')}**: {ctx.t(f'trunc.{name}_help')}"
                        for name in ("confidence", "precision", "recall", "covered", "effective")))
    left, right = st.columns([1, 1.6], gap="large")
    left.image(plain_grid(ctx.seed), caption=ctx.t("trunc.grid_plain"), width="content")
    right.caption(ctx.t("trunc.grid_note"))
    lowest = c.points[0]
    top = int(np.argmax(lowest.counts))
    st.caption(ctx.t("trunc.curve_caption", n=ctx.num(c.n, ","), psi_min=ctx.num(c.psi[0], "g"), digit=top,
                     share=ctx.num(lowest.counts[top] / c.n, ".1%"), conf_min=ctx.num(lowest.confidence, ".0%"),
                     conf=ctx.num(base.confidence, ".0%")))


# ---------------------------------------------------------------- DCGAN's design choices

def dcgan_section(ctx: PageContext) -> None:
    st.subheader(ctx.t("dcgan.title"))
    ctx.md("dcgan")
