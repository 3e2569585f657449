"""The arena page under AppTest: shipped lessons at once, a small live race, bad data, restarts, both languages."""

import pytest
from streamlit.testing.v1 import AppTest

from engine.data import points
from tests.apptest_utils import TIMEOUT, assert_clean, open_page
from ui import text

PAGE = "pages/09_arena.py"


def k(name: str) -> str:
    return f"w:arena.{name}"


def first_names(at) -> list[str]:
    df = at.dataframe[0].value
    return list(df.iloc[:, 1])


def finish(at, runs: int = 40):
    """Keep running until the race is over (AppTest runs one tick per run)."""
    for _ in range(runs):
        race = at.session_state["arena.live"].trainer
        if race is not None and race.done:
            break
        at.run()
    return at.run()


@pytest.mark.parametrize("lang", text.LANGS)
def test_shipped_lessons_render_at_once_and_rank_by_the_chosen_metric(lang):
    at = open_page(PAGE, lang)
    assert_clean(at)
    names = lambda key: text.lookup(lang, f"arena.names.{key}")  # noqa: E731
    assert at.info[0].value == text.lookup(lang, "arena.lesson_text.blobs")
    assert first_names(at)[0] == names("mixture")  # ranked by held-out log-likelihood: the mixture wins on blobs
    at.selectbox(key=k("metric_blobs")).set_value("n_params").run()
    assert first_names(at)[0] == names("gaussian")  # by size, the single Gaussian does
    assert {"lesson_dl_table", "lesson_dl_samples"} <= {b.key for b in at.get("download_button")}
    notes = " ".join(m.value for m in at.markdown)
    dense = ", ".join(names(n) for n in ("mixture", "gaussian", "vae")) + text.lookup(lang, "arena.and") + names("diffusion")
    assert text.lookup(lang, "arena.note.densities", names=dense) in notes  # every family but the GAN
    captions = [c.value for c in at.caption]
    assert captions.count(text.lookup(lang, "arena.map_note.exact")) == 2  # the two mixtures' maps
    assert captions.count(text.lookup(lang, "arena.map_note.bound")) == 2 and text.lookup(lang, "arena.map_note.none") in captions
    assert any(c.startswith(text.lookup(lang, "arena.map_caption", lo="@", hi="@").split("@")[0]) for c in captions)
    for key in ("spiral", "ring", "faithful"):
        at.segmented_control(key=k("race")).set_value(key).run()
        assert_clean(at)
        assert len(at.dataframe) == 1
    # the ring lesson's commentary counts the plain GAN's modes
    at.segmented_control(key=k("race")).set_value("ring").run()
    assert any(text.lookup(lang, "arena.note.modes", who=names("gan"), covered=1, total=8)[:12] in m.value for m in at.markdown)


@pytest.mark.parametrize("lang", text.LANGS)
def test_a_small_race_runs_live_and_ends_in_a_verdict(lang):
    at = open_page(PAGE, lang)
    at.segmented_control(key=k("mode")).set_value("custom").run()
    at.multiselect(key=k("names")).set_value(["mixture", "gaussian", "gan"]).run()
    assert {s.key for s in at.select_slider} >= {k("knob_mixture"), k("knob_gan")}  # one knob each, none for the baseline
    assert k("knob_vae") not in {s.key for s in at.select_slider}
    at.select_slider(key=k("knob_mixture")).set_value(3).run()
    assert at.query_params["knob_mixture"] == "3"  # in the link, like every control
    at.segmented_control(key=k("budget_kind")).set_value("steps").run()
    at.select_slider(key=k("budget_steps")).set_value(25).run()
    assert at.info[-1].value == text.lookup(lang, "arena.idle")
    at.button(key="arena_play").click().run()
    finish(at)
    assert_clean(at)
    race = at.session_state["arena.live"].trainer
    assert [e.step_ for e in race.entries][2] == 25  # the GAN used its whole budget
    assert race.entries[0].model.n_components == 3  # the knob reached the model
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 3
    assert {"race_dl_table", "race_dl_samples"} <= {b.key for b in at.get("download_button")}  # the table and the samples
    at.selectbox(key=k("metric_custom")).set_value("n_params").run()
    assert first_names(at)[0] == text.lookup(lang, "arena.names.gaussian")


def test_too_few_points_for_a_family_names_it_and_the_others_run():
    at = open_page(PAGE, "pt", run=False)
    at.session_state["user_data"] = points.make_dataset("blobs", n=24, seed=0)
    at.run()
    at.segmented_control(key=k("mode")).set_value("custom").run()
    at.selectbox(key=k("dataset")).set_value("own").run()
    at.multiselect(key=k("names")).set_value(["gaussian", "gan"]).run()
    at.segmented_control(key=k("budget_kind")).set_value("steps").run()
    at.select_slider(key=k("budget_steps")).set_value(25).run()
    at.button(key="arena_play").click().run()
    finish(at)
    assert not at.exception
    gan = text.lookup("pt", "arena.names.gan")
    assert any(w.value.startswith(gan) for w in at.warning), [w.value for w in at.warning]  # on the GAN's panel
    assert len(at.dataframe[0].value) == 2


def test_new_data_mid_race_start_it_over_and_an_empty_start_list_says_so():
    at = open_page(PAGE, "en")
    at.segmented_control(key=k("mode")).set_value("custom").run()
    at.multiselect(key=k("names")).set_value(["vae"]).run()
    at.select_slider(key=k("budget_seconds")).set_value(20).run()
    at.button(key="arena_play").click().run()
    assert at.session_state["arena.live"].trainer.step_ > 0 and not at.session_state["arena.live"].trainer.done
    at.slider(key=k("noise_ring8")).set_value(0.2).run()
    assert_clean(at)
    assert any(i.value == text.lookup("en", "arena.restarted") for i in at.info)
    assert at.session_state["arena.live"].trainer is None  # a clean start: nothing built until Start
    at.button(key="arena_play").click().run()
    assert at.session_state["arena.live"].trainer.step_ > 0
    at.select_slider(key=k("knob_vae")).set_value(4.0).run()  # a knob mid-race: the same clean restart
    assert_clean(at)
    assert any(i.value == text.lookup("en", "arena.restarted") for i in at.info)
    assert at.session_state["arena.live"].trainer is None
    at.multiselect(key=k("names")).set_value([]).run()
    assert at.warning[0].value == text.lookup("en", "arena.pick_one")


def test_run_it_yourself_retrains_the_lesson_live():
    at = open_page(PAGE, "en")
    at.segmented_control(key=k("race")).set_value("ring").run()
    at.toggle(key=k("live_ring")).set_value(True).run()
    at.button(key="arena_play").click().run()
    race = at.session_state["arena.live"].trainer
    assert race is not None and [e.name for e in race.entries] == ["gan", "wgan_gp"] and race.step_ > 0
    at.button(key="arena_stop").click().run()
    assert_clean(at)
    assert len(at.dataframe) == 1  # the verdict of the race so far


def test_a_diverged_contestant_is_marked_on_its_panel_in_the_table_and_the_notes():
    def app():
        from engine import registry
        from engine.core.training import Budget
        from engine.data import points
        from engine.races import race as R
        from ui import plots_arena as P
        from ui.shell import PageContext

        ds = points.make_dataset("moons", n=200, seed=0)
        race = R.Race(ds.X, ds.y, ["mixture", "vae"], Budget(max_steps=30), seed=0,
                      configs={"vae": registry.families()["vae"].unstable}).run()
        rows = R.verdict(race)
        ctx = PageContext("arena", "en", 0)
        P.grid(ctx, P.cells_from_rows(ctx, rows), points.bounds(ds.X), ds.X, key="t")
        P.verdict(ctx, rows, "mmd2", key="t")

    at = AppTest.from_function(app, default_timeout=TIMEOUT).run()
    assert not at.exception
    [error] = at.error  # on the VAE's panel, not the mixture's
    step = int(error.value.split("step ")[1].split(":")[0])
    assert 0 < step < 30 and error.value == text.lookup("en", "arena.cell_diverged", step=step)
    df = at.dataframe[0].value
    assert list(df[text.lookup("en", "arena.col.status")]) == [text.lookup("en", f"arena.status.{s}") for s in ("ok", "diverged")]
    vae = text.lookup("en", "arena.names.vae")
    assert any(text.lookup("en", "arena.note.diverged", who=vae, step=step) in m.value for m in at.markdown)
