"""The training-budget ladder: does the bridges' gap to regression shrink, vanish or flip as training grows?

    OMP_NUM_THREADS=1 python -m experiments budget_ladder train --runs DIR [--shard 0/2]

Methods regression, RDBM (released lam) and GOUB on deraining and inpainting, with the bridge comparison's CPU
budget per step (batch 8 of 32x32 crops, learning rate 1e-3) and a pool of :attr:`LadderConfig.pool` training
pairs, at the rungs of :data:`LADDER`: the tiny U-Net at 250, 1000 and 4000 steps (seeds 0-4) and 16000 (seeds
0-2), the small U-Net at 4000 steps on deraining (seeds 0-2). Beside them, for the normalisation decision of the
tiling work, RDBM with the U-Net's pixel norm (``unet_norm="pixel"``: no spatial statistics) at the tiny
rungs up to 4000 steps (seeds 0-4); the GroupNorm networks it is compared with are the ladder's own.

One *chain* (task, method, preset, seed) is one training run taken rung by rung: it is trained to the first
rung, its EMA weights exported, then resumed to the next. Training has a constant learning rate and draws the
batch of step ``k`` from ``(seed, k)`` alone, so the network at a rung is the one a run of exactly that many
steps gives (``rdbm_core.networks.training``: a resumed run reproduces an uninterrupted one). Every chain reaches rung
``r`` before any chain trains past it, so the cheap rungs are complete first.

The evaluation phase (``python -m experiments budget_ladder evaluate --runs DIR``) restores version 2 of the
held-out benchmark (:data:`rdbm_core.data.datasets.BENCHMARK_VERSION`: 12 windows of each of 12 photographs) with every
trained network, in the settings of :data:`SAMPLINGS`: the regression network in one pass; a bridge with the
deterministic implicit sampler (``eta = 0``, 10 steps) and with the stochastic one (``eta = 1``, 10 steps,
4 draws per item: one draw's metrics, the mean of the draws', their spread and its calibration): the samplings
``eta0`` and ``eta1`` of :data:`experiments.networks.SAMPLINGS`.
Every item gets PSNR, SSIM and the ST-LPIPS distance; one row per (network, sampling, item) goes to
``items.csv``, whose ``method`` names the network and the sampling (``rdbm-tiny-4000-eta0``,
``regression-tiny-4000``), so ``python -m rdbm_core compare items.csv --a ... --b ...`` pairs them by seed and
item; the set-level sliced Wasserstein distance of each (network, sampling) goes to ``sets.csv``.

Resumable: each exported rung is a row of ``experiments/results/budget_ladder/networks.csv`` (appended and
flushed at once; rows present are skipped) and a weights file ``<runs>/<chain>/steps_<N>.safetensors``; a chain
killed between rungs resumes from its last checkpoint (written every 250 steps). Weights lost with their machine
are rebuilt by ``evaluate --rebuild`` (:func:`rebuild`): training is deterministic, so a rebuilt network must
reproduce its recorded loss and, where they are in items.csv, its deterministic restorations, or the job stops.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from rdbm_core.comparison import Budget, method_config
from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.evidence.stats import MIN_SEEDS

from . import RESULTS
from .networks import (ITEM_COLUMNS, SAMPLINGS, SET_COLUMNS, evaluate_weights, network_record, parse_shard,
                       train_to, vouch_rebuilt, weights_match)
from .provenance import file_sha256, provenance, write_provenance

FOLDER = RESULTS / "budget_ladder"
NETWORKS_CSV = FOLDER / "networks.csv"
ITEMS_CSV = FOLDER / "items.csv"
SETS_CSV = FOLDER / "sets.csv"
#: the samplings of a bridge network (:data:`experiments.networks.SAMPLINGS`); the regression network has one pass
LADDER_SAMPLINGS = ("eta0", "eta1")
NETWORK_COLUMNS = ("task", "method", "preset", "norm", "seed", "steps", "weights", "sha256", "train_wall_s",
                   "loss_last_50")


@dataclass(frozen=True)
class LadderConfig:
    """The per-step budget every network of the ladder gets (only the number of steps changes)."""

    batch: int = 8
    crop: int = 32
    lr: float = 1e-3
    pool: int = 4096
    ckpt_every: int = 250


#: (preset, tasks, methods, seeds, rungs, U-Net normalisation): every chain of the ladder
LADDER = (
    ("tiny", ("derain", "inpaint"), ("regression", "rdbm", "goub"), (0, 1, 2), (250, 1000, 4000, 16000), "group"),
    ("tiny", ("derain", "inpaint"), ("regression", "rdbm", "goub"), (3, 4), (250, 1000, 4000), "group"),
    ("small", ("derain",), ("regression", "rdbm", "goub"), (0, 1, 2), (250, 1000, 4000), "group"),
    ("tiny", ("derain", "inpaint"), ("rdbm",), (0, 1, 2, 3, 4), (250, 1000, 4000), "pixel"),
)


@dataclass(frozen=True)
class Chain:
    """One training run of the ladder, taken rung by rung: its task, method, U-Net preset, seed, the iteration
    counts at which its weights are exported, and the U-Net's normalisation."""

    task: str
    method: str
    preset: str
    seed: int
    rungs: tuple[int, ...]
    norm: str = "group"

    @property
    def norm_suffix(self) -> str:
        """``""`` for GroupNorm, ``"-pixel"`` for the pixel norm: how names tell the two apart."""
        return "" if self.norm == "group" else f"-{self.norm}"

    @property
    def name(self) -> str:
        """The chain's folder under ``--runs``: ``task_method_preset[-norm]_sSEED``."""
        return f"{self.task}_{self.method}_{self.preset}{self.norm_suffix}_s{self.seed}"


def chains() -> list[Chain]:
    """Every chain of :data:`LADDER`, in a fixed order."""
    return [Chain(task, method, preset, seed, rungs, norm) for preset, tasks, methods, seeds, rungs, norm in LADDER
            for task in tasks for method in methods for seed in seeds]


#: the rungs after which the small U-Net's chains are trained: the tiny chains reach it first
SMALL_AFTER = 4000


def schedule(all_chains: list[Chain]) -> list[tuple[Chain, int]]:
    """(chain, rung) in the order they are trained: every tiny chain to rung 1, then to rung 2, ... up to
    :data:`SMALL_AFTER` iterations; then the small chains' rungs (each about 10 times as slow per iteration); then
    the rungs past :data:`SMALL_AFTER`. Within each part every chain reaches rung ``r`` before any trains past it,
    and at each rung the first :data:`~rdbm_core.evidence.stats.MIN_SEEDS` seeds of deraining come first (the
    normalisation decision and the first verdicts need them), then those of inpainting, then the other seeds."""
    jobs = [(c, r) for c in all_chains for r in c.rungs]
    order = {c.name: k for k, c in enumerate(all_chains)}
    return sorted(jobs, key=lambda job: (job[1] > SMALL_AFTER, job[0].preset != "tiny", job[1],
                                         job[0].seed >= MIN_SEEDS, job[0].task != "derain", order[job[0].name]))


def train_rung(chain: Chain, steps: int, runs: Path, ladder: LadderConfig, folder: str | None = None) -> dict:
    """Train (or resume) ``chain`` to ``steps`` in ``runs/<folder>`` (default: the chain's name) and export its EMA
    weights; return its networks.csv row."""
    budget = Budget(steps=steps, batch=ladder.batch, crop=ladder.crop, preset=chain.preset, lr=ladder.lr,
                    pool=ladder.pool, device="cpu")
    config = method_config(chain.task, chain.method, chain.seed, budget, str(runs / (folder or chain.name)))
    config = replace(config, ckpt_every=ladder.ckpt_every, unet_norm=chain.norm)
    result, weights = train_to(config, steps)
    return {"task": chain.task, "method": chain.method, "preset": chain.preset, "norm": chain.norm,
            "seed": chain.seed, "steps": steps, **network_record(result, weights, runs)}


def cmd_train(args) -> int:
    """``train``: every rung of this shard's chains not yet in networks.csv, cheapest rungs first."""
    ladder = LadderConfig()
    runs = Path(args.runs)
    index, count = parse_shard(args.shard)
    done = {(r["task"], r["method"], r["preset"], r.get("norm") or "group", int(r["seed"]), int(r["steps"]))
            for r in read_rows(NETWORKS_CSV)}
    mine = [c for k, c in enumerate(chains()) if k % count == index]  # a chain is trained by one shard only
    jobs = schedule(mine)
    todo = [(c, r) for c, r in jobs if (c.task, c.method, c.preset, c.norm, c.seed, r) not in done]
    print(f"budget ladder, shard {args.shard}: {len(jobs) - len(todo)} of {len(jobs)} rungs done, "
          f"{len(todo)} to train", flush=True)
    t0 = time.perf_counter()
    for k, (chain, steps) in enumerate(todo, 1):
        row = train_rung(chain, steps, runs, ladder)
        append_rows(NETWORKS_CSV, [row], NETWORK_COLUMNS)
        print(f"[{k}/{len(todo)}] {chain.name} at {steps} steps: loss {row['loss_last_50']:.4f}, "
              f"chain wall {row['train_wall_s']:.0f} s", flush=True)
        # after every rung, so that a run stopped at any point leaves its provenance
        write_provenance(FOLDER, {"study": "budget_ladder", "phase": "train", "ladder": asdict(ladder),
                                  "chains": [list(map(str, spec)) for spec in LADDER],
                                  **provenance(wall_s=time.perf_counter() - t0)},
                         name=f"provenance_train_shard{index}of{count}.json")
    return 0


def method_label(row: dict, sampling: str | None) -> str:
    """The ``method`` of an evaluation row: network (method, preset, norm, steps) and sampling."""
    norm = row.get("norm") or "group"
    base = f"{row['method']}-{row['preset']}{'' if norm == 'group' else '-' + norm}-{row['steps']}"
    return base if sampling is None else f"{base}-{sampling}"


def evaluation_order(job: tuple[dict, str | None]) -> tuple:
    """The order (network, sampling) jobs are evaluated in: the deterministic sampling (and the regression pass)
    before the draws (each costs several deterministic runs); among the draws, the GroupNorm networks' (the
    ladder's question) before the pixel norm's (whose decision rests on the deterministic sampling); the first
    :data:`~rdbm_core.evidence.stats.MIN_SEEDS` seeds before the others; then the cheapest rung first, the tiny U-Net
    before the small one, and GroupNorm before the pixel norm. So the ladder's trend on both axes, and the
    normalisation decision at 4000 iterations, carry verdicts as early as they can."""
    row, sampling = job
    pixel = (row.get("norm") or "group") != "group"
    return (sampling == "eta1", sampling == "eta1" and pixel, int(row["seed"]) >= MIN_SEEDS, int(row["steps"]),
            row["preset"] != "tiny", pixel)


#: the largest per-item PSNR difference (dB) a rebuilt network may show against its recorded deterministic rows
REBUILD_PSNR_TOLERANCE = 0.01


def rebuild(row: dict, runs: Path, ladder: LadderConfig) -> Path:
    """Retrain the network of networks.csv ``row`` whose weights file is not in ``runs`` and return that file.

    Its chain is trained from scratch in ``<runs>/<chain>.rebuild/`` through every recorded rung up to ``row``'s
    (so a lower rung lost too is rebuilt on the way, and the checkpoint of a chain still training in
    ``<runs>/<chain>/`` is left alone); each rung's weights whose file is missing move to ``<runs>/<chain>/``,
    beside a ``.rebuilt.json`` that records the rebuilt file's SHA-256 (the file's metadata names another folder,
    so it cannot be the recorded one). Training is deterministic (batches drawn from the seed and the iteration),
    so each rebuilt rung must reproduce its recorded ``loss_last_50``; if not (another machine class, other code),
    one clear error stops the job and nothing is moved (:func:`~experiments.networks.vouch_rebuilt`)."""
    chain = next(c for c in chains() if (c.task, c.method, c.preset, c.norm, c.seed)
                 == (row["task"], row["method"], row["preset"], row.get("norm") or "group", int(row["seed"])))
    records = {int(r["steps"]): r for r in read_rows(NETWORKS_CSV)
               if (r["task"], r["method"], r["preset"], r.get("norm") or "group", int(r["seed"]))
               == (chain.task, chain.method, chain.preset, chain.norm, chain.seed)}
    scratch = runs / f"{chain.name}.rebuild"
    for steps in (r for r in chain.rungs if r <= int(row["steps"]) and r in records):
        target = runs / records[steps]["weights"]
        if target.is_file():
            continue
        made = train_rung(chain, steps, scratch.parent, ladder, folder=scratch.name)
        vouch_rebuilt(scratch / Path(made["weights"]).name, records[steps], made)
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in (".safetensors", ".rebuilt.json"):
            (scratch / Path(made["weights"]).name).with_suffix(suffix).replace(target.with_suffix(suffix))
        print(f"rebuilt {chain.name} at {steps} steps: loss {made['loss_last_50']} as recorded "
              f"({made['train_wall_s']:.0f} s)", flush=True)
    return runs / row["weights"]


def check_rebuilt_restorations(row: dict, weights: Path) -> None:
    """For a rebuilt network whose deterministic restorations (a bridge's eta0, the regression pass) are in
    items.csv: restore the benchmark again and stop with one clear error if any item's PSNR differs by more than :data:`REBUILD_PSNR_TOLERANCE`."""
    sampling = None if row["method"] == "regression" else "eta0"
    label = method_label(row, sampling)
    recorded = {r["item"]: float(r["psnr"]) for r in read_rows(ITEMS_CSV)
                if (r["task"], r["method"], r["seed"]) == (row["task"], label, str(row["seed"]))}
    if not recorded:
        return
    items, _, _ = evaluate_weights(weights, row["task"], int(row["seed"]), label, sampling)
    worst = max(abs(float(r["psnr"]) - recorded[str(r["item"])]) for r in items)
    if len(items) != len(recorded) or worst > REBUILD_PSNR_TOLERANCE:
        raise SystemExit(f"{weights}: the rebuilt network's {label} restorations differ from the recorded ones by up "
                         f"to {worst:.4f} dB; not evaluated")
    print(f"{weights.parent.name}/{weights.name}: rebuilt network reproduces its {len(items)} recorded {label} "
          f"restorations (largest PSNR difference {worst:.2e} dB)", flush=True)


def evaluations_done() -> set[tuple[str, str, str]]:
    """(task, method, seed) of every evaluation in sets.csv."""
    return {(r["task"], r["method"], r["seed"]) for r in read_rows(SETS_CSV)}


def cmd_evaluate(args) -> int:
    """``evaluate``: every (network, sampling) of networks.csv not yet in sets.csv whose weights are in ``--runs``
    (only those of ``--steps`` and ``--method`` when given), in :func:`evaluation_order`.  Each job is skipped if
    sets.csv has it by the time it comes up, and its rows are not written if sets.csv has it by the time it ends, so
    two processes can share the work without writing a job twice."""
    from rdbm_core.evidence.perceptual import weights_path
    weights_path()  # one clear line without the perceptual extra, before any work
    runs = Path(args.runs)
    networks = [r for r in read_rows(NETWORKS_CSV) if (args.steps is None or int(r["steps"]) == args.steps)
                and (args.method is None or r["method"] == args.method)]
    done = evaluations_done()
    jobs = sorted(((r, sampling) for r in networks
                   for sampling in ((None,) if r["method"] == "regression" else LADDER_SAMPLINGS)
                   if (r["task"], method_label(r, sampling), r["seed"]) not in done), key=evaluation_order)
    missing = [r["weights"] for r, _ in jobs if not (runs / r["weights"]).is_file()]
    print(f"budget ladder evaluation: {len(networks)} networks, {len(jobs)} (network, sampling) to evaluate"
          + (f"; {len(set(missing))} weights files not in {runs} ({'rebuilt' if args.rebuild else 'skipped'})"
             if missing else ""), flush=True)
    checked = set()  # rebuilt networks whose deterministic restorations were compared with the recorded ones
    rebuilt = []  # the rebuilt networks this process evaluated (their .rebuilt.json says how they were checked)
    t0 = time.perf_counter()
    evaluated = []
    for k, (row, sampling) in enumerate(jobs, 1):
        weights = runs / row["weights"]
        if (row["task"], method_label(row, sampling), row["seed"]) in evaluations_done():
            continue
        if not weights.is_file() and args.rebuild:
            rebuild(row, runs, LadderConfig())
        if not weights.is_file():
            continue
        if not weights_match(row, weights):
            raise SystemExit(f"{weights}: its SHA-256 differs from networks.csv's; retrain that chain")
        if file_sha256(weights) != row["sha256"] and weights not in checked:
            check_rebuilt_restorations(row, weights)
            checked.add(weights)
            rebuilt.append(row["weights"])
        items, sets, _ = evaluate_weights(weights, row["task"], int(row["seed"]), method_label(row, sampling), sampling)
        if (row["task"], method_label(row, sampling), row["seed"]) in evaluations_done():  # another process was faster
            continue
        append_rows(ITEMS_CSV, items, ITEM_COLUMNS)
        append_rows(SETS_CSV, [sets], SET_COLUMNS)
        evaluated.append(weights)
        print(f"[{k}/{len(jobs)}] {sets['method']} seed {sets['seed']} ({row['task']}): "
              f"PSNR {np.mean([r['psnr'] for r in items]):.2f} dB, ST-LPIPS "
              f"{np.mean([r['lpips_st'] for r in items]):.4f}, SWD {sets['swd']:.4f} ({sets['wall_s']:.0f} s)",
              flush=True)
        write_provenance(FOLDER, {"study": "budget_ladder", "phase": "evaluate",  # after every evaluation
                                  "samplings": {k: asdict(SAMPLINGS[k]) for k in LADDER_SAMPLINGS},
                                  "rebuilt": rebuilt,
                                  **provenance(wall_s=time.perf_counter() - t0, networks=sorted(set(evaluated)))},
                         name="provenance_evaluate.json")
    return 0


GAP_COLUMNS = ("task", "preset", "steps", "a", "b", "metric", "mean", "low", "high", "t_low", "t_high", "p_value",
               "seeds", "photographs", "items", "scope", "verdict")


def cmd_analyse(args) -> int:
    """``analyse``: at every (task, preset, steps) evaluated, the paired gap of each bridge sampling (and the mean
    of its draws) to the regression network of the same budget, on PSNR, ST-LPIPS and SWD (``gaps.csv``); the
    pixel-norm RDBM against the GroupNorm one at the same budget (``norm.csv``); and the figure ``gaps.png``."""
    from .axes import AXES, MEAN_SUFFIX, gaps, set_gaps, with_mean_of_draws

    t0 = time.perf_counter()
    items = with_mean_of_draws(read_rows(ITEMS_CSV))
    sets = read_rows(SETS_CSV)
    evaluated = {(r["task"], r["method"]) for r in items}
    by_budget: dict[tuple, list[dict]] = {}
    for r in read_rows(NETWORKS_CSV):
        by_budget.setdefault((r["task"], r["preset"], int(r["steps"])), []).append(r)
    for name in ("gaps.csv", "norm.csv"):
        (FOLDER / name).unlink(missing_ok=True)
    summary = []
    for (task, preset, steps), nets in sorted(by_budget.items()):
        reference = f"regression-{preset}-{steps}"
        if (task, reference) not in evaluated:
            continue
        labels = []
        for method in ("rdbm", "goub"):
            row = {"method": method, "preset": preset, "steps": steps, "norm": "group"}
            labels += [method_label(row, "eta0"), method_label(row, "eta1"), method_label(row, "eta1") + MEAN_SUFFIX]
        labels = [m for m in labels if (task, m) in evaluated]
        extra, out = {"preset": preset, "steps": steps}, []
        for label in labels:  # each gap on the seeds its bridge and the regression network share
            rows = [r for r in items if r["task"] == task and r["method"] in (reference, label)]
            seeds = {r["seed"] for r in rows if r["method"] == label} & {r["seed"] for r in rows if r["method"] == reference}
            rows = [r for r in rows if r["seed"] in seeds]
            out += [{**extra, **g} for g in gaps(rows, task, [label], reference, AXES, args.draws)]
            out += [{**extra, **g} for g in set_gaps([x for x in sets if x["seed"] in seeds], task, [label], reference)]
        append_rows(FOLDER / "gaps.csv", out, GAP_COLUMNS)
        summary += out
        pixel = method_label({"method": "rdbm", "preset": preset, "steps": steps, "norm": "pixel"}, "eta0")
        group = method_label({"method": "rdbm", "preset": preset, "steps": steps, "norm": "group"}, "eta0")
        if (task, pixel) in evaluated and (task, group) in evaluated:
            both = [r for r in items if r["task"] == task and r["method"] in (pixel, group)]
            shared = {r["seed"] for r in both if r["method"] == pixel} & {r["seed"] for r in both if r["method"] == group}
            both = [r for r in both if r["seed"] in shared]
            append_rows(FOLDER / "norm.csv", [{**extra, **g} for g in gaps(both, task, [pixel], group, AXES, args.draws)],
                        GAP_COLUMNS)
    if summary:
        gap_figure(summary, FOLDER / "gaps.png")
    write_provenance(FOLDER, {"study": "budget_ladder", "phase": "analyse", "draws": args.draws,
                              **provenance(wall_s=time.perf_counter() - t0)}, name="provenance_analyse.json")
    print(f"{len(summary)} gaps to regression in {FOLDER / 'gaps.csv'}")
    return 0


def gap_figure(rows: list[dict], path: Path) -> None:
    """Gap to regression against training steps: one row of panels per task (PSNR, ST-LPIPS, SWD), one line per
    bridge sampling of the tiny U-Net (the small U-Net's gaps as open markers), the intervals as bars."""
    from matplotlib.figure import Figure

    tasks = sorted({r["task"] for r in rows})
    metrics = (("psnr", "PSNR gap (dB)\n> 0: bridge better"), ("lpips_st", "ST-LPIPS gap\n< 0: bridge better"),
               ("swd", "SWD gap\n< 0: bridge better"))
    fig = Figure(figsize=(13, 3.6 * len(tasks)), layout="constrained")
    axes = fig.subplots(len(tasks), 3, squeeze=False)
    short = {r["a"]: r["a"].replace(f"-{r['preset']}-{r['steps']}", "") for r in rows}
    everyone = sorted(set(short.values()))  # one colour per bridge sampling in every panel
    rungs = sorted({int(r["steps"]) for r in rows})
    for t, task in enumerate(tasks):
        for c, (metric, ylabel) in enumerate(metrics):
            ax = axes[t, c]
            mine = [r for r in rows if r["task"] == task and r["metric"] == metric]
            for k, label in enumerate(everyone):
                for preset, fill in (("tiny", True), ("small", False)):
                    pts = sorted((r["steps"], r["mean"], r["low"], r["high"]) for r in mine if r["preset"] == preset
                                 and short[r["a"]] == label)
                    if not pts:
                        continue
                    x, y, lo, hi = (np.array(v, dtype=float) for v in zip(*pts))
                    yerr = np.where(np.isfinite(lo), [y - lo, hi - y], 0)
                    ax.errorbar(x * 1.03 ** (k - len(everyone) / 2), y, yerr=yerr, color=f"C{k}", marker="o", capsize=2,
                                mfc=None if fill else "white", ls="-" if fill else "",
                                label=f"{label}" if fill else f"{label} (small U-Net)")
            ax.axhline(0, color="0.3", lw=0.8)
            ax.set_xscale("log")
            ax.set_xticks(rungs, [str(r) for r in rungs])
            ax.minorticks_off()
            ax.set_xlabel("training iterations")
            ax.set_ylabel(ylabel)
            ax.set_title(f"{task}: {metric} of bridge - regression", fontsize=10)
            ax.grid(alpha=0.3)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, fontsize=8, loc="outside right center", frameon=False)
    fig.suptitle("Budget ladder: the bridges' gap to regression (95 % intervals; SWD: t over seeds)", fontsize=11)
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    """The study's command line (``train`` and ``evaluate``); returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m experiments budget_ladder", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("train", help="train every rung of every chain (resumable)")
    q.add_argument("--runs", default="runs/budget_ladder", help="folder of the chains' checkpoints and weights")
    q.add_argument("--shard", default="0/1", help="I/N: train every N-th chain, from the I-th")
    q.set_defaults(func=cmd_train)
    q = sub.add_parser("evaluate", help="evaluate every trained rung on benchmark v2 (resumable)")
    q.add_argument("--runs", default="runs/budget_ladder", help="folder of the chains' weights")
    q.add_argument("--steps", type=int, help="only the networks of this rung")
    q.add_argument("--method", help="only the networks of this method (regression, rdbm, goub)")
    q.add_argument("--rebuild", action="store_true",
                   help="retrain networks whose weights are not in --runs (checked against their records)")
    q.set_defaults(func=cmd_evaluate)
    q = sub.add_parser("analyse", help="gaps to regression at every budget evaluated (gaps.csv, norm.csv, gaps.png)")
    q.add_argument("--draws", type=int, default=10_000, help="bootstrap draws per interval")
    q.set_defaults(func=cmd_analyse)
    args = p.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    return args.func(args)
