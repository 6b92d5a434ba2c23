"""Every repository path a docstring cites exists: a renamed test file or results folder leaves no stale pointer.

Docstrings of the modules, classes and functions of the library, the course, the derivations, the studies and the
benchmark scripts are read with ``ast``; a cited path is a run of path characters that starts with a top-level
folder of the repository (``tests/``, ``docs/``, ...). Paths with placeholders (``<runs>/``, ``{task}``, ``*``)
are patterns, not files, and are skipped; a path stem that names files of several extensions (an ``--out``
default such as ``benchmarks/results/tiling_targets`` for its ``.csv`` and ``.json``) counts as existing.
"""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("tests", "benchmarks", "notebooks", "docs", "rdbm_core", "rdbm_course", "derivations", "experiments")
CITED = re.compile(r"(?<![\w/.<{-])((?:%s)/[\w./-]*)" % "|".join(FOLDERS))
SOURCES = ("rdbm_core", "rdbm_course", "derivations", "experiments", "benchmarks")


def docstrings(file: Path):
    tree = ast.parse(file.read_text(), filename=str(file))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield getattr(node, "lineno", 1), doc


def cited_paths(text: str):
    for match in CITED.finditer(text):
        path = match.group(1).rstrip(".,;:")
        end = match.end(1)
        if end < len(text) and text[end] in "<{*":
            continue  # a pattern such as experiments/results/<study>/
        yield path


def exists(path: str) -> bool:
    """The path, or a file of that stem with some extension, is in the repository."""
    full = ROOT / path
    return full.exists() or any(full.parent.glob(full.name + ".*"))


def test_every_path_a_docstring_cites_exists():
    missing = []
    for folder in SOURCES:
        for file in sorted((ROOT / folder).rglob("*.py")):
            for line, doc in docstrings(file):
                missing += [f"{file.relative_to(ROOT)}:{line}: {p}" for p in cited_paths(doc)
                            if not exists(p)]
    assert missing == [], "docstrings cite paths that do not exist:\n" + "\n".join(missing)


def test_the_scan_finds_citations_and_skips_patterns():
    """The scanner itself: a stale path is reported, placeholders are not (mutation: a pattern that never
    matches would make the test above pass vacuously)."""
    text = "see tests/core/test_samplers.py, `docs/theory.md` eq. 4.2 and experiments/results/<study>/x.csv."
    assert list(cited_paths(text)) == ["tests/core/test_samplers.py", "docs/theory.md"]
    assert sum(1 for f in SOURCES for _ in (ROOT / f).rglob("*.py")) > 50
