"""Plotly building blocks for the 2D plane, shared by every page that draws points.

One palette (Okabe-Ito, readable by colour-blind students and on projectors), one
figure frame with equal axes labelled x₁ and x₂, and small "add a layer" helpers.

And figures built once for a whole class: :class:`Frozen` (serialised once), :func:`shared_figures` (a bounded
cache of them per setting, language and presenter mode), :func:`overlay` (a session's own traces over a shared
figure) and :func:`digest` (a key for figures of session state that other sessions may hold too).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import inspect
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as _pio

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D1F", "#000000")
# Two more for the 9th and 10th mixture component (page 2 goes up to K = 10): Paul Tol's wine and
# indigo, dark enough to read on white and at least as far from every colour above, also under
# simulated red-green colour blindness, as the palette's own closest pairs are from each other.
EXTRA = ("#882255", "#332288")
COLOURS = PALETTE + EXTRA
FONT_SIZE = 15


class Frozen(go.Figure):
    """A figure that is serialised once: ``st.plotly_chart`` asks every run for ``to_dict()``, which deep-copies
    the figure and packs each array as base64 again (half of this page's warm rerun, for figures that never
    change). Made by :func:`freeze`; read-only from then on: a change after the first ``to_dict()`` is not drawn.

    ``raw_frames``: animation frames as plain dicts, their arrays already packed (:func:`typed`), added to the dict
    unvalidated (plotly validates every property of every ``go.Frame``: most of a replay's first build);
    ``frames`` gives ``go.Frame`` objects, built on demand, for a copy such as ``go.Figure(frozen)`` (presenter
    mode restyles a copy).
    """

    _spec: dict | None = None
    _raw_frames: list[dict] | None = None
    present: bool | None = None  # the presenter mode it was styled for (``freeze(present=)``), None: not styled by it

    _json: tuple[dict, str] | None = None  # (the spec it was written from, its JSON): see :func:`_to_json`

    def to_dict(self) -> dict:
        spec = self._spec
        if spec is None:
            spec = super().to_dict()
            if self._raw_frames:
                spec["frames"] = self._raw_frames
            self._spec = spec  # two runs racing here build the same dict twice, harmlessly
        out = _Spec({**spec, "data": [dict(trace) for trace in spec["data"]]})  # plotly.io.to_json pops each trace's uid
        out.frozen, out.source = self, spec
        return out

    def to_plotly_json(self) -> dict:
        return self.to_dict()

    @property
    def frames(self):
        if self._raw_frames:
            return tuple(go.Frame(f) for f in self._raw_frames)
        return super().frames


_TYPES = {"float32": "f4", "float64": "f8", "uint8": "u1", "int8": "i1", "int16": "i2", "int32": "i4"}


def typed(a: np.ndarray) -> dict:
    """A numpy array as plotly.js's typed array (base64), as plotly packs a figure's own arrays: for the raw frames of
    a :class:`Frozen` figure (plotly's own packing walks every value of every frame, most of a replay's first drawing)."""
    a = np.ascontiguousarray(a)
    out = {"dtype": _TYPES[str(a.dtype)], "bdata": base64.b64encode(a).decode("ascii")}
    if a.ndim > 1:
        out["shape"] = str(a.shape)[1:-1]
    return out


class _Spec(dict):
    """A frozen figure's dict, which knows the figure and the spec it came from, so its JSON is written once."""

    frozen: Frozen
    source: dict


def _to_json(fig, *args, **kwargs):
    """``plotly.io.to_json``, writing a :class:`Frozen` figure's JSON once: ``st.plotly_chart`` asks for it on every run
    that draws the figure (a shared figure on every student's), and writing a large figure again cost about as much as
    the rest of the chart's run (7% of a class's server time, ``benchmarks/README.md``). The text is plotly's own; a
    figure whose spec was replaced since (``fit_margins``) is written again."""
    if type(fig) is not _Spec or args or set(kwargs) - {"validate"}:
        return _PLOTLY_TO_JSON(fig, *args, **kwargs)
    owner, memo = fig.frozen, fig.frozen._json
    if memo is not None and memo[0] is fig.source:
        return memo[1]
    text = _PLOTLY_TO_JSON(fig, *args, **kwargs)
    owner._json = (fig.source, text)  # two runs racing here write the same text twice, harmlessly
    return text


_PLOTLY_TO_JSON = getattr(_pio.to_json, "__wrapped__", _pio.to_json)
_to_json.__wrapped__ = _PLOTLY_TO_JSON
_pio.to_json = _to_json  # Streamlit calls ``plotly.io.to_json`` by its module's name, at every chart


def freeze(fig: go.Figure, lang: str, raw_frames: list[dict] | None = None, present: bool | None = None) -> Frozen:
    """``fig`` (just built, not shared yet) as a :class:`Frozen` figure, with ``lang``'s number separators
    (``PageContext.chart`` would otherwise set them on it). ``present``: styled for presenter mode
    (``presenter.style``, a copy) when True; ``PageContext.chart`` draws a figure whose ``present`` is the run's
    mode as it is (None: it restyles a copy when presenting, as for any figure)."""
    own = type(fig) not in (go.Figure, Frozen)  # a figure class with a to_dict of its own (raw frames: FramedFigure)
    if not isinstance(fig, Frozen) or present:
        fig.update_layout(separators=",." if lang == "pt" else ".,")  # before the restyle, as PageContext.chart does
    if present:
        from ui import presenter

        if raw_frames is None and (own or isinstance(fig, Frozen)):  # presenter.style's copy would drop them, or
            raw_frames = getattr(fig, "_raw_frames", None) or None  # (a Frozen's) rebuild them as validated go.Frames
        fig = presenter.style(fig)  # a copy (a frozen figure's raw frames come as go.Frame objects)
        own = False
    elif isinstance(fig, Frozen):  # frozen already (its raw frames kept): only its mode is said
        fig.present = present
        return fit_margins(fig)  # (fitted when it was frozen; else its own dict is, PageContext.chart will not)
    fit_margins(fig, WIDE_WIDTH if present else None)  # before its dict is made: PageContext.chart's fitting comes too late
    spec = fig.to_dict() if own else None  # its own dict, made once
    fig.__class__ = Frozen  # the same object, its traces' parent links intact: no copy
    fig._spec, fig._raw_frames, fig.present = spec, raw_frames, present
    return fig


def digest(*parts) -> str:
    """A short fingerprint of a figure's inputs (arrays by dtype, shape and bytes; lists, tuples, dicts and
    dataclasses by their items; anything else by ``repr``): two sessions whose figure would be built from the same
    inputs share it (:func:`shared_figures`) without handing Streamlit's hasher a trainer or a view."""
    h = hashlib.blake2b(digest_size=16)

    def feed(x) -> None:
        if isinstance(x, np.ndarray) and not x.dtype.hasobject:  # (an object array's bytes would be addresses)
            h.update(f"a{x.dtype}{x.shape}".encode())
            h.update(np.ascontiguousarray(x).tobytes())
        elif isinstance(x, (list, tuple, np.ndarray)):
            if isinstance(x, np.ndarray):
                x = x.tolist()
            elif x and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x):  # a history's numbers: one pass, not a repr per value
                a = np.asarray(x)  # ints stay ints
                if not a.dtype.hasobject:  # (ints beyond 64 bits)
                    feed(a)
                    return
            h.update(f"l{len(x)}".encode())
            for v in x:
                feed(v)
        elif isinstance(x, dict):
            h.update(f"d{len(x)}".encode())
            for k, v in x.items():
                feed(k)
                feed(v)
        elif hasattr(x, "__dataclass_fields__"):
            h.update(type(x).__qualname__.encode())
            for name in x.__dataclass_fields__:
                feed(getattr(x, name))
        else:
            h.update(repr(x).encode())
        h.update(b"|")

    for part in parts:
        feed(part)
    return h.hexdigest()


def presenting() -> bool:
    """This run's presenter mode (``ui.shell.presenting``; read here so that figure modules need not import the shell)."""
    import streamlit as st

    from ui import share

    try:
        return bool(st.session_state.get(share.PRESENT))
    except Exception:  # no session (a figure built outside a run, as in a test)
        return False


def _freeze_all(out, lang: str, present: bool):
    """The figures in a builder's result: itself, or the items of a plain tuple, list or dict (one level)."""
    def one(v):
        return freeze(v, lang, present=present) if isinstance(v, go.Figure) else v

    if type(out) is tuple:
        return tuple(one(v) for v in out)
    if type(out) is list:
        return [one(v) for v in out]
    if type(out) is dict:
        return {k: one(v) for k, v in out.items()}
    return one(out)


def shared_figures(**cache):
    """``@st.cache_resource(**cache)`` for a function that builds figures (alone or in a tuple, list or dict, with
    captions) the same for every student at given arguments, one of them ``lang``: each figure is :func:`freeze`-d
    (serialised once, for every session) and styled for the run's presenter mode, which is part of the key. The
    figures are read-only: ``PageContext.chart`` draws them as they are. Arguments named ``_…`` are not hashed
    (give such data with a digest or a name that says what it is)."""
    import streamlit as st

    cache = {"show_spinner": False, **cache}

    def decorate(build):
        sig = inspect.signature(build)

        def frozen(present: bool, **kwargs):
            return _freeze_all(build(**kwargs), kwargs.get("lang", "en"), present)

        frozen.__module__, frozen.__qualname__ = build.__module__, f"{build.__qualname__}.frozen"  # its own cache
        cached = st.cache_resource(**cache)(frozen)

        @functools.wraps(build)
        def call(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            return cached(presenting(), **bound.arguments)  # by name: "_…" arguments stay out of the key

        call.clear = cached.clear
        return call

    return decorate


def overlay(base: Frozen, traces: list) -> Frozen:
    """``base`` (a shared frozen figure) with a session's own ``traces`` drawn on top, without copying or
    re-serialising ``base``: a picked point on a plane that is the same for everyone. Read-only like ``base``."""
    if base.present is None:  # not made by shared_figures: PageContext.chart may restyle it, so a whole copy
        fig = go.Figure(base)
        fig.add_traces(traces)
        return fig
    top = go.Figure(data=traces)
    if base.present:
        from ui import presenter

        top = presenter.style(top)
    spec = base.to_dict()
    spec["data"] = spec["data"] + top.to_dict()["data"]  # packed as plotly packs a figure's arrays
    fig = Frozen(layout=dict(separators=base.layout.separators))
    fig._spec, fig.present = spec, base.present
    return fig


def colour(k: int) -> str:
    """The k-th colour: ten distinct ones, then they repeat."""
    return COLOURS[int(k) % len(COLOURS)]


def f4(values) -> np.ndarray:
    """A figure's numbers as contiguous float32: plotly sends numpy arrays as base64 of their bytes, so this halves
    what a grid or a point cloud weighs on the wire (7 significant digits, far below what a pixel shows)."""
    return np.ascontiguousarray(values, dtype=np.float32)


def fixed_subset(n: int, most: int) -> np.ndarray:
    """Indices of the points a live figure draws while training plays (each SVG marker costs the browser ~0.1 ms, four
    times a second): all ``n`` up to ``most``, else a fixed sample of ``most`` (seed 0: the same points on every
    tick), in the data's order."""
    if n <= most:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, most, replace=False))


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], float)


def plane_figure(box: tuple[float, float, float, float], title: str | None = None, height: int = 500) -> go.Figure:
    """An empty square plot over ``box`` = (x_min, x_max, y_min, y_max), axes x₁ and x₂.

    One constructor call with the whole layout: plotly validates it once, ~3 ms, where update_layout,
    update_xaxes and update_yaxes took ~26 ms (twice on page 1, on every rerun)."""
    axis = dict(showgrid=True, gridcolor="#e5e7eb", zeroline=False, constrain="domain")
    layout = dict(
        height=height,
        margin=dict(l=10, r=10, t=50 if title else 10, b=10),
        font=dict(size=FONT_SIZE),
        plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="top", xanchor="left", x=0, y=-0.16),
        uirevision="plane",  # keep the user's zoom when a slider moves
        xaxis=dict(axis, range=[box[0], box[1]], title=dict(text="x₁")),
        yaxis=dict(axis, range=[box[2], box[3]], title=dict(text="x₂"), scaleanchor="x", scaleratio=1),
    )
    if title:
        layout["title"] = dict(text=title, font=dict(size=FONT_SIZE + 2))
    return go.Figure(layout=layout)


# A new chart's WebGL context is drawn in software on a laptop without a GPU (and in headless Chromium): creating it
# costs more than drawing a few thousand SVG markers (~0.1 ms each), and a browser keeps only about 16 contexts. So a
# figure's points are SVG up to this many, WebGL only past it (a large upload, 2,000 generated points).
SVG_POINTS = 1500


def scatter_class(n_points: int):
    """``go.Scatter`` (SVG) for a figure of up to :data:`SVG_POINTS` points, else ``go.Scattergl``."""
    return go.Scatter if n_points <= SVG_POINTS else go.Scattergl


def add_points(fig: go.Figure, X: np.ndarray, y: np.ndarray, names, label: str = "{name}", symbol: str = "circle",
               size: int = 7, opacity: float = 0.85, line_width: float = 0.6) -> None:
    """One scatter trace per class, coloured by class; ``label`` is formatted with ``name``. WebGL (page 1's planes:
    with SVG there, tests/test_browser.py's drawing test timed out in half the full-suite runs, see the stop-28 note)."""
    for k in np.unique(y):
        pts = X[y == k]
        fig.add_trace(go.Scattergl(
            x=f4(pts[:, 0]), y=f4(pts[:, 1]), mode="markers", name=label.format(name=names[k]),
            marker=dict(color=colour(k), size=size, symbol=symbol, opacity=opacity, line=dict(color="white", width=line_width)),
            hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>",
        ))


def add_probability_map(fig: go.Figure, xs: np.ndarray, ys: np.ndarray, proba: np.ndarray, names, colorbar_title: str) -> None:
    """p(y|x) on a grid. Two classes: a heat map of p(y = second class | x) from the first
    class's colour through white (0.5) to the second's. More classes: each pixel mixes the
    class colours in proportion to their probabilities (no colour bar then)."""
    res_y, res_x = len(ys), len(xs)
    if proba.shape[1] == 2:
        fig.add_trace(go.Heatmap(
            x=xs, y=ys, z=f4(proba[:, 1].reshape(res_y, res_x)), zmin=0, zmax=1,
            colorscale=[[0, colour(0)], [0.5, "#ffffff"], [1, colour(1)]], opacity=0.55,
            colorbar=dict(title=dict(text=colorbar_title, side="right"), thickness=14, len=0.8),
            hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>" + colorbar_title + "=%{z:.2f}<extra></extra>",
        ))
        return
    cols = np.stack([_rgb(colour(k)) for k in range(proba.shape[1])])
    rgb = proba @ cols
    rgb = 255 - 0.55 * (255 - rgb)  # lighten, like the two-class map's opacity
    img = rgb.reshape(res_y, res_x, 3).clip(0, 255).astype(np.uint8)
    fig.add_trace(go.Image(z=img, x0=xs[0], dx=xs[1] - xs[0], y0=ys[0], dy=ys[1] - ys[0], hoverinfo="skip"))
    fig.update_yaxes(autorange=None, range=[ys[0], ys[-1]])


def add_decision_boundary(fig: go.Figure, xs: np.ndarray, ys: np.ndarray, proba: np.ndarray, name: str) -> None:
    """The line where the most probable class changes (p = 0.5 for two classes)."""
    res = (len(ys), len(xs))
    if proba.shape[1] == 2:
        z, start, end, size = proba[:, 1].reshape(res), 0.5, 0.5, 1.0
    else:
        z, start, end, size = proba.argmax(1).reshape(res).astype(float), 0.5, proba.shape[1] - 1.5, 1.0
    fig.add_trace(go.Contour(
        x=xs, y=ys, z=f4(z), contours=dict(start=start, end=end, size=size, coloring="none"),
        line=dict(color="black", width=3, dash="dash"), showscale=False, name=name, showlegend=True, hoverinfo="skip",
    ))


def add_density_contours(fig: go.Figure, xs: np.ndarray, ys: np.ndarray, density: np.ndarray, k: int, name: str,
                         n_levels: int = 6) -> None:
    """Contour lines of one class's density p(x | y = k), in that class's colour."""
    z = density.reshape(len(ys), len(xs))
    top = float(z.max())
    if not np.isfinite(top) or top <= 0:
        return
    fig.add_trace(go.Contour(
        x=xs, y=ys, z=f4(z), contours=dict(start=top / (n_levels + 1), end=top * n_levels / (n_levels + 1), size=top / (n_levels + 1), coloring="lines"),
        colorscale=[[0, colour(k)], [1, colour(k)]], line=dict(width=2), showscale=False, name=name, showlegend=True, hoverinfo="skip",
    ))


def add_heatmap(fig: go.Figure, xs: np.ndarray, ys: np.ndarray, values: np.ndarray, colorbar_title: str,
                colorscale: str = "Greys", opacity: float = 0.6) -> None:
    """A scalar field over the plane (a log-density, an energy, a discriminator's output)."""
    fig.add_trace(go.Heatmap(
        x=xs, y=ys, z=f4(values.reshape(len(ys), len(xs))), colorscale=colorscale, opacity=opacity,
        colorbar=dict(title=dict(text=colorbar_title, side="right"), thickness=14, len=0.8),
        hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>" + colorbar_title + "=%{z:.2f}<extra></extra>",
    ))


def arrow_path(fig: go.Figure, start: np.ndarray, vec: np.ndarray, name: str, colour: str, head: float | None = None) -> None:
    """Segments start → start + vec, each with an open arrow head (two short strokes back from the tip), all in one SVG
    path: one marker per point (a head, and an empty one at each start) drew 3 SVG nodes per arrow, and a filled head
    per arrow one more each, most of what the arrows cost the browser. ``head``: the strokes' length in data units
    (default :func:`arrow_head` of the figure); planes have equal axis scales, so the heads keep their shape.
    A zero arrow gets no head."""
    if len(start) == 0:
        return
    xy = arrow_xy(start, vec, arrow_head(fig, start) if head is None else head)
    fig.add_trace(go.Scatter(x=f4(xy[:, 0]), y=f4(xy[:, 1]), mode="lines", name=name, line=dict(color=colour, width=1.4),
                             hoverinfo="skip"))


def arrow_head(fig: go.Figure, start: np.ndarray) -> float:
    """An arrow head's length in data units: 1/70 of the figure's x range (about 7 px)."""
    lo, hi = fig.layout.xaxis.range or (float(np.min(start[:, 0])) - 1, float(np.max(start[:, 0])) + 1)
    return (hi - lo) / 70


def arrow_xy(start: np.ndarray, vec: np.ndarray, head: float) -> np.ndarray:
    """The vertices of :func:`arrow_path`'s one path ((7 n, 2), gaps as NaN): also a plotly frame's new arrows."""
    start, vec = np.asarray(start, float), np.asarray(vec, float)
    n = len(start)
    length = np.linalg.norm(vec, axis=1, keepdims=True)
    unit = np.divide(vec, length, out=np.zeros_like(vec), where=length > 0)
    normal = unit[:, ::-1] * np.array([-1.0, 1.0])
    tip = start + vec
    size = np.minimum(head, 0.6 * length)  # a short arrow's head stays shorter than its shaft
    back, wing = tip - unit * size, 0.5 * size
    xy = np.full((n, 7, 2), np.nan)  # start, tip, gap, one wing, tip, the other wing, gap
    xy[:, 0], xy[:, 1] = start, tip
    heads = length[:, 0] > 0
    xy[heads, 3], xy[heads, 4], xy[heads, 5] = (back + normal * wing)[heads], tip[heads], (back - normal * wing)[heads]
    return xy.reshape(-1, 2)


def add_marked_points(fig: go.Figure, X: np.ndarray, name: str, colour_: str = "#B91C1C") -> None:
    """Ring the given points (e.g. the least likely ones)."""
    fig.add_trace(go.Scatter(
        x=X[:, 0], y=X[:, 1], mode="markers", name=name,
        marker=dict(symbol="circle-open", size=16, color=colour_, line=dict(width=2.5)),
        hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>",
    ))


def frame_player(fig: go.Figure, start: int, names: list[str], labels: list[str], play: str, pause: str, *,
                 buttons_at: tuple[float, float], slider_at: tuple[float, float], slider_len: float, duration: int) -> None:
    """▶/■ buttons and a slider over ``fig``'s frames (``names``, shown as ``labels``), played in the browser: moving
    the slider jumps to a frame with no rerun, ▶ plays on from it every ``duration`` ms. ``start``: the frame shown."""
    jump = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", x=buttons_at[0], y=buttons_at[1], xanchor="left", yanchor="top",
                          showactive=False,
                          buttons=[dict(label="▶ " + play, method="animate",
                                        args=[None, dict(frame=dict(duration=duration, redraw=True), transition=dict(duration=0),
                                                         fromcurrent=True)]),
                                   dict(label="■ " + pause, method="animate", args=[[None], jump])])],
        sliders=[dict(active=start, x=slider_at[0], y=slider_at[1], len=slider_len, xanchor="left", yanchor="top",
                      font=dict(color="rgba(0,0,0,0)"), currentvalue=dict(prefix="", font=dict(size=FONT_SIZE - 1, color="#111827")),
                      steps=[dict(label=lab, method="animate", args=[[name], jump]) for name, lab in zip(names, labels)])],
    )


# ---------------------------------------------------------------- margins
# Plotly's auto-margins (``layout.margin.autoexpand``, every axis's ``automargin``, which Streamlit's theme turns on)
# measure the legend, the colour bars, the tick labels and the titles in the browser and, when they do not fit the
# margins the figure gave, draw the whole figure a second time with wider ones: on the first drawing of every
# figure, and again each time a tick label or legend changes width (a moved slider, a live tick). ``fit_margins``
# works out here, once, margins big enough for what the figure shows, and turns ``autoexpand`` off, so the browser
# draws each figure once. Estimates err on the large side: a few pixels of white rather than a cut-off label.

THEME_TICK, THEME_AXIS_TITLE, THEME_LEGEND, THEME_TITLE = 12, 14, 12, 16  # Streamlit's plotly theme's font sizes
THEME_PAD = 8  # the theme's ``margin.pad``
THEME_STANDOFF = {"x": 20, "y": 24}  # the theme's axis ``title.standoff``
WIDE_WIDTH = 900  # px: a figure across the page (a 1280 px laptop's page with the sidebar open), or presented
ASSUMED_WIDTH = 400  # px: a figure's width when it does not say: a column of a 1280 px laptop's page, the narrow case
PLOTLY_BASE = {"l": 0, "r": 0, "t": 100, "b": 80}  # the margins a figure gets when it gives none (theme: l = r = 0)
WHY: list | None = None  # set to a list to see what each box placed around the plot asks for (debugging)
STEP = 4  # margins are rounded up to this, so a live figure's margins do not jitter pixel by pixel
_TAG = re.compile(r"<[^>]+>")


def _lines(text) -> list[str]:
    return [_TAG.sub("", part) for part in re.split(r"<br\s*/?>", str(text or ""), flags=re.I)] or [""]


def _char_w(c: str) -> float:
    """A character's width in ems in Streamlit's font (Source Sans), rounded up: digits 0.5, lower case ~0.45."""
    if c in NARROW:
        return 0.3
    if c.isdigit() or c in "−-+=<>~%$#*":
        return 0.56
    if c.isupper() or c in "mwMWμ":
        return 0.68
    return 0.52


NARROW = frozenset(" .,:;'|!ilj()[]{}/\\ft1")


def _text_w(text, size: float) -> float:
    return max(sum(_char_w(c) for c in line) for line in _lines(text)) * size


def _text_h(text, size: float) -> float:
    return len(_lines(text)) * 1.3 * size


def _nice_ticks(lo: float, hi: float, n: int = 8) -> list[float]:
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return [lo] if np.isfinite(lo) else [0.0]
    raw = (hi - lo) / n
    mag = 10.0 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = np.ceil(lo / step) * step
    ticks = [round(first + i * step, 12) for i in range(int((hi - first) / step + 1e-9) + 1)]
    return ticks or [lo]


def _number_labels(values: list[float], fmt: str | None, prefix: str = "", suffix: str = "") -> list[str]:
    """Roughly the labels plotly writes for these values (d3 format ``fmt``, else its own shortest form)."""
    out = []
    for v in values:
        try:
            if fmt and fmt.endswith("%"):
                s = format(v, fmt.lstrip(",~"))
            elif fmt and fmt[-1] in "fegd" and not fmt.startswith("%"):
                s = format(v, fmt.replace("~", "").replace("d", "n") if fmt[-1] == "d" else fmt.replace("~", ""))
            elif abs(v) >= 1e4:
                s = f"{v / 1e3:.4g}k" if abs(v) < 1e6 else f"{v / 1e6:.4g}M"
            else:
                s = f"{v:.6g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.1e}"
        except (ValueError, TypeError):
            s = f"{v:.6g}"
        out.append(prefix + s + suffix)
    return out


def _values(a) -> np.ndarray | None:
    if a is None:
        return None
    if isinstance(a, dict):  # a packed typed array: only its length is cheap
        return None
    arr = np.asarray(a)
    return arr if arr.size else None


def _label_extent(labels: list[str], size: float) -> tuple[float, float]:
    """(widest, tallest) of ``labels`` in px."""
    if not labels:
        return 0.0, 0.0
    return max(_text_w(s, size) for s in labels), max(_text_h(s, size) for s in labels)


def _get(d, *path, default=None):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return default if d is None else d


def _title_text(d) -> str | None:
    t = d.get("title") if isinstance(d, dict) else None
    return t.get("text") if isinstance(t, dict) else t if isinstance(t, str) else None


def _axis_labels(layout: dict, traces: list[dict], ax: dict, name: str, letter: str) -> list[str]:
    """The tick labels axis ``name`` (``xaxis2``) will show, roughly."""
    if ax.get("showticklabels") is False or ax.get("visible") is False:
        return []
    if ax.get("ticktext") is not None and len(ax["ticktext"]):
        return [str(s) for s in ax["ticktext"]]
    if ax.get("tickvals") is not None and not len(ax["tickvals"]):
        return []
    short = letter + name[5:]  # xaxis2 -> x2
    cats: list[str] = []
    lo, hi = np.inf, -np.inf
    counts = 0
    for tr in traces:
        kind = tr.get("type", "scatter")
        if (tr.get(f"{letter}axis") or letter) != short or kind in NOT_CARTESIAN or kind == "image":
            continue
        if kind == "histogram" and tr.get(letter) is None:  # the counts, computed in the browser
            other = _values(tr.get("y" if letter == "x" else "x"))
            counts += 0 if other is None else len(other)
            continue
        vals = _values(tr.get(letter))
        z = _values(tr.get("z")) if vals is None and kind in ("heatmap", "contour") else None
        if z is not None and z.ndim:
            vals = np.arange(z.shape[1] if letter == "x" and z.ndim > 1 else z.shape[0])
        if vals is None:
            continue
        if vals.dtype.kind in "OUS":
            flat = [v for v in vals.ravel().tolist() if v is not None]
            if any(isinstance(v, str) for v in flat):
                cats += [str(v) for v in flat]
                continue
            vals = np.asarray([v for v in flat if isinstance(v, (int, float))], float)
        if vals.dtype.kind not in "biuf" or not vals.size:
            continue
        finite = vals[np.isfinite(vals)] if vals.dtype.kind == "f" else vals
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
            if kind == "bar":
                lo, hi = min(lo, 0.0), max(hi, 0.0) * (2 if layout.get("barmode") == "stack" else 1)
    if counts:
        lo, hi = min(lo, 0.0), max(hi, float(counts))
    if ax.get("type") in ("category", "multicategory") or (cats and not np.isfinite(lo)):
        return list(dict.fromkeys(cats)) or ["0"]
    rng = ax.get("range")
    if rng is not None and len(rng) == 2 and all(isinstance(v, (int, float)) for v in rng):
        lo, hi = sorted(float(v) for v in rng)
    if not np.isfinite(lo):
        lo, hi = 0.0, 1.0
    if ax.get("type") == "log":
        return ["0.0001", "100k"]
    return _number_labels(_nice_ticks(lo, hi), ax.get("tickformat"), ax.get("tickprefix") or "", ax.get("ticksuffix") or "")


def _legend_box(layout: dict, traces: list[dict], width: float, lf: float) -> tuple[float, float] | None:
    """(width, height) in px of the legend, or None when plotly shows none."""
    shown_traces = [(i, tr) for i, tr in enumerate(traces)
                    if tr.get("showlegend") or (tr.get("showlegend") is None and tr.get("type", "scatter") in IN_LEGEND)]
    entries = [tr.get("name") if tr.get("name") is not None else f"trace {i}" for i, tr in shown_traces]
    groups = [tr.get("legendgroup") or f"#{i}" for i, tr in shown_traces]
    shown = layout.get("showlegend")
    if shown is None:
        shown = len(entries) > 1 or any(tr.get("showlegend") for tr in traces)
    if not shown or not entries:
        return None
    legend = layout.get("legend") or {}
    title = _title_text(legend)
    item_h = max(1.3 * lf, 16) + 4
    sizes = [52 + _text_w(name, lf) for name in entries]  # plotly: 40 px for the symbol and its gap, 5 between items
    grouped = any(tr.get("legendgroup") for _, tr in shown_traces) and "grouped" in legend.get("traceorder", "grouped")
    if legend.get("orientation") == "h" and grouped:  # each group a column of its entries, the columns side by side
        cols = [(max(w for w, h in zip(sizes, groups) if h == g), groups.count(g)) for g in dict.fromkeys(groups)]
        rows, used, tallest = 0, 0.0, 0
        for w, n in cols:
            if used and used + w > width:
                rows, used, tallest = rows + tallest, 0.0, 0
            used, tallest = used + w, max(tallest, n)
        rows += tallest
        box = (width, rows * item_h + 10)
    elif legend.get("orientation") == "h":
        if sum(sizes) <= width:
            rows = 1
        else:  # plotly wraps a long horizontal legend into columns as wide as its widest entry
            rows = -(-len(sizes) // max(1, int(width // max(sizes))))
        box = (min(width, sum(sizes)) + 10, rows * item_h + 10)
    else:
        box = (max(sizes) + 10, len(entries) * item_h + 10)
    if title:
        box = (max(box[0], _text_w(title, lf) + 10), box[1] + 1.3 * lf)
    return box


def _extent(pos: float, anchor: str | None, size: float, length: float) -> tuple[float, float]:
    """Start and end (px, from the plot area's left or bottom edge) of a box of ``size`` placed at paper ``pos`` with
    ``anchor``; plotly's "auto" anchors at the nearest side (left / bottom below a third, right / top above two)."""
    if anchor in (None, "auto"):
        anchor = "low" if pos <= 1 / 3 else "high" if pos >= 2 / 3 else "mid"
    else:
        anchor = {"left": "low", "bottom": "low", "right": "high", "top": "high"}.get(anchor, "mid")
    start = pos * length - {"low": 0, "mid": size / 2, "high": size}[anchor]
    return start, start + size


NOT_CARTESIAN = frozenset(("pie", "surface", "scatter3d", "mesh3d", "sunburst", "treemap", "icicle", "table", "sankey",
                           "parcoords", "parcats", "scatterpolar", "barpolar", "funnelarea", "indicator"))
IN_LEGEND = frozenset(("scatter", "scattergl", "bar", "histogram", "box", "violin", "funnel", "waterfall"))
COLOUR_BARS = frozenset(("heatmap", "contour", "histogram2d", "histogram2dcontour"))


def fit_margins(fig: go.Figure, width: float | None = None) -> go.Figure:
    """Margins big enough for what ``fig`` shows (tick labels, axis titles, legend, colour bars, title, annotations,
    sliders and buttons outside the plot), never smaller than the ones it gave, and ``margin.autoexpand`` off: the
    browser then draws it once. (The axes keep ``automargin``: with autoexpand off it only places each axis title
    beside its tick labels, as before, and asks for no second drawing.) ``width``: the figure's width in px when its layout does not say (else a guess, for
    a horizontal legend's rows). Idempotent, in place; returns ``fig``. ~1 ms: it reads plotly's own dicts."""
    if getattr(fig, "_gp_fitted", False):
        return fig
    spec = getattr(fig, "_spec", None)
    if spec is not None:  # a frozen figure whose dict is made (an overlay: a shared figure's, with a session's traces)
        fig._spec = spec = {**spec, "layout": dict(spec["layout"])}  # its own top level: the shared one stays as it is
        lay, traces = spec["layout"], spec["data"]
    else:
        lay, traces = fig._layout, fig._data
    W = float(lay.get("width") or width or ASSUMED_WIDTH)
    H = float(lay.get("height") or 450)
    font = _get(lay, "font", "size", default=THEME_TICK)
    margin = lay.get("margin") or {}
    pad = margin.get("pad", THEME_PAD) if margin.get("pad") is not None else THEME_PAD
    need = {side: (margin[side] if margin.get(side) is not None else PLOTLY_BASE[side]) for side in "lrtb"}
    fixed = {"l": 0.0, "r": 0.0, "t": 0.0, "b": 0.0}  # px each side needs whatever the plot's size
    frac: list[tuple[str, float, str | None, float]] = []  # (x or y, paper position, anchor, px size): solved below

    def push(side: str, px: float) -> None:
        fixed[side] = max(fixed[side], px)

    cartesian = not traces or any(tr.get("type", "scatter") not in NOT_CARTESIAN for tr in traces)
    names = sorted({k for k in lay if k[1:5] == "axis" and k[0] in "xy"} | ({"xaxis", "yaxis"} if cartesian else set()))
    axes = [(name, name[0]) for name in names] if cartesian else []
    for name, letter in axes:
        ax = lay.get(name) or {}
        if ax.get("visible") is False:
            continue
        side = ax.get("side") or ("bottom" if letter == "x" else "left")
        anchor = ax.get("anchor") or ("y" if letter == "x" else "x")
        other = (lay.get(("yaxis" if letter == "x" else "xaxis") + anchor[1:]) or {}) if anchor != "free" else {}
        dom = list(other.get("domain") or [0, 1])
        edge = {"bottom": dom[0] <= 0.02, "top": dom[1] >= 0.98, "left": dom[0] <= 0.02, "right": dom[1] >= 0.98}[side]
        if anchor == "free" and ax.get("position") is not None:
            edge = ax["position"] <= 0.02 or ax["position"] >= 0.98
        if not edge:
            continue
        tf = _get(ax, "tickfont", "size", default=THEME_TICK)
        w, h = _label_extent(_axis_labels(lay, traces, ax, name, letter), tf)
        ticklen = ax.get("ticklen", 5) if ax.get("ticks") == "outside" else 0
        angle = abs(ax["tickangle"]) if isinstance(ax.get("tickangle"), (int, float)) else 0
        if letter == "x":
            depth = (w if angle >= 60 else h + w * 0.5 if angle >= 20 else h) + ticklen + 3 if (w or h) else 0
        else:
            depth = w + ticklen + 3 if w else 0
        title = _title_text(ax)
        if title:  # the axis title sits ``standoff`` px beyond the tick labels (Streamlit's theme: 20 px x, 24 px y)
            f = _get(ax, "title", "font", "size", default=THEME_AXIS_TITLE)
            standoff = _get(ax, "title", "standoff", default=THEME_STANDOFF[letter])
            depth += standoff + _text_h(title, f)
        if depth:
            push(side[0], pad + depth + 3)
        numeric = ax.get("type") not in ("category", "multicategory") and ax.get("ticktext") is None
        if letter == "x" and w and angle < 20 and numeric:  # the first and last labels, centred on the plot's ends
            own = list(ax.get("domain") or [0, 1])
            if own[0] <= 0.02:
                push("l", w / 2 + 2)
            if own[1] >= 0.98:
                push("r", w / 2 + 2)
        if letter == "y" and h:  # the top and bottom tick labels stick out by half a line
            push("t", h / 2 + 2)
            push("b", h / 2 + 2)

    axis_below = fixed["b"]  # what the bottom axis's tick labels and title take under the plot
    legend = lay.get("legend") or {}
    lf = _get(legend, "font", "size", default=THEME_LEGEND)
    horizontal = legend.get("orientation") == "h"
    lx = legend["x"] if legend.get("x") is not None else (0 if horizontal else 1.02)
    ly = legend["y"] if legend.get("y") is not None else (-0.1 if horizontal else 1)
    lanchor = (legend.get("xanchor") or "left", legend.get("yanchor") or ("top" if horizontal else "auto"))  # plotly's
    wraps = horizontal and 0 <= lx < 1  # a horizontal legend over or under the plot wraps to the plot's width
    below = (wraps and legend.get("y") is not None and legend["y"] < 0 and lanchor[1] == "top"
             and legend.get("yref", "paper") == "paper")
    for tr in traces:
        kind = tr.get("type", "scatter")
        marker = tr.get("marker") or {}
        if kind in COLOUR_BARS:
            if tr.get("showscale") is False or _get(tr, "contours", "coloring") == "none":
                continue
            cb, z = tr.get("colorbar") or {}, _values(tr.get("z"))
            lo, hi = tr.get("zmin"), tr.get("zmax")
        elif marker.get("showscale"):
            cb, z = marker.get("colorbar") or {}, _values(marker.get("color"))
            lo, hi = marker.get("cmin"), marker.get("cmax")
        else:
            continue
        if tr.get("visible") is False:
            continue
        if (lo is None or hi is None) and z is not None and z.dtype.kind in "biuf":
            finite = z[np.isfinite(z)] if z.dtype.kind == "f" else z
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        cf = _get(cb, "tickfont", "size", default=font)
        labels = ([str(v) for v in cb["ticktext"]] if cb.get("ticktext") is not None
                  else _number_labels(_nice_ticks(float(lo or 0), float(hi if hi is not None else 1), 6), cb.get("tickformat")))
        xpad = cb.get("xpad", 10)
        wide = 2 * xpad + cb.get("thickness", 30) + 4 + _label_extent(labels, cf)[0] + (cb.get("ticklen", 5) if cb.get("ticks") == "outside" else 0)
        title = _title_text(cb)
        if title:
            ft = _get(cb, "title", "font", "size", default=font)
            if _get(cb, "title", "side") == "right":
                wide += _text_h(title, ft) * 1.4 + 8  # (presenter type: 7 px short at 1.15)
            else:
                wide = max(wide, 2 * xpad + _text_w(title, ft))
        if cb.get("xref") != "container":
            frac.append(("x", cb.get("x", 1.02), cb.get("xanchor") or "left", wide))
    title = _title_text(lay)
    if title and _get(lay, "title", "yref") != "paper":
        push("t", _text_h(title, _get(lay, "title", "font", "size", default=THEME_TITLE)) + 10)
    paper = lambda ref: ref == "paper" or str(ref).endswith("domain")  # noqa: E731  (plotly's default: the data axes)
    for ann in lay.get("annotations") or ():
        if ann.get("visible") is False or not ann.get("text"):
            continue
        f = _get(ann, "font", "size", default=font)
        bp = ann.get("borderpad", 1)
        w, h = _text_w(ann["text"], f) + 2 * bp + 4, _text_h(ann["text"], f) + 2 * bp + 2
        if paper(ann.get("xref")) and isinstance(ann.get("x"), (int, float)):
            frac.append(("x", float(ann["x"]) + ann.get("xshift", 0) / max(W - need["l"] - need["r"], 100), ann.get("xanchor"), w))
        if paper(ann.get("yref")) and isinstance(ann.get("y"), (int, float)):
            frac.append(("y", float(ann["y"]) + ann.get("yshift", 0) / max(H - need["t"] - need["b"], 100), ann.get("yanchor"), h))
    for menu in lay.get("updatemenus") or ():
        if menu.get("visible") is False:
            continue
        f = _get(menu, "font", "size", default=font)
        buttons = menu.get("buttons") or ()
        across = menu.get("direction") in ("left", "right") or menu.get("type", "dropdown") == "dropdown"
        widths = [_text_w(b.get("label", ""), f) + 20 for b in buttons] or [0]
        bw, bh = (sum(widths), 1.3 * f + 10) if across else (max(widths), (1.3 * f + 10) * len(buttons))
        frac.append(("x", menu.get("x", -0.05), menu.get("xanchor", "right"), bw + 20))
        frac.append(("y", menu.get("y", 1), menu.get("yanchor", "top"), bh + 20))
    for slider in lay.get("sliders") or ():
        if slider.get("visible") is False:
            continue
        f = _get(slider, "font", "size", default=font)
        cv = slider.get("currentvalue") or {}
        cvh = 0 if cv.get("visible") is False else 1.3 * _get(cv, "font", "size", default=f) + cv.get("offset", 10)
        sh = cvh + _get(slider, "pad", "t", default=20) + 5 + 7 + 1.3 * f + 26 + _get(slider, "pad", "b", default=0)
        frac.append(("y", slider.get("y", 0), slider.get("yanchor", "top"), sh))

    # Boxes placed in paper coordinates move with the plot area, which the margins shrink: a few rounds settle it.
    out = {side: max(need[side], fixed[side]) for side in "lrtb"}
    for _ in range(4):
        pw, ph = max(W - out["l"] - out["r"], 40), max(H - out["t"] - out["b"], 40)
        nxt = {side: max(need[side], fixed[side]) for side in "lrtb"}
        box = _legend_box(lay, traces, pw if wraps else W, lf)
        if box is not None and below:  # under the axis title, not over it
            ly = min(legend["y"], -(axis_below + 1) / ph)  # (axis_below has 3 px to spare)
        legend_boxes = [] if box is None else [("y", ly, lanchor[1], box[1])] + ([] if wraps else [("x", lx, lanchor[0], box[0])])
        for dim, pos, anchor, size in frac + legend_boxes:
            length = pw if dim == "x" else ph
            lo, hi = _extent(pos, anchor, size, length)
            low, high = ("l", "r") if dim == "x" else ("b", "t")
            nxt[low], nxt[high] = max(nxt[low], -lo + 2), max(nxt[high], hi - length + 2)
            if WHY is not None:
                WHY.append((dim, pos, anchor, round(size), round(-lo + 2), round(hi - length + 2)))
        out = nxt
    out = {side: max(int(need[side]), int(np.ceil(v / STEP) * STEP)) if v > need[side] else int(need[side]) for side, v in out.items()}
    room = H - 60  # never leave the plot less than 60 px high
    if out["t"] + out["b"] > room:
        k = room / (out["t"] + out["b"])
        out["t"], out["b"] = int(out["t"] * k), int(out["b"] * k)
    # Written into plotly's own dicts (what ``layout.margin`` and ``to_dict()`` read): ``update_layout`` validates
    # every path, ~15 ms a figure, on every rerun for figures built per run.
    lay["margin"] = {**margin, **out, "pad": pad, "autoexpand": False}
    if below and ly != legend["y"]:
        lay["legend"] = {**legend, "y": round(ly, 4)}
    fig._gp_fitted = True
    return fig
