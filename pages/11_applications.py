"""Page 11: what generative models are used for, measured in miniature on the shipped digits models.

Data augmentation (does a classifier that saw few real digits gain from generated ones? the verdict follows
the numbers), inpainting with the diffusion model (RePaint: fix the known pixels, denoise the rest), and the uses of generative models in science and engineering, each linked to the page of this
app that shows the idea. The sections live in ``ui/applications_sections.py``; the engine part in
``engine/applications``.
"""

import streamlit as st

from ui import applications_sections as sections
from ui.shell import guard, setup

ctx = setup("applications")
st.markdown(ctx.t("lead"))
with guard():
    sections.augmentation_section(ctx)
    sections.inpainting_section(ctx)
    sections.uses_section(ctx)
ctx.finish()
