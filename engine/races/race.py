"""A race: several 2D families trained on the same points with the same budget, then judged alike.

    race = Race(X, y, ["mixture", "gan", "diffusion"], Budget(max_steps=300), seed=0)
    race.advance(Budget(max_seconds=0.2))     # a live page: a few steps of every contestant in turn
    rows = verdict(race)                      # one row per contestant, the evaluation page's metrics

The points are split as on the evaluation page (:func:`engine.evaluation.plane.prepare`): every
contestant trains on the same training half and is judged against the same held-out half. The
race is a :class:`~engine.core.training.Trainer`: one of its steps is one step of the contestant
furthest behind its budget (fewest steps for a step budget, fewest seconds for a time budget), so
all of them advance side by side and a live panel can drive the race like any other trainer.

A contestant that cannot start on these points (too few of them for its architecture) is reported
with the reason and left out; one that diverges keeps its last good weights, is marked, and the
others go on. Neither stops the race.

Each family but the baseline has one exposed :class:`Knob` (``KNOBS``: the mixture's K, the VAE's β,
the GANs' discriminator steps per generator step, diffusion's T, the energy model's Langevin steps),
whose default is the registry's; :func:`configs_for` turns chosen values into the configs a race takes.
Where a family has an exact density (the mixtures, the energy model with Z summed on a grid), the
verdict adds its log-density on a grid over the data's window (``map``); a bound (VAE, diffusion) or
no density (GAN) gets none.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from engine import metrics
from engine.core.errors import InputError
from engine.core.training import Budget, Trainer
from engine.data import points
from engine.evaluation import plane
from engine.evaluation import scorecard as sc

__all__ = ["BASELINE", "CONTESTANTS", "CURVE_POINTS", "HIGHER_IS_BETTER", "KNOBS", "MAP_FLOOR", "MAP_RESOLUTION", "METRICS",
           "MIN_TRAIN", "MODE_DATASETS", "Contestant", "Entry", "Knob", "Race", "commentary", "configs_for", "contestants",
           "density_map", "knob_default", "rank", "verdict"]

BASELINE = "gaussian"  # one Gaussian (the mixture with one component): the yardstick every family should beat
MODE_DATASETS = ("ring8", "blobs")  # built-in data whose classes are compact modes, so "modes covered" means something
CURVE_POINTS = 400  # a contestant's training curve keeps at most this many points (every other one is dropped)
TRADEOFF = 0.05  # a precision or recall gap smaller than this is not worth a sentence
K = 5  # the k of precision, recall and coverage (the evaluation page's default)
MAX_JUDGED = 1000  # held-out points (and samples) the verdict uses at most
MAP_RESOLUTION = 48  # cells per side of a density map (48² = 2,304 evaluations: cheap for every exact density)
MAP_FLOOR = 30.0  # a map keeps log p down to its maximum minus this (far tails carry nothing a colour can show)
MIN_TRAIN = {"mixture": 8, "vae": 16, "gan": 16, "wgan_gp": 16, "diffusion": 16, "energy": 16}  # training points

# Every column of the verdict that can rank, and which way is better.
HIGHER_IS_BETTER: dict[str, bool] = {"mmd2": False, "precision": True, "recall": True, "coverage": True,
                                     "log_likelihood": True, "modes": True, "seconds": False, "n_params": False}
METRICS = tuple(HIGHER_IS_BETTER)

# The number each family's own report carries that makes its training curve (its loss, or the mixture's
# log-likelihood per point); a family missing here draws no curve.
CURVE_KEY = {"mixture": "log_likelihood", "vae": "neg_elbo", "gan": "d_loss", "wgan_gp": "d_loss",
             "diffusion": "loss", "energy": "loss"}


@dataclass(frozen=True)
class Contestant:
    """A name on the start list: a registry family with its default config, or with ``config`` instead."""

    name: str
    family: str
    config: Any = None


def contestants() -> dict[str, Contestant]:
    """Every registered 2D family, plus the one-Gaussian baseline (the registry is read lazily: torch)."""
    from engine import registry

    fams = registry.families()
    out = {name: Contestant(name, name) for name in fams}
    out[BASELINE] = Contestant(BASELINE, "mixture", replace(fams["mixture"].config, n_components=1))
    return out


CONTESTANTS = ("mixture", BASELINE, "vae", "gan", "wgan_gp", "diffusion", "energy")  # the order the page offers


# ---------------------------------------------------------------- one knob per family

def _diffusion_T(config: Any, T: int) -> Any:
    """The same config with ``T`` noise levels: the linear βs rescaled by 100 / T (as DDPM's 1000-step
    schedule is for T = 100), so ᾱ_T, the noise left at the end, stays about the same."""
    s = config.schedule
    scale = s.T / int(T)
    schedule = replace(s, T=int(T), beta_start=s.beta_start * scale, beta_end=s.beta_end * scale)
    return replace(config, schedule=schedule, denoiser=replace(config.denoiser, T=int(T)))


@dataclass(frozen=True)
class Knob:
    """The one setting a page exposes for a contestant: ``options`` to pick from (the registry's default
    among them), ``get`` reads it from a config, ``set`` returns a config with it changed."""

    name: str  # what it sets, for the UI's label
    options: tuple
    get: Any  # config -> value
    set: Any  # (config, value) -> config


KNOBS: dict[str, Knob] = {
    "mixture": Knob("n_components", (2, 3, 4, 5, 6, 8, 10, 12, 16), lambda c: c.n_components,
                    lambda c, v: replace(c, n_components=int(v))),
    "vae": Knob("beta", (0.1, 0.25, 0.5, 1.0, 2.0, 4.0), lambda c: c.beta, lambda c, v: replace(c, beta=float(v))),
    "gan": Knob("d_steps", (1, 2, 3, 5), lambda c: c.d_steps, lambda c, v: replace(c, d_steps=int(v))),
    "wgan_gp": Knob("d_steps", (1, 2, 3, 5), lambda c: c.d_steps, lambda c, v: replace(c, d_steps=int(v))),
    "diffusion": Knob("T", (25, 50, 100, 200, 400), lambda c: c.schedule.T, _diffusion_T),
    "energy": Knob("langevin_steps", (5, 10, 20, 40, 60), lambda c: c.train.langevin_steps,
                   lambda c, v: replace(c, train=replace(c.train, langevin_steps=int(v)))),
}


def _base_config(name: str) -> Any:
    from engine import registry

    c = contestants()[name]
    return c.config if c.config is not None else registry.families()[c.family].config


def knob_default(name: str) -> Any:
    """The value of a contestant's knob in the registry's default config."""
    return KNOBS[name].get(_base_config(name))


def configs_for(values: dict[str, Any]) -> dict[str, Any]:
    """``{contestant: knob value}`` as the configs a :class:`Race` takes (a default value changes nothing)."""
    out = {}
    for name, value in values.items():
        if name in KNOBS and value != knob_default(name):
            out[name] = KNOBS[name].set(_base_config(name), value)
    return out


@dataclass(eq=False)
class Entry:
    """One contestant in the race: its model, or why it could not start."""

    name: str
    family: str
    model: Any = None
    failed: InputError | None = None  # could not start on these points
    curve_key: str | None = None
    knob: Any = None  # the value of its family's knob (None: the baseline has none)
    curve_steps: list[int] = field(default_factory=list)
    curve: list[float] = field(default_factory=list)
    stride: int = 1  # curve points are recorded every ``stride`` steps (doubles when the curve is full)
    preview: tuple | None = None  # (n, time, step, samples) of the last preview

    @property
    def step_(self) -> int:
        return self.model.step_ if self.model is not None else 0

    @property
    def elapsed_(self) -> float:
        return self.model.elapsed_ if self.model is not None else 0.0

    @property
    def diverged_(self) -> bool:
        return bool(self.model is not None and self.model.diverged_)


class Race(Trainer):
    """Every contestant on the same training half, one step at a time, for the same budget."""

    report_every = 10

    def __init__(self, X: np.ndarray, y: np.ndarray, names: list[str] | tuple[str, ...], budget: Budget,
                 seed: int = 0, dataset: str | None = None, configs: dict[str, Any] | None = None) -> None:
        if not names:
            raise InputError("no_contestants")
        self.budget = budget
        self.seed = int(seed)
        self.dataset = dataset
        self.setup = plane.prepare(X, y, seed)
        self.X_all = np.asarray(X, float)
        self.y_all = np.asarray(y, int)
        table = contestants()
        self.entries: list[Entry] = []
        for name in names:
            c = table[name]
            config = (configs or {}).get(name, c.config)
            self.entries.append(self._enter(c, config))

    def _enter(self, c: Contestant, config: Any) -> Entry:
        from engine import registry

        knob = KNOBS[c.name].get(config if config is not None else _base_config(c.name)) if c.name in KNOBS else None
        entry = Entry(c.name, c.family, curve_key=CURVE_KEY.get(c.family), knob=knob)
        need = max(MIN_TRAIN.get(c.family, 2), int(getattr(config, "n_components", 1)))  # a component per point at least
        if len(self.setup.train) < need:
            entry.failed = InputError("too_small_for", family=c.name, n=len(self.setup.train), min=need)
            return entry
        try:
            model = registry.build(c.family, config, seed=self.seed)
            model.fit(self.setup.train, budget=Budget(max_steps=0))
        except (InputError, ValueError) as err:  # the family refuses these points
            entry.failed = err if isinstance(err, InputError) else InputError("too_small_for", family=c.name,
                                                                              n=len(self.setup.train), min=need)
            return entry
        entry.model = model
        return entry

    # ---------------------------------------------------------------- the Trainer interface

    def running(self) -> list[Entry]:
        """The contestants that still have budget left (started, not diverged, not done)."""
        return [e for e in self.entries if e.model is not None and not self._finished(e)]

    def _finished(self, e: Entry) -> bool:
        m, b = e.model, self.budget
        if m.diverged_ or m.done:
            return True
        if b.max_steps is not None and m.step_ >= b.max_steps:
            return True
        return b.max_seconds is not None and m.elapsed_ >= b.max_seconds

    def fraction(self, e: Entry) -> float:
        """How much of its budget a contestant has used (1 once it is finished, whatever the reason)."""
        if e.model is None or self._finished(e):
            return 1.0
        b = self.budget
        parts = []
        if b.max_steps is not None:
            parts.append(e.step_ / max(1, b.max_steps))
        if b.max_seconds is not None:
            parts.append(e.elapsed_ / b.max_seconds)
        return float(min(1.0, max(parts)))

    @property
    def done(self) -> bool:
        return not self.running()

    @property
    def total_steps(self) -> int | None:
        """Every started contestant's step budget, or the steps it took once it finished early (the mixtures'
        EM converges, a diverged one stops): so a finished race's progress reads its steps out of its steps."""
        if self.budget.max_steps is None:
            return None
        return sum(e.step_ if self._finished(e) else self.budget.max_steps for e in self.entries if e.model is not None)

    @property
    def n_params_(self) -> int:
        return sum(e.model.n_params_ for e in self.entries if e.model is not None)

    def _train_step(self) -> bool:
        todo = self.running()
        if not todo:
            return True
        e = min(todo, key=self.fraction)  # the one furthest behind its budget
        progress = e.model.advance(Budget(max_steps=1))
        self.step_ += 1
        if e.curve_key is not None and e.step_ % e.stride == 0:
            value = progress.metrics.get(e.curve_key)
            if value is not None and math.isfinite(value):
                e.curve_steps.append(int(e.step_))
                e.curve.append(float(value))
                if len(e.curve) > CURVE_POINTS:
                    e.curve_steps, e.curve, e.stride = e.curve_steps[1::2], e.curve[1::2], e.stride * 2
        return True  # a contestant's divergence is its own: the race goes on

    def preview(self, e: Entry, n: int, max_age: float = 0.0) -> np.ndarray | None:
        """``n`` samples of a contestant as it stands (a live page's panel), or None (not started, or not finite).
        With ``max_age``, samples drawn less than that many seconds ago are reused (diffusion's take a while)."""
        if e.model is None:
            return None
        now = time.perf_counter()
        if e.preview is not None and e.preview[0] == n and (now - e.preview[1] < max_age or e.preview[2] == e.step_):
            return e.preview[3]
        X = np.asarray(e.model.sample(n, self.seed + 1), float)
        X = X if X.shape == (n, 2) and np.isfinite(X).all() else None
        e.preview = (n, now, e.step_, X)
        return X

    def result(self) -> list[dict]:
        """The verdict of the race as it stands, computed once per step count (redraws reuse it)."""
        if getattr(self, "_result", None) is None or self._result[0] != self.step_:
            self._result = (self.step_, verdict(self))
        return self._result[1]

    def run(self) -> Race:
        """The whole race in one call (tests, shipped lessons, the benchmark)."""
        while not self.done:
            self.advance(Budget(max_steps=1000))
        return self


# ---------------------------------------------------------------- the verdict

def _modes(race: Race) -> tuple[np.ndarray, float] | None:
    """Mode centres and the quality radius, on data whose classes are compact modes; else None."""
    if race.dataset not in MODE_DATASETS:
        return None
    from engine.families.gan.plane import quality_radius

    classes = np.unique(race.y_all)
    centres = np.stack([race.X_all[race.y_all == c].mean(0) for c in classes])
    return centres, quality_radius(race.X_all, centres)


def density_map(model: Any, box: tuple[float, float, float, float], resolution: int = MAP_RESOLUTION) -> dict | None:
    """log p(x) on a ``resolution``² grid over ``box`` (``{"box", "z"}``, z's rows along x₂), for a family
    whose density is exact; None for a bound, no density, or a map that is not finite anywhere."""
    if model.capabilities.density != "exact":
        return None
    _, _, grid = points.grid(box, resolution)
    try:
        z = np.asarray(model.score_samples(grid), float).reshape(resolution, resolution)
    except InputError:  # the energy model's Z is not finite any more (a diverged run)
        return None
    if not np.isfinite(z).any():
        return None
    top = float(np.nanmax(np.where(np.isfinite(z), z, -np.inf)))
    z = np.where(np.isfinite(z), np.maximum(z, top - MAP_FLOOR), top - MAP_FLOOR)
    return {"box": tuple(float(b) for b in box), "z": z}


def verdict(race: Race, n: int | None = None) -> list[dict]:
    """One row per contestant: samples (``samples``: an (n, 2) array) and the evaluation page's
    metrics against the held-out half, the held-out log-likelihood (or its bound, ``density`` says
    which) where the family has one, its log-density over the data's window (``map``, see
    :func:`density_map`) where that is exact, the modes covered on mode-structured data, the seconds
    trained and the number of parameters. ``status`` is "ok", "diverged", or "failed" (with ``error``)."""
    box = points.bounds(race.X_all)
    held = race.setup.held_out[:MAX_JUDGED]
    ref = sc.reference(held, k_max=K)
    n = int(n or len(held))
    modes = _modes(race)
    rows = []
    for i, e in enumerate(race.entries):
        row: dict[str, Any] = {"name": e.name, "family": e.family, "knob": e.knob, "status": "ok", "error": None, "steps": e.step_,
                               "seconds": e.elapsed_, "n_params": None, "density": None, "samples": None,
                               "curve_steps": list(e.curve_steps), "curve": list(e.curve), "curve_key": e.curve_key,
                               **{m: None for m in ("mmd2", "precision", "recall", "coverage", "log_likelihood")},
                               "modes": None, "n_modes": None, "map": None}
        if e.model is None:
            row.update(status="failed", error=e.failed)
            rows.append(row)
            continue
        m = e.model
        row["status"] = "diverged" if m.diverged_ else "ok"
        row["n_params"] = int(m.n_params_)
        row["density"] = m.capabilities.density
        samples = np.asarray(m.sample(n, race.seed + 1 + i), float)
        if samples.shape != (n, 2) or not np.isfinite(samples).all():
            row["status"] = "diverged"
            rows.append(row)
            continue
        row["samples"] = samples
        card = sc.scorecard(ref, samples, k=K)
        row.update(mmd2=card.mmd2, precision=card.precision, recall=card.recall, coverage=card.coverage)
        if m.capabilities.density:
            ll = float(np.mean(m.score_samples(held)))
            row["log_likelihood"] = ll if math.isfinite(ll) else None
            row["map"] = density_map(m, box)
        if modes is not None:
            cov = metrics.mode_coverage(samples, *modes)
            row.update(modes=cov.covered, n_modes=cov.n_modes)
        rows.append(row)
    return rows


def rank(rows: list[dict], metric: str) -> list[dict]:
    """The rows that have ``metric``, best first (ties keep the start order); the others are left out."""
    higher = HIGHER_IS_BETTER[metric]
    have = [r for r in rows if r.get(metric) is not None and r["status"] != "failed"]
    return sorted(have, key=lambda r: -r[metric] if higher else r[metric])


def commentary(rows: list[dict], metric: str) -> list[tuple[str, dict]]:
    """A few sentences from the numbers, as (message code, parameters) for the UI to translate."""
    out: list[tuple[str, dict]] = []
    ranked = rank(rows, metric)
    if ranked:
        out.append(("winner", {"name": ranked[0]["name"], "metric": metric, "value": ranked[0][metric]}))
    for r in rows:
        if r["status"] == "failed":
            out.append(("failed", {"name": r["name"], **(r["error"].params if r["error"] is not None else {})}))
        elif r["status"] == "diverged":
            out.append(("diverged", {"name": r["name"], "step": r["steps"]}))
    for r in rows:
        if r["modes"] is not None and r["modes"] < r["n_modes"]:
            out.append(("modes", {"name": r["name"], "covered": r["modes"], "total": r["n_modes"]}))
    if any(r["modes"] is not None for r in rows) and all(r["modes"] == r["n_modes"] for r in rows if r["modes"] is not None):
        out.append(("all_modes", {"total": next(r["n_modes"] for r in rows if r["n_modes"])}))
    started = [r for r in rows if r["status"] != "failed"]
    dense = [r["name"] for r in started if r["log_likelihood"] is not None]
    if started and len(dense) < len(started):
        out.append(("densities", {"names": dense}) if dense else ("no_density", {}))
    by_prec = rank(rows, "precision")
    if len(by_prec) >= 2:  # the most precise misses what the best recall covers, and the other way round
        best_p, best_r = by_prec[0], rank(rows, "recall")[0]
        if best_p["recall"] < best_r["recall"] - TRADEOFF and best_r["precision"] < best_p["precision"] - TRADEOFF:
            out.append(("tradeoff", {"precise": best_p["name"], "covering": best_r["name"]}))
    return out
