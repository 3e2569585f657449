"""The VAE-GAN and its plain-VAE twin judged: sharpness, and the evaluation page's digit metrics.

Both shipped models (``engine.families.vae.vaegan``) decode the same ``n`` codes z ~ N(0, I). Each set of
samples gets

- its sharpness S (``vaegan.sharpness``: mean gradient magnitude per image, averaged over images);
- the evaluation page's leaderboard row (``leaderboard.score``): FID, precision and recall against the 447 test
  digits in the evaluator's feature space, and the classes its classifier sees in at least 2% of the samples.

The real row is the 350 held-out (validation) digits, the leaderboard's floor: what fresh real digits score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.data import digits
from engine.evaluation import features, leaderboard
from engine.evaluation.threads import single_threaded

__all__ = ["N_SAMPLES", "SEED", "Judged", "judge", "compare", "model_metrics"]

N_SAMPLES = 1000
SEED = 0


@dataclass(frozen=True)
class Judged:
    """One set of digits as the page reports it."""

    sharpness: float  # mean over images of S(x)
    fid: float
    precision: float
    recall: float
    classes: int  # classes the evaluator's classifier sees in at least 2% of the images
    confidence: float  # mean max_y p(y|x) of the evaluator's classifier
    n: int


def _row(images: np.ndarray, feats: np.ndarray, probs: np.ndarray) -> Judged:
    row = leaderboard.score(feats, probs, leaderboard.shipped())
    from engine.families.vae import vaegan

    return Judged(float(vaegan.sharpness(images).mean()), float(row.fid.value), float(row.prdc.precision),
                  float(row.prdc.recall), int(row.classes), float(probs.max(1).mean()), len(images))


@single_threaded
def judge(images: np.ndarray) -> Judged:
    """Sharpness and the leaderboard's metrics of ``images`` (n, 64) on the 0..16 scale."""
    feats, probs = features.extract(features.pretrained(), images)
    return _row(images, feats, probs)


@single_threaded
def compare(n: int = N_SAMPLES, seed: int = SEED) -> dict[str, Judged]:
    """``plain`` and ``vaegan`` on the same n codes, and ``real``: the held-out digits (shipped features)."""
    from engine.families.vae import vaegan

    plain, vg = vaegan.pretrained("plain"), vaegan.pretrained("vaegan")
    z = plain.prior_codes(n, seed)
    data = leaderboard.shipped()
    real = _row(data.images["held_out"], data.features["held_out"], data.probs["held_out"])
    return {"plain": judge(plain.decode(z)), "vaegan": judge(vg.decode(z)), "real": real}


def model_metrics(model) -> dict:
    """What the manifest records of one shipped model: its samples judged, and how well its reconstructions
    of the test digits are still recognised by the evaluator's classifier."""
    j = judge(model.sample(N_SAMPLES, SEED))
    X, y = digits.load("test")
    _, probs = features.extract(features.pretrained(), model.reconstruct(X))
    return {"sharpness": round(j.sharpness, 4), "fid": round(j.fid, 4), "precision": round(j.precision, 4),
            "recall": round(j.recall, 4), "classes": j.classes, "recon_accuracy": round(float((probs.argmax(1) == y).mean()), 4)}
