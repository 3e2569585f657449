"""Page 3: a variational autoencoder on the 8×8 digits — its latent space, walks, β, bounds."""

import numpy as np
import streamlit as st

from engine.core.errors import InputError
from engine.data import digits
from engine.families import vae
from ui import plots_vae
from ui import vae_sections as sections
from ui.shell import guard, setup, show_input_error
from ui.views_vae import (axis_names, baseline, curves_figure, info_ceiling, kl_dims_figure, layer_shapes, manifold_figure,
                          model, plane, plane_to_latent, reconstructions, test_bounds, usage)

ctx = setup("vae")
TABS = ("latent", "grid", "walk", "sample", "recon", "train", "vq")
PLOT_CFG = sections.PLOT_CFG


# ---------------------------------------------------------------------------- model choice

st.markdown(ctx.t("lead"))
with guard():
    shipped = set(vae.available())
    c1, c2, c3, c4 = st.columns([1.7, 0.9, 1.8, 1.2])
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

    axis = axis_names(latent, ctx.lang)
    tabs = ctx.tabs(TABS, [ctx.t(f"tab.{name}") for name in TABS], key="vae_tab")

    # ------------------------------------------------------------------------ latent space
    with tabs[0]:
        if tabs[0].open:  # lazy: only the open tab's content runs
            view = plane(latent, beta, arch)
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
                st.caption(ctx.t("pick_caption", r=radius, lp=float(vae.log_prior(zp)[0]), conf=float(probs.max(-1).mean()),
                                 guess=int(digits.classify(img)[0])))
                if radius > vae.far_radius(latent):
                    st.warning(ctx.t("far_warning", r=radius), icon=":material/warning:")
            with left:
                # the view holds every test code and the picked point, however far it was typed
                lim = max(3.5, float(np.abs(view.shown).max()) * 1.05, max(abs(z1), abs(z2)) * 1.1)
                fig = plots_vae.latent_scatter(view.shown, y_test, X_test, axis, ctx.t("digit_legend"), lim, np.array([z1, z2]),
                                               ctx.t("picked"))
                ctx.chart(fig, key="latent_fig", on_select="rerun", selection_mode="points", config=PLOT_CFG)
                st.caption(ctx.t("latent_caption") if latent == 2 else ctx.t("latent_caption_pca", d=latent, v=float(view.explained.sum())))
            use = usage(latent, beta, arch)
            rate, info = round(use.rate, 2), round(use.mutual_info, 2)  # shown to 2 decimals: the parts add up as shown
            st.markdown(ctx.t("usage_title"))
            u1, u2, u3, u4 = st.columns(4)
            u1.metric(ctx.t("m_active"), f"{use.n_active} / {latent}", help=ctx.t("m_active_help", thr=use.threshold))
            u2.metric(ctx.t("m_rate"), ctx.num(rate, ".2f"), help=ctx.t("m_kl_help"))
            u3.metric(ctx.t("m_info"), ctx.num(info, ".2f"), help=ctx.t("m_info_help"))
            u4.metric(ctx.t("m_marginal"), ctx.num(rate - info, ".2f"), help=ctx.t("m_marginal_help"))
            ctx.chart(kl_dims_figure(latent, beta, arch, ctx.lang), key="kl_dims_fig", config=PLOT_CFG)
            st.caption(ctx.t("usage_caption", thr=use.threshold, n=use.n_active, d=latent, share=use.active_share))
            st.caption(ctx.t("usage_rate", rate=rate, info=info, gap=rate - info, n=len(X_test), max_info=info_ceiling()))

    # ------------------------------------------------------------------------ manifold grid
    with tabs[1]:
        if tabs[1].open:  # lazy: only the open tab's content runs
            g1, g2 = st.columns(2)
            n_grid = g1.slider(ctx.t("grid_n"), 5, 25, 20, key=ctx.key("grid_n"))
            lim_grid = g2.slider(ctx.t("grid_lim"), 1.0, 8.0, 3.0, 0.5, key=ctx.key("grid_lim"), help=ctx.t("grid_lim_help"))
            ctx.chart(manifold_figure(latent, beta, arch, n_grid, lim_grid, ctx.lang), key="grid_fig", config=PLOT_CFG)
            st.caption(ctx.t("grid_caption", n=n_grid, lim=lim_grid) if latent == 2 else ctx.t("grid_caption_pca", n=n_grid, lim=lim_grid))
            if lim_grid > vae.PRIOR_FAR - 0.5:
                st.info(ctx.t("grid_far"), icon=":material/info:")

    # ------------------------------------------------------------------------ latent walk
    with tabs[2]:
        if tabs[2].open:  # lazy: only the open tab's content runs
            sections.walk_tab(ctx, M, latent, beta, arch)

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
            ctx.chart(plots_vae.digits_figure(X_test[idx], n_r, [sections.t_digit(ctx, int(y_test[i])) for i in idx]), key="orig_fig", config=PLOT_CFG)
            st.markdown(ctx.t("reconstructions"))
            caps = [f"{rec_err[i]:.0f} · {int(rec_pred[i])}" for i in idx]
            ctx.chart(plots_vae.digits_figure(R[idx], n_r, caps), key="recon_fig", config=PLOT_CFG)
            st.caption(ctx.t("recon_caption"))

    # ------------------------------------------------------------------------ training
    with tabs[5]:
        if tabs[5].open:  # lazy: only the open tab's content runs
            st.markdown(ctx.t("curves_title", arch=ctx.t(f"archs.{arch}"), d=latent, beta=ctx.num(beta, "g")))
            ctx.chart(curves_figure(latent, beta, arch, ctx.lang), key="curves_fig", config=PLOT_CFG)
            st.caption(ctx.t("curves_caption"))
            st.divider()
            st.subheader(ctx.t("live_title"))
            st.caption(ctx.t("live_caption"))
            sections.live_panel(ctx)

    # ------------------------------------------------------------------------ VQ-VAE
    with tabs[6]:
        if tabs[6].open:  # lazy: only the open tab's content runs
            sections.vq_panel(ctx)

st.divider()
for name in ("elbo", "kl_organises", "reparameterisation", "collapse", "autoencoders"):
    with st.expander(ctx.t(f"explain.{name}"), expanded=name == "elbo"):
        ctx.md(name)

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
