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
# residual `pi^2` cancelling on the way; how the bridge coefficients `Theta_t` (weight of the residual in the
# mean) and `Sigma_t` (the standard deviation per unit residual) appear; and the discrete grid the library uses.
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
from derivations.common import c, lam, mu, pi, readable, theta, u, x, xs
from rdbm_core.bridge.path import ResidualPath
from rdbm_core.bridge import bridges, schedules

FAST = os.environ.get("FAST") == "1"
sp.init_printing()


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text (or a SymPy object), ``rhs`` a SymPy expression."""
    display(Math((lhs if isinstance(lhs, str) else sp.latex(lhs)) + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 0. The picture first: a free OU process and a bridge
#
# Two pixels of an image, a degraded one ($\pi = x_0 - \mu = 0.8$, blue) and an intact one ($\pi = 0$, orange),
# driven by the mean-reverting SDE whose noise is multiplied by the residual $\pi$. Left: the free process; it
# relaxes towards the degraded value $\mu$ but keeps a spread. Right: the same process *conditioned* to end at
# $\mu$, a bridge; every path is pinned to $\mu$ at $t = T$. Under residual modulation the intact pixel has no
# noise and stays at $\mu$ (notebook 05 is where this is shown on whole images). This notebook derives both pictures: section 1 solves the free process exactly,
# section 2 conditions it on its end point and finds the drift that pins the paths.
#
# (Euler–Maruyama in the clock with the library's drifts `path.bridge_drift`, on a continuous schedule with
# $\bar\theta_T = 2$, $\lambda = 0.05$; the drifts are the ones derived below.)

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
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
for ax, (name, traj) in zip(axes, PATHS.items()):
    ax.plot(ts, traj[:, :16, 0], color="C0", alpha=0.5, lw=0.8)
    ax.plot(ts, traj[:, :16, 1], color="C1", alpha=0.8, lw=1.2)
    ax.axhline(float(mu_img[0]), color="k", ls=":", lw=1)
    ax.set_title(f"{name}: degraded pixel (blue), intact pixel (orange)", fontsize=10)
    ax.set_xlabel("t")
axes[0].set_ylabel(r"$x_t$")
plt.tight_layout()
plt.show()
assert torch.equal(PATHS[bridge.name][:, :, 1], torch.full_like(PATHS[bridge.name][:, :, 1], 0.1))  # intact: never moves
end_gap = PATHS[bridge.name][-1, :, 0].sub(mu_img[0]).abs()
assert float(end_gap.mean()) < 2 * (2 * bridge.lam * 2.0 / n_steps) ** 0.5 * 0.8  # ends at mu up to one step's noise

# %% [markdown]
# ## 1. The forward SDE, in the clock `u = thbar_t`
#
# $$dx_t = \theta_t(\mu - x_t)\,dt + \sqrt{2\lambda\theta_t}\,\pi\,dw_t,\qquad \pi = x_0 - \mu .$$
#
# Writing $u = \bar\theta_t = \int_0^t\theta_s ds$ ($du = \theta_t dt$) makes it autonomous:
# $dx = (\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$ (`docs/theory.md` eqs. 2.1–2.2). Itô's formula on $x$ and
# $x^2$ gives the moment ODEs (in $t$):

# %%
dm, dv = ou.moment_odes()
show(r"m'", sp.factor(dm))
show(r"v'", sp.collect(dv, theta))

# %% tags=["nbval-check-output"]
assert ou.check_moment_odes() == 0
print(ou.check_moment_odes())

# %% [markdown]
# **Mean by the integrating factor.** In the clock the mean solves $dm/d\tau = \mu - m$ over a clock lag
# $\tau = \bar\theta_{s:t}$. Multiply by $e^{\tau}$: the product rule and the ODE make the derivative of
# $e^{\tau}(m - \mu)$ vanish, so $e^{\tau}(m - \mu)$ is constant, equal to its value $x_s - \mu$ at $\tau = 0$:

# %%
tau = ou.tau
m_of = sp.Function("m")(tau)
step = sp.diff(sp.exp(tau) * (m_of - mu), tau)
show(r"\frac{d}{d\tau}\big(e^{\tau}(m - \mu)\big)", step)
show(r"\frac{d}{d\tau}\big(e^{\tau}(m - \mu)\big)\Big|_{m' = \mu - m}",
     sp.simplify(step.subs(sp.Derivative(m_of, tau), mu - m_of)))
show(r"m", ou.mean_by_integrating_factor())

# %% tags=["nbval-check-output"]
assert ou.check_mean_integrating_factor() == 0
print(ou.check_mean_integrating_factor())

# %% [markdown]
# **Variance by Itô's isometry.** The same integrating factor applied to $y = x - \mu$ gives
# $y_t = e^{-\tau}y_s + \sqrt{2\lambda}\,\pi\int_0^{\tau} e^{-(\tau-r)}dW_r$ (eq. 2.3). The first term is fixed
# given $x_s$; the variance of the stochastic integral is the integral of its squared integrand (Itô's isometry):

# %%
r = sp.Symbol("r", positive=True)
integrand = (sp.exp(-(tau - r)) * sp.sqrt(2 * lam) * pi) ** 2
show(r"\mathrm{Var}", sp.Integral(integrand, (r, 0, tau)))
show(r"\phantom{\mathrm{Var}}", sp.expand(sp.integrate(integrand, (r, 0, tau))))

# %% tags=["nbval-check-output"]
checks = [ou.check_variance_ito_isometry(), ou.check_variance_ode(), ou.check_time_change()]
assert checks == [0, 0, 0]
print(checks)

# %% [markdown]
# So the transition kernel is Gaussian,
# $p(x_t\mid x_s) = \mathcal N\big(\mu + e^{-\bar\theta_{s:t}}(x_s-\mu),\ \lambda(1-e^{-2\bar\theta_{s:t}})\pi^2\big)$,
# and from $x_0$ (`thbar_0 = 0`): $x_t\mid x_0 \sim \mathcal N(\mu + e^{-\bar\theta_t}\pi,\ \lambda(1-e^{-2\bar\theta_t})\pi^2)$.
# Three more checks: it solves the Fokker–Planck equation, composes (Chapman–Kolmogorov), and
# the *stationary variance* is $\lambda\pi^2$: $\lambda$ per unit $\pi^2$, a variance (not a standard deviation).
# In the log-density the residual is written out as
# $x_0 - \mu$, so that the $\pi$ inside $\log(2\pi\ldots)$ is only the number $3.14159\ldots$:

# %%
show(r"\log p(x_t \mid x_s)", ou.kernel_logpdf(x, xs, tau).subs(pi, sp.Symbol("x_0") - mu))
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
# ($c = \bar\theta_T$): how likely a path now at $x$ is to end at $\mu$. Conditioning adds
# $g_t^2\,\partial_x\log h$ to the drift, $g_t^2 = 2\lambda\theta_t\pi^2$ (`docs/theory.md` eqs. 3.1–3.2). Step by
# step: $\log h$ (residual written out as $x_0 - \mu$ again), its gradient, and the gradient times $g_t^2$:

# %%
log_h = hbridge.log_h()
show(r"\log h", log_h.subs(pi, sp.Symbol("x_0") - mu))  # residual written out: pi here is 3.14159...
grad = sp.diff(log_h, x)
show(r"\partial_x \log h", readable(grad))
show(r"g_t^2\,\partial_x \log h", readable(hbridge.g2_grad_log_h()))

# %% [markdown]
# The $\pi^2$ of $g_t^2$ meets the $\pi^2$ of the kernel's variance: the added drift does not depend
# on $\pi$ at all (eq. 3.4). Adding the OU drift $\theta_t(\mu - x)$, the factor in front of $\theta_t(\mu - x)$ is
# $1 + 2e^{-2b}/(1 - e^{-2b})$ with $b = \bar\theta_{t:T}$, and that is $\coth b$:

# %%
b_ = sp.Symbol("b", positive=True)
factor = 1 + 2 * sp.exp(-2 * b_) / (1 - sp.exp(-2 * b_))
show(r"1 + \frac{2e^{-2b}}{1 - e^{-2b}}", sp.factor(sp.together(factor)))
show(r"\coth b", sp.coth(b_).rewrite(sp.exp))
show(r"1 + \frac{2e^{-2b}}{1 - e^{-2b}} - \coth b", sp.simplify((factor - sp.coth(b_)).rewrite(sp.exp)))
show(r"\theta_t(\mu - x) + g_t^2\partial_x\log h", readable(hbridge.h_drift()))
show(r"\theta_t \coth(\bar\theta_T - \bar\theta_t)(\mu - x)", theta * family.bridge_drift(u, c))

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
b_grid = sch.clock_to_end(t_grid)  # thbar_{t:T}
TT, XX = torch.meshgrid(t_grid, x_grid, indexing="xy")
BB = b_grid[None, :].expand_as(TT)
h_var = LAM_DEG * (1 - torch.exp(-2 * BB)) * PI_DEG ** 2  # variance of x_T given x_t
h_cols = torch.exp(-(torch.exp(-BB) * (XX - MU_DEG)) ** 2 / (2 * h_var))  # h / max_x h
theta_c = float(sch.theta(torch.tensor(0.5)))
drift = theta_c / torch.tanh(BB) * (MU_DEG - XX)  # dx/dt of the bridge
fig, ax = plt.subplots(figsize=(8, 4.2))
im = ax.pcolormesh(TT, XX, h_cols, cmap="viridis", shading="auto")
fig.colorbar(im, ax=ax, label=r"$h(x, t) / \max_x h(x, t)$")
ax.streamplot(TT.numpy(), XX.numpy(), torch.ones_like(TT).numpy(), drift.numpy(), color="w", density=0.8,
              linewidth=0.6, arrowsize=0.7)
ax.plot(ts, PATHS[bridge.name][:, :5, 0], color="C0", lw=0.9)
ax.axhline(MU_DEG, color="k", ls=":", lw=1)
ax.set_xlim(0, 1)
ax.set_ylim(-1.0, 0.8)
ax.set_xlabel("t")
ax.set_ylabel("x")
ax.set_title(r"$h(x, t) = p(x_T = \mu \mid x_t = x)$ and the conditioned drift (white)", fontsize=10)
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
# library's closed form `bridge.coefficients(t)` (`docs/theory.md` eq. 4.2). Exercises 01.1 and 01.2 ask you to
# derive that closed form.

# %%
deg = PATHS[bridge.name][:, :, 0]
theta_sim = (deg.mean(1) - mu_img[0]) / PI_DEG
sigma_sim = deg.std(1) / abs(PI_DEG)
theta_lib, _, sigma_lib = bridge.coefficients(ts)
u_t = sch.clock(ts)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
axes[0].plot(ts, theta_sim, label="bridge, simulated")
axes[0].plot(ts, theta_lib, "k--", lw=1, label="bridge, library")
axes[0].plot(ts, torch.exp(-u_t), color="C2", label=r"free OU: $e^{-\bar\theta_t}$")
axes[0].set_title(r"$\Theta_t$: weight of $\pi$ in the mean", fontsize=10)
axes[1].plot(ts, sigma_sim, label="bridge, simulated")
axes[1].plot(ts, sigma_lib, "k--", lw=1, label="bridge, library")
axes[1].plot(ts, (bridge.lam * (1 - torch.exp(-2 * u_t))).sqrt(), color="C2",
             label=r"free OU: $\sqrt{\lambda(1 - e^{-2\bar\theta_t})}$")
axes[1].set_title(r"$\Sigma_t$: standard deviation per unit $|\pi|$", fontsize=10)
for ax in axes:
    ax.set_xlabel("t")
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
gap_theta = float((theta_sim - theta_lib).abs().max())
gap_sigma = float((sigma_sim - sigma_lib).abs().max())
print(f"largest gap simulated - library over t: Theta {gap_theta:.3f}, Sigma {gap_sigma:.3f} "
      f"({n_paths} paths, {n_steps} Euler-Maruyama steps)")
assert gap_theta < 0.05 and gap_sigma < 0.05

# %% [markdown]
# Both coefficients vanish or reach 1 where they must: $\Theta = 1$, $\Sigma = 0$ at $t = 0$ (the clean image) and
# $\Theta = 0$, $\Sigma = 0$ at $T$ (exactly $\mu$). In between, $\Sigma_t$ rises like the free process's spread and
# is then squeezed back to 0 by the pin.
#
# ## 4. The discrete grid used from notebook 02a on
#
# The library and the paper work on a grid of integer times. RDBM's reference grid (`bridges.rdbm()`, `N = 100`;
# `docs/theory.md` §10) takes the cosine "betas" of improved DDPM as $\theta_i$, $i = 0, \dots, 99$, and the clock
# $\bar\theta_i = \sum_{k \le i}\theta_k$. Since already $\bar\theta_0 = \theta_0 > 0$, the clean point
# ($\bar\theta = 0$, $x = x_0$) is not on the grid: it is the **virtual clean index $-1$**. The betas are clamped at
# 0.999, and the clamp acts only at the last index: the last step $98 \to 99$ is a **jump** of 0.999 in the clock,
# 13 % of $\bar\theta_T$. So no grid point lies close to $t_T$, and on the grid the bridge's drift factor
# $\coth(\bar\theta_{t:T})$ never exceeds $\coth(0.999) = 1.31$: the blow-up near $T$ seen in section 2 is never
# evaluated (eq. 10.4).

# %%
ref = bridges.rdbm()
rs = ref.schedule
idx = rs.times()  # -1 (virtual clean index), 0, ..., 99
theta_i = rs.theta  # theta_0 ... theta_99
clock_i = rs.clock(idx)
coth_i = 1 / torch.tanh(rs.clock_to_end(idx[:-1]))
fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
axes[0].bar(torch.arange(len(theta_i)), theta_i, width=1.0, color="C0")
axes[0].set_title(r"$\theta_i$ (cosine betas, clamped at 0.999)", fontsize=10)
axes[0].annotate(f"last: {float(theta_i[-1]):.3f}", (len(theta_i) - 1, float(theta_i[-1])), xytext=(40, 0.8),
                 arrowprops=dict(arrowstyle="->"), fontsize=9)
axes[1].plot(idx, clock_i, marker=".", ms=3)
axes[1].plot([-1], [0.0], "o", color="C3", label=r"virtual clean index $-1$: $\bar\theta = 0$")
axes[1].annotate("final jump 98 → 99", (98.5, float(clock_i[-2] + clock_i[-1]) / 2), xytext=(20, 6.5),
                 arrowprops=dict(arrowstyle="->"), fontsize=9)
axes[1].set_title(rf"clock $\bar\theta_i$ ($\bar\theta_T$ = {rs.u_T:.3f})", fontsize=10)
axes[1].legend(fontsize=8, loc="upper left")
axes[2].plot(idx[:-1], coth_i, marker=".", ms=3, label=r"bridge: $\coth(\bar\theta_{t:T})$")
axes[2].axhline(1.0, color="C1", label="free OU: 1")
axes[2].set_title(r"drift factor on the grid (max at index 98)", fontsize=10)
axes[2].legend(fontsize=8)
for ax in axes:
    ax.set_xlabel("grid index i")
plt.tight_layout()
plt.show()
print(f"theta_99 = {float(theta_i[-1]):.4f}; largest coth on the grid = {float(coth_i.max()):.3f} "
      f"at index {int(idx[:-1][coth_i.argmax()])}")
assert abs(float(coth_i.max()) - 1.31) < 0.005 and int(idx[:-1][coth_i.argmax()]) == 98

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
