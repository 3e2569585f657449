"""The truncation trick measured: what the digits GAN gains in quality and loses in diversity as ψ falls.

For each ψ the shipped (unconditional) digits GAN draws ``n`` digits with z truncated at ψ
(``gan.truncation``), and the evaluator's digit network (``features``, the evaluation page's
classifier, trained on the real training digits only) judges them:

- quality: the mean confidence max_y p(y|x) of its softmax, and precision (the share of samples inside
  the k-NN balls of the real test digits' features, as on the evaluation page);
- diversity: classes covered (classes holding at least a fifth of their fair share n/10 of the
  predicted labels, the GAN page's rule), the effective number of classes 2^H (H the entropy of the
  predicted-label histogram, in bits: 10 when all ten are equally frequent, 1 when one class takes
  all), and recall (the share of real digits inside some sample's k-NN ball).

The same uniform numbers serve every ψ (one seed), so the curve is smooth and reproducible.
Improved precision and recall (Kynkäänniemi et al. 2019) showed this trade-off on StyleGAN and BigGAN.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from engine import metrics
from engine.data import digits
from engine.evaluation import features
from engine.evaluation.threads import single_threaded

__all__ = ["PSIS", "N_SAMPLES", "K", "SEED", "Point", "Curve", "judge", "curve", "reference_features", "FILE", "recipe",
           "shipped_curve"]

PSIS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # the page's slider, and the curve's grid
N_SAMPLES = 500
K = 5  # k of the k-NN balls, as on the evaluation page
SEED = 0
N_CLASSES = 10
COVER_SHARE = 0.2  # a class is covered with at least 20% of its fair share (engine.families.gan.digits.evaluate)


@dataclass(frozen=True)
class Point:
    """The judgement of one set of samples."""

    confidence: float
    precision: float
    recall: float
    classes_covered: int
    effective_classes: float
    counts: tuple[int, ...]  # predicted labels 0..9


@dataclass(frozen=True)
class Curve:
    psi: tuple[float, ...]
    points: tuple[Point, ...]  # one per ψ
    untruncated: Point  # z ~ N(0, I), with the same uniform numbers
    n: int

    def series(self, name: str) -> np.ndarray:
        return np.array([getattr(p, name) for p in self.points], float)

    def at(self, psi: float) -> Point:
        return self.points[self.psi.index(psi)]


@lru_cache(maxsize=1)
def reference_features() -> np.ndarray:
    """The evaluator's features of the 447 real test digits (never seen by the GAN or the evaluator)."""
    X, _ = digits.load("test")
    return features.extract(features.pretrained(), X)[0]


@single_threaded
def judge(images: np.ndarray) -> Point:
    """Quality and diversity of ``images`` (n, 64) on the 0..16 scale, as the evaluator sees them."""
    feats, probs = features.extract(features.pretrained(), images)
    counts = np.bincount(probs.argmax(1), minlength=N_CLASSES)
    share = counts / counts.sum()
    entropy = float(-(share[share > 0] * np.log2(share[share > 0])).sum())
    pr = metrics.prdc(reference_features(), feats, K)
    return Point(float(probs.max(1).mean()), pr.precision, pr.recall, int((counts >= COVER_SHARE * len(images) / N_CLASSES).sum()),
                 float(2.0 ** entropy), tuple(int(c) for c in counts))


def curve(psis: tuple[float, ...] = PSIS, n: int = N_SAMPLES, seed: int = SEED) -> Curve:
    """The shipped digits GAN judged at every ψ of ``psis`` and untruncated (a few seconds, once per process)."""
    from engine.families import gan

    model = gan.digits.pretrained(False)[0]
    points = tuple(judge(gan.truncation.sample(model, n, psi, seed)) for psi in psis)
    return Curve(tuple(float(p) for p in psis), points, judge(gan.truncation.sample(model, n, None, seed)), n)




FILE = "truncation_curve.json"  # the default curve, shipped with the evaluator: the GAN page reads it without judging


def _config(psis, n, seed) -> dict:
    return {"psi": [float(p) for p in psis], "n": int(n), "seed": int(seed), "k": K}


def recipe():
    from engine.core.weights import Document

    c = curve()
    return Document(FILE, {"config": _config(c.psi, c.n, SEED), "points": [asdict(p) for p in c.points],
                           "untruncated": asdict(c.untruncated)})


def shipped_curve(psis: tuple[float, ...] = PSIS, n: int = N_SAMPLES, seed: int = SEED) -> Curve:
    """:func:`curve`, as ``python -m engine.regenerate evaluator truncation_curve.json`` shipped it (judged afresh if
    the settings differ)."""
    from engine.core import weights
    from engine.evaluation.leaderboard import FOLDER

    doc = weights.read_document(FOLDER, FILE)
    if doc is None or doc["config"] != _config(psis, n, seed):
        return curve(psis, n, seed)
    point = lambda d: Point(**{**d, "counts": tuple(d["counts"])})  # noqa: E731
    return Curve(tuple(doc["config"]["psi"]), tuple(point(d) for d in doc["points"]), point(doc["untruncated"]), n)
