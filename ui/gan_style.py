"""The GAN page's StyleGAN section (issue 18): a mapping network z → w and style mixing, in miniature.

The shipped style GAN (``gan.style.pretrained``) draws a mixing grid: row i takes its coarse (4×4) layers' style
from code i, column j its fine (8×8) layers' style from code j; the sources sit on the top row and the left column.
Under it, what the evaluator measured of the mixing on 500 pairs (the shipped manifest's numbers), and a diagram
of where each code enters the generator. "New codes" draws other codes (a section: it reruns only this part).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.data import digits
from engine.families import gan
from ui import plots_gan
from ui.shell import PageContext, section

ROWS, COLS = 4, 6  # coarse codes (rows) and fine codes (columns) of the grid


@st.cache_resource(max_entries=1, show_spinner=False)
def shipped():
    """The shipped style GAN (mapping and synthesis, inference only) and what its mixing measured."""
    return gan.style.pretrained()


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def mixing_grid(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (ROWS + 1) × (COLS + 1) tiles as one picture (the empty corner, the fine sources on top, the coarse
    sources on the left) and the evaluator's digits of the mixed cells and of the sources."""
    model, _ = shipped()
    z_rows, z_cols = model.noise(ROWS, seed * 2 + 1), model.noise(COLS, seed * 2 + 2)
    cells = model.grid(z_rows, z_cols)  # (ROWS, COLS, 64)
    rows_own, cols_own = model.mix(z_rows, z_rows), model.mix(z_cols, z_cols)
    tiles = np.zeros((ROWS + 1, COLS + 1, 64), np.float32)
    tiles[0, 1:], tiles[1:, 0], tiles[1:, 1:] = cols_own, rows_own, cells
    read = digits.classify(cells.reshape(-1, 64)).reshape(ROWS, COLS)
    picture = plots_gan.digit_tiles(tiles.reshape(-1, 64), COLS + 1, zoom=6, gap=4)
    return picture, read, (digits.classify(rows_own), digits.classify(cols_own))


def diagram(ctx: PageContext) -> str:
    """Where each code enters the generator, as a Graphviz graph drawn in the browser."""
    t = {k: ctx.t(f"style.diagram.{k}").replace('"', "'") for k in ("z1", "z2", "mapping", "const", "coarse", "fine", "up", "rgb")}
    return f"""digraph G {{
  rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#f3f4f6", fontname="sans-serif", fontsize=11];
  z1 [label="{t['z1']}", fillcolor="#dbeafe"]; z2 [label="{t['z2']}", fillcolor="#fde68a"];
  m1 [label="{t['mapping']}"]; m2 [label="{t['mapping']}"];
  const [label="{t['const']}"]; c [label="{t['coarse']}", fillcolor="#dbeafe"]; up [label="{t['up']}"];
  f [label="{t['fine']}", fillcolor="#fde68a"]; rgb [label="{t['rgb']}"];
  z1 -> m1 -> c [label="w₁"]; z2 -> m2 -> f [label="w₂"];
  const -> c -> up -> f -> rgb;
}}"""


@section
def style_section(ctx: PageContext) -> None:
    st.subheader(ctx.t("style.title"))
    st.markdown(ctx.t("style.lead"))
    mx = shipped()[1]
    seed_key = ctx.state_key("style_seed")
    if st.button(ctx.t("style.new_codes"), icon=":material/casino:", key="gan_style_new"):
        st.session_state[seed_key] = st.session_state.get(seed_key, 0) + 1
    seed = ctx.seed * 1000 + st.session_state.get(seed_key, 0)
    picture, read, (row_digits, col_digits) = mixing_grid(seed)
    left, right = st.columns([1, 1.1], gap="large")
    with left:
        st.image(picture, width="content", caption=ctx.t("style.grid_caption"))
        same = int((read == row_digits[:, None]).sum())
        st.caption(ctx.t("style.grid_count", same=same, n=read.size, fine=int((read == col_digits[None, :]).sum())))
    with right:
        m = st.columns(3)
        m[0].metric(ctx.t("style.follows_coarse"), ctx.num(mx["follows_coarse"], ".0%"), help=ctx.t("style.follows_help"))
        m[1].metric(ctx.t("style.follows_fine"), ctx.num(mx["follows_fine"], ".0%"), help=ctx.t("style.follows_help"))
        m[2].metric(ctx.t("style.neither"), ctx.num(mx["neither"], ".0%"), help=ctx.t("style.follows_help"))
        st.caption(ctx.t("style.numbers", pairs=ctx.num(mx["pairs"], ","), coarse=ctx.num(mx["follows_coarse"], ".0%"),
                         fine=ctx.num(mx["follows_fine"], ".0%"), neither=ctx.num(mx["neither"], ".0%"),
                         chance=ctx.num(mx["chance"], ".0%"), classes=mx["source_classes"],
                         changed=ctx.num(mx["changed_by_fine"], ".2f"), between=ctx.num(mx["between_sources"], ".2f")))
    st.graphviz_chart(diagram(ctx), width="stretch")
    st.caption(ctx.t("style.diagram_caption"))
    ctx.md("style")
