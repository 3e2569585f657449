"""Page 4: a generator and a discriminator play a game in the plane, and on 8×8 digits."""

from functools import partial

import streamlit as st

from engine.core.errors import InputError
from engine.data import points
from engine.families import gan
from ui import gan_cycle as cycle
from ui import gan_growing as growing
from ui import gan_sections as sections
from ui import gan_style as style
from ui import gan_variants as variants
from ui import live_panel
from ui.data_input import dataset_picker
from ui.shell import guard, setup, show_input_error

ctx = setup("gan")
PRESET_NAMES = (*gan.PRESETS, "custom")
VARIANTS = ("truncation", "dcgan", "cycle", "growing", "style")  # the tabs of GAN variants (a link says tab=cycle)
LOADED = ctx.state_key("loaded")  # the preset "Train this one live above" loaded, until the settings change


# ---------------------------------------------------------------- settings

def apply_preset() -> None:
    """Copy the chosen preset into the setting widgets, and put the ring back as the data."""
    st.session_state.pop(LOADED, None)
    name = st.session_state[ctx.key("preset")]
    if name not in gan.PRESETS:
        return
    cfg = gan.PRESETS[name]
    for w in gan.SETTINGS:
        st.session_state[ctx.key(w)] = getattr(cfg, w)
    ring = points.BUILTIN[gan.RING]
    st.session_state[ctx.key("dataset")] = gan.RING
    st.session_state[ctx.key(f"noise_{gan.RING}")] = ring.default_noise
    st.session_state[ctx.key("n_points")] = ring.default_n
    sections.pause(ctx)


def mark_custom() -> None:
    st.session_state.pop(LOADED, None)
    st.session_state[ctx.key("preset")] = "custom"
    sections.pause(ctx)


def optimizer_changed() -> None:
    if st.session_state.get(ctx.key("optimizer")) is None:  # a segmented control can be emptied by a second click
        st.session_state[ctx.key("optimizer")] = "adam"
    mark_custom()


def load_preset_live(name: str) -> None:
    """"Train this one live above": the preset's settings, the ring and its shipped weights in the live view."""
    st.session_state[ctx.key("preset")] = name
    apply_preset()
    st.session_state[LOADED] = name


def init_defaults() -> None:
    if ctx.key("preset") not in st.session_state:
        st.session_state[ctx.key("preset")] = "fixed"
        apply_preset()


def current_config() -> gan.GanConfig:
    """The settings as a config; a preset's settings keep its own betas (the trainer's seed is the page seed)."""
    return gan.settings_config(**{w: st.session_state[ctx.key(w)] for w in gan.SETTINGS})


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


# ---------------------------------------------------------------- the page

st.markdown(ctx.t("lead"))
with guard():
    init_defaults()
    st.header(ctx.t("live_title"), anchor=sections.LIVE_ANCHOR)
    if st.session_state.get(LOADED) in gan.PRESETS:
        st.success(ctx.t("live_loaded", section=ctx.t("collapse_title"), preset=ctx.t(f"presets.{st.session_state[LOADED]}"),
                         steps=ctx.num(gan.PRESET_BUDGET, ",")), icon=":material/check_circle:")
    st.selectbox(ctx.t("preset"), PRESET_NAMES, format_func=ctx.labeler("gan.presets"), key=ctx.key("preset"),
                 on_change=apply_preset, help=ctx.t("preset_help"))
    ds = dataset_picker(ctx, default=gan.RING, needs=points.DataNeeds(min_points=8))  # GanTrainer's minimum
    if ds is not None:
        with st.expander(ctx.t("settings"), icon=":material/tune:", expanded=False):
            settings_panel()
            st.caption(ctx.t("settings_note"))
        try:
            sections.live_section(ctx, ds, current_config().check())
        except InputError as err:
            show_input_error(err)
        sections.slow_motion_section(ctx)
        sections.replay_section(ctx)
sections.collapse_section(ctx, st.session_state.get(LOADED), load_preset_live)
sections.digits_section(ctx)

st.header(ctx.t("variants.title"))
st.markdown(ctx.t("variants.lead"))
tabs = ctx.tabs(VARIANTS, [ctx.t(f"variants.{name}") for name in VARIANTS], key="gan_tab")
for tab, variant in zip(tabs, (variants.truncation_section, variants.dcgan_section, cycle.cycle_section, growing.growing_section,
                               style.style_section)):
    with tab:
        if tab.open:  # lazy: only the open tab's content runs (its models, trainer and figures are made when it opens)
            variant(ctx)

st.divider()
ctx.md("explanation")

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
