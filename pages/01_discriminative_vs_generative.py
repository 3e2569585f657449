"""Page 1: the same labelled points, seen by a discriminative and a generative classifier."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import classifiers
from engine.data import points
from ui import charts, export, share, text
from ui.data_input import class_labels, dataset_picker
from ui.shell import PageContext, section, setup

ctx = setup("discriminative_vs_generative")
# Two classes, and enough points in each for every model to train on 3 of them and hold one out.
NEEDS = points.DataNeeds(min_classes=2, min_per_class=classifiers.MIN_PER_CLASS)
SAMPLE_COUNTS = tuple(range(0, 301, 10))  # samples drawn per class: the plotly slider's steps, scrubbed in the browser
SAMPLES_OPEN = 40


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


def linked_samples() -> int:
    """The count the samples slider opens at: ``SAMPLES_OPEN``, or the one a link asks for (``n_samples`` was a
    Streamlit slider before the counts scrubbed in the browser; a link keeps carrying it), at the nearest step.
    A value out of range says so once, and the link stops carrying it."""
    key = ctx.key("n_samples")
    value = st.session_state.get(key)
    if value is None:
        return SAMPLES_OPEN
    if isinstance(value, int) and not isinstance(value, bool) and SAMPLE_COUNTS[0] <= value <= SAMPLE_COUNTS[-1]:
        return min(SAMPLE_COUNTS, key=lambda n: abs(n - value))
    del st.session_state[key]
    (st.session_state.get(share.PENDING) or {}).pop(key, None)
    shown = text.literal(share.encode(value)[:60])
    st.warning(text.lookup(ctx.lang, "share.bad_value", name=ctx.t("n_samples"), value=shown), icon=":material/link_off:")
    return SAMPLES_OPEN


LAYERS = ("contours", "evidence", "outliers", "samples")


def add_sample_slider(c: PageContext, fig: go.Figure, series: list[tuple[int, np.ndarray]], names, opening: int) -> go.Figure:
    """The drawn samples, one trace per class, and a plotly slider over ``SAMPLE_COUNTS`` above the figure: frame n
    shows the first n of each class's series (n independent draws, see ``ClassifierView.draw_series``), so moving it
    or pressing Play changes the count in the browser, with no rerun. The figure opens at ``opening``. Its frames are
    plain dicts of packed float32 (plotly validating 31 ``go.Frame``s cost more than the rest of the figure)."""
    first = len(fig.data)
    for k, X in series:
        fig.add_trace(go.Scattergl(
            x=charts.f4(X[:opening, 0]), y=charts.f4(X[:opening, 1]), mode="markers", name=c.t("sample_label").format(name=names[k]),
            marker=dict(color=charts.colour(k), size=9, symbol="diamond", opacity=1.0, line=dict(color="white", width=1.2)),
            hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>",
        ))
    places = list(range(first, len(fig.data)))
    frames = [dict(name=str(n), traces=places, data=[dict(type=fig.data[first].type, x=charts.typed(charts.f4(X[:n, 0])),
                                                         y=charts.typed(charts.f4(X[:n, 1]))) for _, X in series])
              for n in SAMPLE_COUNTS]
    charts.frame_player(fig, SAMPLE_COUNTS.index(opening), [str(n) for n in SAMPLE_COUNTS],
                        [c.t("samples_frame", n=n) for n in SAMPLE_COUNTS], c.t("play"), c.t("pause"),
                        buttons_at=(-0.02, 1.40), slider_at=(0.0, 1.26), slider_len=1.0, duration=250)
    # the buttons on a row of their own, the slider across the plane below them with its count at the right end: in a
    # column of a 1280 px page, "40 amostras por classe" beside the buttons ran under "■ Pausar"
    fig.layout.sliders[0].currentvalue.xanchor = "right"
    fig.update_layout(height=640, margin=dict(t=150))  # the player above the plane: the legend below it wraps by width
    return charts.freeze(fig, c.lang, raw_frames=frames)


@charts.shared_figures(max_entries=48, ttl=3600)
def gen_figure(X, y, kind, param, seed, names: tuple, box, lang: str, layers: tuple, opening: int):
    """The generative side's plane with its layers (and the samples' player opening at ``opening``), the points its CSV
    gives and the numbers it reports (held-out accuracy and log p(x), whether a class's components were capped): the
    same for every student with these data and settings, built and serialised once (it was built again on every run of
    this side, most of a view control's time on the server)."""
    c = PageContext(ctx.page, lang, 0)
    gview = fit_view(X, y, kind, param, seed, 0)  # one fit for every number of samples: drawing them is cheap
    series = gview.draw_series(SAMPLE_COUNTS[-1], seed) if "samples" in layers else None  # every count at once
    fig = charts.plane_figure(box)
    if "evidence" in layers:
        charts.add_heatmap(fig, gview.xs, gview.ys, np.maximum(gview.log_px, gview.log_px.max() - 12), c.t("log_px"), "Greys")
    if "contours" in layers:
        for k in range(gview.density.shape[1]):
            charts.add_density_contours(fig, gview.xs, gview.ys, gview.density[:, k], k, c.t("density_label", cls=names[k]))
    charts.add_decision_boundary(fig, gview.xs, gview.ys, gview.proba, c.t("bayes_boundary"))
    charts.add_points(fig, gview.train_X, gview.train_y, names, c.t("class_label"), opacity=0.45 if "samples" in layers else 0.85)
    if "outliers" in layers:
        charts.add_marked_points(fig, gview.train_X[gview.outliers], c.t("outlier_label"))
    # the CSV: the figure's points, with every sample of the series (the slider's last frame), read before the frames
    # are added (reading a frozen figure's frames would build and validate them all)
    shown = export.figure_points(fig) + [(c.t("sample_label").format(name=names[k]), X) for k, X in series or ()]
    if series is not None:
        fig = add_sample_slider(c, fig, series, names, opening)
    return fig, shown, (gview.accuracy, gview.test_log_px, gview.capped)


@section
def generative_section(ds, names, box) -> None:
    st.subheader(ctx.t("gen_title"))
    st.caption(ctx.t("gen_caption"))
    kind, param = model_controls(classifiers.GENERATIVE, "gen")
    chosen = st.pills(ctx.t("layers"), list(LAYERS), selection_mode="multi", default=["contours", "samples"],
                      format_func=ctx.labeler(f"{ctx.page}.layer"), key=ctx.key("layers"))
    layers = tuple(layer for layer in LAYERS if layer in chosen)  # in one order: the same figure whatever the clicks' order
    opening = linked_samples() if "samples" in layers else SAMPLES_OPEN
    fig, shown, (accuracy, log_px, capped) = gen_figure(ds.X, ds.y, kind, param, ctx.seed, tuple(names), box, ctx.lang,
                                                        layers, opening)
    export.csv_button(ctx, lambda: export.points_csv(shown))  # written when clicked
    ctx.chart(fig, key="gen_fig", config={"displaylogo": False})
    if "samples" in layers:
        st.caption(ctx.t("samples_scrub"))
    m1, m2 = st.columns(2)
    m1.metric(ctx.t("held_out_accuracy"), ctx.num(accuracy, ".1%"))
    m2.metric(ctx.t("held_out_log_px"), ctx.num(log_px, ".2f"), help=ctx.t("held_out_log_px_help"))
    if capped:
        st.info(ctx.t("components_capped"), icon=":material/info:")
    st.success(ctx.t("can_generate"), icon=":material/auto_awesome:")
    st.caption(ctx.t("gen_legend"))


@section
def data_and_models() -> None:
    """The data and both sides. The data are shared by the two sides: changing them reruns this section (the sidebar
    and the text around it stay as they are), and each side's model controls rerun only that side."""
    ds = dataset_picker(ctx, default="moons", needs=NEEDS)
    if ds is None:
        return
    names = class_labels(ds)  # escaped: a label "<b>x</b>" is text in the legends, not bold
    box = points.bounds(ds.X)
    left, right = st.columns(2, gap="large")
    with left:
        discriminative_section(ds, names, box)
    with right:
        generative_section(ds, names, box)


st.markdown(ctx.t("lead"))
data_and_models()

st.divider()
ctx.md("explanation")

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
