"""Data augmentation, measured: does adding generated digits help a classifier that has seen few real ones?

For each seed: draw ``n_real`` training digits of each class (from the shared train split), fit a
multinomial logistic regression on them, and the same model on them plus ``k_generated`` digits of each
class from a shipped class-conditional generator (the conditional GAN, or the digits diffusion model with
DDIM). Both are scored on the 447 held-out test digits. A seed fixes the real subset and the generated
digits alike, so the two accuracies of one seed are a *paired* comparison.

The verdict follows the numbers: with d_s = acc_aug(s) − acc_real(s) over S seeds, its mean d̄ and its
standard error se = sd(d) / √S, augmentation "helps" when d̄ − 2·se > 0, "hurts" when d̄ + 2·se < 0, and
otherwise the difference is too small to tell apart from the seed-to-seed spread.

What this leaves out on purpose: the generators were trained on all 1,000 labelled training digits, so a
generated digit carries knowledge of digits the small classifier never saw. The reference line (the same
classifier on all 1,000 real digits) shows how much of that could be had without any generator.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from engine.core.errors import InputError
from engine.core.rng import as_generator, child_seed
from engine.data import digits
from engine.families import diffusion, gan

__all__ = ["SOURCES", "N_CLASSES", "N_REAL_RANGE", "K_RANGE", "MAX_SEEDS", "DIFFUSION_STEPS", "AugmentationConfig",
           "FOLDER", "SHIPPED_FILE", "N_REAL_SWEEP", "Result", "real_subset", "generated", "accuracy", "run", "reference_accuracy", "result_from_dict", "shipped_document",
           "shipped_results"]

SOURCES = ("gan", "diffusion")
N_CLASSES = 10
N_REAL_RANGE = (5, 50)  # real digits per class: the train split has at least 90 of each
K_RANGE = (5, 50)  # generated digits per class
MAX_SEEDS = 10
DIFFUSION_STEPS = 10  # DDIM steps for the diffusion model's digits (guidance w = 1: the evaluator reads all 500 of a test as asked)
DIFFUSION_GUIDANCE = 1.0
FOLDER, SHIPPED_FILE = "experiments", "augmentation.json"  # assets/weights/experiments/: engine.applications.shipped
N_REAL_SWEEP = (5, 10, 20, 50)  # the shipped runs: both generators at these real digits per class, the default k


@dataclass(frozen=True)
class AugmentationConfig:
    n_real: int = 10  # real training digits per class
    k_generated: int = 20  # generated digits per class, added to them
    source: str = "gan"
    n_seeds: int = 5
    C: float = 1.0  # the logistic regression's inverse L2 strength (scikit-learn's default)

    def check(self) -> None:
        if self.source not in SOURCES:
            raise InputError("unknown_source", name=self.source)
        if not N_REAL_RANGE[0] <= self.n_real <= N_REAL_RANGE[1]:
            raise InputError("bad_n_real", n=self.n_real, min=N_REAL_RANGE[0], max=N_REAL_RANGE[1])
        if not K_RANGE[0] <= self.k_generated <= K_RANGE[1]:
            raise InputError("bad_k", k=self.k_generated, min=K_RANGE[0], max=K_RANGE[1])
        if not 2 <= self.n_seeds <= MAX_SEEDS:
            raise InputError("bad_seeds", n=self.n_seeds, max=MAX_SEEDS)


@dataclass(frozen=True)
class Result:
    """Per-seed held-out accuracies of the classifier on real digits only and on real + generated digits."""

    config: AugmentationConfig
    seeds: tuple[int, ...]
    real: tuple[float, ...]
    augmented: tuple[float, ...]
    generated_agreement: float  # share of the generated digits the evaluator reads as the class asked for
    reference: float  # the same classifier on all 1,000 real training digits
    n_test: int
    seconds: float

    @property
    def seed(self) -> int:
        """The seed the run was asked for (its seeds are seed · 1000 + 0, 1, …)."""
        return self.seeds[0] // 1000

    @property
    def differences(self) -> np.ndarray:
        return np.asarray(self.augmented) - np.asarray(self.real)

    def mean_std(self, which: str) -> tuple[float, float]:
        values = np.asarray(getattr(self, which))
        return float(values.mean()), float(values.std(ddof=1))

    @property
    def standard_error(self) -> float:
        d = self.differences
        return float(d.std(ddof=1) / np.sqrt(len(d)))

    @property
    def verdict(self) -> str:
        """"helps", "hurts" or "unclear": the mean paired difference against twice its standard error."""
        d, se = float(self.differences.mean()), self.standard_error
        if d - 2 * se > 0:
            return "helps"
        if d + 2 * se < 0:
            return "hurts"
        return "unclear"

    @property
    def seeds_better(self) -> int:
        return int((self.differences > 0).sum())

    def to_dict(self) -> dict:
        return {"config": asdict(self.config), "seeds": list(self.seeds), "real": list(self.real),
                "augmented": list(self.augmented), "generated_agreement": self.generated_agreement,
                "reference": self.reference, "n_test": self.n_test, "seconds": self.seconds}


def result_from_dict(d: dict) -> Result:
    return Result(AugmentationConfig(**d["config"]), tuple(d["seeds"]), tuple(d["real"]), tuple(d["augmented"]),
                  float(d["generated_agreement"]), float(d["reference"]), int(d["n_test"]), float(d["seconds"]))


def real_subset(n_real: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_real`` training digits of each class, drawn without replacement by ``seed``."""
    X, y = digits.load("train")
    rng = as_generator(seed)
    idx = np.concatenate([rng.choice(np.flatnonzero(y == k), n_real, replace=False) for k in range(N_CLASSES)])
    return X[idx], y[idx]


def generated(source: str, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` digits of each class (pixels 0…16) from the shipped conditional generator ``source``."""
    labels = np.repeat(np.arange(N_CLASSES), k)
    if source == "gan":
        model = _gan_model()
        rng = as_generator(seed)
        images = np.concatenate([model.sample(k, c, child_seed(rng)) for c in range(N_CLASSES)])
    else:
        model = _diffusion_model()
        images = diffusion.digit_samples(model, labels, DIFFUSION_GUIDANCE, DIFFUSION_STEPS, seed).samples
    return np.asarray(images, np.float32), labels


@lru_cache(maxsize=1)
def _gan_model():
    """The shipped conditional digits GAN, loaded once per process (inference only: shared, never trained)."""
    return gan.digits.pretrained(True)[0]


@lru_cache(maxsize=1)
def _diffusion_model():
    """The shipped digits diffusion model, loaded once per process (inference only: shared, never trained)."""
    return diffusion.pretrained_digits()


def _fit(X: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    # one BLAS thread: on a shared CPU, BLAS's own threads for these tiny matrices made a run 5-30x slower
    with threadpool_limits(1):
        return LogisticRegression(C=C, max_iter=2000).fit(np.asarray(X, np.float64) / 16.0, y)


def accuracy(X_train: np.ndarray, y_train: np.ndarray, C: float = 1.0) -> float:
    """Held-out accuracy on the test split of a logistic regression fitted on ``X_train`` (pixels 0…16)."""
    X_test, y_test = digits.load("test")
    return float((_fit(X_train, y_train, C).predict(np.asarray(X_test, np.float64) / 16.0) == y_test).mean())


@lru_cache(maxsize=4)
def reference_accuracy(C: float = 1.0) -> float:
    """The same classifier on all 1,000 real training digits: what more real data alone gives."""
    X, y = digits.load("train")
    return accuracy(X, y, C)


def run(config: AugmentationConfig = AugmentationConfig(), seed: int = 0) -> Result:
    """The experiment over ``config.n_seeds`` seeds derived from ``seed`` (the same numbers every time)."""
    config.check()
    t0 = time.perf_counter()
    seeds = tuple(seed * 1000 + s for s in range(config.n_seeds))
    real, augmented, agree = [], [], []
    for s in seeds:
        Xr, yr = real_subset(config.n_real, s)
        Xg, yg = generated(config.source, config.k_generated, s + 500_000)
        real.append(round(accuracy(Xr, yr, config.C), 6))
        augmented.append(round(accuracy(np.concatenate([Xr, Xg]), np.concatenate([yr, yg]), config.C), 6))
        agree.append(float((digits.classify(Xg) == yg).mean()))
    return Result(config, seeds, tuple(real), tuple(augmented), round(float(np.mean(agree)), 6),
                  round(reference_accuracy(config.C), 6), len(digits.load("test")[1]), round(time.perf_counter() - t0, 3))


def shipped_document() -> dict:
    """What ``python -m engine.regenerate experiments`` ships: both generators at the default k, over ``N_REAL_SWEEP``."""
    default = AugmentationConfig()
    runs = [run(AugmentationConfig(n_real=n, k_generated=default.k_generated, source=source, n_seeds=default.n_seeds)).to_dict()
            for source in SOURCES for n in N_REAL_SWEEP]
    return {"runs": runs}


def shipped_results() -> dict[tuple[str, int, int], Result]:
    """The shipped runs (seed 0), keyed by (source, real digits per class, generated digits per class)."""
    from engine.core import weights

    doc = weights.read_document(FOLDER, SHIPPED_FILE) or {"runs": []}
    out = {}
    for row in doc["runs"]:
        r = result_from_dict(row)
        out[(r.config.source, r.config.n_real, r.config.k_generated)] = r
    return out
