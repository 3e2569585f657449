"""Server CPU per rerun: what one student's interaction costs the one core a class shares (issue 13).

    python -m benchmarks.rerun_cpu [--pages gan,vae] [--repeats 6] [--profile benchmarks/out/profiles]

Wall time on a shared, loaded machine says little; CPU time does not depend on the load. One fresh server,
one client speaking Streamlit's protocol (``benchmarks/st_protocol.py``, as the class-load benchmark does). Each
page is opened and warmed up (every row run twice untimed), then, ``--repeats`` times each:
- **full rerun**: the page's script run again with every widget as it is (what a shared input, a page switch
  or a full-page control costs, without the change itself);
- each widget row of ``benchmarks/interactions.py`` (its setup done first, untimed): the control moved one
  step, back and forth. The row says whether the server reran only the control's fragment.
Measured: the server process's CPU seconds (``/proc/<pid>/stat``: user + system, every thread, the ones that
ended included) from sending the rerun to its ``script_finished``, summed over the repeats and divided, so the
10 ms clock tick blurs a row by at most 10 ms / repeats; and the bytes the run sent.

``--profile DIR`` runs the server under cProfile (``benchmarks/profiled_server.py``: every script run of the
measured part, one ``.prof`` per page and row); its CPU numbers are then inflated by the profiler.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path

from benchmarks.class_load import read_proc
from benchmarks.interactions import PAGES, Interaction, Tab, Widget, pick
from benchmarks.st_protocol import Session
from benchmarks.timing import load_text, machine_load

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
TIMEOUT = 300.0


def cpu(pid: int) -> float:
    return read_proc(pid)[1]


def _text(lang: str, w: Widget) -> str | None:
    from ui import text

    return text.lookup(lang, w.to) if w.to else w.value


async def _do(s: Session, action, lang: str, setup: bool = False):
    if isinstance(action, Tab):
        if action.key is None or not s.has(action.key):
            return None
        label = _text(lang, Widget("", to=action.label))
        if setup and s.value(action.key) == label:
            return None
        return await s.open_tab(action.key, label, TIMEOUT)
    if not isinstance(action, Widget) or not s.has(action.key):
        return None
    option = _text(lang, action)
    if setup and option is not None and s.value(action.key) in (option, [option]):
        return None
    return await s.move(action.key, option, TIMEOUT)


def _profile_mark(pid_dir: Path | None, name: str | None) -> None:
    """Tell the profiled server which row the next runs belong to (None: stop recording)."""
    if pid_dir is not None:
        (pid_dir / "current").write_text(name or "")


async def measure_row(s: Session, pid: int, repeats: int, act, lang: str) -> dict | None:
    results = []
    for _ in range(2):  # warm: caches filled, imports done
        r = await act()
        if r is None or r.seconds is None:
            return None
    c0 = cpu(pid)
    for _ in range(repeats):
        r = await act()
        if r is None or r.seconds is None:
            return None
        results.append(r)
    spent = (cpu(pid) - c0) / repeats
    return {"cpu_ms": 1000 * spent, "partial": sum(r.partial for r in results) / len(results),
            "bytes": statistics.median(r.bytes for r in results), "errors": sorted({e for r in results for e in r.errors})}


async def measure_page(base: str, pid: int, page, repeats: int, lang: str, prof: Path | None) -> list[dict]:
    s = Session(base, page.path, lang)
    rows = []
    try:
        first = await s.open(TIMEOUT)
        rows.append({"page": page.key, "row": "first view (cold)", "cpu_ms": None, "partial": 0.0, "bytes": first.bytes,
                     "errors": first.errors})

        async def full():
            return await s._send_and_wait(s._rerun(list(s.states.values())), "", TIMEOUT)

        _profile_mark(prof, f"{page.key}.full")
        r = await measure_row(s, pid, repeats, full, lang)
        _profile_mark(prof, None)
        if r is not None:
            rows.append({"page": page.key, "row": "full rerun", **r})
        for inter in page.interactions:
            if not isinstance(inter.act, Widget):
                continue
            for step in inter.setup:
                await _do(s, step, lang, setup=True)
            if not s.has(inter.act.key):
                rows.append({"page": page.key, "row": inter.name, "cpu_ms": None, "partial": 0.0, "bytes": 0,
                             "errors": ["not on the page"]})
                continue
            _profile_mark(prof, f"{page.key}.{inter.act.key.split('.')[-1]}")
            r = await measure_row(s, pid, repeats, lambda inter=inter: _do(s, inter.act, lang), lang)
            _profile_mark(prof, None)
            if r is not None:
                rows.append({"page": page.key, "row": inter.name, "kind": inter.kind, **r})
    finally:
        await s.close()
    return rows


def table(rows: list[dict]) -> str:
    out = ["| page | rerun | CPU per rerun | fragment | bytes |", "|---|---|---|---|---|"]
    for r in rows:
        ms = "–" if r.get("cpu_ms") is None else f"{r['cpu_ms']:.0f} ms"
        part = "yes" if r["partial"] == 1 else "no" if r["partial"] == 0 else f"{r['partial']:.0%}"
        err = f" ({'; '.join(r['errors'])[:60]})" if r.get("errors") else ""
        out.append(f"| {r['page']} | {r['row']}{err} | {ms} | {part} | {r['bytes'] / 1000:.1f} kB |")
    return "\n".join(out)


async def run(args) -> list[dict]:
    from tests.browser_utils import server_process

    pages = [p for p in pick(args.pages) if p.key != "home" or args.pages]
    OUT.mkdir(parents=True, exist_ok=True)
    options: tuple[str, ...] = ()
    prof = None
    if args.profile:
        prof = Path(args.profile).resolve()
        prof.mkdir(parents=True, exist_ok=True)
        os.environ["GP_PROFILE_DIR"] = str(prof)
    with server_process(options=options, log=OUT / "rerun_cpu-server.log",
                        **({"launcher": (str(ROOT / "benchmarks" / "profiled_server.py"),)} if prof else {})) as (base, proc):
        rows = []
        for page in pages:
            rows += await measure_page(base, proc.pid, page, args.repeats, args.lang, prof)
            print(table([r for r in rows if r["page"] == page.key]).split("\n", 2)[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", default=None, help="comma-separated page keys (default: every page but home)")
    ap.add_argument("--repeats", type=int, default=6)
    ap.add_argument("--lang", default="en")
    ap.add_argument("--profile", default=None, help="directory for one cProfile file per page and row")
    ap.add_argument("--out", type=Path, default=OUT / "rerun_cpu.json")
    args = ap.parse_args()
    load_before = machine_load()
    rows = asyncio.run(run(args))
    load_after = machine_load()
    print(f"\n{load_text(load_before)} → {load_after['loadavg_1_5_15'][0]:.2f}\n")
    print(table(rows))
    args.out.write_text(json.dumps({"rows": rows, "load_before": load_before, "load_after": load_after}, indent=1))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
