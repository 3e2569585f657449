"""Export: a live run's model as a weights file (download, and load back), and a page's data and samples as CSV.

The model file (``engine.core.modelfile``) is drawn by ``ui.live_panel.show`` under every panel whose trainer can
save its weights, the same way on every page. It carries the page's settings (the view a link carries) and
the fingerprint of what the trainer trained on. Loading a file:

- refuses what is not ours, damaged, or for another page, with a message in the reader's language; nothing
  changes (the old trainer stays);
- when the page's settings are the file's, builds a new trainer (``panel.build``), checks its family, config and
  shapes, loads the arrays and puts it in place of the live run's trainer (a run still stepping the old one
  finishes with it), so every figure shows the loaded model;
- otherwise puts the file's settings back first (as a view file does, at the next run's start, the other controls
  back to their defaults) and loads the model in that run, once the page has built its panel with them.

CSV: :func:`points_csv` and :func:`text_csv` write the rows, :func:`csv_button` draws the page's one "data and
samples" download, in the sidebar under the share panel (``ui.shell`` keeps it a place), so it is in the same
place on every page.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable

import numpy as np
import streamlit as st

from engine.core import modelfile
from engine.core.errors import InputError
from engine.core.training import StateMismatch
from ui import live, share

PENDING = "export.pending_model"  # (page, prefix, ModelFile, file name): loaded once the page's settings are the file's
CSV_SLOT = "export.csv_slot"  # the sidebar's place for the page's CSV download (ui.shell makes it)
CSV_DONE = "export.csv_done"  # this run has drawn it (a page exports one set of points); ("fragment", id): that one did
TICKING = "export.ticking"  # a live panel's timer tick is drawing (ui.live_panel): no CSV, it would be re-sent every tick
LOG = logging.getLogger("generative_playground")


def _t(key: str, **params: object) -> str:
    from ui.shell import t

    return t(key, **params)


def _note_key(prefix: str) -> str:
    return f"export.note.{prefix}"


def _note(prefix: str, kind: str, text: str) -> None:
    st.session_state[_note_key(prefix)] = (kind, text)


def _error(prefix: str, code: str, **params: object) -> None:
    _note(prefix, "error", _t(f"live.model_errors.{code}", **params))


# ---------------------------------------------------------------- the model file

def model_file(panel, run) -> None:
    """The download and the uploader under a live panel, and the message of the last load (outside the expander)."""
    ctx, prefix = panel.ctx, panel.prefix
    tr = run.trainer
    with st.expander(_t("live.model_title"), icon=":material/save:"):
        st.caption(_t("live.model_help"))
        left, right = st.columns(2)
        if tr is not None and getattr(tr, "saves_weights", False) and tr.step_ > 0:
            view, fingerprint, page = share.settings(ctx.page), run.fingerprint, ctx.page

            def data() -> bytes:  # on click, in another thread: no Streamlit calls, the trainer held
                with live.hold(tr):
                    return modelfile.dumps(tr, page=page, fingerprint=fingerprint, view=view)

            left.download_button(_t("live.model_download"), data, file_name=f"{page}-model-step{tr.step_}.{modelfile.SUFFIX}",
                                 mime="application/octet-stream", icon=":material/download:", key=f"{prefix}_model_download",
                                 on_click="ignore", width="stretch")
        else:
            left.caption(_t("live.model_nothing"))
        file = right.file_uploader(_t("live.model_upload"), type=[modelfile.SUFFIX], key=f"{prefix}_model_upload",
                                   help=_t("live.model_upload_help"))
    note = st.session_state.pop(_note_key(prefix), None)
    if note is not None:
        kind, text = note
        (st.error if kind == "error" else st.success if kind == "success" else st.info)(
            text, icon=":material/error:" if kind == "error" else ":material/check_circle:" if kind == "success" else ":material/info:")
    done_key = f"export.read.{prefix}"
    if file is None or st.session_state.get(done_key) == file.file_id:
        return
    st.session_state[done_key] = file.file_id  # read each file once, not on every rerun
    _read(panel, run, file.getvalue(), file.name)
    st.rerun()  # the figures above were drawn from the old model (and the message goes under the expander)


def _read(panel, run, raw: bytes, name: str) -> None:
    ctx, prefix = panel.ctx, panel.prefix
    try:
        mf = modelfile.loads(raw, page=ctx.page)
    except modelfile.ModelFileError as err:
        _error(prefix, err.code, **err.params)
        return
    if mf.fingerprint == run.fingerprint:
        _load(panel, run, mf, name)
        return
    if "own" in mf.view:  # the file cannot bring the reader's own points back
        _error(prefix, "other_data")
        return
    ss = st.session_state
    keys = f"{share.PERSIST_PREFIX}{ctx.page}."
    incoming = {k[len(keys):]: v for k, v in (ss.get(share.DEFAULTS) or {}).items()  # the other controls: their defaults
                if k.startswith(keys) and share.known_default(v)}
    incoming.update({"seed": 0, **mf.view})
    ss[share.INCOMING] = incoming
    ss[PENDING] = (ctx.page, prefix, mf, name)
    _note(prefix, "info", _t("live.model_settings"))


def load_pending(panel, run) -> None:
    """In the run after a file put its settings back (``ui.live_panel.prepare`` calls it): load the model now."""
    pending = st.session_state.get(PENDING)
    if pending is None or pending[:2] != (panel.ctx.page, panel.prefix):
        return
    del st.session_state[PENDING]
    _, prefix, mf, name = pending
    if mf.fingerprint != run.fingerprint:
        _error(prefix, "other_settings")
        return
    if _load(panel, run, mf, name):
        kind, text = st.session_state[_note_key(prefix)]
        _note(prefix, kind, f"{text} {_t('live.model_settings')}")


def _load(panel, run, mf: modelfile.ModelFile, name: str) -> bool:
    """A new trainer for the page's settings, with the file's arrays, in place of the live run's."""
    prefix = panel.prefix
    try:
        new = panel.build(False)
    except InputError:
        _error(prefix, "other_settings")
        return False
    if not getattr(new, "saves_weights", False) or modelfile.family_of(new) != mf.header.get("family"):
        _error(prefix, "other_model", found=str(mf.header.get("family"))[:60])
        return False
    if new.export_config() != mf.header.get("config"):
        _error(prefix, "other_settings")
        return False
    try:
        new.load_state_arrays(mf.arrays, mf.step, mf.elapsed)
    except StateMismatch:
        _error(prefix, "other_shapes")
        return False
    run.trainer, run.playing, run.stopped, run.error, run.pending = new, False, False, None, None
    from ui import text

    _note(prefix, "success", _t("live.model_loaded", name=text.literal(name[:60]), step=mf.step))
    return True


# ---------------------------------------------------------------- CSV

def points_csv(groups: Iterable[tuple[str, np.ndarray | None]], column: str = "source", digits: int = 6) -> str:
    """Points of several sets in one CSV: ``<column>, x1, x2 …`` (the set's name, then its coordinates)."""
    groups = [(name, np.asarray(X, float)) for name, X in groups if X is not None and len(X)]
    d = max((X.reshape(len(X), -1).shape[1] for _, X in groups), default=2)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow((column, *(f"x{j + 1}" for j in range(d))))
    for name, X in groups:
        cell = "'" + name if name[:1] in ("=", "+", "-", "@") else name  # a name is never run by a spreadsheet
        for row in X.reshape(len(X), -1):
            w.writerow((cell, *(f"{v:.{digits}g}" for v in row)))
    return out.getvalue()


def figure_points(fig) -> list[tuple[str, np.ndarray]]:
    """The point clouds a 2D figure shows (its marker traces, by legend name; for an animation, its last frame,
    where the samples end up), without its lines, maps and arrows."""
    shown = list(fig.data)
    if fig.frames:  # a frame's traces leave out what does not change (name, mode): take it from the figure's
        frame = fig.frames[-1]
        places = list(frame.traces) if frame.traces is not None else list(range(len(frame.data)))
        for place, trace in zip(places, frame.data):
            if place < len(shown) and type(shown[place]) is type(trace):
                merged = type(trace)(shown[place])
                merged.update(trace.to_plotly_json())
                shown[place] = merged
    out = []
    for trace in shown:
        if trace.type not in ("scatter", "scattergl") or "markers" not in (trace.mode or "") or trace.x is None or trace.y is None:
            continue
        try:
            X = np.column_stack([np.asarray(trace.x, float), np.asarray(trace.y, float)])
        except (TypeError, ValueError):  # text on an axis (a category): not a point cloud
            continue
        X = X[np.isfinite(X).all(axis=1)]
        if len(X):
            out.append((str(trace.name or ""), X))
    return out


def text_csv(rows: Iterable[tuple[str, str]]) -> str:
    """Texts in one CSV: ``source, text`` (a formula-like text is written as text, never run by a spreadsheet)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("source", "text"))
    for name, body in rows:
        body = body.replace("\r", " ")
        w.writerow((name, "'" + body if body[:1] in ("=", "+", "-", "@") else body))
    return out.getvalue()


def figure_csv(ctx, fig) -> None:
    """The page's CSV download of the points ``fig`` shows (``ctx.chart(..., export=True)``), written when the
    student clicks it (the figure's points are read now: a later run may change the figure)."""
    if not _csv_wanted():
        return
    groups = figure_points(fig)
    if groups:
        csv_button(ctx, lambda: points_csv(groups))


def _fragment() -> str | None:
    """The fragment being run now (a section's, a live panel's), or None in the page's own code."""
    try:  # Streamlit 1.67 keeps it per thread; another version may not (its sections then lose the button)
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

        return ThreadState.get().fragment_id
    except Exception:
        return None


def _csv_wanted() -> bool:
    """Whether this run draws the page's CSV button (see :func:`csv_button`), so nothing is written for nothing."""
    ss = st.session_state
    if live.in_fragment_run():
        return not ss.get(TICKING) and ss.get(CSV_DONE) == ("fragment", _fragment())
    return not ss.get(CSV_DONE)


def csv_button(ctx, data: str | Callable[[], str], what: str = "data") -> None:
    """The page's download of its data and samples, in the sidebar (the same place on every page).

    The first call of a full run draws it. Drawn from inside a fragment (a section of its own), it belongs to that
    fragment: the fragment's own rerun clears it, so that rerun draws it again (with its new points), except a live
    panel's tick (``TICKING``: four times a second while training plays; it is back when training pauses).
    ``data`` may be a function that writes the CSV: Streamlit then calls it only when the student clicks (a
    deferred download), so a run neither writes nor hashes nor keeps the file for a button nobody presses."""
    ss = st.session_state
    if not _csv_wanted():
        return
    if not live.in_fragment_run():
        here = _fragment()
        ss[CSV_DONE] = ("fragment", here) if here is not None else True
    slot = ss.get(CSV_SLOT)
    payload = (lambda: data().encode("utf-8")) if callable(data) else data.encode("utf-8")
    try:
        (slot if slot is not None else st.sidebar).download_button(
            _t("export.csv", what=_t(f"export.what.{what}")), payload, file_name=f"{ctx.page}-{what}.csv",
            mime="text/csv", icon=":material/table_view:", key=f"{ctx.page}_csv", on_click="ignore", width="stretch",
            help=_t("export.csv_help"))
    except Exception:  # a second export in one fragment run, or a container Streamlit no longer takes: no button
        LOG.debug("the CSV download was not drawn", exc_info=True)
