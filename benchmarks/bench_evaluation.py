"""Benchmarks of the evaluation page (issue 15). Run from the repository root:

    python -m benchmarks.bench_evaluation              # everything
    python -m benchmarks.bench_evaluation --only 2d    # one part: 2d, digits, app

1. Every 2D metric on 2,000 generated vs 2,000 real points, as the page recomputes them when a dial
   moves: the real side (k-NN distances, kernel mean, distances to the training set) is built once per
   dataset and not counted; each row is the median of 7 runs, wall and process CPU time.
2. The digits leaderboard from the shipped samples and features: loading them (checksums verified),
   the nine rows, and one FID-vs-N curve.
3. AppTest: the page's first render in a fresh process, and warm reruns (median of 5) after a dial
   move that hits the caches, a section control, and on the digits tab.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from engine import metrics
from engine.data import points
from engine.evaluation import leaderboard as lb
from engine.evaluation import plane
from engine.evaluation import scorecard as sc

N = 2000


def ev_map_res() -> int:
    from ui.evaluation_data import MAP_RES  # the page's grid

    return MAP_RES


def timed(fn, repeats: int = 7) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn()``."""
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return 1000 * statistics.median(walls), 1000 * statistics.median(cpus)


def plane_times() -> list[tuple[str, float, float]]:
    ds = points.make_dataset("ring8", 2 * N, None, seed=0)
    setup = plane.prepare(ds.X, ds.y, seed=0)  # 2,000 training and 2,000 held-out points
    ref = sc.reference(setup.held_out)
    held = metrics.nearest_distances(setup.held_out, setup.train)
    dials = plane.Dials(modes_kept=6, blur=0.05, shrink=0.2, copy=0.1, shift=0.1)
    gen = plane.generate(setup, dials, N, seed=1).points
    box = points.bounds(np.r_[ds.X, gen], margin=0.05)
    xs, ys, grid = points.grid(box, ev_map_res())

    def everything():
        g = plane.generate(setup, dials, N, seed=1).points
        p = sc.prdc(ref, g, 5)
        plane.ball_union(ref.X, p.real_radii, box, 240)
        plane.ball_union(g, p.fake_radii, box, 240)
        sc.mmd2(ref, g)
        sc.sliced_wasserstein(ref, g)
        metrics.parzen_log_likelihood(g, ref.X)
        metrics.copy_report(metrics.nearest_distances(g, setup.train), held)

    rows = [
        ("generate 2,000 samples (all five dials)", *timed(lambda: plane.generate(setup, dials, N, seed=1))),
        ("precision, recall, density, coverage (k = 5)", *timed(lambda: sc.prdc(ref, gen, 5))),
        ("both k-NN ball pictures (240 × 240)", *timed(lambda: (plane.ball_union(ref.X, ref.radii(5), box, 240),
                                                                plane.ball_union(gen, metrics.knn_radii(gen, 5), box, 240)))),
        ("MMD² (five bandwidths)", *timed(lambda: sc.mmd2(ref, gen))),
        ("sliced Wasserstein (128 directions)", *timed(lambda: sc.sliced_wasserstein(ref, gen))),
        ("Parzen log-likelihood of the held-out points", *timed(lambda: metrics.parzen_log_likelihood(gen, ref.X))),
        ("copy detector", *timed(lambda: metrics.copy_report(metrics.nearest_distances(gen, setup.train), held))),
        ("**all of the above, one dial move**", *timed(everything)),
        ("MMD witness map, as the page draws it (50 × 50 grid, 600 points of each set)",
         *timed(lambda: metrics.mmd_witness(ref.X[:600], gen[:600], grid))),
        ("real side, once per dataset (not in the total)", *timed(lambda: sc.reference(setup.held_out), repeats=3)),
    ]
    return rows


def digits_times() -> list[tuple[str, float, float]]:
    w, c = time.perf_counter(), time.process_time()
    lb.shipped()
    load = (1000 * (time.perf_counter() - w), 1000 * (time.process_time() - c))
    return [
        ("load the shipped samples and features (sha256 checked)", *load),
        ("the leaderboard, nine rows", *timed(lambda: lb.leaderboard(), repeats=3)),
        ("one FID-vs-N curve (14 N × 20 subsets)", *timed(lambda: lb.fid_curve("gan"), repeats=3)),
    ]


def app_times() -> list[tuple[str, float]]:
    from benchmarks.timing import median_rerun
    from tests.apptest_utils import open_page
    from ui import text

    t0 = time.perf_counter()
    at = open_page("pages/08_evaluation.py", "en")
    cold = time.perf_counter() - t0
    values = [0.0, 0.1, 0.0, 0.1, 0.0]
    at.slider(key="w:evaluation.blur").set_value(0.1).run()  # fill the caches of both values
    dial = median_rerun(at, lambda i: at.slider(key="w:evaluation.blur").set_value(values[i]))
    views = ["recall", "precision", "recall", "precision", "recall"]
    at.segmented_control(key="w:evaluation.view").set_value("recall").run()
    view = median_rerun(at, lambda i: at.segmented_control(key="w:evaluation.view").set_value(views[i]))
    at.session_state["evaluation_tab"] = text.catalogue("en")["evaluation.tab.digits"]
    t0 = time.perf_counter()
    at.run()
    digits_first = time.perf_counter() - t0
    sorts = ["recall", "fid", "recall", "fid", "recall"]
    at.segmented_control(key="w:evaluation.sort_by").set_value("recall").run()
    digits_warm = median_rerun(at, lambda i: at.segmented_control(key="w:evaluation.sort_by").set_value(sorts[i]))
    return [("first render of the page (fresh process, 2D tab)", 1000 * cold),
            ("warm rerun after a dial move (cached)", 1000 * dial),
            ("warm rerun after a section control (cached)", 1000 * view),
            ("digits tab, first view (leaderboard and curves computed)", 1000 * digits_first),
            ("digits tab, warm rerun", 1000 * digits_warm)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("2d", "digits", "app"))
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.only in (None, "2d"):
        print("\n| 2D, 2,000 vs 2,000 points | wall ms | CPU ms |\n|---|---|---|")
        for name, wall, cpu in plane_times():
            print(f"| {name} | {wall:.0f} | {cpu:.0f} |")
    if args.only in (None, "digits"):
        print("\n| digits | wall ms | CPU ms |\n|---|---|---|")
        for name, wall, cpu in digits_times():
            print(f"| {name} | {wall:.0f} | {cpu:.0f} |")
    if args.only in (None, "app"):
        print("\n| AppTest | server ms |\n|---|---|")
        for name, ms in app_times():
            print(f"| {name} | {ms:.0f} |")
    print(f"\nload average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
