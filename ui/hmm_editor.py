"""The HMM page's validated matrix editor: π, A and B as editable tables, checked row by row.

The edited matrices live in session state under the page's keys (cleared by "reset this page"); a
table's widget key carries a version, bumped by Normalise and Restore so the table redraws.
"""

import numpy as np
import pandas as pd
import streamlit as st

from engine.families import hmm
from ui.shell import PageContext


def _stored(ctx: PageContext, preset: hmm.Preset, name: str) -> np.ndarray:
    default = {"start": preset.params.startprob[None], "trans": preset.params.transmat, "emit": preset.params.emissionprob}[name]
    return np.array(st.session_state.get(ctx.state_key(f"m.{preset.key}.{name}"), default), float)


def _version(ctx: PageContext, preset_key: str) -> int:
    return int(st.session_state.get(ctx.state_key(f"v.{preset_key}"), 0))


def _bump(ctx: PageContext, preset_key: str) -> None:
    st.session_state[ctx.state_key(f"v.{preset_key}")] = _version(ctx, preset_key) + 1


def _apply_edits(ctx: PageContext, preset_key: str, name: str, editor_key: str, shape: tuple[int, int], columns: list[str]) -> None:
    """data_editor's on_change: copy the edited cells into our stored matrix."""
    M = np.array(st.session_state.get(ctx.state_key(f"m.{preset_key}.{name}"), np.full(shape, np.nan)), float)
    edits = st.session_state.get(editor_key, {}).get("edited_rows", {})
    for row, cells in edits.items():
        for col, value in cells.items():
            j = columns.index(col) if col in columns else None
            if j is not None and 0 <= int(row) < M.shape[0]:
                M[int(row), j] = np.nan if value is None else float(value)
    st.session_state[ctx.state_key(f"m.{preset_key}.{name}")] = M
    _bump(ctx, preset_key)


def _normalise(ctx: PageContext, preset_key: str, names: list[str], current: dict) -> None:
    for name in names:
        st.session_state[ctx.state_key(f"m.{preset_key}.{name}")] = hmm.normalise_rows(current[name])
    _bump(ctx, preset_key)


def _restore(ctx: PageContext, preset_key: str) -> None:
    for name in ("start", "trans", "emit"):
        st.session_state.pop(ctx.state_key(f"m.{preset_key}.{name}"), None)
    _bump(ctx, preset_key)


def matrix_editor(ctx: PageContext, preset: hmm.Preset, name: str, rows: list[str], cols: list[str], container) -> np.ndarray:
    M = _stored(ctx, preset, name)
    if ctx.state_key(f"m.{preset.key}.{name}") not in st.session_state:
        st.session_state[ctx.state_key(f"m.{preset.key}.{name}")] = M
    editor_key = ctx.state_key(f"ed.{preset.key}.{name}.{_version(ctx, preset.key)}")
    with container:
        st.markdown(f"**{ctx.t(f'matrix.{name}')}**")
        edited = st.data_editor(
            pd.DataFrame(M, index=rows, columns=cols), key=editor_key, width="stretch",
            column_config={c: st.column_config.NumberColumn(c, format="%.4f") for c in cols},
            on_change=_apply_edits, args=(ctx, preset.key, name, editor_key, M.shape, cols),
        )
        st.caption(ctx.t(f"matrix.{name}_help"))
    # In the browser on_change has already stored the edits; an edit that arrives without it
    # (e.g. from a test) shows up only in the returned table, so keep that too.
    now = edited.to_numpy(dtype=float, na_value=np.nan)
    if now.shape == M.shape and not np.array_equal(now, M, equal_nan=True):
        M = now
        st.session_state[ctx.state_key(f"m.{preset.key}.{name}")] = M
    return M


def hmm_editor(ctx: PageContext, preset: hmm.Preset, state_names: list[str], symbol_names: list[str]) -> hmm.HMMParams | None:
    """The validated editor: returns the parameters, or None (with messages) if a row is wrong."""
    with st.expander(ctx.t("editor_title"), expanded=True, icon=":material/edit:"):
        c1, c2 = st.columns(2)
        current = {
            "start": matrix_editor(ctx, preset, "start", [ctx.t("start_row")], state_names, c1),
            "trans": matrix_editor(ctx, preset, "trans", state_names, state_names, c2),
            "emit": matrix_editor(ctx, preset, "emit", state_names, symbol_names, st.container()),
        }
        row_names = {"start": [ctx.t("start_row")], "trans": state_names, "emit": state_names}
        bad = []
        for name, M in current.items():
            for p in hmm.row_problems(M):
                bad.append(name)
                st.error(ctx.t(f"row_problem.{p.kind}", matrix=ctx.t(f"matrix.{name}"), row=row_names[name][p.row],
                               total=ctx.num(p.total, ".3f")), icon=":material/error:")
        b1, b2 = st.columns(2)
        if bad:
            b1.button(ctx.t("normalise"), icon=":material/auto_fix_high:", key="hmm_normalise", help=ctx.t("normalise_help"),
                      on_click=_normalise, args=(ctx, preset.key, sorted(set(bad)), current))
        b2.button(ctx.t("restore"), icon=":material/restart_alt:", key="hmm_restore", on_click=_restore, args=(ctx, preset.key))
    if bad:
        st.warning(ctx.t("fix_rows_first"), icon=":material/block:")
        return None
    return hmm.validate(current["start"][0], current["trans"], current["emit"])
