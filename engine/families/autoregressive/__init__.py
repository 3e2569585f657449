"""Autoregressive token models: a ladder from counts to a tiny transformer, and how to sample from them.

One module per concern; this package re-exports their public names (and those of the corpora they
read, :mod:`engine.data.corpora`), so ``from engine.families import autoregressive as ts`` gives the
whole family:

- ``models``      the rungs (n-gram, MLP, transformer), one interface: ``logits(idx) -> (B, T, V)``
- ``trainer``     one training loop for the MLP and the transformer
- ``evaluation``  held-out negative log-likelihood (nats or bits per character)
- ``sampling``    temperature, top-k, top-p as small pure functions; generation
- ``shipped``     the shipped models and the scaling curve (``python -m engine.regenerate autoregressive``)
"""

from engine.data.corpora import *  # noqa: F403
from engine.families.autoregressive.evaluation import *  # noqa: F403
from engine.families.autoregressive.models import *  # noqa: F403
from engine.families.autoregressive.sampling import *  # noqa: F403
from engine.families.autoregressive.shipped import *  # noqa: F403
from engine.families.autoregressive.trainer import *  # noqa: F403
