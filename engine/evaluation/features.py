"""A small feature network for 8×8 digits: what Inception-v3 is to FID, in miniature.

FID proper feeds 299×299 photographs through Inception-v3 (trained on ImageNet) and compares the
2,048 numbers of its last pooling layer. Our digits are 8×8, so the evaluation page computes the
same formulas in the feature space of a digit classifier trained once on the training split:

    x (8×8 pixels / 16) → conv 3×3, 32 channels → ReLU → conv 3×3, 64 channels → ReLU → max-pool 2×2
        → Dropout → Linear 1024→32 → tanh = features φ(x) (32 numbers) → Linear 32→10 = logits of p(y|x)

The 32 features (tanh: dense, bounded, no dead units, so their covariance has full rank) feed FID,
KID, precision/recall/density/coverage and the diversity score; the softmax head feeds the
Inception-Score analogue. Weights ship as tensors only (``assets/weights/evaluator/feature_net.pt``,
sha256 in the manifest), and the recipes in :mod:`engine.evaluation.shipped` rebuild them and every
shipped sample bit for bit:

    python -m engine.regenerate evaluator [--check]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from engine.core import weights
from engine.core.torch_setup import RngState, generator, torch
from engine.data import digits
from engine.evaluation import leaderboard
from engine.evaluation.leaderboard import FOLDER

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
    dropout = RngState(config.seed + 2)  # dropout draws from torch's global generator: give it a state of its own
    with dropout.active():
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


def _balanced_labels(n: int) -> np.ndarray:
    return np.arange(n) % 10


def sample_generator(name: str, n: int = N_SAMPLES, seed: int = SAMPLE_SEED) -> np.ndarray:
    """``n`` digits (n, 64) on the 0..16 scale from one of the app's shipped generators (or pure noise)."""
    from engine.families import diffusion, gan, vae

    if name == "vae":
        return vae.pretrained(*VAE_MODEL).sample(n, seed)
    if name == "vq_vae":
        return vae.vq.pretrained().sample(n, seed)
    if name == "gan":
        return gan.digits.pretrained(False)[0].sample(n, None, seed)
    if name == "cgan":
        model = gan.digits.pretrained(True)[0]
        labels = _balanced_labels(n)
        out = np.empty((n, 64), np.float32)
        for k in range(10):
            out[labels == k] = model.sample(int((labels == k).sum()), k, seed + k)
        return out
    if name == "diffusion":
        model = diffusion.pretrained_digits()
        return diffusion.digit_samples(model, _balanced_labels(n), DIFFUSION_GUIDANCE, DIFFUSION_STEPS, seed=seed).samples
    if name == "noise":
        return np.random.default_rng(seed).integers(0, 17, (n, 64)).astype(np.float32)
    raise KeyError(name)


GENERATED = leaderboard.GENERATED_FILES  # the generators sampled once, in the order of the rows of images.npy
SAMPLING = {"n_samples": N_SAMPLES, "seed": SAMPLE_SEED, "vae": list(VAE_MODEL),
            "diffusion_guidance": DIFFUSION_GUIDANCE, "diffusion_steps": DIFFUSION_STEPS}


@dataclass(frozen=True)
class Built:
    """Everything the evaluator ships, made in one run: the network and the arrays it measured."""

    net: weights.Trained
    arrays: dict[str, weights.Arrays]  # images, features, probs


@lru_cache(maxsize=1)
def build() -> Built:
    """Train the feature network, sample every generator once, and featurise every generated and real
    digit (one run per process: the four shipped files share it)."""
    config = FeatureConfig()
    net = train(config)
    metrics = {"test_accuracy": round(accuracy(net, "test"), 4), "val_accuracy": round(accuracy(net, "val"), 4)}
    generated = {name: leaderboard.quantise(sample_generator(name)) for name in GENERATED}
    arrays = leaderboard.shipped_arrays(generated, lambda images: extract(net, images), SAMPLING)
    return Built(weights.Trained(net.state_dict(), asdict(config), metrics), arrays)
