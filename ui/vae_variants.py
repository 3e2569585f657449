"""The VAE page's VAE-GAN section (issue 18): VAE-GAN in miniature beside its plain-VAE twin.

``vaegan_section``: the shipped twin and VAE-GAN decode the same z side by side; their sharpness and the evaluation
page's digit metrics (FID, precision, recall, classes) beside the held-out digits'; and their reconstructions.
A section (``ui.shell.section``): its controls rerun it alone. Heading anchor ``vae-gan`` (the tab is ``?tab=vaegan``).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.data import digits
from engine.evaluation import vaegan as judged
from engine.families import vae
from ui import plots_vae
from ui.shell import PageContext, section

CHART = {"displaylogo": False}
ANCHOR = "vae-gan"
N_RECON = 12


# ---------------------------------------------------------------- cached engine calls (shared, read-only)

@st.cache_resource(max_entries=1, show_spinner=False)
def comparison() -> dict[str, judged.Judged]:
    """Both shipped models judged on the same 1,000 codes, and the held-out digits (once per process)."""
    return judged.compare()


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def paired_samples(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    plain, vg = vae.vaegan.pretrained("plain"), vae.vaegan.pretrained("vaegan")
    z = plain.prior_codes(n, seed)
    return plain.decode(z), vg.decode(z)


@st.cache_resource(max_entries=1, show_spinner=False)
def paired_reconstructions() -> tuple[np.ndarray, np.ndarray]:
    X = digits.load("test")[0][:N_RECON]
    return vae.vaegan.pretrained("plain").reconstruct(X), vae.vaegan.pretrained("vaegan").reconstruct(X)


# ---------------------------------------------------------------- VAE-GAN

@section
def vaegan_section(ctx: PageContext) -> None:
    st.subheader(ctx.t("vaegan.title"), anchor=ANCHOR)
    ctx.md("vaegan")
    c = vae.vaegan.pretrained("vaegan").config
    st.caption(ctx.t("vaegan.setup", pre=ctx.num(c.pretrain, ","), steps=ctx.num(c.steps, ","), gamma=ctx.num(c.gamma, "g"),
                     d=c.latent_dim, h=c.hidden, sigma=ctx.num(c.sigma, "g"), lr=ctx.num(c.lr_gan, "g")))
    a, b = st.columns([3, 1])
    n = a.select_slider(ctx.t("vaegan.n"), [8, 16, 24, 32, 48], 24, key=ctx.key("vaegan_n"))
    draws = ctx.state_key("vaegan_draws")
    if b.button(ctx.t("resample"), icon=":material/casino:", key="vaegan_resample"):
        st.session_state[draws] = st.session_state.get(draws, 0) + 1
    plain, vg = paired_samples(int(n), ctx.seed * 1000 + st.session_state.get(draws, 0))
    left, right = st.columns(2, gap="large")
    left.markdown(ctx.t("vaegan.plain_title"))
    ctx.chart(where=left, fig=plots_vae.digits_figure(plain, 8), key="vaegan_plain_fig", config=CHART)
    right.markdown(ctx.t("vaegan.vaegan_title"))
    ctx.chart(where=right, fig=plots_vae.digits_figure(vg, 8), key="vaegan_vg_fig", config=CHART)
    st.caption(ctx.t("vaegan.samples_caption"))

    with st.spinner(ctx.t("vaegan.computing")):
        res = comparison()
    st.markdown(ctx.t("vaegan.table_title", n=ctx.num(res["plain"].n, ",")))
    st.markdown(metrics_table(ctx, res))
    st.caption(ctx.t("vaegan.table_caption", n_real=ctx.num(res["real"].n, ",")))
    p, g, r = res["plain"], res["vaegan"], res["real"]
    st.markdown(ctx.t("vaegan.verdict", s_plain=ctx.num(p.sharpness, ".2f"), s_vg=ctx.num(g.sharpness, ".2f"),
                      s_real=ctx.num(r.sharpness, ".2f"), fid_plain=ctx.num(p.fid, ".2f"), fid_vg=ctx.num(g.fid, ".2f")))

    st.markdown(ctx.t("vaegan.recon_title"))
    X, y = digits.load("test")
    R_plain, R_vg = paired_reconstructions()
    labels = [ctx.t("digit", k=int(v)) for v in y[:N_RECON]]  # the first row's true labels; the title names the rows
    ctx.chart(plots_vae.digits_figure(np.vstack([X[:N_RECON], R_plain, R_vg]), N_RECON, labels), key="vaegan_recon_fig", config=CHART)
    st.caption(ctx.t("vaegan.recon_caption", acc_plain=ctx.num(vae.vaegan.pretrained("plain").metrics["recon_accuracy"], ".0%"),
                     acc_vg=ctx.num(vae.vaegan.pretrained("vaegan").metrics["recon_accuracy"], ".0%")))


def metrics_table(ctx: PageContext, res: dict[str, judged.Judged]) -> str:
    """The comparison as a Markdown table, numbers written the reader's way."""
    cols = ("sharpness", "fid", "precision", "recall", "classes")
    head = "| | " + " | ".join(ctx.t(f"vaegan.col.{c}") for c in cols) + " |"
    rows = [head, "|---" * (len(cols) + 1) + "|"]
    for name in ("plain", "vaegan", "real"):
        j = res[name]
        cells = [ctx.num(j.sharpness, ".2f"), ctx.num(j.fid, ".2f"), ctx.num(j.precision, ".2f"), ctx.num(j.recall, ".2f"),
                 f"{j.classes} / 10"]
        rows.append(f"| {ctx.t(f'vaegan.row_{name}')} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
