"""The bridge comparison: one budget for every method, resumable runs, and the committed results are complete."""
import json
import math
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from rdbm_core.bridge import bridges
from rdbm_core.comparison import COLUMNS, INPUT_COLUMNS, METHODS, Budget, method_config, run_one
from rdbm_core.restoration.evaluation import ITEM_COLUMNS
from rdbm_core.data.files import read_rows
from rdbm_core.bridge.path import append_dims

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
TINY = Budget(steps=2, batch=2, crop=32, preset="tiny", pool=4, sample_steps=2, eval_items=4, eval_crop=32,
              device="cpu")


def test_every_method_gets_the_same_budget(tmp_path):
    configs = {m: method_config("derain", m, 3, TINY, str(tmp_path)) for m in METHODS}
    shared = ("preset", "steps", "batch", "crop", "pool", "lr", "seed", "sample_steps")
    for key in shared:
        assert len({getattr(c, key) for c in configs.values()}) == 1, key
    # rdbm-global is RDBM's bridge with the noise switch flipped, nothing else; goub is the published GOUB
    assert (configs["rdbm-global"].bridge, configs["rdbm-global"].noise) == ("rdbm", "global")
    assert configs["rdbm"].noise is None and bridges.make("rdbm").noise == "modulated"
    assert (configs["goub"].bridge, configs["goub"].noise) == ("goub", None)
    assert bridges.make("goub").lam == pytest.approx((30 / 255) ** 2)
    with pytest.raises(ValueError, match="unknown method"):
        method_config("derain", "ddpm", 0, TINY, str(tmp_path))


def test_run_one_returns_full_rows_on_the_same_items_for_every_seed(tmp_path):
    """The test items do not depend on the training seed: the inputs' item rows of seeds 0 and 1 are equal.

    Mutation caught: evaluating on a set degraded with the training seed (the old ``test_pairs``)."""
    row, inputs, items, input_items = run_one("inpaint", "rdbm", 0, TINY, tmp_path)
    assert set(row) == set(COLUMNS) and set(inputs) == set(INPUT_COLUMNS)
    assert row["train_steps"] == TINY.steps and row["wall_s"] > 0
    assert all(math.isfinite(row[k]) for k in ("psnr", "ssim", "psnr_degraded", "psnr_y", "ssim_y"))
    assert len(items) == len(input_items) == TINY.eval_items
    assert all(set(r) == set(ITEM_COLUMNS) for r in items + input_items)
    assert {r["method"] for r in input_items} == {"input"} and [r["item"] for r in items] == [0, 1, 2, 3]
    assert row["psnr_y"] == pytest.approx(sum(r["psnr_y"] for r in items) / len(items), abs=1e-5)
    _, _, items_1, input_items_1 = run_one("inpaint", "rdbm", 1, TINY, tmp_path)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seed"} for r in rows]  # noqa: E731
    assert strip(input_items_1) == strip(input_items)
    assert [r["image"] for r in items_1] == [r["image"] for r in items]


def _script(tmp_path, *extra):
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bridge_comparison.py"), "--tasks", "derain",
           "--methods", "regression", "--seeds", "0", "--steps", "2", "--batch", "2", "--crop", "32",
           "--preset", "tiny", "--pool", "4", "--sample-steps", "2", "--eval-items", "2", "--eval-crop", "32",
           "--device", "cpu", "--csv", str(tmp_path / "c.csv"), "--workdir", str(tmp_path / "w"), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_script_resumes_and_refuses_a_second_budget(tmp_path):
    first = _script(tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(read_rows(tmp_path / "c.csv")) == 1 and len(read_rows(tmp_path / "c_inputs.csv")) == 1
    items = read_rows(tmp_path / "c_items.csv")
    assert [(r["method"], r["item"]) for r in items] == [("regression", "0"), ("regression", "1"),
                                                         ("input", "0"), ("input", "1")]
    again = _script(tmp_path)
    assert again.returncode == 0 and "1 runs already" in again.stdout and "0 to go" in again.stdout
    assert len(read_rows(tmp_path / "c.csv")) == 1 and len(read_rows(tmp_path / "c_items.csv")) == 4
    other = _script(tmp_path, "--lr", "1e-3")
    assert other.returncode != 0 and "another budget" in other.stderr
    assert len(read_rows(tmp_path / "c.csv")) == 1


def test_committed_results_are_complete_and_from_one_budget():
    from rdbm_core.networks.config import STORED_BEFORE
    rows = read_rows(RESULTS / "bridge_comparison.csv")
    meta = json.loads((RESULTS / "bridge_comparison.json").read_text())
    keys = [(r["task"], r["method"], int(r["seed"])) for r in rows]
    assert len(keys) == len(set(keys))  # no run twice
    assert set(keys) == {(t, m, s) for t in ("derain", "inpaint", "lowlight") for m in METHODS for s in (0, 1, 2)}
    assert {int(r["train_steps"]) for r in rows} == {meta["budget"]["steps"]}
    # every field of today's Budget, but those added after the run (their value then: STORED_BEFORE's)
    assert set(meta["budget"]) == set(asdict(Budget())) - set(STORED_BEFORE) and meta["machine"] and meta["command"]
    inputs = read_rows(RESULTS / "bridge_comparison_inputs.csv")
    assert {(r["task"], int(r["seed"])) for r in inputs} == {(t, s) for t, _, s in keys}
    # the items CSV: 64 benchmark items for every run and for the inputs, and the summary is their mean
    items = read_rows(RESULTS / "bridge_comparison_items.csv")
    per_run = {}
    for r in items:
        per_run.setdefault((r["task"], r["method"], int(r["seed"])), []).append(r)
    runs = set(keys) | {(t, "input", s) for t, _, s in keys}
    assert set(per_run) == runs and {len(v) for v in per_run.values()} == {meta["budget"]["eval_items"]} >= {64}
    for r in rows:
        vals = [float(i["psnr_y"]) for i in per_run[(r["task"], r["method"], int(r["seed"]))]]
        assert float(r["psnr_y"]) == pytest.approx(sum(vals) / len(vals), abs=1e-4)


def test_times_stay_on_the_host_and_only_coefficients_travel():
    """The design that keeps bridge training free of device syncs: coefficient maths on the times' device."""
    path = bridges.make("rdbm")
    x = torch.empty(2, 3, 4, 4, device="meta")
    t = path.batch_times(torch.tensor([5, 40]), x)
    assert t.device.type == "cpu"
    theta = append_dims(path.coefficients(t)[0], x)
    assert theta.device.type == "meta" and theta.shape == (2, 1, 1, 1)


def test_budget_is_built_from_train_config():
    """Every training field of the comparison's Budget is a TrainConfig field with the same type and help, and
    method_config carries each of them into the run's config.  Mutation tried: dropping ``lr`` from the fields
    that method_config passes on leaves the run at TrainConfig's default learning rate and fails here."""
    from dataclasses import fields as dc_fields

    from rdbm_core.comparison import BUDGET_DEFAULTS
    from rdbm_core.networks.config import TrainConfig
    train_fields = {f.name: f for f in dc_fields(TrainConfig)}
    budget_fields = {f.name: f for f in dc_fields(Budget)}
    assert set(budget_fields) == set(BUDGET_DEFAULTS) | {"eval_items", "eval_crop"}
    for name in BUDGET_DEFAULTS:
        assert budget_fields[name].type == train_fields[name].type, name
        assert budget_fields[name].metadata["help"] == train_fields[name].metadata["help"], name
    odd = Budget(steps=7, batch=3, crop=40, preset="tiny", lr=3e-3, pool=5, sample_steps=4, device="cpu")
    config = method_config("derain", "rdbm-global", 2, odd, "out")
    for name in BUDGET_DEFAULTS:
        assert getattr(config, name) == getattr(odd, name), name
    assert (config.bridge, config.noise, config.seed) == ("rdbm", "global", 2)
