"""Page 10: using generative models responsibly: synthetic media, memorisation, bias, provenance, a checklist.

A text page (no model runs here): each part is short, says what this app shows of it and where, and
cites its sources (``assets/texts/<lang>/responsible_use/*.md``).
"""

import streamlit as st

from ui.shell import guard, setup, t

ctx = setup("responsible_use")
PARTS = ("deepfakes", "memorisation", "bias", "provenance", "checklist")

st.markdown(ctx.t("lead"))
with guard():
    for part in PARTS:
        st.header(ctx.t(f"{part}_title"))
        ctx.md(part)
        if part == "memorisation":
            st.page_link("pages/08_evaluation.py", label=ctx.t("copy_link", tab=t("evaluation.tab.plane"), section=t("evaluation.memo_title")),
                         icon=":material/content_copy:", query_params={"lang": ctx.lang})
        if part == "bias":
            st.page_link("pages/04_gan.py", label=ctx.t("truncation_link", section=t("gan.trunc.title")), icon=":material/swords:",
                         query_params={"lang": ctx.lang})
