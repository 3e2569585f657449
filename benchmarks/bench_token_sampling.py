"""Benchmarks for the token-sampling page (issue 7). Prints Markdown tables.

    GP_TORCH_THREADS=1 python -m benchmarks.bench_token_sampling            # everything
    GP_TORCH_THREADS=1 python -m benchmarks.bench_token_sampling --only names

- makemore's names benchmark: time for the tiny transformer to reach 2.10 nats/char, and to beat the best
  count model (4-gram, 2.06), on makemore's test split; median over 3 seeds. Training time only: the
  evaluations on the 1,000 test names are not counted.
- Dom Casmurro and Alice: time for the transformer to beat the best n-gram (order 1-5, alpha tuned on the
  held-out text itself, so the n-gram is flattered) in held-out bits per character; median over 3 seeds.
- generating 200 characters, a warm slider move through AppTest, and the size of the shipped weights.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from engine.core import weights as weights_io
from engine.core.training import Budget
from engine.families import autoregressive as ts

SEEDS = (0, 1, 2)


def fmt(x, unit="s"):
    return "not reached" if x is None else f"{x:.1f} {unit}"


def median_or_none(values):
    """Median, counting "not reached" as slower than any time; None if the median itself was not reached."""
    m = statistics.median([float("inf") if v is None else v for v in values])
    return None if m == float("inf") else m


def first_reaching(history, threshold, strict=False):
    """The first evaluation at or below ``threshold`` (strictly below if ``strict``), or None."""
    for h in history:
        if (h["val"] < threshold) if strict else (h["val"] <= threshold):
            return h
    return None


def time_to(history, threshold, strict=False):
    h = first_reaching(history, threshold, strict)
    return None if h is None else h["seconds"]


def step_to(history, threshold, strict=False):
    h = first_reaching(history, threshold, strict)
    return "—" if h is None else h["step"]


def bench_names(max_seconds: float) -> None:
    corpus = ts.load_corpus("names")
    counts = {n: ts.bits_per_char(ts.fit_ngram(corpus, n), corpus) * ts.LN2 for n in (2, 3, 4)}
    print("\n### makemore names benchmark (test loss in nats/char, end-of-name token included)\n")
    print("| count model (ours, add-0.1) | test loss | makemore reference |")
    print("|---|---|---|")
    for n, ref in ((2, 2.45), (3, 2.20), (4, 2.06)):
        print(f"| {n}-gram | {counts[n]:.3f} | {ref:.2f} |")
    best = min(counts.values())
    cfg = ts.default_config(corpus, "transformer")
    rows = []
    for seed in SEEDS:
        trainer = ts.Trainer(corpus, cfg, ts.live_recipe(corpus, "transformer", eval_every=50, eval_windows=None),
                             seed=seed)
        trainer.advance(Budget(max_seconds=max_seconds))
        rows.append((seed, time_to(trainer.history_, 2.10), time_to(trainer.history_, best, strict=True),
                     trainer.history_[-1]["val"], trainer.step_, step_to(trainer.history_, 2.10),
                     step_to(trainer.history_, best, strict=True)))
        print(f"  seed {seed}: t(2.10)={fmt(rows[-1][1])} t(<{best:.3f})={fmt(rows[-1][2])} "
              f"final={rows[-1][3]:.4f} after {rows[-1][4]} steps", flush=True)
    print(f"\nTransformer {cfg.n_layer} layers × {cfg.n_embd} wide, {ts.build(cfg).n_params_:,} parameters, batch 64, "
          f"budget {max_seconds:.0f} s of training per seed (evaluated every 50 steps).\n")
    print("| seed | time to 2.10 (step) | time to beat the 4-gram (step) | final test loss | steps |")
    print("|---|---|---|---|---|")
    for seed, a, b, final, n, sa, sb in rows:
        print(f"| {seed} | {fmt(a)} ({sa}) | {fmt(b)} ({sb}) | {final:.4f} | {n} |")
    print(f"| **median** | **{fmt(median_or_none([r[1] for r in rows]))}** | "
          f"**{fmt(median_or_none([r[2] for r in rows]))}** | {statistics.median(r[3] for r in rows):.4f} | |")


def bench_load_factor(n_steps: int = 150) -> float:
    """How much slower this machine is right now than when the makemore references were measured:
    time a makemore-sized transformer (4 layers, 64 wide, 4 heads, batch 32, ~200k parameters) per step and
    compare with the reference 1,500 steps in about 35 s (23.3 ms per step)."""
    corpus = ts.load_corpus("names")
    cfg = ts.ModelConfig(kind="transformer", vocab_size=corpus.vocab.size, block_size=corpus.block_size,
                         n_layer=4, n_embd=64, n_head=4)
    trainer = ts.Trainer(corpus, cfg, ts.TrainConfig(batch_size=32, eval_every=10**9), seed=0)
    trainer.advance(Budget(max_steps=10))  # warm-up
    t0 = time.perf_counter()
    trainer.advance(Budget(max_steps=n_steps))
    per_step = (time.perf_counter() - t0) / n_steps
    factor = per_step / (35.0 / 1500)
    print(f"\n### Load factor\n\nA makemore-sized transformer ({trainer.model.n_params_:,} parameters, batch 32) takes "
          f"{per_step * 1000:.1f} ms per step now, against 23.3 ms when the reference was measured: this machine "
          f"needs **{factor:.1f}×** the reference time per step.")
    return factor


def best_ngram(corpus) -> tuple[float, str]:
    best = (float("inf"), "")
    for n in (1, 2, 3, 4, 5):
        for alpha in (0.01, 0.03, 0.1, 0.3):
            bpc = ts.bits_per_char(ts.fit_ngram(corpus, n, alpha), corpus)
            best = min(best, (bpc, f"{n}-gram, α={alpha}"))
    return best


def bench_books(max_seconds: float) -> None:
    print("\n### Books: time for the transformer to beat the best n-gram (held-out bits/char)\n")
    print("| corpus | best n-gram | seed | time to beat it | final bits/char | steps |")
    print("|---|---|---|---|---|---|")
    for name in ("alice", "dom_casmurro"):
        corpus = ts.load_corpus(name)
        target, label = best_ngram(corpus)
        times = []
        for seed in SEEDS:
            trainer = ts.Trainer(corpus, ts.default_config(corpus, "transformer"),
                                 ts.live_recipe(corpus, "transformer", eval_every=100, eval_windows=None),
                                 seed=seed)
            trainer.advance(Budget(max_seconds=max_seconds))
            t = time_to(trainer.history_, target * ts.LN2, strict=True)
            times.append(t)
            print(f"| {name} | {target:.3f} ({label}) | {seed} | {fmt(t)} (step {step_to(trainer.history_, target * ts.LN2, True)}) "
                  f"| {trainer.history_[-1]['val'] / ts.LN2:.3f} "
                  f"| {trainer.step_} |", flush=True)
        print(f"| {name} | | **median** | **{fmt(median_or_none(times))}** | | |")


def bench_generation() -> None:
    print("\n### Generating 200 characters (median of 5)\n")
    print("| corpus | rung | time |")
    print("|---|---|---|")
    for name in ("names", "alice", "dom_casmurro"):
        corpus = ts.load_corpus(name)
        for rung in ("trigram", "mlp", "transformer"):
            model = ts.fit_ngram(corpus, 3) if rung == "trigram" else ts.load_pretrained(name, rung)[0]
            times = []
            for seed in range(5):
                t0 = time.perf_counter()
                ts.generate(model, corpus.vocab, corpus.mode, "", 200, ts.SamplingSettings(0.8, 20, 0.95), seed=seed)
                times.append(time.perf_counter() - t0)
            print(f"| {name} | {rung} | {statistics.median(times) * 1000:.0f} ms |")


def bench_slider() -> None:
    from tests.apptest_utils import open_page

    print("\n### Warm reruns through AppTest (median of 7; whole page script, all tabs)\n")
    print("| action | server time |")
    print("|---|---|")
    at = open_page("pages/06_token_sampling.py", "en")
    for label, key, values in (("temperature slider", "w:token_sampling.temperature", (0.5, 0.9)),
                               ("top-p slider", "w:token_sampling.top_p", (0.8, 0.95))):
        times = []
        for i in range(7):
            at.slider(key=key).set_value(values[i % 2])
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
        print(f"| {label} (transformer, Alice) | {statistics.median(times) * 1000:.0f} ms |")
    # the distribution alone: the engine work plus building the figure
    from ui import plots_token_sampling as plots

    model, _ = ts.load_pretrained("alice", "transformer")
    corpus = ts.load_corpus("alice")
    ids = ts.context_ids("stream", corpus.vocab, "Alice was beginning to get very tired of sitting")
    times = []
    for i in range(20):
        t0 = time.perf_counter()
        view = ts.transform(ts.next_logits(model, ids), ts.SamplingSettings(0.5 + i / 20, 10, 0.9))
        plots.distribution_figure(corpus.vocab.chars, view.p_model, view.p_temp, view.keep, view.q, 20,
                                  {k: k for k in ("p_temp", "q", "p_model", "cut", "x", "y")})
        times.append(time.perf_counter() - t0)
    print(f"| the distribution alone (logits + transforms + figure) | {statistics.median(times) * 1000:.0f} ms |")


def bench_weights() -> None:
    folder = weights_io.WEIGHTS / ts.FAMILY
    total = sum(p.stat().st_size for p in folder.iterdir())
    print(f"\n### Shipped weights\n\n{len(list(folder.glob('*.pt')))} files, {total / 1e6:.2f} MB in total (limit 5 MB).")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["load", "names", "books", "generation", "slider", "weights"])
    parser.add_argument("--names-seconds", type=float, default=45.0)
    parser.add_argument("--books-seconds", type=float, default=90.0)
    args = parser.parse_args()
    np.set_printoptions(precision=4)
    jobs = {"load": bench_load_factor, "weights": bench_weights, "generation": bench_generation, "slider": bench_slider,
            "names": lambda: bench_names(args.names_seconds), "books": lambda: bench_books(args.books_seconds)}
    for name, job in jobs.items():
        if args.only in (None, name):
            job()
