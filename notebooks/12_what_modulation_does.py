# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12 — What residual modulation does (skeleton: the grid is still running)
#
# **What you will learn.** Whether modulating the bridge's noise by the residual $\pi = x_0 - \mu$ (RDBM) helps
# compared with the same bridge with global noise, at which noise level $\lambda$, with which sampler, on which
# task, and where (on the degraded or on the intact pixels) — read as paired differences with 95 % intervals.
#
# **Prerequisites.** Notebooks 02 (the implicit step: with $\eta = 0$ from $x_T = \mu$ the noise factor cancels),
# 05 (residual modulation), 07 (the paired comparison and its intervals) and 10 (a learned toy bridge).
#
# **Full-mode wall time: about 20 s** (it only reads committed CSVs and bootstraps them; fast mode does the same).
#
# **Status: PARTIAL.** The grid of `benchmarks/modulation_study.py` (lam in {0, 1e-4, 1e-3, 1e-2, 0.1} x noise
# {modulated, global} x sampler {implicit eta = 0, implicit eta = 1, reverse SDE (Euler-Maruyama)}, all at 10
# network evaluations, plus the regression network; derain, inpaint, lowlight; training seeds 0-4) runs in the
# background in several sittings. The cell below counts what the committed CSV holds; every statement further
# down is computed from the rows present, and a verdict is only given where the intervals show one.
#
# This draft lives in `notebooks/drafts/` (outside the course: no exercises yet) until the grid is complete; it
# then moves to `notebooks/` with its exercises, solutions and measured times.

# %%
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from rdbm_core.metrics import read_rows
from rdbm_core.stats import paired_difference

RESULTS = Path("..") / ".." / "benchmarks" / "results"
study = read_rows(RESULTS / "modulation_study.csv")
items = read_rows(RESULTS / "modulation_study_items.csv")
meta = json.loads((RESULTS / "modulation_study.json").read_text())
grid = meta["grid"]
TASKS, SEEDS = grid["tasks"], grid["seeds"]
LAMS = ["1e-4", "1e-3", "1e-2", "1e-1"]
SAMPLERS = {"eta0": "implicit, eta = 0", "eta1": "implicit, eta = 1", "sde": "reverse SDE (Euler-Maruyama)"}
PER_BLOCK = 3 + len(LAMS) * 2 * 3 + 1  # lam = 0 (3 samplers) + lam x noise x sampler + regression
MIN_SEEDS = 3  # no verdict from fewer training seeds (the seed is the largest source of noise here)

done = {}
for r in study:
    done.setdefault((r["task"], int(r["seed"])), set()).add(r["method"])
complete = {t: [s for s in SEEDS if len(done.get((t, s), ())) == PER_BLOCK] for t in TASKS}
display(Markdown(
    f"Budget: {meta['budget']['preset']} U-Net, {meta['budget']['steps']} steps of batch {meta['budget']['batch']} "
    f"on {meta['budget']['crop']}x{meta['budget']['crop']} crops, {meta['budget']['sample_steps']} network "
    f"evaluations per restoration, {meta['budget']['eval_items']} benchmark items; machine: {meta['machine']}.\n\n"
    f"**{len(study)} of {len(TASKS) * len(SEEDS) * PER_BLOCK} rows** of the grid are in the CSV. Complete "
    "(task, seed) blocks: " + "; ".join(f"{t}: seeds {complete[t] or 'none'}" for t in TASKS) + "."))
assert all(len(m) <= PER_BLOCK for m in done.values())

# %% [markdown]
# ## The landscape
#
# For every task (rows), sampler (columns) and $\lambda$: the paired difference **modulated − global** (the same
# bridge, the same seeds, the same items; only the noise factor differs), and each of them **− regression** (the
# same U-Net predicting $x_0$ from $\mu$ in one pass), PSNR in dB with its two-stage bootstrap 95 % interval
# (`rdbm_core.stats`: seeds and items resampled). At $\lambda = 0$ the bridge is the deterministic interpolant:
# there is one network, so modulated − global is 0 by construction, and only its difference to regression is drawn.
# Remember (notebook 02) that with $\eta = 0$ the sampler does not see the noise factor: in the first column any
# difference between modulated and global comes from what the networks learned.


# %%
def diff(task, a, b, metric="psnr"):
    """The paired difference a - b with its interval, or None when the rows are not there yet."""
    try:
        return paired_difference(items, task, a, b, metric)
    except ValueError:
        return None


COMPARISONS = {  # label -> (a, b) as functions of (lam, sampler)
    "modulated − global": lambda lam, s: (f"mod-{lam}-{s}", f"glob-{lam}-{s}"),
    "modulated − regression": lambda lam, s: (f"mod-{lam}-{s}", "regression"),
    "global − regression": lambda lam, s: (f"glob-{lam}-{s}", "regression"),
}
landscape = {}
for metric in ("psnr", "psnr_degraded", "psnr_intact"):
    for task in TASKS:
        for s in SAMPLERS:
            landscape[(metric, task, s, "0", "interpolant − regression")] = diff(task, f"lam0-{s}", "regression",
                                                                              metric)
            for lam in LAMS:
                for label, pair in COMPARISONS.items():
                    landscape[(metric, task, s, lam, label)] = diff(task, *pair(lam, s), metric)
found = [d for d in landscape.values() if d is not None]
assert all(d.low <= d.mean <= d.high for d in found)


def draw(metric, labels, title):
    xs = ["0", *LAMS]
    fig, axes = plt.subplots(len(TASKS), len(SAMPLERS), figsize=(4.2 * len(SAMPLERS), 3.0 * len(TASKS)),
                             sharex=True, squeeze=False)
    colours = {"modulated − global": "C3", "modulated − regression": "C0", "global − regression": "C2",
               "interpolant − regression": "k"}
    for i, task in enumerate(TASKS):
        for j, s in enumerate(SAMPLERS):
            ax = axes[i, j]
            ax.axhline(0, color="0.6", lw=0.8)
            series = [(label, [(x, landscape.get((metric, task, s, lam, label))) for x, lam in enumerate(LAMS, 1)])
                      for label in labels]
            if any("regression" in label for label in labels):
                series.append(("interpolant − regression",
                               [(0, landscape.get((metric, task, s, "0", "interpolant − regression")))]))
            for k, (label, points) in enumerate(series):
                off = 0.12 * (k - (len(series) - 1) / 2)
                shown = [(x, d) for x, d in points if d is not None]
                for n, (x, d) in enumerate(shown):
                    ax.errorbar(x + off, d.mean, yerr=[[d.mean - d.low], [d.high - d.mean]], fmt="o", ms=4,
                                color=colours[label], capsize=2, label=label if n == 0 else None)
            ax.set_xticks(range(len(xs)), xs)
            if i == 0:
                ax.set_title(SAMPLERS[s], fontsize=10)
            if j == 0:
                ax.set_ylabel(f"{task}\nΔ {metric} (dB)")
            if i == len(TASKS) - 1:
                ax.set_xlabel("lam")
    handles, names = [], []
    for ax in axes.flat:
        for h, n in zip(*ax.get_legend_handles_labels()):
            if n not in names:
                handles.append(h)
                names.append(n)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize=9, frameon=False)
    plt.show()


draw("psnr", list(COMPARISONS), "PSNR differences with 95 % intervals (PARTIAL: seeds present so far)")

# %% [markdown]
# RDBM's claim is about regions: modulation should restore the degraded pixels and leave the intact ones alone.
# The same difference **modulated − global**, separately on the degraded and on the intact pixels (the
# degradation's mask, as every metric of the library uses it; lowlight degrades nearly every pixel, so its
# intact region is a few pixels per item and its intact PSNR is not worth reading):

# %%
for metric in ("psnr_degraded", "psnr_intact"):
    draw(metric, ["modulated − global"], f"modulated − global, {metric} (PARTIAL)")

# %% [markdown]
# ## Where the error goes
#
# `benchmarks/where_error_goes.py` asks each trained network for $\hat x_0(x_t, t)$ at the 10 times of the
# sampling grid, with $x_t$ drawn from its own training marginal and from the other noise factor's
# (`rdbm_core.error_profile.x0_error_by_time`), and measures PSNR on the degraded and on the intact pixels. The
# left panels show the mean over items and seeds (own marginal); the right ones the paired difference
# modulated − global network **on the same (global) marginal** with its 95 % interval: a difference there is in
# what the networks learned, not in the inputs they were shown (that marginal is the global network's training
# distribution; the modulated network never saw noise on intact pixels). Lowlight's intact curves rest on a few
# pixels per item.

# %%
by_t = read_rows(RESULTS / "where_error_goes_by_t.csv")
summary = read_rows(RESULTS / "where_error_goes_summary.csv")
lams_t = [lam for lam in LAMS if any(r["network"] == f"mod-{lam}" for r in by_t)]
if by_t:
    fig, axes = plt.subplots(len(TASKS), 2, figsize=(10, 2.8 * len(TASKS)), squeeze=False)
    for i, task in enumerate(TASKS):
        for lam, ls in zip(lams_t, ("-", "--", "-.", ":")):
            for noise, c in (("mod", "C3"), ("glob", "C2")):
                for region, marker in (("psnr_degraded", "o"), ("psnr_intact", "s")):
                    own = "modulated" if noise == "mod" else "global"
                    rows = [r for r in by_t if r["task"] == task and r["network"] == f"{noise}-{lam}"
                            and r["marginal"] == own]
                    ts = sorted({int(r["t"]) for r in rows})
                    means = [np.mean([min(float(r[region]), 100.0) for r in rows if int(r["t"]) == t
                                      and math.isfinite(float(r[region]))] or [np.nan]) for t in ts]
                    axes[i, 0].plot(ts, means, ls=ls, marker=marker, ms=3, color=c,
                                    label=f"{noise} {lam} {region.split('_')[1]}")
            for region, c in (("psnr_degraded", "C1"), ("psnr_intact", "C4")):
                rows = [r for r in summary if r["part"] == "by_t:on-global" and r["task"] == task
                        and r["lam"] == lam and r["metric"] == region]
                ts = [int(r["t"]) for r in rows]
                mean = np.array([float(r["mean"]) for r in rows])
                err = [mean - np.array([float(r["low"]) for r in rows]), np.array([float(r["high"]) for r in rows]) - mean]
                axes[i, 1].errorbar(ts, mean, yerr=err, fmt="o", linestyle=ls, ms=3, color=c,
                                    capsize=2, label=f"{region.split('_')[1]}, lam {lam}")
        axes[i, 0].set_ylabel(f"{task}\nPSNR of x0_hat (dB)")
        axes[i, 1].axhline(0, color="0.6", lw=0.8)
        axes[i, 1].set_ylabel("mod − glob network (dB)")
        for ax in axes[i]:
            ax.invert_xaxis()
    axes[0, 0].legend(fontsize=7, ncol=2)
    axes[0, 1].legend(fontsize=7)
    axes[-1, 0].set_xlabel("t (grid time; a sampler runs from left to right)")
    axes[-1, 1].set_xlabel("t")
    fig.suptitle("Where the error goes (PARTIAL)", y=1.01)
    fig.tight_layout()
    plt.show()
display(Markdown(f"Rows by time: {len(by_t)}; networks: {sorted({r['network'] for r in by_t})}; seeds: "
                 f"{sorted({int(r['seed']) for r in by_t})}."))

# %% [markdown]
# **Cross-sampling.** The stochastic samplers (eta = 1, reverse SDE) run along the *other* noise factor's path
# with the same network and the same random draws: cross-sampled − own path, PSNR (dB).

# %%
cross = [r for r in summary if r["part"].startswith("cross:") and r["metric"] == "psnr"]
lines = ["| task | lam | network | sampler | cross − own (dB) [95 %] | seeds |", "|---|---|---|---|---|---|"]
lines += [f"| {r['task']} | {r['lam']} | {r['part'][6:]} | {r['sampler']} | {float(r['mean']):+.3f} "
          f"[{float(r['low']):+.3f}, {float(r['high']):+.3f}] | {r['seeds']} |" for r in cross]
display(Markdown("\n".join(lines) if cross else "No cross-sampling rows yet."))

# %% [markdown]
# ## Verdict (partial)
#
# Computed from the intervals above, only for comparisons with at least `MIN_SEEDS` = 3 training seeds; a
# difference whose interval contains 0 is "no difference established". As long as the grid is incomplete, this
# is a statement about the seeds present, not the study's answer.

# %%
established, ties, thin = [], 0, 0
for (metric, task, s, lam, label), d in landscape.items():
    if d is None or metric != "psnr":
        continue
    if len(d.seeds) < MIN_SEEDS:
        thin += 1
        continue
    if d.verdict == "tie":
        ties += 1
        continue
    a, b = label.split(" − ")
    win, lose = (a, b) if d.verdict == "a" else (b, a)
    established.append(f"- {task}, {SAMPLERS[s]}, lam {lam}: **{win}** beats {lose} by {abs(d.mean):.2f} dB "
                       f"[{min(abs(d.low), abs(d.high)):.2f}, {max(abs(d.low), abs(d.high)):.2f}] "
                       f"(seeds {d.seeds})")
display(Markdown(
    f"PSNR comparisons with at least {MIN_SEEDS} seeds: {len(established) + ties}; established differences: "
    f"{len(established)}; no difference established: {ties}; not judged (fewer seeds so far): {thin}.\n\n"
    + ("\n".join(established) if established else "No established difference yet.")))
