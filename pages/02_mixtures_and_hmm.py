"""Page 2: the classic generative models — a Gaussian mixture fitted by EM, and hidden Markov models."""

import numpy as np
import pandas as pd
import streamlit as st

from engine.core.errors import InputError
from engine.data import points
from engine.families import hmm, mixture
from ui import plots_mixtures_and_hmm as plots
from ui import text
from ui.data_input import dataset_picker
from ui.shell import guard, setup, show_input_error

ctx = setup("mixtures_and_hmm")
PAGE = ctx.page
# Own points: 13 leave 10 for training once a quarter is held out, so every K on the slider can be fitted.
NEEDS = points.DataNeeds(min_points=13)
CHART = {"displaylogo": False}


def labels(prefix: str) -> dict:
    """Every entry of the table [mixtures_and_hmm.<prefix>] as a dict, for the figure helpers."""
    head = f"{PAGE}.{prefix}."
    return {k[len(head):]: v for k, v in text.catalogue(ctx.lang).items() if k.startswith(head)}


# ---------------------------------------------------------------- cached engine calls

@st.cache_data(max_entries=24, ttl=3600, show_spinner=False)
def fit_mixture(X, k, cov, init, seed, split_seed) -> mixture.MixtureView:
    return mixture.fit_view(X, k, cov, init, seed, split_seed)


# Figures: built once per input and shared. Every key includes the language, so the one write ctx.chart
# makes (the language's number separators) is the same for every session that shares a figure.
# cache_data would pickle them, and unpickling a plotly figure re-validates every property.
FIGURES = dict(max_entries=12, ttl=3600, show_spinner=False)


@st.cache_resource(max_entries=6, ttl=3600, show_spinner=False)  # up to ~5 MB each (40 frames × 1,500 points)
def replay_figure(X, k, cov, init, seed, split_seed, lang):
    view = fit_mixture(X, k, cov, init, seed, split_seed)
    return plots.em_replay_figure(view.history, view.train_X, points.bounds(X), labels("replay"))


@st.cache_resource(**FIGURES)
def selection_figure(X, cov, seed, lang):
    sel = model_selection(X, cov, seed)
    return sel, plots.selection_figure(sel, labels("selection"))


@st.cache_resource(**FIGURES)
def generate_figure(X, k, cov, init, seed, split_seed, n_new, mode, lang):
    view = fit_mixture(X, k, cov, init, seed, split_seed)
    samples = mixture.ancestral_sample(view.history.final, n_new, seed)
    return plots.generate_figure(view, samples, points.bounds(X), mode, labels("generate"))


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


def hmm_names(preset_key: str) -> tuple[list[str], list[str]]:
    preset = hmm.PRESETS[preset_key]
    return [ctx.t(f"state.{s}") for s in preset.states], [ctx.t(f"symbol.{s}") for s in preset.symbols]


@st.cache_resource(**FIGURES)
def timeline_figure(start, trans, emit, T, seed, preset_key, lang):
    obs, z, path, post, _ = hmm_sequence(start, trans, emit, T, seed)
    states, symbols = hmm_names(preset_key)
    return plots.timeline_figure(obs, z, path, post, states, symbols, labels("timeline"))


@st.cache_resource(**FIGURES)
def learned_figures(start, trans, emit, T, seed, n_states, matched, preset_key, lang):
    """The Baum-Welch curve and the true / learned matrices, states matched or not."""
    obs = hmm_sequence(start, trans, emit, T, seed)[0]
    learned = learn_hmm(obs, n_states, emit.shape[1], seed, emit)
    shown = learned.params if matched else learned.params.permuted(np.argsort(learned.order))
    states, symbols = hmm_names(preset_key)
    names = learned_names(learned, states, matched)
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


@st.cache_resource(**FIGURES)
def generated_figure(start, trans, emit, T, seed, n_states, matched, preset_key, n_gen, lang):
    views = learned_figures(start, trans, emit, T, seed, n_states, matched, preset_key, lang)
    new_obs, new_z = hmm.ancestral_sample(views["shown"], n_gen, seed + 7)
    return plots.symbol_strip_figure(new_obs, new_z, views["names"], hmm_names(preset_key)[1], labels("timeline"))


def regime_names() -> list[str]:
    return [ctx.t(f"regime.{c}") for c in hmm.REGIME_CODES] + [ctx.t("learned_state", k=k + 1) for k in range(3, 6)]


@st.cache_resource(**FIGURES)
def regime_figures(T, stay, spread, n_states, seed, lang):
    signal, fit = regimes(T, stay, spread, n_states, seed)
    lab = labels("regime_fig")
    return (plots.regime_figure(signal.x, signal.z, fit.hmm_states, fit.gmm_states, regime_names(), lab),
            plots.regime_histogram(signal.x, fit.hmm_means, fit.hmm_stds, fit.hmm_weights, regime_names(), lab))


# ---------------------------------------------------------------- part 1: Gaussian mixture

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
    ctx.chart(replay_figure(ds.X, k, cov, init, seed, ctx.seed, ctx.lang), key="em_replay", config=CHART)
    st.caption(ctx.t("replay_legend"))
    shown = len(plots.frame_indices(len(hist.params)))
    if shown < len(hist.params):  # long runs are thinned to keep the figure light: say so
        st.caption(ctx.t("replay_subsampled", n=hist.n_iter, shown=shown))
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
        st.subheader(ctx.t("generate_title"))
        g1, g2 = st.columns(2)
        n_new = g1.slider(ctx.t("n_new"), 0, 2000, 300, 50, key=ctx.key("n_new"), help=ctx.t("n_new_help"))
        mode = g2.radio(ctx.t("density_view"), ["contours", "heatmap"], format_func=ctx.labeler(f"{PAGE}.density_mode"),
                        horizontal=True, key=ctx.key("density_mode"))
        ctx.chart(generate_figure(ds.X, k, cov, init, seed, ctx.seed, n_new, mode, ctx.lang), key="gmm_generate", config=CHART)
        st.caption(ctx.t("generate_legend"))
    with st.expander(ctx.t("explain_gmm"), icon=":material/school:"):
        ctx.md("gmm")


# ---------------------------------------------------------------- part 2: categorical HMM

def _stored(preset: hmm.Preset, name: str) -> np.ndarray:
    default = {"start": preset.params.startprob[None], "trans": preset.params.transmat, "emit": preset.params.emissionprob}[name]
    return np.array(st.session_state.get(ctx.state_key(f"m.{preset.key}.{name}"), default), float)


def _version(preset_key: str) -> int:
    return int(st.session_state.get(ctx.state_key(f"v.{preset_key}"), 0))


def _bump(preset_key: str) -> None:
    st.session_state[ctx.state_key(f"v.{preset_key}")] = _version(preset_key) + 1


def _apply_edits(preset_key: str, name: str, editor_key: str, shape: tuple[int, int], columns: list[str]) -> None:
    """data_editor's on_change: copy the edited cells into our stored matrix."""
    M = np.array(st.session_state.get(ctx.state_key(f"m.{preset_key}.{name}"), np.full(shape, np.nan)), float)
    edits = st.session_state.get(editor_key, {}).get("edited_rows", {})
    for row, cells in edits.items():
        for col, value in cells.items():
            j = columns.index(col) if col in columns else None
            if j is not None and 0 <= int(row) < M.shape[0]:
                M[int(row), j] = np.nan if value is None else float(value)
    st.session_state[ctx.state_key(f"m.{preset_key}.{name}")] = M
    _bump(preset_key)


def _normalise(preset_key: str, names: list[str], current: dict) -> None:
    for name in names:
        st.session_state[ctx.state_key(f"m.{preset_key}.{name}")] = hmm.normalise_rows(current[name])
    _bump(preset_key)


def _restore(preset_key: str) -> None:
    for name in ("start", "trans", "emit"):
        st.session_state.pop(ctx.state_key(f"m.{preset_key}.{name}"), None)
    _bump(preset_key)


def matrix_editor(preset: hmm.Preset, name: str, rows: list[str], cols: list[str], container) -> np.ndarray:
    M = _stored(preset, name)
    if ctx.state_key(f"m.{preset.key}.{name}") not in st.session_state:
        st.session_state[ctx.state_key(f"m.{preset.key}.{name}")] = M
    editor_key = ctx.state_key(f"ed.{preset.key}.{name}.{_version(preset.key)}")
    with container:
        st.markdown(f"**{ctx.t(f'matrix.{name}')}**")
        edited = st.data_editor(
            pd.DataFrame(M, index=rows, columns=cols), key=editor_key, width="stretch",
            column_config={c: st.column_config.NumberColumn(c, format="%.4f") for c in cols},
            on_change=_apply_edits, args=(preset.key, name, editor_key, M.shape, cols),
        )
        st.caption(ctx.t(f"matrix.{name}_help"))
    # In the browser on_change has already stored the edits; an edit that arrives without it
    # (e.g. from a test) shows up only in the returned table, so keep that too.
    now = edited.to_numpy(dtype=float, na_value=np.nan)
    if now.shape == M.shape and not np.array_equal(now, M, equal_nan=True):
        M = now
        st.session_state[ctx.state_key(f"m.{preset.key}.{name}")] = M
    return M


def hmm_editor(preset: hmm.Preset, state_names: list[str], symbol_names: list[str]) -> hmm.HMMParams | None:
    """The validated editor: returns the parameters, or None (with messages) if a row is wrong."""
    with st.expander(ctx.t("editor_title"), expanded=True, icon=":material/edit:"):
        c1, c2 = st.columns(2)
        current = {
            "start": matrix_editor(preset, "start", [ctx.t("start_row")], state_names, c1),
            "trans": matrix_editor(preset, "trans", state_names, state_names, c2),
            "emit": matrix_editor(preset, "emit", state_names, symbol_names, st.container()),
        }
        row_names = {"start": [ctx.t("start_row")], "trans": state_names, "emit": state_names}
        bad = []
        for name, M in current.items():
            for p in hmm.row_problems(M):
                bad.append(name)
                st.error(ctx.t(f"row_problem.{p.kind}", matrix=ctx.t(f"matrix.{name}"), row=row_names[name][p.row],
                               total=ctx.num(p.total, ".3f")), icon=":material/error:")
        b1, b2 = st.columns(2)
        if bad:
            b1.button(ctx.t("normalise"), icon=":material/auto_fix_high:", key="hmm_normalise", help=ctx.t("normalise_help"),
                      on_click=_normalise, args=(preset.key, sorted(set(bad)), current))
        b2.button(ctx.t("restore"), icon=":material/restart_alt:", key="hmm_restore", on_click=_restore, args=(preset.key,))
    if bad:
        st.warning(ctx.t("fix_rows_first"), icon=":material/block:")
        return None
    return hmm.validate(current["start"][0], current["trans"], current["emit"])


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
    state_names, symbol_names = hmm_names(preset_key)
    params = hmm_editor(preset, state_names, symbol_names)
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
    ctx.chart(timeline_figure(*args, preset_key, ctx.lang), key="hmm_timeline", config=CHART)
    st.caption(ctx.t("timeline_legend"))

    st.subheader(ctx.t("learn_title"))
    l1, l2 = st.columns(2)
    n_states = l1.slider(ctx.t("learn_states"), 1, hmm.MAX_STATES, preset.params.n_states, key=ctx.key(f"learn_states_{preset_key}"),
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

    st.subheader(ctx.t("hmm_generate_title"))
    n_gen = st.slider(ctx.t("n_generate"), 10, 300, 60, 10, key=ctx.key("n_generate"))
    ctx.chart(generated_figure(*args, n_states, matched, preset_key, n_gen, ctx.lang), key="hmm_generated", config=CHART)
    st.caption(ctx.t("hmm_generate_legend"))
    with st.expander(ctx.t("explain_hmm"), icon=":material/school:"):
        ctx.md("hmm")


def learned_names(learned: hmm.LearnedHMM, true_names: list[str], matched: bool) -> list[str]:
    n = learned.params.n_states
    if not matched:
        return [ctx.t("learned_state", k=k + 1) for k in range(n)]
    return [ctx.t("matched_state", k=k + 1, state=true_names[k]) if k < len(true_names) else ctx.t("learned_state", k=k + 1)
            for k in range(n)]


# ---------------------------------------------------------------- part 3: Gaussian HMM on a signal

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
    names = regime_names()
    signal_fig, hist_fig = regime_figures(T, stay, spread, n_states, ctx.seed, ctx.lang)
    m1, m2 = st.columns(2)
    m1.metric(ctx.t("hmm_acc"), ctx.num(fit.hmm_accuracy, ".1%"), help=ctx.t("hmm_acc_help"))
    m2.metric(ctx.t("gmm_acc"), ctx.num(fit.gmm_accuracy, ".1%"), delta=ctx.num(fit.gmm_accuracy - fit.hmm_accuracy, "+.1%"), help=ctx.t("gmm_acc_help"))
    ctx.chart(signal_fig, key="regime_signal", config=CHART)
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
