"""Denoising diffusion, forward and reverse, at a size a CPU trains in seconds.

The names follow the formulas the page shows (Ho et al. 2020, DDPM; Song et al. 2021, DDIM):

    forward, one step      q(x_t | x_{t-1}) = N(√α_t · x_{t-1}, β_t · I),        α_t = 1 − β_t
    forward, closed form   q(x_t | x_0)     = N(√ᾱ_t · x_0, (1 − ᾱ_t) · I),      ᾱ_t = Π_{s≤t} α_s
    objective              L = E ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖² / d   (d coordinates: a mean, not a sum)
    DDPM step              x_{t-1} = μ̃_t(x_t, x̂_0) + σ_t z
    DDIM step (η = 0)      x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'}) ε_θ

:class:`NoiseSchedule` computes every quantity once; ``add_noise`` and ``step`` are its two
verbs. :class:`DiffusionModel` wraps an ε-predicting MLP with the sklearn-like verbs
``fit`` / ``sample`` shared by the other pages. What was left out on purpose: U-Nets and
attention (an MLP is enough for 2D points and 8×8 digits), learned variances, EMA weights.

Regenerate the shipped weights with ``GP_TORCH_THREADS=1 python -m engine.diffusion --regenerate``
(fixed seeds; one thread makes the float sums, hence the weights, repeatable). ``latent_z8`` needs
the VAE page's ``engine.vae`` and its weights, and records their sha256 so a changed VAE is noticed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from engine.errors import InputError
from engine.rng import SeedLike, as_generator, child_seed
from engine.training import Budget, Callback, Progress, is_finite, steps

PAGE = "diffusion"
SCHEDULES = ("linear", "cosine", "sigmoid")
MIN_T, MAX_T = 2, 1000
DDIM_STEP_CHOICES = (10, 20, 50)
ALPHA_BAR_FLOOR = 1e-300  # below this ᾱ_T is zero in floating point: 1 / √ᾱ_T overflows


# ---------------------------------------------------------------- the noise schedule

def make_betas(schedule: str, T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """β_1 … β_T for a named schedule (float64, index 0 is t = 1).

    linear   β_t goes evenly from ``beta_start`` to ``beta_end`` (DDPM's 1e-4 → 0.02).
    cosine   ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008 (Nichol & Dhariwal);
             β_t is clipped at 0.999 as in the paper, so ᾱ_T stays above zero.
    sigmoid  β_t follows a logistic curve from ``beta_start`` to ``beta_end``: gentle at both ends.
    """
    if schedule not in SCHEDULES:
        raise InputError("unknown_schedule", name=schedule)
    T = int(T)
    if T < MIN_T:
        raise InputError("T_too_small", T=T, min=MIN_T)
    if T > MAX_T:
        raise InputError("T_too_large", T=T, max=MAX_T)
    if schedule == "linear":
        return np.linspace(beta_start, beta_end, T, dtype=np.float64)
    if schedule == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-np.linspace(-6.0, 6.0, T)))
        s = (s - s[0]) / (s[-1] - s[0])
        return beta_start + (beta_end - beta_start) * s
    s = 0.008
    steps_ = np.arange(T + 1, dtype=np.float64) / T
    f = np.cos((steps_ + s) / (1 + s) * math.pi / 2) ** 2
    alphas_cumprod = f / f[0]
    return np.clip(1.0 - alphas_cumprod[1:] / alphas_cumprod[:-1], 1e-8, 0.999)


@dataclass(frozen=True)
class ScheduleConfig:
    """Defaults: DDPM's linear 1e-4 → 0.02 over T = 1000, rescaled by 1000 / T for T = 100.

    (The cosine schedule's last step has ᾱ_T ≈ 2e-7: fine for DDPM, but DDIM's first jump divides
    by √ᾱ_T, and a small MLP's ε errors then push its samples off the data.)
    """

    schedule: str = "linear"
    T: int = 100
    beta_start: float = 1e-3
    beta_end: float = 0.2


class NoiseSchedule:
    """Every coefficient of the forward and reverse processes, computed once.

    Arrays are indexed by t = 0 … T; index 0 is the clean data (ᾱ_0 = 1, β_0 = 0), so
    ``alphas_cumprod[t]`` reads exactly like ᾱ_t on screen.
    """

    def __init__(self, config: ScheduleConfig = ScheduleConfig()) -> None:
        self.config = config
        betas = make_betas(config.schedule, config.T, config.beta_start, config.beta_end)
        if not np.isfinite(betas).all():
            raise InputError("bad_beta", value="NaN")
        if (betas < 0).any():
            raise InputError("alpha_bar_above_one", value=float(betas.min()))
        if (betas >= 1).any():
            raise InputError("alpha_bar_zero", value=float(betas.max()))
        alphas_cumprod = np.cumprod(1.0 - betas)
        if alphas_cumprod[-1] < ALPHA_BAR_FLOOR:
            raise InputError("alpha_bar_zero", value=float(betas.max()))
        self.T = config.T
        # q(x_t | x_{t-1}): the one-step forward process
        self.betas = np.r_[0.0, betas]
        self.alphas = 1.0 - self.betas
        # q(x_t | x_0): add_noise and the training objective
        self.alphas_cumprod = np.r_[1.0, alphas_cumprod]
        self.sqrt_alphas_cumprod = np.sqrt(self.alphas_cumprod)
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - self.alphas_cumprod)
        # x̂_0 from x_t and ε: used by both samplers
        self.sqrt_recip_alphas_cumprod = 1.0 / self.sqrt_alphas_cumprod
        self.sqrt_recipm1_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod - 1.0)
        # q(x_{t-1} | x_t, x_0) = N(μ̃_t, β̃_t I): the DDPM step
        self.alphas_cumprod_prev = np.r_[1.0, self.alphas_cumprod[:-1]]
        self.posterior_variance = self.betas * (1.0 - self.alphas_cumprod_prev) / np.maximum(1.0 - self.alphas_cumprod, 1e-20)
        self.posterior_mean_coef1 = self.betas * np.sqrt(self.alphas_cumprod_prev) / np.maximum(1.0 - self.alphas_cumprod, 1e-20)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * np.sqrt(self.alphas) / np.maximum(1.0 - self.alphas_cumprod, 1e-20)
        # the chart: how much signal is left
        self.snr = self.alphas_cumprod / np.maximum(1.0 - self.alphas_cumprod, 1e-300)

    # -- forward
    def add_noise(self, x0: np.ndarray, noise: np.ndarray, t) -> np.ndarray:
        """x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε: a draw from q(x_t | x_0) in one go."""
        t = np.asarray(t)
        a = self.sqrt_alphas_cumprod[t].reshape(-1, *([1] * (x0.ndim - 1))) if t.ndim else self.sqrt_alphas_cumprod[t]
        b = self.sqrt_one_minus_alphas_cumprod[t].reshape(-1, *([1] * (x0.ndim - 1))) if t.ndim else self.sqrt_one_minus_alphas_cumprod[t]
        return a * x0 + b * noise

    def forward_iterative(self, x0: np.ndarray, t: int, seed: SeedLike = 0) -> np.ndarray:
        """x_t by t single steps x_s = √α_s · x_{s-1} + √β_s · z: the slow road to the same place."""
        rng = as_generator(seed)
        x = np.array(x0, float)
        for s in range(1, int(t) + 1):
            x = math.sqrt(self.alphas[s]) * x + math.sqrt(self.betas[s]) * rng.standard_normal(x.shape)
        return x

    def marginal(self, t: int) -> tuple[float, float]:
        """(mean factor √ᾱ_t, variance 1 − ᾱ_t) of q(x_t | x_0)."""
        return float(self.sqrt_alphas_cumprod[t]), float(1.0 - self.alphas_cumprod[t])

    # -- reverse
    def predict_x0(self, x_t, eps, t: int):
        """x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t."""
        return self.sqrt_recip_alphas_cumprod[t] * x_t - self.sqrt_recipm1_alphas_cumprod[t] * eps

    def step(self, eps, t: int, x_t, noise, clip: float | None = None):
        """One DDPM step x_t → x_{t-1} ~ q(x_{t-1} | x_t, x̂_0) given the predicted noise ε_θ."""
        x0 = self.predict_x0(x_t, eps, t)
        if clip is not None:
            x0 = x0.clamp(-clip, clip) if hasattr(x0, "clamp") else np.clip(x0, -clip, clip)
        mean = self.posterior_mean_coef1[t] * x0 + self.posterior_mean_coef2[t] * x_t
        if t > 1:
            return mean + math.sqrt(self.posterior_variance[t]) * noise
        return mean

    def ddim_step(self, eps, t: int, t_prev: int, x_t, clip: float | None = None):
        """One deterministic DDIM step x_t → x_{t_prev} (η = 0): jump along the predicted noise."""
        x0 = self.predict_x0(x_t, eps, t)
        if clip is not None:
            x0 = x0.clamp(-clip, clip) if hasattr(x0, "clamp") else np.clip(x0, -clip, clip)
        eps = (x_t - self.sqrt_alphas_cumprod[t] * x0) / self.sqrt_one_minus_alphas_cumprod[t] if clip is not None else eps
        return self.sqrt_alphas_cumprod[t_prev] * x0 + self.sqrt_one_minus_alphas_cumprod[t_prev] * eps

    def ddim_timesteps(self, n_steps: int) -> list[int]:
        """``n_steps`` evenly spaced timesteps T … 1 for DDIM (each visited once)."""
        n_steps = int(n_steps)
        if n_steps < 1:
            raise InputError("bad_steps", steps=n_steps)
        if n_steps > self.T:
            raise InputError("more_steps_than_T", steps=n_steps, T=self.T)
        ts = np.unique(np.round(np.linspace(self.T, 1, n_steps)).astype(int))[::-1]
        return [int(t) for t in ts]


def schedule_curves(config: ScheduleConfig) -> dict[str, np.ndarray]:
    """t, β_t, ᾱ_t and SNR(t) = ᾱ_t / (1 − ᾱ_t) for the schedule chart."""
    sched = NoiseSchedule(config)
    t = np.arange(sched.T + 1)
    return {"t": t, "betas": sched.betas, "alphas_cumprod": sched.alphas_cumprod, "snr": sched.snr}


# ---------------------------------------------------------------- the denoiser ε_θ(x_t, t [, y])

def _torch():
    from engine.torch_setup import torch

    return torch


def sinusoidal_embedding(v, dim: int):
    """sin/cos of ``v`` at ``dim / 2`` geometric frequencies 1 … 1/10000 (the Transformer's positions)."""
    torch = _torch()
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = v.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def timestep_embedding(t, dim: int, T: int):
    """Sinusoidal features of t/T (scaled to 0…1000, as in DDPM), so any T shares one embedding."""
    return sinusoidal_embedding(t.float() * (1000.0 / T), dim)


def _build_denoiser(cfg: DenoiserConfig):
    torch = _torch()
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


@dataclass(frozen=True)
class TrainConfig:
    lr: float = 5e-3
    batch_size: int = 256
    weight_decay: float = 0.0
    p_uncond: float = 0.15  # how often the label is dropped (classifier-free guidance)
    grad_clip: float = 1.0
    lr_min_fraction: float = 0.05  # cosine decay of the learning rate down to this fraction
    decay_steps: int = 1000


@dataclass(frozen=True)
class DiffusionConfig:
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    denoiser: DenoiserConfig = field(default_factory=DenoiserConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DiffusionConfig:
        return cls(ScheduleConfig(**d["schedule"]), DenoiserConfig(**d["denoiser"]), TrainConfig(**d["train"]))


def config_2d(schedule: ScheduleConfig = ScheduleConfig(), hidden: int = 96, depth: int = 2, x_emb: int = 32,
              **train) -> DiffusionConfig:
    """The 2D denoiser trained live: small and fast (≈ 30k parameters, learning rate 0.01).

    ``decay_steps`` should be the planned number of training steps (the learning rate decays over them).
    """
    train = {"lr": 1e-2, **train}
    return DiffusionConfig(schedule, DenoiserConfig(dim=2, hidden=hidden, depth=depth, x_emb=x_emb, T=schedule.T),
                           TrainConfig(**train))


@dataclass
class SampleResult:
    """Samples in data space, and (optionally) the path of every sample through the sampler."""

    samples: np.ndarray  # (n, d)
    timesteps: list[int]  # t of each saved frame, starting with T (pure noise) and ending with 0
    trajectory: np.ndarray | None = None  # (frames, n, d) in data space, or None


class DiffusionModel:
    """An ε-prediction diffusion model: ``fit`` / ``train_steps`` to learn, ``sample`` to generate.

    Data are mapped to the model's space by x ↦ (x − shift_) / scale_ before noising, so the
    prior N(0, I) matches the data's size; samples are mapped back. ``shift_`` / ``scale_`` are
    learned from the data by ``fit`` unless given (digits use a fixed map of 0…16 to −1…1).
    """

    def __init__(self, config: DiffusionConfig = DiffusionConfig(), random_state: int = 0,
                 shift: np.ndarray | float | None = None, scale: np.ndarray | float | None = None) -> None:
        if config.denoiser.T != config.schedule.T:
            config = replace(config, denoiser=replace(config.denoiser, T=config.schedule.T))
        self.config = config
        self.random_state = int(random_state)
        self.schedule = NoiseSchedule(config.schedule)
        torch = _torch()
        gen = torch.Generator().manual_seed(self.random_state)
        with torch.random.fork_rng(devices=[]):  # initialise from our own seed, never the global one
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            self.net_ = _build_denoiser(config.denoiser)
        self._gen = gen
        self.shift_ = None if shift is None else np.asarray(shift, np.float32)
        self.scale_ = None if scale is None else np.asarray(scale, np.float32)
        self.step_ = 0
        self.loss_history_: list[float] = []
        self.diverged_ = False
        self._opt = None
        self._data = None
        self._labels = None
        self._good_state = None
        self._t_coeffs = None

    # -- data space <-> model space
    def to_model(self, X: np.ndarray) -> np.ndarray:
        return ((np.asarray(X, np.float32) - self.shift_) / self.scale_).astype(np.float32)

    def to_data(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(Z, np.float32) * self.scale_ + self.shift_

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.net_.parameters())

    # -- training
    def set_data(self, X: np.ndarray, y: np.ndarray | None = None) -> DiffusionModel:
        """Hold the training set (and fit the data map if it was not given)."""
        torch = _torch()
        X = np.asarray(X, np.float32)
        if X.ndim != 2 or X.shape[1] != self.config.denoiser.dim:
            raise InputError("bad_columns", line=1, found=X.shape[-1] if X.ndim else 0)
        if len(X) < 2 or not np.isfinite(X).all():
            raise InputError("too_few_points", n=len(X), min=2)
        if self.shift_ is None:
            self.shift_ = X.mean(axis=0)
        if self.scale_ is None:
            spread = float(np.sqrt(((X - X.mean(axis=0)) ** 2).sum(axis=1).mean() / X.shape[1]))
            if spread < 1e-6:
                raise InputError("degenerate_data")
            self.scale_ = np.float32(spread)
        self._data = torch.from_numpy(self.to_model(X))
        self._labels = None if y is None else torch.as_tensor(np.array(y), dtype=torch.long)
        if self._opt is None:
            tc = self.config.train
            self._opt = torch.optim.AdamW(self.net_.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
        self._t_coeffs = (torch.tensor(self.schedule.sqrt_alphas_cumprod, dtype=torch.float32),
                          torch.tensor(self.schedule.sqrt_one_minus_alphas_cumprod, dtype=torch.float32))
        self._good_state = self._snapshot()
        return self

    def _snapshot(self) -> dict:
        return {k: v.detach().clone() for k, v in self.net_.state_dict().items()}

    def _lr(self) -> float:
        tc = self.config.train
        frac = min(1.0, self.step_ / max(1, tc.decay_steps))
        return tc.lr * (tc.lr_min_fraction + (1 - tc.lr_min_fraction) * 0.5 * (1 + math.cos(math.pi * frac)))

    def loss_on_batch(self, x0, y=None, t=None, noise=None):
        """The ε-prediction objective ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖² / d on one batch: the squared
        error averaged over the d coordinates and the batch (always guessing ε_θ = 0 scores 1 on average, whatever d)."""
        torch = _torch()
        n = len(x0)
        if t is None:
            t = torch.randint(1, self.schedule.T + 1, (n,), generator=self._gen)
        if noise is None:
            noise = torch.randn(x0.shape, generator=self._gen)
        a, b = self._t_coeffs
        x_t = a[t][:, None] * x0 + b[t][:, None] * noise
        if y is not None and self.config.denoiser.n_classes:
            drop = torch.rand(n, generator=self._gen) < self.config.train.p_uncond
            y = torch.where(drop, torch.full_like(y, self.config.denoiser.n_classes), y)
        return ((self.net_(x_t, t, y) - noise) ** 2).mean()

    def train_steps(self, n_steps: int, callback: Callback | None = None, max_seconds: float | None = None) -> DiffusionModel:
        """Advance training by up to ``n_steps`` optimiser steps (or ``max_seconds``)."""
        torch = _torch()
        if self._data is None:
            raise RuntimeError("call set_data (or fit) first")
        tc = self.config.train
        n = len(self._data)
        self.net_.train()
        budget = Budget(max_steps=int(n_steps), max_seconds=max_seconds)
        for k, elapsed in steps(budget):
            idx = torch.randint(0, n, (tc.batch_size,), generator=self._gen)
            y = None if self._labels is None else self._labels[idx]
            for group in self._opt.param_groups:
                group["lr"] = self._lr()
            loss = self.loss_on_batch(self._data[idx], y)
            value = float(loss.detach())
            if not is_finite(value):
                self.net_.load_state_dict(self._good_state)
                self.diverged_ = True
                break
            self._opt.zero_grad(set_to_none=True)
            loss.backward()
            if tc.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.net_.parameters(), tc.grad_clip)
            self._opt.step()
            self.step_ += 1
            self.loss_history_.append(value)
            if self.step_ % 50 == 0:
                self._good_state = self._snapshot()
            if callback is not None and k % 50 == 0:
                if callback(Progress(k, n_steps, elapsed, {"loss": value})) is False:
                    break
        self.net_.eval()
        return self

    def fit(self, X: np.ndarray, y: np.ndarray | None = None, budget: Budget = Budget(max_steps=2000),
            callback: Callback | None = None) -> DiffusionModel:
        self.set_data(X, y)
        return self.train_steps(budget.max_steps or 10**9, callback, budget.max_seconds)

    def smoothed_loss(self, window: int = 50) -> np.ndarray:
        h = np.asarray(self.loss_history_, float)
        if len(h) < window:
            return h
        c = np.cumsum(np.r_[0.0, h])
        return (c[window:] - c[:-window]) / window

    # -- inference
    def predict_noise(self, x_t: np.ndarray, t: int, y: np.ndarray | None = None, guidance: float = 0.0) -> np.ndarray:
        """ε_θ(x_t, t) in model space (numpy in, numpy out)."""
        torch = _torch()
        with torch.no_grad():
            return self._eps(torch.from_numpy(np.asarray(x_t, np.float32)), t, None if y is None else torch.as_tensor(y), guidance).numpy()

    def _eps(self, x, t: int, y, guidance: float):
        torch = _torch()
        tt = torch.full((len(x),), int(t), dtype=torch.long)
        if y is None or not self.config.denoiser.n_classes:
            return self.net_(x, tt)
        y = y.long()
        if guidance == 0.0:
            return self.net_(x, tt, y)
        # classifier-free guidance: ε = ε(x, ∅) + (1 + w) · (ε(x, y) − ε(x, ∅)), both in one batch;
        # w = 0 is the plain conditional model
        null = torch.full_like(y, self.config.denoiser.n_classes)
        both = self.net_(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, null]))
        cond, uncond = both[: len(x)], both[len(x):]
        return uncond + (1.0 + guidance) * (cond - uncond)

    def score(self, X: np.ndarray, t: int) -> np.ndarray:
        """The learned score ∇ log q(x_t) ≈ −ε_θ(x_t, t) / √(1 − ᾱ_t), in data units."""
        Z = self.to_model(X)
        eps = self.predict_noise(Z, t)
        return -eps / self.schedule.sqrt_one_minus_alphas_cumprod[t] / self.scale_

    def sample(self, n: int, sampler: str = "ddim", steps: int = 20, seed: SeedLike = 0, y: np.ndarray | None = None,
               guidance: float = 0.0, keep: int = 0, keep_frames: int | None = None, clip: float | None = None,
               x_T: np.ndarray | None = None) -> SampleResult:
        """Draw ``n`` samples from noise with DDPM (T stochastic steps) or DDIM (``steps`` deterministic steps).

        ``keep`` > 0 records the path of the first ``keep`` samples (for the animation);
        ``keep_frames`` thins those frames to about that many, always keeping t = T and t = 0.
        ``clip`` bounds x̂_0 in model space (default: the config's ``x0_clip``). Without it the first
        step from t = T divides by √ᾱ_T, tiny for the cosine schedule, and blows small errors up.
        """
        torch = _torch()
        sched = self.schedule
        clip = self.config.denoiser.x0_clip if clip is None else clip
        if sampler not in ("ddpm", "ddim"):
            raise InputError("unknown_sampler", name=sampler)
        ts = list(range(sched.T, 0, -1)) if sampler == "ddpm" else sched.ddim_timesteps(steps)
        gen = torch.Generator().manual_seed(child_seed(as_generator(seed)))
        d = self.config.denoiser.dim
        x = torch.from_numpy(np.asarray(x_T, np.float32)) if x_T is not None else torch.randn((int(n), d), generator=gen)
        yy = None if y is None else torch.as_tensor(np.asarray(y), dtype=torch.long)
        frames, frame_ts = [], []
        if keep:
            frames.append(x[:keep].clone())
            frame_ts.append(sched.T)
        self.net_.eval()
        with torch.no_grad():
            for i, t in enumerate(ts):
                eps = self._eps(x, t, yy, guidance)
                if sampler == "ddpm":
                    noise = torch.randn(x.shape, generator=gen) if t > 1 else None
                    x = sched.step(eps, t, x, noise, clip)
                else:
                    t_prev = ts[i + 1] if i + 1 < len(ts) else 0
                    x = sched.ddim_step(eps, t, t_prev, x, clip)
                if keep:
                    frames.append(x[:keep].clone())
                    frame_ts.append(ts[i + 1] if sampler == "ddim" and i + 1 < len(ts) else (t - 1 if sampler == "ddpm" else 0))
        out = self.to_data(x.numpy())
        traj = None
        if keep:
            traj_arr = torch.stack(frames).numpy()
            idx = np.arange(len(frames))
            if keep_frames and len(frames) > keep_frames:
                idx = np.unique(np.round(np.linspace(0, len(frames) - 1, keep_frames)).astype(int))
            traj = self.to_data(traj_arr[idx])
            frame_ts = [frame_ts[i] for i in idx]
        else:
            frame_ts = [sched.T, 0]
        return SampleResult(out, frame_ts, traj)

    # -- persistence
    def state_dict(self) -> dict:
        torch = _torch()
        sd = {f"net.{k}": v for k, v in self.net_.state_dict().items()}
        sd["shift"] = torch.as_tensor(np.atleast_1d(self.shift_), dtype=torch.float32)
        sd["scale"] = torch.as_tensor(np.atleast_1d(self.scale_), dtype=torch.float32)
        return sd

    @classmethod
    def from_state(cls, config: DiffusionConfig, state: dict, random_state: int = 0) -> DiffusionModel:
        model = cls(config, random_state)
        model.net_.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("net.")})
        shift = state["shift"].numpy()
        scale = state["scale"].numpy()
        model.shift_ = shift if shift.size > 1 else np.float32(shift[0])
        model.scale_ = scale if scale.size > 1 else np.float32(scale[0])
        model.net_.eval()
        return model


# ---------------------------------------------------------------- 2D helpers used by the page and the tests

def check_2d_data(X: np.ndarray) -> np.ndarray:
    """Refuse data a diffusion model cannot learn a shape from (too few, non-finite, or collapsed)."""
    X = np.asarray(X, float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise InputError("bad_columns", line=1, found=X.shape[-1] if X.ndim else 0)
    if len(X) < 10:
        raise InputError("too_few_points", n=len(X), min=10)
    if not np.isfinite(X).all():
        raise InputError("not_finite", line=int(np.argmin(np.isfinite(X).all(axis=1))) + 1)
    if len(np.unique(X, axis=0)) < 3:
        raise InputError("degenerate_data")
    sv = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    if sv[0] < 1e-6 or sv[1] / sv[0] < 1e-3:
        raise InputError("degenerate_data")  # all points on one line: no 2D shape to learn
    return X


def vector_field(model: DiffusionModel, box: tuple[float, float, float, float], t: int, resolution: int = 17):
    """Grid points and the denoising direction at t: the score, and the one-step move towards x̂_0."""
    xs = np.linspace(box[0], box[1], resolution)
    ys = np.linspace(box[2], box[3], resolution)
    xx, yy = np.meshgrid(xs, ys)
    P = np.c_[xx.ravel(), yy.ravel()]
    return P, model.score(P, t)


def quality_vs_steps(model: DiffusionModel, reference: np.ndarray, n: int = 1000, seed: SeedLike = 0,
                     step_choices=(2, 5, 10, 20, 50, 100), include_ddpm: bool = True) -> list[dict]:
    """MMD² and sliced Wasserstein to ``reference`` for DDIM at several step counts (and DDPM at T)."""
    from engine.metrics import mmd2, sliced_wasserstein

    rows = []
    for k in step_choices:
        if k > model.schedule.T:
            continue
        s = model.sample(n, "ddim", k, seed=seed).samples
        rows.append({"sampler": "ddim", "steps": k, "mmd2": mmd2(s, reference), "swd": sliced_wasserstein(s, reference)})
    if include_ddpm:
        s = model.sample(n, "ddpm", seed=seed).samples
        rows.append({"sampler": "ddpm", "steps": model.schedule.T, "mmd2": mmd2(s, reference), "swd": sliced_wasserstein(s, reference)})
    return rows


# ---------------------------------------------------------------- digits (8×8, pixels 0…16)

DIGIT_CLASSES = 10


def config_digits() -> DiffusionConfig:
    """Class-conditional ε_θ for 8×8 digits: 64 pixels mapped to −1…1, x̂_0 clipped to that range."""
    return DiffusionConfig(
        ScheduleConfig("cosine", 100),
        DenoiserConfig(dim=64, hidden=256, depth=3, time_dim=64, n_classes=DIGIT_CLASSES, class_dim=32, x0_clip=1.0, T=100),
        TrainConfig(lr=2e-3, batch_size=128, decay_steps=6000, p_uncond=0.15),
    )


def digits_model(random_state: int = 0) -> DiffusionModel:
    """An untrained digits model with the fixed pixel map x ↦ (x − 8) / 8."""
    return DiffusionModel(config_digits(), random_state, shift=8.0, scale=8.0)


def digit_samples(model: DiffusionModel, labels: np.ndarray, guidance: float, steps: int = 50, seed: SeedLike = 0,
                  keep: int = 0, keep_frames: int | None = None) -> SampleResult:
    """Generated digits for the requested ``labels`` (pixels clipped to 0…16), DDIM with guidance."""
    res = model.sample(len(labels), "ddim", steps, seed=seed, y=np.asarray(labels), guidance=guidance, keep=keep, keep_frames=keep_frames)
    res.samples = np.clip(res.samples, 0, 16)
    if res.trajectory is not None:
        res.trajectory = np.clip(res.trajectory, 0, 16)
    return res


def guidance_accuracy(model: DiffusionModel, guidance: float, per_class: int = 20, seed: SeedLike = 0, steps: int = 50) -> float:
    """The fraction of generated digits that the evaluator classifier reads as the requested class."""
    from engine.digits import classify

    labels = np.repeat(np.arange(DIGIT_CLASSES), per_class)
    res = digit_samples(model, labels, guidance, steps, seed)
    return float((classify(res.samples) == labels).mean())


# ---------------------------------------------------------------- latent diffusion (on the VAE page's codes)

LATENT_DIM = 8
VAE_PAGE = "vae"


def _vae_name(latent_dim: int) -> str:
    return f"mlp_z{int(latent_dim)}_b1"


def vae_model(latent_dim: int = LATENT_DIM):
    """The VAE page's shipped model (encoder and decoder of 8×8 digits), loaded lazily."""
    from engine.vae import pretrained

    return pretrained(latent_dim=latent_dim, beta=1.0, arch="mlp")


def vae_fingerprint(latent_dim: int = LATENT_DIM) -> str | None:
    """sha256 of the VAE weights the latent model was trained on (None if not shipped)."""
    from engine import weights

    return weights.read_manifest(VAE_PAGE).get(_vae_name(latent_dim), {}).get("sha256")


def config_latent(latent_dim: int = LATENT_DIM) -> DiffusionConfig:
    return DiffusionConfig(
        ScheduleConfig(),
        DenoiserConfig(dim=latent_dim, hidden=128, depth=3, time_dim=32, n_classes=DIGIT_CLASSES, class_dim=16, x0_clip=4.0, T=100),
        TrainConfig(lr=3e-3, batch_size=256, decay_steps=4000, p_uncond=0.15),
    )


def fit_latent(vae, X: np.ndarray, y: np.ndarray, budget: Budget, random_state: int = 0) -> DiffusionModel:
    """Train a class-conditional ε-MLP on the VAE's codes z = E(x) (the posterior means)."""
    codes = vae.encode_mean(np.asarray(X, np.float32))
    latent_dim = codes.shape[1]
    return DiffusionModel(config_latent(latent_dim), random_state).fit(codes, y, budget=budget)


def latent_samples(model: DiffusionModel, vae, labels: np.ndarray, guidance: float, steps: int = 50,
                   seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
    """(codes, images): sample z_0 with diffusion in latent space, then decode x = D(z_0) (pixels 0…16)."""
    z = model.sample(len(labels), "ddim", steps, seed=seed, y=np.asarray(labels), guidance=guidance).samples
    return z, np.clip(vae.decode_mean(z), 0, 16)


def pretrained_latent(latent_dim: int = LATENT_DIM) -> DiffusionModel:
    """The shipped latent model; refuses to run on VAE weights other than those it was trained on."""
    from engine import weights

    name = f"latent_z{int(latent_dim)}"
    entry = weights.read_manifest(PAGE).get(name)
    if entry is None:
        raise InputError("no_pretrained", name=name)
    if entry["config"].get("vae_sha256") != vae_fingerprint(latent_dim):
        raise InputError("latent_stale")
    state, entry = weights.load(PAGE, name)
    return DiffusionModel.from_state(DiffusionConfig.from_dict(entry["config"]), state)


LATENT_FALLBACK_STEPS = 1500


def latent_model(latent_dim: int = LATENT_DIM, vae=None, random_state: int = 0) -> tuple[DiffusionModel, bool]:
    """``(model, shipped)``: the shipped latent model if it was trained on the installed VAE's codes;
    otherwise (the VAE was retrained since) a new one, trained here from a fixed seed in a few seconds."""
    try:
        return pretrained_latent(latent_dim), True
    except InputError as err:
        if err.code not in ("latent_stale", "no_pretrained"):
            raise
    from engine.digits import load

    vae = vae_model(latent_dim) if vae is None else vae
    X, y = load("train")
    return fit_latent(vae, X, y, Budget(max_steps=LATENT_FALLBACK_STEPS), random_state), False


def latent_metrics(model: DiffusionModel, vae, guidance: float = 1.0, per_class: int = 20, seed: SeedLike = 1) -> dict:
    from engine.digits import classify
    from engine.digits import load as load_digits

    labels = np.repeat(np.arange(DIGIT_CLASSES), per_class)
    z, images = latent_samples(model, vae, labels, guidance, seed=seed)
    X_test, _ = load_digits("test")
    codes_test = vae.encode_mean(X_test)
    prior = np.random.default_rng(0).standard_normal(codes_test.shape)
    from engine.metrics import mmd2

    return {"accuracy": round(float((classify(images) == labels).mean()), 4),
            "mmd2_codes_diffusion": round(mmd2(z[: len(codes_test)], codes_test), 5),
            "mmd2_codes_prior": round(mmd2(prior, codes_test), 5)}


# ---------------------------------------------------------------- shipped weights

PRETRAINED_2D_STEPS = 3000
PRETRAINED_2D_POINTS = 4000


def pretrained_2d_config() -> DiffusionConfig:
    """The shipped 2D models: wider and deeper than the live one, trained longer at a gentler rate."""
    return config_2d(ScheduleConfig(), hidden=128, depth=3, lr=5e-3, decay_steps=PRETRAINED_2D_STEPS)


def pretrained_2d(name: str) -> DiffusionModel:
    """The shipped model for a built-in 2D dataset (trained at its default noise)."""
    from engine import weights

    if name not in weights.read_manifest(PAGE):
        raise InputError("no_pretrained", name=name)
    state, entry = weights.load(PAGE, name)
    return DiffusionModel.from_state(DiffusionConfig.from_dict(entry["config"]), state)


def pretrained_digits() -> DiffusionModel:
    from engine import weights

    state, entry = weights.load(PAGE, "digits")
    return DiffusionModel.from_state(DiffusionConfig.from_dict(entry["config"]), state)


def pretrained_metrics(name: str) -> dict:
    from engine import weights

    return weights.read_manifest(PAGE).get(name, {}).get("metrics", {})


def held_out_2d(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The training points and the held-out points of a shipped 2D model."""
    from engine import datasets

    data = datasets.make_dataset(name, PRETRAINED_2D_POINTS + 1000, datasets.BUILTIN[name].default_noise, seed=0).X
    return data[:PRETRAINED_2D_POINTS], data[PRETRAINED_2D_POINTS:]


def metrics_2d(model: DiffusionModel, test: np.ndarray) -> dict:
    """Distances of DDPM and DDIM samples to held-out data, and the quality-vs-steps rows the page charts."""
    rows = quality_vs_steps(model, test, n=len(test), seed=1)
    rows = [{k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]
    by = {(r["sampler"], r["steps"]): r for r in rows}
    return {"mmd2_ddpm": by[("ddpm", model.schedule.T)]["mmd2"], "mmd2_ddim20": by[("ddim", 20)]["mmd2"],
            "swd_ddpm": by[("ddpm", model.schedule.T)]["swd"], "swd_ddim20": by[("ddim", 20)]["swd"], "quality": rows}


def regenerate(names: list[str] | None = None, log: Callable[[str], None] = print) -> None:
    """Train and save every shipped model from fixed seeds (same code, same numbers)."""
    from engine import datasets, weights

    todo = names or [*datasets.BUILTIN, "digits", f"latent_z{LATENT_DIM}"]
    for name in todo:
        config = None
        if name.startswith("latent_z"):
            from engine.digits import load

            d = int(name.removeprefix("latent_z"))
            vae = vae_model(d)
            X, y = load("train")
            model = fit_latent(vae, X, y, Budget(max_steps=config_latent(d).train.decay_steps))
            metrics = latent_metrics(model, vae)
            config = {**model.config.to_dict(), "vae": _vae_name(d), "vae_sha256": vae_fingerprint(d)}
        elif name == "digits":
            from engine.digits import load

            X, y = load("train")
            model = digits_model(0).fit(X, y, budget=Budget(max_steps=config_digits().train.decay_steps))
            metrics = {f"accuracy_guidance_{w:g}": round(guidance_accuracy(model, w, seed=1), 4) for w in (0.0, 1.0, 3.0)}
        else:
            spec = datasets.BUILTIN[name]
            train, test = held_out_2d(name)
            model = DiffusionModel(pretrained_2d_config(), 0).fit(train, budget=Budget(max_steps=PRETRAINED_2D_STEPS))
            metrics = metrics_2d(model, test)
            metrics["data"] = {"n": PRETRAINED_2D_POINTS, "noise": spec.default_noise, "seed": 0}
        metrics["steps"] = model.step_
        metrics["final_loss"] = round(float(np.mean(model.loss_history_[-200:])), 4)
        weights.save(PAGE, name, model.state_dict(), config or model.config.to_dict(), metrics)
        log(f"{name}: {metrics}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true", help="retrain and save the shipped weights")
    parser.add_argument("names", nargs="*", help="only these models (default: all)")
    args = parser.parse_args()
    if args.regenerate:
        regenerate(args.names or None)
    else:
        parser.print_help()


# ---------------------------------------------------------------- images for the forward process

PHOTO_SIDE = 64


def load_photo(side: int = PHOTO_SIDE) -> np.ndarray:
    """A real photo (scikit-learn's sample "china.jpg"), centre-cropped and block-averaged to side×side RGB in 0…1."""
    from sklearn.datasets import load_sample_images

    img = np.asarray(load_sample_images().images[0], np.float64) / 255.0
    h, w, _ = img.shape
    s = min(h, w)
    img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    k = s // side
    img = img[: k * side, : k * side].reshape(side, k, side, k, 3).mean(axis=(1, 3))
    return img


def noisy_images(images01: np.ndarray, schedule: NoiseSchedule, ts, seed: SeedLike = 0) -> np.ndarray:
    """x_t for each t in ``ts`` (same ε for every t, so one sees only the schedule change), in 0…1 for display.

    Images are mapped from 0…1 to −1…1 (the model space of image diffusion), noised, and mapped back.
    """
    x0 = 2.0 * np.asarray(images01, float) - 1.0
    eps = as_generator(seed).standard_normal(x0.shape)
    out = np.stack([schedule.add_noise(x0, eps, int(t)) for t in ts])
    return np.clip((out + 1.0) / 2.0, 0.0, 1.0)
