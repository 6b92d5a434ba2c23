"""The modulation study on benchmark v2, on both axes: does RDBM's residual-modulated noise beat global noise?

    OMP_NUM_THREADS=1 python -m experiments modulation_study run --runs DIR [--reuse DIR] [--shard 0/2]
    python -m experiments modulation_study analyse [--draws N]

The grid (:class:`ModulationStudyConfig`): RDBM's bridge (reference schedule) with ``lam`` in
``(0, 1e-4, 1e-3, 1e-2, 0.1)``, trained with residual-modulated noise (``mod``, RDBM) and with global noise
(``glob``); ``lam = 0`` is the deterministic interpolant, whose noise factor does not enter, trained once
(``lam0``, noise ``none``); plus the one-pass regression network. Tasks deraining, inpainting and low light,
training seeds 0-4, the CPU budget of :class:`experiments.bridge_comparison.StudyConfig` (the tiny U-Net, 250
iterations of batch 8 on 32x32 crops). Every bridge restores version 2 of the held-out benchmark with three
samplings of 10 network evaluations each (:data:`experiments.networks.SAMPLINGS`): ``eta0`` (implicit,
``eta = 0``), ``eta1x1`` (implicit, ``eta = 1``, one draw) and ``em10`` (Euler-Maruyama, 10 steps); every item is
measured by PSNR, SSIM and ST-LPIPS, every set by the sliced Wasserstein distance (SWD).

Networks the bridge comparison already trained are reused, not trained again (:func:`reusable`): RDBM
(modulated, ``lam = 1e-4``), RDBM with global noise (``lam = 1e-4``) and regression, when the weights file named
by its ``networks.csv`` under ``--reuse`` has the SHA-256 recorded there and its stored config trains what this
study would train (:func:`same_training`, field by field); the file is copied into ``--runs``.

Results in the ``modulation_study`` folder of :data:`experiments.RESULTS`: ``networks.csv`` (one row per
network: its weights, their hash, where they came from), ``items.csv`` (one row per network, sampling and item;
``method`` is :func:`label`: ``mod-1e-2-eta0``, ``glob-1e-1-em10``, ``lam0-eta0``, ``regression``, or ``input``
for the degraded inputs, so ``python -m rdbm_core compare`` pairs them by seed and item), ``sets.csv`` (SWD per
network and sampling) and a provenance record per shard. Resumable; the deterministic sampling of every network
runs first, seed by seed, then the stochastic samplings (:func:`runs_of`).

``analyse`` writes ``gaps.csv`` (:func:`analyse`: modulated - global and each - regression per task, lam and
sampling, on PSNR, ST-LPIPS and SWD), ``gaps.png`` (:func:`figure`) and ``counts.csv`` (:func:`counts`: how many
modulated - global comparisons are established, by their own intervals and after Holm's adjustment).
"""
from __future__ import annotations

import argparse
import os
import shutil
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import torch

from rdbm_core.comparison import Budget, method_config
from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.evidence.stats import DRAWS, LEVEL, holm
from rdbm_core.networks.checkpoints import load_weights
from rdbm_core.networks.config import TrainConfig, make_path

from . import RESULTS
from .axes import AXES, gaps, set_gaps
from .bridge_comparison import NETWORKS_CSV as BRIDGE_NETWORKS_CSV
from .bridge_comparison import StudyConfig
from .networks import (ITEM_COLUMNS, SAMPLINGS, SET_COLUMNS, evaluate_weights, network_record, parse_shard,
                       train_to, vouch_rebuilt, weights_match)
from .provenance import file_sha256, provenance, write_provenance

FOLDER = RESULTS / "modulation_study"
NETWORKS_CSV = FOLDER / "networks.csv"
ITEMS_CSV = FOLDER / "items.csv"
SETS_CSV = FOLDER / "sets.csv"
NETWORK_COLUMNS = ("task", "network", "lam", "noise", "seed", "steps", "weights", "sha256", "train_wall_s",
                   "loss_last_50", "source")
GAP_COLUMNS = ("task", "lam", "sampler", "comparison", "a", "b", "metric", "mean", "low", "high", "t_low",
               "t_high", "p_value", "seeds", "photographs", "items", "scope", "verdict")
COUNT_COLUMNS = ("family", "metric", "comparisons", "with_verdict", "established", "holm", "mod_better",
                 "glob_better")
REGRESSION = "regression"
#: a network of one (task, seed): ``(lam, noise)``; ``(0.0, None)`` the interpolant, ``(None, None)`` regression
Network = tuple
#: the bridge comparison's method that trains the same network, by ``(lam, noise)``
REUSED_METHODS = {(1e-4, "modulated"): "rdbm", (1e-4, "global"): "rdbm-global", (None, None): "regression"}
#: config fields that do not change the trained weights (``lam`` and ``noise`` are compared through the bridge
#: they make, :func:`same_training`)
RUN_ONLY = ("out", "ckpt_every", "device")
_BUDGET = StudyConfig()


@dataclass(frozen=True)
class ModulationStudyConfig:
    """The study's grid and the budget every network gets (that of the bridge comparison's
    :class:`~experiments.bridge_comparison.StudyConfig`). ``samplings``: keys of
    :data:`experiments.networks.SAMPLINGS`, the deterministic one first (it runs first, see :func:`runs_of`)."""

    tasks: tuple[str, ...] = ("derain", "inpaint", "lowlight")
    lams: tuple[float, ...] = (0.0, 1e-4, 1e-3, 1e-2, 0.1)
    noises: tuple[str, ...] = ("modulated", "global")
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    samplings: tuple[str, ...] = ("eta0", "eta1x1", "em10")
    regression: bool = True
    preset: str = _BUDGET.preset
    steps: int = _BUDGET.steps
    batch: int = _BUDGET.batch
    crop: int = _BUDGET.crop
    lr: float = _BUDGET.lr
    pool: int = _BUDGET.pool


def lam_label(lam: float) -> str:
    """``lam`` as it appears in a label: ``"0"``, ``"1e-4"`` (0.0001), ``"1e-1"`` (0.1)."""
    return "0" if lam == 0 else f"{lam:.0e}".replace("e-0", "e-").replace("e+0", "e")


def network_name(net: Network) -> str:
    """The name of network ``(lam, noise)``: ``mod-1e-2``, ``glob-1e-4``, ``lam0`` (the interpolant) or
    ``regression``."""
    lam, noise = net
    if lam is None:
        return REGRESSION
    if lam == 0:
        return "lam0"
    return f"{'mod' if noise == 'modulated' else 'glob'}-{lam_label(lam)}"


def label(net: Network, sampling: str | None) -> str:
    """The ``method`` of a result row: the network's name and its sampling (``mod-1e-2-eta0``); ``regression``
    for the regression pass (``sampling`` ``None``)."""
    return network_name(net) if sampling is None else f"{network_name(net)}-{sampling}"


def networks_of(study: ModulationStudyConfig) -> list[Network]:
    """The networks of one (task, seed), in the order they run: per lam the interpolant (lam 0) or one network
    per noise, then regression."""
    out = []
    for lam in study.lams:
        out += [(0.0, None)] if lam == 0 else [(float(lam), noise) for noise in study.noises]
    return out + ([(None, None)] if study.regression else [])


def samplings_of(study: ModulationStudyConfig, net: Network) -> tuple[str | None, ...]:
    """The samplings of network ``net`` (``(None,)``: the regression pass)."""
    return (None,) if net[0] is None else tuple(study.samplings)


def runs_of(study: ModulationStudyConfig) -> list[tuple[tuple[str | None, ...], int, str, Network]]:
    """``(samplings, seed, task, network)`` of every evaluation job, in the order they run: first every network
    with its first sampling (``eta0``, or the regression pass), seed by seed, then the other samplings of every
    bridge, seed by seed; so the deterministic grid over every seed is complete first."""
    order = [(seed, task, net) for seed in study.seeds for task in study.tasks for net in networks_of(study)]
    return ([(samplings_of(study, n)[:1], seed, task, n) for seed, task, n in order]
            + [(samplings_of(study, n)[1:], seed, task, n) for seed, task, n in order
               if len(samplings_of(study, n)) > 1])


def shard_of(study: ModulationStudyConfig, count: int) -> dict[tuple[int, str, Network], int]:
    """The shard (of ``count``) of every (seed, task, network): every ``count``-th network of the run order, so
    that all samplings of a network run in one process (never two processes training one network)."""
    order = [(seed, task, net) for seed in study.seeds for task in study.tasks for net in networks_of(study)]
    return {key: k % count for k, key in enumerate(order)}


def budget_of(study: ModulationStudyConfig) -> Budget:
    """The :class:`~rdbm_core.comparison.Budget` of every network of ``study`` (on the CPU)."""
    return Budget(steps=study.steps, batch=study.batch, crop=study.crop, preset=study.preset, lr=study.lr,
                  pool=study.pool, device="cpu")


def train_config(study: ModulationStudyConfig, task: str, net: Network, seed: int, out) -> TrainConfig:
    """The training config of network ``net``: the bridge comparison's config of RDBM (or regression) with
    ``lam`` and ``noise`` set, so every other field is the one the bridge comparison trains with."""
    lam, noise = net
    if lam is None:
        return replace(method_config(task, REGRESSION, seed, budget_of(study), str(out)), ckpt_every=0)
    return replace(method_config(task, "rdbm", seed, budget_of(study), str(out)), lam=float(lam), noise=noise,
                   ckpt_every=0)


def same_training(stored: dict, config: TrainConfig) -> bool:
    """True when a stored config (a dict, as in a weights file) trains what ``config`` trains: every field
    equal but :data:`RUN_ONLY`, and ``lam`` and ``noise`` compared through the bridge they make (RDBM's default
    ``lam = 1e-4`` with modulated noise equals an explicit ``lam = 1e-4``, ``noise = "modulated"``; at ``lam = 0``
    the noise factor does not enter)."""
    other = TrainConfig.from_dict(stored)
    if any(getattr(other, f.name) != getattr(config, f.name) for f in fields(TrainConfig)
           if f.name not in (*RUN_ONLY, "lam", "noise")):
        return False
    pa, pb = make_path(other), make_path(config)
    if pa is None or pb is None:
        return pa is None and pb is None
    return pa.lam == pb.lam and (pa.lam == 0 or pa.noise == pb.noise)


def reusable(study: ModulationStudyConfig, task: str, net: Network, seed: int, reuse: Path | None,
             source_csv: Path) -> tuple[Path, dict] | None:
    """The bridge comparison's network that is ``net`` of (``task``, ``seed``), or ``None``: its row of
    ``source_csv`` (method :data:`REUSED_METHODS`), its weights file under ``reuse`` with the recorded SHA-256,
    trained to ``study.steps`` by a config that :func:`same_training` accepts. Returns ``(weights, row)``."""
    method = REUSED_METHODS.get(net)
    if reuse is None or method is None:
        return None
    rows = [r for r in read_rows(source_csv)
            if (r["task"], r["method"], int(r["seed"])) == (task, method, seed) and int(r["steps"]) == study.steps]
    if not rows:
        return None
    row = rows[-1]
    weights = Path(reuse) / row["weights"]
    if not weights.is_file() or not weights_match(row, weights):
        return None
    _, meta = load_weights(weights)
    if meta["step"] != study.steps or not same_training(meta["config"], train_config(study, task, net, seed, "x")):
        return None
    return weights, row


def obtain(study: ModulationStudyConfig, task: str, net: Network, seed: int, runs: Path, reuse: Path | None,
           source_csv: Path) -> dict:
    """The :data:`NETWORK_COLUMNS` row of a network not yet in the results: the bridge comparison's weights
    copied into ``runs`` (:func:`reusable`; ``source`` names them), or trained now (``source`` ``trained``)."""
    name = network_name(net)
    out = runs / f"{task}_{name}_s{seed}"
    head = {"task": task, "network": name, "lam": "" if net[0] is None else lam_label(net[0]),
            "noise": "" if net[0] is None else "none" if net[0] == 0 else net[1], "seed": seed, "steps": study.steps}
    found = reusable(study, task, net, seed, reuse, source_csv)
    if found is not None:
        source, row = found
        weights = out / f"steps_{study.steps}.safetensors"
        weights.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, weights)
        sha = file_sha256(weights)
        if sha != file_sha256(source):
            raise RuntimeError(f"{weights}: the copy of {source} has another hash")
        return {**head, "weights": str(weights.relative_to(runs)), "sha256": sha,
                "train_wall_s": row["train_wall_s"], "loss_last_50": row["loss_last_50"],
                "source": f"bridge_comparison:{row['weights']}"}
    result, weights = train_to(train_config(study, task, net, seed, out), study.steps)
    return {**head, **network_record(result, weights, runs), "source": "trained"}


def run(study: ModulationStudyConfig, runs: Path, shard: tuple[int, int] = (0, 1), reuse: Path | None = None,
        source_csv: Path | None = None) -> int:
    """Train (or reuse) and evaluate every network of ``study`` not yet in the results, those of shard
    ``(i, n)`` (:func:`shard_of`); ``reuse``: the bridge comparison's runs folder (``None``: reuse nothing),
    ``source_csv``: its networks CSV (default its results'). Rows are appended as they are made; the provenance
    is written after every network. Returns how many (network, sampling) evaluations were made."""
    source_csv = BRIDGE_NETWORKS_CSV if source_csv is None else source_csv
    done_sets = {(r["task"], r["method"], int(r["seed"])) for r in read_rows(SETS_CSV)}
    done_inputs = {(r["task"], int(r["seed"])) for r in read_rows(ITEMS_CSV) if r["method"] == "input" and r["item"] == "0"}
    shards = shard_of(study, shard[1])
    mine = [job for job in runs_of(study) if shards[(job[1], job[2], job[3])] == shard[0]]
    made, t0, used = 0, time.perf_counter(), []

    def record():  # after every network: a run stopped at any point leaves its provenance
        write_provenance(FOLDER, {"study": "modulation_study", "config": asdict(study),
                                  "samplings": {k: asdict(SAMPLINGS[k]) for k in study.samplings},
                                  "reuse": None if reuse is None else Path(reuse).name,
                                  **provenance(wall_s=time.perf_counter() - t0, networks=used)},
                         name=f"provenance_shard{shard[0]}of{shard[1]}.json")

    for k, (job_samplings, seed, task, net) in enumerate(mine, 1):
        todo = [s for s in job_samplings if (task, label(net, s), seed) not in done_sets]
        if not todo:
            continue
        name = network_name(net)
        rows = [r for r in read_rows(NETWORKS_CSV) if (r["task"], r["network"], int(r["seed"])) == (task, name, seed)]
        row = rows[-1] if rows else None
        if row is None or not (runs / row["weights"]).is_file() or not weights_match(row, runs / row["weights"]):
            made_row = obtain(study, task, net, seed, runs, reuse, source_csv)
            if row is None:
                append_rows(NETWORKS_CSV, [made_row], NETWORK_COLUMNS)
                row = made_row
            else:  # a recorded network whose weights were lost (or changed): remade, it must be the recorded one
                vouch_rebuilt(runs / made_row["weights"], row, made_row)
            print(f"[{k}/{len(mine)}] {task} {name} seed {seed}: {made_row['source']}"
                  + ("" if row is made_row else ", the recorded network (its loss reproduced)"), flush=True)
        weights = runs / row["weights"]
        used.append(weights)
        for sampling in todo:
            method = label(net, sampling)
            items, sets, inputs = evaluate_weights(weights, task, seed, method, sampling)
            if (task, seed) not in done_inputs:  # the degraded inputs, once per task and seed
                append_rows(ITEMS_CSV, inputs, ITEM_COLUMNS)
                done_inputs.add((task, seed))
            append_rows(ITEMS_CSV, items, ITEM_COLUMNS)
            append_rows(SETS_CSV, [sets], SET_COLUMNS)
            done_sets.add((task, method, seed))
            made += 1
            print(f"[{k}/{len(mine)}] {task} {method} seed {seed}: PSNR {np.mean([r['psnr'] for r in items]):.2f} dB,"
                  f" ST-LPIPS {np.mean([r['lpips_st'] for r in items]):.4f}, SWD {sets['swd']:.2f}"
                  f" ({sets['wall_s']:.0f} s)", flush=True)
        record()
    return made


def comparisons(study: ModulationStudyConfig) -> list[tuple[str, str, str, str, str]]:
    """``(lam, sampler, comparison, a, b)`` of every gap :func:`analyse` measures (``a - b``): per lam > 0 and
    sampling, modulated - global (``mod-glob``), modulated - regression and global - regression; per sampling,
    the interpolant - regression."""
    out = []
    for lam in study.lams:
        for s in study.samplings:
            if lam == 0:
                if study.regression:
                    out.append(("0", s, "lam0-regression", label((0.0, None), s), REGRESSION))
                continue
            mod, glob = label((float(lam), "modulated"), s), label((float(lam), "global"), s)
            out.append((lam_label(lam), s, "mod-glob", mod, glob))
            if study.regression:
                out += [(lam_label(lam), s, "mod-regression", mod, REGRESSION),
                        (lam_label(lam), s, "glob-regression", glob, REGRESSION)]
    return out


def counts(gap_rows: list[dict], alpha: float = 1 - LEVEL) -> list[dict]:
    """The family-wise counts of the modulated - global comparisons of ``gap_rows``: per metric and for the
    family of PSNR and ST-LPIPS together, how many comparisons, how many carry a verdict, how many are
    established by their own interval, by modulated and by global, and how many after Holm's adjustment
    (:func:`rdbm_core.evidence.stats.holm` over the bootstrap p-values of the whole PSNR and ST-LPIPS family; a
    comparison without a verdict is never established). SWD gaps carry no p-value: their Holm count is empty."""
    family = [r for r in gap_rows if r["comparison"] == "mod-glob"]
    has = [not str(r["verdict"]).startswith("no ") for r in family]
    item_level = [k for k, r in enumerate(family) if r["metric"] in AXES]
    p = np.array([float(family[k]["p_value"]) if has[k] else 1.0 for k in item_level])
    rejected = dict(zip(item_level, holm(p, alpha) if len(p) else []))
    out = []
    for name, metrics in (*((m, (m,)) for m in (*AXES, "swd")), ("psnr+lpips_st", AXES)):
        ks = [k for k, r in enumerate(family) if r["metric"] in metrics]
        verdicts = [family[k]["verdict"] for k in ks]
        established = [k for k in ks if has[k] and str(family[k]["verdict"]).endswith(" better")]
        out.append({"family": "mod-glob", "metric": name, "comparisons": len(ks), "with_verdict": sum(has[k] for k in ks),
                    "established": len(established),
                    "holm": "" if name == "swd" else sum(bool(rejected[k]) and has[k] for k in ks),
                    "mod_better": sum(v.startswith("mod-") for v in verdicts),
                    "glob_better": sum(v.startswith("glob-") for v in verdicts)})
    return out


def figure(gap_rows: list[dict], path) -> None:
    """``gaps.png``: one row of panels per task (PSNR, ST-LPIPS, SWD), the gap modulated - global against lam
    (log axis), one line per sampling with its interval as bars, a dashed line at no difference."""
    from matplotlib.figure import Figure

    rows = [r for r in gap_rows if r["comparison"] == "mod-glob"]
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    metrics = (("psnr", "PSNR gap (dB)\nhigher: modulated better"),
               ("lpips_st", "ST-LPIPS gap\nlower: modulated better"), ("swd", "SWD gap\nlower: modulated better"))
    fig = Figure(figsize=(13, 3.4 * max(len(tasks), 1)), layout="constrained")
    axes = fig.subplots(max(len(tasks), 1), 3, squeeze=False)
    samplers = list(dict.fromkeys(r["sampler"] for r in rows))
    for i, task in enumerate(tasks):
        for j, (metric, ylabel) in enumerate(metrics):
            ax = axes[i][j]
            for n, s in enumerate(samplers):
                pts = sorted((float(r["lam"]), float(r["mean"]), float(r["low"]), float(r["high"])) for r in rows
                             if r["task"] == task and r["metric"] == metric and r["sampler"] == s)
                if not pts:
                    continue
                x = np.array([p[0] for p in pts]) * 1.12 ** (n - (len(samplers) - 1) / 2)  # side by side
                y, low, high = (np.array([p[k] for p in pts]) for k in (1, 2, 3))
                err = np.nan_to_num(np.stack([y - low, high - y]), nan=0.0)
                ax.errorbar(x, y, yerr=err, marker="o", capsize=3, lw=1.2, color=f"C{n}", label=s)
            ax.axhline(0, color="0.4", ls="--", lw=0.8)
            ax.set_xscale("log")
            ax.set_xlabel("lam (noise variance scale, log axis)")
            ax.set_ylabel(ylabel)
            ax.set_title(f"{task}: modulated - global, {metric}", fontsize=10)
            ax.grid(alpha=0.3)
            if ax.has_data():
                ax.legend(title="sampling", fontsize=8, title_fontsize=8)
    fig.suptitle(f"Paired gaps modulated - global noise; bars: {LEVEL * 100:g} % intervals (PSNR, ST-LPIPS: "
                 "hierarchical over seeds, photographs, windows; SWD: t over seeds)", fontsize=10)
    fig.savefig(path, dpi=100)


def analyse(study: ModulationStudyConfig | None = None, draws: int = DRAWS) -> dict:
    """Write ``gaps.csv``, ``gaps.png``, ``counts.csv`` and ``provenance.json`` from the study's items and sets
    as they stand (a comparison enters once both its methods have rows on a task; the gap pairs the seeds and
    items they share). Returns ``{"gaps": rows, "counts": rows, "read": {task: item rows read}}``."""
    study = ModulationStudyConfig() if study is None else study
    t0 = time.perf_counter()
    items, sets = read_rows(ITEMS_CSV), read_rows(SETS_CSV)
    present = {(r["task"], r["method"]) for r in items}
    out, read = [], {}
    for task in [t for t in study.tasks if any(r["task"] == t for r in items)]:
        rows = [r for r in items if r["task"] == task]
        read[task] = len(rows)
        for lam, sampler, comparison, a, b in comparisons(study):
            if (task, a) not in present or (task, b) not in present:
                continue
            head = {"lam": lam, "sampler": sampler, "comparison": comparison}
            out += [{**head, **g} for g in gaps(rows, task, [a], b, AXES, draws) + set_gaps(sets, task, [a], b)]
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name in ("gaps.csv", "counts.csv"):
        (FOLDER / name).unlink(missing_ok=True)
    append_rows(FOLDER / "gaps.csv", out, GAP_COLUMNS)
    count_rows = counts(out)
    append_rows(FOLDER / "counts.csv", count_rows, COUNT_COLUMNS)
    figure(out, FOLDER / "gaps.png")
    write_provenance(FOLDER, {"study": "modulation_study analyse", "config": asdict(study), "read": read,
                              "draws": draws, **provenance(wall_s=time.perf_counter() - t0)})
    return {"gaps": out, "counts": count_rows, "read": read}


def main(argv=None) -> int:
    """The study's command line (``run``, ``analyse``); returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m experiments modulation_study", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("run", help="train (or reuse) and evaluate every network not yet in the results (resumable)")
    q.add_argument("--runs", default="runs/modulation_study", help="folder of the networks' checkpoints and weights")
    q.add_argument("--reuse", default="runs/bridge_comparison",
                   help="the bridge comparison's --runs folder, whose matching networks are reused ('' : none)")
    q.add_argument("--shard", default="0/1", help="I/N: every N-th network, from the I-th")
    a = sub.add_parser("analyse", help="gaps.csv, gaps.png and counts.csv from the results as they stand")
    a.add_argument("--draws", type=int, default=DRAWS, help="bootstrap draws per interval")
    args = p.parse_args(argv)
    if args.command == "analyse":
        result = analyse(draws=args.draws)
        for r in result["counts"]:
            holm_words = "" if r["holm"] == "" else f", {r['holm']} after Holm"
            print(f"modulated - global, {r['metric']}: {r['established']} of {r['comparisons']} established "
                  f"({r['mod_better']} modulated better, {r['glob_better']} global better; "
                  f"{r['with_verdict']} with a verdict){holm_words}")
        print(f"{len(result['gaps'])} gaps in {FOLDER}")
        return 0
    index, count = parse_shard(args.shard)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    made = run(ModulationStudyConfig(), Path(args.runs), (index, count), Path(args.reuse) if args.reuse else None)
    print(f"modulation study, shard {args.shard}: {made} evaluations made")
    return 0
