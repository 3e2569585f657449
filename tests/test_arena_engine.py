"""The race engine: every family on the same points and budget, one verdict table, a ranking and a commentary."""

import math

import numpy as np
import pytest

from engine import registry
from engine.core.training import Budget
from engine.data import points
from engine.races import lessons, race as R

STEPS = 15


@pytest.fixture(scope="module")
def ring_rows():
    ds = points.make_dataset("ring8", n=320, seed=0)
    r = R.Race(ds.X, ds.y, list(R.CONTESTANTS), Budget(max_steps=STEPS), seed=0, dataset="ring8").run()
    return r, R.verdict(r)


def test_a_small_race_on_eight_gaussians_gives_a_finite_table_for_every_family(ring_rows):
    race, rows = ring_rows
    assert [r["name"] for r in rows] == list(R.CONTESTANTS)
    assert set(registry.families()) <= {r["name"] for r in rows}
    for r in rows:
        assert r["status"] == "ok", r
        for m in ("mmd2", "precision", "recall", "coverage", "seconds"):
            assert math.isfinite(r[m]), (r["name"], m)
        assert r["n_params"] > 0 and r["n_modes"] == 8 and 0 <= r["modes"] <= 8
        assert (r["log_likelihood"] is not None) == (r["density"] is not None), r["name"]
        assert r["samples"].shape == (len(race.setup.held_out), 2)
        assert r["steps"] == STEPS or (r["family"] == "mixture" and r["steps"] < STEPS)  # EM stops once converged
    assert race.done and all(race.fraction(e) == 1.0 for e in race.entries)
    assert race.total_steps == race.step_  # a finished race's progress is full, though EM stopped early
    # side by side: the race took one step of each in turn, never all of one first
    assert race.step_ == sum(r["steps"] for r in rows)


def test_the_mixtures_held_out_likelihood_beats_a_single_gaussians(ring_rows):
    rows = {r["name"]: r for r in ring_rows[1]}
    assert rows["mixture"]["log_likelihood"] > rows[R.BASELINE]["log_likelihood"] + 1.0
    assert rows["mixture"]["modes"] > rows[R.BASELINE]["modes"]


def test_the_ranking_follows_the_metric(ring_rows):
    rows = ring_rows[1]
    by_ll = [r["name"] for r in R.rank(rows, "log_likelihood")]
    by_size = [r["name"] for r in R.rank(rows, "n_params")]
    assert by_ll.index("mixture") < by_ll.index(R.BASELINE)  # 8 components explain the ring
    assert by_size[0] == R.BASELINE  # and one Gaussian is the smallest model
    assert "gan" not in by_ll and "gan" in by_size  # no density: not ranked by likelihood
    assert R.rank(rows, "mmd2")[0]["mmd2"] == min(r["mmd2"] for r in rows)
    notes = dict(R.commentary(rows, "log_likelihood"))
    assert notes["winner"]["name"] == by_ll[0]
    assert "gan" not in notes["densities"]["names"] and "mixture" in notes["densities"]["names"]


def test_a_diverging_family_is_marked_and_the_others_finish():
    ds = points.make_dataset("moons", n=200, seed=0)
    unstable = registry.families()["vae"].unstable
    r = R.Race(ds.X, ds.y, ["mixture", "vae"], Budget(max_steps=30), seed=0, configs={"vae": unstable}).run()
    rows = {row["name"]: row for row in R.verdict(r)}
    assert rows["vae"]["status"] == "diverged" and rows["vae"]["steps"] < 30
    assert rows["mixture"]["status"] == "ok" and math.isfinite(rows["mixture"]["mmd2"])
    assert ("diverged", {"name": "vae", "step": rows["vae"]["steps"]}) in R.commentary(list(rows.values()), "mmd2")


def test_a_dataset_too_small_for_a_family_names_it_and_the_others_run():
    ds = points.make_dataset("blobs", n=20, seed=0)  # a training half of 10 points: too few for 16 GAN batches
    r = R.Race(ds.X, ds.y, ["gan", R.BASELINE], Budget(max_steps=5), seed=0).run()
    rows = {row["name"]: row for row in R.verdict(r)}
    assert rows["gan"]["status"] == "failed" and rows["gan"]["error"].code == "too_small_for"
    assert rows["gan"]["error"].params["family"] == "gan"
    assert rows[R.BASELINE]["status"] == "ok" and math.isfinite(rows[R.BASELINE]["mmd2"])


def test_a_seconds_budget_is_the_same_for_everyone():
    ds = points.make_dataset("moons", n=200, seed=0)
    r = R.Race(ds.X, ds.y, ["vae", "diffusion"], Budget(max_seconds=0.3), seed=0)
    r.advance(Budget(max_seconds=0.2))
    assert not r.done and all(e.step_ > 0 for e in r.entries)  # both have started before either finished
    r.run()
    assert all(e.elapsed_ >= 0.3 for e in r.entries)
    assert max(e.elapsed_ for e in r.entries) < 0.3 + 0.5


def test_lesson_rows_survive_strict_json():
    import json

    ds = points.make_dataset("moons", n=100, seed=0)
    rows = R.verdict(R.Race(ds.X, ds.y, ["mixture", "gan"], Budget(max_steps=3), seed=0).run())
    back = lessons.decode(json.loads(json.dumps(lessons.encode(rows), allow_nan=False)))
    assert np.allclose(back[0]["samples"], rows[0]["samples"], atol=1e-4)
    assert back[1]["log_likelihood"] is None and back[0]["name"] == "mixture"
    assert np.allclose(back[0]["map"]["z"], rows[0]["map"]["z"], atol=0.006) and back[1]["map"] is None  # the GAN has none


def test_exact_densities_get_a_map_that_holds_at_most_their_mass_and_the_others_none(ring_rows):
    for r in ring_rows[1]:
        if r["density"] != "exact":
            assert r["map"] is None, r["name"]  # a bound (VAE, diffusion) or no density (GAN): no map
            continue
        b, z = r["map"]["box"], r["map"]["z"]
        assert z.shape == (R.MAP_RESOLUTION, R.MAP_RESOLUTION) and np.isfinite(z).all()
        mass = np.exp(z).sum() * (b[1] - b[0]) * (b[3] - b[2]) / (R.MAP_RESOLUTION - 1) ** 2
        assert 0.5 < mass < 1.05, (r["name"], mass)  # a log density: at most 1 in any window (the energy's after log Z)
    mixture = next(r for r in ring_rows[1] if r["name"] == "mixture")
    b, z = mixture["map"]["box"], mixture["map"]["z"]
    assert abs(np.exp(z).sum() * (b[1] - b[0]) * (b[3] - b[2]) / (R.MAP_RESOLUTION - 1) ** 2 - 1) < 0.05  # all inside


def test_each_knob_defaults_to_the_registry_and_reaches_the_model():
    for name, knob in R.KNOBS.items():
        assert R.knob_default(name) in knob.options, name
    assert R.configs_for({name: R.knob_default(name) for name in R.KNOBS}) == {}  # defaults change nothing
    ds = points.make_dataset("ring8", n=200, seed=0)
    chosen = {"mixture": 3, "vae": 4.0, "gan": 2, "diffusion": 25, "energy": 5}
    r = R.Race(ds.X, ds.y, list(chosen), Budget(max_steps=3), seed=0, configs=R.configs_for(chosen)).run()
    models = {e.name: e.model for e in r.entries}
    assert [e.knob for e in r.entries] == list(chosen.values())
    assert models["mixture"].n_components == 3 and models["vae"].config.beta == 4.0
    assert models["gan"].cfg.d_steps == 2 and models["energy"].config.train.langevin_steps == 5
    default_end = registry.build("diffusion").schedule.alphas_cumprod[-1]
    assert models["diffusion"].schedule.T == 25  # fewer noise levels, rescaled βs: about the same noise at the end
    assert abs(models["diffusion"].schedule.alphas_cumprod[-1] - default_end) < 0.01
    rows = {row["name"]: row for row in R.verdict(r)}
    assert all(row["status"] == "ok" and math.isfinite(row["mmd2"]) for row in rows.values())
