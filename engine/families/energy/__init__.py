"""Energy-based models: p(x) = exp(−E(x)) / Z, sampled by Langevin dynamics, trained by contrastive
divergence or score matching.

This package re-exports the public names of its 2D modules, so ``from engine.families import energy``
gives ``energy.EnergyModel``, ``energy.on_grid``, ``energy.langevin_run`` …; the 8×8 digits energy is
``energy.digits`` and the shipped files are listed in ``energy.shipped``:

- ``landscapes``  energies designed by hand (wells, a ring, a double well, a Gaussian)
- ``sampler``     Langevin dynamics, with its frames, gradient sizes and escapes
- ``grid``        Z and the normalised density on a 2D grid
- ``network``     the learned energy f_θ and its input gradient
- ``model``       :class:`EnergyModel`: the family's contract (fit / sample / score_samples / advance)
- ``views``       what the page draws: an energy by source, a Langevin run measured against exact draws, the score field
- ``digits``      an energy of 8×8 digits, sampled by Langevin
- ``shipped``     every shipped file and its recipe (``python -m engine.regenerate energy``)
"""

from engine.families.energy.grid import *  # noqa: F403
from engine.families.energy.landscapes import *  # noqa: F403
from engine.families.energy.sampler import *  # noqa: F403
from engine.families.energy.model import *  # noqa: F403
from engine.families.energy.network import *  # noqa: F403
from engine.families.energy.views import *  # noqa: F403
from engine.families.energy import digits, shipped  # noqa: E402, F401
