"""Variational autoencoders: the VAE on 8×8 digits (and its shipped models), a VQ-VAE, and a VAE on 2D points.

This package re-exports the digits VAE (``digits``), its latent paths (``latent``) and its shipped
models (``shipped``), so ``from engine.families import vae`` gives ``vae.Trainer``, ``vae.pretrained`` …;
the VQ-VAE is ``vae.vq``, the VAE-GAN and its plain twin are ``vae.vaegan``, latent arithmetic is ``vae.edit``,
and the 2D VAE of the model registry is ``vae.plane``. ``pixels`` holds the 17-level pixel likelihood both
digit models share.
"""

from engine.families.vae.digits import *  # noqa: F403
from engine.families.vae.latent import *  # noqa: F403
from engine.families.vae.shipped import *  # noqa: F403
from engine.families.vae import edit, pixels, plane, vaegan, vq  # noqa: E402, F401
