"""A live-trained model as a weights file: written, read back with the same samples, refused when foreign or damaged."""

import io
import json
import zipfile

import numpy as np
import pytest

from engine.core import modelfile
from engine.core.training import Budget, StateMismatch
from engine.data import points
from engine.families import autoregressive as ts
from engine.families import diffusion as D
from engine.families import energy, gan, vae

STEPS = 6


def _vae(seed):
    return vae.Trainer(vae.VAEConfig(max_steps=40), seed=seed)


def _gan(seed):
    return gan.GanTrainer(points.make_dataset("moons", seed=seed).X, gan.GanConfig(), seed)


def _diffusion(seed):
    X = points.make_dataset("moons", seed=seed).X
    return D.DiffusionModel(D.config_2d(D.ScheduleConfig("linear", 50, 1e-3, 0.2), decay_steps=50), seed=seed).set_data(X)


def _energy(seed):
    return energy.EnergyModel(seed=seed).fit(points.make_dataset("moons", seed=seed).X, budget=Budget(max_steps=0))


def _tokens(seed):
    corpus = ts.load_corpus("names")
    return ts.Trainer(corpus, ts.default_config(corpus, "mlp"), ts.TrainConfig(eval_every=1000), seed=seed)


def _samples(tr):
    if isinstance(tr, ts.Trainer):
        return ts.generate(tr.model, tr.corpus.vocab, tr.corpus.mode, "", 30, ts.SamplingSettings(1.0), seed=3).text
    if isinstance(tr, vae.Trainer):
        return tr.model.sample(8, seed=3)
    if isinstance(tr, D.DiffusionModel):
        return tr.reverse(16, "ddim", 10, seed=3).samples
    return tr.sample(16, seed=3)


FAMILIES = {"vae": _vae, "gan": _gan, "diffusion": _diffusion, "energy": _energy, "tokens": _tokens}


@pytest.mark.parametrize("name", FAMILIES)
def test_exported_model_loads_back_with_the_same_samples(name):
    trained = FAMILIES[name](0)
    trained.advance(Budget(max_steps=STEPS))
    raw = modelfile.dumps(trained, page="p", fingerprint="fp", view={"seed": 2})
    read = modelfile.loads(raw, page="p", family=modelfile.family_of(trained))
    assert read.step == STEPS and read.view == {"seed": 2} and read.header["config"] == trained.export_config()

    fresh = FAMILIES[name](7)  # another seed: other initial weights (and, for 2D data, other points)
    before = _samples(fresh)
    fresh.load_state_arrays(read.arrays, read.step, read.elapsed)
    after, want = _samples(fresh), _samples(trained)
    if isinstance(want, str):
        assert after == want and before != want
    else:
        np.testing.assert_allclose(after, want, rtol=1e-5, atol=1e-6)
        assert not np.allclose(before, want, atol=1e-3)  # the test could fail: the fresh model sampled otherwise
    assert fresh.step_ == STEPS
    fresh.advance(Budget(max_steps=2))  # training goes on from the loaded weights
    assert fresh.step_ == STEPS + 2 and not fresh.diverged_


def _file(trainer=None, **changes) -> bytes:
    tr = trainer or FAMILIES["vae"](0)
    raw = modelfile.dumps(tr, page="vae", fingerprint="fp", view={})
    if not changes:
        return raw
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(arrays.pop(modelfile.HEADER).tobytes()) | changes
    out = io.BytesIO()
    np.savez(out, **{modelfile.HEADER: np.frombuffer(json.dumps(header).encode(), np.uint8)}, **arrays)
    return out.getvalue()


@pytest.mark.parametrize("raw, code", [
    (b"x,y,label\n0,0,a\n", "not_ours"),  # a CSV
    (zipfile.ZipFile.__name__.encode() * 10, "not_ours"),
])
def test_foreign_files_are_refused(raw, code):
    with pytest.raises(modelfile.ModelFileError) as err:
        modelfile.loads(raw, page="vae")
    assert err.value.code == code


def test_a_numpy_file_that_is_not_ours_a_pickle_and_other_pages_are_refused():
    out = io.BytesIO()
    np.savez(out, weights=np.zeros(3))
    with pytest.raises(modelfile.ModelFileError, match="not_ours"):
        modelfile.loads(out.getvalue(), page="vae")
    out = io.BytesIO()
    np.savez(out, **{modelfile.HEADER: np.array([{"kind": modelfile.KIND}], dtype=object)})  # a pickled object
    with pytest.raises(modelfile.ModelFileError, match="damaged"):
        modelfile.loads(out.getvalue(), page="vae")
    tr = FAMILIES["vae"](0)
    with pytest.raises(modelfile.ModelFileError, match="other_page"):
        modelfile.loads(_file(tr), page="gan")
    with pytest.raises(modelfile.ModelFileError, match="other_model"):
        modelfile.loads(_file(tr), page="vae", family="gan.plane.GanTrainer")
    with pytest.raises(modelfile.ModelFileError, match="newer_version"):
        modelfile.loads(_file(tr, version=modelfile.VERSION + 1), page="vae")


def test_damaged_files_are_refused():
    raw = _file()
    for cut in (len(raw) // 2, len(raw) - 30):  # truncated: the zip's directory or a member is gone
        with pytest.raises(modelfile.ModelFileError) as err:
            modelfile.loads(raw[:cut], page="vae")
        assert err.value.code in ("not_ours", "damaged")
    flipped = bytearray(raw)
    flipped[len(raw) // 3] ^= 0xFF  # one byte inside an array: the zip's CRC (or our checksum) says so
    with pytest.raises(modelfile.ModelFileError, match="damaged"):
        modelfile.loads(bytes(flipped), page="vae")
    with pytest.raises(modelfile.ModelFileError, match="damaged"):
        modelfile.loads(_file(sha256="0" * 64), page="vae")


def test_arrays_of_another_architecture_are_refused_before_anything_changes():
    small, big = FAMILIES["vae"](0), vae.Trainer(vae.VAEConfig(latent_dim=8, max_steps=40), seed=0)
    before = small.state_arrays()
    with pytest.raises(StateMismatch) as err:
        small.load_state_arrays(big.state_arrays(), 5)
    assert err.value.shapes and small.step_ == 0
    assert all(np.array_equal(before[k], v) for k, v in small.state_arrays().items())
