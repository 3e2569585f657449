"""Classroom mode (issue 17): a view travels in its link and in a settings file, and comes back the same."""

from __future__ import annotations

import json

import pytest

from tests.apptest_utils import assert_clean, open_page
from ui import lessons, share, text
from ui.registry import HOME_SCRIPT, PAGES

# page script -> (widget kind, key, a value other than the default) for a few controls of that page
CHANGES = {
    "pages/01_discriminative_vs_generative.py": [
        ("select_slider", "w:discriminative_vs_generative.disc_logistic_param", 10.0),
        ("selectbox", "w:discriminative_vs_generative.gen_model", "qda"),
        ("selectbox", "w:discriminative_vs_generative.dataset", "circles"),
    ],
    "pages/02_mixtures_and_hmm.py": [
        ("slider", "w:mixtures_and_hmm.k", 5),
        ("selectbox", "w:mixtures_and_hmm.cov", "diag"),
    ],
    "pages/03_vae.py": [
        ("number_input", "w:vae.pick_z1", 1.5),
    ],
    "pages/04_gan.py": [
        ("selectbox", "w:gan.loss", "lsgan"),
        ("slider", "w:gan.d_steps", 4),
    ],
    "pages/05_diffusion.py": [
        ("selectbox", "w:diffusion.schedule", "cosine"),
    ],
    "pages/06_token_sampling.py": [
        ("slider", "w:token_sampling.temperature", 0.5),
        ("number_input", "w:token_sampling.top_k", 5),
    ],
    "pages/07_energy_based.py": [
        ("selectbox", "w:energy_based.landscape", "ring"),
    ],
    "pages/08_evaluation.py": [
        ("slider", "w:evaluation.modes_kept", 5),
        ("slider", "w:evaluation.k", 8),
    ],
    "pages/09_arena.py": [
        ("segmented_control", "w:arena.race", "ring"),
    ],
    "pages/11_applications.py": [
        ("segmented_control", "w:applications.aug_source", "diffusion"),
        ("slider", "w:applications.aug_n_real", 20),
        ("segmented_control", "w:applications.inp_mask", "centre"),
    ],
}
# every page's link round trip is here (the browser test does one page on a fresh server)
assert {p.script for p in PAGES if p.controls} <= set(CHANGES) | {HOME_SCRIPT}, "a page without a link round trip"
LIVE = {"pages/04_gan.py"}


def _widget(at, kind, key):
    if kind == "segmented_control":
        return at.button_group(key=key)
    return getattr(at, kind)(key=key)


def _figures(at) -> list[str]:
    return [chart.proto.spec for chart in at.get("plotly_chart")]


def _link_warnings(at) -> list[str]:
    return [w.value for w in at.warning if w.icon == ":material/link_off:"]


def _from_link(script: str, params: dict[str, str], lang: str = "en"):
    at = open_page(script, lang, run=False)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


@pytest.mark.parametrize("script", sorted(CHANGES))
def test_a_link_brings_the_same_controls_and_figures_back(script):
    at = open_page(script, "pt")
    for kind, key, value in CHANGES[script]:
        _widget(at, kind, key).set_value(value).run()
    assert_clean(at)
    params = dict(at.query_params.items())
    assert params["lang"] == "pt"
    for kind, key, value in CHANGES[script]:  # only what differs from the defaults goes in
        assert share.decode(params[key.split(".", 1)[1]]) == value
    assert len(params) <= len(CHANGES[script]) + 2, params  # + lang, + gan's "preset=custom"
    again = _from_link(script, params, "pt")
    assert_clean(again)
    assert not _link_warnings(again)
    for kind, key, value in CHANGES[script]:
        assert _widget(again, kind, key).value == value
    if script not in LIVE:  # a live trainer's progress is not a setting: its figures move on their own
        assert _figures(again) == _figures(at)


def test_a_hand_edited_link_gets_messages_and_the_defaults():
    at = _from_link("pages/02_mixtures_and_hmm.py",
                    {"k": "99", "cov": "bogus", "seed": "-3", "em_seed": "1.5", "n_new": "[1,2]"}, "pt")
    assert not at.exception
    warnings = _link_warnings(at)
    assert len(warnings) == 5 and all(w.startswith("O link define") for w in warnings), warnings
    assert at.slider(key="w:mixtures_and_hmm.k").value == 3
    assert at.selectbox(key="w:mixtures_and_hmm.cov").value == "full"
    assert at.number_input(key="w:seed").value == 0
    assert "k" not in at.query_params and "cov" not in at.query_params


def test_a_link_made_on_own_points_says_it_opens_on_the_default_data():
    at = _from_link("pages/01_discriminative_vs_generative.py", {"own": "1", "n_samples": "80"})
    assert_clean(at)
    assert any("own points" in w for w in _link_warnings(at))
    slider = json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-gen_fig")).proto.spec)["layout"]["sliders"][0]
    assert slider["steps"][slider["active"]]["args"][0] == ["80"]  # the samples' plotly slider opens at the link's count


def test_up_to_200_own_points_travel_in_the_link_and_come_back_on_a_fresh_session():
    import numpy as np

    from engine.data import points

    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal([-1, 0], 0.3, (30, 2)), rng.normal([1, 0], 0.3, (30, 2))]).round(3)  # what a link keeps
    y = np.repeat([0, 1], 30)
    at = open_page("pages/01_discriminative_vs_generative.py", run=False)
    at.session_state["user_data"] = points.Dataset(X, y, "drawn", ("<b>left</b>", "right"))
    at.session_state["w:discriminative_vs_generative.dataset"] = "own"
    at.run()
    assert_clean(at)
    params = dict(at.query_params.items())
    assert params["own"].startswith(share.POINTS_FORMAT) and len(params["own"]) < 2_000, len(params["own"])
    again = _from_link("pages/01_discriminative_vs_generative.py", params)
    assert_clean(again)
    assert again.selectbox(key="w:discriminative_vs_generative.dataset").value == "own"
    got = again.session_state["user_data"]
    assert np.allclose(got.X, X, atol=5e-4) and (got.y == y).all() and got.class_names == ("<b>left</b>", "right")
    assert _figures(again) == _figures(at)
    assert _link_warnings(again) == [text.lookup("en", "share.own_data_carried", n=60)]  # says where they came from
    # too many points for a link, or a damaged word: the page says so and opens on its default data
    at.session_state["user_data"] = points.Dataset(np.vstack([X] * 4) + rng.normal(0, 0.01, (240, 2)), np.tile(y, 4), "drawn", ("a", "b"))
    at.run()
    assert at.query_params["own"] == "1"  # 240 points: the link only says there were own points
    broken = _from_link("pages/01_discriminative_vs_generative.py", {"own": params["own"][:-40]})
    assert_clean(broken)
    assert any("200" in w for w in _link_warnings(broken))
    assert broken.selectbox(key="w:discriminative_vs_generative.dataset").value == "moons"


def test_the_settings_file_round_trips_and_refuses_what_is_not_one():
    page = "mixtures_and_hmm"
    values = {"k": 5, "cov": "diag", "seed": 7}
    assert share.from_json(share.to_json(page, values).encode(), page) == values
    at = open_page("pages/02_mixtures_and_hmm.py")
    at.session_state[share.INCOMING] = share.from_json(share.to_json(page, values).encode(), page)
    at.run()
    assert_clean(at)
    assert (at.slider(key="w:mixtures_and_hmm.k").value, at.selectbox(key="w:mixtures_and_hmm.cov").value) == (5, "diag")
    assert at.number_input(key="w:seed").value == 7
    for raw, code in [(b"\x89PNG...", "not_a_view"), (b"[1, 2]", "not_a_view"),
                      (share.to_json("gan", values).encode(), "other_page"), (b" " * 30_000, "file_too_large")]:
        with pytest.raises(share.BadViewFile) as err:
            share.from_json(raw, page)
        assert err.value.code == code


@pytest.mark.parametrize("script", [HOME_SCRIPT] + [p.script for p in PAGES])
def test_presenter_mode_renders_every_page(script):
    at = _from_link(script, {"present": "1"})
    assert_clean(at)
    assert at.session_state[share.PRESENT] is True
    assert at.query_params["present"] == "1"
    assert any(b.label for b in at.button if b.key == "present_exit")


def test_values_survive_their_text_form():
    for value in (3, 0.006, -1.5, True, "full", "1", "true", ["contours", "samples"], "Não é"):
        assert share.decode(share.encode(value)) == value
    assert share.encode("wgan_gp") == "wgan_gp" and json.loads(share.encode("1")) == "1"


LESSON_PAGES = [(p.script, p.key) for p in PAGES if p.controls]  # every page with controls has a guided lesson
# the energy page's verdict on a too-large Langevin step: its lesson shows it on purpose (an error of the sampler, not of the page)
TAUGHT_ERRORS = (":material/rocket_launch:",)
VALUE_WIDGETS = ("slider", "select_slider", "selectbox", "radio", "button_group", "multiselect", "number_input", "toggle",
                 "checkbox", "text_input", "text_area")


def _drawn(at, page: str) -> dict[str, object]:
    """The page's persistent widgets this run drew: ``name -> value`` (the names a link uses)."""
    prefix = f"w:{page}."
    return {w.key[len(prefix):]: w.value for kind in VALUE_WIDGETS for w in at.get(kind)
            if isinstance(getattr(w, "key", None), str) and w.key.startswith(prefix)}


def test_every_lesson_has_four_to_eight_steps_that_ask_and_answer_in_both_languages():
    for _, page in LESSON_PAGES:
        all_steps = lessons.steps(page)
        assert 4 <= len(all_steps) <= 8, (page, len(all_steps))
        for step in all_steps:
            assert step["settings"] and not set(step["settings"]) & set(share.RESERVED), (page, step["settings"])
            for lang in text.LANGS:
                assert set(step[lang]) == {"title", "question", "answer"} and all(step[lang].values()), (page, lang)
                assert step[lang]["answer"] not in step[lang]["question"]


@pytest.mark.parametrize("script,page", LESSON_PAGES, ids=[page for _, page in LESSON_PAGES])
def test_a_guided_lesson_runs_step_by_step_and_its_link_opens_the_same_step(script, page):
    at = open_page(script, "pt")
    # no widget may take a name the link keeps for itself (the arena's race choice was once "lesson", and never travelled)
    assert not set(_drawn(at, page)) & set(share.RESERVED), _drawn(at, page)
    at.button(key="lesson_start").click().run()
    all_steps = lessons.steps(page)
    for i, step in enumerate(all_steps):
        assert not at.exception and not [e.value for e in at.error if e.icon not in TAUGHT_ERRORS], i
        assert not _link_warnings(at)
        drawn = _drawn(at, page)
        for name, value in step["settings"].items():  # the step set the controls through the link's path...
            assert share._same(at.session_state[f"w:{page}.{name}"], value), (i, name)
            if name in drawn:  # ...and the widget shows it (a setting of another section waits in the session)
                assert share._same(drawn[name], value), (i, name, drawn[name])
        assert at.query_params["lesson"] == str(i + 1)
        assert step["pt"]["question"] in [m.value for m in at.markdown]
        assert step["pt"]["answer"] not in [s.value for s in at.success]  # predict first...
        if page == "arena":  # the race's own commentary would give the answer away
            assert text.lookup("pt", "lessons.commentary_hidden") in [c.value for c in at.caption]
        at.button(key="lesson_reveal").click().run()
        assert step["pt"]["answer"] in [s.value for s in at.success]  # ...then reveal
        if page == "arena":
            assert text.lookup("pt", f"arena.lesson_text.{step['settings']['race']}") in [m.value for m in at.info]
        if i + 1 < len(all_steps):
            at.button(key="lesson_next").click().run()
    params = dict(at.query_params.items())
    student = _from_link(script, params, "pt")
    assert_clean(student)
    assert step["pt"]["question"] in [m.value for m in student.markdown]
    at.button(key="lesson_back").click().run()
    assert_clean(at)
    assert at.query_params["lesson"] == str(len(all_steps) - 1)
    for name, value in all_steps[-2]["settings"].items():  # back re-applies the previous step's settings
        assert share._same(at.session_state[f"w:{page}.{name}"], value), name


def test_no_control_is_named_like_a_reserved_link_parameter():
    """A control called "lesson" or "seed" would be dropped from links (the arena's lesson picker was)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    names = {m for p in [*root.glob("pages/*.py"), *root.glob("ui/*.py")]
             for m in re.findall(r'ctx\.key\(f?"([a-z_]+)', p.read_text("utf-8"))}
    assert len(names) > 50
    assert names.isdisjoint(share.RESERVED), names & set(share.RESERVED)
