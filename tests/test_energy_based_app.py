"""AppTest of the energy-based page: every widget, both languages, and every bad input's message."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.data.points import Dataset
from tests.apptest_utils import assert_clean, open_page
from ui import text

SCRIPT = "pages/07_energy_based.py"
K = "w:energy_based."


def t(lang: str, key: str, **params) -> str:
    return text.lookup(lang, f"energy_based.{key}", **params)


def section(at, name: str):
    at.segmented_control(key=K + "section").set_value(name).run()
    return at


def chart(at, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-" + key)).proto.spec)


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_landscapes_temperature_and_surface(lang):
    at = open_page(SCRIPT, lang)
    assert_clean(at)
    assert at.title[0].value == t(lang, "title")
    for name in ("ring", "double_well", "learned", "wells"):
        at.selectbox(key=K + "landscape").set_value(name).run()
        assert_clean(at)
    mass = next(m for m in at.metric if m.label == t(lang, "mass"))
    assert mass.value == text.number(lang, 1.0, ".4f")
    log_z = next(m for m in at.metric if m.label == t(lang, "log_z"))
    assert abs(float(log_z.value.replace(",", "."))) < 0.01  # the three wells are a normalised mixture: Z = 1
    at.select_slider(key=K + "temperature").set_value(0.5).run()
    assert_clean(at)
    assert chart(at, "density_fig")["data"][0]["type"] == "heatmap"
    at.toggle(key=K + "surface").set_value(True).run()
    assert_clean(at)
    assert chart(at, "surface_fig")["data"][0]["type"] == "surface"


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_langevin_presets_each_say_what_happened(lang):
    at = section(open_page(SCRIPT, lang), "langevin")
    assert_clean(at)
    assert [s.value for s in at.success] == [t(lang, "diag_good")]
    fig = chart(at, "langevin_fig")
    assert len(fig["frames"]) >= 10 and fig["layout"]["sliders"][0]["steps"]  # played and scrubbed in the browser
    assert len(fig["frames"][0]["data"][1]["x"]) <= 250  # decimated particles in every frame
    at.segmented_control(key=K + "preset").set_value("big_step").run()
    assert at.select_slider(key=K + "step_size").value == 2.0
    said = t(lang, "diag_escaped", k=0, n=0, step=0, eps="2").split(")", 1)[1]  # after the counts
    assert len(at.error) == 1 and at.error[0].value.endswith(said) and at.error[0].value.split()[0] != "0"
    assert not at.exception
    at.segmented_control(key=K + "preset").set_value("no_noise").run()
    assert [w.value for w in at.warning] == [t(lang, "diag_no_noise")]
    at.segmented_control(key=K + "preset").set_value("few_steps").run()
    assert len(at.warning) == 1 and at.warning[0].value.split("(")[0] == t(lang, "diag_far", steps=5, mmd=0).split("(")[0]
    if lang == "pt":
        return  # the rest moves widgets whose texts the English run already checks
    at.segmented_control(key=K + "preset").set_value("good").run()
    assert_clean(at)
    at.select_slider(key=K + "particles").set_value(100).run()
    at.slider(key=K + "noise").set_value(0.5).run()
    at.select_slider(key=K + "n_steps").set_value(50).run()
    at.selectbox(key=K + "langevin_landscape").set_value("learned").run()
    assert not at.exception


def trainer_of(at):
    """The page's live trainer (the shared live panel keeps it in one record per page)."""
    return at.session_state["energy_based.live"].trainer


def test_live_training_step_play_pause_reset_and_regimes():
    at = section(open_page(SCRIPT, "en"), "training")
    assert_clean(at)
    assert at.session_state[K + "noise_ring8"] == 0.3  # the reference's 8 Gaussians, scaled to the ring of radius 2
    at.button(key="ebm_step").click().run()
    trainer = trainer_of(at)
    assert trainer.step_ == 20 and trainer.history_.mmd2  # an MMD² point every 20 steps
    assert_clean(at)
    curves = chart(at, "curves_fig")
    assert {d["name"] for d in curves["data"]} >= {t("en", "curve.e_data"), t("en", "curve.gap"), t("en", "curve.mmd2")}
    at.button(key="ebm_play").click().run()  # one tick per run under AppTest
    at.run()
    assert trainer_of(at).step_ > 20
    at.button(key="ebm_pause").click().run()  # pause
    paused_at = trainer_of(at).step_
    at.run()
    assert trainer_of(at).step_ == paused_at
    at.button(key="ebm_reset").click().run()
    assert trainer_of(at).step_ == 0
    for regime in ("persistent", "dsm", "short_run"):
        at.selectbox(key=K + "regime").set_value(regime).run()
        assert_clean(at)
    at.slider(key=K + "chain_steps").set_value(5).run()
    at.select_slider(key=K + "target").set_value(100).run()
    at.button(key="ebm_step").click().run()
    assert_clean(at)
    assert trainer_of(at).config.train.langevin_steps == 5
    assert len([m for m in at.metric if m.label == t("en", "heldout")]) == 3  # the three shipped regimes side by side


def test_a_diverging_run_says_so_and_keeps_the_last_good_weights():
    at = section(open_page(SCRIPT, "pt"), "training")
    at.select_slider(key=K + "lr").set_value(10.0).run()
    for _ in range(3):
        if at.button(key="ebm_step").disabled:  # training stopped: the step button says so
            break
        at.button(key="ebm_step").click().run()
    trainer = trainer_of(at)
    assert trainer.diverged_ and at.button(key="ebm_step").disabled
    assert [e.value for e in at.error] == [t("pt", "diverged", step=trainer.step_)]
    assert not at.exception
    X = trainer.training_points(50)
    assert np.isfinite(trainer.energy(X)).all()
    at.select_slider(key=K + "lr").set_value(0.01).run()  # a new setting: a fresh trainer
    assert_clean(at)
    assert not trainer_of(at).diverged_


def test_bad_own_points_get_a_message_and_keep_the_previous_training():
    at = section(open_page(SCRIPT, "en"), "training")
    at.button(key="ebm_step").click().run()
    before = trainer_of(at)
    at.session_state["user_data"] = Dataset(np.r_[np.zeros((4, 2)), np.ones((4, 2))], np.zeros(8, int), "tiny", ("A",))
    at.selectbox(key=K + "dataset").set_value("own").run()
    assert [e.value for e in at.error] == [t("en", "errors.too_few_points", n=8, min=13)]
    assert t("en", "kept_previous") in [c.value for c in at.caption]
    assert trainer_of(at) is before and not at.exception
    X = np.r_[np.zeros((30, 2)), np.full((30, 2), 1e-9)]  # 60 points on (almost) one spot
    at.session_state["user_data"] = Dataset(X, np.zeros(60, int), "spot", ("A",))
    at.run()
    assert [e.value for e in at.error] == [t("en", "errors.degenerate_data")]
    assert not at.exception


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_score_matching_digits_and_practice(lang):
    at = section(open_page(SCRIPT, lang), "score")
    assert_clean(at)
    arrows = [d for d in chart(at, "score_fig")["data"] if d.get("name") == t(lang, "arrows")]
    assert arrows
    at.selectbox(key=K + "score_data").set_value("moons").run()
    assert_clean(at)
    section(at, "digits")
    assert_clean(at)
    assert at.session_state  # the page drew
    n_classes = next(m for m in at.metric if m.label == t(lang, "digit_classes"))
    assert int(n_classes.value) >= 6
    at.select_slider(key=K + "digit_steps").set_value(10).run()
    assert_clean(at)
    section(at, "practice")
    assert_clean(at)
    assert any("JEM" in m.value for m in at.markdown)



def test_a_run_that_overlaps_a_training_step_never_steps_the_same_trainer():
    """fastReruns: a click can start a run while an older one is still inside torch with the trainer. Only the
    holder of the trainer (ui/live.py) steps it; the newer run's Step click waits in the queue, is not lost, and
    runs once the older run lets go."""
    import threading

    from ui import live

    at = section(open_page(SCRIPT, "en"), "training")
    trainer = trainer_of(at)
    inside, release, seen = threading.Event(), threading.Event(), []

    def older_run():
        with live.hold(trainer) as held:
            assert held
            seen.append(trainer.step_)
            inside.set()
            release.wait(10)
            seen.append(trainer.step_)  # nobody stepped it while this run held it

    older = threading.Thread(target=older_run)
    older.start()
    inside.wait(5)
    with live.hold(trainer, wait=0.05) as held:
        assert not held  # the lock belongs to the trainer object, whichever run asks
    threading.Timer(1.0, release.set).start()  # the older run finishes its step a second later
    at.button(key="ebm_step").click().run()  # queued, then run by the redraw once the trainer is free
    older.join(5)
    assert seen == [0, 0]
    assert trainer_of(at) is trainer and trainer.step_ == 20
    assert_clean(at)
