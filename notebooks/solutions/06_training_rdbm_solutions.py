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
# # 06 — Solutions to the exercises
#
# **What you will learn.** How the RDBM loss is assembled from the marginal and how much of it comes from the
# degraded and from the intact pixels, how PSNR is measured on a region, why a whole-image PSNR is dominated
# by its worst region, when the EMA decay's warm-up ends, and how the batch size changes the noise of the losses.
# **Prerequisites.** Notebook 06, and an attempt at its exercises.

# %%
import math

import torch
from IPython.display import display

from rdbm_core.bridge import bridges
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.data.degradations import degraded_mask
from rdbm_core.evidence.metrics import psnr
from rdbm_course.exercises import check

# %% [markdown]
# ## 06.1 The RDBM training loss, split by region
#
# The marginal is $x_t = \mu + \Theta_t\pi + \Sigma_t\,\pi\,\varepsilon$ with $\pi = x_0 - \mu$: the noise is
# multiplied by the residual. `bridge.coefficients(t)` gives $(\Theta_t, \Psi_t, \Sigma_t)$ as float64 tensors
# of shape [B] ($\Sigma_t = \sqrt{\lambda v_t}$ already holds `lam`; $\Psi_t$ is not needed in this form); each is
# reshaped to [B, 1, 1, 1] and cast to the images' dtype so it broadcasts over channels and pixels. The model
# returns $\hat x_0$ (its skip $\hat x_0 = \mu + \mathrm{net}(x_t, \mu, t)$ is inside it), and the loss is the
# mean absolute error over all $n$ values of the batch (images × channels × pixels):
# $L = \frac1n\sum |\hat x_0 - x_0| = \frac1n\sum_{\text{degraded}} |\hat x_0 - x_0| + \frac1n\sum_{\text{intact}} |\hat x_0 - x_0|$.
# Both parts divide by $n$, not by the size of their region; that is what makes them add up to the loss.
#
# A pixel is degraded when *some* channel changed by more than half an 8-bit level: $0.5/255$ in [0, 1] units,
# $1/255$ in the [-1, 1] units of the tensors (a strict `>`: exactly $1/255$ is intact). Then all its channels
# count as degraded.

# %%
def loss_by_region(model, x0, mu, bridge, t, eps):
    theta, _, sigma = bridge.coefficients(t)  # float64 [B]
    theta = theta.to(x0).reshape(-1, 1, 1, 1)  # [B, 1, 1, 1]
    sigma = sigma.to(x0).reshape(-1, 1, 1, 1)
    residual = x0 - mu
    x_t = mu + theta * residual + sigma * residual * eps
    error = (model(x_t, mu, t) - x0).abs()  # [B, C, H, W]
    degraded = residual.abs().amax(dim=1, keepdim=True) > 1 / 255  # [B, 1, H, W]: some channel, half a level
    degraded = degraded.expand_as(error)
    return float(error[degraded].sum() / error.numel()), float(error[~degraded].sum() / error.numel())


feedback = check("06.1", loss_by_region)
display(feedback)
assert feedback

# %% [markdown]
# A sanity check: for a "network" that returns `mu`, the two parts add up to the batch's mean `|x0 - mu|`,
# whatever the time and the noise, and the intact part is at most `1/255` (the largest change an intact pixel
# can have): intact pixels contribute little to the loss.

# %%
torch.manual_seed(0)
bridge = bridges.rdbm()
x0 = torch.rand(2, 3, 8, 8) * 2 - 1
mu = x0.clone()
mu[:, :, :3] = torch.rand(2, 3, 3, 8) * 2 - 1  # degraded rows
mu[:, :, 3:5] += 0.6 / 255  # changed by 0.3 of an 8-bit level: intact
degraded_part, intact_part = loss_by_region(lambda x_t, mu, t: mu, x0, mu, bridge, torch.tensor([5, 60]),
                                            torch.randn(2, 3, 8, 8))
print(f"degraded part {degraded_part:.4f} + intact part {intact_part:.6f} = {degraded_part + intact_part:.4f}; "
      f"mean |x0 - mu| = {float((x0 - mu).abs().mean()):.4f}")
assert abs(degraded_part + intact_part - float((x0 - mu).abs().mean())) < 1e-6 and 0 < intact_part <= 1 / 255

# %% [markdown]
# **(b)** Notebook 06's cell applies the trainer's loss function to the shipped EMA networks on the training
# batches of iterations k = 0..3, with the times and noise the trainer drew for them (not the logged losses of
# iterations 1-4, which are those of the raw weights). The next cell does the same with the function above and
# prints what notebook 06's cell prints.

# %%
import numpy as np

from rdbm_core.networks.training import step_generator, training_loss
from rdbm_course import pretrained, training_lesson

torch.set_num_threads(1)
split = {}
for task in ("derain", "inpaint"):
    network, task_bridge, config = pretrained.load(f"nb06_{task}")
    pool = training_lesson.training_pool(config)
    parts, shares = [], []
    for k in range(4):
        x0, mu, t, eps = training_lesson.trainer_batch(config, pool, k, task_bridge)  # the trainer's draws
        with torch.no_grad():
            trainer_loss = float(training_loss(network, task_bridge, x0, mu, config, step_generator(config.seed, k, 0)))
            parts.append(loss_by_region(network, x0, mu, task_bridge, t, eps))
        shares.append(float(degraded_mask(x0, mu).float().mean()))
        assert abs(sum(parts[-1]) - trainer_loss) < 1e-4
    (degraded_part, intact_part), share = np.mean(parts, axis=0), np.mean(shares)
    split[task] = dict(intact_share_of_loss=intact_part / (degraded_part + intact_part), degraded_pixels=share,
                       degraded_error=degraded_part / share, intact_error=intact_part / (1 - share))
    print(f"{task:8s}: degraded part {degraded_part:.4f}, intact part {intact_part:.4f} "
          f"({100 * intact_part / (degraded_part + intact_part):.0f} % of the loss); degraded pixels "
          f"{100 * share:.0f} % of the batches; mean error per value: degraded {degraded_part / share:.4f}, "
          f"intact {intact_part / (1 - share):.4f}")
derain, inpaint = split["derain"], split["inpaint"]
assert inpaint["intact_share_of_loss"] > derain["intact_share_of_loss"]
assert inpaint["degraded_pixels"] < derain["degraded_pixels"] and inpaint["degraded_error"] > 1.5 * derain["degraded_error"]
assert abs(inpaint["intact_error"] / derain["intact_error"] - 1) < 0.2

# %% [markdown]
# The intact pixels make the larger share of the loss in **inpainting** (16 % against 9 %). Each part is the share of
# the batch's values in the region times the mean error per value there:
#
# * **Intact part.** The error per intact value is about the same in both tasks (0.0029 for deraining, 0.0031 for
#   inpainting), but inpainting has many more intact pixels (82 % of these batches against 55 %, 100 % minus the
#   printed degraded shares): its intact part is larger (0.0026 against 0.0016).
# * **Degraded part.** The error per degraded value is about twice as large in inpainting (0.0720 against 0.0347: a
#   hole is harder to fill than a streak to remove), but inpainting degrades far fewer pixels (18 % against 45 %):
#   its degraded part is smaller (0.0132 against 0.0155).
#
# Both effects raise inpainting's intact share. The degraded shares of these four batches (45 % and 18 %) are close
# to those over each whole run (42 % and 21 %, notebook 06, section 3).

# %% [markdown]
# ## 06.2 PSNR on a region
#
# The library measures on [0, 1] images: $x \mapsto (x + 1)/2$, clamped to [0, 1] (a network's raw output can
# leave [-1, 1]). With a peak of 1, $\mathrm{PSNR} = 10 \log_{10}(1/\mathrm{MSE})$, the MSE taken over the
# masked pixels and all channels; an identical region has MSE 0 and PSNR $+\infty$ (`1 / 0` would raise in
# Python, so that case is returned explicitly). An empty mask has no pixel to average over: `nan`.

# %%
def psnr_region(pred, target, mask):
    if not mask.any():
        return math.nan  # no pixel: no PSNR
    p = ((pred.double() + 1) / 2).clamp(0, 1)  # [0, 1] images
    q = ((target.double() + 1) / 2).clamp(0, 1)
    mse = float(((p - q)[:, mask[0]] ** 2).mean())  # over the masked pixels, all channels
    return math.inf if mse == 0 else 10 * math.log10(1 / mse)


feedback = check("06.2", psnr_region)
display(feedback)
assert feedback

# %% [markdown]
# ## 06.3 Whole-image PSNR from the regions
#
# What adds up over pixels is the squared error: $\mathrm{MSE} = f\,\mathrm{MSE}_d + (1-f)\,\mathrm{MSE}_i$
# with $\mathrm{MSE} = 10^{-\mathrm{PSNR}/10}$. The prediction of the exercise: 40 dB on 90 % and 10 dB on 10 % of
# the pixels give $-10\log_{10}(0.9\cdot 10^{-4} + 0.1\cdot 10^{-1}) \approx 20$ dB, not the 37 dB an
# area-weighted average of decibels suggests: the worst region dominates.

# %%
def whole_psnr(psnr_degraded, psnr_intact, fraction):
    mse = fraction * 10 ** (-psnr_degraded / 10) + (1 - fraction) * 10 ** (-psnr_intact / 10)
    return -10 * math.log10(mse)


print(f"40 dB on 90 %, 10 dB on 10 %: {whole_psnr(10, 40, 0.1):.2f} dB")
print(f"12.29 dB on 21 %, identical (inf dB) elsewhere: {whole_psnr(12.29, math.inf, 0.21):.2f} dB")
feedback = check("06.3", whole_psnr)
display(feedback)
assert feedback

# %% [markdown]
# On the first four of the notebook's deraining benchmark windows (the rainy inputs against their targets, no
# network needed), the formula gives back each window's whole-image PSNR from its degraded fraction and its two
# regional PSNRs. The whole-image PSNR is no area-weighted average of the regions in decibels: it stays close to the
# worse region.

# %%
benchmark = HeldOutBenchmark("derain", version=2)
for item in (benchmark[i] for i in range(4)):
    degraded = degraded_mask(item["x0"], item["mu"])
    fraction = float(degraded.float().mean())
    regions = psnr(item["mu"], item["x0"], degraded), psnr(item["mu"], item["x0"], ~degraded)
    whole = psnr(item["mu"], item["x0"])
    print(f"fraction {fraction:.3f}, degraded {regions[0]:.2f} dB, intact {regions[1]:.2f} dB: "
          f"formula {whole_psnr(*regions, fraction):.2f} dB, measured {whole:.2f} dB, "
          f"area-weighted dB {fraction * regions[0] + (1 - fraction) * regions[1]:.2f}")
    assert abs(whole_psnr(*regions, fraction) - whole) < 1e-4

# %% [markdown]
# The same reason keeps the formula from reproducing the notebook's table of means: they are means of per-window
# PSNRs, and a mean of PSNRs is not the PSNR of the mean squared error.
#
# ## 06.4 The EMA decay during warm-up
#
# Below the cap the decay is $d_k = (1 + k)/(10 + k)$, which rises towards 1. It reaches the cap when
# $(1 + k)/(10 + k) \ge 0.999$. Multiply by $10 + k > 0$: $1 + k \ge 9.99 + 0.999\,k$, so $0.001\,k \ge 8.99$ and
# $k \ge 8990$. The first such integer is $k = 8990$ (where $d_k = 8991/9000 = 0.999$ exactly), far beyond the
# 300 and 600 iterations of notebook 06: its runs never leave the warm-up.
#
# The deraining run's last update is $k = 299$: $d_{299} = 300/309 \approx 0.971$, an average over roughly
# $1/(1 - 0.971) = 309/9 \approx 34$ recent iterations; inpainting's last, $k = 599$, gives $600/609 \approx 0.985$
# and about $609/9 \approx 68$. The network that restores images is an average of the end of each run, not its
# last weights, nor its whole history.

# %%
from fractions import Fraction

from rdbm_core.networks.training import ema_decay

first = math.ceil((10 * Fraction("0.999") - 1) / (1 - Fraction("0.999")))  # exact: 8.99 / 0.001
print(f"first k with d_k >= 0.999: {first}; d_k there {ema_decay(0.999, first)!r}, one earlier "
      f"{ema_decay(0.999, first - 1):.7f}")
for task, iterations in (("derain", 300), ("inpaint", 600)):
    last = ema_decay(0.999, iterations - 1)
    print(f"{task}: decay at the last iteration (k = {iterations - 1}) {last:.4f}, averaging roughly "
          f"{1 / (1 - last):.0f} iterations")
assert first == 8990 and ema_decay(0.999, first) >= 0.999 > ema_decay(0.999, first - 1)
assert abs(ema_decay(0.999, 299) - 300 / 309) < 1e-12
feedback = check("06.4", first)
display(feedback)
assert feedback

# %% [markdown]
# ## 06.5 The first losses with a smaller batch
#
# Each logged loss is a mean over the batch's images, their pixels and their random bridge times. With a quarter
# of the images, that mean varies about $\sqrt{8/2} = 2$ times as much from one iteration to the next: the answer
# is `"noisier"`. The level of the curve barely moves in 20 iterations. Notebook 06's cell shows it on the probe;
# the checker measures the same with the library's trainer on the fast configuration (a tiny network, seconds).

# %%
import tempfile
from dataclasses import replace

from rdbm_core.networks.config import TrainConfig
from rdbm_core.networks.training import train

with tempfile.TemporaryDirectory() as out:
    config = TrainConfig.smoke(task="derain", device="cpu", out=out)  # 20 iterations of a tiny network
    spread = {batch: float(np.diff(train(replace(config, batch=batch), progress=False)["losses"]).std())
              for batch in (8, 2)}
print(f"spread of the changes between iterations (std of diff): batch 8 {spread[8]:.4f}, batch 2 {spread[2]:.4f} "
      f"(ratio {spread[2] / spread[8]:.2f}; 1/sqrt(batch) predicts 2)")
assert spread[2] > 1.3 * spread[8]
feedback = check("06.5", "noisier")
display(feedback)
assert feedback
