"""Headless core of Generative Playground: data, models, training, sampling, metrics.

Rules (a test enforces the first one):
- never import streamlit here;
- data goes in, numpy arrays and dataclasses come out;
- model families share sklearn-like verbs: ``fit``, ``sample``, ``score_samples``, ``predict_proba``;
- every random step takes a seed or a ``numpy.random.Generator``; no global random state;
- training loops report progress through a callback and respect a step or time budget
  (see :mod:`engine.training`).
Modules that need torch import it themselves, so that importing ``engine`` stays light.
"""
