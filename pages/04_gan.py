"""Page 4: a generator and a discriminator play a game in the plane, and on 8×8 digits."""

import copy
from functools import partial

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine.core.errors import InputError
from engine.data import points
from engine.families import gan
from ui import live, live_panel, plots_gan
from ui.data_input import dataset_picker
from ui.shell import guard, setup, show_input_error

ctx = setup("gan")
PRESET_NAMES = (*gan.PRESETS, "custom")
SLOW, SLOW_FOR, SLOW_NEW, REPLAY_DRAWN = (ctx.state_key(k) for k in ("slow", "slow_for", "slow_new", "replay_drawn"))
LOADED = ctx.state_key("loaded")  # the preset "Train this one live above" loaded, until the settings change
LIVE_ANCHOR = "live-gan"  # the live section's header, for the link next to that button


# ---------------------------------------------------------------- cached read-only things

@st.cache_resource(max_entries=len(gan.PRESETS), show_spinner=False)
def preset_state(name: str) -> dict:
    return gan.load_preset_state(name)[0]


@st.cache_resource(max_entries=2, show_spinner=False)
def digits_model(conditional: bool):
    return gan.digits.pretrained(conditional)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def conditional_samples(digit: int, seed: int, n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    model, _, _ = digits_model(True)
    from engine.data import digits

    samples = model.sample(n, digit, seed)
    return samples, digits.classify(samples)


# ---------------------------------------------------------------- settings

WIDGETS = ("loss", "optimizer", "lr_d", "lr_g", "d_steps", "noise_dim", "width")


def apply_preset() -> None:
    """Copy the chosen preset into the setting widgets, and put the ring back as the data."""
    st.session_state.pop(LOADED, None)
    name = st.session_state[ctx.key("preset")]
    if name not in gan.PRESETS:
        return
    cfg = gan.PRESETS[name]
    for w in WIDGETS:
        st.session_state[ctx.key(w)] = getattr(cfg, w)
    st.session_state[ctx.key("dataset")] = "ring8"
    st.session_state[ctx.key("noise_ring8")] = points.BUILTIN["ring8"].default_noise
    st.session_state[ctx.key("n_points")] = points.BUILTIN["ring8"].default_n
    pause()


def mark_custom() -> None:
    st.session_state.pop(LOADED, None)
    st.session_state[ctx.key("preset")] = "custom"
    pause()


def optimizer_changed() -> None:
    if st.session_state.get(ctx.key("optimizer")) is None:  # a segmented control can be emptied by a second click
        st.session_state[ctx.key("optimizer")] = "adam"
    mark_custom()


def init_defaults() -> None:
    if ctx.key("preset") not in st.session_state:
        st.session_state[ctx.key("preset")] = "fixed"
        apply_preset()


def current_config() -> gan.GanConfig:
    """The settings as a config; a preset's settings keep its own betas (the trainer's seed is the page seed)."""
    ss = st.session_state
    values = {w: ss[ctx.key(w)] for w in WIDGETS}
    for preset in gan.PRESETS.values():
        if all(getattr(preset, w) == values[w] for w in WIDGETS):
            return preset
    betas = gan.PRESETS["fixed"].betas if values["loss"] == "wgan_gp" else gan.GanConfig().betas
    return gan.GanConfig(loss=values["loss"], optimizer=values["optimizer"] or "adam", lr_d=float(values["lr_d"]),
                         lr_g=float(values["lr_g"]), d_steps=int(values["d_steps"]), noise_dim=int(values["noise_dim"]),
                         width=int(values["width"]), betas=betas)


def settings_panel() -> None:
    ss = st.session_state
    lr_label = partial(ctx.num, spec="g")  # bound to this run's context (its language), like ctx.labeler

    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox(ctx.t("loss"), gan.LOSSES, format_func=ctx.labeler("gan.losses"), key=ctx.key("loss"), on_change=mark_custom, help=ctx.t("loss_help"))
    c2.segmented_control(ctx.t("optimizer"), gan.OPTIMIZERS, format_func=ctx.labeler("gan.optimizers"), key=ctx.key("optimizer"),
                         on_change=optimizer_changed)
    c3.select_slider(ctx.t("lr_d"), gan.LEARNING_RATES, key=ctx.key("lr_d"), on_change=mark_custom, format_func=lr_label, help=ctx.t("lr_help"))
    c4.select_slider(ctx.t("lr_g"), gan.LEARNING_RATES, key=ctx.key("lr_g"), on_change=mark_custom, format_func=lr_label, help=ctx.t("lr_help"))
    c1, c2, c3, c4 = st.columns(4)
    c1.slider(ctx.t("d_steps"), 1, gan.MAX_D_STEPS, key=ctx.key("d_steps"), on_change=mark_custom, help=ctx.t("d_steps_help"))
    c2.select_slider(ctx.t("noise_dim"), gan.NOISE_DIMS, key=ctx.key("noise_dim"), on_change=mark_custom, help=ctx.t("noise_dim_help"))
    c3.select_slider(ctx.t("width"), gan.WIDTHS, key=ctx.key("width"), on_change=mark_custom, help=ctx.t("width_help"))
    if ctx.key("steps_per_tick") not in ss:
        ss[ctx.key("steps_per_tick")] = 20
    c4.slider(ctx.t("steps_per_tick"), 1, 100, key=ctx.key("steps_per_tick"), help=ctx.t("steps_per_tick_help", seconds=ctx.num(live_panel.TICK_BUDGET, "g")))


# ---------------------------------------------------------------- the trainer in session state (ui/live_panel.py)

def current_trainer() -> gan.GanTrainer | None:
    return live_panel.run_for(ctx, check=False).trainer


def pause() -> None:
    live_panel.run_for(ctx, check=False).playing = False


def is_ring(ds: points.Dataset) -> bool:
    return ds.name == "ring8"


def matching_preset(ds: points.Dataset, cfg: gan.GanConfig) -> str | None:
    """The preset whose shipped weights fit: same settings (any seed), the ring with its default noise and size."""
    if not is_ring(ds) or len(ds) != points.BUILTIN["ring8"].default_n:
        return None
    if abs(gan.ring_noise(ds.X, points.ring8_centres()) - points.BUILTIN["ring8"].default_noise) > 0.01:
        return None
    return next((name for name, p in gan.PRESETS.items() if cfg == p), None)


def build_trainer(ds: points.Dataset, cfg: gan.GanConfig, pretrained: bool) -> gan.GanTrainer:
    """A new trainer; after Reset (``pretrained`` False) it starts from fresh random weights, not the shipped ones."""
    trainer = gan.ring_trainer(ds.X, cfg, ctx.seed) if is_ring(ds) else gan.GanTrainer(ds.X, cfg, ctx.seed)
    name = matching_preset(ds, cfg) if pretrained else None
    if name is not None:
        trainer.load_tensors({k: v.clone() for k, v in preset_state(name).items()})
    trainer.pretrained = name
    return trainer


def slow_motion_step() -> None:
    pause()
    tr = current_trainer()
    if tr is None:
        return

    def take() -> None:
        st.session_state[SLOW] = tr.slow_step()
        st.session_state[SLOW_FOR] = tr
        st.session_state[SLOW_NEW] = True  # the stage slider goes back to stage 1 before it is drawn

    live.request(tr, take)


# ---------------------------------------------------------------- drawing

def plane_labels(probability: bool) -> dict[str, str]:
    return {"real": ctx.t("real"), "fake": ctx.t("fake"), "manifold": ctx.t("manifold"), "arrows": ctx.t("arrows"),
            "d_map": ctx.t("d_prob") if probability else ctx.t("d_score"), "noise": ctx.t("noise_points"),
            "fake_after": ctx.t("fake_after"), "step": ctx.t("step")}


def curve_rows(h, ring: bool, metric: str, x_eval, probability: bool):
    rows = [
        (ctx.t("panel_losses"), [(ctx.t("d_loss"), h.d_loss, plots_gan.REAL), (ctx.t("g_loss"), h.g_loss, plots_gan.FAKE)]),
        (ctx.t("panel_scores") if probability else ctx.t("panel_scores_raw"),
         [(ctx.t("d_real"), h.d_real, plots_gan.REAL + ":dash"), (ctx.t("d_fake"), h.d_fake, plots_gan.FAKE + ":dash")]),
        (ctx.t(f"panel_{metric}"), [(ctx.t(f"metric_{metric}"), (x_eval, getattr(h, metric)), "#111827")]),
    ]
    return rows


def training_curves(tr: gan.GanTrainer, h: gan.History, metric: str):
    rows = curve_rows(h, tr.ring_centres is not None, metric, h.eval_step, tr.cfg.loss in gan.PROBABILITY_LOSSES)
    if tr.ring_centres is not None:
        rows.append((ctx.t("panel_modes"), [(ctx.t("modes_line"), (h.eval_step, h.modes), charts_colour(2))]))
    return plots_gan.curves(h.step, rows, ctx.t("step"), height=640 if len(rows) == 4 else 560,
                            integer_axes=(4,) if len(rows) == 4 else ())


def charts_colour(k: int) -> str:
    from ui.charts import colour

    return colour(k)


def view_controls(snap: live_panel.Snapshot) -> tuple[tuple, str]:
    """Below the panel's buttons: what "Train G only" measured, the shipped start, the layers and the distance."""
    tr, page = snap.trainer, snap.page
    if page["agreement"] is not None and page["agreement"][0] == snap.step and not snap.playing:  # right after "Train G only"
        st.caption(ctx.t("g_move_agreement", cos=cosine_text(page["agreement"][1])))
    h = page["history"]
    if getattr(tr, "pretrained", None) and snap.step >= gan.PRESET_BUDGET and h.step and h.step[-1] <= gan.PRESET_BUDGET:
        st.caption(ctx.t("pretrained_note", preset=ctx.t(f"presets.{tr.pretrained}"), steps=ctx.num(snap.step, ",")))
    c1, c2 = st.columns([3, 1])
    if ctx.key("layers") not in st.session_state:
        st.session_state[ctx.key("layers")] = ["real", "fake", "d_map", "arrows"]
    layers = c1.pills(ctx.t("layers"), plots_gan.LAYERS, selection_mode="multi", format_func=ctx.labeler("gan.layer"),
                      key=ctx.key("layers"))
    metric = c2.radio(ctx.t("distance"), ("sw", "mmd2"), format_func=ctx.labeler("gan.distance_names"), key=ctx.key("metric"),
                      horizontal=True, help=ctx.t("distance_help", **{k: ctx.num(v, ",") for k, v in page["eval_sizes"].items()}))
    return tuple(layers or ()), metric


def live_snapshot(tr: gan.GanTrainer, done: bool) -> dict:
    """Under the trainer's lock: a consistent picture of where the steps stopped."""
    return {"view": tr.view(), "history": copy.deepcopy(tr.history_), "frames": (id(tr), len(tr.frames)),
            "agreement": getattr(tr, "g_agreement", None), "eval_sizes": tr.eval_sizes()}


def live_draw(snap: live_panel.Snapshot, panel: live_panel.Panel) -> None:
    """The live view, inside the panel's fragment (it ticks while playing)."""
    tr, view, h = snap.trainer, snap.page["view"], snap.page["history"]
    layers, metric = view_controls(snap)
    if snap.diverged:
        st.button(ctx.t("reset_after_nan"), icon=":material/restart_alt:", on_click=live_panel.reset, args=(panel,),
                  key="gan_nan_reset", type="primary")
    m = st.columns(4)
    m[0].metric(ctx.t("step"), ctx.num(snap.step, ","))
    last_metric = next((v for v in reversed(getattr(h, metric)) if np.isfinite(v)), float("nan"))
    m[1].metric(ctx.t(f"metric_{metric}"), ctx.num(last_metric, ".3f"))
    if tr.ring_centres is not None and h.modes and h.modes[-1] >= 0:
        m[2].metric(ctx.t("modes_covered"), f"{h.modes[-1]}/8", help=ctx.t("modes_help", radius=ctx.num(tr.quality_radius, ".2f")))
    m[3].metric(ctx.t("grad_norm"), ctx.num(view.grad_norm, ".3g"), help=ctx.t("grad_norm_help"))
    left, right = st.columns([1.15, 1], gap="medium")
    with left:
        fig = plots_gan.plane(view, tr.X, tr.box, layers, plane_labels(view.probability), height=560)
        ctx.chart(fig, key="gan_plane", config={"displaylogo": False})
    with right:
        ctx.chart(training_curves(tr, h, metric), key="gan_curves", config={"displaylogo": False})


def replay_stale(snap: live_panel.Snapshot) -> bool:
    """Paused in a fragment run with frames the replay below has not drawn: a full run brings it up to date."""
    return not snap.playing and live.in_fragment_run() and st.session_state.get(REPLAY_DRAWN) != snap.page["frames"]


def live_section(ds: points.Dataset) -> None:
    try:
        cfg = current_config().check()
    except InputError as err:
        show_input_error(err)
        return
    panel = live_panel.Panel(
        ctx, "gan", lambda reset: build_trainer(ds, cfg, pretrained=not reset), data=ds.X, settings=(ds.name, cfg, ctx.seed),
        step=lambda tr: tr.train_players(1), steps_per_tick=int(st.session_state.get(ctx.key("steps_per_tick"), 20)),
        snapshot=live_snapshot, draw=lambda snap: live_draw(snap, panel), full_run_when=replay_stale, buttons=("step", "reset"),
        extras=(live_panel.Extra("gan_d_only", ctx.t("d_only"), lambda tr: tr.train_players(1, "d"), ":material/gavel:", ctx.t("d_only_help")),
                live_panel.Extra("gan_g_only", ctx.t("g_only"), lambda tr: tr.train_players(1, "g"), ":material/brush:", ctx.t("g_only_help"))),
        labels={"start": ctx.t("play"), "resume": ctx.t("play"), "pause": ctx.t("pause"), "step": ctx.t("one_step"), "reset": ctx.t("reset")},
        helps={"step": ctx.t("one_step_help"), "reset": ctx.t("reset_help")},
        diverged_text=lambda step: ctx.t("nan_stopped", step=step))
    tr = live_panel.show(panel).trainer
    if tr is None:
        return
    st.caption(ctx.t("plane_legend_prob") if tr.cfg.loss in gan.PROBABILITY_LOSSES else ctx.t("plane_legend_score"))
    st.caption(ctx.t("curves_legend"))


def cosine_text(value: float) -> str:
    return ctx.num(value, ".2f") if np.isfinite(value) else "—"


def replay_section() -> None:
    tr: gan.GanTrainer | None = current_trainer()
    with st.expander(ctx.t("replay_title"), icon=":material/movie:"):
        st.caption(ctx.t("replay_caption"))
        st.session_state[REPLAY_DRAWN] = None if tr is None else (id(tr), len(tr.frames))
        if tr is None or len(tr.frames) < 2:
            st.info(ctx.t("replay_empty"), icon=":material/hourglass_empty:")
            return
        memo_key = ctx.state_key("replay_fig")
        memo = st.session_state.get(memo_key)
        with live.hold(tr) as held:
            if held:
                frames, stamp = list(tr.frames), (id(tr), tr.step_, len(tr.frames), ctx.lang)
        if not held:
            live.show_busy()
            return
        if memo is None or memo[0] != stamp:  # rebuild only when training moved on
            memo = (stamp, plots_gan.replay(tr.box, tr.X, frames, plane_labels(True)))
            st.session_state[memo_key] = memo
        ctx.chart(memo[1], key="gan_replay", config={"displaylogo": False})


def slow_motion_section() -> None:
    tr: gan.GanTrainer | None = current_trainer()
    if st.session_state.get(SLOW_FOR) is not tr:  # slow motion of a trainer since rebuilt or reset
        st.session_state[SLOW] = None
    with st.expander(ctx.t("slow_title"), icon=":material/slow_motion_video:", expanded=st.session_state.get(SLOW) is not None):
        st.caption(ctx.t("slow_caption"))
        st.button(ctx.t("slow_button"), icon=":material/slow_motion_video:", on_click=live.outside_fragments(slow_motion_step),
                  key="gan_slow", disabled=tr is None or tr.diverged_)
        stages = st.session_state.get(SLOW)
        if stages is None:
            return
        if st.session_state.pop(SLOW_NEW, False):
            st.session_state[ctx.key("stage")] = gan.STAGES[0]
        stage = st.select_slider(ctx.t("stage"), gan.STAGES, format_func=ctx.labeler("gan.stages"), key=ctx.key("stage"))
        left, right = st.columns([1.2, 1])
        with left:
            ctx.chart(plots_gan.stage(stages, stage, tr.box, plane_labels(stages.probability)), key="gan_stage",
                            config={"displaylogo": False})
        with right:
            st.markdown(ctx.t(f"stage_text.{stage}", d_loss=ctx.num(stages.d_loss, ".3f"), g_loss=ctx.num(stages.g_loss, ".3f"),
                              d_real=ctx.num(stages.d_real.mean(), ".2f"), d_fake=ctx.num(stages.d_fake.mean(), ".2f"),
                              agreement=cosine_text(stages.agreement)))
            if stage == "update_d" and stages.d_steps > 1:
                st.markdown(ctx.t("stage_text.update_d_more", n=stages.d_steps, more=stages.d_steps - 1))


# ---------------------------------------------------------------- mode collapse, side by side

@st.cache_resource(max_entries=8, show_spinner=False)
def preset_replay_figure(name: str, lang: str):
    """The shipped training of a preset as a replay (read-only: shared by every session)."""
    state = preset_state(name)
    ring = gan.preset_data()
    frames = list(zip(state["frames.step"].tolist(), state["frames.points"].numpy()))
    return plots_gan.replay(points.bounds(ring), ring, frames, plane_labels(True), height=420)


@st.cache_data(max_entries=1, ttl=24 * 3600, show_spinner=False)
def pull_curves() -> gan.PullCurves:
    """The two classic losses' pull while D trains alone: one deterministic run of a few hundred small steps."""
    return gan.pull_under_d_training()


def pull_figure():
    pc = pull_curves()
    labels = {"pull": ctx.t("pull_panel"), "d_fake": ctx.t("pull_d_panel"), "x": ctx.t("pull_x"),
              "minimax": ctx.t("losses.minimax"), "nonsat": ctx.t("losses.nonsat"), "d_fake_line": ctx.t("pull_d_panel")}
    caption = ctx.t("pull_caption", steps=ctx.num(int(pc.step[-1]), ","), lr=ctx.num(gan.PULL_CONFIG.lr_d, "g"), n=gan.N_ARROWS,
                    mm_peak=ctx.num(pc.minimax.max(), ".3g"), mm_end=ctx.num(pc.minimax[-1], ".3g"),
                    d_end=ctx.num(pc.d_fake[-1], ".3f"), ns_start=ctx.num(pc.nonsat[0], ".3g"), ns_end=ctx.num(pc.nonsat[-1], ".3g"))
    return plots_gan.pulls(pc, labels, height=420), caption


FULL_RERUN = "gan_full_rerun"


@st.fragment
def collapse_section() -> None:
    with guard():
        _collapse_section()


def _collapse_section() -> None:
    if st.session_state.pop(FULL_RERUN, False):
        st.rerun(scope="app")  # a preset was loaded into the live view above: redraw the whole page
    st.header(ctx.t("collapse_title"))
    st.markdown(ctx.t("collapse_lead"))
    cols = st.columns(3, gap="medium")
    for col, name in zip(cols, gan.PRESETS):
        modes = [int(v) for v in preset_state(name)["history.modes"].tolist()]
        with col:
            st.markdown(f"**{ctx.t(f'presets.{name}')}**")
            ctx.chart(preset_replay_figure(name, ctx.lang), key=f"gan_preset_{name}", config={"displaylogo": False})
            st.metric(ctx.t("modes_covered"), f"{modes[-1]}/8" if modes and modes[-1] >= 0 else "—")
            st.caption(ctx.t(f"preset_text.{name}"))
            st.button(ctx.t("load_preset"), key=f"gan_load_{name}", on_click=load_preset_live, args=(name,),
                      icon=":material/upload:")
            if st.session_state.get(LOADED) == name:  # the live view is off-screen: say what changed and where
                st.success(ctx.t("preset_loaded", steps=ctx.num(gan.PRESET_BUDGET, ","), link=f"#{LIVE_ANCHOR}"),
                           icon=":material/check_circle:")
    left, right = st.columns([1, 1.1], gap="large")
    with left:
        ctx.md("why_collapse")
    with right:
        fig, caption = pull_figure()
        st.markdown(f"**{ctx.t('pull_title')}**")
        ctx.chart(fig, key="gan_pull", config={"displaylogo": False})
        st.caption(caption)
    ctx.md("why_wgan")


def load_preset_live(name: str) -> None:
    st.session_state[ctx.key("preset")] = name
    apply_preset()
    st.session_state[LOADED] = name
    st.session_state[FULL_RERUN] = True


# ---------------------------------------------------------------- digits

@st.cache_resource(max_entries=8, show_spinner=False)
def digits_curves_figure(lang: str):
    _, hist, _ = digits_model(False)
    rows = [
        (ctx.t("panel_losses"), [(ctx.t("d_loss"), hist.d_loss, plots_gan.REAL), (ctx.t("g_loss"), hist.g_loss, plots_gan.FAKE)]),
        (ctx.t("panel_scores"), [(ctx.t("d_real"), hist.d_real, plots_gan.REAL + ":dash"), (ctx.t("d_fake"), hist.d_fake, plots_gan.FAKE + ":dash")]),
        (ctx.t("panel_sw"), [(ctx.t("metric_sw"), hist.sw, "#111827")]),
        (ctx.t("panel_classes"), [(ctx.t("classes_line"), hist.classes_covered, charts_colour(2))]),
    ]
    return plots_gan.curves(hist.epoch, rows, ctx.t("epoch"), height=560)


@st.fragment
def digits_section() -> None:
    with guard():
        _digits_section()


def _digits_section() -> None:
    st.header(ctx.t("digits_title"))
    st.markdown(ctx.t("digits_lead"))
    model, hist, final = digits_model(False)
    n_epochs = len(hist.epoch)
    left, right = st.columns([1, 1.2], gap="large")
    with left:
        epoch = st.slider(ctx.t("epoch"), 1, n_epochs, n_epochs, key=ctx.key("epoch"), help=ctx.t("epoch_help"))
        st.image(plots_gan.digit_tiles(hist.grids[epoch - 1], 8, zoom=5, gap=5), caption=ctx.t("grid_caption", epoch=epoch),
                 width="content")
        st.caption(ctx.t("digits_covered", k=hist.classes_covered[epoch - 1]))
    with right:
        fig = go.Figure(digits_curves_figure(ctx.lang))  # a copy: the cached figure stays untouched
        fig.add_vline(x=epoch, line=dict(color="#6b7280", dash="dot"))
        ctx.chart(fig, key="gan_digit_curves", config={"displaylogo": False})
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
        seed = ctx.seed * 1000 + st.session_state.get(seed_key, 0)
        samples, read = conditional_samples(int(digit), seed)
        agree = int((read == digit).sum())
        st.metric(ctx.t("evaluator_agrees"), f"{agree}/{len(read)}", help=ctx.t("evaluator_help"))
        _, _, cond_final = digits_model(True)
        st.caption(ctx.t("cond_overall", acc=ctx.num(cond_final.get("label_accuracy", float("nan")), ".0%")))
    with c2:
        st.image(plots_gan.digit_tiles(samples, 8, zoom=7, gap=5), caption=ctx.t("cond_caption", digit=digit), width="content")


# ---------------------------------------------------------------- the page

st.markdown(ctx.t("lead"))
with guard():
    init_defaults()
    st.header(ctx.t("live_title"), anchor=LIVE_ANCHOR)
    if st.session_state.get(LOADED) in gan.PRESETS:
        st.success(ctx.t("live_loaded", section=ctx.t("collapse_title"), preset=ctx.t(f"presets.{st.session_state[LOADED]}"),
                         steps=ctx.num(gan.PRESET_BUDGET, ",")), icon=":material/check_circle:")
    st.selectbox(ctx.t("preset"), PRESET_NAMES, format_func=ctx.labeler("gan.presets"), key=ctx.key("preset"),
                 on_change=apply_preset, help=ctx.t("preset_help"))
    ds = dataset_picker(ctx, default="ring8", needs=points.DataNeeds(min_points=8))  # GanTrainer's minimum
    if ds is not None:
        with st.expander(ctx.t("settings"), icon=":material/tune:", expanded=False):
            settings_panel()
            st.caption(ctx.t("settings_note"))
        try:
            live_section(ds)
        except InputError as err:
            show_input_error(err)
        slow_motion_section()
        replay_section()
collapse_section()
digits_section()

st.divider()
ctx.md("explanation")
