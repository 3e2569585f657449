"""Page 2: the classic generative models — a Gaussian mixture fitted by EM, and hidden Markov models."""

import numpy as np
import pandas as pd
import streamlit as st

from engine.core.errors import InputError
from engine.data import points
from engine.families import hmm, mixture
from ui import plots_mixtures_and_hmm as plots
from ui.data_input import dataset_picker
from ui.hmm_editor import hmm_editor
from ui.views_mixtures_and_hmm import (fit_mixture, generate_figure, generated_figure, hmm_names, hmm_sequence,
                                       learned_figures, regime_figures, regime_names, regimes, replay_figure,
                                       selection_figure, timeline_figure)
from ui.shell import guard, section, setup, show_input_error

ctx = setup("mixtures_and_hmm")
PAGE = ctx.page
# Own points: 13 leave 10 for training once a quarter is held out, so every K on the slider can be fitted.
NEEDS = points.DataNeeds(min_points=13)
CHART = {"displaylogo": False}


# ---------------------------------------------------------------- part 1: Gaussian mixture
# Each part is a section (its controls rerun only it); inside, the sampling controls rerun only their own figure.

@section
def generate_section(X, k, cov, init, seed) -> None:
    st.subheader(ctx.t("generate_title"))
    g1, g2 = st.columns(2)
    n_new = g1.slider(ctx.t("n_new"), 0, 2000, 300, 50, key=ctx.key("n_new"), help=ctx.t("n_new_help"))
    mode = g2.radio(ctx.t("density_view"), ["contours", "heatmap"], format_func=ctx.labeler(f"{PAGE}.density_mode"),
                    horizontal=True, key=ctx.key("density_mode"))
    ctx.chart(generate_figure(X, k, cov, init, seed, ctx.seed, n_new, mode, ctx.lang), key="gmm_generate", config=CHART, export=True)
    st.caption(ctx.t("generate_legend"))


@section
def mixture_part() -> None:
    st.markdown(ctx.t("gmm_lead"))
    ds = dataset_picker(ctx, default="blobs", needs=NEEDS)
    if ds is None:
        return
    st.caption(ctx.t("labels_ignored"))
    c1, c2, c3, c4 = st.columns(4)
    k = c1.slider(ctx.t("n_components"), 1, mixture.MAX_COMPONENTS, 3, key=ctx.key("k"), help=ctx.t("n_components_help"))
    cov = c2.selectbox(ctx.t("covariance"), mixture.COVARIANCE_TYPES, format_func=ctx.labeler(f"{PAGE}.cov"),
                       key=ctx.key("cov"), help=ctx.t("covariance_help"))
    init = c3.radio(ctx.t("init"), mixture.INITS, index=mixture.INITS.index("random"), format_func=ctx.labeler(f"{PAGE}.init_kind"), horizontal=True,
                    key=ctx.key("init"), help=ctx.t("init_help"))
    em_seed = c4.number_input(ctx.t("em_seed"), 0, 9999, 0, 1, key=ctx.key("em_seed"), help=ctx.t("em_seed_help"))
    seed = int(ctx.seed * 10_000 + em_seed)  # the EM start; the train/test split follows the page seed only
    try:
        view = fit_mixture(ds.X, k, cov, init, seed, ctx.seed)
    except InputError as err:
        show_input_error(err)
        return
    hist = view.history

    st.subheader(ctx.t("replay_title"))
    ctx.chart(replay_figure(ds.X, k, cov, init, seed, ctx.seed, ctx.lang), key="em_replay", config=CHART, wide=True)
    st.caption(ctx.t("replay_legend"))
    shown = len(plots.frame_indices(len(hist.params)))
    if shown < len(hist.params):  # long runs are thinned to keep the figure light: say so
        st.caption(ctx.t("replay_subsampled", n=hist.n_iter, shown=shown, first=plots.MAX_FRAMES // 2))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(ctx.t("iterations"), hist.n_iter, help=ctx.t("iterations_help"))
    m2.metric(ctx.t("train_ll"), ctx.num(view.train_log_px, ".3f"), help=ctx.t("train_ll_help"))
    m3.metric(ctx.t("test_ll"), ctx.num(view.test_log_px, ".3f"), help=ctx.t("test_ll_help"))
    m4.metric(ctx.t("gain"), ctx.num(hist.log_likelihood[-1] - hist.log_likelihood[0], "+.3f"), help=ctx.t("gain_help"))
    if not hist.converged:
        st.info(ctx.t("not_converged", n=hist.n_iter), icon=":material/hourglass_bottom:")
    if hist.stopped_on_nan:
        st.warning(ctx.t("stopped_nan"), icon=":material/warning:")

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(ctx.t("selection_title"))
        sel, fig = selection_figure(ds.X, cov, ctx.seed, ctx.lang)
        ctx.chart(fig, key="bic_aic", config=CHART)
        st.caption(ctx.t("selection_legend", bic=sel.best_bic, aic=sel.best_aic))
    with right:
        generate_section(ds.X, k, cov, init, seed)
    with st.expander(ctx.t("explain_gmm"), icon=":material/school:"):
        ctx.md("gmm")


# ---------------------------------------------------------------- part 2: categorical HMM

@section
def learn_section(args, true_states: int, preset_key: str) -> None:
    """Baum-Welch on the sequence, and new sequences from what it learned (one section: both read the learned model)."""
    st.subheader(ctx.t("learn_title"))
    l1, l2 = st.columns(2)
    n_states = l1.slider(ctx.t("learn_states"), 1, hmm.MAX_STATES, true_states, key=ctx.key(f"learn_states_{preset_key}"),
                         help=ctx.t("learn_states_help"))
    matched = l2.toggle(ctx.t("match"), True, key=ctx.key("match"), help=ctx.t("match_help"))
    try:
        views = learned_figures(*args, n_states, matched, preset_key, ctx.lang)
    except InputError as err:
        show_input_error(err)
        return
    ctx.chart(views["curve"], key="bw_curve", config=CHART)
    learned = views["learned"]
    st.caption(ctx.t("bw_legend", n=len(learned.log_likelihood)))
    if learned.stopped_on_nan:
        st.warning(ctx.t("bw_stopped_nan"), icon=":material/warning:")
    elif not learned.converged:
        st.info(ctx.t("bw_not_converged", n=len(learned.log_likelihood)), icon=":material/hourglass_bottom:")
    # True and learned side by side, each at half the width: at a third, 6 learned states left cells too small to read.
    t1, t2 = st.columns(2, gap="medium")
    ctx.chart(where=t1, fig=views["true_trans"], key="true_trans", config=CHART)
    ctx.chart(where=t2, fig=views["learned_trans"], key="learned_trans", config=CHART)
    e1, e2 = st.columns(2, gap="medium")
    ctx.chart(where=e1, fig=views["true_emit"], key="true_emit", config=CHART)
    ctx.chart(where=e2, fig=views["learned_emit"], key="learned_emit", config=CHART)
    st.caption(ctx.t("matrices_legend"))
    with st.expander(ctx.t("explain_switching"), icon=":material/swap_horiz:", expanded=not matched):
        ctx.md("label_switching")

    hmm_generate_section(args, n_states, matched, preset_key)


@section
def hmm_generate_section(args, n_states: int, matched: bool, preset_key: str) -> None:
    st.subheader(ctx.t("hmm_generate_title"))
    n_gen = st.slider(ctx.t("n_generate"), 10, 300, 60, 10, key=ctx.key("n_generate"))
    ctx.chart(generated_figure(*args, n_states, matched, preset_key, n_gen, ctx.lang), key="hmm_generated", config=CHART, wide=True)
    st.caption(ctx.t("hmm_generate_legend"))


@section
def hmm_part() -> None:
    st.markdown(ctx.t("hmm_lead"))
    p1, p2, p3 = st.columns([2, 2, 1])
    preset_key = p1.selectbox(ctx.t("preset"), list(hmm.PRESETS), format_func=ctx.labeler(f"{PAGE}.preset_name"),
                              key=ctx.key("preset"))
    preset = hmm.PRESETS[preset_key]
    T_asked = p2.number_input(ctx.t("length"), 0, 1_000_000, 300, 50, key=ctx.key("length"), help=ctx.t("length_help", max=hmm.MAX_T))
    p3.button(ctx.t("resample"), icon=":material/casino:", key="hmm_resample", width="stretch",
              on_click=lambda: st.session_state.__setitem__(ctx.state_key("draw"), st.session_state.get(ctx.state_key("draw"), 0) + 1))
    st.caption(ctx.t(f"story.{preset_key}"))
    state_names, symbol_names = hmm_names(preset_key, ctx.lang)
    params = hmm_editor(ctx, preset, state_names, symbol_names)
    if params is None:
        return
    try:
        T, capped = hmm.bounded_length(T_asked)
    except InputError as err:
        show_input_error(err)
        return
    if capped:
        st.info(ctx.t("length_capped", n=int(T_asked), max=hmm.MAX_T), icon=":material/content_cut:")
    seed = ctx.seed * 1000 + int(st.session_state.get(ctx.state_key("draw"), 0))
    args = (params.startprob, params.transmat, params.emissionprob, T, seed)
    obs, z, path, post, loglik = hmm_sequence(*args)

    st.subheader(ctx.t("decode_title"))
    m1, m2, m3 = st.columns(3)
    m1.metric(ctx.t("viterbi_acc"), ctx.num(hmm.accuracy(path, z), ".1%"), help=ctx.t("viterbi_acc_help"))
    m2.metric(ctx.t("posterior_acc"), ctx.num(hmm.accuracy(post.argmax(axis=1), z), ".1%"), help=ctx.t("posterior_acc_help"))
    m3.metric(ctx.t("loglik"), ctx.num(loglik, ".1f"), help=ctx.t("loglik_help"))
    ctx.chart(timeline_figure(*args, preset_key, ctx.lang), key="hmm_timeline", config=CHART, wide=True)
    st.caption(ctx.t("timeline_legend"))

    learn_section(args, preset.params.n_states, preset_key)
    with st.expander(ctx.t("explain_hmm"), icon=":material/school:"):
        ctx.md("hmm")


# ---------------------------------------------------------------- part 3: Gaussian HMM on a signal

@section
def regime_part() -> None:
    st.markdown(ctx.t("regime_lead"))
    c1, c2, c3, c4 = st.columns(4)
    T = c1.slider(ctx.t("regime_length"), 100, 2000, 600, 100, key=ctx.key("regime_length"))
    stay = c2.slider(ctx.t("stay"), 0.5, 0.99, 0.95, 0.01, key=ctx.key("stay"), help=ctx.t("stay_help"))
    spread = c3.slider(ctx.t("spread"), 0.3, 2.5, 1.5, 0.1, key=ctx.key("spread"), help=ctx.t("spread_help"))
    n_states = c4.slider(ctx.t("regime_states"), 1, 5, 3, key=ctx.key("regime_states"), help=ctx.t("regime_states_help"))
    try:
        signal, fit = regimes(T, stay, spread, n_states, ctx.seed)
    except InputError as err:
        show_input_error(err)
        return
    names = regime_names(ctx.lang)
    signal_fig, hist_fig = regime_figures(T, stay, spread, n_states, ctx.seed, ctx.lang)
    m1, m2 = st.columns(2)
    m1.metric(ctx.t("hmm_acc"), ctx.num(fit.hmm_accuracy, ".1%"), help=ctx.t("hmm_acc_help"))
    m2.metric(ctx.t("gmm_acc"), ctx.num(fit.gmm_accuracy, ".1%"), delta=ctx.num(fit.gmm_accuracy - fit.hmm_accuracy, "+.1%"), help=ctx.t("gmm_acc_help"))
    ctx.chart(signal_fig, key="regime_signal", config=CHART, wide=True)
    st.caption(ctx.t("regime_legend"))
    left, right = st.columns(2, gap="large")
    with left:
        ctx.chart(hist_fig, key="regime_hist", config=CHART)
        st.caption(ctx.t("histogram_legend"))
    with right:
        table = pd.DataFrame({
            ctx.t("col_state"): names[: len(fit.hmm_means)],
            ctx.t("col_mean"): fit.hmm_means.round(2),
            ctx.t("col_std"): fit.hmm_stds.round(2),
            ctx.t("col_weight"): fit.hmm_weights.round(2),
            ctx.t("col_stay"): np.diag(fit.hmm_transmat).round(3),
        })
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(ctx.t("table_legend", stay=stay))
    with st.expander(ctx.t("explain_regimes"), icon=":material/school:"):
        ctx.md("regimes")


# ---------------------------------------------------------------- the page

st.markdown(ctx.t("lead"))
with guard():
    part = st.radio(ctx.t("part"), ["gmm", "hmm", "regimes"], format_func=ctx.labeler(f"{PAGE}.parts"), horizontal=True,
                    key=ctx.key("part"), label_visibility="collapsed")
    st.divider()
    {"gmm": mixture_part, "hmm": hmm_part, "regimes": regime_part}[part]()

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
