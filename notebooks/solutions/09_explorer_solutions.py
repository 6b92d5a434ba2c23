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
# **What you will learn.** How long an OU bridge's clock must be for its noise to come within 1 % of
# $\sqrt\lambda$; which residuals RDBM's published noise can make visible; and why the mean is half way at the clock
# value $\ln 2$ while the noise peaks at half the clock.
#
# **Prerequisites.** Notebook 09.

# %%
import math

import sympy as sp
import torch
from IPython.display import Math, display
from matplotlib_inline.backend_inline import set_matplotlib_formats

from derivations import family
from derivations.common import c, lam, u
from rdbm_course.exercises import check
from rdbm_course.explorer import explorer_figure, explorer_path, noise_peak, photo_pair, schedule_rows, time_grid

set_matplotlib_formats("png")

# %% [markdown]
# ## 09.1 — How long a clock for the noise to saturate
#
# Write $c = \bar\theta_T$. Section 2 of notebook 09 gives $\max_t \Sigma_t^2 = \lambda\tanh(c/2)$, reached where
# the clock is half way. SymPy confirms it from $\Sigma_t^2$ (the library's `derivations.family.Sigma2`):

# %%
half_way_ratio = sp.simplify(family.Sigma2(u, c).subs(u, c / 2) / lam)
display(Math(r"\frac{\Sigma_t^2}{\lambda}\Big|_{\bar\theta_t = c/2} = " + sp.latex(half_way_ratio)
             + r" = \tanh\frac{c}{2}"))
assert sp.simplify((half_way_ratio - sp.tanh(c / 2)).rewrite(sp.exp)) == 0
stationary = sp.solve(sp.diff(family.Sigma2(u, c), u), u)
assert len(stationary) == 1 and sp.simplify(stationary[0] - c / 2) == 0  # the only stationary point: half way

# %% [markdown]
# The standard deviation reaches 99 % of $\sqrt\lambda$ when the variance reaches $0.99^2 = 0.9801$ of $\lambda$:
#
# $$\tanh\frac{c}{2} = 0.9801 \iff c = 2\,\operatorname{artanh}(0.9801) = \ln\frac{1 + 0.9801}{1 - 0.9801}
#   = \ln\frac{1.9801}{0.0199}.$$
#
# A quick estimate gives nearly the same: $\tanh(c/2) \approx 1 - 2e^{-c}$ for a long clock, so $2e^{-c} = 0.0199$.
# Two slips to avoid: setting the *variance* to 0.99 of $\lambda$ gives a longer clock, and $\tanh c$ in place of
# $\tanh(c/2)$ a clock half as long.

# %%
clock_99 = 2 * math.atanh(0.99 ** 2)
estimate = math.log(2 / 0.0199)
print(f"exact: thbar_T = {clock_99:.4f}; estimate from tanh(c/2) ~ 1 - 2 e^-c: {estimate:.4f}")
print(f"slips: variance at 99 %: {2 * math.atanh(0.99):.3f}; tanh(c) for tanh(c/2): {math.atanh(0.99 ** 2):.3f}")
assert f"{clock_99:.3f}" == "4.600" and abs(estimate - clock_99) / clock_99 < 0.01

answer_09_1 = clock_99
feedback = check("09.1", answer_09_1)
display(feedback)
assert feedback

# %% [markdown]
# **The check in the explorer.** The clock ends of notebook 09's schedules, against 4.600: `constant` (5) is the
# shortest one that is long enough. DDBM-VP keeps $\lambda = 1$, so its largest standard deviation on `constant` is
# $\sqrt{\tanh 2.5}$, at least 0.99:

# %%
for row in schedule_rows():
    if row["thbar_T"] is not None:
        print(f"{row['name']:10s} thbar_T = {row['thbar_T']:6.4g}: "
              f"{'long enough' if row['thbar_T'] >= clock_99 else 'too short'}")
vp_constant = explorer_path("ddbm-vp", schedule="constant")
peak, where = noise_peak(vp_constant)
print(f"DDBM-VP on constant: largest Sigma_t = {peak:.4f} at t = {where}; sqrt(tanh(2.5)) = "
      f"{math.sqrt(math.tanh(2.5)):.4f}")
assert 0.99 <= peak <= math.sqrt(math.tanh(2.5))

# %%
explorer_figure("ddbm-vp", schedule="constant")

# %% [markdown]
# ## 09.2 — The smallest residual whose noise reaches one grey level
#
# Under RDBM the standard deviation of $x_t$ is $\Sigma_t\,|\pi|$. Its largest value over $t$ is
# $\sqrt{\lambda\tanh(\bar\theta_T/2)}\,|\pi|$; with $\lambda = 10^{-4}$ and $\bar\theta_T = 7.879$ the factor is
# within 0.04 % of $\sqrt\lambda = 0.01$. Setting the product to one grey level, $2/255$:
#
# $$|\pi| = \frac{2/255}{\sqrt{\lambda\tanh(\bar\theta_T/2)}} \approx \frac{2/255}{0.01}.$$

# %%
rdbm = explorer_path("rdbm")
sigma_max = math.sqrt(rdbm.lam * math.tanh(rdbm.schedule.u_T / 2))
grid_max = noise_peak(rdbm)[0]  # the largest Sigma_t on the grid (at index 91)
smallest = (2 / 255) / grid_max
print(f"largest Sigma_t: formula {sigma_max:.6f}, on the grid {grid_max:.6f}; smallest |pi| = {smallest:.4f}")
assert abs(grid_max / sigma_max - 1) < 1e-5 and abs(sigma_max / 0.01 - 1) < 4e-4

answer_09_2 = smallest
feedback = check("09.2", answer_09_2)
display(feedback)
assert feedback

# %% [markdown]
# **The check in the explorer**: with $\pi$ set to the answer, the middle panel's maximum is one grey level,
# $2/255 = 0.007843$.

# %%
fig = explorer_figure("rdbm", pi=round(smallest, 3))
print(fig.axes[1].get_title())
fig

# %% [markdown]
# On notebook 09's inpainting crop few values have a residual that large: only they ever get a grey level of noise
# under RDBM at its published $\lambda$.

# %%
x0, mu = photo_pair("inpaint")
pi = x0 - mu
print(f"values with pi != 0: {float((pi != 0).double().mean()):.1%}; with |pi| >= {smallest:.3f}: "
      f"{float((pi.abs() >= smallest).double().mean()):.2%}")

# %% [markdown]
# ## 09.3 — When the mean is half way on the constant schedule
#
# $\Theta_t = \sinh(\bar\theta_T - \bar\theta_t)/\sinh\bar\theta_T$. While the clock still to run is long,
# $\sinh x \approx e^x/2$ for both sinh's, so $\Theta_t \approx e^{-\bar\theta_t}$ (notebook 09, section 3). It is
# 1/2 at $\bar\theta_t = \ln 2 = 0.693$. On the `constant` schedule $\bar\theta_t = 0.05\,t$, so $t = 13.9$: the
# first grid index at which $\Theta_t \le 1/2$ is 14. The exact crossing of the sinh ratio is only slightly
# different (below), and the exact values on either side of it confirm the index.

# %%
crossing = sp.nsolve(sp.sinh(5 - u) / sp.sinh(5) - sp.Rational(1, 2), u, 0.69)
path = explorer_path("rdbm", schedule="constant")
theta_13, theta_14 = (float(path.coefficients(t)[0]) for t in (13, 14))
print(f"approximate crossing: clock ln 2 = {math.log(2):.5f}, t = {math.log(2) / 0.05:.3f}; exact: clock "
      f"{float(crossing):.5f}, t = {float(crossing) / 0.05:.3f}")
print(f"Theta_13 = {theta_13:.4f}, Theta_14 = {theta_14:.4f}")
assert theta_13 > 0.5 >= theta_14 and 13 < float(crossing) / 0.05 < 14

answer_09_3 = 14
feedback = check("09.3", answer_09_3)
display(feedback)
assert feedback

# %% [markdown]
# In the explorer: $\Theta_t$ crosses 1/2 near $t = 14$ in the top-left panel, while the noise peaks at $t = 50$,
# where the clock is half way. The mean's half-way point is fixed by the clock's value (about $\ln 2$), the noise's
# by the share of the clock ($\bar\theta_T/2$). At the half-way clock $\Theta_t = \sinh(c/2)/\sinh c =
# 1/(2\cosh(c/2))$, below 1/2 for every $c$: on any OU bridge with target $\mu$ the mean is more than half way
# before the noise peaks. Here $\Theta_{50} = 1/(2\cosh 2.5)$:

# %%
theta_50 = float(path.coefficients(50)[0])
print(f"Theta_50 = {theta_50:.4f}; 1 / (2 cosh 2.5) = {1 / (2 * math.cosh(2.5)):.4f}")
assert math.isclose(theta_50, 1 / (2 * math.cosh(2.5)), rel_tol=1e-12)
fig = explorer_figure("rdbm", schedule="constant")
assert fig.axes[1].get_title().endswith("at t = 50")
fig
