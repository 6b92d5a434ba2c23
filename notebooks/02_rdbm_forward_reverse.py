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
# # 02 — RDBM: forward marginal, posterior, score, reverse SDE, PF-ODE and the implicit sampler
#
# **What you will learn.** The closed-form RDBM marginal derived three ways, the posterior used for
# ancestral sampling, why nothing ever divides by the residual `pi`, why the `eta = 0` implicit step *is*
# the exact probability-flow ODE solution, and why RDBM predicts `x0` rather than the noise.
#
# **Prerequisites.** Notebook 01 (OU process, h-transform) and `docs/theory.md` §4–9.
# We work in the clock $u = \bar\theta_t$ with $c = \bar\theta_T$; for three times $0<s<t<T$ the clock
# increments $a = \bar\theta_s$, $b = \bar\theta_{s:t}$, $d = \bar\theta_{t:T}$ are positive symbols.
#
# Full-mode wall time: 14 s on a 2-core CPU (`FAST=1`: 13 s; `benchmarks/notebook_times.py`).

# %%
import os

import matplotlib.pyplot as plt
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family, marginal, parameterisation, posterior, reverse
from derivations.common import c, lam, mu, pi, pihat, readable, u, x
from rdbm_core import bridges, samplers

FAST = os.environ.get("FAST") == "1"


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text (or a SymPy object), ``rhs`` a SymPy expression."""
    display(Math((lhs if isinstance(lhs, str) else sp.latex(lhs)) + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 0. The picture first: what the residual bridge does to each pixel
#
# Notebook 01 ended with the bridge coefficients: every pixel follows $x_t = \mu + \Theta_t\pi + \Sigma_t\,s(\pi)\,\epsilon$,
# from the clean $x_0$ at the clean end to the degraded $\mu$ at $t_T$. RDBM's noise factor is $s(\pi) = \pi$, so the
# per-pixel standard deviation is $\Sigma_t|\pi|$: intact pixels ($\pi = 0$) get no noise (notebook 05 shows what
# that means on images), slightly degraded pixels little. GOUB is the same bridge with noise factor 1. On the reference grid of notebook 01
# ($\lambda = 10^{-4}$ in the paper; here $\lambda = 0.01$ to make the curves visible):

# %%
rdbm = bridges.rdbm(lam=0.01)
goub_like = rdbm.with_noise("global")
ts = rdbm.schedule.times()
Th, _, Sg = rdbm.coefficients(ts)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot(ts, Th, label=r"$\Theta_t$ (both)")
axes[0].plot(ts, Sg / Sg.max(), label=r"$\Sigma_t / \max\Sigma$ (both)")
axes[0].set_xlabel("reference index t")
axes[0].legend()
for p_abs in (1.0, 0.5, 0.1, 0.0):
    axes[1].plot(ts, Sg * p_abs, label=f"RDBM, |pi| = {p_abs}")
axes[1].plot(ts, Sg, "k--", label="global noise (GOUB), any pi")
axes[1].set_xlabel("reference index t")
axes[1].set_ylabel("per-pixel std")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# This notebook derives these curves, then everything a sampler needs to run the bridge backwards: the
# posterior, the score, the reverse SDE and probability-flow ODE, and the implicit step.
#
# ## 1. The marginal, three ways
#
# **(a) Bayes** (`docs/theory.md` eq. 4.8). $q(x_t\mid x_0, x_T = \mu) \propto p(x_t\mid x_0)\,p(x_T = \mu\mid x_t)$ is a product of two
# Gaussians in $x_t$. Step by step, writing $x$ for $x_t$, $u = \bar\theta_t$, $c = \bar\theta_T$ and dropping
# the terms free of $x$: the free OU marginal of notebook 01 and $\log h$ (the kernel from $x$ at $u$ to $\mu$ at $c$),

# %%
log_p0 = -(x - mu - sp.exp(-u) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * u)) * pi ** 2)
log_h = -(sp.exp(-(c - u)) * (x - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * (c - u))) * pi ** 2)
show(r"\log p(x_t = x \mid x_0)", log_p0)
show(r"\log h(x, t)", log_h)

# %% [markdown]
# Their sum is a quadratic in $x$, $-\frac{x^2}{2v} + \frac{m}{v}x + \mathrm{const}$: the precision $1/v$ is minus twice
# the coefficient of $x^2$, and the mean $m$ is the coefficient of $x$ divided by the precision. SymPy reads the
# coefficients off and simplifies (it works on $e^{u}, e^{c}$ as rational functions):

# %%
total = sp.expand(log_p0 + log_h)
precision = -2 * total.coeff(x, 2)
show(r"\frac{1}{v}", readable(precision))
var_bayes = readable(1 / precision)
mean_bayes = readable(total.coeff(x, 1) / precision)
show(r"v", var_bayes)
show(r"\frac{m - \mu}{\pi}", readable((mean_bayes - mu) / pi))

# %% [markdown]
# In hyperbolic form these are the coefficients of the bridge marginal $x_t = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$
# (`docs/theory.md` eq. 4.2); the differences simplify to 0, and the `derivations` package's own Bayes computation
# agrees:

# %%
show(r"\Theta_t", family.Theta(u, c))
show(r"\Sigma_t^2", family.Sigma2(u, c))
show(r"\frac{m - \mu}{\pi} - \Theta_t", readable((mean_bayes - mu) / pi - family.Theta(u, c)))
show(r"v - \Sigma_t^2\pi^2", readable(var_bayes - family.Sigma2(u, c) * pi ** 2))

# %% tags=["nbval-check-output"]
assert readable((mean_bayes - mu) / pi - family.Theta(u, c)) == 0
assert readable(var_bayes - family.Sigma2(u, c) * pi ** 2) == 0
assert marginal.check_gaussian_product() == 0
print(marginal.check_gaussian_product())

# %% [markdown]
# **(b) Moment ODEs.** Itô on the bridge SDE gives $m' = -\theta\coth(\bar\theta_{t:T})(m - \mu)$ and
# $v' = -2\theta\coth(\bar\theta_{t:T})v + 2\lambda\theta\pi^2$; the closed form solves them for *any*
# schedule and starts at $(x_0, 0)$, so it is their unique solution (checked independently too: the ODEs integrated
# numerically from $(x_0, 0)$ land on the closed form to 30 digits).
#
# **(c) Boundary values and Fokker–Planck.** $\Theta_0 = 1, \Sigma_0 = 0$ (the clean image),
# $\Theta_T = 0, \Sigma_T = 0$ (exactly $\mu$), and the Gaussian density solves the bridge's Fokker–Planck equation.

# %%
dm, dv = marginal.bridge_moment_odes()
show(r"m'", sp.factor(dm))
show(r"v'", dv)

# %% tags=["nbval-check-output"]
checks = [marginal.check_moment_odes(), marginal.check_boundary_values(), marginal.check_fokker_planck()]
assert checks == [0, 0, 0]
assert marginal.check_initial_values() < 1e-20  # the moment ODEs integrated numerically from x0 give the closed form
print(checks)

# %% [markdown]
# ## 2. The posterior $q(x_s\mid x_t, x_0)$ and Chapman–Kolmogorov
#
# Bayes with the bridge's kernel $p(x_t\mid x_s)\,h(x_t,t)/h(x_s,s)$: the $h(x_s, s)$ cancels the one inside
# the bridge marginal, so the posterior is the OU bridge from $x_0$ (at 0) to $x_t$ (at $t$) and does not
# depend on $\bar\theta_T$ (Markov property; `docs/theory.md` eqs. 5.1–5.3). It is what an ancestral sampler
# draws from: given where the path is now ($x_t$) and a guess of the clean image ($x_0$), where was it at an
# earlier time $s$?
#
# **The picture.** One degraded pixel ($x_0 = 0.6$, $\mu = -0.2$, $\lambda = 0.1$ on the reference grid), observed
# at $t = 80$ at a value $x_t$ 1.5 standard deviations above its mean. The colour is the posterior density of $x_s$
# for every earlier grid time $s$ (normalised to 1 per column); the dashed lines are the mean $\pm 2$ std of the
# marginal $q(x_s \mid x_0)$, which does not know $x_t$. The posterior is pinned at both ends, to $x_0$ at the
# clean end and to $x_t$ at $s = t$: a bridge from $x_0$ to $x_t$.

# %%
post_path = bridges.rdbm(lam=0.1)
px0, pmu, t_obs = torch.tensor([0.6], dtype=torch.float64), torch.tensor([-0.2], dtype=torch.float64), 80
Th80, _, Sg80 = post_path.coefficients(torch.tensor(t_obs))
px_t = pmu + Th80 * (px0 - pmu) + 1.5 * Sg80 * (px0 - pmu).abs()
s_grid = torch.arange(-1, t_obs + 1)
s_early = s_grid[:-1]  # the posterior needs s < t; at s = t it is x_t itself
post_mean, post_std = post_path.posterior(px_t.expand(len(s_early)), px0.expand(len(s_early)),
                                          pmu.expand(len(s_early)), torch.full_like(s_early, t_obs), s_early)
post_mean, post_std = torch.cat([post_mean, px_t]), torch.cat([post_std, torch.zeros(1, dtype=torch.float64)])
marg_mean = post_path.mean(px0.expand(len(s_grid)), pmu.expand(len(s_grid)), s_grid)
marg_std = post_path.std(px0.expand(len(s_grid)), pmu.expand(len(s_grid)), s_grid)
xg = torch.linspace(-0.8, 1.0, 361, dtype=torch.float64)
dens = torch.exp(-(xg[:, None] - post_mean[None]) ** 2 / (2 * post_std[None].clamp_min(1e-3) ** 2))
fig, ax = plt.subplots(figsize=(8, 3.6))
ax.pcolormesh(s_grid, xg, dens, cmap="viridis", shading="auto")
ax.plot(s_grid, marg_mean, "w--", lw=1, label=r"marginal $q(x_s \mid x_0)$: mean $\pm$ 2 std")
ax.plot(s_grid, marg_mean + 2 * marg_std, "w--", lw=0.7)
ax.plot(s_grid, marg_mean - 2 * marg_std, "w--", lw=0.7)
ax.plot([t_obs], px_t, "r*", ms=10, label=rf"observed $x_t$ at $t = {t_obs}$")
ax.plot([-1], px0, "o", color="orange", label=r"$x_0$ at the clean end")
ax.set_xlabel("earlier grid time s")
ax.set_ylabel(r"$x_s$")
ax.set_title(r"posterior $q(x_s \mid x_t, x_0)$ (colour, normalised per column)", fontsize=10)
ax.legend(fontsize=8, loc="lower left")
plt.tight_layout()
plt.show()
assert float(post_std[0]) == 0 and float(post_std[-1]) == 0  # pinned at x0 (s = -1) and at x_t (s = t)
assert torch.allclose(post_mean[[0, -1]], torch.cat([px0, px_t]))

# %% [markdown]
# SymPy: Bayes with two Gaussians in $x_s$, $p(x_s\mid x_0)\,p(x_t\mid x_s)$, completed to a square. The mean
# (in the increments $a = \bar\theta_s$, $b = \bar\theta_{s:t}$):

# %%
pm, pv = posterior.posterior_by_bayes()
show(r"\mathrm{posterior\ mean}", posterior.claimed()[0])

# %% [markdown]
# Its variance $V\pi^2$ is exercise 02.1, so it is not displayed here. The checks below compare the Bayes result
# with the library's formulas (mean and variance), then confirm that the posterior is consistent with the marginals
# (Chapman–Kolmogorov for the mean and, by the law of total variance, for the variance) and has the right end points.

# %% tags=["nbval-check-output"]
checks = [posterior.check_mean(), posterior.check_variance(), posterior.check_ck_mean(),
          posterior.check_ck_variance(), posterior.check_endpoints()]
assert checks == [0] * 5
print(checks)

# %% [markdown]
# ## 3. Score, reverse SDE and probability-flow ODE
#
# The conditional score is $-(x - \mu - \Theta_t\pi)/(\Sigma_t^2\pi^2)$. It divides by $\pi^2$, but it only
# ever appears multiplied by $g_t^2 = 2\lambda\theta_t\pi^2$, and the product is finite even at $\pi = 0$:

# %%
score = reverse.score()
show(r"\partial_x\log q", sp.simplify(score))
show(r"g_t^2\,\partial_x\log q", sp.factor(sp.cancel(2 * lam * reverse.theta * pi ** 2 * score)))

# %% tags=["nbval-check-output"]
checks = [reverse.check_score_form(), reverse.check_score_term_free_of_pi_division()]
assert checks == [0, 0]
print(checks)

# %% [markdown]
# Because the diffusion coefficient $\sqrt{2\lambda}\,\pi$ depends on $x_0$, the reverse SDE and PF-ODE are
# exact for the conditional path ($x_0$ given); the sampler puts $\hat x_0$ both into $g$ and into the score,
# and $\hat\pi^2$ cancels. Checks: the reverse-time SDE with drift $f - g^2\nabla\log q$ has the bridge marginals
# (reverse-time Fokker–Planck), the PF-ODE with $f - \tfrac12 g^2\nabla\log q$ transports them (continuity
# equation), and with $\hat x_0$ plugged in the PF-ODE velocity is the library's formula (`docs/theory.md` eq. 7.2).
# Deriving that velocity is exercise 02.2, so it is not displayed here.

# %% tags=["nbval-check-output"]
checks = [reverse.check_reverse_sde(), reverse.check_pf_ode_continuity(), reverse.check_pf_ode_x0hat_form()]
assert checks == [0, 0, 0]
print(checks)

# %% [markdown]
# After the cancellation the conditional velocity is **affine in $x_0$** with an $x_0$-free slope
# $-\lambda\Theta_t/\Sigma_t^2$. Averaging over $x_0\mid x_t$ therefore gives
# $E[v(x\mid x_0)\mid x_t = x] = v(x\mid E[x_0\mid x_t = x])$: with the MMSE prediction $\hat x_0$ the PF-ODE
# transports the *marginal* $p(x_t\mid\mu)$ exactly between any two times strictly inside the bridge (the
# flow-matching argument, `docs/theory.md` eq. 7.3), modulation notwithstanding. **Caveat at the pinned end:** at
# $t_T$ every path sits at $\mu$, the ODE is singular there and its solution through $x_T = \mu$ is not unique; a
# deterministic sampler started at $x_T = \mu$ returns *one* output per $\mu$ and cannot reproduce the spread of
# $p(x_0\mid\mu)$ (section 4 below; notebook 04 shows it on paths; `docs/theory.md` §7).
# The stochastic reverse SDE has no such property — its noise amplitude $\sqrt{2\lambda}|\pi|$ depends on $x_0$,
# so the $\eta > 0$ samplers use $|\hat\pi|$ as an approximation.

# %% tags=["nbval-check-output"]
assert reverse.check_pf_velocity_affine_in_x0() == 0
print(reverse.check_pf_velocity_affine_in_x0())

# %% [markdown]
# ## 4. The implicit sampler is the exact ODE solution
#
# Every $x(u) = \mu + \Theta(u)\hat\pi + \Sigma(u)\,k$ with constant $k$ solves the PF-ODE. With
# $k = (x_t - \mu - \Theta_t\hat\pi)/\Sigma_t$ this *is* the $\eta = 0$ step, which therefore integrates the
# ODE exactly over $[s, t]$ for fixed $\hat x_0$ (the ODE is linear in $x$, so the solution through $x_t$ is
# unique). With $k = \pi\epsilon$ it shows each noise value riding its own path into $\mu$: all paths meet at
# $T$, so the ODE started at $T$ is not unique — the first step picks $\mu + \Theta_s\hat\pi$ ($\epsilon = 0$).
# With $\rho_s^2$ = the posterior variance the step is the posterior (ancestral) step (`docs/theory.md` eqs. 8.1–8.4).
#
# **The deterministic trajectory does not depend on the noise factor.** In the $\eta = 0$ step the noise part of
# $x_t$ is carried to $s$ by the ratio of the marginal standard deviations, $\Sigma_s|s(\pi)| / \Sigma_t|s(\pi)| =
# \Sigma_s/\Sigma_t$: the noise factor cancels, and so it does in the first step out of $x_T = \mu$ (which has no
# noise part) and in the PF-ODE velocity. So for a given network the $\eta = 0$ trajectory from $x_T = \mu$ is the
# same for RDBM ($s(\pi) = \pi$) and for global noise ($s = 1$) (`docs/theory.md` eq. 8.5): **with the deterministic
# sampler, residual modulation acts only through training** (the distribution of $x_t$ the network learns from), and
# otherwise only through the stochastic samplers ($\eta > 0$), whose injected noise is proportional to $s(\hat\pi)$.
# A numeric check of this follows the oracle run below.

# %% tags=["nbval-check-output"]
checks = [reverse.check_implicit_eta0_solves_pf_ode(), reverse.check_pf_ode_transports_noise(),
          reverse.check_implicit_eta0_general_target(), reverse.check_implicit_eta0_initial_value(),
          reverse.check_implicit_step_keeps_marginal(), reverse.check_implicit_eta1_coefficient(),
          reverse.check_implicit_eta1_mean()]
assert checks == [0] * 7
print(checks)

# %% [markdown]
# Near $T$ both the drift $\coth d$ and the score factor $\lambda/\Sigma^2$ blow up like $1/d$
# ($d = \bar\theta_{t:T}$), but along a bridge path their sum is only $O(d^{-1/2})$ — integrable:

# %%
show(r"\lim_{d\to0}\sqrt{d}\,v", reverse.check_near_T_rate())

# %% tags=["nbval-check-output"]
assert reverse.check_near_T_terms() == 0
assert sp.simplify(reverse.check_near_T_rate() + sp.sqrt(lam / 2) * pi * reverse.eps) == 0
print(reverse.check_near_T_terms())

# %% [markdown]
# A numeric illustration with an *oracle* network (it returns the true $x_0$). With $\eta = 0$ the first step
# lands on the $\epsilon = 0$ path, so every later state must lie exactly on $\mu + \Theta_t\pi$. Explicit Euler
# on the PF-ODE (first step implicit) only approximates it: near $T$ the reference clock advances by up to
# about 1 per index while the ODE's rates grow like $1/\bar\theta_{t:T}$ (a stiff regime). $\eta = 1$ wanders like
# a bridge sample path and ends at $x_0$ as well.
# The two flat lines are intact pixels ($\hat\pi = 0$: no drift, no noise; notebook 05 shows it on whole images).

# %%
g = torch.Generator().manual_seed(0)
n_pix = 6
x0 = torch.rand((1, n_pix), generator=g, dtype=torch.float64) * 2 - 1
mu_img = x0.clone()
mu_img[0, :4] = torch.rand(4, generator=g, dtype=torch.float64) * 2 - 1  # 4 degraded, 2 intact pixels
rdbm = bridges.rdbm(lam=0.01)


def oracle(x_t, mu_, t):
    return x0.expand_as(x_t)


runs = {"implicit eta=0": (samplers.sample_implicit, rdbm.schedule.sampling_times(10), dict(eta=0.0)),
        "implicit eta=1": (samplers.sample_implicit, rdbm.schedule.sampling_times(10), dict(eta=1.0)),
        "Euler PF-ODE": (samplers.sample_euler, rdbm.schedule.sampling_times(20 if FAST else 99), {})}
trajectories = {}
for name, (sampler, grid, kw) in runs.items():
    traj = samplers.Trajectory()
    sampler(samplers.Denoiser(oracle, clamp=False), mu_img, rdbm, grid, callback=traj,
            **(dict(generator=torch.Generator().manual_seed(1), **kw) if kw else {}))
    xs_ = torch.stack(traj.x)[:-1, 0]  # drop the final return of x0_hat
    exact = torch.stack([rdbm.mean(x0, mu_img, t)[0] for t in grid[:-1]])
    trajectories[name] = (grid[:-1], xs_)
    print(f"{name:15s} max |x_t - (mu + Theta_t pi)| over the trajectory: {float((xs_ - exact).abs().max()):.1e}")
    if name == "implicit eta=0":
        assert float((xs_ - exact).abs().max()) < 1e-12

# %% [markdown]
# The noise factor cancels in the deterministic sampler. With the oracle every state has no noise part at all, so
# take an *imperfect* network whose answer depends on the state, $\hat x_0 = x_0 + 0.3\,(x_t - \mu)$: then
# $x_t - E[x_t\mid\hat x_0]$ is not zero and the ratio that carries it matters. `eta = 0`, RDBM against the same bridge
# with global noise: the outputs must agree to rounding (they would not if the step used $|s(\hat\pi)|$ of
# different predictions at $t$ and $s$, or $\Sigma$ with the factor on one side only).

# %%
def imperfect(x_t, mu_, t):
    return x0.expand_as(x_t) + 0.3 * (x_t - mu_)


grid10 = rdbm.schedule.sampling_times(10)
imperfect_net = samplers.Denoiser(imperfect, clamp=False)
x_mod = samplers.sample_implicit(imperfect_net, mu_img, rdbm, grid10, eta=0.0)
x_glob = samplers.sample_implicit(imperfect_net, mu_img, rdbm.with_noise("global"), grid10, eta=0.0)
gap_eta0 = float((x_mod - x_glob).abs().max())
print(f"eta = 0, imperfect network: max |RDBM - global noise| = {gap_eta0:.1e}; "
      f"max |output - x0| = {float((x_mod - x0).abs().max()):.2f}")
assert gap_eta0 < 1e-12

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), sharey=True)
for ax, (name, (grid, tr)) in zip(axes, trajectories.items()):
    ax.plot(grid, tr.numpy(), marker=".")
    ax.invert_xaxis()
    ax.set_title(name)
    ax.set_xlabel("t (from t_T down)")
axes[0].set_ylabel("pixel value")
plt.tight_layout()
plt.show()


# %% [markdown]
# ## 5. Why RDBM predicts $x_0$, not the noise
#
# Under modulation $x_t - \mu = (\Theta_t + \Sigma_t\epsilon)\pi$, so a noise prediction gives $\pi$ only after a
# division by the random number $\Theta_t + \Sigma_t\epsilon$:

# %%
show(pi, parameterisation.solve_modulated())
show(r"\epsilon^*", parameterisation.pole())
show(r"\lim_{t\to T}\epsilon^*", parameterisation.check_pole_moves_to_mode())
show(r"\pi\ \mathrm{(global\ noise)}", parameterisation.solve_global())

# %% tags=["nbval-check-output"]
checks = [parameterisation.check_modulated_division(), parameterisation.check_pole_moves_to_mode(),
          parameterisation.check_sensitivity(), parameterisation.check_inverse_moment_diverges(),
          parameterisation.check_global_division(), parameterisation.check_global_amplification(),
          parameterisation.check_x0_prediction()]
assert checks == [0, 0, sp.oo, sp.oo, 0, sp.oo, 0]
print(checks)

# %% [markdown]
# Reading the checks: the fourth is $E|\hat\pi| = \infty$ under modulation (below), and the sixth, `oo`, says that
# noise prediction fails near $T$ for **global noise too**: there $\hat x_0$ is recovered by dividing by the
# deterministic $\Theta_t$, so a unit error in $\hat\epsilon$ costs $\Sigma_t/\Theta_t \to \infty$ in $\hat\pi$ as
# $t \to t_T$, and at $t_T$ itself the recovery is $0/0$ (`docs/theory.md` eq. 9.5). Predicting $x_0$ (the last check)
# divides by nothing.
#
# Near $T$ the pole $\epsilon^* = -\Theta_t/\Sigma_t$ sits at the mode of $\mathcal N(0,1)$, and
# $\int dz/|z| = \infty$ makes even $E|\hat\pi|$ infinite. Numerically, with a noise predictor that is off by
# only $0.01$, the recovered residual on the reference schedule has a heavy tail:

# %%
n = 2000 if FAST else 200_000
gen = torch.Generator().manual_seed(0)
t_late = torch.tensor(95)
Th_t, _, Sg_t = (float(v) for v in rdbm.coefficients(t_late))
eps_true = torch.randn(n, generator=gen, dtype=torch.float64)
pi_true = 0.5
x_minus_mu = (Th_t + Sg_t * eps_true) * pi_true
pi_from_noise = x_minus_mu / (Th_t + Sg_t * (eps_true + 0.01))
err = (pi_from_noise - pi_true).abs()
print(f"t = 95: Theta = {Th_t:.3f}, Sigma = {Sg_t:.3f}, pole at eps* = {-Th_t / Sg_t:.2f}")
for q in (0.5, 0.99, 0.999):
    print(f"  quantile {q}: |pi_hat - pi| = {float(err.quantile(q)):.3g}")
print(f"  max: {float(err.max()):.3g}   (x0 prediction off by 0.01 gives |pi_hat - pi| = 0.01 exactly)")

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/02_rdbm_forward_reverse_solutions.ipynb`.
#
# **02.1 (derive).** The posterior is $q(x_s\mid x_t, x_0) = \mathcal N\big(\mu + P\pi + K(x_t - \mu),\ V\pi^2\big)$.
# Derive the variance coefficient $V$ (per unit $\pi^2$): a SymPy expression in `a` $= \bar\theta_s$,
# `b` $= \bar\theta_{s:t}$ and `lam` (you may also use `d` $= \bar\theta_{t:T}$, so $\bar\theta_T = a + b + d$,
# if it cancels).

# %%
from derivations.common import a, b, d

from rdbm_course.exercises import check

answer_02_1 = ...  # a SymPy expression in a, b and lam
check("02.1", answer_02_1)

# %% [markdown]
# **02.2 (derive).** The probability-flow ODE per unit clock is $dx/du = f - \tfrac12 g^2\,\partial_x\log q$ with
# $f = \coth(\bar\theta_{t:T})(\mu - x)$, $g^2 = 2\lambda\hat\pi^2$ and
# $q = \mathcal N(\mu + \Theta_t\hat\pi,\ \Sigma_t^2\hat\pi^2)$ ($x_0$ replaced by $\mu + \hat\pi$). Derive the
# velocity: a SymPy expression in `x`, `mu`, `pihat`, `u`, `c` and `lam` (`family.Theta(u, c)` and
# `family.Sigma2(u, c)` may be used).

# %%
answer_02_2 = ...  # a SymPy expression in x, mu, pihat, u, c and lam
check("02.2", answer_02_2)

# %% [markdown]
# **02.3 (implement).** Write one deterministic ($\eta = 0$) implicit step
# `implicit_step_eta0(path, x_t, x0_hat, mu, t, s)` that returns $x_s$ (a tensor shaped like `x_t`) for integer
# grid times $s < t$ given as 0-dim tensors; `path.coefficients(t)` returns $(\Theta_t, \Psi_t, \Sigma_t)$.
# It is checked against the library's sampler with an imperfect `x0_hat`, and with the true $x_0$ it must carry
# $\mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ to $\mu + \Theta_s\pi + \Sigma_s\pi\epsilon$ (same $\epsilon$, hence
# the marginal at $t$ to the marginal at $s$); intact pixels must come out exactly $\mu$.

# %%
answer_02_3 = ...  # a function implicit_step_eta0(path, x_t, x0_hat, mu, t, s) -> x_s
check("02.3", answer_02_3)

# %% [markdown]
# **02.4 (predict, then check).** Eight pixels, a clean image $x_0$, its degraded version $\mu$ and a network's
# imperfect prediction $\hat x_0$:
#
# | pixel | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 |
# |---|---|---|---|---|---|---|---|---|
# | $x_0$ | 0.3 | -0.5 | 0.2 | 0.8 | -0.1 | 0.6 | 0.0 | -0.7 |
# | $\mu$ | 0.3 | -0.1 | 0.2 | 0.1 | -0.1 | 0.6 | 0.4 | -0.7 |
# | $\hat x_0$ | 0.3 | -0.5 | 0.25 | 0.1 | -0.1 | 0.6 | 0.1 | -0.7 |
#
# The experiment: `bridges.rdbm(lam=0.01)`, a network that always answers $\hat x_0$, and the stochastic sampler
# `samplers.sample_implicit(..., eta=1.0)` on the grid 99, 89, 79, 69 (three steps from $x_T = \mu$, stopping
# before the clean point). *Before* running anything: which pixels of the result are exactly (bit for bit) equal
# to $\mu$? Answer with a Python set of pixel indices; the checker runs the experiment.

# %%
answer_02_4 = ...  # a set of pixel indices, e.g. {1, 4}
check("02.4", answer_02_4)
