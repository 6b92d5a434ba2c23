"""The bridge comparison on benchmark v2, on both axes: every method with one U-Net, budget, seeds and test items.

    OMP_NUM_THREADS=1 python -m experiments bridge_comparison run --runs DIR [--shard 0/2]
    python -m experiments bridge_comparison analyse [--draws 10000] [--stability 10]

Methods (:data:`rdbm_core.comparison.METHODS`): RDBM, RDBM with global noise, GOUB, BBDM, DDBM-VE, I2SB, IR-SDE
and the one-pass regression network, trained on deraining, inpainting and low light with training seeds 0-4
at the CPU budget of :class:`StudyConfig` (the tiny U-Net, 250 iterations of batch 8 on 32x32 crops). Every
network restores version 2 of the held-out benchmark (12 windows of each of 12 photographs) and every item is
measured on the distortion axis (PSNR, SSIM) and the perception axis (ST-LPIPS), every set by the sliced
Wasserstein distance. Samplings (:data:`experiments.networks.SAMPLINGS`): every bridge with ``eta0`` (implicit,
10 steps, the paper's sampler); the bridges of :data:`PLANE_METHODS` also with ``eta1x8`` (implicit ``eta = 1``,
10 steps, 8 draws: one draw and the mean of the draws) and ``em100`` (one Euler-Maruyama draw at 100 steps),
the points of the distortion-perception plane.

The analysis (:func:`analyse`) states every verdict of the comparison on both axes, per task: RDBM's deterministic
sampling (``rdbm-eta0``) against every other method's deterministic sampling and regression; every restoration
against ``regression`` and against the degraded ``input``; each on PSNR, SSIM, ST-LPIPS (per item: the paired
hierarchical interval over seeds, photographs and windows, :func:`rdbm_core.evidence.stats.paired_difference`,
10,000 draws or more) and SWD (per set: the t interval over the seeds, :func:`experiments.axes.set_gaps`), with
Holm and Benjamini-Hochberg counts per family (one reference, one metric). Every comparison uses the seeds that
every sampling of its kind has in full (:func:`entering`). The stochastic samplings (``eta1x8``, its mean of
draws, ``em100``) enter automatically once they have :data:`~rdbm_core.evidence.stats.MIN_SEEDS` seeds; until
then only the deterministic samplings do. Written to ``verdicts.csv``, ``counts.csv`` and
``provenance_analyse.json``.

Results in ``experiments/results/bridge_comparison/``: ``networks.csv`` (one row per trained network, with its
weights' hash), ``items.csv`` (one row per network, sampling and item; ``method`` is ``rdbm-eta0``,
``goub-em100``, ``regression``, or ``input`` for the degraded inputs), ``sets.csv`` (SWD per network and
sampling) and provenance records. Resumable: networks and (network, sampling) rows already present are skipped
(a recorded network whose weights are missing is retrained and must reproduce its record:
:func:`~experiments.networks.vouch_rebuilt`);
the deterministic grid runs first, seed by seed, then the plane samplings (:func:`runs_of`).
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from rdbm_core.comparison import METHODS, Budget, method_config
from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.evidence.stats import DRAWS, MIN_SEEDS

from . import RESULTS
from .networks import (ITEM_COLUMNS, SAMPLINGS, SET_COLUMNS, evaluate_weights, network_record, parse_shard,
                       train_to, vouch_rebuilt, weights_match)
from .provenance import provenance, write_provenance

FOLDER = RESULTS / "bridge_comparison"
NETWORKS_CSV = FOLDER / "networks.csv"
ITEMS_CSV = FOLDER / "items.csv"
SETS_CSV = FOLDER / "sets.csv"
NETWORK_COLUMNS = ("task", "method", "seed", "steps", "weights", "sha256", "train_wall_s", "loss_last_50")
#: the methods placed on the distortion-perception plane (sampled three ways)
PLANE_METHODS = ("regression", "rdbm", "rdbm-global", "goub", "bbdm", "i2sb")


@dataclass(frozen=True)
class StudyConfig:
    """The study's grid and the budget every network gets."""

    tasks: tuple[str, ...] = ("derain", "inpaint", "lowlight")
    methods: tuple[str, ...] = METHODS
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    preset: str = "tiny"
    steps: int = 250
    batch: int = 8
    crop: int = 32
    lr: float = 1e-3
    pool: int = 256


def samplings(method: str) -> tuple[str | None, ...]:
    """The samplings of ``method``'s network (``None``: the regression pass)."""
    if method == "regression":
        return (None,)
    return ("eta0", "eta1x8", "em100") if method in PLANE_METHODS else ("eta0",)


def label(method: str, sampling: str | None) -> str:
    """The ``method`` of a result row: the method and its sampling."""
    return method if sampling is None else f"{method}-{sampling}"


def runs_of(study: StudyConfig) -> list[tuple[tuple[str | None, ...], int, str, str]]:
    """(samplings, seed, task, method) of every evaluation job, in the order they run: first every network with
    its first sampling (``eta0``, or the regression pass), seed by seed, then the plane samplings of the
    :data:`PLANE_METHODS` networks, seed by seed; so the deterministic grid over every seed is complete first."""
    order = [(seed, task, method) for seed in study.seeds for task in study.tasks for method in study.methods]
    return ([(samplings(m)[:1], seed, task, m) for seed, task, m in order]
            + [(samplings(m)[1:], seed, task, m) for seed, task, m in order if len(samplings(m)) > 1])


def obtain_network(study: StudyConfig, runs: Path, task: str, method: str, seed: int,
                   done_networks: dict[tuple[str, str, int], dict]) -> Path:
    """The weights file of network (``task``, ``method``, ``seed``) in ``runs``: the recorded network when its
    weights are there (:func:`~experiments.networks.weights_match`); else trained with ``study``'s budget. A network
    ``done_networks`` (networks.csv rows by (task, method, seed)) does not hold is recorded there and in
    networks.csv; a recorded one whose weights were lost is retrained and must be the recorded one
    (:func:`~experiments.networks.vouch_rebuilt`)."""
    out = runs / f"{task}_{method}_s{seed}"
    weights = out / f"steps_{study.steps}.safetensors"
    row = done_networks.get((task, method, seed))
    if row is not None and weights.is_file() and weights_match(row, weights):
        return weights
    budget = Budget(steps=study.steps, batch=study.batch, crop=study.crop, preset=study.preset, lr=study.lr,
                    pool=study.pool, device="cpu")
    config = replace(method_config(task, method, seed, budget, str(out)), ckpt_every=0)
    result, weights = train_to(config, study.steps)
    trained = {"task": task, "method": method, "seed": seed, "steps": study.steps,
               **network_record(result, weights, runs)}
    if row is None:
        append_rows(NETWORKS_CSV, [trained], NETWORK_COLUMNS)
        done_networks[(task, method, seed)] = trained
    else:
        vouch_rebuilt(weights, row, trained)
    return weights


def run(study: StudyConfig, runs: Path, shard: tuple[int, int] = (0, 1)) -> int:
    """Train and evaluate every network of ``study`` not yet in the results (shard ``(i, n)``: every n-th from
    the i-th); return how many (network, sampling) evaluations were made."""
    done_networks = {(r["task"], r["method"], int(r["seed"])): r for r in read_rows(NETWORKS_CSV)}
    done_sets = {(r["task"], r["method"], int(r["seed"])) for r in read_rows(SETS_CSV)}
    done_inputs = {(r["task"], int(r["seed"])) for r in read_rows(ITEMS_CSV) if r["method"] == "input" and r["item"] == "0"}
    mine = [job for k, job in enumerate(runs_of(study)) if k % shard[1] == shard[0]]
    made, t0 = 0, time.perf_counter()
    used = []

    def record():  # after every network: a run stopped at any point leaves its provenance
        write_provenance(FOLDER, {"study": "bridge_comparison", "config": asdict(study),
                                  "samplings": {k: asdict(v) for k, v in SAMPLINGS.items()},
                                  **provenance(wall_s=time.perf_counter() - t0, networks=used)},
                         name=f"provenance_shard{shard[0]}of{shard[1]}.json")

    for k, (job_samplings, seed, task, method) in enumerate(mine, 1):
        todo = [s for s in job_samplings if (task, label(method, s), seed) not in done_sets]
        if not todo:
            continue
        weights = obtain_network(study, runs, task, method, seed, done_networks)
        used.append(weights)
        for sampling in todo:
            items, sets, inputs = evaluate_weights(weights, task, seed, label(method, sampling), sampling)
            if (task, seed) not in done_inputs:  # the degraded inputs, once per task and seed
                append_rows(ITEMS_CSV, inputs, ITEM_COLUMNS)
                done_inputs.add((task, seed))
            append_rows(ITEMS_CSV, items, ITEM_COLUMNS)
            append_rows(SETS_CSV, [sets], SET_COLUMNS)
            made += 1
            print(f"[{k}/{len(mine)}] {task} {label(method, sampling)} seed {seed}: PSNR "
                  f"{np.mean([r['psnr'] for r in items]):.2f} dB, ST-LPIPS {np.mean([r['lpips_st'] for r in items]):.4f},"
                  f" SWD {sets['swd']:.2f} ({sets['wall_s']:.0f} s)", flush=True)
        record()
    return made


# --- the analysis: every verdict of the comparison, on both axes ---------------------------------------------

#: the references of the analysis: RDBM's deterministic sampling, the one-pass regression network, the input
RDBM, REGRESSION, INPUT = "rdbm-eta0", "regression", "input"
#: the item-level metrics compared: distortion (PSNR, SSIM) and perception (ST-LPIPS); SWD is compared per set
ITEM_METRICS = ("psnr", "ssim", "lpips_st")
#: every metric of a verdict, in the order of verdicts.csv
VERDICT_METRICS = (*ITEM_METRICS, "swd")
VERDICTS_CSV = FOLDER / "verdicts.csv"
COUNTS_CSV = FOLDER / "counts.csv"
VERDICT_COLUMNS = ("family", "task", "a", "b", "metric", "mean", "low", "high", "t_low", "t_high", "p_value",
                   "draws", "seeds", "photographs", "items", "scope", "verdict", "holm", "bh")
COUNT_COLUMNS = ("family", "metric", "n", "established", "a_better", "b_better", "holm", "bh", "no_verdict",
                 "undecided", "draws", "established_range", "holm_range", "bh_range", "stability_seeds")


def full_seeds(rows: list[dict], task: str) -> dict[str, set[str]]:
    """Per method label of ``task``: the seeds for which it has a row for every item of the task."""
    items = {r["item"] for r in rows if r["task"] == task}
    have: dict[str, dict[str, set]] = {}
    for r in rows:
        if r["task"] == task:
            have.setdefault(r["method"], {}).setdefault(r["seed"], set()).add(r["item"])
    return {m: {s for s, done in per.items() if done >= items} for m, per in have.items()}


def _group(label: str) -> str:
    """The sampling group of a label: ``"deterministic"`` (``eta0``, the regression pass, the input) or the
    stochastic sampling (``eta1x8``, ``eta1x8-mean``, ``em100``)."""
    from .plane import split_label

    sampling = split_label(label)[1]
    return "deterministic" if sampling in ("", "eta0") else sampling


def _order(label: str) -> tuple:
    from .plane import split_label

    method, sampling = split_label(label)
    return (method == INPUT, METHODS.index(method) if method in METHODS else len(METHODS), sampling)


def entering(rows: list[dict], task: str) -> dict[str, list[str]]:
    """The labels of ``task`` that enter the analysis, each with the seeds its comparisons use.

    The deterministic samplings (every ``-eta0``, ``regression``, ``input``) use the seeds that every one of them
    has in full. A stochastic sampling enters once it has at least :data:`~rdbm_core.evidence.stats.MIN_SEEDS` of
    those seeds in full; the labels of one stochastic sampling use the seeds every entering one of them has."""
    full = full_seeds(rows, task)
    deterministic = [m for m in full if _group(m) == "deterministic"]
    if not deterministic:
        return {}
    common = set.intersection(*(full[m] for m in deterministic))
    seeds = {m: common for m in deterministic}
    groups: dict[str, list[str]] = {}
    for m in full:
        if _group(m) != "deterministic" and len(full[m] & common) >= MIN_SEEDS:
            groups.setdefault(_group(m), []).append(m)
    for members in groups.values():
        shared = common.intersection(*(full[m] for m in members))
        seeds.update({m: shared for m in members})
    return {m: sorted(seeds[m], key=int) for m in sorted(seeds, key=_order)}


def comparisons(labels: list[str]) -> list[tuple[str, str, str]]:
    """``(family, a, b)`` of every comparison among the entering ``labels`` of a task: RDBM's deterministic
    sampling against every other deterministic sampling and regression (``a`` = RDBM); every restoration against
    regression and against the degraded input (``b`` = the reference). The family is named by its reference."""
    from .plane import split_label

    eta0 = [m for m in labels if split_label(m)[1] == "eta0" and m != RDBM]
    restorations = [m for m in labels if m != INPUT]
    out = [(RDBM, RDBM, m) for m in (*eta0, REGRESSION) if RDBM in labels and m in labels]
    out += [(REGRESSION, m, REGRESSION) for m in restorations if m != REGRESSION and REGRESSION in labels]
    out += [(INPUT, m, INPUT) for m in restorations if INPUT in labels]
    return out


def _has_values(rows: list[dict], label: str, metric: str) -> bool:
    return any(r["method"] == label and r.get(metric) not in ("", "nan", None) for r in rows)


def _input_sets(sets: list[dict]) -> list[dict]:
    """The degraded input's SWD per (task, seed), as a sets row of method ``input`` (every network of a task and
    seed records the same input's SWD, measured with its own seed's projections)."""
    return list({(r["task"], r["seed"]): {"task": r["task"], "method": INPUT, "seed": r["seed"], "swd": r["input_swd"]}
                 for r in sets}.values())


def _span(values) -> str:
    return f"{min(values)}-{max(values)}" if min(values) != max(values) else str(values[0])


def verdicts(items: list[dict], sets: list[dict], draws: int = DRAWS, stability: int = 1
             ) -> tuple[list[dict], list[dict], dict]:
    """``(verdict rows, count rows, read)`` of the comparison (see :func:`analyse`)."""
    from rdbm_core.evidence.stats import benjamini_hochberg, count_family, holm

    from .axes import difference_row, set_gaps, with_mean_of_draws

    items = with_mean_of_draws(items)
    sets = [*sets, *_input_sets(sets)]
    read, family_items, family_sets = {}, {}, {}
    for task in sorted({r["task"] for r in items}):
        seeds = entering(items, task)
        read[task] = {m: s for m, s in seeds.items()}
        by_seeds: dict[tuple, list[dict]] = {}
        for family, a, b in comparisons(list(seeds)):
            shared = tuple(sorted(set(seeds[a]) & set(seeds[b]), key=int))
            if shared not in by_seeds:
                by_seeds[shared] = [r for r in items if r["task"] == task and r["seed"] in shared]
            rows = [r for r in by_seeds[shared] if r["method"] in (a, b)]
            for metric in ITEM_METRICS:
                if _has_values(rows, a, metric) and _has_values(rows, b, metric):
                    family_items.setdefault((family, metric), []).append((rows, task, a, b, metric))
            mine = [s for s in sets if s["task"] == task and s["seed"] in shared and s["method"] in (a, b)]
            family_sets.setdefault((family, "swd"), []).extend(set_gaps(mine, task, [a], b))
    out, counts = [], []
    for (family, metric), family_comparisons in family_items.items():
        results, c = count_family(family_comparisons, draws)
        again = [c] + [count_family(family_comparisons, draws, resample_seed=s)[1] for s in range(1, stability)]
        out += [{"family": family, **difference_row(r), "draws": r.draws, "holm": h, "bh": bh}
                for r, h, bh in zip(results, c.holm_mask, c.bh_mask)]
        counts.append({"family": family, "metric": metric, "n": c.n, "established": c.established,
                       "a_better": c.a_better, "b_better": c.b_better, "holm": c.holm, "bh": c.bh,
                       "no_verdict": c.no_verdict, "undecided": len(c.undecided), "draws": _span(list(c.draws)),
                       "established_range": _span([x.established for x in again]),
                       "holm_range": _span([x.holm for x in again]), "bh_range": _span([x.bh for x in again]),
                       "stability_seeds": len(again)})
    for (family, metric), rows in family_sets.items():
        has = np.array([not r["verdict"].startswith("no verdict") for r in rows])
        p = np.array([r["p_value"] if ok else 1.0 for r, ok in zip(rows, has)])
        h, bh = holm(p) & has, benjamini_hochberg(p) & has
        out += [{"family": family, **r, "draws": "", "holm": bool(x), "bh": bool(y)} for r, x, y in zip(rows, h, bh)]
        established = [r for r, ok in zip(rows, has) if ok and r["verdict"].endswith(" better")]
        counts.append({"family": family, "metric": metric, "n": len(rows), "established": len(established),
                       "a_better": sum(r["verdict"] == f"{r['a']} better" for r in established),
                       "b_better": sum(r["verdict"] == f"{r['b']} better" for r in established),
                       "holm": int(h.sum()), "bh": int(bh.sum()), "no_verdict": int((~has).sum()), "undecided": 0,
                       "draws": "t test on the seeds", "established_range": len(established),
                       "holm_range": int(h.sum()), "bh_range": int(bh.sum()), "stability_seeds": ""})
    rank = {m: k for k, m in enumerate(VERDICT_METRICS)}
    out.sort(key=lambda r: (r["family"] != RDBM, r["family"] != REGRESSION, r["task"], _order(r["b"] if r["family"] == RDBM else r["a"]), rank[r["metric"]]))
    counts.sort(key=lambda c: (c["family"] != RDBM, c["family"] != REGRESSION, rank[c["metric"]]))
    return out, counts, read


def analyse(draws: int = DRAWS, stability: int = 1) -> dict:
    """Write ``verdicts.csv``, ``counts.csv`` and ``provenance_analyse.json`` from the study's items.csv and
    sets.csv as they stand; return the labels read per task with their seeds."""
    from .provenance import file_sha256

    t0 = time.perf_counter()
    items, sets = read_rows(ITEMS_CSV), read_rows(SETS_CSV)
    rows, count_rows, read = verdicts(items, sets, draws, stability)
    for path in (VERDICTS_CSV, COUNTS_CSV):
        path.unlink(missing_ok=True)
    append_rows(VERDICTS_CSV, rows, VERDICT_COLUMNS)
    append_rows(COUNTS_CSV, count_rows, COUNT_COLUMNS)
    write_provenance(FOLDER, {"study": "bridge_comparison", "phase": "analyse", "draws": draws,
                              "stability_seeds": stability, "read": read,
                              "inputs": {p.name: {"sha256": file_sha256(p), "rows": n}
                                         for p, n in ((ITEMS_CSV, len(items)), (SETS_CSV, len(sets)))},
                              **provenance(wall_s=time.perf_counter() - t0)}, name="provenance_analyse.json")
    return read


def main(argv=None) -> int:
    """The study's command line (``run``, ``analyse``); returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m experiments bridge_comparison", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("run", help="train and evaluate every network not yet in the results (resumable)")
    q.add_argument("--runs", default="runs/bridge_comparison", help="folder of the networks' checkpoints and weights")
    q.add_argument("--shard", default="0/1", help="I/N: every N-th network, from the I-th")
    q = sub.add_parser("analyse", help="every verdict on both axes, with family-wise counts (verdicts.csv, counts.csv)")
    q.add_argument("--draws", type=int, default=DRAWS, help=f"bootstrap draws per interval (default {DRAWS}; more "
                   "where a p-value is within Monte Carlo error of a threshold)")
    q.add_argument("--stability", type=int, default=10,
                   help="count each family under this many resample seeds (default 10; 1: only seed 0)")
    args = p.parse_args(argv)
    if args.command == "analyse":
        if args.stability < 1:
            p.error("--stability must be at least 1")
        read = analyse(args.draws, args.stability)
        for task, labels in read.items():
            print(f"{task}: {len(labels)} restorations and the input, seeds "
                  + "; ".join(sorted({",".join(s) for s in labels.values()})))
        for c in read_rows(COUNTS_CSV):
            print(f"against {c['family']}, {c['metric']}: {c['established']} of {c['n']} established (Holm {c['holm']}, "
                  f"Benjamini-Hochberg {c['bh']}; {c['draws']} draws"
                  + (f"; over {c['stability_seeds']} resample seeds {c['established_range']}, Holm {c['holm_range']}, "
                     f"BH {c['bh_range']})" if c["stability_seeds"] else ")"))
        print(f"wrote {VERDICTS_CSV}, {COUNTS_CSV} and provenance_analyse.json")
        return 0
    index, count = parse_shard(args.shard)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    made = run(StudyConfig(), Path(args.runs), (index, count))
    print(f"bridge comparison, shard {args.shard}: {made} evaluations made")
    return 0
