"""``streamlit run`` with every script run profiled by cProfile, for ``benchmarks/rerun_cpu.py --profile``.

    python benchmarks/profiled_server.py run streamlit_app.py ...   (GP_PROFILE_DIR=<dir>)

A run is recorded while ``<dir>/current`` names a row (the benchmark writes it before a row and empties it
after); each row's runs add up in ``<dir>/<row>.prof`` (read it with ``python -m pstats``)."""

import cProfile
import os
import sys
import time
from pathlib import Path

from streamlit.runtime.scriptrunner import script_runner
from streamlit.web import cli

DIR = Path(os.environ["GP_PROFILE_DIR"])
PROFILES: dict[str, cProfile.Profile] = {}
_run = script_runner.exec_func_with_error_handling


def profiled(*args, **kwargs):
    current = DIR / "current"
    name = current.read_text().strip() if current.exists() else ""
    if not name:
        return _run(*args, **kwargs)
    profile = PROFILES.setdefault(name, cProfile.Profile(time.thread_time))  # CPU, not wall: the machine is shared
    profile.enable()  # the script's own thread: the script, its widgets, figures and their serialisation
    try:
        return _run(*args, **kwargs)
    finally:
        profile.disable()
        profile.dump_stats(DIR / f"{name}.prof")


script_runner.exec_func_with_error_handling = profiled

if __name__ == "__main__":
    sys.exit(cli.main())
