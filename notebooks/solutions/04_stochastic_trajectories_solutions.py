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
# # 04 — Solutions to the exercises
#
# **What you will learn.** How the bridge SDE is stepped in the time `t` (the clock's rate enters both the drift
# and the noise), how little pinning the far end costs the OU process at mid-time compared with Brownian motion,
# and why a bridge's deterministic path with a known `x0` is its mean curve.
#
# **Prerequisites.** notebook 04.

# %%
import math

import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family
from derivations.common import c, readable, u, zero
from rdbm_core.bridge.path import ResidualPath
from rdbm_core.bridge import bridges, samplers, schedules
from rdbm_course.exercises import check

DT = torch.float64

# %% [markdown]
# ## 04.1 — One Euler–Maruyama step of the forward bridge SDE
#
# In the clock `u = thbar_t` the bridge SDE is `dx = F(x, u) du + sqrt(2 lam) s(pi) dW_u`, with
# `F = path.bridge_drift` (per unit clock). Changing to the time `t` uses `du = theta_t dt`: the drift picks up a
# factor `theta_t`, and a Brownian motion run on the clock has increments of variance `du = theta_t dt`, so
# `dW_u = sqrt(theta_t) dW_t`. Hence
#
# $$dx = \theta_t\,F(x, \bar\theta_t)\,dt + \sqrt{2\lambda\theta_t}\;s(\pi)\,dW_t ,$$
#
# and Euler–Maruyama freezes both coefficients at the left end of the step. `theta_t` must be read from the
# schedule at every step: the checker's clock runs at the rate `1 + 4t`.

# %%
def em_step(path, x, x0, mu, t, dt, dw):
    theta_t = float(path.schedule.theta(t))  # the clock's rate at the start of the step
    drift = theta_t * path.bridge_drift(x, mu, t)  # dx/dt
    diffusion = math.sqrt(2 * path.lam * theta_t) * path.noise_factor(x0, mu)  # g_t s(pi)
    return x + drift * dt + diffusion * dw


feedback = check("04.1", em_step)
display(feedback)
assert feedback

# %% [markdown]
# An intact value (`x0 = mu`) stays exactly at `mu`: its drift `coth(thbar_{t:T}) (mu - x)` is 0 at `x = mu`,
# and its noise factor `s(pi) = 0`.

# %%
path = bridges.ou_bridge(schedules.continuous_linear(1.0, 4.0), lam=0.04)
x0 = mu = torch.full((1, 4), 0.4, dtype=DT)
x = em_step(path, mu.clone(), x0, mu, torch.tensor(0.3, dtype=DT), 0.01, torch.randn(1, 4, dtype=DT))
assert torch.equal(x, mu)

# %% [markdown]
# ## 04.2 — The OU bridge's variance at mid-time
#
# Given `x0`, the free OU process has variance `lam (1 - e^{-2u})` and the OU bridge
# `2 lam sinh(u) sinh(c - u) / sinh(c)` (`u = thbar_t`, `c = thbar_T`). Their ratio at the midpoint of the
# clock, `u = c / 2`, simplifies to a function of `c` alone:

# %%
free_ou = family.ou_var(u, noise=1)
ratio = readable((family.Sigma2(u, c) / free_ou).subs(u, c / 2), gens={c: sp.Symbol("C", positive=True)})
display(Math(r"\frac{\mathrm{Var}_{\rm bridge}}{\mathrm{Var}_{\rm OU}}\Big|_{u = c/2} = " + sp.latex(ratio)))
assert zero(ratio - 1 / (1 + sp.exp(-c)), gens={c: sp.Symbol("C", positive=True)}) == 0

# %% [markdown]
# The ratio is `1 / (1 + e^{-thbar_T})`: the bridge loses about a share `e^{-thbar_T}` of the variance,
# whatever the noise level `lam`. With `theta = 3` on `[0, 1]` the midpoint of the clock is `t = 0.5`, and
# `thbar_T = 3` gives about 0.95. The Brownian bridge keeps only `1/2` because free Brownian motion never
# forgets its start; the OU process relaxes towards its stationary law, so by mid-time the pin at `T` has
# little left to remove. The library's coefficients agree:

# %%
sch = schedules.continuous_constant(3.0, T=1.0)
ou = ResidualPath(sch, 0.04, noise="global", pinned=False)
bridge = bridges.ou_bridge(sch, 0.04, noise="global")
t_half = torch.tensor(0.5, dtype=DT)
answer_04_2 = float(bridge.coefficients(t_half)[2] ** 2 / ou.coefficients(t_half)[2] ** 2)
assert abs(answer_04_2 - float(ratio.subs(c, 3))) < 1e-12
print(f"Var(bridge) / Var(OU) at t = 0.5: {answer_04_2:.4f}")

feedback = check("04.2", answer_04_2)
display(feedback)
assert feedback

# %% [markdown]
# ## 04.3 — Where the PF-ODE path of a bridge goes
#
# A bridge starts at the pinned point `x_T = mu`, where `Sigma_T = 0`. The sampler's first step is the implicit
# one, `x_s = E[x_s | x0_hat] + (Sigma_s / Sigma_T)(x_T - E[x_T | x0_hat])` without the second term (it is
# absent where `Sigma_T = 0`), so it lands on the mean. From there the PF-ODE carries every deviation from the
# mean proportionally to `Sigma_t` (notebook 08, part 3), and the deviation is 0: with the exact `x0` the path
# **is** the mean curve `mu + Theta_t pi`. At `t = 0.5`, with `pi = -0.6 - 0.4 = -1`:

# %%
rdbm_1d = bridges.ou_bridge(sch, 0.04, noise="modulated")
x0_low, mu_1d = torch.tensor([[-0.6]], dtype=DT), torch.tensor([[0.4]], dtype=DT)
theta_half = float(rdbm_1d.coefficients(t_half)[0])
assert abs(theta_half - math.sinh(1.5) / math.sinh(3.0)) < 1e-12  # Theta = sinh(thbar_{t:T}) / sinh(thbar_T)
answer_04_3 = float(rdbm_1d.mean(x0_low, mu_1d, 0.5))
print(f"Theta_0.5 = {theta_half:.4f};  x at t = 0.5: {answer_04_3:.4f}")

feedback = check("04.3", answer_04_3)
display(feedback)
assert feedback

# %% [markdown]
# The exact deterministic sampler (implicit, `eta = 0`) from `mu` confirms it without any discretisation error:

# %%
x_half = samplers.sample_implicit(samplers.Denoiser(lambda x, m, t: x0_low, clamp=False), mu_1d, rdbm_1d,
                                  torch.linspace(1.0, 0.5, 6, dtype=DT), x_T=mu_1d.clone())
assert abs(float(x_half) - answer_04_3) < 1e-12
