"""Generative adversarial networks: a generator against a discriminator, in the plane and on 8×8 digits.

This package re-exports the 2D GAN's public names (``plane``) and its named settings in use
(``presets``), so ``from engine.families import gan`` gives ``gan.GanTrainer``, ``gan.PRESETS``,
``gan.trainer_for`` …; the digits GAN is ``gan.digits`` (its truncation trick ``gan.truncation``, the growing one ``gan.progressive``, StyleGAN's ideas ``gan.style``), the 2D CycleGAN ``gan.cycle`` and the shipped files are listed in ``gan.shipped``.
"""

from engine.families.gan.plane import *  # noqa: F403
from engine.families.gan.presets import *  # noqa: F403, E402
from engine.families.gan import cycle, digits, progressive, shipped, style, truncation  # noqa: E402, F401
