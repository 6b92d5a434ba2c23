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
# **What you will learn.** How the mean-reverting (OU) SDE with *residual-modulated* noise is solved exactly
# (integrating factor, Itô isometry); how conditioning it to end at the degraded image (Doob's h-transform) gives
# the bridge's drift, with the residual's $\pi^2$ cancelling on the way; and how the two bridge coefficients, the
# weight of the residual in the mean and the spread per unit residual, appear. The table of section 0 defines each
# symbol.
#
# **Roadmap.** Section 0 shows the free process and the bridge as pictures. Section 1 solves the free process,
# section 2 conditions it on its end point, section 3 reads the bridge coefficients off simulated paths, and
# section 4 shows the discrete grid that exercise 01.3 needs. After the three exercises, section 5 states the closed
# form that the exercises derive and compares the simulation with it (optional). Appendix A holds second derivations
# and the Kolmogorov equations (optional), appendix B the checks that tie the text to the outputs.
#
# **Prerequisites.** Itô's formula and Gaussian densities. Every formula this notebook uses is stated in it;
# `docs/theory.md` is optional reading, and its §4 states the results of exercises 01.1 and 01.2: read it only after
# the exercises.
#
# The numbers in the text are those of the full run (4000 paths of 400 steps). `FAST=1` simulates 400 paths of 200
# steps: its printed numbers differ, and the checks of the quoted numbers are skipped.

# %%
import math
import os

import matplotlib.pyplot as plt
from matplotlib import patheffects
import sympy as sp
import torch

from derivations.common import c, complete_square, lam, mu, pi, readable, t, theta, u, x, xs, zero
from derivations.common import d as to_go  # the clock still to go, thbar_{t:T} = c - u
from derivations.family import ou_mean, ou_var
from rdbm_core.bridge import schedules
from rdbm_course import ou_lesson
from rdbm_course.mathshow import agree, latex, limit, positive_terms_first, show, vanishes, vanishes_by_powers

FAST = os.environ.get("FAST") == "1"
TIME = r"time $t$ (dimensionless, $T = 1$)"
PIXEL = r"pixel value ($[-1, 1]$ scale)"
# one colour per curve kind in every figure (Okabe-Ito, colour-blind safe)
DEGRADED, INTACT, FREE, SCHEME, SCHEME_HALF = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7"
positive_terms_first()  # SymPy prints x - mu, not -mu + x

# %% [markdown]
# ## 0. The picture first: a free OU process and a bridge
#
# Two pixels of an image, with $x_0$ the clean value of a pixel and $\mu$ its degraded value: a degraded pixel
# (residual $\pi = x_0 - \mu = 0.8$, blue) and an intact one ($\pi = 0$, orange), driven by the mean-reverting SDE whose noise is multiplied by the residual $\pi$. Left: the free process;
# it is pulled towards the degraded value $\mu$. Right: the same process *conditioned* to end at $\mu$, a bridge;
# every path is pinned to $\mu$ at the end time $T$. This notebook derives both pictures: section 1 solves the free
# process exactly, section 2 conditions it on its end point and finds the drift that pins the paths.
#
# The first cell simulates both processes (the loop is explained below the figure); the second draws 16 of the paths.

# %%
THBAR_T, LAM = 2.0, 0.05  # the clock at the end time T = 1 (theta_t = 2 on [0, 1]) and lambda
sch = schedules.continuous_constant(THBAR_T, 1.0)  # the schedule; sch.clock_to_end(t) is thbar_{t:T}
n_paths, n_steps = (400, 200) if FAST else (4000, 400)
delta_u = THBAR_T / n_steps  # the clock step of every Euler-Maruyama step
x0 = torch.tensor([0.6, 0.1], dtype=torch.float64)  # pixel 0 degraded, pixel 1 intact
mu_img = torch.tensor([-0.2, 0.1], dtype=torch.float64)
pi_img = x0 - mu_img  # the residuals, 0.8 and 0
PI_DEG, MU_DEG = float(pi_img[0]), float(mu_img[0])  # the degraded pixel's pi and mu
ts = torch.linspace(0, 1, n_steps + 1, dtype=torch.float64)


def simulate(pinned, generator):
    """Euler-Maruyama paths per unit clock, shaped [time, path, pixel]."""
    xk = x0.repeat(n_paths, 1)  # every path starts at x_0
    paths = [xk]
    for k in range(n_steps):
        left = float(sch.clock_to_end(ts[k]))  # thbar_{t:T} at the start of the step: at least delta_u
        factor = 1 / math.tanh(left) if pinned else 1.0  # coth(thbar_{t:T}) for the bridge, 1 for the free process
        z = torch.randn(xk.shape, generator=generator, dtype=torch.float64)
        xk = xk + factor * (mu_img - xk) * delta_u + math.sqrt(2 * LAM * delta_u) * pi_img * z
        paths.append(xk)
    return torch.stack(paths)


g = torch.Generator().manual_seed(0)
PATHS = {kind: simulate(kind == "bridge", g) for kind in ("free", "bridge")}

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 4.4), sharey=True, layout="constrained")
for ax, traj, title in zip(axes, PATHS.values(), ("free OU process", "OU bridge (pinned at T)")):
    drawn = ax.plot(ts, traj[:, :16, 0], color=DEGRADED, alpha=0.5, lw=0.8)
    drawn[0].set_label(r"degraded pixel, $\pi = 0.8$ (16 paths)")
    ax.plot(ts, traj[:, 0, 1], color=INTACT, lw=1.6, label=r"intact pixel, $x_0 = \mu = 0.1$ (all paths)")
    ax.axhline(MU_DEG, color="k", ls=":", lw=1, label=r"$\mu$ of the degraded pixel")
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(TIME)
axes[0].set_ylabel(r"$x_t$, " + PIXEL)
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9)
plt.show()
free_end = PATHS["free"][-1, :, 0] - MU_DEG  # x_T - mu of the free process, degraded pixel
free_se = float(free_end.std()) / n_paths ** 0.5  # the standard error of its mean
free_exact = math.exp(-THBAR_T) * PI_DEG  # e^(-thbar_T) pi, derived in section 1
print(f"free process at T, degraded pixel ({n_paths} paths): x_T - mu = {float(free_end.mean()):.3f} ± {free_se:.3f} "
      f"(mean ± one standard error), standard deviation {float(free_end.std()):.3f}")
print(f"exact mean e^(-thbar_T) pi = {free_exact:.3f}: "
      f"{(free_exact - float(free_end.mean())) / free_se:.1f} standard errors above the simulated one")

# %% [markdown]
# The free paths are pulled towards $\mu$ but do not reach it: at $T$ their mean is still above $\mu$ by
# 0.106 ± 0.003 (one standard error), with a spread of 0.176 around it. Section 1 derives the exact value,
# $e^{-\bar\theta_T}\pi = 0.108$; the difference, 0.8 standard errors, is Monte Carlo noise. The bridge's paths all
# end on $\mu$, to within the noise of one step (section 5). The intact pixel has no noise and stays at its own
# $\mu = x_0 = 0.1$ (orange line), free or pinned (section 2 says why; notebook 05 shows this on whole images).
#
# **Symbols** (the code's names in the last column; SymPy prints $u$ as $\bar\theta_t$ and `c` as $\bar\theta_T$):
#
# | symbol | meaning | code |
# |---|---|---|
# | $\pi = x_0 - \mu$ | the residual of a pixel (never the number 3.14…) | `pi` |
# | $\lambda$ | the stationary variance per unit $\pi^2$ (section 1) | `lam` |
# | $\theta_t > 0$; $\bar\theta_t = \int_0^t\theta_r\,dr$ | the rate; the clock, written $u$ where it is a variable | `theta`; `u` |
# | $\bar\theta_T$; $\bar\theta_{t:T} = \bar\theta_T - \bar\theta_t$ | the clock at the end time $T$; the clock still to go | `c`; `c - u` (sections 2 and A: the symbol `to_go`) |
# | $\theta_i$; $\Theta_t$, $\Sigma_t$ | on a grid (section 4), the rate of index $i$ in clock units per index; the bridge coefficients (section 3, capital theta) | `schedule.theta`; — |
#
# **The simulation.** Both pictures come from the loop of the first cell. It works per unit of the clock (section 1
# shows why that is allowed), with $\bar\theta_T = 2$ and $\lambda = 0.05$. Each step of clock length
# $\Delta u = \bar\theta_T/400 = 0.005$ (full mode) moves $x$ by its drift times $\Delta u$, plus Gaussian noise of
# variance $2\lambda\,\Delta u\,\pi^2$:
#
# - the drift per unit clock is $\mu - x$ for the free process (section 1 derives it) and
#   $\coth(\bar\theta_{t:T})(\mu - x)$ for the bridge (section 2 derives it);
# - the bridge's drift is evaluated at the start of each step, where the clock still to go is at least $\Delta u$,
#   so $\coth$ stays finite;
# - the noise is multiplied by $\pi$, so the intact pixel gets none.

# %% [markdown]
# ## 1. The forward SDE, in the clock
#
# The forward SDE of a pixel is
#
# $$dx_t = \theta_t(\mu - x_t)\,dt + g_t\,dw_t,\qquad g_t = \sqrt{2\lambda\theta_t}\,\pi,\qquad \pi = x_0 - \mu,
# \tag{1}$$
#
# with $w_t$ a Brownian motion and $g_t^2 = 2\lambda\theta_t\pi^2$ the squared diffusion coefficient per unit time.
# Write $u = \bar\theta_t = \int_0^t\theta_r\,dr$ for the clock ($du = \theta_t\,dt$) and
#
# $$W_{\bar\theta_t} = \int_0^t\sqrt{\theta_r}\,dw_r .$$
#
# - With $\theta_r > 0$ the clock is strictly increasing, so $t$ is a function of $u$ and $W_u$ is defined for every
#   $u$. It is a continuous martingale with quadratic variation $\int_0^t\theta_r\,dr = u$, hence a Brownian motion in
#   the clock (Lévy's characterisation).
# - Since $\sqrt{\theta_t}\,dw_t = dW_u$, the SDE becomes autonomous: it no longer depends on the time itself,
#
# $$dx = (\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u . \tag{2}$$
#
# - So the process depends on the schedule $\theta_t$ only through the clock: every result below is a function of
#   $\bar\theta_t$ (and later of $\bar\theta_T$).
#
# Write $\tilde M = E[x_t\mid x_0]$ and $\tilde Q = \mathrm{Var}[x_t\mid x_0]$ for the mean and the variance of the
# free process given the clean start. The tilde marks the free process; the exercises write $M$ and $Q$ for the
# bridge's.
#
# **Itô's formula for $x^2$.** Over a short time $dt$ the state moves by $dx = \theta_t(\mu - x)\,dt + g_t\,dw$, and
# $d(x^2) = (x + dx)^2 - x^2 = 2x\,dx + (dx)^2$. Unlike in ordinary calculus, $(dx)^2$ is not negligible: the
# Brownian increment $dw$ has mean 0 and variance $dt$, so $dw^2$ is of order $dt$ (Itô's rule $dw^2 = dt$), while
# $dt^2$ and $dt\,dw$ are of higher order and dropped.
#
# In the cell, `ito` applies these three rules to a polynomial in $dt$ and $dw$, and `show` displays an equation, one
# step per line (`ou_lesson.differentials_tex` writes the differentials last). The first display sorts $(dx)^2$ by
# $dt^2$, $dt\,dw$ and $dw^2$ before applying the rules.

# %%
dt, dw = sp.symbols("dt dw")  # the differentials: a time step and its Brownian increment
g_sym = sp.Symbol("g_t", real=True)  # g_t as one letter; it has the sign of pi
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


g_t = sp.sqrt(2 * lam * theta) * pi  # g_t of (1): sqrt(2 lam theta_t) times pi
g2_t = 2 * lam * theta * pi ** 2  # g_t^2, per unit time
dx_ = theta * (mu - x) * dt + g_sym * dw


def in_dt_dw(expr):
    return ou_lesson.differentials_tex(expr, dt, dw)  # the LaTeX of expr with dt and dw written last


show(r"(dx)^2", in_dt_dw(dx_ ** 2), in_dt_dw(ito(dx_ ** 2, dt, dw)) + ITO_RULES,
     in_dt_dw(ito(dx_ ** 2, dt, dw).subs(g_sym, g_t)))
d_x2 = ito((x + dx_) ** 2 - x ** 2, dt, dw)
show(r"d(x^2) = (x + dx)^2 - x^2", in_dt_dw(d_x2) + ITO_RULES)

# %% [markdown]
# Averaging, $E[x\,dw] = 0$ (the increment $dw$ is independent of the current $x$), $E[x] = \tilde M$ and
# $E[x^2] = \tilde Q + \tilde M^2$; dividing by $dt$ gives the moment ODEs. The mean's is the expectation of the
# drift; the variance's is $d\tilde Q/dt = d\,E[x^2]/dt - 2\tilde M\,d\tilde M/dt$, with $g_t^2 = 2\lambda\theta_t\pi^2$.
# Each line is computed from the one before it:

# %%
M_free, Q_free = sp.symbols(r"\tilde{M} \tilde{Q}", real=True)  # the free process's mean and variance given x_0
E2 = sp.Symbol("E[x^{2}]", real=True)
dM_ito = (theta * (mu - x)).subs(x, M_free)  # E[dx] / dt: the drift is affine in x, so E of it is the drift at M
show(r"\frac{d\tilde M}{dt}", r"E\big[" + latex(theta * (mu - x)) + r"\big]", dM_ito)
drift_part = sp.expand(d_x2.coeff(dt).subs(g_sym, g_t))  # the dt part of d(x^2); its dw part averages to 0
dE2_ito = drift_part.subs(x ** 2, E2).subs(x, M_free)  # E[x^2] for x^2, then M for x
show(r"\frac{d\,E[x^2]}{dt}", r"E\big[" + latex(drift_part) + r"\big]", dE2_ito)
dQ_ito = sp.expand((dE2_ito - 2 * M_free * dM_ito).subs(E2, Q_free + M_free ** 2))
show(r"\frac{d\tilde Q}{dt} = \frac{d\,E[x^2]}{dt} - 2\tilde M\frac{d\tilde M}{dt}",
     sp.expand(dE2_ito - 2 * M_free * dM_ito),
     latex(sp.collect(dQ_ito, theta)) + r"\quad(E[x^2] = \tilde Q + \tilde M^2)")

# %% [markdown]
# **Integrating factors.** Divided by $\theta_t = du/dt$, the two ODEs are of the forms $dM/du = a(u)(\mu - M)$ and
# $dQ/du = -2a(u)\,Q + b$, with $a = 1$ and $b = 2\lambda\pi^2$. For any $a(u)$, the factor $I = \exp\int a\,du$
# (so $I' = aI$) makes $\frac{d}{du}\big(I(M - \mu)\big) = I'(M - \mu) + I\,a(\mu - M) = 0$, and
# $I = \exp\int 2a\,du$ gives $\frac{d}{du}(IQ) = I\,b$. Here $I = e^{u}$; the exercises need an $a$ that varies
# with $u$.
#
# **The mean.** In the clock $d\tilde M/du = \mu - \tilde M$, from $\tilde M = x_0 = \mu + \pi$ at $u = 0$, so
# $e^{u}(\tilde M - \mu)$ stays equal to its start value $\pi$. SymPy solves that for $\tilde M$ (the displays print
# $u$ as $\bar\theta_t$). The variance comes more directly from Itô's isometry, below (appendix A solves its ODE):

# %%
M_of = sp.Function(r"\tilde{M}")(u)
if_step = sp.diff(sp.exp(u) * (M_of - mu), u)
show(r"\frac{d}{d\bar\theta_t}\big(e^{\bar\theta_t}(\tilde M - \mu)\big)", if_step,
     latex(sp.simplify(if_step.subs(sp.Derivative(M_of, u), mu - M_of)))
     + r"\quad\text{(with } d\tilde M/d\bar\theta_t = \mu - \tilde M)")
constant_product = sp.Eq(sp.exp(u) * (M_free - mu), pi)
(mean_if,) = sp.solve(constant_product, M_free)
show(latex(constant_product) + r"\ \Rightarrow\ \tilde M", mean_if)

# %% [markdown]
# **Variance by Itô's isometry.** The same integrating factor applied to the state itself: in the clock,
# $dx = (\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW$, and the change of $e^{u}(x - \mu)$ has three terms:
#
# - the factor's change times the distance, $e^{u}du\,(x - \mu)$;
# - the factor times the state's change, $e^{u}dx$;
# - the product of the two changes, $e^{u}du\,dx$, which is 0 by Itô's rules ($du^2 = du\,dW = 0$: the factor
#   $e^{u}$ has no noise of its own).
#
# The first line below is this product rule, typed; SymPy expands each term (second line), applies the rules with
# `ito` (third) and adds the terms (fourth):

# %%
du_, dW = sp.symbols(r"du dW")  # the clock's differential and its Brownian increment
e_u = sp.Symbol("e^{u}", positive=True)  # the integrating factor, one symbol for the display
dx_clock = (mu - x) * du_ + sp.sqrt(2 * lam) * pi * dW
terms = (e_u * du_ * (x - mu), e_u * dx_clock, e_u * du_ * dx_clock)  # factor's change, state's change, product
product = ito(sum(terms), du_, dW)


def in_du_dw(expr):
    return ou_lesson.differentials_tex(expr, du_, dW)  # the LaTeX of expr with du and dW written last


show(r"d\big(e^{u}(x - \mu)\big)", r"e^{u}du\,(x - \mu) + e^{u}dx + e^{u}du\,dx",
     " + ".join(r"\big[" + in_du_dw(term) + r"\big]" for term in terms),
     " + ".join(r"\big[" + in_du_dw(ito(term, du_, dW)) + r"\big]" for term in terms) + r"\quad(du^2 = du\,dW = 0)",
     in_du_dw(product))

# %% [markdown]
# The drift has cancelled: $e^{u}(x - \mu)$ changes only by noise. Integrating from $0$ to $u$ (with $r$ the
# integration variable) and multiplying by $e^{-u}$ gives
#
# $$x_t - \mu = e^{-u}\pi + \sqrt{2\lambda}\,\pi\int_0^{u} e^{-(u-r)}\,dW_r . \tag{3}$$
#
# The first term is fixed given $x_0$: it is $\tilde M - \mu$, as above. The variance of the stochastic integral is
# the integral of its squared integrand (Itô's isometry). Below, the first display ends with $\tilde Q$; the second,
# shown and asserted by `limit`, is its limit as the clock grows:

# %%
r = sp.Symbol("r", positive=True)  # the integration variable
integrand = (sp.exp(-(u - r)) * sp.sqrt(2 * lam) * pi) ** 2
var_ito = sp.integrate(integrand, (r, 0, u))
show(r"\tilde Q", sp.Integral(integrand, (r, 0, u)), sp.expand(var_ito))
limit(var_ito, u, sp.oo, lam * pi ** 2, lhs=r"\lim_{\bar\theta_t\to\infty} \tilde Q")

# %% [markdown]
# The variance tends to $\lambda\pi^2$, so $\lambda$ is the *stationary* variance per unit $\pi^2$ (a variance, not a
# standard deviation).
#
# **The transition kernel.** The clock SDE (2) does not contain $u$ itself. So the process started at a state $x_s$
# at an earlier time $s$ moves over the clock lag $\tau = \bar\theta_{s:t} = \bar\theta_t - \bar\theta_s$ as the
# process above moves over $u$, with $x_s$ in the place of $x_0$ in the mean. The noise factor $\pi$ stays the
# residual $x_0 - \mu$: it belongs to the image pair, not to the state. The kernel is Gaussian:
#
# $$p(x_t\mid x_s) = \mathcal N(k_\tau, v_\tau),\qquad k_\tau = \mu + e^{-\tau}(x_s - \mu),\qquad
# v_\tau = \lambda(1 - e^{-2\tau})\pi^2, \tag{4}$$
#
# with $k_\tau = E[x_t\mid x_s]$ and $v_\tau = \mathrm{Var}[x_t\mid x_s]$ its mean and variance, functions of the lag.
# In code they are `ou_mean(tau, xs)` and `ou_var(tau)` (from the package `derivations`), shown here; section 2 uses
# them from $x_t = x$ over the clock still to go, the lag $\bar\theta_{t:T}$.

# %%
tau = sp.Symbol("tau", positive=True)  # a clock lag thbar_{s:t}
show(r"k_\tau", ou_mean(tau, xs))
show(r"v_\tau", ou_var(tau))

# %% [markdown]
# ## 2. Doob's h-transform: conditioning on $x_T = \mu$
#
# How likely is a path now at $x$ to end at $\mu$? That is
#
# $$h(x, t) = p(x_T = \mu \mid x_t = x), \tag{5}$$
#
# the kernel (4) from $x$ over the clock still to go $\bar\theta_{t:T}$, evaluated at the end point $\mu$: a Gaussian
# in $\mu$ with mean $k_{\bar\theta_{t:T}} = \mu + e^{-\bar\theta_{t:T}}(x - \mu)$ and variance
# $v_{\bar\theta_{t:T}} = \lambda(1 - e^{-2\bar\theta_{t:T}})\pi^2$.
#
# **The picture of $h$.** Below, $h(x, t)$ for the degraded pixel of section 0 ($\pi = 0.8$, $\lambda = 0.05$,
# $\bar\theta_T = 2$), normalised to 1 in each column $t$. Its height grows towards $T$; only its shape in $x$
# matters for the drift, which depends on $\partial_x \log h$.
#
# - Early on $h$ is broad: from almost anywhere a path can still reach $\mu$. Towards $T$ it narrows onto $\mu$.
# - The dark grey lines follow the conditioned drift that this section derives, $\theta_t\coth(\bar\theta_{t:T})
#   (\mu - x)$ in (9): it points up the slope of $h$, towards $\mu$, and ever more steeply as $T$ approaches.
# - Blue (edged in white): five bridge paths of section 0; dotted: $\mu$.

# %%
t_grid = torch.linspace(0.0, 0.995, 200, dtype=torch.float64)
x_grid = torch.linspace(-1.0, 0.8, 181, dtype=torch.float64)
TT, XX = torch.meshgrid(t_grid, x_grid, indexing="xy")
TO_GO = sch.clock_to_end(t_grid)[None, :].expand_as(TT)  # thbar_{t:T} at every point of the picture
h_variance = LAM * (1 - torch.exp(-2 * TO_GO)) * PI_DEG ** 2  # v: the variance of x_T given x_t
h_cols = torch.exp(-(torch.exp(-TO_GO) * (XX - MU_DEG)) ** 2 / (2 * h_variance))  # h / its maximum over x
drift = float(sch.theta(torch.tensor(0.5))) / torch.tanh(TO_GO) * (MU_DEG - XX)  # dx/dt of the bridge, theta_t = 2

fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
im = ax.pcolormesh(TT, XX, h_cols, cmap="viridis", shading="auto", alpha=0.55)  # light: the lines stay visible
fig.colorbar(im, ax=ax, label=r"$h(x, t)$ / its column maximum (dimensionless)")
ax.streamplot(TT.numpy(), XX.numpy(), torch.ones_like(TT).numpy(), drift.numpy(), color="0.2", density=0.8,
              linewidth=0.7, arrowsize=0.8)
path_lines = ax.plot(ts, PATHS["bridge"][:, :5, 0], color=DEGRADED, lw=1.0,
                     path_effects=[patheffects.withStroke(linewidth=2.2, foreground="w")])  # white edge: visible
path_lines[0].set_label("five bridge paths (section 0)")
ax.axhline(MU_DEG, color="k", ls=":", lw=1.2, label=r"$\mu$")
ax.plot([], [], color="0.2", lw=0.7, label="conditioned drift (streamlines)")
ax.set_xlim(0, 1)
ax.set_ylim(-1.0, 0.8)
ax.set_xlabel(TIME)
ax.set_ylabel(r"$x$, " + PIXEL)
ax.set_title(r"$h(x, t) = p(x_T = \mu \mid x_t = x)$ and the conditioned drift", fontsize=11)
fig.legend(loc="outside lower center", ncol=3, fontsize=9)  # below the axes: no streamline is covered
plt.show()

# %% [markdown]
# **Why conditioning adds $g_t^2\,\partial_x\log h$ to the drift: one Euler step.** Take one step of length $\Delta t$
# from $x$. Free, the next state $x'$ is Gaussian, with mean $x + b\,\Delta t$ (the free drift
# $b = \theta_t(\mu - x)$) and variance $g_t^2\Delta t$. Conditioned on $x_T = \mu$, Bayes' rule and the Markov property
# weigh each $x'$ by how likely it is to end at $\mu$:
#
# $$p(x'\mid x, x_T = \mu) = p(x'\mid x)\,\frac{h(x', t + \Delta t)}{h(x, t)} .$$
#
# Over one step $x' - x$ is small (of order $\sqrt{\Delta t}$), so to first order
# $\log h(x', t + \Delta t) = \log h(x, t + \Delta t) + \ell\,(x' - x)$, with $\ell = \partial_x\log h$ the gradient
# of $\log h$. The factor $e^{\ell(x' - x)}$ tilts the Gaussian step. Completing the square in $x'$ (the first two
# lines below) shifts its mean by $g_t^2\,\ell\,\Delta t$ and leaves its variance as it was. The second-order term of
# $\log h$, $-\kappa(x' - x)^2/2$ with $\kappa = -\partial_{xx}\log h$, changes the variance only at order
# $\Delta t^2$ (last line), which vanishes per unit time as $\Delta t \to 0$.

# %%
x_next, b, ell1 = sp.symbols(r"x' b \ell", real=True)  # the next state, the free drift at x, the gradient of log h
Dt, g_step, kappa = sp.symbols(r"\Delta{t} g_t \kappa", positive=True)  # the step, g_t, -d_xx log h
log_step = -(x_next - x - b * Dt) ** 2 / (2 * g_step ** 2 * Dt)  # log p(x' | x), up to a constant
step_mean, step_var = complete_square(log_step + ell1 * (x_next - x), x_next)
show(r"E[x'\mid x, x_T = \mu]", latex(x) + " + " + latex(sp.collect(sp.expand(step_mean - x), Dt)))
show(r"\mathrm{Var}[x'\mid x, x_T = \mu]", step_var)
_, var_curved = complete_square(log_step + ell1 * (x_next - x) - kappa * (x_next - x) ** 2 / 2, x_next)
show(r"\mathrm{Var}[x'\mid x, x_T = \mu]\ \text{(with the term } -\kappa(x' - x)^2/2)", sp.factor(var_curved),
     latex(sp.series(var_curved, Dt, 0, 3).removeO()) + r" + O(\Delta t^3)")

# %% [markdown]
# So per unit time the conditioned process has the drift $b + g_t^2\,\partial_x\log h$ and the same noise:
#
# $$dx_t = \big[\theta_t(\mu - x_t) + g_t^2\,\partial_x\log h(x_t, t)\big]\,dt + g_t\,dw_t,\qquad
# g_t^2 = 2\lambda\theta_t\pi^2 . \tag{6}$$
#
# **The same, exactly (optional).** The Euler step above is the intuition; the rigorous version works with
# generators. By the ratio $h(x', t')/h(x, t)$, the conditioned process acts on a test function $\varphi(x, t)$
# through the space-time generator $h^{-1}(\partial_t + \mathcal A_t)(h\varphi)$, where $\mathcal A_t = \theta_t(\mu - x)\partial_x +
# \tfrac12 g_t^2\partial_{xx}$ is the free process's generator. The product rule gives
#
# $$\frac{(\partial_t + \mathcal A_t)(h\varphi)}{h} = (\partial_t + \mathcal A_t)\varphi
# + g_t^2\,\partial_x\log h\;\partial_x\varphi + \varphi\,\frac{(\partial_t + \mathcal A_t)h}{h} . \tag{7}$$
#
# The last term is 0 because $h$ solves the backward Kolmogorov equation
#
# $$\partial_t h + \mathcal A_t h = 0\qquad\text{on } [0, T) . \tag{8}$$
#
# Why (8) holds: $h(x_t, t)$ is the conditional density of $x_T$ at $\mu$ given the path up to $t$. By the tower
# property $E[h(x_{t'}, t')\mid x_t] = h(x_t, t)$ for $t < t' < T$, so $h(x_t, t)$ is a martingale under the free
# process. A smooth function of $(x, t)$ whose process is a martingale is killed by $\partial_t + \mathcal A_t$: by
# Itô's formula its $dt$ part must vanish. (At $T$ itself $h$ is a delta.) What is left of (7) is the generator of a
# diffusion with the drift of (6) and the noise $g_t\,dw_t$. Appendix A verifies (8) for this $h$ with SymPy, and
# appendix B asserts the product rule (7) for any $h$ and $\varphi$.
#
# **The drift, step by step:** $\log h$ (up to a constant free of $x$), its gradient, and the gradient times $g_t^2$.
# `readable` writes each result as one factored fraction.

# %%
h_var = ou_var(to_go)  # v = Var[x_T | x_t = x], the kernel's variance over the lag thbar_{t:T}
L_h = -(mu - ou_mean(to_go, x)) ** 2 / (2 * h_var)  # L_h = log h, up to a constant free of x
show(r"L_h = \log h(x, t)", latex(L_h) + r" + \text{const}")
grad = sp.diff(L_h, x)
show(r"\partial_x \log h", readable(grad))
g2_grad = g2_t * grad
show(r"g_t^2\,\partial_x \log h = 2\lambda\theta_t\pi^2\,\partial_x \log h", readable(g2_grad))

# %% [markdown]
# The $\pi^2$ of $g_t^2$ meets the $\pi^2$ of the kernel's variance and cancels: the last line has no $\pi$ and no
# $\lambda$ left (asserted in appendix B), so the added drift does not depend on $\pi$ at all.
#
# - At an intact pixel ($\pi = 0$) $h$ itself is degenerate (its variance is 0), but this $\pi$-free drift extends
#   to it continuously. There the noise is 0 because $\pi = 0$, and the drift is 0 at $x = \mu$, so $x$ stays at
#   $x_0 = \mu$ (appendix B checks that the simulated intact pixel never moves).
# - Adding the free drift $\theta_t(\mu - x)$, the factor in front of $\theta_t(\mu - x)$ is
#   $1 + 2e^{-2\bar\theta_{t:T}}/(1 - e^{-2\bar\theta_{t:T}})$, and that is $\coth\bar\theta_{t:T}$.
#
# Below, `agree` reduces each side to one fraction in $D = e^{\bar\theta_{t:T}}$, displays both, and asserts that
# they are the same:

# %%
coth_factor = 1 + 2 * sp.exp(-2 * to_go) / (1 - sp.exp(-2 * to_go))
FACTOR_TEX = r"1 + \frac{2e^{-2\bar\theta_{t:T}}}{1 - e^{-2\bar\theta_{t:T}}}"
agree(FACTOR_TEX, coth_factor, r"\coth\bar\theta_{t:T}", sp.coth(to_go).rewrite(sp.exp))
h_drift = theta * (mu - x) + g2_grad
agree(r"\theta_t(\mu - x) + g_t^2\partial_x\log h", h_drift, r"\theta_t \coth(\bar\theta_{t:T})(\mu - x)",
      theta * sp.coth(to_go) * (mu - x))

# %% [markdown]
# So the bridge SDE is
#
# $$dx_t = \theta_t\coth(\bar\theta_{t:T})(\mu - x_t)\,dt + \sqrt{2\lambda\theta_t}\,\pi\,dw_t . \tag{9}$$
#
# Near $T$, $\coth(\bar\theta_{t:T}) \approx 1/\bar\theta_{t:T}$ grows without bound and pulls every path into $\mu$:
# the steepening lines of the picture of $h$. Per unit clock it is the drift $\coth(\bar\theta_{t:T})(\mu - x)$ of
# section 0's loop. (Notebook 02c, appendix B, repeats the construction for a general target and end point, the form
# DDBM-VP uses.)

# %% [markdown]
# ## 3. $\Theta_t$ and $\Sigma_t$ appear
#
# The bridge SDE (9) is linear with additive noise, so $x_t$ given $x_0$ is Gaussian. Write its mean and standard
# deviation as
#
# $$E[x_t\mid x_0] = \mu + \Theta_t\pi,\qquad \mathrm{std}[x_t\mid x_0] = \Sigma_t|\pi| . \tag{10}$$
#
# These two numbers per time are the **bridge coefficients** on which every later notebook rests; exercises 01.1 and
# 01.2 derive them. Here they are estimated from the $n_{\rm paths} = 4000$ bridge paths of section 0 (degraded
# pixel) as $\hat\Theta_t = (\bar x_t - \mu)/\pi$ and $\hat\Sigma_t = \hat\sigma_t/|\pi|$, with $\bar x_t$ and
# $\hat\sigma_t$ the sample mean and the sample standard deviation of $x_t$ over the paths. Green: the free process's
# coefficients of section 1, $e^{-\bar\theta_t}$ and $\sqrt{\lambda(1 - e^{-2\bar\theta_t})}$, for comparison. The
# printed numbers carry one standard error: $\hat\Sigma_t/\sqrt{n_{\rm paths}}$ for $\hat\Theta_t$ and about
# $\hat\Sigma_t/\sqrt{2n_{\rm paths}}$ for $\hat\Sigma_t$.

# %%
bridge_deg = PATHS["bridge"][:, :, 0]  # the degraded pixel's bridge paths, [time, path]
Theta_hat = (bridge_deg.mean(1) - MU_DEG) / PI_DEG
Sigma_hat = bridge_deg.std(1) / abs(PI_DEG)
se_hat = {"Theta": Sigma_hat / n_paths ** 0.5, "Sigma": Sigma_hat / (2 * n_paths) ** 0.5}  # one standard error
u_t = sch.clock(ts)
free_coefficients = (torch.exp(-u_t), (LAM * (1 - torch.exp(-2 * u_t))).sqrt())

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True, layout="constrained")
for ax, name, hat, free_curve, free_tex in (
        (axes[0], r"\Theta", Theta_hat, free_coefficients[0], r"$e^{-\bar\theta_t}$"),
        (axes[1], r"\Sigma", Sigma_hat, free_coefficients[1], r"$\sqrt{\lambda(1 - e^{-2\bar\theta_t})}$")):
    ax.plot(ts, hat, color=DEGRADED, lw=2, label=rf"bridge, simulated $\hat{name}_t$")
    ax.plot(ts, free_curve, color=FREE, lw=1.5, label="free OU: " + free_tex)
    ax.set_ylabel(rf"${name}_t$ (dimensionless)")
    ax.set_xlabel(TIME)
    ax.legend(fontsize=9, loc="upper right" if name == r"\Theta" else "lower center")
axes[0].set_title(r"$\Theta_t$: weight of $\pi$ in the mean", fontsize=11)
axes[1].set_title(r"$\Sigma_t$: standard deviation per unit $|\pi|$", fontsize=11)
plt.show()
half = n_steps // 2  # t = 0.5
for k, when in ((half, "t = 0.5"), (n_steps, "T")):
    print(f"at {when}: Theta_hat {float(Theta_hat[k]):.4f} ± {float(se_hat['Theta'][k]):.4f} "
          f"(free {float(free_coefficients[0][k]):.3f}), Sigma_hat {float(Sigma_hat[k]):.4f} ± "
          f"{float(se_hat['Sigma'][k]):.4f} (free {float(free_coefficients[1][k]):.3f})")

# %% [markdown]
# - $\hat\Theta_t$ starts at 1 (every path starts at $x_0 = \mu + \pi$) and falls to 0 at $T$ (printed:
#   0.0002 ± 0.0004), where the free process still keeps $e^{-2} = 0.135$ of the residual. Away from the start it lies
#   below the free curve: at $t = 0.5$, 0.3259 ± 0.0031 against 0.368, more than ten standard errors apart.
# - $\hat\Sigma_t$ starts at 0 and rises like the free process's spread, a little below it at $t = 0.5$
#   (0.1956 ± 0.0022 against 0.208, more than five standard errors apart). Then the pin squeezes it back: 0.0226 ± 0.0003
#   at $T$ against the free 0.222. It is not 0 at $T$ because the simulation takes steps of finite length (section 5).

# %% [markdown]
# ## 4. The discrete grid used from notebook 02a on (needed for exercise 01.3)
#
# The library and the paper work on a grid of indices $i$. RDBM's reference grid (`schedules.reference(100)`,
# $N = 100$ indices) takes the cosine "betas" of improved DDPM, clamped at 0.999, as the rates $\theta_i$,
# $i = 0, \dots, 99$, and the clock $\bar\theta_i = \sum_{j \le i}\theta_j$. At an index $i$ (the library calls it
# an integer time), a schedule object gives the clock $\bar\theta_i$ as `schedule.clock(i)`, the clock still to go
# $\bar\theta_{i:T} = \bar\theta_T - \bar\theta_i$ as `schedule.clock_to_end(i)`, and $\bar\theta_T$ as
# `schedule.u_T`.
#
# - **The virtual clean index $-1$.** Already $\bar\theta_0 = \theta_0 > 0$, so the clean point ($\bar\theta = 0$,
#   $x = x_0$) is not on the grid: it is the index $-1$.
# - **The last index** $i_T = 99$ (`schedule.t_T`) is the end time $T$, where the bridge is pinned to $\mu$ and
#   $\bar\theta_{i_T:T} = 0$.
# - **Only the clock matters.** Divided by $\theta_t$, the bridge SDE (9) has no $\theta_t$ left (as (2) for the
#   free process), so the bridge coefficients depend on the schedule only through the clock: on the grid, $\Theta$ and
#   $\Sigma$ at index $i$ are the continuous ones at the clock values $\bar\theta_i$ and $\bar\theta_T$.
#
# Top: the rates $\theta_i$ on a log scale, so that the small early ones are visible. Bottom: the clock
# $\bar\theta_i$, from 0 at the virtual clean index $-1$ (red dot) to $\bar\theta_T$; the last step, from
# $\bar\theta_{98}$ (dashed) to $\bar\theta_T$, is marked.

# %%
rs = schedules.reference(100)  # RDBM's reference grid
idx = rs.times()  # -1 (virtual clean index), 0, ..., 99
theta_i, clock_i = rs.theta, rs.clock(idx)  # theta_0 ... theta_99; the clock at -1, 0, ..., 99
coth_i = 1 / torch.tanh(rs.clock_to_end(idx[:-1]))  # the bridge's drift factor coth(thbar_{i:T}) before i_T
unclamped_last = float(schedules.cosine_betas(100, max_beta=1.0)[-1])
euler_last = 1 - float(coth_i[-1]) * float(theta_i[-1])  # slope of x - mu in one Euler step of (9) from 98 to 99

fig, axes = plt.subplots(2, 1, figsize=(7.5, 6.5), sharex=True, layout="constrained")
axes[0].semilogy(torch.arange(len(theta_i)), theta_i, marker=".", ms=3, color=DEGRADED)
axes[0].set_title(r"rates $\theta_i$ (cosine betas, clamped at 0.999; log scale)", fontsize=11)
axes[0].set_ylabel(r"$\theta_i$ (clock units per index)")
axes[0].annotate(rf"$\theta_{{99}}$ = {float(theta_i[-1]):.3f} (unclamped: {unclamped_last:.3f})",
                 (99, float(theta_i[-1])), xytext=(30, 0.3), arrowprops=dict(arrowstyle="->"), fontsize=10)
axes[1].plot(idx, clock_i, marker=".", ms=3, color=DEGRADED)
axes[1].plot([-1], [0.0], "o", color="C3", label=r"virtual clean index $-1$: $\bar\theta = 0$")
axes[1].axhline(float(clock_i[-2]), color="0.4", ls="--", lw=0.8,
                label=rf"$\bar\theta_{{98}}$ = {float(clock_i[-2]):.3f}")
axes[1].annotate("", xy=(101, float(clock_i[-1])), xytext=(101, float(clock_i[-2])),
                 arrowprops=dict(arrowstyle="<->", lw=1.2))
axes[1].annotate(rf"$\bar\theta_T - \bar\theta_{{98}}$ = {float(clock_i[-1] - clock_i[-2]):.3f}",
                 (100, float(clock_i[-2] + clock_i[-1]) / 2), xytext=(55, 4.5), arrowprops=dict(arrowstyle="->"),
                 fontsize=10)
axes[1].set_xlim(-3, 104)
axes[1].set_title(rf"clock $\bar\theta_i$ ($\bar\theta_T$ = {rs.u_T:.3f})", fontsize=11)
axes[1].set_ylabel(r"$\bar\theta_i$ (clock units)")
axes[1].set_xlabel("grid index $i$")
axes[1].legend(fontsize=9, loc="upper left")
plt.show()
print(f"theta_97 = {float(theta_i[-3]):.3f}, theta_98 = {float(theta_i[-2]):.3f}, theta_99 = {float(theta_i[-1]):.3f} "
      f"(unclamped {unclamped_last:.3f}): {100 * float(theta_i[-1]) / rs.u_T:.1f} % of thbar_T = {rs.u_T:.3f}")
print(f"largest coth(thbar_{{i:T}}) before i_T: {float(coth_i.max()):.2f}, at index {int(idx[:-1][coth_i.argmax()])}")
print(f"one Euler step of (9) from index 98 to 99 multiplies x - mu by 1 - coth(0.999) * 0.999 = {euler_last:.2f}")

# %% [markdown]
# The last rates are 0.555, 0.750 and 0.999 (printed): the last step is the largest because the cosine betas rise
# steeply at the end; the clamp changes $\theta_{99}$ only from 1.000 to 0.999. That step is 12.7 % of
# $\bar\theta_T = 7.879$, and no grid point lies inside it: at index 98 the clock still to go is 0.999.
#
# So before $i_T$ the bridge's drift factor is at most $\coth(0.999) = 1.31$ (index 98): the blow-up of $\coth$ near
# $T$ is never evaluated on the grid. A plain Euler step of (9) across the last step would multiply $x - \mu$ by
# $-0.31$, overshooting $\mu$. The library never takes one: training draws $x_i$ from the exact Gaussian (10)
# (notebook 06), and the samplers leave $i_T$ by an exact step (notebooks 02b–02c).

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/01_ou_and_h_transform_solutions.ipynb`.
#
# - The two *derive* exercises, 01.1 and 01.2, are graded on your **steps**: hand in a Python `dict` whose values are
#   SymPy expressions, one per step (a final formula alone is refused).
# - Their first step is a warm-up: the expectation that section 1 took for the free process, now with the bridge's
#   drift. The integrating factor and the integration are the work.
# - Use the symbols imported at the top of this notebook: `x`, `mu`, `pi`, `lam`, `u` $= \bar\theta_t$ and
#   `c` $= \bar\theta_T$, so $\bar\theta_{t:T}$ is `c - u` (not section 2's symbol `to_go`, which the checker
#   refuses), and the symbols `M` and `Q` defined in the cell of 01.1:
#   the mean and the variance of the *bridge* given $x_0$. They are real (`real=True`); a fresh `sp.Symbol("M")` is a
#   different symbol to SymPy, and mixing the two in one expression gives wrong steps.
#
# **01.1 (derive, by the mean ODE).** Per unit clock (divide (9) by $\theta_t$, as section 1 did for the free
# process) the bridge SDE is $dx = \coth(\bar\theta_{t:T})(\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$. Its mean
# $M = E[x_t\mid x_0]$ starts at $M = x_0 = \mu + \pi$ at the clean end, and $M = \mu + \Theta_t\pi$ defines $\Theta_t$.
# Derive $\Theta_t$ in three steps, as section 1 did for the free process's mean:
#
# - `"dM_du"`: $dM/du$, the expectation of the SDE: an expression in `M`, `u`, `c` and `mu`;
# - `"factor"`: an integrating factor $I(u)$, with $\frac{d}{du}\big(I\,(M - \mu)\big) = 0$ (any constant multiple
#   is accepted): an expression in `u` and `c`;
# - `"Theta"`: $\Theta_t = (M - \mu)/\pi$, from $I\,(M - \mu)$ being constant: an expression in `u` and `c`.

# %%
from rdbm_course.exercises import check

M, Q = sp.symbols("M Q", real=True)  # the bridge's mean and variance of x_t given x_0
answer_01_1 = ...  # {"dM_du": ..., "factor": ..., "Theta": ...}
check("01.1", answer_01_1)

# %% [markdown]
# **01.2 (derive, by the variance ODE).** A second route to the spread: the variance $Q = \mathrm{Var}[x_t\mid x_0]$
# under the bridge SDE per unit clock, $dx = \coth(\bar\theta_{t:T})(\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$, with
# $Q = 0$ at the clean end. Derive $\Sigma_t^2 = Q/\pi^2$ in three steps, with the symbol `Q` of the cell of 01.1:
#
# - `"dQ_du"`: $dQ/du$ from Itô's formula, as in section 1: an expression in `Q`, `u`, `c`, `lam` and `pi`;
# - `"factor"`: an integrating factor $I(u)$, with $\frac{d}{du}(I\,Q) = 2\lambda\pi^2 I$ (any constant multiple
#   is accepted): an expression in `u` and `c`;
# - `"Sigma2"`: $\Sigma_t^2$, from integrating that equation from $u = 0$: an expression in `u`, `c` and `lam`.

# %%
answer_01_2 = ...  # {"dQ_du": ..., "factor": ..., "Sigma2": ...}
check("01.2", answer_01_2)

# %% [markdown]
# **01.3 (implement).** Write a function `theta_on_grid(schedule, t)` that returns the bridge coefficient $\Theta$ of
# (10) as a float64 tensor shaped like `t`, a tensor of grid indices $i$ of a discrete schedule (section 4). $\Theta$
# is capital theta, not `schedule.theta`, which holds the rates $\theta_i$. Build it from the schedule's clock alone:
# `schedule.clock(t)`, `schedule.clock_to_end(t)` $= \bar\theta_{i:T}$ and `schedule.u_T` $= \bar\theta_T$, the
# methods of section 4. The library's own closed-form coefficient methods (such as `ResidualPath.coefficients`) are
# refused. Your function is checked at every index from the virtual clean index $-1$ to the last index $i_T$ (where
# $\Theta = 0$) of four grids:
#
# - RDBM's reference grid of section 4;
# - the grid of GOUB, another method with another discrete clock (notebook 03 presents it); the checker builds it,
#   and your function needs only the clock methods above;
# - a grid with constant $\theta$ of a size not given here (do not hard-code $N$);
# - a grid with constant $\theta$ and $\bar\theta_T = 1000$, where your function must still return finite float64
#   values. Hint: $\sinh(1000)$ overflows float64 (its largest number is about $1.8\times10^{308}$, and
#   $\sinh z > 10^{308}$ from $z \approx 710$ on); rewrite your $\Theta_t$ with exponentials of arguments that are
#   never positive.
#
# The RDBM schedule `rs` of section 4 is in scope, to try your function on.

# %%
answer_01_3 = ...  # a function theta_on_grid(schedule, t) -> tensor shaped like t
check("01.3", answer_01_3)

# %% [markdown]
# ## 5. After the exercises: the closed form, and the simulation against it (optional)
#
# *Read this after exercises 01.1 and 01.2: it states their results.* The bridge coefficients of (10) are
#
# $$\Theta_t = \frac{\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T},\qquad
# \Sigma_t^2 = \frac{2\lambda\,\sinh\bar\theta_t\,\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T} \tag{11}$$
#
# (`docs/theory.md` eq. 4.2). The cell checks that $M = \mu + \Theta_t\pi$ and $Q = \Sigma_t^2\pi^2$ solve the moment
# ODEs of 01.1 and 01.2, $dM/du = \coth(\bar\theta_{t:T})(\mu - M)$ and
# $dQ/du = -2\coth(\bar\theta_{t:T})\,Q + 2\lambda\pi^2$, and that they start at $\Theta = 1$ and $\Sigma^2 = 0$.

# %%
Theta_11 = sp.sinh(c - u) / sp.sinh(c)  # (11), with thbar_{t:T} = c - u
Sigma2_11 = 2 * lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)
M_11, Q_11 = mu + Theta_11 * pi, Sigma2_11 * pi ** 2
vanishes(r"\frac{dM}{du} - \coth(\bar\theta_{t:T})(\mu - M)", sp.diff(M_11, u) - sp.coth(c - u) * (mu - M_11))
vanishes(r"\frac{dQ}{du} + 2\coth(\bar\theta_{t:T})\,Q - 2\lambda\pi^2",
         sp.diff(Q_11, u) + 2 * sp.coth(c - u) * Q_11 - 2 * lam * pi ** 2)
show(r"\big(\Theta_t, \Sigma_t^2\big)\ \text{at}\ \bar\theta_t = 0", sp.Tuple(Theta_11.subs(u, 0), Sigma2_11.subs(u, 0)))

# %% [markdown]
# **Where the simulation departs from (11).** One step of section 0's loop maps $x - \mu$ to $a\,(x - \mu)$ plus
# Gaussian noise of variance $2\lambda\,\Delta u\,\pi^2$, with the slope $a = 1 - \coth(\bar\theta_{t:T})\,\Delta u$.
# So the scheme's own moments per unit $\pi$, $\Theta^{\rm EM}_t$ and $\Sigma^{\rm EM}_t$, follow exactly, without
# sampling: the mean is multiplied by $a$, and the variance becomes $a^2\cdot$variance $+ 2\lambda\,\Delta u$. The
# simulation differs from (11) in two parts:
#
# - **Monte Carlo**, simulated $-$ scheme, in standard errors: $\Sigma^{\rm EM}_t/\sqrt{n_{\rm paths}}$ for the mean
#   and about $\Sigma^{\rm EM}_t/\sqrt{2n_{\rm paths}}$ for the standard deviation;
# - **the step**, scheme $-$ (11), in units of $\Delta u$, for the step of section 0 ($\Delta u = 0.005$) and for half
#   of it.
#
# Top row: the simulated coefficients and (11). Bottom row: the step's part. The table below the figure gives the
# largest values of both parts.

# %%
def scheme_moments(steps):
    """The times of the loop of section 0 with `steps` steps, and its exact Theta^EM, Sigma^EM (per unit pi)."""
    du = THBAR_T / steps
    times = torch.linspace(0, 1, steps + 1, dtype=torch.float64)
    mean, var = [1.0], [0.0]  # x - mu per unit pi: 1 at the start, no variance
    for t_k in times[:-1]:
        a = 1 - du / math.tanh(float(sch.clock_to_end(t_k)))  # the slope of the step from t_k
        mean.append(a * mean[-1])
        var.append(a ** 2 * var[-1] + 2 * LAM * du)
    return times, torch.tensor(mean, dtype=torch.float64), torch.tensor(var, dtype=torch.float64).sqrt()


def closed_form(times):
    """Theta_t and Sigma_t of (11) at the times."""
    left, sinh_T = sch.clock_to_end(times), torch.sinh(torch.tensor(THBAR_T, dtype=torch.float64))
    return torch.sinh(left) / sinh_T, (2 * LAM * torch.sinh(sch.clock(times)) * torch.sinh(left) / sinh_T).sqrt()


times, Theta_em, Sigma_em = scheme_moments(n_steps)
times_half, Theta_em_half, Sigma_em_half = scheme_moments(2 * n_steps)  # the step halved
(Theta_closed, Sigma_closed), (Theta_closed_half, Sigma_closed_half) = closed_form(times), closed_form(times_half)
se = {"Theta": Sigma_em / n_paths ** 0.5, "Sigma": Sigma_em / (2 * n_paths) ** 0.5}  # standard errors (0 at t = 0)
z_scores = {"Theta": (Theta_hat - Theta_em)[1:] / se["Theta"][1:], "Sigma": (Sigma_hat - Sigma_em)[1:] / se["Sigma"][1:]}
theta_gap, theta_gap_half = (Theta_em - Theta_closed) / delta_u, (Theta_em_half - Theta_closed_half) / (delta_u / 2)
sigma_gap, sigma_gap_half = (Sigma_em - Sigma_closed) / delta_u, (Sigma_em_half - Sigma_closed_half) / (delta_u / 2)
inside, inside_half = times <= 0.9 + 1e-9, times_half <= 0.9 + 1e-9  # Sigma's gap is compared at t <= 0.9 (text)
largest = {"Theta": float(theta_gap.abs().max()), "Sigma": float(sigma_gap[inside].abs().max())}  # in Delta u
largest_half = {"Theta": float(theta_gap_half.abs().max()), "Sigma": float(sigma_gap_half[inside_half].abs().max())}
before_T = (Sigma_em - Sigma_closed)[:-1].abs()  # Sigma's gap before T, with the step and with half of it
before_T_half = (Sigma_em_half - Sigma_closed_half)[:-1].abs()
tail = sp.erfc(4.5 / sp.sqrt(2)).evalf()  # P(|Z| > 4.5) for one standard normal Z

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True, layout="constrained")
CLOSED_TEX = {"Theta": r"$\sinh\bar\theta_{t:T}/\sinh\bar\theta_T$",
              "Sigma": r"$\sqrt{2\lambda\sinh\bar\theta_t\sinh\bar\theta_{t:T}/\sinh\bar\theta_T}$"}
for col, (name, hat, closed, gap, gap_half) in enumerate((
        ("Theta", Theta_hat, Theta_closed, theta_gap, theta_gap_half),
        ("Sigma", Sigma_hat, Sigma_closed, sigma_gap, sigma_gap_half))):
    top, bottom = axes[:, col]
    top.plot(ts, hat, color=DEGRADED, lw=2.5, alpha=0.6, label=rf"simulated $\hat\{name}_t$")
    top.plot(times, closed, "k--", lw=1, label="(11): " + CLOSED_TEX[name])
    top.set_ylabel(rf"$\{name}_t$ (dimensionless)")
    top.legend(fontsize=9, loc="upper right" if col == 0 else "lower center")
    bottom.plot(times[:-1], gap[:-1], color=SCHEME, lw=1.5, label=rf"$\Delta u$ = {delta_u:g}")  # before T
    bottom.plot(times_half[:-1], gap_half[:-1], color=SCHEME_HALF, lw=1.2, ls="--", label=rf"$\Delta u$ = {delta_u / 2:g}")
    bottom.axhline(0, color="0.5", lw=0.5)
    bottom.set_ylabel(r"(scheme $-$ (11)) / $\Delta u$")
    bottom.set_xlabel(TIME)
axes[1, 1].axvline(0.9, color="0.5", ls=":", lw=1, label="$t$ = 0.9 (see text)")
for bottom, where in zip(axes[1], ("lower right", "upper left")):
    bottom.legend(fontsize=9, loc=where, title="step", title_fontsize=9)
axes[0, 0].set_title(r"$\Theta_t$: simulated and closed form", fontsize=11)
axes[0, 1].set_title(r"$\Sigma_t$: simulated and closed form", fontsize=11)
plt.show()
rows = (("Monte Carlo: largest |simulated - scheme| / standard error", ".1f",
         [float(z_scores[k].abs().max()) for k in ("Theta", "Sigma")]),
        ("step: largest |scheme - (11)| / Delta u (Sigma: t <= 0.9)", ".3f", [largest[k] for k in ("Theta", "Sigma")]),
        ("  the same gap with the step halved / with the step", ".2f",
         [largest_half[k] / 2 / largest[k] for k in ("Theta", "Sigma")]))
print(f"{'':<58}{'Theta':>7}{'Sigma':>7}")
for label, form, (theta_value, sigma_value) in rows:
    print(f"{label:<58}{theta_value:>7{form}}{sigma_value:>7{form}}")
print(f"P(|Z| > 4.5) = {tail:.1e}; union bound over {2 * n_steps} tests: {100 * 2 * n_steps * tail:.2f} %")
print(f"Sigma before T: largest gap {float(before_T.max()):.4f}, at step {int(before_T.argmax())} of {n_steps}; "
      f"halved step / step: {float(before_T_half.max() / before_T.max()):.2f}")
print(f"Sigma at T: simulated {float(Sigma_hat[-1]):.4f}, scheme {float(Sigma_em[-1]):.4f}, "
      f"sqrt(2 lam Delta u) = {(2 * LAM * delta_u) ** 0.5:.4f}")

# %% [markdown]
# - **Top row.** The simulated coefficients lie on (11) at the scale of the plot.
# - **Monte Carlo.** At every time after the start both estimates lie within 2.9 ($\Theta$) and 1.8 ($\Sigma$)
#   standard errors of the scheme's moments (table). A test at 4.5 standard errors over these 800 numbers has a false
#   alarm chance of at most 0.54 % (union bound), and no number reaches 4.5.
# - **The step (bottom row).** The scheme's $\Theta$ lies below (11), by at most $0.167\,\Delta u$; its $\Sigma$ lies
#   above, by at most $0.180\,\Delta u$ at $t \le 0.9$ (left of the dotted line). Halving the step halves both gaps
#   (ratio 0.50), so the two curves of each panel coincide: consistent with first-order convergence, which two step
#   sizes do not prove.
# - **The end.** After $t = 0.9$ the gap in $\Sigma_t$ grows, to 0.0063 one step before $T$, where $\Sigma_t$ itself
#   is of order $\sqrt{\Delta u}$; halving the step shrinks it only to 0.71 of that. At $T$ only the last step's noise
#   is left (its slope, $a \approx -\Delta u^2/3$, puts every path back on $\mu$): the scheme's $\Sigma$ is
#   $\sqrt{2\lambda\,\Delta u} = 0.0224$, the simulated one 0.0226.

# %% [markdown]
# ## Appendix A. Second derivations and the Kolmogorov equations (optional)
#
# **How the displays here are checked.** Each helper displays a step and asserts it:
#
# - `ou_lesson.difference` displays a difference of two expressions and asserts that it is exactly 0;
# - `vanishes` reduces an expression to one fraction, displays it and asserts that it is 0;
# - `vanishes_by_powers` does so for a polynomial in $x$, one power of $x$ at a time, the terms of each power over one
#   common denominator.
#
# To decide exactly that an expression is 0, they write its exponentials as letters, such as $U = e^{\bar\theta_t}$,
# $D = e^{\bar\theta_{t:T}}$ or $\mathcal E = e^{\tau}$ (each display names the ones it uses). That makes it a fraction
# of polynomials, which SymPy decides to be 0 by cancelling; `zero` (package `derivations`) gives this canonical form.
#
# **A.1 The free moments by SymPy's ODE solver.** `dsolve` solves the moment ODEs of section 1 in the clock,
# $d\tilde M/du = \mu - \tilde M$ from $\tilde M = \mu + \pi$ and $d\tilde Q/du = -2\tilde Q + 2\lambda\pi^2$ from
# $\tilde Q = 0$, and finds the integrating factor's mean and the isometry's variance:

# %%
mean_dsolve = sp.dsolve(sp.Eq(M_of.diff(u), mu - M_of), M_of, ics={M_of.subs(u, 0): mu + pi}).rhs
ou_lesson.difference(r"\tilde M - \tilde M_{\rm dsolve}", mean_if, mean_dsolve)
Q_of = sp.Function(r"\tilde{Q}")(u)
var_dsolve = sp.dsolve(sp.Eq(Q_of.diff(u), -2 * Q_of + 2 * lam * pi ** 2), Q_of, ics={Q_of.subs(u, 0): 0}).rhs
ou_lesson.difference(r"\tilde Q - \tilde Q_{\rm dsolve}", sp.expand(var_ito), var_dsolve)

# %% [markdown]
# **A.2 The moments in $t$: the clock removes $\theta_t$.** For any schedule, $\tilde M = \mu + e^{-\bar\theta_t}\pi$
# and $\tilde Q = \lambda(1 - e^{-2\bar\theta_t})\pi^2$ solve the moment ODEs of section 1 *in $t$*,
# $d\tilde M/dt = \theta_t(\mu - \tilde M)$ and $d\tilde Q/dt = -2\theta_t\tilde Q + 2\lambda\theta_t\pi^2$. Put them
# in, with $d\bar\theta_t/dt = \theta_t$: SymPy differentiates $\bar\theta_t$ as a function of $t$, and the results
# are written with the symbol $\bar\theta_t$ again. `ou_mean(u)` and `ou_var(u)` are $k_u$ and $v_u$ of (4) from
# $x_s = x_0$, that is $\tilde M$ and $\tilde Q$.

# %%
thbar = sp.Function("thbar")(t)  # the clock as a function of t, to differentiate; then the symbol u = thbar_t
M_t, Q_t = ou_mean(thbar), ou_var(thbar)
dM_dt = sp.diff(M_t, t).subs(sp.Derivative(thbar, t), theta).subs(thbar, u)
dQ_dt = sp.diff(Q_t, t).subs(sp.Derivative(thbar, t), theta).subs(thbar, u)
M_u, Q_u = M_t.subs(thbar, u), Q_t.subs(thbar, u)
show(r"\frac{d\tilde M}{dt}", dM_dt)
show(r"\frac{d\tilde Q}{dt}", dQ_dt)
ou_lesson.difference(r"\frac{d\tilde M}{dt} - \theta_t(\mu - \tilde M)", dM_dt, theta * (mu - M_u))
vanishes(r"\frac{d\tilde Q}{dt} - \big(-2\theta_t \tilde Q + 2\lambda\theta_t\pi^2\big)",
         dQ_dt - (-2 * theta * Q_u + 2 * lam * theta * pi ** 2))

# %% [markdown]
# **A.3 Two properties of the kernel (4).**
#
# - **Fokker–Planck.** $p$ solves $\partial_\tau p = -\partial_x\big((\mu - x)p\big) + \lambda\pi^2\,\partial_{xx}p$.
#   Divided by $p$ and written with $L_p = \log p$ (up to a constant free of $x$ and $\tau$, so that no number
#   $3.14\ldots$ enters), that is
#
# $$R_p \equiv \partial_\tau L_p - 1 + (\mu - x)\,\partial_x L_p - \lambda\pi^2\big(\partial_{xx}L_p + (\partial_x L_p)^2\big)
# = 0 . \tag{A1}$$
#
# - **The derivatives of $L_p$.** $L_p = -(x - k_\tau)^2/(2v_\tau) - \tfrac12\log v_\tau$, so
#   $\partial_x L_p = (k_\tau - x)/v_\tau$, $\partial_{xx}L_p = -1/v_\tau$, and the chain rule in $\tau$ gives
#
# $$\partial_\tau L_p = -\frac{\partial_\tau v_\tau}{2\,v_\tau} + \frac{(x - k_\tau)\,\partial_\tau k_\tau}{v_\tau}
# + \frac{\partial_\tau v_\tau\,(x - k_\tau)^2}{2\,v_\tau^2} . \tag{A2}$$
#
# - **Chapman–Kolmogorov.** A lag $\tau_1$, then a lag $\tau_2$, is one lag $\tau_1 + \tau_2$: composing the means and
#   the variances of (4) gives those over $\tau_1 + \tau_2$.
#
# The cell shows $L_p$, its derivatives, the residual $R_p$ power by power of $x - k_\tau$ (each power's terms over one
# denominator; each sum is 0, asserted), and the composed moments. `ou_lesson.gaussian_log_rate` displays (A2) with
# the derivatives of $k$ and $v$ written out and asserts that it is the derivative; `agree` compares two fractions.

# %%
gens_tau = {tau: sp.Symbol(r"\mathcal{E}", positive=True)}  # E = e^tau, for the exact zero test
kernel_mean, kernel_var = ou_mean(tau, xs), ou_var(tau)  # E[x_t | x_s] and Var[x_t | x_s]
L_p = -(x - kernel_mean) ** 2 / (2 * kernel_var) - sp.log(kernel_var) / 2  # + a constant, free of x and tau
show(r"L_p = \log p(x_t = x \mid x_s)", latex(L_p) + r" + \text{const}")
k_, v_ = sp.symbols(r"k_\tau v_\tau", positive=True)  # the kernel's mean and variance as letters, for display
for order, form in ((1, (k_ - x) / v_), (2, -1 / v_)):
    show(r"\partial_x L_p" if order == 1 else r"\partial_{xx} L_p", form)
    assert zero(sp.diff(L_p, x, order) - form.subs({k_: kernel_mean, v_: kernel_var}), gens_tau) == 0
ou_lesson.gaussian_log_rate(r"\partial_\tau L_p", L_p, x, "x", kernel_mean, kernel_var, tau, r"\tau", gens=gens_tau)
Lx, Lxx = sp.diff(L_p, x), sp.diff(L_p, x, 2)
vanishes_by_powers("R_p", {r"\partial_\tau L_p": sp.diff(L_p, tau), "-1": sp.Integer(-1),
                           r"(\mu - x)\partial_x L_p": (mu - x) * Lx, r"-\lambda\pi^2\partial_{xx} L_p": -lam * pi ** 2 * Lxx,
                           r"-\lambda\pi^2(\partial_x L_p)^2": -lam * pi ** 2 * Lx ** 2},
                   x, kernel_mean, r"(x - k_\tau)", gens=gens_tau, common_denominator=True)
tau1, tau2 = sp.symbols("tau_1 tau_2", positive=True)  # two consecutive clock lags
gens12 = {tau1: sp.Symbol(r"\mathcal{E}_1", positive=True), tau2: sp.Symbol(r"\mathcal{E}_2", positive=True)}
composed_mean = ou_mean(tau2, ou_mean(tau1, xs))  # the mean after tau1, then tau2
composed_var = sp.exp(-2 * tau2) * ou_var(tau1) + ou_var(tau2)  # the first variance, shrunk, plus the second
agree(r"k\big|_{\tau_1\text{, then }\tau_2}", composed_mean, r"k_{\tau_1 + \tau_2}", ou_mean(tau1 + tau2, xs),
      gens=gens12)
agree(r"v\big|_{\tau_1\text{, then }\tau_2}", composed_var, r"v_{\tau_1 + \tau_2}", ou_var(tau1 + tau2), gens=gens12)

# %% [markdown]
# **A.4 $h$ solves the backward Kolmogorov equation (8).** Section 2 argued (8) from the martingale property of
# $h(x_t, t)$; here it is verified for the $h$ of (5). Per unit clock, with $\partial_u = -\partial_{\bar\theta_{t:T}}$
# (the clock still to go shrinks as $u$ grows), divided by $h$ and written with $L_h = \log h$, (8) reads
#
# $$R_h \equiv -\partial_{\bar\theta_{t:T}} L_h + (\mu - x)\,\partial_x L_h
# + \lambda\pi^2\big(\partial_{xx}L_h + (\partial_x L_h)^2\big) = 0 . \tag{A3}$$
#
# $\partial_{\bar\theta_{t:T}} L_h$ needs the part of $\log h$ that is free of $x$ but not of the clock,
# $-\tfrac12\log v_{\bar\theta_{t:T}}$: it is added here. $L_h$ is a Gaussian log-density in the end point $\mu$ with
# mean $k$ and variance $v$ (the kernel (4) from $x$ over the lag $\bar\theta_{t:T}$), so its derivative in the lag
# has the form (A2) with $\mu$ in the place of $x$:
# $\partial L_h = -\partial v/(2v) + (\mu - k)\,\partial k/v + \partial v\,(\mu - k)^2/(2v^2)$. The cell shows the
# derivatives and $R_h$ power by power of $x - \mu$.

# %%
L_h_full = L_h - sp.log(h_var) / 2  # log h, up to a constant free of x and of the clock
Hx, Hxx = sp.diff(L_h_full, x), sp.diff(L_h_full, x, 2)
show(r"\partial_x L_h", readable(Hx))
show(r"\partial_{xx} L_h", readable(Hxx))
ou_lesson.gaussian_log_rate(r"\partial_{\bar\theta_{t:T}} L_h", L_h_full, mu, r"\mu", ou_mean(to_go, x), h_var, to_go,
                            r"\bar\theta_{t:T}")
vanishes_by_powers("R_h", {r"-\partial_{\bar\theta_{t:T}} L_h": -sp.diff(L_h_full, to_go),
                           r"(\mu - x)\partial_x L_h": (mu - x) * Hx, r"\lambda\pi^2\partial_{xx} L_h": lam * pi ** 2 * Hxx,
                           r"\lambda\pi^2(\partial_x L_h)^2": lam * pi ** 2 * Hx ** 2},
                   x, mu, r"(x - \mu)", absent_in_words=True, common_denominator=True)

# %% [markdown]
# ## Appendix B. Checks (may be skipped)
#
# These cells tie the text to the outputs: every number the text quotes is asserted here (in full mode), and so are
# the steps displayed without a "= 0" line. One cell per section.
#
# - **Section 0.** The loop is compared with `ou_lesson.simulate_paths` (the same steps with the library's bridge
#   drift). The bridge's end gap is one step's noise, of standard deviation $\sqrt{2\lambda\Delta u}\,|\pi|$
#   (section 5). Its root-mean-square over the $n_{\rm paths}$ paths has the relative standard error
#   $1/\sqrt{2n_{\rm paths}}$, and 4 standard errors bound a Monte Carlo deviation of one number (two-sided chance
#   $6\times10^{-5}$). The free mean at $T$: the scheme's exact mean $(1 - \Delta u)^{400}\pi$ and
#   $e^{-\bar\theta_T}\pi$ differ by far less than one standard error (printed below), so the gap between the
#   simulated 0.106 and the exact 0.108 is Monte Carlo noise.
# - **Section 4.** The library's grid coefficients equal the continuous ones at the same clock (printed): a self-test
#   of the library, not a proof, since both go through one formula.
# - **Section 5.** The notebook's recursion and (11) equal the library's (`ou_lesson.scheme_moments`, `step_gaps`).

# %%
# Section 0: the loop is the library's simulation; the constants; the intact pixel; the end gap; the free mean
g_check = torch.Generator().manual_seed(0)  # the same random numbers as section 0
for kind in ("free", "bridge"):
    library = ou_lesson.simulate_paths(sch, LAM, x0, mu_img, n_paths, n_steps, pinned=(kind == "bridge"),
                                       generator=g_check)
    assert torch.allclose(PATHS[kind], library, rtol=0, atol=1e-10), kind
assert sch.u_T == THBAR_T == 2.0 and LAM == 0.05 and delta_u == THBAR_T / n_steps  # thbar_T = 2, lambda = 0.05
assert abs(PI_DEG - 0.8) < 1e-12 and float(pi_img[1]) == 0.0  # pi = 0.8 (float rounding), 0
assert len(drawn) == 16 and drawn[0].get_label().startswith("degraded")  # 16 paths drawn, the first one labelled
for traj in PATHS.values():  # intact pixel (index 1, x_0 = mu = 0.1): never moves, free or pinned
    assert torch.equal(traj[:, :, 1], torch.full_like(traj[:, :, 1], 0.1))
assert abs(float(sch.clock_to_end(ts[n_steps - 1])) - delta_u) < 1e-12  # the last step starts at thbar_{t:T} = Delta u
end_rms = float(PATHS["bridge"][-1, :, 0].sub(MU_DEG).pow(2).mean().sqrt())
assert abs(end_rms / ((2 * LAM * delta_u) ** 0.5 * PI_DEG) - 1) < 4 / (2 * n_paths) ** 0.5, end_rms
free_mean_em = (1 - delta_u) ** n_steps * PI_DEG  # the scheme's exact free mean of x_T - mu
assert abs(float(free_end.mean()) - free_mean_em) < 4 * free_se and abs(float(free_end.mean()) - free_exact) < 4 * free_se
print(f"free mean at T: scheme's exact {free_mean_em:.4f}, closed form {free_exact:.4f} (difference "
      f"{(free_exact - free_mean_em) / free_se:.1f} standard errors), simulated {float(free_end.mean()):.4f} "
      f"± {free_se:.4f}")
assert abs(free_exact - free_mean_em) < 0.3 * free_se  # "far less than one standard error"
if not FAST:  # the numbers the text quotes
    assert f"{float(free_end.mean()):.3f}" == "0.106" and f"{float(free_end.std()):.3f}" == "0.176"
    assert f"{free_se:.3f}" == "0.003" and f"{(free_exact - float(free_end.mean())) / free_se:.1f}" == "0.8"
    assert delta_u == 0.005
assert f"{free_exact:.3f}" == "0.108"

# %%
# Section 1: the displayed steps
assert sp.expand(g_t ** 2 - g2_t) == 0
assert set(sp.Poly(sp.expand(dx_ ** 2), dt, dw).monoms()) == {(2, 0), (1, 1), (0, 2)}  # the three displayed terms
assert sp.expand(ito(dx_ ** 2, dt, dw) - g_sym ** 2 * dt) == 0  # (dx)^2 = g_t^2 dt
assert sp.expand(dM_ito - theta * (mu - M_free)) == 0  # dM/dt = theta (mu - M)
assert sp.expand(dQ_ito - theta * (2 * lam * pi ** 2 - 2 * Q_free)) == 0  # dQ/dt = theta (2 lam pi^2 - 2 Q)
assert sp.expand(sum(terms) - (e_u * (1 + du_) * (x - mu + dx_clock) - e_u * (x - mu))) == 0  # the three terms
assert sp.expand(ito(sum(terms[:2]), du_, dW) - product) == 0  # the third term is 0 by Ito's rules
assert sp.expand(product - e_u * sp.sqrt(2 * lam) * pi * dW) == 0  # only noise is left
assert zero(ou_mean(u) - mean_if) == 0 and zero(ou_var(u) - var_ito) == 0  # the helpers are M and Q of section 1
assert zero(ou_mean(tau, xs) - (mu + sp.exp(-tau) * (xs - mu))) == 0  # k_tau of (4)
assert zero(ou_var(tau) - lam * (1 - sp.exp(-2 * tau)) * pi ** 2) == 0  # v_tau of (4)

# %%
# Section 2: the product rule (7), the one-step argument, the cancellation of pi and lambda
h_fn, phi_fn = sp.Function("h")(x, t), sp.Function("varphi")(x, t)


def backward_operator(F):
    """(d_t + A_t) F for the free process: d_t F + theta_t (mu - x) d_x F + g_t^2 d_xx F / 2."""
    return sp.diff(F, t) + theta * (mu - x) * sp.diff(F, x) + g2_t / 2 * sp.diff(F, x, 2)


assert sp.expand(backward_operator(h_fn * phi_fn) - (h_fn * backward_operator(phi_fn) + phi_fn * backward_operator(h_fn)
                                                    + g2_t * sp.diff(h_fn, x) * sp.diff(phi_fn, x))) == 0
# the one-step argument: the mean shifts by g^2 Delta t l, the variance stays g^2 Delta t (changes at order Dt^2)
assert sp.expand(step_mean - (x + b * Dt + g_step ** 2 * ell1 * Dt)) == 0
assert sp.simplify(step_var - g_step ** 2 * Dt) == 0
assert sp.expand(sp.series(var_curved, Dt, 0, 3).removeO() - (g_step ** 2 * Dt - kappa * g_step ** 4 * Dt ** 2)) == 0
assert pi not in sp.cancel(g2_grad).free_symbols and lam not in sp.cancel(g2_grad).free_symbols

# %%
# Section 3: the ends of the estimates and the numbers the text quotes (full mode)
assert abs(float(Theta_hat[0]) - 1) < 1e-12 and float(Sigma_hat[0]) == 0.0 and abs(float(ts[half]) - 0.5) < 1e-12
if not FAST:
    quoted = {"0.0002": Theta_hat[-1], "0.0004": se_hat["Theta"][-1], "0.3259": Theta_hat[half],
              "0.0031": se_hat["Theta"][half], "0.368": free_coefficients[0][half], "0.1956": Sigma_hat[half],
              "0.0022": se_hat["Sigma"][half], "0.208": free_coefficients[1][half], "0.0226": Sigma_hat[-1],
              "0.0003": se_hat["Sigma"][-1], "0.222": free_coefficients[1][-1], "0.135": free_coefficients[0][-1]}
    assert all(f"{float(value):.{len(text) - 2}f}" == text for text, value in quoted.items()), quoted
    # "more than ten" and "more than five" standard errors apart
    assert (free_coefficients[0][half] - Theta_hat[half]) / se_hat["Theta"][half] > 10
    assert (free_coefficients[1][half] - Sigma_hat[half]) / se_hat["Sigma"][half] > 5

# %%
# Section 4: the printed numbers the text quotes, each to half a unit of its last digit; the library's self-test
assert torch.allclose(theta_i, schedules.cosine_betas(100), rtol=0, atol=1e-12) and len(theta_i) == 100  # N = 100
assert abs(float(theta_i[-3]) - 0.555) < 0.0005 and abs(float(theta_i[-2]) - 0.750) < 0.0005
assert abs(float(theta_i[-1]) - 0.999) < 1e-12 and abs(unclamped_last - 1.0) < 0.0005
assert torch.equal(schedules.cosine_betas(100)[:-1], schedules.cosine_betas(100, max_beta=1.0)[:-1])  # clamp: last only
assert abs(100 * float(theta_i[-1]) / rs.u_T - 12.7) < 0.05 and abs(rs.u_T - 7.879) < 0.0005
assert abs(float(rs.clock_to_end(idx[-2:-1])) - 0.999) < 1e-12 and int(idx[-2]) == 98  # thbar_{98:T} = theta_99
assert abs(float(coth_i.max()) - 1.31) < 0.005 and int(idx[:-1][coth_i.argmax()]) == 98
assert abs(euler_last - (-0.31)) < 0.005 and euler_last < 0  # the Euler step's slope: it overshoots mu
assert float(clock_i[1]) == float(theta_i[0]) > 0  # thbar_0 = theta_0 > 0
assert float(clock_i[0]) == 0.0 and int(idx[0]) == -1 and int(idx[-1]) == rs.t_T == 99  # indices -1 and i_T = 99
grid_gap = ou_lesson.grid_gap_to_continuous(rs, LAM)
print(f"library self-test: grid coefficients - continuous ones at the same clock, largest {grid_gap:.1e}")
assert grid_gap < 1e-12

# %%
# Section 5: (11) and the recursion against the library; Monte Carlo, the step, the end
from derivations import family  # noqa: E402  (the library's closed form, for this check only)

assert zero(Theta_11 - family.Theta(u, c)) == 0 and zero(Sigma2_11 - family.Sigma2(u, c)) == 0
for steps, (times_k, Theta_k, Sigma_k) in ((n_steps, (times, Theta_em, Sigma_em)),
                                           (2 * n_steps, (times_half, Theta_em_half, Sigma_em_half))):
    lib_times, lib_Theta, lib_Sigma, lib_Theta_em, lib_Sigma_em = ou_lesson.scheme_moments(sch, LAM, steps)
    assert torch.equal(lib_times, times_k)
    assert all(torch.allclose(mine, lib, rtol=0, atol=1e-12) for mine, lib in (
        (Theta_k, lib_Theta_em), (Sigma_k, lib_Sigma_em), (closed_form(times_k)[0], lib_Theta),
        (closed_form(times_k)[1], lib_Sigma)))
    lib_gaps = ou_lesson.step_gaps(sch, LAM, steps)  # the library's gaps, t <= 0.9 for Sigma
    step_k = THBAR_T / steps
    assert abs(lib_gaps["Theta"] / step_k - (largest if steps == n_steps else largest_half)["Theta"]) < 1e-9
    assert abs(lib_gaps["Sigma"] / step_k - (largest if steps == n_steps else largest_half)["Sigma"]) < 1e-9
    assert abs(lib_gaps["Sigma before T"] - float((before_T if steps == n_steps else before_T_half).max())) < 1e-12
assert n_paths == (400 if FAST else 4000) and 2 * n_steps <= 800  # the text's 4000 paths, at most 800 tests
assert torch.equal(times, ts)  # the scheme's times are the simulation's
assert float(z_scores["Theta"].abs().max()) < 4.5 and float(z_scores["Sigma"].abs().max()) < 4.5  # Monte Carlo
assert abs(float(tail) - 6.8e-6) < 0.05e-6 and 2 * n_steps * float(tail) < 0.006  # the text's numbers
# the step: below 0.2 Delta u, with the signs the text gives, and halved with the step (deterministic numbers)
assert largest["Theta"] < 0.2 and largest["Sigma"] < 0.2
assert float(theta_gap.max()) <= 1e-12 and float(sigma_gap[:-1].min()) >= -1e-12  # scheme's Theta below, Sigma above
assert abs(largest_half["Theta"] / 2 / largest["Theta"] - 0.5) < 0.02
assert abs(largest_half["Sigma"] / 2 / largest["Sigma"] - 0.5) < 0.02
# near T: the largest gap one step before T, of order sqrt(Delta u) (ratio 1/sqrt 2)
assert int(before_T.argmax()) == n_steps - 1 and abs(float(before_T_half.max() / before_T.max()) - 2 ** -0.5) < 0.02
# at T the scheme's spread is one step's noise (relative excess below 1e-6), the simulation's within 4 standard errors
assert abs(float(Sigma_em[-1]) / (2 * LAM * delta_u) ** 0.5 - 1) < 1e-6
assert abs(float(Sigma_hat[-1] / Sigma_em[-1]) - 1) < 4 / (2 * n_paths) ** 0.5
# the slope of the last step, 1 - coth(Delta u) Delta u, is about -Delta u^2 / 3
last_slope = 1 - delta_u / math.tanh(delta_u)
assert abs(last_slope / (-delta_u ** 2 / 3) - 1) < 0.01
# the closed form's ends (the library's exactly; the notebook's equal them to 1e-12, above): Theta = 1, Sigma = 0 at
# t = 0; Theta = 0, Sigma = 0 at T
lib_Theta, lib_Sigma = ou_lesson.scheme_moments(sch, LAM, n_steps)[1:3]
assert float(lib_Theta[0]) == 1.0 and float(lib_Sigma[0]) == 0.0
assert float(lib_Theta[-1]) == 0.0 and float(lib_Sigma[-1]) == 0.0
assert Theta_11.subs(u, 0) == 1 and Sigma2_11.subs(u, 0) == 0
if not FAST:  # the numbers the text quotes
    quoted = {"2.9": z_scores["Theta"].abs().max(), "1.8": z_scores["Sigma"].abs().max(),
              "0.167": largest["Theta"], "0.180": largest["Sigma"], "0.0063": before_T.max(),
              "0.50": largest_half["Theta"] / 2 / largest["Theta"], "0.71": before_T_half.max() / before_T.max(),
              "0.0224": Sigma_em[-1], "0.0226": Sigma_hat[-1]}
    assert all(f"{float(value):.{len(text) - 2}f}" == text for text, value in quoted.items()), quoted
    assert f"{largest_half['Sigma'] / 2 / largest['Sigma']:.2f}" == "0.50"
    assert f"{100 * 2 * n_steps * float(tail):.2f}" == "0.54"
