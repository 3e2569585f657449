"""StyleGAN's ideas (Karras, Laine & Aila 2019), in miniature on the 8×8 digits: a mapping network and style mixing.

- A mapping network, a small MLP, turns the noise z into a style code w: ``w = mapping(z)``.
- The synthesis network starts from a learned constant 4×4 input (not from z), and every one of its four layers
  is modulated by w through adaptive instance normalisation (AdaIN)::

      AdaIN(x, w) = γ(w) · (x − μ(x)) / σ(x) + β(w)

  with μ and σ each channel's mean and standard deviation over its pixels and (γ, β) = A(w) a learned affine map
  of w, one per layer. Two layers work at 4×4 (the **coarse** layers), two at 8×8 after an upsampling (the **fine**
  layers), then a 1×1 convolution and tanh make the grey image.
- Style mixing: the coarse layers take w₁ = mapping(z₁), the fine layers w₂ = mapping(z₂). Training already mixes
  (mixing regularisation): for a share ``mix_prob`` of each batch, the two halves of the layers get the codes of two
  independent noises, so no layer can count on its neighbours sharing its code.

Not as in the paper: sizes (4×4 and 8×8 instead of 4×4 … 1024×1024; 32 features instead of 512; w of 32 numbers
instead of 512, a mapping of 3 layers instead of 8), no per-pixel noise inputs, no progressive growing (trained at
8×8 from the start, as StyleGAN2 does), no truncation in w, the non-saturating loss without R1 regularisation.

``mixing`` measures whether mixing is honest here: the evaluator (``engine.data.digits.classify``) reads the digit
of the two sources and of the mixed image; on pairs whose sources are different digits it counts how often the
mixed image is the coarse source's digit and how often the fine source's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from engine.core import training, weights
from engine.core.torch_setup import count_params, torch
from engine.core.torch_setup import generator as torch_generator
from engine.core.training import Budget, Callback
from engine.data import digits as digit_data
from engine.families.gan.digits import digit_images, to_pixels
from engine.families.gan.progressive import minibatch_std

__all__ = ["StyleConfig", "StyleGan", "StyleTrainer", "Mixing", "mixing", "train", "pretrained", "recipe", "NAME", "FAMILY"]

nn = torch.nn
F = torch.nn.functional


@dataclass(frozen=True)
class StyleConfig:
    noise_dim: int = 32
    w_dim: int = 32
    mapping_layers: int = 3
    channels: int = 32
    lr: float = 2e-3
    mapping_lr: float = 2e-4  # the paper's 100× lower rate for the mapping network, softened
    betas: tuple[float, float] = (0.0, 0.99)
    batch: int = 64
    steps: int = 1600
    mix_prob: float = 0.9


class _AdaIN(nn.Module):
    """Instance normalisation of x, then each channel scaled by γ(w) and shifted by β(w)."""

    def __init__(self, w_dim: int, channels: int) -> None:
        super().__init__()
        self.affine = nn.Linear(w_dim, 2 * channels)
        with torch.no_grad():  # start as the identity style: γ = 1, β = 0
            self.affine.bias[:channels].fill_(1.0)
            self.affine.bias[channels:].zero_()

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.affine(w).chunk(2, dim=1)
        mu = x.mean(dim=(2, 3), keepdim=True)
        sigma = x.std(dim=(2, 3), keepdim=True, unbiased=False) + 1e-5
        return gamma[:, :, None, None] * (x - mu) / sigma + beta[:, :, None, None]


class _Synthesis(nn.Module):
    def __init__(self, cfg: StyleConfig) -> None:
        super().__init__()
        c = cfg.channels
        self.const = nn.Parameter(torch.randn(1, c, 4, 4))
        self.ada = nn.ModuleList(_AdaIN(cfg.w_dim, c) for _ in range(4))
        self.conv4 = nn.Conv2d(c, c, 3, padding=1)
        self.conv8a = nn.Conv2d(c, c, 3, padding=1)
        self.conv8b = nn.Conv2d(c, c, 3, padding=1)
        self.to_rgb = nn.Conv2d(c, 1, 1)

    def forward(self, w_coarse: torch.Tensor, w_fine: torch.Tensor) -> torch.Tensor:
        x = self.const.expand(len(w_coarse), -1, -1, -1)
        x = self.ada[0](x, w_coarse)  # coarse: 4×4
        x = self.ada[1](F.leaky_relu(self.conv4(x), 0.2), w_coarse)
        x = F.interpolate(x, scale_factor=2, mode="nearest")  # fine: 8×8
        x = self.ada[2](F.leaky_relu(self.conv8a(x), 0.2), w_fine)
        x = self.ada[3](F.leaky_relu(self.conv8b(x), 0.2), w_fine)
        return torch.tanh(self.to_rgb(x))


class _D(nn.Module):
    """ProGAN's discriminator at 8×8: two 3×3 convolutions, a 2×2 average, the minibatch standard deviation channel,
    a 3×3 convolution and two dense layers."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.block8 = nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(c, c, 3, padding=1), nn.LeakyReLU(0.2),
                                    nn.AvgPool2d(2))
        self.block4 = nn.Sequential(nn.Conv2d(c + 1, c, 3, padding=1), nn.LeakyReLU(0.2), nn.Flatten(),
                                    nn.Linear(c * 16, c), nn.LeakyReLU(0.2), nn.Linear(c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block4(minibatch_std(self.block8(x)))[:, 0]


def _pixel_norm(z: torch.Tensor) -> torch.Tensor:
    return z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class StyleGan:
    """Mapping z → w, synthesis from a constant modulated by w, and a discriminator."""

    def __init__(self, cfg: StyleConfig, seed: int = 0) -> None:
        self.cfg = cfg
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            layers, d = [], cfg.noise_dim
            for _ in range(cfg.mapping_layers):
                layers += [nn.Linear(d, cfg.w_dim), nn.LeakyReLU(0.2)]
                d = cfg.w_dim
            self.mapping = nn.Sequential(*layers)
            self.synthesis = _Synthesis(cfg)
            self.D = _D(cfg.channels)

    def w(self, z: torch.Tensor) -> torch.Tensor:
        """The style code w = mapping(z) (z normalised to unit mean square first, as in the paper)."""
        return self.mapping(_pixel_norm(z))

    def generate(self, z_coarse: torch.Tensor, z_fine: torch.Tensor | None = None) -> torch.Tensor:
        """Images (n, 1, 8, 8) on −1…1: the coarse layers styled by z_coarse's w, the fine ones by z_fine's (default: the same)."""
        w_c = self.w(z_coarse)
        return self.synthesis(w_c, w_c if z_fine is None else self.w(z_fine))

    def noise(self, n: int, seed: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.noise_dim, generator=torch_generator(seed))

    def mix(self, z_coarse: torch.Tensor, z_fine: torch.Tensor) -> np.ndarray:
        """Digits (n, 64) on 0…16 for every pair: row i, coarse code i and fine code i."""
        with torch.no_grad():
            return to_pixels(self.generate(z_coarse, z_fine).reshape(len(z_coarse), 64).numpy())

    def grid(self, z_rows: torch.Tensor, z_cols: torch.Tensor) -> np.ndarray:
        """(rows, cols, 64): cell (i, j) has the coarse layers from row code i and the fine layers from column code j."""
        r, c = len(z_rows), len(z_cols)
        out = self.mix(z_rows.repeat_interleave(c, 0), z_cols.repeat(r, 1))
        return out.reshape(r, c, 64)

    @property
    def generator_modules(self) -> list:
        return [self.mapping, self.synthesis]

    def state_tensors(self) -> dict[str, torch.Tensor]:
        out = {f"M.{k}": v for k, v in self.mapping.state_dict().items()}
        out.update({f"S.{k}": v for k, v in self.synthesis.state_dict().items()})
        out.update({f"D.{k}": v for k, v in self.D.state_dict().items()})
        return out

    def load_tensors(self, state: dict[str, torch.Tensor]) -> None:
        for prefix, module in (("M.", self.mapping), ("S.", self.synthesis), ("D.", self.D)):
            part = {k[2:]: v for k, v in state.items() if k.startswith(prefix)}
            if part:
                module.load_state_dict(part)


class StyleTrainer(training.Trainer):
    """Trains the style GAN one minibatch step at a time (one D update, then one G update), with mixing regularisation."""

    report_every = 50
    ends_at_total = True

    def __init__(self, cfg: StyleConfig, seed: int = 0) -> None:
        self.cfg = cfg
        self.model = StyleGan(cfg, seed)
        self._X = digit_images("train")[0]
        self.gen = torch_generator(seed + 1)
        m = self.model
        self.opt_g = torch.optim.Adam([{"params": m.synthesis.parameters()}, {"params": m.mapping.parameters(), "lr": cfg.mapping_lr}],
                                      lr=cfg.lr, betas=cfg.betas, foreach=True)
        self.opt_d = torch.optim.Adam(m.D.parameters(), lr=cfg.lr, betas=cfg.betas, foreach=True)
        self.history_ = {"step": [], "d_loss": [], "g_loss": []}
        self.step_, self.diverged_, self.elapsed_ = 0, False, 0.0
        self._good = {k: v.clone() for k, v in m.state_tensors().items()}

    @property
    def total_steps(self) -> int:
        return self.cfg.steps

    @property
    def n_params_(self) -> int:
        return count_params(*self.model.generator_modules)

    def _fake(self, n: int) -> torch.Tensor:
        cfg, gen = self.cfg, self.gen
        z1 = torch.randn(n, cfg.noise_dim, generator=gen)
        z2 = torch.randn(n, cfg.noise_dim, generator=gen)
        mixed = torch.rand(n, generator=gen) < cfg.mix_prob
        z2 = torch.where(mixed[:, None], z2, z1)
        return self.model.generate(z1, z2)

    def _train_step(self) -> bool:
        cfg, model = self.cfg, self.model
        idx = torch.randint(0, len(self._X), (cfg.batch,), generator=self.gen)
        real = self._X[idx]
        fake = self._fake(cfg.batch)
        loss_d = F.softplus(-model.D(real)).mean() + F.softplus(model.D(fake.detach())).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_g = F.softplus(-model.D(fake)).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        d, g_ = float(loss_d.detach()), float(loss_g.detach())
        if not training.is_finite(d, g_):
            model.load_tensors(self._good)
            return False
        self.step_ += 1
        for k, v in (("step", self.step_), ("d_loss", d), ("g_loss", g_)):
            self.history_[k].append(v)
        if self.step_ % 100 == 0:
            self._good = {k: v.clone() for k, v in model.state_tensors().items()}
        return True

    def _metrics(self) -> dict[str, float]:
        h = self.history_
        return {"d_loss": h["d_loss"][-1], "g_loss": h["g_loss"][-1]} if h["step"] else {}


def train(cfg: StyleConfig, seed: int = 0, steps: int | None = None, callback: Callback | None = None) -> StyleTrainer:
    tr = StyleTrainer(cfg, seed)
    tr.advance(Budget(max_steps=steps or cfg.steps), callback)
    return tr


@dataclass(frozen=True)
class Mixing:
    """How the digit of a mixed image follows its two sources, on ``pairs`` pairs whose sources are different digits."""

    pairs: int  # pairs of codes whose two sources the evaluator reads as different digits
    follows_coarse: float  # share of those whose mixed image is read as the coarse source's digit
    follows_fine: float  # … as the fine source's digit
    neither: float
    chance: float  # how often a mixed digit matches the coarse digit of any pair: the chance level
    changed_by_fine: float  # mean |mixed − coarse source| per pixel, in ink (0…16): what the fine code changes
    between_sources: float  # mean |fine source − coarse source| per pixel: how far apart two samples are
    source_classes: int  # digit classes holding at least a fifth of their fair share of the sources (the GAN page's rule)


def mixing(model: StyleGan, n: int = 500, seed: int = 11) -> Mixing:
    """Mix ``n`` pairs of fresh codes and read the digits of the sources and of the mixed images."""
    z1, z2 = model.noise(n, seed), model.noise(n, seed + 1)
    a, b, mixed = model.mix(z1, z1), model.mix(z2, z2), model.mix(z1, z2)
    ya, yb, ym = (digit_data.classify(x) for x in (a, b, mixed))
    differ = ya != yb
    k = int(differ.sum())
    fc = float((ym[differ] == ya[differ]).mean()) if k else float("nan")
    ff = float((ym[differ] == yb[differ]).mean()) if k else float("nan")
    # chance: every mixed digit against the coarse digit of every pair (its own included, one in k): what "follows"
    # would give if the mixed digit had nothing to do with its own codes
    ym_d, ya_d = ym[differ], ya[differ]
    chance = float((ym_d[:, None] == ya_d[None, :]).mean()) if k else float("nan")
    counts = np.bincount(np.concatenate([ya, yb]), minlength=10)
    covered = int((counts >= 0.2 * 2 * n / 10).sum())
    return Mixing(k, fc, ff, 1.0 - fc - ff, chance, float(np.abs(mixed - a).mean()), float(np.abs(b - a).mean()), covered)


NAME = "style"
FAMILY = "gan"


def pretrained() -> tuple[StyleGan, dict]:
    """The shipped style GAN (mapping and synthesis, for inference) and its metrics."""
    state, entry = weights.load(FAMILY, NAME)
    fields = {k: v for k, v in entry["config"].items() if k in StyleConfig.__dataclass_fields__}
    model = StyleGan(StyleConfig(**{**fields, "betas": tuple(fields["betas"])}))
    model.load_tensors(state)
    for m in model.generator_modules:
        m.eval()
    return model, entry["metrics"]


def recipe(seed: int = 0) -> weights.Trained:
    cfg = StyleConfig()
    tr = train(cfg, seed)
    state = {k: v for k, v in tr.model.state_tensors().items() if not k.startswith("D.")}
    mx = mixing(tr.model)
    metrics = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(mx).items()}
    return weights.Trained(state, asdict(cfg) | {"seed": seed}, metrics)
