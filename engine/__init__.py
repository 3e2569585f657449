"""Headless core of Generative Playground: data, models, training, sampling, metrics.

    engine/core/       the contract every family follows, the training loop and budgets, seeds,
                       errors, shipped weights, torch setup
    engine/data/       2D point datasets (and CSV), the 8×8 digits, text corpora
    engine/families/   one place per generative family: mixture, hmm, vae, gan, diffusion, autoregressive
    engine/classifiers.py   page 1's discriminative and generative classifiers
    engine/metrics.py       distances between sample sets (MMD², sliced Wasserstein, modes covered)
    engine/registry.py      the 2D families by name, and a loop that fits and compares them all
    engine/regenerate.py    ``python -m engine.regenerate <family>``: rebuild (or --check) the shipped weights

Rules (tests/test_architecture.py enforces them):
- never import streamlit here; no page names here either (weights are keyed by family);
- data goes in, numpy arrays and dataclasses come out;
- every family speaks the contract of :mod:`engine.core.contract` (``fit``, ``sample``,
  ``score_samples``, ``advance``) and declares what it cannot do;
- every random step takes a seed or a ``numpy.random.Generator``; no global random state;
- a family never imports another family's private (underscored) names.
Modules that need torch import it themselves, so that importing ``engine`` stays light.
"""
