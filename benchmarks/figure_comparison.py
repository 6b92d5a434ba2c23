"""The visual comparison of notebook 07: one held-out photograph restored by every method of a comparison run.

    python benchmarks/figure_comparison.py --workdir runs/comparison --seed 0 --tasks derain inpaint lowlight

Loads ``WORKDIR/{task}_{method}_{seed}/checkpoint.pt`` (written by ``benchmarks/bridge_comparison.py``),
restores the whole held-out photograph ``--photo`` of the fixed benchmark with each method (implicit sampler,
the budget's number of steps) and writes ``benchmarks/results/bridge_comparison_visual_{task}.png``: images,
error maps on one colour scale, and zooms on the most and the least degraded window.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rdbm_core.comparison import METHODS  # noqa: E402
from rdbm_core.data.embedded import TEST_IMAGES
from rdbm_core.data.datasets import HeldOutBenchmark  # noqa: E402
from rdbm_core.bridge.samplers import SamplerSpec  # noqa: E402
from rdbm_core.restoration.evaluation import restore  # noqa: E402
from rdbm_core.evidence.figures import figure_methods  # noqa: E402
from rdbm_core.networks.checkpoints import load_trained  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", default="runs/comparison")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tasks", nargs="+", default=["derain", "inpaint", "lowlight"])
    p.add_argument("--photo", default="coffee", choices=TEST_IMAGES)
    p.add_argument("--meta", default="benchmarks/results/bridge_comparison.json", help="the run's budget")
    p.add_argument("--out", default="benchmarks/results")
    args = p.parse_args(argv)
    steps = json.loads(Path(args.meta).read_text())["budget"]["sample_steps"]
    for task in args.tasks:
        item = HeldOutBenchmark(task, items=len(TEST_IMAGES), crop=None)[TEST_IMAGES.index(args.photo)]
        restored = {}
        for method in METHODS:
            model, path, _ = load_trained(Path(args.workdir) / f"{task}_{method}_{args.seed}" / "checkpoint.pt")
            with torch.no_grad():
                restored[method] = restore(model, path, item["mu"][None], SamplerSpec(steps=steps))[0]
        out = figure_methods(item["mu"], restored, item["x0"], item["mask"],
                             Path(args.out) / f"bridge_comparison_visual_{task}.png",
                             title=f"{task}: held-out photograph '{args.photo}', training seed {args.seed}, "
                                   f"{steps} sampler steps")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
