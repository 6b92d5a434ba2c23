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
# # 05 — Solutions to the exercises
#
# **What you will learn.** Which values of an image RDBM's noise reaches (all those with $\pi \ne 0$, which is not
# the set of the degradation mask) and how few of them it visibly changes at the reference $\lambda$; how the
# per-pixel noise map is built from the clock for modulated and for global noise; and why the noise level peaks
# where the clock, not the grid index, is half way, at $\sqrt{\lambda\tanh(\bar\theta_T/2)} < \sqrt\lambda$.
#
# **Prerequisites.** notebook 05.

# %%
import math

import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family
from derivations.common import c, d, lam, u
from rdbm_core.bridge import bridges
from rdbm_core.data.datasets import SyntheticPairs
from rdbm_course.exercises import check

# %% [markdown]
# ## 05.1 — How many values get noise under RDBM, and how many visibly?
#
# **Prediction.** (a) A value's standard deviation is $\Sigma_t|\pi|$. At an interior time $\Sigma_t > 0$, so a value
# gets noise exactly when $\pi = x_0 - \mu \ne 0$; $\lambda$ and $t$ do not matter. The deraining streaks are blended
# with soft edges, so $\pi$ is non-zero wherever any streak light falls: more than the mask, which counts only pixels
# changed by more than half an 8-bit level. (b) At $t = 49$ the reference path has $\Sigma_{49} = 0.0087$ (section 1's
# formula, printed below; $\Sigma_t < \sqrt\lambda = 0.01$ always, exercise 05.3), so a standard deviation of one
# level, $2/255$, needs $|\pi| \ge 0.90$: only the cores of the brightest streaks, a handful of values. The count is
# then that of the values with $|\pi| \ge 0.90$; the cell cross-checks it with `path.std`.

# %%
item = SyntheticPairs("derain", "test", crop=128)[0]
x0, mu, mask = item["x0"][None], item["mu"][None], item["mask"]
reference = bridges.rdbm()
sch = reference.schedule
clock_49, to_end_49 = float(sch.clock(torch.tensor(49))), float(sch.clock_to_end(torch.tensor(49)))
sigma_49 = math.sqrt(2 * reference.lam * math.sinh(clock_49) * math.sinh(to_end_49) / math.sinh(sch.u_T))
threshold = 2 / 255 / sigma_49  # std = Sigma_49 |pi| >= 2/255  <=>  |pi| >= threshold
fraction = float((x0 != mu).double().mean())  # std > 0 exactly where pi != 0
count = int(((x0 - mu).abs() >= threshold).sum())
print(f"(a) values with noise: {fraction:.4f} (values with pi != 0: {float((x0 != mu).double().mean()):.4f}; "
      f"mask area: {float(mask.double().mean()):.4f})")
print(f"(b) Sigma_49 = {sigma_49:.5f}, so std >= 2/255 needs |pi| >= {threshold:.3f}: {count} values of "
      f"{x0.numel()}")
std_49 = reference.std(x0, mu, 49)  # cross-check with the library's closed form
assert fraction == float((std_49 > 0).double().mean()) and count == int((std_49 >= 2 / 255).sum())
assert f"{sigma_49:.4f}" == "0.0087" and f"{threshold:.2f}" == "0.90"  # the numbers of the prediction

answer_05_1 = (fraction, count)
feedback = check("05.1", answer_05_1)
display(feedback)
assert feedback

# %% [markdown]
# ## 05.2 — The per-pixel noise map
#
# $\Sigma_t = \sqrt{2\lambda\,\sinh(\bar\theta_t)\sinh(\bar\theta_{t:T})/\sinh(\bar\theta_T)}$, computed in float64
# from the clock ($\bar\theta_T \le 7.9$ on both grids, far from where $\sinh$ overflows), with $\bar\theta_{t:T}$ from
# `clock_to_end`, exactly 0 at $t_T$ (so $\Sigma_{t_T} = 0$, never the square root of a negative rounding error;
# the checker tests both ends), is one value per sample:
# it is reshaped to [B, 1, 1, 1] so that each sample gets its own time, and cast to the images' dtype before it
# multiplies $|\nu(\pi)|$: $|x_0 - \mu|$ under modulation, 1 under global noise.

# %%
def std_map(path, x0, mu, t):
    clock, to_end = path.schedule.clock(t), path.schedule.clock_to_end(t)  # float64 [B], to_end = 0 at t_T
    sigma = torch.sqrt(2 * path.lam * torch.sinh(clock) * torch.sinh(to_end) / math.sinh(path.schedule.u_T))
    sigma = sigma.to(x0.dtype).reshape(-1, 1, 1, 1)  # [B, 1, 1, 1]
    noise_factor = (x0 - mu).abs() if path.noise == "modulated" else torch.ones_like(x0)
    return sigma * noise_factor


feedback = check("05.2", std_map)
display(feedback)
assert feedback

# %% [markdown]
# On the inpainting pair: RDBM's map vanishes outside the hole, GOUB's is one number per image.

# %%
inp = SyntheticPairs("inpaint", "test", crop=128)[0]
x0_i, mu_i, hole = inp["x0"][None], inp["mu"][None], inp["mask"][None].expand(1, 3, -1, -1)
rdbm_map = std_map(bridges.make("rdbm", lam=0.1), x0_i, mu_i, torch.tensor([49]))
goub_map = std_map(bridges.goub(), x0_i, mu_i, torch.tensor([49]))
print(f"RDBM: max std outside the hole {float(rdbm_map[~hole].max()):.1e}, "
      f"mean inside {float(rdbm_map[hole].mean()):.3f}")
print(f"GOUB: std values taken: {torch.unique(goub_map).tolist()}")
assert float(rdbm_map[~hole].max()) == 0 and torch.unique(goub_map).numel() == 1

# %% [markdown]
# ## 05.3 — Where is the noise level largest, and how large is it?
#
# With $a = \bar\theta_t$, $b = \bar\theta_{t:T}$ and $2\sinh a\sinh b = \cosh(a + b) - \cosh(a - b)$, where
# $a + b = \bar\theta_T$ is fixed:

# %%
product_to_sum = (sp.cosh(c) - sp.cosh(u - d)) / sp.sinh(c) * lam  # with d = thbar_{t:T} = c - u
assert sp.simplify((product_to_sum - family.Sigma2(u, c)).subs(d, c - u).rewrite(sp.exp)) == 0
display(Math(r"\Sigma_t^2 = 2\lambda\,\frac{\sinh\bar\theta_t\,\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T} = "
             r"\lambda\,\frac{\cosh\bar\theta_T - \cosh(\bar\theta_t - \bar\theta_{t:T})}{\sinh\bar\theta_T}"))

# %% [markdown]
# $\cosh$ grows with $|\bar\theta_t - \bar\theta_{t:T}|$, so $\Sigma_t^2$ falls as the two parts of the clock
# become unequal: it is largest where $\bar\theta_t = \bar\theta_{t:T} = \bar\theta_T/2$, the clock half way — not the
# middle of the index. Both grids start slowly (small $\theta$ at first: the cosine betas of the reference schedule,
# $1 - \bar\alpha$ on GOUB's grid), so the clock reaches $\bar\theta_T/2$ late. And since $\Sigma_t^2$ is a
# decreasing function of $|2\bar\theta_t - \bar\theta_T|$, the largest $\Sigma_t$ on a grid is exactly at the index
# whose clock is closest to $\bar\theta_T/2$: that is `peak_index`, which needs the schedule only (checked below
# against the library's $\Sigma_t$).

# %%
def peak_index(schedule):
    ts = schedule.times()
    return int(ts[(2 * schedule.clock(ts) - schedule.u_T).abs().argmin()])


# %% [markdown]
# At the half-way clock $\cosh(\bar\theta_t - \bar\theta_{t:T}) = 1$, so the peak over the clock is, with
# $c = \bar\theta_T$ and $\cosh c - 1 = 2\sinh^2(c/2)$, $\sinh c = 2\sinh(c/2)\cosh(c/2)$:

# %%
peak = sp.sqrt((sp.cosh(c) - 1) / sp.sinh(c))  # Sigma_t / sqrt(lam) at thbar_t = c / 2
assert sp.simplify((peak ** 2 - sp.tanh(c / 2)).rewrite(sp.exp)) == 0
display(Math(r"\max_{\bar\theta_t}\frac{\Sigma_t}{\sqrt\lambda} = \sqrt{\frac{\cosh c - 1}{\sinh c}} = "
             r"\sqrt{\tanh(c/2)} < 1"))

# %% [markdown]
# So $\Sigma_t < \sqrt\lambda$ on every grid, and the bound is reached only as $\bar\theta_T \to \infty$ (notebook 05,
# section 2, uses $\Sigma_t < 0.01$ at the reference $\lambda$). On the two grids the peak over the clock and the
# largest value at a grid index agree to four digits: the index closest to the half-way clock is very close to it.

# %%
for p in (bridges.rdbm(), bridges.goub()):
    ts = p.schedule.times()
    best = peak_index(p.schedule)
    on_grid = float(p.coefficients(ts)[2].max()) / p.lam ** 0.5
    bound = float(peak.subs(c, p.schedule.u_T))
    print(f"{p.name}: thbar_T = {p.schedule.u_T:.3f}; clock closest to thbar_T / 2 at t = {best} "
          f"(grid {int(ts[0])}..{int(ts[-1])}, middle {(int(ts[0]) + int(ts[-1])) / 2:g}); "
          f"peak sqrt(tanh(thbar_T / 2)) = {bound:.4f}, largest on the grid {on_grid:.4f}")
    assert best == int(ts[p.coefficients(ts)[2].argmax()]) and on_grid <= bound < 1 and bound - on_grid < 1e-4

answer_05_3 = (peak_index, peak)
feedback = check("05.3", answer_05_3)
display(feedback)
assert feedback
