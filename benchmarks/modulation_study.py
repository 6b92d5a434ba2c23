"""The modulation ablation (issue 13, item 3): lam x noise factor x sampler, plus regression, on the benchmark.

    OMP_NUM_THREADS=1 nohup python benchmarks/modulation_study.py \
        >> benchmarks/results/modulation_study_log.txt 2>&1 &

(``--tasks``/``--seeds`` with another ``--csv`` split the grid over several processes; their CSVs
concatenate into one.)

The grid, with the budget of the CPU bridge comparison (``CPU_BUDGET``: tiny U-Net, 250 steps of
batch 8 on 32x32 crops, lr 1e-3, a pool of 256 pairs, 10 network evaluations per restoration):

* RDBM's bridge (reference schedule) with ``lam`` in ``LAMS``.  ``lam = 0`` is the deterministic
  interpolant ``x_t = mu + Theta_t pi``: the noise factor does not enter, so it is trained once per
  (task, seed) and written with ``noise = none``.  Every other ``lam`` is trained with the
  residual-modulated noise (``modulated``, RDBM) and with global noise (``global``);
* every trained bridge is sampled by the three samplers of ``SAMPLERS`` (the network is trained
  once and reused): the implicit step with ``eta = 0`` (the paper's sampler), with ``eta = 1``
  (ancestral) and Euler-Maruyama on the reverse SDE, all at the same 10 network evaluations;
* the one-pass regression network (same U-Net, ``sampler = one-pass``).

Output, one row per (task, lam, noise, sampler, seed) in ``--csv`` (``COLUMNS``, the mean of every
metric over the 64 items of :class:`~rdbm_core.data.datasets.HeldOutBenchmark`); one row per item in
``*_items.csv`` beside it (``rdbm_core.restoration.evaluation.ITEM_COLUMNS``, readable by ``python -m rdbm_core
compare``), the method named by :func:`method_name` (``mod-1e-2-eta0``, ``glob-1e-1-sde``,
``lam0-eta1``, ``regression``; the degraded input as ``input``); the machine, budget, grid and
command in the ``.json`` beside it.

Resumable: rows already in the CSV are skipped; every training's checkpoint is kept in
``--workdir`` (one folder per training) and reused, so sampling can be redone without
training.  ``--reuse DIR`` takes checkpoints of the CPU comparison (``DIR/{task}_{rdbm,rdbm-global,
regression}_{seed}``) when their stored config is the one this study would train (checked
field by field; a mismatch is trained afresh).  Order: seed-major over ``(task, seed)`` blocks,
every cell of a block before the next, so a run cut short holds whole blocks, seeds 0-2 first.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import shutil
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rdbm_core.networks.checkpoints import load_checkpoint, load_trained  # noqa: E402
from rdbm_core.comparison import Budget  # noqa: E402
from rdbm_core.networks.config import TrainConfig, make_path  # noqa: E402
from rdbm_core.data.datasets import HeldOutBenchmark  # noqa: E402
from rdbm_core.bridge.samplers import SamplerSpec  # noqa: E402
from rdbm_core.restoration.evaluation import ITEM_COLUMNS, restore  # noqa: E402
from rdbm_core.data.files import dumps_json  # noqa: E402
from rdbm_core.evidence.metrics import METRIC_KEYS, aggregate, image_metrics
from rdbm_core.data.files import append_rows, read_rows  # noqa: E402
from rdbm_core.networks.training import train  # noqa: E402

#: the budget of the CPU bridge comparison (benchmarks/results/bridge_comparison.json)
CPU_BUDGET = Budget(steps=250, batch=8, crop=32, preset="tiny", lr=1e-3, pool=256, sample_steps=10, device="cpu")
LAMS = (0.0, 1e-4, 1e-3, 1e-2, 0.1)
NOISES = ("modulated", "global")
#: sampler label -> (rdbm_core.bridge.samplers name, eta or None)
SAMPLERS = {"eta0": ("implicit", 0.0), "eta1": ("implicit", 1.0), "sde": ("euler-maruyama", None)}
REGRESSION = "regression"
COLUMNS = ("task", "lam", "noise", "sampler", "seed", "method", "train_steps", *METRIC_KEYS, "wall_s")
#: checkpoints of the CPU comparison that may hold one of this study's trainings
REUSE_NAMES = ("rdbm", "rdbm-global", "regression")
#: config fields that do not change what is trained
_RUN_ONLY = ("out", "device", "noise", "lam", "eval_images", "eval_every", "ckpt_every", "time_budget")


def lam_label(lam: float) -> str:
    """``1e-4`` for 0.0001, ``1e-1`` for 0.1, ``0`` for 0."""
    return "0" if lam == 0 else f"{lam:.0e}".replace("e-0", "e-").replace("e+0", "e")


def network_name(lam: float | None, noise: str | None) -> str:
    """The name of a trained network: ``mod-1e-2``, ``glob-1e-4``, ``lam0`` (the interpolant), ``regression``."""
    if lam is None:
        return REGRESSION
    if lam == 0:
        return "lam0"
    return f"{'mod' if noise == 'modulated' else 'glob'}-{lam_label(lam)}"


def method_name(lam: float | None, noise: str | None, sampler: str | None) -> str:
    """The items-CSV method of a cell: ``mod-1e-2-eta0``, ``glob-1e-4-sde``, ``lam0-eta1``, ``regression``."""
    net = network_name(lam, noise)
    return net if lam is None else f"{net}-{sampler}"


def trainings(lams=LAMS, noises=NOISES, regression: bool = True) -> list[tuple[float | None, str | None]]:
    """The networks of one (task, seed): ``(lam, noise)``, ``(0.0, None)`` for the interpolant (trained
    once: no noise), ``(None, None)`` for regression."""
    out = []
    for lam in lams:
        out += [(0.0, None)] if lam == 0 else [(lam, noise) for noise in noises]
    return out + ([(None, None)] if regression else [])


def train_config(task: str, lam: float | None, noise: str | None, seed: int, budget: Budget, out) -> TrainConfig:
    """The config of one training: RDBM's bridge with ``lam`` and ``noise`` (``lam = None``: regression)."""
    common = dict(task=task, preset=budget.preset, steps=budget.steps, batch=budget.batch, crop=budget.crop,
                  pool=budget.pool, lr=budget.lr, seed=seed, ckpt_every=0, sample_steps=budget.sample_steps,
                  out=str(out), device=budget.device, unet_norm=budget.unet_norm)
    if lam is None:
        return TrainConfig(bridge="regression", **common)
    return TrainConfig(bridge="rdbm", lam=float(lam), noise=noise or "global", **common)


def same_training(stored: dict, config: TrainConfig) -> bool:
    """True when a checkpoint's stored config trains what ``config`` trains (same bridge, lam, noise, budget)."""
    a = TrainConfig.from_dict(stored)
    if any(getattr(a, k) != getattr(config, k) for k in asdict(config) if k not in _RUN_ONLY):
        return False
    pa, pb = make_path(a), make_path(config)
    if pa is None or pb is None:
        return pa is None and pb is None
    return pa.lam == pb.lam and (pa.lam == 0 or pa.noise == pb.noise)


def checkpoint(config: TrainConfig, reuse: list[Path], progress: bool = False) -> tuple[Path, str]:
    """The checkpoint of ``config`` in its ``out`` folder: kept from an earlier sitting, copied from a
    matching ``reuse`` checkpoint, or trained now.  Returns ``(path, how)``."""
    ckpt = Path(config.out) / "checkpoint.pt"
    if ckpt.exists():
        stored = load_checkpoint(ckpt)
        if same_training(stored["config"], config) and stored["step"] == config.steps:
            return ckpt, "kept"
        raise SystemExit(f"{ckpt} holds another training than this study's; use another --workdir")
    for cand in reuse:
        if cand.exists():
            stored = load_checkpoint(cand)
            if same_training(stored["config"], config) and stored["step"] == config.steps:
                ckpt.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(cand, ckpt)
                return ckpt, f"reused {cand.parent.name}"
    result = train(config, progress=progress)
    return Path(result["checkpoint"]), f"trained {result['wall_s']:.0f} s"


def benchmark_batch(task: str, budget: Budget) -> dict:
    """The benchmark's items of ``task`` stacked: ``{"x0", "mu", "mask"}`` [N, ...] and ``names``."""
    test = HeldOutBenchmark(task, budget.eval_items, crop=budget.eval_crop)
    items = [test[i] for i in range(len(test))]
    return {**{k: torch.stack([it[k] for it in items]) for k in ("x0", "mu", "mask")},
            "names": [it["name"] for it in items]}


def item_metrics(restored: torch.Tensor, bench: dict, task: str, method: str, seed: int) -> list[dict]:
    """One ``ITEM_COLUMNS`` row per restored item."""
    rows = []
    for i, name in enumerate(bench["names"]):
        m = image_metrics(restored[i], bench["x0"][i], bench["mask"][i])
        rows.append({"task": task, "method": method, "seed": int(seed), "item": i, "image": name,
                     **{k: round(float(m[k]), 6) for k in METRIC_KEYS}})
    return rows


def sample_cell(model, path, bench: dict, sampler: str | None, seed: int, steps: int, chunk: int = 64):
    """Restore every item with one sampler (``None``: the regression network); the generator is seeded by
    the training seed alone, so a cell gives the same restorations whatever the order of the grid."""
    generator = torch.Generator().manual_seed(seed)
    name, eta = SAMPLERS[sampler] if sampler else ("implicit", 0.0)
    outs = []
    for i in range(0, len(bench["mu"]), chunk):
        mu = bench["mu"][i:i + chunk]
        if path is None:
            outs.append(restore(model, None, mu))
        else:
            outs.append(restore(model, path, mu, SamplerSpec(name, steps, eta=eta or 0.0), generator))
    return torch.cat(outs).clamp(-1, 1)


def _machine() -> str:
    return f"cpu ({platform.processor() or platform.machine()}, {mp.cpu_count()} cores)"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["derain", "inpaint", "lowlight"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--lams", nargs="+", type=float, default=list(LAMS))
    p.add_argument("--noises", nargs="+", default=list(NOISES), choices=NOISES)
    p.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=list(SAMPLERS))
    p.add_argument("--no-regression", action="store_true", help="leave out the regression network")
    for name in ("steps", "batch", "crop", "pool", "sample_steps", "eval_items", "eval_crop"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(CPU_BUDGET, name))
    p.add_argument("--preset", default=CPU_BUDGET.preset)
    p.add_argument("--lr", type=float, default=CPU_BUDGET.lr)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--csv", default="benchmarks/results/modulation_study.csv")
    p.add_argument("--workdir", default="runs/modulation_study", help="one folder per training, kept")
    p.add_argument("--reuse", nargs="*", default=[], help="folders of the CPU comparison's runs to reuse")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    budget = replace(CPU_BUDGET, **{k: getattr(args, k) for k in (
        "steps", "batch", "crop", "pool", "sample_steps", "eval_items", "preset", "lr")},
        eval_crop=args.eval_crop or None)
    csv_path = Path(args.csv)
    meta = csv_path.with_suffix(".json")
    if meta.exists() and json.loads(meta.read_text())["budget"] != asdict(budget):
        raise SystemExit(f"{csv_path} was made with another budget ({meta}); use another --csv")
    items_csv = csv_path.with_name(csv_path.stem + "_items.csv")
    grid = {"tasks": args.tasks, "seeds": args.seeds, "lams": args.lams, "noises": args.noises,
            "samplers": args.samplers, "regression": not args.no_regression}
    old = json.loads(meta.read_text()) if meta.exists() else {}
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(dumps_json({
        **old, "budget": asdict(budget), "machine": _machine(), "threads": args.threads, "torch": torch.__version__,
        "command": " ".join([f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python3 benchmarks/modulation_study.py",
                             *(sys.argv[1:] if argv is None else argv)]),
        "grid": grid, "date": old.get("date", time.strftime("%Y-%m-%d")),
    }, indent=1) + "\n")
    done = {(r["task"], r["method"], int(r["seed"])) for r in read_rows(csv_path)}
    items_done = {(r["task"], r["method"], int(r["seed"])) for r in read_rows(items_csv)}
    nets = trainings(args.lams, args.noises, not args.no_regression)
    blocks = [(t, s) for s in args.seeds for t in args.tasks]  # seed-major: whole (task, seed) blocks land first
    cells = [(t, s, lam, noise, smp) for t, s in blocks for lam, noise in nets
             for smp in ([None] if lam is None else args.samplers)]
    todo = [c for c in cells if (c[0], method_name(c[2], c[3], c[4]), c[1]) not in done]
    print(f"{len(cells) - len(todo)} of {len(cells)} rows already in {csv_path}; {len(todo)} to go", flush=True)
    t0 = time.perf_counter()
    benches, loaded = {}, {}
    for n, (task, seed, lam, noise, smp) in enumerate(tqdm(todo, desc="cells", mininterval=30, file=sys.stdout), 1):
        method = method_name(lam, noise, smp)
        if task not in benches:
            benches[task] = benchmark_batch(task, budget)
        bench = benches[task]
        if (task, "input", seed) not in items_done:
            append_rows(items_csv, item_metrics(bench["mu"], bench, task, "input", seed), ITEM_COLUMNS)
            items_done.add((task, "input", seed))
        key = (task, seed, lam, noise)
        if key not in loaded:
            folder = f"{task}_{network_name(lam, noise)}_{seed}"
            config = train_config(task, lam, noise, seed, budget, Path(args.workdir) / folder)
            reuse = [Path(d) / f"{task}_{m}_{seed}" / "checkpoint.pt" for d in args.reuse for m in REUSE_NAMES]
            ckpt, how = checkpoint(config, reuse)
            model, path, _ = load_trained(ckpt, device="cpu")
            loaded = {key: (model, path, load_checkpoint(ckpt)["step"])}  # one network in memory at a time
            print(f"  network {folder}: {how}", flush=True)
        model, path, steps_trained = loaded[key]
        t1 = time.perf_counter()
        restored = sample_cell(model, path, bench, smp, seed, budget.sample_steps)
        rows = item_metrics(restored, bench, task, method, seed)
        if (task, method, seed) not in items_done:
            append_rows(items_csv, rows, ITEM_COLUMNS)
            items_done.add((task, method, seed))
        s = aggregate(rows)
        row = {"task": task, "lam": "" if lam is None else lam_label(lam),
               "noise": "" if lam is None else (noise or "none"), "sampler": smp or "one-pass", "seed": seed,
               "method": method, "train_steps": steps_trained, **{k: round(s[k], 6) for k in METRIC_KEYS},
               "wall_s": round(time.perf_counter() - t1, 1)}
        append_rows(csv_path, [row], COLUMNS)  # last: a cell counts as done once its rows are written
        print(f"[{n}/{len(todo)} {time.perf_counter() - t0:6.0f}s] {task:8s} seed {seed} {method:16s} "
              f"PSNR {s['psnr']:.2f} (degraded {s['psnr_degraded']:.2f}, intact {s['psnr_intact']:.2f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
