# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02b — Reversing time: the score, the reverse SDE and the probability-flow ODE
#
# **What you will learn.** How to run the bridge of notebook 02a backwards, from the degraded $\mu$ to the clean
# image: the score of the marginal, the reverse-time SDE (random paths) and the probability-flow ODE (deterministic
# paths) that share the bridge's marginals; why the residual $\pi$ in the noise never forces a division by $\pi$;
# what the ODE can and cannot do from the pinned end; how the velocity behaves near the two ends of the bridge, and
# why the two samplers' errors are largest just before the clean end.
#
# **Prerequisites.** Notebook 02a (the marginal $x_t = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$) and
# `docs/theory.md` §1–5 (§6–7 treat this notebook's subject: read them *after* it; the formulas used here are
# restated where they are used). From score-based diffusion models you need two dynamics
# that have the same marginals $q$ as a forward SDE with drift $f$ and diffusion coefficient $g$ (both per unit
# clock). The reverse-time SDE of Anderson runs from $t_T$ towards the clean end, with the clock $u$ *decreasing*:
# $dx = F_{\rm rev}\,du + g\,d\bar W$, where $F_{\rm rev} = f - g^2\,\partial_x\log q$ and $d\bar W$ is a Brownian
# increment of variance $|du|$. The probability-flow ODE $dx/du = f - \tfrac12 g^2\,\partial_x\log q$ has no noise.
#
# Two solvers step them along a grid, from a time $t$ to the next time $s$ towards the clean end. The step's clock
# length is $\Delta u = \bar\theta_t - \bar\theta_s > 0$, and the clock decreases by it: $du = -\Delta u$.
# **Euler–Maruyama** (for the SDE) therefore subtracts the drift times $\Delta u$ and adds a Gaussian increment:
# $x_s = x_t - \Delta u\,F_{\rm rev} + g\sqrt{\Delta u}\,z$, with $z$ standard normal (the error of its paths'
# distribution is of weak order 1 in the step size). **Heun's method** (for the ODE) takes such an Euler step, $x_s =
# x_t - \Delta u\,v$, with the
# velocity $v$ at the step's start; it evaluates the velocity where it lands and redoes the step with the mean of the
# two velocities (a global error of second order in the step size). Same symbols as 02a: the clock $u = \bar\theta_t$,
# $c = \bar\theta_T$ and the clock still to go $\bar\theta_{t:T} = c - u$ (the code's symbol `d`; the notebooks keep
# the letter $d$ for differentials, $dx$, $du$).
#
# Times $t$ are grid indices of the reference grid: $t_T = 99$ is the pinned end (`docs/theory.md` eq. 10.2),
# "grid index 0" the last time before the clean end, which sits at index $-1$. **Notation:** $x_0$ is the clean
# image (index $-1$); a number in square brackets is a grid index: $x_{[98]}$, $M_{[98]}$, $\bar\theta_{[0]}$ and
# $\Sigma_{[0]}$ are taken at grid index 98 or 0 (so $\bar\theta_{[0]} > 0$, while $\bar\theta = 0$ at the clean end).

# %%
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
import torch
from matplotlib.colors import ListedColormap

from derivations.common import c, d, lam, mu, pi, readable, theta, u, x, zero
from derivations.family import Sigma2, Theta, bridge_mean
from rdbm_core.bridge import bridges, samplers
from rdbm_course.mathshow import confirm, limit, show, vanishes_by_powers


def holds(lhs, expr):
    """Assert that the SymPy expression `expr` is 0 and display only the statement `lhs = 0`."""
    assert zero(expr) == 0, lhs
    show(lhs, 0)

# %% [markdown]
# ## 0. The picture first: two ways back from $\mu$
#
# One degraded pixel ($x_0 = 0.6$, $\mu = -0.2$) on the reference grid with $\lambda = 0.1$, as in 02a's posterior
# picture. That is a thousand times RDBM's default $\lambda = 10^{-4}$, under which this pixel's marginal standard
# deviation stays below 0.008: its band would be invisible at this scale. The clean value is known to the sampler (an
# *oracle*; a trained network replaces it in notebook 06). The grey shade is the forward marginal $q(x_t\mid x_0)$ of
# 02a (divided by its value at each time's mean); in every panel sampling runs from $t_T$ on the left towards the
# clean end on the right. The orange dot marks $x_0$ at the clean end (index $-1$).
#
# **Left:** the reverse-time SDE, simulated with Euler–Maruyama on every grid time from $x_T = \mu$ (red dot):
# random paths that fan out and come back to $x_0$; five of the 16000 simulated paths are drawn. Against the grid
# index the pinch at $\mu$ is hidden: the last clock step, from index 98 to $t_T = 99$, is 0.999, 13 % of the
# terminal clock $\bar\theta_T = 7.88$, and it takes a single index. So the band keeps almost its full width up to
# index 98 (standard deviation 0.235 there, at most 0.253 on the grid), and the paths seem to start spread out.
# **Middle:** the same paths' first steps against the clock $\bar\theta_{t:T}$ elapsed since $t_T$, down to index 90:
# the band pinches to $\mu$ at $\bar\theta_{t:T} = 0$, and every path leaves $\mu$ in one step to index 98 (dotted).
# That first step, out of the pinned point where the drift is infinite, is not an Euler–Maruyama step: it draws
# $x_{[98]}$ from the posterior $q(x_{[98]}\mid x_{[99]} = \mu, x_0)$ of 02a (the cell below checks this draw by draw).
#
# **Right:** the probability-flow ODE, integrated with Heun's method from five starting points at $-2, -1, 0, 1, 2$
# standard deviations of the marginal at $t = 60$ (labelled at their start). It starts inside the bridge because at
# $t_T$ every path sits at $\mu$: a deterministic sampler started there has one input, so it gives one path (section 4
# comes back to this). Any start strictly inside would do; $t = 60$ rather than index 98 leaves out the coarse steps
# next to the pinned end, where a step's clock length times the score factor is largest (section 5). 60 Heun steps go
# down to grid index 0; one final step to the clean end returns the oracle's $\hat x_0 = x_0$, so the paths end at
# $x_0$ by construction (the SDE's grid ends with the same step). The ODE's paths are deterministic and never cross. The
# exact flow keeps each of them at its place in the distribution; the
# discretised one moves the outer paths in over the last steps, by 0.28 std at grid index 0, where the marginal's
# standard deviation is 0.009: invisible at this scale (section 5 plots it).


# %%
pixel_path = bridges.rdbm(lam=0.1)
x0_px, mu_px = 0.6, -0.2
times = pixel_path.schedule.times()
one = torch.ones(len(times), dtype=torch.float64)
mean_t, std_t = pixel_path.mean(x0_px * one, mu_px * one, times), pixel_path.std(x0_px * one, mu_px * one, times)
xg = torch.linspace(-0.9, 1.1, 301, dtype=torch.float64)
density = torch.exp(-(xg[:, None] - mean_t) ** 2 / (2 * std_t.clamp_min(2e-3) ** 2))  # 1 at each column's mean
# the last clock step, and the band's width before it
clock_T, last_jump = float(pixel_path.schedule.clock(torch.tensor(99))), float(pixel_path.schedule.clock_to_end(
    torch.tensor(98)))
assert round(last_jump, 3) == 0.999 and round(clock_T, 2) == 7.88 and round(100 * last_jump / clock_T) == 13
assert round(float(std_t[times == 98][0]), 3) == 0.235 and round(float(std_t.max()), 3) == 0.253
assert round(float(std_t[times == 0][0]), 3) == 0.009  # at grid index 0: the band is invisible there
# the same band at any clock, for the middle panel: 02a's mean and standard deviation, as functions of the clock
to_go = torch.linspace(0, float(pixel_path.schedule.clock_to_end(torch.tensor(90))), 400, dtype=torch.float64)
on_pixel = {c: clock_T, lam: pixel_path.lam, mu: mu_px, pi: x0_px - mu_px}
mean_std = sp.lambdify(u, [bridge_mean(u, c).subs(on_pixel), sp.sqrt(Sigma2(u, c) * pi ** 2).subs(on_pixel)])
mean_c, std_c = (torch.as_tensor(np.broadcast_to(a, to_go.shape).copy()) for a in mean_std((clock_T - to_go).numpy()))
density_c = torch.exp(-(xg[:, None] - mean_c) ** 2 / (2 * std_c.clamp_min(2e-3) ** 2))
grid_mean, grid_std = mean_std(pixel_path.schedule.clock(times).numpy())
assert np.allclose(grid_mean, mean_t.numpy(), rtol=0, atol=1e-12)  # the library's marginal, on the grid
assert np.allclose(grid_std, std_t.numpy(), rtol=0, atol=1e-7)  # (round-off of the clock at t_T: 1e-8)

n_sde, n_ode = 16000, 5
x0_row = torch.full((1, n_sde), x0_px, dtype=torch.float64)
mu_row = torch.full((1, n_sde), mu_px, dtype=torch.float64)
oracle_px = samplers.Denoiser(lambda x_t, m, t: torch.full_like(x_t, x0_px), clamp=False)
t_clean = pixel_path.schedule.t_clean  # -1
# every grid time from t_T down to grid index 0, then the final step to the clean end (it returns x0_hat = x0)
sde_grid = torch.cat([torch.arange(pixel_path.schedule.t_T, -1, -1), torch.tensor([t_clean])])
sde_run = samplers.Trajectory()
samplers.sample_euler_maruyama(oracle_px, mu_row, pixel_path, sde_grid, callback=sde_run,
                               generator=torch.Generator().manual_seed(0))
# its first step is 02a's posterior q(x_98 | x_99 = mu, x0), with the run's first normal draws
post_mean, post_std = pixel_path.posterior(mu_row, x0_row, mu_row, torch.tensor(99), torch.tensor(98))
first_z = torch.randn(mu_row.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
assert torch.allclose(sde_run.x[1], post_mean + post_std * first_z, rtol=0, atol=1e-12)
default_path = bridges.rdbm()  # RDBM's default lambda
assert default_path.lam == 1e-4 and float(default_path.std(x0_px * one, mu_px * one, times).max()) < 0.008
t_start = 60
ode_grid = torch.cat([torch.arange(t_start, -1, -1), torch.tensor([t_clean])])
quantiles = torch.linspace(-2.0, 2.0, n_ode, dtype=torch.float64)[None]
x_start = (pixel_path.mean(x0_row[:, :n_ode], mu_row[:, :n_ode], t_start)
           + quantiles * pixel_path.std(x0_row[:, :n_ode], mu_row[:, :n_ode], t_start))
ode_run = samplers.Trajectory()
ode_end = samplers.sample_heun(oracle_px, mu_row[:, :n_ode], pixel_path, ode_grid, x_T=x_start, callback=ode_run)

# %%
band = ListedColormap(plt.cm.Greys(np.linspace(0, 0.6, 256)))  # white to mid-grey: dark lines stay visible on it
fig, axes = plt.subplots(1, 3, figsize=(10, 3.7), sharey=True, layout="constrained",
                         gridspec_kw={"width_ratios": [1, 0.6, 1]})
for ax, (x_axis, shade_values) in zip(axes, [(times, density), (to_go, density_c), (times, density)]):
    shade = ax.pcolormesh(x_axis, xg, shade_values, cmap=band, shading="auto", vmin=0, vmax=1)
n_drawn = 5
sde_t = torch.stack([torch.as_tensor(t) for t in sde_run.t])
sde_x = torch.stack(sde_run.x)[:, 0]  # [time, path]
in_middle = sde_t >= 90  # the middle panel: from t_T down to index 90, against the clock elapsed since t_T
sde_clock = pixel_path.schedule.clock_to_end(sde_t[in_middle])
for ax, x_axis, paths in ((axes[0], sde_t, sde_x), (axes[1], sde_clock, sde_x[in_middle])):
    ax.plot(x_axis, paths[:, :n_drawn], color="C0", lw=0.9)
    ax.plot([x_axis[0]], [mu_px], "o", color="tab:red", ms=6, zorder=5, clip_on=False)
axes[1].axvline(last_jump, color="black", ls=":", lw=0.9)
axes[1].text(last_jump + 0.08, 1.0, "$t = 98$", fontsize=9)
for ax in (axes[0], axes[2]):
    ax.plot([t_clean], [x0_px], "o", color="orange", ms=6, zorder=5)
    ax.set_xlim(float(times.max()) + 1, -3)  # inverted, from t_T = 99: sampling runs left to right
    ax.set_xlabel("grid index $t$ (sampling: left to right)", fontsize=10)
axes[1].set_xlim(0, float(to_go[-1]))
axes[1].set_xlabel(r"clock $\bar\theta_{t:T}$ since $t_T$", fontsize=10)
axes[0].plot([], [], color="C0", lw=0.9, label=f"{n_drawn} of {n_sde} paths")
axes[0].plot([], [], "o", color="tab:red", ms=6, label=r"$x_T = \mu$ (pinned end)")
axes[0].plot([], [], "o", color="orange", ms=6, label=r"$x_0$ (clean end)")
axes[0].legend(fontsize=9, loc="lower right")
axes[0].set_title(r"reverse-time SDE from $x_T = \mu$", fontsize=11)
axes[1].set_title("its start, by clock", fontsize=11)
ode_t = torch.stack([torch.as_tensor(t) for t in ode_run.t])
ode_x = torch.stack(ode_run.x)[:, 0]
colours = plt.cm.plasma(np.linspace(0.0, 0.7, n_ode))  # not the x0 dot's orange
for k in range(n_ode):
    q_k = float(quantiles[0, k])
    axes[2].plot(ode_t, ode_x[:, k], color=colours[k], lw=1.5)
    axes[2].text(t_start + 2, float(ode_x[0, k]), rf"${q_k:+.0f}$ std" if q_k else "mean", ha="right", va="center",
                 fontsize=9)
axes[2].set_title(rf"probability-flow ODE from $t = {t_start}$", fontsize=11)
axes[0].set_ylabel(r"pixel value ($[-1, 1]$ scale)", fontsize=10)
fig.colorbar(shade, ax=axes, shrink=0.9).set_label(r"$q(x_t \mid x_0)$ / value at the mean", fontsize=10)
plt.show()
# the series drawn per panel (the three empty lines only label the legend): left, the paths, the mu and x0 dots;
# middle, the paths, the mu dot and the dotted line at index 98; right, the ODE paths and the x0 dot
assert [sum(len(line.get_xdata()) > 0 for line in ax.get_lines()) for ax in axes] == [n_drawn + 2, n_drawn + 2,
                                                                                       n_ode + 1]
assert int(times.max()) == 99 and int(sde_t[-1]) == int(ode_t[-1]) == t_clean
assert float(sde_clock[0]) == 0 and abs(float(sde_clock[1]) - last_jump) < 1e-12  # mu at clock 0, index 98 at 0.999
assert bool((sde_x[0] == mu_px).all())  # every SDE path starts at mu
assert bool((sde_x[-1] == x0_px).all() and (ode_x[-1] == x0_px).all())  # the final step returns x0_hat = x0

# %% [markdown]
# Both samplers follow the marginal closely except near the clean end (the oracle knows $x_0$, so any gap is the
# samplers' own): section 5 and appendix A, after the exercises, measure where and why.
#
# What makes both samplers possible is the score of the marginal: the SDE's drift is the forward drift minus the full
# $g^2\,\partial_x\log q$ and it keeps injecting noise, the ODE subtracts half of it and injects none. The sections
# below set up the log-density (section 1), which you differentiate in exercise 02b.1 right after it; then they derive
# the score from it and check the cancellation of $\pi$ (section 2), show that the probability flow has the bridge's
# marginals between interior times (section 3) and what happens when the network's $\hat x_0$ replaces $x_0$ (section
# 4). After the
# exercises, section 5 looks at the two singular ends and at where the samplers' errors come from, and section 6
# shows that the reverse SDE transports $q$ too. Notebook 02c solves the ODE in closed form: that is
# RDBM's sampler.
#
# **The forward SDE, and two diffusion coefficients.** Per unit clock $u$ (increasing towards $t_T$) the bridge's
# forward SDE is $dx = \coth(\bar\theta_{t:T})(\mu - x)\,du + \sqrt{2\lambda}\,|\pi|\,dW$: the drift is
# $f = \coth(\bar\theta_{t:T})(\mu - x)$ and the diffusion coefficient is $g = \sqrt{2\lambda}\,|\pi|$, and
# the squared diffusion coefficient is $g^2 = 2\lambda\pi^2$; per unit time $t$ it is
# $g_t^2 = \theta_t g^2 = 2\lambda\theta_t\pi^2$ (since $du = \theta_t\,dt$). The exercises and sections 2–6 work per
# unit clock.


# %% [markdown]
# ## 1. The log-density of the marginal
#
# The marginal of 02a as a log-density in $x = x_t$, up to terms free of $x$ (they are
# $-\tfrac12\log(\Sigma_t^2\pi^2)$ and a number; the first depends on $t$, and section 3 needs it):

# %%
show(r"\log q(x_t = x \mid x_0)",
     sp.latex(-(x - bridge_mean(u, c)) ** 2 / (2 * Sigma2(u, c) * pi ** 2)) + r" + (\text{terms free of } x)")

# %% [markdown]
# ## Exercise 02b.1 — the score and the probability-flow velocity
#
# Before the notebook differentiates the log-density above, do it yourself. Checked by `check` from
# `rdbm_course.exercises`: it says what is wrong and gives a hint, never the answer. Worked solutions:
# `solutions/02b_reverse_sde_and_pf_ode_solutions.ipynb`. This *derive* exercise is graded on your **steps**: hand in
# a `dict` of SymPy expressions, one per step (a final formula alone is refused). The exercises work on the honour
# system: the `derivations` package computes every answer (the notebook imports only `Theta` and `Sigma2` from it
# before this exercise, and its modules `family` and `reverse` after it), and the checker cannot tell an expression
# built from it from your own: it grades what you hand in.
#
# **02b.1 (derive).** The probability-flow ODE per unit clock is $dx/du = f - \tfrac12 g^2\,\partial_x\log q$ with
# $f = \coth(\bar\theta_{t:T})(\mu - x)$. With a predicted $\hat x_0$ the sampler evaluates $g$ and $q$ at
# $x_0 = \hat x_0$, that is with $\pi$ replaced by $\hat\pi = \hat x_0 - \mu$: $g^2 = 2\lambda\hat\pi^2$ (per unit
# clock, not $g_t^2$), and $q$ is the marginal of section 1 at $x_0 = \hat x_0$,
# $q(x_t = x\mid \hat x_0) = \mathcal N(\mu + \Theta_t\hat\pi,\ \Sigma_t^2\hat\pi^2)$. Derive the velocity, with `x`,
# `mu`, `pihat`, `u` $= \bar\theta_t$, `c` $= \bar\theta_T$ and `lam` (`Theta(u, c)` and `Sigma2(u, c)`, imported at
# the top from `derivations.family`, may be used), in two steps:
#
# - `"g2_score"`: $g^2\,\partial_x\log q$, with $\hat\pi^2$ cancelled (nothing may divide by $\hat\pi$);
# - `"velocity"`: $dx/du$.

# %%
from derivations.common import pihat

from rdbm_course.exercises import check

answer_02b_1 = ...  # {"g2_score": ..., "velocity": ...}
check("02b.1", answer_02b_1)

# %% [markdown]
# ## 2. The score, and why nothing divides by $\pi$
#
# The score, differentiated from the log-density of section 1 (with the true $\pi$; your 02b.1 has $\hat\pi$). Write
# $M_t = \mu + \Theta_t\pi$ for the mean of $q$:

# %%
from derivations import reverse

score = reverse.score()
show(r"\partial_x\log q", sp.simplify(score))
M_t = bridge_mean(u, c)
holds(r"\partial_x\log q + \frac{x - M_t}{\Sigma_t^2\pi^2}", score + (x - M_t) / (Sigma2(u, c) * pi ** 2))
assert zero(M_t - (mu + Theta(u, c) * pi)) == 0  # M_t is mu + Theta_t pi

# %% [markdown]
# It divides by $\pi^2$, so it is undefined at an intact pixel. But it only ever appears multiplied by the squared
# diffusion coefficient, per unit clock $g^2 = 2\lambda\pi^2$ (as in 02b.1's first step), and the $\pi^2$ cancels:
# $$g^2\,\partial_x\log q = 2\lambda\pi^2\cdot\Big(-\frac{x - M_t}{\Sigma_t^2\pi^2}\Big) = -\frac{2\lambda(x - M_t)}{\Sigma_t^2}.$$
# The cell checks this step. Written as one fraction in $e^{\bar\theta_t}$ and $e^{\bar\theta_T}$, the product
# $g^2\,\partial_x\log q$ has a denominator free of $\pi$, and it is affine in $\pi$ (its second $\pi$-derivative
# vanishes): it is finite for every $\pi$, $\pi = 0$ included. (Per unit time $t$ the product is
# $g_t^2\,\partial_x\log q$, the same times $\theta_t$: the package's check below states it in that form.)

# %%
holds(r"2\lambda\pi^2\cdot\Big(-\frac{x - M_t}{\Sigma_t^2\pi^2}\Big) + \frac{2\lambda(x - M_t)}{\Sigma_t^2}",
         2 * lam * pi ** 2 * (-(x - M_t) / (Sigma2(u, c) * pi ** 2)) + 2 * lam * (x - M_t) / Sigma2(u, c))
g2_score = readable(2 * lam * pi ** 2 * score)  # per unit clock: 02b.1's step "g2_score" with pihat = pi
show(r"g^2\,\partial_x\log q", g2_score)
show(r"\text{denominator of } g^2\,\partial_x\log q", sp.denom(g2_score))
assert pi not in sp.denom(g2_score).free_symbols
holds(r"\partial_\pi^2\big(g^2\,\partial_x\log q\big)", sp.diff(g2_score, pi, 2))
assert sp.diff(g2_score, pi) != 0  # affine, not constant, in pi
# the derivations package's statement of the same, per unit time (g_t^2 = theta_t g^2)
assert zero(readable(2 * lam * theta * pi ** 2 * score) - theta * g2_score) == 0
confirm(reverse, "check_score_term_free_of_pi_division")

# %% [markdown]
# ## 3. The probability-flow ODE transports $q$ between interior times
#
# Because the diffusion coefficient $g = \sqrt{2\lambda}\,|\pi|$ depends on $x_0$, the reverse SDE and PF-ODE are
# exact for the conditional path ($x_0$ given); the sampler puts $\hat x_0$ both into $g$ and into the score, and
# $\hat\pi^2$ cancels. The velocity of 02b.1 with $\hat\pi = \pi$ is
# $v = \coth(\bar\theta_{t:T})(\mu - x) + \lambda(x - M_t)/\Sigma_t^2$ (checked against the library's
# `family.pf_velocity` below). Write $L = \log q$, with subscripts for partial derivatives.
#
# The probability flow transports $q$: the continuity equation $\partial_u q + \partial_x(vq) = 0$, divided by $q$,
# reads $L_u + v_x + vL_x = 0$. Here the whole log-density counts, not only its part in $x$: $L$ is the sum of the
# quadratic term $L_{\rm sq} = -(x - M_t)^2/(2\Sigma_t^2\pi^2)$ of section 1, the normalising term
# $L_{\rm norm} = -\tfrac12\log(\Sigma_t^2\pi^2)$ and the number $-\tfrac12\log(2\times3.14159\ldots)$.
# $L_{\rm norm}$ is free of $x$, so it drops out of $L_x$ (the score), but it depends on the clock through
# $\Sigma_t^2$, so it enters $L_u$. Only the number drops out of every term.
#
# The left-hand side of the equation, the *residual*, is a polynomial of degree 2 in $x$. The cell collects it by
# powers of $(x - M_t)$, with $L_u$ split into $\partial_u L_{\rm sq}$ and $\partial_u L_{\rm norm}$, and shows each
# term's coefficient: the coefficients of every power add up to 0. $\partial_u L_{\rm norm}$ is the whole power-0
# coefficient of $L_u$, and it balances $v_x$ there; without it the residual would not vanish (the last formula the
# cell shows). That the reverse SDE transports $q$ too is section 6, after exercise 02b.3.

# %%
from derivations import family
from derivations.common import fokker_planck_residual, x0
from derivations.family import bridge_drift

velocity = bridge_drift(u, c) + lam * (x - M_t) / Sigma2(u, c)
holds(r"v - \big(f - \tfrac12 g^2\,\partial_x\log q\big)", velocity - (bridge_drift(u, c) - lam * pi ** 2 * score))
holds(r"v - \texttt{family.pf\_velocity}", velocity - family.pf_velocity(x, u, c, pi))
L = reverse.log_q()
L_sq, L_norm = -(x - M_t) ** 2 / (2 * Sigma2(u, c) * pi ** 2), -sp.log(Sigma2(u, c) * pi ** 2) / 2
L_number = L - L_sq - L_norm  # the rest of L: a number (its derivatives in every symbol vanish)
assert all(zero(sp.diff(L_number, s_)) == 0 for s_ in (x, u, c, lam, mu, pi))
at_a_point = {x: 0.3, u: 0.7, c: 2.0, lam: 0.1, mu: -0.2, pi: 0.8}
assert abs(float(L_number.subs(at_a_point)) + 0.5 * np.log(2 * np.pi)) < 1e-12
show(r"L - L_{\rm sq} - L_{\rm norm}", r"-\tfrac12\log(2\times3.14159\ldots)",
     f"{-0.5 * np.log(2 * np.pi):.4f}" + r"\quad\text{(a number)}")
L_x = sp.diff(L, x)
assert zero(L_x - sp.diff(L_sq, x)) == 0  # L_norm is free of x: the score is the quadratic term's alone
show(r"\partial_u L_{\rm norm} = -\frac{\partial_u\Sigma_t^2}{2\Sigma_t^2}", sp.simplify(sp.diff(L_norm, u)))
assert zero(fokker_planck_residual(L, x, u, velocity, 0) - (sp.diff(L, u) + sp.diff(velocity, x) + velocity * L_x)) == 0
vanishes_by_powers(r"\text{residual}",
                   {r"\partial_u L_{\rm sq}": sp.diff(L_sq, u), r"\partial_u L_{\rm norm}": sp.diff(L_norm, u),
                    "v_x": sp.diff(velocity, x), "v L_x": velocity * L_x},
                   x, M_t, "(x - M_t)")
without_norm = fokker_planck_residual(L_sq, x, u, velocity, 0)  # the residual with L_norm left out
assert zero(without_norm + sp.diff(L_norm, u)) == 0 and zero(without_norm) != 0
show(r"\partial_u L_{\rm sq} + v_x + v L_x = -\partial_u L_{\rm norm}", sp.simplify(-sp.diff(L_norm, u)))
confirm(reverse, "check_pf_ode_continuity", "check_pf_ode_x0hat_form")


# %% [markdown]
# ## 4. With a predicted $\hat x_0$: exact between interior times, one output from the pinned end
#
# After the cancellation the conditional velocity, with $\pi = x_0 - \mu$ in $g$ *and* in the score, splits into a
# part free of $x_0$ and a multiple of $x_0$ ($\Psi_t = 1 - \Theta_t$ as in 02a): it is **affine in $x_0$**, with the
# slope $\partial_{x_0} v = -\lambda\Theta_t/\Sigma_t^2$, which does not depend on $x_0$.

# %%
v_x0 = velocity.subs(pi, x0 - mu)
Theta_t, Psi_t, Sigma_t = sp.symbols("Theta_t Psi_t Sigma_t", positive=True)  # display names
x0_free = sp.coth(d) * (mu - x) + lam * (x - Psi_t * mu) / Sigma_t ** 2
slope = -lam * Theta_t / Sigma_t ** 2
show(r"v\big|_{\pi = x_0 - \mu}", sp.latex(x0_free) + r" \;-\; " + sp.latex(-slope) + r"\,x_0")
as_clock = {d: c - u, Psi_t: 1 - Theta(u, c), Theta_t: Theta(u, c), Sigma_t: sp.sqrt(Sigma2(u, c))}
assert zero(v_x0 - (x0_free + slope * x0).subs(as_clock)) == 0  # the split is v itself
assert x0 not in (x0_free.free_symbols | slope.free_symbols)  # neither part hides an x0
confirm(reverse, "check_pf_velocity_affine_in_x0")

# %% [markdown]
# Averaging over $x_0\mid x_t$ therefore gives $E[v(x\mid x_0)\mid x_t = x] = v(x\mid E[x_0\mid x_t = x])$, and the
# conditional flows, which each transport their $q(x_t\mid x_0)$ (section 3), average to a flow that transports the
# mixture $p_t(x\mid\mu) = E[q(x_t = x\mid x_0)\mid\mu]$ over the clean images $x_0$ that share the degraded $\mu$:
# with the MMSE prediction $\hat x_0$ the PF-ODE transports this *marginal* exactly between any two times strictly
# inside the bridge (the flow-matching argument). This is a derivation, not a measurement: the oracle of section 0
# knows $x_0$ and tests only the conditional flow; notebook 10 integrates the marginal flow with the exact MMSE
# predictor of a two-mode toy.
# **Caveat at the pinned end:** at $t_T$ every path sits at $\mu$, the ODE is singular there and its solution through
# $x_T = \mu$ is not unique; a deterministic sampler started at $x_T = \mu$ returns *one* output per $\mu$ and cannot
# reproduce the spread of $p_{\rm data}(x_0\mid\mu)$ (notebook 02c, section 1, shows the family of solutions and which
# one the sampler picks; notebook 04 shows it on paths). The averaging argument does not carry over to the stochastic
# reverse SDE: its diffusion coefficient $g = \sqrt{2\lambda}\,|\pi|$ depends on $x_0$, and not affinely, so the
# stochastic samplers (Euler–Maruyama here, and 02c's stochastic implicit steps) use $\sqrt{2\lambda}\,|\hat\pi|$, an
# approximation (notebook 10 measures the bias it causes).

# %% [markdown]
# ## Exercises
#
# Checked like 02b.1 (worked solutions: `solutions/02b_reverse_sde_and_pf_ode_solutions.ipynb`). Section 5, after
# the exercises, takes up both: the limits behind 02b.2, and the factor of 02b.3 at work in the samplers.
#
# **02b.2 (derive).** Near $t_T$ the velocity's two factors, $\coth\bar\theta_{t:T}$ of the forward drift and
# $\lambda/\Sigma_t^2$ of its score term, both grow without bound. How fast does the velocity itself grow along a
# bridge path? Put your velocity of 02b.1 on a bridge path with the true $x_0$ ($\hat\pi = \pi$):
# $x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ for a fixed $\epsilon$, at $\bar\theta_t = c - \bar\theta_{t:T}$ (in
# SymPy, `c - d`, with the symbol `d` imported at the top; so are `Theta` and `Sigma2`).
# (These fixed-$\epsilon$ curves are exactly the solutions of the probability-flow ODE, the family through $\mu$ of
# section 4; section 5 checks it. Reverse-SDE paths are not of this form.) The velocity on the path splits into three
# parts: `v_mean`, the forward drift $f$ acting on the mean part $\Theta_t\pi$ of $x - \mu$; `v_noise`, $f$ acting on the
# noise part $\Sigma_t\pi\epsilon$; and `v_score`, the score term of your velocity. Hand in the limits as
# $\bar\theta_{t:T} \to 0$ of $\bar\theta_{t:T}^{1/2}$ times each part and of $\bar\theta_{t:T}^{1/2}\,v$, with `lam`,
# `pi` and `eps` (and `c` if you need it):
#
# - `"v_mean"`, `"v_noise"`, `"v_score"`: the limits of $\bar\theta_{t:T}^{1/2}$ times each part;
# - `"v"`: $\lim_{\bar\theta_{t:T}\to0}\bar\theta_{t:T}^{1/2}\;dx/du$, the limit for the whole velocity.

# %%
from derivations.common import eps

answer_02b_2 = ...  # {"v_mean": ..., "v_noise": ..., "v_score": ..., "v": ...}
check("02b.2", answer_02b_2)

# %% [markdown]
# **02b.3 (implement).** Two functions, handed in together as
# `{"drift": reverse_sde_drift, "step_factor": step_factor}`.
#
# (a) `reverse_sde_drift(path, x, x0_hat, mu, t)` returns the drift $F_{\rm rev}$ of the reverse-time SDE of the
# introduction, per unit clock and in the direction of increasing clock, on image tensors (shaped like `x`), at an
# integer grid time `t` (a 0-dim tensor) strictly between the clean end and $t_T$, with $x_0$ replaced by the
# prediction `x0_hat`. You may use `path.coefficients(t)`, which returns $(\Theta_t, \Psi_t, \Sigma_t)$ (with
# $\Psi_t = 1 - \Theta_t$ the weight of $\mu$, as in notebook 02a), `path.lam` ($\lambda$) and
# `path.schedule.clock_to_end(t)` ($\bar\theta_{t:T}$); the path's own `reverse_drift`, `velocity`, `score` and
# `posterior` are refused. It is checked on a batch in which a third of the pixels are intact ($\hat x_0 = \mu$, and
# $x = \mu$ there): it must be finite there.
#
# (b) One Euler–Maruyama step from $t$ to $t - 1$ (the introduction; $\Delta u = \bar\theta_t - \bar\theta_{t-1}$,
# with $\bar\theta_t$ = `path.schedule.clock(t)`) is affine in $x_t$: $x_{t-1} = a_t\,x_t + (\text{terms free of }
# x_t)$. `step_factor(path, t)` returns $a_t$ as a number, for an integer grid time $1 \le t \le t_T - 1$, computed
# with your drift of (a) (the path's own methods are refused here too). It is checked on the reference grid, at
# $t = 98$ (the first explicit step after $t_T$) and $t = 1$ (the last explicit step, index 1 → 0) among others,
# and on a grid with four times as many steps. Before you check it, write down your answer to this: if
# $0 < a_t < 1$, what does the step do to a path's distance from the mean $M_t$, and so to an excess of the paths'
# spread over the marginal's that an earlier step has made? Section 5 measures it.

# %%
answer_02b_3 = ...  # {"drift": reverse_sde_drift, "step_factor": step_factor}
check("02b.3", answer_02b_3)

# %% [markdown]
# ## 5. The two singular ends, and where the samplers' errors come from
#
# **Near the pinned end.** Near $t_T$ both factors of the velocity
# $v = \coth(\bar\theta_{t:T})(\mu - x) + \lambda(x - M_t)/\Sigma_t^2$ (section 3), the forward drift's
# $\coth\bar\theta_{t:T}$ and the score term's $\lambda/\Sigma_t^2$, blow up like $1/\bar\theta_{t:T}$. (The
# reverse-SDE drift $F_{\rm rev} = \coth(\bar\theta_{t:T})(\mu - x) + 2\lambda(x - M_t)/\Sigma_t^2$ has the same
# $\coth\bar\theta_{t:T}$ and twice the other factor: it takes all of $-g^2\,\partial_x\log q$, the velocity half.)
# The cell computes their leading coefficients as limits (ingredients of 02b.2's solution): first
# $\bar\theta_{t:T}\coth\bar\theta_{t:T}$, then $\Sigma_t^2$, which behaves like $2\lambda\bar\theta_{t:T}$ as
# $\bar\theta_{t:T} \to 0$, and so $\bar\theta_{t:T}\lambda/\Sigma_t^2$. Then, on a bridge path
# $x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$, the size of the mean part $\Theta_t\pi$ of $x - \mu$, and the limit of
# 02b.2's answer `"v"`, $\bar\theta_{t:T}^{1/2}$ times the velocity on the path; last, the velocity on the mean path
# ($\epsilon = 0$):

# %%
theta_T = sp.Symbol(r"\bar{\theta}_T", positive=True)  # display name of c
limit(d * sp.coth(d), d, 0, 1, lhs=r"\lim_{\bar\theta_{t:T}\to0} \bar\theta_{t:T}\coth\bar\theta_{t:T}")
show(r"\Sigma_t^2\big|_{\bar\theta_t = \bar\theta_T - \bar\theta_{t:T}}", Sigma2(c - d, c).subs(c, theta_T))
limit(Sigma2(c - d, c) / (2 * lam * d), d, 0, 1,
      lhs=r"\lim_{\bar\theta_{t:T}\to0} \frac{\Sigma_t^2}{2\lambda\,\bar\theta_{t:T}}")
limit(d * lam / Sigma2(c - d, c), d, 0, sp.Rational(1, 2),
      lhs=r"\lim_{\bar\theta_{t:T}\to0} \bar\theta_{t:T}\,\frac{\lambda}{\Sigma_t^2}")
confirm(reverse, "check_near_T_terms")
limit(Theta(c - d, c) / d, d, 0, 1 / sp.sinh(c), lhs=r"\lim_{\bar\theta_{t:T}\to0} \frac{\Theta_t}{\bar\theta_{t:T}}")
on_path = {x: mu + Theta(c - d, c) * pi + sp.sqrt(Sigma2(c - d, c)) * pi * eps, u: c - d}
limit(sp.sqrt(d) * velocity.subs(on_path), d, 0, -sp.sqrt(lam / 2) * pi * eps,
      lhs=r"\lim_{\bar\theta_{t:T}\to0} \bar\theta_{t:T}^{1/2}\,v\big|_{x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon}")
limit(velocity.subs(on_path).subs(eps, 0), d, 0, -pi / sp.sinh(c),
      lhs=r"\lim_{\bar\theta_{t:T}\to0} v\big|_{x = M_t}")  # on the mean path (eps = 0): finite
fixed_eps = mu + Theta(u, c) * pi + sp.sqrt(Sigma2(u, c)) * pi * eps  # a bridge path with a fixed eps
holds(r"\partial_u\big(\mu + \Theta_t\pi + \Sigma_t\pi\epsilon\big)"
      r" - v\big|_{x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon}",
      sp.diff(fixed_eps, u) - velocity.subs(x, fixed_eps))  # it solves the probability-flow ODE
grid_before_T = times[1:-1]  # the reference grid's indices 0 ... 98
clock_to_end = pixel_path.schedule.clock_to_end
coth_grid = 1 / torch.tanh(clock_to_end(grid_before_T))
t_max = int(grid_before_T[coth_grid.argmax()])
show(r"\max_{0 \le t \le 98} \coth\bar\theta_{t:T}", rf"\coth\bar\theta_{{{t_max}:T}}", f"{float(coth_grid.max()):.3f}")
show(rf"\bar\theta_{{{t_max}:T}}", f"{float(clock_to_end(torch.tensor(t_max))):.3f}")
assert t_max == 98 and round(float(coth_grid.max()), 3) == 1.314
assert round(float(clock_to_end(torch.tensor(98))), 3) == 0.999
# Heun's first step out of t_T is 02c's implicit step with eta = 0; from x_T = mu it lands on the mean M_[98]
# (Euler-Maruyama's first step is the posterior draw: section 0)
first_flow = samplers.sample_heun(oracle_px, mu_row[:, :1], pixel_path, torch.tensor([99, 98]))
assert torch.equal(first_flow, samplers.implicit_step(pixel_path, mu_row[:, :1], x0_row[:, :1], mu_row[:, :1],
                                                      torch.tensor(99), torch.tensor(98), eta=0.0))
assert torch.allclose(first_flow, pixel_path.mean(x0_row[:, :1], mu_row[:, :1], torch.tensor(98)), rtol=0, atol=1e-15)

# %% [markdown]
# Along a bridge path the forward drift's factor $\coth\bar\theta_{t:T}$ multiplies $x - \mu$, whose mean part
# $\Theta_t\pi$ shrinks like $\bar\theta_{t:T}$ and whose noise part $\Sigma_t\pi\epsilon$ like
# $\bar\theta_{t:T}^{1/2}$; the score term's factor $\lambda/\Sigma_t^2$ multiplies $x - M_t = \Sigma_t\pi\epsilon$,
# which shrinks like $\bar\theta_{t:T}^{1/2}$. So the forward drift acting on the noise part and the score term both
# grow like $\bar\theta_{t:T}^{-1/2}$, with opposite signs (02b.2's `v_noise` and `v_score`; the drift acting on the
# mean part stays finite), and their sum, the velocity's leading term, has the limit $-\sqrt{\lambda/2}\,\pi\epsilon$
# shown above. A finite, nonzero limit of $\bar\theta_{t:T}^{1/2}\,v$ means a velocity
# that grows like $\bar\theta_{t:T}^{-1/2}$, and $\int_0 \bar\theta^{-1/2}\,d\bar\theta$ is finite: every path with
# $\epsilon \ne 0$ leaves $\mu$ with a vertical tangent but travels a finite distance. (On the mean path,
# $\epsilon = 0$, the velocity per unit increasing clock tends to the finite $-\pi/\sinh\bar\theta_T$: in sampling,
# with the clock decreasing, the path leaves $\mu$ towards $x_0$ at the rate $\pi/\sinh\bar\theta_T$ per unit clock.)
# The last check of the cell: the fixed-$\epsilon$ curves solve the probability-flow ODE, their clock derivative is
# the velocity $v$ on them.
#
# On the reference grid the blow-up is never sampled: the grid point nearest $t_T$ (index 98, after which the clock
# jumps by 0.999 to $t_T$) has the largest $\coth\bar\theta_{t:T}$ on the grid, 1.314. The first step out of $t_T$ is
# not an explicit one. Euler–Maruyama's draws $x_{98}$ from 02a's posterior (checked in section 0). Heun's is the
# implicit step of notebook 02c (section 1) with $\eta = 0$: the exact probability-flow step for the given
# $\hat x_0$, which from $x_T = \mu$ lands on the mean $M_{[98]}$, the one solution through $\mu$ that the sampler picks
# (section 4's caveat; the cell above checks both).
#
# **Near the clean end.** The score term's factor blows up at the clean end too. There $\Theta_t \to 1$ and
# $\Sigma_t \to 0$: the marginal shrinks to the point $x_0$. As $\bar\theta_t \to 0$, $\Sigma_t^2$ behaves like
# $2\lambda\bar\theta_t$, so $\lambda/\Sigma_t^2$ behaves like $1/(2\bar\theta_t)$, whatever $\lambda$:

# %%
show(r"\Sigma_t^2", Sigma2(u, c).subs(c, theta_T))
limit(Sigma2(u, c) / (2 * lam * u), u, 0, 1, lhs=r"\lim_{\bar\theta_t\to0} \frac{\Sigma_t^2}{2\lambda\,\bar\theta_t}")
limit(u * lam / Sigma2(u, c), u, 0, sp.Rational(1, 2),
      lhs=r"\lim_{\bar\theta_t\to0} \bar\theta_t\,\frac{\lambda}{\Sigma_t^2}")
clock = pixel_path.schedule.clock


def score_factor(t_):
    """lambda / Sigma_t^2, the velocity's score factor, at the grid index t_ of the reference grid (free of lambda)."""
    return pixel_path.lam / float(pixel_path.coefficients(torch.tensor(t_))[2]) ** 2


u_0 = float(clock(torch.tensor(0)))
show(r"\bar\theta_{[0]}\ (\text{at grid index 0})", rf"{u_0 * 1e4:.1f}\times10^{{-4}}")
show(r"\frac{\lambda}{\Sigma_{[0]}^2}", f"{score_factor(0):.1f}")
show(r"\frac{2\lambda}{\Sigma_{[0]}^2}", f"{2 * score_factor(0):.1f}")
show(r"\bar\theta_{[0]}\,\frac{\lambda}{\Sigma_{[0]}^2}", f"{u_0 * score_factor(0):.4f}")
assert round(u_0 * 1e4, 1) == 6.3 and round(score_factor(0), 1) == 792.5 and round(u_0 * score_factor(0), 4) == 0.5003
assert round(2 * score_factor(0), 1) == 1585.1
assert abs(bridges.rdbm(lam=1e-4).lam / float(bridges.rdbm(lam=1e-4).coefficients(torch.tensor(0))[2]) ** 2
           - score_factor(0)) < 1e-6 * score_factor(0)  # the same for RDBM's default lambda

# %% [markdown]
# At grid index 0, $\bar\theta_{[0]} = 6.3\times10^{-4}$ and $\lambda/\Sigma_{[0]}^2 = 792.5$. In the sampling
# direction (the clock decreasing) a step adds $-\Delta u\,\lambda(x - M_t)/\Sigma_t^2$ through the velocity's score
# term, so that term pulls $x$ towards $M_t$ with this *score factor* $\lambda/\Sigma_t^2$ per unit clock; the
# reverse-SDE drift's term $2\lambda(x - M_t)/\Sigma_t^2$ does so with twice the factor, 1585.1.
#
# **Where the samplers' errors come from.** An Euler–Maruyama step takes the factors at its start and holds them over
# the step; Heun's step averages the velocities at its two ends. A first guess is that it errs most where its clock
# length $\Delta u$ times the score factor is largest. The
# cell measures that product on every explicit step of the reference grid, from index 98 down to index 1 (the final
# step, from index 0, lands on the clean end and returns $\hat x_0$), for the velocity's $\lambda/\Sigma_t^2$; the
# SDE's $2\lambda/\Sigma_t^2$ doubles each product.

# %%
explicit = range(98, 0, -1)  # the explicit steps t -> t - 1 of both samplers on the reference grid
du = {t_: float(clock(torch.tensor(t_)) - clock(torch.tensor(t_ - 1))) for t_ in explicit}
step_product = {t_: du[t_] * score_factor(t_) for t_ in explicit}  # clock length x the factor at the step's start
t_most = max(step_product, key=step_product.get)
print(f"(clock length of the step) x lambda / Sigma_t^2: largest {step_product[t_most]:.2f} on the step from index "
      f"{t_most}, smallest {min(step_product.values()):.2f} (from index {min(step_product, key=step_product.get)}), "
      f"{step_product[1]:.2f} on the step from index 1 to 0; with the SDE's 2 lambda / Sigma_t^2: "
      f"{2 * step_product[t_most]:.2f} and {2 * step_product[1]:.2f}")
assert t_most == 98 and round(step_product[98], 2) == 0.87 and round(step_product[1], 2) == 0.32
assert round(2 * step_product[98], 2) == 1.74 and round(2 * step_product[1], 2) == 0.64
factor_change = {t_: score_factor(t_ - 1) / score_factor(t_) for t_ in explicit}  # its change within a step
print(f"lambda / Sigma_t^2 at the step's end over its start: {factor_change[1]:.2f} on the step from index 1 to 0, "
      f"{factor_change[98]:.2f} on the step from index 98")
assert max(factor_change, key=lambda t_: max(factor_change[t_], 1 / factor_change[t_])) == 1
assert round(factor_change[1], 2) == 2.77 and round(factor_change[98], 2) == 0.89

# %% [markdown]
# So the product is largest on the first explicit step, out of index 98, and only 0.32 on the last explicit step
# (index 1 → 0): it does not put the errors at grid index 0. Two other measurements do: the error that one step
# makes, started from the exact marginal and measured against the marginal where it lands; and what the later steps
# do with an error.
#
# For Euler–Maruyama both can be computed without sampling. With the oracle its step is affine,
# $x_{t-1} = a_t x_t + (\text{terms free of } x_t) + \sqrt{2\lambda\Delta u}\,|\pi|\,z$, with the factor $a_t$ of
# 02b.3 (read off the library's drift below), so the variance of its paths follows
# $\mathrm{Var}_{t-1} = a_t^2\,\mathrm{Var}_t + 2\lambda\Delta u\,\pi^2$ exactly, and the mean of its paths follows the
# drift-only step, $m_{t-1} = m_t - \Delta u\,F_{\rm rev}(m_t)$. The cell propagates both from index 98, where the
# posterior step out of $t_T$ lands with the marginal's mean and variance, and compares them with the 16000 paths of
# section 0. For Heun (started at index 60 in section 0) it takes one step from the place $+2$ std at each time.

# %%
zero_px, one_px = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)


def em_factor(path, t_):
    """a_t of one Euler-Maruyama step from t_ to t_ - 1 on `path`'s grid: 1 - du dF_rev/dx, with the slope of the
    library's drift read off at x = 1 and x = 0."""
    t_ = torch.tensor(t_)
    slope = path.reverse_drift(one_px, zero_px, zero_px, t_) - path.reverse_drift(zero_px, zero_px, zero_px, t_)
    return 1 - float(path.schedule.clock(t_) - path.schedule.clock(t_ - 1)) * float(slope)


class EMSpread(NamedTuple):
    """Euler-Maruyama's paths without sampling, each a dict over grid indices."""
    propagated: dict  # the paths' spread / the marginal's std at each time s < t_T - 1
    one_step: dict  # for each step t -> t - 1: the same ratio after that step alone, from the exact spread at t
    mean_offset: dict  # (the paths' mean - M_s) / the marginal's std at each time s < t_T - 1


def em_spread(path):
    """Euler-Maruyama with the oracle on every time of `path`'s grid, without sampling: variance and mean of its paths
    propagated from the marginal's at t_T - 1, where the posterior step lands."""
    x0_1, mu_1 = x0_row[:, :1], mu_row[:, :1]
    std = (lambda t_: float(path.std(x0_1, mu_1, torch.tensor(t_))))
    var, mean = std(path.schedule.t_T - 1) ** 2, path.mean(x0_1, mu_1, torch.tensor(path.schedule.t_T - 1))
    out = EMSpread({}, {}, {})
    for t_ in range(path.schedule.t_T - 1, 0, -1):
        a, clock_step = em_factor(path, t_), float(path.schedule.clock(torch.tensor(t_)) - path.schedule.clock(
            torch.tensor(t_ - 1)))
        noise_var = 2 * path.lam * clock_step * (x0_px - mu_px) ** 2  # the step's fresh noise, 2 lam du pi^2
        var = a ** 2 * var + noise_var
        mean = mean - clock_step * path.reverse_drift(mean, x0_1, mu_1, torch.tensor(t_))
        out.propagated[t_ - 1] = var ** 0.5 / std(t_ - 1)
        out.one_step[t_] = (a ** 2 * std(t_) ** 2 + noise_var) ** 0.5 / std(t_ - 1)
        out.mean_offset[t_ - 1] = float(mean - path.mean(x0_1, mu_1, torch.tensor(t_ - 1))) / std(t_ - 1)
    return out


a_t = {t_: em_factor(pixel_path, t_) for t_ in explicit}
propagated, one_step, mean_offset = em_spread(pixel_path)
rows_at = {t_: int((sde_t == t_).nonzero()[0, 0]) for t_ in (97, 90, 60, 10, 0)}  # rows of section 0's run
sampled = {t_: float(sde_x[k].std() / std_t[times == t_][0]) for t_, k in rows_at.items()}
sampled_offset = {t_: float((sde_x[k].mean() - mean_t[times == t_][0]) / std_t[times == t_][0])
                  for t_, k in rows_at.items()}
rel_se = 1 / (2 * (n_sde - 1)) ** 0.5  # standard error of a sample std, relative to it (Gaussian paths)
mean_se = 1 / n_sde ** 0.5  # standard error of a sample mean, in standard deviations
print(f"Euler-Maruyama: factor a_t between {min(a_t.values()):.2f} and {max(a_t.values()):.2f} "
      f"(a_98 = {a_t[98]:.2f}, a_1 = {a_t[1]:.2f})")
print(f"  one step from the exact spread, spread / marginal std where it lands: {one_step[98]:.2f} on the step "
      f"from index 98, {one_step[1]:.2f} on the step from index 1 (the largest)")
print("  propagated from index 98, spread / marginal std: "
      + ", ".join(f"t = {t_}: {propagated[t_]:.3f}" for t_ in sampled)
      + "\n  the 16000 paths of section 0:                     "
      + ", ".join(f"t = {t_}: {r:.3f}" for t_, r in sampled.items()))
print("  the paths' mean, (mean - M_t) / marginal std: at most "
      f"{max(abs(o) for o in mean_offset.values()):.3f} in size at every time (propagated); at the times above\n"
      "    propagated "
      + ", ".join(f"{mean_offset[t_]:+.3f}" for t_ in sampled) + "; the 16000 paths "
      + ", ".join(f"{o:+.3f}" for o in sampled_offset.values()) + f" (standard error {mean_se:.4f})")
assert round(min(a_t.values()), 2) == 0.25 and round(max(a_t.values()), 2) == 0.95 and max(a_t.values()) < 1
assert round(a_t[98], 2) == 0.25 and round(a_t[1], 2) == 0.36
assert max(abs(o) for o in mean_offset.values()) < 0.02
assert all(abs(o - mean_offset[t_]) < 3 * mean_se for t_, o in sampled_offset.items())  # within 3 s.e.
assert max(one_step, key=one_step.get) == 1 and round(one_step[1], 2) == 1.46 and round(one_step[98], 2) == 1.27
assert [round(propagated[t_], 2) for t_ in (97, 90, 60)] == [1.27, 1.07, 1.02] and round(propagated[0], 2) == 1.54
assert all(abs(r - propagated[t_]) < 3 * rel_se * propagated[t_] for t_, r in sampled.items())  # within 3 s.e.
x0_1, mu_1 = x0_row[:, :1], mu_row[:, :1]
heun_error = {}  # one Heun step from the place +2 std at t_: the place where it lands, minus 2
for t_ in range(t_start, 0, -1):
    start = pixel_path.mean(x0_1, mu_1, t_) + 2 * pixel_path.std(x0_1, mu_1, t_)
    end = samplers.sample_heun(oracle_px, mu_1, pixel_path, torch.tensor([t_, t_ - 1]), x_T=start)
    heun_error[t_] = float((end - pixel_path.mean(x0_1, mu_1, t_ - 1)) / pixel_path.std(x0_1, mu_1, t_ - 1)) - 2
k_0 = int((ode_t == 0).nonzero()[0, 0])  # section 0's ODE paths at grid index 0
gap_heun = float((ode_x[k_0, -1] - mean_t[times == 0][0]) / std_t[times == 0][0]) - 2  # the path from +2 std
print(f"Heun from index {t_start}: one step from +2 std misplaces the path by {heun_error[1]:+.2f} std on the step "
      f"from index 1, by at most {max(abs(e) for t_, e in heun_error.items() if t_ > 1):.2f} on each other step; "
      f"the one-step errors add up to {sum(heun_error.values()):+.2f}, the path's gap at index 0 is {gap_heun:+.2f}")
assert round(heun_error[1], 2) == -0.21 and max(abs(e) for t_, e in heun_error.items() if t_ > 1) < 0.05
assert round(sum(heun_error.values()), 2) == -0.29 and round(gap_heun, 2) == -0.28

# %% [markdown]
# The same measurements as a figure. **Left:** the spread of section 0's 16000 reverse-SDE paths over the marginal's
# standard deviation at every grid index from 98 to 0 (with a band of $\pm 2$ standard errors), the same computed
# without sampling (propagated from index 98), and the ratio after one step alone from the exact spread (drawn where
# the step lands). **Right:** the places $(x - \text{mean})/\text{std}$ of section 0's five ODE paths, from $t = 60$ to
# grid index 0; the exact flow keeps them at $-2, \dots, 2$.

# %%
em_rows = (sde_t >= 0) & (sde_t < 99)  # section 0's SDE run at grid indices 98 ... 0
em_t = sde_t[em_rows]
em_ratio = sde_x[em_rows].std(dim=1) / std_t[em_t + 1]  # std_t is indexed from the clean end, index -1
ode_rows = ode_t >= 0
ode_place = (ode_x[ode_rows] - mean_t[ode_t[ode_rows] + 1][:, None]) / std_t[ode_t[ode_rows] + 1][:, None]
fig, (ax_sde, ax_ode) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
ax_sde.fill_between(em_t, em_ratio * (1 - 2 * rel_se), em_ratio * (1 + 2 * rel_se), color="C0", alpha=0.3, lw=0)
ax_sde.plot(em_t, em_ratio, color="C0", lw=1, label=f"{n_sde} paths ($\\pm 2$ s.e.)")
prop_t = [98] + sorted(propagated, reverse=True)
ax_sde.plot(prop_t, [1.0] + [propagated[t_] for t_ in prop_t[1:]], color="black", ls="--", lw=1,
            label="without sampling")
ax_sde.plot([t_ - 1 for t_ in one_step], list(one_step.values()), "o", color="C3", ms=2.5,
            label="one step from the exact spread")
ax_sde.axhline(1, color="grey", lw=0.6)
ax_sde.set_ylabel("spread / marginal std", fontsize=10)
ax_sde.set_title("reverse SDE, Euler–Maruyama", fontsize=11)
ax_sde.legend(fontsize=9, loc="upper center")
for k in range(n_ode):
    ax_ode.plot(ode_t[ode_rows], ode_place[:, k], color=colours[k], lw=1.5)
ax_ode.set_ylabel(r"place $(x - \mathrm{mean})/\mathrm{std}$", fontsize=10)
ax_ode.set_title("probability-flow ODE, Heun", fontsize=11)
ax_sde.set_xlim(100, -2)
ax_ode.set_xlim(t_start + 2, -2)
for ax in (ax_sde, ax_ode):
    ax.set_xlabel("grid index $t$ (sampling: left to right)", fontsize=10)
plt.show()
# at index 98 the spread is the exact posterior draw's
assert int(em_t[0]) == 98 and int(em_t[-1]) == 0 and abs(float(em_ratio[0]) - 1) < 3 * rel_se
assert abs(float(em_ratio[-1]) - sampled[0]) < 1e-12 and abs(float(ode_place[-1, -1]) - 2 - gap_heun) < 1e-12

# %% [markdown]
# So the step from index 98 does make a large error: right after it, at index 97, the spread of the Euler–Maruyama
# paths is 1.27 times the marginal's. But the reverse SDE forgets it. Each step maps a path's distance from the
# marginal's mean, $x_t - M_t$, to $a_t(x_t - M_t)$ plus terms free of $x_t$ (the step's own error of the mean, and
# its fresh noise), with the factor $a_t$ of 02b.3, which lies between 0.25 and 0.95 on every step. So it multiplies
# an excess of variance made earlier by $a_t^2$, while it adds its own error: the spread is down to 1.07 times the
# marginal's at index 90 and 1.02 at index 60. The errors of the mean stay small: the paths' mean is within 0.02
# marginal standard deviations of $M_t$ at every time. Near the clean end the one-step error grows again, and the
# last explicit step (index 1 → 0) makes the largest of all (1.46 times the marginal's spread, from the exact spread
# at index 1): within that step the score factor $\lambda/\Sigma_t^2$ grows by a factor of 2.77, more than within any
# other step (within the step from index 98 it changes by a factor of 0.89), while Euler–Maruyama holds it at its
# value at the step's start. No explicit step comes after it to shrink its error (the final step, from index 0, lands on
# the
# clean end and returns $\hat x_0$): at index 0 the spread is 1.54 times the marginal's. The 16000 paths of section 0
# agree with these spreads and means at every time shown, within 3 standard errors.
#
# The probability flow forgets nothing: the exact flow keeps every path at its place in the distribution, so an
# error of Heun's method stays where it is made. Heun's step evaluates the velocity at both ends of the step, but the
# average of the two ends misses a factor that behaves like $1/(2\bar\theta_t)$ and grows 2.77-fold inside the last
# explicit step. From index 60, one Heun step misplaces the path from $+2$ std by
# less than 0.05 std on every explicit step but the last, and by $-0.21$ std on the last explicit step (index 1 → 0).
# The one-step errors add up to $-0.29$, close to the path's gap of $-0.28$ at index 0 (it sits at $1.72$ std).
#
# The samplers' errors are therefore largest at grid index 0 because the last explicit step (index 1 → 0) errs most
# and no explicit step comes after it, not because its $\Delta u$ times the score factor is the largest. Appendix A
# shows that both errors shrink on finer grids as fast as each solver's convergence order predicts. Notebook 02c
# measures Euler's error on the probability flow.

# %% [markdown]
# ## 6. The reverse SDE transports $q$ too
#
# With $x_0$ known, the reverse-time SDE transports $q$: its marginal stays $q$ between interior times. In the
# reversed clock $\tilde u = -u$ (it runs from $-c$ at $t_T$ up to 0 at the clean end) it has the drift
# $-F_{\rm rev}$ and the squared diffusion coefficient $g^2 = 2\lambda\pi^2$, so its Fokker–Planck equation, divided by
# $q$, reads
# $L_{\tilde u} - \partial_x F_{\rm rev} - F_{\rm rev} L_x - \lambda\pi^2(L_{xx} + L_x^2) = 0$ (evaluated at
# $\tilde u = -u$, where $L_{\tilde u} = -L_u$; $L$ with its normalising term, as in section 3). As in section 3,
# the cell collects the residual by powers of $(x - M_t)$. The equation holds strictly inside the bridge; the start at
# $\mu$, where $q$ is a point mass, is handled by the sampler's exact posterior draw of $x_{[98]}$ (section 0).

# %%
u_rev = sp.Symbol(r"\tilde{u}")  # the reversed clock -u
F_rev = bridge_drift(u, c) - 2 * lam * pi ** 2 * score
reverse_parts = {r"L_{\tilde u}": -sp.diff(L, u), r"-\partial_x F_{\rm rev}": -sp.diff(F_rev, x), r"-F_{\rm rev} L_x": -F_rev * L_x,
                 r"-\lambda\pi^2(L_{xx} + L_x^2)": -lam * pi ** 2 * (sp.diff(L_x, x) + L_x ** 2)}  # L_u~ = -L_u
assert zero(sum(reverse_parts.values()) - fokker_planck_residual(
    L.subs(u, -u_rev), x, u_rev, -F_rev.subs(u, -u_rev), lam * pi ** 2).subs(u_rev, -u)) == 0
vanishes_by_powers(r"\text{residual at } \tilde u = -u", reverse_parts, x, M_t, "(x - M_t)")
confirm(reverse, "check_reverse_sde")

# %% [markdown]
# ## Appendix A. The samplers' gaps to the marginal, measured
#
# How far the two samplers of section 0 are from the forward marginal: the reverse-SDE paths' spread against the
# marginal's standard deviation at several times (their mean stays within 0.02 standard deviations of the marginal's,
# section 5), and the ODE paths' places in the distribution ($(x - \text{mean})/\text{std}$ at each time; the exact
# flow keeps them at $-2, \dots, 2$). To tell the discretisation from the equations, the same runs are repeated on
# grids with four and sixteen times as many steps (`bridges.rdbm(n=400, lam=0.1)` and
# `bridges.rdbm(n=1600, lam=0.1)`: the same cosine schedule with 400 and 1600 steps) and compared at the grid times
# whose clock values match those of reference
# indices 90, 10 and 0; for the reverse SDE the spread is also computed without sampling, with section 5's recursion.
# The grids are not nested. Every grid ends with the same clock jump of 0.999 (the clamp of the schedule's last step),
# but the finer grids have more steps before it, so their terminal clock $\bar\theta_T$ is larger, and the clock step
# that lands at a compared time is not exactly 4 or 16 times shorter than the reference grid's: both are printed with
# the comparison. At the compared times the longer clock hardly changes the bridge: there the finer grids' marginal
# standard deviations differ from the reference grid's by less than 0.1 %.

# %%
spread = {}
for t_show in (90, 60, 40, 20, 10, 5, 1, 0):
    k = int((sde_t == t_show).nonzero()[0, 0])
    spread[t_show] = (float(sde_x[k].std()), float(std_t[times == t_show][0]))
print(f"reverse SDE, std of {n_sde} paths / std of the marginal:",
      ", ".join(f"t = {t}: {s / m:.3f}" for t, (s, m) in spread.items()))
print(f"  (the standard error of such a ratio, from {n_sde} paths: {rel_se:.4f}, i.e. {100 * rel_se:.2f} %)")
print(f"at grid index 0, the last time before the clean end: paths {spread[0][0]:#.4g}, marginal {spread[0][1]:#.4g}, "
      f"ratio {spread[0][0] / spread[0][1]:#.4g}")
middle = {t: s / m for t, (s, m) in spread.items() if 10 <= t <= 90}
excess_se = {t: (r - 1) / rel_se for t, r in middle.items()}
print("  excess over 1 from t = 90 to t = 10, in standard errors:", ", ".join(f"{e:.1f}" for e in excess_se.values()))
assert abs(rel_se - 0.0056) < 5e-5
assert all(r > 1 for r in middle.values())  # all five above 1 ...
assert abs(min(middle.values()) - 1.008) < 5e-4 and abs(max(middle.values()) - 1.058) < 5e-4  # ... by 0.8 to 5.8 %
assert all(9 < excess_se[t] < 11 for t in (90, 10))  # at t = 90 and t = 10 by about 10 standard errors
assert 1.55 < spread[0][0] / spread[0][1] < 1.57  # the coarse steps near the clean end widen the spread: 1.56 times
inside = ode_t >= 0  # the ODE's times before its final step to the clean end
idx = (ode_t[inside] + 1).long()  # position of each ODE time in `times` (which starts at the clean index -1)
ode_z = (ode_x[inside] - mean_t[idx][:, None]) / std_t[idx][:, None]
late = ode_t[inside] >= 5
print(f"ODE paths: their places (x - mean) / std stay within {float((ode_z[late] - quantiles).abs().max()):.3f} of "
      f"-2, -1, 0, 1, 2 down to t = 5; at grid index 0 the outer two sit at {float(ode_z[-1, 0]):.2f} and "
      f"{float(ode_z[-1, -1]):+.2f}")
assert round(float((ode_z[late] - quantiles).abs().max()), 3) == 0.013
assert 1.71 < float(ode_z[-1, -1]) < 1.73 and 1.71 < -float(ode_z[-1, 0]) < 1.73  # Heun's last steps: about 1.72
assert len(ode_grid) - 1 == 60 + 1  # 60 Heun steps down to grid index 0, then the final step to the clean end
assert bool((ode_x[inside].diff(dim=1) > 0).all())  # ordered at every time before the clean end: they never cross

# %% [markdown]
# The same two measurements on the finer grids, compared at the grid times whose clocks are closest to those of
# reference indices 90, 10 and 0. Two helpers, one per sampler: `sde_spread` returns the spread of 16000 reverse-SDE
# paths over the marginal's standard deviation at those times, `ode_places` the places of the ODE paths started at
# $\pm 2$ standard deviations, at the time of reference index 0. `end_gaps` collects them in a `GridGaps` record, with
# the SDE's spread ratios computed without sampling (`em_spread`) and what the grids differ in: the clock steps that
# land at the compared times, the largest mismatch of the matched clocks and of the marginal's standard deviation,
# the last clock jump and $\bar\theta_T$. Each grid's SDE run draws its noise from a seed of its own (0 on the
# reference grid, the run of section 0; 1 and 2 on the finer grids), so the spreads measured on different grids are
# independent estimates, and the standard error of the ratio of two of their gaps is computed as that of independent
# estimates.

# %%
CLOCKS = {t_: float(pixel_path.schedule.clock(torch.tensor(t_))) for t_ in (90, 10, 0)}  # the reference grid's


def nearest(path, clock):
    """The index of `path`'s grid whose clock is closest to `clock`."""
    ts_ = path.schedule.times()[1:]  # without the clean end
    return int(ts_[(path.schedule.clock(ts_) - clock).abs().argmin()])


class AtTimes:
    """A sampler callback that keeps the state only at the grid times `keep` (a 1600-step run of 16000 paths would
    otherwise hold 1601 copies of it)."""

    def __init__(self, keep):
        self.keep, self.x = {int(t_) for t_ in keep}, {}

    def __call__(self, info):
        if int(info["s"]) in self.keep:
            self.x[int(info["s"])] = info["x"]


def sde_spread(path, seed):
    """Reverse SDE on every time of `path`'s grid, its noise drawn from `seed`: at the times whose clocks are closest
    to those of reference indices 90, 10 and 0, the paths' spread / the marginal's std."""
    matched = {t_ref: nearest(path, clock) for t_ref, clock in CLOCKS.items()}
    run = AtTimes(matched.values())
    samplers.sample_euler_maruyama(oracle_px, mu_row, path, torch.arange(path.schedule.t_T, -1, -1), callback=run,
                                   generator=torch.Generator().manual_seed(seed))
    return {t_ref: float(run.x[t_].std() / path.std(x0_row[:, :1], mu_row[:, :1], torch.tensor(t_)))
            for t_ref, t_ in matched.items()}


def ode_places(path):
    """Heun on the PF-ODE from the time closest to reference index 60, started at -2 and +2 std: the two paths'
    places (x - mean) / std at the time closest to reference index 0."""
    t0 = nearest(path, float(pixel_path.schedule.clock(torch.tensor(t_start))))
    t_end = torch.tensor(nearest(path, CLOCKS[0]))
    x0_2, mu_2 = x0_row[:, :2], mu_row[:, :2]
    start = path.mean(x0_2, mu_2, t0) + torch.tensor([[-2.0, 2.0]], dtype=torch.float64) * path.std(x0_2, mu_2, t0)
    end = samplers.sample_heun(oracle_px, mu_2, path, torch.arange(t0, int(t_end) - 1, -1), x_T=start)
    places = ((end - path.mean(x0_2, mu_2, t_end)) / path.std(x0_2, mu_2, t_end))[0]
    return float(places[0]), float(places[1])


class GridGaps(NamedTuple):
    """What `end_gaps` measures on one grid; the dicts run over the reference indices 90, 10 and 0."""
    sde: dict  # the sampled reverse-SDE spread / the marginal's std, at the matched times
    sde_exact: dict  # the same, computed without sampling (section 5's em_spread)
    ode_places: tuple  # the places of the ODE paths started at -2 and +2 std, at the time matched to index 0
    step_ratio: dict  # the reference grid's clock step over this grid's, for the step that lands at the matched time
    clock_mismatch: float  # the largest relative mismatch of a matched clock
    std_mismatch: float  # the largest relative difference of the marginal's std from the reference grid's
    last_jump: float  # the last clock step, into t_T
    terminal_clock: float  # thbar_T


def end_gaps(path, seed):
    """The GridGaps of `path`'s grid, its SDE noise drawn from `seed`."""
    clock, px = path.schedule.clock, (x0_row[:, :1], mu_row[:, :1])
    matched = {t_ref: nearest(path, cl) for t_ref, cl in CLOCKS.items()}
    landing = (lambda schedule, t_: float(schedule.clock(torch.tensor(t_ + 1)) - schedule.clock(torch.tensor(t_))))
    exact = em_spread(path).propagated
    t_T = torch.tensor(path.schedule.t_T)
    return GridGaps(
        sde=sde_spread(path, seed), sde_exact={t_ref: exact[t_] for t_ref, t_ in matched.items()},
        ode_places=ode_places(path),
        step_ratio={t_ref: landing(pixel_path.schedule, t_ref) / landing(path.schedule, t_)
                    for t_ref, t_ in matched.items()},
        clock_mismatch=max(abs(float(clock(torch.tensor(t_))) / CLOCKS[t_ref] - 1) for t_ref, t_ in matched.items()),
        std_mismatch=max(abs(float(path.std(*px, torch.tensor(t_)) / pixel_path.std(*px, torch.tensor(t_ref))) - 1)
                         for t_ref, t_ in matched.items()),
        last_jump=float(clock(t_T) - clock(t_T - 1)), terminal_clock=float(clock(t_T)))


# %%
SEEDS = {100: 0, 400: 1, 1600: 2}  # one seed per grid: independent SDE runs (the reference grid's is section 0's)
grids = {n: end_gaps(pixel_path if n == 100 else bridges.rdbm(n=n, lam=0.1), seed) for n, seed in SEEDS.items()}
print("compared at equal clock values (those of reference indices 90, 10 and 0):")
for n, g in grids.items():
    print(f"  N = {n:4d}: SDE spread / marginal std " + ", ".join(f"{r:.3f}" for r in g.sde.values())
          + " (without sampling " + ", ".join(f"{r:.3f}" for r in g.sde_exact.values())
          + f"); ODE paths from -2 and +2 std end at {g.ode_places[0]:+.3f} and {g.ode_places[1]:+.3f} std")
    print("            the reference grid's clock step over this grid's, on the step landing there: "
          + ", ".join(f"{r:.2f}" for r in g.step_ratio.values()))
    print(f"            clocks matched to {100 * g.clock_mismatch:.2f} %, marginal stds to "
          f"{100 * g.std_mismatch:.3f} %; "
          f"last clock jump {g.last_jump:.3f}, terminal clock {g.terminal_clock:.2f}")
assert all(g.clock_mismatch < 0.01 and g.std_mismatch < 1e-3 for g in grids.values())  # (nearly) equal clocks, stds
assert all(abs(g.last_jump - 0.999) < 1e-9 for g in grids.values())  # the same last jump on every grid
assert grids[100].terminal_clock < grids[400].terminal_clock < grids[1600].terminal_clock  # longer on finer grids
assert [round(r, 2) for n in (400, 1600) for r in grids[n].step_ratio.values()] == [4.05, 4.12, 4.78, 16.46, 16.6,
                                                                                    20.09]
# every sampled spread ratio r lies within 3 of its standard errors, r * rel_se, of the exact one
assert all(abs(r - g.sde_exact[t_ref]) < 3 * rel_se * r for g in grids.values() for t_ref, r in g.sde.items())
# the gaps: |ratio - 1| of the SDE at the three clocks, sampled and exact, and |2 - |place|| of the ODE at index 0 (the
# larger of its two paths); a sampled ratio r has the standard error r * rel_se; the exact ones and the ODE have none
gaps = {n: {**{("SDE", t_ref): abs(r - 1) for t_ref, r in g.sde.items()},
            ("ODE", 0): max(abs(abs(p_) - 2) for p_ in g.ode_places)} for n, g in grids.items()}
gap_se = {n: {**{("SDE", t_ref): r * rel_se for t_ref, r in g.sde.items()}, ("ODE", 0): 0.0} for n, g in grids.items()}
exact_gaps = {n: {**{("SDE", t_ref): abs(r - 1) for t_ref, r in g.sde_exact.items()}, ("ODE", 0): gaps[n][("ODE", 0)]}
              for n, g in grids.items()}
refinements = ((100, 400), (400, 1600))


def factor(k, n, m):
    """The sampled gap k on grid n divided by the one on grid m, and its standard error: the two gaps come from
    independent runs (their own seeds), so their relative standard errors add in quadrature."""
    f = gaps[n][k] / gaps[m][k]
    return f, f * ((gap_se[n][k] / gaps[n][k]) ** 2 + (gap_se[m][k] / gaps[m][k]) ** 2) ** 0.5


def observed_order(k, n, m):
    """log(gap shrink factor) / log(clock step shrink factor) of the gap k computed without sampling, from grid n to
    grid m, with the clock steps that land at the compared time: 1 for a first-order error, 2 for a second-order one."""
    step_shrink = grids[m].step_ratio[k[1]] / grids[n].step_ratio[k[1]]
    return float(np.log(exact_gaps[n][k] / exact_gaps[m][k]) / np.log(step_shrink))


shrink = {k: tuple(factor(k, n, m) for n, m in refinements) for k in gaps[100] if k[0] == "SDE"}
shrink_exact = {k: tuple(exact_gaps[n][k] / exact_gaps[m][k] for n, m in refinements) for k in exact_gaps[100]}
orders = {k: tuple(observed_order(k, n, m) for n, m in refinements) for k in exact_gaps[100]}
label = (lambda k: f"{k[0]} at {k[1]}")
print("each gap divided by the next finer grid's, N = 100 / 400 and N = 400 / 1600:")
print("  without sampling: " + "; ".join(f"{label(k)}: {a:.2f} and {b:.2f}" for k, (a, b) in shrink_exact.items()))
print("    observed order (log of the gap's factor / log of the clock step's): "
      + "; ".join(f"{label(k)}: {a:.2f} and {b:.2f}" for k, (a, b) in orders.items()))
print("  SDE sampled at grid index 0 (± one standard error): "
      + " and ".join(f"{f:.1f} ± {e:.1f}" for f, e in shrink[("SDE", 0)]))
assert all(f > 1 for fs in shrink_exact.values() for f in fs)  # every gap computed without sampling shrinks
sde_shrink = [f for k, fs in shrink_exact.items() if k[0] == "SDE" for f in fs]
assert round(min(sde_shrink), 2) == 4.02 and round(max(sde_shrink), 2) == 4.57
assert [round(f, 2) for f in shrink_exact[("ODE", 0)]] == [19.28, 16.97]
assert [round(exact_gaps[n][("SDE", 0)], 2) for n in grids] == [0.54, 0.12, 0.03]
sde_orders = [o for k, os_ in orders.items() if k[0] == "SDE" for o in os_]
assert round(min(sde_orders), 2) == 0.97 and round(max(sde_orders), 2) == 1.01  # first order: Euler-Maruyama
assert all(1.8 < o < 2.1 for o in orders[("ODE", 0)])  # second order: Heun
assert [round(o, 2) for o in orders[("ODE", 0)]] == [1.89, 1.97]
assert [round(gaps[n][("SDE", 0)], 2) for n in grids] == [0.56, 0.12, 0.02]
assert [round(f, 1) for f, _ in shrink[("SDE", 0)]] == [4.8, 5.5]  # sampled, at grid index 0 ...
assert [round(e, 1) for _, e in shrink[("SDE", 0)]] == [0.3, 1.5]  # ... with standard errors 0.3 and 1.5
# sampled, at t = 90 and t = 10 on the finer grids: each gap in its standard errors
gap_in_se = {(n, t_ref): gaps[n][("SDE", t_ref)] / gap_se[n][("SDE", t_ref)] for n in (400, 1600) for t_ref in (90, 10)}
print("  SDE sampled gaps at t = 90 and t = 10 on the finer grids, in standard errors: "
      + ", ".join(f"N = {n}, t = {t_ref}: {z:.1f}" for (n, t_ref), z in gap_in_se.items()))
assert round(min(gap_in_se.values()), 1) == 0.8 and round(max(gap_in_se.values()), 1) == 3.2
assert [round(grids[100].sde_exact[t_], 3) for t_ in (90, 10, 0)] == [1.071, 1.061, 1.541]
assert [round(abs(p_), 3) for n in (400, 1600) for p_ in grids[n].ode_places] == [1.985, 1.985, 1.999, 1.999]

# %%
ref_landing = {t_ref: float(clock(torch.tensor(t_ref + 1)) - clock(torch.tensor(t_ref))) for t_ref in CLOCKS}
fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
for i, k in enumerate(exact_gaps[100]):
    steps_k = [ref_landing[k[1]] / grids[n].step_ratio[k[1]] for n in grids]
    ax.loglog(steps_k, [exact_gaps[n][k] for n in grids], "o-", color=f"C{i}", label=f"{label(k)}, without sampling")
    if k[0] == "SDE":
        ax.errorbar(steps_k, [gaps[n][k] for n in grids], yerr=[2 * gap_se[n][k] for n in grids], fmt="x",
                    color=f"C{i}", ms=5, lw=0.8)
for power, k, ls in ((1, ("SDE", 90), ":"), (2, ("ODE", 0), "--")):  # guides at half the gaps of two series
    h = np.array([ref_landing[k[1]] / grids[n].step_ratio[k[1]] for n in (1600, 100)])
    ax.loglog(h, 0.5 * exact_gaps[100][k] * (h / h[-1]) ** power, color="grey", ls=ls, lw=1.2,
              label=f"slope {power}")
ax.set_xlabel(r"clock step $\Delta u$ landing at the compared time", fontsize=10)
ax.set_ylabel("gap", fontsize=10)
ax.set_title("gaps on the grids N = 100, 400, 1600 (crosses: sampled, $\\pm 2$ s.e.)", fontsize=10)
ax.set_ylim(3e-4, 1.5)
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
plt.show()

# %% [markdown]
# So between $t = 90$ and $t = 10$ the reverse-SDE paths' spread is above the marginal's standard deviation at all
# five times shown, by 0.8 to 5.8 %. At $t = 90$ and $t = 10$ the excess is about 10 standard errors (the printed
# standard error is 0.56 %): it is systematic, not sampling noise. Section 5's recursion, which gives the spread of
# Euler–Maruyama's paths without sampling, puts it at 7.1 % and 6.1 %. At grid index 0 the paths' spread is about
# 1.56 times the marginal's (1.541 without sampling); section 5 shows why the last explicit step (index 1 → 0) errs
# most.
#
# On the finer grids the sampled ratios agree with the ones computed without sampling, within 3 standard errors at
# every clock. The clock step that lands at a compared time is 4.05 to 4.78 times shorter on the 400-step grid than
# on the reference grid, and 16.46 to 20.09 times shorter on the 1600-step grid. Computed without sampling, the SDE's
# gaps at the three clocks shrink by a factor between 4.02 and 4.57 at each refinement (at grid index 0 from 0.54 to
# 0.12 and then 0.03). Set against the shrinking of the clock step, that is an observed order between 0.97 and 1.01:
# an error of first order in the step, as Euler–Maruyama's weak order 1 predicts (the spread is a property of the
# paths' distribution). The sampled gaps at grid index 0 shrink by similar
# factors (4.8 and 5.5, standard errors 0.3 and 1.5; each grid's run has a seed of its own, so these are standard
# errors of independent estimates). At $t = 90$ and $t = 10$ the sampled gaps on the finer grids are only 0.8 to 3.2
# of their standard errors: too close to the sampling noise to read an order from them. The figure above shows the
# gaps computed without sampling against the clock step that lands at the compared time, on log-log axes: the SDE's
# lie along slope 1, the ODE's along slope 2 (the crosses are the sampled SDE gaps with $\pm 2$ standard errors).
#
# The ODE paths keep their places in the distribution to within 0.013 standard deviations down to $t = 5$; over the
# last steps Heun's method pulls the outer ones in. At grid index 0 the paths started at $\pm 2$ std sit at about
# $\pm 1.72$ std; at the same clock value they sit at $\pm 1.985$ and $\pm 1.999$ std on the finer grids. That gap
# shrinks by a factor of 19.28, then 16.97, at the two refinements (the ODE has no sampling noise): observed orders
# of 1.89 and 1.97, close to the 2 of Heun's method.
#
# Every gap computed without sampling shrinks at each refinement, as fast as its solver's convergence order predicts
# (weak order 1 for Euler–Maruyama, order 2 for Heun): the gaps are discretisation errors. The equations themselves
# transport $q$ exactly between interior times (sections 3 and 6 derive it). The final step of both samplers, from index
# 0 to the clean end,
# returns the oracle's $\hat x_0 = x_0$.
