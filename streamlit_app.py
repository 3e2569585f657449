"""Home page: what a generative model is, the map of pages, and how to use the app in class.

Run with ``streamlit run streamlit_app.py``. This page must stay light: no torch.
"""

import streamlit as st

from ui.registry import PAGES
from ui.shell import md, setup, t

MAP_CARD = "map_card_"  # key prefix of the map's cards: Streamlit gives each one the CSS class st-key-<key>

ctx = setup("home")
st.markdown(f"#### {t('home.tagline')}")
md("home", "intro")

st.header(t("home.map_title"))
# A card's title is a page link, which Streamlit keeps on one line and cuts with "…"; at 1024 px a card
# is ~175 px wide, so a title such as "Misturas de gaussianas e modelos ocultos de Markov" wraps instead.
st.html(
    f"<style>[class*='st-key-{MAP_CARD}'] [data-testid='stPageLink'] :is(span, div, p)"
    " { white-space: normal; overflow: visible; text-overflow: clip; line-height: 1.35; }</style>"
)
columns = st.columns(2, gap="medium")
for i, info in enumerate(PAGES):
    with columns[i % 2].container(border=True, key=f"{MAP_CARD}{info.key}"):
        st.caption(t(f"families.{info.family}").upper())
        st.page_link(info.script, label=t(f"{info.key}.title"), icon=info.icon, query_params={"lang": ctx.lang})
        st.markdown(t(f"{info.key}.summary") + ("" if info.ready else f"  \n*{t('common.soon')}*"))

st.header(t("home.class_title"))
md("home", "classroom")

st.header(t("home.resources_title"))
md("home", "resources")

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
