"""One place that decides how torch uses the CPU. Import it instead of ``torch`` in engine modules.

Many students share one small server, and the models here are tiny: one thread per op is
faster than two fighting over a busy core (measured: 3–10 ms vs 50–300 ms per training step on
a loaded 2-core machine). ``GP_TORCH_THREADS`` raises it for a single-user local run.
"""

from __future__ import annotations

import contextlib
import os

import torch

THREADS = max(1, min(int(os.environ.get("GP_TORCH_THREADS", "1")), os.cpu_count() or 1))
if torch.get_num_threads() != THREADS:
    torch.set_num_threads(THREADS)


def generator(seed: int) -> torch.Generator:
    """A per-call generator: never seed torch globally."""
    return torch.Generator().manual_seed(int(seed))


@contextlib.contextmanager
def train_mode(*modules: torch.nn.Module):
    """Train mode (dropout on) for a run of steps, and eval mode again after it."""
    for m in modules:
        m.train()
    try:
        yield
    finally:
        for m in modules:
            m.eval()


__all__ = ["torch", "generator", "train_mode", "THREADS"]
