"""Strict JSON (RFC 8259) everywhere the project writes JSON: NaN and infinities become ``null``.

Every check parses with a strict parser (``parse_constant`` refuses ``NaN``/``Infinity``).
Mutation tried: ``io.dumps_json`` as plain ``json.dumps`` (the code before) -> the NaN and
infinity tests and the metrics file fail to parse.
"""
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from rdbm_core.bridge import bridges
from rdbm_core.data.files import dumps_json
from rdbm_core.cli import coefficient_table, main
from rdbm_core.evidence.metrics import aggregate
from rdbm_core.data.files import write_metrics

ROOT = Path(__file__).resolve().parents[1]


def strict_loads(text: str):
    """``json.loads`` that refuses the non-JSON tokens NaN, Infinity and -Infinity."""
    def refuse(token):
        raise ValueError(f"not JSON (RFC 8259): {token}")
    return json.loads(text, parse_constant=refuse)


def test_strict_parser_refuses_python_tokens():
    with pytest.raises(ValueError, match="NaN"):
        strict_loads(json.dumps({"a": math.nan}))


def test_non_finite_numbers_become_null_and_finite_ones_are_unchanged():
    obj = {"a": math.nan, "b": [math.inf, -math.inf, 1.5, (np.float64(math.nan), 2)], "c": {"d": 0.1, "e": None}}
    assert strict_loads(dumps_json(obj)) == {"a": None, "b": [None, None, 1.5, [None, 2]],
                                               "c": {"d": 0.1, "e": None}}
    finite = {"x": [0.1, 1e-300, 7.878872, -2.5e17], "y": "text", "z": [1, True, None]}
    assert dumps_json(finite) == json.dumps(finite)
    assert dumps_json(finite, indent=2) == json.dumps(finite, indent=2)


@pytest.mark.parametrize("name", list(bridges.BRIDGES))
def test_coeffs_json_is_strict_and_unchanged_for_finite_tables(capsys, name):
    assert main(["coeffs", "--bridge", name, "--json"]) == 0
    text = capsys.readouterr().out
    strict_loads(text)
    table = coefficient_table(name)
    values = [v for k in ("t", "thbar", "Theta", "Psi", "Sigma") for v in table[k]]
    if all(math.isfinite(v) for v in values):
        assert text == json.dumps(table) + "\n"  # byte-identical to the JSON written before


def test_metrics_file_is_strict(tmp_path):
    rows = [{"name": "a", "psnr": math.inf, "psnr_intact": math.nan, "ssim": 0.5},
            {"name": "b", "psnr": 30.0, "psnr_intact": math.nan, "ssim": np.float32(0.25)}]
    summary = aggregate(rows)
    assert math.isnan(summary["psnr_intact"])
    write_metrics(rows, summary, tmp_path / "m.json", tmp_path / "m.csv")
    data = strict_loads((tmp_path / "m.json").read_text())
    assert data["summary"]["psnr_intact"] is None and data["images"][0]["psnr"] is None
    assert data["images"][1]["psnr"] == 30.0 and data["images"][1]["ssim"] == 0.25


def test_every_json_writer_goes_through_dumps_json():
    """No module of the library or the benchmarks writes JSON with the permissive ``json.dump(s)``."""
    offenders = []
    for f in [*(ROOT / "rdbm_core").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]:
        if f.name != "io.py" and re.search(r"\bjson\.dumps?\(", f.read_text()):
            offenders.append(str(f.relative_to(ROOT)))
    assert offenders == []
