"""A small MLP GAN on the 8×8 digits, plain or class-conditional (the GAN page's second half).

The generator maps noise z (and, when conditional, a one-hot digit label) to 64 pixels
through ``tanh``; the discriminator sees 64 pixels (and the same label) and outputs a
logit. Both are trained with the non-saturating loss. Pixels are rescaled from 0..16 to
−1..1 for training and back for display and for ``engine.digits.classify``.

Training keeps, per epoch, a fixed-noise grid of generated digits and the same curves
as the 2D GAN: D and G losses, mean D(real) and D(fake), the sliced Wasserstein distance to
the validation digits, and "digits covered" — the digit-world cousin of modes covered:
how many of the 10 classes the evaluator finds among the samples.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from engine import metrics
from engine.core import training, weights
from engine.core.errors import InputError
from engine.core.torch_setup import RngState, count_params, torch
from engine.core.torch_setup import generator as torch_generator
from engine.core.training import Budget, Callback
from engine.data import digits

__all__ = ["N_CLASSES", "GRID_PER_CLASS", "DigitsGanConfig", "to_unit", "to_pixels", "digit_images", "DigitsGan", "DigitsHistory",
           "evaluate", "DigitsGanTrainer", "train", "history_tensors", "history_from_tensors", "FAMILY", "pretrained",
           "recipe"]

nn = torch.nn
F = torch.nn.functional
N_CLASSES = 10
GRID_PER_CLASS = 4  # snapshot grid: 4 samples of each digit (conditional) or 40 samples (plain)


@dataclass(frozen=True)
class DigitsGanConfig:
    conditional: bool = False
    noise_dim: int = 32
    width: int = 256
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    batch: int = 32
    epochs: int = 100
    d_dropout: float = 0.3  # dropout in D's hidden layers: keeps D from memorising 1,000 digits
    d_width: int = 256


def to_unit(pixels: np.ndarray) -> np.ndarray:
    """0..16 → −1..1."""
    return np.asarray(pixels, np.float32) / 8.0 - 1.0


def digit_images(split: str) -> tuple[torch.Tensor, np.ndarray]:
    """One split of the digits as images for the conv GANs: (n, 1, 8, 8) in −1..1, and their labels."""
    X, y = digits.load(split)
    return torch.from_numpy(to_unit(X)).view(-1, 1, 8, 8), y


def to_pixels(x: np.ndarray) -> np.ndarray:
    """−1..1 → 0..16."""
    return np.clip((np.asarray(x, np.float32) + 1.0) * 8.0, 0.0, 16.0)


class DigitsGan:
    """Generator and discriminator for 8×8 digits; ``sample`` returns images on the 0..16 scale."""

    def __init__(self, cfg: DigitsGanConfig, seed: int = 0) -> None:
        self.cfg = cfg
        c = N_CLASSES if cfg.conditional else 0
        w = cfg.width
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.G = nn.Sequential(nn.Linear(cfg.noise_dim + c, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(), nn.Linear(w, 64), nn.Tanh())
            dw, p = cfg.d_width, cfg.d_dropout
            self.D = nn.Sequential(nn.Linear(64 + c, dw), nn.LeakyReLU(0.2), nn.Dropout(p),
                                   nn.Linear(dw, dw), nn.LeakyReLU(0.2), nn.Dropout(p), nn.Linear(dw, 1))

    def _cond(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if not self.cfg.conditional:
            return x
        return torch.cat([x, F.one_hot(labels, N_CLASSES).float()], dim=1)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.G(self._cond(z, labels))

    def logit(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """D's raw output s(x); D(x) = sigmoid(s(x)) is its probability that x is real."""
        return self.D(self._cond(x, labels))

    def sample(self, n: int, label: int | None = None, seed: int = 0) -> np.ndarray:
        """``n`` digits (n, 64) on the 0..16 scale; ``label`` picks the digit of a conditional GAN."""
        if self.cfg.conditional:
            if label is None or not 0 <= int(label) < N_CLASSES:
                raise InputError("bad_digit", digit=label)
            labels = torch.full((n,), int(label), dtype=torch.int64)
        else:
            labels = None
        g = torch_generator(seed)
        with torch.no_grad():
            return to_pixels(self.generate(torch.randn(n, self.cfg.noise_dim, generator=g), labels).numpy())

    def state_tensors(self) -> dict[str, torch.Tensor]:
        out = {f"G.{k}": v for k, v in self.G.state_dict().items()}
        out.update({f"D.{k}": v for k, v in self.D.state_dict().items()})
        return out

    def load_tensors(self, state: dict[str, torch.Tensor]) -> None:
        self.G.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("G.")})
        self.D.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("D.")})


@dataclass
class DigitsHistory:
    """One row per epoch, plus the fixed-noise snapshot grid (uint8 pixels 0..16) of that epoch."""

    epoch: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    sw: list[float] = field(default_factory=list)
    classes_covered: list[int] = field(default_factory=list)
    label_accuracy: list[float] = field(default_factory=list)  # conditional only: evaluator agrees with the label
    grids: list[np.ndarray] = field(default_factory=list)


def evaluate(model: DigitsGan, n_per_class: int = 50, seed: int = 123) -> dict[str, float]:
    """Distance to the validation digits, classes the evaluator finds, and (conditional) label accuracy."""
    X_val, _ = digits.load("val")
    if model.cfg.conditional:
        samples = np.concatenate([model.sample(n_per_class, k, seed + k) for k in range(N_CLASSES)])
        wanted = np.repeat(np.arange(N_CLASSES), n_per_class)
    else:
        samples, wanted = model.sample(n_per_class * N_CLASSES, None, seed), None
    predicted = digits.classify(samples)
    counts = np.bincount(predicted, minlength=N_CLASSES)
    out = {
        "sw": metrics.sliced_wasserstein(samples / 16.0, X_val / 16.0, n_projections=64, seed=0),
        "classes_covered": int((counts >= 0.2 * len(samples) / N_CLASSES).sum()),
        "label_accuracy": float((predicted == wanted).mean()) if wanted is not None else float("nan"),
    }
    return out


def _grid_noise(cfg: DigitsGanConfig, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    n = GRID_PER_CLASS * N_CLASSES
    z = torch.randn(n, cfg.noise_dim, generator=torch_generator(seed + 7))
    labels = torch.arange(N_CLASSES).repeat_interleave(GRID_PER_CLASS) if cfg.conditional else None
    return z, labels


class DigitsGanTrainer(training.Trainer):
    """Trains a digits GAN one epoch per step (a pass over the 1,000 training digits, non-saturating loss).

    Every epoch adds a row to ``history_`` (losses, mean D(real) and D(fake), distance to the
    validation digits, digits covered) and a fixed-noise snapshot grid. NaN stops training, and
    the last good epoch's weights are kept. D's dropout draws from the trainer's own generator
    state (torch seeds its global generator at random in every process), so a seed repeats a run.
    """

    report_every = 1  # the callback sees every epoch

    def __init__(self, cfg: DigitsGanConfig, seed: int = 0) -> None:
        self.cfg = cfg
        self.model = DigitsGan(cfg, seed)
        X, y = digits.load("train")
        self._X = torch.from_numpy(to_unit(X))
        self._y = torch.from_numpy(np.array(y, np.int64))
        self.gen = torch_generator(seed + 1)
        self.opt_g = torch.optim.Adam(self.model.G.parameters(), lr=cfg.lr, betas=cfg.betas, foreach=True)
        self.opt_d = torch.optim.Adam(self.model.D.parameters(), lr=cfg.lr, betas=cfg.betas, foreach=True)
        self.history_ = DigitsHistory()
        self.step_, self.diverged_, self.elapsed_ = 0, False, 0.0
        self._z_grid, self._l_grid = _grid_noise(cfg, seed)
        self._good = {k: v.clone() for k, v in self.model.state_tensors().items()}
        self._rng = RngState(seed + 2)  # D's dropout draws from the trainer's own generator state

    ends_at_total = True  # advance stops after cfg.epochs epochs

    @property
    def total_steps(self) -> int:
        return self.cfg.epochs

    def _training(self):
        return self._rng.active()

    @property
    def n_params_(self) -> int:
        return count_params(self.model.G)

    def _train_step(self) -> bool:
        cfg, model, X, y, gen = self.cfg, self.model, self._X, self._y, self.gen
        order = torch.randperm(len(X), generator=gen)
        sums = np.zeros(4)
        n_batches = 0
        for start in range(0, len(X) - cfg.batch + 1, cfg.batch):
            idx = order[start:start + cfg.batch]
            real, labels = X[idx], y[idx]
            fake_labels = torch.randint(0, N_CLASSES, (len(idx),), generator=gen)
            z = torch.randn(len(idx), cfg.noise_dim, generator=gen)
            fake = model.generate(z, fake_labels if cfg.conditional else None)
            s_real = model.logit(real, labels if cfg.conditional else None)
            s_fake = model.logit(fake.detach(), fake_labels if cfg.conditional else None)
            loss_d = F.softplus(-s_real).mean() + F.softplus(s_fake).mean()
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            loss_g = F.softplus(-model.logit(fake, fake_labels if cfg.conditional else None)).mean()
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g.step()
            with torch.no_grad():
                sums += [float(loss_d), float(loss_g), float(torch.sigmoid(s_real).mean()), float(torch.sigmoid(s_fake).mean())]
            n_batches += 1
        if not np.isfinite(sums).all():
            model.load_tensors(self._good)
            return False
        self._good = {k: v.clone() for k, v in model.state_tensors().items()}
        self.step_ += 1
        row = dict(zip(("d_loss", "g_loss", "d_real", "d_fake"), sums / max(n_batches, 1)))
        row.update(evaluate(model, n_per_class=20))
        hist = self.history_
        hist.epoch.append(self.step_)
        for k, v in row.items():
            getattr(hist, k).append(v)
        with torch.no_grad():
            hist.grids.append(np.rint(to_pixels(model.generate(self._z_grid, self._l_grid).numpy())).astype(np.uint8))
        return True

    def _metrics(self) -> dict[str, float]:
        h = self.history_
        names = ("d_loss", "g_loss", "d_real", "d_fake", "sw", "classes_covered", "label_accuracy")
        return {k: getattr(h, k)[-1] for k in names} if h.epoch else {}


def train(cfg: DigitsGanConfig, seed: int = 0, epochs: int | None = None, callback: Callback | None = None) -> DigitsGanTrainer:
    """Train for ``epochs`` (default ``cfg.epochs``) passes over the 1,000 training digits; the trainer
    holds ``model`` and ``history_``. The callback sees a Progress after every epoch (False stops)."""
    tr = DigitsGanTrainer(cfg, seed)
    tr.advance(Budget(max_steps=epochs or cfg.epochs), callback)
    return tr


def history_tensors(hist, dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
    """A training history dataclass (lists of numbers, plus ``grids``: a list of arrays) as tensors for a weights file."""
    out = {f"history.{k}": torch.tensor(v, dtype=dtype) for k, v in asdict(hist).items() if k != "grids"}
    out["history.grids"] = torch.from_numpy(np.stack(hist.grids))
    return out


def history_from_tensors(state: dict[str, torch.Tensor], cls=DigitsHistory, ints: tuple[str, ...] = ("epoch", "classes_covered")):
    """Inverse of :func:`history_tensors` for the dataclass ``cls``; the fields in ``ints`` come back as ints."""
    values = {}
    for name in cls.__dataclass_fields__:
        if name == "grids":
            values[name] = list(state["history.grids"].numpy())
        else:
            col = state[f"history.{name}"].tolist()
            values[name] = [int(v) for v in col] if name in ints else col
    return cls(**values)


# ---------------------------------------------------------------- shipped weights

FAMILY = "gan"


def pretrained(conditional: bool) -> tuple[DigitsGan, DigitsHistory, dict]:
    """The shipped digits GAN (generator only, for inference), its training history and its metrics."""
    state, entry = weights.load(FAMILY, "digits_conditional" if conditional else "digits")
    fields = {k: v for k, v in entry["config"].items() if k in DigitsGanConfig.__dataclass_fields__}
    model = DigitsGan(DigitsGanConfig(**{**fields, "betas": tuple(fields["betas"])}))
    model.G.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("G.")})
    model.G.eval()
    return model, history_from_tensors(state), entry["metrics"]


def recipe(conditional: bool, seed: int = 0) -> weights.Trained:
    """Train a shipped digits GAN from its fixed seed; it ships G, the history and the snapshot grids."""
    cfg = DigitsGanConfig(conditional=conditional)
    tr = train(cfg, seed)
    state = {k: v for k, v in tr.model.state_tensors().items() if k.startswith("G.")}
    state.update(history_tensors(tr.history_))
    final = evaluate(tr.model)
    return weights.Trained(state, asdict(cfg) | {"seed": seed}, {k: round(float(v), 4) for k, v in final.items()})
