"""A variational autoencoder on the 8×8 digits, in PyTorch.

Pixels are integers 0..16, so the decoder outputs, for every one of the 64 pixels, a
17-way categorical distribution p(x_i | z) (logits of shape (n, 64, 17); see ``pixels``). The
loss is the negative ELBO, in nats per image:

    −ELBO(x) = E_q[−log p(x | z)]  +  β · KL(q(z | x) ‖ N(0, I))
               └─ reconstruction ─┘    └────── KL term ───────┘

with q(z | x) = N(μ(x), diag σ²(x)) and z = μ + σ·ε, ε ~ N(0, I) (the reparameterisation
trick). Two network variants share that interface: an MLP and a small convolutional net.
:class:`Trainer` trains one live (``advance``); the shipped models are in ``shipped``.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field

import numpy as np

from engine.core import training
from engine.core.errors import InputError
from engine.core.torch_setup import RngState, count_params, generator, optimise, torch
from engine.core.training import Budget, Callback
from engine.data import digits
from engine.families.vae.pixels import LEVELS, N_LEVELS, N_PIX, init_decoder_bias, log_px_given_z, prepare

__all__ = ["ARCHS", "LATENT_DIMS", "BETAS", "EXPLODED", "QUALITY_BAR", "VAEConfig", "MLPNet", "ConvNet", "build_net",
           "shapes", "kl_per_dim", "kl_to_prior", "loss_terms", "Evaluation", "evaluate", "iwae_bound", "ACTIVE_KL",
           "LatentUsage", "latent_usage", "independent_pixel_baseline", "VAE", "History", "Trainer", "train"]

nn = torch.nn
F = torch.nn.functional

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


# ---------------------------------------------------------------------------- the math


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ_j, σ_j²) ‖ N(0, 1)) = ½ (μ_j² + σ_j² − 1 − log σ_j²), for every image and dimension j."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def kl_to_prior(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) = Σ_j KL_j (the diagonal Gaussians factorise), one value per image."""
    return kl_per_dim(mu, logvar).sum(-1)


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
    x, t = prepare(X)
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
    x, t = prepare(X)
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


# ---------------------------------------------------------------------------- how the code is used

ACTIVE_KL = 0.01  # nats: a dimension whose average KL_j is below this carries (almost) nothing; see LatentUsage


@dataclass(frozen=True)
class LatentUsage:
    """How a VAE uses its code on N images x_1..x_N (x uniform over them), in nats per image.

    The **rate** is the average KL term, and it splits two ways:

        rate = E_x KL(q(z|x) ‖ p(z)) = Σ_j E_x KL_j                      (diagonal Gaussians: one term per dimension)
             = I_q(x; z) + KL(q(z) ‖ p(z)),   q(z) = (1/N) Σ_n q(z | x_n)  (Hoffman & Johnson, "ELBO surgery", 2016)

    so the rate is an upper bound on the information the code carries, I_q(x; z) ≤ min(rate, ln N).
    A dimension is **active** when its KL_j exceeds ``threshold`` (default ``ACTIVE_KL`` = 0.01 nats): an unused
    dimension has q(z_j | x) ≈ N(0, 1) for every x, so its KL_j is only the encoder's residual wiggle (below
    0.007 nats in every shipped model, against 0.014 or more for the used ones). Burda et al. (2016) count a unit as
    active when Var_x μ_j(x) > 0.01, which for σ_j ≈ 1 is KL_j ≳ 0.005: the same idea, on the KL the page shows.
    """

    kl_per_dim: np.ndarray  # (d,) E_x KL_j, nats
    threshold: float
    rate: float  # Σ_j kl_per_dim
    mutual_info: float  # I_q(x; z), Monte Carlo over z ~ q(z | x) (q(z) is the exact N-component mixture)
    marginal_kl: float  # KL(q(z) ‖ p(z)) = rate − mutual_info: how far the codes' overall cloud is from N(0, I)
    median_mean_norm: float  # median over x of ‖μ(x)‖ (the walk's endpoints are such means)
    mean_sq_sample_norm: float  # E ‖z‖², z ~ q(z | x): E ‖μ(x)‖² + Σ_j E σ_j²(x) (a draw from N(0, I): d)

    @property
    def active(self) -> np.ndarray:
        return self.kl_per_dim > self.threshold

    @property
    def n_active(self) -> int:
        return int(self.active.sum())

    @property
    def active_share(self) -> float:
        """The share of the rate that the active dimensions carry."""
        return float(self.kl_per_dim[self.active].sum() / self.rate) if self.rate > 0 else 0.0


def latent_usage(mu: np.ndarray, logvar: np.ndarray, threshold: float = ACTIVE_KL, n_samples: int = 16,
                 seed: int = 0, chunk: int = 512) -> LatentUsage:
    """``LatentUsage`` from the encoder's outputs (μ, log σ²), each (N, d).

    I_q(x; z) = E_n E_{z ~ q(z|x_n)} [log q(z | x_n) − log (1/N) Σ_m q(z | x_m)], with ``n_samples`` z per image.
    """
    mu_t = torch.as_tensor(np.asarray(mu, np.float64))
    lv_t = torch.as_tensor(np.asarray(logvar, np.float64))
    n, d = mu_t.shape
    kl_j = kl_per_dim(mu_t, lv_t).mean(0).numpy()
    rate = float(kl_j.sum())
    rng = np.random.default_rng(seed)
    mu, lv = mu_t.numpy(), lv_t.numpy()
    inv_var = np.exp(-lv)  # (N, d)
    # log q(z | x_m) = −½ Σ_j [(z_j − μ_mj)²/σ_mj² + log σ_mj² + log 2π], expanded so each chunk is two matmuls
    const = -0.5 * ((mu**2 * inv_var).sum(1) + lv.sum(1) + d * math.log(2 * math.pi))  # (N,)
    total = 0.0
    for _ in range(n_samples):
        z = mu + np.exp(0.5 * lv) * rng.standard_normal((n, d))
        for s in range(0, n, chunk):
            zc = z[s:s + chunk]
            log_q = -0.5 * (zc**2 @ inv_var.T) + zc @ (mu * inv_var).T + const  # (chunk, N): log q(z_c | x_m)
            own = log_q[np.arange(len(zc)), np.arange(s, s + len(zc))]
            m = log_q.max(1, keepdims=True)
            log_agg = (m[:, 0] + np.log(np.exp(log_q - m).sum(1))) - math.log(n)
            total += float((own - log_agg).sum())
    info = total / (n_samples * n)
    return LatentUsage(kl_per_dim=kl_j, threshold=float(threshold), rate=rate, mutual_info=info, marginal_kl=rate - info,
                       median_mean_norm=float(np.median(np.linalg.norm(mu, axis=1))),
                       mean_sq_sample_norm=float((mu**2).sum(1).mean() + np.exp(lv).sum(1).mean()))


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
        mu, logvar = _split(self.net.encode(prepare(X)[0]))
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
            x, t = prepare(X)
            mu, _ = _split(self.net.encode(x))
            return (-log_px_given_z(self.net.decode(mu), t)).numpy()

    def evaluate(self, X: np.ndarray, n_samples: int = 8, seed: int = 0) -> Evaluation:
        return evaluate(self.net, X, n_samples, seed)

    def iwae(self, X: np.ndarray, k: int = 16, seed: int = 0) -> float:
        return iwae_bound(self.net, X, k, seed)

    def latent_usage(self, X: np.ndarray, threshold: float = ACTIVE_KL, n_samples: int = 16, seed: int = 0) -> LatentUsage:
        """KL per latent dimension, active dimensions, rate = information + marginal KL, on the images X."""
        return latent_usage(*self.encode(X), threshold=threshold, n_samples=n_samples, seed=seed)

    @property
    def n_params_(self) -> int:
        return count_params(self.net)

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


class Trainer(training.Trainer):
    """Trains a VAE a budget at a time, so a page can advance it inside fragment ticks.

    Adam with a cosine learning-rate schedule over ``max_steps``, minibatches drawn without
    replacement from a per-trainer torch.Generator. If the loss or a weight turns NaN/inf (or the
    loss explodes past ``EXPLODED``), training stops, ``diverged_`` is set and the weights go back
    to the last good ones. With ``X_val``, the validation −ELBO is measured every ``report_every``
    steps (``history_.val_neg_elbo``).
    """

    def __init__(self, config: VAEConfig, X_train: np.ndarray | None = None, seed: int = 0,
                 X_val: np.ndarray | None = None) -> None:
        config.validate()
        self.config = config
        self.seed = seed
        if X_train is None:
            X_train = digits.load("train")[0]
        self.x, self.t = prepare(X_train)
        self.X_val = X_val
        self.model = VAE(config, seed=seed)
        self.net = self.model.net
        if config.init_bias:
            init_decoder_bias(self.net, self.t)
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.gen = generator(seed + 1)
        self.step_ = 0
        self.history_ = History()
        self.diverged_ = False
        self.elapsed_ = 0.0
        self._order = torch.empty(0, dtype=torch.long)
        self._pos = 0
        self._good = self.model.state_dict()
        self._ema = [p.detach().clone() for p in self.net.parameters()] if config.ema > 0 else None
        self._rng = RngState(seed + 2)  # dropout draws from the trainer's own generator state

    ends_at_total = True  # the cosine schedule (and the EMA) end at max_steps

    @property
    def total_steps(self) -> int:
        return self.config.max_steps

    def _lr(self) -> float:
        c = self.config
        frac = min(1.0, self.step_ / max(1, c.max_steps))
        return c.lr * (c.lr_floor + (1 - c.lr_floor) * 0.5 * (1 + math.cos(math.pi * frac)))

    def _batch(self) -> torch.Tensor:
        if self._pos + self.config.batch_size > len(self._order):
            self._order = torch.randperm(len(self.x), generator=self.gen)
            self._pos = 0
        idx = self._order[self._pos:self._pos + self.config.batch_size]
        self._pos += self.config.batch_size
        return idx

    @contextlib.contextmanager
    def _training(self):
        with self._rng.active():
            self.net.train()
            try:
                yield
            finally:
                self.net.eval()

    def _train_step(self) -> bool:
        c = self.config
        idx = self._batch()
        for g in self.opt.param_groups:
            g["lr"] = self._lr()
        recon, kl = loss_terms(self.net, self.x[idx], self.t[idx], self.gen)
        beta = c.beta_at(self.step_)
        r, k = recon.mean(), kl.mean()
        if optimise(self.opt, r + beta * k, limit=EXPLODED) is None:
            return self._restore()
        self.step_ += 1
        if self._ema is not None:
            with torch.no_grad():
                torch._foreach_lerp_(self._ema, [p.detach() for p in self.net.parameters()], 1.0 - c.ema)
        h = self.history_
        h.step.append(self.step_)
        h.recon.append(float(r.detach()))
        h.kl.append(float(k.detach()))
        h.beta.append(beta)
        if self.step_ % 50 == 0 or self.done:
            if not all(torch.isfinite(p).all() for p in self.net.parameters()):
                return self._restore()
            self._good = self.model.state_dict()
        if self.step_ >= c.max_steps and self._ema is not None:
            with torch.no_grad():  # training is over: keep the averaged weights
                for p, a in zip(self.net.parameters(), self._ema):
                    p.copy_(a)
            self._good = self.model.state_dict()
        if self.X_val is not None and (self.step_ % self.report_every == 0 or self.done):
            with self._untimed():
                h.val_step.append(self.step_)
                h.val_neg_elbo.append(evaluate(self.net, self.X_val, n_samples=1, seed=self.step_).neg_elbo)
                self.net.train()
        return True

    def _restore(self) -> bool:
        self.net.load_state_dict(self._good)
        return False

    def _weights_state(self) -> dict:
        return {f"net.{k}": v for k, v in self.net.state_dict().items()}

    def _load_weights_state(self, state: dict) -> None:
        self.net.load_state_dict({k[4:]: v for k, v in state.items()})
        self.net.eval()
        self._good = self.model.state_dict()
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay)
        if self._ema is not None:
            self._ema = [p.detach().clone() for p in self.net.parameters()]

    def _metrics(self) -> dict[str, float]:
        h = self.history_
        out = {"recon": h.recon[-1], "kl": h.kl[-1]} if h.recon else {}
        if h.val_neg_elbo:
            out["val_neg_elbo"] = h.val_neg_elbo[-1]
        return out


def train(config: VAEConfig, seed: int = 0, X_train: np.ndarray | None = None, budget: Budget | None = None,
          callback: Callback | None = None) -> Trainer:
    """Train a VAE from scratch to the end of its schedule (or the budget); the trainer holds
    ``model``, ``history_`` and ``diverged_``."""
    tr = Trainer(config, X_train, seed)
    tr.advance(budget or Budget(max_steps=config.max_steps), callback)
    return tr
