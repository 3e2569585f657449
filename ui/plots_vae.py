"""Plotly figures for the VAE page: digit mosaics, the latent scatter, loss curves, the walk."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui import digit_images
from ui.charts import FONT_SIZE, PALETTE

DIGIT_COLOURS = PALETTE + ("#999999", "#F0E442")  # ten digits: Okabe-Ito plus grey and yellow
# A click on the latent plane selects the nearest of CLICK_GRID × CLICK_GRID invisible points (plotly selects only data
# points): a step of lim / 12 (0.29 at the smallest plane, ±3.5). 41 × 41 made every β move style 1,681 points in SVG.
CLICK_GRID = 25
SHADES = " .:#@"  # ASCII: a figure's JSON writes "█" as \u2588 (6 bytes), and the hover images were 70% of the latent plane


def ascii_rows(img: np.ndarray) -> list[str]:
    """An 8×8 digit as eight rows of characters (two per pixel, darker is denser), for hover labels."""
    idx = np.clip(np.rint(np.asarray(img).reshape(8, 8) / 16 * (len(SHADES) - 1)), 0, len(SHADES) - 1).astype(int)
    return ["".join(SHADES[v] * 2 for v in row) for row in idx]


# a point's customdata is its image's eight rows: the line breaks are written once per trace, not per point
# (each "<br>" is 14 bytes in a figure's JSON)
ASCII_HOVER = "<br>".join(f"%{{customdata[{i}]}}" for i in range(8))


def mosaic(images: np.ndarray, n_cols: int, gap: int = 1, row_gap: int | None = None) -> np.ndarray:
    """Tile (n, 64) images into one array, NaN in the gaps (drawn as background)."""
    images = np.asarray(images, float).reshape(-1, 8, 8)
    rg = gap if row_gap is None else row_gap
    n = len(images)
    n_rows = max(1, -(-n // n_cols))
    out = np.full((n_rows * (8 + rg) - rg, n_cols * (8 + gap) - gap), np.nan)
    for k, img in enumerate(images):
        r, c = divmod(k, n_cols)
        out[r * (8 + rg):r * (8 + rg) + 8, c * (8 + gap):c * (8 + gap) + 8] = img
    return out


def digits_figure(images: np.ndarray, n_cols: int, captions: list[str] | None = None, height: int | None = None,
                  hover: str = "") -> go.Figure:
    """A grid of digits on the 0..16 scale (white = 0, black = 16), optional caption under each."""
    rg = 4 if captions else 1  # room for a caption under each row
    m = mosaic(images, n_cols, row_gap=rg)
    if captions:
        m = np.vstack([m, np.full((rg, m.shape[1]), np.nan)])
    n_rows = max(1, -(-len(np.asarray(images).reshape(-1, 64)) // n_cols))
    fig = go.Figure(digit_images.heatmap(m, hovertemplate=(hover or "%{z:.1f}") + "<extra></extra>"))
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x", scaleratio=1)
    fig.update_xaxes(visible=False, constrain="domain")
    if captions:
        for k, cap in enumerate(captions):
            r, c = divmod(k, n_cols)
            fig.add_annotation(x=c * 9 + 3.5, y=r * (8 + rg) + 7.9, text=cap, showarrow=False, yanchor="top",
                               font=dict(size=FONT_SIZE - 3))
    fig.update_layout(height=height or max(110, 30 + n_rows * (100 if captions else 60)), margin=dict(l=5, r=5, t=5, b=5 if not captions else 25),
                      plot_bgcolor="#f1f5f9", font=dict(size=FONT_SIZE))
    return fig


def latent_scatter(Z: np.ndarray, y: np.ndarray, images: np.ndarray, axis_names: tuple[str, str], digit_label: str,
                   lim: float, picked: np.ndarray | None, picked_label: str, clickable: bool = True) -> go.Figure:
    """μ of each test digit (coloured by its true label, image on hover), plus the picked point.

    ``clickable`` adds an invisible grid of points so a click anywhere in the plane selects
    the nearest grid point (plotly selects only data points).
    """
    fig = go.Figure()
    if clickable:
        ticks = np.linspace(-lim, lim, CLICK_GRID)
        gx, gy = np.meshgrid(ticks, ticks)
        fig.add_trace(go.Scatter(x=gx.ravel().astype(np.float32), y=gy.ravel().astype(np.float32), mode="markers", marker=dict(size=9, opacity=0),
                                 hoverinfo="none", showlegend=False, name="grid"))
    for k in range(10):
        sel = y == k
        if not sel.any():
            continue
        fig.add_trace(go.Scatter(
            x=Z[sel, 0].astype(np.float32), y=Z[sel, 1].astype(np.float32), mode="markers", name=digit_label.format(k=k),
            marker=dict(color=DIGIT_COLOURS[k], size=7, opacity=0.85, line=dict(color="white", width=0.5)),
            customdata=[ascii_rows(img) for img in images[sel]],
            hovertemplate=f"{digit_label.format(k=k)}<br>{axis_names[0]}=%{{x:.2f}}, {axis_names[1]}=%{{y:.2f}}<br>{ASCII_HOVER}<extra></extra>",
        ))
    if picked is not None:
        fig.add_trace(picked_trace(picked, picked_label))
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=FONT_SIZE), plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="top", y=-0.1, xanchor="left", x=0),
                      hoverlabel=dict(bgcolor="white", align="left", font=dict(family="monospace", size=13, color="#111111")),
                      uirevision=f"latent {lim:.4g}",  # a new range (a far picked point) resets a panned view
                      clickmode="event+select",
                      dragmode="pan")
    fig.update_xaxes(range=[-lim, lim], title_text=axis_names[0], gridcolor="#e5e7eb", zeroline=True, zerolinecolor="#cbd5e1")
    fig.update_yaxes(range=[-lim, lim], title_text=axis_names[1], gridcolor="#e5e7eb", zeroline=True, zerolinecolor="#cbd5e1",
                     scaleanchor="x", scaleratio=1)
    return fig


def picked_trace(picked: np.ndarray, picked_label: str) -> go.Scatter:
    """The latent plane's picked point (drawn last, over the digits)."""
    return go.Scatter(x=[picked[0]], y=[picked[1]], mode="markers", name=picked_label,
                      marker=dict(symbol="x", size=16, color="#B91C1C", line=dict(width=2)),
                      hovertemplate=f"{picked_label}<extra></extra>")


def manifold_figure(images: np.ndarray, n: int, lim: float, axis_names: tuple[str, str]) -> go.Figure:
    """Decoded grid: image (i, j) is the decoding of the grid point in row i (top = high), column j."""
    m = mosaic(images, n, gap=1)[::-1]  # bottom row first, so the y values can increase
    step = 2 * lim / (n - 1)
    # each digit (8 pixels + a 1-pixel gap) spans one grid cell, centred on its latent point
    xs = -lim - step / 2 + (np.arange(m.shape[1]) + 0.5) * step / 9
    ys = -lim - step / 2 + (np.arange(m.shape[0]) + 0.5) * step / 9
    # up to 25×25 digits: sent a byte per pixel (digit_images.packed), an eighth of the float64 map
    heat = digit_images.packed_heatmap(digit_images.packed(m), x=xs.astype(np.float32), y=ys.astype(np.float32), hoverinfo=None,
                                       hovertemplate=f"{axis_names[0]}≈%{{x:.2f}}<br>{axis_names[1]}≈%{{y:.2f}}<extra></extra>")
    # the whole layout in the constructor: plotly validates it once (three update calls validated it three times)
    return go.Figure(heat, layout=dict(height=640, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=FONT_SIZE), plot_bgcolor="#cbd5e1",
                                       xaxis=dict(title=dict(text=axis_names[0]), constrain="domain"),
                                       yaxis=dict(title=dict(text=axis_names[1]), scaleanchor="x", scaleratio=1)))


def loss_curves(steps: np.ndarray, recon: np.ndarray, kl: np.ndarray, names: tuple[str, str], x_title: str,
                y_title: str, beta: float | None = None, beta_name: str = "", height: int = 370) -> go.Figure:
    """Reconstruction and KL as two separate curves (nats per image), KL on its own axis. (370 px: the plot must stay
    taller than its long rotated axis titles, e.g. "reconstrução −log p(x|z) (nats por imagem)", with the legend below.)"""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=recon, name=names[0], line=dict(color=PALETTE[0], width=2)))
    fig.add_trace(go.Scatter(x=steps, y=kl, name=names[1], line=dict(color=PALETTE[1], width=2), yaxis="y2"))
    if beta is not None and beta_name:
        fig.add_trace(go.Scatter(x=steps, y=np.asarray(kl) * beta, name=beta_name, line=dict(color=PALETTE[1], width=1.5, dash="dot"), yaxis="y2"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=FONT_SIZE), plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0),
                      xaxis=dict(title_text=x_title, gridcolor="#e5e7eb"),
                      yaxis=dict(title=dict(text=f"{names[0]} ({y_title})", font=dict(color=PALETTE[0])), gridcolor="#e5e7eb"),
                      yaxis2=dict(title=dict(text=f"{names[1]} ({y_title})", font=dict(color=PALETTE[1])), overlaying="y", side="right",
                                  rangemode="tozero", showgrid=False))
    return fig


def walk_animation(frames: np.ndarray, t_label: str, play: str, pause: str, step_labels: list[str] | None = None) -> go.Figure:
    """The decoded path as a Plotly animation (play / pause / scrub in the browser); ``step_labels`` are the
    slider's t values as the reader writes them (default 0.00 … 1.00)."""
    imgs = np.asarray(frames).reshape(-1, 8, 8)
    n = len(imgs)

    def heat(k):
        return digit_images.heatmap(imgs[k], hovertemplate="%{z:.1f}<extra></extra>")

    fig = go.Figure(data=[heat(0)], frames=[go.Frame(data=[heat(k)], name=str(k)) for k in range(n)])
    step_labels = step_labels or [f"{t:.2f}" for t in np.linspace(0, 1, n)]
    fig.update_layout(
        height=380, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=FONT_SIZE),
        # ■ like the other pages' animations: ⏸ (U+23F8) is missing from common fonts and drew a box in Chromium
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=-0.05, xanchor="left", yanchor="top", buttons=[
            dict(label="▶ " + play, method="animate", args=[None, dict(frame=dict(duration=180, redraw=True), fromcurrent=True, transition=dict(duration=0))]),
            dict(label="■ " + pause, method="animate", args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")]),
        ])],
        sliders=[dict(active=0, x=0.3, len=0.7, y=-0.02, currentvalue=dict(prefix=f"{t_label} = "),
                      steps=[dict(method="animate", label=step_labels[k], args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
                             for k in range(n)])],
    )
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x", scaleratio=1)
    fig.update_xaxes(visible=False, constrain="domain")
    return fig


def subscript(n: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(c)] for c in str(n))


def kl_per_dim_figure(kl_j: np.ndarray, threshold: float, x_title: str, y_title: str, unit: str, names: tuple[str, str],
                      threshold_label: str) -> go.Figure:
    """E_x KL_j for each latent dimension z_j on a log axis: blue bars above the threshold (active), grey below,
    the threshold as a dashed line."""
    kl_j = np.asarray(kl_j, float)
    labels = [f"z{subscript(j + 1)}" for j in range(len(kl_j))]
    shown = np.maximum(kl_j, 1e-5)  # a log axis cannot show 0; the hover gives the value itself
    fig = go.Figure()
    for is_active, name, colour in ((True, names[0], PALETTE[0]), (False, names[1], "#999999")):
        sel = (kl_j > threshold) == is_active
        fig.add_trace(go.Bar(x=[labels[j] for j in np.flatnonzero(sel)], y=shown[sel], customdata=kl_j[sel], name=name,
                             marker_color=colour, hovertemplate=f"%{{x}}: %{{customdata:.4f}} {unit}<extra>{name}</extra>"))
    line = dict(color="#B91C1C", dash="dash", width=1.5)
    fig.add_hline(y=threshold, line=line)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, name=threshold_label))  # the line's legend entry
    lo = min(threshold / 3, float(shown.min()) / 2)
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=FONT_SIZE), plot_bgcolor="white", bargap=0.25,
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
                      xaxis=dict(title_text=x_title, categoryorder="array", categoryarray=labels),
                      yaxis=dict(title_text=y_title, type="log", range=[np.log10(lo), np.log10(float(shown.max()) * 3)], dtick=1,
                                 gridcolor="#e5e7eb"))
    return fig


def architecture_dot(shapes: list[tuple[str, tuple[int, ...]]], labels: dict[str, str], arch_title: str) -> str:
    """A Graphviz diagram: encoder → (μ, log σ²) → z = μ + σ·ε → decoder, with live tensor shapes."""
    def fmt(s):
        return "×".join(str(v) for v in s[1:])

    enc = [(n, s) for n, s in shapes if n.startswith("enc.")]
    dec = [(n, s) for n, s in shapes if n.startswith("dec.")]
    S = dict(shapes)
    lines = ["digraph G {", 'rankdir=LR; bgcolor="transparent"; node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
             f'label="{arch_title}"; labelloc=t; fontname="Helvetica"; fontsize=13;']
    lines.append(f'x [label="{labels["x"]}\\n{fmt(S["x"])}", fillcolor="#e2e8f0"];')
    prev = "x"
    for i, (n, s) in enumerate(enc):
        lines.append(f'e{i} [label="{labels[n]}\\n{fmt(s)}", fillcolor="#dbeafe"]; {prev} -> e{i};')
        prev = f"e{i}"
    d = fmt(S["z"])
    lines.append(f'mu [label="μ\\n{d}", fillcolor="#bfdbfe"]; lv [label="log σ²\\n{d}", fillcolor="#bfdbfe"];')
    lines.append(f'{prev} -> mu; {prev} -> lv;')
    lines.append(f'eps [label="ε ~ N(0, I)\\n{d}", shape=ellipse, fillcolor="#fef3c7"];')
    lines.append(f'z [label="z = μ + σ·ε\\n{d}", fillcolor="#fde68a"]; mu -> z; lv -> z; eps -> z [style=dashed];')
    prev = "z"
    for i, (n, s) in enumerate(dec):
        lines.append(f'd{i} [label="{labels[n]}\\n{fmt(s)}", fillcolor="#dcfce7"]; {prev} -> d{i};')
        prev = f"d{i}"
    lines.append(f'out [label="{labels["logits"]}\\n{fmt(S["logits"])}", fillcolor="#bbf7d0"]; {prev} -> out;')
    lines.append("}")
    return "\n".join(lines)


def code_usage(codes: np.ndarray, K: int, x_title: str, y_title: str, slot_name: str) -> go.Figure:
    """How often each codebook entry is chosen, stacked by slot (one colour per slot)."""
    fig = go.Figure()
    for s in range(codes.shape[1]):
        counts = np.bincount(codes[:, s], minlength=K)
        fig.add_trace(go.Bar(x=np.arange(K), y=counts, name=slot_name.format(j=s + 1), marker_color=PALETTE[s % len(PALETTE)],
                             hovertemplate=f"{slot_name.format(j=s + 1)}<br>{x_title} %{{x}}: %{{y}}<extra></extra>"))
    dead = np.flatnonzero(np.bincount(codes.ravel(), minlength=K) == 0)
    if len(dead):
        fig.add_trace(go.Scatter(x=dead, y=np.zeros(len(dead)), mode="markers", marker=dict(symbol="x", color="#B91C1C", size=10),
                                 name="0", hoverinfo="skip"))
    fig.update_layout(barmode="stack", legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, traceorder="normal"), height=300, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=FONT_SIZE), plot_bgcolor="white",
                      xaxis=dict(title_text=x_title, dtick=1 if len(counts) <= 32 else None),
                      yaxis=dict(title_text=y_title, gridcolor="#e5e7eb"))
    return fig
