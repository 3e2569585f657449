"""Whole sections of the VAE page (pages/03_vae.py): the tabs (latent plane, grid, walk, samples, reconstructions,
live training, VQ-VAE).

Each takes the page's ``ctx`` and draws with the page's widget and session-state keys. A tab with its own controls is
a fragment: moving them reruns only that tab; the model choice above the tabs reruns the page's model section (a fragment
holding the metrics and every tab), the seed and the language the page.
"""

import numpy as np
import streamlit as st

from engine.core.errors import InputError
from engine.data import digits
from engine.families import vae
from ui import live_panel as live_panel_ui
from ui import charts, plots_vae
from ui import views_vae as views
from ui.shell import PageContext, guard, section, show_input_error

PLOT_CFG = {"displaylogo": False}
LIVE_LRS = (1e-3, 3e-3, 6e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0, 1000.0)
STEPS_PER_TICK = 40


def t_digit(ctx: PageContext, k) -> str:
    return ctx.t("digit", k=k)


# ---------------------------------------------------------------------------- the tabs: one fragment each
# A tab's own controls rerun only that tab; the page's model choice reruns the model section around the tabs (the seed and
# the language the page), and with it every fragment's arguments.

@section
def latent_tab(ctx: PageContext, M: vae.VAE, latent: int, beta: float, arch: str, axis: tuple[str, str]) -> None:
    with guard():
        X_test, y_test = digits.load("test")
        view = views.plane(latent, beta, arch)
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
            zp = views.plane_to_latent(np.array([[z1, z2]]), latent, beta, arch)
            img = M.decode_mean(zp)
            probs = M.decode_probs(zp)
            ctx.chart(views.digits_figure(img, 1, height=260, lang=ctx.lang), key="picked_fig", config=PLOT_CFG)
            radius = float(np.linalg.norm(zp))
            st.caption(ctx.t("pick_caption", r=radius, lp=float(vae.log_prior(zp)[0]), conf=float(probs.max(-1).mean()),
                             guess=int(digits.classify(img)[0])))
            if radius > vae.far_radius(latent):
                st.warning(ctx.t("far_warning", r=radius), icon=":material/warning:")
        with left:
            lim = views.plane_limit(view, (z1, z2))
            fig = charts.overlay(views.latent_figure(latent, beta, arch, lim, ctx.lang), [plots_vae.picked_trace(np.array([z1, z2]), ctx.t("picked"))])
            ctx.chart(fig, key="latent_fig", on_select="rerun", selection_mode="points", config=PLOT_CFG)
            st.caption(ctx.t("latent_caption") if latent == 2 else ctx.t("latent_caption_pca", d=latent, v=float(view.explained.sum())))
        use = views.usage(latent, beta, arch)
        rate, info = round(use.rate, 2), round(use.mutual_info, 2)  # shown to 2 decimals: the parts add up as shown
        st.markdown(ctx.t("usage_title"))
        u1, u2, u3, u4 = st.columns(4)
        u1.metric(ctx.t("m_active"), f"{use.n_active} / {latent}", help=ctx.t("m_active_help", thr=use.threshold))
        u2.metric(ctx.t("m_rate"), ctx.num(rate, ".2f"), help=ctx.t("m_kl_help"))
        u3.metric(ctx.t("m_info"), ctx.num(info, ".2f"), help=ctx.t("m_info_help"))
        u4.metric(ctx.t("m_marginal"), ctx.num(rate - info, ".2f"), help=ctx.t("m_marginal_help"))
        ctx.chart(views.kl_dims_figure(latent, beta, arch, ctx.lang), key="kl_dims_fig", config=PLOT_CFG, wide=True)
        st.caption(ctx.t("usage_caption", thr=use.threshold, n=use.n_active, d=latent, share=use.active_share))
        st.caption(ctx.t("usage_rate", rate=rate, info=info, gap=rate - info, n=len(X_test), max_info=views.info_ceiling()))


@section
def grid_tab(ctx: PageContext, latent: int, beta: float, arch: str) -> None:
    with guard():
        g1, g2 = st.columns(2)
        n_grid = g1.slider(ctx.t("grid_n"), 5, 25, 20, key=ctx.key("grid_n"))
        lim_grid = g2.slider(ctx.t("grid_lim"), 1.0, 8.0, 3.0, 0.5, key=ctx.key("grid_lim"), help=ctx.t("grid_lim_help"))
        ctx.chart(views.manifold_figure(latent, beta, arch, n_grid, lim_grid, ctx.lang), key="grid_fig", config=PLOT_CFG)
        st.caption(ctx.t("grid_caption", n=n_grid, lim=lim_grid) if latent == 2 else ctx.t("grid_caption_pca", n=n_grid, lim=lim_grid))
        if lim_grid > vae.PRIOR_FAR - 0.5:
            st.info(ctx.t("grid_far"), icon=":material/info:")


@section
def sample_tab(ctx: PageContext, M: vae.VAE) -> None:
    with guard():
        X_test = digits.load("test")[0]
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


@section
def recon_tab(ctx: PageContext, R: np.ndarray, rec_err: np.ndarray, rec_pred: np.ndarray) -> None:
    with guard():
        X_test, y_test = digits.load("test")
        r1, r2 = st.columns(2)
        n_r = r1.slider(ctx.t("n_recon"), 6, 24, 12, 2, key=ctx.key("n_recon"))
        order = r2.segmented_control(ctx.t("recon_order"), ["first", "worst", "best"], default="first", required=True,
                                     format_func=ctx.labeler("vae.orders"), key=ctx.key("recon_order"))
        idx = {"first": np.arange(n_r), "worst": np.argsort(-rec_err)[:n_r], "best": np.argsort(rec_err)[:n_r]}[order]
        st.markdown(ctx.t("originals"))
        ctx.chart(plots_vae.digits_figure(X_test[idx], n_r, [t_digit(ctx, int(y_test[i])) for i in idx]), key="orig_fig", config=PLOT_CFG)
        st.markdown(ctx.t("reconstructions"))
        caps = [f"{rec_err[i]:.0f} · {int(rec_pred[i])}" for i in idx]
        ctx.chart(plots_vae.digits_figure(R[idx], n_r, caps), key="recon_fig", config=PLOT_CFG)
        st.caption(ctx.t("recon_caption"))


# ---------------------------------------------------------------------------- latent walk


def walk_ends(ctx: PageContext, source: str) -> list[np.ndarray | None]:
    """The walk's two end images: test digits picked by index, or drawn on two canvases (None: not yet)."""
    X_test, y_test = digits.load("test")
    ends: list[np.ndarray | None] = [None, None]
    if source == "test":
        e1, e2 = st.columns(2)
        for j, col in enumerate((e1, e2)):
            idx = col.number_input(ctx.t("walk_index", j=j + 1), 0, len(X_test) - 1, (0, 5)[j], key=ctx.key(f"walk_idx{j}"),
                                   help=ctx.t("walk_index_help"))
            col.caption(ctx.t("walk_true_label", k=int(y_test[idx])))
            ends[j] = X_test[idx:idx + 1]
        return ends
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
    return ends


@section
def walk_tab(ctx: PageContext, M: vae.VAE, latent: int, beta: float, arch: str) -> None:
    """Walk from one code to another (straight or along an arc) and decode every step (its controls rerun only this tab)."""
    with guard():
        _walk_tab(ctx, M, latent, beta, arch)


def _walk_tab(ctx: PageContext, M: vae.VAE, latent: int, beta: float, arch: str) -> None:
    w1, w2, w3 = st.columns([2, 1.2, 1.2])
    source = w1.segmented_control(ctx.t("walk_source"), ["test", "drawn"], default="test", required=True,
                                  format_func=ctx.labeler("vae.sources"), key=ctx.key("walk_source"))
    methods = ["lerp", "slerp"] if latent > 2 else ["lerp"]
    if st.session_state.get(ctx.key("walk_method")) not in methods:
        st.session_state[ctx.key("walk_method")] = "lerp"
    method = w2.radio(ctx.t("walk_method"), methods, format_func=ctx.labeler("vae.methods"), key=ctx.key("walk_method"),
                      help=ctx.t("walk_method_help"))
    n_walk = w3.slider(ctx.t("walk_n"), 5, 16, 10, key=ctx.key("walk_n"))
    ends = walk_ends(ctx, source)
    if ends[0] is None or ends[1] is None:
        return
    za, zb = M.encode_mean(np.vstack(ends))
    path = (vae.slerp if method == "slerp" else vae.lerp)(za, zb, n_walk)
    frames = M.decode_mean(path)
    ts = np.linspace(0, 1, n_walk)
    ctx.chart(views.digits_figure(frames, n_walk, [f"t={ctx.num(t, '.2f')}" for t in ts], lang=ctx.lang), key="film_fig",
              config=PLOT_CFG)
    a1, a2 = st.columns([1, 1])
    with a1:
        ctx.chart(views.walk_animation(charts.digest(frames), tuple(ctx.num(t, ".2f") for t in ts), ctx.lang, frames),
                  key="walk_anim", config=PLOT_CFG)
    with a2:
        norms, mid = np.linalg.norm(path, axis=1), n_walk // 2
        use = views.usage(latent, beta, arch)
        st.markdown(ctx.t("walk_norms", a=norms[0], t=ts[mid], m=norms[mid], b=norms[-1], med=use.median_mean_norm,
                          typical=np.sqrt(latent)))
        if latent > 2:
            lm, sm = (float(np.linalg.norm(f(za, zb, n_walk)[mid])) for f in (vae.lerp, vae.slerp))
            st.markdown(ctx.t("walk_norms_paths", lm=lm, sm=sm, act=use.n_active, d=latent, e2=use.mean_sq_sample_norm))
        st.caption(ctx.t("walk_caption"))


# ---------------------------------------------------------------------------- live training


def live_panel(ctx: PageContext) -> None:
    """Widgets that set up a from-scratch training run, then the shared live-training panel."""
    final_key = ctx.state_key("final")

    def snapshot(tr: vae.Trainer, done: bool):
        """Under the trainer's lock: the curves, and once training is over its evaluation and samples."""
        h = {name: np.array(getattr(tr.history_, name)) for name in ("step", "recon", "kl")}
        if not done:
            return h, None, None
        memo = st.session_state.get(final_key)
        if memo is None or memo[0] is not tr or memo[1] != tr.step_:
            memo = st.session_state[final_key] = (tr, tr.step_, *views.final_evaluation(tr.model))
        return h, memo[2:], tr.model.sample(16, seed=ctx.seed)

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
        snapshot=snapshot, draw=lambda snap: live_draw(ctx, snap), idle=ctx.t("live_none"),
        labels={"start": ctx.t("train"), "resume": ctx.t("resume"), "pause": ctx.t("pause")},
        diverged_text=lambda step: ctx.t("diverged", step=step)))


def live_draw(ctx: PageContext, snap: live_panel_ui.Snapshot) -> None:
    h, final, samples = snap.page
    if len(h["step"]):
        # built again only when training moved on (a tick of a run queued for a slot, a pause's full run, another
        # control's rerun drew the same curves again: a tenth of the VAE page's server time under a class)
        slot, stamp = ctx.state_key("live_curves"), (snap.trainer, snap.step, len(h["step"]), ctx.lang)
        memo = st.session_state.get(slot)
        if memo is None or memo[0] != stamp:
            fig = plots_vae.loss_curves(h["step"], h["recon"], h["kl"], (ctx.t("recon_name"), ctx.t("kl_name")),
                                        ctx.t("step"), ctx.t("nats"), height=300)
            memo = st.session_state[slot] = (stamp, charts.freeze(fig, ctx.lang))
        ctx.chart(memo[1], key="live_curves", config=PLOT_CFG)
    if final is None:
        return
    ev, acc = final
    f1, f2, f3 = st.columns(3)
    f1.metric(ctx.t("m_neg_elbo"), ctx.num(ev.neg_elbo, ".1f"), help=ctx.t("m_neg_elbo_help"))
    f2.metric(ctx.t("m_acc"), ctx.num(acc, ".0%"), help=ctx.t("m_acc_help"))
    f3.metric(ctx.t("m_kl"), ctx.num(ev.kl, ".2f"), help=ctx.t("m_kl_help"))
    ok = ev.neg_elbo <= vae.QUALITY_BAR
    st.caption(ctx.t("live_bar_ok" if ok else "live_bar_miss", bar=vae.QUALITY_BAR, base=views.baseline()))
    st.markdown(ctx.t("live_samples"))
    ctx.chart(views.digits_figure(samples, 16, lang=ctx.lang), key="live_samples_fig", config=PLOT_CFG)


# ---------------------------------------------------------------------------- VQ-VAE


@section
def vq_panel(ctx: PageContext) -> None:
    """The VQ-VAE tab: its slot and code pickers rerun only this tab."""
    with guard():
        with st.spinner(ctx.t("vq_loading")):
            views.vq_view()
        _vq_panel(ctx)


def _vq_panel(ctx: PageContext) -> None:
    c = views.vq_model().config
    codes, usage, R, nll, pred = views.vq_view()
    X, y = digits.load("test")
    st.markdown(ctx.t("vq_lead", s=c.slots, k=c.codebook, d=c.code_dim))
    q1, q2, q3, q4 = st.columns(4)
    q1.metric(ctx.t("vq_used"), f"{usage['used']} / {c.codebook}", help=ctx.t("vq_used_help"))
    q2.metric(ctx.t("vq_perplexity"), ctx.num(usage['perplexity'], ".1f"), help=ctx.t("vq_perplexity_help"))
    q3.metric(ctx.t("vq_recon"), ctx.num(nll.mean(), ".1f"), help=ctx.t("vq_recon_help", s=c.slots, k=c.codebook,
                                                                      b=float(nll.mean()) + c.code_nats))
    q4.metric(ctx.t("m_acc"), ctx.num((pred == y).mean(), ".0%"), help=ctx.t("m_acc_help"))
    ctx.chart(views.vq_usage_figure(ctx.lang), key="vq_usage", config=PLOT_CFG)
    st.caption(ctx.t("vq_usage_caption"))
    v1, v2 = st.columns([2, 1])
    slot = v1.segmented_control(ctx.t("vq_slot"), list(range(c.slots)), default=0, required=True,
                                format_func=lambda j: ctx.t("vq_slot_n", j=j + 1), key=ctx.key("vq_slot"))
    top = int(np.argmax(np.bincount(codes[:, 0], minlength=c.codebook)))  # the most used code of the first slot
    code = v2.number_input(ctx.t("vq_pick_code"), 0, c.codebook - 1, top, key=ctx.key("vq_code"))
    who = np.flatnonzero(codes[:, slot] == code)
    if len(who):
        ctx.chart(plots_vae.digits_figure(X[who[:24]], 12, [t_digit(ctx, int(y[i])) for i in who[:24]]), key="vq_who", config=PLOT_CFG)
        st.caption(ctx.t("vq_who_caption", n=len(who), code=code, slot=slot + 1))
    else:
        st.info(ctx.t("vq_unused", code=code, slot=slot + 1), icon=":material/info:")
    n = 12
    st.markdown(ctx.t("vq_recon_title"))
    ctx.chart(plots_vae.digits_figure(np.vstack([X[:n], R[:n]]), n,
                                      [t_digit(ctx, int(v)) for v in y[:n]] + ["·".join(str(v) for v in codes[i]) for i in range(n)]),
              key="vq_recon_fig", config=PLOT_CFG)
    st.caption(ctx.t("vq_recon_caption"))
