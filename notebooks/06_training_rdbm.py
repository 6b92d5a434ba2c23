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
# **What you will learn.** How the library's trainer is configured and called, how to read a loss curve, and how
# to judge a restoration on the pixels the degradation changed and on those it left alone.
#
# **Prerequisites.** Notebooks 02a–02c (the bridge `x_t = mu + Theta_t pi + Sigma_t pi eps` with the residual
# `pi = x0 − mu`, and its samplers) and 05.
#
# **How it runs.** Training the two networks (deraining, inpainting) takes about 13 CPU minutes, so the course
# ships them and this notebook loads them; the text describes those shipped networks. `RETRAIN=1` trains them
# here instead (on the CPU, like the shipped ones); `FAST=1` (continuous integration only) uses a tiny network
# whose numbers mean nothing.
#
# **Words.** A *training iteration* is one optimiser update on one batch; a *sampling step* is one network
# evaluation while restoring an image. A pixel is **degraded** when the degradation changed at least one of its
# channels by more than half an 8-bit level, **intact** otherwise. Tensors and the loss are in [−1, 1] units;
# PSNR, SSIM and error maps are in [0, 1] units, the scale of the 8-bit image.

# %%
import math
import os
import time
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from rdbm_core.checkpoints import load_weights
from rdbm_core.data import TEST_IMAGES, SyntheticPairs
from rdbm_core.degradations import degraded_mask
from rdbm_core.evaluation import evaluate, restore
from rdbm_core.metrics import psnr, to_unit_hwc
from rdbm_core.training import (CachedDataset, TrainConfig, batch_indices, collate, load_trained, make_model,
                                make_path, train, training_dataset)
from rdbm_course import pretrained

FAST = os.environ.get("FAST") == "1"
RETRAIN = os.environ.get("RETRAIN") == "1"  # train the two networks here instead of loading the shipped ones
# One torch thread: on a shared machine a second thread competes with other processes. On your own machine,
# delete this line; the results stay the same up to floating-point rounding.
torch.set_num_threads(1)
ROOT = Path.cwd() if (Path.cwd() / "rdbm_core").is_dir() else Path.cwd().parent  # the repository root
RUNS = ROOT / "runs"  # git-ignored
NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1. What is trained
#
# One `TrainConfig` describes a run; it is stored with the weights. The fields that matter here:
#
# * `preset="small"`: the size of the U-Net (its parameter count is printed below).
# * `crop=64`, `batch=8`: each training iteration uses 8 pairs (clean `x0`, degraded `mu`) of 64x64 pixels,
#   drawn from a fixed pool of 1024 pairs (`pool`; in the code, `train_pool`) cut from training photographs; the test photographs are
#   never used in training.
# * `steps`: the number of **training iterations** (not sampling steps): 300 for deraining, 600 for
#   inpainting, which has more to learn (it must invent the content of a hole).
# * `lr=5e-4`: the learning rate of the Adam optimiser.
# * `ema=0.999`: the largest EMA decay (reached only after a warm-up, exercise 06.4); the network that restores
#   images is an exponential moving average (EMA) of the trained weights.
# * `grad_clip=1.0`: each gradient is rescaled so that its norm is at most 1, against rare huge updates.
# * `skip_mu=True`: the network outputs a correction, `x0_hat = mu + net(x_t, mu, t)`.
# * `objective="x0"`, `norm="l1"`: the loss is the mean absolute error `|x0_hat − x0|`.
#
# The other fields keep their defaults; among them the bridge is `rdbm` (noise modulated by the residual).
# `out` is only the output folder (the commands printed in section 3 wrote to `runs/pretrained/...`; the check
# there ignores `out`).

# %%
TRAIN_ITERATIONS = {"derain": 300, "inpaint": 600}
TASKS = ("derain", "inpaint")


def config_for(task: str) -> TrainConfig:
    if FAST:  # a tiny network for 20 iterations
        return TrainConfig.smoke(task=task, out=str(RUNS / f"nb06_{task}_fast"))
    config = TrainConfig(task=task, preset="small", crop=64, batch=8, pool=1024, lr=5e-4,
                         steps=TRAIN_ITERATIONS[task], ckpt_every=0, out=str(RUNS / f"nb06_{task}"))
    return replace(config, device="cpu") if RETRAIN else config  # the shipped networks were trained on a CPU


shown = config_for("derain")
print(replace(shown, out=str(Path(shown.out).relative_to(ROOT))))
bridge = make_path(shown)
parameters = sum(p.numel() for p in make_model(shown, bridge).parameters())
print(f"bridge {bridge.name!r}, noise {bridge.noise!r}; network {shown.preset!r}: {parameters / 1e6:.1f} M parameters")
assert shown.skip_mu and shown.objective == "x0" and shown.norm == "l1" and shown.ema == 0.999
assert FAST or bridge.noise == "modulated"

# %% [markdown]
# ## 2. The trainer: a probe run
#
# `train(config)` builds the pool, runs the training iterations, writes a checkpoint and returns a dict. The
# cell runs the deraining configuration for only 20 iterations (the *probe*, in `runs/nb06_probe/`) to show
# what a call costs and returns; the probe network is not used afterwards.

# %%
PROBE_ITERATIONS = 20
probe_config = replace(config_for("derain"), steps=PROBE_ITERATIONS, device="cpu", out=str(RUNS / "nb06_probe"))
probe = train(probe_config, progress=False)
print(f"checkpoint   {Path(probe['checkpoint']).relative_to(ROOT)} (weights, EMA weights, optimiser state)")
print(f"losses       one per training iteration: " + " ".join(f"{v:.3f}" for v in probe["losses"]))
print(f"step         {probe['step']} training iterations done")
print(f"wall_s       {probe['wall_s']:.1f} s; images_per_s {probe['images_per_s']:.1f}")
print(f"other keys   {sorted(set(probe) - {'checkpoint', 'losses', 'step', 'wall_s', 'images_per_s'})}")
assert probe["step"] == PROBE_ITERATIONS and len(probe["losses"]) == PROBE_ITERATIONS

# %% [markdown]
# ## 3. The shipped networks and their loss curves
#
# The shipped weights files hold the EMA weights, the config and the loss of every training iteration. The cell
# checks that each config is the one of section 1 and prints the command that trained it. The probe repeats the
# first 20 iterations of the deraining run, so their losses agree up to rounding (printed).
#
# **Reading the curves.** Each iteration's loss is measured on a different batch and at random bridge times, so
# it jumps; the thick line, the *smoothed loss*, is a running average (weight α = 0.05 on each new loss). Both
# losses fall. Their levels do not compare the tasks: the loss is a mean over all pixels, of which the two
# tasks degrade different shares (printed); how much do the intact pixels contribute? Exercise 06.1 measures it.
# Both smoothed curves are still falling over the last third of training (first and last values printed),
# whereas a finished curve levels off: the networks are under-trained. That fits the leftover streaks and the damaged
# intact pixels of section 4. How many recent iterations the final EMA weights average: exercise 06.4.

# %%
results = {}
for task in TASKS:
    if FAST or RETRAIN:
        run = train(config_for(task), progress=False)
        results[task] = {"checkpoint": run["checkpoint"], "losses": run["losses"]}
        print(f"{task:8s}: trained {run['step']} iterations here in {run['wall_s']:.0f} s")
    else:
        file = pretrained.weights_file(f"nb06_{task}")
        _, meta = load_weights(file)
        assert replace(TrainConfig.from_dict(meta["config"]), out=config_for(task).out) == config_for(task)
        made = pretrained.record(f"nb06_{task}")
        results[task] = {"checkpoint": file, "losses": meta["losses"]}
        print(f"{task:8s}: {file.name}, {meta['step']} training iterations, {made['wall_s'] / 60:.1f} min on "
              f"{made['date']} (commit {made['commit']}):\n          {made['command']}")

gap = np.abs(np.array(probe["losses"]) - np.array(results["derain"]["losses"][:PROBE_ITERATIONS])).max()
print(f"probe vs deraining run, first {PROBE_ITERATIONS} losses: largest difference {gap:.1e}")
assert FAST or gap < 1e-3

degraded_share = {}
for task in TASKS:
    task_config = config_for(task)
    train_pool = CachedDataset(training_dataset(task_config))
    shares = []
    for k in range(len(results[task]["losses"])):
        x0, mu = collate([train_pool[i] for i in batch_indices(len(train_pool), k, task_config.batch, task_config.seed, 0, 1)],
                         "cpu")
        shares.append(float(degraded_mask(x0, mu).float().mean()))
    degraded_share[task] = np.mean(shares)
    print(f"{task:8s}: {100 * degraded_share[task]:.0f} % of the training pixels are degraded")


def running_average(values, alpha=0.05):
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc = (1 - alpha) * acc + alpha * v
        out.append(acc / (1 - (1 - alpha) ** (i + 1)))
    return np.array(out)


fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained", sharey=True)
for k, (ax, task) in enumerate(zip(axes, TASKS)):
    losses = np.array(results[task]["losses"])
    iteration = np.arange(1, len(losses) + 1)
    ax.plot(iteration, losses, color=f"C{k}", alpha=0.3, lw=0.8, label="each iteration")
    ax.plot(iteration, running_average(losses), color=f"C{k}", lw=2, label="smoothed loss (α = 0.05)")
    ax.set(title=task, xlabel="training iteration", yscale="log")
    ax.legend()
    print(f"{task:8s}: smoothed loss first {running_average(losses)[0]:.4f}, last {running_average(losses)[-1]:.4f}")
    if not FAST:
        assert running_average(losses)[-1] < running_average(losses)[0], "the loss should fall"
axes[0].set_ylabel("L1 loss ([−1, 1] units)")
axes[0].yaxis.set_minor_formatter("{x:.2f}")  # label the minor ticks of the log axis too
axes[0].tick_params(axis="y", which="minor", labelsize=7)
plt.show()

# %% [markdown]
# ## 4. Restoring held-out crops
#
# **Predict before you look.** A restoration is 40 dB on 90 % of its pixels and 10 dB on the other 10 %. Is its
# whole-image PSNR nearer 37 dB or nearer 20 dB? Write your guess down; exercise 06.3 settles it.
#
# `load_trained` rebuilds a network with its EMA weights; `evaluate` restores each test image with the reference
# sampler (implicit, `eta = 0`, 10 sampling steps, started at `x_T = mu`), measures it and writes `metrics.json`
# into the run folder. The test set is four 128x128 crops, one per held-out photograph: enough to see what the
# networks do, too few to compare methods (notebook 07 does that).
#
# Each figure row shows the input, the restoration, the clean target and two error maps of the restoration:
# on all pixels (scale 0–0.3), and on the **intact pixels only** (scale 0–0.05, degraded pixels blank), which
# shows damage to pixels the degradation never touched.
#
# ### Deraining
#
# The restoration dims the streaks but does not remove them: its error map still traces them, and on the
# degraded pixels it keeps a large part of the input's absolute error (printed). On the rocket crop it
# overshoots: the streaks come out darker than the sky, the crop ends darker than the target on average while
# the rainy input was brighter, and its whole-image PSNR falls below the input's (printed). The intact-pixel maps
# show damage to pixels the rain left alone: on rocket, a bright frame along the bottom and right edges and a
# vertical line right of the tower; on camera, scattered patches beside the streaks and the tripod's legs.

# %%
SAMPLING_STEPS = 10
PHOTOS = TEST_IMAGES[:2] if FAST else TEST_IMAGES
tests, evals, restored, networks = {}, {}, {}, {}
for task in TASKS:
    model, task_bridge, _ = load_trained(results[task]["checkpoint"])
    networks[task] = (model, task_bridge)
    tests[task] = SyntheticPairs(task, "test", crop=32 if FAST else 128, length=len(PHOTOS), seed=1000)
    out_dir = RUNS / f"nb06_{task}{'_fast' if FAST else ''}" / "eval"
    evals[task] = evaluate(model, task_bridge, tests[task], steps=SAMPLING_STEPS, out_dir=out_dir, progress=False)
    restored[task] = restore(model, task_bridge, torch.stack([item["mu"] for item in tests[task]]),
                             steps=SAMPLING_STEPS)
    for item, image, row in zip(tests[task], restored[task], evals[task]["images"]):
        assert abs(psnr(image, item["x0"]) - row["psnr"]) < 1e-3, "the drawn restoration is the evaluated one"


def db(value):
    return "∞" if math.isinf(value) else f"{value:.1f}"


def restoration_figure(task):
    """Rows: the test crops. Columns: input | restored | target | |restored − target| on all pixels |
    the same on the intact pixels only. Errors: mean over RGB, [0, 1] units."""
    fig, axes = plt.subplots(len(PHOTOS), 5, figsize=(14, 2.9 * len(PHOTOS)), squeeze=False, layout="constrained")
    for i, (item, image, row) in enumerate(zip(tests[task], restored[task], evals[task]["images"])):
        target = to_unit_hwc(item["x0"], "target")
        error = np.abs(to_unit_hwc(image, "restored") - target).mean(-1)
        intact = ~degraded_mask(item["x0"], item["mu"])[0].numpy()
        panels = [
            (to_unit_hwc(item["mu"], "input"), {}, f"input\nwhole {db(row['input_psnr'])}, degraded "
             f"{db(row['input_psnr_degraded'])},\nintact {db(row['input_psnr_intact'])} dB"),
            (to_unit_hwc(image, "restored"), {}, f"restored\nwhole {row['psnr']:.1f}, degraded "
             f"{row['psnr_degraded']:.1f},\nintact {row['psnr_intact']:.1f} dB"),
            (target, {}, "target (clean)"),
            (error, dict(cmap="inferno", vmin=0, vmax=0.3), f"|restored − target|, all pixels\n"
             f"[0, 1] units, mean {error.mean():.3f}"),
            (np.ma.masked_where(~intact, error), dict(cmap="viridis", vmin=0, vmax=0.05),
             f"|restored − target|, intact pixels\n[0, 1] units, mean {error[intact].mean():.4f}"),
        ]
        for j, (ax, (picture, style, title)) in enumerate(zip(axes[i], panels)):
            handle = ax.imshow(picture, interpolation="nearest", **style)
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= 3 and i == len(PHOTOS) - 1:
                fig.colorbar(handle, ax=axes[:, j], shrink=0.5, extend="max", label="[0, 1] units")
        axes[i, 0].set_ylabel(PHOTOS[i], fontsize=12)
    fig.suptitle(f"{task}: PSNR against the target; intact-pixel map blank on degraded pixels", fontsize=11)
    plt.show()


restoration_figure("derain")
rain_left = []  # per crop: summed |restored − target| over the degraded pixels / the same for the input
for item, image in zip(tests["derain"], restored["derain"]):
    degraded = degraded_mask(item["x0"], item["mu"]).float()
    rain_left.append(float(((image - item["x0"]).abs() * degraded).sum() / ((item["mu"] - item["x0"]).abs() * degraded).sum()))
print("deraining, absolute error on the degraded pixels, restored / input: "
      + ", ".join(f"{name} {v:.2f}" for name, v in zip(PHOTOS, rain_left)))
if not FAST:
    rocket, rocket_row = tests["derain"][2], evals["derain"]["images"][2]
    signed = [float((image - rocket["x0"]).mean() / 2) for image in (rocket["mu"], restored["derain"][2])]
    print(f"rocket: mean signed error (image − target, [0, 1] units) input {signed[0]:+.3f}, restored {signed[1]:+.3f}; "
          f"whole-image PSNR input {rocket_row['input_psnr']:.2f} dB, restored {rocket_row['psnr']:.2f} dB")
    assert 0.5 < np.mean(rain_left) < 0.95 and signed[0] > 0 > signed[1] and rocket_row["psnr"] < rocket_row["input_psnr"]

# %% [markdown]
# ### Inpainting
#
# The holes are filled with mid-grey. Their brush width is a fixed share of the image size, so the holes of these
# 128x128 test crops are twice as wide in pixels as those of the 64x64 training crops (printed): a harder test
# than training. The network continues colours and smooth shapes into the holes; their outlines stay visible and
# no texture is invented. On the camera crop the fill is barely better than the grey on the holes, and the whole
# crop ends worse than its input (printed): its intact-pixel map shows why, a bright line along the diagonal
# tripod leg, which the network altered outside the holes.

# %%
restoration_figure("inpaint")
for size in (64, 128):  # degradations.inpaint: brush width 6-14 % of the short side
    print(f"brush width in a {size}x{size} crop: {0.06 * size:.1f}-{0.14 * size:.1f} pixels")
if not FAST:
    camera_row = evals["inpaint"]["images"][3]
    print(f"camera: PSNR on the holes input {camera_row['input_psnr_degraded']:.2f} dB, restored "
          f"{camera_row['psnr_degraded']:.2f} dB; whole image input {camera_row['input_psnr']:.2f} dB, restored "
          f"{camera_row['psnr']:.2f} dB")
    assert 0 < camera_row["psnr_degraded"] - camera_row["input_psnr_degraded"] < 1.0
    assert camera_row["psnr"] < camera_row["input_psnr"]

# %% [markdown]
# ## 5. The numbers: whole image, degraded pixels, intact pixels
#
# PSNR is `10 log10(1 / MSE)` on [0, 1] images, the mean squared error taken over the region's pixels and
# channels (∞ for an identical region); both `pred` and `target` are first mapped by `(x + 1) / 2` and clamped to
# [0, 1], with no quantisation to 8 bits. SSIM on a region is the mean of SSIM's per-pixel map over it, and each
# map value comes from a 7x7 window that reaches into neighbouring degraded pixels: intact-pixel SSIM mixes in
# the holes and streaks, so it is below 1 even for an identical region (the inputs' intact SSIM). The first
# table of each task gives the **mean of the per-crop PSNRs (and SSIMs)** over the four crops; that mean is not
# the PSNR of the four crops' pooled error. The second table gives each crop's PSNRs.
#
# * **Degraded pixels.** Both networks improve them, but inpainting ends several dB below deraining: a grey hole
#   starts much further from the truth than a semi-transparent streak (compare the inputs).
# * **PSNR and SSIM disagree on the holes.** SSIM rewards matching local structure, and a fill whose texture is
#   wrong can score below a flat grey, as the SSIM columns show: the fill raises the holes' PSNR but lowers their
#   SSIM.
# * **Intact pixels.** An error of one 8-bit level on every pixel gives 48.13 dB (printed). Every restoration's
#   intact PSNR is below that, while every input's is above: the networks change pixels they should leave alone,
#   and whatever the whole image gains comes from the degraded pixels. The crops below the ten-level mark
#   (printed) are those whose intact-pixel maps have the largest bright areas in the figures. (The inpainting camera input is finite
#   there because a few of its grey hole pixels lie within half a level of the truth and so count as intact.)

# %%
def fmt(value):
    return "∞" if math.isinf(value) else f"{value:.2f}"


for task in TASKS:
    summary = evals[task]["summary"]
    lines = ["| region | PSNR input (dB) | PSNR restored (dB) | SSIM input | SSIM restored |", "|---|---:|---:|---:|---:|"]
    for region, suffix in (("whole image", ""), ("degraded pixels", "_degraded"), ("intact pixels", "_intact")):
        lines.append(f"| {region} | {fmt(summary['input_psnr' + suffix])} | {fmt(summary['psnr' + suffix])} | "
                     f"{summary['input_ssim' + suffix]:.4f} | {summary['ssim' + suffix]:.4f} |")
    lines += ["", f"**{task}, per crop (dB)**", "",
              "| crop | whole input | whole restored | degraded input | degraded restored | intact input | intact restored |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for name, row in zip(PHOTOS, evals[task]["images"]):
        lines.append(f"| {name} | " + " | ".join(fmt(row[p + k]) for k in ("psnr", "psnr_degraded", "psnr_intact")
                                                   for p in ("input_", "")) + " |")
    display(Markdown(f"**{task}: mean of per-crop PSNRs (dB) and SSIMs over {summary['count']} crops**\n\n"
                     + "\n".join(lines)))

summaries = {task: evals[task]["summary"] for task in TASKS}
one_level_db, ten_levels_db = 10 * math.log10(255 ** 2), 10 * math.log10((255 / 10) ** 2)
input_intact = [row["input_psnr_intact"] for task in TASKS for row in evals[task]["images"]]
restored_intact = {(task, name): row["psnr_intact"] for task in TASKS for name, row in zip(PHOTOS, evals[task]["images"])}
below_ten = [key for key, v in restored_intact.items() if v < ten_levels_db]
print(f"one 8-bit level of error everywhere: {one_level_db:.2f} dB; ten levels: {ten_levels_db:.2f} dB")
print(f"intact PSNR: inputs {min(input_intact):.2f} dB or more, restorations {max(restored_intact.values()):.2f} dB or less")
print("restorations below the ten-level mark on their intact pixels: "
      + ", ".join(f"{task} {name} ({restored_intact[task, name]:.2f} dB)" for task, name in below_ten))
if not FAST:
    assert all(summaries[t]["psnr_degraded"] > summaries[t]["input_psnr_degraded"] for t in TASKS)
    assert summaries["derain"]["psnr_degraded"] - summaries["inpaint"]["psnr_degraded"] > 3
    assert summaries["inpaint"]["input_psnr_degraded"] < summaries["derain"]["input_psnr_degraded"] - 3
    assert summaries["inpaint"]["ssim_degraded"] < summaries["inpaint"]["input_ssim_degraded"]
    assert max(restored_intact.values()) < one_level_db < min(input_intact)

# %% [markdown]
# ## 6. The noise factor plays no part in this sampler
#
# The noise is *global*, `Sigma_t eps`, or *modulated* by the residual, `Sigma_t pi eps`. The reference sampler
# gives the same restoration with either: with `eta = 0` the implicit step (docs/theory.md, eq. 8.1) is
# `x_s = mu + Theta_s pi_hat + (Sigma_s / Sigma_t)(x_t − mu − Theta_t pi_hat)`, with `pi_hat = x0_hat − mu`
# (the last term is absent on the first step, where `Sigma_T = 0`);
# the noise factor multiplies the standard deviations of `x_s` and `x_t` alike and cancels in their ratio,
# and no fresh noise is added. The cell checks it on the inpainting network. So the modulation acts only through **training**: it shapes the `x_t` the network learned
# from. Whether it preserves intact pixels better than global noise needs two trained networks: notebook 07.

# %%
model, task_bridge = networks["inpaint"]
mu_test = torch.stack([item["mu"] for item in tests["inpaint"]])
with_global_noise = restore(model, task_bridge.with_noise("global"), mu_test, steps=SAMPLING_STEPS)
largest_difference = float((restored["inpaint"] - with_global_noise).abs().max())
print(f"largest |modulated − global| over the {len(mu_test)} restorations: {largest_difference:.1e}")
assert largest_difference < 1e-5
print(f"notebook wall time: {(time.perf_counter() - NOTEBOOK_START) / 60:.1f} min")

# %% [markdown]
# ## Exercises
#
# `check` says what is wrong and gives a hint, never the answer. Worked solutions:
# `solutions/06_training_rdbm_solutions.ipynb`.
#
# **06.1 (implement).** Write `loss_by_region(model, x0, mu, bridge, t, eps)` returning two floats
# `(degraded_part, intact_part)` that add up to the batch's training loss: the L1 loss of section 1, a mean of
# `|x0_hat − x0|` over all B·C·H·W values of the batch (as the trainer computes it), split into the sums over
# degraded and over intact values, each divided by B·C·H·W. Inputs: `x0`, `mu` [B, C, H, W] in [−1, 1];
# `t` [B], integer bridge times; `eps` [B, C, H, W], the standard normal noise; `bridge`, RDBM's;
# `model` already includes the `mu` skip: `model(x_t, mu, t)` returns `x0_hat`. Build `x_t` yourself from `bridge.coefficients(t)` (read its docstring).
# A pixel is degraded when `|x0 − mu| > 1/255` (half an 8-bit level in [−1, 1] units) in at least one channel;
# exactly 1/255 counts as intact; all channels of a degraded pixel are degraded. Not allowed:
# `rdbm_core.losses`, `rdbm_core.training`, `rdbm_core.degradations`, and the bridge methods that build `x_t`
# (`sample`, `mean`, `std`).

# %%
from rdbm_course.exercises import check

answer_06_1 = ...  # a function loss_by_region(model, x0, mu, bridge, t, eps) -> (degraded_part, intact_part)
check("06.1", answer_06_1)

# %% [markdown]
# **06.2 (implement).** Write `psnr_region(pred, target, mask)` without `rdbm_core.metrics` or
# `rdbm_core.evaluation`: the PSNR in dB of `pred` against `target` ([C, H, W] in [−1, 1]) over the pixels of
# the bool mask [1, H, W] and all channels, with the definition of section 5 (both mapped by `(x + 1) / 2` and
# clamped to [0, 1], no 8-bit quantisation; `math.inf` for an identical region), as a float; `math.nan` when the mask selects no pixel.

# %%
answer_06_2 = ...  # a function psnr_region(pred, target, mask) -> float (dB)
check("06.2", answer_06_2)

# %% [markdown]
# **06.3 (derive).** A restoration has PSNR `psnr_degraded` on a fraction `fraction` of its pixels and
# `psnr_intact` on the rest (either may be `math.inf`). Write `whole_psnr(psnr_degraded, psnr_intact, fraction)`,
# its whole-image PSNR, then compare it with your prediction in section 4.

# %%
answer_06_3 = ...  # a function whole_psnr(psnr_degraded, psnr_intact, fraction) -> float (dB)
check("06.3", answer_06_3)

# %% [markdown]
# **06.4 (predict).** After each training iteration `k` (counted from 0) the EMA weights move towards the trained
# ones with decay `min(0.999, (1 + k) / (10 + k))`: `ema_weights = decay · ema_weights + (1 − decay) · weights`. Write
# `ema_decay_at(k)` without `rdbm_core.training`, then predict before running it: what decay does the last
# iteration of the deraining run use, and roughly how many recent iterations does that EMA average
# (about `1 / (1 − decay)`)? At which iteration does the decay first reach 0.999, and do this notebook's runs get
# there?

# %%
answer_06_4 = ...  # a function ema_decay_at(k) -> float
check("06.4", answer_06_4)
