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
# **What you will learn.** How to run the bridge of notebook 02a backwards, from the degraded image $\mu$ to the
# clean image $x_0$, in two ways that keep the bridge's marginals: the reverse-time SDE (random paths) and the
# probability-flow ODE (deterministic paths). Both are built from the score of the marginal. You will see why the
# residual in the noise never forces a division by it, what a deterministic sampler can and cannot do from the
# pinned end, and where on the grid the two samplers' numerical errors come from.
#
# **Recap of 02a.** The bridge runs on a clock $u = \bar\theta_t$ that grows from 0 at the clean image $x_0$ to
# $c = \bar\theta_T$ at the pinned end $t_T$, where every path sits at $\mu$; $\bar\theta_{t:T} = c - u$ is the
# clock still to go (the code's `d`). With the residual $\pi = x_0 - \mu$ (in this course $\pi$ always means this)
# and a standard normal $\epsilon$, the marginal at time $t$ is
# $$x_t = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon,\qquad q(x_t\mid x_0) = \mathcal N\big(M_t,\ \Sigma_t^2\pi^2\big),
# \qquad M_t = \mu + \Theta_t\pi,$$
# with $\Theta_t = \sinh\bar\theta_{t:T}/\sinh\bar\theta_T$ and
# $\Sigma_t^2 = 2\lambda\,\sinh\bar\theta_t\,\sinh\bar\theta_{t:T}/\sinh\bar\theta_T$; $\lambda$ sets the noise level.
#
# **Prerequisites.** Notebook 02a and `docs/theory.md` §1–5 (§6–7 treat this notebook's subject: read them after
# it; every formula used here is restated where it is used).

# %%
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
import torch
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D

from derivations.common import c, d, lam, mu, pi, readable, u, x, zero
from derivations.family import Sigma2, Theta, bridge_mean
from rdbm_core.bridge import bridges, samplers
from rdbm_course import reverse_time_lesson as lesson
from rdbm_course.mathshow import confirm, limit, show, vanishes_by_powers

SDE_COLOUR, ODE_COLOUR = "#0072B2", "#D55E00"  # one colour per sampler in every figure (Okabe-Ito blue, vermillion)


def holds(lhs, expr):
    """Assert that the SymPy expression `expr` is 0 and display only the statement `lhs = 0`."""
    assert zero(expr) == 0, lhs
    show(lhs, 0)

# %% [markdown]
# ## 0. The picture first: two ways back from $\mu$
#
# One pixel, clean value $x_0 = 0.6$ and degraded value $\mu = -0.2$, on the reference grid: grid indices $t$ from
# the pinned end $t_T = 99$ down to 0, and the clean end at index $-1$. The sampler is told $x_0$ (an *oracle*; a
# trained network replaces it in notebook 06). **Left:** the reverse-time SDE, random paths out of $\mu$.
# **Middle:** their first steps, against the clock. **Right:** the probability-flow ODE, deterministic paths started
# inside the bridge. Grey: the bridge's marginal $q(x_t\mid x_0)$.

# %%
pixel_path = bridges.rdbm(lam=0.1)  # lambda = 0.1: a thousand times RDBM's default, to make the band visible
x0_px, mu_px = 0.6, -0.2
oracle_px = lesson.oracle(x0_px)  # a "denoiser" that always answers x0
times = pixel_path.schedule.times()  # -1 (the clean end), 0, 1, ..., 99 (t_T)
grid = times.flip(0)  # the sampling order: 99, 98, ..., 0, -1
n_sde, t_start, quantiles = 16000, 98, [-2.0, -1.0, 0.0, 1.0, 2.0]
sde_run, ode_run = samplers.Trajectory(), samplers.Trajectory()  # they record every step
samplers.sample_euler_maruyama(oracle_px, lesson.row(mu_px, n_sde), pixel_path, grid, callback=sde_run,
                               generator=torch.Generator().manual_seed(0))
samplers.sample_heun(oracle_px, lesson.row(mu_px, len(quantiles)), pixel_path, grid[grid <= t_start],
                     x_T=lesson.at_places(pixel_path, x0_px, mu_px, t_start, quantiles), callback=ode_run)
sde_t, sde_x = torch.tensor([int(t) for t in sde_run.t]), torch.stack(sde_run.x)[:, 0]  # x: [time, path]
ode_t, ode_x = torch.tensor([int(t) for t in ode_run.t]), torch.stack(ode_run.x)[:, 0]

one = torch.ones(len(times), dtype=torch.float64)
mean_t, std_t = pixel_path.mean(x0_px * one, mu_px * one, times), pixel_path.std(x0_px * one, mu_px * one, times)
clock_T, last_jump = pixel_path.schedule.u_T, float(pixel_path.schedule.clock_to_end(torch.tensor(98)))
std_at = {t_: float(std_t[times == t_][0]) for t_ in (98, 0)}
default_std = float(bridges.rdbm().std(x0_px * one, mu_px * one, times).max())  # RDBM's default lambda
print(f"terminal clock {clock_T:.2f}; the last clock step, index 98 -> 99: {last_jump:.3f} "
      f"({100 * last_jump / clock_T:.0f} % of it)")
print(f"marginal std: {std_at[98]:.3f} at index 98, at most {float(std_t.max()):.3f}, {std_at[0]:.3f} at index 0; "
      f"with RDBM's default lambda = 1e-4 at most {default_std:.4f}")

# %%
values = torch.linspace(-0.9, 1.1, 301, dtype=torch.float64)  # the pixel values of the band
fine = lesson.refined(pixel_path, 50)  # the same bridge, 50 clock steps per grid step: the middle panel's band
fine_t = torch.arange(lesson.refined_index(90, 50), fine.schedule.t_T + 1)
band_t = lesson.marginal_band(pixel_path, x0_px, mu_px, times, values)
early = sde_t >= 90  # the middle panel: from t_T down to index 90
greys = ListedColormap(plt.cm.Greys(np.linspace(0, 0.6, 256)))  # white to mid-grey: the lines stay visible on it
fig, axes = plt.subplots(1, 3, figsize=(10, 4.2), sharey=True, layout="constrained",
                         gridspec_kw={"width_ratios": [1, 0.6, 1]})
for ax, x_axis, band in ((axes[0], times, band_t), (axes[2], times, band_t),
                         (axes[1], fine.schedule.clock_to_end(fine_t),
                          lesson.marginal_band(fine, x0_px, mu_px, fine_t, values))):
    shade = ax.pcolormesh(x_axis, values, band, cmap=greys, shading="auto", vmin=0, vmax=1)
axes[0].plot(sde_t, sde_x[:, :5], color=SDE_COLOUR, lw=0.9)
axes[1].plot(pixel_path.schedule.clock_to_end(sde_t[early]), sde_x[early, :5], color=SDE_COLOUR, lw=0.9)
axes[1].axvline(last_jump, color="black", ls=":", lw=0.9)
axes[1].text(last_jump + 0.08, 1.0, "$t = 98$", fontsize=9)
for k, q in enumerate(quantiles):
    axes[2].plot(ode_t, ode_x[:, k], color=ODE_COLOUR, lw=1.5)
    axes[2].text(t_start + 2, float(ode_x[0, k]), f"{q:+.0f} std".replace("-", "−") if q else "mean", ha="right",
                 va="center", fontsize=9)
for ax, at_mu in ((axes[0], 99), (axes[1], 0)):
    ax.plot(at_mu, mu_px, "o", color="black", ms=6, zorder=5, clip_on=False)
for ax, right_end in ((axes[0], 100), (axes[2], 124)):  # inverted: sampling runs left to right
    ax.plot(-1, x0_px, "*", color="black", ms=11, zorder=5)
    ax.set_xlim(right_end, -3)
    ax.set_xlabel("grid index $t$ (sampling: left to right)", fontsize=10)
axes[1].set_xlim(0, float(fine.schedule.clock_to_end(fine_t[0])))
axes[1].set_xlabel(r"clock $\bar\theta_{t:T}$ from $t$ to $t_T$", fontsize=10)
axes[0].set_title(r"reverse-time SDE from $x_T = \mu$", fontsize=11)
axes[1].set_title("its first steps, by clock", fontsize=11)
axes[2].set_title(rf"probability-flow ODE from $t = {t_start}$", fontsize=11)
axes[0].set_ylabel(r"pixel value ($[-1, 1]$ scale)", fontsize=10)
fig.colorbar(shade, ax=axes, shrink=0.8).set_label(r"$q(x_t \mid x_0)$ / its value at the mean", fontsize=10)
fig.legend(handles=[Line2D([], [], color=SDE_COLOUR, lw=0.9, label=f"5 of {n_sde} SDE paths"),
                    Line2D([], [], color=ODE_COLOUR, lw=1.5, label="5 ODE paths"),
                    Line2D([], [], ls="", marker="o", color="black", label=r"$x_T = \mu$ (pinned end)"),
                    Line2D([], [], ls="", marker="*", ms=10, color="black", label=r"$x_0$ (clean end)")],
           loc="outside lower center", ncol=4, fontsize=9, frameon=False)
plt.show()

# %% [markdown]
# **Reading the picture.** Every path ends at $x_0$ (the star). The SDE's paths leave $\mu$ (the dot) at random
# and fan out; the ODE's are deterministic and never cross. At this scale both stay inside the grey band. They do
# not follow it exactly: the spread of the SDE's paths is too wide just after the pinned end and near the clean
# end, and the ODE's outer paths are pulled inwards over the last steps. Section 5 measures both.
#
# **The noise level.** The bridge here has $\lambda = 0.1$, a thousand times RDBM's default $10^{-4}$. Under the
# default, this pixel's marginal standard deviation stays below 0.0080 (printed above): its band would be invisible.
#
# **The pinch at $\mu$.** Against the grid index the pinch is hidden. The last clock step, from index 98 to
# $t_T = 99$, is 0.999, 13 % of the terminal clock 7.88, and it takes a single index. So the band keeps almost its
# full width up to index 98 (standard deviation 0.235 there), and the SDE's paths seem to start spread out. The
# middle panel draws the same paths' first steps against the clock $\bar\theta_{t:T}$ from $t$ to $t_T$: the band
# pinches to $\mu$ at $\bar\theta_{t:T} = 0$, and every path leaves $\mu$ in one step to index 98 (dotted line).
#
# **Notation.** A number in square brackets is a grid index: $x_{[98]}$ is the state at index 98 and $M_{[98]}$ the
# marginal's mean there. (Without the brackets, $x_0$ keeps meaning the clean image, at index $-1$.)
#
# **The first and the final step.** Out of $\mu$ the SDE's drift is infinite, so the first SDE step is not an
# Euler–Maruyama step: it draws $x_{[98]}$ from 02a's posterior $q(x_{[98]}\mid x_{[99]} = \mu, x_0)$. A
# deterministic sampler started at $\mu$ has a single input, so it gives a single path: Heun's first step from $\mu$
# lands on the mean $M_{[98]}$ (section 4 says why this is all the ODE can do from $\mu$). The five ODE paths
# therefore start one index later, at index 98, at $-2, -1, 0, 1, 2$ standard deviations of the marginal there. For
# both samplers the final step, from index 0 to the clean end, returns the oracle's answer $\hat x_0 = x_0$: every
# path ends at $x_0$ by construction. The cell below checks these statements.

# %%
# Checks of section 0: they pin the text above to the runs
assert zero(Theta(u, c) - sp.sinh(c - u) / sp.sinh(c)) == 0  # the recap's Theta_t ...
assert zero(Sigma2(u, c) - 2 * lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)) == 0  # ... and Sigma_t^2
assert round(last_jump, 3) == 0.999 and round(clock_T, 2) == 7.88 and round(100 * last_jump / clock_T) == 13
assert round(std_at[98], 3) == 0.235 and round(float(std_t.max()), 3) == 0.253 and round(std_at[0], 3) == 0.009
assert abs(pixel_path.lam / bridges.rdbm().lam - 1000) < 1e-9 and default_std < 0.0080
# the middle panel's finer grid holds the same bridge: every grid clock, and the marginal there, reappear on it
on_fine = torch.tensor([lesson.refined_index(int(t_), 50) for t_ in times])
assert fine.schedule.u_T == clock_T and torch.equal(fine.schedule.clock(on_fine), pixel_path.schedule.clock(times))
assert torch.allclose(fine.std(x0_px * one, mu_px * one, on_fine), std_t, rtol=1e-12, atol=1e-15)
# the first SDE step is 02a's posterior draw, with the run's first normal draws
post_mean, post_std = pixel_path.posterior(lesson.row(mu_px, n_sde), lesson.row(x0_px, n_sde), lesson.row(mu_px, n_sde),
                                           torch.tensor(99), torch.tensor(98))
first_z = torch.randn((1, n_sde), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
assert torch.allclose(sde_x[1], (post_mean + post_std * first_z)[0], rtol=0, atol=1e-12)
# Heun from x_T = mu: a single path, which lands on the mean M_[98]
from_mu = samplers.sample_heun(oracle_px, lesson.row(mu_px), pixel_path, torch.tensor([99, 98]))
assert torch.allclose(from_mu, pixel_path.mean(lesson.row(x0_px), lesson.row(mu_px), torch.tensor(98)), rtol=0,
                      atol=1e-15)
assert int(sde_t[0]) == 99 and bool((sde_x[0] == mu_px).all())  # every SDE path starts at mu ...
assert int(sde_t[-1]) == int(ode_t[-1]) == -1 and bool((sde_x[-1] == x0_px).all() and (ode_x[-1] == x0_px).all())
assert [int(t_) for t_ in ode_t[:2]] == [98, 97] and len(ode_t) == 98 + 2  # ... the ODE's at index 98
assert bool((ode_x[:-1].diff(dim=1) > 0).all())  # ordered at every time before the clean end: they never cross
# the series drawn: left, 5 paths and the two dots; middle, 5 paths, the dot and the line at 98; right, 5 paths, star
assert [sum(len(line.get_xdata()) > 0 for line in ax.get_lines()) for ax in axes] == [7, 7, 6]

# %% [markdown]
# **What makes both samplers possible.** The bridge is the solution of a forward SDE, written per unit clock:
# $$dx = f\,du + g\,dW,\qquad f = \coth(\bar\theta_{t:T})\,(\mu - x),\qquad g = \sqrt{2\lambda}\,|\pi|,$$
# with the drift $f$, the diffusion coefficient $g$ (so $g^2 = 2\lambda\pi^2$) and a Brownian increment $dW$ of
# variance $du$. Score-based diffusion models supply two dynamics that have the same marginals $q$ as such a forward
# SDE, both built from the *score* $\partial_x\log q$ of the marginal:
#
# - the **reverse-time SDE** of Anderson, run with the clock *decreasing*, from $t_T$ towards the clean end:
#   $dx = F_{\rm rev}\,du + g\,d\bar W$ with $F_{\rm rev} = f - g^2\,\partial_x\log q$, where $d\bar W$ is a Brownian
#   increment of variance $|du|$; it keeps injecting noise;
# - the **probability-flow ODE** $dx/du = f - \tfrac12 g^2\,\partial_x\log q$: half the score term, and no noise.
#
# The sections below set up the log-density (section 1), which you differentiate in exercise 02b.1; derive the
# score and check that nothing divides by $\pi$ (section 2); show that both dynamics transport $q$ between interior
# times (section 3), and what changes when a predicted $\hat x_0$ replaces $x_0$ (section 4). After exercises 02b.2
# and 02b.3, section 5 looks at the two singular ends and at where the samplers' errors come from, and appendix A
# repeats the measurements on finer grids. Notebook 02c solves the ODE in closed form: that is RDBM's sampler.

# %% [markdown]
# ## 1. The log-density of the marginal
#
# The marginal of the recap as a log-density in $x = x_t$, up to terms free of $x$ (they are
# $-\tfrac12\log(\Sigma_t^2\pi^2)$ and a constant; the first depends on $t$, and section 3 needs it):

# %%
show(r"\log q(x_t = x \mid x_0)",
     sp.latex(-(x - bridge_mean(u, c)) ** 2 / (2 * Sigma2(u, c) * pi ** 2)) + r" + (\text{terms free of } x)")

# %% [markdown]
# ## Exercise 02b.1 — the score and the probability-flow velocity
#
# Before the notebook differentiates the log-density above, do it yourself. Checked by `check` from
# `rdbm_course.exercises`: it says what is wrong and gives a hint, never the answer. Worked solutions:
# `solutions/02b_reverse_sde_and_pf_ode_solutions.ipynb`. This *derive* exercise is graded on your **steps**: hand in
# a `dict` of SymPy expressions, one per step (a final formula alone is refused).
#
# The exercises work on the honour system: the `derivations` package computes every answer, and the checker cannot
# tell an expression built from it from your own. Before this exercise the notebook has imported from it only
# symbols and helpers (from `derivations.common`: `c`, `d`, `lam`, `mu`, `pi`, `u`, `x`, `readable`, `zero`) and the
# three functions of 02a's marginal (from `derivations.family`: `Theta`, `Sigma2`, `bridge_mean`). It imports
# `derivations.reverse` and the rest of `derivations.family` after the exercise.
#
# **02b.1 (derive).** The probability-flow ODE per unit clock is $dx/du = f - \tfrac12 g^2\,\partial_x\log q$ with
# $f = \coth(\bar\theta_{t:T})(\mu - x)$. With a predicted $\hat x_0$ the sampler evaluates $g$ and $q$ at
# $x_0 = \hat x_0$, that is with $\pi$ replaced by $\hat\pi = \hat x_0 - \mu$: $g^2 = 2\lambda\hat\pi^2$, and $q$ is
# the marginal of section 1 at $x_0 = \hat x_0$, $q(x_t = x\mid \hat x_0) = \mathcal N(\mu + \Theta_t\hat\pi,\
# \Sigma_t^2\hat\pi^2)$. Derive the velocity, with `x`, `mu`, `pihat`, `u` $= \bar\theta_t$, `c` $= \bar\theta_T$
# and `lam` (`Theta(u, c)` and `Sigma2(u, c)` may be used), in two steps:
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
# The score, differentiated from the log-density of section 1 (with the true $\pi$; your 02b.1 has $\hat\pi$), and
# its short form with the mean $M_t = \mu + \Theta_t\pi$ of the recap:

# %%
from derivations import reverse

score = reverse.score()
show(r"\partial_x\log q", sp.simplify(score))
M_t = bridge_mean(u, c)  # mu + Theta_t pi
holds(r"\partial_x\log q + \frac{x - M_t}{\Sigma_t^2\pi^2}", score + (x - M_t) / (Sigma2(u, c) * pi ** 2))

# %% [markdown]
# The score divides by $\pi^2$, so it is undefined at an intact pixel ($\pi = 0$). But it only ever appears
# multiplied by $g^2 = 2\lambda\pi^2$ (as in 02b.1's first step), and the $\pi^2$ cancels:
# $$g^2\,\partial_x\log q = 2\lambda\pi^2\cdot\Big(-\frac{x - M_t}{\Sigma_t^2\pi^2}\Big) = -\frac{2\lambda(x - M_t)}{\Sigma_t^2}.$$
# The cell checks this on the package's score, and that the product is finite for every $\pi$: its second
# $\pi$-derivative vanishes (it is affine in $\pi$), and written as one fraction it has no $\pi$ in its denominator.

# %%
g2_score = 2 * lam * pi ** 2 * score  # per unit clock: 02b.1's step "g2_score" with pihat = pi
holds(r"g^2\,\partial_x\log q + \frac{2\lambda(x - M_t)}{\Sigma_t^2}", g2_score + 2 * lam * (x - M_t) / Sigma2(u, c))
holds(r"\partial_\pi^2\big(g^2\,\partial_x\log q\big)", sp.diff(g2_score, pi, 2))
print("pi in the denominator of g^2 d/dx log q written as one fraction:",
      pi in sp.denom(readable(g2_score)).free_symbols)
confirm(reverse, "check_score_term_free_of_pi_division")
assert pi not in sp.denom(readable(g2_score)).free_symbols and sp.diff(readable(g2_score), pi) != 0  # affine in pi

# %% [markdown]
# ## 3. Both dynamics transport $q$ between interior times
#
# Because the diffusion coefficient $g = \sqrt{2\lambda}\,|\pi|$ depends on $x_0$, the reverse SDE and the PF-ODE
# are exact for the conditional path, with $x_0$ given. The velocity of 02b.1 with $\hat\pi = \pi$ is
# $$v = \coth(\bar\theta_{t:T})(\mu - x) + \frac{\lambda(x - M_t)}{\Sigma_t^2}$$
# (the cell checks it against $f - \tfrac12 g^2\,\partial_x\log q$ and against the library's `family.pf_velocity`).
# Write $L = \log q$, with subscripts for partial derivatives.
#
# **The probability flow.** It transports $q$ when the continuity equation $\partial_u q + \partial_x(vq) = 0$
# holds; divided by $q$, it reads $L_u + v_x + vL_x = 0$. Here the whole log-density counts, not only its part in
# $x$. $L$ is the sum of the quadratic term $L_{\rm sq} = -(x - M_t)^2/(2\Sigma_t^2\pi^2)$ of section 1, the
# normalising term $L_{\rm norm} = -\tfrac12\log(\Sigma_t^2\pi^2)$, and the constant
# $-\tfrac12\log(2\times3.14159\ldots)$: the circle constant, written out as a number because $\pi$ is the residual
# here.
#
# $L_{\rm norm}$ is free of $x$, so it drops out of $L_x$ (the score); but it depends on the clock through
# $\Sigma_t^2$, so it enters $L_u$. Only the constant drops out of every term.
#
# The left-hand side of the equation, the *residual*, is a polynomial of degree 2 in $x$. The cell collects it by
# powers of $(x - M_t)$, with $L_u$ split into $\partial_u L_{\rm sq}$ and $\partial_u L_{\rm norm}$, and shows each
# term's coefficient: the coefficients of every power add up to 0. $\partial_u L_{\rm norm}$ is the whole power-0
# coefficient of $L_u$, and it balances $v_x$ there; without it the residual would not vanish (the last display).

# %%
from derivations import family
from derivations.common import fokker_planck_residual, x0
from derivations.family import bridge_drift

velocity = bridge_drift(u, c) + lam * (x - M_t) / Sigma2(u, c)
holds(r"v - \big(f - \tfrac12 g^2\,\partial_x\log q\big)", velocity - (bridge_drift(u, c) - lam * pi ** 2 * score))
holds(r"v - \texttt{family.pf\_velocity}", velocity - family.pf_velocity(x, u, c, pi))
L = reverse.log_q()
L_sq, L_norm = -(x - M_t) ** 2 / (2 * Sigma2(u, c) * pi ** 2), -sp.log(Sigma2(u, c) * pi ** 2) / 2
show(r"L - L_{\rm sq} - L_{\rm norm}", r"-\tfrac12\log(2\times3.14159\ldots)",
     f"{-0.5 * np.log(2 * np.pi):.4f}" + r"\quad\text{(a constant)}")
L_x = sp.diff(L, x)
show(r"\partial_u L_{\rm norm} = -\frac{\partial_u\Sigma_t^2}{2\Sigma_t^2}", sp.simplify(sp.diff(L_norm, u)))
vanishes_by_powers(r"\text{residual}",
                   {r"\partial_u L_{\rm sq}": sp.diff(L_sq, u), r"\partial_u L_{\rm norm}": sp.diff(L_norm, u),
                    "v_x": sp.diff(velocity, x), "v L_x": velocity * L_x},
                   x, M_t, "(x - M_t)")
without_norm = fokker_planck_residual(L_sq, x, u, velocity, 0)  # the residual with L_norm left out
show(r"\partial_u L_{\rm sq} + v_x + v L_x = -\partial_u L_{\rm norm}", sp.simplify(-sp.diff(L_norm, u)))
confirm(reverse, "check_pf_ode_continuity", "check_pf_ode_x0hat_form")

# %% [markdown]
# **The reverse SDE.** With $x_0$ known, the reverse-time SDE transports $q$ too. In the reversed clock
# $\tilde u = -u$ (it runs from $-c$ at $t_T$ up to 0 at the clean end) it has the drift $-F_{\rm rev}$, with
# $F_{\rm rev} = f - g^2\,\partial_x\log q$, and the squared diffusion coefficient $g^2 = 2\lambda\pi^2$. Its
# Fokker–Planck equation, divided by $q$, reads
# $$L_{\tilde u} - \partial_x F_{\rm rev} - F_{\rm rev} L_x - \lambda\pi^2(L_{xx} + L_x^2) = 0$$
# (evaluated at $\tilde u = -u$, where $L_{\tilde u} = -L_u$; $L$ with its normalising term, as above). The cell
# collects this residual by powers of $(x - M_t)$ too. The equation holds strictly inside the bridge; the start at
# $\mu$, where $q$ is a point mass, is the sampler's exact posterior draw of $x_{[98]}$ (section 0).

# %%
u_rev = sp.Symbol(r"\tilde{u}")  # the reversed clock -u
F_rev = bridge_drift(u, c) - 2 * lam * pi ** 2 * score
reverse_parts = {r"L_{\tilde u}": -sp.diff(L, u), r"-\partial_x F_{\rm rev}": -sp.diff(F_rev, x),
                 r"-F_{\rm rev} L_x": -F_rev * L_x,
                 r"-\lambda\pi^2(L_{xx} + L_x^2)": -lam * pi ** 2 * (sp.diff(L_x, x) + L_x ** 2)}  # L_u~ = -L_u
vanishes_by_powers(r"\text{residual at } \tilde u = -u", reverse_parts, x, M_t, "(x - M_t)")
confirm(reverse, "check_reverse_sde")

# %%
# Checks of section 3
L_constant = L - L_sq - L_norm  # the rest of L: a constant (its derivatives in every symbol vanish) ...
assert all(zero(sp.diff(L_constant, s_)) == 0 for s_ in (x, u, c, lam, mu, pi))
at_a_point = {x: 0.3, u: 0.7, c: 2.0, lam: 0.1, mu: -0.2, pi: 0.8}
assert abs(float(L_constant.subs(at_a_point)) + 0.5 * np.log(2 * np.pi)) < 1e-12  # ... equal to -log(2 pi) / 2
assert zero(L_x - sp.diff(L_sq, x)) == 0  # L_norm is free of x: the score is the quadratic term's alone
assert zero(fokker_planck_residual(L, x, u, velocity, 0) - (sp.diff(L, u) + sp.diff(velocity, x) + velocity * L_x)) == 0
assert zero(without_norm + sp.diff(L_norm, u)) == 0 and zero(without_norm) != 0  # without L_norm: not 0
# the parts shown for the reverse SDE are the library-free Fokker-Planck residual in the reversed clock
assert zero(sum(reverse_parts.values()) - fokker_planck_residual(
    L.subs(u, -u_rev), x, u_rev, -F_rev.subs(u, -u_rev), lam * pi ** 2).subs(u_rev, -u)) == 0

# %% [markdown]
# ## 4. With a predicted $\hat x_0$: exact between interior times, one output from the pinned end
#
# After the cancellation the conditional velocity, with $\pi = x_0 - \mu$ in $g$ *and* in the score, splits into a
# part free of $x_0$ and a multiple of $x_0$ ($\Psi_t = 1 - \Theta_t$ is the weight of $\mu$, as in 02a): it is
# **affine in $x_0$**, with the slope $\partial_{x_0} v = -\lambda\Theta_t/\Sigma_t^2$, which does not depend on
# $x_0$.

# %%
v_x0 = velocity.subs(pi, x0 - mu)
Theta_t, Psi_t, Sigma_t = sp.symbols("Theta_t Psi_t Sigma_t", positive=True)  # display names
x0_free = sp.coth(d) * (mu - x) + lam * (x - Psi_t * mu) / Sigma_t ** 2
slope = -lam * Theta_t / Sigma_t ** 2
show(r"v\big|_{\pi = x_0 - \mu}", sp.latex(x0_free) + r" \;-\; " + sp.latex(-slope) + r"\,x_0")
confirm(reverse, "check_pf_velocity_affine_in_x0")
# checks: the split is v itself, and neither part hides an x0
as_clock = {d: c - u, Psi_t: 1 - Theta(u, c), Theta_t: Theta(u, c), Sigma_t: sp.sqrt(Sigma2(u, c))}
assert zero(v_x0 - (x0_free + slope * x0).subs(as_clock)) == 0
assert x0 not in (x0_free.free_symbols | slope.free_symbols)

# %% [markdown]
# **Why affine matters.** Many clean images can share one degraded image $\mu$; call their distribution
# $p_{\rm data}(x_0\mid\mu)$. Bridges started from all of them have the *mixture* marginal
# $$p_t(x) = \int q(x_t = x\mid x_0)\;p_{\rm data}(x_0\mid\mu)\;dx_0 .$$
# Each conditional flow transports its own $q$ (section 3): $\partial_u q + \partial_x\big(v(x\mid x_0)\,q\big) = 0$.
# Integrating this over $x_0$ gives the continuity equation of the mixture, whose velocity at $x$ is the average of
# the conditional velocities over the clean images that could have led there:
# $$\partial_u p_t + \partial_x\big(p_t\,\bar v\big) = 0,\qquad \bar v(x) = E\big[v(x\mid x_0)\;\big|\;x_t = x\big].$$
#
# Because $v$ is affine in $x_0$ with a slope free of $x_0$, the average moves inside:
# $$\bar v(x) = v\big(x\mid \hat x_0(x)\big),\qquad \hat x_0(x) = E[x_0\mid x_t = x].$$
# The posterior mean $\hat x_0(x)$ is the prediction of $x_0$ with the least mean squared error (the *MMSE*
# prediction). So the PF-ODE with the MMSE prediction transports the mixture exactly, between any two times
# strictly inside the bridge (the flow-matching argument). This is a derivation, not a measurement: the oracle of
# section 0 knows $x_0$ and tests only the conditional flow. Notebook 10 integrates the mixture's flow with the exact
# MMSE prediction of a two-mode toy.
#
# **At the pinned end.** At $t_T$ every path sits at $\mu$; the ODE is singular there, and its solution through
# $x_T = \mu$ is not unique. A deterministic sampler started at $x_T = \mu$ picks one of them, so it returns *one*
# output per $\mu$ and cannot reproduce the spread of $p_{\rm data}(x_0\mid\mu)$ (notebook 02c, section 1, shows the
# family of solutions through $\mu$ and which one the sampler picks).
#
# **Not for the reverse SDE.** The averaging does not carry over to the stochastic reverse SDE: its diffusion
# coefficient $g = \sqrt{2\lambda}\,|\pi|$ depends on $x_0$, and not affinely. The stochastic samplers
# (Euler–Maruyama here, and 02c's stochastic steps) use $\sqrt{2\lambda}\,|\hat\pi|$, an approximation; notebook 10
# measures the bias it causes.

# %% [markdown]
# ## Exercises
#
# Checked like 02b.1 (worked solutions: `solutions/02b_reverse_sde_and_pf_ode_solutions.ipynb`). Section 5, after
# the exercises, takes up both: the limits behind 02b.2, and the factor of 02b.3 at work in the samplers.
#
# **02b.2 (derive).** Near $t_T$ the velocity's two factors, $\coth\bar\theta_{t:T}$ of the forward drift and
# $\lambda/\Sigma_t^2$ of its score term, both grow without bound. How fast does the velocity itself grow along a
# bridge path? Put the velocity $v$ of section 3 on a bridge path $x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ with
# a fixed $\epsilon$, at $\bar\theta_t = c - \bar\theta_{t:T}$ (in SymPy, `c - d`, with the symbol `d` imported at
# the top; so are `Theta` and `Sigma2`). (These fixed-$\epsilon$ curves are exactly the solutions of the
# probability-flow ODE, the family through $\mu$ of section 4; section 5 checks it. Reverse-SDE paths are not of this
# form.) With $x - \mu = \Theta_t\pi + \Sigma_t\pi\epsilon$ and $x - M_t = \Sigma_t\pi\epsilon$, the velocity on the
# path splits into three parts, $v = v_{\rm mean} + v_{\rm noise} + v_{\rm score}$:
# $$v_{\rm mean} = -\coth(\bar\theta_{t:T})\,\Theta_t\pi,\qquad
# v_{\rm noise} = -\coth(\bar\theta_{t:T})\,\Sigma_t\pi\epsilon,\qquad
# v_{\rm score} = \frac{\lambda(x - M_t)}{\Sigma_t^2} = \frac{\lambda\pi\epsilon}{\Sigma_t}:$$
# the forward drift acting on the mean part of $x - \mu$, the forward drift acting on its noise part, and the score
# term. Hand in the limits as $\bar\theta_{t:T} \to 0$ of $\bar\theta_{t:T}^{1/2}$ times each part and of
# $\bar\theta_{t:T}^{1/2}\,v$, with `lam`, `pi` and `eps` (and `c` if you need it):
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
# (a) `reverse_sde_drift(path, x, x0_hat, mu, t)` returns the drift $F_{\rm rev} = f - g^2\,\partial_x\log q$ of the
# reverse-time SDE, per unit clock and in the direction of increasing clock, on image tensors (shaped like `x`), at
# an integer grid time `t` (a 0-dim tensor) strictly between the clean end and $t_T$, with $x_0$ replaced by the
# prediction `x0_hat`. You may use `path.coefficients(t)`, which returns $(\Theta_t, \Psi_t, \Sigma_t)$ (with
# $\Psi_t = 1 - \Theta_t$ the weight of $\mu$, as in notebook 02a), `path.lam` ($\lambda$) and
# `path.schedule.clock_to_end(t)` ($\bar\theta_{t:T}$); the path's own `reverse_drift`, `velocity`, `score` and
# `posterior` are refused. It is checked on a batch in which a third of the pixels are intact ($\hat x_0 = \mu$, and
# $x = \mu$ there): it must be finite there.
#
# (b) One Euler–Maruyama step on the reverse SDE, from grid time $t$ to $t - 1$, moves against the clock by the
# step's clock length $\Delta u = \bar\theta_t - \bar\theta_{t-1}$ (with $\bar\theta_t$ = `path.schedule.clock(t)`),
# holding the drift at its value at the step's start, and adds fresh noise:
# $$x_{[t-1]} = x_{[t]} - \Delta u\,F_{\rm rev}(x_{[t]}) + g\sqrt{\Delta u}\;z,\qquad z \text{ standard normal}.$$
# The step is affine in $x_{[t]}$: $x_{[t-1]} = a_t\,x_{[t]} + (\text{terms free of } x_{[t]})$.
# `step_factor(path, t)` returns $a_t$ as a number, for an integer grid time $1 \le t \le t_T - 1$, computed with
# your drift of (a) (the path's own methods are refused here too). It is checked on the reference grid, at $t = 98$
# (the first Euler–Maruyama step, after the posterior draw out of $t_T$) and $t = 1$ (the last one, index 1 → 0,
# before the final step into the clean end) among others, and on a grid with four times as many steps.
#
# Before you check it, write down your answer to this: if $0 < a_t < 1$, what does the step do to a path's distance
# from the mean $M_t$, and so to an excess of the paths' spread over the marginal's that an earlier step has made?
# Section 5 measures it.

# %%
answer_02b_3 = ...  # {"drift": reverse_sde_drift, "step_factor": step_factor}
check("02b.3", answer_02b_3)

# %% [markdown]
# ## 5. The two singular ends, and where the samplers' errors come from
#
# **The two solvers.** Both step along the grid from a time $t$ to the next time $s$ towards the clean end; the
# clock decreases by the step's clock length $\Delta u = \bar\theta_t - \bar\theta_s > 0$.
#
# - **Euler–Maruyama**, for the SDE, is the step of 02b.3(b): $x_{[s]} = x_{[t]} - \Delta u\,F_{\rm rev}(x_{[t]}) +
#   g\sqrt{\Delta u}\,z$, with $z$ standard normal and the drift held at its value at the step's start. The error of
#   its paths' distribution is of first order in the step (*weak order 1*).
# - **Heun's method**, for the ODE, takes the Euler step $\tilde x = x_{[t]} - \Delta u\,v(x_{[t]})$, evaluates the
#   velocity where it lands, and redoes the step with the mean of the two velocities:
#   $x_{[s]} = x_{[t]} - \tfrac12\Delta u\,\big(v(x_{[t]}) + v(\tilde x)\big)$. Its error is of second order in the
#   step.
#
# On the reference grid both take these *explicit* steps from index 98 down to index 0. The first step, out of
# $t_T$, and the final step, into the clean end, are the special steps of section 0.
#
# **Near the pinned end.** Near $t_T$ both factors of the velocity
# $v = \coth(\bar\theta_{t:T})(\mu - x) + \lambda(x - M_t)/\Sigma_t^2$ (section 3), the forward drift's
# $\coth\bar\theta_{t:T}$ and the score term's $\lambda/\Sigma_t^2$, blow up like $1/\bar\theta_{t:T}$. (The
# reverse-SDE drift $F_{\rm rev} = \coth(\bar\theta_{t:T})(\mu - x) + 2\lambda(x - M_t)/\Sigma_t^2$ has the same
# $\coth\bar\theta_{t:T}$ and twice the other factor: it takes all of $-g^2\,\partial_x\log q$, the velocity half.)
# The cell computes their leading coefficients as limits (ingredients of 02b.2's solution): first
# $\bar\theta_{t:T}\coth\bar\theta_{t:T}$, then $\Sigma_t^2$, which behaves like $2\lambda\bar\theta_{t:T}$, and so
# $\bar\theta_{t:T}\lambda/\Sigma_t^2$. Then, on a bridge path $x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$, the size
# of the mean part $\Theta_t\pi$ of $x - \mu$, and the limit of 02b.2's answer `"v"`, $\bar\theta_{t:T}^{1/2}$ times
# the velocity on the path; last, the velocity on the mean path ($\epsilon = 0$), and the check that the
# fixed-$\epsilon$ curves solve the probability-flow ODE.

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

# %% [markdown]
# Along a bridge path the forward drift's factor $\coth\bar\theta_{t:T}$ multiplies $x - \mu$. Its mean part
# $\Theta_t\pi$ shrinks like $\bar\theta_{t:T}$, its noise part $\Sigma_t\pi\epsilon$ like $\bar\theta_{t:T}^{1/2}$.
# The score term's factor $\lambda/\Sigma_t^2$ multiplies $x - M_t = \Sigma_t\pi\epsilon$, which shrinks like
# $\bar\theta_{t:T}^{1/2}$. So the forward drift acting on the noise part and the score term both grow like
# $\bar\theta_{t:T}^{-1/2}$, with opposite signs (02b.2's `v_noise` and `v_score`; the drift acting on the mean part
# stays finite). Their sum, the velocity's leading term, has the limit $-\sqrt{\lambda/2}\,\pi\epsilon$ shown above.
#
# A finite, nonzero limit of $\bar\theta_{t:T}^{1/2}\,v$ means a velocity that grows like $\bar\theta_{t:T}^{-1/2}$,
# and $\int_0 \bar\theta^{-1/2}\,d\bar\theta$ is finite: every path with $\epsilon \ne 0$ leaves $\mu$ with a vertical
# tangent but travels a finite distance. On the mean path, $\epsilon = 0$, the velocity per unit increasing clock
# tends to the finite $-\pi/\sinh\bar\theta_T$: in sampling, with the clock decreasing, the path leaves $\mu$
# towards $x_0$ at the rate $\pi/\sinh\bar\theta_T$ per unit clock. The last display: the fixed-$\epsilon$ curves
# solve the probability-flow ODE, their clock derivative is the velocity $v$ on them.
#
# On the reference grid this blow-up is never sampled. The cell finds the largest $\coth\bar\theta_{t:T}$ over the
# grid times before $t_T$:

# %%
grid_before_T = times[1:-1]  # the reference grid's indices 0 ... 98
clock_to_end = pixel_path.schedule.clock_to_end
coth_grid = 1 / torch.tanh(clock_to_end(grid_before_T))
t_max = int(grid_before_T[coth_grid.argmax()])
show(r"\max_{0 \le t \le 98} \coth\bar\theta_{t:T}", rf"\coth\bar\theta_{{[{t_max}]:T}}",
     f"{float(coth_grid.max()):.3f}")
show(rf"\bar\theta_{{[{t_max}]:T}}", f"{float(clock_to_end(torch.tensor(t_max))):.3f}")

# %% [markdown]
# The grid point nearest $t_T$, index 98 (after which the clock jumps by 0.999 to $t_T$), has the largest
# $\coth\bar\theta_{t:T}$ on the grid, 1.314. The first step out of $t_T$ is not an explicit one. Euler–Maruyama's
# draws $x_{[98]}$ from 02a's posterior (section 0). Heun's is the implicit step of notebook 02c (section 1) without
# its noise (its parameter $\eta = 0$): the exact probability-flow step for the given $\hat x_0$, which from
# $x_T = \mu$ lands on the mean $M_{[98]}$, the one solution through $\mu$ that the sampler picks (section 4). The
# checks at the end of this section confirm both.
#
# **Near the clean end.** The score term's factor blows up at the clean end too. There $\Theta_t \to 1$ and
# $\Sigma_t \to 0$: the marginal shrinks to the point $x_0$. As $\bar\theta_t \to 0$, $\Sigma_t^2$ behaves like
# $2\lambda\bar\theta_t$, so $\lambda/\Sigma_t^2$ behaves like $1/(2\bar\theta_t)$, whatever $\lambda$. The cell
# shows the limits, then the values at grid index 0 (with $\bar\theta_{[0]}$ and $\Sigma_{[0]}$ the clock and
# $\Sigma_t$ there):

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
show(r"\bar\theta_{[0]}", rf"{u_0 * 1e4:.1f}\times10^{{-4}}")
show(r"\frac{\lambda}{\Sigma_{[0]}^2}", f"{score_factor(0):.1f}")
show(r"\frac{2\lambda}{\Sigma_{[0]}^2}", f"{2 * score_factor(0):.1f}")
show(r"\bar\theta_{[0]}\,\frac{\lambda}{\Sigma_{[0]}^2}", f"{u_0 * score_factor(0):.4f}")

# %% [markdown]
# At grid index 0, $\bar\theta_{[0]} = 6.3\times10^{-4}$ and $\lambda/\Sigma_{[0]}^2 = 792.5$. In the sampling
# direction (the clock decreasing) a step adds $-\Delta u\,\lambda(x - M_t)/\Sigma_t^2$ through the velocity's score
# term, so that term pulls $x$ towards $M_t$ with this *score factor* $\lambda/\Sigma_t^2$ per unit clock. The
# reverse-SDE drift's term $2\lambda(x - M_t)/\Sigma_t^2$ does so with twice the factor, 1585.1.
#
# **Where the samplers' errors come from.** An Euler–Maruyama step holds the factors at its start over the whole
# step; Heun's step averages the velocities at its two ends. A first guess: a step errs most where its clock length
# $\Delta u$ times the score factor is largest. The cell measures that product on every explicit step of the
# reference grid, for the velocity's $\lambda/\Sigma_t^2$ (the SDE's $2\lambda/\Sigma_t^2$ doubles each product), and
# how much the factor changes within a step.

# %%
explicit = range(98, 0, -1)  # the explicit steps t -> t - 1 of both samplers on the reference grid
du = {t_: float(clock(torch.tensor(t_)) - clock(torch.tensor(t_ - 1))) for t_ in explicit}
step_product = {t_: du[t_] * score_factor(t_) for t_ in explicit}  # clock length x the factor at the step's start
t_most = max(step_product, key=step_product.get)
print(f"(clock length of the step) x lambda / Sigma_t^2: largest {step_product[t_most]:.2f} on the step from index "
      f"{t_most}, smallest {min(step_product.values()):.2f} (from index {min(step_product, key=step_product.get)}), "
      f"{step_product[1]:.2f} on the step from index 1 to 0")
factor_change = {t_: score_factor(t_ - 1) / score_factor(t_) for t_ in explicit}  # its change within a step
print(f"lambda / Sigma_t^2 at the step's end over its start: {factor_change[1]:.2f} on the step from index 1 to 0 "
      f"(the largest change), {factor_change[98]:.2f} on the step from index 98")

# %% [markdown]
# So the product is largest on the first explicit step, 0.87 out of index 98, and only 0.32 on the last explicit
# step (index 1 → 0): it does not point at grid index 0. Within that last step, though, the score factor grows by a
# factor of 2.77, more than within any other step (0.89 within the step from index 98), while Euler–Maruyama holds it
# at its value at the step's start. Two measurements locate the errors: the error that one step makes, started from
# the exact marginal and measured against the marginal where it lands; and what the later steps do with an error.
#
# For Euler–Maruyama both can be computed without sampling. With the oracle its step is affine,
# $x_{[t-1]} = a_t x_{[t]} + (\text{terms free of } x_{[t]}) + \sqrt{2\lambda\Delta u}\,|\pi|\,z$, with the factor
# $a_t$ of 02b.3. So the variance of its paths follows $\mathrm{Var}_{[t-1]} = a_t^2\,\mathrm{Var}_{[t]} +
# 2\lambda\Delta u\,\pi^2$ exactly, and the mean of its paths follows the drift-only step,
# $m_{[t-1]} = m_{[t]} - \Delta u\,F_{\rm rev}(m_{[t]})$. `lesson.em_spread` propagates both from index 98, where
# the posterior step out of $t_T$ lands with the marginal's mean and variance; the cell compares them with the 16000
# paths of section 0.

# %%
a_t = {t_: lesson.em_factor(pixel_path, t_) for t_ in explicit}
propagated, one_step, mean_offset = lesson.em_spread(pixel_path, x0_px, mu_px)
shown = (97, 90, 60, 10, 0)
rows = {t_: int((sde_t == t_).nonzero()[0, 0]) for t_ in shown}  # the rows of section 0's run at those indices
sampled = {t_: float(sde_x[k].std() / std_t[times == t_][0]) for t_, k in rows.items()}
sampled_offset = {t_: float((sde_x[k].mean() - mean_t[times == t_][0]) / std_t[times == t_][0])
                  for t_, k in rows.items()}
rel_se = 1 / (2 * (n_sde - 1)) ** 0.5  # standard error of a sample std, relative to it (Gaussian paths)
mean_se = 1 / n_sde ** 0.5  # standard error of a sample mean, in standard deviations
print(f"factor a_t between {min(a_t.values()):.2f} and {max(a_t.values()):.2f} (a_98 = {a_t[98]:.2f}, "
      f"a_1 = {a_t[1]:.2f})")
print(f"one step from the exact spread, spread / marginal std where it lands: {one_step[98]:.2f} on the step from "
      f"index 98, {one_step[1]:.2f} on the step from index 1 (the largest)")
print("spread / marginal std, propagated: " + ", ".join(f"t = {t_}: {propagated[t_]:.3f}" for t_ in shown))
print("                   the 16000 paths: " + ", ".join(f"t = {t_}: {r:.3f}" for t_, r in sampled.items())
      + f" (standard error {100 * rel_se:.2f} %)")
print(f"(mean - M_t) / marginal std, propagated: at most {max(abs(o) for o in mean_offset.values()):.3f} in size "
      "at every time; at the times above " + ", ".join(f"{mean_offset[t_]:+.3f}" for t_ in shown))
print("                         the 16000 paths: " + ", ".join(f"{o:+.3f}" for o in sampled_offset.values())
      + f" (standard error {mean_se:.4f})")

# %% [markdown]
# For Heun's method, `lesson.heun_one_step_errors` takes one step from the exact place $+2$ standard deviations at
# each explicit step, from index 98 to index 1, and returns where it lands minus 2 (in standard deviations of the
# marginal there). The cell compares these one-step errors with the places of section 0's five ODE paths, which
# started at index 98.

# %%
heun_error = lesson.heun_one_step_errors(pixel_path, x0_px, mu_px, explicit)
ode_rows = ode_t >= 0  # section 0's ODE run at grid indices 98 ... 0
ode_place = (ode_x[ode_rows] - mean_t[ode_t[ode_rows] + 1][:, None]) / std_t[ode_t[ode_rows] + 1][:, None]
late = ode_t[ode_rows] >= 5
others = max(heun_error, key=lambda t_: abs(heun_error[t_]) if t_ > 1 else 0)  # the largest but the last step's
print(f"one Heun step from +2 std: {heun_error[1]:+.3f} std on the step from index 1, {heun_error[98]:+.3f} on the "
      f"step from index 98, at most {abs(heun_error[others]):.3f} in size on the others (from index {others})")
print(f"the one-step errors add up to {sum(heun_error.values()):+.3f}; section 0's path from +2 std is "
      f"{float(ode_place[-1, -1]) - 2:+.3f} off at index 0")
print(f"section 0's ODE paths: within {float((ode_place[late] - torch.tensor(quantiles)).abs().max()):.3f} of their "
      "places -2, -1, 0, 1, 2 down to index 5; at index 0: "
      + ", ".join(f"{float(p_):+.2f}" for p_ in ode_place[-1]))

# %% [markdown]
# The same measurements as a figure, from index 98 (left) to index 0 (right). **Left:** the spread of section 0's
# 16000 reverse-SDE paths over the marginal's standard deviation (with a band of $\pm 2$ standard errors), the same
# computed without sampling, and the ratio after one step alone from the exact spread (drawn where the step lands).
# **Right:** the places $(x - \text{mean})/\text{std}$ of section 0's five ODE paths; the exact flow keeps them at
# $-2, \dots, 2$.

# %%
em_rows = (sde_t >= 0) & (sde_t < 99)  # section 0's SDE run at grid indices 98 ... 0
em_t = sde_t[em_rows]
em_ratio = sde_x[em_rows].std(dim=1) / std_t[em_t + 1]  # std_t is indexed from the clean end, index -1
fig, (ax_sde, ax_ode) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax_sde.fill_between(em_t, em_ratio * (1 - 2 * rel_se), em_ratio * (1 + 2 * rel_se), color=SDE_COLOUR, alpha=0.3,
                    lw=0)
ax_sde.plot(em_t, em_ratio, color=SDE_COLOUR, lw=1, label=f"{n_sde} paths ($\\pm 2$ s.e.)")
prop_t = [98] + sorted(propagated, reverse=True)
ax_sde.plot(prop_t, [1.0] + [propagated[t_] for t_ in prop_t[1:]], color="black", ls="--", lw=1,
            label="without sampling")
ax_sde.plot([t_ - 1 for t_ in one_step], list(one_step.values()), "o", color="dimgrey", ms=2.5,
            label="one step from the exact spread")
ax_sde.axhline(1, color="grey", lw=0.6)
ax_sde.set_ylabel("spread / marginal std", fontsize=10)
ax_sde.set_title("reverse SDE, Euler–Maruyama", fontsize=11)
ax_sde.legend(fontsize=9, loc="upper center")
ax_sde.set_xlim(100, -2)
for k, q in enumerate(quantiles):
    ax_ode.plot(ode_t[ode_rows], ode_place[:, k], color=ODE_COLOUR, lw=1.5)
    ax_ode.text(t_start + 2, q, f"{q:+.0f} std".replace("-", "−") if q else "mean", ha="right", va="center",
                fontsize=9)
ax_ode.set_ylabel(r"place $(x - \mathrm{mean})/\mathrm{std}$", fontsize=10)
ax_ode.set_title(f"probability-flow ODE, Heun, from $t = {t_start}$", fontsize=11)
ax_ode.set_xlim(124, -2)
for ax in (ax_sde, ax_ode):
    ax.set_xlabel("grid index $t$ (sampling: left to right)", fontsize=10)
plt.show()

# %% [markdown]
# **The reverse SDE forgets.** The step from index 98 does make a large error: right after it, at index 97, the
# paths' spread is 1.27 times the marginal's. But each step maps a path's distance from the marginal's mean,
# $x_{[t]} - M_{[t]}$, to $a_t(x_{[t]} - M_{[t]})$ plus terms free of $x_{[t]}$ (the step's own error of the mean,
# and its fresh noise), with the factor $a_t$ of 02b.3, which lies between 0.25 and 0.95 on every step. So each step
# multiplies an excess of variance made earlier by $a_t^2 < 1$, while it adds its own error: the spread is down to
# 1.07 times the marginal's at index 90 and 1.02 at index 60. The paths' mean stays within 0.02 marginal standard
# deviations of $M_t$ at every time.
#
# Near the clean end the one-step error grows again, and the last explicit step (index 1 → 0) makes the largest of
# all: 1.46 times the marginal's spread, from the exact spread at index 1. No explicit step comes after it to shrink
# its error, so at index 0 the spread is 1.54 times the marginal's. The 16000 paths of section 0 agree with these
# spreads and means at every time shown, within 3 standard errors (1.267, 1.058, 1.021, 1.056 and 1.558 sampled).
#
# **The probability flow keeps its errors.** The exact flow keeps every path at its place in the distribution, so
# an error of Heun's method stays where it is made. From +2 std, one Heun step errs by less than 0.05 std on every
# explicit step but the last (by +0.024 on the first, from index 98), and by $-0.205$ on the last (index 1 → 0). The
# one-step errors add up to $-0.266$, close to the gap of $-0.259$ of section 0's path at index 0: down to index 5
# the paths keep their places within 0.028 std, and at index 0 the outer ones sit at $\pm 1.74$. Heun's average of
# the velocities at the two ends of the last step misses the growth of the score factor, which behaves like
# $1/(2\bar\theta_t)$ and grows 2.77-fold inside it.
#
# So both samplers err most at grid index 0 because the last explicit step (index 1 → 0) makes the largest one-step
# error and no explicit step comes after it, not because its $\Delta u$ times the score factor is the largest.
# Appendix A shows that both errors shrink on finer grids as fast as each solver's order predicts. Notebook 02c
# measures Euler's error on the probability flow.

# %%
# Checks of section 5: they pin the text above to the outputs
assert t_max == 98 and round(float(coth_grid.max()), 3) == 1.314
assert round(float(clock_to_end(torch.tensor(98))), 3) == 0.999
# Heun's first step out of t_T is 02c's implicit step with eta = 0; from x_T = mu it lands on M_[98] (section 0)
assert torch.equal(from_mu, samplers.implicit_step(pixel_path, lesson.row(mu_px), lesson.row(x0_px), lesson.row(mu_px),
                                                   torch.tensor(99), torch.tensor(98), eta=0.0))
assert round(u_0 * 1e4, 1) == 6.3 and round(score_factor(0), 1) == 792.5 and round(u_0 * score_factor(0), 4) == 0.5003
assert round(2 * score_factor(0), 1) == 1585.1
rdbm_default = bridges.rdbm()  # the same score factor for RDBM's default lambda
default_factor = rdbm_default.lam / float(rdbm_default.coefficients(torch.tensor(0))[2]) ** 2
assert abs(default_factor - score_factor(0)) < 1e-6 * score_factor(0)
assert t_most == 98 and round(step_product[98], 2) == 0.87 and round(step_product[1], 2) == 0.32
assert max(factor_change, key=lambda t_: max(factor_change[t_], 1 / factor_change[t_])) == 1
assert round(factor_change[1], 2) == 2.77 and round(factor_change[98], 2) == 0.89
# Euler-Maruyama: the factor, the one-step and propagated spreads, the mean
assert round(min(a_t.values()), 2) == 0.25 and round(max(a_t.values()), 2) == 0.95 and max(a_t.values()) < 1
assert round(a_t[98], 2) == 0.25 and round(a_t[1], 2) == 0.36
assert max(one_step, key=one_step.get) == 1 and round(one_step[1], 2) == 1.46 and round(one_step[98], 2) == 1.27
assert [round(propagated[t_], 2) for t_ in (97, 90, 60)] == [1.27, 1.07, 1.02] and round(propagated[0], 2) == 1.54
assert max(abs(o) for o in mean_offset.values()) < 0.02
assert all(abs(r - propagated[t_]) < 3 * rel_se * propagated[t_] for t_, r in sampled.items())  # within 3 s.e.
assert all(abs(o - mean_offset[t_]) < 3 * mean_se for t_, o in sampled_offset.items())  # within 3 s.e.
assert [round(r, 3) for r in sampled.values()] == [1.267, 1.058, 1.021, 1.056, 1.558]
# Heun: the one-step errors from index 98, their sum, section 0's paths
assert round(heun_error[1], 3) == -0.205 and round(heun_error[98], 3) == 0.024
assert max(abs(e) for t_, e in heun_error.items() if t_ > 1) < 0.05
assert round(sum(heun_error.values()), 3) == -0.266 and round(float(ode_place[-1, -1]) - 2, 3) == -0.259
assert round(float((ode_place[late] - torch.tensor(quantiles)).abs().max()), 3) == 0.028
assert [round(abs(float(ode_place[-1, k])), 2) for k in (0, -1)] == [1.74, 1.74]
# the figure: index 98 carries the exact posterior draw's spread; its last points are the printed ones
assert int(em_t[0]) == 98 and int(em_t[-1]) == 0 and abs(float(em_ratio[0]) - 1) < 3 * rel_se
assert abs(float(em_ratio[-1]) - sampled[0]) < 1e-12

# %% [markdown]
# ## Appendix A. The samplers' gaps to the marginal on finer grids
#
# How far are the two samplers of section 0 from the marginal, and is that the grid's fault? Two *gaps* measure it:
#
# - the reverse SDE's gap at a time: $|\text{spread}/\text{std} - 1|$, its paths' spread over the marginal's
#   standard deviation, minus 1, in size;
# - the ODE's gap: $|2 - |\text{place}||$ at index 0, for the paths started at $\pm 2$ standard deviations at index 98
#   (the larger of the two).
#
# The same runs are repeated on grids with 4 and 16 times as many steps, *nested* in the reference grid:
# `lesson.refined(pixel_path, k)` splits each clock step into $k$ equal clock steps. The bridge is the same (the same
# terminal clock, 7.88), every reference time is a time of the finer grids, and each refinement divides every clock
# step by 4. The gaps are compared at the clocks of reference indices 90, 10 and 0. The SDE's spread is computed
# without sampling (section 5's recursion) and sampled from 16000 paths, with the noise drawn from seed 0 on the
# reference grid (section 0's run) and from seeds 1 and 2 on the finer ones, so the sampled gaps of different grids
# are independent.

# %%
grids = [lesson.grid_gaps(pixel_path, k, x0_px, mu_px, n_paths=n_sde, seed=seed)
         for k, seed in ((1, 0), (4, 1), (16, 2))]  # k = 1: the reference grid itself
print(lesson.gap_table(grids))

# %% [markdown]
# Each refinement divides the clock step by 4 (the second column: the step that lands at index 0). Without sampling,
# the SDE's gaps shrink by about that factor: observed orders of 1.00 to 1.04 (log of the gap's shrink factor over
# log 4), the first order that Euler–Maruyama's weak order 1 predicts (the spread is a property of the paths'
# distribution). At index 0 the gap goes from 0.54 to 0.13 and 0.03. The sampled gaps at index 0 follow it
# (0.5575 ± 0.0087, 0.1261 ± 0.0063 and 0.0229 ± 0.0057). The ODE's gap shrinks from 0.26 to 0.015 and 0.0009:
# observed orders of 2.06 and 2.05, Heun's second order (the ODE has no sampling noise).
#
# The figure shows every gap against the clock step that lands at the compared time, on log-log axes; the crosses
# are the sampled SDE gaps with $\pm 2$ standard errors, drawn a little to the right of their grid's step.

# %%
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
floor = 3e-4
for t_ref, marker in ((90, "o"), (10, "s"), (0, "^")):
    steps = [g.landing_step[t_ref] for g in grids]
    ax.loglog(steps, [g.sde_gap(t_ref) for g in grids], marker=marker, ls="-", color=SDE_COLOUR,
              label=f"SDE at $t = {t_ref}$, without sampling")
    gap_s = np.array([g.sde_gap(t_ref, exact=False) for g in grids])
    err = np.array([2 * g.sde_gap_se(t_ref) for g in grids])
    ax.errorbar(1.15 * np.array(steps), gap_s, yerr=[np.minimum(err, gap_s - floor), err], fmt="x", color=SDE_COLOUR,
                ms=6, lw=0.8)  # drawn a little to the right of its grid's step, so as not to hide the marker
ax.loglog([g.landing_step[0] for g in grids], [g.ode_gap() for g in grids], marker="D", ls="-", color=ODE_COLOUR,
          label="ODE at $t = 0$")
for power, t_ref, gap_of, ls in ((1, 90, lambda g: g.sde_gap(90), ":"), (2, 0, lambda g: g.ode_gap(), "--")):
    h = np.array([grids[-1].landing_step[t_ref], grids[0].landing_step[t_ref]])
    ax.loglog(h, 0.5 * gap_of(grids[0]) * (h / h[-1]) ** power, color="grey", ls=ls, lw=1.2, label=f"slope {power}")
ax.errorbar([], [], yerr=[], fmt="x", color=SDE_COLOUR, ms=6, lw=0.8, label="SDE, sampled ($\\pm 2$ s.e.)")
ax.set_xlabel(r"clock step $\Delta u$ that lands at the compared time", fontsize=10)
ax.set_ylabel("gap to the marginal", fontsize=10)
ax.set_title("SDE gap $|\\mathrm{spread}/\\mathrm{std} - 1|$, ODE gap $|2 - |\\mathrm{place}||$; N = 100, 400, 1600\n"
             "(crosses: sampled, $\\pm 2$ s.e.; a bar that reaches the bottom axis is cut there)", fontsize=10)
ax.set_ylim(floor, 1.5)
ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5))
plt.show()

# %% [markdown]
# The SDE's gaps computed without sampling lie along slope 1, the ODE's along slope 2. The sampled gaps agree with
# them within 3 standard errors at every compared time (the crosses). At $t = 90$ and $t = 10$ on the 1600-step
# grid the gaps without sampling, 0.004, are below the sampling noise of 16000 paths (standard errors of about
# 0.006, like the 0.0057 of the table's sampled column): there the lower error bars reach zero and are cut at the
# bottom axis.
#
# Every gap shrinks at each refinement as fast as its solver's order predicts: the gaps are discretisation errors.
# The equations themselves transport $q$ exactly between interior times (section 3).

# %%
# Checks of appendix A: they pin the table's reading to its numbers
assert [g.n_steps for g in grids] == [100, 400, 1600]
# the reference grid's row is sections 0 and 5: the same SDE run (seed 0), the same recursion, the same ODE paths
assert all(abs(grids[0].sde[t_] - sampled[t_]) < 1e-12 and grids[0].sde_exact[t_] == propagated[t_]
           for t_ in (90, 10, 0))
assert all(abs(grids[0].ode[i] - float(ode_place[-1, k])) < 1e-12 for i, k in ((0, 0), (1, -1)))
# nested grids: each clock step landing at a compared time divided by 4 at each refinement
assert all(abs(grids[0].landing_step[t_] / g.landing_step[t_] - g.k) < 1e-9 * g.k for g in grids for t_ in (90, 10, 0))
orders = {t_: [lesson.observed_order(a.sde_gap(t_), b.sde_gap(t_), 4) for a, b in zip(grids, grids[1:])]
          for t_ in (90, 10, 0)}
ode_orders = [lesson.observed_order(a.ode_gap(), b.ode_gap(), 4) for a, b in zip(grids, grids[1:])]
assert round(min(min(o) for o in orders.values()), 2) == 1.00 and round(max(max(o) for o in orders.values()), 2) == 1.04
assert [round(o, 2) for o in ode_orders] == [2.06, 2.05]
assert [round(g.sde_gap(0), 2) for g in grids] == [0.54, 0.13, 0.03]
assert [round(g.sde_gap(0, exact=False), 4) for g in grids] == [0.5575, 0.1261, 0.0229]
assert [round(g.sde_gap_se(0), 4) for g in grids] == [0.0087, 0.0063, 0.0057]
assert [round(g.ode_gap(), 4) for g in grids] == [0.2626, 0.0150, 0.0009]
assert all(abs(g.sde[t_] - g.sde_exact[t_]) < 3 * g.sde_gap_se(t_) for g in grids for t_ in (90, 10, 0))
assert [round(grids[2].sde_gap(t_), 3) for t_ in (90, 10)] == [0.004, 0.004]
assert [round(grids[2].sde_gap_se(t_), 3) for t_ in (90, 10)] == [0.006, 0.006]
assert all(g.sde_gap(t_, exact=False) - 2 * g.sde_gap_se(t_) < floor for g in grids[2:] for t_ in (90, 10))  # cut bars
