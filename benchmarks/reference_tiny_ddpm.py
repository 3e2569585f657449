"""A re-implementation of the widely used 2D DDPM tutorial model (tiny-diffusion's ``ddpm.py``),
written from its description, used only as the benchmark's baseline.

MLP: sinusoidal embeddings (size 128) of x₁·25, x₂·25 and t, concatenated, then
Linear → GELU → 3 residual blocks (x + GELU(Linear(x))) of width 128 → Linear to 2: 99k parameters.
Linear β from 1e-4 to 0.02, ε-prediction, AdamW lr 1e-3, batch 32, no data scaling.
"""

from __future__ import annotations

import math

import numpy as np

from engine.core.torch_setup import torch

nn = torch.nn


class SinusoidalEmbedding(nn.Module):
    def __init__(self, size: int, scale: float = 1.0):
        super().__init__()
        self.size, self.scale = size, scale

    def forward(self, x):
        x = x * self.scale
        half = self.size // 2
        freqs = torch.exp(-math.log(10000.0) / (half - 1) * torch.arange(half))
        emb = x.unsqueeze(-1) * freqs.unsqueeze(0)
        return torch.cat((torch.sin(emb), torch.cos(emb)), dim=-1)


class Block(nn.Module):
    def __init__(self, size: int):
        super().__init__()
        self.ff = nn.Linear(size, size)
        self.act = nn.GELU()

    def forward(self, x):
        return x + self.act(self.ff(x))


class MLP(nn.Module):
    def __init__(self, hidden: int = 128, layers: int = 3, emb: int = 128):
        super().__init__()
        self.time_mlp = SinusoidalEmbedding(emb)
        self.input_mlp1 = SinusoidalEmbedding(emb, scale=25.0)
        self.input_mlp2 = SinusoidalEmbedding(emb, scale=25.0)
        net = [nn.Linear(3 * emb, hidden), nn.GELU()] + [Block(hidden) for _ in range(layers)] + [nn.Linear(hidden, 2)]
        self.joint_mlp = nn.Sequential(*net)

    def forward(self, x, t):
        x = torch.cat((self.input_mlp1(x[:, 0]), self.input_mlp2(x[:, 1]), self.time_mlp(t.float())), dim=-1)
        return self.joint_mlp(x)


class NoiseScheduler:
    def __init__(self, T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02):
        self.T = T
        self.betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float32)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.alphas_cumprod_prev = torch.cat([torch.ones(1), self.alphas_cumprod[:-1]])
        self.sqrt_alphas_cumprod = self.alphas_cumprod ** 0.5
        self.sqrt_one_minus_alphas_cumprod = (1 - self.alphas_cumprod) ** 0.5
        self.sqrt_inv_alphas_cumprod = torch.sqrt(1 / self.alphas_cumprod)
        self.sqrt_inv_alphas_cumprod_minus_one = torch.sqrt(1 / self.alphas_cumprod - 1)
        self.posterior_mean_coef1 = self.betas * torch.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * torch.sqrt(self.alphas) / (1.0 - self.alphas_cumprod)

    def add_noise(self, x0, noise, t):
        return self.sqrt_alphas_cumprod[t][:, None] * x0 + self.sqrt_one_minus_alphas_cumprod[t][:, None] * noise

    def step(self, eps, t: int, x, gen):
        x0 = self.sqrt_inv_alphas_cumprod[t] * x - self.sqrt_inv_alphas_cumprod_minus_one[t] * eps
        mean = self.posterior_mean_coef1[t] * x0 + self.posterior_mean_coef2[t] * x
        if t > 0:
            var = self.betas[t] * (1.0 - self.alphas_cumprod_prev[t]) / (1.0 - self.alphas_cumprod[t])
            mean = mean + var.clamp(min=1e-20).sqrt() * torch.randn(x.shape, generator=gen)
        return mean


class Reference:
    def __init__(self, seed: int, T: int = 1000):
        gen = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = MLP()
        self.sched = NoiseScheduler(T)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-3)
        self.gen = gen

    def train_steps(self, X: torch.Tensor, n: int, batch: int = 32) -> None:
        self.model.train()
        for _ in range(n):
            idx = torch.randint(0, len(X), (batch,), generator=self.gen)
            x0 = X[idx]
            noise = torch.randn(x0.shape, generator=self.gen)
            t = torch.randint(0, self.sched.T, (batch,), generator=self.gen)
            loss = nn.functional.mse_loss(self.model(self.sched.add_noise(x0, noise, t), t), noise)
            self.opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.opt.step()

    @torch.no_grad()
    def sample(self, n: int, seed: int) -> np.ndarray:
        self.model.eval()
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn((n, 2), generator=gen)
        for t in range(self.sched.T - 1, -1, -1):
            eps = self.model(x, torch.full((n,), t, dtype=torch.long))
            x = self.sched.step(eps, t, x, gen)
        return x.numpy()
