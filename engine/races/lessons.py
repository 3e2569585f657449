"""Races whose outcome teaches something, and their results as strict JSON (shipped, so a page shows them at once).

Each :class:`Lesson` is a dataset, a start list and a step budget (steps, not seconds: the same
steps give the same numbers on any machine). :func:`run` races it from fixed seeds and returns a
plain dict: the verdict rows with their samples, density maps and training curves, rounded, and the training
seconds (wall-clock, so ``python -m engine.regenerate races --check`` ignores them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.core import weights
from engine.core.errors import InputError
from engine.core.training import Budget
from engine.data import points
from engine.races.race import Race, verdict

__all__ = ["FOLDER", "LESSONS", "SEED", "TIMING", "Lesson", "configs", "dataset_for", "decode", "encode", "lesson", "race_for", "run", "shipped"]

FOLDER = "races"  # assets/weights/races: one <key>.json per lesson
SEED = 0
DIGITS = 4  # decimals kept of the samples and metrics (the file stays small, the table reads the same)
MAP_DIGITS = 2  # decimals kept of a density map's log p (a colour cannot show more)
CURVE_SHIPPED = 100  # points kept of each training curve in a shipped file
TIMING = ("seconds",)  # row fields that are wall-clock times


@dataclass(frozen=True)
class Lesson:
    key: str
    dataset: str
    names: tuple[str, ...]
    steps: int
    metric: str  # the metric the lesson ranks by
    noise: float | None = None  # the dataset's noise (None: its default)
    gan_preset: str | None = None  # the GAN page's named setting for the plain GAN (None: the registry's default)


LESSONS: tuple[Lesson, ...] = (
    Lesson("blobs", "blobs", ("mixture", "gaussian", "vae", "gan", "diffusion"), 300, "log_likelihood"),
    Lesson("spiral", "spiral", ("mixture", "gaussian", "diffusion"), 1200, "precision", noise=0.03),
    Lesson("ring", "ring8", ("gan", "wgan_gp"), 1500, "modes", gan_preset="collapse"),
    Lesson("faithful", "ring8", ("mixture", "vae", "diffusion"), 600, "precision"),
)


def lesson(key: str) -> Lesson:
    return next(item for item in LESSONS if item.key == key)


def configs(item: Lesson) -> dict[str, Any]:
    if item.gan_preset is None:
        return {}
    from engine.families import gan

    return {"gan": gan.PRESETS[item.gan_preset]}


def dataset_for(item: Lesson, seed: int = SEED) -> points.Dataset:
    return points.make_dataset(item.dataset, noise=item.noise, seed=seed)


def race_for(item: Lesson, seed: int = SEED) -> Race:
    """The lesson's race, not run yet (a page retrains it live with "Run it yourself")."""
    ds = dataset_for(item, seed)
    return Race(ds.X, ds.y, item.names, Budget(max_steps=item.steps), seed=seed, dataset=item.dataset,
                configs=configs(item))


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DIGITS) if np.isfinite(value) else None
    return value


def encode(rows: list[dict]) -> list[dict]:
    """Verdict rows as strict-JSON values (arrays as rounded lists, an error as its code and parameters)."""
    out = []
    for r in rows:
        row = {k: _round(v) for k, v in r.items() if k not in ("samples", "error", "curve", "curve_steps", "map")}
        row["samples"] = None if r["samples"] is None else np.round(r["samples"], DIGITS).tolist()
        every = max(1, -(-len(r["curve"]) // CURVE_SHIPPED))  # keep at most CURVE_SHIPPED points, evenly
        row["curve_steps"] = [int(s) for s in r["curve_steps"][::every]]
        row["curve"] = [float(f"{v:.4g}") for v in r["curve"][::every]]
        row["error"] = None if r["error"] is None else {"code": r["error"].code, "params": dict(r["error"].params)}
        m = r.get("map")
        row["map"] = None if m is None else {"box": [round(b, DIGITS) for b in m["box"]],
                                             "z": np.round(m["z"], MAP_DIGITS).tolist()}
        out.append(row)
    return out


def decode(rows: list[dict]) -> list[dict]:
    """The rows :func:`encode` wrote, back as the verdict's (samples as arrays, the error as an InputError)."""
    out = []
    for r in rows:
        row = dict(r)
        row["samples"] = None if r["samples"] is None else np.asarray(r["samples"], float).reshape(-1, 2)
        row["error"] = None if r["error"] is None else InputError(r["error"]["code"], **r["error"]["params"])
        m = r.get("map")
        row["map"] = None if m is None else {"box": tuple(m["box"]), "z": np.asarray(m["z"], float)}
        out.append(row)
    return out


def run(item: Lesson) -> dict:
    """Race the lesson from its fixed seed and return what ships."""
    race = race_for(item).run()
    return {"lesson": item.key, "dataset": item.dataset, "steps": item.steps, "names": list(item.names),
            "metric": item.metric, "seed": SEED, "rows": encode(verdict(race))}


def shipped(key: str) -> dict | None:
    """A lesson's shipped result with its rows decoded (None when the file is missing: regenerate it)."""
    doc = weights.read_document(FOLDER, f"{key}.json")
    if doc is None:
        return None
    return {**doc, "rows": decode(doc["rows"])}
