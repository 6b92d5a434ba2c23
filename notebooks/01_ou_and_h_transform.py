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
# **Prerequisites.** Itô's formula, Gaussian densities, and `docs/theory.md` §1–2 (eqs. 1.1–2.6, and its symbol
# table: $\pi$ is always the residual $x_0 - \mu$, never the number 3.14…). `docs/theory.md` §3 states the results
# that section 2 derives: read it after section 2. §4 states the results of exercises 01.1 and 01.2: read it after
# the exercises. Each result below is derived with SymPy, step by step, displayed and *asserted*; the `derivations`
# package states the same results independently, and one cell at the end of section 2 checks that the two agree.
#
# `FAST=1` simulates fewer paths with a coarser step (400 paths of 200 steps instead of 4000 paths of 400 steps).

# %%
import math
import os

import matplotlib.pyplot as plt
import sympy as sp
import torch

from derivations.common import U, c, lam, m, mu, pi, readable, t, theta, u, x, xs, y, zero
from derivations.common import d as rest  # the clock lag still to go, thbar_{t:T} = c - u
from derivations.family import ou_mean, ou_var
from rdbm_core.bridge import schedules
from rdbm_course.mathshow import agree, latex, limit, positive_terms_first, show, vanishes, vanishes_by_powers

FAST = os.environ.get("FAST") == "1"
TIME = r"time $t$ (dimensionless, $T = 1$)"
PIXEL = r"pixel value ($[-1, 1]$ scale)"
positive_terms_first()  # SymPy prints x - mu, not -mu + x

# %% [markdown]
# **How the derivations are checked.** `show` only displays an equation, one step per line. `agree` reduces two
# expressions to one factored fraction each and asserts that the two are equal; `vanishes` reduces an expression to
# one fraction and asserts that it is 0; `vanishes_by_powers` does so for a polynomial in $x$, one power of $x$ at a
# time, the terms of each power over one common denominator; `limit` displays a limit and asserts its value. `zero`
# gives the canonical form of an expression (exactly 0 when it vanishes identically), `readable` a compact form for
# display, and `latex` the LaTeX of an expression as the displays print it.
#
# **Symbols** (imported from `derivations.common`):
#
# - `x`, `mu`, `pi`, `lam`, `theta`, `t`: the state $x$, the degraded image $\mu$, the residual $\pi = x_0 - \mu$,
#   the stationary variance per unit $\pi^2$, $\lambda$ (the stationary variance is $\lambda\pi^2$), the rate
#   $\theta_t$ and the time $t$;
# - `u` and `c`: the clock $u = \bar\theta_t$ and its end value $c = \bar\theta_T$. The prose writes $u$ and $c$;
#   SymPy prints them as $\bar\theta_t$ and $\bar\theta_T$;
# - `U` $= e^{u}$, and in some outputs $C = e^{c}$ and $D = e^{\bar\theta_{t:T}}$: written with these exponentials,
#   an expression is a fraction of polynomials, which SymPy decides to be 0 exactly; for the same reason
#   $\mathcal E = e^{\tau}$, $\mathcal E_1 = e^{\tau_1}$ and $\mathcal E_2 = e^{\tau_2}$ for the clock lags $\tau$,
#   $\tau_1$, $\tau_2$ of the transition kernel;
# - `xs` $= x_s$, a state at an earlier time $s$ (the transition kernel); `m` and `y`, a general mean-reversion
#   target and end point (end of section 2).
#
# The displays of this notebook are numbered (1), (2), …; equations of `docs/theory.md` are cited as "eq. 2.4".

# %% [markdown]
# ## 0. The picture first: a free OU process and a bridge
#
# Two pixels of an image, a degraded one ($\pi = x_0 - \mu = 0.8$, blue) and an intact one ($\pi = 0$, orange),
# driven by the mean-reverting SDE whose noise is multiplied by the residual $\pi$. Left: the free process; it
# relaxes towards the degraded value $\mu$ but keeps a spread. Right: the same process *conditioned* to end at
# $\mu$, a bridge; every path is pinned to $\mu$ at $t = T$. Under residual modulation the intact pixel has no
# noise and stays at $\mu$ (section 2 says why the bridge's drift is defined there too; notebook 05 shows this on
# whole images). This notebook derives both pictures: section 1 solves the free process exactly, section 2
# conditions it on its end point and finds the drift that pins the paths.
#
# (Euler–Maruyama in the clock with the library's drift `ResidualPath.bridge_drift`, on a continuous schedule with
# $\bar\theta_T = 2$, $\lambda = 0.05$; the drifts are the ones derived below. 16 of the paths are drawn.)

# %%
THBAR_T, LAM = 2.0, 0.05
sch = schedules.continuous_constant(THBAR_T, 1.0)  # theta_t = 2 on [0, 1]: thbar_T = 2
n_paths, n_steps = (400, 200) if FAST else (4000, 400)
x0 = torch.tensor([0.6, 0.1], dtype=torch.float64)
mu_img = torch.tensor([-0.2, 0.1], dtype=torch.float64)
ts = torch.linspace(0, 1, n_steps + 1, dtype=torch.float64)
delta_u = THBAR_T / n_steps  # the clock step Delta u of every Euler-Maruyama step: thbar_{t:t+dt} = theta dt
assert torch.allclose(sch.clock(ts[1:]) - sch.clock(ts[:-1]), torch.full((n_steps,), delta_u, dtype=torch.float64))


def simulate(pinned, generator):
    """Euler-Maruyama paths of the free OU process (``pinned=False``) or of the bridge, from ``x0`` towards
    ``mu_img``, per unit clock: ``x + drift(x) Delta u + sqrt(2 lam Delta u) pi z``; shape [time, path, pixel]."""
    from rdbm_core.bridge.path import ResidualPath  # noqa: PLC0415

    # the method bridge_drift serves both: with pinned=False it returns the free OU drift mu - x
    process = ResidualPath(sch, LAM, noise="modulated", pinned=pinned)
    xcur, mus = x0.repeat(n_paths, 1), mu_img.repeat(n_paths, 1)
    noise_factor = process.noise_factor(x0, mu_img)  # pi, pixel by pixel
    traj = [xcur]
    for t0 in ts[:-1]:
        z = torch.randn(xcur.shape, generator=generator, dtype=torch.float64)
        xcur = xcur + process.bridge_drift(xcur, mus, t0) * delta_u + (2 * LAM * delta_u) ** 0.5 * noise_factor * z
        traj.append(xcur)
    return torch.stack(traj)


g = torch.Generator().manual_seed(0)
PATHS = {"free": simulate(False, g), "bridge": simulate(True, g)}  # [time, path, pixel]
fig, axes = plt.subplots(1, 2, figsize=(8, 4.4), sharey=True, layout="constrained")
for ax, traj, title in zip(axes, PATHS.values(), ("free OU process", "OU bridge (pinned at T)")):
    lines = ax.plot(ts, traj[:, :16, 0], color="C0", alpha=0.5, lw=0.8)
    lines[0].set_label(r"degraded pixel, $\pi = 0.8$ (16 paths)")
    ax.plot(ts, traj[:, 0, 1], color="C1", lw=1.6, label=r"intact pixel, $\pi = 0$ (all paths)")
    ax.axhline(float(mu_img[0]), color="k", ls=":", lw=1, label=r"$\mu$ of the degraded pixel")
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(TIME)
axes[0].set_ylabel(r"$x_t$, " + PIXEL)
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9)
plt.show()
assert sch.u_T == THBAR_T == 2.0 and LAM == 0.05  # thbar_T = 2, lambda = 0.05, as the text says
assert abs(float(x0[0] - mu_img[0]) - 0.8) < 1e-12 and float(x0[1] - mu_img[1]) == 0.0  # pi = 0.8 (float rounding), 0
assert len(lines) == 16 and lines[0].get_label().startswith("degraded")  # 16 paths drawn, the first one labelled
for traj in PATHS.values():  # intact pixel (index 1, x_0 = mu = 0.1): never moves, free or pinned
    assert torch.equal(traj[:, :, 1], torch.full_like(traj[:, :, 1], 0.1))
# Pinned: the last step's drift puts a path on mu up to a factor 1 - coth(Delta u) Delta u ~ -Delta u^2/3 of its
# distance, and the step adds its own noise, of standard deviation s = sqrt(2 lam Delta u) |pi|. So the
# root-mean-square end gap is s; its relative standard error with N paths is 1/sqrt(2N), and 4 of them bound a
# Monte Carlo deviation (two-sided chance 6e-5 for one Gaussian number).
end_rms = float(PATHS["bridge"][-1, :, 0].sub(mu_img[0]).pow(2).mean().sqrt())
step_sd = (2 * LAM * delta_u) ** 0.5 * 0.8
assert abs(end_rms / step_sd - 1) < 4 / (2 * n_paths) ** 0.5, (end_rms, step_sd)

# %% [markdown]
# ## 1. The forward SDE, in the clock $u = \bar\theta_t$
#
# $$dx_t = \theta_t(\mu - x_t)\,dt + g_t\,dw_t,\qquad g_t = \sqrt{2\lambda\theta_t}\,\pi,\qquad \pi = x_0 - \mu,
# \tag{1}$$
#
# with $g_t^2 = 2\lambda\theta_t\pi^2$ the squared diffusion coefficient per unit time. Write
# $u = \bar\theta_t = \int_0^t\theta_r\,dr$ for the clock ($du = \theta_t\,dt$) and
#
# $$W_{\bar\theta_t} = \int_0^t\sqrt{\theta_r}\,dw_r .$$
#
# - With $\theta_r > 0$ the clock is strictly increasing, so $t$ is a function of $u$ and $W_u$ is defined for every
#   $u$. It is a continuous martingale with quadratic variation $\int_0^t\theta_r\,dr = u$, hence a Brownian motion in
#   the clock (Lévy's characterisation).
# - Since $\sqrt{\theta_t}\,dw_t = dW_u$, the SDE becomes autonomous (`docs/theory.md` eqs. 2.1–2.2):
#
# $$dx = (\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u . \tag{2}$$
#
# $M = E[x_t\mid x_0]$ and $Q = \mathrm{Var}[x_t\mid x_0]$ are the mean and the variance of $x_t$ given the clean
# start (`docs/theory.md`'s symbol table): here of the free process, in exercises 01.1 and 01.2 of the bridge. A start
# at an earlier state $x_s$ (the transition kernel, end of this section) is written out: $E[x_t\mid x_s]$,
# $\mathrm{Var}[x_t\mid x_s]$.
#
# **Itô's formula for $x^2$.** Over a short time $dt$ the state moves by $dx = \theta_t(\mu - x)\,dt + g_t\,dw$, and
# $d(x^2) = (x + dx)^2 - x^2 = 2x\,dx + (dx)^2$. Unlike in ordinary calculus, $(dx)^2$ is not negligible: the
# Brownian increment $dw$ has mean 0 and variance $dt$, so $dw^2$ is of order $dt$ (Itô's rule $dw^2 = dt$), while
# $dt^2$ and $dt\,dw$ are of higher order and dropped. SymPy expands the square and applies these three rules
# (the function `ito` is used again below):

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
show(r"(dx)^2", sp.expand(dx_ ** 2), latex(ito(dx_ ** 2, dt, dw)) + ITO_RULES)
d_x2 = ito((x + dx_) ** 2 - x ** 2, dt, dw)
show(r"d(x^2) = (x + dx)^2 - x^2", latex(sp.collect(d_x2, [dt, dw])) + ITO_RULES)

# %% [markdown]
# Averaging, $E[x\,dw] = 0$ (the increment $dw$ is independent of the current $x$), $E[x] = M$ and
# $E[x^2] = Q + M^2$; dividing by $dt$ gives the moment ODEs. The mean's is the expectation of the drift; the
# variance's is $dQ/dt = d\,E[x^2]/dt - 2M\,dM/dt$. Each line is computed from the one before it:

# %%
M, Q = sp.symbols("M Q", real=True)  # the mean and the variance of x_t given x_0
E2 = sp.Symbol("E[x^{2}]", real=True)
dM_ito = (theta * (mu - x)).subs(x, M)  # E[dx] / dt: the drift is affine in x, so E of it is the drift at M
show(r"\frac{dM}{dt}", r"E\big[" + latex(theta * (mu - x)) + r"\big]", dM_ito)
drift_part = sp.expand(d_x2.coeff(dt))  # the dt part of d(x^2); its dw part averages to 0
dE2_ito = drift_part.subs(x ** 2, E2).subs(x, M)  # E[x^2] for x^2, then M for x
show(r"\frac{d\,E[x^2]}{dt}", r"E\big[" + latex(drift_part) + r"\big]", dE2_ito)
dQ_ito = sp.expand((dE2_ito - 2 * M * dM_ito).subs(E2, Q + M ** 2))
show(r"\frac{dQ}{dt} = \frac{d\,E[x^2]}{dt} - 2M\frac{dM}{dt}", sp.expand(dE2_ito - 2 * M * dM_ito),
     latex(sp.collect(dQ_ito, theta)) + r"\quad(E[x^2] = Q + M^2)")


def difference(lhs, left, right, gens=None):
    """Display ``lhs = left - (right) = 0``, each side as SymPy writes it, and assert that the difference is 0
    (exactly: as one fraction in the exponentials ``gens``)."""
    show(lhs, latex(left) + r" - \Big(" + latex(right) + r"\Big)", 0)
    assert zero(left - right, gens) == 0, f"{lhs} is not 0"


# %% [markdown]
# **Mean by the integrating factor.** Divided by $\theta_t = du/dt$, the mean's ODE reads $dM/du = \mu - M$ in the
# clock, and the start is $M = x_0 = \mu + \pi$ at $u = 0$. Multiply by $e^{u}$: the product rule and the ODE make the
# derivative of $e^{u}(M - \mu)$ vanish, so $e^{u}(M - \mu)$ is constant, equal to its value $x_0 - \mu = \pi$ at
# $u = 0$. SymPy solves that equation for $M$, and its ODE solver (`dsolve`) gives the same mean (the displays print
# $u$ as $\bar\theta_t$):

# %%
M_of = sp.Function("M")(u)
step = sp.diff(sp.exp(u) * (M_of - mu), u)
show(r"\frac{d}{d\bar\theta_t}\big(e^{\bar\theta_t}(M - \mu)\big)", step,
     latex(sp.simplify(step.subs(sp.Derivative(M_of, u), mu - M_of)))
     + r"\quad\text{(with } dM/d\bar\theta_t = \mu - M)")
constant_product = sp.Eq(sp.exp(u) * (M - mu), pi)
(mean_if,) = sp.solve(constant_product, M)
show(latex(constant_product) + r"\ \Rightarrow\ M", mean_if)
mean_dsolve = sp.dsolve(sp.Eq(M_of.diff(u), mu - M_of), M_of, ics={M_of.subs(u, 0): mu + pi}).rhs
difference(r"M - M_{\rm dsolve}", mean_if, mean_dsolve, gens={u: U})

# %% [markdown]
# **Variance by Itô's isometry.** The same integrating factor applied to the state itself: in the clock,
# $dx = (\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW$, and the product rule for $e^{u}(x - \mu)$ has three terms,
# $e^{u}du\,(x - \mu) + e^{u}dx + e^{u}du\,dx$; by Itô's rules the last is 0 ($du^2 = du\,dW = 0$:
# the factor $e^{u}$ has no noise of its own). SymPy, writing $U$ for $e^{u}$, expands and applies the
# rules of the first cell of this section:

# %%
du_, dW = sp.symbols(r"du dW")  # the clock's differential and its Brownian increment
dx_clock = (mu - x) * du_ + sp.sqrt(2 * lam) * pi * dW
product = ito(U * (1 + du_) * (x - mu + dx_clock) - U * (x - mu), du_, dW)  # d(e^u) = e^u du
three_terms = U * du_ * (x - mu) + U * dx_clock + U * du_ * dx_clock  # stays unexpanded
show(r"d\big(e^{u}(x - \mu)\big) = e^{u + du}(x + dx - \mu) - e^{u}(x - \mu)",
     latex(three_terms) + r"\quad(e^{u + du} = e^{u}(1 + du)\text{, as } du^2 = 0)",
     sp.expand(U * (1 + du_) * (x - mu + dx_clock) - U * (x - mu)),
     latex(product) + r"\quad(du^2 = du\,dW = 0)")
assert sp.expand(three_terms - (U * (1 + du_) * (x - mu + dx_clock) - U * (x - mu))) == 0
assert sp.expand(product - U * sp.sqrt(2 * lam) * pi * dW) == 0

# %% [markdown]
# The drift has cancelled: $e^{u}(x - \mu)$ changes only by noise. Integrating from $0$ to $u$ (with $r$ the
# integration variable) and multiplying by $e^{-u}$ gives (eq. 2.3 from $x_0$)
#
# $$x_t - \mu = e^{-u}\pi + \sqrt{2\lambda}\,\pi\int_0^{u} e^{-(u-r)}\,dW_r . \tag{3}$$
#
# The first term is fixed given $x_0$; the variance of the stochastic integral is the integral of its squared
# integrand (Itô's isometry). The variance ODE $dQ/du = -2Q + 2\lambda\pi^2$ from $Q = 0$ (`dsolve`) gives the same
# (the displays print $u$ as $\bar\theta_t$):

# %%
r = sp.Symbol("r", positive=True)  # the integration variable
integrand = (sp.exp(-(u - r)) * sp.sqrt(2 * lam) * pi) ** 2
var_ito = sp.integrate(integrand, (r, 0, u))
show(r"Q", sp.Integral(integrand, (r, 0, u)), sp.expand(var_ito))
Q_of = sp.Function("Q")(u)
var_dsolve = sp.dsolve(sp.Eq(Q_of.diff(u), -2 * Q_of + 2 * lam * pi ** 2), Q_of, ics={Q_of.subs(u, 0): 0}).rhs
difference(r"Q - Q_{\rm dsolve}", sp.expand(var_ito), var_dsolve, gens={u: U})

# %% [markdown]
# **The clock removes $\theta_t$.** For any schedule, $M = \mu + e^{-\bar\theta_t}\pi$ and
# $Q = \lambda(1 - e^{-2\bar\theta_t})\pi^2$ solve the moment ODEs *in $t$*: put them in, with
# $d\bar\theta_t/dt = \theta_t$ (SymPy differentiates $\bar\theta_t$ as a function of $t$; the results are then
# written with the symbol $\bar\theta_t$ again):

# %%
thbar = sp.Function("thbar")(t)  # the clock as a function of t, to differentiate; then the symbol u = thbar_t
M_t, Q_t = ou_mean(thbar), ou_var(thbar)
dM_dt = sp.diff(M_t, t).subs(sp.Derivative(thbar, t), theta).subs(thbar, u)
dQ_dt = sp.diff(Q_t, t).subs(sp.Derivative(thbar, t), theta).subs(thbar, u)
M_u, Q_u = M_t.subs(thbar, u), Q_t.subs(thbar, u)
assert zero(M_u - mean_if) == 0 and zero(Q_u - var_ito) == 0  # the M and Q derived above
show(r"\frac{dM}{dt}", dM_dt)
show(r"\frac{dQ}{dt}", dQ_dt)
show(r"\theta_t(\mu - M)", r"\theta_t\Big(\mu - \big(" + latex(M_u) + r"\big)\Big)", theta * (mu - M_u))
difference(r"\frac{dM}{dt} - \theta_t(\mu - M)", dM_dt, theta * (mu - M_u))
vanishes(r"\frac{dQ}{dt} - \big(-2\theta_t Q + 2\lambda\theta_t\pi^2\big)",
         dQ_dt - (-2 * theta * Q_u + 2 * lam * theta * pi ** 2))
limit(Q_u, u, sp.oo, lam * pi ** 2, lhs=r"\lim_{\bar\theta_t\to\infty} Q")

# %% [markdown]
# The last line: the variance tends to $\lambda\pi^2$, so $\lambda$ is the *stationary* variance per unit $\pi^2$ (a
# variance, not a standard deviation).
#
# **The transition kernel.** The clock SDE (2) does not contain $u$ itself. So the process started at a state $x_s$
# at the clock $\bar\theta_s$ moves over the clock lag $\tau = \bar\theta_{s:t}$ as the process above moves over $u$,
# with $x_s$ in the place of $x_0$ in the mean. The noise factor $\pi$ stays the residual $x_0 - \mu$: it belongs to
# the image pair, not to the state. The kernel is Gaussian (`docs/theory.md` eq. 2.4):
#
# $$p(x_t\mid x_s) = \mathcal N(k_\tau, v_\tau),\qquad k_\tau = \mu + e^{-\tau}(x_s - \mu),\qquad
# v_\tau = \lambda(1 - e^{-2\tau})\pi^2, \tag{4}$$
#
# with $k_\tau = E[x_t\mid x_s]$ and $v_\tau = \mathrm{Var}[x_t\mid x_s]$ the kernel's mean and variance ($E$ and
# $\mathrm{Var}$ stay the expectation and the variance operators). Two checks, and the derivatives that the first one
# needs:
#
# - **Fokker–Planck.** $p$ solves $\partial_\tau p = -\partial_x\big((\mu - x)p\big) + \lambda\pi^2\,\partial_{xx}p$.
#   Divided by $p$ and written with $L_p = \log p$ (up to a constant free of $x$ and $\tau$, so that no number
#   $3.14\ldots$ enters), that is
#
# $$R_p \equiv \partial_\tau L_p - 1 + (\mu - x)\,\partial_x L_p - \lambda\pi^2\big(\partial_{xx}L_p + (\partial_x L_p)^2\big)
# = 0 . \tag{5}$$
#
# - **The derivatives of $L_p$.** $L_p = -(x - k_\tau)^2/(2v_\tau) - \tfrac12\log v_\tau$, so
#   $\partial_x L_p = (k_\tau - x)/v_\tau$, $\partial_{xx}L_p = -1/v_\tau$, and the chain rule in $\tau$ gives
#   (a prime is $\partial_\tau$)
#
# $$\partial_\tau L_p = -\frac{v_\tau'}{2\,v_\tau} + \frac{(x - k_\tau)\,k_\tau'}{v_\tau}
# + \frac{v_\tau'\,(x - k_\tau)^2}{2\,v_\tau^2} . \tag{6}$$
#
# - **Chapman–Kolmogorov.** A lag $\tau_1$, then a lag $\tau_2$, is one lag $\tau_1 + \tau_2$: composing the means and
#   the variances of (4) gives those over $\tau_1 + \tau_2$.
#
# The cell shows $L_p$, its derivatives and the composed moments; the check $R_p = 0$ itself is in the verification
# block at the end of section 2.

# %%
tau = sp.Symbol("tau", positive=True)  # a clock lag thbar_{s:t}
E_tau = sp.Symbol(r"\mathcal{E}", positive=True)  # e^tau, for the exact zero test
kernel_mean, kernel_var = ou_mean(tau, xs), ou_var(tau)  # E[x_t | x_s] and Var[x_t | x_s]
L_p = -(x - kernel_mean) ** 2 / (2 * kernel_var) - sp.log(kernel_var) / 2  # + a constant, free of x and tau
show(r"L_p = \log p(x_t = x \mid x_s)", latex(L_p) + r" + \text{const}")
E_, Var_ = sp.symbols(r"k_\tau v_\tau", positive=True)  # the kernel's mean and variance as letters, for display
for order, form in ((1, (E_ - x) / Var_), (2, -1 / Var_)):
    show(r"\partial_x L_p" if order == 1 else r"\partial_{xx} L_p", form)
    assert zero(sp.diff(L_p, x, order) - form.subs({E_: kernel_mean, Var_: kernel_var}), {tau: E_tau}) == 0


def log_gaussian_rate(lhs, log_density, point, point_tex, mean, var, s, gens=None):
    """Display ``d_s log_density``, for ``log_density = -(point - mean)^2 / (2 var) - log(var) / 2``, in the form
    (6), ``-v'/(2 v) + (point - k) k'/v + v' (point - k)^2 / (2 v^2)`` with ``k = mean``, ``v = var`` and their
    derivatives ``k'``, ``v'`` in ``s`` written out, and assert that this form is the derivative."""
    dE_, dV_ = sp.symbols("dE dV")
    form = -dV_ / (2 * Var_) + (point - E_) * dE_ / Var_ + dV_ * (point - E_) ** 2 / (2 * Var_ ** 2)
    values = {E_: mean, Var_: var, dE_: sp.diff(mean, s), dV_: sp.diff(var, s)}
    assert zero(log_density - (-(point - mean) ** 2 / (2 * var) - sp.log(var) / 2)) == 0
    assert zero(form.subs(values) - sp.diff(log_density, s), gens) == 0, f"{lhs}: the form is not the derivative"
    show(lhs, rf"-\frac{{v_\tau'}}{{2\,v_\tau}} + \frac{{({point_tex} - k_\tau)\,k_\tau'}}{{v_\tau}}"
              rf" + \frac{{v_\tau'\,({point_tex} - k_\tau)^2}}{{2\,v_\tau^2}},\quad k_\tau' = "
              + latex(values[dE_]) + r",\quad v_\tau' = " + latex(values[dV_]))


log_gaussian_rate(r"\partial_\tau L_p", L_p, x, "x", kernel_mean, kernel_var, tau, gens={tau: E_tau})
tau1, tau2 = sp.symbols("tau_1 tau_2", positive=True)  # two consecutive clock lags
gens12 = {tau1: sp.Symbol(r"\mathcal{E}_1", positive=True), tau2: sp.Symbol(r"\mathcal{E}_2", positive=True)}
composed_mean = ou_mean(tau2, ou_mean(tau1, xs))  # the mean after tau1, then tau2
composed_var = sp.exp(-2 * tau2) * ou_var(tau1) + ou_var(tau2)  # the first variance, shrunk, plus the second
agree(r"k\big|_{\tau_1\text{, then }\tau_2}", composed_mean, r"k_{\tau_1 + \tau_2}", ou_mean(tau1 + tau2, xs),
      gens=gens12)
agree(r"v\big|_{\tau_1\text{, then }\tau_2}", composed_var, r"v_{\tau_1 + \tau_2}",
      ou_var(tau1 + tau2), gens=gens12)

# %% [markdown]
# ## 2. Doob's h-transform: conditioning on $x_T = \mu$
#
# With $c = \bar\theta_T$ and $u = \bar\theta_t$, the clock still to go is $\bar\theta_{t:T} = c - u$. Let
#
# $$h(x, t) = p(x_T = \mu \mid x_t = x), \tag{7}$$
#
# the kernel (4) over the lag $\tau = c - u$, evaluated at the end point $\mu$: how likely a path now at $x$ is to
# end at $\mu$. Conditioning on $x_T = \mu$ adds $g_t^2\,\partial_x\log h$ to the drift and leaves the noise as it
# is (`docs/theory.md` eqs. 3.1–3.2):
#
# $$dx_t = \big[\theta_t(\mu - x_t) + g_t^2\,\partial_x\log h(x_t, t)\big]\,dt + g_t\,dw_t,\qquad
# g_t^2 = 2\lambda\theta_t\pi^2 . \tag{8}$$
#
# Why, in three steps:
#
# - Bayes' rule and the Markov property give, for $t < t' < T$,
#   $p(x_{t'} = x'\mid x_t = x, x_T = \mu) = p(x_{t'} = x'\mid x_t = x)\,h(x', t')/h(x, t)$: the conditioned process
#   moves with the free transition density times $h(x', t')/h(x, t)$. So on a function $f(x, t)$ its space-time
#   generator is $h^{-1}(\partial_t + \mathcal A_t)(hf)$, where $\partial_t + \mathcal A_t$, with
#   $\mathcal A_t = \theta_t(\mu - x)\partial_x + \tfrac12 g_t^2\partial_{xx}$, is the free process's space-time
#   generator.
# - The product rule (the first line of the cell below, asserted for any $h$ and $f$) gives
#
# $$\frac{(\partial_t + \mathcal A_t)(hf)}{h} = (\partial_t + \mathcal A_t)f + g_t^2\,\partial_x\log h\;\partial_x f
# + f\,\frac{(\partial_t + \mathcal A_t)h}{h} . \tag{9}$$
#
# - The last term is 0 because $h$ solves the backward Kolmogorov equation (checked below, (10)). What is left is
#   the generator of a diffusion with the drift of (8) and the noise $g_t\,dw_t$.
#
# Then step by step: $\log h$ (up to a constant free of $x$), its gradient, and the gradient times $g_t^2$.

# %%
h_fn, f_fn = sp.Function("h")(x, t), sp.Function("f")(x, t)


def backward_operator(F):
    """(d_t + A_t) F for the free process: d_t F + theta_t (mu - x) d_x F + g_t^2 d_xx F / 2."""
    return sp.diff(F, t) + theta * (mu - x) * sp.diff(F, x) + g2_t / 2 * sp.diff(F, x, 2)


product_rule = (h_fn * backward_operator(f_fn) + f_fn * backward_operator(h_fn)
                + g2_t * sp.diff(h_fn, x) * sp.diff(f_fn, x))
assert sp.expand(backward_operator(h_fn * f_fn) - product_rule) == 0  # for any h and f
show(r"(\partial_t + \mathcal A_t)(hf)",
     r"h\,(\partial_t + \mathcal A_t)f + f\,(\partial_t + \mathcal A_t)h + g_t^2\,\partial_x h\,\partial_x f"
     r"\quad\text{(asserted for any } h, f)")
h_var = ou_var(c - u)  # Var[x_T | x_t]
L_h = -(mu - ou_mean(c - u, x)) ** 2 / (2 * h_var)  # L_h = log h, up to a constant free of x
show(r"L_h = \log h(x, t)", latex(L_h) + r" + \text{const}")
grad = sp.diff(L_h, x)
show(r"\partial_x \log h", readable(grad))
g2_grad = 2 * lam * theta * pi ** 2 * grad
show(r"g_t^2\,\partial_x \log h = 2\lambda\theta_t\pi^2\,\partial_x \log h", readable(g2_grad))
assert pi not in sp.cancel(g2_grad).free_symbols and lam not in sp.cancel(g2_grad).free_symbols

# %% [markdown]
# The $\pi^2$ of $g_t^2$ meets the $\pi^2$ of the kernel's variance and cancels: the last line has no $\pi$ and no
# $\lambda$ left (asserted), so the added drift does not depend on $\pi$ at all (eq. 3.4).
#
# - At an intact pixel ($\pi = 0$) $h$ itself is degenerate (its variance is 0), but this $\pi$-free drift extends
#   to it continuously. There $x = \mu$ from the start, and both the drift and the noise vanish at $x = \mu$: it is a
#   fixed point (section 0 asserts that the intact pixel never moves).
# - Adding the OU drift $\theta_t(\mu - x)$, the factor in front of $\theta_t(\mu - x)$ is
#   $1 + 2e^{-2\bar\theta_{t:T}}/(1 - e^{-2\bar\theta_{t:T}})$, and that is $\coth\bar\theta_{t:T}$:

# %%
coth_factor = 1 + 2 * sp.exp(-2 * rest) / (1 - sp.exp(-2 * rest))
FACTOR_TEX = r"1 + \frac{2e^{-2\bar\theta_{t:T}}}{1 - e^{-2\bar\theta_{t:T}}}"
agree(FACTOR_TEX, coth_factor, r"\coth\bar\theta_{t:T}", sp.coth(rest).rewrite(sp.exp))
h_drift = theta * (mu - x) + g2_grad
agree(r"\theta_t(\mu - x) + g_t^2\partial_x\log h", h_drift, r"\theta_t \coth(\bar\theta_{t:T})(\mu - x)",
      theta * sp.coth(c - u) * (mu - x))

# %% [markdown]
# **$h$ is space-time harmonic.** The third step above used that $h$ solves the backward Kolmogorov equation, in the
# clock $\partial_u h + (\mu - x)\partial_x h + \lambda\pi^2\partial_{xx}h = 0$. Divided by $h$, with $L_h = \log h$:
#
# $$R_h \equiv \partial_u L_h + (\mu - x)\,\partial_x L_h + \lambda\pi^2\big(\partial_{xx}L_h + (\partial_x L_h)^2\big)
# = 0 . \tag{10}$$
#
# - Why it holds: $h(x_t, t)$ is the conditional density of $x_T$ at $\mu$ given the path up to $t$, so by the tower
#   property $E[h(x_{t'}, t')\mid x_t] = h(x_t, t)$ for $t < t' < T$: $h(x_t, t)$ is a martingale under the free
#   process, and a smooth function of $(x, t)$ whose process is a martingale is killed by $\partial_t + \mathcal A_t$
#   (Itô's formula: its $dt$ part must vanish). This holds on $[0, T)$ only; at $T$, $h$ is a delta.
# - $\partial_u L_h$ needs the part of $\log h$ that is free of $x$ but not of $u$, $-\tfrac12\log v_\tau$: it is
#   added here. $\partial_u L_h$ has the form (6), with the end point $\mu$ where (6) has $x$: here the lag is
#   $\tau = c - u$, $k_\tau = E[x_T\mid x_t = x]$, $v_\tau = \mathrm{Var}[x_T\mid x_t]$, and a prime is $\partial_u$.
#
# The cell shows the derivatives of $L_h$; the check $R_h = 0$ is in the verification block at the end of this
# section.

# %%
L_h_full = L_h - sp.log(h_var) / 2  # log h, up to a constant free of x and u
show(r"\partial_x L_h", readable(sp.diff(L_h_full, x)))
show(r"\partial_{xx} L_h", readable(sp.diff(L_h_full, x, 2)))
log_gaussian_rate(r"\partial_u L_h", L_h_full, mu, r"\mu", ou_mean(c - u, x), h_var, u)

# %% [markdown]
# So the bridge SDE is
#
# $$dx_t = \theta_t\coth(\bar\theta_{t:T})(\mu - x_t)\,dt + \sqrt{2\lambda\theta_t}\,\pi\,dw_t . \tag{11}$$
#
# Near $T$, $\coth(\bar\theta_{t:T}) \approx 1/\bar\theta_{t:T}$ pulls every path into $\mu$.
#
# **A general target and end point.** Notebook 03 (DDBM-VP) needs the same construction for a general
# mean-reversion target $m$ and end point $y$: the free process $dx = (m - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$, whose
# kernel is (4) with $m$ in the place of $\mu$ (`docs/theory.md` eq. 2.6), conditioned on $x_T = y$ through
# $h_y(x, t) = p(x_T = y \mid x_t = x)$. Per unit clock the conditioned drift is
# $f = (m - x) + 2\lambda\pi^2\,\partial_x\log h_y$. Step by step, as for $h$: $\log h_y$, its gradient, and $f$; then,
# since $f$ is affine in $x$ and $y$ and is 0 at $x = y = m$, its two slopes:

# %%
def by_xym(expr):
    """``readable(expr)`` with its numerator collected in x, y and m, for display."""
    numerator, denominator = sp.fraction(readable(expr))
    return sp.collect(sp.expand(numerator), [x, y, m], sp.factor) / denominator


L_hy = -(y - ou_mean(rest, x, target=m)) ** 2 / (2 * ou_var(rest))  # log h_y, up to a constant free of x
show(r"L_{h_y} = \log h_y(x, t)", latex(L_hy) + r" + \text{const}")
grad_y = sp.diff(L_hy, x)
show(r"\partial_x \log h_y", by_xym(grad_y))
general = (m - x) + 2 * lam * pi ** 2 * grad_y
show(r"f = (m - x) + 2\lambda\pi^2\,\partial_x \log h_y", by_xym(general))
assert zero(by_xym(grad_y) - grad_y) == 0 and zero(by_xym(general) - general) == 0
assert all(sp.diff(general, *v) == 0 for v in ((x, 2), (y, 2), (x, y)))  # affine in x and y
show(r"f\big|_{x = y = m}", sp.simplify(general.subs({x: m, y: m})))
assert sp.simplify(general.subs({x: m, y: m})) == 0
agree(r"\partial_x f", sp.diff(general, x), r"-\coth\bar\theta_{t:T}", -sp.coth(rest).rewrite(sp.exp))
agree(r"\partial_y f", sp.diff(general, y), r"\frac{1}{\sinh\bar\theta_{t:T}}", (1 / sp.sinh(rest)).rewrite(sp.exp))

# %% [markdown]
# So $f = -(x - m)\coth\bar\theta_{t:T} + (y - m)/\sinh\bar\theta_{t:T}$, `docs/theory.md` eq. 3.6, and with
# $m = y = \mu$ it is the bridge's drift $\coth(\bar\theta_{t:T})(\mu - x)$ per unit clock, as it must be (both
# asserted):

# %%
general_formula = -(x - m) * sp.coth(rest) + (y - m) / sp.sinh(rest)
agree("f", general, r"-(x - m)\coth\bar\theta_{t:T} + \frac{y - m}{\sinh\bar\theta_{t:T}}", general_formula)
assert zero(general_formula.subs({m: mu, y: mu}) - sp.coth(rest) * (mu - x)) == 0

# %% [markdown]
# ### Verification (may be skipped on a first reading)
#
# **$R_p = 0$ and $R_h = 0$.** The residuals (5) of the kernel's Fokker–Planck equation and (10) of $h$'s backward
# equation, each term sorted by powers of $x - k_\tau$ (respectively $x - \mu$), the terms of each power over one
# denominator; every power's sum is 0 (asserted):

# %%
Lx, Lxx = sp.diff(L_p, x), sp.diff(L_p, x, 2)
vanishes_by_powers("R_p", {r"\partial_\tau L_p": sp.diff(L_p, tau), "-1": sp.Integer(-1),
                           r"(\mu - x)\partial_x L_p": (mu - x) * Lx, r"-\lambda\pi^2\partial_{xx} L_p": -lam * pi ** 2 * Lxx,
                           r"-\lambda\pi^2(\partial_x L_p)^2": -lam * pi ** 2 * Lx ** 2},
                   x, kernel_mean, r"(x - k_\tau)", gens={tau: E_tau}, common_denominator=True)
Hx, Hxx = sp.diff(L_h_full, x), sp.diff(L_h_full, x, 2)
vanishes_by_powers("R_h", {r"\partial_u L_h": sp.diff(L_h_full, u), r"(\mu - x)\partial_x L_h": (mu - x) * Hx,
                           r"\lambda\pi^2\partial_{xx} L_h": lam * pi ** 2 * Hxx,
                           r"\lambda\pi^2(\partial_x L_h)^2": lam * pi ** 2 * Hx ** 2},
                   x, mu, r"(x - \mu)", absent_in_words=True, common_denominator=True)

# %% [markdown]
# **The `derivations` package agrees.** The package states the results of sections 1 and 2 independently. Each line
# below is one of them: the notebook's result minus the package's, asserted to be 0. The last line is the package's
# own check of the general drift (that $h_y$ solves its backward Kolmogorov equation and gives eq. 3.6).

# %%
def package_differences():
    """The notebook's results minus the derivations package's statements of them, by name."""
    from derivations import hbridge, ou  # noqa: PLC0415

    dM_pkg, dQ_pkg = (e.subs({ou.M: M, ou.V: Q}) for e in ou.moment_odes())
    mean_pkg = ou.mean_by_integrating_factor().subs({ou.tau: u, xs: mu + pi})  # started at x_0 = mu + pi
    return {"dM/dt (ou.moment_odes)": dM_ito - dM_pkg, "dQ/dt (ou.moment_odes)": dQ_ito - dQ_pkg,
            "M (ou.mean_by_integrating_factor, from x_0)": mean_if - mean_pkg,
            "d_x log h (hbridge.log_h)": sp.diff(L_h_full - hbridge.log_h(), x),
            "d_u log h (hbridge.log_h)": sp.diff(L_h_full - hbridge.log_h(), u),
            "bridge drift (hbridge.h_drift)": h_drift - hbridge.h_drift()}


for name, gap in package_differences().items():
    print(f"{name}: notebook - package = {zero(gap)}")
    assert zero(gap) == 0, name


def package_check(module, *checks):
    """Run the checks ``checks`` of ``derivations.<module>`` and print each residual (``mathshow.confirm``)."""
    from importlib import import_module  # noqa: PLC0415

    from rdbm_course.mathshow import confirm  # noqa: PLC0415

    confirm(import_module(f"derivations.{module}"), *checks)


package_check("hbridge", "check_general_target_drift")

# %% [markdown]
# **The picture of $h$.** Below, $h(x, t)$ for the degraded pixel of section 0 ($\pi = 0.8$, $\lambda = 0.05$,
# $\bar\theta_T = 2$), normalised to 1 in each column $t$ (its height grows towards $T$; only its shape in $x$
# matters for the drift, which depends on $\partial_x \log h$). Early on $h$ is broad: from almost anywhere a path
# can still reach $\mu$. Towards $T$ it narrows onto $\mu$. The white lines follow the conditioned drift
# $\theta_t\coth(\bar\theta_{t:T})(\mu - x)$; they run into $\mu$ ever more steeply as $\coth(\bar\theta_{t:T})
# \approx 1/\bar\theta_{t:T}$ grows. Red: five bridge paths of section 0; dotted: $\mu$.

# %%
PI_DEG, MU_DEG = float(x0[0] - mu_img[0]), float(mu_img[0])
t_grid = torch.linspace(0.0, 0.995, 200, dtype=torch.float64)
x_grid = torch.linspace(-1.0, 0.8, 181, dtype=torch.float64)
d_grid = sch.clock_to_end(t_grid)  # thbar_{t:T}
TT, XX = torch.meshgrid(t_grid, x_grid, indexing="xy")
DD = d_grid[None, :].expand_as(TT)
h_variance = LAM * (1 - torch.exp(-2 * DD)) * PI_DEG ** 2  # variance of x_T given x_t
h_cols = torch.exp(-(torch.exp(-DD) * (XX - MU_DEG)) ** 2 / (2 * h_variance))  # h / max_x h
theta_c = float(sch.theta(torch.tensor(0.5)))  # theta_t = 2 at every t
drift = theta_c / torch.tanh(DD) * (MU_DEG - XX)  # dx/dt of the bridge
assert abs(PI_DEG - 0.8) < 1e-12 and LAM == 0.05 and sch.u_T == 2.0  # the numbers the text states (float rounding)
fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
im = ax.pcolormesh(TT, XX, h_cols, cmap="viridis", shading="auto")
fig.colorbar(im, ax=ax, label=r"$h(x, t)$ / its column maximum (dimensionless)")
ax.streamplot(TT.numpy(), XX.numpy(), torch.ones_like(TT).numpy(), drift.numpy(), color="w", density=0.8,
              linewidth=0.6, arrowsize=0.7)
path_lines = ax.plot(ts, PATHS["bridge"][:, :5, 0], color="tab:red", lw=1.0)
path_lines[0].set_label("five bridge paths (section 0)")
ax.axhline(MU_DEG, color="k", ls=":", lw=1.2, label=r"$\mu$")
ax.set_xlim(0, 1)
ax.set_ylim(-1.0, 0.8)
ax.set_xlabel(TIME)
ax.set_ylabel(r"$x$, " + PIXEL)
ax.set_title(r"$h(x, t) = p(x_T = \mu \mid x_t = x)$ and the conditioned drift (white)", fontsize=11)
fig.legend(loc="outside lower center", ncol=2, fontsize=9)  # below the axes: no streamline is covered
plt.show()

# %% [markdown]
# ## 3. $\Theta_t$ and $\Sigma_t$ appear
#
# The bridge SDE (11) is linear with additive noise, so $x_t$ given $x_0$ is Gaussian. Write its mean and standard
# deviation as
#
# $$E[x_t\mid x_0] = \mu + \Theta_t\pi,\qquad \mathrm{std}[x_t\mid x_0] = \Sigma_t|\pi| . \tag{12}$$
#
# These two numbers per time are the **bridge coefficients** on which every later notebook rests. The figure
# estimates them from the bridge paths of section 0 (degraded pixel; 4000 paths in full mode) as
# $\hat\Theta_t = (\hat m_t - \mu)/\pi$ and $\hat\Sigma_t = \hat s_t/|\pi|$, with $\hat m_t$ and $\hat s_t$ the sample
# mean and standard deviation of $x_t$ over the paths. Top row: the estimates, the library's closed form
# `ResidualPath.coefficients(t)` (dashed; exercises 01.1 and 01.2 derive it) and the free process's coefficients of
# section 1 (green). Bottom row: the differences to the closed form.
#
# **How close must the estimates be?** Two errors separate them from the closed form.
#
# - *The step.* An Euler–Maruyama step maps $x$ to $a\,x + b$ plus Gaussian noise of variance
#   $2\lambda\,\Delta u\,\pi^2$, with $a$ and $b$ depending on the time only (the drift is affine in $x$). So the
#   scheme's own moments follow exactly, without sampling: mean $\mapsto a\cdot$mean $+ b$, variance
#   $\mapsto a^2\cdot$variance $+ 2\lambda\,\Delta u\,\pi^2$; per unit $\pi$ they are $\Theta^{\rm EM}_t$ and
#   $\Sigma^{\rm EM}_t$ (black in the bottom row). Their gap to the closed form is below $0.2\,\Delta u$ for $\Theta_t$ at
#   every time and for $\Sigma_t$ at every $t \le 0.9$, and it halves when the step is halved (printed, asserted): an
#   error of order $\Delta u$, so the closed form is the limit of the scheme. Near $T$, $\Sigma_t$ is itself of order
#   $\sqrt{\Delta u}$; the end is discussed below the figure.
# - *Monte Carlo.* Around the scheme's moments the sample mean has the standard error $\Sigma^{\rm EM}_t/\sqrt N$ per
#   unit $\pi$ ($N$ paths), and the sample standard deviation about $\Sigma^{\rm EM}_t/\sqrt{2N}$. At every time after
#   the start both estimates lie within 4.5 standard errors of the scheme's moments (the grey band; asserted). These
#   are at most 800 tests; however they are correlated, the chance that any one fails is at most
#   $800 \times 6.8\times10^{-6} < 0.6\,\%$ (a union bound, printed).

# %%
def coefficient_curves(steps):
    """At the times of an Euler-Maruyama grid of ``steps`` steps on [0, 1] (the schedule of section 0): the library's
    closed form (Theta_t, Sigma_t), and the exact mean and standard deviation, per unit pi, of the Euler-Maruyama
    scheme itself."""
    from rdbm_core.bridge.path import ResidualPath  # noqa: PLC0415

    bridge = ResidualPath(sch, LAM, noise="modulated", pinned=True)
    times = torch.linspace(0, 1, steps + 1, dtype=torch.float64)
    step_u = THBAR_T / steps  # the clock step
    Theta_lib, _, Sigma_lib = bridge.coefficients(times)
    one, nil = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    mean, var = [1.0], [0.0]  # x - mu per unit pi (mu = 0 here): x_0 - mu = 1, no variance at the start
    for t0 in times[:-1]:
        a = float(1 + (bridge.bridge_drift(one, nil, t0) - bridge.bridge_drift(nil, nil, t0)) * step_u)  # the slope
        mean.append(a * mean[-1])  # b = 0 when mu = 0: the step maps mu to mu
        var.append(a ** 2 * var[-1] + 2 * LAM * step_u)
    return Theta_lib, Sigma_lib, torch.tensor(mean, dtype=torch.float64), torch.tensor(var, dtype=torch.float64).sqrt()


def step_gap(steps):
    """The largest gaps between the scheme's exact moments and the closed form: Theta at every time, Sigma at the
    times t <= 0.9 (the interior), and Sigma before T with the step index where it is largest."""
    Theta_lib, Sigma_lib, Theta_em, Sigma_em = coefficient_curves(steps)
    interior = torch.linspace(0, 1, steps + 1, dtype=torch.float64) <= 0.9 + 1e-9
    sigma_gap = (Sigma_em - Sigma_lib).abs()
    return (float((Theta_em - Theta_lib).abs().max()), float(sigma_gap[interior].max()),
            float(sigma_gap[:-1].max()), int(sigma_gap[:-1].argmax()))


deg = PATHS["bridge"][:, :, 0]
Theta_hat = (deg.mean(1) - mu_img[0]) / PI_DEG
Sigma_hat = deg.std(1) / abs(PI_DEG)
Theta_lib, Sigma_lib, Theta_em, Sigma_em = coefficient_curves(n_steps)
se_Theta = Sigma_em / n_paths ** 0.5  # standard errors (0 at the start, where every path is at x_0)
se_Sigma = Sigma_em / (2 * n_paths) ** 0.5
u_t = sch.clock(ts)
free = (torch.exp(-u_t), (LAM * (1 - torch.exp(-2 * u_t))).sqrt())
fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True, layout="constrained")
for col, (name, hat_tex, hat, lib, em, se, free_curve, free_tex) in enumerate((
        (r"\Theta", r"\hat\Theta", Theta_hat, Theta_lib, Theta_em, se_Theta, free[0], r"$e^{-\bar\theta_t}$"),
        (r"\Sigma", r"\hat\Sigma", Sigma_hat, Sigma_lib, Sigma_em, se_Sigma, free[1],
         r"$\sqrt{\lambda(1 - e^{-2\bar\theta_t})}$"))):
    top, bottom = axes[0, col], axes[1, col]
    top.plot(ts, hat, lw=2.5, alpha=0.6, label=rf"bridge, simulated ${hat_tex}_t$")
    top.plot(ts, lib, "k--", lw=1, label="bridge, library (closed form)")
    top.plot(ts, free_curve, color="C2", label="free OU: " + free_tex)
    top.set_ylabel(rf"${name}_t$ (dimensionless)")
    top.legend(fontsize=9, loc="upper right" if col == 0 else "lower center")
    keep = slice(None) if col == 0 else slice(None, -1)  # Sigma: before T (its end is discussed below)
    bottom.fill_between(ts[keep], (em - lib - 4.5 * se)[keep], (em - lib + 4.5 * se)[keep], color="0.85",
                        label=r"scheme $\pm$ 4.5 standard errors")
    bottom.plot(ts[keep], (hat - lib)[keep], lw=0.8, label="simulated $-$ closed form")
    bottom.plot(ts[keep], (em - lib)[keep], "k", lw=1.2, label="scheme's exact moments $-$ closed form")
    bottom.axhline(0, color="0.5", lw=0.5)
    bottom.set_ylabel(rf"difference in ${name}_t$")
    bottom.set_xlabel(TIME)
    bottom.legend(fontsize=8, loc="lower left")
axes[0, 0].set_title(r"$\Theta_t$: weight of $\pi$ in the mean", fontsize=11)
axes[0, 1].set_title(r"$\Sigma_t$: standard deviation per unit $|\pi|$", fontsize=11)
axes[1, 0].set_title("differences to the closed form", fontsize=10)
axes[1, 1].set_title(r"differences to the closed form, $t < T$", fontsize=10)
plt.show()

z_Theta = float(((Theta_hat - Theta_em)[1:] / se_Theta[1:]).abs().max())  # the Monte Carlo error, in standard errors
z_Sigma = float(((Sigma_hat - Sigma_em)[1:] / se_Sigma[1:]).abs().max())
step_Theta, step_Sigma, end_Sigma, worst = step_gap(n_steps)
half_Theta, half_Sigma, half_end, _ = step_gap(2 * n_steps)  # the step halved
tail = math.erfc(4.5 / 2 ** 0.5)  # P(|Z| > 4.5) for one standard normal Z
union = 2 * n_steps * tail  # Theta and Sigma at each of the n_steps times after the start
print(f"{n_paths} paths, {n_steps} steps of Delta u = {delta_u}; Monte Carlo: at most {z_Theta:.1f} (Theta) and "
      f"{z_Sigma:.1f} (Sigma) standard errors; P(|Z| > 4.5) = {tail:.1e}, union bound over {2 * n_steps} tests "
      f"{100 * union:.2f} %")
print(f"scheme - closed form, largest: Theta {step_Theta:.5f} = {step_Theta / delta_u:.3f} Delta u (ratio "
      f"{half_Theta / step_Theta:.2f} when the step is halved); Sigma at t <= 0.9 {step_Sigma:.5f} = "
      f"{step_Sigma / delta_u:.3f} Delta u (ratio {half_Sigma / step_Sigma:.2f})")
print(f"Sigma before T: largest gap {end_Sigma:.4f} at step {worst} of {n_steps} (ratio {half_end / end_Sigma:.2f}); "
      f"at T: simulated {float(Sigma_hat[-1]):.4f}, the scheme's exact {float(Sigma_em[-1]):.4f}, "
      f"sqrt(2 lam Delta u) = {(2 * LAM * delta_u) ** 0.5:.4f}")
assert n_paths == (400 if FAST else 4000) and 2 * n_steps <= 800  # the text's 4000 paths, at most 800 tests
assert z_Theta < 4.5 and z_Sigma < 4.5  # Monte Carlo: within 4.5 standard errors of the scheme at every time
assert abs(tail - 6.8e-6) < 0.05e-6 and union < 0.006  # the text's numbers
# The step: below 0.2 Delta u, and of order Delta u (halved with the step; deterministic numbers, 0.02 leaves room
# for the next order of the expansion).
assert step_Theta < 0.2 * delta_u and step_Sigma < 0.2 * delta_u
assert abs(half_Theta / step_Theta - 0.5) < 0.02 and abs(half_Sigma / step_Sigma - 0.5) < 0.02
# Near T: the largest gap one step before T, of order sqrt(Delta u) (ratio 1/sqrt 2)
assert worst == n_steps - 1 and abs(half_end / end_Sigma - 2 ** -0.5) < 0.02
# At T the scheme's spread is one step's noise: the last step multiplies the distance to mu by
# a = 1 - coth(Delta u) Delta u, about -Delta u^2/3 (relative excess below 1e-6 here)
assert abs(float(Sigma_em[-1]) / (2 * LAM * delta_u) ** 0.5 - 1) < 1e-6
assert abs(float(Sigma_hat[-1] / Sigma_em[-1]) - 1) < 4 / (2 * n_paths) ** 0.5  # one number: 4 standard errors
# the closed form's ends: Theta = 1, Sigma = 0 at t = 0; Theta = 0, Sigma = 0 at T
assert float(Theta_lib[0]) == 1.0 and float(Sigma_lib[0]) == 0.0
assert float(Theta_lib[-1]) == 0.0 and float(Sigma_lib[-1]) == 0.0

# %% [markdown]
# Both coefficients vanish or reach 1 where they must: $\Theta = 1$, $\Sigma = 0$ at $t = 0$ (the clean image) and
# $\Theta = 0$, $\Sigma = 0$ at $T$ (exactly $\mu$) in the library's closed form. In between, $\Sigma_t$ rises like
# the free process's spread and is then squeezed back to 0 by the pin.
#
# **The end.** Between $t = 0.9$ and $T$ the scheme's gap in $\Sigma$ grows to its largest value one step before $T$,
# and it shrinks only by about $1/\sqrt2$ when the step is halved (printed, asserted): there $\Sigma_t$ itself is of
# order $\sqrt{\Delta u}$. At $T$ the simulated $\hat\Sigma$ is not 0 but one step's noise $\sqrt{2\lambda\,\Delta u}$
# (printed; asserted within 4 standard errors): the last step's drift puts every path back on $\mu$ up to a factor of
# about $-\Delta u^2/3$ of its distance, but the step still adds its own noise.
#
# ## 4. The discrete grid used from notebook 02a on
#
# The library and the paper work on a grid of integer times. RDBM's reference grid (`schedules.reference(100)`, the
# grid of `bridges.rdbm()`, $N = 100$; [`docs/theory.md` §10](../docs/theory.md#10-the-discrete-grid)) takes the
# cosine "betas" of improved DDPM, clamped at 0.999, as the rates $\theta_i$, $i = 0, \dots, 99$, and the clock
# $\bar\theta_i = \sum_{j \le i}\theta_j$.
#
# - **The virtual clean index $-1$.** Already $\bar\theta_0 = \theta_0 > 0$, so the clean point ($\bar\theta = 0$,
#   $x = x_0$) is not on the grid: it is the index $-1$.
# - **The last index** $t_T = 99$ is the grid's end time $T$, where the bridge is pinned to $\mu$ and
#   $\bar\theta_{t:T} = 0$.
# - **The final jump.** The clamp acts only at that last index (asserted below): the last step $98 \to 99$ is a jump
#   of $\theta_{99} = 0.999$ in the clock, 12.7 % of $\bar\theta_T$.
# - **No blow-up on the grid.** Because of this jump no other grid point lies close to $t_T$ in the clock: at index
#   98, $\bar\theta_{t:T} = 0.999$, and at every grid point before $t_T$ the bridge's drift factor
#   $\coth(\bar\theta_{t:T})$ is at most $\coth(0.999) = 1.31$. The blow-up near $T$ seen in section 2 is never
#   evaluated (eq. 10.4).
# - **Only the clock matters.** Per unit clock the bridge SDE (11) reads
#   $dx = \coth(\bar\theta_T - u)(\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$, with no $\theta$ in it, so the bridge
#   coefficients (12) depend on the schedule only through $\bar\theta_t$ and $\bar\theta_T$. On the grid, $\Theta_i$
#   and $\Sigma_i$ are the same functions of the clock (those that exercises 01.1 and 01.2 derive) at $\bar\theta_i$
#   and $\bar\theta_T$: the cell compares the library's grid coefficients with those of a continuous schedule that
#   passes through the same clock values (printed, asserted).
#
# The top panel shows the rates $\theta_i$ on a log scale, so that the small early ones are visible. The middle panel
# shows the clock $\bar\theta_i$: it starts at 0 at the virtual clean index $-1$ (red dot), rises slowly, and ends with
# the final jump $98 \to 99$ (arrow). The bottom panel
# shows how far the drift factor is above the free process's 1, $\coth(\bar\theta_{t:T}) - 1$, also on a log scale:
# $3.7\times10^{-4}$ at index 89, ten indices before $t_T$, and 0.31 at index 98.

# %%
rs = schedules.reference(100)  # RDBM's reference grid
idx = rs.times()  # -1 (virtual clean index), 0, ..., 99
theta_i = rs.theta  # theta_0 ... theta_99
clock_i = rs.clock(idx)
coth_i = 1 / torch.tanh(rs.clock_to_end(idx[:-1]))
fig, axes = plt.subplots(3, 1, figsize=(7.5, 9.5), sharex=True)
axes[0].semilogy(torch.arange(len(theta_i)), theta_i, marker=".", ms=3, color="C0")
axes[0].set_title(r"rates $\theta_i$ (cosine betas, clamped at 0.999; log scale)", fontsize=11)
axes[0].set_ylabel(r"$\theta_i$ (clock units per index)")
axes[0].annotate(f"last: {float(theta_i[-1]):.3f}", (len(theta_i) - 1, float(theta_i[-1])), xytext=(45, 0.3),
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
excess = dict(zip(idx[:-1].tolist(), (coth_i - 1).tolist()))  # coth - 1 by grid index
print(f"theta_99 = {float(theta_i[-1]):.3f} ({100 * ratio:.1f} % of the terminal clock {rs.u_T:.3f}); largest coth on "
      f"the grid = {float(coth_i.max()):.2f} at index {int(idx[:-1][coth_i.argmax()])}")
print(f"coth - 1: {excess[89]:.1e} at index 89, {excess[98]:.2f} at index 98")
# The numbers of the text, each to half a unit of the last digit it gives (its rounding):
assert abs(100 * ratio - 12.7) < 0.05
assert abs(float(coth_i.max()) - 1.31) < 0.005 and int(idx[:-1][coth_i.argmax()]) == 98
assert abs(excess[89] - 3.7e-4) < 0.05e-4 and abs(excess[98] - 0.31) < 0.005
# the clamp acts at the last index only (the last theta is 0.999 up to float64 rounding)
assert abs(float(theta_i[-1]) - 0.999) < 1e-12 and bool((theta_i[:-1] < 0.999 - 1e-3).all())
assert abs(float(rs.clock_to_end(idx[-2:-1])) - 0.999) < 1e-12 and int(idx[-2]) == 98  # thbar_{98:T} = theta_99
assert len(theta_i) == 100 and float(clock_i[1]) == float(theta_i[0]) > 0  # N = 100; thbar_0 = theta_0 > 0
assert float(clock_i[0]) == 0.0 and int(idx[0]) == -1  # the virtual clean index -1, where thbar = 0
assert int(idx[-1]) == rs.t_T == 99


def clock_only_gap(grid):
    """The largest difference between the bridge coefficients (Theta, Sigma) of ``grid`` at its integer times and
    those of the continuous schedule theta = u_T on [0, 1], at the times where its clock equals the grid's."""
    from rdbm_core.bridge.path import ResidualPath  # noqa: PLC0415

    same_clock = schedules.continuous_constant(grid.u_T, 1.0)  # clock u_T * s at time s
    times = grid.times()
    on_grid = ResidualPath(grid, LAM, noise="modulated", pinned=True).coefficients(times)
    continuous = ResidualPath(same_clock, LAM, noise="modulated", pinned=True).coefficients(grid.clock(times) / grid.u_T)
    return max(float((on_grid[k] - continuous[k]).abs().max()) for k in (0, 2))


print(f"grid coefficients - continuous ones at the same clock: largest {clock_only_gap(rs):.1e}")
assert clock_only_gap(rs) < 1e-12

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/01_ou_and_h_transform_solutions.ipynb`. The two *derive* exercises, 01.1 and
# 01.2, are graded on your **steps**: hand in a Python `dict` whose values are SymPy expressions, one per step (a
# final formula alone is refused); 01.3 may not call a path's coefficient methods (`path.coefficients` and the like).
# Use the symbols imported at the top of this notebook: `x`, `mu`, `pi`, `lam`, `u` $= \bar\theta_t$ and
# `c` $= \bar\theta_T$, and the symbols `M` and `Q` of section 1, the mean and the variance of $x_t$ given $x_0$: reuse these two, now for
# the bridge. (They are real, `real=True`; a fresh `sp.Symbol("M")` is a different symbol to SymPy, and mixing the two
# in one expression gives wrong steps.)
#
# **01.1 (derive, by the mean ODE).** Per unit clock the bridge SDE of section 2 is
# $dx = \coth(c - u)(\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$. Its mean $M = E[x_t\mid x_0]$ starts at
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
# **01.2 (derive, by the variance ODE).** A second route to the spread: the variance $Q = \mathrm{Var}[x_t\mid x_0]$
# under the bridge SDE per unit clock, $dx = \coth(c - u)(\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$, with $Q = 0$ at
# the clean end. Derive $\Sigma_t^2 = Q/\pi^2$ in three steps, with the symbol `Q` of section 1:
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
# shaped like `t` (the bridge coefficient $\Theta_t$ of (12), capital theta; not `schedule.theta`, which holds the
# rates $\theta_i$), for the integer times `t` of a discrete schedule, from the schedule's clock alone
# (`schedule.clock(t)`, `schedule.clock_to_end(t)`, `schedule.u_T`; not `path.coefficients`). It is checked on
# the RDBM grid and the GOUB grid (GOUB: the generalised OU bridge of Yue et al., `bridges.goub()`, on the IR-SDE grid; [`docs/theory.md`
# §10](../docs/theory.md#10-the-discrete-grid)), at every integer time from the virtual clean index $-1$ to the last
# index $t_T$ (where $\Theta = 0$), then on two more grids with constant $\theta$: one of a size not given here (do
# not hard-code $N$), and one with $\bar\theta_T = 1000$, where your function must still return finite float64 values. The RDBM schedule
# `rs` of section 4 is in scope, to try your function on.

# %%
answer_01_3 = ...  # a function theta_on_grid(schedule, t) -> tensor shaped like t
check("01.3", answer_01_3)
