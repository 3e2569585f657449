"""The truncation trick (Brock, Donahue & Simonyan 2019, BigGAN): sample z closer to its mean.

At sampling time only (the generator is the one trained on z ~ N(0, I)), each coordinate of z is
drawn from the standard normal *truncated* to [−ψ, ψ]. BigGAN draws it by resampling every
|z_i| > ψ until it falls inside; that gives exactly the truncated normal, which is drawn here by its
inverse CDF instead:

    z_i = Φ⁻¹( Φ(−ψ) + u_i · (Φ(ψ) − Φ(−ψ)) ),   u_i ~ U(0, 1)

so the same uniform numbers u serve every ψ, and a tile of the page's grid changes smoothly as ψ
moves. (Clipping z to [−ψ, ψ] would be a different distribution: it piles the cut-off mass at ±ψ.)
ψ = None is no truncation: z ~ N(0, I).
"""

from __future__ import annotations

import numpy as np

from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator
from engine.core.torch_setup import torch
from engine.families.gan import digits

__all__ = ["truncated_normal", "sample"]


def truncated_normal(n: int, dim: int, psi: float | None, seed: SeedLike = 0) -> np.ndarray:
    """(n, dim) draws of N(0, 1) truncated to [−ψ, ψ] (float32); ψ None: untruncated."""
    if psi is not None and not (np.isfinite(psi) and psi > 0):
        raise InputError("bad_truncation", psi=psi)
    u = torch.from_numpy(as_generator(seed).uniform(size=(n, dim)))
    lo = 0.0 if psi is None else float(torch.special.ndtr(torch.tensor(-float(psi), dtype=torch.float64)))
    u = u.clamp(1e-12, 1 - 1e-12)  # ndtri(0) = −∞: U(0, 1) can return exactly 0
    return torch.special.ndtri(lo + u * (1.0 - 2.0 * lo)).float().numpy()


def sample(model: digits.DigitsGan, n: int, psi: float | None, seed: SeedLike = 0) -> np.ndarray:
    """``n`` digits (n, 64) on the 0..16 scale from an unconditional digits GAN, with z truncated at ψ."""
    if model.cfg.conditional:
        raise ValueError("the truncation grid samples the unconditional digits GAN (a conditional one needs labels)")
    z = torch.from_numpy(truncated_normal(n, model.cfg.noise_dim, psi, seed))
    with torch.no_grad():
        return digits.to_pixels(model.generate(z).numpy())
