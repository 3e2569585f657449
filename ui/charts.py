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

import numpy as np
import plotly.graph_objects as go

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

    def to_dict(self) -> dict:
        spec = self._spec
        if spec is None:
            spec = super().to_dict()
            if self._raw_frames:
                spec["frames"] = self._raw_frames
            self._spec = spec  # two runs racing here build the same dict twice, harmlessly
        return {**spec, "data": [dict(trace) for trace in spec["data"]]}  # plotly.io.to_json pops each trace's uid

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
        return fig
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


def add_points(fig: go.Figure, X: np.ndarray, y: np.ndarray, names, label: str = "{name}", symbol: str = "circle",
               size: int = 7, opacity: float = 0.85, line_width: float = 0.6) -> None:
    """One scatter trace per class, coloured by class; ``label`` is formatted with ``name``."""
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
