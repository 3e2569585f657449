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

A trainer whose family implements ``_weights_state`` / ``_load_weights_state`` can be written to a
weights file and read back (``engine.core.modelfile``): :meth:`Trainer.state_arrays` gives every number
its samples depend on (the networks' tensors and the data map) as named numpy arrays, and
:meth:`Trainer.load_state_arrays` checks names and shapes before it changes anything.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np


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


class StateMismatch(ValueError):
    """Arrays that do not fit this trainer's model: names missing or extra, or a shape that differs."""

    def __init__(self, missing: list[str], extra: list[str], shapes: list[str]) -> None:
        super().__init__(f"missing {missing[:3]}, extra {extra[:3]}, other shapes {shapes[:3]}")
        self.missing, self.extra, self.shapes = missing, extra, shapes


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

    # ---------------------------------------------------------------- the learned numbers, for a weights file

    @property
    def saves_weights(self) -> bool:
        """Whether this trainer's family can write its model to a weights file and read it back."""
        return type(self)._weights_state is not Trainer._weights_state

    def _weights_state(self) -> dict:
        """Every tensor (or array) the model's samples depend on, by name: the networks and the data map."""
        raise NotImplementedError(f"{type(self).__name__} does not save its weights")

    def _load_weights_state(self, state: dict) -> None:
        """Put back what :meth:`_weights_state` gave (torch tensors, already checked), then make the trainer
        consistent with it: new last good weights, restarted optimisers, caches dropped."""
        raise NotImplementedError(f"{type(self).__name__} does not load weights")

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The model's numbers as named numpy arrays (copies): what a weights file holds."""
        out = {}
        for name, value in self._weights_state().items():
            value = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
            out[name] = np.array(value, copy=True)
        return out

    def load_state_arrays(self, arrays: Mapping[str, np.ndarray], step: int = 0, elapsed: float = 0.0) -> None:
        """Load arrays that :meth:`state_arrays` wrote (the model then samples what the saved one did, seed for
        seed); ``step`` and ``elapsed`` say how long it had trained. Raises :class:`StateMismatch` before
        anything changes when the names or shapes are not this model's."""
        import torch

        want = {k: (v.shape, v.dtype) for k, v in self.state_arrays().items()}
        missing = sorted(set(want) - set(arrays))
        extra = sorted(set(arrays) - set(want))
        shapes = sorted(k for k in set(want) & set(arrays) if tuple(np.shape(arrays[k])) != tuple(want[k][0]))
        if missing or extra or shapes:
            raise StateMismatch(missing, extra, shapes)
        state = {k: torch.from_numpy(np.array(arrays[k], dtype=want[k][1], copy=True)) for k in want}
        self.step_, self.elapsed_, self.diverged_ = int(step), float(elapsed), False
        self._load_weights_state(state)

    def export_config(self) -> dict:
        """The settings that built this trainer (its config dataclasses), as plain JSON values."""
        parts = {name: getattr(self, name) for name in ("config", "cfg", "train_cfg")
                 if dataclasses.is_dataclass(getattr(self, name, None))}
        return json.loads(json.dumps({k: dataclasses.asdict(v) for k, v in parts.items()}, default=str))
