"""The applications page in both languages: the shipped experiment at once, the verdict on screen, Run on other settings."""

import pytest

from tests.apptest_utils import assert_clean, open_page, read_number
from ui import text

SCRIPT = "pages/11_applications.py"


def _boxes(at) -> list[str]:
    return [b.value for b in [*at.success, *at.info, *at.warning]]


@pytest.mark.parametrize("lang", text.LANGS)
def test_the_page_opens_on_the_shipped_experiment_with_its_verdict(lang):
    at = open_page(SCRIPT, lang)
    assert_clean(at)
    assert at.segmented_control(key="w:applications.aug_source").value == "gan"
    real, augmented = (read_number(m.value, lang) for m in at.metric[:2])
    assert (real, augmented) == (85.2, 87.1)  # the shipped run, seed 0, no Run pressed
    helps = text.lookup(lang, "applications.aug.verdict.helps").split("**")[1]
    assert any(helps in b for b in _boxes(at)), _boxes(at)
    assert len(at.get("plotly_chart")) == 3
    at.segmented_control(key="w:applications.aug_source").set_value("diffusion").run()
    assert_clean(at)
    assert read_number(at.metric[1].value, lang) == 87.8  # shipped too: still no Run needed


@pytest.mark.parametrize("lang", text.LANGS)
def test_other_settings_wait_for_run_then_are_measured(lang):
    at = open_page(SCRIPT, lang)
    at.slider(key="w:applications.aug_n_real").set_value(7).run()
    at.slider(key="w:applications.aug_k").set_value(5).run()
    assert_clean(at)
    stale = text.lookup(lang, "applications.aug.stale", source=text.lookup(lang, "applications.aug.source.gan"), n=10, k=20,
                        seed=0)
    assert stale in _boxes(at)  # the shipped numbers stay, labelled with their own settings
    at.button(key="apps_aug_run").click().run()
    assert_clean(at)
    assert stale not in _boxes(at)
    assert at.metric[1].label == text.lookup(lang, "applications.aug.with_generated", k=5)
    assert read_number(at.metric[0].value, lang) not in (85.2, 87.1)
    verdicts = [text.lookup(lang, f"applications.aug.verdict.{v}").split("**")[1] for v in ("helps", "hurts", "unclear")]
    assert sum(any(v in b for b in _boxes(at)) for v in verdicts) == 1


@pytest.mark.parametrize("lang", text.LANGS)
def test_inpainting_shows_the_shipped_view_then_completes_other_digits_live(lang):
    at = open_page(SCRIPT, lang)
    kept = next(m for m in at.metric if m.label == text.lookup(lang, "applications.inp.kept_here"))
    assert kept.value == "2/6"  # the shipped view: test digit 0, a 3 with its top hidden, often completed as a 9
    assert len(at.get("image")) == 1 + 1 + 6 + 2  # original, masked, six completions, two baselines
    at.select_slider(key="w:applications.inp_jumps").set_value(1).run()
    at.segmented_control(key="w:applications.inp_mask").set_value("centre").run()
    at.number_input(key="w:applications.inp_digit").set_value(2).run()
    assert_clean(at)
    kept = next(m for m in at.metric if m.label == text.lookup(lang, "applications.inp.kept_here"))
    assert kept.value.endswith("/6") and kept.value != "2/6"
    shipped = next(m for m in at.metric if m.label == text.lookup(lang, "applications.inp.kept_shipped", u=3))
    assert read_number(shipped.value, lang) == 85.5  # the centre's shipped rate


@pytest.mark.parametrize("lang", text.LANGS)
def test_every_application_of_the_course_list_says_where_the_app_shows_it(lang):
    from ui import applications_sections as sections

    at = open_page(SCRIPT, lang)
    items = [key for key, _ in sections.SEEDS]
    assert items == ["images", "text", "audio", "video", "design", "augmentation", "simulation", "editing", "drug_discovery"]
    shown = [m.value for m in at.markdown]
    for key in items:
        assert any(text.lookup(lang, f"applications.uses.line.{key}") in m for m in shown), key
    links = {link.proto.page for link in at.main.get("page_link")}
    assert links == {"gan", "diffusion", "token_sampling", "vae"}
    edit = next(link for link in at.main.get("page_link") if link.proto.label.endswith(text.lookup(lang, "vae.tab.edit")))
    assert "tab=edit" in edit.proto.query_string  # editing opens the VAE page on its latent-arithmetic tab


def test_another_seed_waits_for_run_and_says_which_seed_the_numbers_are_for():
    at = open_page(SCRIPT, "en")
    at.sidebar.number_input[0].set_value(3).run()
    assert_clean(at)
    stale = text.lookup("en", "applications.aug.stale", source=text.lookup("en", "applications.aug.source.gan"), n=10, k=20, seed=0)
    assert stale in _boxes(at)
