"""Digit images, drawn one way on every page: dark ink on white paper.

The 8×8 digits hold an amount of ink per pixel, 0 (paper) to 16 (full stroke). The VAE, GAN and
diffusion pages all draw them through this module, as a plotly heat map (``heatmap``) or as a
picture for ``st.image`` (``picture``), so one value always has one grey and the pages cannot
drift apart again (they once showed white on black on one page, black on white on the others).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

INK_MAX = 16.0  # the digits' scale: 0 = paper, 16 = ink
PAPER = "#ffffff"
INK = "#111111"
SCALE = [[0.0, PAPER], [1.0, INK]]  # plotly colour scale from zmin = 0 (paper) to zmax (ink)
GAP = "#cbd5e1"  # light grey between tiles, so white tiles stand apart


def _grey(hex_colour: str) -> int:
    return int(hex_colour.lstrip("#")[:2], 16)


def heatmap(z: np.ndarray, zmax: float = INK_MAX, **kwargs) -> go.Heatmap:
    """One heat-map trace of ink amounts in 0…``zmax``: ``PAPER`` at 0, ``INK`` at ``zmax`` (NaN = a gap)."""
    style = dict(colorscale=SCALE, zmin=0.0, zmax=float(zmax), showscale=False, hoverongaps=False)
    return go.Heatmap(z=z, **(style | kwargs))


PACKED_LEVELS = 64  # ``packed``: ink from 0 (paper) to this value, one byte per pixel; the gaps one above


def packed(z: np.ndarray, zmax: float = INK_MAX, levels: int = PACKED_LEVELS) -> np.ndarray:
    """Ink amounts in 0…``zmax`` (NaN = a gap) → uint8 on 0…``levels`` ink, ``levels + 1`` for the gaps: a byte per
    pixel instead of eight, for the heat maps sent often or in many frames. 64 grey levels look continuous on these
    8×8 digits; ``levels=16`` keeps the data's own integer ink exactly. Small values also keep the base64 short
    (plotly escapes every "/" it holds as six characters)."""
    z = np.asarray(z, float)
    out = np.full(z.shape, levels + 1, np.uint8)
    ok = np.isfinite(z)
    out[ok] = np.rint(np.clip(z[ok] / zmax, 0.0, 1.0) * levels).astype(np.uint8)
    return out


def packed_heatmap(z: np.ndarray, levels: int = PACKED_LEVELS, **kwargs) -> go.Heatmap:
    """A heat map of ``packed`` values, drawn as ``heatmap`` draws the ink (white paper, dark ink), the gaps in ``GAP``."""
    edge = levels / (levels + 1)
    scale = [[0.0, PAPER], [edge, INK], [edge + 1e-3, GAP], [1.0, GAP]]
    style = dict(colorscale=scale, zmin=0, zmax=levels + 1, showscale=False, hoverinfo="skip")
    return go.Heatmap(z=z, **(style | kwargs))


def shade(values: np.ndarray, zmax: float = INK_MAX) -> np.ndarray:
    """Ink amounts → uint8 grey levels on the same ramp as ``heatmap`` (255 paper … 17 ink)."""
    f = np.clip(np.asarray(values, float) / zmax, 0.0, 1.0)
    paper, ink = _grey(PAPER), _grey(INK)
    return np.rint(paper + (ink - paper) * f).astype(np.uint8)


def picture(images: np.ndarray, n_cols: int, zoom: int = 6, gap: int = 2) -> np.ndarray:
    """Images (n, 64) on 0…16 → one uint8 picture for ``st.image``, ``zoom`` screen pixels per pixel, paper between."""
    images = np.asarray(images, float).reshape(-1, 8, 8)
    n_rows = -(-len(images) // n_cols)
    cell = 8 * zoom + gap
    out = np.full((n_rows * cell + gap, n_cols * cell + gap), _grey(PAPER), np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, n_cols)
        out[gap + r * cell: gap + r * cell + 8 * zoom, gap + c * cell: gap + c * cell + 8 * zoom] = np.kron(shade(img), np.ones((zoom, zoom), np.uint8))
    return out
