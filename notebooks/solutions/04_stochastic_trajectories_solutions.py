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
# and the noise), how much of the free OU process's variance the pinned end keeps at mid-time (from the
# conditional-Gaussian identity: a share that rises from Brownian motion's 1/2 to 1 as $\bar\theta_T$ grows), and how a PF-ODE path with a known $x_0$ keeps its distance from the mean in units of the marginal's standard
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
# ## 04.2 — How much of the free OU variance the OU bridge keeps at mid-time
#
# **Prediction (the limits), before any algebra.** For a short clock, $c \to 0$, the mean reversion has no time to
# act: the OU process is Brownian motion, and pinning its end keeps half of the variance at mid-time, as the Brownian
# bridge does. For a long clock, $c \to \infty$, the free process forgets $x_t$ long before $T$: $x_T$ carries no
# information about $x_t$, and the pin removes nothing, so the share tends to 1.
#
# **Derivation from the free OU process.** Given $x_0$, at the clock $u$ the free process has variance
# $\lambda(1 - e^{-2u})$, and its OU transition from $u$ to $c$ is $x_T = \mu + e^{-(c - u)}(x_t - \mu) + \xi$ with
# $\xi$ independent of $x_t$. So $\mathrm{Cov}(x_t, x_T \mid x_0) = e^{-(c - u)}\,\mathrm{Var}(x_t \mid x_0)$ and
#
# $$\rho^2 = \frac{e^{-2(c - u)}\,\lambda(1 - e^{-2u})}{\lambda(1 - e^{-2c})}, \qquad
# \frac{\mathrm{Var}_{\rm bridge}}{\mathrm{Var}_{\rm OU}} = 1 - \rho^2 .$$
#
# SymPy at the midpoint $u = c/2$ ($c$ is `derivations.common.c`, i.e. $\bar\theta_T$; $\lambda$ cancels), checked
# against the bridge's own closed form $\Sigma_t^2 = 2\lambda\sinh(u)\sinh(c - u)/\sinh(c)$ (`docs/theory.md` (4.2)):

# %%
free_var = family.ou_var(u, noise=1)  # lam (1 - e^{-2u})
rho2 = (sp.exp(-(c - u)) * free_var) ** 2 / (free_var * free_var.subs(u, c))
share = readable((1 - rho2).subs(u, c / 2), gens={c: sp.Symbol("C", positive=True)})
display(Math(r"1 - \rho^2\Big|_{u = c/2} = " + sp.latex(share)))
assert zero(share - 1 / (1 + sp.exp(-c)), gens={c: sp.Symbol("C", positive=True)}) == 0
assert zero((family.Sigma2(u, c) / free_var).subs(u, c / 2) - share, gens={c: sp.Symbol("C", positive=True)}) == 0
limits = sp.limit(share, c, 0, "+"), sp.limit(share, c, sp.oo)
print("limits as c -> 0 and c -> infinity:", limits)
assert limits == (sp.Rational(1, 2), 1)

# %% [markdown]
# The share is $1/(1 + e^{-c})$ whatever $\lambda$: it rises from $1/2$ to 1 as $\bar\theta_T$ grows. The library's
# coefficients agree on clocks of several lengths (a constant rate $\theta = c$ on $[0, 1]$, whose midpoint is
# $t = 0.5$). The notebook's $c = 3$ gives 0.95: its OU bridge's variance 0.0362 at $t = 0.5$ (printed in its section 4)
# over the free OU variance $\lambda(1 - e^{-3})$ there.

# %%
t_half = torch.tensor(0.5, dtype=DT)
for c_value in (0.1, 1.0, 3.0, 10.0):
    sch_c = schedules.continuous_constant(c_value, T=1.0)
    ou = ResidualPath(sch_c, 0.04, noise="global", pinned=False)
    bridge = bridges.ou_bridge(sch_c, 0.04, noise="global")
    library = float(bridge.coefficients(t_half)[2] ** 2 / ou.coefficients(t_half)[2] ** 2)
    print(f"c = {c_value:4}: library {library:.4f}, 1 / (1 + e^-c) = {float(share.subs(c, c_value)):.4f}")
    assert abs(library - float(share.subs(c, c_value))) < 1e-12
assert f"{float(share.subs(c, 3)):.2f}" == "0.95"
assert f"{0.0362 / (0.04 * (1 - math.exp(-3))):.2f}" == "0.95"  # the notebook's printed variance over lam (1 - e^-3)

why_04_2 = ("c -> 0: 1/2, because over a short clock the OU process is Brownian motion and the pin removes half of "
            "its variance at mid-time; c -> infinity: 1, because over a long clock the free process forgets x_t before "
            "T, so knowing x_T tells nothing about x_t.")
answer_04_2 = (0.5, 1.0, "1 / (1 + exp(-c))")
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
