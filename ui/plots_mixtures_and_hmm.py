"""Figures for page 2 (mixtures and HMMs). Every text arrives already translated.

The EM replay is one plotly figure with animation frames: the browser plays and scrubs the
iterations itself, so moving through them costs the server nothing.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine.families import mixture
from ui import charts

MAX_FRAMES = 24  # a replay's frames at most: the browser reads every frame when the chart is drawn (a new K)
# A 32-gon strays from the true ellipse by under a pixel at a 2σ radius of 200 px (r · (1 − cos(π/32))); with 2
# decimals (a hundredth of a unit, about half a pixel on the plane) the ellipses, most of every replay frame at a large
# K, weigh a third of what the 60-gon with 4 did (a new K re-sent ~1.1 MB of replay, benchmarks/rerun_cpu.py).
ELLIPSE_POINTS = 32


class FramedFigure(go.Figure):
    """A figure whose animation frames are plain dicts, added only when it is serialised.

    plotly validates every property of every frame when frames are attached to a
    ``go.Figure`` (about 1.5 s for 40 frames of 750 points); the frames here are built from
    already-valid pieces, so they skip that. ``st.plotly_chart`` calls ``to_dict()``.
    """

    def __init__(self, *args, raw_frames: list[dict] | None = None, **kwargs) -> None:
        super().__init__(*args, _validate=False, **kwargs)  # the traces are plain dicts we built
        self._raw_frames = raw_frames or []

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["frames"] = self._raw_frames
        return out

    def to_plotly_json(self) -> dict:
        return self.to_dict()


def _mixed_colours(resp: np.ndarray) -> list[str]:
    """Each point's colour: the component colours mixed by its responsibilities, as CSS's short "#rgb" (16 levels a
    channel, steps the eye cannot tell apart under the points' opacity; a replay sends one colour per point and frame)."""
    cols = np.stack([charts._rgb(charts.colour(k)) for k in range(resp.shape[1])])
    levels = np.clip(np.rint(resp @ cols / 17), 0, 15).astype(np.uint8)  # 0..15: 17 · level is the channel
    h = "".join("0123456789abcdef"[v] for v in levels.ravel())  # "rgbrgb…"
    return ["#" + h[i : i + 3] for i in range(0, len(h), 3)]


def frame_indices(n_states: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """Which recorded iterations become frames: all of them, or each of the first ``max_frames // 2`` (where EM
    moves most) and then an even spread of the rest, the last one included."""
    if n_states <= max_frames:
        return list(range(n_states))
    first = max_frames // 2
    rest = np.linspace(first, n_states - 1, max_frames - first).round().astype(int).tolist()
    return sorted(set(range(first)) | set(rest))


def _component_dicts(params: mixture.MixtureParams, labels: dict) -> list[dict]:
    """1σ and 2σ ellipses per component, then the means: plain plotly trace dicts."""
    covs = params.full_covariances()
    traces = []
    for k in range(params.n_components):
        for n_sigma, dash in ((1, "solid"), (2, "dash")):
            e = mixture.ellipse(params.means[k], covs[k], n_sigma, ELLIPSE_POINTS)
            traces.append(dict(
                type="scatter", x=e[:, 0].round(2).tolist(), y=e[:, 1].round(2).tolist(), mode="lines",
                line=dict(color=charts.colour(k), width=3 if n_sigma == 1 else 2, dash=dash),
                name=labels[f"sigma{n_sigma}"], showlegend=k == 0, hoverinfo="skip",
            ))
    # Each mean carries only its number k: with "k: π=0.17" the labels of nearby means ran into each
    # other from K = 6 on. The weights have their own bar panel (_weight_bars).
    traces.append(dict(
        type="scatter", x=params.means[:, 0].tolist(), y=params.means[:, 1].tolist(), mode="markers+text", name=labels["means"],
        text=[str(k + 1) for k in range(params.n_components)], customdata=params.weights.tolist(),
        textposition="top center", textfont=dict(size=13, color="#111827"),
        marker=dict(symbol="x", size=13, color=[charts.colour(k) for k in range(params.n_components)], line=dict(width=2, color="black")),
        hovertemplate="μ=(%{x:.2f}, %{y:.2f})<extra>%{text}: π=%{customdata:.2f}</extra>",  # d3 format: 0,33 in Portuguese
    ))
    return traces


def _weight_bars(params: mixture.MixtureParams, labels: dict) -> dict:
    """The weights π_k as horizontal bars on the third axes, one row per component in its colour, each
    value written after its bar. Horizontal, so that ten values never run into each other."""
    K = params.n_components
    return dict(
        type="bar", orientation="h", y=list(range(1, K + 1)), x=params.weights.round(4).tolist(), xaxis="x3", yaxis="y3",
        marker=dict(color=[charts.colour(k) for k in range(K)], line=dict(color="#111827", width=1)),
        texttemplate="%{x:.2f}", textposition="outside", cliponaxis=False, constraintext="none",
        textfont=dict(size=11, color="#111827"), name=labels["weights"], showlegend=False,
        hovertemplate=labels["component"] + " %{y}<br>π=%{x:.3f}<extra></extra>",  # d3 format: 0,33 in Portuguese
    )


def em_replay_figure(history: mixture.EMHistory, X: np.ndarray, box, labels: dict, height: int = 600) -> go.Figure:
    """Left: points coloured by responsibilities, 1σ/2σ ellipses and numbered means. Right, top:
    the weights π_k as bars; below, the log-likelihood curve with a marker on the current
    iteration. Frames = iterations."""
    steps = frame_indices(len(history.params))
    ll = history.log_likelihood
    K = history.final.n_components
    top_weight = max(float(p.weights.max()) for p in history.params)
    fig = charts.plane_figure(box, height=height)
    fig.update_xaxes(domain=[0, 0.6])
    fig.update_layout(
        xaxis3=dict(domain=[0.7, 1.0], anchor="y3", title_text=labels["weights"], showgrid=True, gridcolor="#e5e7eb",
                    range=[0, 1.3 * top_weight], fixedrange=True),  # room after the longest bar for its value
        yaxis3=dict(domain=[0.75, 1.0], anchor="x3", title_text=labels["component"], tickvals=list(range(1, K + 1)),
                    range=[K + 0.6, 0.4], showgrid=False, fixedrange=True),  # component 1 on top; its x title clear of the curve
        xaxis2=dict(domain=[0.7, 1.0], anchor="y2", title_text=labels["iteration"], showgrid=True, gridcolor="#e5e7eb",
                    range=[-0.5, max(1, len(ll) - 1) + 0.5]),
        yaxis2=dict(domain=[0.34, 0.56], anchor="x2", title_text=labels["mean_ll"], showgrid=True, gridcolor="#e5e7eb",
                    range=_padded_range(ll)),
        legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
        margin=dict(l=10, r=10, t=30, b=10),
    )
    first = steps[0]
    traces = [dict(
        type="scatter", x=charts.typed(charts.f4(X[:, 0])), y=charts.typed(charts.f4(X[:, 1])), mode="markers", name=labels["points"],
        marker=dict(size=7, color=_mixed_colours(history.resp[first]), opacity=0.55, line=dict(color="white", width=0.5)),
        hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra></extra>",
    )]
    traces += _component_dicts(history.params[first], labels)
    traces.append(dict(type="scatter", x=list(range(len(ll))), y=ll.tolist(), mode="lines+markers", xaxis="x2", yaxis="y2",
                       line=dict(color="#374151", width=2), marker=dict(size=4), name=labels["ll_curve"],
                       hovertemplate=labels["iteration"] + " %{x}<br>%{y:.4f}<extra></extra>"))
    traces.append(dict(type="scatter", x=[first], y=[float(ll[first])], mode="markers", xaxis="x2", yaxis="y2",
                       marker=dict(size=14, color="#B91C1C", symbol="circle"), name=labels["current"], hoverinfo="skip"))
    traces.append(_weight_bars(history.params[first], labels))
    n_traces = len(traces)
    animated = [0] + list(range(1, n_traces - 3)) + [n_traces - 2, n_traces - 1]  # all but the log-likelihood curve
    frames = []
    for s in steps:
        # A frame carries only what moves (plotly merges it into the traces): each point's colour, the ellipses' and
        # means' coordinates, the marker on the curve and the bars (styles and names repeated in every frame were
        # a third of the figure's bytes, and the browser reads every frame when the chart is drawn).
        data = [dict(marker=dict(color=_mixed_colours(history.resp[s])))]
        data += [{key: tr[key] for key in ("x", "y", "customdata") if key in tr} for tr in _component_dicts(history.params[s], labels)]
        data.append(dict(x=[s], y=[float(ll[s])]))
        data.append(dict(x=history.params[s].weights.round(4).tolist()))
        frames.append(dict(data=data, traces=animated, name=str(s)))
    out = FramedFigure(data=traces, layout=fig.layout.to_plotly_json(), raw_frames=frames)
    out.update_layout(
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=1.07, xanchor="left", yanchor="bottom", showactive=False,
            buttons=[
                dict(label="▶ " + labels["play"], method="animate",
                     args=[None, dict(frame=dict(duration=350, redraw=True), transition=dict(duration=0), fromcurrent=True, mode="immediate")]),
                dict(label="■ " + labels["pause"], method="animate",
                     args=[[None], dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")]),
            ],
        )],
        sliders=[dict(
            active=0, x=0.7, len=0.3, y=0.2, yanchor="top", currentvalue=dict(prefix=labels["iteration"] + ": ", font=dict(size=14)),
            pad=dict(t=10),
            steps=[dict(label=str(s), method="animate",
                        args=[[str(s)], dict(frame=dict(duration=0, redraw=True), transition=dict(duration=0), mode="immediate")])
                   for s in steps],
        )],
    )
    return out


def _padded_range(values: np.ndarray) -> list[float]:
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = max(0.05 * (hi - lo), 0.01)
    return [lo - pad, hi + pad]


def selection_figure(sel: mixture.SelectionResult, labels: dict, height: int = 360) -> go.Figure:
    fig = go.Figure()
    for name, values, colour, best in (("BIC", sel.bic, charts.colour(0), sel.best_bic), ("AIC", sel.aic, charts.colour(1), sel.best_aic)):
        fig.add_trace(go.Scatter(x=sel.ks, y=values, mode="lines+markers", name=name, line=dict(color=colour, width=3),
                                 hovertemplate="K=%{x}<br>" + name + "=%{y:.1f}<extra></extra>"))
        i = int(np.where(sel.ks == best)[0][0])
        fig.add_trace(go.Scatter(x=[best], y=[values[i]], mode="markers", name=labels["minimum"].format(name=name, k=best),
                                 marker=dict(symbol="star", size=20, color=colour, line=dict(color="black", width=1.5))))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    fig.update_xaxes(title_text=labels["k"], dtick=1, showgrid=True, gridcolor="#e5e7eb")
    fig.update_yaxes(title_text=labels["criterion"], showgrid=True, gridcolor="#e5e7eb")
    return fig


def generate_figure(view: mixture.MixtureView, samples: tuple[np.ndarray, np.ndarray], box, mode: str, labels: dict) -> go.Figure:
    fig = charts.plane_figure(box, height=520)
    density = np.exp(view.grid_log_px)
    if mode == "heatmap":
        charts.add_heatmap(fig, view.xs, view.ys, np.maximum(view.grid_log_px, view.grid_log_px.max() - 10), labels["log_px"], "Greys")
    else:
        z = density.reshape(len(view.ys), len(view.xs))
        top = float(z.max())
        fig.add_trace(go.Contour(x=charts.f4(view.xs), y=charts.f4(view.ys), z=charts.f4(z),  # float32: half the bytes
                                 showscale=False, name=labels["contours"], showlegend=True,
                                 contours=dict(start=top / 8, end=top * 7 / 8, size=top / 8, coloring="lines"),
                                 colorscale=[[0, "#9CA3AF"], [1, "#111827"]], line=dict(width=1.5), hoverinfo="skip"))
    Xs, zs = samples
    points = charts.scatter_class(len(view.train_X) + len(Xs))
    fig.add_trace(points(x=view.train_X[:, 0], y=view.train_X[:, 1], mode="markers", name=labels["data"],
                         marker=dict(size=6, color="#9CA3AF", opacity=0.7), hoverinfo="skip"))
    if len(Xs):
        for k in np.unique(zs):
            pts = Xs[zs == k]
            fig.add_trace(points(x=pts[:, 0], y=pts[:, 1], mode="markers", name=labels["sample"].format(k=k + 1),
                                 marker=dict(symbol="diamond", size=8, color=charts.colour(k), line=dict(color="white", width=1))))
    return fig


# ---------------------------------------------------------------- HMM figures

def matrix_heatmap(M: np.ndarray, rows: list[str], cols: list[str], title: str, x_title: str, y_title: str,
                   height: int | None = None, colorscale: str = "Blues", col_ticks: list[str] | None = None) -> go.Figure:
    """A probability table as a heat map: one row per ``rows`` name, one column per ``cols`` name.

    ``col_ticks`` are short column labels (a transition matrix's state numbers): long names such as
    "2 ≈ dado viciado" under narrow columns made plotly tilt them, and the tilted labels took most
    of the figure's height. The hover always names the full row and column. The height grows with
    the number of rows, so that six rows stay as readable as two.
    """
    height = height or max(220, 110 + 36 * len(rows))
    ticks = list(col_ticks) if col_ticks is not None else list(cols)
    hover = [[f"{y_title}: {r}<br>{x_title}: {c}" for c in cols] for r in rows]
    fig = go.Figure(go.Heatmap(
        z=M, x=ticks, y=rows, zmin=0, zmax=1, colorscale=colorscale, texttemplate="%{z:.2f}",
        textfont=dict(size=13), showscale=False, text=hover,
        hovertemplate="%{text}<br>p=%{z:.3f}<extra></extra>",
    ))
    fig.update_layout(title=dict(text=title, font=dict(size=15)), height=height, margin=dict(l=10, r=10, t=40, b=10))
    # Numbers always fit level; names (the emission symbols) may tilt when the page is narrow rather than overlap.
    fig.update_xaxes(title_text=x_title, side="bottom", type="category", tickmode="array", tickvals=ticks)
    if col_ticks is not None:
        fig.update_xaxes(tickangle=0)
    fig.update_yaxes(title_text=y_title, autorange="reversed", type="category")
    return fig


def timeline_figure(obs: np.ndarray, truth: np.ndarray, viterbi: np.ndarray, post: np.ndarray,
                    state_names: list[str], symbol_names: list[str], labels: dict, height: int = 620) -> go.Figure:
    """One shared time axis: observations coloured by the true state; true and Viterbi paths as
    two colour strips; the forward-backward posteriors as stacked bands."""
    from plotly.subplots import make_subplots

    T, S = post.shape
    t = np.arange(1, T + 1)
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06, row_heights=[0.42, 0.2, 0.38],
                        subplot_titles=(labels["obs_title"], labels["paths_title"], labels["post_title"]))
    points = charts.scatter_class(T)
    for s in range(S):
        mask = truth == s
        fig.add_trace(points(x=t[mask], y=obs[mask], mode="markers", name=labels["obs_in"].format(state=state_names[s]),
                             marker=dict(color=charts.colour(s), size=6), legendgroup=f"s{s}",
                             customdata=np.array(symbol_names)[obs[mask]],
                             hovertemplate="t=%{x}<br>%{customdata}<extra>%{fullData.name}</extra>"), row=1, col=1)
    fig.update_yaxes(tickvals=list(range(len(symbol_names))), ticktext=symbol_names, title_text=labels["symbol"], row=1, col=1)
    strip = np.vstack([viterbi, truth]).astype(float)
    discrete = []
    for s in range(S):
        lo, hi = s / S, (s + 1) / S
        discrete += [[lo, charts.colour(s)], [hi, charts.colour(s)]]
    fig.add_trace(go.Heatmap(z=strip, x=t, y=[labels["viterbi"], labels["truth"]], zmin=-0.5, zmax=S - 0.5, colorscale=discrete,
                             showscale=False, customdata=np.array(state_names)[strip.astype(int)],
                             hovertemplate="t=%{x}<br>%{y}: %{customdata}<extra></extra>"), row=2, col=1)
    for s in range(S):
        fig.add_trace(go.Scatter(x=t, y=post[:, s], mode="lines", stackgroup="post", name=labels["post_in"].format(state=state_names[s]),
                                 line=dict(width=0.5, color=charts.colour(s)), fillcolor=charts.colour(s), legendgroup=f"s{s}",
                                 hovertemplate="t=%{x}<br>p=%{y:.2f}<extra>%{fullData.name}</extra>"), row=3, col=1)
    fig.update_yaxes(range=[0, 1], title_text=labels["probability"], row=3, col=1)
    fig.update_xaxes(title_text=labels["time"], row=3, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="top", y=-0.08, x=0))
    return fig


def curve_figure(values: np.ndarray, x_title: str, y_title: str, name: str, height: int = 300) -> go.Figure:
    fig = go.Figure(go.Scatter(x=np.arange(1, len(values) + 1), y=values, mode="lines+markers", name=name,
                               line=dict(color="#374151", width=2), marker=dict(size=4),
                               hovertemplate=x_title + " %{x}<br>%{y:.2f}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white")
    fig.update_xaxes(title_text=x_title, showgrid=True, gridcolor="#e5e7eb")
    fig.update_yaxes(title_text=y_title, showgrid=True, gridcolor="#e5e7eb")
    return fig


def symbol_strip_figure(obs: np.ndarray, states: np.ndarray, state_names: list[str], symbol_names: list[str], labels: dict,
                        height: int = 260) -> go.Figure:
    t = np.arange(1, len(obs) + 1)
    fig = go.Figure()
    for s in np.unique(states):
        mask = states == s
        fig.add_trace(go.Scatter(x=t[mask], y=obs[mask], mode="markers", name=labels["obs_in"].format(state=state_names[s]),
                                 marker=dict(color=charts.colour(s), size=8),
                                 customdata=np.array(symbol_names)[obs[mask]],
                                 hovertemplate="t=%{x}<br>%{customdata}<extra>%{fullData.name}</extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="top", y=-0.25, x=0))
    fig.update_yaxes(tickvals=list(range(len(symbol_names))), ticktext=symbol_names, title_text=labels["symbol"])
    fig.update_xaxes(title_text=labels["time"])
    return fig


def regime_figure(x: np.ndarray, truth: np.ndarray, hmm_states: np.ndarray, gmm_states: np.ndarray, names: list[str],
                  labels: dict, height: int = 560) -> go.Figure:
    """The signal, with the true regime as a background strip and the two decodings below."""
    from plotly.subplots import make_subplots

    T = len(x)
    t = np.arange(1, T + 1)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.65, 0.35],
                        subplot_titles=(labels["signal_title"], labels["strips_title"]))
    points = charts.scatter_class(2 * T)  # the line and the markers
    fig.add_trace(points(x=t, y=x, mode="lines", line=dict(color="#D1D5DB", width=1), name=labels["signal"], hoverinfo="skip"), row=1, col=1)
    for s in np.unique(hmm_states):
        mask = hmm_states == s
        fig.add_trace(points(x=t[mask], y=x[mask], mode="markers", marker=dict(color=charts.colour(s), size=5),
                             name=labels["hmm_in"].format(state=names[s] if s < len(names) else str(s + 1)),
                             hovertemplate="t=%{x}<br>x=%{y:.2f}<extra>%{fullData.name}</extra>"), row=1, col=1)
    n = int(max(truth.max(), hmm_states.max(), gmm_states.max())) + 1
    discrete = []
    for s in range(n):
        discrete += [[s / n, charts.colour(s)], [(s + 1) / n, charts.colour(s)]]
    strip = np.vstack([gmm_states, hmm_states, truth]).astype(float)
    fig.add_trace(go.Heatmap(z=strip, x=t, y=[labels["gmm"], labels["hmm"], labels["truth"]], zmin=-0.5, zmax=n - 0.5,
                             colorscale=discrete, showscale=False, hovertemplate="t=%{x}<br>%{y}<extra></extra>"), row=2, col=1)
    fig.update_yaxes(title_text=labels["value"], row=1, col=1)
    fig.update_xaxes(title_text=labels["time"], row=2, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="top", y=-0.16, x=0))
    return fig


def regime_histogram(x: np.ndarray, means: np.ndarray, stds: np.ndarray, weights: np.ndarray, names: list[str],
                     labels: dict, height: int = 380) -> go.Figure:
    """The values' histogram (time forgotten) against Σ_k w_k N(x | μ_k, σ_k²)."""
    grid = np.linspace(x.min() - 1, x.max() + 1, 300)
    fig = go.Figure(go.Histogram(x=x, histnorm="probability density", nbinsx=60, marker_color="#D1D5DB", name=labels["hist"]))
    total = np.zeros_like(grid)
    for k, (m, s, w) in enumerate(zip(means, stds, weights)):
        comp = w * np.exp(-0.5 * ((grid - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
        total += comp
        fig.add_trace(go.Scatter(x=grid, y=comp, mode="lines", line=dict(color=charts.colour(k), width=2, dash="dash"),
                                 name=labels["component"].format(state=names[k])))
    fig.add_trace(go.Scatter(x=grid, y=total, mode="lines", line=dict(color="black", width=3), name=labels["mixture"]))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white", bargap=0.02,
                      legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    fig.update_xaxes(title_text=labels["value"])
    fig.update_yaxes(title_text=labels["density"])
    return fig
