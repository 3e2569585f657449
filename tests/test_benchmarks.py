"""The benchmarks' interaction table against today's pages. Nothing here is timed; the benchmarks never run here.

The browser and class-load benchmarks (``benchmarks/browser.py``, ``benchmarks/class_load.py``) find every
control, button and figure by the key a page gives it, listed in ``benchmarks/interactions.py``. A page that
renames a key silently drops that row from both benchmarks (the browser waits for it, the class client skips
it), so this test reads the pages' source: every key in the table must be a string the page (or a shared
``ui/`` helper) can produce, f-strings included (``f"{side}_{kind}_param"`` produces ``disc_logistic_param``).
"""

import ast
import re
from pathlib import Path

from benchmarks import interactions as I

ROOT = Path(__file__).resolve().parent.parent


def _strings(path: Path) -> tuple[set[str], list[re.Pattern]]:
    """A file's string literals, and its f-strings as regexes whose ``{...}`` parts match any key-like text
    (one without a word of its own, ``f"{a}_{b}"``, would match almost any key and is left out)."""
    plain, formatted = set(), []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.Constant) and re.search(r"[A-Za-z]{2}", v.value)
                                                   for v in node.values):
            parts = [re.escape(v.value) if isinstance(v, ast.Constant) else r"[\w.]+" for v in node.values]
            formatted.append(re.compile("".join(parts)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            plain.add(node.value)
    return plain, formatted


def _page_file(key: str) -> Path:
    from ui.registry import BY_KEY

    return ROOT / ("streamlit_app.py" if key == "home" else BY_KEY[key].script)


def test_the_table_names_keys_and_texts_the_pages_have():
    from ui import text
    from ui.registry import PAGES

    assert {p.key for p in PAGES} | {"home"} == set(I.BY_KEY), "every page needs a row in benchmarks/interactions.py"
    shared = [_strings(f) for f in sorted((ROOT / "ui").glob("*.py"))]
    missing, labels = [], set()
    for page in I.PAGES:
        here = [_strings(_page_file(page.key)), *shared]

        def has(key: str) -> bool:
            name = key.removeprefix(f"w:{page.key}.")  # ctx.key(name) -> "w:<page>.<name>"
            return any(name in plain or any(p.fullmatch(name) for p in formatted) for plain, formatted in here)

        def check(action, where: str) -> None:
            if isinstance(action, I.Click) and not any(has(k) for k in action.keys):
                missing.append(f"{page.key}/{where}: button {' or '.join(action.keys)}")
            elif isinstance(action, I.Widget):
                if not has(action.key):
                    missing.append(f"{page.key}/{where}: widget {action.key}")
                labels.update([action.to] if action.to else [])
            elif isinstance(action, I.Tab):
                if action.key and not has(action.key):
                    missing.append(f"{page.key}/{where}: tabs {action.key}")
                labels.add(action.label)
            elif isinstance(action, I.Expand):
                labels.add(action.label)
            elif isinstance(action, I.PlotlyScrub) and not has(action.chart):
                missing.append(f"{page.key}/{where}: chart {action.chart}")

        for inter in page.interactions:
            assert inter.kind in (I.VIEW, I.REFIT, I.STEP, I.SCRUB) and inter.charts, inter.name
            for action in (inter.act, *inter.setup):
                check(action, inter.name)
            missing += [f"{page.key}/{inter.name}: chart {c}" for c in inter.charts if not has(c)]
        if page.live is not None:
            live = page.live
            for action in (live.start, live.pause, *live.setup):
                check(action, "live")
            missing += [f"{page.key}/live: chart {live.chart}"] if not has(live.chart) else []
            if not any(has(k) for k in (live.paused.key, live.paused.shown) if k):
                missing.append(f"{page.key}/live: paused sign {live.paused.key} or {live.paused.shown}")
            labels.update(n for n in (live.counter.metric, live.paused.label) if n)
    assert not missing, "keys in benchmarks/interactions.py that no page has: " + "; ".join(missing)
    for lang in text.LANGS:
        absent = sorted(n for n in labels if n not in text.catalogue(lang))
        assert not absent, (lang, absent)
    mix = I.class_mix()
    assert set(mix.training) == {"vae", "gan", "diffusion", "token_sampling"}
    assert all(i.kind != I.STEP for rows in mix.light.values() for i in rows)


def test_the_profile_summary_reads_py_spys_stacks_by_kind_page_and_own_frame(tmp_path):
    from benchmarks import spy_summary

    run = "_bootstrap (threading.py:1002);_run_script (streamlit/runtime/scriptrunner/script_runner.py:600);" \
          "exec_func_with_error_handling (streamlit/runtime/scriptrunner/exec_code.py:83)"
    raw = tmp_path / "spy.txt"
    raw.write_text(
        f"{run};<module> (05_diffusion.py:276);chart (ui/shell.py:118);plotly_chart (streamlit/elements/plotly_chart.py:899) 6\n"
        f"{run};<module> (04_gan.py:90);_tick (ui/live_panel.py:400);advance (ui/live.py:140);forward (torch/nn/modules/linear.py:134) 3\n"
        "run_forever (asyncio/base_events.py:608);_run_once (asyncio/base_events.py:1900) 1\n")
    out = spy_summary.summarise(spy_summary.read(raw))
    assert out["kind"] == {"script: st.plotly_chart": 6, "script: live training": 3, "event loop and other threads": 1}
    assert out["page"] == {"05_diffusion.py": 6, "04_gan.py": 3}
    assert out["own"] == {"chart ui/shell.py:118": 6, "advance ui/live.py:140": 3}
