"""How long a thread that lets go of the interpreter lock waits to take it back, at two switch intervals.

    .venv/bin/python -m benchmarks.gil_convoy                      # 5 ms (CPython's, the app's) against 1 ms
    .venv/bin/python -m benchmarks.gil_convoy --intervals 5,1,0.5 --busy 3 --seconds 3

One process on one CPU, as a classroom server runs: ``--busy`` threads keep the lock busy with Python (other
students' runs), and one thread does what a run does between them: small torch ops (a training step; torch lets go
of the lock in each op) or socket writes (Streamlit wakes its event loop with one for every element a run sends).
Each interval runs in a fresh process (``sys.setswitchinterval`` is process-wide). It reports that thread's ops per
second and the busy threads' work per second: a shorter interval should raise the first without lowering the
second. The ratio matters, not the absolute numbers (they move with the machine's load, which is printed).

Kept for the record of a change not made: a 1 ms interval took the measured thread's lock back 1.5-3x faster here,
but 30 simulated students (``benchmarks.class_load``, two runs of each, alternated) were no faster with it, and
their training actions' p95 was slower (``benchmarks/README.md``, stop 25): the server is short of CPU, not of
turns at the lock. The app keeps CPython's 5 ms.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

from benchmarks.timing import load_text, machine_load


def child(interval: float, busy: int, kind: str, seconds: float) -> str:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one CPU, like a pinned server
    import torch

    torch.set_num_threads(1)
    sys.setswitchinterval(interval)
    stop, work = threading.Event(), [0] * busy

    def spin(i: int) -> None:
        x = 0
        while not stop.is_set():
            for _ in range(1000):
                x += 1
            work[i] += 1

    def torch_ops() -> int:
        a, n, end = torch.randn(64, 64), 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            a, n = torch.tanh(a @ a * 0.01), n + 1
        return n

    def writes() -> int:
        r, w = socket.socketpair()
        r.setblocking(False)
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            w.send(b"\0")
            n += 1
            try:
                r.recv(4096)
            except BlockingIOError:
                pass
        return n

    threads = [threading.Thread(target=spin, args=(i,), daemon=True) for i in range(busy)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    w0 = sum(work)
    n = torch_ops() if kind == "torch" else writes()
    w1 = sum(work)
    stop.set()
    return f"{n / seconds:.0f} {(w1 - w0) / seconds:.0f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--intervals", default="5,1", help="switch intervals to compare, in milliseconds")
    ap.add_argument("--busy", type=int, default=3, help="threads busy in Python beside the measured one")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--repeats", type=int, default=3, help="runs per row; the median is shown")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(child(float(args.child[0]), args.busy, args.child[1], float(args.child[2])))
        return
    print(f"before: {load_text(machine_load())}")
    print("| interval | work | ops/s (measured thread) | busy threads' work/s |\n|---|---|---|---|")
    for kind in ("torch", "write"):
        for ms in (float(v) for v in args.intervals.split(",")):
            ops, spun = [], []
            for _ in range(args.repeats):
                out = subprocess.run([sys.executable, "-m", "benchmarks.gil_convoy", "--busy", str(args.busy),
                                      "--child", str(ms / 1000), kind, str(args.seconds)],
                                     capture_output=True, text=True, check=True).stdout.split()
                ops.append(float(out[0]))
                spun.append(float(out[1]))
            print(f"| {ms:g} ms | {'torch op' if kind == 'torch' else 'socket write'} | "
                  f"{sorted(ops)[len(ops) // 2]:,.0f} | {sorted(spun)[len(spun) // 2]:,.0f} |")
    print(f"after: {load_text(machine_load())}")


if __name__ == "__main__":
    main()
