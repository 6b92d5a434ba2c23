"""Where the error goes (issue 13, item 4): the networks of the modulation study, by time and by region.

    OMP_NUM_THREADS=1 nohup nice -n 5 python benchmarks/where_error_goes.py \
        > benchmarks/results/where_error_goes_log.txt 2>&1 &

For every (task, seed, lam) whose two networks (modulated and global noise) the modulation study
(``benchmarks/modulation_study.py``) has trained into ``--workdir`` (others are skipped, to be done in a
later sitting):

* **by time** (``*_by_t.csv``): :func:`rdbm_core.evidence.error_profile.x0_error_by_time` at the 10 times of the
  sampling grid, with ``x_t`` drawn from the network's own marginal and from the other noise
  factor's; method ``{network}@{marginal}-t{t}`` (``mod-1e-2@global-t49``), PSNR on degraded and
  intact pixels per item (``degradations.degraded_mask``, as the study's metrics);
* **cross-sampling** (``*_cross_items.csv``, ``ITEM_COLUMNS``): the stochastic samplers (eta = 1,
  reverse SDE) run along the other noise factor's path with the same generator seed as the study;
  method ``{network}-{sampler}-on-{noise}`` (``mod-1e-2-sde-on-global``), to be paired with the
  study's ``mod-1e-2-sde`` in ``modulation_study_items.csv``;
* ``--summarize`` writes ``*_summary.csv``: the paired differences with their two-stage bootstrap
  95 % intervals (:mod:`rdbm_core.evidence.stats`) of both parts, from whatever rows exist.

Resumable like the study: (task, network, seed) already in a CSV are skipped.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from modulation_study import (  # noqa: E402
    CPU_BUDGET, NOISES, benchmark_batch, item_metrics, lam_label, network_name, sample_cell,
)
from rdbm_core.networks.checkpoints import load_trained  # noqa: E402
from rdbm_core.evidence.error_profile import REGION_METRICS, x0_error_by_time  # noqa: E402
from rdbm_core.restoration.evaluation import ITEM_COLUMNS  # noqa: E402
from rdbm_core.data.files import append_rows, read_rows  # noqa: E402
from rdbm_core.evidence.stats import paired_difference  # noqa: E402

BY_T_COLUMNS = ("task", "method", "network", "marginal", "t", "seed", "item", *REGION_METRICS)
SUMMARY_COLUMNS = ("part", "task", "lam", "t", "sampler", "metric", "a", "b", "mean", "low", "high", "seeds",
                   "items", "verdict")
CROSS_SAMPLERS = ("eta1", "sde")
LAMS = (1e-4, 1e-3, 1e-2, 0.1)
OTHER = {"modulated": "global", "global": "modulated"}


def by_t_method(lam: float, noise: str, marginal: str, t) -> str:
    return f"{network_name(lam, noise)}@{marginal}-t{t}"


def cross_method(lam: float, noise: str, sampler: str) -> str:
    return f"{network_name(lam, noise)}-{sampler}-on-{OTHER[noise]}"


def run(args) -> None:
    out = Path(args.out)
    by_t_csv, cross_csv = (out.with_name(out.name + s) for s in ("_by_t.csv", "_cross_items.csv"))
    done_t = {(r["task"], r["network"], int(r["seed"])) for r in read_rows(by_t_csv)}
    done_x = {(r["task"], r["method"], int(r["seed"])) for r in read_rows(cross_csv)}
    t0 = time.perf_counter()
    for seed in args.seeds:
        for task in args.tasks:
            bench = None
            for lam in args.lams:
                for noise in NOISES:
                    net = network_name(lam, noise)
                    ckpt = Path(args.workdir) / f"{task}_{net}_{seed}" / "checkpoint.pt"
                    todo_x = [s for s in CROSS_SAMPLERS if (task, cross_method(lam, noise, s), seed) not in done_x]
                    if not ckpt.exists() or ((task, net, seed) in done_t and not todo_x):
                        continue
                    bench = bench or benchmark_batch(task, replace(CPU_BUDGET, eval_items=args.eval_items,
                                                                          eval_crop=args.eval_crop))
                    model, path, config = load_trained(ckpt)
                    if (task, net, seed) not in done_t:
                        times = path.schedule.sampling_times(args.sample_steps)[:-1]
                        rows = []
                        for marginal in NOISES:
                            g = torch.Generator().manual_seed(seed)
                            for r in x0_error_by_time(model, path, bench["x0"], bench["mu"], times,
                                                      marginal=path.with_noise(marginal), generator=g):
                                rows.append({"task": task, "method": by_t_method(lam, noise, marginal, r["t"]),
                                             "network": net, "marginal": marginal, "seed": seed,
                                             **{k: round(v, 6) if k in REGION_METRICS else v for k, v in r.items()}})
                        append_rows(by_t_csv, rows, BY_T_COLUMNS)
                        done_t.add((task, net, seed))
                    for smp in todo_x:
                        restored = sample_cell(model, path.with_noise(OTHER[noise]), bench, smp, seed,
                                               args.sample_steps)
                        append_rows(cross_csv, item_metrics(restored, bench, task, cross_method(lam, noise, smp),
                                                            seed), ITEM_COLUMNS)
                        done_x.add((task, cross_method(lam, noise, smp), seed))
                    print(f"[{time.perf_counter() - t0:6.0f}s] {task} seed {seed} {net}: done", flush=True)


def summarize(args) -> list[dict]:
    """Paired differences with 95 % intervals: modulated - global network at each t (on the own marginal of
    each, and on each fixed marginal), and cross-sampled - own-path sampling."""
    out = Path(args.out)
    by_t = read_rows(out.with_name(out.name + "_by_t.csv"))
    cross = read_rows(out.with_name(out.name + "_cross_items.csv")) + read_rows(args.study_items)
    rows = []

    def add(part, task, lam, t, sampler, metric, a, b, pool):
        try:
            d = paired_difference(pool, task, a, b, metric, draws=args.draws)
        except ValueError:
            return
        rows.append({"part": part, "task": task, "lam": lam_label(lam), "t": t, "sampler": sampler, "metric": metric,
                     "a": a, "b": b, "mean": round(d.mean, 4), "low": round(d.low, 4), "high": round(d.high, 4),
                     "seeds": " ".join(map(str, d.seeds)), "items": d.items, "verdict": d.verdict})

    ts = sorted({int(r["t"]) for r in by_t}, reverse=True)
    for task in args.tasks:
        for lam in args.lams:
            for t in ts:
                for metric in REGION_METRICS:
                    own_a, own_b = by_t_method(lam, "modulated", "modulated", t), by_t_method(lam, "global", "global", t)
                    add("by_t:own", task, lam, t, "", metric, own_a, own_b, by_t)
                    for marginal in NOISES:
                        add(f"by_t:on-{marginal}", task, lam, t, "", metric, by_t_method(lam, "modulated", marginal, t),
                            by_t_method(lam, "global", marginal, t), by_t)
            for noise in NOISES:
                for smp in CROSS_SAMPLERS:
                    for metric in ("psnr", *REGION_METRICS):
                        add(f"cross:{network_name(lam, noise)}", task, lam, "", smp, metric,
                            cross_method(lam, noise, smp), f"{network_name(lam, noise)}-{smp}", cross)
    path = out.with_name(out.name + "_summary.csv")
    path.unlink(missing_ok=True)
    append_rows(path, rows, SUMMARY_COLUMNS)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["derain", "inpaint", "lowlight"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--lams", nargs="+", type=float, default=list(LAMS))
    p.add_argument("--sample-steps", type=int, default=CPU_BUDGET.sample_steps)
    p.add_argument("--eval-items", type=int, default=CPU_BUDGET.eval_items)
    p.add_argument("--eval-crop", type=int, default=CPU_BUDGET.eval_crop)
    p.add_argument("--workdir", default="runs/modulation_study", help="the modulation study's trainings")
    p.add_argument("--out", default="benchmarks/results/where_error_goes", help="prefix of the CSVs")
    p.add_argument("--study-items", default="benchmarks/results/modulation_study_items.csv")
    p.add_argument("--summarize", action="store_true", help="only write the summary of the rows present")
    p.add_argument("--draws", type=int, default=2000)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if not args.summarize:
        run(args)
    rows = summarize(args)
    print(f"{len(rows)} paired differences in {args.out}_summary.csv", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
