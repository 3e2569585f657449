"""StyleGAN's ideas in miniature (issue 18): the mapping network, style mixing, and what the page says it measured."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.core.torch_setup import torch
from engine.families import gan
from tests.apptest_utils import assert_clean
from ui import text

S = gan.style
SCRIPT = "apps/gan_style_app.py"  # relative to this file: the section alone


@pytest.fixture(scope="module")
def shipped():
    return S.pretrained()


def test_mixing_takes_the_coarse_layers_from_one_code_and_the_fine_from_the_other(shipped):
    model, _ = shipped
    z1, z2 = model.noise(3, 0), model.noise(3, 1)
    with torch.no_grad():
        same = model.generate(z1)
        assert torch.equal(model.generate(z1, z1), same)  # one code: no mixing
        mixed = model.generate(z1, z2)
        w1, w2 = model.w(z1), model.w(z2)
        assert not torch.allclose(mixed, same) and not torch.allclose(mixed, model.generate(z2))
        assert model.synthesis(w1, w2).shape == (3, 1, 8, 8) and torch.equal(model.synthesis(w1, w2), mixed)
    grid = model.grid(z1, z2)
    assert grid.shape == (3, 3, 64) and np.allclose(grid[1, 2], model.mix(z1[1:2], z2[2:3])[0], atol=1e-3)


def test_the_page_numbers_are_the_shipped_models_and_say_mixing_is_not_honest_at_8x8(shipped):
    model, metrics = shipped
    m = S.mixing(model)
    assert m.pairs == metrics["pairs"] and m.follows_coarse == pytest.approx(metrics["follows_coarse"], abs=1e-4)
    assert m.follows_fine == pytest.approx(metrics["follows_fine"], abs=1e-4)
    # what the text claims: the coarse code carries some of the class (well above chance), the fine code about chance,
    # most mixed images are a third digit, and the fine code alone moves the image nearly as far as another sample
    assert m.follows_coarse > 2 * m.chance and m.follows_coarse > m.follows_fine + 0.05
    assert abs(m.follows_fine - m.chance) < 0.05
    assert m.neither > 0.5
    assert m.changed_by_fine > 0.75 * m.between_sources
    assert m.source_classes < 10  # "its samples do not cover every digit"


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_the_section_draws_the_grid_numbers_and_diagram_and_new_codes_redraw(lang):
    at = AppTest.from_file(SCRIPT, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert_clean(at)
    assert len(at.get("image")) == 1 and len(at.get("graphviz_chart")) == 1
    labels = {text.lookup(lang, f"gan.style.{k}") for k in ("follows_coarse", "follows_fine", "neither")}
    assert {m.label for m in at.metric} == labels
    before = str(at.get("image")[0].proto)
    at.button(key="gan_style_new").click().run()
    assert_clean(at)
    assert at.session_state["gan.style_seed"] == 1
    assert str(at.get("image")[0].proto) != before  # other codes: another grid
