"""Progressive growing in miniature (issue 18): the shipped run ends at 8×8 with α = 1 and recognisable digits,
a short run from scratch goes through a fade-in with α rising, and the GAN page's section draws and trains live."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.core.torch_setup import torch
from engine.families import gan
from tests.apptest_utils import assert_clean
from ui import text

P = gan.progressive
SCRIPT = "apps/gan_growing_app.py"  # relative to this file: the section alone
FLOOR = 0.9  # recognised share of 500 fresh samples of the shipped model (measured: see its manifest entry)


def test_the_shipped_run_ends_at_8x8_with_alpha_1_and_recognisable_digits():
    model, h, metrics = P.pretrained()
    cfg = model.cfg
    assert h.resolution[-1] == 8 and h.alpha[-1] == 1.0 and h.step[-1] == cfg.total
    z = torch.zeros(3, cfg.noise_dim)
    with torch.no_grad():
        assert model.generate(z, torch.tensor([0, 1, 2])).shape == (3, 1, 8, 8)
    labels = np.repeat(np.arange(10), 50)
    rate = P.recognised(model.sample(labels, seed=123), labels)
    assert rate == pytest.approx(metrics["recognised"]) and rate > FLOOR
    # the 4×4 stage ends near the real digits pooled to 4×4, well below what 8×8 reaches
    at_4 = h.snap_recognised[h.snap_step.index(cfg.steps_4)]
    assert at_4 < metrics["real_8"] - 0.1 and rate > at_4 + 0.1
    assert h.snap_resolution[0] == 4 and h.snap_resolution[-1] == 8


def test_a_short_run_from_scratch_fades_in_with_alpha_rising():
    cfg = P.ProConfig(channels=8, channels_8=4, batch=16, steps_4=3, steps_fade=5, steps_8=2, snapshot_every=4)
    tr = P.train(cfg, seed=1)
    h = tr.history_
    assert h.resolution == [4] * 3 + [8] * 7
    assert h.alpha == pytest.approx([0, 0, 0, 0, 0.2, 0.4, 0.6, 0.8, 1, 1])
    assert np.all(np.diff(h.alpha) >= 0) and np.all(np.diff(h.alpha[3:8]) > 0)
    assert tr.done and tr.progress().metrics["alpha"] == 1.0 and tr.progress().metrics["resolution"] == 8
    assert h.snap_step == [0, 3, 4, 8, 10] and [g.shape for g in h.grids] == [(40, 64)] * 5
    # at α = 0 the grown generator draws exactly the 4×4 image in 2×2 blocks: growing changes nothing at first
    z, labels = torch.randn(5, cfg.noise_dim, generator=torch.Generator().manual_seed(0)), torch.arange(5)
    with torch.no_grad():
        small = tr.model.generate(z, labels, 4)
        assert torch.equal(tr.model.generate(z, labels, 8, 0.0), P.up(small))
        assert not torch.allclose(tr.model.generate(z, labels, 8, 0.5), P.up(small))
    again = P.train(cfg, seed=1)  # a seed repeats a run (what `regenerate --check` relies on)
    assert all(torch.equal(a, b) for a, b in zip(tr.model.state_tensors().values(), again.model.state_tensors().values()))


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_the_section_shows_the_shipped_stages_and_trains_live(lang):
    at = AppTest.from_file(SCRIPT, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    assert len(at.get("image")) == 3 and len(at.get("plotly_chart")) == 1  # three stages, the scrubbed snapshots
    assert [i.value for i in at.info] == [text.lookup(lang, "gan.grow.live_idle")]
    at.button(key="gan_grow_step").click().run()
    assert_clean(at)
    run = at.session_state["gan.grow.live"]
    assert run.trainer.step_ == 1 and "gan.live" not in at.session_state  # its own record: the 2D live GAN is untouched
    stage = text.lookup(lang, "gan.grow.stage")
    assert [m.value for m in at.metric if m.label == stage] == [text.lookup(lang, "gan.grow.stages.grow4")]
    assert len(at.get("plotly_chart")) == 2
    at.button(key="gan_grow_play").click().run()
    at.run()
    assert_clean(at)
    assert run.trainer.step_ > 1
    at.button(key="gan_grow_reset").click().run()
    assert_clean(at)
    assert at.session_state["gan.grow.live"].trainer is None
