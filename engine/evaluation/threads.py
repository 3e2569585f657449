"""One thread for numpy's BLAS and OpenMP inside the evaluation metrics.

The metrics multiply small matrices (32 features, a few hundred samples). On the shared 2-core
server OpenBLAS's second thread mostly spins waiting for the first: the digits leaderboard took
2.3 s of CPU with two threads and 0.25 s with one (load ≈ 15). This is the numpy counterpart of
``engine.core.torch_setup``; it only applies inside the decorated functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)
_CONTROLLER = None


def _controller():
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS, so the controller sees both)
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def single_threaded(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _controller().limit(limits=1):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
