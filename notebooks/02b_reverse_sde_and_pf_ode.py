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
# **What you will learn.**
#
# - Two ways to run the bridge of notebook 02a backwards, from the degraded image $\mu$ to the clean image $x_0$,
#   that keep the bridge's marginals: the reverse-time SDE (random paths) and the probability-flow ODE
#   (deterministic paths). Both are built from the score of the marginal.
# - Why the residual in the noise never forces a division by it.
# - What a deterministic sampler can and cannot do from the pinned end.
#
# A last section writes out the figure's two solvers, Euler–Maruyama and Heun's method.
#
# **Recap of 02a.**
#
# - The clock $u = \bar\theta_t$ grows from 0 at the clean image $x_0$ to $c = \bar\theta_T$ at the pinned end
#   $t_T$, where every path sits at $\mu$; $\bar\theta_{t:T} = c - u$ is the clock still to go (the code's `d`).
# - $\pi = x_0 - \mu$ is the residual (in this course $\pi$ always means this), $\epsilon$ a standard normal, and
#   $\lambda$ sets the noise level.
# - The marginal at time $t$, with $\Theta_t = \sinh\bar\theta_{t:T}/\sinh\bar\theta_T$ and
#   $\Sigma_t^2 = 2\lambda\,\sinh\bar\theta_t\,\sinh\bar\theta_{t:T}/\sinh\bar\theta_T$:
# $$x_t = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon,\qquad q(x_t\mid x_0) = \mathcal N\big(M_t,\ \Sigma_t^2\pi^2\big),
# \qquad M_t = \mu + \Theta_t\pi .$$
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
from rdbm_course.mathshow import show

# %% [markdown]
# ## 0. The picture first: two ways back from $\mu$
#
# - One pixel, clean value $x_0 = 0.6$ and degraded value $\mu = -0.2$, on the reference grid: grid indices from
#   the pinned end, index 99, down to 0, then the clean end at index $-1$.
# - **Square brackets mark a grid index**: $x_{[98]}$ is the state at index 98, and $x_{[99]} = \mu$. A plain
#   subscript $t$ is a continuous time ($x_0$ keeps meaning the clean image).
# - A state's **place** is its distance from the marginal's mean in the marginal's standard deviations,
#   $(x_{[t]} - M_{[t]})/(\Sigma_{[t]}|\pi|)$.
# - The sampler is told $x_0$ (an *oracle*; a trained network replaces it in notebook 06).
# - Grey: the marginal $q(x_t\mid x_0)$ at $\lambda = 0.1$, a thousand times RDBM's default $10^{-4}$, so that the
#   band is visible.
#
# **Left panel:** the reverse-time SDE, random paths out of $\mu$. **Middle panel:** their first steps, against the
# clock still to go $\bar\theta_{t:T}$ (the band drawn on a 50 times finer grid, so that its pinch shows). **Right
# panel:** the probability-flow ODE, deterministic paths started at index 98 at the places $-2, \dots, 2$. Section 5
# writes both samplers out.

# %%
pixel_path = bridges.rdbm(lam=0.1)  # 1000 times RDBM's default lambda, so that the band shows
x0_px, mu_px = 0.6, -0.2
runs = lesson.two_ways(pixel_path, x0_px, mu_px, n_sde=16000, places=[-2, -1, 0, 1, 2],
                       title="one pixel, $x_0 = 0.6$, $\\mu = -0.2$, $\\lambda = 0.1$ (1000 times RDBM's default)")
plt.show()
last_step, clock_T = float(pixel_path.schedule.clock_to_end(torch.tensor(98))), pixel_path.schedule.u_T
print(f"the last clock step, index 98 -> 99: {last_step:.3f}, {100 * last_step / clock_T:.0f} % of the terminal "
      f"clock {clock_T:.2f}")

# %% [markdown]
# **Reading the picture.**
#
# - Every path ends at $x_0$ (the star).
# - The SDE's paths leave $\mu$ (the dot) at random and fan out. Most of their mass stays in the grey band, while
#   single paths wander out of it: the thick one reaches 3.5 standard deviations at the ring. Section 5 asks whether
#   the solver spreads the paths too much.
# - The ODE's paths are deterministic and never cross. Started at $-2, \dots, 2$ standard deviations, they follow
#   the band's contours, roughly (section 5 says how far they drift).
#
# **The pinch at $\mu$.** Against the grid index the pinch is hidden. The last clock step, from index 98 to 99, is
# 0.999, 13 % of the terminal clock 7.88, and it takes a single index. So the band keeps almost its full width up to
# index 98, and the SDE's paths seem to start spread out. The middle panel draws their first steps against the clock
# still to go: the band pinches to $\mu$ at $\bar\theta_{t:T} = 0$, and every path leaves $\mu$ in one step to
# index 98 (dotted line). Under RDBM's default $\lambda$ the band would be invisible: $\Sigma_t^2$ is proportional
# to $\lambda$, so the band is $\sqrt{1000} \approx 32$ times narrower.

# %% [markdown]
# **What makes both samplers possible.** The bridge solves a forward SDE, written per unit clock:
# $$dx = f\,du + g\,dW,\qquad f = \coth(\bar\theta_{t:T})\,(\mu - x),\qquad g = \sqrt{2\lambda}\,|\pi|,$$
# with the drift $f$, the diffusion coefficient $g$ ($g^2 = 2\lambda\pi^2$) and a Brownian increment $dW$ of variance
# $du$. Since $g$ depends on $x_0$ through $\pi$, these are the dynamics of the *conditional* bridge, $x_0$ given;
# section 4 puts a prediction in its place. Score-based diffusion models supply two dynamics with the same marginals
# $q$, both built from the *score* $\partial_x\log q$ (sources: `docs/references.md`, `anderson` and `scoresde`):
#
# - the **reverse-time SDE** (Anderson 1982), run with the clock *decreasing*, from $t_T$ towards the clean end:
#   $dx = F_{\rm rev}\,du + g\,d\bar W$ with $F_{\rm rev} = f - g^2\,\partial_x\log q$, where $d\bar W$ is a Brownian
#   increment of variance $|du|$; it keeps injecting noise;
# - the **probability-flow ODE** (Song et al. 2021) $dx/du = v$, $v = f - \tfrac12 g^2\,\partial_x\log q$: half the
#   score term, and no noise.
#
# **Why half.** Noise of squared amplitude $g^2$ changes $q$ as a flow of velocity $-\tfrac12 g^2\,\partial_x\log q$
# would, since $\tfrac12 g^2\,\partial_x^2 q = -\partial_x\big(-\tfrac12 g^2\,q\,\partial_x\log q\big)$. The ODE
# replaces the forward noise by that velocity. The reverse SDE follows $v$ backwards but injects noise of its own,
# which spreads $q$ too; undoing that takes a second half: $F_{\rm rev} = v - \tfrac12 g^2\,\partial_x\log q$.

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
# Derive them before section 2 does: `check` grades each step (a `dict` of SymPy expressions) and gives hints,
# never answers.
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
# The product is finite for every $\pi$, $\pi = 0$ included: it is affine in $\pi$, through
# $M_t = \mu + \Theta_t\pi$. The checks confirm both formulas against the package's derivation of the score
# (`derivations.reverse.score`).

# %% [markdown]
# ## 3. Both dynamics transport $q$ between interior times
#
# The velocity of 02b.1 with $\hat\pi = \pi$, the forward drift minus half of $g^2\,\partial_x\log q$ above, is
# $$v = \coth(\bar\theta_{t:T})(\mu - x) + \frac{\lambda(x - M_t)}{\Sigma_t^2}.$$
# Write $L = \log q$, with subscripts for partial derivatives.
#
# **The probability flow.** It transports $q$ when the continuity equation $\partial_u q + \partial_x(vq) = 0$
# holds; divided by $q$, it reads $L_u + v_x + vL_x = 0$. Here the whole log-density counts, not only its part in $x$:
#
# - $L = L_{\rm sq} + L_{\rm norm} - \tfrac12\log(2\times3.14159\ldots)$, with the quadratic term
#   $L_{\rm sq} = -(x - M_t)^2/(2\Sigma_t^2\pi^2)$ of section 1 and the normalising term
#   $L_{\rm norm} = -\tfrac12\log(\Sigma_t^2\pi^2)$ (the circle constant is written as a number, since $\pi$ is the
#   residual here);
# - $L_{\rm norm}$ is free of $x$, so it drops out of $L_x$ (the score); but it depends on the clock through
#   $\Sigma_t^2$, so it enters $L_u$.
#
# The left-hand side $L_u + v_x + vL_x$ is a polynomial of degree 2 in $x$. The checks collect it by powers of
# $(x - M_t)$, with $L_u$ split into $\partial_u L_{\rm sq}$ and $\partial_u L_{\rm norm}$: each power's
# coefficients add up to 0. The cell shows the $(x - M_t)^0$ coefficients, the terms at $x = M_t$:
# $\partial_u L_{\rm norm}$ balances $v_x$, so without the normalising term the equation would fail.

# %%
from derivations import reverse
from derivations.family import bridge_drift

M_t = bridge_mean(u, c)  # mu + Theta_t pi
score = reverse.score()  # the package's derivation of the score
velocity = bridge_drift(u, c) + lam * (x - M_t) / Sigma2(u, c)
L = reverse.log_q()
L_sq, L_norm = -(x - M_t) ** 2 / (2 * Sigma2(u, c) * pi ** 2), -sp.log(Sigma2(u, c) * pi ** 2) / 2
L_x = sp.diff(L, x)
flow_parts = {r"\partial_u L_{\rm sq}": sp.diff(L_sq, u), r"\partial_u L_{\rm norm}": sp.diff(L_norm, u),
              "v_x": sp.diff(velocity, x), "v L_x": velocity * L_x}
at_mean = [lesson.in_clock_to_go(part.subs(x, M_t)) for part in flow_parts.values()]  # the (x - M_t)^0 coefficients
show(r"\big[(x - M_t)^0\big]:\ " + " + ".join(flow_parts),
     " + ".join(rf"\Big({sp.latex(e)}\Big)" for e in at_mean) + " = 0")

# %% [markdown]
# **The reverse SDE.** With $x_0$ known, the reverse-time SDE transports $q$ too. In the reversed clock
# $\tilde u = -u$ (it runs from $-c$ at $t_T$ up to 0 at the clean end) it has the drift $-F_{\rm rev}$, with
# $F_{\rm rev} = f - g^2\,\partial_x\log q$, and the squared diffusion coefficient $g^2 = 2\lambda\pi^2$. Its
# Fokker–Planck equation, divided by $q$, reads
# $$L_{\tilde u} - \partial_x F_{\rm rev} - F_{\rm rev} L_x - \lambda\pi^2(L_{xx} + L_x^2) = 0$$
# (evaluated at $\tilde u = -u$, where $L_{\tilde u} = -L_u$; $L$ with its normalising term, as above). The checks
# collect its left-hand side by powers of $(x - M_t)$ too: every coefficient vanishes. The equation holds strictly
# inside the bridge; at $\mu$, where $q$ is a point mass, the sampler starts with an exact draw instead (section 5).

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
#
# - Each conditional flow transports its own $q$ (section 3): $\partial_u q + \partial_x\big(v(x\mid x_0)\,q\big) = 0$.
# - Integrating this over $x_0$ gives the mixture's continuity equation. Its velocity at $x$ is the average of the
#   conditional velocities over the clean images that could have led there:
#   $$\partial_u p_t + \partial_x\big(p_t\,\bar v\big) = 0,\qquad \bar v(x) = E\big[v(x\mid x_0)\;\big|\;x_t = x\big].$$
# - Because $v$ is affine in $x_0$ with a slope free of $x_0$, the average moves inside:
#   $$\bar v(x) = v\big(x\mid \hat x_0(x)\big),\qquad \hat x_0(x) = E[x_0\mid x_t = x].$$
#
# The posterior mean $\hat x_0(x)$ is the prediction of $x_0$ with the least mean squared error (the *MMSE*
# prediction). So the PF-ODE with the MMSE prediction transports the mixture exactly, between any two times strictly
# inside the bridge (the flow-matching argument of Lipman et al. 2023, `flowmatching` in `docs/references.md`). This
# is a derivation, not a measurement: the oracle of section 0
# tests only the conditional flow. Notebook 10 integrates the mixture's flow with the exact MMSE prediction of a
# two-mode toy.
#
# **At the pinned end.** For a fixed $\hat x_0$ the PF-ODE has explicit solutions: the bridge paths with a frozen
# noise, $x = \mu + \Theta_t\hat\pi + \Sigma_t\hat\pi\epsilon$, one for each constant $\epsilon$ (the checks confirm
# that they solve it, with $\hat\pi = \pi$; the figure's right panel draws five, approximately, as Heun's method
# follows them).
#
# - At a degraded pixel ($\hat\pi \ne 0$) and strictly inside the bridge ($\Sigma_{[t]} > 0$), exactly one curve
#   passes through a state $x_{[t]}$: the one with $\epsilon = (x_{[t]} - M_{[t]})/(\Sigma_{[t]}\hat\pi)$. Following it
#   to an index $s$ is the exact probability-flow step
#   $$x_{[s]} = M_{[s]} + \frac{\Sigma_{[s]}}{\Sigma_{[t]}}\big(x_{[t]} - M_{[t]}\big),\qquad M = \mu + \Theta\hat\pi .$$
#   At an intact pixel ($\hat\pi = 0$) every curve is the constant $\mu$; the step keeps $x = \mu$ there.
# - At $t_T$, $\Theta = \Sigma = 0$: every curve passes through $\mu$, and $\epsilon$ is $0/0$. A deterministic
#   sampler started at $x_{[99]} = \mu$ must pick one curve; the library's takes $\epsilon = 0$, so its first step
#   lands on the mean $M_{[98]}$. It returns *one* output per $\mu$ and cannot reproduce the spread of
#   $p_{\rm data}(x_0\mid\mu)$. Notebook 02c derives this step (its implicit step with no injected noise, noise
#   level $\eta = 0$) and the choice.

# %% [markdown]
# **Not for the reverse SDE.** The averaging does not carry over to the stochastic reverse SDE: its diffusion
# coefficient $g = \sqrt{2\lambda}\,|\pi|$ depends on $x_0$, and not affinely. The stochastic samplers
# (Euler–Maruyama here, and 02c's stochastic steps) use $\sqrt{2\lambda}\,|\hat\pi|$, an approximation; notebook 10
# measures the bias it causes.

# %% [markdown]
# ## Exercises
#
# Checked like 02b.1 (worked solutions: `solutions/02b_reverse_sde_and_pf_ode_solutions.ipynb`).
#
# **02b.2 (derive).** Near $t_T$ the velocity's two factors, $\coth\bar\theta_{t:T}$ of the forward drift and
# $\lambda/\Sigma_t^2$ of its score term, both grow without bound. How fast does the velocity itself grow along a
# frozen-noise path $x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ (a fixed $\epsilon$: section 4's solutions of the
# ODE)? Write $d = \bar\theta_{t:T}$ (the symbol `d`, imported at the top), so that $\bar\theta_t = c - d$. On the
# path, where $x - M_t = \Sigma_t\pi\epsilon$, the velocity $v$ of section 3 splits into three parts,
# $v = v_{\rm mean} + v_{\rm noise} + v_{\rm score}$:
# $$v_{\rm mean} = -\coth(d)\,\Theta_t\pi,\qquad v_{\rm noise} = -\coth(d)\,\Sigma_t\pi\epsilon,\qquad
# v_{\rm score} = \frac{\lambda\pi\epsilon}{\Sigma_t}$$
# (the forward drift acting on the mean part of $x - \mu$, on its noise part, and the score term). Work to leading
# order in $d$ by hand, with Taylor expansions of $\sinh$ (`sp.limit` on the notebook's `velocity` would skip the
# exercise). Hand in, with `d`, `c`, `lam`, `pi` and `eps`:
#
# - `"Theta_lead"`, `"Sigma2_lead"`: the leading terms of $\Theta_t$ and $\Sigma_t^2$ as $d \to 0$;
# - `"v_mean"`, `"v_noise"`, `"v_score"`: the limits as $d \to 0$ of $d^{1/2}$ times each part;
# - `"v"`: the limit of $d^{1/2}\,v$.

# %%
answer_02b_2 = ...  # {"Theta_lead": ..., "Sigma2_lead": ..., "v_mean": ..., "v_noise": ..., "v_score": ..., "v": ...}
check("02b.2", answer_02b_2)

# %% [markdown]
# **02b.3 (implement).** Two functions, handed in together as
# `{"drift": reverse_sde_drift, "step_factor": step_factor}`.
#
# (a) A transcription: the drift $F_{\rm rev} = f - g^2\,\partial_x\log q$ in tensor code, with section 2's
# cancellation done on paper so that nothing divides by $\hat\pi$. `reverse_sde_drift(path, x, x0_hat, mu, t)`
# returns $F_{\rm rev}$ per unit clock, in the direction of increasing clock, on image tensors (shaped like `x`), at
# an integer grid index `t` (a 0-dim tensor) strictly between the clean end and $t_T$, with $x_0$ replaced by the
# prediction `x0_hat`. It is checked on a batch in which a third of the pixels are intact ($\hat x_0 = \mu$, and
# $x = \mu$ there): it must be finite there.
#
# > **What you may use.**
# > - `path.coefficients(t)`: $(\Theta_{[t]}, \Psi_{[t]}, \Sigma_{[t]})$, with $\Psi = 1 - \Theta$ the weight of
# >   $\mu$ (as in 02a);
# > - `path.lam`: $\lambda$;
# > - `path.schedule.clock_to_end(t)`: the clock still to go at index $t$;
# > - `path.schedule.clock(t)`: the clock $\bar\theta_{[t]}$ (for part (b)).
# >
# > The path's own `reverse_drift`, `velocity`, `score` and `posterior` are refused.
#
# (b) One Euler–Maruyama step from grid index $t$ to $t - 1$ moves against the clock by
# $\Delta u = \bar\theta_{[t]} - \bar\theta_{[t-1]}$, holding the drift at its value at the step's start, and adds
# fresh noise:
# $$x_{[t-1]} = x_{[t]} - \Delta u\,F_{\rm rev}(x_{[t]}) + g\sqrt{\Delta u}\;z,\qquad z \text{ standard normal}.$$
# The step is affine in $x_{[t]}$: $x_{[t-1]} = a_{[t]}\,x_{[t]} + (\text{terms free of } x_{[t]})$.
# `step_factor(path, t)` returns $a_{[t]}$ as a number, for $1 \le t \le 98$ on the reference grid, computed with
# your drift of (a) (the path's own methods are refused here too). It is checked on the reference grid at $t = 98$
# (the first explicit step, after the posterior draw out of index 99), 50 and 1 (the last explicit step), and on a
# grid with four times as many steps.
#
# Before you check it, write down your answer to this: if $0 < a_{[t]} < 1$, what does the step do to a path's
# distance from the mean, and so to an excess of the paths' spread over the marginal's that an earlier step has made?
# Section 5 shows it in the figure's numbers.

# %%
answer_02b_3 = ...  # {"drift": reverse_sde_drift, "step_factor": step_factor}
check("02b.3", answer_02b_3)

# %% [markdown]
# ## 5. The figure's two solvers, written out
#
# RDBM does not sample with these solvers: its sampler is notebook 02c's closed-form step, the exact
# probability-flow step of section 4. Euler–Maruyama (for the reverse SDE) and Heun's method (for the
# probability-flow ODE) are the generic solvers a score-based model would use, and so the baselines that 02c's
# $\eta = 0$ step improves on. Each step goes from index $t$ to $t - 1$ and lowers the clock by
# $\Delta u = \bar\theta_{[t]} - \bar\theta_{[t-1]}$.
#
# - *Out of the pinned end (99 → 98).* The coefficients blow up at index 99 and are undefined at $x = \mu$
#   ($\infty\cdot0$ and $0/0$), so neither solver takes an explicit step there. Euler–Maruyama draws $x_{[98]}$ from
#   02a's posterior $q(x_{[98]}\mid x_{[99]} = \mu, x_0)$, which out of the pinned end is the marginal at index 98.
#   Heun's method takes section 4's exact step and lands on $M_{[98]}$.
# - *The explicit steps (98 → 97 → … → 0).* Euler–Maruyama takes 02b.3(b)'s step. Heun's method takes the Euler
#   step $\tilde x = x - \Delta u\,v(x)$, then redoes it with the mean of the velocities at its two ends,
#   $x \leftarrow x - \tfrac12\Delta u\,\big(v(x) + v(\tilde x)\big)$.
# - *Into the clean end (0 → −1).* Both return the prediction $\hat x_0$, here the oracle's $x_0$.
#
# The cell writes both loops with the library's drift $F_{\rm rev}$ (`reverse_drift`, your 02b.3(a)) and velocity
# $v$. `heun` starts from states at index 98, as the figure's paths do, so it has no step out of the pinned end.
# Without a generator, `euler_maruyama` switches its noise off; since each step is affine in $x$, that one path is
# the mean of all the paths.

# %%
clock = pixel_path.schedule.clock  # the same grid, so the same clock, for every lambda


def du(t):
    """The clock length of the step from index t to t - 1."""
    return float(clock(torch.tensor(t)) - clock(torch.tensor(t - 1)))


def euler_maruyama(path, n_paths, generator=None):
    """The reverse SDE from x_[99] = mu: the states of n_paths paths at the indices 99, 98, ..., 0, -1 (rows).
    Without a generator the noise is off, and the one path is the paths' mean."""
    x0_, mu_ = lesson.row(x0_px, n_paths), lesson.row(mu_px, n_paths)
    g = (2 * path.lam) ** 0.5 * abs(x0_px - mu_px)  # the diffusion coefficient

    def z():  # a standard normal draw per path, or 0
        if generator is None:
            return torch.zeros((1, n_paths), dtype=torch.float64)
        return torch.randn((1, n_paths), generator=generator, dtype=torch.float64)

    xs = [mu_]  # index 99, the pinned end
    xs.append(path.mean(x0_, mu_, torch.tensor(98)) + path.std(x0_, mu_, torch.tensor(98)) * z())  # 99 -> 98
    for t in range(98, 0, -1):  # the explicit steps t -> t - 1
        drift = path.reverse_drift(xs[-1], x0_, mu_, torch.tensor(t))  # F_rev
        xs.append(xs[-1] - du(t) * drift + g * du(t) ** 0.5 * z())
    return torch.cat(xs + [x0_])  # 0 -> -1: the prediction x0_hat, here x0


def heun(path, x, t_from, t_to):
    """The probability-flow ODE from the states x (a row) at index t_from: Heun's steps down to index t_to, and the
    final step into the clean end if t_to = -1."""
    x0_, mu_ = lesson.row(x0_px, x.shape[1]), lesson.row(mu_px, x.shape[1])
    for t in range(t_from, max(t_to, 0), -1):
        v_start = path.velocity(x, x0_, mu_, torch.tensor(t))
        x_euler = x - du(t) * v_start
        x = x - du(t) * (v_start + path.velocity(x_euler, x0_, mu_, torch.tensor(t - 1))) / 2
    return x0_ if t_to == -1 else x

# %%
grid, M, S = runs.grid, runs.mean, runs.std  # the indices 99, ..., 0, -1, and the marginal's mean and std there
inner = (grid >= 0) & (grid <= 98)  # the indices 98, ..., 0
spread = dict(zip(grid[inner].tolist(), (runs.sde_x[inner].std(dim=1) / S[inner]).tolist()))  # paths' std / marginal's
rel_se = 1 / (2 * (runs.sde_x.shape[1] - 1)) ** 0.5  # the standard error of a sample std, relative to it
print("Euler-Maruyama, spread / marginal std: " + ", ".join(f"{spread[t]:.2f} at index {t}" for t in (97, 90, 0))
      + f" (s.e. {100 * rel_se:.1f} %)")
a = {t: lesson.em_factor(pixel_path, t) for t in range(98, 0, -1)}  # 02b.3's a_[t], with the library's drift
print(f"a_[t] from {min(a.values()):.2f} to {max(a.values()):.2f}")
places = (runs.sde_x[inner] - M[inner, None]) / S[inner, None]  # every path's place, [index, path]
i, k = divmod(int(places[:, :5].abs().argmax()), 5)  # the ring: the 5 drawn paths' farthest point
ring_at = int(grid[inner][i])
print(f"the ring: {places[i, k].abs():.1f} std at index {ring_at}, where the spread is {spread[ring_at]:.2f}")
window = [spread[t] for t in range(25, 81)]  # the indices 80, ..., 25: the spread there
share = float((places[(grid[inner] >= 25) & (grid[inner] <= 80)].abs().max(dim=0).values >= 3.5).double().mean())
share_se = (share * (1 - share) / places.shape[1]) ** 0.5  # binomial standard error
print(f"indices 80 to 25: spread {min(window):.2f} to {max(window):.2f}; {100 * share:.1f} % of the paths reach "
      f"3.5 std there (s.e. {100 * share_se:.1f} %); at least one of 5 paths: {100 * (1 - (1 - share) ** 5):.0f} %")

# %% [markdown]
# **Euler–Maruyama in numbers.** These loops are the figure's runs, draw for draw (the checks confirm it).
#
# - *It forgets.* Its first explicit step leaves the paths too spread: 1.27 times the marginal's standard deviation
#   at index 97. Every later step multiplies a path's distance from the mean by $a_{[t]}$, here between 0.25 and 0.95
#   (02b.3), so that excess fades (1.06 at index 90). Near the clean end the spread grows again, to 1.56 at index 0:
#   a factor below 1 only shrinks an excess, so that growth is the last steps' own error.
# - *The ring is an uncommon draw.* It sits at index 65, where the spread is only 1.02 times the marginal's. A path's
#   largest distance over many indices is not one normal draw: between indices 80 and 25 (spread 1.01 to 1.03),
#   1.1 % of the 16000 paths reach 3.5 standard deviations (s.e. 0.1 %), so one of five does with a chance of about
#   5 %. Nearer the ends the excess spread adds to this.

# %%
ends = heun(pixel_path, runs.ode_x[:1], 98, 0)  # the figure's ODE paths, from index 98 to index 0
print("Heun, places at index 0 of the paths started at -2, ..., 2: "
      + ", ".join(f"{p:+.2f}" for p in ((ends - M[-2]) / S[-2])[0].tolist()))
ones = torch.ones_like(M)
mean_offset = {}  # (the paths' mean - M_[t]) / std at the indices 98, ..., 0
for name, path_ in (("lambda = 0.1", pixel_path), ("the default lambda", bridges.rdbm())):
    M_, S_ = path_.mean(x0_px * ones, mu_px * ones, grid), path_.std(x0_px * ones, mu_px * ones, grid)
    mean_offset[name] = ((euler_maruyama(path_, 1)[:, 0] - M_) / S_)[inner]
    worst = int(mean_offset[name].abs().argmax())
    print(f"Euler-Maruyama at {name}: the paths' mean at most {mean_offset[name][worst].abs():.3f} std from "
          f"M_[t] (index {int(grid[inner][worst])})")

# %% [markdown]
# **Heun's method drifts off its places.** The exact flow would keep every path at its place; the paths started at
# $\pm2$ end at $\pm1.74$ at index 0.
#
# **What $\lambda$ changes.** The figure is drawn at $\lambda = 0.1$. With the oracle every variance here is
# $\lambda\pi^2$ times a function of the clock, so the spread ratios and $a_{[t]}$ are the same at RDBM's default
# $\lambda = 10^{-4}$. The paths' mean is not: it follows the noise-free loop, whose steps are free of $\lambda$
# (since $\lambda/\Sigma_t^2$ is). So its error is the same in pixel values, and $\sqrt{1000} \approx 32$ times
# larger in standard deviations. It is at most 0.019 standard deviations at $\lambda = 0.1$ and 0.602 under the
# default, both at index 41, in mid-bridge. For a given $\hat x_0$, notebook 02c's $\eta = 0$ step follows the
# frozen-noise curve exactly and has no such error (02c shows it).

# %% [markdown]
# ## Checks
#
# The cells below pin the text to the outputs and to the package (`nbval` runs them); a reader may skip them.

# %% jupyter={"source_hidden": true}
# Checks of section 0: the recap's formulas, the runs, the printed numbers and the figure
from derivations import family
from derivations.common import eps, fokker_planck_residual, readable
from rdbm_course.mathshow import vanishes_by_powers

assert zero(Theta(u, c) - sp.sinh(c - u) / sp.sinh(c)) == 0
assert zero(Sigma2(u, c) - 2 * lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)) == 0
# the recorded runs: rows in the order of grid; every SDE path starts at mu, the ODE's at index 98; all end at x0
sde_x, ode_x = runs.sde_x, runs.ode_x
assert torch.equal(grid, pixel_path.schedule.times().flip(0))
assert torch.equal(runs.sde_t, grid) and torch.equal(runs.ode_t, grid[1:])
assert grid[1] == 98 and grid[-2] == 0 and bool((sde_x[0] == mu_px).all()) and sde_x.shape[1] == 16000
assert bool((sde_x[-1] == x0_px).all() and (ode_x[-1] == x0_px).all())
assert bool((ode_x[:-1].diff(dim=1) > 0).all())  # ordered at every time before the clean end: they never cross
assert torch.allclose(ode_x[0], M[1] + torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=torch.float64) * S[1])
assert torch.equal(M, pixel_path.mean(x0_px * ones, mu_px * ones, grid))
assert torch.equal(S, pixel_path.std(x0_px * ones, mu_px * ones, grid))
# the first SDE step is 02a's posterior draw, with the run's first normal draws
n_sde = sde_x.shape[1]
post_mean, post_std = pixel_path.posterior(lesson.row(mu_px, n_sde), lesson.row(x0_px, n_sde),
                                           lesson.row(mu_px, n_sde), torch.tensor(99), torch.tensor(98))
first_z = torch.randn((1, n_sde), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
assert torch.allclose(sde_x[1], (post_mean + post_std * first_z)[0], rtol=0, atol=1e-12)
# Heun from x_[99] = mu: a single path, which lands on the mean M_[98]
from_mu = samplers.sample_heun(lesson.oracle(x0_px), lesson.row(mu_px), pixel_path, torch.tensor([99, 98]))
assert abs(float(from_mu) - float(M[1])) < 1e-15
# the printed numbers; the band's width at index 98 and its maximum; under the default lambda sqrt(1000) narrower
assert round(last_step, 3) == 0.999 and round(clock_T, 2) == 7.88 and round(100 * last_step / clock_T) == 13
assert round(float(S[1]), 3) == 0.235 and round(float(S.max()), 3) == 0.253 and round(float(S[-2]), 3) == 0.009
default_S = bridges.rdbm().std(x0_px * ones, mu_px * ones, grid)  # under RDBM's default lambda = 1e-4
assert abs(pixel_path.lam / bridges.rdbm().lam - 1000) < 1e-9 and float(default_S.max()) < 0.0080
assert torch.allclose(default_S * 1000 ** 0.5, S, rtol=1e-9, atol=0)
# the middle panel's finer grid holds the same bridge: every grid clock, and the marginal there, reappear on it
times = pixel_path.schedule.times()
fine = lesson.refined(pixel_path, 50)
on_fine = torch.tensor([lesson.refined_index(int(t_), 50) for t_ in times])
assert fine.schedule.u_T == clock_T and torch.equal(fine.schedule.clock(on_fine), pixel_path.schedule.clock(times))
assert torch.allclose(fine.std(x0_px * ones, mu_px * ones, on_fine), pixel_path.std(x0_px * ones, mu_px * ones, times),
                      rtol=1e-12, atol=1e-15)
# the figure: left, 5 paths, the thick one, the ring, the two dots; middle, 5 paths, the dot and the line at 98;
# right, 5 paths and the star; the ring at section 5's point, labelled 3.5 std; the title names lambda and its ratio
panels = [ax for ax in runs.figure.axes if ax.get_label() != "<colorbar>"]
assert [sum(len(line.get_xdata()) > 0 for line in ax.get_lines()) for ax in panels] == [9, 7, 6]
ring = panels[0].get_lines()[6]
assert (float(ring.get_xdata()[0]), float(ring.get_ydata()[0])) == (65.0, float(sde_x[grid == 65, 1]))
assert [t_.get_text() for t_ in panels[0].texts] == ["3.5 std"]
assert panels[2].get_title() == "Heun's method for the PF-ODE"
assert r"\lambda = 0.1$ (1000 times" in runs.figure.get_suptitle()

# %% jupyter={"source_hidden": true}
# Checks of sections 1 and 2: the log-density's quadratic term, the score and the cancellation of pi
g2_score = 2 * lam * pi ** 2 * score  # per unit clock: 02b.1's step "g2_score" with pihat = pi
assert zero(score + (x - M_t) / (Sigma2(u, c) * pi ** 2)) == 0  # section 2's first display
assert zero(g2_score + 2 * lam * (x - M_t) / Sigma2(u, c)) == 0  # section 2's second display
L_sq_1 = -(x - M_t) ** 2 / (2 * Sigma2(u, c) * pi ** 2)
assert zero(sp.diff(reverse.log_q() - L_sq_1, x)) == 0  # the rest of log q is free of x
assert pi not in sp.denom(readable(g2_score)).free_symbols  # one fraction without pi in its denominator ...
assert zero(sp.diff(g2_score, pi, 2)) == 0 and sp.diff(readable(g2_score), pi) != 0  # ... and affine in pi
assert reverse.check_score_form() == 0 and reverse.check_score_term_free_of_pi_division() == 0

# %% jupyter={"source_hidden": true}
# Checks of section 3: the velocity, the parts of the log-density, the two transport equations by powers of
# (x - M_t) (every line's coefficients add up to 0; the first line's are the cell's at_mean)
assert zero(velocity - (bridge_drift(u, c) - lam * pi ** 2 * score)) == 0  # v = f - g^2 score / 2
assert zero(velocity - family.pf_velocity(x, u, c, pi)) == 0
L_constant = L - L_sq - L_norm  # the rest of L: a constant (its derivatives in every symbol vanish) ...
assert all(zero(sp.diff(L_constant, s_)) == 0 for s_ in (x, u, c, lam, mu, pi))
at_a_point = {x: 0.3, u: 0.7, c: 2.0, lam: 0.1, mu: -0.2, pi: 0.8}
assert abs(float(L_constant.subs(at_a_point)) + 0.5 * float(sp.log(2 * sp.pi))) < 1e-12  # ... -log(2 x 3.14...) / 2
assert zero(L_x - sp.diff(L_sq, x)) == 0  # L_norm is free of x: the score is the quadratic term's alone
assert zero(fokker_planck_residual(L, x, u, velocity, 0) - sum(flow_parts.values())) == 0
assert all(zero(e_.subs(d, c - u) - p_.subs(x, M_t)) == 0 for e_, p_ in zip(at_mean, flow_parts.values()))
assert at_mean[0] == 0 and at_mean[3] == 0 and zero(sum(at_mean).subs(d, c - u)) == 0  # L_norm balances v_x
assert zero((at_mean[1] - (sp.coth(d) - sp.coth(u)) / 2).subs(d, c - u)) == 0
without_norm = fokker_planck_residual(L_sq, x, u, velocity, 0)  # the left-hand side with L_norm left out ...
assert zero(without_norm + sp.diff(L_norm, u)) == 0 and zero(without_norm) != 0  # ... is not 0
vanishes_by_powers(r"L_u + v_x + v L_x", flow_parts, x, M_t, "(x - M_t)", exponents=True,
                   rewrite=lesson.in_clock_to_go)
F_rev = bridge_drift(u, c) - 2 * lam * pi ** 2 * score
reverse_parts = {r"L_{\tilde u}": -sp.diff(L, u), r"-\partial_x F_{\rm rev}": -sp.diff(F_rev, x),
                 r"-F_{\rm rev} L_x": -F_rev * L_x,
                 r"-\lambda\pi^2(L_{xx} + L_x^2)": -lam * pi ** 2 * (sp.diff(L_x, x) + L_x ** 2)}  # L_u~ = -L_u
u_rev = sp.Symbol(r"\tilde{u}")  # the reverse SDE's parts: the library-free Fokker-Planck equation
assert zero(sum(reverse_parts.values()) - fokker_planck_residual(
    L.subs(u, -u_rev), x, u_rev, -F_rev.subs(u, -u_rev), lam * pi ** 2).subs(u_rev, -u)) == 0
vanishes_by_powers(r"\text{left-hand side at } \tilde u = -u", reverse_parts, x, M_t, "(x - M_t)", exponents=True,
                   rewrite=lesson.in_clock_to_go)
assert reverse.check_pf_ode_continuity() == 0 and reverse.check_pf_ode_x0hat_form() == 0
assert reverse.check_reverse_sde() == 0

# %% jupyter={"source_hidden": true}
# Checks of section 4: the affine split; the frozen-noise paths solve the PF-ODE; the exact step is the library's
# eta = 0 step (first step included)
as_clock = {d: c - u, Psi_t: 1 - Theta(u, c), Theta_t: Theta(u, c), Sigma_t: sp.sqrt(Sigma2(u, c))}
assert zero(v_x0 - (x0_free + slope * x0).subs(as_clock)) == 0 and x0 not in (x0_free.free_symbols | slope.free_symbols)
assert reverse.check_pf_velocity_affine_in_x0() == 0 and reverse.check_implicit_eta0_solves_pf_ode() == 0
frozen = mu + Theta(u, c) * pi + sp.sqrt(Sigma2(u, c)) * pi * eps  # a bridge path with a frozen eps
assert zero(sp.diff(frozen, u) - velocity.subs(x, frozen)) == 0
k50, k40 = 99 - 50, 99 - 40  # the rows of the indices 50 and 40 in grid
assert (int(grid[k50]), int(grid[k40])) == (50, 40)
x_50 = (M[k50] + 1.3 * S[k50]).reshape(1, 1)  # the place 1.3 at index 50
exact_step = M[k40] + S[k40] / S[k50] * (x_50 - M[k50])
assert torch.allclose(exact_step, samplers.implicit_step(pixel_path, x_50, lesson.row(x0_px), lesson.row(mu_px),
                                                         torch.tensor(50), torch.tensor(40), eta=0.0), atol=1e-14)
assert torch.equal(from_mu, samplers.implicit_step(pixel_path, lesson.row(mu_px), lesson.row(x0_px), lesson.row(mu_px),
                                                   torch.tensor(99), torch.tensor(98), eta=0.0))
intact = samplers.implicit_step(pixel_path, lesson.row(mu_px), lesson.row(mu_px), lesson.row(mu_px),
                                torch.tensor(50), torch.tensor(40), eta=0.0)
assert torch.equal(intact, lesson.row(mu_px))  # an intact pixel at mu stays at mu

# %% jupyter={"source_hidden": true}
# Checks of section 5: the loops are section 0's runs; a_[t]; the printed numbers; lambda's effect without sampling
assert torch.allclose(euler_maruyama(pixel_path, n_sde, torch.Generator().manual_seed(0)), sde_x, rtol=0, atol=1e-12)
assert torch.allclose(heun(pixel_path, ode_x[:1], 98, -1), ode_x[-1:])
assert torch.allclose(ends, ode_x[-2:-1], rtol=0, atol=1e-12)
coth_minus_score = {t_: 1 / float(torch.tanh(pixel_path.schedule.clock_to_end(torch.tensor(t_))))
                    - 2 * pixel_path.lam / float(pixel_path.coefficients(torch.tensor(t_))[2]) ** 2 for t_ in a}
assert all(abs(a[t_] - (1 + du(t_) * coth_minus_score[t_])) < 1e-12 for t_ in a)  # 02b.3's formula
assert round(min(a.values()), 2) == 0.25 and round(max(a.values()), 2) == 0.95
assert 0 < min(a.values()) and max(a.values()) < 1
assert [round(spread[t_], 2) for t_ in (97, 90, 0)] == [1.27, 1.06, 1.56] and round(100 * rel_se, 1) == 0.6
exact = lesson.em_spread(pixel_path, x0_px, mu_px)  # the same without sampling: the variance recursion
assert all(abs(spread[t_] - exact.propagated[t_]) < 3 * rel_se * spread[t_] for t_ in (97, 90, 0))
# the ring: the drawn paths' farthest point (the figure's), and the share of paths that reach 3.5 std in 80..25
assert places.shape == (99, 16000) and (ring_at, k, round(float(places[i, k].abs()), 1)) == (65, 1, 3.5)
assert round(spread[ring_at], 2) == 1.02 and (round(min(window), 2), round(max(window), 2)) == (1.01, 1.03)
assert len(window) == 56 and round(100 * share, 1) == 1.1 and round(100 * share_se, 1) == 0.1
assert round(100 * (1 - (1 - share) ** 5)) == 5
assert [round(p_, 2) for p_ in ((ends - M[-2]) / S[-2])[0].tolist()] == [-1.74, -0.87, 0.0, 0.87, 1.74]
default = lesson.em_spread(bridges.rdbm(), x0_px, mu_px)
assert max(abs(default.propagated[t_] - exact.propagated[t_]) for t_ in exact.propagated) < 1e-9  # lambda-free
for offsets, recursion in ((mean_offset["lambda = 0.1"], exact), (mean_offset["the default lambda"], default)):
    assert float(offsets[0]) == 0  # index 98: the posterior draw's mean is M_[98]
    assert all(abs(float(o_) - recursion.mean_offset[int(t_)]) < 1e-9 for o_, t_ in zip(offsets[1:], grid[inner][1:]))
assert round(float(mean_offset["lambda = 0.1"].abs().max()), 3) == 0.019
assert round(float(mean_offset["the default lambda"].abs().max()), 3) == 0.602
worst_rows = [int(offsets.abs().argmax()) for offsets in mean_offset.values()]
assert [int(grid[inner][k_]) for k_ in worst_rows] == [41, 41]
assert all(abs(default.mean_offset[t_] / exact.mean_offset[t_] - 1000 ** 0.5) < 1e-6 * 1000 ** 0.5
           for t_ in exact.mean_offset if abs(exact.mean_offset[t_]) > 1e-6)
