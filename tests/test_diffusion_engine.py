"""Engine tests for the diffusion page: the forward process, the schedules' guards, and real learning."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core.errors import InputError
from engine.core.training import Budget
from engine.data import points
from engine.families import diffusion as D
from engine.metrics import mmd2, sliced_wasserstein


# ---------------------------------------------------------------- forward process

@pytest.mark.parametrize("schedule", D.SCHEDULES)
@pytest.mark.parametrize("t", [1, 10, 40, 100])
def test_forward_closed_form_mean_and_variance(schedule, t):
    sched = D.NoiseSchedule(D.ScheduleConfig(schedule, 100))
    rng = np.random.default_rng(0)
    x0 = np.array([1.5, -0.7])
    n = 40_000
    x_t = sched.add_noise(np.broadcast_to(x0, (n, 2)), rng.standard_normal((n, 2)), t)
    mean_factor, var = sched.marginal(t)
    assert np.allclose(x_t.mean(0), mean_factor * x0, atol=4 * np.sqrt(var / n) + 1e-9)
    assert np.allclose(x_t.var(0), var, rtol=0.03, atol=1e-9)


@pytest.mark.parametrize("schedule", D.SCHEDULES)
@pytest.mark.parametrize("t_of_T", ["1", "T/4", "T/2", "T"])
def test_step_by_step_forward_process_has_the_closed_form_marginal(schedule, t_of_T):
    """t single steps x_s = √α_s x_{s−1} + √β_s z end at mean √ᾱ_t · x_0 and variance 1 − ᾱ_t."""
    sched = D.NoiseSchedule(D.ScheduleConfig(schedule, 100))
    T = sched.T
    t = {"1": 1, "T/4": T // 4, "T/2": T // 2, "T": T}[t_of_T]
    alpha_bar = float(np.prod(1.0 - sched.betas[1: t + 1]))  # from the betas alone, not from marginal()
    mean_factor, var = sched.marginal(t)
    assert mean_factor == pytest.approx(np.sqrt(alpha_bar), rel=1e-12) and var == pytest.approx(1 - alpha_bar, rel=1e-12)
    x0 = np.array([1.5, -0.7])
    n = 20_000
    x_t = sched.forward_iterative(np.broadcast_to(x0, (n, 2)), t, seed=11)
    se_mean, se_var = np.sqrt(var / n), var * np.sqrt(2 / (n - 1))  # sampling standard errors of mean and variance
    np.testing.assert_allclose(x_t.mean(0), np.sqrt(alpha_bar) * x0, rtol=0, atol=4 * se_mean)
    np.testing.assert_allclose(x_t.var(0, ddof=1), 1 - alpha_bar, rtol=0, atol=4 * se_var)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_iterative_and_closed_form_give_the_same_distribution(schedule):
    sched = D.NoiseSchedule(D.ScheduleConfig(schedule, 50))
    x0 = np.broadcast_to(np.array([2.0, -1.0]), (20_000, 2))
    t = 30
    step_by_step = sched.forward_iterative(x0, t, seed=1)
    closed = sched.add_noise(x0, np.random.default_rng(2).standard_normal(x0.shape), t)
    assert np.allclose(step_by_step.mean(0), closed.mean(0), atol=0.03)
    assert np.allclose(step_by_step.var(0), closed.var(0), rtol=0.05)
    assert sliced_wasserstein(step_by_step[:4000], closed[:4000]) < 0.05


@pytest.mark.parametrize("shape", [(3000, 2), (40, 64)], ids=["points", "images"])
def test_both_roads_leave_residuals_with_the_theorys_mean_and_variance(shape):
    """The table under "step by step, or in one jump?": x_t − √ᾱ_t x_0 has mean 0 and variance 1 − ᾱ_t by both roads."""
    config, t, seed = D.ScheduleConfig("linear", 100), 30, 4
    X0 = np.random.default_rng(0).uniform(-1, 1, shape)
    res = D.compare_roads(X0, config, t, seed, keep=8)
    mean_factor, var = D.NoiseSchedule(config).marginal(t)
    assert res.rows["theory"] == (0.0, var) and res.var == var and 0.2 < var < 0.9
    n = X0.size
    for road in D.ROADS:
        mean, v = res.rows[road]
        assert abs(mean) < 4 * np.sqrt(var / n) and v == pytest.approx(var, abs=4 * var * np.sqrt(2 / n)), road
    closed = D.NoiseSchedule(config).add_noise(X0, np.random.default_rng(seed + 1).standard_normal(shape), t)
    np.testing.assert_array_equal(D.draw_x_t(X0, D.NoiseSchedule(config), t, seed + 1), closed)  # the forward view's draw
    if shape[1] == 2:  # the clouds themselves, and how far apart they are
        np.testing.assert_allclose(res.closed, closed)
        assert res.iterative.shape == shape and res.residuals == {} and abs(res.mmd2) < 0.01
    else:  # the first images of each road, and every value's residual for the histogram
        assert res.iterative.shape == res.closed.shape == (8, 64) and res.mmd2 is None
        np.testing.assert_allclose(res.residuals["closed"], closed - mean_factor * X0, rtol=1e-6, atol=1e-6)
        assert res.residuals["iterative"].shape == shape
    # at t = 0 nothing has moved: zero residuals and a zero variance, which the page does not histogram
    still = D.compare_roads(X0, config, 0, seed)
    assert still.var == 0.0 and still.rows["iterative"] == still.rows["closed"] == (0.0, 0.0)


@pytest.mark.parametrize("shape", [(300, 2), (6, 64)], ids=["points", "images"])
def test_both_roads_at_every_t_of_a_series_are_the_roads_at_that_t(shape):
    """The two roads' scrubbed figure walks the single steps once: each t of the series is exactly ``compare_roads`` at
    that t (the same draws, the same numbers), whatever t is left out between them."""
    config, seed = D.ScheduleConfig("cosine", 60), 3
    X0 = np.random.default_rng(1).uniform(-1, 1, shape)
    ts = [0, 1, 7, 30, 60]
    for t, got in zip(ts, D.compare_roads_series(X0, config, ts, seed)):
        want = D.compare_roads(X0, config, t, seed)
        np.testing.assert_array_equal(got.iterative, want.iterative)
        np.testing.assert_array_equal(got.closed, want.closed)
        assert got.rows == want.rows and got.var == want.var and got.mmd2 == want.mmd2, t
    assert not np.array_equal(*(r.iterative for r in D.compare_roads_series(X0, config, [7, 30], seed)))


def test_residual_stats_read_the_mean_and_variance_of_every_value():
    X0 = np.zeros((2, 3))
    Xt = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    assert D.residual_stats(D.residuals(Xt, X0, 0.5)) == (2.0, pytest.approx(2 / 3))
    assert D.residual_stats(D.residuals(Xt, Xt, 1.0)) == (0.0, 0.0)


def test_image_maps_and_strip_timesteps():
    x = np.array([0.0, 0.25, 1.0])
    np.testing.assert_array_equal(D.to_model_space(x), [-1.0, -0.5, 1.0])
    np.testing.assert_array_equal(D.to_display(np.array([-3.0, -0.5, 0.0, 2.0])), [0.0, 0.25, 0.5, 1.0])
    assert D.strip_timesteps(100) == [0, 14, 29, 43, 57, 71, 86, 100]
    assert D.strip_timesteps(3) == [0, 1, 2, 3]  # short chains: each t once


def test_schedule_quantities_match_their_definitions():
    sched = D.NoiseSchedule(D.ScheduleConfig("linear", 1000, 1e-4, 0.02))
    assert sched.alphas_cumprod[0] == 1.0
    assert np.isclose(sched.alphas_cumprod[500], np.prod(1 - np.linspace(1e-4, 0.02, 1000)[:500]))
    # DDPM's linear schedule leaves almost nothing of x_0 at T = 1000 …
    assert sched.alphas_cumprod[-1] < 1e-4
    # … but with T = 50 most of the signal survives: the reference tutorial's teaching point
    assert D.NoiseSchedule(D.ScheduleConfig("linear", 50, 1e-4, 0.02)).alphas_cumprod[-1] > 0.55
    # the default rescales DDPM's betas by 1000 / T, which does reach noise at T = 100
    assert D.NoiseSchedule(D.ScheduleConfig()).alphas_cumprod[-1] < 1e-3
    assert np.all(np.diff(sched.alphas_cumprod) < 0)
    assert np.allclose(sched.snr[1:], sched.alphas_cumprod[1:] / (1 - sched.alphas_cumprod[1:]))


def test_cosine_destroys_more_slowly_at_first_than_linear():
    lin = D.NoiseSchedule(D.ScheduleConfig("linear", 100, 1e-4, 0.2))
    cos = D.NoiseSchedule(D.ScheduleConfig("cosine", 100))
    assert cos.alphas_cumprod[25] > lin.alphas_cumprod[25]


@pytest.mark.parametrize("kwargs, code", [
    (dict(T=1), "T_too_small"),
    (dict(T=0), "T_too_small"),
    (dict(schedule="linear", beta_end=1.0), "alpha_bar_zero"),
    (dict(schedule="linear", beta_end=1.5), "alpha_bar_zero"),
    (dict(schedule="sigmoid", beta_start=-0.01), "alpha_bar_above_one"),
    (dict(schedule="linear", beta_start=-0.2, beta_end=0.02), "alpha_bar_above_one"),
    (dict(schedule="linear", T=1000, beta_end=0.999), "alpha_bar_zero"),  # ᾱ_T underflows to 0
    (dict(schedule="nope"), "unknown_schedule"),
])
def test_bad_schedules_raise_clear_codes(kwargs, code):
    with pytest.raises(InputError) as err:
        D.NoiseSchedule(D.ScheduleConfig(**kwargs))
    assert err.value.code == code


def test_more_sampling_steps_than_T_is_refused():
    sched = D.NoiseSchedule(D.ScheduleConfig("cosine", 10))
    assert sched.ddim_timesteps(10) == list(range(10, 0, -1))
    with pytest.raises(InputError) as err:
        sched.ddim_timesteps(20)
    assert err.value.code == "more_steps_than_T"


@pytest.mark.parametrize("X", [
    np.zeros((50, 2)),
    np.c_[np.linspace(0, 1, 50), 2 * np.linspace(0, 1, 50)],  # a line
    np.ones((5, 2)) * np.arange(5)[:, None],
])
def test_degenerate_2d_data_is_refused(X):
    with pytest.raises(InputError):
        D.check_2d_data(X)


# ---------------------------------------------------------------- reverse process: the models really learn

@pytest.fixture(scope="module")
def trained():
    """Small, seeded models trained on the swiss roll and on moons (shared by several tests)."""
    out = {}
    for name in ("swiss_roll", "moons"):
        data = points.make_dataset(name, 3000, 0.05, seed=0).X
        train, test = data[:2000], data[2000:]
        model = D.DiffusionModel(D.config_2d(decay_steps=700), seed=0).fit(train, budget=Budget(max_steps=700))
        out[name] = (model, test)
    return out


@pytest.mark.parametrize("name", ["swiss_roll", "moons"])
def test_samples_are_close_to_held_out_data_and_far_from_the_gaussian_start(trained, name):
    model, test = trained[name]
    samples = model.reverse(1000, "ddpm", seed=3).samples
    start = np.random.default_rng(4).standard_normal((1000, 2)) * model.scale_ + model.shift_
    swd_model, swd_start = sliced_wasserstein(samples, test), sliced_wasserstein(start, test)
    mmd_model, mmd_start = mmd2(samples, test), mmd2(start, test)
    # (held-out vs training data of the same size score about 0.05 and 0.0 here)
    assert swd_model < 0.16, swd_model
    assert mmd_model < 0.025, mmd_model
    assert swd_model < 0.65 * swd_start, (swd_model, swd_start)
    assert mmd_model < mmd_start / 4, (mmd_model, mmd_start)
    # the samples lie on the data's shape: as close to it as held-out points are (the start is not)
    from scipy.spatial import cKDTree

    tree = cKDTree(test)
    near_model, near_start = np.median(tree.query(samples)[0]), np.median(tree.query(start)[0])
    near_data = np.median(cKDTree(test[:500]).query(test[500:])[0])
    assert near_model < 2.5 * near_data, (near_model, near_data)
    assert near_start > 4 * near_model


def test_loss_goes_down(trained):
    model, _ = trained["moons"]
    h = model.history_
    assert np.mean(h[-100:]) < 0.8 * np.mean(h[:50])


@pytest.mark.parametrize("name", ["swiss_roll", "moons"])
def test_ddim_50_comes_close_to_ddpm_with_the_full_T(trained, name):
    model, test = trained[name]
    ddpm = mmd2(model.reverse(1000, "ddpm", seed=5).samples, test)
    ddim50 = mmd2(model.reverse(1000, "ddim", 50, seed=5).samples, test)
    assert ddim50 < ddpm + 0.02, (ddim50, ddpm)
    assert ddim50 < 0.035


def test_ddim_is_deterministic_and_ddpm_is_not(trained):
    model, _ = trained["moons"]
    x_T = np.random.default_rng(0).standard_normal((200, 2)).astype(np.float32)
    a = model.reverse(200, "ddim", 20, seed=1, x_T=x_T).samples
    b = model.reverse(200, "ddim", 20, seed=2, x_T=x_T).samples
    c = model.reverse(200, "ddpm", seed=1, x_T=x_T).samples
    d = model.reverse(200, "ddpm", seed=2, x_T=x_T).samples
    assert np.allclose(a, b)
    assert not np.allclose(c, d)


def test_trajectory_runs_from_noise_to_the_samples(trained):
    model, _ = trained["moons"]
    res = model.reverse(300, "ddim", 20, seed=0, keep=50)
    assert res.trajectory.shape == (21, 50, 2)
    assert res.timesteps[0] == model.schedule.T and res.timesteps[-1] == 0
    assert np.allclose(res.trajectory[-1], res.samples[:50])
    thin = model.reverse(300, "ddpm", seed=0, keep=50, keep_frames=26)
    assert len(thin.trajectory) <= 26 and thin.timesteps[0] == model.schedule.T and thin.timesteps[-1] == 0


def test_score_points_towards_the_data(trained):
    model, test = trained["moons"]
    far = np.array([[4.0, 4.0], [-4.0, -4.0], [4.0, -4.0]])
    s = model.grad_log_q(far, 10)
    towards = test.mean(0) - far
    assert np.all((s * towards).sum(1) > 0)


def test_distances_to_the_data_and_the_data_floor(trained):
    """The reverse section's metrics: MMD² on the first 500 of each, SWD on as many samples as data points."""
    model, test = trained["moons"]
    samples = model.reverse(1000, "ddim", 20, seed=0).samples
    near, far = D.sample_distances(samples, test, 500), D.sample_distances(samples + 2.0, test, 500)
    assert near["mmd_sizes"] == (500, 500) and near["mmd2"] == pytest.approx(mmd2(samples[:500], test[:500]))
    assert far["mmd2"] > 10 * max(near["mmd2"], 0.005) and far["swd"] > 3 * near["swd"]
    few = D.sample_distances(samples, test[:300], 500)
    assert few["mmd_sizes"] == (500, 300) and few["swd"] == pytest.approx(sliced_wasserstein(samples[:300], test[:300]))
    floor = D.data_vs_data_mmd2(test, 500)  # two halves of one distribution: zero up to the estimate's noise
    assert floor == pytest.approx(mmd2(test[:250], test[250:500])) and abs(floor) < 0.05 < far["mmd2"]
    assert D.data_vs_data_mmd2(test[:39]) is None  # too few to split
    for m in (40, 300):  # fewer points than n: their own two halves (the page once compared 250 with none or 50)
        assert D.data_vs_data_mmd2(test[:m], 500) == pytest.approx(mmd2(test[: m // 2], test[m // 2: m]))


def test_noisy_points_are_data_points_noised_to_t(trained):
    from scipy.spatial import cKDTree

    model, test = trained["moons"]
    clean = D.noisy_points(model, test, 0, n=400, seed=3)  # t = 0: the picked points themselves
    assert clean.shape == (400, 2) and cKDTree(test).query(clean)[0].max() < 1e-4
    assert len(np.unique(clean.round(5), axis=0)) == 400  # picked without replacement
    noise = D.noisy_points(model, test, model.schedule.T, n=400, seed=3)  # t = T: the Gaussian the chain starts from
    np.testing.assert_allclose(noise.mean(0), model.shift_, atol=0.25 * model.scale_.max())
    np.testing.assert_allclose(noise.std(0), model.scale_, rtol=0.2)
    assert D.noisy_points(model, test[:50], 10, n=400, seed=3).shape == (50, 2)


def test_save_and_load_give_the_same_samples(trained):
    model, _ = trained["moons"]
    again = D.DiffusionModel.from_state(model.config, model.state_dict())
    a = model.reverse(100, "ddim", 10, seed=0).samples
    b = again.reverse(100, "ddim", 10, seed=0).samples
    assert np.allclose(a, b)


def test_nan_stops_training_and_restores_the_last_good_model():
    from engine.core.torch_setup import torch

    data = points.make_dataset("moons", 500, 0.05, seed=0).X
    model = D.DiffusionModel(D.config_2d(), seed=0).fit(data, budget=Budget(max_steps=60))
    good = {k: v.clone() for k, v in model.net_.state_dict().items()}
    with torch.no_grad():
        model.net_.out.weight.fill_(float("nan"))
    model._good_state = good
    steps_before = model.step_
    model.advance(Budget(max_steps=20))
    assert model.diverged_
    assert model.step_ == steps_before
    assert all(torch.isfinite(v).all() for v in model.net_.state_dict().values())


# ---------------------------------------------------------------- digits, guidance, latent diffusion

def test_shipped_digit_model_follows_the_requested_class_with_guidance():
    model = D.pretrained_digits()
    accuracy = D.guidance_accuracy(model, guidance=2.0, per_class=10, seed=7, steps=20)
    assert accuracy >= 0.7, accuracy


def test_the_shipped_guidance_sweep_trades_variety_for_fidelity():
    """The page's first view: the shipped sweep is what sampling gives (to its byte per pixel), the evaluator reads
    more 3s with guidance than without, the spread between samples falls from w = 0 to the default w = 2, and more
    pixels reach full ink at the strongest w (the caption's over-saturation)."""
    sw = D.shipped_sweep(**D.SWEEP_DEFAULT)
    assert sw is not None and sw.guidance == D.GUIDANCE_SWEEP and sw.grids.shape == (13, D.SWEEP_GRID, 64)
    k2 = sw.guidance.index(2.0)
    assert sw.agreement[k2] >= sw.agreement[0] and sw.spread[k2] < sw.spread[0] - 0.2
    full = (sw.grids >= 15.9).mean(axis=(1, 2))
    assert full[-1] > 1.5 * full[0]
    fresh = D.guidance_sweep(D.pretrained_digits(), 3, 50, 0, ws=(0.0, 2.0))
    np.testing.assert_allclose(fresh.grids, sw.grids[[0, k2]], atol=0.5 / D.SWEEP_LEVELS + 1e-6)
    np.testing.assert_allclose(fresh.spread, sw.spread[[0, k2]], rtol=1e-5)
    assert D.shipped_sweep(4, 50, 0) is None


def test_guidance_makes_the_requested_class_more_recognisable():
    model = D.pretrained_digits()
    weak = D.guidance_accuracy(model, guidance=0.0, per_class=10, seed=8, steps=20)
    strong = D.guidance_accuracy(model, guidance=3.0, per_class=10, seed=8, steps=20)
    assert strong >= weak
    assert strong >= 0.8


def test_a_digit_model_learns_from_scratch():
    from engine.data.digits import load

    X, y = load("train")
    model = D.digits_model(0)
    model.fit(X, y, budget=Budget(max_steps=150))
    assert np.mean(model.history_[-30:]) < 0.7 * np.mean(model.history_[:10])
    res = D.digit_samples(model, np.arange(4), 1.0, steps=10, seed=0, keep=4, keep_frames=6)
    assert res.samples.shape == (4, 64) and res.samples.min() >= 0 and res.samples.max() <= 16
    assert res.trajectory.shape[0] <= 6


def test_class_agreement_counts_what_the_evaluator_reads():
    from engine.data.digits import load

    X, y = load("test")
    X, y = X[:200], y[:200]
    assert D.class_agreement(X, y) > 0.9 and D.class_agreement(X, (y + 1) % 10) < 0.1
    assert D.class_agreement(X[y == 3], 3) > 0.8


def test_photo_and_noisy_images_have_the_right_shapes():
    img = D.load_photo(32)
    assert img.shape == (32, 32, 3) and 0 <= img.min() and img.max() <= 1
    sched = D.NoiseSchedule(D.ScheduleConfig())
    out = D.noisy_images(img[None], sched, [0, 50, 100], seed=0)
    assert out.shape == (3, 1, 32, 32, 3)
    assert np.allclose(out[0, 0], img)
    assert np.abs(out[2, 0] - img).mean() > 0.2


def _shipped_vae():
    return D.vae_model(D.LATENT_DIM)  # shipped with the VAE page: a failure here is a real failure


def test_latent_diffusion_makes_real_looking_codes_and_the_requested_digit():
    from engine.data.digits import classify, load

    vae = _shipped_vae()
    model, _ = D.latent_model(D.LATENT_DIM, vae)  # the shipped one, or a fresh one if the VAE changed
    labels = np.repeat(np.arange(10), 10)
    _, images = D.latent_samples(model, vae, labels, guidance=2.0, steps=20, seed=0)
    assert images.shape == (100, 64)
    assert (classify(images) == labels).mean() >= 0.7
    codes = vae.encode_mean(load("test")[0])[:300]
    z_free, _ = D.latent_samples(model, vae, np.arange(300) % 10, guidance=0.0, steps=20, seed=1)
    prior = np.random.default_rng(0).standard_normal(z_free.shape)
    assert mmd2(z_free, codes) < mmd2(prior, codes) / 3


def test_latent_report_compares_diffused_codes_with_the_prior():
    from engine.data.digits import load

    vae = _shipped_vae()
    model, _ = D.latent_model(D.LATENT_DIM, vae)
    codes = vae.encode_mean(load("test")[0])
    run = D.latent_report(model, vae, codes, label=2, guidance=1.0, steps=10, seed=0, n=100, shown=16)  # the page default
    assert run["images"].shape == run["prior_images"].shape == (16, 64)
    assert run["codes"].shape == run["prior"].shape == (100, D.LATENT_DIM)
    assert run["accuracy"] >= 0.6 and run["mmd_diffusion"] < run["mmd_prior"] / 2


def test_top_variance_dims_are_the_widest_axes():
    codes = np.random.default_rng(0).standard_normal((500, 4)) * [1.0, 5.0, 0.1, 3.0]
    assert list(D.top_variance_dims(codes, 2)) == [1, 3]
    assert list(D.top_variance_dims(codes, 4)) == [1, 3, 0, 2]


def test_a_stale_latent_model_is_noticed(monkeypatch):
    from engine.families.diffusion import latent

    vae = _shipped_vae()
    monkeypatch.setattr(latent, "vae_fingerprint", lambda latent_dim=D.LATENT_DIM: "not the shipped VAE")
    with pytest.raises(InputError) as err:
        D.pretrained_latent(D.LATENT_DIM)
    assert err.value.code == "latent_stale"
    monkeypatch.setattr(latent, "LATENT_FALLBACK_STEPS", 20)
    model, shipped = D.latent_model(D.LATENT_DIM, vae)
    assert not shipped and model.step_ == 20


def test_latent_diffusion_learns_from_scratch():
    from engine.data.digits import load

    vae = _shipped_vae()
    X, y = load("train")
    model = D.fit_latent(vae, X, y, Budget(max_steps=300), seed=0)
    assert model.config.denoiser.dim == D.LATENT_DIM
    assert np.mean(model.history_[-50:]) < 0.6 * np.mean(model.history_[:10])


# ---------------------------------------------------------------- what the texts say the code computes

@pytest.mark.parametrize("make", [lambda: D.DiffusionModel(D.config_2d(D.ScheduleConfig("linear", 100)), seed=0),
                                  lambda: D.digits_model(0)], ids=["points d=2", "digits d=64"])
def test_the_loss_is_the_squared_error_averaged_over_the_coordinates(make):
    """The loss axis reads ‖ε − ε_θ‖² / d: a mean over the d coordinates (and the batch), not a sum."""
    import torch

    model = make()
    d, t, n = model.config.denoiser.dim, 37, 64
    rng = np.random.default_rng(0)
    x0, noise = rng.standard_normal((n, d)).astype(np.float32), rng.standard_normal((n, d)).astype(np.float32)
    model.set_data(x0)  # x0 is used in model space below; set_data only readies the training state
    with torch.no_grad():
        loss = float(model.loss_on_batch(torch.from_numpy(x0), t=torch.full((n,), t), noise=torch.from_numpy(noise)))
    x_t = model.schedule.add_noise(x0, noise, t)
    squared_norms = ((model.predict_noise(x_t, t) - noise) ** 2).sum(axis=1)  # ‖ε − ε_θ‖² of each example
    assert loss == pytest.approx(squared_norms.mean() / d, rel=1e-4)
    blind = (noise ** 2).sum(axis=1).mean() / d  # what always guessing ε_θ = 0 would score: about 1 for any d
    assert blind == pytest.approx(1.0, abs=0.25)


def test_guidance_uses_one_plus_w_times_the_conditional_difference():
    """ε = ε_θ(x, ∅) + (1 + w) · (ε_θ(x, y) − ε_θ(x, ∅)), as the code comment and the texts write it."""
    model = D.digits_model(0)
    x = np.random.default_rng(1).standard_normal((5, 64)).astype(np.float32)
    y = np.arange(5)
    cond, uncond = model.predict_noise(x, 50, y, guidance=0.0), model.predict_noise(x, 50, None)
    assert not np.allclose(cond, uncond)
    for w in (1.0, 3.0):
        np.testing.assert_allclose(model.predict_noise(x, 50, y, guidance=w), uncond + (1 + w) * (cond - uncond), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("t", [1, 2, 30, 99])
def test_a_ddpm_step_is_the_score_form_in_reverse_md(t):
    """x_{t−1} = (x_t + β_t s) / √α_t + √β̃_t z with s = −ε/√(1 − ᾱ_t) (x̂_0 unbounded); no noise at t = 1."""
    sched = D.NoiseSchedule(D.ScheduleConfig("linear", 100))
    rng = np.random.default_rng(t)
    x, eps, z = (rng.standard_normal((50, 2)) for _ in range(3))
    s = -eps / np.sqrt(1 - sched.alphas_cumprod[t])
    beta, alpha = sched.betas[t], 1 - sched.betas[t]
    expected = (x + beta * s) / np.sqrt(alpha) + (np.sqrt(sched.posterior_variance[t]) * z if t > 1 else 0)
    np.testing.assert_allclose(sched.step(eps, t, x, z), expected, rtol=1e-10, atol=1e-12)


def test_a_ddpm_step_is_a_langevin_step_plus_a_deterministic_step_for_small_beta():
    """reverse.md's link to Langevin: to first order in β_t, DDPM's mean move is the Langevin drift (β_t/2)·s plus
    the probability-flow step (β_t/2)·(x + s) that lowers the noise level; the gap shrinks like β_t²."""
    x, s = np.array([[1.0, -0.5]]), np.array([[-0.8, 0.3]])
    gaps = []
    for beta in (1e-2, 1e-3):
        ddpm_mean = (x + beta * s) / np.sqrt(1 - beta)
        langevin_plus_flow = x + beta / 2 * s + beta / 2 * (x + s)
        gaps.append(np.abs(ddpm_mean - langevin_plus_flow).max())
    assert gaps[1] < gaps[0] / 50  # ten times smaller β, about a hundred times smaller gap
