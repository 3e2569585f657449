"""Benchmarks of the diffusion page (issue 6). Run from the repository root:

    GP_TORCH_THREADS=1 python -m benchmarks.bench_diffusion            # everything
    GP_TORCH_THREADS=1 python -m benchmarks.bench_diffusion --quick    # skip the slow reference runs

1. Time to quality on 2D moons (8,000 training points, noise 0.03, stretched as in the tutorial):
   training time until MMD² ≤ 0.02 against 1,000 held-out points (unbiased, RBF bandwidths 0.1, 0.2,
   0.5, 1, 2: ``engine.metrics.mmd2``), median over 3 seeds, for this page's model and for a
   re-implementation of the widely used tutorial model (``benchmarks/reference_tiny_ddpm.py``).
   Training time is counted in CPU seconds of this process (one torch thread) and in wall seconds;
   the time spent evaluating is excluded from both.
2. The reference at its default T = 50, where ᾱ_T ≈ 0.6: it plateaus far above 0.02.
3. DDIM-20 sampling of 2,000 points with the shipped moons model.
4. Warm interaction times of the page (server time of an AppTest rerun after moving a widget).
5. Size of the shipped weights.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

# numpy's OpenBLAS threads spin for a while after each MMD² evaluation. Measured with them on, the
# training chunk that follows is charged their spinning as CPU time (0.76 s of CPU for 0.39 s of wall),
# and the page's short chunks more than the reference's long ones. One BLAS thread keeps CPU = wall.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

TARGET = 0.02
N_EVAL = 1000


def moons(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's make_moons(noise=0.03), stretched as the tutorial's data set is:
    x₁ ↦ 2(x₁ + 0.3) − 1, x₂ ↦ 3(x₂ + 0.3) − 1 (so the data span about 5 × 4 units)."""
    from sklearn.datasets import make_moons

    def stretch(X):
        return np.c_[2 * (X[:, 0] + 0.3) - 1, 3 * (X[:, 1] + 0.3) - 1]

    train = stretch(make_moons(8000, noise=0.03, random_state=seed)[0])
    test = stretch(make_moons(N_EVAL, noise=0.03, random_state=10_000 + seed)[0])
    return train, test


def time_to_quality(train_chunk, sample, test, chunk: int, max_steps: int) -> dict:
    """Train ``chunk`` steps at a time; after each chunk measure MMD² of fresh samples (not timed)."""
    from engine.metrics import mmd2

    cpu = wall = 0.0
    steps = 0
    curve = []
    while steps < max_steps:
        c0, w0 = time.process_time(), time.perf_counter()
        train_chunk(chunk)
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        steps += chunk
        value = mmd2(sample(), test)
        curve.append((steps, round(cpu, 2), round(value, 4)))
        if value <= TARGET:
            return {"steps": steps, "cpu": cpu, "wall": wall, "mmd2": value, "curve": curve}
    return {"steps": None, "cpu": None, "wall": None, "mmd2": curve[-1][2], "curve": curve}


def ours(seed: int) -> dict:
    from engine.core.training import Budget
    from engine.families import diffusion as D

    train, test = moons(seed)
    # the page's live-training model with its smallest training target, 400 steps (the learning rate decays
    # over the target): exactly what "train" on the page does with that target chosen
    model = D.DiffusionModel(D.config_2d(decay_steps=400), seed=seed).set_data(train)
    return time_to_quality(lambda k: model.advance(Budget(max_steps=k)), lambda: model.reverse(N_EVAL, "ddpm", seed=seed + 1).samples,
                           test, chunk=50, max_steps=3000) | {"params": model.n_params_}


def reference(seed: int, T: int = 1000, chunk: int = 250, max_steps: int = 8000) -> dict:
    from benchmarks.reference_tiny_ddpm import Reference
    from engine.core.torch_setup import torch

    train, test = moons(seed)
    ref = Reference(seed, T)
    X = torch.tensor(train, dtype=torch.float32)
    out = time_to_quality(lambda k: ref.train_steps(X, k), lambda: ref.sample(N_EVAL, seed + 1), test, chunk, max_steps)
    return out | {"params": sum(p.numel() for p in ref.model.parameters())}


def ddim_timing(repeats: int = 7) -> dict:
    from engine.families import diffusion as D

    model = D.pretrained_2d("moons")
    model.reverse(2000, "ddim", 20, seed=0)  # warm up
    cpu, wall = [], []
    for r in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        model.reverse(2000, "ddim", 20, seed=r)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {"cpu_ms": 1000 * statistics.median(cpu), "wall_ms": 1000 * statistics.median(wall)}


def warm_interactions() -> dict[str, float]:
    """Median server time (ms) of AppTest reruns after a widget moves to a value it had before."""
    from tests.apptest_utils import open_page

    K = "w:diffusion."
    out: dict[str, float] = {}

    def timed(action, label: str, repeats: int = 3) -> None:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            action()
            times.append(time.perf_counter() - t0)
        out[label] = 1000 * statistics.median(times)

    at = open_page("pages/05_diffusion.py", "en")
    at.selectbox(key=K + "dataset").set_value("moons").run()
    at.segmented_control(key=K + "source").set_value("digits").run()  # the points' two roads scrub in the browser: no t to rerun
    for v in (5, 40):  # cold: fill the caches
        at.slider(key=K + "t_forward").set_value(v).run()
    timed(lambda: (at.slider(key=K + "t_forward").set_value(5).run(), at.slider(key=K + "t_forward").set_value(40).run()),
          "forward: move the digits' t (2 reruns)")
    at.segmented_control(key=K + "section").set_value("reverse").run()
    at.segmented_control(key=K + "ddim_steps").set_value(50).run()
    timed(lambda: (at.segmented_control(key=K + "ddim_steps").set_value(20).run(),
                   at.segmented_control(key=K + "ddim_steps").set_value(50).run()), "reverse: switch DDIM steps (2 reruns)")
    at.segmented_control(key=K + "section").set_value("digits").run()
    at.slider(key=K + "guidance").set_value(4.0).run()
    timed(lambda: (at.slider(key=K + "guidance").set_value(2.0).run(), at.slider(key=K + "guidance").set_value(4.0).run()),
          "digits: move guidance (2 reruns)")
    return {k: v / 2 for k, v in out.items()}  # per rerun


def weights_size() -> float:
    folder = Path(__file__).resolve().parent.parent / "assets" / "weights" / "diffusion"
    return sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the reference runs (minutes each)")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    from engine.core.torch_setup import THREADS

    print(f"torch threads: {THREADS}")
    rows = {"this page": [ours(s) for s in range(args.seeds)]}
    if not args.quick:
        rows["reference, T = 1000"] = [reference(s) for s in range(args.seeds)]
    print("\n## 1. Time to MMD² ≤ 0.02 on moons (8,000 points, noise 0.03)\n")
    print("| model | params | seed | steps | train CPU s | train wall s | MMD² |")
    print("|---|---|---|---|---|---|---|")
    medians = {}
    for name, runs in rows.items():
        for seed, r in enumerate(runs):
            fmt = (lambda v: f"{v:.2f}" if v is not None else "not reached")
            print(f"| {name} | {r['params']:,} | {seed} | {r['steps'] or '–'} | {fmt(r['cpu'])} | {fmt(r['wall'])} | {r['mmd2']:.4f} |")
        reached = [r for r in runs if r["cpu"] is not None]
        if len(reached) == len(runs):
            medians[name] = (statistics.median(r["cpu"] for r in runs), statistics.median(r["wall"] for r in runs),
                             statistics.median(r["steps"] for r in runs))
    for name, (cpu, wall, steps) in medians.items():
        print(f"\nmedian, {name}: {steps:.0f} steps, {cpu:.2f} s CPU, {wall:.2f} s wall")
    if len(medians) == 2:
        a, b = medians["this page"], medians["reference, T = 1000"]
        print(f"speed-up (CPU): {b[0] / a[0]:.1f}×, (wall): {b[1] / a[1]:.1f}×")
    for name, runs in rows.items():
        print(f"\ncurve ({name}, seed 0): (steps, train CPU s, MMD²) {runs[0]['curve']}")
    if not args.quick:
        r50 = reference(0, T=50, chunk=1000, max_steps=5000)
        print(f"\n## 2. Reference at its default T = 50 (ᾱ_T ≈ 0.6)\n\ncurve (steps, train CPU s, MMD²): {r50['curve']}")
    d = ddim_timing()
    print(f"\n## 3. DDIM-20, 2,000 points, shipped moons model\n\nmedian of 7: {d['cpu_ms']:.0f} ms CPU, {d['wall_ms']:.0f} ms wall")
    print("\n## 4. Warm interactions (AppTest server time per rerun, median)\n")
    for k, v in warm_interactions().items():
        print(f"- {k}: {v:.0f} ms")
    print(f"\n## 5. Shipped weights: {weights_size():.2f} MB")


if __name__ == "__main__":
    main()
