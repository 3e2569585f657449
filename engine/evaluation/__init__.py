"""Evaluating generators: the evaluation page's engine, reused by the arena.

- ``scorecard``: a real reference set with what every metric needs from it computed once, and one
  call that scores a set of samples against it (precision, recall, density, coverage, MMD², sliced
  Wasserstein, log-likelihood, copying). Works in any dimension.
- ``plane``: the 2D part: real points split into training and held-out halves, and a generator whose
  failures (dropped modes, blur, truncation, copying, a shift) are dialled in.
- ``features``: the small feature network for 8×8 digits (torch; only to regenerate and verify), and
  ``shipped``: its recipes for ``python -m engine.regenerate evaluator``.
- ``leaderboard``: the app's digit generators measured in that feature space, from shipped samples
  and features (numpy only, so the page renders without torch).

The metric formulas themselves live in ``engine.metrics``.
"""
