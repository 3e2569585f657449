"""The contract every training loop in the engine follows.

A loop takes a :class:`Budget` (steps and/or seconds) and an optional callback.
It calls ``callback(Progress)`` every few steps; if the callback returns ``False``
the loop stops early. Loops never print and never sleep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Budget:
    max_steps: int | None = None
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.max_steps is None and self.max_seconds is None:
            raise ValueError("a Budget needs max_steps or max_seconds")


@dataclass
class Progress:
    step: int
    total_steps: int | None
    elapsed: float
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        if not self.total_steps:
            return 0.0
        return min(1.0, self.step / self.total_steps)


Callback = Callable[[Progress], bool | None]


def steps(budget: Budget) -> Iterator[tuple[int, float]]:
    """Yield ``(step, elapsed_seconds)`` until the budget runs out (steps count from 1)."""
    start = time.perf_counter()
    step = 0
    while True:
        elapsed = time.perf_counter() - start
        if budget.max_steps is not None and step >= budget.max_steps:
            return
        if budget.max_seconds is not None and elapsed >= budget.max_seconds:
            return
        step += 1
        yield step, elapsed


def is_finite(*values: float) -> bool:
    """True when no value is NaN or infinite: loops use it to stop on divergence."""
    return all(math.isfinite(float(v)) for v in values)
