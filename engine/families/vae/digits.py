"""A variational autoencoder (and a small VQ-VAE) on the 8×8 digits, in PyTorch.

Pixels are integers 0..16, so the decoder outputs, for every one of the 64 pixels, a
17-way categorical distribution p(x_i | z) (logits of shape (n, 64, 17)). The loss is
the negative ELBO, in nats per image:

    −ELBO(x) = E_q[−log p(x | z)]  +  β · KL(q(z | x) ‖ N(0, I))
               └─ reconstruction ─┘    └────── KL term ───────┘

with q(z | x) = N(μ(x), diag σ²(x)) and z = μ + σ·ε, ε ~ N(0, I) (the reparameterisation
trick). Two network variants share that interface: an MLP and a small convolutional net.

Shipped weights: ``pretrained(latent_dim, beta, arch)`` loads an inference-only model
from ``assets/weights/vae/``; ``python -m engine.vae --regenerate`` retrains all of them
reproducibly and records each one's test metrics and sha256 in the manifest.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from engine import digits
from engine import weights as weights_io
from engine.errors import InputError
from engine.torch_setup import generator, torch
from engine.training import Budget, Callback, Progress, is_finite

nn = torch.nn
F = torch.nn.functional

PAGE = "vae"
N_PIX = digits.SIDE * digits.SIDE  # 64
N_LEVELS = digits.N_LEVELS  # 17
LEVELS = np.arange(N_LEVELS, dtype=np.float32)
ARCHS = ("mlp", "conv")
LATENT_DIMS = (2, 8, 16)
BETAS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # shipped for latent 2, MLP
EXPLODED = 1e4  # nats/image: 50× a uniform guess (181); a loss above this has blown up even if still finite
QUALITY_BAR = 101.0  # test −ELBO (nats/image) a from-scratch model should reach; independent pixels score 106.5


# ---------------------------------------------------------------------------- config


@dataclass(frozen=True)
class VAEConfig:
    """Every size and training knob of one VAE."""

    latent_dim: int = 2
    beta: float = 1.0
    arch: str = "mlp"  # "mlp" | "conv"
    hidden: int = 128
    lr: float = 6e-3
    batch_size: int = 100
    max_steps: int = 400
    lr_floor: float = 0.05  # cosine schedule from lr down to lr · lr_floor over max_steps
    kl_warmup: int = 200  # steps over which β ramps up linearly from 0 (0 = off); shorter lets some 2D runs collapse.
    # A run never spends more than half its max_steps warming up (see warmup_steps).
    dropout: float = 0.1  # on the hidden layers while training (the data set is small: 1,000 images)
    weight_decay: float = 0.0  # decoupled (AdamW)
    ema: float = 0.0  # if > 0: the final weights are an exponential moving average with this decay
    init_bias: bool = True  # start the decoder at the training pixels' marginals (skips a slow plateau)

    @property
    def warmup_steps(self) -> int:
        """The KL warm-up this run uses: ``kl_warmup``, but at most half of ``max_steps``, so a short
        run (say 100 steps) still reaches the chosen β and trains at it for its second half."""
        return max(0, min(self.kl_warmup, self.max_steps // 2))

    def beta_at(self, step: int) -> float:
        """The KL weight of optimiser step ``step`` (0-based): linear from β/warm-up to β, then β."""
        w = self.warmup_steps
        return self.beta * min(1.0, (step + 1) / w) if w else self.beta

    def validate(self) -> None:
        if self.arch not in ARCHS:
            raise InputError("unknown_model", name=self.arch)
        if not 1 <= self.latent_dim <= 64:
            raise InputError("bad_latent", n=self.latent_dim)
        if not (self.beta >= 0 and math.isfinite(self.beta)):
            raise InputError("bad_beta", beta=self.beta)
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise InputError("bad_lr", lr=self.lr)


# ---------------------------------------------------------------------------- networks


class MLPNet(nn.Module):
    """Encoder 64 → h → h → 2·d (μ, log σ²); decoder d → h → h → 64·17 logits."""

    def __init__(self, latent_dim: int, hidden: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(N_PIX, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 2 * latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, N_PIX * N_LEVELS),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, N_PIX, N_LEVELS)


class ConvNet(nn.Module):
    """Encoder 1×8×8 → 16×8×8 → 32×4×4 → 2·d; decoder d → 32×4×4 → 16×8×8 → 17×8×8 logits."""

    def __init__(self, latent_dim: int, hidden: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Unflatten(1, (1, digits.SIDE, digits.SIDE)),
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(32 * 4 * 4, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 32 * 4 * 4), nn.ReLU(),
            nn.Unflatten(1, (32, 4, 4)),
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, N_LEVELS, 3, padding=1),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).flatten(2).transpose(1, 2)  # (n, 17, 8, 8) → (n, 64, 17)


def build_net(config: VAEConfig) -> nn.Module:
    return (MLPNet if config.arch == "mlp" else ConvNet)(config.latent_dim, config.hidden, config.dropout)


def shapes(config: VAEConfig, batch: int = 1) -> list[tuple[str, tuple[int, ...]]]:
    """The tensor shape after each block, for the architecture diagram (computed, not typed)."""
    net = build_net(config)
    d = config.latent_dim
    out: list[tuple[str, tuple[int, ...]]] = [("x", (batch, N_PIX))]
    with torch.no_grad():
        h = torch.zeros(batch, N_PIX)
        for i, layer in enumerate(net.encoder):
            h = layer(h)
            if isinstance(layer, (nn.Linear, nn.Conv2d)) and i < len(net.encoder) - 1:
                out.append((f"enc.{type(layer).__name__}", tuple(h.shape)))
        out += [("mu", (batch, d)), ("logvar", (batch, d)), ("z", (batch, d))]
        h = torch.zeros(batch, d)
        for i, layer in enumerate(net.decoder):
            h = layer(h)
            if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)) and i < len(net.decoder) - 1:
                out.append((f"dec.{type(layer).__name__}", tuple(h.shape)))
    out.append(("logits", (batch, N_PIX, N_LEVELS)))
    return out


def n_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# ---------------------------------------------------------------------------- the math


def _prep(X: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(network input scaled to 0..1, integer pixel targets 0..16)."""
    X = np.asarray(X, np.float32).reshape(-1, N_PIX)
    targets = torch.from_numpy(np.clip(np.rint(X), 0, N_LEVELS - 1).astype(np.int64))
    return torch.from_numpy(X / (N_LEVELS - 1)), targets


def log_px_given_z(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """log p(x | z) = Σ_i log softmax(logits_i)[x_i], one value per image (nats)."""
    logp = F.log_softmax(logits, dim=-1)
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).sum(-1)


def kl_to_prior(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²), one value per image."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def _split(h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mu, logvar = h.chunk(2, dim=-1)
    return mu, logvar.clamp(-12.0, 8.0)


def loss_terms(net: nn.Module, x: torch.Tensor, targets: torch.Tensor, gen: torch.Generator):
    """(reconstruction = −log p(x|z) per image, KL per image), with one reparameterised sample."""
    mu, logvar = _split(net.encode(x))
    eps = torch.randn(mu.shape, generator=gen)
    z = mu + (0.5 * logvar).exp() * eps  # the reparameterisation trick
    recon = -log_px_given_z(net.decode(z), targets)
    return recon, kl_to_prior(mu, logvar)


@dataclass(frozen=True)
class Evaluation:
    """Per-image averages, in nats: −ELBO = recon + KL (with β = 1: it bounds −log p(x))."""

    neg_elbo: float
    recon: float
    kl: float


@torch.no_grad()
def evaluate(net: nn.Module, X: np.ndarray, n_samples: int = 8, seed: int = 0) -> Evaluation:
    """The ELBO (β = 1, the true bound) averaged over images, with ``n_samples`` z per image."""
    net.eval()
    x, t = _prep(X)
    gen = generator(seed)
    mu, logvar = _split(net.encode(x))
    std = (0.5 * logvar).exp()
    recon = torch.zeros(len(x))
    for _ in range(n_samples):
        z = mu + std * torch.randn(mu.shape, generator=gen)
        recon -= log_px_given_z(net.decode(z), t)
    recon /= n_samples
    kl = kl_to_prior(mu, logvar)
    return Evaluation(float((recon + kl).mean()), float(recon.mean()), float(kl.mean()))


@torch.no_grad()
def iwae_bound(net: nn.Module, X: np.ndarray, k: int = 16, seed: int = 0, chunk: int = 64) -> float:
    """−(IWAE bound), nats per image: −E log (1/k) Σ_j p(x, z_j) / q(z_j | x), z_j ~ q(z|x).

    k = 1 is the ELBO; the bound tightens towards log p(x) as k grows (Burda et al., 2016).
    """
    net.eval()
    x, t = _prep(X)
    gen = generator(seed)
    mu, logvar = _split(net.encode(x))
    std = (0.5 * logvar).exp()
    total = 0.0
    log2pi = math.log(2 * math.pi)
    for start in range(0, len(x), chunk):
        m, s, lv, tt = mu[start:start + chunk], std[start:start + chunk], logvar[start:start + chunk], t[start:start + chunk]
        n, d = m.shape
        eps = torch.randn((k, n, d), generator=gen)
        z = m + s * eps  # (k, n, d)
        logits = net.decode(z.reshape(k * n, d)).view(k, n, N_PIX, N_LEVELS)
        log_px = log_px_given_z(logits, tt.expand(k, n, N_PIX))
        log_pz = -0.5 * (z.pow(2) + log2pi).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + log2pi + lv).sum(-1)
        log_w = log_px + log_pz - log_qz  # (k, n)
        total += float((torch.logsumexp(log_w, 0) - math.log(k)).sum())
    return -total / len(x)


def independent_pixel_baseline(X_train: np.ndarray, X_test: np.ndarray, alpha: float = 1.0) -> float:
    """−log p(x) per image under 64 independent categoricals fitted to the training pixels."""
    tr = np.clip(np.rint(X_train), 0, N_LEVELS - 1).astype(int)
    te = np.clip(np.rint(X_test), 0, N_LEVELS - 1).astype(int)
    counts = np.stack([np.bincount(tr[:, i], minlength=N_LEVELS) for i in range(N_PIX)]) + alpha
    logp = np.log(counts / counts.sum(1, keepdims=True))
    return float(-logp[np.arange(N_PIX), te].sum(1).mean())


# ---------------------------------------------------------------------------- the model


class VAE:
    """A trained (or untrained) VAE for inference: numpy in, numpy out, pixels on 0..16."""

    def __init__(self, config: VAEConfig, net: nn.Module | None = None, seed: int = 0) -> None:
        self.config = config
        if net is None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)  # local: only this fork's state, restored on exit
                net = build_net(config)
        self.net = net.eval()

    # -- encoder
    @torch.no_grad()
    def encode(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(μ, log σ²) of q(z | x), each (n, latent_dim)."""
        mu, logvar = _split(self.net.encode(_prep(X)[0]))
        return mu.numpy(), logvar.numpy()

    def encode_mean(self, X: np.ndarray) -> np.ndarray:
        return self.encode(X)[0]

    # -- decoder
    @torch.no_grad()
    def decode_probs(self, Z: np.ndarray) -> np.ndarray:
        """p(x_i = v | z) for every pixel i and level v: (n, 64, 17)."""
        Z = torch.as_tensor(np.asarray(Z, np.float32).reshape(-1, self.config.latent_dim))
        return F.softmax(self.net.decode(Z), dim=-1).numpy()

    def decode_mean(self, Z: np.ndarray) -> np.ndarray:
        """E[x | z] on the 0..16 scale: (n, 64)."""
        return self.decode_probs(Z) @ LEVELS

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        return self.decode_mean(self.encode_mean(X))

    def sample(self, n: int, seed: int = 0, pixels: bool = False) -> np.ndarray:
        """Decode z ~ N(0, I); ``pixels=True`` also draws each pixel from its categorical."""
        rng = np.random.default_rng(seed)
        Z = rng.standard_normal((n, self.config.latent_dim)).astype(np.float32)
        if not pixels:
            return self.decode_mean(Z)
        P = self.decode_probs(Z)
        u = rng.random(P.shape[:2] + (1,))
        return (P.cumsum(-1) < u).sum(-1).clip(0, N_LEVELS - 1).astype(np.float32)

    def per_image_recon_error(self, X: np.ndarray) -> np.ndarray:
        """−log p(x | z = μ(x)) for each image (nats): the reconstruction error at the posterior mean."""
        with torch.no_grad():
            x, t = _prep(X)
            mu, _ = _split(self.net.encode(x))
            return (-log_px_given_z(self.net.decode(mu), t)).numpy()

    def evaluate(self, X: np.ndarray, n_samples: int = 8, seed: int = 0) -> Evaluation:
        return evaluate(self.net, X, n_samples, seed)

    def iwae(self, X: np.ndarray, k: int = 16, seed: int = 0) -> float:
        return iwae_bound(self.net, X, k, seed)

    def state_dict(self) -> dict:
        return {k: v.detach().clone() for k, v in self.net.state_dict().items()}


# ---------------------------------------------------------------------------- training


@dataclass
class History:
    """Per-step training curves (batch means, nats per image) and validation checkpoints."""

    step: list[int] = field(default_factory=list)
    recon: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    beta: list[float] = field(default_factory=list)  # the KL weight each step used (β ramps up during warm-up)
    val_step: list[int] = field(default_factory=list)
    val_neg_elbo: list[float] = field(default_factory=list)


@torch.no_grad()
def init_decoder_bias(net: nn.Module, targets: torch.Tensor, alpha: float = 1.0) -> None:
    """Set the decoder's output bias to log p(x_i = v) of the training pixels (smoothed).

    At the start, z carries no information yet, so the best a decoder can do is predict each
    pixel's marginal: starting there skips the phase where it learns only that.
    """
    last = net.decoder[-1]
    counts = F.one_hot(targets, N_LEVELS).sum(0).float() + alpha  # (64, 17)
    if isinstance(last, nn.Linear):
        last.bias.copy_((counts / counts.sum(-1, keepdim=True)).log().reshape(-1))
    else:  # a conv's bias is per level only: use the marginal over all pixels
        c = counts.sum(0)
        last.bias.copy_((c / c.sum()).log())


class Trainer:
    """Trains a VAE a few steps at a time, so a page can advance it inside fragment ticks.

    Adam with a cosine learning-rate schedule, minibatches drawn without replacement from a
    per-trainer torch.Generator. If the loss or a weight turns NaN/inf (or the loss explodes
    past ``EXPLODED``), training stops, ``diverged`` is set and the weights go back to the
    last good ones.
    """

    def __init__(self, config: VAEConfig, X_train: np.ndarray | None = None, seed: int = 0) -> None:
        config.validate()
        self.config = config
        self.seed = seed
        if X_train is None:
            X_train = digits.load("train")[0]
        self.x, self.t = _prep(X_train)
        self.model = VAE(config, seed=seed)
        self.net = self.model.net
        if config.init_bias:
            init_decoder_bias(self.net, self.t)
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.gen = generator(seed + 1)
        self.step = 0
        self.history = History()
        self.diverged = False
        self._order = torch.empty(0, dtype=torch.long)
        self._pos = 0
        self._good = self.model.state_dict()
        self._ema = [p.detach().clone() for p in self.net.parameters()] if config.ema > 0 else None
        self.elapsed = 0.0
        # dropout draws from torch's global generator: give this trainer its own state,
        # swapped in only while it steps (fork_rng restores the global one afterwards)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 2)
            self._rng_state = torch.get_rng_state()

    @property
    def done(self) -> bool:
        return self.diverged or self.step >= self.config.max_steps

    def _lr(self) -> float:
        c = self.config
        frac = min(1.0, self.step / max(1, c.max_steps))
        return c.lr * (c.lr_floor + (1 - c.lr_floor) * 0.5 * (1 + math.cos(math.pi * frac)))

    def _batch(self) -> torch.Tensor:
        if self._pos + self.config.batch_size > len(self._order):
            self._order = torch.randperm(len(self.x), generator=self.gen)
            self._pos = 0
        idx = self._order[self._pos:self._pos + self.config.batch_size]
        self._pos += self.config.batch_size
        return idx

    def advance(self, n_steps: int) -> bool:
        """Run up to ``n_steps`` steps; returns False if training diverged."""
        start = time.perf_counter()
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self._rng_state)
            self._advance(n_steps)
            self._rng_state = torch.get_rng_state()
        self.net.eval()
        self.elapsed += time.perf_counter() - start
        return not self.diverged

    def _advance(self, n_steps: int) -> None:
        c = self.config
        self.net.train()
        for _ in range(n_steps):
            if self.done:
                break
            idx = self._batch()
            for g in self.opt.param_groups:
                g["lr"] = self._lr()
            recon, kl = loss_terms(self.net, self.x[idx], self.t[idx], self.gen)
            beta = c.beta_at(self.step)
            r, k = recon.mean(), kl.mean()
            loss = r + beta * k
            value = float(loss.detach())
            if not is_finite(value) or value > EXPLODED:
                self._diverge()
                break
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.step += 1
            if self._ema is not None:
                with torch.no_grad():
                    torch._foreach_lerp_(self._ema, [p.detach() for p in self.net.parameters()], 1.0 - c.ema)
            self.history.step.append(self.step)
            self.history.recon.append(float(r.detach()))
            self.history.kl.append(float(k.detach()))
            self.history.beta.append(beta)
            if self.step % 50 == 0 or self.done:
                if not all(torch.isfinite(p).all() for p in self.net.parameters()):
                    self._diverge()
                    break
                self._good = self.model.state_dict()
            if self.step >= c.max_steps and self._ema is not None:
                with torch.no_grad():  # training is over: keep the averaged weights
                    for p, a in zip(self.net.parameters(), self._ema):
                        p.copy_(a)
                self._good = self.model.state_dict()

    def _diverge(self) -> None:
        self.diverged = True
        self.net.load_state_dict(self._good)
        self.net.eval()

    def run(self, budget: Budget | None = None, callback: Callback | None = None, X_val: np.ndarray | None = None,
            every: int = 50) -> VAE:
        """Train until ``max_steps`` (or the budget); optional validation −ELBO every ``every`` steps."""
        start = time.perf_counter()
        while not self.done:
            if budget is not None:
                if budget.max_steps is not None and self.step >= budget.max_steps:
                    break
                if budget.max_seconds is not None and time.perf_counter() - start >= budget.max_seconds:
                    break
            self.advance(every)
            metrics = {"recon": self.history.recon[-1], "kl": self.history.kl[-1]} if self.history.recon else {}
            if X_val is not None and not self.diverged:
                v = evaluate(self.net, X_val, n_samples=1, seed=self.step).neg_elbo
                self.history.val_step.append(self.step)
                self.history.val_neg_elbo.append(v)
                metrics["val_neg_elbo"] = v
            if callback is not None:
                keep = callback(Progress(self.step, self.config.max_steps, time.perf_counter() - start, metrics))
                if keep is False:
                    break
        return self.model


def fit(config: VAEConfig, seed: int = 0, X_train: np.ndarray | None = None, budget: Budget | None = None,
        callback: Callback | None = None) -> tuple[VAE, History, bool]:
    """Train a VAE from scratch; returns (model, history, diverged)."""
    tr = Trainer(config, X_train, seed)
    tr.run(budget, callback)
    return tr.model, tr.history, tr.diverged


# ---------------------------------------------------------------------------- interpolation


def lerp(z0: np.ndarray, z1: np.ndarray, n: int) -> np.ndarray:
    """Straight line z(t) = (1 − t)·z₀ + t·z₁ for t in [0, 1], n points."""
    ts = np.linspace(0.0, 1.0, n)[:, None]
    return ((1 - ts) * z0[None] + ts * z1[None]).astype(np.float32)


def slerp(z0: np.ndarray, z1: np.ndarray, n: int) -> np.ndarray:
    """Great-circle path: z(t) = sin((1−t)Ω)/sin Ω · z₀ + sin(tΩ)/sin Ω · z₁, cos Ω = ẑ₀·ẑ₁.

    Under a Gaussian prior most mass sits near a shell of radius ≈ √d; slerp keeps the
    path near that shell instead of cutting through the low-norm middle. Falls back to
    lerp when the two codes are (anti)parallel.
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 < 1e-8 or n1 < 1e-8:
        return lerp(z0, z1, n)
    cos = float(np.clip(z0 @ z1 / (n0 * n1), -1.0, 1.0))
    omega = math.acos(cos)
    if omega < 1e-4 or math.pi - omega < 1e-4:
        return lerp(z0, z1, n)
    ts = np.linspace(0.0, 1.0, n)[:, None]
    return ((np.sin((1 - ts) * omega) * z0 + np.sin(ts * omega) * z1) / math.sin(omega)).astype(np.float32)


def grid(lim: float = 3.0, n: int = 20) -> np.ndarray:
    """(n·n, 2) latent points on a regular grid over [−lim, lim]², rows from top (z₂ high) to bottom."""
    ticks = np.linspace(-lim, lim, n, dtype=np.float32)
    zz1, zz2 = np.meshgrid(ticks, ticks[::-1])
    return np.stack([zz1.ravel(), zz2.ravel()], axis=1)


# ---------------------------------------------------------------------------- drawn digits


def digit_from_canvas(rgba: np.ndarray) -> np.ndarray:
    """Turn a drawn image (h, w, 3 or 4 RGBA; dark ink on light or transparent paper)
    into one 8×8 digit on the 0..16 scale, like load_digits (block-average, then rescale).

    Raises InputError ``vae.blank_drawing`` / ``vae.full_drawing`` when there is nothing to read.
    """
    img = np.asarray(rgba, np.float32)
    if img.ndim != 3 or img.shape[0] < 8 or img.shape[1] < 8:
        raise InputError("blank_drawing")
    ink = 1.0 - img[..., :3].mean(-1) / 255.0  # dark strokes on light paper
    if img.shape[2] == 4:
        ink = ink * img[..., 3] / 255.0  # transparent paper holds no ink
    frac = float((ink > 0.3).mean())
    if frac < 0.005:
        raise InputError("blank_drawing")
    if frac > 0.85:
        raise InputError("full_drawing")
    h, w = ink.shape
    ys, xs = np.nonzero(ink > 0.3)
    # centre the bounding box in a square (load_digits digits fill most of the frame)
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    half = max(ys.max() - ys.min(), xs.max() - xs.min()) / 2 * 1.15 + 2
    y0, x0 = int(round(cy - half)), int(round(cx - half))
    size = int(round(2 * half))
    pad = np.zeros((size, size), np.float32)
    sy0, sx0 = max(0, y0), max(0, x0)
    sy1, sx1 = min(h, y0 + size), min(w, x0 + size)
    pad[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = ink[sy0:sy1, sx0:sx1]
    edges = np.linspace(0, size, digits.SIDE + 1).astype(int)
    out = np.array([[pad[edges[i]:edges[i + 1], edges[j]:edges[j + 1]].mean() for j in range(8)] for i in range(8)])
    if out.max() <= 0:
        raise InputError("blank_drawing")
    out = np.clip(out / out.max() * 16.0 * 1.2, 0, 16)
    return np.rint(out).reshape(1, N_PIX).astype(np.float32)


# ---------------------------------------------------------------------------- shipped weights


def weight_name(latent_dim: int, beta: float, arch: str = "mlp") -> str:
    return f"{arch}_z{latent_dim}_b{beta:g}"


SHIPPED: tuple[VAEConfig, ...] = tuple(
    [VAEConfig(latent_dim=2, beta=b) for b in BETAS]
    + [VAEConfig(latent_dim=d, hidden=256) for d in LATENT_DIMS if d != 2]  # wider: they have more to encode
    + [VAEConfig(latent_dim=2, arch="conv")]
)
SHIPPED_SEED = 0
STORE_DTYPE = torch.float16  # halves the files; metrics are recorded for the rounded weights


def _round_trip(state: dict) -> dict:
    return {k: v.to(STORE_DTYPE).to(torch.float32) for k, v in state.items()}


def test_metrics(model: VAE) -> dict:
    Xte, yte = digits.load("test")
    ev = model.evaluate(Xte, n_samples=8, seed=0)
    acc = float((digits.classify(model.reconstruct(Xte)) == yte).mean())
    return {"test_neg_elbo": round(ev.neg_elbo, 4), "test_recon": round(ev.recon, 4), "test_kl": round(ev.kl, 4),
            "test_neg_iwae_k16": round(model.iwae(Xte, k=16, seed=0), 4), "recon_accuracy": round(acc, 4)}


def regenerate(configs=SHIPPED, seed: int = SHIPPED_SEED, log=print) -> None:
    """Retrain every shipped model from its config and seed, then save weights + manifest."""
    for cfg in configs:
        t0 = time.perf_counter()
        model, hist, diverged = fit(cfg, seed=seed)
        if diverged:
            raise RuntimeError(f"{cfg} diverged while regenerating")
        model.net.load_state_dict(_round_trip(model.state_dict()))
        metrics = test_metrics(model)
        name = weight_name(cfg.latent_dim, cfg.beta, cfg.arch)
        # training curves ride along (subsampled), so the page can plot the two losses at once
        every = max(1, len(hist.step) // 200)
        curves = {"curve_step": torch.tensor(hist.step[::every], dtype=torch.int32),
                  "curve_recon": torch.tensor(hist.recon[::every], dtype=torch.float32),
                  "curve_kl": torch.tensor(hist.kl[::every], dtype=torch.float32)}
        state = {k: v.to(STORE_DTYPE) for k, v in model.state_dict().items()} | curves
        weights_io.save(PAGE, name, state, asdict(cfg) | {"seed": seed}, metrics)
        log(f"{name}: {metrics}  ({time.perf_counter() - t0:.1f} s)")


def _load(name: str) -> tuple[VAE, dict, dict]:
    state, entry = weights_io.load(PAGE, name)
    cfg_dict = {k: v for k, v in entry["config"].items() if k in VAEConfig.__dataclass_fields__}
    cfg = VAEConfig(**cfg_dict)
    curves = {k: state.pop(k).numpy() for k in [k for k in state if k.startswith("curve_")]}
    model = VAE(cfg)
    model.net.load_state_dict({k: v.to(torch.float32) for k, v in state.items()})
    model.net.eval()
    for p in model.net.parameters():
        p.requires_grad_(False)
    return model, entry, curves


def pretrained(latent_dim: int = 2, beta: float = 1.0, arch: str = "mlp") -> VAE:
    """An inference-only VAE loaded from the shipped weights (checksum verified), cached:
    the same arguments return the same read-only object."""
    return _pretrained(int(latent_dim), float(beta), str(arch))


@lru_cache(maxsize=16)
def _pretrained(latent_dim: int, beta: float, arch: str) -> VAE:
    name = weight_name(latent_dim, beta, arch)
    if name not in weights_io.read_manifest(PAGE):
        raise InputError("no_weights", name=name)
    model, entry, curves = _load(name)
    model.metrics = entry["metrics"]
    model.curves = curves
    return model


def available() -> list[tuple[int, float, str]]:
    """(latent_dim, beta, arch) of every shipped model."""
    return sorted((e["config"]["latent_dim"], e["config"]["beta"], e["config"]["arch"])
                  for e in weights_io.read_manifest(PAGE).values() if "latent_dim" in e["config"])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--regenerate", action="store_true", help="retrain and save every shipped model")
    p.add_argument("--only", default=None, help="comma-separated weight names to regenerate")
    args = p.parse_args(argv)
    if args.regenerate:
        configs = SHIPPED
        if args.only:
            wanted = set(args.only.split(","))
            configs = tuple(c for c in SHIPPED if weight_name(c.latent_dim, c.beta, c.arch) in wanted)
        regenerate(configs)


if __name__ == "__main__":
    main()
