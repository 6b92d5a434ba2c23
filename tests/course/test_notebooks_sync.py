"""Every notebook is a pair: the .py percent script (source) and the .ipynb, with identical cells.

The harmless jupytext header (version lines) is ignored: cells are compared as
``(cell_type, source.strip())``.  Committed notebooks are either fully executed
or fully stripped (nbval fails on outputs without an execution count).
"""
import pathlib

import jupytext
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"
SCRIPTS = sorted(p for p in NOTEBOOKS.rglob("*.py") if ".ipynb_checkpoints" not in p.parts)
IPYNBS = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_there_are_notebooks():
    assert SCRIPTS, "no notebooks found"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_pair_in_sync(script):
    nb = script.with_suffix(".ipynb")
    assert nb.exists(), f"{script.name} has no paired .ipynb (run: jupytext --to ipynb {script})"
    assert _cells(jupytext.read(script)) == _cells(jupytext.read(nb)), (
        f"{script.name} and {nb.name} differ: regenerate the .ipynb from the .py (jupytext --update --to ipynb)")


@pytest.mark.parametrize("nb", IPYNBS, ids=lambda p: p.name)
def test_every_ipynb_has_a_script_and_consistent_outputs(nb):
    assert nb.with_suffix(".py").exists(), f"{nb.name} has no .py source"
    for cell in jupytext.read(nb).cells:
        if cell.cell_type == "code" and cell.get("outputs"):
            assert cell.get("execution_count") is not None, f"{nb.name}: a cell has outputs but no execution count"
