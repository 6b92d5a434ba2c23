"""Sampling time per image against the number of sampler steps.

    python benchmarks/sampling_time.py [--preset small] [--size 128] [--steps 1 2 5 10 20 50 100]

An untrained U-Net of the preset (the time does not depend on the weights) on an
RDBM path; one image of ``size x size``; median of ``--repeats`` runs per sampler
and step count.  Heun costs two network evaluations per interior step.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rdbm_core.networks.config import TrainConfig, make_model, make_path  # noqa: E402
from rdbm_core.bridge.samplers import SamplerSpec  # noqa: E402
from rdbm_core.restoration.evaluation import restore  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="small")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--steps", nargs="+", type=int, default=[1, 2, 5, 10, 20, 50, 99])
    p.add_argument("--samplers", nargs="+", default=["implicit", "heun"])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    config = TrainConfig(preset=args.preset)
    path = make_path(config)
    model = make_model(config, path).eval()
    mu = torch.rand(1, 3, args.size, args.size) * 2 - 1
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, preset {args.preset}, "
          f"one {args.size}x{args.size} image, median of {args.repeats}")
    print(f"{'sampler':>9} {'steps':>6} {'seconds/image':>14} {'ms/step':>9}")
    for sampler in args.samplers:
        for steps in args.steps:
            restore(model, path, mu, SamplerSpec(sampler, 1))  # warm-up
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                restore(model, path, mu, SamplerSpec(sampler, steps))
                times.append(time.perf_counter() - t0)
            sec = statistics.median(times)
            print(f"{sampler:>9} {steps:>6} {sec:>14.3f} {1e3 * sec / steps:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
