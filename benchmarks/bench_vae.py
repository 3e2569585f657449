"""Benchmarks for the VAE page (issue 4): time to quality, warm interaction times, weights size.

    GP_TORCH_THREADS=2 python -m benchmarks.bench_vae            # everything
    GP_TORCH_THREADS=2 python -m benchmarks.bench_vae --only fast # just the reference race

Time to quality trains from scratch with a fixed recipe and seed, three seeds, and reports the
median. "Train s" is the wall time spent inside the optimiser steps (validation checks every
25 steps are not counted); "CPU s" is the process CPU time of those steps, which is what the
run costs on an idle machine (with one thread it equals the idle wall time). The evaluation
protocol is the page's: test −ELBO with β = 1, 8 samples of z per image, 17-way categorical
pixels, rows 1350–1796 of load_digits.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from engine.core import weights as weights_io
from engine.core.torch_setup import THREADS
from engine.core.training import Budget
from engine.data import digits
from engine.families import vae

REFERENCE_TEST = 97.3  # the teaching VAE's test −ELBO after 25 s (64→256→256→2·16, 16→256→256→17·64)
REFERENCE_VAL = 105.0  # … which its validation −ELBO passes after about 13 s
# the recipe that races the reference: the same layer sizes, Adam at a higher rate on a short
# cosine schedule, KL warm-up, dropout 0.2, decoupled weight decay 0.5 (AdamW), decoder bias started
# at the pixel marginals, and an exponential moving average of the weights
FAST = vae.VAEConfig(latent_dim=16, hidden=256, lr=6e-3, batch_size=100, max_steps=400, kl_warmup=100, dropout=0.2,
                     weight_decay=0.5, ema=0.98)
PAGE_2D = vae.VAEConfig()  # the page's own 2D model (what "Train from scratch" runs by default)


def race(cfg: vae.VAEConfig, seeds=(0, 1, 2), every: int = 25, target_val: float | None = REFERENCE_VAL) -> list[dict]:
    Xva = digits.load("val")[0]
    Xte = digits.load("test")[0]
    rows = []
    for seed in seeds:
        tr = vae.Trainer(cfg, seed=seed)
        cpu = 0.0
        t_val = None
        while not tr.done:
            c0 = time.process_time()
            tr.advance(Budget(max_steps=every))
            cpu += time.process_time() - c0
            if target_val is not None and t_val is None:
                if tr.model.evaluate(Xva, n_samples=1, seed=tr.step_).neg_elbo <= target_val:
                    t_val = tr.elapsed_
        ev = tr.model.evaluate(Xte, n_samples=8, seed=0)
        rows.append({"seed": seed, "train_s": tr.elapsed_, "cpu_s": cpu, "t_val": t_val, "test": ev.neg_elbo,
                     "diverged": tr.diverged_})
    return rows


def med(rows, key):
    vals = [r[key] for r in rows if r[key] is not None]
    return statistics.median(vals) if vals else float("nan")


def interaction_times(repeats: int = 20) -> dict[str, float]:
    m = vae.pretrained(2, 1.0)
    X = digits.load("test")[0]
    jobs = {
        "decode one latent point": lambda: m.decode_mean(np.zeros((1, 2), np.float32)),
        "decode a 20×20 grid": lambda: m.decode_mean(vae.grid(3.0, 20)),
        "encode 2 digits + decode a 16-step walk": lambda: m.decode_mean(vae.lerp(*m.encode_mean(X[:2]), 16)),
        "d = 16: encode 2 + decode a 16-step slerp walk": lambda: vae.pretrained(16, 1.0).decode_mean(
            vae.slerp(*vae.pretrained(16, 1.0).encode_mean(X[:2]), 16)),
    }
    out = {}
    for name, fn in jobs.items():
        fn()  # warm
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        out[name] = statistics.median(ts) * 1000
    return out


def apptest_times(repeats: int = 5) -> dict[str, float]:
    from benchmarks.timing import median_rerun
    from tests.apptest_utils import open_page

    from ui import text

    at = open_page("pages/03_vae.py", "en")
    at.run()  # warm the caches
    moves = {  # (tab to open first, the move)
        "pick a latent point (z₁)": ("latent", lambda i: at.number_input(key="w:vae.pick_z1").set_value(0.5 * (i % 4))),
        "grid size slider": ("grid", lambda i: at.slider(key="w:vae.grid_n").set_value(18 + i % 3)),
        "walk steps slider": ("walk", lambda i: at.slider(key="w:vae.walk_n").set_value(8 + i % 3)),
        "β slider (switch pretrained model)": ("latent", lambda i: at.select_slider(key="w:vae.beta").set_value((0.5, 1.0, 2.0)[i % 3])),
    }
    out = {}
    for name, (tab, move) in moves.items():
        at.session_state["vae_tab"] = text.catalogue("en")[f"vae.tab.{tab}"]
        at.run()
        for i in range(3):  # warm every value once
            move(i)
            at.run()
        out[name] = median_rerun(at, move, repeats) * 1000
        assert not at.exception
    return out


def weights_size() -> int:
    return sum((weights_io.WEIGHTS / "vae" / e["file"]).stat().st_size for e in weights_io.read_manifest("vae").values())


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", choices=["fast", "page", "interaction", "size"], default=None)
    p.add_argument("--seeds", default="0,1,2")
    args = p.parse_args(argv)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    print(f"torch threads: {THREADS}\n")
    if args.only in (None, "fast"):
        rows = race(FAST, seeds)
        print("## Race against the reference (test −ELBO 97.3 after 25 s; val −ELBO 105 after ~13 s)\n")
        print("| seed | train s (wall) | CPU s | val ≤ 105 at s | test −ELBO |\n|---|---|---|---|---|")
        for r in rows:
            tv = "—" if r["t_val"] is None else f"{r['t_val']:.1f}"
            print(f"| {r['seed']} | {r['train_s']:.1f} | {r['cpu_s']:.1f} | {tv} | {r['test']:.2f} |")
        print(f"| **median** | **{med(rows, 'train_s'):.1f}** | **{med(rows, 'cpu_s'):.1f}** | **{med(rows, 't_val'):.1f}** | **{med(rows, 'test'):.2f}** |\n")
    if args.only in (None, "page"):
        rows = race(PAGE_2D, seeds, target_val=None)
        print(f"## The page's 2D model from scratch (quality bar: test −ELBO ≤ {vae.QUALITY_BAR:g})\n")
        print("| seed | train s (wall) | CPU s | test −ELBO | bar met |\n|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['seed']} | {r['train_s']:.1f} | {r['cpu_s']:.1f} | {r['test']:.2f} | {r['test'] <= vae.QUALITY_BAR} |")
        print(f"| **median** | **{med(rows, 'train_s'):.1f}** | **{med(rows, 'cpu_s'):.1f}** | **{med(rows, 'test'):.2f}** | |\n")
    if args.only in (None, "interaction"):
        print("## Warm interaction (engine calls, median of 20, ms)\n\n| action | ms |\n|---|---|")
        for name, ms in interaction_times().items():
            print(f"| {name} | {ms:.1f} |")
        print("\n## Warm page reruns through AppTest (median of 5, ms; includes AppTest's own overhead)\n\n| widget moved | ms |\n|---|---|")
        for name, ms in apptest_times().items():
            print(f"| {name} | {ms:.0f} |")
        print()
    if args.only in (None, "size"):
        print(f"## Weights\n\nassets/weights/vae: {weights_size() / 1e6:.2f} MB (limit 5 MB)\n")


if __name__ == "__main__":
    main()
