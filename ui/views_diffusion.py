"""Cached engine calls and figures of the diffusion page (pages/05_diffusion.py).

The cached calls are bounded and keyed by their inputs; models are shared read-only (``cache_resource``),
results are copied per session (``cache_data``). Figure builders take the language and read their
labels through ``PageContext(PAGE, lang, 0)``, so the page only places what they return.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st

from engine.core.errors import InputError
from engine.data import digits, points
from engine.families import diffusion as D
from ui import charts, plots_diffusion as P
from ui.shell import PageContext

PAGE = "diffusion"
SAMPLE_POINTS = 1000
ANIM_POINTS, ANIM_FRAMES = 300, 50
EVAL_POINTS = 500
QUALITY_STEPS = (2, 5, 10, 20, 50, 100)
COMPARE_IMAGES = 8  # digits shown by each road in "step by step, or in one jump?"
FIELD_POINTS = 400  # noised data points drawn under the score field's arrows
FIELD_FRAMES = 11  # noise levels the score field's slider holds, scrubbed in the browser: every tenth of T (~410 kB)
FORWARD_FRAMES = 51  # timesteps the forward animation holds (every one when T ≤ 50)
PHOTO_FRAMES = 26  # the photo's frames are pictures: fewer of them
FORWARD_POINTS = 300  # points moved by the forward animation (the grey x₀ behind them shows up to DATA_POINTS)
DATA_POINTS = 1000
ROAD_POINTS = 300  # of each cloud in each frame of the two roads' figure: enough to see them overlap (the default data has 800)
ROAD_FRAMES = 21  # timesteps the two roads' figure holds, every 5 % of T (T // 10 among them when 20 divides T): ~200 kB


def _ctx(lang: str) -> PageContext:
    """The page's texts in ``lang`` (for figures built outside any one session's context)."""
    return PageContext(PAGE, lang, 0)


def box_for(X: np.ndarray, extra: float = 0.0) -> tuple:
    """The plotting box of ``X``, widened to contain ±``extra`` in both coordinates."""
    b = points.bounds(np.r_[X, [[-extra, -extra], [extra, extra]]] if extra else X)
    return tuple(float(v) for v in b)


# ---------------------------------------------------------------- shared models and data

@st.cache_resource(max_entries=16, show_spinner=False)
def pretrained_2d(name: str) -> D.DiffusionModel:
    return D.pretrained_2d(name)


@st.cache_resource(max_entries=1, show_spinner=False)
def pretrained_digits() -> D.DiffusionModel:
    return D.pretrained_digits()


@st.cache_resource(max_entries=1, show_spinner=False)
def photo() -> np.ndarray:
    return D.load_photo()


@st.cache_data(max_entries=1, ttl=3600, show_spinner=False)
def forward_digits() -> tuple[np.ndarray, np.ndarray]:
    """(10 digits in 0…1 to noise and show, 400 digits in −1…1 for the two roads)."""
    X, _ = digits.load("train")
    return X[:10] / 16.0, D.to_model_space(X[:400] / 16.0)


# ---------------------------------------------------------------- forward process

@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def schedule_curves(schedule: str, T: int, beta_start: float, beta_end: float) -> dict:
    return D.schedule_curves(D.ScheduleConfig(schedule, T, beta_start, beta_end))


def valid_schedules(config: D.ScheduleConfig) -> list[str]:
    """The schedules that these T and betas make valid (the chart draws only those)."""
    out = []
    for kind in D.SCHEDULES:
        try:
            D.NoiseSchedule(D.ScheduleConfig(kind, config.T, config.beta_start, config.beta_end))
        except InputError:
            continue
        out.append(kind)
    return out


def forward_timesteps(T: int, n: int = FORWARD_FRAMES) -> list[int]:
    """The timesteps the forward animation holds: every t when T + 1 ≤ ``n``, else ``n`` evenly spaced from 0 to T."""
    return sorted({int(round(v)) for v in np.linspace(0, T, min(n, T + 1))})


def nearest(ts: list[int], t: int) -> int:
    """The index in ``ts`` of the value nearest ``t`` (the lower one of two as near)."""
    return min(range(len(ts)), key=lambda i: (abs(ts[i] - t), ts[i]))


def _jpeg(image01: np.ndarray) -> str:
    from PIL import Image  # Pillow comes with Streamlit

    buf = io.BytesIO()
    Image.fromarray(np.rint(np.clip(image01, 0, 1) * 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _thin(X: np.ndarray, n: int) -> np.ndarray:
    """At most ``n`` rows of ``X``, the same ones every time (a fixed draw)."""
    return X if len(X) <= n else X[np.sort(np.random.default_rng(0).choice(len(X), n, replace=False))]


@charts.shared_figures(max_entries=16, ttl=3600, show_spinner=False)
def forward_figure(source: str, config: D.ScheduleConfig, X0: np.ndarray | None, seed: int, t: int, lang: str):
    """x_t for every timestep of ``forward_timesteps`` and the schedules, as one animation opening at ``t``: the
    reader scrubs t in the browser. ``X0``: the 2D points (None for the digits and the photo). Shared, read-only."""
    ctx = _ctx(lang)
    sched = D.NoiseSchedule(config)
    ts = forward_timesteps(sched.T, FORWARD_FRAMES if source != "photo" else PHOTO_FRAMES)
    start = nearest(ts, t)
    box = shown = None
    if source == "points":
        moving_X0 = _thin(X0, FORWARD_POINTS)
        moving = [D.draw_x_t(moving_X0, sched, s, seed).astype(np.float32) for s in ts]  # one ε for every t
        box = box_for(X0, 3.2)
        shown = _thin(X0, DATA_POINTS).astype(np.float32)
    elif source == "digits":
        picks, _ = forward_digits()
        noisy = D.noisy_images(picks.reshape(10, 8, 8), sched, ts, seed=seed)  # (ts, 10, 8, 8) in 0…1
        moving = [P.quantised_grid(x.reshape(2, 5, 8, 8), 1.0) for x in noisy]
    else:
        moving = [_jpeg(x) for x in D.noisy_images(photo()[None], sched, ts, seed=seed)[:, 0]]
    curves = {k: schedule_curves(k, config.T, config.beta_start, config.beta_end) for k in valid_schedules(config)}
    abar, snr = sched.alphas_cumprod, sched.snr
    labels = [ctx.t("forward_frame", t=s, alpha_bar=ctx.num(abar[s], ".3f"), snr=ctx.num(snr[s], ".3g") if s else "∞") for s in ts]
    return P.forward_animation(source, moving, curves, config.schedule, ts, start, {k: ctx.t(f"schedules.{k}") for k in curves},
                               (ctx.t("x_t_title"), ctx.t("beta_title"), ctx.t("alpha_bar_title"), ctx.t("snr_title")), ctx.t("t_axis"),
                               labels, ctx.t("play"), ctx.t("pause"), box=box, data=shown, data_name=ctx.t("x0_label"))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def forward_comparison(X0: np.ndarray, config: D.ScheduleConfig, t: int, seed: int) -> D.RoadComparison:
    """Both roads to x_t from the same x_0 (see ``D.compare_roads``); images keep ``COMPARE_IMAGES`` of each."""
    return D.compare_roads(X0, config, t, seed, keep=COMPARE_IMAGES)


def roads_timesteps(T: int) -> list[int]:
    """The timesteps the two roads' figure holds: every t when T + 1 ≤ ``ROAD_FRAMES``, else ``ROAD_FRAMES`` from 0 to T."""
    return forward_timesteps(T, ROAD_FRAMES)


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def roads_series(X0: np.ndarray, config: D.ScheduleConfig, seed: int) -> dict:
    """Both roads at every t of ``roads_timesteps``, each exactly ``D.compare_roads`` at that t: the ``ROAD_POINTS`` drawn
    of each cloud (the same rows of x₀ by both roads), the residuals' (mean, variance), which use every point, and MMD², on the first ``D.COMPARE_MMD_POINTS`` of each."""
    ts = roads_timesteps(D.NoiseSchedule(config).T)
    runs = D.compare_roads_series(X0, config, ts, seed)
    return {"ts": ts, "iterative": np.stack([_thin(r.iterative, ROAD_POINTS) for r in runs]).astype(np.float32),
            "closed": np.stack([_thin(r.closed, ROAD_POINTS) for r in runs]).astype(np.float32),
            "rows": [r.rows for r in runs], "mmd2": [r.mmd2 for r in runs], "var": [r.var for r in runs]}


def roads_label(ctx: PageContext, t: int, rows: dict, mmd2: float, mean_factor: float) -> str:
    """The slider's label at t: the schedule there, each road's residual mean and variance against the theory's, MMD²."""
    return ctx.t("compare_frame", t=t, mean_factor=ctx.num(mean_factor, ".3f"), var=ctx.num(rows["theory"][1], ".4f"),
                 it_mean=ctx.num(rows["iterative"][0], "+.4f"), it_var=ctx.num(rows["iterative"][1], ".4f"),
                 cf_mean=ctx.num(rows["closed"][0], "+.4f"), cf_var=ctx.num(rows["closed"][1], ".4f"), mmd=ctx.num(mmd2, ".4f"))


@charts.shared_figures(max_entries=32, ttl=3600)
def roads_figure(X0: np.ndarray, config: D.ScheduleConfig, t: int, seed: int, lang: str):
    """Both roads' clouds over x₀ at every t of ``roads_timesteps``, opening at the one nearest ``t``: the reader scrubs t
    in the browser, with each frame's numbers in the slider's label. Shared, read-only, serialised once."""
    ctx, run, sched = _ctx(lang), roads_series(X0, config, seed), D.NoiseSchedule(config)
    ts = run["ts"]
    start = nearest(ts, t)
    labels = [roads_label(ctx, s, rows, mmd, sched.marginal(s)[0]) for s, rows, mmd in zip(ts, run["rows"], run["mmd2"])]
    return P.roads_animation(box_for(X0, 3.2), _thin(X0, ROAD_POINTS), run["iterative"], run["closed"],
                             (ctx.t("compare.iterative"), ctx.t("compare.closed")), ctx.t("x0_label"), ts, start, labels,
                             ctx.t("play"), ctx.t("pause"))


def residual_figure(res: D.RoadComparison, lang: str):
    """Every value's residual by both roads against the density of N(0, 1 − ᾱ_t)."""
    ctx = _ctx(lang)
    resid = res.residuals
    return P.residual_figure([(resid["iterative"], ctx.t("compare.iterative"), P.SAMPLE_COLOUR),
                              (resid["closed"], ctx.t("compare.closed"), P.SECOND_COLOUR)],
                             res.var, ctx.t("compare_theory_density"), ctx.t("compare_resid_axis"), ctx.t("compare_density_axis"))


# ---------------------------------------------------------------- reverse process on 2D points

@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def reverse_run(_model: D.DiffusionModel, model_id: tuple, sampler: str, steps: int, seed: int, data: np.ndarray) -> dict:
    """Samples, the animated path of the first points, and distances to the data."""
    res = _model.reverse(SAMPLE_POINTS, sampler, steps, seed=seed, keep=ANIM_POINTS, keep_frames=ANIM_FRAMES)
    return {"samples": res.samples, "trajectory": res.trajectory, "timesteps": res.timesteps,
            **D.sample_distances(res.samples, data, EVAL_POINTS)}


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def score_fields(_model: D.DiffusionModel, model_id: tuple, box: tuple, ts: tuple, data: np.ndarray, seed: int) -> list[dict]:
    """The score on a grid and the data noised to t, for each t of ``ts``: one cached entry for the whole slider (one
    argument hash and one copy per run, not one per frame)."""
    out = []
    for t in ts:
        P_, S = D.vector_field(_model, box, t)
        out.append({"points": P_, "score": S, "noisy": D.noisy_points(_model, data, t, FIELD_POINTS, seed)})
    return out


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def quality_rows(_model: D.DiffusionModel, model_id: tuple, data: np.ndarray, seed: int) -> list[dict]:
    if model_id[0] == "pretrained":  # measured once when the weights were made (see the manifest)
        rows = D.pretrained_metrics(model_id[1]).get("quality")
        if rows:
            return rows
    return D.quality_vs_steps(_model, data[:EVAL_POINTS], n=EVAL_POINTS, seed=seed, step_choices=QUALITY_STEPS)


# The reverse section's figures, by the model's cache id (a shipped model: every student's; a live one: its step) and
# what else they show: built and serialised once, not on every run of the section (a third of a class's server time
# went to this page, most of it rebuilding these). The results they draw come with them unhashed: the id says them.

@charts.shared_figures(max_entries=32, ttl=3600)
def animation_figure(model_id: tuple, sampler: str, steps: int, seed: int, box: tuple, data: np.ndarray, lang: str, _run: dict):
    """The reverse process of ``reverse_run(model, model_id, sampler, steps, seed, data)`` (given as ``_run``)."""
    ctx = _ctx(lang)
    return P.reverse_animation(box, data, _run["trajectory"], _run["timesteps"], ctx.t("data_label"), ctx.t("reverse_points"),
                               ctx.t("frame_label"), ctx.t("play"), ctx.t("pause"))


def field_timesteps(T: int) -> list[int]:
    """The score field's noise levels, its slider's frames: ``forward_timesteps`` with 1 for 0 (no score at t = 0): 1,
    then every tenth of T up to T (every t when T ≤ 10)."""
    return sorted({max(1, t) for t in forward_timesteps(T, FIELD_FRAMES)})


@charts.shared_figures(max_entries=12, ttl=3600)  # ~410 kB each
def field_figure(model_id: tuple, box: tuple, ts: tuple, start: int, seed: int, data: np.ndarray, lang: str, _fields: list[dict]):
    """The noised data at each t of ``ts`` under the arrows of the learned score (``score_fields(model, model_id, box, ts,
    data, seed)``, given as ``_fields``), opening at ``ts[start]``: the reader scrubs t in the browser."""
    ctx = _ctx(lang)
    fig, frames = P.field_animation(box, data, _fields[0]["points"], [(f["noisy"], f["score"]) for f in _fields], list(ts), start,
                                    (ctx.t("data_label"), ctx.t("field_x_t"), ctx.t("arrows_label")), ctx.t("t_field"))
    return charts.freeze(fig, lang, raw_frames=frames)


@charts.shared_figures(max_entries=16, ttl=3600)
def quality_figures(model_id: tuple, seed: int, data: np.ndarray, T: int, lang: str, _rows: list[dict]) -> tuple:
    """MMD² (with the data-vs-data floor) and SWD against the number of sampling steps (``quality_rows(model, model_id,
    data, seed)``, given as ``_rows``)."""
    ctx = _ctx(lang)
    ref = D.data_vs_data_mmd2(data, EVAL_POINTS)
    names = (ctx.t("steps_axis"), ctx.t("samplers.ddim"), ctx.t("ddpm_at_T", T=T))
    return (P.quality_figure(_rows, "mmd2", ctx.t("mmd2"), *names, ref, ctx.t("data_vs_data")),
            P.quality_figure(_rows, "swd", ctx.t("swd"), *names))


# ---------------------------------------------------------------- digits and latent diffusion

@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def guidance_sweep(label: int, steps: int, seed: int) -> D.GuidanceSweep:
    """Every guidance weight for one class, steps and seed: the shipped sweep for the page's defaults, else sampled
    (13 weights × 37 digits, a few seconds)."""
    return D.shipped_sweep(label, steps, seed) or D.guidance_sweep(pretrained_digits(), label, steps, seed)


@charts.shared_figures(max_entries=8, show_spinner=False)
def guidance_sweep_figure(label: int, steps: int, seed: int, lang: str):
    """The sweep's figure with its frames (read-only: shared by every session)."""
    ctx, sweep = _ctx(lang), guidance_sweep(label, steps, seed)
    titles = (ctx.t("film_title"), ctx.t("grid_title", digit=label), ctx.t("sweep_agreement", digit=label), ctx.t("sweep_spread"))
    start = sweep.guidance.index(2.0) if 2.0 in sweep.guidance else 0
    return P.guidance_sweep(sweep, start, titles, ctx.t("guidance"), [f"t={t}" for t in sweep.film_t],
                            [f"w = {ctx.num(w, 'g')}" for w in sweep.guidance], ctx.t("play"), ctx.t("pause"))


@st.cache_resource(max_entries=1, show_spinner=False)
def latent_models() -> tuple:
    """(VAE, latent diffusion model, test codes, shipped?): read-only, shared by every session."""
    vae = D.vae_model(D.LATENT_DIM)
    model, shipped = D.latent_model(D.LATENT_DIM, vae)
    return vae, model, vae.encode_mean(digits.load("test")[0]), shipped


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def latent_run(label: int, guidance: float, steps: int, seed: int) -> dict:
    vae, model, codes_test, _ = latent_models()
    return D.latent_report(model, vae, codes_test, label, guidance, steps, seed)


def latent_figure(codes_test: np.ndarray, run: dict, lang: str):
    """The test codes, the prior's draws and the diffused codes on the two widest axes of the test codes."""
    ctx = _ctx(lang)
    dims = D.top_variance_dims(codes_test, 2)
    clouds = [(run["prior"][:, dims], ctx.t("latent_codes_prior"), P.SECOND_COLOUR),
              (run["codes"][:, dims], ctx.t("latent_codes_diffusion"), P.SAMPLE_COLOUR)]
    box = box_for(np.r_[codes_test[:, dims], run["prior"][:, dims]])
    fig = P.points_figure(box, codes_test[:, dims], clouds, ctx.t("latent_codes_data"), height=430)
    fig.update_xaxes(title_text=f"z{dims[0] + 1}")
    fig.update_yaxes(title_text=f"z{dims[1] + 1}")
    return fig
