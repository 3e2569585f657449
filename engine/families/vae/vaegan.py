"""VAE-GAN in miniature (Larsen, Sønderby, Larochelle & Winther 2016, "Autoencoding beyond pixels using a
learned similarity metric") on the 8×8 digits, next to its plain-VAE twin.

Both models have the same encoder and decoder (:class:`Nets`: MLPs, the decoder's output a mean image
x̃ = 16·sigmoid(·) on the 0..16 scale) and the same KL term. They differ only in how a reconstruction is judged:

    plain VAE   L_pixel = ½ Σ_i (x_i − x̃_i)² / σ²                  Gaussian p(x | z) = N(x̃, σ²I) on pixels /16
    VAE-GAN     L_llike = ½ Σ_j (Dis_l(x)_j − Dis_l(x̃)_j)²          Gaussian N(Dis_l(x) | Dis_l(x̃), I) on the
                                                                    discriminator's l-th layer (1,024 features)

plus, for the VAE-GAN, the GAN objective on reconstructions and prior samples (z_p ~ N(0, I)):

    L_GAN = log D(x) + log(1 − D(x̃)) + log(1 − D(Dec(z_p)))

Larsen et al.'s Algorithm 1 gives each network its own loss, and so does :meth:`Trainer.step`:

    encoder        L_prior + L_llike                   (L_prior = KL(q(z|x) ‖ N(0, I)); no GAN term)
    decoder        γ · L_llike − L_GAN                 here with the non-saturating form of −L_GAN:
                                                       −log D(x̃) − log D(Dec(z_p))
    discriminator  −L_GAN                              (it maximises L_GAN; L_llike does not train it)

γ = ``VAEGANConfig.gamma``. The two models are one run: the twin trains ``pretrain + steps`` steps on
L_pixel + KL; the VAE-GAN starts from the twin at step ``pretrain`` and trains its last ``steps`` steps with
the losses above. So the same z decodes to a related digit in both, and both saw the same number of steps.

:func:`sharpness` is the page's blur measure; the evaluator's digit metrics judge the samples
(``engine.evaluation.vaegan``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from engine.core import weights
from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator
from engine.core.torch_setup import count_params, generator, torch
from engine.data import digits
from engine.families.vae.digits import kl_to_prior

__all__ = ["FAMILY", "SHIPPED_NAMES", "SCALE", "VAEGANConfig", "Nets", "Discriminator", "sharpness", "Model", "Run", "train",
           "shipped_run", "pretrained"]

nn = torch.nn
F = torch.nn.functional

FAMILY = "vae"
SHIPPED_NAMES = {"plain": "vaegan_twin", "vaegan": "vaegan"}  # shipped file of each model, in assets/weights/vae/
SCALE = 16.0  # pixels 0..16; the networks see x / 16


# ---------------------------------------------------------------------------- config and networks


@dataclass(frozen=True)
class VAEGANConfig:
    """Every size and knob of the run (the twin and the VAE-GAN share all of them but the last block)."""

    latent_dim: int = 8
    hidden: int = 128
    batch_size: int = 100
    pretrain: int = 1000  # steps both models share (L_pixel + KL)
    steps: int = 1000  # then: the twin goes on with L_pixel + KL, the VAE-GAN with Larsen et al.'s losses
    lr: float = 1e-3  # Adam, encoder and decoder
    sigma: float = 0.1  # the plain VAE's pixel noise (pixels on the 0..1 scale)
    # VAE-GAN
    gamma: float = 1.0  # γ: the decoder's weight on L_llike against the GAN term
    lr_dis: float = 2e-4  # Adam (β₁ = 0.5), discriminator
    lr_gan: float = 2e-4  # Adam (β₁ = 0.5), encoder and decoder during the VAE-GAN phase
    dis_channels: tuple[int, int] = (32, 64)
    seed: int = 0


class Nets(nn.Module):
    """Encoder 64 → h → h → 2·d (μ, log σ²); decoder d → h → h → 64, x̃ = 16·sigmoid (a mean image)."""

    def __init__(self, c: VAEGANConfig) -> None:
        super().__init__()
        h, d = c.hidden, c.latent_dim
        self.encoder = nn.Sequential(nn.Linear(64, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 2 * d))
        self.decoder = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 64))

    def encode(self, x01: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x01).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Mean image on the 0..1 scale, (n, 64)."""
        return torch.sigmoid(self.decoder(z))


class Discriminator(nn.Module):
    """8×8 → conv 3×3, 32 → LeakyReLU → conv 3×3 stride 2, 64 → LeakyReLU = Dis_l (64×4×4 = 1,024) → Linear → logit."""

    def __init__(self, c: VAEGANConfig) -> None:
        super().__init__()
        c1, c2 = c.dis_channels
        self.features = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, c1, 3, padding=1), nn.LeakyReLU(0.2),
                                      nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Flatten())
        self.head = nn.Linear(c2 * 16, 1)

    def forward(self, x01: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(Dis_l(x) (n, 1024), logit of D(x) (n,))."""
        f = self.features(x01)
        return f, self.head(f).squeeze(-1)


# ---------------------------------------------------------------------------- sharpness


def sharpness(images: np.ndarray) -> np.ndarray:
    """Mean gradient magnitude of each image (n, 64) on the 0..16 scale, with forward differences on the
    7×7 pixels that have a right and a lower neighbour:

        S(x) = (1/49) Σ_{r,c=0..6} √((x_{r+1,c} − x_{r,c})² + (x_{r,c+1} − x_{r,c})²)

    A blurred digit changes slowly between neighbours (small S); ink on paper changes fast. Noise scores high
    too, so S alone does not make a good digit: the page reports the evaluator's metrics beside it."""
    x = np.asarray(images, np.float64).reshape(-1, 8, 8)
    dr = x[:, 1:, :-1] - x[:, :-1, :-1]
    dc = x[:, :-1, 1:] - x[:, :-1, :-1]
    return np.sqrt(dr**2 + dc**2).mean(axis=(1, 2))


# ---------------------------------------------------------------------------- a trained model, for inference


class Model:
    """One trained encoder/decoder pair for inference: numpy in, numpy out, pixels on 0..16."""

    def __init__(self, config: VAEGANConfig, nets: Nets, kind: str) -> None:
        self.config, self.nets, self.kind = config, nets.eval(), kind

    @torch.no_grad()
    def decode(self, Z: np.ndarray) -> np.ndarray:
        z = torch.as_tensor(np.asarray(Z, np.float32).reshape(-1, self.config.latent_dim))
        return (self.nets.decode(z) * SCALE).numpy()

    @torch.no_grad()
    def encode_mean(self, X: np.ndarray) -> np.ndarray:
        return self.nets.encode(torch.as_tensor(np.asarray(X, np.float32).reshape(-1, 64) / SCALE))[0].numpy()

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        return self.decode(self.encode_mean(X))

    def prior_codes(self, n: int, seed: SeedLike = 0) -> np.ndarray:
        """z ~ N(0, I): the same seed gives the same codes to both models (they share ``latent_dim``)."""
        return as_generator(seed).standard_normal((n, self.config.latent_dim)).astype(np.float32)

    def sample(self, n: int, seed: SeedLike = 0) -> np.ndarray:
        return self.decode(self.prior_codes(n, seed))

    @property
    def n_params_(self) -> int:
        return count_params(self.nets)


# ---------------------------------------------------------------------------- training


@dataclass
class Run:
    """The two trained models and their per-step curves (batch means)."""

    config: VAEGANConfig
    plain: Nets
    vaegan: Nets
    history: dict[str, list[float]] = field(default_factory=dict)


def _batches(n: int, size: int, gen: torch.Generator):
    while True:
        order = torch.randperm(n, generator=gen)
        for s in range(0, n - size + 1, size):
            yield order[s:s + size]


def _pixel_step(nets: Nets, opt: torch.optim.Optimizer, x: torch.Tensor, c: VAEGANConfig, gen: torch.Generator) -> tuple[float, float]:
    mu, logvar = nets.encode(x)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen)
    recon = 0.5 * ((x - nets.decode(z)) ** 2).sum(-1) / c.sigma**2  # L_pixel
    kl = kl_to_prior(mu, logvar)
    loss = (recon + kl).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(recon.detach().mean()), float(kl.detach().mean())


def _vaegan_step(nets: Nets, dis: Discriminator, opt_enc, opt_dec, opt_dis, x: torch.Tensor, c: VAEGANConfig,
                 gen: torch.Generator) -> dict[str, float]:
    """One step of Larsen et al.'s Algorithm 1 (each network on its own loss; see the module docstring)."""
    bce = F.binary_cross_entropy_with_logits
    ones, zeros = torch.ones(len(x)), torch.zeros(len(x))
    mu, logvar = nets.encode(x)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen)
    x_rec = nets.decode(z)
    x_prior = nets.decode(torch.randn(mu.shape, generator=gen))
    # discriminator: maximise L_GAN = log D(x) + log(1 − D(x̃)) + log(1 − D(x_p))
    _, d_real = dis(x)
    _, d_rec = dis(x_rec.detach())
    _, d_prior = dis(x_prior.detach())
    loss_dis = bce(d_real, ones) + bce(d_rec, zeros) + bce(d_prior, zeros)  # = −L_GAN (batch mean)
    opt_dis.zero_grad(set_to_none=True)
    loss_dis.backward()
    opt_dis.step()
    # encoder and decoder, against the updated discriminator (its weights are not stepped here)
    f_real, _ = dis(x)
    f_rec, d_rec = dis(x_rec)
    _, d_prior = dis(x_prior)
    llike = 0.5 * ((f_real.detach() - f_rec) ** 2).sum(-1).mean()  # L_llike
    prior = kl_to_prior(mu, logvar).mean()  # L_prior
    gan_dec = bce(d_rec, ones) + bce(d_prior, ones)  # non-saturating −L_GAN for the decoder
    enc_params, dec_params = list(nets.encoder.parameters()), list(nets.decoder.parameters())
    g_enc = torch.autograd.grad(prior + llike, enc_params, retain_graph=True)
    g_dec = torch.autograd.grad(c.gamma * llike + gan_dec, dec_params)
    for p, g in zip(enc_params + dec_params, g_enc + g_dec):
        p.grad = g
    opt_enc.step()
    opt_dec.step()
    return {k: float(v.detach()) for k, v in (("llike", llike), ("prior", prior), ("gan_dec", gan_dec), ("dis", loss_dis))}


def train(config: VAEGANConfig = VAEGANConfig()) -> Run:
    """The twin and the VAE-GAN from one seed (263 s on one thread of the loaded shared machine)."""
    c = config
    X = torch.from_numpy(np.asarray(digits.load("train")[0], np.float32) / SCALE)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(c.seed)  # local to this fork: initial weights only
        plain, dis = Nets(c), Discriminator(c)
    gen = generator(c.seed + 1)
    batches = _batches(len(X), c.batch_size, gen)
    opt = torch.optim.Adam(plain.parameters(), lr=c.lr)
    hist: dict[str, list[float]] = {k: [] for k in ("pixel", "kl", "llike", "prior", "gan_dec", "dis", "twin_pixel", "twin_kl")}
    for _ in range(c.pretrain):
        r, k = _pixel_step(plain, opt, X[next(batches)], c, gen)
        hist["pixel"].append(r)
        hist["kl"].append(k)
    vaegan = Nets(c)
    vaegan.load_state_dict(plain.state_dict())
    betas = (0.5, 0.999)
    opt_enc = torch.optim.Adam(vaegan.encoder.parameters(), lr=c.lr_gan, betas=betas)
    opt_dec = torch.optim.Adam(vaegan.decoder.parameters(), lr=c.lr_gan, betas=betas)
    opt_dis = torch.optim.Adam(dis.parameters(), lr=c.lr_dis, betas=betas)
    gen_twin = generator(c.seed + 2)
    for _ in range(c.steps):
        idx = next(batches)
        r, k = _pixel_step(plain, opt, X[idx], c, gen_twin)
        hist["twin_pixel"].append(r)
        hist["twin_kl"].append(k)
        for name, v in _vaegan_step(vaegan, dis, opt_enc, opt_dec, opt_dis, X[idx], c, gen).items():
            hist[name].append(v)
    if not all(torch.isfinite(p).all() for p in list(plain.parameters()) + list(vaegan.parameters())):
        raise RuntimeError("the VAE-GAN run diverged")
    return Run(c, plain.eval(), vaegan.eval(), hist)


# ---------------------------------------------------------------------------- shipped


@lru_cache(maxsize=1)
def shipped_run() -> Run:
    """The one run both shipped files come from (``shipped.recipe_vaegan``), made once per process."""
    return train(VAEGANConfig())


@lru_cache(maxsize=2)
def pretrained(kind: str) -> Model:
    """The shipped twin (``"plain"``) or VAE-GAN (``"vaegan"``), checksum verified, read-only."""
    if kind not in SHIPPED_NAMES:
        raise InputError("unknown_model", name=kind)
    name = SHIPPED_NAMES[kind]
    if name not in weights.read_manifest(FAMILY):
        raise InputError("no_weights", name=name)
    state, entry = weights.load(FAMILY, name)
    cfg = entry["config"]
    config = VAEGANConfig(**{k: (tuple(v) if k == "dis_channels" else v) for k, v in cfg.items() if k in VAEGANConfig.__dataclass_fields__})
    nets = Nets(config)
    nets.load_state_dict({k: v.float() for k, v in state.items()})
    for p in nets.parameters():
        p.requires_grad_(False)
    model = Model(config, nets, kind)
    model.metrics = entry["metrics"]
    return model
