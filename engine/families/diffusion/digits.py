"""Diffusion on the 8×8 digits: a class-conditional denoiser, guided sampling, and the shipped model.

Pixels 0…16 are mapped to −1…1 by the fixed map x ↦ (x − 8) / 8. Classifier-free guidance mixes the
conditional and unconditional noise predictions: ε = ε(x, ∅) + (1 + w) · (ε(x, y) − ε(x, ∅)).
"""

from __future__ import annotations

from dataclasses import dataclass

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
           "recipe_digits", "GUIDANCE_SWEEP", "SWEEP_GRID", "SWEEP_FILM", "SWEEP_FRAMES", "SWEEP_DEFAULT", "SWEEP_LEVELS", "GuidanceSweep", "spread", "guidance_sweep", "recipe_sweep", "shipped_sweep"]

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


# ---------------------------------------------------------------- the guidance sweep: every w at once, scrubbed in the browser

GUIDANCE_SWEEP = tuple(round(0.5 * i, 1) for i in range(13))  # w = 0, 0.5, …, 6
SWEEP_GRID, SWEEP_FILM, SWEEP_FRAMES = 32, 5, 11
SWEEP_DEFAULT = {"label": 3, "steps": 50, "seed": 0}  # the page's first view (shipped: ``sweep_3``)
SWEEP_LEVELS = 15  # shipped pixels are kept to 1/15 of an ink unit (one byte each): far below what the eye sees


@dataclass(frozen=True)
class GuidanceSweep:
    """The same noise denoised at every guidance weight: for each w, ``SWEEP_GRID`` samples and the film of
    ``SWEEP_FILM`` more (``SWEEP_FRAMES`` moments of their reverse run), what the evaluator reads, and the spread."""

    guidance: tuple[float, ...]
    grids: np.ndarray  # (W, SWEEP_GRID, 64) ink 0…16
    films: np.ndarray  # (W, SWEEP_FRAMES, SWEEP_FILM, 64)
    film_t: tuple[int, ...]  # the timestep of each film frame
    agreement: np.ndarray  # (W,) share of the grid the evaluator reads as the requested digit
    spread: np.ndarray  # (W,) mean RMS pixel difference between two samples of the grid (ink units)


def spread(images: np.ndarray) -> float:
    """Mean over pairs of samples of their RMS pixel difference, in ink units (0…16): how varied they are."""
    X = np.asarray(images, np.float64).reshape(len(images), -1)
    sq = (X ** 2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * X @ X.T, 0.0) / X.shape[1]
    return float(np.sqrt(d2[np.triu_indices(len(X), 1)]).mean())


def guidance_sweep(model: DiffusionModel, label: int, steps: int = 50, seed: int = 0,
                   ws: tuple[float, ...] = GUIDANCE_SWEEP) -> GuidanceSweep:
    """Each w from the same seeds (so only the guidance changes between frames): the grid from ``seed``, the
    film from ``seed + 1``."""
    grids, films, agreement, spreads, film_t = [], [], [], [], ()
    for w in ws:
        grid = digit_samples(model, np.full(SWEEP_GRID, label), w, steps, seed=seed)
        film = digit_samples(model, np.full(SWEEP_FILM, label), w, steps, seed=seed + 1, keep=SWEEP_FILM, keep_frames=SWEEP_FRAMES)
        grids.append(grid.samples)
        films.append(film.trajectory.reshape(-1, SWEEP_FILM, 64))
        film_t = tuple(int(t) for t in film.timesteps)
        agreement.append(class_agreement(grid.samples, label))
        spreads.append(spread(grid.samples))
    return GuidanceSweep(tuple(float(w) for w in ws), np.stack(grids).astype(np.float32), np.stack(films).astype(np.float32),
                         film_t, np.array(agreement), np.array(spreads))


def recipe_sweep() -> weights.Array:
    """The default sweep, one byte per pixel: grids then film frames, per w."""
    sw = guidance_sweep(pretrained_digits(), **SWEEP_DEFAULT)
    pixels = np.concatenate([sw.grids, sw.films.reshape(len(sw.guidance), -1, 64)], axis=1)
    config = {**SWEEP_DEFAULT, "guidance": list(sw.guidance), "film_t": list(sw.film_t), "levels": SWEEP_LEVELS}
    metrics = {"agreement": [round(float(a), 6) for a in sw.agreement], "spread": [round(float(v), 6) for v in sw.spread]}
    return weights.Array(np.rint(pixels * SWEEP_LEVELS).astype(np.uint8), config, metrics)


def shipped_sweep(label: int, steps: int, seed: int) -> GuidanceSweep | None:
    """The shipped sweep if it is the one asked for (the page's defaults), else None."""
    if {"label": label, "steps": steps, "seed": seed} != SWEEP_DEFAULT:
        return None
    try:
        pixels, entry = weights.load_array(FAMILY, "sweep_3")
    except (KeyError, FileNotFoundError):
        return None
    cfg, W = entry["config"], len(entry["config"]["guidance"])
    pixels = pixels.astype(np.float32) / cfg["levels"]
    return GuidanceSweep(tuple(cfg["guidance"]), pixels[:, :SWEEP_GRID], pixels[:, SWEEP_GRID:].reshape(W, -1, SWEEP_FILM, 64),
                         tuple(cfg["film_t"]), np.array(entry["metrics"]["agreement"]), np.array(entry["metrics"]["spread"]))
