"""What generative models are used for, measured in miniature on the shipped digits models.

- ``augmentation``  a small classifier trained on few real digits, with and without generated ones
- ``inpainting``    RePaint with the digits diffusion model: fix the known pixels, denoise the rest
- ``shipped``       the default experiments, precomputed (``python -m engine.regenerate experiments``)

These modules use the families' public names only (the shipped conditional GAN and digits diffusion
model); nothing here trains a generator.
"""
