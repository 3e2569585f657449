"""Benchmarks of the arena page (issue 16). Run from the repository root (a full race takes a while):

    python -m benchmarks.bench_arena                 # everything
    python -m benchmarks.bench_arena --only race     # one part: race, app

1. A full race with every contestant on the page's default data (the 8 Gaussians, 800 points) and the
   page's default budget (2 s of training each), as the page runs it: wall time of the race, of its
   verdict, and the total; then the time of one live redraw's previews (every contestant's samples).
2. AppTest: the page's first render in a fresh process (a shipped lesson, no training), and warm
   reruns (median of 9, wall and CPU time) after switching lessons and ranking metrics; then the same re-ranking under a
   finished live race of every contestant (25 steps each).

Give the machine's load (``uptime``) with the figures: the targets are a full race within 15 s on
2 cores, a shipped race within 1 s and a warm rerun within 150 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from engine.core.training import Budget
from engine.data import points
from engine.races import race as R


def race_times() -> None:
    from engine import registry

    registry.families()
    ds = points.make_dataset("ring8", seed=0)
    t0 = time.perf_counter()
    race = R.Race(ds.X, ds.y, list(R.CONTESTANTS), Budget(max_seconds=2.0), seed=0, dataset="ring8")
    t1 = time.perf_counter()
    race.run()
    t2 = time.perf_counter()
    rows = race.result()
    t3 = time.perf_counter()
    for e in race.entries:
        race.preview(e, 150)
    t4 = time.perf_counter()
    print(f"race: build {t1 - t0:.2f} s, train {t2 - t1:.2f} s, verdict {t3 - t2:.2f} s, total {t3 - t0:.2f} s; "
          f"previews {1000 * (t4 - t3):.0f} ms")
    for r in rows:
        print(f"  {r['name']:10s} {r['steps']:5d} steps {r['seconds']:5.2f} s  mmd2 {r['mmd2']:.4f}  modes {r['modes']}")


def reruns(at, move, repeats: int = 9) -> str:
    """Median wall time of ``at.run()`` after ``move(i)``, and its median CPU time (this process: the script's
    thread, and AppTest's mostly sleeping poll): on a loaded machine the CPU time is closer to an idle core's wall."""
    wall, cpu = [], []
    for i in range(repeats):
        move(i)
        t0, c0 = time.perf_counter(), time.process_time()
        at.run()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return f"{1000 * statistics.median(wall):.0f} ms (CPU {1000 * statistics.median(cpu):.0f} ms)"


def app_times() -> None:
    from tests.apptest_utils import open_page

    t0 = time.perf_counter()
    at = open_page("pages/09_arena.py", "en")
    print(f"app: first render (shipped lesson) {time.perf_counter() - t0:.2f} s")
    lessons = ("spiral", "blobs", "ring", "faithful", "blobs")
    at.segmented_control(key="w:arena.race").set_value("spiral").run()  # every lesson cached once
    for key in lessons:
        at.segmented_control(key="w:arena.race").set_value(key).run()
    warm = reruns(at, lambda i: at.segmented_control(key="w:arena.race").set_value(lessons[i % len(lessons)]))
    metrics = ("mmd2", "precision", "recall", "n_params", "log_likelihood")
    at.segmented_control(key="w:arena.race").set_value("blobs").run()
    ranked = reruns(at, lambda i: at.selectbox(key="w:arena.metric_blobs").set_value(metrics[i % len(metrics)]))
    print(f"app: warm rerun, switching lessons {warm}; re-ranking {ranked}")
    # a finished live race (every contestant, 25 steps each): its figures are kept per result in the session
    at.segmented_control(key="w:arena.mode").set_value("custom").run()
    at.segmented_control(key="w:arena.budget_kind").set_value("steps").run()
    at.select_slider(key="w:arena.budget_steps").set_value(25).run()
    at.button(key="arena_play").click().run()
    for _ in range(60):
        if at.session_state["arena.live"].trainer.done:
            break
        at.run()
    at.run()
    raced = reruns(at, lambda i: at.selectbox(key="w:arena.metric_custom").set_value(metrics[i % len(metrics)]))
    print(f"app: warm rerun of a finished race (7 contestants), re-ranking {raced}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("race", "app"))
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.only in (None, "race"):
        race_times()
    if args.only in (None, "app"):
        app_times()


if __name__ == "__main__":
    main()
