"""The README's two commands are what a newcomer copies: keep them true."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text("utf-8"))


def test_ci_runs_the_readme_test_command_verbatim():
    run_cmd, test_cmd = readme_commands()[:2]
    assert "pytest" in test_cmd and "requirements-dev.txt" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert test_cmd in ci.splitlines()


def test_readme_run_command_uses_the_project_files():
    run_cmd = readme_commands()[0]
    assert "requirements.txt" in run_cmd and "streamlit run streamlit_app.py" in run_cmd


def test_torch_is_pinned_to_the_cpu_build():
    reqs = (ROOT / "requirements.txt").read_text("utf-8")
    assert re.search(r"^torch==2\.13\.0$", reqs, re.M)
