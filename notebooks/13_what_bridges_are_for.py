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
# **What you will learn.** Why a central estimate (the posterior mean or median, which a regression network
# approximates) wins PSNR; what a generative restorer promises instead (outputs that look real, several plausible
# answers, an honest spread); how to measure that promise; and what this project's bridges deliver on a CPU budget.
#
# **Prerequisites.** Notebooks 01 ($\lambda$), 02c (the implicit sampler, $\eta$), 03 (the bridge family), 06
# (regression), 07 (intervals over seeds, photographs and windows) and 10 (a learned toy bridge).
#
# **Running it.** Two to six minutes in full mode (the last cell prints the time). `FAST=1` (CI) restores two
# photographs with two draws each: its numbers in sections 1 to 4 mean nothing.

# %%
import json
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display
from scipy import stats

from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.data.files import read_rows
from rdbm_core.evidence.distribution import sliced_wasserstein
from rdbm_core.evidence.diversity import draw_metrics, nominal_coverage
from rdbm_core.evidence.metrics import psnr
from rdbm_core.evidence.perceptual import lpips_st
from rdbm_core.restoration.evaluation import restore
from rdbm_course import pretrained
from rdbm_course.bridges_lesson import (DRAW_GAIN, bootstrap_interval, calibration_panel, change_line, draw_summary,
                                        gap_change, gap_forest, interval, ladder_legend, ladder_panel, ladder_rows,
                                        ladder_trend, markdown_table, plane_rows, seed_ids, seed_label, verdict_lines,
                                        verdict_of)
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
print("training wall time of the three networks (from their manifest; a shared 2-core CPU, one thread): "
      + ", ".join(f"{m} {pretrained.record(f'nb13_derain_{m}')['wall_s']:.0f} s" for m in NETWORKS))


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
# Write $x_0$ for a clean image and $\mu$ for its degraded version, here with rain drawn on it. Sections 1 to 4 use
# three shipped networks (`rdbm_course.pretrained`): the tiny U-Net trained on deraining for 1000 iterations of 8
# crops of 32 × 32 pixels (training seed 0; wall times printed above), as a one-pass regression network, as
# **RDBM** (the Residual Diffusion Bridge Model of this course) and as **GOUB** (the Generalized Ornstein–Uhlenbeck
# Bridge of Yue et al., 2024). The bridges differ in $\lambda$, the variance scale of their noise (notebook 01):
# RDBM's $10^{-4}$ (its authors' released value), GOUB's $(30/255)^2 \approx 0.014$.
#
# A bridge restores by running a sampler from $\mu$, here the implicit sampler of notebook 02c with 10 steps. With
# $\eta = 0$ it is deterministic; with $\eta = 1$ it injects noise, and each run gives a different restoration: a
# **draw**.
#
# The figure shows a held-out rainy photograph and its restorations, the second row zoomed into the yellow square.
# Titles: PSNR (higher is better) and ST-LPIPS, a distance to the truth in a trained network's features (section 3;
# lower is better).

# %%
PICTURE = "dogs_window" if not FAST else photos.names[0]
picture_index = photos.names.index(PICTURE)
x0_pic, mu_pic = centre(photos[picture_index])
pic = restorations(mu_pic, draws=DRAWS, seed=picture_index)  # the draws section 4 makes for this photograph
panels = {"rainy input": mu_pic, "regression (one pass)": pic["regression"], "RDBM, η = 0": pic["rdbm eta=0"],
          "GOUB, η = 0": pic["goub eta=0"], "GOUB, one draw (η = 1)": pic["goub draws"][0],
          f"GOUB, mean of {DRAWS} draws": pic["goub draws"].mean(0), "truth": x0_pic}
score = {k: (psnr(v, x0_pic), float(lpips_st(v[None], x0_pic[None]))) for k, v in panels.items()}
zoom = (slice(40, 88), slice(40, 88))  # the central 48 x 48 pixels
fig, axes = plt.subplots(2, 7, figsize=(17, 5.8), layout="constrained")
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
# Regression leads on both numbers: 26.34 dB and 0.090, against 22.43 dB and 0.181 for RDBM ($\eta = 0$), 25.31 dB
# and 0.127 for GOUB ($\eta = 0$), 24.97 dB and 0.143 for one GOUB draw, 25.29 dB and 0.136 for the mean of 8 GOUB
# draws. RDBM keeps the most rain; the GOUB draw is not visibly sharper and keeps more streaks than regression.
#
# Regression's lead over the mean of GOUB's draws is 1.05 dB here and 1.35 dB on the median of the twelve
# photographs (printed in section 4). What *should* a bridge buy, and how far are these networks from it?

# %% [markdown]
# ## 2. Why the mean wins the squared error
#
# The **posterior** $p(x_0 \mid \mu)$ weighs every clean image that could have produced $\mu$. Among all estimates
# $\hat x(\mu)$, the posterior mean $\mathbb{E}[x_0 \mid \mu]$ minimises the expected squared error
# $\mathbb{E}\,\lVert \hat x(\mu) - x_0\rVert^2$: it wins the MSE by construction, and PSNR nearly so (a study
# averages the images' PSNRs, not their MSEs). The course's regression networks use an L1 loss, whose minimiser is
# the posterior median: also a central estimate, not a draw.
#
# A generative restorer returns a draw $X \sim p(x_0 \mid \mu)$ instead. Where the posterior is wide, the mean
# blurs the possibilities together; a draw commits to one of them.
#
# A toy with a known posterior makes this exact. A pixel value is $x_0 = c + \tau$, a level $c = \pm 1$ (each with
# probability 1/2) plus texture $\tau \sim \mathcal{N}(0, 0.15^2)$; we observe $\mu = x_0 + \mathcal{N}(0, 0.6^2)$,
# and the posterior is a mixture of two Gaussians. We restore 20,000 values four ways: by the posterior mean, by one
# posterior draw, by the noisy input, and by the **transported mean**, an increasing function of the posterior mean
# whose values have the clean distribution (the $k$-th smallest mean becomes the $k$-th smallest of 20,000 clean
# reference values; Freirich, Michaeli and Meir, 2021).
#
# Two scores: the mean squared error (distortion), and the Wasserstein-1 distance (W1) between the *set* of
# restorations and fresh clean values (perception). For two equal-size sets, W1 is the mean gap between their
# sorted values.

# %%
rng = np.random.default_rng(0)
N, TEXTURE, NOISE = 20_000, 0.15, 0.6
x_clean = rng.choice([-1.0, 1.0], N) + TEXTURE * rng.standard_normal(N)
mu_toy = x_clean + NOISE * rng.standard_normal(N)  # the toy's mu


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
reference = rng.choice([-1.0, 1.0], N) + TEXTURE * rng.standard_normal(N)  # clean values for the transport
transported = np.sort(reference)[np.argsort(np.argsort(post_mean))]  # k-th smallest mean -> k-th smallest clean


def w1(a, b):
    """Wasserstein-1 distance of two equal-size samples: the mean gap of their sorted values."""
    return float(np.abs(np.sort(a) - np.sort(b)).mean())


toy = {name: {"mse": float(((est - x_clean) ** 2).mean()), "w1": w1(est, fresh)}
       for name, est in (("posterior mean", post_mean), ("one posterior draw", post_draw),
                         ("the noisy input", mu_toy), ("transported mean (deterministic)", transported))}
display(Markdown(markdown_table(["restoration", "MSE (distortion)", "W1 to clean data (perception)"],
                                [[k, f"{v['mse']:.4f}", f"{v['w1']:.4f}"] for k, v in toy.items()])))
fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
bins = np.linspace(-2.2, 2.2, 90)
ax.hist(fresh, bins, density=True, histtype="stepfilled", color="0.85", label="clean values")
for values, label, style in ((post_mean, "posterior means", dict(color="black", ls="--")),
                             (post_draw, "posterior draws", dict(color="#882255")),
                             (transported, "transported means", dict(color="#117733", ls=":"))):
    ax.hist(values, bins, density=True, histtype="step", lw=1.8, label=label, **style)
ax.set_xlabel("pixel value (toy units)")
ax.set_ylabel("density")
ax.set_title("The toy: the means lose the texture and fill the gap; draws and transported means look like clean "
             "values", fontsize=10)
ax.legend(fontsize=9, loc="upper center")
plt.show()

# %% [markdown]
# The axes pull apart. The posterior mean has the smallest squared error (0.167) but a W1 of 0.102: its values crowd
# at the modes' centres and spread over the gap, where clean data almost never is. One draw has a W1 of 0.009, but
# a squared error (0.338) near the noisy input's (0.365): the perception–distortion trade-off (Blau and Michaeli,
# 2018).
#
# The transported mean, a deterministic function of $\mu$, follows the clean histogram: W1 0.013, nearly a draw's,
# at a squared error (0.193) close to the mean's. Perception does not need noise. What only noise buys is several
# answers for one input, and their spread as an error bar. Section 4 measures that for the bridges.

# %% [markdown]
# ## 3. Measuring the perception axis
#
# The toy's W1 on single values does not carry over to images, whose pixels are not independent. Two image
# measures, both in `rdbm_core.evidence` (lower is better for both):
#
# * **ST-LPIPS** (`perceptual.lpips_st`, Ghildyal and Liu, 2022): the distance between deep features of a
#   restoration and of its own truth, from a network trained to agree with human judgements, tolerant of small
#   shifts. Like PSNR it compares each restoration with its own truth: a distortion in a feature space.
# * **SWD**, the sliced Wasserstein distance (`distribution.sliced_wasserstein`, Karras et al., 2018), compares two
#   *sets* of images. Each image is split into frequency bands (a Laplacian pyramid); from every band of every image
#   it takes 32 patches of 7 × 7 pixels at random positions, pools each set's patches, projects them on a random
#   direction and takes the W1 of the two sets of numbers. The mean over 128 directions and the bands, times
#   $10^3$, is **SWD × 10³**.
#
# Which patches enter matters. In sections 5 and 6, restoration $i$ and its own truth give patches at the same
# positions; the distance is still between the two pooled sets (no patch is compared with its partner), but both
# show the same content: the **set distance to the paired truths**, which also rewards low distortion. An
# **unpaired** comparison takes the other set's patches from different clean images.
#
# A test: the 12 photographs' centre crops, blurred (a Gaussian of standard deviation 1.2 pixels) or noised to the
# same PSNR, scored against their paired truths and, unpaired, against the four 128 × 128 corner crops of the same
# photographs (none overlaps the centre).

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
fig, axes = plt.subplots(1, 3, figsize=(11, 4.2), layout="constrained")
for ax, (title, img) in zip(axes, (("truth", truths[picture_index]),
                                   ("blurred (1.2 pixels)", blurred[picture_index]),
                                   (f"noisy (std {level / 2:.4f} in [0, 1] units)", noisy[picture_index]))):
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
display(Markdown(markdown_table(
    ["set", "PSNR (dB)", "ST-LPIPS", "SWD × 10³ to the paired truths", "SWD × 10³ to the corner crops (unpaired)"],
    [[k, f"{v['psnr']:.2f}", f"{v['lpips']:.3f}", f"{v['swd']:.1f}", f"{v['swd unpaired']:.1f}"]
     for k, v in equal.items()] + [["the clean centre crops", "—", "0", "0", f"{clean_to_corners:.1f}"]])))

# %% [markdown]
# At equal PSNR (28.88 dB) both paired measures call the blurred set worse: ST-LPIPS 0.262 against 0.141, SWD × 10³
# 185.3 against 85.6 (one blur width, one noise draw). Blur removes texture that real photographs have (the fur),
# as averaging does. PSNR cannot tell the sets apart.
#
# The unpaired distance, at this size (12 photographs, one estimate each, no interval), reads differently. The
# noisy set is 336.1 from the corner crops, about 70 above the clean centre crops' 265.7: it penalises fine noise.
# The blurred set, 261.8, is as close as the clean crops: it does not see a 1.2-pixel blur and does not rank the
# clean set first. Content dominates it. So the studies use the paired distance, which is not the perception axis
# in pure form.

# %% [markdown]
# ## 4. Several draws: spread and calibration
#
# A *pixel value* is one colour channel of one pixel, in $[0, 1]$ units. $K$ draws of one item are
# $X_1, \dots, X_K$, their mean $\bar X$. The **error** of a pixel value is $\bar X - x_0$; its **spread** $S$ is the
# standard deviation of its $K$ draws (normalised by $K - 1$).
#
# From the exact posterior, $S$ would be an honest error bar: where the posterior is wide, the draws disagree and
# the error is large. The first cell restores the 12 centre crops ($K = 8$ draws each, a minute or two); the second
# shows, for section 1's photograph, where GOUB's draws disagree and where their mean errs.

# %%
rows, examples = [], {}
for i, (x0, mu) in enumerate(crops):
    out = pic if i == picture_index else restorations(mu, seed=i)
    row = {"photo": photos.names[i], "input": psnr(mu, x0), "regression": psnr(out["regression"], x0)}
    for name in ("rdbm", "goub"):
        d = draw_metrics(out[f"{name} draws"], x0)
        draws01, x01 = ((out[f"{name} draws"] + 1) / 2).clamp(0, 1), ((x0 + 1) / 2).clamp(0, 1)  # [0, 1] units
        row.update({f"{name} eta=0": psnr(out[f"{name} eta=0"], x0), f"{name} draw": d["psnr_draws"],
                    f"{name} mean": d["psnr_mean_of_draws"], f"{name} spread": d["spread"],
                    f"{name} coverage": d["coverage_2sd"], f"{name} corr": d["spread_error_corr"],
                    f"{name} S2": float(draws01.var(0, correction=1).mean()),        # mean of S^2
                    f"{name} E2": float(((draws01.mean(0) - x01) ** 2).mean())})      # mean squared error
    rows.append(row)
    examples[photos.names[i]] = (x0, mu, out)

# %%
goub = pic["goub draws"]
spread_values = ((goub + 1) / 2).std(0, correction=1)  # [C, H, W]: S of each pixel value
error_values = (((goub.mean(0) + 1) / 2) - ((x0_pic + 1) / 2)).abs()
spread_map, error_map = spread_values.mean(0), error_values.mean(0)  # averaged over the channels, for the pictures
top = float(torch.quantile(error_map.flatten(), 0.99))
fig, axes = plt.subplots(1, 4, figsize=(16, 4.4), layout="constrained")
axes[0].imshow(show(mu_pic))
axes[0].set_title(f"rainy input ({PICTURE})", fontsize=10)
for ax, (title, m) in zip(axes[1:3], ((f"spread $S$ of the {DRAWS} GOUB draws", spread_map),
                                      (f"absolute error of their mean, " + r"$|\bar X - x_0|$", error_map))):
    im = ax.imshow(m.numpy(), cmap="magma", vmin=0, vmax=top)
    ax.set_title(title + "\n(common scale)", fontsize=10)
fig.colorbar(im, ax=axes[1:3], shrink=0.8, extend="max",
             label=f"[0, 1] units, mean over channels;\nclipped at the error's 99th percentile ({top:.2f})")
own = axes[3].imshow(spread_map.numpy(), cmap="magma", vmin=0)
axes[3].set_title(f"spread $S$ of the {DRAWS} GOUB draws\n(its own scale)", fontsize=10)
fig.colorbar(own, ax=axes[3], shrink=0.8, label="[0, 1] units, mean over channels")
for ax in axes:
    ax.set_axis_off()
plt.show()

# %% [markdown]
# The error is mostly streak-shaped (leftover rain), some along the fence's edges. The spread lies partly on the
# streaks, partly on the fur, and on the common scale it is far smaller than the error. How much smaller may it be?
# **Calibration** compares the fraction of pixel values with $|\bar X - x_0| \le 2S$ with what exact posterior
# draws give. That reference needs one result.
#
# **Exercise 13.1 (derive).** Suppose $X_1, \dots, X_K$ are exact posterior draws, independent given $\mu$, and
# $m = \mathbb{E}[x_0 \mid \mu]$. Derive, as a function of $K$, how many decibels of PSNR the mean of the draws loses
# against the posterior mean: $10 \log_{10}$ of
# $\mathbb{E}\lVert \bar X - x_0 \rVert^2 / \mathbb{E}\lVert m - x_0 \rVert^2$. (Hint: the truth is distributed like
# one more posterior draw, independent of the others; check $K = 1$ against section 2's table.) Give a SymPy
# expression in the symbol `K` (any equivalent form is accepted), before reading past the line below.

# %%
K = sp.Symbol("K", positive=True)
answer_13_1 = ...
check("13.1", answer_13_1)

# %% [markdown]
# ---
#
# **The nominal coverage.** The ratio of 13.1 is $1 + 1/K$: given $\mu$, the error $\bar X - x_0$ has variance
# $v\,(1 + 1/K)$, with $v$ the posterior variance of the pixel value. If that posterior is Gaussian,
# $(K - 1)S^2/v$ follows $\chi^2_{K-1}$ independently of the error, so $T = (\bar X - x_0)/(S\sqrt{1 + 1/K})$
# follows Student's t with $K - 1$ degrees of freedom, whatever $v$ is, and
#
# $$P\big(|\bar X - x_0| \le 2S\big) = P\big(|T_{K-1}| \le 2/\sqrt{1 + 1/K}\big),$$
#
# which `diversity.nominal_coverage(K)` evaluates. The cell checks it on simulated exact draws ($K + 1$ Gaussian
# values per pixel value: $K$ draws and the truth).

# %%
nominal = nominal_coverage(DRAWS)
sim = np.random.default_rng(1).standard_normal((200_000, DRAWS + 1))  # K draws and the truth, per pixel value
sim_draws, sim_truth = sim[:, :DRAWS], sim[:, DRAWS]
simulated = float((np.abs(sim_draws.mean(1) - sim_truth) <= 2 * sim_draws.std(1, ddof=1)).mean())
formula = float(2 * stats.t.cdf(2 / np.sqrt(1 + 1 / DRAWS), DRAWS - 1) - 1)
print(f"K = {DRAWS}: P(|T| <= 2 / sqrt(1 + 1/K)) = {formula:.3f}, nominal_coverage {nominal:.3f}; simulated exact "
      f"draws (200,000 pixel values) {simulated:.3f}")

# %% [markdown]
# For $K = 8$: 0.899 (simulated 0.898), below a Gaussian's 0.954 because $S$ and $\bar X$ come from only $K$ draws.
# Far below it, the draws are over-confident. The same ratio gives two more references: exact draws have RMS
# spread $= 1/\sqrt{1 + 1/K}$ times RMS error, and averaging $K$ of them gains $10 \log_{10}\big(2/(1 + 1/K)\big)$ dB
# over one draw (13.1 at $K = 1$ minus 13.1 at $K$). The twelve crops:

# %%
average = {c: float(np.mean([r[c] for r in rows])) for c in ("goub eta=0", "goub draw")}
eta0_above = sum(r["goub eta=0"] > r["goub draw"] for r in rows)
lead = {r["photo"]: r["regression"] - r["goub mean"] for r in rows}
spread = {name: float(np.mean([r[f"{name} spread"] for r in rows])) for name in ("rdbm", "goub")}
rms_spread = {name: float(np.sqrt(np.mean([r[f"{name} S2"] for r in rows]))) for name in ("rdbm", "goub")}
rms_error = {name: float(np.sqrt(np.mean([r[f"{name} E2"] for r in rows]))) for name in ("rdbm", "goub")}
exact_ratio = float(np.sqrt(DRAWS / (DRAWS + 1)))  # 1 / sqrt(1 + 1/K)
coverage = {name: float(np.mean([r[f"{name} coverage"] for r in rows])) for name in ("rdbm", "goub")}
corr = {name: float(np.nanmean([r[f"{name} corr"] for r in rows])) for name in ("rdbm", "goub")}
corr_gap = bootstrap_interval([r["goub corr"] - r["rdbm corr"] for r in rows])
gain = {name: float(np.mean([r[f"{name} mean"] - r[f"{name} draw"] for r in rows])) for name in ("rdbm", "goub")}
exact_gain = float(10 * np.log10(2 / (1 + 1 / DRAWS)))
inflation = float(torch.quantile(error_values.flatten() / (2 * spread_values.flatten()).clamp_min(1e-12), nominal))
picture_ratio = float(spread_values.pow(2).mean().sqrt() / error_values.pow(2).mean().sqrt())
print(f"GOUB, PSNR averaged over the {len(rows)} crops: η = 0 {average['goub eta=0']:.2f} dB, one draw "
      f"{average['goub draw']:.2f} dB (η = 0 higher on {eta0_above} of {len(rows)}); regression's lead over the mean "
      f"of GOUB's draws {lead[PICTURE]:.2f} dB on {PICTURE}, median {np.median(list(lead.values())):.2f} dB")
print(f"<S>, the mean spread over the pixel values: RDBM {spread['rdbm']:.5f}, GOUB {spread['goub']:.5f} "
      f"({spread['goub'] / spread['rdbm']:.0f} times RDBM's)")
print(f"fraction of pixel values with |X̄ - x0| <= 2 S: RDBM {coverage['rdbm']:.3f}, GOUB {coverage['goub']:.3f}; "
      f"exact draws {nominal:.3f}")
print(f"root-mean-square spread / root-mean-square error: RDBM {rms_spread['rdbm'] / rms_error['rdbm']:.2f}, GOUB "
      f"{rms_spread['goub'] / rms_error['goub']:.2f} ({picture_ratio:.2f} on {PICTURE}); exact draws "
      f"{exact_ratio:.2f}")
print(f"{PICTURE}: S would have to be {inflation:.1f} times larger for {nominal:.3f} of its pixel values to lie "
      f"within 2 S")
print(f"correlation of S with |X̄ - x0| over a crop's pixel values, averaged: RDBM {corr['rdbm']:.2f}, GOUB "
      f"{corr['goub']:.2f}; GOUB - RDBM {interval(*corr_gap, 2)} (95 % bootstrap over the {len(rows)} photographs)")
print(f"PSNR gain of the mean of {DRAWS} draws over one draw: RDBM {gain['rdbm']:+.2f} dB, GOUB {gain['goub']:+.2f} "
      f"dB; exact draws {exact_gain:.2f} dB")

# %% [markdown]
# For these networks (1000 iterations, training seed 0, 12 crops; GOUB's $\eta = 0$ beats its average draw on 12
# of 12, 26.51 against 26.10 dB):
#
# * **RDBM's draws hardly differ:** mean spread $\langle S \rangle$ 0.00044, 15 times below GOUB's 0.00661;
#   averaging gains +0.00 dB. A deterministic restorer in practice, consistent with its small $\lambda$.
# * **GOUB's draws differ, but not enough.** 0.296 of its pixel values lie within $2S$ of the truth, against 0.899
#   for exact draws (RDBM: 0.017): over-confident. Its RMS spread is 0.26 of its RMS error (exact: 0.94). On
#   dogs_window (ratio 0.28) $S$ would need 16.4 times more to cover 0.899 of the pixel values, not 0.94/0.28 ≈ 3.3:
#   coverage one by one is set by the many pixel values with nearly no spread, the RMS by the few with a large one.
# * **Averaging GOUB's draws gains +0.27 dB**, against 2.50 dB for exact draws: they disagree little.
# * **Both spreads point at the errors, moderately:** correlation 0.46 (RDBM) and 0.51 (GOUB); the difference,
#   +0.05 [−0.03, +0.13], contains 0.
#
# All samplings used 10 steps; whether more steps widen the spread is not tested.
#
# One network and one seed could be a fluke. The budget ladder (section 6) drew 4 times per item on 144 windows
# (64 × 64) from RDBM and GOUB at 250 iterations, seeds 0–2, deraining and inpainting. Below: the mean over seeds
# (dots: each seed's mean), the hierarchical bootstrap interval (thick: seeds, photographs, windows) and Student's t
# on the seed means (thin).

# %%
ladder_items = read_rows(RESULTS / "budget_ladder" / "items.csv")
evaluation = json.loads((RESULTS / "budget_ladder" / "provenance_evaluate.json").read_text())
LADDER_DRAWS = evaluation["samplings"]["eta1"]["draws"]  # draws per item of the ladder's eta = 1 sampling
LADDER_TASKS = ("derain", "inpaint")
calibration = {metric: {(task, m): draw_summary(ladder_items, task, f"{m}-tiny-250-eta1", metric, ("0", "1", "2"))
                        for m in ("rdbm", "goub") for task in LADDER_TASKS} for metric in ("coverage_2sd", DRAW_GAIN)}
ladder_nominal = nominal_coverage(LADDER_DRAWS)
ladder_exact_gain = float(10 * np.log10(2 / (1 + 1 / LADDER_DRAWS)))
fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
calibration_panel(axes[0], calibration["coverage_2sd"], ladder_nominal, f"exact draws {ladder_nominal:.3f}",
                  "fraction of pixel values\nwith |X̄ − x₀| ≤ 2S")
calibration_panel(axes[1], calibration[DRAW_GAIN], ladder_exact_gain, f"exact draws {ladder_exact_gain:.2f} dB",
                  "PSNR gain of the mean of draws\nover one draw (dB)")
fig.suptitle(f"The budget ladder's draws: 250 iterations, K = {LADDER_DRAWS} draws, training seeds 0–2; "
             "95 % intervals (thick: hierarchical, thin: t on the seed means)", fontsize=10)
plt.show()
for (task, m), c in calibration["coverage_2sd"].items():
    g = calibration[DRAW_GAIN][(task, m)]
    print(f"{m.upper()}, {task} (seeds {seed_label(c['seeds'])}): coverage {c['mean']:.3f} [{c['low']:.3f}, "
          f"{c['high']:.3f}], t [{c['t_low']:.3f}, {c['t_high']:.3f}]; gain {g['mean']:+.2f} dB "
          f"[{g['low']:+.2f}, {g['high']:+.2f}], t [{g['t_low']:+.2f}, {g['t_high']:+.2f}]")

# %% [markdown]
# The over-confidence holds on three seeds and both tasks. GOUB's coverage is 0.220 on deraining (t [0.157, 0.283])
# and 0.248 on inpainting (t [0.071, 0.425]), against 0.828 for 4 exact draws; RDBM's is 0.012. Averaging GOUB's
# draws gains +0.17 dB (t [+0.12, +0.22]) and +0.34 dB (t [+0.29, +0.39]), against 2.04 dB. Every interval lies far
# from the exact-draws value: at 250 iterations (three seeds) as at 1000 (one), the spread is not an error bar.
#
# **Exercise 13.2 (implement).** A calibration check without a Gaussian assumption: the fraction of pixel values
# whose truth lies between the smallest and the largest of the $K$ draws. Write
# `range_coverage(draws, truth)` for torch tensors `draws` of shape `[K, C, H, W]` and `truth` of shape
# `[C, H, W]` (any value range), returning that fraction as a float (a value equal to the smallest or largest draw
# counts as inside).

# %%
def range_coverage(draws, truth):
    ...


answer_13_2 = ...  # your function: range_coverage
feedback_13_2 = check("13.2", answer_13_2)
feedback_13_2

# %% [markdown]
# **Exercise 13.3 (predict).** If the $K$ draws and the truth were independent draws from one continuous
# distribution (exact posterior draws), what fraction would `range_coverage` give on average, for $K = 8$? A float;
# within 0.005 counts. Once 13.2 passes, the next cell applies your function to GOUB's draws of the twelve crops.

# %%
answer_13_3 = ...
check("13.3", answer_13_3)

# %%
if feedback_13_2:  # 13.2 passed
    measured = float(np.mean([answer_13_2(out["goub draws"], x0) for x0, _, out in examples.values()]))
    print(f"range coverage of GOUB's {DRAWS} draws, averaged over the {len(examples)} crops: {measured:.3f}; "
          f"your prediction for exact draws: {answer_13_3}")
else:
    print("run this cell again once 13.2 passes")

# %% [markdown]
# ## 5. The bridge family on both axes
#
# The bridge comparison (`python -m experiments bridge_comparison`) trains every bridge of notebook 03 and
# regression on deraining (training seeds 0–2; the tiny U-Net, 250 iterations of 8 crops of 32 × 32 pixels, wall
# time printed below), restores 12 **windows** (64 × 64 crops) of each of the 12 photographs, and writes each
# method's paired gap to regression (method minus regression, same items and seeds) to
# `experiments/results/plane/gaps.csv`. All methods use $\eta = 0$ and 10 steps: `rdbm`, `rdbm-global`
# (unmodulated noise), `goub`, `irsde` (IR-SDE: the Ornstein–Uhlenbeck process, not pinned at $\mu$), and three
# Brownian bridges, `bbdm`, `ddbm-ve`, `i2sb`.
#
# **The rule.** A difference is **established** when, with at least three seeds, both 95 % intervals exclude 0 on
# one side: the hierarchical bootstrap (notebook 07) and Student's t on the per-seed mean gaps. SWD, one number per
# seed, has the t interval only. Among dozens of intervals one verdict could be chance; patterns that repeat count.

# %%
plane_gaps = read_rows(RESULTS / "plane" / "gaps.csv")
comparison_items = read_rows(RESULTS / "bridge_comparison" / "items.csv")
derain = plane_rows(plane_gaps, "derain")  # {method: {metric: gap row}}, eta = 0
derain_seeds = {method: seed_ids(comparison_items, by["psnr"]) for method, by in derain.items()}
comparison_wall = np.median([float(r["train_wall_s"]) for r in read_rows(RESULTS / "bridge_comparison" / "networks.csv")
                             if r["steps"] == "250"])
fig, axes = plt.subplots(1, 3, figsize=(14, 4.3), sharey=True, layout="constrained")
gap_forest(axes, derain)
for ax, title in zip(axes, ("distortion: PSNR", "feature-space distortion: ST-LPIPS",
                            "set distance to the paired truths: SWD × 10³\n(t interval only, thin)")):
    ax.set_title(title, fontsize=10)
fig.suptitle("Deraining, 250 iterations, η = 0, seeds 0–2: each method minus regression, 95 % intervals (thick with "
             "caps: hierarchical; thin: t on the seed means).\nFilled: a difference established (both exclude 0); "
             "hollow: none established", fontsize=10)
plt.show()
print(f"training seeds {seed_label(next(iter(derain_seeds.values())))} for every gap (recomputed from items.csv); "
      f"median training wall time {comparison_wall:.0f} s per network")
print("\n".join(verdict_lines(derain)))

# %% [markdown]
# Regression is established ahead of every bridge on ST-LPIPS, and on PSNR of six of seven, by 0.65 to 1.91 dB
# (I2SB's −1.04 is not: t [−2.31, +0.23]). On SWD only RDBM and RDBM-global are established behind, RDBM by a hair
# (t lower bound +0.2). No method is established ahead on any axis. A deterministic restorer could reach the
# perception axis (section 2); whether any of these does, the measures used here cannot tell. The study's draws,
# inpainting and low light have fewer than three seeds: no verdict. (Full table: `bridges_lesson.plane_table`.)

# %% [markdown]
# ## 6. Across training budgets
#
# Is that only the budget? The budget ladder (`python -m experiments budget_ladder`) trains regression, RDBM and
# GOUB (tiny U-Net, same batches, a larger pool of training crops: 4096 against 256) on deraining and inpainting
# for 250, 1000 and 4000 iterations, seeds 0–4 (fewer where the figure says; wall times printed), and scores each
# bridge's $\eta = 0$ restoration against regression of the same budget by section 5's rule. Section 4's networks
# are its 1000-iteration rung, seed 0. A *change* between budgets is the paired change (later gap minus earlier,
# same seeds and items).

# %%
ladder_gaps = read_rows(RESULTS / "budget_ladder" / "gaps.csv")
ladder = ladder_rows(ladder_gaps)  # {(task, iterations, method, metric): gap row}, tiny U-Net, eta = 0
draws_250 = ladder_rows(ladder_gaps, sampling="eta1")  # the same for one eta = 1 draw per item
RUNGS = (250, 1000, 4000)
fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), layout="constrained")
for ax, task in zip(axes, LADDER_TASKS):
    ladder_panel(ax, ladder, task)
    ax.set_title({"derain": "deraining", "inpaint": "inpainting"}[task], fontsize=10)
ladder_legend(fig)
fig.suptitle("The budget ladder: bridge minus regression on PSNR, 95 % intervals (points offset sideways; each panel "
             "its own scale; a t interval cut at the edge prints its bound)", fontsize=10)
plt.show()

# %%
changes = {(task, method, before, after): gap_change(ladder_items, ladder[(task, before, method, "psnr")],
                                                     ladder[(task, after, method, "psnr")])
           for task in LADDER_TASKS for method in ("rdbm", "goub") for before, after in ((250, 1000), (1000, 4000))}
for (task, method, before, after), c in changes.items():
    print(f"change of the PSNR gap, {task} {method}, {before} → {after}: {change_line(c)}")
trend_seeds, trend = ladder_trend(ladder_items, ladder, "derain", RUNGS)
print(f"mean deraining PSNR (dB), seeds {seed_label(trend_seeds)}, " + " → ".join(map(str, RUNGS)) + " iterations: "
      + "; ".join(f"{m} " + " → ".join(f"{v:.2f}" for v in trend[m]) for m in trend))
one_draw = {(task, m): [metric for metric in ("psnr", "lpips_st", "swd")
                        if verdict_of(draws_250[(task, 250, m, metric)]) == "regression"]
            for task in LADDER_TASKS for m in ("rdbm", "goub")}
draw_seeds = seed_label(seed_ids(ladder_items, draws_250[("derain", 250, "goub", "psnr")]))
print(f"one η = 1 draw at 250 iterations, seeds {draw_seeds}, regression established ahead on: "
      + "; ".join(f"{t} {m}: {', '.join(v) or 'no axis'}" for (t, m), v in one_draw.items()))
swd5, swd6 = derain["goub"]["swd"], ladder[("derain", 250, "goub", "swd")]
swd_t = [interval(float(g["mean"]), float(g["t_low"]), float(g["t_high"]), 1, False) for g in (swd5, swd6)]
print(f"GOUB's SWD × 10³ gap at 250 iterations, t interval: section 5 (seeds 0–2) {swd_t[0]}; the ladder (seeds "
      f"{seed_label(seed_ids(ladder_items, ladder[('derain', 250, 'goub', 'psnr')]))}) {swd_t[1]}")
ladder_wall = {s: np.median([float(r["train_wall_s"]) for r in read_rows(RESULTS / "budget_ladder" / "networks.csv")
                             if r["preset"] == "tiny" and int(r["steps"]) == s]) for s in RUNGS}
print("median training wall time of a ladder network: " + ", ".join(f"{s} iterations {v:.0f} s"
                                                                    for s, v in ladder_wall.items()))

# %% [markdown]
# RDBM's PSNR gap widens from 250 to 1000 iterations on both tasks (paired change −1.11 and −1.06 dB, five seeds,
# both intervals below 0), with no further change established to 4000. RDBM improves (25.89 to 28.49 dB on
# deraining), regression more (27.74 to 31.62 dB); RDBM appears to gain less than GOUB (26.51 to 30.78 dB; not
# tested). GOUB's gap shows no established change. One $\eta = 1$ draw at 250 iterations is established behind
# regression on all three axes on deraining, on none on inpainting. GOUB's SWD gap at 250 iterations, not
# established in section 5, is here: with five seeds instead of three (and a larger pool) its t interval narrows
# from [−12.2, +60.0] to [+9.8, +26.0]. No bridge is established better than regression, on any axis, rung or
# sampler. (Full tables: `bridges_lesson.ladder_table`, `change_table`.)

# %% [markdown]
# ## 7. What a bridge is for
#
# Not a higher PSNR: a central estimate owns that axis, and regression approximates one. Not the perception axis
# alone: a deterministic map can reach it (section 2). What only a sampler with noise gives is several restorations
# per input whose spread is an honest error bar. The networks here (tiny U-Net, at most 4000 iterations) are not
# shown to deliver it: RDBM's draws hardly differ; GOUB's are over-confident at 1000 iterations (one seed) and at 250
# (three seeds, two tasks), and were not drawn at 4000. Intervals over seeds, photographs and windows, an unpaired
# clean set large enough to rank sets, and calibration at every budget will tell when that changes.

# %%
print(f"this run: {time.perf_counter() - NOTEBOOK_START:.0f} s with one torch thread")

# %% [markdown]
# ## Checks
#
# The collapsed cell asserts every statement of the prose against this run's outputs and the committed result
# files (those about twelve photographs in full mode only): the notebook fails if one no longer holds.

# %% jupyter={"source_hidden": true}
def shows(value, text, fmt):
    """The prose quotes ``text``: the value as this run prints it (full mode)."""
    assert FAST or format(value, fmt) == text, (format(value, fmt), text)


# Section 1: the comparisons the text reads off the titles and section 4's printout
reg, eta0_pic, rdbm_pic = score["regression (one pass)"], score["GOUB, η = 0"], score["RDBM, η = 0"]
draw1, mean_pic = score["GOUB, one draw (η = 1)"], score[f"GOUB, mean of {DRAWS} draws"]
assert reg[0] > draw1[0] and reg[1] < draw1[1]  # regression ahead of the draw on both numbers
assert mean_pic[0] > draw1[0] and mean_pic[1] < draw1[1]  # averaging recovers part of the loss
if not FAST:
    assert reg[0] > max(eta0_pic[0], mean_pic[0], rdbm_pic[0]) and reg[1] < min(eta0_pic[1], mean_pic[1], rdbm_pic[1])
    assert sorted(lead.values())[3] <= lead[PICTURE] <= sorted(lead.values())[8]  # the photograph is not an outlier
for value, text in ((reg[0], "26.34"), (eta0_pic[0], "25.31"), (draw1[0], "24.97"), (mean_pic[0], "25.29"),
                    (rdbm_pic[0], "22.43"), (lead[PICTURE], "1.05"), (float(np.median(list(lead.values()))), "1.35"),
                    (average["goub eta=0"], "26.51"), (average["goub draw"], "26.10")):
    shows(value, text, ".2f")
for value, text in ((reg[1], "0.090"), (eta0_pic[1], "0.127"), (draw1[1], "0.143"), (mean_pic[1], "0.136"),
                    (rdbm_pic[1], "0.181")):
    shows(value, text, ".3f")
assert all(pretrained.record(f"nb13_derain_{m}")["steps"] == 1000 for m in NETWORKS)
assert all("batch 8 of 32x32 crops" in pretrained.record(f"nb13_derain_{m}")["command"] for m in NETWORKS)
# Section 2: the toy's numbers as the text reads them
mean_t, draw_t, input_t = toy["posterior mean"], toy["one posterior draw"], toy["the noisy input"]
moved = toy["transported mean (deterministic)"]
assert mean_t["mse"] < min(draw_t["mse"], moved["mse"])  # the mean wins distortion
assert draw_t["w1"] < mean_t["w1"] / 3  # the draws win perception over the mean
assert draw_t["mse"] > 0.8 * input_t["mse"]  # nearly the input's error
assert moved["w1"] < 1.5 * draw_t["w1"]  # the transported mean: as small a W1 as a draw's
assert moved["mse"] - mean_t["mse"] < draw_t["mse"] - moved["mse"]  # closer to the mean's error than to a draw's
assert np.all(np.diff(transported[np.argsort(mu_toy)]) >= 0)  # an increasing function of mu (deterministic)
for name, key, text in (("one posterior draw", "mse", "0.338"), ("the noisy input", "mse", "0.365"),
                        ("one posterior draw", "w1", "0.009"), ("posterior mean", "w1", "0.102"),
                        ("posterior mean", "mse", "0.167"), ("transported mean (deterministic)", "w1", "0.013"),
                        ("transported mean (deterministic)", "mse", "0.193")):
    assert f"{toy[name][key]:.3f}" == text  # the toy does not depend on FAST
# Section 3: equal PSNR, both paired measures prefer the noisy set; the unpaired distance at this size
assert abs(equal["blurred"]["psnr"] - equal["noisy"]["psnr"]) < 0.01
assert equal["blurred"]["lpips"] > equal["noisy"]["lpips"] and equal["blurred"]["swd"] > equal["noisy"]["swd"]
if not FAST:
    assert clean_to_corners > max(v["swd"] for v in equal.values())  # further than either degraded set is paired
    assert abs(equal["blurred"]["swd unpaired"] - clean_to_corners) < 0.05 * clean_to_corners  # as close as clean
    assert equal["blurred"]["swd unpaired"] <= clean_to_corners  # the clean set is not ranked first
    assert 60 < equal["noisy"]["swd unpaired"] - clean_to_corners < 80  # about 70 above the clean crops
for value, text, fmt in ((equal["blurred"]["psnr"], "28.88", ".2f"), (equal["blurred"]["lpips"], "0.262", ".3f"),
                         (equal["noisy"]["lpips"], "0.141", ".3f"), (equal["blurred"]["swd"], "185.3", ".1f"),
                         (equal["noisy"]["swd"], "85.6", ".1f"), (clean_to_corners, "265.7", ".1f"),
                         (equal["blurred"]["swd unpaired"], "261.8", ".1f"),
                         (equal["noisy"]["swd unpaired"], "336.1", ".1f")):
    shows(value, text, fmt)
# Section 4: the nominal coverage and the printouts
assert abs(simulated - nominal) < 0.005 and abs(formula - nominal) < 1e-9
assert eta0_above == len(rows)  # GOUB's eta = 0 above its draws on every photograph
assert spread["goub"] > (3 if FAST else 10) * spread["rdbm"] and abs(gain["rdbm"]) < 0.05  # RDBM's draws hardly differ
assert coverage["goub"] < nominal - 0.3 and coverage["rdbm"] < coverage["goub"]  # over-confident
assert rms_spread["goub"] / rms_error["goub"] < exact_ratio / 2  # the RMS spread far below the RMS error
assert 0.2 < corr["rdbm"] < 0.8 and 0.2 < corr["goub"] < 0.8  # moderately
assert inflation > 2 and inflation > exact_ratio / picture_ratio  # the one-by-one factor exceeds the RMS one
if not FAST:
    assert 0 < gain["goub"] < 1.0 < exact_gain  # a few tenths of a dB, far below exact draws' gain
    assert corr_gap[1] < 0 < corr_gap[2]  # GOUB - RDBM correlation: the interval contains 0
for value, text, fmt in ((simulated, "0.898", ".3f"), (nominal, "0.899", ".3f"), (eta0_above, "12", "d"),
                         (spread["rdbm"], "0.00044", ".5f"), (spread["goub"], "0.00661", ".5f"),
                         (spread["goub"] / spread["rdbm"], "15", ".0f"), (gain["rdbm"], "+0.00", "+.2f"),
                         (coverage["goub"], "0.296", ".3f"), (coverage["rdbm"], "0.017", ".3f"),
                         (rms_spread["goub"] / rms_error["goub"], "0.26", ".2f"), (exact_ratio, "0.94", ".2f"),
                         (picture_ratio, "0.28", ".2f"), (exact_ratio / picture_ratio, "3.3", ".1f"),
                         (corr["rdbm"], "0.46", ".2f"), (corr["goub"], "0.51", ".2f"), (gain["goub"], "+0.27", "+.2f"),
                         (exact_gain, "2.50", ".2f"), (inflation, "16.4", ".1f")):
    shows(value, text, fmt)
shows(interval(*corr_gap, 2), "+0.05 [-0.03, +0.13]", "")
# Section 4, the ladder's draws (committed snapshot; not FAST-dependent): three seeds, intervals far from exact
assert LADDER_DRAWS == 4 and f"{ladder_nominal:.3f}" == "0.828" and f"{ladder_exact_gain:.2f}" == "2.04"
for (task, m), c in calibration["coverage_2sd"].items():
    g = calibration[DRAW_GAIN][(task, m)]
    assert c["seeds"] == ["0", "1", "2"] and c["items"] == 144
    assert max(c["high"], c["t_high"]) < ladder_nominal / 1.5  # every coverage interval far below exact draws
    assert max(g["high"], g["t_high"]) < ladder_exact_gain / 4  # every gain interval far below exact draws
    if m == "rdbm":
        assert f"{c['mean']:.3f}" == "0.012"
goub_cov = {t: calibration["coverage_2sd"][(t, "goub")] for t in LADDER_TASKS}
goub_gain = {t: calibration[DRAW_GAIN][(t, "goub")] for t in LADDER_TASKS}
for d, text, fmt in ((goub_cov["derain"], "0.220 [0.157, 0.283]", ".3f"),
                     (goub_cov["inpaint"], "0.248 [0.071, 0.425]", ".3f"),
                     (goub_gain["derain"], "+0.17 [+0.12, +0.22]", "+.2f"),
                     (goub_gain["inpaint"], "+0.34 [+0.29, +0.39]", "+.2f")):
    assert f"{d['mean']:{fmt}} [{d['t_low']:{fmt}}, {d['t_high']:{fmt}}]" == text
# Section 5: the verdicts the text states, on the committed snapshot, under the rule of both intervals
BRIDGES = ["rdbm", "rdbm-global", "goub", "bbdm", "ddbm-ve", "i2sb", "irsde"]
assert sorted(derain) == sorted(BRIDGES) and all(s == ["0", "1", "2"] for s in derain_seeds.values())
assert 15 < comparison_wall < 60  # about half a minute
assert all(verdict_of(by["lpips_st"]) == "regression" for by in derain.values())
assert [m for m, by in derain.items() if verdict_of(by["psnr"]) != "regression"] == ["i2sb"]
i2sb = derain["i2sb"]["psnr"]
assert float(i2sb["high"]) < 0 < float(i2sb["t_high"])  # the hierarchical interval excludes 0, the t one does not
assert interval(float(i2sb["mean"]), float(i2sb["t_low"]), float(i2sb["t_high"]), 2) == "-1.04 [-2.31, +0.23]"
established_psnr = [float(by["psnr"]["mean"]) for by in derain.values() if verdict_of(by["psnr"]) == "regression"]
assert f"{-max(established_psnr):.2f}" == "0.65" and f"{-min(established_psnr):.2f}" == "1.91"
assert [m for m, by in derain.items() if verdict_of(by["swd"]) == "regression"] == ["rdbm", "rdbm-global"]
assert all(verdict_of(by["swd"]) == "none" for m, by in derain.items() if m not in ("rdbm", "rdbm-global"))
assert f"{float(derain['rdbm']['swd']['t_low']):+.1f}" == "+0.2"  # by a hair
assert not any(verdict_of(g) == "bridge" for g in plane_gaps)  # no method ahead, any task, any sampling
assert all(verdict_of(g) == "no verdict" for g in plane_gaps if g["task"] != "derain")  # fewer than 3 seeds there
assert all(int(g["seeds"]) < 3 for g in plane_gaps if g["task"] == "derain" and not g["a"].endswith("-eta0"))
# Section 6: the statements of its reading, on the committed snapshot
rungs = sorted({s for (_, s, _, metric) in ladder if metric == "psnr"})
assert rungs[:3] == [250, 1000, 4000]
assert all((t, s, m, "psnr") in ladder for t in LADDER_TASKS for s in RUNGS for m in ("rdbm", "goub"))
assert all(int(g["seeds"]) >= 3 for g in ladder.values())  # every eta = 0 gap has a verdict
for task in LADDER_TASKS:  # RDBM: wider from 250 to 1000 on five seeds, no further change established to 4000
    first = changes[(task, "rdbm", 250, 1000)]
    assert first["verdict"] == "wider" and len(first["seeds"]) >= 5 and first["t_high"] < 0
    assert changes[(task, "rdbm", 1000, 4000)]["verdict"] == "none"
    assert all(c["verdict"] == "none" for (t, m, _, _), c in changes.items() if t == task and m == "goub")  # GOUB
for (task, method, before, after), text in ((("derain", "rdbm", 250, 1000), "-1.11"),
                                            (("inpaint", "rdbm", 250, 1000), "-1.06")):
    assert f"{changes[(task, method, before, after)]['mean']:+.2f}" == text
assert all(b < a for m in trend for b, a in zip(trend[m], trend[m][1:]))  # every method improves with training
gained = {m: trend[m][-1] - trend[m][0] for m in trend}
assert gained["rdbm"] < min(gained["regression"], gained["goub"])  # RDBM gains less than regression and GOUB
for value, text in ((trend["rdbm"][0], "25.89"), (trend["rdbm"][-1], "28.49"), (trend["regression"][0], "27.74"),
                    (trend["regression"][-1], "31.62"), (trend["goub"][0], "26.51"), (trend["goub"][-1], "30.78")):
    assert f"{value:.2f}" == text
assert all(len(seed_ids(ladder_items, draws_250[(t, 250, m, "psnr")])) >= 3 for t in LADDER_TASKS
           for m in ("rdbm", "goub"))
assert all(v == ["psnr", "lpips_st", "swd"] for (t, _), v in one_draw.items() if t == "derain")
assert all(v == [] and all(verdict_of(draws_250[(t, 250, m, me)]) == "none" for me in ("psnr", "lpips_st", "swd"))
           for (t, m), v in one_draw.items() if t == "inpaint")
assert verdict_of(swd5) == "none" and verdict_of(swd6) == "regression"  # the two studies' GOUB SWD verdicts
assert swd_t[0].endswith("[-12.2, +60.0]") and swd_t[1].endswith("[+9.8, +26.0]")
assert len(seed_ids(ladder_items, ladder[("derain", 250, "goub", "psnr")])) == 5
assert not any(r["method"] == "goub-tiny-4000-eta1" for r in ladder_items)  # GOUB not drawn at 4000 (section 7)
assert not any(verdict_of(g) == "bridge" for g in ladder_gaps)  # no bridge ahead, any sampling, preset or rung
