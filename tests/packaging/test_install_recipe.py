"""The Makefile's install recipe: torch from TORCH_INDEX when one is given, pip's own index otherwise.

A dry run (``make -n -B``: print the recipe, run nothing, no network). Binder installs the same torch.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _venv_recipe(*args):
    out = subprocess.run(["make", "-n", "-B", "venv", *args], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if "pip install" in line]


def _makefile_torch():
    return re.search(r"^TORCH\s*:=\s*(torch==\S+)\s*$", (ROOT / "Makefile").read_text(), re.M).group(1)


def test_torch_comes_from_the_given_index():
    index = "https://download.pytorch.org/whl/cpu"
    torch_line, package_line = _venv_recipe(f"TORCH_INDEX={index}")
    assert f"--index-url {index} {_makefile_torch()}" in torch_line
    assert "--index-url" not in package_line  # the package and its dependencies: pip's own index


def test_without_an_index_the_recipe_is_unchanged():
    torch_line, package_line = _venv_recipe()
    assert "--index-url" not in torch_line and "--index-url" not in package_line
    assert torch_line.split() == [".venv/bin/python", "-m", "pip", "install", "--quiet",
                                  "--disable-pip-version-check", _makefile_torch()]
    assert "-e" in package_line.split()
