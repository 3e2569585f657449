"""Cached engine calls and figures of the mixtures and HMM page (pages/02_mixtures_and_hmm.py).

Figures are built once per input and shared by every session: each key includes the language, so
they carry that language's labels, and the page only places them.
"""

import numpy as np
import streamlit as st

from engine.data import points
from engine.families import hmm, mixture
from ui import charts, plots_mixtures_and_hmm as plots
from ui import text
from ui.shell import PageContext

PAGE = "mixtures_and_hmm"


def _ctx(lang: str) -> PageContext:
    """The page's texts in ``lang`` (the figures are cached per language, outside any one session)."""
    return PageContext(PAGE, lang, 0)


def labels(prefix: str, lang: str) -> dict:
    """Every entry of the table [mixtures_and_hmm.<prefix>] as a dict, for the figure helpers."""
    head = f"{PAGE}.{prefix}."
    return {k[len(head):]: v for k, v in text.catalogue(lang).items() if k.startswith(head)}


# ---------------------------------------------------------------- cached engine calls

@st.cache_data(max_entries=24, ttl=3600, show_spinner=False)
def fit_mixture(X, k, cov, init, seed, split_seed) -> mixture.MixtureView:
    return mixture.fit_view(X, k, cov, init, seed, split_seed)


# Figures: built once per input and shared. Every key includes the language, so the one write PageContext.chart
# makes (the language's number separators) is the same for every session that shares a figure.
# cache_data would pickle them, and unpickling a plotly figure re-validates every property.
FIGURES = dict(max_entries=12, ttl=3600, show_spinner=False)


@charts.shared_figures(max_entries=6, ttl=3600, show_spinner=False)  # up to ~5 MB each (40 frames × 1,500 points)
def replay_figure(X, k, cov, init, seed, split_seed, lang):
    view = fit_mixture(X, k, cov, init, seed, split_seed)
    return plots.em_replay_figure(view.history, view.train_X, points.bounds(X), labels("replay", lang))


@charts.shared_figures(**FIGURES)
def selection_figure(X, cov, seed, lang):
    sel = model_selection(X, cov, seed)
    return sel, plots.selection_figure(sel, labels("selection", lang))


@charts.shared_figures(**FIGURES)
def generate_figure(X, k, cov, init, seed, split_seed, n_new, mode, lang):
    view = fit_mixture(X, k, cov, init, seed, split_seed)
    samples = mixture.ancestral_sample(view.history.final, n_new, seed)
    return plots.generate_figure(view, samples, points.bounds(X), mode, labels("generate", lang))


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def model_selection(X, cov, seed) -> mixture.SelectionResult:
    return mixture.select_components(X, mixture.MAX_COMPONENTS, cov, seed)  # the K slider's range


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def hmm_sequence(start, trans, emit, T, seed):
    params = hmm.HMMParams(start, trans, emit)
    obs, z = hmm.ancestral_sample(params, T, seed)
    path, _ = hmm.viterbi(params, obs)
    post, loglik = hmm.posteriors(params, obs)
    return obs, z, path, post, loglik


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def learn_hmm(obs, n_states, n_symbols, seed, true_emission) -> hmm.LearnedHMM:
    return hmm.baum_welch(obs, n_states, n_symbols, seed, true_emission=true_emission)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def regimes(T, stay, spread, n_states, seed):
    signal = hmm.regime_signal(T, stay, spread, seed)
    return signal, hmm.fit_regimes(signal, n_states, seed)


def hmm_names(preset_key: str, lang: str) -> tuple[list[str], list[str]]:
    ctx = _ctx(lang)
    preset = hmm.PRESETS[preset_key]
    return [ctx.t(f"state.{s}") for s in preset.states], [ctx.t(f"symbol.{s}") for s in preset.symbols]


@charts.shared_figures(**FIGURES)
def timeline_figure(start, trans, emit, T, seed, preset_key, lang):
    obs, z, path, post, _ = hmm_sequence(start, trans, emit, T, seed)
    states, symbols = hmm_names(preset_key, lang)
    return plots.timeline_figure(obs, z, path, post, states, symbols, labels("timeline", lang))


@charts.shared_figures(**FIGURES)
def learned_figures(start, trans, emit, T, seed, n_states, matched, preset_key, lang):
    """The Baum-Welch curve and the true / learned matrices, states matched or not."""
    ctx = _ctx(lang)
    obs = hmm_sequence(start, trans, emit, T, seed)[0]
    learned = learn_hmm(obs, n_states, emit.shape[1], seed, emit)
    shown = learned.params if matched else learned.params.permuted(np.argsort(learned.order))
    states, symbols = hmm_names(preset_key, lang)
    names = learned_names(learned, states, matched, lang)
    # Rows carry the state's number and name; a transition matrix's columns only the number.
    true_rows = [ctx.t("numbered_state", k=k + 1, state=s) for k, s in enumerate(states)]
    heat = plots.matrix_heatmap
    to, frm = ctx.t("to_state"), ctx.t("from_state")
    return dict(
        learned=learned, shown=shown, names=names,
        curve=plots.curve_figure(learned.log_likelihood, ctx.t("iteration"), ctx.t("loglik"), ctx.t("loglik"), height=240),
        true_trans=heat(trans, true_rows, true_rows, ctx.t("true_trans"), to, frm, col_ticks=numbers(len(states))),
        learned_trans=heat(shown.transmat, names, names, ctx.t("learned_trans"), to, frm, colorscale="Oranges",
                           col_ticks=numbers(n_states)),
        true_emit=heat(emit, true_rows, symbols, ctx.t("true_emit"), ctx.t("symbol_axis"), ctx.t("state_axis")),
        learned_emit=heat(shown.emissionprob, names, symbols, ctx.t("learned_emit"), ctx.t("symbol_axis"), ctx.t("state_axis"), colorscale="Oranges"),
    )


def numbers(n: int) -> list[str]:
    return [str(k + 1) for k in range(n)]


@charts.shared_figures(**FIGURES)
def generated_figure(start, trans, emit, T, seed, n_states, matched, preset_key, n_gen, lang):
    views = learned_figures(start, trans, emit, T, seed, n_states, matched, preset_key, lang)
    new_obs, new_z = hmm.ancestral_sample(views["shown"], n_gen, seed + 7)
    return plots.symbol_strip_figure(new_obs, new_z, views["names"], hmm_names(preset_key, lang)[1], labels("timeline", lang))


def regime_names(lang: str) -> list[str]:
    ctx = _ctx(lang)
    return [ctx.t(f"regime.{c}") for c in hmm.REGIME_CODES] + [ctx.t("learned_state", k=k + 1) for k in range(3, 6)]


@charts.shared_figures(**FIGURES)
def regime_figures(T, stay, spread, n_states, seed, lang):
    signal, fit = regimes(T, stay, spread, n_states, seed)
    lab = labels("regime_fig", lang)
    return (plots.regime_figure(signal.x, signal.z, fit.hmm_states, fit.gmm_states, regime_names(lang), lab),
            plots.regime_histogram(signal.x, fit.hmm_means, fit.hmm_stds, fit.hmm_weights, regime_names(lang), lab))



def learned_names(learned: hmm.LearnedHMM, true_names: list[str], matched: bool, lang: str) -> list[str]:
    ctx = _ctx(lang)
    n = learned.params.n_states
    if not matched:
        return [ctx.t("learned_state", k=k + 1) for k in range(n)]
    return [ctx.t("matched_state", k=k + 1, state=true_names[k]) if k < len(true_names) else ctx.t("learned_state", k=k + 1)
            for k in range(n)]
