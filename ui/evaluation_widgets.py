"""Widget blocks of the evaluation page: the generator's dials, the model picker, rows of numbers, and
the "which are real?" round. The page calls them with its context; the numbers come from
``ui.evaluation_data`` and the engine, the pictures from ``ui.plots_evaluation``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.evaluation import leaderboard as lb
from engine.evaluation import models, plane
from ui import evaluation_data as ev
from ui import plots_evaluation as plots
from ui.shell import PageContext

DIALS = ("modes_kept", "blur", "shrink", "copy", "shift")
HUMAN_TILES = 16  # a 4 × 4 grid, half real


def metric_row(ctx: PageContext, values: dict[str, tuple[float, str]], per_row: int = 4, helps: bool = True) -> None:
    """``st.metric`` for each ``name: (value, format)``, labelled ``score.<name>``, ``per_row`` to a row
    (eight numbers do not fit one row at 1024 px)."""
    items = list(values.items())
    for start in range(0, len(items), per_row):
        for col, (name, (value, spec)) in zip(st.columns(per_row), items[start:start + per_row]):
            col.metric(ctx.t(f"score.{name}"), ctx.num(value, spec), help=ctx.t(f"score_help.{name}") if helps else None)


def dial_controls(ctx: PageContext, S: plane.Setup) -> tuple:
    """The five dials that break the honest generator, as ``plane.Dials`` fields."""
    if st.button(ctx.t("honest"), icon=":material/restart_alt:", key="evaluation_honest", help=ctx.t("honest_help")):
        for name in DIALS:
            st.session_state.pop(ctx.key(name), None)
    cols = st.columns(5)
    s = round(S.scale, 2)
    modes_key = ctx.key("modes_kept")
    if st.session_state.get(modes_key, S.n_modes) > S.n_modes:
        st.session_state[modes_key] = S.n_modes  # new data with fewer modes
    with cols[0]:
        if S.n_modes > 1:
            kept = st.slider(ctx.t("dial.modes_kept"), 1, S.n_modes, S.n_modes, key=modes_key,
                             help=ctx.t("dial_help.modes_kept" if S.modes_are_classes else "dial_help.modes_clusters"))
        else:
            kept = 1
            st.caption(ctx.t("one_mode"))
    blur = cols[1].slider(ctx.t("dial.blur"), 0.0, s, 0.0, round(s / 50, 3), key=ctx.key("blur"), help=ctx.t("dial_help.blur"))
    shrink = cols[2].slider(ctx.t("dial.shrink"), 0.0, 1.0, 0.0, 0.05, key=ctx.key("shrink"), help=ctx.t("dial_help.shrink"))
    copy = cols[3].slider(ctx.t("dial.copy"), 0.0, 1.0, 0.0, 0.05, key=ctx.key("copy"), help=ctx.t("dial_help.copy"))
    shift = cols[4].slider(ctx.t("dial.shift"), -s, s, 0.0, round(s / 50, 3), key=ctx.key("shift"), help=ctx.t("dial_help.shift"))
    return int(kept), float(blur), float(shrink), float(copy), float(shift)


def model_controls(ctx: PageContext, fp: str, data) -> tuple[str, int] | None:
    """Pick one of the registry's 2D families and train it on the training half, on request (seconds of
    torch); ``(family, steps)`` once that setting is trained, else None (and a message says what to do)."""
    trained = ctx.state_key("trained")  # (fingerprint, seed, family, steps) of the model trained on request
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    family = c1.selectbox(ctx.t("family"), models.families(), format_func=ctx.labeler("evaluation.families"), key=ctx.key("family"))
    steps = int(c2.select_slider(ctx.t("steps"), models.STEPS, models.DEFAULT_STEPS, key=ctx.key("steps"),
                                 help=ctx.t("steps_help", seconds=models.MAX_SECONDS)))
    name = ctx.t(f"families.{family}")
    wanted = (fp, ctx.seed, family, steps)
    if c3.button(ctx.t("train"), icon=":material/model_training:", key="evaluation_train", type="primary"):
        with st.spinner(ctx.t("training", family=name)):
            ev.fitted(fp, ctx.seed, family, steps, data)
        st.session_state[trained] = wanted
    if st.session_state.get(trained) != wanted:
        st.info(ctx.t("press_train", family=name), icon=":material/model_training:")
        return None
    f = ev.fitted(fp, ctx.seed, family, steps, data)
    if f.diverged:
        st.warning(ctx.t("model_diverged", steps=f.steps), icon=":material/warning:")
    st.caption(ctx.t("model_caption", family=name, steps=f.steps, seconds=f.seconds))
    return family, steps


def model_likelihood(ctx: PageContext, f: models.Fitted) -> None:
    """The family's own held-out log p(x) (or its bound), or why it has none."""
    family = ctx.t(f"families.{f.family}")
    if f.held_log_density is None:
        st.info(ctx.t("no_density", family=family), icon=":material/info:")
        return
    own = "model_lik" if f.density == "exact" else "model_bound"
    st.metric(ctx.t(own, family=family), ctx.num(f.held_log_density, ".2f"), help=ctx.t(f"{own}_help"))


# ---------------------------------------------------------------- human evaluation

def _keys(ctx: PageContext) -> tuple[str, str, str]:
    return ctx.state_key("round"), ctx.state_key("revealed"), ctx.state_key("tally")


def _pick_key(ctx: PageContext, n_round: int, source: str, i: int) -> str:
    return ctx.key(f"pick_{n_round}_{source}_{i}")  # kept across tab and page changes, like every ctx.key


def _picks(ctx: PageContext, n_round: int, source: str, n: int) -> np.ndarray:
    return np.array([bool(st.session_state.get(_pick_key(ctx, n_round, source, i))) for i in range(n)])


def _check(ctx: PageContext, n_round: int, source: str, real: np.ndarray) -> None:
    """Callback of "Check my answers": score the picks once and add them to the session's tally."""
    _, revealed, tally = _keys(ctx)
    if st.session_state.get(revealed) == (n_round, source):
        return  # a second click on the same round counts nothing
    st.session_state[revealed] = (n_round, source)
    score = lb.score_round(real, _picks(ctx, n_round, source, len(real)))
    st.session_state[tally] = st.session_state.get(tally, lb.Tally()).add(score)


def _new_round(ctx: PageContext) -> None:
    key = _keys(ctx)[0]
    st.session_state[key] = st.session_state.get(key, 0) + 1


def human_round(ctx: PageContext) -> None:
    """A 4 × 4 grid of real test digits and one generator's samples; students tick the real ones, the
    page scores them once, reveals the answer with coloured frames and keeps a tally for the session."""
    round_key, revealed_key, tally_key = _keys(ctx)
    source = st.selectbox(ctx.t("human_source"), lb.GENERATORS, index=lb.GENERATORS.index("cgan"),
                          format_func=ctx.labeler("evaluation.sources"), key=ctx.key("human_source"))
    n_round = st.session_state.setdefault(round_key, 0)
    r = lb.human_round(source, HUMAN_TILES, seed=ctx.seed * 1000 + n_round)
    revealed = st.session_state.get(revealed_key) == (n_round, source)
    side = int(np.sqrt(HUMAN_TILES))
    for row in range(side):
        for c, col in enumerate(st.columns(side)):
            i = row * side + c
            border = plots.hex_rgb(plots.REAL if r.real[i] else plots.FAKE) if revealed else None
            col.image(plots.framed_tile(r.images[i], 12, border), width="content")
            col.checkbox(ctx.t("is_real"), key=_pick_key(ctx, n_round, source, i), disabled=revealed)
    b1, b2 = st.columns(2)
    b1.button(ctx.t("check"), icon=":material/fact_check:", key="evaluation_check", disabled=revealed, type="primary",
              on_click=_check, args=(ctx, n_round, source, r.real))
    b2.button(ctx.t("new_round"), icon=":material/casino:", key="evaluation_new_round", on_click=_new_round, args=(ctx,))
    if revealed:
        s = lb.score_round(r.real, _picks(ctx, n_round, source, HUMAN_TILES))
        st.success(ctx.t("round_score", correct=s.correct, n=s.n, found=s.real_found, n_real=s.n_real, fooled=s.fooled,
                         acc=s.accuracy), icon=":material/scoreboard:")
        st.caption(ctx.t("reveal_legend"))
    tally = st.session_state.get(tally_key)
    if tally and tally.rounds:
        st.caption(ctx.t("tally", rounds=tally.rounds, acc=tally.accuracy, fooled=tally.fooled))
