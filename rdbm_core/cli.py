"""Command line: ``rdbm <command>``, or ``python -m rdbm_core <command>`` (each command has ``--help``).

``coeffs``    print the coefficient table of a bridge of the family;
``train``     train a bridge (or the regression baseline) on the embedded default or on LQ/GT folders;
``evaluate``  PSNR/SSIM of a checkpoint on held-out images (overall, degraded and intact pixels); on request the
              perceptual distance ST-LPIPS, several draws per item with their spread, set-level distances;
``restore``   restore an image file or a folder of images with a checkpoint;
``demo``      the main job: train RDBM on deraining for a few CPU minutes, restore, write figures and metrics;
``compare``   paired difference of two methods in an items CSV, per task, with its 95 % interval;
``export``    the EMA weights of a checkpoint as a safetensors weights file (what is shipped and shared).

(The notebooks' HTML book is a tool of the course: ``python -m rdbm_course.book``.)

An error in the user's input ends with one line on stderr and exit code 2,
not a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import typing
from dataclasses import asdict, fields
from pathlib import Path

from rdbm_core.bridge import bridges
from rdbm_core.networks.config import TrainConfig
from rdbm_core.data.files import dumps_json
from rdbm_core.data.degradations import TASKS

__all__ = ["main", "coefficient_table", "add_config_flags", "config_from_flags"]


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
        print(dumps_json(table))
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
    from rdbm_core.data.datasets import BENCHMARK_ITEMS, HeldOutBenchmark, PairedFolder
    from rdbm_core.data.embedded import TEST_IMAGES
    if args.lq or args.gt:
        if not (args.lq and args.gt):
            raise ValueError("give both --lq and --gt")
        return PairedFolder(args.lq, args.gt, pattern=args.pair_pattern)
    if args.pair_pattern is not None:
        raise ValueError("--pair-pattern maps --lq file names to --gt ones: give --lq and --gt too")
    task = args.task or (config.task if config is not None else None)
    if task is None:
        raise ValueError("give --task or --lq/--gt: the checkpoint was trained on folders")
    crop = args.crop or None
    items = args.images if args.images is not None else BENCHMARK_ITEMS if crop else len(TEST_IMAGES)
    return HeldOutBenchmark(task, items, crop=crop)


def _print_summary(label: str, summary: dict) -> None:
    print(f"{label}: input PSNR {summary['input_psnr']:.2f} dB, SSIM {summary['input_ssim']:.4f} -> "
          f"restored PSNR {summary['psnr']:.2f} dB, SSIM {summary['ssim']:.4f} "
          f"(degraded pixels {summary['input_psnr_degraded']:.2f} -> {summary['psnr_degraded']:.2f} dB, "
          f"intact pixels {summary['input_psnr_intact']:.2f} -> {summary['psnr_intact']:.2f} dB; "
          f"{summary['count']} images)")


_FIELDS = {f.name: f for f in fields(TrainConfig)}


def add_config_flags(parser: argparse.ArgumentParser, cls=TrainConfig) -> None:
    """One flag per field of the config dataclass ``cls``: ``--field-name`` (or the field's ``flag``), the
    field's default, type, ``choices`` and ``help``; a bool field gets ``--name`` / ``--no-name``.  The one way
    every option group becomes flags: :class:`~rdbm_core.networks.config.TrainConfig`,
    :class:`~rdbm_core.bridge.samplers.SamplerSpec`, :class:`~rdbm_core.restoration.tiling.TileOptions`,
    :class:`~rdbm_core.restoration.evaluation.EvaluationOptions`; :func:`config_from_flags` makes the object
    (which checks the values: a bad one is one ``ValueError``)."""
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        kind = hints[f.name]
        kind = next((a for a in typing.get_args(kind) if a is not type(None)), kind)  # X | None -> X
        options = dict(dest=f.name, default=f.default, help=f.metadata["help"])
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = kind
            if "choices" in f.metadata:
                options["choices"] = f.metadata["choices"]
        parser.add_argument(f.metadata.get("flag", "--" + f.name.replace("_", "-")), **options)


def config_from_flags(args: argparse.Namespace, cls=TrainConfig, **overrides):
    """The config of the flags added by :func:`add_config_flags` (with ``overrides``)."""
    return cls(**{**{f.name: getattr(args, f.name) for f in fields(cls)}, **overrides})


def _cmd_train(args) -> int:
    from rdbm_core.bridge.samplers import SamplerSpec
    from rdbm_core.data.datasets import HeldOutBenchmark
    from rdbm_core.networks.training import train
    from rdbm_core.restoration.evaluation import EvaluationOptions, evaluate, write_evaluation
    config = config_from_flags(args, task=None if args.lq else args.task)
    has_eval = config.task is not None and not args.no_eval

    def evaluate_fn(model, path, cfg, step):
        res = evaluate(model, path, HeldOutBenchmark(cfg.task, cfg.eval_images, crop=None),
                       SamplerSpec(steps=cfg.sample_steps), options=EvaluationOptions(progress=False))
        write_evaluation(res, Path(cfg.out) / f"eval_{step:06d}")
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
    from rdbm_core.bridge.samplers import SamplerSpec
    from rdbm_core.data.files import append_rows
    from rdbm_core.evidence.diversity import check_draws
    from rdbm_core.networks.checkpoints import load_trained
    from rdbm_core.restoration.evaluation import (EvaluationOptions, check_sampling, evaluate, item_columns,
                                                  item_rows, write_evaluation)
    from rdbm_core.restoration.tiling import TileOptions
    sampler, tiles = config_from_flags(args, SamplerSpec), config_from_flags(args, TileOptions)
    options = config_from_flags(args, EvaluationOptions, progress=args.progress and not args.json)
    if options.perceptual:
        from rdbm_core.evidence.perceptual import weights_path
        weights_path()  # the install line, before loading anything
    device = _network_device(args)
    model, path, config = load_trained(args.checkpoint, device=device)
    check_sampling(path, sampler)
    if options.draws is not None:
        check_draws(options.draws, path, sampler.name, sampler.options)
    dataset = _eval_dataset(args, config)
    columns = item_columns(perceptual=options.perceptual, draws=options.draws is not None)
    if args.items and Path(args.items).exists():  # fail before the work if the file cannot take the rows
        append_rows(args.items, [], columns)
    res = evaluate(model, path, dataset, sampler, tiles, options)
    if args.out:
        write_evaluation(res, args.out)
    if args.items:
        task = args.task or config.task or "folder"
        method = args.method or (config.bridge if config.noise is None else f"{config.bridge}-{config.noise}")
        append_rows(args.items, item_rows(res, task, method, config.seed), columns)
    if args.json:
        print(dumps_json({"sampler": sampler.as_dict(), "tiles": asdict(tiles), "options": asdict(options),
                          "summary": res["summary"], "images": res["images"]}))
    else:
        _print_summary("evaluation", res["summary"])
        _print_beyond_psnr(res["summary"])
        if args.out:
            print(f"wrote {Path(args.out) / 'metrics.json'}, metrics.csv and restorations.png")
        if args.items:
            print(f"appended {len(res['images'])} rows to {args.items}")
    return 0


def _print_beyond_psnr(summary: dict) -> None:
    """The lines of evaluate's --perceptual, --draws and --distribution (those present in ``summary``)."""
    if "lpips_st" in summary:
        print(f"ST-LPIPS (lower is better): input {summary['input_lpips_st']:.4f} -> restored "
              f"{summary['lpips_st']:.4f}")
    if "draws" in summary:
        lpips = (f"; ST-LPIPS {summary['lpips_st_draws']:.4f}, of their mean {summary['lpips_st_mean_of_draws']:.4f}"
                 if "lpips_st_draws" in summary else "")
        print(f"{summary['draws']} draws per item: PSNR {summary['psnr_draws']:.2f} dB, of their mean "
              f"{summary['psnr_mean_of_draws']:.2f} dB{lpips}; spread {summary['spread']:.4f}, error within 2 "
              f"spreads {summary['coverage_2sd']:.3f} (calibrated draws: {summary['coverage_2sd_nominal']:.3f}), "
              f"spread-error correlation {summary['spread_error_corr']:.3f}")
    if "swd" in summary:
        bands = ", ".join(f"{v:+.1f}" for v in summary["spectrum_db"])
        print(f"sliced Wasserstein distance (1e-3, lower is better): input {summary['input_swd']:.1f} -> restored "
              f"{summary['swd']:.1f} [{summary['swd_low']:.1f}, {summary['swd_high']:.1f}]; power spectrum against "
              f"the truth by band, low to high frequency (dB): {bands}")


def _network_device(args):
    """The device of ``--device`` (``auto``: CUDA when present), checked to exist; ``--half`` needs CUDA."""
    import torch
    from rdbm_core.networks.training import resolve_device
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
    from tqdm.auto import tqdm
    from rdbm_core.bridge.samplers import SamplerSpec
    from rdbm_core.data.images import SUPPORTED_EXTENSIONS, image_size, load_image, save_image
    from rdbm_core.networks.checkpoints import load_trained
    from rdbm_core.restoration.evaluation import check_sampling, restore
    from rdbm_core.restoration.tiling import TileOptions, check_tile_options, tile_budget_pixels, tiled
    sampler, tiles = config_from_flags(args, SamplerSpec), config_from_flags(args, TileOptions)
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
    check_sampling(path, sampler)
    check_tile_options(model, tiles, device)
    probe = (lambda x: (x,)) if path is None else None
    budget = tile_budget_pixels(model, device, torch.float16 if tiles.half else None, probe_inputs=probe)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator(device).manual_seed(args.seed)
    for group in _restore_batches(files, sizes, args.batch, budget):
        mu = torch.stack([load_image(f) for f in group]).to(device)
        net = tiled(model, mu.shape, tiles, device, probe_inputs=probe)
        with tqdm(total=sampler.steps, unit="step", dynamic_ncols=True, leave=False, disable=path is None,
                  desc=f"restore {len(group)} x {mu.shape[-1]}x{mu.shape[-2]}") as bar:
            x0_hat = restore(net, path, mu, sampler, generator, callback=lambda info: bar.update(1)).cpu()
        for f, img in zip(group, x0_hat):
            save_image(img, out / (f.stem + ".png"))
            print(f"{f} -> {out / (f.stem + '.png')}")
    return 0


def _cmd_demo(args) -> int:
    from rdbm_core.bridge.samplers import SamplerSpec
    from rdbm_core.networks.checkpoints import load_trained
    from rdbm_core.data.datasets import HeldOutBenchmark
    from rdbm_core.restoration.evaluation import evaluate, write_evaluation
    from rdbm_core.networks.training import train
    fast = _fast()
    out = Path(args.out)
    if fast:
        config = TrainConfig.smoke(task=args.task, bridge="rdbm", out=str(out), seed=args.seed)
    else:
        config = TrainConfig(task=args.task, bridge="rdbm", preset=args.preset, steps=100_000, batch=8, crop=64,
                             pool=1024, time_budget=args.minutes * 60, ckpt_every=1000, out=str(out),
                             seed=args.seed, lr=5e-4)
    print(f"demo: training RDBM on '{args.task}' ({config.preset} U-Net, "
          f"{f'{config.steps} steps (FAST=1)' if fast else f'{args.minutes:g} CPU minutes'}) -> {out}")
    result = train(config)
    model, path, _ = load_trained(result["checkpoint"])
    test = HeldOutBenchmark(args.task, 2 if fast else args.images, crop=64 if fast else None)
    res = evaluate(model, path, test, SamplerSpec(steps=args.steps))
    write_evaluation(res, out)
    s = res["summary"]
    (out / "train_losses.json").write_text(dumps_json({"losses": result["losses"], "wall_s": result["wall_s"],
                                                        "config": asdict(config)}))
    _print_summary("held-out test images", s)
    print(f"PSNR of the degraded input: {s['input_psnr']:.2f} dB")
    print(f"PSNR of the restoration:    {s['psnr']:.2f} dB")
    print(f"wrote {out / 'restorations.png'}, {out / 'metrics.json'}, {out / 'metrics.csv'}, {result['checkpoint']}")
    return 0


def _key_values(clauses, flag: str, name: str) -> dict[str, str]:
    """``{key: value}`` of repeated ``flag NAME=VALUE`` options; a clause without ``=`` or a key is one error."""
    out = {}
    for clause in clauses or ():
        key, sep, value = clause.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} takes {name}=VALUE, got {clause!r}")
        out[key] = value
    return out


def _cmd_compare(args) -> int:
    from rdbm_core.evidence.stats import LEVEL, P_VALUE_RULE, UnpairedError, compare_items, load_items, select_rows
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    where = _key_values(args.where, "--where", "COLUMN")
    rows = select_rows(load_items(args.items, by), by, where)
    try:
        results = compare_items(rows, args.a, args.b, tasks=args.task, metric=args.metric, draws=args.draws,
                                resample_seed=args.resample_seed, method=args.method, intersect=args.intersect)
    except UnpairedError as err:
        raise ValueError(f"{err}; --intersect compares the common part") from None
    if args.json:
        print(dumps_json({"items_csv": str(args.items), "a": args.a, "b": args.b, "by": by, "where": where,
                          "metric": args.metric, "method": args.method, "level": LEVEL, "draws": args.draws,
                          "resample_seed": args.resample_seed, "p_value_rule": P_VALUE_RULE,
                          "tasks": [r.as_dict() for r in results]}))
    else:
        for r in results:
            print(r)
    return 0


def _cmd_export(args) -> int:
    from rdbm_core.networks.checkpoints import export_weights
    out = export_weights(args.checkpoint, args.out, _key_values(args.meta, "--meta", "KEY"))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB: EMA weights, config, step, losses)")
    return 0


def build_parser(prog: str = "rdbm") -> argparse.ArgumentParser:
    """The parser; ``prog`` is how usage and errors name the command (``python -m rdbm_core`` passes its own)."""
    parser = argparse.ArgumentParser(prog=prog,
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

    from rdbm_core.bridge.samplers import SamplerSpec
    from rdbm_core.restoration.evaluation import EvaluationOptions
    from rdbm_core.restoration.tiling import TileOptions

    def data_args(q):
        q.add_argument("--task", choices=sorted(TASKS),
                       help="embedded default: photographs shipped with scikit-image, degraded synthetically")
        q.add_argument("--lq", help="folder of degraded images (real paired data, matched to --gt by file name "
                                    "or by --pair-pattern)")
        q.add_argument("--gt", help="folder of ground-truth images")
        q.add_argument("--pair-pattern", help=_FIELDS["pair_pattern"].metadata["help"])
        q.add_argument("--images", type=int, default=None,
                       help="held-out items of the embedded default (train: whole test photographs, default 4; "
                            "evaluate: benchmark windows, default 64, or the 4 photographs with --crop 0)")

    def sampler_args(q):
        add_config_flags(q, SamplerSpec)  # --sampler, --steps and every sampler option
        add_config_flags(q, TileOptions)  # --tile, --overlap, --half and the tiles' normalisation
        q.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (CUDA when present)")

    p = sub.add_parser("train", help="train a bridge on the embedded default or on LQ/GT folders",
                       description="Train one bridge of the family (or the one-pass regression baseline) with "
                                   "AdamW, EMA and gradient clipping; writes OUT/checkpoint.pt atomically and, for "
                                   "the embedded default, held-out metrics and figures under OUT/eval_STEP/.")
    add_config_flags(p)  # every field of TrainConfig, with its default and help
    p.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation")
    p.add_argument("--resume", help="continue from this checkpoint")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", help="PSNR/SSIM of a checkpoint on held-out images",
                       description="Restore held-out images and report PSNR/SSIM overall, on degraded pixels and "
                                   "on intact pixels, for the input and for the restoration; with --perceptual, "
                                   "--draws and --distribution also a perceptual distance, the spread of several "
                                   "draws and its calibration, and distances between the sets of images.")
    p.add_argument("--checkpoint", required=True)
    data_args(p)
    sampler_args(p)
    p.add_argument("--crop", type=int, default=64,
                   help="window size of the held-out benchmark items (default 64; 0: whole photographs)")
    p.add_argument("--items", help="append one row per test item (task, method, seed, item, every metric) to "
                                   "this CSV, for `compare`")
    p.add_argument("--method", help="method name in the --items rows (default: the checkpoint's bridge)")
    p.add_argument("--out", help="folder for metrics.json, metrics.csv and restorations.png")
    p.add_argument("--json", action="store_true", help="print the options and the metrics as one JSON object")
    add_config_flags(p, EvaluationOptions)  # --seed, --perceptual, --draws, --distribution, --progress
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

    from rdbm_core.evidence.stats import DRAWS, MAX_DRAWS, MAX_DROPPED, METHODS, MIN_SEEDS, RESAMPLE_SEED
    p = sub.add_parser("compare", help="paired difference of two methods in an items CSV, with a 95 %% interval",
                       description="For each task: the mean paired difference A - B of a metric over the training "
                                   "seeds and test items of both methods, its 95 %% interval from a hierarchical "
                                   "bootstrap (seeds, then photographs, then windows within a photograph, with "
                                   "replacement; the photograph is the image column's part before @), a Student-t "
                                   "interval on the seed means, a bootstrap p-value, the difference for each seed "
                                   "and a verdict (A better, B better, or no difference established). A verdict "
                                   f"needs {MIN_SEEDS} seeds (fewer give an item-level summary) and at most "
                                   f"{MAX_DROPPED * 100:g} %% of the pairs dropped as nan or infinite (dropped, "
                                   "never capped, and counted). Both methods must have the same seeds and items "
                                   "(else exit 2; --intersect). Metrics are higher-is-better.")
    p.add_argument("items", help="items CSV (one row per task, method, seed and item; e.g. "
                                 "benchmarks/results/bridge_comparison_items.csv or evaluate --items)")
    p.add_argument("--a", required=True, help="method A (with --by: the values of its columns joined by @)")
    p.add_argument("--b", required=True, help="method B")
    p.add_argument("--by", default="method",
                   help="the column(s), comma-separated, that name a method (default method; the sampler study: "
                        "--by sampler,nfe --where bridge=goub --a implicit-eta0@10 --b euler-maruyama@100)")
    p.add_argument("--where", action="append", metavar="COLUMN=VALUE",
                   help="only the rows with this value (repeatable)")
    p.add_argument("--task", action="append", help="only this task (repeatable; default: every task)")
    p.add_argument("--metric", default="psnr", help="metric column (default psnr; e.g. psnr_y, ssim, psnr_degraded)")
    p.add_argument("--method", choices=METHODS, default=METHODS[0],
                   help="the interval (default hierarchical; two-stage: seeds, then items, the earlier design)")
    p.add_argument("--intersect", action="store_true",
                   help="compare the seeds and items both methods have, and print what was left out")
    p.add_argument("--draws", type=int, default=DRAWS,
                   help=f"bootstrap draws (default {DRAWS}; a verdict whose p-value is within Monte Carlo error of "
                        f"0.05 is computed again with tenfold draws, up to {MAX_DRAWS}; the draws used are printed)")
    p.add_argument("--resample-seed", type=int, default=RESAMPLE_SEED, help="seed of the bootstrap")
    p.add_argument("--json", action="store_true", help="print one JSON object (strict JSON)")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("export", help="write a checkpoint's EMA weights as a safetensors weights file",
                       description="Write the EMA weights of a checkpoint, with its config, step and losses as "
                                   "metadata, to a safetensors file (no optimizer state; reading it executes no "
                                   "code). evaluate and restore take it as --checkpoint.")
    p.add_argument("--checkpoint", required=True, help="an rdbm checkpoint (OUT/checkpoint.pt of train)")
    p.add_argument("--out", required=True, help="the weights file to write (.safetensors)")
    p.add_argument("--meta", action="append", metavar="KEY=VALUE",
                   help="extra string metadata, e.g. provenance (repeatable)")
    p.set_defaults(func=_cmd_export)

    return parser


def main(argv=None, prog: str = "rdbm") -> int:
    """Run one command: the console script ``rdbm`` (pyproject's [project.scripts]) and ``python -m rdbm_core``."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
