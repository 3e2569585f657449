"""Figures of the evaluation page: k-NN balls in the plane, the MMD witness, sliced distances,
distance histograms, the FID-vs-N curves, and small helpers for digit tiles.

Colours (the shared palette): held-out real points blue, generated points vermillion, training
points grey. A ball's colour is its centre's: real balls light blue, generated balls light
vermillion. A filled marker counts for the metric on show; an open one does not.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go

from ui import charts

REAL = charts.PALETTE[0]
FAKE = charts.PALETTE[1]
TRAIN = "#9CA3AF"
COPY = "#111827"
REAL_BALL = (0, 114, 178, 60)  # REAL with alpha
FAKE_BALL = (213, 94, 0, 60)  # FAKE with alpha
BOTH_BALL = (120, 80, 110, 90)
HOVER = "x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>"


def _png(rgba: np.ndarray) -> str:
    from PIL import Image  # Streamlit depends on Pillow

    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _balls_image(real_mask: np.ndarray | None, fake_mask: np.ndarray | None) -> np.ndarray:
    """RGBA picture of the balls' unions (row 0 at the bottom, as ``plane.ball_union`` gives them)."""
    shape = (real_mask if real_mask is not None else fake_mask).shape
    img = np.zeros(shape + (4,), np.uint8)
    if real_mask is not None:
        img[real_mask] = REAL_BALL
    if fake_mask is not None:
        img[fake_mask] = FAKE_BALL
        if real_mask is not None:
            img[real_mask & fake_mask] = BOTH_BALL
    return img


def _markers(fig: go.Figure, X: np.ndarray, colour: str, name: str, filled: bool = True, size: int = 6,
             symbol: str = "circle", opacity: float = 0.85) -> None:
    if len(X) == 0:
        return
    X = np.round(np.asarray(X, float), 3)  # three decimals: a third of the payload, invisible on screen
    fig.add_trace(charts.scatter_class(len(X))(
        x=X[:, 0], y=X[:, 1], mode="markers", name=name,
        marker=dict(color=colour if filled else "rgba(0,0,0,0)", size=size, symbol=symbol, opacity=opacity,
                    line=dict(color=colour, width=1.3 if not filled else 0)),
        hovertemplate=HOVER,
    ))


def balls_figure(box, real: np.ndarray, fake: np.ndarray, real_balls: np.ndarray | None, fake_balls: np.ndarray | None,
                 real_counts: np.ndarray | None, fake_counts: np.ndarray | None, labels: dict[str, str],
                 fake_colours: np.ndarray | None = None, k: int = 1, height: int = 560) -> go.Figure:
    """The plane with the union of the k-NN balls drawn as one small picture (``real_balls`` and
    ``fake_balls`` are ``plane.ball_union`` masks, None to leave them out), and each set's points split
    into "counts" (filled) and "does not count" (open) for the metric on show (None: all filled).
    ``fake_colours``: colour the generated points by a count instead (density: real balls around them)."""
    fig = charts.plane_figure(box, height=height)
    img = _balls_image(real_balls, fake_balls)
    res = img.shape[0]
    fig.add_trace(go.Image(source=_png(img), x0=box[0], dx=(box[1] - box[0]) / (res - 1), y0=box[2],
                           dy=(box[3] - box[2]) / (res - 1), hoverinfo="skip", name=labels["balls"]))
    fig.update_yaxes(autorange=None, range=[box[2], box[3]])
    for mask, rgba, key in ((real_balls, REAL_BALL, "real_balls"), (fake_balls, FAKE_BALL, "fake_balls")):
        if mask is not None:  # a legend swatch: an image trace has no legend entry of its own
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=labels[key],
                                     marker=dict(symbol="circle", size=14, color=f"rgba{rgba[:3] + (0.45,)}")))
    for X, counts, colour, key in ((real, real_counts, REAL, "real"), (fake, fake_counts, FAKE, "fake")):
        if key == "fake" and fake_colours is not None:
            P = np.round(np.asarray(fake, float), 3)
            fig.add_trace(charts.scatter_class(len(P))(
                x=P[:, 0], y=P[:, 1], mode="markers", name=labels["fake"],
                marker=dict(color=np.minimum(fake_colours, 3 * k), colorscale=[[0, "#ffffff"], [1 / 3, FAKE], [1, "#4a1d00"]],
                            cmin=0, cmax=3 * k, size=7, line=dict(color=FAKE, width=0.8),
                            colorbar=dict(title=dict(text=labels["count"], side="right"), thickness=12, len=0.7)),
                customdata=fake_colours, hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>" + labels["count"] + "=%{customdata}<extra></extra>",
            ))
        elif counts is None:
            _markers(fig, X, colour, labels[key])
        else:
            _markers(fig, X[counts], colour, labels[f"{key}_in"])
            _markers(fig, X[~counts], colour, labels[f"{key}_out"], filled=False, size=7)
    return fig


def witness_figure(box, xs, ys, witness: np.ndarray, real: np.ndarray, fake: np.ndarray, labels: dict[str, str],
                   height: int = 480) -> go.Figure:
    """The MMD witness f(x) = mean_j k(x, y_j) − mean_i k(x, x_i): vermillion where the generator puts
    too much mass, blue where too little; white where the two agree."""
    fig = charts.plane_figure(box, height=height)
    z = witness.reshape(len(ys), len(xs))
    top = float(np.abs(z).max()) or 1.0
    fig.add_trace(go.Heatmap(x=np.round(xs, 3), y=np.round(ys, 3), z=np.round(z, 4), zmin=-top, zmax=top,
                             colorscale=[[0, REAL], [0.5, "#ffffff"], [1, FAKE]], opacity=0.75,
                             colorbar=dict(title=dict(text=labels["witness"], side="right"), thickness=12, len=0.75),
                             hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>f=%{z:.3f}<extra></extra>"))
    _markers(fig, real, REAL, labels["real"], size=3, opacity=0.5)
    _markers(fig, fake, FAKE, labels["fake"], size=3, opacity=0.5)
    return fig


def sliced_figure(angles_deg: np.ndarray, w1: np.ndarray, labels: dict[str, str], height: int = 480) -> go.Figure:
    """W₁ between the two sets projected on the direction at each angle; its mean is the sliced distance."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=angles_deg, y=w1, mode="lines", line=dict(color=FAKE, width=2.5), name=labels["w1"],
                             hovertemplate="θ=%{x:.0f}°<br>W₁=%{y:.3f}<extra></extra>"))
    fig.add_hline(y=float(np.mean(w1)), line=dict(color="#111827", dash="dash"), annotation_text=labels["mean"],
                  annotation_position="top left")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white", font=dict(size=charts.FONT_SIZE - 1),
                      xaxis=dict(title=labels["angle"], range=[0, 180], dtick=45, gridcolor="#e5e7eb"),
                      yaxis=dict(title=labels["w1"], rangemode="tozero", gridcolor="#e5e7eb"), showlegend=False)
    return fig


def density_map_figure(box, xs, ys, log_density: np.ndarray, real: np.ndarray, labels: dict[str, str],
                       height: int = 480) -> go.Figure:
    fig = charts.plane_figure(box, height=height)
    z = log_density.reshape(len(ys), len(xs))
    lo = float(np.nanmax(z)) - 12.0  # show twelve nats below the peak; lower is all dark
    charts.add_heatmap(fig, np.round(xs, 3), np.round(ys, 3), np.round(np.maximum(z, lo), 3), labels["log_p"],
                       colorscale=[[0, "#ffffff"], [1, "#1F2937"]], opacity=0.7)
    _markers(fig, real, REAL, labels["real"], size=4, opacity=0.8)
    return fig


def distances_figure(gen: np.ndarray, held: np.ndarray, threshold: float, labels: dict[str, str], height: int = 420) -> go.Figure:
    """Histograms of the distance to the nearest training point: generated vs held-out real points,
    and the copy detector's threshold."""
    top = float(np.quantile(np.r_[gen, held], 0.99)) if len(gen) + len(held) else 1.0
    bins = dict(start=0.0, end=max(top, 1e-6), size=max(top, 1e-6) / 40)
    fig = go.Figure()
    for x, colour, key in ((held, REAL, "held"), (gen, FAKE, "gen")):
        fig.add_trace(go.Histogram(x=np.round(x, 4), xbins=bins, histnorm="probability", name=labels[key],
                                   marker=dict(color=colour), opacity=0.55,
                                   hovertemplate="%{x}<br>%{y:.1%}<extra>%{fullData.name}</extra>"))
    fig.add_vline(x=threshold, line=dict(color="#111827", dash="dash", width=2), annotation_text=labels["threshold"],
                  annotation_position="top right")
    fig.update_layout(barmode="overlay", height=height, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white",
                      font=dict(size=charts.FONT_SIZE - 1), legend=dict(orientation="h", y=-0.2, x=0),
                      xaxis=dict(title=labels["x"], gridcolor="#e5e7eb", range=[0, top]),
                      yaxis=dict(title=labels["y"], gridcolor="#e5e7eb", tickformat=".0%"))
    return fig


def fid_curves_figure(curves, names: dict[str, str], colours: dict[str, str], cross: float | None, dim: int,
                      labels: dict[str, str], height: int = 480) -> go.Figure:
    """FID against N (log axis), a band of ± one standard deviation over random subsets, each curve's
    extrapolated FID_∞ dashed, the singular region N ≤ dim shaded, and the N where the order flips."""
    fig = go.Figure()
    top = max(float(c.mean.max() + c.std.max()) for c in curves)
    lo, hi = min(float(c.ns.min()) for c in curves) * 0.9, max(float(c.ns.max()) for c in curves) * 1.1
    # the singular region and the flip are traces, not shapes: shapes on a log axis did not show
    fig.add_trace(go.Scatter(x=[lo, dim + 1, dim + 1, lo, lo], y=[0, 0, top * 1.05, top * 1.05, 0], fill="toself",
                             fillcolor="rgba(156,163,175,0.25)", line=dict(width=0), mode="lines", name=labels["singular"],
                             hoverinfo="skip"))
    for c in curves:
        col = colours[c.source]
        fig.add_trace(go.Scatter(x=np.r_[c.ns, c.ns[::-1]], y=np.r_[c.mean + c.std, (c.mean - c.std)[::-1]], fill="toself",
                                 fillcolor=col, opacity=0.15, line=dict(width=0), hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=c.ns, y=np.round(c.mean, 3), mode="lines+markers", name=names[c.source],
                                 line=dict(color=col, width=2.5), hovertemplate="N=%{x}<br>FID=%{y:.2f}<extra>%{fullData.name}</extra>"))
        fig.add_hline(y=c.fid_inf, line=dict(color=col, dash="dash", width=1.5))
    if cross is not None:
        fig.add_trace(go.Scatter(x=[cross, cross], y=[0, top * 1.05], mode="lines", name=labels["cross"],
                                 line=dict(color="#111827", dash="dot", width=2),
                                 hovertemplate="N ≈ %{x:.0f}<extra>%{fullData.name}</extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white", font=dict(size=charts.FONT_SIZE - 1),
                      legend=dict(orientation="h", y=-0.2, x=0),
                      xaxis=dict(title=labels["n"], type="log", range=[np.log10(lo), np.log10(hi)], gridcolor="#e5e7eb"),
                      yaxis=dict(title=labels["fid"], range=[0, top * 1.05], gridcolor="#e5e7eb"))
    return fig


def framed_tile(image: np.ndarray, zoom: int = 8, border: tuple[int, int, int] | None = None, width: int = 4) -> np.ndarray:
    """One 8×8 digit as an RGB picture, dark ink on white, optionally inside a coloured frame."""
    img = np.kron(255 - np.clip(np.asarray(image, float).reshape(8, 8), 0, 16) * (255 / 16), np.ones((zoom, zoom))).astype(np.uint8)
    rgb = np.repeat(img[:, :, None], 3, axis=2)
    if border is None:
        return rgb
    out = np.empty((rgb.shape[0] + 2 * width, rgb.shape[1] + 2 * width, 3), np.uint8)
    out[:] = border
    out[width:-width, width:-width] = rgb
    return out


def hex_rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def tiles(images: np.ndarray, n_cols: int, zoom: int = 5) -> np.ndarray:
    """Digits (n, 64) on 0..16 as one picture (the GAN page's tiles: dark ink on white)."""
    from ui.plots_gan import digit_tiles

    return digit_tiles(images, n_cols, zoom=zoom, gap=3)


# ---------------------------------------------------------------- tables

def failure_table_markdown(table, t, num) -> str:
    """The "which failure each metric catches" table as Markdown: one row per failure, one column per
    metric, each cell the measured value; a caught failure (the metric moved the bad way by more than
    its noise) is bold with a ✓. Markdown, not a styled dataframe: a tenth of the cost per rerun."""
    specs = {"mmd2": ".4f", "copy_share": ".0%"}

    def cell(m, v, caught=False):
        value = num(v, specs.get(m, ".2f"))
        return f"**{value} ✓**" if caught else value

    head = "| | " + " | ".join(t(f"evaluation.score.{m}") for m in table.metrics) + " |"
    lines = [head, "|---" * (len(table.metrics) + 1) + "|",
             f"| {t('evaluation.failure.honest')} | " + " | ".join(cell(m, table.honest[m]) for m in table.metrics) + " |"]
    for f, row in table.rows.items():
        lines.append(f"| {t(f'evaluation.failure.{f}')} | " + " | ".join(cell(m, row[m], table.caught[f][m]) for m in table.metrics) + " |")
    return "\n".join(lines)


BOARD_SORT = ("fid", "kid", "inception_score", "precision", "recall", "coverage", "diversity")
_LOWER_IS_BETTER = {"fid", "kid"}


def board_value(row, name: str) -> float:
    return {"fid": row.fid.value, "kid": row.kid.value, "inception_score": row.inception_score, "precision": row.prdc.precision,
            "recall": row.prdc.recall, "density": row.prdc.density, "coverage": row.prdc.coverage, "diversity": row.diversity,
            "copies": row.copy.share}[name]


def board_frame(rows, by: str, t, num):
    """The leaderboard as a table, best first by ``by``; numbers written the reader's way."""
    import pandas as pd

    ordered = sorted(rows, key=lambda r: board_value(r, by), reverse=by not in _LOWER_IS_BETTER)
    out = []
    for r in ordered:
        out.append({
            t("evaluation.board.source"): t(f"evaluation.sources.{r.source}"),
            t("evaluation.board.fid"): num(r.fid.value, ".2f"),
            t("evaluation.board.kid"): f"{num(1000 * r.kid.value, '.1f')} ± {num(1000 * r.kid.std, '.1f')}",
            t("evaluation.board.inception_score"): num(r.inception_score, ".2f"),
            t("evaluation.board.precision"): num(r.prdc.precision, ".2f"),
            t("evaluation.board.recall"): num(r.prdc.recall, ".2f"),
            t("evaluation.board.density"): num(r.prdc.density, ".2f"),
            t("evaluation.board.coverage"): num(r.prdc.coverage, ".2f"),
            t("evaluation.board.diversity"): num(r.diversity, ".2f"),
            t("evaluation.board.copies"): num(r.copy.share, ".0%") + (f" · {t('evaluation.board.alarm')}" if r.copy.alarm else ""),
            t("evaluation.board.classes"): f"{r.classes}/10",
        })
    return pd.DataFrame(out)
