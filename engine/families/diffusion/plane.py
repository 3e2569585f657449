"""Diffusion on 2D points: the live model's config, the data checks, the score field, and the shipped models.

The shipped models (one per built-in dataset, at its default noise) are wider and trained longer
than the live one; their held-out distances are recorded in the manifest, so the page can chart
quality against the number of sampling steps without sampling again.
"""

from __future__ import annotations

import numpy as np

from engine.core import weights
from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator
from engine.core.training import Budget
from engine.data import points
from engine.families.diffusion.denoiser import DenoiserConfig
from engine.families.diffusion.model import DiffusionConfig, DiffusionModel, TrainConfig
from engine.families.diffusion.schedule import ScheduleConfig

__all__ = ["FAMILY", "config_2d", "check_2d_data", "vector_field", "noisy_points", "sample_distances", "data_vs_data_mmd2",
           "quality_vs_steps", "PRETRAINED_2D_STEPS",
           "PRETRAINED_2D_POINTS", "pretrained_2d_config", "pretrained_2d", "pretrained_metrics", "held_out_2d",
           "metrics_2d", "recipe_2d", "final_loss"]

FAMILY = "diffusion"


def config_2d(schedule: ScheduleConfig = ScheduleConfig(), hidden: int = 96, depth: int = 2, x_emb: int = 32,
              **train) -> DiffusionConfig:
    """The 2D denoiser trained live: small and fast (≈ 30k parameters, learning rate 0.01).

    ``decay_steps`` should be the planned number of training steps (the learning rate decays over them).
    """
    train = {"lr": 1e-2, **train}
    return DiffusionConfig(schedule, DenoiserConfig(dim=2, hidden=hidden, depth=depth, x_emb=x_emb, T=schedule.T),
                           TrainConfig(**train))



def check_2d_data(X: np.ndarray) -> np.ndarray:
    """Refuse data a diffusion model cannot learn a shape from (too few, non-finite, or collapsed)."""
    X = np.asarray(X, float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise InputError("bad_columns", line=1, found=X.shape[-1] if X.ndim else 0)
    if len(X) < 10:
        raise InputError("too_few_points", n=len(X), min=10)
    if not np.isfinite(X).all():
        raise InputError("not_finite", line=int(np.argmin(np.isfinite(X).all(axis=1))) + 1)
    if len(np.unique(X, axis=0)) < 3:
        raise InputError("degenerate_data")
    sv = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    if sv[0] < 1e-6 or sv[1] / sv[0] < 1e-3:
        raise InputError("degenerate_data")  # all points on one line: no 2D shape to learn
    return X


def vector_field(model: DiffusionModel, box: tuple[float, float, float, float], t: int, resolution: int = 17):
    """Grid points and the denoising direction at t: the score, and the one-step move towards x̂_0."""
    xs = np.linspace(box[0], box[1], resolution)
    ys = np.linspace(box[2], box[3], resolution)
    xx, yy = np.meshgrid(xs, ys)
    P = np.c_[xx.ravel(), yy.ravel()]
    return P, model.grad_log_q(P, t)


def noisy_points(model: DiffusionModel, data: np.ndarray, t: int, n: int = 400, seed: SeedLike = 0) -> np.ndarray:
    """Up to ``n`` data points picked at random and noised to x_t ~ q(x_t | x_0) in the model's space (shown in data units)."""
    rng = as_generator(seed)
    X0 = data[rng.permutation(len(data))[:n]]
    return model.to_data(model.schedule.add_noise(model.to_model(X0), rng.standard_normal(X0.shape), t))


def sample_distances(samples: np.ndarray, data: np.ndarray, n: int = 500) -> dict:
    """MMD² between the first ``n`` samples and the first ``n`` data points (``mmd_sizes`` says how many of
    each), and the sliced Wasserstein distance between as many samples as data points used."""
    from engine.metrics import mmd2, sliced_wasserstein

    ref, fake = data[:n], samples[:n]
    return {"mmd2": mmd2(fake, ref), "mmd_sizes": (len(fake), len(ref)), "swd": sliced_wasserstein(samples[: len(ref)], ref)}


def data_vs_data_mmd2(data: np.ndarray, n: int = 500) -> float | None:
    """MMD² between the two halves of the first ``n`` data points (of all of them, if fewer): the floor a
    perfect sampler would reach (None below 40 points, where the halves are too small to say)."""
    from engine.metrics import mmd2

    m = min(n, len(data))
    return float(mmd2(data[: m // 2], data[m // 2: m])) if m >= 40 else None


def quality_vs_steps(model: DiffusionModel, reference: np.ndarray, n: int = 1000, seed: SeedLike = 0,
                     step_choices=(2, 5, 10, 20, 50, 100), include_ddpm: bool = True) -> list[dict]:
    """MMD² and sliced Wasserstein to ``reference`` for DDIM at several step counts (and DDPM at T)."""
    from engine.metrics import mmd2, sliced_wasserstein

    rows = []
    for k in step_choices:
        if k > model.schedule.T:
            continue
        s = model.reverse(n, "ddim", k, seed=seed).samples
        rows.append({"sampler": "ddim", "steps": k, "mmd2": mmd2(s, reference), "swd": sliced_wasserstein(s, reference)})
    if include_ddpm:
        s = model.reverse(n, "ddpm", seed=seed).samples
        rows.append({"sampler": "ddpm", "steps": model.schedule.T, "mmd2": mmd2(s, reference), "swd": sliced_wasserstein(s, reference)})
    return rows


# ---------------------------------------------------------------- shipped models

PRETRAINED_2D_STEPS = 3000
PRETRAINED_2D_POINTS = 4000


def pretrained_2d_config() -> DiffusionConfig:
    """The shipped 2D models: wider and deeper than the live one, trained longer at a gentler rate."""
    return config_2d(ScheduleConfig(), hidden=128, depth=3, lr=5e-3, decay_steps=PRETRAINED_2D_STEPS)


def pretrained_2d(name: str) -> DiffusionModel:
    """The shipped model for a built-in 2D dataset (trained at its default noise)."""
    if name not in weights.read_manifest(FAMILY):
        raise InputError("no_pretrained", name=name)
    state, entry = weights.load(FAMILY, name)
    return DiffusionModel.from_state(DiffusionConfig.from_dict(entry["config"]), state)


def pretrained_metrics(name: str) -> dict:
    return weights.read_manifest(FAMILY).get(name, {}).get("metrics", {})


def held_out_2d(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The training points and the held-out points of a shipped 2D model."""
    data = points.make_dataset(name, PRETRAINED_2D_POINTS + 1000, points.BUILTIN[name].default_noise, seed=0).X
    return data[:PRETRAINED_2D_POINTS], data[PRETRAINED_2D_POINTS:]


def metrics_2d(model: DiffusionModel, test: np.ndarray) -> dict:
    """Distances of DDPM and DDIM samples to held-out data, and the quality-vs-steps rows the page charts."""
    rows = quality_vs_steps(model, test, n=len(test), seed=1)
    rows = [{k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]
    by = {(r["sampler"], r["steps"]): r for r in rows}
    return {"mmd2_ddpm": by[("ddpm", model.schedule.T)]["mmd2"], "mmd2_ddim20": by[("ddim", 20)]["mmd2"],
            "swd_ddpm": by[("ddpm", model.schedule.T)]["swd"], "swd_ddim20": by[("ddim", 20)]["swd"], "quality": rows}


def recipe_2d(name: str) -> weights.Trained:
    """Train the shipped model of one built-in dataset from its fixed seed, and measure it."""
    spec = points.BUILTIN[name]
    train, test = held_out_2d(name)
    model = DiffusionModel(pretrained_2d_config(), 0).fit(train, budget=Budget(max_steps=PRETRAINED_2D_STEPS))
    metrics = metrics_2d(model, test)
    metrics["data"] = {"n": PRETRAINED_2D_POINTS, "noise": spec.default_noise, "seed": 0}
    return weights.Trained(model.state_dict(), model.config.to_dict(), metrics | final_loss(model))


def final_loss(model: DiffusionModel) -> dict:
    """The two numbers every shipped diffusion model records about its training."""
    return {"steps": model.step_, "final_loss": round(float(np.mean(model.history_[-200:])), 4)}
