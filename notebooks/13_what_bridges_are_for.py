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
# # 13 — What bridges are for
#
# **What you will learn.** Why a one-pass regression network wins on PSNR *by construction*; what a generative
# restorer promises instead (restorations that look like real images, several plausible answers, and an honest
# spread); how to measure that promise (a distance between *sets* of images, the spread of several draws and its
# calibration); and what the bridges trained in this project deliver at the budgets a CPU affords.
#
# **Prerequisites.** Notebooks 01 ($\lambda$, the bridge's noise), 02c (the implicit sampler and $\eta$), 03 (the
# bridges of the family), 06 (training a restoration network; the regression baseline), 07 (paired comparisons
# with intervals over training seeds, photographs and windows) and 10 (a learned bridge on a toy whose posterior is
# known).

# %% [markdown]
# **Running it.** Full mode takes two to six minutes with one torch thread, depending on the machine's load (the
# last cell before the exercises prints this run's). `FAST=1` (CI) restores two photographs with two draws each: its
# numbers in sections 1 to 4 mean nothing. The setup cell loads the networks and defines three small helpers.

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display
from matplotlib.lines import Line2D
from tqdm.auto import tqdm

from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.data.files import read_rows
from rdbm_core.evidence.distribution import sliced_wasserstein
from rdbm_core.evidence.diversity import draw_metrics, nominal_coverage
from rdbm_core.evidence.metrics import psnr
from rdbm_core.evidence.perceptual import lpips_st
from rdbm_core.restoration.evaluation import restore
from rdbm_course import pretrained
from rdbm_course.bridges_lesson import (METHOD_COLOURS, METHOD_MARKERS, bootstrap_interval, change_table, gap_change,
                                        gap_forest, interval, ladder_panel, ladder_rows, ladder_table, plane_rows,
                                        seed_ids, seed_label, verdict_of)
from rdbm_course.exercises import check

FAST = os.environ.get("FAST") == "1"
# One torch thread: on a machine shared with other processes, a second thread competes with them. On a machine of
# your own, delete this line to use every core; no result depends on it.
torch.set_num_threads(1)
ROOT = Path.cwd() if (Path.cwd() / "rdbm_core").is_dir() else Path.cwd().parent
RESULTS = ROOT / "experiments" / "results"
NOTEBOOK_START = time.perf_counter()
PHOTOS = 2 if FAST else 12   # benchmark photographs of section 4 (version 2 has 12)
DRAWS = 2 if FAST else 8     # draws per photograph
CROP = 128                   # the centre crop of each photograph, in pixels

NETWORKS = {m: pretrained.load(f"nb13_derain_{m}") for m in ("regression", "rdbm", "goub")}
photos = HeldOutBenchmark("derain", crop=None, version=2)  # whole photographs, rain drawn from a fixed seed


def centre(item):
    """The ``CROP`` x ``CROP`` centre of a benchmark photograph: (clean, rainy)."""
    h, w = item["x0"].shape[-2:]
    rows, cols = slice(h // 2 - CROP // 2, h // 2 + CROP // 2), slice(w // 2 - CROP // 2, w // 2 + CROP // 2)
    return item["x0"][:, rows, cols], item["mu"][:, rows, cols]


def restorations(mu, draws=DRAWS, seed=0):
    """Regression's one pass, RDBM's and GOUB's deterministic restoration (eta = 0) and ``draws`` draws of each
    (eta = 1), every draw from its own generator; 10 sampler steps (the crop is restored whole)."""
    out = {}
    model, path, _ = NETWORKS["regression"]
    out["regression"] = restore(model, path, mu[None])[0]
    for name in ("rdbm", "goub"):
        model, path, _ = NETWORKS[name]
        out[f"{name} eta=0"] = restore(model, path, mu[None], SamplerSpec(eta=0.0))[0]
        out[f"{name} draws"] = torch.stack([
            restore(model, path, mu[None], SamplerSpec(eta=1.0), torch.Generator().manual_seed(1000 * seed + k))[0]
            for k in range(draws)])
    return out


def show(img):
    """An image in [-1, 1] as an H x W x 3 array in [0, 1] for imshow."""
    return ((img.clamp(-1, 1) + 1) / 2).permute(1, 2, 0).numpy()


# %% [markdown]
# ## 1. A picture first
#
# Write $x_0$ for a clean image and $\mu$ for its degraded version, here the same photograph with rain drawn on it.
# The three networks of sections 1 to 4 are shipped with the course (`rdbm_course.pretrained`): the tiny U-Net
# trained for 1000 iterations on deraining (training seed 0), once as a one-pass regression network, once as RDBM
# and once as GOUB. The two bridges differ in their noise scale $\lambda$, the variance scale of the bridge's noise
# (notebook 01): RDBM's released $\lambda = 10^{-4}$, GOUB's $\lambda = (30/255)^2 \approx 0.014$.
#
# A bridge restores by running a sampler from $\mu$; here the implicit sampler of notebook 02c with 10 steps. With
# $\eta = 0$ it is deterministic: one restoration per input. With $\eta = 1$ it injects noise, and each run gives a
# different restoration: a **draw**.
#
# The figure shows one rainy photograph of the held-out benchmark (never trained on): the rainy input, four
# restorations of it (the regression network in one pass, GOUB with $\eta = 0$, one GOUB draw, the mean of
# several GOUB draws) and the truth. The photograph is a typical one: section 4 restores all twelve with the same
# draws, and regression's lead over the mean of GOUB's draws on this one is near the middle of the twelve. The
# second row zooms into the square drawn on the first. The titles give PSNR (higher is better) and ST-LPIPS, a
# distance between each restoration and its truth measured in a trained network's features (section 3; lower is
# better).

# %%
PICTURE = "dogs_window" if not FAST else photos.names[0]
picture_index = photos.names.index(PICTURE)
x0_pic, mu_pic = centre(photos[picture_index])
pic = restorations(mu_pic, draws=DRAWS, seed=picture_index)  # the draws section 4 makes for this photograph
panels = {"rainy input": mu_pic, "regression (one pass)": pic["regression"], "GOUB, η = 0": pic["goub eta=0"],
          "GOUB, one draw (η = 1)": pic["goub draws"][0], f"GOUB, mean of {DRAWS} draws": pic["goub draws"].mean(0),
          "truth": x0_pic}
score = {k: (psnr(v, x0_pic), float(lpips_st(v[None], x0_pic[None]))) for k, v in panels.items()}
zoom = (slice(40, 88), slice(40, 88))  # the central 48 x 48 pixels
fig, axes = plt.subplots(2, 6, figsize=(16, 6.2), layout="constrained")
for ax, zax, (title, img) in zip(axes[0], axes[1], panels.items()):
    ax.imshow(show(img))
    ax.add_patch(plt.Rectangle((zoom[1].start, zoom[0].start), 48, 48, fill=False, color="yellow", lw=1.5))
    extra = "" if title == "truth" else f"\nPSNR {score[title][0]:.2f} dB\nST-LPIPS {score[title][1]:.3f}"
    ax.set_title(title + extra, fontsize=10)
    zax.imshow(show(img[:, zoom[0], zoom[1]]), interpolation="nearest")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
axes[1, 0].set_ylabel("zoom (yellow square)", fontsize=10)
plt.show()

# %% [markdown]
# Regression is ahead of all three GOUB restorations on both numbers: 26.34 dB and ST-LPIPS 0.090, against 25.31 dB
# and 0.127 for $\eta = 0$, 24.97 dB and 0.143 for one draw, 25.29 dB and 0.136 for the mean of 8 draws. The draw
# is not visibly sharper: in the zoom, more rain streaks remain in it than in regression's restoration.
#
# Averaging the draws recovers part of the draw's loss on both numbers and lands within 0.1 dB of the $\eta = 0$
# restoration. The draws disagree partly on leftover rain, which is error, so averaging removes error (section 4
# shows where they disagree).
#
# That is the state of these small networks (one training seed, 1000 iterations). The rest of the notebook explains
# what a bridge *should* buy, how to measure it, and how far these networks are from it.

# %% [markdown]
# ## 2. Why the mean wins PSNR
#
# The **posterior** $p(x_0 \mid \mu)$ weighs every clean image that could have produced $\mu$ by how likely it is.
# PSNR is a decreasing function of the mean squared error (MSE). Among all estimates $\hat x(\mu)$, the one that
# minimises $\mathbb{E}\,\lVert \hat x(\mu) - x_0\rVert^2$ is the posterior mean $\mathbb{E}[x_0 \mid \mu]$, and a
# regression network trained with an L2 loss estimates exactly that.
#
# Two fine points. The course's networks are trained with an L1 loss (the library's default), whose minimiser is the
# posterior median: a central estimate too, not a draw, but the MSE argument is exact only for the mean. And a
# study's PSNR is the average of the images' PSNRs, not the PSNR of the average MSE: "the mean wins" is exact for the
# MSE.
#
# A generative restorer instead returns a draw $X \sim p(x_0 \mid \mu)$: a single plausible clean image. When the
# degradation destroyed information, the posterior is wide, the mean blurs the possibilities together, and a draw
# commits to one of them.
#
# A toy with a known posterior makes this exact. A pixel value is $x_0 = c + \tau$: a level $c = \pm 1$ (each with
# probability 1/2) plus a little texture $\tau \sim \mathcal{N}(0, 0.15^2)$; we observe
# $\mu = x_0 + \mathcal{N}(0, 0.6^2)$ (`mu_toy` in the code). The posterior is a mixture of two Gaussians, computed in
# closed form below. We restore 20,000 pixel values by the posterior mean and by one posterior draw, and measure two
# things: the mean squared error (distortion), and the Wasserstein-1 distance (W1) between the *set* of restorations
# and a fresh set of clean values (perception: does the restored set look like clean data?). For two sets of equal
# size, W1 is the mean gap between their sorted values.

# %%
rng = np.random.default_rng(0)
N, TEXTURE, NOISE = 20_000, 0.15, 0.6
x_clean = rng.choice([-1.0, 1.0], N) + TEXTURE * rng.standard_normal(N)
mu_toy = x_clean + NOISE * rng.standard_normal(N)


def posterior(mu):
    """Weights, means and common variance of the two Gaussian components of p(x0 | mu)."""
    var = 1 / (1 / TEXTURE**2 + 1 / NOISE**2)
    means = np.stack([var * (c / TEXTURE**2 + mu / NOISE**2) for c in (-1.0, 1.0)], -1)
    log_w = np.stack([-(mu - c) ** 2 / (2 * (TEXTURE**2 + NOISE**2)) for c in (-1.0, 1.0)], -1)
    w = np.exp(log_w - log_w.max(-1, keepdims=True))
    return w / w.sum(-1, keepdims=True), means, var


w, means, var = posterior(mu_toy)
post_mean = (w * means).sum(-1)
pick = rng.random(N) < w[:, 1]  # one draw: a component by its weight, then a Gaussian
post_draw = np.where(pick, means[:, 1], means[:, 0]) + np.sqrt(var) * rng.standard_normal(N)
fresh = rng.choice([-1.0, 1.0], N) + TEXTURE * rng.standard_normal(N)  # clean values the estimates never saw


def w1(a, b):
    """Wasserstein-1 distance of two equal-size samples: the mean gap of their sorted values."""
    return float(np.abs(np.sort(a) - np.sort(b)).mean())


toy = {name: {"mse": float(((est - x_clean) ** 2).mean()), "w1": w1(est, fresh)}
       for name, est in (("posterior mean", post_mean), ("one posterior draw", post_draw), ("the noisy input", mu_toy))}
display(Markdown("| restoration | MSE (distortion) | W1 to clean data (perception) |\n|---|---|---|\n" + "\n".join(
    f"| {k} | {v['mse']:.4f} | {v['w1']:.4f} |" for k, v in toy.items())))
fig, ax = plt.subplots(figsize=(8, 3.4), layout="constrained")
bins = np.linspace(-2.2, 2.2, 90)
ax.hist(fresh, bins, density=True, histtype="stepfilled", color="0.85", label="clean values")
ax.hist(post_mean, bins, density=True, histtype="step", lw=1.8, color="black", ls="--", label="posterior means")
ax.hist(post_draw, bins, density=True, histtype="step", lw=1.8, color="#882255", label="posterior draws")
ax.set_xlabel("pixel value (toy units)")
ax.set_ylabel("density")
ax.set_title("The toy: the means lose the texture and fill the gap; the draws look like clean values", fontsize=10)
ax.legend(fontsize=9, loc="upper center")
plt.show()

# %% [markdown]
# The table and the histogram show the two axes pulling apart. A draw's squared error (0.338) is nearly the noisy
# input's (0.365), yet its W1 (0.009) is dozens of times smaller than the input's (0.349), and about ten times
# smaller than the posterior mean's (0.102).
#
# The posterior mean has the smaller error (0.167), but its values are too concentrated at the centres of the two
# modes (the texture is averaged away) and spread thinly over the gap between them, where clean data almost never
# is: the *set* of its restorations does not look like clean data. The draws land on the modes; their set is
# distributed like clean data (W1 near zero), at the price of a larger error for each pixel value. No estimate is
# best on both axes (Blau and Michaeli, 2018, call this the perception–distortion trade-off).
#
# A bridge sampler with noise ($\eta = 1$) is meant to return draws. The deterministic sampler ($\eta = 0$) returns
# one restoration per input, so it cannot spread over the posterior as draws do; section 4 measures where its
# restorations land.

# %% [markdown]
# ## 3. Measuring the perception axis
#
# Pixels are not independent, so the toy's W1 on single values does not carry over to images. Two measures used for
# images, both in `rdbm_core.evidence`:
#
# * **ST-LPIPS** (`perceptual.lpips_st`, Ghildyal and Liu, 2022): the distance between deep features of the
#   restoration and of its own truth, from a network trained to agree with human judgements of image similarity, in
#   a variant that tolerates small shifts. Lower is better.
# * **SWD**, the sliced Wasserstein distance (`distribution.sliced_wasserstein`, Karras et al., 2018), compares two
#   *sets* of images through their small patches. Each image is split into frequency bands, each band half the size
#   of the one before (a Laplacian pyramid: the image minus a blurred copy of itself, then the same again on the
#   blurred copy shrunk by 2). From every band of every image it takes 32 patches of 7 × 7 pixels. It projects each
#   patch on a random unit direction, which turns each set of patches into a set of numbers, and takes the W1 of the
#   two sets of numbers (the mean sorted-value gap of section 2's `w1`). The average over 128 directions and over the
#   bands is the SWD, in units of $10^{-3}$ as Karras et al. report it. Lower is better.
#
# **Their roles in this notebook.** ST-LPIPS compares each restoration with its own truth, as PSNR does: it is a
# *full-reference distortion*, measured in a feature space instead of in pixels (papers often report it as the
# "perceptual" score). SWD compares sets, as the toy's W1 did, but with one difference: the toy compared the
# restorations with a fresh set of clean values, while the studies of sections 5 and 6 compare the restorations
# with the truths of the same images, patch for patch at the same positions. This notebook therefore calls it the
# **set distance to the paired truths**. A restorer that is closer pixel by pixel is also closer as a set, so this
# distance also rewards low distortion.
#
# A test: the 12 photographs' centre crops, once blurred (a Gaussian of standard deviation 1.2 pixels) and once with
# added Gaussian noise, the noise level chosen so that both sets have the same PSNR. The table scores each set
# against its paired truths, and also against an unpaired clean set: the four 128 × 128 corner crops of the same
# photographs (none overlaps the centre crop). First one of the photographs (section 1's), then the scores of the
# sets.

# %%
crops = [centre(photos[i]) for i in range(PHOTOS)]
truths = torch.stack([c[0] for c in crops])
crop_names = [f"{photos.names[i]}@centre" for i in range(PHOTOS)]  # photograph@window: one crop per photograph


def blur(x, sigma=1.2):
    """A separable Gaussian blur of standard deviation ``sigma`` pixels (reflecting borders)."""
    r = int(3 * sigma) + 1
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-t**2 / (2 * sigma**2))
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)


def corners(x0):
    """The four ``CROP`` x ``CROP`` corner crops of a clean photograph (an unpaired clean set)."""
    h, w = x0.shape[-2:]
    return [x0[:, top:top + CROP, left:left + CROP] for top in (0, h - CROP) for left in (0, w - CROP)]


blurred = blur(truths)
target = np.mean([psnr(b, x) for b, x in zip(blurred, truths)])
low, high = 0.0, 0.5  # bisect the noise level to the blur's PSNR
for _ in range(30):
    level = (low + high) / 2
    noisy = (truths + level * torch.randn(truths.shape, generator=torch.Generator().manual_seed(0))).clamp(-1, 1)
    low, high = (level, high) if np.mean([psnr(n, x) for n, x in zip(noisy, truths)]) > target else (low, level)
print(f"noise standard deviation that matches the blur's PSNR: {level / 2:.4f} (in [0, 1] units)")
fig, axes = plt.subplots(1, 3, figsize=(11, 4.2), layout="constrained")
for ax, (title, img) in zip(axes, (("truth", truths[picture_index]),
                                   ("blurred (1.2 pixels)", blurred[picture_index]),
                                   (f"noisy (std {level / 2:.4f})", noisy[picture_index]))):
    ax.imshow(show(img))
    ax.set_title(title if title == "truth" else f"{title}\nPSNR of this crop {psnr(img, truths[picture_index]):.2f} dB",
                 fontsize=10)
    ax.set_axis_off()
plt.show()
unpaired_clean = torch.stack([c for i in range(PHOTOS) for c in corners(photos[i]["x0"])])  # 4 per photograph;
# each centre set is repeated 4 times below to match its size (a repeated set is the same distribution)
equal = {name: {"psnr": float(np.mean([psnr(a, x) for a, x in zip(imgs, truths)])),
                "lpips": float(lpips_st(imgs, truths).mean()),
                "swd": sliced_wasserstein(imgs, truths, crop_names)["swd"],
                "swd unpaired": sliced_wasserstein(imgs.repeat_interleave(4, 0), unpaired_clean, bootstrap=0)["swd"]}
         for name, imgs in (("blurred", blurred), ("noisy", noisy))}
clean_to_corners = sliced_wasserstein(truths.repeat_interleave(4, 0), unpaired_clean, bootstrap=0)["swd"]
display(Markdown(
    f"The {PHOTOS} centre crops, each set against its truths (PSNR, ST-LPIPS, SWD to the paired truths) and against "
    "the corner crops of the same photographs (SWD unpaired):\n\n"
    "| set | PSNR (dB) | ST-LPIPS | SWD to the paired truths (×10⁻³) | SWD to the corner crops (×10⁻³) |\n"
    "|---|---|---|---|---|\n" + "\n".join(
        f"| {k} | {v['psnr']:.2f} | {v['lpips']:.3f} | {v['swd']:.1f} | {v['swd unpaired']:.1f} |"
        for k, v in equal.items())
    + f"\n| the clean crops themselves | — | 0 | 0 | {clean_to_corners:.1f} |"))

# %% [markdown]
# At equal PSNR (28.88 dB) both paired measures call the blurred set worse than the noisy one: ST-LPIPS 0.262
# against 0.141, SWD 185.3 against 85.6, here for one blur width and one noise draw. The blur removes texture that
# every real photograph has (compare the fur in the two right panels). This is the direction that matters for
# restoration, because averaging (the posterior mean, or the mean of several draws) removes what the draws disagree
# on. PSNR cannot tell the two sets apart.
#
# Against the unpaired corner crops the picture changes. The clean centre crops themselves are 265.7 away from
# them, further than either degraded set is from its paired truths, and the blurred set (261.8) is no further than
# the clean one, the noisy set (336.1) further. With a dozen photographs, two clean sets of different content are
# further apart than either degradation moves a set, so the unpaired distance does not rank the clean set first.
# That is why the studies measure SWD against the paired truths, and why its gaps below are read as a set distance
# to the paired truths, not as section 2's perception axis in pure form.

# %% [markdown]
# ## 4. Several draws: spread and calibration
#
# A sampler with noise gives a different restoration each run. Notation for this section: a *pixel value* is one
# colour channel of one pixel, and every error and spread is in $[0, 1]$ units (the networks work in $[-1, 1]$; the
# printouts convert). $K$ draws of one item are $X_1, \dots, X_K$, their mean is $\bar X$, and their **spread** $S$
# is the standard deviation of the $K$ draws of each pixel value (normalised by $K - 1$). $\langle S \rangle$ is its
# average over the pixel values of a crop (or of several crops, as stated).
#
# If the draws were exact posterior draws, $S$ would be an honest error bar: where the posterior is wide, the draws
# disagree and the error is large. The check is **calibration**: the fraction of pixel values whose error
# $|\bar X - x_0|$ lies within $\pm 2S$ should match what exact posterior draws give.
#
# For exact draws from a Gaussian posterior that fraction depends on $K$ only, not on the posterior's width: the
# ratio $(\bar X - x_0)/S$, multiplied by a constant that depends on $K$ alone, follows Student's t distribution
# with $K - 1$ degrees of freedom. `diversity.nominal_coverage(K)` evaluates the resulting probability (the worked
# solution of exercise 13.1 derives the constant from that exercise's answer). The cell checks it against a
# simulation of exact draws: $K + 1$ independent values from one Gaussian, the first $K$ the draws, the last the
# truth.

# %%
nominal = nominal_coverage(DRAWS)
sim = np.random.default_rng(1).standard_normal((200_000, DRAWS + 1))  # K draws and the truth, per pixel value
sim_draws, sim_truth = sim[:, :DRAWS], sim[:, DRAWS]
simulated = float((np.abs(sim_draws.mean(1) - sim_truth) <= 2 * sim_draws.std(1, ddof=1)).mean())
print(f"K = {DRAWS}: nominal_coverage {nominal:.3f}; fraction within 2 S for 200,000 simulated pixel values of exact "
      f"draws {simulated:.3f}")

# %% [markdown]
# For $K = 8$ the fraction is 0.899 (the simulation gives 0.898): lower than the 0.954 of two standard deviations of
# a Gaussian, because $S$ is estimated from only $K$ draws and $\bar X$ is itself uncertain. If the measured
# fraction falls far below it, the draws are over-confident: their spread is smaller than their error.
#
# Each of the 12 benchmark photographs' centre crops, restored by the three networks (this takes a minute or two):

# %%
rows, examples = [], {}
for i, (x0, mu) in enumerate(tqdm(crops, desc="photographs")):
    out = restorations(mu, seed=i)
    row = {"photo": photos.names[i], "input": psnr(mu, x0), "regression": psnr(out["regression"], x0)}
    for name in ("rdbm", "goub"):
        d = draw_metrics(out[f"{name} draws"], x0)
        err = float((((out[f"{name} draws"].mean(0) + 1) / 2) - ((x0 + 1) / 2)).abs().mean())
        row.update({f"{name} eta=0": psnr(out[f"{name} eta=0"], x0), f"{name} draw": d["psnr_draws"],
                    f"{name} err": err, f"{name} mean": d["psnr_mean_of_draws"], f"{name} spread": d["spread"],
                    f"{name} coverage": d["coverage_2sd"], f"{name} corr": d["spread_error_corr"]})
    rows.append(row)
    examples[photos.names[i]] = (x0, mu, out)
columns = {"input": "rainy input", "regression": "regression"}
for name, label in (("rdbm", "RDBM"), ("goub", "GOUB")):
    columns.update({f"{name} eta=0": f"{label} η = 0", f"{name} draw": f"{label} one draw (average of {DRAWS})",
                    f"{name} mean": f"{label} mean of {DRAWS} draws"})
average = {c: float(np.mean([r[c] for r in rows])) for c in columns}
display(Markdown(
    "PSNR (dB) of each restoration of the 128 × 128 centre crops; *one draw*: a draw's PSNR, averaged over the "
    f"{DRAWS} draws; *mean of {DRAWS} draws*: the PSNR of their mean.\n\n| photograph | "
    + " | ".join(columns.values()) + " |\n|" + "---|" * (len(columns) + 1) + "\n" + "\n".join(
        f"| {r['photo']} | " + " | ".join(f"{r[c]:.2f}" for c in columns) + " |" for r in rows)
    + f"\n| **average of {len(rows)} photographs** | " + " | ".join(f"**{average[c]:.2f}**" for c in columns) + " |"))
below = [r["photo"] for r in rows if r["rdbm eta=0"] < r["rdbm draw"]]
print(f"photographs on which the η = 0 restoration has a lower PSNR than the average draw: GOUB "
      f"{sum(r['goub eta=0'] < r['goub draw'] for r in rows)} of {len(rows)}, RDBM {len(below)} of {len(rows)}")

# %% [markdown]
# Where does the deterministic sampler ($\eta = 0$) land? For GOUB, on the central side: its $\eta = 0$ restoration
# has a higher PSNR than its average draw on every photograph (0 of 12 below, printed; 26.51 against 26.10 dB on
# average), as a central estimate should. For RDBM the table says nothing: RDBM's $\eta = 1$ draws hardly differ
# from one another (below), so its $\eta = 1$ sampler is nearly deterministic too, but it is a different function
# of $\mu$ from its $\eta = 0$ sampler (notebook 02c), and which of the two scores higher changes from photograph to
# photograph (the $\eta = 0$ restoration is below the average draw on 5 of the 12).
#
# Now the spread and its calibration, over all twelve crops:

# %%
spread = {name: float(np.mean([r[f"{name} spread"] for r in rows])) for name in ("rdbm", "goub")}
error = {name: float(np.mean([r[f"{name} err"] for r in rows])) for name in ("rdbm", "goub")}
coverage = {name: float(np.mean([r[f"{name} coverage"] for r in rows])) for name in ("rdbm", "goub")}
corr = {name: float(np.nanmean([r[f"{name} corr"] for r in rows])) for name in ("rdbm", "goub")}
corr_gap = bootstrap_interval([r["goub corr"] - r["rdbm corr"] for r in rows])
gain = {name: average[f"{name} mean"] - average[f"{name} draw"] for name in ("rdbm", "goub")}
lead = {r["photo"]: r["regression"] - r["goub mean"] for r in rows}
print(f"<S> (over the pixel values of the {len(rows)} crops): RDBM {spread['rdbm']:.5f}, GOUB {spread['goub']:.5f}; "
      f"GOUB's is {spread['goub'] / spread['rdbm']:.0f} times RDBM's")
print(f"mean |X̄ - x0| over the same pixel values: RDBM {error['rdbm']:.5f}, GOUB {error['goub']:.5f}")
print(f"fraction of pixel values with |X̄ - x0| <= 2 S: RDBM {coverage['rdbm']:.3f}, GOUB {coverage['goub']:.3f}; "
      f"exact posterior draws (Gaussian posterior, K = {DRAWS}): {nominal:.3f}")
print(f"correlation of S with |X̄ - x0| over the pixel values of a crop, averaged over the crops: RDBM "
      f"{corr['rdbm']:.2f}, GOUB {corr['goub']:.2f}; GOUB - RDBM {interval(*corr_gap, 2)} "
      f"(95 % bootstrap interval over the {len(rows)} photographs)")
print(f"the mean of {DRAWS} draws gains {gain['rdbm']:+.2f} dB over one draw for RDBM, {gain['goub']:+.2f} dB for GOUB")
print(f"regression's lead over the mean of GOUB's draws: {lead[PICTURE]:.2f} dB on {PICTURE} (section 1), "
      f"median {np.median(list(lead.values())):.2f} dB over the {len(rows)} photographs")

# %% [markdown]
# Four findings for these networks (one training seed each, 12 crops), each checked in the Checks cell at the end:
#
# * **RDBM's draws hardly differ.** Its $\langle S \rangle$ is 0.00044, 15 times smaller than GOUB's 0.00661, and
#   the mean of its 8 draws gains +0.00 dB over one draw. That is consistent with its small $\lambda = 10^{-4}$
#   (this notebook does not vary $\lambda$). This RDBM network is in practice a deterministic restorer.
# * **GOUB's draws differ, but not enough.** A fraction 0.296 of its pixel values have their error within $2S$,
#   against 0.899 for exact draws (RDBM: 0.017). The measured fraction falls far below the nominal one: the draws
#   are over-confident, and their spread is not yet an error bar.
# * **Both spreads point at the errors, moderately.** The correlation of $S$ with the error $|\bar X - x_0|$ over a
#   crop's pixel values is 0.46 for RDBM and 0.51 for GOUB, although GOUB's spread is much larger. Their difference
#   over the twelve photographs, +0.05 [−0.03, +0.13], is not established. One training seed each, so this says
#   nothing about other seeds.
# * **Averaging GOUB's draws gains a few tenths of a dB over one draw** (+0.27 dB). Averaging removes only the part
#   of a draw's error on which the draws disagree, and for GOUB that part is small: its $\langle S \rangle$ of
#   0.0066 is about a quarter of the error of the mean of its draws, 0.025 (both printed above). This is the
#   over-confidence of the second finding, seen on PSNR. Exercise 13.1 asks how many dB the mean of $K$ exact
#   posterior draws loses against the posterior mean; the gain of 8 exact draws over one is the difference of its
#   values at $K = 1$ and $K = 8$, to set beside the +0.27 dB measured here. (That comparison is approximate: the
#   table averages PSNRs of images, while 13.1 compares expected squared errors.)
#
# The pictures of section 1's photograph: the spread of GOUB's 8 draws and the error of their mean, on one colour
# scale (errors above the scale's top, the 99th percentile of the error, are drawn in its top colour), and the
# spread again on its own scale. Both maps are averaged over the three channels of each pixel.

# %%
shown = PICTURE  # section 1's photograph
x0, mu, out = examples[shown]
goub = out["goub draws"]
spread_values = ((goub + 1) / 2).std(0, correction=1)  # [C, H, W]: S of each pixel value
error_values = (((goub.mean(0) + 1) / 2) - ((x0 + 1) / 2)).abs()
spread_map, error_map = spread_values.mean(0), error_values.mean(0)  # averaged over the channels, for the pictures
top = float(torch.quantile(error_map.flatten(), 0.99))
fig, axes = plt.subplots(1, 4, figsize=(16, 4.4), layout="constrained")
axes[0].imshow(show(mu))
axes[0].set_title(f"rainy input ({shown})", fontsize=10)
for ax, (title, m) in zip(axes[1:3], ((f"spread $S$ of the {DRAWS} GOUB draws", spread_map),
                                      (f"error of the mean of the {DRAWS} GOUB draws,\n" + r"$|\bar X - x_0|$",
                                       error_map))):
    im = ax.imshow(m.numpy(), cmap="magma", vmin=0, vmax=top)
    ax.set_title(title + " (common scale)", fontsize=10)
fig.colorbar(im, ax=axes[1:3], shrink=0.8, extend="max",
             label=f"[0, 1] units, mean over channels;\nclipped at the error's 99th percentile ({top:.2f})")
own = axes[3].imshow(spread_map.numpy(), cmap="magma", vmin=0)
axes[3].set_title(f"spread $S$ of the {DRAWS} GOUB draws\n(its own scale)", fontsize=10)
fig.colorbar(own, ax=axes[3], shrink=0.8, label="[0, 1] units, mean over channels")
for ax in axes:
    ax.set_axis_off()
plt.show()
inflation = float(torch.quantile(error_values.flatten() / (2 * spread_values.flatten()).clamp_min(1e-12), nominal))
print(f"{shown}: <S> {float(spread_values.mean()):.4f}, mean |X̄ - x0| {float(error_values.mean()):.4f}; "
      f"S would have to be {inflation:.1f} times larger for {nominal:.3f} of the pixel values to lie within 2 S")

# %% [markdown]
# The error is largely streak-shaped (leftover rain), with some errors along edges (the fence). The spread lies
# partly along the streaks and partly on the dog's fur, and on the common scale it is far smaller than the error:
# the over-confidence of the second finding, pixel by pixel. On this photograph $S$ would have to be 16.4 times
# larger for 0.899 of the pixel values to lie within $2S$ (printed).

# %% [markdown]
# ## 5. The bridge family on both axes: the bridge comparison
#
# Section 4 looked at one training seed of two bridges. The project's bridge comparison
# (`python -m experiments bridge_comparison`) trains every bridge of the family and the regression network with one
# budget (the tiny U-Net, 250 training iterations) for several training seeds, and restores version 2 of the
# held-out benchmark: 12 windows of each of 12 photographs, 144 items per seed. Its analysis
# (`python -m experiments plane`) writes each method's paired gap to regression (method minus regression, on the
# same items and seeds) to `experiments/results/plane/gaps.csv`; this section reads that file as committed.
#
# The methods, all sampled with the implicit sampler, $\eta = 0$, 10 steps, are those of notebook 03: `rdbm` (RDBM,
# residual-modulated noise), `rdbm-global` (the same bridge with global, unmodulated noise), `goub` (the OU bridge
# pinned at $\mu$, on the time grid that IR-SDE uses), `irsde` (IR-SDE: the OU process itself, not pinned, so it
# ends only near $\mu$), and three Brownian-limit bridges: `bbdm`, `ddbm-ve`, `i2sb`.
#
# The intervals are 95 %. For PSNR and ST-LPIPS the bootstrap resamples training seeds, then photographs, then
# windows. SWD is one number per training seed for the whole set of restorations, so its gap is paired by seed and
# its interval is Student's t over the seeds' differences. A difference is **established** when its 95 % interval
# excludes 0; a gap gets a verdict (regression better, the method better, or no difference established) only with
# at least three seeds.

# %%
plane_gaps = read_rows(RESULTS / "plane" / "gaps.csv")
comparison_items = read_rows(RESULTS / "bridge_comparison" / "items.csv")
derain = plane_rows(plane_gaps, "derain")  # {method: {metric: gap row}}, eta = 0
derain_seeds = {method: seed_ids(comparison_items, by["psnr"]) for method, by in derain.items()}
other_seeds = {task: sorted({seed_label(seed_ids(comparison_items, by["psnr"]))
                             for by in plane_rows(plane_gaps, task).values()})
               for task in ("inpaint", "lowlight")}
stochastic = {g["a"]: int(g["seeds"]) for g in plane_gaps
              if g["task"] == "derain" and not g["a"].endswith("-eta0") and g["metric"] == "psnr"}
print("deraining, η = 0: the training seeds behind each gap (recomputed from items.csv):",
      ", ".join(sorted({seed_label(s) for s in derain_seeds.values()})))
print("deraining, the other samplings (eta1x8: η = 1, 8 draws per item; -mean: their mean; em100: Euler–Maruyama, "
      "100 steps): " + ", ".join(f"{a} {n} seed{'s' * (n != 1)}" for a, n in stochastic.items()))
print("in the same snapshot, inpainting: seeds " + " / ".join(other_seeds["inpaint"]) + "; low light: seeds "
      + " / ".join(other_seeds["lowlight"]))
fig, axes = plt.subplots(1, 3, figsize=(14, 4), sharey=True, layout="constrained")
gap_forest(axes, derain)
for ax, title in zip(axes, ("distortion: PSNR", "feature-space distortion: ST-LPIPS",
                            "set distance to the paired truths: SWD")):
    ax.set_title(title, fontsize=10)
fig.suptitle("Deraining, tiny U-Net, 250 iterations, η = 0: each method minus regression, paired on training seeds "
             f"{seed_label(next(iter(derain_seeds.values())))}, with 95 % intervals.\n"
             "Filled: a difference established (the interval excludes 0); hollow: none established", fontsize=10)
plt.show()

# %% [markdown]
# On deraining every bridge is behind regression on PSNR and on ST-LPIPS, each gap established (all points filled,
# left of 0 on PSNR, right of 0 on ST-LPIPS). On SWD, regression's restorations are established closer to the
# paired truths as a set than those of RDBM and RDBM with global noise; for the other five methods no difference is
# established. No method is established ahead of regression on any axis.
#
# So no bridge's *deterministic* restoration ($\eta = 0$) shows the perception gain of section 2 at this budget, and
# every one pays on distortion. (The set distance to the paired truths also rewards low distortion, section 3, so a
# method far behind on PSNR starts at a disadvantage on SWD too.)
#
# This tests the sampler that section 2 says cannot spread over the posterior; the gain is promised for draws. In
# this study only RDBM (with either noise) was also sampled with $\eta = 1$ and with Euler–Maruyama, on one training
# seed (printed): too few for a verdict, so those rows are not shown. Section 6 tests the draws of RDBM and GOUB
# with at least three seeds.
#
# The study also runs inpainting and low-light enhancement. In this snapshot their gaps rest on the two seeds
# printed above, too few for a verdict, so they are not shown either.

# %% [markdown]
# ## 6. Across training budgets
#
# Is that only the budget? The budget ladder (`python -m experiments budget_ladder`) trains regression, RDBM and
# GOUB on deraining and inpainting at rising numbers of training iterations (the tiny U-Net), and measures each
# bridge's gap to the regression network of the same budget, with the intervals of section 5. It draws its training
# crops from a larger pool than the bridge comparison (4096 crops against 256), so its gaps at 250 iterations differ
# from section 5's. Section 4's three networks are this ladder's 1000-iteration rung, training seed 0.
#
# Every bridge is sampled with $\eta = 0$. At 250 iterations the ladder also samples each bridge with $\eta = 1$
# (4 draws per item); the scores of the first draw are those of *one $\eta = 1$ draw* per item, section 2's draws.
#
# The figure shows the PSNR gap of RDBM and GOUB ($\eta = 0$) at each committed rung; the table below it gives all
# three gaps, for both samplers where they rest on at least three seeds, with the training seeds behind them. The
# colours are those of section 5.

# %%
ladder_gaps = read_rows(RESULTS / "budget_ladder" / "gaps.csv")
ladder_items = read_rows(RESULTS / "budget_ladder" / "items.csv")
ladder = ladder_rows(ladder_gaps)  # {(task, iterations, method, metric): gap row}, tiny U-Net, eta = 0
draws_250 = ladder_rows(ladder_gaps, sampling="eta1")  # the same for one eta = 1 draw per item
LADDER_TASKS = ("derain", "inpaint")
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True, layout="constrained")
for ax, task in zip(axes, LADDER_TASKS):
    ladder_panel(ax, ladder, task)
    ax.set_title({"derain": "deraining", "inpaint": "inpainting"}[task], fontsize=10)
handles = [Line2D([], [], color=METHOD_COLOURS[m], marker=METHOD_MARKERS[m], ls="-", label=f"{m} (η = 0)")
           for m in ("rdbm", "goub")]
handles += [Line2D([], [], color="0.3", marker="o", ls="", label="difference established"),
            Line2D([], [], color="0.3", marker="o", mfc="white", ls="", label="none established")]
fig.legend(handles=handles, loc="outside right center", fontsize=9, frameon=False)
fig.suptitle("The budget ladder: bridge minus regression on PSNR, 95 % intervals (points offset sideways; "
             "a rung with fewer training seeds than the others says so under its tick)", fontsize=10)
plt.show()
display(Markdown("Each gap is bridge minus regression with its 95 % interval; **R**: regression established better, "
                 "**B**: the bridge established better, no mark: no difference established.\n\n"
                 + ladder_table(ladder_gaps, ladder_items)))

# %% [markdown]
# Two intervals that overlap, or do not, are not a test of whether a gap *changed* between two budgets. The test is
# the paired change: on the training seeds both rungs' gaps rest on and the same 144 items, the gap at the later
# budget minus the gap at the earlier one, with the same hierarchical interval (seeds, photographs, windows).
# Negative means the bridge falls further behind on PSNR.

# %%
changes = {(task, method, before, after): gap_change(ladder_items, ladder[(task, before, method, "psnr")],
                                                     ladder[(task, after, method, "psnr")])
           for task in LADDER_TASKS for method in ("rdbm", "goub")
           for before, after in ((250, 1000), (1000, 4000), (250, 4000))}
display(Markdown("Change of the PSNR gap (dB) between two budgets, later minus earlier, paired on seeds and items, "
                 "with its 95 % interval; **wider**: the bridge established further behind at the later budget.\n\n"
                 + change_table(changes)))
for (task, method, before, after), c in changes.items():
    if len(c["seeds"]) < 5 and c["verdict"] != "none":
        print(f"{task}, {method}, {before} → {after} rests on {len(c['seeds'])} seeds: Student-t interval on their "
              f"mean changes {interval(c['mean'], c['t_low'], c['t_high'], 2)}")

# %% [markdown]
# What the ladder shows:
#
# * **RDBM falls further behind regression between 250 and 1000 iterations, on both tasks.** The paired change of
#   its PSNR gap is −1.11 dB [−1.98, −0.27] on deraining and −1.06 dB [−2.11, −0.13] on inpainting, five seeds
#   each. From 1000 to 4000 iterations no further change is established on either task. Over the whole ladder, 250
#   → 4000, the deraining change is −1.29 dB [−2.06, −0.62] (five seeds). The inpainting change, −2.53 dB
#   [−4.60, −0.06], rests on the three seeds of the top rung, and the Student-t interval on those seeds' mean
#   changes, [−8.15, +3.09] (printed), contains 0: suggestive, not established.
# * **GOUB's gap does not measurably change.** No change between any two rungs is established, on either task
#   (deraining 250 → 4000: +0.38 dB [−0.20, +0.91]). Regression stays ahead of GOUB on deraining at every rung; on
#   inpainting no PSNR difference is established at any rung.
# * **The draws show no perception gain either.** At 250 iterations (at least three seeds each, listed in the
#   table), regression is established ahead of one $\eta = 1$ draw of either bridge on deraining, on all three axes,
#   SWD included (RDBM +42.5 [+10.7, +74.4], GOUB +21.9 [+5.6, +38.3]). On inpainting no PSNR or SWD difference is
#   established, and regression is ahead on ST-LPIPS. Section 3's caveat applies: the set distance to the paired
#   truths also rewards low distortion, on which the draws are behind.
# * **No bridge is established better than regression**, on any of the three axes, at any rung, with either sampler.
#
# This is in line with section 4, whose networks are the ladder's 1000-iteration rung: there too regression was
# ahead of GOUB's $\eta = 0$ restoration by more than a decibel on the twelve crops (28.11 against 26.51 dB).
#
# **What a bridge is for, then.** Not a higher PSNR: the posterior mean owns that axis. A bridge sampled with real
# noise should return several different restorations whose set looks like clean images (section 2's perception
# axis) and whose spread is an honest error bar. The networks a CPU trains in minutes are not shown to deliver
# either. RDBM's draws hardly differ and GOUB's are over-confident (section 4). On the set distance to the paired
# truths, regression is either established closer or no difference is established, for deterministic restorations
# and for single draws alike. The perception axis in its pure form needs a distance to an unpaired clean set, and
# section 3 showed that with a dozen photographs the content of the crops dominates that distance. Measuring both
# axes, with intervals over training seeds, photographs and windows, and with a reference set large enough for the
# unpaired distance, is how one will tell when that changes.

# %%
print(f"this run: {time.perf_counter() - NOTEBOOK_START:.0f} s with one torch thread")

# %% [markdown]
# ## Checks
#
# The cell below (collapsed; expand it to read) asserts every statement of the prose above against the outputs
# of this run and the committed result files: the notebook fails to run if one of them no longer holds. The
# statements about twelve photographs are checked in full mode only.

# %% jupyter={"source_hidden": true}
def shows(value, text, fmt):
    """The prose quotes ``text``: the value as this run prints it (full mode)."""
    assert FAST or format(value, fmt) == text, (format(value, fmt), text)


# Section 1: the comparisons the text reads off the titles
reg, eta0_pic = score["regression (one pass)"], score["GOUB, η = 0"]
draw1, mean_pic = score["GOUB, one draw (η = 1)"], score[f"GOUB, mean of {DRAWS} draws"]
assert reg[0] > draw1[0] and reg[1] < draw1[1]  # regression ahead of the draw on both numbers
assert mean_pic[0] > draw1[0] and mean_pic[1] < draw1[1]  # averaging recovers part of the loss
if not FAST:
    assert reg[0] > max(eta0_pic[0], mean_pic[0]) and reg[1] < min(eta0_pic[1], mean_pic[1])  # ahead of all three
    assert eta0_pic[0] > draw1[0] and abs(eta0_pic[0] - mean_pic[0]) < 0.1  # eta = 0 and the mean: within 0.1 dB
    assert sorted(lead.values())[3] <= lead[PICTURE] <= sorted(lead.values())[8]  # the photograph is typical
for value, text in ((reg[0], "26.34"), (eta0_pic[0], "25.31"), (draw1[0], "24.97"), (mean_pic[0], "25.29")):
    shows(value, text, ".2f")
for value, text in ((reg[1], "0.090"), (eta0_pic[1], "0.127"), (draw1[1], "0.143"), (mean_pic[1], "0.136")):
    shows(value, text, ".3f")
# Section 2: the toy's numbers as the text reads them
assert toy["posterior mean"]["mse"] < toy["one posterior draw"]["mse"]   # the mean wins distortion
assert toy["one posterior draw"]["w1"] < toy["posterior mean"]["w1"] / 3  # the draws win perception
assert toy["one posterior draw"]["mse"] > 0.8 * toy["the noisy input"]["mse"]  # nearly the input's error
assert toy["one posterior draw"]["w1"] < toy["the noisy input"]["w1"] / 20  # dozens of times smaller
assert 5 < toy["posterior mean"]["w1"] / toy["one posterior draw"]["w1"] < 20  # about ten times smaller
for name, key, text in (("one posterior draw", "mse", "0.338"), ("the noisy input", "mse", "0.365"),
                        ("one posterior draw", "w1", "0.009"), ("the noisy input", "w1", "0.349"),
                        ("posterior mean", "w1", "0.102"), ("posterior mean", "mse", "0.167")):
    assert f"{toy[name][key]:.3f}" == text  # the toy does not depend on FAST
# Section 3: equal PSNR, both paired measures prefer the noisy set; the unpaired distance does not rank the clean set
assert abs(equal["blurred"]["psnr"] - equal["noisy"]["psnr"]) < 0.01
assert equal["blurred"]["lpips"] > equal["noisy"]["lpips"] and equal["blurred"]["swd"] > equal["noisy"]["swd"]
if not FAST:
    assert clean_to_corners > max(v["swd"] for v in equal.values())  # further than either degraded set is paired
    assert equal["blurred"]["swd unpaired"] <= clean_to_corners < equal["noisy"]["swd unpaired"]
for value, text, fmt in ((equal["blurred"]["psnr"], "28.88", ".2f"), (equal["blurred"]["lpips"], "0.262", ".3f"),
                         (equal["noisy"]["lpips"], "0.141", ".3f"), (equal["blurred"]["swd"], "185.3", ".1f"),
                         (equal["noisy"]["swd"], "85.6", ".1f"), (clean_to_corners, "265.7", ".1f"),
                         (equal["blurred"]["swd unpaired"], "261.8", ".1f"),
                         (equal["noisy"]["swd unpaired"], "336.1", ".1f")):
    shows(value, text, fmt)
# Section 4: the nominal coverage, the table and the printouts
assert abs(simulated - nominal) < 0.005
assert all(r["goub eta=0"] > r["goub draw"] for r in rows)  # GOUB's eta = 0 above its draws on every photograph
assert spread["goub"] > (3 if FAST else 10) * spread["rdbm"] and abs(gain["rdbm"]) < 0.05  # RDBM's draws hardly differ
assert coverage["goub"] < nominal - 0.3 and coverage["rdbm"] < coverage["goub"]  # over-confident
assert 0.2 < corr["rdbm"] < 0.8 and 0.2 < corr["goub"] < 0.8  # moderately
assert inflation > 2  # the spread map far below the error map
if not FAST:
    assert 0 < len(below) < len(rows)  # RDBM: eta = 0 above its draws on some photographs, below on others
    assert 0 < gain["goub"] < 1.0  # a few tenths of a dB
    assert average["regression"] - average["goub eta=0"] > 1  # section 6 recalls it
    assert corr_gap[1] < 0 < corr_gap[2]  # GOUB - RDBM correlation: no difference established
    assert 0.2 < spread["goub"] / error["goub"] < 0.33  # about a quarter
for value, text, fmt in ((simulated, "0.898", ".3f"), (nominal, "0.899", ".3f"),
                         (average["goub eta=0"], "26.51", ".2f"), (average["goub draw"], "26.10", ".2f"),
                         (len(below), "5", "d"),
                         (spread["rdbm"], "0.00044", ".5f"), (spread["goub"], "0.00661", ".5f"),
                         (spread["goub"] / spread["rdbm"], "15", ".0f"), (gain["rdbm"], "+0.00", "+.2f"),
                         (coverage["goub"], "0.296", ".3f"), (coverage["rdbm"], "0.017", ".3f"),
                         (corr["rdbm"], "0.46", ".2f"), (corr["goub"], "0.51", ".2f"), (gain["goub"], "+0.27", "+.2f"),
                         (spread["goub"], "0.0066", ".4f"), (error["goub"], "0.025", ".3f"), (inflation, "16.4", ".1f"),
                         (average["regression"], "28.11", ".2f")):
    shows(value, text, fmt)
shows(interval(*corr_gap, 2), "+0.05 [-0.03, +0.13]", "")
# Section 5: the verdicts the text states, on the committed snapshot
BRIDGES = ["rdbm", "rdbm-global", "goub", "bbdm", "ddbm-ve", "i2sb", "irsde"]
assert sorted(derain) == sorted(BRIDGES) and all(len(s) >= 3 for s in derain_seeds.values())
assert len({tuple(s) for s in derain_seeds.values()}) == 1  # one set of seeds for all the deraining gaps
assert all(verdict_of(by[m]) == "regression" for by in derain.values() for m in ("psnr", "lpips_st"))
assert [m for m, by in derain.items() if verdict_of(by["swd"]) == "regression"] == ["rdbm", "rdbm-global"]
assert all(verdict_of(by["swd"]) == "none" for m, by in derain.items() if m not in ("rdbm", "rdbm-global"))
assert not any(verdict_of(g) == "bridge" for g in plane_gaps)  # no method ahead, any task, any sampling
assert all(verdict_of(g) == "no verdict" for g in plane_gaps if g["task"] != "derain")  # fewer than 3 seeds there
assert stochastic and all(n == 1 and a.startswith("rdbm") for a, n in stochastic.items())  # RDBM only, one seed
# Section 6: the statements of its reading, on the committed snapshot
psnr_gap = {(t, s, m): float(g["mean"]) for (t, s, m, metric), g in ladder.items() if metric == "psnr"}
rungs = sorted({s for _, s, _ in psnr_gap})
assert rungs[:3] == [250, 1000, 4000]
assert all((t, s, m) in psnr_gap for t in LADDER_TASKS for s in rungs for m in ("rdbm", "goub"))
assert all(int(g["seeds"]) >= 3 for g in ladder.values())  # every eta = 0 gap has a verdict
for task in LADDER_TASKS:  # RDBM: wider from 250 to 1000 on five seeds, no further change established to 4000
    first = changes[(task, "rdbm", 250, 1000)]
    assert first["verdict"] == "wider" and len(first["seeds"]) >= 5
    assert changes[(task, "rdbm", 1000, 4000)]["verdict"] == "none"
    assert all(c["verdict"] == "none" for (t, m, _, _), c in changes.items() if t == task and m == "goub")  # GOUB
whole = changes[("derain", "rdbm", 250, 4000)]
assert whole["verdict"] == "wider" and len(whole["seeds"]) >= 5
top = changes[("inpaint", "rdbm", 250, 4000)]  # wider by the hierarchical interval, on three seeds whose t interval
assert top["verdict"] == "wider" and len(top["seeds"]) == 3 and top["t_low"] < 0 < top["t_high"]  # contains 0
assert interval(top["mean"], top["t_low"], top["t_high"], 2) == "-2.53 [-8.15, +3.09]"
for (task, method, before, after), text in ((("derain", "rdbm", 250, 1000), "-1.11 [-1.98, -0.27]"),
                                            (("inpaint", "rdbm", 250, 1000), "-1.06 [-2.11, -0.13]"),
                                            (("derain", "rdbm", 250, 4000), "-1.29 [-2.06, -0.62]"),
                                            (("inpaint", "rdbm", 250, 4000), "-2.53 [-4.60, -0.06]"),
                                            (("derain", "goub", 250, 4000), "+0.38 [-0.20, +0.91]")):
    c = changes[(task, method, before, after)]
    assert interval(c["mean"], c["low"], c["high"], 2, widen=False) == text
assert all(verdict_of(ladder[("derain", s, "goub", "psnr")]) == "regression" for s in rungs)  # GOUB, deraining
assert all(verdict_of(ladder[("inpaint", s, "goub", "psnr")]) == "none" for s in rungs)  # GOUB, inpainting
for method in ("rdbm", "goub"):  # one eta = 1 draw at 250 iterations, three seeds
    assert all(int(draws_250[(t, 250, method, m)]["seeds"]) >= 3
               for t in LADDER_TASKS for m in ("psnr", "lpips_st", "swd"))
    assert all(verdict_of(draws_250[("derain", 250, method, m)]) == "regression" for m in ("psnr", "lpips_st", "swd"))
    assert [verdict_of(draws_250[("inpaint", 250, method, m)]) for m in ("psnr", "lpips_st", "swd")] == [
        "none", "regression", "none"]
for method, text in (("rdbm", "+42.5 [+10.7, +74.4]"), ("goub", "+21.9 [+5.6, +38.3]")):
    assert all(len(seed_ids(ladder_items, draws_250[(t, 250, method, "psnr")])) >= 3 for t in LADDER_TASKS)
    g = draws_250[("derain", 250, method, "swd")]
    assert interval(float(g["mean"]), float(g["low"]), float(g["high"]), 1, widen=False) == text
assert not any(verdict_of(g) == "bridge" for g in ladder_gaps)  # no bridge ahead, any sampling, preset or rung

# %% [markdown]
# ## Exercises
#
# **13.1 (derive).** In section 2 one posterior draw had a larger mean squared error than the posterior mean (check
# your formula at $K = 1$ against the table there).
# Suppose the draws are exact posterior draws, $X_1, \dots, X_K$ independent given $\mu$, and let
# $m = \mathbb{E}[x_0 \mid \mu]$. Derive, as a function of $K$, how many decibels of PSNR the mean of the $K$ draws
# loses against the posterior mean: $10 \log_{10}$ of the ratio of their mean squared errors,
# $\mathbb{E}\lVert \bar X - x_0 \rVert^2 / \mathbb{E}\lVert m - x_0 \rVert^2$. (Hint: the truth $x_0$ is itself
# distributed like one more posterior draw, independent of the others.) Give a SymPy expression in the symbol `K`
# (any algebraically equivalent form is accepted). The worked solution then derives section 4's nominal coverage
# from it.

# %%
K = sp.Symbol("K", positive=True)
answer_13_1 = ...
check("13.1", answer_13_1)

# %% [markdown]
# **13.2 (implement).** Another calibration check of $K$ draws needs no Gaussian assumption: the fraction of pixel
# values whose truth lies between the smallest and the largest of the $K$ draws. Write
# `range_coverage(draws, truth)` for torch tensors `draws` of shape `[K, C, H, W]` and `truth` of shape
# `[C, H, W]` (any value range), returning that fraction as a float (a value equal to the smallest or largest draw
# counts as inside).

# %%
def range_coverage(draws, truth):
    ...


answer_13_2 = ...  # your function: range_coverage
check("13.2", answer_13_2)

# %% [markdown]
# **13.3 (predict).** If the $K$ draws and the truth were independent draws from the same continuous distribution
# (exact posterior draws), what fraction of pixel values would `range_coverage` give on average, for $K = 8$? Give a
# number (a float; within 0.005 counts). The worked solutions then apply your `range_coverage` to GOUB's draws of
# section 4 and set it beside this value.

# %%
answer_13_3 = ...
check("13.3", answer_13_3)
