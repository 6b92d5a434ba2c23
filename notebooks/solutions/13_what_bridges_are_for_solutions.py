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
# # 13 — What bridges are for: worked solutions

# %%
import numpy as np
import sympy as sp
import torch
from scipy import stats

from rdbm_course import pretrained
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.evidence.diversity import nominal_coverage
from rdbm_core.restoration.evaluation import restore
from rdbm_course.exercises import check

torch.set_num_threads(1)

# %% [markdown]
# **13.1.** Let $m = \mathbb{E}[x_0 \mid \mu]$ and $v$ the posterior variance (per pixel value; average over pixels
# and items at the end). Write $\bar X - x_0 = (\bar X - m) - (x_0 - m)$. Given $\mu$, the draws and the truth are
# independent, all with mean $m$ and variance $v$, so the two parts are independent with variances $v/K$ and $v$:
# $\mathbb{E}(\bar X - x_0)^2 = v (1 + 1/K)$, while $\mathbb{E}(m - x_0)^2 = v$. The ratio is $1 + 1/K$ whatever $v$
# is, so it survives the average over pixels: the loss is $10 \log_{10}(1 + 1/K)$ dB (3.01 dB for one draw, 0.51 dB
# for eight).

# %%
K = sp.Symbol("K", positive=True)
v = sp.Symbol("v", positive=True)
mse_mean_of_draws = v / K + v  # the two independent parts
mse_posterior_mean = v
answer_13_1 = 10 * sp.log(sp.simplify(mse_mean_of_draws / mse_posterior_mean)) / sp.log(10)
display(answer_13_1)
feedback = check("13.1", answer_13_1)
display(feedback)
assert feedback

# %% [markdown]
# **From 13.1 to section 4.** Section 4 of the notebook, right after this exercise, turns the ratio $1 + 1/K$ into
# the nominal coverage of $K$ exact draws, $P(|\bar X - x_0| \le 2S) = P\big(|T_{K-1}| \le 2/\sqrt{1 + 1/K}\big)$,
# and the spread-to-error ratio of exact draws, $1/\sqrt{1 + 1/K}$ in root-mean-square terms. The cell checks the
# coverage formula against `diversity.nominal_coverage`.

# %%
K_DRAWS = 8
formula = float(2 * stats.t.cdf(2 / np.sqrt(1 + 1 / K_DRAWS), df=K_DRAWS - 1) - 1)
print(f"K = {K_DRAWS}: the formula {formula:.4f}, nominal_coverage {nominal_coverage(K_DRAWS):.4f}")
assert abs(formula - nominal_coverage(K_DRAWS)) < 1e-12

# %% [markdown]
# **13.2.** The minimum and the maximum over the draws' dimension, per entry; the fraction of entries of the truth
# between them, bounds included.

# %%
def range_coverage(draws, truth):
    draws, truth = torch.as_tensor(draws), torch.as_tensor(truth)
    inside = (truth >= draws.amin(dim=0)) & (truth <= draws.amax(dim=0))
    return float(inside.double().mean())


answer_13_2 = range_coverage
feedback = check("13.2", answer_13_2)
display(feedback)
assert feedback

# %% [markdown]
# **13.3.** The truth and the $K$ draws are $K + 1$ exchangeable values from one continuous distribution, so the
# truth's rank among them is uniform on $K + 1$ positions (ties have probability 0). It lies outside the draws'
# range only when it is the smallest or the largest: probability $2/(K + 1)$. The coverage is
# $(K - 1)/(K + 1) = 7/9 \approx 0.778$ for $K = 8$.
#
# GOUB's draws of notebook 13, section 4, on three of its photographs (the notebook's cell after 13.3 does the same
# on all twelve with your function): the measured range coverage lies far below $7/9$, the same over-confidence the
# two-spread check showed.

# %%
answer_13_3 = 7 / 9
feedback = check("13.3", answer_13_3)
display(feedback)
assert feedback
model, path, _ = pretrained.load("nb13_derain_goub")
photos = HeldOutBenchmark("derain", crop=None, version=2)
for i in range(3):
    item = photos[i]
    h, w = item["x0"].shape[-2:]
    x0 = item["x0"][:, h // 2 - 64:h // 2 + 64, w // 2 - 64:w // 2 + 64]
    mu = item["mu"][:, h // 2 - 64:h // 2 + 64, w // 2 - 64:w // 2 + 64]
    draws = torch.stack([restore(model, path, mu[None], SamplerSpec(eta=1.0), torch.Generator().manual_seed(1000 * i + k))[0]
                         for k in range(8)])
    coverage = range_coverage(draws, x0)
    print(f"{photos.names[i]}: range coverage of 8 GOUB draws {coverage:.3f} (exact draws: {7 / 9:.3f})")
    assert coverage < 7 / 9 - 0.2
