"""A 2D GAN that trains live: a generator (noise → plane) against a discriminator (plane → score).

What the GAN page shows, computed here and nowhere else:

- ``GanConfig`` holds every knob (loss, optimiser, learning rates, D steps per G step,
  noise dimension, width). ``PRESETS`` are the page's named configurations on the
  8-Gaussian ring: one that collapses, one that covers every mode (WGAN-GP), one that diverges.
- ``GanTrainer`` keeps both networks, their optimisers and the training history. It follows the
  engine's contract (``fit``, ``advance``, ``sample``; no density: a GAN has none), can train D or
  G alone (``train_players``), stops on NaN and puts back the last good weights, and keeps thinned
  snapshots for the replay.
- ``GanTrainer.view`` evaluates what one frame draws: generated points, D over the plane,
  the generator's warped noise grid and the arrows −∂L_G/∂x each fake point follows.
- ``GanTrainer.slow_step`` does one step and keeps every stage (noise, fake, scores,
  D update, G update) so the page can replay it in slow motion.
- ``fit_discriminator`` trains D alone against two fixed samplers, so a test can check
  that it approaches D* = p_data / (p_data + p_g).
- ``pull_under_d_training`` trains D alone and reads G's pull under the minimax and the
  non-saturating loss from the same D: the first fades, the second grows.
- ``median_cosine`` measures how closely G's step follows the arrows: G moves its weights,
  so each point moves only roughly along its own arrow.
- ``wgan_toy_data`` is the "8 Gaussians" of the improved-WGAN paper, for the benchmark.

The data are standardised (one shift, one scale) before training; everything returned is
in the data's own coordinates. Losses are written on D's logit (or critic value) ``s``:

=============  ==========================================  ==============================
loss           L_D                                         L_G
=============  ==========================================  ==============================
minimax        −log D(x) − log(1 − D(G(z)))                log(1 − D(G(z)))
nonsat         same                                        −log D(G(z))
lsgan          ½(s(x) − 1)² + ½ s(G(z))²                   ½(s(G(z)) − 1)²
wgan_gp        s(G(z)) − s(x) + λ(‖∇s(x̂)‖ − 1)²            −s(G(z))
=============  ==========================================  ==============================

with D = sigmoid(s) for the first two.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from engine import metrics
from engine.core import weights
from engine.core.contract import Capabilities, GenerativeModel
from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator
from engine.core.torch_setup import generator as torch_generator
from engine.core.torch_setup import torch
from engine.core.training import Budget, Progress
from engine.data import points

__all__ = ["LOSSES", "OPTIMIZERS", "PROBABILITY_LOSSES", "MODES", "NOISE_DIMS", "WIDTHS", "LEARNING_RATES",
           "MAX_D_STEPS", "MAX_POINTS_PER_FRAME", "MAX_FRAMES", "STAGES", "MMD_POINTS", "N_ARROWS", "GanConfig", "PRESETS",
           "PRESET_BUDGET", "PRESET_SEED", "mlp", "build_networks", "make_optimizer", "d_loss", "g_loss", "d_output",
           "median_cosine", "History", "GanView", "StepStages", "GanTrainer", "RING_MIN_RADIUS", "ring_noise", "quality_radius",
           "ring_trainer", "preset_data", "wgan_toy_data", "fit_discriminator", "PULL_CONFIG",
           "PULL_STEPS", "PullCurves", "pull_under_d_training", "shipped_pull_curves", "recipe_pull", "PULL_FILE", "FAMILY", "train_preset",
           "load_preset_state", "ShippedPreset", "shipped_preset", "recipe_preset"]

nn = torch.nn
F = torch.nn.functional

LOSSES = ("minimax", "nonsat", "lsgan", "wgan_gp")
OPTIMIZERS = ("adam", "sgd")
PROBABILITY_LOSSES = ("minimax", "nonsat")  # D outputs a probability; the others a score
MODES = ("both", "d", "g")
NOISE_DIMS = (1, 2, 4, 8, 16)
WIDTHS = (16, 32, 64, 128, 256)
LEARNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
MAX_D_STEPS = 10
MAX_POINTS_PER_FRAME = 300
MAX_FRAMES = 60
STAGES = ("noise", "generate", "score", "update_d", "update_g")
MMD_POINTS = 256  # MMD² compares at most this many generated and real points (its cost grows with the square)
N_ARROWS = 80  # fixed view points that carry an arrow; "pull on G" is measured on the same points


@dataclass(frozen=True)
class GanConfig:
    """Every hyperparameter of the 2D GAN (sizes, optimiser, loss) in one place."""

    loss: str = "nonsat"
    optimizer: str = "adam"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    d_steps: int = 1  # discriminator updates per generator update
    noise_dim: int = 2
    width: int = 64
    depth: int = 2  # hidden layers in each network
    batch: int = 256
    gp_weight: float = 0.1  # λ of the gradient penalty (0.1 in the improved-WGAN toy code)
    betas: tuple[float, float] = (0.5, 0.999)

    def check(self) -> GanConfig:
        if self.loss not in LOSSES:
            raise InputError("unknown_loss", name=self.loss)
        if self.optimizer not in OPTIMIZERS:
            raise InputError("unknown_optimizer", name=self.optimizer)
        for lr in (self.lr_d, self.lr_g):
            if not (math.isfinite(lr) and 0 < lr <= 10):
                raise InputError("bad_learning_rate", lr=lr)
        if not 1 <= self.d_steps <= MAX_D_STEPS:
            raise InputError("bad_d_steps", n=self.d_steps, max=MAX_D_STEPS)
        if not 1 <= self.noise_dim <= 64 or not 4 <= self.width <= 1024 or not 1 <= self.depth <= 4:
            raise InputError("bad_network_size")
        if not 2 <= self.batch <= 4096:
            raise InputError("bad_batch", n=self.batch)
        return self


# The page's named settings, all on the 8-Gaussian ring. ``budget`` is its default number of G steps.
PRESETS: dict[str, GanConfig] = {
    # D learns ten times slower than G: G finds one point D likes, D catches up, G jumps elsewhere.
    "collapse": GanConfig(loss="nonsat", optimizer="adam", lr_d=1e-4, lr_g=1e-3, d_steps=1, noise_dim=2, width=64),
    # WGAN-GP with a two time-scale update rule (TTUR, Heusel et al. 2017): the critic stays ahead by learning
    # 3x faster instead of taking 5 steps per G step, so a step costs one gradient penalty instead of five.
    "fixed": GanConfig(loss="wgan_gp", optimizer="adam", lr_d=3e-3, lr_g=1e-3, d_steps=1, noise_dim=2, width=64,
                       betas=(0.5, 0.9)),
    # Plain SGD with steps far too large: the players overshoot and chase each other; at 1.0 it blows up to NaN.
    "diverge": GanConfig(loss="nonsat", optimizer="sgd", lr_d=0.3, lr_g=0.3, d_steps=1, noise_dim=2, width=64),
}
PRESET_BUDGET = 2000
PRESET_SEED = 0


# ---------------------------------------------------------------- networks

def mlp(n_in: int, n_out: int, width: int, depth: int, act: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(n_in if i == 0 else width, width), act()]
    layers.append(nn.Linear(width if depth else n_in, n_out))
    return nn.Sequential(*layers)


def build_networks(cfg: GanConfig, seed: int = 0) -> tuple[nn.Module, nn.Module]:
    """G: noise (noise_dim) → point (2). D: point (2) → logit or critic value (1)."""
    with torch.random.fork_rng(devices=[]):  # never touch the global seed
        torch.manual_seed(seed)
        G = mlp(cfg.noise_dim, 2, cfg.width, cfg.depth, nn.ReLU)
        D = mlp(2, 1, cfg.width, cfg.depth, nn.LeakyReLU if cfg.loss != "wgan_gp" else nn.ReLU)
    return G, D


def make_optimizer(params, cfg: GanConfig, lr: float):
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=cfg.betas, foreach=True)
    return torch.optim.SGD(params, lr=lr)


# ---------------------------------------------------------------- losses on D's raw output s

def d_loss(cfg: GanConfig, D: nn.Module, real: torch.Tensor, fake: torch.Tensor, gen: torch.Generator | None = None):
    """L_D and the raw outputs s(real), s(fake)."""
    if cfg.loss == "wgan_gp":  # one pass of D over real, fake and the interpolates x̂ between them
        eps = torch.rand(len(real), 1, generator=gen)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        s_all = D(torch.cat([real, fake, x_hat]))
        s_real, s_fake, s_hat = s_all.split([len(real), len(fake), len(x_hat)])
        grad, = torch.autograd.grad(s_hat.sum(), x_hat, create_graph=True)
        penalty = ((grad.norm(dim=1) - 1) ** 2).mean()
        return s_fake.mean() - s_real.mean() + cfg.gp_weight * penalty, s_real, s_fake
    s_real, s_fake = D(torch.cat([real, fake])).split([len(real), len(fake)])
    if cfg.loss in PROBABILITY_LOSSES:
        loss = F.softplus(-s_real).mean() + F.softplus(s_fake).mean()  # −log D(x) − log(1 − D(G(z)))
    else:  # lsgan
        loss = 0.5 * ((s_real - 1) ** 2).mean() + 0.5 * (s_fake ** 2).mean()
    return loss, s_real, s_fake


def g_loss(cfg: GanConfig, s_fake: torch.Tensor) -> torch.Tensor:
    if cfg.loss == "minimax":
        return -F.softplus(s_fake).mean()  # log(1 − D): flat when D(G(z)) ≈ 0
    if cfg.loss == "nonsat":
        return F.softplus(-s_fake).mean()  # −log D
    if cfg.loss == "lsgan":
        return 0.5 * ((s_fake - 1) ** 2).mean()
    return -s_fake.mean()


def d_output(cfg: GanConfig, s: torch.Tensor) -> torch.Tensor:
    """What the page calls D(x): a probability for the two classic losses, the raw score otherwise."""
    return torch.sigmoid(s) if cfg.loss in PROBABILITY_LOSSES else s


def median_cosine(moves: np.ndarray, arrows: np.ndarray) -> float:
    """The median over points of cos(move, arrow): 1 when every point moved exactly along its arrow.

    G changes its weights, not the points, so one step moves each point by a mix of every point's
    arrow (through the shared weights, rescaled per weight by Adam). Points whose move or arrow has
    zero length carry no direction and are left out; NaN when none is left.
    """
    moves, arrows = np.asarray(moves, np.float64), np.asarray(arrows, np.float64)
    lengths = np.linalg.norm(moves, axis=1) * np.linalg.norm(arrows, axis=1)
    keep = np.isfinite(lengths) & (lengths > 0)
    if not keep.any():
        return float("nan")
    cos = (moves[keep] * arrows[keep]).sum(axis=1) / lengths[keep]
    return float(np.median(np.clip(cos, -1.0, 1.0)))


# ---------------------------------------------------------------- the trainer

@dataclass
class History:
    """One row per logged step: each player's means over the steps since the last row in which it moved
    (NaN when it did not move: "Train D only" leaves a gap in G's curves, and the other way round)."""

    step: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)  # steps where the sample distances were measured
    sw: list[float] = field(default_factory=list)
    mmd2: list[float] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)
    high_quality: list[float] = field(default_factory=list)

    def latest(self, name: str) -> float:
        """The last finite value of the series ``name`` (e.g. "sw", "mmd2"); NaN when none was measured."""
        return next((float(v) for v in reversed(getattr(self, name)) if np.isfinite(v)), float("nan"))


@dataclass(frozen=True)
class GanView:
    """Everything one frame of the layered plane draws, in data coordinates."""

    fake: np.ndarray  # generated points from a fixed noise batch
    xs: np.ndarray
    ys: np.ndarray
    d_grid: np.ndarray  # D(x) on the grid, (len(ys), len(xs))
    manifold: np.ndarray  # the warped noise grid: polylines separated by NaN rows
    arrow_from: np.ndarray  # fake points that carry an arrow
    arrow_dir: np.ndarray  # −∂L_G/∂x at those points, scaled for display (longest = 1/8 of the box)
    probability: bool  # True when D(x) is a probability
    grad_norm: float  # mean ‖∂L_G/∂x‖ per point, in data units: how strongly D's feedback pulls G


@dataclass(frozen=True)
class StepStages:
    """One training step taken apart for the slow-motion view (data coordinates)."""

    z: np.ndarray  # the noise batch (first two coordinates)
    real: np.ndarray
    fake: np.ndarray
    d_real: np.ndarray  # D on the real batch, before the update
    d_fake: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    d_before: np.ndarray
    d_after: np.ndarray
    fake_after: np.ndarray  # the same z through the updated generator
    grad: np.ndarray  # −∂L_G/∂x at the fake points (display-scaled)
    d_loss: float  # L_D of D's first update, on the batch shown (real, fake)
    g_loss: float  # L_G of G's update, on the shown noise z (with D already updated)
    probability: bool
    d_steps: int = 1  # D updates in this step: the first on the shown batch, the others on fresh batches
    agreement: float = float("nan")  # median cosine between each shown point's move and its arrow


class GanTrainer(GenerativeModel):
    """Two networks, their optimisers and the training history, advanced a budget at a time.

    ``GanTrainer(X, cfg, seed)`` is ready to train on X; ``GanTrainer(cfg=cfg, seed=seed).fit(X, budget=…)``
    is the same through the contract. ``ring_centres`` / ``quality_radius`` (optional) turn on the
    modes-covered counter. One step is ``d_steps`` D updates and one G update; ``train_players``
    also steps D or G alone.
    """

    capabilities = Capabilities(density=None)  # a GAN has no density: only samples

    def __init__(self, X: np.ndarray | None = None, cfg: GanConfig = GanConfig(), seed: int = 0, *,
                 ring_centres: np.ndarray | None = None, quality_radius: float | None = None, log_every: int = 10,
                 eval_every: int = 100, eval_n: int = 512, frame_every: int = 25) -> None:
        self.cfg = cfg.check()
        self.seed = int(seed)
        self.ring_centres = ring_centres
        self.quality_radius = quality_radius
        self.log_every, self.eval_every, self.frame_every = log_every, eval_every, frame_every
        self.eval_n = eval_n
        self.gen = torch_generator(self.seed + 1)
        self.G, self.D = build_networks(cfg, self.seed)
        self._reset_optimizers()
        self.step_ = 0  # generator steps (or lone D/G steps)
        self.history_ = History()
        self.diverged_ = False  # a NaN appeared; the last good weights are back
        self.elapsed_ = 0.0
        # After a G-only call of ``train_players``: (step, median cosine between each view point's move and its arrow)
        self.g_agreement: tuple[int, float] | None = None
        self.slow_stages: StepStages | None = None  # the last ``slow_step``, kept for the slow-motion view
        self.pretrained: str | None = None  # the preset whose shipped run this trainer resumed (see ``load_preset``)
        fixed = torch_generator(self.seed + 2)
        self.z_view = torch.randn(MAX_POINTS_PER_FRAME, cfg.noise_dim, generator=fixed)
        self.z_eval = torch.randn(eval_n, cfg.noise_dim, generator=fixed)
        self._mode = "both"
        if X is not None:
            self._start(X)

    def _start(self, X: np.ndarray) -> None:
        X = np.asarray(X, np.float64)
        points.check_points(points.Dataset(X, np.zeros(len(X), int), "gan"), min_points=8)
        self.shift = X.mean(axis=0)
        self.scale = float(X.std(axis=0).max()) or 1.0
        self.X = X
        self.real = torch.as_tensor((X - self.shift) / self.scale, dtype=torch.float32)
        self.box = points.bounds(X)
        self.eval_real = X[as_generator(self.seed + 3).choice(len(X), size=min(self.eval_n, len(X)), replace=False)]
        self.frames: list[tuple[int, np.ndarray]] = []  # (step, fake points) for the replay
        # Sums since the last logged row, one per player: (D loss, D(real), D(fake)) and G loss, each with
        # its own count, so a window mixing "both", "d" and "g" steps averages each player over its own moves.
        self._acc_d, self._n_d = np.zeros(3), 0
        self._acc_g, self._n_g = 0.0, 0
        self._good = self._snapshot()
        self._record_frame()
        self.evaluate()

    @property
    def n_params_(self) -> int:
        """The generator's trainable numbers (D is only needed to train it)."""
        return sum(p.numel() for p in self.G.parameters())

    # ------------------------------------------------------------ state
    def _snapshot(self) -> list[torch.Tensor]:
        """A copy of every weight (cheap: the networks are tiny). Optimiser moments are not kept."""
        return [p.detach().clone() for net in (self.G, self.D) for p in net.parameters()]

    def _restore(self, snap: list[torch.Tensor]) -> None:
        """Put back the last good weights and restart both optimisers (their moments may hold NaN)."""
        with torch.no_grad():
            for p, saved in zip((p for net in (self.G, self.D) for p in net.parameters()), snap):
                p.copy_(saved)
        self._reset_optimizers()

    # The optimisers are built on their first step, not with the trainer: the first torch.optim.Adam in a
    # process imports torch._dynamo (about 3 s of CPU), and a page that only shows a trainer (its shipped run)
    # should not pay that. Moments loaded before then wait in ``_pending_moments``.
    def _reset_optimizers(self, moments: dict[str, dict[int, dict]] | None = None) -> None:
        self._opts: dict[str, torch.optim.Optimizer] = {}
        self._pending_moments = moments or {}

    def _optimizer(self, name: str) -> torch.optim.Optimizer:
        opt = self._opts.get(name)
        if opt is None:
            net, lr = (self.G, self.cfg.lr_g) if name == "opt_g" else (self.D, self.cfg.lr_d)
            opt = self._opts[name] = make_optimizer(net.parameters(), self.cfg, lr)
            slots = self._pending_moments.pop(name, None)
            if slots:
                opt.load_state_dict({"state": slots, "param_groups": opt.state_dict()["param_groups"]})
        return opt

    @property
    def opt_g(self) -> torch.optim.Optimizer:
        return self._optimizer("opt_g")

    @property
    def opt_d(self) -> torch.optim.Optimizer:
        return self._optimizer("opt_d")

    def _moments(self, name: str) -> dict[int, dict]:
        """An optimiser's per-parameter state, without building it when it has not stepped yet."""
        if name in self._opts:
            return self._opts[name].state_dict()["state"]
        return self._pending_moments.get(name, {})

    def to_data(self, x: torch.Tensor | np.ndarray) -> np.ndarray:
        x = x.detach().numpy() if isinstance(x, torch.Tensor) else x
        return np.asarray(x, np.float64) * self.scale + self.shift

    def to_model(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor((np.asarray(X) - self.shift) / self.scale, dtype=torch.float32)

    # ------------------------------------------------------------ one update of each player
    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.noise_dim, generator=self.gen)

    def _real_batch(self) -> torch.Tensor:
        idx = torch.randint(0, len(self.real), (self.cfg.batch,), generator=self.gen)
        return self.real[idx]

    def _d_update(self, z: torch.Tensor | None = None, real: torch.Tensor | None = None) -> tuple[float, float, float]:
        """One D step on the noise ``z`` and real batch ``real`` (fresh ones when not given)."""
        with torch.no_grad():
            fake = self.G(self._noise(self.cfg.batch) if z is None else z)
        if real is None:
            real = self._real_batch()
        loss, s_real, s_fake = d_loss(self.cfg, self.D, real, fake, self.gen)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        with torch.no_grad():
            return float(loss), float(d_output(self.cfg, s_real).mean()), float(d_output(self.cfg, s_fake).mean())

    def _g_update(self, z: torch.Tensor | None = None) -> float:
        """One G step on the noise ``z`` (a fresh batch when not given), D frozen."""
        for p in self.D.parameters():
            p.requires_grad_(False)
        loss = g_loss(self.cfg, self.D(self.G(self._noise(self.cfg.batch) if z is None else z)))
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        for p in self.D.parameters():
            p.requires_grad_(True)
        return float(loss.detach())

    def train_players(self, n: int = 1, mode: str = "both") -> Progress:
        """``n`` steps of both players ("both": ``d_steps`` D updates, then one G update), or of D or G alone."""
        if mode not in MODES:
            raise InputError("unknown_mode", name=mode)
        if mode == "g":  # the arrows before G moves, to compare with where the points go
            with torch.no_grad():
                before = self.G(self.z_view)
            arrows = self._g_grad(before)
        self._mode = mode
        try:
            progress = self.advance(Budget(max_steps=int(n)))
        finally:
            self._mode = "both"
        if mode == "g" and not self.diverged_:
            with torch.no_grad():
                moves = self.G(self.z_view) - before
            self.g_agreement = (self.step_, median_cosine(moves.numpy(), arrows.numpy()))
        return progress

    def _train_step(self) -> bool:
        """One step of the players ``self._mode`` names. False (weights restored) on NaN or infinity."""
        mode = self._mode
        d_l = d_r = d_f = g_l = None  # None: that player did not move in this step
        if mode in ("both", "d"):
            for _ in range(self.cfg.d_steps if mode == "both" else 1):
                d_l, d_r, d_f = self._d_update()
        if mode in ("both", "g"):
            g_l = self._g_update()
        moved = [v for v in (d_l, d_r, d_f, g_l) if v is not None]
        if not all(map(math.isfinite, moved)):
            self._restore(self._good)
            return False
        self.step_ += 1
        if d_l is not None:
            self._acc_d += (d_l, d_r, d_f)
            self._n_d += 1
        if g_l is not None:
            self._acc_g += g_l
            self._n_g += 1
        if self.step_ % self.log_every == 0:
            if not self._weights_finite():
                self._restore(self._good)
                return False
            self._log()
            self._good = self._snapshot()
        if self.step_ % self.frame_every == 0:
            self._record_frame()
        if self.step_ % self.eval_every == 0:
            self.evaluate()
        return True

    def _metrics(self) -> dict[str, float]:
        h, out = self.history_, {}
        if h.step:
            out.update(d_loss=h.d_loss[-1], g_loss=h.g_loss[-1], d_real=h.d_real[-1], d_fake=h.d_fake[-1])
        if h.eval_step:
            out.update(sw=h.sw[-1], mmd2=h.mmd2[-1])
        return out

    def _weights_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for net in (self.G, self.D) for p in net.parameters())

    def _log(self) -> None:
        """One history row: each player's means over the steps it moved in; NaN (a gap) if it did not move."""
        if not (self._n_d or self._n_g):
            return
        d_l, d_r, d_f = self._acc_d / self._n_d if self._n_d else np.full(3, np.nan)
        h = self.history_
        h.step.append(self.step_)
        h.d_loss.append(float(d_l))
        h.g_loss.append(float(self._acc_g / self._n_g) if self._n_g else float("nan"))
        h.d_real.append(float(d_r))
        h.d_fake.append(float(d_f))
        self._acc_d[:], self._n_d = 0.0, 0
        self._acc_g, self._n_g = 0.0, 0

    def _record_frame(self) -> None:
        self.frames.append((self.step_, self.sample_fixed()))
        if len(self.frames) > MAX_FRAMES:  # keep the replay bounded: drop every other frame
            self.frames = self.frames[::2]
            self.frame_every *= 2

    # ------------------------------------------------------------ evaluation
    def sample(self, n: int, seed: SeedLike = 0) -> np.ndarray:
        """``n`` new points, in data coordinates."""
        g = torch_generator(int(as_generator(seed).integers(2**31)) if not isinstance(seed, int) else seed)
        with torch.no_grad():
            return self.to_data(self.G(torch.randn(n, self.cfg.noise_dim, generator=g)))

    def sample_fixed(self) -> np.ndarray:
        with torch.no_grad():
            return self.to_data(self.G(self.z_view)).astype(np.float32)

    def evaluate(self) -> dict[str, float]:
        """Sliced Wasserstein, MMD² and (on the ring) modes covered, on a fixed noise batch."""
        with torch.no_grad():
            fake = self.to_data(self.G(self.z_eval))
        out: dict[str, float] = {}
        if np.isfinite(fake).all():
            out["sw"] = metrics.sliced_wasserstein(fake, self.eval_real, n_projections=64, seed=0)
            out["mmd2"] = metrics.mmd2(fake[:MMD_POINTS], self.eval_real[:MMD_POINTS])
            if self.ring_centres is not None:
                cov = metrics.mode_coverage(fake, self.ring_centres, self.quality_radius)
                out["modes"], out["high_quality"] = cov.covered, cov.high_quality
        h = self.history_
        h.eval_step.append(self.step_)
        h.sw.append(out.get("sw", float("nan")))
        h.mmd2.append(out.get("mmd2", float("nan")))
        h.modes.append(int(out.get("modes", -1)))
        h.high_quality.append(out.get("high_quality", float("nan")))
        return out

    def eval_sizes(self) -> dict[str, int]:
        """What ``evaluate`` measures on: every how many steps, and how many generated and real points each distance uses."""
        n_fake, n_real = len(self.z_eval), len(self.eval_real)
        return {"every": self.eval_every, "sw_fake": n_fake, "sw_real": n_real,
                "mmd_fake": min(MMD_POINTS, n_fake), "mmd_real": min(MMD_POINTS, n_real)}

    def coverage(self, n: int = 2000, seed: int = 0) -> metrics.ModeCoverage:
        if self.ring_centres is None:
            raise ValueError("no ring centres given")
        return metrics.mode_coverage(self.sample(n, seed), self.ring_centres, self.quality_radius)

    def d_on(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return d_output(self.cfg, self.D(self.to_model(X))).numpy()[:, 0]

    def _g_grad(self, fake_model: torch.Tensor, loss: str | None = None) -> torch.Tensor:
        """−∂L_G/∂x at each fake point x (model coordinates): where D's feedback pushes it
        (under ``loss``, the trainer's own by default)."""
        cfg = self.cfg if loss is None else replace(self.cfg, loss=loss)
        x = fake_model.detach().clone().requires_grad_(True)
        value = g_loss(cfg, self.D(x)) * len(x)  # per-point gradient, not divided by the batch
        grad, = torch.autograd.grad(value, x)
        return -grad

    def _pull(self, grad: torch.Tensor) -> float:
        """"Pull on G": the mean ‖∂L_G/∂x‖ per point, in data units."""
        return float(grad.norm(dim=1).mean()) / self.scale

    def pull(self, loss: str | None = None) -> float:
        """"Pull on G" on the fixed points that carry the arrows, under ``loss`` (the trainer's own by default)."""
        with torch.no_grad():
            fake_model = self.G(self.z_view[:N_ARROWS])
        return self._pull(self._g_grad(fake_model, loss))

    def _display_arrows(self, grad: torch.Tensor) -> np.ndarray:
        g = grad.numpy().astype(np.float64)
        longest = float(np.linalg.norm(g, axis=1).max()) if len(g) else 0.0
        if not np.isfinite(longest) or longest <= 0:
            return np.zeros_like(g)
        return g / longest * (self.box[1] - self.box[0]) / 8

    def manifold(self, n_lines: int = 11, n_points: int = 40, extent: float = 2.0) -> np.ndarray:
        """G applied to a grid of lines in the first two noise coordinates (the others 0)."""
        t = torch.linspace(-extent, extent, n_points)
        lines = []
        levels = torch.linspace(-extent, extent, n_lines)
        if self.cfg.noise_dim == 1:
            zs = [t[:, None]]
        else:
            zs = []
            for a in levels:
                for horizontal in (True, False):
                    z = torch.zeros(n_points, self.cfg.noise_dim)
                    z[:, 0], z[:, 1] = (t, a) if horizontal else (a, t)
                    zs.append(z)
        with torch.no_grad():
            for z in zs:
                lines.append(self.to_data(self.G(z)))
                lines.append(np.full((1, 2), np.nan))
        return np.concatenate(lines)

    def view(self, resolution: int = 60, n_arrows: int = N_ARROWS) -> GanView:
        xs, ys, pts = points.grid(self.box, resolution)
        with torch.no_grad():
            fake_model = self.G(self.z_view)
        grad = self._g_grad(fake_model[:n_arrows])
        return GanView(
            fake=self.to_data(fake_model), xs=xs, ys=ys, d_grid=self.d_on(pts).reshape(len(ys), len(xs)),
            manifold=self.manifold(), arrow_from=self.to_data(fake_model[:n_arrows]),
            arrow_dir=self._display_arrows(grad), probability=self.cfg.loss in PROBABILITY_LOSSES,
            grad_norm=self._pull(grad),
        )

    # ------------------------------------------------------------ slow motion
    def slow_step(self, n_show: int = 64, resolution: int = 40) -> StepStages | None:
        """One step ("both") with every intermediate kept, also as ``slow_stages``. None (and ``slow_stages``
        None) if it produced a NaN."""
        if self.diverged_:
            self.slow_stages = None
            return None
        cfg = self.cfg
        xs, ys, pts = points.grid(self.box, resolution)
        d_before = self.d_on(pts).reshape(len(ys), len(xs))
        z = self._noise(cfg.batch)
        real = self._real_batch()
        with torch.no_grad():
            fake = self.G(z)
            s_real, s_fake = self.D(real), self.D(fake)
        good = self._snapshot()
        ok = True
        # D's first update uses the batch shown in stages 1-3 (its loss is the one reported); further
        # D steps (d_steps > 1) draw fresh batches as in ``step``; G updates on the shown noise.
        d_l, _, _ = self._d_update(z, real)
        d_more = [self._d_update()[0] for _ in range(cfg.d_steps - 1)]
        d_after = self.d_on(pts).reshape(len(ys), len(xs))
        grad = self._g_grad(fake[:n_show])
        g_l = self._g_update(z)
        if not (all(map(math.isfinite, (d_l, *d_more, g_l))) and self._weights_finite()):
            self._restore(good)
            self.diverged_ = True
            ok = False
        with torch.no_grad():
            fake_after = self.G(z[:n_show])
        if not ok:
            self.slow_stages = None
            return None
        self.step_ += 1
        if self.step_ % self.log_every == 0:
            self._good = self._snapshot()
        zz = z[:n_show, :2].numpy() if cfg.noise_dim >= 2 else np.c_[z[:n_show, 0].numpy(), np.zeros(n_show)]
        self.slow_stages = StepStages(
            z=zz.astype(np.float64), real=self.to_data(real[:n_show]), fake=self.to_data(fake[:n_show]),
            d_real=d_output(cfg, s_real[:n_show]).numpy()[:, 0], d_fake=d_output(cfg, s_fake[:n_show]).numpy()[:, 0],
            xs=xs, ys=ys, d_before=d_before, d_after=d_after, fake_after=self.to_data(fake_after),
            grad=self._display_arrows(grad), d_loss=d_l, g_loss=g_l, probability=cfg.loss in PROBABILITY_LOSSES,
            d_steps=cfg.d_steps, agreement=median_cosine((fake_after - fake[:n_show]).numpy(), grad.numpy()),
        )
        return self.slow_stages

    # ------------------------------------------------------------ weights
    def state_tensors(self) -> dict[str, torch.Tensor]:
        """G and D weights plus the history and the replay frames, all as tensors (for engine.weights)."""
        out = {f"G.{k}": v for k, v in self.G.state_dict().items()}
        out.update({f"D.{k}": v for k, v in self.D.state_dict().items()})
        for name, values in asdict(self.history_).items():
            out[f"history.{name}"] = torch.tensor(values, dtype=torch.float64)
        out["frames.step"] = torch.tensor([s for s, _ in self.frames], dtype=torch.int64)
        out["frames.points"] = torch.from_numpy(np.stack([p for _, p in self.frames]).astype(np.float32))
        out["meta"] = torch.tensor([self.step_, self.frame_every], dtype=torch.int64)
        for name in ("opt_g", "opt_d"):  # Adam's moments: training resumes smoothly
            for i, slots in self._moments(name).items():
                for slot, value in slots.items():
                    if isinstance(value, torch.Tensor):
                        out[f"{name}.{i}.{slot}"] = value
        return out

    def load_tensors(self, state: dict[str, torch.Tensor]) -> None:
        """Inverse of :meth:`state_tensors`, optimiser moments included. Everything is copied: ``state``
        (e.g. a shipped preset every session shares) is only read."""
        self.G.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("G.")})
        self.D.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("D.")})
        self.history_ = _history_from(state)
        self.frames = [(s, p.copy()) for s, p in _frames_from(state)]
        self.step_, self.frame_every = (int(v) for v in state["meta"])
        self.g_agreement = self.slow_stages = None
        moments: dict[str, dict[int, dict]] = {}
        for key, value in state.items():
            name, _, rest = key.partition(".")
            if name in ("opt_g", "opt_d"):
                i, slot = rest.split(".", 1)
                moments.setdefault(name, {}).setdefault(int(i), {})[slot] = value.clone()
        self._reset_optimizers(moments)
        self._good = self._snapshot()

    def _weights_state(self) -> dict:
        """G and D, and the data map the generator's output goes through (its samples depend on it)."""
        out = {f"G.{k}": v for k, v in self.G.state_dict().items()}
        out.update({f"D.{k}": v for k, v in self.D.state_dict().items()})
        out["shift"], out["scale"] = torch.as_tensor(self.shift, dtype=torch.float64), torch.tensor([self.scale], dtype=torch.float64)
        return out

    def _load_weights_state(self, state: dict) -> None:
        self.G.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("G.")})
        self.D.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("D.")})
        self.shift, self.scale = state["shift"].numpy().copy(), float(state["scale"][0])
        self.real = torch.as_tensor((self.X - self.shift) / self.scale, dtype=torch.float32)
        self._restore(self._snapshot())  # fresh optimisers for the loaded weights
        self._good = self._snapshot()
        self.history_, self.frames, self.g_agreement, self.slow_stages = History(), [], None, None
        self._acc_d, self._n_d, self._acc_g, self._n_g = np.zeros(3), 0, 0.0, 0
        self.pretrained = None
        self._record_frame()
        self.evaluate()

    def load_preset(self, shipped: ShippedPreset) -> None:
        """Resume a preset's shipped run (its weights, moments, history and frames); ``pretrained`` names it."""
        self.load_tensors(shipped.tensors)
        self.pretrained = shipped.name


def _history_from(state: dict[str, torch.Tensor]) -> History:
    values = {}
    for name in asdict(History()):
        col = state[f"history.{name}"].tolist()
        values[name] = [int(v) for v in col] if name in ("step", "eval_step", "modes") else col
    return History(**values)


def _frames_from(state: dict[str, torch.Tensor]) -> list[tuple[int, np.ndarray]]:
    """The replay frames as (step, points); the arrays share memory with ``state``."""
    return [(int(s), p.numpy()) for s, p in zip(state["frames.step"], state["frames.points"])]


# ---------------------------------------------------------------- the ring, D*, and the WGAN-GP toy

RING_MIN_RADIUS = 0.2


def ring_noise(X: np.ndarray, centres: np.ndarray) -> float:
    """Estimate σ of isotropic Gaussian modes from the distance r to the nearest centre
    (r is Rayleigh-distributed, with mean σ·√(π/2))."""
    d = np.sqrt(((np.asarray(X)[:, None, :] - centres[None]) ** 2).sum(-1)).min(1)
    return float(d.mean() / math.sqrt(math.pi / 2))


def quality_radius(X: np.ndarray, centres: np.ndarray) -> float:
    """A sample is "high quality" within 4σ of a mode centre (and never less than 0.2)."""
    return max(RING_MIN_RADIUS, 4.0 * ring_noise(X, centres))


def ring_trainer(X: np.ndarray, cfg: GanConfig, seed: int = 0, **kwargs) -> GanTrainer:
    """A trainer on 8-Gaussian-ring data, with the modes-covered counter on."""
    centres = points.ring8_centres()
    return GanTrainer(X, cfg, seed, ring_centres=centres, quality_radius=quality_radius(X, centres), **kwargs)


def preset_data(seed: int = 0) -> np.ndarray:
    """The data every preset is trained on: the ring with its default noise and size."""
    return points.make_dataset("ring8", seed=seed).X


def wgan_toy_data(n: int, seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
    """The improved-WGAN paper's "8 Gaussians": centres on a circle of radius 2 (every 45°),
    σ = 0.02, everything divided by 1.414. Returns (points, centres)."""
    rng = as_generator(seed)
    s = 1 / math.sqrt(2)
    centres = np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)], float) * 2.0
    pts = centres[rng.integers(0, 8, n)] + 0.02 * rng.standard_normal((n, 2))
    return pts / 1.414, centres / 1.414


def fit_discriminator(sample_real, sample_fake, cfg: GanConfig, steps: int) -> nn.Module:
    """Train D alone against two fixed samplers (callables ``n -> (n, 2) array``), with the
    classic loss. Its optimum is D*(x) = p_data(x) / (p_data(x) + p_g(x))."""
    cfg = replace(cfg, loss="nonsat").check()
    _, D = build_networks(cfg)
    opt = make_optimizer(D.parameters(), cfg, cfg.lr_d)
    for _ in range(steps):
        real = torch.as_tensor(sample_real(cfg.batch), dtype=torch.float32)
        fake = torch.as_tensor(sample_fake(cfg.batch), dtype=torch.float32)
        loss, _, _ = d_loss(cfg, D, real, fake)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return D


# ---------------------------------------------------------------- the two classic losses' pull while D wins

# The collapse preset's networks at step 0, with D learning at the page's default rate (0.001, ten times the
# preset's) so that 200 D-only steps take it from undecided to confident.
PULL_CONFIG = replace(PRESETS["collapse"], lr_d=1e-3)
PULL_STEPS = 200


@dataclass(frozen=True)
class PullCurves:
    """"Pull on G" under the minimax and the non-saturating loss while D trains alone and G stays frozen.

    Both losses train D with the same L_D, so one run of D gives both curves: at every recorded step
    the same D is read twice. ∂L_G/∂x is −D(x)·∇s(x) under minimax and −(1 − D(x))·∇s(x) under the
    non-saturating loss: as D(G(z)) → 0 the first fades and the second keeps the whole slope of s.
    """

    step: np.ndarray  # D-only steps taken
    minimax: np.ndarray  # mean ‖∂L_G/∂x‖ (data units) on the fixed points that carry the arrows
    nonsat: np.ndarray
    d_fake: np.ndarray  # mean D(G(z)) on the same points


def pull_under_d_training(cfg: GanConfig = PULL_CONFIG, steps: int = PULL_STEPS, every: int = 5,
                          X: np.ndarray | None = None) -> PullCurves:
    """Train D alone for ``steps`` steps on the ring (or ``X``), recording both losses' pull every ``every`` steps."""
    if cfg.loss not in PROBABILITY_LOSSES:
        raise InputError("unknown_loss", name=cfg.loss)
    tr = ring_trainer(preset_data() if X is None else X, cfg, eval_every=steps + 1, frame_every=steps + 1)
    rows = []
    for done in range(steps + 1):
        if done % every == 0 or done == steps:
            rows.append((done, tr.pull("minimax"), tr.pull("nonsat"), float(tr.d_on(tr.sample_fixed()[:N_ARROWS]).mean())))
        if done < steps:
            tr.train_players(1, "d")
    step, minimax, nonsat, d_fake = (np.array(col) for col in zip(*rows))
    return PullCurves(step=step.astype(int), minimax=minimax, nonsat=nonsat, d_fake=d_fake)


PULL_FILE = "pull_curves.json"  # the default run, shipped: the page shows it without training D (or importing torch.optim)


def recipe_pull() -> weights.Document:
    pc = pull_under_d_training()
    return weights.Document(PULL_FILE, {"config": {"steps": PULL_STEPS, "lr_d": PULL_CONFIG.lr_d},
                                        **{k: v.tolist() for k, v in asdict(pc).items()}})


def shipped_pull_curves() -> PullCurves:
    """The default :func:`pull_under_d_training`, as shipped (``python -m engine.regenerate gan pull_curves.json``)."""
    doc = weights.read_document(FAMILY, PULL_FILE)
    if doc is None or doc["config"] != {"steps": PULL_STEPS, "lr_d": PULL_CONFIG.lr_d}:
        return pull_under_d_training()
    return PullCurves(step=np.array(doc["step"], int), **{k: np.array(doc[k], np.float64) for k in ("minimax", "nonsat", "d_fake")})


# ---------------------------------------------------------------- shipped weights

FAMILY = "gan"


def train_preset(name: str, steps: int = PRESET_BUDGET) -> GanTrainer:
    tr = ring_trainer(preset_data(), PRESETS[name], PRESET_SEED)
    tr.advance(Budget(max_steps=steps))
    return tr


def load_preset_state(name: str) -> tuple[dict, dict]:
    """The shipped state of a preset after its budget: (tensors, manifest entry)."""
    return weights.load(FAMILY, f"preset_{name}")


@dataclass(frozen=True, eq=False)
class ShippedPreset:
    """A preset's shipped run after its budget, read back: ``tensors`` (for :meth:`GanTrainer.load_preset`),
    its training ``history`` and its replay ``frames`` (step, generated points). Read-only: many trainers
    may start from one."""

    name: str
    tensors: dict
    history: History
    frames: list[tuple[int, np.ndarray]]

    @property
    def modes(self) -> int | None:
        """Modes covered at the run's last evaluation (None if it was not measured)."""
        modes = self.history.modes
        return modes[-1] if modes and modes[-1] >= 0 else None


def shipped_preset(name: str) -> ShippedPreset:
    """The shipped run of the preset ``name`` (see ``python -m engine.regenerate gan``)."""
    state, _ = load_preset_state(name)
    return ShippedPreset(name, state, _history_from(state), _frames_from(state))


def recipe_preset(name: str) -> weights.Trained:
    """Train one preset for its budget on the ring, from its fixed seed, and count the modes it covers."""
    t0 = time.perf_counter()
    tr = train_preset(name)
    out = {"steps": tr.step_, "diverged": tr.diverged_, "seconds": round(time.perf_counter() - t0, 1)}
    if not tr.diverged_ or tr.step_:
        cov = tr.coverage()
        out.update(modes=cov.covered, high_quality=round(cov.high_quality, 3))
    return weights.Trained(tr.state_tensors(), asdict(PRESETS[name]) | {"seed": PRESET_SEED}, out)
