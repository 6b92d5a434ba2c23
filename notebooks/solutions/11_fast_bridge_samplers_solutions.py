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
# # 11 — Solutions to the exercises
#
# **What you will learn.** The weight of the slope term of the exact PF-ODE step, the second-order multistep step
# (DBIM-2) written from the implicit step, and how much fresh noise the exact reverse-SDE step draws.
#
# **Prerequisites.** notebook 11.

# %%
import math

import torch
from IPython.display import display

from rdbm_core.bridge import bridges
from rdbm_core.bridge.samplers import exponential_step, half_log_snr, implicit_step
from rdbm_course.exercises import check

DT = torch.float64

# %% [markdown]
# ## 11.1 — The weight of the slope term
#
# By parts, `psi_1(h) = int_0^h e^{-(h - r)} r dr = [r e^{-(h - r)}]_0^h - int_0^h e^{-(h - r)} dr = h - (1 - e^{-h})`.
# For `h = 1`: `1 - (1 - e^{-1}) = e^{-1}`. A quadrature check:

# %%
r = torch.linspace(0, 1, 100001, dtype=DT)
quadrature = float(torch.trapezoid(torch.exp(-(1 - r)) * r, r))
answer_11_1 = 1 - (1 - math.exp(-1))
print(f"psi_1(1) = {answer_11_1:.6f}, quadrature {quadrature:.6f}")
feedback = check("11.1", answer_11_1)
display(feedback)
assert feedback

# %% [markdown]
# ## 11.2 — The second-order step
#
# The line through `(lambda_prev, x0_prev)` and `(lambda_t, x0_t)` has the slope
# `d_1 = (x0_t - x0_prev) / (lambda_t - lambda_prev)`; its integral against the kernel adds
# `Theta_s psi_1(h) d_1` to the implicit step, with `h = lambda_s - lambda_t`.

# %%
def second_order_step(path, x_t, mu, t, s, x0_t, t_prev, x0_prev):
    lam_prev, lam_t, lam_s = (half_log_snr(path, v) for v in (t_prev, t, s))
    h = lam_s - lam_t
    psi_1 = h - (1 - math.exp(-h))
    theta_s = path.coefficients(torch.tensor(s, dtype=DT))[0]
    slope = (x0_t - x0_prev) / (lam_t - lam_prev)
    return implicit_step(path, x_t, x0_t, mu, t, s) + theta_s * psi_1 * slope


# the library's step with one earlier point is the same
path = bridges.goub()
g = torch.Generator().manual_seed(0)
mu, x0_t = (2 * torch.rand(2, 3, 4, 4, generator=g, dtype=DT) - 1 for _ in range(2))
x0_prev, x_t = x0_t + 0.1, 0.5 * (mu + x0_t)
gap = second_order_step(path, x_t, mu, 50, 40, x0_t, 60, x0_prev) - exponential_step(
    path, x_t, mu, 50, 40, x0_t, ((60, x0_prev),))
print(f"largest difference to exponential_step: {float(gap.abs().max()):.1e}")

answer_11_2 = second_order_step
feedback = check("11.2", answer_11_2)
display(feedback)
assert feedback

# %% [markdown]
# ## 11.3 — The noise of the exact reverse-SDE step
#
# Given `x_t`, the step keeps `kappa (x_t - mean_t)` with `kappa = (Sigma_s / Sigma_t) e^{-h}`; the marginal
# variance at `s` is `Sigma_s^2`, so the new noise has the variance
# `Sigma_s^2 - kappa^2 Sigma_t^2 = Sigma_s^2 (1 - e^{-2h})`. For `h = log 2`: `1 - 1/4 = 3/4`, a standard deviation
# of `sqrt(3)/2` times `Sigma_s`.

# %%
answer_11_3 = math.sqrt(1 - math.exp(-2 * math.log(2)))
feedback = check("11.3", answer_11_3)
display(feedback)
assert feedback
