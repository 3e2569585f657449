"""Races: every registered 2D family on the same points, with the same budget, judged with the same metrics.

- ``race``: the :class:`Race` (a trainer that steps every contestant in turn, so a page shows them
  side by side live), its verdict table, a ranking by any metric and a commentary from the numbers.
- ``lessons``: a few races whose outcome teaches something, and ``shipped``: their results as strict
  JSON, rebuilt by ``python -m engine.regenerate races``, so a page shows them without training.
"""
