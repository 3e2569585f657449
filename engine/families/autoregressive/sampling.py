"""Sampling from a token model: small pure functions on one vector of logits, and generation.

Temperature, top-k, top-p and renormalisation are a chain of small pure functions, so the page's
charts never care which rung produced the logits; ``generate`` appends tokens one at a time and
records what the model thought at each position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator
from engine.core.torch_setup import torch
from engine.data.corpora import BOUNDARY, Vocab

__all__ = ["softmax", "apply_temperature", "display_order", "top_k_mask", "top_p_mask", "renormalise",
           "SamplingSettings", "NextToken", "entropy_bits", "transform", "draw", "context_ids", "seen_context",
           "check_prompt", "clean_prompt", "next_logits", "Step", "Generation", "generate", "continue_generation"]


def softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(z / T). T = 0 is the limit T -> 0: all mass on the argmax (the first one on ties)."""
    z = np.asarray(logits, np.float64)
    if temperature <= 0:
        p = np.zeros_like(z)
        p[int(np.argmax(z))] = 1.0
        return p
    return softmax(z / temperature)


def _order(p: np.ndarray) -> np.ndarray:
    """Token indices by decreasing probability; ties keep the lower index first."""
    return np.argsort(-np.asarray(p), kind="stable")


def display_order(p_temp: np.ndarray, p_model: np.ndarray) -> np.ndarray:
    """Token indices by decreasing ``p_temp``, ties broken by the model's own ``p_model``: at T = 0
    ``p_temp`` is one-hot, and the runners-up are still the model's next most likely tokens."""
    return np.lexsort((-np.asarray(p_model), -np.asarray(p_temp)))


def top_k_mask(p: np.ndarray, k: int) -> np.ndarray:
    """Keep exactly the k most probable tokens (k <= 0 or k >= V keeps them all)."""
    keep = np.zeros(len(p), bool)
    if k <= 0 or k >= len(p):
        keep[:] = True
    else:
        keep[_order(p)[:k]] = True
    return keep


def top_p_mask(p: np.ndarray, top_p: float) -> np.ndarray:
    """Keep the smallest set of most probable tokens whose total mass is at least ``top_p``."""
    keep = np.zeros(len(p), bool)
    if top_p >= 1.0:
        keep[:] = True
        return keep
    order = _order(p)
    mass = np.cumsum(np.asarray(p, np.float64)[order])
    n_keep = int(np.searchsorted(mass, top_p - 1e-12, side="left")) + 1  # first prefix with mass >= top_p
    keep[order[:min(max(n_keep, 1), len(p))]] = True
    return keep


def renormalise(p: np.ndarray, keep: np.ndarray) -> np.ndarray:
    q = np.where(keep, p, 0.0)
    return q / q.sum()


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 1.0
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1 = off


@dataclass
class NextToken:
    """Every stage of the transform for one context, so the chart can show each of them."""

    p_model: np.ndarray  # softmax(z): the model's own distribution (T = 1)
    p_temp: np.ndarray  # softmax(z / T)
    keep: np.ndarray  # survives top-k and top-p
    q: np.ndarray  # the distribution actually sampled from

    @property
    def kept_mass(self) -> float:
        """How much of ``p_temp`` the kept set S holds, before it is renormalised into ``q``."""
        return float(self.p_temp[self.keep].sum())

    @property
    def entropy(self) -> float:
        """The entropy of ``q``, the distribution sampled from, in bits."""
        return entropy_bits(self.q)


def entropy_bits(p: np.ndarray) -> float:
    """Shannon entropy H(p) = -sum p_i log2 p_i in bits, with 0 log 0 = 0 (a greedy, one-hot p has H = 0)."""
    p = np.asarray(p, np.float64)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def transform(logits: np.ndarray, s: SamplingSettings) -> NextToken:
    """Temperature, then top-k, then top-p on the renormalised top-k distribution, then renormalise.

    T = 0 is greedy: S is the argmax alone, whatever top-k and top-p say (the one-hot ``p_temp``
    would otherwise let a top-k "keep" tokens that have probability 0)."""
    p_model = softmax(logits)
    p_temp = apply_temperature(logits, s.temperature)
    if s.temperature <= 0:
        keep = p_temp > 0
    else:
        keep = top_k_mask(p_temp, s.top_k)
        keep &= top_p_mask(renormalise(p_temp, keep), s.top_p)
    return NextToken(p_model, p_temp, keep, renormalise(p_temp, keep))


def draw(q: np.ndarray, rng: np.random.Generator) -> int:
    """Inverse-CDF sampling with a numpy Generator: a seed gives the same token every time."""
    cdf = np.cumsum(q)
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), len(q) - 1))


def context_ids(corpus_mode: str, vocab: Vocab, prompt: str) -> np.ndarray:
    """The boundary token followed by the prompt; in lines mode only the current line counts."""
    if corpus_mode == "lines" and BOUNDARY in prompt:
        prompt = prompt.rsplit(BOUNDARY, 1)[1]
    return np.concatenate([[0], vocab.encode(prompt)]).astype(np.int64)


def seen_context(model, ids: np.ndarray) -> np.ndarray:
    """The tokens of ``ids`` the model conditions on: its last ``context_size`` (none for the unigram)."""
    ids = np.asarray(ids, np.int64)
    return ids[-model.context_size:] if model.context_size else ids[:0]


def check_prompt(vocab: Vocab, prompt: str) -> None:
    unknown = vocab.unknown(prompt)
    if unknown:
        raise InputError("unknown_chars", chars=" ".join(repr(c)[1:-1] for c in unknown[:12]))


def clean_prompt(vocab: Vocab, prompt: str) -> tuple[str, list[str]]:
    """The prompt without the characters the model has never seen, and those characters."""
    unknown = vocab.unknown(prompt)
    return "".join(c for c in prompt if c not in set(unknown)), unknown


def next_logits(model, ids: np.ndarray) -> np.ndarray:
    """The rung-independent question: next-token logits after the context ``ids``."""
    ctx = np.asarray(ids, np.int64)[-max(model.context_size, 1):]  # a rung pads a shorter context itself
    with torch.no_grad():
        return model.logits(torch.from_numpy(ctx[None, :]))[0, -1].double().numpy()


@dataclass
class Step:
    token: int
    p_model: float  # the model's own probability of the chosen token (T = 1, no cut)
    q: float  # its probability under the sampling settings
    top_tokens: list[int]  # the model's top alternatives at this position
    top_probs: list[float]


@dataclass
class Generation:
    prompt: str
    text: str
    steps: list[Step] = field(default_factory=list)

    @property
    def perplexity(self) -> float:
        """exp of the mean negative log-probability the model gave its own tokens."""
        if not self.steps:
            return float("nan")
        return float(math.exp(-np.mean([math.log(max(s.p_model, 1e-300)) for s in self.steps])))


def generate(model, vocab: Vocab, mode: str, prompt: str, n: int, settings: SamplingSettings, seed: SeedLike = 0,
             n_top: int = 5) -> Generation:
    """Append ``n`` sampled tokens to ``prompt``; record what the model thought at each position."""
    check_prompt(vocab, prompt)
    rng = as_generator(seed)
    text = prompt
    out = Generation(prompt, "")
    ids = context_ids(mode, vocab, prompt)
    for _ in range(int(n)):
        nt = transform(next_logits(model, ids), settings)
        tok = draw(nt.q, rng)
        order = _order(nt.p_model)[:n_top]
        out.steps.append(Step(tok, float(nt.p_model[tok]), float(nt.q[tok]), order.tolist(),
                              nt.p_model[order].tolist()))
        ch = vocab.chars[tok]
        text += ch
        ids = np.array([0], np.int64) if (mode == "lines" and tok == 0) else np.append(ids, tok)
    out.text = text[len(prompt):]
    return out


def continue_generation(model, vocab: Vocab, mode: str, text: str, n: int, settings: SamplingSettings, seed: int = 0,
                        previous: Generation | None = None) -> Generation:
    """Write ``n`` more tokens after ``text`` (its characters outside the vocabulary dropped first).

    When ``text`` is exactly what ``previous`` ended with (its prompt and what it wrote), the result extends
    ``previous``: one generation whose steps, tree and perplexity cover every click, from the same prompt.
    Otherwise it is a new generation from ``text``. The draws are seeded by ``seed`` and the length of the text
    they continue, so the same text continues the same way. ``previous`` is not modified.
    """
    clean, _ = clean_prompt(vocab, text)
    new = generate(model, vocab, mode, clean, n, settings, seed=int(seed) * 100_003 + len(clean))
    if previous is not None and previous.prompt + previous.text == clean:
        return Generation(previous.prompt, previous.text + new.text, previous.steps + new.steps)
    return new
