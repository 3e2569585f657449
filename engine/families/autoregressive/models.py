"""Character-level language models, from counts to a tiny transformer: the ladder of rungs.

A ladder of models with ONE interface (the idea of Karpathy's makemore): every rung maps a
batch of token ids ``idx`` of shape (B, T) to next-token logits of shape (B, T, V), where
``logits[b, t]`` scores token ``t + 1`` given ``idx[b, :t + 1]`` (as much of it as the rung
can see). ``softmax(logits)`` is "the probability of each next token given the context".

- ``NGram``: counts with add-alpha smoothing (unigram, bigram, trigram, ...). No training loop.
- ``MLP``: an embedding of the last k characters, one tanh hidden layer (Bengio et al. 2003).
- ``Transformer``: a tiny decoder-only transformer with causal self-attention (nanoGPT-style).

Left out on purpose: subword tokenisers (BPE), dropout, weight tying, KV caches; the models are
small enough that none of them matters for what the page shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.core.errors import InputError
from engine.core.torch_setup import torch
from engine.data.corpora import Corpus, training_stream

__all__ = ["ModelConfig", "NGram", "CountRow", "MLP", "CausalSelfAttention", "Block", "Transformer", "AttentionView",
           "attention_window", "build", "RUNGS", "ngram_config", "default_config", "fit_ngram"]

nn = torch.nn
F = torch.nn.functional


@dataclass(frozen=True)
class ModelConfig:
    """Every size of every rung in one place."""

    kind: str = "transformer"  # "ngram" | "mlp" | "transformer"
    vocab_size: int = 27
    block_size: int = 16  # how many past tokens the rung can see
    n: int = 3  # n-gram order
    alpha: float = 0.1  # add-alpha smoothing
    n_embd: int = 64
    n_hidden: int = 256  # MLP hidden units
    n_layer: int = 2
    n_head: int = 4


class NGram:
    """p(x | c) = (N(c, x) + alpha) / (N(c) + alpha * V), c = the previous n - 1 tokens."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self.n = config.n
        self.alpha = config.alpha
        self.vocab_size = config.vocab_size

    @property
    def context_size(self) -> int:
        return self.n - 1

    def _codes(self, windows: np.ndarray) -> np.ndarray:
        code = np.zeros(windows.shape[:-1], np.int64)
        for j in range(windows.shape[-1]):
            code = code * self.vocab_size + windows[..., j]
        return code

    def fit(self, corpus: Corpus) -> NGram:
        ids, valid = training_stream(corpus, self.context_size)
        k = self.context_size
        targets = np.nonzero(valid)[0]
        ctx = np.stack([ids[targets - k + j] for j in range(k)], axis=-1) if k else np.zeros((len(targets), 0), np.int64)
        codes = self._codes(ctx)
        self.keys_, inverse = np.unique(codes, return_inverse=True)
        counts = np.zeros((len(self.keys_), self.vocab_size), np.float32)
        np.add.at(counts, (inverse.ravel(), ids[targets]), 1.0)
        self.counts_ = counts
        return self

    def counts_for(self, context: np.ndarray) -> np.ndarray:
        """N(c, x) for every x, given the (already padded) last n-1 tokens; zeros if c is unseen."""
        return self._rows(np.asarray(context, np.int64)[None, :])[0]

    def context_of(self, ids: np.ndarray) -> np.ndarray:
        """The context c the model reads after ``ids``: their last n - 1 tokens, left-padded with the boundary
        token 0 when there are fewer (as ``logits`` pads); empty for the unigram."""
        ids, k = np.asarray(ids, np.int64), self.context_size
        if not k:
            return ids[:0]
        return np.concatenate([np.zeros(max(k - len(ids), 0), np.int64), ids])[-k:]

    def count_row(self, ids: np.ndarray, n_top: int = 12) -> CountRow:
        """The counts behind the next-token probabilities after ``ids``, and its most counted tokens."""
        context = self.context_of(ids)
        counts = self.counts_for(context)
        return CountRow(context, counts, np.argsort(-counts, kind="stable")[:n_top], int(counts.sum()))

    def _rows(self, windows: np.ndarray) -> np.ndarray:
        codes = self._codes(windows).ravel()
        pos = np.clip(np.searchsorted(self.keys_, codes), 0, len(self.keys_) - 1)
        found = self.keys_[pos] == codes
        rows = self.counts_[pos]
        rows[~found] = 0.0
        return rows.reshape(*windows.shape[:-1], self.vocab_size)

    def logits(self, idx):
        x = np.asarray(idx.cpu() if hasattr(idx, "cpu") else idx, np.int64)
        B, T = x.shape
        k = self.context_size
        padded = np.concatenate([np.zeros((B, max(k - 1, 0)), np.int64), x], axis=1)  # x[t-k+1..t] predicts t+1
        windows = np.stack([padded[:, j:j + T] for j in range(k)], axis=-1) if k else np.zeros((B, T, 0), np.int64)
        counts = self._rows(windows)
        p = (counts + self.alpha) / (counts.sum(-1, keepdims=True) + self.alpha * self.vocab_size)
        return torch.from_numpy(np.log(p).astype(np.float32))

    @property
    def n_params_(self) -> int:
        return int(self.counts_.size)


@dataclass(frozen=True)
class CountRow:
    """One row of an n-gram's count table: N(c, x) for every token x after the context c."""

    context: np.ndarray  # c: the last n - 1 tokens, boundary-padded
    counts: np.ndarray  # N(c, x) for every x
    top: np.ndarray  # the most counted tokens, most first (ties: lower index first)
    total: int  # N(c): how often c was seen (0: never, every x gets alpha / (alpha V))


class MLP(nn.Module):
    """Embed the last k tokens, concatenate, one tanh hidden layer, logits (makemore's MLP)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.context_size = config.block_size
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.hidden = nn.Linear(config.block_size * config.n_embd, config.n_hidden)
        self.head = nn.Linear(config.n_hidden, config.vocab_size)

    def logits(self, idx):
        B, T = idx.shape
        k = self.context_size
        padded = torch.cat([torch.zeros(B, k - 1, dtype=torch.long), idx], dim=1)
        windows = padded.unfold(1, k, 1)  # (B, T, k): tokens t-k+1..t
        emb = self.wte(windows).reshape(B, T, -1)
        return self.head(torch.tanh(self.hidden(emb)))

    @property
    def n_params_(self) -> int:
        return sum(p.numel() for p in self.parameters())


class CausalSelfAttention(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.proj = nn.Linear(config.n_embd, config.n_embd)

    def forward(self, x, attention: list | None = None):
        """``attention``: a list the caller owns, given one (B, heads, T, T) array of weights. The module keeps
        nothing: a shipped model is shared by every session, so reading its attention must not write to it."""
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (z.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for z in (q, k, v))
        if attention is not None:  # the explicit formula, so the page can show softmax(q k^T / sqrt(d))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
            att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
            attention.append(att.detach())
            y = att @ v
        else:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln2 = nn.LayerNorm(config.n_embd)
        self.mlp = nn.Sequential(nn.Linear(config.n_embd, 4 * config.n_embd), nn.GELU(),
                                 nn.Linear(4 * config.n_embd, config.n_embd))

    def forward(self, x, attention: list | None = None):
        x = x + self.attn(self.ln1(x), attention)
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    """A decoder-only transformer: token + position embeddings, pre-norm blocks, a linear head."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.context_size = config.block_size
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size)

    def logits(self, idx, attention: list | None = None):
        """Logits (B, T, V); given a list, each layer appends its attention weights to it (see ``attention``)."""
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.blocks:
            x = block(x, attention)
        return self.head(self.ln_f(x))

    def attention(self, idx) -> np.ndarray:
        """Attention weights for one context: array (layers, heads, T, T). Read-only: the weights come back in a
        list of this call's own, so two sessions reading one shared model never see each other's maps."""
        maps: list = []
        with torch.no_grad():
            self.logits(torch.as_tensor(idx, dtype=torch.long)[None, -self.context_size:], attention=maps)
        return np.stack([m[0].numpy() for m in maps])

    @property
    def n_params_(self) -> int:
        return sum(p.numel() for p in self.parameters())


@dataclass
class AttentionView:
    """Attention maps cropped for display, and where the crop sits in the model's context."""

    maps: np.ndarray  # (layers, heads, n, n): query = row, key = column
    ids: np.ndarray  # the n shown tokens
    first: int  # position of ids[0] in the context the model sees (0 = the oldest token it sees)


def attention_window(model: Transformer, ids: np.ndarray, n_show: int = 24) -> AttentionView:
    """The attention behind the next-token prediction after ``ids``, cropped for display.

    One forward pass on the context the prediction uses (the last ``context_size`` ids, numbered
    from 0 as the model numbers them), then only the last ``n_show`` query and key positions are
    kept. Attention that goes to the earlier, hidden positions is not shown, so a shown row can
    sum to less than 1.
    """
    context = np.asarray(ids, np.int64)[-model.context_size:]
    first = max(len(context) - n_show, 0)
    return AttentionView(model.attention(context)[:, :, first:, first:], context[first:], first)


def build(config: ModelConfig, seed: int = 0):
    """A fresh model for ``config`` (torch init drawn from a per-call generator)."""
    if config.kind == "ngram":
        return NGram(config)
    cls = {"mlp": MLP, "transformer": Transformer}.get(config.kind)
    if cls is None:
        raise InputError("unknown_model", name=config.kind)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))  # confined to this block by fork_rng: the global state is restored
        model = cls(config)
    model.eval()
    return model


RUNGS = ("unigram", "bigram", "trigram", "mlp", "transformer")


def ngram_config(corpus: Corpus, n: int, alpha: float = 0.1) -> ModelConfig:
    return ModelConfig(kind="ngram", vocab_size=corpus.vocab.size, block_size=max(1, n - 1), n=n, alpha=alpha)


def default_config(corpus: Corpus, rung: str, alpha: float = 0.1) -> ModelConfig:
    V = corpus.vocab.size
    if rung in ("unigram", "bigram", "trigram"):
        return ngram_config(corpus, RUNGS.index(rung) + 1, alpha)
    if rung == "mlp":
        return ModelConfig(kind="mlp", vocab_size=V, block_size=8, n_embd=24, n_hidden=256)
    if rung == "transformer":
        return ModelConfig(kind="transformer", vocab_size=V, block_size=corpus.block_size, n_embd=64, n_layer=2, n_head=4)
    raise InputError("unknown_model", name=rung)


def fit_ngram(corpus: Corpus, n: int, alpha: float = 0.1) -> NGram:
    return NGram(ngram_config(corpus, n, alpha)).fit(corpus)
