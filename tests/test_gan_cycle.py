"""The GAN page's CycleGAN in 2D (issue 18): the cycle loss makes G and F invert each other, measured, shipped and live."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.core import weights
from engine.core.training import Budget
from engine.families import gan
from tests.apptest_utils import assert_clean, read_number
from ui import gan_cycle, text

SCRIPT = "apps/gan_cycle_app.py"  # relative to this file: the section alone
STEPS = 100  # a short budget: the cycle loss has done most of its work by then (the shipped runs train 600)


def short_run(cycle: bool) -> gan.cycle.CycleTrainer:
    cfg = gan.cycle.CycleConfig(cycle=cycle, steps=STEPS, eval_every=STEPS)
    tr = gan.cycle.CycleTrainer(gan.cycle.domains(seed=0), cfg, seed=0)
    tr.advance(Budget(max_steps=STEPS))
    return tr


def test_the_cycle_error_falls_with_the_cycle_loss_and_stays_large_without_it():
    on, off = short_run(True), short_run(False)
    assert on.step_ == off.step_ == STEPS and not on.diverged_ and not off.diverged_
    start_on, start_off = on.history_.cycle_test[0], off.history_.cycle_test[0]
    assert start_on == pytest.approx(start_off)  # the same seeds: the same networks at step 0
    assert on.history_.cycle_test[-1] < 0.15 * start_on  # held-out round trips come back (3.7 → about 0.2)
    assert off.history_.cycle_test[-1] > start_off  # without the term nothing brings them back: it grows
    assert off.history_.cycle_test[-1] > 10 * on.history_.cycle_test[-1]
    assert on.history_.mmd_ab[-1] < 0.2 * on.history_.mmd_ab[0]  # and G(A) does move onto B
    view = on.view()
    assert view.A.shape == view.GA.shape == view.FGA.shape and len(view.A) <= gan.cycle.MAX_ARROWS
    np.testing.assert_allclose(np.abs(view.FGA - view.A).sum(1).mean() + np.abs(view.GFB - view.B).sum(1).mean(),
                               on.history_.cycle_test[-1], rtol=1e-5)  # the view's round trips are the measured ones


def test_the_shipped_runs_load_and_repeat_their_manifest():
    recipes = {r.name for r in gan.shipped.recipes()}
    assert {"cycle_on", "cycle_off"} <= recipes  # python -m engine.regenerate gan cycle_on cycle_off [--check]
    manifest = weights.read_manifest("gan")
    for cycle in (True, False):
        run = gan.cycle.shipped_run(cycle)  # checksums verified on load
        entry = manifest[gan.cycle.shipped_name(cycle)]
        assert run.step == entry["metrics"]["steps"] == run.cfg.steps and run.cfg.cycle is cycle
        assert run.history.cycle_test[-1] == pytest.approx(entry["metrics"]["cycle_test"], abs=1e-4)
        view_error = np.abs(run.view.FGA - run.view.A).sum(1).mean() + np.abs(run.view.GFB - run.view.B).sum(1).mean()
        assert view_error == pytest.approx(entry["metrics"]["cycle_test"], abs=1e-4)  # the loaded weights give the number
    on, off = gan.cycle.shipped_run(True).history, gan.cycle.shipped_run(False).history
    assert on.cycle_test[-1] < 0.3 < 3 < off.cycle_test[-1] and on.mmd_ab[-1] < off.mmd_ab[-1]


def cycle_metric(at, lang):
    label = text.lookup(lang, "gan.cycle.metric_cycle")
    return [read_number(m.value, lang) for m in at.metric if m.label == label]


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_the_section_shows_both_shipped_runs_and_every_view(lang):
    at = AppTest.from_file(SCRIPT, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    on, off = gan.cycle.shipped_run(True).history.cycle_test[-1], gan.cycle.shipped_run(False).history.cycle_test[-1]
    assert cycle_metric(at, lang) == [pytest.approx(on, abs=6e-4)]  # useful in its first second: the shipped run
    assert len(at.get("plotly_chart")) == 2
    at.toggle(key="w:gan.cycle_loss").set_value(False).run()
    assert_clean(at)
    assert cycle_metric(at, lang) == [pytest.approx(off, abs=6e-4)]
    for view in gan_cycle.VIEWS:
        at.button_group(key="w:gan.cycle_view").set_value(view).run()
        assert_clean(at)
        assert any(text.lookup(lang, f"gan.cycle.legend_{view}") in c.value for c in at.caption)
    at.toggle(key="w:gan.cycle_colours").set_value(True).run()
    assert_clean(at)
    assert any(text.lookup(lang, "gan.cycle.legend_position") in c.value for c in at.caption)
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")]
    assert text.lookup(lang, "gan.cycle.title_shipped", steps=text.number(lang, 600, ",")) in titles


def shipped_shown(at, lang: str, cycle: bool) -> bool:
    """The section shows the shipped run of this setting: its number and the plane titled with its steps."""
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")]
    return (cycle_metric(at, lang) == [pytest.approx(gan.cycle.shipped_run(cycle).history.cycle_test[-1], abs=6e-4)]
            and text.lookup(lang, "gan.cycle.title_shipped", steps=text.number(lang, 600, ",")) in titles)


def test_train_live_builds_the_trainer_on_the_click_trains_and_goes_back_to_the_shipped_run():
    at = AppTest.from_file(SCRIPT, default_timeout=120)
    at.run()
    run = at.session_state["gan.cycle"]
    assert run.trainer is None and "gan.live" not in at.session_state  # lazy: no trainer until Train live; its own record
    assert shipped_shown(at, "en", True)  # drawn without a trainer
    at.button(key="gan_cycle_play").click().run()  # the click builds the trainer; one tick per run under AppTest
    at.run()
    assert_clean(at)
    tr = at.session_state["gan.cycle"].trainer
    assert tr.step_ > 0 and at.session_state["gan.cycle"].playing
    assert cycle_metric(at, "en") == [pytest.approx(tr.history_.latest("cycle_test"), abs=6e-4)]  # the live run's number
    at.button(key="gan_cycle_pause").click().run()
    held = tr.step_
    at.run()
    assert tr.step_ == held and not at.session_state["gan.cycle"].playing
    at.toggle(key="w:gan.cycle_loss").set_value(False).run()  # another setting: the run is dropped, the shipped one shown
    assert_clean(at)
    assert at.session_state["gan.cycle"].trainer is None and shipped_shown(at, "en", False)
    at.button(key="gan_cycle_play").click().run()
    assert at.session_state["gan.cycle"].trainer is not None
    at.button(key="gan_cycle_reset").click().run()
    assert_clean(at)
    assert at.session_state["gan.cycle"].trainer is None and not at.session_state["gan.cycle"].playing
    assert shipped_shown(at, "en", False)  # after Reset, the shipped run again (drawn inside the panel)
