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
# **What you will learn.** How the bridge SDE is stepped in the time $t$ (the clock's rate enters both the drift
# and the noise), how little pinning the far end costs the OU process at mid-time compared with Brownian motion,
# and how a PF-ODE path with a known $x_0$ keeps its distance from the mean in units of the marginal's standard
# deviation.
#
# **Prerequisites.** notebook 04.

# %%
import math

import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family
from derivations.common import c, readable, u, zero
from derivations.facts import BY_NAME, verify
from rdbm_core.bridge.path import ResidualPath
from rdbm_core.bridge import bridges, samplers, schedules
from rdbm_course.exercises import check

DT = torch.float64

# %% [markdown]
# ## 04.1 — One Euler–Maruyama step of the forward bridge SDE
#
# In the clock $u = \bar\theta_t$ the bridge SDE is $dx = f(x, u)\,du + \sqrt{2\lambda}\,\nu(\pi)\,dW_u$, with
# $f$ = `path.bridge_drift` (per unit clock) and $\nu(\pi)$ = `path.noise_factor(x0, mu)`. Changing to the time $t$
# uses $du = \theta_t\,dt$: the drift picks up a factor $\theta_t$, and a Brownian motion run on the clock has
# increments of variance $du = \theta_t\,dt$, so $dW_u = \sqrt{\theta_t}\,dw_t$. Hence
#
# $$dx = \theta_t\,f(x, \bar\theta_t)\,dt + \sqrt{2\lambda\theta_t}\;\nu(\pi)\,dw_t ,$$
#
# and Euler–Maruyama freezes both coefficients at the left end of the step. $\theta_t$ must be read from the
# schedule at every step: the checker's clock runs at the rate $1 + 4t$.

# %%
def em_step(path, x, x0, mu, t, dt, dw):
    theta_t = float(path.schedule.theta(t))  # the clock's rate at the start of the step
    drift = theta_t * path.bridge_drift(x, mu, t)  # dx/dt
    diffusion = math.sqrt(2 * path.lam * theta_t) * path.noise_factor(x0, mu)  # g_t nu(pi)
    return x + drift * dt + diffusion * dw


feedback = check("04.1", em_step)
display(feedback)
assert feedback

# %% [markdown]
# An intact value ($x_0 = \mu$) stays exactly at $\mu$: its drift $\coth(\bar\theta_{t:T})(\mu - x)$ is 0 at
# $x = \mu$, and its noise factor $\nu(\pi) = 0$.

# %%
path = bridges.ou_bridge(schedules.continuous_linear(1.0, 4.0), lam=0.04)
x0 = mu = torch.full((1, 4), 0.4, dtype=DT)
x = em_step(path, mu.clone(), x0, mu, torch.tensor(0.3, dtype=DT), 0.01, torch.randn(1, 4, dtype=DT))
assert torch.equal(x, mu)

# %% [markdown]
# ## 04.2 — The OU bridge's variance at mid-time
#
# Given $x_0$, the free OU process has variance $\lambda(1 - e^{-2u})$ and the OU bridge
# $2\lambda\sinh(u)\sinh(c - u)/\sinh(c)$ ($u = \bar\theta_t$, $c = \bar\theta_T$). Their ratio at the midpoint of
# the clock, $u = c/2$, simplifies to a function of $c$ alone:

# %%
free_ou = family.ou_var(u, noise=1)
ratio = readable((family.Sigma2(u, c) / free_ou).subs(u, c / 2), gens={c: sp.Symbol("C", positive=True)})
display(Math(r"\frac{\mathrm{Var}_{\rm bridge}}{\mathrm{Var}_{\rm OU}}\Big|_{u = c/2} = " + sp.latex(ratio)))
assert zero(ratio - 1 / (1 + sp.exp(-c)), gens={c: sp.Symbol("C", positive=True)}) == 0

# %% [markdown]
# The ratio is $1/(1 + e^{-\bar\theta_T})$: between the Brownian bridge's $1/2$ (the limit $\bar\theta_T \to 0$) and
# 1, whatever the noise level $\lambda$. With $\theta = 1$ on $[0, 1]$ the midpoint of the clock is $t = 0.5$, and
# $\bar\theta_T = 1$ gives 0.73 (the notebook's $\bar\theta_T = 3$ would give 0.95). The reason, as `why_04_2`:

# %%
why_04_2 = ("Larger than 1/2: free Brownian motion never forgets its start, so the pin at T removes half of its "
            "variance at mid-time, but the OU process forgets x0 and relaxes towards its stationary spread, so "
            "knowing the end point tells less about the middle and removes less.")
sch1 = schedules.continuous_constant(1.0, T=1.0)
ou = ResidualPath(sch1, 0.04, noise="global", pinned=False)
bridge = bridges.ou_bridge(sch1, 0.04, noise="global")
t_half = torch.tensor(0.5, dtype=DT)
answer_04_2 = float(bridge.coefficients(t_half)[2] ** 2 / ou.coefficients(t_half)[2] ** 2)
assert abs(answer_04_2 - float(ratio.subs(c, 1))) < 1e-12
print(f"Var(bridge) / Var(OU) at t = 0.5 for thbar_T = 1: {answer_04_2:.4f}")

feedback = check("04.2", answer_04_2)
display(feedback)
assert feedback

# %% [markdown]
# ## 04.3 — Where a PF-ODE path of a bridge goes
#
# With the exact $x_0$, every path $x(u) = \mu + \Theta_t\pi + \Sigma_t\,\nu(\pi)\,\epsilon$ with a *fixed* $\epsilon$
# solves the PF-ODE (`docs/theory.md` (7.4); the fact `reverse.pf_ode_transports_noise`, verified below): along a
# PF-ODE path the distance from the mean curve, in units of the marginal's standard deviation $\Sigma_t|\nu(\pi)|$,
# stays constant. The paths from the pinned point are the case $\epsilon = 0$, the mean curve. The path through
# $x = 0.1$ at $t = 0.75$ has $\epsilon = (0.1 - \mu - \Theta_{0.75}\pi)/(\Sigma_{0.75}\pi)$, so at $t = 0.5$
#
# $$x = \mu + \Theta_{0.5}\pi + \frac{\Sigma_{0.5}}{\Sigma_{0.75}}\,\big(0.1 - \mu - \Theta_{0.75}\pi\big),
# \qquad \pi = -0.6 - 0.4 = -1 .$$
#
# The noise factor cancels from the ratio: the answer is the same for GOUB's global noise.

# %%
assert verify(BY_NAME["reverse.pf_ode_transports_noise"])[0]
sch = schedules.continuous_constant(3.0, T=1.0)
rdbm_1d = bridges.ou_bridge(sch, 0.04, noise="modulated")
x0_low, mu_1d = torch.tensor([[-0.6]], dtype=DT), torch.tensor([[0.4]], dtype=DT)
mean = {t: float(rdbm_1d.mean(x0_low, mu_1d, t)) for t in (0.5, 0.75)}
std = {t: float(rdbm_1d.std(x0_low, mu_1d, t)) for t in (0.5, 0.75)}
answer_04_3 = mean[0.5] + std[0.5] / std[0.75] * (0.1 - mean[0.75])
print(f"mean curve: {mean[0.75]:.4f} at t = 0.75, {mean[0.5]:.4f} at t = 0.5;  Sigma ratio {std[0.5] / std[0.75]:.4f};"
      f"  x at t = 0.5: {answer_04_3:.4f}")

feedback = check("04.3", answer_04_3)
display(feedback)
assert feedback

# %% [markdown]
# The exact deterministic sampler (implicit, $\eta = 0$) from $x = 0.1$ at $t = 0.75$ confirms it without any
# discretisation error, and so does GOUB's global noise:

# %%
oracle = samplers.Denoiser(lambda x, m, t: x0_low, clamp=False)
for p in (rdbm_1d, rdbm_1d.with_noise("global")):
    x_half = samplers.sample_implicit(oracle, mu_1d, p, torch.linspace(0.75, 0.5, 6, dtype=DT),
                                      x_T=torch.tensor([[0.1]], dtype=DT))
    assert abs(float(x_half) - answer_04_3) < 1e-12
