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
# # 02a — The forward bridge: its marginal and its posterior
#
# The residual bridge of RDBM (Wang et al., *Residual Diffusion Bridge Model for Image Restoration*, arXiv
# 2510.23116, CVPR 2026: "the paper") carries each pixel from its clean value $x_0$ to its degraded value. Its
# **marginal** $q(x_t\mid x_0)$ says where a pixel is at time $t$; the **posterior** $q(x_s\mid x_t, x_0)$ says where
# it was at an earlier time $s$, given also where it is at $t$. A sampler runs the bridge backwards from the
# degraded image, so it needs both: notebook 02b builds its reverse dynamics from the marginal, and the ancestral
# step of notebook 02c draws from the posterior.
#
# **Prerequisites.** Notebook 01 (the OU process, Doob's h-transform, the reference grid), and completing the
# square to multiply two Gaussians. As there, the schedule $\theta_t > 0$ sets the speed of the process and every
# formula depends on time only through the **clock** $\bar\theta_t = \int_0^t \theta_r\,dr$; the clock from $s$ to
# $t$ is $\bar\theta_{s:t} = \bar\theta_t - \bar\theta_s$, and $T$ is the end time, where the bridge reaches the
# degraded image.

# %%
import matplotlib.pyplot as plt
import sympy as sp
import torch

from derivations.common import a, b, c, d, lam, mu, pi, u, x, xt
from derivations.family import Sigma2, Theta, bridge_mean
from rdbm_core.bridge import bridges, schedules
from rdbm_course import marginal_lesson as lesson
from rdbm_course.mathshow import limit, positive_terms_first

# SymPy symbols: u, c = the clock at t and at T; for s < t < T, a, b, d = the clock up to s, from s to t, from t to T;
# xt = x_t, x = x_s. The displays print the clocks by these short names.
LAM = 0.1  # lambda, the noise level of both figures
positive_terms_first()  # displays write x_t - mu, not SymPy's -mu + x_t

# %% [markdown]
# ## 0. The picture first: what the residual bridge does to each pixel
#
# Every pixel of the bridge at time $t$ is
#
# $$x_t = \mu + \Theta_t\,\pi + \Sigma_t\,\nu\,\epsilon,\qquad \epsilon \sim \mathcal N(0, 1),$$
#
# with its clean value $x_0$, its degraded value $\mu$ and the residual $\pi = x_0 - \mu$. The **noise factor** $\nu$
# is where bridges differ. RDBM takes $\nu = \pi$: a pixel's standard deviation is $\Sigma_t|\pi|$, and an intact
# pixel ($\pi = 0$) gets no noise. A bridge with global noise takes $\nu = 1$: every pixel gets $\Sigma_t$.
#
# With the clock $u = \bar\theta_t$ at $t$, the clock $c = \bar\theta_T$ at $T$ and the noise level $\lambda > 0$, the
# coefficients are (exercises 01.1 and 01.2)
#
# $$\Theta_t = \frac{\sinh(c - u)}{\sinh c},\qquad \Sigma_t^2 = \Sigma^2(u, c),\qquad
# \Sigma^2(u, c) = \frac{2\lambda\sinh u\,\sinh(c - u)}{\sinh c}.$$
#
# $\Sigma^2(u, c)$, a function of two clocks, is the variance per unit $\nu^2$ at clock $u$ of a bridge whose whole
# clock is $c$. $\Theta_t$ falls from 1 at the clean end to 0 at $T$, so the mean moves from $x_0$ to $\mu$; $\Sigma_t$
# is 0 at both ends.
#
# **Times on the grid.** The library names the times of notebook 01's reference grid by their index: grid index $i$
# stands for the time $t_i$, from index $-1$, the clean end ($x = x_0$, clock 0), to index 99, the end time $T$. In
# the code, `t = 80` means the time $t_{80}$.
#
# The figure draws $\Theta_t$ and $\Sigma_t$ against the clock $u$, with $\lambda = 0.1$ in both figures. The dots are
# the grid's times; the lines are a bridge with a constant schedule $\theta_t$ and the same $c$. They agree, because
# only the clock matters.

# %%
rdbm = bridges.rdbm(lam=LAM)  # the reference grid of notebook 01
same_clock = bridges.ou_bridge(schedules.continuous_constant(rdbm.schedule.u_T, 1.0), LAM)  # constant theta, same c
fig = lesson.plot_coefficients(rdbm, same_clock, residuals=(0.5, 0.1, 0.0))
plt.show()
rows, peak = lesson.grid_table(rdbm, (-1, 98, 99))
ts = rdbm.schedule.times()
paper_ratio = bridges.rdbm(lam=1e-4).coefficients(ts)[2][1:-1] / rdbm.coefficients(ts)[2][1:-1]  # not at the ends
print(f"Sigma_t at lambda = 1e-4 / at lambda = {LAM}, indices 0 to 98: {float(paper_ratio.min()):.4f} to "
      f"{float(paper_ratio.max()):.4f}")

# %% [markdown]
# **Left.** Both coefficients are smooth in the clock: $\Theta_t$ falls from 1 to 0, and $\Sigma_t$ rises from 0 to
# its largest value, 0.316 at index 91 (clock 3.975, about half of $T$'s clock 7.879), then returns to 0. The grid's
# dots are dense at small clock values and sparse near $T$, where its last step alone is 0.999 of clock.
#
# **Right.** The per-pixel standard deviation. Under global noise every pixel gets the dashed curve. Under RDBM a
# pixel gets that curve scaled by its $|\pi|$: a slightly degraded pixel gets little noise, an intact one (green,
# $\pi = 0$) none.
#
# **The noise level $\lambda$.** Every standard deviation is proportional to $\sqrt\lambda$; the means do not involve
# $\lambda$. The paper takes $\lambda = 10^{-4}$: its curves are these times $\sqrt{10^{-4}/0.1} = 0.0316$, the ratio
# printed at every grid time strictly between the ends. $\lambda = 0.1$ only makes the noise visible.

# %% [markdown]
# ## 1. The marginal $q(x_t\mid x_0)$
#
# Section 0's coefficients come out of Bayes's rule, (a); (b) recalls the second route of notebook 01; Appendix A
# checks the result against the Fokker–Planck equation. The clock from $t$ to $T$ is $c - u$.
#
# **(a) Bayes.** Notebook 01 built the bridge by conditioning the free OU process on $x_T = \mu$:
# $q(x_t\mid x_0) \propto p(x_t\mid x_0)\,h(x_t, t)$, with $h(x_t, t) = p(x_T = \mu\mid x_t)$. Both factors are the
# free OU kernel of notebook 01: from a value $y$, over a clock lag $\tau$, the free process is at
#
# $$\mathcal N\big(\mu + e^{-\tau}(y - \mu),\ \lambda\pi^2(1 - e^{-2\tau})\big).$$
#
# So $p(x_t\mid x_0)$ is the kernel from $y = x_0 = \mu + \pi$ over $\tau = u$, evaluated at $x_t$; and $h(x_t, t)$ is
# the kernel from $y = x_t$ over $\tau = c - u$, evaluated at $\mu$. Their logs, dropping the terms free of $x_t$ (for
# $\pi \neq 0$; at $\pi = 0$ the pixel stays at $\mu$ and has no density to compute):

# %%
tau = sp.Symbol("tau", positive=True)  # the lag c - u of h, displayed as one block: e^{-2(c - u)}
log_p = -(xt - mu - sp.exp(-u) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * u)) * pi ** 2)
log_h = -(sp.exp(-tau) * (xt - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * tau)) * pi ** 2)
lesson.up_to_const(r"\log p(x_t \mid x_0)", log_p)
lesson.up_to_const(r"\log h(x_t, t)", log_h, lag=(tau, c - u))
total = sp.expand(log_p + log_h.subs(tau, c - u))  # a quadratic in x_t

# %% [markdown]
# **Completing the square.** The sum is a quadratic in $x_t$. Write it as
# $-\frac{x_t^2}{2Q} + \frac{M}{Q}x_t + \mathrm{const}$: that is the log of a Gaussian with mean $M$ and variance $Q$
# (notebook 01's names; $Q$ is a variance, not the density $q$). So the precision $1/Q$ is minus twice the
# coefficient of $x_t^2$, and $M/Q$ is the coefficient of $x_t$.
#
# The precision: the two factors' precisions add. With $1 - e^{-2u} = 2e^{-u}\sinh u$ (and the same for $c - u$)
# they go over one denominator, and the numerator is $\sinh c$ (expand the $\sinh$ into exponentials). Then the
# coefficient of $x_t$, and $M$. The cell's code is folded: it pairs each displayed step with the SymPy expression
# it is asserted equal to.

# %% jupyter={"source_hidden": true}
# lesson.chain(lhs, SymPy's result, (step as displayed, step as SymPy), ...): displays lhs = step = step = ... and
# asserts that each step equals SymPy's result; subs= replaces the display symbol Q by SymPy's variance
precision = -2 * total.coeff(xt, 2)  # 1/Q
Q_shown = sp.Symbol("Q", positive=True)  # the variance Q as the steps display it
e2u, e2cu = 1 - sp.exp(-2 * u), 1 - sp.exp(-2 * (c - u))
denominator = 2 * lam * pi ** 2 * sp.sinh(u) * sp.sinh(c - u)
lesson.chain(r"\frac{1}{Q}", precision,
             (r"\frac{1}{\lambda\pi^2(1 - e^{-2u})} + \frac{e^{-2(c - u)}}{\lambda\pi^2(1 - e^{-2(c - u)})}",
              1 / (lam * pi ** 2 * e2u) + sp.exp(-2 * (c - u)) / (lam * pi ** 2 * e2cu)),
             (r"\frac{e^{u}\sinh(c - u) + e^{-(c - u)}\sinh u}{2\lambda\pi^2\sinh u\,\sinh(c - u)}",
              (sp.exp(u) * sp.sinh(c - u) + sp.exp(-(c - u)) * sp.sinh(u)) / denominator),
             (r"\frac{\sinh c}{2\lambda\pi^2\sinh u\,\sinh(c - u)}", sp.sinh(c) / denominator))
on_Q = {Q_shown: 1 / precision}
lesson.chain(r"\frac{M}{Q}", total.coeff(xt, 1),
             (r"\frac{\mu}{Q} + \frac{e^{-u}\pi}{\lambda\pi^2(1 - e^{-2u})}",
              mu / Q_shown + sp.exp(-u) * pi / (lam * pi ** 2 * e2u)),
             (r"\frac{\mu}{Q} + \frac{1}{2\lambda\pi\sinh u}", mu / Q_shown + 1 / (2 * lam * pi * sp.sinh(u))),
             subs=on_Q)
M_bayes, Q_bayes = total.coeff(xt, 1) / precision, 1 / precision
lesson.chain(r"M", M_bayes, (r"\mu + \frac{Q}{2\lambda\pi\sinh u}", mu + Q_shown / (2 * lam * pi * sp.sinh(u))),
             (r"\mu + \frac{\pi\sinh(c - u)}{\sinh c}", mu + pi * sp.sinh(c - u) / sp.sinh(c)), subs=on_Q)

# %% [markdown]
# The mean: each factor adds its precision times its centre to $M/Q$. The factor $h$ is centred on $\mu$, and $p$ on
# $\mu + e^{-u}\pi$; so $M/Q$ is $\mu$ times the total precision, $\mu/Q$, plus one term in $\pi$, and multiplying
# by $Q$ gives $M$. Bayes gives exactly section 0's coefficients, $M = \mu + \Theta_t\pi$ and
# $Q = \Sigma^2(u, c)\pi^2$:

# %%
lesson.zero_line(r"\frac{M - \mu}{\pi} - \frac{\sinh(c - u)}{\sinh c}", (M_bayes - mu) / pi - Theta(u, c))
lesson.zero_line(r"\frac{Q}{\pi^2} - \frac{2\lambda\sinh u\,\sinh(c - u)}{\sinh c}", Q_bayes / pi ** 2 - Sigma2(u, c))

# %% [markdown]
# **(b) The moment ODEs, a recap.** Exercises 01.1 and 01.2 reached the same coefficients by a second route: per unit
# clock the bridge's mean and variance obey $\frac{dM}{du} = \coth(c - u)(\mu - M)$ and
# $\frac{dQ}{du} = -2\coth(c - u)\,Q + 2\lambda\pi^2$, from $M = x_0$, $Q = 0$ at $u = 0$, and the integrating factor
# $1/\sinh(c - u)$ solves both (their worked solutions show the steps).

# %% [markdown]
# ## 2. The posterior $q(x_s\mid x_t, x_0)$
#
# Given the pixel's value $x_t$ at $t$ and its clean value $x_0$, where was it at an earlier time $s$? The bridge is
# Markov given $\pi$, so Bayes's rule gives $q(x_s\mid x_t, x_0) \propto q(x_s\mid x_0)\,q(x_t\mid x_s; \pi)$.
#
# Both factors come from notebook 01's h-transform:
#
# - the marginal: $q(x_s\mid x_0) \propto p(x_s\mid x_0)\,h(x_s, s)$;
# - the bridge's kernel: $q(x_t\mid x_s; \pi) = p(x_t\mid x_s)\,h(x_t, t)/h(x_s, s)$, which depends on $x_0$ only
#   through $\pi$, the scale of its noise.
#
# As a function of $x_s$, $h(x_t, t)$ is a constant, and the two $h(x_s, s)$ cancel:
#
# $$q(x_s\mid x_t, x_0) \propto p(x_s\mid x_0)\;p(x_t\mid x_s),$$
#
# two free OU densities. The end time $T$, where $h$ pinned the path, has dropped out. An ancestral sampler draws from
# this posterior.
#
# **The picture.** One pixel, $x_0 = 0.6$, $\mu = -0.2$ (so $|\pi| = 0.8$), $\lambda = 0.1$, observed at $t = t_{80}$
# at a value $x_t$ 1.5 standard deviations above its mean. For each earlier grid time $s = t_i$, $i = 0, \dots, 79$,
# the colour is the posterior density of $x_s$ divided by its column maximum, against the clock $\bar\theta_s$.
# Magenta: the posterior mean, solid, and mean $\pm 2$ std, dashed. White: the marginal $q(x_s\mid x_0)$, which does
# not know $x_t$; its mean dotted, mean $\pm 2$ std dashed. The circles are the pinned ends.

# %%
px0, pmu = torch.tensor([0.6], dtype=torch.float64), torch.tensor([-0.2], dtype=torch.float64)  # the pixel's x0, mu
t_obs = 80  # the grid index of t
px_t = rdbm.mean(px0, pmu, t_obs) + 1.5 * rdbm.std(px0, pmu, t_obs)  # 1.5 std above its mean
s_early = torch.arange(-1, t_obs)  # the grid indices of every earlier time s (the library's posterior needs s < t)
n = len(s_early)
x0s, mus = px0.expand(n), pmu.expand(n)
# rdbm.posterior(x_t, x0, mu, t, s) -> (mean, std) of q(x_s | x_t, x0), elementwise
post_mean, post_std = rdbm.posterior(px_t.expand(n), x0s, mus, torch.full_like(s_early, t_obs), s_early)
marg_mean, marg_std = rdbm.mean(x0s, mus, s_early), rdbm.std(x0s, mus, s_early)
fig = lesson.plot_posterior_map(rdbm, s_early, t_obs, post_mean, post_std, marg_mean, marg_std, px0, px_t)
plt.show()
low = int(post_mean.argmin())  # where the posterior mean is lowest
clock = rdbm.schedule.clock
print(f"x_t = {float(px_t):.4f} at clock {float(clock(t_obs)):.3f}; lowest posterior mean "
      f"{float(post_mean[low]):.3f}, at s = t_{int(s_early[low])} (clock {float(clock(s_early[low])):.3f})")

# %% [markdown]
# The posterior is pinned at both ends, at $x_0$ on the clean end and at $x_t$ at $t$, and it widens away from each;
# in between it is narrower than the marginal's band and shifted towards $x_t$.
#
# Its mean dips below $x_t$ = 0.2503, to 0.125 at $s = t_{69}$ (clock 1.567), before it rises to $x_t$. Both factors
# of the posterior are free OU densities, whose drift pulls every value towards $\mu = -0.2$, so between its two
# pinned ends the mean sags towards $\mu$.
#
# How fast does it narrow near $t$? The next cell prints the last six grid times before $t$, with the clock gap
# $b = \bar\theta_{s:t}$:

# %%
gap = clock(t_obs) - clock(s_early[-6:])  # b = thbar_{s:t}
ratio = post_std[-6:] ** 2 / gap
print("s       clock gap b   posterior std   std^2 / b")
for i, b_, sd_, r_ in zip(s_early[-6:].tolist(), gap.tolist(), post_std[-6:].tolist(), ratio.tolist()):
    print(f"t_{i}   {b_:11.3f}   {sd_:13.3f}   {r_:9.3f}")
m79, sd79, msd79, xt_value = float(post_mean[-1]), float(post_std[-1]), float(marg_std[-1]), float(px_t)
print(f"\nAt s = t_79: posterior mean {m79:.4f}, x_t = {xt_value:.4f} (difference {m79 - xt_value:.4f});\n"
      f"posterior std {sd79:.3f}, marginal std {msd79:.3f} (ratio {sd79 / msd79:.2f})")

# %% [markdown]
# The posterior's standard deviation shrinks with the clock gap: over these six times $\mathrm{std}^2/b$ rises
# steadily, from 0.079 at $s = t_{74}$ to 0.116 at $s = t_{79}$, while $b \to 0$ (section 3 computes its limit, after
# the exercises). At $s = t_{79}$, one grid step before $t$, the posterior std is 0.105, 0.42 times the marginal's
# 0.252, and the posterior mean, 0.2228, is 0.0275 below $x_t = 0.2503$: knowing $x_t$ narrows the posterior and
# pulls it to $x_t$.

# %% [markdown]
# ## Exercises 02a.1 and 02a.2
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/02a_marginal_and_posterior_solutions.ipynb`. **Do both before you read on:**
# section 3 derives the posterior in closed form, and its displays are answers to 02a.1.
#
# **02a.1 (derive, graded on your steps).** The posterior is
# $q(x_s\mid x_t, x_0) = \mathcal N\big(\mu + P\pi + K(x_t - \mu),\ V\pi^2\big)$: the coefficients $P$ and $K$ depend
# on the clock only, $V$ on the clock and $\lambda$. With $a = \bar\theta_s$ and $b = \bar\theta_{s:t}$, start from
# section 2's $q(x_s\mid x_t, x_0) \propto p(x_s\mid x_0)\,p(x_t\mid x_s)$, two free OU kernels: from $y$ over a
# clock lag $\tau$, $\mathcal N\big(\mu + e^{-\tau}(y - \mu),\ \lambda\pi^2(1 - e^{-2\tau})\big)$ (section 1(a)).
#
# *Hint.* The variance repeats section 1(a): a kernel from $x_0$ over $u$ times a kernel from the unknown over
# $c - u$ there; over $a$ and $b$ here. So the precision and $V$ are section 1(a)'s $1/Q$ and $Q/\pi^2$ with
# $u \to a$, $c - u \to b$. The new work is the mean: its weight $K$ of the observation $x_t$ ($P$ comes in section 3).
#
# Hand in a `dict` of five SymPy expressions, in the symbols imported at the top: `x` for $x_s$, `xt` for $x_t$,
# `mu` for $\mu$, `pi` for the residual $\pi$ (not `sympy.pi`), `a`, `b` and `lam` for $\lambda$:
#
# - `"log_prior"`: $\log p(x_s = x\mid x_0)$; terms free of $x$ may be dropped;
# - `"log_kernel"`: $\log p(x_t\mid x_s = x)$; terms free of $x$ may be dropped;
# - `"precision"`: minus the second $x$-derivative of `log_prior + log_kernel`: an expression in `a`, `b`, `lam`
#   and `pi` (any equivalent form is accepted);
# - `"V"`: the posterior variance per unit $\pi^2$: an expression in `a`, `b` and `lam`;
# - `"K"`: the coefficient of $x_t$ in the posterior mean (the mean is where the $x$-derivative of
#   `log_prior + log_kernel` vanishes; $K$ is its derivative in $x_t$): an expression in `a` and `b`.
#
# A final formula alone is refused: the checker grades the steps.

# %%
from rdbm_course.exercises import check

answer_02a_1 = ...  # {"log_prior": ..., "log_kernel": ..., "precision": ..., "V": ..., "K": ...}
check("02a.1", answer_02a_1)

# %% [markdown]
# **02a.2 (predict, then check).** An ancestral sampler draws in two stages. Take the pixel of section 2's picture
# ($x_0 = 0.6$, $\mu = -0.2$, $\lambda = 0.1$) and two grid times, $s = t_{75} < t = t_{80}$. First draw $x_t$ from
# the marginal $q(x_t\mid x_0)$; then draw $x_s$ from the posterior $q(x_s\mid x_t, x_0)$ with that $x_t$. Repeat
# many times. How does the standard deviation of the $x_s$ drawn compare with the standard deviation $\Sigma_s|\pi|$
# of the marginal $q(x_s\mid x_0)$?
#
# - (i) smaller: each posterior is narrower than the marginal (the picture), so their mixture is too;
# - (ii) equal: the $x_s$ drawn are distributed as the marginal $q(x_s\mid x_0)$;
# - (iii) larger: the randomness of $x_t$ and the randomness of the posterior add up.
#
# Answer with the numeral as a string; the checker computes the spread from the library's posterior.

# %%
answer_02a_2 = ...  # "i", "ii" or "iii"
check("02a.2", answer_02a_2)

# %% [markdown]
# *Then verify it (optional).* With `n = 10_000`, `x0 = torch.full((n,), 0.6, dtype=torch.float64)`,
# `mu_ = torch.full((n,), -0.2, dtype=torch.float64)` and the grid indices `t, s = torch.tensor(80), torch.tensor(75)`:
#
# - `x_t = rdbm.sample(x0, mu_, t)` draws $n$ values of $x_t$ (shape `(n,)`);
# - `mean, std = rdbm.posterior(x_t, x0, mu_, t, s)` gives each one's posterior (shapes `(n,)`);
# - `x_s = mean + std * torch.randn(n, dtype=torch.float64)` draws one $x_s$ for each.
#
# Compare `x_s.std()` with `rdbm.std(x0[:1], mu_[:1], s)`; the standard error of a sample std from $n$ draws is about
# $1/\sqrt{2n}$ of it (0.7 % here). (`mu_`, because `mu` is the SymPy symbol.)

# %%
# your simulation of 02a.2 (optional)

# %% [markdown]
# ## 3. The posterior in closed form
#
# Write $d = \bar\theta_{t:T}$ for the clock from $t$ to $T$, so that the clock is $a$ at $s$, $a + b$ at $t$ and
# $a + b + d$ at $T$. SymPy computes section 2's posterior on the bridge's own route (exercise 02a.1 took the shorter
# one, with the $h$'s cancelled by hand):
#
# - **the route:** the log of the bridge marginal at $s$, plus the log of the free kernel $p(x_t\mid x_s)$ over $b$,
#   minus $\log h(x_s, s)$, the free kernel from $x_s$ to $\mu$ over $b + d$ (displayed below, terms free of $x_s$
#   dropped);
# - **the quadratic:** the sum, $\log q(x_s\mid x_t, x_0)$ up to a constant, is a quadratic in $x_s$; its
#   $x_s$-derivative is linear and vanishes at the posterior mean, and minus its slope is the precision;
# - **the coefficients:** the mean is affine in $\pi$ and in $x_t - \mu$; its two coefficients are read off as
#   derivatives, and displayed in $A = e^a$ and $B = e^b$.

# %%
c_T = a + b + d  # the clock at T
log_marg = -(x - bridge_mean(a, c_T)) ** 2 / (2 * Sigma2(a, c_T) * pi ** 2)  # mean mu + Theta pi, variance Sigma^2 pi^2
log_kernel = -(xt - mu - sp.exp(-b) * (x - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * b)) * pi ** 2)
log_h_s = -(sp.exp(-tau) * (x - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * tau)) * pi ** 2)  # tau = b + d here
lesson.up_to_const(r"\log q(x_s \mid x_0)", log_marg)
lesson.up_to_const(r"\log p(x_t \mid x_s)", log_kernel)
lesson.up_to_const(r"\log h(x_s, s)", log_h_s, lag=(tau, b + d))
log_post = log_marg + log_kernel - log_h_s.subs(tau, b + d)
slope = sp.expand(sp.diff(log_post, x))  # linear in x: (coefficient of x) x + (constant)
post_mean_bayes = -slope.coeff(x, 0) / slope.coeff(x, 1)  # where the slope vanishes
post_var_bayes = -1 / slope.coeff(x, 1)  # one over the precision
P_bayes, K_bayes = sp.diff(post_mean_bayes, pi), sp.diff(post_mean_bayes, xt)
lesson.chain(r"P = \partial_\pi\,\mathrm{mean}", P_bayes, sp.sinh(b) / sp.sinh(a + b), as_fraction=True)
lesson.chain(r"K = \partial_{x_t}\mathrm{mean}", K_bayes, sp.sinh(a) / sp.sinh(a + b), as_fraction=True)
lesson.zero_line(r"\mathrm{mean} - \big(\mu + P\pi + K(x_t - \mu)\big)",
                 post_mean_bayes - (mu + P_bayes * pi + K_bayes * (xt - mu)))

# %% [markdown]
# So the mean is $\mu + P\pi + K(x_t - \mu)$ with $P = \sinh b/\sinh(a + b)$ and $K = \sinh a/\sinh(a + b)$, and $d$
# has dropped out, as section 2 said it must. At its endpoints the mean reaches $x_t$ as $s \to t$ ($b \to 0$) and
# $x_0 = \mu + \pi$ at the clean end ($a \to 0$):

# %%
claimed_mean = mu + sp.sinh(b) / sp.sinh(a + b) * pi + sp.sinh(a) / sp.sinh(a + b) * (xt - mu)
limit(claimed_mean, b, 0, xt, lhs=r"\lim_{b \to 0}\big(\mu + P\pi + K(x_t - \mu)\big)")
limit(claimed_mean, a, 0, mu + pi, lhs=r"\lim_{a \to 0}\big(\mu + P\pi + K(x_t - \mu)\big)")

# %% [markdown]
# **The variance.** From the same quadratic, per unit $\pi^2$:

# %%
V_sinh = 2 * lam * sp.sinh(a) * sp.sinh(b) / sp.sinh(a + b)
lesson.chain(r"V", post_var_bayes / pi ** 2, V_sinh, as_fraction=True)
lesson.zero_line(r"V - \Sigma^2(a,\ a + b)", V_sinh - Sigma2(a, a + b))
limit(V_sinh / b, b, 0, 2 * lam, lhs=r"\lim_{b \to 0}\frac{V}{b}")
std2_slope = 2 * rdbm.lam * float(px0 - pmu) ** 2  # 2 lam pi^2 for section 2's pixel
print(f"2 lam pi^2 = {std2_slope:.3f}; std^2 / b printed in section 2: {float(ratio[0]):.3f} at s = t_74 to "
      f"{float(ratio[-1]):.3f} at s = t_79")

# %% [markdown]
# As $b \to 0$, $V/b \to 2\lambda$, so $\mathrm{std}^2/b = V\pi^2/b \to 2\lambda\pi^2$: for the pixel of section 2
# that is 0.128, the value its printed ratios (0.079 at $s = t_{74}$ to 0.116 at $s = t_{79}$) rise towards. Like the
# marginal's, the posterior's variance is proportional to $\lambda$.
#
# **What the posterior is.** Started at $x_0$, the free OU process makes $(x_s, x_t)$ a Gaussian pair:
# $E[x_s] = \mu + e^{-a}\pi$, $E[x_t] = \mu + e^{-(a + b)}\pi$, $\mathrm{Var}\,x_s = \lambda\pi^2(1 - e^{-2a})$,
# $\mathrm{Var}\,x_t = \lambda\pi^2(1 - e^{-2(a + b)})$ and, since $x_t = \mu + e^{-b}(x_s - \mu)$ plus noise
# independent of $x_s$, $\mathrm{Cov}(x_s, x_t) = e^{-b}\,\mathrm{Var}\,x_s$.
# Conditioning that pair on $x_t$ is, by definition, the **OU bridge from $x_0$ to $x_t$**; the Gaussian
# conditioning formulas give its mean and variance, and the posterior's equal them:

# %%
E_s, E_t = mu + sp.exp(-a) * pi, mu + sp.exp(-(a + b)) * pi
var_s, var_t = lam * pi ** 2 * (1 - sp.exp(-2 * a)), lam * pi ** 2 * (1 - sp.exp(-2 * (a + b)))
cov = sp.exp(-b) * var_s
lesson.zero_line(r"\mathrm{mean} - \Big(E[x_s] + \tfrac{\mathrm{Cov}(x_s, x_t)}{\mathrm{Var}\,x_t}(x_t - E[x_t])\Big)",
                 post_mean_bayes - (E_s + cov / var_t * (xt - E_t)))
lesson.zero_line(r"V\pi^2 - \Big(\mathrm{Var}\,x_s - \tfrac{\mathrm{Cov}(x_s, x_t)^2}{\mathrm{Var}\,x_t}\Big)",
                 post_var_bayes - (var_s - cov ** 2 / var_t))

# %% [markdown]
# So the posterior is the OU bridge from $x_0$ at clock 0 to $x_t$ at clock $a + b$, and it knows nothing of the
# path after $t$. Its variance is $\Sigma^2(a, a + b)\pi^2$: the variance at clock $a$ of a bridge whose whole clock is
# $a + b$.

# %% [markdown]
# ## Summary
#
# > With the clock $u = \bar\theta_t$, $c = \bar\theta_T$, for $s < t$ the increments $a = \bar\theta_s$,
# > $b = \bar\theta_{s:t}$, and the noise factor $\nu$ ($\pi$ for RDBM, 1 for global noise):
# >
# > - **Marginal:** $q(x_t\mid x_0) = \mathcal N\big(\mu + \Theta_t\pi,\ \Sigma_t^2\nu^2\big)$ with
# >   $\Theta_t = \dfrac{\sinh(c - u)}{\sinh c}$ and
# >   $\Sigma_t^2 = \Sigma^2(u, c) = \dfrac{2\lambda\sinh u\,\sinh(c - u)}{\sinh c}$.
# > - **Posterior:** $q(x_s\mid x_t, x_0) = \mathcal N\big(\mu + P\pi + K(x_t - \mu),\ V\nu^2\big)$ with
# >   $P = \dfrac{\sinh b}{\sinh(a + b)}$, $K = \dfrac{\sinh a}{\sinh(a + b)}$ and
# >   $V = \Sigma^2(a, a + b) = \dfrac{2\lambda\sinh a\,\sinh b}{\sinh(a + b)}$.
# >
# > Used next: (1) the marginal is Gaussian with these coefficients at every $t$, and notebook 02b builds the reverse
# > SDE and the probability-flow ODE from it; (2) the posterior is the OU bridge from $x_0$ to $x_t$ and does not
# > depend on $\bar\theta_T$, and the stochastic step of notebook 02c draws from it, with $x_0$ replaced by a
# > prediction.

# %% [markdown]
# ## Checks
#
# The cell below asserts every number that the text quotes from an output above. The course's tests run this
# notebook (with `nbval`) and fail if one of these asserts fails; a reader may skip it.

# %% jupyter={"source_hidden": true}
# section 0: the grid table and the ratio of the two noise levels
assert rows[-1][:2] == (0.0, 0.0) and rows[99][1] == 0  # the clean end; Sigma_t = 0 at T
assert peak == 91 and abs(rows[91][0] - 3.975) < 0.0005 and abs(rows[91][1] - 0.316) < 0.0005
assert abs(rows[99][0] - 7.879) < 0.0005 and abs(rows[98][0] - 6.880) < 0.0005
assert abs(rows[99][0] - rows[98][0] - 0.999) < 0.0005 and abs(rows[98][2] - 0.93) < 0.005
assert torch.allclose(paper_ratio, torch.full_like(paper_ratio, (1e-4 / LAM) ** 0.5), rtol=1e-9)
assert abs((1e-4 / LAM) ** 0.5 - 0.0316) < 0.00005
# section 2: the picture's pinned ends and its lowest mean
assert float(post_std[0]) == 0 and torch.allclose(post_mean[0], px0) and int(s_early[-1]) == 79
assert abs(float(post_mean[low]) - 0.125) < 0.0005 and int(s_early[low]) == 69 and float(post_mean[low]) < xt_value
assert abs(float(clock(s_early[low])) - 1.567) < 0.0005
# section 2: the last six grid times before t
assert bool((post_std[-6:].diff() < 0).all()) and bool((gap.diff() < 0).all())  # both shrink as s -> t
assert bool((ratio.diff() > 0).all())  # std^2 / b rises steadily as s -> t
assert abs(float(ratio[0]) - 0.079) < 0.0005 and abs(float(ratio[-1]) - 0.116) < 0.0005
assert abs(m79 - 0.2228) < 0.00005 and abs(xt_value - 0.2503) < 0.00005 and abs(m79 - xt_value + 0.0275) < 0.00005
assert abs(sd79 - 0.105) < 0.0005 and abs(msd79 - 0.252) < 0.0005 and abs(sd79 / msd79 - 0.42) < 0.005
# section 3: the limit 2 lam pi^2 of std^2 / b, above every printed ratio
assert abs(std2_slope - 0.128) < 1e-12 and float(ratio.max()) < std2_slope and rdbm.lam == 0.1

# %% [markdown]
# ## Appendix A. A check of the marginal: boundary values and the Fokker–Planck equation
#
# This is a check, not a third derivation. At the clean end $\Theta = 1$, $\Sigma = 0$; at $T$ both vanish, also as
# limits. And the Gaussian density solves the bridge's Fokker–Planck equation, per unit clock
#
# $$\partial_u q = -\partial_{x_t}(f q) + \lambda\pi^2\,\partial_{x_t}^2 q,\qquad f = \coth(c - u)(\mu - x_t),$$
#
# with $f$ the bridge's drift per unit clock (notebook 01) and $\lambda\pi^2$ its diffusion per unit clock.
#
# Divided by $q$, with $L = \log q$ and primes for derivatives in $x_t$, it reads
# $\partial_u L + f' + f L' - \lambda\pi^2(L'' + L'^2) = 0$. The left side is a quadratic in $x_t$. Collected by
# powers of $x_t - M$, each coefficient has two or three terms, each labelled by the part it comes from:
#
# - the terms of $(x_t - M)$ cancel, since $1/\tanh = \coth$;
# - those of $1$ and of $(x_t - M)^2$, over a common denominator, cancel by the product-to-sum identity
#   $2\cosh(c - u)\sinh u = \sinh c - \sinh(c - 2u)$, shown first.
#
# The code is `lesson.fokker_planck_check`.

# %%
lesson.fokker_planck_check()
