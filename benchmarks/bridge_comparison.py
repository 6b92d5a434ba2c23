"""Run the bridge comparison (notebook 07): every (task, method, seed) with the same budget -> one CSV row.

    python benchmarks/bridge_comparison.py --tasks derain inpaint lowlight --seeds 0 1 \
        --steps 1000 --batch 16 --preset small --workers 12 \
        --csv benchmarks/results/bridge_comparison.csv

Resumable: rows already in the CSV are skipped, so the runs can be spread over
several sittings (every method must get the same budget: the script refuses to
mix budgets in one file).  The degraded inputs' metrics go to ``*_inputs.csv``
beside it.  ``--workers N`` trains N runs at once in separate processes (on one
GPU, small models are launch-bound and run well side by side).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rdbm_core.comparison import INPUT_COLUMNS, METHODS, Budget, append_row, read_rows, run_one  # noqa: E402
from rdbm_core.data import embedded_image_names  # noqa: E402
from rdbm_core.io import dumps_json as dumps  # noqa: E402


def _worker(job):
    task, method, seed, budget, workdir, threads = job
    torch.set_num_threads(threads)
    return run_one(task, method, seed, budget, workdir)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["derain", "inpaint", "lowlight"])
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--steps", type=int, default=Budget.steps)
    p.add_argument("--batch", type=int, default=Budget.batch)
    p.add_argument("--crop", type=int, default=Budget.crop)
    p.add_argument("--preset", default=Budget.preset)
    p.add_argument("--lr", type=float, default=Budget.lr)
    p.add_argument("--pool", type=int, default=Budget.pool)
    p.add_argument("--sample-steps", type=int, default=Budget.sample_steps)
    p.add_argument("--eval-images", type=int, default=Budget.eval_images)
    p.add_argument("--eval-crop", type=int, default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--csv", default="benchmarks/results/bridge_comparison.csv")
    p.add_argument("--workdir", default="runs/comparison")
    args = p.parse_args(argv)
    budget = Budget(steps=args.steps, batch=args.batch, crop=args.crop, preset=args.preset, lr=args.lr,
                    pool=args.pool, sample_steps=args.sample_steps, eval_images=args.eval_images,
                    eval_crop=args.eval_crop, device=args.device)
    csv_path = Path(args.csv)
    meta = csv_path.with_suffix(".json")
    if meta.exists() and json.loads(meta.read_text())["budget"] != asdict(budget):
        raise SystemExit(f"{csv_path} was made with another budget ({meta}); use another --csv")
    meta.parent.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() and args.device in ("auto", "cuda") else "cpu"
    meta.write_text(dumps({
        "budget": asdict(budget),
        "machine": torch.cuda.get_device_name(0) if device == "cuda" else f"cpu ({mp.cpu_count()} cores)",
        "torch": torch.__version__,
        "command": " ".join(["python3", "benchmarks/bridge_comparison.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": time.strftime("%Y-%m-%d"),
        "train_images": embedded_image_names("train"),
    }, indent=1))
    done = {(r["task"], r["method"], int(r["seed"])) for r in read_rows(csv_path)}
    # seed-major order: a sitting cut short still has whole seeds of every method
    jobs = [(t, m, s) for s in args.seeds for t in args.tasks for m in args.methods if (t, m, s) not in done]
    print(f"{len(done)} runs already in {csv_path}; {len(jobs)} to go on {device} with {args.workers} workers",
          flush=True)
    threads = max(1, (mp.cpu_count() or 2) // max(1, args.workers))
    payload = [(t, m, s, budget, args.workdir, threads) for t, m, s in jobs]
    inputs_csv = csv_path.with_name(csv_path.stem + "_inputs.csv")
    seen_inputs = {(r["task"], int(r["seed"])) for r in read_rows(inputs_csv)}
    t0 = time.perf_counter()
    if args.workers > 1:
        pool = mp.get_context("spawn").Pool(args.workers)
        results = pool.imap_unordered(_worker, payload)
    else:
        results = map(_worker, payload)
    for i, (row, inputs) in enumerate(results, 1):
        append_row(csv_path, row)
        if (inputs["task"], inputs["seed"]) not in seen_inputs:
            append_row(inputs_csv, inputs, INPUT_COLUMNS)
            seen_inputs.add((inputs["task"], inputs["seed"]))
        print(f"[{i}/{len(jobs)} {time.perf_counter() - t0:6.0f}s] {row['task']:9s} {row['method']:10s} "
              f"seed {row['seed']}: PSNR {row['psnr']:.2f} (degraded {row['psnr_degraded']:.2f}, "
              f"intact {row['psnr_intact']:.2f}) in {row['wall_s']} s", flush=True)
    if args.workers > 1:
        pool.close()
        pool.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
