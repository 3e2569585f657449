"""What a student feels in the browser: headless Chromium on the real server, timed from the input event to the
updated figure on screen, with the bytes each rerun sends.

    python -m benchmarks.browser                                  # every page in benchmarks/interactions.py
    python -m benchmarks.browser --pages gan,vae --repeats 3 --out /tmp/gan_vae.json
    python -m benchmarks.browser --kinds view --repeats 3 --url http://127.0.0.1:8501   # the view controls only

For every interaction in the table (``benchmarks/interactions.py``) it repeats the input (a keyboard step on a
slider, a click on an option, a button, a step of a plotly slider) and measures:

- latency: from the input event (its ``timeStamp``, captured on ``window``) to the last redraw of the target
  figures. A plotly figure has redrawn when it fires ``plotly_afterplot`` (``plotly_animated`` for a frame of an
  animation); another element when its DOM changed. The sample ends when the app's ``data-test-script-state``
  is ``notRunning`` and nothing has changed for 300 ms, so a figure that is drawn twice counts at its last
  drawing. That holds for fragments too: only the fragment reruns, and only its figures need to redraw.
- the script time: input → the app's script state back to ``notRunning``;
- the bytes the server sent for it (CDP ``Network.webSocketFrameReceived``, decoded as ``ForwardMsg``), how
  many large messages came as a cache reference instead (``ref_hash``), and whether the rerun was partial
  (the browser's ``BackMsg`` carried a ``fragment_id``);
- round trip: whether the input sent any rerun at all. Client-side scrubbing must send none.

Live training (the ``Live`` rows): the time from Start to the first redraw, the redraws per second of the main
figure and the steps per second over ``--live-seconds``, then the pause latency: Pause → the step counter has
stopped (no change for 2 s) and the button says it is paused, with the steps the counter moved after the click.
Per tick: the bytes sent and how many plotly figures were drawn anew (a changed figure is a new chart to Streamlit's
front end, drawn in a new ``<div>``: counted when found drawn), and Chromium's CPU time (all its processes, from
/proc: steadier on a shared machine than wall time) per redraw of the main figure.

Each page opens in a fresh browser context (a new session) on one fresh server, in the table's order; its
first view is the cold one (imports, pretrained loads), then a second tab gives a warm view. The machine's load
is printed before and after; a watchdog stops everything after ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import signal
import sys
import time
from pathlib import Path

from benchmarks.interactions import REFIT, SCRUB, STEP, VIEW, Action, Click, Expand, Interaction, Live, PageBench, PlotlyScrub, Tab, Widget, pick
from benchmarks.st_protocol import bounce
from benchmarks.timing import fmt_bytes, fmt_ms, load_text, machine_load, summary

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
SETTLE_MS = 300
UNCHANGED_MS = 1500
SAMPLE_TIMEOUT = 90.0
PAUSE_QUIET_MS = 2000
FULL = {"pages": "all", "repeats": 5, "live_seconds": 5.0, "first_wait": 30.0, "timeout": 3600.0}
QUICK = {"pages": "token_sampling", "repeats": 1, "live_seconds": 2.0, "first_wait": 20.0, "timeout": 240.0}
QUICK_INTERACTIONS = 2

# Runs in every page before its own scripts: the probes the measurements read (window.__gp).
PROBE = r"""
(() => {
  if (window.__gp) return;
  const gp = window.__gp = {armed: false, tInput: null, hits: {}, states: [], observers: [], counter: null};
  const now = () => performance.now();
  for (const type of ["pointerdown", "mousedown", "keydown", "click"]) {
    window.addEventListener(type, e => { if (gp.armed && gp.tInput === null) gp.tInput = e.timeStamp; }, true);
  }
  gp.appState = () => { const a = document.querySelector('[data-testid="stApp"]'); return a ? a.getAttribute("data-test-script-state") : null; };
  const bump = (h, what) => { const t = now(); h[what] += 1; h[what + "Last"] = t; if (h[what + "First"] === null) h[what + "First"] = t; };
  // One drawing of a graph div, judged with the div's record ``slot``: null within 30 ms of its last (the same
  // drawing), "again" for Streamlit's second drawing of a new chart (hidden without a width, then at its measured
  // width: see benchmarks/README.md), within a second of its first: it ends that redraw but is not another; else "new".
  const drawing = (gd, slot) => {
    const t = now(), r = gd[slot] = gd[slot] || {last: -1e9, counted: null};
    if (t - r.last < 30) return null;
    r.last = t;
    if (r.counted !== null && t - r.counted < 1000) return "again";
    r.counted = t;
    return "new";
  };
  gp.hookPlots = (sel, root) => {
    for (const gd of root.querySelectorAll(".js-plotly-plot")) {
      if (typeof gd.on !== "function") continue;
      gd.__gpSels = gd.__gpSels || new Set();
      if (gd.__gpSels.has(sel)) continue;
      gd.__gpSels.add(sel);
      // A changed figure is a new chart to Streamlit (its id hashes the figure): a new div, often drawn before this
      // hook sees it (its afterplot already fired), so a div found drawn counts as one redraw (see ``drawing``).
      const drawn = () => {
        const h = gp.hits[sel];
        const kind = h ? drawing(gd, "__gpPlot") : null;
        if (kind === "new") bump(h, "plots");
        else if (kind === "again") h.plotsLast = now();
      };
      if (gd.__gpBorn === undefined) {  // a div that appeared since the probe was armed
        gd.__gpBorn = now();
        if (gd._fullLayout && gd._fullData) drawn();
      }
      gd.on("plotly_afterplot", drawn);
      gd.on("plotly_animated", () => { const h = gp.hits[sel]; if (h) bump(h, "anims"); });
    }
  };
  gp.plotsAll = 0;  // every plotly figure's redraws on the page (figures redrawn per live tick)
  gp.hookAll = () => {
    for (const gd of document.querySelectorAll(".js-plotly-plot")) {
      if (typeof gd.on !== "function" || gd.__gpAll) continue;
      gd.__gpAll = true;
      const drawn = () => { if (drawing(gd, "__gpAllPlot") === "new") gp.plotsAll += 1; };
      if (gd.__gpBorn === undefined && gd._fullLayout && gd._fullData) drawn();  // drawn before this hook saw it (see hookPlots)
      gd.on("plotly_afterplot", drawn);
    }
  };
  gp.resolve = () => {
    gp.hookAll();
    for (const [sel, h] of Object.entries(gp.hits)) {
      const root = document.querySelector(sel);
      if (root && root !== h.root) {
        if (h.root !== null || h.missingAtArm) h.appeared = now();  // drawn for the first time, or anew
        h.root = root;
        const mo = new MutationObserver(() => { bump(h, "muts"); gp.hookPlots(sel, root); });
        mo.observe(root, {subtree: true, childList: true, attributes: true, characterData: true});
        gp.observers.push(mo);
      }
      if (root) gp.hookPlots(sel, root);
    }
  };
  gp.disarm = () => {
    gp.armed = false;
    for (const o of gp.observers) o.disconnect();
    gp.observers = [];
    if (gp.timer) clearInterval(gp.timer);
  };
  gp.arm = (sels, input = true) => {
    gp.disarm();
    gp.tInput = null; gp.armed = input; gp.t0 = now();
    for (const gd of document.querySelectorAll(".js-plotly-plot")) if (gd.__gpBorn === undefined) gd.__gpBorn = -1;  // drawn before
    gp.states = [[now(), gp.appState()]];
    const app = document.querySelector('[data-testid="stApp"]');
    const mo = new MutationObserver(() => {
      const s = gp.appState();
      if (s !== gp.states[gp.states.length - 1][1]) gp.states.push([now(), s]);
    });
    mo.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
    gp.observers.push(mo);
    gp.hits = {};
    for (const sel of sels) {
      gp.hits[sel] = {root: null, missingAtArm: !document.querySelector(sel), appeared: null,
                      muts: 0, mutsFirst: null, mutsLast: null, plots: 0, plotsFirst: null, plotsLast: null,
                      anims: 0, animsFirst: null, animsLast: null};
    }
    gp.resolve();
    gp.timer = setInterval(gp.resolve, 50);
  };
  gp.status = () => {
    const hits = {};
    for (const [sel, h] of Object.entries(gp.hits)) {
      const {root, ...rest} = h;
      hits[sel] = {...rest, found: !!root, plotly: !!(root && root.querySelector(".js-plotly-plot"))};
    }
    return {now: now(), tInput: gp.tInput, state: gp.appState(), states: gp.states, hits};
  };
  gp.readCounter = (spec) => {
    let text = null;
    if (spec.metric) {
      for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
        const l = m.querySelector('[data-testid="stMetricLabel"]');
        if (l && l.innerText.trim() === spec.metric) {
          const v = m.querySelector('[data-testid="stMetricValue"]');
          text = v ? v.innerText : null;
          break;
        }
      }
    } else if (spec.progress) {
      const p = document.querySelector('[data-testid="stProgress"]');
      text = p ? (p.innerText || (p.parentElement && p.parentElement.innerText)) : null;
    }
    if (!text) return null;
    const m = text.match(/\d+(?:[.,\u00a0\u202f ]\d{3})*/);
    return m ? parseInt(m[0].replace(/\D/g, ""), 10) : null;
  };
  gp.isPaused = (spec) => {
    if (spec.shown && document.querySelector(spec.shown + " button")) return true;
    const b = document.querySelector(spec.sel + " button");
    if (!b) return null;
    return spec.enabled ? !b.disabled : spec.label ? b.innerText.includes(spec.label) : false;
  };
  gp.watchCounter = (spec, paused) => {
    if (gp.counterTimer) clearInterval(gp.counterTimer);
    gp.counter = {values: [], paused: []};
    const tick = () => {
      const t = now(), v = gp.readCounter(spec), p = paused ? gp.isPaused(paused) : null;
      const vs = gp.counter.values, ps = gp.counter.paused;
      if (!vs.length || vs[vs.length - 1][1] !== v) vs.push([t, v]);
      if (!ps.length || ps[ps.length - 1][1] !== p) ps.push([t, p]);
    };
    tick();
    gp.counterTimer = setInterval(tick, 50);
  };
  gp.scrubTarget = (sel, dir) => {
    const gd = document.querySelector(sel + " .js-plotly-plot");
    if (!gd || !gd._fullLayout || !gd._fullLayout.sliders || !gd._fullLayout.sliders.length) return null;
    const sl = gd._fullLayout.sliders[0];
    const n = sl.steps.length, active = sl.active || 0;
    const stride = Math.max(1, Math.floor(n / 5));
    let target = active + dir * stride;
    if (target < 0 || target >= n) { dir = -dir; target = Math.min(n - 1, Math.max(0, active + dir * stride)); }
    const rail = gd.querySelector(".slider-container .slider-rail-touch-rect") || gd.querySelector(".slider-container .slider-rail-rect");
    if (!rail) return null;
    const r = rail.getBoundingClientRect();
    const ticks = gd.querySelectorAll(".slider-container .slider-tick-rect");
    let x;
    if (ticks.length === n) { const b = ticks[target].getBoundingClientRect(); x = b.left + b.width / 2; }
    else { const inset = sl.pad ? 8 : 8; x = r.left + inset + (r.width - 2 * inset) * target / Math.max(1, n - 1); }
    const grip = gd.querySelector(".slider-container .slider-grip-rect");
    const y = grip ? grip.getBoundingClientRect().top + grip.getBoundingClientRect().height / 2 : r.top + r.height / 2;
    return {x, y, target, active, n, dir};
  };
  gp.scrubActive = (sel) => {
    const gd = document.querySelector(sel + " .js-plotly-plot");
    return gd && gd._fullLayout && gd._fullLayout.sliders && gd._fullLayout.sliders.length ? gd._fullLayout.sliders[0].active : null;
  };
})();
"""


def css_key(key: str) -> str:
    """The class Streamlit puts on an element with this key (as its frontend spells it)."""
    return ".st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


class BenchTimeout(Exception):
    pass


# ---------------------------------------------------------------- decoding what went over the websocket

def decode_frames(frames: list[tuple[str, bytes]], known_sizes: dict[str, int]) -> dict:
    """Bytes and messages from the server, cache references, the reruns the browser asked for, and what was big."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from benchmarks.st_protocol import user_key

    out = {"bytes": 0, "messages": 0, "ref_hits": 0, "ref_bytes_saved": 0, "reruns_sent": 0, "fragment_reruns": 0,
           "auto_reruns": 0, "pressed": [], "sent": [], "by_element": {}}
    for direction, data in frames:
        if direction == "S":
            msg = BackMsg()
            try:
                msg.ParseFromString(data)
            except Exception:
                continue
            if msg.WhichOneof("type") == "rerun_script":
                out["reruns_sent"] += 1
                out["fragment_reruns"] += bool(msg.rerun_script.fragment_id)
                out["auto_reruns"] += msg.rerun_script.is_auto_rerun
                pressed = [user_key(w.id) for w in msg.rerun_script.widget_states.widgets
                           if w.WhichOneof("value") == "trigger_value" and w.trigger_value]
                out["pressed"] += pressed
                if len(out["sent"]) < 200:
                    out["sent"].append({"fragment": bool(msg.rerun_script.fragment_id), "auto": msg.rerun_script.is_auto_rerun,
                                        "pressed": pressed})
            continue
        out["bytes"] += len(data)
        out["messages"] += 1
        msg = ForwardMsg()
        try:
            msg.ParseFromString(data)
        except Exception:
            continue
        if msg.metadata.cacheable and msg.hash:
            known_sizes[msg.hash] = len(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            out["ref_hits"] += 1
            out["ref_bytes_saved"] += known_sizes.get(msg.ref_hash, 0)
            continue
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            t = el.WhichOneof("type")
            key = user_key(getattr(getattr(el, t), "id", "") or "") if t else None
            name = f"{t}:{key}" if key else t
            out["by_element"][name] = out["by_element"].get(name, 0) + len(data)
    top = sorted(out.pop("by_element").items(), key=lambda kv: -kv[1])[:5]
    out["largest"] = [{"element": k, "bytes": v} for k, v in top]
    return out


# ---------------------------------------------------------------- one browser tab

class Tab_:
    """A page in Chromium with the probes installed and its websocket frames recorded."""

    def __init__(self, context, lang: str):
        self.page = context.new_page()
        self.lang = lang
        self.frames: list[tuple[str, bytes]] = []
        self.known_sizes: dict[str, int] = {}
        self.directions: dict[str, int] = {}
        cdp = self.cdp = context.new_cdp_session(self.page)
        cdp.send("Network.enable")
        cdp.send("Performance.enable")
        cdp.on("Network.webSocketFrameReceived", lambda e: self._frame("R", e))
        cdp.on("Network.webSocketFrameSent", lambda e: self._frame("S", e))
        self.page.add_init_script(PROBE)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)[:200]))

    def _frame(self, direction: str, event: dict) -> None:
        r = event["response"]
        data = base64.b64decode(r["payloadData"]) if r.get("opcode") == 2 else r["payloadData"].encode()
        self.frames.append((direction, data))

    def renderer_cpu(self) -> dict[str, float]:
        """The page's main-thread seconds so far (DevTools ``Performance.getMetrics``): all tasks, script, layout."""
        m = {x["name"]: x["value"] for x in self.cdp.send("Performance.getMetrics")["metrics"]}
        return {k: m.get(k, 0.0) for k in ("TaskDuration", "ScriptDuration", "LayoutDuration")}

    def t(self, key: str) -> str:
        from ui import text

        return text.lookup(self.lang, key)

    # -------------------------------------------------------------- waiting

    def state(self) -> str | None:
        return self.page.evaluate("() => window.__gp ? __gp.appState() : null")

    def wait_quiet(self, timeout: float = SAMPLE_TIMEOUT, quiet: float = 0.3) -> bool:
        """Until the script is not running and has not started again for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        calm_since = None
        while time.monotonic() < deadline:
            if self.state() == "notRunning":
                calm_since = calm_since or time.monotonic()
                if time.monotonic() - calm_since >= quiet:
                    return True
            else:
                calm_since = None
            time.sleep(0.05)
        return False

    def open(self, url: str, timeout: float = 300.0) -> dict:
        """Go to ``url``; seconds until the script has run and the app has stayed quiet for 1 s."""
        n0 = len(self.frames)
        t0 = time.perf_counter()
        self.page.goto(url, timeout=timeout * 1000)
        self.page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout * 1000)
        deadline = time.monotonic() + timeout
        ran, done_at, calm_since = False, None, None
        seen = n0
        while time.monotonic() < deadline:
            s = self.state()
            if not ran and s == "notRunning":  # a fast run can start and end between two polls
                ran, seen = self._script_finished(seen), len(self.frames)
            if s == "running":
                ran, done_at, calm_since = True, None, None
            elif s == "notRunning" and ran:
                done_at = done_at or time.perf_counter()
                calm_since = calm_since or time.monotonic()
                if time.monotonic() - calm_since >= 1.0:
                    break
            time.sleep(0.05)
        else:
            return {"seconds": None, "timed_out": True}
        self.page.wait_for_timeout(200)
        charts = self.page.evaluate("() => document.querySelectorAll('.js-plotly-plot').length")
        info = decode_frames(self.frames[n0:], self.known_sizes)
        return {"seconds": done_at - t0, "charts": charts, "bytes": info["bytes"], "largest": info["largest"]}

    # -------------------------------------------------------------- inputs

    def container(self, key: str):
        loc = self.page.locator(css_key(key)).first
        loc.wait_for(state="attached", timeout=60_000)
        return loc

    def button_key(self, click: Click, timeout: float = 60.0) -> str:
        """The first of the click's keys that is on screen (waiting for one to be)."""
        deadline = time.monotonic() + timeout
        while True:
            for key in click.keys:
                if self.page.locator(css_key(key) + " button").count():
                    return key
            if time.monotonic() > deadline:
                raise RuntimeError(f"no button {' or '.join(click.keys)} on the page")
            time.sleep(0.1)

    def plan(self, action: Action, setup: bool = False):
        """Do what comes before the timed input (scroll, open a dropdown); return the input itself, or None
        when nothing needs doing (an expander already open, a tab already shown)."""
        page = self.page
        if isinstance(action, Click):
            button = self.container(self.button_key(action)).locator("button").first
            if button.is_disabled():
                raise RuntimeError(f"the button {action.key} is disabled")
            return self._clicker(button)
        if isinstance(action, Tab):
            tab = page.get_by_role("tab", name=self.t(action.label), exact=True).first
            if tab.get_attribute("aria-selected") == "true":
                return None
            return self._clicker(tab)
        if isinstance(action, Expand):
            summary_ = page.locator('[data-testid="stExpander"] summary', has_text=self.t(action.label)).first
            if summary_.evaluate("s => s.parentElement.open"):
                return None
            return self._clicker(summary_)
        if isinstance(action, PlotlyScrub):
            sel = css_key(action.chart)
            page.locator(sel).first.scroll_into_view_if_needed()
            target = page.evaluate("([s, d]) => __gp.scrubTarget(s, d)", [sel, self.directions.get(sel, 1)])
            if target is None:
                raise RuntimeError(f"no plotly slider in {action.chart}")
            self.directions[sel] = target["dir"]
            return lambda: page.mouse.click(target["x"], target["y"])
        if isinstance(action, Widget):
            return self._plan_widget(action, setup)
        raise TypeError(action)

    def _plan_widget(self, w: Widget, setup: bool):
        box = self.container(w.key)
        box.scroll_into_view_if_needed()
        kind = box.evaluate("""b => { for (const t of ["stSlider", "stSelectbox", "stButtonGroup", "stRadio", "stNumberInput",
                                         "stCheckbox", "stToggle", "stTextArea", "stButton"])
                                         if (b.querySelector(`[data-testid="${t}"]`)) return t; return null; }""")
        option = self.t(w.to) if w.to else w.value
        step = self.directions.get(w.key, 1)
        if kind == "stSlider" and option is None:
            inp = box.locator('input[type="range"]').first
            value, lo, hi, st = inp.evaluate("e => [Number(e.value), Number(e.min), Number(e.max), Number(e.step) || 1]")
            if not lo <= value + step * st <= hi:
                step = -step
            self.directions[w.key] = step
            inp.focus()
            return lambda: self.page.keyboard.press("ArrowRight" if step > 0 else "ArrowLeft")
        if kind == "stButtonGroup":
            buttons = box.locator("button")
            texts = [t.strip() for t in buttons.all_inner_texts()]
            active = box.evaluate("""b => Array.from(b.querySelectorAll('button')).map(
                                     x => x.getAttribute('aria-checked') === 'true' || x.getAttribute('aria-pressed') === 'true'
                                          || (x.getAttribute('data-testid') || '').endsWith('Active'))""")  # 1.67: aria-checked
            if option is None:
                i, self.directions[w.key] = bounce(active.index(True) if True in active else 0, len(texts), step)
            else:
                i = next((k for k, t in enumerate(texts) if t == option or t.endswith(option)), None)
                if i is None:
                    raise RuntimeError(f"{w.key}: no option {option!r} in {texts}")
                if setup and active[i]:
                    return None  # already chosen (a measured input toggles a pill instead)
            target = buttons.nth(i)
            return self._clicker(target)
        if kind == "stRadio":
            labels = box.locator("label:has(input[type=radio])")
            texts = [t.strip() for t in labels.all_inner_texts()]
            checked = box.evaluate("b => Array.from(b.querySelectorAll('input[type=radio]')).findIndex(x => x.checked)")
            if option is None:
                i, self.directions[w.key] = bounce(max(checked, 0), len(texts), step)
            else:
                i = texts.index(option)
                if setup and i == checked:
                    return None
            target = labels.nth(i)
            return self._clicker(target)
        if kind == "stSelectbox":
            field = box.locator('input[role="combobox"]').first
            current = field.input_value()
            if setup and option is not None and current == option:
                return None
            self._clicker(field)()
            options = self.page.locator('[role="listbox"] [role="option"]')
            options.first.wait_for(timeout=10_000)
            texts = [t.strip() for t in options.all_inner_texts()]
            if option is None:
                i, self.directions[w.key] = bounce(texts.index(current) if current in texts else 0, len(texts), step)
            else:
                i = texts.index(option)
            target = options.nth(i)
            return self._clicker(target)
        if kind == "stNumberInput" and option is None:
            up, down = box.locator('[data-testid="stNumberInputStepUp"]'), box.locator('[data-testid="stNumberInputStepDown"]')
            if (up if step > 0 else down).is_disabled():
                step = -step
            self.directions[w.key] = step
            target = up if step > 0 else down
            return self._clicker(target)
        if kind in ("stCheckbox", "stToggle"):
            target = box.locator("label").first
            return self._clicker(target)
        if kind == "stSlider" and option is not None:  # a (select) slider set to a shown value, by arrow keys
            inp = box.locator('input[type="range"]').first
            thumb = box.locator('[data-testid="stSliderThumbValue"]').first
            inp.focus()
            for _ in range(200):
                if thumb.inner_text().strip() == option:
                    return None if setup else (lambda: None)
                self.page.keyboard.press("ArrowRight")
                self.page.wait_for_timeout(30)
            raise RuntimeError(f"{w.key}: no value {option!r} reached with the arrow keys")
        raise RuntimeError(f"{w.key}: cannot drive a {kind} here")

    def _clicker(self, locator):
        """A click at the element's centre, by the mouse: ``locator.click()`` also waits for "scheduled
        navigations", and Streamlit's history updates (the ``?lang=`` query) can hold it for its whole timeout."""
        locator.scroll_into_view_if_needed()
        locator.wait_for(state="visible", timeout=30_000)

        def click() -> None:
            box = locator.bounding_box()
            if box is None:
                raise RuntimeError(f"{locator} has no box to click")
            self.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

        return click

    def _script_finished(self, since: int) -> bool:
        """Has the server sent a ``script_finished`` since frame ``since``?"""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        for direction, data in self.frames[since:]:
            if direction == "R":
                msg = ForwardMsg()
                try:
                    msg.ParseFromString(data)
                except Exception:
                    continue
                if msg.WhichOneof("type") == "script_finished":
                    return True
        return False

    def _pressed(self, since: int, keys: tuple[str, ...], timeout: float) -> bool:
        """Has the browser sent a rerun pressing one of these buttons since frame ``since``?"""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            if set(decode_frames(self.frames[since:], {})["pressed"]) & set(keys):
                return True
        return False

    def setup(self, actions, timeout: float = SAMPLE_TIMEOUT) -> None:
        for action in actions:
            act = self.plan(action, setup=True)
            if act is not None:
                act()
                time.sleep(0.2)
                self.wait_quiet(timeout)

    # -------------------------------------------------------------- one timed input

    def _chosen(self, w: Widget) -> bool:
        """Is ``w.to`` already the choice of its single-choice widget? Choosing it again would change nothing (a
        required segmented control, a radio, a select box), so each sample would wait out its timeout."""
        box = self.container(w.key)
        return bool(box.evaluate("""(b, option) => {
            const same = t => { t = t.trim(); return t === option || t.endsWith(option); };
            const radios = Array.from(b.querySelectorAll('button[role="radio"]'));
            if (radios.length) return radios.some(x => x.getAttribute('aria-checked') === 'true' && same(x.innerText));
            const checked = Array.from(b.querySelectorAll('label:has(input[type=radio])')).find(l => l.querySelector('input').checked);
            if (checked) return same(checked.innerText);
            const combo = b.querySelector('input[role="combobox"]');
            return combo ? same(combo.value) : false;
        }""", self.t(w.to)))

    def measure(self, action: Action, charts: tuple[str, ...], timeout: float = SAMPLE_TIMEOUT) -> dict:
        self.wait_quiet(timeout)
        if isinstance(action, Widget) and action.to is not None and self._chosen(action):
            self.setup((Widget(action.key),))  # untimed: one option over, so the timed input chooses ``to`` again
            self.wait_quiet(timeout)
        act = self.plan(action)
        if act is None:
            return {"latency": None, "skipped": "nothing to do"}
        sels = [css_key(c) for c in charts]
        n0 = len(self.frames)
        active_before = self.page.evaluate("s => __gp.scrubActive(s)", sels[0]) if isinstance(action, PlotlyScrub) else None
        self.page.evaluate("s => __gp.arm(s)", sels)
        act()
        deadline = time.monotonic() + timeout
        timed_out = True
        while time.monotonic() < deadline:
            st = self.page.evaluate("() => __gp.status()")
            if _judge(st)[0]:
                timed_out = False
                break
            time.sleep(0.05)
        self.page.evaluate("() => __gp.disarm()")
        self.page.wait_for_timeout(150)  # the last websocket frames' CDP events
        _, latency, script, unchanged = _judge(st)
        info = decode_frames(self.frames[n0:], self.known_sizes)
        row = {"latency": latency, "script": script, "timed_out": timed_out, "unchanged": unchanged, **info,
               "redraws": {s: h["plots"] + h["anims"] for s, h in st["hits"].items()}}
        if isinstance(action, PlotlyScrub):
            row["frame_before"], row["frame_after"] = active_before, self.page.evaluate("s => __gp.scrubActive(s)", sels[0])
        return row

    # -------------------------------------------------------------- live training

    def live(self, spec: Live, seconds: float, timeout: float = SAMPLE_TIMEOUT, first_wait: float = 30.0) -> dict:
        out: dict = {}
        self.setup(spec.setup)
        self.wait_quiet(timeout)
        chart = css_key(spec.chart)
        counter = {"metric": self.t(spec.counter.metric) if spec.counter.metric else None, "progress": spec.counter.progress}
        paused = {"sel": css_key(spec.paused.key), "label": self.t(spec.paused.label) if spec.paused.label else None,
                  "enabled": spec.paused.enabled, "shown": css_key(spec.paused.shown) if spec.paused.shown else None}
        # Start → the first visible feedback (the step counter or progress bar appears or moves) and the first
        # redraw of the live figure (which some pages draw only after the first evaluation)
        start = self.plan(spec.start)
        self.page.evaluate("s => __gp.arm(s)", [chart])
        self.page.evaluate("([c, p]) => __gp.watchCounter(c, p)", [counter, paused])
        n_start = len(self.frames)
        start()
        if not self._pressed(n_start, spec.start.keys, 3.0):  # the click met an overlay (an open menu, a tooltip)
            out["start_retried"] = True
            self.page.keyboard.press("Escape")
            self.page.evaluate("() => { __gp.tInput = null; }")
            start = self.plan(spec.start)
            start()
        deadline = time.monotonic() + first_wait
        first = feedback = None
        while time.monotonic() < deadline and first is None:
            st = self.page.evaluate("() => __gp.status()")
            first = _first_update(st)
            if feedback is None:
                feedback = _first_feedback(st["tInput"], self.page.evaluate("() => __gp.counter.values"))
            time.sleep(0.05)
        out["start_to_feedback"] = min(x for x in (first, feedback) if x is not None) if first or feedback else None
        out["start_to_first_redraw"] = first
        if first is None:
            out["note"] = f"no redraw of {spec.chart} within {first_wait:.0f} s of Start"
        # watch it train
        n0 = len(self.frames)
        self.page.evaluate("([c, p]) => __gp.watchCounter(c, p)", [counter, paused])
        self.page.evaluate("s => __gp.arm(s, false)", [chart])
        self.page.evaluate("() => { __gp.plotsAll = 0; }")
        from benchmarks.live_figures import chromium_cpu

        cpu0, proc0 = self.renderer_cpu(), chromium_cpu()
        t0 = time.perf_counter()
        self.page.wait_for_timeout(seconds * 1000)
        st = self.page.evaluate("() => __gp.status()")
        watched = time.perf_counter() - t0
        cpu1, proc1 = self.renderer_cpu(), chromium_cpu()
        plots_all = self.page.evaluate("() => __gp.plotsAll")
        values = [v for _, v in self.page.evaluate("() => __gp.counter.values") if v is not None]
        info = decode_frames(self.frames[n0:], self.known_sizes)
        h = st["hits"][chart]
        redraws = h["plots"] + h["anims"] if h["plotly"] else h["muts"]
        out.update(watched_seconds=watched, redraws=redraws, redraws_per_s=redraws / watched,
                   counter_updates_per_s=max(0, len(values) - 1) / watched,
                   steps_per_s=(values[-1] - values[0]) / watched if len(values) >= 2 else None,
                   bytes_per_s=info["bytes"] / watched, bytes_per_redraw=info["bytes"] / redraws if redraws else None,
                   ticks_sent=info["auto_reruns"],
                   # Chromium's CPU (every process, /proc: steady on a loaded machine) per redraw of the main figure;
                   # the renderer's main thread (DevTools: wall time of its tasks) as a share of the time watched
                   chromium_cpu_share=(proc1 - proc0) / watched,
                   chromium_cpu_per_redraw=(proc1 - proc0) / redraws if redraws else None,
                   renderer_cpu_share=(cpu1["TaskDuration"] - cpu0["TaskDuration"]) / watched,
                   renderer_script_share=(cpu1["ScriptDuration"] - cpu0["ScriptDuration"]) / watched,
                   renderer_cpu_per_redraw=(cpu1["TaskDuration"] - cpu0["TaskDuration"]) / redraws if redraws else None,
                   renderer_cpu_per_tick=(cpu1["TaskDuration"] - cpu0["TaskDuration"]) / info["auto_reruns"] if info["auto_reruns"] else None,
                   plotly_redraws_per_tick=plots_all / info["auto_reruns"] if info["auto_reruns"] else None,
                   bytes_per_tick=info["bytes"] / info["auto_reruns"] if info["auto_reruns"] else None)
        # Pause → the counter stops and the button says so
        keys = [k for k in spec.pause.keys if self.page.locator(css_key(k) + " button").count()]
        pause_btn = self.page.locator(css_key(keys[0]) + " button").first if keys else None
        if pause_btn is None or pause_btn.is_disabled():
            out["pause"] = {"latency": None, "note": "training had ended before the pause"}
            return out
        self.page.evaluate("([c, p]) => __gp.watchCounter(c, p)", [counter, paused])
        self.page.evaluate("s => __gp.arm(s)", [chart])
        n1 = len(self.frames)
        self._clicker(pause_btn)()
        deadline = time.monotonic() + max(timeout, 30)
        result = None
        while time.monotonic() < deadline:
            result = self.page.evaluate("() => ({t: __gp.tInput, now: performance.now(), c: __gp.counter, state: __gp.appState()})")
            judged = _judge_pause(result)
            if judged["done"]:
                break
            time.sleep(0.1)
        self.page.evaluate("() => { clearInterval(__gp.counterTimer); __gp.disarm(); }")
        self.page.wait_for_timeout(150)
        out["pause"] = _judge_pause(result) if result else {"latency": None}
        sent = decode_frames(self.frames[n1:], self.known_sizes)
        out["pause"].update(reruns_sent=sent["reruns_sent"], pressed=sent["pressed"], ticks_after_click=sent["auto_reruns"],
                            presses=[dict(i=i, **e) for i, e in enumerate(sent["sent"]) if e["pressed"]])
        return out


def _updates(h: dict, t_input: float) -> list[float]:
    """Times the target redrew after the input: plotly's own events when it has them, else DOM changes."""
    times = [h["appeared"]] if h["appeared"] is not None else []
    if h["plots"] or h["anims"]:
        times += [h["plotsLast"], h["animsLast"]]
    elif not h["plotly"]:
        times += [h["mutsLast"]]
    return [t for t in times if t is not None and t >= t_input]


def _judge(st: dict) -> tuple[bool, float | None, float | None, bool]:
    """(done, seconds input → last redraw, seconds input → script not running, unchanged).

    Unchanged: the rerun finished and the app stayed quiet for ``UNCHANGED_MS`` without the figures redrawing
    (the server re-sent identical figures, which arrive as cache references and are not drawn again); the
    latency is then the script time, when the screen is final."""
    t_in = st["tInput"]
    if t_in is None:
        return False, None, None, False
    updates = [t for h in st["hits"].values() for t in _updates(h, t_in)]
    states = st["states"]
    last_change = states[-1][0]
    ran = [t for t, s in states if t >= t_in and s == "notRunning"]
    script = (ran[-1] - t_in) / 1000 if ran and len(states) > 1 else None
    latency = (max(updates) - t_in) / 1000 if updates else None
    quiet_since = max([t_in, last_change, *updates])
    calm = st["state"] == "notRunning"
    if updates:
        return calm and st["now"] - quiet_since >= SETTLE_MS, latency, script, False
    reran = any(s == "running" for t, s in states if t >= t_in)
    unchanged = reran and calm and st["now"] - quiet_since >= UNCHANGED_MS
    return unchanged, script if unchanged else None, script, unchanged


def _first_update(st: dict) -> float | None:
    t_in = st["tInput"]
    if t_in is None:
        return None
    firsts = []
    for h in st["hits"].values():
        for key in ("appeared", "plotsFirst", "animsFirst"):
            if h[key] is not None and h[key] >= t_in:
                firsts.append(h[key])
    return (min(firsts) - t_in) / 1000 if firsts else None


def _first_feedback(t_input: float | None, values: list) -> float | None:
    """Seconds from the input to the first time the step counter showed a value other than the one it had."""
    if t_input is None or not values:
        return None
    before = [v for t, v in values if t <= t_input]
    was = before[-1] if before else None
    after = [t for t, v in values if t > t_input and v is not None and v != was]
    return (after[0] - t_input) / 1000 if after else None


def _judge_pause(r: dict) -> dict:
    t_in, now, c = r["t"], r["now"], r["c"]
    if t_in is None or c is None:
        return {"done": False, "latency": None}
    values = [(t, v) for t, v in c["values"] if v is not None]
    before = [v for t, v in values if t <= t_in]
    at_click = before[-1] if before else (values[0][1] if values else None)
    last_change = max([t for t, _ in values if t > t_in], default=t_in)
    shown = [t for t, p in c["paused"] if p and t >= t_in]
    shown_at = shown[0] if shown and c["paused"][-1][1] else None
    stopped = now - last_change >= PAUSE_QUIET_MS
    done = stopped and shown_at is not None and r["state"] == "notRunning"
    latency = (max(last_change, shown_at) - t_in) / 1000 if shown_at is not None else None
    final = values[-1][1] if values else None
    return {"done": done, "latency": latency, "button_latency": (shown_at - t_in) / 1000 if shown_at is not None else None,
            "counter_stopped_after": (last_change - t_in) / 1000, "counter_at_click": at_click, "counter_final": final,
            "steps_after_click": final - at_click if final is not None and at_click is not None else None}


# ---------------------------------------------------------------- a page

def bench_page(browser, base: str, pb: PageBench, repeats: int, lang: str, live_seconds: float, deadline: float,
               first_wait: float = 30.0, warm_view: bool = True, max_interactions: int | None = None,
               kinds: frozenset[str] | None = None) -> dict:
    from tests.browser_utils import VIEWPORT

    context = browser.new_context(viewport=VIEWPORT)
    out: dict = {"page": pb.key, "interactions": [], "live": None}
    try:
        tab = Tab_(context, lang)
        url = f"{base}/{pb.path}?lang={lang}"
        out["load_cold"] = tab.open(url)
        if warm_view:
            second = Tab_(context, lang)
            out["load_warm"] = second.open(url)
            second.page.close()
        for inter in [i for i in pb.interactions if kinds is None or i.kind in kinds][:max_interactions]:
            if time.monotonic() > deadline:
                out["interactions"].append({"name": inter.name, "kind": inter.kind, "error": "out of time"})
                continue
            if pb.reset is not None:
                tab.setup((pb.reset,))
            out["interactions"].append(bench_interaction(tab, inter, repeats))
            print(f"  {pb.key:30s} {inter.name:24s} {_row_text(out['interactions'][-1])}", flush=True)
        if pb.live is not None and (kinds is None or "live" in kinds) and time.monotonic() < deadline:
            try:
                if pb.reset is not None:
                    tab.setup((pb.reset,))
                out["live"] = tab.live(pb.live, live_seconds, first_wait=first_wait)
            except Exception as exc:
                out["live"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            print(f"  {pb.key:30s} live: {json.dumps(out['live'], default=str)[:300]}", flush=True)
        out["page_errors"] = tab.errors
    finally:
        context.close()
    return out


def bench_interaction(tab: Tab_, inter: Interaction, repeats: int) -> dict:
    row: dict = {"name": inter.name, "kind": inter.kind, "act": type(inter.act).__name__, "samples": []}
    try:
        tab.setup(inter.setup)
        for _ in range(repeats):
            row["samples"].append(tab.measure(inter.act, inter.charts))
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"[:300]
    done = [s for s in row["samples"] if s.get("latency") is not None and not s.get("timed_out")]
    row["latency"] = summary([s["latency"] for s in done])
    row["script"] = summary([s["script"] for s in done if s.get("script") is not None])
    row["bytes"] = summary([s["bytes"] for s in row["samples"] if "bytes" in s])
    row["timeouts"] = sum(bool(s.get("timed_out")) for s in row["samples"])
    row["unchanged"] = sum(bool(s.get("unchanged")) for s in row["samples"])
    reruns = [s.get("reruns_sent", 0) for s in row["samples"] if "reruns_sent" in s]
    frag = [s.get("fragment_reruns", 0) for s in row["samples"] if "reruns_sent" in s]
    row["round_trip"] = any(reruns)
    row["scope"] = "none" if not any(reruns) else "fragment" if sum(frag) == sum(reruns) else "page" if not any(frag) else "mixed"
    return row


# ---------------------------------------------------------------- report

def _row_text(r: dict) -> str:
    if "error" in r and not r.get("samples"):
        return f"ERROR {r['error']}"
    lat = r["latency"]
    return (f"median {fmt_ms(lat['p50'])}  p95 {fmt_ms(lat['p95'])}  n={lat['n']}  bytes {fmt_bytes(r['bytes']['p50'])}  "
            f"scope {r['scope']}" + (f"  timeouts {r['timeouts']}" if r["timeouts"] else "") + (f"  ERROR {r['error']}" if "error" in r else ""))


def markdown(pages: list[dict]) -> str:
    lines = ["| page | interaction | kind | median | p95 | n | script median | bytes / rerun (median) | rerun | timeouts · no redraw |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for p in pages:
        for r in p["interactions"]:
            if "latency" not in r:
                lines.append(f"| {p['page']} | {r['name']} | {r['kind']} | – | – | 0 | – | – | {r.get('error', '')} | – |")
                continue
            rerun = {"none": "none (client-side)", "fragment": "fragment", "page": "whole page", "mixed": "mixed"}[r["scope"]]
            if r["kind"] == SCRUB and r["scope"] == "none":
                rerun = "**none (client-side)**"
            lines.append(f"| {p['page']} | {r['name']} | {r['kind']} | {fmt_ms(r['latency']['p50'])} | {fmt_ms(r['latency']['p95'])} | "
                         f"{r['latency']['n']} | {fmt_ms(r['script']['p50'])} | {fmt_bytes(r['bytes']['p50'])} | {rerun} | "
                         f"{r['timeouts']} · {r['unchanged']}{' · ' + r['error'] if 'error' in r else ''} |")
    lines += ["", "| page | first view (cold) | second view (warm) | bytes (first view) | charts |", "|---|---|---|---|---|"]
    for p in pages:
        c, w = p.get("load_cold", {}), p.get("load_warm", {})
        lines.append(f"| {p['page']} | {fmt_ms(c.get('seconds'))} | {fmt_ms(w.get('seconds'))} | {fmt_bytes(c.get('bytes'))} | {c.get('charts', '–')} |")
    live = [p for p in pages if p.get("live")]
    if live:
        lines += ["", "| page | start → first feedback | start → first figure | figure redraws / s | counter updates / s | steps / s | "
                      "bytes / s | bytes / tick | figures drawn / tick | Chromium CPU (per redraw) | pause latency | steps after the click |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for p in live:
            v = p["live"]
            if "error" in v:
                lines.append(f"| {p['page']} | {v['error']} | | | | | | | | | | |")
                continue
            pz = v.get("pause", {})
            steps = v.get("steps_per_s")
            if pz.get("latency") is None and "note" not in pz and pz:
                pz = {**pz, "note": f"**not paused** {pz.get('counter_stopped_after', 0):.0f} s after the click"}
            lines.append(f"| {p['page']} | {fmt_ms(v.get('start_to_feedback'))} | {fmt_ms(v.get('start_to_first_redraw'))} | "
                         f"{v['redraws_per_s']:.1f} | {v.get('counter_updates_per_s', float('nan')):.1f} | "
                         f"{'–' if steps is None else f'{steps:,.0f}'} | {fmt_bytes(v['bytes_per_s'])} | {fmt_bytes(v.get('bytes_per_tick'))} | "
                         f"{_num(v.get('plotly_redraws_per_tick'), '.1f')} | {_cpu(v)} | "
                         f"{fmt_ms(pz.get('latency')) if pz.get('latency') is not None else pz.get('note', '–')} | "
                         f"{'–' if pz.get('steps_after_click') is None else pz['steps_after_click']} |")
    return "\n".join(lines)


def _num(x: float | None, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def _cpu(v: dict) -> str:
    """Chromium's share of a core while training (CPU time), and its milliseconds per redraw of the main figure."""
    share, per = v.get("chromium_cpu_share"), v.get("chromium_cpu_per_redraw")
    if share is None:
        return "–"
    return f"{share * 100:.0f} %" + (f" ({per * 1000:.0f} ms)" if per is not None else "")


# ---------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", default=None, help="comma-separated page keys (see benchmarks/interactions.py); default all")
    ap.add_argument("--repeats", type=int, default=None, help="samples per interaction (default 5)")
    ap.add_argument("--lang", default="en", choices=("en", "pt"))
    ap.add_argument("--live-seconds", type=float, default=None, help="seconds of live training watched (default 5)")
    ap.add_argument("--first-wait", type=float, default=None, help="seconds to wait after Start for the live figure (default 30)")
    ap.add_argument("--timeout", type=float, default=None, help="stop everything after this many seconds (default 3600)")
    ap.add_argument("--quick", action="store_true",
                    help=f"a smoke run in about a minute: {QUICK['pages']} only (unless --pages), {QUICK_INTERACTIONS} interactions, "
                         "one sample each, 2 s of live training, no second view")
    ap.add_argument("--kinds", default=None,
                    help=f"only these rows, comma-separated: {', '.join((VIEW, REFIT, STEP, SCRUB))} and live (default all)")
    ap.add_argument("--url", help="an already running server on 127.0.0.1 (default: a fresh one)")
    ap.add_argument("--out", type=Path, default=OUT / "browser.json")
    args = ap.parse_args(argv)
    for name, full in FULL.items():
        if getattr(args, name) is None:
            setattr(args, name, QUICK[name] if args.quick else full)
    pages = pick(args.pages)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    load_before = machine_load()
    print(f"before: {load_text(load_before)}", flush=True)
    started = time.monotonic()
    deadline = started + args.timeout - min(120, args.timeout / 4)  # leave time to close and write

    def watchdog(signum, frame):
        raise BenchTimeout(f"stopped by the {args.timeout:.0f} s watchdog")

    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(int(args.timeout))
    results: list[dict] = []
    stopped = None
    try:
        run(args, pages, results, deadline)
    except BenchTimeout as exc:
        stopped = str(exc)
        print(stopped, flush=True)
    finally:
        signal.alarm(0)
    load_after = machine_load()
    print("\n" + markdown(results))
    print(f"\nafter: {load_text(load_after)}  ({time.monotonic() - started:.0f} s)")
    args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "load_before": load_before,
                                    "load_after": load_after, "stopped": stopped, "pages": results}, indent=1, default=str))
    print(f"wrote {args.out}")


def run(args, pages: list[PageBench], results: list[dict], deadline: float) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser_utils import launch, server_process

    def go(base: str) -> None:
        with sync_playwright() as p:
            browser = launch(p)
            try:
                for pb in pages:
                    if time.monotonic() > deadline:
                        results.append({"page": pb.key, "interactions": [], "error": "out of time"})
                        continue
                    try:
                        results.append(bench_page(browser, base, pb, args.repeats, args.lang, args.live_seconds, deadline,
                                                  first_wait=args.first_wait, warm_view=not args.quick,
                                                  max_interactions=QUICK_INTERACTIONS if args.quick else None,
                                                  kinds=frozenset(args.kinds.split(",")) if args.kinds else None))
                    except BenchTimeout:
                        raise
                    except Exception as exc:
                        results.append({"page": pb.key, "interactions": [], "error": f"{type(exc).__name__}: {exc}"[:300]})
                        print(f"  {pb.key}: ERROR {results[-1]['error']}", flush=True)
            finally:
                browser.close()

    if args.url:
        from benchmarks.class_load import local_only

        go(local_only(args.url))
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        with server_process(log=OUT / "browser-server.log") as (base, _):
            go(base)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
