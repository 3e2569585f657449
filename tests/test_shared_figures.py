"""ui.charts.shared_figures: a figure cached for every student is the figure an uncached build gives (the same JSON,
as ``PageContext.chart`` would send it) in English, in Portuguese and in presenter mode, and another setting or
language gives another figure (a stale cache would show one student's view to another)."""

import json

import numpy as np
import plotly.io as pio
import pytest

from engine.data import points
from engine.families import diffusion as D
from ui import applications_sections as apps
from ui import charts, gan_variants, presenter, views_diffusion, views_gan, views_mixtures_and_hmm, views_vae
from ui import plots_vae


def sent(fig) -> str:
    """What st.plotly_chart sends for ``fig``."""
    return pio.to_json(fig.to_dict(), validate=False)


def sans_margins(fig) -> dict:
    """``fig`` as sent, without its margins and its legend's height (``charts.fit_margins`` sets them)."""
    spec = json.loads(sent(fig))
    spec["layout"].pop("margin", None)
    spec["layout"].get("legend", {}).pop("y", None)
    return spec


def uncached(build, args: tuple, lang: str, present: bool) -> str:
    """``build`` without the cache, as ``PageContext.chart`` draws it: the reader's separators, restyled when presenting,
    its margins fitted (``charts.fit_margins``, full width when presenting)."""
    fig = build.__wrapped__(*args)
    fig = fig[1] if isinstance(fig, tuple) else fig
    fig.update_layout(separators=",." if lang == "pt" else ".,")
    if not present:
        return sent(charts.fit_margins(fig))  # PageContext.chart's fixed margins
    spec = charts.fit_margins(presenter.style(fig), charts.WIDE_WIDTH).to_dict()
    if getattr(fig, "_raw_frames", None):  # (a FramedFigure's restyled copy used to drop its frames: the replay then had none)
        spec["frames"] = fig._raw_frames
    return pio.to_json(spec, validate=False)


def cached(build, args: tuple, present: bool, monkeypatch):
    monkeypatch.setattr(charts, "presenting", lambda: present)
    out = build(*args)
    return out[1] if isinstance(out, tuple) else out


RING = points.make_dataset("ring8", seed=0).X
SWISS = points.make_dataset("swiss_roll", seed=0).X
# (builder, its arguments at one setting with the language last, the same at another setting)
CASES = {
    "vae_latent": (views_vae.latent_figure, (2, 1.0, "mlp", 3.5), (8, 1.0, "mlp", 3.5)),
    "vae_kl_dims": (views_vae.kl_dims_figure, (2, 1.0, "mlp"), (8, 1.0, "mlp")),
    "mixture_replay": (views_mixtures_and_hmm.replay_figure, (RING, 3, "full", "kmeans", 0, 0), (RING, 4, "full", "kmeans", 0, 0)),
    "apps_seeds": (apps.shipped_seeds_figure, (("gan", 10, 20),), (("diffusion", 10, 20),)),
    "apps_sweep": (apps.shipped_sweep_figure, (), None),  # the shipped sweep: one per language and mode
    "apps_rates": (apps.shipped_rates_figure, (), None),
    "diffusion_forward": (views_diffusion.forward_figure, ("points", D.ScheduleConfig(), SWISS, 0, 10),
                          ("points", D.ScheduleConfig(schedule="cosine"), SWISS, 0, 10)),
    "diffusion_roads": (views_diffusion.roads_figure, (SWISS, D.ScheduleConfig(), 10, 0), (SWISS, D.ScheduleConfig(), 20, 0)),
    "gan_truncation": (gan_variants.truncation_figure, (0, 2), (1, 2)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_shared_figure_is_the_uncached_figure_in_each_language_and_mode(name, monkeypatch):
    build, args, other = CASES[name]
    seen = {}
    for lang in ("en", "pt"):
        for present in (False, True):
            fig = cached(build, (*args, lang), present, monkeypatch)
            assert isinstance(fig, charts.Frozen) and fig.present is present  # PageContext.chart draws it untouched
            assert sent(fig) == uncached(build, (*args, lang), lang, present), (lang, present)
            assert cached(build, (*args, lang), present, monkeypatch) is fig  # built once
            seen[lang, present] = sent(fig)
    assert len(set(seen.values())) == 4  # each language and mode its own figure
    if other is not None:
        assert sent(cached(build, (*other, "en"), False, monkeypatch)) != seen["en", False]  # another setting, another figure


@pytest.mark.parametrize("present", [False, True])
def test_the_latent_plane_with_a_picked_point_on_top_is_the_whole_figure(present, monkeypatch):
    X_test, y_test = views_vae.digits.load("test")
    picked = np.array([1.25, -0.5])
    for lang in ("en", "pt"):
        ctx = views_vae._ctx(lang)
        whole = plots_vae.latent_scatter(views_vae.plane(2, 1.0, "mlp").shown, y_test, X_test, views_vae.axis_names(2, lang),
                                         ctx.t("digit_legend"), 3.5, picked, ctx.t("picked"))
        whole.update_layout(separators=",." if lang == "pt" else ".,")
        base = cached(views_vae.latent_figure, (2, 1.0, "mlp", 3.5, lang), present, monkeypatch)
        fig = charts.overlay(base, [plots_vae.picked_trace(picked, ctx.t("picked"))])
        # the margins aside (the overlay's are the base's, grown for its own traces), it is the whole figure
        assert sans_margins(fig) == sans_margins(presenter.style(whole) if present else whole)
        assert fig.present is present and len(base.to_dict()["data"]) == len(fig.to_dict()["data"]) - 1  # the base is untouched


def test_the_gan_live_figures_at_the_shipped_start_are_shared_by_their_inputs(monkeypatch):
    from engine.families import gan

    ds = points.make_dataset("ring8", seed=0)
    cfg = gan.GanConfig()
    a, b = (views_gan.build_trainer(ds, cfg, 0, pretrained=True) for _ in range(2))  # two students' fresh trainers
    h = a.history_
    probability, ring = cfg.loss in gan.PROBABILITY_LOSSES, a.ring_centres is not None
    monkeypatch.setattr(charts, "presenting", lambda: False)
    fig = views_gan.shared_curves(charts.digest(h), "sw", probability, ring, "pt", h)
    assert views_gan.shared_curves(charts.digest(b.history_), "sw", probability, ring, "pt", b.history_) is fig
    whole = views_gan.training_curves("pt", h, "sw", probability, ring)
    whole.update_layout(separators=",.")
    assert sent(fig) == sent(charts.fit_margins(whole))  # with the margins PageContext.chart would give it
    view = a.view()
    plane = views_gan.shared_plane(charts.digest(view, a.X, a.box), ("real", "fake"), "en", view, a.X, a.box)
    assert views_gan.shared_plane(charts.digest(b.view(), b.X, b.box), ("real", "fake"), "en", b.view(), b.X, b.box) is plane
    n = len(a.history_.step)
    while len(a.history_.step) == n:  # trained on until its history has a new row: new inputs, a new digest
        a.train_players(5)
    assert charts.digest(a.history_) != charts.digest(b.history_)
    assert charts.digest(a.view(), a.X, a.box) != charts.digest(b.view(), b.X, b.box)


def _layouts(at) -> dict[str, dict]:
    """Each drawn figure's layout as sent, by the chart's key."""
    import json

    return {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec)["layout"] for el in at.get("plotly_chart")}


@pytest.mark.parametrize("script, keys", [("pages/03_vae.py", ("latent_fig", "kl_dims_fig")), ("pages/04_gan.py", ("gan_plane", "gan_curves"))])
def test_presenter_mode_switched_on_and_off_in_one_session_draws_each_mode_s_figure(script, keys):
    from tests.apptest_utils import assert_clean, open_page
    from ui import share

    at = open_page(script, "pt")
    for present in (False, True, False):  # a shared figure of the other mode must never stay on screen
        at.session_state[share.PRESENT] = present
        at.run()
        assert_clean(at)
        layouts = _layouts(at)
        for key in keys:
            assert layouts[key]["separators"] == ",."
            assert (layouts[key]["font"]["size"] == presenter.FONT) is present, key


def test_a_digest_tells_apart_what_a_figure_would_show_differently():
    d = charts.digest
    assert d([1.0, float("nan")], np.zeros(3, np.float32)) == d([1.0, float("nan")], np.zeros(3, np.float32))
    assert d([1, 2]) != d([1.0, 2.0])  # plotly writes 1 and 1.0 differently
    assert d(np.zeros(3, np.float32)) != d(np.zeros(3)) != d(np.zeros((3, 1)))
    assert d([10**30]) != d([10**30 + 1]) and d(("a", [True])) != d(("a", [1]))
