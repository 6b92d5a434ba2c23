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
# **What you will learn.** How the RDBM loss is assembled from the marginal, how PSNR is measured on a region,
# and why a whole-image PSNR is dominated by its worst region.
# **Prerequisites.** Notebook 06, and an attempt at its exercises.

# %%
import math

import torch
from IPython.display import display

from rdbm_core import bridges
from rdbm_course.exercises import check
from rdbm_core.metrics import psnr

# %% [markdown]
# ## 06.1 The RDBM training loss
#
# The marginal is $x_t = \mu + \Theta_t\pi + \Sigma_t\,\pi\,\varepsilon$ with $\pi = x_0 - \mu$: the noise is
# multiplied by the residual. `bridge.coefficients(t)` gives $(\Theta_t, \Psi_t, \Sigma_t)$ as float64 tensors
# of shape [B] ($\Sigma_t = \sqrt{\lambda v_t}$ already holds `lam`; $\Psi_t$ is not needed in this form); each is
# reshaped to [B, 1, 1, 1] so it broadcasts over channels and pixels. The model returns $\hat x_0$ (its skip
# $\hat x_0 = \mu + \mathrm{net}(x_t, \mu, t)$ is inside it), and the reference loss is the mean absolute error
# over every image, channel and pixel.

# %%
def rdbm_loss(model, x0, mu, bridge, t, eps):
    theta, _, sigma = bridge.coefficients(t)  # float64 [B]
    theta = theta.to(x0).reshape(-1, 1, 1, 1)  # [B, 1, 1, 1]
    sigma = sigma.to(x0).reshape(-1, 1, 1, 1)
    residual = x0 - mu
    x_t = mu + theta * residual + sigma * residual * eps
    return (model(x_t, mu, t) - x0).abs().mean()


feedback = check("06.1", rdbm_loss)
display(feedback)
assert feedback

# %% [markdown]
# A quick sanity check of the idea: with a "network" that returns `mu`, the loss is the mean absolute residual,
# whatever the time and the noise.

# %%
bridge = bridges.rdbm()
x0, mu = torch.rand(2, 3, 8, 8) * 2 - 1, torch.rand(2, 3, 8, 8) * 2 - 1
loss = rdbm_loss(lambda x_t, mu, t: mu, x0, mu, bridge, torch.tensor([5, 60]), torch.randn(2, 3, 8, 8))
assert torch.isclose(loss, (x0 - mu).abs().mean())

# %% [markdown]
# ## 06.2 PSNR on a region
#
# The library measures on [0, 1] images: $x \mapsto (x + 1)/2$, clamped to [0, 1] (a network's raw output can
# leave [-1, 1]). With a peak of 1, $\mathrm{PSNR} = 10 \log_{10}(1/\mathrm{MSE})$, the MSE taken over the
# masked pixels and all channels; an identical region has MSE 0 and PSNR $+\infty$ (`1 / 0` would raise in
# Python, so that case is returned explicitly).

# %%
def psnr_region(pred, target, mask):
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
print(f"13.49 dB on 20 %, identical (inf dB) elsewhere: {whole_psnr(13.49, math.inf, 0.2):.2f} dB")
feedback = check("06.3", whole_psnr)
display(feedback)
assert feedback

# %% [markdown]
# And on a real pair, the formula reproduces the library's whole-image PSNR from its two regional values:

# %%
target = torch.rand(3, 32, 32) * 2 - 1
pred = (target + 0.05 * torch.randn(3, 32, 32)).clamp(-1, 1)
mask = torch.zeros(1, 32, 32, dtype=torch.bool)
mask[:, :8] = True
pred[:, mask[0]] = (pred[:, mask[0]] + 0.3).clamp(-1, 1)
combined = whole_psnr(psnr(pred, target, mask), psnr(pred, target, ~mask), float(mask.float().mean()))
print(f"from the regions: {combined:.4f} dB, whole image: {psnr(pred, target):.4f} dB")
assert abs(combined - psnr(pred, target)) < 1e-4
