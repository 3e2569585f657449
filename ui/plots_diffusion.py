"""Charts of the diffusion page: schedules, reverse-process animation, score arrows, image strips, residual histograms."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui import charts, digit_images

DATA_COLOUR = "#9CA3AF"  # grey: the training data, always in the background
SAMPLE_COLOUR = charts.PALETTE[0]  # blue: the points being denoised / generated
SECOND_COLOUR = charts.PALETTE[1]  # vermillion: a second cloud to compare with
SCHEDULE_COLOURS = {"linear": charts.PALETTE[0], "cosine": charts.PALETTE[1], "sigmoid": charts.PALETTE[2]}


def _scatter(X: np.ndarray, name: str, colour: str, size: int = 5, opacity: float = 0.8) -> go.Scatter:
    X = charts.f4(X)  # base64 of float32 on the wire: half the bytes of float64
    return go.Scatter(x=X[:, 0], y=X[:, 1], mode="markers", name=name, marker=dict(color=colour, size=size, opacity=opacity),
                      hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>")


def points_figure(box, data: np.ndarray, clouds: list[tuple[np.ndarray, str, str]], data_name: str, height: int = 480) -> go.Figure:
    """The data in grey and one or more coloured clouds over it."""
    fig = charts.plane_figure(box, height=height)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0), margin=dict(t=40))
    fig.add_trace(_scatter(data, data_name, DATA_COLOUR, 4, 0.5))
    for X, name, colour in clouds:
        fig.add_trace(_scatter(X, name, colour, 5, 0.75))
    return fig


def roads_animation(box, data: np.ndarray, iterative: np.ndarray, closed: np.ndarray, names: tuple[str, str], data_name: str,
                    ts: list[int], start: int, frame_labels: list[str], play: str, pause: str, height: int = 600) -> go.Figure:
    """Both roads to x_t over x₀, one frame per t in ``ts`` (``iterative``, ``closed``: (len(ts), n, 2)): the slider under the
    figure moves t in the browser, both clouds together; its label (``frame_labels``) says that frame's numbers."""
    fig = points_figure(box, data, [(iterative[start], names[0], SAMPLE_COLOUR), (closed[start], names[1], SECOND_COLOUR)],
                        data_name, height)
    iterative, closed = charts.f4(iterative), charts.f4(closed)
    fig.frames = [go.Frame(data=[go.Scatter(x=a[:, 0], y=a[:, 1]), go.Scatter(x=b[:, 0], y=b[:, 1])], traces=[1, 2], name=str(t))
                  for a, b, t in zip(iterative, closed, ts)]
    step_args = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    fig.update_layout(
        margin=dict(l=10, r=10, t=40, b=190), uirevision="roads",
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.1, xanchor="left", yanchor="top", showactive=False,
                          buttons=[dict(label="▶ " + play, method="animate",
                                        args=[None, dict(frame=dict(duration=200, redraw=False), transition=dict(duration=0), fromcurrent=True)]),
                                   dict(label="■ " + pause, method="animate", args=[[None], step_args])])],
        # the tick labels would overlap (one per frame): only the current value is written, above the slider (its full width:
        # the label has three lines)
        sliders=[dict(active=start, x=0.0, y=-0.17, len=1.0, xanchor="left", yanchor="top", font=dict(color="rgba(0,0,0,0)"),
                      currentvalue=dict(prefix="", font=dict(size=charts.FONT_SIZE - 2, color="#111827")),
                      steps=[dict(label=lab, method="animate", args=[[str(t)], step_args]) for t, lab in zip(ts, frame_labels)])],
    )
    return fig


def reverse_animation(box, data: np.ndarray, trajectory: np.ndarray, timesteps: list[int], data_name: str, points_name: str,
                      frame_label: str, play: str, pause: str, height: int = 540) -> go.Figure:
    """Points moving from noise (t = T) to samples (t = 0): plotly frames, scrubbed in the browser."""
    fig = points_figure(box, data, [(trajectory[0], points_name, SAMPLE_COLOUR)], data_name, height)
    names = [frame_label.format(t=t) for t in timesteps]
    trajectory = charts.f4(trajectory)
    fig.frames = [go.Frame(data=[go.Scatter(x=f[:, 0], y=f[:, 1])], traces=[1], name=n) for f, n in zip(trajectory, names)]
    step_args = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    fig.update_layout(
        margin=dict(l=10, r=10, t=10, b=110),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.13, xanchor="left", yanchor="top", showactive=False,
                          buttons=[dict(label="▶ " + play, method="animate",
                                        args=[None, dict(frame=dict(duration=120, redraw=False), transition=dict(duration=0), fromcurrent=True)]),
                                   dict(label="■ " + pause, method="animate", args=[[None], step_args])])],
        sliders=[dict(active=0, x=0.22, y=-0.1, len=0.78, xanchor="left", yanchor="top", currentvalue=dict(prefix="", font=dict(size=14)),
                      steps=[dict(label=n, method="animate", args=[[n], step_args]) for n in names])],
    )
    return fig


def add_arrows(fig: go.Figure, P: np.ndarray, V: np.ndarray, length: float, name: str, colour: str = "#111827") -> None:
    """Arrows from P along V, scaled so the longest is ``length`` (the direction and relative size matter), drawn as
    one SVG path (``charts.arrow_path``: a marker head per arrow drew three SVG nodes each)."""
    charts.arrow_path(fig, P, _longest(V, length), name, colour)


def _longest(V: np.ndarray, length: float) -> np.ndarray:
    """``V`` scaled so that its longest row is ``length`` long."""
    norms = np.linalg.norm(V, axis=1)
    top = float(norms.max()) if len(norms) and np.isfinite(norms).all() and norms.max() > 0 else 1.0
    return np.asarray(V, float) * (length / top)


def field_animation(box, data: np.ndarray, grid: np.ndarray, fields: list[tuple[np.ndarray, np.ndarray]], ts: list[int],
                    start: int, names: tuple[str, str, str], t_label: str, height: int = 480) -> tuple[go.Figure, list[dict]]:
    """The learned score's arrows on ``grid`` over the data noised to each t in ``ts`` (``fields``: (noised points, score)
    per t), one frame per t: the slider under the figure moves the noise level in the browser. Each frame's arrows are
    scaled so its longest one fits a grid cell, as one frame shown alone would be. ``names``: the data, x_t, the arrows.
    Returns the figure and its frames (plain dicts, for ``charts.freeze(raw_frames=)``)."""
    data_name, x_t_name, arrows_name = names
    length = 0.9 * (box[1] - box[0]) / 16
    fig = points_figure(box, data, [(fields[start][0], x_t_name, SAMPLE_COLOUR)], data_name, height)
    head = charts.arrow_head(fig, grid)

    moved = [(charts.f4(noisy), charts.f4(charts.arrow_xy(grid, _longest(score, length), head))) for noisy, score in fields]
    xy = moved[start][1]  # float32: half the bytes
    fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", name=arrows_name, line=dict(color="#111827", width=1.4),
                             hoverinfo="skip"))
    # plain dicts of packed arrays: plotly validating every go.Frame cost more than the rest
    frames = [dict(data=[dict(x=charts.typed(X[:, 0]), y=charts.typed(X[:, 1])), dict(x=charts.typed(xy[:, 0]), y=charts.typed(xy[:, 1]))],
                   traces=[1, 2], name=str(t)) for (X, xy), t in zip(moved, ts)]
    step_args = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    fig.update_layout(margin=dict(b=110), sliders=[dict(
        active=start, x=0.0, y=-0.12, len=1.0, xanchor="left", yanchor="top", pad=dict(t=10),
        currentvalue=dict(prefix=t_label + ": ", font=dict(size=charts.FONT_SIZE - 1, color="#111827")),
        steps=[dict(label=str(t), method="animate", args=[[str(t)], step_args]) for t in ts])])
    return fig, frames


def quality_figure(rows: list[dict], metric: str, y_title: str, x_title: str, ddim_name: str, ddpm_name: str,
                   reference: float | None = None, reference_name: str = "", height: int = 360) -> go.Figure:
    """Distance to the data against the number of sampling steps: DDIM as a line, DDPM (T steps) as a star."""
    ddim = [r for r in rows if r["sampler"] == "ddim"]
    ddpm = [r for r in rows if r["sampler"] == "ddpm"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[r["steps"] for r in ddim], y=[r[metric] for r in ddim], mode="lines+markers", name=ddim_name,
                             line=dict(color=charts.PALETTE[0], width=3), marker=dict(size=9)))
    if ddpm:
        fig.add_trace(go.Scatter(x=[r["steps"] for r in ddpm], y=[r[metric] for r in ddpm], mode="markers", name=ddpm_name,
                                 marker=dict(color=charts.PALETTE[1], size=16, symbol="star")))
    if reference is not None:
        fig.add_hline(y=reference, line=dict(color="#6B7280", dash="dot"), annotation_text=reference_name, annotation_position="top right")
    ticks = sorted({r["steps"] for r in rows})
    fig.update_xaxes(type="log", title_text=x_title, showgrid=True, gridcolor="#e5e7eb", tickvals=ticks, ticktext=[str(v) for v in ticks])
    fig.update_yaxes(title_text=y_title, showgrid=True, gridcolor="#e5e7eb", rangemode="tozero")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white", font=dict(size=charts.FONT_SIZE - 1),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return fig


def loss_figure(loss: np.ndarray, smoothed: np.ndarray, x_title: str, y_title: str, raw_name: str, smooth_name: str,
                height: int = 260) -> go.Figure:
    """The live loss curve (redrawn on every tick while training plays): built with one constructor call, which plotly
    validates once (update_xaxes, update_yaxes and update_layout validated the layout three more times, ~25 ms a tick)."""
    step = max(1, len(loss) // 600)  # a few hundred points are enough to see the trend
    data = [go.Scatter(x=charts.f4(np.arange(1, len(loss) + 1)[::step]), y=charts.f4(loss[::step]), mode="lines", name=raw_name,
                       line=dict(color="#CBD5E1", width=1))]
    if len(smoothed):
        off = len(loss) - len(smoothed)
        data.append(go.Scatter(x=charts.f4(np.arange(off + 1, len(loss) + 1)[::step]), y=charts.f4(smoothed[::step]), mode="lines",
                               name=smooth_name, line=dict(color=charts.PALETTE[0], width=2.5)))
    axis = dict(showgrid=True, gridcolor="#e5e7eb")
    return go.Figure(data=data, layout=dict(
        height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white", font=dict(size=charts.FONT_SIZE - 2),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        xaxis=dict(axis, title=dict(text=x_title)), yaxis=dict(axis, title=dict(text=y_title), rangemode="tozero")))


def mosaic(images: np.ndarray, pad: int = 1, fill: float = np.nan) -> np.ndarray:
    """(rows, cols, h, w[, 3]) images → one big array with ``pad`` pixels between them."""
    rows, cols, h, w = images.shape[:4]
    extra = images.shape[4:]
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, *extra), fill, dtype=float)
    for r in range(rows):
        for c in range(cols):
            out[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = images[r, c]
    return out


def image_grid(images: np.ndarray, col_labels: list[str] | None, row_labels: list[str] | None, zmax: float,
               colour_title: str, height: int | None = None, x_title: str | None = None, pad: int = 1) -> go.Figure:
    """A grid of digit images (rows × cols × h × w) in the app's one convention (``ui.digit_images``):
    white paper = 0, dark ink = ``zmax``; labelled along the edges."""
    rows, cols, h, w = images.shape[:4]
    z = mosaic(images, pad)
    fig = go.Figure(digit_images.heatmap(z, zmax, hovertemplate=colour_title + "=%{z:.1f}<extra></extra>"))
    centres_x = [c * (w + pad) + (w - 1) / 2 for c in range(cols)]
    centres_y = [r * (h + pad) + (h - 1) / 2 for r in range(rows)]
    fig.update_xaxes(tickvals=centres_x if col_labels else [], ticktext=col_labels or [], side="top", showgrid=False, zeroline=False,
                     title_text=x_title, constrain="domain")
    fig.update_yaxes(tickvals=centres_y if row_labels else [], ticktext=row_labels or [], autorange="reversed", showgrid=False,
                     zeroline=False, scaleanchor="x", constrain="domain")
    fig.update_layout(height=height or int(70 + rows * 62), margin=dict(l=10, r=10, t=40 if col_labels else 10, b=10),
                      plot_bgcolor=digit_images.GAP, font=dict(size=charts.FONT_SIZE - 2))
    return fig


def rgb_strip(images01: np.ndarray, labels: list[str], pad: int = 2, height: int | None = None) -> go.Figure:
    """Colour images in a row (n, h, w, 3) with 0…1 values, labelled underneath."""
    n, h, w, _ = images01.shape
    z = mosaic(images01[None], pad, fill=1.0)
    fig = go.Figure(go.Image(z=(z * 255).astype(np.uint8), hoverinfo="skip"))
    fig.update_xaxes(tickvals=[c * (w + pad) + (w - 1) / 2 for c in range(n)], ticktext=labels, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(height=height or int(60 + 1100 / n * h / w), margin=dict(l=10, r=10, t=10, b=10), font=dict(size=charts.FONT_SIZE - 2))
    return fig


def residual_figure(residuals: list[tuple[np.ndarray, str, str]], var: float, theory_name: str, x_title: str, y_title: str,
                    height: int = 300, bins: int = 60) -> go.Figure:
    """Histograms (as densities, on shared bins) of each method's residual x_t − √ᾱ_t·x₀, over the density of
    N(0, ``var``) in black. ``residuals``: (values, name, colour). Needs var > 0 (t ≥ 1)."""
    sd = float(np.sqrt(var))
    edges = np.linspace(-4 * sd, 4 * sd, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure()
    for values, name, colour in residuals:
        density, _ = np.histogram(np.ravel(values), bins=edges, density=True)
        fig.add_trace(go.Scatter(x=centres, y=density, mode="lines", line=dict(color=colour, width=2.5, shape="hvh"), name=name,
                                 hovertemplate="%{x:.3f}: %{y:.3f}<extra>%{fullData.name}</extra>"))
    grid = np.linspace(edges[0], edges[-1], 200)
    fig.add_trace(go.Scatter(x=grid, y=np.exp(-grid**2 / (2 * var)) / np.sqrt(2 * np.pi * var), mode="lines", name=theory_name,
                             line=dict(color="#111827", width=1.5, dash="dash"), hoverinfo="skip"))
    fig.update_xaxes(title_text=x_title, showgrid=True, gridcolor="#e5e7eb")
    fig.update_yaxes(title_text=y_title, showgrid=True, gridcolor="#e5e7eb", rangemode="tozero")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white", font=dict(size=charts.FONT_SIZE - 2),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return fig


# ---------------------------------------------------------------- the forward process, scrubbed in the browser

def _column(X: np.ndarray, j: int) -> np.ndarray:
    """Column ``j`` as a contiguous float32 array: plotly sends it as packed binary (a strided view would go out as
    a list of decimal numbers, three times longer)."""
    return np.ascontiguousarray(X[:, j], dtype=np.float32)


def quantised_grid(images: np.ndarray, zmax: float, pad: int = 1) -> np.ndarray:
    """(rows, cols, h, w) ink amounts in 0…``zmax`` → one packed mosaic (``digit_images.packed``: a byte per pixel)."""
    return digit_images.packed(mosaic(np.asarray(images, float), pad), zmax)


def forward_animation(kind: str, moving: list, curves: dict[str, dict[str, np.ndarray]], current: str, ts: list[int],
                      start: int, names: dict[str, str], titles: tuple[str, str, str, str], t_label: str, frame_labels: list[str],
                      play: str, pause: str, box: tuple | None = None, data: np.ndarray | None = None, data_name: str = "",
                      height: int = 600) -> go.Figure:
    """x_t on the left and the schedules (β_t, ᾱ_t, SNR) on the right, one frame per t in ``ts``: the slider under the
    figure moves t in the browser, the data and the dashed markers on the three curves together.

    ``kind``: "points" (``data``: x₀ in grey over the ``box``, ``moving``: one (n, 2) array per t), "digits" (``moving``: one
    ``quantised_grid`` per t) or "photo" (``moving``: one image data URI per t). ``start``: the index of the first frame shown.
    """
    fig = make_subplots(rows=3, cols=2, column_widths=[0.56, 0.44], horizontal_spacing=0.09, vertical_spacing=0.08,
                        specs=[[{"rowspan": 3}, {}], [None, {}], [None, {}]], subplot_titles=titles)
    if kind == "points":
        fig.add_trace(go.Scatter(x=_column(data, 0), y=_column(data, 1), mode="markers", name=data_name, hoverinfo="skip",
                                 marker=dict(color=DATA_COLOUR, size=4, opacity=0.5)), row=1, col=1)
    moving_index = len(fig.data)
    if kind == "points":
        first = moving[start]
        fig.add_trace(go.Scatter(x=_column(first, 0), y=_column(first, 1), mode="markers", name="x_t", marker=dict(color=SAMPLE_COLOUR, size=5, opacity=0.75),
                                 hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>x_t</extra>"), row=1, col=1)
        fig.update_xaxes(range=[box[0], box[1]], title_text="x₁", showgrid=True, gridcolor="#e5e7eb", zeroline=False, constrain="domain", row=1, col=1)
        fig.update_yaxes(range=[box[2], box[3]], title_text="x₂", showgrid=True, gridcolor="#e5e7eb", zeroline=False, scaleanchor="x",
                         constrain="domain", row=1, col=1)
    else:
        trace = digit_images.packed_heatmap(moving[start]) if kind == "digits" else go.Image(source=moving[start], hoverinfo="skip")
        fig.add_trace(trace, row=1, col=1)
        fig.update_xaxes(visible=False, constrain="domain", row=1, col=1)
        fig.update_yaxes(visible=False, scaleanchor="x", constrain="domain", row=1, col=1, **({"autorange": "reversed"} if kind == "digits" else {}))
    # the schedules, the chosen one bold and the others dotted, then one dashed marker per panel
    rows = (("betas", ".4f", True), ("alphas_cumprod", ".4f", False), ("snr", ".3g", True))
    spans = []
    for row, (name, fmt, log) in enumerate(rows, start=1):
        values = []
        for k, c in curves.items():
            bold = k == current
            y = np.clip(c[name][1:], 1e-8, None) if log else c[name][1:]
            values.append(y)
            fig.add_trace(go.Scatter(x=c["t"][1:], y=y, mode="lines", name=names[k], legendgroup=k, showlegend=row == 1,
                                     line=dict(color=SCHEDULE_COLOURS.get(k, "#000"), width=3.5 if bold else 1.5, dash="solid" if bold else "dot"),
                                     hovertemplate=f"t=%{{x}}<br>%{{y:{fmt}}}<extra>{names[k]}</extra>"), row=row, col=2)
        allv = np.concatenate(values)
        spans.append((float(allv.min()), float(allv.max())) if log else (0.0, 1.0))
    chosen = curves[current]

    def markers(t: int) -> list[go.Scatter]:
        out = []
        for (name, _, log), (lo, hi) in zip(rows, spans):
            v = float(chosen[name][t]) if t > 0 else None
            if v is not None and log:
                v = max(v, 1e-8)
            out.append(go.Scatter(x=[t, t, t], y=[lo, v, hi]))
        return out

    marker_index = len(fig.data)
    for row, m in enumerate(markers(ts[start]), start=1):
        fig.add_trace(m.update(mode="lines+markers", connectgaps=True, showlegend=False, hoverinfo="skip",
                               line=dict(color="#111827", width=1.5, dash="dash"), marker=dict(size=[0, 11, 0], color="#111827")),
                      row=row, col=2)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power", row=3, col=2)
    fig.update_yaxes(range=[-0.03, 1.03], row=2, col=2)
    fig.update_xaxes(showgrid=True, gridcolor="#e5e7eb", showticklabels=False, row=1, col=2)
    fig.update_xaxes(matches="x2", showgrid=True, gridcolor="#e5e7eb", showticklabels=False, row=2, col=2)
    fig.update_xaxes(matches="x2", showgrid=True, gridcolor="#e5e7eb", title_text=t_label, row=3, col=2)
    for row in (1, 2, 3):
        fig.update_yaxes(showgrid=True, gridcolor="#e5e7eb", row=row, col=2)

    def frame(i: int, t: int) -> go.Frame:
        if kind == "points":
            data = [go.Scatter(x=_column(moving[i], 0), y=_column(moving[i], 1))]
        elif kind == "digits":
            data = [go.Heatmap(z=moving[i])]
        else:
            data = [go.Image(source=moving[i])]
        return go.Frame(data=data + markers(t), traces=[moving_index, marker_index, marker_index + 1, marker_index + 2], name=str(t))

    fig.frames = [frame(i, t) for i, t in enumerate(ts)]
    redraw = kind != "points"  # heat maps and images are drawn again; scatter points move without a redraw
    step_args = dict(mode="immediate", frame=dict(duration=0, redraw=redraw), transition=dict(duration=0))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=80, b=110), plot_bgcolor="white", font=dict(size=charts.FONT_SIZE - 1),
        legend=dict(orientation="h", yanchor="bottom", y=1.07, x=0), uirevision="forward",
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.1, xanchor="left", yanchor="top", showactive=False,
                          buttons=[dict(label="▶ " + play, method="animate",
                                        args=[None, dict(frame=dict(duration=150 if redraw else 90, redraw=redraw), transition=dict(duration=0),
                                                         fromcurrent=True)]),
                                   dict(label="■ " + pause, method="animate", args=[[None], step_args])])],
        # the tick labels would overlap (one per frame): only the current value is written, above the slider
        sliders=[dict(active=start, x=0.3, y=-0.1, len=0.7, xanchor="left", yanchor="top", font=dict(color="rgba(0,0,0,0)"),
                      currentvalue=dict(prefix="", font=dict(size=charts.FONT_SIZE, color="#111827")),
                      steps=[dict(label=lab, method="animate", args=[[str(t)], step_args]) for t, lab in zip(ts, frame_labels)])],
    )
    fig.update_annotations(font_size=charts.FONT_SIZE - 1)
    return fig


def guidance_sweep(sweep, start: int, titles: tuple[str, str, str, str], w_title: str, film_ticks: list[str],
                   frame_labels: list[str], play: str, pause: str, height: int = 700) -> go.Figure:
    """One guidance weight per frame, scrubbed in the browser: the reverse film (top left) and the grid of samples
    (top right) at that w, and under them what the evaluator reads and the spread between samples, against w, with a
    dotted marker at the frame's w. ``sweep``: an ``engine.families.diffusion.GuidanceSweep``; ``start``: the first
    frame shown; ``titles``: film, grid, agreement and spread panels."""
    W = len(sweep.guidance)
    n_frames, n_film = sweep.films.shape[1], sweep.films.shape[2]

    def tiles(images: np.ndarray, rows: int, cols: int) -> np.ndarray:  # (rows*cols, 64) → one byte per pixel
        return digit_images.packed(mosaic(np.asarray(images, float).reshape(rows, cols, 8, 8)))

    def film(k: int) -> np.ndarray:  # each row one sample, left to right the reverse run
        return tiles(sweep.films[k].transpose(1, 0, 2).reshape(-1, 64), n_film, n_frames)

    def grid(k: int) -> np.ndarray:
        return tiles(sweep.grids[k], 4, len(sweep.grids[k]) // 4)

    fig = make_subplots(rows=2, cols=2, column_widths=[0.58, 0.42], row_heights=[0.6, 0.4], vertical_spacing=0.28,
                        horizontal_spacing=0.08, subplot_titles=titles)
    fig.add_trace(digit_images.packed_heatmap(film(start)), row=1, col=1)
    fig.add_trace(digit_images.packed_heatmap(grid(start)), row=1, col=2)
    fig.update_xaxes(tickvals=[c * 9 + 3.5 for c in range(n_frames)], ticktext=film_ticks, showgrid=False, zeroline=False,
                     constrain="domain", row=1, col=1)
    fig.update_xaxes(visible=False, constrain="domain", row=1, col=2)
    for col, anchor in ((1, "x"), (2, "x2")):
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=anchor, constrain="domain", row=1, col=col)
    ws = list(sweep.guidance)
    spans = []
    for col, values, colour, fmt in ((1, sweep.agreement, SAMPLE_COLOUR, ".0%"), (2, sweep.spread, SECOND_COLOUR, ".2f")):
        values = [float(v) for v in values]
        fig.add_trace(go.Scatter(x=ws, y=values, mode="lines+markers", line=dict(color=colour, width=2.5), marker=dict(size=6),
                                 showlegend=False, hovertemplate="w = %{x}: %{y:" + fmt + "}<extra></extra>"), row=2, col=col)
        lo, hi = min(values), max(values)
        pad = max(0.05 * (hi - lo), 0.01 if fmt == ".0%" else 0.05)
        top = min(hi + pad, 1.005) if fmt == ".0%" else hi + pad  # a share never passes 100%
        spans.append((lo - pad, top))
        fig.update_yaxes(range=[lo - pad, top], tickformat=fmt, showgrid=True, gridcolor="#e5e7eb", row=2, col=col)
        fig.update_xaxes(title_text=w_title, showgrid=True, gridcolor="#e5e7eb", row=2, col=col)

    def markers(k: int) -> list[go.Scatter]:
        return [go.Scatter(x=[ws[k], ws[k]], y=list(span)) for span in spans]

    first_marker = len(fig.data)
    for col, m in enumerate(markers(start), start=1):
        fig.add_trace(m.update(mode="lines", showlegend=False, hoverinfo="skip", line=dict(color="#6b7280", width=1.5, dash="dot")),
                      row=2, col=col)
    traces = [0, 1, first_marker, first_marker + 1]
    fig.frames = [go.Frame(data=[go.Heatmap(z=film(k)), go.Heatmap(z=grid(k)), *markers(k)], traces=traces, name=str(k))
                  for k in range(W)]
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), font=dict(size=charts.FONT_SIZE - 2), plot_bgcolor="white",
                      uirevision="guidance_sweep")
    charts.frame_player(fig, start, [str(k) for k in range(W)], frame_labels, play, pause, buttons_at=(0.0, 0.53), slider_at=(0.2, 0.55),
                        slider_len=0.8, duration=400)
    fig.update_annotations(font_size=charts.FONT_SIZE - 1)
    return fig
