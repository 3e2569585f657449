"""The one training loop of the engine: advance by a budget, report progress, stop on NaN.

Every trainer (GAN, VAE, diffusion, tokens, EM for mixtures, Baum-Welch for HMMs) is a
:class:`Trainer`. ``trainer.advance(budget, callback)`` takes optimiser steps until the
:class:`Budget` (steps and/or seconds) runs out, the callback returns ``False``, training
diverges or the trainer is done, and returns a :class:`Progress`. The callback receives the same
:class:`Progress` every ``report_every`` steps. A step that produces NaN or infinity stops
training: the trainer puts its last good weights back and sets ``diverged_``; it then stays
stopped until it is rebuilt. Loops never print and never sleep.

A trainer's learned state carries a trailing underscore, as in scikit-learn: ``step_`` (steps
taken), ``diverged_``, ``elapsed_`` (seconds spent training) and ``history_`` (its own record).
"""

from __future__ import annotations

import contextlib
import math
import time
from abc import ABC, abstractmethod
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
    """Where a trainer stands: what a callback receives and ``advance`` returns."""

    step: int  # steps taken so far (the trainer's ``step_``)
    total_steps: int | None  # the planned length, when the trainer has one (a schedule's end)
    elapsed: float  # seconds spent training so far
    metrics: dict[str, float] = field(default_factory=dict)  # the latest numbers (losses, distances)
    diverged: bool = False  # a NaN stopped training; the last good weights are back
    done: bool = False  # nothing left to train (diverged, converged or at the planned end)

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


class Trainer(ABC):
    """Live training: ``advance(budget, callback) -> Progress``, one step at a time.

    A subclass implements :meth:`_train_step` (one step; ``False`` when it diverged, after it
    put its last good weights back) and may override :meth:`_metrics` (what a report carries),
    :meth:`_training` (a context around a run of steps, e.g. the network's train mode),
    ``done`` and ``total_steps``. Time a step spends evaluating rather than training can be
    excluded from ``elapsed_`` with :meth:`_untimed`.
    """

    report_every: int = 50  # steps between two callback reports
    ends_at_total: bool = False  # True: training is over once ``step_`` reaches ``total_steps`` (a schedule's end)
    step_: int = 0
    diverged_: bool = False
    elapsed_: float = 0.0
    _run_start: float | None = None
    _untimed_seconds: float = 0.0

    @property
    def n_params_(self) -> int:
        """Trainable numbers of the model being trained (``self.model``, unless the trainer says otherwise)."""
        return self.model.n_params_

    @property
    def total_steps(self) -> int | None:
        """The planned number of steps (a schedule's end), or None when training is open-ended."""
        return None

    @property
    def done(self) -> bool:
        """Nothing left to train: diverged, at the planned end (``ends_at_total``), or (for EM) converged."""
        return self.diverged_ or (self.ends_at_total and self.total_steps is not None and self.step_ >= self.total_steps)

    def advance(self, budget: Budget, callback: Callback | None = None) -> Progress:
        """Train until the budget runs out, the callback returns False, training diverges or is done."""
        self._run_start, self._untimed_seconds = time.perf_counter(), 0.0
        try:
            with self._training():
                for _ in steps(budget):
                    if self.done:
                        break
                    if not self._train_step():
                        self.diverged_ = True
                        break
                    if callback is not None and self.step_ % self.report_every == 0:
                        if callback(self.progress()) is False:
                            break
        finally:
            self.elapsed_ = self.training_seconds()
            self._run_start = None
        return self.progress()

    def progress(self) -> Progress:
        """Where training stands now (also between two ``advance`` calls)."""
        return Progress(self.step_, self.total_steps, self.training_seconds(), self._metrics(), self.diverged_, self.done)

    def training_seconds(self) -> float:
        """Seconds spent training, including the run in progress (evaluation time excluded)."""
        if self._run_start is None:
            return self.elapsed_
        return self.elapsed_ + time.perf_counter() - self._run_start - self._untimed_seconds

    @contextlib.contextmanager
    def _untimed(self):
        """Time spent inside this block (evaluation, snapshots for display) is not training time."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self._untimed_seconds += time.perf_counter() - t0

    @abstractmethod
    def _train_step(self) -> bool:
        """Take one step and count it in ``step_``; return False if it diverged (weights restored)."""

    def _metrics(self) -> dict[str, float]:
        """The latest numbers a report carries."""
        return {}

    def _training(self):
        """A context entered around each run of steps."""
        return contextlib.nullcontext()
