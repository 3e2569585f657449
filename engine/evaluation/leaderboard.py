"""The app's digit generators side by side, measured in the digit feature space.

Everything here reads shipped arrays (``assets/weights/evaluator/*.npy``, sha256 in the manifest):
1,000 samples of each generator (quantised to bytes) and the features φ(x) and class probabilities
p(y|x) of every generated and real digit, computed once by ``engine.evaluation.features``
(``python -m engine.regenerate evaluator``). So the leaderboard, the FID-vs-N curves and the
"which are real?" round need no torch and render at once.

Sources (rows of the leaderboard):

    generators   vae, vq_vae, gan, cgan, diffusion         the app's own models
    references   held_out   the 350 validation digits: real data the models never saw (the floor)
                 train      training digits themselves: the perfect memoriser
                 ten_digits one training digit of each class, repeated: perfect-looking and no diversity
                 noise      pixels drawn uniformly from 0…16

Every source is compared with the 447 test digits (the real reference).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine import metrics
from engine.core import weights
from engine.data import digits
from engine.core.errors import InputError
from engine.evaluation.threads import single_threaded
from engine.core.rng import SeedLike, as_generator

FOLDER = "evaluator"  # assets/weights/evaluator: the feature network and what it measured
GENERATORS = ("vae", "vq_vae", "gan", "cgan", "diffusion")
REFERENCES = ("held_out", "train", "ten_digits", "noise")
SOURCES = GENERATORS + REFERENCES
GENERATED_FILES = ("vae", "vq_vae", "gan", "cgan", "diffusion", "noise")  # the order of the rows of images.npy
REAL_SPLITS = {"train": "train", "held_out": "val", "reference": "test"}
N_TABLE = 350  # samples per row of the leaderboard: the size of the smallest source (the held-out digits)
ARRAYS = ("images", "features", "probs")
COPY_QUANTILE = 0.05


# ---------------------------------------------------------------- shipped arrays

def quantise(images: np.ndarray) -> np.ndarray:
    """0..16 pixels → uint8 0..255 (what ships); :func:`dequantise` is its inverse up to 16/510."""
    return np.rint(np.clip(np.asarray(images, float), 0, 16) * (255 / 16)).astype(np.uint8)


def dequantise(codes: np.ndarray) -> np.ndarray:
    return np.asarray(codes, np.float32) * np.float32(16 / 255)


def shipped_arrays(generated: dict[str, np.ndarray], featurise: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                   config: dict) -> dict[str, weights.Array]:
    """What ships: images (uint8 codes of the generated digits), features and probs (float16, for the
    generated digits in ``GENERATED_FILES`` order, then the train, validation and test digits)."""
    images = np.concatenate([generated[name] for name in GENERATED_FILES])
    blocks = [dequantise(generated[name]) for name in GENERATED_FILES] + [digits.load(s)[0] for s in REAL_SPLITS.values()]
    names = list(GENERATED_FILES) + list(REAL_SPLITS)
    offsets, start = {}, 0
    for name, block in zip(names, blocks):
        offsets[name] = [start, start + len(block)]
        start += len(block)
    feats, probs = featurise(np.concatenate(blocks))
    arrays = {"images": images, "features": feats.astype(np.float16), "probs": probs.astype(np.float16)}
    return {name: weights.Array(arr, {**config, "offsets": offsets}) for name, arr in arrays.items()}


@dataclass(frozen=True)
class Shipped:
    images: dict[str, np.ndarray]  # source -> (n, 64) float32 pixels 0..16
    features: dict[str, np.ndarray]  # source -> (n, 32) float64
    probs: dict[str, np.ndarray]  # source -> (n, 10) float64
    reference_features: np.ndarray  # the test digits'
    reference_images: np.ndarray
    train_features: np.ndarray
    config: dict


def _load(name: str) -> tuple[np.ndarray, dict]:
    if name not in weights.read_manifest(FOLDER):
        raise InputError("no_pretrained", name=f"{FOLDER}/{name}")
    arr, entry = weights.load_array(FOLDER, name)  # plain numbers only: never a pickle
    return arr, entry["config"]


def _ten_digits() -> np.ndarray:
    """Row indices in the training split of the first digit of each class."""
    _, y = digits.load("train")
    return np.array([int(np.flatnonzero(y == k)[0]) for k in range(10)])


@lru_cache(maxsize=1)
def shipped() -> Shipped:
    """The shipped samples, features and probabilities, checksums verified (read-only, shared)."""
    codes, config = _load("images")
    feats, _ = _load("features")
    probs, _ = _load("probs")
    off = config["offsets"]
    images, F, P = {}, {}, {}
    row = 0
    for name in GENERATED_FILES:
        n = off[name][1] - off[name][0]
        images[name] = dequantise(codes[row:row + n])
        row += n
    real = {"train": digits.load("train")[0], "held_out": digits.load("val")[0], "reference": digits.load("test")[0]}
    images.update({k: v for k, v in real.items() if k != "reference"})
    for name in list(GENERATED_FILES) + list(REAL_SPLITS):
        a, b = off[name]
        F[name], P[name] = feats[a:b].astype(float), probs[a:b].astype(float)
    ten = np.tile(_ten_digits(), N_TABLE // 10)
    images["ten_digits"], F["ten_digits"], P["ten_digits"] = images["train"][ten], F["train"][ten], P["train"][ten]
    for d in (images, F, P):
        for v in d.values():
            v.setflags(write=False)
    return Shipped({s: images[s] for s in SOURCES}, {s: F[s] for s in SOURCES}, {s: P[s] for s in SOURCES},
                   F["reference"], real["reference"], F["train"], config)


# ---------------------------------------------------------------- the leaderboard

@dataclass(frozen=True)
class Row:
    source: str
    n: int
    fid: metrics.Frechet
    kid: metrics.KID
    inception_score: float
    prdc: metrics.PRDC
    diversity: float
    copy: metrics.CopyReport
    classes: int  # classes the feature network's classifier sees at least 2% of the samples in


def held_out_to_train(data: Shipped) -> np.ndarray:
    """The copy detector's yardstick: how far the held-out (validation) digits sit from their nearest
    training digit in feature space. Not the test digits: they were written by other people and sit
    farther from the training digits (median 0.96 against 0.72), so fresh validation-like samples
    would look like copies next to them."""
    return metrics.nearest_distances(data.features["held_out"], data.train_features)


@single_threaded
def score(features: np.ndarray, probs: np.ndarray, data: Shipped, k: int = 5, seed: SeedLike = 0,
          held_to_train: np.ndarray | None = None) -> Row:
    """Every digits metric for one set of samples' features and class probabilities."""
    ref = data.reference_features
    h = held_out_to_train(data) if held_to_train is None else held_to_train
    counts = np.bincount(probs.argmax(1), minlength=10)
    return Row("", len(features), metrics.fid(ref, features), metrics.kid(ref, features, seed=seed),
               metrics.inception_score(probs), metrics.prdc(ref, features, k), metrics.diversity(features),
               metrics.copy_report(metrics.nearest_distances(features, data.train_features), h, COPY_QUANTILE),
               int((counts >= 0.02 * len(features)).sum()))


@single_threaded
def leaderboard(k: int = 5, n: int = N_TABLE, seed: SeedLike = 0) -> list[Row]:
    """One row per source, each on its first ``n`` samples, against the test digits."""
    data = shipped()
    h = held_out_to_train(data)
    rows = []
    for source in SOURCES:
        F, P = data.features[source][:n], data.probs[source][:n]
        row = score(F, P, data, k, seed, h)
        rows.append(Row(source, *[getattr(row, f) for f in Row.__dataclass_fields__ if f != "source"]))
    return rows


# ---------------------------------------------------------------- FID's bias at small N

FID_NS = (10, 15, 20, 25, 35, 50, 75, 100, 150, 200, 300, 500, 700, 1000)
FIT_FROM = 50  # FID_∞ is fitted on N ≥ this (below, the covariance is singular or nearly)


@dataclass(frozen=True)
class FidCurve:
    source: str
    ns: np.ndarray
    mean: np.ndarray  # FID at each N, averaged over random subsets
    std: np.ndarray
    regularised: np.ndarray  # bool per N: a singular covariance was regularised
    fid_inf: float  # the intercept of the straight line FID ≈ FID_∞ + b/N (Chong & Forsyth, 2020)
    slope: float  # b


@single_threaded
def fid_curve(source: str, ns=FID_NS, repeats: int = 20, seed: SeedLike = 0) -> FidCurve:
    """FID of random subsets of N samples against all the test digits, for N in ``ns`` (up to the
    samples the source has), and its extrapolation to infinitely many samples."""
    data = shipped()
    F = data.features[source]
    if source == "ten_digits":
        raise InputError("fid_curve_source", source=source)
    ns = np.array([n for n in ns if n <= len(F)])
    rng = as_generator(seed)
    mu, S = metrics.gaussian_stats(data.reference_features)
    real_stats = (mu, S, metrics.covariance_rank(S))
    means, stds, reg = [], [], []
    for n in ns:
        vals, flags = [], []
        for _ in range(repeats if n < len(F) else 1):
            f = metrics.fid(data.reference_features, F[rng.choice(len(F), n, replace=False)], real_stats=real_stats)
            vals.append(f.value)
            flags.append(f.regularised)
        means.append(np.mean(vals))
        stds.append(np.std(vals))
        reg.append(any(flags))
    means, stds = np.array(means), np.array(stds)
    fit = ns >= FIT_FROM
    if fit.sum() >= 2:
        slope, intercept = np.polyfit(1.0 / ns[fit], means[fit], 1)
    else:
        slope, intercept = 0.0, float(means[-1])
    return FidCurve(source, ns, means, stds, np.array(reg), float(intercept), float(slope))


def crossing(a: FidCurve, b: FidCurve) -> float | None:
    """The N (interpolated in log N) of the *last* flip of the two curves' order: above it the ranking
    holds at every N measured, below it it does not. None if the order never flips. Only the N where
    both sources have samples count."""
    common = np.intersect1d(a.ns, b.ns)
    if len(common) < 2:
        return None
    da = a.mean[np.isin(a.ns, common)] - b.mean[np.isin(b.ns, common)]
    for i in range(len(common) - 2, -1, -1):
        if da[i + 1] == 0:
            return float(common[i + 1])
        if np.sign(da[i]) != np.sign(da[i + 1]):
            la, lb = np.log(common[i]), np.log(common[i + 1])
            t = da[i] / (da[i] - da[i + 1])
            return float(np.exp(la + t * (lb - la)))
    return None


def order_around(a: FidCurve, b: FidCurve, n: float) -> tuple[str, str]:
    """(the source with the lower FID just below N = n, the one lower above it, up to the largest N)."""
    common = np.intersect1d(a.ns, b.ns)
    fa, fb = a.mean[np.isin(a.ns, common)], b.mean[np.isin(b.ns, common)]
    below = int(np.flatnonzero(common < n)[-1]) if (common < n).any() else 0
    return (a.source if fa[below] < fb[below] else b.source), (a.source if fa[-1] < fb[-1] else b.source)


def feature_net_metrics() -> dict:
    """The shipped feature network's accuracies, from the manifest (no torch needed)."""
    return weights.read_manifest(FOLDER).get("feature_net", {}).get("metrics", {})


# ---------------------------------------------------------------- human evaluation

@dataclass(frozen=True)
class Round:
    images: np.ndarray  # (n, 64) pixels 0..16, real and generated shuffled
    real: np.ndarray  # bool per image: a real test digit


def human_round(source: str, n_tiles: int = 16, seed: SeedLike = 0) -> Round:
    """Half real test digits, half samples of ``source``, shuffled (the same seed, the same round)."""
    data = shipped()
    rng = as_generator(seed)
    n_real = n_tiles // 2
    fake = data.images[source]
    real_imgs = data.reference_images[rng.choice(len(data.reference_images), n_real, replace=False)]
    fake_imgs = fake[rng.choice(len(fake), n_tiles - n_real, replace=len(fake) < n_tiles - n_real)]
    order = rng.permutation(n_tiles)
    images = np.concatenate([real_imgs, fake_imgs])[order]
    real = np.r_[np.ones(n_real, bool), np.zeros(n_tiles - n_real, bool)][order]
    return Round(images, real)


@dataclass(frozen=True)
class RoundScore:
    correct: int  # tiles judged right (picked and real, or left and generated)
    n: int
    real_found: int  # real tiles picked as real
    n_real: int
    fooled: int  # generated tiles picked as real

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0


def score_round(real: np.ndarray, picked: np.ndarray) -> RoundScore:
    real, picked = np.asarray(real, bool), np.asarray(picked, bool)
    return RoundScore(int((real == picked).sum()), len(real), int((real & picked).sum()), int(real.sum()),
                      int((~real & picked).sum()))


@dataclass(frozen=True)
class Tally:
    """A session's "which are real?" rounds added up."""

    rounds: int = 0
    correct: int = 0
    tiles: int = 0
    fooled: int = 0

    def add(self, s: RoundScore) -> Tally:
        return Tally(self.rounds + 1, self.correct + s.correct, self.tiles + s.n, self.fooled + s.fooled)

    @property
    def accuracy(self) -> float:
        return self.correct / self.tiles if self.tiles else 0.0


def summary() -> dict[str, dict[str, float]]:
    """The leaderboard's headline numbers (what ``regenerate`` prints)."""
    return {r.source: {"fid": round(r.fid.value, 3), "kid": round(r.kid.value, 5), "is": round(r.inception_score, 3),
                       "precision": round(r.prdc.precision, 3), "recall": round(r.prdc.recall, 3),
                       "coverage": round(r.prdc.coverage, 3), "diversity": round(r.diversity, 3),
                       "copies": round(r.copy.share, 3)} for r in leaderboard()}
