"""Every third-party module the packages import is declared in pyproject; constraints.txt pins what is declared.

An import at module level must be in ``dependencies`` (importing the module needs it); an import inside a
function (a lazy or optional one: the book's nbconvert, the explorer's ipywidgets)
may be in an extra instead.
"""
import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("rdbm_core", "rdbm_course", "derivations")


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _declared(project):
    """(names in dependencies, names in any extra), normalised."""
    core = {_norm(Requirement(r).name) for r in project["dependencies"]}
    extras = {_norm(Requirement(r).name) for reqs in project.get("optional-dependencies", {}).values() for r in reqs}
    return core, extras


def _imports():
    """{top-level module: (eager, [where])} over the three packages; eager = imported at module level somewhere."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            lazy = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                    for n in ast.walk(f) if n is not f}
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in PACKAGES or top == "__future__":
                        continue
                    eager, where = found.get(top, (False, []))
                    found[top] = (eager or id(node) not in lazy, where + [f"{path.relative_to(ROOT)}:{node.lineno}"])
    return found


def _undeclared(imports, core, extras):
    """Messages for every imported module whose distribution is not declared where it must be."""
    dists = packages_distributions()
    problems = []
    for module, (eager, where) in sorted(imports.items()):
        names = {_norm(d) for d in dists.get(module, [])}
        if not names:
            problems.append(f"{module} ({where[0]}): not installed here, so its distribution is unknown")
        elif eager and not names & core:
            problems.append(f"{module} ({where[0]}, imported at module level): {sorted(names)} not in dependencies")
        elif not names & (core | extras):
            problems.append(f"{module} ({where[0]}): {sorted(names)} in neither dependencies nor an extra")
    return problems


def test_the_audit_sees_the_imports_it_must():
    imports = _imports()
    assert imports["torch"][0] and imports["imageio"][0] and imports["sympy"][0]  # module level
    assert not imports["nbconvert"][0]  # inside a function


def test_every_imported_module_is_declared():
    assert _undeclared(_imports(), *_declared(_pyproject())) == []


def test_a_missing_declaration_is_caught():
    core, extras = _declared(_pyproject())
    problems = _undeclared(_imports(), core - {"imageio"}, extras)
    assert len(problems) == 1 and problems[0].startswith("imageio (rdbm_core/data/images.py")
    problems = _undeclared(_imports(), core, extras - {"nbconvert"})
    assert len(problems) == 1 and problems[0].startswith("nbconvert (rdbm_course/book.py")


def test_torch_is_not_capped():
    torch = next(Requirement(r) for r in _pyproject()["dependencies"] if Requirement(r).name == "torch")
    assert all(s.operator == ">=" for s in torch.specifier), torch


def _constraints():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not name==version"
            pins[_norm(name)] = Version(version)
    return pins


def test_constraints_pin_declared_packages_within_their_ranges():
    project = _pyproject()
    core, extras = _declared(project)
    pins = _constraints()
    assert core <= set(pins), f"dependencies without a tested version: {sorted(core - set(pins))}"
    assert set(pins) <= core | extras, f"pinned but not declared: {sorted(set(pins) - core - extras)}"
    for req in map(Requirement, project["dependencies"] + sum(project["optional-dependencies"].values(), [])):
        if _norm(req.name) in pins:
            assert req.specifier.contains(pins[_norm(req.name)], prereleases=True), (req, pins[_norm(req.name)])
