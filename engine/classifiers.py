"""Page 1: discriminative classifiers p(y|x) versus generative ones p(x|y)·p(y).

Both kinds share ``fit`` / ``predict_proba`` / ``predict``; only the generative kind
also has ``score_samples`` (log p(x)) and ``sample_per_class`` — which is the whole point of the page.
They live here, not among the generative families: they are classifiers, and the generative kind
is a Gaussian mixture per class turned into one by Bayes' rule.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator, child_seed

# ---------------------------------------------------------------- discriminative: p(y|x)

DISCRIMINATIVE = ("logistic", "svm_rbf", "mlp")
GENERATIVE = ("naive_bayes", "qda", "gmm")
# Every model trains on at least 3 points of each class (the SVM's Platt scaling uses 3 folds, and a
# class's Gaussian needs 2), so data needs one more per class, for the held-out part.
MIN_TRAIN_PER_CLASS = 3
MIN_PER_CLASS = MIN_TRAIN_PER_CLASS + 1


@dataclass(frozen=True)
class HyperParam:
    """The one knob the UI shows for a model: a log-scale or integer slider."""

    name: str  # catalogue key under dvg.param
    values: tuple  # the slider's allowed values, in order
    default: object


HYPERPARAMS: dict[str, HyperParam] = {
    "logistic": HyperParam("C", (0.001, 0.01, 0.1, 1.0, 10.0, 100.0), 1.0),
    "svm_rbf": HyperParam("gamma", (0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0), 1.0),
    "mlp": HyperParam("hidden", (2, 4, 8, 16, 32, 64), 16),
    "naive_bayes": HyperParam("reg", (1e-6, 1e-4, 1e-3, 1e-2, 0.1, 1.0), 1e-3),
    "qda": HyperParam("reg", (1e-6, 1e-4, 1e-3, 1e-2, 0.1, 1.0), 1e-3),
    "gmm": HyperParam("components", (1, 2, 3, 4, 5, 6, 8), 3),
}


class DiscriminativeClassifier:
    """Logistic regression, an RBF SVM or a small MLP: a boundary, and nothing to sample."""

    def __init__(self, kind: str = "logistic", param: float | None = None, seed: int = 0) -> None:
        if kind not in DISCRIMINATIVE:
            raise InputError("unknown_model", name=kind)
        self.kind = kind
        self.param = HYPERPARAMS[kind].default if param is None else param
        self.seed = seed

    def _estimator(self):
        if self.kind == "logistic":
            model = LogisticRegression(C=float(self.param), max_iter=1000)
        elif self.kind == "svm_rbf":
            # Platt scaling turns the SVM's margin into p(y|x), fitted on held-out folds.
            model = CalibratedClassifierCV(SVC(kernel="rbf", gamma=float(self.param), C=1.0), cv=3, ensemble=False)
        else:
            h = int(self.param)
            model = MLPClassifier(hidden_layer_sizes=(h, h), max_iter=400, random_state=self.seed, alpha=1e-3)
        return make_pipeline(StandardScaler(), model)

    def fit(self, X: np.ndarray, y: np.ndarray) -> DiscriminativeClassifier:
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise InputError("single_class", min=2)
        if self.kind == "svm_rbf" and np.bincount(y).min() < 3:
            raise InputError("too_few_per_class", min=3)  # Platt scaling needs a few points per class
        self.model_ = self._estimator()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(X, y)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(1)]


# ---------------------------------------------------------------- generative: p(x|y) p(y)

class GenerativeClassifier:
    """One Gaussian mixture per class, turned into a classifier by Bayes' rule.

    ``naive_bayes`` is one diagonal Gaussian per class, ``qda`` one full Gaussian,
    ``gmm`` ``n_components`` full Gaussians. ``reg_covar`` is added to every covariance's
    diagonal, so a class of duplicate or collinear points still gets a proper density.
    """

    def __init__(self, kind: str = "qda", param: float | None = None, seed: int = 0) -> None:
        if kind not in GENERATIVE:
            raise InputError("unknown_model", name=kind)
        self.kind = kind
        self.param = HYPERPARAMS[kind].default if param is None else param
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> GenerativeClassifier:
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise InputError("single_class", min=2)
        counts = np.array([(y == c).sum() for c in self.classes_])
        self.priors_ = counts / counts.sum()
        if self.kind == "gmm":
            cov, wanted, reg = "full", int(self.param), 1e-3
        else:
            cov, wanted, reg = ("diag" if self.kind == "naive_bayes" else "full"), 1, float(self.param)
        self.n_components_ = []
        self.mixtures_ = []
        for c, n_c in zip(self.classes_, counts):
            k = int(min(wanted, n_c))  # a mixture cannot have more components than points
            gm = GaussianMixture(k, covariance_type=cov, reg_covar=reg, random_state=self.seed, n_init=1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                gm.fit(X[y == c])
            self.mixtures_.append(gm)
            self.n_components_.append(k)
        self.components_capped_ = any(k < wanted for k in self.n_components_)
        return self

    def class_log_density(self, X: np.ndarray) -> np.ndarray:
        """log p(x | y = k) for every class k: shape (n, K)."""
        return np.stack([gm.score_samples(X) for gm in self.mixtures_], axis=1)

    def joint_log_proba(self, X: np.ndarray) -> np.ndarray:
        """log p(x | y) + log p(y): shape (n, K)."""
        return self.class_log_density(X) + np.log(self.priors_)

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log p(x) = log Σ_k p(x | y = k) p(y = k), the evidence."""
        return logsumexp(self.joint_log_proba(X), axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Bayes' rule: p(y | x) = p(x | y) p(y) / p(x)."""
        joint = self.joint_log_proba(X)
        return np.exp(joint - logsumexp(joint, axis=1, keepdims=True))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.joint_log_proba(X).argmax(1)]

    def sample_per_class(self, n_per_class: int, seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_per_class`` new points from each class density p(x | y)."""
        rng = as_generator(seed)
        xs, ys = [], []
        for c, gm in zip(self.classes_, self.mixtures_):
            comp = rng.choice(len(gm.weights_), size=n_per_class, p=gm.weights_)
            covs = gm.covariances_
            for j in range(len(gm.weights_)):
                m = int((comp == j).sum())
                if m == 0:
                    continue
                cov = np.diag(covs[j]) if gm.covariance_type == "diag" else covs[j]
                xs.append(rng.multivariate_normal(gm.means_[j], cov, size=m, method="cholesky"))
                ys.append(np.full(m, c))
        return np.concatenate(xs), np.concatenate(ys)


def make_classifier(kind: str, param=None, seed: SeedLike = 0):
    """Either kind from its name, with an int seed for sklearn."""
    seed = child_seed(as_generator(seed)) if isinstance(seed, np.random.Generator) else int(seed or 0)
    cls = DiscriminativeClassifier if kind in DISCRIMINATIVE else GenerativeClassifier
    return cls(kind, param, seed)


def accuracy(model, X: np.ndarray, y: np.ndarray) -> float:
    return float((model.predict(X) == y).mean())


def lowest_density(log_px: np.ndarray, fraction: float = 0.03) -> np.ndarray:
    """Indices of the ``fraction`` of points with the lowest log p(x): candidate outliers."""
    k = max(1, int(round(len(log_px) * fraction)))
    return np.argsort(log_px)[:k]


# ---------------------------------------------------------------- what page 1 draws

@dataclass(frozen=True)
class ClassifierView:
    """Everything one side of page 1 draws, computed on a grid over the data."""

    xs: np.ndarray
    ys: np.ndarray
    proba: np.ndarray  # p(y|x) on the grid, (len(ys)·len(xs), K)
    accuracy: float  # on the held-out split
    train_X: np.ndarray
    train_y: np.ndarray
    density: np.ndarray | None = None  # p(x|y) on the grid, (len(ys)·len(xs), K)
    log_px: np.ndarray | None = None  # log p(x) on the grid
    outliers: np.ndarray | None = None  # indices into train_X of the least likely points
    samples: tuple[np.ndarray, np.ndarray] | None = None  # (X, y) drawn from p(x|y)
    test_log_px: float = float("nan")  # mean held-out log p(x)
    capped: bool = False  # a class had fewer points than mixture components
    model: GenerativeClassifier | None = None  # the fitted densities, to draw samples from without refitting

    def draw(self, n_per_class: int, seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray] | None:
        """``n_per_class`` new points per class from the fitted p(x | y), as ``samples`` holds them for the same seed."""
        return self.model.sample_per_class(n_per_class, seed) if n_per_class and self.model is not None else None

    def draw_series(self, max_per_class: int, seed: SeedLike = 0) -> list[tuple[int, np.ndarray]] | None:
        """``max_per_class`` new points from each class's p(x | y), as ``(label, points)`` per class, the points' rows
        in a random order: the first n rows of each are then n independent draws from that class for every
        n ≤ ``max_per_class``, so one draw gives every count the page's "samples drawn" slider scrubs through.
        (``sample_per_class`` groups a class's points by mixture component: a prefix of it would be biased.)"""
        if not max_per_class or self.model is None:
            return None
        rng = as_generator(seed)
        X, y = self.model.sample_per_class(max_per_class, rng)
        return [(int(c), X[y == c][rng.permutation(max_per_class)]) for c in self.model.classes_]


GRID = 60  # grid points per side: the contours and maps look the same as at 90, and a figure sends 2.25 times fewer numbers


def fit_view(X: np.ndarray, y: np.ndarray, kind: str, param=None, seed: int = 0, n_samples: int = 0,
             resolution: int = GRID, test_fraction: float = 0.25) -> ClassifierView:
    """Fit one model on a seeded split and evaluate everything its view shows."""
    from engine.data.points import Dataset, bounds, grid, train_test_split

    train, test = train_test_split(Dataset(np.asarray(X, float), np.asarray(y, int), "data"), test_fraction, seed,
                                   min_train_per_class=MIN_TRAIN_PER_CLASS)
    model = make_classifier(kind, param, seed).fit(train.X, train.y)
    xs, ys, pts = grid(bounds(X), resolution)
    view = dict(xs=xs, ys=ys, proba=model.predict_proba(pts), accuracy=accuracy(model, test.X, test.y),
                train_X=train.X, train_y=train.y)
    if kind in GENERATIVE:
        view.update(
            density=np.exp(model.class_log_density(pts)),
            log_px=model.score_samples(pts),
            outliers=lowest_density(model.score_samples(train.X)),
            samples=model.sample_per_class(n_samples, seed) if n_samples else None,
            test_log_px=float(model.score_samples(test.X).mean()),
            capped=model.components_capped_,
            model=model,
        )
    return ClassifierView(**view)
