"""Every file the energy family ships, and how to make it again.

    python -m engine.regenerate energy            retrain every file, in place
    python -m engine.regenerate energy --check    retrain into a temporary folder and compare with the manifest

For each built-in 2D dataset (drawn with seed 0 at the page's default size and noise) three energies of
the same network: contrastive divergence with short-run chains, with persistent chains, and denoising
score matching. And one energy of 8×8 digits. Fixed seeds and one torch thread make the float sums,
hence the files, repeatable bit for bit.

The manifest records, for each 2D file, what the page compares: MMD² of samples drawn as in training
(``mmd2``) and of long-run chains (``mmd2_long``, ``LONG_RUN`` steps) to held-out points, the mean held-out
log-density under the grid-normalised p_θ (``heldout_log_density``), log Z and, on the ring, the modes covered.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from engine import metrics
from engine.core import weights
from engine.core.weights import Recipe, Trained
from engine.data import points
from engine.families.energy.model import EnergyConfig, EnergyModel, TrainConfig
from engine.families.energy.network import NetConfig
from engine.core.torch_setup import torch
from engine.core.training import Budget

__all__ = ["FAMILY", "REGIMES", "DATA_NOISE", "LONG_RUN", "recipes", "data_2d", "config_2d",
           "persistent_step", "train_2d", "load_2d", "shipped_samples", "shipped_metrics", "N_HELD_OUT", "N_SHOWN", "SEED", "STEPS"]

FAMILY = "energy"
REGIMES = ("short_run", "persistent", "dsm")
DATA_NOISE = {"ring8": 0.3}  # the reference's 8 Gaussians: radius 2, σ = 0.3 is its radius 1, σ = 0.15, scaled ×2
LONG_RUN = 2000
SEED = 0
N_HELD_OUT = 1000
N_SHOWN = 500
STEPS = {"short_run": 300, "persistent": 1000, "dsm": 600}


def data_2d(name: str, seed: int = SEED, n: int | None = None) -> points.Dataset:
    """The dataset a shipped 2D energy was trained on (the page's defaults, ``seed`` 0)."""
    return points.make_dataset(name, n, DATA_NOISE.get(name), seed)


def persistent_step(X: np.ndarray, noise: float | None) -> float:
    """The persistent chains' Langevin step, in standardised units: the data's noise level there, between 0.04 and 0.12.

    A chain at equilibrium in a well as wide as the data (σ) moves about ε²/(2σ) per step, so it can only
    resolve the well if ε is no larger than about σ: with ε = 0.12 the thin circles (σ = 0.05 in standardised
    units) overshoot their wells and the energies blow up, while on the 8 Gaussians (σ = 0.21) a step as
    large as 0.12 is what lets the chains travel between the wells and learn their weights. Own data, whose
    noise is unknown, get 0.07 (the short-run step).
    """
    if noise is None:
        return 0.07
    Xc = np.asarray(X, float) - np.mean(X, axis=0)
    scale = float(np.sqrt((Xc**2).sum(1).mean() / Xc.shape[1]))
    return float(np.clip(noise / scale, 0.04, 0.12))


def config_2d(regime: str = "short_run", steps: int | None = None, step_size: float | None = None) -> EnergyConfig:
    """The page's 2D recipe for one regime, its learning rate decaying over ``steps`` (``step_size``: the
    persistent chains' ε, from :func:`persistent_step`)."""
    steps = STEPS[regime] if steps is None else int(steps)
    train = {"short_run": TrainConfig(decay_steps=steps),
             # a small buffer (each chain is picked every second batch), longer chains and a step as large as the data
             # allow, and a lower learning rate (at 0.01 the wells sharpen faster than the chains follow and the energies
             # blow up): the chains travel between the wells, so the wells' depths (the modes' weights) are learned too
             "persistent": TrainConfig(chains="persistent", langevin_steps=40, step_size=0.07 if step_size is None else step_size,
                                       buffer_size=500, restart=0.0, lr=0.003, decay_steps=steps, sample_steps=300),
             "dsm": TrainConfig(objective="dsm", decay_steps=steps, sample_steps=300)}[regime]
    return EnergyConfig(NetConfig(), train)


def train_2d(name: str, regime: str) -> Trained:
    ds = data_2d(name)
    held_out = data_2d(name, seed=SEED + 1, n=N_HELD_OUT).X
    noise = DATA_NOISE.get(name, points.BUILTIN[name].default_noise)
    config = config_2d(regime, step_size=persistent_step(ds.X, noise) if regime == "persistent" else None)
    model = EnergyModel(config, seed=SEED).fit(ds.X, budget=Budget(max_steps=STEPS[regime]))
    samples = model.sample(N_HELD_OUT, seed=1)
    long_run = model.sample(N_HELD_OUT, seed=2, n_steps=LONG_RUN)
    m = {"steps": model.step_, "diverged": model.diverged_, "mmd2": round(metrics.mmd2(samples, held_out), 5),
         "mmd2_long": round(metrics.mmd2(long_run, held_out), 5), "log_z": round(model.log_z(), 4),
         "heldout_log_density": round(float(model.score_samples(held_out).mean()), 4),
         "data": {"name": name, "n": len(ds), "noise": noise, "seed": SEED}}
    if name == "ring8":
        centres = points.ring8_centres()
        radius = 3 * DATA_NOISE["ring8"]
        m["modes"] = metrics.mode_coverage(samples, centres, radius).covered
        m["modes_long"] = metrics.mode_coverage(long_run, centres, radius).covered
    state = model.state_dict()
    # what the page's comparison draws, shipped so it shows in its first second: K-step and long-run samples
    state["samples"] = torch.tensor(samples[:N_SHOWN], dtype=torch.float32)
    state["samples_long"] = torch.tensor(long_run[:N_SHOWN], dtype=torch.float32)
    return Trained(state, model.config.to_dict(), m)


def recipes() -> list[Recipe]:
    from engine.families.energy import digits

    out = [Recipe(f"{name}_{regime}", partial(train_2d, name, regime)) for name in points.BUILTIN for regime in REGIMES]
    return out + [Recipe(digits.NAME, digits.train_shipped)]


def load_2d(name: str, regime: str) -> EnergyModel:
    """A shipped 2D energy (checked against its sha256), ready to sample from."""
    state, entry = weights.load(FAMILY, f"{name}_{regime}")
    return EnergyModel.from_state(EnergyConfig.from_dict(entry["config"]), state, seed=SEED)


def shipped_samples(name: str, regime: str) -> tuple[np.ndarray, np.ndarray]:
    """The shipped K-step samples and long-run samples (``LONG_RUN`` steps) of one 2D energy."""
    state, _ = weights.load(FAMILY, f"{name}_{regime}")
    return state["samples"].numpy().astype(np.float64), state["samples_long"].numpy().astype(np.float64)


def shipped_metrics(name: str, regime: str) -> dict:
    return weights.read_manifest(FAMILY).get(f"{name}_{regime}", {}).get("metrics", {})
