"""AppTest of the evaluation page: every widget, both languages, bad input shown on screen."""

import numpy as np
import pytest

from engine.data.points import Dataset
from tests.apptest_utils import assert_clean, open_page, read_number
from ui import text

SCRIPT = "pages/08_evaluation.py"


def k(name: str) -> str:
    return f"w:evaluation.{name}"


def open_tab(at, lang: str, name: str) -> None:
    """Tabs are lazy (only the open one runs): select one as a click would, then rerun."""
    at.session_state["evaluation_tab"] = text.catalogue(lang)[f"evaluation.tab.{name}"]
    at.run()


def metric(at, lang: str, key: str) -> float:
    """The first st.metric labelled with the catalogue text ``evaluation.<key>``."""
    label = text.lookup(lang, f"evaluation.{key}")
    return read_number(next(m.value for m in at.metric if m.label == label), lang)


def texts(at) -> str:
    return " ".join(str(e.value) for kind in ("warning", "success", "info", "error", "caption") for e in at.get(kind))


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_2d_tab_opens_honest_and_every_dial_moves_the_numbers(lang):
    at = open_page(SCRIPT, lang)
    assert_clean(at)
    assert metric(at, lang, "score.precision") > 0.9 and metric(at, lang, "score.recall") > 0.9
    assert len(at.get("plotly_chart")) == 5  # balls, witness, sliced, Parzen map, distances; the table is a dataframe
    assert "✓" in " ".join(m.value for m in at.markdown)  # which failure each metric catches
    at.slider(key=k("modes_kept")).set_value(4).run()
    assert_clean(at)
    assert metric(at, lang, "score.recall") < 0.7 and metric(at, lang, "score.precision") > 0.9
    at.button(key="evaluation_honest").click().run()
    assert at.slider(key=k("modes_kept")).value == 8
    at.slider(key=k("blur")).set_value(0.3).run()
    assert metric(at, lang, "score.precision") < 0.5
    at.button(key="evaluation_honest").click().run()
    at.slider(key=k("shrink")).set_value(0.8).run()
    assert metric(at, lang, "score.recall") < 0.7
    at.slider(key=k("shrink")).set_value(0.0).run()
    at.slider(key=k("shift")).set_value(0.5).run()
    assert metric(at, lang, "score.mmd2") > 0.1
    assert_clean(at)


def test_copying_fires_the_alarm_and_identical_sets_are_said():
    at = open_page(SCRIPT, "en")
    assert not at.warning  # honest: no alarm
    assert any("No copy alarm" in s.value for s in at.success)
    at.slider(key=k("copy")).set_value(1.0).run()
    assert_clean(at)
    assert any("Copy alarm" in w.value for w in at.warning)
    assert metric(at, "en", "score.precision") > 0.9  # copies look perfect to the quality metrics
    at.segmented_control(key=k("against")).set_value("train").run()
    assert any(text.lookup("en", "evaluation.identical")[:40] in w.value for w in at.warning)
    assert metric(at, "en", "score.coverage") == 1.0


def test_section_controls_en():
    at = open_page(SCRIPT, "en")
    for view in ("recall", "density", "coverage", "precision"):
        at.segmented_control(key=k("view")).set_value(view).run()
        assert_clean(at)
        assert text.lookup("en", f"evaluation.view_caption.{view}", k=5)[:30] in texts(at)
    def section(label):  # the precision/recall section's own numbers: the second metric with the label
        return read_number([m.value for m in at.metric if m.label == label][1], "en")

    small = [section(name) for name in ("Precision", "Recall", "Coverage")]
    at.slider(key=k("k")).set_value(12).run()
    assert_clean(at)
    large = [section(name) for name in ("Precision", "Recall", "Coverage")]
    assert all(b >= a for a, b in zip(small, large)) and sum(large) > sum(small)  # larger k, larger balls
    at.button_group(key=k("bandwidths")).set_value([0.1]).run()
    assert_clean(at)
    narrow = section("MMD²")
    at.button_group(key=k("bandwidths")).set_value([]).run()
    assert any(text.lookup("en", "evaluation.no_bandwidth") in i.value for i in at.info)
    at.button_group(key=k("bandwidths")).set_value([2.0]).run()
    assert section("MMD²") != narrow
    before = metric(at, "en", "lik_held")
    at.select_slider(key=k("parzen_h")).set_value(0.2).run()
    assert_clean(at)
    assert metric(at, "en", "lik_held") != before
    at.select_slider(key=k("quantile")).set_value(0.2).run()
    assert_clean(at)
    assert any("20%" in s.value for s in at.success)


def test_own_data_too_small_for_k_and_one_point_are_said():
    at = open_page(SCRIPT, "en", run=False)
    rng = np.random.default_rng(0)
    at.session_state["user_data"] = Dataset(rng.normal(size=(30, 2)), np.zeros(30, int), "mine", ("A",))
    at.run()
    at.selectbox(key=k("dataset")).set_value("own").run()
    assert_clean(at)  # 15 held-out points: every metric at k = 5
    at.slider(key=k("k")).set_value(16).run()
    msg = text.lookup("en", "errors.too_few_for_k", n=15, k=16)
    assert [e.value for e in at.error] == [msg]  # said in the section; the rest of the page still works
    assert len(at.get("plotly_chart")) >= 4
    at.session_state["user_data"] = Dataset(np.array([[0.0, 1.0]]), np.zeros(1, int), "one", ("A",))
    at.run()
    assert [e.value for e in at.error] == [text.lookup("en", "errors.too_few_points", n=1, min=14)]
    at.session_state["user_data"] = Dataset(rng.normal(size=(9, 2)), np.zeros(9, int), "nine", ("A",))
    at.run()
    assert [e.value for e in at.error] == [text.lookup("en", "errors.too_few_points", n=9, min=14)]


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_digits_tab_leaderboard_and_fid_bias(lang):
    at = open_page(SCRIPT, lang)
    open_tab(at, lang, "digits")
    assert_clean(at)
    board = at.dataframe[0].value
    assert len(board) == 9
    assert board.iloc[0, 0] in {text.lookup(lang, f"evaluation.sources.{s}") for s in ("train", "cgan", "held_out")}
    assert board.iloc[-1, 0] == text.lookup(lang, "evaluation.sources.noise")  # worst FID
    assert len(at.get("image")) == 9  # 24 samples of every source
    at.selectbox(key=k("sort_by")).set_value("inception_score").run()
    assert at.dataframe[0].value.iloc[0, 0] != text.lookup(lang, "evaluation.sources.noise")
    at.slider(key=k("board_k")).set_value(3).run()
    assert_clean(at)
    at.select_slider(key=k("board_n")).set_value(15).run()
    assert [w.value for w in at.warning] == [text.lookup(lang, "evaluation.fid_singular", n=15, d=32, rank=14)]
    at.selectbox(key=k("fid_a")).set_value("vae").run()
    at.selectbox(key=k("fid_b")).set_value("held_out").run()
    assert_clean(at)
    at.selectbox(key=k("fid_b")).set_value("vae").run()
    assert any(text.lookup(lang, "evaluation.same_source") in i.value for i in at.info)


def test_fid_bias_default_pair_flips_and_says_where():
    at = open_page(SCRIPT, "en")
    open_tab(at, "en", "digits")
    assert any(c.value.startswith("The order flips at N ≈") for c in at.caption)


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_human_round_scores_reveals_and_keeps_its_state(lang):
    at = open_page(SCRIPT, lang)
    open_tab(at, lang, "human")
    assert_clean(at)
    boxes = [c for c in at.checkbox if c.key.startswith("w:evaluation.pick_0_cgan_")]
    assert len(boxes) == 16
    from engine.evaluation import leaderboard as lb

    truth = lb.human_round("cgan", 16, seed=0).real
    for box, real in zip(boxes, truth):
        box.set_value(bool(real))
    at.run()
    at.button(key="evaluation_check").click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == [text.lookup(lang, "evaluation.round_score", correct=16, n=16, found=8, n_real=8,
                                                         fooled=0, acc=1.0)]
    assert all(c.disabled for c in at.checkbox if c.key.startswith("w:evaluation.pick_0_"))
    at.run()  # the reveal survives a rerun
    assert at.success and at.session_state["evaluation.tally"].rounds == 1
    at.button(key="evaluation_new_round").click().run()
    assert not at.success and at.session_state["evaluation.round"] == 1
    assert len([c for c in at.checkbox if c.key.startswith("w:evaluation.pick_1_cgan_")]) == 16
    at.selectbox(key=k("human_source")).set_value("vae").run()
    assert_clean(at)
    assert len([c for c in at.checkbox if c.key.startswith("w:evaluation.pick_1_vae_")]) == 16


def test_language_switch_keeps_the_open_tab_valid():
    at = open_page(SCRIPT, "en")
    open_tab(at, "en", "human")
    at.sidebar.segmented_control[0].set_value("pt").run()
    assert_clean(at)
    assert at.title[0].value == text.lookup("pt", "evaluation.title")


def test_picks_survive_a_visit_to_another_tab():
    at = open_page(SCRIPT, "en")
    open_tab(at, "en", "human")
    at.checkbox(key=k("pick_0_cgan_3")).check().run()
    open_tab(at, "en", "digits")
    open_tab(at, "en", "human")
    assert at.checkbox(key=k("pick_0_cgan_3")).value is True


def test_one_of_the_apps_own_models_is_trained_on_request_and_measured():
    at = open_page(SCRIPT, "en")
    at.segmented_control(key=k("source")).set_value("model").run()
    assert_clean(at)
    assert any(i.value.startswith("Press “Train”") for i in at.info) and not at.get("plotly_chart")
    at.selectbox(key=k("family")).set_value("mixture").run()
    at.button(key="evaluation_train").click().run()
    assert_clean(at)
    # the registry's mixture (8 components, random start) covers the ring but may merge two modes: recall stays high
    assert metric(at, "en", "score.recall") > 0.8 and metric(at, "en", "score.precision") > 0.3
    own = text.lookup("en", "evaluation.model_lik", family=text.lookup("en", "evaluation.families.mixture"))
    assert np.isfinite(read_number(next(m.value for m in at.metric if m.label == own), "en"))
    at.select_slider(key=k("steps")).set_value(100).run()  # another budget: train again first
    assert any(i.value.startswith("Press “Train”") for i in at.info)
    at.selectbox(key=k("family")).set_value("gan").run()
    assert_clean(at)
    at.selectbox(key=k("family")).set_value("vae").run()  # a family with a bound: its ELBO is called a bound
    at.button(key="evaluation_train").click().run()
    assert_clean(at)
    bound = text.lookup("en", "evaluation.model_bound", family=text.lookup("en", "evaluation.families.vae"))
    assert np.isfinite(read_number(next(m.value for m in at.metric if m.label == bound), "en"))
    assert not any(m.label.endswith("own held-out log p(x)") for m in at.metric)


def test_the_family_picker_offers_every_registered_2d_family_each_named_in_both_languages():
    from engine import registry

    at = open_page(SCRIPT, "en")
    at.segmented_control(key=k("source")).set_value("model").run()
    assert list(at.selectbox(key=k("family")).options) == [text.lookup("en", f"evaluation.families.{n}") for n in registry.families()]
    for lang in ("en", "pt"):
        assert all(f"evaluation.families.{n}" in text.catalogue(lang) for n in registry.families()), lang
