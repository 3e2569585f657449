"""Denoising diffusion, forward and reverse, at a size a CPU trains in seconds.

One module per concern; this package re-exports their public names, so ``from engine.families
import diffusion as D`` gives the whole family:

- ``schedule``  the noise schedule: every coefficient of the forward and reverse processes, computed once
- ``denoiser``  ε_θ(x_t, t [, y]): an MLP with residual blocks and sinusoidal embeddings
- ``forward``   the forward process by both roads (t steps or one jump) and its residual statistics
- ``model``     :class:`DiffusionModel`: train on the ε objective, sample with DDPM or DDIM, the ELBO
- ``plane``     2D points: the live config, data checks, the score field, the shipped 2D models
- ``digits``    8×8 digits with classifier-free guidance
- ``latent``    diffusion on the codes of the shipped VAE
- ``images``    a real photo noised to each level of a schedule, and the 0…1 ↔ −1…1 pixel maps
- ``shipped``   every shipped file and its recipe (``python -m engine.regenerate diffusion``)
"""

from engine.families.diffusion.denoiser import *  # noqa: F403
from engine.families.diffusion.digits import *  # noqa: F403
from engine.families.diffusion.forward import *  # noqa: F403
from engine.families.diffusion.images import *  # noqa: F403
from engine.families.diffusion.latent import *  # noqa: F403
from engine.families.diffusion.model import *  # noqa: F403
from engine.families.diffusion.plane import *  # noqa: F403
from engine.families.diffusion.schedule import *  # noqa: F403
from engine.families.diffusion.shipped import *  # noqa: F403
