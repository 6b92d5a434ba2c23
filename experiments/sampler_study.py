"""The sampler study on both axes: how close every sampler gets, at a given number of network evaluations (NFE), to
its own 100-evaluation output, in PSNR, ST-LPIPS and SWD.

    OMP_NUM_THREADS=1 python -m experiments sampler_study run --runs DIR [--rebuild]  # resumable
    python -m experiments sampler_study analyse                               # summary.csv, verdicts, figure

Networks: the bridge comparison's (:mod:`experiments.bridge_comparison`; their weights in ``--runs``, checked
against its ``networks.csv`` by SHA-256) for the bridges of :attr:`SamplerStudyConfig.bridges` on
:attr:`SamplerStudyConfig.tasks`, every training seed the comparison has trained. Each restores version 2 of the
held-out benchmark (144 items, one batch) with every sampler of :data:`SAMPLER_SPECS` at every NFE of
:attr:`SamplerStudyConfig.nfe`; the network's calls are counted in the run itself (Heun spends two per interior
step: its budget ``N`` runs the most steps that spend at most ``N``, and the row records what was spent), and the
noise of a stochastic sampler is drawn from the training seed. Every item gets PSNR, SSIM and ST-LPIPS
(``items.csv``, ``method`` = ``<bridge>-<sampler>-<nfe>``); every set its sliced Wasserstein distance (``sets.csv``).

The analysis compares each (sampler, NFE) with the *same sampler at 100 evaluations*, paired over seeds and items
(hierarchical interval; SWD by seed, t interval): convergence on both axes, not a PSNR contest with one
reference sampler. A sampler is **within tolerance** at ``N`` when the interval of its gap lies inside
``+-`` :data:`TOLERANCES` on every axis; the summary reports, per sampler, the fewest ``N`` from which every larger
measured ``N`` is within tolerance. Beside it, each sampler's gap to the deterministic implicit sampler at the same
NFE. Results in the study's folder of ``experiments/results/`` (``sampler_study``), with their provenance.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.data.datasets import BENCHMARK_VERSION, HeldOutBenchmark
from rdbm_core.data.degradations import degraded_mask
from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.evidence.distribution import sliced_wasserstein
from rdbm_core.evidence.metrics import METRIC_KEYS, image_metrics
from rdbm_core.evidence.perceptual import lpips_st
from rdbm_core.networks.checkpoints import load_trained
from rdbm_core.restoration.evaluation import CountedCalls, restore

from . import RESULTS
from .axes import AXES, gaps, set_gaps
from .bridge_comparison import StudyConfig, obtain_network
from .networks import weights_match
from .provenance import provenance, write_provenance

FOLDER = RESULTS / "sampler_study"
ITEMS_CSV, SETS_CSV, SUMMARY_CSV = FOLDER / "items.csv", FOLDER / "sets.csv", FOLDER / "summary.csv"
NETWORKS_CSV = RESULTS / "bridge_comparison" / "networks.csv"

#: sampler label -> its sampler and options (the steps are set per NFE: :func:`steps_for`)
SAMPLER_SPECS = {
    "implicit-eta0": SamplerSpec("implicit", eta=0.0),
    "implicit-eta1": SamplerSpec("implicit", eta=1.0),
    "euler-maruyama": SamplerSpec("euler-maruyama"),
    "euler": SamplerSpec("euler"),
    "heun": SamplerSpec("heun"),
    "dbim-2": SamplerSpec("dbim", order=2),
    "dbim-3": SamplerSpec("dbim", order=3),
    "dbim-3-corr": SamplerSpec("dbim", order=3, corrector=True),
    "exact-sde-2": SamplerSpec("exact-sde", eta=1.0, order=2),
}
#: the deterministic first-order sampler every other is also compared with at the same NFE
BASELINE = "implicit-eta0"
#: the NFE each sampler's own converged output is taken at
CONVERGED = 100
#: half-widths of the "within tolerance" band, per metric (PSNR in dB; ST-LPIPS; SWD in its 1e-3 units)
TOLERANCES = {"psnr": 0.1, "lpips_st": 0.005, "swd": 5.0}
ITEM_COLUMNS = ("task", "method", "seed", "item", "image", "bridge", "sampler", "steps", "nfe", *METRIC_KEYS,
                "lpips_st")
SET_COLUMNS = ("task", "method", "seed", "swd", "swd_low", "swd_high", "wall_s")
SUMMARY_COLUMNS = ("task", "bridge", "sampler", "nfe", "metric", "reference", "mean", "low", "high", "seeds",
                   "within")


@dataclass(frozen=True)
class SamplerStudyConfig:
    """The study's grid."""

    tasks: tuple[str, ...] = ("derain",)
    bridges: tuple[str, ...] = ("rdbm", "goub", "bbdm")
    nfe: tuple[int, ...] = (1, 2, 3, 5, 10, 20, 50, CONVERGED)
    version: int = BENCHMARK_VERSION


def heun_evaluations(steps: int) -> int:
    """Network calls of :func:`~rdbm_core.bridge.samplers.sample_heun` from a pinned ``t_T`` in ``steps`` steps: one
    for the step out of ``t_T`` and one for the step into the clean point, two for each interior step."""
    return 1 if steps == 1 else 2 * steps - 2


def steps_for(sampler: str, nfe: int) -> int:
    """The most steps of ``sampler`` that spend at most ``nfe`` network calls."""
    if SAMPLER_SPECS[sampler].name != "heun":
        return nfe
    return max(n for n in range(1, nfe + 2) if heun_evaluations(n) <= nfe)


def label(bridge: str, sampler: str, nfe: int) -> str:
    """The ``method`` of a result row."""
    return f"{bridge}-{sampler}-{nfe}"


def restore_counted(model, path, mu: torch.Tensor, sampler: str, steps: int, seed: int) -> tuple[torch.Tensor, int]:
    """``mu`` [B, 3, H, W] restored by ``sampler`` in ``steps`` steps with the noise of ``seed``, and the network
    calls the run made."""
    counted = CountedCalls(model)
    out = restore(counted, path, mu, replace(SAMPLER_SPECS[sampler], steps=steps), torch.Generator().manual_seed(seed))
    return out.clamp(-1, 1), counted.calls


def networks(study: SamplerStudyConfig, runs: Path, rebuild: bool = False) -> list[dict]:
    """The bridge comparison's networks.csv rows of the study's (task, bridge), bridge by bridge in the order of
    :attr:`SamplerStudyConfig.bridges`, seed by seed: those whose weights are in ``runs``, or every one with
    ``rebuild`` (:func:`run` retrains the missing ones). A weights file that is not the recorded network
    (:func:`~experiments.networks.weights_match`) is one clear error."""
    found = []
    for row in read_rows(NETWORKS_CSV):
        if row["task"] not in study.tasks or row["method"] not in study.bridges:
            continue
        weights = runs / row["weights"]
        if not weights.is_file():
            if rebuild:
                found.append(row)
            continue
        if not weights_match(row, weights):
            raise SystemExit(f"{weights}: its SHA-256 differs from the bridge comparison's networks.csv")
        found.append(row)
    return sorted(found, key=lambda r: (study.tasks.index(r["task"]), study.bridges.index(r["method"]), int(r["seed"])))


def run(study: SamplerStudyConfig, runs: Path, rebuild: bool = False) -> int:
    """Every (network, sampler, NFE) not yet in sets.csv; return how many were made. With ``rebuild``, a network
    whose weights are not in ``runs`` is retrained there first (the bridge comparison's
    :func:`~experiments.bridge_comparison.obtain_network`: it must reproduce its recorded loss)."""
    done = {(r["task"], r["method"], r["seed"]) for r in read_rows(SETS_CSV)}
    made, t0, used = 0, time.perf_counter(), []
    for net in networks(study, runs, rebuild):
        task, bridge, seed = net["task"], net["method"], int(net["seed"])
        todo = [(s, n) for s in SAMPLER_SPECS for n in study.nfe
                if (task, label(bridge, s, n), str(seed)) not in done]
        if not todo:
            continue
        if not (runs / net["weights"]).is_file():
            obtain_network(StudyConfig(), runs, task, bridge, seed, {(task, bridge, seed): net})
            print(f"{net['weights']}: retrained, its loss {net['loss_last_50']} as recorded", flush=True)
        model, path, _ = load_trained(runs / net["weights"])
        bench = HeldOutBenchmark(task, version=study.version)
        items = [bench[i] for i in range(len(bench))]
        mu, x0 = torch.stack([d["mu"] for d in items]), torch.stack([d["x0"] for d in items])
        names = [d["name"] for d in items]
        used.append(runs / net["weights"])
        for sampler, nfe in todo:
            steps = steps_for(sampler, nfe)
            t1 = time.perf_counter()
            out, spent = restore_counted(model, path, mu, sampler, steps, seed)
            if spent > nfe:
                raise RuntimeError(f"{sampler} at {steps} steps made {spent} network calls, more than {nfe}")
            method = label(bridge, sampler, nfe)
            distances = lpips_st(out, x0).tolist()
            rows = [{"task": task, "method": method, "seed": seed, "item": i, "image": names[i], "bridge": bridge,
                     "sampler": sampler, "steps": steps, "nfe": spent,
                     **{k: round(float(v), 6) for k, v in image_metrics(out[i], x0[i], degraded_mask(x0[i], mu[i])).items()},
                     "lpips_st": round(float(distances[i]), 6)} for i in range(len(items))]
            swd = sliced_wasserstein(out, x0, names, seed=seed)
            append_rows(ITEMS_CSV, rows, ITEM_COLUMNS)
            append_rows(SETS_CSV, [{"task": task, "method": method, "seed": seed, "swd": round(swd["swd"], 6),
                                    "swd_low": round(swd["low"], 6), "swd_high": round(swd["high"], 6),
                                    "wall_s": round(time.perf_counter() - t1, 1)}], SET_COLUMNS)
            made += 1
            print(f"{task} {method} seed {seed}: PSNR {np.mean([r['psnr'] for r in rows]):.3f}, ST-LPIPS "
                  f"{np.mean(distances):.4f}, SWD {swd['swd']:.2f} ({spent} calls)", flush=True)
        write_provenance(FOLDER, {"study": "sampler_study", "phase": "run", "config": asdict(study),
                                  "samplers": {k: v.as_dict() for k, v in SAMPLER_SPECS.items()},
                                  **provenance(wall_s=time.perf_counter() - t0, networks=used)},
                         name="provenance_run.json")
    return made


def analyse(study: SamplerStudyConfig, draws: int = 10_000) -> list[dict]:
    """summary.csv: every (task, bridge, sampler, NFE)'s gap to the same sampler at :data:`CONVERGED` and to
    :data:`BASELINE` at the same NFE, on PSNR, ST-LPIPS (items) and SWD (sets); each gap to the converged output
    marked within tolerance or not. Only the seeds that every compared row shares enter."""
    items, sets = read_rows(ITEMS_CSV), read_rows(SETS_CSV)
    summary = []
    for task in study.tasks:
        for bridge in study.bridges:
            mine = [r for r in items if r["task"] == task and r["bridge"] == bridge]
            for sampler in SAMPLER_SPECS:
                for nfe in study.nfe:
                    a = label(bridge, sampler, nfe)
                    for ref in (label(bridge, sampler, CONVERGED), label(bridge, BASELINE, nfe)):
                        if ref == a:
                            continue
                        pair = [r for r in mine if r["method"] in (a, ref)]
                        seeds = ({r["seed"] for r in pair if r["method"] == a}
                                 & {r["seed"] for r in pair if r["method"] == ref})
                        if not seeds:
                            continue
                        pair = [r for r in pair if r["seed"] in seeds]
                        found = gaps(pair, task, [a], ref, AXES, draws)
                        found += set_gaps([s for s in sets if s["seed"] in seeds], task, [a], ref)
                        for g in found:
                            tol = TOLERANCES[g["metric"]]
                            low, high = float(g["low"]), float(g["high"])
                            within = (bool(-tol <= low and high <= tol) if ref.endswith(f"-{CONVERGED}")
                                      and np.isfinite(low) else "")
                            summary.append({"task": task, "bridge": bridge, "sampler": sampler, "nfe": nfe,
                                            "metric": g["metric"], "reference": ref, "mean": g["mean"], "low": low,
                                            "high": high, "seeds": g["seeds"], "within": within})
    FOLDER.mkdir(parents=True, exist_ok=True)
    SUMMARY_CSV.unlink(missing_ok=True)
    append_rows(SUMMARY_CSV, summary, SUMMARY_COLUMNS)
    return summary


def converged_from(summary: list[dict], task: str, bridge: str, sampler: str) -> int | None:
    """The fewest measured NFE from which every larger measured NFE is within tolerance of the sampler's own
    converged output on every axis (``None`` when even the largest below :data:`CONVERGED` is not)."""
    grid = sorted({int(r["nfe"]) for r in summary if (r["task"], r["bridge"], r["sampler"]) == (task, bridge, sampler)
                   and r["reference"].endswith(f"-{CONVERGED}")})
    ok = {n: all(r["within"] is True or r["within"] == "True" for r in summary
                 if (r["task"], r["bridge"], r["sampler"], int(r["nfe"])) == (task, bridge, sampler, n)
                 and r["reference"].endswith(f"-{CONVERGED}")) for n in grid}
    return next((n for k, n in enumerate(grid) if all(ok[m] for m in grid[k:])), None)


def figure(summary: list[dict], path: Path) -> None:
    """Gap to the sampler's own converged output against NFE: one row of panels (PSNR, ST-LPIPS, SWD) per
    (task, bridge), the deterministic and the stochastic samplers in separate panels (at most 6 series each)."""
    from matplotlib.figure import Figure

    keys = sorted({(r["task"], r["bridge"]) for r in summary})
    if not keys:
        return
    groups = (("deterministic", ("implicit-eta0", "euler", "heun", "dbim-2", "dbim-3", "dbim-3-corr")),
              ("stochastic", ("implicit-eta1", "euler-maruyama", "exact-sde-2")))
    fig = Figure(figsize=(15, 3.4 * len(keys) * 2), layout="constrained")
    axes = fig.subplots(2 * len(keys), 3, squeeze=False)
    for k, (task, bridge) in enumerate(keys):
        for g, (kind, samplers) in enumerate(groups):
            for ax, metric in zip(axes[2 * k + g], ("psnr", "lpips_st", "swd")):
                for c, sampler in enumerate(samplers):
                    pts = sorted((int(r["nfe"]), float(r["mean"]), float(r["low"]), float(r["high"])) for r in summary
                                 if (r["task"], r["bridge"], r["sampler"], r["metric"]) == (task, bridge, sampler, metric)
                                 and r["reference"].endswith(f"-{CONVERGED}"))
                    if pts:
                        x, y, lo, hi = (np.array(v) for v in zip(*pts))
                        err = np.where(np.isfinite(lo), [y - lo, hi - y], 0.0)
                        ax.errorbar(x * 1.03 ** (c - 2), y, yerr=err, marker="o", ms=3, capsize=2, color=f"C{c}",
                                    label=sampler)
                ax.axhspan(-TOLERANCES[metric], TOLERANCES[metric], color="0.88", zorder=0)
                ax.axhline(0, color="0.3", lw=0.7)
                ax.set_xscale("log")
                ax.set_xlabel("network evaluations (NFE)")
                ax.set_ylabel({"psnr": "PSNR gap (dB)", "lpips_st": "ST-LPIPS gap", "swd": "SWD gap"}[metric])
                ax.set_title(f"{task}, {bridge}, {kind}: gap to its own {CONVERGED}-NFE output", fontsize=9)
                ax.grid(alpha=0.3)
            axes[2 * k + g][0].legend(fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


def main(argv=None) -> int:
    """The study's command line (``run``, ``analyse``); returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m experiments sampler_study", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("run", help="restore the benchmark with every sampler at every NFE (resumable)")
    q.add_argument("--runs", default="runs/bridge_comparison", help="the bridge comparison's folder of weights")
    q.add_argument("--rebuild", action="store_true",
                   help="retrain a recorded network whose weights are not in --runs (it must reproduce its loss)")
    q = sub.add_parser("analyse", help="summary.csv, the converged-from table and the figure")
    q.add_argument("--draws", type=int, default=10_000)
    args = p.parse_args(argv)
    study = SamplerStudyConfig()
    if args.command == "run":
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        print(f"sampler study: {run(study, Path(args.runs), args.rebuild)} (network, sampler, NFE) evaluations made")
        return 0
    t0 = time.perf_counter()
    summary = analyse(study, args.draws)
    figure(summary, FOLDER / "convergence.png")
    for task in study.tasks:
        for bridge in study.bridges:
            for sampler in SAMPLER_SPECS:
                if any((r["task"], r["bridge"], r["sampler"]) == (task, bridge, sampler) for r in summary):
                    print(f"{task} {bridge} {sampler:16s} within tolerance of its {CONVERGED}-NFE output from NFE "
                          f"{converged_from(summary, task, bridge, sampler)}")
    write_provenance(FOLDER, {"study": "sampler_study", "phase": "analyse", "tolerances": TOLERANCES,
                              "draws": args.draws, **provenance(wall_s=time.perf_counter() - t0)},
                     name="provenance_analyse.json")
    return 0
