"""One convention for digit images on every page: dark ink on white paper (ui/digit_images.py).

The check reads what a page really sends to the browser: every grey heat map in its plotly charts
(the VAE and diffusion pages) and every grey picture given to st.image (the GAN page). The paper
(pixel value 0) must come out white and full ink dark, so white-on-black digits cannot come back.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from plotly.colors import get_colorscale, hex_to_rgb, unlabel_rgb
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from tests.apptest_utils import assert_clean, open_page
from ui import digit_images, text


def _rgb(colour: str) -> np.ndarray:
    return np.array(hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour), float)


def colour_at(trace: dict, value: float) -> np.ndarray:
    """The RGB a heat-map trace gives ``value`` (linear interpolation in its colour scale)."""
    scale = [(float(p), _rgb(c)) for p, c in trace["colorscale"]]
    if trace.get("reversescale"):
        scale = [(1 - p, c) for p, c in reversed(scale)]
    f = float(np.clip((value - trace["zmin"]) / (trace["zmax"] - trace["zmin"]), 0, 1))
    for (p0, c0), (p1, c1) in zip(scale, scale[1:]):
        if p0 <= f <= p1:
            return c0 + (c1 - c0) * ((f - p0) / (p1 - p0) if p1 > p0 else 0)
    return scale[-1][1]


def is_packed(trace: dict) -> bool:
    """A ``digit_images.packed_heatmap``: paper to ink, then the gaps' tint above the ink (zmax = ink + 1)."""
    scale = trace["colorscale"]
    return len(scale) == 4 and scale[0][1] == digit_images.PAPER and scale[1][1] == digit_images.INK and scale[-1][1] == digit_images.GAP


def grey_heatmaps(at) -> list[dict]:
    """Heat-map traces with a grey colour scale (images) or the packed one (grey ink, tinted gaps), in every chart
    and every animation frame (a frame's traces carry only their data: the scale is the chart's own trace's)."""
    found = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        traces = spec.get("data", []) + [t for f in spec.get("frames", []) for t in f.get("data", [])]
        for tr in traces:
            if tr.get("type") != "heatmap" or "colorscale" not in tr:
                continue
            if isinstance(tr["colorscale"], list) and is_packed(tr):
                found.append(tr)
                continue
            if isinstance(tr["colorscale"], str):  # a named scale such as "gray"
                tr = tr | {"colorscale": get_colorscale(tr["colorscale"])}
            if all(np.ptp(_rgb(c)) <= 4 for _, c in tr["colorscale"]):  # grey, give or take a unit (plotly's "gray")
                found.append(tr)
    return found


@pytest.fixture
def shown_pictures(monkeypatch):
    """The bytes of every file the page hands to the browser, by file id (st.image goes through here)."""
    store: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        store[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return store


def grey_pictures(at, store: dict[str, bytes]) -> list[np.ndarray]:
    pictures = []
    for element in at.get("image"):
        for url in element.value:
            data = store[url.rsplit("/", 1)[-1].split(".")[0]]
            img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), float)
            if np.abs(img - img.mean(axis=2, keepdims=True)).max() < 8:  # grey (JPEG adds a little colour noise)
                pictures.append(img[..., 0])
    return pictures


def assert_ink_on_paper(at, store: dict[str, bytes], at_least: int) -> None:
    assert_clean(at)
    heatmaps, pictures = grey_heatmaps(at), grey_pictures(at, store)
    for tr in heatmaps:
        packed = is_packed(tr)  # a byte per pixel: full ink one below zmax, the gaps at zmax
        paper, ink = colour_at(tr, 0.0), colour_at(tr, tr["zmax"] - 1 if packed else tr["zmax"])
        assert paper.min() >= 240 and ink.max() <= 40, (paper, ink)
        assert packed or tr["colorscale"] == digit_images.SCALE, tr["colorscale"]  # drawn by the shared helpers
    for img in pictures:
        assert img[0, 0] >= 240, img[0, 0]  # the corner is paper
        assert np.median(img) >= 200 and img.min() <= 60  # mostly paper, with dark ink on it
    assert len(heatmaps) + len(pictures) >= at_least, (len(heatmaps), len(pictures))  # the images were found


def test_shared_helper_puts_dark_ink_on_white_paper():
    pic = digit_images.picture(np.r_[np.zeros(64), np.full(64, 16.0)], n_cols=2, zoom=2, gap=1)
    assert pic[0, 0] == 255 and pic[1, 1] == 255  # the border and an empty digit are paper
    assert pic[1, -2] == int(digit_images.INK[1:3], 16)  # a full-ink digit has the heat map's ink colour
    assert (digit_images.shade(np.array([0.0, 8.0, 16.0, 30.0])) == [255, 136, 17, 17]).all()


def test_vae_page_digits(shown_pictures):
    at = open_page("pages/03_vae.py", "en")
    assert_ink_on_paper(at, shown_pictures, 1)  # the decoded picked point
    at.session_state["vae_tab"] = text.catalogue("en")["vae.tab.sample"]
    at.run()
    assert_ink_on_paper(at, shown_pictures, 2)  # samples and real digits


def test_gan_page_digits(shown_pictures):
    at = open_page("pages/04_gan.py", "en")
    assert_ink_on_paper(at, shown_pictures, 2)  # the epochs' grids (a frame each) and the conditional samples


def test_diffusion_page_digits(shown_pictures):
    at = open_page("pages/05_diffusion.py", "en")
    at.segmented_control(key="w:diffusion.source").set_value("digits").run()
    assert_ink_on_paper(at, shown_pictures, 3)  # x_t now, the strip over t, the two roads to x_t
    at.segmented_control(key="w:diffusion.section").set_value("digits").run()
    assert_ink_on_paper(at, shown_pictures, 2)  # the reverse filmstrip and the sample grid
    at.segmented_control(key="w:diffusion.section").set_value("latent").run()
    assert_ink_on_paper(at, shown_pictures, 2)  # latent diffusion and the prior alone, decoded
