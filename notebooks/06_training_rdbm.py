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
# # 06 — Training a full RDBM
#
# **What you will learn.** How to train the residual diffusion bridge with the library's trainer on the
# embedded default data (deraining and inpainting), how to read its loss curve, and how to measure a
# restoration honestly: PSNR and SSIM over the whole image, on the *degraded* pixels and on the *intact* ones.
#
# **Prerequisites.** Notebooks 02a–02c (the RDBM path `x_t = mu + Theta_t pi + Sigma_t pi eps` and its samplers) and
# notebook 05 (why intact pixels never move along RDBM's path).
#
# **Full-mode wall time: about a minute on a 2-core CPU** (0.8 min in the committed run, 2026-12-07, on a machine
# shared with other jobs), evaluation only: the two networks this notebook trains ship with the course
# (`rdbm_course.pretrained`, trained by the command line with exactly the configuration of section 1), and are
# loaded instead of trained. `RETRAIN=1` trains them here instead (3.7 and 9.5 minutes on one thread of that
# shared CPU, measured when they were shipped). `FAST=1` (CI) trains a tiny network for 20 steps: its numbers
# mean nothing.

# %%
import math
import os
import time
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Image, Markdown, display

from rdbm_core import bridges
from rdbm_core.checkpoints import load_weights
from rdbm_core.data import SyntheticPairs
from rdbm_core.degradations import degraded_mask
from rdbm_core.evaluation import evaluate, restore
from rdbm_core.training import TrainConfig, load_trained, train
from rdbm_course import pretrained

FAST = os.environ.get("FAST") == "1"
RETRAIN = os.environ.get("RETRAIN") == "1"  # train the two networks here instead of loading the shipped ones
# One torch thread: on a machine shared with other processes, a second thread competes with them and can make
# training several times slower. On a machine of your own, delete
# this line to use every core; training runs a fixed number of steps, so the results do not depend on it.
torch.set_num_threads(1)
# runs/ at the repository root (git-ignored), whether the kernel starts in notebooks/ or in the root
ROOT = Path.cwd() if (Path.cwd() / "rdbm_core").is_dir() else Path.cwd().parent
RUNS = ROOT / "runs"
NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1. The configuration
#
# One `TrainConfig` describes a run completely (it is stored in the checkpoint). The settings below are those of
# the command-line demo (`python -m rdbm_core demo`): the `small` U-Net (1.6 M parameters), random 64x64 crops
# of the training photographs, batch 8, AdamW with learning rate 5e-4, EMA 0.999, a pool of 1024 distinct
# training pairs. The bridge is RDBM with the reference conventions (N = 100 cosine steps, `lam = 1e-4`,
# noise modulated by the residual), the network predicts `x0` through `x0_hat = mu + net(x_t, mu, t)`, and the
# loss is L1 on `x0`. Training runs a fixed number of steps rather than a time budget
# (`TrainConfig(time_budget=240, steps=100_000)` would stop after 4 minutes): every step's batch and random
# numbers depend only on the seed and the step, so the result is the same on any machine, only the wall time
# differs. Trained here (`RETRAIN=1`), the checkpoints land in `runs/nb06_derain/` and `runs/nb06_inpaint/`
# (git-ignored); otherwise the shipped weights files of exactly these configurations are loaded. Deraining gets 300 steps; inpainting 600, because filling a hole means *inventing* content, which
# takes longer to learn than removing streaks (at 300 steps our inpainting network was no better than its
# input). The held-out test photographs (`chelsea`, `coffee`, `rocket`, `camera`) are never seen in training.


# %%
TRAIN_STEPS = {"derain": 300, "inpaint": 600}  # 2400 and 4800 training crops


def config_for(task: str) -> TrainConfig:
    if FAST:  # the fast (smoke) configuration of FAST=1: a tiny network for 20 steps
        return TrainConfig.smoke(task=task, out=str(RUNS / f"nb06_{task}_fast"))
    return TrainConfig(task=task, preset="small", crop=64, batch=8, pool=1024, lr=5e-4, steps=TRAIN_STEPS[task],
                       ckpt_every=0, out=str(RUNS / f"nb06_{task}"))


TASKS = ("derain", "inpaint")
shown = config_for("derain")
print(replace(shown, out=str(Path(shown.out).relative_to(ROOT))))  # the folder relative to the repository

# %% [markdown]
# ## 2. Training
#
# `train` returns the checkpoint path, the loss of every step, the wall time and the throughput. Each task
# gets its own network (same seed and settings; inpainting trains twice as long). Unless `RETRAIN=1`, the
# networks are not trained here: the course ships them as *weights files* (the EMA weights with the run's
# config, step and losses, in safetensors, which loads without executing code), made by exactly this training
# through the command line (`python -m rdbm_core train ...`, then `python -m rdbm_core export`). The cell checks
# that each shipped network's config is the one above, and prints how it was made.

# %%
results = {}
for task in TASKS:
    if FAST or RETRAIN:
        r = train(config_for(task), progress=True)
        results[task] = {"checkpoint": r["checkpoint"], "losses": r["losses"], "step": r["step"]}
        print(f"{task:8s}: trained {r['step']} steps in {r['wall_s']:.0f} s ({r['images_per_s']:.1f} images/s)")
    else:
        file = pretrained.weights_file(f"nb06_{task}")
        _, meta = load_weights(file)
        shipped = TrainConfig.from_dict(meta["config"])
        assert replace(shipped, out=config_for(task).out) == config_for(task), f"{file.name}: another configuration"
        made = pretrained.record(f"nb06_{task}")
        results[task] = {"checkpoint": file, "losses": meta["losses"], "step": meta["step"]}
        print(f"{task:8s}: loaded {file.name}: {meta['step']} steps, trained in {made['wall_s']:.0f} s on "
              f"{made['date']} at commit {made['commit']} by\n          {made['command']}")
    print(f"{'':10s}mean loss of the last 50 steps {np.mean(results[task]['losses'][-50:]):.4f}")

assert all(math.isfinite(v) for r in results.values() for v in r["losses"])
assert all(Path(r["checkpoint"]).is_file() for r in results.values())


# %% [markdown]
# The loss is the L1 distance between `x0_hat` and `x0`, averaged over *all* pixels, at a random bridge time
# per image. It is noisy from step to step (different images, different times `t`), so we plot an
# exponential moving average on top of the raw values.

# %%
def smooth(values, alpha=0.05):
    """Exponential moving average (bias-corrected at the start)."""
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc = (1 - alpha) * acc + alpha * v
        out.append(acc / (1 - (1 - alpha) ** (i + 1)))
    return np.array(out)


fig, ax = plt.subplots(figsize=(7, 3.8))
for k, task in enumerate(TASKS):
    losses = np.array(results[task]["losses"])
    ax.plot(np.arange(1, len(losses) + 1), losses, color=f"C{k}", alpha=0.25, lw=0.8)
    ax.plot(np.arange(1, len(losses) + 1), smooth(losses), color=f"C{k}", lw=2, label=f"{task} (EMA of the loss)")
ax.set_yscale("log")
ax.set_xlabel("training step")
ax.set_ylabel("L1 loss on x0")
ax.set_title("RDBM training loss (faint: every step; bold: moving average)")
ax.legend()
plt.tight_layout()
plt.show()

smoothed = {task: smooth(results[task]["losses"]) for task in TASKS}
assert all(np.isfinite(s).all() for s in smoothed.values())
assert FAST or all(s[-1] < s[0] for s in smoothed.values()), "the loss should go down in full mode"

# %% [markdown]
# ## 3. Restoring held-out photographs
#
# `load_trained` rebuilds the network from the checkpoint with its EMA weights. The EMA starts at the initial
# network, which returns `mu` unchanged (its last layer is zero); its decay is warmed up,
# `min(0.999, (1 + k) / (10 + k))` at step `k`, so even in runs this short the initial weights are soon
# forgotten (a fixed 0.999 would still keep `0.999^300 ≈ 74%` of them after 300 steps). `evaluate` restores every test
# image with the reference sampler (implicit, `eta = 0`, 10 steps: 10 network evaluations), measures it against
# the clean image, and writes `metrics.json`, `metrics.csv` and a figure grid
# (input | restored | target | error) into the run folder. The test images are four 128x128 crops, one of each
# held-out photograph, with degradations fixed by the seed. Four crops and one training seed show what the
# restoration does; they are too few to compare methods (notebook 07 does that on 64 fixed items and three
# training seeds, with intervals).

# %%
evals, grids = {}, {}
for task in TASKS:
    model, path, config = load_trained(results[task]["checkpoint"])
    test = SyntheticPairs(task, "test", crop=32 if FAST else 128, length=2 if FAST else 4, seed=1000)
    out_dir = RUNS / f"nb06_{task}{'_fast' if FAST else ''}" / "eval"
    evals[task] = evaluate(model, path, test, steps=10, out_dir=out_dir, progress=False)
    grids[task] = out_dir / "restorations.png"
    print(f"{task}: wrote {out_dir.relative_to(ROOT) / 'metrics.json'} and {grids[task].name}")

assert all(math.isfinite(e["summary"]["psnr"]) and math.isfinite(e["summary"]["ssim"]) for e in evals.values())

# %% [markdown]
# ### Deraining
# Each row: the rainy input, the restoration, the clean target, and the absolute error of the restoration
# (in [0, 1] units, averaged over the colour channels). The titles give the PSNR against the target.
#
# Look before you read the numbers: **most streaks are still there.** A few minutes of CPU training teach the
# network to dim the streaks, not to remove them, and the error maps still trace them. On the third crop
# (rocket) the restoration is even worse than the input: the network darkens the sky along the image border and
# beside the tower, pixels the rain never touched. The cell after the figure measures how much of the rain is
# gone (about a quarter in the committed run).

# %%
display(Image(filename=str(grids["derain"])))

# %% [markdown]
# The share of the rain removed: on the degraded pixels, the mean absolute error of the restoration divided by
# that of the rainy input (1 = nothing removed, 0 = every streak gone).

# %%
derain_test = SyntheticPairs("derain", "test", crop=32 if FAST else 128, length=2 if FAST else 4, seed=1000)
derain_model, derain_path, _ = load_trained(results["derain"]["checkpoint"])
left = []
for item in derain_test:
    restored = restore(derain_model, derain_path, item["mu"][None], steps=10)[0]
    rain = degraded_mask(item["x0"], item["mu"]).expand_as(item["x0"])
    left.append(float((restored - item["x0"])[rain].abs().mean() / (item["mu"] - item["x0"])[rain].abs().mean()))
print("error left on the degraded pixels, restoration / input, per test image:",
      ", ".join(f"{v:.2f}" for v in left))
print(f"mean: {np.mean(left):.2f}, i.e. {100 * (1 - np.mean(left)):.0f} % of the rain removed on average")
assert all(math.isfinite(v) and v > 0 for v in left)

# %% [markdown]
# ### Inpainting
# The holes are filled with mid-grey (0 in [-1, 1] units). The brush width scales with the image (6-14% of its
# short side), so the holes of these 128x128 test crops are twice as wide as those of the 64x64 training crops: a
# harder test than training. With a few CPU minutes the network learns to continue colours and smooth structures
# into the holes, but the outlines of the holes stay visible and no texture is invented (on the fourth crop,
# grass, the fill is no better than the grey); sharp texture would need far more training.

# %%
display(Image(filename=str(grids["inpaint"])))

# %% [markdown]
# ## 4. The numbers: whole image, degraded pixels, intact pixels
#
# *Degraded* and *intact* have one meaning throughout the project, that of `degradations.degraded_mask`: a pixel
# is degraded when the degradation changed some channel by more than half an 8-bit level, intact otherwise (on
# 8-bit images: exactly `x0 != mu`). For inpainting that is the holes; for deraining the streaks *and* their faint
# tails. PSNR and SSIM are computed over the whole image, over the degraded pixels and over the intact ones, for
# the degraded input and for the restoration, then averaged over the test images.
# A PSNR of ∞ means the two images are identical on that region (the average caps it at 100 dB).

# %%
def fmt_psnr(v):
    return "∞ (identical)" if v >= 100 else f"{v:.2f}"


def table(summary):
    rows = ["| region | PSNR input (dB) | PSNR restored (dB) | SSIM input | SSIM restored |",
            "|---|---:|---:|---:|---:|"]
    for region, suffix in (("whole image", ""), ("degraded pixels", "_degraded"), ("intact pixels", "_intact")):
        rows.append(f"| {region} | {fmt_psnr(summary['input_psnr' + suffix])} | {fmt_psnr(summary['psnr' + suffix])} "
                    f"| {summary['input_ssim' + suffix]:.4f} | {summary['ssim' + suffix]:.4f} |")
    return "\n".join(rows)


for task in TASKS:
    s = evals[task]["summary"]
    display(Markdown(f"**{task}** ({s['count']} test images, {results[task]['step']} training steps)\n\n" + table(s)))

for task in TASKS:
    s = evals[task]["summary"]
    assert all(math.isfinite(s[k]) for k in ("psnr", "ssim", "psnr_degraded", "ssim_degraded", "ssim_intact"))
    assert FAST or s["psnr"] > s["input_psnr"], f"{task}: the restoration should beat the input in full mode"
    assert FAST or s["psnr_degraded"] > s["input_psnr_degraded"]

# %% [markdown]
# ## 5. What the intact-pixel numbers mean for RDBM
#
# Notebook 05 showed that along RDBM's *forward* path intact pixels never leave `mu`: the noise is
# `Sigma_t * pi * eps` and `pi = 0` there. It is tempting to explain the restoration's intact pixels the same way —
# "the sampler puts no noise there" — but that is wrong for the sampler used here. The reference sampler is
# implicit with `eta = 0`, started at `x_T = mu`: it injects **no noise at all**, on any pixel, and the noise
# factor cancels from its steps (notebook 02c, section 1; docs/theory.md §8, eq. 8.5): for a given network, the
# `eta = 0` trajectory is the same whether the bridge's noise is modulated by the residual or global. The cell below
# checks this on the
# trained inpainting network: the same network, sampled on RDBM's path and on the same path with global noise.

# %% tags=["nbval-check-output"]
inpaint_model, inpaint_path, inpaint_config = load_trained(results["inpaint"]["checkpoint"])
global_path = bridges.make(inpaint_config.bridge, lam=inpaint_config.lam, noise="global")
mu_test = torch.stack([item["mu"] for item in SyntheticPairs("inpaint", "test", crop=32, length=2, seed=1000)])
same_trajectory = (restore(inpaint_model, inpaint_path, mu_test, steps=10)
                   - restore(inpaint_model, global_path, mu_test, steps=10)).abs().max()
print("eta = 0 from mu: modulated and global noise give the same restoration:", bool(same_trajectory < 1e-5))
assert same_trajectory < 1e-5

# %% [markdown]
# So, as notebook 02c concluded, the modulation acts through **training** only (docs/theory.md §8-9): the
# network learned on RDBM's paths, where the intact pixels of `x_t` sit exactly at `mu` at every time, and its task
# there is to predict a residual of zero. The intact pixels of a restoration are therefore exactly as good as the
# network's belief that nothing
# needs fixing there: any error on them is the network's own (a small residual it predicts where there is none).
# Noise at sampling time matters only for the stochastic samplers (`eta > 0`, Euler–Maruyama: notebook 08), whose
# injected noise is proportional to the *predicted* residual.
#
# Reading the table with this in mind:
#
# * **Inpainting.** The input's intact PSNR is ∞: any finite number for the restoration measures damage done to
#   pixels that were already right. A high number (well above the whole-image PSNR) means the network leaves
#   them nearly alone; the improvement of the whole image then comes from the holes.
# * **Deraining.** The intact pixels are those the rain changed by at most half an 8-bit level, so the input's
#   intact PSNR is high but finite (about 71 dB). The restoration falls far below that there (to about 33 dB in
#   the committed run): the network predicts residuals where there is nothing to fix — the dark border and bands of
#   the rocket crop above. Its gain is on the degraded pixels only, and the whole-image PSNR, which mixes the two,
#   hides that it damages the rest. Preservation is learned, and a few minutes of training have not learned it.
#
# The intact-pixel numbers are therefore the place to look for the *preservation* claim of the paper, and the
# degraded-pixel numbers for the *restoration* itself: the whole-image PSNR mixes the two in proportion to their
# areas. Whether residual modulation preserves intact pixels *better* than global noise is a comparison of two
# trained networks, made with intervals in notebook 07 (`rdbm` against `rdbm-global`).
#
# A caveat on SSIM by region: the masked SSIM is the mean of the SSIM *map* over the region, and every value of
# that map comes from a 7x7 window, so "intact" SSIM near a streak or a hole also sees the restored pixels next
# to it. That is why the intact SSIM can rise while the intact PSNR falls (inpainting), and why a smooth fill of
# a hole can raise its PSNR while its SSIM (which rewards texture and contrast) stays low or drops.

# %%
for task in TASKS:
    s = evals[task]["summary"]
    print(f"{task:8s}: intact pixels {fmt_psnr(s['input_psnr_intact'])} -> {fmt_psnr(s['psnr_intact'])} dB, "
          f"degraded pixels {s['input_psnr_degraded']:.2f} -> {s['psnr_degraded']:.2f} dB")
s = evals["inpaint"]["summary"]
assert s["input_psnr_intact"] >= 100  # identical outside the holes (inf, capped at 100 by the average)
assert FAST or s["psnr_intact"] > s["psnr"], "outside the holes the restoration should be better than on average"
print(f"notebook wall time: {(time.perf_counter() - NOTEBOOK_START) / 60:.1f} min")

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/06_training_rdbm_solutions.ipynb`.
#
# **06.1 (implement).** Write the loss the trainer minimises for one batch, without `rdbm_core.losses`:
# `rdbm_loss(model, x0, mu, path, t, eps)` gets images `x0`, `mu` [B, C, H, W], integer times `t` [B] on the
# path's grid and the noise `eps` [B, C, H, W]; it builds `x_t` from the RDBM marginal (use
# `path.coefficients(t)`, which returns float64 tensors of shape [B]), calls `model(x_t, mu, t)` and returns
# the reference loss as a 0-d tensor.

# %%
from rdbm_course.exercises import check

answer_06_1 = ...  # a function rdbm_loss(model, x0, mu, path, t, eps) -> 0-d tensor
check("06.1", answer_06_1)

# %% [markdown]
# **06.2 (implement).** The tables above report PSNR on the degraded and on the intact pixels. Write
# `psnr_region(pred, target, mask)` for images [C, H, W] in [-1, 1] and a bool mask [1, H, W]: the PSNR in dB
# over the masked pixels (all channels), computed the way the library does on [0, 1] images, without
# `rdbm_core.metrics`.

# %%
answer_06_2 = ...  # a function psnr_region(pred, target, mask) -> float (dB)
check("06.2", answer_06_2)

# %% [markdown]
# **06.3 (derive).** A restoration has PSNR `psnr_degraded` on a fraction `fraction` of the pixels and
# `psnr_intact` on the rest. What is its whole-image PSNR? Before you write the function, predict: with 40 dB
# on 90 % of the pixels and 10 dB on the other 10 %, is the whole image nearer 37 dB or nearer 20 dB? Then write
# `whole_psnr(psnr_degraded, psnr_intact, fraction)`.

# %%
answer_06_3 = ...  # a function whole_psnr(psnr_degraded, psnr_intact, fraction) -> float (dB)
check("06.3", answer_06_3)
