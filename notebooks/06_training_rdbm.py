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
# ships them and this notebook loads them. `RETRAIN=1` trains them here on the CPU;
# `FAST=1` (continuous integration only) uses a tiny network whose numbers mean nothing.
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
import matplotlib.ticker
import numpy as np
import scipy.ndimage
import torch
from IPython.display import Markdown, display

from rdbm_core.networks.checkpoints import load_weights
from rdbm_core.data.embedded import TEST_IMAGES
from rdbm_core.data.datasets import SyntheticPairs
from rdbm_core.data.degradations import degraded_mask
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.restoration.evaluation import EvaluationOptions, evaluate, restore, write_evaluation
from rdbm_core.evidence.metrics import psnr, to_unit_hwc
from rdbm_core.networks.training import (CachedDataset, batch_indices, collate, step_generator, train, training_dataset, training_loss)
from rdbm_core.networks.config import TrainConfig, make_model, make_path
from rdbm_core.networks.checkpoints import load_trained
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
# * `preset="small"`: the U-Net's size (parameters printed below).
# * `crop=64`, `batch=8`: each training iteration uses 8 pairs of 64x64 pixels, each a clean `x0` and a degraded
#   `mu`. They are drawn from a fixed pool of 1024 pairs (`pool`) cut from the training photographs (section 3
#   rebuilds it as `train_pool`). The test photographs are never used in training.
# * `steps`: the number of **training iterations** (not sampling steps): 300 for deraining, 600 for
#   inpainting, which must invent the content of holes.
# * `lr=5e-4`: the learning rate of the Adam optimiser.
# * `ema=0.999`: the cap of the EMA decay after a warm-up (exercise 06.4). The network that restores images is an
#   exponential moving average (EMA) of the trained weights.
# * `grad_clip=1.0`: the global gradient norm is clipped to at most 1.
# * `skip_mu=True`: the network outputs a correction, `x0_hat = mu + net(x_t, mu, t)`.
# * `objective="x0"`, `norm="l1"`: the loss is the mean absolute error `|x0_hat − x0|`.
# * `sample_steps=10`: the sampling steps of the evaluations (section 4), not training iterations.
# * `unet_norm="group"`: the U-Net normalises with GroupNorm, as the shipped networks were trained (new networks
#   default to a per-pixel norm, which makes tiled restoration of large photographs exact; see the README).
#
# One training iteration draws a bridge time `t` and noise `eps` per pair, builds `x_t` from `x0` and `mu`, computes
# the L1 loss of `x0_hat` against `x0`, takes one Adam step (gradient clipped) and updates the EMA weights; exercise
# 06.1 writes the loss part of it.
#
# The other fields keep their defaults; among them the bridge is `rdbm`. `noise=None`, `lam=None` mean the
# bridge's defaults, printed next: noise modulated by the residual, and `lam = 1e-4`, the noise variance scale.
# The shipped run used `device="auto"` on a machine without a GPU (its record names the machine), so the CPU.

# %%
TRAIN_ITERATIONS = {"derain": 300, "inpaint": 600}
TASKS = ("derain", "inpaint")


def config_for(task: str) -> TrainConfig:
    if FAST:  # a tiny network for 20 iterations
        return TrainConfig.smoke(task=task, out=str(RUNS / f"nb06_{task}_fast"))
    config = TrainConfig(task=task, preset="small", crop=64, batch=8, pool=1024, lr=5e-4, unet_norm="group",
                         steps=TRAIN_ITERATIONS[task], ckpt_every=0, out=str(RUNS / f"nb06_{task}"))
    return replace(config, device="cpu") if RETRAIN else config  # the shipped run: device="auto", resolved to the CPU


shown = config_for("derain")
print(replace(shown, out=str(Path(shown.out).relative_to(ROOT))))
bridge = make_path(shown)
parameters = sum(p.numel() for p in make_model(shown, bridge).parameters())
print(f"bridge {bridge.name!r}, noise {bridge.noise!r}, lam {bridge.lam:g}; network {shown.preset!r}: {parameters / 1e6:.1f} M parameters")
assert shown.skip_mu and shown.objective == "x0" and shown.norm == "l1" and shown.ema == 0.999
assert FAST or bridge.noise == "modulated"

# %% [markdown]
# ## 2. The trainer: a probe run
#
# `train(config)` builds the pool, runs the training iterations, writes a checkpoint and returns a dict. The
# *probe* runs the deraining configuration for 20 iterations only, to show what a call costs and returns.

# %%
PROBE_ITERATIONS = 20
probe_config = replace(config_for("derain"), steps=PROBE_ITERATIONS, device="cpu", out=str(RUNS / "nb06_probe"))
probe = train(probe_config, progress=False)
print(f"checkpoint   {Path(probe['checkpoint']).relative_to(ROOT)} (weights, EMA weights, optimiser state)")
print(f"losses       one per training iteration: " + " ".join(f"{v:.3f}" for v in probe["losses"]))
print(f"step         {probe['step']} training iterations done")
print(f"wall_s       {probe['wall_s']:.1f} s; images_per_s {probe['images_per_s']:.1f}")
print(f"other keys   {sorted(set(probe) - {'checkpoint', 'losses', 'step', 'wall_s', 'images_per_s'})}: the config, "
      f"the evaluations during training ({len(probe['evals'])}: none asked), the number of processes ({probe['world']})")
assert probe["step"] == PROBE_ITERATIONS and len(probe["losses"]) == PROBE_ITERATIONS

# %% [markdown]
# ## 3. The shipped networks and their loss curves
#
# The shipped files hold the EMA weights, the config (checked against section 1) and every iteration's loss.
# The probe's 20 losses match the deraining run's first 20 (printed).
#
# **Reading the curves.** The plotted loss is that of the raw (non-EMA) weights on their training batches; there
# is no held-out loss. Each iteration's loss is measured on a different batch and at random bridge times, so it
# jumps. The thick line, the *smoothed loss*, is a running average: weight α = 0.05 on each new loss, divided by
# `1 − 0.95^i` so that the first iterations are not biased towards 0. It only smooths the plotted numbers; the
# EMA of the weights (section 1) averages the network's parameters and is what restores images. The plot counts iterations from 1;
# exercise 06.4's `k` counts from 0, so plot iteration i is k = i − 1.
#
# * **Degraded shares** (printed): 42 % of deraining's training pixels are degraded, 21 % of inpainting's, so the
#   two loss levels (means over all pixels) cannot be compared across tasks; exercise 06.1 splits the loss.
# * **2N/3, minimum, last** (printed, N the run's iterations): both smoothed curves still fall between 2N/3 and
#   their minimum near the end, so the networks look under-trained (cf. section 4's leftover streaks).
# * **The last value** of deraining is above the minimum. The mean raw losses of its last two 20-iteration windows
#   differ by less than two standard errors of their difference (printed): the run is too short to tell batch
#   noise from a turn of the curve.

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
    for k in range(len(results[task]["losses"])):  # k: the training iteration, from 0
        indices = batch_indices(len(train_pool), k, task_config.batch, task_config.seed, rank=0, world=1)  # one process
        x0, mu = collate([train_pool[i] for i in indices], "cpu")
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
for i_task, (ax, task) in enumerate(zip(axes, TASKS)):
    losses = np.array(results[task]["losses"])
    iteration = np.arange(1, len(losses) + 1)
    ax.plot(iteration, losses, color=f"C{i_task}", alpha=0.3, lw=0.8, label="each iteration")
    ax.plot(iteration, running_average(losses), color=f"C{i_task}", lw=2, label="smoothed loss (α = 0.05)")
    ax.set(title=task, xlabel="training iteration (from 1)", yscale="log")
    ax.legend()
    smooth = running_average(losses)
    two_thirds, lowest = 2 * len(losses) // 3, int(np.argmin(smooth))
    print(f"{task:8s}: smoothed loss at iteration {two_thirds} (2N/3) {smooth[two_thirds - 1]:.4f}, minimum "
          f"{smooth[lowest]:.4f} at {lowest + 1}, last ({len(losses)}) {smooth[-1]:.4f}")
    if not FAST:
        assert smooth[lowest] < smooth[two_thirds - 1] and lowest + 1 > 0.9 * len(losses), "still falling after 2N/3"
        assert smooth[-1] < smooth[two_thirds - 1]
    if task == "derain":  # the last two 20-iteration windows of raw losses: means and their difference
        early, late = np.asarray(losses[-40:-20]), np.asarray(losses[-20:])
        window_gap = late.mean() - early.mean()
        gap_se = math.sqrt(early.var(ddof=1) / len(early) + late.var(ddof=1) / len(late))
        print(f"          raw loss, iterations {len(losses) - 39}–{len(losses) - 20}: {early.mean():.4f}, "
              f"{len(losses) - 19}–{len(losses)}: {late.mean():.4f}; difference {window_gap:+.4f} ± {gap_se:.4f} "
              f"(standard error), {abs(window_gap) / gap_se:.1f} standard errors")
        assert FAST or abs(window_gap) < 2 * gap_se
axes[0].set_ylabel("L1 loss ([−1, 1] units)")
axes[0].yaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.01, 0.02, 0.05, 0.1]))
axes[0].yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))  # plain decimals
axes[0].yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
plt.show()

# %% [markdown]
# ## 4. Restoring held-out crops
#
# **Predict before you look.** A restoration is 40 dB on 90 % of its pixels and 10 dB on the other 10 %. Is its
# whole-image PSNR nearer 37 dB or nearer 20 dB? Write your guess down; exercise 06.3 settles it.
#
# `load_trained` rebuilds a network with its EMA weights; `evaluate` restores each test image with the reference
# sampler (implicit, `eta = 0`, 10 sampling steps, from `x_T = mu`). The test set is
# four 128x128 crops, one per held-out photograph, too few to compare methods.
#
# Each figure row shows the input, the restoration, the target and two error maps: on all pixels
# (scale 0–0.3), and on the **intact pixels only** (scale 0–0.05), which
# shows damage to pixels the degradation never touched.
#
# ### Deraining
#
# The restoration dims the streaks but keeps a large part of the input's error on them (printed). The intact-pixel
# maps show damage, worst on camera and rocket (about equal; on rocket a bright frame along two edges). On rocket
# the degraded pixels improve, yet the whole-image PSNR falls below the input's (printed): the frame on the intact
# pixels causes the drop. With its intact pixels put back as they were in the input, the same restoration would
# score above the input (printed).
#
# *Why does a network that outputs `mu + correction` change intact pixels? Hypotheses, not tested here:* the
# correction is under-trained (section 3) and not yet near zero where nothing needs fixing; the networks were
# trained on 64x64 crops and are tested on 128x128 crops whose borders meet the convolutions' padding, where the
# frames lie; and the deraining network has no mask telling it which pixels are intact.

# %%
SAMPLING_STEPS = 10
PHOTOS = TEST_IMAGES[:2] if FAST else TEST_IMAGES
tests, test_results, restored, networks = {}, {}, {}, {}
for task in TASKS:
    networks[task] = load_trained(results[task]["checkpoint"])[:2]  # (EMA network, bridge)
    tests[task] = SyntheticPairs(task, "test", crop=32 if FAST else 128, length=len(PHOTOS), seed=1000)
    out_dir = RUNS / f"nb06_{task}{'_fast' if FAST else ''}" / "eval"
    # steps: sampling steps (network evaluations per restoration), not training iterations
    test_results[task] = evaluate(*networks[task], tests[task], SamplerSpec(steps=SAMPLING_STEPS),
                                  options=EvaluationOptions(progress=False))
    write_evaluation(test_results[task], out_dir)
    restored[task] = restore(*networks[task], torch.stack([item["mu"] for item in tests[task]]),
                             SamplerSpec(steps=SAMPLING_STEPS))
    for item, image, row in zip(tests[task], restored[task], test_results[task]["images"]):
        assert abs(psnr(image, item["x0"]) - row["psnr"]) < 1e-3, "the drawn restoration is the evaluated one"


def db(value):
    return "∞" if math.isinf(value) else f"{value:.1f}"


def region_report(name, item, image, row):
    """Print a crop's PSNRs by region, input → restored, and the whole-image PSNR of the restoration with its
    intact pixels put back as they were in the input; return that PSNR."""
    intact = ~degraded_mask(item["x0"], item["mu"])
    intact_reset = psnr(torch.where(intact, item["mu"], image), item["x0"])
    print(f"{name}: PSNR input → restored: degraded pixels {row['input_psnr_degraded']:.2f} → {row['psnr_degraded']:.2f} dB, "
          f"intact pixels {row['input_psnr_intact']:.2f} → {row['psnr_intact']:.2f} dB, whole image "
          f"{row['input_psnr']:.2f} → {row['psnr']:.2f} dB")
    print(f"    whole image of the restoration with its intact pixels as in the input: {intact_reset:.2f} dB")
    return intact_reset


def restoration_figure(task):
    """Rows: the test crops. Columns: input | restored | target | |restored − target| on all pixels |
    the same on the intact pixels only. Errors: mean over RGB, [0, 1] units."""
    fig, axes = plt.subplots(len(PHOTOS), 5, figsize=(14, 2.9 * len(PHOTOS)), squeeze=False, layout="constrained")
    for i, (item, image, row) in enumerate(zip(tests[task], restored[task], test_results[task]["images"])):
        target = to_unit_hwc(item["x0"], "target")
        error = np.abs(to_unit_hwc(image, "restored") - target).mean(-1)
        intact = ~degraded_mask(item["x0"], item["mu"])[0].numpy()
        panels = [
            (to_unit_hwc(item["mu"], "input"), {}, f"input\n{db(row['input_psnr'])} | "
             f"{db(row['input_psnr_degraded'])} | {db(row['input_psnr_intact'])} dB"),
            (to_unit_hwc(image, "restored"), {}, f"restored\n{db(row['psnr'])} | "
             f"{db(row['psnr_degraded'])} | {db(row['psnr_intact'])} dB"),
            (target, {}, "target (clean)"),
            (error, dict(cmap="inferno", vmin=0, vmax=0.3), f"error, all pixels\nmean {error.mean():.3f}"),
            (np.ma.masked_where(~intact, error), dict(cmap="viridis", vmin=0, vmax=0.05),
             f"error, intact pixels\nmean {error[intact].mean():.4f}"),
        ]
        for j, (ax, (picture, style, title)) in enumerate(zip(axes[i], panels)):
            handle = ax.imshow(picture, interpolation="nearest", **style)
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= 3 and i == len(PHOTOS) - 1:
                fig.colorbar(handle, ax=axes[:, j], shrink=0.5, extend="max", label="mean |error| over RGB, [0, 1] units")
        axes[i, 0].set_ylabel(PHOTOS[i], fontsize=12)
    fig.suptitle(f"{task}: PSNR against the target, whole | degraded px | intact px; error = |restored − target|, "
                 "blank on degraded pixels in the intact map", fontsize=11)
    plt.show()


restoration_figure("derain")
rain_left = []  # per crop: summed |restored − target| over the degraded pixels / the same for the input
for item, image in zip(tests["derain"], restored["derain"]):
    degraded = degraded_mask(item["x0"], item["mu"]).float()
    rain_left.append(float(((image - item["x0"]).abs() * degraded).sum() / ((item["mu"] - item["x0"]).abs() * degraded).sum()))
print("deraining, absolute error on the degraded pixels, restored / input: "
      + ", ".join(f"{name} {v:.2f}" for name, v in zip(PHOTOS, rain_left)))
if not FAST:
    rocket, rocket_row = tests["derain"][2], test_results["derain"]["images"][2]
    rocket_degraded = degraded_mask(rocket["x0"], rocket["mu"])[0]
    signed = [float((image - rocket["x0"]).mean(0)[rocket_degraded].mean() / 2) for image in (rocket["mu"], restored["derain"][2])]
    print(f"rocket: mean signed error on the degraded pixels (image − target, [0, 1] units) input {signed[0]:+.3f}, "
          f"restored {signed[1]:+.3f}")
    intact_reset = region_report("rocket", rocket, restored["derain"][2], rocket_row)
    assert 0.5 < np.mean(rain_left) < 0.95 and rocket_row["psnr"] < rocket_row["input_psnr"] < intact_reset
    assert rocket_row["psnr_degraded"] > rocket_row["input_psnr_degraded"]

# %% [markdown]
# ### Inpainting
#
# The holes are filled with mid-grey. Their brush width is a fixed share of the image size, so the holes of these 128x128 test crops are about twice as wide in pixels as
# those of the 64x64 training crops (measured, printed): a harder test than training. Rain streaks have
# fixed sizes in pixels, so deraining tests at the training scale. The network continues colours and smooth shapes into the holes; their outlines stay visible and
# no texture is invented. On camera the fill beats the grey on the holes by less than 1 dB, yet the whole crop ends
# worse than its input (printed): the drop comes from the bright line along the tripod leg on the intact pixels.
# With them put back as in the input, the crop would score above its input (printed). The inpainting network gets
# no mask either; the hypotheses above apply to it as well.

# %%
restoration_figure("inpaint")


def widest_hole(x0, mu):
    """Width in pixels of the widest brush stroke: twice the largest distance from a hole pixel to the intact ones."""
    return 2 * float(scipy.ndimage.distance_transform_edt(degraded_mask(x0, mu)[0].numpy()).max())


inpaint_pool = CachedDataset(training_dataset(config_for("inpaint")))
hole_widths = {"training (64x64)": np.mean([widest_hole(inpaint_pool[i]["x0"], inpaint_pool[i]["mu"]) for i in range(8)]),
               "test (128x128)": np.mean([widest_hole(item["x0"], item["mu"]) for item in tests["inpaint"]])}
print("widest hole, mean over crops: " + ", ".join(f"{crops} {v:.1f} pixels" for crops, v in hole_widths.items()))
assert FAST or 1.5 < hole_widths["test (128x128)"] / hole_widths["training (64x64)"] < 2.5
if not FAST:
    camera_row = test_results["inpaint"]["images"][3]
    intact_reset = region_report("camera (degraded pixels = holes)", tests["inpaint"][3], restored["inpaint"][3],
                                 camera_row)
    assert 0 < camera_row["psnr_degraded"] - camera_row["input_psnr_degraded"] < 1.0
    assert camera_row["psnr"] < camera_row["input_psnr"] < intact_reset

# %% [markdown]
# ## 5. The numbers: whole image, degraded pixels, intact pixels
#
# PSNR is `10 log10(1 / MSE)` on [0, 1] images, the mean squared error taken over the region's pixels and
# channels (∞ for an identical region); both `pred` and `target` are first mapped by `(x + 1) / 2` and clamped to
# [0, 1], with no quantisation to 8 bits. SSIM on a region averages SSIM's per-pixel map over it; each value
# uses a 7x7 window reaching into neighbouring degraded pixels, so intact SSIM is below 1 even for an identical
# region. The first table of each task gives the **mean of the per-crop PSNRs (and
# SSIMs)**, not the PSNR of the pooled error; the second gives each crop's PSNRs.
#
# * **Degraded pixels.** Both networks improve them, but inpainting ends several dB below deraining: a grey hole
#   starts much further from the truth than a semi-transparent streak.
# * **PSNR and SSIM disagree on inpainting.** SSIM rewards matching local structure:
#   * holes: the fill raises PSNR but lowers SSIM (a smooth fill whose structure does not match the truth can
#     score below a flat grey);
#   * whole image: PSNR rises by a few dB while SSIM falls slightly (both changes printed);
#   * intact pixels: PSNR drops from ∞ while SSIM is about unchanged (a change of about 0.001 over four crops,
#     printed); caveat: the 7x7 window reaches into the filled holes, so intact SSIM partly scores the fill.
# * **Intact pixels.** An error of one 8-bit level on every pixel gives 48.13 dB (printed). Every restoration's
#   intact PSNR is below that: the networks change pixels they should leave alone. Every input's is above
#   ~54 dB by definition, since an intact pixel's error is at most half a level. The deraining inputs stay finite
#   (66–74 dB) because soft streak edges change some pixels by less than half a level. The inpainting camera input
#   is finite because a few grey hole pixels lie within half a level of the truth and count as intact. The crops
#   below the ten-level mark (printed) show the brightest intact-pixel maps.

# %%
def fmt(value):
    return "∞" if math.isinf(value) else f"{value:.2f}"


for task in TASKS:
    summary = test_results[task]["summary"]
    lines = ["| region | PSNR input (dB) | PSNR restored (dB) | SSIM input | SSIM restored |", "|---|---:|---:|---:|---:|"]
    for region, suffix in (("whole image", ""), ("degraded pixels", "_degraded"), ("intact pixels", "_intact")):
        lines.append(f"| {region} | {fmt(summary['input_psnr' + suffix])} | {fmt(summary['psnr' + suffix])} | "
                     f"{summary['input_ssim' + suffix]:.4f} | {summary['ssim' + suffix]:.4f} |")
    lines += ["", f"**{task}, per crop (dB)**", "",
              "| crop | input, whole | restored, whole | input, degraded px | restored, degraded px | input, intact px | "
              "restored, intact px |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for name, row in zip(PHOTOS, test_results[task]["images"]):
        lines.append(f"| {name} | " + " | ".join(fmt(row[p + suffix]) for suffix in ("psnr", "psnr_degraded", "psnr_intact")
                                                   for p in ("input_", "")) + " |")
    finite = [f"{name} {row['input_psnr_intact']:.2f} dB" for name, row in zip(PHOTOS, test_results[task]["images"])
              if not math.isinf(row["input_psnr_intact"])]
    infinite = sum(math.isinf(row["input_psnr_intact"]) for row in test_results[task]["images"])
    if infinite and finite:  # footnote the mean that any ∞ crop makes ∞
        lines[4] = lines[4].replace("| ∞ |", "| ∞ ¹ |", 1)
        lines += ["", f"¹ Any ∞ crop makes the mean ∞ (here {infinite} do); it hides the finite input intact-pixel PSNR of "
                      + ", ".join(finite) + "."]
    display(Markdown(f"**{task}: mean of per-crop PSNRs (dB) and SSIMs over {summary['count']} crops**\n\n"
                     + "\n".join(lines)))

summaries = {task: test_results[task]["summary"] for task in TASKS}
one_level_db, ten_levels_db = 10 * math.log10(255 ** 2), 10 * math.log10((255 / 10) ** 2)
input_intact = [row["input_psnr_intact"] for task in TASKS for row in test_results[task]["images"]]
restored_intact = {(task, name): row["psnr_intact"] for task in TASKS for name, row in zip(PHOTOS, test_results[task]["images"])}
below_ten = [key for key, v in restored_intact.items() if v < ten_levels_db]
print(f"one 8-bit level of error everywhere: {one_level_db:.2f} dB; ten levels: {ten_levels_db:.2f} dB")
print(f"intact PSNR: inputs {min(input_intact):.2f} dB or more, restorations {max(restored_intact.values()):.2f} dB or less")
print("restorations below the ten-level mark on their intact pixels: "
      + ", ".join(f"{task} {name} ({restored_intact[task, name]:.2f} dB)" for task, name in below_ten))
inpaint = summaries["inpaint"]
print("inpainting, input → restored (means over the crops): " + "; ".join(
    f"{region} PSNR {fmt(inpaint['input_psnr' + suffix])} → {fmt(inpaint['psnr' + suffix])} dB, SSIM "
    f"{inpaint['input_ssim' + suffix]:.4f} → {inpaint['ssim' + suffix]:.4f} "
    f"({inpaint['ssim' + suffix] - inpaint['input_ssim' + suffix]:+.4f})" for region, suffix in (("whole", ""), ("intact", "_intact"))))
if not FAST:
    assert all(summaries[t]["psnr_degraded"] > summaries[t]["input_psnr_degraded"] for t in TASKS)
    assert summaries["derain"]["psnr_degraded"] - summaries["inpaint"]["psnr_degraded"] > 3
    assert summaries["inpaint"]["input_psnr_degraded"] < summaries["derain"]["input_psnr_degraded"] - 3
    assert inpaint["ssim_degraded"] < inpaint["input_ssim_degraded"] and inpaint["psnr_degraded"] > inpaint["input_psnr_degraded"]
    assert inpaint["ssim"] < inpaint["input_ssim"] and inpaint["psnr"] > inpaint["input_psnr"]
    assert abs(inpaint["ssim_intact"] - inpaint["input_ssim_intact"]) < 0.005 and inpaint["psnr_intact"] < inpaint["input_psnr_intact"]
    assert 0 < inpaint["input_ssim"] - inpaint["ssim"] < 0.02 and inpaint["psnr"] - inpaint["input_psnr"] > 1
    assert max(restored_intact.values()) < one_level_db < min(input_intact)

# %% [markdown]
# ## 6. The noise factor plays no part in this sampler
#
# The noise is *global*, `Sigma_t eps`, or *modulated*, `Sigma_t pi eps`; the reference sampler gives the same
# restoration with either: with `eta = 0` the implicit step (docs/theory.md, eq. 8.1) is
# `x_s = mu + Theta_s pi_hat + (Sigma_s / Sigma_t)(x_t − mu − Theta_t pi_hat)`, with `pi_hat = x0_hat − mu`
# (the last term is absent on the first step, where `Sigma_T = 0`);
# the noise factor scales the standard deviations of `x_s` and `x_t` alike and cancels, and no fresh noise is
# added (checked below). So the modulation acts only through **training**; notebook 07 compares it with global
# noise on two trained networks.

# %%
mu_test = torch.stack([item["mu"] for item in tests["inpaint"]])
with_global_noise = restore(networks["inpaint"][0], networks["inpaint"][1].with_noise("global"), mu_test,
                            SamplerSpec(steps=SAMPLING_STEPS))
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
# `|x0_hat − x0|` over all B·C·H·W values of the batch, split into the sums over
# degraded and over intact values, each divided by B·C·H·W. Inputs: `x0`, `mu` [B, C, H, W] in [−1, 1];
# `t` [B], integer bridge times; `eps` [B, C, H, W], the standard normal noise; `bridge`, RDBM's;
# `model` already includes the `mu` skip: `model(x_t, mu, t)` returns `x0_hat`. Build `x_t` yourself from `bridge.coefficients(t)` (read its docstring).
# A pixel is degraded when `|x0 − mu| > 1/255` (half an 8-bit level in [−1, 1] units) in at least one channel;
# exactly 1/255 counts as intact; all channels of a degraded pixel are degraded. Not allowed:
# `rdbm_core.bridge.losses`, `rdbm_core.networks.training`, `rdbm_core.data.degradations`, and the bridge methods that build `x_t`
# (`sample`, `mean`, `std`).
#
# (b) The second cell applies the trainer's loss function to the shipped EMA network on training batches
# k = 0..3 (not the logged losses of iterations 1–4) and checks that your parts add up to it. In which task do
# intact pixels make the larger share of the loss? Explain it from both the degraded pixel shares (section 3)
# and the intact-pixel errors (section 5).

# %%
from rdbm_course.exercises import check

answer_06_1 = ...  # a function loss_by_region(model, x0, mu, bridge, t, eps) -> (degraded_part, intact_part)
check("06.1", answer_06_1)

# %%
# 06.1 (b): the trainer's loss function, applied to the shipped EMA network on training batches k = 0..3 of each
# task, with the trainer's times and noise for batch k; these differ from the logged losses of iterations 1-4,
# which used the raw (non-EMA) weights of those iterations
for task in TASKS if callable(answer_06_1) else ():
    task_config, (ema_network, task_bridge) = config_for(task), networks[task]
    train_pool = CachedDataset(training_dataset(task_config))
    parts = []
    for k in range(4):
        x0, mu = collate([train_pool[i] for i in batch_indices(len(train_pool), k, task_config.batch,
                                                               task_config.seed, rank=0, world=1)], "cpu")
        generator = step_generator(task_config.seed, k, rank=0)  # draws t, then eps, as the trainer does
        t = task_bridge.schedule.sample_train_times(len(x0), generator=generator)
        eps = torch.randn(x0.shape, generator=generator)
        with torch.no_grad():
            trainer_loss = float(training_loss(ema_network, task_bridge, x0, mu, task_config, step_generator(task_config.seed, k, 0)))
            parts.append(answer_06_1(ema_network, x0, mu, task_bridge, t, eps))
        assert abs(sum(parts[-1]) - trainer_loss) < 1e-4, f"{task} batch {k}: parts do not add up to {trainer_loss:.5f}"
    if parts:
        degraded_part, intact_part = np.mean(parts, axis=0)
        print(f"{task:8s}: degraded part {degraded_part:.4f}, intact part {intact_part:.4f} "
              f"({100 * intact_part / (degraded_part + intact_part):.0f} % of the loss)")
if not callable(answer_06_1):
    print("06.1 (b): not attempted yet")

# %% [markdown]
# **06.2 (implement).** Write `psnr_region(pred, target, mask)` without `rdbm_core.evidence.metrics` or
# `rdbm_core.restoration.evaluation`: the PSNR in dB of `pred` against `target` ([C, H, W] in [−1, 1]) over the pixels of
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
display(check("06.3", answer_06_3))
if callable(answer_06_3):  # section 4's prediction
    print(f"40 dB on 90 %, 10 dB on 10 %: whole_psnr(10, 40, 0.1) = {answer_06_3(10, 40, 0.1):.2f} dB")

# Check it on the table of section 5: each crop's degraded share (printed only here), your whole_psnr, the evaluation's
for task in TASKS:
    for name, item, row in zip(PHOTOS, tests[task], test_results[task]["images"]):
        share = float(degraded_mask(item["x0"], item["mu"]).float().mean())
        yours = answer_06_3(row["psnr_degraded"], row["psnr_intact"], share) if callable(answer_06_3) else math.nan
        print(f"{task:8s} {name:8s}: degraded share {share:.3f}, restored PSNR degraded {row['psnr_degraded']:.2f}, "
              f"intact {row['psnr_intact']:.2f}; whole: yours {yours:.2f}, evaluation {row['psnr']:.2f} dB")
        assert not callable(answer_06_3) or abs(yours - row["psnr"]) < 0.01, f"{task} {name}: compare with the evaluation"

# %% [markdown]
# **06.4 (predict).** After each training iteration `k` (counted from 0) the EMA weights move towards the trained
# ones with decay `min(0.999, (1 + k) / (10 + k))`: `ema_weights = decay · ema_weights + (1 − decay) · weights`. Write
# `ema_decay_at(k)` without `rdbm_core.networks.training`, then predict before running it: what decay does the last
# iteration of the deraining run use, and roughly how many recent iterations does that EMA average
# (about `1 / (1 − decay)`)? At which iteration does the decay first reach 0.999, and do this notebook's runs get
# there?

# %%
answer_06_4 = ...  # a function ema_decay_at(k) -> float
feedback_06_4 = check("06.4", answer_06_4)
display(feedback_06_4)
if feedback_06_4:  # answered: the numbers, printed below the exercise
    for task in TASKS:
        last_k = len(results[task]["losses"]) - 1
        decay = answer_06_4(last_k)
        print(f"{task:8s}: decay at k = {last_k} {decay:.4f}; 1 / (1 − decay) = {1 / (1 - decay):.0f} iterations")
    print(f"first k with decay ≥ 0.999: {next(k for k in range(100_000) if answer_06_4(k) >= 0.999)}")
    window = 1 / (1 - answer_06_4(len(results["derain"]["losses"]) - 1))
    print(f"So the deraining network that restores images averages the raw weights of about its last {window:.0f} "
          "iterations: the end of section 3's raw-weight loss curve (its last two 20-iteration windows), not its last point.")

# %% [markdown]
# **06.5 (predict, then run).** With batch 2 instead of 8, will the 20 losses of section 2's probe jump from one
# iteration to the next more (`"noisier"`), less (`"smoother"`) or about as much (`"same"`)? Predict; the cell
# then runs that probe and prints both spreads.

# %%
answer_06_5 = ...  # your prediction: "noisier", "smoother" or "same"
if answer_06_5 is not ...:  # predict first, then run
    batch_2 = train(replace(probe_config, batch=2, out=str(RUNS / "nb06_probe_batch2")), progress=False)
    for batch, losses in ((probe_config.batch, probe["losses"]), (2, batch_2["losses"])):
        print(f"batch {batch}: spread of the changes between iterations (std of diff) {np.diff(losses).std():.4f}; "
              "losses " + " ".join(f"{v:.3f}" for v in losses))
check("06.5", answer_06_5)
