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
    assert {p.parent.name for p in MANIFESTS} >= {"gan", "vae", "diffusion", "autoregressive"}


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
