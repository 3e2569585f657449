"""Every file the token models ship, and how to make it again: ``python -m engine.regenerate autoregressive``.

An MLP and a transformer per built-in corpus, and the scaling curve (held-out loss against model
size on the names). Budgets are in steps and seeds are fixed, so a rerun writes the same bytes.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from functools import partial

from engine.core import weights
from engine.core.training import Budget
from engine.data.corpora import CORPORA, load_corpus
from engine.families.autoregressive.evaluation import LN2, bits_per_char, eval_batches, nll
from engine.families.autoregressive.models import ModelConfig, build, default_config, fit_ngram
from engine.families.autoregressive.trainer import TrainConfig, Trainer

__all__ = ["FAMILY", "SCALING_FILE", "weights_name", "load_pretrained", "read_scaling", "REGEN_STEPS", "SCALING_SIZES",
           "SCALING_STEPS", "recipe_model", "recipe_scaling", "recipes"]

FAMILY = "autoregressive"
SCALING_FILE = "scaling.json"
REGEN_STEPS = {"mlp": 4000, "transformer": 3000}
SCALING_SIZES = ((1, 16), (2, 32), (3, 48), (3, 64), (4, 96))  # (layers, width), names corpus
SCALING_STEPS = 1500


def weights_name(corpus: str, rung: str) -> str:
    return f"{corpus}_{rung}"


def load_pretrained(corpus_name: str, rung: str):
    """The shipped MLP or transformer for a built-in corpus, and its manifest entry."""
    state, entry = weights.load(FAMILY, weights_name(corpus_name, rung))
    model = build(ModelConfig(**entry["config"]))
    model.load_state_dict(state)
    model.eval()
    return model, entry


def read_scaling() -> list[dict]:
    return weights.read_document(FAMILY, SCALING_FILE) or []


def recipe_model(corpus_name: str, rung: str, seed: int = 0) -> weights.Trained:
    """Train one shipped rung on one corpus, and measure it against the n-grams."""
    corpus = load_corpus(corpus_name)
    cfg = default_config(corpus, rung)
    n_steps = REGEN_STEPS[rung]
    trainer = Trainer(corpus, cfg, TrainConfig(decay_steps=n_steps), seed=seed)
    t0 = time.perf_counter()
    trainer.advance(Budget(max_steps=n_steps))
    bpc = bits_per_char(trainer.model, corpus)
    ngram_bpc = {f"{n}gram": bits_per_char(fit_ngram(corpus, n), corpus) for n in (1, 2, 3)}
    metrics = {"val_bits_per_char": round(bpc, 4), "val_nats_per_char": round(bpc * LN2, 4),
               "steps": n_steps, "train_seconds": round(time.perf_counter() - t0, 1),
               "n_params": trainer.n_params_, **{k: round(v, 4) for k, v in ngram_bpc.items()}}
    return weights.Trained(trainer.model.state_dict(), asdict(cfg), metrics)


def recipe_scaling(seed: int = 0) -> weights.Document:
    """Held-out loss of transformers of growing size on the names, each trained for the same steps."""
    corpus = load_corpus("names")
    rows = []
    for n_layer, width in SCALING_SIZES:
        cfg = ModelConfig(kind="transformer", vocab_size=corpus.vocab.size, block_size=corpus.block_size,
                          n_layer=n_layer, n_embd=width, n_head=4)
        trainer = Trainer(corpus, cfg, TrainConfig(decay_steps=SCALING_STEPS), seed=seed)
        trainer.advance(Budget(max_steps=SCALING_STEPS))
        rows.append({"n_layer": n_layer, "n_embd": width, "n_params": trainer.n_params_, "steps": SCALING_STEPS,
                     "val_nats_per_char": round(nll(trainer.model, eval_batches(corpus)), 4)})
    return weights.Document(SCALING_FILE, rows)


def recipes() -> list[weights.Recipe]:
    out = [weights.Recipe(weights_name(name, rung), partial(recipe_model, name, rung), timing=("train_seconds",))
           for name in CORPORA for rung in ("mlp", "transformer")]
    return out + [weights.Recipe(SCALING_FILE, recipe_scaling)]
