"""Whole drawing sections of the diffusion page (pages/05_diffusion.py), each taking the page's ``ctx``:
the two roads of the forward process, live training on 2D points, guided digits, latent diffusion."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.families import diffusion as D
from ui import charts, live_panel
from ui import plots_diffusion as P
from ui import views_diffusion as V
from ui.shell import PageContext, guard, section

TRAIN_TARGETS = (400, 1000, 1500, 3000, 5000)  # 400: the benchmarked recipe (benchmarks/bench_diffusion.py)
STEPS_PER_TICK = 60
PREVIEW_POINTS = 400
LIVE_DATA, LIVE_PREVIEW = 250, 250  # points of the data and of the preview drawn while training plays (all when paused)
PREVIEW_EVERY = 4  # the preview (a 20-step DDIM run, and the costliest figure of a tick to draw) on every 4th tick while playing:
# once a second (every 2nd tick kept the browser drawing 1.5 figures a tick, the loss curve and every other preview)
CHART = {"displaylogo": False}


def mmd_metric(ctx: PageContext, where, label: str, value: float, help_text: str, spec: str = ".4f") -> None:
    """An MMD² metric whose help always says why an unbiased estimate can come out slightly below 0."""
    where.metric(label, ctx.num(value, spec), help=f"{help_text} {ctx.t('mmd2_negative')}")


# ---------------------------------------------------------------- forward process: two roads to x_t

def compare_points(ctx: PageContext, X0: np.ndarray, config: D.ScheduleConfig, t: int) -> None:
    """Both roads from 2D points at every t shown, opening at ``t``: scrubbed in the browser, each frame's residual
    statistics (over every point) and MMD² (over the first ``D.COMPARE_MMD_POINTS``) in the slider's label."""
    with st.spinner(ctx.t("compare_building")):
        fig = V.roads_figure(X0, config, t, ctx.seed, ctx.lang)
    left, right = st.columns([3, 2], gap="large")
    ctx.chart(fig, where=left, key="compare_fig", config=CHART)
    right.caption(ctx.t("compare_caption", n=ctx.num(min(len(X0), V.ROAD_POINTS), ","),
                         m=ctx.num(min(len(X0), D.COMPARE_MMD_POINTS), ",")))
    right.caption(ctx.t("compare_scrub", n=len(V.roads_timesteps(config.T))) + " " + ctx.t("mmd2_negative"))


def compare_forward(ctx: PageContext, source: str, X0: np.ndarray, config: D.ScheduleConfig, t: int) -> None:
    """Both roads to x_t at ``t`` for digits or the photo: the residuals' table, the images by each road and the
    residuals' histogram (2D points: ``compare_points``)."""
    res = V.forward_comparison(X0, config, t, ctx.seed)
    left, right = st.columns([3, 2], gap="large")
    with right:
        names = ("iterative", "closed", "theory")
        table = {ctx.t("compare_method"): [ctx.t(f"compare.{k}") for k in names],
                 ctx.t("compare_mean"): [ctx.num(res.rows[k][0], "+.4f") for k in names],
                 ctx.t("compare_var"): [ctx.num(res.rows[k][1], ".4f") for k in names]}
        st.dataframe(table, hide_index=True, width="stretch")
    with left:
        compare_images(ctx, source, res, t)


def compare_images(ctx: PageContext, source: str, res: D.RoadComparison, t: int) -> None:
    """Digits or the photo by both roads, then every pixel's residual against N(0, 1 − ᾱ_t)."""
    names = [ctx.t("compare.iterative"), ctx.t("compare.closed")]
    shown = [D.to_display(x) for x in (res.iterative, res.closed)]
    if source == "digits":
        n = len(shown[0])
        ctx.chart(P.image_grid(np.stack(shown).reshape(2, n, 8, 8) * 16, None, names, 16, ctx.t("pixel"), height=160),
                  key="compare_images", config=CHART)
        st.caption(ctx.t("compare_digits_caption", n=n, t=t))
    else:
        shape = V.photo().shape
        ctx.chart(P.rgb_strip(np.stack([x[0].reshape(shape) for x in shown]), names, height=360),
                  key="compare_images", config=CHART)
        st.caption(ctx.t("compare_photo_caption", t=t))
    if res.var <= 0:  # t = 0: nothing to histogram
        st.caption(ctx.t("compare_t0"))
        return
    ctx.chart(V.residual_figure(res, ctx.lang), key="compare_hist", config=CHART)
    st.caption(ctx.t("compare_hist_legend", m=ctx.num(res.residuals["closed"].size, ",")))


# ---------------------------------------------------------------- live training (2D)

def live_training(ctx: PageContext, data: np.ndarray) -> D.DiffusionModel | None:
    """Train a fresh model on the current data with the schedule chosen in the forward section."""
    config = D.ScheduleConfig(st.session_state.get(ctx.key("schedule"), "linear"), int(st.session_state.get(ctx.key("T"), 100)),
                              float(st.session_state.get(ctx.key("beta_start"), 1e-3)), float(st.session_state.get(ctx.key("beta_end"), 0.2)))
    target = st.columns([2, 2])[0].select_slider(ctx.t("train_steps"), TRAIN_TARGETS, 1500, key=ctx.key("train_steps"))
    seed, box = ctx.seed, V.box_for(data, 2.8)

    def build(reset: bool) -> D.DiffusionModel:
        D.NoiseSchedule(config)  # a bad schedule gives its message before anything is built
        return D.DiffusionModel(D.config_2d(config, decay_steps=target), seed=seed).set_data(data)

    panel = live_panel.Panel(
        ctx, "diffusion", build, data=data, settings=(config, seed), total=target, steps_per_tick=STEPS_PER_TICK,
        snapshot=lambda trainer, done: live_snapshot(ctx, trainer, seed, done), draw=lambda snap: live_draw(ctx, snap, box, data),
        labels={"start": ctx.t("start"), "resume": ctx.t("resume"), "pause": ctx.t("pause"), "reset": ctx.t("restart")},
        diverged_text=lambda step: ctx.t("diverged", step=step))
    trainer = live_panel.prepare(panel).trainer
    if trainer is not None:
        alpha_bar_T = trainer.schedule.alphas_cumprod[-1]
        st.caption(ctx.t("live_caption", schedule=ctx.t(f"schedules.{config.schedule}"), T=config.T,
                         alpha_bar_T=ctx.num(alpha_bar_T, ".2g"), params=ctx.num(trainer.n_params_, ",")))
        if alpha_bar_T > 0.05:
            st.warning(ctx.t("alpha_bar_T_high", value=ctx.num(alpha_bar_T, ".2f")), icon=":material/warning:")
    run = live_panel.show(panel)
    if run.trainer is None:
        return None
    if run.trainer.step_ == 0:
        st.info(ctx.t("press_start"), icon=":material/play_arrow:")
        return None
    if run.playing:
        return None  # the full views below are drawn when training pauses or ends
    return run.trainer


def live_snapshot(ctx: PageContext, trainer: D.DiffusionModel, seed: int, done: bool):
    """Under the trainer's lock: the losses, and a preview of what it samples now, taken again on every
    ``PREVIEW_EVERY``-th tick while playing (``live_panel.due``), at the end, and whenever training moved while paused;
    with the step it was taken at."""
    losses, smoothed = np.asarray(trainer.history_), trainer.smoothed_loss()
    steps, d = min(20, trainer.schedule.T), trainer.config.denoiser.dim  # the loss is a mean over the d coordinates
    if not len(losses):
        return losses, smoothed, steps, d, None, None
    key = ctx.state_key("preview")
    memo = st.session_state.get(key)
    fresh = memo is not None and memo[0] is trainer and memo[1] == trainer.step_
    if not fresh and (done or memo is None or memo[0] is not trainer or live_panel.due(ctx, PREVIEW_EVERY)):
        memo = st.session_state[key] = (trainer, trainer.step_, trainer.reverse(PREVIEW_POINTS, "ddim", steps, seed=seed).samples)
    return losses, smoothed, steps, d, memo[2], memo[1]


def live_draw(ctx: PageContext, snap: live_panel.Snapshot, box: tuple, data: np.ndarray) -> None:
    losses, smoothed, steps, d, preview, at = snap.page
    if len(losses):
        left, right = st.columns(2, gap="large")
        with left:
            ctx.chart(P.loss_figure(losses, smoothed, ctx.t("step_axis"), ctx.t("loss_axis", d=d),
                                    ctx.t("loss_raw"), ctx.t("loss_smooth")), key="loss_fig", config=CHART)
            st.caption(ctx.t("loss_legend", d=d))
        with right:
            # while playing, a fixed sample of the data and the first of the preview's points (its noise is fixed: the
            # same points from one preview to the next): each SVG marker costs the browser ~0.1 ms, once a second
            shown, cloud = (data[charts.fixed_subset(len(data), LIVE_DATA)], preview[:LIVE_PREVIEW]) if snap.playing else (data, preview)
            fig = live_panel.lagging(ctx, "diffusion_preview", (snap.trainer, at, ctx.lang, snap.playing), lambda: P.points_figure(
                box, shown, [(cloud, ctx.t("preview_label", steps=steps), P.SAMPLE_COLOUR)], ctx.t("data_label"), height=300))
            ctx.chart(fig, key="preview_fig", config=CHART)  # the same figure between two previews: the browser leaves it
    if snap.playing:
        st.caption(ctx.t("pause_to_see"))
        st.caption(ctx.t("live_subset", data=ctx.num(min(len(data), LIVE_DATA), ","), n=ctx.num(len(data), ","),
                         preview=ctx.num(min(PREVIEW_POINTS, LIVE_PREVIEW), ","), total=ctx.num(PREVIEW_POINTS, ",")))


# ---------------------------------------------------------------- digits

def _guided_controls(ctx: PageContext, class_key: str, steps_key: str, digit: int,
                     guidance: tuple[str, float] | None = None) -> tuple[int, float | None, int]:
    """The class to draw, the guidance weight (a slider with ``guidance = (key, default)``; None when the section shows
    every weight at once, scrubbed in the browser) and the DDIM steps of a guided digits section."""
    label = st.segmented_control(ctx.t("digit_class"), list(range(10)), key=ctx.key(class_key), default=digit)
    cols, w = st.columns(2), None
    if guidance is not None:
        key, default = guidance
        w = float(cols[0].slider(ctx.t("guidance"), 0.0, 6.0, default, 0.5, key=ctx.key(key), help=ctx.t("guidance_help")))
    steps = cols[guidance is not None].segmented_control(ctx.t("ddim_steps"), D.DDIM_STEP_CHOICES, key=ctx.key(steps_key), default=50)
    return digit if label is None else int(label), w, int(steps or 50)


@section
def digits_section(ctx: PageContext) -> None:
    """Guided digits: the class, the guidance and the steps rerun only this section."""
    with guard():
        _digits_section(ctx)


def _digits_section(ctx: PageContext) -> None:
    st.markdown(ctx.t("digits_lead"))
    label, _, steps = _guided_controls(ctx, "digit_class", "digit_steps", 3)
    with st.spinner(ctx.t("digits_running")):
        V.guidance_sweep(label, steps, ctx.seed)  # the samples first, under the spinner (sampled once per setting)
        fig = V.guidance_sweep_figure(label, steps, ctx.seed, ctx.lang)
    st.caption(ctx.t("sweep_how"))
    ctx.chart(fig, key="digit_sweep", config=CHART)
    st.caption(ctx.t("film_legend") + " " + ctx.t("sweep_legend", digit=label))
    with st.expander(ctx.t("explain_guidance"), icon=":material/school:"):
        st.markdown(ctx.t("guidance_help"))
        ctx.md("guidance")


# ---------------------------------------------------------------- latent diffusion

def latent_section(ctx: PageContext) -> None:
    st.markdown(ctx.t("latent_lead"))
    latent_views(ctx)
    with st.expander(ctx.t("explain_latent"), icon=":material/school:"):
        ctx.md("latent")


@section
def latent_views(ctx: PageContext) -> None:
    """Latent diffusion's class, guidance and steps rerun only these views."""
    with guard():
        _latent_views(ctx)


def _latent_views(ctx: PageContext) -> None:
    label, guidance, steps = _guided_controls(ctx, "latent_class", "latent_steps", 7, ("latent_guidance", 1.0))
    with st.spinner(ctx.t("latent_loading")):
        vae, model, codes_test, shipped = V.latent_models()
    with st.spinner(ctx.t("digits_running")):
        run = V.latent_run(label, float(guidance), int(steps), ctx.seed)
    st.caption(ctx.t("latent_model_caption", d=D.LATENT_DIM, params=ctx.num(model.n_params_, ",")))
    if not shipped:
        st.info(ctx.t("latent_retrained", steps=D.LATENT_FALLBACK_STEPS), icon=":material/model_training:")
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(ctx.t("latent_grid_title", digit=label))
        ctx.chart(P.image_grid(run["images"].reshape(2, 8, 8, 8), None, None, 16, ctx.t("pixel"), height=200),
                  key="latent_grid", config=CHART)
        st.metric(ctx.t("evaluator_agrees"), ctx.num(run['accuracy'], ".0%"), help=ctx.t("evaluator_help_latent"))
        st.subheader(ctx.t("prior_grid_title"))
        ctx.chart(P.image_grid(run["prior_images"].reshape(2, 8, 8, 8), None, None, 16, ctx.t("pixel"), height=200),
                  key="prior_grid", config=CHART)
    with right:
        st.subheader(ctx.t("latent_scatter_title"))
        ctx.chart(V.latent_figure(codes_test, run, ctx.lang), key="latent_fig", config=CHART)
        m1, m2 = st.columns(2)
        mmd_metric(ctx, m1, ctx.t("mmd_codes_diffusion"), run["mmd_diffusion"], ctx.t("mmd_codes_help"), ".3f")
        mmd_metric(ctx, m2, ctx.t("mmd_codes_prior"), run["mmd_prior"], ctx.t("mmd_codes_help"), ".3f")
        st.caption(ctx.t("latent_scatter_legend", d=D.LATENT_DIM))
