"""Benchmarks for page 2 (mixtures and HMMs): the issue's performance goals, and its quality numbers.

Run from the repository root:  python -m benchmarks.bench_mixtures_and_hmm
Prints markdown tables; record them in benchmarks/results/mixtures_and_hmm.md.
"""

from __future__ import annotations

import statistics
import time

import plotly.io as pio
from plotly.tools import return_figure_from_figure_or_data

from engine.data import points
from engine.families import hmm, mixture
from ui import plots_mixtures_and_hmm as plots

SEEDS = (0, 1, 2)
REPLAY_LABELS = {k: k for k in "iteration mean_ll points sigma1 sigma2 means ll_curve current play pause".split()}


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def em_and_replay(name: str, k: int, init: str, seed: int) -> tuple[float, int, int]:
    """EM on 1,000 points plus the replay figure serialised as st.plotly_chart does."""
    X = points.make_dataset(name, 1000, None, seed).X

    def run():
        hist = mixture.fit_em(X, k, "full", init, seed)
        fig = plots.em_replay_figure(hist, X, points.bounds(X), REPLAY_LABELS)
        spec = pio.to_json(return_figure_from_figure_or_data(fig, True), validate=False)
        return hist, spec

    (hist, spec), seconds = timed(run)
    return seconds, hist.n_iter, len(spec)


def bench_em() -> None:
    print("\n### EM on 1,000 points + replay (goal ≤ 1 s), median of seeds", SEEDS)
    print("| data | K | start | median s | max s | iterations (median) | replay JSON kB |")
    print("|---|---|---|---|---|---|---|")
    em_and_replay("blobs", 3, "kmeans", 0)  # warm imports
    for name, k, init in (("blobs", 3, "random"), ("blobs", 3, "kmeans"), ("moons", 8, "random"), ("checkerboard", 10, "random")):
        runs = [em_and_replay(name, k, init, s) for s in SEEDS]
        secs = [r[0] for r in runs]
        print(f"| {name} | {k} | {init} | {statistics.median(secs):.3f} | {max(secs):.3f} | "
              f"{statistics.median(r[1] for r in runs):.0f} | {statistics.median(r[2] for r in runs) / 1000:.0f} |")


def bench_quality() -> None:
    print("\n### Quality (fixed seeds)")
    print("| measure | value | time |")
    print("|---|---|---|")
    X = points.make_dataset("blobs", 600, 0.45, 0).X
    sel, s = timed(lambda: mixture.select_components(X, mixture.MAX_COMPONENTS, "full", 0))  # the page's scan
    print(f"| BIC's choice on three blobs (600 points) | K = {sel.best_bic} (AIC: K = {sel.best_aic}) | "
          f"{s:.2f} s for K = 1..{mixture.MAX_COMPONENTS} |")
    casino = hmm.PRESETS["casino"].params
    accs, six, secs = [], [], []
    for seed in SEEDS:
        x, z = hmm.ancestral_sample(casino, 2000, seed)
        accs.append(hmm.accuracy(hmm.viterbi(casino, x)[0], z))
        learned, t = timed(lambda: hmm.baum_welch(x, 2, 6, seed, true_emission=casino.emissionprob))
        six.append(learned.params.emissionprob[1, 5])
        secs.append(t)
    print(f"| Viterbi accuracy, casino, 2,000 rolls (median of {len(SEEDS)} seeds) | {statistics.median(accs):.3f} (min {min(accs):.3f}) | |")
    print(f"| Baum-Welch p(six | loaded), true 0.5 (median of {len(SEEDS)} seeds) | {statistics.median(six):.3f} "
          f"(range {min(six):.3f}–{max(six):.3f}) | {statistics.median(secs):.2f} s median (3 restarts) |")
    signal = hmm.regime_signal(600, 0.95, 1.5, 0)
    fit, t = timed(lambda: hmm.fit_regimes(signal, 3, 0))
    print(f"| Regimes (600 steps, spread 1.5): Gaussian HMM vs mixture accuracy | {fit.hmm_accuracy:.3f} vs {fit.gmm_accuracy:.3f} | {t:.2f} s |")


def bench_interactions(repeats: int = 5) -> None:
    """Warm server time of a rerun after a widget moves to a value seen before (cache hit)."""
    from streamlit.runtime.scriptrunner import script_runner as sr

    from tests.apptest_utils import open_page

    times: list[float] = []
    original = sr.ScriptRunner._run_script

    def timed_run(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            times.append(time.perf_counter() - t)

    sr.ScriptRunner._run_script = timed_run
    key = lambda name: f"w:mixtures_and_hmm.{name}"  # noqa: E731
    cases = [
        ("gmm", "K 3 → 4 → 3", lambda at, v: at.slider(key=key("k")).set_value(v), (4, 3)),
        ("gmm", "covariance full ↔ diag", lambda at, v: at.selectbox(key=key("cov")).set_value(v), ("diag", "full")),
        ("gmm", "new points 300 ↔ 600", lambda at, v: at.slider(key=key("n_new")).set_value(v), (600, 300)),
        ("hmm", "learned states 2 ↔ 3", lambda at, v: at.slider(key=key("learn_states_casino")).set_value(v), (3, 2)),
        ("hmm", "match states on ↔ off", lambda at, v: at.toggle(key=key("match")).set_value(v), (False, True)),
        ("hmm", "sequence length 300 ↔ 500", lambda at, v: at.number_input(key=key("length")).set_value(v), (500, 300)),
        ("regimes", "spread 1.5 ↔ 2.0", lambda at, v: at.slider(key=key("spread")).set_value(v), (2.0, 1.5)),
        ("regimes", "states 3 ↔ 4", lambda at, v: at.slider(key=key("regime_states")).set_value(v), (4, 3)),
    ]
    print(f"\n### Warm interaction, server script time (goal ≤ 150 ms), median of {repeats} cache-hit reruns")
    print("| part | interaction | median ms | max ms |")
    print("|---|---|---|---|")
    pages = {}
    try:
        for part, label, move, values in cases:
            if part not in pages:
                at = open_page("pages/02_mixtures_and_hmm.py", "en")
                at.radio(key=key("part")).set_value(part).run()
                pages[part] = at
            at = pages[part]
            for v in values:  # fill the caches for both values
                move(at, v).run()
            times.clear()
            for i in range(repeats):
                move(at, values[i % 2]).run()
            assert not at.exception, at.exception
            print(f"| {part} | {label} | {1000 * statistics.median(times):.0f} | {1000 * max(times):.0f} |")
    finally:
        sr.ScriptRunner._run_script = original


if __name__ == "__main__":
    import os

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    bench_em()
    bench_quality()
    bench_interactions()
    print("\nweights shipped by this page: 0 bytes (nothing is pretrained; every fit runs live in well under a second)")
