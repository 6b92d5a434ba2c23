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
# exactly (integrating factor, Ito isometry), and how conditioning it to end at the degraded image
# `mu` (Doob's h-transform) turns its drift into `theta coth(thbar_{t:T}) (mu - x)` — with the
# residual `pi^2` cancelling on the way.
#
# **Prerequisites.** Itô's formula, Gaussian densities, the notation of `docs/theory.md`
# §1–3 (eqs. 1.1–3.7). Every result below is *derived* by SymPy (`derivations` package) and *asserted*.
#
# Full-mode wall time: 11 s on a 2-core CPU (`FAST=1`: 10 s; `benchmarks/notebook_times.py`).

# %%
import os

import matplotlib.pyplot as plt
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family, hbridge, ou
from derivations.common import c, lam, pi, readable, theta, u, x, xs
from rdbm_core import ResidualPath, bridges, schedules

FAST = os.environ.get("FAST") == "1"
sp.init_printing()


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text (or a SymPy object), ``rhs`` a SymPy expression."""
    display(Math((lhs if isinstance(lhs, str) else sp.latex(lhs)) + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 1. The forward SDE, in the clock `u = thbar_t`
#
# $$dx_t = \theta_t(\mu - x_t)\,dt + \sqrt{2\lambda\theta_t}\,\pi\,dw_t,\qquad \pi = x_0 - \mu .$$
#
# Writing $u = \bar\theta_t = \int_0^t\theta_s ds$ ($du = \theta_t dt$) makes it autonomous:
# $dx = (\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$. Itô's formula on $x$ and $x^2$ gives the moment ODEs
# (in $t$):

# %%
dm, dv = ou.moment_odes()
show(r"m'", sp.factor(dm))
show(r"v'", sp.collect(dv, theta))

# %% tags=["nbval-check-output"]
assert ou.check_moment_odes() == 0
print(ou.check_moment_odes())

# %% [markdown]
# **Mean by the integrating factor.** With $y = x - \mu$: $\frac{d}{d\tau}\big(e^{\tau}(m-\mu)\big) = 0$
# over a clock lag $\tau = \bar\theta_{s:t}$, so $m = \mu + e^{-\tau}(x_s - \mu)$; `dsolve` agrees.

# %%
show(r"m", ou.mean_by_integrating_factor())

# %% tags=["nbval-check-output"]
assert ou.check_mean_integrating_factor() == 0
print(ou.check_mean_integrating_factor())

# %% [markdown]
# **Variance by Itô's isometry.** $y_t = e^{-\tau}y_s + \sqrt{2\lambda}\,\pi\int_0^{\tau} e^{-(\tau-r)}dW_r$, hence
# $\mathrm{Var} = \int_0^\tau 2\lambda\pi^2 e^{-2(\tau - r)}dr$:

# %%
show(r"\mathrm{Var}", sp.simplify(ou.variance_by_ito_isometry()))

# %% tags=["nbval-check-output"]
checks = [ou.check_variance_ito_isometry(), ou.check_variance_ode(), ou.check_time_change()]
assert checks == [0, 0, 0]
print(checks)

# %% [markdown]
# So the transition kernel is Gaussian,
# $p(x_t\mid x_s) = \mathcal N\big(\mu + e^{-\bar\theta_{s:t}}(x_s-\mu),\ \lambda(1-e^{-2\bar\theta_{s:t}})\pi^2\big)$,
# and from $x_0$ (`thbar_0 = 0`): $x_t\mid x_0 \sim \mathcal N(\mu + e^{-\bar\theta_t}\pi,\ \lambda(1-e^{-2\bar\theta_t})\pi^2)$.
# Three more checks: it solves the Fokker–Planck equation, composes (Chapman–Kolmogorov), and
# $\lambda$ is the *stationary variance* (not its square):

# %%
tau = ou.tau
show(r"\log p(x_t \mid x_s)", ou.kernel_logpdf(x, xs, tau))
show(r"\lim_{\tau\to\infty}\mathrm{Var}", ou.check_stationary_variance())

# %% tags=["nbval-check-output"]
checks = [ou.check_kernel_fokker_planck(), ou.check_chapman_kolmogorov(), ou.check_marginal_from_x0(),
          ou.check_stationary_variance() - lam * pi ** 2]
assert checks == [0, 0, 0, 0]
print(checks)

# %% [markdown]
# ## 2. Doob's h-transform: conditioning on `x_T = mu`
#
# $h(x, t) = p(x_T = \mu \mid x_t = x)$ is the kernel above over the lag $\bar\theta_{t:T} = c - u$
# ($c = \bar\theta_T$). Conditioning adds $g_t^2\,\partial_x\log h$ to the drift, $g_t^2 = 2\lambda\theta_t\pi^2$.

# %%
log_h = hbridge.log_h()
show(r"\log h", log_h)
grad = sp.diff(log_h, x)
show(r"\partial_x \log h", readable(grad))
show(r"g_t^2\,\partial_x \log h", readable(hbridge.g2_grad_log_h()))

# %% [markdown]
# The $\pi^2$ of $g_t^2$ meets the $\pi^2$ of the kernel's variance: the added drift does not depend
# on $\pi$ at all. The total drift is

# %%
show(r"\theta_t(\mu - x) + g_t^2\partial_x\log h", readable(hbridge.h_drift()))
show(r"\mathrm{claimed}", theta * family.bridge_drift(u, c))

# %% tags=["nbval-check-output"]
checks = [hbridge.check_drift_coth(), hbridge.check_pi_cancels(), hbridge.check_h_backward_kolmogorov()]
assert checks == [0, 0, 0]
print(checks)

# %% [markdown]
# `h` solves the backward Kolmogorov equation $h_u + (\mu - x)h_x + \lambda\pi^2 h_{xx} = 0$ (third check),
# which is what makes the conditioned process a Markov diffusion:
#
# $$dx_t = \theta_t\coth(\bar\theta_{t:T})(\mu - x_t)\,dt + \sqrt{2\lambda\theta_t}\,\pi\,dw_t .$$
#
# Near $T$, $\coth(\bar\theta_{t:T}) \approx 1/\bar\theta_{t:T}$ pulls every path into $\mu$. For a general
# mean-reversion target $m$ and endpoint $y$ (used for DDBM-VP in notebook 03) the same computation gives
# $-(x-m)\coth(\bar\theta_{t:T}) + (y-m)/\sinh(\bar\theta_{t:T})$:

# %% tags=["nbval-check-output"]
assert hbridge.check_general_target_drift() == 0
print(hbridge.check_general_target_drift())

# %% [markdown]
# ## 3. Sample paths: free OU vs bridge
#
# Euler–Maruyama in the clock with the library's drifts (`path.bridge_drift`), on a continuous
# schedule with $\bar\theta_T = 2$, $\lambda = 0.05$. Two pixels: a degraded one ($\pi = 0.8$) and an intact
# one ($\pi = 0$): under residual modulation the intact pixel never moves.

# %%
sch = schedules.continuous_constant(2.0, 1.0)
bridge = bridges.ou_bridge(sch, lam=0.05, noise="modulated")
free = ResidualPath(sch, 0.05, noise="modulated", pinned=False, name="free OU")
n_paths, n_steps = (8, 200) if FAST else (16, 400)
g = torch.Generator().manual_seed(0)
x0 = torch.tensor([0.6, 0.1], dtype=torch.float64)
mu_img = torch.tensor([-0.2, 0.1], dtype=torch.float64)
ts = torch.linspace(0, 1, n_steps + 1, dtype=torch.float64)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True, dpi=60)
for ax, path in zip(axes, (free, bridge)):
    xcur = x0.repeat(n_paths, 1)
    mus = mu_img.repeat(n_paths, 1)
    factor = path.noise_factor(x0, mu_img)
    traj = [xcur]
    for t0, t1 in zip(ts[:-1], ts[1:]):
        du = float(sch.clock(t1) - sch.clock(t0))
        z = torch.randn(xcur.shape, generator=g, dtype=torch.float64)
        xcur = xcur + path.bridge_drift(xcur, mus, t0) * du + (2 * path.lam * du) ** 0.5 * factor * z
        traj.append(xcur)
    traj = torch.stack(traj)
    ax.plot(ts, traj[:, :, 0], color="C0", alpha=0.5, lw=0.8)
    ax.plot(ts, traj[:, :, 1], color="C1", alpha=0.8, lw=1.2)
    ax.axhline(float(mu_img[0]), color="k", ls=":", lw=1)
    ax.set_title(f"{path.name}: degraded pixel (blue), intact pixel (orange)")
    ax.set_xlabel("t")
axes[0].set_ylabel("x_t")
plt.tight_layout()
plt.show()

# %% [markdown]
# The free OU paths relax towards $\mu$ but keep a stationary spread $\sqrt{\lambda}|\pi|$; the bridge
# paths are pinned to $\mu$ at $t = T$. The h-transform's extra drift is $\coth(\bar\theta_{t:T}) - 1$ times
# the OU one:

# %%
ref = bridges.rdbm()
tt = ref.schedule.times()[:-1]
b_to_end = ref.schedule.clock_to_end(tt)
plt.figure(figsize=(5, 3))
plt.semilogy(tt, 1 / torch.tanh(b_to_end), label=r"bridge: $\coth(\bar\theta_{t:T})$")
plt.semilogy(tt, torch.ones_like(tt), label="free OU: 1")
plt.xlabel("reference index t")
plt.ylabel("drift factor")
plt.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/01_ou_and_h_transform_solutions.ipynb`.
#
# **01.1 (derive).** Conditioning the OU process on $x_T = \mu$ gives the bridge mean
# $E[x_t\mid x_0, x_T = \mu] = \mu + \Theta_t\pi$. Derive $\Theta_t$ in the clock: a SymPy expression in
# `u` $= \bar\theta_t$ and `c` $= \bar\theta_T$ (the symbols imported at the top of this notebook).

# %%
from rdbm_course.exercises import check

answer_01_1 = ...  # a SymPy expression in u and c
check("01.1", answer_01_1)

# %% [markdown]
# **01.2 (derive).** The bridge variance is $\mathrm{Var}[x_t\mid x_0, x_T = \mu] = \Sigma_t^2\pi^2$. Derive
# $\Sigma_t^2$ (per unit $\pi^2$): a SymPy expression in `u`, `c` and `lam` $= \lambda$.

# %%
answer_01_2 = ...  # a SymPy expression in u, c and lam
check("01.2", answer_01_2)

# %% [markdown]
# **01.3 (implement).** Write a function `theta_on_grid(schedule, t)` that returns $\Theta_t$ as a float64 tensor
# shaped like `t`, for the integer times `t` of a discrete schedule, from the schedule's clock alone
# (`schedule.clock(t)`, `schedule.clock_to_end(t)`, `schedule.u_T`; not `path.coefficients`). It is checked on
# the RDBM and the GOUB grids.

# %%
answer_01_3 = ...  # a function theta_on_grid(schedule, t) -> tensor shaped like t
check("01.3", answer_01_3)
