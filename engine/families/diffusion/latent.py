"""Latent diffusion: the same denoiser, trained on the codes z = E(x) of the shipped VAE, decoded by it.

The shipped latent model records the sha256 of the VAE weights it was trained on; when the VAE
changes (it was retrained), the stale model is refused and a fresh one is trained in a few seconds.
"""

from __future__ import annotations

import numpy as np

from engine import metrics
from engine.core import weights
from engine.core.errors import InputError
from engine.core.rng import SeedLike
from engine.core.training import Budget
from engine.data import digits
from engine.families.diffusion.denoiser import DenoiserConfig
from engine.families.diffusion.digits import DIGIT_CLASSES, class_agreement
from engine.families.diffusion.model import DiffusionConfig, DiffusionModel, TrainConfig
from engine.families.diffusion.plane import FAMILY, final_loss
from engine.families.diffusion.schedule import ScheduleConfig

__all__ = ["LATENT_DIM", "VAE_FAMILY", "vae_weights_name", "vae_model", "vae_fingerprint", "config_latent", "fit_latent",
           "latent_samples", "latent_report", "top_variance_dims", "pretrained_latent", "LATENT_FALLBACK_STEPS", "latent_model", "latent_metrics",
           "recipe_latent"]

LATENT_DIM = 8
VAE_FAMILY = "vae"


def vae_weights_name(latent_dim: int) -> str:
    return f"mlp_z{int(latent_dim)}_b1"


def vae_model(latent_dim: int = LATENT_DIM):
    """The shipped VAE of that latent size (encoder and decoder of 8×8 digits), loaded lazily."""
    from engine.families.vae import pretrained

    return pretrained(latent_dim=latent_dim, beta=1.0, arch="mlp")


def vae_fingerprint(latent_dim: int = LATENT_DIM) -> str | None:
    """sha256 of the VAE weights the latent model was trained on (None if not shipped)."""
    return weights.read_manifest(VAE_FAMILY).get(vae_weights_name(latent_dim), {}).get("sha256")


def config_latent(latent_dim: int = LATENT_DIM) -> DiffusionConfig:
    return DiffusionConfig(
        ScheduleConfig(),
        DenoiserConfig(dim=latent_dim, hidden=128, depth=3, time_dim=32, n_classes=DIGIT_CLASSES, class_dim=16, x0_clip=4.0, T=100),
        TrainConfig(lr=3e-3, batch_size=256, decay_steps=4000, p_uncond=0.15),
    )


def fit_latent(vae, X: np.ndarray, y: np.ndarray, budget: Budget, seed: int = 0) -> DiffusionModel:
    """Train a class-conditional ε-MLP on the VAE's codes z = E(x) (the posterior means)."""
    codes = vae.encode_mean(np.asarray(X, np.float32))
    latent_dim = codes.shape[1]
    return DiffusionModel(config_latent(latent_dim), seed).fit(codes, y, budget=budget)


def latent_samples(model: DiffusionModel, vae, labels: np.ndarray, guidance: float, steps: int = 50,
                   seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
    """(codes, images): sample z_0 with diffusion in latent space, then decode x = D(z_0) (pixels 0…16)."""
    z = model.reverse(len(labels), "ddim", steps, seed=seed, y=np.asarray(labels), guidance=guidance).samples
    return z, np.clip(vae.decode_mean(z), 0, 16)


def latent_report(model: DiffusionModel, vae, codes_test: np.ndarray, label: int, guidance: float, steps: int = 50,
                  seed: int = 0, n: int = 300, shown: int = 16) -> dict:
    """Latent diffusion against the VAE's own prior, on ``n`` codes each.

    ``images`` (the first ``shown``) and ``accuracy``: digits of class ``label`` decoded from diffused codes;
    ``codes``: diffused codes of every class in turn; ``prior`` and ``prior_images``: draws z ~ N(0, I) and the
    first ``shown`` decoded; ``mmd_diffusion`` / ``mmd_prior``: MMD² of each set of codes to the test codes.
    """
    z, images = latent_samples(model, vae, np.full(n, label), guidance, steps, seed=seed)
    z_all, _ = latent_samples(model, vae, np.arange(n) % DIGIT_CLASSES, guidance, steps, seed=seed + 1)
    prior = np.random.default_rng(seed).standard_normal((n, z.shape[1])).astype(np.float32)
    return {"images": images[:shown], "accuracy": class_agreement(images, label),
            "prior_images": np.clip(vae.decode_mean(prior[:shown]), 0, 16), "codes": z_all, "prior": prior,
            "mmd_diffusion": metrics.mmd2(z_all, codes_test[:n]), "mmd_prior": metrics.mmd2(prior, codes_test[:n])}


def top_variance_dims(codes: np.ndarray, k: int = 2) -> np.ndarray:
    """The ``k`` coordinates along which ``codes`` vary most, widest first (the axes of a 2D view of them)."""
    return np.argsort(codes.var(axis=0))[::-1][:k]


def pretrained_latent(latent_dim: int = LATENT_DIM) -> DiffusionModel:
    """The shipped latent model; refuses to run on VAE weights other than those it was trained on."""
    name = f"latent_z{int(latent_dim)}"
    entry = weights.read_manifest(FAMILY).get(name)
    if entry is None:
        raise InputError("no_pretrained", name=name)
    if entry["config"].get("vae_sha256") != vae_fingerprint(latent_dim):
        raise InputError("latent_stale")
    state, entry = weights.load(FAMILY, name)
    return DiffusionModel.from_state(DiffusionConfig.from_dict(entry["config"]), state)


LATENT_FALLBACK_STEPS = 1500


def latent_model(latent_dim: int = LATENT_DIM, vae=None, seed: int = 0) -> tuple[DiffusionModel, bool]:
    """``(model, shipped)``: the shipped latent model if it was trained on the installed VAE's codes;
    otherwise (the VAE was retrained since) a new one, trained here from a fixed seed in a few seconds."""
    try:
        return pretrained_latent(latent_dim), True
    except InputError as err:
        if err.code not in ("latent_stale", "no_pretrained"):
            raise
    vae = vae_model(latent_dim) if vae is None else vae
    X, y = digits.load("train")
    return fit_latent(vae, X, y, Budget(max_steps=LATENT_FALLBACK_STEPS), seed), False


def latent_metrics(model: DiffusionModel, vae, guidance: float = 1.0, per_class: int = 20, seed: SeedLike = 1) -> dict:
    labels = np.repeat(np.arange(DIGIT_CLASSES), per_class)
    z, images = latent_samples(model, vae, labels, guidance, seed=seed)
    X_test, _ = digits.load("test")
    codes_test = vae.encode_mean(X_test)
    prior = np.random.default_rng(0).standard_normal(codes_test.shape)
    return {"accuracy": round(class_agreement(images, labels), 4),
            "mmd2_codes_diffusion": round(metrics.mmd2(z[: len(codes_test)], codes_test), 5),
            "mmd2_codes_prior": round(metrics.mmd2(prior, codes_test), 5)}


def recipe_latent(latent_dim: int = LATENT_DIM) -> weights.Trained:
    """Train the shipped latent model on the shipped VAE's codes, and record that VAE's sha256."""
    vae = vae_model(latent_dim)
    X, y = digits.load("train")
    model = fit_latent(vae, X, y, Budget(max_steps=config_latent(latent_dim).train.decay_steps))
    config = {**model.config.to_dict(), "vae": vae_weights_name(latent_dim), "vae_sha256": vae_fingerprint(latent_dim)}
    return weights.Trained(model.state_dict(), config, latent_metrics(model, vae) | final_loss(model))
