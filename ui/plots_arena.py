"""The arena's drawing: one panel per contestant on the same axes and in fixed colours (its samples
over the real points, its log-density map where the family has an exact one, on one colour scale
shared by every panel, and its training curve), the verdict table, its commentary and the two CSV
exports. The page decides what to draw; the numbers come from ``engine.races``.

A finished race's figures are built once (:func:`figures`, for one language and presenter mode) and
drawn from there on every rerun: building ten plotly figures was most of a warm rerun."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.races import race as R
from ui import charts, export, text
from ui.shell import PageContext

REAL_COLOUR = "#9CA3AF"  # every panel's real points: the same grey under every contestant's colour
MAP_SCALE = [[0.0, "#ffffff"], [1.0, charts.colour(0)]]  # log p: white (low) to the blue no contestant wears (high)
MAP_SPAN = 12.0  # nats shown by the colour scale, below the highest log p of any panel (lower is white)
COLUMNS = 3  # panels per row: at 1024 px four would be narrower than the 150 px a plotly chart keeps (it gets cut)
FIG_HEIGHT, CURVE_HEIGHT = 230, 150
TABLE_COLUMNS = ("mmd2", "precision", "recall", "coverage", "log_likelihood", "modes", "seconds", "n_params")
FORMATS = {"mmd2": ".4f", "precision": ".2f", "recall": ".2f", "coverage": ".2f", "log_likelihood": ".2f",
           "seconds": ".1f", "n_params": ","}


def colour(name: str) -> str:
    """A contestant's colour, the same on every panel, lesson and language (blue is left for nobody: real is grey)."""
    return charts.colour(R.CONTESTANTS.index(name) + 1 if name in R.CONTESTANTS else 0)


@dataclass(frozen=True)
class Cell:
    """What one contestant's panel shows."""

    name: str
    samples: np.ndarray | None
    curve_steps: list
    curve: list
    curve_key: str | None
    fraction: float | None = None  # live: share of the budget used (None: a finished, shipped or judged race)
    status: str = "ok"  # ok, diverged, failed
    steps: int = 0
    seconds: float = 0.0
    note: str | None = None  # a failed contestant's reason, in the reader's language
    density: str | None = None  # its family's density: "exact", "bound" or None
    map: dict | None = None  # log p on a grid ({"box", "z"}: engine.races.race.density_map), once the race is over
    knob: object = None  # the value of its one exposed setting (None: the baseline has none)


def map_range(cells: list[Cell]) -> tuple[float, float] | None:
    """One colour range for every map of a race: ``MAP_SPAN`` nats below the highest log p of any panel."""
    tops = [float(np.max(c.map["z"])) for c in cells if c.map is not None]
    return (max(tops) - MAP_SPAN, max(tops)) if tops else None


def samples_figure(ctx: PageContext, box, real: np.ndarray, samples: np.ndarray | None, name: str,
                   density_map: dict | None = None, zrange: tuple[float, float] | None = None) -> go.Figure:
    fig = charts.plane_figure(box, height=FIG_HEIGHT)
    fig.update_layout(margin=dict(l=4, r=4, t=4, b=4), showlegend=False, uirevision=None,
                      separators=",." if ctx.lang == "pt" else ".,")
    fig.update_xaxes(title_text=None)
    fig.update_yaxes(title_text=None)
    if density_map is not None and zrange is not None:
        b, z = density_map["box"], charts.f4(density_map["z"])  # float32 on the wire: half the bytes, far below a pixel
        label = ctx.t("map_axis")  # no colour bar: it would shrink this panel's plane; the grid's caption gives the scale
        fig.add_trace(go.Heatmap(x=charts.f4(np.linspace(b[0], b[1], z.shape[1])), y=charts.f4(np.linspace(b[2], b[3], z.shape[0])), z=z,
                                 zmin=zrange[0], zmax=zrange[1], colorscale=MAP_SCALE, zsmooth="best", opacity=0.8,
                                 showscale=False,
                                 hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<br>" + label + "=%{z:.2f}<extra></extra>"))
    # SVG, not WebGL: a browser keeps about 16 WebGL contexts, and a race's panels and live previews lost the oldest
    real = charts.f4(real)
    fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name=ctx.t("real"),
                               marker=dict(color=REAL_COLOUR, size=4, opacity=0.6), hoverinfo="skip"))
    if samples is not None and len(samples):
        samples = charts.f4(samples)
        fig.add_trace(go.Scatter(x=samples[:, 0], y=samples[:, 1], mode="markers", name=ctx.t(f"names.{name}"),
                                   marker=dict(color=colour(name), size=5, opacity=0.85),
                                   hovertemplate="x₁=%{x:.2f}<br>x₂=%{y:.2f}<extra>%{fullData.name}</extra>"))
    return fig


def curve_figure(ctx: PageContext, cell: Cell) -> go.Figure:
    # arrays, not lists: plotly copies and encodes an array at once, a list element by element (on every draw)
    fig = go.Figure(go.Scatter(x=np.asarray(cell.curve_steps, float), y=np.asarray(cell.curve, float), mode="lines",
                               line=dict(color=colour(cell.name), width=2),
                               hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(height=CURVE_HEIGHT, margin=dict(l=4, r=4, t=4, b=4), plot_bgcolor="white", showlegend=False,
                      font=dict(size=12), separators=",." if ctx.lang == "pt" else ".,")
    fig.update_xaxes(title_text=ctx.t("step_axis"), gridcolor="#e5e7eb")
    fig.update_yaxes(title_text=ctx.t(f"curve.{cell.curve_key}"), gridcolor="#e5e7eb")
    return fig


def figures(ctx: PageContext, cells: list[Cell], box, real: np.ndarray, presenting: bool = False) -> dict[str, go.Figure]:
    """Every figure of a finished race's panels (``samples_<name>``, ``curve_<name>``), in ``ctx``'s language and,
    with ``presenting``, styled for the projector: built once, drawn as they are on every rerun."""
    from ui import presenter

    zrange = map_range(cells)
    out = {}
    for cell in cells:
        if cell.status == "failed":
            continue
        if cell.samples is not None:
            out[f"samples_{cell.name}"] = samples_figure(ctx, box, real, cell.samples, cell.name, cell.map, zrange)
        if cell.curve_key and len(cell.curve) >= 2:
            out[f"curve_{cell.name}"] = curve_figure(ctx, cell)
    return {k: presenter.style(f) for k, f in out.items()} if presenting else out


def knob_text(ctx: PageContext, name: str, value: object) -> str | None:
    """A contestant's setting as a short line (“K = 8 components”), or None for the baseline."""
    if value is None:
        return None
    return ctx.t(f"knob_value.{name}", value=ctx.num(value, "g"))


def density_note(ctx: PageContext, cell: Cell) -> str:
    """What a finished panel's colour means, or why it has none (the grid's caption says more)."""
    if cell.map is not None:
        return ctx.t("map_note.energy" if cell.name == "energy" else "map_note.exact")
    return ctx.t(f"map_note.{cell.density or 'none'}")


def map_caption(ctx: PageContext, cells: list[Cell]) -> str | None:
    """Under a finished grid with maps: the colour scale's meaning and range, the energy's constant."""
    zrange = map_range(cells)
    if zrange is None:
        return None
    text_ = ctx.t("map_caption", lo=ctx.num(zrange[0], ".1f"), hi=ctx.num(zrange[1], ".1f"))
    if any(c.name == "energy" and c.map is not None for c in cells):
        text_ += " " + ctx.t("map_caption_energy")
    return text_


def grid(ctx: PageContext, cells: list[Cell], box, real: np.ndarray, key: str,
         figs: dict[str, go.Figure] | None = None) -> None:
    """One panel per contestant, ``COLUMNS`` to a row: name, progress or status, samples over the real data (and the
    density map), curve. ``figs``: the finished race's figures from :func:`figures` (built here when not given)."""
    if figs is None and all(c.fraction is None for c in cells):
        from ui.shell import presenting

        figs = figures(ctx, cells, box, real, presenting())
    for start in range(0, len(cells), COLUMNS):
        cols = st.columns(COLUMNS)
        for col, cell in zip(cols, cells[start:start + COLUMNS]):
            with col:
                st.markdown(f'<span style="color:{colour(cell.name)}">●</span> **{ctx.t(f"names.{cell.name}")}**',
                            unsafe_allow_html=True)
                progress = ctx.t("cell_progress", steps=ctx.num(cell.steps, ","), s=ctx.num(cell.seconds, ".1f"))
                if cell.status == "failed":
                    st.warning(cell.note or ctx.t("status.failed"), icon=":material/block:")
                    continue
                if cell.status == "diverged":
                    st.error(ctx.t("cell_diverged", step=cell.steps), icon=":material/error:")
                elif cell.fraction is not None:
                    st.progress(min(1.0, cell.fraction), text=progress)
                else:
                    setting = knob_text(ctx, cell.name, cell.knob)
                    st.caption(progress if setting is None else f"{setting} · {progress}")
                if cell.samples is None:
                    st.caption(ctx.t("no_samples_yet"))
                elif figs is not None and f"samples_{cell.name}" in figs:
                    ctx.chart(figs[f"samples_{cell.name}"], key=f"{key}_samples_{cell.name}", presented=True)
                else:  # live: a fresh preview every redraw
                    ctx.chart(samples_figure(ctx, box, real, cell.samples, cell.name), key=f"{key}_samples_{cell.name}")
                if cell.fraction is None:  # once the race is over: what the colour means, and the curve
                    st.caption(density_note(ctx, cell))
                    if figs is not None and f"curve_{cell.name}" in figs:
                        ctx.chart(figs[f"curve_{cell.name}"], key=f"{key}_curve_{cell.name}", presented=True)
    caption = map_caption(ctx, cells) if all(c.fraction is None for c in cells) else None
    if caption:
        st.caption(caption)


def cells_from_rows(ctx: PageContext, rows: list[dict]) -> list[Cell]:
    return [Cell(r["name"], r["samples"], r["curve_steps"], r["curve"], r["curve_key"], None, r["status"], r["steps"],
                 r["seconds"] or 0.0, error_text(ctx, r), r.get("density"), r.get("map"), r.get("knob")) for r in rows]


def error_text(ctx: PageContext, row: dict) -> str | None:
    err = row.get("error")
    if err is None:
        return None
    params = dict(err.params)
    if "family" in params:
        params["family"] = ctx.t(f"names.{params['family']}")
    own = f"{ctx.page}.errors.{err.code}"
    return text.lookup(ctx.lang, own if own in text.catalogue(ctx.lang) else f"errors.{err.code}", **params)


def _cell(ctx: PageContext, row: dict, metric: str) -> str:
    value = row.get(metric)
    if row["status"] == "failed":
        return "—"
    if metric == "log_likelihood":
        if value is None:
            return ctx.t("no_density")
        return ("" if row["density"] == "exact" else ctx.t("bound_mark") + " ") + ctx.num(value, ".2f")
    if metric == "modes":
        return "—" if value is None else f"{value} / {row['n_modes']}"
    return "—" if value is None else ctx.num(value, FORMATS[metric])


def table(ctx: PageContext, rows: list[dict], metric: str) -> pd.DataFrame:
    """The verdict, ranked by ``metric`` (the rows without it last, in start order), every number as the reader writes it."""
    ranked = R.rank(rows, metric)
    order = ranked + [r for r in rows if r not in ranked]
    data = {ctx.t("col.rank"): [str(ranked.index(r) + 1) if r in ranked else "—" for r in order],
            ctx.t("col.name"): [ctx.t(f"names.{r['name']}") for r in order]}
    if any(r["status"] != "ok" for r in rows):  # a status column only when someone diverged or sat out: room at 1280 px
        data[ctx.t("col.status")] = [ctx.t(f"status.{r['status']}") for r in order]
    for m in TABLE_COLUMNS:
        if m == "modes" and all(r["modes"] is None for r in rows):
            continue
        data[ctx.t(f"head.{m}")] = [_cell(ctx, r, m) for r in order]  # short headers: eleven columns fit at 1280 px
    return pd.DataFrame(data)


def commentary(ctx: PageContext, rows: list[dict], metric: str) -> list[str]:
    """The engine's notes from the numbers, as sentences in the reader's language."""
    def name(n: str) -> str:
        return ctx.t(f"names.{n}")

    lines = []
    for code, p in R.commentary(rows, metric):
        if code == "winner":
            lines.append(ctx.t("note.winner", who=name(p["name"]), metric=ctx.t(f"metric.{p['metric']}"),
                               value=_cell(ctx, next(r for r in rows if r["name"] == p["name"]), p["metric"])))
        elif code == "failed":
            lines.append(error_text(ctx, next(r for r in rows if r["name"] == p["name"])) or ctx.t("status.failed"))
        elif code == "diverged":
            lines.append(ctx.t("note.diverged", who=name(p["name"]), step=p["step"]))
        elif code == "modes":
            lines.append(ctx.t("note.modes", who=name(p["name"]), covered=p["covered"], total=p["total"]))
        elif code == "all_modes":
            lines.append(ctx.t("note.all_modes", total=p["total"]))
        elif code == "densities":
            lines.append(ctx.t("note.densities", names=ctx.t("and").join([", ".join(map(name, p["names"][:-1])), name(p["names"][-1])])
                               if len(p["names"]) > 1 else name(p["names"][0])))
        elif code == "no_density":
            lines.append(ctx.t("note.no_density"))
        elif code == "tradeoff":
            lines.append(ctx.t("note.tradeoff", precise=name(p["precise"]), covering=name(p["covering"])))
    return lines


def table_csv(rows: list[dict]) -> str:
    """The verdict as CSV: plain numbers, the engine's column names (a spreadsheet reads it in any language)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    cols = ("name", "status", "steps", "seconds", "n_params", "density", "mmd2", "precision", "recall", "coverage",
            "log_likelihood", "modes", "n_modes")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r[c] for c in cols])
    return out.getvalue()


def samples_csv(rows: list[dict]) -> str:
    """Every contestant's samples in one CSV: name, x1, x2 (``ui.export``'s points CSV, as every page writes it)."""
    return export.points_csv(((r["name"], r["samples"]) for r in rows), column="name", digits=5)


def verdict(ctx: PageContext, rows: list[dict], metric: str, key: str, csvs: tuple[str, str] | None = None) -> None:
    """The ranked table, the commentary and the two downloads (``csvs``: the table's and the samples' CSV, if
    already written: the samples' is a few thousand lines)."""
    helps = {ctx.t(f"head.{m}"): st.column_config.Column(help=ctx.t(f"metric.{m}")) for m in TABLE_COLUMNS}  # short headers
    st.dataframe(table(ctx, rows, metric), hide_index=True, width="stretch", column_config=helps)
    st.caption(ctx.t("table_caption"))
    lines = commentary(ctx, rows, metric)
    if lines:
        st.markdown("\n".join(f"- {line}" for line in lines))
    table_text, samples_text = csvs or (table_csv(rows), samples_csv(rows))
    c1, c2 = st.columns(2)
    c1.download_button(ctx.t("download_table"), table_text, file_name="arena_table.csv", mime="text/csv",
                       icon=":material/download:", key=f"{key}_dl_table")
    c2.download_button(ctx.t("download_samples"), samples_text, file_name="arena_samples.csv", mime="text/csv",
                       icon=":material/download:", key=f"{key}_dl_samples")
