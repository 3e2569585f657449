"""Charts of the energy-based page: landscapes, densities, Langevin animations, training views and curves.

Colours, one meaning each across the page:
- the energy E(x): a heat map from dark purple (low energy: likely) to yellow (high: unlikely), with
  white contour lines at equal energy;
- the density p(x) = exp(−E/T)/Z: white (zero) to dark blue (high);
- data points: grey; the model's particles (Langevin negatives, samples): vermillion; trails: thin vermillion lines;
- score arrows s(x) = −∇E(x): black.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.families.energy import GridDensity
from ui import charts
from ui.plots_diffusion import add_arrows  # noqa: F401  (the score field's arrows: one arrow helper for the app)

DATA_COLOUR = "#9CA3AF"
PARTICLE_COLOUR = charts.PALETTE[1]  # vermillion
ENERGY_SCALE = "Viridis"
DENSITY_SCALE = [[0.0, "#ffffff"], [0.15, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]
CURVE_COLOURS = {"e_data": charts.PALETTE[0], "e_neg": charts.PALETTE[1], "gap": charts.PALETTE[2],
                 "grad_norm": charts.PALETTE[3], "mmd2": charts.PALETTE[4]}
ENERGY_SPAN = 12.0  # the colour scale shows E from its minimum to this much above (higher is one colour)


def _frame(box, height: int) -> go.Figure:
    fig = charts.plane_figure(box, height=height)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0), margin=dict(l=10, r=10, t=40, b=10))
    return fig


def energy_range(E: np.ndarray, span: float = ENERGY_SPAN) -> tuple[float, float]:
    lo = float(np.min(E))
    return lo, lo + span


def add_energy(fig: go.Figure, g: GridDensity, colorbar: str, contours: bool = True, span: float = ENERGY_SPAN,
               showscale: bool = True, opacity: float = 1.0) -> None:
    """E as a heat map clipped at ``span`` above its minimum, with white contour lines."""
    lo, hi = energy_range(g.energy, span)
    z = np.minimum(g.energy, hi).astype(np.float32)
    fig.add_trace(go.Heatmap(x=g.xs, y=g.ys, z=z, zmin=lo, zmax=hi, colorscale=ENERGY_SCALE, opacity=opacity, showscale=showscale,
                             colorbar=dict(title=dict(text=colorbar, side="right"), thickness=14, len=0.8),
                             hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>E=%{z:.2f}<extra></extra>", name=colorbar))
    if contours:
        fig.add_trace(go.Contour(x=g.xs, y=g.ys, z=z, contours=dict(start=lo + span / 12, end=hi - span / 12, size=span / 12, coloring="none"),
                                 line=dict(color="white", width=1), showscale=False, hoverinfo="skip", showlegend=False))


def energy_figure(g: GridDensity, colorbar: str, height: int = 440) -> go.Figure:
    fig = _frame((g.xs[0], g.xs[-1], g.ys[0], g.ys[-1]), height)
    add_energy(fig, g, colorbar)
    return fig


def density_figure(g: GridDensity, colorbar: str, height: int = 440) -> go.Figure:
    fig = _frame((g.xs[0], g.xs[-1], g.ys[0], g.ys[-1]), height)
    fig.add_trace(go.Heatmap(x=g.xs, y=g.ys, z=g.density.astype(np.float32), colorscale=DENSITY_SCALE, zmin=0,
                             colorbar=dict(title=dict(text=colorbar, side="right"), thickness=14, len=0.8),
                             hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>p=%{z:.3f}<extra></extra>"))
    return fig


def surface_figure(g: GridDensity, z_title: str, height: int = 480) -> go.Figure:
    lo, hi = energy_range(g.energy)
    step = max(1, len(g.xs) // 60)  # 60 × 60 is smooth enough for a surface
    z = np.minimum(g.energy, hi)[::step, ::step].astype(np.float32)
    fig = go.Figure(go.Surface(x=g.xs[::step], y=g.ys[::step], z=z, colorscale=ENERGY_SCALE, cmin=lo, cmax=hi, showscale=False,
                               hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>E=%{z:.2f}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=10, b=0), font=dict(size=charts.FONT_SIZE - 2),
                      scene=dict(xaxis_title="x₁", yaxis_title="x₂", zaxis_title=z_title, camera=dict(eye=dict(x=1.4, y=-1.4, z=1.0))))
    return fig


def _points(X: np.ndarray, name: str, colour: str, size: int, opacity: float) -> go.Scatter:
    """A cloud of a few hundred points: SVG (a WebGL context per new chart is drawn in software on a machine without a
    GPU), float32 on the wire."""
    X = charts.f4(X)
    return go.Scatter(x=X[:, 0], y=X[:, 1], mode="markers", name=name, marker=dict(color=colour, size=size, opacity=opacity,
                      line=dict(color="white", width=0.4)), hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>")


def points_over_energy(g: GridDensity, clouds: list[tuple[np.ndarray, str, str]], colorbar: str, height: int = 440,
                       showscale: bool = True) -> go.Figure:
    """Point clouds (``(X, name, colour)``) over the energy's heat map."""
    fig = _frame((g.xs[0], g.xs[-1], g.ys[0], g.ys[-1]), height)
    add_energy(fig, g, colorbar, showscale=showscale)
    for X, name, colour in clouds:
        fig.add_trace(_points(X, name, colour, 5, 0.8))
    return fig


def _trail_xy(frames: np.ndarray, upto: int, length: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The last ``length`` positions of the first ``n`` particles up to frame ``upto``, NaN between particles."""
    start = max(0, upto - length)
    seg = frames[start: upto + 1, :n]  # (L, n, 2)
    gap = np.full((1, seg.shape[1], 2), np.nan, np.float32)
    path = np.concatenate([seg, gap]).transpose(1, 0, 2).reshape(-1, 2)  # particle by particle, NaN-separated
    return path[:, 0].astype(np.float32), path[:, 1].astype(np.float32)


def langevin_animation(g: GridDensity, frames: np.ndarray, frame_steps: np.ndarray, colorbar: str, particles_name: str,
                       trails_name: str, frame_label: str, play: str, pause: str, n_trails: int = 30, trail_length: int = 6,
                       height: int = 560) -> go.Figure:
    """Particles sliding on the energy, frame by frame in the browser (plotly frames and slider), each of the first
    ``n_trails`` with a trail of its last ``trail_length`` frames."""
    fig = _frame((g.xs[0], g.xs[-1], g.ys[0], g.ys[-1]), height)
    add_energy(fig, g, colorbar, contours=True)
    frames = np.asarray(frames, np.float32)
    box = np.array([[g.xs[0], g.ys[0]], [g.xs[-1], g.ys[-1]]], np.float32)
    frames = np.clip(frames, box[0] - 1.0, box[1] + 1.0)  # escaped particles sit just outside the view
    tx, ty = _trail_xy(frames, 0, trail_length, n_trails)
    fig.add_trace(go.Scatter(x=tx, y=ty, mode="lines", name=trails_name, line=dict(color=PARTICLE_COLOUR, width=1.2),
                             opacity=0.7, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=frames[0, :, 0], y=frames[0, :, 1], mode="markers", name=particles_name,
                             marker=dict(color=PARTICLE_COLOUR, size=6, line=dict(color="white", width=0.6)),
                             hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra></extra>"))
    first = len(fig.data) - 2
    names = [frame_label.format(step=int(s)) for s in frame_steps]
    out = []
    for i, name in enumerate(names):
        tx, ty = _trail_xy(frames, i, trail_length, n_trails)
        out.append(go.Frame(data=[go.Scatter(x=tx, y=ty), go.Scatter(x=frames[i, :, 0], y=frames[i, :, 1])],
                            traces=[first, first + 1], name=name))
    fig.frames = out
    step_args = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    fig.update_layout(
        margin=dict(l=10, r=10, t=40, b=110),
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.12, xanchor="left", yanchor="top", showactive=False,
                          buttons=[dict(label="▶ " + play, method="animate",
                                        args=[None, dict(frame=dict(duration=110, redraw=False), transition=dict(duration=0), fromcurrent=True)]),
                                   dict(label="■ " + pause, method="animate", args=[[None], step_args])])],
        sliders=[dict(active=0, x=0.22, y=-0.09, len=0.78, xanchor="left", yanchor="top", currentvalue=dict(prefix="", font=dict(size=14)),
                      steps=[dict(label=n, method="animate", args=[[n], step_args]) for n in names])],
    )
    return fig


def distance_curve(steps: np.ndarray, values: np.ndarray, x_title: str, y_title: str, name: str, reference: float | None,
                   reference_name: str, height: int = 260) -> go.Figure:
    """MMD² of the particles to p(x) along the chain."""
    fig = go.Figure(go.Scatter(x=steps, y=values, mode="lines+markers", name=name, line=dict(color=PARTICLE_COLOUR, width=2.5)))
    if reference is not None:
        fig.add_hline(y=reference, line=dict(color="#6B7280", dash="dot"), annotation_text=reference_name, annotation_position="top right")
    fig.update_xaxes(title_text=x_title, showgrid=True, gridcolor="#e5e7eb")
    fig.update_yaxes(title_text=y_title, showgrid=True, gridcolor="#e5e7eb", rangemode="tozero")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white", font=dict(size=charts.FONT_SIZE - 2),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return fig


def training_curves(history: dict[str, tuple[np.ndarray, np.ndarray]], names: dict[str, str], titles: tuple[str, str, str],
                    x_title: str, height: int = 430, max_points: int = 400) -> go.Figure:
    """Three panels: mean E on data and on negatives with their gap; the Langevin gradient's size; MMD² to held-out points.
    ``history``: name → (steps, values)."""
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.1, subplot_titles=titles)
    where = {"e_data": 1, "e_neg": 1, "gap": 1, "grad_norm": 2, "mmd2": 3}
    for key, (x, y) in history.items():
        if len(x) == 0:
            continue
        step = max(1, len(x) // max_points)  # a few hundred points show the trend
        dash = "dot" if key == "gap" else "solid"
        fig.add_trace(go.Scatter(x=np.asarray(x)[::step], y=np.asarray(y, np.float32)[::step], mode="lines+markers" if key == "mmd2" else "lines",
                                 name=names[key], line=dict(color=CURVE_COLOURS[key], width=2, dash=dash)), row=where[key], col=1)
    fig.add_hline(y=0, line=dict(color="#9CA3AF", width=1), row=1, col=1)
    fig.update_xaxes(title_text=x_title, row=3, col=1)
    fig.update_xaxes(showgrid=True, gridcolor="#e5e7eb")
    fig.update_yaxes(showgrid=True, gridcolor="#e5e7eb")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=60, b=10), plot_bgcolor="white", font=dict(size=charts.FONT_SIZE - 2),
                      legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0))
    return fig
