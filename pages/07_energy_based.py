"""Page 7: energy-based models. Likely points get low energy; sample by rolling downhill with noise."""

import numpy as np
import streamlit as st

from engine.data import points
from engine.families import energy
from ui import charts, energy_live, plots_energy as P
from ui.data_input import dataset_picker
from ui.digit_images import picture
from ui.shell import PageContext, guard, section, setup, t

ctx = setup("energy_based")
SECTIONS = ("landscape", "langevin", "training", "score", "digits", "practice")
TEMPERATURES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
STEP_SIZES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0)
STEP_COUNTS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
PARTICLES = (100, 250, 500, 1000, 2000)
PRESETS = {"good": (0.1, 500, 1.0), "big_step": (2.0, 200, 1.0), "few_steps": (0.1, 5, 1.0), "no_noise": (0.1, 500, 0.0)}
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 1.0, 10.0)
TARGETS = (100, 300, 600, 1000, 2000)
NEEDS = points.DataNeeds(min_points=13, check=energy.check_data)  # 10 to train once a fifth is held out
CHART = {"displaylogo": False}
SCORE_GRID = 60  # the score field's heat map: 60 × 60 cells of ~7 px on its 520 px (90 × 90 sent twice the bytes, unseen)
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


# ---------------------------------------------------------------- cached engine calls

@st.cache_resource(max_entries=4, show_spinner=False)
def source(name: str) -> energy.EnergySource:
    return energy.energy_source(name)


@st.cache_resource(max_entries=24, show_spinner=False)
def shipped_model(name: str, regime: str) -> energy.EnergyModel:
    return energy.shipped.load_2d(name, regime)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def landscape(name: str, temperature: float, resolution: int = 120):
    s = source(name)
    return energy.on_grid(s.energy, s.box, resolution, temperature)


@charts.shared_figures(max_entries=8, ttl=3600, show_spinner=False)  # shared, read-only: a figure per setting and language
def langevin_figures(name: str, step: float, n_steps: int, n: int, noise: float, temperature: float, seed: int, lang: str):
    """The run, its animation and its distance curve, built once per setting and language (the animation carries
    every frame and trail, so rebuilding it was most of a warm rerun)."""
    run = langevin_run(name, step, n_steps, n, noise, temperature, seed)
    c = PageContext(ctx.page, lang, 0)
    anim = P.langevin_animation(run["grid"], run["frames"], run["frame_steps"], c.t("energy_axis"), c.t("particles_name"),
                                c.t("trails_name"), c.t("frame_label"), c.t("play"), c.t("pause"))
    curve = P.distance_curve(run["frame_steps"], run["mmd_curve"], c.t("step_axis"), c.t("mmd_axis"), c.t("mmd_name"),
                             run["mmd_exact"], c.t("mmd_exact"))
    return run, anim, curve


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def langevin_run(name: str, step: float, n_steps: int, n: int, noise: float, temperature: float, seed: int) -> dict:
    return energy.langevin_run(source(name), step, n_steps, n, noise, temperature, seed, resolution=100)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def regime_view(name: str, regime: str) -> dict:
    model = shipped_model(name, regime)
    samples, long_run = energy.shipped.shipped_samples(name, regime)
    return {"grid": model.density_grid(resolution=90), "samples": samples, "long": long_run,
            "metrics": energy.shipped.shipped_metrics(name, regime), "K": model.config.train.langevin_steps}


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def score_view(name: str) -> dict:
    model = shipped_model(name, "dsm")
    P_, S = energy.score_field(model, model.box_)
    return {"grid": model.density_grid(resolution=SCORE_GRID), "points": P_, "score": S,
            "samples": energy.shipped.shipped_samples(name, "dsm")[1]}


@charts.shared_figures(max_entries=2 * 8, ttl=3600)  # shared, read-only: a figure per data set and language
def score_figure(name: str, lang: str):
    """The learned energy, its long-run samples and the score's arrows, built and serialised once per data set and
    language (it was built on every run)."""
    v, c = score_view(name), PageContext(ctx.page, lang, 0)
    box = tuple(float(x) for x in (v["grid"].xs[0], v["grid"].xs[-1], v["grid"].ys[0], v["grid"].ys[-1]))
    fig = P.points_over_energy(v["grid"], [(v["samples"], c.t("samples_long", K=c.num(energy.shipped.LONG_RUN, ",")), P.PARTICLE_COLOUR)],
                               c.t("energy_axis"), height=520)
    P.add_arrows(fig, v["points"], v["score"], 0.9 * (box[1] - box[0]) / 17, c.t("arrows"))
    return fig


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def digit_run(n_steps: int, seed: int) -> dict:
    return energy.digits.langevin_samples(n_steps, seed)


# ---------------------------------------------------------------- sections

def temperature_slider(key: str = "temperature") -> float:
    return float(st.select_slider(ctx.t("temperature"), TEMPERATURES, value=1.0, key=ctx.key(key), help=ctx.t("temperature_help")))


def landscape_section() -> None:
    st.markdown(ctx.t("landscape_lead"))
    c1, c2, c3 = st.columns([2, 3, 1])
    name = c1.selectbox(ctx.t("landscape"), energy.SOURCES, format_func=ctx.labeler("energy_based.landscapes"), key=ctx.key("landscape"))
    with c2:
        T = temperature_slider()
    surface = c3.toggle(ctx.t("surface"), key=ctx.key("surface"))
    g = landscape(name, T)
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(ctx.t("energy_title"))
        ctx.chart(P.energy_figure(g, ctx.t("energy_axis")), key="energy_fig", config=CHART)
    with right:
        st.subheader(ctx.t("density_title", T=ctx.num(T, "g")))
        ctx.chart(P.density_figure(g, ctx.t("density_axis")), key="density_fig", config=CHART)
    st.caption(ctx.t("landscape_legend"))
    n = len(g.xs)
    m1, m2, m3 = st.columns(3)
    m1.metric(ctx.t("log_z"), ctx.num(g.log_z, ".3f"), help=ctx.t("log_z_help", n=n, cells=ctx.num(n * n, ",")))
    m2.metric(ctx.t("mass"), ctx.num(g.total_mass(), ".4f"), help=ctx.t("mass_help"))
    exponent = f"{784 * np.log10(n):.0f}".translate(SUPERSCRIPT)
    m3.metric(ctx.t("cells_784"), f"{n}⁷⁸⁴ ≈ 10{exponent}", help=ctx.t("cells_784_help", n=n))
    if surface:
        ctx.chart(P.surface_figure(g, ctx.t("energy_axis")), key="surface_fig", config=CHART)
    with st.expander(ctx.t("explain_boltzmann"), icon=":material/school:"):
        ctx.md("boltzmann")


def apply_preset() -> None:
    step, n_steps, noise = PRESETS[st.session_state[ctx.key("preset")]]
    st.session_state[ctx.key("step_size")] = step
    st.session_state[ctx.key("n_steps")] = n_steps
    st.session_state[ctx.key("noise")] = noise


@section
def langevin_section() -> None:
    with guard():
        _langevin_section()


def _langevin_section() -> None:
    st.markdown(ctx.t("langevin_lead"))
    st.latex(r"x \leftarrow x - \frac{\varepsilon^2}{2}\,\frac{\nabla_x E(x)}{T} + \lambda\,\varepsilon\,\xi,\qquad \xi \sim \mathcal{N}(0, I)")
    c0, c1 = st.columns([2, 3])
    name = c0.selectbox(ctx.t("landscape"), energy.SOURCES, format_func=ctx.labeler("energy_based.landscapes"), key=ctx.key("langevin_landscape"))
    c1.segmented_control(ctx.t("preset"), list(PRESETS), format_func=ctx.labeler("energy_based.presets"), key=ctx.key("preset"),
                         on_change=apply_preset, help=ctx.t("preset_help"))
    c = st.columns(4)
    step = c[0].select_slider(ctx.t("step_size"), STEP_SIZES, value=0.1, key=ctx.key("step_size"), help=ctx.t("step_size_help"))
    n_steps = c[1].select_slider(ctx.t("n_steps"), STEP_COUNTS, value=500, key=ctx.key("n_steps"), help=ctx.t("n_steps_help"))
    n = c[2].select_slider(ctx.t("particles"), PARTICLES, value=500, key=ctx.key("particles"))
    noise = c[3].slider(ctx.t("noise"), 0.0, 1.5, 1.0, 0.05, key=ctx.key("noise"), help=ctx.t("noise_help"))
    T = float(st.session_state.get(ctx.key("temperature"), 1.0))
    with st.spinner(ctx.t("sampling")):
        run, fig, curve = langevin_figures(name, float(step), int(n_steps), int(n), float(noise), T, ctx.seed, ctx.lang)
    left, right = st.columns([3, 2], gap="large")
    with left:
        ctx.chart(fig, key="langevin_fig", config=CHART, export=True)
        st.caption(ctx.t("langevin_legend", shown=len(run["frames"][0]), n=run["n"], T=ctx.num(T, "g")))
    with right:
        st.subheader(ctx.t("distance_title"))
        ctx.chart(curve, key="distance_fig", config=CHART)
        st.caption(ctx.t("distance_legend"))
        m1, m2 = st.columns(2)
        m1.metric(ctx.t("mmd_final"), ctx.num(run["mmd_final"], ".4f"), help=ctx.t("mmd_help"))
        m2.metric(ctx.t("escaped"), f"{run['escaped']} / {run['n']}", help=ctx.t("escaped_help"))
        diagnose(run, float(step), int(n_steps), float(noise))
    with st.expander(ctx.t("explain_langevin"), icon=":material/school:"):
        ctx.md("langevin")


def diagnose(run: dict, step: float, n_steps: int, noise: float) -> None:
    """Say what went wrong, in words, when it did."""
    if run["escaped"]:
        st.error(ctx.t("diag_escaped", k=run["escaped"], n=run["n"], step=run["escaped_at"], eps=ctx.num(step, "g")), icon=":material/rocket_launch:")
    elif noise == 0:
        st.warning(ctx.t("diag_no_noise"), icon=":material/vertical_align_bottom:")
    elif run["mmd_final"] > max(0.02, 4 * abs(run["mmd_exact"])):
        st.warning(ctx.t("diag_far", steps=n_steps, mmd=ctx.num(run["mmd_final"], ".3f")), icon=":material/hourglass_top:")
    else:
        st.success(ctx.t("diag_good"), icon=":material/check_circle:")


def training_section() -> None:
    st.markdown(ctx.t("training_lead"))
    st.latex(r"\nabla_\theta \log p_\theta(x) = -\,\mathbb{E}_{\text{data}}\!\left[\nabla_\theta E_\theta\right] + \mathbb{E}_{p_\theta}\!\left[\nabla_\theta E_\theta\right]")
    key = ctx.key("dataset")
    if key not in st.session_state:
        st.session_state[key] = "ring8"
        st.session_state[ctx.key("noise_ring8")] = energy.shipped.DATA_NOISE["ring8"]
    ds = dataset_picker(ctx, default="ring8", needs=NEEDS)
    c = st.columns(4)
    regime = c[0].selectbox(ctx.t("regime"), energy.shipped.REGIMES, format_func=ctx.labeler("energy_based.regimes"), key=ctx.key("regime"),
                            help=ctx.t("regime_help"), on_change=regime_defaults)
    if ctx.key("chain_steps") not in st.session_state:
        regime_defaults()
    K = c[1].slider(ctx.t("chain_steps"), 1, 60, key=ctx.key("chain_steps"), help=ctx.t("chain_steps_help"), disabled=regime == "dsm")
    lr = c[2].select_slider(ctx.t("lr"), LEARNING_RATES, key=ctx.key("lr"), help=ctx.t("lr_help"))
    target = c[3].select_slider(ctx.t("target"), TARGETS, value=300, key=ctx.key("target"), help=ctx.t("target_help"))
    with guard():
        energy_live.live_training(ctx, ds, regime, int(K), float(lr), int(target))
    st.subheader(ctx.t("regimes_title"))
    with guard():
        regimes_comparison()
    with st.expander(ctx.t("explain_cd"), icon=":material/school:"):
        ctx.md("contrastive_divergence")


def regime_defaults() -> None:
    """A new regime starts from its own recipe's chain length and learning rate."""
    train = energy.shipped.config_2d(st.session_state.get(ctx.key("regime"), "short_run")).train
    st.session_state[ctx.key("chain_steps")] = train.langevin_steps
    st.session_state[ctx.key("lr")] = train.lr


def regimes_comparison() -> None:
    name = st.session_state.get(ctx.key("dataset"), "ring8")
    name = name if name in points.BUILTIN else "ring8"
    st.markdown(ctx.t("regimes_lead", data=t(f"data.{name}")))
    cols = st.columns(3, gap="medium")
    for col, regime in zip(cols, energy.shipped.REGIMES):
        v = regime_view(name, regime)
        m = v["metrics"]
        with col:
            st.markdown(f"**{ctx.t(f'regimes.{regime}')}**")
            clouds = [(v["samples"], ctx.t("samples_k", K=v["K"]) if regime != "dsm" else ctx.t("samples_k", K=300), P.DATA_COLOUR),
                      (v["long"], ctx.t("samples_long", K=ctx.num(energy.shipped.LONG_RUN, ",")), P.PARTICLE_COLOUR)]
            ctx.chart(P.points_over_energy(v["grid"], clouds, ctx.t("energy_axis"), height=360, showscale=False), key=f"regime_{regime}", config=CHART,
                      fit_width=280)  # a third of the page: its legend over the plot wraps
            a, b = st.columns(2)
            a.metric(ctx.t("mmd_short"), ctx.num(m.get("mmd2", float("nan")), ".4f"), help=ctx.t("mmd_help"))
            b.metric(ctx.t("mmd_long"), ctx.num(m.get("mmd2_long", float("nan")), ".4f"),
                     help=ctx.t("mmd_long_help", K=ctx.num(energy.shipped.LONG_RUN, ",")))
            st.metric(ctx.t("heldout"), ctx.num(m.get("heldout_log_density", float("nan")), ".3f"), help=ctx.t("heldout_help"))
    st.caption(ctx.t("regimes_legend"))


def score_section() -> None:
    st.markdown(ctx.t("score_lead"))
    st.latex(r"s_\theta(x) = -\nabla_x E_\theta(x),\qquad \mathcal{L} = \tfrac{1}{2}\,\mathbb{E}\,\big\|\sigma\, s_\theta(x + \sigma n) + n\big\|^2,\quad n \sim \mathcal{N}(0, I)")
    score_field_part()
    st.page_link("pages/05_diffusion.py", label=ctx.t("to_diffusion"), icon=":material/blur_on:", query_params={"lang": ctx.lang})
    with st.expander(ctx.t("explain_score"), icon=":material/school:"):
        ctx.md("score_matching")


@section
def score_field_part() -> None:
    """The data set's learned score field: its picker reruns only this part."""
    with guard():
        name = st.selectbox(ctx.t("score_data"), list(points.BUILTIN), format_func=ctx.labeler("data"), key=ctx.key("score_data"))
        ctx.chart(score_figure(name, ctx.lang), key="score_fig", config=CHART)
        st.caption(ctx.t("score_legend"))


def digits_section() -> None:
    st.markdown(ctx.t("digits_lead"))
    n_steps = st.select_slider(ctx.t("digit_steps"), energy.digits.STEP_CHOICES, value=energy.digits.SAMPLE_STEPS, key=ctx.key("digit_steps"),
                               help=ctx.t("digit_steps_help"))
    with st.spinner(ctx.t("sampling")):
        run = digit_run(int(n_steps), ctx.seed)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader(ctx.t("digit_film_title"))
        st.image(picture(run["film"], n_cols=len(run["film_steps"]), zoom=5), caption=ctx.t("digit_film_caption", steps=", ".join(map(str, run["film_steps"]))))
    with right:
        st.subheader(ctx.t("digit_grid_title", n=len(run["samples"])))
        st.image(picture(run["samples"], n_cols=8, zoom=5))
        st.metric(ctx.t("digit_classes"), run["n_classes"], help=ctx.t("digit_classes_help"))
        st.caption(ctx.t("digit_counts", counts=" · ".join(f"{d}: {c}" for d, c in enumerate(run["counts"]))))
    st.caption(ctx.t("digits_legend", params=ctx.num(run["params"], ",")))
    with st.expander(ctx.t("explain_digits"), icon=":material/school:"):
        ctx.md("digits")


st.markdown(ctx.t("lead"))
with guard():
    section = st.segmented_control(ctx.t("section"), SECTIONS, format_func=ctx.labeler("energy_based.sections"), key=ctx.key("section"),
                                   default="landscape") or "landscape"
    {"landscape": landscape_section, "langevin": langevin_section, "training": training_section, "score": score_section,
     "digits": digits_section, "practice": lambda: ctx.md("practice")}[section]()

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
