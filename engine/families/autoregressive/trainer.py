"""Training the MLP and transformer rungs: one loop for both, advanced a budget at a time.

AdamW with a linear warm-up then a cosine decay, gradient clipping, and a held-out evaluation every
``eval_every`` steps (its time is not counted as training time). The held-out loss is what the page
plots against the n-gram baselines; a NaN, in training or in evaluation, puts back the weights of the
last evaluation and stops (``diverged_``).
"""

from __future__ import annotations

import copy
import math
from array import array
from dataclasses import dataclass

import numpy as np

from engine.core import training
from engine.core.torch_setup import generator, optimise, torch, train_mode
from engine.data.corpora import Corpus
from engine.families.autoregressive.evaluation import eval_batches, nll
from engine.families.autoregressive.models import ModelConfig, build
from engine.families.autoregressive.sampling import SamplingSettings, generate

__all__ = ["TrainConfig", "live_recipe", "Trainer"]

F = torch.nn.functional


@dataclass(frozen=True)
class TrainConfig:
    batch_size: int = 64
    lr: float = 3e-3
    min_lr: float = 3e-4
    warmup: int = 50
    decay_steps: int = 3000  # cosine from lr to min_lr over these steps, then flat
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    eval_every: int = 100
    eval_windows: int | None = 200  # stream corpora: validate on the first windows only (None = all)


def live_recipe(corpus: Corpus, rung: str, **overrides) -> TrainConfig:
    """How the page trains a rung from scratch, and what ``benchmarks/bench_token_sampling`` times.

    On running text the transformer sits on a plateau near 2.9 bits/char before attention starts to
    pay. A learning rate of 8e-3 decayed over 2,000 steps gets every measured seed off it early: on
    Dom Casmurro the best n-gram is beaten after 600-800 steps on seeds 0-2, where 3e-3 over 3,000
    steps needed 1,100 and left seed 0 on the plateau after 1,200. Names and the MLP keep the defaults.
    """
    if corpus.mode == "stream" and rung == "transformer":
        overrides = {"lr": 8e-3, "decay_steps": 2000, **overrides}
    return TrainConfig(**overrides)


class Trainer(training.Trainer):
    """Advances one model a budget at a time (the page calls ``advance`` once per fragment tick).

    ``history_`` holds one row per evaluation: ``{"step", "seconds" (training only), "train", "val"}``
    in nats per character; ``losses_`` every step's training-batch loss (nats per character), so a live chart
    moves between two evaluations.
    """

    def __init__(self, corpus: Corpus, config: ModelConfig, train: TrainConfig = TrainConfig(), seed: int = 0,
                 model=None) -> None:
        self.corpus, self.config, self.train_cfg = corpus, config, train
        self.model = model if model is not None else build(config, seed)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=train.lr, weight_decay=train.weight_decay,
                                     betas=(0.9, 0.99))
        self.gen = generator(seed + 1)
        self.report_every = train.eval_every  # the callback sees every evaluation
        self.step_ = 0
        self.elapsed_ = 0.0
        self.history_: list[dict] = []
        self.losses_ = array("d")  # step k's batch loss at index k - 1: 8 bytes a step (a run has no set end)
        self.diverged_ = False
        self.samples: list[tuple[int, str]] = []  # (step, text) written as training proceeds
        self.tag: object = None  # the caller's label for what this trainer belongs to
        self._good = copy.deepcopy(self.model.state_dict())
        self._val_batches = eval_batches(corpus, "val", max_windows=train.eval_windows)
        if corpus.mode == "lines":
            self._X, self._Y = _pad_documents(corpus.train, corpus.block_size)
        else:
            self._ids = torch.from_numpy(np.asarray(corpus.train))

    def record_sample(self, every: int = 200, n_chars: int = 80, temperature: float = 0.8) -> list[tuple[int, str]]:
        """Once ``every`` more steps have passed, the model as it is now writes ``n_chars`` characters from an
        empty prompt (seeded by the step), kept in ``samples`` as ``(step, text)``; returns ``samples``.
        Call it between steps (the page does, under the trainer's lock), so what the model writes shows how
        it learns."""
        if self.step_ // every > len(self.samples):
            c = self.corpus
            text = generate(self.model, c.vocab, c.mode, "", n_chars, SamplingSettings(temperature), seed=self.step_).text
            self.samples.append((self.step_, text))
        return self.samples

    @property
    def total_steps(self) -> int:
        """The planned length: the learning rate decays over ``decay_steps``."""
        return self.train_cfg.decay_steps

    def lr_at(self, step: int) -> float:
        c = self.train_cfg
        if step < c.warmup:
            return c.lr * (step + 1) / c.warmup
        frac = min(1.0, (step - c.warmup) / max(1, c.decay_steps - c.warmup))
        return c.min_lr + 0.5 * (c.lr - c.min_lr) * (1 + math.cos(math.pi * frac))

    def batch(self):
        B, T = self.train_cfg.batch_size, self.corpus.block_size
        if self.corpus.mode == "lines":
            rows = torch.randint(0, len(self._X), (B,), generator=self.gen)
            return self._X[rows].long(), self._Y[rows].long()
        starts = torch.randint(0, len(self._ids) - T - 1, (B,), generator=self.gen)
        offs = starts[:, None] + torch.arange(T)[None, :]
        return self._ids[offs], self._ids[offs + 1]

    def _training(self):
        return train_mode(self.model)

    def _train_step(self) -> bool:
        for g in self.opt.param_groups:
            g["lr"] = self.lr_at(self.step_)
        x, y = self.batch()
        logits = self.model.logits(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1)
        value = optimise(self.opt, loss, clip=self.train_cfg.grad_clip, params=self.model.parameters())
        if value is None:
            self.model.load_state_dict(self._good)
            return False
        self.step_ += 1
        self.losses_.append(value)
        if self.step_ % self.train_cfg.eval_every == 0:
            return self._evaluate(value)
        return True

    def _evaluate(self, train_loss: float) -> bool:
        seconds = self.training_seconds()
        with self._untimed():
            self.model.eval()
            val = nll(self.model, self._val_batches)
            self.model.train()
        if not math.isfinite(val):
            self.model.load_state_dict(self._good)
            return False
        self._good = copy.deepcopy(self.model.state_dict())
        self.history_.append({"step": self.step_, "seconds": seconds, "train": train_loss, "val": val})
        return True

    def _metrics(self) -> dict[str, float]:
        return dict(self.history_[-1]) if self.history_ else {}

    def _weights_state(self) -> dict:
        return {f"model.{k}": v for k, v in self.model.state_dict().items()}

    def _load_weights_state(self, state: dict) -> None:
        self.model.load_state_dict({k[6:]: v for k, v in state.items()})
        self.model.eval()
        self._good = copy.deepcopy(self.model.state_dict())
        c = self.train_cfg
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=c.lr, weight_decay=c.weight_decay, betas=(0.9, 0.99))
        self.history_, self.losses_, self.samples = [], array("d"), []


def _pad_documents(docs: list[np.ndarray], T: int):
    """Rows ``[boundary] + doc`` and their targets ``doc + [boundary]`` (-1 = padding), stored as int16
    to keep a trainer in session state small; batches are cast back to int64."""
    X = torch.zeros(len(docs), T, dtype=torch.int16)
    Y = torch.full((len(docs), T), -1, dtype=torch.int16)
    for i, w in enumerate(docs):
        w = torch.from_numpy(w)
        X[i, 1:len(w) + 1] = w
        Y[i, :len(w)] = w
        Y[i, len(w)] = 0
    return X, Y
