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
# # 02a — The forward bridge: its marginal and its posterior
#
# **What you will learn.** Where a pixel of the residual bridge is at any time given the clean image (the
# marginal $q(x_t\mid x_0)$, derived three ways) and where it was earlier given where it is now (the posterior
# $q(x_s\mid x_t, x_0)$, the distribution an ancestral sampler draws from). Notebook 02b runs the bridge backwards
# with these formulas; 02c turns them into the sampler RDBM uses.
#
# **Prerequisites.** Notebook 01 (the OU process, the h-transform, $\Theta_t$ and $\Sigma_t$, the reference grid)
# and `docs/theory.md` §4–5. Conditioning one Gaussian on another (completing the square).
# We work in the clock $u = \bar\theta_t$ with $c = \bar\theta_T$; for three times $0<s<t<T$ the clock
# increments $a = \bar\theta_s$, $b = \bar\theta_{s:t}$, $d = \bar\theta_{t:T}$ are positive symbols.
#
# Full-mode wall time: 13 s on a 2-core CPU shared with other jobs (`FAST=1`: 13 s;
# `benchmarks/notebook_times.py`).

# %%
import matplotlib.pyplot as plt
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family, marginal, posterior
from derivations.common import a, b, c, lam, mu, pi, readable, u, x, xt
from rdbm_core.bridge import bridges


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text (or a SymPy object), ``rhs`` a SymPy expression."""
    display(Math((lhs if isinstance(lhs, str) else sp.latex(lhs)) + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 0. The picture first: what the residual bridge does to each pixel
#
# Notebook 01 (section 3) introduced the bridge coefficients: every pixel follows
# $x_t = \mu + \Theta_t\pi + \Sigma_t\,s(\pi)\,\epsilon$, from the clean $x_0$ at the clean end to the degraded $\mu$
# at $t_T$. RDBM's noise factor is $s(\pi) = \pi$, so the
# per-pixel standard deviation is $\Sigma_t|\pi|$: intact pixels ($\pi = 0$) get no noise (notebook 05 shows what
# that means on images), slightly degraded pixels little. GOUB is the same bridge with noise factor 1. On the
# reference grid of notebook 01 ($\lambda = 10^{-4}$ in the paper; here $\lambda = 0.01$ to make the curves visible):

# %%
rdbm = bridges.rdbm(lam=0.01)
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
# (Right: the curve for $|\pi| = 1$ is hidden under the dashed global-noise curve; for $|\pi| = 1$ the two are the
# same.) This notebook derives these curves (section 1), then the posterior a sampler needs to step backwards in
# time (section 2).
#
# ## 1. The marginal, three ways
#
# **(a) Bayes** (`docs/theory.md` eq. 4.8). $q(x_t\mid x_0, x_T = \mu) \propto p(x_t\mid x_0)\,p(x_T = \mu\mid x_t)$
# is a product of two Gaussians in $x_t$. Step by step, writing $x$ for $x_t$, $u = \bar\theta_t$, $c = \bar\theta_T$
# and dropping the terms free of $x$: the free OU marginal of notebook 01 and $\log h$ (the kernel from $x$ at $u$ to
# $\mu$ at $c$),

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
# numerically from $(x_0, 0)$ in 30-digit arithmetic agree with the closed form to better than $10^{-20}$).
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
assert float(post_std[0]) == 0 and torch.allclose(post_mean[0], px0)  # pinned at x0 (s = -1)
# one grid step before t the posterior sits near x_t, narrower than the marginal (which does not know x_t)
assert abs(float(post_mean[-2] - px_t)) < 0.1 and float(post_std[-2]) < 0.5 * float(marg_std[-2])

# %% [markdown]
# SymPy, as for the marginal: Bayes with two Gaussians in $x_s$, the free OU marginal $p(x_s\mid x_0)$ and the
# kernel $p(x_t\mid x_s)$ (the $h$ factors cancel, as said above), completed to a square in $x_s$. The mean is affine
# in $\pi$ and in $x_t - \mu$; its two coefficients, read off as derivatives, in the increments
# $a = \bar\theta_s$, $b = \bar\theta_{s:t}$:

# %%
post_mean, _ = posterior.posterior_by_bayes()  # (mean, variance); the variance is exercise 02a.1
P_bayes, K_bayes = readable(sp.diff(post_mean, pi)), readable(sp.diff(post_mean, xt))
show(r"P = \partial_\pi\,\mathrm{mean}", P_bayes)
show(r"K = \partial_{x_t}\mathrm{mean}", K_bayes)
show(r"\mathrm{mean} - \big(\mu + P\pi + K(x_t - \mu)\big)",
     readable(post_mean - (mu + P_bayes * pi + K_bayes * (xt - mu))))

# %% [markdown]
# In hyperbolic form, the posterior mean of `docs/theory.md` eq. 5.1 (the differences are 0):

# %%
P_sinh, K_sinh, _ = family.posterior_coefficients(a, b)
show(r"\mathrm{mean}", posterior.claimed()[0])
show(r"P - \frac{\sinh b}{\sinh(a + b)},\ K - \frac{\sinh a}{\sinh(a + b)}",
     sp.Tuple(readable(P_bayes - P_sinh), readable(K_bayes - K_sinh)))

# %% [markdown]
# Its variance $V\pi^2$ is exercise 02a.1, so it is not displayed here. The checks below compare the Bayes result
# with the library's formulas (mean and variance), then confirm that the posterior is consistent with the marginals
# (Chapman–Kolmogorov for the mean and, by the law of total variance, for the variance) and has the right end points.

# %% tags=["nbval-check-output"]
checks = [posterior.check_mean(), posterior.check_variance(), posterior.check_ck_mean(),
          posterior.check_ck_variance(), posterior.check_endpoints()]
assert checks == [0] * 5
print(checks)

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/02a_marginal_and_posterior_solutions.ipynb`.
#
# **02a.1 (derive).** The posterior is $q(x_s\mid x_t, x_0) = \mathcal N\big(\mu + P\pi + K(x_t - \mu),\ V\pi^2\big)$.
# Derive the variance coefficient $V$ (per unit $\pi^2$): a SymPy expression in `a` $= \bar\theta_s$,
# `b` $= \bar\theta_{s:t}$ and `lam` (you may also use `d` $= \bar\theta_{t:T}$, so $\bar\theta_T = a + b + d$,
# if it cancels).

# %%
from derivations.common import d

from rdbm_course.exercises import check

answer_02a_1 = ...  # a SymPy expression in a, b and lam
check("02a.1", answer_02a_1)

# %% [markdown]
# **02a.2 (predict, then check).** The picture of section 2 observed the pixel at $t = 80$. Move the observation to
# the terminal time $t_T$: there every path of the bridge sits at $x_T = \mu$, so the observation is $x_T = \mu$.
# What is the posterior $q(x_s\mid x_T = \mu, x_0)$ at the earlier times $s$?
#
# - (a) a point mass at $\mu$ for every $s$: the observation pins the whole path to $\mu$;
# - (b) the bridge marginal $q(x_s\mid x_0)$ of section 1, unchanged;
# - (c) the marginal of the free OU process of notebook 01, $p(x_s\mid x_0)$, no longer pulled to $\mu$;
# - (d) a Gaussian narrower than the bridge marginal at every $s$, since one more observation narrows it.
#
# Answer with the letter as a string; the checker computes the library's posterior on the reference grid.

# %%
answer_02a_2 = ...  # "a", "b", "c" or "d"
check("02a.2", answer_02a_2)
