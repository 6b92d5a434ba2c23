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
# **What you will learn.** Which values of an image RDBM's noise reaches (all those with `pi != 0`, which is not
# the same as the degradation mask), how the per-pixel noise map is built for modulated and for global noise,
# and why the noise level peaks where the clock, not the grid index, is half way.
#
# **Prerequisites.** notebook 05.

# %%
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family
from derivations.common import c, u
from rdbm_core.bridge import bridges
from rdbm_core.data.datasets import SyntheticPairs
from rdbm_course.exercises import check

# %% [markdown]
# ## 05.1 — How many values get noise under RDBM?
#
# A value's standard deviation is `Sigma_t |pi|`. At an interior time `Sigma_t > 0`, so the value gets noise
# exactly when `pi = x0 - mu != 0`; `lam` and `t` do not matter. For inpainting `pi != 0` exactly inside the
# hole. For deraining the streaks are blended with soft edges, so `pi` is non-zero wherever any streak light
# falls — far more than the mask, which counts only changes above half an 8-bit level
# (`degradations.degraded_mask`). Counting:

# %%
path = bridges.make("rdbm", lam=0.1)
answer_05_1 = []
for task in ("inpaint", "derain"):
    item = SyntheticPairs(task, "test", crop=128)[0]
    x0, mu, mask = item["x0"], item["mu"], item["mask"]
    moving = float((x0 != mu).double().mean())
    answer_05_1.append(moving)
    print(f"{task:8s}: values with pi != 0: {moving:.4f};  mask area: {float(mask.double().mean()):.4f}")
    # the same count from the noise map itself, at a few interior times
    for t in (10, 49, 90):
        assert float((path.std(x0[None], mu[None], t) > 0).double().mean()) == moving

feedback = check("05.1", tuple(answer_05_1))
display(feedback)
assert feedback

# %% [markdown]
# ## 05.2 — The per-pixel noise map
#
# `path.coefficients(t)` returns `(Theta_t, Psi_t, Sigma_t)` as float64 tensors of shape [B]. The standard
# deviation of a value is `Sigma_t |s(pi)|` with `s(pi) = pi` under modulation and `s = 1` under global noise.
# The coefficient is reshaped to [B, 1, 1, 1] so that each sample gets its own time, and cast to the images'
# dtype.

# %%
def std_map(path, x0, mu, t):
    sigma = path.coefficients(t)[2].to(x0.dtype).reshape(-1, 1, 1, 1)  # [B, 1, 1, 1]
    noise_factor = (x0 - mu).abs() if path.noise == "modulated" else torch.ones_like(x0)
    return sigma * noise_factor


feedback = check("05.2", std_map)
display(feedback)
assert feedback

# %% [markdown]
# On the inpainting pair: RDBM's map vanishes outside the hole, GOUB's is one number per image.

# %%
inp = SyntheticPairs("inpaint", "test", crop=128)[0]
x0, mu, hole = inp["x0"][None], inp["mu"][None], inp["mask"][None].expand(1, 3, -1, -1)
rdbm_map = std_map(bridges.make("rdbm", lam=0.1), x0, mu, torch.tensor([49]))
goub_map = std_map(bridges.goub(), x0, mu, torch.tensor([49]))
print(f"RDBM: max std outside the hole {float(rdbm_map[~hole].max()):.1e}, "
      f"mean inside {float(rdbm_map[hole].mean()):.3f}")
print(f"GOUB: std values taken: {torch.unique(goub_map).tolist()}")
assert float(rdbm_map[~hole].max()) == 0 and torch.unique(goub_map).numel() == 1

# %% [markdown]
# ## 05.3 — Where is the noise level largest?
#
# `Sigma_t^2 = 2 lam sinh(u) sinh(c - u) / sinh(c)` with `u = thbar_t`, `c = thbar_T`. As a function of the clock
# it is symmetric about `u = c / 2`, where its derivative vanishes:

# %%
stationary = sp.solve(sp.diff(family.Sigma2(u, c), u), u)
display(Math(r"\frac{d\Sigma_t^2}{d\bar\theta_t} = 0 \iff \bar\theta_t \in " + sp.latex(stationary)))
assert sp.simplify(stationary[0] - c / 2) == 0 and len(stationary) == 1

# %% [markdown]
# So the peak is where the clock is half way — not the middle of the index. Both grids start slowly (small
# `theta` at first: the cosine betas of the reference schedule, `1 - alpha_bar` on GOUB's grid), so the clock
# reaches `thbar_T / 2` late. On a discrete grid the largest `Sigma_t` is at (or right next to) the index whose
# clock is closest to `thbar_T / 2`; we compare the neighbours to pick the largest.

# %%
answer_05_3 = []
for p in (bridges.rdbm(), bridges.goub()):
    ts = p.schedule.times()
    clock = p.schedule.clock(ts)
    near = int((clock - p.schedule.u_T / 2).abs().argmin())
    candidates = ts[max(near - 1, 0): near + 2]
    best = int(candidates[p.coefficients(candidates)[2].argmax()])
    answer_05_3.append(best)
    print(f"{p.name}: thbar_T = {p.schedule.u_T:.3f}; clock closest to thbar_T / 2 at t = {int(ts[near])}; "
          f"largest Sigma_t at t = {best} (grid {int(ts[0])}..{int(ts[-1])})")
    assert best == int(ts[p.coefficients(ts)[2].argmax()])

feedback = check("05.3", tuple(answer_05_3))
display(feedback)
assert feedback
