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
# # 07 — The bridge comparison
#
# **What you will learn.** How to compare diffusion bridges *fairly* — one U-Net, one training budget, one set of
# seeds, one sampler for every method — and how to read the result: overall PSNR/SSIM, and separately on the
# degraded and on the intact pixels, against the spread over seeds.
#
# **Prerequisites.** Notebooks 02 (the residual path), 03 (the special cases) and 06 (training).
#
# **Full-mode wall time: about 10 s** (it reads the results of `benchmarks/bridge_comparison.py`; the 42 runs
# themselves took 527 s on an H200, 14 at a time). `FAST=1` (CI) instead trains a tiny version of
# every method for a few steps on the CPU; its numbers mean nothing.
#
# The methods (see `rdbm_core/comparison.py`): **rdbm** (residual-modulated noise), **goub** (the *same* bridge
# with global noise — the switch `noise="global"` isolates what modulation does), **bbdm**, **ddbm-ve**,
# **i2sb**, **irsde** (each with its published constants) and **regression** (the same U-Net predicting
# $x_0$ from $\mu$ in one pass). Every bridge predicts $x_0$ with an L1 loss through the same
# preconditioning and is sampled with the implicit sampler ($\eta = 0$) with the same number of network
# evaluations.

# %%
import csv
import json
import math
import os
import statistics
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from rdbm_core.comparison import COLUMNS, INPUT_COLUMNS, METHODS, Budget, append_row, read_rows, run_one

FAST = os.environ.get("FAST") == "1"
RESULTS = Path("..") / "benchmarks" / "results"

# %% [markdown]
# ## The results
#
# `benchmarks/results/bridge_comparison.csv` holds one row per (task, method, seed); its `.json` says which
# command, machine, budget and training photographs produced it. A seed changes everything random in a run:
# the network's initialisation, the training crops and degradations, the training noise *and* the
# degradations of the four held-out test photographs (`data.test_pairs`, seed `1000 + seed`). So two seeds
# differ in their test sets too, which is why the verdict below compares methods *within* a seed.

# %%
if FAST:
    work = Path(tempfile.mkdtemp())
    csv_path = work / "comparison.csv"
    budget = Budget(steps=3, batch=2, crop=32, preset="tiny", pool=8, sample_steps=3, eval_images=1, eval_crop=48,
                    device="cpu")
    for method in METHODS:
        row, inputs = run_one("derain", method, 0, budget, work / "runs")
        append_row(csv_path, row)
    append_row(work / "comparison_inputs.csv", inputs, INPUT_COLUMNS)
    source = "a tiny CPU run made just now (FAST=1)"
else:
    csv_path = RESULTS / "bridge_comparison.csv"
    if not csv_path.exists():
        raise FileNotFoundError(f"{csv_path} is missing: run benchmarks/bridge_comparison.py (see the README)")
    meta = json.loads(csv_path.with_suffix(".json").read_text())
    source = f"`{csv_path.relative_to(Path('..'))}`, made by `{meta['command']}`. {meta.get('note', meta['machine'])}"
rows = read_rows(csv_path)
inputs = read_rows(csv_path.with_name(csv_path.stem + "_inputs.csv"))
display(Markdown(f"**Source:** {source}"))
assert rows and set(rows[0]) == set(COLUMNS)

# %% [markdown]
# ## Table: mean over seeds (± spread where there are several)

# %%
METRICS = ["psnr", "ssim", "psnr_degraded", "psnr_intact", "ssim_degraded", "ssim_intact"]
tasks = sorted({r["task"] for r in rows}, key=["derain", "inpaint", "lowlight"].index if not FAST else str)


def cell(values):
    """Mean, with ± half the range over seeds when there are several; 'inf' kept; — when a seed has no value
    (no intact pixels: low-light changes every pixel but a handful of black ones)."""
    vals = [float(v) for v in values]
    if not vals or any(math.isnan(v) for v in vals):
        return "—"
    if any(math.isinf(v) for v in vals):
        return "∞"
    mean = statistics.fmean(vals)
    return f"{mean:.3f}" + (f" ± {(max(vals) - min(vals)) / 2:.3f}" if len(vals) > 1 else "")


summary = {}
lines = []
for task in tasks:
    task_rows = [r for r in rows if r["task"] == task]
    n_seeds = sorted({sum(r["method"] == m for r in task_rows) for m in METHODS} - {0})
    lines.append(f"\n**{task}** (seeds per method: {', '.join(map(str, n_seeds))})\n")
    lines.append("| method | " + " | ".join(METRICS) + " |")
    lines.append("|---" * (len(METRICS) + 1) + "|")
    inp = [r for r in inputs if r["task"] == task]
    lines.append("| *degraded input* | " + " | ".join(cell([r[m] for r in inp]) for m in METRICS) + " |")
    for method in METHODS:
        mr = [r for r in task_rows if r["method"] == method]
        if mr:
            summary[(task, method)] = [float(r["psnr"]) for r in mr]
            lines.append(f"| {method} | " + " | ".join(cell([r[m] for r in mr]) for m in METRICS) + " |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Plot: PSNR on the whole image and on the degraded pixels (dots: the seeds)

# %%
fig, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 4), squeeze=False)
for ax, task in zip(axes[0], tasks):
    methods = [m for m in METHODS if (task, m) in summary]
    x = np.arange(len(methods))
    for offset, key, colour in ((-0.2, "psnr_degraded", "tab:red"), (0.2, "psnr", "tab:blue")):
        vals = [[float(r[key]) for r in rows if r["task"] == task and r["method"] == m] for m in methods]
        ax.bar(x + offset, [np.mean(v) for v in vals], width=0.4, color=colour, alpha=0.8,
               label={"psnr_degraded": "degraded pixels", "psnr": "whole image"}[key])
        for xi, v in zip(x, vals):
            ax.plot([xi + offset] * len(v), v, "k.", ms=4)
    base = [float(r["psnr"]) for r in inputs if r["task"] == task]
    if base:
        ax.axhline(np.mean(base), color="grey", ls="--", lw=1, label="degraded input (whole image)")
    ax.set_xticks(x, methods, rotation=40, ha="right")
    ax.set_title(task)
    ax.set_ylabel("PSNR (dB)")
axes[0][0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What the numbers say
#
# The verdict is computed from the table, not written by hand. For each task: the best method, RDBM's rank,
# and RDBM's PSNR minus that of the best other method **within each seed** (the same test images, the same
# degradations). A gap counts as beyond the spread over seeds only when every seed's difference has the same
# sign and their mean exceeds half their range; with two seeds that is a low bar, so read it as "consistent",
# not as "significant". The second table isolates residual modulation: RDBM against GOUB, the same bridge
# with global noise.

# %%
def paired(task, a, b):
    """Per-seed PSNR differences a - b (seeds that both methods have)."""
    by_seed = {m: {r["seed"]: float(r["psnr"]) for r in rows if r["task"] == task and r["method"] == m}
               for m in (a, b)}
    return [by_seed[a][s] - by_seed[b][s] for s in sorted(by_seed[a].keys() & by_seed[b].keys())]


def consistent(diffs):
    if len(diffs) < 2:
        return "not established (one seed)"
    mean, half_range = statistics.fmean(diffs), (max(diffs) - min(diffs)) / 2
    return "yes" if abs(mean) > half_range else "no"


verdict, modulation, facts = [], [], {}
for task in tasks:
    ranked = sorted(((statistics.fmean(v), m) for (t, m), v in summary.items() if t == task), reverse=True)
    if not any(m == "rdbm" for _, m in ranked):
        continue
    best_other = max((s, m) for s, m in ranked if m != "rdbm")[1]
    rank = [m for _, m in ranked].index("rdbm") + 1
    diffs = paired(task, "rdbm", best_other)
    facts[task] = {"rank": rank, "vs": best_other, "diffs": diffs, "consistent": consistent(diffs)}
    verdict.append(f"| {task} | {ranked[0][1]} ({ranked[0][0]:.2f} dB) | {rank} of {len(ranked)} | "
                   f"{statistics.fmean(diffs):+.2f} dB vs {best_other} | "
                   f"{', '.join(f'{d:+.2f}' for d in diffs)} | {facts[task]['consistent']} |")
    g = paired(task, "rdbm", "goub")
    if g:
        facts[task]["vs_goub"] = g
        modulation.append(f"| {task} | {statistics.fmean(g):+.2f} dB | {', '.join(f'{d:+.2f}' for d in g)} | "
                          f"{consistent(g)} |")
display(Markdown("| task | best | RDBM's rank | RDBM's mean gap | per seed | same sign, beyond the spread? |\n"
                 "|---|---|---|---|---|---|\n" + "\n".join(verdict)))
display(Markdown("| task | RDBM − GOUB | per seed | same sign, beyond the spread? |\n|---|---|---|---|\n"
                 + "\n".join(modulation)))
assert verdict and all(len(f["diffs"]) == (1 if FAST else 2) for f in facts.values())

# %% [markdown]
# **Read honestly** (this describes the committed full-mode results above: a 1.6 M-parameter U-Net, 800 steps
# of 48 crops of 64×64 per method, two seeds, 10 sampling steps, four whole held-out photographs per seed).
#
# * **The paper's central claim is not reproduced at this scale.** RDBM is best on no task by a margin the
#   seeds support. On *inpainting* it has the highest mean PSNR (26.20 dB), but the one-pass regression network
#   is 0.02 dB behind and the per-seed differences (+1.11 and −1.08 dB) disagree in sign; I2SB and BBDM are
#   within 0.3 dB. On *deraining* RDBM is sixth of seven, 2.3 and 3.3 dB behind I2SB in the two seeds. On
#   *low light* it is fourth, behind regression, GOUB and IR-SDE, 1.2 dB behind regression on average (2.4
#   and 0.07 dB in the two seeds).
# * **The one-pass regression network is a hard baseline**: best on low light, within 0.2 dB of the best on
#   the other two tasks, at one network evaluation instead of ten.
# * **Residual modulation helps where it should.** Against GOUB — the identical bridge with global noise —
#   RDBM gains about 0.8 dB on inpainting in both seeds, on the degraded pixels (+0.8 dB) and even more on the
#   intact ones (51.1 against 47.8 dB in seed 0): where the residual is zero the modulated path carries no noise
#   and the mask is respected. On deraining and low light, where nearly every pixel is degraded, global noise
#   is 0.3–1.0 dB better in both seeds.
# * **Scale matters**: the paper trains far larger networks for hundreds of thousands of steps on real
#   datasets; 800 steps is a budget at which a direct regressor is known to be competitive. The comparison is
#   fair (same network, steps, batch, seeds and sampler for all) but small; rerun
#   `benchmarks/bridge_comparison.py` with a larger `--steps` and `--preset base` on a GPU to test the claim
#   where the paper makes it.

# %%
if not FAST:  # the text above is about these numbers: fail loudly if the CSV changes under it
    assert facts["inpaint"]["rank"] == 1 and facts["inpaint"]["consistent"] == "no"
    assert facts["derain"]["consistent"] == "yes" and max(facts["derain"]["diffs"]) < -2
    assert all(d > 0.5 for d in facts["inpaint"]["vs_goub"])
    assert all(d < 0 for t in ("derain", "lowlight") for d in facts[t]["vs_goub"])

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/07_bridge_comparison_solutions.ipynb`.
#
# **07.1 (implement).** The verdict compares methods *within* a seed. Write `paired(rows, task, a, b)`: given
# rows as `csv.DictReader` returns them (all values strings, columns `task, method, seed, psnr, ...`), return
# the list of `PSNR(a) - PSNR(b)` for every seed that both methods have on `task`, in increasing seed order.

# %%
from rdbm_course.exercises import check

answer_07_1 = ...  # a function paired(rows, task, a, b) -> list of floats
check("07.1", answer_07_1)

# %% [markdown]
# **07.2 (predict).** GOUB is RDBM with global instead of residual-modulated noise. Before reading the
# `psnr_degraded` column, predict for inpainting (intact pixels exactly right) and for deraining (almost every
# pixel touched) which of the two fills the *degraded* pixels better in every seed: answer a dict
# `{"inpaint": ..., "derain": ...}` with values `"rdbm"`, `"goub"` or `"mixed"` (the seeds disagree).

# %%
answer_07_2 = ...  # {"inpaint": "rdbm" | "goub" | "mixed", "derain": ...}
check("07.2", answer_07_2)
