"""The layering rules: engine/ is headless, the home page never loads torch."""

import ast
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


# ---------------------------------------------------------------- every fragment runs under guard()

def _is_st_fragment(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "fragment" and isinstance(node.value, ast.Name) and node.value.id == "st"


def _named(node: ast.AST, name: str) -> bool:
    return (isinstance(node, ast.Name) and node.id == name) or (isinstance(node, ast.Attribute) and node.attr == name)


def _body_under_guard(func: ast.FunctionDef) -> bool:
    """The body is one ``with guard():`` (after an optional docstring), or ``@guarded`` sits below ``@st.fragment``."""
    decorators = func.decorator_list
    fragment_at = next((i for i, d in enumerate(decorators) if _is_st_fragment(d) or (isinstance(d, ast.Call) and _is_st_fragment(d.func))), -1)
    if any(_named(d, "guarded") for d in decorators[fragment_at + 1:]):
        return True
    body = func.body[1:] if func.body and isinstance(func.body[0], ast.Expr) and isinstance(func.body[0].value, ast.Constant) else func.body
    return (len(body) == 1 and isinstance(body[0], ast.With)
            and any(isinstance(item.context_expr, ast.Call) and _named(item.context_expr.func, "guard") for item in body[0].items))


def fragments(path: Path) -> list[tuple[str, bool]]:
    """Every fragment in a file, as (function name, runs under guard()).

    Both forms count: ``@st.fragment`` / ``@st.fragment(...)`` on a def, and ``st.fragment(...)(func)``
    (or ``st.fragment(func)``) called on a def of the same file. Any other use of ``st.fragment``
    (an alias, a lambda) is reported as unguarded, so it cannot slip past this check.
    """
    tree = ast.parse(path.read_text("utf-8"))
    defs = {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    found, seen = [], set()
    for func in defs.values():
        for d in func.decorator_list:
            target = d.func if isinstance(d, ast.Call) else d
            if _is_st_fragment(target):
                found.append((func.name, _body_under_guard(func)))
                seen.add(id(target))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Call) and _is_st_fragment(node.func.func) and not node.func.args:  # st.fragment(...)(func)
            marker, args = node.func.func, node.args
        elif _is_st_fragment(node.func) and node.args:  # st.fragment(func)
            marker, args = node.func, node.args
        else:
            continue
        seen.add(id(marker))
        arg = args[0] if args else None
        if isinstance(arg, ast.Call) and _named(arg.func, "guarded"):
            found.append((ast.unparse(arg.args[0]) if arg.args else "?", True))
        elif isinstance(arg, ast.Name) and arg.id in defs:
            found.append((arg.id, _body_under_guard(defs[arg.id])))
        else:
            found.append((ast.unparse(node), False))
    for node in ast.walk(tree):
        if _is_st_fragment(node) and id(node) not in seen:
            found.append((f"st.fragment at line {node.lineno}", False))
    return found


def test_the_fragment_finder_sees_both_forms_and_an_unguarded_body():
    cases = {
        "@st.fragment\ndef a():\n    with guard():\n        pass\n": [("a", True)],
        "@st.fragment(run_every=1)\n@guarded\ndef b():\n    pass\n": [("b", True)],
        "@guarded\n@st.fragment\ndef c():\n    pass\n": [("c", False)],  # guards the first call only
        "def d():\n    pass\nst.fragment(run_every=1)(d)()\n": [("d", False)],
        "def e():\n    '''doc'''\n    with guard():\n        pass\nst.fragment(e)()\n": [("e", True)],
        "f = st.fragment\n": [("st.fragment at line 1", False)],
    }
    for source, expected in cases.items():
        path = ROOT / "tests" / "_fragment_case.py"
        try:
            path.write_text(source, "utf-8")
            assert fragments(path) == expected, source
        finally:
            path.unlink(missing_ok=True)


def test_every_fragment_runs_under_guard():
    """A fragment rerun runs outside the page's ``with guard():``: an error there would show
    Streamlit's generic English error box instead of the translated message."""
    found = {f"{p.relative_to(ROOT)}:{name}": ok
             for p in sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]) for name, ok in fragments(p)}
    assert len(found) >= 6  # the GAN's three, and the live views of the VAE, diffusion and token pages
    assert [where for where, ok in found.items() if not ok] == []
