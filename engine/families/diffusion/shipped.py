"""Every file the diffusion family ships, and how to make it again: ``python -m engine.regenerate diffusion``.

Fixed seeds and one thread make the float sums, hence the files, repeatable bit for bit. ``latent_z8``
needs the VAE family's shipped weights, and records their sha256 so a changed VAE is noticed.
"""

from __future__ import annotations

from functools import partial

from engine.core.weights import Recipe
from engine.data import points
from engine.families.diffusion.digits import recipe_digits, recipe_sweep
from engine.families.diffusion.latent import LATENT_DIM, recipe_latent
from engine.families.diffusion.plane import FAMILY, recipe_2d

__all__ = ["FAMILY", "recipes"]


def recipes() -> list[Recipe]:
    return [*(Recipe(name, partial(recipe_2d, name)) for name in points.BUILTIN),
            Recipe("digits", recipe_digits),
            Recipe("sweep_3", recipe_sweep),
            Recipe(f"latent_z{LATENT_DIM}", partial(recipe_latent, LATENT_DIM))]
