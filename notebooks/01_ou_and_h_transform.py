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
# # 01 — The Ornstein-Uhlenbeck process and Doob's h-transform
#
# **What you will learn.** How the mean-reverting (OU) SDE with *residual-modulated* noise is solved
# exactly (integrating factor, Itô isometry), and how conditioning it to end at the degraded image
# $\mu$ (Doob's h-transform) turns its drift into $\theta_t\coth(\bar\theta_{t:T})(\mu - x)$, with the
# residual's $\pi^2$ cancelling on the way; how the bridge coefficients $\Theta_t$ (weight of the residual in the
# mean) and $\Sigma_t$ (the standard deviation per unit residual) appear; and the discrete grid the library uses.
#
# **Prerequisites.** Itô's formula, Gaussian densities, and `docs/theory.md` §1–3 (eqs. 1.1–3.7, and its symbol
# table: $\pi$ is always the residual $x_0 - \mu$, never the number 3.14…). Read `docs/theory.md` §4 *after* this
# notebook: it states the results of exercises 01.1 and 01.2. Each result below is derived with SymPy, step by step,
# displayed and *asserted*; where the `derivations` package states the same result (the moment ODEs, the mean), the
# notebook shows that the two agree.
#
# `FAST=1` simulates fewer paths (400 instead of 4000); `benchmarks/notebook_times.py` measures the run time.

# %%
import os

import matplotlib.pyplot as plt
import sympy as sp
import torch

from derivations import family, hbridge, ou
from derivations.common import (backward_kolmogorov_residual, c, fokker_planck_residual, lam, m, mu, pi, readable,
                                t, theta, u, x, xs, y)
from rdbm_core.bridge.path import ResidualPath
from rdbm_core.bridge import bridges, schedules
from derivations.common import zero
from rdbm_course.mathshow import agree, confirm, limit, show, vanishes, vanishes_by_powers

FAST = os.environ.get("FAST") == "1"
TIME = r"time $t$ (dimensionless, $T = 1$)"
PIXEL = r"pixel value ($[-1, 1]$ scale)"

# %% [markdown]
# ## 0. The picture first: a free OU process and a bridge
#
# Two pixels of an image, a degraded one ($\pi = x_0 - \mu = 0.8$, blue) and an intact one ($\pi = 0$, orange),
# driven by the mean-reverting SDE whose noise is multiplied by the residual $\pi$. Left: the free process; it
# relaxes towards the degraded value $\mu$ but keeps a spread. Right: the same process *conditioned* to end at
# $\mu$, a bridge; every path is pinned to $\mu$ at $t = T$. Under residual modulation the intact pixel has no
# noise and stays at $\mu$ (notebook 05 is where this is shown on whole images). This notebook derives both
# pictures: section 1 solves the free process exactly, section 2 conditions it on its end point and finds the drift
# that pins the paths.
#
# (Euler–Maruyama in the clock with the library's drifts `path.bridge_drift`, on a continuous schedule with
# $\bar\theta_T = 2$, $\lambda = 0.05$; the drifts are the ones derived below. 16 of the paths are drawn.)

# %%
sch = schedules.continuous_constant(2.0, 1.0)
bridge = bridges.ou_bridge(sch, lam=0.05, noise="modulated")
free = ResidualPath(sch, 0.05, noise="modulated", pinned=False, name="free OU")
n_paths, n_steps = (400, 200) if FAST else (4000, 400)
g = torch.Generator().manual_seed(0)
x0 = torch.tensor([0.6, 0.1], dtype=torch.float64)
mu_img = torch.tensor([-0.2, 0.1], dtype=torch.float64)
ts = torch.linspace(0, 1, n_steps + 1, dtype=torch.float64)
PATHS = {}
for path in (free, bridge):
    xcur = x0.repeat(n_paths, 1)
    mus = mu_img.repeat(n_paths, 1)
    factor = path.noise_factor(x0, mu_img)
    traj = [xcur]
    for t0, t1 in zip(ts[:-1], ts[1:]):
        du = float(sch.clock(t1) - sch.clock(t0))
        z = torch.randn(xcur.shape, generator=g, dtype=torch.float64)
        xcur = xcur + path.bridge_drift(xcur, mus, t0) * du + (2 * path.lam * du) ** 0.5 * factor * z
        traj.append(xcur)
    PATHS[path.name] = torch.stack(traj)  # [time, path, pixel]
fig, axes = plt.subplots(1, 2, figsize=(8, 4.4), sharey=True, layout="constrained")
for ax, (name, traj), title in zip(axes, PATHS.items(), ("free OU process", "OU bridge (pinned at T)")):
    lines = ax.plot(ts, traj[:, :16, 0], color="C0", alpha=0.5, lw=0.8)
    lines[0].set_label(r"degraded pixel, $\pi = 0.8$ (16 paths)")
    ax.plot(ts, traj[:, 0, 1], color="C1", lw=1.6, label=r"intact pixel, $\pi = 0$ (all paths)")
    ax.axhline(float(mu_img[0]), color="k", ls=":", lw=1, label=r"$\mu$ of the degraded pixel")
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(TIME)
axes[0].set_ylabel(r"$x_t$, " + PIXEL)
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9)
plt.show()
assert sch.u_T == 2.0 and bridge.lam == free.lam == 0.05  # thbar_T = 2, lambda = 0.05, as the text says
assert abs(float(x0[0] - mu_img[0]) - 0.8) < 1e-12 and float(x0[1] - mu_img[1]) == 0.0  # pi = 0.8 and pi = 0
assert len(lines) == 16 and lines[0].get_label().startswith("degraded")  # 16 paths drawn, the first one labelled
assert torch.equal(PATHS[bridge.name][:, :, 1], torch.full_like(PATHS[bridge.name][:, :, 1], 0.1))  # intact: never moves
end_gap = PATHS[bridge.name][-1, :, 0].sub(mu_img[0]).abs()
assert float(end_gap.mean()) < 2 * (2 * bridge.lam * 2.0 / n_steps) ** 0.5 * 0.8  # ends at mu up to one step's noise

# %% [markdown]
# ## 1. The forward SDE, in the clock $u = \bar\theta_t$
#
# $$dx_t = \theta_t(\mu - x_t)\,dt + \sqrt{2\lambda\theta_t}\,\pi\,dw_t,\qquad \pi = x_0 - \mu .$$
#
# Writing $u = \bar\theta_t = \int_0^t\theta_r\,dr$ ($du = \theta_t\,dt$) makes it autonomous:
# $dx = (\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$ (`docs/theory.md` eqs. 2.1–2.2). The moment ODEs in $t$ of the mean
# $M = E[x_t]$ and the variance $Q$ of $x_t$, step by step, with $g_t^2 = 2\lambda\theta_t\pi^2$ the squared diffusion
# coefficient per unit time.
#
# **Itô's formula for $x^2$.** Over a short time $dt$ the state moves by $dx = \theta_t(\mu - x)\,dt + g_t\,dw$, and
# $d(x^2) = (x + dx)^2 - x^2 = 2x\,dx + (dx)^2$. Unlike in ordinary calculus, $(dx)^2$ is not negligible: the
# Brownian increment $dw$ has mean 0 and variance $dt$, so $dw^2$ is of order $dt$ (Itô's rule $dw^2 = dt$), while
# $dt^2$ and $dt\,dw$ are of higher order and dropped. SymPy expands the square and applies these three rules
# (the rule table, as a function, is used again below):

# %%
dt, dw = sp.symbols("dt dw")  # the differentials: a time step and its Brownian increment
ITO_RULES = r"\quad(dt^2 = dt\,dw = 0,\ dw^2 = dt)"


def ito(expr, step, noise):
    """``expr``, a polynomial in the differentials ``step`` and ``noise``, with Itô's rules applied: ``noise^2`` is
    ``step``; ``step^2`` and ``step * noise`` (and every higher product) are 0."""
    kept = 0
    for (i, j), coefficient in sp.Poly(sp.expand(expr), step, noise).terms():
        if (i, j) == (0, 2):
            kept += coefficient * step
        elif i + j <= 1:
            kept += coefficient * step ** i * noise ** j
    return kept


g2_t = 2 * lam * theta * pi ** 2  # g_t^2, per unit time
g_t = sp.sqrt(2 * lam * theta) * pi  # g_t, as in the SDE: sqrt(2 lam theta_t) times pi, of either sign
assert sp.expand(g_t ** 2 - g2_t) == 0
dx_ = theta * (mu - x) * dt + g_t * dw
show(r"(dx)^2", sp.expand(dx_ ** 2), sp.latex(ito(dx_ ** 2, dt, dw)) + ITO_RULES)
d_x2 = ito((x + dx_) ** 2 - x ** 2, dt, dw)
show(r"d(x^2) = (x + dx)^2 - x^2", sp.latex(sp.collect(d_x2, [dt, dw])) + ITO_RULES)

# %% [markdown]
# Averaging, $E[x\,dw] = 0$ (the increment $dw$ is independent of the current $x$), $E[x] = M$ and
# $E[x^2] = Q + M^2$; dividing by $dt$ gives the moment ODEs, and the variance's is
# $dQ/dt = d\,E[x^2]/dt - 2M\,dM/dt$. Each line is computed from the one before it. The derivations package states
# the same two ODEs (its code calls the variance `ou.V`; here it is $Q$, because `docs/theory.md`'s symbol table keeps
# $V$ for the posterior's variance). Each of its ODEs is shown next to the derived one, and their difference is 0:

# %%
M, Q = sp.symbols("M Q", real=True)  # the mean and the variance of x_t
E2 = sp.Symbol("E[x^{2}]", real=True)
dM_ito = (theta * (mu - x)).subs(x, M)  # E[dx] / dt: the drift is affine in x, so E of it is the drift at M
drift_part = sp.expand(d_x2.coeff(dt))  # the dt part of d(x^2); its dw part averages to 0
dE2_ito = drift_part.subs(x ** 2, E2).subs(x, M)  # E[x^2] for x^2, then M for x
show(r"\frac{d\,E[x^2]}{dt}", r"E\big[" + sp.latex(drift_part) + r"\big]", dE2_ito)
dQ_ito = sp.expand((dE2_ito - 2 * M * dM_ito).subs(E2, Q + M ** 2))
show(r"\frac{dQ}{dt} = \frac{d\,E[x^2]}{dt} - 2M\frac{dM}{dt}", sp.expand(dE2_ito - 2 * M * dM_ito),
     sp.latex(sp.collect(dQ_ito, theta)) + r"\quad(E[x^2] = Q + M^2)")


def difference(lhs, left, right, gens=None):
    """Display ``lhs = left - (right) = 0``, each side as SymPy writes it, and assert that the difference is 0
    (exactly: as one fraction in the exponentials ``gens``)."""
    show(lhs, sp.latex(left) + r" - \Big(" + sp.latex(right) + r"\Big)", 0)
    assert zero(left - right, gens) == 0, f"{lhs} is not 0"


dM_pkg, dQ_pkg = (e.subs({ou.M: M, ou.V: Q}) for e in ou.moment_odes())  # ou.V is the variance, Q here
difference(r"\frac{dM}{dt}\Big|_{\rm package} - \theta_t(\mu - M)", sp.factor(dM_pkg), dM_ito)
difference(r"\frac{dQ}{dt}\Big|_{\rm package} - \frac{dQ}{dt}\Big|_{\rm Itô}", sp.collect(dQ_pkg, theta),
           sp.collect(dQ_ito, theta))
confirm(ou, "check_moment_odes")  # the derivations package's own statement of the same two ODEs

# %% [markdown]
# **Mean by the integrating factor.** In the clock the mean solves $dM/d\tau = \mu - M$ over a clock lag
# $\tau = \bar\theta_{s:t}$, starting at $M = x_s$. Multiply by $e^{\tau}$: the product rule and the ODE make the
# derivative of $e^{\tau}(M - \mu)$ vanish, so $e^{\tau}(M - \mu)$ is constant, equal to its value $x_s - \mu$ at
# $\tau = 0$. SymPy solves that equation for $M$; its ODE solver (`dsolve`) and the derivations package give the
# same mean:

# %%
tau = ou.tau
E_tau = sp.Symbol(r"\mathcal{E}", positive=True)  # e^tau, for the exact zero test
M_of = sp.Function("M")(tau)
step = sp.diff(sp.exp(tau) * (M_of - mu), tau)
show(r"\frac{d}{d\tau}\big(e^{\tau}(M - \mu)\big)", step,
     sp.latex(sp.simplify(step.subs(sp.Derivative(M_of, tau), mu - M_of))) + r"\quad\text{(with } dM/d\tau = \mu - M)")
constant_product = sp.Eq(sp.exp(tau) * (M - mu), xs - mu)
(mean_if,) = sp.solve(constant_product, M)
mean_readable = mu + sp.factor(sp.expand(mean_if) - mu)
show(sp.latex(constant_product) + r"\ \Rightarrow\ M", mean_if, mean_readable)
assert sp.expand(mean_readable - mean_if) == 0
mean_dsolve = sp.dsolve(sp.Eq(M_of.diff(tau), mu - M_of), M_of, ics={M_of.subs(tau, 0): xs}).rhs
difference(r"M - M_{\rm dsolve}", mean_if, mean_dsolve, gens={tau: E_tau})
difference(r"M - M_{\rm package}", mean_if, ou.mean_by_integrating_factor(), gens={tau: E_tau})

# %% [markdown]
# **Variance by Itô's isometry.** The same integrating factor applied to the state itself: in the clock,
# $dx = (\mu - x)\,d\tau + \sqrt{2\lambda}\,\pi\,dW$, and the product rule for $e^{\tau}(x - \mu)$ has three terms,
# $e^{\tau}d\tau\,(x - \mu) + e^{\tau}dx + e^{\tau}d\tau\,dx$; by Itô's rules the last is 0 ($d\tau^2 = d\tau\,dW = 0$:
# the factor $e^{\tau}$ has no noise of its own). SymPy, writing $\mathcal E$ for $e^{\tau}$, expands and applies the
# rules of the first cell of this section:

# %%
dtau, dW = sp.symbols(r"d\tau dW")
dx_clock = (mu - x) * dtau + sp.sqrt(2 * lam) * pi * dW
product = ito(E_tau * (1 + dtau) * (x - mu + dx_clock) - E_tau * (x - mu), dtau, dW)  # d(e^tau) = e^tau dtau
three_terms = E_tau * dtau * (x - mu) + E_tau * dx_clock + E_tau * dtau * dx_clock  # stays unexpanded
show(r"d\big(e^{\tau}(x - \mu)\big) = e^{\tau + d\tau}(x + dx - \mu) - e^{\tau}(x - \mu)", three_terms,
     sp.latex(sp.expand(E_tau * (1 + dtau) * (x - mu + dx_clock) - E_tau * (x - mu))) + r"\quad(e^{\tau + d\tau} = e^{\tau}(1 + d\tau))",
     sp.latex(product) + r"\quad(d\tau^2 = d\tau\,dW = 0)")
assert sp.expand(three_terms - (E_tau * (1 + dtau) * (x - mu + dx_clock) - E_tau * (x - mu))) == 0
assert sp.expand(product - E_tau * sp.sqrt(2 * lam) * pi * dW) == 0

# %% [markdown]
# The drift has cancelled: $e^{\tau}(x - \mu)$ changes only by noise. Integrating from lag 0 to $\tau$ (with $r$ the
# integration variable) and multiplying by $e^{-\tau}$ gives
# $x_t - \mu = e^{-\tau}(x_s - \mu) + \sqrt{2\lambda}\,\pi\int_0^{\tau} e^{-(\tau-r)}dW_r$ (eq. 2.3). The first term
# is fixed given $x_s$; the variance of the stochastic integral is the integral of its squared integrand (Itô's
# isometry). The variance ODE $dQ/d\tau = -2Q + 2\lambda\pi^2$ from $Q = 0$ (`dsolve`) gives the same:

# %%
r = sp.Symbol("r", positive=True)  # the integration variable
integrand = (sp.exp(-(tau - r)) * sp.sqrt(2 * lam) * pi) ** 2
var_ito = sp.integrate(integrand, (r, 0, tau))
show(r"Q", sp.Integral(integrand, (r, 0, tau)), sp.expand(var_ito))
Q_of = sp.Function("Q")(tau)
var_dsolve = sp.dsolve(sp.Eq(Q_of.diff(tau), -2 * Q_of + 2 * lam * pi ** 2), Q_of, ics={Q_of.subs(tau, 0): 0}).rhs
difference(r"Q - Q_{\rm dsolve}", sp.expand(var_ito), var_dsolve, gens={tau: E_tau})

# %% [markdown]
# **The clock removes $\theta_t$.** For any schedule, $M = \mu + e^{-\bar\theta_t}\pi$ and
# $Q = \lambda(1 - e^{-2\bar\theta_t})\pi^2$ (the solution from $x_0$, where $\bar\theta_0 = 0$) solve the moment ODEs
# *in $t$*: put them in, with $d\bar\theta_t/dt = \theta_t$ (SymPy differentiates $\bar\theta_t$ as a function of
# $t$; the results are then written with the symbol $\bar\theta_t$ again):

# %%
thbar = sp.Function("thbar")(t)  # the clock as a function of t, to differentiate; then the symbol u = thbar_t
M_t, Q_t = family.ou_mean(thbar), family.ou_var(thbar)
dM_dt = sp.diff(M_t, t).subs(sp.Derivative(thbar, t), theta).subs(thbar, u)
dQ_dt = sp.diff(Q_t, t).subs(sp.Derivative(thbar, t), theta).subs(thbar, u)
M_u, Q_u = M_t.subs(thbar, u), Q_t.subs(thbar, u)
show(r"\frac{dM}{dt}", dM_dt)
show(r"\frac{dQ}{dt}", dQ_dt)
show(r"\theta_t(\mu - M)", r"\theta_t\Big(\mu - \big(" + sp.latex(M_u) + r"\big)\Big)", theta * (mu - M_u))
difference(r"\frac{dM}{dt} - \theta_t(\mu - M)", dM_dt, theta * (mu - M_u))
vanishes(r"\frac{dQ}{dt} - \big(-2\theta_t Q + 2\lambda\theta_t\pi^2\big)",
         dQ_dt - (-2 * theta * Q_u + 2 * lam * theta * pi ** 2))

# %% [markdown]
# So the transition kernel is Gaussian,
# $p(x_t\mid x_s) = \mathcal N\big(\mu + e^{-\bar\theta_{s:t}}(x_s-\mu),\ \lambda(1-e^{-2\bar\theta_{s:t}})\pi^2\big)$,
# and from $x_0$ ($\bar\theta_0 = 0$): $x_t\mid x_0 \sim \mathcal N(\mu + e^{-\bar\theta_t}\pi,\ \lambda(1-e^{-2\bar\theta_t})\pi^2)$.
# Its log-density, written up to a constant free of $x$ and $\tau$ (so that no number $3.14\ldots$ enters), and three
# checks: it solves the Fokker–Planck equation
# $\partial_\tau p = -\partial_x\big((\mu - x)p\big) + \lambda\pi^2\,\partial_{xx}p$ (divided by $p$, with
# $L_p = \log p$: $\partial_\tau L_p - 1 + (\mu - x)\partial_x L_p - \lambda\pi^2\big(\partial_{xx} L_p + (\partial_x L_p)^2\big) = 0$;
# its three derivatives are shown first, then the combination, sorted by powers of $(x - M)$ with $M$ the kernel mean
# from $x_s$), two kernels compose into one
# (Chapman–Kolmogorov), and the variance tends to $\lambda\pi^2$: $\lambda$ is the *stationary* variance per unit
# $\pi^2$ (a variance, not a standard deviation).

# %%
kernel_mean, kernel_var = family.ou_mean(tau, xs), family.ou_var(tau)
L_p = -(x - kernel_mean) ** 2 / (2 * kernel_var) - sp.log(kernel_var) / 2  # + a constant, free of x and tau
show(r"L_p = \log p(x_t = x \mid x_s)", sp.latex(L_p) + r" + \text{const}")
show(r"\partial_x L_p", readable(sp.diff(L_p, x)))
show(r"\partial_{xx} L_p", readable(sp.diff(L_p, x, 2)))
show(r"\partial_\tau L_p", readable(sp.diff(L_p, tau)))
Lx, Lxx = sp.diff(L_p, x), sp.diff(L_p, x, 2)
vanishes_by_powers(r"\partial_\tau L_p - 1 + (\mu - x)\partial_x L_p - \lambda\pi^2\big(\partial_{xx} L_p + (\partial_x L_p)^2\big)",
                   {r"\partial_\tau L_p": sp.diff(L_p, tau), "-1": sp.Integer(-1), r"(\mu - x)\partial_x L_p": (mu - x) * Lx,
                    r"-\lambda\pi^2\partial_{xx} L_p": -lam * pi ** 2 * Lxx, r"-\lambda\pi^2(\partial_x L_p)^2": -lam * pi ** 2 * Lx ** 2},
                   x, kernel_mean, r"(x - M)", gens={tau: E_tau})
assert sp.simplify(fokker_planck_residual(L_p, x, tau, mu - x, lam * pi ** 2)) == 0  # the library's own residual
tau1, tau2 = ou.tau1, ou.tau2
gens12 = {tau1: sp.Symbol(r"\mathcal{E}_1", positive=True), tau2: sp.Symbol(r"\mathcal{E}_2", positive=True)}
composed_mean = family.ou_mean(tau2, family.ou_mean(tau1, xs))  # the mean after tau1, then tau2
composed_var = sp.exp(-2 * tau2) * family.ou_var(tau1) + family.ou_var(tau2)  # the first variance, shrunk, plus the second
vanishes(r"M_{\tau_1 \to \tau_2} - M_{\tau_1 + \tau_2}", composed_mean - family.ou_mean(tau1 + tau2, xs), gens=gens12)
vanishes(r"Q_{\tau_1 \to \tau_2} - Q_{\tau_1 + \tau_2}", composed_var - family.ou_var(tau1 + tau2), gens=gens12)
limit(kernel_var, tau, sp.oo, lam * pi ** 2, lhs=r"\lim_{\tau\to\infty} Q")
confirm(ou, "check_marginal_from_x0")  # the start x_s = x0 = mu + pi gives the marginal (eq. 2.5)

# %% [markdown]
# ## 2. Doob's h-transform: conditioning on $x_T = \mu$
#
# $h(x, t) = p(x_T = \mu \mid x_t = x)$ is the kernel above over the clock lag $\bar\theta_{t:T} = c - u$
# ($c = \bar\theta_T$, $u = \bar\theta_t$): how likely a path now at $x$ is to end at $\mu$. Conditioning adds
# $g_t^2\,\partial_x\log h$ to the drift, $g_t^2 = 2\lambda\theta_t\pi^2$ (`docs/theory.md` eqs. 3.1–3.2). Step by
# step: $\log h$ (up to a constant free of $x$), its gradient, and the gradient times $g_t^2$:

# %%
h_var = family.ou_var(c - u)
L_h = -(mu - family.ou_mean(c - u, x)) ** 2 / (2 * h_var)  # L_h = log h, up to a constant free of x
show(r"L_h = \log h(x, t)", sp.latex(L_h) + r" + \text{const}")
assert sp.simplify(sp.diff(L_h - hbridge.log_h(), x)) == 0  # the same x-dependence as the derivations' log h
grad = sp.diff(L_h, x)
show(r"\partial_x \log h", readable(grad))
g2_grad = 2 * lam * theta * pi ** 2 * grad
show(r"g_t^2\,\partial_x \log h = 2\lambda\theta_t\pi^2\,\partial_x \log h", readable(g2_grad))
assert pi not in sp.cancel(g2_grad).free_symbols and lam not in sp.cancel(g2_grad).free_symbols

# %% [markdown]
# The $\pi^2$ of $g_t^2$ meets the $\pi^2$ of the kernel's variance and cancels: the last line has no $\pi$ (and
# no $\lambda$) left, so the added drift does not depend on $\pi$ at all (eq. 3.4; asserted). Adding the OU drift
# $\theta_t(\mu - x)$, the factor in front of $\theta_t(\mu - x)$ is
# $1 + 2e^{-2\bar\theta_{t:T}}/(1 - e^{-2\bar\theta_{t:T}})$, and that is $\coth\bar\theta_{t:T}$:

# %%
from derivations.common import d as rest  # the clock lag still to go, thbar_{t:T} = c - u

factor = 1 + 2 * sp.exp(-2 * rest) / (1 - sp.exp(-2 * rest))
FACTOR_TEX = r"1 + \frac{2e^{-2\bar\theta_{t:T}}}{1 - e^{-2\bar\theta_{t:T}}}"
agree(FACTOR_TEX, factor, r"\coth\bar\theta_{t:T}", sp.coth(rest).rewrite(sp.exp))
h_drift = theta * (mu - x) + g2_grad
show(r"\theta_t(\mu - x) + g_t^2\partial_x\log h", readable(h_drift))
vanishes(r"\theta_t(\mu - x) + g_t^2\partial_x\log h - \theta_t \coth(\bar\theta_{t:T})(\mu - x)",
         h_drift - theta * sp.coth(c - u) * (mu - x))

# %% [markdown]
# The conditioned process is a Markov diffusion because $h$ is space-time harmonic: it solves the backward
# Kolmogorov equation $h_u + (\mu - x)h_x + \lambda\pi^2 h_{xx} = 0$ (divided by $h$, with $L_h = \log h$:
# $\partial_u L_h + (\mu - x)\partial_x L_h + \lambda\pi^2\big(\partial_{xx} L_h + (\partial_x L_h)^2\big) = 0$; the
# derivative in $u$ also needs $\log h$'s constant, so the full log-density is used here). Its derivatives first, then
# the combination:

# %%
L_h_full = hbridge.log_h()
show(r"\partial_x L_h", readable(sp.diff(L_h_full, x)))
show(r"\partial_{xx} L_h", readable(sp.diff(L_h_full, x, 2)))
show(r"\partial_u L_h", readable(sp.diff(L_h_full, u)))
Hx, Hxx = sp.diff(L_h_full, x), sp.diff(L_h_full, x, 2)
vanishes_by_powers(r"\partial_u L_h + (\mu - x)\partial_x L_h + \lambda\pi^2\big(\partial_{xx} L_h + (\partial_x L_h)^2\big)",
                   {r"\partial_u L_h": sp.diff(L_h_full, u), r"(\mu - x)\partial_x L_h": (mu - x) * Hx,
                    r"\lambda\pi^2\partial_{xx} L_h": lam * pi ** 2 * Hxx, r"\lambda\pi^2(\partial_x L_h)^2": lam * pi ** 2 * Hx ** 2},
                   x, mu, r"(x - \mu)", absent_in_words=True)
assert sp.simplify(backward_kolmogorov_residual(L_h_full, x, u, mu - x, lam * pi ** 2)) == 0  # the library's residual

# %% [markdown]
# So the bridge SDE is
#
# $$dx_t = \theta_t\coth(\bar\theta_{t:T})(\mu - x_t)\,dt + \sqrt{2\lambda\theta_t}\,\pi\,dw_t .$$
#
# Near $T$, $\coth(\bar\theta_{t:T}) \approx 1/\bar\theta_{t:T}$ pulls every path into $\mu$. For a general
# mean-reversion target $m$ and end point $y$ (used for DDBM-VP in notebook 03), with $h_y(x, t) = p(x_T = y \mid x_t = x)$
# in place of $h$, the same computation, per unit clock, gives $-(x-m)\coth(\bar\theta_{t:T}) + (y-m)/\sinh(\bar\theta_{t:T})$:

# %%
general = hbridge.h_drift_clock(target=m, terminal=y)
show(r"(m - x) + 2\lambda\pi^2\,\partial_x\log h_y", readable(general))
vanishes(r"(m - x) + 2\lambda\pi^2\,\partial_x\log h_y - \Big(-(x - m)\coth\bar\theta_{t:T} + \frac{y - m}{\sinh\bar\theta_{t:T}}\Big)",
         general - (-(x - m) * sp.coth(c - u) + (y - m) / sp.sinh(c - u)))

# %% [markdown]
# **The picture of $h$.** Below, $h(x, t)$ for the degraded pixel of section 0 ($\pi = 0.8$, $\lambda = 0.05$,
# $\bar\theta_T = 2$), normalised to 1 in each column $t$ (its height grows towards $T$; only its shape in $x$
# matters for the drift, which depends on $\partial_x \log h$). Early on $h$ is broad: from almost anywhere a path
# can still reach $\mu$. Towards $T$ it narrows onto $\mu$. The white lines follow the conditioned drift
# $\theta_t\coth(\bar\theta_{t:T})(\mu - x)$; they run into $\mu$ ever more steeply as $\coth(\bar\theta_{t:T})
# \approx 1/\bar\theta_{t:T}$ grows. Blue: five bridge paths of section 0.

# %%
PI_DEG, LAM_DEG, MU_DEG = float(x0[0] - mu_img[0]), bridge.lam, float(mu_img[0])
t_grid = torch.linspace(0.0, 0.995, 200, dtype=torch.float64)
x_grid = torch.linspace(-1.0, 0.8, 181, dtype=torch.float64)
d_grid = sch.clock_to_end(t_grid)  # thbar_{t:T}
TT, XX = torch.meshgrid(t_grid, x_grid, indexing="xy")
DD = d_grid[None, :].expand_as(TT)
h_variance = LAM_DEG * (1 - torch.exp(-2 * DD)) * PI_DEG ** 2  # variance of x_T given x_t
h_cols = torch.exp(-(torch.exp(-DD) * (XX - MU_DEG)) ** 2 / (2 * h_variance))  # h / max_x h
theta_c = float(sch.theta(torch.tensor(0.5)))
drift = theta_c / torch.tanh(DD) * (MU_DEG - XX)  # dx/dt of the bridge
assert abs(PI_DEG - 0.8) < 1e-12 and LAM_DEG == 0.05 and sch.u_T == 2.0  # the numbers the text states
fig, ax = plt.subplots(figsize=(8, 4.4))
im = ax.pcolormesh(TT, XX, h_cols, cmap="viridis", shading="auto")
fig.colorbar(im, ax=ax, label=r"$h(x, t)$ / its column maximum (dimensionless)")
ax.streamplot(TT.numpy(), XX.numpy(), torch.ones_like(TT).numpy(), drift.numpy(), color="w", density=0.8,
              linewidth=0.6, arrowsize=0.7)
ax.plot(ts, PATHS[bridge.name][:, :5, 0], color="C0", lw=0.9)
ax.axhline(MU_DEG, color="k", ls=":", lw=1)
ax.set_xlim(0, 1)
ax.set_ylim(-1.0, 0.8)
ax.set_xlabel(TIME)
ax.set_ylabel(r"$x$, " + PIXEL)
ax.set_title(r"$h(x, t) = p(x_T = \mu \mid x_t = x)$ and the conditioned drift (white)", fontsize=11)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 3. $\Theta_t$ and $\Sigma_t$ appear
#
# The bridge SDE is linear with additive noise, so $x_t$ given $x_0$ is Gaussian; write its mean and spread as
# $\mu + \Theta_t\pi$ and $\Sigma_t|\pi|$. These two numbers per time are the **bridge coefficients** on which every
# later notebook rests. Read them off the simulated bridge paths of section 0 (degraded pixel; 4000 paths in full mode):
# $\Theta_t = (\overline{x_t} - \mu)/\pi$ and $\Sigma_t = \mathrm{std}(x_t)/|\pi|$. For comparison the free process's
# coefficients, known from section 1: $e^{-\bar\theta_t}$ and $\sqrt{\lambda(1 - e^{-2\bar\theta_t})}$. Dashed: the
# library's closed form, `bridge.coefficients(t)`. Exercises 01.1 and 01.2 derive that closed form.

# %%
deg = PATHS[bridge.name][:, :, 0]
theta_sim = (deg.mean(1) - mu_img[0]) / PI_DEG
sigma_sim = deg.std(1) / abs(PI_DEG)
theta_lib, _, sigma_lib = bridge.coefficients(ts)
u_t = sch.clock(ts)
fig, axes = plt.subplots(2, 1, figsize=(7.5, 7), sharex=True)
axes[0].plot(ts, theta_sim, label="bridge, simulated")
axes[0].plot(ts, theta_lib, "k--", lw=1, label="bridge, library")
axes[0].plot(ts, torch.exp(-u_t), color="C2", label=r"free OU: $e^{-\bar\theta_t}$")
axes[0].set_title(r"$\Theta_t$: weight of $\pi$ in the mean", fontsize=11)
axes[0].set_ylabel(r"$\Theta_t$ (dimensionless)")
axes[0].legend(fontsize=9, loc="upper right")
axes[1].plot(ts, sigma_sim, label="bridge, simulated")
axes[1].plot(ts, sigma_lib, "k--", lw=1, label="bridge, library")
axes[1].plot(ts, (bridge.lam * (1 - torch.exp(-2 * u_t))).sqrt(), color="C2",
             label=r"free OU: $\sqrt{\lambda(1 - e^{-2\bar\theta_t})}$")
axes[1].set_title(r"$\Sigma_t$: standard deviation per unit $|\pi|$", fontsize=11)
axes[1].set_ylabel(r"$\Sigma_t$ (dimensionless: std of $x_t$ / $|\pi|$)")
axes[1].legend(fontsize=9, loc="lower center")
axes[1].set_xlabel(TIME)
plt.tight_layout()
plt.show()
gap_theta = float((theta_sim - theta_lib).abs().max())
gap_sigma = float((sigma_sim - sigma_lib)[:-1].abs().max())  # before T; the last time is discussed below
last_step_noise = (2 * bridge.lam * float(sch.clock(ts[-1]) - sch.clock(ts[-2]))) ** 0.5  # sqrt(2 lam du)
print(f"largest gap simulated - library over t < T: Theta {gap_theta:.3f}, Sigma {gap_sigma:.3f} "
      f"({n_paths} paths, {n_steps} Euler-Maruyama steps)")
print(f"simulated Sigma at T: {float(sigma_sim[-1]):.4f}; one Euler-Maruyama step's noise sqrt(2 lam du) = "
      f"{last_step_noise:.4f}")
assert gap_theta < 0.02 and gap_sigma < 0.02
assert n_paths == (400 if FAST else 4000)  # the text's 4000 paths in full mode
assert 0.5 * last_step_noise < float(sigma_sim[-1]) < 1.5 * last_step_noise
# the closed form's ends: Theta = 1, Sigma = 0 at t = 0; Theta = 0, Sigma = 0 at T
assert float(theta_lib[0]) == 1.0 and float(sigma_lib[0]) == 0.0
assert float(theta_lib[-1]) == 0.0 and float(sigma_lib[-1]) == 0.0

# %% [markdown]
# Both coefficients vanish or reach 1 where they must: $\Theta = 1$, $\Sigma = 0$ at $t = 0$ (the clean image) and
# $\Theta = 0$, $\Sigma = 0$ at $T$ (exactly $\mu$) in the library's closed form. The simulated $\Sigma$ ends not at 0
# but at about one Euler–Maruyama step's noise $\sqrt{2\lambda\,\Delta u}$ (printed, asserted): the last step's drift
# pulls the mean almost exactly onto $\mu$ but still adds that step's noise. So the printed gap is taken over $t < T$. In between, $\Sigma_t$ rises like the free process's spread and
# is then squeezed back to 0 by the pin.
#
# ## 4. The discrete grid used from notebook 02a on
#
# The library and the paper work on a grid of integer times. RDBM's reference grid (`bridges.rdbm()`, $N = 100$;
# [`docs/theory.md` §10](../docs/theory.md#10-the-discrete-grid)) takes the cosine "betas" of improved DDPM as $\theta_i$, $i = 0, \dots, 99$, and the clock
# $\bar\theta_i = \sum_{j \le i}\theta_j$. Since already $\bar\theta_0 = \theta_0 > 0$, the clean point
# ($\bar\theta = 0$, $x = x_0$) is not on the grid: it is the **virtual clean index $-1$**. The betas are clamped at
# 0.999, and the clamp acts only at the last index (asserted below): the last step $98 \to 99$ is a **jump** of 0.999 in
# the clock, 12.7 % of $\bar\theta_T$. The last index is $t_T = 99$, the grid's end time $T$, where the bridge is pinned to
# $\mu$ and $\bar\theta_{t:T} = 0$. So no other grid point lies close to $t_T$, and at every grid point before $t_T$ the
# bridge's drift factor $\coth(\bar\theta_{t:T})$ is at most $\coth(0.999) = 1.31$: the blow-up near $T$ seen in
# section 2 is never evaluated (eq. 10.4). The bottom panel shows how far the factor is above the free process's 1,
# $\coth(\bar\theta_{t:T}) - 1$, on a log scale: $3.7\times10^{-4}$ at index 89, ten indices before $t_T$, and
# 0.31 at index 98.

# %%
ref = bridges.rdbm()
rs = ref.schedule
idx = rs.times()  # -1 (virtual clean index), 0, ..., 99
theta_i = rs.theta  # theta_0 ... theta_99
clock_i = rs.clock(idx)
coth_i = 1 / torch.tanh(rs.clock_to_end(idx[:-1]))
fig, axes = plt.subplots(3, 1, figsize=(7.5, 9.5), sharex=True)
axes[0].bar(torch.arange(len(theta_i)), theta_i, width=1.0, color="C0")
axes[0].set_title(r"$\theta_i$ (cosine betas, clamped at 0.999)", fontsize=11)
axes[0].set_ylabel(r"$\theta_i$ (clock units per index)")
axes[0].annotate(f"last: {float(theta_i[-1]):.3f}", (len(theta_i) - 1, float(theta_i[-1])), xytext=(40, 0.8),
                 arrowprops=dict(arrowstyle="->"), fontsize=10)
axes[1].plot(idx, clock_i, marker=".", ms=3)
axes[1].plot([-1], [0.0], "o", color="C3", label=r"virtual clean index $-1$: $\bar\theta = 0$")
axes[1].annotate("final jump 98 → 99", (98.5, float(clock_i[-2] + clock_i[-1]) / 2), xytext=(55, 6.5),
                 arrowprops=dict(arrowstyle="->"), fontsize=10)
axes[1].set_title(rf"clock $\bar\theta_i$ ($\bar\theta_T$ = {rs.u_T:.3f})", fontsize=11)
axes[1].set_ylabel(r"$\bar\theta_i$ (clock units)")
axes[1].legend(fontsize=9, loc="upper left")
axes[2].semilogy(idx[:-1], coth_i - 1, marker=".", ms=3, label=r"bridge: $\coth(\bar\theta_{t:T}) - 1$")
axes[2].set_title(r"bridge's drift factor above the free OU's 1 (free OU: 0, off the log axis)", fontsize=11)
axes[2].set_ylabel(r"$\coth(\bar\theta_{t:T}) - 1$ (dimensionless)")
axes[2].legend(fontsize=9, loc="upper left")
axes[2].set_xlabel("grid index $i$")
plt.tight_layout()
plt.show()
ratio = float(theta_i[-1]) / rs.u_T
print(f"theta_99 = {float(theta_i[-1]):.4f} ({100 * ratio:.1f} % of the terminal clock "
      f"{rs.u_T:.3f}); largest coth on the grid = {float(coth_i.max()):.3f} at index {int(idx[:-1][coth_i.argmax()])}")
assert abs(ratio - 0.127) < 0.001
assert abs(float(coth_i.max()) - 1.31) < 0.005 and int(idx[:-1][coth_i.argmax()]) == 98
assert abs(float(theta_i[-1]) - 0.999) < 1e-6 and bool((theta_i[:-1] < 0.999).all())  # the clamp acts at the last index only
assert len(theta_i) == 100 and float(clock_i[1]) == float(theta_i[0]) > 0  # N = 100; thbar_0 = theta_0 > 0
assert float(clock_i[0]) == 0.0 and int(idx[0]) == -1  # the virtual clean index -1, where thbar = 0
excess = dict(zip(idx[:-1].tolist(), (coth_i - 1).tolist()))  # coth - 1 by grid index
print(f"coth - 1: {excess[89]:.2e} at index 89, {excess[98]:.3f} at index 98")
assert abs(excess[89] - 3.7e-4) < 0.05e-4 and abs(excess[98] - 0.31) < 0.005
assert int(idx[-1]) == rs.t_T == 99

# %% [markdown]
# The exercises below derive what `derivations.family` and `derivations.hbridge` state, and 01.3 computes what a
# path's `coefficients` returns. The next cell removes from the notebook's names the two modules, the paths (`bridge`,
# `free`, `ref`), the constructors (`bridges`, `ResidualPath`) and the closed-form values of section 3, so that no
# answer is left one name away by accident. This does not lock anything: an `import` brings every one of them back.
# What grades you is the checker. It asks 01.1 and 01.2 for your steps, and it refuses a 01.3 function that calls a
# path's coefficient methods, on any path object. The RDBM schedule `rs` stays, to try your 01.3 function on.

# %%
del family, hbridge, bridge, free, ref, bridges, ResidualPath, theta_lib, sigma_lib

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/01_ou_and_h_transform_solutions.ipynb`. The two *derive* exercises are graded
# on your **steps**: hand in a Python `dict` whose values are SymPy expressions, one per step (a final formula alone
# is refused). Use the symbols imported at the top of this notebook: `x`, `mu`, `pi`, `lam`, `u` $= \bar\theta_t$
# and `c` $= \bar\theta_T$, and the symbols `M` and `Q` of section 1: reuse these two. (They are real, `real=True`; a
# fresh `sp.Symbol("M")` is a different symbol to SymPy, and mixing the two in one expression gives wrong steps.)
#
# **01.1 (derive, by the mean ODE).** Per unit clock the bridge SDE of section 2 is
# $dx = \coth(c - u)(\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$. Its mean $M(u) = E[x_t\mid x_0]$ starts at
# $M = x_0 = \mu + \pi$ at the clean end, and $M = \mu + \Theta_t\pi$ defines $\Theta_t$. Derive $\Theta_t$ in three
# steps, as section 1 did for the free process's mean:
#
# - `"dM_du"`: $dM/du$, the expectation of the SDE: an expression in `M`, `u`, `c` and `mu`;
# - `"factor"`: an integrating factor $I(u)$, with $\frac{d}{du}\big(I\,(M - \mu)\big) = 0$ (any constant multiple
#   is accepted): an expression in `u` and `c`;
# - `"Theta"`: $\Theta_t = (M - \mu)/\pi$, from $I\,(M - \mu)$ being constant: an expression in `u` and `c`.

# %%
from rdbm_course.exercises import check

answer_01_1 = ...  # {"dM_du": ..., "factor": ..., "Theta": ...}
check("01.1", answer_01_1)

# %% [markdown]
# **01.2 (derive, by the variance ODE).** A second route to the spread: the variance $Q(u)$ of $x_t$ given $x_0$
# under the bridge SDE per unit clock, $dx = \coth(c - u)(\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$, with $Q = 0$ at the
# clean end. Derive $\Sigma_t^2 = Q/\pi^2$ in three steps, with the symbol `Q` of section 1:
#
# - `"dQ_du"`: $dQ/du$ from Itô's formula, as in section 1: an expression in `Q`, `u`, `c`, `lam` and `pi`;
# - `"factor"`: an integrating factor $I(u)$, with $\frac{d}{du}(I\,Q) = 2\lambda\pi^2 I$ (any constant multiple
#   is accepted): an expression in `u` and `c`;
# - `"Sigma2"`: $\Sigma_t^2$, from integrating that equation from $u = 0$: an expression in `u`, `c` and `lam`.

# %%
answer_01_2 = ...  # {"dQ_du": ..., "factor": ..., "Sigma2": ...}
check("01.2", answer_01_2)

# %% [markdown]
# **01.3 (implement).** Write a function `theta_on_grid(schedule, t)` that returns $\Theta_t$ as a float64 tensor
# shaped like `t`, for the integer times `t` of a discrete schedule, from the schedule's clock alone
# (`schedule.clock(t)`, `schedule.clock_to_end(t)`, `schedule.u_T`; not `path.coefficients`). It is checked on
# the RDBM grid and the GOUB grid (GOUB: the generalised OU bridge of Yue et al., `bridges.goub()`, on the IR-SDE grid; [`docs/theory.md`
# §10](../docs/theory.md#10-the-discrete-grid)), at every integer time from the virtual clean index $-1$ to the last
# index $t_T$ (where $\Theta = 0$), and on one more grid that is not named here.

# %%
answer_01_3 = ...  # a function theta_on_grid(schedule, t) -> tensor shaped like t
check("01.3", answer_01_3)
