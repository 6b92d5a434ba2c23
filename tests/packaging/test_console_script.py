"""The console script ``rdbm`` (pyproject's [project.scripts]) is the command line of ``python -m rdbm_core``."""
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from rdbm_core.cli import build_parser

SCRIPT = Path(sys.executable).with_name("rdbm.exe" if os.name == "nt" else "rdbm")
ARGS = ["coeffs", "--bridge", "rdbm", "--steps", "3", "--json"]


def _run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"{SCRIPT} is not installed (pip install -e . installs it)")
def test_rdbm_and_python_m_print_the_same():
    script, module = _run([str(SCRIPT), *ARGS]), _run([sys.executable, "-m", "rdbm_core", *ARGS])
    assert script.returncode == module.returncode == 0, script.stderr + module.stderr
    assert script.stdout == module.stdout
    table = json.loads(script.stdout)
    assert table["bridge"] == "rdbm" and len(table["t"]) == 4


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"{SCRIPT} is not installed (pip install -e . installs it)")
def test_rdbm_names_itself_in_usage_and_errors():
    script = _run([str(SCRIPT), "coeffs"])
    assert script.returncode == 2  # --bridge is required
    assert script.stderr.startswith("usage: rdbm coeffs ") and "python -m" not in script.stderr


def test_python_m_names_itself(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["rdbm_core", "coeffs"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("rdbm_core", run_name="__main__")
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("usage: python -m rdbm_core coeffs ")


def test_the_parser_is_named_rdbm_by_default():
    assert build_parser().prog == "rdbm" and build_parser("python -m rdbm_core").prog == "python -m rdbm_core"
