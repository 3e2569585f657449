"""ui.prewarm: the first run starts one background warm-up, which imports what the pages need and never raises."""

import ast
import logging
import sys
import threading
from pathlib import Path

from tests.apptest_utils import assert_clean, open_page
from ui import heap, prewarm

ROOT = Path(__file__).resolve().parent.parent
SCIENTIFIC = ("sklearn", "scipy", "hmmlearn")


def scientific_imports() -> set[str]:
    """The sklearn/scipy/hmmlearn modules imported anywhere in engine/, ui/ and the page scripts."""
    found = set()
    for path in [*ROOT.glob("engine/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "streamlit_app.py"]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.split(".")[0] in SCIENTIFIC}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SCIENTIFIC:
                found |= {f"{node.module}.{a.name}" for a in node.names} if "." not in node.module else {node.module}
    return found


def test_the_warm_up_lists_exactly_the_scientific_modules_the_code_imports():
    found = scientific_imports()
    assert {"sklearn.svm", "hmmlearn.hmm"} <= found  # the walk sees the imports inside functions
    assert sorted(prewarm.LIBRARIES) == sorted(found), "keep ui/prewarm.py's LIBRARIES equal to what the code imports"


def test_the_warm_up_imports_what_every_page_needs_and_logs_what_fails(monkeypatch, caplog):
    modules = prewarm.page_modules()
    assert {"ui.views_vae", "ui.gan_sections", "engine.families.gan", "engine.families.diffusion", "engine.classifiers"} <= set(modules)
    monkeypatch.setattr(heap, "ENABLED", False)  # the test process keeps its collector as it is
    monkeypatch.setattr(prewarm, "LIBRARIES", (*prewarm.LIBRARIES, "gp_no_such_module"))
    with caplog.at_level(logging.WARNING, logger="generative_playground"):
        times = prewarm.run()
    assert list(times) == ["torch", "libraries", "plotly", "pages", "heap"]
    missing = [m for m in ["torch", "torch._dynamo", "plotly.graph_objects", "plotly.tools", *prewarm.LIBRARIES[:-1], *modules]
               if m not in sys.modules]
    assert missing == []
    assert "importing gp_no_such_module failed" in caplog.text  # logged, and the warm-up went on to the pages


def test_the_first_run_starts_it_once_and_gp_prewarm_0_turns_it_off(monkeypatch):
    calls = []
    monkeypatch.setattr(prewarm, "run", lambda: calls.append(1) or {"torch": 0.0})
    monkeypatch.setattr(prewarm, "_thread", None)
    monkeypatch.setattr(prewarm, "_report", {})
    monkeypatch.setenv("GP_PREWARM", "1")
    at = open_page("streamlit_app.py")
    assert_clean(at)
    assert prewarm.wait(30) and calls == [1] and prewarm.report() == {"torch": 0.0}
    at.run()
    assert prewarm.wait(30) and calls == [1] and not prewarm.start()  # once per process

    monkeypatch.setattr(prewarm, "_thread", None)
    monkeypatch.setenv("GP_PREWARM", "0")
    open_page("streamlit_app.py")
    assert not prewarm.wait(1) and calls == [1]


def test_it_gives_way_to_a_running_page_script_for_a_bounded_time(monkeypatch):
    from ui import server_load

    runs = server_load.load()
    runs.begin("a student")  # a page run in flight, as ui.shell.setup() begins one
    try:
        monkeypatch.setattr(prewarm, "GIVE_WAY_S", 0.1)
        prewarm.give_way()
        assert runs.others() == 1  # a script that runs on and on does not hold the warm-up back for long
        monkeypatch.setattr(prewarm, "GIVE_WAY_S", 60.0)
        threading.Timer(0.2, runs.end, args=("a student",)).start()
        prewarm.give_way()
        assert runs.others() == 0  # it waited for the script to end
    finally:
        runs.end("a student")


RACE = """
import sys, threading
import numpy as np
{setup}
import plotly.graph_objects as go

done, errors, built = threading.Event(), [], 0


def background():  # what ui.prewarm's thread (or another student's first page) does: scikit-learn imports pandas
    import sklearn.linear_model  # noqa: F401
    done.set()


threading.Thread(target=background).start()
while not done.is_set():  # a page drawing figures meanwhile
    try:
        go.Figure(go.Scatter(x=np.arange(10), y=np.arange(10))).to_json()
    except AttributeError as exc:
        errors.append(str(exc))
    built += 1
print(built, len(errors), errors[:1])
"""


def test_figures_built_while_another_thread_imports_pandas_do_not_fail_once_a_page_has_imported_ui_shell():
    import subprocess
    import sys

    def race(setup: str) -> tuple[int, int]:
        out = subprocess.run([sys.executable, "-c", RACE.format(setup=setup)], capture_output=True, text=True,
                             check=True, timeout=300).stdout.split()
        return int(out[0]), int(out[1])

    built, failed = race("import ui.shell")  # what every page does first
    assert built > 0 and failed == 0
    built, failed = race("")  # the same race without it (the bug): plotly finds a half-imported pandas
    assert built > 0 and failed > 0
