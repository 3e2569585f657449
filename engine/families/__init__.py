"""One place per generative family. Each speaks the contract of :mod:`engine.core.contract`.

- ``mixture``         Gaussian mixtures fitted by EM
- ``hmm``             hidden Markov models: sampling, decoding, Baum-Welch
- ``vae``             variational autoencoders (digits, VQ-VAE, 2D points)
- ``gan``             generative adversarial networks (2D points, digits)
- ``diffusion``       denoising diffusion (2D points, digits, latent)
- ``autoregressive``  token models from n-grams to a tiny transformer
- ``energy``          energy-based models: hand-made and learned energies, Langevin, CD, score matching

A family may use another family's public names (latent diffusion runs on the VAE's codes), never
its private ones.
"""
