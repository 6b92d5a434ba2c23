"""The layers import one way: rdbm_core (library) <- derivations (SymPy) <- rdbm_course (the course), and inside
rdbm_core, its subpackages one way too: bridge, data <- networks, evidence <- restoration <- the top-level modules.

* ``rdbm_core`` imports neither ``derivations`` nor ``rdbm_course`` (scanned with ``ast``, lazy imports
  inside functions included) and imports without SymPy installed (checked in a subprocess that blocks it);
* no module imports another module's ``_private`` name (``from x import _y``), except the package-internal
  ``._base`` of the exercises and the private aliases the samplers used before their rename.

* every ``from rdbm_core.x import name`` takes ``name`` from its home: the module that defines it, never one
  that only imports it (no re-exports);
* no module of rdbm_core is named after a module of the standard library.

Mutations that fail: ``from derivations.common import zero`` added to ``rdbm_core/bridge/losses.py`` (first test);
``import sympy`` at the top of ``rdbm_core/bridge/path.py`` (second); ``from .metrics import _atomic_write`` in
``rdbm_core/networks/training.py`` (third); ``from rdbm_core.networks.unet import ...`` in
``rdbm_core/evidence/metrics.py`` (the subpackage layers); ``from rdbm_core.networks.training import load_trained``
in a test (re-exports); a module ``rdbm_core/data/io.py`` (standard-library names).
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CODE = [p for folder in ("rdbm_core", "derivations", "rdbm_course", "benchmarks", "tests")
        for p in sorted((ROOT / folder).rglob("*.py"))]


def _imports(file: Path) -> list[tuple[str, list[str], int]]:
    """``(module, imported names, level)`` of every import statement of ``file``, at any depth."""
    out = []
    for node in ast.walk(ast.parse(file.read_text(), str(file))):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.module or "", [alias.name for alias in node.names], node.level))
    return out


@pytest.mark.parametrize("file", sorted((ROOT / "rdbm_core").rglob("*.py")), ids=lambda p: p.name)
def test_core_imports_neither_derivations_nor_the_course(file):
    for module, _, level in _imports(file):
        top = module.split(".")[0]
        assert level > 0 or top not in ("derivations", "rdbm_course", "sympy"), f"{file.name} imports {module}"


def test_core_imports_without_sympy():
    blocker = ("import sys\n"
               "class Block:\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name.split('.')[0] in ('sympy', 'derivations', 'rdbm_course'):\n"
               "            raise ImportError(f'blocked: {name}')\n"
               "sys.meta_path.insert(0, Block())\n"
               "import pkgutil, importlib, rdbm_core\n"
               "for m in pkgutil.walk_packages(rdbm_core.__path__, 'rdbm_core.'):\n"
               "    if m.name != 'rdbm_core.__main__':\n"
               "        importlib.import_module(m.name)\n"
               "print(sorted(k for k in sys.modules if k.split('.')[0] in ('sympy', 'derivations', 'rdbm_course')))\n")
    proc = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_no_module_imports_another_modules_private_names():
    allowed = {("_base", 1)}  # the exercise registry, private to rdbm_course.exercises
    offenders = []
    for file in CODE:
        for module, names, level in _imports(file):
            for name in names:
                if name.startswith("_") and not name.startswith("__") and (module, level) not in allowed:
                    offenders.append(f"{file.relative_to(ROOT)}: from {'.' * level}{module} import {name}")
            if any(part.startswith("_") and not part.startswith("__") for part in module.split(".")) \
                    and (module, level) not in allowed:
                offenders.append(f"{file.relative_to(ROOT)}: imports the private module {module}")
    assert not offenders, "\n".join(offenders)


def test_no_module_reaches_into_another_objects_private_attributes():
    """``obj._name`` outside ``self``/``cls`` (and IPython's ``_repr_*_`` protocol) is a private helper used
    from outside. ``rdbm_core/bridge/samplers.py`` keeps ``path._times``/``path._bc`` until its own rename lands
    (they are aliases of ``ResidualPath.batch_times`` and ``path.append_dims``)."""
    offenders = []
    for file in CODE:
        if file == ROOT / "rdbm_core" / "bridge" / "samplers.py":
            continue
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and not (node.attr.startswith("_repr_") and node.attr.endswith("_"))
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                offenders.append(f"{file.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not offenders, "\n".join(offenders)


def test_readme_folder_table_names_every_library_module():
    """The README's folder table lists every module of rdbm_core (mutation tried: a new module left out of the
    table, as stats and error_profile once were, fails here)."""
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `rdbm_core/` |"))
    modules = sorted(str(p.relative_to(ROOT / "rdbm_core").with_suffix("")) for p in (ROOT / "rdbm_core").rglob("*.py")
                     if not p.stem.startswith("__"))
    assert [m for m in modules if f"`{m.rsplit('/', 1)[-1]}`" not in row] == []


#: the subpackages of rdbm_core and their layer: a module imports from its own subpackage and lower layers only
LAYERS = {"bridge": 0, "data": 0, "networks": 1, "evidence": 1, "restoration": 2}
TOP = 3  # the modules directly in rdbm_core (cli, comparison, ...)


def _layer_of(module: str) -> tuple[str, int]:
    """(subpackage, layer) of a dotted module name inside rdbm_core."""
    parts = module.split(".")
    return (parts[1], LAYERS[parts[1]]) if len(parts) > 1 and parts[1] in LAYERS else ("", TOP)


def _absolute(file: Path, module: str, level: int) -> str:
    """The absolute dotted name of an import made in ``file`` (relative imports resolved)."""
    if level == 0:
        return module
    package = file.relative_to(ROOT).with_suffix("").parts[:-1]
    base = package[: len(package) - level + 1]
    return ".".join([*base, module] if module else base)


@pytest.mark.parametrize("file", sorted((ROOT / "rdbm_core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_subpackages_import_one_way(file):
    own = ".".join(file.relative_to(ROOT).with_suffix("").parts)
    own_package, own_layer = _layer_of(own)
    for module, names, level in _imports(file):
        target = _absolute(file, module, level)
        if not target.startswith("rdbm_core.") or target == "rdbm_core.__version__":
            continue
        package, layer = _layer_of(target)
        assert package == own_package or layer < own_layer, f"{own} (layer {own_layer}) imports {target}"


def _defined_names(module_file: Path) -> set[str]:
    """The names a module defines itself (functions, classes, assignments, and its submodules)."""
    tree = ast.parse(module_file.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    if module_file.name == "__init__.py":
        names.update(p.stem for p in module_file.parent.glob("*.py") if p.stem != "__init__")
        names.update(p.name for p in module_file.parent.iterdir() if (p / "__init__.py").is_file())
    return names


def _module_file(module: str) -> Path | None:
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if (path / "__init__.py").is_file() else path.with_suffix(".py") \
        if path.with_suffix(".py").is_file() else None


def test_every_name_is_imported_from_its_home():
    offenders = []
    files = CODE + sorted((ROOT / "experiments").rglob("*.py")) + sorted((ROOT / "notebooks").rglob("*.py"))
    for file in files:
        for module, names, level in _imports(file):
            target = _absolute(file, module, level) if file.is_relative_to(ROOT / "rdbm_core") else module
            if not target.startswith("rdbm_core") or (home := _module_file(target)) is None:
                continue
            defined = _defined_names(home)
            offenders += [f"{file.relative_to(ROOT)}: from {target} import {name}" for name in names
                          if name != "*" and name not in defined]
    assert not offenders, "\n".join(offenders)


def test_no_module_is_named_after_the_standard_library():
    clashes = [str(p.relative_to(ROOT)) for p in (ROOT / "rdbm_core").rglob("*.py")
               if p.stem in sys.stdlib_module_names or p.parent.name in sys.stdlib_module_names]
    assert clashes == []
