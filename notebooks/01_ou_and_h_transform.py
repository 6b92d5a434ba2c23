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
# weight of the residual in the mean and the spread per unit residual, appear.
#
# **Roadmap.** Section 0 shows the free process and the bridge as pictures. Section 1 solves the free process,
# section 2 conditions it on its end point, section 3 reads the bridge coefficients off simulated paths, and
# section 4 shows the discrete grid that exercise 01.3 needs. Section 5, after the exercises, draws the closed form
# over the simulation. Appendix A holds second derivations (optional), appendix B the checks.
#
# **Prerequisites.** Itô's formula and Gaussian densities. Every formula used is stated here; `docs/theory.md` §4
# states the results of exercises 01.1 and 01.2: read it only after them. The numbers in the text come from 4000
# paths of 400 steps.

# %%
import math
import os

import matplotlib.pyplot as plt
from matplotlib import patheffects
import sympy as sp
import torch

from derivations.common import c, complete_square, lam, mu, pi, readable, t, theta, u, x, xs, zero
from rdbm_core.bridge import schedules
from rdbm_course import ou_lesson
from rdbm_course.mathshow import latex, limit, positive_terms_first, print_names, show, vanishes, vanishes_by_powers

FAST = os.environ.get("FAST") == "1"
TIME = r"time $t$ (dimensionless, $T = 1$)"
PIXEL = r"pixel value ($[-1, 1]$ scale)"
# one colour per curve kind in every figure (Okabe-Ito, colour-blind safe)
DEGRADED, INTACT, FREE, MU_LINE, GRID, CLEAN = "#0072B2", "#E69F00", "#009E73", "#D55E00", "0.15", "#CC79A7"
positive_terms_first()  # SymPy prints x - mu, not -mu + x
print_names({u: "u"})  # SymPy prints the clock thbar_t as u, as the text writes it

# %% [markdown]
# ## 0. The picture first: a free OU process and a bridge
#
# Two pixels of an image, with $x_0$ the clean value of a pixel and $\mu$ its degraded value: a degraded pixel
# (residual $\pi = x_0 - \mu = 0.8$, blue) and an intact one ($\pi = 0$, orange). Both follow a mean-reverting SDE
# whose noise is multiplied by $\pi$. Left: the free process, pulled towards $\mu$. Right: the same process
# *conditioned* to end at $\mu$ at the end time $T$, a bridge. Section 1 solves the free process exactly; section 2
# finds the drift that pins the paths.
#
# The first cell simulates both processes (the loop is explained below the figure); the second draws 16 paths.

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
    ax.axhline(MU_DEG, color=MU_LINE, ls="--", lw=1.2, label=r"$\mu$ of the degraded pixel")
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
# 0.106 ± 0.003 (one standard error), with a spread of 0.176. Section 1 derives the exact value,
# $e^{-\bar\theta_T}\pi = 0.108$. The difference, 0.8 standard errors, is 0.6 standard errors of sampling noise plus
# 0.2 of bias from the finite step (appendix B splits it). The bridge's paths all end on $\mu$, to within one
# step's noise (section 3). The intact pixel has no noise and stays at its own $\mu = x_0 = 0.1$, free or pinned
# (section 2 says why).
#
# **Symbols** (the code's SymPy names in the last column):
#
# | symbol | meaning | code |
# |---|---|---|
# | $x_0$; $\mu$ | the clean value of a pixel; its degraded value | —; `mu` |
# | $\pi = x_0 - \mu$ | the residual of a pixel (never the number 3.14…) | `pi` |
# | $\lambda$ | the stationary variance per unit $\pi^2$ (section 1) | `lam` |
# | $T$; $w_t$ | the end time ($T = 1$ here); a Brownian motion | — |
# | $\theta_t > 0$; $g_t$ | the rate; the noise coefficient $\sqrt{2\lambda\theta_t}\,\pi$ of (1) | `theta`; — |
# | $u = \bar\theta_t = \int_0^t\theta_r\,dr$ | the clock | `u` |
# | $\bar\theta_T$; $\bar\theta_{t:T} = \bar\theta_T - \bar\theta_t$ | the clock at $T$; the clock still to go | `c`; `c - u` |
# | $\tau$ | a clock lag (section 2: $\tau = \bar\theta_{t:T}$) | `tau` |
# | $\Delta u$ | the clock length of one simulation step | — |
# | $\Theta_t$, $\Sigma_t$ | the bridge coefficients (section 3; capital theta and sigma) | — |
# | $\theta_i$ | on a grid (section 4), the rate at index $i$ | — |
#
# **The simulation.** The loop works per unit of the clock (section 1 shows why that is allowed), with
# $\bar\theta_T = 2$ and $\lambda = 0.05$. Each step of clock length $\Delta u = \bar\theta_T/400 = 0.005$ moves $x$
# by its drift times $\Delta u$, plus Gaussian noise of variance $2\lambda\,\Delta u\,\pi^2$.
#
# - The drift per unit clock is $\mu - x$ for the free process (section 1) and $\coth(\bar\theta_{t:T})(\mu - x)$
#   for the bridge (section 2). It is evaluated at the start of each step, where $\bar\theta_{t:T} \ge \Delta u$
#   keeps $\coth$ finite.
# - The noise is multiplied by $\pi$, so the intact pixel gets none.

# %% [markdown]
# ## 1. The forward SDE, in the clock
#
# The forward SDE of a pixel is
#
# $$dx_t = \theta_t(\mu - x_t)\,dt + g_t\,dw_t,\qquad g_t = \sqrt{2\lambda\theta_t}\,\pi,\qquad \pi = x_0 - \mu,
# \tag{1}$$
#
# with $g_t^2 = 2\lambda\theta_t\pi^2$ the squared diffusion coefficient per unit time. With the clock
# $u = \bar\theta_t$ ($du = \theta_t\,dt$) write
#
# $$W_{\bar\theta_t} = \int_0^t\sqrt{\theta_r}\,dw_r .$$
#
# - With $\theta_r > 0$ the clock is strictly increasing, so $W_u$ is defined for every $u$. It is a continuous
#   martingale with quadratic variation $u$, hence a Brownian motion in the clock (Lévy's characterisation).
# - Since $\sqrt{\theta_t}\,dw_t = dW_u$, the SDE no longer depends on the time itself:
#
# $$dx = (\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u . \tag{2}$$
#
# - So the process depends on the schedule $\theta_t$ only through the clock.
#
# Write $\tilde M = E[x_t\mid x_0]$ and $\tilde Q = \mathrm{Var}[x_t\mid x_0]$ for the mean and the variance of the
# free process (the tilde marks the free process).
#
# **Itô's formula for $x^2$.** Over a short time $dt$ the state moves by $dx$, and
# $d(x^2) = (x + dx)^2 - x^2 = 2x\,dx + (dx)^2$. Unlike in ordinary calculus, $(dx)^2$ is not negligible: the
# Brownian increment $dw$ has mean 0 and variance $dt$, so $dw^2$ is of order $dt$ (Itô's rule $dw^2 = dt$), while
# $dt^2$ and $dt\,dw$ are of higher order and dropped. The first display applies these rules to $(dx)^2$.

# %%
dt, dw = sp.symbols("dt dw")  # the differentials: a time step and its Brownian increment
g_sym = sp.Symbol("g_t", real=True)  # g_t as one letter; it has the sign of pi
g2_t = 2 * lam * theta * pi ** 2  # g_t^2 of (1), per unit time
RULES = r"\quad(dt^2 = dt\,dw = 0,\ dw^2 = dt)"
ito = ou_lesson.ito  # Ito's rules on a polynomial in two differentials
tex = lambda expr: ou_lesson.differentials_tex(expr, dt, dw)  # noqa: E731  (LaTeX with dt and dw written last)

dx_ = theta * (mu - x) * dt + g_sym * dw
show(r"(dx)^2", tex(dx_ ** 2), tex(ito(dx_ ** 2, dt, dw)) + RULES, tex(ito(dx_ ** 2, dt, dw).subs(g_sym ** 2, g2_t)))
d_x2 = ito((x + dx_) ** 2 - x ** 2, dt, dw)
show(r"d(x^2) = (x + dx)^2 - x^2", tex(d_x2) + RULES)

# %% [markdown]
# Averaging, $E[x\,dw] = 0$ (the increment $dw$ is independent of the current $x$), $E[x] = \tilde M$ and
# $E[x^2] = \tilde Q + \tilde M^2$; dividing by $dt$ gives the moment ODEs. The mean's is the expectation of the
# drift; the variance's is $d\tilde Q/dt = d\,E[x^2]/dt - 2\tilde M\,d\tilde M/dt$. Each line is computed from the
# one before it:

# %%
M_free, Q_free = sp.symbols(r"\tilde{M} \tilde{Q}", real=True)  # the free process's mean and variance given x_0
E2 = sp.Symbol("E[x^{2}]", real=True)
dM_ito = (theta * (mu - x)).subs(x, M_free)  # E[dx] / dt: the drift is affine in x, so E of it is the drift at M
show(r"\frac{d\tilde M}{dt}", r"E\big[" + latex(theta * (mu - x)) + r"\big]", dM_ito)
drift_part = sp.expand(d_x2.coeff(dt).subs(g_sym ** 2, g2_t))  # the dt part of d(x^2); its dw part averages to 0
dE2_ito = drift_part.subs(x ** 2, E2).subs(x, M_free)  # E[x^2] for x^2, then M for x
show(r"\frac{d\,E[x^2]}{dt}", r"E\big[" + latex(drift_part) + r"\big]", dE2_ito)
dQ_ito = sp.expand((dE2_ito - 2 * M_free * dM_ito).subs(E2, Q_free + M_free ** 2))
show(r"\frac{d\tilde Q}{dt} = \frac{d\,E[x^2]}{dt} - 2\tilde M\frac{d\tilde M}{dt}",
     sp.expand(dE2_ito - 2 * M_free * dM_ito),
     latex(sp.collect(dQ_ito, theta)) + r"\quad(E[x^2] = \tilde Q + \tilde M^2)")

# %% [markdown]
# **Integrating factors.** A linear ODE $y' = -a(u)\,y + f(u)$ becomes $(Iy)' = If$ when multiplied by
# $I = \exp\int a\,du$, since $I' = aI$. The exercises use this rule with an $a$ that varies with $u$.
#
# **The mean.** Divided by $\theta_t = du/dt$, the mean's ODE is $d\tilde M/du = \mu - \tilde M$: the rule with
# $y = \tilde M - \mu$, $a = 1$ and $f = 0$. So $e^{u}(\tilde M - \mu)$ stays equal to its start value $\pi$
# ($\tilde M = x_0 = \mu + \pi$ at $u = 0$), and SymPy solves that for $\tilde M$. The variance comes more directly
# from Itô's isometry, below (appendix A solves its ODE):

# %%
M_of = sp.Function(r"\tilde{M}")(u)
if_step = sp.diff(sp.exp(u) * (M_of - mu), u)
show(r"\frac{d}{du}\big(e^{u}(\tilde M - \mu)\big)", if_step,
     latex(sp.simplify(if_step.subs(sp.Derivative(M_of, u), mu - M_of))) + r"\quad\text{(with } d\tilde M/du = \mu - \tilde M)")
constant_product = sp.Eq(sp.exp(u) * (M_free - mu), pi)
(mean_if,) = sp.solve(constant_product, M_free)
show(latex(constant_product) + r"\ \Rightarrow\ \tilde M", mean_if)

# %% [markdown]
# **Variance by Itô's isometry.** The same integrating factor applied to the state itself: with (2), the change of
# $e^{u}(x - \mu)$ has three terms:
#
# - the factor's change times the distance, $e^{u}du\,(x - \mu)$;
# - the factor times the state's change, $e^{u}dx$;
# - the product of the two changes, $e^{u}du\,dx$, which is 0 by Itô's rules ($du^2 = du\,dW = 0$: the factor
#   $e^{u}$ has no noise of its own).
#
# Below, the product rule (first line), each term expanded (second), Itô's rules applied (third), the sum (fourth):

# %%
du_, dW = sp.symbols(r"du dW")  # the clock's differential and its Brownian increment
e_u = sp.Symbol("e^{u}", positive=True)  # the integrating factor, one symbol for the display
tex_u = lambda expr: ou_lesson.differentials_tex(expr, du_, dW)  # noqa: E731  (du and dW written last)
dx_clock = (mu - x) * du_ + sp.sqrt(2 * lam) * pi * dW
terms = (e_u * du_ * (x - mu), e_u * dx_clock, e_u * du_ * dx_clock)  # factor's change, state's change, product
product = ito(sum(terms), du_, dW)
show(r"d\big(e^{u}(x - \mu)\big)", r"e^{u}du\,(x - \mu) + e^{u}dx + e^{u}du\,dx",
     " + ".join(r"\big[" + tex_u(term) + r"\big]" for term in terms),
     " + ".join(r"\big[" + tex_u(ito(term, du_, dW)) + r"\big]" for term in terms) + r"\quad(du^2 = du\,dW = 0)",
     tex_u(product))

# %% [markdown]
# The drift has cancelled: $e^{u}(x - \mu)$ changes only by noise. Integrating from $0$ to $u$ (with $r$ the
# integration variable) and multiplying by $e^{-u}$ gives
#
# $$x_t - \mu = e^{-u}\pi + \sqrt{2\lambda}\,\pi\int_0^{u} e^{-(u-r)}\,dW_r . \tag{3}$$
#
# The first term is fixed given $x_0$: it is $\tilde M - \mu$, as above. The variance of the stochastic integral is
# the integral of its squared integrand (Itô's isometry). Below, $\tilde Q$ and its limit as the clock grows:

# %%
r = sp.Symbol("r", positive=True)  # the integration variable
integrand = (sp.exp(-(u - r)) * sp.sqrt(2 * lam) * pi) ** 2
var_ito = sp.integrate(integrand, (r, 0, u))
show(r"\tilde Q", sp.Integral(integrand, (r, 0, u)), sp.expand(var_ito))
limit(var_ito, u, sp.oo, lam * pi ** 2, lhs=r"\lim_{u\to\infty} \tilde Q")

# %% [markdown]
# The variance tends to $\lambda\pi^2$, so $\lambda$ is the *stationary* variance per unit $\pi^2$ (a variance, not a
# standard deviation).
#
# **The transition kernel.** The clock SDE (2) does not contain $u$ itself. So the process started at a state $x_s$
# at an earlier time $s$ moves over the clock lag $\tau = \bar\theta_t - \bar\theta_s$ as the process above moves
# over $u$, with $x_s$ in place of $x_0$ in the mean; the noise factor $\pi$ stays the residual of the pixel. The
# kernel is Gaussian, with mean $k_\tau$ and variance $v_\tau$:
#
# $$p(x_t\mid x_s) = \mathcal N(k_\tau, v_\tau),\qquad k_\tau = \mu + e^{-\tau}(x_s - \mu),\qquad
# v_\tau = \lambda(1 - e^{-2\tau})\pi^2 . \tag{4}$$
#
# The cell defines them as functions of the lag; section 2 uses them from $x_t = x$ over the lag
# $\tau = \bar\theta_{t:T}$.

# %%
tau = sp.Symbol("tau", positive=True)  # a clock lag
E_TAU = {tau: sp.Symbol(r"\mathcal{E}", positive=True)}  # E = e^tau: simplifications treat e^tau as one letter
k_tau = lambda lag, start: mu + sp.exp(-lag) * (start - mu)  # noqa: E731  (the mean of (4), from x_s = start)
v_tau = lambda lag: lam * (1 - sp.exp(-2 * lag)) * pi ** 2  # noqa: E731  (the variance of (4))

# %% [markdown]
# ## 2. Doob's h-transform: conditioning on $x_T = \mu$
#
# How likely is a path now at $x$ to end at $\mu$? The answer is the density of the end point $x_T$ at $\mu$,
#
# $$h(x, t) = p(x_T = \mu \mid x_t = x), \tag{5}$$
#
# the kernel (4) from $x$ over the lag $\tau = \bar\theta_{t:T}$, evaluated at $\mu$: a Gaussian density in $\mu$
# with mean $k_\tau = \mu + e^{-\tau}(x - \mu)$ and variance $v_\tau$.
#
# **The picture of $h$.** Below, $h(x, t)$ for the degraded pixel of section 0, normalised to 1 in each column $t$
# (only its shape in $x$ matters for the drift, which depends on $\partial_x \log h$).
#
# - Early on $h$ is broad: from almost anywhere a path can still reach $\mu$. Towards $T$ it narrows onto $\mu$.
# - The grey streamlines follow the conditioned drift that this section derives, $\theta_t\coth(\bar\theta_{t:T})
#   (\mu - x)$ in (9): up the slope of $h$, ever more steeply as $T$ approaches.
# - Blue: five bridge paths of section 0; dashed: $\mu$.

# %%
t_grid = torch.linspace(0.0, 0.995, 200, dtype=torch.float64)
x_grid = torch.linspace(-1.0, 0.8, 181, dtype=torch.float64)
TT, XX = torch.meshgrid(t_grid, x_grid, indexing="xy")
TO_GO = sch.clock_to_end(t_grid)[None, :].expand_as(TT)  # thbar_{t:T} at every point of the picture
h_variance = LAM * (1 - torch.exp(-2 * TO_GO)) * PI_DEG ** 2  # v: the variance of x_T given x_t
h_cols = torch.exp(-(torch.exp(-TO_GO) * (XX - MU_DEG)) ** 2 / (2 * h_variance))  # h / its maximum over x
drift = float(sch.theta(torch.tensor(0.5))) / torch.tanh(TO_GO) * (MU_DEG - XX)  # dx/dt of the bridge, theta_t = 2

fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
im = ax.pcolormesh(TT, XX, h_cols, cmap="viridis", shading="auto", alpha=0.75)
fig.colorbar(im, ax=ax, label=r"$h(x, t)$ / its column maximum (dimensionless)")
ax.streamplot(TT.numpy(), XX.numpy(), torch.ones_like(TT).numpy(), drift.numpy(), color="0.3", density=0.8,
              linewidth=0.7, arrowsize=0.8)
path_lines = ax.plot(ts, PATHS["bridge"][:, :5, 0], color=DEGRADED, lw=1.0, zorder=4,
                     path_effects=[patheffects.withStroke(linewidth=2.2, foreground="w")])  # white edge: visible
path_lines[0].set_label("five bridge paths (section 0)")
ax.axhline(MU_DEG, color=MU_LINE, ls="--", lw=2, zorder=5, label=r"$\mu$",
           path_effects=[patheffects.withStroke(linewidth=3, foreground="w")])  # above the streamlines
ax.plot([], [], color="0.3", lw=0.7, label="conditioned drift (streamlines)")
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
# Over one step $\delta = x' - x$ is small (of order $\sqrt{\Delta t}$), so to first order
# $\log h(x', t + \Delta t) = \log h(x, t + \Delta t) + \ell\,\delta$, with $\ell = \partial_x\log h$. In the
# exponent, completing the square in $\delta$:
#
# $$-\frac{(\delta - b\Delta t)^2}{2g_t^2\Delta t} + \ell\,\delta
# = -\frac{(\delta - b\Delta t - g_t^2\ell\,\Delta t)^2}{2g_t^2\Delta t} + \text{(terms free of } x'),$$
#
# so the tilt shifts the mean by $g_t^2\ell\,\Delta t$ and leaves the variance $g_t^2\Delta t$ (first two lines below).
# The second-order term of $\log h$, $-\kappa\,\delta^2/2$ with $\kappa = -\partial_{xx}\log h$, changes the variance
# only at order $\Delta t^2$ (last line), which vanishes per unit time as $\Delta t \to 0$.

# %%
x_next, b, ell1 = sp.symbols(r"x' b \ell", real=True)  # the next state, the free drift at x, the gradient of log h
Dt, g_step, kappa = sp.symbols(r"\Delta{t} g_t \kappa", positive=True)  # the step, g_t, -d_xx log h
log_step = -(x_next - x - b * Dt) ** 2 / (2 * g_step ** 2 * Dt)  # log p(x' | x), up to a constant
step_mean, step_var = complete_square(log_step + ell1 * (x_next - x), x_next)
show(r"E[x'\mid x, x_T = \mu]", latex(x) + " + " + latex(sp.collect(sp.expand(step_mean - x), Dt)))
show(r"\mathrm{Var}[x'\mid x, x_T = \mu]", step_var)
_, var_curved = complete_square(log_step + ell1 * (x_next - x) - kappa * (x_next - x) ** 2 / 2, x_next)
show(r"\mathrm{Var}[x'\mid x, x_T = \mu]\ \text{(with the term } -\kappa\,\delta^2/2)", sp.factor(var_curved),
     latex(sp.series(var_curved, Dt, 0, 3).removeO()) + r" + O(\Delta t^3)")

# %% [markdown]
# So per unit time the conditioned process has the drift $b + g_t^2\,\partial_x\log h$ and the same noise:
#
# $$dx_t = \big[\theta_t(\mu - x_t) + g_t^2\,\partial_x\log h(x_t, t)\big]\,dt + g_t\,dw_t . \tag{6}$$
#
# **The same, exactly (optional).** The conditioned process acts on a test function $\varphi(x, t)$ through
# $h^{-1}(\partial_t + \mathcal A_t)(h\varphi)$, where $\mathcal A_t = \theta_t(\mu - x)\partial_x +
# \tfrac12 g_t^2\partial_{xx}$ is the free process's generator. The product rule gives
#
# $$\frac{(\partial_t + \mathcal A_t)(h\varphi)}{h} = (\partial_t + \mathcal A_t)\varphi
# + g_t^2\,\partial_x\log h\;\partial_x\varphi + \varphi\,\frac{(\partial_t + \mathcal A_t)h}{h} . \tag{7}$$
#
# The last term is 0 because $h$ solves the backward Kolmogorov equation
#
# $$\partial_t h + \mathcal A_t h = 0\qquad\text{on } [0, T) : \tag{8}$$
#
# by the tower property $h(x_t, t)$ is a martingale under the free process, so by Itô's formula its $dt$ part
# vanishes. What is left of (7) is the generator of the diffusion (6). Appendix A verifies (8) for this $h$.
#
# **The drift, step by step:** $\log h$ (up to a constant free of $x$), its gradient, and the gradient times $g_t^2$.

# %%
h_var = v_tau(tau)  # Var[x_T | x_t = x] over the lag tau = thbar_{t:T}
L_h = -(mu - k_tau(tau, x)) ** 2 / (2 * h_var)  # L_h = log h, up to a constant free of x
show(r"L_h = \log h(x, t)", latex(L_h) + r" + \text{const}")
grad = sp.diff(L_h, x)
show(r"\partial_x \log h", readable(grad, E_TAU))
g2_grad = g2_t * grad
show(r"g_t^2\,\partial_x \log h = 2\lambda\theta_t\pi^2\,\partial_x \log h", readable(g2_grad, E_TAU))

# %% [markdown]
# The $\pi^2$ of $g_t^2$ meets the $\pi^2$ of the kernel's variance and cancels: the last line has no $\pi$ and no
# $\lambda$ left, so the added drift does not depend on $\pi$ at all.
#
# - At an intact pixel ($\pi = 0$) $h$ itself is degenerate, but this $\pi$-free drift extends to it continuously.
#   There the noise is 0 and the drift is 0 at $x = \mu$, so $x$ stays at $x_0 = \mu$.
# - Adding the free drift $\theta_t(\mu - x)$, the factor in front of $\theta_t(\mu - x)$ is, by hand (the last step
#   divides the numerator and the denominator by $e^{\tau}$):
#
# $$1 + \frac{2}{(e^{\tau} - 1)(e^{\tau} + 1)} = \frac{e^{2\tau} + 1}{e^{2\tau} - 1}
# = \frac{e^{\tau} + e^{-\tau}}{e^{\tau} - e^{-\tau}} = \coth\tau .$$
#
# With $\tau = \bar\theta_{t:T}$, the bridge SDE is
#
# $$dx_t = \theta_t\coth(\bar\theta_{t:T})(\mu - x_t)\,dt + \sqrt{2\lambda\theta_t}\,\pi\,dw_t . \tag{9}$$
#
# Near $T$, $\coth(\bar\theta_{t:T}) \approx 1/\bar\theta_{t:T}$ grows without bound and pulls every path into $\mu$:
# the steepening streamlines of the picture of $h$. Per unit clock it is the drift $\coth(\bar\theta_{t:T})(\mu - x)$
# of section 0's loop.

# %% [markdown]
# ## 3. $\Theta_t$ and $\Sigma_t$ appear
#
# The bridge SDE (9) is linear with additive noise, so $x_t$ given $x_0$ is Gaussian. Write its mean and standard
# deviation as
#
# $$E[x_t\mid x_0] = \mu + \Theta_t\pi,\qquad \mathrm{std}[x_t\mid x_0] = \Sigma_t|\pi| . \tag{10}$$
#
# These two numbers per time are the **bridge coefficients** on which every later notebook rests; exercises 01.1 and
# 01.2 derive them. Here they are estimated from the 4000 bridge paths of section 0 (degraded pixel):
# $\hat\Theta_t = (\bar x_t - \mu)/\pi$ and $\hat\Sigma_t = \hat\sigma_t/|\pi|$, with $\bar x_t$ and $\hat\sigma_t$
# the sample mean and standard deviation of $x_t$. Green: the free process's coefficients of section 1,
# $e^{-\bar\theta_t}$ and $\sqrt{\lambda(1 - e^{-2\bar\theta_t})}$. The printed numbers carry one standard error.

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
print(f"one step's noise per unit pi, sqrt(2 lam Delta u) = {(2 * LAM * delta_u) ** 0.5:.4f}")

# %% [markdown]
# - $\hat\Theta_t$ starts at 1 (every path starts at $x_0 = \mu + \pi$) and falls to 0 at $T$ (printed:
#   0.0002 ± 0.0004), where the free process still keeps $e^{-2} = 0.135$ of the residual. Away from the start it lies
#   below the free curve: at $t = 0.5$, 0.3259 ± 0.0031 against 0.368, more than ten standard errors apart.
# - $\hat\Sigma_t$ starts at 0 and rises like the free process's spread, a little below it at $t = 0.5$
#   (0.1956 ± 0.0022 against 0.208, more than five standard errors apart). Then the pin squeezes it back: 0.0226 ±
#   0.0003 at $T$ against the free 0.222. It is not 0 there because the last step, after its drift has put the path
#   on $\mu$, adds its own noise, $\sqrt{2\lambda\,\Delta u} = 0.0224$ per unit $|\pi|$.

# %% [markdown]
# ## 4. The discrete grid used from notebook 02a on (needed for exercise 01.3)
#
# The library and the paper work on a grid of indices $i$. RDBM's reference grid (`schedules.reference(100)`) takes
# the cosine "betas" of improved DDPM, clamped at 0.999, as the rates $\theta_i$, $i = 0, \dots, 99$, and the clock
# $\bar\theta_i = \sum_{j \le i}\theta_j$. A schedule object gives $\bar\theta_i$ as `schedule.clock(i)`,
# $\bar\theta_{i:T} = \bar\theta_T - \bar\theta_i$ as `schedule.clock_to_end(i)` and $\bar\theta_T$ as
# `schedule.u_T`.
#
# - **The virtual clean index $-1$.** Already $\bar\theta_0 = \theta_0 > 0$, so the clean point ($\bar\theta = 0$,
#   $x = x_0$) is not on the grid: it is the index $-1$.
# - **The last index** $i_T = 99$ (`schedule.t_T`) is the end time $T$, where $\bar\theta_{i_T:T} = 0$.
# - **Only the clock matters.** Divided by $\theta_t$, the bridge SDE (9) has no $\theta_t$ left, so on the grid
#   $\Theta$ and $\Sigma$ at index $i$ are the continuous ones at the clock values $\bar\theta_i$ and $\bar\theta_T$.
#
# Top: the rates, on a log scale. Bottom: the clock, from 0 at the index $-1$ to $\bar\theta_T$.

# %%
rs = schedules.reference(100)  # RDBM's reference grid
idx = rs.times()  # -1 (virtual clean index), 0, ..., 99
theta_i, clock_i = rs.theta, rs.clock(idx)  # theta_0 ... theta_99; the clock at -1, 0, ..., 99
coth_i = 1 / torch.tanh(rs.clock_to_end(idx[:-1]))  # the bridge's drift factor coth(thbar_{i:T}) before i_T

fig, axes = plt.subplots(2, 1, figsize=(7.5, 6.5), sharex=True, layout="constrained")
axes[0].semilogy(torch.arange(len(theta_i)), theta_i, marker=".", ms=3, color=GRID)
axes[0].set_title(r"rates $\theta_i$ (cosine betas, clamped at 0.999; log scale)", fontsize=11)
axes[0].set_ylabel(r"$\theta_i$ (clock units per index)")
axes[0].annotate(rf"$\theta_{{99}}$ = {float(theta_i[-1]):.3f}", (99, float(theta_i[-1])), xytext=(55, 0.3),
                 arrowprops=dict(arrowstyle="->"), fontsize=10)
axes[1].plot(idx, clock_i, marker=".", ms=3, color=GRID)
axes[1].plot([-1], [0.0], "o", color=CLEAN, label=r"virtual clean index $-1$: $\bar\theta = 0$")
axes[1].annotate("", xy=(101, float(clock_i[-1])), xytext=(101, float(clock_i[-2])),
                 arrowprops=dict(arrowstyle="<->", lw=1.2))
axes[1].annotate(rf"last step $\bar\theta_T - \bar\theta_{{98}}$ = {float(clock_i[-1] - clock_i[-2]):.3f}",
                 (100, float(clock_i[-2] + clock_i[-1]) / 2), xytext=(45, 4.5), arrowprops=dict(arrowstyle="->"),
                 fontsize=10)
axes[1].set_xlim(-3, 104)
axes[1].set_title(rf"clock $\bar\theta_i$ ($\bar\theta_T$ = {rs.u_T:.3f})", fontsize=11)
axes[1].set_ylabel(r"$\bar\theta_i$ (clock units)")
axes[1].set_xlabel("grid index $i$")
axes[1].legend(fontsize=9, loc="upper left")
plt.show()
print(f"the last step, theta_99 = {float(theta_i[-1]):.3f}, is {100 * float(theta_i[-1]) / rs.u_T:.1f} % of "
      f"thbar_T = {rs.u_T:.3f}")
print(f"largest coth(thbar_{{i:T}}) before i_T: {float(coth_i.max()):.2f}, at index {int(idx[:-1][coth_i.argmax()])}")

# %% [markdown]
# The last step is the largest, 12.7 % of $\bar\theta_T = 7.879$, because the cosine betas rise steeply at the end.
# No grid point lies inside it, so the blow-up of $\coth$ near $T$ is never evaluated on the grid: before $i_T$ the
# bridge's drift factor is at most $\coth(0.999) = 1.31$, at index 98.

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/01_ou_and_h_transform_solutions.ipynb`.
#
# - 01.1 and 01.2 are graded on your **steps**: hand in a Python `dict` whose values are SymPy expressions, one per
#   step (a final formula alone is refused). The first step repeats section 1's computation with the bridge's drift;
#   the integrating factor and the integration are the work.
# - Use the symbols imported at the top: `x`, `mu`, `pi`, `lam`, `u` $= \bar\theta_t$ and `c` $= \bar\theta_T$ (so
#   $\bar\theta_{t:T}$ is `c - u`), and `M`, `Q` of the cell of 01.1, the mean and the variance of the *bridge* given
#   $x_0$. They are real symbols; a fresh `sp.Symbol("M")` is a different symbol to SymPy.
#
# **01.1 (derive, by the mean ODE).** Per unit clock (divide (9) by $\theta_t$, as section 1 did for the free
# process) the bridge SDE is $dx = \coth(\bar\theta_{t:T})(\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$. Its mean
# $M = E[x_t\mid x_0]$ starts at $M = x_0 = \mu + \pi$ at $u = 0$, and $M = \mu + \Theta_t\pi$ defines $\Theta_t$.
# Derive $\Theta_t$ in three steps:
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
# under the same bridge SDE per unit clock, with $Q = 0$ at $u = 0$. Derive $\Sigma_t^2 = Q/\pi^2$ in three steps:
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
# (10) (capital theta, not the rates `schedule.theta`) as a float64 tensor shaped like `t`, a tensor of grid indices
# of a discrete schedule (section 4). Build it from the clock alone: `schedule.clock(t)`, `schedule.clock_to_end(t)`
# $= \bar\theta_{i:T}$ and `schedule.u_T` $= \bar\theta_T$; the library's own closed forms are refused. It is
# checked at every index from $-1$ to $i_T$ (where $\Theta = 0$) of four grids:
#
# - RDBM's reference grid of section 4;
# - a grid with another clock (that of GOUB, a method of notebook 03), built by the checker;
# - a grid with constant $\theta$ of a size not given here (do not hard-code $N$);
# - a grid with constant $\theta$ and $\bar\theta_T = 1000$, where your function must still return finite values.
#   Hint: $\sinh z$ overflows float64 from $z \approx 710$ on; rewrite your $\Theta_t$ with exponentials of arguments
#   that are never positive.
#
# The schedule `rs` of section 4 is in scope, to try your function on.

# %%
answer_01_3 = ...  # a function theta_on_grid(schedule, t) -> tensor shaped like t
check("01.3", answer_01_3)

# %% [markdown]
# ## 5. After the exercises: the closed form against the simulation (optional)
#
# *Read this after exercises 01.1 and 01.2: it states their results.* The bridge coefficients of (10) are
#
# $$\Theta_t = \frac{\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T},\qquad
# \Sigma_t^2 = \frac{2\lambda\,\sinh\bar\theta_t\,\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T} . \tag{11}$$
#
# The cell checks that $M = \mu + \Theta_t\pi$ and $Q = \Sigma_t^2\pi^2$ solve the moment ODEs of 01.1 and 01.2 and
# start at $\Theta = 1$, $\Sigma^2 = 0$; the figure draws (11) over the simulated coefficients of section 3.

# %%
Theta_11 = sp.sinh(c - u) / sp.sinh(c)  # (11), with thbar_{t:T} = c - u
Sigma2_11 = 2 * lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)
M_11, Q_11 = mu + Theta_11 * pi, Sigma2_11 * pi ** 2
show(r"\frac{dM}{du} - \coth(\bar\theta_{t:T})(\mu - M)", zero(sp.diff(M_11, u) - sp.coth(c - u) * (mu - M_11)))
show(r"\frac{dQ}{du} + 2\coth(\bar\theta_{t:T})\,Q - 2\lambda\pi^2",
     zero(sp.diff(Q_11, u) + 2 * sp.coth(c - u) * Q_11 - 2 * lam * pi ** 2))
show(r"\big(\Theta_t, \Sigma_t^2\big)\ \text{at}\ u = 0", sp.Tuple(Theta_11.subs(u, 0), Sigma2_11.subs(u, 0)))

# %%
left_t = sch.clock_to_end(ts)  # thbar_{t:T}
closed = {"Theta": torch.sinh(left_t) / math.sinh(THBAR_T),
          "Sigma": (2 * LAM * torch.sinh(u_t) * torch.sinh(left_t) / math.sinh(THBAR_T)).sqrt()}
CLOSED_TEX = {"Theta": r"$\sinh\bar\theta_{t:T}/\sinh\bar\theta_T$",
              "Sigma": r"$\sqrt{2\lambda\sinh\bar\theta_t\sinh\bar\theta_{t:T}/\sinh\bar\theta_T}$"}
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True, layout="constrained")
for ax, (name, hat) in zip(axes, (("Theta", Theta_hat), ("Sigma", Sigma_hat))):
    ax.plot(ts, hat, color=DEGRADED, lw=2.5, alpha=0.6, label=rf"simulated $\hat\{name}_t$")
    ax.plot(ts, closed[name], "k--", lw=1, label="(11): " + CLOSED_TEX[name])
    ax.set_ylabel(rf"$\{name}_t$ (dimensionless)")
    ax.set_xlabel(TIME)
    ax.set_title(rf"$\{name}_t$: simulated and closed form", fontsize=11)
    ax.legend(fontsize=9, loc="upper right" if name == "Theta" else "lower center")
plt.show()

# %% [markdown]
# The simulated coefficients lie on (11) at the scale of the plot. What is left is Monte Carlo noise (within 2.9
# standard errors of the scheme's exact moments at every time) and a bias of the finite step of order $\Delta u$ away
# from $T$: at most $0.167\,\Delta u$ in $\Theta$ and $0.180\,\Delta u$ in $\Sigma$ for $t \le 0.9$, halved when the
# step is halved (appendix B).

# %% [markdown]
# ## Appendix A. Second derivations and the Kolmogorov equations (optional)
#
# Each display here ends with a line "= 0" that is asserted (appendix B says how).
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
# and $\tilde Q = \lambda(1 - e^{-2\bar\theta_t})\pi^2$ solve the moment ODEs of section 1 *in $t$*. SymPy
# differentiates $\bar\theta_t$ as a function of $t$ ($d\bar\theta_t/dt = \theta_t$), then writes the results with
# $u$ again:

# %%
thbar = sp.Function("thbar")(t)  # the clock as a function of t, to differentiate; then the symbol u = thbar_t
M_t, Q_t = k_tau(thbar, mu + pi), v_tau(thbar)  # the kernel (4) from x_0 = mu + pi over the lag thbar_t
dM_dt = sp.diff(M_t, t).subs(sp.Derivative(thbar, t), theta).subs(thbar, u)
dQ_dt = sp.diff(Q_t, t).subs(sp.Derivative(thbar, t), theta).subs(thbar, u)
M_u, Q_u = M_t.subs(thbar, u), Q_t.subs(thbar, u)
ou_lesson.difference(r"\frac{d\tilde M}{dt} - \theta_t(\mu - \tilde M)", dM_dt, theta * (mu - M_u))
vanishes(r"\frac{d\tilde Q}{dt} - \big(-2\theta_t \tilde Q + 2\lambda\theta_t\pi^2\big)",
         dQ_dt - (-2 * theta * Q_u + 2 * lam * theta * pi ** 2))

# %% [markdown]
# **A.3 The kernel (4) solves the Fokker–Planck equation**
# $\partial_\tau p = -\partial_x\big((\mu - x)p\big) + \lambda\pi^2\,\partial_{xx}p$. Divided by $p$ and written with
# $L_p = \log p$ (up to a constant free of $x$ and $\tau$), that is
#
# $$R_p \equiv \partial_\tau L_p - 1 + (\mu - x)\,\partial_x L_p - \lambda\pi^2\big(\partial_{xx}L_p + (\partial_x L_p)^2\big)
# = 0 . \tag{A1}$$
#
# The cell shows $L_p$ and $R_p$ power by power of $x - k_\tau$, each power's terms over one denominator. (Appendix B
# also asserts that a lag $\tau_1$, then a lag $\tau_2$, is one lag $\tau_1 + \tau_2$: Chapman–Kolmogorov.)

# %%
L_p = -(x - k_tau(tau, xs)) ** 2 / (2 * v_tau(tau)) - sp.log(v_tau(tau)) / 2  # + a constant, free of x and tau
show(r"L_p = \log p(x_t = x \mid x_s)", latex(L_p) + r" + \text{const}")
Lx, Lxx = sp.diff(L_p, x), sp.diff(L_p, x, 2)
vanishes_by_powers("R_p", {r"\partial_\tau L_p": sp.diff(L_p, tau), "-1": sp.Integer(-1),
                           r"(\mu - x)\partial_x L_p": (mu - x) * Lx, r"-\lambda\pi^2\partial_{xx} L_p": -lam * pi ** 2 * Lxx,
                           r"-\lambda\pi^2(\partial_x L_p)^2": -lam * pi ** 2 * Lx ** 2},
                   x, k_tau(tau, xs), r"(x - k_\tau)", gens=E_TAU, common_denominator=True)

# %% [markdown]
# **A.4 $h$ solves the backward Kolmogorov equation (8).** Per unit clock, $\partial_u = -\partial_\tau$ over the lag
# $\tau = \bar\theta_{t:T}$ (the clock still to go shrinks as $u$ grows). Divided by $h$ and written with
# $L_h = \log h$, now with its term $-\tfrac12\log v_\tau$ (free of $x$, not of the clock), (8) reads
#
# $$R_h \equiv -\partial_\tau L_h + (\mu - x)\,\partial_x L_h
# + \lambda\pi^2\big(\partial_{xx}L_h + (\partial_x L_h)^2\big) = 0 . \tag{A2}$$
#
# The cell shows $R_h$ power by power of $x - \mu$.

# %%
L_h_full = L_h - sp.log(h_var) / 2  # log h, up to a constant free of x and of the clock
Hx, Hxx = sp.diff(L_h_full, x), sp.diff(L_h_full, x, 2)
vanishes_by_powers("R_h", {r"-\partial_\tau L_h": -sp.diff(L_h_full, tau),
                           r"(\mu - x)\partial_x L_h": (mu - x) * Hx, r"\lambda\pi^2\partial_{xx} L_h": lam * pi ** 2 * Hxx,
                           r"\lambda\pi^2(\partial_x L_h)^2": lam * pi ** 2 * Hx ** 2},
                   x, mu, r"(x - \mu)", gens=E_TAU, absent_in_words=True, common_denominator=True)

# %% [markdown]
# ## Appendix B. Checks (may be skipped)
#
# These cells tie the text to the outputs: every number the text quotes is asserted here, and so is every step
# displayed without a "= 0" line. `FAST=1` (the course's test mode) simulates 400 paths of 200 steps: it prints other
# numbers and skips the asserts of the quoted ones.
#
# - **Helpers.** `show` displays an equation, one step per line; `readable` writes an expression as one factored
#   fraction; `ou_lesson.ito` applies Itô's rules and `ou_lesson.differentials_tex` writes the differentials last.
#   `vanishes`, `vanishes_by_powers` and `ou_lesson.difference` display a residual and assert that it is 0: written
#   with its exponentials as letters ($U = e^{u}$, $\mathcal E = e^{\tau}$, ...), it is a fraction of polynomials,
#   which SymPy decides to be 0 by cancelling (`zero`).
# - **Monte Carlo.** One threshold, 4 standard errors: a correct simulation fails one number with probability
#   $6.3\times10^{-5}$ (printed below), and section 5's 800 numbers together with probability at most 5.1 %.
# - **Sections 0 and 5.** The loop is compared with `ou_lesson.simulate_paths` (the library's bridge drift), and the
#   simulation with the scheme's exact moments (`ou_lesson.scheme_moments`): one Euler step maps $x - \mu$ to
#   $\rho\,(x - \mu)$ plus noise, with $\rho = 1 - \coth(\bar\theta_{t:T})\,\Delta u$, so the scheme's mean and
#   variance follow without sampling. For the free process ($\rho = 1 - \Delta u$) the mean at $T$ is
#   $(1 - \Delta u)^{400}\pi$; it splits the section 0 gap into step bias and sampling noise.
# - **Section 4.** The library's grid coefficients equal the continuous ones at the same clock (printed): a self-test
#   of the library, since both go through one formula.

# %%
# Section 0: the loop is the library's simulation; the constants; the intact pixel; the end gap; the free mean
from derivations import family  # noqa: E402  (the library's formulas, for the checks only)
from derivations.family import ou_mean, ou_var  # noqa: E402

Z_MAX = 4  # the one Monte Carlo threshold, in standard errors
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
end_rms = float(PATHS["bridge"][-1, :, 0].sub(MU_DEG).pow(2).mean().sqrt())  # the bridge's end gap: one step's noise
assert abs(end_rms / ((2 * LAM * delta_u) ** 0.5 * PI_DEG) - 1) < Z_MAX / (2 * n_paths) ** 0.5, end_rms
free_mean = float(free_end.mean())
free_mean_em = (1 - delta_u) ** n_steps * PI_DEG  # the scheme's exact free mean of x_T - mu
bias_se, noise_se = (free_exact - free_mean_em) / free_se, (free_mean_em - free_mean) / free_se
print(f"free mean at T: closed form {free_exact:.4f}, scheme's exact (1 - Delta u)^{n_steps} pi = {free_mean_em:.4f}, "
      f"simulated {free_mean:.4f} ± {free_se:.4f}: step bias {bias_se:.1f}, sampling noise {noise_se:.1f} "
      f"standard errors")
assert abs(noise_se) < Z_MAX
if not FAST:  # the numbers the text quotes
    assert f"{free_mean:.3f}" == "0.106" and f"{float(free_end.std()):.3f}" == "0.176" and f"{free_se:.3f}" == "0.003"
    assert f"{(free_exact - free_mean) / free_se:.1f}" == "0.8" and f"{bias_se:.1f}" == "0.2"
    assert f"{noise_se:.1f}" == "0.6" and delta_u == 0.005
assert f"{free_exact:.3f}" == "0.108"

# %%
# Section 1: the displayed steps
assert set(sp.Poly(sp.expand(dx_ ** 2), dt, dw).monoms()) == {(2, 0), (1, 1), (0, 2)}  # the three displayed terms
assert sp.expand(ito(dx_ ** 2, dt, dw) - g_sym ** 2 * dt) == 0  # (dx)^2 = g_t^2 dt
assert sp.expand(sp.sqrt(2 * lam * theta) ** 2 * pi ** 2 - g2_t) == 0  # g_t^2 = 2 lam theta_t pi^2
assert sp.expand(dM_ito - theta * (mu - M_free)) == 0  # dM/dt = theta (mu - M)
assert sp.expand(dQ_ito - theta * (2 * lam * pi ** 2 - 2 * Q_free)) == 0  # dQ/dt = theta (2 lam pi^2 - 2 Q)
assert sp.expand(sum(terms) - (e_u * (1 + du_) * (x - mu + dx_clock) - e_u * (x - mu))) == 0  # the three terms
assert sp.expand(ito(sum(terms[:2]), du_, dW) - product) == 0  # the third term is 0 by Ito's rules
assert sp.expand(product - e_u * sp.sqrt(2 * lam) * pi * dW) == 0  # only noise is left
assert zero(ou_mean(u) - mean_if) == 0 and zero(ou_var(u) - var_ito) == 0  # the library's M and Q are section 1's
assert zero(k_tau(tau, xs) - ou_mean(tau, xs)) == 0 and zero(v_tau(tau) - ou_var(tau)) == 0  # (4) is the library's
assert r"e^{u}" in latex(sp.exp(u)) and latex(u) == "u"  # the displays print the clock as u
tau1, tau2 = sp.symbols("tau_1 tau_2", positive=True)  # Chapman-Kolmogorov: a lag tau_1, then tau_2, is tau_1 + tau_2
gens12 = {tau1: sp.Symbol("E_1", positive=True), tau2: sp.Symbol("E_2", positive=True)}
assert zero(k_tau(tau2, k_tau(tau1, xs)) - k_tau(tau1 + tau2, xs), gens12) == 0
assert zero(sp.exp(-2 * tau2) * v_tau(tau1) + v_tau(tau2) - v_tau(tau1 + tau2), gens12) == 0

# %%
# Section 2: the exponent identity, the one-step argument, the product rule (7), pi cancelling, the coth factor
delta = x_next - x
square = -(delta - b * Dt - g_step ** 2 * ell1 * Dt) ** 2 / (2 * g_step ** 2 * Dt)
assert sp.diff(sp.expand(log_step + ell1 * delta - square), x_next) == 0  # the displayed identity, up to terms free of x'
assert sp.expand(step_mean - (x + b * Dt + g_step ** 2 * ell1 * Dt)) == 0
assert sp.simplify(step_var - g_step ** 2 * Dt) == 0
assert sp.expand(sp.series(var_curved, Dt, 0, 3).removeO() - (g_step ** 2 * Dt - kappa * g_step ** 4 * Dt ** 2)) == 0
h_fn, phi_fn = sp.Function("h")(x, t), sp.Function("varphi")(x, t)


def backward_operator(F):
    """(d_t + A_t) F for the free process: d_t F + theta_t (mu - x) d_x F + g_t^2 d_xx F / 2."""
    return sp.diff(F, t) + theta * (mu - x) * sp.diff(F, x) + g2_t / 2 * sp.diff(F, x, 2)


assert sp.expand(backward_operator(h_fn * phi_fn) - (h_fn * backward_operator(phi_fn) + phi_fn * backward_operator(h_fn)
                                                    + g2_t * sp.diff(h_fn, x) * sp.diff(phi_fn, x))) == 0  # (7)
assert pi not in sp.cancel(g2_grad).free_symbols and lam not in sp.cancel(g2_grad).free_symbols
e = sp.exp(tau)
assert zero(g2_grad - 2 * theta * (mu - x) / ((e - 1) * (e + 1)), E_TAU) == 0  # the displayed added drift
hand = (1 + 2 / ((e - 1) * (e + 1)), (e ** 2 + 1) / (e ** 2 - 1), (e + 1 / e) / (e - 1 / e), sp.coth(tau))
assert all(zero(one - other, E_TAU) == 0 for one, other in zip(hand, hand[1:]))  # the hand algebra, line by line
assert zero(theta * (mu - x) + g2_grad - theta * sp.coth(tau) * (mu - x), E_TAU) == 0  # the drift of (9)

# %%
# Section 3: the ends of the estimates and the numbers the text quotes (full mode)
assert abs(float(Theta_hat[0]) - 1) < 1e-12 and float(Sigma_hat[0]) == 0.0 and abs(float(ts[half]) - 0.5) < 1e-12
if not FAST:
    quoted = {"0.0002": Theta_hat[-1], "0.0004": se_hat["Theta"][-1], "0.3259": Theta_hat[half],
              "0.0031": se_hat["Theta"][half], "0.368": free_coefficients[0][half], "0.1956": Sigma_hat[half],
              "0.0022": se_hat["Sigma"][half], "0.208": free_coefficients[1][half], "0.0226": Sigma_hat[-1],
              "0.0003": se_hat["Sigma"][-1], "0.222": free_coefficients[1][-1], "0.135": free_coefficients[0][-1],
              "0.0224": torch.tensor(2 * LAM * delta_u).sqrt()}
    assert all(f"{float(value):.{len(text) - 2}f}" == text for text, value in quoted.items()), quoted
    # "more than ten" and "more than five" standard errors apart
    assert (free_coefficients[0][half] - Theta_hat[half]) / se_hat["Theta"][half] > 10
    assert (free_coefficients[1][half] - Sigma_hat[half]) / se_hat["Sigma"][half] > 5

# %%
# Section 4: the printed numbers the text quotes, each to half a unit of its last digit; the library's self-test
assert torch.allclose(theta_i, schedules.cosine_betas(100), rtol=0, atol=1e-12) and len(theta_i) == 100  # N = 100
assert abs(float(theta_i[-1]) - 0.999) < 1e-12 and float(theta_i[-1]) == float(theta_i.max())  # the largest step
assert abs(100 * float(theta_i[-1]) / rs.u_T - 12.7) < 0.05 and abs(rs.u_T - 7.879) < 0.0005
assert abs(float(rs.clock_to_end(idx[-2:-1])) - 0.999) < 1e-12 and int(idx[-2]) == 98  # thbar_{98:T} = theta_99
assert abs(float(coth_i.max()) - 1.31) < 0.005 and int(idx[:-1][coth_i.argmax()]) == 98
assert float(clock_i[1]) == float(theta_i[0]) > 0  # thbar_0 = theta_0 > 0
assert float(clock_i[0]) == 0.0 and int(idx[0]) == -1 and int(idx[-1]) == rs.t_T == 99  # indices -1 and i_T = 99
grid_gap = ou_lesson.grid_gap_to_continuous(rs, LAM)
print(f"library self-test: grid coefficients - continuous ones at the same clock, largest {grid_gap:.1e}")
assert grid_gap < 1e-12

# %%
# Section 5: (11) solves the ODEs and is the library's; Monte Carlo against the scheme's moments; the step's bias
assert zero(sp.diff(M_11, u) - sp.coth(c - u) * (mu - M_11)) == 0
assert zero(sp.diff(Q_11, u) + 2 * sp.coth(c - u) * Q_11 - 2 * lam * pi ** 2) == 0
assert Theta_11.subs(u, 0) == 1 and Sigma2_11.subs(u, 0) == 0
assert zero(Theta_11 - family.Theta(u, c)) == 0 and zero(Sigma2_11 - family.Sigma2(u, c)) == 0
times, lib_Theta, lib_Sigma, Theta_em, Sigma_em = ou_lesson.scheme_moments(sch, LAM, n_steps)
assert torch.equal(times, ts)  # the scheme's times are the simulation's
assert torch.allclose(lib_Theta, closed["Theta"], rtol=0, atol=1e-12)
assert torch.allclose(lib_Sigma, closed["Sigma"], rtol=0, atol=1e-12)
se_em = {"Theta": Sigma_em / n_paths ** 0.5, "Sigma": Sigma_em / (2 * n_paths) ** 0.5}  # standard errors (0 at t = 0)
z_max = {"Theta": float(((Theta_hat - Theta_em)[1:] / se_em["Theta"][1:]).abs().max()),
         "Sigma": float(((Sigma_hat - Sigma_em)[1:] / se_em["Sigma"][1:]).abs().max())}
tail = float(sp.erfc(Z_MAX / sp.sqrt(2)))  # P(|Z| > 4) for one standard normal Z
gaps, gaps_half = ou_lesson.step_gaps(sch, LAM, n_steps), ou_lesson.step_gaps(sch, LAM, 2 * n_steps)
print(f"Monte Carlo: threshold {Z_MAX} standard errors, P(|Z| > {Z_MAX}) = {tail:.1e} per number, at most "
      f"{100 * 2 * n_steps * tail:.1f} % over the {2 * n_steps} numbers below (union bound)")
print(f"  largest |simulated - scheme| / standard error: Theta {z_max['Theta']:.1f}, Sigma {z_max['Sigma']:.1f}")
print(f"step: largest |scheme - (11)| / Delta u: Theta {gaps['Theta'] / delta_u:.3f}, Sigma {gaps['Sigma'] / delta_u:.3f}"
      f" (t <= 0.9); with the step halved, {gaps_half['Theta'] / gaps['Theta']:.2f} and "
      f"{gaps_half['Sigma'] / gaps['Sigma']:.2f} of these gaps")
assert z_max["Theta"] < Z_MAX and z_max["Sigma"] < Z_MAX
assert gaps["Theta"] < 0.2 * delta_u and gaps["Sigma"] < 0.2 * delta_u  # of order Delta u
assert abs(gaps_half["Theta"] / gaps["Theta"] - 0.5) < 0.02 and abs(gaps_half["Sigma"] / gaps["Sigma"] - 0.5) < 0.02
# at T the scheme's spread is one step's noise (relative excess below 1e-6), the simulation's within 4 standard errors
assert abs(float(Sigma_em[-1]) / (2 * LAM * delta_u) ** 0.5 - 1) < 1e-6
assert abs(float(Sigma_hat[-1] / Sigma_em[-1]) - 1) < Z_MAX / (2 * n_paths) ** 0.5
assert abs(tail - 6.3e-5) < 0.05e-5 and n_paths == (400 if FAST else 4000)
if not FAST:  # the numbers the text quotes
    quoted = {"2.9": z_max["Theta"], "0.167": gaps["Theta"] / delta_u, "0.180": gaps["Sigma"] / delta_u,
              "0.50": gaps_half["Theta"] / gaps["Theta"], "5.1": 100 * 2 * n_steps * tail}
    assert all(f"{float(value):.{len(text.split('.')[1])}f}" == text for text, value in quoted.items()), quoted
    assert f"{gaps_half['Sigma'] / gaps['Sigma']:.2f}" == "0.50" and 2 * n_steps == 800
