"""The layering rules: engine/ is headless and grouped by family, pages use its public face, the home page never loads torch."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"
FAMILIES = ENGINE / "families"
# what a page may import from the engine: the contract and its errors, the data, each family as a whole
# (engine.families.<family>, never its inner modules), the metrics, the registry, page 1's classifiers, and the
# evaluation page's numpy modules (never engine.evaluation.features, which runs torch, nor its recipes), and the
# arena's races and lessons (never their recipes)
EVALUATION_FACE = ("leaderboard", "models", "plane", "scorecard")
PAGE_MODULES = re.compile(r"^engine(\.(core\.(errors|training|contract)|data(\.\w+)?|families(\.\w+)?|metrics|registry|classifiers"
                          r"|races(\.(race|lessons))?"
                          rf"|evaluation(\.({'|'.join(EVALUATION_FACE)}))?))?$")


def engine_modules() -> list[str]:
    return sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for p in ENGINE.rglob("*.py"))


def family_of(path: Path) -> str | None:
    """The family a source file belongs to (engine/families/<family>/… or engine/families/<family>.py)."""
    if FAMILIES not in path.parents:
        return None
    rel = path.relative_to(FAMILIES)
    return rel.parts[0].removesuffix(".py") if rel.parts[0] != "__init__.py" else None


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) for every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text("utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-node.level])
                module = f"{base}.{module}".rstrip(".")
            out.append((module, [a.name for a in node.names], node.lineno))
    return out


def test_engine_sources_never_mention_streamlit_imports():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "engine").rglob("*.py")
        if re.search(r"^\s*(import|from)\s+streamlit", p.read_text("utf-8"), re.M)
    ]
    assert offenders == []


def test_importing_every_engine_module_does_not_load_streamlit():
    modules = engine_modules()
    assert "engine.families.gan.plane" in modules and "engine.core.contract" in modules  # the walk reaches subpackages
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n    importlib.import_module(m)\n"
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_every_family_lives_in_its_own_place():
    families = {p.name.removesuffix(".py") for p in FAMILIES.iterdir() if p.name != "__init__.py" and p.name != "__pycache__"}
    assert families == {"mixture", "hmm", "vae", "gan", "diffusion", "autoregressive", "energy"}
    assert not [p.name for p in ENGINE.glob("*.py")
                if p.stem not in ("__init__", "classifiers", "metrics", "registry", "regenerate")]


def test_family_packages_re_export_every_public_name_of_their_modules():
    """A family package's ``__init__`` re-exports its modules through ``__all__``: a public function added to a
    module but not to its ``__all__`` would be missing from ``engine.families.<family>``, where pages look."""
    missing = []
    for path in FAMILIES.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        exported = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                         and any(getattr(t, "id", None) == "__all__" for t in n.targets)), None)
        if exported is None:
            continue
        defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            defined |= {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
        imported = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
        public = {n for n in defined if not n.startswith("_") and n not in ("nn", "F")}
        missing += [f"{path.relative_to(ROOT)}: {n}" for n in sorted(public - set(exported))]
        missing += [f"{path.relative_to(ROOT)}: __all__ names undefined {n}" for n in sorted(set(exported) - defined - imported)]
    assert missing == []


def test_no_engine_module_imports_another_modules_private_names():
    """Families use each other's public names only (latent diffusion reads the VAE's ``pretrained``, not ``_load``);
    within the engine no module reaches into another one's underscored names or modules either."""
    offenders = []
    for path in ENGINE.rglob("*.py"):
        for module, names, line in imports(path):
            private = [n for n in names if n.startswith("_") and n != "__future__"]
            if any(part.startswith("_") for part in module.split(".")) and module != "__future__":
                private.append(module)
            if module.startswith("engine") and private:
                offenders.append(f"{path.relative_to(ROOT)}:{line} {module} {private}")
        tree = ast.parse(path.read_text("utf-8"))
        own = family_of(path)
        others = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                  and (node.module or "").startswith("engine.families") for a in node.names}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in others
                    and node.value.id != own and node.attr.startswith("_") and not node.attr.startswith("__")):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}")
    assert offenders == []


def test_engine_is_keyed_by_family_not_by_page():
    """No ``PAGE = "gan"`` constants, no page keys in engine code, and weights folders named after families
    (or, for files that belong to no family, such as the evaluator's feature network, after what they are,
    with the engine package that makes them listed in ``regenerate.PACKAGES``)."""
    from ui.registry import PAGES

    families = {p.name.removesuffix(".py") for p in FAMILIES.iterdir() if not p.name.startswith("__")}
    page_only = {p.key for p in PAGES} - families  # "gan" is a page and a family; "token_sampling" only a page
    offenders = []
    for path in ENGINE.rglob("*.py"):
        src = path.read_text("utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {m}" for m in re.findall(r"^\s*(\w*PAGE\w*)\s*=", src, re.M)]
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Constant) and node.value in page_only:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert offenders == []
    from engine import regenerate

    shipped = {p.name for p in (ROOT / "assets" / "weights").iterdir() if p.is_dir()}
    assert shipped == set(regenerate.SHIPPING) and shipped <= families | set(regenerate.PACKAGES)
    assert not (set(regenerate.PACKAGES) & ({p.key for p in PAGES} | families))
    assert all(is_engine_module(f"{package}.shipped") for package in regenerate.PACKAGES.values())


def is_engine_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def page_engine_imports() -> list[tuple[str, str, list[str], int]]:
    out = []
    for path in [*sorted((ROOT / "pages").glob("*.py")), ROOT / "streamlit_app.py"]:
        out += [(path.name, m, names, line) for m, names, line in imports(path)]
    return out


def test_pages_use_only_the_engines_public_face_and_never_torch():
    """A page imports each family as a whole (``from engine.families import gan``), the data, the contract's
    errors and budgets, metrics, registry and classifiers; never a family's inner module, never an
    underscored name, never torch (it calls the engine, which runs torch)."""
    offenders = []
    for page, module, names, line in page_engine_imports():
        if module.split(".")[0] == "torch":
            offenders.append(f"{page}:{line} imports torch")
        if not module.startswith("engine"):
            continue
        targets = [module] + [f"{module}.{n}" for n in names if is_engine_module(f"{module}.{n}")]
        if not all(PAGE_MODULES.match(t) for t in targets) or any(n.startswith("_") for n in names):
            offenders.append(f"{page}:{line} from {module} import {', '.join(names)}")
    assert offenders == []


def test_pages_reach_no_private_engine_attribute():
    offenders = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        for line_no, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            for m in re.finditer(r"\b(\w+)\._[a-z]\w*", line):
                if m.group(1) not in ("st", "self"):
                    offenders.append(f"{path.name}:{line_no} {m.group(0)}")
    assert offenders == []


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
    assert len(found) >= 3  # the GAN's collapse and digits sections, and the shared live panel's view
    assert [where for where, ok in found.items() if not ok] == []


def ticking_fragments(path: Path) -> list[int]:
    """Lines where ``st.fragment(...)`` is given a ``run_every`` (a timer), in either form."""
    tree = ast.parse(path.read_text("utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and _is_st_fragment(node.func) and any(kw.arg == "run_every" for kw in node.keywords)]


def test_only_the_live_panel_ticks():
    """Live training goes through ui/live_panel.py (its lock, its Pause, its progress): a page with its own
    ``st.fragment(run_every=…)`` would be another copy of that state machine."""
    sources = sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "streamlit_app.py"])
    ticking = {str(p.relative_to(ROOT)): lines for p in sources if (lines := ticking_fragments(p))}
    assert list(ticking) == ["ui/live_panel.py"], ticking
    case = ROOT / "tests" / "_ticking_case.py"
    try:  # the finder sees both forms
        case.write_text("@st.fragment(run_every=1.0)\ndef a():\n    pass\nst.fragment(run_every=0.5)(a)()\n", "utf-8")
        assert ticking_fragments(case) == [1, 4]
    finally:
        case.unlink(missing_ok=True)
