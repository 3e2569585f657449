"""A toy page for tests/test_gan_cycle.py: the GAN page's CycleGAN section alone (no live GAN to build)."""

import streamlit as st

from ui import gan_cycle
from ui.shell import PageContext

st.set_page_config(layout="wide")  # as the app's pages
st.session_state["lang"] = st.query_params.get("lang", "en")  # what setup() does: ctx.md reads the session's language
ctx = PageContext("gan", st.session_state["lang"], int(st.query_params.get("seed", 0)))
gan_cycle.cycle_section(ctx)
