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
    assert len(at.get("plotly_chart")) == 2
    at.segmented_control(key="w:applications.aug_source").set_value("diffusion").run()
    assert_clean(at)
    assert read_number(at.metric[1].value, lang) == 87.8  # shipped too: still no Run needed


def test_other_settings_wait_for_run_then_are_measured():
    at = open_page(SCRIPT, "en")
    at.slider(key="w:applications.aug_n_real").set_value(7).run()
    at.slider(key="w:applications.aug_k").set_value(10).run()
    assert_clean(at)
    stale = text.lookup("en", "applications.aug.stale", source=text.lookup("en", "applications.aug.source.gan"), n=10, k=20)
    assert stale in _boxes(at)  # the shipped numbers stay, labelled with their own settings
    at.button(key="apps_aug_run").click().run()
    assert_clean(at)
    assert stale not in _boxes(at)
    assert at.metric[1].label == text.lookup("en", "applications.aug.with_generated", k=10)
    assert read_number(at.metric[0].value, "en") not in (85.2, 87.1)
    verdicts = [text.lookup("en", f"applications.aug.verdict.{v}").split("**")[1] for v in ("helps", "hurts", "unclear")]
    assert sum(any(v in b for b in _boxes(at)) for v in verdicts) == 1
