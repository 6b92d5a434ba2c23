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
# **What you will learn.** Why a one-pass regression network wins on PSNR *by construction*, what a generative
# restorer promises instead (restorations that look like real images, several plausible answers, and an honest
# spread), how to measure that promise (a learned perceptual distance, a distribution distance, the spread of
# several draws and its calibration), and what the bridges trained in this project actually deliver at the
# budgets a CPU affords.
#
# **Prerequisites.** Notebooks 06 (training a restoration network; the regression baseline), 07 (paired
# comparisons with intervals over training seeds, photographs and windows) and 10 (a learned bridge on a toy
# whose posterior is known).
#
# **Full-mode wall time:** about 3 min with one torch thread. The three networks are rungs of the project's
# training-budget ladder (`python -m experiments budget_ladder`), shipped with the course
# (`rdbm_course.pretrained`): the tiny U-Net trained for 1000 iterations on deraining, as the one-pass regression
# network, as RDBM ($\lambda = 10^{-4}$) and as GOUB ($\lambda = (30/255)^2$), training seed 0. The plane and the
# ladder of sections 5 and 6 are read from the studies' committed results. `FAST=1` (CI) uses two photographs
# and two draws: its numbers mean nothing.
#
# **Notation.** $x_0$ is the clean image, $\mu$ the degraded one. A *draw* is one run of a stochastic sampler
# (here the implicit sampler with $\eta = 1$, 10 steps); $K$ draws of one item are $X_1, \dots, X_K$, their
# mean $\bar X$ and their per-pixel standard deviation $S$ (the *spread*). The *posterior* is
# $p(x_0 \mid \mu)$: every clean image that could have produced $\mu$, weighted by how likely it is.

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display
from tqdm.auto import tqdm

from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.data.files import read_rows
from rdbm_core.evidence.distribution import sliced_wasserstein
from rdbm_core.evidence.diversity import draw_metrics, nominal_coverage
from rdbm_core.evidence.metrics import psnr
from rdbm_core.evidence.perceptual import lpips_st
from rdbm_core.restoration.evaluation import restore
from rdbm_course import pretrained

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
    (eta = 1), every draw from its own generator; 10 sampler steps."""
    out = {}
    model, path, _ = NETWORKS["regression"]
    out["regression"] = restore(model, path, mu[None], tile=0)[0]
    for name in ("rdbm", "goub"):
        model, path, _ = NETWORKS[name]
        out[f"{name} eta=0"] = restore(model, path, mu[None], tile=0, eta=0.0)[0]
        out[f"{name} draws"] = torch.stack([
            restore(model, path, mu[None], tile=0, eta=1.0, generator=torch.Generator().manual_seed(1000 * seed + k))[0]
            for k in range(draws)])
    return out


# %% [markdown]
# ## 1. A picture first
#
# One rainy photograph of the held-out benchmark (never trained on), restored four ways: by the regression network
# in one pass, by one GOUB draw, by the mean of eight GOUB draws, and, for comparison, the truth. The second row
# zooms into the square drawn on the first. Read the titles: PSNR (higher is better) and the ST-LPIPS distance
# (section 3; lower is better).

# %%
def show(img):
    return ((img.clamp(-1, 1) + 1) / 2).permute(1, 2, 0).numpy()


x0_pic, mu_pic = centre(photos[photos.names.index("mountain_path")])
pic = restorations(mu_pic, draws=DRAWS, seed=99)
panels = {"rainy input": mu_pic, "regression (one pass)": pic["regression"], "GOUB, one draw": pic["goub draws"][0],
          f"GOUB, mean of {DRAWS} draws": pic["goub draws"].mean(0), "truth": x0_pic}
zoom = (slice(40, 88), slice(52, 100))  # 48 x 48 pixels with grass, stones and rain streaks
fig, axes = plt.subplots(2, 5, figsize=(15, 6.6), layout="constrained")
for ax, zax, (title, img) in zip(axes[0], axes[1], panels.items()):
    ax.imshow(show(img))
    ax.add_patch(plt.Rectangle((zoom[1].start, zoom[0].start), 48, 48, fill=False, color="yellow", lw=1.5))
    score = "" if title == "truth" else (f"\nPSNR {psnr(img, x0_pic):.2f} dB, "
                                         f"ST-LPIPS {float(lpips_st(img[None], x0_pic[None])):.3f}")
    ax.set_title(title + score, fontsize=10)
    zax.imshow(show(img[:, zoom[0], zoom[1]]), interpolation="nearest")
    zax.set_title("zoom", fontsize=10)
for ax in axes.flat:
    ax.set_axis_off()
plt.show()
score = {k: (psnr(v, x0_pic), float(lpips_st(v[None], x0_pic[None]))) for k, v in panels.items()}
draw, mean8 = score["GOUB, one draw"], score[f"GOUB, mean of {DRAWS} draws"]
assert score["regression (one pass)"][0] > draw[0] and score["regression (one pass)"][1] < draw[1]
assert mean8[0] > draw[0] and mean8[1] < draw[1]

# %% [markdown]
# At this budget the regression network is ahead of the GOUB draw on both numbers, and the draw is not visibly
# sharper. Averaging the draws recovers part of the loss on both numbers (asserted above). That is the honest state
# of these small networks; the rest of the notebook explains what a bridge *should* buy, how to measure it, and how
# far these networks are from it.

# %% [markdown]
# ## 2. Why the mean wins PSNR
#
# PSNR is a monotone function of the mean squared error, and among all estimates $\hat x(\mu)$ the one that
# minimises $\mathbb{E}\,\lVert \hat x(\mu) - x_0\rVert^2$ is the posterior mean $\mathbb{E}[x_0 \mid \mu]$. A
# regression network trained with an L2 loss estimates exactly that (with L1, the posterior median; the same
# argument holds). A generative restorer instead returns a *draw* $X \sim p(x_0 \mid \mu)$: a single plausible clean
# image. When the degradation destroyed information, the posterior is wide, the mean blurs the possibilities
# together, and a draw commits to one of them.
#
# A toy with a known posterior makes this exact. A pixel value is $x_0 = \pm 1$ (each with probability 1/2) plus a
# little texture, $\mathcal{N}(0, 0.15^2)$; we observe $\mu = x_0 + \mathcal{N}(0, 0.6^2)$. The posterior is a
# mixture of two Gaussians, computed in closed form below. We restore 20,000 pixels by the posterior mean and by one
# posterior draw, and measure two things: the mean squared error (distortion), and the Wasserstein-1 distance
# between the *set* of restorations and a fresh set of clean values (perception: does the restored set look like
# clean data?).

# %%
rng = np.random.default_rng(0)
N, TEXTURE, NOISE = 20_000, 0.15, 0.6
x_clean = rng.choice([-1.0, 1.0], N) + TEXTURE * rng.standard_normal(N)
y = x_clean + NOISE * rng.standard_normal(N)


def posterior(y):
    """Weights, means and common variance of the two Gaussian components of p(x0 | y)."""
    var = 1 / (1 / TEXTURE**2 + 1 / NOISE**2)
    means = np.stack([var * (m / TEXTURE**2 + y / NOISE**2) for m in (-1.0, 1.0)], -1)
    log_w = np.stack([-(y - m) ** 2 / (2 * (TEXTURE**2 + NOISE**2)) for m in (-1.0, 1.0)], -1)
    w = np.exp(log_w - log_w.max(-1, keepdims=True))
    return w / w.sum(-1, keepdims=True), means, var


w, means, var = posterior(y)
post_mean = (w * means).sum(-1)
pick = rng.random(N) < w[:, 1]  # one draw: a component by its weight, then a Gaussian
post_draw = np.where(pick, means[:, 1], means[:, 0]) + np.sqrt(var) * rng.standard_normal(N)
fresh = rng.choice([-1.0, 1.0], N) + TEXTURE * rng.standard_normal(N)  # clean values the estimates never saw


def w1(a, b):
    """Wasserstein-1 distance of two equal-size samples: the mean gap of their sorted values."""
    return float(np.abs(np.sort(a) - np.sort(b)).mean())


toy = {name: {"mse": float(((est - x_clean) ** 2).mean()), "w1": w1(est, fresh)}
       for name, est in (("posterior mean", post_mean), ("one posterior draw", post_draw), ("the noisy input", y))}
display(Markdown("| restoration | MSE (distortion) | W1 to clean data (perception) |\n|---|---|---|\n" + "\n".join(
    f"| {k} | {v['mse']:.4f} | {v['w1']:.4f} |" for k, v in toy.items())))
fig, ax = plt.subplots(figsize=(8, 3.4), layout="constrained")
bins = np.linspace(-2.2, 2.2, 90)
ax.hist(fresh, bins, density=True, histtype="stepfilled", color="0.85", label="clean values")
ax.hist(post_mean, bins, density=True, histtype="step", lw=1.8, label="posterior means")
ax.hist(post_draw, bins, density=True, histtype="step", lw=1.8, label="posterior draws")
ax.set_xlabel("pixel value")
ax.set_ylabel("density")
ax.set_title("The toy: the means lose the texture and fill the gap; the draws look like clean values", fontsize=10)
ax.legend(fontsize=9, loc="upper center")
plt.show()
assert toy["posterior mean"]["mse"] < toy["one posterior draw"]["mse"]   # the mean wins distortion
assert toy["one posterior draw"]["w1"] < toy["posterior mean"]["w1"] / 3  # the draws win perception

# %% [markdown]
# The table and the histogram show the two axes pulling apart. The posterior mean has the smaller error, but its
# values are too concentrated at the centres of the two modes (the texture is averaged away) and spread thinly over
# the gap between them, where clean data almost never is: the *set* of its restorations does not look like clean
# data. The draws land on the modes; their set is distributed like clean data (W1 near zero), at
# the price of a larger error for each pixel. No estimate is best on both axes (Blau and Michaeli, 2018, call this the
# perception–distortion trade-off). A bridge sampler with noise is meant to return draws; a deterministic sampler
# started from $\mu$ (the implicit sampler with $\eta = 0$) sits closer to the mean.

# %% [markdown]
# ## 3. Measuring the perception axis
#
# Pixels are not independent, so the toy's W1 on single values does not carry over to images. Two measures that
# do, both in `rdbm_core.evidence`:
#
# * **ST-LPIPS** (`perceptual.lpips_st`, Ghildyal and Liu, 2022): the distance between deep features of the
#   restoration and of the truth, item by item, from a network trained to agree with human judgements of image
#   similarity, in a variant that tolerates small shifts. Lower is better.
# * **SWD** (`distribution.sliced_wasserstein`, Karras et al., 2018): the sliced Wasserstein distance between the
#   sets of small patches (7 × 7, at several scales of a Laplacian pyramid) of all restorations and of all truths.
#   It compares *sets*, as the toy's W1 did. Lower is better.
#
# A test of both: the 12 photographs' centre crops, once blurred and once with added noise, the noise level chosen so
# that both have the same PSNR.

# %%
crops = [centre(photos[i]) for i in range(PHOTOS)]
truths = torch.stack([c[0] for c in crops])
names = [f"{photos.names[i]}@0,0" for i in range(PHOTOS)]


def blur(x, sigma=1.2):
    r = int(3 * sigma) + 1
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-t**2 / (2 * sigma**2))
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)


blurred = blur(truths)
target = np.mean([psnr(b, x) for b, x in zip(blurred, truths)])
low, high = 0.0, 0.5  # bisect the noise level to the blur's PSNR
for _ in range(30):
    level = (low + high) / 2
    noisy = (truths + level * torch.randn(truths.shape, generator=torch.Generator().manual_seed(0))).clamp(-1, 1)
    low, high = (level, high) if np.mean([psnr(n, x) for n, x in zip(noisy, truths)]) > target else (low, level)
equal = {name: {"psnr": float(np.mean([psnr(a, x) for a, x in zip(imgs, truths)])),
                "lpips": float(lpips_st(imgs, truths).mean()),
                "swd": sliced_wasserstein(imgs, truths, names)["swd"]}
         for name, imgs in (("blurred", blurred), ("noisy", noisy))}
display(Markdown("| degradation | PSNR (dB) | ST-LPIPS | SWD |\n|---|---|---|---|\n" + "\n".join(
    f"| {k} | {v['psnr']:.2f} | {v['lpips']:.3f} | {v['swd']:.1f} |" for k, v in equal.items())))
assert abs(equal["blurred"]["psnr"] - equal["noisy"]["psnr"]) < 0.01
assert equal["blurred"]["lpips"] > equal["noisy"]["lpips"] and equal["blurred"]["swd"] > equal["noisy"]["swd"]

# %% [markdown]
# At equal PSNR both measures call the blurred set worse than the noisy one: a blur removes texture that every real
# photograph has, and both measures see its absence. This is the direction that matters for restoration, because
# averaging (the posterior mean, or the mean of several draws) blurs. PSNR cannot tell the two apart.

# %% [markdown]
# ## 4. Several draws: spread and calibration
#
# A sampler with noise gives a different restoration each run. If the draws were exact posterior draws, their spread
# $S$ would be an honest error bar: where the posterior is wide, the draws disagree and the error is large. The
# check is *calibration*: the fraction of pixel values whose error $|\bar X - x_0|$ lies within $\pm 2S$ should match
# what exact posterior draws give (for a Gaussian posterior, `diversity.nominal_coverage(K)`; with $K = 8$ draws it
# is printed below). Below it, the draws are over-confident.
#
# Each of the 12 benchmark photographs' centre crops, restored by the three networks (this takes a minute or two):

# %%
rows, examples = [], {}
for i, (x0, mu) in enumerate(tqdm(crops, desc="photographs")):
    out = restorations(mu, seed=i)
    row = {"photo": photos.names[i], "input": psnr(mu, x0), "regression": psnr(out["regression"], x0)}
    for name in ("rdbm", "goub"):
        d = draw_metrics(out[f"{name} draws"], x0)
        row.update({f"{name} eta=0": psnr(out[f"{name} eta=0"], x0), f"{name} draw": d["psnr_draws"],
                    f"{name} mean": d["psnr_mean_of_draws"], f"{name} spread": d["spread"],
                    f"{name} coverage": d["coverage_2sd"], f"{name} corr": d["spread_error_corr"]})
    rows.append(row)
    examples[photos.names[i]] = (x0, mu, out)
nominal = nominal_coverage(DRAWS)
columns = ["input", "regression", "rdbm eta=0", "rdbm draw", "goub eta=0", "goub draw", "goub mean"]
display(Markdown(
    "PSNR (dB) of each restoration of the 128 × 128 centre crops; *draw*: the mean over the draws of each draw's "
    f"PSNR; *mean*: the PSNR of the mean of the {DRAWS} draws.\n\n| photograph | " + " | ".join(columns) + " |\n|"
    + "---|" * (len(columns) + 1) + "\n" + "\n".join(
        f"| {r['photo']} | " + " | ".join(f"{r[c]:.2f}" for c in columns) + " |" for r in rows)
    + "\n| **mean** | " + " | ".join(f"**{np.mean([r[c] for r in rows]):.2f}**" for c in columns) + " |"))
spread = {name: float(np.mean([r[f"{name} spread"] for r in rows])) for name in ("rdbm", "goub")}
coverage = {name: float(np.mean([r[f"{name} coverage"] for r in rows])) for name in ("rdbm", "goub")}
corr = {name: float(np.nanmean([r[f"{name} corr"] for r in rows])) for name in ("rdbm", "goub")}
print(f"spread S (mean over pixels, in [0, 1] units): RDBM {spread['rdbm']:.5f}, GOUB {spread['goub']:.5f}")
print(f"fraction of pixel values with |mean - truth| <= 2 S: RDBM {coverage['rdbm']:.3f}, GOUB {coverage['goub']:.3f}"
      f"; exact posterior draws (Gaussian posterior, K = {DRAWS}): {nominal:.3f}")
print(f"correlation of S with |mean - truth| over pixel values: RDBM {corr['rdbm']:.2f}, GOUB {corr['goub']:.2f}")
assert spread["goub"] > 5 * spread["rdbm"]
assert coverage["goub"] < nominal - 0.3 and coverage["rdbm"] < coverage["goub"]

# %% [markdown]
# Three findings, each asserted above:
#
# * **RDBM's draws hardly differ.** With the released $\lambda = 10^{-4}$ its noise is tiny: the spread is more than
#   five times smaller than GOUB's, and the mean of its draws has the PSNR of one draw. RDBM, as released, is in
#   practice a deterministic restorer; its sampler's noise adds discretisation error, not diversity.
# * **GOUB's draws differ, but not enough.** Far fewer pixel values than nominal have their error within two
#   spreads: the spread is several times too small for the errors. The draws are over-confident; their spread is
#   not yet an error bar.
# * **The spread points weakly at the errors** (the correlation printed above): where the draws disagree, the error
#   tends to be larger, but far from reliably.
#
# The pictures of one photograph: GOUB's spread and the error of the mean of its draws, on one colour scale. The
# spread sits on the rain streaks, where the errors are, and it is several times smaller than they are.

# %%
shown = list(examples)[-1]  # the last photograph restored (autumn_hills in full mode)
x0, mu, out = examples[shown]
goub = out["goub draws"]
spread_map = ((goub + 1) / 2).std(0, correction=1).mean(0)
error_map = (((goub.mean(0) + 1) / 2) - ((x0 + 1) / 2)).abs().mean(0)
top = float(torch.quantile(error_map.flatten(), 0.99))
fig, axes = plt.subplots(1, 3, figsize=(12, 4), layout="constrained")
axes[0].imshow(show(mu))
axes[0].set_title(f"rainy input ({shown})", fontsize=10)
for ax, (title, m) in zip(axes[1:], (("GOUB spread S", spread_map), ("|mean of draws - truth|", error_map))):
    im = ax.imshow(m.numpy(), cmap="magma", vmin=0, vmax=top)
    ax.set_title(title, fontsize=10)
fig.colorbar(im, ax=axes[1:], shrink=0.8, label="pixel value, [0, 1] units (mean over channels)")
for ax in axes:
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 5. The distortion–perception plane of the bridge comparison
#
# The project's bridge comparison (`python -m experiments bridge_comparison`) trains every bridge of the family and
# the regression network with one budget (the tiny U-Net, 250 training iterations) and several training seeds, and
# restores version 2 of the held-out benchmark (12 windows of each of 12 photographs). `python -m experiments plane`
# places each (method, sampler) on the plane: PSNR against ST-LPIPS, each with its 95 % hierarchical interval, and
# computes every method's paired gap to regression. The figure and the gaps below are read from the committed
# results (`experiments/results/plane/`), as they stand at this notebook's run.

# %%
plane = RESULTS / "plane"
points = read_rows(plane / "points.csv")
gaps = read_rows(plane / "gaps.csv")
for task in sorted({p["task"] for p in points}):
    display(Markdown(f"**{task}**"))
    img = plt.imread(plane / f"plane_{task}.png")
    fig, ax = plt.subplots(figsize=(img.shape[1] / 110, img.shape[0] / 110), layout="constrained")
    ax.imshow(img)
    ax.set_axis_off()
    plt.show()


def gap_table(rows, metrics=("psnr", "lpips_st", "swd")):
    """One row per (task, method): each metric's gap to regression with its interval and verdict."""
    table = {}
    for r in rows:
        table.setdefault((r["task"], r["a"]), {})[r["metric"]] = r
    lines = ["| task | method − regression | PSNR (dB) | ST-LPIPS | SWD | seeds |", "|---|---|---|---|---|---|"]
    for (task, a), by in table.items():
        cells = []
        for m in metrics:
            r = by.get(m)
            if r is None:
                cells.append("—")
            elif r["low"] in ("nan", "") or not np.isfinite(float(r["low"])):
                cells.append(f"{float(r['mean']):+.3f} (no interval: one seed)")
            else:
                cells.append(f"{float(r['mean']):+.3f} [{float(r['low']):+.3f}, {float(r['high']):+.3f}]")
        lines.append(f"| {task} | {a} | " + " | ".join(cells) + f" | {by['psnr']['seeds']} |")
    return "\n".join(lines)


display(Markdown(gap_table(gaps)))
item_gaps = [g for g in gaps if g["metric"] in ("psnr", "lpips_st")]
bridge_wins_both = [a for a in {g["a"] for g in item_gaps}
                    if float(next(g for g in item_gaps if g["a"] == a and g["metric"] == "psnr")["mean"]) > 0
                    and float(next(g for g in item_gaps if g["a"] == a and g["metric"] == "lpips_st")["mean"]) < 0]
print("bridge points better than regression on both item-level axes (by their means):", bridge_wins_both or "none")
assert not bridge_wins_both
gap = {(g["task"], g["a"], g["metric"]): float(g["mean"]) for g in item_gaps}
noisiest = [(task, a[: -len("-em100")]) for task, a, m in gap if a.endswith("-em100") and m == "psnr"]
for task, method in noisiest:  # the deterministic sampler is nearer to regression than 100 Euler-Maruyama steps
    assert gap[(task, f"{method}-eta0", "psnr")] > gap[(task, f"{method}-em100", "psnr")]
    assert gap[(task, f"{method}-eta0", "lpips_st")] < gap[(task, f"{method}-em100", "lpips_st")]

# %% [markdown]
# Read a gap as "method minus regression": a negative PSNR gap and a positive ST-LPIPS or SWD gap mean that
# regression is better. At this budget no bridge point is ahead of regression on both axes; the verdicts of the
# intervals (in `gaps.csv`, `verdict` column) say which gaps are established with the seeds committed so far. For
# every bridge sampled both ways, the deterministic sampler ($\eta = 0$) is nearer to regression than one draw of
# 100 Euler–Maruyama steps on *both* axes (asserted above): the noisier sampler moves away along the distortion
# axis, as section 2 predicts, and at this budget it buys nothing on the perception axis for it.

# %% [markdown]
# ## 6. Across training budgets
#
# Is that only the budget? The budget ladder (`python -m experiments budget_ladder`) trains regression, RDBM and GOUB
# on deraining and inpainting at 250, 1000, 4000 and 16000 iterations (the tiny U-Net; three to five seeds per rung)
# and measures the gap to regression at each rung. The committed results as they stand:

# %%
ladder = RESULTS / "budget_ladder"
img = plt.imread(ladder / "gaps.png")
fig, ax = plt.subplots(figsize=(img.shape[1] / 100, img.shape[0] / 100), layout="constrained")
ax.imshow(img)
ax.set_axis_off()
plt.show()
ladder_gaps = read_rows(ladder / "gaps.csv")
rungs = sorted({int(g["steps"]) for g in ladder_gaps})
display(Markdown("\n".join(
    f"* **{task}, {steps} iterations:** " + "; ".join(
        f"{g['a'].replace(f'-tiny-{steps}', '')} {g['metric']} {float(g['mean']):+.3f} ({g['verdict']})"
        for g in ladder_gaps if g["task"] == task and int(g["steps"]) == steps and g["metric"] != "swd"
        and not g["a"].endswith("-mean"))
    for task in sorted({g["task"] for g in ladder_gaps}) for steps in rungs
    if any(g["task"] == task and int(g["steps"]) == steps for g in ladder_gaps))))
at_250 = [g for g in ladder_gaps if g["task"] == "derain" and int(g["steps"]) == 250 and g["metric"] != "swd"]
assert at_250 and all(g["verdict"].startswith("regression") for g in at_250)  # established, on PSNR and ST-LPIPS

# %% [markdown]
# The ladder answers the question of this notebook with data, rung by rung: the list above gives every gap the
# committed results hold, with its verdict. At the cheapest rung, regression leads on deraining on PSNR and on
# ST-LPIPS, established for every bridge sampling (asserted above). The
# question the ladder is built to answer is whether that gap shrinks, vanishes or flips as training grows; read the
# higher rungs above (and rerun this notebook when the ladder has more rungs: it reads whatever is committed).
#
# **What a bridge is for, then.** Not a higher PSNR: the posterior mean owns that axis. A bridge with a real noise
# level (GOUB here, not RDBM at $\lambda = 10^{-4}$) can return several different restorations whose spread says where
# the input was ambiguous, and, once it is trained well enough, restorations whose *set* looks like clean images. The
# networks a CPU trains in minutes deliver neither yet: their draws are over-confident and their restorations are no
# closer to clean images than regression's. Measuring both axes, with intervals over the real units, is how one
# tells when that changes.

# %%
print(f"this run: {time.perf_counter() - NOTEBOOK_START:.0f} s with one torch thread")

# %% [markdown]
# ## Exercises
#
# **13.1 (derive).** In section 2 one posterior draw had a larger mean squared error than the posterior mean.
# Suppose the draws are exact posterior draws, $X_1, \dots, X_K$ independent given $\mu$, and let
# $m = \mathbb{E}[x_0 \mid \mu]$. Derive, as a function of $K$, how many decibels of PSNR the mean of the $K$ draws
# loses against the posterior mean: $10 \log_{10}$ of the ratio of their mean squared errors,
# $\mathbb{E}\lVert \bar X - x_0 \rVert^2 / \mathbb{E}\lVert m - x_0 \rVert^2$. (Hint: the truth $x_0$ is itself
# distributed like one more posterior draw, independent of the others.) Give a SymPy expression in the symbol `K`.

# %%
import sympy as sp  # noqa: E402

from rdbm_course.exercises import check  # noqa: E402

K = sp.Symbol("K", positive=True)
answer_13_1 = ...
check("13.1", answer_13_1)

# %% [markdown]
# **13.2 (implement).** Another calibration check of $K$ draws needs no Gaussian assumption: the fraction of pixel
# values whose truth lies between the smallest and the largest of the $K$ draws. Write
# `range_coverage(draws, truth)` for `draws` of shape `[K, C, H, W]` and `truth` of shape `[C, H, W]` (any value
# range), returning that fraction as a float (a value equal to the smallest or largest draw counts as inside).

# %%
def range_coverage(draws, truth):
    ...


answer_13_2 = ...  # your function: range_coverage
check("13.2", answer_13_2)

# %% [markdown]
# **13.3 (predict).** If the $K$ draws and the truth were independent draws from the same continuous distribution
# (exact posterior draws), what fraction of pixel values would `range_coverage` give on average, for $K = 8$? Give a
# number. Then compute `range_coverage` of GOUB's draws in section 4 and compare.

# %%
answer_13_3 = ...
check("13.3", answer_13_3)
