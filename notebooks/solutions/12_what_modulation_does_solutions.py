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
# # 12 — Solutions to the exercises
#
# **What you will learn.** How many "established" differences chance alone gives among many comparisons, how the
# two-stage bootstrap carries both the training seed and the test item, and why the deterministic sampler gives the
# same restoration along either noise factor's path.
#
# **Prerequisites.** notebook 12.

# %%
import numpy as np
import torch
from IPython.display import display

from rdbm_core.bridge import bridges
from rdbm_core.bridge.samplers import implicit_step
from rdbm_course.exercises import check

# %% [markdown]
# ## 12.1 — Established differences when nothing differs
#
# A 95 % interval excludes the true value with probability 0.05 (on either side). If every true difference is 0,
# each of the 36 comparisons is an "established" difference with probability 0.05, and the expected count is
# 36 x 0.05 = 1.8. Expectations add up whatever the dependence between the comparisons (here strong: the same
# networks appear under three samplers, the same items everywhere), so this holds although the comparisons are not
# independent; what the dependence changes is the spread of the count, not its mean. A simulation with independent
# null comparisons (each interval replaced by a normal estimate and its 95 % interval):

# %%
rng = np.random.default_rng(0)
estimates = rng.normal(0.0, 1.0, size=(20000, 36))  # the estimate in units of its standard error
counts = (np.abs(estimates) > 1.96).sum(axis=1)
print(f"mean count {counts.mean():.2f}; P(count >= 1) = {(counts >= 1).mean():.2f}; "
      f"P(count >= 4) = {(counts >= 4).mean():.3f}")
answer_12_1 = 36 * 0.05
feedback = check("12.1", answer_12_1)
display(feedback)
assert feedback and abs(counts.mean() - answer_12_1) < 0.05


# %% [markdown]
# ## 12.2 — The two-stage bootstrap interval
#
# Each draw takes the seeds (rows) with replacement, then the items (columns) with replacement — one item draw
# shared by every drawn seed, because the benchmark's items are the same for every seed — and averages the drawn
# block. The 2.5 and 97.5 percentiles of the draws bound the interval.

# %%
def two_stage_interval(diffs, draws, rng):
    d = np.asarray(diffs, dtype=float)
    n_seeds, n_items = d.shape
    means = np.empty(draws)
    for k in range(draws):
        rows = rng.integers(0, n_seeds, n_seeds)
        cols = rng.integers(0, n_items, n_items)
        means[k] = d[rows][:, cols].mean()
    low, high = np.percentile(means, [2.5, 97.5])
    return low, high


answer_12_2 = two_stage_interval
feedback = check("12.2", answer_12_2)
display(feedback)
assert feedback

# %% [markdown]
# ## 12.3 — Cross-sampling with the deterministic sampler
#
# The `eta = 0` step is `x_s = E[x_s | x0_hat] + (Sigma_s s / Sigma_t s) (x_t - E[x_t | x0_hat])`: the
# conditional means do not contain the noise factor `s(pi)`, and in the ratio of standard deviations it cancels. So the same network, sampled from `x_T = mu` along either path, gives the same restoration
# bit for bit, and the PSNR difference is 0. One step with a fixed `x0_hat` and both noise factors:

# %%
g = torch.Generator().manual_seed(0)
mu = torch.rand(2, 3, 8, 8, generator=g) * 2 - 1
x0_hat = torch.rand(2, 3, 8, 8, generator=g) * 2 - 1
x_t = torch.rand(2, 3, 8, 8, generator=g) * 2 - 1
steps = [implicit_step(bridges.rdbm(lam=1e-2, noise=noise), x_t, x0_hat, mu, 60, 50, eta=0.0)
         for noise in ("modulated", "global")]
print("max |difference| of one eta = 0 step:", float((steps[0] - steps[1]).abs().max()))
answer_12_3 = 0.0
feedback = check("12.3", answer_12_3)
display(feedback)
assert feedback and torch.equal(steps[0], steps[1])
