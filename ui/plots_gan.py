"""Figures of the GAN page: the layered plane, training curves, the replay, slow motion, the two
classic losses' pull, digit grids.

Colours: real data blue, generated points vermillion (the shared palette's first two),
the generator's warped noise grid green, the arrows −∂L_G/∂x black. D's map runs from
the "fake" colour (D says fake) through white to the "real" colour (D says real).
"""

from __future__ import annotations

import functools
import json

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui import charts, digit_images

REAL = charts.PALETTE[0]
FAKE = charts.PALETTE[1]
GRID = charts.PALETTE[2]
ARROW = "#111827"
D_SCALE = [[0, FAKE], [0.5, "#ffffff"], [1, REAL]]
LAYERS = ("real", "fake", "d_map", "manifold", "arrows")
N_LABELLED = 6  # slow motion: points of each batch that carry their D value


Frozen, freeze, typed = charts.Frozen, charts.freeze, charts.typed  # moved to ui/charts.py (shared by every page)


@functools.lru_cache(maxsize=32)
def _skeleton(shape: str) -> go.Figure:
    return make_subplots(**json.loads(shape))


def subplots(**kwargs) -> go.Figure:
    """``make_subplots(**kwargs)``, built from a copy of one made once per shape (and titles): ~3 ms instead of ~35,
    as make_subplots validates its whole layout, the theme's template included, on every call. The copy keeps the
    grid, so ``row=``/``col=`` work on it as on make_subplots' own figures."""
    skeleton = _skeleton(json.dumps(kwargs, sort_keys=True))
    layout = skeleton.layout.to_plotly_json()  # a deep copy
    layout.pop("template", None)  # the default template, applied again (already validated) by the new figure
    fig = go.Figure(layout=layout)
    fig._grid_ref, fig._grid_str = skeleton._grid_ref, skeleton._grid_str  # read-only: shared by every copy
    return fig


def _d_heatmap(fig: go.Figure, xs, ys, z: np.ndarray, probability: bool, title: str, showscale: bool = True) -> None:
    z = np.asarray(z, float)
    if probability:
        lo, hi = 0.0, 1.0
    else:  # a score: centre the white at the middle of its range
        lo, hi = float(np.nanmin(z)), float(np.nanmax(z))
        if not np.isfinite(lo) or not np.isfinite(hi) or hi - lo < 1e-9:
            lo, hi = lo - 1.0, lo + 1.0
    fig.add_trace(go.Heatmap(
        x=xs, y=ys, z=z, zmin=lo, zmax=hi, colorscale=D_SCALE, opacity=0.5, showscale=showscale,
        colorbar=dict(title=dict(text=title, side="right"), thickness=12, len=0.75),
        hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>" + title + "=%{z:.2f}<extra></extra>",
    ))


def _xy(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two columns as contiguous float32 arrays: plotly packs them as binary (a strided view of ``X`` would go
    out as a list of decimal numbers, about twice as long)."""
    X = np.asarray(X)
    return np.ascontiguousarray(X[:, 0], dtype=np.float32), np.ascontiguousarray(X[:, 1], dtype=np.float32)


def _points(fig: go.Figure, X: np.ndarray, colour: str, name: str, size: int = 5, opacity: float = 0.7,
            symbol: str = "circle", gl: bool = True) -> None:
    cls = go.Scattergl if gl else go.Scatter
    x, y = _xy(X)
    fig.add_trace(cls(
        x=x, y=y, mode="markers", name=name,
        marker=dict(color=colour, size=size, opacity=opacity, symbol=symbol, line=dict(width=0)),
        hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>",
    ))


# The live plane is drawn anew on every tick (a changed figure is a new chart to Streamlit's front end, which mounts
# it with Plotly.newPlot). As SVG, a few thousand markers draw in a few milliseconds each; as WebGL, each new chart
# creates a new GL context, which a laptop without a GPU (and headless Chromium) renders in software at a multiple of
# that, so the plane fell behind the ticks and was never redrawn while training. WebGL is kept for an upload with more
# points than this.
SVG_POINTS = 3000
# While training plays the plane is drawn four times a second, and each SVG marker costs the browser about 0.1 ms
# (benchmarks/live_figures.py): the drawing then shows a fixed, seeded sample of the real points (they do not move
# while G trains; a few hundred keep every mode's shape), the first generated points of the fixed noise batch (the
# same points on every tick, so they move smoothly) and D(x) on a coarser grid (the map is one image: its grid costs
# the browser nothing to speak of, but 40² values are 20 kB a tick where 60² were 46). Paused, every point is drawn.
LIVE_REAL = 250
LIVE_FAKE = 200
LIVE_RESOLUTION = 40  # D(x)'s grid while playing (GanTrainer.view's default, 60, when paused)


def live_subset(n: int, most: int = LIVE_REAL) -> np.ndarray:
    """The indices of the real points the live plane draws (``charts.fixed_subset``: the same ones on every tick)."""
    return charts.fixed_subset(n, most)


def plane(view, real: np.ndarray, box, layers, labels: dict[str, str], height: int = 520, live: bool = False) -> go.Figure:
    """The layered view of the live GAN. ``labels``: real, fake, d_map (colour bar), manifold, arrows; with ``live``
    (drawn on the ticks while training plays) the plane draws :func:`live_subset` of ``real`` and the first
    :data:`LIVE_FAKE` generated points, and ``labels`` real_live and fake_live name those subsets in the legend."""
    fig = charts.plane_figure(box, height=height)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0), margin=dict(t=60))
    fig.update_yaxes(constrain="domain")  # keep the box: no empty bands above and below the data
    fake, real_name, fake_name = view.fake, labels["real"], labels["fake"]
    if live:
        if len(real) > LIVE_REAL:
            real, real_name = real[live_subset(len(real))], labels.get("real_live", real_name)
        if len(fake) > LIVE_FAKE:
            fake, fake_name = fake[:LIVE_FAKE], labels.get("fake_live", fake_name)
    if "d_map" in layers:
        _d_heatmap(fig, view.xs, view.ys, view.d_grid, view.probability, labels["d_map"])
    if "manifold" in layers:
        fig.add_trace(go.Scatter(x=view.manifold[:, 0], y=view.manifold[:, 1], mode="lines", name=labels["manifold"],
                                 line=dict(color=GRID, width=1), opacity=0.8, hoverinfo="skip"))
    gl = len(real) + len(fake) > SVG_POINTS  # WebGL only for a large upload (see SVG_POINTS)
    if "real" in layers:
        _points(fig, real, REAL, real_name, size=4, opacity=0.45, gl=gl)
    if "fake" in layers:
        _points(fig, fake, FAKE, fake_name, size=5, opacity=0.85, gl=gl)
    if "arrows" in layers:
        charts.arrow_path(fig, view.arrow_from, view.arrow_dir, labels["arrows"], ARROW)
    return fig


def curves(x, rows: list[tuple[str, list[tuple[str, list, str]]]], x_title: str, height: int = 520,
           integer_axes: tuple[int, ...] = (), row_heights: list[float] | None = None) -> go.Figure:
    """Stacked panels sharing the x axis. ``rows``: (panel title, [(name, y values, colour), ...]).

    ``x`` is either one list for every line, or each line's y may be a pair (x, y).
    """
    fig = subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[title for title, _ in rows], row_heights=row_heights)
    for r, (_, lines) in enumerate(rows, start=1):
        for name, y, colour in lines:
            xx, yy = (y if isinstance(y, tuple) else (x, y))
            colour, _, dash = colour.partition(":")  # "#hex:dot" draws a dotted line
            fig.add_trace(go.Scatter(x=list(xx), y=list(yy), mode="lines", name=name, line=dict(color=colour, width=2, dash=dash or None),
                                     legendgroup=name, hovertemplate="%{x}: %{y:.3f}<extra>" + name + "</extra>"), row=r, col=1)
        if r in integer_axes:
            fig.update_yaxes(dtick=1, row=r, col=1)
    fig.update_xaxes(title_text=x_title, row=len(rows), col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), font=dict(size=charts.FONT_SIZE - 2),
                      plot_bgcolor="white", legend=dict(orientation="h", yanchor="top", y=-0.12, x=0),
                      uirevision="curves")
    fig.update_annotations(font_size=charts.FONT_SIZE - 1)
    fig.update_xaxes(gridcolor="#e5e7eb")
    fig.update_yaxes(gridcolor="#e5e7eb")
    return fig


MINIMAX = charts.PALETTE[3]  # the pull figure's two losses: neither "real" blue nor "generated" vermillion
NONSAT = ARROW


def pulls(pc, labels: dict[str, str], height: int = 420) -> go.Figure:
    """"Pull on G" under the minimax and the non-saturating loss (log scale) above the mean D(G(z)) that drives
    them, against D-only steps. ``pc``: an ``engine.gan.PullCurves``; ``labels``: panel, axis and line names."""
    rows = [(labels["pull"], [(labels["minimax"], pc.minimax, MINIMAX + ":dash"), (labels["nonsat"], pc.nonsat, NONSAT)]),
            (labels["d_fake"], [(labels["d_fake_line"], pc.d_fake, "#6b7280")])]
    fig = curves(pc.step, rows, labels["x"], height=height, row_heights=[0.68, 0.32])
    fig.update_yaxes(type="log", dtick=1, row=1, col=1)  # one labelled tick per decade
    fig.update_yaxes(range=[0, 1], dtick=0.5, row=2, col=1)
    fig.update_layout(legend=dict(y=-0.2), uirevision="pulls", margin=dict(b=40))
    return fig


def replay(box, real: np.ndarray, frames: list[tuple[int, np.ndarray]], labels: dict[str, str], lang: str,
           height: int = 520, max_points: int | None = None) -> Frozen:
    """Plotly frames of the generated points during training, scrubbed with a slider in the browser; each frame
    keeps its first ``max_points`` points (the same noise every frame, so they move smoothly)."""
    frames = [(s, p[:max_points]) for s, p in frames]
    fig = charts.plane_figure(box, height=height)
    _points(fig, real, REAL, labels["real"], size=4, opacity=0.4, gl=False)
    last = frames[-1][1]  # open on the end of training; the slider goes back in time
    _points(fig, last, FAKE, labels["fake"], size=5, opacity=0.85, gl=False)
    raw = [dict(data=[dict(type="scatter", x=typed(x), y=typed(y))], traces=[1], name=str(s)) for s, (x, y) in ((s, _xy(p)) for s, p in frames)]
    steps = [dict(method="animate", label=str(s), args=[[str(s)], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                                                         transition=dict(duration=0))]) for s, _ in frames]
    fig.update_layout(
        sliders=[dict(active=len(frames) - 1, steps=steps, currentvalue=dict(prefix=labels["step"] + ": "), pad=dict(t=55),
                      x=0, len=1)],
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=1, y=1.01, xanchor="right", yanchor="bottom",
                          pad=dict(t=0, r=0),
                          buttons=[dict(label="▶", method="animate",
                                        args=[[str(s) for s, _ in frames], dict(frame=dict(duration=120, redraw=False), mode="immediate",
                                                                                transition=dict(duration=0))]),
                                   dict(label="❚❚", method="animate",
                                        args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))])])],
        margin=dict(l=10, r=10, t=60, b=100),
        legend=dict(orientation="v", yanchor="bottom", y=1.01, x=0),
    )
    return freeze(fig, lang, raw)


def stage(st_, name: str, box, labels: dict[str, str], height: int = 460) -> go.Figure:
    """One stage of a slow-motion step (``st_`` is an engine.families.gan.StepStages)."""
    if name == "noise":
        ext = max(3.0, float(np.abs(st_.z).max()) * 1.1)
        fig = charts.plane_figure((-ext, ext, -ext, ext), height=height)
        fig.update_xaxes(title_text="z₁")
        fig.update_yaxes(title_text="z₂")
        _points(fig, st_.z, charts.PALETTE[3], labels["noise"], size=7, opacity=0.9, gl=False)
        return fig
    fig = charts.plane_figure(box, height=height)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0), margin=dict(t=60))
    fig.update_yaxes(constrain="domain")
    if name in ("score", "update_d"):
        _d_heatmap(fig, st_.xs, st_.ys, st_.d_before if name == "score" else st_.d_after, st_.probability, labels["d_map"])
    if name == "update_g":
        _d_heatmap(fig, st_.xs, st_.ys, st_.d_after, st_.probability, labels["d_map"], showscale=True)
    _points(fig, st_.real, REAL, labels["real"], size=7, opacity=0.8, gl=False)
    if name == "score":
        for pts, vals, colour, where in ((st_.real, st_.d_real, REAL, "top center"), (st_.fake, st_.d_fake, FAKE, "bottom center")):
            n = N_LABELLED
            fig.add_trace(go.Scatter(x=pts[:n, 0], y=pts[:n, 1], mode="text", text=vals[:n].tolist(), texttemplate="%{text:.2f}",
                                     textfont=dict(size=12, color=colour), textposition=where, showlegend=False,
                                     hoverinfo="skip"))
    _points(fig, st_.fake, FAKE, labels["fake"], size=7, opacity=0.9 if name != "update_g" else 0.35, gl=False)
    if name == "update_g":
        charts.arrow_path(fig, st_.fake, st_.grad, labels["arrows"], ARROW)
        _points(fig, st_.fake_after, FAKE, labels["fake_after"], size=8, opacity=1.0, symbol="diamond", gl=False)
    return fig


def digit_tiles(images: np.ndarray, n_cols: int, zoom: int = 6, gap: int = 2) -> np.ndarray:
    """Images (n, 64) on 0..16 → one uint8 picture, dark ink on white (the app's one convention), ``zoom`` pixels per pixel."""
    return digit_images.picture(images, n_cols, zoom, gap)


def digits_epochs(grids: np.ndarray, n_cols: int, epochs: list[int], start: int, rows: list[tuple[str, list[tuple[str, list, str]]]],
                  x: list, x_title: str, grid_title: str, frame_labels: list[str], play: str, pause: str, lang: str,
                  height: int = 640) -> Frozen:
    """The digits GAN's samples epoch by epoch (left) beside its training curves (right), one frame per epoch in
    ``epochs``: the slider moves the grid and a dashed marker on every curve together, in the browser.
    ``grids``: (frames, n, 64) ink amounts 0…16 for those epochs; ``rows`` as for ``curves``; ``start``: the first frame shown."""
    n_rows = len(rows)
    fig = subplots(rows=n_rows, cols=2, column_widths=[0.42, 0.58], horizontal_spacing=0.07, vertical_spacing=0.06,
                        specs=[[{"rowspan": n_rows}, {}], *[[None, {}] for _ in range(n_rows - 1)]],
                        subplot_titles=(grid_title, *[title for title, _ in rows]))
    grids = np.asarray(grids)
    n_tiles = grids.shape[1]
    tiles_down = -(-n_tiles // n_cols)

    def mosaic(images: np.ndarray) -> np.ndarray:  # one byte per pixel (digit_images.packed)
        out = np.full((tiles_down * 9 - 1, n_cols * 9 - 1), np.nan)
        for k, img in enumerate(np.asarray(images, float).reshape(-1, 8, 8)):
            r, c = divmod(k, n_cols)
            out[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = img
        return digit_images.packed(out, levels=16)  # the GAN's grids hold integer ink 0…16: kept exactly

    fig.add_trace(digit_images.packed_heatmap(mosaic(grids[start]), levels=16), row=1, col=1)
    fig.update_xaxes(visible=False, constrain="domain", row=1, col=1)
    # the grid at the top of its column, its slider and buttons under it (the curves' legend goes under them)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain", domain=[0.55, 1.0], row=1, col=1)
    spans = []
    for r, (_, lines) in enumerate(rows, start=1):
        values = []
        for name, y, colour in lines:
            colour, _, dash = colour.partition(":")
            values.append(np.asarray(y, float))
            fig.add_trace(go.Scatter(x=list(x), y=list(y), mode="lines", name=name, line=dict(color=colour, width=2, dash=dash or None),
                                     legendgroup=name, hovertemplate="%{x}: %{y:.3f}<extra>" + name + "</extra>"), row=r, col=2)
        allv = np.concatenate(values)
        allv = allv[np.isfinite(allv)]
        spans.append((float(allv.min()), float(allv.max())) if len(allv) else (0.0, 1.0))
        fig.update_xaxes(matches="x2" if r > 1 else None, showgrid=True, gridcolor="#e5e7eb", showticklabels=r == n_rows, row=r, col=2)
        fig.update_yaxes(showgrid=True, gridcolor="#e5e7eb", row=r, col=2)
    fig.update_xaxes(title_text=x_title, row=n_rows, col=2)

    def markers(epoch: int) -> list[go.Scatter]:
        return [go.Scatter(x=[epoch, epoch], y=[lo, hi]) for lo, hi in spans]

    first_marker = len(fig.data)
    for r, m in enumerate(markers(epochs[start]), start=1):
        fig.add_trace(m.update(mode="lines", showlegend=False, hoverinfo="skip", line=dict(color="#6b7280", width=1.5, dash="dot")),
                      row=r, col=2)
    traces = [0, *range(first_marker, first_marker + n_rows)]
    raw = [dict(data=[dict(type="heatmap", z=typed(mosaic(g))), *(dict(type="scatter", x=[e, e], y=[lo, hi]) for lo, hi in spans)],
                traces=traces, name=str(e)) for g, e in zip(grids, epochs)]
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), font=dict(size=charts.FONT_SIZE - 2), plot_bgcolor="white",
        legend=dict(orientation="v", yanchor="top", y=0.26, x=0.0, xanchor="left"), uirevision="digits")
    charts.frame_player(fig, start, [str(e) for e in epochs], frame_labels, play, pause, buttons_at=(0.0, 0.36), slider_at=(0.0, 0.52),
                        slider_len=0.4, duration=200)
    fig.update_annotations(font_size=charts.FONT_SIZE - 1)
    return freeze(fig, lang, raw)
