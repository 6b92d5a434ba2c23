"""Training throughput per U-Net preset and the share of a step spent outside the network.

    python benchmarks/train_throughput.py [--presets tiny small] [--batch 8] [--crop 64] [--repeats 20]

For each preset it times (median over ``--repeats`` steps, after warm-up):

* ``step``: one whole training step as the trainer runs it — batch from the cached
  pool, times and noise, ``x_t`` from the bridge, forward, L1 loss, backward, AdamW, EMA;
* ``outside``: the parts that are not the network — collating the batch, drawing
  ``t`` and ``eps``, ``path.sample``, the preconditioning coefficients and the loss
  reduction — timed on their own.

It prints images/s and ``outside / step`` (target: at most 2 %).
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
from rdbm_core.bridge.path import append_dims  # noqa: E402
from rdbm_core.networks.training import (CachedDataset, batch_indices, collate, step_generator, train_step, training_dataset)
from rdbm_core.networks.unet import count_parameters  # noqa: E402


def _median_time(fn, repeats: int) -> float:
    for _ in range(2):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(preset: str, batch: int, crop: int, repeats: int, bridge: str = "rdbm") -> dict:
    config = TrainConfig(task="derain", bridge=bridge, preset=preset, batch=batch, crop=crop, pool=64)
    path = make_path(config)
    model = make_model(config, path)
    ema = make_model(config, path).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr)
    data = CachedDataset(training_dataset(config))
    data.fill()  # as the trainer does before its first step
    state = {"step": 0}

    def batch_now():
        return collate([data[i] for i in batch_indices(len(data), state["step"], batch, 0, 0, 1)], "cpu")

    def full_step():
        x0, mu = batch_now()
        train_step(model, model, ema, opt, path, x0, mu, config, state["step"], step_generator(0, state["step"], 0))
        state["step"] += 1

    def outside():
        x0, mu = batch_now()
        g = step_generator(0, state["step"], 0)
        t = path.schedule.sample_train_times(batch, generator=g)
        eps = torch.randn(x0.shape, generator=g)
        x_t = path.sample(x0, mu, t, noise=eps)
        sigma = path.coefficients(t.float())[2]
        c_in = append_dims(torch.rsqrt(1 + sigma ** 2), x_t)
        x_in = mu + (x_t - mu) * c_in
        (x_in - x0).abs().reshape(batch, -1).mean(1).mean()
        state["step"] += 1

    step = _median_time(full_step, repeats)
    out = _median_time(outside, repeats * 5)
    return {"preset": preset, "params": count_parameters(model), "batch": batch, "crop": crop,
            "step_ms": 1e3 * step, "images_per_s": batch / step, "outside_ms": 1e3 * out, "outside_share": out / step}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--presets", nargs="+", default=["tiny", "small"])
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=64)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, crop {args.crop}")
    print(f"{'preset':>7} {'params':>10} {'step ms':>9} {'images/s':>9} {'outside ms':>11} {'outside share':>14}")
    for preset in args.presets:
        r = measure(preset, args.batch, args.crop, args.repeats)
        print(f"{r['preset']:>7} {r['params']:>10,} {r['step_ms']:>9.1f} {r['images_per_s']:>9.1f} "
              f"{r['outside_ms']:>11.2f} {100 * r['outside_share']:>13.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
