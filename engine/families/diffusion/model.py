"""The diffusion model: an ε-predicting denoiser trained on one objective, sampled by DDPM or DDIM.

    objective              L = E ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖² / d   (d coordinates: a mean, not a sum)
    DDPM step              x_{t-1} = μ̃_t(x_t, x̂_0) + σ_t z
    DDIM step (η = 0)      x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'}) ε_θ

:class:`DiffusionModel` follows the engine's contract (:mod:`engine.core.contract`): ``fit`` /
``advance`` to learn, ``sample`` for points, ``reverse`` for the whole reverse process (frames
included), ``score_samples`` for the variational lower bound on log p(x). What was left out on
purpose: U-Nets and attention (an MLP is enough for 2D points and 8×8 digits), learned variances,
EMA weights.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from engine.core.contract import Capabilities, GenerativeModel
from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator, child_seed
from engine.core.training import Budget, Callback
from engine.families.diffusion.denoiser import DenoiserConfig, build_denoiser, lazy_torch
from engine.families.diffusion.schedule import NoiseSchedule, ScheduleConfig

__all__ = ["TrainConfig", "DiffusionConfig", "SampleResult", "DiffusionModel"]


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


@dataclass
class SampleResult:
    """Samples in data space, and (optionally) the path of every sample through the sampler."""

    samples: np.ndarray  # (n, d)
    timesteps: list[int]  # t of each saved frame, starting with T (pure noise) and ending with 0
    trajectory: np.ndarray | None = None  # (frames, n, d) in data space, or None


class DiffusionModel(GenerativeModel):
    """An ε-prediction diffusion model: ``fit`` / ``advance`` to learn, ``sample`` / ``reverse`` to generate.

    Data are mapped to the model's space by x ↦ (x − shift_) / scale_ before noising, so the
    prior N(0, I) matches the data's size; samples are mapped back. ``shift_`` / ``scale_`` are
    learned from the data by ``fit`` unless given (digits use a fixed map of 0…16 to −1…1).
    """

    capabilities = Capabilities(density="bound", density_note="the DDPM variational bound (ELBO) on log p(x)")

    def __init__(self, config: DiffusionConfig = DiffusionConfig(), seed: int = 0,
                 shift: np.ndarray | float | None = None, scale: np.ndarray | float | None = None) -> None:
        if config.denoiser.T != config.schedule.T:
            config = replace(config, denoiser=replace(config.denoiser, T=config.schedule.T))
        self.config = config
        self.seed = int(seed)
        self.schedule = NoiseSchedule(config.schedule)
        torch = lazy_torch()
        gen = torch.Generator().manual_seed(self.seed)
        with torch.random.fork_rng(devices=[]):  # initialise from our own seed, never the global one
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            self.net_ = build_denoiser(config.denoiser)
        self._gen = gen
        self.shift_ = None if shift is None else np.asarray(shift, np.float32)
        self.scale_ = None if scale is None else np.asarray(scale, np.float32)
        self.step_ = 0
        self.history_: list[float] = []  # the training loss of every step
        self.diverged_ = False
        self.elapsed_ = 0.0
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
    def n_params_(self) -> int:
        return sum(p.numel() for p in self.net_.parameters())

    @property
    def total_steps(self) -> int:
        """The planned length: the learning rate decays over ``decay_steps``."""
        return self.config.train.decay_steps

    # -- training
    def set_data(self, X: np.ndarray, y: np.ndarray | None = None) -> DiffusionModel:
        """Hold the training set (and fit the data map if it was not given)."""
        torch = lazy_torch()
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

    def _start(self, X: np.ndarray) -> None:
        self.set_data(X)

    def fit(self, X: np.ndarray, y: np.ndarray | None = None, *, budget: Budget = Budget(max_steps=2000),
            callback: Callback | None = None) -> DiffusionModel:
        """Hold ``X`` (and the labels ``y`` of a class-conditional model) and train for ``budget``."""
        self.set_data(X, y)
        self.advance(budget, callback)
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
        torch = lazy_torch()
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

    def _training(self):
        if self._data is None:
            raise RuntimeError("call set_data (or fit) first")
        from engine.core.torch_setup import train_mode

        return train_mode(self.net_)

    def _train_step(self) -> bool:
        torch = lazy_torch()
        tc = self.config.train
        idx = torch.randint(0, len(self._data), (tc.batch_size,), generator=self._gen)
        y = None if self._labels is None else self._labels[idx]
        for group in self._opt.param_groups:
            group["lr"] = self._lr()
        from engine.core.torch_setup import optimise

        value = optimise(self._opt, self.loss_on_batch(self._data[idx], y), clip=tc.grad_clip, params=self.net_.parameters())
        if value is None:
            self.net_.load_state_dict(self._good_state)
            return False
        self.step_ += 1
        self.history_.append(value)
        if self.step_ % 50 == 0:
            self._good_state = self._snapshot()
        return True

    def _metrics(self) -> dict[str, float]:
        return {"loss": self.history_[-1]} if self.history_ else {}

    def smoothed_loss(self, window: int = 50) -> np.ndarray:
        h = np.asarray(self.history_, float)
        if len(h) < window:
            return h
        c = np.cumsum(np.r_[0.0, h])
        return (c[window:] - c[:-window]) / window

    # -- inference
    def predict_noise(self, x_t: np.ndarray, t: int, y: np.ndarray | None = None, guidance: float = 0.0) -> np.ndarray:
        """ε_θ(x_t, t) in model space (numpy in, numpy out)."""
        torch = lazy_torch()
        with torch.no_grad():
            return self._eps(torch.from_numpy(np.asarray(x_t, np.float32)), t, None if y is None else torch.as_tensor(y), guidance).numpy()

    def _eps(self, x, t: int, y, guidance: float):
        torch = lazy_torch()
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

    def grad_log_q(self, X: np.ndarray, t: int) -> np.ndarray:
        """The learned score ∇ₓ log q(x_t) ≈ −ε_θ(x_t, t) / √(1 − ᾱ_t), in data units."""
        Z = self.to_model(X)
        eps = self.predict_noise(Z, t)
        return -eps / self.schedule.sqrt_one_minus_alphas_cumprod[t] / self.scale_

    def sample(self, n: int, seed: SeedLike = 0, *, sampler: str = "ddpm", steps: int = 20,
               y: np.ndarray | None = None, guidance: float = 0.0) -> np.ndarray:
        """``n`` new points in data space (DDPM by default; see :meth:`reverse` for the frames)."""
        return self.reverse(n, sampler, steps, seed=seed, y=y, guidance=guidance).samples

    def reverse(self, n: int, sampler: str = "ddim", steps: int = 20, seed: SeedLike = 0, y: np.ndarray | None = None,
                guidance: float = 0.0, keep: int = 0, keep_frames: int | None = None, clip: float | None = None,
                x_T: np.ndarray | None = None) -> SampleResult:
        """Draw ``n`` samples from noise with DDPM (T stochastic steps) or DDIM (``steps`` deterministic steps).

        ``keep`` > 0 records the path of the first ``keep`` samples (for the animation);
        ``keep_frames`` thins those frames to about that many, always keeping t = T and t = 0.
        ``clip`` bounds x̂_0 in model space (default: the config's ``x0_clip``). Without it the first
        step from t = T divides by √ᾱ_T, tiny for the cosine schedule, and blows small errors up.
        """
        torch = lazy_torch()
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

    def score_samples(self, X: np.ndarray, y: np.ndarray | None = None, seed: SeedLike = 0) -> np.ndarray:
        """A lower bound on log p(x) per row, in nats and in the data's units: the DDPM variational bound

            log p(x_0) ≥ −L_T − Σ_{t=2..T} L_{t−1} − L_0,     L_T = KL(q(x_T | x_0) ‖ N(0, I)),
            L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) = c_t² ‖x_0 − x̂_0‖² / 2β̃_t,
            L_0 = −log N(x_0; x̂_0(x_1), β_1 I),

        with c_t = ``posterior_mean_coef1[t]``, x̂_0 clipped as the sampler clips it, and each expectation
        over x_t ~ q(x_t | x_0) taken with one draw per t (fixed by ``seed``). The last reverse step is
        given variance β_1 here (the sampler takes its mean), so the bound is that of a DDPM sampler
        whose last step is noisy too. The map to model space adds −Σ_j log scale_j.
        """
        torch = lazy_torch()
        sched, clip = self.schedule, self.config.denoiser.x0_clip
        z0 = torch.from_numpy(self.to_model(X))
        n, d = z0.shape
        yy = None if y is None else torch.as_tensor(np.asarray(y), dtype=torch.long)
        gen = torch.Generator().manual_seed(child_seed(as_generator(seed)))
        ab_T = sched.alphas_cumprod[sched.T]
        total = 0.5 * (ab_T * (z0.double() ** 2).sum(1) + d * (1 - ab_T) - d - d * math.log(1 - ab_T))  # L_T
        self.net_.eval()
        with torch.no_grad():
            for t in range(1, sched.T + 1):
                eps = torch.randn(z0.shape, generator=gen)
                x_t = float(sched.sqrt_alphas_cumprod[t]) * z0 + float(sched.sqrt_one_minus_alphas_cumprod[t]) * eps
                x0_hat = sched.predict_x0(x_t, self._eps(x_t, t, yy, 0.0), t)
                if clip is not None:
                    x0_hat = x0_hat.clamp(-clip, clip)
                err = ((z0 - x0_hat).double() ** 2).sum(1)
                if t >= 2:
                    total += sched.posterior_mean_coef1[t] ** 2 * err / (2 * sched.posterior_variance[t])
                else:  # x̂_0(x_1) is the mean of the last step (posterior_mean_coef1[1] = 1, coef2[1] = 0)
                    total += 0.5 * (err / sched.betas[1] + d * math.log(2 * math.pi * sched.betas[1]))
        log_scale = float(np.log(np.broadcast_to(np.asarray(self.scale_, np.float64), (d,))).sum())
        return -total.numpy() - log_scale

    # -- persistence
    def state_dict(self) -> dict:
        torch = lazy_torch()
        sd = {f"net.{k}": v for k, v in self.net_.state_dict().items()}
        sd["shift"] = torch.as_tensor(np.atleast_1d(self.shift_), dtype=torch.float32)
        sd["scale"] = torch.as_tensor(np.atleast_1d(self.scale_), dtype=torch.float32)
        return sd

    def _weights_state(self) -> dict:
        return self.state_dict()

    def _load_weights_state(self, state: dict) -> None:
        torch = lazy_torch()
        X = None if self._data is None else self.to_data(self._data.numpy())  # the training points, in data units
        self.net_.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("net.")})
        self.net_.eval()
        shift, scale = state["shift"].numpy().copy(), state["scale"].numpy().copy()
        self.shift_ = shift if shift.size > 1 else np.float32(shift[0])
        self.scale_ = scale if scale.size > 1 else np.float32(scale[0])
        self.history_ = []
        if X is not None:
            self._data = torch.from_numpy(self.to_model(X))
            tc = self.config.train
            self._opt = torch.optim.AdamW(self.net_.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
            self._good_state = self._snapshot()

    @classmethod
    def from_state(cls, config: DiffusionConfig, state: dict, seed: int = 0) -> DiffusionModel:
        model = cls(config, seed)
        model.net_.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("net.")})
        shift = state["shift"].numpy()
        scale = state["scale"].numpy()
        model.shift_ = shift if shift.size > 1 else np.float32(shift[0])
        model.scale_ = scale if scale.size > 1 else np.float32(scale[0])
        model.net_.eval()
        return model
