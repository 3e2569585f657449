"""Text corpora for the token models: the shipped books and names, uploaded text, and their splits.

Tokens are characters. Token 0 is always the newline, used as the boundary token: it starts every
prompt, and in the names corpus it both starts and ends each name (makemore's ``.``). A corpus is
split once into training and held-out text: the names with makemore's split, running text 90/10.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.core.errors import InputError
from engine.core.torch_setup import generator, torch

__all__ = ["CORPORA_DIR", "CORPORA", "BOUNDARY", "MAX_UPLOAD_BYTES", "MAX_CORPUS_CHARS", "MAX_VOCAB", "STREAM_BLOCK",
           "MIN_UPLOAD_CHARS", "Vocab", "Corpus", "makemore_split", "read_corpus_text", "load_corpus", "corpus_from_bytes",
           "training_stream", "DocumentReach", "document_reach"]

CORPORA_DIR = Path(__file__).resolve().parent.parent.parent / "assets" / "corpora"
CORPORA = {  # name -> (file, mode). "lines": one independent document per line (names).
    "names": ("names.txt", "lines"),
    "alice": ("alice_in_wonderland.txt", "stream"),
    "dom_casmurro": ("dom_casmurro.txt", "stream"),
}
BOUNDARY = "\n"

# Upload limits
MAX_UPLOAD_BYTES = 20_000_000  # larger files are rejected outright
MAX_CORPUS_CHARS = 400_000  # longer texts are capped (and the page says so)
MAX_VOCAB = 160
STREAM_BLOCK = 64  # the transformer's context window on running text
MIN_UPLOAD_CHARS = 12 * STREAM_BLOCK  # so the held-out 10 % still holds a full context window


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
