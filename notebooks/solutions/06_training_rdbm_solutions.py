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
# degraded and from the intact pixels, how PSNR is measured on a region, and why a whole-image PSNR is dominated
# by its worst region.
# **Prerequisites.** Notebook 06, and an attempt at its exercises.

# %%
import math

import torch
from IPython.display import display

from rdbm_core import bridges
from rdbm_course.exercises import check
from rdbm_core.metrics import psnr

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
# $1/255$ in the [-1, 1] units of the tensors. Then all its channels count as degraded.

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
# A sanity check that connects to the relative loss of the notebook: for a "network" that returns `mu`, the two
# parts add up to the batch's mean `|x0 - mu|`, whatever the time and the noise, and the intact part is at most
# `1/255` (the largest change an intact pixel can have).

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
# The per-image tables of notebook 06 check it: the deraining *inputs* (fraction, degraded PSNR, intact PSNR, as
# printed there to two decimals) give back their whole-image PSNRs to within the tables' rounding, and so does an
# inpainting input with an identical intact region.

# %%
table = {  # notebook 06, deraining per-image table, input rows: (fraction, degraded, intact, whole) in dB
    "chelsea": (0.4825, 19.81, 70.03, 22.98), "coffee": (0.3002, 18.45, 73.89, 23.67),
    "rocket": (0.2262, 19.61, 72.85, 26.06), "camera": (0.6139, 18.72, 66.27, 20.84)}
for name, (fraction, degraded, intact, whole) in table.items():
    print(f"{name:8s}: from the regions {whole_psnr(degraded, intact, fraction):.2f} dB, table {whole:.2f} dB")
    assert abs(whole_psnr(degraded, intact, fraction) - whole) < 0.02
print(f"inpainting, chelsea input (0.3380, 16.30 dB, inf): {whole_psnr(16.30, math.inf, 0.3380):.2f} dB, table 21.01 dB")
assert abs(whole_psnr(16.30, math.inf, 0.3380) - 21.01) < 0.02

# %% [markdown]
# The whole-image PSNR is therefore no area-weighted average of the regions in decibels: the deraining inputs
# have about 19 dB on their degraded pixels and about 71 dB on the intact ones, yet about 23 dB overall, close
# to the worse region. The same reason keeps the formula from reproducing the notebook's *summary* tables
# exactly: those average each PSNR over the four images, and an average of PSNRs is not the PSNR of the average
# squared error.

# %%
fractions, degraded_db, intact_db, whole_db = (sum(v) / len(table) for v in zip(*table.values()))
print(f"deraining inputs, means over the four crops: fraction {fractions:.3f}, degraded {degraded_db:.2f} dB, "
      f"intact {intact_db:.2f} dB, whole image {whole_db:.2f} dB")
print(f"area-weighted average of the regions in dB: {fractions * degraded_db + (1 - fractions) * intact_db:.1f} dB")
assert whole_db < fractions * degraded_db + (1 - fractions) * intact_db - 20

# %% [markdown]
# And on a real pair, the formula reproduces the library's whole-image PSNR from its two regional values:

# %%
torch.manual_seed(0)
target = torch.rand(3, 32, 32) * 2 - 1
pred = (target + 0.05 * torch.randn(3, 32, 32)).clamp(-1, 1)
mask = torch.zeros(1, 32, 32, dtype=torch.bool)
mask[:, :8] = True
pred[:, mask[0]] = (pred[:, mask[0]] + 0.3).clamp(-1, 1)
combined = whole_psnr(psnr(pred, target, mask), psnr(pred, target, ~mask), float(mask.float().mean()))
print(f"from the regions: {combined:.4f} dB, whole image: {psnr(pred, target):.4f} dB")
assert abs(combined - psnr(pred, target)) < 1e-4
