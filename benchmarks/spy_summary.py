"""Where a loaded server's interpreter time goes: a summary of a py-spy profile taken during the class-load benchmark.

    .venv/bin/python -m benchmarks.class_load --students 30 --seconds 60 &        # then, once the students act:
    py-spy record --gil --format raw -r 25 -d 35 -p <the server's pid> -o benchmarks/out/spy.txt
    .venv/bin/python -m benchmarks.spy_summary benchmarks/out/spy.txt [--top 20]

py-spy (``pip install py-spy``, in any environment: it is not one of the app's dependencies) samples the server's
Python stacks from outside. ``--gil`` keeps only the thread holding the interpreter lock, which is what one Streamlit
process runs on: a thread waiting for the lock (after a socket write, a torch op) is not counted as work. The server
pauses while it is sampled, so the class's own numbers from such a run are not the benchmark's. Prints the shares of
the samples by kind (script runs, their plotly charts, live training, the event loop), by page script, and by the
innermost frame of the project's own code.
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

OWN = ("(ui/", "(pages/", "(engine/", "(streamlit_app.py")
PAGE = re.compile(r"\((?:pages/)?(\d\d_\w+\.py|streamlit_app\.py):")  # py-spy names a page script by its file name


def read(path: Path) -> list[tuple[list[str], int]]:
    """py-spy's raw format: one line per distinct stack, ``frame;frame;… count``, outermost first."""
    stacks = []
    for line in path.read_text().splitlines():
        if line.strip():
            stack, n = line.rsplit(" ", 1)
            stacks.append((stack.split(";"), int(n)))
    return stacks


def kind(frames: list[str]) -> str:
    text = ";".join(frames)
    if "exec_func_with_error_handling" not in text:
        return "event loop and other threads"
    if "advance (ui/live.py" in text:
        return "script: live training"
    if "plotly_chart (streamlit" in text:
        return "script: st.plotly_chart"
    return "script: the rest"


def _name(frame: str) -> str:
    return frame.split(" (")[0] + " " + frame.rsplit("(", 1)[-1].rstrip(")")


def summarise(stacks: list[tuple[list[str], int]]) -> dict[str, collections.Counter]:
    out = {"kind": collections.Counter(), "page": collections.Counter(), "own": collections.Counter()}
    for frames, n in stacks:
        out["kind"][kind(frames)] += n
        pages = [m.group(1) for m in map(PAGE.search, frames) if m]
        if pages:
            out["page"][pages[0]] += n
        own = [f for f in frames if any(o in f for o in OWN) or PAGE.search(f)]
        if own:
            out["own"][_name(own[-1])] += n
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("profile", type=Path)
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args(argv)
    stacks = read(args.profile)
    total = sum(n for _, n in stacks) or 1
    print(f"{total} samples holding the interpreter lock")
    for title, counts in summarise(stacks).items():
        print(f"\nby {title}:")
        for name, n in counts.most_common(args.top):
            print(f"  {n / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
