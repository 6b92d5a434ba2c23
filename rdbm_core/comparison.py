"""The bridge comparison: every method with the same U-Net, training budget, seeds and sampler.

Methods (the paper's central claim, at this project's scale):

=============  ================================================================
rdbm           RDBM: reference schedule, lam = 1e-4, residual-modulated noise
goub           the same bridge with global noise (the switch ``noise="global"``)
bbdm           BBDM's Brownian bridge (T = 1000, max_var = 1)
ddbm-ve        DDBM-VE (sigma_max = 80)
i2sb           I2SB (N = 1000, beta_max = 0.3)
irsde          IR-SDE (unpinned OU, max_sigma = 10/255)
regression     the same U-Net predicting x0 from mu in one pass
=============  ================================================================

Every bridge predicts ``x0`` (L1 loss) through :class:`~rdbm_core.unet.Preconditioned`
and is sampled with the implicit sampler (``eta = 0``) with the same number of
network evaluations.  :func:`run_one` trains and evaluates one (task, method, seed)
and returns one CSV row.
"""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

from .data import test_pairs
from .evaluation import evaluate
from .training import TrainConfig, load_trained, resolve_device, train

__all__ = ["METHODS", "COLUMNS", "Budget", "method_config", "run_one", "read_rows", "append_row"]

METHODS = ("rdbm", "goub", "bbdm", "ddbm-ve", "i2sb", "irsde", "regression")
COLUMNS = ("task", "method", "seed", "train_steps", "psnr", "ssim", "psnr_degraded", "psnr_intact",
           "ssim_degraded", "ssim_intact", "wall_s")
INPUT_COLUMNS = ("task", "seed", "psnr", "ssim", "psnr_degraded", "psnr_intact", "ssim_degraded", "ssim_intact")


@dataclass(frozen=True)
class Budget:
    """What every method gets: the same network, steps, batch, crop, learning rate and sampler."""

    steps: int = 3000
    batch: int = 16
    crop: int = 64
    preset: str = "small"
    lr: float = 5e-4
    pool: int = 1024
    sample_steps: int = 10
    eval_images: int = 4
    eval_crop: int | None = None  # None: whole held-out photographs
    device: str = "auto"


def method_config(task: str, method: str, seed: int, budget: Budget, out: str) -> TrainConfig:
    """The training config of one method (``goub`` = RDBM's bridge with global noise)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    bridge, noise = ("rdbm", "global") if method == "goub" else (method, None)
    return TrainConfig(task=task, bridge=bridge, noise=noise, preset=budget.preset, steps=budget.steps,
                       batch=budget.batch, crop=budget.crop, pool=budget.pool, lr=budget.lr, seed=seed,
                       ckpt_every=0, sample_steps=budget.sample_steps, out=out, device=budget.device)


def run_one(task: str, method: str, seed: int, budget: Budget, workdir: str | Path,
            progress: bool = False) -> tuple[dict, dict]:
    """Train and evaluate one (task, method, seed); return ``(row, input_row)`` for the two CSVs."""
    out = Path(workdir) / f"{task}_{method}_{seed}"
    config = method_config(task, method, seed, budget, str(out))
    t0 = time.perf_counter()
    result = train(config, progress=progress)
    device = resolve_device(budget.device)
    model, path, _ = load_trained(result["checkpoint"], device=device)
    test = test_pairs(task, budget.eval_images, seed, crop=budget.eval_crop)
    res = evaluate(model, path, test, steps=budget.sample_steps, device=device,
                   seed=seed, progress=False)
    wall = time.perf_counter() - t0
    s = res["summary"]
    row = {"task": task, "method": method, "seed": seed, "train_steps": result["step"],
           **{k: s[k] for k in COLUMNS[4:10]}, "wall_s": round(wall, 1)}
    inputs = {"task": task, "seed": seed, **{k: s[f"input_{k}"] for k in INPUT_COLUMNS[2:]}}
    return row, inputs


def read_rows(csv_path: str | Path) -> list[dict]:
    """Rows of a results CSV (empty if the file does not exist)."""
    csv_path = Path(csv_path)
    if not csv_path.exists():
        return []
    with open(csv_path, newline="") as f:
        return list(csv.DictReader(f))


def append_row(csv_path: str | Path, row: dict, columns=COLUMNS) -> None:
    """Append one row (with a header if the file is new); flushed at once so a killed run keeps it."""
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    new = not csv_path.exists() or csv_path.stat().st_size == 0
    with open(csv_path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), lineterminator="\n")
        if new:
            writer.writeheader()
        writer.writerow({k: row[k] for k in columns})
        f.flush()
