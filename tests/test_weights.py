"""Shipped weights: every manifest is strict JSON that other tools can read, and matches its files."""

import json
import math
from pathlib import Path

import pytest

from engine.core import weights

MANIFESTS = sorted(weights.WEIGHTS.glob("*/manifest.json"))


def strict_loads(text: str):
    def refuse(name: str):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_there_are_manifests():
    assert {p.parent.name for p in MANIFESTS} >= {"gan", "vae", "diffusion", "autoregressive", "energy", "evaluator"}


def test_regenerate_covers_every_shipped_file():
    """Each file under assets/weights is made by a recipe of ``python -m engine.regenerate`` (so ``--check``
    verifies it), and is tensors (.pt), plain numbers (.npy, which numpy reads with pickles refused) or JSON."""
    import numpy as np

    from engine import regenerate

    folders = sorted(p.name for p in weights.WEIGHTS.iterdir() if p.is_dir())
    assert "evaluator" in folders
    for family in folders:
        assert family in regenerate.SHIPPING, family
        manifest = weights.read_manifest(family)
        made = {manifest[r.name]["file"] if r.name in manifest else r.name for r in regenerate.recipes(family)}
        on_disk = {p.name for p in weights.folder(family).iterdir() if p.name != "manifest.json"}
        assert on_disk == made, family
        assert all(p.suffix in (".pt", ".npy", ".json") for p in weights.folder(family).iterdir()), family
        for path in weights.folder(family).glob("*.npy"):
            assert np.load(path, allow_pickle=False).dtype != object, path


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.parent.name)
def test_manifest_is_strict_json_and_matches_its_files(path: Path):
    manifest = strict_loads(path.read_text("utf-8"))
    assert manifest
    for name, entry in manifest.items():
        assert weights.sha256(path.parent / entry["file"]) == entry["sha256"], name


def test_strict_parser_refuses_nan():
    with pytest.raises(ValueError):
        strict_loads('{"label_accuracy": NaN}')


def test_a_missing_metric_is_written_as_null_and_read_back_as_nan(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "WEIGHTS", tmp_path)
    (tmp_path / "page").mkdir()
    weights.write_manifest("page", {"m": {"file": "m.pt", "sha256": "0", "config": {"betas": (0.5, 0.9)},
                                          "metrics": {"label_accuracy": float("nan"), "sw": 0.05, "gap": float("inf")}}})
    text = (tmp_path / "page" / "manifest.json").read_text("utf-8")
    assert strict_loads(text)["m"]["metrics"] == {"gap": None, "label_accuracy": None, "sw": 0.05}
    metrics = weights.read_manifest("page")["m"]["metrics"]
    assert math.isnan(metrics["label_accuracy"]) and metrics["sw"] == 0.05
