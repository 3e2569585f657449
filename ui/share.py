"""Shareable views: a page's settings in the URL and in a small JSON file, read back safely.

Every persistent widget has the key ``w:<page>.<name>`` (``PageContext.key``), so one generic rule
covers every page, including pages written later: the URL parameter ``<name>`` holds the value of
``w:<page>.<name>``, written only when it differs from the widget's default, plus ``lang``, ``seed``
(when not 0), ``present`` (presenter mode) and ``own`` (the view used the reader's own points, which a
link does not carry: the link opens on the default data and says so).

Reading. On a session's first run of a page, ``read()`` puts each URL value into its widget key and
remembers it as *pending*. Nothing on the page declares a domain, so the widget itself validates it
when the page draws it: :func:`install` wraps Streamlit's value widgets (slider, selectbox, ...), and
for a key with a pending value the wrapper checks what the widget made of it. A value the widget
refuses (Streamlit raises for a slider out of range, silently puts a selectbox back to its default,
empties a multiselect) or of the wrong kind (2.5 for an integer slider, a word for a toggle) gives a
visible warning in the reader's language and the widget's default; a raising widget costs one rerun.
So the domain is exactly the one the page drew, with its data-dependent options, and no list of
domains can drift from the pages. A widget's default is read from the metadata Streamlit keeps for it
(``deserializer(None)``), per session, because some defaults depend on the session's data.

Writing. ``write()`` runs in ``setup()`` at the start of every run, when the session already holds the
values this run will draw (a moved slider's new value included), and touches ``st.query_params`` only
when the parameters changed. Values are JSON (``3``, ``0.006``, ``["a","b"]``), a plain word is written
bare (``loss=wgan_gp``). No streamlit import at module level is needed by the engine; this is ui code.
"""

from __future__ import annotations

import base64
import functools
import json
import zlib
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import text

PERSIST_PREFIX = "w:"
SEED_KEY = "w:seed"
SEED_MAX = 99_999
OWN = "own"  # ui.data_input.OWN: the dataset choice "your own points"
USER_DATA = "user_data"  # ui.data_input.USER_DATA: the reader's own points, shared by every page
PRESENT = "present"  # session flag (and URL parameter) of presenter mode
RESERVED = ("lang", "seed", PRESENT, "own", "lesson")
PENDING = "share.pending"  # {widget key: value from a link or a file}, until its widget validates it
READ = "share.read_pages"  # pages whose URL this session has read
DEFAULTS = "share.defaults"  # {widget key: its default}, learnt when the widget is drawn
NOTES = "share.notes"  # messages to show on the next run (after a rerun a refusal needed)
SHOWN = "share.shown"  # the messages this run has shown
SLOT = "share.slot"  # this run's container for messages, under the page title
INCOMING = "share.incoming"  # settings read from an uploaded JSON, applied at the next run's start
FILE_VERSION = 1
FILE_KIND = "generative-playground-view"
MAX_FILE_BYTES = 20_000

# Streamlit's widgets that hold a value a URL can carry
WIDGETS = ("slider", "select_slider", "selectbox", "radio", "segmented_control", "pills", "multiselect",
           "number_input", "toggle", "checkbox", "text_input")
_MISSING = object()
KNOWN: dict[str, set[str]] = {}  # process-wide: the setting names a widget has drawn on each page (a few dozen each)


# ---------------------------------------------------------------- own points in a link

LINK_POINTS = 200  # own points up to this many travel in the link itself (about 2-3 kB of address)
POINTS_FORMAT = "p1."


def pack_points(X, y, names) -> str:
    """Own points as one URL-safe word: coordinates to 3 decimals, labels and class names, deflated."""
    body = {"x": [[round(float(a), 3), round(float(b), 3)] for a, b in X], "y": [int(v) for v in y], "n": list(names)}
    raw = zlib.compress(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 9)
    return POINTS_FORMAT + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def unpack_points(word: object):
    """The ``(X, y, names)`` a link's ``own`` carries, or None when it carries none or is damaged."""
    import numpy as np

    if not (isinstance(word, str) and word.startswith(POINTS_FORMAT)) or len(word) > 20_000:
        return None
    try:
        data = word[len(POINTS_FORMAT):]
        raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)), 200_000)
        body = json.loads(raw.decode("utf-8"))
        X = np.asarray(body["x"], float).reshape(-1, 2)
        y = np.asarray(body["y"], int)
        names = tuple(str(n)[:40] for n in body.get("n", ()))
    except Exception:  # not ours, cut short, hand-edited: the caller says so
        return None
    if not (0 < len(X) <= LINK_POINTS and len(y) == len(X) and np.isfinite(X).all() and y.min() >= 0
            and (not names or y.max() < len(names))):
        return None
    return X, y, names


# ---------------------------------------------------------------- values <-> text

def encode(value: object) -> str:
    """A value as a URL parameter: JSON, except that a plain word is written bare (``loss=wgan_gp``)."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()  # a numpy scalar
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value  # cannot be read as anything else: no quotes needed
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def decode(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _same(a: object, b: object) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    try:
        return bool(a == b)
    except Exception:
        return False


def _fits(value: object, default: object) -> bool:
    """Is ``value`` of the kind the widget's default is (Streamlit lets 2.5 into an integer slider)?"""
    if default is _MISSING or default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return True


# ---------------------------------------------------------------- the widget wrapper

def _session_internals():
    from streamlit.runtime.state.session_state_proxy import get_session_state

    return get_session_state()._state


def widget_default(key: str) -> object:
    """The default of the widget drawn under ``key`` in this session, from Streamlit's own metadata."""
    try:
        state = _session_internals()
        meta = state.get_widget_metadata(state.get_widget_id_from_key(key))
        return meta.deserializer(None) if meta is not None else _MISSING
    except Exception:  # an internal that moved in another Streamlit version: links just get longer
        return _MISSING


def first_shown(key: str) -> object:
    """The page's default for the widget under ``key``: the value this session showed before anyone touched it
    (``DEFAULTS``, recorded when the widget was first drawn), else the widget's own default."""
    recorded = (st.session_state.get(DEFAULTS) or {}).get(key, _MISSING)
    return recorded if recorded is not _MISSING else widget_default(key)


def known_default(value: object) -> bool:
    """Whether a recorded default (``DEFAULTS``) is a value, not the mark of one Streamlit could not tell."""
    return value is not _MISSING


def _label(args: tuple, kwargs: dict) -> str:
    label = kwargs.get("label", args[0] if args else "")
    return str(label).split("\n")[0][:80]


def _refuse(label: str, wanted: object, later: bool = False, key: str | None = None) -> None:
    from ui.shell import t

    if key is not None:  # the address stops saying what the page does not show
        st.query_params.pop(key[len(PERSIST_PREFIX):].split(".", 1)[-1], None)

    note = t("share.bad_value", name=text.literal(label), value=text.literal(encode(wanted)[:60]))
    if later:  # a rerun follows: this run's messages are shown again after it
        st.session_state[NOTES] = st.session_state.get(SHOWN, []) + [note]
    else:
        _show(note)


def _show(note: str) -> None:
    st.session_state.setdefault(SHOWN, []).append(note)
    slot = st.session_state.get(SLOT)
    try:
        (slot or st).warning(note, icon=":material/link_off:")
    except Exception:  # a stale container (a fragment rerun): the message still goes on the page
        st.warning(note, icon=":material/link_off:")


def _checked(draw: Callable) -> Callable:
    @functools.wraps(draw)
    def widget(self, *args, **kwargs):
        key = kwargs.get("key")
        if not (isinstance(key, str) and key.startswith(PERSIST_PREFIX)):
            return draw(self, *args, **kwargs)
        ss = st.session_state
        page, _, name = key[len(PERSIST_PREFIX):].partition(".")
        KNOWN.setdefault(page, set()).add(name)
        pending = ss.get(PENDING)
        wanted = pending.pop(key, _MISSING) if pending else _MISSING
        if wanted is _MISSING:
            value = draw(self, *args, **kwargs)
            # the value a session shows before anyone touches it, which may be the page's (a preset's) default
            # rather than the widget's own: that is what a fresh session opening the link shows too
            ss.setdefault(DEFAULTS, {}).setdefault(key, value)
            return value
        try:
            value = draw(self, *args, **kwargs)
        except Exception:  # out of range, wrong type: the widget is registered, so start the run again
            _refuse(_label(args, kwargs), wanted, later=True, key=key)
            del ss[key]
            st.rerun()
        default = widget_default(key)
        ss.setdefault(DEFAULTS, {}).setdefault(key, default)
        if _same(value, wanted) and _fits(value, default):
            return value
        if default is not _MISSING and _same(value, default):
            _refuse(_label(args, kwargs), wanted, key=key)  # the widget already fell back to its default
            return value
        _refuse(_label(args, kwargs), wanted, later=True, key=key)
        del ss[key]
        st.rerun()

    widget.__wrapped_by_share__ = True
    return widget


def install() -> None:
    """Wrap the value widgets once per process (``st.slider`` and ``column.slider`` alike)."""
    for name in WIDGETS:
        draw = getattr(DeltaGenerator, name, None)
        if draw is None or getattr(draw, "__wrapped_by_share__", False):
            continue
        setattr(DeltaGenerator, name, _checked(draw))
        main = getattr(st, "_main", None)
        if main is not None and hasattr(st, name):
            setattr(st, name, getattr(main, name))


# ---------------------------------------------------------------- tabs

TAB = "tab"  # the URL parameter (and the ``w:<page>.tab`` key) of a page's selected tab


def tabs(page: str, names: list[str], labels: list[str], key: str):
    """``st.tabs`` whose selected tab is part of the view: ``w:<page>.tab`` holds its *name* (the same in
    every language; the link says ``tab=walk``), the widget under ``key`` its label. Only the open tab's
    content should run (``tab.open``, as with ``on_change="rerun"``). A link's unknown tab opens the first
    one and says so."""
    ss = st.session_state
    wkey = f"{PERSIST_PREFIX}{page}.{TAB}"
    ss.setdefault(DEFAULTS, {})[wkey] = names[0]
    pending = ss.get(PENDING) or {}
    wanted = pending.pop(wkey, _MISSING)
    if wanted is not _MISSING:  # a link, a view file or a lesson step asks for a tab
        if wanted in names:
            name = wanted
        else:
            from ui.shell import t

            _refuse(t("share.tab"), wanted, key=wkey)
            name = names[0]
        ss[key] = labels[names.index(name)]
    elif ss.get(key) in labels:  # the tab the reader opened (or a test set), in this run's language
        name = names[labels.index(ss[key])]
    else:  # first run, or a label of the other language: the tab by name
        name = ss.get(wkey) if ss.get(wkey) in names else names[0]
        ss[key] = labels[names.index(name)]
    ss[wkey] = name
    if st.query_params.get(TAB) != (None if name == names[0] else name):  # the address written at the run's start was older
        if name == names[0]:
            st.query_params.pop(TAB, None)
        else:
            st.query_params[TAB] = name

    def chosen() -> None:  # before the run: the URL written at its start says the new tab
        if ss.get(key) in labels:
            ss[wkey] = names[labels.index(ss[key])]

    return st.tabs(labels, key=key, on_change=chosen)


# ---------------------------------------------------------------- reading a link or a file

def _apply(page: str, settings: dict[str, object]) -> list[str]:
    """Put ``settings`` (``name -> value``, as a link or a file carries them) into the session;
    return the messages to show now (widget values are checked later, when drawn)."""
    from ui.shell import t

    ss = st.session_state
    notes: list[str] = []
    pending = ss.setdefault(PENDING, {})
    for name, value in settings.items():
        if name == "lang" or name == PRESENT:
            continue
        if name == "seed":
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= SEED_MAX:
                ss[SEED_KEY] = value
            else:
                notes.append(t("share.bad_value", name=t("common.seed"), value=text.literal(encode(value)[:60])))
            continue
        if name == "lesson":
            continue
        if name == "own":
            carried = unpack_points(value)
            if carried is None:
                notes.append(t("share.own_data"))
                continue
            from engine.data import points

            X, y, names = carried
            ss[USER_DATA] = points.Dataset(X, y, "own", names)  # ui.data_input.USER_DATA; the page checks its needs
            key = f"{PERSIST_PREFIX}{page}.dataset"
            ss[key] = pending[key] = OWN
            notes.append(t("share.own_data_carried", n=len(X)))
            continue
        key = f"{PERSIST_PREFIX}{page}.{name}"
        ss[key] = value
        pending[key] = value
    if "own" in settings and unpack_points(settings["own"]) is None:
        ss.pop(f"{PERSIST_PREFIX}{page}.dataset", None)
        pending.pop(f"{PERSIST_PREFIX}{page}.dataset", None)
    return notes


def read(page: str) -> list[str]:
    """On the session's first run of ``page``, take its settings from the URL; an uploaded view file
    waits for the next run's start, before any widget of that run exists."""
    ss = st.session_state
    notes = ss.pop(NOTES, [])
    incoming = ss.pop(INCOMING, None)
    if incoming is not None:
        notes += _apply(page, incoming)
    read_pages = ss.setdefault(READ, set())
    if page in read_pages:
        return notes
    read_pages.add(page)
    params = st.query_params
    if params.get(PRESENT) in ("1", "true"):
        ss[PRESENT] = True
    notes += _apply(page, {name: decode(params.get(name)) for name in params.keys()})
    from ui import lessons

    lessons.from_url(page, params.get("lesson"))
    return notes


def show(notes: list[str], slot) -> None:
    """Give this run's messages their place under the page title, and show the ones known already."""
    st.session_state[SLOT] = slot
    st.session_state[SHOWN] = []
    for note in notes:
        _show(note)


@functools.lru_cache(maxsize=1)
def _written_names() -> re.Pattern:
    """Every setting name the code can give a widget: the ``key("…")`` and ``key(f"…")`` of the pages and of
    ``ui/`` (an f-string's fields match any text). A closed tab's or section's widget is not drawn, so this is
    how a fresh server knows its name; a name written only through a variable is known once drawn (``KNOWN``)."""
    root = Path(__file__).resolve().parent.parent
    names = set()
    for path in [*root.glob("pages/*.py"), *root.glob("ui/*.py")]:
        for f, name in re.findall(r"""key\(\s*(f?)["']([^"']+)["']""", path.read_text("utf-8")):
            names.add(".+".join(map(re.escape, re.split(r"\{[^}]*\}", name))) if f else re.escape(name))
    return re.compile("|".join(sorted(names)) or "$^")


def _a_setting(page: str, name: str, key: str) -> bool:
    from ui import lessons

    return (name in KNOWN.get(page, ()) or widget_default(key) is not _MISSING or bool(_written_names().fullmatch(name))
            or any(name in step.get("settings", {}) for step in lessons.steps(page)))


def finish(page: str) -> None:
    """At the end of a page's run: a link's setting that no widget of this run took and that is no setting of this
    page (no widget drawn it in this server, the code writes no such key, no lesson sets it) is reported and dropped
    from the session and the address. A setting the run did not draw (a closed tab's) waits for its widget."""
    from ui.shell import t

    ss = st.session_state
    pending = ss.get(PENDING) or {}
    prefix = f"{PERSIST_PREFIX}{page}."
    for key in [k for k in pending if k.startswith(prefix)]:
        name = key[len(prefix):]
        if _a_setting(page, name, key):
            continue
        del pending[key]
        ss.pop(key, None)
        st.query_params.pop(name, None)
        _show(t("share.unknown", name=text.literal(name[:60])))


def reset(page: str) -> None:
    pending = st.session_state.get(PENDING) or {}
    for key in [k for k in pending if k.startswith(f"{PERSIST_PREFIX}{page}.")]:
        del pending[key]


# ---------------------------------------------------------------- writing

def settings(page: str) -> dict[str, object]:
    """This view's settings that differ from the defaults (``name -> value``), plus ``own``."""
    ss = st.session_state
    prefix = f"{PERSIST_PREFIX}{page}."
    defaults = ss.get(DEFAULTS) or {}
    pending = ss.get(PENDING) or {}
    out: dict[str, object] = {}
    seed = ss.get(SEED_KEY, 0)
    if seed:
        out["seed"] = seed
    for key in list(ss.keys()):
        if not (isinstance(key, str) and key.startswith(prefix)):
            continue
        name, value = key[len(prefix):], ss[key]
        if name == "dataset" and value == OWN:
            ds = ss.get(USER_DATA)
            small = ds is not None and 0 < len(ds) <= LINK_POINTS
            out["own"] = pack_points(ds.X, ds.y, ds.class_names) if small else 1
            continue
        if key not in pending and key in defaults and _same(value, defaults[key]):
            continue
        if name in RESERVED:
            continue
        out[name] = value
    return out


def params(page: str, lang: str) -> dict[str, str]:
    out = {"lang": lang}
    if st.session_state.get(PRESENT):
        out[PRESENT] = "1"
    out.update({name: encode(value) for name, value in settings(page).items()})
    step = st.session_state.get(f"{page}.lesson_step")  # ui.lessons.step_key
    if step is not None:
        out["lesson"] = str(int(step) + 1)
    return out


def write(page: str, lang: str) -> dict[str, str]:
    """Make the URL say this view; return its parameters."""
    wanted = params(page, lang)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    return wanted


def link(page: str, wanted: dict[str, str]) -> str:
    """The full address of this view (a path only where the browser's address is unknown, as under AppTest)."""
    try:
        url = st.context.url
    except Exception:
        url = None
    base = url.split("?")[0] if url else ("/" if page == "home" else f"/{page}")
    return f"{base}?{urllib.parse.urlencode(wanted)}"


# ---------------------------------------------------------------- the JSON file

def to_json(page: str, values: dict[str, object]) -> str:
    """A view file: ``values`` as :func:`settings` gives them (only what differs from the defaults)."""
    return json.dumps({"kind": FILE_KIND, "version": FILE_VERSION, "page": page, "settings": values},
                      indent=1, ensure_ascii=False, default=lambda v: v.item() if hasattr(v, "item") else str(v))


class BadViewFile(ValueError):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code, self.params = code, params


def from_json(raw: bytes, page: str) -> dict[str, object]:
    """The settings in a view file for ``page``; :class:`BadViewFile` says why a file is refused."""
    if len(raw) > MAX_FILE_BYTES:
        raise BadViewFile("file_too_large", max_kb=MAX_FILE_BYTES // 1000)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadViewFile("not_a_view") from None
    if not isinstance(data, dict) or data.get("kind") != FILE_KIND or not isinstance(data.get("settings"), dict):
        raise BadViewFile("not_a_view")
    if data.get("page") != page:
        raise BadViewFile("other_page", page=str(data.get("page"))[:40])
    ok = (str, int, float, bool, list, type(None))
    return {str(k): v for k, v in data["settings"].items() if isinstance(v, ok) and len(str(k)) <= 60}
