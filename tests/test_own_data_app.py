"""The user's own points under AppTest, on every page that offers them: points a page cannot use are
refused *before* they are stored, with a message saying what the page needs, drawn above the (possibly
folded) "Your own points" panel, and the previous points stay."""

import numpy as np
import pytest

from engine.data import points
from tests.apptest_utils import open_page
from ui import text

# page key -> (script, a CSV this page must refuse, the message it must show)
REFUSED = {
    "discriminative_vs_generative": (  # 3 points in 2 classes: class b has 1 point, the page needs 4 per class
        "pages/01_discriminative_vs_generative.py", b"x,y,label\n0,0,a\n1,1,b\n2,0,a\n",
        ("class_too_small", dict(name="b", n=1, min=4))),
    "mixtures_and_hmm": (  # 12 points: fewer than 10 training points for the slider's K = 10
        "pages/02_mixtures_and_hmm.py", b"".join(b"%d,%d\n" % (i, i * i % 7) for i in range(12)),
        ("too_few_points", dict(n=12, min=13))),
    "gan": (
        "pages/04_gan.py", b"".join(b"%d,%d\n" % (i, i * i) for i in range(7)), ("too_few_points", dict(n=7, min=8))),
    "diffusion": (  # twelve points on one line: no 2D shape for a diffusion model to learn
        "pages/05_diffusion.py", b"".join(b"%d,%d\n" % (i, 2 * i) for i in range(12)), ("degenerate_data", {})),
    "energy_based": (  # 12 points: fewer than 10 training points once a fifth is held out
        "pages/07_energy_based.py", b"".join(b"%d,%d\n" % (i, i * i % 5) for i in range(12)), ("too_few_points", dict(n=12, min=13))),
    "evaluation": (  # 10 points: the page splits its points into two halves of at least 7 for k = 5
        "pages/08_evaluation.py", b"".join(b"%d,%d\n" % (i, i * i % 5) for i in range(10)), ("too_few_points", dict(n=10, min=14))),
}


# pages whose data picker sits in a part other than the first one
OPEN_PART = {"energy_based": {"w:energy_based.section": "training"}}


def own_page(page: str, lang: str, mine: points.Dataset):
    at = open_page(REFUSED[page][0], lang, run=False)
    at.session_state["user_data"] = mine
    for key, value in OPEN_PART.get(page, {}).items():
        at.session_state[key] = value
    at.run()
    at.selectbox(key=f"w:{page}.dataset").set_value("own").run()  # (the GAN page's preset picks its own data first)
    return at


def own_counts(at, lang: str) -> list[str]:
    """The picker's two metrics: how many own points, in how many classes."""
    labels = (text.lookup(lang, "data.own_points"), text.lookup(lang, "data.own_classes"))
    return [next(m.value for m in at.metric if m.label == label) for label in labels]


def message(page: str, lang: str, code: str, params: dict) -> str:
    key = f"{page}.errors.{code}"
    return text.lookup(lang, key if key in text.catalogue(lang) else f"errors.{code}", **params)


@pytest.mark.parametrize("page, lang", [("discriminative_vs_generative", "pt"), ("mixtures_and_hmm", "en"),
                                        ("gan", "pt"), ("diffusion", "en"), ("evaluation", "pt"), ("energy_based", "pt")])
def test_a_refused_upload_keeps_the_previous_points_and_says_what_is_needed(page, lang):
    mine = points.make_dataset("blobs", 60, seed=1)
    at = own_page(page, lang, mine)
    assert not at.exception
    assert own_counts(at, lang) == ["60", "3"]
    _, csv, (code, params) = REFUSED[page]
    at.file_uploader(key=f"upload_{page}").set_value(("refused.csv", csv, "text/csv")).run()
    assert not at.exception
    assert message(page, lang, code, params) in [e.value for e in at.error]
    assert text.lookup(lang, "data.kept_previous") in [c.value for c in at.caption]
    assert at.session_state["user_data"] is mine
    assert own_counts(at, lang) == ["60", "3"]


def test_page_one_refuses_huge_coordinates_before_storing_them():
    """1e300 used to give "Loaded 300 points", then sklearn's "Input X contains NaN", and the old data was gone."""
    mine = points.make_dataset("moons", 80, seed=2)
    at = own_page("discriminative_vs_generative", "en", mine)
    rows = b"".join(b"%d,%d,%s\n" % (i, i % 3, b"ab"[i % 2:i % 2 + 1]) for i in range(299)) + b"1e300,1,a\n"
    at.file_uploader(key="upload_discriminative_vs_generative").set_value(("huge.csv", rows, "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [text.lookup("en", "errors.coordinate_too_large", line=300, value="1e300",
                                                       max=points.MAX_ABS)]
    assert at.session_state["user_data"] is mine


def test_points_stored_elsewhere_that_page_one_cannot_use_get_its_needs_and_the_right_class_count():
    """2 points in 2 classes, stored on another page: the metric says 2 classes, and so does the message
    (it used to say "needs at least 2 classes, but the data has one")."""
    two = points.Dataset(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1]), "two", ("a", "b"))
    at = own_page("discriminative_vs_generative", "en", two)
    assert not at.exception
    assert own_counts(at, "en") == ["2", "2"]
    assert [e.value for e in at.error] == [text.lookup("en", "errors.class_too_small", name="a", n=1, min=4)]
    assert "There is only 1 point" not in at.error[0].value and "has only 1 point;" in at.error[0].value


def test_a_good_upload_replaces_the_points_and_clears_an_older_message():
    mine = points.make_dataset("blobs", 60, seed=1)
    at = own_page("mixtures_and_hmm", "pt", mine)
    uploader = at.file_uploader(key="upload_mixtures_and_hmm")
    uploader.set_value(("bad.csv", b"1,2\nfoo,3\n", "text/csv")).run()
    assert [e.value for e in at.error] == [text.lookup("pt", "errors.not_numeric", line=2, value="foo")]
    good = "x;y;rótulo\n" + "".join(f"{i % 7 / 3:.2f};{i % 5 / 2:.2f};{'ab'[i % 2]}\n".replace(".", ",") for i in range(40))
    at.file_uploader(key="upload_mixtures_and_hmm").set_value(("planilha.csv", good.encode("utf-8-sig"), "text/csv")).run()
    assert not at.exception and not at.error
    assert len(at.session_state["user_data"]) == 40 and at.session_state["user_data"].class_names == ("a", "b")
    assert own_counts(at, "pt") == ["40", "2"]


def test_a_file_above_the_limit_is_refused_by_its_size_before_it_is_read(monkeypatch):
    def never(self):  # noqa: ARG001
        raise AssertionError("an oversized file must be refused from UploadedFile.size, unread")

    at = own_page("mixtures_and_hmm", "pt", points.make_dataset("blobs", 60, seed=1))
    big = b"1,2\n" * (points.MAX_CSV_BYTES // 4 + 1)
    from streamlit.runtime.uploaded_file_manager import UploadedFile

    monkeypatch.setattr(UploadedFile, "getvalue", never)
    at.file_uploader(key="upload_mixtures_and_hmm").set_value(("grande.csv", big, "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [text.lookup("pt", "errors.file_refused_size", name=text.literal("grande.csv"),
                                                       size_kb=len(big) // 1000 + 1, max_kb=2000)]
    assert "2.000 kB" in at.error[0].value


def test_the_mixture_pages_minimum_fits_every_k_its_slider_offers():
    from engine.families import mixture

    X = np.random.default_rng(0).normal(size=(13, 2))
    for k in range(1, mixture.MAX_COMPONENTS + 1):
        assert np.isfinite(mixture.fit_view(X, k, "full", "kmeans", 0, 0).test_log_px)
    with pytest.raises(Exception):
        mixture.fit_view(X[:12], mixture.MAX_COMPONENTS, "full", "kmeans", 0, 0)
