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
# and `docs/theory.md` §4 (read §5 *after* this notebook: it states the results of exercises 02a.1 and 02a.2).
# Conditioning one Gaussian on another (completing the square). We work in the clock $u = \bar\theta_t$ with
# $c = \bar\theta_T$; for three times $0<s<t<T$ the clock increments $a = \bar\theta_s$, $b = \bar\theta_{s:t}$ and
# $\bar\theta_{t:T}$ are positive symbols (`docs/theory.md` eq. 1.5 and its symbol table). The code's SymPy symbol for
# $\bar\theta_{t:T}$ is `d`; in the text the letter $d$ is only the differential, as in $dx$ and $dt$.
#
# Wall time: about 13 s on a 2-core CPU shared with other jobs (this notebook has no fast mode;
# `benchmarks/notebook_times.py`).

# %%
import matplotlib.pyplot as plt
import sympy as sp
import torch

from derivations import marginal
from derivations.common import a, b, c, d, gaussian_log, lam, mu, pi, readable, theta, u, x, xt
from derivations.family import Sigma2, Theta, bridge_drift, bridge_mean
from rdbm_core.bridge import bridges
from rdbm_course.mathshow import agree, confirm, limit, show, vanishes_by_powers

PIXEL = r"pixel value ($[-1, 1]$ scale)"

# %% [markdown]
# ## 0. The picture first: what the residual bridge does to each pixel
#
# Notebook 01 (section 3) introduced the bridge coefficients. Every pixel follows
# $x_t = \Theta_t x_0 + \Psi_t\mu + \Sigma_t\,\nu(\pi)\,\epsilon$ with $\epsilon \sim \mathcal N(0, 1)$, from the clean
# $x_0$ at the clean end to the degraded $\mu$ at $t_T$: $\Theta_t$ is the weight of $x_0$, $\Psi_t$ the weight of $\mu$
# (here $\Psi_t = 1 - \Theta_t$, so that $x_t = \mu + \Theta_t\pi + \Sigma_t\,\nu(\pi)\,\epsilon$), and $\nu(\pi)$ the
# **noise factor**. RDBM's noise factor is $\nu(\pi) = \pi$, so the per-pixel standard deviation is $\Sigma_t|\pi|$:
# intact pixels ($\pi = 0$) get no noise (notebook 05 shows what that means on images), slightly degraded pixels
# little. With the global noise factor $\nu = 1$ every pixel gets $\Sigma_t$, whatever its $\pi$ (GOUB, notebook 03,
# is such a bridge on its own grid). On the reference grid of notebook 01
# ($\lambda = 10^{-4}$ in the paper; here $\lambda = 0.01$ to make the curves visible):

# %%
rdbm = bridges.rdbm(lam=0.01)
ts = rdbm.schedule.times()
Th, _, Sg = rdbm.coefficients(ts)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
axes[0].plot(ts, Th, color="tab:purple", label=r"$\Theta_t$")
axes[0].plot(ts, Sg / Sg.max(), color="tab:brown", label=r"$\Sigma_t / \max_t\Sigma_t$")
axes[0].set_xlabel("reference grid index $t$")
axes[0].set_ylabel("coefficient (dimensionless)")
axes[0].set_title(r"the coefficients, the same for $\nu(\pi) = \pi$ and $\nu = 1$", fontsize=10)
axes[0].legend(loc="center right", fontsize=9)
axes[1].plot(ts, Sg, "k--", label=r"global noise $\nu = 1$, any $\pi$ (= RDBM at $|\pi| = 1$)")
for p_abs, colour in ((0.5, "tab:blue"), (0.1, "tab:orange"), (0.0, "tab:green")):
    axes[1].plot(ts, Sg * p_abs, color=colour, label=rf"RDBM, $|\pi| = {p_abs}$")
axes[1].set_xlabel("reference grid index $t$")
axes[1].set_ylabel(r"per-pixel std of $x_t$, " + PIXEL)
axes[1].set_title(r"per-pixel standard deviation $\Sigma_t\,|\nu(\pi)|$", fontsize=10)
fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=9)
plt.show()
drop = float(Sg[-2] / Sg.max())
print(f"Sigma_t / max Sigma_t: {drop:.2f} at index {int(ts[-2])}, 0 at index {int(ts[-1])} = t_T")
assert abs(drop - 0.93) < 0.005 and float(Sg[-1]) == 0 and int(ts[-1]) == 99

# %% [markdown]
# (Right: RDBM's curve for $|\pi| = 1$ is the dashed global-noise curve itself, so it is not drawn twice.) Left: the
# vertical drop of $\Sigma_t$ between indices 98 and 99 (from 0.93 of its maximum to 0) is no artefact: the grid's last
# step is a jump of 0.999 in the clock (`docs/theory.md` eq. 10.4), so index 98 is still far from $t_T$ in the clock. This notebook derives these curves (section 1), then the posterior a sampler needs to step backwards in
# time (sections 2 and 3).
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
# Their sum is a quadratic in $x$, $-\frac{x^2}{2Q} + \frac{M}{Q}x + \mathrm{const}$ with the mean $M$ and the
# variance $Q$ of the product: the precision $1/Q$ is minus twice the coefficient of $x^2$, and the mean $M$ is the
# coefficient of $x$ divided by the precision. SymPy reads the coefficients off and simplifies (it works on
# $e^{u}, e^{c}$ as rational functions):

# %%
total = sp.expand(log_p0 + log_h)
precision = -2 * total.coeff(x, 2)
show(r"\frac{1}{Q}", readable(precision))
var_bayes = readable(1 / precision)
mean_bayes = readable(total.coeff(x, 1) / precision)
show(r"Q", var_bayes)
show(r"\frac{M - \mu}{\pi}", readable((mean_bayes - mu) / pi))

# %% [markdown]
# In hyperbolic form these are the coefficients of the bridge marginal $x_t = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$
# (`docs/theory.md` eq. 4.2). Writing $U = e^{u}$ and $C = e^{c}$, each side is one short fraction, and the two
# fractions are the same:

# %%
show(r"\Theta_t", Theta(u, c))
show(r"\Sigma_t^2", Sigma2(u, c))
agree(r"\frac{M - \mu}{\pi}", (mean_bayes - mu) / pi, r"\Theta_t", Theta(u, c))
agree(r"\frac{Q}{\pi^2}", var_bayes / pi ** 2, r"\Sigma_t^2", Sigma2(u, c))
confirm(marginal, "check_gaussian_product")  # the derivations package's own Bayes computation

# %% [markdown]
# **(b) Moment ODEs.** The bridge SDE is $dx_t = f_t(x_t)\,dt + g_t\,dw_t$ with the drift per unit time
# $f_t(x) = \theta_t\coth(\bar\theta_{t:T})(\mu - x)$ and, as in notebook 01, the squared diffusion coefficient per
# unit time $g_t^2 = 2\lambda\theta_t\pi^2$ (`docs/theory.md` eqs. 2.1 and 3.5).
# Itô's formula on $x$ and on $x^2$, averaged (the $dw$ terms have mean 0), gives
# $\frac{dM}{dt} = E[f_t(x_t)]$ and $\frac{d}{dt}E[x_t^2] = E[2x_tf_t(x_t)] + g_t^2$, so
# $\frac{dQ}{dt} = 2\,\mathrm{Cov}(x_t, f_t(x_t)) + g_t^2$. The drift is affine in $x$, so
# $E[f_t(x_t)] = f_t(M)$ and $\mathrm{Cov}(x_t, f_t(x_t)) = -\theta_t\coth(\bar\theta_{t:T})\,Q$: the ODEs below
# (`docs/theory.md` eq. 4.9; SymPy applies the same two rules, `derivations.common.ito_moment_odes`). The closed form $M = \mu + \Theta_t\pi$, $Q = \Sigma_t^2\pi^2$ solves them for *any*
# schedule (with $d\bar\theta_t/dt = \theta_t$) and starts at $(x_0, 0)$, so it is their unique solution:

# %%
dM, dQ = marginal.bridge_moment_odes()
M, Q = sp.symbols("M Q", real=True)
dM, dQ = (e.subs({marginal.M: M, marginal.V: Q}) for e in (dM, dQ))
show(r"\frac{dM}{dt}", sp.factor(dM))
show(r"\frac{dQ}{dt}", dQ)
thbar = sp.Function(r"\bar{\theta}")(sp.Symbol("t", positive=True))
closed = {M: bridge_mean(thbar, c), Q: Sigma2(thbar, c) * pi ** 2}



def both_sides(rate, value):
    """(d/dt of the closed form, the ODE's right-hand side at it), with thbar' = theta and thbar_t = u."""
    t_ = thbar.args[0]
    lhs = sp.diff(value, t_).subs(sp.Derivative(thbar, t_), theta).subs(thbar, u)
    return lhs, rate.subs(closed).subs(u, thbar).subs(thbar, u)


dM_closed, dM_ode = both_sides(dM, closed[M])
agree(r"\frac{d}{dt}(\mu + \Theta_t\pi)", dM_closed, r"\frac{dM}{dt}\Big|_{M = \mu + \Theta_t\pi}", dM_ode)
dQ_closed, dQ_ode = both_sides(dQ, closed[Q])
agree(r"\frac{d}{dt}(\Sigma_t^2\pi^2)", dQ_closed, r"\frac{dQ}{dt}\Big|_{Q = \Sigma_t^2\pi^2}", dQ_ode)
show(r"\big(\Theta_t,\ \Sigma_t^2\big)\big|_{\bar\theta_t = 0}", sp.Tuple(Theta(0, c), Sigma2(0, c)))
assert (Theta(0, c), Sigma2(0, c)) == (1, 0)
err = marginal.check_initial_values()
print(f"the moment ODEs integrated numerically from (x0, 0) in 30-digit arithmetic: largest distance to the closed "
      f"form {float(err):.0e} (at four clock values)")
assert err < 1e-20

# %% [markdown]
# **(c) Boundary values and Fokker–Planck.** At the clean end $\Theta = 1$, $\Sigma = 0$ (the clean image, above); at
# $t_T$ both vanish (exactly $\mu$), also as limits; and the Gaussian density solves the bridge's Fokker–Planck
# equation, written per unit clock for $L = \log q$: $L_u + f_x + f L_x - \lambda\pi^2(L_{xx} + L_x^2) = 0$ with the
# drift per unit clock $f = \coth(c - u)(\mu - x)$ (`docs/theory.md` eq. 3.5 divided by $\theta_t$). The left side is
# a quadratic in $x$; collected by powers of $x - M$, each of its three coefficients is a sum of four hyperbolic
# terms that cancel (for the constant term, $\sinh c - \sinh(c - 2u) = 2\cosh(c - u)\sinh u$):

# %%
limit(Theta(u, c), u, c, 0, lhs=r"\lim_{\bar\theta_t \to \bar\theta_T}\Theta_t")
limit(Sigma2(u, c), u, c, 0, lhs=r"\lim_{\bar\theta_t \to \bar\theta_T}\Sigma_t^2")
log_q = gaussian_log(x, bridge_mean(u, c), Sigma2(u, c) * pi ** 2)
show(r"L_x", sp.factor(sp.diff(log_q, x)))
show(r"L_{xx}", sp.factor(sp.diff(log_q, x, 2)))
show(r"f_x", sp.diff(bridge_drift(u, c), x))
L_x = sp.diff(log_q, x)
vanishes_by_powers(r"L_u + f_x + f L_x - \lambda\pi^2(L_{xx} + L_x^2)",
                   {"L_u": sp.diff(log_q, u), "f_x": sp.diff(bridge_drift(u, c), x), "f L_x": bridge_drift(u, c) * L_x,
                    r"-\lambda\pi^2(L_{xx} + L_x^2)": -lam * pi ** 2 * (sp.diff(L_x, x) + L_x ** 2)},
                   x, bridge_mean(u, c), "(x - M)")

# %% [markdown]
# ## 2. The posterior $q(x_s\mid x_t, x_0)$
#
# Bayes: $q(x_s\mid x_t, x_0) \propto q(x_s\mid x_0)\,q(x_t\mid x_s)$, with the bridge marginal
# $q(x_s\mid x_0) \propto p(x_s\mid x_0)\,h(x_s, s)$ and the bridge's kernel
# $q(x_t\mid x_s) = p(x_t\mid x_s)\,h(x_t,t)/h(x_s,s)$ (the h-transform of notebook 01). As a function of $x_s$,
# $h(x_t, t)$ is a constant, and the $h(x_s, s)$ of the kernel cancels the one of the marginal: the posterior is
# $\propto p(x_s\mid x_0)\,p(x_t\mid x_s)$, the OU bridge from $x_0$ (at the clean end) to $x_t$ (at $t$), and it does
# not depend on $\bar\theta_T$ (Markov property). It is what an ancestral sampler
# draws from: given where the path is now ($x_t$) and a guess of the clean image ($x_0$), where was it at an
# earlier time $s$?
#
# **The picture.** One degraded pixel ($x_0 = 0.6$, $\mu = -0.2$, $\lambda = 0.1$ on the reference grid), observed
# at $t = 80$ at a value $x_t$ 1.5 standard deviations above its mean. The colour is the posterior density of $x_s$
# for every earlier grid time $s$ (divided by its maximum in each column, so that every column spans the colour
# scale); the dashed lines are the mean $\pm 2$ std of the marginal $q(x_s \mid x_0)$, which does not know $x_t$. The
# posterior is pinned at both ends, to $x_0$ at the clean end and to $x_t$ at $s = t$: a bridge from $x_0$ to $x_t$.

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
fig, ax = plt.subplots(figsize=(8.5, 4.4), layout="constrained")
im = ax.pcolormesh(s_grid, xg, dens, cmap="viridis", shading="auto")
fig.colorbar(im, ax=ax, label="posterior density / its column maximum")
ax.plot(s_grid, marg_mean, "w--", lw=1, label=r"marginal $q(x_s \mid x_0)$: mean $\pm$ 2 std")
ax.plot(s_grid, marg_mean + 2 * marg_std, "w--", lw=0.7)
ax.plot(s_grid, marg_mean - 2 * marg_std, "w--", lw=0.7)
ax.plot([t_obs], px_t, "r*", ms=10, label=rf"observed $x_t$ at $t = {t_obs}$")
ax.plot([-1], px0, "o", color="orange", label=r"$x_0$ at the clean end ($s = -1$)")
ax.set_xlabel("earlier grid time $s$ (reference grid index)")
ax.set_ylabel(r"$x_s$, " + PIXEL)
ax.set_title(r"posterior $q(x_s \mid x_t, x_0)$ of one degraded pixel", fontsize=10)
ax.set_facecolor("0.3")
fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=9, facecolor="0.85")
plt.show()
assert float(post_std[0]) == 0 and torch.allclose(post_mean[0], px0)  # pinned at x0 (s = -1)
# one grid step before t the posterior sits near x_t, narrower than the marginal (which does not know x_t)
assert abs(float(post_mean[-2] - px_t)) < 0.1 and float(post_std[-2]) < 0.5 * float(marg_std[-2])

# %% [markdown]
# ## Exercise 02a.1 — the posterior variance
#
# Before the notebook derives the posterior's mean, derive its variance yourself (the derivation below would show
# you the route). Checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/02a_marginal_and_posterior_solutions.ipynb`.
#
# **02a.1 (derive, graded on your steps).** The posterior is
# $q(x_s\mid x_t, x_0) = \mathcal N\big(\mu + P\pi + K(x_t - \mu),\ V\pi^2\big)$ for coefficients $P$, $K$, $V$
# that depend on the clock only. Since the $h$'s cancel (above), Bayes's rule reads
# $q(x_s = x\mid x_t, x_0) \propto p(x_s = x\mid x_0)\,p(x_t\mid x_s = x)$ with two *free* OU kernels of notebook 01.
# Derive the variance coefficient $V$ (per unit $\pi^2$). Hand in a `dict` of four SymPy expressions, writing `x` for
# $x_s$ and `xt` for $x_t$ (both imported at the top), `a` $= \bar\theta_s$, `b` $= \bar\theta_{s:t}$ and `lam`.
# (The picture's `post_path.posterior` gives the variance as numbers on the grid, not as a formula.)
#
# - `"log_prior"`: $\log p(x_s = x\mid x_0)$; terms free of $x$ may be dropped;
# - `"log_kernel"`: $\log p(x_t\mid x_s = x)$; terms free of $x$ may be dropped;
# - `"precision"`: minus the second $x$-derivative of `log_prior + log_kernel`: an expression in `a`, `b`, `lam`
#   and `pi` (any equivalent form is accepted, also one that contains `d`, the code's $\bar\theta_{t:T}$, if it
#   cancels);
# - `"V"`: the posterior variance per unit $\pi^2$: an expression in `a`, `b` and `lam` (`d` may appear if it
#   cancels).
#
# A final formula alone is refused: the checker grades the steps.

# %%
from rdbm_course.exercises import check

answer_02a_1 = ...  # {"log_prior": ..., "log_kernel": ..., "precision": ..., "V": ...}
check("02a.1", answer_02a_1)

# %% [markdown]
# ## 3. The posterior's mean, and its consistency
#
# SymPy, as for the marginal, but on the bridge's own route (exercise 02a.1 took the shorter one, with the $h$'s
# cancelled by hand): the log of the bridge marginal at $s$, plus the log of the free kernel
# $p(x_t\mid x_s)$, minus $\log h(x_s, s)$, with $x$ for $x_s$ and the clock $a + b + \bar\theta_{t:T}$ at $T$. The sum, $\log q(x_s = x\mid x_t, x_0)$ up to
# a constant, is a quadratic in $x$, so its $x$-derivative is linear in $x$ and vanishes at exactly one point: the
# posterior mean (the helper below returns only that point). The mean is affine in $\pi$ and in $x_t - \mu$; its two
# coefficients, read off as derivatives, in the increments $a = \bar\theta_s$, $b = \bar\theta_{s:t}$:

# %%
def posterior_mean_by_bayes():
    """The root of the x-derivative of log q(x_s = x | x_t, x0) on the bridge's route (clock a + b + d at T)."""
    from derivations import ou  # noqa: PLC0415  (the free kernel; imported here, not left in the notebook's scope)

    c_T = a + b + d
    log_post = (gaussian_log(x, bridge_mean(a, c_T), Sigma2(a, c_T) * pi ** 2)
                + ou.kernel_logpdf(xt, x, b) - ou.kernel_logpdf(mu, x, c_T - a))
    slope_form = sp.expand(sp.diff(log_post, x))  # linear in x: (coefficient of x) x + (constant)
    return -slope_form.coeff(x, 0) / slope_form.coeff(x, 1)  # its one root


post_mean_bayes = posterior_mean_by_bayes()
P_bayes, K_bayes = readable(sp.diff(post_mean_bayes, pi)), readable(sp.diff(post_mean_bayes, xt))
show(r"P = \partial_\pi\,\mathrm{mean}", P_bayes)
show(r"K = \partial_{x_t}\mathrm{mean}", K_bayes)
agree(r"\mathrm{mean}", post_mean_bayes, r"\mu + P\pi + K(x_t - \mu)", mu + P_bayes * pi + K_bayes * (xt - mu))

# %% [markdown]
# In hyperbolic form the mean is $\mu + P\pi + K(x_t - \mu)$ with $P = \sinh b/\sinh(a + b)$ and
# $K = \sinh a/\sinh(a + b)$ (the same fractions in $A = e^a$, $B = e^b$), and $\bar\theta_{t:T}$ has dropped out. Then two
# checks of the mean at the ends of the posterior's bridge: it reaches $x_t$ as $s \to t$ ($b \to 0$), and it reaches
# $x_0 = \mu + \pi$ at the clean end ($a \to 0$). (The posterior *variance* $V\pi^2$, exercise 02a.1, is neither
# displayed nor used here; its checks, and how the posterior fits together with the marginal, are in the solutions.)

# %%
P_sinh, K_sinh = sp.sinh(b) / sp.sinh(a + b), sp.sinh(a) / sp.sinh(a + b)
agree(r"P", P_bayes, r"\frac{\sinh b}{\sinh(a + b)}", P_sinh)
agree(r"K", K_bayes, r"\frac{\sinh a}{\sinh(a + b)}", K_sinh)
claimed_mean = mu + P_sinh * pi + K_sinh * (xt - mu)
limit(claimed_mean, b, 0, xt, lhs=r"\lim_{b \to 0}\big(\mu + P\pi + K(x_t - \mu)\big)")
limit(claimed_mean, a, 0, mu + pi, lhs=r"\lim_{a \to 0}\big(\mu + P\pi + K(x_t - \mu)\big)")
from derivations import posterior as _facts  # the derivations package's own statement of the mean

confirm(_facts, "check_mean")
del _facts

# %% [markdown]
# ## Exercise 02a.2
#
# Checked like 02a.1 (worked solutions: `solutions/02a_marginal_and_posterior_solutions.ipynb`).
#
# **02a.2 (predict, then check).** An ancestral sampler draws in two stages. Take the pixel of section 2's picture
# ($x_0 = 0.6$, $\mu = -0.2$, $\lambda = 0.1$ on the reference grid) and two grid times $s = 75 < t = 80$. First draw
# $x_t$ from the marginal $q(x_t\mid x_0)$; then draw $x_s$ from the posterior $q(x_s\mid x_t, x_0)$ with that $x_t$.
# Repeat many times. How does the standard deviation of the $x_s$ drawn compare with the standard deviation
# $\Sigma_s|\pi|$ of the marginal $q(x_s\mid x_0)$?
#
# - (i) smaller: each posterior is narrower than the marginal (the picture), so their mixture is too;
# - (ii) equal: the $x_s$ drawn are distributed as the marginal $q(x_s\mid x_0)$;
# - (iii) larger: the randomness of $x_t$ and the randomness of the posterior add up.
#
# Answer with the numeral as a string; the checker computes the spread from the library's posterior.

# %%
answer_02a_2 = ...  # "i", "ii" or "iii"
check("02a.2", answer_02a_2)
