"""Rebuild the shipped weights of a family, or check that they still rebuild bit for bit.

    python -m engine.regenerate gan                        retrain every shipped GAN file, in place
    python -m engine.regenerate vae mlp_z2_b1 vq_s4_k32    only these
    python -m engine.regenerate diffusion --check          retrain into a temporary folder and compare
    python -m engine.regenerate evaluator --check          the evaluation page's feature network and samples
    python -m engine.regenerate races --check              the shipped races (training seconds left out)
    python -m engine.regenerate experiments --check        the applications' precomputed experiments (seconds left out)
    python -m engine.regenerate --list                     what each family ships

Each family lists its shipped files in ``engine.families.<family>.shipped.recipes()``: a name and a
function that retrains it from fixed seeds. A folder that belongs to no family (``evaluator``: the
digits feature network and what it measured of every family) names its package in ``PACKAGES``. ``--check`` writes nothing into ``assets/``: it compares
each new file's sha256 with the shipped manifest's, and the new manifest entry (config and metrics;
wall-clock times excepted) with the shipped one. It exits with status 1 when anything differs.
Training runs on one thread (``torch.set_num_threads(1)``): float sums, hence the bytes, repeat.
It is CPU-heavy: run one family at a time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path

from engine.core import weights

SHIPPING = ("gan", "vae", "diffusion", "autoregressive", "energy", "evaluator", "races", "experiments")  # the folders of assets/weights
PACKAGES = {"evaluator": "engine.evaluation", "races": "engine.races", "experiments": "engine.applications"}  # folders that are not a family's, and their package


def recipes(family: str) -> list[weights.Recipe]:
    package = PACKAGES.get(family, f"engine.families.{family}")
    return importlib.import_module(f"{package}.shipped").recipes()


def build(family: str, recipe: weights.Recipe, root: Path) -> Path:
    """Run one recipe and write its file (and manifest entry) under ``root``."""
    made = recipe.make()
    if isinstance(made, weights.Document):
        return weights.save_document(family, made.filename, made.data, root)
    if isinstance(made, weights.Array):
        return weights.save_array(family, recipe.name, made.array, made.config, made.metrics, root)
    return weights.save(family, recipe.name, made.state, made.config, made.metrics, root)


def _same(a, b) -> bool:
    """Equal as JSON (so NaN equals NaN, and 1 equals 1.0 only if the manifest wrote them alike)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _untimed(value, timing: set[str]):
    """A JSON value with every field named in ``timing`` (wall-clock seconds) left out, at any depth."""
    if isinstance(value, dict):
        return {k: _untimed(v, timing) for k, v in value.items() if k not in timing}
    if isinstance(value, list):
        return [_untimed(v, timing) for v in value]
    return value


def compare(family: str, recipe: weights.Recipe, root: Path) -> list[str]:
    """What differs between the file just built under ``root`` and the shipped one (empty: identical)."""
    new_dir, old_dir = weights.folder(family, root), weights.folder(family)
    problems = []
    entry_new = weights.read_manifest(family, root).get(recipe.name)
    if entry_new is None:  # a document, not weights
        new, old = new_dir / recipe.name, old_dir / recipe.name
        if not old.exists():
            return ["not shipped"]
        if recipe.timing:  # a document with wall-clock times: equal as JSON without them
            a, b = (json.loads(p.read_text("utf-8")) for p in (new, old))
            return [] if _same(_untimed(a, set(recipe.timing)), _untimed(b, set(recipe.timing))) else ["content differs"]
        return [] if weights.sha256(new) == weights.sha256(old) else ["bytes differ"]
    entry_old = weights.read_manifest(family).get(recipe.name)
    if entry_old is None:
        return ["not in the shipped manifest"]
    if entry_new["sha256"] != entry_old["sha256"]:
        problems.append("sha256 differs")
    if weights.sha256(old_dir / entry_old["file"]) != entry_old["sha256"]:
        problems.append("the shipped file does not match its own manifest")
    if not _same(entry_new["config"], entry_old["config"]):
        problems.append("config differs")
    drop = set(recipe.timing)
    m_new = {k: v for k, v in entry_new["metrics"].items() if k not in drop}
    m_old = {k: v for k, v in entry_old["metrics"].items() if k not in drop}
    if not _same(m_new, m_old):
        keys = sorted(k for k in set(m_new) | set(m_old) if not _same(m_new.get(k), m_old.get(k)))
        problems.append("metrics differ: " + ", ".join(keys))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", nargs="?", choices=SHIPPING, help="the family whose files to rebuild")
    parser.add_argument("names", nargs="*", help="only these files (default: all the family ships)")
    parser.add_argument("--check", action="store_true", help="rebuild into a temporary folder and compare with the shipped files")
    parser.add_argument("--out", type=Path, default=None, help="write here instead of assets/weights (kept after --check)")
    parser.add_argument("--list", action="store_true", help="list what each family ships")
    args = parser.parse_args(argv)
    if args.list or not args.family:
        for family in SHIPPING:
            print(family + ": " + ", ".join(r.name for r in recipes(family)))
        return 0
    from engine.core.torch_setup import torch

    torch.set_num_threads(1)  # bit-for-bit reproducible runs
    todo = recipes(args.family)
    unknown = set(args.names) - {r.name for r in todo}
    if unknown:
        parser.error(f"{args.family} ships no {', '.join(sorted(unknown))}")
    if args.names:
        todo = [r for r in todo if r.name in args.names]
    with tempfile.TemporaryDirectory(prefix="gp-weights-") as tmp:
        root = args.out or (Path(tmp) if args.check else weights.WEIGHTS)
        failed = 0
        for recipe in todo:
            t0 = time.perf_counter()
            path = build(args.family, recipe, root)
            line = f"{args.family}/{recipe.name}: {time.perf_counter() - t0:.0f} s"
            if args.check:
                problems = compare(args.family, recipe, root)
                failed += bool(problems)
                line += "  " + ("identical" if not problems else "DIFFERS (" + "; ".join(problems) + ")")
            else:
                line += f"  wrote {path}"
            print(line, flush=True)
    if args.check:
        print(f"{len(todo) - failed} of {len(todo)} identical", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
