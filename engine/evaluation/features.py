"""A small feature network for 8×8 digits: what Inception-v3 is to FID, in miniature.

FID proper feeds 299×299 photographs through Inception-v3 (trained on ImageNet) and compares the
2,048 numbers of its last pooling layer. Our digits are 8×8, so the evaluation page computes the
same formulas in the feature space of a digit classifier trained once on the training split:

    x (8×8 pixels / 16) → conv 3×3, 32 channels → ReLU → conv 3×3, 64 channels → ReLU → max-pool 2×2
        → Dropout → Linear 1024→32 → tanh = features φ(x) (32 numbers) → Linear 32→10 = logits of p(y|x)

The 32 features (tanh: dense, bounded, no dead units, so their covariance has full rank) feed FID,
KID, precision/recall/density/coverage and the diversity score; the softmax head feeds the
Inception-Score analogue. Weights ship as tensors only (``assets/weights/evaluator/feature_net.pt``,
sha256 in the manifest), and ``regenerate`` rebuilds them and every shipped sample bit for bit:

    python -m engine.evaluation.features --regenerate
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from engine import digits, weights
from engine.evaluation.leaderboard import FOLDER
from engine.torch_setup import generator, torch

nn = torch.nn
F = torch.nn.functional
NAME = "feature_net"
N_CLASSES = 10


@dataclass(frozen=True)
class FeatureConfig:
    channels: tuple[int, int] = (32, 64)
    feature_dim: int = 32
    epochs: int = 40
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    dropout: float = 0.3
    max_shift: int = 1  # training images are moved by up to this many pixels (augmentation)
    seed: int = 0


class FeatureNet(nn.Module):
    def __init__(self, c: FeatureConfig) -> None:
        super().__init__()
        c1, c2 = c.channels
        self.conv = nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(),
                                  nn.MaxPool2d(2))
        self.body = nn.Sequential(nn.Flatten(), nn.Dropout(c.dropout), nn.Linear(c2 * 16, c.feature_dim), nn.Tanh())
        self.head = nn.Linear(c.feature_dim, N_CLASSES)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (n, 64) pixels on the 0..1 scale → (features (n, 32), logits (n, 10))."""
        f = self.body(self.conv(x.view(-1, 1, 8, 8)))
        return f, self.head(f)


def _shift(x: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Move each 8×8 image by a random (dy, dx) in [−max_shift, max_shift]², filling with blank pixels."""
    if max_shift <= 0:
        return x
    n = len(x)
    img = F.pad(x.view(n, 1, 8, 8), (max_shift,) * 4)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(8)[None, :])[:, :, None].expand(n, 8, 8)
    cols = (dx[:, None] + torch.arange(8)[None, :])[:, None, :].expand(n, 8, 8)
    out = img[torch.arange(n)[:, None, None], 0, rows, cols]
    return out.reshape(n, 64)


def train(config: FeatureConfig = FeatureConfig()) -> FeatureNet:
    """Train on the 1,000 training digits only: validation and test digits stay unseen references."""
    X, y = digits.load("train")
    x = torch.from_numpy(np.asarray(X, np.float32) / 16.0)
    t = torch.from_numpy(np.array(y, np.int64))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        net = FeatureNet(config)
    gen = generator(config.seed + 1)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = -(-len(x) // config.batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.epochs * steps_per_epoch)
    net.train()
    with torch.random.fork_rng(devices=[]):  # dropout draws from torch's global generator: seed it here only
        torch.manual_seed(config.seed + 2)
        for _ in range(config.epochs):
            order = torch.randperm(len(x), generator=gen)
            for start in range(0, len(x), config.batch_size):
                idx = order[start:start + config.batch_size]
                _, logits = net(_shift(x[idx], config.max_shift, gen))
                loss = F.cross_entropy(logits, t[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
    return net.eval()


def extract(net: FeatureNet, images: np.ndarray, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(features (n, 32), p(y|x) (n, 10)) for images (n, 64) on the 0..16 scale."""
    X = np.asarray(images, np.float32).reshape(len(images), 64) / 16.0
    feats, probs = [], []
    with torch.no_grad():
        for start in range(0, len(X), chunk):
            f, logits = net(torch.from_numpy(X[start:start + chunk]))
            feats.append(f.numpy())
            probs.append(torch.softmax(logits, 1).numpy())
    return np.concatenate(feats), np.concatenate(probs)


def accuracy(net: FeatureNet, split: str = "test") -> float:
    X, y = digits.load(split)
    _, p = extract(net, X)
    return float((p.argmax(1) == y).mean())


@lru_cache(maxsize=1)
def pretrained() -> FeatureNet:
    """The shipped network (checksum verified), read-only: inference only."""
    state, entry = weights.load(FOLDER, NAME)
    config = entry["config"]
    net = FeatureNet(FeatureConfig(**{**config, "channels": tuple(config["channels"])}))
    net.load_state_dict(state)
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


# ---------------------------------------------------------------- the app's digit generators, sampled once

N_SAMPLES = 1000  # per generator
SAMPLE_SEED = 2024
DIFFUSION_GUIDANCE = 2.0  # the diffusion page's default
DIFFUSION_STEPS = 50
VAE_MODEL = (16, 1.0, "mlp")  # latent dimension, β, architecture: the VAE page's best test bound


def _gan(conditional: bool):
    from engine import gan_digits

    name = "digits_conditional" if conditional else "digits"
    state, entry = weights.load("gan", name)
    model = gan_digits.DigitsGan(gan_digits.DigitsGanConfig(**{**entry["config"], "betas": tuple(entry["config"]["betas"])}))
    model.G.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("G.")})
    model.G.eval()
    return model


def _balanced_labels(n: int) -> np.ndarray:
    return np.arange(n) % 10


def sample_generator(name: str, n: int = N_SAMPLES, seed: int = SAMPLE_SEED) -> np.ndarray:
    """``n`` digits (n, 64) on the 0..16 scale from one of the app's generators (or pure noise)."""
    if name == "vae":
        from engine import vae

        return vae.pretrained(*VAE_MODEL).sample(n, seed)
    if name == "vq_vae":
        from engine import vae_vq

        return vae_vq.pretrained().sample(n, seed)
    if name == "gan":
        return _gan(False).sample(n, None, seed)
    if name == "cgan":
        model = _gan(True)
        labels = _balanced_labels(n)
        out = np.empty((n, 64), np.float32)
        for k in range(10):
            out[labels == k] = model.sample(int((labels == k).sum()), k, seed + k)
        return out
    if name == "diffusion":
        from engine import diffusion

        model = diffusion.pretrained_digits()
        return diffusion.digit_samples(model, _balanced_labels(n), DIFFUSION_GUIDANCE, DIFFUSION_STEPS, seed=seed).samples
    if name == "noise":
        return np.random.default_rng(seed).integers(0, 17, (n, 64)).astype(np.float32)
    raise KeyError(name)


GENERATED = ("vae", "vq_vae", "gan", "cgan", "diffusion", "noise")


def regenerate(log=print) -> None:
    """Train the feature network, sample every generator once, and save the network, the samples
    and every image's features and class probabilities, each with its sha256 in the manifest."""
    from engine.evaluation import leaderboard

    torch.set_num_threads(1)  # bit-for-bit reproducible runs
    t0 = time.perf_counter()
    config = FeatureConfig()
    net = train(config)
    metrics = {"test_accuracy": round(accuracy(net, "test"), 4), "val_accuracy": round(accuracy(net, "val"), 4)}
    weights.save(FOLDER, NAME, net.state_dict(), asdict(config), metrics)
    log(f"features: {metrics} ({time.perf_counter() - t0:.1f} s)")
    generated = {name: leaderboard.quantise(sample_generator(name)) for name in GENERATED}
    leaderboard.save_shipped(generated, lambda images: extract(net, images),
                             {"n_samples": N_SAMPLES, "seed": SAMPLE_SEED, "vae": list(VAE_MODEL),
                              "diffusion_guidance": DIFFUSION_GUIDANCE, "diffusion_steps": DIFFUSION_STEPS})
    log(f"samples and features saved ({time.perf_counter() - t0:.1f} s)")
    log(json.dumps(leaderboard.summary(), indent=1))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="Regenerate the evaluation page's feature network and shipped samples.")
    p.add_argument("--regenerate", action="store_true")
    if p.parse_args().regenerate:
        regenerate()
