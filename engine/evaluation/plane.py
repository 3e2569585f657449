"""The 2D part of the evaluation page: real points, and a generator whose failures are dialled in.

The real points are split in two halves: the *training* half is what the generator learnt from, and
the *held-out* half is what it is judged against (a model is only good if it generalises). The
generator starts honest: a Gaussian mixture with up to 20 components fitted to the training half,
so its samples are new points from a smooth density, not jittered copies (a kernel density estimate
on the training points sits measurably closer to them than fresh data does, and the copy detector
rightly flags it). Five dials then break it the way real generators break:

    drop modes   only some of the data's modes are produced (mode collapse)
    blur         Gaussian noise of std σ is added (a blurry model)
    shrink       each sample is pulled towards its nearest local centre by a factor ψ (the truncation trick)
    copy         a share of the samples are training points themselves (memorisation)
    shift        everything moves along x₁ (a biased model)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import metrics
from engine.core.errors import InputError
from engine.evaluation.threads import single_threaded
from engine.evaluation import scorecard as sc
from engine.core.rng import SeedLike, as_generator, child_seed

N_CENTRES = 16  # local centres the shrink dial pulls towards (k-means on the training half)
N_CLUSTER_MODES = 4  # modes of one-class data: k-means clusters stand in for the classes
MIN_POINTS = 14  # two halves of 7: enough for the default k = 5 on each side
MAX_COMPONENTS = 20  # of the honest generator's mixture
POINTS_PER_COMPONENT = 15


@dataclass(frozen=True)
class Dials:
    modes_kept: int | None = None  # None: every mode
    blur: float = 0.0  # std of the added noise, in data units
    shrink: float = 0.0  # ψ in [0, 1]: 0 leaves a sample alone, 1 puts it on its centre
    copy: float = 0.0  # share of samples that are training points
    shift: float = 0.0  # along x₁, in data units


@dataclass(frozen=True)
class Setup:
    """Everything about the real points that does not depend on the generator."""

    train: np.ndarray
    train_modes: np.ndarray  # the mode of each training point
    held_out: np.ndarray
    n_modes: int
    modes_are_classes: bool  # True: the data's classes are its modes; False: k-means clusters
    mode_order: np.ndarray  # the "drop modes" dial drops modes from the end of this order
    centres: np.ndarray  # local centres for the shrink dial
    weights: np.ndarray  # the honest generator: a Gaussian mixture (weights, means, Cholesky factors)
    means: np.ndarray
    chols: np.ndarray
    component_modes: np.ndarray  # the mode each component mostly explains
    scale: float  # the data's mean standard deviation: the unit of the failure table's strengths


def _kmeans(X: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans

    k = max(1, min(k, len(np.unique(X, axis=0))))
    km = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(X)
    return km.cluster_centers_, km.labels_


@single_threaded
def prepare(X: np.ndarray, y: np.ndarray, seed: SeedLike = 0, held_out_fraction: float = 0.5) -> Setup:
    """Split the real points into training and held-out halves and find their modes and centres."""
    X, y = np.asarray(X, float), np.asarray(y, int)
    if len(X) < MIN_POINTS:
        raise InputError("too_few_points", n=len(X), min=MIN_POINTS)
    if len(np.unique(X, axis=0)) < 2:
        raise InputError("all_duplicates")
    rng = as_generator(seed)
    order = rng.permutation(len(X))
    n_held = int(round(len(X) * held_out_fraction))
    held, train = order[:n_held], order[n_held:]
    Xtr, ytr = X[train], y[train]
    classes = np.unique(ytr)
    if len(classes) >= 2:
        modes, n_modes, are_classes = np.searchsorted(classes, ytr), len(classes), True
    else:
        _, modes = _kmeans(Xtr, N_CLUSTER_MODES, child_seed(rng))
        n_modes, are_classes = int(modes.max()) + 1, False
    centres, _ = _kmeans(Xtr, N_CENTRES, child_seed(rng))
    scale = float(Xtr.std(0).mean())
    weights, means, chols, comp_modes = _honest_mixture(Xtr, modes, n_modes, scale, child_seed(rng))
    return Setup(Xtr, modes, X[held], n_modes, are_classes, rng.permutation(n_modes), centres,
                 weights, means, chols, comp_modes, scale)


def _honest_mixture(X: np.ndarray, modes: np.ndarray, n_modes: int, scale: float, seed: int):
    """A full-covariance Gaussian mixture on the training half, and the mode each component explains."""
    from sklearn.mixture import GaussianMixture

    k = int(np.clip(len(X) // POINTS_PER_COMPONENT, 1, MAX_COMPONENTS))
    k = min(k, len(np.unique(X, axis=0)))
    gm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4 * max(scale, 1e-3) ** 2, random_state=seed).fit(X)
    resp = gm.predict_proba(X)  # (n, k)
    per_mode = np.stack([resp[modes == m].sum(0) for m in range(n_modes)])  # (modes, k)
    return gm.weights_, gm.means_, np.linalg.cholesky(gm.covariances_), per_mode.argmax(0)


@dataclass(frozen=True)
class Generated:
    points: np.ndarray
    copied: np.ndarray  # bool per sample: a training point itself
    kept_modes: np.ndarray  # the modes the generator still produces


@single_threaded
def generate(setup: Setup, dials: Dials, n: int, seed: SeedLike = 0) -> Generated:
    """``n`` samples of the honest generator with ``dials`` applied (same seed, same samples)."""
    rng = as_generator(seed)
    kept_n = setup.n_modes if dials.modes_kept is None else int(np.clip(dials.modes_kept, 1, setup.n_modes))
    kept = np.sort(setup.mode_order[:kept_n])
    pool = setup.train[np.isin(setup.train_modes, kept)]
    w = np.where(np.isin(setup.component_modes, kept), setup.weights, 0.0)
    if w.sum() <= 0:  # no component mostly explains a kept mode: fall back to the mixture's nearest ones
        w = setup.weights.copy()
    # draw every random number up front, so moving one dial does not reshuffle the others' noise
    comp = rng.choice(len(w), n, p=w / w.sum())
    eps = rng.standard_normal((n, 2))
    base = setup.means[comp] + np.einsum("nij,nj->ni", setup.chols[comp], eps)
    blur_noise = rng.standard_normal((n, 2))
    order = rng.permutation(n)
    copy_idx = rng.permutation(len(pool)) if n <= len(pool) else rng.integers(0, len(pool), n)
    X = base
    if dials.shrink > 0:
        nearest = np.argmin(((X[:, None, :] - setup.centres[None, :, :]) ** 2).sum(-1), axis=1)
        c = setup.centres[nearest]
        X = c + (1.0 - float(np.clip(dials.shrink, 0, 1))) * (X - c)
    X = X + [dials.shift, 0.0] + dials.blur * blur_noise
    m = int(round(float(np.clip(dials.copy, 0, 1)) * n))
    copied = np.zeros(n, bool)
    if m:
        where = order[:m]
        X[where] = pool[copy_idx[:m]]
        copied[where] = True
    return Generated(X, copied, kept)


# ---------------------------------------------------------------- which failure each metric catches

HIGHER_IS_BETTER = {"precision": True, "recall": True, "density": True, "coverage": True, "mmd2": False,
                    "sliced_wasserstein": False, "log_likelihood": True, "copy_share": False}
# A change smaller than this is noise, whatever the seeds say (on the metric's own scale).
FLOORS = {"precision": 0.04, "recall": 0.04, "density": 0.08, "coverage": 0.04, "mmd2": 0.002,
          "sliced_wasserstein": 0.03, "log_likelihood": 0.1, "copy_share": 0.03}


def failure_dials(setup: Setup) -> dict[str, Dials]:
    """One standard strength per failure, in the data's own scale."""
    s = setup.scale
    return {
        "drop": Dials(modes_kept=max(1, setup.n_modes // 2)),
        "blur": Dials(blur=0.3 * s),
        "shrink": Dials(shrink=0.7),
        "copy": Dials(copy=1.0),
        "shift": Dials(shift=0.4 * s),
    }


@dataclass(frozen=True)
class FailureTable:
    metrics: tuple[str, ...]
    honest: dict[str, float]  # the honest generator's values (mean over seeds)
    noise: dict[str, float]  # the change below which a metric is said not to react
    rows: dict[str, dict[str, float]]  # failure -> metric -> value
    caught: dict[str, dict[str, bool]]  # failure -> metric -> moved the bad way by more than the noise
    dials: dict[str, Dials]
    n: int
    k: int


def _row(setup: Setup, ref: sc.Reference, held_to_train: np.ndarray, dials: Dials, n: int, k: int, seed: int) -> dict:
    gen = generate(setup, dials, n, seed).points
    card = sc.scorecard(ref, gen, k=k, train=setup.train, held_out_to_train=held_to_train, seed=seed)
    row = card.as_row()
    row["log_likelihood"] = float(metrics.parzen_log_likelihood(gen, ref.X).mean())
    return {m: float(row[m]) for m in HIGHER_IS_BETTER}


@single_threaded
def failure_table(setup: Setup, k: int = 5, n: int | None = None, seeds: tuple[int, ...] = (1, 2, 3)) -> FailureTable:
    """Every metric for the honest generator (over a few seeds) and for each failure at its standard
    strength. A metric *catches* a failure when it moves the bad way by more than three times the
    seed-to-seed spread of the honest generator (and more than its floor)."""
    ref = sc.reference(setup.held_out, k_max=k)
    n = n or len(setup.held_out)
    held_to_train = metrics.nearest_distances(setup.held_out, setup.train)
    honest_runs = [_row(setup, ref, held_to_train, Dials(), n, k, s) for s in seeds]
    honest = {m: float(np.mean([r[m] for r in honest_runs])) for m in HIGHER_IS_BETTER}
    noise = {m: max(FLOORS[m], 3.0 * float(np.ptp([r[m] for r in honest_runs]))) for m in HIGHER_IS_BETTER}
    dials = failure_dials(setup)
    rows, caught = {}, {}
    for name, d in dials.items():
        rows[name] = _row(setup, ref, held_to_train, d, n, k, seeds[0])
        caught[name] = {}
        for m, higher in HIGHER_IS_BETTER.items():
            change = rows[name][m] - honest[m]
            caught[name][m] = bool((-change if higher else change) > noise[m])
    return FailureTable(tuple(HIGHER_IS_BETTER), honest, noise, rows, caught, dials, n, k)


# ---------------------------------------------------------------- drawing k-NN balls cheaply

def ball_union(centres: np.ndarray, radii: np.ndarray, box: tuple[float, float, float, float], resolution: int = 240) -> np.ndarray:
    """(resolution, resolution) bool image of the union of the balls B(c_i, r_i) over ``box``
    (row 0 at the bottom, x₂ = box[2]). Each ball is stamped as a disc of whole pixels, so two
    thousand balls cost a few milliseconds, and the page sends one small picture instead of circles."""
    x0, x1, y0, y1 = box
    dx, dy = (x1 - x0) / (resolution - 1), (y1 - y0) / (resolution - 1)
    cell = max(dx, dy)
    img = np.zeros((resolution, resolution), bool)
    C = np.asarray(centres, float)
    ci = np.rint((C[:, 0] - x0) / dx).astype(int)
    cj = np.rint((C[:, 1] - y0) / dy).astype(int)
    R = np.minimum(np.rint(np.asarray(radii, float) / cell), 2 * resolution).astype(int)
    for r in np.unique(R):
        sel = R == r
        oj, oi = np.mgrid[-r : r + 1, -r : r + 1]
        disc = oi * oi + oj * oj <= r * r
        oi, oj = oi[disc], oj[disc]
        px = (ci[sel][:, None] + oi[None, :]).ravel()
        py = (cj[sel][:, None] + oj[None, :]).ravel()
        ok = (px >= 0) & (px < resolution) & (py >= 0) & (py < resolution)
        img[py[ok], px[ok]] = True
    return img

