"""The layering rules: engine/ is headless, the home page never loads torch."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_engine_sources_never_mention_streamlit_imports():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "engine").rglob("*.py")
        if re.search(r"^\s*(import|from)\s+streamlit", p.read_text("utf-8"), re.M)
    ]
    assert offenders == []


def test_importing_every_engine_module_does_not_load_streamlit():
    modules = [f"engine.{p.stem}" for p in (ROOT / "engine").glob("*.py") if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n    importlib.import_module(m)\n"
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def _torch_loaded_after_rendering(script: str) -> str:
    code = (
        "import sys\n"
        "from tests.apptest_utils import open_page, problems\n"
        f"at = open_page({script!r}, 'en')\n"
        "print(problems(at), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_home_page_renders_without_torch():
    assert _torch_loaded_after_rendering("streamlit_app.py") == "[] False"


def test_pages_that_do_not_need_torch_do_not_load_it():
    from ui.registry import PAGES

    for page in PAGES:
        if not page.uses_torch:
            assert _torch_loaded_after_rendering(page.script) == "[] False", page.script
