"""A class on one server: simulated students on the real app, timed from each action to its finished rerun.

    python -m benchmarks.class_load --students 1,10,30 [--seconds 60]            # a fresh server per N
    python -m benchmarks.class_load --students 30 --url http://127.0.0.1:8080 --server-pid 123,456
    python -m benchmarks.class_load --mode cleanup --students 8 [--ttl 30]     # does a closed tab free memory?
    python -m benchmarks.class_load --mode affinity --url http://127.0.0.1:8080 --replica-header X-Upstream

Each student is one websocket speaking Streamlit's own protocol (``benchmarks/st_protocol.py``: the messages
the browser sends, widget states and fragment reruns included), so 30 students cost this process little CPU.
The mix (``benchmarks/interactions.py``): most students move sampling and view controls across all pages and
switch pages now and then; about 30 % press train on the GAN, diffusion, VAE and token pages (round robin,
so they train at the same time), watch 6–10 s of live training, pause, and move a control. Everyone thinks
1.5–3 s between actions. Measured: action → ``script_finished`` of its run (light and training actions apart),
page loads (opening a tab, and following a link), the gaps between live-training ticks, errors (tracebacks and
error boxes in the deltas, disconnects, timeouts), the server's RSS and CPU from ``/proc``, how long its threads
waited for a CPU (``/proc/<pid>/task/*/schedstat``: a server held back by the rest of the machine, not idle), and
this process's own CPU (the students: a reader sees whether the clients, not the server, were the limit).

Separate cores (``--pin``, on by default with a fresh server on a machine with CPUs 0 and 1): the server runs on
CPU 0 only, pinned before it imports anything, and this process (every student) on CPU 1, as a class's browsers
run on their own laptops; one server process then has one core, the unit the replicas scale by. torch inside it
keeps one thread (``engine/core/torch_setup.py``: ``GP_TORCH_THREADS``, default 1) and OpenBLAS sizes its pool
from the one CPU it sees. ``--no-pin`` lets the scheduler place both anywhere (what earlier tables measured);
with ``--url`` nothing is pinned (the server is not ours).

Bounded: students stop acting at ``--seconds``; what is still in flight gets ``--grace`` seconds, then every
task is cancelled and every socket closed. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import statistics
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.interactions import PAGES, Click, Expand, Interaction, Live, PlotlyScrub, Tab, Widget, class_mix
from benchmarks.st_protocol import Result, Session
from benchmarks.timing import fmt_bytes, load_text, machine_load, summary

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
THINK = (1.5, 3.0)
WATCH = (6.0, 10.0)  # seconds of live training a training student watches before pausing
SWITCH_PAGE = 0.15  # chance that a light student follows a link instead of moving a control
ACTION_TIMEOUT = 120.0
FULL = {"students": "1,10,30", "seconds": 60.0, "grace": 60.0}
QUICK = {"students": "2", "seconds": 20.0, "grace": 10.0}


# ---------------------------------------------------------------- the server's /proc

def read_proc(pid: int) -> tuple[int, float]:
    """(resident bytes, CPU seconds used) of a process."""
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def cpu_wait(pid: int) -> float | None:
    """Seconds the process's threads have spent ready to run but waiting for a CPU (the second field of
    ``/proc/<pid>/task/<tid>/schedstat``, summed over its threads); None where the kernel does not keep it.
    Its growth over a run says how much the rest of the machine (other processes, or this client) held the
    server back: CPU % alone cannot tell an idle server from one that waits for a core."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                continue  # a thread that ended meanwhile
    except OSError:
        return None
    return total / 1e9


# ---------------------------------------------------------------- separate cores for the server and the clients

SERVER_CPU, CLIENT_CPU = 0, 1


def pinned_launcher(cpu: int, then: str = "from streamlit.web.cli import main; sys.exit(main())") -> tuple[str, ...]:
    """What ``python`` runs instead of ``-m streamlit``: Streamlit's command (``then``), pinned to ``cpu`` before
    anything is imported, so that every thread pool it starts (torch's, OpenBLAS's) sees the one core it may use."""
    return ("-c", f"import os, sys; os.sched_setaffinity(0, {{{cpu}}}); {then}")


def pin_all_threads(cpus: set[int]) -> None:
    """Pin every thread of this process (``sched_setaffinity`` acts on one thread; new threads inherit it)."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass  # a thread that ended meanwhile


def can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and {SERVER_CPU, CLIENT_CPU} <= os.sched_getaffinity(0)


def affinity(pid: int) -> str | None:
    """The CPUs a process may run on, as ``/proc`` lists them (``"0"``, ``"0-1"``)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("Cpus_allowed_list:"))
    except (OSError, StopIteration):
        return None


class ProcWatch:
    """Samples the servers' RSS and CPU every ``every`` seconds while a run goes on."""

    def __init__(self, pids: list[int], every: float = 0.5):
        self.pids, self.every = pids, every
        self.samples: list[tuple[float, int, float, float | None]] = []  # (time, total RSS, CPU seconds, CPU wait seconds)
        self._task: asyncio.Task | None = None

    def sample(self) -> tuple[float, int, float] | None:
        try:
            reads = [read_proc(p) for p in self.pids]
        except (OSError, StopIteration):
            return None
        waits = [cpu_wait(p) for p in self.pids]
        s = (time.perf_counter(), sum(r for r, _ in reads), sum(c for _, c in reads),
             None if None in waits else sum(waits))
        self.samples.append(s)
        return s

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.every)

    def start(self) -> None:
        if self.pids:
            self.sample()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> dict:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self.sample()
        return self.report()

    def report(self, since: float | None = None, until: float | None = None) -> dict:
        s = [x for x in self.samples if (since is None or x[0] >= since) and (until is None or x[0] <= until)]
        if len(s) < 2:
            return {}
        windows = []  # CPU % over ~1 s windows
        j = 0
        for i in range(1, len(s)):
            while j + 1 < i and s[i][0] - s[j + 1][0] >= 1.0:
                j += 1
            if s[i][0] - s[j][0] >= 1.0:
                windows.append(100 * (s[i][2] - s[j][2]) / (s[i][0] - s[j][0]))
        return {"rss_start_mb": s[0][1] / 2**20, "rss_peak_mb": max(x[1] for x in s) / 2**20, "rss_final_mb": s[-1][1] / 2**20,
                "cpu_avg_pct": 100 * (s[-1][2] - s[0][2]) / (s[-1][0] - s[0][0]),
                "cpu_peak_pct": max(windows) if windows else float("nan"), "seconds": s[-1][0] - s[0][0],
                "cpu_wait_pct": (100 * (s[-1][3] - s[0][3]) / (s[-1][0] - s[0][0]))
                if s[0][3] is not None and s[-1][3] is not None else float("nan")}


# ---------------------------------------------------------------- one student

@dataclass
class Tally:
    """Everything the students of one run measured."""

    light: list[dict] = field(default_factory=list)
    training: list[dict] = field(default_factory=list)
    loads: list[dict] = field(default_factory=list)
    tick_gaps: list[float] = field(default_factory=list)
    tick_bytes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    disconnects: int = 0
    timeouts: int = 0
    skipped: list[str] = field(default_factory=list)
    markers: dict[int, list[str]] = field(default_factory=dict)
    finished_runs: int = 0

    def record(self, where: list, student: int, page: str, what: str, r: Result) -> None:
        where.append({"student": student, "page": page, "what": what, "seconds": r.seconds, "bytes": r.bytes,
                      "partial": r.partial, "errors": r.errors})
        for e in r.errors:
            if e.startswith("disconnected"):
                self.disconnects += 1
            elif e == "timed out":
                self.timeouts += 1
            else:
                self.errors.append(f"{page}/{what}: {e}")


class Student:
    def __init__(self, idx: int, base: str, lang: str, deadline: float, tally: Tally, rng: random.Random,
                 marker_header: str | None = None):
        self.idx, self.base, self.lang, self.deadline, self.tally, self.rng = idx, base, lang, deadline, tally, rng
        self.marker_header = marker_header.lower() if marker_header else None
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.session: Session | None = None
        self.tabs: dict[str, str] = {}  # keyed tabs: key -> label opened

    # -------------------------------------------------------------- connection

    def _get(self, path: str) -> dict:
        with self.opener.open(f"{self.base}/{path}", timeout=60) as r:
            r.read()
            return {k.lower(): v for k, v in r.headers.items()}

    def _mark(self, headers: dict) -> None:
        if self.marker_header and self.marker_header in headers:
            self.tally.markers.setdefault(self.idx, []).append(headers[self.marker_header])

    async def connect(self, page: str) -> Session | None:
        """Open ``/<page>?lang=…`` as a new tab does: the HTML (cookies, a proxy's marker), then the websocket."""
        try:
            self._mark(await asyncio.to_thread(self._get, f"{page}?lang={self.lang}"))
        except OSError as exc:
            self.tally.errors.append(f"GET /{page}: {exc}")
            return None
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        s = Session(self.base, page, self.lang, headers={"Cookie": cookies} if cookies else None)
        try:
            r = await s.open(ACTION_TIMEOUT)
        except Exception as exc:
            self.tally.errors.append(f"connect /{page}: {type(exc).__name__}: {exc}"[:200])
            await s.close()
            return None
        self._mark(s.handshake_headers)
        self.tally.record(self.tally.loads, self.idx, page, "open", r)
        self.session, self.tabs = s, {}
        return s

    async def close(self) -> None:
        if self.session is not None:
            self.tally.finished_runs += len([r for r in self.session.finished_runs if r.status is not None])
            await self.session.close()
            self.session = None

    async def ensure_connected(self, page: str) -> Session | None:
        s = self.session
        if s is not None and s.disconnect_reason:
            await self.close()
            s = None
        return s or await self.connect(page)

    # -------------------------------------------------------------- inputs

    def _text(self, w: Widget) -> str | None:
        from ui import text

        return text.lookup(self.lang, w.to) if w.to else w.value

    async def do(self, action, record: list, what: str, setup: bool = False) -> Result | None:
        """One input; None when it needs no server (or the control is not on the page)."""
        s = self.session
        if isinstance(action, (Expand, PlotlyScrub)) or (isinstance(action, Tab) and action.key is None):
            return None
        if isinstance(action, Tab):
            label = self._text(Widget("", to=action.label))
            if self.tabs.get(action.key) == label or not s.has(action.key):
                return None
            r = await s.open_tab(action.key, label, ACTION_TIMEOUT)
            self.tabs[action.key] = label
        else:
            key = next((k for k in action.keys if s.has(k)), action.key) if isinstance(action, Click) else action.key
            option = self._text(action) if isinstance(action, Widget) else None
            if not s.has(key):
                self.tally.skipped.append(f"{s.page}: no widget {key}")
                return None
            current = s.value(key)
            if setup and option is not None and (current == option or current == [option]):
                return None
            try:
                r = await s.move(key, option, ACTION_TIMEOUT)
            except ValueError as exc:
                self.tally.skipped.append(f"{s.page}/{key}: {exc}")
                return None
        if r.seconds is not None and s.running_page is not None and s.running_page != s.page:
            r.errors.append(f"the server ran /{s.running_page} instead of /{s.page}")
        self.tally.record(record, self.idx, s.page, what, r)
        return r

    async def interact(self, inter: Interaction) -> None:
        for step in inter.setup:
            await self.do(step, self.tally.light, f"{inter.name} (setup)", setup=True)
            if self.session.disconnect_reason:
                return
        await self.do(inter.act, self.tally.light, inter.name)

    async def think(self) -> bool:
        """Pause like a student reading the screen; False once the lesson is over."""
        await asyncio.sleep(self.rng.uniform(*THINK))
        return time.perf_counter() < self.deadline

    # -------------------------------------------------------------- the two kinds of student

    async def light(self, pages: dict[str, list[Interaction]]) -> None:
        page = self.rng.choice(list(pages))
        if await self.ensure_connected(page) is None:
            return
        while await self.think():
            if await self.ensure_connected(self.session.page if self.session else page) is None:
                return
            if self.rng.random() < SWITCH_PAGE and len(pages) > 1:
                page = self.rng.choice([p for p in pages if p != self.session.page])
                r = await self.session.switch_page(page, ACTION_TIMEOUT)
                self.tabs = {}
                self.tally.record(self.tally.loads, self.idx, page, "switch", r)
            else:
                await self.interact(self.rng.choice(pages[self.session.page]))

    async def train(self, page: str, live: Live, pages: dict[str, list[Interaction]]) -> None:
        if await self.ensure_connected(page) is None:
            return
        while await self.think():
            if await self.ensure_connected(page) is None:
                return
            for step in live.setup:
                await self.do(step, self.tally.training, "setup", setup=True)
            started = await self.do(live.start, self.tally.training, "start")
            if started is None or started.seconds is None:
                if pages.get(page):
                    await self.interact(self.rng.choice(pages[page]))
                continue
            since = time.perf_counter()
            await asyncio.sleep(min(self.rng.uniform(*WATCH), max(0.0, self.deadline - since)))
            ticks = self.session.ticks(since)
            self.tally.tick_gaps.extend(b.finished - a.finished for a, b in zip(ticks, ticks[1:]))
            self.tally.tick_bytes.extend(t.bytes for t in ticks)
            w = next((self.session.widget(k) for k in live.pause.keys if self.session.has(k)), None)
            if w is not None and not getattr(w.el, "disabled", False):
                await self.do(live.pause, self.tally.training, "pause")
            if pages.get(page) and await self.think():
                await self.interact(self.rng.choice(pages[page]))


# ---------------------------------------------------------------- one class

async def loop_lag(out: list[float], every: float = 0.1) -> None:
    """How late this process's event loop wakes a sleeper: how late the students read what the server sent (their
    times are taken when a message is handled), were the clients busy or waiting for a CPU."""
    while True:
        t = time.perf_counter()
        await asyncio.sleep(every)
        out.append(time.perf_counter() - t - every)



async def warm_up(base: str, lang: str) -> float:
    """One student visits every page once, so that N = 1 is not a cold start."""
    t0 = time.perf_counter()
    s = Session(base, "", lang)
    try:
        await s.open(300)
        for p in PAGES:
            if p.key != "home":
                await s.switch_page(p.key, 300)
    finally:
        await s.close()
    return time.perf_counter() - t0


async def run_class(base: str, n: int, seconds: float, share: float, seed: int, pids: list[int], lang: str,
                    grace: float, marker_header: str | None) -> dict:
    mix = class_mix()
    tally = Tally()
    n_train = round(n * share)
    train_pages = list(mix.training)
    load_before = machine_load()
    watch = ProcWatch(pids)
    watch.start()
    client = ProcWatch([os.getpid()])  # this process: every simulated student, their sockets and protobufs
    client.start()
    lag = asyncio.create_task(loop_lag(lags := []))
    t0 = time.perf_counter()
    deadline = t0 + seconds
    students = [Student(i, base, lang, deadline, tally, random.Random(seed * 1000 + i), marker_header) for i in range(n)]

    async def life(i: int, st: Student) -> None:
        await asyncio.sleep(st.rng.uniform(0, 2))  # the class opens the link at about the same time
        try:
            if i < n_train:
                page = train_pages[i % len(train_pages)]
                await st.train(page, mix.training[page], mix.between_trainings)
            else:
                await st.light(mix.light)
        finally:
            await st.close()

    tasks = [asyncio.create_task(life(i, st)) for i, st in enumerate(students)]
    done, pending = await asyncio.wait(tasks, timeout=seconds + grace)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for st in students:  # cancelled ones
        await st.close()
    for t in done:
        if t.exception() is not None:
            tally.errors.append(f"student crashed: {type(t.exception()).__name__}: {t.exception()}"[:200])
    wall = time.perf_counter() - t0
    server = await watch.stop()
    # the averages over the whole run include the grace period, when only a few late actions are left;
    # "acting" is the window in which the students act, the one the table shows
    server["acting"] = watch.report(t0, deadline)
    r = aggregate(n, n_train, tally, wall, server, load_before, machine_load(), len(pending))
    lag.cancel()
    r["client"] = await client.stop() | {"loop_lag": summary(lags)}
    r["client"]["acting"] = client.report(t0, deadline)
    return r


def _seconds(rows: list[dict]) -> list[float]:
    return [r["seconds"] for r in rows if r["seconds"] is not None]


def aggregate(n, n_train, tally: Tally, wall, server, load_before, load_after, cut_off) -> dict:
    light_main = [r for r in tally.light if not r["what"].endswith("(setup)")]
    replicas: dict[str, int] = {}
    for marks in tally.markers.values():
        for m in set(marks):
            replicas[m] = replicas.get(m, 0) + 1
    return {
        "students": n, "training_students": n_train, "wall_seconds": wall,
        "light": summary(_seconds(tally.light)), "light_without_setup": summary(_seconds(light_main)),
        "light_partial_share": (sum(r["partial"] for r in tally.light) / len(tally.light)) if tally.light else float("nan"),
        "light_bytes_mean": statistics.fmean([r["bytes"] for r in tally.light]) if tally.light else float("nan"),
        "training": summary(_seconds([r for r in tally.training if r["what"] in ("start", "pause")])),
        "page_load": summary(_seconds(tally.loads)),
        "page_open": summary(_seconds([r for r in tally.loads if r["what"] == "open"])),
        "page_switch": summary(_seconds([r for r in tally.loads if r["what"] == "switch"])),
        "tick_gap": summary(tally.tick_gaps), "tick_bytes_mean": statistics.fmean(tally.tick_bytes) if tally.tick_bytes else float("nan"),
        "finished_runs_per_s": tally.finished_runs / wall if wall else float("nan"),
        "errors": len(tally.errors), "error_samples": sorted(set(tally.errors))[:10], "disconnects": tally.disconnects,
        "timeouts": tally.timeouts, "students_cut_off": cut_off, "skipped": sorted(set(tally.skipped))[:10],
        "replicas": replicas, "students_on_several_replicas": sum(len(set(m)) > 1 for m in tally.markers.values()),
        "server": server, "load_before": load_before, "load_after": load_after,
        "samples": {"light": tally.light, "training": tally.training, "loads": tally.loads},
    }


# ---------------------------------------------------------------- cleanup and affinity modes

async def run_cleanup(base: str, n: int, seconds: float, ttl: float, pids: list[int], lang: str, rounds: int = 2) -> dict:
    """Open ``n`` sessions that train, close them mid-training, and watch the server's memory and CPU for the
    disconnected-session TTL and a little more; a fresh session connects near the end (Streamlit's session
    store forgets expired sessions when it is next used). Then the same again, ``rounds`` times in all.

    RSS alone cannot show memory freed inside Python (the allocator keeps its pages), so the rounds tell it: if
    closed sessions are freed, a later round reuses their memory and RSS grows much less than in the first
    round; if they are kept, every round adds about as much as the first."""
    mix = class_mix()
    pages = list(mix.training)
    watch = ProcWatch(pids, every=1.0)
    watch.start()
    load_before = machine_load()
    tally = Tally()
    out_rounds = []
    for rnd in range(rounds):
        connect_from = time.perf_counter()
        before_connect = watch.sample()
        students = [Student(i, base, lang, time.perf_counter() + 3600, tally, random.Random(rnd * 100 + i)) for i in range(n)]
        started = 0
        for i, st in enumerate(students):
            page = pages[i % len(pages)]
            if await st.connect(page) is None:
                continue
            live = mix.training[page]
            for step in live.setup:
                await st.do(step, tally.training, "setup", setup=True)
            r = await st.do(live.start, tally.training, "start")
            started += r is not None and r.seconds is not None
        training_from = time.perf_counter()
        await asyncio.sleep(seconds)
        before_close = watch.sample()
        closed_at = time.perf_counter()
        for st in students:  # the tabs are closed while training: no pause
            await st.close()
        timeline = []
        probe_at = closed_at + ttl + 10
        probe = None
        end = closed_at + ttl + 40
        while time.perf_counter() < end:
            await asyncio.sleep(2.0)
            smp = watch.sample()
            if smp is not None:
                timeline.append((round(smp[0] - closed_at, 1), round(smp[1] / 2**20, 1)))
            if probe is None and time.perf_counter() >= probe_at:
                probe = Session(base, "", lang)
                await probe.open(120)
        if probe is not None:
            await probe.close()
        after = watch.sample()
        samples = watch.samples
        mb = (lambda x: x[1] / 2**20 if x else None)
        out_rounds.append({
            "round": rnd + 1, "trainings_started": started, "rss_before_connect_mb": mb(before_connect),
            "rss_at_close_mb": mb(before_close), "rss_end_mb": mb(after),
            "rss_growth_mb": mb(after) - mb(before_connect) if after and before_connect else None,
            "connect": _window(samples, connect_from, training_from), "training": _window(samples, training_from, closed_at),
            "first_10s_after_close": _window(samples, closed_at, closed_at + 10),
            "before_probe": _window(samples, probe_at - 20, probe_at), "after_probe": _window(samples, probe_at, end),
            "timeline_s_mb": timeline})
    await watch.stop()
    return {"mode": "cleanup", "students": n, "ttl_seconds": ttl, "training_seconds": seconds, "errors": tally.errors,
            "rounds": out_rounds, "load_before": load_before, "load_after": machine_load()}


def _window(samples, a: float, b: float) -> dict:
    s = [x for x in samples if a <= x[0] <= b]
    if len(s) < 2:
        return {}
    return {"rss_first_mb": s[0][1] / 2**20, "rss_last_mb": s[-1][1] / 2**20, "rss_peak_mb": max(x[1] for x in s) / 2**20,
            "cpu_avg_pct": 100 * (s[-1][2] - s[0][2]) / (s[-1][0] - s[0][0])}


async def run_affinity(base: str, n: int, reloads: int, lang: str, marker_header: str) -> dict:
    """Each student reloads its tab ``reloads`` times (new HTML request, new websocket, one action); every
    response's replica marker is noted. Sticky sessions: every student sees one replica only."""
    mix = class_mix()
    tally = Tally()
    pages = list(mix.light)
    for i in range(n):
        st = Student(i, base, lang, time.perf_counter() + 3600, tally, random.Random(i), marker_header)
        page = pages[i % len(pages)]
        for _ in range(reloads):
            if await st.connect(page) is None:
                break
            await st.interact(mix.light[page][0])
            await st.close()
    per = {i: sorted(set(m)) for i, m in tally.markers.items()}
    replicas: dict[str, int] = {}
    for marks in per.values():
        for m in marks:
            replicas[m] = replicas.get(m, 0) + 1
    return {"mode": "affinity", "students": n, "reloads": reloads, "header": marker_header,
            "students_with_marker": len(per), "students_on_several_replicas": sum(len(m) > 1 for m in per.values()),
            "replicas": replicas, "per_student": per, "errors": tally.errors}


# ---------------------------------------------------------------- report

def _ms_pair(s: dict) -> str:
    if not s or not s.get("n"):
        return "–"
    return f"{s['p50']:.2f} / {s['p95']:.2f} s ({s['n']})"


def markdown(rows: list[dict]) -> str:
    head = ("| students (training) | light p50 / p95 (n) | training p50 / p95 (n) | page load p50 / p95 (n) | tick gap p50 / p95 | "
            "light reruns partial | runs/s | errors · disconnects · timeouts | server RSS peak / final | server CPU avg / peak while acting | server waiting for a CPU | client CPU avg / peak · event-loop lag p95 | load before → after |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        srv = r.get("server") or {}
        rss = f"{srv['rss_peak_mb']:,.0f} / {srv['rss_final_mb']:,.0f} MB" if srv else "–"
        acting = srv.get("acting") or srv  # runs saved before the acting window was measured: the whole run
        cpu = f"{acting['cpu_avg_pct']:.0f} / {acting['cpu_peak_pct']:.0f} %" if acting else "–"
        wait = acting.get("cpu_wait_pct", float("nan"))
        waiting = "–" if wait != wait else f"{wait:.0f} %"
        cli = r.get("client") or {}
        cli_acting = cli.get("acting") or cli
        client = f"{cli_acting['cpu_avg_pct']:.0f} / {cli_acting['cpu_peak_pct']:.0f} %" if "cpu_avg_pct" in cli_acting else "–"
        if cli.get("loop_lag", {}).get("n"):
            client += f" · {cli['loop_lag']['p95'] * 1000:.0f} ms"
        gap = r["tick_gap"]
        gaps = f"{gap['p50']:.2f} / {gap['p95']:.2f} s" if gap["n"] else "–"
        share = r["light_partial_share"]
        lines.append(f"| {r['students']} ({r['training_students']}) | {_ms_pair(r['light'])} | {_ms_pair(r['training'])} | "
                     f"{_ms_pair(r['page_load'])} | {gaps} | {'–' if share != share else f'{share:.0%}'} | "
                     f"{r['finished_runs_per_s']:.2f} | {r['errors']} · {r['disconnects']} · {r['timeouts']} | {rss} | {cpu} | {waiting} | {client} | "
                     f"{r['load_before']['loadavg_1_5_15'][0]:.1f} → {r['load_after']['loadavg_1_5_15'][0]:.1f} |")
    return "\n".join(lines)


def cleanup_markdown(r: dict) -> str:
    def mb(x, sign: str = "") -> str:
        return "–" if x is None else f"{x:{sign},.0f} MB"

    lines = [f"{r['students']} students train, then close their tabs mid-training; TTL {r['ttl_seconds']:.0f} s; "
             f"errors {len(r['errors'])}", "",
             "| round | trainings started | RSS before connect | at close | TTL + 40 s later | growth | server CPU in the 10 s after the close |",
             "|---|---|---|---|---|---|---|"]
    for x in r["rounds"]:
        cpu = x["first_10s_after_close"].get("cpu_avg_pct")
        lines.append(f"| {x['round']} | {x['trainings_started']} | {mb(x['rss_before_connect_mb'])} | {mb(x['rss_at_close_mb'])} | "
                     f"{mb(x['rss_end_mb'])} | {mb(x['rss_growth_mb'], '+')} | {'–' if cpu is None else f'{cpu:.0f} %'} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- command line

def local_only(url: str) -> str:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"class_load only sends traffic to this machine (127.0.0.1), not to {host}")
    return url.rstrip("/")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=("load", "cleanup", "affinity"), default="load")
    ap.add_argument("--students", default=None, help="comma-separated class sizes (default 1,10,30)")
    ap.add_argument("--seconds", type=float, default=None, help="how long each class acts (cleanup: how long they train; default 60)")
    ap.add_argument("--grace", type=float, default=None, help="seconds given to actions still in flight at the end (default 60)")
    ap.add_argument("--quick", action="store_true", help="a smoke run in about a minute: 2 students (one training) for 20 s, "
                    "10 s of grace, no warm-up visit")
    ap.add_argument("--url", help="an already running server or proxy (127.0.0.1 only); default: a fresh server per N")
    ap.add_argument("--server-pid", default="", help="comma-separated pids whose RSS/CPU to read (with --url)")
    ap.add_argument("--training-share", type=float, default=0.3)
    ap.add_argument("--lang", default="en", choices=("en", "pt"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ttl", type=float, default=None, help="cleanup: start the server with this disconnectedSessionTTL (default: Streamlit's, 120 s)")
    ap.add_argument("--replica-header", default=None, help="a response header that names the replica (e.g. X-Upstream set by the proxy)")
    ap.add_argument("--rounds", type=int, default=2, help="cleanup: train-and-close rounds (a later round should reuse the memory)")
    ap.add_argument("--reloads", type=int, default=3, help="affinity: reloads per student")
    ap.add_argument("--profile-client", type=Path, default=None, help="load: cProfile this process (the simulated students) "
                    "while the class acts, into this file per N (``<file>.<N>``; read it with python -m pstats)")
    ap.add_argument("--pin", action=argparse.BooleanOptionalAction, default=None,
                    help=f"run the fresh server on CPU {SERVER_CPU} only and this process (the students) on CPU {CLIENT_CPU} "
                    "(default: on without --url, when both CPUs are there)")
    ap.add_argument("--no-warmup", action="store_true", help="do not visit every page before measuring")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default benchmarks/out/class_load-<mode>.json)")
    args = ap.parse_args(argv)
    for name, full in FULL.items():
        if getattr(args, name) is None:
            setattr(args, name, QUICK[name] if args.quick else full)
    args.no_warmup = args.no_warmup or args.quick
    if args.pin is None:
        args.pin = not args.url and can_pin()
    elif args.pin and (args.url or not can_pin()):
        raise SystemExit(f"--pin needs a fresh server (no --url) and CPUs {SERVER_CPU} and {CLIENT_CPU}")
    sizes = [int(x) for x in args.students.split(",") if x.strip()]
    pids = [int(x) for x in args.server_pid.split(",") if x.strip()]
    out = args.out or OUT / f"class_load-{args.mode}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.mode == "affinity" and not (args.url and args.replica_header):
        raise SystemExit("--mode affinity needs --url (the proxy) and --replica-header")
    print(f"before: {load_text(machine_load())}", flush=True)
    results = []
    for n in sizes:
        results.append(asyncio.run(one(args, n, pids)))
        r = results[-1]
        if args.mode == "load":
            print(markdown([r]).splitlines()[-1], flush=True)
        else:
            print(cleanup_markdown(r) if args.mode == "cleanup" else
                  json.dumps({k: v for k, v in r.items() if k != "per_student"}, indent=1, default=str), flush=True)
    if args.mode == "load":
        print("\n" + markdown(results))
        for r in results:
            if r["error_samples"] or r["skipped"]:
                print(f"\nN={r['students']}: errors {r['error_samples']} skipped {r['skipped']}")
    print(f"\nafter: {load_text(machine_load())}")
    out.write_text(json.dumps({"mode": args.mode, "args": vars(args) | {"out": str(out)}, "results": results}, indent=1, default=str))
    print(f"wrote {out}")


async def one(args, n: int, pids: list[int]) -> dict:
    if args.url:
        base = local_only(args.url)
        return await measure(args, base, n, pids, None)
    from tests.browser_utils import server_process

    options = ("--server.disconnectedSessionTTL", str(int(args.ttl))) if args.mode == "cleanup" and args.ttl else ()
    OUT.mkdir(parents=True, exist_ok=True)
    launcher = pinned_launcher(SERVER_CPU) if args.pin else ("-m", "streamlit")
    mine = os.sched_getaffinity(0) if args.pin else None
    if args.pin:
        pin_all_threads({CLIENT_CPU})
    try:
        with server_process(options=options, log=OUT / f"class_load-server-{n}.log", launcher=launcher) as (base, proc):
            pinned = {"server": affinity(proc.pid), "client": affinity(os.getpid())} if args.pin else None
            if pinned and pinned["server"] != str(SERVER_CPU):
                raise RuntimeError(f"the server was to run on CPU {SERVER_CPU} only, /proc says {pinned['server']}")
            r = await measure(args, base, n, [proc.pid], proc)
            r["pinned"] = pinned
            return r
    finally:
        if mine is not None:
            pin_all_threads(mine)


async def measure(args, base: str, n: int, pids: list[int], proc) -> dict:
    warm = None
    if not args.no_warmup and args.mode != "affinity":
        warm = await asyncio.wait_for(warm_up(base, args.lang), 900)
    if args.mode == "load":
        profile = cProfile.Profile() if args.profile_client else None
        if profile is not None:
            profile.enable()
        try:
            r = await run_class(base, n, args.seconds, args.training_share, args.seed, pids, args.lang, args.grace, args.replica_header)
        finally:
            if profile is not None:
                profile.disable()
                profile.dump_stats(f"{args.profile_client}.{n}")
    elif args.mode == "cleanup":
        r = await run_cleanup(base, n, args.seconds, args.ttl or 120.0, pids, args.lang, args.rounds)
    else:
        r = await run_affinity(base, n, args.reloads, args.lang, args.replica_header)
    r["warmup_seconds"] = warm
    r["url"] = base
    return r


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
