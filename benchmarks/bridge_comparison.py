"""Run the bridge comparison (notebook 07): every (task, method, seed) with the same budget.

    OMP_NUM_THREADS=1 python benchmarks/bridge_comparison.py --tasks derain inpaint lowlight \
        --seeds 0 1 2 --steps 300 --batch 8 --crop 32 --preset tiny --threads 1 \
        --csv benchmarks/results/bridge_comparison.csv

Every run is evaluated on the fixed held-out benchmark (``rdbm_core.data.datasets.HeldOutBenchmark``:
64 windows of the four test photographs, the same for every method and seed).  Writes one
summary row per run to the CSV, one row per test item to ``*_items.csv`` beside it (the
degraded inputs as ``method=input``, once per task and seed) and the inputs' summary to
``*_inputs.csv``; the machine, command and budget go to the ``.json`` beside it.

Resumable: runs already in the CSV are skipped and item rows already present are not
written twice, so the runs can be spread over several sittings (every method must get the
same budget: the script refuses to mix budgets in one file).  ``--workers N`` trains N runs
at once in separate processes (on one GPU, small models are launch-bound and run well side
by side).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rdbm_core.comparison import COLUMNS, INPUT_COLUMNS, METHODS, Budget, run_one
from rdbm_core.restoration.evaluation import ITEM_COLUMNS
from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.data.embedded import embedded_image_names  # noqa: E402
from rdbm_core.data.files import dumps_json as dumps  # noqa: E402


def _worker(job):
    task, method, seed, budget, workdir, threads = job
    torch.set_num_threads(threads)
    return run_one(task, method, seed, budget, workdir)


def _machine(device: str) -> str:
    if device == "cuda":
        return torch.cuda.get_device_name(0)
    return f"cpu ({platform.processor() or platform.machine()}, {mp.cpu_count()} cores)"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["derain", "inpaint", "lowlight"])
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=Budget.steps)
    p.add_argument("--batch", type=int, default=Budget.batch)
    p.add_argument("--crop", type=int, default=Budget.crop)
    p.add_argument("--preset", default=Budget.preset)
    p.add_argument("--lr", type=float, default=Budget.lr)
    p.add_argument("--pool", type=int, default=Budget.pool)
    p.add_argument("--sample-steps", type=int, default=Budget.sample_steps)
    p.add_argument("--eval-items", type=int, default=Budget.eval_items, help="items of the held-out benchmark")
    p.add_argument("--eval-crop", type=int, default=Budget.eval_crop,
                   help="window size of the benchmark items (0: whole photographs)")
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=None, help="torch threads per worker (default: cores / workers)")
    p.add_argument("--csv", default="benchmarks/results/bridge_comparison.csv")
    p.add_argument("--workdir", default="runs/comparison")
    args = p.parse_args(argv)
    budget = Budget(steps=args.steps, batch=args.batch, crop=args.crop, preset=args.preset, lr=args.lr,
                    pool=args.pool, sample_steps=args.sample_steps, eval_items=args.eval_items,
                    eval_crop=args.eval_crop or None, device=args.device)
    csv_path = Path(args.csv)
    meta = csv_path.with_suffix(".json")
    if meta.exists() and json.loads(meta.read_text())["budget"] != asdict(budget):
        raise SystemExit(f"{csv_path} was made with another budget ({meta}); use another --csv")
    meta.parent.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() and args.device in ("auto", "cuda") else "cpu"
    threads = args.threads or max(1, (mp.cpu_count() or 2) // max(1, args.workers))
    meta.write_text(dumps({
        "budget": asdict(budget),
        "machine": _machine(device),
        "threads_per_worker": threads,
        "workers": args.workers,
        "torch": torch.__version__,
        "command": " ".join(["python3", "benchmarks/bridge_comparison.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": time.strftime("%Y-%m-%d"),
        "train_images": embedded_image_names("train"),
        "test_images": embedded_image_names("test"),
    }, indent=1) + "\n")
    items_csv = csv_path.with_name(csv_path.stem + "_items.csv")
    inputs_csv = csv_path.with_name(csv_path.stem + "_inputs.csv")
    done = {(r["task"], r["method"], int(r["seed"])) for r in read_rows(csv_path)}
    items_done = {(r["task"], r["method"], int(r["seed"]), int(r["item"])) for r in read_rows(items_csv)}
    seen_inputs = {(r["task"], int(r["seed"])) for r in read_rows(inputs_csv)}
    # seed-major order: a sitting cut short still has whole seeds of every method
    jobs = [(t, m, s) for s in args.seeds for t in args.tasks for m in args.methods if (t, m, s) not in done]
    print(f"{len(done)} runs already in {csv_path}; {len(jobs)} to go on {device} with {args.workers} workers "
          f"of {threads} threads", flush=True)
    payload = [(t, m, s, budget, args.workdir, threads) for t, m, s in jobs]
    t0 = time.perf_counter()
    if args.workers > 1:
        pool = mp.get_context("spawn").Pool(args.workers)
        results = pool.imap_unordered(_worker, payload)
    else:
        results = map(_worker, payload)
    for i, (row, inputs, items, input_items) in enumerate(results, 1):
        new_items = [r for r in items + input_items
                     if (r["task"], r["method"], r["seed"], r["item"]) not in items_done]
        append_rows(items_csv, new_items, ITEM_COLUMNS)
        items_done.update((r["task"], r["method"], r["seed"], r["item"]) for r in new_items)
        if (inputs["task"], inputs["seed"]) not in seen_inputs:
            append_rows(inputs_csv, [inputs], INPUT_COLUMNS)
            seen_inputs.add((inputs["task"], inputs["seed"]))
        append_rows(csv_path, [row], COLUMNS)  # last: a run counts as done once all its rows are written
        print(f"[{i}/{len(jobs)} {time.perf_counter() - t0:6.0f}s] {row['task']:9s} {row['method']:11s} "
              f"seed {row['seed']}: PSNR {row['psnr']:.2f} (Y {row['psnr_y']:.2f}; degraded "
              f"{row['psnr_degraded']:.2f}, intact {row['psnr_intact']:.2f}) in {row['wall_s']} s", flush=True)
    if args.workers > 1:
        pool.close()
        pool.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
