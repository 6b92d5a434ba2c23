"""The layers import one way: rdbm_core (library) <- derivations (SymPy) <- rdbm_course (the course).

* ``rdbm_core`` imports neither ``derivations`` nor ``rdbm_course`` (scanned with ``ast``, lazy imports
  inside functions included) and imports without SymPy installed (checked in a subprocess that blocks it);
* no module imports another module's ``_private`` name (``from x import _y``), except the package-internal
  ``._base`` of the exercises and the private aliases the samplers used before their rename.

Mutations that fail: ``from derivations.common import zero`` added to ``rdbm_core/losses.py`` (first test);
``import sympy`` at the top of ``rdbm_core/path.py`` (second); ``from .metrics import _atomic_write`` in
``rdbm_core/training.py`` (third).
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
    from outside. ``rdbm_core/samplers.py`` keeps ``path._times``/``path._bc`` until its own rename lands
    (they are aliases of ``ResidualPath.batch_times`` and ``path.append_dims``)."""
    offenders = []
    for file in CODE:
        if file == ROOT / "rdbm_core" / "samplers.py":
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
    modules = sorted(p.stem for p in (ROOT / "rdbm_core").glob("*.py") if not p.stem.startswith("__"))
    assert [m for m in modules if f"`{m}`" not in row] == []
