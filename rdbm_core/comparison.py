"""The bridge comparison: every method with the same U-Net, training budget, seeds, sampler and test items.

Methods (the paper's central claim, at this project's scale):

=============  ================================================================
rdbm           RDBM: reference schedule, lam = 1e-4, residual-modulated noise
rdbm-global    RDBM's bridge with global noise (the switch ``noise="global"``, nothing else)
goub           the published GOUB: IR-SDE grid (T = 100), lam = (30/255)^2, global noise
bbdm           BBDM's Brownian bridge (T = 1000, max_var = 1)
ddbm-ve        DDBM-VE (sigma_max = 80)
i2sb           I2SB (N = 1000, beta_max = 0.3)
irsde          IR-SDE (unpinned OU, max_sigma = 10/255)
regression     the same U-Net predicting x0 from mu in one pass
=============  ================================================================

Every bridge predicts ``x0`` (L1 loss) through :class:`~rdbm_core.networks.unet.Preconditioned`
and is sampled with the implicit sampler (``eta = 0``) with the same number of
network evaluations, on the fixed :class:`~rdbm_core.data.datasets.HeldOutBenchmark` (the same
items whatever the training seed).  :func:`run_one` trains and evaluates one
(task, method, seed) and returns its summary row and its per-item rows.
"""
from __future__ import annotations

import time
from dataclasses import field, fields, make_dataclass
from pathlib import Path

from rdbm_core.data.datasets import BENCHMARK_CROP, BENCHMARK_ITEMS, HeldOutBenchmark
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.restoration.evaluation import ITEM_COLUMNS, EvaluationOptions, evaluate, item_rows
from rdbm_core.evidence.metrics import METRIC_KEYS
from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.networks.config import TrainConfig
from rdbm_core.networks.checkpoints import load_trained
from rdbm_core.networks.training import resolve_device, train

__all__ = ["METHODS", "COLUMNS", "INPUT_COLUMNS", "ITEM_COLUMNS", "BUDGET_DEFAULTS", "Budget", "method_config", "run_one",
           "read_rows", "append_row", "append_rows"]

METHODS = ("rdbm", "rdbm-global", "goub", "bbdm", "ddbm-ve", "i2sb", "irsde", "regression")
COLUMNS = ("task", "method", "seed", "train_steps", *METRIC_KEYS, "wall_s")
INPUT_COLUMNS = ("task", "seed", *METRIC_KEYS)


#: the :class:`~rdbm_core.networks.config.TrainConfig` fields that the comparison fixes for every method, with its own
#: defaults (a GPU-sized budget); everything else is ``TrainConfig``'s default.
BUDGET_DEFAULTS = {"steps": 3000, "batch": 16, "crop": 64, "preset": "small", "unet_norm": "group", "lr": 5e-4,
                   "pool": 1024, "sample_steps": 10, "device": "auto"}


def _budget_field(name: str, default):
    """A field of :class:`Budget`: the type and help of ``TrainConfig.<name>``, the comparison's default."""
    source = {f.name: f for f in fields(TrainConfig)}[name]
    return name, source.type, field(default=default, metadata=source.metadata)


#: What every method gets: the same network, training steps, batch, crop, learning rate, pool and sampler
#: steps (fields generated from :class:`~rdbm_core.networks.config.TrainConfig`, so the two cannot drift), and the
#: same test items (``eval_items`` windows of ``eval_crop`` pixels of the held-out benchmark; ``eval_crop=None``:
#: the whole held-out photographs).
Budget = make_dataclass(
    "Budget",
    [*(_budget_field(name, default) for name, default in BUDGET_DEFAULTS.items()),
     ("eval_items", int, field(default=BENCHMARK_ITEMS)),
     ("eval_crop", "int | None", field(default=BENCHMARK_CROP))],
    frozen=True)
Budget.__module__ = __name__


def method_config(task: str, method: str, seed: int, budget: Budget, out: str) -> TrainConfig:
    """The training config of one method (``rdbm-global`` = RDBM's bridge with global noise)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    bridge, noise = ("rdbm", "global") if method == "rdbm-global" else (method, None)
    shared = {name: getattr(budget, name) for name in BUDGET_DEFAULTS}
    return TrainConfig(task=task, bridge=bridge, noise=noise, seed=seed, ckpt_every=0, out=out, **shared)


def run_one(task: str, method: str, seed: int, budget: Budget, workdir: str | Path,
            progress: bool = False) -> tuple[dict, dict, list[dict], list[dict]]:
    """Train and evaluate one (task, method, seed).

    Returns ``(row, input_row, items, input_items)``: the summary rows of the restoration
    (``COLUMNS``) and of the degraded input (``INPUT_COLUMNS``), and the per-item rows
    (``ITEM_COLUMNS``) of both (the input's with ``method="input"``).
    """
    out = Path(workdir) / f"{task}_{method}_{seed}"
    config = method_config(task, method, seed, budget, str(out))
    t0 = time.perf_counter()
    result = train(config, progress=progress)
    device = resolve_device(budget.device)
    model, path, _ = load_trained(result["checkpoint"], device=device)
    test = HeldOutBenchmark(task, budget.eval_items, crop=budget.eval_crop)
    res = evaluate(model, path, test, SamplerSpec(steps=budget.sample_steps),
                   options=EvaluationOptions(seed=seed, progress=False))
    wall = time.perf_counter() - t0
    s = res["summary"]
    row = {"task": task, "method": method, "seed": seed, "train_steps": result["step"],
           **{k: s[k] for k in METRIC_KEYS}, "wall_s": round(wall, 1)}
    inputs = {"task": task, "seed": seed, **{k: s[f"input_{k}"] for k in METRIC_KEYS}}
    return row, inputs, item_rows(res, task, method, seed), item_rows(res, task, "input", seed, inputs=True)


def append_row(csv_path: str | Path, row: dict, columns=COLUMNS) -> None:
    """Append one row (with a header if the file is new); flushed at once so a killed run keeps it."""
    append_rows(csv_path, [row], columns)
