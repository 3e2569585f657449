"""Character-level language models, from counts to a tiny transformer, and how to sample from them.

A ladder of models with ONE interface (the idea of Karpathy's makemore): every rung maps a
batch of token ids ``idx`` of shape (B, T) to next-token logits of shape (B, T, V), where
``logits[b, t]`` scores token ``t + 1`` given ``idx[b, :t + 1]`` (as much of it as the rung
can see). ``softmax(logits)`` is "the probability of each next token given the context".

- ``NGram``: counts with add-alpha smoothing (unigram, bigram, trigram, ...). No training loop.
- ``MLP``: an embedding of the last k characters, one tanh hidden layer (Bengio et al. 2003).
- ``Transformer``: a tiny decoder-only transformer with causal self-attention (nanoGPT-style).

Sampling is a chain of small pure functions on one logits vector (temperature, top-k,
top-p, renormalisation), so the page's charts never care which rung produced the logits.

Tokens are characters. Token 0 is always the newline, used as the boundary token: it starts
every prompt, and in the names corpus it both starts and ends each name (makemore's ``.``).

Left out on purpose: subword tokenisers (BPE), dropout, weight tying, KV caches; the models are
small enough that none of them matters for what the page shows.

Regenerate the shipped weights: ``python -m engine.token_sampling --regenerate``.
"""

from __future__ import annotations

import argparse
import codecs
import copy
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine import weights as weights_io
from engine.errors import InputError
from engine.rng import SeedLike, as_generator
from engine.torch_setup import generator, torch
from engine.training import Budget, Callback, Progress, is_finite, steps

nn = torch.nn
F = torch.nn.functional

PAGE = "token_sampling"
CORPORA_DIR = Path(__file__).resolve().parent.parent / "assets" / "corpora"
CORPORA = {  # name -> (file, mode). "lines": one independent document per line (names).
    "names": ("names.txt", "lines"),
    "alice": ("alice_in_wonderland.txt", "stream"),
    "dom_casmurro": ("dom_casmurro.txt", "stream"),
}
BOUNDARY = "\n"
LN2 = math.log(2.0)

# Upload limits
MAX_UPLOAD_BYTES = 20_000_000  # larger files are rejected outright
MAX_CORPUS_CHARS = 400_000  # longer texts are capped (and the page says so)
MAX_VOCAB = 160
STREAM_BLOCK = 64  # the transformer's context window on running text
MIN_UPLOAD_CHARS = 12 * STREAM_BLOCK  # so the held-out 10 % still holds a full context window


# ---------------------------------------------------------------------------------------------
# Vocabulary and corpora


@dataclass(frozen=True)
class Vocab:
    chars: tuple[str, ...]  # chars[0] is BOUNDARY

    @property
    def size(self) -> int:
        return len(self.chars)

    @property
    def stoi(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.chars)}

    def encode(self, text: str) -> np.ndarray:
        stoi = self.stoi
        return np.array([stoi[c] for c in text], dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` the model has never seen, in order of appearance."""
        stoi = self.stoi
        return list(dict.fromkeys(c for c in text if c not in stoi))

    @staticmethod
    def from_text(text: str) -> Vocab:
        return Vocab((BOUNDARY,) + tuple(sorted(set(text) - {BOUNDARY})))


@dataclass
class Corpus:
    """A tokenised corpus with a train / held-out split.

    ``mode == "stream"``: ``train`` and ``val`` are 1-D id arrays of running text.
    ``mode == "lines"``: ``train`` and ``val`` are lists of documents (1-D arrays, no boundary).
    """

    name: str
    mode: str
    vocab: Vocab
    train: object
    val: object
    n_chars: int
    capped: bool = False
    block_size: int = STREAM_BLOCK  # the transformer's context window: a whole document in lines mode

    def text(self) -> str:
        """The running text the corpus was built from, after capping (stream mode): all an uploaded
        corpus needs to keep, which is at most ``MAX_CORPUS_CHARS`` however large the file was."""
        return self.vocab.decode(np.concatenate([self.train, self.val]))


def _split_stream(name: str, text: str, capped: bool = False) -> Corpus:
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)
    cut = int(len(ids) * 0.9)
    return Corpus(name, "stream", vocab, ids[:cut], ids[cut:], len(ids), capped)


def makemore_split(words: list[str], seed: int = 3407, n_test: int = 1000) -> tuple[list[str], list[str]]:
    """makemore's split: test = the last ``n_test`` indices of ``randperm`` seeded 3407."""
    perm = torch.randperm(len(words), generator=generator(seed)).tolist()
    n_test = min(n_test, len(words) // 10) if len(words) < 10 * n_test else n_test
    return [words[i] for i in perm[:-n_test]], [words[i] for i in perm[-n_test:]]


def _split_lines(name: str, text: str) -> Corpus:
    words = [w.strip() for w in text.splitlines()]
    words = [w for w in words if w]
    vocab = Vocab.from_text("".join(words))
    train, test = makemore_split(words)
    return Corpus(name, "lines", vocab, [vocab.encode(w) for w in train], [vocab.encode(w) for w in test],
                  sum(len(w) + 1 for w in words), block_size=1 + max(len(w) for w in words))


def read_corpus_text(name: str) -> str:
    if name not in CORPORA:
        raise InputError("unknown_dataset", name=name)
    return (CORPORA_DIR / CORPORA[name][0]).read_text("utf-8")


def load_corpus(name: str) -> Corpus:
    text = read_corpus_text(name)
    return _split_lines(name, text) if CORPORA[name][1] == "lines" else _split_stream(name, text)


def corpus_from_bytes(data: bytes, min_chars: int = MIN_UPLOAD_CHARS) -> Corpus:
    """Check an uploaded text file and tokenise it; every problem is an ``InputError``."""
    if len(data) == 0 or not data.strip():
        raise InputError("corpus_empty")
    if len(data) > MAX_UPLOAD_BYTES:
        # size rounded up: a file one byte over the limit must not read "20000 kB, the limit is 20000 kB"
        raise InputError("corpus_too_large", size_kb=-(-len(data) // 1000), max_kb=MAX_UPLOAD_BYTES // 1000)
    if b"\x00" in data[:8192]:
        raise InputError("corpus_binary")
    head = data[:4 * MAX_CORPUS_CHARS + 4]  # a character is at most 4 bytes: enough for the cap
    try:  # final=False: a multi-byte character cut at the end of ``head`` is dropped, not an error
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=len(head) == len(data))
    except UnicodeDecodeError:
        raise InputError("corpus_not_utf8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = sum(1 for c in text[:20_000] if not c.isprintable() and c not in "\n\t")
    if bad > 0.05 * min(len(text), 20_000):
        raise InputError("corpus_binary")
    if len(text.strip()) < min_chars:
        raise InputError("corpus_too_short", n=len(text.strip()), min=min_chars)
    symbols = {c for c in text if not c.isspace()}  # line breaks and spaces alone give nothing to predict
    if len(symbols) < 2:
        raise InputError("corpus_one_symbol", char=text.strip()[0])
    capped = len(text) > MAX_CORPUS_CHARS or len(head) < len(data)
    text = text[:MAX_CORPUS_CHARS]
    if len(set(text)) > MAX_VOCAB:
        raise InputError("corpus_too_many_symbols", n=len(set(text)), max=MAX_VOCAB)
    return _split_stream("upload", text, capped)


def training_stream(corpus: Corpus, n_pad: int, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """One 1-D array of ids plus a mask of the positions that are real prediction targets.

    Every document starts with ``n_pad`` boundary tokens, so the first characters are predicted
    from boundary-padded contexts (exactly how the models pad a short context). In lines mode
    each name ends with a boundary token, which is a target too (the end-of-name token).
    """
    data = corpus.train if split == "train" else corpus.val
    if corpus.mode == "stream":
        ids = np.concatenate([np.zeros(n_pad, np.int64), data])
        valid = np.ones(len(ids), bool)
        valid[:n_pad] = False
        return ids, valid
    parts, masks = [], []
    for w in data:
        parts.append(np.concatenate([np.zeros(n_pad, np.int64), w, [0]]))
        m = np.ones(n_pad + len(w) + 1, bool)
        m[:n_pad] = False
        masks.append(m)
    return np.concatenate(parts), np.concatenate(masks)


@dataclass(frozen=True)
class DocumentReach:
    """How far back a lines-mode corpus lets any model look."""

    n_docs: int
    mean_length: float  # characters per document, the boundary not counted
    within_window: float  # share of the targets (end-of-name token included) whose whole document so far fits in the window


def document_reach(corpus: Corpus, window: int) -> DocumentReach:
    """For short documents (names): the share of targets for which a model that sees the last ``window``
    tokens already sees the whole document so far (boundary included), so longer reach has nothing to add.
    Target ``t`` of a document (t = 0 .. len) is predicted from the boundary and ``t`` characters."""
    if corpus.mode != "lines":
        raise ValueError("document_reach needs a corpus of separate documents (lines mode)")
    lengths = np.array([len(w) for w in list(corpus.train) + list(corpus.val)], np.int64)
    targets = lengths + 1
    return DocumentReach(len(lengths), float(lengths.mean()), float(np.minimum(targets, window).sum() / targets.sum()))


# ---------------------------------------------------------------------------------------------
# The ladder: one interface, ``logits(idx) -> (B, T, V)``


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

    def n_params(self) -> int:
        return int(self.counts_.size)


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

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


class CausalSelfAttention(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        self.last_attention = None  # (B, heads, T, T) when ``keep_attention``

    def forward(self, x, keep_attention: bool = False):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (z.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for z in (q, k, v))
        if keep_attention:  # the explicit formula, so the page can show softmax(q k^T / sqrt(d))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
            att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
            self.last_attention = att.detach()
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

    def forward(self, x, keep_attention: bool = False):
        x = x + self.attn(self.ln1(x), keep_attention)
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

    def logits(self, idx, keep_attention: bool = False):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.blocks:
            x = block(x, keep_attention)
        return self.head(self.ln_f(x))

    def attention(self, idx) -> np.ndarray:
        """Attention weights for one context: array (layers, heads, T, T)."""
        with torch.no_grad():
            self.logits(torch.as_tensor(idx, dtype=torch.long)[None, -self.context_size:], keep_attention=True)
        return np.stack([b.attn.last_attention[0].numpy() for b in self.blocks])

    def n_params(self) -> int:
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


# ---------------------------------------------------------------------------------------------
# Evaluation: held-out negative log-likelihood


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


# ---------------------------------------------------------------------------------------------
# Training (MLP and transformer share one loop)


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


class Trainer:
    """Advances one model a few steps at a time (the page calls ``run`` once per fragment tick)."""

    def __init__(self, corpus: Corpus, config: ModelConfig, train: TrainConfig = TrainConfig(), seed: int = 0,
                 model=None) -> None:
        self.corpus, self.config, self.train_cfg = corpus, config, train
        self.model = model if model is not None else build(config, seed)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=train.lr, weight_decay=train.weight_decay,
                                     betas=(0.9, 0.99))
        self.gen = generator(seed + 1)
        self.step = 0
        self.elapsed = 0.0
        self.history: list[dict] = []  # {"step", "seconds" (training only), "train", "val"} in nats/char
        self.diverged = False
        self.samples: list[tuple[int, str]] = []  # (step, text) written as training proceeds
        self.tag: object = None  # the caller's label for what this trainer belongs to
        self._good = copy.deepcopy(self.model.state_dict())
        self._val_batches = eval_batches(corpus, "val", max_windows=train.eval_windows)
        if corpus.mode == "lines":
            self._X, self._Y = _pad_documents(corpus.train, corpus.block_size)
        else:
            self._ids = torch.from_numpy(np.asarray(corpus.train))

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

    def run(self, budget: Budget, callback: Callback | None = None) -> None:
        self.model.train()
        t0 = time.perf_counter()
        self._eval_seconds = 0.0
        last_loss = float("nan")
        for _, _ in steps(budget):
            if self.diverged:
                break
            for g in self.opt.param_groups:
                g["lr"] = self.lr_at(self.step)
            x, y = self.batch()
            logits = self.model.logits(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1)
            last_loss = loss.item()
            if not is_finite(last_loss):
                self.model.load_state_dict(self._good)
                self.diverged = True
                break
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.train_cfg.grad_clip)
            self.opt.step()
            self.step += 1
            if self.step % self.train_cfg.eval_every == 0:
                self._evaluate(last_loss, time.perf_counter() - t0 - self._eval_seconds)
                if callback is not None and callback(Progress(self.step, budget.max_steps, self.elapsed,
                                                              dict(self.history[-1]))) is False:
                    break
        self.elapsed += time.perf_counter() - t0 - self._eval_seconds  # training time only, evaluation excluded
        self.model.eval()

    def _evaluate(self, train_loss: float, seconds: float) -> None:
        t0 = time.perf_counter()
        self.model.eval()
        val = nll(self.model, self._val_batches)
        self.model.train()
        self._eval_seconds += time.perf_counter() - t0
        if not is_finite(val):
            self.model.load_state_dict(self._good)
            self.diverged = True
            return
        self._good = copy.deepcopy(self.model.state_dict())
        self.history.append({"step": self.step, "seconds": self.elapsed + seconds, "train": train_loss, "val": val})


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


# ---------------------------------------------------------------------------------------------
# Sampling transforms: small pure functions on one vector of logits


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


# ---------------------------------------------------------------------------------------------
# Generation


def context_ids(corpus_mode: str, vocab: Vocab, prompt: str) -> np.ndarray:
    """The boundary token followed by the prompt; in lines mode only the current line counts."""
    if corpus_mode == "lines" and BOUNDARY in prompt:
        prompt = prompt.rsplit(BOUNDARY, 1)[1]
    return np.concatenate([[0], vocab.encode(prompt)]).astype(np.int64)


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


def distinct_ngrams(texts: list[str], n: int = 3) -> float:
    """Share of distinct character n-grams among all n-grams in ``texts`` (1 = never repeats)."""
    grams = [t[i:i + n] for t in texts for i in range(len(t) - n + 1)]
    return len(set(grams)) / len(grams) if grams else float("nan")


# ---------------------------------------------------------------------------------------------
# Shipped weights


def weights_name(corpus: str, rung: str) -> str:
    return f"{corpus}_{rung}"


def load_pretrained(corpus_name: str, rung: str):
    """The shipped MLP or transformer for a built-in corpus, and its manifest entry."""
    state, entry = weights_io.load(PAGE, weights_name(corpus_name, rung))
    model = build(ModelConfig(**entry["config"]))
    model.load_state_dict(state)
    model.eval()
    return model, entry


def read_scaling() -> list[dict]:
    path = weights_io.WEIGHTS / PAGE / "scaling.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else []


REGEN_STEPS = {"mlp": 4000, "transformer": 3000}
SCALING_SIZES = ((1, 16), (2, 32), (3, 48), (3, 64), (4, 96))  # (layers, width), names corpus
SCALING_STEPS = 1500


def regenerate(seed: int = 0, quick: bool = False) -> None:
    """Train and save every shipped model, and measure the scaling curve (deterministic for a seed
    up to thread scheduling; budgets are in steps so reruns give the same numbers)."""
    for name in CORPORA:
        corpus = load_corpus(name)
        for rung in ("mlp", "transformer"):
            cfg = default_config(corpus, rung)
            n_steps = 300 if quick else REGEN_STEPS[rung]
            trainer = Trainer(corpus, cfg, TrainConfig(decay_steps=n_steps), seed=seed)
            t0 = time.perf_counter()
            trainer.run(Budget(max_steps=n_steps))
            bpc = bits_per_char(trainer.model, corpus)
            ngram_bpc = {f"{n}gram": bits_per_char(fit_ngram(corpus, n), corpus) for n in (1, 2, 3)}
            metrics = {"val_bits_per_char": round(bpc, 4), "val_nats_per_char": round(bpc * LN2, 4),
                       "steps": n_steps, "train_seconds": round(time.perf_counter() - t0, 1),
                       "n_params": trainer.model.n_params(), **{k: round(v, 4) for k, v in ngram_bpc.items()}}
            weights_io.save(PAGE, weights_name(name, rung), trainer.model.state_dict(), asdict(cfg), metrics)
            print(name, rung, metrics, flush=True)
    corpus = load_corpus("names")
    rows = []
    for n_layer, width in SCALING_SIZES:
        cfg = ModelConfig(kind="transformer", vocab_size=corpus.vocab.size, block_size=corpus.block_size,
                          n_layer=n_layer, n_embd=width, n_head=4)
        n_steps = 200 if quick else SCALING_STEPS
        trainer = Trainer(corpus, cfg, TrainConfig(decay_steps=n_steps), seed=seed)
        trainer.run(Budget(max_steps=n_steps))
        rows.append({"n_layer": n_layer, "n_embd": width, "n_params": trainer.model.n_params(), "steps": n_steps,
                     "val_nats_per_char": round(nll(trainer.model, eval_batches(corpus)), 4)})
        print(rows[-1], flush=True)
    (weights_io.WEIGHTS / PAGE / "scaling.json").write_text(json.dumps(rows, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true", help="train and save the shipped weights")
    parser.add_argument("--quick", action="store_true", help="tiny budgets, for a smoke test")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.regenerate:
        regenerate(args.seed, args.quick)
