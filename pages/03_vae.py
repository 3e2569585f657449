"""Page 3: a variational autoencoder on the 8×8 digits — its latent space, walks, β, bounds."""

import numpy as np
import streamlit as st

from engine.core.errors import InputError
from engine.data import digits
from engine.families import vae
from ui import plots_vae
from ui import vae_sections as sections
from ui import vae_edit as edit
from ui import vae_variants as variants
from ui.shell import section, setup, show_input_error
from ui.views_vae import axis_names, baseline, curves_figure, layer_shapes, model, reconstructions, test_bounds, warm_betas

ctx = setup("vae")
TABS = ("latent", "grid", "walk", "sample", "recon", "train", "vq", "vaegan", "edit")
PLOT_CFG = sections.PLOT_CFG


# ---------------------------------------------------------------------------- model choice

st.markdown(ctx.t("lead"))


@section
def model_view() -> None:
    """The model choice and everything drawn from it (the metrics, the architecture, the tabs): moving the architecture,
    the latent size, β or K reruns only this, not the page's frame, sidebar and explanations (a tab's own controls rerun
    only that tab, a fragment inside this one)."""
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
    X_test, y_test = digits.load("test")
    with st.spinner(ctx.t("model_loading", n=len(X_test))):  # the first view of a model scores the whole test set
        ev, neg_iwae = test_bounds(latent, beta, arch, k_iwae)
        R, rec_err, rec_pred = reconstructions(latent, beta, arch)

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
        title = ctx.t("arch_running", arch=ctx.t(f"archs.{arch}"), d=latent, n=ctx.num(M.n_params_, ","))
        st.graphviz_chart(plots_vae.architecture_dot(shapes, labels, title), width="stretch")
        st.caption(ctx.t("arch_caption"))

    axis = axis_names(latent, ctx.lang)
    tabs = ctx.tabs(TABS, [ctx.t(f"tab.{name}") for name in TABS], key="vae_tab")

    # ------------------------------------------------------------------------ latent space
    with tabs[0]:
        if tabs[0].open:  # lazy: only the open tab's content runs
            sections.latent_tab(ctx, M, latent, beta, arch, axis)

    # ------------------------------------------------------------------------ manifold grid
    with tabs[1]:
        if tabs[1].open:  # lazy: only the open tab's content runs
            sections.grid_tab(ctx, latent, beta, arch)

    # ------------------------------------------------------------------------ latent walk
    with tabs[2]:
        if tabs[2].open:  # lazy: only the open tab's content runs
            sections.walk_tab(ctx, M, latent, beta, arch)

    # ------------------------------------------------------------------------ sampling
    with tabs[3]:
        if tabs[3].open:  # lazy: only the open tab's content runs
            sections.sample_tab(ctx, M)

    # ------------------------------------------------------------------------ reconstructions
    with tabs[4]:
        if tabs[4].open:  # lazy: only the open tab's content runs
            sections.recon_tab(ctx, R, rec_err, rec_pred)

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

    # ------------------------------------------------------------------------ VAE-GAN
    with tabs[7]:
        if tabs[7].open:  # lazy: only the open tab's content runs
            variants.vaegan_section(ctx)

    # ------------------------------------------------------------------------ latent arithmetic (linked from other pages: ?tab=edit)
    with tabs[8]:
        if tabs[8].open:  # lazy: only the open tab's content runs
            edit.edit_section(ctx, latent, beta, arch)
    warm_betas(latent, arch, k_iwae, ctx.lang)  # the other shipped β, in the background: a move finds them ready


model_view()

st.divider()
for name in ("elbo", "kl_organises", "reparameterisation", "collapse", "autoencoders"):
    with st.expander(ctx.t(f"explain.{name}"), expanded=name == "elbo"):
        ctx.md(name)

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
