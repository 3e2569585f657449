"""An energy-based model of 2D points (or any small dimension), trained two ways.

    density                p_θ(x) = exp(−E_θ(x)) / Z(θ)
    contrastive divergence ∇_θ log p_θ(x) = −∇_θ E_θ(x) + E_{x'~p_θ}[∇_θ E_θ(x')]
                           loss per batch: mean E_θ(data) − mean E_θ(negatives)   (+ α · mean E²)
    negatives              Langevin chains  x ← x − (ε²/2) ∇ₓE_θ(x) + ε ξ
    score matching (DSM)   s_θ(x) = −∇ₓE_θ(x),  loss ½ E ‖σ s_θ(x + σ n) + n‖²,  n ~ N(0, I)

Two kinds of chains for the negatives, the two regimes Nijkamp et al. (2020, "On the anatomy of
MCMC-based maximum likelihood learning of energy-based models") contrast:

- ``short_run``: every chain starts from noise and runs K steps. Sampling does the same K steps, and
  the samples look right; but the energy has only learned to steer K steps from noise, so it is not
  a faithful density (run the chains longer and they drift away from the data).
- ``persistent``: chains continue where the last batch left them (a replay buffer, with a few
  restarted from noise each time). The energy becomes a faithful density, but sampling from noise
  then needs many steps (``sample_steps``).

The data are standardised (x ↦ (x − shift)/scale) and the network works on the standardised points;
``energy``, ``grad`` and ``sample`` speak the data's own coordinates, where
E(x) = f_θ((x − shift)/scale). A Langevin step ε in the standardised space is a step ε · scale in data space.

:class:`EnergyModel` follows the engine's contract: ``fit(X, budget=...)``, ``advance``, ``sample(n, seed)``,
``score_samples(X)`` (the log-density, normalised on a grid over the data's box: see
:mod:`engine.families.energy.grid`), learned state ``step_``, ``history_``, ``diverged_``, ``n_params_``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from engine import metrics
from engine.core.contract import Capabilities, GenerativeModel
from engine.core.errors import InputError
from engine.families.energy.grid import GridDensity, on_grid
from engine.families.energy.sampler import Chains, langevin
from engine.families.energy.network import EnergyNet, NetConfig
from engine.core.rng import SeedLike, as_generator, child_seed
from engine.core.torch_setup import torch
from engine.core.training import Budget, Callback, Progress

__all__ = ["OBJECTIVES", "CHAINS", "MIN_POINTS", "TrainConfig", "EnergyConfig", "EnergyModel", "History", "check_data",
           "contrastive_divergence_loss", "BOX_MARGIN", "GRAD_EVERY", "GRID_RESOLUTION"]

OBJECTIVES = ("cd", "dsm")
CHAINS = ("short_run", "persistent")
MIN_POINTS = 10
GRID_RESOLUTION = 200  # cells per side for Z in score_samples
GRAD_EVERY = 4
BOX_MARGIN = 0.6  # the density's box reaches this far (in standardised units) beyond the data


@dataclass(frozen=True)
class TrainConfig:
    objective: str = "cd"  # "cd": contrastive divergence with Langevin negatives; "dsm": denoising score matching
    chains: str = "short_run"  # "short_run" (from noise every time) or "persistent" (replay buffer)
    langevin_steps: int = 20  # K: Langevin steps per batch of negatives
    step_size: float = 0.07  # ε, in standardised units
    batch_size: int = 256
    lr: float = 0.01
    beta1: float = 0.5  # Adam's momentum: EBM training prefers less than the usual 0.9
    decay_steps: int = 300  # the learning rate follows a cosine from lr down to lr · lr_min_fraction over these steps
    lr_min_fraction: float = 0.05
    energy_l2: float = 0.0  # α: a penalty on E² that keeps energies from drifting (0: none)
    buffer_size: int = 10_000  # persistent chains kept
    restart: float = 0.05  # fraction of each persistent batch restarted from noise
    sample_steps: int = 0  # Langevin steps of ``sample``: 0 means the training K (right for short-run chains)
    dsm_sigma: float = 0.1  # σ of score matching's noise, in standardised units
    max_energy: float = 1e5  # |E| beyond this on data or negatives counts as a blow-up
    clip: tuple[float, float] | None = None  # keep every chain inside [lo, hi] in data units (pixels: 0…16)


@dataclass(frozen=True)
class EnergyConfig:
    net: NetConfig = field(default_factory=NetConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> EnergyConfig:
        train = dict(d["train"])
        if train.get("clip") is not None:
            train["clip"] = tuple(train["clip"])
        return cls(NetConfig(**d["net"]), TrainConfig(**train))


@dataclass
class History:
    """One row per training step (``mmd2`` only when :meth:`EnergyModel.evaluate` ran)."""

    step: list[int] = field(default_factory=list)
    e_data: list[float] = field(default_factory=list)  # mean E on the batch of data (positives)
    e_neg: list[float] = field(default_factory=list)  # mean E on the negatives (NaN for score matching)
    grad_norm: list[float] = field(default_factory=list)  # mean ‖∇ₓE‖ along the Langevin chains, data units
    loss: list[float] = field(default_factory=list)  # the objective of the step
    eval_step: list[int] = field(default_factory=list)
    mmd2: list[float] = field(default_factory=list)  # MMD² of fresh samples to held-out points

    @property
    def gap(self) -> np.ndarray:
        """Mean E on negatives minus mean E on data: above 0 while the data sit lower than the model's samples."""
        return np.asarray(self.e_neg) - np.asarray(self.e_data)


def check_data(X: np.ndarray) -> np.ndarray:
    """Points an energy can be learned from: at least ``MIN_POINTS`` finite rows that are not all on one spot."""
    X = np.asarray(X, np.float64)
    if X.ndim != 2 or X.shape[1] < 1:
        raise InputError("bad_columns", line=1, found=X.shape[-1] if X.ndim else 0)
    if len(X) < MIN_POINTS:
        raise InputError("too_few_points", n=len(X), min=MIN_POINTS)
    if not np.isfinite(X).all():
        raise InputError("not_finite", line=int(np.argmin(np.isfinite(X).all(axis=1))) + 1)
    if float(np.sqrt(((X - X.mean(0)) ** 2).sum(1).mean() / X.shape[1])) < 1e-6:
        raise InputError("degenerate_data")
    return X


class EnergyModel(GenerativeModel):
    """E_θ(x) = f_θ((x − shift)/scale), trained by contrastive divergence or denoising score matching."""

    capabilities = Capabilities(density="exact", density_note="Z summed on a grid over the data's box (2D)")
    report_every: int = 10

    def __init__(self, config: EnergyConfig = EnergyConfig(), seed: int = 0) -> None:
        tc = config.train
        if tc.objective not in OBJECTIVES:
            raise InputError("unknown_objective", name=tc.objective)
        if tc.chains not in CHAINS:
            raise InputError("unknown_chains", name=tc.chains)
        self.config = config
        self.seed = int(seed)
        self.net_ = EnergyNet(config.net, seed=self.seed)
        self.net_.eval()
        self._gen = torch.Generator().manual_seed(self.seed + 1)
        self.shift_: np.ndarray | None = None
        self.scale_: float | None = None
        self.box_: tuple[float, float, float, float] | None = None
        self.step_ = 0
        self.diverged_ = False
        self.elapsed_ = 0.0
        self.history_ = History()
        self._data = None
        self._buffer = None
        self._opt = None
        self._good = None
        self._good_step = 0
        self._grid_cache: tuple | None = None

    # ------------------------------------------------------------ coordinates
    @property
    def n_params_(self) -> int:
        return self.net_.n_params

    @property
    def total_steps(self) -> int:
        return self.config.train.decay_steps

    @property
    def done(self) -> bool:
        return self.diverged_

    def _to_model(self, X: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(((np.asarray(X, np.float64) - self.shift_) / self.scale_).astype(np.float32))

    def _to_data(self, Z: torch.Tensor) -> np.ndarray:
        return Z.numpy().astype(np.float64) * self.scale_ + self.shift_

    def step_size_data(self, eps: float | None = None) -> float:
        """A standardised Langevin step (the training ε by default) in data units."""
        return float((self.config.train.step_size if eps is None else eps) * self.scale_)

    # ------------------------------------------------------------ training
    def set_data(self, X: np.ndarray) -> EnergyModel:
        """Hold the training points (standardising them) and build what training needs."""
        X = check_data(X)
        if X.shape[1] != self.config.net.dim:
            raise InputError("bad_columns", line=1, found=X.shape[1])
        if self.shift_ is None:
            self.shift_ = X.mean(axis=0)
            self.scale_ = float(np.sqrt(((X - self.shift_) ** 2).sum(1).mean() / X.shape[1]))
        Z = (X - self.shift_) / self.scale_
        lo, hi = Z.min(0) - BOX_MARGIN, Z.max(0) + BOX_MARGIN
        if X.shape[1] == 2:
            self.box_ = tuple(float(v) for v in (np.r_[lo[0], hi[0], lo[1], hi[1]] * self.scale_ + np.repeat(self.shift_, 2)))
        self._data = torch.from_numpy(Z.astype(np.float32))
        tc = self.config.train
        if self._opt is None:
            self._opt = torch.optim.Adam(self.net_.parameters(), lr=tc.lr, betas=(tc.beta1, 0.999), foreach=True)
            self._good = [p.detach().clone() for p in self.net_.parameters()]
            self._good_step = self.step_
        if tc.objective == "cd" and tc.chains == "persistent" and self._buffer is None:
            self._buffer = torch.randn((tc.buffer_size, X.shape[1]), generator=self._gen)
        return self

    def _start(self, X: np.ndarray) -> None:
        """The contract's ``fit`` hands the data here (then :meth:`advance` trains)."""
        self.set_data(X)

    def advance(self, budget: Budget, callback: Callback | None = None) -> Progress:
        """Train until the budget runs out, the callback returns False or training diverges."""
        if self._data is None:
            raise RuntimeError("call set_data (or fit) first")
        return super().advance(budget, callback)

    def _metrics(self) -> dict[str, float]:
        h = self.history_
        if not h.step:
            return {}
        out = {"e_data": h.e_data[-1], "e_neg": h.e_neg[-1], "loss": h.loss[-1], "grad_norm": h.grad_norm[-1]}
        if h.mmd2:
            out["mmd2"] = h.mmd2[-1]
        return out

    def _lr(self) -> float:
        tc = self.config.train
        frac = min(1.0, self.step_ / max(1, tc.decay_steps))
        return tc.lr * (tc.lr_min_fraction + (1 - tc.lr_min_fraction) * 0.5 * (1 + math.cos(math.pi * frac)))

    def _negatives(self, n: int) -> tuple[torch.Tensor, float, torch.Tensor | None]:
        """Langevin negatives in standardised space, the mean gradient size along the way, and buffer rows."""
        tc = self.config.train
        rows = None
        if tc.chains == "persistent":
            rows = torch.randint(0, len(self._buffer), (n,), generator=self._gen)
            z = self._buffer[rows].clone()
            fresh = torch.rand(n, generator=self._gen) < tc.restart
            z[fresh] = torch.randn((int(fresh.sum()), z.shape[1]), generator=self._gen)
        else:
            z = torch.randn((n, self.config.net.dim), generator=self._gen)
        z, grad_norm = _chain(self.net_.grad_fn(), z, tc.langevin_steps, tc.step_size, self._gen, self._bounds())
        return z, grad_norm, rows

    def _train_step(self) -> bool:
        tc = self.config.train
        for group in self._opt.param_groups:
            group["lr"] = self._lr()
        pos = self._data[torch.randint(0, len(self._data), (tc.batch_size,), generator=self._gen)]
        if tc.objective == "cd":
            neg, grad_norm, rows = self._negatives(tc.batch_size)
            energies = self.net_(torch.cat([pos, neg]))  # one pass for both halves
            e_pos, e_neg = energies[: len(pos)], energies[len(pos):]
            loss = contrastive_divergence_loss(e_pos, e_neg, tc.energy_l2)
            with torch.no_grad():
                e_data, e_model, value, top = torch.stack([e_pos.mean(), e_neg.mean(), loss, energies.abs().max()]).tolist()
            values = (e_data, e_model, value)
            finite = math.isfinite(top) and top < tc.max_energy
        else:
            noise = torch.randn(pos.shape, generator=self._gen)
            score = -self.net_.input_grad(pos + tc.dsm_sigma * noise)
            loss = 0.5 * (tc.dsm_sigma * score + noise).pow(2).sum(1).mean()
            with torch.no_grad():
                e_pos = self.net_(pos)
                e_data, value, top, grad_norm = torch.stack([e_pos.mean(), loss, e_pos.abs().max(), score.norm(dim=1).mean()]).tolist()
            values = (e_data, float("nan"), value)
            rows, neg = None, None
            finite = math.isfinite(top) and top < tc.max_energy
        if not finite or not math.isfinite(values[2]):
            self._restore()
            return False
        with torch.no_grad():  # these weights gave finite energies: keep them
            torch._foreach_copy_(self._good, list(self.net_.parameters()))
        self._good_step = self.step_
        self._opt.zero_grad(set_to_none=True)
        loss.backward()
        self._opt.step()
        if rows is not None:
            self._buffer[rows] = neg.detach()
        self.step_ += 1
        h = self.history_
        h.step.append(self.step_)
        h.e_data.append(values[0])
        h.e_neg.append(values[1])
        h.loss.append(values[2])
        h.grad_norm.append(grad_norm / self.scale_)
        self._grid_cache = None
        return True

    def _restore(self) -> None:
        """Put back the last weights whose energies were finite, and the step counter and history they had.

        The weights after step k are checked at the start of step k + 1; if they blow up, the model goes
        back to the weights after step k − 1 (the last ones that passed), and ``step_`` says k − 1.
        """
        with torch.no_grad():
            for good, p in zip(self._good, self.net_.parameters()):
                p.copy_(good)
        self.step_ = self._good_step
        h = self.history_
        for name in ("step", "e_data", "e_neg", "grad_norm", "loss"):
            del getattr(h, name)[self.step_:]
        while h.eval_step and h.eval_step[-1] > self.step_:
            h.eval_step.pop()
            h.mmd2.pop()
        self._grid_cache = None

    def evaluate(self, held_out: np.ndarray, n: int = 500, seed: SeedLike = 0) -> float:
        """MMD² of ``n`` fresh samples to held-out points; recorded in ``history_`` (not counted as training time)."""
        with self._untimed():
            held_out = np.asarray(held_out, float)[:n]
            value = metrics.mmd2(self.sample(n, seed), held_out) if len(held_out) >= 2 else float("nan")
            self.history_.eval_step.append(self.step_)
            self.history_.mmd2.append(value)
        return value

    def training_points(self, n: int) -> np.ndarray:
        """The first ``n`` training points, in data coordinates (what the live view draws as positives)."""
        return self._to_data(self._data[:n]) if self._data is not None else np.zeros((0, self.config.net.dim))

    # ------------------------------------------------------------ the energy and its samples
    def energy(self, X: np.ndarray) -> np.ndarray:
        """E_θ(x) for each row, in the data's coordinates."""
        with torch.no_grad():
            return self.net_(self._to_model(X)).numpy().astype(np.float64)

    def grad(self, X: np.ndarray) -> np.ndarray:
        """∇ₓE_θ(x) in data units (the score is its negative)."""
        with torch.no_grad():
            return self.net_.grad_fn()(self._to_model(X)).numpy().astype(np.float64) / self.scale_

    def score(self, X: np.ndarray) -> np.ndarray:
        """s_θ(x) = −∇ₓE_θ(x) = ∇ₓ log p_θ(x)."""
        return -self.grad(X)

    def grad_fn(self):
        """∇ₓE_θ on torch rows in data space, for :func:`engine.families.energy.sampler.langevin`."""
        inner = self.net_.grad_fn()
        shift = torch.tensor(self.shift_, dtype=torch.float32)
        inv = 1.0 / self.scale_
        return lambda x: inner((x - shift) * inv) * inv

    def noise(self, n: int, seed: SeedLike = 0) -> np.ndarray:
        """Where every chain starts: N(0, I) in standardised space, in data coordinates."""
        gen = torch.Generator().manual_seed(child_seed(as_generator(seed)))
        return self._to_data(torch.randn((int(n), self.config.net.dim), generator=gen))

    def sample(self, n: int, seed: SeedLike = 0, n_steps: int | None = None) -> np.ndarray:
        """``n`` points: Langevin chains from noise, ``sample_steps`` long (the training K by default)."""
        tc = self.config.train
        n_steps = n_steps if n_steps is not None else (tc.sample_steps or tc.langevin_steps)
        rng = as_generator(seed)
        gen = torch.Generator().manual_seed(child_seed(rng))
        z = torch.randn((int(n), self.config.net.dim), generator=gen)
        z, _ = _chain(self.net_.grad_fn(), z, n_steps, tc.step_size, gen, self._bounds())
        return self._to_data(z)

    def _bounds(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """``clip`` in standardised units, per coordinate."""
        clip = self.config.train.clip
        if clip is None:
            return None
        lo = torch.tensor((clip[0] - self.shift_) / self.scale_, dtype=torch.float32)
        hi = torch.tensor((clip[1] - self.shift_) / self.scale_, dtype=torch.float32)
        return lo, hi

    def chains(self, n: int, seed: SeedLike = 0, n_steps: int | None = None, step_size: float | None = None,
               noise: float = 1.0, temperature: float = 1.0, keep: int = 0, n_frames: int = 60, clip: bool = True) -> Chains:
        """Langevin from this model's noise in data space, with the page's settings (a data-unit ``step_size``),
        inside the training chains' ``clip`` range when there is one."""
        tc = self.config.train
        n_steps = n_steps if n_steps is not None else (tc.sample_steps or tc.langevin_steps)
        eps = self.step_size_data() if step_size is None else float(step_size)
        rng = as_generator(seed)
        bounds = tc.clip if clip else None
        return langevin(self.grad_fn(), self.noise(n, child_seed(rng)), eps, n_steps, noise=noise,
                        temperature=temperature, seed=child_seed(rng), keep=keep, n_frames=n_frames, bounds=bounds)

    def density_grid(self, box: tuple | None = None, resolution: int = GRID_RESOLUTION, temperature: float = 1.0) -> GridDensity:
        """E_θ, log p_θ and log Z on a grid (the data's box with a margin by default)."""
        return on_grid(self.energy, box or self.box_, resolution, temperature)

    def log_z(self) -> float:
        """log Z over the model's box, on a ``GRID_RESOLUTION``² grid (cached until the next training step)."""
        if self.box_ is None:
            raise InputError("density_needs_2d")
        if self._grid_cache is None or self._grid_cache[0] != self.step_:
            self._grid_cache = (self.step_, self.density_grid().log_z)
        return self._grid_cache[1]

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log p_θ(x) = −E_θ(x) − log Z, with Z summed on a grid over the data's box (2D only)."""
        return -self.energy(X) - self.log_z()

    # ------------------------------------------------------------ weights
    def state_dict(self) -> dict:
        """Weights and the data map, as tensors only (for ``torch.load(weights_only=True)``)."""
        state = {f"net.{k}": v for k, v in self.net_.state_dict().items()}
        state["shift"] = torch.tensor(self.shift_, dtype=torch.float64)
        state["scale"] = torch.tensor(self.scale_, dtype=torch.float64)
        if self.box_ is not None:
            state["box"] = torch.tensor(self.box_, dtype=torch.float64)
        state["step"] = torch.tensor(self.step_)
        return state

    def _weights_state(self) -> dict:
        state = self.state_dict()
        del state["step"]  # the step travels beside the arrays (load_state_arrays)
        return state

    def _load_weights_state(self, state: dict) -> None:
        X = None if self._data is None else self._to_data(self._data)  # the training points, in data units
        self.net_.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("net.")})
        self.net_.eval()
        self.shift_, self.scale_ = state["shift"].numpy().astype(np.float64), float(state["scale"])
        self.box_ = tuple(float(v) for v in state["box"]) if "box" in state else None
        self.history_, self._grid_cache = History(), None
        if X is not None:
            self._data = self._to_model(X)
            tc = self.config.train
            self._opt = torch.optim.Adam(self.net_.parameters(), lr=tc.lr, betas=(tc.beta1, 0.999), foreach=True)
            self._good = [p.detach().clone() for p in self.net_.parameters()]
            self._good_step = self.step_

    @classmethod
    def from_state(cls, config: EnergyConfig, state: dict, seed: int = 0) -> EnergyModel:
        model = cls(config, seed)
        model.net_.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("net.")})
        model.shift_ = state["shift"].numpy().astype(np.float64)
        model.scale_ = float(state["scale"])
        model.box_ = tuple(float(v) for v in state["box"]) if "box" in state else None
        model.step_ = int(state["step"])
        return model

    def with_config(self, **train_changes) -> EnergyConfig:
        return replace(self.config, train=replace(self.config.train, **train_changes))


def contrastive_divergence_loss(e_data: torch.Tensor, e_neg: torch.Tensor, energy_l2: float = 0.0) -> torch.Tensor:
    """mean E(data) − mean E(negatives) (+ α · mean E² on both).

    Its gradient in θ is −(−E_data[∇_θ E] + E_model[∇_θ E]) = −∇_θ log p_θ when the negatives are exact samples
    of p_θ: descending it is ascending the likelihood (pushing E down on data and up on the model's samples).
    """
    loss = e_data.mean() - e_neg.mean()
    if energy_l2:
        loss = loss + energy_l2 * (e_data.pow(2).mean() + e_neg.pow(2).mean())
    return loss


def _chain(grad_fn, z: torch.Tensor, n_steps: int, eps: float, gen: torch.Generator,
           bounds: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[torch.Tensor, float]:
    """The training sampler: ``n_steps`` Langevin steps in standardised space, and the mean ‖∇f‖ along them
    (read every ``GRAD_EVERY`` steps, which is enough for a curve and cheaper)."""
    drift = 0.5 * eps * eps
    total, count = torch.zeros(()), 0
    with torch.no_grad():
        noise = torch.randn((n_steps,) + tuple(z.shape), generator=gen).mul_(eps)
        for k in range(n_steps):
            g = grad_fn(z)
            if k % GRAD_EVERY == 0:
                total += g.norm(dim=1).mean()
                count += 1
            z = torch.add(noise[k], g, alpha=-drift).add_(z)
            if bounds is not None:
                z = torch.clamp(z, bounds[0], bounds[1])
    return z, float(total) / max(1, count)
