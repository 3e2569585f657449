"""The applications page's sections (issue 18): data augmentation measured, and inpainting with the diffusion model.

- ``augmentation_section``: the generator, the real and generated digits per class, and a Run button. The page
  opens on the shipped experiment (``engine.applications.shipped``); Run measures the chosen settings live
  (a few seconds, cached per settings and seed) and keeps the last results in the session. The verdict on
  screen is computed from the numbers (``Result.verdict``), never written in advance.
- ``uses_section``: what generative models are used for in science and engineering (a sourced text), and the
  course's list of applications, each with the page of this app that shows the idea (no controls: not a section).
- ``inpainting_section``: a held-out digit, a region to hide and RePaint's resampling; six completions by the
  shipped digits diffusion model (the default view is shipped, others take about a second), each with the class
  the evaluator reads, beside two baselines; and the shipped class-kept rates over 100 test digits for every mask.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine.applications import augmentation as aug
from engine.applications import inpainting as inp
from engine.data import digits
from ui import charts, digit_images, lessons, views_diffusion
from ui.registry import BY_KEY
from ui.shell import PageContext, section, t

REAL, AUGMENTED, REFERENCE = charts.PALETTE[0], charts.PALETTE[1], "#6b7280"
SOURCE_COLOURS = {"gan": charts.PALETTE[2], "diffusion": charts.PALETTE[3]}
KEPT_RUNS = 8  # live results kept per session (each a few dozen numbers)
VERDICT_BOX = {"helps": st.success, "hurts": st.warning, "unclear": st.info}


# ---------------------------------------------------------------- cached engine calls

@st.cache_resource(max_entries=1, show_spinner=False)
def shipped_runs() -> dict[tuple[str, int, int], aug.Result]:
    """The shipped experiments (seed 0), keyed by (source, real per class, generated per class): read-only."""
    return aug.shipped_results()


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def measure(source: str, n_real: int, k: int, seed: int) -> aug.Result:
    """The experiment at these settings, over 5 seeds derived from ``seed`` (a few seconds)."""
    return aug.run(aug.AugmentationConfig(n_real=n_real, k_generated=k, source=source), seed)


def _pct(ctx: PageContext, value: float) -> str:
    return ctx.num(100 * value, ".1f") + "%"


def _pp(ctx: PageContext, value: float, spec: str = "+.1f") -> str:
    return ctx.num(100 * value, spec) + " " + ctx.t("aug.pp")


# ---------------------------------------------------------------- figures

def _two_lines(label: str, width: int = 18) -> str:
    """A long axis label broken at the space nearest its middle: each group's label is centred under it, and in
    one line "Reais + 20 gerados por classe" ran past the figure's right edge."""
    if len(label) <= width or " " not in label:
        return label
    spaces = [i for i, c in enumerate(label) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return label[:cut] + "<br>" + label[cut + 1:]


def seeds_figure(ctx: PageContext, r: aug.Result) -> go.Figure:
    """Every seed as a dot (its two accuracies joined by a thin line: one real subset, two classifiers), the mean ±
    one standard deviation beside them, and the classifier on all 1,000 real digits as a dashed line."""
    names = [ctx.t("aug.real_only"), ctx.t("aug.with_generated", k=r.config.k_generated)]
    # one legend entry a row: the figure sits in a ~380 px column, where a row of its long entries ran off the edge
    fig = go.Figure(layout=dict(height=430, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white",
                                legend=dict(orientation="h", y=-0.14, entrywidthmode="fraction", entrywidth=1)))
    jitter = np.linspace(-0.06, 0.06, len(r.seeds))
    for i, s in enumerate(r.seeds):
        fig.add_trace(go.Scatter(x=[0 + jitter[i], 1 + jitter[i]], y=[r.real[i], r.augmented[i]], mode="lines",
                                 line=dict(color="#cbd5e1", width=1), hoverinfo="skip", showlegend=False))
    for x, values, colour, name in ((0, r.real, REAL, names[0]), (1, r.augmented, AUGMENTED, names[1])):
        mean, std = float(np.mean(values)), float(np.std(values, ddof=1))
        fig.add_trace(go.Scatter(x=x + jitter, y=list(values), mode="markers", marker=dict(color=colour, size=9, opacity=0.8),
                                 name=name, showlegend=False, customdata=list(r.seeds),
                                 hovertemplate=ctx.t("aug.seed_hover") + "<extra></extra>"))
        fig.add_trace(go.Scatter(x=[x + 0.25], y=[mean], mode="markers", marker=dict(color=colour, size=13, symbol="diamond"),
                                 error_y=dict(type="data", array=[std], color=colour, thickness=2, width=8),
                                 name=name, showlegend=False, hovertemplate=ctx.t("aug.mean_hover") + "<extra></extra>"))
    # the legend says what a shape means, in grey; each colour is its group, named under it on the axis
    for symbol, size, key in (("circle", 9, "aug.seed_dots"), ("diamond", 13, "aug.mean_std")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", marker=dict(color="#6b7280", size=size, symbol=symbol),
                                 name=ctx.t(key)))
    fig.add_hline(y=r.reference, line=dict(color=REFERENCE, dash="dash"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=REFERENCE, dash="dash"),
                             name=ctx.t("aug.reference", acc=_pct(ctx, r.reference))))
    fig.update_xaxes(tickvals=[0.1, 1.1], ticktext=[_two_lines(n) for n in names], range=[-0.4, 1.6], showgrid=False)
    fig.update_yaxes(title=ctx.t("aug.accuracy_axis"), tickformat=".0%", gridcolor="#e5e7eb")
    return fig


def sweep_figure(ctx: PageContext, runs: dict) -> go.Figure:
    """The shipped gain (mean paired difference ± its standard error) against the real digits per class."""
    fig = go.Figure(layout=dict(height=340, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white",
                                legend=dict(orientation="h", y=-0.25)))
    k = aug.AugmentationConfig().k_generated
    for source in aug.SOURCES:
        rows = sorted((n, r) for (s, n, kk), r in runs.items() if s == source and kk == k)
        if not rows:
            continue
        ns = [n for n, _ in rows]
        gains = [100 * float(r.differences.mean()) for _, r in rows]
        errs = [200 * r.standard_error for _, r in rows]
        fig.add_trace(go.Scatter(x=ns, y=gains, mode="lines+markers", name=ctx.t(f"aug.source.{source}"),
                                 line=dict(color=SOURCE_COLOURS[source]),
                                 error_y=dict(type="data", array=errs, color=SOURCE_COLOURS[source], thickness=1.5, width=6),
                                 hovertemplate=ctx.t("aug.sweep_hover") + "<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#111827", width=1))
    fig.update_xaxes(title=ctx.t("aug.n_real_axis"), type="log", tickvals=list(aug.N_REAL_SWEEP), gridcolor="#e5e7eb")
    fig.update_yaxes(title=ctx.t("aug.gain_axis"), gridcolor="#e5e7eb", zeroline=False)
    return fig


def _ctx(lang: str) -> PageContext:
    return PageContext("applications", lang, 0)


@charts.shared_figures(max_entries=2 * 16, ttl=3600)
def shipped_seeds_figure(settings: tuple[str, int, int], lang: str) -> go.Figure:
    """:func:`seeds_figure` of a shipped result (seed 0): the same for every student at these settings."""
    return seeds_figure(_ctx(lang), shipped_runs()[settings])


@charts.shared_figures(max_entries=2, ttl=3600)
def shipped_sweep_figure(lang: str) -> go.Figure:
    return sweep_figure(_ctx(lang), shipped_runs())


# ---------------------------------------------------------------- the section

def _shown(ctx: PageContext, settings: tuple[str, int, int]) -> tuple[aug.Result | None, bool]:
    """The result for ``settings`` (shipped at seed 0, or measured in this session), or the last one shown."""
    runs = st.session_state.get(ctx.state_key("aug_runs"), {})
    if ctx.seed == 0 and settings in shipped_runs():
        return shipped_runs()[settings], True
    if (*settings, ctx.seed) in runs:
        return runs[(*settings, ctx.seed)], True
    last = st.session_state.get(ctx.state_key("aug_last"))
    if last is not None:
        return last, False
    return shipped_runs().get((settings[0], aug.AugmentationConfig().n_real, aug.AugmentationConfig().k_generated)), False


def augmentation_section(ctx: PageContext) -> None:
    """The title, the lead and the explanation, around the part the controls rerun (:func:`augmentation_view`): a
    move does not send the texts that never change with it again."""
    st.header(ctx.t("aug.title"))
    st.markdown(ctx.t("aug.lead"))
    augmentation_view(ctx)
    ctx.md("augmentation")


@section
def augmentation_view(ctx: PageContext) -> None:
    c = st.columns([1.2, 1, 1, 0.7], vertical_alignment="bottom")
    source = c[0].segmented_control(ctx.t("aug.source_label"), aug.SOURCES, default="gan", key=ctx.key("aug_source"),
                                    format_func=ctx.labeler("applications.aug.source"), help=ctx.t("aug.source_help")) or "gan"
    n_real = c[1].slider(ctx.t("aug.n_real"), *aug.N_REAL_RANGE, 10, key=ctx.key("aug_n_real"), help=ctx.t("aug.n_real_help"))
    k = c[2].slider(ctx.t("aug.k"), *aug.K_RANGE, 20, step=5, key=ctx.key("aug_k"), help=ctx.t("aug.k_help"))
    settings = (source, int(n_real), int(k))
    if c[3].button(ctx.t("aug.run"), icon=":material/play_arrow:", key="apps_aug_run", type="primary", width="stretch"):
        with st.spinner(ctx.t("aug.running")):
            result = measure(*settings, ctx.seed)
        runs = dict(st.session_state.get(ctx.state_key("aug_runs"), {}))
        runs[(*settings, ctx.seed)] = result
        st.session_state[ctx.state_key("aug_runs")] = dict(list(runs.items())[-KEPT_RUNS:])
        st.session_state[ctx.state_key("aug_last")] = result
    r, current = _shown(ctx, settings)
    if r is None:
        st.warning(ctx.t("aug.no_result"), icon=":material/hourglass_empty:")
        return
    if current:
        st.session_state[ctx.state_key("aug_last")] = r
    else:
        st.info(ctx.t("aug.stale", source=ctx.t(f"aug.source.{r.config.source}"), n=r.config.n_real, k=r.config.k_generated, seed=r.seed),
                icon=":material/touch_app:")
    (m_real, s_real), (m_aug, s_aug) = r.mean_std("real"), r.mean_std("augmented")
    m = st.columns(4)
    m[0].metric(ctx.t("aug.real_only"), _pct(ctx, m_real), help=ctx.t("aug.metric_help", std=_pp(ctx, s_real, ".1f")))
    m[1].metric(ctx.t("aug.with_generated", k=r.config.k_generated), _pct(ctx, m_aug), _pp(ctx, m_aug - m_real),
                help=ctx.t("aug.metric_help", std=_pp(ctx, s_aug, ".1f")))
    m[2].metric(ctx.t("aug.agreement"), _pct(ctx, r.generated_agreement), help=ctx.t("aug.agreement_help"))
    m[3].metric(ctx.t("aug.reference_metric"), _pct(ctx, r.reference), help=ctx.t("aug.reference_help"))
    d = r.differences
    if lessons.answer_hidden(ctx.page):  # the verdict would give the lesson's answer away
        st.caption(ctx.t("aug.verdict_hidden"))
    else:
        VERDICT_BOX[r.verdict](ctx.t(f"aug.verdict.{r.verdict}", gain=_pp(ctx, float(d.mean())), se=_pp(ctx, r.standard_error, ".1f"),
                                     better=r.seeds_better, n=len(d), source=ctx.t(f"aug.source.{r.config.source}"),
                                     k=r.config.k_generated, real=r.config.n_real))
    left, right = st.columns([1.1, 1], gap="large")
    with left:
        shown = (r.config.source, r.config.n_real, r.config.k_generated)
        ctx.chart(shipped_seeds_figure(shown, ctx.lang) if shipped_runs().get(shown) is r else seeds_figure(ctx, r), key="apps_aug_seeds")
        st.caption(ctx.t("aug.seeds_caption", n=len(r.seeds), real=r.config.n_real * aug.N_CLASSES, test=r.n_test,
                         s_real=_pp(ctx, s_real, ".1f"), s_aug=_pp(ctx, s_aug, ".1f"), seconds=ctx.num(r.seconds, ".1f")))
    with right:
        ctx.chart(shipped_sweep_figure(ctx.lang), key="apps_aug_sweep")
        st.caption(ctx.t("aug.sweep_caption", k=aug.AugmentationConfig().k_generated))


# ---------------------------------------------------------------- inpainting

HIDDEN_TINT = (253, 186, 116)  # the hidden region, on the masked digit: light orange
BAR_COLOURS = {"inpainted_1": charts.PALETTE[5], "inpainted_3": charts.PALETTE[0], "mean": charts.PALETTE[4], "noise": "#9ca3af"}
ZOOM = 10


@st.cache_resource(max_entries=1, show_spinner=False)
def shipped_inpainting() -> dict:
    """The shipped class-kept rates and default completions (read-only)."""
    return inp.shipped(aug.FOLDER) or {"rates": [], "default": None}


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def completions(digit: int, mask: str, jumps: int, seed: int) -> np.ndarray:
    """``LIVE_SAMPLES`` completions of test digit ``digit`` (about a second; the shipped default view is instant)."""
    default = shipped_inpainting().get("default")
    if default and (digit, mask, jumps, seed) == (default["digit"], default["mask"], default["jumps"], default["seed"]):
        return np.asarray(default["samples"], np.float32)
    return inp.default_view(views_diffusion.pretrained_digits(), digit, mask, jumps, seed)


def _masked_picture(x0: np.ndarray, known: np.ndarray) -> np.ndarray:
    """The digit's known pixels in grey, the hidden ones in a light tint, as an RGB picture."""
    grey = np.kron(digit_images.shade(np.where(known, x0, 0.0).reshape(8, 8)), np.ones((ZOOM, ZOOM), np.uint8))
    rgb = np.repeat(grey[..., None], 3, axis=2)
    hidden = np.kron(~known.reshape(8, 8), np.ones((ZOOM, ZOOM), bool))
    rgb[hidden] = HIDDEN_TINT
    return rgb


def rates_figure(ctx: PageContext, rates: list[dict]) -> go.Figure:
    """Shipped: the share of completions of 100 test digits that keep their true class, by mask and by way of filling."""
    by = {(r["mask"], r["jumps"]): r for r in rates}
    masks = [m for m in inp.MASKS if (m, 1) in by]
    names = [ctx.t(f"inp.mask.{m}") for m in masks]
    fig = go.Figure(layout=dict(height=360, barmode="group", margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white",
                                legend=dict(orientation="h", y=-0.3)))
    bars = (("inpainted_1", [by[(m, 1)]["inpainted"] for m in masks]),
            ("inpainted_3", [by[(m, inp.DEFAULT_JUMPS)]["inpainted"] for m in masks]),
            ("mean", [by[(m, 1)]["mean"] for m in masks]), ("noise", [by[(m, 1)]["noise"] for m in masks]))
    for name, values in bars:
        fig.add_trace(go.Bar(x=names, y=values, name=ctx.t(f"inp.bar.{name}", u=inp.DEFAULT_JUMPS), marker_color=BAR_COLOURS[name],
                             hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    if masks:
        original = by[(masks[0], 1)]["original"]
        fig.add_hline(y=original, line=dict(color=REFERENCE, dash="dash"))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=REFERENCE, dash="dash"),
                                 name=ctx.t("inp.bar.original", acc=_pct(ctx, original))))
    fig.update_xaxes(title=ctx.t("inp.mask_label"))
    fig.update_yaxes(title=ctx.t("inp.kept_axis"), tickformat=".0%", range=[0, 1.02], gridcolor="#e5e7eb")
    return fig


@charts.shared_figures(max_entries=2, ttl=3600)
def shipped_rates_figure(lang: str) -> go.Figure:
    return rates_figure(_ctx(lang), shipped_inpainting()["rates"])


def inpainting_section(ctx: PageContext) -> None:
    """The title, the lead and the explanation, around the part the controls rerun (:func:`inpainting_view`)."""
    st.header(ctx.t("inp.title"))
    st.markdown(ctx.t("inp.lead"))
    inpainting_view(ctx)
    ctx.md("inpainting")


@section
def inpainting_view(ctx: PageContext) -> None:
    X_test, y_test = digits.load("test")
    c = st.columns([0.8, 2.2, 1.2], vertical_alignment="bottom", gap="medium")
    digit = c[0].number_input(ctx.t("inp.digit"), 0, len(X_test) - 1, 0, key=ctx.key("inp_digit"), help=ctx.t("inp.digit_help"))
    with c[1]:  # five labels: a segmented control never wraps, so it gets the widest column
        mask = st.segmented_control(ctx.t("inp.mask_label"), inp.MASKS, default="top", key=ctx.key("inp_mask"),
                                    format_func=ctx.labeler("applications.inp.mask"), help=ctx.t("inp.mask_help")) or "top"
    jumps = c[2].select_slider(ctx.t("inp.jumps"), inp.JUMP_CHOICES, inp.DEFAULT_JUMPS, key=ctx.key("inp_jumps"), help=ctx.t("inp.jumps_help"))
    digit, jumps = int(digit), int(jumps)
    x0, label = X_test[digit], int(y_test[digit])
    known = inp.known_mask(mask)
    with st.spinner(ctx.t("inp.running")):
        samples = completions(digit, mask, jumps, ctx.seed)
    baselines = np.concatenate([inp.fill(x0, known, "mean"), inp.fill(x0, known, "noise", seed=ctx.seed)])
    read = digits.classify(np.concatenate([x0[None], samples, baselines]))
    read_x0, read_samples, read_base = int(read[0]), read[1:1 + len(samples)], read[1 + len(samples):]
    kept = int((read_samples == label).sum())
    cols = st.columns(len(samples) + 5)
    cols[0].image(digit_images.picture(x0[None], 1, ZOOM, 0), caption=ctx.t("inp.original", label=label))
    cols[1].image(_masked_picture(x0, known), caption=ctx.t("inp.masked"))
    for i, (img, r) in enumerate(zip(samples, read_samples)):
        cols[2 + i].image(digit_images.picture(img[None], 1, ZOOM, 0),
                          caption=ctx.t("inp.sample_ok" if r == label else "inp.sample_wrong", read=int(r)))
    for j, (name, img, r) in enumerate(zip(inp.BASELINES, baselines, read_base)):
        cols[3 + len(samples) + j].image(digit_images.picture(img[None], 1, ZOOM, 0),
                                         caption=ctx.t(f"inp.baseline_{name}", read=int(r)))
    st.caption(ctx.t("inp.images_caption", n=len(samples), u=jumps, read=read_x0))
    m = st.columns(3)
    m[0].metric(ctx.t("inp.kept_here"), f"{kept}/{len(samples)}", help=ctx.t("inp.kept_here_help", label=label))
    rates = shipped_inpainting()["rates"]
    row = {r["jumps"]: r for r in rates if r["mask"] == mask}
    if 1 in row and inp.DEFAULT_JUMPS in row:
        best = row[inp.DEFAULT_JUMPS]
        m[1].metric(ctx.t("inp.kept_shipped", u=inp.DEFAULT_JUMPS), _pct(ctx, best["inpainted"]),
                    _pp(ctx, best["inpainted"] - best["mean"]), help=ctx.t("inp.kept_shipped_help", n=best["n_digits"] * best["n_samples"]))
        m[2].metric(ctx.t("inp.kept_mean"), _pct(ctx, best["mean"]), help=ctx.t("inp.kept_mean_help"))
        gains = {j: [r["inpainted"] - r["mean"] for r in rates if r["jumps"] == j] for j in (1, inp.DEFAULT_JUMPS)}
        ctx.chart(shipped_rates_figure(ctx.lang), key="apps_inp_rates")
        st.caption(ctx.t("inp.rates_caption", n=best["n_digits"], k=best["n_samples"], u=inp.DEFAULT_JUMPS, masks=len(gains[1]),
                         wins=sum(g > 0 for g in gains[inp.DEFAULT_JUMPS]), plain_wins=sum(g > 0 for g in gains[1]),
                         gain=_pp(ctx, float(np.mean(gains[inp.DEFAULT_JUMPS]))), plain_gain=_pp(ctx, float(np.mean(gains[1])))))


# ---------------------------------------------------------------- uses, as text

# the course's list of applications -> the pages of this app that show the idea ("<page>/<tab>" opens that tab);
# an empty tuple: this page shows it, above
SEEDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("images", ("gan", "diffusion")),
    ("text", ("token_sampling",)),
    ("audio", ("token_sampling", "diffusion")),
    ("video", ("diffusion",)),
    ("design", ("diffusion",)),
    ("augmentation", ()),
    ("simulation", ("gan",)),
    ("editing", ("vae/edit",)),
    ("drug_discovery", ("vae",)),
)


def uses_section(ctx: PageContext) -> None:
    st.header(ctx.t("uses.title"))
    ctx.md("science")
    st.subheader(ctx.t("uses.seeds_title"))
    st.markdown(ctx.t("uses.seeds_lead"))
    grid = st.columns(3, gap="small")
    for i, (item, pages) in enumerate(SEEDS):
        with grid[i % 3].container(border=True):
            st.markdown(f"**{ctx.t(f'uses.seed.{item}')}** · {ctx.t(f'uses.line.{item}')}")
            for target in pages:  # "<page>" or "<page>/<tab>": a tab opens through the link (?tab=)
                key, _, tab = target.partition("/")
                info = BY_KEY[key]
                label = t(f"{key}.nav") + (f" · {t(f'{key}.tab.{tab}')}" if tab else "")
                st.page_link(info.script, label=label, icon=info.icon, query_params={"lang": ctx.lang, **({"tab": tab} if tab else {})})
