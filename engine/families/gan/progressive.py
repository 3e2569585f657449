"""Progressive growing (Karras, Aila, Laine & Lehtinen 2018, ProGAN), in miniature on the 8×8 digits.

A class-conditional convolutional GAN that starts at 4×4 (the real digits average-pooled to 4×4) and
grows to 8×8 while it trains. The schedule counts minibatch steps (one D update, then one G update):

- steps 1 … ``steps_4``: the 4×4 stage; G ends in ``to_rgb_4``, D starts with ``from_rgb_4``;
- the next ``steps_fade`` steps: the fade-in. A new 8×8 block is added to both networks and blended in
  with the weight α, which rises linearly from 0 to 1 over the fade::

      α(t) = clip((t − steps_4) / steps_fade, 0, 1)       t: steps already taken

      G:  x = (1 − α) · up(to_rgb_4(h)) + α · to_rgb_8(block(h))        h: G's 4×4 features
      D:  f = (1 − α) · from_rgb_4(down(x)) + α · block_D(from_rgb_8(x))  f: D's 4×4 features

  and the real digits D sees are blended the same way: (1 − α) · up(down(x)) + α · x
  (``up``: nearest-neighbour 2× upsampling, ``down``: 2×2 average pooling);
- the last ``steps_8`` steps: the 8×8 stage, α = 1.

As in the paper: pixel-wise feature normalisation in G, a minibatch standard-deviation channel in D's
last block, Adam with β₁ = 0, and the real images faded in with the fakes. Not as in the paper: sizes
(4×4 → 8×8 instead of 4×4 → 1024×1024, tens of channels instead of 512), a few thousand steps instead of
millions of images, the non-saturating loss instead of WGAN-GP, no equalised learning rate, and a
class-conditional G (one-hot label with z) and D (a projection term), so that "recognised" has a meaning:
the evaluator (``engine.data.digits.classify``) reads the digit that was asked for.
A 4×4 image is shown and judged as 8×8 blocks of 2×2 equal pixels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from engine.core import training, weights
from engine.core.torch_setup import count_params, torch
from engine.core.torch_setup import generator as torch_generator
from engine.core.training import Budget, Callback
from engine.data import digits as digit_data
from engine.families.gan import digits as gan_digits
from engine.families.gan.digits import N_CLASSES, digit_images, to_pixels, to_unit

__all__ = ["ProConfig", "LIVE", "ProGan", "ProHistory", "ProTrainer", "alpha_at", "stage_at", "recognised", "real_reference",
           "up", "down", "train", "pretrained", "recipe", "GRID_PER_CLASS", "EVAL_PER_CLASS", "STAGES", "FAMILY", "NAME", "minibatch_std"]

nn = torch.nn
F = torch.nn.functional
GRID_PER_CLASS = 4  # snapshot grid: 4 samples of each digit, the same noise at every snapshot
EVAL_PER_CLASS = 20  # recognised rate per snapshot: 200 samples, 20 asked for each digit
STAGES = ("grow4", "fade", "grow8")  # the three parts of the schedule


@dataclass(frozen=True)
class ProConfig:
    noise_dim: int = 32
    channels: int = 32  # features of the 4×4 blocks (G and D)
    channels_8: int = 16  # features of the 8×8 blocks
    lr: float = 2e-3
    betas: tuple[float, float] = (0.0, 0.99)
    batch: int = 64
    steps_4: int = 400
    steps_fade: int = 400
    steps_8: int = 800
    snapshot_every: int = 50

    @property
    def total(self) -> int:
        return self.steps_4 + self.steps_fade + self.steps_8


LIVE = ProConfig(steps_4=150, steps_fade=150, steps_8=300, snapshot_every=25)  # the page's live run: a shorter schedule


def alpha_at(cfg: ProConfig, t: int) -> float:
    """The fade-in weight of the step taken after ``t`` steps: 0 up to the fade, 1 after it."""
    return float(min(1.0, max(0.0, (t - cfg.steps_4) / max(1, cfg.steps_fade))))


def stage_at(cfg: ProConfig, t: int) -> str:
    """Which part of the schedule the step taken after ``t`` steps belongs to."""
    if t < cfg.steps_4:
        return "grow4"
    return "fade" if t < cfg.steps_4 + cfg.steps_fade else "grow8"


def up(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour 2× upsampling: every pixel becomes a 2×2 block."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


def down(x: torch.Tensor) -> torch.Tensor:
    """2×2 average pooling (8×8 → 4×4)."""
    return F.avg_pool2d(x, 2)


def _pixel_norm(x: torch.Tensor) -> torch.Tensor:
    """ProGAN's pixel-wise feature normalisation: each pixel's feature vector to unit mean square."""
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


def minibatch_std(x: torch.Tensor) -> torch.Tensor:
    """ProGAN's minibatch standard deviation: one more channel holding the batch's mean feature spread."""
    s = x.std(dim=0, unbiased=False).mean().expand(x.shape[0], 1, *x.shape[2:])
    return torch.cat([x, s], dim=1)


class _G(nn.Module):
    def __init__(self, cfg: ProConfig) -> None:
        super().__init__()
        c, c8 = cfg.channels, cfg.channels_8
        self.c = c
        self.dense = nn.Linear(cfg.noise_dim + N_CLASSES, c * 16)
        self.conv4 = nn.Conv2d(c, c, 3, padding=1)
        self.to_rgb_4 = nn.Conv2d(c, 1, 1)
        self.block_a = nn.Conv2d(c, c8, 3, padding=1)
        self.block_b = nn.Conv2d(c8, c8, 3, padding=1)
        self.to_rgb_8 = nn.Conv2d(c8, 1, 1)

    def features(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        zc = torch.cat([_pixel_norm(z[:, :, None, None])[:, :, 0, 0], F.one_hot(labels, N_CLASSES).float()], dim=1)
        h = _pixel_norm(F.leaky_relu(self.dense(zc).view(-1, self.c, 4, 4), 0.2))
        return _pixel_norm(F.leaky_relu(self.conv4(h), 0.2))

    def rgb4(self, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.to_rgb_4(h))

    def rgb8(self, h: torch.Tensor) -> torch.Tensor:
        h = _pixel_norm(F.leaky_relu(self.block_a(up(h)), 0.2))
        h = _pixel_norm(F.leaky_relu(self.block_b(h), 0.2))
        return torch.tanh(self.to_rgb_8(h))

    def forward(self, z: torch.Tensor, labels: torch.Tensor, resolution: int, alpha: float) -> torch.Tensor:
        h = self.features(z, labels)
        if resolution == 4:
            return self.rgb4(h)
        if alpha >= 1.0:
            return self.rgb8(h)
        return (1.0 - alpha) * up(self.rgb4(h)) + alpha * self.rgb8(h)


class _D(nn.Module):
    def __init__(self, cfg: ProConfig) -> None:
        super().__init__()
        c, c8 = cfg.channels, cfg.channels_8
        self.from_rgb_8 = nn.Conv2d(1, c8, 1)
        self.block_a = nn.Conv2d(c8, c8, 3, padding=1)
        self.block_b = nn.Conv2d(c8, c, 3, padding=1)
        self.from_rgb_4 = nn.Conv2d(1, c, 1)
        self.conv4 = nn.Conv2d(c + 1, c, 3, padding=1)
        self.dense = nn.Linear(c * 16, c)
        self.out = nn.Linear(c, 1)
        self.embed = nn.Embedding(N_CLASSES, c)  # the projection term: ⟨embed(y), φ(x)⟩

    def rgb4(self, x4: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.from_rgb_4(x4), 0.2)

    def rgb8(self, x8: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.from_rgb_8(x8), 0.2)
        h = F.leaky_relu(self.block_a(h), 0.2)
        return down(F.leaky_relu(self.block_b(h), 0.2))

    def forward(self, x: torch.Tensor, labels: torch.Tensor, resolution: int, alpha: float) -> torch.Tensor:
        if resolution == 4:
            f = self.rgb4(x)
        elif alpha >= 1.0:
            f = self.rgb8(x)
        else:
            f = (1.0 - alpha) * self.rgb4(down(x)) + alpha * self.rgb8(x)
        h = F.leaky_relu(self.conv4(minibatch_std(f)), 0.2)
        phi = F.leaky_relu(self.dense(h.flatten(1)), 0.2)
        return self.out(phi)[:, 0] + (self.embed(labels) * phi).sum(1)


class ProGan:
    """The growing generator and discriminator; ``generate`` draws at a resolution and fade-in weight α."""

    def __init__(self, cfg: ProConfig, seed: int = 0) -> None:
        self.cfg = cfg
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.G, self.D = _G(cfg), _D(cfg)

    def generate(self, z: torch.Tensor, labels: torch.Tensor, resolution: int = 8, alpha: float = 1.0) -> torch.Tensor:
        """Images (n, 1, r, r) on −1…1 at resolution r (4 or 8)."""
        return self.G(z, labels, resolution, alpha)

    def sample(self, labels: np.ndarray, seed: int = 0, resolution: int = 8, alpha: float = 1.0) -> np.ndarray:
        """Digits (n, 64) on the 0…16 scale, one for each label; a 4×4 image comes back as 2×2 blocks."""
        labels_t = torch.as_tensor(np.asarray(labels, np.int64))
        z = torch.randn(len(labels_t), self.cfg.noise_dim, generator=torch_generator(seed))
        with torch.no_grad():
            x = self.generate(z, labels_t, resolution, alpha)
        return _display(x)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        out = {f"G.{k}": v for k, v in self.G.state_dict().items()}
        out.update({f"D.{k}": v for k, v in self.D.state_dict().items()})
        return out

    def load_tensors(self, state: dict[str, torch.Tensor]) -> None:
        self.G.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("G.")})
        self.D.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("D.")})


def _display(x: torch.Tensor) -> np.ndarray:
    """(n, 1, r, r) on −1…1 → (n, 64) on 0…16; a 4×4 image as 8×8 of 2×2 blocks."""
    if x.shape[-1] == 4:
        x = up(x)
    return to_pixels(x.reshape(len(x), 64).numpy())


def recognised(images: np.ndarray, labels: np.ndarray) -> float:
    """The share of ``images`` (n, 64; 0…16) the evaluator reads as the digit in ``labels``."""
    return float((digit_data.classify(images) == np.asarray(labels)).mean())


def real_reference() -> dict[str, float]:
    """The evaluator on the real validation digits at 8×8 and pooled to 4×4 (shown as 2×2 blocks)."""
    X, y = digit_data.load("val")
    x = torch.from_numpy(to_unit(X)).view(-1, 1, 8, 8)
    return {"real_8": recognised(X, y), "real_4": recognised(_display(down(x)), y)}


@dataclass
class ProHistory:
    """One row per step (losses, α, resolution), and one per snapshot (grid and recognised rate)."""

    step: list[int] = field(default_factory=list)
    alpha: list[float] = field(default_factory=list)
    resolution: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    snap_step: list[int] = field(default_factory=list)
    snap_alpha: list[float] = field(default_factory=list)
    snap_resolution: list[int] = field(default_factory=list)
    snap_recognised: list[float] = field(default_factory=list)
    grids: list[np.ndarray] = field(default_factory=list)  # (40, 64) uint8, 0…16


class ProTrainer(training.Trainer):
    """Trains the growing GAN one minibatch step at a time (one D update, then one G update).

    After step 0 and every ``snapshot_every`` steps (and at the end of each part of the schedule) it keeps a
    snapshot: the fixed-noise grid (4 of each digit) and the share of 200 fresh samples the evaluator reads as the
    digit asked for, at the resolution and α of that step. A NaN puts the last good weights back and stops.
    """

    report_every = 1
    ends_at_total = True

    def __init__(self, cfg: ProConfig, seed: int = 0) -> None:
        self.cfg = cfg
        self.model = ProGan(cfg, seed)
        self._X, y = digit_images("train")
        self._X4 = down(self._X)
        self._y = torch.from_numpy(np.array(y, np.int64))
        self.gen = torch_generator(seed + 1)
        self.opt_g = torch.optim.Adam(self.model.G.parameters(), lr=cfg.lr, betas=cfg.betas, foreach=True)
        self.opt_d = torch.optim.Adam(self.model.D.parameters(), lr=cfg.lr, betas=cfg.betas, foreach=True)
        self.history_ = ProHistory()
        self.step_, self.diverged_, self.elapsed_ = 0, False, 0.0
        g = torch_generator(seed + 7)
        self._z_grid = torch.randn(GRID_PER_CLASS * N_CLASSES, cfg.noise_dim, generator=g)
        self._l_grid = torch.arange(N_CLASSES).repeat_interleave(GRID_PER_CLASS)
        self._z_eval = torch.randn(EVAL_PER_CLASS * N_CLASSES, cfg.noise_dim, generator=g)
        self._l_eval = torch.arange(N_CLASSES).repeat_interleave(EVAL_PER_CLASS)
        self._order, self._pos = torch.randperm(len(self._X), generator=self.gen), 0
        self._good = {k: v.clone() for k, v in self.model.state_tensors().items()}
        self._snapshot(0)

    @property
    def total_steps(self) -> int:
        return self.cfg.total

    @property
    def n_params_(self) -> int:
        return count_params(self.model.G)

    @property
    def alpha(self) -> float:
        """α of the step to be taken next (after the last one: 1)."""
        return alpha_at(self.cfg, self.step_)

    @property
    def resolution(self) -> int:
        return 4 if self.step_ < self.cfg.steps_4 else 8

    @property
    def stage(self) -> str:
        return stage_at(self.cfg, min(self.step_, self.cfg.total - 1))

    def current_grid(self) -> np.ndarray:
        """The fixed-noise grid (40, 64; 0…16) at the resolution and α of the next step."""
        res = self.resolution
        with torch.no_grad():
            return _display(self.model.generate(self._z_grid, self._l_grid, res, self.alpha if res == 8 else 1.0))

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        b = self.cfg.batch
        if self._pos + b > len(self._order):
            self._order, self._pos = torch.randperm(len(self._X), generator=self.gen), 0
        idx = self._order[self._pos:self._pos + b]
        self._pos += b
        return idx, self._y[idx]

    def _reals(self, idx: torch.Tensor, resolution: int, alpha: float) -> torch.Tensor:
        if resolution == 4:
            return self._X4[idx]
        x = self._X[idx]
        return x if alpha >= 1.0 else (1.0 - alpha) * up(self._X4[idx]) + alpha * x

    def _train_step(self) -> bool:
        cfg, model, gen = self.cfg, self.model, self.gen
        t = self.step_
        res, alpha = (4 if t < cfg.steps_4 else 8), alpha_at(cfg, t)
        idx, labels = self._batch()
        real = self._reals(idx, res, alpha)
        fake_labels = torch.randint(0, N_CLASSES, (len(idx),), generator=gen)
        z = torch.randn(len(idx), cfg.noise_dim, generator=gen)
        fake = model.generate(z, fake_labels, res, alpha)
        loss_d = F.softplus(-model.D(real, labels, res, alpha)).mean() + F.softplus(model.D(fake.detach(), fake_labels, res, alpha)).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_g = F.softplus(-model.D(fake, fake_labels, res, alpha)).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        d, g_ = float(loss_d.detach()), float(loss_g.detach())
        if not training.is_finite(d, g_):
            model.load_tensors(self._good)
            return False
        self.step_ += 1
        h = self.history_
        h.step.append(self.step_)
        h.alpha.append(alpha)
        h.resolution.append(res)
        h.d_loss.append(d)
        h.g_loss.append(g_)
        s = self.step_
        boundary = s in (cfg.steps_4, cfg.steps_4 + cfg.steps_fade, cfg.total)
        if s % cfg.snapshot_every == 0 or boundary:
            self._good = {k: v.clone() for k, v in model.state_tensors().items()}
            with self._untimed():
                self._snapshot(s)
        return True

    def _snapshot(self, s: int) -> None:
        """The grid and the recognised rate at the resolution and α of the step just taken (step 0: the 4×4 start)."""
        cfg, h = self.cfg, self.history_
        res = 4 if s <= cfg.steps_4 else 8
        alpha = 1.0 if s <= cfg.steps_4 else alpha_at(cfg, s)  # what the next step will use (1 at the end)
        with torch.no_grad():
            grid = _display(self.model.generate(self._z_grid, self._l_grid, res, alpha))
            samples = _display(self.model.generate(self._z_eval, self._l_eval, res, alpha))
        h.snap_step.append(s)
        h.snap_alpha.append(alpha if res == 8 else 0.0)
        h.snap_resolution.append(res)
        h.snap_recognised.append(recognised(samples, self._l_eval.numpy()))
        h.grids.append(np.rint(grid).astype(np.uint8))

    def _metrics(self) -> dict[str, float]:
        h = self.history_
        out = {"resolution": float(self.resolution), "alpha": self.alpha, "stage": float(STAGES.index(self.stage))}
        if h.step:
            out.update(d_loss=h.d_loss[-1], g_loss=h.g_loss[-1])
        if h.snap_step:
            out["recognised"] = h.snap_recognised[-1]
        return out


def train(cfg: ProConfig, seed: int = 0, steps: int | None = None, callback: Callback | None = None) -> ProTrainer:
    """Train through the whole schedule (or ``steps`` of it); the trainer holds ``model`` and ``history_``."""
    tr = ProTrainer(cfg, seed)
    tr.advance(Budget(max_steps=steps or cfg.total), callback)
    return tr


# ---------------------------------------------------------------- history as tensors, shipped weights

_INT = ("step", "resolution", "snap_step", "snap_resolution")


def _history_tensors(h: ProHistory) -> dict[str, torch.Tensor]:
    # float32 is exact for the steps and resolutions; it keeps the file under 300 kB
    return gan_digits.history_tensors(h, torch.float32)


def _history_from_tensors(state: dict[str, torch.Tensor]) -> ProHistory:
    return gan_digits.history_from_tensors(state, ProHistory, _INT)


FAMILY = "gan"
NAME = "progressive"


def pretrained() -> tuple[ProGan, ProHistory, dict]:
    """The shipped growing GAN after its whole schedule (G only, for inference), its history and its metrics."""
    state, entry = weights.load(FAMILY, NAME)
    fields = {k: v for k, v in entry["config"].items() if k in ProConfig.__dataclass_fields__}
    model = ProGan(ProConfig(**{**fields, "betas": tuple(fields["betas"])}))
    model.G.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("G.")})
    model.G.eval()
    return model, _history_from_tensors(state), entry["metrics"]


def recipe(seed: int = 0) -> weights.Trained:
    """Train the shipped growing GAN from its fixed seed; it ships G, the per-step history and the snapshots."""
    cfg = ProConfig()
    tr = train(cfg, seed)
    state = {k: v for k, v in tr.model.state_tensors().items() if k.startswith("G.")}
    state.update(_history_tensors(tr.history_))
    labels = np.repeat(np.arange(N_CLASSES), 50)
    final = recognised(tr.model.sample(labels, seed=123), labels)
    metrics = {"recognised": round(final, 4), "alpha": tr.history_.alpha[-1], "resolution": tr.history_.resolution[-1],
               **{k: round(v, 4) for k, v in real_reference().items()}}
    return weights.Trained(state, asdict(cfg) | {"seed": seed}, metrics)
