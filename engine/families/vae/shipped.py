"""The VAE family's shipped models: the VAEs the page switches between, and the VQ-VAE.

``pretrained(latent_dim, beta, arch)`` loads an inference-only model from ``assets/weights/vae/``
(checksum verified); ``python -m engine.regenerate vae`` retrains all of them reproducibly and
records each one's test metrics and sha256 in the manifest. Weights are stored in float16 (half
the size); the metrics are those of the rounded weights.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache, partial

from engine.core import weights
from engine.core.errors import InputError
from engine.core.torch_setup import torch
from engine.data import digits
from engine.families.vae import vaegan, vq
from engine.families.vae.digits import BETAS, LATENT_DIMS, VAE, VAEConfig, train

__all__ = ["FAMILY", "weight_name", "SHIPPED", "SHIPPED_SEED", "STORE_DTYPE", "test_metrics", "pretrained", "available",
           "recipe", "recipe_vq", "recipe_vaegan", "recipes"]

FAMILY = "vae"


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
    """What the manifest records of a VAE, on the test split."""
    Xte, yte = digits.load("test")
    ev = model.evaluate(Xte, n_samples=8, seed=0)
    acc = float((digits.classify(model.reconstruct(Xte)) == yte).mean())
    return {"test_neg_elbo": round(ev.neg_elbo, 4), "test_recon": round(ev.recon, 4), "test_kl": round(ev.kl, 4),
            "test_neg_iwae_k16": round(model.iwae(Xte, k=16, seed=0), 4), "recon_accuracy": round(acc, 4)}


def recipe(cfg: VAEConfig, seed: int = SHIPPED_SEED) -> weights.Trained:
    """Retrain one shipped VAE from its config and seed, round it to float16 and measure it."""
    tr = train(cfg, seed=seed)
    if tr.diverged_:
        raise RuntimeError(f"{cfg} diverged while regenerating")
    model, hist = tr.model, tr.history_
    model.net.load_state_dict(_round_trip(model.state_dict()))
    metrics = test_metrics(model)
    # training curves ride along (subsampled), so the page can plot the two losses at once
    every = max(1, len(hist.step) // 200)
    curves = {"curve_step": torch.tensor(hist.step[::every], dtype=torch.int32),
              "curve_recon": torch.tensor(hist.recon[::every], dtype=torch.float32),
              "curve_kl": torch.tensor(hist.kl[::every], dtype=torch.float32)}
    state = {k: v.to(STORE_DTYPE) for k, v in model.state_dict().items()} | curves
    return weights.Trained(state, asdict(cfg) | {"seed": seed}, metrics)


def recipe_vq(seed: int = 0) -> weights.Trained:
    """Retrain the shipped VQ-VAE, round it to float16 and measure it."""
    model = vq.train(vq.VQConfig(), seed).model
    state = {k: v.to(torch.float16) for k, v in model.net.state_dict().items()}
    model.net.load_state_dict({k: v.float() for k, v in state.items()})
    return weights.Trained(state, asdict(vq.VQConfig()) | {"seed": seed, "kind": "vqvae"}, vq.test_metrics(model))


def recipe_vaegan(kind: str) -> weights.Trained:
    """One of the VAE-GAN run's two models (``"plain"``: the twin, ``"vaegan"``), rounded to float16 and judged
    by the evaluator (its samples' sharpness and leaderboard metrics, its reconstructions' accuracy)."""
    from engine.evaluation import vaegan as judged  # the evaluator's metrics; imported only to regenerate

    run = vaegan.shipped_run()
    nets = run.plain if kind == "plain" else run.vaegan
    state = {k: v.to(STORE_DTYPE) for k, v in nets.state_dict().items()}
    rounded = vaegan.Nets(run.config)
    rounded.load_state_dict({k: v.float() for k, v in state.items()})
    model = vaegan.Model(run.config, rounded, kind)
    return weights.Trained(state, asdict(run.config) | {"kind": kind}, judged.model_metrics(model))


def recipes() -> list[weights.Recipe]:
    out = [weights.Recipe(weight_name(c.latent_dim, c.beta, c.arch), partial(recipe, c)) for c in SHIPPED]
    out += [weights.Recipe(name, partial(recipe_vaegan, kind)) for kind, name in vaegan.SHIPPED_NAMES.items()]
    return out + [weights.Recipe(vq.NAME, recipe_vq)]


def _load(name: str) -> tuple[VAE, dict, dict]:
    state, entry = weights.load(FAMILY, name)
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
    if name not in weights.read_manifest(FAMILY):
        raise InputError("no_weights", name=name)
    model, entry, curves = _load(name)
    model.metrics = entry["metrics"]
    model.curves = curves
    return model


def available() -> list[tuple[int, float, str]]:
    """(latent_dim, beta, arch) of every shipped VAE (not the VQ-VAE, nor the VAE-GAN pair: they have a ``kind``)."""
    return sorted((e["config"]["latent_dim"], e["config"]["beta"], e["config"]["arch"])
                  for e in weights.read_manifest(FAMILY).values() if "latent_dim" in e["config"] and "kind" not in e["config"])
