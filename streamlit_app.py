"""Home page: what a generative model is, the map of pages, and how to use the app in class.

Run with ``streamlit run streamlit_app.py``. This page must stay light: no torch.
"""

import streamlit as st

from ui.registry import PAGES
from ui.shell import md, setup, t

ctx = setup("home")
st.markdown(f"#### {t('home.tagline')}")
md("home", "intro")

st.header(t("home.map_title"))
columns = st.columns(2, gap="medium")
for i, info in enumerate(PAGES):
    with columns[i % 2].container(border=True):
        st.caption(t(f"families.{info.family}").upper())
        st.page_link(info.script, label=t(f"{info.key}.title"), icon=info.icon, query_params={"lang": ctx.lang})
        st.markdown(t(f"{info.key}.summary") + ("" if info.ready else f"  \n*{t('common.soon')}*"))

st.header(t("home.class_title"))
md("home", "classroom")
