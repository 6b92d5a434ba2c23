"""Quality of tiled network evaluation on the held-out photographs: tiled against untiled.

    python benchmarks/tiled_quality.py --checkpoint runs/derain/checkpoint.pt \
        [--task derain] [--images 4] [--steps 10] [--tiles 256:32:image:2 256:32:image:2:0 256:32:tile:0] \
        [--scale 1] [--out benchmarks/results/tiled_quality_adaptive]

For every held-out item (the embedded test photographs, whole) the untiled restoration
and one restoration per ``TILE:OVERLAP:NORM:PASSES[:REFINE[:TOLERANCE]]`` setting (same
sampler, same seed; ``NORM`` the tiles' GroupNorm statistics, ``image`` or ``tile``,
``PASSES`` the passes that estimate the image-wide ones before the first network call,
``REFINE`` the most repeats of a prediction pass and ``TOLERANCE`` the mismatch that ends
them, by default the library's, see ``rdbm_core.restoration.tiling.TiledModel``; ``TILE`` and ``OVERLAP``
may be ``auto``: the defaults of ``restore``, chosen from the device's memory); per item:
PSNR of the tiled result against the untiled one, the PSNR of each against the ground
truth, and the passes over the tiles made (network calls over tiles) against the untiled
run's network calls.  The summary gives, per setting, the smallest tiled-vs-untiled PSNR and
the paired difference of PSNR against the ground truth (tiled - untiled) with its 95 %
t-interval over the items.  Rows are appended to OUT.csv as they come (a rerun skips
the rows already there); OUT.json holds the summary with the machine and the command.

``--scale S`` (an integer) enlarges each clean photograph S times (bilinear) before it is
degraded (``rdbm_core.data.degradations.degrade`` with the benchmark's seed), so that the default
tiles cut it as they cut a real photograph (at S = 1 the held-out photographs fit one default
tile and are never tiled).
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rdbm_core.data.datasets import BENCHMARK_SEED, HeldOutBenchmark  # noqa: E402
from rdbm_core.data.degradations import degrade  # noqa: E402
from rdbm_core.restoration.evaluation import restore  # noqa: E402
from rdbm_core.data.files import dumps_json  # noqa: E402
from rdbm_core.evidence.metrics import psnr  # noqa: E402
from rdbm_core.restoration.tiling import DEFAULTS, tiled  # noqa: E402
from rdbm_core.networks.checkpoints import load_checkpoint, load_trained  # noqa: E402

COLUMNS = ["item", "image_hw", "tile", "overlap", "norm", "passes", "refine", "tolerance", "tiles", "tile_px",
           "psnr_vs_untiled", "psnr_gt", "psnr_gt_untiled", "delta_psnr_gt", "tile_passes", "untiled_calls", "seconds"]
SETTING = ("tile", "overlap", "norm", "passes", "refine", "tolerance")


def paired_summary(rows: list[dict]) -> dict:
    """Mean paired difference of PSNR against the ground truth with its 95 % t-interval, and the worst
    tiled-vs-untiled PSNR."""
    d = [r["delta_psnr_gt"] for r in rows]
    mean = statistics.fmean(d)
    half = (stats.t.ppf(0.975, len(d) - 1) * statistics.stdev(d) / len(d) ** 0.5) if len(d) > 1 else None
    return {"items": len(d), "mean_delta_psnr_gt": mean,
            "ci95": None if half is None else [mean - half, mean + half],
            "max_abs_delta_psnr_gt": max(abs(x) for x in d),
            "min_psnr_vs_untiled": _finite(min(r["psnr_vs_untiled"] for r in rows)),
            "mean_tile_passes_per_untiled_call": statistics.fmean(r["tile_passes"] / r["untiled_calls"] for r in rows),
            "mean_psnr_vs_untiled": _finite(statistics.fmean(r["psnr_vs_untiled"] for r in rows))}


def setting(text: str) -> tuple[int | str, int | str, str, int, int, float]:
    """``(tile, overlap, norm, passes, refine, tolerance)`` of a ``TILE:OVERLAP:NORM:PASSES[:REFINE[:TOLERANCE]]``
    setting (refine and tolerance by default the library's; passes and refine 0 for ``tile``; tile and overlap
    ``"auto"`` or ints)."""
    tile, overlap, norm, passes, *rest = text.split(":")
    image = norm == "image"
    refine = int(float(rest[0])) if rest else DEFAULTS.group_norm_refine
    tolerance = float(rest[1]) if len(rest) > 1 else DEFAULTS.group_norm_tolerance
    return (_size(tile), _size(overlap), norm, int(float(passes)) if image else 0, refine if image else 0,
            tolerance if image else 0.0)


def _size(text: str) -> int | str:
    return text if text == "auto" else int(float(text))


def enlarged(item: dict, scale: int, task: str, index: int) -> dict:
    """The item's clean photograph enlarged ``scale`` times (bilinear) and degraded anew with the benchmark's seed."""
    if scale == 1:
        return item
    x0 = torch.nn.functional.interpolate(item["x0"][None], scale_factor=scale, mode="bilinear",
                                         align_corners=False)[0].clamp(-1, 1)
    _, mu, _ = degrade(x0, task, generator=torch.Generator().manual_seed(BENCHMARK_SEED + index))
    return {"x0": x0, "mu": mu}


def _finite(x: float) -> float | None:
    """``x``, or None (JSON null) for identical images (infinite PSNR)."""
    return x if math.isfinite(x) else None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--task", default="derain")
    p.add_argument("--images", type=int, default=4)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--tiles", nargs="+", default=["256:32:image:2", "256:32:image:2:0", "256:32:tile:0"],
                   help="TILE:OVERLAP:NORM:PASSES[:REFINE[:TOLERANCE]] settings")
    p.add_argument("--scale", type=int, default=1, help="enlarge the photographs this many times first")
    p.add_argument("--out", default="benchmarks/results/tiled_quality_adaptive")
    args = p.parse_args(argv)
    settings = [setting(s) for s in args.tiles]
    out_csv, out_json = Path(args.out + ".csv"), Path(args.out + ".json")
    done = {}
    if out_csv.exists():
        with out_csv.open() as f:
            rows = list(csv.DictReader(f))
        if rows and "tolerance" not in rows[0]:
            p.error(f"{out_csv} was written before prediction passes were repeated; choose another --out")
        for r in rows:
            key = setting(":".join(r[k] for k in SETTING))
            done[(int(r["item"]), *key)] = {k: (float(v) if k not in ("image_hw", "norm", "tile", "overlap") else v) for k, v in r.items()}
    else:
        out_csv.parent.mkdir(parents=True, exist_ok=True)
        with out_csv.open("w", newline="") as f:
            csv.writer(f).writerow(COLUMNS)
    model, path, config = load_trained(args.checkpoint)
    calls = [0]
    model.register_forward_pre_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    data = HeldOutBenchmark(args.task, args.images, crop=None)
    for i in range(len(data)):
        if all((i, *s) in done for s in settings):
            continue
        item = enlarged(data[i], args.scale, args.task, i)
        x0, mu = item["x0"], item["mu"][None]
        calls[0] = 0
        untiled = restore(model, path, mu, steps=args.steps, tile=0, generator=torch.Generator().manual_seed(0))[0]
        untiled_calls = calls[0]
        for tile, overlap, norm, passes, refine, tolerance in settings:
            if (i, tile, overlap, norm, passes, refine, tolerance) in done:
                continue
            t0 = time.perf_counter()
            auto = {"tile": None if tile == "auto" else tile, "overlap": None if overlap == "auto" else overlap}
            net = tiled(model, mu.shape, **auto)
            calls[0] = 0
            out = restore(model, path, mu, steps=args.steps, **auto, tile_norm=norm,
                          tile_norm_passes=passes, tile_norm_refine=refine, tile_norm_tolerance=tolerance,
                          generator=torch.Generator().manual_seed(0))[0]
            tiles = len(net.tiles(*mu.shape[-2:])) if net is not model else 1
            row = {"item": i, "image_hw": f"{mu.shape[-2]}x{mu.shape[-1]}", "tile": tile, "overlap": overlap,
                   "norm": norm, "passes": passes, "refine": refine, "tolerance": tolerance, "tiles": tiles,
                   "tile_passes": calls[0] / tiles, "untiled_calls": untiled_calls,
                   "tile_px": net.tile if net is not model else max(mu.shape[-2:]),
                   "psnr_vs_untiled": psnr(out, untiled), "psnr_gt": psnr(out, x0),
                   "psnr_gt_untiled": psnr(untiled, x0), "seconds": time.perf_counter() - t0}
            row["delta_psnr_gt"] = row["psnr_gt"] - row["psnr_gt_untiled"]
            with out_csv.open("a", newline="") as f:
                csv.DictWriter(f, COLUMNS).writerow(row)
            done[(i, tile, overlap, norm, passes, refine, tolerance)] = row
            print(f"item {i} ({row['image_hw']}) tile {tile} overlap {overlap} {norm} statistics, {passes} passes, "
                  f"at most {refine} repeats at tolerance {tolerance} ({row['tiles']} tiles, "
                  f"{row['tile_passes']:.0f} passes for {untiled_calls} network calls): "
                  f"{row['psnr_vs_untiled']:.2f} dB against untiled; PSNR against ground truth "
                  f"{row['psnr_gt']:.3f} dB (untiled {row['psnr_gt_untiled']:.3f} dB)", flush=True)
    everything = sorted({key[1:] for key in done}, reverse=True)  # this run's and earlier runs'
    summary = {":".join(map(str, s)): paired_summary([done[(i, *s)] for i in range(len(data))]) for s in everything
               if all((i, *s) in done for i in range(len(data)))}
    for key, s in summary.items():
        ci = "" if s["ci95"] is None else f" [{s['ci95'][0]:+.4f}, {s['ci95'][1]:+.4f}]"
        print(f"tile:overlap:norm:passes:refine:tolerance {key}: tiled - untiled PSNR against ground truth {s['mean_delta_psnr_gt']:+.4f} dB{ci} "
              f"(largest |difference| {s['max_abs_delta_psnr_gt']:.4f} dB); tiled against untiled >= "
              f"{s['min_psnr_vs_untiled'] or float('inf'):.2f} dB; "
              f"{s['mean_tile_passes_per_untiled_call']:.2f} passes over the tiles per untiled network call")
    command = "python benchmarks/tiled_quality.py " + " ".join(argv if argv is not None else sys.argv[1:])
    commands = json.loads(out_json.read_text()).get("commands", []) if out_json.exists() else []
    out_json.write_text(dumps_json({
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
                   f"torch {torch.__version__}",
        "commands": commands + [command],
        "checkpoint": {"path": args.checkpoint, "preset": config.preset, "bridge": config.bridge,
                       "task": config.task, "train_steps": int(load_checkpoint(args.checkpoint)["step"]),
                       "train_config": {k: getattr(config, k) for k in ("batch", "crop", "lr", "seed")}},
        "task": args.task, "steps": args.steps, "scale": args.scale, "sampler": "implicit (eta 0)", "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
