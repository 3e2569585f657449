"""One place that decides how torch uses the CPU. Import it instead of ``torch`` in engine modules.

Many students share one small server, and the models here are tiny: one thread per op is
faster than two fighting over a busy core (measured: 3–10 ms vs 50–300 ms per training step on
a loaded 2-core machine). ``GP_TORCH_THREADS`` raises it for a single-user local run.

Randomness never comes from torch's global generator (torch seeds it at random in every process):
``generator(seed)`` for explicit draws, :class:`RngState` for what only the global one can feed
(dropout). ``optimise`` is the guarded optimiser step every trainer takes.
"""

from __future__ import annotations

import contextlib
import math
import os

import torch

def _usable_cpus() -> int:
    """The CPUs this process may run on (a pinned server gets fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


THREADS = max(1, min(int(os.environ.get("GP_TORCH_THREADS", "1")), _usable_cpus()))
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


class RngState:
    """A global-generator state of one's own, for what draws from torch's global generator (dropout).

    ``with rng.active():`` swaps it in (fork_rng restores the global state afterwards), so a trainer
    seeded once repeats its dropout masks whatever else ran in the process.
    """

    def __init__(self, seed: int) -> None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            self.state = torch.get_rng_state()

    @contextlib.contextmanager
    def active(self):
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self.state)
            try:
                yield
            finally:
                self.state = torch.get_rng_state()


def optimise(opt: torch.optim.Optimizer, loss: torch.Tensor, *, limit: float = math.inf, clip: float | None = None,
             params=None) -> float | None:
    """One optimiser step on ``loss`` (gradient norm clipped to ``clip`` over ``params`` if given); returns the
    loss's value, or None, without stepping, when it is NaN, infinite or above ``limit`` (training blew up)."""
    value = float(loss.detach())
    if not math.isfinite(value) or value > limit:
        return None
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip:
        torch.nn.utils.clip_grad_norm_(params, clip)
    opt.step()
    return value


def count_params(*modules: torch.nn.Module) -> int:
    """Trainable numbers in the modules (what ``n_params_`` reports)."""
    return sum(p.numel() for m in modules for p in m.parameters())


__all__ = ["torch", "generator", "train_mode", "RngState", "optimise", "count_params", "THREADS"]
