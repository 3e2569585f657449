"""The noise schedule of diffusion: every coefficient of the forward and reverse processes, computed once.

The names follow the formulas the page shows (Ho et al. 2020, DDPM; Song et al. 2021, DDIM):

    forward, one step      q(x_t | x_{t-1}) = N(√α_t · x_{t-1}, β_t · I),        α_t = 1 − β_t
    forward, closed form   q(x_t | x_0)     = N(√ᾱ_t · x_0, (1 − ᾱ_t) · I),      ᾱ_t = Π_{s≤t} α_s
    DDPM step              x_{t-1} = μ̃_t(x_t, x̂_0) + σ_t z
    DDIM step (η = 0)      x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'}) ε_θ

:class:`NoiseSchedule` computes every quantity once; ``add_noise`` and ``step`` are its two verbs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator

__all__ = ["SCHEDULES", "MIN_T", "MAX_T", "DDIM_STEP_CHOICES", "ALPHA_BAR_FLOOR", "make_betas", "ScheduleConfig",
           "NoiseSchedule", "schedule_curves"]

SCHEDULES = ("linear", "cosine", "sigmoid")
MIN_T, MAX_T = 2, 1000
DDIM_STEP_CHOICES = (10, 20, 50)
ALPHA_BAR_FLOOR = 1e-300  # below this ᾱ_T is zero in floating point: 1 / √ᾱ_T overflows


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
        return self.forward_iterative_path(x0, [t], seed)[0]

    def forward_iterative_path(self, x0: np.ndarray, ts, seed: SeedLike = 0) -> list[np.ndarray]:
        """``forward_iterative`` at every t of ``ts`` (increasing) from one walk of the same single steps and draws."""
        rng = as_generator(seed)
        x = np.array(x0, float)
        wanted, out = set(int(t) for t in ts), {}
        if 0 in wanted:
            out[0] = x.copy()
        for s in range(1, max(wanted, default=0) + 1):
            x = math.sqrt(self.alphas[s]) * x + math.sqrt(self.betas[s]) * rng.standard_normal(x.shape)
            if s in wanted:
                out[s] = x
        return [out[int(t)] for t in ts]

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
