"""Shipped model weights, keyed by family and model name: save with a checksum and metrics, load safely.

Weights live in ``assets/weights/<family>/`` (``gan``, ``vae``, ``diffusion``, ``autoregressive``, ``energy``)
as ``.pt`` files holding only tensors (loaded with ``torch.load(weights_only=True)``; never an
untrusted pickle) or, for plain numeric arrays a page reads without torch, as ``.npy`` files
(loaded with ``allow_pickle=False``), next to a ``manifest.json`` that records each file's sha256, the config that
built it and its test metrics. The manifest is strict JSON: a metric that is not a finite number
(NaN, ±inf, e.g. an accuracy that does not apply) is written as null. ``python -m engine.regenerate
<family>`` rebuilds them from the recipes below. torch is imported inside the functions, so
importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets"
WEIGHTS = ASSETS / "weights"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder(family: str, root: Path | None = None) -> Path:
    """Where a family's files live: ``assets/weights/<family>`` (or under ``root``, e.g. a check's temporary folder)."""
    return Path(WEIGHTS if root is None else root) / family


def manifest_path(family: str, root: Path | None = None) -> Path:
    return folder(family, root) / "manifest.json"


def read_manifest(family: str, root: Path | None = None) -> dict[str, Any]:
    """The family's manifest; a metric written as null (no number) reads back as NaN, as it was saved."""
    path = manifest_path(family, root)
    manifest = json.loads(path.read_text("utf-8")) if path.exists() else {}
    for entry in manifest.values():
        metrics = entry.get("metrics") if isinstance(entry, dict) else None
        if isinstance(metrics, dict):
            entry["metrics"] = {k: float("nan") if v is None else v for k, v in metrics.items()}
    return manifest


def strict_json(value: Any) -> Any:
    """``value`` with every float that is not finite replaced by None, so ``json.dumps(allow_nan=False)`` accepts it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def write_manifest(family: str, manifest: dict[str, Any], root: Path | None = None) -> None:
    """Sorted and indented (so diffs stay small), strict JSON (no NaN: other tools must read it)."""
    text = json.dumps(strict_json(manifest), indent=2, sort_keys=True, allow_nan=False)
    manifest_path(family, root).write_text(text + "\n", "utf-8")


def save(family: str, name: str, state_dict: dict, config: dict, metrics: dict, root: Path | None = None) -> Path:
    """Write ``<name>.pt`` and record it in the family's manifest (sorted, so diffs stay small)."""
    import torch

    out = folder(family, root)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.pt"
    torch.save({k: v.detach().clone().contiguous() for k, v in state_dict.items()}, path)
    manifest = read_manifest(family, root)
    manifest[name] = {"file": path.name, "sha256": sha256(path), "config": config, "metrics": metrics}
    write_manifest(family, manifest, root)
    return path


def load(family: str, name: str, verify: bool = True) -> tuple[dict, dict]:
    """Return ``(state_dict, manifest_entry)``; raises if the file's checksum does not match."""
    import torch

    entry = read_manifest(family)[name]
    path = folder(family) / entry["file"]
    if verify and sha256(path) != entry["sha256"]:
        raise ValueError(f"checksum mismatch for {path}")
    return torch.load(path, map_location="cpu", weights_only=True), entry


def save_array(family: str, name: str, array, config: dict, metrics: dict, root: Path | None = None) -> Path:
    """Write ``<name>.npy`` (numbers only, no pickle) and record it in the family's manifest."""
    import numpy as np

    out = folder(family, root)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.npy"
    array = np.ascontiguousarray(array)
    np.save(path, array, allow_pickle=False)
    manifest = read_manifest(family, root)
    manifest[name] = {"file": path.name, "sha256": sha256(path), "shape": list(array.shape), "dtype": str(array.dtype),
                      "config": config, "metrics": metrics}
    write_manifest(family, manifest, root)
    return path


def load_array(family: str, name: str, verify: bool = True):
    """Return ``(array, manifest_entry)`` for a shipped ``.npy`` (read-only, never unpickled); raises on a bad checksum."""
    import numpy as np

    entry = read_manifest(family)[name]
    path = folder(family) / entry["file"]
    if verify and sha256(path) != entry["sha256"]:
        raise ValueError(f"checksum mismatch for {path}")
    array = np.load(path, allow_pickle=False)
    array.setflags(write=False)
    return array, entry


def read_document(family: str, filename: str, root: Path | None = None) -> Any:
    """A JSON document shipped next to the weights (say, a measured curve), or None."""
    path = folder(family, root) / filename
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def save_document(family: str, filename: str, data: Any, root: Path | None = None) -> Path:
    out = folder(family, root)
    out.mkdir(parents=True, exist_ok=True)
    path = out / filename
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    return path


# ---------------------------------------------------------------- recipes: how each shipped file is made

@dataclass
class Trained:
    """What a recipe returns: the tensors to ship, the config that built them and their metrics."""

    state: dict
    config: dict
    metrics: dict


@dataclass
class Array:
    """What a recipe returns when it ships a plain numeric array (``save_array``: a ``.npy`` file)."""

    array: Any
    config: dict
    metrics: dict = field(default_factory=dict)


@dataclass
class Document:
    """What a recipe returns when it ships a JSON document instead of weights."""

    filename: str
    data: Any


@dataclass(frozen=True)
class Recipe:
    """One shipped file: ``make()`` retrains it from fixed seeds (same code, same bytes)."""

    name: str
    make: Callable[[], Trained | Array | Document]
    timing: tuple[str, ...] = field(default=())  # metrics that are wall-clock times (they differ run to run)
