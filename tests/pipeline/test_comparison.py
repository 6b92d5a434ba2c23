"""The bridge comparison: one budget for every method, resumable runs, and the committed results are complete."""
import json
import math
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from rdbm_core import bridges
from rdbm_core.path import append_dims
from rdbm_core.comparison import COLUMNS, INPUT_COLUMNS, METHODS, Budget, method_config, read_rows, run_one
from rdbm_core.path import append_dims

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
TINY = Budget(steps=2, batch=2, crop=32, preset="tiny", pool=4, sample_steps=2, eval_images=1, eval_crop=32,
              device="cpu")


def test_every_method_gets_the_same_budget(tmp_path):
    configs = {m: method_config("derain", m, 3, TINY, str(tmp_path)) for m in METHODS}
    shared = ("preset", "steps", "batch", "crop", "pool", "lr", "seed", "sample_steps")
    for key in shared:
        assert len({getattr(c, key) for c in configs.values()}) == 1, key
    # goub is RDBM's bridge with the noise switch flipped, nothing else
    assert (configs["goub"].bridge, configs["goub"].noise) == ("rdbm", "global")
    assert configs["rdbm"].noise is None and bridges.make("rdbm").noise == "modulated"
    with pytest.raises(ValueError, match="unknown method"):
        method_config("derain", "ddpm", 0, TINY, str(tmp_path))


def test_run_one_returns_a_full_row(tmp_path):
    row, inputs = run_one("inpaint", "rdbm", 0, TINY, tmp_path)
    assert set(row) == set(COLUMNS) and set(inputs) == set(INPUT_COLUMNS)
    assert row["train_steps"] == TINY.steps and row["wall_s"] > 0
    assert all(math.isfinite(row[k]) for k in ("psnr", "ssim", "psnr_degraded"))


def _script(tmp_path, *extra):
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bridge_comparison.py"), "--tasks", "derain",
           "--methods", "regression", "--seeds", "0", "--steps", "2", "--batch", "2", "--crop", "32",
           "--preset", "tiny", "--pool", "4", "--sample-steps", "2", "--eval-images", "1", "--eval-crop", "32",
           "--device", "cpu", "--csv", str(tmp_path / "c.csv"), "--workdir", str(tmp_path / "w"), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_script_resumes_and_refuses_a_second_budget(tmp_path):
    first = _script(tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(read_rows(tmp_path / "c.csv")) == 1 and len(read_rows(tmp_path / "c_inputs.csv")) == 1
    again = _script(tmp_path)
    assert again.returncode == 0 and "1 runs already" in again.stdout and "0 to go" in again.stdout
    assert len(read_rows(tmp_path / "c.csv")) == 1
    other = _script(tmp_path, "--lr", "1e-3")
    assert other.returncode != 0 and "another budget" in other.stderr
    assert len(read_rows(tmp_path / "c.csv")) == 1


def test_committed_results_are_complete_and_from_one_budget():
    rows = read_rows(RESULTS / "bridge_comparison.csv")
    meta = json.loads((RESULTS / "bridge_comparison.json").read_text())
    keys = [(r["task"], r["method"], int(r["seed"])) for r in rows]
    assert len(keys) == len(set(keys))  # no run twice
    assert set(keys) == {(t, m, s) for t in ("derain", "inpaint", "lowlight") for m in METHODS for s in (0, 1)}
    assert {int(r["train_steps"]) for r in rows} == {meta["budget"]["steps"]}
    assert set(meta["budget"]) == set(asdict(Budget()))
    inputs = read_rows(RESULTS / "bridge_comparison_inputs.csv")
    assert {(r["task"], int(r["seed"])) for r in inputs} == {(t, s) for t, _, s in keys}
    # every trained method improves on its degraded input, in every task and seed
    base = {(r["task"], r["seed"]): float(r["psnr"]) for r in inputs}
    beaten = sum(float(r["psnr"]) > base[(r["task"], r["seed"])] for r in rows)
    assert beaten == len(rows)


def test_times_stay_on_the_host_and_only_coefficients_travel():
    """The design that keeps bridge training free of device syncs: coefficient maths on the times' device."""
    path = bridges.make("rdbm")
    x = torch.empty(2, 3, 4, 4, device="meta")
    t = path.batch_times(torch.tensor([5, 40]), x)
    assert t.device.type == "cpu"
    theta = append_dims(path.coefficients(t)[0], x)
    assert theta.device.type == "meta" and theta.shape == (2, 1, 1, 1)
