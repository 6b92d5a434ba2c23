"""Command line: ``python -m rdbm_core <command>`` (each command has ``--help``).

``coeffs``    print the coefficient table of a bridge of the family;
``train``     train a bridge (or the regression baseline) on the embedded default or on LQ/GT folders;
``evaluate``  PSNR/SSIM of a checkpoint on held-out images (overall, degraded and intact pixels);
``restore``   restore an image file or a folder of images with a checkpoint;
``demo``      the main job: train RDBM on deraining for a few CPU minutes, restore, write figures and metrics;
``book``      the committed notebooks as a static HTML book (contents, navigation, offline LaTeX).

An error in the user's input ends with one line on stderr and exit code 2,
not a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from . import bridges
from .degradations import TASKS

__all__ = ["main", "coefficient_table"]


def coefficient_table(name: str, steps: int | None = None, lam: float | None = None) -> dict:
    """The bridge's grid and coefficients as plain lists: keys ``bridge, t, thbar, Theta, Psi, Sigma``.

    Discrete bridges are tabulated on their own grid (``steps`` sets its size);
    continuous ones on ``steps + 1`` (default 101) uniform times from 0 to ``T``.
    """
    path = bridges.make(name, steps=steps, lam=lam)
    sch = path.schedule
    t = sch.times() if sch.discrete else sch.times(steps or 100)
    theta, psi, sigma = path.coefficients(t)
    return {
        "bridge": name,
        "description": path.describe(),
        "lam": path.lam,
        "t": t.tolist(),
        "thbar": sch.clock(t).tolist(),
        "Theta": theta.tolist(),
        "Psi": psi.tolist(),
        "Sigma": sigma.tolist(),
    }


def _cmd_coeffs(args) -> int:
    table = coefficient_table(args.bridge, args.steps, args.lam)
    if args.json:
        print(json.dumps(table))
        return 0
    print(table["description"])
    print(f"{'t':>10} {'thbar':>12} {'Theta':>12} {'Psi':>12} {'Sigma':>12}")
    for row in zip(table["t"], table["thbar"], table["Theta"], table["Psi"], table["Sigma"]):
        t, *rest = row
        print(f"{t:>10.6g} " + " ".join(f"{v:>12.6g}" for v in rest))
    return 0


def _fast() -> bool:
    return os.environ.get("FAST") == "1"


def _eval_dataset(args, config=None):
    from .data import PairedFolder, test_pairs
    if args.lq or args.gt:
        if not (args.lq and args.gt):
            raise ValueError("give both --lq and --gt")
        return PairedFolder(args.lq, args.gt)
    task = args.task or (config.task if config is not None else None)
    if task is None:
        raise ValueError("give --task or --lq/--gt: the checkpoint was trained on folders")
    return test_pairs(task, args.images, args.seed)


def _print_summary(label: str, summary: dict) -> None:
    print(f"{label}: input PSNR {summary['input_psnr']:.2f} dB, SSIM {summary['input_ssim']:.4f} -> "
          f"restored PSNR {summary['psnr']:.2f} dB, SSIM {summary['ssim']:.4f} "
          f"(degraded pixels {summary['input_psnr_degraded']:.2f} -> {summary['psnr_degraded']:.2f} dB, "
          f"intact pixels {summary['input_psnr_intact']:.2f} -> {summary['psnr_intact']:.2f} dB; "
          f"{summary['count']} images)")


def _cmd_train(args) -> int:
    from .data import test_pairs
    from .evaluation import evaluate
    from .training import TrainConfig, train
    config = TrainConfig(task=None if args.lq else args.task, lq=args.lq, gt=args.gt, bridge=args.bridge,
                         noise=args.noise, lam=args.lam, objective=args.objective, norm=args.norm,
                         preset=args.preset, steps=args.steps, batch=args.batch, crop=args.crop, lr=args.lr,
                         ema=args.ema, seed=args.seed, eval_every=args.eval_every, ckpt_every=args.ckpt_every,
                         sample_steps=args.sample_steps, time_budget=args.time_budget, out=args.out,
                         device=args.device, eval_images=args.images)
    has_eval = config.task is not None and not args.no_eval

    def evaluate_fn(model, path, cfg, step):
        res = evaluate(model, path, test_pairs(cfg.task, cfg.eval_images, cfg.seed), steps=cfg.sample_steps,
                       out_dir=Path(cfg.out) / f"eval_{step:06d}", device=next(model.parameters()).device,
                       progress=False)
        return res["summary"]

    result = train(config, resume=args.resume, evaluate_fn=evaluate_fn if has_eval else None)
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    if result["evals"]:
        _print_summary(f"step {result['step']}", result["evals"][-1])
    print(f"checkpoint: {result['checkpoint']} (step {result['step']}, {result['world']} processes, "
          f"{result['wall_s']:.0f} s, "
          f"{result['images_per_s']:.1f} images/s, final loss {result['losses'][-1]:.4f})")
    return 0


def _cmd_evaluate(args) -> int:
    from .evaluation import evaluate
    from .training import load_trained
    from .evaluation import check_restore_options
    device = _network_device(args)
    model, path, config = load_trained(args.checkpoint, device=device)
    check_restore_options(path, args.sampler, args.steps, args.eta, args.tile, args.overlap)
    res = evaluate(model, path, _eval_dataset(args, config), steps=args.steps, out_dir=args.out,
                   sampler=args.sampler, device=device, progress=not args.json, eta=args.eta, tile=args.tile,
                   overlap=args.overlap, half=args.half)
    if args.json:
        print(json.dumps(res))
    else:
        _print_summary("evaluation", res["summary"])
        if args.out:
            print(f"wrote {Path(args.out) / 'metrics.json'}, metrics.csv and restorations.png")
    return 0


def _network_device(args):
    """The device of ``--device`` (``auto``: CUDA when present), checked to exist; ``--half`` needs CUDA."""
    import torch
    from .training import resolve_device
    try:
        device = resolve_device(args.device)
    except RuntimeError:
        raise ValueError(f"unknown --device {args.device!r}; use cpu, cuda, cuda:N or auto") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {args.device}: CUDA is not available on this machine; use --device cpu")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported --device {args.device!r}; use cpu, cuda, cuda:N or auto")
    if args.half and device.type != "cuda":
        raise ValueError(f"--half (float16) needs a CUDA device, not {device.type}: run without --half, "
                         "or with --device cuda")
    return device


def _restore_batches(files, sizes, batch: int, budget_pixels: int):
    """Files of one size together, at most ``batch`` per batch and at most ``budget_pixels`` pixels (at least one)."""
    by_size = {}
    for f, hw in zip(files, sizes):
        by_size.setdefault(hw, []).append(f)
    for (h, w), group in by_size.items():
        n = max(1, min(batch, budget_pixels // (h * w)))
        for i in range(0, len(group), n):
            yield group[i:i + n]


def _cmd_restore(args) -> int:
    import torch
    from .data import SUPPORTED_EXTENSIONS, image_size, load_image, save_image
    from .evaluation import check_restore_options, restore
    from .tiling import tile_budget_pixels
    from .training import load_trained
    src = Path(args.input)
    if src.is_dir():
        files = sorted(p for p in src.iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS)
        if not files:
            raise ValueError(f"no images ({', '.join(SUPPORTED_EXTENSIONS)}) in folder {src}")
    elif src.is_file():
        files = [src]
    else:
        raise FileNotFoundError(f"input not found: {src}")
    if args.batch < 1:
        raise ValueError(f"--batch must be >= 1, got {args.batch}")
    device = _network_device(args)
    sizes = [image_size(f) for f in files]  # every header is read before anything is restored
    model, path, _ = load_trained(args.checkpoint, device=device)
    check_restore_options(path, args.sampler, args.steps, args.eta, args.tile, args.overlap)
    budget = tile_budget_pixels(model, device, torch.float16 if args.half else None,
                                probe_inputs=(lambda x: (x,)) if path is None else None)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator(device).manual_seed(args.seed)
    for group in _restore_batches(files, sizes, args.batch, budget):
        mu = torch.stack([load_image(f) for f in group]).to(device)
        x0_hat = restore(model, path, mu, steps=args.steps, sampler=args.sampler, eta=args.eta, generator=generator,
                         tile=args.tile, overlap=args.overlap, half=args.half, progress=True).cpu()
        for f, img in zip(group, x0_hat):
            save_image(img, out / (f.stem + ".png"))
            print(f"{f} -> {out / (f.stem + '.png')}")
    return 0


def _cmd_demo(args) -> int:
    from .data import test_pairs
    from .evaluation import evaluate
    from .training import TrainConfig, load_trained, train
    fast = _fast()
    out = Path(args.out)
    config = TrainConfig(task=args.task, bridge="rdbm", preset="tiny" if fast else args.preset,
                         steps=20 if fast else 100_000, batch=4 if fast else 8, crop=32 if fast else 64,
                         pool=32 if fast else 1024, time_budget=0 if fast else args.minutes * 60,
                         ckpt_every=0 if fast else 1000, out=str(out), seed=args.seed, lr=1e-3 if fast else 5e-4)
    print(f"demo: training RDBM on '{args.task}' ({config.preset} U-Net, "
          f"{'20 steps (FAST=1)' if fast else f'{args.minutes:g} CPU minutes'}) -> {out}")
    result = train(config)
    model, path, _ = load_trained(result["checkpoint"])
    test = test_pairs(args.task, 2 if fast else args.images, args.seed, crop=64 if fast else None)
    res = evaluate(model, path, test, steps=args.steps, out_dir=out)
    s = res["summary"]
    (out / "train_losses.json").write_text(json.dumps({"losses": result["losses"], "wall_s": result["wall_s"],
                                                        "config": asdict(config)}))
    _print_summary("held-out test images", s)
    print(f"PSNR of the degraded input: {s['input_psnr']:.2f} dB")
    print(f"PSNR of the restoration:    {s['psnr']:.2f} dB")
    print(f"wrote {out / 'restorations.png'}, {out / 'metrics.json'}, {out / 'metrics.csv'}, {result['checkpoint']}")
    return 0


def _cmd_book(args) -> int:
    from .book import build_book
    index = build_book(args.notebooks, args.out)
    print(f"wrote {index}: open it in a browser (no network needed)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rdbm_core",
                                     description="Residual Diffusion Bridge Model: library command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("coeffs", help="print the coefficient table (Theta, Psi, Sigma) of a bridge",
                       description="Print t, thbar, Theta (coefficient of x0), Psi (coefficient of x_T = mu) and "
                                   "Sigma (std before the noise factor) of a bridge of the family, "
                                   "with its published defaults unless overridden.")
    p.add_argument("--bridge", required=True, choices=list(bridges.BRIDGES), help="which bridge")
    p.add_argument("--steps", type=int, default=None,
                   help="grid size of a discrete bridge, or number of intervals for a continuous one (default 100)")
    p.add_argument("--lam", type=float, default=None, help="override the noise variance lam")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=_cmd_coeffs)

    from .training import METHODS
    from .samplers import SAMPLERS

    def data_args(q, task_default=None):
        q.add_argument("--task", choices=sorted(TASKS), default=task_default,
                       help="embedded default: photographs shipped with scikit-image, degraded synthetically")
        q.add_argument("--lq", help="folder of degraded images (real paired data, matched to --gt by file name)")
        q.add_argument("--gt", help="folder of ground-truth images")
        q.add_argument("--images", type=int, default=4, help="held-out test images for the embedded default")
        q.add_argument("--seed", type=int, default=0)

    def sampler_args(q):
        q.add_argument("--steps", type=int, default=10, help="sampler steps (network evaluations)")
        q.add_argument("--sampler", choices=list(SAMPLERS), default="implicit")
        q.add_argument("--eta", type=float, default=0.0,
                       help="implicit sampler: 0 deterministic, 1 the ancestral posterior step")
        q.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (CUDA when present)")
        q.add_argument("--tile", type=int, default=None,
                       help="tile side in pixels for the network (default: from the device's memory; 0: never tile)")
        q.add_argument("--overlap", type=int, default=None,
                       help="pixels shared by neighbouring tiles (default: 1/8 of the tile, at least 32)")
        q.add_argument("--half", action="store_true", help="run the network in float16 (CUDA only)")

    p = sub.add_parser("train", help="train a bridge on the embedded default or on LQ/GT folders",
                       description="Train one bridge of the family (or the one-pass regression baseline) with "
                                   "AdamW, EMA and gradient clipping; writes OUT/checkpoint.pt atomically and, for "
                                   "the embedded default, held-out metrics and figures under OUT/eval_STEP/.")
    data_args(p, "derain")
    p.add_argument("--bridge", choices=list(METHODS), default="rdbm")
    p.add_argument("--noise", choices=["modulated", "global"], help="override the bridge's noise factor")
    p.add_argument("--lam", type=float, help="override the bridge's lam")
    p.add_argument("--objective", choices=["x0", "noise"], default="x0")
    p.add_argument("--norm", choices=["l1", "l2"], default="l1")
    p.add_argument("--preset", choices=["tiny", "small", "base"], default="small", help="U-Net size")
    p.add_argument("--steps", type=int, default=2000, help="training steps")
    p.add_argument("--batch", type=int, default=8, help="batch size per process")
    p.add_argument("--crop", type=int, default=64, help="training crop size")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--eval-every", type=int, default=0, help="evaluate every N steps (0: at the end only)")
    p.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation")
    p.add_argument("--ckpt-every", type=int, default=500)
    p.add_argument("--sample-steps", type=int, default=10, help="sampler steps used by the evaluations")
    p.add_argument("--time-budget", type=float, default=0.0, help="stop after this many seconds (0: no limit)")
    p.add_argument("--out", default="runs/rdbm", help="output folder")
    p.add_argument("--resume", help="continue from this checkpoint")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", help="PSNR/SSIM of a checkpoint on held-out images",
                       description="Restore held-out images and report PSNR/SSIM overall, on degraded pixels and "
                                   "on intact pixels, for the input and for the restoration.")
    p.add_argument("--checkpoint", required=True)
    data_args(p)
    sampler_args(p)
    p.add_argument("--out", help="folder for metrics.json, metrics.csv and restorations.png")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("restore", help="restore an image or a folder of images",
                       description="Restore every image of --input (a file or a folder) with a trained checkpoint "
                                   "and write PNGs of the same names to --output. Large images are restored in "
                                   "bounded memory: the network runs tile by tile (overlapping, blended) at every "
                                   "step, with a progress bar; images of one size are restored in batches.")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--input", required=True, help="an image file or a folder of images")
    p.add_argument("--output", required=True, help="output folder")
    sampler_args(p)
    p.add_argument("--batch", type=int, default=8, help="restore up to this many images of one size together")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler's noise (eta > 0)")
    p.set_defaults(func=_cmd_restore)

    p = sub.add_parser("demo", help="the main job: train RDBM on deraining, restore, write figures and metrics",
                       description="Train RDBM on the embedded default (deraining) for a CPU budget, restore the "
                                   "held-out test photographs, write a figure and the metrics, print the PSNR of "
                                   "the input and of the restoration. FAST=1 shrinks it to seconds.")
    p.add_argument("--task", choices=sorted(TASKS), default="derain")
    p.add_argument("--minutes", type=float, default=5.0, help="training budget in minutes")
    p.add_argument("--preset", choices=["tiny", "small", "base"], default="small")
    p.add_argument("--images", type=int, default=2, help="held-out test images (whole photographs)")
    p.add_argument("--steps", type=int, default=10, help="sampler steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="outputs/demo")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("book", help="build the notebooks into a static HTML book",
                       description="Convert every committed notebook (NOTEBOOKS/*.ipynb, then "
                                   "NOTEBOOKS/solutions/*.ipynb) with its outputs, without executing it, into one "
                                   "HTML page each, plus index.html with the table of contents; LaTeX is typeset "
                                   "by a copy of MathJax inside the book. OUT is replaced only once the new book "
                                   "is complete.")
    p.add_argument("--notebooks", default="notebooks", help="folder of the notebooks")
    p.add_argument("--out", default="_book", help="output folder (replaced whole)")
    p.set_defaults(func=_cmd_book)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
