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
# embedded default data (deraining and inpainting), what its `train` call returns, how to read its loss curve,
# and how to measure a restoration honestly: PSNR and SSIM over the whole image, on the *degraded* pixels and on
# the *intact* ones.
#
# **Prerequisites.** Notebooks 02a–02c (the RDBM bridge `x_t = mu + Theta_t pi + Sigma_t pi eps` with the
# residual `pi = x0 - mu`, and its samplers) and notebook 05 (why intact pixels never move along RDBM's bridge).
#
# **Three ways to run this notebook.** Training the two networks of this notebook takes 13 minutes of CPU, so
# the course ships them:
#
# * **default** (what you read here): section 2.1 runs the trainer for 20 training iterations as a
#   demonstration of its interface, then the two networks shipped with the course (`rdbm_course.pretrained`,
#   trained by the command line with exactly the configuration of section 1) are loaded and everything after
#   uses them;
# * **`RETRAIN=1`**: the two networks are trained here instead (3.7 and 9.5 minutes on one thread of the shared
#   CPU below, measured when they were shipped);
# * **`FAST=1`** (continuous integration only): a tiny network trained for 20 iterations per task; its numbers
#   mean nothing.
#
# **Full-mode wall time (default mode): about a minute on a 2-core CPU** (1.0 min in the committed run,
# 2026-12-07, on a machine shared with other jobs; the last code cell before the exercises prints it).
#
# **Words.** Three different things are counted in "steps" by different parts of the library; this notebook
# keeps them apart: *training iterations* (one optimiser update on one batch; `TrainConfig.steps`), *sampling
# steps* (network evaluations of the sampler for one restoration; the `steps` argument of `restore` and
# `evaluate`), and the bridge's *grid size N* (the number of intervals of its discrete time grid).

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

from rdbm_core.checkpoints import load_weights
from rdbm_core.data import TEST_IMAGES, SyntheticPairs
from rdbm_core.degradations import degraded_mask
from rdbm_core.evaluation import evaluate, restore
from rdbm_core.metrics import aggregate, psnr
from rdbm_core.training import (CachedDataset, TrainConfig, batch_indices, collate, ema_decay, load_trained,
                                make_model, make_path, resolve_device, step_generator, train, training_dataset,
                                training_loss)
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
# One `TrainConfig` describes a run completely (it is stored in the checkpoint). The settings below are those of
# the command-line demo (`python -m rdbm_core demo`): the `small` U-Net, random 64x64 crops of the training
# photographs, batch 8, a pool of 1024 distinct training pairs. The optimiser is AdamW with learning rate 5e-4
# and `weight_decay = 0`, which makes it plain Adam; before each update the gradient is rescaled if its norm
# (over all parameters together) exceeds `grad_clip = 1.0`. Besides the trained weights the trainer keeps an
# exponential moving average (EMA) of them, with target decay `ema = 0.999` (section 3 shows what the decay
# really is in runs this short); the EMA weights are the network that restores images.
#
# The bridge is `rdbm`. The printed config says `noise=None, lam=None`: `None` means "the bridge's own default",
# and the cell prints what they resolve to: noise modulated by the residual, `lam = 1e-4`, on the reference
# cosine grid of N = 100 intervals. `lam` scales the variance of the bridge's noise: `Sigma_t = sqrt(lam v_t)`,
# with `v_t = bridge.unit_variance(t)` a shape in time fixed by the grid (at most about 1 here), so with
# `lam = 1e-4` the noise of `x_t` is at most about 1 % of the residual (both printed). The network predicts `x0`
# through `x0_hat = mu + net(x_t, mu, t)` (`skip_mu`), and the loss is L1 on `x0` (`objective='x0', norm='l1'`).
#
# Training runs a fixed number of iterations rather than a time budget
# (`TrainConfig(time_budget=240, steps=100_000)` would stop after 4 minutes): every iteration's batch and random
# numbers depend only on the seed and the iteration, so the result is the same on any machine up to floating-point
# rounding, only the wall time differs. Deraining gets 300 training iterations, inpainting 600: filling a hole
# means *inventing* content, and section 2.3 measures that inpainting has learned less than deraining after the
# same 300 iterations. The held-out test photographs (`chelsea`, `coffee`, `rocket`, `camera`) are never seen in
# training.


# %%
TRAIN_ITERATIONS = {"derain": 300, "inpaint": 600}  # 2400 and 4800 training crops


def config_for(task: str) -> TrainConfig:
    if FAST:  # the fast (smoke) configuration of FAST=1: a tiny network for 20 iterations
        return TrainConfig.smoke(task=task, out=str(RUNS / f"nb06_{task}_fast"))
    return TrainConfig(task=task, preset="small", crop=64, batch=8, pool=1024, lr=5e-4,
                       steps=TRAIN_ITERATIONS[task], ckpt_every=0, out=str(RUNS / f"nb06_{task}"))


TASKS = ("derain", "inpaint")
shown = config_for("derain")
print(replace(shown, out=str(Path(shown.out).relative_to(ROOT))))  # the folder relative to the repository

bridge = make_path(shown)  # the bridge the config resolves to
grid = torch.arange(bridge.schedule.t_clean, bridge.schedule.t_T + 1)
grid_size = bridge.schedule.t_T - bridge.schedule.t_clean
largest_sigma = float(bridge.coefficients(grid)[2].max())
largest_shape = float(bridge.unit_variance(grid).max())
parameters = sum(p.numel() for p in make_model(shown, bridge).parameters())
print(f"bridge {bridge.name!r}: noise {bridge.noise!r}, lam = {bridge.lam:g}, grid size N = {grid_size}; "
      f"largest v_t = {largest_shape:.3f}, largest Sigma_t = {largest_sigma:.4f} "
      f"(noise std <= {100 * largest_sigma:.1f} % of |pi|)")
print(f"network: preset {shown.preset!r}, {parameters:,} parameters ({parameters / 1e6:.1f} M)")
assert shown.weight_decay == 0 and shown.grad_clip == 1.0 and shown.ema == 0.999
assert FAST or (bridge.noise == "modulated" and bridge.lam == 1e-4 and grid_size == 100)

# %% [markdown]
# ## 2. Training
#
# ### 2.1 The trainer's interface: a 20-iteration demonstration
#
# `train(config)` builds the training pool, runs the iterations, writes a checkpoint and returns a dict: the
# checkpoint's path, the loss of every iteration, the number of iterations done, the wall time and the
# throughput in training images per second. The cell below runs it **as a demonstration only**: the deraining
# configuration of section 1 stopped after 20 of its 300 training iterations (on the CPU, in `runs/nb06_demo/`).
# This 20-iteration network is not used anywhere below; it shows what a call costs and returns. Before the first
# iteration the call makes the 1024 training pairs of the pool, so the whole call takes longer than the
# iterations it reports (`wall_s`); running live you also see the two progress bars.

# %%
DEMO_ITERATIONS = 20
demo_config = replace(config_for("derain"), steps=DEMO_ITERATIONS, device="cpu", out=str(RUNS / "nb06_demo"))
start = time.perf_counter()
demo = train(demo_config, progress=True)
demo_call_s = time.perf_counter() - start
print("train() returned the keys:", ", ".join(demo))
print(f"  step (training iterations done): {demo['step']}")
print(f"  wall_s: {demo['wall_s']:.1f} s for the iterations, {demo['images_per_s']:.1f} images/s "
      f"(the whole call, pool included: {demo_call_s:.1f} s)")
print(f"  checkpoint: {Path(demo['checkpoint']).relative_to(ROOT)}")
print("  losses, iterations 1-20:", " ".join(f"{v:.4f}" for v in demo["losses"]))
assert demo["step"] == DEMO_ITERATIONS and len(demo["losses"]) == DEMO_ITERATIONS

# %% [markdown]
# ### 2.2 The two networks
#
# Each task gets its own network (same seed and settings; inpainting trains twice as long). In the default mode
# they are not trained here: the course ships them as *weights files* (the EMA weights with the run's config,
# iteration count and losses, in safetensors, which loads without executing code), made by exactly this training
# through the command line (`python -m rdbm_core train ...`, then `python -m rdbm_core export`). The cell checks
# that each shipped network's config is the one of section 1 and prints how it was made. It then compares the
# demonstration's 20 losses with the first 20 of the deraining run: the same configuration gives the same
# batches, times and noise at every iteration, so the two runs coincide up to rounding.

# %%
results = {}
for task in TASKS:
    if FAST or RETRAIN:
        r = train(config_for(task), progress=True)
        results[task] = {"checkpoint": r["checkpoint"], "losses": r["losses"], "iterations": r["step"]}
        print(f"{task:8s}: trained {r['step']} iterations in {r['wall_s']:.0f} s ({r['images_per_s']:.1f} images/s)")
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
    print(f"{'':10s}mean loss of the last 50 training iterations {np.mean(results[task]['losses'][-50:]):.4f}")

assert all(math.isfinite(v) for r in results.values() for v in r["losses"])
assert all(Path(r["checkpoint"]).is_file() for r in results.values())

# the demonstration against the first 20 iterations of the deraining run (same device: the shipped runs are CPU runs)
same_device = not (FAST or RETRAIN) or resolve_device(config_for("derain").device).type == "cpu"
gap = np.abs(np.array(demo["losses"]) - np.array(results["derain"]["losses"][:DEMO_ITERATIONS]))
print(f"demonstration vs the deraining run, iterations 1-{DEMO_ITERATIONS}: largest loss difference {gap.max():.1e}"
      + ("" if FAST or RETRAIN else " (the weights file stores the losses to 6 decimals)"))
assert not same_device or gap.max() < 1e-2 * np.min(demo["losses"]), "the same configuration should repeat its run"


# %% [markdown]
# ### 2.3 Reading the loss curve
#
# The loss of one iteration is the L1 distance between `x0_hat` and `x0`, averaged over *all* pixels of the
# batch, at a random bridge time `t` per image. It is noisy from iteration to iteration (different images,
# different times), so the plot draws a smoothed loss on top of the raw values: each point the average of the
# earlier losses with weights decaying by a factor `1 - α` per iteration, `α = 0.05`, so recent iterations count
# most (this smoothing of a curve has nothing to do with the EMA of the weights).
#
# The right panel divides each iteration's loss by that of a network which returns `mu` unchanged
# (`x0_hat = mu`) on the same batch, i.e. by the batch's mean `|x0 - mu|`. The batch of every iteration is a
# function of the seed and the iteration, so the cell rebuilds it. This *relative loss* is 1 for a network that
# changes nothing and 0 for a perfect one, whatever the batch's share of degraded pixels.

# %%
def smooth(values, alpha=0.05):
    """The smoothed loss: exponentially weighted average of the values so far (bias-corrected at the start)."""
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc = (1 - alpha) * acc + alpha * v
        out.append(acc / (1 - (1 - alpha) ** (i + 1)))
    return np.array(out)


def batch_at(pool, config, k):
    """The training batch (x0, mu) of iteration k (counted from 0), as the trainer draws it."""
    return collate([pool[i] for i in batch_indices(len(pool), k, config.batch, config.seed, 0, 1)], "cpu")


pools, return_mu, fraction = {}, {}, {}
for task in TASKS:
    config = config_for(task)
    pools[task] = CachedDataset(training_dataset(config))
    batches = [batch_at(pools[task], config, k) for k in range(results[task]["iterations"])]
    return_mu[task] = np.array([float((x0 - mu).abs().mean()) for x0, mu in batches])
    fraction[task] = np.array([float(degraded_mask(x0, mu).float().mean()) for x0, mu in batches])

losses = {task: np.array(results[task]["losses"]) for task in TASKS}
relative = {task: losses[task] / return_mu[task] for task in TASKS}
smoothed = {task: smooth(losses[task]) for task in TASKS}

fig, (ax, ax_rel) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
for k, task in enumerate(TASKS):
    x = np.arange(1, len(losses[task]) + 1)
    ax.plot(x, losses[task], color=f"C{k}", alpha=0.25, lw=0.8)
    ax.plot(x, smoothed[task], color=f"C{k}", lw=2, label=f"{task}: smoothed loss (α = 0.05)")
    ax_rel.plot(x, relative[task], color=f"C{k}", alpha=0.25, lw=0.8)
    ax_rel.plot(x, smooth(relative[task]), color=f"C{k}", lw=2, label=f"{task}: smoothed (α = 0.05)")
ax.set_yscale("log")
ax.yaxis.set_major_locator(FixedLocator([0.01, 0.015, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15]))
ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
ax.yaxis.set_minor_formatter(NullFormatter())
ax.set_xlabel("training iteration")
ax.set_ylabel("L1 loss: mean |x0_hat − x0|\n(pixel values in [−1, 1])")
ax.set_title("training loss (faint: every iteration)", fontsize=11)
ax.legend(fontsize=9)
ax_rel.axhline(1, color="grey", lw=1, ls="--", label="network returning mu")
ax_rel.set_ylim(0, 1.5)
ax_rel.set_xlabel("training iteration")
ax_rel.set_ylabel("loss / mean |x0 − mu| of the batch\n(relative loss, no unit)")
ax_rel.set_title("relative loss (faint: every iteration)", fontsize=11)
ax_rel.legend(fontsize=9)
plt.show()

assert all(np.isfinite(s).all() for s in smoothed.values())
assert FAST or all(s[-1] < s[0] for s in smoothed.values()), "the loss should go down in full mode"


# %% [markdown]
# What the curves say, each point measured in the cell below:
#
# * **The first iteration.** The network's last layer starts at zero, so the untrained network returns `mu`:
#   the first loss *is* the batch's mean `|x0 - mu|` and the relative loss starts at exactly 1.
# * **The rise over the first few iterations.** The smoothed loss climbs before it falls, for two measured
#   reasons: the next batches happen to hold more residual (the smoothed loss of the network that returns `mu`
#   rises too), and the first few updates make the network *worse* than returning `mu` (relative loss above 1).
# * **The turn up at the end of deraining.** From its lowest point a few iterations before the end, the smoothed
#   deraining loss rises again. It is within the curve's noise, not a sign of training going wrong: part of it is
#   the batches (the return-`mu` loss of the same iterations rises too), single-iteration losses scatter by
#   more than a quarter of their size, and the inpainting curve shows a bump as large that later fell further.
# * **Comparing tasks.** The loss averages over all pixels, intact ones included, where both networks are nearly
#   exact. Its level therefore scales with the share of degraded pixels, which differs between the tasks: rain
#   touches about twice the share of pixels that the holes cover. Inpainting ends with a *lower* loss than
#   deraining, yet per degraded pixel its error is larger (measured on the shipped networks and the training
#   batches of their last 10 iterations), and section 4 finds its degraded pixels much further from the truth
#   than deraining's. Compare tasks by the relative loss or by the degraded-pixel metrics, never by the loss.
#   After the same 300 iterations the inpainting network's relative loss is the higher one, which is why it
#   gets 600.

# %%
def first_rise(task, horizon=10):
    """The largest smoothed loss among the first iterations, and where."""
    k = int(np.argmax(smoothed[task][:horizon]))
    return k + 1, smoothed[task][k]


def largest_bump(task, start, stop, window=15):
    """Largest rise (%) of the smoothed loss over its minimum of the preceding `window` iterations, in [start, stop)."""
    s = smoothed[task]
    bumps = [(100 * (s[i] / s[max(0, i - window):i + 1].min() - 1), i + 1) for i in range(start, stop)]
    return max(bumps)


for task in TASKS:
    n = len(losses[task])
    assert abs(losses[task][0] - return_mu[task][0]) < 1e-5, "iteration 1: the network returns mu"
    peak_at, peak = first_rise(task)
    worst_early = relative[task][1:10].max()
    print(f"{task:8s}: iteration 1: loss {losses[task][0]:.4f} = batch mean |x0 - mu| {return_mu[task][0]:.4f}; "
          f"smoothed loss {smoothed[task][0]:.4f} -> {peak:.4f} at iteration {peak_at}, while the smoothed "
          f"return-mu loss goes {return_mu[task][0]:.4f} -> {smooth(return_mu[task])[peak_at - 1]:.4f}; "
          f"relative loss up to {worst_early:.2f} in iterations 2-10")
    print(f"{'':10s}degraded share of the training batches: {100 * fraction[task].mean():.0f} %; "
          f"relative loss at the end (smoothed): {smooth(relative[task])[-1]:.2f}"
          + (f", at iteration 300: {smooth(relative[task])[299]:.2f}" if n >= 300 else ""))

# the turn up at the end of deraining
s, base = smoothed["derain"], smooth(return_mu["derain"])
low = int(np.argmin(s))
scatter = np.std(losses["derain"][-100:]) / np.mean(losses["derain"][-100:])
n = len(smoothed["inpaint"])
bump, bump_at = largest_bump("inpaint", *((50, n - 20) if n > 100 else (1, n)))
print(f"deraining: smoothed loss {s[low]:.4f} at iteration {low + 1} -> {s[-1]:.4f} at {len(s)} "
      f"({100 * (s[-1] / s[low] - 1):+.1f} %); the return-mu loss of the same iterations "
      f"{100 * (base[-1] / base[low] - 1):+.1f} %; single-iteration losses scatter by {100 * scatter:.0f} % "
      f"(std / mean, last 100 iterations); inpainting's largest earlier bump {bump:+.1f} % at iteration {bump_at}, "
      f"and its smoothed loss fell below that bump's minimum afterwards: "
      f"{smoothed['inpaint'][bump_at:].min() < smoothed['inpaint'][max(0, bump_at - 16):bump_at].min()}")
if not FAST:
    rise = 100 * (s[-1] / s[low] - 1)
    assert rise > 0 and base[-1] > base[low] and scatter > 0.25 and bump >= rise - 0.5
    assert smoothed["inpaint"][bump_at:].min() < smoothed["inpaint"][max(0, bump_at - 16):bump_at].min()

# %% [markdown]
# The loss per region. The trainer's own `training_loss`, called with the random numbers of iteration `k`
# (`step_generator`), repeats that iteration's times and noise; a thin wrapper around the network records its
# prediction, so the error can be split into the degraded and the intact pixels. This is the shipped (EMA)
# network on the batches of the last 10 training iterations, not the network that was being trained then, so
# its loss differs from the recorded one.

# %%
def loss_by_region(task, last=10):
    """Mean over the last `last` iterations' batches of: the loss, the part of it from the degraded and from the
    intact pixels (the two add up to the loss), and the mean error per degraded and per intact pixel."""
    model, task_bridge, config = load_trained(results[task]["checkpoint"])
    rows = []
    for k in range(len(losses[task]) - last, len(losses[task])):
        x0, mu = batch_at(pools[task], config, k)
        seen = []

        def recording(x_t, mu_, t):
            seen.append(model(x_t, mu_, t))
            return seen[-1]

        with torch.no_grad():
            loss = float(training_loss(recording, task_bridge, x0, mu, config, step_generator(config.seed, k, 0)))
        error = (seen[0] - x0).abs()
        degraded = degraded_mask(x0, mu).expand_as(x0)
        parts = [float(error[degraded].sum() / error.numel()), float(error[~degraded].sum() / error.numel())]
        assert abs(loss - sum(parts)) < 1e-5  # the loss is the mean over all pixels
        rows.append([loss, *parts, float(error[degraded].mean()), float(error[~degraded].mean())])
    return dict(zip(("loss", "degraded_part", "intact_part", "per_degraded", "per_intact"), np.mean(rows, 0)))


regions = {task: loss_by_region(task) for task in TASKS}
for task in TASKS:
    r = regions[task]
    print(f"{task:8s}: loss {r['loss']:.4f} (recorded {losses[task][-10:].mean():.4f}) = degraded pixels "
          f"{r['degraded_part']:.4f} + intact pixels {r['intact_part']:.4f}; mean error per degraded pixel "
          f"{r['per_degraded']:.4f}, per intact pixel {r['per_intact']:.4f}")
if not FAST:
    assert fraction["derain"].mean() > 1.5 * fraction["inpaint"].mean()
    assert np.mean(losses["inpaint"][-50:]) < np.mean(losses["derain"][-50:])
    assert regions["inpaint"]["per_degraded"] > regions["derain"]["per_degraded"]
    assert all(relative[t][1:10].max() > 1 for t in TASKS)
    assert smooth(relative["inpaint"])[299] > smooth(relative["derain"])[299]

# %% [markdown]
# ## 3. Restoring held-out photographs
#
# **Predict before you see the numbers.** A restoration is 40 dB on 90 % of its pixels and 10 dB on the other
# 10 %. Is its whole-image PSNR nearer 37 dB or nearer 20 dB? Write your guess down: the PSNRs of this section
# and the tables of section 4 are the evidence, and exercise 06.3 derives the answer.
#
# `load_trained` rebuilds the network from the checkpoint with its EMA weights. The EMA starts at the initial
# network, which returns `mu` unchanged (its last layer is zero), and its decay is warmed up:
# `min(0.999, (1 + k) / (10 + k))` at iteration `k` (counted from 0). The target 0.999 is therefore **never in
# effect in these runs**: it is reached only after thousands of iterations (printed below), and the last update
# of each run used a decay of about 0.97 (deraining) and 0.985 (inpainting), an average over roughly the last
# 1/(1 − decay) iterations. The warm-up is what lets a short run forget its initial weights: a fixed 0.999 would
# still keep `0.999^300 ≈ 74 %` of them after 300 iterations.
#
# `evaluate` restores every test image with the reference sampler (implicit, `eta = 0`, 10 sampling steps: 10
# network evaluations), measures it against the clean image, and writes `metrics.json`, `metrics.csv` and a
# figure into the run folder. The test images are four 128x128 crops, one of each held-out photograph (crop `i`
# is taken from photograph `i mod 4`), with degradations fixed by the seed. Four crops and one training seed
# show what the restoration does; they are too few to compare methods (notebook 07 does that on 64 fixed items
# and three training seeds, with intervals). The cell also restores the same crops itself, to draw them below,
# and checks that these restorations are the ones `evaluate` measured.

# %%
SAMPLING_STEPS = 10
for task in TASKS:
    n = results[task]["iterations"]
    last = ema_decay(0.999, n - 1)
    print(f"{task:8s}: EMA decay at the last of {n} training iterations {last:.3f}, "
          f"averaging roughly the last {1 / (1 - last):.0f} iterations")
reached = next(k for k in range(100_000) if ema_decay(0.999, k) >= 0.999)
print(f"the decay reaches its target 0.999 at iteration {reached + 1}; a fixed 0.999 keeps "
      f"{100 * 0.999 ** 300:.0f} % of the initial weights after 300 iterations")

evals, tests, restored, networks = {}, {}, {}, {}
for task in TASKS:
    model, task_bridge, config = load_trained(results[task]["checkpoint"])
    networks[task] = (model, task_bridge, config)
    tests[task] = SyntheticPairs(task, "test", crop=32 if FAST else 128, length=2 if FAST else 4, seed=1000)
    out_dir = RUNS / f"nb06_{task}{'_fast' if FAST else ''}" / "eval"
    evals[task] = evaluate(model, task_bridge, tests[task], steps=SAMPLING_STEPS, out_dir=out_dir, progress=False)
    mu_batch = torch.stack([item["mu"] for item in tests[task]])
    restored[task] = restore(model, task_bridge, mu_batch, steps=SAMPLING_STEPS)
    print(f"{task}: wrote {out_dir.relative_to(ROOT) / 'metrics.json'}, metrics.csv and restorations.png")
    for item, out, row in zip(tests[task], restored[task], evals[task]["images"]):
        assert abs(psnr(out, item["x0"]) - row["psnr"]) < 1e-3, "the drawn restoration is the evaluated one"

PHOTOS = [TEST_IMAGES[i % len(TEST_IMAGES)] for i in range(len(tests["derain"]))]  # crop i is from photograph i mod 4
assert all(math.isfinite(e["summary"]["psnr"]) and math.isfinite(e["summary"]["ssim"]) for e in evals.values())


# %%
ERROR_SCALE = 0.3  # the colour scale of every error map below, [0, 1] units


def to_display(img):
    """[C, H, W] in [-1, 1] -> [H, W, C] in [0, 1] for imshow."""
    return ((img + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy()


def restoration_figure(task):
    """Rows: the test crops, labelled by photograph. Columns: input | restored | target | |restored - target| |
    |input - target|, the two error maps on one colour scale shared by all rows."""
    items, outs = tests[task], restored[task]
    height, width = items[0]["x0"].shape[1:]
    fig, axes = plt.subplots(len(items), 5, figsize=(13, 2.75 * len(items)), squeeze=False, layout="constrained")
    for i, (item, out) in enumerate(zip(items, outs)):
        x, y, z = item["mu"], out, item["x0"]
        panels = [(x, f"input: {psnr(x, z):.2f} dB"), (y, f"restored: {psnr(y, z):.2f} dB"), (z, "target (clean)")]
        for ax, (img, title) in zip(axes[i], panels):
            ax.imshow(to_display(img), interpolation="nearest")
            ax.set_title(title, fontsize=10)
        for ax, img, title in ((axes[i, 3], y, "|restored − target|"), (axes[i, 4], x, "|input − target|")):
            error = ((img - z).abs() / 2).mean(0).numpy()  # [0, 1] units, mean over the colour channels
            im = ax.imshow(error, cmap="inferno", vmin=0, vmax=ERROR_SCALE, interpolation="nearest")
            ax.set_title(f"{title}, mean {error.mean():.3f}", fontsize=10)
        axes[i, 0].set_ylabel(PHOTOS[i], fontsize=12)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    bar = fig.colorbar(im, ax=axes[:, 3:], shrink=0.6, extend="max")
    bar.set_label(f"absolute error, mean over RGB ([0, 1] pixel units; ≥ {ERROR_SCALE} at the top colour)",
                  fontsize=10)
    fig.suptitle(f"{task}: {len(items)} held-out {height}x{width} crops, "
                 f"{results[task]['iterations']} training iterations, {SAMPLING_STEPS} sampling steps "
                 "(titles: PSNR against the target)", fontsize=11)
    plt.show()


# %% [markdown]
# ### Deraining
# Each row is one held-out photograph: the rainy input, the restoration, the clean target, then the absolute
# error of the restoration and that of the input (in [0, 1] units, averaged over the colour channels; both on
# the same colour scale, shared by all rows). The titles give the PSNR against the target.
#
# Look before you read the numbers: **most streaks are still there.** A few minutes of CPU training teach the
# network to dim the streaks, not to remove them: the error map of the restoration still traces them, fainter
# than that of the input. On the rocket crop the restoration is even worse than the input (lower PSNR, checked
# below the figure): its error map lights up along the image border and in bands beside the tower, where the
# input's error map is dark because the rain never touched those pixels. The cell after the figure measures how
# much of the rain is gone.

# %%
restoration_figure("derain")
rows = evals["derain"]["images"]
print("whole-image PSNR, input -> restored:",
      ", ".join(f"{name} {r['input_psnr']:.2f} -> {r['psnr']:.2f} dB" for name, r in zip(PHOTOS, rows)))
assert FAST or rows[2]["psnr"] < rows[2]["input_psnr"], "rocket: the restoration should be worse than its input"

# %% [markdown]
# The share of the rain removed: on the degraded pixels, the mean absolute error of the restoration divided by
# that of the rainy input (1 = nothing removed, 0 = every streak gone).

# %%
left = []
for item, out in zip(tests["derain"], restored["derain"]):
    rain = degraded_mask(item["x0"], item["mu"]).expand_as(item["x0"])
    left.append(float((out - item["x0"])[rain].abs().mean() / (item["mu"] - item["x0"])[rain].abs().mean()))
print("error left on the degraded pixels, restoration / input:",
      ", ".join(f"{name} {v:.2f}" for name, v in zip(PHOTOS, left)))
print(f"mean: {np.mean(left):.2f}, i.e. {100 * (1 - np.mean(left)):.0f} % of the rain removed on average")
assert all(math.isfinite(v) and v > 0 for v in left)

# %% [markdown]
# ### Inpainting
# The holes are filled with mid-grey (0 in [-1, 1] units). The brush width scales with the image (6-14 % of its
# short side), so the holes of these 128x128 test crops are twice as wide *in pixels* as those of the 64x64
# training crops, the same relative to the image: a harder test than training, for a network that sees 64x64
# pixels at a time. With a few CPU minutes the network learns to continue colours and smooth structures into the
# holes, but the outlines of the holes stay visible and no texture is invented. Compare the last two columns.
# On the camera crop (the tripod's legs on the grass) the restoration's error inside the holes is barely
# smaller than that of the grey fill itself (less than 1 dB better on the holes, printed below the figure), and
# over the whole crop the restoration is *worse* than its input: it alters a tripod leg outside the holes (the
# bright diagonal line of its error map, dark in the input's), a sign of the intact-pixel damage that section 5
# discusses.

# %%
restoration_figure("inpaint")
rows = evals["inpaint"]["images"]
print("PSNR on the holes (degraded pixels), input -> restored:",
      ", ".join(f"{name} {r['input_psnr_degraded']:.2f} -> {r['psnr_degraded']:.2f} dB"
                for name, r in zip(PHOTOS, rows)))
print(f"camera, whole image: {rows[3]['input_psnr']:.2f} -> {rows[3]['psnr']:.2f} dB" if len(rows) > 3 else "")
assert FAST or 0 < rows[3]["psnr_degraded"] - rows[3]["input_psnr_degraded"] < 1.0, "camera: the fill ~ the grey"
assert FAST or rows[3]["psnr"] < rows[3]["input_psnr"], "camera: the restoration should be worse than its input"

# %% [markdown]
# ## 4. The numbers: whole image, degraded pixels, intact pixels
#
# *Degraded* and *intact* have one meaning throughout the project, that of `degradations.degraded_mask`: a pixel
# is degraded when the degradation changed some channel by more than half an 8-bit level, intact otherwise. For
# inpainting that is the holes; for deraining the streaks *and* their faint tails. On 8-bit images that is
# `x0 != mu`, with one exception in inpainting: the grey fill (0 in [-1, 1] units) is the 8-bit level 127.5, so a
# hole pixel whose true value is 127 or 128 differs from the fill by exactly half a level and counts as intact.
# The cell prints how many such pixels each crop has; they are why the camera crop's input is not identical to
# its target on the intact pixels.
#
# PSNR and SSIM are computed over the whole image, over the degraded pixels and over the intact ones, for the
# degraded input and for the restoration. The first table of each task is the summary: each metric averaged over
# the test images. The second gives the PSNRs of each image with its degraded fraction (the share of its pixels
# that are degraded); there a PSNR of ∞ means the two images are identical on that region. In the summary the
# library's average counts an ∞ as 100 dB in the restorations' PSNRs (the `psnr...` keys) but not in the
# input's (`input_psnr...`), where one identical image makes the mean ∞ (the cell checks this on a one-row
# example).

# %%
def fmt_psnr(v, summary=True):
    if math.isinf(v):
        return "∞" if summary else "∞ (identical)"
    return f"{v:.2f} (∞ counted as 100)" if summary and v >= 100 else f"{v:.2f}"


def table(summary):
    rows = ["| region | PSNR input (dB) | PSNR restored (dB) | SSIM input | SSIM restored |",
            "|---|---:|---:|---:|---:|"]
    for region, suffix in (("whole image", ""), ("degraded pixels", "_degraded"), ("intact pixels", "_intact")):
        rows.append(f"| {region} | {fmt_psnr(summary['input_psnr' + suffix])} | {fmt_psnr(summary['psnr' + suffix])} "
                    f"| {summary['input_ssim' + suffix]:.4f} | {summary['ssim' + suffix]:.4f} |")
    return "\n".join(rows)


def per_image_table(task):
    rows = ["| photograph | degraded fraction | PSNR whole (dB) | PSNR degraded (dB) | PSNR intact (dB) |",
            "|---|---:|---:|---:|---:|"]
    for name, item, r in zip(PHOTOS, tests[task], evals[task]["images"]):
        f = float(degraded_mask(item["x0"], item["mu"]).float().mean())
        for label, p in (("input", "input_"), ("restored", "")):
            rows.append(f"| {name}, {label} | {f:.4f} | " + " | ".join(
                fmt_psnr(r[p + key], summary=False) for key in ("psnr", "psnr_degraded", "psnr_intact")) + " |")
    return "\n".join(rows)


for task in TASKS:
    s = evals[task]["summary"]
    display(Markdown(f"**{task}** (mean over {s['count']} test images; {results[task]['iterations']} training "
                     f"iterations, {SAMPLING_STEPS} sampling steps)\n\n" + table(s)
                     + f"\n\n**{task}, per test image**\n\n" + per_image_table(task)))

half_level = [int(((item["x0"] != item["mu"]).any(0) & ~degraded_mask(item["x0"], item["mu"])[0]).sum())
              for item in tests["inpaint"]]
print("inpainting: hole pixels that count as intact (true value half a level from the grey fill):",
      ", ".join(f"{name} {k}" for name, k in zip(PHOTOS, half_level)))
one_row = aggregate([{"psnr_intact": math.inf, "input_psnr_intact": math.inf}])
print(f"the library's average of one identical image: psnr_intact {one_row['psnr_intact']}, "
      f"input_psnr_intact {one_row['input_psnr_intact']}")
assert one_row["psnr_intact"] == 100 and math.isinf(one_row["input_psnr_intact"])
assert FAST or (half_level[3] > 0 and math.isfinite(evals["inpaint"]["images"][3]["input_psnr_intact"]))

for task in TASKS:
    s = evals[task]["summary"]
    assert all(math.isfinite(s[k]) for k in ("psnr", "ssim", "psnr_degraded", "ssim_degraded", "ssim_intact"))
    assert FAST or s["psnr"] > s["input_psnr"], f"{task}: the restoration should beat the input in full mode"
    assert FAST or s["psnr_degraded"] > s["input_psnr_degraded"]

# %% [markdown]
# PSNR and SSIM do not always agree. Inpainting raises the PSNR of the holes and of the whole image, yet its
# SSIM *drops*, on the holes and on the whole image (printed below): the smooth grey-to-colour fill is closer to
# the truth in squared error than the flat grey, but SSIM rewards local contrast and structure, which a smooth
# fill does not have (SSIM on a region is the mean of the SSIM map there; see the caveat at the end of section 5).
# Deraining raises both.

# %%
for task in TASKS:
    s = evals[task]["summary"]
    print(f"{task:8s}: whole image PSNR {s['input_psnr']:.2f} -> {s['psnr']:.2f} dB, SSIM {s['input_ssim']:.4f} -> "
          f"{s['ssim']:.4f}; degraded pixels PSNR {s['input_psnr_degraded']:.2f} -> {s['psnr_degraded']:.2f} dB, "
          f"SSIM {s['input_ssim_degraded']:.4f} -> {s['ssim_degraded']:.4f}")
s = evals["inpaint"]["summary"]
assert FAST or (s["ssim"] < s["input_ssim"] and s["ssim_degraded"] < s["input_ssim_degraded"])
assert FAST or s["psnr_degraded"] < evals["derain"]["summary"]["psnr_degraded"] - 3  # section 2.3: inpainting is worse
s = evals["derain"]["summary"]
assert FAST or (s["ssim"] > s["input_ssim"] and s["ssim_degraded"] > s["input_ssim_degraded"])

# %% [markdown]
# ## 5. What the intact-pixel numbers mean for RDBM
#
# Notebook 05 showed that along RDBM's *forward* bridge intact pixels never leave `mu`: the noise is
# `Sigma_t * pi * eps` and `pi = 0` there. It is tempting to explain the restoration's intact pixels the same way —
# "the sampler puts no noise there" — but that is wrong for the sampler used here. The reference sampler is
# implicit with `eta = 0`, started at `x_T = mu`: it injects **no noise at all**, on any pixel, and the noise
# factor cancels from its steps (notebook 02c, section 1; docs/theory.md §8, eq. 8.5): for a given network, the
# `eta = 0` trajectory is the same whether the bridge's noise is modulated by the residual or global. The cell
# below checks this on the trained inpainting network and the test crops evaluated above: the same network,
# sampled on RDBM's bridge and on the same bridge with global noise.

# %%
inpaint_model, inpaint_bridge, _ = networks["inpaint"]
global_bridge = inpaint_bridge.with_noise("global")
mu_test = torch.stack([item["mu"] for item in tests["inpaint"]])
same_trajectory = float((restored["inpaint"] - restore(inpaint_model, global_bridge, mu_test,
                                                      steps=SAMPLING_STEPS)).abs().max())
print(f"eta = 0 from mu, {len(mu_test)} test crops of {mu_test.shape[-2]}x{mu_test.shape[-1]}: largest |difference| "
      f"between the restorations with modulated and with global noise = {same_trajectory:.1e}")
assert same_trajectory < 1e-5

# %% [markdown]
# So, as notebook 02c concluded, the modulation acts through **training** only (docs/theory.md §8-9): the
# network learned on RDBM's bridges, where the intact pixels of `x_t` sit exactly at `mu` at every time, and its
# task there is to predict a residual of zero. The intact pixels of a restoration are therefore exactly as good as
# the network's belief that nothing needs fixing there: any error on them is the network's own (a small residual
# it predicts where there is none). Noise at sampling time matters only for the stochastic samplers (`eta > 0`,
# Euler–Maruyama: notebook 08), whose injected noise is proportional to the *predicted* residual.
#
# Reading the tables with this in mind:
#
# * **Inpainting.** The input's intact PSNR is ∞ on three crops and very high on the camera crop (its
#   half-level pixels, section 4): any finite number for the restoration measures damage done to pixels that
#   were already right, or nearly. A high number (well above the whole-image PSNR) means the network leaves them
#   nearly alone; the improvement of the whole image then comes from the holes. On average it does here, but
#   not on the camera crop, whose restoration damages a tripod leg outside the holes (section 3).
# * **Deraining.** The intact pixels are those the rain changed by at most half an 8-bit level, so the input's
#   intact PSNR is high but finite (about 71 dB, printed below). The restoration falls far below that there (to
#   about 33 dB): the network predicts residuals where there is nothing to fix — the border and the bands of the
#   rocket crop above. Its gain is on the degraded pixels only, and the whole-image PSNR hides that it damages the
#   rest. Preservation is learned, and a few minutes of training have not learned it.
#
# The intact-pixel numbers are therefore the place to look for the *preservation* claim of the paper, and the
# degraded-pixel numbers for the *restoration* itself. The whole-image PSNR is no area-weighted average of the
# two in decibels: deraining's input has 19 dB on its degraded pixels and 71 dB on the intact ones, yet 23 dB
# overall, close to the worse region (exercise 06.3 derives how the regions combine; the cell below prints the
# dB average for comparison). Whether residual modulation preserves intact pixels *better* than global noise is
# a comparison of two trained networks, made with intervals in notebook 07 (`rdbm` against `rdbm-global`).
#
# A caveat on SSIM by region: the masked SSIM is the mean of the SSIM *map* over the region, and every value of
# that map comes from a 7x7 window, so "intact" SSIM near a streak or a hole also sees the restored pixels next
# to it. That is why the intact SSIM can rise while the intact PSNR falls (inpainting), and why a smooth fill of
# a hole can raise its PSNR while its SSIM (which rewards texture and contrast) drops.

# %%
for task in TASKS:
    s = evals[task]["summary"]
    print(f"{task:8s}: intact pixels {fmt_psnr(s['input_psnr_intact'])} -> {fmt_psnr(s['psnr_intact'])} dB, "
          f"SSIM {s['input_ssim_intact']:.4f} -> {s['ssim_intact']:.4f}; "
          f"degraded pixels {s['input_psnr_degraded']:.2f} -> {s['psnr_degraded']:.2f} dB")
s = evals["derain"]["summary"]
f = np.mean([float(degraded_mask(item["x0"], item["mu"]).float().mean()) for item in tests["derain"]])
db_average = f * s["input_psnr_degraded"] + (1 - f) * s["input_psnr_intact"]
print(f"deraining input: mean degraded fraction {f:.3f}; the area-weighted average of its two regions' PSNRs "
      f"would be {db_average:.1f} dB, its whole-image PSNR is {s['input_psnr']:.2f} dB")
assert s["input_psnr"] < db_average - 10
assert FAST or s["psnr_intact"] < s["input_psnr_intact"] - 20
s = evals["inpaint"]["summary"]
assert s["input_psnr_intact"] >= 100  # identical outside the holes on at least one crop (inf, not capped)
assert FAST or s["psnr_intact"] > s["psnr"], "outside the holes the restoration should be better than on average"
assert FAST or (s["ssim_intact"] > s["input_ssim_intact"] and s["psnr_intact"] < s["input_psnr_intact"])
print(f"notebook wall time: {(time.perf_counter() - NOTEBOOK_START) / 60:.1f} min")

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/06_training_rdbm_solutions.ipynb`.
#
# **06.1 (implement).** Write the loss the trainer minimises for one batch, without `rdbm_core.losses` or
# `rdbm_core.training`: `rdbm_loss(model, x0, mu, bridge, t, eps)`. Its inputs: clean images `x0` and degraded
# images `mu`, float tensors [B, C, H, W] in [-1, 1]; integer times `t` [B] on the bridge's grid; the standard
# normal noise `eps` [B, C, H, W]; `bridge` an RDBM bridge (`rdbm_core.bridges.rdbm()`). The pieces:
#
# * the residual `pi = x0 - mu` (zero on intact pixels);
# * `bridge.coefficients(t)` returns three float64 tensors of shape [B]: `Theta_t`, `Psi_t` and `Sigma_t`.
#   `Sigma_t` already contains `lam` (`Sigma_t = sqrt(lam v_t)`), so `lam` does not enter separately, and `Psi_t`
#   (the weight of `mu` in the mean, `1 - Theta_t` here) is not needed in the form below. Reshape each to
#   [B, 1, 1, 1] and convert it to the dtype of `x0` so that it broadcasts over channels and pixels;
# * the RDBM marginal `x_t = mu + Theta_t pi + Sigma_t pi eps` (the noise is multiplied by the residual);
# * `model(x_t, mu, t)` returns the prediction `x0_hat` itself (the skip `x0_hat = mu + net(x_t, mu, t)` is
#   inside `model`);
# * the loss of section 1 (L1 on `x0`), averaged over every image, channel and pixel of the batch, returned as a
#   0-d tensor.

# %%
from rdbm_course.exercises import check

answer_06_1 = ...  # a function rdbm_loss(model, x0, mu, bridge, t, eps) -> 0-d tensor
check("06.1", answer_06_1)

# %% [markdown]
# **06.2 (implement).** The tables above report PSNR on the degraded and on the intact pixels. Write
# `psnr_region(pred, target, mask)`, without `rdbm_core.metrics`, for images `pred` and `target` [C, H, W] in
# [-1, 1] and a bool mask [1, H, W]: the PSNR in dB over the masked pixels, all channels, with the library's
# conventions: map each image to [0, 1] by `(x + 1) / 2` and clamp it to [0, 1]; take the mean squared error
# over the masked pixels and all channels; return `10 log10(1 / MSE)` (the peak of a [0, 1] image is 1) as a
# float, and `math.inf` when the MSE is 0 (the region is identical).

# %%
answer_06_2 = ...  # a function psnr_region(pred, target, mask) -> float (dB)
check("06.2", answer_06_2)

# %% [markdown]
# **06.3 (derive).** A restoration has PSNR `psnr_degraded` on a fraction `fraction` of its pixels and
# `psnr_intact` on the rest (either may be `math.inf`, an identical region). What is its whole-image PSNR?
# Write `whole_psnr(psnr_degraded, psnr_intact, fraction)`, then check it against your prediction at the start
# of section 3 (40 dB on 90 % of the pixels and 10 dB on 10 %: nearer 37 dB or 20 dB?) and against the per-image
# tables of section 4: from each image's degraded fraction and its two regional PSNRs it reproduces the image's
# whole-image PSNR up to the rounding of the table. It does *not* reproduce the summary tables exactly: those
# average each PSNR over the four images (counting ∞ as 100 dB), and an average of PSNRs is not the PSNR of the
# average error.

# %%
answer_06_3 = ...  # a function whole_psnr(psnr_degraded, psnr_intact, fraction) -> float (dB)
check("06.3", answer_06_3)
