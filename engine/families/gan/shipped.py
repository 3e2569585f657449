"""Every file the GAN family ships, and how to make it again: ``python -m engine.regenerate gan``.

The three 2D presets after their budget on the ring (weights, optimiser moments, history and replay
frames, so the page resumes them smoothly), the two digits GANs (generator, history, grids), the pull curves of D
trained alone, the growing digits GAN (``progressive``: generator, per-step history, snapshots), the style GAN
(``style``: mapping and synthesis networks) and the 2D CycleGAN's two runs, with and without the cycle loss.
"""

from __future__ import annotations

from functools import partial

from engine.core.weights import Recipe
from engine.families.gan import cycle, digits, progressive, style
from engine.families.gan.plane import FAMILY, PRESETS, PULL_FILE, recipe_preset, recipe_pull

__all__ = ["FAMILY", "recipes"]


def recipes() -> list[Recipe]:
    out = [Recipe(f"preset_{name}", partial(recipe_preset, name), timing=("seconds",)) for name in PRESETS]
    out += [Recipe("digits", partial(digits.recipe, False)), Recipe("digits_conditional", partial(digits.recipe, True)),
            Recipe(PULL_FILE, recipe_pull), Recipe(progressive.NAME, progressive.recipe), Recipe(style.NAME, style.recipe)]
    return out + [Recipe(cycle.shipped_name(on), partial(cycle.recipe, on), timing=("seconds",)) for on in (True, False)]
