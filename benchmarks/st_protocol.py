"""A light client that speaks Streamlit's websocket protocol the way the browser does, for the class-load benchmark.

One simulated student costs a websocket and a few protobuf messages, not a Chromium, so 30 of them fit in one
asyncio process without eating the server's CPU. What the browser does, and this client copies (Streamlit 1.67,
read from its frontend bundle and from frames captured with Playwright/CDP):

- It connects to ``/_stcore/stream`` (subprotocol ``streamlit``) and sends a ``BackMsg.rerun_script``:
  ``page_name`` = the URL path (``"gan"``), ``page_script_hash`` empty, ``query_string`` ``"lang=en"``,
  no widget states, and a ``context_info`` (locale, time zone, URL).
- Every later rerun carries the page's script hash (from ``new_session``), the query string, the state of
  every widget on screen, and the hashes of the large messages it has cached.
- Widget values travel as the browser holds them: a slider as ``double_array_value``, a select slider,
  segmented control or pills as ``string_array_value`` of the *shown* option texts, a selectbox or radio as
  the shown text in ``string_value``, a number input as ``int_value``/``double_value``, a toggle as
  ``bool_value``, a keyed ``st.tabs`` that reruns as the open tab's label. A button press is
  ``trigger_value: true`` in that one message only.
- A widget inside an ``st.fragment`` reruns only its fragment: the same message with ``fragment_id`` set
  (the delta that drew the widget carries the fragment's id).
- ``run_every`` is a timer in the browser: the server sends ``auto_rerun {interval, fragment_id}`` and the
  browser sends that fragment's rerun (``is_auto_rerun``) every interval, whether or not a run is still
  going, until ``stop_auto_rerun`` or the next full run's ``new_session``.
- Messages of 10 kB or more (``metadata.cacheable``) are cached by hash; the browser lists the hashes in
  ``cached_message_hashes`` and the server then sends a small ``ref_hash`` instead of an unchanged figure.
  An entry is dropped after ``max_cached_message_age`` finished runs without use (2 by default).
- A run ends with ``script_finished``: ``FINISHED_SUCCESSFULLY``, ``FINISHED_FRAGMENT_RUN_SUCCESSFULLY``,
  or ``FINISHED_EARLY_FOR_RERUN`` when a newer rerun request interrupted it (``runner.fastReruns``).
  ``metadata.run`` names the run and the fragments it reran.

Left out on purpose: static files (the browser caches them), the health and host-config polls, heartbeats,
file uploads and custom components (their states are omitted; the server then keeps their last value, which
is what an untouched widget has anyway).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ButtonGroup_pb2 import ButtonGroup
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

SUCCESS = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
WIDGET_ELEMENTS = ("slider", "selectbox", "radio", "button_group", "number_input", "checkbox", "text_area",
                   "text_input", "button")
LOCALES = {"en": "en-US", "pt": "pt-BR"}


# ---------------------------------------------------------------- messages (pure)

def user_key(element_id: str) -> str | None:
    """The key a page gave an element, from its id ``$$ID-<hash>-<key>`` (as the frontend reads it)."""
    parts = element_id.split("-", 2)
    if len(parts) < 3 or parts[0] != "$$ID" or parts[2] == "None":
        return None
    return parts[2]


def widget_state(widget_id: str, field_name: str, value) -> WidgetState:
    state = WidgetState(id=widget_id)
    if field_name.endswith("_array_value"):
        getattr(state, field_name).data.extend(value)
    else:
        setattr(state, field_name, value)
    return state


def state_value(state: WidgetState):
    """(field name, plain value) of a widget state."""
    name = state.WhichOneof("value")
    value = getattr(state, name)
    return name, list(value.data) if name.endswith("_array_value") else value


def rerun_message(query_string: str, states, *, page_script_hash: str = "", page_name: str = "", fragment_id: str = "",
                  is_auto_rerun: bool = False, cached_hashes=(), url: str = "", lang: str = "en") -> BackMsg:
    """The ``BackMsg`` the browser sends to run the page (or one fragment of it)."""
    msg = BackMsg()
    cs = msg.rerun_script
    cs.query_string = query_string
    cs.widget_states.widgets.extend(states)
    cs.page_script_hash = page_script_hash
    cs.page_name = page_name
    cs.fragment_id = fragment_id
    cs.is_auto_rerun = is_auto_rerun
    cs.cached_message_hashes.extend(sorted(cached_hashes))
    ci = cs.context_info
    ci.timezone, ci.timezone_offset, ci.locale, ci.url = "UTC", 0, LOCALES.get(lang, "en-US"), url
    ci.is_embedded, ci.color_scheme = False, "light"
    return msg


def shown_state(kind: str, el, previous: WidgetState | None) -> WidgetState | None:
    """The state the browser holds for a widget it has just been sent: the value the server set, else the
    one it already had, else the widget's default. None for widgets the browser does not report."""
    set_value = getattr(el, "set_value", False)
    if previous is not None and not set_value:
        return previous
    if kind == "slider":
        if el.type == Slider.SELECT_SLIDER:
            values = list(el.raw_value) if set_value else [el.options[int(i)] for i in el.default]
            return widget_state(el.id, "string_array_value", values)
        return widget_state(el.id, "double_array_value", list(el.value) if set_value else list(el.default))
    if kind in ("selectbox", "radio"):
        if set_value and el.HasField("raw_value"):
            return widget_state(el.id, "string_value", el.raw_value)
        if el.HasField("default") and 0 <= el.default < len(el.options):
            return widget_state(el.id, "string_value", el.options[el.default])
        return None
    if kind == "button_group":
        values = list(el.raw_values) if set_value else [el.options[i].content for i in el.default]
        return widget_state(el.id, "string_array_value", values)
    if kind == "number_input":
        if set_value and el.HasField("value"):
            value = el.value
        elif el.HasField("default"):
            value = el.default
        else:
            return None
        return widget_state(el.id, *(("int_value", int(value)) if el.data_type == NumberInput.INT else ("double_value", value)))
    if kind == "checkbox":
        return widget_state(el.id, "bool_value", el.value if set_value else el.default)
    if kind in ("text_area", "text_input"):
        if set_value and el.HasField("value"):
            return widget_state(el.id, "string_value", el.value)
        return widget_state(el.id, "string_value", el.default) if el.HasField("default") else None
    return None  # buttons report only a press


def bounce(index: int, n: int, direction: int) -> tuple[int, int]:
    """One step from ``index`` in ``direction`` within ``0 … n-1``, turning round at either end."""
    if n <= 1:
        return index, direction
    if not 0 <= index + direction < n:
        direction = -direction
    return index + direction, direction


def moved_state(kind: str, el, current: WidgetState | None, direction: int = 1, option: str | None = None
                ) -> tuple[WidgetState, int]:
    """The state after a user moves a widget one step (``option`` None) or picks ``option`` (its shown text),
    and the direction of the next step. Raises ValueError for what a user cannot do (a disabled widget,
    an option that is not there)."""
    if getattr(el, "disabled", False):
        raise ValueError(f"{el.id} is disabled")
    if kind == "button":
        return widget_state(el.id, "trigger_value", True), direction
    current = current or shown_state(kind, el, None)
    if kind == "slider" and el.type != Slider.SELECT_SLIDER:
        (value, *rest) = state_value(current)[1]
        if rest:
            raise ValueError("range sliders are not supported")
        n = int(round((el.max - el.min) / el.step)) + 1
        index, direction = bounce(int(round((value - el.min) / el.step)), n, direction)
        new = el.min + index * el.step
        new = float(int(round(new))) if el.data_type == Slider.INT else round(new, 12)
        return widget_state(el.id, "double_array_value", [new]), direction
    options = [o.content for o in el.options] if kind == "button_group" else list(getattr(el, "options", []))
    if kind == "number_input":
        name, value = state_value(current)
        step = el.step or 1
        lo = el.min if el.has_min else value - 10 * step
        hi = el.max if el.has_max else value + 10 * step
        new = value + direction * step
        if not lo <= new <= hi:
            direction = -direction
            new = value + direction * step
        return widget_state(el.id, name, int(new) if name == "int_value" else new), direction
    if kind == "checkbox":
        return widget_state(el.id, "bool_value", not state_value(current)[1]), direction
    if kind in ("slider", "selectbox", "radio", "button_group"):
        name, value = state_value(current)
        chosen = value if isinstance(value, list) else [value]
        multi = kind == "button_group" and el.click_mode == ButtonGroup.MULTI_SELECT
        if option is not None:
            if option not in options:
                raise ValueError(f"{option!r} is not an option of {el.id}: {options}")
            new = ([o for o in chosen if o != option] if option in chosen else [*chosen, option]) if multi else [option]
        else:
            if multi:
                raise ValueError("say which pill to toggle")
            index = options.index(chosen[0]) if chosen and chosen[0] in options else 0
            index, direction = bounce(index, len(options), direction)
            new = [options[index]]
        return (widget_state(el.id, name, new) if name.endswith("_array_value") else widget_state(el.id, name, new[0])), direction
    raise ValueError(f"cannot move a {kind}")


def errors_in(msg: ForwardMsg) -> list[str]:
    """What the student would see as an error in one message: a traceback or an error box."""
    if msg.WhichOneof("type") == "page_not_found":
        return [f"page not found: {msg.page_not_found.page_name}"]
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return []
    el = msg.delta.new_element
    kind = el.WhichOneof("type")
    if kind == "exception":
        return [f"exception: {el.exception.type}: {el.exception.message[:120]}"]
    if kind == "alert" and el.alert.format == Alert.ERROR:
        return [f"error box: {el.alert.body[:120]}"]
    return []


# ---------------------------------------------------------------- a session

@dataclass
class Run:
    """One script run as this client saw it."""

    id: str
    fragments: tuple[str, ...]
    started: float
    finished: float | None = None
    status: int | None = None
    bytes: int = 0
    messages: int = 0


@dataclass
class Result:
    """What an action cost: seconds from sending it to its run's ``script_finished``, and the bytes received."""

    seconds: float | None
    bytes: int
    messages: int
    partial: bool  # a fragment rerun
    errors: list[str]
    timed_out: bool = False


@dataclass
class Drawn:
    kind: str
    el: object
    fragment: str


class Session:
    """One simulated browser tab on one page. Open it, move widgets, close it.

    Only one action is in flight at a time (a student has one mouse); the fragment timers keep ticking as the
    browser's do, except while an action waits for its run, so that each action's run can be told apart."""

    def __init__(self, base_url: str, page: str, lang: str = "en", headers: dict | None = None):
        self.base = base_url.rstrip("/")
        self.page, self.lang = page, lang
        self.headers = dict(headers or {})
        self.ws = None
        self.widgets: dict[str, Drawn] = {}  # widget id -> last element the server drew
        self.states: dict[str, WidgetState] = {}
        self.by_key: dict[str, str] = {}  # user key -> widget id
        self.directions: dict[str, int] = {}
        self.page_hashes: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""  # the running page's script hash, which every rerun names
        self.running_page: str | None = None  # its URL path, from the server's navigation message
        self.cache: dict[str, int] = {}  # message hash -> finished runs since it was last used
        self.cache_bytes: dict[str, int] = {}
        self.cache_age = 2
        self.runs: dict[str, Run] = {}
        self.current: Run | None = None
        self.finished_runs: list[Run] = []
        self.errors: list[tuple[float, str]] = []
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}
        self.acting = False
        self.closed = False
        self.disconnect_reason: str | None = None
        self.bytes_received = 0
        self.handshake_headers: dict[str, str] = {}
        self._seen_full: set[str] = set()
        self._changed = asyncio.Event()
        self._reader: asyncio.Task | None = None

    # -------------------------------------------------------------- connection

    @property
    def query_string(self) -> str:
        return f"lang={self.lang}"

    @property
    def ws_url(self) -> str:
        return ("wss:" if self.base.startswith("https") else "ws:") + self.base.split(":", 1)[1] + "/_stcore/stream"

    async def open(self, timeout: float = 120.0) -> Result:
        """Connect and run the page, as a browser opening ``/<page>?lang=…``; returns the first run's cost."""
        from websockets.asyncio.client import connect

        t0 = time.perf_counter()
        self.ws = await asyncio.wait_for(connect(self.ws_url, subprotocols=["streamlit"], additional_headers=self.headers,
                                                 max_size=None, ping_interval=None, open_timeout=timeout), timeout)
        if self.ws.response is not None:
            self.handshake_headers = {k.lower(): v for k, v in self.ws.response.headers.raw_items()}
        self._reader = asyncio.create_task(self._read())
        msg = rerun_message(self.query_string, [], page_name=self.page, url=f"{self.base}/{self.page}", lang=self.lang)
        return await self._send_and_wait(msg, "", timeout, t0)

    async def close(self) -> None:
        self.closed = True
        for _, task in self.timers.values():
            task.cancel()
        self.timers.clear()
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except Exception:
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except BaseException:
                pass

    # -------------------------------------------------------------- actions

    def widget(self, key: str) -> Drawn | None:
        wid = self.by_key.get(key)
        return self.widgets.get(wid) if wid else None

    def has(self, key: str) -> bool:
        return self.widget(key) is not None

    def value(self, key: str):
        w = self.widget(key)
        state = self.states.get(w.el.id) if w else None
        return state_value(state)[1] if state is not None else None

    async def move(self, key: str, option: str | None = None, timeout: float = 120.0) -> Result:
        """Move the widget with this key one step, or pick ``option`` (its shown text); a button is pressed."""
        w = self.widget(key)
        if w is None:
            raise KeyError(f"no widget with key {key!r} on {self.page}")
        state, self.directions[key] = moved_state(w.kind, w.el, self.states.get(w.el.id), self.directions.get(key, 1), option)
        return await self._rerun_with(state, w.fragment, timeout)

    async def open_tab(self, key: str, label: str, timeout: float = 120.0) -> Result:
        """Open a tab of a keyed ``st.tabs(..., on_change="rerun")`` by its label."""
        wid = self.by_key.get(key)
        if wid is None:
            raise KeyError(f"no tabs with key {key!r} on {self.page}")
        return await self._rerun_with(widget_state(wid, "string_value", label), self.widgets[wid].fragment, timeout)

    async def switch_page(self, page: str, timeout: float = 120.0) -> Result:
        """Follow a link to another page of the app (one websocket, as in the browser)."""
        self.page = page
        for _, task in self.timers.values():  # the browser drops its timers on a page change
            task.cancel()
        self.timers.clear()
        msg = rerun_message(self.query_string, [], page_script_hash=self.page_hashes.get(page, ""),
                            page_name="" if page in self.page_hashes else page, url=f"{self.base}/{page}",
                            cached_hashes=self.cache, lang=self.lang)
        return await self._send_and_wait(msg, "", timeout)

    async def _rerun_with(self, state: WidgetState, fragment: str, timeout: float) -> Result:
        if state.WhichOneof("value") != "trigger_value":
            self.states[state.id] = state
        states = [s for wid, s in self.states.items() if wid != state.id] + [state]
        return await self._send_and_wait(self._rerun(states, fragment), fragment, timeout)

    def _rerun(self, states, fragment: str = "", auto: bool = False) -> BackMsg:
        return rerun_message(self.query_string, states, page_script_hash=self.page_hash, fragment_id=fragment, is_auto_rerun=auto,
                             cached_hashes=self.cache, url=f"{self.base}/{self.page}", lang=self.lang)

    async def _send_and_wait(self, msg: BackMsg, fragment: str, timeout: float, t0: float | None = None) -> Result:
        """Send one rerun and wait for the first successful run of that scope that started after it."""
        self.acting = True
        t0 = time.perf_counter() if t0 is None else t0
        sent = time.perf_counter()
        errors_before = len(self.errors)
        ours: Run | None = None
        try:
            await self.ws.send(msg.SerializeToString())
            deadline = sent + timeout
            while True:
                # ours: the first run of this scope that started after the send; if a newer request interrupted
                # it (a fragment that calls st.rerun(scope="app"), say), the run that replaced it, of any scope
                for run in self.runs.values():
                    if run.started < sent or (ours is not None and (ours.status != EARLY or run.started <= ours.started)):
                        continue
                    if ours is not None or ((fragment in run.fragments) if fragment else not run.fragments):
                        ours = run
                if ours is not None and ours.status in SUCCESS:
                    errors = [e for _, e in self.errors[errors_before:]]
                    return Result(ours.finished - t0, ours.bytes, ours.messages, bool(ours.fragments), errors)
                if self.closed or self.disconnect_reason:
                    return Result(None, 0, 0, bool(fragment), [f"disconnected: {self.disconnect_reason}"])
                left = deadline - time.perf_counter()
                if left <= 0:
                    return Result(None, ours.bytes if ours else 0, ours.messages if ours else 0, bool(fragment),
                                  ["timed out"], timed_out=True)
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), min(left, 1.0))
                except asyncio.TimeoutError:
                    pass
        finally:
            self.acting = False

    # -------------------------------------------------------------- incoming messages

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                if isinstance(data, str):
                    continue
                self.bytes_received += len(data)
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg, len(data))
                self._changed.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a dropped connection ends the reader; the session reports it
            if not self.closed:
                self.disconnect_reason = f"{type(exc).__name__}: {exc}"[:200]
        else:
            if not self.closed:
                self.disconnect_reason = "server closed the connection"
        self._changed.set()

    def _handle(self, msg: ForwardMsg, size: int) -> None:
        kind = msg.WhichOneof("type")
        run = self.runs.get(msg.metadata.run.script_run_id) if msg.metadata.run.script_run_id else self.current
        if run is not None:
            run.bytes += size
            run.messages += 1
        if msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = 0
            self.cache_bytes[msg.hash] = size
        if kind == "ref_hash":
            self.cache[msg.ref_hash] = 0
            return
        if kind == "new_session":
            self._new_session(msg, size)
        elif kind == "navigation":  # names the page that runs (new_session's page_script_hash is the main script's)
            for p in msg.navigation.app_pages:
                self.page_hashes[p.url_pathname] = p.page_script_hash
                if p.page_script_hash == msg.navigation.page_script_hash:
                    self.running_page = p.url_pathname
            if msg.navigation.page_script_hash:
                self.page_hash = msg.navigation.page_script_hash
        elif kind == "delta":
            self._delta(msg)
        elif kind == "auto_rerun":
            self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self._stop_timer(fid)
        elif kind == "script_finished":
            self._finished(msg)
        for err in errors_in(msg):
            self.errors.append((time.perf_counter(), err))

    def _new_session(self, msg: ForwardMsg, size: int) -> None:
        ns = msg.new_session
        fragments = tuple(msg.metadata.run.fragment_ids)
        run = Run(msg.metadata.run.script_run_id, fragments, time.perf_counter(), bytes=size, messages=1)
        self.runs[run.id] = run
        self.current = run
        if len(self.runs) > 64:  # keep the recent runs only
            for old in list(self.runs)[:-32]:
                self.runs.pop(old)
        if ns.config.max_cached_message_age:
            self.cache_age = ns.config.max_cached_message_age
        for p in ns.app_pages:
            self.page_hashes[p.url_pathname] = p.page_script_hash
        if not fragments:  # a full run: the browser drops its timers, the page registers them again
            for fid in list(self.timers):
                self._stop_timer(fid)
            self._seen_full = set()

    def _delta(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        which = delta.WhichOneof("type")
        if which == "new_element":
            el_msg = delta.new_element
            kind = el_msg.WhichOneof("type")
            if kind not in WIDGET_ELEMENTS:
                return
            el = getattr(el_msg, kind)
        elif which == "add_block" and delta.add_block.WhichOneof("type") == "tab_container" and delta.add_block.tab_container.id:
            kind, el = "tabs", delta.add_block.tab_container
        else:
            return
        wid = el.id
        self.widgets[wid] = Drawn(kind, el, delta.fragment_id)
        key = user_key(wid)
        if key is not None:
            self.by_key[key] = wid
        self._seen_full.add(wid)
        state = shown_state(kind, el, self.states.get(wid)) if kind != "tabs" else None
        if state is not None:
            self.states[wid] = state

    def _finished(self, msg: ForwardMsg) -> None:
        run = self.runs.get(msg.metadata.run.script_run_id) or self.current
        if run is None:
            return
        run.finished, run.status = time.perf_counter(), msg.script_finished
        self.finished_runs.append(run)
        if len(self.finished_runs) > 2000:
            del self.finished_runs[:1000]
        if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY and not run.fragments:
            for wid in [w for w in self.widgets if w not in self._seen_full]:  # widgets no longer on screen
                self.widgets.pop(wid, None)
                self.states.pop(wid, None)
            self.by_key = {k: w for k, w in self.by_key.items() if w in self.widgets}
        if msg.script_finished != EARLY:
            for h in list(self.cache):
                self.cache[h] += 1
                if self.cache[h] > self.cache_age:
                    self.cache.pop(h)
                    self.cache_bytes.pop(h, None)

    # -------------------------------------------------------------- run_every timers

    def _start_timer(self, fragment: str, interval: float) -> None:
        if fragment in self.timers and self.timers[fragment][0] == interval:
            return
        self._stop_timer(fragment)
        self.timers[fragment] = (interval, asyncio.get_running_loop().create_task(self._tick(fragment, interval)))

    def _stop_timer(self, fragment: str) -> None:
        entry = self.timers.pop(fragment, None)
        if entry is not None:
            entry[1].cancel()

    async def _tick(self, fragment: str, interval: float) -> None:
        while not self.closed:
            await asyncio.sleep(interval)
            if self.acting or self.closed or self.disconnect_reason:
                continue
            try:
                await self.ws.send(self._rerun(list(self.states.values()), fragment, auto=True).SerializeToString())
            except Exception:
                return

    def ticks(self, since: float, fragment_only: bool = True) -> list[Run]:
        """Runs that finished successfully after ``since`` (fragment runs only, by default)."""
        return [r for r in self.finished_runs if r.finished and r.finished >= since and r.status in SUCCESS
                and (bool(r.fragments) or not fragment_only)]
