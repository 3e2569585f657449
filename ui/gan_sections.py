"""The GAN page's sections (pages/04_gan.py), each drawn from the page's ``ctx``.

- ``live_section``: the live GAN through the shared panel (ui/live_panel.py): Play/Pause, One step,
  Train D only / G only, Reset; the layered plane, the metrics and the curves inside its fragment (the plane
  redrawn on every tick, the curves once a second while playing and on every other run).
- ``slow_motion_section``: one step taken apart; the stages are the trainer's own (``slow_stages``),
  so a rebuilt or reset trainer shows none; the stage slider reruns only its fragment (``stage_part``).
- ``replay_section``: this session's training as a replay; one record (``gan.replay``) says which
  frames it drew, so a paused fragment run that trained further asks for a full run.
- ``collapse_section`` and ``digits_section``: the shipped presets side by side, the two losses'
  pull, the digits GANs (fragments: their widgets rerun only them; the digits' epochs scrub in the browser).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import streamlit as st

from engine.data import points
from engine.families import gan
from ui import charts, live, live_panel, plots_gan, share, text
from ui import export as csv_export
from ui import views_gan as views
from ui.shell import PageContext, guard, section

CHART = {"displaylogo": False}
LIVE_ANCHOR = "live-gan"  # the live section's header, for the link next to "Train this one live above"
FULL_RERUN = "gan_full_rerun"  # a preset was loaded from the collapse fragment: the next run redraws the whole page
REPLAY_OPEN = "gan_replay_open"  # the replay's expander is open (it reruns the page when it opens or folds)
CURVES_EVERY = 8  # the curves (three rows of subplots, the costliest figure to draw) every 8th tick while playing: twice a
# second; the plane every tick (the browser's renderer was busy all the time drawing both; this cut the bytes a second by a fifth)


def current_trainer(ctx: PageContext) -> gan.GanTrainer | None:
    return live_panel.run_for(ctx, check=False).trainer


def pause(ctx: PageContext) -> None:
    live_panel.run_for(ctx, check=False).playing = False


def cosine_text(ctx: PageContext, value: float) -> str:
    return ctx.num(value, ".2f") if np.isfinite(value) else "—"  # NaN: no point carried a direction


# ---------------------------------------------------------------- the live GAN

@dataclass(frozen=True)
class Frames:
    """Which replay frames a trainer holds: the trainer, how many, and the last one's step."""

    trainer: int
    count: int
    last: int | None

    @classmethod
    def of(cls, tr: gan.GanTrainer) -> Frames:
        return cls(id(tr), len(tr.frames), tr.frames[-1][0] if tr.frames else None)


def live_snapshot(ctx: PageContext, tr: gan.GanTrainer, done: bool) -> dict:
    """Under the trainer's lock: a consistent picture of where the steps stopped, kept while they stay there (D on
    its grid and G's arrows are most of a paused rerun's work, and a rerun that trained nothing changes none of it)."""
    run = live_panel.run_for(ctx, check=False)
    resolution = plots_gan.LIVE_RESOLUTION if run.playing and not done else None  # D on a coarser grid while playing
    stamp = (tr, tr.step_, len(tr.history_.step), tr.diverged_, tr.g_agreement, resolution)
    memo = st.session_state.get(ctx.state_key("snapshot"))
    if memo is not None and memo[0] == stamp:
        return memo[1]
    view = tr.view() if resolution is None else tr.view(resolution=resolution)
    snap = {"view": view, "history": copy.deepcopy(tr.history_), "frames": Frames.of(tr),
            "agreement": tr.g_agreement, "eval_sizes": tr.eval_sizes()}
    st.session_state[ctx.state_key("snapshot")] = (stamp, snap)
    return snap


def view_controls(ctx: PageContext, snap: live_panel.Snapshot) -> tuple[tuple, str]:
    """Below the panel's buttons: what "Train G only" measured, the shipped start, the layers and the distance."""
    tr, page = snap.trainer, snap.page
    if page["agreement"] is not None and page["agreement"][0] == snap.step and not snap.playing:  # right after "Train G only"
        st.caption(ctx.t("g_move_agreement", cos=cosine_text(ctx, page["agreement"][1])))
    h = page["history"]
    if tr.pretrained and snap.step >= gan.PRESET_BUDGET and h.step and h.step[-1] <= gan.PRESET_BUDGET:
        st.caption(ctx.t("pretrained_note", preset=ctx.t(f"presets.{tr.pretrained}"), steps=ctx.num(snap.step, ",")))
    c1, c2 = st.columns([3, 1])
    if ctx.key("layers") not in st.session_state:
        st.session_state[ctx.key("layers")] = ["real", "fake", "d_map", "arrows"]
    layers = c1.pills(ctx.t("layers"), plots_gan.LAYERS, selection_mode="multi", format_func=ctx.labeler("gan.layer"),
                      key=ctx.key("layers"))
    metric = c2.radio(ctx.t("distance"), ("sw", "mmd2"), format_func=ctx.labeler("gan.distance_names"), key=ctx.key("metric"),
                      horizontal=True, help=ctx.t("distance_help", **{k: ctx.num(v, ",") for k, v in page["eval_sizes"].items()}))
    return tuple(layers or ()), metric


def live_draw(ctx: PageContext, snap: live_panel.Snapshot, panel: live_panel.Panel) -> None:
    """The live view, inside the panel's fragment (it ticks while playing)."""
    tr, view, h = snap.trainer, snap.page["view"], snap.page["history"]
    layers, metric = view_controls(ctx, snap)
    if snap.diverged:
        st.button(ctx.t("reset_after_nan"), icon=":material/restart_alt:", on_click=live_panel.reset, args=(panel,),
                  key="gan_nan_reset", type="primary")
    m = st.columns(4)
    m[0].metric(ctx.t("step"), ctx.num(snap.step, ","))
    m[1].metric(ctx.t(f"metric_{metric}"), ctx.num(h.latest(metric), ".3f"))
    if tr.ring_centres is not None and h.modes and h.modes[-1] >= 0:
        m[2].metric(ctx.t("modes_covered"), f"{h.modes[-1]}/8", help=ctx.t("modes_help", radius=ctx.num(tr.quality_radius, ".2f")))
    m[3].metric(ctx.t("grad_norm"), ctx.num(view.grad_norm, ".3g"), help=ctx.t("grad_norm_help"))
    left, right = st.columns([1.15, 1], gap="medium")
    # where training stands (the trainer itself: an id can be reused), and the mode the figures are styled for
    stamp = (tr, snap.step, len(h.step), ctx.lang, charts.presenting(), snap.playing)
    shared = not snap.playing  # a page run, not a tick: at the shipped start its figures are every student's
    with left:
        plane_export(ctx, tr, view, layers)
        ctx.chart(plane_figure(ctx, stamp, view, tr, layers, shared, live=snap.playing), key="gan_plane", config=CHART)
    with right:  # the whole run's curves move little per tick: redrawn twice a second while playing (live_panel.lagging)
        curves = live_panel.lagging(ctx, "gan_curves", (tr, metric, ctx.lang, charts.presenting()),
                                    lambda: curves_figure(ctx, stamp, tr, h, metric, shared), every=CURVES_EVERY)
        ctx.chart(curves, key="gan_curves", config=CHART)


def _memo(ctx: PageContext, name: str, stamp: tuple) -> dict:
    """This session's figures of one kind at ``stamp``, by their settings (emptied when training moves on)."""
    memo = st.session_state.get(ctx.state_key(name))
    if memo is None or memo[0] != stamp:
        memo = st.session_state[ctx.state_key(name)] = (stamp, {})
    return memo[1]


def plane_export(ctx: PageContext, tr: gan.GanTrainer, view: gan.GanView, layers: tuple) -> None:
    """The page's CSV: every real and generated point of the layers shown, from the data, not the figure (the plane
    drawn while training plays shows a subset of them), written when the student clicks it (``ui.export``)."""
    if st.session_state.get(csv_export.TICKING):  # a tick draws no CSV
        return
    labels = views.plane_labels(ctx.lang, view.probability)
    groups = [(labels[name], X) for name, X in (("real", tr.X), ("fake", view.fake)) if name in layers]
    if groups:  # the snapshot's arrays: a later run's training does not change them
        csv_export.csv_button(ctx, lambda: csv_export.points_csv(groups))


def plane_figure(ctx: PageContext, stamp: tuple, view: gan.GanView, tr: gan.GanTrainer, layers: tuple,
                 shared: bool = False, live: bool = False) -> plots_gan.Frozen:
    """The layered plane, built and serialised again only when training moved on, the language or the layers changed
    (a rerun with nothing new, such as another section's full-page control, reuses it). One per set of layers is kept.
    ``shared``: from the cache every session shares, by a digest of the figure's inputs (a new student's page opens
    on the shipped start, the same plane as everyone's); live ticks build their own, which no one else draws, and
    ``live`` (training plays) draws the lighter plane (``plots_gan.plane(live=True)``: a subset of the points)."""
    memo = _memo(ctx, "plane", stamp)
    if layers not in memo:
        memo.clear()  # the last set only: a student toggling layers keeps one figure, not one per combination
        if shared and not live:
            memo[layers] = views.shared_plane(charts.digest(view, tr.X, tr.box), layers, ctx.lang, view, tr.X, tr.box)
        else:
            labels = views.plane_labels(ctx.lang, view.probability, live=(len(tr.X), len(view.fake)) if live else None)
            memo[layers] = plots_gan.freeze(plots_gan.plane(view, tr.X, tr.box, layers, labels, height=560, live=live), ctx.lang)
    return memo[layers]


def curves_figure(ctx: PageContext, stamp: tuple, tr: gan.GanTrainer, h: gan.History, metric: str,
                  shared: bool = False) -> plots_gan.Frozen:
    """The training curves, built again only when training moved on or the language changed: a layer or the distance
    moved while paused rebuilt them every time, two thirds of that rerun's CPU. One figure per distance is kept.
    ``shared``: as for the plane, from the cache every session shares."""
    memo = _memo(ctx, "curves", stamp)
    if metric not in memo:
        probability, ring = tr.cfg.loss in gan.PROBABILITY_LOSSES, tr.ring_centres is not None
        if shared:
            memo[metric] = views.shared_curves(charts.digest(h), metric, probability, ring, ctx.lang, h)
        else:
            memo[metric] = plots_gan.freeze(views.training_curves(ctx.lang, h, metric, probability, ring), ctx.lang)
    return memo[metric]


def live_section(ctx: PageContext, ds: points.Dataset, cfg: gan.GanConfig) -> None:
    seed = ctx.seed

    def replay_stale(snap: live_panel.Snapshot) -> bool:
        """Paused in a fragment run with frames the replay below has not drawn: a full run brings it up to date."""
        if not st.session_state.get(REPLAY_OPEN):  # folded: the replay is drawn when it opens
            return False
        drawn = st.session_state.get(ctx.state_key("replay"))
        return not snap.playing and live.in_fragment_run() and (drawn is None or drawn[0] != snap.page["frames"])

    panel = live_panel.Panel(
        ctx, "gan", lambda reset: views.build_trainer(ds, cfg, seed, pretrained=not reset), data=ds.X, settings=(ds.name, cfg, seed),
        step=lambda tr: tr.train_players(1), steps_per_tick=int(st.session_state.get(ctx.key("steps_per_tick"), 20)),
        snapshot=partial(live_snapshot, ctx), draw=lambda snap: live_draw(ctx, snap, panel), full_run_when=replay_stale, buttons=("step", "reset"),
        extras=(live_panel.Extra("gan_d_only", ctx.t("d_only"), lambda tr: tr.train_players(1, "d"), ":material/gavel:", ctx.t("d_only_help")),
                live_panel.Extra("gan_g_only", ctx.t("g_only"), lambda tr: tr.train_players(1, "g"), ":material/brush:", ctx.t("g_only_help"))),
        labels={"start": ctx.t("play"), "resume": ctx.t("play"), "pause": ctx.t("pause"), "step": ctx.t("one_step"), "reset": ctx.t("reset")},
        helps={"step": ctx.t("one_step_help"), "reset": ctx.t("reset_help")},
        diverged_text=lambda step: ctx.t("nan_stopped", step=step))
    tr = live_panel.show(panel).trainer
    if tr is None:
        return
    st.caption(ctx.t("plane_legend_prob") if tr.cfg.loss in gan.PROBABILITY_LOSSES else ctx.t("plane_legend_score"))
    st.caption(ctx.t("live_subset", real=ctx.num(min(len(tr.X), plots_gan.LIVE_REAL), ","),
                     fake=ctx.num(min(gan.MAX_POINTS_PER_FRAME, plots_gan.LIVE_FAKE), ",")))
    st.caption(ctx.t("curves_legend"))


# ---------------------------------------------------------------- slow motion and the replay

def slow_motion_step(ctx: PageContext) -> None:
    """The slow-motion button: pause, put the stage slider back to stage 1, take the step (after any under way)."""
    pause(ctx)
    tr = current_trainer(ctx)
    if tr is None:
        return
    st.session_state[ctx.key("stage")] = gan.STAGES[0]  # a callback: before the slider is drawn again
    live.request(tr, tr.slow_step)


def slow_motion_section(ctx: PageContext) -> None:
    tr = current_trainer(ctx)
    stages = None if tr is None else tr.slow_stages
    with st.expander(ctx.t("slow_title"), icon=":material/slow_motion_video:", expanded=stages is not None):
        st.caption(ctx.t("slow_caption"))
        st.button(ctx.t("slow_button"), icon=":material/slow_motion_video:", on_click=live.outside_fragments(slow_motion_step),
                  args=(ctx,), key="gan_slow", disabled=tr is None or tr.diverged_)
        if stages is not None:
            stage_part(ctx)


@section
def stage_part(ctx: PageContext) -> None:
    """One stage of the slow-motion step: the stage slider reruns only this part (the step button, outside it,
    reruns the page: its callback pauses the live view)."""
    with guard():
        tr = current_trainer(ctx)
        stages = None if tr is None else tr.slow_stages
        if stages is None:  # the trainer was reset or rebuilt since the page drew this part
            return
        stage = st.select_slider(ctx.t("stage"), gan.STAGES, format_func=ctx.labeler("gan.stages"), key=ctx.key("stage"))
        left, right = st.columns([1.2, 1])
        with left:
            ctx.chart(plots_gan.stage(stages, stage, tr.box, views.plane_labels(ctx.lang, stages.probability)), key="gan_stage",
                      config=CHART)
        with right:
            st.markdown(ctx.t(f"stage_text.{stage}", d_loss=ctx.num(stages.d_loss, ".3f"), g_loss=ctx.num(stages.g_loss, ".3f"),
                              d_real=ctx.num(stages.d_real.mean(), ".2f"), d_fake=ctx.num(stages.d_fake.mean(), ".2f"),
                              agreement=cosine_text(ctx, stages.agreement)))
            if stage == "update_d" and stages.d_steps > 1:
                st.markdown(ctx.t("stage_text.update_d_more", n=stages.d_steps, more=stages.d_steps - 1))


def replay_section(ctx: PageContext) -> None:
    """This session's replay; ``gan.replay`` keeps (frames drawn, language, figure), rebuilt only when they change."""
    tr = current_trainer(ctx)
    key = ctx.state_key("replay")
    with st.expander(ctx.t("replay_title"), icon=":material/movie:", key=REPLAY_OPEN, on_change="rerun") as box:
        st.caption(ctx.t("replay_caption"))
        if not box.open:  # folded (as on most runs): the replay is made when it opens, and then kept
            return
        if tr is None:
            st.session_state[key] = None
            st.info(ctx.t("replay_empty"), icon=":material/hourglass_empty:")
            return
        with live.hold(tr) as held:
            if held:
                frames, drawn = list(tr.frames), Frames.of(tr)
        if not held:
            live.show_busy()
            return
        if len(frames) < 2:
            st.session_state[key] = (drawn, ctx.lang, None)
            st.info(ctx.t("replay_empty"), icon=":material/hourglass_empty:")
            return
        memo = st.session_state.get(key)
        if memo is None or memo[:2] != (drawn, ctx.lang) or memo[2] is None:
            memo = st.session_state[key] = (drawn, ctx.lang, views.replay_figure(tr, frames, ctx.lang))
        ctx.chart(memo[2], key="gan_replay", config=CHART)


# ---------------------------------------------------------------- mode collapse, side by side

def _load(on_load: Callable[[str], None], name: str) -> None:
    on_load(name)
    st.session_state[FULL_RERUN] = True


@section
def collapse_section(ctx: PageContext, loaded: str | None, on_load: Callable[[str], None]) -> None:
    """The three presets' shipped runs; "Train this one live above" calls ``on_load(name)``, then redraws the page."""
    with guard():
        _collapse_section(ctx, loaded, on_load)


def _collapse_section(ctx: PageContext, loaded: str | None, on_load: Callable[[str], None]) -> None:
    if st.session_state.pop(FULL_RERUN, False):
        st.rerun(scope="app")  # a preset was loaded into the live view above: redraw the whole page
    st.header(ctx.t("collapse_title"))
    st.markdown(ctx.t("collapse_lead"))
    cols = st.columns(3, gap="medium")
    for col, name in zip(cols, gan.PRESETS):
        modes = views.shipped_preset(name).modes
        with col:
            st.markdown(f"**{ctx.t(f'presets.{name}')}**")
            ctx.chart(views.preset_replay_figure(name, ctx.lang), key=f"gan_preset_{name}", config=CHART)
            st.metric(ctx.t("modes_covered"), "—" if modes is None else f"{modes}/8")
            st.caption(ctx.t(f"preset_text.{name}"))
            st.button(ctx.t("load_preset"), key=f"gan_load_{name}", on_click=partial(_load, on_load), args=(name,),
                      icon=":material/upload:")
            if loaded == name:  # the live view is off-screen: say what changed and where
                st.success(ctx.t("preset_loaded", steps=ctx.num(gan.PRESET_BUDGET, ","), link=f"#{LIVE_ANCHOR}"),
                           icon=":material/check_circle:")
    left, right = st.columns([1, 1.1], gap="large")
    with left:
        ctx.md("why_collapse")
    with right:
        with st.spinner(ctx.t("pull_running")):
            fig, caption = views.pull_figure(ctx.lang)
        st.markdown(f"**{ctx.t('pull_title')}**")
        ctx.chart(fig, key="gan_pull", config=CHART)
        st.caption(caption)
    ctx.md("why_wgan")


# ---------------------------------------------------------------- digits

@section
def digits_section(ctx: PageContext) -> None:
    with guard():
        _digits_section(ctx)


def linked_epoch(ctx: PageContext, epochs: list[int]) -> int:
    """The frame the digits animation opens at: the last, or the epoch a link or a lesson step asks for (``epoch``
    was a slider before the epochs scrubbed in the browser; the link keeps carrying it). A value out of range says
    so once, and the link stops carrying it."""
    key = ctx.key("epoch")
    value = st.session_state.get(key)
    if value is None:
        return len(epochs) - 1
    if isinstance(value, int) and not isinstance(value, bool) and epochs[0] <= value <= epochs[-1]:
        return int(np.argmin([abs(e - value) for e in epochs]))
    del st.session_state[key]
    (st.session_state.get(share.PENDING) or {}).pop(key, None)
    shown = text.literal(share.encode(value)[:60])
    st.warning(text.lookup(ctx.lang, "share.bad_value", name=ctx.t("epoch"), value=shown), icon=":material/link_off:")
    return len(epochs) - 1


def _digits_section(ctx: PageContext) -> None:
    st.header(ctx.t("digits_title"))
    st.markdown(ctx.t("digits_lead"))
    with st.spinner(ctx.t("digits_loading")):
        epochs = views.shown_epochs()
        fig = views.digits_epochs_figure(ctx.lang, linked_epoch(ctx, epochs))
    ctx.chart(fig, key="gan_digit_curves", config=CHART)
    st.caption(ctx.t("digits_scrub", every=epochs[-1] - epochs[-2] if len(epochs) > 1 else 1))
    st.caption(ctx.t("digits_curves_legend"))

    st.subheader(ctx.t("cond_title"))
    st.markdown(ctx.t("cond_lead"))
    if ctx.key("digit") not in st.session_state:
        st.session_state[ctx.key("digit")] = 3
    digit = st.pills(ctx.t("digit"), list(range(10)), key=ctx.key("digit"))
    if digit is None:  # a second click empties the pills
        digit = 3
    c1, c2 = st.columns([1, 1.3], gap="large")
    with c1:
        seed_key = ctx.state_key("digit_seed")
        if st.button(ctx.t("new_noise"), icon=":material/casino:", key="gan_new_noise"):
            st.session_state[seed_key] = st.session_state.get(seed_key, 0) + 1
        n = 16
        picture, agree = views.conditional_samples(int(digit), ctx.seed * 1000 + st.session_state.get(seed_key, 0), n)
        st.metric(ctx.t("evaluator_agrees"), f"{agree}/{n}", help=ctx.t("evaluator_help"))
        _, _, cond_final = views.digits_model(True)
        st.caption(ctx.t("cond_overall", acc=ctx.num(cond_final.get("label_accuracy", float("nan")), ".0%")))
    with c2:
        st.image(picture, caption=ctx.t("cond_caption", digit=digit), width="content")
