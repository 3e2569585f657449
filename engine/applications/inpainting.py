"""Inpainting with the shipped digits diffusion model: fix the known pixels, denoise the rest (RePaint).

Lugmayr et al. 2022, *RePaint: Inpainting using Denoising Diffusion Probabilistic Models*: an unconditional
DDPM, trained only to make whole digits, fills a hidden region without any retraining. At every reverse step
t → t−1 the known pixels are replaced by the original noised to the same level,

    x_{t−1} = m ⊙ (√ᾱ_{t−1} x_0 + √(1 − ᾱ_{t−1}) ε)  +  (1 − m) ⊙ DDPM step(x_t),      m = 1 on known pixels,

so the model only ever denoises a picture whose known part is right for its noise level. RePaint's
*resampling* is used too: with ``jumps`` = U > 1, each step is repeated U times, going back one forward step
x_t = √α_t x_{t−1} + √β_t z in between, which lets the generated part agree with the known part (the paper uses
U = 10 and jumps of 10 steps; here the jumps are single steps). The model is asked for no class (its "no label"
token), so whether the inpainted digit keeps the original's class is a real test: the evaluator classifier
reads each result, and two baselines fill the same hole with the training digits' mean or with uniform noise.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator
from engine.data import digits

__all__ = ["MASKS", "BASELINES", "DEFAULT_JUMPS", "JUMP_CHOICES", "LIVE_SAMPLES", "SHIPPED_FILE", "TEST_DIGITS", "known_mask",
           "hide", "inpaint", "fill", "KeptRates", "class_kept", "default_view", "shipped_document", "shipped"]

MASKS = ("top", "bottom", "left", "right", "centre")  # the region that is hidden
BASELINES = ("mean", "noise")
DEFAULT_JUMPS = 3
JUMP_CHOICES = (1, 2, 3, 5)
LIVE_SAMPLES = 6  # completions of one digit on the page
TEST_DIGITS = 100  # the shipped comparison: the first 100 held-out test digits, 2 completions each
SHIPPED_FILE = "inpainting.json"  # in assets/weights/experiments/, next to the augmentation runs


def known_mask(name: str) -> np.ndarray:
    """(64,) bool: True on the pixels that stay known when region ``name`` of the 8×8 digit is hidden."""
    if name not in MASKS:
        raise InputError("unknown_mask", name=name)
    hidden = np.zeros((8, 8), bool)
    if name == "top":
        hidden[:4] = True
    elif name == "bottom":
        hidden[4:] = True
    elif name == "left":
        hidden[:, :4] = True
    elif name == "right":
        hidden[:, 4:] = True
    else:
        hidden[2:6, 2:6] = True
    return ~hidden.reshape(64)


def hide(x0: np.ndarray, known: np.ndarray) -> np.ndarray:
    """The digit with its hidden pixels blanked to 0 (for display)."""
    return np.where(known, np.asarray(x0, np.float32), 0.0).astype(np.float32)


def inpaint(model, x0: np.ndarray, known: np.ndarray, n: int, seed: SeedLike = 0, jumps: int = DEFAULT_JUMPS) -> np.ndarray:
    """``n`` completions (n, 64), pixels 0…16, of each digit in ``x0`` ((64,) or (m, 64): n per digit, digit-major).

    ``model`` is the shipped digits :class:`~engine.families.diffusion.DiffusionModel`; DDPM over all T steps,
    each repeated ``jumps`` times (RePaint's resampling; 1 = none). The known pixels come back exactly as given.
    """
    if not 1 <= int(jumps) <= 10:
        raise InputError("bad_jumps", jumps=jumps)
    x0 = np.atleast_2d(np.asarray(x0, np.float32))
    known = np.broadcast_to(np.asarray(known, bool), (64,))
    rng = as_generator(seed)
    sched = model.schedule
    clip = model.config.denoiser.x0_clip
    z0 = np.repeat(model.to_model(x0), n, axis=0).astype(np.float64)
    m = known.astype(np.float64)
    x = rng.standard_normal(z0.shape)
    for t in range(sched.T, 0, -1):
        for u in range(int(jumps)):
            eps = model.predict_noise(x.astype(np.float32), t).astype(np.float64)
            noise = rng.standard_normal(x.shape) if t > 1 else None
            unknown = sched.step(eps, t, x, noise, clip)
            a_prev = sched.alphas_cumprod[t - 1]
            known_part = math.sqrt(a_prev) * z0 + math.sqrt(1.0 - a_prev) * rng.standard_normal(x.shape)
            x_prev = m * known_part + (1.0 - m) * unknown
            if u + 1 < jumps and t > 1:  # resample: one forward step back to t, then denoise again
                x = math.sqrt(sched.alphas[t]) * x_prev + math.sqrt(sched.betas[t]) * rng.standard_normal(x.shape)
            else:
                x = x_prev
    out = np.clip(model.to_data(x.astype(np.float32)), 0.0, 16.0)
    return np.where(known, np.repeat(x0, n, axis=0), out).astype(np.float32)


def fill(x0: np.ndarray, known: np.ndarray, how: str, n: int = 1, seed: SeedLike = 0) -> np.ndarray:
    """A baseline: the hidden pixels filled with the training digits' mean (``mean``) or uniform noise 0…16 (``noise``)."""
    x0 = np.atleast_2d(np.asarray(x0, np.float32))
    rep = np.repeat(x0, n, axis=0)
    if how == "mean":
        other = np.broadcast_to(digits.load("train")[0].mean(axis=0), rep.shape)
    elif how == "noise":
        other = as_generator(seed).uniform(0.0, 16.0, rep.shape)
    else:
        raise InputError("unknown_baseline", name=how)
    return np.where(known, rep, other).astype(np.float32)


@dataclass(frozen=True)
class KeptRates:
    """How often the evaluator reads the completed digit as the original's true class, by way of filling the hole."""

    mask: str
    n_digits: int
    n_samples: int
    jumps: int
    inpainted: float
    mean: float
    noise: float
    original: float  # the evaluator on the whole, unmasked digits: the ceiling

    def to_dict(self) -> dict:
        return asdict(self)


def class_kept(model, mask: str, n_digits: int = TEST_DIGITS, n_samples: int = 2, seed: int = 0,
               jumps: int = DEFAULT_JUMPS) -> KeptRates:
    """The share of completions the evaluator reads as the true class, for the first ``n_digits`` test digits."""
    X, y = digits.load("test")
    X, y = X[:n_digits], y[:n_digits]
    known = known_mask(mask)
    wanted = np.repeat(y, n_samples)

    def rate(images: np.ndarray) -> float:
        return round(float((digits.classify(images) == wanted).mean()), 6)

    return KeptRates(mask, int(n_digits), int(n_samples), int(jumps),
                     inpainted=rate(inpaint(model, X, known, n_samples, seed, jumps)),
                     mean=rate(fill(X, known, "mean", n_samples, seed)),
                     noise=rate(fill(X, known, "noise", n_samples, seed)),
                     original=round(float((digits.classify(X) == y).mean()), 6))


def default_view(model, digit: int = 0, mask: str = "top", jumps: int = DEFAULT_JUMPS, seed: int = 0) -> np.ndarray:
    """The page's view: ``LIVE_SAMPLES`` completions of test digit ``digit`` with region ``mask`` hidden."""
    X, _ = digits.load("test")
    if not 0 <= int(digit) < len(X):
        raise InputError("bad_digit_index", index=digit, max=len(X) - 1)
    return inpaint(model, X[int(digit)], known_mask(mask), LIVE_SAMPLES, seed, jumps)


def shipped_document(model) -> dict:
    """What ``python -m engine.regenerate experiments`` ships: the class-kept rates for every mask without and with
    resampling, and the page's default view (test digit 0, top hidden), so the page shows both at once."""
    rates = [class_kept(model, mask, jumps=j).to_dict() for mask in MASKS for j in (1, DEFAULT_JUMPS)]
    view = default_view(model)
    return {"rates": rates, "default": {"digit": 0, "mask": "top", "jumps": DEFAULT_JUMPS, "seed": 0,
                                        "samples": np.round(view, 4).tolist()}}


def shipped(folder: str) -> dict | None:
    """The shipped document (``folder``: the experiments' folder under assets/weights), or None."""
    from engine.core import weights

    return weights.read_document(folder, SHIPPED_FILE)
