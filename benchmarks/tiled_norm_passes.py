"""How far each tiled network call is from the untiled one, by GroupNorm statistics and estimate passes.

    python benchmarks/tiled_norm_passes.py --checkpoint runs/derain/checkpoint.pt [--item 1] [--tile 256:32] \
        [--calls 0 5] [--passes 1 2 3] [--refine 0 1 2] [--out benchmarks/results/tiled_norm_passes]

The untiled implicit sampler (10 steps) is run on one held-out photograph and its network
inputs recorded.  For the chosen calls (0: the first step) the network is evaluated tiled
as a restoration's first call: with each tile's own GroupNorm statistics (``tile``), with
image-wide statistics estimated in 1, 2, 3 ... passes (``image``,
:class:`rdbm_core.restoration.tiling.TiledModel`), and with the exact image-wide statistics taken from
the untiled call (``exact``: what is left is the error of the tiles' borders).  Then, for
every ``--refine`` value, one tiled model (the default passes, every prediction pass repeated
``refine`` times, or fewer with ``--tolerance`` above 0) is called on all recorded inputs in
order, as in a restoration, so that every call after the first starts from the statistics
carried from the call before (``carried``).  Printed and written (OUT.csv,
OUT.json with the machine and the command): the PSNR of each tiled prediction against the
untiled one.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rdbm_core.data.datasets import HeldOutBenchmark  # noqa: E402
from rdbm_core.restoration.evaluation import restore  # noqa: E402
from rdbm_core.data.files import dumps_json  # noqa: E402
from rdbm_core.evidence.metrics import psnr  # noqa: E402
from rdbm_core.restoration.tiling import DEFAULTS, ImageGroupNorm, TiledModel  # noqa: E402
from rdbm_core.networks.checkpoints import load_trained  # noqa: E402


def exact_statistics(model, *inputs):
    """The image-wide GroupNorm statistics of the untiled call."""
    height, width = inputs[0].shape[-2:]
    with ImageGroupNorm(record=True) as norm:
        norm.next_tile(torch.ones(height, dtype=torch.float64), torch.ones(width, dtype=torch.float64))
        model(*inputs)
    return norm.statistics()


@torch.no_grad()
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--task", default="derain")
    p.add_argument("--item", type=int, default=1, help="held-out photograph (1: coffee, 400x600)")
    p.add_argument("--tile", default="256:32", help="TILE:OVERLAP")
    p.add_argument("--calls", nargs="+", type=int, default=[0, 5], help="network calls of the 10-step sampler")
    p.add_argument("--passes", nargs="+", type=int, default=[1, 2, 3])
    p.add_argument("--refine", nargs="+", type=int, default=[0, 1, 2],
                   help="repeats of every prediction pass (all calls in order)")
    p.add_argument("--tolerance", type=float, default=0.0,
                   help="stop repeating a pass once its statistics agree within this (0: always repeat)")
    p.add_argument("--out", default="benchmarks/results/tiled_norm_passes")
    args = p.parse_args(argv)
    tile, overlap = (int(v) for v in args.tile.split(":"))
    model, path, _ = load_trained(args.checkpoint)
    item = HeldOutBenchmark(args.task, args.item + 1, crop=None)[args.item]
    recorded = []

    def recording(*inputs):
        recorded.append(inputs)
        return model(*inputs)

    restore(recording, path, item["mu"][None], steps=10, tile=0)
    rows = []

    def add(k, norm, passes, refine, prediction, untiled):
        row = {"item": item.get("name", args.item), "call": k, "t": float(recorded[k][2][0]), "tile": tile,
               "overlap": overlap, "norm": norm, "passes": passes, "refine": refine,
               "psnr_vs_untiled": psnr(prediction[0], untiled[0])}
        rows.append(row)
        print(", ".join(f"{key} {value}" for key, value in row.items()), flush=True)

    for k in args.calls:
        inputs = recorded[k]
        untiled = model(*inputs)
        add(k, "tile", 0, 0, TiledModel(model, tile, overlap, norm="tile")(*inputs), untiled)
        for n in args.passes:
            add(k, "image", n, 0, TiledModel(model, tile, overlap, norm="image", norm_passes=n, norm_refine=0)(*inputs), untiled)
        exact = TiledModel(model, tile, overlap).tile_pass(inputs, ImageGroupNorm(apply=exact_statistics(model, *inputs)))
        add(k, "exact", 0, 0, exact, untiled)
    for refine in args.refine:
        net = TiledModel(model, tile, overlap, norm="image", norm_refine=refine, norm_tolerance=args.tolerance)
        for k, inputs in enumerate(recorded):
            add(k, "carried", DEFAULTS.group_norm_passes, refine, net(*inputs), model(*inputs))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.with_suffix(".csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out.with_suffix(".json").write_text(dumps_json({
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                   f"{torch.get_num_threads()} threads, torch {torch.__version__}",
        "command": "python benchmarks/tiled_norm_passes.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
