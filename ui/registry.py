"""The one list of pages. Navigation, the home page's map and the tests all read it.

Adding a page means adding one line here, a script in ``pages/``, its ``[<key>]``
section in both catalogues and its texts in ``assets/texts/<lang>/<key>/``.
"""

from __future__ import annotations

from dataclasses import dataclass

HOME_SCRIPT = "streamlit_app.py"


@dataclass(frozen=True)
class PageInfo:
    key: str  # the URL path (/key), the catalogue section and the texts folder
    script: str  # path from the repository root; its file name gives Streamlit the URL
    icon: str
    family: str  # catalogue key under [families]
    uses_torch: bool
    ready: bool = True  # False: the page says honestly that it is being built
    controls: bool = True  # False: a page of text only (no widget of its own, so no guided lesson and no settings in its link)


PAGES: tuple[PageInfo, ...] = (
    PageInfo("discriminative_vs_generative", "pages/01_discriminative_vs_generative.py", ":material/call_split:", "basics", False),
    PageInfo("mixtures_and_hmm", "pages/02_mixtures_and_hmm.py", ":material/bubble_chart:", "classic", False),
    PageInfo("vae", "pages/03_vae.py", ":material/compress:", "latent", True),
    PageInfo("gan", "pages/04_gan.py", ":material/swords:", "adversarial", True),
    PageInfo("diffusion", "pages/05_diffusion.py", ":material/blur_on:", "diffusion", True),
    PageInfo("token_sampling", "pages/06_token_sampling.py", ":material/text_fields:", "autoregressive", True),
    PageInfo("energy_based", "pages/07_energy_based.py", ":material/landscape:", "energy", True),
    PageInfo("evaluation", "pages/08_evaluation.py", ":material/straighten:", "evaluation", False),
    PageInfo("arena", "pages/09_arena.py", ":material/sports_score:", "evaluation", True),
    PageInfo("responsible_use", "pages/10_responsible_use.py", ":material/policy:", "practice", False, controls=False),
    PageInfo("applications", "pages/11_applications.py", ":material/lightbulb:", "uses", True),
)

BY_KEY = {p.key: p for p in PAGES}
