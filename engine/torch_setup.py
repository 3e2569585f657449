"""One place that decides how torch uses the CPU. Import it instead of ``torch`` in engine modules.

Many students share one small server, so each op gets a bounded number of threads
(``GP_TORCH_THREADS``, default 2, never more than the machine's cores).
"""

from __future__ import annotations

import os

import torch

THREADS = max(1, min(int(os.environ.get("GP_TORCH_THREADS", "2")), os.cpu_count() or 1))
if torch.get_num_threads() != THREADS:
    torch.set_num_threads(THREADS)


def generator(seed: int) -> torch.Generator:
    """A per-call generator: never seed torch globally."""
    return torch.Generator().manual_seed(int(seed))


__all__ = ["torch", "generator", "THREADS"]
