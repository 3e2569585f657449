"""A toy page for tests/test_gan_progressive.py: the GAN page's progressive-growing section alone."""

import streamlit as st

from ui import gan_growing
from ui.shell import PageContext

st.session_state["lang"] = st.query_params.get("lang", "en")  # what setup() does: ctx.md reads the session's language
ctx = PageContext("gan", st.session_state["lang"], 0)
gan_growing.growing_section(ctx)
