"""Page 8: how do we know a generator is good? Each metric sees some failures and misses others."""

import streamlit as st

from engine import metrics
from engine.data import points
from engine.evaluation import leaderboard as lb
from engine.evaluation import plane
from engine.evaluation import scorecard as sc
from ui import evaluation_data as ev
from ui import evaluation_widgets as widgets
from ui import plots_evaluation as plots
from ui.data_input import dataset_picker
from ui.shell import guard, section, setup, t

ctx = setup("evaluation")
TABS = ("plane", "digits", "human")
VIEWS = ("precision", "recall", "density", "coverage")
AGAINST = ("held_out", "train")
SOURCES = ("dials", "model")
BANDWIDTHS = metrics.MMD_BANDWIDTHS
BOARD_NS = (15, 30, 50, 100, 200, lb.N_TABLE)
EXPLAIN = dict(icon=":material/school:")
NEEDS = points.DataNeeds(min_points=plane.MIN_POINTS)  # two halves that fit k = 5


# ---------------------------------------------------------------- 2D: data, the dialled generator, the scoreboard

def plane_tab() -> None:
    st.header(ctx.t("data_title"))
    ds = dataset_picker(ctx, default="ring8", needs=NEEDS)
    if ds is None:
        return
    data = (ds.X, ds.y)
    fp = ev.fingerprint(ds.X, ds.y)
    S = ev.prepared(fp, ctx.seed, data)
    st.markdown(ctx.t("generator_lead", n_train=len(S.train), n_held=len(S.held_out)))
    source = st.segmented_control(ctx.t("source"), SOURCES, format_func=ctx.labeler("evaluation.source_opt"), key=ctx.key("source"),
                                  required=True, default="dials", help=ctx.t("source_help")) or "dials"
    model = widgets.model_controls(ctx, fp, data) if source == "model" else None
    if source == "model" and model is None:
        return
    dials = () if model else widgets.dial_controls(ctx, S)
    against = st.segmented_control(ctx.t("against"), AGAINST, format_func=ctx.labeler("evaluation.against_opt"),
                                   key=ctx.key("against"), required=True, default="held_out", help=ctx.t("against_help")) or "held_out"
    case = ev.Case(fp, ctx.seed, dials, against, model)
    gen = ev.generated(case, data).points
    if sc.identical(ev.reference(case, data).X, gen):
        st.warning(ctx.t("identical"), icon=":material/content_copy:")
    box = ev.plane_box(case, data)
    widgets.metric_row(ctx, ev.scoreboard(case, box, data))
    st.caption(ctx.t("scoreboard_caption"))
    pr_section(case, box, data)
    distance_section(case, box, data)
    likelihood_section(case, box, data)
    memorisation_section(case, data)
    failure_section(fp, ctx.seed, data)


# ---------------------------------------------------------------- 2D: one fragment per metric, each with its own controls

@section
def pr_section(case: ev.Case, box, data) -> None:
    with guard():
        st.subheader(ctx.t("pr_title"))
        k = st.columns(2)[0].slider("k", 1, 20, 5, key=ctx.key("k"), help=ctx.t("k_help"))
        # a row of its own: the four Portuguese labels do not fit beside k at 1024 px
        view = st.segmented_control(ctx.t("view"), VIEWS, format_func=ctx.labeler("evaluation.views"), key=ctx.key("view"),
                                    required=True, default="precision") or "precision"
        p = ev.balls(case, k, box, data)[0]
        widgets.metric_row(ctx, {name: (getattr(p, name), ".2f") for name in VIEWS}, helps=False)
        ctx.chart(ev.balls_figure(case, k, box, view, ctx.lang, data), key="evaluation_balls")
        st.caption(ctx.t(f"view_caption.{view}", k=k))
        with st.expander(ctx.t("explain"), **EXPLAIN):
            ctx.md("precision_recall")


@section
def distance_section(case: ev.Case, box, data) -> None:
    with guard():
        st.subheader(ctx.t("mmd_title"))
        chosen = st.pills(ctx.t("bandwidths"), BANDWIDTHS, selection_mode="multi", default=list(BANDWIDTHS),
                          format_func=lambda h: f"h = {ctx.num(h, 'g')}", key=ctx.key("bandwidths"), help=ctx.t("bandwidths_help"))
        if not chosen:
            st.info(ctx.t("no_bandwidth"), icon=":material/info:")
            return
        bandwidths = tuple(sorted(chosen))
        mmd2, swd, _ = ev.distances(case, bandwidths, data)
        c1, c2 = st.columns(2)
        c1.metric("MMD²", ctx.num(mmd2, ".4f"), help=ctx.t("score_help.mmd2"))
        c2.metric(ctx.t("score.swd"), ctx.num(swd, ".3f"), help=ctx.t("score_help.swd"))
        left, right = st.columns(2)
        ctx.chart(ev.witness_figure(case, bandwidths, box, ctx.lang, data), key="evaluation_witness", where=left)
        left.caption(ctx.t("witness_caption", n=ev.WITNESS_POINTS))
        ctx.chart(ev.sliced_figure(case, bandwidths, ctx.lang, data), key="evaluation_sliced", where=right)
        right.caption(ctx.t("sliced_caption"))
        with st.expander(ctx.t("explain"), **EXPLAIN):
            ctx.md("mmd_swd")


@section
def likelihood_section(case: ev.Case, box, data) -> None:
    with guard():
        st.subheader(ctx.t("lik_title"))
        factor = st.select_slider(ctx.t("parzen_h"), [0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0], 1.0,
                                  format_func=lambda f: f"{ctx.num(f, 'g')} ×", key=ctx.key("parzen_h"), help=ctx.t("parzen_h_help"))
        h, held, train = ev.likelihood(case, float(factor), data)
        c1, c2, c3 = st.columns(3)
        c1.metric(ctx.t("lik_held"), ctx.num(held, ".2f"), help=ctx.t("lik_held_help"))
        c2.metric(ctx.t("lik_train"), ctx.num(train, ".2f"), help=ctx.t("lik_train_help"))
        c3.metric(ctx.t("bandwidth"), ctx.num(h, ".3f"))
        if case.model is not None:
            widgets.model_likelihood(ctx, ev.fitted(case.fp, case.seed, *case.model, data))
        ctx.chart(ev.parzen_figure(case, float(factor), box, ctx.lang, data), key="evaluation_parzen")
        st.caption(ctx.t("lik_caption"))
        with st.expander(ctx.t("explain"), **EXPLAIN):
            ctx.md("likelihood")


@section
def memorisation_section(case: ev.Case, data) -> None:
    with guard():
        st.subheader(ctx.t("memo_title"))
        q = st.select_slider(ctx.t("quantile"), [0.01, 0.02, 0.05, 0.1, 0.2], 0.05, format_func=lambda v: ctx.num(v, ".0%"),
                             key=ctx.key("quantile"), help=ctx.t("quantile_help"))
        report = ev.copying(case, float(q), data)[0]
        msg = ctx.t("alarm_on" if report.alarm else "alarm_off", share=report.share, limit=report.limit, q=report.quantile)
        if report.alarm:
            st.warning(msg, icon=":material/notifications_active:")
        else:
            st.success(msg, icon=":material/verified:")
        ctx.chart(ev.distances_figure(case, float(q), ctx.lang, data), key="evaluation_distances")
        st.caption(ctx.t("memo_caption", ratio=report.median_ratio))
        ctx.md("memorisation")


@section
def failure_section(fp: str, seed: int, data) -> None:
    with guard():
        st.subheader(ctx.t("table_title"))
        table = ev.failures(fp, seed, data)
        st.markdown(plots.failure_table_markdown(table, t, ctx.num))
        st.caption(ctx.t("table_caption", n=table.n, k=table.k))
        ctx.md("failures")


# ---------------------------------------------------------------- digits

def digits_tab() -> None:
    ctx.md("features")
    acc = lb.feature_net_metrics()
    st.caption(ctx.t("features_accuracy", test=acc.get("test_accuracy", float("nan")), val=acc.get("val_accuracy", float("nan"))))
    leaderboard_section()
    fid_bias_section()
    with st.expander(ctx.t("explain_digits"), **EXPLAIN):
        ctx.md("digit_metrics")


@section
def leaderboard_section() -> None:
    with guard():
        st.header(ctx.t("board_title"))
        c1, c2, c3 = st.columns([1, 1, 2])
        k = c1.slider(ctx.t("board_k"), 1, 10, 5, key=ctx.key("board_k"), help=ctx.t("k_help"))
        n = c2.select_slider(ctx.t("board_n"), BOARD_NS, lb.N_TABLE, key=ctx.key("board_n"), help=ctx.t("board_n_help"))
        by = c3.selectbox(ctx.t("sort_by"), plots.BOARD_SORT, format_func=ctx.labeler("evaluation.board"), key=ctx.key("sort_by"))
        rows = ev.board(int(k), int(n))
        if any(r.fid.regularised for r in rows):
            st.warning(ctx.t("fid_singular", n=n, d=rows[0].fid.dim, rank=n - 1), icon=":material/warning:")
        st.dataframe(plots.board_frame(rows, by, t, ctx.num), width="stretch", hide_index=True)
        st.caption(ctx.t("board_caption", n=n, k=k))
        cols = st.columns(3)
        for i, source in enumerate(lb.SOURCES):
            cols[i % 3].image(ev.sample_tiles(source), caption=ctx.t(f"sources.{source}"), width="content")


@section
def fid_bias_section() -> None:
    with guard():
        st.header(ctx.t("bias_title"))
        choices = [s for s in lb.SOURCES if s != "ten_digits"]
        c1, c2 = st.columns(2)
        pick = dict(format_func=ctx.labeler("evaluation.sources"))
        a = c1.selectbox(ctx.t("first"), choices, index=choices.index("gan"), key=ctx.key("fid_a"), **pick)
        b = c2.selectbox(ctx.t("second"), choices, index=choices.index("diffusion"), key=ctx.key("fid_b"), **pick)
        ctx.chart(ev.fid_figure(a, b, ctx.lang), key="evaluation_fid_n")
        ca, cb = ev.fid_curve(a), ev.fid_curve(b)
        names = {s: ctx.t(f"sources.{s}") for s in (a, b)}
        cross = lb.crossing(ca, cb) if a != b else None
        if a == b:
            st.info(ctx.t("same_source"), icon=":material/info:")
        elif cross is None:
            st.caption(ctx.t("no_cross", a=names[a], b=names[b]))
        else:
            small, large = lb.order_around(ca, cb, cross)
            st.caption(ctx.t("cross_at", n=cross, small=names[small], large=names[large]))
        st.caption(ctx.t("bias_caption", a=names[a], b=names[b], fa=ca.fid_inf, fb=cb.fid_inf))
        ctx.md("fid_bias")


# ---------------------------------------------------------------- human evaluation

@section
def human_section() -> None:
    with guard():
        st.header(ctx.t("human_title"))
        ctx.md("human")
        widgets.human_round(ctx)


# ---------------------------------------------------------------- the page

with guard():
    ctx.md("intro")
    tabs = ctx.tabs(TABS, [ctx.t(f"tab.{name}") for name in TABS], key="evaluation_tab")
    with tabs[0]:
        if tabs[0].open:  # lazy: only the open tab's content runs
            plane_tab()
    with tabs[1]:
        if tabs[1].open:
            digits_tab()
    with tabs[2]:
        if tabs[2].open:
            human_section()

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
