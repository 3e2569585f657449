"""Page 5: diffusion. Destroy data with noise (forward), learn to undo it (reverse)."""


import numpy as np
import streamlit as st

from engine.core.errors import InputError
from engine.data import points
from engine.families import diffusion as D
from engine.metrics import mmd2, sliced_wasserstein
from ui import live, live_panel
from ui import plots_diffusion as P
from ui.data_input import OWN, dataset_picker
from ui.shell import guard, setup

ctx = setup("diffusion")
# Own points both sections can use: the reverse one trains on them (forward alone would take any points).
NEEDS = points.DataNeeds(min_points=10, check=D.check_2d_data)
SECTIONS = ("forward", "reverse", "digits", "latent", "models")
SOURCES = ("points", "digits", "photo")
TRAIN_TARGETS = (400, 1000, 1500, 3000, 5000)  # 400: the benchmarked recipe (benchmarks/bench_diffusion.py)
STEPS_PER_TICK = 60
ANIM_POINTS, ANIM_FRAMES = 300, 50
SAMPLE_POINTS = 1000
EVAL_POINTS = 500
PREVIEW_POINTS = 400
QUALITY_STEPS = (2, 5, 10, 20, 50, 100)
COMPARE_IMAGES = 8  # digits shown by each road in "step by step, or in one jump?"
CHART = {"displaylogo": False}


# ---------------------------------------------------------------- cached engine calls

@st.cache_resource(max_entries=16, show_spinner=False)
def pretrained_2d(name: str) -> D.DiffusionModel:
    return D.pretrained_2d(name)


@st.cache_resource(max_entries=1, show_spinner=False)
def pretrained_digits() -> D.DiffusionModel:
    return D.pretrained_digits()


@st.cache_resource(max_entries=1, show_spinner=False)
def photo() -> np.ndarray:
    return D.load_photo()


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def schedule_curves(schedule: str, T: int, beta_start: float, beta_end: float) -> dict:
    return D.schedule_curves(D.ScheduleConfig(schedule, T, beta_start, beta_end))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def iterative_vs_closed(X0: np.ndarray, config: D.ScheduleConfig, t: int, seed: int) -> dict:
    """Both roads to x_t from the same x_0: t single steps, and one closed-form draw.

    2D points keep every x_t (two clouds and their MMD²); images (rows = flattened images) keep the first
    ``COMPARE_IMAGES`` of each, and every pixel's residual for the histogram.
    """
    sched = D.NoiseSchedule(config)
    step_by_step = sched.forward_iterative(X0, t, seed=seed)
    closed = sched.add_noise(X0, np.random.default_rng(seed + 1).standard_normal(X0.shape), t)
    mean_factor, var = sched.marginal(t)
    rows, residuals = {}, {}
    for name, Xt in (("iterative", step_by_step), ("closed", closed)):
        residuals[name] = (Xt - mean_factor * X0).astype(np.float32)  # should be N(0, (1 − ᾱ_t) I)
        rows[name] = (float(residuals[name].mean()), float(residuals[name].var()))
    rows["theory"] = (0.0, var)
    if X0.shape[1] == 2:
        return {"iterative": step_by_step, "closed": closed, "rows": rows, "mmd2": mmd2(step_by_step[:1000], closed[:1000])}
    return {"iterative": step_by_step[:COMPARE_IMAGES], "closed": closed[:COMPARE_IMAGES], "rows": rows, "mmd2": None,
            "residuals": residuals, "var": var}


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def reverse_run(_model: D.DiffusionModel, model_id: tuple, sampler: str, steps: int, seed: int, data: np.ndarray) -> dict:
    """Samples, the animated path of the first points, and distances to the data."""
    res = _model.reverse(SAMPLE_POINTS, sampler, steps, seed=seed, keep=ANIM_POINTS, keep_frames=ANIM_FRAMES)
    ref, fake = data[:EVAL_POINTS], res.samples[:EVAL_POINTS]
    return {"samples": res.samples, "trajectory": res.trajectory, "timesteps": res.timesteps,
            "mmd2": mmd2(fake, ref), "mmd_sizes": (len(fake), len(ref)), "swd": sliced_wasserstein(res.samples[: len(ref)], ref)}


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def score_field(_model: D.DiffusionModel, model_id: tuple, box: tuple, t: int, data: np.ndarray, seed: int) -> dict:
    P_, S = D.vector_field(_model, box, t)
    rng = np.random.default_rng(seed)
    X0 = data[rng.permutation(len(data))[:400]]
    noisy = _model.to_data(_model.schedule.add_noise(_model.to_model(X0), rng.standard_normal(X0.shape), t))
    return {"points": P_, "score": S, "noisy": noisy}


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def quality_rows(_model: D.DiffusionModel, model_id: tuple, data: np.ndarray, seed: int) -> list[dict]:
    if model_id[0] == "pretrained":  # measured once when the weights were made (see the manifest)
        rows = D.pretrained_metrics(model_id[1]).get("quality")
        if rows:
            return rows
    return D.quality_vs_steps(_model, data[:EVAL_POINTS], n=EVAL_POINTS, seed=seed, step_choices=QUALITY_STEPS)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def digit_run(label: int, guidance: float, steps: int, seed: int) -> dict:
    model = pretrained_digits()
    grid = D.digit_samples(model, np.full(32, label), guidance, steps, seed=seed)
    film = D.digit_samples(model, np.full(5, label), guidance, steps, seed=seed + 1, keep=5, keep_frames=11)
    from engine.data.digits import classify

    return {"grid": grid.samples, "accuracy": float((classify(grid.samples) == label).mean()),
            "film": film.trajectory, "film_t": film.timesteps}


# ---------------------------------------------------------------- shared widgets

def schedule_controls() -> D.ScheduleConfig:
    """The schedule the forward view shows and live training uses."""
    c = st.columns([2, 1, 1, 1])
    schedule = c[0].selectbox(ctx.t("schedule"), D.SCHEDULES, format_func=ctx.labeler("diffusion.schedules"), key=ctx.key("schedule"),
                              help=ctx.t("schedule_help"))
    T = c[1].number_input(ctx.t("T"), 1, D.MAX_T, 100, 1, key=ctx.key("T"), help=ctx.t("T_help"))
    fixed = schedule == "cosine"
    beta_start = c[2].number_input(ctx.t("beta_start"), -0.1, 1.0, 1e-3, 1e-4, format="%.4f", key=ctx.key("beta_start"),
                                   disabled=fixed, help=ctx.t("beta_help"))
    beta_end = c[3].number_input(ctx.t("beta_end"), -0.1, 1.5, 0.2, 0.005, format="%.4f", key=ctx.key("beta_end"),
                                 disabled=fixed, help=ctx.t("beta_help"))
    return D.ScheduleConfig(schedule, int(T), float(beta_start), float(beta_end))


def t_slider(label: str, T: int, name: str, default: int, low: int = 0) -> int:
    key = ctx.key(name)
    if key in st.session_state and not low <= st.session_state[key] <= T:
        st.session_state[key] = min(max(st.session_state[key], low), T)
    return st.slider(label, low, T, min(default, T), 1, key=key, help=ctx.t("t_help"))


def box_for(X: np.ndarray, extra: float = 0.0) -> tuple:
    b = points.bounds(np.r_[X, [[-extra, -extra], [extra, extra]]] if extra else X)
    return tuple(float(v) for v in b)


# ---------------------------------------------------------------- forward process

def forward_section() -> None:
    st.markdown(ctx.t("forward_lead"))
    config = schedule_controls()
    sched = D.NoiseSchedule(config)  # raises a clear message for T = 1, ᾱ = 0, ᾱ > 1
    source = st.segmented_control(ctx.t("source"), SOURCES, format_func=ctx.labeler("diffusion.sources"), key=ctx.key("source"),
                                  default="points") or "points"
    t = t_slider(ctx.t("t"), sched.T, "t_forward", sched.T // 10)
    ds = dataset_picker(ctx, default="swiss_roll", needs=NEEDS) if source == "points" else None  # full width: its labels fit
    mean_factor, var = sched.marginal(t)
    left, right = st.columns(2, gap="large")
    with right:
        curves = {k: schedule_curves(k, sched.T, config.beta_start, config.beta_end) for k in D.SCHEDULES if _valid(k, config)}
        fig = P.schedule_figure(curves, config.schedule, t, {k: ctx.t(f"schedules.{k}") for k in curves},
                                (ctx.t("beta_title"), ctx.t("alpha_bar_title"), ctx.t("snr_title")), ctx.t("t_axis"))
        ctx.chart(fig, key="schedule_fig", config=CHART)
        st.caption(ctx.t("schedule_legend"))
        st.markdown(ctx.t("schedule_numbers", t=t, alpha_bar=ctx.num(sched.alphas_cumprod[t], ".3f"), snr=ctx.num(sched.snr[t], ".3g") if t else "∞",
                          T=sched.T, alpha_bar_T=ctx.num(sched.alphas_cumprod[-1], ".2g")))
        if sched.alphas_cumprod[-1] > 0.05:
            st.warning(ctx.t("alpha_bar_T_high", value=ctx.num(sched.alphas_cumprod[-1], ".2f")), icon=":material/warning:")
    with left:
        st.latex(r"q(x_t \mid x_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\,x_0,\;(1-\bar\alpha_t)\,I\big)")
        tex_num = lambda v: ctx.num(v, ".3f").replace(",", "{,}")  # noqa: E731  (a decimal comma without TeX's space)
        st.latex(rf"t = {t}:\quad \sqrt{{\bar\alpha_{{t}}}} = {tex_num(mean_factor)},\quad 1-\bar\alpha_{{t}} = {tex_num(var)}")
        X0 = forward_data(source, sched, t, ds)
    if X0 is not None:
        compare_forward(source, X0, config, t)
    with st.expander(ctx.t("explain_forward"), icon=":material/school:"):
        ctx.md("forward")


def _valid(kind: str, config: D.ScheduleConfig) -> bool:
    try:
        D.NoiseSchedule(D.ScheduleConfig(kind, config.T, config.beta_start, config.beta_end))
    except InputError:
        return False
    return True


def forward_data(source: str, sched: D.NoiseSchedule, t: int, ds: points.Dataset | None) -> np.ndarray | None:
    """Draw x_0 and x_t for the chosen data (``ds`` for 2D points); return x_0 (rows = examples) for the comparison."""
    T = sched.T
    strip_ts = sorted({int(round(v)) for v in np.linspace(0, T, 8)})
    if source == "points":
        if ds is None:
            return None
        X0 = D.check_2d_data(ds.X)
        Xt = sched.add_noise(X0, np.random.default_rng(ctx.seed).standard_normal(X0.shape), t)
        box = box_for(X0, 3.2)
        fig = P.points_figure(box, X0, [(Xt, ctx.t("x_t_label", t=t), P.SAMPLE_COLOUR)], ctx.t("x0_label"))
        ctx.chart(fig, key="forward_fig", config=CHART)
        st.caption(ctx.t("forward_points_legend"))
        return X0
    if source == "digits":
        from engine.data.digits import load

        X, _ = load("train")
        picks = X[:10] / 16.0
        now = D.noisy_images(picks.reshape(10, 8, 8), sched, [t], seed=ctx.seed)[0]
        ctx.chart(P.image_grid(now[None] * 16, None, None, 16, ctx.t("pixel"), height=150), key="digits_now", config=CHART)
        strip = D.noisy_images(picks[:4].reshape(4, 8, 8), sched, strip_ts, seed=ctx.seed)  # (ts, 4, 8, 8)
        ctx.chart(P.image_grid(strip.transpose(1, 0, 2, 3) * 16, [f"t={s}" for s in strip_ts], None, 16, ctx.t("pixel")),
                        key="digits_strip", config=CHART)
        st.caption(ctx.t("forward_images_legend"))
        return X[:400] / 8.0 - 1.0
    img = photo()
    now = D.noisy_images(img[None], sched, [0, t], seed=ctx.seed)[:, 0]
    c1, c2 = st.columns(2)
    c1.image(img, caption=ctx.t("x0_label"), width="stretch", clamp=True)
    c2.image(now[1], caption=ctx.t("x_t_label", t=t), width="stretch", clamp=True)
    strip = D.noisy_images(img[None], sched, strip_ts, seed=ctx.seed)[:, 0]
    ctx.chart(P.rgb_strip(strip, [f"t={s}" for s in strip_ts]), key="photo_strip", config=CHART)
    st.caption(ctx.t("forward_images_legend"))
    return (2.0 * img - 1.0).reshape(1, -1)


def compare_forward(source: str, X0: np.ndarray, config: D.ScheduleConfig, t: int) -> None:
    st.subheader(ctx.t("compare_title"))
    st.markdown(ctx.t("compare_lead"))
    res = iterative_vs_closed(X0, config, t, ctx.seed)
    left, right = st.columns([3, 2], gap="large")
    with right:
        rows = res["rows"]
        table = {ctx.t("compare_method"): [ctx.t(f"compare.{k}") for k in ("iterative", "closed", "theory")],
                 ctx.t("compare_mean"): [ctx.num(rows[k][0], "+.4f") for k in ("iterative", "closed", "theory")],
                 ctx.t("compare_var"): [ctx.num(rows[k][1], ".4f") for k in ("iterative", "closed", "theory")]}
        st.dataframe(table, hide_index=True, width="stretch")
        if res["mmd2"] is not None:
            mmd_metric(st, ctx.t("compare_mmd"), res["mmd2"], ctx.t("compare_mmd_help"))
    with left:
        if source == "points":
            fig = P.points_figure(box_for(X0, 3.2), X0, [(res["iterative"], ctx.t("compare.iterative"), P.SAMPLE_COLOUR),
                                                          (res["closed"], ctx.t("compare.closed"), P.SECOND_COLOUR)],
                                  ctx.t("x0_label"), height=420)
            ctx.chart(fig, key="compare_fig", config=CHART)
            st.caption(ctx.t("compare_caption"))
        else:
            compare_images(source, res, t)


def compare_images(source: str, res: dict, t: int) -> None:
    """Digits or the photo by both roads, then every pixel's residual against N(0, 1 − ᾱ_t)."""
    names = (ctx.t("compare.iterative"), ctx.t("compare.closed"))
    shown = [np.clip((res[k] + 1.0) / 2.0, 0.0, 1.0) for k in ("iterative", "closed")]  # −1…1 → 0…1 for display
    if source == "digits":
        n = len(shown[0])
        ctx.chart(P.image_grid(np.stack(shown).reshape(2, n, 8, 8) * 16, None, list(names), 16, ctx.t("pixel"), height=160),
                  key="compare_images", config=CHART)
        st.caption(ctx.t("compare_digits_caption", n=n, t=t))
    else:
        shape = photo().shape
        ctx.chart(P.rgb_strip(np.stack([x[0].reshape(shape) for x in shown]), list(names), height=360),
                  key="compare_images", config=CHART)
        st.caption(ctx.t("compare_photo_caption", t=t))
    if res["var"] <= 0:  # t = 0: nothing to histogram
        st.caption(ctx.t("compare_t0"))
        return
    resid = res["residuals"]
    fig = P.residual_figure([(resid["iterative"], names[0], P.SAMPLE_COLOUR), (resid["closed"], names[1], P.SECOND_COLOUR)],
                            res["var"], ctx.t("compare_theory_density"), ctx.t("compare_resid_axis"), ctx.t("compare_density_axis"))
    ctx.chart(fig, key="compare_hist", config=CHART)
    st.caption(ctx.t("compare_hist_legend", m=ctx.num(resid["closed"].size, ",")))


def mmd_metric(where, label: str, value: float, help_text: str, spec: str = ".4f") -> None:
    """An MMD² metric whose help always says why an unbiased estimate can come out slightly below 0."""
    where.metric(label, ctx.num(value, spec), help=f"{help_text} {ctx.t('mmd2_negative')}")


# ---------------------------------------------------------------- reverse process on 2D points

def reverse_section() -> None:
    st.markdown(ctx.t("reverse_lead"))
    ds = dataset_picker(ctx, default="moons", needs=NEEDS)
    if ds is None:
        return
    data = D.check_2d_data(ds.X)
    builtin = st.session_state.get(ctx.key("dataset")) != OWN
    sources = ("pretrained", "live") if builtin else ("live",)
    src = st.segmented_control(ctx.t("model_source"), sources, format_func=ctx.labeler("diffusion.model_sources"),
                               key=ctx.key("model_source"), default="pretrained") or sources[0]
    if src not in sources:
        src = "live"
    if src == "pretrained":
        name = st.session_state[ctx.key("dataset")]
        model = pretrained_2d(name)
        info = D.pretrained_metrics(name)
        st.caption(ctx.t("pretrained_caption", steps=info.get("steps", "?"), noise=info.get("data", {}).get("noise", "?"),
                         T=model.schedule.T, schedule=ctx.t(f"schedules.{model.config.schedule.schedule}")))
        model_id = ("pretrained", name)
    else:
        model = live_training(data)
        if model is None:
            return
        model_id = ("live", id(model), model.step_)
    st.divider()
    with guard():
        if src == "pretrained":
            sampling_views(model, model_id, data)
        else:
            with live.hold(model) as held:  # an older run may still be finishing a tick on this model
                if held:
                    sampling_views(model, model_id, data)
            if not held:
                live.show_busy()
    with st.expander(ctx.t("explain_reverse"), icon=":material/school:"):
        ctx.md("reverse")
    with st.expander(ctx.t("explain_samplers"), icon=":material/school:"):
        ctx.md("samplers")


def sampling_views(model: D.DiffusionModel, model_id: tuple, data: np.ndarray) -> None:
    T = model.schedule.T
    c1, c2 = st.columns([3, 2])
    sampler = c1.segmented_control(ctx.t("sampler"), ("ddpm", "ddim"), format_func=ctx.labeler("diffusion.samplers"),
                                   key=ctx.key("sampler"), default="ddim") or "ddim"
    steps = c2.segmented_control(ctx.t("ddim_steps"), D.DDIM_STEP_CHOICES, key=ctx.key("ddim_steps"), default=20,
                                 disabled=sampler == "ddpm", help=ctx.t("ddim_steps_help", T=T)) or 20
    if sampler == "ddim":
        model.schedule.ddim_timesteps(steps)  # more steps than T: a clear message
    run = reverse_run(model, model_id, sampler, int(steps), ctx.seed, data)
    box = box_for(data, 2.8)
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(ctx.t("animation_title"))
        fig = P.reverse_animation(box, data, run["trajectory"], run["timesteps"], ctx.t("data_label"), ctx.t("reverse_points"),
                                  ctx.t("frame_label"), ctx.t("play"), ctx.t("pause"))
        ctx.chart(fig, key="reverse_fig", config=CHART)
        st.caption(ctx.t("animation_legend", n=ANIM_POINTS))
        m1, m2 = st.columns(2)
        mmd_help = ctx.t("mmd2_help", samples=ctx.num(run["mmd_sizes"][0], ","), points=ctx.num(run["mmd_sizes"][1], ","))
        mmd_metric(m1, ctx.t("mmd2"), run["mmd2"], mmd_help)
        m2.metric(ctx.t("swd"), ctx.num(run['swd'], ".3f"), help=ctx.t("swd_help"))
    with right:
        st.subheader(ctx.t("field_title"))
        t = t_slider(ctx.t("t_field"), T, "t_field", max(1, T // 10), low=1)
        field = score_field(model, model_id, box, t, data, ctx.seed)
        fig = P.points_figure(box, data, [(field["noisy"], ctx.t("x_t_label", t=t), P.SAMPLE_COLOUR)], ctx.t("data_label"))
        P.add_arrows(fig, field["points"], field["score"], 0.9 * (box[1] - box[0]) / 16, ctx.t("arrows_label"))
        ctx.chart(fig, key="field_fig", config=CHART)
        st.caption(ctx.t("field_legend"))
    st.subheader(ctx.t("quality_title"))
    rows = quality_rows(model, model_id, data, ctx.seed)
    q1, q2 = st.columns(2)
    ref = float(mmd2(data[: EVAL_POINTS // 2], data[EVAL_POINTS // 2: EVAL_POINTS])) if len(data) >= 40 else None
    ctx.chart(where=q1, fig=P.quality_figure(rows, "mmd2", ctx.t("mmd2"), ctx.t("steps_axis"), ctx.t("samplers.ddim"), ctx.t("ddpm_at_T", T=T),
                                     ref, ctx.t("data_vs_data")), key="quality_mmd", config=CHART)
    ctx.chart(where=q2, fig=P.quality_figure(rows, "swd", ctx.t("swd"), ctx.t("steps_axis"), ctx.t("samplers.ddim"), ctx.t("ddpm_at_T", T=T)),
                    key="quality_swd", config=CHART)
    st.caption(ctx.t("quality_legend"))
    if model_id[0] == "pretrained" and D.pretrained_metrics(model_id[1]).get("quality"):
        st.caption(ctx.t("quality_pretrained_note"))


# ---------------------------------------------------------------- live training (2D)

def live_training(data: np.ndarray) -> D.DiffusionModel | None:
    """Train a fresh model on the current data with the schedule chosen in the forward section."""
    config = D.ScheduleConfig(st.session_state.get(ctx.key("schedule"), "linear"), int(st.session_state.get(ctx.key("T"), 100)),
                              float(st.session_state.get(ctx.key("beta_start"), 1e-3)), float(st.session_state.get(ctx.key("beta_end"), 0.2)))
    target = st.columns([2, 2])[0].select_slider(ctx.t("train_steps"), TRAIN_TARGETS, 1500, key=ctx.key("train_steps"))
    seed, box = ctx.seed, box_for(data, 2.8)

    def build(reset: bool) -> D.DiffusionModel:
        D.NoiseSchedule(config)  # a bad schedule gives its message before anything is built
        return D.DiffusionModel(D.config_2d(config, decay_steps=target), seed=seed).set_data(data)

    panel = live_panel.Panel(
        ctx, "diffusion", build, data=data, settings=(config, seed), total=target, steps_per_tick=STEPS_PER_TICK,
        snapshot=live_snapshot, draw=lambda snap: live_draw(snap, box, data),
        labels={"start": ctx.t("start"), "resume": ctx.t("resume"), "pause": ctx.t("pause"), "reset": ctx.t("restart")},
        diverged_text=lambda step: ctx.t("diverged", step=step))
    trainer = live_panel.prepare(panel).trainer
    if trainer is not None:
        st.caption(ctx.t("live_caption", schedule=ctx.t(f"schedules.{config.schedule}"), T=config.T,
                         alpha_bar_T=ctx.num(trainer.schedule.alphas_cumprod[-1], ".2g"), params=ctx.num(trainer.n_params_, ",")))
        if trainer.schedule.alphas_cumprod[-1] > 0.05:
            st.warning(ctx.t("alpha_bar_T_high", value=ctx.num(trainer.schedule.alphas_cumprod[-1], ".2f")), icon=":material/warning:")
    run = live_panel.show(panel)
    if run.trainer is None:
        return None
    if run.trainer.step_ == 0:
        st.info(ctx.t("press_start"), icon=":material/play_arrow:")
        return None
    if run.playing:
        return None  # the full views below are drawn when training pauses or ends
    return run.trainer


def live_snapshot(trainer: D.DiffusionModel, done: bool):
    """Under the trainer's lock: the losses and a preview of what it samples now."""
    losses, smoothed = np.asarray(trainer.history_), trainer.smoothed_loss()
    steps, d = min(20, trainer.schedule.T), trainer.config.denoiser.dim  # the loss is a mean over the d coordinates
    preview = trainer.reverse(PREVIEW_POINTS, "ddim", steps, seed=ctx.seed).samples if len(losses) else None
    return losses, smoothed, steps, d, preview


def live_draw(snap: live_panel.Snapshot, box: tuple, data: np.ndarray) -> None:
    losses, smoothed, steps, d, preview = snap.page
    if len(losses):
        left, right = st.columns(2, gap="large")
        with left:
            ctx.chart(P.loss_figure(losses, smoothed, ctx.t("step_axis"), ctx.t("loss_axis", d=d),
                                    ctx.t("loss_raw"), ctx.t("loss_smooth")), key="loss_fig", config=CHART)
            st.caption(ctx.t("loss_legend", d=d))
        with right:
            fig = P.points_figure(box, data, [(preview, ctx.t("preview_label", steps=steps), P.SAMPLE_COLOUR)], ctx.t("data_label"), height=300)
            ctx.chart(fig, key="preview_fig", config=CHART)
    if snap.playing:
        st.caption(ctx.t("pause_to_see"))


# ---------------------------------------------------------------- digits

def digits_section() -> None:
    st.markdown(ctx.t("digits_lead"))
    label = st.segmented_control(ctx.t("digit_class"), list(range(10)), key=ctx.key("digit_class"), default=3)
    c2, c3 = st.columns(2)
    label = 3 if label is None else int(label)
    guidance = c2.slider(ctx.t("guidance"), 0.0, 6.0, 2.0, 0.5, key=ctx.key("guidance"), help=ctx.t("guidance_help"))
    steps = c3.segmented_control(ctx.t("ddim_steps"), D.DDIM_STEP_CHOICES, key=ctx.key("digit_steps"), default=50) or 50
    run = digit_run(label, float(guidance), int(steps), ctx.seed)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader(ctx.t("film_title"))
        film = run["film"].reshape(len(run["film_t"]), 5, 8, 8).transpose(1, 0, 2, 3)
        ctx.chart(P.image_grid(film, [f"t={s}" for s in run["film_t"]], None, 16, ctx.t("pixel")), key="digit_film", config=CHART)
        st.caption(ctx.t("film_legend"))
    with right:
        st.subheader(ctx.t("grid_title", digit=label))
        ctx.chart(P.image_grid(run["grid"].reshape(4, 8, 8, 8), None, None, 16, ctx.t("pixel")), key="digit_grid", config=CHART)
        st.metric(ctx.t("evaluator_agrees"), ctx.num(run['accuracy'], ".0%"), help=ctx.t("evaluator_help"))
    with st.expander(ctx.t("explain_guidance"), icon=":material/school:"):
        ctx.md("guidance")


# ---------------------------------------------------------------- latent diffusion

@st.cache_resource(max_entries=1, show_spinner=False)
def latent_models() -> tuple:
    """(VAE, latent diffusion model, test codes, shipped?): read-only, shared by every session."""
    from engine.data.digits import load

    vae = D.vae_model(D.LATENT_DIM)
    model, shipped = D.latent_model(D.LATENT_DIM, vae)
    return vae, model, vae.encode_mean(load("test")[0]), shipped


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def latent_run(label: int, guidance: float, steps: int, seed: int) -> dict:
    from engine.data.digits import classify

    vae, model, codes_test, _ = latent_models()
    z, images = D.latent_samples(model, vae, np.full(300, label), guidance, steps, seed=seed)
    z_all, _ = D.latent_samples(model, vae, np.arange(300) % 10, guidance, steps, seed=seed + 1)
    prior = np.random.default_rng(seed).standard_normal((300, z.shape[1])).astype(np.float32)
    return {"images": images[:16], "accuracy": float((classify(images) == label).mean()),
            "prior_images": np.clip(vae.decode_mean(prior[:16]), 0, 16), "codes": z_all, "prior": prior,
            "mmd_diffusion": mmd2(z_all, codes_test[:300]), "mmd_prior": mmd2(prior, codes_test[:300])}


def latent_section() -> None:
    st.markdown(ctx.t("latent_lead"))
    with guard():
        latent_views()
    with st.expander(ctx.t("explain_latent"), icon=":material/school:"):
        ctx.md("latent")


def latent_views() -> None:
    label = st.segmented_control(ctx.t("digit_class"), list(range(10)), key=ctx.key("latent_class"), default=7)
    c2, c3 = st.columns(2)
    label = 7 if label is None else int(label)
    guidance = c2.slider(ctx.t("guidance"), 0.0, 6.0, 1.0, 0.5, key=ctx.key("latent_guidance"), help=ctx.t("guidance_help"))
    steps = c3.segmented_control(ctx.t("ddim_steps"), D.DDIM_STEP_CHOICES, key=ctx.key("latent_steps"), default=50) or 50
    with st.spinner(ctx.t("latent_loading")):
        vae, model, codes_test, shipped = latent_models()
    run = latent_run(label, float(guidance), int(steps), ctx.seed)
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
        dims = np.argsort(codes_test.var(axis=0))[::-1][:2]
        clouds = [(run["prior"][:, dims], ctx.t("latent_codes_prior"), P.SECOND_COLOUR),
                  (run["codes"][:, dims], ctx.t("latent_codes_diffusion"), P.SAMPLE_COLOUR)]
        box = box_for(np.r_[codes_test[:, dims], run["prior"][:, dims]])
        fig = P.points_figure(box, codes_test[:, dims], clouds, ctx.t("latent_codes_data"), height=430)
        fig.update_xaxes(title_text=f"z{dims[0] + 1}")
        fig.update_yaxes(title_text=f"z{dims[1] + 1}")
        ctx.chart(fig, key="latent_fig", config=CHART)
        m1, m2 = st.columns(2)
        mmd_metric(m1, ctx.t("mmd_codes_diffusion"), run["mmd_diffusion"], ctx.t("mmd_codes_help"), ".3f")
        mmd_metric(m2, ctx.t("mmd_codes_prior"), run["mmd_prior"], ctx.t("mmd_codes_help"), ".3f")
        st.caption(ctx.t("latent_scatter_legend", d=D.LATENT_DIM))


# ---------------------------------------------------------------- the big picture

def models_section() -> None:
    ctx.md("comparison")


st.markdown(ctx.t("lead"))
with guard():
    section = st.segmented_control(ctx.t("section"), SECTIONS, format_func=ctx.labeler("diffusion.sections"), key=ctx.key("section"),
                                   default="forward") or "forward"
    {"forward": forward_section, "reverse": reverse_section, "digits": digits_section,
     "latent": latent_section, "models": models_section}[section]()
