"""Engine tests for the VAE page: small budgets, fixed seeds, numbers that can fail."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.core import weights as weights_io
from engine.core.errors import InputError
from engine.core.training import Budget
from engine.data import digits
from engine.families import vae


@pytest.fixture(scope="module")
def split():
    Xtr, ytr = digits.load("train")
    Xte, yte = digits.load("test")
    return Xtr, Xte, yte


@pytest.fixture(scope="module")
def trained():
    """A z = 8 MLP VAE (hidden 256, like the shipped one) trained from scratch: 400 steps."""
    tr = vae.train(vae.VAEConfig(latent_dim=8, hidden=256), seed=3)
    model, hist, diverged = tr.model, tr.history_, tr.diverged_
    assert not diverged
    return model, hist


def test_trained_beats_untrained_and_independent_pixels(trained, split):
    Xtr, Xte, _ = split
    model, _ = trained
    trained_nelbo = model.evaluate(Xte, n_samples=8, seed=0).neg_elbo
    untrained_nelbo = vae.VAE(vae.VAEConfig(latent_dim=8), seed=3).evaluate(Xte, seed=0).neg_elbo
    baseline = vae.independent_pixel_baseline(Xtr, Xte)
    assert untrained_nelbo > 150  # ≈ 64·log 17 = 181 nats: a near-uniform guess per pixel
    assert trained_nelbo < untrained_nelbo - 60
    assert trained_nelbo < baseline - 4, (trained_nelbo, baseline)


def test_training_curves_fall(trained):
    _, hist = trained
    recon = np.asarray(hist.recon)
    assert len(recon) == 400 and np.isfinite(recon).all()
    assert recon[-50:].mean() < recon[:20].mean() - 10
    assert np.asarray(hist.kl)[-50:].mean() > 1.0  # the latent is used: no posterior collapse at β = 1


def test_iwae_bound_is_at_least_the_elbo(trained, split):
    _, Xte, _ = split
    model, _ = trained
    elbo = -model.evaluate(Xte, n_samples=16, seed=1).neg_elbo
    iwae1 = -model.iwae(Xte, k=1, seed=1)
    iwae16 = -model.iwae(Xte, k=16, seed=1)
    assert abs(iwae1 - elbo) < 1.0  # k = 1 is the ELBO itself (up to sampling noise)
    assert iwae16 >= elbo + 0.5, (iwae16, elbo)


def test_reconstructions_are_recognisable(trained, split):
    _, Xte, yte = split
    model, _ = trained
    acc = float((digits.classify(model.reconstruct(Xte)) == yte).mean())
    assert acc >= 0.70, acc
    assert model.reconstruct(Xte).shape == (len(Xte), 64)


def test_untrained_reconstructions_are_not_recognisable(split):
    _, Xte, yte = split
    acc = float((digits.classify(vae.VAE(vae.VAEConfig(), seed=0).reconstruct(Xte)) == yte).mean())
    assert acc < 0.3


def test_shipped_weights_load_safely_and_reproduce_their_metrics(split):
    _, Xte, _ = split
    manifest = weights_io.read_manifest("vae")
    for name in ("mlp_z2_b1", "mlp_z8_b1", "mlp_z16_b1"):
        assert name in manifest
    total = 0
    for name, entry in manifest.items():
        path = weights_io.WEIGHTS / "vae" / entry["file"]
        total += path.stat().st_size
        assert weights_io.sha256(path) == entry["sha256"], name
        state = torch.load(path, map_location="cpu", weights_only=True)
        assert all(isinstance(v, torch.Tensor) for v in state.values())
        if "latent_dim" not in entry["config"] or "kind" in entry["config"]:
            continue  # the VQ-VAE and the VAE-GAN pair have their own tests
        cfg = entry["config"]
        model = vae.pretrained(cfg["latent_dim"], cfg["beta"], cfg["arch"])
        ev = model.evaluate(Xte, n_samples=8, seed=0)
        assert ev.neg_elbo == pytest.approx(entry["metrics"]["test_neg_elbo"], abs=0.02), name
    assert total <= 5 * 1024 * 1024


def test_pretrained_interface_for_latent_diffusion(split):
    _, Xte, _ = split
    for d in (2, 8, 16):
        m = vae.pretrained(d, 1.0, "mlp")
        mu = m.encode_mean(Xte[:5])
        assert mu.shape == (5, d)
        x = m.decode_mean(mu)
        assert x.shape == (5, 64) and x.min() >= 0 and x.max() <= 16
    assert vae.pretrained(2) is vae.pretrained(2, 1.0, "mlp")
    with pytest.raises(InputError):
        vae.pretrained(3, 1.0, "mlp")


def test_page_model_meets_its_quality_bar(split):
    Xtr, Xte, yte = split
    m = vae.pretrained(2, 1.0)
    assert m.metrics["test_neg_elbo"] < vae.independent_pixel_baseline(Xtr, Xte) - 4
    assert m.metrics["test_neg_iwae_k16"] <= m.metrics["test_neg_elbo"]


def test_large_beta_collapses_the_posterior():
    low, high = vae.pretrained(2, 0.5), vae.pretrained(2, 8.0)
    assert high.metrics["test_kl"] < 0.5 * low.metrics["test_kl"]
    assert high.metrics["test_recon"] > low.metrics["test_recon"] + 3


def test_nan_stops_training_and_restores_the_last_good_model():
    tr = vae.Trainer(vae.VAEConfig(lr=1e6, kl_warmup=0, max_steps=300), seed=0)
    ok = not tr.advance(Budget(max_steps=300)).diverged
    assert not ok and tr.diverged_ and tr.done
    assert all(torch.isfinite(p).all() for p in tr.net.parameters())
    assert np.isfinite(tr.model.decode_mean(np.zeros((1, 2)))).all()


@pytest.mark.parametrize("steps", [100, 200])
def test_short_live_runs_reach_the_chosen_beta(steps):
    tr = vae.Trainer(vae.VAEConfig(beta=2.0, max_steps=steps), seed=0)
    assert tr.config.warmup_steps == steps // 2  # the page's 200-step warm-up, halved to fit
    tr.advance(Budget(max_steps=steps))
    b = np.array(tr.history_.beta)
    assert len(b) == steps and b[-1] == 2.0
    assert np.all(np.diff(b) >= 0) and b[0] == pytest.approx(2.0 / (steps // 2))
    assert np.all(b[steps // 2 - 1 :] == 2.0) and b[steps // 2 - 2] < 2.0  # the second half trains at β itself


def test_long_runs_keep_the_full_warm_up():
    c = vae.VAEConfig(beta=1.0, max_steps=400)  # the shipped models' schedule is unchanged
    assert c.warmup_steps == 200 and c.beta_at(198) < 1.0 and c.beta_at(199) == 1.0
    assert vae.VAEConfig(max_steps=800).warmup_steps == 200
    assert vae.VAEConfig(kl_warmup=0, max_steps=100).beta_at(0) == 1.0


def test_bad_settings_are_input_errors():
    for cfg in (vae.VAEConfig(arch="rnn"), vae.VAEConfig(beta=float("nan")), vae.VAEConfig(lr=-1.0), vae.VAEConfig(latent_dim=0)):
        with pytest.raises(InputError):
            vae.Trainer(cfg)


def test_training_is_reproducible():
    a = vae.Trainer(vae.VAEConfig(max_steps=30), seed=5)
    b = vae.Trainer(vae.VAEConfig(max_steps=30), seed=5)
    a.advance(Budget(max_steps=30)), b.advance(Budget(max_steps=30))
    assert a.history_.recon == b.history_.recon


def test_shapes_follow_the_network():
    s = dict(vae.shapes(vae.VAEConfig(latent_dim=8, hidden=128)))
    assert s["x"] == (1, 64) and s["z"] == (1, 8) and s["logits"] == (1, 64, 17)
    conv = vae.shapes(vae.VAEConfig(latent_dim=2, arch="conv"))
    assert (("enc.Conv2d", (1, 32, 4, 4)) in conv) and conv[-1] == ("logits", (1, 64, 17))


def test_interpolations():
    z0, z1 = np.array([1.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0])
    L, S = vae.lerp(z0, z1, 5), vae.slerp(z0, z1, 5)
    for P in (L, S):
        np.testing.assert_allclose(P[0], z0, atol=1e-6)
        np.testing.assert_allclose(P[-1], z1, atol=1e-6)
    np.testing.assert_allclose(L[2], [0.5, 1.0, 0.0], atol=1e-6)
    # slerp's midpoint keeps a larger norm than lerp's (it does not cut through the middle)
    assert np.linalg.norm(S[2]) > np.linalg.norm(L[2]) + 0.1
    np.testing.assert_allclose(vae.slerp(z0, 2 * z0, 3)[1], 1.5 * z0, atol=1e-6)  # parallel → lerp


def test_slerp_keeps_the_endpoints_norm_not_the_prior_shell():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal(16), rng.standard_normal(16)
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    np.testing.assert_allclose(np.linalg.norm(vae.slerp(z0, z1, 9), axis=1), np.linalg.norm(z0), rtol=1e-5)  # equal norms: constant
    z1 = 1.5 * z1
    omega = math.acos(z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1)))
    mid = np.linalg.norm(vae.slerp(z0, z1, 3)[1])
    assert mid == pytest.approx(np.linalg.norm(z0 + z1) / (2 * math.cos(omega / 2)), rel=1e-5)
    assert (np.linalg.norm(z0) + np.linalg.norm(z1)) / 2 <= mid < np.linalg.norm(z1)  # a little above the mean norm
    # the page's default walk (test digits 0 and 5) on the shipped d = 16 model: the arc stays at the endpoints' ≈ 2.7-2.8,
    # far from √16 = 4, while the straight line dips to about half
    m = vae.pretrained(16, 1.0)
    za, zb = m.encode_mean(digits.load("test")[0][[0, 5]])
    s, li = np.linalg.norm(vae.slerp(za, zb, 10), axis=1), np.linalg.norm(vae.lerp(za, zb, 10), axis=1)
    assert 2.6 < s.min() and s.max() < 2.9 and li[5] < 0.6 * s[5]


def test_kl_per_dimension_and_active_dimensions_of_the_shipped_d16_model(split):
    _, Xte, _ = split
    m = vae.pretrained(16, 1.0)
    u = m.latent_usage(Xte)
    assert u.kl_per_dim.shape == (16,) and (u.kl_per_dim >= 0).all()
    assert u.kl_per_dim.sum() == pytest.approx(m.evaluate(Xte).kl, abs=1e-3)  # the KL is a sum over dimensions
    assert u.rate == pytest.approx(m.metrics["test_kl"], abs=1e-3)
    assert 4 <= u.n_active <= 7 and (~u.active).sum() >= 9, u.kl_per_dim  # most of the 16 carry nothing (6 active measured)
    assert u.kl_per_dim[~u.active].max() < 0.007 and u.active_share > 0.99
    # the walk's endpoints are means, well inside the √d = 4 shell (2.33 measured); a sample z ~ q(z|x) fills it (16.8)
    assert u.median_mean_norm < 0.7 * 4.0
    assert abs(u.mean_sq_sample_norm - 16) < 2
    # rate = I_q(x; z) + KL(q(z) ‖ p(z)): the information is at most the rate and at most ln N (4.81 + 1.54 measured)
    assert 3.0 < u.mutual_info < min(u.rate, math.log(len(Xte)))
    assert u.marginal_kl > 0.5 and u.marginal_kl == pytest.approx(u.rate - u.mutual_info)


def test_information_follows_beta_on_the_2d_models(split):
    _, Xte, _ = split
    collapsed, loose = vae.pretrained(2, 8.0).latent_usage(Xte), vae.pretrained(2, 0.25).latent_usage(Xte)
    assert collapsed.n_active == 1 and collapsed.mutual_info < 0.1  # posterior collapse: one weak dimension, ~no information
    assert loose.n_active == 2 and loose.mutual_info > 4.0  # 4.66 measured, of a rate of 5.67
    assert loose.marginal_kl > 0.5  # small β: the codes' cloud drifts off the prior (1.0 measured, 0.33 at β = 1)


def test_information_estimate_on_codes_with_known_answers():
    rng = np.random.default_rng(0)
    n, d = 50, 3
    same = vae.latent_usage(np.zeros((n, d)), np.zeros((n, d)), n_samples=4)  # q(z|x) = N(0, I) for every x
    assert same.rate == 0 and abs(same.mutual_info) < 1e-9 and same.n_active == 0
    apart = vae.latent_usage(50.0 * rng.standard_normal((n, d)), np.full((n, d), -6.0), n_samples=4)  # tiny far-apart clouds
    assert apart.mutual_info == pytest.approx(math.log(n), abs=1e-6)  # z says exactly which x it came from: I = ln N
    # an overlapping case: KL(q(z) ‖ p(z)) estimated directly, E_{z~q(z)}[log q(z) − log p(z)], matches rate − I
    mu, lv = rng.standard_normal((n, 2)), np.log(rng.uniform(0.05, 0.5, (n, 2)))
    u = vae.latent_usage(mu, lv, n_samples=400, seed=1)
    assert 0.5 < u.mutual_info < math.log(n)
    k = rng.integers(0, n, 40000)
    z = mu[k] + np.exp(0.5 * lv[k]) * rng.standard_normal((len(k), 2))
    log_comp = -0.5 * (((z[:, None] - mu[None]) ** 2) / np.exp(lv)[None] + lv[None] + math.log(2 * math.pi)).sum(-1)
    log_qz = np.logaddexp.reduce(log_comp, axis=1) - math.log(n)
    log_pz = -0.5 * (z**2 + math.log(2 * math.pi)).sum(-1)
    assert float((log_qz - log_pz).mean()) == pytest.approx(u.marginal_kl, abs=0.03)


def test_grid_covers_the_square():
    g = vae.grid(3.0, 20)
    assert g.shape == (400, 2) and g.min() == -3.0 and g.max() == 3.0
    assert g[0, 1] == 3.0 and g[-1, 1] == -3.0  # first row at the top


def test_drawn_digits():
    blank = np.full((280, 280, 4), 0, np.uint8)
    with pytest.raises(InputError) as e:
        digits.from_canvas(blank)
    assert e.value.code == "blank_drawing"
    full = np.zeros((280, 280, 4), np.uint8)
    full[..., 3] = 255  # opaque black everywhere
    with pytest.raises(InputError) as e:
        digits.from_canvas(full)
    assert e.value.code == "full_drawing"
    img = np.full((280, 280, 4), 255, np.uint8)  # white paper
    img[40:240, 130:150, :3] = 0  # a black vertical bar: a "1"
    d = digits.from_canvas(img)
    assert d.shape == (1, 64) and d.max() == 16 and d.min() == 0
    assert d.reshape(8, 8)[:, 3:5].mean() > d.reshape(8, 8)[:, [0, 7]].mean() + 8


def test_far_latent_points_decode_to_implausible_images():
    m = vae.pretrained(2, 1.0)
    far = m.decode_probs(np.array([[40.0, -40.0]]))
    near = m.decode_probs(np.zeros((1, 2)))
    # far outside the prior, the decoder is extrapolating: its pixels become overconfident
    assert far.max(-1).mean() > near.max(-1).mean()
    assert math.isfinite(float(far.sum()))


def test_vq_vae_learns_and_uses_its_codebook(split):
    Xtr, Xte, yte = split
    tr = vae.vq.train(vae.vq.VQConfig(max_steps=300), seed=1)
    model, hist = tr.model, tr.history_
    assert np.mean(hist["recon"][-30:]) < np.mean(hist["recon"][:10]) - 20  # from the pixel marginals (~107)
    usage = model.usage(Xte)
    assert usage["used"] >= 24 and usage["perplexity"] > 12  # most codes used, none dominating
    codes = model.codes(Xte)
    assert codes.shape == (len(Xte), 4) and codes.min() >= 0 and codes.max() < 32
    acc = float((digits.classify(model.reconstruct(Xte)) == yte).mean())
    assert acc >= 0.6
    shipped = vae.vq.pretrained()
    assert shipped.recon_nll(Xte).mean() == pytest.approx(shipped.metrics["test_recon"], abs=0.05)
    # the page's bound: −log p(x) ≤ recon + S·ln K with a uniform prior over the K^S code combinations
    assert shipped.config.code_nats == pytest.approx(4 * math.log(32))
    assert shipped.metrics["test_neg_log_px_bound"] == pytest.approx(shipped.metrics["test_recon"] + shipped.config.code_nats, abs=1e-3)


def test_latent_plane_is_the_codes_in_2d_and_their_principal_components_above():
    rng = np.random.default_rng(0)
    flat = rng.standard_normal((50, 2)).astype(np.float32)
    p2 = vae.latent_plane(flat)
    np.testing.assert_array_equal(p2.shown, flat)
    np.testing.assert_array_equal(p2.to_latent(flat[:3]), flat[:3])
    np.testing.assert_array_equal(p2.explained, [1, 1])
    # 8D codes stretched along a known direction u (and a weaker one w), around a mean away from 0
    u, w = np.zeros(8), np.zeros(8)
    u[[0, 3]], w[5] = 1 / math.sqrt(2), 1.0
    t = rng.standard_normal((400, 2))
    codes = (2.0 + 5 * t[:, :1] * u + 2 * t[:, 1:] * w + 0.1 * rng.standard_normal((400, 8))).astype(np.float32)
    p = vae.latent_plane(codes)
    assert abs(p.components[0] @ u) > 0.999 and abs(p.components[1] @ w) > 0.999
    np.testing.assert_allclose(p.components @ p.components.T, np.eye(2), atol=1e-5)
    eig = np.sort(np.linalg.eigvalsh(np.cov(codes.T.astype(np.float64))))[::-1]
    np.testing.assert_allclose(p.explained, eig[:2] / eig.sum(), rtol=1e-3)  # the shares of variance of the top two axes
    assert 0.95 < p.explained.sum() < 1
    np.testing.assert_allclose(p.to_latent(np.zeros((1, 2)))[0], codes.mean(0), atol=1e-5)  # the plane's origin: the mean
    # back from the plane: each code's projection onto the two axes, the other directions at the mean
    back = p.to_latent(p.shown)
    np.testing.assert_allclose(back, p.mean + (codes - p.mean) @ p.components.T @ p.components, atol=1e-4)
    assert back.dtype == np.float32 and np.abs(back - codes).max() < 0.6


def test_log_prior_and_far_radius():
    from scipy import stats

    rng = np.random.default_rng(1)
    for d in (2, 8, 16):
        z = rng.normal(0, 2, (5, d))
        np.testing.assert_allclose(vae.log_prior(z), stats.multivariate_normal(np.zeros(d)).logpdf(z), rtol=1e-10)
        assert vae.log_prior(np.zeros((1, d)))[0] == pytest.approx(-d / 2 * math.log(2 * math.pi))
    # "far": P(‖z‖ > 4) = e⁻⁸ ≈ 3·10⁻⁴ in 2D; above, beyond the √d shell by as much, rarer still
    assert vae.far_radius(2) == 4.0 and stats.chi2.sf(4.0**2, 2) == pytest.approx(math.exp(-8))
    for d in (8, 16):
        assert vae.far_radius(d) == pytest.approx(4 + math.sqrt(d))
        assert stats.chi2.sf(vae.far_radius(d) ** 2, d) < stats.chi2.sf(16, 2) / 100
