"""A small VAE on 2D points, so the VAE family can stand next to the others on the same data.

    encoder   q(z | x) = N(μ(x), diag σ²(x))                        z ∈ ℝ^d (d = 2 by default)
    decoder   p(x | z) = N(m(z), diag s²)                           s learned, one per coordinate
    loss      −ELBO(x) = E_q[−log p(x | z)] + β · KL(q(z | x) ‖ N(0, I))

Points are standardised (one shift, one scale per coordinate) before training; everything returned
is in the data's own coordinates. ``sample`` draws z ~ N(0, I), then x ~ p(x | z) (decoder noise
included: that is the model's distribution). ``score_samples`` is the ELBO with β = 1, a lower
bound on log p(x), estimated with a fixed number of z per point. Left out on purpose: the
importance-weighted bound (the digits VAE has it), annealing schedules, and any page: this model
exists for comparisons (``engine.registry``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.core.contract import Capabilities, GenerativeModel
from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator, child_seed
from engine.core.torch_setup import count_params, generator, optimise, torch

__all__ = ["EXPLODED", "LOG_SCALE_MIN", "PointVAEConfig", "PointVAE"]

nn = torch.nn

EXPLODED = 1e6  # nats per point: far beyond any real loss on standardised 2D data, so training has blown up
LOG_SCALE_MIN = -5.0  # the decoder's spread s stays above e⁻⁵ ≈ 0.007 (in standardised units)


@dataclass(frozen=True)
class PointVAEConfig:
    """Every size and training knob of the 2D VAE."""

    latent_dim: int = 2
    hidden: int = 64
    depth: int = 2  # hidden layers in the encoder and in the decoder
    lr: float = 3e-3
    batch_size: int = 128
    beta: float = 1.0
    elbo_samples: int = 16  # z per point when score_samples estimates the ELBO

    def check(self) -> PointVAEConfig:
        if not 1 <= self.latent_dim <= 16 or not 4 <= self.hidden <= 1024 or not 1 <= self.depth <= 4:
            raise InputError("bad_network_size")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise InputError("bad_learning_rate", lr=self.lr)
        if not (math.isfinite(self.beta) and self.beta >= 0):
            raise InputError("bad_beta", beta=self.beta)
        return self


def _mlp(n_in: int, n_out: int, width: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(n_in if i == 0 else width, width), nn.SiLU()]
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


class PointVAE(GenerativeModel):
    """A Gaussian-decoder VAE on (n, 2) points, with the engine's verbs (:mod:`engine.core.contract`)."""

    capabilities = Capabilities(density="bound", density_note="the ELBO, E_q log p(x | z) − KL(q(z | x) ‖ N(0, I))")
    report_every = 50

    def __init__(self, config: PointVAEConfig = PointVAEConfig(), seed: int = 0) -> None:
        self.config = config.check()
        self.seed = int(seed)
        d, h = config.latent_dim, config.hidden
        with torch.random.fork_rng(devices=[]):  # initialise from our own seed, never the global one
            torch.manual_seed(self.seed)
            self.encoder = _mlp(2, 2 * d, h, config.depth)
            self.decoder = _mlp(d, 2, h, config.depth)
        self.log_scale = nn.Parameter(torch.zeros(2))  # log s of p(x | z), standardised units
        self._params = [*self.encoder.parameters(), *self.decoder.parameters(), self.log_scale]
        self.opt = torch.optim.Adam(self._params, lr=config.lr)
        self.gen = generator(self.seed + 1)
        self.step_, self.diverged_, self.elapsed_ = 0, False, 0.0
        self.history_: dict[str, list[float]] = {"neg_elbo": [], "recon": [], "kl": []}  # per step, nats per point
        self._good = self._snapshot()

    @property
    def n_params_(self) -> int:
        return count_params(self.encoder, self.decoder) + self.log_scale.numel()

    # ---------------------------------------------------------------- data space <-> model space
    def _start(self, X: np.ndarray) -> None:
        X = np.asarray(X, np.float64)
        if X.ndim != 2 or X.shape[1] != 2:
            raise InputError("bad_columns", line=1, found=X.shape[-1] if X.ndim else 0)
        if len(X) < 2 or not np.isfinite(X).all():
            raise InputError("too_few_points", n=len(X), min=2)
        self.shift_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        if (self.scale_ < 1e-9).any():
            raise InputError("degenerate_data")
        self._data = self._to_model(X)

    def _to_model(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor((np.asarray(X, np.float64) - self.shift_) / self.scale_, dtype=torch.float32)

    def _to_data(self, Z: torch.Tensor) -> np.ndarray:
        return Z.detach().numpy().astype(np.float64) * self.scale_ + self.shift_

    # ---------------------------------------------------------------- the bound
    def _terms(self, x: torch.Tensor, eps: torch.Tensor):
        """(−log p(x | z), KL) per point, for z = μ + σ·ε (the reparameterisation trick)."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        logvar = logvar.clamp(-12.0, 8.0)
        z = mu + (0.5 * logvar).exp() * eps
        log_s = self.log_scale.clamp(min=LOG_SCALE_MIN)
        nll = (0.5 * ((x - self.decoder(z)) / log_s.exp()) ** 2 + log_s + 0.5 * math.log(2 * math.pi)).sum(-1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        return nll, kl

    # ---------------------------------------------------------------- training
    def _snapshot(self) -> list[torch.Tensor]:
        return [p.detach().clone() for p in self._params]

    def _restore(self) -> bool:
        with torch.no_grad():
            for p, saved in zip(self._params, self._good):
                p.copy_(saved)
        self.opt = torch.optim.Adam(self._params, lr=self.config.lr)  # its moments may hold NaN
        return False

    def _train_step(self) -> bool:
        idx = torch.randint(0, len(self._data), (self.config.batch_size,), generator=self.gen)
        x = self._data[idx]
        nll, kl = self._terms(x, torch.randn((len(x), self.config.latent_dim), generator=self.gen))
        recon, kl = nll.mean(), kl.mean()
        if optimise(self.opt, recon + self.config.beta * kl, limit=EXPLODED) is None:
            return self._restore()
        self.step_ += 1
        for key, v in (("neg_elbo", float((recon + kl).detach())), ("recon", float(recon.detach())), ("kl", float(kl.detach()))):
            self.history_[key].append(v)
        if self.step_ % 10 == 0:
            if not all(bool(torch.isfinite(p).all()) for p in self._params):
                return self._restore()
            self._good = self._snapshot()
        return True

    def _metrics(self) -> dict[str, float]:
        return {k: v[-1] for k, v in self.history_.items() if v}

    # ---------------------------------------------------------------- the contract's verbs
    def sample(self, n: int, seed: SeedLike = 0) -> np.ndarray:
        """z ~ N(0, I), then x ~ N(m(z), diag s²), in data coordinates."""
        g = generator(child_seed(as_generator(seed)))
        with torch.no_grad():
            z = torch.randn((int(n), self.config.latent_dim), generator=g)
            s = self.log_scale.clamp(min=LOG_SCALE_MIN).exp()
            return self._to_data(self.decoder(z) + s * torch.randn((int(n), 2), generator=g))

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """The ELBO (β = 1) per point, a lower bound on log p(x), in nats and in data units."""
        g = generator(0)
        x = self._to_model(X)
        k = self.config.elbo_samples
        with torch.no_grad():
            total = torch.zeros(len(x), dtype=torch.float64)
            for _ in range(k):
                nll, kl = self._terms(x, torch.randn((len(x), self.config.latent_dim), generator=g))
                total -= (nll + kl).double()
        return total.numpy() / k - float(np.log(self.scale_).sum())
