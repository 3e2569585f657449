"""The GAN page's progressive-growing section (issue 18): ProGAN in miniature on the digits.

- the shipped run (``gan.progressive.pretrained``): three snapshots drawn at once (the end of the 4×4 stage,
  the middle of the fade-in, the end), then every snapshot in a plotly animation that scrubs in the browser
  (no rerun), beside α over the steps and the evaluator's recognised rate, with the stage boundaries;
- "Train live": a shorter schedule from fresh weights through the shared panel (``ui/live_panel.py``), under
  its own state key, so it never touches the page's 2D live GAN.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine.families import gan
from ui import charts, live_panel, plots_gan
from ui.shell import PageContext

CHART = {"displaylogo": False}
ALPHA, RECOGNISED, REFERENCE = "#111827", plots_gan.GRID, "#6b7280"
STEPS_PER_TICK = 25  # the tick budget below stops sooner on a busy machine
TICK_BUDGET = 0.4  # seconds of training per tick: drawing a tick costs more than a step here, so train longer between two
GRID_COLS = gan.digits.N_CLASSES  # one column per digit, GRID_PER_CLASS rows
# the trainer's grid holds 4 of each digit in a row (0 0 0 0 1 1 1 1 …): shown as one column per digit
_COLUMN_ORDER = [k * gan.progressive.GRID_PER_CLASS + r for r in range(gan.progressive.GRID_PER_CLASS) for k in range(GRID_COLS)]


class GrowContext(PageContext):
    """The GAN page's context, with state keys of its own: the panel keeps this run apart from the 2D live GAN."""

    def state_key(self, name: str) -> str:
        return super().state_key(f"grow.{name}")


def columns(grid: np.ndarray) -> np.ndarray:
    """A snapshot grid (4 of each digit in turn) reordered so that each column of ``GRID_COLS`` is one digit."""
    return np.asarray(grid)[_COLUMN_ORDER]


# ---------------------------------------------------------------- cached engine calls (shared, read-only)

@st.cache_resource(max_entries=1, show_spinner=False)
def shipped():
    """The shipped growing GAN (generator only), its history and its metrics."""
    return gan.progressive.pretrained()


def frame_label(ctx: PageContext, step: int, resolution: int, alpha: float, rate: float) -> str:
    res = f"{resolution}×{resolution}"
    if resolution == 8 and alpha < 1.0:
        return ctx.t("grow.frame_fade", step=ctx.num(step, ","), alpha=ctx.num(alpha, ".2f"), rate=ctx.num(rate, ".0%"))
    return ctx.t("grow.frame", step=ctx.num(step, ","), res=res, rate=ctx.num(rate, ".0%"))


def _marks(ctx: PageContext, fig: go.Figure, cfg: gan.progressive.ProConfig, metrics: dict, col: int, rate_row: int) -> None:
    """The stage boundaries on every curve, and the real digits' recognised rates on the rate panel."""
    for x in (cfg.steps_4, cfg.steps_4 + cfg.steps_fade):
        fig.add_vline(x=x, line=dict(color=REFERENCE, width=1), row="all", col=col)
    for name, dash in (("real_8", "dash"), ("real_4", "dot")):
        fig.add_hline(y=metrics[name], line=dict(color=REFERENCE, width=1.5, dash=dash), row=rate_row, col=col,
                      annotation_text=ctx.t(f"grow.{name}", rate=ctx.num(metrics[name], ".0%")), annotation_position="bottom right",
                      annotation_font_size=11)


@charts.shared_figures(max_entries=2, show_spinner=False)
def shipped_figure(lang: str) -> go.Figure:
    """Every snapshot of the shipped run, scrubbed in the browser, beside α and the recognised rate (shared: read-only)."""
    ctx = PageContext("gan", lang, 0)
    _, h, metrics = shipped()
    grids = np.stack([columns(g) for g in h.grids])
    rows = [(ctx.t("grow.panel_alpha"), [(ctx.t("grow.alpha_line"), h.snap_alpha, ALPHA)]),
            (ctx.t("grow.panel_rate"), [(ctx.t("grow.rate_line"), h.snap_recognised, RECOGNISED)])]
    labels = [frame_label(ctx, s, r, a, p) for s, r, a, p in zip(h.snap_step, h.snap_resolution, h.snap_alpha, h.snap_recognised)]
    fig = plots_gan.digits_epochs(grids, GRID_COLS, list(h.snap_step), len(h.snap_step) - 1, rows, list(h.snap_step), ctx.t("grow.step_axis"),
                                  ctx.t("grow.grid_title"), labels, ctx.t("play"), ctx.t("pause"), lang, height=520)
    cfg = _config()
    _marks(ctx, fig, cfg, metrics, col=2, rate_row=2)
    fig.update_yaxes(range=[-0.05, 1.05], row=1, col=2)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=2, col=2)
    fig.update_layout(uirevision="growing")
    return fig


def _config() -> gan.progressive.ProConfig:
    """The shipped run's schedule."""
    return shipped()[0].cfg


@st.cache_resource(max_entries=1, show_spinner=False)
def _stage_tiles() -> list[tuple[int, int, np.ndarray]]:
    """(step, snapshot index, picture) of the three stages below (shared: read-only)."""
    _, h, _ = shipped()
    cfg = _config()
    out = []
    for step in (cfg.steps_4, cfg.steps_4 + cfg.steps_fade // 2, cfg.total):
        i = h.snap_step.index(step)
        out.append((step, i, plots_gan.digit_tiles(columns(h.grids[i]), GRID_COLS, zoom=4, gap=2)))
    return out


def stage_pictures(ctx: PageContext) -> None:
    """Three snapshots of the shipped run, drawn at once: 4×4 at its end, the middle of the fade, 8×8 at the end."""
    _, h, _ = shipped()
    cols = st.columns(3)
    for col, (step, i, picture), name in zip(cols, _stage_tiles(), ("pic_4", "pic_fade", "pic_8")):
        col.image(picture, width="content",
                  caption=ctx.t(f"grow.{name}", step=ctx.num(step, ","), alpha=ctx.num(h.snap_alpha[i], ".2f"),
                                rate=ctx.num(h.snap_recognised[i], ".0%")))


# ---------------------------------------------------------------- the live run

def live_snapshot(tr: gan.progressive.ProTrainer) -> dict:
    """Under the trainer's lock: the current images (at the resolution and α of the next step) and the curves."""
    h = tr.history_
    return {"grid": columns(tr.current_grid()), "alpha": tr.alpha, "resolution": tr.resolution, "stage": tr.stage,
            "steps": list(h.step), "alphas": list(h.alpha), "snap_step": list(h.snap_step),
            "snap_recognised": list(h.snap_recognised)}


def live_curves(ctx: PageContext, s: dict, cfg: gan.progressive.ProConfig, metrics: dict) -> go.Figure:
    rows = [(ctx.t("grow.panel_alpha"), [(ctx.t("grow.alpha_line"), (s["steps"], s["alphas"]), ALPHA)]),
            (ctx.t("grow.panel_rate"), [(ctx.t("grow.rate_line"), (s["snap_step"], s["snap_recognised"]), RECOGNISED)])]
    fig = plots_gan.curves(None, rows, ctx.t("grow.step_axis"), height=420)
    fig.data[1].mode = "lines+markers"
    _marks(ctx, fig, cfg, metrics, col=1, rate_row=2)
    fig.update_xaxes(range=[0, cfg.total])
    fig.update_yaxes(range=[-0.05, 1.05], row=1, col=1)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=2, col=1)
    fig.update_layout(uirevision="growing_live", showlegend=False)
    return fig


def live_draw(ctx: PageContext, snap: live_panel.Snapshot, metrics: dict) -> None:
    s, cfg = snap.page, snap.trainer.cfg
    m = st.columns(3)
    m[0].metric(ctx.t("grow.stage"), ctx.t(f"grow.stages.{s['stage']}"))
    m[1].metric(ctx.t("grow.alpha"), ctx.num(s["alpha"], ".2f") if s["resolution"] == 8 else "—", help=ctx.t("grow.alpha_help"))
    rate = s["snap_recognised"][-1] if snap.step else None
    m[2].metric(ctx.t("grow.rate"), "—" if rate is None else ctx.num(rate, ".0%"),
                help=ctx.t("grow.rate_help", step=ctx.num(s["snap_step"][-1], ",")))
    left, right = st.columns([1, 1.3], gap="large")
    with left:
        st.image(plots_gan.digit_tiles(s["grid"], GRID_COLS, zoom=4, gap=2), width="content",
                 caption=ctx.t("grow.live_grid", step=ctx.num(snap.step, ",")))
    with right:
        ctx.chart(live_curves(ctx, s, cfg, metrics), key="gan_grow_curves", config=CHART)


def live_section(ctx: PageContext) -> None:
    gctx = GrowContext(ctx.page, ctx.lang, ctx.seed)
    cfg, seed, metrics = gan.progressive.LIVE, ctx.seed, shipped()[2]
    st.markdown(ctx.t("grow.live_lead", steps_4=ctx.num(cfg.steps_4, ","), fade=ctx.num(cfg.steps_fade, ","),
                      steps_8=ctx.num(cfg.steps_8, ","), every=cfg.snapshot_every))
    panel = live_panel.Panel(
        gctx, "gan_grow", lambda reset: gan.progressive.ProTrainer(cfg, seed), data=None, settings=(cfg, seed),
        steps_per_tick=STEPS_PER_TICK, tick_budget=TICK_BUDGET, snapshot=lambda tr, done: live_snapshot(tr),
        draw=lambda snap: live_draw(ctx, snap, metrics), lazy=True, model_file=False,
        idle=ctx.t("grow.live_idle"), labels={"start": ctx.t("grow.train_live")})
    live_panel.show(panel)


# ---------------------------------------------------------------- the section

def growing_section(ctx: PageContext) -> None:
    st.subheader(ctx.t("grow.title"))
    st.markdown(ctx.t("grow.lead"))
    _, h, metrics = shipped()
    cfg = _config()
    stage_pictures(ctx)
    st.caption(ctx.t("grow.pictures_caption", recognised=ctx.num(metrics["recognised"], ".1%"), real_8=ctx.num(metrics["real_8"], ".0%"),
                     real_4=ctx.num(metrics["real_4"], ".0%")))
    ctx.chart(shipped_figure(ctx.lang), key="gan_grow_snapshots", config=CHART)
    st.caption(ctx.t("grow.figure_caption", n=len(h.snap_step), every=cfg.snapshot_every, steps_4=ctx.num(cfg.steps_4, ","),
                     fade=ctx.num(cfg.steps_fade, ","), total=ctx.num(cfg.total, ","), batch=cfg.batch))
    ctx.md("progan")
    st.markdown(f"**{ctx.t('grow.live_title')}**")
    live_section(ctx)
