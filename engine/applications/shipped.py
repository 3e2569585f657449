"""The precomputed experiments, and how to make them again: ``python -m engine.regenerate experiments [--check]``.

``inpainting.json``: how often RePaint inpainting keeps the class of 100 test digits, for every mask (with and
without resampling) against two baselines, and the page's default completions
(:func:`engine.applications.inpainting.shipped_document`).

``augmentation.json``: the augmentation experiment for both generators at k = 20 generated digits per class
and n = 5, 10, 20 and 50 real ones (10 is the page's default), each over 5 seeds
(:func:`engine.applications.augmentation.shipped_document`). The page opens on these numbers; its Run button
measures other settings live. Wall-clock seconds are left out of ``--check``.
"""

from __future__ import annotations

from engine.applications import augmentation, inpainting
from engine.core.weights import Document, Recipe

__all__ = ["TIMING", "recipes"]

TIMING = ("seconds",)


def recipes() -> list[Recipe]:
    name = augmentation.SHIPPED_FILE
    return [Recipe(name, lambda: Document(name, augmentation.shipped_document()), timing=TIMING),
            Recipe(inpainting.SHIPPED_FILE, _inpainting)]


def _inpainting() -> Document:
    from engine.families import diffusion

    return Document(inpainting.SHIPPED_FILE, inpainting.shipped_document(diffusion.pretrained_digits()))
