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
from derivations.common import a, b, c, d, gaussian_log, lam, mu, pi, readable, theta, u, x, xt, zero
from derivations.family import bridge_drift
from rdbm_core.bridge import bridges
from rdbm_course.mathshow import agree, confirm, limit, show, vanishes

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
fig, axes = plt.subplots(1, 2, figsize=(7, 4.2), layout="constrained")
axes[0].plot(ts, Th, color="tab:purple", label=r"$\Theta_t$")
axes[0].plot(ts, Sg / Sg.max(), color="tab:brown", label=r"$\Sigma_t / \max_t\Sigma_t$")
axes[0].set_xlabel("reference grid index $t$")
axes[0].set_ylabel("coefficient (dimensionless)")
axes[0].set_title(r"coefficients (any $\nu$)", fontsize=11)
axes[0].legend(loc="lower center", fontsize=9)  # below the crossing, clear of the drop at indices 98-99
axes[1].plot(ts, Sg, "k--", label=r"global noise $\nu = 1$, any $\pi$ (= RDBM at $|\pi| = 1$)")
for p_abs, colour in ((0.5, "tab:blue"), (0.1, "tab:orange"), (0.0, "tab:green")):
    axes[1].plot(ts, Sg * p_abs, color=colour, label=rf"RDBM, $|\pi| = {p_abs}$")
axes[1].set_xlabel("reference grid index $t$")
axes[1].set_ylabel(r"per-pixel std of $x_t$, " + PIXEL)
axes[1].set_title(r"per-pixel std $\Sigma_t\,|\nu(\pi)|$", fontsize=11)
fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9)
plt.show()
drop = float(Sg[-2] / Sg.max())
clock_jump = float(rdbm.schedule.clock(ts[-1]) - rdbm.schedule.clock(ts[-2]))
print(f"Sigma_t / max Sigma_t: {drop:.2f} at index {int(ts[-2])}, 0 at index {int(ts[-1])} = t_T; "
      f"the clock from index {int(ts[-2])} to {int(ts[-1])}: {clock_jump:.3f}")
assert abs(drop - 0.93) < 0.005 and float(Sg[-1]) == 0 and int(ts[-1]) == 99 and abs(clock_jump - 0.999) < 0.0005

# %% [markdown]
# (Right: RDBM's curve for $|\pi| = 1$ is the dashed global-noise curve itself, so it is not drawn twice.) Left: the
# vertical drop of $\Sigma_t$ between indices 98 and 99 (from 0.93 of its maximum to 0) is no artefact: the grid's last
# step is a jump of 0.999 in the clock (printed above; `docs/theory.md` eq. 10.4), so index 98 is still far from $t_T$
# in the clock. This notebook derives these coefficients (section 1), then the posterior a sampler needs to step
# backwards in time (sections 2 and 3).
#
# ## 1. The marginal, three ways
#
# **(a) Bayes** (`docs/theory.md` eq. 4.8). $q(x_t\mid x_0, x_T = \mu) \propto p(x_t\mid x_0)\,p(x_T = \mu\mid x_t)$
# is a product of two Gaussians in $x_t$. Step by step, writing $x$ for $x_t$, $u = \bar\theta_t$, $c = \bar\theta_T$
# and dropping the terms free of $x$ (written $+\,\mathrm{const}$): the free OU marginal of notebook 01 and $\log h$
# (the kernel from $x$ at $u$ to $\mu$ at $c$),

# %%
log_p0 = -(x - mu - sp.exp(-u) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * u)) * pi ** 2)
log_h = -(sp.exp(-(c - u)) * (x - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * (c - u))) * pi ** 2)
show(r"\log p(x_t = x \mid x_0)", sp.latex(log_p0) + r" + \mathrm{const}")
show(r"\log h(x, t)", sp.latex(log_h) + r" + \mathrm{const}")

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
def marginal_coefficients():
    """(Theta_t, Sigma_t^2) of docs/theory.md eq. 4.2 as expressions in u = thbar_t and c = thbar_T."""
    from derivations.family import Sigma2, Theta  # noqa: PLC0415  (imported here: the functions stay out of scope)

    return Theta(u, c), Sigma2(u, c)


Theta_t, Sigma2_t = marginal_coefficients()
show(r"\Theta_t", Theta_t)
show(r"\Sigma_t^2", Sigma2_t)
agree(r"\frac{M - \mu}{\pi}", (mean_bayes - mu) / pi, r"\Theta_t", Theta_t)
agree(r"\frac{Q}{\pi^2}", var_bayes / pi ** 2, r"\Sigma_t^2", Sigma2_t)
confirm(marginal, "check_gaussian_product")  # the derivations package's own Bayes computation

# %% [markdown]
# **(b) Moment ODEs.** In time, the bridge SDE is $dx_t = \theta_t f(x_t)\,dt + g_t\,dw_t$ with the drift per unit
# clock $f(x) = \coth(\bar\theta_{t:T})(\mu - x)$ and, as in notebook 01, the squared diffusion coefficient per unit
# time $g_t^2 = 2\lambda\theta_t\pi^2$ (`docs/theory.md` eqs. 2.1 and 3.5). Itô's formula on $x$ and on $x^2$,
# averaged (the $dw$ terms have mean 0), gives
# $\frac{dM}{dt} = \theta_t E[f(x_t)]$ and $\frac{d}{dt}E[x_t^2] = 2\theta_t E[x_t f(x_t)] + g_t^2$. Since
# $Q = E[x_t^2] - M^2$, $\frac{dQ}{dt} = \frac{d}{dt}E[x_t^2] - 2M\frac{dM}{dt}$. The drift is affine in $x$:
# $f(x) = f(M) + f_x\,(x - M)$ with $f_x = -\coth(\bar\theta_{t:T})$ free of $x$. Averaged, that gives the two rules
# $E[f(x_t)] = f(M)$ and $E[x_t f(x_t)] = M f(M) + f_x Q$ (as $E[x_t(x_t - M)] = Q$). The cell builds the ODEs
# (`docs/theory.md` eq. 4.9) from the drift with these two rules, step by step:

# %%
f = bridge_drift(u, c)  # the drift per unit clock, coth(thbar_{t:T}) (mu - x)
f_x = sp.diff(f, x)  # free of x: the drift is affine
M, Q = sp.symbols("M Q", real=True)
g2_t = 2 * lam * theta * pi ** 2
dM = theta * f.subs(x, M)  # rule 1: E[f(x_t)] = f(M)
dE2 = 2 * theta * (M * f.subs(x, M) + f_x * Q) + g2_t  # rule 2: E[x_t f(x_t)] = M f(M) + f_x Q
dQ = sp.expand(dE2 - 2 * M * dM)
show(r"f_x", f_x)
show(r"\frac{dM}{dt}", r"\theta_t f(M)", dM)
show(r"\frac{dQ}{dt}", r"\frac{d}{dt}E[x_t^2] - 2M\frac{dM}{dt}",
     r"2\theta_t\big(M f(M) + f_x Q\big) + g_t^2 - 2M\theta_t f(M)", r"2\theta_t f_x Q + g_t^2", sp.collect(dQ, theta))
assert sp.expand(dQ - (2 * theta * f_x * Q + g2_t)) == 0
# cross-check: the derivations package's moment ODEs (the same two rules, derivations.common.ito_moment_odes)
dM_pkg, dQ_pkg = (e.subs({marginal.M: M, marginal.V: Q}) for e in marginal.bridge_moment_odes())
assert sp.simplify(dM - dM_pkg) == 0 and sp.simplify(dQ - dQ_pkg) == 0
print("derivations.marginal.bridge_moment_odes: the same two right-hand sides")

# %% [markdown]
# The closed form $M = \mu + \Theta_t\pi$, $Q = \Sigma_t^2\pi^2$ solves them for *any* schedule (with
# $d\bar\theta_t/dt = \theta_t$) and starts at $(x_0, 0)$, so it is their unique solution:

# %%
t_ = sp.Symbol("t", positive=True)
thbar = sp.Function(r"\bar{\theta}")(t_)
closed = {M: mu + Theta_t * pi, Q: Sigma2_t * pi ** 2}


def both_sides(rate, value):
    """(d/dt of the closed form ``value``, the ODE's right-hand side ``rate`` at the closed form), in u = thbar_t.

    ``value`` is written in u; it is differentiated as a function of thbar(t), with d thbar / dt = theta."""
    lhs = sp.diff(value.subs(u, thbar), t_).subs(sp.Derivative(thbar, t_), theta).subs(thbar, u)
    return lhs, rate.subs(closed)


dM_closed, dM_ode = both_sides(dM, closed[M])
agree(r"\frac{d}{dt}(\mu + \Theta_t\pi)", dM_closed, r"\frac{dM}{dt}\Big|_{M = \mu + \Theta_t\pi}", dM_ode)
dQ_closed, dQ_ode = both_sides(dQ, closed[Q])
agree(r"\frac{d}{dt}(\Sigma_t^2\pi^2)", dQ_closed, r"\frac{dQ}{dt}\Big|_{Q = \Sigma_t^2\pi^2}", dQ_ode)
show(r"\big(\Theta_t,\ \Sigma_t^2\big)\big|_{\bar\theta_t = 0}", sp.Tuple(Theta_t.subs(u, 0), Sigma2_t.subs(u, 0)))
assert (Theta_t.subs(u, 0), Sigma2_t.subs(u, 0)) == (1, 0)
err = marginal.check_initial_values()
print(f"the moment ODEs integrated numerically from (x0, 0) (derivations.marginal.check_initial_values): largest "
      f"distance to the closed form {float(err):.0e}")
assert err < 1e-20

# %% [markdown]
# **(c) Boundary values and Fokker–Planck.** At the clean end $\Theta = 1$, $\Sigma = 0$ (the clean image, above); at
# $t_T$ both vanish (exactly $\mu$), also as limits; and the Gaussian density solves the bridge's Fokker–Planck
# equation, written per unit clock for $L = \log q$: $L_u + f_x + f L_x - \lambda\pi^2(L_{xx} + L_x^2) = 0$, with
# the drift per unit clock $f$ of (b). The left side is a quadratic in $x$. Collected by powers of $x - M$, each
# coefficient has two or three non-zero terms (below, each is labelled by the part it comes from). The two terms of
# $(x - M)$ cancel since $1/\tanh = \coth$. Those of $1$ and of $(x - M)^2$, put over a common denominator, cancel by
# the identity $\sinh c - \sinh(c - 2u) = 2\cosh(c - u)\sinh u$, checked first:

# %%
limit(Theta_t, u, c, 0, lhs=r"\lim_{\bar\theta_t \to \bar\theta_T}\Theta_t")
limit(Sigma2_t, u, c, 0, lhs=r"\lim_{\bar\theta_t \to \bar\theta_T}\Sigma_t^2")
identity = sp.sinh(c - 2 * u) + 2 * sp.cosh(c - u) * sp.sinh(u) - sp.sinh(c)
vanishes(r"\sinh(c - 2u) + 2\cosh(c - u)\sinh u - \sinh c", identity)
log_q = gaussian_log(x, closed[M], closed[Q])
L_x = sp.diff(log_q, x)
show(r"L_x", sp.factor(L_x))
show(r"L_{xx}", sp.factor(sp.diff(L_x, x)))
parts = {"L_u": sp.diff(log_q, u), "f_x": f_x, "f L_x": f * L_x,
         r"-\lambda\pi^2(L_{xx} + L_x^2)": -lam * pi ** 2 * (sp.diff(L_x, x) + L_x ** 2)}
y = sp.Symbol("y", real=True)  # y = x - M
expanded = {name: sp.expand(e.subs(x, closed[M] + y)) for name, e in parts.items()}
assert zero(sum(expanded.values()) - sum(e.coeff(y, k) * y ** k for e in expanded.values() for k in range(3))) == 0
#: each power's common-denominator form, written by hand (and checked against the terms below)
common_form = {0: -identity / (2 * sp.sinh(u) * sp.sinh(c - u)), 1: sp.Integer(0),
               2: sp.sinh(c) * identity / (4 * lam * pi ** 2 * sp.sinh(u) ** 2 * sp.sinh(c - u) ** 2)}
n_terms = []
for k, power in ((0, "1"), (1, "(x - M)"), (2, "(x - M)^2")):
    terms = {name: sp.simplify(e.coeff(y, k)) for name, e in expanded.items()}
    terms = {name: term for name, term in terms.items() if term != 0}
    n_terms.append(len(terms))
    body = " + ".join(r"\underbrace{" + sp.latex(term) + "}_{" + name + "}" for name, term in terms.items())
    assert zero(sum(terms.values()) - common_form[k]) == 0 and zero(common_form[k]) == 0
    show(r"\big[" + power + r"\big]", body, *([common_form[k]] if k != 1 else []), 0)
assert sorted(n_terms) == [2, 3, 3]  # two or three non-zero terms per power

# %% [markdown]
# ## 2. The posterior $q(x_s\mid x_t, x_0)$
#
# Bayes: $q(x_s\mid x_t, x_0) \propto q(x_s\mid x_0)\,q(x_t\mid x_s)$, with the bridge marginal
# $q(x_s\mid x_0) \propto p(x_s\mid x_0)\,h(x_s, s)$ and the bridge's kernel
# $q(x_t\mid x_s) = p(x_t\mid x_s)\,h(x_t,t)/h(x_s,s)$ (the h-transform of notebook 01). As a function of $x_s$,
# $h(x_t, t)$ is a constant, and the $h(x_s, s)$ of the kernel cancels the one of the marginal: the posterior is
# $\propto p(x_s\mid x_0)\,p(x_t\mid x_s)$. Because the $h$'s cancel, it does not depend on $\bar\theta_T$. It is what
# an ancestral sampler draws from: given where the path is now ($x_t$) and a guess of the clean image ($x_0$), where
# was it at an earlier time $s$?
#
# **The picture.** One degraded pixel ($x_0 = 0.6$, $\mu = -0.2$, $\lambda = 0.1$ on the reference grid), observed
# at $t = 80$ at a value $x_t$ 1.5 standard deviations above its mean. The colour is the posterior density of $x_s$
# for every earlier grid time $s$ (divided by its maximum in each column, so that every column spans the colour
# scale); the dashed lines are the mean $\pm 2$ std of the marginal $q(x_s \mid x_0)$, which does not know $x_t$. At
# the clean end the library's posterior has std 0 and mean $x_0$. The library gives the posterior for $s < t$ only:
# the column $s = t$ (the point $x_t$, std 0) is added by hand. What the library shows is the approach to it: over
# the last six grid times before $t$ the posterior std falls with the clock gap $b = \bar\theta_{s:t}$ (printed
# below the picture).

# %%
post_path = bridges.rdbm(lam=0.1)
px0, pmu, t_obs = torch.tensor([0.6], dtype=torch.float64), torch.tensor([-0.2], dtype=torch.float64), 80
Th80, _, Sg80 = post_path.coefficients(torch.tensor(t_obs))
px_t = pmu + Th80 * (px0 - pmu) + 1.5 * Sg80 * (px0 - pmu).abs()
s_grid = torch.arange(-1, t_obs + 1)
s_early = s_grid[:-1]  # the library's posterior needs s < t
post_mean, post_std = post_path.posterior(px_t.expand(len(s_early)), px0.expand(len(s_early)),
                                          pmu.expand(len(s_early)), torch.full_like(s_early, t_obs), s_early)
# the column s = t added by hand: the point x_t with std 0
post_mean, post_std = torch.cat([post_mean, px_t]), torch.cat([post_std, torch.zeros(1, dtype=torch.float64)])
marg_mean = post_path.mean(px0.expand(len(s_grid)), pmu.expand(len(s_grid)), s_grid)
marg_std = post_path.std(px0.expand(len(s_grid)), pmu.expand(len(s_grid)), s_grid)
xg = torch.linspace(-0.8, 1.0, 361, dtype=torch.float64)
dens = torch.exp(-(xg[:, None] - post_mean[None]) ** 2 / (2 * post_std[None].clamp_min(1e-3) ** 2))
fig, ax = plt.subplots(figsize=(7, 4.4), layout="constrained")
im = ax.pcolormesh(s_grid, xg, dens, cmap="viridis", shading="auto")
fig.colorbar(im, ax=ax, label="posterior density / its column maximum")
ax.plot(s_grid, marg_mean, "w--", lw=1, label=r"marginal $q(x_s \mid x_0)$: mean $\pm$ 2 std")
ax.plot(s_grid, marg_mean + 2 * marg_std, "w--", lw=0.7)
ax.plot(s_grid, marg_mean - 2 * marg_std, "w--", lw=0.7)
ax.plot([t_obs], px_t, "r*", ms=10, label=rf"observed $x_t$ at $t = {t_obs}$ (added by hand)")
ax.plot([-1], px0, "o", color="orange", label=r"$x_0$ at the clean end ($s = -1$)")
ax.set_xlabel("earlier grid time $s$ (reference grid index)")
ax.set_ylabel(r"$x_s$, " + PIXEL)
ax.set_title(r"posterior $q(x_s \mid x_t, x_0)$ of one degraded pixel", fontsize=11)
ax.set_facecolor("0.3")
fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9, facecolor="0.85")
plt.show()
assert float(post_std[0]) == 0 and torch.allclose(post_mean[0], px0)  # the library's posterior at s = -1: x0
clock = post_path.schedule.clock
last = s_early[-6:]
gap = clock(torch.tensor(t_obs)) - clock(last)  # b = thbar_{s:t}
for s_, b_, sd_ in zip(last.tolist(), gap.tolist(), post_std[-7:-1].tolist()):
    print(f"s = {s_}: clock gap b = {b_:.3f}, posterior std {sd_:.3f}, std^2 / b = {sd_ ** 2 / b_:.3f}")
ratio = post_std[-7:-1] ** 2 / gap
assert bool((post_std[-7:-1].diff() < 0).all()) and bool((gap.diff() < 0).all())  # both shrink as s -> t
assert float(ratio.min()) > 0.075 and float(ratio.max()) < 0.12  # std^2 stays between 0.075 b and 0.12 b
# one grid step before t the posterior sits near x_t, narrower than the marginal (which does not know x_t)
assert abs(float(post_mean[-2] - px_t)) < 0.1 and float(post_std[-2]) < 0.5 * float(marg_std[-2])

# %% [markdown]
# So the posterior std shrinks with the clock gap: $\mathrm{std}^2$ stays between $0.075\,b$ and $0.12\,b$ on these
# times, and $b \to 0$ as $s \to t$. The std at $s = 79$ is less than half the marginal's, and the mean there is
# within 0.1 of $x_t$.

# %% [markdown]
# ## Exercise 02a.1 — the posterior's variance and its weight of $x_t$
#
# Before the notebook derives the posterior's mean (section 3), derive its variance and the weight of $x_t$ in its
# mean yourself. Checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/02a_marginal_and_posterior_solutions.ipynb`.
#
# **02a.1 (derive, graded on your steps).** The posterior is
# $q(x_s\mid x_t, x_0) = \mathcal N\big(\mu + P\pi + K(x_t - \mu),\ V\pi^2\big)$: the coefficients $P$ and $K$ depend
# on the clock only, $V$ on the clock and $\lambda$. Since the $h$'s cancel (above), Bayes's rule reads
# $q(x_s = x\mid x_t, x_0) \propto p(x_s = x\mid x_0)\,p(x_t\mid x_s = x)$ with two *free* OU kernels of notebook 01.
# Derive the variance coefficient $V$ (per unit $\pi^2$) and the weight $K$ of the observation $x_t$ in the mean.
# Hand in a `dict` of five SymPy expressions, writing `x` for $x_s$ and `xt` for $x_t$ (both imported at the top),
# `a` $= \bar\theta_s$, `b` $= \bar\theta_{s:t}$ and `lam`.
# (The picture's `post_path.posterior` gives the posterior as numbers on the grid, not as a formula.)
#
# - `"log_prior"`: $\log p(x_s = x\mid x_0)$; terms free of $x$ may be dropped;
# - `"log_kernel"`: $\log p(x_t\mid x_s = x)$; terms free of $x$ may be dropped;
# - `"precision"`: minus the second $x$-derivative of `log_prior + log_kernel`: an expression in `a`, `b`, `lam`
#   and `pi` (any equivalent form is accepted, also one that contains `d`, the code's $\bar\theta_{t:T}$, if it
#   cancels);
# - `"V"`: the posterior variance per unit $\pi^2$: an expression in `a`, `b` and `lam` (`d` may appear if it
#   cancels);
# - `"K"`: the coefficient of $x_t$ in the posterior mean (the mean is where the $x$-derivative of
#   `log_prior + log_kernel` vanishes; $K$ is its derivative in $x_t$): an expression in `a` and `b`.
#
# A final formula alone is refused: the checker grades the steps.

# %%
from rdbm_course.exercises import check

answer_02a_1 = ...  # {"log_prior": ..., "log_kernel": ..., "precision": ..., "V": ..., "K": ...}
check("02a.1", answer_02a_1)

# %% [markdown]
# ## 3. The posterior's mean and its endpoints
#
# SymPy, as for the marginal, but on the bridge's own route (exercise 02a.1 took the shorter one, with the $h$'s
# cancelled by hand): the log of the bridge marginal at $s$, plus the log of the free kernel
# $p(x_t\mid x_s)$, minus $\log h(x_s, s)$, with $x$ for $x_s$ and the clock $a + b + \bar\theta_{t:T}$ at $T$. The
# sum, $\log q(x_s = x\mid x_t, x_0)$ up to a constant, is a quadratic in $x$, so its $x$-derivative is linear in $x$
# and vanishes at exactly one point: the posterior mean (the helper below returns only that point). The mean is affine
# in $\pi$ and in $x_t - \mu$; its two coefficients, read off as derivatives, in the increments $a = \bar\theta_s$,
# $b = \bar\theta_{s:t}$:

# %%
def posterior_mean_by_bayes():
    """The root of the x-derivative of log q(x_s = x | x_t, x0) on the bridge's route (clock a + b + d at T)."""
    from derivations import ou  # noqa: PLC0415  (the free kernel and the marginal's coefficients are imported here,
    from derivations.family import Sigma2, bridge_mean  # noqa: PLC0415  not left in the notebook's scope)

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
# $K = \sinh a/\sinh(a + b)$ (the same fractions in $A = e^a$, $B = e^b$), and $\bar\theta_{t:T}$ has dropped out.
# Then two checks of the mean at its endpoints: it reaches $x_t$ as $s \to t$ ($b \to 0$), and it reaches
# $x_0 = \mu + \pi$ at the clean end ($a \to 0$). The posterior is the OU bridge from $x_0$ (at the clean end) to
# $x_t$ (at $t$). (Its variance $V\pi^2$ is not displayed here; its checks, and how the posterior fits together with
# the marginal, are in the solutions.)

# %%
def confirm_package_mean():
    """The derivations package's own statement of the mean, checked against its Bayes route."""
    from derivations import posterior  # noqa: PLC0415  (imported here, not left in the notebook's scope)

    confirm(posterior, "check_mean")


P_sinh, K_sinh = sp.sinh(b) / sp.sinh(a + b), sp.sinh(a) / sp.sinh(a + b)
agree(r"P", P_bayes, r"\frac{\sinh b}{\sinh(a + b)}", P_sinh)
agree(r"K", K_bayes, r"\frac{\sinh a}{\sinh(a + b)}", K_sinh)
claimed_mean = mu + P_sinh * pi + K_sinh * (xt - mu)
limit(claimed_mean, b, 0, xt, lhs=r"\lim_{b \to 0}\big(\mu + P\pi + K(x_t - \mu)\big)")
limit(claimed_mean, a, 0, mu + pi, lhs=r"\lim_{a \to 0}\big(\mu + P\pi + K(x_t - \mu)\big)")
confirm_package_mean()

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
