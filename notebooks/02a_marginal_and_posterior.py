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
# The **marginal** $q(x_t\mid x_0)$ says where a pixel of the residual bridge is at time $t$, given its clean value
# $x_0$; the **posterior** $q(x_s\mid x_t, x_0)$ says where it was at an earlier time $s$, given also where it is at
# $t$. A sampler runs the bridge backwards from the degraded image, so it needs both: notebook 02b builds its reverse
# dynamics from the marginal, and the ancestral step of notebook 02c draws from the posterior.
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

from derivations.common import a, b, c, d, gaussian_log, lam, mu, pi, theta, u, x, xt
from derivations.family import Sigma2, Theta, bridge_drift, bridge_mean
from rdbm_core.bridge import bridges, schedules
from rdbm_course import marginal_lesson as lesson
from rdbm_course.mathshow import latex, limit, positive_terms_first, show, vanishes

# SymPy symbols of `derivations.common`: the clock values u = thbar_t and c = thbar_T; for three times s < t < T
# the positive increments a = thbar_s, b = thbar_{s:t}, d = thbar_{t:T}. The package names them thetabar_t, ...;
# `lesson.short` renames them u, c, a, b, d in the displays. `xt` is x_t; `x` is x_s (displayed as x_s).
# `lesson.chain(lhs, derived, form1, form2, ...)` displays lhs = form1 = form2 = ... and asserts that each form
# equals SymPy's `derived`; `lesson.zero_line(lhs, expr)` displays lhs = 0 and asserts it.
LAM = 0.1  # lambda, the noise level of both figures
positive_terms_first()  # displays write x_t - mu, not SymPy's -mu + x_t

# %% [markdown]
# ## 0. The picture first: what the residual bridge does to each pixel
#
# Every pixel of the bridge at time $t$ is
#
# $$x_t = \mu + \Theta_t\,\pi + \Sigma_t\,\nu\,\epsilon,\qquad \epsilon \sim \mathcal N(0, 1),$$
#
# with its clean value $x_0$, its degraded value $\mu$ and the residual $\pi = x_0 - \mu$. The coefficient $\Theta_t$
# falls from 1 at the clean end to 0 at $T$, so the mean moves from $x_0$ to $\mu$; $\Sigma_t$ is 0 at both ends.
# The **noise factor** $\nu$ is where bridges differ. RDBM takes $\nu = \pi$: a pixel's standard deviation is
# $\Sigma_t|\pi|$, and an intact pixel ($\pi = 0$) gets no noise. A bridge with global noise takes $\nu = 1$: every
# pixel gets $\Sigma_t$.
#
# The figure draws $\Theta_t$ and $\Sigma_t$ against the clock $u = \bar\theta_t$, with $\lambda = 0.1$ (the noise
# level of both figures of this notebook): the lines at every clock value, the dots at the times of notebook 01's
# reference grid (index $-1$ is the clean end, at clock 0; index 99 is $T$). The top axis labels some grid indices.

# %%
rdbm = bridges.rdbm(lam=LAM)  # the reference grid of notebook 01
same_clock = bridges.ou_bridge(schedules.continuous_constant(rdbm.schedule.u_T, 1.0), LAM)  # same thbar_T, any clock
fig = lesson.plot_coefficients(rdbm, same_clock, residuals=(0.5, 0.1, 0.0))
plt.show()
ts = rdbm.schedule.times()
u_ts = rdbm.schedule.clock(ts)
Th, _, Sg = rdbm.coefficients(ts)
drop = float(Sg[-2] / Sg.max())
print(f"clock at index 98: {float(u_ts[-2]):.3f}; at index 99 (T): {float(u_ts[-1]):.3f} (the last step: "
      f"{float(u_ts[-1] - u_ts[-2]):.3f}); Sigma_t / max Sigma_t at index 98: {drop:.2f}; "
      f"largest Sigma_t: {float(Sg.max()):.3f}, at index {int(ts[Sg.argmax()])} (clock {float(u_ts[Sg.argmax()]):.3f}; "
      f"half of T's clock: {float(u_ts[-1]) / 2:.3f})")
paper_ratio = bridges.rdbm(lam=1e-4).coefficients(ts)[2][1:-1] / Sg[1:-1]  # Sigma_t = 0 at both ends
print(f"Sigma_t at lambda = 1e-4 / at lambda = {LAM}, indices 0 to 98: from {float(paper_ratio.min()):.4f} to "
      f"{float(paper_ratio.max()):.4f} (sqrt(1e-4 / {LAM}) = {(1e-4 / LAM) ** 0.5:.4f})")

# %% [markdown]
# **Left.** Against the clock both coefficients are smooth: $\Theta_t$ falls from 1 to 0, and $\Sigma_t$ rises from 0
# to its largest value, 0.316 at index 91 (clock 3.975, near half of $T$'s clock, 3.939), then returns to 0. The
# grid's dots are dense at small clock values and sparse near $T$. Its last step, from index 98 (clock 6.880) to
# index 99 (clock 7.879), is 0.999 of clock long, and over it $\Sigma_t$ falls from 0.93 of its largest value to 0:
# drawn against the grid index, that fall would look like a vertical drop; on the clock it is one long step.
#
# **Right.** The per-pixel standard deviation. Under global noise every pixel gets the dashed curve. Under RDBM a
# pixel gets the same curve scaled by its $|\pi|$ (at $|\pi| = 1$ it is the dashed curve), so a slightly degraded
# pixel gets little noise and an intact one (green, $\pi = 0$) none at any time.
#
# **The noise level $\lambda$.** Every standard deviation here is proportional to $\sqrt\lambda$, and the means do
# not involve $\lambda$. The paper takes $\lambda = 10^{-4}$: its curves are these multiplied by
# $\sqrt{10^{-4}/0.1} = 0.0316$ (printed: the ratio is 0.0316 at every grid time). $\lambda = 0.1$ only makes the
# noise visible.
#
# This notebook derives $\Theta_t$ and $\Sigma_t$ (section 1), then the posterior a sampler needs to step backwards
# in time (sections 2 and 3).
#
# *Checks of section 0* (they pin the numbers quoted above to the outputs; nbval runs them; skip on a first reading):

# %%
assert int(ts[0]) == -1 and float(u_ts[0]) == 0 and float(Sg[0]) == 0  # the clean end
assert int(ts[-1]) == 99 and float(Sg[-1]) == 0 and abs(float(u_ts[-1]) - 7.879) < 0.0005  # T
assert abs(float(u_ts[-2]) - 6.880) < 0.0005 and abs(float(u_ts[-1] - u_ts[-2]) - 0.999) < 0.0005
assert abs(drop - 0.93) < 0.005 and abs(float(Sg.max()) - 0.316) < 0.0005 and int(ts[Sg.argmax()]) == 91
assert abs(float(u_ts[Sg.argmax()]) - 3.975) < 0.0005 and abs(float(u_ts[-1]) / 2 - 3.939) < 0.0005
assert torch.allclose(paper_ratio, torch.full_like(paper_ratio, (1e-4 / LAM) ** 0.5), rtol=1e-9)
assert abs((1e-4 / LAM) ** 0.5 - 0.0316) < 0.00005

# %% [markdown]
# ## 1. The marginal $q(x_t\mid x_0)$: two derivations
#
# Write $u = \bar\theta_t$ for the clock at $t$ and $c = \bar\theta_T$ for the clock at $T$ (so $\bar\theta_{t:T} =
# c - u$). The closed form of the marginal comes out of two independent computations: **(a)** Bayes's rule, a
# product of two Gaussians in $x_t$ completed to a square; **(b)** the ordinary differential equations (ODEs) of the
# mean and the variance, solved by integrating factors. Appendix A checks the result against the Fokker–Planck
# equation.
#
# **(a) Bayes.** Notebook 01 built the bridge by conditioning the free OU process on $x_T = \mu$:
# $q(x_t\mid x_0) \propto p(x_t\mid x_0)\,h(x_t, t)$, with $h(x_t, t) = p(x_T = \mu\mid x_t)$. Both factors are the
# free OU kernel of notebook 01: from a value $y$, over a clock lag $\tau$, the free process is at
#
# $$\mathcal N\big(\mu + e^{-\tau}(y - \mu),\ \lambda\pi^2(1 - e^{-2\tau})\big).$$
#
# So $p(x_t\mid x_0)$ is the kernel from $y = x_0 = \mu + \pi$ over $\tau = u$, evaluated at $x_t$; and $h(x_t, t)$ is
# the kernel from $y = x_t$ over $\tau = c - u$, evaluated at $\mu$. Their logs, dropping the terms free of $x_t$
# (written $+\,\mathrm{const}$):

# %%
log_p = -(xt - mu - sp.exp(-u) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * u)) * pi ** 2)
log_h = -(sp.exp(-(c - u)) * (xt - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * (c - u))) * pi ** 2)
show(r"\log p(x_t \mid x_0)", latex(lesson.short(log_p)) + r" + \mathrm{const}")
show(r"\log h(x_t, t)", latex(lesson.short(log_h)) + r" + \mathrm{const}")
total = sp.expand(log_p + log_h)  # a quadratic in x_t

# %% [markdown]
# **Completing the square.** The sum is a quadratic in $x_t$. Write it as
# $-\frac{x_t^2}{2Q} + \frac{M}{Q}x_t + \mathrm{const}$: that is the log of a Gaussian with mean $M$ and variance $Q$
# (notebook 01's names; $Q$ is a variance, not the density $q$). So the precision $1/Q$ is minus twice the
# coefficient of $x_t^2$, and $M/Q$ is the coefficient of $x_t$. The cell displays each step by hand and checks it
# against the coefficients SymPy reads off.
#
# The precision: the two factors' precisions add. With $1 - e^{-2u} = 2e^{-u}\sinh u$ (and the same for $c - u$)
# they go over one denominator, and the numerator is $\sinh c$ (expand the $\sinh$ into exponentials). Then the
# coefficient of $x_t$, and $M$:

# %%
Q_shown = sp.Symbol("Q", positive=True)  # the variance Q as the steps below display it
precision = -2 * total.coeff(xt, 2)  # 1/Q
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
# by $Q$ gives $M$. Exercises 01.1 and 01.2 found the bridge's coefficients $\Theta_t = \sinh(c - u)/\sinh c$ and
# $\Sigma_t^2 = 2\lambda\sinh u\,\sinh(c - u)/\sinh c$, with $M = \mu + \Theta_t\pi$ and $Q = \Sigma_t^2\pi^2$.
# Bayes gives exactly these:

# %%
lesson.zero_line(r"\frac{M - \mu}{\pi} - \frac{\sinh(c - u)}{\sinh c}", (M_bayes - mu) / pi - Theta(u, c))
lesson.zero_line(r"\frac{Q}{\pi^2} - \frac{2\lambda\sinh u\,\sinh(c - u)}{\sinh c}", Q_bayes / pi ** 2 - Sigma2(u, c))

# %% [markdown]
# **(b) Moment ODEs.** In time, the bridge SDE of notebook 01 is $dx_t = \theta_t f(x_t)\,dt + g_t\,dw_t$, with the
# drift per unit clock $f(x_t) = \coth(c - u)(\mu - x_t)$ and the squared diffusion per unit time
# $g_t^2 = 2\lambda\theta_t\pi^2$. Itô's formula on $x_t$ and on $x_t^2$, averaged (the $dw_t$ terms have mean 0),
# gives $\frac{dM}{dt} = \theta_t E[f(x_t)]$ and $\frac{d}{dt}E[x_t^2] = 2\theta_t E[x_t f(x_t)] + g_t^2$; and
# $Q = E[x_t^2] - M^2$. The drift is affine: $f(x_t) = f(M) + f'\,(x_t - M)$ with $f' = -\coth(c - u)$ free of $x_t$.
# Averaged, that gives two rules, $E[f(x_t)] = f(M)$ and $E[x_t f(x_t)] = M f(M) + f' Q$ (as
# $E[x_t(x_t - M)] = Q$). The cell builds the ODEs from the drift with these two rules:

# %%
f = bridge_drift(u, c, xt)  # coth(c - u) (mu - x_t)
f_prime = sp.diff(f, xt)  # free of x_t: the drift is affine
M, Q = sp.symbols("M Q", real=True)
g2_t = 2 * lam * theta * pi ** 2
dM = theta * f.subs(xt, M)  # rule 1: E[f(x_t)] = f(M)
dE2 = 2 * theta * (M * f.subs(xt, M) + f_prime * Q) + g2_t  # rule 2: E[x_t f(x_t)] = M f(M) + f' Q
dQ = sp.expand(dE2 - 2 * M * dM)
show(r"f'", lesson.short(f_prime))
show(r"\frac{dM}{dt}", r"\theta_t f(M)", lesson.short(dM))
show(r"\frac{dQ}{dt}", r"\frac{d}{dt}E[x_t^2] - 2M\frac{dM}{dt}",
     r"2\theta_t\big(M f(M) + f' Q\big) + g_t^2 - 2M\theta_t f(M)", r"2\theta_t f' Q + g_t^2",
     lesson.short(sp.collect(dQ, theta)))
assert sp.expand(dQ - (2 * theta * f_prime * Q + g2_t)) == 0

# %% [markdown]
# Per unit clock ($du = \theta_t\,dt$, so divide by $\theta_t$) these are two linear first-order ODEs,
# $\frac{dM}{du} = \coth(c - u)(\mu - M)$ and $\frac{dQ}{du} = -2\coth(c - u)\,Q + 2\lambda\pi^2$, with the initial
# values $M = x_0 = \mu + \pi$ and $Q = 0$ at the clean end ($u = 0$). Integrating factors solve them, as in
# exercises 01.1 and 01.2:
#
# - the mean: with $I = 1/\sinh(c - u)$, $\frac{d}{du}\big(I\,(M - \mu)\big) = 0$, so $I\,(M - \mu)$ keeps its value
#   $\pi/\sinh c$ at $u = 0$;
# - the variance: $\frac{d}{du}\big(I^2 Q\big) = 2\lambda\pi^2 I^2$. An antiderivative of $1/\sinh^2(c - u)$ in $u$ is
#   $\coth(c - u)$, so integrating from $u = 0$ (where $Q = 0$) gives
#   $Q = 2\lambda\pi^2\sinh^2(c - u)\big(\coth(c - u) - \coth c\big)$.
#
# The cell checks each step, then compares the solution with $\Theta_t$ and $\Sigma_t^2$:

# %%
dM_du, dQ_du = sp.expand(dM / theta), sp.expand(dQ / theta)  # du = theta dt
I = 1 / sp.sinh(c - u)
vanishes(r"\frac{d}{du}\Big(\frac{M - \mu}{\sinh(c - u)}\Big)", lesson.short(sp.diff(I, u) * (M - mu) + I * dM_du),
         gens=lesson.SHORT_EXP)
M_sol = mu + (pi * I.subs(u, 0)) / I  # I (M - mu) = its value at u = 0
show(r"M", lesson.short(M_sol))
vanishes(r"\frac{d}{du}\Big(\frac{Q}{\sinh^2(c - u)}\Big) - \frac{2\lambda\pi^2}{\sinh^2(c - u)}",
         lesson.short(sp.diff(I ** 2, u) * Q + I ** 2 * dQ_du - 2 * lam * pi ** 2 * I ** 2), gens=lesson.SHORT_EXP)
vanishes(r"\frac{d}{du}\coth(c - u) - \frac{1}{\sinh^2(c - u)}", lesson.short(sp.diff(sp.coth(c - u), u) - I ** 2),
         gens=lesson.SHORT_EXP)
Q_sol = 2 * lam * pi ** 2 * (sp.coth(c - u) - sp.coth(c)) / I ** 2  # Q = 0 at u = 0
show(r"Q", lesson.short(Q_sol))
assert M_sol.subs(u, 0) == mu + pi and Q_sol.subs(u, 0) == 0
lesson.zero_line(r"\frac{M - \mu}{\pi} - \Theta_t", (M_sol - mu) / pi - Theta(u, c))
lesson.zero_line(r"\frac{Q}{\pi^2} - \Sigma_t^2", Q_sol / pi ** 2 - Sigma2(u, c))

# %% [markdown]
# Two routes, the same coefficients: the marginal is $q(x_t\mid x_0) = \mathcal N(\mu + \Theta_t\pi,\ \Sigma_t^2\pi^2)$
# with $\Theta_t = \sinh(c - u)/\sinh c$ and $\Sigma_t^2 = 2\lambda\sinh u\,\sinh(c - u)/\sinh c$.
#
# ## 2. The posterior $q(x_s\mid x_t, x_0)$
#
# Given where the pixel is at $t$ ($x_t$) and its clean value ($x_0$), where was it at an earlier time $s$? Because
# the bridge is Markov given $\pi$, Bayes's rule gives
# $q(x_s\mid x_t, x_0) \propto q(x_s\mid x_0)\,q(x_t\mid x_s; \pi)$. Both factors come from the h-transform of notebook
# 01: the marginal is $q(x_s\mid x_0) \propto p(x_s\mid x_0)\,h(x_s, s)$, and the bridge's kernel is
# $q(x_t\mid x_s; \pi) = p(x_t\mid x_s)\,h(x_t, t)/h(x_s, s)$ (it depends on $x_0$ only through $\pi$, the scale of
# the noise). As a function of $x_s$, $h(x_t, t)$ is a constant, and the two $h(x_s, s)$ cancel:
#
# $$q(x_s\mid x_t, x_0) \propto p(x_s\mid x_0)\;p(x_t\mid x_s),$$
#
# two free OU densities. The end time $T$, where $h$ pinned the path, has dropped out. This posterior is what an
# ancestral sampler draws from.
#
# **The picture.** One degraded pixel on the reference grid, with $\lambda = 0.1$ as in section 0: $x_0 = 0.6$,
# $\mu = -0.2$ (so $|\pi| = 0.8$), observed at $t = 80$ at a value $x_t$ 1.5 standard deviations above its mean. The
# colour is the posterior density of $x_s$ at every earlier grid time $s$, divided by its maximum in each column. The
# magenta line is the posterior mean; the white lines are the marginal $q(x_s\mid x_0)$, which does not know $x_t$:
# its mean dotted, its mean $\pm 2$ standard deviations dashed.

# %%
post_path = rdbm
px0, pmu, t_obs = torch.tensor([0.6], dtype=torch.float64), torch.tensor([-0.2], dtype=torch.float64), 80
px_t = post_path.mean(px0, pmu, t_obs) + 1.5 * post_path.std(px0, pmu, t_obs)  # 1.5 std above its mean
s_early = torch.arange(-1, t_obs)  # every grid time before t (the library's posterior needs s < t)
x0s, mus, n = px0.expand(len(s_early)), pmu.expand(len(s_early)), len(s_early)
post_mean, post_std = post_path.posterior(px_t.expand(n), x0s, mus, torch.full_like(s_early, t_obs), s_early)
marg_mean, marg_std = post_path.mean(x0s, mus, s_early), post_path.std(x0s, mus, s_early)
fig, narrow = lesson.plot_posterior_column_map(s_early, post_mean, post_std, marg_mean, marg_std, px0, px_t, t_obs)
plt.show()
print(f"columns drawn with std 0.02 (their own std is smaller): s = {narrow}")

# %% [markdown]
# *How the picture is drawn.* Two columns are points, with standard deviation 0: $s = -1$, the clean end, where the
# library's posterior is $x_0$; and $s = t$, the point $x_t$, added by hand (the library gives the posterior for
# $s < t$ only). A point has no width on the picture's vertical grid (steps of 0.005), so a column whose standard
# deviation is below 0.02 is drawn with 0.02 (the columns printed above); the two points show as short bright bars,
# each marked by a triangle beside the axes.
#
# The posterior is pinned at both ends: at $x_0$ on the clean end and at $x_t$ at $s = t$, and it widens away from
# each. The next cell measures the approach to $x_t$ over the last six grid times before $t$, with the clock gap
# $b = \bar\theta_{s:t}$:

# %%
gap = post_path.schedule.clock(t_obs) - post_path.schedule.clock(s_early[-6:])  # b = thbar_{s:t}
ratio = post_std[-6:] ** 2 / gap
for s_, b_, sd_, r_ in zip(s_early[-6:].tolist(), gap.tolist(), post_std[-6:].tolist(), ratio.tolist()):
    print(f"s = {s_}: clock gap b = {b_:.3f}, posterior std {sd_:.3f}, std^2 / b = {r_:.3f}")
m79, sd79, msd79, xt_value = float(post_mean[-1]), float(post_std[-1]), float(marg_std[-1]), float(px_t)
print(f"s = 79: posterior mean {m79:.4f}, x_t = {xt_value:.4f} (difference {m79 - xt_value:.4f}); "
      f"posterior std {sd79:.3f}, marginal std {msd79:.3f} (ratio {sd79 / msd79:.2f})")

# %% [markdown]
# The posterior's standard deviation shrinks with the clock gap: over these six times $\mathrm{std}^2/b$ rises
# steadily, from 0.079 at $s = 74$ to 0.116 at $s = 79$, while $b \to 0$ (section 3 computes its limit, after the
# exercises). At $s = 79$, one grid step before $t$, the posterior std is 0.105, 0.42 times the marginal's 0.252, and
# the posterior mean, 0.2228, is 0.0275 below $x_t = 0.2503$: knowing $x_t$ narrows the posterior and pulls it to
# $x_t$.
#
# *Checks of section 2* (skip on a first reading):

# %%
assert float(post_std[0]) == 0 and torch.allclose(post_mean[0], px0)  # the library's posterior at s = -1: x0
assert narrow == [-1, 0, 1, t_obs] and int(s_early[-1]) == 79
assert bool((post_std[-6:].diff() < 0).all()) and bool((gap.diff() < 0).all())  # both shrink as s -> t
assert bool((ratio.diff() > 0).all())  # std^2 / b rises steadily as s -> t
assert abs(float(ratio[0]) - 0.079) < 0.0005 and abs(float(ratio[-1]) - 0.116) < 0.0005  # from 0.079 to 0.116
assert abs(m79 - 0.2228) < 0.00005 and abs(xt_value - 0.2503) < 0.00005 and abs(m79 - xt_value + 0.0275) < 0.00005
assert abs(sd79 - 0.105) < 0.0005 and abs(msd79 - 0.252) < 0.0005 and abs(sd79 / msd79 - 0.42) < 0.005

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
# Derive the variance coefficient $V$ (per unit $\pi^2$) and the weight $K$ of the observation $x_t$ in the mean.
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
# A final formula alone is refused: the checker grades the steps. (Section 2's `post_path.posterior` gives the
# posterior as numbers on the grid, not as a formula.)

# %%
from rdbm_course.exercises import check

answer_02a_1 = ...  # {"log_prior": ..., "log_kernel": ..., "precision": ..., "V": ..., "K": ...}
check("02a.1", answer_02a_1)

# %% [markdown]
# **02a.2 (predict, then check).** An ancestral sampler draws in two stages. Take the pixel of section 2's picture
# ($x_0 = 0.6$, $\mu = -0.2$, $\lambda = 0.1$ on the reference grid) and two grid times $s = 75 < t = 80$. First draw
# $x_t$ from the marginal $q(x_t\mid x_0)$; then draw $x_s$ from the posterior $q(x_s\mid x_t, x_0)$ with that $x_t$.
# Repeat many times. How does the standard deviation of the $x_s$ drawn compare with the standard deviation
# $\Sigma_s|\pi|$ of the marginal $q(x_s\mid x_0)$?
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
# *Then verify it (optional).* Draw $10^4$ values of $x_t$ with `post_path.sample(x0, mu, t)` (`x0` and `mu` filled
# with the pixel's values, 10 000 of each), then one $x_s$ for each from the posterior: mean plus std times a standard
# normal draw, with the mean and std from `post_path.posterior(x_t, x0, mu, t, s)`. Compare the standard deviation of
# your $x_s$ with `post_path.std(x0, mu, s)`; the standard error of a sample std from $n$ draws is about
# $1/\sqrt{2n}$ of it (0.7 % here).

# %%
# your simulation of 02a.2 (optional)

# %% [markdown]
# ## 3. The posterior in closed form
#
# Write $d = \bar\theta_{t:T}$ for the clock from $t$ to $T$ (section 1's $c - u$, at time $t$), so that the clock
# is $a$ at $s$, $a + b$ at $t$ and $a + b + d$ at $T$. SymPy computes the posterior on the bridge's own route
# (exercise 02a.1 took the shorter one, with the $h$'s cancelled by hand): the log of the bridge marginal at $s$,
# plus the log of the free kernel $p(x_t\mid x_s)$ over $b$, minus $\log h(x_s, s)$ (the free kernel from $x_s$ to
# $\mu$ over $b + d$). The sum, $\log q(x_s\mid x_t, x_0)$ up to a constant, is a quadratic in $x_s$: its
# $x_s$-derivative is linear and vanishes at one point, the posterior mean, and minus its slope is the precision, one
# over the variance. The mean is affine in $\pi$ and in $x_t - \mu$; its two coefficients, read off as derivatives,
# with $A = e^a$ and $B = e^b$:

# %%
def posterior_by_bayes():
    """Mean and variance of q(x_s = x | x_t, x0) on the bridge's route (clock a + b + d at T)."""
    from derivations import ou

    c_T = a + b + d
    log_post = (gaussian_log(x, bridge_mean(a, c_T), Sigma2(a, c_T) * pi ** 2)
                + ou.kernel_logpdf(xt, x, b) - ou.kernel_logpdf(mu, x, c_T - a))
    slope_form = sp.expand(sp.diff(log_post, x))  # linear in x: (coefficient of x) x + (constant)
    return -slope_form.coeff(x, 0) / slope_form.coeff(x, 1), -1 / slope_form.coeff(x, 1)  # its root; 1 / precision


post_mean_bayes, post_var_bayes = posterior_by_bayes()
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
lesson.zero_line(r"V - \Sigma_t^2\big|_{u = a,\ c = a + b}", V_sinh - Sigma2(a, a + b))
limit(V_sinh / b, b, 0, 2 * lam, lhs=r"\lim_{b \to 0}\frac{V}{b}")
std2_slope = 2 * post_path.lam * float(px0 - pmu) ** 2  # 2 lam pi^2 for section 2's pixel
print(f"2 lam pi^2 = {std2_slope:.3f}; std^2 / b printed in section 2: {float(ratio[0]):.3f} at s = 74 to "
      f"{float(ratio[-1]):.3f} at s = 79")

# %% [markdown]
# $V$ is the marginal's $\Sigma_t^2$ with $u = a$ and $c = a + b$: the variance of the bridge from $x_0$ at clock 0 to
# $x_t$ at clock $a + b$. Together with the mean's endpoints, that says what the posterior is: **the OU bridge from
# $x_0$ to $x_t$**, which knows nothing of the path after $t$. As $b \to 0$, $V/b \to 2\lambda$, so
# $\mathrm{std}^2/b = V\pi^2/b \to 2\lambda\pi^2$: for the pixel of section 2 that is 0.128, the value its printed
# ratios (0.079 at $s = 74$ to 0.116 at $s = 79$) rise towards. Like the marginal's, the posterior's variance is
# proportional to $\lambda$.
#
# *Checks of section 3:*

# %%
assert abs(std2_slope - 0.128) < 1e-12 and float(ratio.max()) < std2_slope and post_path.lam == 0.1

# %% [markdown]
# ## Summary
#
# > With the clock $u = \bar\theta_t$, $c = \bar\theta_T$, and for $s < t$ the increments $a = \bar\theta_s$,
# > $b = \bar\theta_{s:t}$:
# >
# > - **Marginal:** $q(x_t\mid x_0) = \mathcal N\big(\mu + \Theta_t\pi,\ \Sigma_t^2\pi^2\big)$ with
# >   $\Theta_t = \dfrac{\sinh(c - u)}{\sinh c}$ and $\Sigma_t^2 = \dfrac{2\lambda\sinh u\,\sinh(c - u)}{\sinh c}$.
# >   Written as a weighted sum, $x_t = \Theta_t x_0 + \Psi_t\mu + \Sigma_t\pi\epsilon$ with $\Psi_t = 1 - \Theta_t$
# >   the weight of $\mu$. With global noise (noise factor $\nu = 1$ instead of $\pi$) the std is $\Sigma_t$ instead of
# >   $\Sigma_t|\pi|$.
# > - **Posterior:** $q(x_s\mid x_t, x_0) = \mathcal N\big(\mu + P\pi + K(x_t - \mu),\ V\pi^2\big)$ with
# >   $P = \dfrac{\sinh b}{\sinh(a + b)}$, $K = \dfrac{\sinh a}{\sinh(a + b)}$ and
# >   $V = \dfrac{2\lambda\sinh a\,\sinh b}{\sinh(a + b)}$.
# >
# > Used next: (1) the marginal is Gaussian with these coefficients at every $t$, and notebook 02b builds the reverse
# > SDE and the probability-flow ODE from it; (2) the posterior is the OU bridge from $x_0$ to $x_t$ and does not
# > depend on $\bar\theta_T$, and the stochastic step of notebook 02c draws from it, with $x_0$ replaced by a
# > prediction.

# %% [markdown]
# ## Appendix A. A check of the marginal: boundary values and the Fokker–Planck equation
#
# This is a check, not a third derivation: it confirms the formula, it does not produce it. At the clean end
# $\Theta = 1$, $\Sigma = 0$ (the initial values of 1(b)); at $T$ both vanish, also as limits; and the Gaussian density
# solves the bridge's Fokker–Planck equation. Per unit clock that equation reads
# $\partial_u q = -\partial_{x_t}(f q) + \lambda\pi^2\,\partial_{x_t}^2 q$, with the drift per unit clock $f$ of 1(b)
# and the diffusion $g_t^2/(2\theta_t) = \lambda\pi^2$ per unit clock. Divided by $q$, for $L = \log q$ and primes for
# derivatives in $x_t$: $\partial_u L + f' + f L' - \lambda\pi^2(L'' + L'^2) = 0$. The left side is a quadratic in
# $x_t$. Collected by powers of $x_t - M$, each coefficient has two or three non-zero terms (below, each is labelled by
# the part it comes from). The two terms of $(x_t - M)$ cancel since $1/\tanh = \coth$. Those of $1$ and of
# $(x_t - M)^2$, put over a common denominator, cancel by the identity $\sinh c - \sinh(c - 2u) = 2\cosh(c - u)\sinh u$,
# checked first:

# %%
def fokker_planck_check():
    """Appendix A: the boundary values and the Fokker-Planck equation of the bridge SDE, by powers of x_t - M."""
    from derivations.common import zero

    Theta_t, Sigma2_t = Theta(u, c), Sigma2(u, c)
    show(r"\big(\Theta_t,\ \Sigma_t^2\big)\big|_{u = 0}", sp.Tuple(Theta_t.subs(u, 0), Sigma2_t.subs(u, 0)))
    assert (Theta_t.subs(u, 0), Sigma2_t.subs(u, 0)) == (1, 0)
    limit(Theta_t, u, c, 0, lhs=r"\lim_{u \to c}\Theta_t")
    limit(Sigma2_t, u, c, 0, lhs=r"\lim_{u \to c}\Sigma_t^2")
    identity = sp.sinh(c - 2 * u) + 2 * sp.cosh(c - u) * sp.sinh(u) - sp.sinh(c)
    vanishes(r"\sinh(c - 2u) + 2\cosh(c - u)\sinh u - \sinh c", lesson.short(identity), gens=lesson.SHORT_EXP)
    mean, var = mu + Theta_t * pi, Sigma2_t * pi ** 2
    log_q = gaussian_log(xt, mean, var)
    L_1 = sp.diff(log_q, xt)
    show(r"L'", lesson.short(sp.factor(L_1)))
    show(r"L''", lesson.short(sp.factor(sp.diff(L_1, xt))))
    parts = {r"\partial_u L": sp.diff(log_q, u), "f'": f_prime, "f L'": f * L_1,
             r"-\lambda\pi^2(L'' + L'^2)": -lam * pi ** 2 * (sp.diff(L_1, xt) + L_1 ** 2)}
    y = sp.Symbol("y", real=True)  # y = x_t - M
    expanded = {name: sp.expand(e.subs(xt, mean + y)) for name, e in parts.items()}
    assert zero(sum(expanded.values()) - sum(e.coeff(y, k) * y ** k for e in expanded.values() for k in range(3))) == 0
    #: each power's common-denominator form, written by hand (and checked against the terms below)
    common_form = {0: -identity / (2 * sp.sinh(u) * sp.sinh(c - u)), 1: sp.Integer(0),
                   2: sp.sinh(c) * identity / (4 * lam * pi ** 2 * sp.sinh(u) ** 2 * sp.sinh(c - u) ** 2)}
    n_terms = []
    for k, power in ((0, "1"), (1, "(x_t - M)"), (2, "(x_t - M)^2")):
        terms = {name: sp.simplify(e.coeff(y, k)) for name, e in expanded.items()}
        terms = {name: term for name, term in terms.items() if term != 0}
        n_terms.append(len(terms))
        body = " + ".join(r"\underbrace{" + latex(lesson.short(term)) + "}_{" + name + "}"
                          for name, term in terms.items())
        assert zero(sum(terms.values()) - common_form[k]) == 0 and zero(common_form[k]) == 0
        show(r"\big[" + power + r"\big]", body, *([lesson.short(common_form[k])] if k != 1 else []), 0)
    assert sorted(n_terms) == [2, 3, 3]  # two or three non-zero terms per power


fokker_planck_check()

# %% [markdown]
# ## Appendix B. The `derivations` package's checks, and where the formulas stand in `docs/theory.md`
#
# The course's reference, `docs/theory.md`, states this notebook's results in its §4 (the marginal: the closed form,
# eqs. 4.2–4.3; the boundary values, eq. 4.4; Bayes, eq. 4.8; the moment ODEs, eq. 4.9; the bridge SDE and its
# Fokker–Planck equation, eq. 3.5) and §5 (the posterior, eqs. 5.1–5.3; its consistency with the marginal, eq. 5.4,
# shown in the solutions); the grid's last clock step is its eq. 10.4. The `derivations` package checks each of them
# on its own route. Each line below: the fact's name, where `docs/theory.md` states it, the statement, and its residual
# (0: exact) or its largest error. `marginal.b_initial_values` is independent of the integrating factors of 1(b): it
# integrates the moment ODEs numerically (mpmath, 30 significant digits) from $M = x_0$, $Q = 0$ and compares the
# result with the closed form at four clocks.

# %%
from derivations import marginal
from rdbm_course.mathshow import fact

dM_pkg, dQ_pkg = (e.subs({marginal.M: M, marginal.V: Q}) for e in marginal.bridge_moment_odes())
assert sp.simplify(dM - dM_pkg) == 0 and sp.simplify(dQ - dQ_pkg) == 0
print("derivations.marginal.bridge_moment_odes (eq. 4.9) builds the same two right-hand sides as section 1(b)")
fact("marginal.a_gaussian_product", "4.8")  # section 1(a)
fact("marginal.b_moment_odes", "4.9")  # section 1(b): the closed form put into the ODEs, for any schedule
fact("marginal.b_initial_values", "4.9")  # the ODEs integrated numerically, not by integrating factors
fact("marginal.c_boundary_values", "4.4")  # appendix A
fact("marginal.c_fokker_planck", "3.5")  # appendix A
fact("posterior.mean", "5.1", "5.2", "5.3")  # section 3: the mean
fact("posterior.endpoints", "5.1")  # section 3: the point masses at x_t (s -> t) and at x0 (the clean end)
