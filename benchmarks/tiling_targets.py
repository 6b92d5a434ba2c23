"""The targets of tiled evaluation (:mod:`rdbm_core.restoration.tiling`), measured on this machine and printed.

    OMP_NUM_THREADS=1 python -m benchmarks.tiling_targets [--work runs/tiling_targets] [--cases pixel group group-image]
        [--photos 4 [--start 0]] [--steps 10] [--memory-steps 1] [--out benchmarks/results/tiling_targets]

Networks: two ``small`` U-Nets trained on derain for 300 steps: the pixel-norm one trained by this script (cached
under ``--work``: a rerun reuses it), and the GroupNorm one shipped for notebook 06
(``rdbm_course/pretrained/nb06_derain.safetensors``, the same configuration, from before the pixel norm existed).
They must be trained: the zero-initialised output layer of an untrained U-Net makes every tiling agree trivially.
Cases: ``pixel`` (the pixel-norm network: no statistics), ``group`` (GroupNorm, each tile with its own statistics:
the default) and ``group-image`` (GroupNorm with image-wide statistics, ``TileOptions(image_norm=True)``).  Every
tiled run uses the defaults of :class:`~rdbm_core.restoration.tiling.TileOptions` (tile from the CPU's memory
budget, default overlap).

1. Quality: each held-out test photograph (``HeldOutBenchmark("derain", crop=None)``), its degraded input enlarged 2x
   (bicubic), restored by the implicit sampler in ``--steps`` steps untiled and tiled; target: the PSNR of the tiled
   restoration against the untiled one >= 40 dB on every photograph (each is larger than the default tile).
2. Time per megapixel: the same restorations timed (wall clock; CPU seconds too), a photograph's untiled and tiled
   runs one after the other in one process; target: the median over photographs of tiled / untiled <= 1.2.
3. Memory: a whole restoration of a 4000x3000 image (the first photograph's input enlarged) in a subprocess, tiled
   with the defaults, with ``--memory-steps`` sampler steps (the samplers keep no state per step, so the peak does
   not grow with the steps: tested in tests/pipeline/test_tiling.py); target: its ``ru_maxrss`` <= 2 GB.

Rows are cached in ``--work``/rows.jsonl as they come (a rerun skips those done; ``--report`` runs nothing), each
run's command and commit in ``--work``/commands.txt, and ``--out``.json/.csv are rewritten after each row, with the
targets, the machine's load averages, the commands and the provenance record.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F

from experiments.provenance import REPO, git_state, provenance
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.data.files import dumps_json
from rdbm_core.evidence.metrics import psnr
from rdbm_core.networks.checkpoints import load_trained
from rdbm_core.networks.config import TrainConfig
from rdbm_core.networks.training import train
from rdbm_core.restoration.evaluation import restore
from rdbm_core.restoration.tiling import DEFAULTS, TileOptions, TiledModel, tiled

TRAIN_STEPS = 300
SHIPPED_GROUP_NORM = REPO / "rdbm_course" / "pretrained" / "nb06_derain.safetensors"
CASES = {"pixel": ("pixel", TileOptions()), "group": ("group", TileOptions()),
         "group-image": ("group", TileOptions(image_norm=True))}  # case -> (the U-Net's norm, tiling options)
MEMORY_SIZE = (3000, 4000)  # height, width: 12 MP
TARGETS = {"psnr_db_min": 40.0, "time_ratio_max": 1.2, "peak_mb_max": 2048.0}
COLUMNS = ["case", "kind", "photo", "height", "width", "tiles", "tile", "overlap", "steps", "seconds", "cpu_seconds",
           "s_per_mp", "psnr_to_untiled", "peak_mb"]


def network(work: Path, norm: str) -> Path:
    """The checkpoint of the small U-Net with ``norm``: GroupNorm the shipped one, the pixel norm trained here unless
    ``work`` has it already."""
    if norm == "group":
        return SHIPPED_GROUP_NORM
    config = TrainConfig(task="derain", bridge="rdbm", preset="small", unet_norm=norm, steps=TRAIN_STEPS,
                         ckpt_every=0, out=str(work / f"derain_rdbm_small_{norm}"), device="cpu", seed=0)
    checkpoint = Path(config.out) / "checkpoint.pt"
    if not checkpoint.exists():
        train(config, progress=False)
    saved = load_trained(checkpoint)[2]
    if (saved.unet_norm, saved.steps, saved.preset, saved.task) != (norm, TRAIN_STEPS, "small", "derain"):
        raise ValueError(f"{checkpoint} is not the network of this benchmark: remove it or choose another --work")
    return checkpoint


def enlarged(mu: torch.Tensor, size=None) -> torch.Tensor:
    """A degraded input [3, H, W] enlarged (bicubic) 2x, or to ``size`` (height, width): [1, 3, H', W']."""
    scale = None if size else 2.0
    return F.interpolate(mu[None], size=size, scale_factor=scale, mode="bicubic", align_corners=False).clamp(-1, 1)


def timed_restore(net, path, mu, steps: int) -> tuple[torch.Tensor, float, float]:
    """``(restoration, wall seconds, CPU seconds)`` of the implicit sampler in ``steps`` steps."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = restore(net, path, mu, SamplerSpec(steps=steps))
    return out, time.perf_counter() - wall, time.process_time() - cpu


def tiling_of(net, mu) -> dict:
    """Tiles, tile side and overlap of the network given to the sampler."""
    if not isinstance(net, TiledModel):
        return {"tiles": 1, "tile": None, "overlap": None}
    return {"tiles": len(net.tiles(*mu.shape[-2:])), "tile": net.tile, "overlap": net.overlap}


def quality_and_time(case: str, photo: int, checkpoint: Path, steps: int) -> list[dict]:
    """The untiled and the tiled restoration of one enlarged photograph, one after the other: two rows."""
    model, path, _ = load_trained(checkpoint)
    item = HeldOutBenchmark("derain", crop=None)[photo]
    mu = enlarged(item["mu"])
    rows, untiled = [], None
    for kind, options in (("untiled", TileOptions(tile=0)), ("tiled", CASES[case][1])):
        net = tiled(model, mu.shape, options)
        out, seconds, cpu = timed_restore(net, path, mu, steps)
        megapixels = mu.shape[-2] * mu.shape[-1] / 1e6
        rows.append({"case": case, "kind": kind, "photo": item["name"], "height": mu.shape[-2], "width": mu.shape[-1],
                     **tiling_of(net, mu), "steps": steps, "seconds": seconds, "cpu_seconds": cpu,
                     "s_per_mp": seconds / megapixels,
                     "psnr_to_untiled": None if untiled is None else psnr(out[0], untiled[0])})
        untiled = out if untiled is None else untiled
    return rows


def memory_child(case: str, checkpoint: Path, steps: int) -> None:
    """One whole restoration of a 12 MP image in this process; prints its row as JSON (peak: ``ru_maxrss``)."""
    model, path, _ = load_trained(checkpoint)
    mu = enlarged(HeldOutBenchmark("derain", crop=None)[0]["mu"], MEMORY_SIZE)
    net = tiled(model, mu.shape, CASES[case][1])
    _, seconds, cpu = timed_restore(net, path, mu, steps)
    print(json.dumps({"case": case, "kind": "memory", "photo": "12 MP", "height": mu.shape[-2], "width": mu.shape[-1],
                      **tiling_of(net, mu), "steps": steps, "seconds": seconds, "cpu_seconds": cpu,
                      "s_per_mp": seconds / (mu.numel() / 3e6),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def memory_row(case: str, checkpoint: Path, steps: int) -> dict:
    """:func:`memory_child` run in a fresh subprocess."""
    command = [sys.executable, "-m", "benchmarks.tiling_targets", "--memory-child", case, "--checkpoint",
               str(checkpoint), "--memory-steps", str(steps)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(rows: list[dict]) -> dict:
    """Per case: the worst PSNR to untiled, the median time ratio (wall and CPU) and the peak, against the targets."""
    out = {}
    for case in CASES:
        pairs = {}
        for row in rows:
            if row["case"] == case and row["kind"] != "memory":
                pairs.setdefault(row["photo"], {})[row["kind"]] = row
        pairs = [p for p in pairs.values() if len(p) == 2]
        memory = [r["peak_mb"] for r in rows if r["case"] == case and r["kind"] == "memory"]
        result = {"photos": len(pairs)}
        if pairs:
            result["psnr_db_min"] = min(p["tiled"]["psnr_to_untiled"] for p in pairs)
            result["time_ratio_median"] = statistics.median(p["tiled"]["seconds"] / p["untiled"]["seconds"]
                                                            for p in pairs)
            result["cpu_time_ratio_median"] = statistics.median(
                p["tiled"]["cpu_seconds"] / p["untiled"]["cpu_seconds"] for p in pairs)
            result["quality_met"] = result["psnr_db_min"] >= TARGETS["psnr_db_min"]
            result["time_met"] = result["time_ratio_median"] <= TARGETS["time_ratio_max"]
        if memory:
            result["peak_mb"] = max(memory)
            result["memory_met"] = result["peak_mb"] <= TARGETS["peak_mb_max"]
        out[case] = result
    return out


def write(out: Path, rows: list[dict], record: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    out.with_suffix(".json").write_text(dumps_json({**record, "rows": rows}, indent=1) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default="runs/tiling_targets", help="folder of the trained networks and row cache")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--photos", type=int, default=4, help="test photographs for quality and time")
    parser.add_argument("--start", type=int, default=0, help="the first of them (to share the work between runs)")
    parser.add_argument("--steps", type=int, default=10, help="sampler steps of the quality and time runs")
    parser.add_argument("--memory-steps", type=int, default=1, help="sampler steps of the 12 MP memory runs")
    parser.add_argument("--out", default="benchmarks/results/tiling_targets", help="results, without suffix")
    parser.add_argument("--report", action="store_true", help="run nothing: write and print the cached rows")
    parser.add_argument("--memory-child", choices=list(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child, Path(args.checkpoint), args.memory_steps)
        return 0
    t0, load_before = time.perf_counter(), os.getloadavg()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    checkpoints = {norm: network(work, norm) for norm in sorted({CASES[c][0] for c in args.cases})}
    cache, commands = work / "rows.jsonl", work / "commands.txt"
    if not args.report:
        with open(commands, "a") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M')} {git_state()['commit'][:7]} "
                    f"python -m benchmarks.tiling_targets {' '.join(sys.argv[1:])}\n")
    rows = [json.loads(line) for line in cache.read_text().splitlines()] if cache.exists() else []
    done = {(r["case"], r["kind"], r["photo"], r["steps"]) for r in rows}
    names = HeldOutBenchmark("derain", crop=None).names
    photos = [*range(args.start, args.photos), None]  # None: the memory run
    jobs = [] if args.report else [(case, photo) for case in args.cases for photo in photos]
    for case, photo in jobs:
        checkpoint = checkpoints[CASES[case][0]]
        if photo is None:
            key, make = (case, "memory", "12 MP", args.memory_steps), lambda: [memory_row(case, checkpoint,
                                                                                         args.memory_steps)]
        else:
            key, make = (case, "tiled", names[photo], args.steps), lambda: quality_and_time(case, photo, checkpoint,
                                                                                            args.steps)
        if key in done:
            continue
        new = [{**row, "loadavg": os.getloadavg(), "finished": time.strftime("%Y-%m-%d %H:%M:%S")} for row in make()]
        with open(cache, "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in new)
        rows += new
        for r in new:
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()), flush=True)
        write(Path(args.out), rows, record(rows, load_before, t0, checkpoints, commands))
    write(Path(args.out), rows, record(rows, load_before, t0, checkpoints, commands))
    print(json.dumps(summary(rows), indent=1))
    return 0


def record(rows: list[dict], load_before, t0: float, checkpoints: dict, commands: Path) -> dict:
    """What the results file holds besides the rows: targets, summary, defaults, load, the commands that measured the
    rows (when, at which commit) and the provenance of this run."""
    return {"commands": commands.read_text().splitlines() if commands.exists() else [], "targets": TARGETS,
            "summary": summary(rows), "defaults": asdict(DEFAULTS), "train_steps": TRAIN_STEPS,
            "machine_load": {"loadavg_at_start": load_before, "loadavg_now": os.getloadavg(),
                             "note": "2 cores shared with long background studies; every row has the load average "
                                     "when it finished"},
            "provenance": provenance(wall_s=time.perf_counter() - t0, networks=checkpoints.values())}


if __name__ == "__main__":
    sys.exit(main())
