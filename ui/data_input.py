"""The shared "which 2D data?" control: built-in datasets, or the user's own points.

The user's own points (drawn or uploaded) are kept in ``st.session_state["user_data"]``, shared by every page,
so a class can draw a shape once and watch each model learn it. Each page says what it needs, as a
:class:`engine.data.points.DataNeeds` (points, classes, points per class, coordinate range, a model's own test).
New points are checked against it *before* they are stored: points the page cannot use are refused with a
message that says what is needed, and the previous points stay. Those messages are drawn above the
"Your own points" panel, so a folded panel never hides them.
"""

from __future__ import annotations

import streamlit as st

from engine.core.errors import InputError
from engine.data import points
from engine.data.points import DataNeeds
from ui import text, uploads
from ui.charts import PALETTE
from ui.shell import PageContext, show_input_error, t

USER_DATA = "user_data"
OWN = "own"
CANVAS_SIZE = (360, 360)
UPLOAD_TYPES = ["csv", "txt"]


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def builtin(name: str, n: int, noise: float, seed: int) -> points.Dataset:
    return points.make_dataset(name, n, noise, seed)


def class_labels(ds: points.Dataset) -> tuple[str, ...]:
    """The class names as a figure or Markdown may show them: the user's labels, escaped (``<b>`` stays text)."""
    return tuple(text.literal(name) for name in ds.class_names)


def dataset_picker(ctx: PageContext, default: str = "moons", needs: DataNeeds = DataNeeds()) -> points.Dataset | None:
    """Draw the data controls and return the chosen dataset (None if the user has none this page can use)."""
    names = list(points.BUILTIN) + [OWN]
    key = ctx.key("dataset")
    if st.session_state.pop(f"switch_to_own_{ctx.page}", False):
        st.session_state[key] = OWN  # new points were just drawn or uploaded: show them
    elif key not in st.session_state:
        st.session_state[key] = default
    c1, c2, c3 = st.columns([2, 2, 2])
    choice = c1.selectbox(t("data.dataset"), names, format_func=ctx.labeler("data"), key=key)
    ds = None
    if choice != OWN:
        spec = points.BUILTIN[choice]
        noise = c2.slider(t("data.noise"), 0.0, spec.max_noise, spec.default_noise, 0.01, key=ctx.key(f"noise_{choice}"), help=t("data.noise_help"))
        n = c3.slider(t("data.n_points"), 50, 2000, spec.default_n, 50, key=ctx.key("n_points"))
        ds = builtin(choice, n, noise, ctx.seed)
    else:
        ds = st.session_state.get(USER_DATA)
        c2.metric(t("data.own_points"), len(ds) if ds is not None else 0)
        c3.metric(t("data.own_classes"), ds.n_classes if ds is not None else 0)
    notice = st.container()  # messages about new points, above the panel: visible when it is folded
    own_data_panel(ctx, notice, needs, expanded=choice == OWN and ds is None, current=ds)
    if ds is None:
        st.info(t("data.need_own"), icon=":material/draw:")
        return None
    try:
        points.check_points(ds, needs)  # points stored on another page may not suit this one
    except InputError as err:
        show_input_error(err)
        return None
    return ds


def _strokes_from_canvas(objects: list[dict]) -> list[tuple[int, list[tuple[float, float]]]]:
    strokes = []
    colours = [c.lower() for c in PALETTE]
    for obj in objects:
        col = str(obj.get("stroke") or obj.get("fill") or "").lower()
        if col not in colours:
            continue
        cls = colours.index(col)
        if str(obj.get("type", "")).lower() == "path":  # fabric 7 says "Path"
            pts = [(float(cmd[-2]), float(cmd[-1])) for cmd in obj.get("path", []) if len(cmd) >= 3]
        else:  # a point: a circle whose left/top is its bounding box corner
            r = float(obj.get("radius", 0))
            pts = [(float(obj.get("left", 0)) + r, float(obj.get("top", 0)) + r)]
        strokes.append((cls, pts))
    return strokes


def own_data_panel(ctx: PageContext, notice, needs: DataNeeds, expanded: bool = False,
                   current: points.Dataset | None = None) -> None:
    """Draw / upload / download the user's own points, inside an expander. New points this page cannot
    use are refused with a message written in ``notice`` (a container outside the expander), and the
    previous points are kept."""
    with st.expander(t("data.own_title"), expanded=expanded, icon=":material/draw:"):
        draw_tab, upload_tab, download_tab = st.tabs([t("data.draw"), t("data.upload"), t("data.download")])
        with draw_tab:
            _draw(ctx, notice, needs)
        with upload_tab:
            _upload(ctx, notice, needs)
        with download_tab:
            if current is None:
                st.caption(t("data.nothing_to_download"))
            else:
                st.download_button(
                    t("data.download_button", n=len(current)), lambda: points.to_csv(current).encode("utf-8"),  # written when clicked
                    file_name=f"{current.name}.csv", mime="text/csv", icon=":material/download:", key=f"download_{ctx.page}",
                )
                st.caption(t("data.csv_written"))


def _refuse(notice, err: InputError) -> None:
    with notice:
        show_input_error(err)
        if st.session_state.get(USER_DATA) is not None:
            st.caption(t("data.kept_previous"))


def _draw(ctx: PageContext, notice, needs: DataNeeds) -> None:
    from ui.canvas import st_canvas  # needs a Streamlit runtime: import here only

    left, right = st.columns([1, 2])
    with left:
        n_cls = 4
        cls = st.radio(t("data.draw_class"), list(range(n_cls)), format_func=lambda k: chr(ord("A") + k), horizontal=True, key=ctx.key("draw_class"))
        mode = st.radio(t("data.draw_mode"), ["freedraw", "point"], format_func=ctx.labeler("data.mode"), horizontal=True, key=ctx.key("draw_mode"))
        st.caption(t("data.draw_help"))
    with right:
        result = st_canvas(
            fill_color=PALETTE[cls], stroke_width=4 if mode == "freedraw" else 2, stroke_color=PALETTE[cls],
            background_color="#F8FAFC", width=CANVAS_SIZE[0], height=CANVAS_SIZE[1], drawing_mode=mode,
            point_display_radius=4, key=f"canvas_{ctx.page}", update_streamlit=True,
        )
    if st.button(t("data.use_drawing"), icon=":material/check:", key=f"use_drawing_{ctx.page}"):
        objects = (result.json_data or {}).get("objects", []) if result is not None else []
        try:
            ds = points.points_from_strokes(_strokes_from_canvas(objects), CANVAS_SIZE, seed=ctx.seed)
            points.check_points(ds, needs)
        except InputError as err:
            _refuse(notice, err)
        else:
            _store(ctx, ds)


def _upload(ctx: PageContext, notice, needs: DataNeeds) -> None:
    st.caption(t("data.csv_format", rows=points.MAX_POINTS, mb=points.MAX_CSV_BYTES / 1e6))
    box, done_key, error_key = f"upload_box_{ctx.page}", f"upload_done_{ctx.page}", f"upload_error_{ctx.page}"
    with st.container(key=box):
        file = st.file_uploader(t("data.upload_label"), type=UPLOAD_TYPES, key=f"upload_{ctx.page}")
        refused = uploads.watch(box, points.MAX_CSV_BYTES, UPLOAD_TYPES)
    if refused is not None:  # refused in the browser: it never arrives, so say why here
        st.session_state[error_key] = uploads.refusal_error(refused, points.MAX_CSV_BYTES, UPLOAD_TYPES)
    elif file is None:  # the file was removed: so is its message
        st.session_state.pop(error_key, None)
        st.session_state.pop(done_key, None)
    elif st.session_state.get(done_key) != file.file_id:  # read each file once, not on every rerun
        st.session_state[done_key] = file.file_id
        st.session_state.pop(error_key, None)
        try:
            uploads.check_size(file.name, file.size, points.MAX_CSV_BYTES)  # before reading a byte of it
            ds = points.parse_csv(file.getvalue(), name=file.name.rsplit(".", 1)[0][:40] or "uploaded")
            points.check_points(ds, needs)
        except InputError as err:
            st.session_state[error_key] = err
        else:
            _store(ctx, ds)
    if error_key in st.session_state:
        _refuse(notice, st.session_state[error_key])


def _store(ctx: PageContext, ds: points.Dataset) -> None:
    st.session_state[USER_DATA] = ds
    st.session_state.pop(f"upload_error_{ctx.page}", None)  # an older file's message no longer applies
    st.session_state[f"switch_to_own_{ctx.page}"] = True  # the selectbox already exists in this run
    st.toast(t("data.stored", n=len(ds), classes=t("data.n_classes", n=ds.n_classes)), icon=":material/check_circle:")
    st.rerun()
