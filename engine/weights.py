"""Shipped model weights: save with a checksum and metrics, load safely.

Weights live in ``assets/weights/<page>/`` as ``.pt`` files holding only tensors
(loaded with ``torch.load(weights_only=True)``; never an untrusted pickle), next to a
``manifest.json`` that records each file's sha256, the config that built it and its
test metrics. The manifest is strict JSON: a metric that is not a finite number (NaN, ±inf,
e.g. an accuracy that does not apply) is written as null. torch is imported inside the
functions, so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

ASSETS = Path(__file__).resolve().parent.parent / "assets"
WEIGHTS = ASSETS / "weights"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_path(page: str) -> Path:
    return WEIGHTS / page / "manifest.json"


def read_manifest(page: str) -> dict[str, Any]:
    """The page's manifest; a metric written as null (no number) reads back as NaN, as it was saved."""
    path = manifest_path(page)
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


def write_manifest(page: str, manifest: dict[str, Any]) -> None:
    """Sorted and indented (so diffs stay small), strict JSON (no NaN: other tools must read it)."""
    text = json.dumps(strict_json(manifest), indent=2, sort_keys=True, allow_nan=False)
    manifest_path(page).write_text(text + "\n", "utf-8")


def save(page: str, name: str, state_dict: dict, config: dict, metrics: dict) -> Path:
    """Write ``<name>.pt`` and record it in the page's manifest (sorted, so diffs stay small)."""
    import torch

    folder = WEIGHTS / page
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.pt"
    torch.save({k: v.detach().clone().contiguous() for k, v in state_dict.items()}, path)
    manifest = read_manifest(page)
    manifest[name] = {"file": path.name, "sha256": sha256(path), "config": config, "metrics": metrics}
    write_manifest(page, manifest)
    return path


def load(page: str, name: str, verify: bool = True) -> tuple[dict, dict]:
    """Return ``(state_dict, manifest_entry)``; raises if the file's checksum does not match."""
    import torch

    entry = read_manifest(page)[name]
    path = WEIGHTS / page / entry["file"]
    if verify and sha256(path) != entry["sha256"]:
        raise ValueError(f"checksum mismatch for {path}")
    return torch.load(path, map_location="cpu", weights_only=True), entry
