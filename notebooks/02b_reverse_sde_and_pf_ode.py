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
# residual in the noise never forces a division by it, and what a deterministic sampler can and cannot do from the
# pinned end. After the exercises, a short section runs the two generic solvers of these equations, Euler–Maruyama
# and Heun's method (the baselines that notebook 02c's sampler improves on), and finds where on the grid they err.
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
import sympy as sp
import torch

from derivations.common import c, d, lam, mu, pi, u, x, zero
from derivations.family import Sigma2, Theta, bridge_mean
from rdbm_core.bridge import bridges, samplers
from rdbm_course import reverse_time_lesson as lesson
from rdbm_course.mathshow import limit, show, vanishes_by_powers


def holds(lhs, expr):
    """Assert that the SymPy expression `expr` is 0 and display only the statement `lhs = 0`."""
    assert zero(expr) == 0, lhs
    show(lhs, 0)

# %% [markdown]
# ## 0. The picture first: two ways back from $\mu$
#
# One pixel, clean value $x_0 = 0.6$ and degraded value $\mu = -0.2$, on the reference grid: grid indices from the
# pinned end $t_T = 99$ down to 0, then the clean end at index $-1$. A number in square brackets is a grid index:
# $x_{[98]}$ is the state at index 98 ($x_0$ keeps meaning the clean image). The sampler is told $x_0$ (an *oracle*;
# a trained network replaces it in notebook 06). Grey: the bridge's marginal $q(x_t\mid x_0)$, at $\lambda = 0.1$, a
# thousand times RDBM's default, so that the band is visible. **Left panel:** the reverse-time SDE, random paths
# out of $\mu$. **Middle panel:** their first steps, against the clock. **Right panel:** the probability-flow ODE,
# deterministic paths started at index 98. Section 5 writes both samplers out.

# %%
pixel_path = bridges.rdbm(lam=0.1)
x0_px, mu_px = 0.6, -0.2
oracle_px = lesson.oracle(x0_px)  # a "denoiser" that always answers x0
grid = pixel_path.schedule.times().flip(0)  # the sampling order: 99 (t_T), 98, ..., 0, -1 (the clean end)
places = [-2.0, -1.0, 0.0, 1.0, 2.0]  # the ODE paths' starts at index 98, in standard deviations of the marginal
sde_run, ode_run = samplers.Trajectory(), samplers.Trajectory()  # they record every step
samplers.sample_euler_maruyama(oracle_px, lesson.row(mu_px, 16000), pixel_path, grid, callback=sde_run,
                               generator=torch.Generator().manual_seed(0))
samplers.sample_heun(oracle_px, lesson.row(mu_px, len(places)), pixel_path, grid[1:], callback=ode_run,
                     x_T=lesson.at_places(pixel_path, x0_px, mu_px, 98, places))
sde_t, sde_x = lesson.recorded(sde_run)  # grid indices in sampling order, states [time, path]
ode_t, ode_x = lesson.recorded(ode_run)
fig_two_ways = lesson.plot_two_ways(pixel_path, x0_px, mu_px, (sde_t, sde_x), (ode_t, ode_x), places)
plt.show()

# %%
clock_T, to_go_98 = pixel_path.schedule.u_T, float(pixel_path.schedule.clock_to_end(torch.tensor(98)))
marginal_mean, marginal_std = lesson.marginal_moments(pixel_path, x0_px, mu_px)  # dicts over the grid indices
default_std = lesson.marginal_moments(bridges.rdbm(), x0_px, mu_px)[1]  # under RDBM's default lambda = 1e-4
drawn = torch.stack([(sde_x[k, :5] - marginal_mean[int(t)]) / marginal_std[int(t)]  # the 5 drawn SDE paths' places
                     for k, t in enumerate(sde_t) if 0 <= t <= 98])
print(f"terminal clock {clock_T:.2f}; the last clock step, index 98 -> 99: {to_go_98:.3f} "
      f"({100 * to_go_98 / clock_T:.0f} % of it)")
print(f"marginal std at index 98: {marginal_std[98]:.3f}; at most {max(marginal_std.values()):.3f}; "
      f"under RDBM's default lambda at most {max(default_std.values()):.4f}")
print(f"the 5 drawn SDE paths: at most {float(drawn.abs().max()):.1f} marginal std from the mean")

# %% [markdown]
# **Reading the picture.** Every path ends at $x_0$ (the star). The SDE's paths leave $\mu$ (the dot) at random and
# fan out. Most of their mass stays in the grey band, while single paths wander out of it, the five drawn ones up to
# 3.5 standard deviations from the mean: draws from the marginal do so now and then (one normal draw in 20 lies
# beyond 2 standard deviations). The ODE's paths are deterministic and never cross; started at $-2, \dots, 2$
# standard deviations, they follow the band's contours. Five paths cannot show how far the samplers' spread is from
# the marginal's: section 5 will measure it.
#
# **The pinch at $\mu$.** Against the grid index the pinch is hidden. The last clock step, from index 98 to
# $t_T = 99$, is 0.999, 13 % of the terminal clock 7.88, and it takes a single index. So the band keeps almost its
# full width up to index 98 (standard deviation 0.235 there), and the SDE's paths seem to start spread out. The
# middle panel draws the same paths' first steps against the clock still to go, $\bar\theta_{t:T}$: the band
# pinches to $\mu$ at $\bar\theta_{t:T} = 0$, and every path leaves $\mu$ in one step to index 98 (dotted line).
# Under RDBM's default $\lambda = 10^{-4}$ the band would be invisible: its standard deviation stays below 0.0080.

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
# Section 1 writes the log-density, which you differentiate in exercise 02b.1; section 2 derives the score and shows
# that nothing divides by $\pi$; section 3 shows that both dynamics transport $q$ between interior times; section 4
# says what changes when a predicted $\hat x_0$ replaces $x_0$. After exercises 02b.2 and 02b.3, section 5 runs the
# two generic solvers and appendix A repeats them on finer grids. Notebook 02c solves the ODE in closed form: that
# is RDBM's sampler.

# %% [markdown]
# ## 1. The log-density of the marginal
#
# The marginal of the recap as a log-density in $x = x_t$:
# $$\log q(x_t = x\mid x_0) = -\frac{(x - M_t)^2}{2\Sigma_t^2\pi^2} + (\text{terms free of } x),\qquad
# M_t = \mu + \Theta_t\pi .$$
# The terms free of $x$ are $-\tfrac12\log(\Sigma_t^2\pi^2)$ and a constant; the first depends on $t$, and section 3
# needs it.

# %% [markdown]
# ## Exercise 02b.1 — the score and the probability-flow velocity
#
# Before the notebook differentiates the log-density above, do it yourself. Checked by `check` from
# `rdbm_course.exercises`: it says what is wrong and gives a hint, never the answer. Worked solutions:
# `solutions/02b_reverse_sde_and_pf_ode_solutions.ipynb`. This *derive* exercise is graded on your **steps**: hand in
# a `dict` of SymPy expressions, one per step (a final formula alone is refused). (Honour system: the `derivations`
# package computes every answer; so far the notebook has imported only its symbols, its helper `zero` and 02a's
# `Theta`, `Sigma2`, `bridge_mean`.)
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
# Differentiating the log-density of section 1 in $x$ (with the true $\pi$; your 02b.1 has $\hat\pi$) gives the score
# $$\partial_x\log q = -\frac{x - M_t}{\Sigma_t^2\pi^2}.$$
# It divides by $\pi^2$, so it is undefined at an intact pixel ($\pi = 0$). But it only ever appears multiplied by
# $g^2 = 2\lambda\pi^2$ (as in 02b.1's first step), and the $\pi^2$ cancels:
# $$g^2\,\partial_x\log q = 2\lambda\pi^2\cdot\Big(-\frac{x - M_t}{\Sigma_t^2\pi^2}\Big)
# = -\frac{2\lambda(x - M_t)}{\Sigma_t^2}.$$
# The cell checks both against the package's derivation of the score (`derivations.reverse.score`). The product is
# finite for every $\pi$, $\pi = 0$ included: it is affine in $\pi$, through $M_t = \mu + \Theta_t\pi$.

# %%
from derivations import reverse

score = reverse.score()
M_t = bridge_mean(u, c)  # mu + Theta_t pi
g2_score = 2 * lam * pi ** 2 * score  # per unit clock: 02b.1's step "g2_score" with pihat = pi
holds(r"\partial_x\log q + \frac{x - M_t}{\Sigma_t^2\pi^2}", score + (x - M_t) / (Sigma2(u, c) * pi ** 2))
holds(r"g^2\,\partial_x\log q + \frac{2\lambda(x - M_t)}{\Sigma_t^2}", g2_score + 2 * lam * (x - M_t) / Sigma2(u, c))

# %% [markdown]
# ## 3. Both dynamics transport $q$ between interior times
#
# The diffusion coefficient $g = \sqrt{2\lambda}\,|\pi|$ depends on $x_0$, so these dynamics are written for the
# conditional path, with $x_0$ given; section 4 treats a mixture of clean images. The velocity of 02b.1 with
# $\hat\pi = \pi$, the forward drift minus half of $g^2\,\partial_x\log q$ above, is
# $$v = \coth(\bar\theta_{t:T})(\mu - x) + \frac{\lambda(x - M_t)}{\Sigma_t^2}.$$
# Write $L = \log q$, with subscripts for partial derivatives.
#
# **The probability flow.** It transports $q$ when the continuity equation $\partial_u q + \partial_x(vq) = 0$
# holds; divided by $q$, it reads $L_u + v_x + vL_x = 0$. Here the whole log-density counts, not only its part in
# $x$: $L$ is the sum of the quadratic term $L_{\rm sq} = -(x - M_t)^2/(2\Sigma_t^2\pi^2)$ of section 1, the
# normalising term $L_{\rm norm} = -\tfrac12\log(\Sigma_t^2\pi^2)$, and the constant
# $-\tfrac12\log(2\times3.14159\ldots)$ (the circle constant, written out as a number because $\pi$ is the residual
# here). $L_{\rm norm}$ is free of $x$, so it drops out of $L_x$ (the score); but it depends on the clock through
# $\Sigma_t^2$, so it enters $L_u$.
#
# The left-hand side $L_u + v_x + vL_x$ is a polynomial of degree 2 in $x$. The cell collects it by powers of
# $(x - M_t)$, with $L_u$ split into $\partial_u L_{\rm sq}$ and $\partial_u L_{\rm norm}$, and shows each term's
# coefficient: the coefficients of every power add up to 0. In the power-0 line, $\partial_u L_{\rm norm}$ is the
# only term of $L_u$, and it balances $v_x$: without the normalising term the equation would fail.

# %%
from derivations.family import bridge_drift

velocity = bridge_drift(u, c) + lam * (x - M_t) / Sigma2(u, c)
L = reverse.log_q()
L_sq, L_norm = -(x - M_t) ** 2 / (2 * Sigma2(u, c) * pi ** 2), -sp.log(Sigma2(u, c) * pi ** 2) / 2
L_x = sp.diff(L, x)
vanishes_by_powers(r"L_u + v_x + v L_x",
                   {r"\partial_u L_{\rm sq}": sp.diff(L_sq, u), r"\partial_u L_{\rm norm}": sp.diff(L_norm, u),
                    "v_x": sp.diff(velocity, x), "v L_x": velocity * L_x},
                   x, M_t, "(x - M_t)")

# %% [markdown]
# **The reverse SDE.** With $x_0$ known, the reverse-time SDE transports $q$ too. In the reversed clock
# $\tilde u = -u$ (it runs from $-c$ at $t_T$ up to 0 at the clean end) it has the drift $-F_{\rm rev}$, with
# $F_{\rm rev} = f - g^2\,\partial_x\log q$, and the squared diffusion coefficient $g^2 = 2\lambda\pi^2$. Its
# Fokker–Planck equation, divided by $q$, reads
# $$L_{\tilde u} - \partial_x F_{\rm rev} - F_{\rm rev} L_x - \lambda\pi^2(L_{xx} + L_x^2) = 0$$
# (evaluated at $\tilde u = -u$, where $L_{\tilde u} = -L_u$; $L$ with its normalising term, as above). The cell
# collects its left-hand side by powers of $(x - M_t)$ too. The equation holds strictly inside the bridge; at $\mu$,
# where $q$ is a point mass, the sampler starts with an exact draw instead (section 5).

# %%
F_rev = bridge_drift(u, c) - 2 * lam * pi ** 2 * score
reverse_parts = {r"L_{\tilde u}": -sp.diff(L, u), r"-\partial_x F_{\rm rev}": -sp.diff(F_rev, x),
                 r"-F_{\rm rev} L_x": -F_rev * L_x,
                 r"-\lambda\pi^2(L_{xx} + L_x^2)": -lam * pi ** 2 * (sp.diff(L_x, x) + L_x ** 2)}  # L_u~ = -L_u
vanishes_by_powers(r"\text{left-hand side at } \tilde u = -u", reverse_parts, x, M_t, "(x - M_t)")

# %% [markdown]
# ## 4. With a predicted $\hat x_0$: exact between interior times, one output from the pinned end
#
# After the cancellation the conditional velocity, with $\pi = x_0 - \mu$ in $g$ *and* in the score, splits into a
# part free of $x_0$ and a multiple of $x_0$ ($\Psi_t = 1 - \Theta_t$ is the weight of $\mu$, as in 02a): it is
# **affine in $x_0$**, with the slope $\partial_{x_0} v = -\lambda\Theta_t/\Sigma_t^2$, which does not depend on
# $x_0$.

# %%
from derivations.common import x0

v_x0 = velocity.subs(pi, x0 - mu)
Theta_t, Psi_t, Sigma_t = sp.symbols("Theta_t Psi_t Sigma_t", positive=True)  # display names
x0_free = sp.coth(d) * (mu - x) + lam * (x - Psi_t * mu) / Sigma_t ** 2
slope = -lam * Theta_t / Sigma_t ** 2
show(r"v\big|_{\pi = x_0 - \mu}", sp.latex(x0_free) + r" \;-\; " + sp.latex(-slope) + r"\,x_0")

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
# **At the pinned end.** For a fixed $\hat x_0$ the PF-ODE has explicit solutions: the bridge paths with a frozen
# noise, $x = \mu + \Theta_t\hat\pi + \Sigma_t\hat\pi\epsilon$, one for each constant $\epsilon$ (the cell checks that
# they solve it, with $\hat\pi = \pi$). Where $\Sigma_t > 0$ exactly one of them passes through a state $x_{[t]}$,
# the one with $\epsilon = (x_{[t]} - M_{[t]})/(\Sigma_{[t]}\hat\pi)$, and following it to an index $s$ is the exact
# probability-flow step
# $$x_{[s]} = M_{[s]} + \frac{\Sigma_{[s]}}{\Sigma_{[t]}}\big(x_{[t]} - M_{[t]}\big),\qquad M = \mu + \Theta\hat\pi .$$
# At $t_T$, $\Theta = \Sigma = 0$: every curve passes through $\mu$ and $\epsilon$ is $0/0$. A deterministic sampler
# started at $x_T = \mu$ must pick one curve; the library's takes $\epsilon = 0$, so its first step lands on the mean
# $M_{[98]}$. It returns *one* output per $\mu$ and cannot reproduce the spread of $p_{\rm data}(x_0\mid\mu)$.
# Notebook 02c derives this step (its implicit step with $\eta = 0$) and the choice.

# %%
from derivations.common import eps

frozen = mu + Theta(u, c) * pi + sp.sqrt(Sigma2(u, c)) * pi * eps  # a bridge path with a frozen eps
holds(r"\partial_u\big(\mu + \Theta_t\pi + \Sigma_t\pi\epsilon\big)"
      r" - v\big|_{x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon}",
      sp.diff(frozen, u) - velocity.subs(x, frozen))

# %% [markdown]
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
# the top; so are `Theta` and `Sigma2`). (These frozen-noise curves are the probability-flow ODE's solutions of
# section 4; reverse-SDE paths are not of this form.) With $x - \mu = \Theta_t\pi + \Sigma_t\pi\epsilon$ and
# $x - M_t = \Sigma_t\pi\epsilon$, the velocity on the path splits into three parts,
# $v = v_{\rm mean} + v_{\rm noise} + v_{\rm score}$:
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
# ## 5. Euler–Maruyama and Heun: where the baselines err
#
# RDBM does not sample with the two solvers of this section. Its sampler is notebook 02c's closed-form step: the
# exact probability-flow step of section 4, taken on every step. Euler–Maruyama (for the reverse SDE) and Heun's
# method (for the probability-flow ODE) are the generic solvers a score-based model would use instead, and so the
# baselines that 02c's step improves on. This section writes them out and finds where on the reference grid they
# err. The oracle of section 0 answers every call, so only the solver errs.
#
# **The velocity near the two ends.** Near $t_T$ both factors of the velocity
# $v = \coth(\bar\theta_{t:T})(\mu - x) + \lambda(x - M_t)/\Sigma_t^2$ grow like $1/\bar\theta_{t:T}$; near the clean
# end the score factor $\lambda/\Sigma_t^2$ grows like $1/\bar\theta_t$. The cell takes three limits: 02b.2's
# ($\bar\theta_{t:T}^{1/2}$ times the velocity on a frozen-noise path), the velocity on the mean path
# ($\epsilon = 0$), and the score factor near the clean end.

# %%
on_path = {x: mu + Theta(c - d, c) * pi + sp.sqrt(Sigma2(c - d, c)) * pi * eps, u: c - d}
limit(sp.sqrt(d) * velocity.subs(on_path), d, 0, -sp.sqrt(lam / 2) * pi * eps,
      lhs=r"\lim_{\bar\theta_{t:T}\to0} \bar\theta_{t:T}^{1/2}\,v\big|_{x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon}")
limit(velocity.subs(on_path).subs(eps, 0), d, 0, -pi / sp.sinh(c),
      lhs=r"\lim_{\bar\theta_{t:T}\to0} v\big|_{x = M_t}")
limit(u * lam / Sigma2(u, c), u, 0, sp.Rational(1, 2),
      lhs=r"\lim_{\bar\theta_t\to0} \bar\theta_t\,\frac{\lambda}{\Sigma_t^2}")

# %% [markdown]
# Near $t_T$ the velocity grows like $\bar\theta_{t:T}^{-1/2}$ on every path but the mean path: such a path leaves
# $\mu$ with a vertical tangent, yet travels a finite distance ($\int_0\bar\theta^{-1/2}\,d\bar\theta$ is finite).
# The mean path leaves $\mu$ at the finite rate $\pi/\sinh\bar\theta_T$ per unit clock. Near the clean end the score
# term pulls $x$ towards $M_t$ with the factor $\lambda/\Sigma_t^2 \approx 1/(2\bar\theta_t)$, whatever $\lambda$.
#
# **The two samplers, written out.** Each step goes from index $t$ to $t - 1$ and lowers the clock by
# $\Delta u = \bar\theta_{[t]} - \bar\theta_{[t-1]}$.
#
# - *Out of $t_T$ (99 → 98).* The velocity's and the drift's coefficients blow up at $t_T$ and are undefined at
#   $x = \mu$ ($\infty\cdot0$ and $0/0$), so neither sampler takes an explicit step there. Euler–Maruyama draws
#   $x_{[98]}$ from 02a's posterior $q(x_{[98]}\mid x_{[99]} = \mu, x_0)$, which out of the pinned end is the
#   marginal at index 98. Heun's method takes the exact step of section 4 and lands on $M_{[98]}$.
# - *The explicit steps (98 → 97 → … → 0).* Euler–Maruyama is 02b.3(b)'s step,
#   $x \leftarrow x - \Delta u\,F_{\rm rev}(x) + g\sqrt{\Delta u}\,z$. Heun's method takes the Euler step
#   $\tilde x = x - \Delta u\,v(x)$, then redoes it with the mean of the velocities at its two ends,
#   $x \leftarrow x - \tfrac12\Delta u\,\big(v(x) + v(\tilde x)\big)$: its error is of second order in the step.
# - *Into the clean end (0 → −1).* Both return the prediction $\hat x_0$, here the oracle's $x_0$.
#
# The cell writes both loops with the library's drift $F_{\rm rev}$ (`reverse_drift`, your 02b.3(a)) and velocity
# $v$; the checks at the end of the notebook confirm that they reproduce section 0's runs, draw for draw.

# %%
clock, to_go = pixel_path.schedule.clock, pixel_path.schedule.clock_to_end


def du(t):
    """The clock length of the step from index t to t - 1."""
    return float(clock(torch.tensor(t)) - clock(torch.tensor(t - 1)))


def euler_maruyama(n_paths, generator):
    """The reverse SDE from x_T = mu: the states of n_paths paths at the indices 99, 98, ..., 0, -1 (rows)."""
    x0_, mu_ = lesson.row(x0_px, n_paths), lesson.row(mu_px, n_paths)
    g = (2 * pixel_path.lam) ** 0.5 * abs(x0_px - mu_px)  # the diffusion coefficient
    draw = (lambda: torch.randn((1, n_paths), generator=generator, dtype=torch.float64))  # z, standard normal
    xs = [mu_]  # index 99, t_T
    xs.append(pixel_path.mean(x0_, mu_, torch.tensor(98))  # 99 -> 98: the posterior draw
              + pixel_path.std(x0_, mu_, torch.tensor(98)) * draw())
    for t in range(98, 0, -1):  # the explicit steps t -> t - 1
        drift = pixel_path.reverse_drift(xs[-1], x0_, mu_, torch.tensor(t))  # F_rev
        xs.append(xs[-1] - du(t) * drift + g * du(t) ** 0.5 * draw())
    return torch.cat(xs + [x0_])  # 0 -> -1: the prediction x0_hat, here x0


def heun(x, t_from, t_to):
    """The probability-flow ODE from the states x (a row) at index t_from: Heun's steps down to index t_to, and
    the final step into the clean end if t_to = -1."""
    x0_, mu_ = lesson.row(x0_px, x.shape[1]), lesson.row(mu_px, x.shape[1])
    for t in range(t_from, max(t_to, 0), -1):
        v_start = pixel_path.velocity(x, x0_, mu_, torch.tensor(t))
        x_euler = x - du(t) * v_start
        x = x - du(t) * (v_start + pixel_path.velocity(x_euler, x0_, mu_, torch.tensor(t - 1))) / 2
    return x0_ if t_to == -1 else x

# %% [markdown]
# **Where do they err?** A first guess: a step errs most where its clock length $\Delta u$ times the score factor
# $\lambda/\Sigma_t^2$ is largest. Two measurements test it, for each sampler: the error one step makes when started
# from the exact marginal, and what the later steps do with an error.
#
# For Euler–Maruyama neither needs sampling. With the oracle each step maps $x$ to $a_t x$ plus terms free of $x$
# plus the noise $g\sqrt{\Delta u}\,z$, with 02b.3's factor $a_t = 1 + \Delta u\,(\coth\bar\theta_{t:T} -
# 2\lambda/\Sigma_t^2)$. So the variance of its paths follows $\mathrm{Var}_{[t-1]} = a_t^2\,\mathrm{Var}_{[t]} +
# g^2\Delta u$ exactly, from the marginal's variance at index 98 (the posterior draw). For Heun's method the cell
# takes one step from the exact place $+2$ standard deviations at every index, and measures where it lands, in
# standard deviations of the marginal there. The loop runs both; the sampled spread is section 0's 16000 paths.

# %%
g2 = 2 * pixel_path.lam * (x0_px - mu_px) ** 2  # g^2
std = marginal_std  # Sigma_t |pi| at each grid index (section 0)


def score_factor(t):
    """lambda / Sigma_t^2 at the grid index t (Sigma_t: the marginal's std per unit |pi|)."""
    return pixel_path.lam / float(pixel_path.coefficients(torch.tensor(t))[2]) ** 2


var, spread, one_step, heun_error, a_t = std[98] ** 2, {98: 1.0}, {}, {}, {}  # index 98: the marginal's variance
for t in range(98, 0, -1):  # the step t -> t - 1, measured at t - 1, where it lands
    a_t[t] = 1 + du(t) * (1 / float(torch.tanh(to_go(torch.tensor(t)))) - 2 * score_factor(t))  # 02b.3's a_t
    var = a_t[t] ** 2 * var + g2 * du(t)  # Var_[t-1] = a_t^2 Var_[t] + g^2 du
    spread[t - 1] = var ** 0.5 / std[t - 1]
    one_step[t - 1] = (a_t[t] ** 2 * std[t] ** 2 + g2 * du(t)) ** 0.5 / std[t - 1]  # from the exact spread at t
    plus_2 = lesson.at_places(pixel_path, x0_px, mu_px, t, [2.0])  # the exact place +2 std at t
    heun_error[t - 1] = (float(heun(plus_2, t, t - 1)) - marginal_mean[t - 1]) / std[t - 1] - 2

sampled = {int(t): float(sde_x[k].std()) / std[int(t)] for k, t in enumerate(sde_t) if 0 <= t <= 98}
rel_se = 1 / (2 * (sde_x.shape[1] - 1)) ** 0.5  # the standard error of a sample std, relative to it
heun_path = {int(t): (float(ode_x[k, -1]) - marginal_mean[int(t)]) / std[int(t)] - 2  # section 0's path from +2
             for k, t in enumerate(ode_t) if t >= 0}
product = {t: du(t) * score_factor(t) for t in range(98, 0, -1)}
print(f"first guess, du x lambda / Sigma_t^2: {product[98]:.2f} on the first explicit step (98 -> 97, the largest), "
      f"{product[1]:.2f} on the last (1 -> 0)")
print(f"Euler-Maruyama, spread / marginal std: {spread[97]:.2f} at index 97, {spread[90]:.2f} at index 90, "
      f"{spread[0]:.2f} at index 0; after the step 1 -> 0 alone: {one_step[0]:.2f}; "
      f"a_t from {min(a_t.values()):.2f} to {max(a_t.values()):.2f}")
print(f"Heun, place error from +2 std: after the step 1 -> 0 alone {heun_error[0]:+.3f}; the one-step errors add up "
      f"to {sum(heun_error.values()):+.3f}; section 0's path at index 0: {heun_path[0]:+.3f}")
fig_errors = lesson.plot_sampler_errors(pixel_path, sampled, rel_se, spread, one_step, heun_path, heun_error)
plt.show()

# %% [markdown]
# **Both samplers err most at index 0, against the guess.** The product $\Delta u\,\lambda/\Sigma_t^2$ is largest on
# the first explicit step (0.87) and only 0.32 on the last. Yet the left panel's spread and the right panel's place
# error are both largest at index 0 (the right end).
#
# **The reverse SDE forgets.** The step out of index 98 does make a large error: the spread is 1.27 times the
# marginal's at index 97. But every later step multiplies a path's distance from the marginal's mean by $a_t < 1$
# (02b.3's question; the printed range), so an excess of variance shrinks by $a_t^2$ per step, and within a few
# steps only the steps' own small errors are left. The last explicit step makes the largest one-step error, 1.46
# (the grey dot at the right end), and no step comes after it to shrink it: 1.54 at index 0.
#
# **The probability flow keeps its errors.** The exact flow keeps a path at its place in the distribution, so an
# error of Heun's step stays where it is made: the running sum of the one-step errors (dashed) follows the path from
# $+2$ standard deviations. The last step alone contributes $-0.205$ of the path's $-0.259$ at index 0.

# %%
misfit = {t: (sampled[t] - spread[t]) / (rel_se * sampled[t]) for t in spread if t < 98}  # in standard errors
worst = max(misfit, key=lambda t: abs(misfit[t]))
print(f"sampled - computed spread: beyond 2 standard errors at {sum(abs(m) > 2 for m in misfit.values())} of "
      f"{len(misfit)} indices, at most {abs(misfit[worst]):.2f} (index {worst}); at index 90 {misfit[90]:+.2f}")
print(f"the last explicit step: du = {du(1):.2e}, more than the clock left at its end, "
      f"{float(clock(torch.tensor(0))):.2e}; "
      f"its noise variance g^2 du is {g2 * du(1) / std[0] ** 2:.2f} times the marginal's variance at index 0; "
      f"lambda / Sigma_t^2 grows {score_factor(0) / score_factor(1):.2f}-fold within it")

# %% [markdown]
# The sampled spread agrees with the computed one: the dashed line leaves the $\pm2$ standard-error band at 4 of 98
# indices (by at most 2.32 standard errors, at index 40; by 2.25 at index 90), about the one index in 20 that chance
# gives.
#
# **Why the last step.** Its clock length, $1.12\times10^{-3}$, exceeds the clock left at its end,
# $\bar\theta_{[0]} = 6.31\times10^{-4}$. Euler–Maruyama's noise on that step has the variance $g^2\Delta u =
# 2\lambda\pi^2\Delta u$, while the marginal's variance at index 0 is about $2\lambda\pi^2\bar\theta_{[0]}$: the
# injected noise alone is 1.77 times the variance the paths should have. Heun's method averages the velocities at
# the step's two ends, but within the step the score factor, about $1/(2\bar\theta_t)$, grows 2.77-fold, and the
# average misses it.
#
# **What $\lambda$ changes.** With the oracle every variance here is $\lambda\pi^2$ times a function of the clock, so
# the spread ratios, $a_t$ and $\lambda/\Sigma_t^2$ depend on neither $\lambda$ nor $\pi$. The errors of the mean do
# depend on $\lambda$: a step's error on the mean path is proportional to $\pi$ but not to $\sqrt\lambda$, so in
# standard deviations of the marginal it grows like $1/\sqrt\lambda$, about 32-fold ($\sqrt{1000}$) from
# $\lambda = 0.1$ to RDBM's default $10^{-4}$. The cell reruns the measurements under the default (the spread ratios
# first, then the means; `lesson.em_spread` runs the recursion above together with the mean's,
# $m \leftarrow m - \Delta u\,F_{\rm rev}(m)$).

# %%
default_path = bridges.rdbm()  # lambda = 1e-4
here, default = lesson.em_spread(pixel_path, x0_px, mu_px), lesson.em_spread(default_path, x0_px, mu_px)
print(f"largest change of a spread ratio under the default lambda: "
      f"{max(abs(default.propagated[t] - spread[t]) for t in default.propagated):.0e} (float rounding)")
worst_mean = max(default.mean_offset, key=lambda t: abs(default.mean_offset[t]))
print(f"Euler-Maruyama, (mean of the paths - M_t) / marginal std: "
      f"at most {max(map(abs, here.mean_offset.values())):.3f} "
      f"at lambda = 0.1, {abs(default.mean_offset[worst_mean]):.2f} under the default (at index {worst_mean})")
heun_mean = {name: lesson.ode_places(path_, x0_px, mu_px, 98, 0, (0.0,))[0] for name, path_ in
             (("lambda = 0.1", pixel_path), ("the default", default_path))}
print("Heun, place at index 0 of the mean path: " + ", ".join(f"{v:+.3f} at {k}" for k, v in heun_mean.items()))

# %% [markdown]
# The spread ratios do not change. The means do: Euler–Maruyama's paths' mean is at most 0.019 standard deviations
# from $M_t$ at $\lambda = 0.1$, but 0.60 under the default (at index 41, in mid-bridge), an error the figure above
# cannot show. Heun's mean path ends 0.002 standard deviations off at $\lambda = 0.1$, 0.053 under the default.
#
# So, at $\lambda = 0.1$, both samplers err most at index 0, because the last explicit step makes the largest
# one-step error and no step after it corrects it; the cost of a large early step is small for the reverse SDE,
# which forgets. Notebook 02c's step has no error of its own for a given $\hat x_0$ (it follows the frozen-noise
# curve exactly), and its appendix A measures explicit Euler's error on the same ODE.

# %% [markdown]
# ## Appendix A. The same samplers on finer grids
#
# Are the errors of section 5 the grid's? The same runs are repeated on grids with 4 and 16 times as many steps,
# nested in the reference grid: `lesson.refined(pixel_path, k)` splits each clock step into $k$ equal clock steps,
# so the bridge is the same and every reference index keeps its clock. Each sampler's *gap* to the marginal is
# measured at the clocks of reference indices 90, 10 and 0: for the reverse SDE, $|\text{spread}/\text{std} - 1|$,
# computed with section 5's recursion and sampled from 16000 paths (noise from seed 0 on the reference grid, section
# 0's run, and from seeds 1 and 2 on the finer ones); for the ODE, $|2 - |\text{place}||$ at index 0 of the paths
# started at $\pm2$ standard deviations at index 98 (the larger of the two).

# %%
grids = [lesson.grid_gaps(pixel_path, k, x0_px, mu_px, n_paths=16000, seed=seed)
         for k, seed in ((1, 0), (4, 1), (16, 2))]  # k = 1: the reference grid itself, N = 100 steps
orders = lesson.observed_orders(grids)  # log(the gap's shrink factor) / log 4, between consecutive grids
print("observed orders, N = 100 -> 400 and 400 -> 1600: "
      + "; ".join(f"{name} {o1:.2f}, {o2:.2f}" for name, (o1, o2) in orders.items()))
gap_misfit = {(g.n_steps, t): (g.sde[t] - g.sde_exact[t]) / g.sde_gap_se(t) for g in grids for t in (90, 10, 0)}
worst_gap = max(gap_misfit, key=lambda key: abs(gap_misfit[key]))
print(f"sampled - computed SDE gap: at most {abs(gap_misfit[worst_gap]):.2f} standard errors (N = {worst_gap[0]}, "
      f"index {worst_gap[1]}); the next largest {sorted(map(abs, gap_misfit.values()))[-2]:.2f}")
fig_gaps = lesson.plot_gaps(grids)
plt.show()

# %% [markdown]
# Each refinement divides the clock step by 4. The SDE's computed gaps shrink by about that factor (observed orders
# 1.00 to 1.04: Euler–Maruyama's weak order 1), the ODE's by about 16 (2.06 and 2.05: Heun's order 2). The sampled
# gaps (crosses, $\pm2$ standard errors) agree with the computed ones within 2 standard errors, except at index 90 on
# the reference grid (2.25, the excursion seen in section 5). On the finest grid the sampling noise of 16000 paths
# exceeds the gaps at indices 90 and 10: their bars reach the bottom and are cut there. So the gaps are
# discretisation errors: the equations themselves transport $q$ exactly between interior times (section 3).

# %% [markdown]
# ## Checks
#
# The cells below pin the text to the outputs and to the package (`nbval` runs them); a reader may skip them.

# %% jupyter={"source_hidden": true}
# Checks of section 0: the recap's formulas, the printed numbers, the runs and the figure
from derivations import family
from derivations.common import fokker_planck_residual, readable

assert zero(Theta(u, c) - sp.sinh(c - u) / sp.sinh(c)) == 0
assert zero(Sigma2(u, c) - 2 * lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)) == 0
assert round(to_go_98, 3) == 0.999 and round(clock_T, 2) == 7.88 and round(100 * to_go_98 / clock_T) == 13
assert round(marginal_std[98], 3) == 0.235 and round(max(marginal_std.values()), 3) == 0.253
assert round(marginal_std[0], 3) == 0.009
assert abs(pixel_path.lam / bridges.rdbm().lam - 1000) < 1e-9 and max(default_std.values()) < 0.0080
# the middle panel's finer grid holds the same bridge: every grid clock, and the marginal there, reappear on it
times = pixel_path.schedule.times()
fine = lesson.refined(pixel_path, 50)
on_fine = torch.tensor([lesson.refined_index(int(t_), 50) for t_ in times])
assert fine.schedule.u_T == clock_T and torch.equal(fine.schedule.clock(on_fine), pixel_path.schedule.clock(times))
one = torch.ones(len(times), dtype=torch.float64)
assert torch.allclose(fine.std(x0_px * one, mu_px * one, on_fine), pixel_path.std(x0_px * one, mu_px * one, times),
                      rtol=1e-12, atol=1e-15)
# the first SDE step is 02a's posterior draw, with the run's first normal draws
n_sde = sde_x.shape[1]
post_mean, post_std = pixel_path.posterior(lesson.row(mu_px, n_sde), lesson.row(x0_px, n_sde),
                                           lesson.row(mu_px, n_sde), torch.tensor(99), torch.tensor(98))
first_z = torch.randn((1, n_sde), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
assert torch.allclose(sde_x[1], (post_mean + post_std * first_z)[0], rtol=0, atol=1e-12)
# Heun from x_T = mu: a single path, which lands on the mean M_[98]
from_mu = samplers.sample_heun(oracle_px, lesson.row(mu_px), pixel_path, torch.tensor([99, 98]))
assert abs(float(from_mu) - marginal_mean[98]) < 1e-15
assert int(sde_t[0]) == 99 and bool((sde_x[0] == mu_px).all())  # every SDE path starts at mu ...
assert int(sde_t[-1]) == int(ode_t[-1]) == -1 and bool((sde_x[-1] == x0_px).all() and (ode_x[-1] == x0_px).all())
assert [int(t_) for t_ in ode_t[:2]] == [98, 97] and len(ode_t) == 98 + 2  # ... the ODE's at index 98
assert bool((ode_x[:-1].diff(dim=1) > 0).all())  # ordered at every time before the clean end: they never cross
assert round(float(drawn.abs().max()), 1) == 3.5 and drawn.shape == (99, 5)  # the 5 drawn paths, indices 98 ... 0
# the series drawn: left, 5 paths and the two dots; middle, 5 paths, the dot and the line at 98; right, 5 paths, star
panels = [ax for ax in fig_two_ways.axes if ax.axison and ax.get_label() != "<colorbar>"]
assert [sum(len(line.get_xdata()) > 0 for line in ax.get_lines()) for ax in panels] == [7, 7, 6]

# %% jupyter={"source_hidden": true}
# Checks of sections 1 and 2: the log-density's quadratic term, the score and the cancellation of pi
L_sq_1 = -(x - M_t) ** 2 / (2 * Sigma2(u, c) * pi ** 2)
assert zero(sp.diff(reverse.log_q() - L_sq_1, x)) == 0  # the rest of log q is free of x
assert pi not in sp.denom(readable(g2_score)).free_symbols  # one fraction without pi in its denominator ...
assert zero(sp.diff(g2_score, pi, 2)) == 0 and sp.diff(readable(g2_score), pi) != 0  # ... and affine in pi
assert reverse.check_score_form() == 0 and reverse.check_score_term_free_of_pi_division() == 0

# %% jupyter={"source_hidden": true}
# Checks of section 3: the velocity, the parts of the log-density, the two transport equations
assert zero(velocity - (bridge_drift(u, c) - lam * pi ** 2 * score)) == 0  # v = f - g^2 score / 2
assert zero(velocity - family.pf_velocity(x, u, c, pi)) == 0
L_constant = L - L_sq - L_norm  # the rest of L: a constant (its derivatives in every symbol vanish) ...
assert all(zero(sp.diff(L_constant, s_)) == 0 for s_ in (x, u, c, lam, mu, pi))
at_a_point = {x: 0.3, u: 0.7, c: 2.0, lam: 0.1, mu: -0.2, pi: 0.8}
assert abs(float(L_constant.subs(at_a_point)) + 0.5 * float(sp.log(2 * sp.pi))) < 1e-12  # ... -log(2 x 3.14...) / 2
assert zero(L_x - sp.diff(L_sq, x)) == 0  # L_norm is free of x: the score is the quadratic term's alone
assert zero(fokker_planck_residual(L, x, u, velocity, 0)
            - (sp.diff(L, u) + sp.diff(velocity, x) + velocity * L_x)) == 0
without_norm = fokker_planck_residual(L_sq, x, u, velocity, 0)  # the left-hand side with L_norm left out ...
assert zero(without_norm + sp.diff(L_norm, u)) == 0 and zero(without_norm) != 0  # ... is not 0
u_rev = sp.Symbol(r"\tilde{u}")  # the parts shown for the reverse SDE: the library-free Fokker-Planck equation
assert zero(sum(reverse_parts.values()) - fokker_planck_residual(
    L.subs(u, -u_rev), x, u_rev, -F_rev.subs(u, -u_rev), lam * pi ** 2).subs(u_rev, -u)) == 0
assert reverse.check_pf_ode_continuity() == 0 and reverse.check_pf_ode_x0hat_form() == 0
assert reverse.check_reverse_sde() == 0

# %% jupyter={"source_hidden": true}
# Checks of section 4: the affine split, and the exact step is the library's eta = 0 step (first step included)
as_clock = {d: c - u, Psi_t: 1 - Theta(u, c), Theta_t: Theta(u, c), Sigma_t: sp.sqrt(Sigma2(u, c))}
assert zero(v_x0 - (x0_free + slope * x0).subs(as_clock)) == 0 and x0 not in (x0_free.free_symbols | slope.free_symbols)
assert reverse.check_pf_velocity_affine_in_x0() == 0 and reverse.check_implicit_eta0_solves_pf_ode() == 0
x_50 = lesson.at_places(pixel_path, x0_px, mu_px, 50, [1.3])
exact_step = marginal_mean[40] + marginal_std[40] / marginal_std[50] * (x_50 - marginal_mean[50])
assert torch.allclose(exact_step, samplers.implicit_step(pixel_path, x_50, lesson.row(x0_px), lesson.row(mu_px),
                                                         torch.tensor(50), torch.tensor(40), eta=0.0), atol=1e-14)
assert torch.equal(from_mu, samplers.implicit_step(pixel_path, lesson.row(mu_px), lesson.row(x0_px), lesson.row(mu_px),
                                                   torch.tensor(99), torch.tensor(98), eta=0.0))

# %% jupyter={"source_hidden": true}
# Checks of section 5: the loops are section 0's runs; the recursion is the package's; the printed numbers
assert torch.allclose(euler_maruyama(n_sde, torch.Generator().manual_seed(0)), sde_x, rtol=0, atol=1e-12)
assert torch.allclose(heun(ode_x[:1], 98, -1), ode_x[-1:]) and torch.allclose(heun(ode_x[:1], 98, 0), ode_x[-2:-1],
                                                                              rtol=0, atol=1e-12)
assert all(abs(a_t[t_] - lesson.em_factor(pixel_path, t_)) < 1e-12 for t_ in a_t)
assert all(abs(here.propagated[t_] - spread[t_]) < 1e-12 and abs(here.one_step[t_ + 1] - one_step[t_]) < 1e-12
           for t_ in here.propagated)
reference_heun = lesson.heun_one_step_errors(pixel_path, x0_px, mu_px, range(98, 0, -1))
assert all(abs(reference_heun[t_ + 1] - heun_error[t_]) < 1e-12 for t_ in heun_error)
assert max(product, key=product.get) == 98 and round(product[98], 2) == 0.87 and round(product[1], 2) == 0.32
assert [round(spread[t_], 2) for t_ in (97, 90, 0)] == [1.27, 1.07, 1.54] and round(spread[60], 2) == 1.02
assert max(one_step, key=one_step.get) == 0 and round(one_step[0], 2) == 1.46 and round(one_step[97], 2) == 1.27
assert round(min(a_t.values()), 2) == 0.25 and round(max(a_t.values()), 2) == 0.95 and 0 < min(a_t.values())
assert max(a_t.values()) < 1
assert round(heun_error[0], 3) == -0.205 and round(heun_error[97], 3) == 0.024
assert max(abs(e_) for t_, e_ in heun_error.items() if t_ > 0) < 0.05
assert round(sum(heun_error.values()), 3) == -0.266 and round(heun_path[0], 3) == -0.259
assert all(abs(r_ - spread[t_]) < 3 * rel_se * r_ for t_, r_ in sampled.items() if t_ < 98)  # within 3 s.e.
assert abs(sampled[98] - 1) < 3 * rel_se  # index 98: the exact posterior draw
assert sum(abs(m_) > 2 for m_ in misfit.values()) == 4 and worst == 40 and round(abs(misfit[worst]), 2) == 2.32
assert round(misfit[90], 2) == -2.25
assert round(du(1) * 1e3, 2) == 1.12 and round(float(clock(torch.tensor(0))) * 1e4, 2) == 6.31
assert round(g2 * du(1) / std[0] ** 2, 2) == 1.77 and round(score_factor(0) / score_factor(1), 2) == 2.77
# what lambda changes: the ratios are lambda-free, the means' errors in std scale like 1 / sqrt(lambda)
assert max(abs(default.propagated[t_] - spread[t_]) for t_ in default.propagated) < 1e-9
assert round(max(map(abs, here.mean_offset.values())), 3) == 0.019 and worst_mean == 41
assert round(abs(default.mean_offset[worst_mean]), 2) == 0.60
assert all(abs(default.mean_offset[t_] / here.mean_offset[t_] - 1000 ** 0.5) < 1e-6 * 1000 ** 0.5
           for t_ in here.mean_offset if abs(here.mean_offset[t_]) > 1e-6)
assert [round(v_, 3) for v_ in heun_mean.values()] == [0.002, 0.053]
# the figure: the sampled band and curve, the computed dashes and the one-step dots, index 98 to 0
assert [len(fig_errors.axes[k].get_lines()[0].get_xdata()) for k in (0, 1)] == [99, 99]

# %% jupyter={"source_hidden": true}
# Checks of appendix A: the reference grid's row is sections 0 and 5; nested grids; the numbers read off
assert [g_.n_steps for g_ in grids] == [100, 400, 1600]
assert all(abs(grids[0].sde[t_] - sampled[t_]) < 1e-12 and abs(grids[0].sde_exact[t_] - spread[t_]) < 1e-12
           for t_ in (90, 10, 0))
assert all(abs(grids[0].ode[i] - (float(ode_x[-2, k]) - marginal_mean[0]) / marginal_std[0]) < 1e-12
           for i, k in ((0, 0), (1, -1)))
assert all(abs(grids[0].landing_step[t_] / g_.landing_step[t_] - g_.k) < 1e-9 * g_.k for g_ in grids
           for t_ in (90, 10, 0))
sde_orders = [o_ for name, pair in orders.items() if name.startswith("SDE") for o_ in pair]
assert round(min(sde_orders), 2) == 1.00 and round(max(sde_orders), 2) == 1.04
assert [round(o_, 2) for o_ in orders["ODE at index 0"]] == [2.06, 2.05]
assert [round(g_.sde_gap(0), 2) for g_ in grids] == [0.54, 0.13, 0.03]
assert [round(g_.sde_gap(0, exact=False), 4) for g_ in grids] == [0.5575, 0.1261, 0.0229]
assert [round(g_.sde_gap_se(0), 4) for g_ in grids] == [0.0087, 0.0063, 0.0057]
assert [round(g_.ode_gap(), 4) for g_ in grids] == [0.2626, 0.0150, 0.0009]
assert all(abs(g_.sde[t_] - g_.sde_exact[t_]) < 3 * g_.sde_gap_se(t_) for g_ in grids for t_ in (90, 10, 0))
assert worst_gap == (100, 90) and round(abs(gap_misfit[worst_gap]), 2) == 2.25
assert sorted(map(abs, gap_misfit.values()))[-2] < 2  # every other comparison within 2 standard errors
assert [round(grids[2].sde_gap(t_), 3) for t_ in (90, 10)] == [0.004, 0.004]
assert [round(grids[2].sde_gap_se(t_), 3) for t_ in (90, 10)] == [0.006, 0.006]
assert all(g_.sde_gap(t_, exact=False) - 2 * g_.sde_gap_se(t_) < 3e-4 for g_ in grids[2:] for t_ in (90, 10))  # cut
