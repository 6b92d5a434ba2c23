"""The bridge comparison on benchmark v2, on both axes: every method with one U-Net, budget, seeds and test items.

    OMP_NUM_THREADS=1 python -m experiments bridge_comparison run --runs DIR [--shard 0/2]

Methods (:data:`rdbm_core.comparison.METHODS`): RDBM, RDBM with global noise, GOUB, BBDM, DDBM-VE, I2SB, IR-SDE
and the one-pass regression network, trained on deraining, inpainting and low light with training seeds 0-4
at the CPU budget of :class:`StudyConfig` (the tiny U-Net, 250 iterations of batch 8 on 32x32 crops). Every
network restores version 2 of the held-out benchmark (12 windows of each of 12 photographs) and every item is
measured on the distortion axis (PSNR, SSIM) and the perception axis (ST-LPIPS), every set by the sliced
Wasserstein distance. Samplings (:data:`experiments.networks.SAMPLINGS`): every bridge with ``eta0`` (implicit,
10 steps, the paper's sampler); the bridges of :data:`PLANE_METHODS` also with ``eta1x8`` (implicit ``eta = 1``,
10 steps, 8 draws: one draw and the mean of the draws) and ``em100`` (one Euler-Maruyama draw at 100 steps),
the points of the distortion-perception plane.

Results in ``experiments/results/bridge_comparison/``: ``networks.csv`` (one row per trained network, with its
weights' hash), ``items.csv`` (one row per network, sampling and item; ``method`` is ``rdbm-eta0``,
``goub-em100``, ``regression``, or ``input`` for the degraded inputs), ``sets.csv`` (SWD per network and
sampling) and provenance records. Resumable: networks and (network, sampling) rows already present are skipped;
the deterministic grid runs first, seed by seed, then the plane samplings (:func:`runs_of`).
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from rdbm_core.comparison import METHODS, Budget, method_config
from rdbm_core.data.files import append_rows, read_rows

from . import RESULTS
from .networks import (ITEM_COLUMNS, SAMPLINGS, SET_COLUMNS, evaluate_weights, network_record, parse_shard,
                       train_to)
from .provenance import file_sha256, provenance, write_provenance

FOLDER = RESULTS / "bridge_comparison"
NETWORKS_CSV = FOLDER / "networks.csv"
ITEMS_CSV = FOLDER / "items.csv"
SETS_CSV = FOLDER / "sets.csv"
NETWORK_COLUMNS = ("task", "method", "seed", "steps", "weights", "sha256", "train_wall_s", "loss_last_50")
#: the methods placed on the distortion-perception plane (sampled three ways)
PLANE_METHODS = ("regression", "rdbm", "rdbm-global", "goub", "bbdm", "i2sb")


@dataclass(frozen=True)
class StudyConfig:
    """The study's grid and the budget every network gets."""

    tasks: tuple[str, ...] = ("derain", "inpaint", "lowlight")
    methods: tuple[str, ...] = METHODS
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    preset: str = "tiny"
    steps: int = 250
    batch: int = 8
    crop: int = 32
    lr: float = 1e-3
    pool: int = 256


def samplings(method: str) -> tuple[str | None, ...]:
    """The samplings of ``method``'s network (``None``: the regression pass)."""
    if method == "regression":
        return (None,)
    return ("eta0", "eta1x8", "em100") if method in PLANE_METHODS else ("eta0",)


def label(method: str, sampling: str | None) -> str:
    """The ``method`` of a result row: the method and its sampling."""
    return method if sampling is None else f"{method}-{sampling}"


def runs_of(study: StudyConfig) -> list[tuple[tuple[str | None, ...], int, str, str]]:
    """(samplings, seed, task, method) of every evaluation job, in the order they run: first every network with
    its first sampling (``eta0``, or the regression pass), seed by seed, then the plane samplings of the
    :data:`PLANE_METHODS` networks, seed by seed; so the deterministic grid over every seed is complete first."""
    order = [(seed, task, method) for seed in study.seeds for task in study.tasks for method in study.methods]
    return ([(samplings(m)[:1], seed, task, m) for seed, task, m in order]
            + [(samplings(m)[1:], seed, task, m) for seed, task, m in order if len(samplings(m)) > 1])


def run(study: StudyConfig, runs: Path, shard: tuple[int, int] = (0, 1)) -> int:
    """Train and evaluate every network of ``study`` not yet in the results (shard ``(i, n)``: every n-th from
    the i-th); return how many (network, sampling) evaluations were made."""
    done_networks = {(r["task"], r["method"], int(r["seed"])): r for r in read_rows(NETWORKS_CSV)}
    done_sets = {(r["task"], r["method"], int(r["seed"])) for r in read_rows(SETS_CSV)}
    done_inputs = {(r["task"], int(r["seed"])) for r in read_rows(ITEMS_CSV) if r["method"] == "input" and r["item"] == "0"}
    mine = [job for k, job in enumerate(runs_of(study)) if k % shard[1] == shard[0]]
    made, t0 = 0, time.perf_counter()
    used = []

    def record():  # after every network: a run stopped at any point leaves its provenance
        write_provenance(FOLDER, {"study": "bridge_comparison", "config": asdict(study),
                                  "samplings": {k: asdict(v) for k, v in SAMPLINGS.items()},
                                  **provenance(wall_s=time.perf_counter() - t0, networks=used)},
                         name=f"provenance_shard{shard[0]}of{shard[1]}.json")

    for k, (job_samplings, seed, task, method) in enumerate(mine, 1):
        todo = [s for s in job_samplings if (task, label(method, s), seed) not in done_sets]
        if not todo:
            continue
        out = runs / f"{task}_{method}_s{seed}"
        weights = out / f"steps_{study.steps}.safetensors"
        row = done_networks.get((task, method, seed))
        if row is None or not weights.is_file() or file_sha256(weights) != row["sha256"]:
            budget = Budget(steps=study.steps, batch=study.batch, crop=study.crop, preset=study.preset, lr=study.lr,
                            pool=study.pool, device="cpu")
            config = replace(method_config(task, method, seed, budget, str(out)), ckpt_every=0)
            result, weights = train_to(config, study.steps)
            row = {"task": task, "method": method, "seed": seed, "steps": study.steps,
                   **network_record(result, weights, runs)}
            if (task, method, seed) not in done_networks:
                append_rows(NETWORKS_CSV, [row], NETWORK_COLUMNS)
            done_networks[(task, method, seed)] = row
        used.append(weights)
        for sampling in todo:
            items, sets, inputs = evaluate_weights(weights, task, seed, label(method, sampling), sampling)
            if (task, seed) not in done_inputs:  # the degraded inputs, once per task and seed
                append_rows(ITEMS_CSV, inputs, ITEM_COLUMNS)
                done_inputs.add((task, seed))
            append_rows(ITEMS_CSV, items, ITEM_COLUMNS)
            append_rows(SETS_CSV, [sets], SET_COLUMNS)
            made += 1
            print(f"[{k}/{len(mine)}] {task} {label(method, sampling)} seed {seed}: PSNR "
                  f"{np.mean([r['psnr'] for r in items]):.2f} dB, ST-LPIPS {np.mean([r['lpips_st'] for r in items]):.4f},"
                  f" SWD {sets['swd']:.2f} ({sets['wall_s']:.0f} s)", flush=True)
        record()
    return made


def main(argv=None) -> int:
    """The study's command line (``run``); returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m experiments bridge_comparison", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("run", help="train and evaluate every network not yet in the results (resumable)")
    q.add_argument("--runs", default="runs/bridge_comparison", help="folder of the networks' checkpoints and weights")
    q.add_argument("--shard", default="0/1", help="I/N: every N-th network, from the I-th")
    args = p.parse_args(argv)
    index, count = parse_shard(args.shard)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    made = run(StudyConfig(), Path(args.runs), (index, count))
    print(f"bridge comparison, shard {args.shard}: {made} evaluations made")
    return 0
