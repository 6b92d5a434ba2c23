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
# embedded default data (deraining and inpainting), what `train` returns, how to read a loss curve, and how to
# measure a restoration honestly: PSNR and SSIM over the whole image, on the *degraded* pixels and on the
# *intact* ones.
#
# **Prerequisites.** Notebooks 02a–02c (the RDBM bridge `x_t = mu + Theta_t pi + Sigma_t pi eps` with the
# residual `pi = x0 - mu`, and its samplers) and 05 (the noise is proportional to `pi`, so `x_t` stays at `mu`
# wherever `pi = 0`).
#
# **Three ways to run it.** Training the two networks takes 13 CPU minutes, so the course ships them.
#
# * **default** (what you read here): a 20-iteration *probe run* shows the trainer (section 2.1); everything
#   after uses the two shipped networks (`rdbm_course.pretrained`), trained by the command line with exactly
#   the configuration of section 1. One to two minutes on a shared 2-core CPU (printed at the end of section 5).
# * **`RETRAIN=1`**: the two networks are trained here (3.7 and 9.5 minutes on one CPU thread; section 2.2
#   prints how they were made).
# * **`FAST=1`** (continuous integration only): a tiny network, 20 iterations per task; its numbers mean nothing.
#
# **Words and units.**
#
# * *Training iterations* are optimiser updates, one batch each (`TrainConfig.steps`, and `step` in `train`'s
#   result); *sampling steps* are the network evaluations of one restoration (`steps` of `restore` and
#   `evaluate`); the *grid size N* is the number of intervals of the bridge's time grid.
# * A pixel is **degraded** when the degradation changed some channel of it by more than half an 8-bit level,
#   **intact** otherwise (`degradations.degraded_mask`). Inpainting's intact pixels are those outside the holes,
#   where `mu = x0` exactly (a handful of exceptions: appendix B). Deraining's `mu` is not rounded to 8-bit
#   levels: faint streak tails change many pixels by less than half a level, and those count as intact with a
#   tiny but non-zero residual, `|pi| <= 1/255` in [−1, 1] units.
# * Tensors, residuals and the training loss are in **[−1, 1] units**; every PSNR, SSIM, error map and mean
#   error shown is in **[0, 1] units** (half the [−1, 1] value), the scale of the 8-bit image.

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
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter
from scipy.ndimage import uniform_filter

from rdbm_core.checkpoints import load_weights
from rdbm_core.data import TEST_IMAGES, SyntheticPairs
from rdbm_core.degradations import degraded_mask
from rdbm_core.evaluation import evaluate, restore
from rdbm_core.metrics import aggregate, psnr, ssim, to_unit_hwc
from rdbm_core.training import (CachedDataset, TrainConfig, batch_indices, collate, ema_decay, load_trained,
                                make_model, make_path, resolve_device, train, training_dataset)
from rdbm_course import pretrained

FAST = os.environ.get("FAST") == "1"
RETRAIN = os.environ.get("RETRAIN") == "1"  # train the two networks here instead of loading the shipped ones
# One torch thread: on a machine shared with other processes, a second thread competes with them and can make
# training several times slower. On a machine of your own, delete this line to use every core; training runs a
# fixed number of iterations, so the results do not depend on it.
torch.set_num_threads(1)
# runs/ at the repository root (git-ignored), whether the kernel starts in notebooks/ or in the root
ROOT = Path.cwd() if (Path.cwd() / "rdbm_core").is_dir() else Path.cwd().parent
RUNS = ROOT / "runs"
NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1. The configuration
#
# One `TrainConfig` describes a run completely (it is stored with the weights); the settings below are those of
# the quick-start command `python -m rdbm_core demo`. The `small` U-Net trains on batches of 8 pairs of 64x64
# pixels drawn from a fixed **pool of 1024 pairs** (`pool`), made once before the first iteration: each a random
# window of a random training photograph, possibly flipped, with a random degradation, all fixed by the seed.
# Every epoch of 1024 / 8 = 128 iterations goes through the pool in a fresh random order (how often each pair is
# used is printed below). Inpainting trains twice as long as deraining: filling a hole means inventing content,
# and section 2.3 shows it further from done after 300 iterations. The optimiser is Adam (AdamW with
# `weight_decay = 0`), learning rate 5e-4, gradients clipped to norm 1; the network that restores images is an
# exponential moving average (EMA) of the trained weights (section 3). The test photographs (`chelsea`,
# `coffee`, `rocket`, `camera`) are never seen in training.
#
# The bridge is `rdbm` with its defaults (`noise=None, lam=None` in the config, resolved by the cell): noise
# modulated by the residual, `lam = 1e-4`, N = 100. The noise of `x_t` has standard deviation `Sigma_t |pi|`,
# with `Sigma_t = sqrt(lam v_t) <= 0.01`. The network predicts `x0_hat = mu + net(x_t, mu, t)`, and the loss is
# L1 on `x0`. Each iteration's batch, times and noise are fixed by the seed and the iteration, so a run gives the
# same result on any machine up to rounding.

# %%
TRAIN_ITERATIONS = {"derain": 300, "inpaint": 600}
TASKS = ("derain", "inpaint")


def config_for(task: str) -> TrainConfig:
    if FAST:  # the fast (smoke) configuration of FAST=1: a tiny network for 20 iterations
        return TrainConfig.smoke(task=task, out=str(RUNS / f"nb06_{task}_fast"))
    return TrainConfig(task=task, preset="small", crop=64, batch=8, pool=1024, lr=5e-4,
                       steps=TRAIN_ITERATIONS[task], ckpt_every=0, out=str(RUNS / f"nb06_{task}"))


shown = config_for("derain")
print(replace(shown, out=str(Path(shown.out).relative_to(ROOT))))  # the folder relative to the repository
for task in TASKS:
    task_config = config_for(task)
    print(f"{task}: {task_config.steps} iterations x batch {task_config.batch} = "
          f"{task_config.steps * task_config.batch} draws from the pool of {task_config.pool}: each pair used "
          f"{task_config.steps * task_config.batch / task_config.pool:.1f} times on average")

bridge = make_path(shown)  # the bridge the config resolves to
grid = torch.arange(bridge.schedule.t_clean, bridge.schedule.t_T + 1)
grid_size = bridge.schedule.t_T - bridge.schedule.t_clean
largest_sigma = float(bridge.coefficients(grid)[2].max())
largest_shape = float(bridge.unit_variance(grid).max())
parameters = sum(p.numel() for p in make_model(shown, bridge).parameters())
print(f"bridge {bridge.name!r}: noise {bridge.noise!r}, lam = {bridge.lam:g}, "
      f"schedule {bridge.schedule.name!r}, grid size N = {grid_size}")
print(f"largest v_t = {largest_shape:.3f}, largest Sigma_t = {largest_sigma:.4f} "
      f"(noise std <= {100 * largest_sigma:.1f} % of |pi|)")
print(f"network: preset {shown.preset!r}, {parameters:,} parameters ({parameters / 1e6:.1f} M)")
assert shown.weight_decay == 0 and shown.grad_clip == 1.0 and shown.ema == 0.999
assert FAST or (bridge.noise == "modulated" and bridge.lam == 1e-4 and grid_size == 100)

# %% [markdown]
# ## 2. Training
#
# ### 2.1 The trainer's interface: a 20-iteration probe run
#
# `train(config)` makes the pool, runs the iterations, writes a checkpoint and returns a dict. The cell runs the
# deraining configuration of section 1 stopped after 20 of its 300 iterations (on the CPU, in
# `runs/nb06_probe/`) and prints each key of the result with what it holds. This probe network is not used
# below; it shows what a call costs and returns. Running live you also see two progress bars: the pool, then
# the iterations.

# %%
PROBE_ITERATIONS = 20
probe_config = replace(config_for("derain"), steps=PROBE_ITERATIONS, device="cpu", out=str(RUNS / "nb06_probe"))
start = time.perf_counter()
probe = train(probe_config, progress=True)
probe_call_s = time.perf_counter() - start
print("train() returned:")
print(f"  checkpoint   {Path(probe['checkpoint']).relative_to(ROOT)}: weights, EMA weights, optimiser state, losses")
print(f"  losses       the loss of every iteration ([-1, 1] units): "
      + " ".join(f"{v:.4f}" for v in probe["losses"]))
print(f"  step         {probe['step']}: training iterations done")
print(f"  wall_s       {probe['wall_s']:.1f} s for the iterations (the whole call, pool included: {probe_call_s:.1f} s)")
print(f"  world        {probe['world']}: processes training together (several with torchrun)")
print(f"  images_per_s {probe['images_per_s']:.1f}: training pairs per second")
print(f"  evals        {probe['evals']}: evaluations during training (none: eval_every = {probe_config.eval_every})")
print(f"  config       the TrainConfig used; equal to the one passed: {probe['config'] == probe_config} "
      "(when resuming, the checkpoint's settings win)")
assert probe["step"] == PROBE_ITERATIONS and len(probe["losses"]) == PROBE_ITERATIONS
assert probe["world"] == 1 and probe["evals"] == [] and probe["config"] == probe_config

# %% [markdown]
# ### 2.2 The two networks
#
# Each task gets its own network. In the default mode they are not trained here: the course ships them as
# *weights files* (the EMA weights with the run's config, iteration count and losses, in safetensors, which
# loads without executing code), made by exactly this training through the command line. The cell checks that
# each shipped config is the one of section 1, prints how it was made, and compares the probe's 20 losses with
# the first 20 of the deraining run: the same configuration repeats the same run, up to rounding.

# %%
results = {}
for task in TASKS:
    if FAST or RETRAIN:
        run = train(config_for(task), progress=True)
        results[task] = {"checkpoint": run["checkpoint"], "losses": run["losses"], "iterations": run["step"]}
        print(f"{task:8s}: trained {run['step']} iterations in {run['wall_s']:.0f} s "
              f"({run['images_per_s']:.1f} images/s)")
    else:
        file = pretrained.weights_file(f"nb06_{task}")
        _, meta = load_weights(file)
        shipped = TrainConfig.from_dict(meta["config"])
        assert replace(shipped, out=config_for(task).out) == config_for(task), f"{file.name}: another configuration"
        made = pretrained.record(f"nb06_{task}")
        results[task] = {"checkpoint": file, "losses": meta["losses"], "iterations": meta["step"]}
        print(f"{task:8s}: loaded {file.name}: {meta['step']} training iterations, trained in "
              f"{made['wall_s']:.0f} s ({made['wall_s'] / 60:.1f} min) on {made['date']} at commit "
              f"{made['commit']} by\n          {made['command']}")

assert all(math.isfinite(v) for r in results.values() for v in r["losses"])
assert all(Path(r["checkpoint"]).is_file() for r in results.values())

# the probe against the first 20 iterations of the deraining run (same device: the shipped runs are CPU runs)
same_device = not (FAST or RETRAIN) or resolve_device(config_for("derain").device).type == "cpu"
gap = np.abs(np.array(probe["losses"]) - np.array(results["derain"]["losses"][:PROBE_ITERATIONS]))
print(f"probe vs the deraining run, iterations 1-{PROBE_ITERATIONS}: largest loss difference {gap.max():.1e}"
      + ("" if FAST or RETRAIN else " (the weights file stores the losses to 6 decimals)"))
assert not same_device or gap.max() < 1e-2 * np.min(probe["losses"]), "the same configuration should repeat its run"


# %% [markdown]
# ### 2.3 Reading the loss curve
#
# Each iteration's loss is the mean of `|x0_hat − x0|` over all pixels of its batch, at a random bridge time per
# image; it jumps from iteration to iteration (faint curves), so the plots add a smoothed loss (an exponentially
# weighted average with weight `α = 0.05` on the newest iteration; nothing to do with the EMA of the weights).
# Both losses fall steadily (the wiggles at their start and end: appendix A). Their *levels* do not compare the
# tasks: the loss averages over intact pixels too, where the networks are nearly exact, so it grows with the
# share of degraded pixels, 42 % of the deraining batches against 21 % of the inpainting ones. The third panel
# therefore divides each loss by that of a network returning `mu` on the same batch (its mean `|x0 − mu|`; the
# cell rebuilds every batch from the seed and the iteration). This **relative loss** is the share of the
# input's error that the network has *not* removed: 1 for a network that changes nothing, 0 for a perfect one.
# It ends at 0.31 for deraining and 0.26 for inpainting, which stood at 0.42 after 300 iterations (hence its
# 600). The relative loss measures progress on each task, not the quality of the result: section 4 finds
# inpainting the *worse* restoration on its degraded pixels, and explains why the two rank the tasks oppositely.

# %%
def smooth(values, alpha=0.05):
    """The smoothed loss: exponentially weighted average of the values so far (bias-corrected at the start)."""
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc = (1 - alpha) * acc + alpha * v
        out.append(acc / (1 - (1 - alpha) ** (i + 1)))
    return np.array(out)


def batch_at(pool, task_config, k):
    """The training batch (x0, mu) of iteration k (counted from 0), as the trainer draws it."""
    return collate([pool[i] for i in batch_indices(len(pool), k, task_config.batch, task_config.seed, 0, 1)], "cpu")


return_mu_loss, degraded_share = {}, {}  # per task: one value per training iteration
for task in TASKS:
    task_config = config_for(task)
    pool = CachedDataset(training_dataset(task_config))
    batches = [batch_at(pool, task_config, k) for k in range(results[task]["iterations"])]
    return_mu_loss[task] = np.array([float((x0 - mu).abs().mean()) for x0, mu in batches])
    degraded_share[task] = np.array([float(degraded_mask(x0, mu).float().mean()) for x0, mu in batches])

losses = {task: np.array(results[task]["losses"]) for task in TASKS}
smoothed = {task: smooth(losses[task]) for task in TASKS}
relative = {task: losses[task] / return_mu_loss[task] for task in TASKS}
smoothed_relative = {task: smooth(relative[task]) for task in TASKS}

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
for k, task in enumerate(TASKS):
    ax, iteration = axes[k], np.arange(1, len(losses[task]) + 1)
    ax.plot(iteration, losses[task], color=f"C{k}", alpha=0.3, lw=0.8, label="every iteration")
    ax.plot(iteration, smoothed[task], color=f"C{k}", lw=2, label="smoothed (α = 0.05)")
    ax.set_title(f"{task}: training loss", fontsize=11)
    axes[2].plot(iteration, smoothed_relative[task], color=f"C{k}", lw=2, label=f"{task}, smoothed (α = 0.05)")
every_loss = np.concatenate(list(losses.values()))
for ax in axes[:2]:  # one log scale for both tasks, so their levels compare
    ax.set_yscale("log")
    ax.set_ylim(0.9 * every_loss.min(), 1.1 * every_loss.max())
    ax.yaxis.set_major_locator(FixedLocator([0.01, 0.015, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15]))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("L1 loss: mean |x0_hat − x0|\n([−1, 1] pixel units)")
axes[2].axhline(1, color="grey", lw=1, ls="--", label="network returning mu")
axes[2].set_ylim(0, 1.4)
axes[2].set_ylabel("relative loss: loss / mean |x0 − mu|\nof the same batch (no unit)")
axes[2].set_title("relative loss: share of the input's error left", fontsize=11)
for ax in axes:
    ax.set_xlabel("training iteration")
    ax.legend(fontsize=9)
plt.show()

for task in TASKS:
    print(f"{task:8s}: degraded share of the training batches' pixels {100 * degraded_share[task].mean():.0f} %")
for task in TASKS:
    print(f"{task:8s}: relative loss at the last iteration ({len(losses[task])}), smoothed: "
          f"{smoothed_relative[task][-1]:.2f}")
if len(losses["inpaint"]) >= 300:
    print(f"inpaint : relative loss at iteration 300, smoothed: {smoothed_relative['inpaint'][299]:.2f}")
assert all(np.isfinite(s).all() for s in smoothed.values())
if not FAST:
    assert all(s[-1] < s[0] for s in smoothed.values()), "the loss should go down in full mode"
    assert degraded_share["derain"].mean() > 1.5 * degraded_share["inpaint"].mean()
    assert np.mean(losses["inpaint"][-50:]) < np.mean(losses["derain"][-50:])
    assert smoothed_relative["inpaint"][-1] < smoothed_relative["derain"][-1] < smoothed_relative["inpaint"][299]

# %% [markdown]
# ## 3. Restoring held-out photographs
#
# **Predict before you see the numbers.** A restoration is 40 dB on 90 % of its pixels and 10 dB on the other
# 10 %. Is its whole-image PSNR nearer 37 dB or nearer 20 dB? Write your guess down; exercise 06.3 settles it.
#
# `load_trained` reads a weights file (default mode) or a checkpoint (`RETRAIN=1`, `FAST=1`) and rebuilds the
# network with its EMA weights. The EMA starts at the untrained network, which returns `mu` (its last layer is
# zero), and its decay is warmed up, `min(0.999, (1 + k) / (10 + k))` after iteration `k` (from 0): the target
# 0.999 is never reached in runs this short, and each run's EMA averages roughly its last few dozen iterations
# (printed below).
#
# `evaluate` restores every test image with the reference sampler (implicit, `eta = 0`, 10 sampling steps),
# measures it against the clean image and writes `metrics.json`, `metrics.csv` and a figure into the run folder.
# The test images are four 128x128 crops, one per held-out photograph, degradations fixed by the seed: enough to
# see what the restoration does, too few to compare methods (notebook 07 does that on 64 items per task, several
# training seeds and intervals). The cell also restores the crops itself to draw them, and checks that they are
# the ones `evaluate` measured.

# %%
SAMPLING_STEPS = 10
for task in TASKS:
    last = ema_decay(0.999, results[task]["iterations"] - 1)
    print(f"{task:8s}: EMA decay at the last of {results[task]['iterations']} iterations {last:.3f}, "
          f"averaging roughly the last {1 / (1 - last):.0f} iterations")
reached = next(k for k in range(100_000) if ema_decay(0.999, k) >= 0.999)
print(f"the decay reaches its target 0.999 at iteration {reached + 1}")

evals, tests, restored, networks = {}, {}, {}, {}
for task in TASKS:
    model, task_bridge, task_config = load_trained(results[task]["checkpoint"])
    networks[task] = (model, task_bridge)
    tests[task] = SyntheticPairs(task, "test", crop=32 if FAST else 128, length=2 if FAST else 4, seed=1000)
    out_dir = RUNS / f"nb06_{task}{'_fast' if FAST else ''}" / "eval"
    evals[task] = evaluate(model, task_bridge, tests[task], steps=SAMPLING_STEPS, out_dir=out_dir, progress=False)
    restored[task] = restore(model, task_bridge, torch.stack([item["mu"] for item in tests[task]]),
                             steps=SAMPLING_STEPS)
    print(f"{task}: wrote {out_dir.relative_to(ROOT) / 'metrics.json'}, metrics.csv and restorations.png")
    for item, restoration, row in zip(tests[task], restored[task], evals[task]["images"]):
        assert abs(psnr(restoration, item["x0"]) - row["psnr"]) < 1e-3, "the drawn restoration is the evaluated one"

PHOTOS = [TEST_IMAGES[i % len(TEST_IMAGES)] for i in range(len(tests["derain"]))]  # crop i is from photograph i mod 4
assert all(math.isfinite(e["summary"]["psnr"]) and math.isfinite(e["summary"]["ssim"]) for e in evals.values())

ERROR_SCALE = 0.3  # the colour scale of every error map below, [0, 1] units


def restoration_figure(task):
    """Rows: the test crops, labelled by photograph. Columns: input | restored | target | |restored - target| |
    |input - target|, the error maps in [0, 1] units on one colour scale shared by all rows. Titles: PSNR over the
    whole crop and on its degraded pixels; mean of each error map."""
    items, image_rows = tests[task], evals[task]["images"]
    height, width = items[0]["x0"].shape[1:]
    headers = ("input", "restored", "target (clean)", "|restored − target|", "|input − target|")
    fig, axes = plt.subplots(len(items), 5, figsize=(13.5, 2.75 * len(items) + 0.3), squeeze=False,
                             layout="constrained")
    for i, (item, restoration, row) in enumerate(zip(items, restored[task], image_rows)):
        target = to_unit_hwc(item["x0"], "target")  # [H, W, C] in [0, 1]
        shown_images = [to_unit_hwc(item["mu"], "input"), to_unit_hwc(restoration, "restored"), target]
        titles = [f"whole {row['input_psnr']:.2f} dB, degraded {row['input_psnr_degraded']:.2f} dB",
                  f"whole {row['psnr']:.2f} dB, degraded {row['psnr_degraded']:.2f} dB", ""]
        for ax, image in zip(axes[i, :3], shown_images):
            ax.imshow(image, interpolation="nearest")
        for ax, image in zip(axes[i, 3:], shown_images[1::-1]):  # the restored, then the input
            error = np.abs(image - target).mean(-1)  # mean over the colour channels
            im = ax.imshow(error, cmap="inferno", vmin=0, vmax=ERROR_SCALE, interpolation="nearest")
            titles.append(f"mean {error.mean():.3f}")
        for ax, header, title in zip(axes[i], headers, titles):
            ax.set_title(f"{header}\n{title}" if i == 0 else title, fontsize=9.5)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[i, 0].set_ylabel(PHOTOS[i], fontsize=12)
    bar = fig.colorbar(im, ax=axes[:, 3:], shrink=0.6, extend="max")
    bar.set_label(f"absolute error, mean over RGB ([0, 1] pixel units; ≥ {ERROR_SCALE} at the top colour)",
                  fontsize=10)
    fig.suptitle(f"{task}: {len(items)} held-out {height}x{width} crops, {results[task]['iterations']} training "
                 f"iterations, {SAMPLING_STEPS} sampling steps; titles: PSNR against the target, whole crop and "
                 "degraded pixels", fontsize=11)
    plt.show()


# %% [markdown]
# ### Deraining
# Each row is one held-out photograph: the rainy input, the restoration, the clean target, then the absolute
# error of the restoration and that of the input.
#
# **Most streaks are still there.** A few minutes of CPU training teach the network to dim the streaks, not to
# remove them: the restoration's error map still traces them, fainter, and on the degraded pixels the
# restoration keeps about three quarters of the input's absolute error (printed below the figure). On the rocket
# crop the network also **overshoots**: the streaks come out darker than the sky, as dark lines, and pixels the
# rain never touched are darkened too, a frame along the bottom and right edges and a line right of the tower.
# The rain made that crop brighter than the target on average, the restoration makes it darker, and its
# whole-image PSNR ends below the input's.

# %%
restoration_figure("derain")
rain_left = []  # per crop: sum of |restored - target| over the degraded pixels / the same sum for the input
for item, restoration in zip(tests["derain"], restored["derain"]):
    degraded = degraded_mask(item["x0"], item["mu"]).float()
    rain_left.append(float(((restoration - item["x0"]).abs() * degraded).sum()
                           / ((item["mu"] - item["x0"]).abs() * degraded).sum()))
print("absolute error left on the degraded pixels, restored / input: "
      + ", ".join(f"{name} {v:.2f}" for name, v in zip(PHOTOS, rain_left)) + f"; mean {np.mean(rain_left):.2f}")
assert all(math.isfinite(v) and v > 0 for v in rain_left)
if len(PHOTOS) > 2:
    rocket, rocket_row = tests["derain"][2], evals["derain"]["images"][2]
    brightness = [float((image - rocket["x0"]).mean() / 2) for image in (rocket["mu"], restored["derain"][2])]
    print(f"rocket, mean signed error (image − target, [0, 1] units): input {brightness[0]:+.3f}, "
          f"restored {brightness[1]:+.3f}")
    print(f"rocket, whole-image PSNR: input {rocket_row['input_psnr']:.2f} dB, restored {rocket_row['psnr']:.2f} dB")
    assert FAST or (0.6 < np.mean(rain_left) < 0.9 and brightness[0] > 0 > brightness[1]
                    and rocket_row["psnr"] < rocket_row["input_psnr"])

# %% [markdown]
# ### Inpainting
# The holes are filled with mid-grey (0 in [−1, 1] units). Their brush width is a fixed share of the image's
# short side, so the holes of these 128x128 test crops are twice as wide in pixels as those of the 64x64
# training crops (printed below the figure). The U-Net processes the whole test crop at once, but the middle of a
# stroke now lies twice as far from the known pixels at its edge as in a training crop: a harder test than
# training. With a few CPU minutes the network continues colours and smooth structures into the holes; their
# outlines stay visible and no texture is invented. On the camera crop (the tripod's legs on the grass) the fill
# is barely better than the grey on the holes, and the whole crop ends *worse* than its input: the restoration
# alters a tripod leg outside the holes (the bright diagonal line of its error map, dark in the input's).

# %%
restoration_figure("inpaint")
for size in (64, 128):  # degradations.inpaint: brush width 6-14 % of the short side
    print(f"brush width in a {size}x{size} crop: {0.06 * size:.1f}-{0.14 * size:.1f} pixels")
if len(PHOTOS) > 3:
    camera_row = evals["inpaint"]["images"][3]
    print(f"camera, PSNR on the holes: input {camera_row['input_psnr_degraded']:.2f} dB, "
          f"restored {camera_row['psnr_degraded']:.2f} dB")
    print(f"camera, whole-image PSNR: input {camera_row['input_psnr']:.2f} dB, restored {camera_row['psnr']:.2f} dB")
    assert FAST or 0 < camera_row["psnr_degraded"] - camera_row["input_psnr_degraded"] < 1.0
    assert FAST or camera_row["psnr"] < camera_row["input_psnr"]

# %% [markdown]
# ## 4. The numbers: whole image, degraded pixels, intact pixels
#
# PSNR and SSIM are measured on [0, 1] pixel values (each image mapped by `(x + 1) / 2` and clamped to [0, 1],
# since a network's output can leave [−1, 1]) with peak 1: `PSNR = 10 log10(1 / MSE)`, the mean squared error
# taken over the pixels and channels of the region, and ∞ where that error is 0 (the images are identical
# there). SSIM on a region is the mean of SSIM's per-pixel map over it. Both are computed over the whole image,
# the degraded pixels and the intact ones, for the degraded input and for the restoration. The first table of
# each task averages over the four crops (an ∞ there: at least one crop is identical on that region; appendix
# B); the second gives each crop's PSNRs with its degraded fraction.

# %%
def fmt_psnr(value):
    return "∞" if math.isinf(value) else f"{value:.2f}"


def summary_table(summary):
    lines = ["| region | PSNR input (dB) | PSNR restored (dB) | SSIM input | SSIM restored |",
             "|---|---:|---:|---:|---:|"]
    for region, suffix in (("whole image", ""), ("degraded pixels", "_degraded"), ("intact pixels", "_intact")):
        lines.append(f"| {region} | {fmt_psnr(summary['input_psnr' + suffix])} | {fmt_psnr(summary['psnr' + suffix])} "
                     f"| {summary['input_ssim' + suffix]:.4f} | {summary['ssim' + suffix]:.4f} |")
    return "\n".join(lines)


def per_image_table(task):
    lines = ["| photograph | degraded fraction | PSNR whole (dB) | PSNR degraded (dB) | PSNR intact (dB) |",
             "|---|---:|---:|---:|---:|"]
    for name, item, row in zip(PHOTOS, tests[task], evals[task]["images"]):
        degraded_fraction = float(degraded_mask(item["x0"], item["mu"]).float().mean())
        for label, prefix in (("input", "input_"), ("restored", "")):
            lines.append(f"| {name}, {label} | {degraded_fraction:.4f} | " + " | ".join(
                fmt_psnr(row[prefix + key]) for key in ("psnr", "psnr_degraded", "psnr_intact")) + " |")
    return "\n".join(lines)


for task in TASKS:
    summary = evals[task]["summary"]
    display(Markdown(f"**{task}** (mean over {summary['count']} test crops; {results[task]['iterations']} training "
                     f"iterations, {SAMPLING_STEPS} sampling steps)\n\n" + summary_table(summary)
                     + f"\n\n**{task}, per test crop**\n\n" + per_image_table(task)))
    assert all(math.isfinite(summary[k]) for k in ("psnr", "ssim", "psnr_degraded", "ssim_degraded", "ssim_intact"))
    assert FAST or (summary["psnr"] > summary["input_psnr"] and summary["psnr_degraded"] > summary["input_psnr_degraded"])

# %% [markdown]
# Three readings of the tables, measured in the cell below (the SSIM factors in appendix C).
#
# **Degraded pixels: the restoration itself.** Both networks improve their degraded pixels. Inpainting gains
# more, in line with its lower relative loss (section 2.3), yet ends several dB *below* deraining. The two
# measures answer different questions: the relative loss is the *share* of the input's error removed, the
# degraded-pixel PSNR the error *left*. A grey hole starts much further from the truth than a semi-transparent
# streak (see the inputs' degraded-pixel PSNRs), so removing a larger share of its error still leaves more.
#
# **PSNR and SSIM disagree on inpainting.** The fill raises the holes' PSNR but lowers their SSIM below the flat
# grey's. SSIM multiplies, in every 7x7 window, a *means* factor `(2 μx μy + C1) / (μx² + μy² + C1)` and a
# *contrast-structure* factor `(2 σxy + C2) / (σx² + σy² + C2)`: x the image, y the truth, σ² their local
# variances, σxy their covariance, `C2 = 0.03²`. Inside a flat grey hole `σx = σxy = 0`, so the second factor is
# `C2 / (σy² + C2)`. A fill with variation of its own scores *below* that unless the variation follows the
# truth's, exactly when `σxy < σx² C2 / (2 (σy² + C2))`, a bound near zero where the truth is textured
# (`σy² ≫ C2`). On the holes the fill's better local means raise the first factor, its variation lowers the
# second more (appendix C).
#
# **Intact pixels: preservation.** Preservation means the restoration's intact PSNR stays near the *input's*:
# ∞ or 66–81 dB here. As a yardstick, an error of one 8-bit level on every pixel is
# `10 log10(255²) = 48.13 dB`, of ten levels 28.13 dB. Every restoration falls far below its input, changing
# its intact pixels by more than a level (root mean square): whatever the whole image gains comes from the
# degraded pixels, *despite* losses on the intact ones. The three below the ten-level mark are the damage seen
# in the figures: deraining's rocket (the dark frame) and camera, inpainting's camera (the tripod leg). (The
# intact SSIM of inpainting still rises: its 7x7 windows next to a hole also see the filled pixels.)

# %%
summaries = {task: evals[task]["summary"] for task in TASKS}
for task in TASKS:
    print(f"{task:8s}: degraded pixels, PSNR input {summaries[task]['input_psnr_degraded']:.2f} dB -> restored "
          f"{summaries[task]['psnr_degraded']:.2f} dB (gain "
          f"{summaries[task]['psnr_degraded'] - summaries[task]['input_psnr_degraded']:.2f} dB); relative loss at the "
          f"end of training {smoothed_relative[task][-1]:.2f}")
gap_db = summaries["derain"]["psnr_degraded"] - summaries["inpaint"]["psnr_degraded"]
print(f"inpainting ends {gap_db:.2f} dB below deraining on the degraded pixels")

one_level_db, ten_levels_db = 10 * math.log10(255 ** 2), 10 * math.log10((255 / 10) ** 2)
input_intact = [row["input_psnr_intact"] for task in TASKS for row in evals[task]["images"]]
restored_intact = {(task, name): row["psnr_intact"] for task in TASKS for name, row in zip(PHOTOS, evals[task]["images"])}
finite_input = [v for v in input_intact if math.isfinite(v)]
print(f"intact pixels, input: {min(finite_input):.2f}-{max(finite_input):.2f} dB, and ∞ on "
      f"{len(input_intact) - len(finite_input)} of the {len(input_intact)} crops")
print(f"intact pixels, restored: {min(restored_intact.values()):.2f}-{max(restored_intact.values()):.2f} dB")
print(f"yardstick: one 8-bit level of error on every pixel {one_level_db:.2f} dB, ten levels {ten_levels_db:.2f} dB")
below_ten = [key for key, v in restored_intact.items() if v < ten_levels_db]
print("restored intact PSNR below the ten-level mark: " + ", ".join(f"{task} {name} {restored_intact[task, name]:.2f} dB"
                                                                 for task, name in below_ten))
print(f"inpainting, intact SSIM: input {summaries['inpaint']['input_ssim_intact']:.4f} -> restored "
      f"{summaries['inpaint']['ssim_intact']:.4f}")
if not FAST:
    assert all(summaries[t]["psnr_degraded"] > summaries[t]["input_psnr_degraded"] for t in TASKS)
    assert (summaries["inpaint"]["psnr_degraded"] - summaries["inpaint"]["input_psnr_degraded"]
            > summaries["derain"]["psnr_degraded"] - summaries["derain"]["input_psnr_degraded"]) and gap_db > 3
    assert summaries["inpaint"]["input_psnr_degraded"] < summaries["derain"]["input_psnr_degraded"] - 3
    assert summaries["inpaint"]["ssim_degraded"] < summaries["inpaint"]["input_ssim_degraded"]
    assert max(restored_intact.values()) < one_level_db < min(input_intact)
    assert set(below_ten) == {("derain", "rocket"), ("derain", "camera"), ("inpaint", "camera")}
    assert summaries["inpaint"]["ssim_intact"] > summaries["inpaint"]["input_ssim_intact"]

# %% [markdown]
# ## 5. Why the intact pixels are the network's job
#
# Along RDBM's forward bridge `x_t − mu = (Theta_t + Sigma_t eps) pi`: zero where `pi = 0` (outside inpainting's
# holes), of the size of `pi` on deraining's intact pixels. It is tempting to explain the restoration's intact
# pixels the same way, "the sampler puts no noise there", but the reference sampler (implicit, `eta = 0`,
# started at `x_T = mu`) injects no noise anywhere, and the noise factor cancels from its steps (notebook 02c,
# section 1; docs/theory.md §8, eq. 8.5): for a given network its trajectory is the same with modulated or
# global noise. The cell checks this on the trained inpainting network and the test crops above.
#
# So the modulation acts through **training** only (docs/theory.md §8–9): the network learned on bridges whose
# intact pixels stay at, or within `|pi|` of, `mu`, where its task is to predict a residual of about zero. A
# restoration's intact pixels are exactly as good as that prediction, and section 4 shows that a few minutes of
# training have not learned it well. Whether modulation preserves intact pixels *better* than global noise is a
# comparison of two trained networks, made with intervals in notebook 07 (`rdbm` against `rdbm-global`).

# %%
inpaint_model, inpaint_bridge = networks["inpaint"]
mu_test = torch.stack([item["mu"] for item in tests["inpaint"]])
with_global_noise = restore(inpaint_model, inpaint_bridge.with_noise("global"), mu_test, steps=SAMPLING_STEPS)
largest_difference = float((restored["inpaint"] - with_global_noise).abs().max())
print(f"eta = 0 from mu, {len(mu_test)} test crops of {mu_test.shape[-2]}x{mu_test.shape[-1]}: largest |difference| "
      f"between the restorations with modulated and with global noise = {largest_difference:.1e}")
assert largest_difference < 1e-5
print(f"notebook wall time: {(time.perf_counter() - NOTEBOOK_START) / 60:.1f} min")

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/06_training_rdbm_solutions.ipynb`.
#
# **06.1 (implement).** Section 2.3 says that the loss grows with the share of degraded pixels. Make that precise
# for one batch: write `loss_by_region(model, x0, mu, bridge, t, eps)` that returns two floats
# `(degraded_part, intact_part)`: the contributions of the degraded and of the intact pixels to the batch's
# training loss, so that they add up to it. The inputs: `x0` and `mu` [B, C, H, W] in [−1, 1]; `t` [B],
# integer times on the bridge's grid; `eps` [B, C, H, W], the standard normal noise of the bridge;
# `bridge`, RDBM's (`rdbm_core.bridges.rdbm()`); `model(x_t, mu, t)` returns `x0_hat`. The loss is that of
# section 1 at the point `x_t` of RDBM's bridge for these times and noise. The notebook does not list the steps:
# build `x_t` from `bridge.coefficients(t)` (read its docstring), and decide which pixels are degraded from the
# definition at the top of the notebook. Not allowed: `rdbm_core.losses`, `rdbm_core.training`,
# `rdbm_core.degradations`, and the bridge's methods that build `x_t` for you (`sample`, `mean`, `std`).

# %%
from rdbm_course.exercises import check

answer_06_1 = ...  # a function loss_by_region(model, x0, mu, bridge, t, eps) -> (degraded_part, intact_part)
check("06.1", answer_06_1)

# %% [markdown]
# **06.2 (implement).** Write `psnr_region(pred, target, mask)` without `rdbm_core.metrics` or
# `rdbm_core.evaluation`: the PSNR in dB of `pred` against `target` ([C, H, W] in [−1, 1]) over the pixels of
# the bool mask [1, H, W] and all channels, with the conventions of section 4 (including the value for an
# identical region), returned as a float.

# %%
answer_06_2 = ...  # a function psnr_region(pred, target, mask) -> float (dB)
check("06.2", answer_06_2)

# %% [markdown]
# **06.3 (derive).** A restoration has PSNR `psnr_degraded` on a fraction `fraction` of its pixels and
# `psnr_intact` on the rest (either may be `math.inf`: an identical region). What is its whole-image PSNR?
# Write `whole_psnr(psnr_degraded, psnr_intact, fraction)`, then check it against your prediction at the start
# of section 3 and against the per-crop tables of section 4: from each crop's degraded fraction and its two
# regional PSNRs it should give the crop's whole-image PSNR, up to the tables' rounding.

# %%
answer_06_3 = ...  # a function whole_psnr(psnr_degraded, psnr_intact, fraction) -> float (dB)
check("06.3", answer_06_3)

# %% [markdown]
# ## Appendix (optional): details behind the main text
#
# ### A. The start and the end of the loss curves
#
# * **The start.** The network's last layer starts at zero, so the untrained network returns `mu`: the first loss
#   is the batch's mean `|x0 − mu|` and the relative loss starts at exactly 1. The smoothed loss then rises for
#   a few iterations, for two reasons: the next batches happen to hold more residual (the smoothed loss of the
#   network returning `mu` rises too), and the first updates make the network *worse* than returning `mu`
#   (relative loss above 1).
# * **The end.** The smoothed deraining loss turns up over its last iterations. That is within the curve's
#   noise: part of it is the batches (the loss of returning `mu` on the same iterations rises too), single
#   iterations scatter by more than a quarter of their size, and inpainting's curve had a bump as large earlier
#   that it later went below.

# %%
def largest_bump(task, start, stop, window=15):
    """Largest rise (%) of the smoothed loss over its minimum of the preceding `window` iterations, in [start, stop)."""
    curve = smoothed[task]
    return max((100 * (curve[i] / curve[max(0, i - window):i + 1].min() - 1), i + 1) for i in range(start, stop))


for task in TASKS:
    peak_at = int(np.argmax(smoothed[task][:10])) + 1
    return_mu_smoothed = smooth(return_mu_loss[task])
    print(f"{task:8s}: iteration 1: loss {losses[task][0]:.4f}, batch mean |x0 - mu| {return_mu_loss[task][0]:.4f}")
    print(f"{task:8s}: smoothed loss {smoothed[task][0]:.4f} at iteration 1, {smoothed[task][peak_at - 1]:.4f} at "
          f"iteration {peak_at} (its highest in the first 10)")
    print(f"{task:8s}: smoothed loss of returning mu {return_mu_smoothed[0]:.4f} at iteration 1, "
          f"{return_mu_smoothed[peak_at - 1]:.4f} at iteration {peak_at}")
    print(f"{task:8s}: highest relative loss in iterations 2-10: {relative[task][1:10].max():.2f}")
    assert abs(losses[task][0] - return_mu_loss[task][0]) < 1e-5, "iteration 1: the network returns mu"

curve, return_mu_smoothed = smoothed["derain"], smooth(return_mu_loss["derain"])
lowest = int(np.argmin(curve))
scatter = np.std(losses["derain"][-100:]) / np.mean(losses["derain"][-100:])
n = len(smoothed["inpaint"])
bump, bump_at = largest_bump("inpaint", *((50, n - 20) if n > 100 else (1, n)))
went_below = smoothed["inpaint"][bump_at:].min() < smoothed["inpaint"][max(0, bump_at - 16):bump_at].min()
print(f"derain  : smoothed loss {curve[lowest]:.4f} at iteration {lowest + 1}, {curve[-1]:.4f} at {len(curve)} "
      f"({100 * (curve[-1] / curve[lowest] - 1):+.1f} %)")
print(f"derain  : smoothed loss of returning mu over the same iterations "
      f"{100 * (return_mu_smoothed[-1] / return_mu_smoothed[lowest] - 1):+.1f} %")
print(f"derain  : single-iteration losses over the last 100 iterations, std / mean {100 * scatter:.0f} %")
print(f"inpaint : largest earlier bump {bump:+.1f} % at iteration {bump_at}; later below its minimum: {went_below}")
if not FAST:
    rise = 100 * (curve[-1] / curve[lowest] - 1)
    assert rise > 0 and return_mu_smoothed[-1] > return_mu_smoothed[lowest] and scatter > 0.25
    assert bump >= rise - 0.5 and went_below
    assert all(relative[t][1:10].max() > 1 for t in TASKS)

# %% [markdown]
# ### B. Three details of the tables
#
# * **Deraining's intact pixels are mostly not untouched.** Its `mu` is not rounded to 8-bit levels, and the
#   faint tails of the streaks change most of the intact pixels by less than half a level (printed below).
#   That is why the input's intact PSNR is high but finite.
# * **Hole pixels that count as intact.** The grey fill is 0 in [−1, 1] units, the 8-bit level 127.5. A hole
#   pixel whose true value is 127 or 128 *in every channel* differs from the fill by exactly half a level and
#   counts as intact. In colour that is rare; the camera crop is grey, and its few such pixels keep its input's
#   intact PSNR finite.
# * **∞ in the averages.** The library's `aggregate` counts an ∞ as 100 dB in the restorations' PSNRs (the
#   `psnr...` keys), so that one perfect image cannot make a method's mean infinite and unrankable, and leaves the
#   input's (`input_psnr...`) alone, since they describe the data rather than score a method. No restoration here
#   is identical to its target on any region, so the rule changes no number in the tables.

# %%
faint = [float(((item["x0"] != item["mu"]).any(0) & ~degraded_mask(item["x0"], item["mu"])[0]).sum()
               / (~degraded_mask(item["x0"], item["mu"])).sum()) for item in tests["derain"]]
print("deraining, intact pixels with x0 != mu (changed by less than half a level): "
      + ", ".join(f"{name} {100 * v:.0f} %" for name, v in zip(PHOTOS, faint)))
half_level = [int(((item["x0"] != item["mu"]).any(0) & ~degraded_mask(item["x0"], item["mu"])[0]).sum())
              for item in tests["inpaint"]]
print("inpainting, hole pixels that count as intact: " + ", ".join(f"{name} {k}" for name, k in zip(PHOTOS, half_level)))
identical = sum(math.isinf(row[key]) for task in TASKS for row in evals[task]["images"]
                for key in ("psnr", "psnr_degraded", "psnr_intact"))
print(f"restorations identical to their target on a region: {identical}")
one_row = aggregate([{"psnr_intact": math.inf, "input_psnr_intact": math.inf}])
print(f"the library's average of one identical crop: psnr_intact {one_row['psnr_intact']:g}, "
      f"input_psnr_intact {one_row['input_psnr_intact']}")
assert one_row["psnr_intact"] == 100 and math.isinf(one_row["input_psnr_intact"]) and identical == 0
assert FAST or (min(faint) > 0.5 and half_level[3] > 0 and half_level[:3] == [0, 0, 0]
                and math.isfinite(evals["inpaint"]["images"][3]["input_psnr_intact"]))

# %% [markdown]
# ### C. SSIM on the holes, factor by factor
#
# SSIM's map is the product of the means factor and the contrast-structure factor of section 4, computed in
# 7x7 windows on [0, 1] values (scikit-image's settings, those of `rdbm_core.metrics.ssim`). The cell averages
# each factor over the holes of the four inpainting crops, for the grey fill and for the restoration, and checks
# that the product reproduces the library's SSIM on the holes, crop by crop.

# %%
def ssim_factors(image, truth, region):
    """Mean over the region's pixels (all channels) of SSIM's means factor, its contrast-structure factor and
    their product (= rdbm_core.metrics.ssim on the region): scikit-image's 7x7 windows on [0, 1] values."""
    x, y = to_unit_hwc(image, "image"), to_unit_hwc(truth, "truth")

    def window(a):  # the local mean over 7x7 pixels, channel by channel
        return uniform_filter(a, size=(7, 7, 1))

    mx, my = window(x), window(y)
    unbiased = 49 / 48  # scikit-image's sample (co)variances
    vx, vy, cxy = (unbiased * (window(a * b) - ma * mb) for a, b, ma, mb in ((x, x, mx, mx), (y, y, my, my),
                                                                              (x, y, mx, my)))
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    means = (2 * mx * my + c1) / (mx ** 2 + my ** 2 + c1)
    structure = (2 * cxy + c2) / (vx + vy + c2)
    inside = region[0].numpy()
    return means[inside].mean(), structure[inside].mean(), (means * structure)[inside].mean()


holes = {label: np.array([ssim_factors(image, item["x0"], degraded_mask(item["x0"], item["mu"]))
                          for item, image in zip(tests["inpaint"], images)])
         for label, images in (("grey fill", [item["mu"] for item in tests["inpaint"]]),
                               ("restored", restored["inpaint"]))}
for label, key in (("grey fill", "input_ssim_degraded"), ("restored", "ssim_degraded")):
    factors = holes[label]
    print(f"inpainting holes, {label:9s}: SSIM {factors[:, 2].mean():.4f}; means factor {factors[:, 0].mean():.2f}, "
          f"contrast-structure factor {factors[:, 1].mean():.2f}")
    assert np.allclose(factors[:, 2], [row[key] for row in evals["inpaint"]["images"]], atol=1e-6)

if not FAST:
    assert holes["restored"][:, 0].mean() > holes["grey fill"][:, 0].mean()
    assert holes["restored"][:, 1].mean() < holes["grey fill"][:, 1].mean()
