"""Peak memory and time of ``restore`` on large photographs, tiled and untiled.

    python benchmarks/tiled_restore.py [--preset small | --checkpoint CKPT] [--megapixels 1 3 12] [--steps 2] \
        [--tile-norm image] [--tiles auto:auto 256:32 auto:auto:0] [--out benchmarks/results/tiled_restore]

Each case is one full ``python -m rdbm_core restore`` run (read the PNG, sample, write the
PNG) in its own subprocess; its peak memory is the subprocess's ``ru_maxrss``.  The input
is a held-out test photograph (coffee, derain-degraded) resized to 4:3 at the given size
(1 MP: 1152x864, 3 MP: 2048x1536, 12 MP: 4000x3000).  The network is ``--checkpoint``, or
an untrained U-Net of the preset: memory and the time of one network call do not depend
on the weights, but the number of calls of tiled runs does (a prediction pass is repeated
while its GroupNorm statistics are off, and a trained network's settle differently), so
each row gives the U-Net calls made (one of them the memory probe that ``restore`` runs
before sampling).  To keep the run affordable
only ``--steps`` sampler steps are timed; the table gives seconds per megapixel for the
run and per step, wall-clock and CPU (user + system, all threads: on a machine shared with
other jobs the CPU seconds compare better between runs than the wall-clock ones).  Tiled runs use the ``TILE:OVERLAP[:REFINE[:TOLERANCE]]`` of ``--tiles`` (``auto`` or left out:
restore's own; ``REFINE`` and ``TOLERANCE`` its ``--tile-norm-refine`` and ``--tile-norm-tolerance``) and ``--tile-norm`` (the GroupNorm
statistics: ``image``, the default, costs its estimate passes per network call).  A case whose estimated untiled memory (activation bytes per pixel
times pixels) exceeds the machine's memory is reported as not run.  Rows are appended
to OUT.csv as they come (a rerun skips cases already there); OUT.json adds the machine
and the command.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rdbm_core.data.files import dumps_json  # noqa: E402

SIZES = {1: (864, 1152), 3: (1536, 2048), 12: (3000, 4000)}
COLUMNS = ["megapixels", "height", "width", "mode", "tile", "overlap", "refine", "tolerance", "tile_norm", "steps",
           "network_calls", "peak_mb", "seconds", "s_per_mp", "s_per_mp_per_step", "cpu_s_per_mp_per_step", "status"]
CASE = ("tile", "overlap", "refine", "tolerance")  # what --tiles sets


def child(argv) -> int:
    """Run one restore in this process and print its peak memory, wall time and U-Net calls as JSON."""
    import torch
    from rdbm_core.cli import main
    from rdbm_core.networks.unet import UNet
    calls = [0]

    def count(module, _):
        calls[0] += isinstance(module, UNet)

    torch.nn.modules.module.register_module_forward_pre_hook(count)
    t0 = time.perf_counter()
    rc = main(argv)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(dumps_json({"rc": rc, "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                      "peak_mb": usage.ru_maxrss / 1024, "network_calls": calls[0]}))
    return rc


def make_input(folder: Path, megapixels: int) -> Path:
    import torch.nn.functional as F
    from rdbm_core.data.datasets import HeldOutBenchmark
    from rdbm_core.data.images import save_image
    h, w = SIZES[megapixels]
    mu = HeldOutBenchmark("derain", 2, crop=None)[1]["mu"]  # coffee
    big = F.interpolate(mu[None], size=(h, w), mode="bilinear", align_corners=False)[0]
    file = folder / f"photo_{megapixels}mp.png"
    save_image(big, file)
    return file


def case(spec: str) -> dict:
    """``TILE:OVERLAP[:REFINE[:TOLERANCE]]`` as a dict of strings (``auto`` for what is left out)."""
    parts = spec.split(":")
    return dict(zip(CASE, parts + ["auto"] * (len(CASE) - len(parts))))


def make_checkpoint(folder: Path, preset: str) -> Path:
    import torch
    from rdbm_core.networks.config import TrainConfig, make_model, make_path
    from rdbm_core.networks.checkpoints import save_checkpoint
    config = TrainConfig(preset=preset)
    model = make_model(config, make_path(config))
    opt = torch.optim.AdamW(model.parameters())
    return save_checkpoint(folder / f"{preset}.pt", model, model, opt, config, 0, [])


def meminfo(key: str) -> int:
    """A field of /proc/meminfo in bytes (``MemTotal``, ``MemAvailable``)."""
    with open("/proc/meminfo") as f:
        return int(next(line for line in f if line.startswith(key + ":")).split()[1]) * 1024


def untiled_estimate(pixels: int, measured: dict, per_pixel: float) -> tuple[float, str]:
    """Peak bytes of an untiled run: extrapolated linearly from two measured untiled runs, or else
    the network's activation bytes per pixel times the pixels."""
    if len(measured) >= 2:
        (p1, m1), (p2, m2) = sorted(measured.items())[-2:]
        return m1 + (m2 - m1) * (pixels - p1) / (p2 - p1), "extrapolated from the measured untiled runs"
    return per_pixel * pixels, "activation bytes per pixel times pixels"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="small")
    p.add_argument("--checkpoint", help="a trained checkpoint (default: an untrained U-Net of --preset)")
    p.add_argument("--megapixels", nargs="+", type=int, default=[1, 3, 12], choices=sorted(SIZES))
    p.add_argument("--modes", nargs="+", default=["tiled", "untiled"], choices=["tiled", "untiled"])
    p.add_argument("--steps", type=int, default=2, help="sampler steps per run (network calls)")
    p.add_argument("--tile-norm", default="image", choices=["image", "tile"],
                   help="GroupNorm statistics of the tiled runs (restore's --tile-norm)")
    p.add_argument("--tiles", nargs="+", default=["auto:auto"],
                   help="TILE:OVERLAP[:REFINE[:TOLERANCE]] of the tiled runs (auto: restore's default)")
    p.add_argument("--out", default="benchmarks/results/tiled_restore")
    args = p.parse_args(argv)
    from rdbm_core.restoration.tiling import activation_bytes_per_pixel
    from rdbm_core.networks.config import TrainConfig, make_model, make_path

    out_csv, out_json = Path(args.out + ".csv"), Path(args.out + ".json")
    done = set()
    if out_csv.exists():
        with out_csv.open() as f:
            rows = list(csv.DictReader(f))
        if rows and "refine" not in rows[0]:
            p.error(f"{out_csv} was written before prediction passes were repeated; choose another --out")
        done = {(int(r["height"]), int(r["width"]), r["mode"], int(r["steps"]), *(r[k] for k in CASE)) for r in rows}
    else:
        out_csv.parent.mkdir(parents=True, exist_ok=True)
        with out_csv.open("w", newline="") as f:
            csv.writer(f).writerow(COLUMNS)
    if args.checkpoint:
        from rdbm_core.networks.checkpoints import load_checkpoint
        config = TrainConfig.from_dict(load_checkpoint(args.checkpoint)["config"])
        args.preset = config.preset
    else:
        config = TrainConfig(preset=args.preset)
    per_pixel = activation_bytes_per_pixel(make_model(config, make_path(config)).eval())
    print(f"{args.preset} U-Net: {per_pixel:.0f} bytes of activations per pixel; machine memory "
          f"{meminfo('MemTotal') / 2 ** 30:.1f} GiB; {os.cpu_count()} CPUs", flush=True)
    untiled_peaks = {}  # pixels -> measured peak bytes
    if out_csv.exists():
        with out_csv.open() as f:
            untiled_peaks = {int(r["height"]) * int(r["width"]): float(r["peak_mb"]) * 2 ** 20
                             for r in csv.DictReader(f) if r["mode"] == "untiled" and r["status"] == "ok"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ckpt = args.checkpoint or make_checkpoint(tmp, args.preset)
        for mp in args.megapixels:
            h, w = SIZES[mp]
            image = None
            cases = [(mode, case(spec) if mode == "tiled" else dict.fromkeys(CASE, "")) for mode in args.modes
                     for spec in (args.tiles if mode == "tiled" else [""])]
            for mode, settings in cases:
                if (h, w, mode, args.steps, *settings.values()) in done:
                    continue
                row = {"megapixels": round(h * w / 1e6, 2), "height": h, "width": w, "mode": mode, **settings,
                       "tile_norm": args.tile_norm if mode == "tiled" else "", "steps": args.steps}
                need, how = untiled_estimate(h * w, untiled_peaks, per_pixel)
                if mode == "untiled" and need > 0.9 * meminfo("MemAvailable"):
                    row["status"] = (f"not run: needs about {need / 2 ** 30:.1f} GiB ({how}), more than 90 % of the "
                                     f"{meminfo('MemAvailable') / 2 ** 30:.1f} GiB available of this machine's "
                                     f"{meminfo('MemTotal') / 2 ** 30:.1f} GiB")
                else:
                    image = image or make_input(tmp, mp)
                    cmd = [sys.executable, __file__, "--child", "restore", "--checkpoint", str(ckpt), "--input",
                           str(image), "--output", str(tmp / "out"), "--steps", str(args.steps), "--device", "cpu"]
                    cmd += ["--tile", "0"] if mode == "untiled" else ["--tile-norm", args.tile_norm]
                    cmd += [f"--{flag}={settings[name]}" for name, flag in
                            (("tile", "tile"), ("overlap", "overlap"), ("refine", "tile-norm-refine"),
                             ("tolerance", "tile-norm-tolerance")) if mode == "tiled" and settings[name] != "auto"]
                    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
                    if proc.returncode != 0:
                        row["status"] = f"failed (exit {proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}"
                    else:
                        res = json.loads(proc.stdout.strip().splitlines()[-1])
                        row.update(peak_mb=round(res["peak_mb"]), seconds=round(res["seconds"], 1),
                                   network_calls=res["network_calls"],
                                   s_per_mp=round(res["seconds"] * 1e6 / (h * w), 2),
                                   s_per_mp_per_step=round(res["seconds"] * 1e6 / (h * w) / args.steps, 2),
                                   cpu_s_per_mp_per_step=round(res["cpu_seconds"] * 1e6 / (h * w) / args.steps, 2),
                                   status="ok")
                        if mode == "untiled":
                            untiled_peaks[h * w] = res["peak_mb"] * 2 ** 20
                with out_csv.open("a", newline="") as f:
                    csv.DictWriter(f, COLUMNS).writerow(row)
                print(", ".join(f"{k} {row.get(k, '')}" for k in COLUMNS), flush=True)
    command = "python benchmarks/tiled_restore.py " + " ".join(argv if argv is not None else sys.argv[1:])
    earlier = json.loads(out_json.read_text()) if out_json.exists() else {}
    commands = earlier.get("commands", [earlier["command"]] if "command" in earlier else [])
    out_json.write_text(dumps_json({
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs "
                   f"(shared with other jobs), {meminfo('MemTotal') / 2 ** 30:.1f} GiB, "
                   f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}",
        "commands": commands + [command],
        "preset": args.preset, "checkpoint": args.checkpoint or "untrained", "activation_bytes_per_pixel": per_pixel, "date": time.strftime("%Y-%m-%d"),
        "note": "seconds include reading and writing the PNG and loading the checkpoint"}, indent=1))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child(sys.argv[2:]))
    sys.exit(main())
