"""Page 3: a variational autoencoder on the 8×8 digits — its latent space, walks, β, bounds."""

import numpy as np
import streamlit as st

from engine.core.errors import InputError
from engine.data import digits
from engine.families import vae
from ui import live_panel as live_panel_ui
from ui import plots_vae
from ui.shell import guard, setup, show_input_error

ctx = setup("vae")
TABS = ("latent", "grid", "walk", "sample", "recon", "train", "vq")
FAR = 4.0  # beyond this radius the N(0, I) prior has almost no mass (P(‖z‖ > 4) ≈ 3·10⁻⁴ in 2D)
PLOT_CFG = {"displaylogo": False}


# ---------------------------------------------------------------------------- cached engine calls


@st.cache_resource(max_entries=16, show_spinner=False)
def model(latent: int, beta: float, arch: str) -> vae.VAE:
    return vae.pretrained(latent, beta, arch)  # read-only, shared: inference only


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def codes(latent: int, beta: float, arch: str):
    """μ of every test digit, and a 2D view of it (itself, or its PCA projection)."""
    X, y = digits.load("test")
    mu = model(latent, beta, arch).encode_mean(X)
    if latent == 2:
        return mu, mu, np.zeros(2, np.float32), np.eye(2, dtype=np.float32), np.ones(2)
    mean = mu.mean(0)
    _, s, vt = np.linalg.svd(mu - mean, full_matrices=False)
    var = s**2 / (s**2).sum()
    return mu, (mu - mean) @ vt[:2].T, mean, vt[:2], var[:2]


def plane_to_latent(P: np.ndarray, latent: int, beta: float, arch: str) -> np.ndarray:
    """A point of the shown plane back to z: itself in 2D, mean + p·(first two PCs) above."""
    _, _, mean, comps, _ = codes(latent, beta, arch)
    return (mean + np.asarray(P, np.float32) @ comps).astype(np.float32)


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


def t_digit(k) -> str:
    return ctx.t("digit", k=k)


# ---------------------------------------------------------------------------- live training

LIVE_LRS = (1e-3, 3e-3, 6e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0, 1000.0)
STEPS_PER_TICK = 40
FINAL = ctx.state_key("final")


def live_panel() -> None:
    """Widgets that set up a from-scratch training run, then the shared live-training panel."""
    l1, l2, l3, l4 = st.columns(4)
    d = l1.selectbox(ctx.t("latent"), list(vae.LATENT_DIMS), key=ctx.key("live_latent"))
    b = l2.select_slider(ctx.t("beta"), list(vae.BETAS), value=1.0, key=ctx.key("live_beta"), format_func=lambda v: ctx.num(v, "g"))
    lr = l3.select_slider(ctx.t("lr"), list(LIVE_LRS), value=6e-3, key=ctx.key("live_lr"), format_func=lambda v: ctx.num(v, "g"),
                          help=ctx.t("lr_help"))
    n = l4.select_slider(ctx.t("live_steps"), [100, 200, 400, 800], value=400, key=ctx.key("live_steps"), help=ctx.t("live_steps_help"))
    seed = ctx.seed
    live_panel_ui.show(live_panel_ui.Panel(
        ctx, "vae", lambda reset: vae.Trainer(vae.VAEConfig(latent_dim=d, beta=b, lr=lr, max_steps=n), seed=seed),
        data=digits.load("train")[0], settings=(d, b, lr, n, seed), lazy=True, steps_per_tick=STEPS_PER_TICK,
        snapshot=live_snapshot, draw=live_draw, idle=ctx.t("live_none"),
        labels={"start": ctx.t("train"), "resume": ctx.t("resume"), "pause": ctx.t("pause")},
        diverged_text=lambda step: ctx.t("diverged", step=step)))


def live_snapshot(tr: vae.Trainer, done: bool):
    """Under the trainer's lock: the curves, and once training is over its evaluation and samples."""
    h = {name: np.array(getattr(tr.history_, name)) for name in ("step", "recon", "kl")}
    if not done:
        return h, None, None
    memo = st.session_state.get(FINAL)
    if memo is None or memo[0] is not tr or memo[1] != tr.step_:
        X, y = digits.load("test")
        ev = tr.model.evaluate(X, n_samples=8, seed=0)
        memo = st.session_state[FINAL] = (tr, tr.step_, ev, float((digits.classify(tr.model.reconstruct(X)) == y).mean()))
    return h, memo[2:], tr.model.sample(16, seed=ctx.seed)


def live_draw(snap: live_panel_ui.Snapshot) -> None:
    h, final, samples = snap.page
    if len(h["step"]):
        ctx.chart(plots_vae.loss_curves(h["step"], h["recon"], h["kl"], (ctx.t("recon_name"), ctx.t("kl_name")),
                                        ctx.t("step"), ctx.t("nats"), height=300), key="live_curves", config=PLOT_CFG)
    if final is None:
        return
    ev, acc = final
    f1, f2, f3 = st.columns(3)
    f1.metric(ctx.t("m_neg_elbo"), ctx.num(ev.neg_elbo, ".1f"), help=ctx.t("m_neg_elbo_help"))
    f2.metric(ctx.t("m_acc"), ctx.num(acc, ".0%"), help=ctx.t("m_acc_help"))
    f3.metric(ctx.t("m_kl"), ctx.num(ev.kl, ".2f"), help=ctx.t("m_kl_help"))
    ok = ev.neg_elbo <= vae.QUALITY_BAR
    st.caption(ctx.t("live_bar_ok" if ok else "live_bar_miss", bar=vae.QUALITY_BAR, base=baseline()))
    st.markdown(ctx.t("live_samples"))
    ctx.chart(plots_vae.digits_figure(samples, 16), key="live_samples_fig", config=PLOT_CFG)


# ---------------------------------------------------------------------------- VQ-VAE


def vq_panel() -> None:
    VQ = vq_model()
    c = VQ.config
    codes, usage, R, nll, pred = vq_view()
    X, y = digits.load("test")
    st.markdown(ctx.t("vq_lead", s=c.slots, k=c.codebook, d=c.code_dim))
    q1, q2, q3, q4 = st.columns(4)
    q1.metric(ctx.t("vq_used"), f"{usage['used']} / {c.codebook}", help=ctx.t("vq_used_help"))
    q2.metric(ctx.t("vq_perplexity"), ctx.num(usage['perplexity'], ".1f"), help=ctx.t("vq_perplexity_help"))
    q3.metric(ctx.t("vq_recon"), ctx.num(nll.mean(), ".1f"), help=ctx.t("vq_recon_help", s=c.slots, k=c.codebook,
                                                                      b=nll.mean() + c.slots * np.log(c.codebook)))
    q4.metric(ctx.t("m_acc"), ctx.num((pred == y).mean(), ".0%"), help=ctx.t("m_acc_help"))
    ctx.chart(plots_vae.code_usage(codes, c.codebook, ctx.t("vq_code"), ctx.t("vq_count"), ctx.t("vq_slot_n")),
                    key="vq_usage", config=PLOT_CFG)
    st.caption(ctx.t("vq_usage_caption"))
    v1, v2 = st.columns([2, 1])
    slot = v1.segmented_control(ctx.t("vq_slot"), list(range(c.slots)), default=0, required=True,
                                format_func=lambda j: ctx.t("vq_slot_n", j=j + 1), key=ctx.key("vq_slot"))
    top = int(np.argmax(np.bincount(codes[:, 0], minlength=c.codebook)))
    code = v2.number_input(ctx.t("vq_pick_code"), 0, c.codebook - 1, top, key=ctx.key("vq_code"))
    who = np.flatnonzero(codes[:, slot] == code)
    if len(who):
        ctx.chart(plots_vae.digits_figure(X[who[:24]], 12, [t_digit(int(y[i])) for i in who[:24]]), key="vq_who", config=PLOT_CFG)
        st.caption(ctx.t("vq_who_caption", n=len(who), code=code, slot=slot + 1))
    else:
        st.info(ctx.t("vq_unused", code=code, slot=slot + 1), icon=":material/info:")
    n = 12
    st.markdown(ctx.t("vq_recon_title"))
    ctx.chart(plots_vae.digits_figure(np.vstack([X[:n], R[:n]]), n,
                                            [t_digit(int(v)) for v in y[:n]] + ["·".join(str(v) for v in codes[i]) for i in range(n)]),
                    key="vq_recon_fig", config=PLOT_CFG)
    st.caption(ctx.t("vq_recon_caption"))


# ---------------------------------------------------------------------------- model choice

st.markdown(ctx.t("lead"))
with guard():
    shipped = set(vae.available())
    c1, c2, c3, c4 = st.columns([1.2, 1, 2, 1.2])
    arch = c1.segmented_control(ctx.t("arch"), list(vae.ARCHS), default="mlp", format_func=ctx.labeler("vae.archs"),
                                key=ctx.key("arch"), required=True)
    dims = sorted({d for d, b, a in shipped if a == arch})
    if st.session_state.get(ctx.key("latent"), dims[0]) not in dims:
        st.session_state[ctx.key("latent")] = dims[0]
    latent = c2.selectbox(ctx.t("latent"), dims, key=ctx.key("latent"), help=ctx.t("latent_help") if len(dims) > 1 else ctx.t("latent_conv_help"))
    betas = sorted(b for d, b, a in shipped if d == latent and a == arch)
    if ctx.key("beta") in st.session_state and st.session_state[ctx.key("beta")] not in betas:
        st.session_state[ctx.key("beta")] = 1.0
    beta = c3.select_slider(ctx.t("beta"), betas, value=1.0, key=ctx.key("beta"), disabled=len(betas) < 2,
                            format_func=lambda b: ctx.num(b, "g"), help=ctx.t("beta_help") if len(betas) > 1 else ctx.t("beta_only_one"))
    k_iwae = c4.select_slider(ctx.t("iwae_k"), [1, 5, 10, 50], value=10, key=ctx.key("iwae_k"), help=ctx.t("iwae_k_help"))
    try:
        M = model(latent, beta, arch)
    except InputError as err:
        show_input_error(err)
        st.stop()
    ev, neg_iwae = test_bounds(latent, beta, arch, k_iwae)
    R, rec_err, rec_pred = reconstructions(latent, beta, arch)
    X_test, y_test = digits.load("test")

    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric(ctx.t("m_neg_elbo"), ctx.num(ev.neg_elbo, ".1f"), help=ctx.t("m_neg_elbo_help"))
    m2.metric(ctx.t("m_recon"), ctx.num(ev.recon, ".1f"), help=ctx.t("m_recon_help"))
    m3.metric(ctx.t("m_kl"), ctx.num(ev.kl, ".2f"), help=ctx.t("m_kl_help"))
    m4.metric(ctx.t("m_iwae", k=k_iwae), ctx.num(neg_iwae, ".1f"), delta=ctx.num(neg_iwae - ev.neg_elbo, "+.2f"), delta_color="inverse",
              help=ctx.t("m_iwae_help"))
    m5.metric(ctx.t("m_acc"), ctx.num((rec_pred == y_test).mean(), ".0%"), help=ctx.t("m_acc_help"))
    st.caption(ctx.t("metrics_caption", base=baseline()))

    with st.expander(ctx.t("arch_title"), icon=":material/account_tree:"):
        shapes = layer_shapes(M.config)
        labels = {n: ctx.t(f"layers.{n.split('.', 1)[1]}") for n, _ in shapes if "." in n} | {n: ctx.t(f"layers.{n}") for n in ("x", "logits")}
        title = ctx.t("arch_running", arch=ctx.t(f"archs.{arch}"), d=latent, beta=ctx.num(beta, "g"), n=ctx.num(M.n_params_, ","))
        st.graphviz_chart(plots_vae.architecture_dot(shapes, labels, title), width="stretch")
        st.caption(ctx.t("arch_caption"))

    axis = ("z₁", "z₂") if latent == 2 else (ctx.t("pc", i=1), ctx.t("pc", i=2))
    tabs = st.tabs([ctx.t(f"tab.{name}") for name in TABS], key="vae_tab", on_change="rerun")

    # ------------------------------------------------------------------------ latent space
    with tabs[0]:
        if tabs[0].open:  # lazy: only the open tab's content runs
            Z, Z2, _, _, var = codes(latent, beta, arch)
            kz1, kz2, ksel = ctx.key("pick_z1"), ctx.key("pick_z2"), ctx.state_key("last_click")
            sel = st.session_state.get("latent_fig")
            pts = (sel or {}).get("selection", {}).get("points", []) if sel else []
            if pts:  # a click in the plane: move the picked point there (before the inputs are drawn)
                p = (round(float(pts[0]["x"]), 2), round(float(pts[0]["y"]), 2))
                if st.session_state.get(ksel) != p:
                    st.session_state[ksel] = p
                    st.session_state[kz1], st.session_state[kz2] = p
            left, right = st.columns([3, 2], gap="large")
            with right:
                st.markdown(ctx.t("pick_title"))
                a, b = st.columns(2)
                z1 = a.number_input(axis[0], -50.0, 50.0, 0.0, 0.25, key=kz1)
                z2 = b.number_input(axis[1], -50.0, 50.0, 0.0, 0.25, key=kz2)
                zp = plane_to_latent(np.array([[z1, z2]]), latent, beta, arch)
                img = M.decode_mean(zp)
                probs = M.decode_probs(zp)
                ctx.chart(plots_vae.digits_figure(img, 1, height=260), key="picked_fig", config=PLOT_CFG)
                radius = float(np.linalg.norm(zp))
                log_prior = float(-0.5 * (zp**2).sum() - 0.5 * latent * np.log(2 * np.pi))
                st.caption(ctx.t("pick_caption", r=radius, lp=log_prior, conf=float(probs.max(-1).mean()),
                                 guess=int(digits.classify(img)[0])))
                if radius > FAR + (np.sqrt(latent) if latent > 2 else 0):
                    st.warning(ctx.t("far_warning", r=radius), icon=":material/warning:")
            with left:
                # the view holds every test code and the picked point, however far it was typed
                lim = max(3.5, float(np.abs(Z2).max()) * 1.05, max(abs(z1), abs(z2)) * 1.1)
                fig = plots_vae.latent_scatter(Z2, y_test, X_test, axis, ctx.t("digit_legend"), lim, np.array([z1, z2]),
                                               ctx.t("picked"))
                ctx.chart(fig, key="latent_fig", on_select="rerun", selection_mode="points", config=PLOT_CFG)
                st.caption(ctx.t("latent_caption") if latent == 2 else ctx.t("latent_caption_pca", d=latent, v=float(var.sum())))
            use = usage(latent, beta, arch)
            rate, info = round(use.rate, 2), round(use.mutual_info, 2)  # shown to 2 decimals: the parts add up as shown
            st.markdown(ctx.t("usage_title"))
            u1, u2, u3, u4 = st.columns(4)
            u1.metric(ctx.t("m_active"), f"{use.n_active} / {latent}", help=ctx.t("m_active_help", thr=use.threshold))
            u2.metric(ctx.t("m_rate"), ctx.num(rate, ".2f"), help=ctx.t("m_kl_help"))
            u3.metric(ctx.t("m_info"), ctx.num(info, ".2f"), help=ctx.t("m_info_help"))
            u4.metric(ctx.t("m_marginal"), ctx.num(rate - info, ".2f"), help=ctx.t("m_marginal_help"))
            ctx.chart(plots_vae.kl_per_dim_figure(use.kl_per_dim, use.threshold, ctx.t("dimension"), ctx.t("kl_dim_axis"), ctx.t("nats"),
                                                  (ctx.t("active"), ctx.t("inactive")), ctx.t("threshold_label", thr=use.threshold)),
                      key="kl_dims_fig", config=PLOT_CFG)
            st.caption(ctx.t("usage_caption", thr=use.threshold, n=use.n_active, d=latent, share=use.active_share))
            st.caption(ctx.t("usage_rate", rate=rate, info=info, gap=rate - info, n=len(X_test), max_info=float(np.log(len(X_test)))))

    # ------------------------------------------------------------------------ manifold grid
    with tabs[1]:
        if tabs[1].open:  # lazy: only the open tab's content runs
            g1, g2 = st.columns(2)
            n_grid = g1.slider(ctx.t("grid_n"), 5, 25, 20, key=ctx.key("grid_n"))
            lim_grid = g2.slider(ctx.t("grid_lim"), 1.0, 8.0, 3.0, 0.5, key=ctx.key("grid_lim"), help=ctx.t("grid_lim_help"))
            imgs = manifold(latent, beta, arch, n_grid, lim_grid)
            ctx.chart(plots_vae.manifold_figure(imgs, n_grid, lim_grid, axis), key="grid_fig", config=PLOT_CFG)
            st.caption(ctx.t("grid_caption", n=n_grid, lim=lim_grid) if latent == 2 else ctx.t("grid_caption_pca", n=n_grid, lim=lim_grid))
            if lim_grid > FAR - 0.5:
                st.info(ctx.t("grid_far"), icon=":material/info:")

    # ------------------------------------------------------------------------ latent walk
    with tabs[2]:
        if tabs[2].open:  # lazy: only the open tab's content runs
            w1, w2, w3 = st.columns([2, 1.2, 1.2])
            source = w1.segmented_control(ctx.t("walk_source"), ["test", "drawn"], default="test", required=True,
                                          format_func=ctx.labeler("vae.sources"), key=ctx.key("walk_source"))
            methods = ["lerp", "slerp"] if latent > 2 else ["lerp"]
            if st.session_state.get(ctx.key("walk_method")) not in methods:
                st.session_state[ctx.key("walk_method")] = "lerp"
            method = w2.radio(ctx.t("walk_method"), methods, format_func=ctx.labeler("vae.methods"), key=ctx.key("walk_method"),
                              help=ctx.t("walk_method_help"))
            n_walk = w3.slider(ctx.t("walk_n"), 5, 16, 10, key=ctx.key("walk_n"))
            ends: list[np.ndarray | None] = [None, None]
            if source == "test":
                e1, e2 = st.columns(2)
                for j, col in enumerate((e1, e2)):
                    idx = col.number_input(ctx.t("walk_index", j=j + 1), 0, len(X_test) - 1, (0, 5)[j], key=ctx.key(f"walk_idx{j}"),
                                           help=ctx.t("walk_index_help"))
                    col.caption(ctx.t("walk_true_label", k=int(y_test[idx])))
                    ends[j] = X_test[idx:idx + 1]
            else:
                from ui.canvas import st_canvas

                st.caption(ctx.t("draw_help"))
                e1, e2 = st.columns(2)
                for j, col in enumerate((e1, e2)):
                    with col:
                        st.markdown(ctx.t("walk_drawn", j=j + 1))
                        res = st_canvas(stroke_width=16, stroke_color="#000000", background_color="#FFFFFF", height=200, width=200,
                                        drawing_mode="freedraw", return_image_data=True, key=f"vae_canvas_{j}")
                        objects = ((res.json_data or {}).get("objects") or []) if res is not None else []
                        if not objects:  # nothing drawn yet: invite, do not scold
                            st.info(ctx.t("draw_prompt"), icon=":material/draw:")
                            continue
                        try:
                            data = res.image_data
                        except Exception:  # the canvas has not sent its pixels yet
                            data = None
                        try:
                            if data is None:
                                raise InputError("blank_drawing")
                            ends[j] = digits.from_canvas(data)
                            ctx.chart(plots_vae.digits_figure(ends[j], 1, height=130), key=f"drawn_fig{j}", config=PLOT_CFG)
                        except InputError as err:
                            show_input_error(err)
            if ends[0] is not None and ends[1] is not None:
                za, zb = M.encode_mean(np.vstack(ends))
                path = (vae.slerp if method == "slerp" else vae.lerp)(za, zb, n_walk)
                frames = M.decode_mean(path)
                ts = np.linspace(0, 1, n_walk)
                ctx.chart(plots_vae.digits_figure(frames, n_walk, [f"t={ctx.num(t, '.2f')}" for t in ts]), key="film_fig", config=PLOT_CFG)
                a1, a2 = st.columns([1, 1])
                with a1:
                    ctx.chart(plots_vae.walk_animation(frames, "t", ctx.t("play"), ctx.t("pause"), [ctx.num(t, ".2f") for t in ts]), key="walk_anim", config=PLOT_CFG)
                with a2:
                    norms, mid = np.linalg.norm(path, axis=1), n_walk // 2
                    use = usage(latent, beta, arch)
                    st.markdown(ctx.t("walk_norms", a=norms[0], t=ts[mid], m=norms[mid], b=norms[-1], med=use.median_mean_norm,
                                      typical=np.sqrt(latent)))
                    if latent > 2:
                        lm, sm = (float(np.linalg.norm(f(za, zb, n_walk)[mid])) for f in (vae.lerp, vae.slerp))
                        st.markdown(ctx.t("walk_norms_paths", lm=lm, sm=sm, act=use.n_active, d=latent, e2=use.mean_sq_sample_norm))
                    st.caption(ctx.t("walk_caption"))

    # ------------------------------------------------------------------------ sampling
    with tabs[3]:
        if tabs[3].open:  # lazy: only the open tab's content runs
            s1, s2, s3 = st.columns([1.5, 1.5, 1])
            n_s = s1.slider(ctx.t("n_samples"), 8, 48, 24, 8, key=ctx.key("n_samples"))
            pixels = s2.toggle(ctx.t("sample_pixels"), key=ctx.key("sample_pixels"), help=ctx.t("sample_pixels_help"))
            draws = ctx.state_key("draws")
            if s3.button(ctx.t("resample"), icon=":material/casino:", key="vae_resample"):
                st.session_state[draws] = st.session_state.get(draws, 0) + 1
            seed = ctx.seed * 1000 + st.session_state.get(draws, 0)
            samples = M.sample(n_s, seed=seed, pixels=pixels)
            real = X_test[np.random.default_rng(seed).choice(len(X_test), n_s, replace=False)]
            l, r = st.columns(2)
            l.markdown(ctx.t("samples_title"))
            ctx.chart(where=l, fig=plots_vae.digits_figure(samples, 8), key="samples_fig", config=PLOT_CFG)
            r.markdown(ctx.t("real_title"))
            ctx.chart(where=r, fig=plots_vae.digits_figure(real, 8), key="real_fig", config=PLOT_CFG)
            st.caption(ctx.t("sample_caption"))

    # ------------------------------------------------------------------------ reconstructions
    with tabs[4]:
        if tabs[4].open:  # lazy: only the open tab's content runs
            r1, r2 = st.columns(2)
            n_r = r1.slider(ctx.t("n_recon"), 6, 24, 12, 2, key=ctx.key("n_recon"))
            order = r2.segmented_control(ctx.t("recon_order"), ["first", "worst", "best"], default="first", required=True,
                                         format_func=ctx.labeler("vae.orders"), key=ctx.key("recon_order"))
            idx = {"first": np.arange(n_r), "worst": np.argsort(-rec_err)[:n_r], "best": np.argsort(rec_err)[:n_r]}[order]
            st.markdown(ctx.t("originals"))
            ctx.chart(plots_vae.digits_figure(X_test[idx], n_r, [t_digit(int(y_test[i])) for i in idx]), key="orig_fig", config=PLOT_CFG)
            st.markdown(ctx.t("reconstructions"))
            caps = [f"{rec_err[i]:.0f} · {int(rec_pred[i])}" for i in idx]
            ctx.chart(plots_vae.digits_figure(R[idx], n_r, caps), key="recon_fig", config=PLOT_CFG)
            st.caption(ctx.t("recon_caption"))

    # ------------------------------------------------------------------------ training
    with tabs[5]:
        if tabs[5].open:  # lazy: only the open tab's content runs
            st.markdown(ctx.t("curves_title", arch=ctx.t(f"archs.{arch}"), d=latent, beta=ctx.num(beta, "g")))
            cv = M.curves
            ctx.chart(plots_vae.loss_curves(cv["curve_step"], cv["curve_recon"], cv["curve_kl"], (ctx.t("recon_name"), ctx.t("kl_name")),
                                                  ctx.t("step"), ctx.t("nats"), beta if beta != 1 else None, ctx.t("beta_kl_name", beta=ctx.num(beta, "g"))),
                            key="curves_fig", config=PLOT_CFG)
            st.caption(ctx.t("curves_caption"))
            st.divider()
            st.subheader(ctx.t("live_title"))
            st.caption(ctx.t("live_caption"))
            live_panel()

    # ------------------------------------------------------------------------ VQ-VAE
    with tabs[6]:
        if tabs[6].open:  # lazy: only the open tab's content runs
            vq_panel()

st.divider()
for name in ("elbo", "kl_organises", "reparameterisation", "collapse", "autoencoders"):
    with st.expander(ctx.t(f"explain.{name}"), expanded=name == "elbo"):
        ctx.md(name)
