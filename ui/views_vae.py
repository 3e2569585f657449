"""Cached engine calls and figures of the VAE page (pages/03_vae.py).

Models are shared read-only (inference only); results are cached per setting. Figures that depend on the
settings alone are built once and shared by every session: each key includes the language, so they carry
that language's labels, and the page only places them.
"""

import logging
import threading

import numpy as np
import streamlit as st

from engine.data import digits
from engine.families import vae
from ui import charts, plots_vae
from ui.shell import PageContext

PAGE = "vae"
LOG = logging.getLogger("generative_playground")


def _ctx(lang: str) -> PageContext:
    """The page's texts in ``lang`` (the figures are cached per language, outside any one session)."""
    return PageContext(PAGE, lang, 0)


def axis_names(latent: int, lang: str) -> tuple[str, str]:
    """The plane's axes: z₁, z₂ in 2D, the first two principal components above."""
    ctx = _ctx(lang)
    return ("z₁", "z₂") if latent == 2 else (ctx.t("pc", i=1), ctx.t("pc", i=2))


# ---------------------------------------------------------------- cached engine calls

@st.cache_resource(max_entries=16, show_spinner=False)
def model(latent: int, beta: float, arch: str) -> vae.VAE:
    return vae.pretrained(latent, beta, arch)  # read-only, shared: inference only


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def plane(latent: int, beta: float, arch: str) -> vae.LatentPlane:
    """μ of every test digit, and a 2D view of it (itself, or its PCA projection)."""
    return vae.latent_plane(model(latent, beta, arch).encode_mean(digits.load("test")[0]))


def plane_to_latent(P: np.ndarray, latent: int, beta: float, arch: str) -> np.ndarray:
    """A point of the shown plane back to z: itself in 2D, mean + p·(first two PCs) above."""
    return plane(latent, beta, arch).to_latent(P)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def test_bounds(latent: int, beta: float, arch: str, k: int):
    m = model(latent, beta, arch)
    X, y = digits.load("test")
    ev = m.evaluate(X, n_samples=8, seed=0)
    return ev, m.iwae(X, k=k, seed=0)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def usage(latent: int, beta: float, arch: str) -> vae.LatentUsage:
    """KL per latent dimension, active dimensions and rate = information + marginal KL, on the test digits."""
    return model(latent, beta, arch).latent_usage(digits.load("test")[0])


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def manifold(latent: int, beta: float, arch: str, n: int, lim: float) -> np.ndarray:
    return model(latent, beta, arch).decode_mean(plane_to_latent(vae.grid(lim, n), latent, beta, arch))


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def layer_shapes(config: vae.VAEConfig):
    return vae.shapes(config)


@st.cache_resource(max_entries=1, show_spinner=False)
def vq_model() -> vae.vq.VQVAE:
    return vae.vq.pretrained()


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def vq_view():
    """The VQ-VAE on the test digits: codes, codebook usage, reconstructions, their −log p(x | z_q), the classifier's reading."""
    m = vq_model()
    X, y = digits.load("test")
    codes = m.codes(X)
    R = m.reconstruct(X)
    return codes, m.usage(X), R, m.recon_nll(X), digits.classify(R)


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def baseline() -> float:
    return vae.independent_pixel_baseline(digits.load("train")[0], digits.load("test")[0])


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def reconstructions(latent: int, beta: float, arch: str):
    m = model(latent, beta, arch)
    X, y = digits.load("test")
    R = m.reconstruct(X)
    return R, m.per_image_recon_error(X), digits.classify(R)


def info_ceiling() -> float:
    """ln N: the most a code can say about which of the N test digits it came from, I_q(x; z) ≤ ln N."""
    return float(np.log(len(digits.load("test")[0])))


def final_evaluation(m: vae.VAE):
    """A freshly trained model on the test digits: its evaluation and the share of reconstructions read as the right digit."""
    X, y = digits.load("test")
    return m.evaluate(X, n_samples=8, seed=0), float((digits.classify(m.reconstruct(X)) == y).mean())


# ---------------------------------------------------------------- figures, shared by every session
# cache_data would pickle them, and unpickling a plotly figure re-validates every property.
FIGURES = dict(max_entries=12, ttl=3600, show_spinner=False)


@charts.shared_figures(**FIGURES)
def manifold_figure(latent: int, beta: float, arch: str, n: int, lim: float, lang: str):
    """The decoded grid, serialised once per setting (a grid-size move sent a cached figure through to_dict again)."""
    return plots_vae.manifold_figure(manifold(latent, beta, arch, n, lim), n, lim, axis_names(latent, lang))


@charts.shared_figures(**FIGURES)
def latent_figure(latent: int, beta: float, arch: str, lim: float, lang: str):
    """The latent plane's test digits over ±``lim``, without the picked point (each session's own, drawn on top with
    ``charts.overlay``): the tab's figure on every page run, the same for everyone at one model."""
    X_test, y_test = digits.load("test")
    ctx = _ctx(lang)
    return plots_vae.latent_scatter(plane(latent, beta, arch).shown, y_test, X_test, axis_names(latent, lang), ctx.t("digit_legend"),
                                    lim, None, ctx.t("picked"))


@charts.shared_figures(**FIGURES)
def kl_dims_figure(latent: int, beta: float, arch: str, lang: str):
    ctx, use = _ctx(lang), usage(latent, beta, arch)
    return plots_vae.kl_per_dim_figure(use.kl_per_dim, use.threshold, ctx.t("dimension"), ctx.t("kl_dim_axis"), ctx.t("nats"),
                                       (ctx.t("active"), ctx.t("inactive")), ctx.t("threshold_label", thr=use.threshold))


@charts.shared_figures(**FIGURES)
def curves_figure(latent: int, beta: float, arch: str, lang: str):
    """The shipped model's training curves: reconstruction, KL, and β·KL when β ≠ 1."""
    ctx, cv = _ctx(lang), model(latent, beta, arch).curves
    return plots_vae.loss_curves(cv["curve_step"], cv["curve_recon"], cv["curve_kl"], (ctx.t("recon_name"), ctx.t("kl_name")),
                                 ctx.t("step"), ctx.t("nats"), beta if beta != 1 else None, ctx.t("beta_kl_name", beta=ctx.num(beta, "g")))


@charts.shared_figures(max_entries=32, ttl=3600)
def digits_grid(images_digest: str, n_cols: int, captions: tuple | None, height: int | None, lang: str, _images: np.ndarray):
    """``plots_vae.digits_figure`` of ``_images`` (named by ``charts.digest`` of them), serialised once: a picked point
    or a walk between two test digits is the same figure for every student who picks them (the latent tab drew the
    picked digit again on every run of the page's model section)."""
    return plots_vae.digits_figure(_images, n_cols, list(captions) if captions is not None else None, height=height)


@charts.shared_figures(max_entries=16, ttl=3600)
def walk_animation(frames_digest: str, step_labels: tuple, lang: str, _frames: np.ndarray):
    """``plots_vae.walk_animation`` of the decoded path ``_frames`` (named by ``charts.digest`` of them), serialised once."""
    ctx = _ctx(lang)
    return plots_vae.walk_animation(_frames, "t", ctx.t("play"), ctx.t("pause"), list(step_labels))


def digits_figure(images: np.ndarray, n_cols: int, captions: list[str] | None = None, height: int | None = None,
                  lang: str = "en"):
    """:func:`digits_grid` by the images' contents."""
    images = np.asarray(images)
    return digits_grid(charts.digest(images), n_cols, tuple(captions) if captions is not None else None, height, lang, images)


@charts.shared_figures(max_entries=2, ttl=3600)
def vq_usage_figure(lang: str):
    ctx = _ctx(lang)
    return plots_vae.code_usage(vq_view()[0], vq_model().config.codebook, ctx.t("vq_code"), ctx.t("vq_count"), ctx.t("vq_slot_n"))


# ---------------------------------------------------------------- the other β, ready before a move

_warmed: set[tuple] = set()
_warm_lock = threading.Lock()


def plane_limit(view: vae.LatentPlane, picked=(0.0, 0.0)) -> float:
    """The latent plane's half-width: every test code and the picked point, however far it was typed."""
    return max(3.5, float(np.abs(view.shown).max()) * 1.05, max(abs(picked[0]), abs(picked[1])) * 1.1)


def warm_betas(latent: int, arch: str, k: int, lang: str) -> threading.Thread | None:
    """Once per process and setting: the views of every shipped β of this architecture and latent size (the scores on
    the whole test set, the reconstructions, the plane and its figures, shared by every session), computed in a
    background thread after this run, so that a move of β finds them ready (a first view of a model was ~0.35 s of CPU
    here, most of a β move). It gives way to running scripts as ``ui.prewarm`` does, and is off with ``GP_PREWARM=0``.
    Returns the thread it started (None: done before, or off)."""
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    from ui import prewarm

    present = charts.presenting()
    key = (latent, arch, k, lang, present)
    with _warm_lock:
        if not prewarm.enabled() or key in _warmed:
            return None
        _warmed.add(key)
    betas = sorted(b for d, b, a in vae.available() if d == latent and a == arch)

    def work() -> None:
        for b in betas:
            prewarm.give_way()  # after this run, and between other sessions' runs
            try:
                test_bounds(latent, b, arch, k)
                reconstructions(latent, b, arch)
                usage(latent, b, arch)
                latent_figure(latent, b, arch, plane_limit(plane(latent, b, arch)), lang)
                kl_dims_figure(latent, b, arch, lang)
            except Exception:  # the page computes it when asked, and says what went wrong then
                LOG.warning("vae: warming beta %s failed", b, exc_info=True)

    thread = threading.Thread(target=work, name="gp-vae-betas", daemon=True)
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None:  # the session's presenter mode and caches, as its run sees them
        add_script_run_ctx(thread, ctx)
    thread.start()
    return thread
