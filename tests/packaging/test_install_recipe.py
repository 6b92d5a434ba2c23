"""The Makefile's install recipe: torch from TORCH_INDEX when one is given, pip's own index otherwise.

A dry run (``make -n -B``: print the recipe, run nothing, no network). Binder (binder/) installs the same torch.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _venv_recipe(*args):
    out = subprocess.run(["make", "-n", "-B", "venv", *args], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if "pip install" in line]


def _makefile_torch():
    return re.search(r"^TORCH\s*:=\s*(torch==\S+)\s*$", (ROOT / "Makefile").read_text(), re.M).group(1)


@needs_make
def test_torch_comes_from_the_given_index():
    index = "https://download.pytorch.org/whl/cpu"
    torch_line, package_line = _venv_recipe(f"TORCH_INDEX={index}")
    assert f"--index-url {index} {_makefile_torch()}" in torch_line
    assert "--index-url" not in package_line  # the package and its dependencies: pip's own index


@needs_make
def test_without_an_index_the_recipe_is_unchanged():
    torch_line, package_line = _venv_recipe()
    assert "--index-url" not in torch_line and "--index-url" not in package_line
    assert torch_line.split() == [".venv/bin/python", "-m", "pip", "install", "--quiet",
                                  "--disable-pip-version-check", _makefile_torch()]
    assert "-e" in package_line.split()


def test_binder_installs_the_makefile_torch_as_the_cpu_build():
    lines = [line.split("#")[0].strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    (torch,) = [line for line in lines if line.startswith("torch")]
    version, _, build = torch.removeprefix("torch==").partition("+")
    assert f"torch=={version}" == _makefile_torch() and build == "cpu"


def test_binder_installs_the_package_and_starts_in_fast_mode():
    post_build, start = ROOT / "binder" / "postBuild", ROOT / "binder" / "start"
    assert os.access(post_build, os.X_OK) and os.access(start, os.X_OK)  # repo2docker runs them as programs
    assert 'pip install --no-cache-dir -e ".[notebooks]"' in post_build.read_text()
    text = start.read_text()
    assert 'export FAST="${FAST:-1}"' in text and text.rstrip().endswith('exec "$@"')
