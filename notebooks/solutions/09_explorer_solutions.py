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
# **What you will learn.** Why the noise level scales with `sqrt(lam)` for every bridge, why a constant theta
# puts the peak of `Sigma_t` in the middle of the grid, and why only residual-modulated noise leaves an intact
# pixel where it is.
#
# **Prerequisites.** notebook 09.

# %%
import sympy as sp
import torch
from IPython.display import Math, display
from matplotlib_inline.backend_inline import set_matplotlib_formats

from derivations import family
from derivations.common import c, lam, u
from rdbm_course import explorer
from rdbm_course.exercises import check
from rdbm_course.explorer import BRIDGE_CHOICES, explorer_path, time_grid

torch.set_num_threads(1)
set_matplotlib_formats("jpeg", pil_kwargs={"quality": 85})  # the figures of the last cell

# %% [markdown]
# ## 09.1 — Four times the noise variance
#
# Every bridge of the explorer has `Sigma_t^2 = lam * shape(t)`, where the shape depends on the clock only
# (`2 sinh(u) sinh(c - u) / sinh(c)` for the OU bridges, `2 u (c - u) / c` in the Brownian limit). So
# `Sigma_t(4 lam) / Sigma_t(lam) = sqrt(4)` at every `t` — the whole curve is rescaled, its maximum included,
# and the peak does not move:

# %%
ratio = sp.simplify(sp.sqrt(family.Sigma2(u, c).subs(lam, 4 * lam)) / sp.sqrt(family.Sigma2(u, c)))
display(Math(r"\frac{\Sigma_t(4\lambda)}{\Sigma_t(\lambda)} = " + sp.latex(ratio)))
assert ratio == 2

# %% [markdown]
# The same with the library, for every bridge at its published `lam`, as the explorer's middle panel shows it:

# %%
for name in BRIDGE_CHOICES:
    path = explorer_path(name)
    grid = time_grid(path)
    sigma = path.coefficients(grid)[2]
    sigma_4 = explorer_path(name, lam=4 * path.lam).coefficients(grid)[2]
    print(f"{name:8s}: max Sigma_t {float(sigma.max()):.4g} -> {float(sigma_4.max()):.4g}, "
          f"ratio {float(sigma_4.max() / sigma.max()):.6f}, peak index unchanged: "
          f"{int(sigma.argmax()) == int(sigma_4.argmax())}")
    assert torch.allclose(sigma_4, 2 * sigma, rtol=1e-12)

answer_09_1 = float(sigma_4.max() / sigma.max())
feedback = check("09.1", answer_09_1)
display(feedback)
assert feedback

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
sigma = path.coefficients(ts)[2]
assert int(ts[sigma.argmax()]) == half_way  # the largest Sigma_t on the grid is there

answer_09_2 = half_way
feedback = check("09.2", answer_09_2)
display(feedback)
assert feedback

# %% [markdown]
# ## 09.3 — An intact pixel
#
# With `pi = 0` (`x0 = mu`) the path is `x_t = Theta_t x0 + Psi_t mu + Sigma_t s(pi) eps`:
#
# * with residual-modulated noise, `s(pi) = pi = 0`: no noise, and the mean `mu + Theta_t pi = mu` — the pixel
#   never moves;
# * with global noise, `s = 1`: the pixel gets the full noise `Sigma_t eps` whatever its residual (GOUB, BBDM,
#   DDBM-VE, DDBM-VP);
# * DDBM-VP reverts to 0, not to `mu`: its mean `(Theta_t + Psi_t) mu` is not `mu` inside the interval either.
#
# The library agrees: the largest standard deviation and the largest move of the mean over `t`, for `x0 = mu = 0.5`.

# %%
answer_09_3 = set()
for name in BRIDGE_CHOICES:
    path = explorer_path(name)
    grid = time_grid(path)
    x = torch.full((len(grid),), 0.5, dtype=torch.float64)
    std = float(path.std(x, x, grid).max())
    drift = float((path.mean(x, x, grid) - 0.5).abs().max())
    print(f"{name:8s}: noise factor {path.noise:9s}  max std {std:.3g}   max |E[x_t] - mu| {drift:.3g}")
    if std == 0 and drift == 0:
        answer_09_3.add(name)
print("paths stay at mu:", answer_09_3)
assert answer_09_3 == {n for n in BRIDGE_CHOICES if explorer_path(n).noise == "modulated"}

feedback = check("09.3", answer_09_3)
display(feedback)
assert feedback

# %% [markdown]
# In the explorer, `pi = 0` for RDBM and for GOUB: the same bridge and clock family, one difference — the noise
# factor. RDBM's paths are the flat line `mu`; GOUB's spread around it.

# %%
display(explorer.explorer_figure("rdbm", lam=0.1, pi=0.0), explorer.explorer_figure("goub", pi=0.0))
