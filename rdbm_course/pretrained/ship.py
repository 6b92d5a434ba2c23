"""Export a finished training run as a shipped network and record it in ``manifest.json``.

    python -m rdbm_course.pretrained.ship NAME RUN_FOLDER --command "python -m rdbm_core train ..." \
        --wall-s 223 --commit abc1234 --machine "2-core CPU, torch 2.13.0+cpu, 1 thread"

(``RUN_FOLDER`` may also be a weights file the run exported, e.g. a rung of the budget ladder) writes
``NAME.safetensors`` (``rdbm_core.networks.checkpoints.export_weights``) beside this file and the manifest entry:
the command, commit, machine, wall time and date, the run's steps, and the PSNR of the restoration and of the
input on :data:`BENCHMARK` of the run's task, measured here with the exported file.
"""
from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

import torch

from rdbm_core.networks.checkpoints import export_weights, load_trained
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.restoration.evaluation import EvaluationOptions, evaluate
from rdbm_core.data.files import atomic_write, dumps_json

from . import FOLDER

#: the part of the held-out benchmark a shipped network is measured on (and re-measured by the test)
BENCHMARK = {"items": 16, "crop": 64, "steps": 10, "sampler": "implicit"}


def benchmark_psnr(weights, task: str) -> dict:
    """PSNR of the restoration and of the input, averaged over :data:`BENCHMARK`'s items of ``task``."""
    model, path, _ = load_trained(weights)
    data = HeldOutBenchmark(task, items=BENCHMARK["items"], crop=BENCHMARK["crop"])
    with torch.no_grad():
        s = evaluate(model, path, data, SamplerSpec(BENCHMARK["sampler"], BENCHMARK["steps"]),
                     options=EvaluationOptions(progress=False))["summary"]
    return {**BENCHMARK, "task": task, "psnr": round(s["psnr"], 4), "input_psnr": round(s["input_psnr"], 4)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m rdbm_course.pretrained.ship", description=__doc__.split("\n\n")[0])
    p.add_argument("name")
    p.add_argument("run", help="the training run's folder (with checkpoint.pt), or a weights file it exported")
    p.add_argument("--command", required=True, help="the command that trained it")
    p.add_argument("--commit", required=True)
    p.add_argument("--machine", required=True)
    p.add_argument("--wall-s", type=float, required=True, help="wall time of the training in seconds")
    args = p.parse_args(argv)
    file = FOLDER / f"{args.name}.safetensors"
    source = Path(args.run)
    export_weights(source / "checkpoint.pt" if source.is_dir() else source, file,
                   {"command": args.command, "commit": args.commit, "machine": args.machine})
    _, _, config = load_trained(file)
    manifest_file = FOLDER / "manifest.json"
    manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
    manifest[args.name] = {
        "file": file.name, "task": config.task, "bridge": config.bridge, "preset": config.preset,
        "steps": config.steps, "command": args.command, "commit": args.commit, "machine": args.machine,
        "torch": torch.__version__, "wall_s": round(args.wall_s, 1), "date": datetime.date.today().isoformat(),
        "size_mb": round(file.stat().st_size / 1e6, 2), "benchmark": benchmark_psnr(file, config.task),
    }
    atomic_write(manifest_file, (dumps_json(manifest, indent=2, sort_keys=True) + "\n").encode())
    print(f"{args.name}: {manifest[args.name]['benchmark']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
