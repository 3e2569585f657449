"""Plotly figures for the token-sampling page. They take arrays and labels, never a model:
which rung produced the logits does not matter here."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.families.autoregressive import display_order

BLUE = "#2563EB"
LIGHT_BLUE = "#93C5FD"
GREY = "#D1D5DB"
DARK = "#111827"
ORANGE = "#EA580C"
GREEN = "#059669"


SYMBOLS = {" ": "␣", "\n": "↵", "\t": "⇥"}


def show_char(c: str) -> str:
    """A visible label for a character token (or a string of them): space and newline get symbols."""
    return "".join(SYMBOLS.get(ch, ch) for ch in c)


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), template="plotly_white",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **kw)
    return fig


def distribution_skeleton(names: dict) -> go.Figure:
    """The next-token chart without its numbers: the layout and the four traces' styles, built (and validated by
    plotly) once per language; :func:`distribution_values` gives the numbers of one distribution. Light bar = before
    the cut, dark bar = renormalised q, grey = cut off, diamond = the model's own probability (T = 1)."""
    fig = go.Figure()
    fig.add_bar(name=names["p_temp"], hovertemplate="%{x}: %{y:.4f}<extra>" + names["p_temp"] + "</extra>")
    fig.add_bar(name=names["q"], hovertemplate="%{x}: %{y:.4f}<extra>" + names["q"] + "</extra>")
    fig.add_scatter(mode="markers", name=names["p_model"], marker=dict(symbol="diamond", size=9, color=DARK),
                    hovertemplate="%{x}: %{y:.4f}<extra>" + names["p_model"] + "</extra>")
    fig.add_bar(x=[None], y=[None], name=names["cut"], marker_color=GREY)  # legend entry for the grey bars
    fig.update_layout(barmode="group", bargap=0.15)
    fig.update_yaxes(title=names["y"])
    fig.update_xaxes(title=names["x"], type="category")
    return _layout(fig, 380)


def distribution_values(chars, p_model, p_temp, keep, q, n_show: int) -> dict:
    """The numbers of the next-token chart for one distribution: the top tokens by softmax(z/T), ties by softmax(z)
    (``x``), each trace's heights (``p_temp``, ``q``, ``p_model``), the bars' colours and the y range."""
    order = display_order(p_temp, p_model)[:n_show]
    kept = np.asarray(keep)[order]
    heights = {name: np.asarray(p, np.float64)[order] for name, p in (("p_temp", p_temp), ("q", q), ("p_model", p_model))}
    top = float(max(h.max() for h in heights.values()))
    return dict(x=[show_char(chars[i]) for i in order],  # characters are unique, so they can label the bars
                colours=([LIGHT_BLUE if k else GREY for k in kept], [BLUE if k else GREY for k in kept]),
                y_range=[0, min(1.02, top * 1.12 + 0.01)], **heights)


def distribution_figure(chars, p_model, p_temp, keep, q, n_show: int, names: dict) -> go.Figure:
    """The next-token chart as one plotly figure (the page fills a serialised skeleton instead: see
    ``ui.views_token_sampling.distribution_figure``)."""
    v = distribution_values(chars, p_model, p_temp, keep, q, n_show)
    fig = distribution_skeleton(names)
    for trace, y, colour in zip(fig.data, (v["p_temp"], v["q"], v["p_model"]), (*v["colours"], None)):
        trace.update(x=v["x"], y=y, **({"marker_color": colour} if colour else {}))
    fig.update_yaxes(range=v["y_range"])
    return fig


def tree_figure(chars, steps, names: dict, last: int = 40) -> go.Figure:
    """Top alternatives at each generated position (colour = model probability), the chosen token
    circled, and below it the probability the model gave each token it produced."""
    first = max(0, len(steps) - last)
    steps = steps[first:]
    n_top = len(steps[0].top_tokens)
    pos = list(range(first + 1, first + len(steps) + 1))
    z = np.array([s.top_probs for s in steps]).T  # (rank, position)
    text = [[show_char(chars[s.top_tokens[r]]) for s in steps] for r in range(n_top)]
    fig = make_subplots(rows=2, cols=1, row_heights=[0.65, 0.35], shared_xaxes=True, vertical_spacing=0.06)
    fig.add_heatmap(x=pos, y=list(range(1, n_top + 1)), z=z, text=text, texttemplate="%{text}", colorscale=[[0, "#FFFFFF"], [1, "#60A5FA"]],
                    zmin=0, zmax=1, colorbar=dict(title=names["colour"], len=0.6, y=0.7),
                    hovertemplate=names["position"] + " %{x}, " + names["rank"] + " %{y}: %{text} (%{z:.3f})<extra></extra>",
                    row=1, col=1)
    cx, cy = [], []
    for i, s in enumerate(steps):
        if s.token in s.top_tokens:
            cx.append(pos[i])
            cy.append(s.top_tokens.index(s.token) + 1)
    fig.add_scatter(x=cx, y=cy, mode="markers", name=names["chosen"], hoverinfo="skip",
                    marker=dict(symbol="square-open", size=22, color=ORANGE, line=dict(width=2.5)), row=1, col=1)
    fig.add_bar(x=pos, y=[s.p_model for s in steps], name=names["p_chosen"], marker_color=ORANGE,
                text=[show_char(chars[s.token]) for s in steps], textposition="outside",
                hovertemplate=names["position"] + " %{x}: %{text} p=%{y:.3f}<extra></extra>", row=2, col=1)
    fig.update_yaxes(title=names["rank"], autorange="reversed", dtick=1, row=1, col=1)
    fig.update_yaxes(title=names["p_axis"], range=[0, 1.15], row=2, col=1)
    fig.update_xaxes(title=names["position"], range=[pos[0] - 0.5, pos[-1] + 0.5], row=2, col=1)
    return _layout(fig, 470)


def attention_figure(att: np.ndarray, tokens: list[str], names: dict, first: int = 0) -> go.Figure:
    """att: (layers, heads, T, T). Row = the position that looks, column = the position looked at;
    ``first`` is the position of ``tokens[0]`` in the model's context when the maps are a crop."""
    L, H, T, _ = att.shape
    labels = [f"{first + i}:{show_char(c)}" for i, c in enumerate(tokens)]
    fig = make_subplots(rows=L, cols=H, subplot_titles=[names["title"].format(layer=l + 1, head=h + 1)
                                                        for l in range(L) for h in range(H)],
                        horizontal_spacing=0.03, vertical_spacing=0.12)
    for l in range(L):
        for h in range(H):
            fig.add_heatmap(z=att[l, h], x=labels, y=labels, zmin=0, zmax=1, colorscale="Viridis",
                            showscale=(l == 0 and h == H - 1), colorbar=dict(title=names["colour"]),
                            hovertemplate=names["query"] + " %{y} → " + names["key"] + " %{x}: %{z:.2f}<extra></extra>",
                            row=l + 1, col=h + 1)
            fig.update_yaxes(autorange="reversed", showticklabels=(h == 0), tickfont=dict(size=9), row=l + 1, col=h + 1)
            fig.update_xaxes(showticklabels=(l == L - 1), tickfont=dict(size=9), tickangle=-90, row=l + 1, col=h + 1)
    return _layout(fig, 260 * L + 60)


LOSS_POINTS = 1000  # a live run's batch losses drawn at most: every k-th step past that, so a tick's figure stays small


def loss_figure(history: list[dict], references: dict[str, float], names: dict, losses=()) -> go.Figure:
    """Training and validation loss in bits per character against the step, with n-gram levels dashed. ``losses``:
    every step's training-batch loss in nats (step k at index k - 1), a light line that moves at every step; without
    it, the batch loss recorded at each evaluation. The held-out loss is drawn at each evaluation."""
    fig = go.Figure()
    if len(losses):
        every = -(-len(losses) // LOSS_POINTS)  # ceil: one in ``every`` steps past LOSS_POINTS, the last one kept
        idx = np.arange(len(losses) - 1, -1, -every)[::-1]
        train_x, train_y = (idx + 1).tolist(), (np.asarray(losses, np.float64)[idx] / np.log(2)).tolist()
        mode = "lines"
    else:
        train_x, train_y, mode = [h["step"] for h in history], [h["train"] / np.log(2) for h in history], "lines+markers"
    fig.add_scatter(x=train_x, y=train_y, mode=mode, name=names["train"], line=dict(color=LIGHT_BLUE, width=1.5))
    fig.add_scatter(x=[h["step"] for h in history], y=[h["val"] / np.log(2) for h in history], mode="lines+markers",
                    name=names["val"], line=dict(color=BLUE, width=3))
    for i, (label, value) in enumerate(references.items()):
        fig.add_hline(y=value, line=dict(dash="dash", color=[GREY, "#9CA3AF", "#6B7280", DARK][i % 4]),
                      annotation_text=label, annotation_position="top right")
    fig.update_xaxes(title=names["x"], rangemode="tozero")
    fig.update_yaxes(title=names["y"])
    return _layout(fig, 360)


def ladder_figure(labels: list[str], values: list[float], colours: list[str], names: dict) -> go.Figure:
    fig = go.Figure(go.Bar(y=labels, x=values, orientation="h", marker_color=colours, texttemplate="%{x:.3f}",
                           textposition="outside", hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.update_xaxes(title=names["y"], range=[0, max(values) * 1.15])
    fig.update_yaxes(title=names["x"], autorange="reversed")
    return _layout(fig, 60 + 45 * len(labels), showlegend=False)


def scaling_figure(rows: list[dict], references: dict[str, float], names: dict) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=[r["n_params"] for r in rows], y=[r["val_nats_per_char"] for r in rows], mode="lines+markers+text",
                    text=[f"{r['n_layer']}×{r['n_embd']}" for r in rows], textposition="top center",
                    name=names["transformer"], line=dict(color=BLUE, width=3))
    for i, (label, value) in enumerate(references.items()):
        fig.add_hline(y=value, line=dict(dash="dash", color=["#9CA3AF", "#6B7280", DARK][i % 3]),
                      annotation_text=label, annotation_position="bottom right")
    fig.update_xaxes(title=names["x"], type="log")
    fig.update_yaxes(title=names["y"])
    return _layout(fig, 360)
