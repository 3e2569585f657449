"""The shipped lessons, and how to make them again: ``python -m engine.regenerate races [names] [--check]``.

One strict-JSON document per lesson (``<key>.json``): its verdict rows, samples and training curves
(:func:`engine.races.lessons.run`). Training seconds are wall-clock times, so ``--check`` compares
the documents with them left out.
"""

from __future__ import annotations

from engine.core.weights import Document, Recipe
from engine.races import lessons

__all__ = ["recipes"]


def recipes() -> list[Recipe]:
    return [Recipe(f"{item.key}.json", lambda item=item: Document(f"{item.key}.json", lessons.run(item)),
                   timing=lessons.TIMING) for item in lessons.LESSONS]
