"""AppTest of the classroom exports: a model file loaded back, refused files, the tab in the link, unknown link
settings, and the pages' data-and-samples CSV."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.core import modelfile
from tests.apptest_utils import ENTRY, TIMEOUT, assert_clean, capture_csv, open_page
from ui import text


def _linked(script: str, lang: str, **params: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(script)
    return at.run()


def test_gan_model_file_loads_back_with_its_settings_and_foreign_files_are_refused():
    at = open_page("pages/04_gan.py", "pt")
    run = at.session_state["gan.live"]
    saved = run.trainer
    raw = modelfile.dumps(saved, page="gan", fingerprint=run.fingerprint, view={})
    want = saved.sample(50, seed=11)

    at.session_state["w:seed"] = 3  # other settings: another trainer
    at.run()
    other = at.session_state["gan.live"].trainer
    assert other is not saved and not np.allclose(other.sample(50, seed=11), want)

    at.file_uploader(key="gan_model_upload").upload("modelo.npz", raw, "application/octet-stream").run()
    assert_clean(at)
    assert at.session_state["w:seed"] == 0  # the file put its settings back
    loaded = at.session_state["gan.live"].trainer
    assert loaded is not saved and loaded.step_ == saved.step_
    np.testing.assert_allclose(loaded.sample(50, seed=11), want, rtol=1e-6)  # the same samples for the same seed
    assert any("modelo" in s.value and str(saved.step_) in s.value for s in at.success)

    cat = text.catalogue("pt")
    other_page = modelfile.dumps(saved, page="diffusion", fingerprint=run.fingerprint, view={})
    for name, data, code in (("cortado.npz", raw[: len(raw) // 2], "damaged"), ("notas.npz", b"x,y\n1,2\n", "not_ours"),
                             ("outra.npz", other_page, "other_page")):
        at.file_uploader(key="gan_model_upload").upload(name, data, "application/octet-stream").run()
        assert at.session_state["gan.live"].trainer is loaded  # the previous model is kept
        message = cat[f"live.model_errors.{code}"].split("(")[0].split("{")[0].strip()
        assert [e.value for e in at.error if e.value.startswith(message)], (code, [e.value for e in at.error])
        assert not at.exception


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_selected_tab_travels_in_the_link(lang):
    cat = text.catalogue(lang)
    at = _linked("pages/08_evaluation.py", lang, tab="human")
    assert_clean(at)
    assert at.session_state["evaluation_tab"] == cat["evaluation.tab.human"]
    assert at.query_params["tab"] == "human"
    at.session_state["evaluation_tab"] = cat["evaluation.tab.plane"]  # the reader opens the first tab: the link drops it
    at.run()
    assert "tab" not in at.query_params and at.session_state["w:evaluation.tab"] == "plane"

    bad = _linked("pages/08_evaluation.py", lang, tab="nowhere")
    assert_clean(bad)
    assert bad.session_state["evaluation_tab"] == cat["evaluation.tab.plane"]
    assert [w for w in bad.warning if cat["share.tab"] in w.value and "nowhere" in w.value]


def test_unknown_link_settings_get_a_message_and_leave_the_address():
    at = _linked("pages/01_discriminative_vs_generative.py", "pt", foo="1", **{"w:gan.nonexistent": "3", "n_samples": "80"})
    assert_clean(at)
    notes = [w.value for w in at.warning]
    assert [n for n in notes if "foo" in n] and [n for n in notes if "nonexistent" in n], notes
    assert "foo" not in at.query_params and "w:gan.nonexistent" not in at.query_params
    assert at.query_params["n_samples"] == "80"  # a known setting stays
    assert at.session_state["w:discriminative_vs_generative.n_samples"] == 80


def test_pages_write_their_data_and_samples_as_csv(monkeypatch):
    written = capture_csv(monkeypatch)
    at = open_page("pages/02_mixtures_and_hmm.py", "en")
    assert_clean(at)
    assert "mixtures_and_hmm_csv" in {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}
    rows = written["mixtures_and_hmm"].splitlines()
    assert rows[0] == "source,x1,x2"
    sources = [r.split(",")[0] for r in rows[1:]]
    # the figure's points: the training three quarters of the 600 blobs, and the 300 new points (the slider's default)
    # by the component that drew them
    assert sources.count("training data") == 450 and len(rows) == 1 + 450 + 300
    assert {s for s in sources if s != "training data"} == {f"new point from component {k}" for k in (1, 2, 3)}
