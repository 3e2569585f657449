"""Throughput with one replica and with two behind nginx: a small, bounded load on 127.0.0.1.

    python -m benchmarks.replica_throughput                       # 1 and 2 replicas, 8 students, 20 s each
    python -m benchmarks.replica_throughput --replicas 2 --students 12 --seconds 30

Each simulated student is a light client that speaks Streamlit's own websocket protocol (no browser, so
the clients do not eat the server's cores): a first HTTP request through nginx (which sets the affinity
cookie), then a websocket with that cookie, then, for ``--seconds``, "rerun this page" and wait for the
script to finish, again and again, without thinking time. That is the cost of the whole-page rerun a slider
move triggers, with the caches warm. Students are spread over light and model pages (home, mixtures, GAN,
token sampling, diffusion), the same mix for every replica count.

It prints, per replica count: finished reruns per second, p50/p95 from "rerun" to "script finished", errors,
the CPU the replicas got (cores, from ``/proc``: on a shared machine, the share the others left), how many
students each replica served, and whether every response of every student (the page request and its websocket)
came from one replica. Prints the machine load before and after: the machine is shared, so the numbers are
indicative. This measures capacity, not what a class feels: the class-load benchmark (``benchmarks/class_load.py``,
built separately) simulates students with thinking time and training.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PAGES = ["", "mixtures_and_hmm", "gan", "token_sampling", "diffusion"]  # url paths; "" is the home page


@dataclass
class Student:
    page: str
    upstreams: list[str] = field(default_factory=list)  # X-Upstream of every response this student got
    times: list[float] = field(default_factory=list)  # seconds from rerun request to script finished
    errors: list[str] = field(default_factory=list)


def first_visit(base: str, page: str) -> tuple[str, str]:
    """GET the page through nginx: the cookie header to send back, and the replica that answered."""
    with urllib.request.urlopen(f"{base}/{page}?lang=en", timeout=30) as r:
        cookies = [c.split(";")[0] for c in r.headers.get_all("Set-Cookie") or []]
        return "; ".join(cookies), r.headers.get("X-Upstream", "")


def rerun_msg(page: str) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = "lang=en"
    msg.rerun_script.page_name = page
    return msg.SerializeToString()


async def one_run(ws, page: str, timeout: float) -> None:
    """Ask for a rerun and read until this run's script_finished (or fail after ``timeout``)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    await ws.send(rerun_msg(page))
    deadline = time.perf_counter() + timeout
    while True:
        data = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.perf_counter()))
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                return
            if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                raise RuntimeError("compile error")
            # FINISHED_EARLY_FOR_RERUN: a previous run was cut short; keep reading for ours
        elif kind == "page_not_found":
            raise RuntimeError(f"no page {page!r}")
        elif kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
            raise RuntimeError(f"exception on {page or 'home'}: {msg.delta.new_element.exception.message[:80]}")


async def student_loop(base: str, s: Student, seconds: float, start_at: float) -> None:
    import websockets

    try:
        cookie, upstream = await asyncio.to_thread(first_visit, base, s.page)
        s.upstreams.append(upstream)
        ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], origin=base, max_size=None,
                                      additional_headers={"Cookie": cookie} if cookie else None,
                                      open_timeout=30, ping_interval=None) as ws:
            s.upstreams.append(ws.response.headers.get("X-Upstream", ""))
            await one_run(ws, s.page, 120)  # the session's first run (cold page on this replica): not counted
            await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
            end = start_at + seconds
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                try:
                    await one_run(ws, s.page, 60)
                except (asyncio.TimeoutError, RuntimeError) as e:
                    s.errors.append(repr(e))
                    continue
                s.times.append(time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001 - a failed student is an error in the report, not a crash of the benchmark
        s.errors.append(repr(e))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (``/proc/<pid>/stat``, clock ticks)."""
    import os

    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


async def load(base: str, students: int, seconds: float, warmup: float, pids: list[int]) -> tuple[list[Student], float]:
    """The students' runs, and the CPU seconds the replicas used during the measured window."""
    crowd = [Student(PAGES[i % len(PAGES)]) for i in range(students)]
    start_at = time.perf_counter() + warmup  # everyone connects and renders once before the clock starts

    async def cpu_window() -> float:
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        before = cpu_seconds(pids)
        await asyncio.sleep(seconds)
        return cpu_seconds(pids) - before

    *_, cpu = await asyncio.gather(*(student_loop(base, s, seconds, start_at) for s in crowd), cpu_window())
    return crowd, cpu


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else (values or [float("nan")])[0]


def report(n: int, crowd: list[Student], seconds: float, cpu: float) -> dict:
    times = [t for s in crowd for t in s.times]
    pinned = all(len(set(s.upstreams)) == 1 and s.upstreams[0] for s in crowd)
    row = {
        "replicas": n,
        "reruns_per_s": len(times) / seconds,
        "p50_s": pct(times, 50),
        "p95_s": pct(times, 95),
        "errors": sum(len(s.errors) for s in crowd),
        "replica_cpu_s": cpu,
        "students_per_replica": dict(sorted(Counter(s.upstreams[0] if s.upstreams else "?" for s in crowd).items())),
        "each_student_on_one_replica": pinned,
    }
    print(f"{n} replica(s): {row['reruns_per_s']:.2f} reruns/s, p50 {row['p50_s']:.2f} s, p95 {row['p95_s']:.2f} s, "
          f"errors {row['errors']}, replicas' CPU {cpu / seconds:.2f} cores, students per replica {row['students_per_replica']}, "
          f"each student on one replica: {pinned}", flush=True)
    for s in crowd:
        for e in s.errors[:2]:
            print(f"   {s.page or 'home'}: {e}", flush=True)
    return row


def main(argv: list[str] | None = None) -> None:
    from deploy.local_replicas import cluster

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--students", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0, help="measured time per replica count (bounded)")
    ap.add_argument("--warmup", type=float, default=20.0, help="time for every student's first, cold render")
    args = ap.parse_args(argv)
    print(f"load before: {' '.join(open('/proc/loadavg').read().split()[:3])}, {args.students} students, "
          f"{args.seconds:.0f} s per replica count", flush=True)
    rows = []
    for n in args.replicas:
        with cluster(n) as c:
            crowd, cpu = asyncio.run(load(c.url, args.students, args.seconds, args.warmup, list(c.pids().values())))
            rows.append(report(n, crowd, args.seconds, cpu))
        print(f"load now: {' '.join(open('/proc/loadavg').read().split()[:3])}", flush=True)
    if len(rows) > 1 and rows[0]["reruns_per_s"] > 0:
        print(f"throughput {rows[-1]['replicas']} vs {rows[0]['replicas']} replica(s): "
              f"x{rows[-1]['reruns_per_s'] / rows[0]['reruns_per_s']:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
