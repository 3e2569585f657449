"""How well a token model predicts held-out text: negative log-likelihood in nats (or bits) per character.

``nll`` is a cross-entropy, a loss: lower is better. It is never called a score.
"""

from __future__ import annotations

import math

import numpy as np

from engine.core.torch_setup import torch
from engine.data.corpora import Corpus

__all__ = ["LN2", "eval_batches", "nll", "bits_per_char", "uniform_bits", "last_val_bits", "distinct_ngrams"]

F = torch.nn.functional
LN2 = math.log(2.0)


def eval_batches(corpus: Corpus, split: str = "val", max_windows: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Held-out (x, y) batches with y = -1 where a position is not scored.

    Lines mode: one row per document, ``x = [boundary] + word``, ``y = word + [boundary]``.
    Stream mode: windows of ``block_size`` with half overlap; after the first window only the
    second half of each is scored, so every scored character has at least half a window of context.
    """
    data = corpus.val if split == "val" else corpus.train
    T = corpus.block_size
    if corpus.mode == "lines":
        X = np.zeros((len(data), T), np.int64)
        Y = np.full((len(data), T), -1, np.int64)
        for i, w in enumerate(data):
            X[i, 1:len(w) + 1] = w
            Y[i, :len(w)] = w
            Y[i, len(w)] = 0
        return [(X[i:i + 2048], Y[i:i + 2048]) for i in range(0, len(X), 2048)]
    ids = np.asarray(data)
    half = T // 2
    starts = list(range(0, max(1, len(ids) - T - 1) + 1, half))
    if max_windows is not None and len(starts) > max_windows:
        starts = starts[:max_windows]
    X = np.stack([ids[s:s + T] for s in starts])
    Y = np.stack([ids[s + 1:s + T + 1] for s in starts])
    Y[1:, :half] = -1
    return [(X[i:i + 512], Y[i:i + 512]) for i in range(0, len(X), 512)]


def nll(model, batches) -> float:
    """Mean negative log-likelihood in nats per scored character."""
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in batches:
            logits = model.logits(torch.from_numpy(x))
            yt = torch.from_numpy(y)
            total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yt.reshape(-1), ignore_index=-1,
                                           reduction="sum"))
            count += int((yt >= 0).sum())
    return total / max(count, 1)


def bits_per_char(model, corpus: Corpus, split: str = "val") -> float:
    return nll(model, eval_batches(corpus, split)) / LN2


def uniform_bits(vocab_size: int) -> float:
    """log2 V: the bits per character of a uniform guess over ``vocab_size`` tokens (every rung should beat it)."""
    return math.log2(vocab_size)


def last_val_bits(history: list[dict]) -> float:
    """The latest held-out loss of a training ``history_`` (rows in nats per character) in bits per character,
    NaN before the first evaluation."""
    return history[-1]["val"] / LN2 if history else float("nan")


def distinct_ngrams(texts: list[str], n: int = 3) -> float:
    """Share of distinct character n-grams among all n-grams in ``texts`` (1 = never repeats)."""
    grams = [t[i:i + n] for t in texts for i in range(len(t) - n + 1)]
    return len(set(grams)) / len(grams) if grams else float("nan")
