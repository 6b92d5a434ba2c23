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
# **Prerequisites.** Notebooks 02a–02c and 05; the recap below restates what this notebook uses from them.
#
# **How it runs.** The course ships the two trained networks (deraining, inpainting) and this notebook loads them;
# `RETRAIN=1` trains them here (about 13 CPU minutes). `FAST=1` (continuous integration only) uses a tiny network
# whose numbers mean nothing.
#
# **Words.** A *training iteration* is one optimiser update on one batch; the plots and section 3 count them from 1
# (the config field that sets how many is `steps`). A *sampling step* is one network evaluation while restoring an
# image. A pixel is **degraded** when the degradation changed at least one of its channels by more than half an
# 8-bit level, **intact** otherwise. Tensors and the loss are in [−1, 1] units; PSNR, SSIM and error maps are in
# [0, 1] units, the scale of the 8-bit image.
#
# **Recap: the bridge.**
#
# * *Times* `t` are the integer indices of a grid, from the clean end `t = −1` to `t_T = 99`; at `t = −1` the state
#   is the clean image itself. Training draws `t` from 0, 1, …, 99 and never −1, where the network would only have
#   to copy its input; a restoration's last step lands on `t = −1`. (Index 0 already carries one step of the clock:
#   `Theta_0 = 0.9994`, printed in section 1.)
# * With the *residual* `pi = x0 − mu` (clean image minus degraded image, with its sign), the bridge's state at
#   time `t` is `x_t = mu + Theta_t pi + Sigma_t pi ⊙ eps`: `eps` is standard normal noise of the image's shape and
#   `⊙` the elementwise product, so no noise lands where `pi = 0` (the *modulated* noise of notebook 05).
# * `Theta_t` falls from 1 at the clean end to 0 at `t_T`. `Sigma_t`, the noise scale, is 0 at both ends, so
#   `x_{t_T} = mu` exactly. It is proportional to `sqrt(lam)`: `lam` sets the noise level, the schedule its shape
#   over `t`.
# * A *sampler* restores an image by stepping from `x_{t_T} = mu` to the clean end, asking the network for its
#   estimate `x0_hat` of the clean image at each step; `eta` scales the fresh noise a step adds (`eta = 0`: none).

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

from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.data.datasets import SyntheticPairs
from rdbm_core.data.degradations import degraded_mask
from rdbm_core.data.embedded import TEST_IMAGES
from rdbm_core.evidence.metrics import psnr
from rdbm_core.networks.checkpoints import load_trained, load_weights
from rdbm_core.networks.config import TrainConfig, make_model, make_path
from rdbm_core.networks.training import ema_decay, step_generator, train, training_loss
from rdbm_core.restoration.evaluation import EvaluationOptions, evaluate
from rdbm_course import pretrained, training_lesson
from rdbm_course.training_lesson import CurveSummary

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
# One `TrainConfig` describes a run; it is stored with the weights. The fields that matter here (their values for
# both tasks are in the table below):
#
# * `preset="small"`: the U-Net's size (parameters printed below); `unet_norm="group"`: its normalisation layers
#   are GroupNorm, as in the shipped networks.
# * `crop=64`, `batch=8`: each training iteration uses 8 pairs of 64x64 pixels, each a clean `x0` and a degraded
#   `mu`. They are drawn from a fixed pool of `pool=1024` pairs. Each pair is a random 64x64 window of one of the
#   training photographs (listed below), flipped left-right at random, with a random degradation (rain streaks,
#   or holes for inpainting). The four test photographs are never used in training.
# * `steps`: the number of **training iterations** (not sampling steps): 300 for deraining, 600 for
#   inpainting, which must invent the content of holes.
# * `lr=5e-4`: the learning rate of the Adam optimiser.
# * `ema=0.999`: the cap of the EMA decay after a warm-up (exercise 06.4). The network that restores images is an
#   exponential moving average (EMA) of the trained weights.
# * `grad_clip=1.0`: the global gradient norm is clipped to at most 1.
# * `skip_mu=True`: the network outputs a correction, `x0_hat = mu + net(x_t, mu, t)`.
# * `objective="x0"`, `norm="l1"`: the loss is the mean absolute error `|x0_hat − x0|`.
# * `eval_every=0`: no evaluation during training, so `sample_steps=10`, the sampling steps of those evaluations,
#   is unused here.
# * `bridge="rdbm"`; `noise=None` and `lam=None` mean the bridge's own defaults, printed under the table with the
#   range of `Theta_t` and `Sigma_t` on the grid. `seed=0` fixes the pool, the batches, the times and the noise.
#
# The other fields keep their defaults.

# %%
TRAIN_ITERATIONS = {"derain": 300, "inpaint": 600}
TASKS = ("derain", "inpaint")


def config_for(task: str) -> TrainConfig:
    if FAST:  # a tiny network for 20 iterations
        return TrainConfig.smoke(task=task, out=str(RUNS / f"nb06_{task}_fast"))
    config = TrainConfig(task=task, preset="small", crop=64, batch=8, pool=1024, lr=5e-4, unet_norm="group",
                         steps=TRAIN_ITERATIONS[task], ckpt_every=0, out=str(RUNS / f"nb06_{task}"))
    return replace(config, device="cpu") if RETRAIN else config  # the shipped run: device="auto", resolved to the CPU


display(Markdown(training_lesson.config_table({task: config_for(task) for task in TASKS})))
shown = config_for("derain")
bridge = make_path(shown)
parameters = sum(p.numel() for p in make_model(shown, bridge).parameters())
print(f"bridge {bridge.name!r}, noise {bridge.noise!r}, lam {bridge.lam:g}; network {shown.preset!r}: "
      f"{parameters / 1e6:.1f} M parameters")
grid = torch.arange(0, bridge.schedule.t_T + 1)
theta, _, sigma = bridge.coefficients(grid)  # (Theta_t, Psi_t, Sigma_t); Psi_t = 1 − Theta_t is not used here
print(f"on t = 0 … {bridge.schedule.t_T}: Theta_t falls from {theta[0]:.4f} to {theta[-1]:g}; Sigma_t rises from "
      f"{sigma[0]:.4f} to at most {sigma.max():.4f} (t = {int(sigma.argmax())}) and ends at {sigma[-1]:g}")
print(training_lesson.photographs_text())

# %% [markdown]
# The training photographs are scikit-image's sample photographs (an astronaut, a motorcycle, a Hubble deep field,
# a stained tissue sample, textures of brick, grass and gravel, the moon, coins); the test photographs are its cat
# (chelsea), coffee cup, rocket on its launch tower and the greyscale camera man. Every photograph is much larger
# than a 64x64 training crop.
#
# **One training iteration, in pictures.** Each row of the next figure is the first training pair of the first
# iteration's batch (64x64 pixels) of one task. Its columns: the clean `x0`, the degraded `mu`, the degraded pixels, the
# bridge's state `x_t` at three times (one noise `eps` per row), and the size of the noise term
# `Sigma_t pi ⊙ eps` at the last of them (its absolute value, averaged over RGB; one colour scale for both rows).
# Under them, a diagram of what one iteration does with a batch.

# %%
pools = {task: training_lesson.training_pool(config_for(task)) for task in TASKS}  # the trainer's pools of pairs
first_pairs = {task: tuple(x[0] for x in training_lesson.trainer_batch(config_for(task), pools[task], k=0))
               for task in TASKS}
training_lesson.training_pair_figure(first_pairs, bridge, times=(25, 50, 90))
plt.show()

# %% [markdown]
# * Both tasks happen to draw the same crop of the same training photograph here: only the degradation differs.
# * **Degraded and intact.** The third column is the split that sections 4 and 5 judge restorations by: the
#   streaks of rain, or the holes of inpainting (mid-grey), are degraded; every other pixel is intact.
# * **The path.** `x_t` moves from near `x0` (`Theta = 0.84` at `t = 25`) to near `mu` (`Theta = 0.02` at
#   `t = 90`). At each time the network sees such a blend with `mu` and `t`, and must give back `x0`.
# * **The noise** is at most about two 8-bit levels (the last column's colour bar), and only where `pi ≠ 0`:
#   mostly the degraded pixels. An intact pixel carries a little where the degradation changed it by less than half
#   a level (deraining's soft streak edges do, section 5). With `lam = 1e-4` the noise is invisible in `x_t`.
# * **One iteration** (the diagram): draw a time and noise per pair, build `x_t`, predict `x0_hat`, take the L1 loss
#   over every value of the batch, degraded and intact, then one Adam step and an update of the EMA weights.
#   Exercise 06.1 writes the loss and splits it by region.

# %% [markdown]
# ## 2. The trainer: a probe run
#
# `train(config)` builds its pool of pairs (the same 1024 pairs as section 1's `pools`, built again inside the
# call) and the network, runs the training iterations, writes a checkpoint and returns a dict. The *probe* runs
# the deraining configuration for 20 iterations only, to show what a call returns.

# %%
PROBE_ITERATIONS = 20
probe_config = replace(config_for("derain"), steps=PROBE_ITERATIONS, device="cpu", out=str(RUNS / "nb06_probe"))
probe = train(probe_config, progress=False)
print(f"checkpoint   {Path(probe['checkpoint']).relative_to(ROOT)} (weights, EMA weights, optimiser state)")
print(f"losses       one per training iteration: " + " ".join(f"{v:.3f}" for v in probe["losses"]))
print(f"step         {probe['step']} training iterations done")
print(f"wall_s       {probe['wall_s']:.1f} s for the iterations (the setup not included)¹; "
      f"images_per_s {probe['images_per_s']:.1f}")
print(f"other keys   {sorted(set(probe) - {'checkpoint', 'losses', 'step', 'wall_s', 'images_per_s'})}: the config, "
      f"the evaluations during training (none asked), the number of processes")

# %% [markdown]
# ## 3. The shipped networks and their loss curves
#
# The shipped files hold the EMA weights, the config (checked against section 1 in the checks at the end) and
# every iteration's loss. The next cell loads them, or trains them with `RETRAIN=1`, and compares the probe's 20
# losses with the deraining run's first 20.

# %%
results = {}
for task in TASKS:
    if FAST or RETRAIN:
        run = train(config_for(task), progress=False)
        results[task] = {"checkpoint": run["checkpoint"], "losses": run["losses"], "config": None}
        print(f"{task:8s}: trained {run['step']} iterations here in {run['wall_s'] / 60:.1f} min¹")
    else:
        file = pretrained.weights_file(f"nb06_{task}")
        _, meta = load_weights(file)
        results[task] = {"checkpoint": file, "losses": meta["losses"], "config": TrainConfig.from_dict(meta["config"])}
        print(f"{task:8s}: {file.name}, {meta['step']} training iterations, "
              f"{pretrained.record(f'nb06_{task}')['wall_s'] / 60:.1f} min to train¹")
gap = np.abs(np.array(probe["losses"]) - np.array(results["derain"]["losses"][:PROBE_ITERATIONS])).max()
print(f"probe vs deraining run, first {PROBE_ITERATIONS} losses: largest difference {gap:.1e}")

# %% [markdown]
# The probe's losses are the deraining run's first 20 up to rounding (largest difference printed): a run is
# reproducible from its config.
#
# ¹ *Provenance.* `pretrained.record("nb06_derain")` (and `"nb06_inpaint"`) holds the command, commit, date and
# wall time that made each shipped file. All times in this notebook come from a 2-core CPU shared with other jobs,
# with one torch thread: they vary with the load, the losses do not.
#
# The figure below plots, per task, each iteration's loss (thin line) and a *smoothed loss* (thick line): a running
# average with weight α = 0.05 on each new loss, corrected so that its first values are not biased towards 0. It
# only smooths the plotted numbers; the EMA of the weights (section 1) averages the network's parameters and is
# what restores images. For a run of `N` iterations (300 or 600), the cell prints the smoothed loss at iteration
# `2N/3`, its minimum and last value, the mean raw loss over the last two windows of 20 iterations, and the share of
# degraded pixels in the batches each run trained on.

# %%
degraded_share = {task: training_lesson.degraded_share(config_for(task), pools[task], len(results[task]["losses"]))
                  for task in TASKS}
curves = {task: CurveSummary.of(results[task]["losses"]) for task in TASKS}
for task in TASKS:
    print(f"{task:8s}: {100 * degraded_share[task]:.0f} % of the training pixels are degraded; " + curves[task].text())
training_lesson.loss_curve_figure({task: results[task]["losses"] for task in TASKS})
plt.show()

# %% [markdown]
# **Reading the curves.**
#
# * **Each iteration's loss jumps**: it is that of the raw (non-EMA) weights, measured on a different batch at
#   random bridge times. There is no held-out loss.
# * **The levels cannot be compared across tasks.** 42 % of deraining's training pixels are degraded against 21 %
#   of inpainting's, and the loss is a mean over all pixels. Exercise 06.1 splits it by region.
# * **Both smoothed curves still fall late.** Deraining's goes from 0.0297 at iteration 200 (`2N/3` with
#   `N = 300`) to its minimum 0.0207 at iteration 287; inpainting's from 0.0260 at 400 to 0.0197 at 589. Each
#   minimum lies in the last tenth of its run, so the networks look under-trained (section 4 shows leftover streaks).
# * **The last value.** Deraining ends at 0.0227, above its minimum. The mean raw losses of its last two
#   20-iteration windows differ by +0.0026 ± 0.0015 (1.7 standard errors); inpainting's by −0.0020 ± 0.0016
#   (1.2 standard errors). Neither difference reaches two standard errors: the runs are too short to tell batch
#   noise from a turn of the curve.

# %% [markdown]
# ## 4. Restoring held-out crops
#
# `load_trained` rebuilds a network with its EMA weights; `evaluate` restores each test crop with the reference
# sampler, the *implicit* sampler of notebook 02c with `eta = 0`: 10 sampling steps on the times 99, 89, …, 9, −1.
# Each step, from a time `t` to the next earlier time `s`, asks the network for `x0_hat` and moves the state to the
# bridge's mean at `s` for that estimate, `mu + Theta_s (x0_hat − mu)`, plus the current small deviation from the
# mean scaled by `Sigma_s / Sigma_t`; the last step returns `x0_hat`. No random number enters, so a restoration is
# deterministic. With `eta = 0` the noise factor also cancels from the step (shown in notebook 02c, section 2), so
# in these restorations residual modulation acts only through training; a sampler with `eta > 0` would add noise
# shaped by it. Notebook 07 compares it with *global* noise, `Sigma_t eps` on every pixel.
#
# The test set is one 128x128 crop of each of the four test photographs (window and degradation fixed by
# `seed=1000`): too few to compare methods. The next cell restores the crops of both tasks and shows deraining's.
#
# ### Deraining
#
# Each row of the figure is one test crop: the input, the restoration, the target and two maps of the error
# `|restored − target|`: on all pixels (scale 0–0.3), and on the **intact pixels only** (scale 0–0.05; degraded
# pixels white, not scored), which shows damage to pixels the degradation never touched. The titles give the PSNR
# on the whole crop, its degraded and its intact pixels. The cell then prints how much of the input's error on the
# degraded pixels each restoration keeps.

# %%
SAMPLING_STEPS = 10  # network evaluations per restoration, not training iterations
PHOTOS = TEST_IMAGES[:2] if FAST else TEST_IMAGES
networks, tests, test_results, restored = {}, {}, {}, {}
for task in TASKS:
    networks[task] = load_trained(results[task]["checkpoint"])[:2]  # (EMA network, bridge)
    tests[task] = SyntheticPairs(task, "test", crop=32 if FAST else 128, length=len(PHOTOS), seed=1000)
    test_results[task] = evaluate(*networks[task], tests[task], SamplerSpec(steps=SAMPLING_STEPS),
                                  options=EvaluationOptions(progress=False))
    restored[task] = [image for _, image, _ in test_results[task]["restored"]]  # (input, restoration, target)
training_lesson.restoration_figure("derain", PHOTOS, tests["derain"], restored["derain"],
                                   test_results["derain"]["images"])
plt.show()
rain_left = [training_lesson.degraded_error_ratio(item, image)
             for item, image in zip(tests["derain"], restored["derain"])]
print("deraining, absolute error on the degraded pixels, restored / input: "
      + ", ".join(f"{name} {v:.2f}" for name, v in zip(PHOTOS, rain_left)))

# %% [markdown]
# * **Streaks.** The restorations dim them but keep 63–79 % of the input's absolute error on the degraded pixels
#   (printed ratios 0.63 to 0.79).
# * **Intact pixels.** Every crop's intact map shows some damage. The worst are rocket and camera (mean intact
#   errors 0.0177 and 0.0182 in the titles, against about 0.002 for the other two). On rocket the intact map shows
#   a bright band along the bottom and right edges, two vertical lines along the launch tower's beams and halos
#   around some streaks; on camera, bright spots at the edges of streaks and a faint line along the right tripod leg.
# * **Rocket's whole crop falls** below its input (26.1 → 24.5 dB) although its degraded pixels improve
#   (19.6 → 21.6 dB). The appendix tests whether the band accounts for that drop, and whether the band follows the
#   picture or the network's own edges.

# %% [markdown]
# ### Inpainting
#
# The same figure for inpainting. The holes of the input are filled with mid-grey; the degraded pixels are the holes.

# %%
training_lesson.restoration_figure("inpaint", PHOTOS, tests["inpaint"], restored["inpaint"],
                                   test_results["inpaint"]["images"])
plt.show()

# %% [markdown]
# * **Holes.** The network continues colours and smooth shapes into the holes; their outlines stay visible and no
#   texture is invented.
# * **Intact pixels.** The intact maps are dark apart from thin rims at the hole edges, except on camera (mean
#   intact error 0.0081 against 0.0028 or less). There a bright line runs along the whole right tripod leg, from
#   top to bottom and across a hole: an error along the leg's sharp edge, not a rim of the hole. The deraining
#   network's camera map shows a fainter line along the same leg.

# %% [markdown]
# ## 5. The numbers: whole image, degraded pixels, intact pixels
#
# **PSNR** is `10 log10(1 / MSE)` on [0, 1] images, the mean squared error taken over the region's pixels and
# channels (∞ for an identical region); both `pred` and `target` are first mapped by `(x + 1) / 2` and clamped to
# [0, 1], with no quantisation to 8 bits.
#
# **SSIM** (structural similarity) compares local means, spreads and correlation. For one colour channel, with
# `m_x, m_y` the means, `s_x², s_y²` the variances and `s_xy` the covariance of `x` (restored) and `y` (target) in
# the 7x7 window centred on a pixel, the pixel's value is
#
# `SSIM = (2 m_x m_y + C1)(2 s_xy + C2) / ((m_x² + m_y² + C1)(s_x² + s_y² + C2))`,
#
# with `C1 = 0.01²`, `C2 = 0.03²` (scikit-image's defaults for [0, 1] images; 1 means identical). SSIM on a region
# is the mean of this map over the region's pixels and the three channels; whole-image SSIM leaves out the 3-pixel
# border where the window does not fit. A pixel's window reaches into neighbouring pixels of the other region.
#
# For each task, the first table gives the **mean over the four crops of the per-crop PSNRs (and SSIMs)**, not the
# PSNR of the pooled error; the second gives each crop's degraded share (the fraction of its pixels that are
# degraded) and every metric as input → restored. The cell ends with the PSNR of three reference errors.

# %%
for task in TASKS:
    shares = [float(degraded_mask(item["x0"], item["mu"]).float().mean()) for item in tests[task]]
    display(Markdown(training_lesson.region_tables(task, PHOTOS, test_results[task]["images"],
                                                   test_results[task]["summary"], shares)))
rows = {(task, name): row for task in TASKS for name, row in zip(PHOTOS, test_results[task]["images"])}
level_db = {levels: 20 * math.log10(255 / levels) for levels in (0.5, 1, 10)}  # error of `levels` 8-bit levels
print("PSNR of an error of " + ", ".join(f"{k:g} level(s) on every pixel: {v:.2f} dB" for k, v in level_db.items()))

# %% [markdown]
# **Intact pixels.**
#
# * **Inputs.** An input's intact PSNR is at least 54.15 dB by definition (half a level, the largest change an
#   intact pixel can have); the measured ones are 66.27 dB or more. Three inpainting inputs are ∞: the holes leave
#   every other pixel as it was. (Camera's 81.23 dB is finite because a few grey hole pixels lie within half a level
#   of the truth and count as intact.)
# * **Restorations.** Every restoration's intact PSNR is below 48.13 dB, the PSNR of an error of one 8-bit level on
#   every pixel (the best is inpainting chelsea's 45.35 dB): the networks change pixels they should leave alone.
#   Three are below the ten-level mark, 28.13 dB: deraining rocket and camera, inpainting camera, the crops whose
#   intact maps are brightest in section 4.
#
# **How sure are the means?** One training run and four crops. The next table gives each crop's change
# restored − input, its mean over the four crops and a 95 % t interval for that mean: `mean ± 3.18 · SE`, with SE
# the standard deviation of the four changes divided by √4, and 3.18 the 97.5 % quantile of Student's t with 3
# degrees of freedom. With four crops and one training run, even an interval that excludes 0 is weak evidence.
# Intact PSNR is left out: some inputs are ∞ there.

# %%
changes = {task: training_lesson.region_changes(test_results[task]["images"]) for task in TASKS}
for task in TASKS:
    display(Markdown(training_lesson.change_table(task, PHOTOS, changes[task])))

# %% [markdown]
# **Degraded pixels.** Both networks improve them in every crop (no crop falls). Only deraining's mean gain has an
# interval that excludes 0: +2.36 dB, [+1.02, +3.70]. Inpainting's, +3.10 dB, has the interval
# [−0.83, +7.04]: its crops gain very differently (+0.82 to +5.66 dB).
#
# **The task gap.** Inpainting still ends about 5 dB below deraining on these pixels (means 16.59 against
# 21.51 dB). Its inputs start lower: a grey hole is further from the truth than a semi-transparent streak (13.49
# against 19.15 dB), and its mean gain is no smaller. Its test holes are also wider than its training holes (next
# cell), so inpainting is tested on a harder problem than it was trained on; what that costs is not measured here.

# %%
training_crops = [pools["inpaint"][i] for i in range(8)]
hole_widths = {crops: np.mean([training_lesson.widest_hole(item["x0"], item["mu"]) for item in items])
               for crops, items in (("training (64x64)", training_crops), ("test (128x128)", tests["inpaint"]))}
print("widest hole (twice the largest distance from a hole pixel to an intact one), mean over crops: "
      + ", ".join(f"{crops} {v:.1f} pixels" for crops, v in hole_widths.items()))

# %% [markdown]
# The test holes are about twice as wide as the training holes (23.2 against 11.4 pixels), as the crops are: the
# library draws the brush width as a share of the crop's short side (6–14 %, `rdbm_core.data.degradations.inpaint`).
#
# **PSNR and SSIM.** SSIM rewards matching local structure, PSNR small squared errors.
#
# * **Whole image.** No interval excludes 0, for PSNR or SSIM, in either task. Single crops disagree between the
#   two: deraining camera gains 0.80 dB of PSNR and loses 0.0325 of SSIM; inpainting chelsea gains 1.14 dB and
#   loses 0.0185.
# * **Inpainting's holes.** The fill raises PSNR in every crop, but SSIM falls in 3 of 4 (mean −0.0472, interval
#   [−0.1299, +0.0356]): suggestive, no more. A smooth fill whose structure does not match the truth may score below
#   a flat grey on SSIM (not tested here).
# * **Intact SSIM.** On deraining chelsea and coffee, intact SSIM rises (+0.0472, +0.0227) while intact PSNR falls
#   by 31 and 34 dB (70.03 → 39.46 and 73.89 → 39.58 dB in the per-crop table): on these two crops intact SSIM misses
#   damage that PSNR shows. A likely reason, not tested here: the windows of intact pixels reach into the streaks
#   the network dimmed.

# %% [markdown]
# ## Exercises
#
# `check` says what is wrong and gives a hint, never the answer. Worked solutions:
# `solutions/06_training_rdbm_solutions.ipynb`.
#
# **06.1 (implement).** Write `loss_by_region(model, x0, mu, bridge, t, eps)` returning two floats
# `(degraded_part, intact_part)` that add up to the batch's L1 training loss of section 1: the sums of
# `|x0_hat − x0|` over the degraded and over the intact values, each divided by the number of all values, B·C·H·W.
#
# * Inputs: `x0`, `mu`, `eps` [B, C, H, W] (images in [−1, 1]; `eps` standard normal noise); `t` [B], integer
#   times in 0, …, 99; `model(x_t, mu, t)` returns `x0_hat` (the `mu` skip is inside it).
# * Build `x_t = mu + Theta_t (x0 − mu) + Sigma_t (x0 − mu) eps` yourself. `bridge.coefficients(t)` returns
#   `(Theta_t, Psi_t, Sigma_t)`, float64 tensors of shape [B] (`Psi_t` is not needed): reshape them to
#   [B, 1, 1, 1] and cast them to `x0`'s dtype.
# * A pixel is degraded when `|x0 − mu| > 1/255` (half an 8-bit level in [−1, 1] units) in at least one channel;
#   all channels of a degraded pixel are degraded.
# * Not allowed: `rdbm_core.bridge.losses`, `rdbm_core.networks.training`, `rdbm_core.data.degradations`, and the
#   bridge methods `sample`, `mean`, `std`.
#
# (b) Once it passes, the cell applies the trainer's loss function to the shipped EMA networks on the first four
# training batches, with the trainer's own times and noise, checks that your parts add up to it, and prints per
# task each part, the share of degraded pixels and the mean error per degraded and per intact value. In which task
# do intact pixels make the larger share of the loss? Explain it from those printed numbers (a part is its region's
# share of the values times the mean error per value there).

# %%
from rdbm_course.exercises import check

answer_06_1 = ...  # a function loss_by_region(model, x0, mu, bridge, t, eps) -> (degraded_part, intact_part)
display(check("06.1", answer_06_1))
for task in TASKS if callable(answer_06_1) else ():  # (b): the trainer's loss, the first four training batches
    task_config, (ema_network, task_bridge) = config_for(task), networks[task]
    parts, shares = [], []
    for k in range(4):  # iterations counted from 0
        x0, mu, t, eps = training_lesson.trainer_batch(task_config, pools[task], k, task_bridge)  # the trainer's draws
        with torch.no_grad():
            trainer_loss = float(training_loss(ema_network, task_bridge, x0, mu, task_config,
                                               step_generator(task_config.seed, k, 0)))
            parts.append(tuple(float(p) for p in answer_06_1(ema_network, x0, mu, task_bridge, t, eps)))
        shares.append(float(degraded_mask(x0, mu).float().mean()))
        assert abs(sum(parts[-1]) - trainer_loss) < 1e-4, f"{task} batch {k}: parts do not add up to {trainer_loss:.5f}"
    (degraded_part, intact_part), share = np.mean(parts, axis=0), np.mean(shares)
    print(f"{task:8s}: degraded part {degraded_part:.4f}, intact part {intact_part:.4f} "
          f"({100 * intact_part / (degraded_part + intact_part):.0f} % of the loss); degraded pixels "
          f"{100 * share:.0f} % of the batches; mean error per value: degraded {degraded_part / share:.4f}, "
          f"intact {intact_part / (1 - share):.4f}")

# %% [markdown]
# **06.2 (implement).** Write `psnr_region(pred, target, mask)` without `rdbm_core.evidence.metrics` or
# `rdbm_core.restoration.evaluation`: the PSNR in dB of `pred` against `target` ([C, H, W] in [−1, 1]) over the
# pixels of the bool mask [1, H, W] and all channels, with the definition of section 5 (both mapped by `(x + 1) / 2`
# and clamped to [0, 1], no 8-bit quantisation; `math.inf` for an identical region), as a float; `math.nan` when
# the mask selects no pixel.

# %%
answer_06_2 = ...  # a function psnr_region(pred, target, mask) -> float (dB)
check("06.2", answer_06_2)

# %% [markdown]
# **06.3 (derive).** First predict: a restoration is 40 dB on 90 % of its pixels and 10 dB on the other 10 %. Is
# its whole-image PSNR nearer 37 dB or nearer 20 dB? Write your guess down. Then write
# `whole_psnr(psnr_degraded, psnr_intact, fraction)`: the whole-image PSNR of a restoration with PSNR
# `psnr_degraded` on a fraction `fraction` of its pixels and `psnr_intact` on the rest (either may be `math.inf`).
# Once it is answered, the cell prints its value for your prediction and compares it, on each crop of section 5's
# per-crop tables, with the evaluation's whole-image PSNR.

# %%
answer_06_3 = ...  # a function whole_psnr(psnr_degraded, psnr_intact, fraction) -> float (dB)
display(check("06.3", answer_06_3))
if callable(answer_06_3):
    print(f"the prediction, 40 dB on 90 % and 10 dB on 10 %: whole_psnr(10, 40, 0.1) = "
          f"{answer_06_3(10, 40, 0.1):.2f} dB")
    for task in TASKS:
        for name, item, row in zip(PHOTOS, tests[task], test_results[task]["images"]):
            share = float(degraded_mask(item["x0"], item["mu"]).float().mean())
            yours = answer_06_3(row["psnr_degraded"], row["psnr_intact"], share)
            print(f"{task:8s} {name:8s}: whole-image PSNR of the restoration, yours {yours:.2f} dB, "
                  f"evaluation {row['psnr']:.2f} dB")
            assert abs(yours - row["psnr"]) < 0.01, f"{task} {name}: compare with the evaluation"

# %% [markdown]
# **06.4 (predict).** After each training iteration the trainer moves the EMA weights towards the trained ones,
# `ema_weights = d_k · ema_weights + (1 − d_k) · weights`, with the decay `d_k = min(0.999, (1 + k) / (10 + k))`,
# where `k` counts the iterations from 0 (plot iteration 1 is `k = 0`). Early on `d_k` is small, so the EMA soon
# forgets the random initial weights; 0.999 is the cap. By hand, before running any code: at which iteration `k`
# does `d_k` first reach the cap 0.999? Solve the inequality and give that integer as your answer. Then predict: do
# this notebook's runs (300 and 600 iterations) reach the cap, and about how many recent iterations
# (`1 / (1 − d_k)`) does the deraining run's EMA average at its last iteration? Once the answer is right, the cell
# prints both runs' last decays.

# %%
answer_06_4 = ...  # an integer: the first k with d_k = 0.999
feedback_06_4 = check("06.4", answer_06_4)
display(feedback_06_4)
if feedback_06_4:  # answered: the numbers, printed below the exercise
    for task in TASKS:
        last_k = len(results[task]["losses"]) - 1
        last_decay = ema_decay(config_for(task).ema, last_k)  # the trainer's own function
        print(f"{task:8s}: d_k at k = {last_k} is {last_decay:.4f}; 1 / (1 − d_k) = {1 / (1 - last_decay):.0f}: the "
              f"network that restores images averages the raw weights of about the last {1 / (1 - last_decay):.0f} "
              f"of its {last_k + 1} iterations, the end of section 3's curve, not its last point")

# %% [markdown]
# **06.5 (predict, then run).** With batch 2 instead of 8, will the 20 losses of section 2's probe jump from one
# iteration to the next more (`"noisier"`), less (`"smoother"`) or about as much (`"same"`)? Predict; the cell
# then runs that probe and prints both spreads. It costs the probe's setup and 20 iterations on a quarter of the
# images: expect less time than section 2's probe took.

# %%
answer_06_5 = ...  # your prediction: "noisier", "smoother" or "same"
if answer_06_5 is not ...:  # predict first, then run
    batch_2 = train(replace(probe_config, batch=2, out=str(RUNS / "nb06_probe_batch2")), progress=False)
    for batch, losses in ((probe_config.batch, probe["losses"]), (2, batch_2["losses"])):
        print(f"batch {batch}: spread of the changes between iterations (std of diff) {np.diff(losses).std():.4f}; "
              "losses " + " ".join(f"{v:.3f}" for v in losses))
check("06.5", answer_06_5)

# %% [markdown]
# ## Appendix (optional): rocket's band
#
# The cell first puts the input back on the band's intact pixels (within 4 pixels of rocket's bottom and right
# edges), or on all the other intact pixels, and measures the whole crop again. It then restores rocket flipped
# top-bottom and left-right and flips the result back, so that the network's own bottom and right edges fall on the
# picture's top and left. The network is not symmetric under such flips: its stride-2 3x3 downsampling
# convolutions, padded by 1, use their padding only on the top and left of an even-sized input
# (`rdbm_core/networks/unet.py`, `Downsample`). The table gives the mean intact error ([0, 1] units) within 4 pixels
# of each edge and on the other pixels.

# %%
rocket = PHOTOS.index("rocket") if "rocket" in PHOTOS else 0  # the fast mode has no rocket crop
rocket_item, rocket_image = tests["derain"][rocket], restored["derain"][rocket]
rocket_row, size = test_results["derain"]["images"][rocket], rocket_item["x0"].shape[-1]
rocket_intact = ~degraded_mask(rocket_item["x0"], rocket_item["mu"])
band = training_lesson.edge_band(size, size, 4, sides="bottom right") & rocket_intact
rocket_resets = {where: training_lesson.reset_psnr(rocket_item, rocket_image, mask)
                 for where, mask in (("band", band), ("other", rocket_intact & ~band))}
print(f"rocket, whole-crop PSNR: input {rocket_row['input_psnr']:.2f} dB, restored {rocket_row['psnr']:.2f} dB; "
      f"the input put back on the band's intact pixels ({100 * float(band.float().mean()):.1f} % of the crop) "
      f"{rocket_resets['band']:.2f} dB, on the other intact pixels {rocket_resets['other']:.2f} dB")
flipped = training_lesson.flipped_restoration(*networks["derain"], rocket_item["mu"], SamplerSpec(steps=SAMPLING_STEPS))
rocket_edges = {"rocket as restored": training_lesson.edge_errors(rocket_item, rocket_image, 4),
                "restored flipped, flipped back": training_lesson.edge_errors(rocket_item, flipped, 4)}
display(Markdown(training_lesson.edge_error_table(rocket_edges, 4)))

# %% [markdown]
# * **The band accounts for rocket's drop.** Put back alone, its intact pixels (5.1 % of the crop) lift the crop
#   from 24.52 dB to 26.76 dB, above the input's 26.06 dB; all the other intact pixels put back give 25.25 dB.
# * **Most of the right edge's error follows the network.** Flipped, the right edge's error falls from 0.1027 to
#   0.0090, the interior's level, while the left edge, now the network's right, rises from 0.0118 to 0.0703.
# * **Part of the bottom edge's error stays with the picture.** Flipped, it falls from 0.1745 to 0.0493, still about
#   five times the interior's 0.0107, while the top edge rises from 0.0043 to 0.0146.
#
# So the band is partly tied to the network's bottom and right edges and partly to this crop's content. That the
# asymmetric padding causes the first part is plausible, not tested here; neither is a fix (a padded input cropped
# back after restoring, say).

# %% [markdown]
# ## Checks
#
# The last cell tests that every number and statement of the text above matches the outputs. It is kept apart
# so that the text reads without it; its code is folded (tag `hide-input`).

# %% tags=["hide-input"] jupyter={"source_hidden": true}
# section 1: the configuration and the bridge's ends
assert shown.skip_mu and shown.objective == "x0" and shown.norm == "l1" and shown.ema == 0.999
assert shown.eval_every == 0 and shown.sample_steps == 10
assert FAST or (bridge.noise == "modulated" and bridge.lam == 1e-4 and bridge.schedule.t_T == 99)
assert float(theta[-1]) == 0 and float(sigma[-1]) == 0 and bridge.schedule.t_clean == -1
assert FAST or (f"{sigma.max():.4f}" == "0.0100" and f"{theta[0]:.4f}" == "0.9994")
assert int(bridge.schedule.sample_train_times(10_000, generator=torch.Generator().manual_seed(0)).min()) == 0
# sections 2 and 3: the probe, the shipped configs, and the readings of the curves
assert probe["step"] == PROBE_ITERATIONS and len(probe["losses"]) == PROBE_ITERATIONS and probe["wall_s"] > 0
assert FAST or gap < 1e-3
for task in TASKS:
    shipped = results[task]["config"]  # None when trained here
    assert shipped is None or replace(shipped, out=config_for(task).out) == config_for(task)
if not FAST:
    assert [f"{100 * degraded_share[task]:.0f}" for task in TASKS] == ["42", "21"]
    for task, curve in curves.items():
        assert curve.minimum < curve.at_two_thirds and curve.argmin > 0.9 * curve.iterations, "still falling after 2N/3"
        assert curve.last < curve.at_two_thirds and abs(curve.difference) < 2 * curve.difference_se
    assert curves["derain"].last > curves["derain"].minimum
# section 4: the figures show the evaluated restorations; the sampler's times; the readings of the figures
for task in TASKS:
    for item, image, row in zip(tests[task], restored[task], test_results[task]["images"]):
        assert abs(psnr(image, item["x0"]) - row["psnr"]) < 1e-3
assert FAST or bridge.schedule.sampling_times(SAMPLING_STEPS).tolist() == [99, 89, 79, 69, 59, 49, 39, 29, 19, 9, -1]
if not FAST:
    assert 0.6 < min(rain_left) and max(rain_left) < 0.8 and f"{min(rain_left):.2f}-{max(rain_left):.2f}" == "0.63-0.79"
    intact_means = {task: [float(training_lesson.error_map(item, image)[~degraded_mask(item["x0"], item["mu"])].mean())
                           for item, image in zip(tests[task], restored[task])] for task in TASKS}
    assert [f"{v:.4f}" for v in intact_means["derain"][2:]] == ["0.0177", "0.0182"]
    assert max(intact_means["derain"][:2]) < 0.003
    assert f"{intact_means['inpaint'][3]:.4f}" == "0.0081" and f"{max(intact_means['inpaint'][:3]):.4f}" == "0.0028"
    assert rocket_row["psnr_degraded"] > rocket_row["input_psnr_degraded"]
    assert rocket_row["psnr"] < rocket_row["input_psnr"]
# section 5: intact pixels by PSNR; the t intervals; the task gap; the hole widths; PSNR against SSIM
summaries = {task: test_results[task]["summary"] for task in TASKS}
if not FAST:
    intact_psnrs = [(r["psnr_intact"], r["input_psnr_intact"]) for r in rows.values()]
    assert max(out for out, _ in intact_psnrs) < level_db[1] < level_db[0.5] < min(inp for _, inp in intact_psnrs)
    assert f"{max(out for out, _ in intact_psnrs):.2f}" == f"{rows['inpaint', 'chelsea']['psnr_intact']:.2f}" == "45.35"
    assert [name for (task, name), r in rows.items() if task == "inpaint" and math.isinf(r["input_psnr_intact"])] \
        == ["chelsea", "coffee", "rocket"]
    below_ten_levels = [key for key, row in rows.items() if row["psnr_intact"] < level_db[10]]
    assert below_ten_levels == [("derain", "rocket"), ("derain", "camera"), ("inpaint", "camera")]
    derain_changes, inpaint_changes = changes["derain"], changes["inpaint"]
    camera = PHOTOS.index("camera")
    for task in TASKS:  # degraded PSNR rises in every crop; only deraining's interval excludes 0
        assert changes[task]["psnr_degraded"].falls == 0
    assert derain_changes["psnr_degraded"].excludes_zero and not inpaint_changes["psnr_degraded"].excludes_zero
    assert [f"{v:+.2f}" for v in (derain_changes["psnr_degraded"].mean, *derain_changes["psnr_degraded"].interval)] \
        == ["+2.36", "+1.02", "+3.70"]
    assert [f"{v:+.2f}" for v in (inpaint_changes["psnr_degraded"].mean, *inpaint_changes["psnr_degraded"].interval)] \
        == ["+3.10", "-0.83", "+7.04"]
    assert [key for task in TASKS for key, change in changes[task].items() if change.excludes_zero] \
        == ["psnr_degraded"], "one interval excludes 0"
    assert summaries["derain"]["psnr_degraded"] - summaries["inpaint"]["psnr_degraded"] > 3
    assert summaries["inpaint"]["input_psnr_degraded"] < summaries["derain"]["input_psnr_degraded"] - 3
    assert inpaint_changes["psnr_degraded"].mean > derain_changes["psnr_degraded"].mean
    assert 1.5 < hole_widths["test (128x128)"] / hole_widths["training (64x64)"] < 2.5
    assert derain_changes["psnr"].per_crop[camera] > 0 > derain_changes["ssim"].per_crop[camera]
    assert inpaint_changes["psnr"].per_crop[0] > 0 > inpaint_changes["ssim"].per_crop[0]
    assert inpaint_changes["ssim_degraded"].falls == 3 and inpaint_changes["ssim_degraded"].mean < 0
    assert [f"{v:+.4f}" for v in inpaint_changes["ssim_degraded"].interval] == ["-0.1299", "+0.0356"]
    for name, fall in (("chelsea", "31"), ("coffee", "34")):  # intact SSIM up while intact PSNR falls by 31, 34 dB
        row = rows["derain", name]
        assert row["ssim_intact"] > row["input_ssim_intact"]
        assert f"{row['input_psnr_intact'] - row['psnr_intact']:.0f}" == fall
# appendix: the band undoes rocket's drop; the right edge's error follows the network, part of the bottom's stays
as_restored, as_flipped = rocket_edges.values()
if not FAST:
    assert rocket_resets["other"] < rocket_row["input_psnr"] < rocket_resets["band"]
    assert f"{100 * float(band.float().mean()):.1f}" == "5.1"
    interior = max(as_restored["interior"], as_flipped["interior"])
    assert as_restored["bottom"] > 10 * interior and as_restored["right"] > 5 * interior
    assert as_flipped["right"] < interior and as_flipped["left"] > 5 * as_restored["left"]
    assert 3 * interior < as_flipped["bottom"] < as_restored["bottom"] / 3
    assert as_flipped["top"] > 3 * as_restored["top"]
    assert [f"{v:.4f}" for v in (as_restored["bottom"], as_flipped["bottom"], as_restored["right"],
                                 as_flipped["right"])] == ["0.1745", "0.0493", "0.1027", "0.0090"]
print(f"all checks passed; notebook wall time: {(time.perf_counter() - NOTEBOOK_START) / 60:.1f} min")
