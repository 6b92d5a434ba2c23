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
# # 09 — Solutions to the exercises
#
# **What you will learn.** Why an OU bridge's noise saturates at $\sqrt\lambda$ on a long clock, why a constant theta
# puts the peak of $\Sigma_t$ in the middle of the grid, and how far DDBM-VP, which reverts to 0, moves an intact
# value.
#
# **Prerequisites.** Notebook 09.

# %%
import math

import sympy as sp
import torch
from IPython.display import Math, display
from matplotlib.figure import Figure
from matplotlib_inline.backend_inline import set_matplotlib_formats

from derivations import family
from derivations.common import c, lam, u
from rdbm_course.exercises import check
from rdbm_course.explorer import BRIDGE_COLOURS, explorer_figure, explorer_path, time_grid

set_matplotlib_formats("png")

# %% [markdown]
# ## 09.1 — DDBM-VP on a long clock
#
# Write $\Sigma_t^2$ with exponentials (notebook 09, section 2), $c = \bar\theta_T$:
#
# $$\frac{\Sigma_t^2}{\lambda} = \frac{(1 - e^{-2\bar\theta_t})\,(1 - e^{-2\bar\theta_{t:T}})}{1 - e^{-2c}}.$$
#
# * Both factors of the numerator are below 1, so $\Sigma_t^2 \le \lambda / (1 - e^{-2c})$ at every $t$.
# * Half way along the clock, $\bar\theta_t = \bar\theta_{t:T} = c/2$, the ratio is $\tanh(c/2)$ (below).
#
# So $\lambda\tanh(c/2) \le \max_t \Sigma_t^2 \le \lambda/(1 - e^{-2c})$. On the `linear` clock, $c = 10.5$:
# both bounds are $\lambda$ to within $10^{-4}$, and with $\lambda = 1$ the largest standard deviation is 1 to four
# digits. Far from both pinned ends the bridge has forgotten them, and its variance is the one the OU process
# settles at, $\lambda$. On DDBM-VP's own clock, $c = 0.55$, the pins are never far: $\sqrt{\tanh 0.275}$.

# %%
half_way_ratio = sp.simplify(family.Sigma2(u, c).subs(u, c / 2) / lam)
display(Math(r"\frac{\Sigma_t^2}{\lambda}\Big|_{\bar\theta_t = c/2} = " + sp.latex(half_way_ratio)
             + r" = \tanh\frac{c}{2}"))
assert sp.simplify((half_way_ratio - sp.tanh(c / 2)).rewrite(sp.exp)) == 0

for schedule in ("published", "linear"):
    path = explorer_path("ddbm-vp", schedule=schedule)
    Theta, Psi, Sigma = path.coefficients(time_grid(path))
    c_value = path.schedule.u_T
    low, high = math.sqrt(math.tanh(c_value / 2)), math.sqrt(1 / (1 - math.exp(-2 * c_value)))
    print(f"{schedule:9s}: thbar_T = {c_value:.4g}, max Sigma_t = {float(Sigma.max()):.5f}, "
          f"bounds [{low:.5f}, {high:.5f}]")
    # the grid need not hit the half-way clock exactly: its largest value may sit just below the lower bound
    assert low * (1 - 1e-4) <= float(Sigma.max()) <= high

assert 1 - math.tanh(c_value / 2) < 1e-4 and 1 / (1 - math.exp(-2 * c_value)) - 1 < 1e-4  # the prose's bounds
assert f"{float(Sigma.max()):.4f}" == "1.0000"

answer_09_1 = float(Sigma.max())
feedback = check("09.1", answer_09_1)
display(feedback)
assert feedback

# %% [markdown]
# The explorer's figure: the middle panel is flat at 1 over most of the grid, and the mean dips towards 0, the
# target of DDBM-VP, before the pin pulls it to $\mu$.

# %%
explorer_figure("ddbm-vp", schedule="linear")

# %% [markdown]
# ## 09.2 — Where `Sigma_t` peaks on the constant schedule
#
# As a function of the clock `u = thbar_t`, `Sigma_t^2` has one stationary point, `u = c / 2`:

# %%
stationary = sp.solve(sp.diff(family.Sigma2(u, c), u), u)
display(Math(r"\frac{d\Sigma_t^2}{d\bar\theta_t} = 0 \iff \bar\theta_t \in " + sp.latex(stationary)))
assert len(stationary) == 1 and sp.simplify(stationary[0] - c / 2) == 0

# %% [markdown]
# With a constant theta the clock is linear in the index, `thbar_t = t thbar_T / 100` (indices 0 … 100), so it is
# half way at the middle index. On the reference schedule the clock is slow at first (tiny cosine betas) and
# reaches `thbar_T / 2` late; that is why the peak moves when the schedule changes.

# %%
path = explorer_path("rdbm", schedule="constant")
ts = time_grid(path)
clock = path.schedule.clock(ts)
half_way = int(ts[(clock - path.schedule.u_T / 2).abs().argmin()])
print(f"constant schedule: thbar_T = {path.schedule.u_T:g}, grid {int(ts[0])}..{int(ts[-1])}, "
      f"clock at thbar_T / 2 at t = {half_way}")
assert torch.allclose(clock, ts.double() * path.schedule.u_T / 100)  # linear clock
Theta, Psi, Sigma = path.coefficients(ts)
assert int(ts[Sigma.argmax()]) == half_way  # the largest Sigma_t on the grid is there

answer_09_2 = half_way
feedback = check("09.2", answer_09_2)
display(feedback)
assert feedback

# %% [markdown]
# ## 09.3 — An intact value under DDBM-VP
#
# With $x_0 = \mu$ the mean is $(\Theta_t + \Psi_t)\,\mu$, and for the target $m = 0$ (notebook 09, section 2)
#
# $$\Theta_t + \Psi_t = \frac{\sinh(c - \bar\theta_t) + \sinh\bar\theta_t}{\sinh c}.$$
#
# It is symmetric under $\bar\theta_t \leftrightarrow c - \bar\theta_t$, and convex in $\bar\theta_t$ (its second
# derivative is itself, positive). So it is smallest half way along the clock, $\bar\theta_t = c/2$, where it is
# $1/\cosh(c/2)$:

# %%
weight = family.Theta(u, c) + family.Psi(u, c)
assert sp.simplify(sp.diff(weight, u, 2) - weight) == 0  # convex: the second derivative is the (positive) function
lowest_weight = sp.simplify(weight.subs(u, c / 2))
display(Math(r"(\Theta_t + \Psi_t)\big|_{\bar\theta_t = c/2} = " + sp.latex(lowest_weight)))
assert sp.simplify(lowest_weight - 1 / sp.cosh(c / 2)) == 0

# %% [markdown]
# DDBM-VP's clock $\bar\theta_t = 0.05\,t + t^2/2$ ends at $c = 0.55$, so the lowest mean is
# $0.5/\cosh 0.275$. The clock is half way, $0.275$, at the root of $t^2 + 0.1\,t - 0.55 = 0$, not at $t = 0.5$.

# %%
c_vp = explorer_path("ddbm-vp").schedule.u_T
t_half = (-0.1 + math.sqrt(0.01 + 4 * 0.55)) / 2
lowest = 0.5 / math.cosh(c_vp / 2)
print(f"thbar_T = {c_vp:.4g}; half the clock at t = {t_half:.4f}; lowest mean 0.5 / cosh({c_vp / 2:.4g}) = "
      f"{lowest:.5f}")

path = explorer_path("ddbm-vp")
ts = time_grid(path)
Theta, Psi, Sigma = path.coefficients(ts)
mean = 0.5 * (Theta + Psi)
print(f"library, on the explorer's grid: lowest mean {float(mean.min()):.5f} at t = {float(ts[mean.argmin()]):.3f}; "
      f"at t = 0.5 it is {float(mean[(ts - 0.5).abs().argmin()]):.5f}")
assert abs(float(mean.min()) - lowest) < 1e-6 and abs(float(ts[mean.argmin()]) - t_half) <= 0.005

answer_09_3 = lowest
feedback = check("09.3", answer_09_3)
display(feedback)
assert feedback

# %% [markdown]
# The mean of the intact value over $t$: it dips below $\mu$ by less than 4 % and comes back to $\mu$ at the pin.
# Global noise (standard deviation up to 0.518) moves the value far more than the dip of its mean.

# %%
assert (0.5 - lowest) / 0.5 < 0.04 and f"{float(Sigma.max()):.3f}" == "0.518"  # the numbers of the text above
fig = Figure(figsize=(6, 3.2))
ax = fig.add_subplot()
ax.plot(ts.numpy(), mean.numpy(), color=BRIDGE_COLOURS["ddbm-vp"], lw=2, label="DDBM-VP: mean of x_t, x0 = mu")
ax.axhline(0.5, color="0.5", lw=1, ls="--", label="mu = 0.5")
ax.plot([t_half], [lowest], "o", color="black", label=f"lowest: {lowest:.4f} at t = {t_half:.3f}")
ax.set_xlabel("t (time)", fontsize=9)
ax.set_ylabel("mean of x_t", fontsize=9)
ax.tick_params(labelsize=9)
ax.grid(alpha=0.3)
ax.set_ylim(0.472, 0.502)  # room for the legend below the curve
ax.legend(fontsize=9, loc="lower left")
fig.tight_layout()
fig
