"""The sampler study (issue 16, notebook 11): PSNR against network evaluations for every sampler.

    OMP_NUM_THREADS=1 nohup python benchmarks/sampler_study.py --tasks derain --bridges goub bbdm \
        --seeds 0 1 2 --runs runs/comparison > runs/sampler_study.log &
    python benchmarks/sampler_study.py --analyse      # summary CSV and figure from the items CSV

For each (task, bridge, seed) the network of the bridge comparison (``benchmarks/bridge_comparison.py``,
its budget in ``benchmarks/results/bridge_comparison.json``; the checkpoint
``<runs>/<task>_<bridge>_<seed>/checkpoint.pt``, trained here with that budget when missing) restores
the 64 items of the fixed :class:`~rdbm_core.data.datasets.HeldOutBenchmark` in one batch with every sampler of
:data:`SAMPLER_SPECS` at every budget of network evaluations (``--nfe``).  The evaluations are counted
by wrapping the network (Heun takes two per interior step: its budget ``N`` runs the most steps whose
count is at most ``N``, and the row records the count); a (sampler, count) already measured is not run
twice.  One row per test item goes to ``sampler_study_items.csv`` (appended, flushed per run: the
study resumes where it stopped).

``--analyse`` compares each (sampler, NFE) with the reference, 100-step Euler-Maruyama, by the paired
two-stage bootstrap of :mod:`rdbm_core.evidence.stats` (seeds and items) and writes the summary CSV, the
per-sampler verdict (:data:`CRITERION`) into the ``.json`` and the figure; the summary also gives each sampler's
paired difference to the first-order implicit sampler (``eta = 0``) at the same NFE.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rdbm_core.comparison import Budget, method_config  # noqa: E402
from rdbm_core.networks.checkpoints import load_trained  # noqa: E402
from rdbm_core.data.datasets import HeldOutBenchmark  # noqa: E402
from rdbm_core.data.files import dumps_json  # noqa: E402
from rdbm_core.evidence.metrics import METRIC_KEYS, image_metrics
from rdbm_core.data.files import append_rows, read_rows  # noqa: E402
from rdbm_core.bridge.samplers import SAMPLERS, Denoiser  # noqa: E402
from rdbm_core.evidence.stats import paired_matrix, two_stage_bootstrap  # noqa: E402
from rdbm_core.networks.training import train  # noqa: E402

#: sampler label -> (name in SAMPLERS, keyword arguments)
SAMPLER_SPECS = {
    "implicit-eta0": ("implicit", {"eta": 0.0}),
    "implicit-eta1": ("implicit", {"eta": 1.0}),
    "euler-maruyama": ("euler-maruyama", {}),
    "euler": ("euler", {}),
    "heun": ("heun", {}),
    "dbim-2": ("dbim", {"order": 2}),
    "dbim-2-corr": ("dbim", {"order": 2, "corrector": True}),
    "dbim-3": ("dbim", {"order": 3}),
    "dbim-3-corr": ("dbim", {"order": 3, "corrector": True}),
    "exact-sde-2": ("exact-sde", {"eta": 1.0, "order": 2}),
    "exact-sde-2-corr": ("exact-sde", {"eta": 1.0, "order": 2, "corrector": True}),
}
NFE = (1, 2, 3, 5, 10, 20, 50, 100)
REFERENCE = ("euler-maruyama", 100)
TOLERANCE = 0.1  # dB
#: The verdict per sampler, as the analysis computes it.
CRITERION = (
    "D = PSNR(sampler at N evaluations) - PSNR(Euler-Maruyama at 100), paired over seeds and items, with the "
    "95 % two-stage bootstrap interval [lo, hi] (rdbm_core.evidence.stats). N is 'within 0.1 dB' when [lo, hi] lies "
    "inside [-0.1, +0.1] dB (equivalence shown) or when |mean D| <= 0.1 dB and lo <= 0 <= hi (no difference "
    "established, mean within 0.1 dB). Because a sampler can also be better than the reference, a second, one-sided "
    "rule: N 'reaches the reference' when lo >= -0.1 dB (a loss of more than 0.1 dB is excluded at 95 %). Reported "
    "per sampler for each rule: the fewest N of the measured grid that satisfies it, and the fewest N from which "
    "every larger measured N satisfies it ('stays').")
ITEM_COLUMNS = ("task", "bridge", "seed", "sampler", "steps", "nfe", "item", "image", *METRIC_KEYS)
SUMMARY_COLUMNS = ("task", "bridge", "sampler", "nfe", "seeds", "items", "psnr", "psnr_y", "diff", "low", "high",
                   "diff_y", "low_y", "high_y", "within", "reaches", "vs_implicit", "low_vs_implicit",
                   "high_vs_implicit")
#: The first-order baseline that the new samplers are compared with at the same NFE.
BASELINE = "implicit-eta0"
#: The comparison's budget (benchmarks/results/bridge_comparison.json): used to train a missing network.
COMPARISON_BUDGET = Budget(steps=250, batch=8, crop=32, preset="tiny", lr=1e-3, pool=256, sample_steps=10)


class CountingModel(torch.nn.Module):
    """The network, counting its forward passes (the honest NFE)."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0
        self.parameterization = getattr(model, "parameterization", "x0")

    def forward(self, x, mu, t):
        self.calls += 1
        return self.model(x, mu, t)


def heun_evaluations(steps: int) -> int:
    """Evaluations of :func:`~rdbm_core.bridge.samplers.sample_heun` from a pinned ``t_T``: one for the step out of
    ``t_T`` and the step into the clean point, two for each interior step."""
    return 1 if steps == 1 else 2 * steps - 2


def steps_for(sampler: str, nfe: int) -> int:
    """The number of steps that spends at most ``nfe`` evaluations (the most such)."""
    if SAMPLER_SPECS[sampler][0] != "heun":
        return nfe
    return max(n for n in range(1, nfe + 2) if heun_evaluations(n) <= nfe)


def checkpoint(runs: Path, task: str, bridge: str, seed: int) -> Path:
    """The comparison's checkpoint of (task, bridge, seed); trained with :data:`COMPARISON_BUDGET` if missing."""
    out = runs / f"{task}_{bridge}_{seed}"
    ckpt = out / "checkpoint.pt"
    if not ckpt.is_file():
        print(f"training {out} (the comparison's budget)", flush=True)
        with torch.enable_grad():  # the caller samples under no_grad
            ckpt = Path(train(method_config(task, bridge, seed, COMPARISON_BUDGET, str(out)),
                              progress=False)["checkpoint"])
    return ckpt


@torch.no_grad()
def run(args) -> None:
    items_csv = Path(args.items)
    done = {(r["task"], r["bridge"], int(r["seed"]), r["sampler"], int(r["nfe"])) for r in read_rows(items_csv)}
    runs = Path(args.runs)
    t0 = time.perf_counter()
    for task in args.tasks:
        bench = HeldOutBenchmark(task)
        data = [bench[i] for i in range(len(bench))]
        mu = torch.stack([d["mu"] for d in data])
        for bridge in args.bridges:
            for seed in args.seeds:
                model, path, _ = load_trained(checkpoint(runs, task, bridge, seed))
                counter = CountingModel(model)
                for sampler in args.samplers:
                    name, kwargs = SAMPLER_SPECS[sampler]
                    for nfe in args.nfe:
                        steps = steps_for(sampler, nfe)
                        spent = heun_evaluations(steps) if name == "heun" else steps
                        if (task, bridge, seed, sampler, spent) in done:
                            continue
                        counter.calls = 0
                        generator = torch.Generator().manual_seed(seed)
                        out = SAMPLERS[name](Denoiser(counter), mu, path, path.schedule.sampling_times(steps),
                                             generator=generator, **kwargs)
                        if counter.calls != spent:
                            raise RuntimeError(f"{sampler} at {steps} steps made {counter.calls} evaluations, "
                                               f"expected {spent}")
                        rows = [{"task": task, "bridge": bridge, "seed": seed, "sampler": sampler, "steps": steps,
                                 "nfe": spent, "item": i, "image": d["name"],
                                 **{k: round(float(v), 6) for k, v in image_metrics(out[i], d["x0"], d["mask"]).items()}}
                                for i, d in enumerate(data)]
                        append_rows(items_csv, rows, ITEM_COLUMNS)
                        done.add((task, bridge, seed, sampler, spent))
                        psnr = np.mean([r["psnr"] for r in rows])
                        print(f"[{time.perf_counter() - t0:6.0f}s] {task} {bridge} seed {seed} {sampler:16s} "
                              f"NFE {spent:3d}: PSNR {psnr:.3f}", flush=True)


def within_tolerance(mean: float, low: float, high: float, tol: float = TOLERANCE) -> bool:
    """The two-sided rule: the interval lies inside +-tol, or |mean| <= tol and the interval contains 0."""
    return (-tol <= low and high <= tol) or (abs(mean) <= tol and low <= 0 <= high)


def _first(grid: list[int], holds: dict) -> int | None:
    return next((n for n in grid if holds[n]), None)


def _stays(grid: list[int], holds: dict) -> int | None:
    return next((n for k, n in enumerate(grid) if all(holds[m] for m in grid[k:])), None)


def analyse(args) -> dict:
    """Summary rows per (task, bridge, sampler, nfe) against the reference and the verdict per sampler."""
    rows = read_rows(Path(args.items))
    for r in rows:  # the key that rdbm_core.evidence.stats pairs on
        r["method"] = f"{r['bridge']}|{r['sampler']}|{r['nfe']}"
    summary, verdict = [], {}
    keys = sorted({(r["task"], r["bridge"]) for r in rows})
    ref_sampler, ref_nfe = REFERENCE
    for task, bridge in keys:
        here = [r for r in rows if r["task"] == task and r["bridge"] == bridge]
        ref = f"{bridge}|{ref_sampler}|{ref_nfe}"
        if not any(r["method"] == ref for r in here):
            print(f"{task} {bridge}: no reference ({ref_sampler} at {ref_nfe}) yet")
            continue
        ref_seeds = {int(r["seed"]) for r in here if r["method"] == ref}
        for sampler in SAMPLER_SPECS:
            nfes = sorted({int(r["nfe"]) for r in here if r["sampler"] == sampler})
            within, reaches = {}, {}
            for nfe in nfes:
                method = f"{bridge}|{sampler}|{nfe}"
                seeds = {int(r["seed"]) for r in here if r["method"] == method}
                if seeds != ref_seeds:
                    continue  # compare only on the reference's seeds (complete cells)
                row = {"task": task, "bridge": bridge, "sampler": sampler, "nfe": nfe}
                for metric, suffix in (("psnr", ""), ("psnr_y", "_y")):
                    values = [float(r[metric]) for r in here if r["method"] == method]
                    row[metric] = round(float(np.mean(values)), 4)
                    if method == ref:
                        d, mean, low, high = None, 0.0, 0.0, 0.0
                    else:
                        d, _, _ = paired_matrix(here, task, method, ref, metric)
                        mean = float(d.mean())
                        low, high = two_stage_bootstrap(d)
                    row.update({f"diff{suffix}": round(mean, 4), f"low{suffix}": round(low, 4),
                                f"high{suffix}": round(high, 4)})
                row.update(seeds=len(seeds), items=sum(1 for r in here if r["method"] == method) // len(seeds))
                base = f"{bridge}|{BASELINE}|{nfe}"
                row.update(vs_implicit=None, low_vs_implicit=None, high_vs_implicit=None)
                if sampler != BASELINE and {int(r["seed"]) for r in here if r["method"] == base} == seeds:
                    d, _, _ = paired_matrix(here, task, method, base, "psnr")
                    low, high = two_stage_bootstrap(d)
                    row.update(vs_implicit=round(float(d.mean()), 4), low_vs_implicit=round(low, 4),
                               high_vs_implicit=round(high, 4))
                row["within"] = within_tolerance(row["diff"], row["low"], row["high"])
                row["reaches"] = row["low"] >= -TOLERANCE
                within[nfe] = row["within"]
                reaches[nfe] = row["reaches"]
                summary.append(row)
            if not within:
                continue
            grid = sorted(within)
            verdict[f"{task}/{bridge}/{sampler}"] = {
                "first_within": _first(grid, within), "stays_within": _stays(grid, within),
                "first_reaches": _first(grid, reaches), "stays_reaches": _stays(grid, reaches), "nfe_measured": grid}
    out = Path(args.summary)
    out.unlink(missing_ok=True)
    append_rows(out, summary, SUMMARY_COLUMNS)
    return {"summary": summary, "verdict": verdict}


def figure(summary: list[dict], path: Path) -> None:
    """PSNR difference to the reference against NFE per sampler, one panel per (task, bridge), with intervals."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = sorted({(r["task"], r["bridge"]) for r in summary})
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.6), squeeze=False)
    for ax, (task, bridge) in zip(axes[0], panels):
        for k, sampler in enumerate(SAMPLER_SPECS):
            rs = sorted((r for r in summary if (r["task"], r["bridge"], r["sampler"]) == (task, bridge, sampler)),
                        key=lambda r: r["nfe"])
            if not rs:
                continue
            x = np.array([r["nfe"] for r in rs]) * (1 + 0.025 * (k - 5))  # small offsets: intervals stay readable
            y = np.array([r["diff"] for r in rs])
            err = np.array([[r["diff"] - r["low"] for r in rs], [r["high"] - r["diff"] for r in rs]])
            style = "--" if "corr" in sampler else "-"
            ax.errorbar(x, y, yerr=err, label=sampler, linestyle=style, marker="o", markersize=3, capsize=2)
        ax.axhspan(-TOLERANCE, TOLERANCE, color="0.85", zorder=0, label="±0.1 dB")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xscale("log")
        ax.set_xlabel("network evaluations (NFE)")
        ax.set_ylabel("PSNR - PSNR(Euler-Maruyama, 100) [dB]")
        ax.set_title(f"{task}, {bridge}: paired difference, 95 % interval (seeds x items)")
        lo = min(r["low"] for r in summary if (r["task"], r["bridge"]) == (task, bridge))
        ax.set_ylim(max(lo - 0.2, -4.0), None)
    axes[0][-1].legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["derain"])
    p.add_argument("--bridges", nargs="+", default=["goub", "bbdm"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--samplers", nargs="+", default=list(SAMPLER_SPECS), choices=list(SAMPLER_SPECS))
    p.add_argument("--nfe", nargs="+", type=int, default=list(NFE))
    p.add_argument("--runs", default="runs/comparison", help="folder of the comparison's checkpoints")
    p.add_argument("--items", default="benchmarks/results/sampler_study_items.csv")
    p.add_argument("--summary", default="benchmarks/results/sampler_study.csv")
    p.add_argument("--figure", default="benchmarks/results/sampler_study.png")
    p.add_argument("--analyse", action="store_true", help="only the summary, verdict and figure from the items")
    args = p.parse_args(argv)
    if any(n < 1 for n in args.nfe):
        raise SystemExit("--nfe: every budget must be >= 1")
    meta = Path(args.summary).with_suffix(".json")
    if not args.analyse:
        torch.set_num_threads(1)
        meta.parent.mkdir(parents=True, exist_ok=True)
        info = json.loads(meta.read_text()) if meta.exists() else {}
        info.setdefault("runs", []).append({
            "command": " ".join(["OMP_NUM_THREADS=1 python3 benchmarks/sampler_study.py",
                                 *(sys.argv[1:] if argv is None else argv)]),
            "machine": f"cpu ({platform.processor() or platform.machine()}, 2 cores, shared with other jobs)",
            "torch": torch.__version__, "threads": 1, "date": time.strftime("%Y-%m-%d %H:%M")})
        meta.write_text(dumps_json(info, indent=1) + "\n")
        t0 = time.perf_counter()
        run(args)
        info["runs"][-1]["wall_s"] = round(time.perf_counter() - t0, 1)
        meta.write_text(dumps_json(info, indent=1) + "\n")
    result = analyse(args)
    figure(result["summary"], Path(args.figure))
    info = json.loads(meta.read_text()) if meta.exists() else {}
    info.update(reference=f"{REFERENCE[0]} at {REFERENCE[1]} evaluations", criterion=CRITERION,
                comparison_budget=asdict(COMPARISON_BUDGET),
                verdict=result["verdict"])
    meta.write_text(dumps_json(info, indent=1) + "\n")
    for key, v in result["verdict"].items():
        print(f"{key:36s} within 0.1 dB: first {v['first_within']}, stays from {v['stays_within']}; reaches: "
              f"first {v['first_reaches']}, stays from {v['stays_reaches']} (NFE measured {v['nfe_measured']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
