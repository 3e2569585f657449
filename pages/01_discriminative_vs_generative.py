"""Page 1: the same labelled points, seen by a discriminative and a generative classifier."""

import numpy as np
import streamlit as st

from engine import classifiers
from engine.data import points
from ui import charts
from ui.data_input import class_labels, dataset_picker
from ui.shell import PageContext, guard, section, setup

ctx = setup("discriminative_vs_generative")
# Two classes, and enough points in each for every model to train on 3 of them and hold one out.
NEEDS = points.DataNeeds(min_classes=2, min_per_class=classifiers.MIN_PER_CLASS)


@st.cache_data(max_entries=48, ttl=3600, show_spinner=False)
def fit_view(X, y, kind, param, seed, n_samples) -> classifiers.ClassifierView:
    return classifiers.fit_view(X, y, kind, param, seed, n_samples)


def model_controls(kinds, side: str):
    # one above the other: side by side, each had a quarter of the page and cut the names ("QDA: one Gaussian per cla…")
    kind = st.selectbox(ctx.t("model"), kinds, format_func=ctx.labeler(f"{ctx.page}.models"), key=ctx.key(f"{side}_model"),
                        help=ctx.t("gen_model_help") if side == "gen" else None)
    hp = classifiers.HYPERPARAMS[kind]
    param = st.select_slider(ctx.t(f"param.{hp.name}"), hp.values, hp.default, key=ctx.key(f"{side}_{kind}_param"),
                              help=ctx.t(f"param.{hp.name}_help"))
    return kind, param


@section
def discriminative_section(ds, names, box) -> None:
    st.subheader(ctx.t("disc_title"))
    st.caption(ctx.t("disc_caption"))
    kind, param = model_controls(classifiers.DISCRIMINATIVE, "disc")
    fig, accuracy, n_classes = disc_figure(ds.X, ds.y, kind, param, ctx.seed, tuple(names), box, ctx.lang)
    ctx.chart(fig, key="disc_fig", config={"displaylogo": False})
    st.metric(ctx.t("held_out_accuracy"), ctx.num(accuracy, ".1%"))
    st.warning(ctx.t("cannot_generate"), icon=":material/block:")
    st.caption(ctx.t("disc_legend") if n_classes == 2 else ctx.t("disc_legend_multi"))


@charts.shared_figures(max_entries=48, ttl=3600)
def disc_figure(X, y, kind, param, seed, names: tuple, box, lang: str):
    """The discriminative side's plane (and the accuracy and class count it reports), the same for every student with
    these data and settings: built and serialised once."""
    c = PageContext(ctx.page, lang, 0)
    view = fit_view(X, y, kind, param, seed, 0)
    fig = charts.plane_figure(box)
    charts.add_probability_map(fig, view.xs, view.ys, view.proba, names, c.t("proba_bar", cls=names[-1]))
    charts.add_decision_boundary(fig, view.xs, view.ys, view.proba, c.t("boundary"))
    charts.add_points(fig, view.train_X, view.train_y, names, c.t("class_label"))
    return fig, view.accuracy, view.proba.shape[1]


@section
def generative_section(ds, names, box) -> None:
    st.subheader(ctx.t("gen_title"))
    st.caption(ctx.t("gen_caption"))
    kind, param = model_controls(classifiers.GENERATIVE, "gen")
    n_samples = st.slider(ctx.t("n_samples"), 0, 300, 40, 10, key=ctx.key("n_samples"), help=ctx.t("n_samples_help"))
    layers = st.pills(ctx.t("layers"), ["contours", "evidence", "outliers", "samples"], selection_mode="multi",
                      default=["contours", "samples"], format_func=ctx.labeler(f"{ctx.page}.layer"), key=ctx.key("layers"))
    gview = fit_view(ds.X, ds.y, kind, param, ctx.seed, 0)  # one fit for every number of samples: drawing them is cheap
    samples = gview.draw(n_samples, ctx.seed) if "samples" in layers else None
    fig = charts.plane_figure(box)
    if "evidence" in layers:
        charts.add_heatmap(fig, gview.xs, gview.ys, np.maximum(gview.log_px, gview.log_px.max() - 12), ctx.t("log_px"), "Greys")
    if "contours" in layers:
        for k in range(gview.density.shape[1]):
            charts.add_density_contours(fig, gview.xs, gview.ys, gview.density[:, k], k, ctx.t("density_label", cls=names[k]))
    charts.add_decision_boundary(fig, gview.xs, gview.ys, gview.proba, ctx.t("bayes_boundary"))
    charts.add_points(fig, gview.train_X, gview.train_y, names, ctx.t("class_label"), opacity=0.45 if "samples" in layers else 0.85)
    if samples is not None:
        charts.add_points(fig, samples[0], samples[1], names, ctx.t("sample_label"), symbol="diamond", size=9, opacity=1.0, line_width=1.2)
    if "outliers" in layers:
        charts.add_marked_points(fig, gview.train_X[gview.outliers], ctx.t("outlier_label"))
    ctx.chart(fig, key="gen_fig", config={"displaylogo": False}, export=True)
    m1, m2 = st.columns(2)
    m1.metric(ctx.t("held_out_accuracy"), ctx.num(gview.accuracy, ".1%"))
    m2.metric(ctx.t("held_out_log_px"), ctx.num(gview.test_log_px, ".2f"), help=ctx.t("held_out_log_px_help"))
    if gview.capped:
        st.info(ctx.t("components_capped"), icon=":material/info:")
    st.success(ctx.t("can_generate"), icon=":material/auto_awesome:")
    st.caption(ctx.t("gen_legend"))


st.markdown(ctx.t("lead"))
with guard():
    # the data are shared by both sections: changing them reruns the page; each side's model controls rerun only its side
    ds = dataset_picker(ctx, default="moons", needs=NEEDS)
    if ds is None:
        st.stop()
    names = class_labels(ds)  # escaped: a label "<b>x</b>" is text in the legends, not bold
    box = points.bounds(ds.X)
    left, right = st.columns(2, gap="large")
    with left:
        discriminative_section(ds, names, box)
    with right:
        generative_section(ds, names, box)

st.divider()
ctx.md("explanation")

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
