"""The denoiser ε_θ(x_t, t [, y]) of diffusion: an MLP with residual blocks and sinusoidal embeddings.

[x_t, emb(t), emb(y)] → hidden residual blocks → predicted noise ε. The label y (optional) has
one extra "no label" token, used by classifier-free guidance. torch is imported when a network is
built, so importing this module stays light.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DenoiserConfig", "lazy_torch", "sinusoidal_embedding", "timestep_embedding", "build_denoiser"]


def lazy_torch():
    """torch, imported on first use: importing the diffusion family (say, for its schedule) stays light."""
    from engine.core.torch_setup import torch

    return torch


@dataclass(frozen=True)
class DenoiserConfig:
    dim: int = 2
    hidden: int = 128
    depth: int = 3
    time_dim: int = 32
    n_classes: int = 0  # > 0: class-conditional, with a "no label" token for guidance
    class_dim: int = 16
    x_emb: int = 0  # > 0: sinusoidal features of each input coordinate (2D data)
    x_emb_scale: float = 25.0
    T: int = 100
    x0_clip: float | None = 3.0  # samplers bound x̂_0 to ±x0_clip in model space (data are scaled to unit size)


def sinusoidal_embedding(v, dim: int):
    """sin/cos of ``v`` at ``dim / 2`` geometric frequencies 1 … 1/10000 (the Transformer's positions)."""
    torch = lazy_torch()
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = v.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def timestep_embedding(t, dim: int, T: int):
    """Sinusoidal features of t/T (scaled to 0…1000, as in DDPM), so any T shares one embedding."""
    return sinusoidal_embedding(t.float() * (1000.0 / T), dim)


def build_denoiser(cfg: DenoiserConfig):
    """A fresh ε_θ for ``cfg`` (initialised from torch's current generator: callers fork it)."""
    torch = lazy_torch()
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, width: int) -> None:
            super().__init__()
            self.ff = nn.Linear(width, width)
            self.act = nn.GELU()

        def forward(self, h):
            return h + self.act(self.ff(h))

    class Denoiser(nn.Module):
        """ε_θ: [x_t, emb(t), emb(y)] → hidden residual blocks → predicted noise ε."""

        def __init__(self) -> None:
            super().__init__()
            self.cfg = cfg
            self.time_mlp = nn.Sequential(nn.Linear(cfg.time_dim, cfg.time_dim), nn.GELU())
            cond = cfg.time_dim
            if cfg.n_classes:
                # one extra row: the "no label" token used for classifier-free guidance
                self.class_emb = nn.Embedding(cfg.n_classes + 1, cfg.class_dim)
                cond += cfg.class_dim
            x_features = cfg.dim * (1 + cfg.x_emb)
            self.inp = nn.Linear(x_features + cond, cfg.hidden)
            self.blocks = nn.Sequential(*[Block(cfg.hidden) for _ in range(cfg.depth)])
            self.act = nn.GELU()
            self.out = nn.Linear(cfg.hidden, cfg.dim)

        def forward(self, x, t, y=None):
            parts = [x]
            if cfg.x_emb:
                # sinusoidal features of each coordinate let a small MLP draw sharp, thin shapes
                parts += [sinusoidal_embedding(x[:, j] * cfg.x_emb_scale, cfg.x_emb) for j in range(cfg.dim)]
            parts.append(self.time_mlp(timestep_embedding(t, cfg.time_dim, cfg.T)))
            if cfg.n_classes:
                if y is None:
                    y = torch.full((len(x),), cfg.n_classes, dtype=torch.long)
                parts.append(self.class_emb(y))
            h = self.act(self.inp(torch.cat(parts, dim=1)))
            return self.out(self.blocks(h))

    return Denoiser()
