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
# **What you will learn.** What one training iteration does, written out in code; how the library's trainer is
# configured and called; how to read a loss curve; and how to judge a restoration on the pixels the degradation
# changed and on those it left alone, over 144 held-out windows, with intervals that treat the photograph as the unit.
#
# **Prerequisites.** Notebooks 02a–02c and 05; the recap below restates what this notebook uses from them.
#
# **How it runs.** The course ships the two trained networks (deraining, inpainting); this notebook loads them and
# restores the 144 held-out windows of each task (and again, padded, in the appendix): a few CPU minutes.
# `RETRAIN=1` trains them here instead: 900 training iterations, from 13 CPU minutes (the shipped runs) to several
# times that on a busy machine (section 3 prints the shipped times and what this run's probe pace implies).
# `FAST=1` (continuous integration only) uses a tiny network whose numbers mean nothing.
#
# **Words.** A *training iteration* is one optimiser update on one batch; the plots count them from 1 (the config
# field that sets how many is `steps`). A *sampling step* is one network evaluation while restoring an image. A
# pixel is **degraded** when the degradation changed at least one of its channels by more than half an 8-bit level,
# **intact** otherwise. Tensors and the loss are in [−1, 1] units; PSNR, SSIM and error maps are in [0, 1] units,
# the scale of the 8-bit image.
#
# **Recap: the bridge.**
#
# * *Times* `t` are the integer indices of a grid, from the clean end `t = −1` to `t_T = 99`; at `t = −1` the state
#   is the clean image itself. Training draws `t` from 0, 1, …, 99 and never −1, where the network would only have
#   to copy its input; a restoration's last step lands on `t = −1`.
# * `mu` is always the degraded image. With the *residual* `pi = x0 − mu` (clean minus degraded), the bridge's
#   state at time `t` is `x_t = mu + Theta_t pi + Sigma_t pi ⊙ eps`: `eps` is standard normal noise of the image's
#   shape and `⊙` the elementwise product, so no noise lands where `pi = 0` (the *modulated* noise of notebook 05).
# * `Theta_t` falls from 1 at the clean end to 0 at `t_T` (at `t = 0` it is already a little below 1: 0.9994).
#   `Sigma_t`, the noise scale, is 0 at both ends, so `x_{t_T} = mu` exactly; it is proportional to `sqrt(lam)`:
#   `lam` sets the noise level, the schedule its shape over `t`.
# * A *sampler* restores an image by stepping from `x_{t_T} = mu` to the clean end, asking the network at each step
#   for its estimate `x0_hat` of the clean image; `eta` scales the fresh noise a step adds (`eta = 0`: none).

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
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.data.degradations import degraded_mask
from rdbm_core.evidence.metrics import psnr
from rdbm_core.evidence.stats import hierarchical_bootstrap
from rdbm_core.networks.checkpoints import load_trained, load_weights
from rdbm_core.networks.config import TrainConfig, make_model, make_path
from rdbm_core.networks.training import ema_decay, step_generator, train, train_step, training_loss
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
# One `TrainConfig` describes a run; it is stored with the weights. The table lists its fields for both tasks. The
# ones that matter here:
#
# * `crop=64`, `batch=8`, `pool=1024`: each training iteration uses 8 pairs of 64x64 pixels, each a clean `x0` and
#   a degraded `mu`, from a fixed pool of 1024 pairs cut at random from the training photographs (listed under the
#   table), flipped left-right at random, each with its own random degradation (rain streaks, or holes).
# * `steps`: the number of training iterations: 300 for deraining, 600 for inpainting, which must invent the
#   content of holes.
# * `skip_mu=True`, `objective="x0"`, `norm="l1"`: the network outputs a correction, `x0_hat = mu + net(x_t, mu, t)`,
#   and the loss is the mean absolute error `|x0_hat − x0|`.
# * `ema=0.999`: the network that restores images is an exponential moving average (EMA) of the trained weights;
#   0.999 caps the average's decay (exercise 06.4).
# * `noise=None`, `lam=None`: the bridge's own defaults, printed under the table with the range of `Theta_t` and
#   `Sigma_t` on the grid.

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
theta, sigma = bridge.coefficients(grid)[0::2]  # Theta_t and Sigma_t on t = 0 … t_T
print(f"on t = 0 … {bridge.schedule.t_T}: Theta_t falls from {theta[0]:.4f} to {theta[-1]:g}; Sigma_t rises from "
      f"{sigma[0]:.4f} to at most {sigma.max():.4f} (t = {int(sigma.argmax())}) and ends at {sigma[-1]:g}")
print(training_lesson.photographs_text())

# %% [markdown]
# The training photographs are scikit-image's sample photographs; the twelve held-out photographs of section 4 (the
# course's benchmark, version 2) are never trained on.
#
# **One training iteration, in pictures.** Each row of the next figure is the first training pair of the first
# batch (64x64 pixels) of one task. Its columns: the clean `x0`, the degraded `mu`, the degraded pixels, the
# bridge's state `x_t` at three times (one noise `eps` per row), and the size of the noise term `Sigma_t pi ⊙ eps`
# at the last of them (its absolute value averaged over RGB, in 8-bit levels; one colour scale for both rows). Under
# them, a diagram of what one iteration does with a batch.

# %%
pools = {task: training_lesson.training_pool(config_for(task)) for task in TASKS}  # the trainer's pools of pairs
first_pairs = {task: tuple(x[0] for x in training_lesson.trainer_batch(config_for(task), pools[task], k=0))
               for task in TASKS}
training_lesson.training_pair_figure(first_pairs, bridge, times=(25, 50, 90))
plt.show()

# %% [markdown]
# * **Degraded and intact.** The third column is the split that sections 4 and 5 judge restorations by: the rain
#   streaks, or the holes (mid-grey), are degraded; every other pixel is intact.
# * **The noise** is at most about two 8-bit levels (the last column's colour bar), and only where `pi ≠ 0`. At
#   `lam = 1e-4` the network is thus trained almost as a regressor: it sees blends `mu + Theta_t pi` of the
#   degraded and the clean image, with `t`, and must return `x0`. Notebook 12 compares networks trained with `lam`
#   from 0 to 0.1.
#
# **One training iteration, in code.** The diagram's boxes as the library's trainer runs them
# (`rdbm_core.networks.training.train_step`), written out. The cell runs the function once on a fresh network (not
# the shipped ones) and the first training batch, and the library's `train_step` once on an identical copy.

# %%
def training_iteration(model, ema, optimizer, bridge, x0, mu, k, generator):
    """Training iteration k (counted from 0) on the batch (x0, mu); returns its loss."""
    t = bridge.schedule.sample_train_times(len(x0), generator=generator)  # one time per pair, in 0 … 99
    eps = torch.randn(x0.shape, generator=generator)  # standard normal noise of the batch's shape
    x_t = bridge.sample(x0, mu, t, noise=eps)  # mu + Theta_t pi + Sigma_t pi ⊙ eps, with pi = x0 − mu
    x0_hat = model(x_t, mu, t.float())  # mu + net(x_t, mu, t)
    loss = (x0_hat - x0).abs().mean()  # L1 over every value of the batch, degraded and intact
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # grad_clip: global gradient norm at most 1
    optimizer.step()  # one Adam update with the learning rate lr
    decay = min(0.999, (1 + k) / (10 + k))  # the EMA's decay after iteration k (exercise 06.4)
    with torch.no_grad():
        for p_ema, p in zip(ema.parameters(), model.parameters()):
            p_ema.lerp_(p, 1 - decay)  # p_ema <- decay * p_ema + (1 - decay) * p
    return loss.item()


x0, mu = training_lesson.trainer_batch(shown, pools["derain"], k=0)  # the first training batch
ours, library = (training_lesson.fresh_training_state(shown, bridge) for _ in range(2))  # identical fresh states
loss_ours = training_iteration(*ours, bridge, x0, mu, 0, step_generator(shown.seed, 0, rank=0))
loss_library = float(train_step(library[0], *library, bridge, x0, mu, shown, 0, step_generator(shown.seed, 0, rank=0)))
ema_gap = max(float((a - b).abs().max()) for a, b in zip(ours[1].parameters(), library[1].parameters()))
print(f"one iteration on a fresh network: loss {loss_ours:.6f} here, {loss_library:.6f} by train_step; largest "
      f"difference of the EMA weights afterwards {ema_gap:.1e}")

# %% [markdown]
# Same loss, same EMA weights (printed): this is the trainer's iteration. `train(config)` repeats it `steps` times
# on batches drawn from the pool, then saves the EMA weights.
#
# ## 2. The trainer: a probe run
#
# `train(config)` builds its pool of pairs (the same 1024 pairs as `pools` above) and a fresh network, runs the
# training iterations, writes a checkpoint and returns a dict. The *probe* runs the deraining configuration for 20
# iterations only, to show what a call returns.

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
all_iterations = sum(len(results[task]["losses"]) for task in TASKS)
probe_pace = probe["wall_s"] / PROBE_ITERATIONS
print(f"at the probe's pace, {probe_pace:.2f} s per iteration, the {all_iterations} iterations of both runs would take "
      f"{all_iterations * probe_pace / 60:.0f} min")

# %% [markdown]
# The probe's losses are the deraining run's first 20 up to rounding: a run is reproducible from its config.
#
# ¹ *Provenance.* `pretrained.record("nb06_derain")` (and `"nb06_inpaint"`) holds the command, commit, date and
# wall time that made each shipped file. All times in this notebook come from a 2-core CPU shared with other jobs,
# with one torch thread: they vary with the load, the losses do not.
#
# The figure below plots, per task, each iteration's loss (thin line) and a *smoothed loss* (thick line): a running
# average with weight α = 0.05 on each new loss, corrected so that its first values are not biased towards 0. It
# only smooths the plotted numbers; the EMA of the weights averages parameters. The right axis reads the loss in
# 8-bit levels (one [−1, 1] unit is 127.5 levels). For a run of `N` iterations the cell prints the smoothed loss at
# iteration `2N/3`, its minimum and last value, the raw loss's mean over the last two windows of 20 iterations, and
# the share of degraded pixels in the batches the run trained on.

# %%
degraded_share = {task: training_lesson.degraded_share(config_for(task), pools[task], len(results[task]["losses"]))
                  for task in TASKS}
curves = {task: CurveSummary.of(results[task]["losses"]) for task in TASKS}
for task in TASKS:
    print(f"{task:8s}: {100 * degraded_share[task]:.0f} % of the training pixels are degraded; " + curves[task].text())
training_lesson.loss_curve_figure({task: results[task]["losses"] for task in TASKS})
plt.show()

# %% [markdown]
# * **The levels cannot be compared across tasks.** 42 % of deraining's training pixels are degraded against 21 %
#   of inpainting's, and the loss is a mean over all pixels. Exercise 06.1 splits it by region.
# * **Both smoothed curves still fall late**: each reaches its minimum in the last tenth of its run (0.0207 at
#   iteration 287 of 300, 0.0197 at 589 of 600). More iterations would likely lower the training loss; what they
#   would do to restorations is not measured here. Whether a curve turns at its end cannot be told: the last two
#   20-iteration windows differ by +0.0026 ± 0.0015 (deraining) and −0.0020 ± 0.0016 (inpainting), under two
#   standard errors. The ± is `sqrt(s_1² / 20 + s_2² / 20)`, with `s_1`, `s_2` the standard deviations of the two
#   windows' raw losses; it treats the losses as independent, plausible for fresh batches and times, though
#   neighbouring iterations share nearly the same weights.

# %% [markdown]
# ## 4. Restoring held-out windows
#
# **The test set** is the course's held-out benchmark, version 2: twelve photographs never trained on, and twelve
# non-overlapping 64x64 windows of each, the training crop's size: 144 windows per task, each with a degradation
# fixed by the benchmark's own seed. Both tasks use the same windows.
#
# **The sampler.** `load_trained` rebuilds a network with its EMA weights; `evaluate` restores each window with the
# reference sampler, the *implicit* sampler of notebook 02c with `eta = 0`: 10 sampling steps on the times 99, 89,
# …, 9, −1. A step from time `t` to the next earlier time `s` asks the network for `x0_hat` at `(x_t, t)` and moves
# the state to
#
#     x_s = m_s + (Sigma_s / Sigma_t) (x_t − m_t),    where m_t = mu + Theta_t (x0_hat − mu):
#
# the path's mean at `s` for that estimate, plus the state's current deviation from the mean, rescaled. The first
# step starts at `t_T = 99`, where `Sigma_t = 0` and `x_t = mu`: it has no deviation to carry and lands on the mean,
# `x_s = mu + Theta_s (x0_hat − mu)`. The last step returns `x0_hat`. No random number enters, so a restoration is
# deterministic, and the step does not depend on how the noise is shaped (notebook 02c, section 2): in these
# restorations residual modulation acts only through training.
#
# The next cell restores the 144 windows of both tasks and shows deraining's first four, one from each of the first
# four photographs (the benchmark's order, not chosen for their results). Each row: the input, the restoration, the
# target, and two maps of the error `|restored − target|`: on all pixels (scale 0–0.3), and on the **intact pixels
# only** (scale 0–0.05; degraded pixels white, not scored), which shows damage to pixels the degradation never
# touched. The titles give the PSNR on the whole window, its degraded and its intact pixels. The cell then prints
# how much of the input's absolute error on the degraded pixels each restoration keeps.
#
# ### Deraining

# %%
SAMPLING_STEPS = 10  # network evaluations per restoration, not training iterations
SHOWN = 4  # windows in each figure
sampler = SamplerSpec(steps=SAMPLING_STEPS)
networks, benchmarks, evaluations, restored = {}, {}, {}, {}
for task in TASKS:
    networks[task] = load_trained(results[task]["checkpoint"])[:2]  # (EMA network, bridge)
    benchmarks[task] = HeldOutBenchmark(task, items=12 if FAST else None, version=2)  # fast: one window a photograph
    evaluations[task] = evaluate(*networks[task], benchmarks[task], sampler, options=EvaluationOptions(progress=False))
    restored[task] = [image for _, image, _ in evaluations[task]["restored"]]  # (input, restoration, target)
windows = [item["name"] for item in benchmarks["derain"]]  # "photograph@top,left"
photograph_of = [name.split("@")[0] for name in windows]  # the unit the intervals resample
rows = {task: evaluations[task]["images"] for task in TASKS}
items = {task: list(benchmarks[task]) for task in TASKS}
training_lesson.restoration_figure("derain", windows[:SHOWN], items["derain"], restored["derain"], rows["derain"][:SHOWN])
plt.show()
rain_left = [training_lesson.degraded_error_ratio(item, image) for item, image in zip(items["derain"], restored["derain"])]
print("deraining, absolute error left on the degraded pixels, restored / input: "
      + ", ".join(f"{name} {v:.2f}" for name, v in zip(windows[:SHOWN], rain_left)) + f"; over all {len(windows)} "
      f"windows mean {np.mean(rain_left):.2f}, more than 1 (worse than the input) on {sum(v > 1 for v in rain_left)}")

# %% [markdown]
# * **Streaks.** On average the restorations keep 0.63 of the input's error on the degraded pixels: they dim the
#   streaks rather than remove them. The shown windows span the range: chelsea's streaks are dimmed (0.62), while on
#   grace_hopper's flat sky the bright streaks come out as dark ones (1.65: the degraded pixels' PSNR falls from 18.9
#   to 15.5 dB), one of 11 windows that end worse than their input there.
# * **Intact pixels.** The intact maps are dark on chelsea and coffee; on rocket and grace_hopper bright rims run
#   along the streaks.
#
# ### Inpainting
#
# The same figure for inpainting, on the same four windows. The holes of the input are filled with mid-grey; the
# degraded pixels are the holes.

# %%
training_lesson.restoration_figure("inpaint", windows[:SHOWN], items["inpaint"], restored["inpaint"],
                                   rows["inpaint"][:SHOWN])
plt.show()

# %% [markdown]
# * **Holes.** The network continues colours and smooth shapes into the holes (chelsea, coffee); no texture is
#   invented. On grace_hopper it fills the hole with a pale grey, brighter than the blue sky around it.
# * **Intact pixels.** Thin rims at the hole edges, and on grace_hopper a dark band along the window's top edge, away
#   from any hole (the appendix measures the errors near the edges).

# %% [markdown]
# ## 5. The numbers: whole window, degraded pixels, intact pixels
#
# **PSNR** is `10 log10(1 / MSE)` on [0, 1] images, the mean squared error taken over the region's pixels and
# channels (∞ for an identical region); both `pred` and `target` are first mapped by `(x + 1) / 2` and clamped to
# [0, 1], with no quantisation to 8 bits.
#
# **SSIM** (structural similarity) compares local means, spreads and correlation. For one colour channel, with
# `m_x, m_y` the means, `s_x², s_y²` the variances and `s_xy` the covariance of `x` (restored) and `y` (target) in
# the 7x7 window centred on a pixel, the pixel's value is
#
#     SSIM = (2 m_x m_y + C1)(2 s_xy + C2) / ((m_x² + m_y² + C1)(s_x² + s_y² + C2)),
#
# with `C1 = 0.01²`, `C2 = 0.03²` (scikit-image's defaults for [0, 1] images; 1 means identical). Whole-window SSIM
# is scikit-image's mean of this map over the three channels, leaving out the 3-pixel border where the 7x7 window
# does not fit. A region's SSIM is the mean of the map over the region's pixels, border included (there scikit-image
# fills the window by mirroring the image). The window of an intact pixel within 3 pixels of a streak or a hole takes
# in degraded pixels, so an intact-pixel SSIM partly measures their repair: it is left out (the cell prints how many
# intact pixels are that close), and damage to intact pixels is read from PSNR.
#
# **The table** gives, per task and metric, the mean over the 144 windows of the input's and of the restoration's
# value, the mean change restored − input, its 95 % interval, and the number of windows where the metric falls. The
# interval is a *hierarchical bootstrap*: each of 10 000 draws takes 12 of the photographs with replacement, then,
# within each drawn photograph, 12 of its windows with replacement, and averages the changes of the drawn windows;
# the interval holds the middle 95 % of these averages. Windows of one photograph share its content, so the
# photograph is the unit: the interval speaks for other photographs like these, for this one trained network per
# task (other training runs are not covered). The cell ends with the PSNR of three reference errors, how many
# restorations fall below them on the intact pixels, and the share of intact pixels near a degraded one.

# %%
changes = {task: training_lesson.region_changes(rows[task], photograph_of) for task in TASKS}
display(Markdown(training_lesson.change_table(changes)))
level_db = {levels: 20 * math.log10(255 / levels) for levels in (0.5, 1, 10)}  # error of `levels` 8-bit levels
print("PSNR of an error of " + ", ".join(f"{k:g} level(s) on every pixel: {v:.2f} dB" for k, v in level_db.items()))
intact_below = {task: {levels: sum(row["psnr_intact"] < level_db[levels] for row in rows[task]) for levels in (1, 10)}
                for task in TASKS}
near_degraded = {task: training_lesson.share_near_degraded(items[task]) for task in TASKS}
for task in TASKS:
    print(f"{task:8s}: restored intact-pixel PSNR below {level_db[1]:.2f} dB on {intact_below[task][1]} and below "
          f"{level_db[10]:.2f} dB on {intact_below[task][10]} of the {len(rows[task])} windows; "
          f"{100 * near_degraded[task]:.0f} % of the intact pixels have a degraded pixel in their 7x7 SSIM window")

# %% [markdown]
# **Intact pixels.** An input's intact PSNR is at least 54.15 dB by definition (half a level, the largest change an
# intact pixel can have). Deraining's inputs average 70.50 dB there; inpainting's are ∞ on 142 of the 144 windows,
# since the holes leave every other pixel as it was. The restorations average 39.65 dB (deraining, below its input
# on every window) and 36.39 dB (inpainting), below the 48.13 dB of an error of one 8-bit level on every pixel in 100
# and 143 of the 144 windows: the networks change pixels they should leave alone. (65 % of deraining's intact pixels
# and 26 % of inpainting's have a degraded pixel in their SSIM window.)
#
# **Degraded pixels.** Both networks raise their PSNR on average, deraining's by +4.38 dB [+3.26, +5.56] and
# inpainting's by +4.63 dB [+3.19, +6.28]; it still falls on 9 and 19 of the windows.
#
# **PSNR and SSIM.** Deraining raises both on the whole window. Inpainting raises the whole window's PSNR
# (+3.92 dB [+2.22, +5.74]) but shows no difference established in its SSIM (+0.0165 [−0.0152, +0.0475]), nor on
# the holes themselves (+0.0435 [−0.0046, +0.0958]): the smooth fills of section 4 lower the squared error more than
# they restore local structure (suggestive).
#
# **The task gap.** Inpainting's restored holes score well below deraining's restored streaks. The next cell pairs
# the two tasks window by window (the same windows) and splits the gap into where the inputs start and what each
# network gains; it also compares the widest hole of the benchmark's windows with that of the training crops.

# %%
task_gap = {}
for label, key in (("restored", "psnr_degraded"), ("input", "input_psnr_degraded")):
    diffs = np.array([[a[key] - b[key] for a, b in zip(rows["derain"], rows["inpaint"])]])
    task_gap[label] = (float(diffs.mean()), hierarchical_bootstrap(diffs, photographs=photograph_of))
gain_gap = np.array([[(b["psnr_degraded"] - b["input_psnr_degraded"]) - (a["psnr_degraded"] - a["input_psnr_degraded"])
                      for a, b in zip(rows["derain"], rows["inpaint"])]])
task_gap["gain"] = (float(gain_gap.mean()), hierarchical_bootstrap(gain_gap, photographs=photograph_of))
for label, text in (("restored", "restored, deraining − inpainting"), ("input", "input, deraining − inpainting"),
                    ("gain", "gain, inpainting's − deraining's")):
    mean, (low, high) = task_gap[label]
    print(f"degraded-pixel PSNR, {text}: {mean:+.2f} dB [{low:+.2f}, {high:+.2f}]")
training_holes = [pools["inpaint"][i] for i in range(len(items["inpaint"]))]  # as many training crops as windows
hole_widths = {label: float(np.mean([training_lesson.widest_hole(item["x0"], item["mu"]) for item in group]))
               for label, group in (("training crops", training_holes), ("benchmark windows", items["inpaint"]))}
print("widest hole (twice the largest distance from a hole pixel to an intact one), mean: "
      + ", ".join(f"{label} {v:.1f} pixels" for label, v in hole_widths.items()))

# %% [markdown]
# Inpainting ends 5.82 dB [+4.88, +6.79] below deraining on the degraded pixels, and its inputs start 6.07 dB
# [+4.77, +7.37] lower: a grey hole is further from the truth than a semi-transparent streak. The two gains differ by
# +0.25 dB [−0.59, +1.16], no difference established: the gap is the inputs'. Test and training holes are of one
# size (widest hole 13.0 against 12.9 pixels): the library draws the brush width as a share of the crop's short side
# (6–14 %, `rdbm_core.data.degradations.inpaint`), and windows and training crops are both 64 pixels wide.
#
# ## What we learned
#
# 1. One training iteration draws a time and noise per pair, builds `x_t`, predicts `x0_hat`, takes the L1 loss,
#    makes one clipped Adam step and updates the EMA weights; `train` repeats it.
# 2. The raw loss is noisy, its level depends on the share of degraded pixels, and these short runs still fall.
# 3. On 144 held-out windows both networks raise the degraded pixels' PSNR (by 4.38 and 4.63 dB on average) but
#    damage the intact pixels.
# 4. Inpainting scores lower because it starts lower; its gain is not established to differ from deraining's.
# 5. PSNR and SSIM can disagree; an interval over photographs, not windows, says which changes are established.

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
# Once it is answered, the cell prints its value for your prediction, compares it with the evaluation's
# whole-window PSNR on the four windows of section 4's figures, and checks it on all the others.

# %%
answer_06_3 = ...  # a function whole_psnr(psnr_degraded, psnr_intact, fraction) -> float (dB)
display(check("06.3", answer_06_3))
if callable(answer_06_3):
    print(f"the prediction, 40 dB on 90 % and 10 dB on 10 %: whole_psnr(10, 40, 0.1) = "
          f"{answer_06_3(10, 40, 0.1):.2f} dB")
    for task in TASKS:
        for name, item, row in zip(windows, items[task], rows[task]):
            share = float(degraded_mask(item["x0"], item["mu"]).float().mean())
            yours = answer_06_3(row["psnr_degraded"], row["psnr_intact"], share)
            assert abs(yours - row["psnr"]) < 0.01, f"{task} {name}: compare with the evaluation"
            if name in windows[:SHOWN]:
                print(f"{task:8s} {name:20s}: whole-window PSNR of the restoration, yours {yours:.2f} dB, "
                      f"evaluation {row['psnr']:.2f} dB")

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
# ## Appendix (optional): errors near a window's edges
#
# Section 4's inpainting figure shows a dark band along one window's top edge. Are the errors near a window's edges
# larger in general? The cell restores every window once more from its input reflect-padded by 8 pixels on every
# side (mirrored, so the picture continues), then crops the result back to the window: the network's own edges then
# lie outside the picture. The table gives the mean intact-pixel error ([0, 1] units) within 4 pixels of each edge and
# on the other intact pixels, pooled over the 144 windows, as restored and padded; the cell then prints what padding
# changes in each window's whole-window PSNR, with the interval of section 5.

# %%
padded = {task: training_lesson.padded_restoration(*networks[task], torch.stack([item["mu"] for item in items[task]]),
                                                   sampler, pad=8) for task in TASKS}
edges = {f"{task}, {how}": training_lesson.edge_errors(items[task], images, 4)
         for task in TASKS for how, images in (("as restored", restored[task]), ("padded", padded[task]))}
display(Markdown(training_lesson.edge_error_table(edges, 4)))
padding_gain = {}
for task in TASKS:
    diffs = np.array([[psnr(a, item["x0"]) - psnr(b, item["x0"])
                       for a, b, item in zip(padded[task], restored[task], items[task])]])
    padding_gain[task] = (float(diffs.mean()), hierarchical_bootstrap(diffs, photographs=photograph_of),
                          int((diffs < 0).sum()))
    mean, (low, high), falls = padding_gain[task]
    print(f"{task:8s}: whole-window PSNR, padded − as restored {mean:+.2f} dB [{low:+.2f}, {high:+.2f}]; "
          f"lower on {falls} of {len(diffs[0])} windows")

# %% [markdown]
# Near some edges the intact pixels carry more error than elsewhere: deraining's right edge 0.0140 against 0.0083 in
# the interior, inpainting's top edge 0.0159 against 0.0078. Padded, those edges fall to 0.0108 and 0.0070, and
# the whole-window PSNR rises by +0.28 dB [+0.13, +0.45] (deraining) and +0.26 dB [+0.08, +0.46] (inpainting). So
# part of the error comes from the network's own borders, and reflect-padding the input is a cheap remedy. Which
# border mechanism is at work, the zero padding of every convolution or the one-sided padding of the stride-2
# downsampling, is not separated here.

# %% [markdown]
# ## Checks
#
# The last cell tests that every number and statement of the text above matches the outputs. It is kept apart
# so that the text reads without it; its code is folded (tag `hide-input`).

# %% tags=["hide-input"] jupyter={"source_hidden": true}
def interval_text(mean_interval, digits=2):
    """'+m [+lo, +hi]' as the prose quotes a mean and its interval."""
    mean, (low, high) = mean_interval[:2]
    return f"{mean:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}]"


def change_text(change, digits=2):
    return interval_text((change.mean, change.interval), digits)


# section 1: the configuration, the bridge's ends, one training iteration
assert shown.skip_mu and shown.objective == "x0" and shown.norm == "l1" and shown.ema == 0.999
assert shown.grad_clip == 1.0 and shown.weight_decay == 0  # the written-out iteration's constants: AdamW is Adam
assert FAST or (bridge.noise == "modulated" and bridge.lam == 1e-4 and bridge.schedule.t_T == 99)
assert float(theta[-1]) == 0 and float(sigma[-1]) == 0 and bridge.schedule.t_clean == -1
assert FAST or (f"{sigma.max():.4f}" == "0.0100" and f"{theta[0]:.4f}" == "0.9994")
assert int(bridge.schedule.sample_train_times(10_000, generator=torch.Generator().manual_seed(0)).min()) == 0
assert abs(loss_ours - loss_library) < 1e-6 and ema_gap < 1e-6, "the written-out iteration is the trainer's"
# sections 2 and 3: the probe, the shipped configs, the pace, and the readings of the curves
assert probe["step"] == PROBE_ITERATIONS and len(probe["losses"]) == PROBE_ITERATIONS and probe["wall_s"] > 0
assert FAST or gap < 1e-3
for task in TASKS:
    shipped = results[task]["config"]  # None when trained here
    assert shipped is None or replace(shipped, out=config_for(task).out) == config_for(task)
if not FAST:
    assert all_iterations == 900
    shipped_minutes = sum(pretrained.record(f"nb06_{task}")["wall_s"] for task in TASKS) / 60
    assert f"{shipped_minutes:.0f}" == "13"
    assert [f"{100 * degraded_share[task]:.0f}" for task in TASKS] == ["42", "21"]
    for task, curve in curves.items():
        assert curve.minimum < curve.at_two_thirds and curve.argmin > 0.9 * curve.iterations, "still falling after 2N/3"
        assert curve.last < curve.at_two_thirds and abs(curve.difference) < 2 * curve.difference_se
    assert curves["derain"].last > curves["derain"].minimum
# section 4: the figures show the evaluated restorations; the sampler's times; the readings of the figures
for task in TASKS:
    for item, image, row in zip(items[task], restored[task], rows[task]):
        assert abs(psnr(image, item["x0"]) - row["psnr"]) < 1e-3
    assert [item["name"] for item in items[task]] == windows  # both tasks on the same windows
assert FAST or bridge.schedule.sampling_times(SAMPLING_STEPS).tolist() == [99, 89, 79, 69, 59, 49, 39, 29, 19, 9, -1]
if not FAST:
    assert len(windows) == 144 and len(set(photograph_of)) == 12 and windows[3].startswith("grace_hopper")
    assert f"{np.mean(rain_left):.2f}" == "0.63" and f"{rain_left[0]:.2f}" == "0.62" and f"{rain_left[3]:.2f}" == "1.65"
    assert sum(v > 1 for v in rain_left) == 11
    grace = rows["derain"][3]
    assert f"{grace['input_psnr_degraded']:.1f} {grace['psnr_degraded']:.1f}" == "18.9 15.5"
    intact_error = {task: [float(training_lesson.error_map(item, image)[~degraded_mask(item["x0"], item["mu"])].mean())
                           for item, image in zip(items[task][:SHOWN], restored[task][:SHOWN])] for task in TASKS}
    assert max(intact_error["derain"][:2]) < 0.002 < 0.01 < min(intact_error["derain"][2:])  # dark, then rims
    grace_intact = ~degraded_mask(items["inpaint"][3]["x0"], items["inpaint"][3]["mu"])
    grace_error = training_lesson.error_map(items["inpaint"][3], restored["inpaint"][3])
    top = training_lesson.edge_band(64, 64, 4, "top") & grace_intact
    assert float(grace_error[top].mean()) > 10 * float(grace_error[grace_intact & ~top].mean())  # the top-edge band
    fill, sky = restored["inpaint"][3][:, ~grace_intact[0]].mean(1), items["inpaint"][3]["x0"][:, ~grace_intact[0]].mean(1)
    assert float(fill.mean()) > float(sky.mean()) + 0.25 and float(fill.max() - fill.min()) < 0.2  # pale grey
# section 5: the table's readings, the intact pixels, the task gap, the hole widths
if not FAST:
    derain, inpaint = changes["derain"], changes["inpaint"]
    assert [f"{v:.2f}" for v in level_db.values()] == ["54.15", "48.13", "28.13"]
    assert f"{derain['psnr_intact'].input_mean:.2f}" == "70.50" and derain["psnr_intact"].infinite == 0
    assert inpaint["psnr_intact"].infinite == 142 and inpaint["psnr_intact"].input_mean > level_db[0.5]
    assert min(row["input_psnr_intact"] for task in TASKS for row in rows[task]) > level_db[0.5]
    assert [f"{changes[task]['psnr_intact'].restored_mean:.2f}" for task in TASKS] == ["39.65", "36.39"]
    assert derain["psnr_intact"].falls == len(windows)  # below its input on every window
    assert [intact_below[task][1] for task in TASKS] == [100, 143]
    assert [f"{100 * near_degraded[task]:.0f}" for task in TASKS] == ["65", "26"]
    assert change_text(derain["psnr_degraded"]) == "+4.38 [+3.26, +5.56]"
    assert change_text(inpaint["psnr_degraded"]) == "+4.63 [+3.19, +6.28]"
    assert [changes[task]["psnr_degraded"].falls for task in TASKS] == [9, 19]
    assert derain["psnr"].excludes_zero and derain["ssim"].excludes_zero and derain["psnr"].mean > 0 < derain["ssim"].mean
    assert change_text(inpaint["psnr"]) == "+3.92 [+2.22, +5.74]"
    assert change_text(inpaint["ssim"], 4) == "+0.0165 [-0.0152, +0.0475]" and not inpaint["ssim"].excludes_zero
    assert change_text(inpaint["ssim_degraded"], 4) == "+0.0435 [-0.0046, +0.0958]"
    assert not inpaint["ssim_degraded"].excludes_zero
    assert interval_text(task_gap["restored"]) == "+5.82 [+4.88, +6.79]"
    assert interval_text(task_gap["input"]) == "+6.07 [+4.77, +7.37]"
    assert interval_text(task_gap["gain"]) == "+0.25 [-0.59, +1.16]"
    assert [f"{v:.1f}" for v in hole_widths.values()] == ["12.9", "13.0"]
# appendix: the edges, as restored and padded
if not FAST:
    plain_d, padded_d, plain_i, padded_i = (edges[f"{task}, {how}"] for task in TASKS for how in ("as restored", "padded"))
    assert [f"{v:.4f}" for v in (plain_d["right"], plain_d["interior"], padded_d["right"])] == ["0.0140", "0.0083", "0.0108"]
    assert [f"{v:.4f}" for v in (plain_i["top"], plain_i["interior"], padded_i["top"])] == ["0.0159", "0.0078", "0.0070"]
    assert max(plain_d, key=plain_d.get) == "right" and max(plain_i, key=plain_i.get) == "top"  # the worst edges
    assert interval_text(padding_gain["derain"]) == "+0.28 [+0.13, +0.45]"
    assert interval_text(padding_gain["inpaint"]) == "+0.26 [+0.08, +0.46]"
print(f"all checks passed; notebook wall time: {(time.perf_counter() - NOTEBOOK_START) / 60:.1f} min")
