"""A toy page for tests/test_gan_variants.py: the GAN page's variant sections alone (no live GAN to build)."""

import streamlit as st

from ui import gan_variants
from ui.shell import PageContext

st.session_state["lang"] = st.query_params.get("lang", "en")  # what setup() does: ctx.md reads the session's language
ctx = PageContext("gan", st.session_state["lang"], 0)
gan_variants.truncation_section(ctx)
gan_variants.dcgan_section(ctx)
