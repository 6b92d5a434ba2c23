"""``python -m rdbm_core coeffs``: JSON keys and values, table, defaults, errors."""
import json
import subprocess
import sys

import pytest

from rdbm_core.bridge import bridges
from rdbm_core.cli import main


def _json(capsys, *args):
    assert main(["coeffs", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", list(bridges.BRIDGES))
def test_every_bridge_prints_its_table(capsys, name):
    out = _json(capsys, "--bridge", name)
    assert {"bridge", "t", "Theta", "Psi", "Sigma"} <= set(out)
    assert out["bridge"] == name
    n = len(out["t"])
    assert n >= 11 and all(len(out[k]) == n for k in ("Theta", "Psi", "Sigma"))
    assert out["Theta"][0] == 1 and out["Sigma"][0] == 0


def test_rdbm_defaults_and_overrides(capsys):
    out = _json(capsys, "--bridge", "rdbm")
    assert out["t"][0] == -1 and out["t"][-1] == 99 and round(out["Theta"][1], 6) == 0.999369
    out = _json(capsys, "--bridge", "rdbm", "--steps", "20", "--lam", "0.01")
    assert len(out["t"]) == 21 and max(out["Sigma"]) == pytest.approx(0.1, rel=0.05)
    out = _json(capsys, "--bridge", "ddbm-ve", "--steps", "8")
    assert out["t"] == [10.0 * i for i in range(9)]


def test_readable_table_and_errors(capsys):
    assert main(["coeffs", "--bridge", "goub"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("goub:") and "Theta" in lines[1] and len(lines) == 2 + 101
    assert main(["coeffs", "--bridge", "rdbm", "--lam", "-1"]) == 2
    assert "lam must be" in capsys.readouterr().err
    proc = subprocess.run([sys.executable, "-m", "rdbm_core", "coeffs", "--bridge", "nope"], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr and "Traceback" not in proc.stderr
