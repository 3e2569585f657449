"""An energy of 8×8 digits, in miniature: the same kind of network in 64 dimensions, trained by contrastive
divergence with short-run chains from noise, and sampled by Langevin.

Here Z would be a sum over 64 dimensions (a grid of 120 values per pixel has 120⁶⁴ cells), so the energy is
only known up to its constant: :meth:`EnergyModel.energy` is the unnormalised −log p. The chains stay inside
the pixels' range 0…16 (``clip``), as image EBMs keep theirs. The samples are judged by the shared digit
classifier (``engine.digits.classify``), an evaluator outside the model.
"""

from __future__ import annotations

import numpy as np

from engine.data import digits as data
from engine import metrics
from engine.core import weights
from engine.families.energy.model import EnergyConfig, EnergyModel, TrainConfig
from engine.families.energy.network import NetConfig
from engine.core.training import Budget

__all__ = ["NAME", "CONFIG", "STEPS", "SAMPLE_STEPS", "STEP_CHOICES", "train", "train_shipped", "load", "langevin_samples", "N_FILM", "N_SAMPLES"]

NAME = "digits"
STEPS = 1000
SAMPLE_STEPS = 40  # the training K: short-run chains are right at the length they were trained for
STEP_CHOICES = (5, 10, 20, 40, 80, 160, 400)
N_SAMPLES = 32
N_FILM = 6
CONFIG = EnergyConfig(NetConfig(dim=64, hidden=128, depth=2, in_scale=1.0),
                      TrainConfig(langevin_steps=SAMPLE_STEPS, step_size=0.2, lr=0.001, decay_steps=STEPS, clip=(0.0, 16.0)))


def train(steps: int = STEPS, seed: int = 0) -> EnergyModel:
    X, _ = data.load("train")
    return EnergyModel(CONFIG, seed=seed).fit(X, budget=Budget(max_steps=steps))


def train_shipped():
    from engine.core.weights import Trained

    model = train()
    X_test, _ = data.load("test")
    samples = model.sample(300, seed=1)
    labels = data.classify(samples)
    counts = np.bincount(labels, minlength=10)
    m = {"steps": model.step_, "diverged": model.diverged_,
         "mmd2_test": round(metrics.mmd2(samples / 16.0, X_test[:300] / 16.0), 5),  # on pixels scaled to 0…1
         "classes_seen": int((counts > 0).sum()), "class_counts": counts.tolist()}
    return Trained(model.state_dict(), model.config.to_dict(), m)


def load() -> EnergyModel:
    from engine.families.energy.shipped import FAMILY

    state, entry = weights.load(FAMILY, NAME)
    return EnergyModel.from_state(EnergyConfig.from_dict(entry["config"]), state)


def langevin_samples(n_steps: int = SAMPLE_STEPS, seed: int = 0, model: EnergyModel | None = None) -> dict:
    """``N_SAMPLES`` digits after ``n_steps`` Langevin steps from noise, the film of ``N_FILM`` chains, and what
    the classifier reads in them."""
    model = model or load()
    chains = model.chains(N_SAMPLES, seed=seed, n_steps=int(n_steps), keep=N_FILM, n_frames=8, clip=True)
    samples = np.clip(chains.samples, 0, 16)
    film = np.clip(chains.frames, 0, 16).transpose(1, 0, 2).reshape(-1, 64)  # chain by chain, frame by frame
    counts = np.bincount(data.classify(samples), minlength=10)
    return {"samples": samples, "film": film, "film_steps": chains.frame_steps.tolist(), "counts": counts.tolist(),
            "n_classes": int((counts > 0).sum()), "params": model.n_params_}
