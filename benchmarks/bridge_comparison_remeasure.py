"""Re-measure a finished bridge comparison from its checkpoints, without training again.

When the metrics change (for example the definition of degraded and intact pixels,
``degradations.degraded_mask``), the comparison's networks need not be retrained: this script loads
each ``{task}_{method}_{seed}/checkpoint.pt`` of the comparison's work folder, evaluates it exactly as
``rdbm_core.comparison.run_one`` does (same benchmark items, sampler steps and sampler seed), and
replaces the metric columns of the summary, items and inputs CSVs for the given tasks.  ``wall_s`` and
``train_steps`` are kept.  The restorations are deterministic, so the whole-image metrics must come
out as before: the script checks this (to the CSVs' 6 decimals) and stops before writing if they do
not, which would mean different checkpoints, items or library.

    OMP_NUM_THREADS=1 python benchmarks/bridge_comparison_remeasure.py --workdir runs/comparison --tasks derain
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch
from tqdm import tqdm

from rdbm_core.comparison import COLUMNS, INPUT_COLUMNS, Budget
from rdbm_core.restoration.evaluation import ITEM_COLUMNS
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.restoration.evaluation import EvaluationOptions, evaluate, item_rows
from rdbm_core.evidence.metrics import METRIC_KEYS
from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.networks.checkpoints import load_trained

WHOLE_IMAGE = ("psnr", "ssim", "psnr_y", "ssim_y")


def write_csv(path: Path, rows: list[dict], columns) -> None:
    """Replace ``path`` by ``rows`` in one step (written beside it, then renamed)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    append_rows(tmp, rows, columns)
    os.replace(tmp, path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", default="benchmarks/results/bridge_comparison.csv", help="the comparison's summary CSV")
    p.add_argument("--workdir", required=True, help="the comparison's work folder (holds the checkpoints)")
    p.add_argument("--tasks", nargs="+", required=True)
    args = p.parse_args(argv)
    summary_csv = Path(args.csv)
    items_csv = summary_csv.with_name(summary_csv.stem + "_items.csv")
    inputs_csv = summary_csv.with_name(summary_csv.stem + "_inputs.csv")
    summary, items, inputs = read_rows(summary_csv), read_rows(items_csv), read_rows(inputs_csv)
    budget = Budget(**json.loads(summary_csv.with_suffix(".json").read_text())["budget"])
    new_items, new_summary, new_inputs = {}, {}, {}
    runs = [r for r in summary if r["task"] in args.tasks]
    for r in tqdm(runs, desc="re-measure"):
        task, method, seed = r["task"], r["method"], int(r["seed"])
        model, path, _ = load_trained(Path(args.workdir) / f"{task}_{method}_{seed}" / "checkpoint.pt")
        test = HeldOutBenchmark(task, budget.eval_items, crop=budget.eval_crop)
        with torch.no_grad():
            res = evaluate(model, path, test, SamplerSpec(steps=budget.sample_steps),
                           options=EvaluationOptions(seed=seed, progress=False))
        new_items[(task, method, seed)] = item_rows(res, task, method, seed)
        new_items[(task, "input", seed)] = item_rows(res, task, "input", seed, inputs=True)
        s = res["summary"]
        new_summary[(task, method, seed)] = {k: s[k] for k in METRIC_KEYS}
        new_inputs[(task, seed)] = {k: s[f"input_{k}"] for k in METRIC_KEYS}
    for row in items:  # same restorations: the whole-image metrics must not move
        key = (row["task"], row["method"], int(row["seed"]))
        if key in new_items:
            new = new_items[key][int(row["item"])]
            for k in WHOLE_IMAGE:
                if abs(float(row[k]) - new[k]) > 2e-6:
                    raise SystemExit(f"{key} item {row['item']}: {k} {row[k]} now {new[k]}: not the same "
                                     "restorations, nothing written")
            row.update({k: new[k] for k in METRIC_KEYS})
    for row in summary:
        key = (row["task"], row["method"], int(row["seed"]))
        if key in new_summary:
            row.update(new_summary[key])
    for row in inputs:
        key = (row["task"], int(row["seed"]))
        if key in new_inputs:
            row.update(new_inputs[key])
    write_csv(items_csv, items, ITEM_COLUMNS)
    write_csv(summary_csv, summary, COLUMNS)
    write_csv(inputs_csv, inputs, INPUT_COLUMNS)
    print(f"re-measured {len(runs)} runs of {', '.join(args.tasks)}; wrote {summary_csv}, {items_csv}, {inputs_csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
