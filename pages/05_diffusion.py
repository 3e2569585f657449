"""Page 5: diffusion. Destroy data with noise (forward), learn to undo it (reverse)."""

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import streamlit as st

from engine.data import points
from engine.families import diffusion as D
from ui import live, share, text
from ui import plots_diffusion as P
from ui import views_diffusion as V
from ui.data_input import OWN, dataset_picker
from ui.diffusion_sections import compare_forward, compare_points, digits_section, latent_section, live_training, mmd_metric
from ui.shell import guard, section, setup

ctx = setup("diffusion")
# Own points both sections can use: the reverse one trains on them (forward alone would take any points).
NEEDS = points.DataNeeds(min_points=10, check=D.check_2d_data)
SECTIONS = ("forward", "reverse", "digits", "latent", "models")
SOURCES = ("points", "digits", "photo")
CHART = {"displaylogo": False}


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


def linked_t(T: int, key: str, label: str = "t", low: int = 0) -> int:
    """The t a figure scrubbed in the browser opens at: T // 10 by default, or a link's (``t_forward``: the two roads'
    t, a Streamlit slider for digits and the photo; ``t_field``: the score field's), within ``low``…T. A value that is
    no whole number says so once. ``key``: the setting's whole key, ``ctx.key("…")`` written out, so that a fresh server
    knows a link's name (ui/share.py reads the names written in ``key("…")`` calls)."""
    default = max(low, T // 10)
    value = st.session_state.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        del st.session_state[key]
        (st.session_state.get(share.PENDING) or {}).pop(key, None)
        st.warning(text.lookup(ctx.lang, "share.bad_value", name=ctx.t(label), value=text.literal(share.encode(value)[:60])),
                   icon=":material/link_off:")
        value = default
    return min(max(int(value), low), T)


def t_slider(label: str, T: int, name: str, default: int, low: int = 0) -> int:
    key = ctx.key(name)
    if key in st.session_state and not low <= st.session_state[key] <= T:
        st.session_state[key] = min(max(st.session_state[key], low), T)
    return st.slider(label, low, T, min(default, T), 1, key=key, help=ctx.t("t_help"))


# ---------------------------------------------------------------- forward process

@section
def forward_section() -> None:
    """The forward process. Its controls (the schedule, T, the β ends, the source, the data) feed only this section, the
    one on screen: moving one reruns only it (it held a whole-page rerun's sidebar and header too)."""
    st.markdown(ctx.t("forward_lead"))
    config = schedule_controls()
    sched = D.NoiseSchedule(config)  # raises a clear message for T = 1, ᾱ = 0, ᾱ > 1
    source = st.segmented_control(ctx.t("source"), SOURCES, format_func=ctx.labeler("diffusion.sources"), key=ctx.key("source"),
                                  default="points") or "points"
    ds = dataset_picker(ctx, default="swiss_roll", needs=NEEDS) if source == "points" else None  # full width: its labels fit
    if source == "points" and ds is None:
        return
    X0 = D.check_2d_data(ds.X) if ds is not None else None
    st.latex(r"q(x_t \mid x_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\,x_0,\;(1-\bar\alpha_t)\,I\big)")
    # every timestep at once, scrubbed in the browser; it opens at the t of the comparison below (a link's t)
    opening = linked_t(sched.T, ctx.key("t_forward"))
    with st.spinner(ctx.t("forward_building")):
        fig = V.forward_figure(source, config, X0, ctx.seed, opening, ctx.lang)
    ctx.chart(fig, key="forward_fig", config=CHART)
    st.caption(ctx.t("forward_scrub"))
    st.caption(ctx.t("forward_points_legend") if source == "points" else ctx.t("forward_images_legend"))
    st.caption(ctx.t("schedule_legend"))
    st.markdown(ctx.t("schedule_end", T=sched.T, alpha_bar_T=ctx.num(sched.alphas_cumprod[-1], ".2g")))
    if sched.alphas_cumprod[-1] > 0.05:
        st.warning(ctx.t("alpha_bar_T_high", value=ctx.num(sched.alphas_cumprod[-1], ".2f")), icon=":material/warning:")
    strip_ts = D.strip_timesteps(sched.T)
    if source == "digits":
        picks, _ = V.forward_digits()
        strip = D.noisy_images(picks[:4].reshape(4, 8, 8), sched, strip_ts, seed=ctx.seed)  # (ts, 4, 8, 8)
        ctx.chart(P.image_grid(strip.transpose(1, 0, 2, 3) * 16, [f"t={s}" for s in strip_ts], None, 16, ctx.t("pixel")),
                  key="digits_strip", config=CHART)
    elif source == "photo":
        strip = D.noisy_images(V.photo()[None], sched, strip_ts, seed=ctx.seed)[:, 0]
        ctx.chart(P.rgb_strip(strip, [f"t={s}" for s in strip_ts]), key="photo_strip", config=CHART)
    compare_section(source, config, X0)
    with st.expander(ctx.t("explain_forward"), icon=":material/school:"):
        ctx.md("forward")


def forward_x0(source: str, X0: np.ndarray | None) -> np.ndarray:
    """x_0 (rows = examples) for the two roads: the points, 400 digits, or the photo in model space."""
    if source == "points":
        return X0
    if source == "digits":
        return V.forward_digits()[1]
    return D.to_model_space(V.photo()).reshape(1, -1)


@section
def compare_section(source: str, config: D.ScheduleConfig, X0: np.ndarray | None) -> None:
    """The two roads: points at every t, scrubbed in the browser; digits or the photo at one t, whose slider reruns only
    this section."""
    with guard():
        sched = D.NoiseSchedule(config)
        st.subheader(ctx.t("compare_title"))
        if source == "points":  # every t in the figure, scrubbed in the browser
            st.markdown(ctx.t("compare_lead_points"))
            compare_points(ctx, X0, config, linked_t(sched.T, ctx.key("t_forward")))
            return
        st.markdown(ctx.t("compare_lead"))
        t = t_slider(ctx.t("t"), sched.T, "t_forward", sched.T // 10)
        mean_factor, var = sched.marginal(t)
        tex_num = lambda v: ctx.num(v, ".3f").replace(",", "{,}")  # noqa: E731  (a decimal comma without TeX's space)
        st.latex(rf"t = {t}:\quad \sqrt{{\bar\alpha_{{t}}}} = {tex_num(mean_factor)},\quad 1-\bar\alpha_{{t}} = {tex_num(var)}")
        with st.spinner(ctx.t("compare_running", t=t)):
            compare_forward(ctx, source, forward_x0(source, X0), config, t)


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
        model = V.pretrained_2d(name)
        info = D.pretrained_metrics(name)
        st.caption(ctx.t("pretrained_caption", steps=info.get("steps", "?"), noise=info.get("data", {}).get("noise", "?"),
                         T=model.schedule.T, schedule=ctx.t(f"schedules.{model.config.schedule.schedule}")))
    else:
        model, name = live_training(ctx, data), None
        if model is None:
            return
    st.divider()
    with guard():
        left, right = st.columns(2, gap="large")
        with left:
            reverse_part(model, name, data)
        with right:
            field_part(model, name, data)
        with in_hand(model, name) as model_id:
            if model_id is not None:
                quality_part(model, model_id, data)
        if model_id is None:
            live.show_busy()
    with st.expander(ctx.t("explain_reverse"), icon=":material/school:"):
        ctx.md("reverse")
    with st.expander(ctx.t("explain_samplers"), icon=":material/school:"):
        ctx.md("samplers")


@contextmanager
def in_hand(model: D.DiffusionModel, name: str | None) -> Iterator[tuple | None]:
    """The model's cache id while it may be used: a shipped model at once; a live one under its lock (an older run may
    still be finishing a tick on it), and None if another thread kept it."""
    if name is not None:
        yield ("pretrained", name)
        return
    with live.hold(model) as held:
        yield ("live", id(model), model.step_) if held else None


@section
def reverse_part(model: D.DiffusionModel, name: str | None, data: np.ndarray) -> None:
    """The reverse-process animation and its distances: the sampler and its steps rerun only this part."""
    with guard():
        st.subheader(ctx.t("animation_title"))
        sampler = st.segmented_control(ctx.t("sampler"), ("ddpm", "ddim"), format_func=ctx.labeler("diffusion.samplers"),
                                       key=ctx.key("sampler"), default="ddim") or "ddim"
        steps = st.segmented_control(ctx.t("ddim_steps"), D.DDIM_STEP_CHOICES, key=ctx.key("ddim_steps"), default=20,
                                     disabled=sampler == "ddpm", help=ctx.t("ddim_steps_help", T=model.schedule.T)) or 20
        if sampler == "ddim":
            model.schedule.ddim_timesteps(steps)  # more steps than T: a clear message
        with in_hand(model, name) as model_id:
            if model_id is not None:
                with st.spinner(ctx.t("sampling_running", n=ctx.num(V.SAMPLE_POINTS, ","))):
                    run = V.reverse_run(model, model_id, sampler, int(steps), ctx.seed, data)
        if model_id is None:
            live.show_busy()
            return
        fig = V.animation_figure(model_id, sampler, int(steps), ctx.seed, V.box_for(data, 2.8), data, ctx.lang, run)
        ctx.chart(fig, key="reverse_fig", config=CHART, export=True)
        st.caption(ctx.t("animation_legend", n=V.ANIM_POINTS))
        m1, m2 = st.columns(2)
        mmd_help = ctx.t("mmd2_help", samples=ctx.num(run["mmd_sizes"][0], ","), points=ctx.num(run["mmd_sizes"][1], ","))
        mmd_metric(ctx, m1, ctx.t("mmd2"), run["mmd2"], mmd_help)
        m2.metric(ctx.t("swd"), ctx.num(run['swd'], ".3f"), help=ctx.t("swd_help"))


@section
def field_part(model: D.DiffusionModel, name: str | None, data: np.ndarray) -> None:
    """The learned score's arrows at every noise level of ``V.field_timesteps``: its slider scrubs t in the browser
    (it opens at T // 10, or at a link's ``t_field``)."""
    with guard():
        st.subheader(ctx.t("field_title"))
        T = model.schedule.T
        ts = V.field_timesteps(T)
        start = V.nearest(ts, linked_t(T, ctx.key("t_field"), "t_field", low=1))
        box = V.box_for(data, 2.8)
        with in_hand(model, name) as model_id:
            if model_id is not None:
                fields = V.score_fields(model, model_id, box, tuple(ts), data, ctx.seed)
        if model_id is None:
            live.show_busy()
            return
        ctx.chart(V.field_figure(model_id, box, tuple(ts), start, ctx.seed, data, ctx.lang, fields), key="field_fig", config=CHART)
        st.caption(ctx.t("field_scrub", n=len(ts)))
        st.caption(ctx.t("field_legend"))


def quality_part(model: D.DiffusionModel, model_id: tuple, data: np.ndarray) -> None:
    T = model.schedule.T
    st.subheader(ctx.t("quality_title"))
    with st.spinner(ctx.t("quality_running")):
        rows = V.quality_rows(model, model_id, data, ctx.seed)
    q1, q2 = st.columns(2)
    fig_mmd, fig_swd = V.quality_figures(model_id, ctx.seed, data, T, ctx.lang, rows)
    ctx.chart(where=q1, fig=fig_mmd, key="quality_mmd", config=CHART)
    ctx.chart(where=q2, fig=fig_swd, key="quality_swd", config=CHART)
    st.caption(ctx.t("quality_legend"))
    if model_id[0] == "pretrained" and D.pretrained_metrics(model_id[1]).get("quality"):
        st.caption(ctx.t("quality_pretrained_note"))


# ---------------------------------------------------------------- the big picture

def models_section() -> None:
    ctx.md("comparison")


st.markdown(ctx.t("lead"))
with guard():
    section = st.segmented_control(ctx.t("section"), SECTIONS, format_func=ctx.labeler("diffusion.sections"), key=ctx.key("section"),
                                   default="forward") or "forward"
    {"forward": forward_section, "reverse": reverse_section, "digits": lambda: digits_section(ctx),
     "latent": lambda: latent_section(ctx), "models": models_section}[section]()

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
