"""Diffusion on the 8×8 digits: a class-conditional denoiser, guided sampling, and the shipped model.

Pixels 0…16 are mapped to −1…1 by the fixed map x ↦ (x − 8) / 8. Classifier-free guidance mixes the
conditional and unconditional noise predictions: ε = ε(x, ∅) + (1 + w) · (ε(x, y) − ε(x, ∅)).
"""

from __future__ import annotations

import numpy as np

from engine.core import weights
from engine.core.rng import SeedLike
from engine.core.training import Budget
from engine.data import digits
from engine.families.diffusion.denoiser import DenoiserConfig
from engine.families.diffusion.model import DiffusionConfig, DiffusionModel, SampleResult, TrainConfig
from engine.families.diffusion.plane import FAMILY, final_loss
from engine.families.diffusion.schedule import ScheduleConfig

__all__ = ["DIGIT_CLASSES", "config_digits", "digits_model", "digit_samples", "class_agreement", "guidance_accuracy", "pretrained_digits",
           "recipe_digits"]

DIGIT_CLASSES = 10


def config_digits() -> DiffusionConfig:
    """Class-conditional ε_θ for 8×8 digits: 64 pixels mapped to −1…1, x̂_0 clipped to that range."""
    return DiffusionConfig(
        ScheduleConfig("cosine", 100),
        DenoiserConfig(dim=64, hidden=256, depth=3, time_dim=64, n_classes=DIGIT_CLASSES, class_dim=32, x0_clip=1.0, T=100),
        TrainConfig(lr=2e-3, batch_size=128, decay_steps=6000, p_uncond=0.15),
    )


def digits_model(seed: int = 0) -> DiffusionModel:
    """An untrained digits model with the fixed pixel map x ↦ (x − 8) / 8."""
    return DiffusionModel(config_digits(), seed, shift=8.0, scale=8.0)


def digit_samples(model: DiffusionModel, labels: np.ndarray, guidance: float, steps: int = 50, seed: SeedLike = 0,
                  keep: int = 0, keep_frames: int | None = None) -> SampleResult:
    """Generated digits for the requested ``labels`` (pixels clipped to 0…16), DDIM with guidance."""
    res = model.reverse(len(labels), "ddim", steps, seed=seed, y=np.asarray(labels), guidance=guidance, keep=keep, keep_frames=keep_frames)
    res.samples = np.clip(res.samples, 0, 16)
    if res.trajectory is not None:
        res.trajectory = np.clip(res.trajectory, 0, 16)
    return res


def class_agreement(images: np.ndarray, labels) -> float:
    """The fraction of ``images`` (pixels 0…16) that the evaluator classifier reads as ``labels`` (one or one each)."""
    return float((digits.classify(images) == labels).mean())


def guidance_accuracy(model: DiffusionModel, guidance: float, per_class: int = 20, seed: SeedLike = 0, steps: int = 50) -> float:
    """The fraction of generated digits that the evaluator classifier reads as the requested class."""
    labels = np.repeat(np.arange(DIGIT_CLASSES), per_class)
    return class_agreement(digit_samples(model, labels, guidance, steps, seed).samples, labels)


def pretrained_digits() -> DiffusionModel:
    state, entry = weights.load(FAMILY, "digits")
    return DiffusionModel.from_state(DiffusionConfig.from_dict(entry["config"]), state)


def recipe_digits() -> weights.Trained:
    """Train the shipped digits model from its fixed seed, and measure guidance."""
    X, y = digits.load("train")
    model = digits_model(0).fit(X, y, budget=Budget(max_steps=config_digits().train.decay_steps))
    metrics = {f"accuracy_guidance_{w:g}": round(guidance_accuracy(model, w, seed=1), 4) for w in (0.0, 1.0, 3.0)}
    return weights.Trained(model.state_dict(), model.config.to_dict(), metrics | final_loss(model))
