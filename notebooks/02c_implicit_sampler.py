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
# # 02c — The implicit sampler: the exact ODE step, and why RDBM predicts $x_0$
#
# **What you will learn.** RDBM's sampler: the $\eta = 0$ implicit step solves the probability-flow ODE of
# notebook 02b *exactly* for a fixed prediction $\hat x_0$ (no discretisation error, whatever the step); with
# $\eta = 1$ it becomes the posterior step of 02a. Why its deterministic trajectory does not depend on the noise
# factor, and why the network predicts $x_0$ rather than the noise.
#
# **Prerequisites.** Notebooks 02a (the marginal and the posterior) and 02b (the PF-ODE, its caveat at the pinned
# end); `docs/theory.md` §1–7 (read §8–9 *after* this notebook: §8 states the result of exercise 02c.1). A student
# who has seen DDIM will recognise the step.
#
# Full-mode wall time: about 12 s on a 2-core CPU shared with other jobs (`FAST=1`: about 11 s; the last cell prints
# this run's; `benchmarks/notebook_times.py`).

# %%
import os
import time

import matplotlib.pyplot as plt
import sympy as sp
import torch

from derivations import family, parameterisation, reverse
from derivations.common import c, d, eps, lam, mu, pi, pihat, u, x, xt
from rdbm_core.bridge import bridges, samplers
from rdbm_course.mathshow import confirm, limit, show, vanishes

FAST = os.environ.get("FAST") == "1"
T_START = time.perf_counter()


# %% [markdown]
# ## 0. The picture first: three samplers with a perfect network
#
# Six pixels (four degraded, two intact) restored by three samplers with an *oracle* network that returns the true
# $x_0$. With a perfect network the first step out of $x_T = \mu$ of the two deterministic samplers (the implicit
# $\eta = 0$ step: explicit Euler takes it too, since the ODE is singular at $T$) lands on the path
# $\mu + \Theta_t\pi$, the mean of the marginal. Then: **implicit, $\eta = 0$**, 10 steps, stays on that path
# exactly; **explicit Euler on the PF-ODE**, 99 steps, only approximates it (where its error comes from is measured
# after the picture); **implicit, $\eta = 1$** takes
# the posterior step from the first step on, so it leaves $\mu$ off the mean
# path, wanders like a bridge sample path and ends at $x_0$ as well (its final output is the oracle's $\hat x_0$; the
# distance is printed). The two flat lines are the intact pixels, which no sampler moves (their largest displacement
# is printed for each sampler). The left panel shows the
# $\eta = 0$ paths alone; the right panel shows what tells the three samplers apart, the largest distance over the six
# pixels from the mean path $\mu + \Theta_t\pi$ at each step (the printed numbers are its maximum over the
# trajectory; for $\eta = 1$ it is the size of the injected noise, not an error).

# %%
g = torch.Generator().manual_seed(0)
n_pix = 6
x0 = torch.rand((1, n_pix), generator=g, dtype=torch.float64) * 2 - 1
mu_img = x0.clone()
mu_img[0, :4] = torch.rand(4, generator=g, dtype=torch.float64) * 2 - 1  # 4 degraded, 2 intact pixels
rdbm = bridges.rdbm(lam=0.01)


def oracle(x_t, mu_, t):
    return x0.expand_as(x_t)


runs = {"implicit eta=0": (samplers.sample_implicit, rdbm.schedule.sampling_times(10), dict(eta=0.0)),
        "implicit eta=1": (samplers.sample_implicit, rdbm.schedule.sampling_times(10), dict(eta=1.0)),
        "Euler PF-ODE": (samplers.sample_euler, rdbm.schedule.sampling_times(20 if FAST else 99), {})}
trajectories = {}
for name, (sampler, grid, kw) in runs.items():
    traj = samplers.Trajectory()
    x_final = sampler(samplers.Denoiser(oracle, clamp=False), mu_img, rdbm, grid, callback=traj,
                      **(dict(generator=torch.Generator().manual_seed(1), **kw) if kw else {}))
    xs_ = torch.stack(traj.x)[:-1, 0]  # drop the final return of x0_hat
    exact = torch.stack([rdbm.mean(x0, mu_img, t)[0] for t in grid[:-1]])
    trajectories[name] = (grid[:-1], xs_)
    intact_moved = float((xs_[:, 4:] - mu_img[0, 4:]).abs().max())
    print(f"{name:15s} max |x_t - (mu + Theta_t pi)| over the trajectory: {float((xs_ - exact).abs().max()):.1e}; "
          f"final max |x - x0| = {float((x_final - x0).abs().max()):.1e}; intact pixels moved by {intact_moved:.1e}")
    assert float((x_final - x0).abs().max()) < 1e-12 and intact_moved == 0
    if name == "implicit eta=0":
        assert float((xs_ - exact).abs().max()) < 1e-12


# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
grid0, tr0 = trajectories["implicit eta=0"]
for k in range(n_pix):
    kind = "intact" if k >= 4 else "degraded"
    axes[0].plot(grid0, tr0[:, k].numpy(), marker=".", color=f"C{k}", label=f"pixel {k} ({kind})")
axes[0].plot([-1] * n_pix, x0[0].numpy(), "k*", ms=8, label=r"final output $x_0$ (clean end, $t = -1$)")
axes[0].set_title(r"implicit $\eta = 0$, 10 steps: the six pixels", fontsize=10)
axes[0].set_ylabel(r"pixel value ($[-1, 1]$ scale)")
axes[0].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3)
styles = {"implicit eta=0": ("k", "o", r"implicit, $\eta = 0$"), "implicit eta=1": ("C3", "s", r"implicit, $\eta = 1$"),
          "Euler PF-ODE": ("C0", ".", "explicit Euler on the PF-ODE")}
for name, (grid, tr) in trajectories.items():
    exact = torch.stack([rdbm.mean(x0, mu_img, t)[0] for t in grid])
    colour, marker, label = styles[name]
    axes[1].plot(grid, (tr - exact).abs().max(1).values.numpy(), color=colour, marker=marker, ms=4, label=label)
axes[1].set_yscale("symlog", linthresh=1e-4)
axes[1].set_ylim(-1e-5, 1)
axes[1].set_title(r"distance from the mean path $\mu + \Theta_t\pi$ (largest over the pixels)", fontsize=10)
axes[1].set_ylabel(r"$\max |x_t - (\mu + \Theta_t\pi)|$ (pixel value; linear below $10^{-4}$)")
axes[1].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3)
for ax in axes:
    ax.invert_xaxis()
    ax.set_xlabel("reference grid time $t$ (sampling runs from $t_T = 99$ to the right)")
plt.show()


# %% [markdown]
# **Where Euler's error comes from.** Two experiments with the same oracle. (a) The ODE is not stiff here: at Euler's
# first explicit steps the two rates of the velocity, $\coth\bar\theta_{t:T}$ and $\lambda/\Sigma_t^2$, are of
# order 1, while the clock steps are of order 0.5; and Euler's error is first order: on the four and sixteen times
# finer grids of notebook 02b (`bridges.rdbm(n=400)`, `n=1600`, every grid time; their terminal clocks are larger)
# its largest distance from the mean path shrinks about four times per refinement. (b) The error is not made in the
# first steps alone: started *exactly* on the mean path at $t = 90$, Euler's largest distance falls only a little.
# It builds up over the whole trajectory, each step adding its own (the distance peaks far from $t_T$, at the time
# printed).

# %%
def euler_distance(path, grid, x_start=None):
    """Euler with the oracle on `grid` (from `x_start`, or from x_T = mu): the largest distance from the mean path
    mu + Theta_t pi over the pixels at each grid time before the last step, and those times."""
    run = samplers.Trajectory()
    samplers.sample_euler(samplers.Denoiser(oracle, clamp=False), mu_img, path, grid, x_T=x_start, callback=run)
    xs_ = torch.stack(run.x)[:-1, 0]
    return (xs_ - torch.stack([path.mean(x0, mu_img, t)[0] for t in grid[:-1]])).abs().max(1).values, grid[:-1]


euler_grid = runs["Euler PF-ODE"][1]
explicit_t = euler_grid[1:4]  # the first three explicit steps (the first step, out of t_T, is the implicit one)
du = rdbm.schedule.clock(explicit_t) - rdbm.schedule.clock(euler_grid[2:5])
coth_rest = 1 / torch.tanh(rdbm.schedule.clock_to_end(explicit_t))
score_rate = rdbm.lam / rdbm.coefficients(explicit_t)[2] ** 2
print("(a) Euler's first explicit steps start at t = " + ", ".join(str(int(t)) for t in explicit_t)
      + ": clock steps " + ", ".join(f"{float(v):.2f}" for v in du) + "; coth(thbar_t:T) " + ", ".join(
          f"{float(v):.2f}" for v in coth_rest) + "; lambda / Sigma_t^2 " + ", ".join(f"{float(v):.2f}" for v in score_rate))
assert float(coth_rest.max()) < 1.35 and float(score_rate.max()) < 1.5 and float(du.min()) > 0.3  # O(1) rates, big steps
refined = {}
for n in (100, 400, 1600):
    path_n = rdbm if n == 100 else bridges.rdbm(n=n, lam=0.01)
    every = torch.cat([torch.arange(path_n.schedule.t_T, -1, -1), torch.tensor([path_n.schedule.t_clean])])
    refined[n] = float(euler_distance(path_n, every)[0].max())
print("    largest distance from the mean path, every grid time: " + ", ".join(
    f"N = {n}: {v:.4f}" for n, v in refined.items()) + f"; ratios {refined[100] / refined[400]:.1f} and "
    f"{refined[400] / refined[1600]:.1f}")
assert 3.3 < refined[100] / refined[400] < 4.5 and 3.3 < refined[400] / refined[1600] < 4.5  # first order: about 4
full, times_full = euler_distance(rdbm, euler_grid)
t90 = torch.tensor(90)
late_start = euler_distance(rdbm, euler_grid[euler_grid <= 90], x_start=rdbm.mean(x0, mu_img, t90))[0]
_, _, Sg_euler = rdbm.coefficients(times_full)
t_err, t_sigma = int(times_full[int(full.argmax())]), int(times_full[int(Sg_euler.argmax())])
print(f"(b) the {len(euler_grid) - 1}-step grid: largest distance {float(full.max()):.4f} from x_T = mu, "
      f"{float(late_start.max()):.4f} started exactly on the mean path at t = 90; it peaks at t = {t_err} "
      f"(Sigma_t peaks at t = {t_sigma})")
assert 0.7 < float(late_start.max()) / float(full.max()) < 1 and t_err < 60


# %% [markdown]
# ## 1. The implicit step is the exact ODE solution
#
# As a function of the clock $u = \bar\theta_t$, every curve
# $x(u) = \mu + \Theta(u)\hat\pi + \Sigma(u)\,k$ with a constant $k$ solves the PF-ODE of 02b for a
# fixed $\hat x_0 = \mu + \hat\pi$: put it in, with the velocity $v$ of exercise 02b.1, and the residual
# $dx/du - v(x(u), u)$ vanishes (below; a prime is $d/du$). The ODE is linear in $x$, so where $\Sigma_t > 0$ (strictly before $t_T$)
# exactly one such curve passes through a given state $x_t$. Following it from $t$ to $s$ is RDBM's $\eta = 0$ implicit
# step (exercise 02c.1 writes it), which therefore integrates the ODE **exactly** over $[s, t]$ for fixed $\hat x_0$:
# the step size costs nothing, only the prediction's error counts. At $t_T$, where $\Sigma_t = 0$ and every curve
# passes through $\mu$, the curve is not determined by $x_t$: the library's step from there picks the mean path
# $k = 0$ (the picture above); exercise 02c.1 asks you to write the step, this first one included.
# Notebooks 04, 08, 10 and 11 use this step.
#
# **Why the curves solve the ODE, in two lines.** Write the velocity of 02b.1 as
# $v = \kappa_0 - \kappa_1 x + \lambda(x - M)/\Sigma^2$ with $\kappa_1 = \coth(\bar\theta_{t:T})$,
# $\kappa_0 = \kappa_1\mu$ and $M(u) = \mu + \Theta(u)\hat\pi$. The mean and the variance solve
# $M' = \kappa_0 - \kappa_1 M$ and $(\Sigma^2)' = -2\kappa_1\Sigma^2 + 2\lambda$ (the moment ODEs of 02a, checked first).
# Then for $x = M + \Sigma k$: $x' = M' + \Sigma' k = \kappa_0 - \kappa_1 M + \frac{-\kappa_1\Sigma^2 + \lambda}{\Sigma}k
# = \kappa_0 - \kappa_1 x + \lambda\frac{x - M}{\Sigma^2} = v$. The last two displays repeat the check by brute force:
# the curve, and the residual $x' - v$ on it.

# %%
k = sp.Symbol("k", real=True)
kappa1 = sp.coth(c - u)
M_u, S2_u = mu + family.Theta(u, c) * pihat, family.Sigma2(u, c)
vanishes(r"M' - (\kappa_0 - \kappa_1 M)", sp.diff(M_u, u) - (kappa1 * mu - kappa1 * M_u))
vanishes(r"(\Sigma^2)' - (-2\kappa_1\Sigma^2 + 2\lambda)", sp.diff(S2_u, u) - (-2 * kappa1 * S2_u + 2 * lam))
vanishes(r"v - \Big(\kappa_0 - \kappa_1 x + \lambda\frac{x - M}{\Sigma^2}\Big)",
         family.pf_velocity(x, u, c, pihat) - (kappa1 * mu - kappa1 * x + lam * (x - M_u) / S2_u))
Ms, Ss, k0, k1 = sp.symbols("M Sigma kappa_0 kappa_1", positive=True)
x_curve = Ms + Ss * k
x_prime = (k0 - k1 * Ms) + (-k1 * Ss ** 2 + lam) / Ss * k  # M' + Sigma' k, Sigma' = (Sigma^2)'/(2 Sigma)
show(r"x' = M' + \Sigma' k", x_prime)
vanishes(r"x' - \Big(\kappa_0 - \kappa_1 x + \lambda\frac{x - M}{\Sigma^2}\Big)\Big|_{x = M + \Sigma k}",
         sp.cancel(x_prime - (k0 - k1 * x_curve + lam * (x_curve - Ms) / Ss ** 2)))
curve = mu + family.Theta(u, c) * pihat + sp.sqrt(family.Sigma2(u, c)) * k
show(r"x(u)", curve)
vanishes(r"x'(u) - v\big(x(u), u\big)", sp.diff(curve, u) - family.pf_velocity(curve, u, c, pihat))

# %% [markdown]
# The same holds for a bridge with a general mean-reversion target $m$ and end point $y$ (global noise; DDBM-VP is
# such a bridge), with its own mean $M(u) = m + \Theta(u)(\hat x_0 - m) + \frac{\sinh u}{\sinh c}(y - m)$ and the
# velocity derived from its h-transform: the curves $M(u) + \Sigma(u)\,k$ solve its PF-ODE (checked by brute force,
# the residual $x' - v$ on the curve). The `derivations` package states both facts of this section on its own; its
# checks are run and their results printed (each a residual that must be 0).

# %%
x0hat = sp.Symbol(r"\hat{x}_0", real=True)
general_curve = reverse.general_target_mean(x0hat) + sp.sqrt(family.Sigma2(u, c)) * k
general_v = reverse.general_target_velocity(x0hat)
vanishes(r"x'(u) - v\big(x(u), u\big)\ \text{(target } m\text{, end point } y)",
         sp.diff(general_curve, u) - general_v.subs(x, general_curve))
confirm(reverse, "check_implicit_eta0_solves_pf_ode", "check_implicit_eta0_general_target")

# %% [markdown]
# With $k = \pi\epsilon$ (the true $x_0$, $\hat\pi = \pi$) the curve is $\mu + \Theta(u)\pi + \Sigma(u)\pi\epsilon$, the
# marginal sample of noise $\epsilon$: each noise value rides its own path into $\mu$. All these paths meet at $T$, so
# the ODE started at $T$ is not unique (the caveat of 02b, section 4); the library's first step picks
# $\mu + \Theta_s\hat\pi$, the path of $\epsilon = 0$, as in the picture. The stochastic step with $\eta = 1$ is the
# posterior (ancestral) step of 02a: it shrinks the coefficient of the noise part from the $\eta = 0$ one to the
# posterior's $K$ and adds fresh noise $\sqrt V\,\nu(\hat\pi)\,z$ ($V$ the posterior variance per unit $\nu^2$, $z$
# standard normal), so that $K^2\Sigma_t^2 + V = \Sigma_s^2$ keeps the marginal. Five facts about the step: two that do
# not write the step out are displayed here (every noise value's curve solves the ODE, for the true $x_0$; the
# posterior variance, hence the injected noise, vanishes as $s \to t$); three more (the step returns $x_t$ as
# $s \to t$; it carries the marginal at $t$ to the marginal at $s$; with $\eta = 1$ its mean is the posterior's) are
# checked here by the `derivations` package (their results printed) and displayed in the solutions notebook after
# exercise 02c.1, since each writes the step out.

# %%
from derivations.common import a, b

noise_curve = mu + family.Theta(u, c) * pi + sp.sqrt(family.Sigma2(u, c)) * pi * eps
# the two-line argument above with pi_hat = pi and k = pi eps; the brute-force residual:
show(r"x(u) = M(u) + \Sigma(u)\,k\ \text{ with }\ \hat\pi = \pi,\ k = \pi\epsilon", noise_curve)
vanishes(r"x'(u) - v\big(x(u), u\big)\ \text{(}k = \pi\epsilon)", sp.diff(noise_curve, u) - family.pf_velocity(noise_curve, u, c, pi))
V_post = 2 * lam * sp.sinh(a) * sp.sinh(b) / sp.sinh(a + b)  # the posterior variance of 02a (read off in 02a's solutions)
limit(V_post, b, 0, 0, lhs=r"\lim_{\bar\theta_{s:t}\to0} V")
confirm(reverse, "check_pf_ode_transports_noise", "check_implicit_eta0_initial_value",
        "check_implicit_step_keeps_marginal", "check_implicit_eta1_coefficient", "check_implicit_eta1_mean")

# %% [markdown]
# **The deterministic trajectory does not depend on the noise factor.** The PF-ODE velocity of 02b has no
# $\nu(\hat\pi)$ in it (the $\nu^2$ of $g^2$ cancels the one of the score), so its solution curves of section 1, which
# the $\eta = 0$ step follows, are the same for every noise factor, and so is the first step out of $x_T = \mu$. So for
# a given network the $\eta = 0$ trajectory from $x_T = \mu$ is
# the same for RDBM ($\nu(\pi) = \pi$) and for global noise ($\nu = 1$): **with the deterministic sampler, residual
# modulation acts only through training** (the distribution of $x_t$ the network learns from), and otherwise only
# through the stochastic samplers ($\eta > 0$), whose injected noise is proportional to $\nu(\hat\pi)$.

# %% [markdown]
# ## 2. The noise factor cancels, numerically
#
# With the oracle every state of the picture has no noise part at all, so take an *imperfect* network whose answer
# depends on the state, $\hat x_0 = x_0 + 0.3\,(x_t - \mu)$: then $x_t - E[x_t\mid\hat x_0]$ is not zero and the
# step that carries it matters. `eta = 0`, RDBM against the same bridge with global noise: the outputs agree bit
# for bit.

# %%
def imperfect(x_t, mu_, t):
    return x0.expand_as(x_t) + 0.3 * (x_t - mu_)


grid10 = rdbm.schedule.sampling_times(10)
imperfect_net = samplers.Denoiser(imperfect, clamp=False)
x_mod = samplers.sample_implicit(imperfect_net, mu_img, rdbm, grid10, eta=0.0)
x_glob = samplers.sample_implicit(imperfect_net, mu_img, rdbm.with_noise("global"), grid10, eta=0.0)
gap_eta0 = float((x_mod - x_glob).abs().max())
print(f"eta = 0, imperfect network: max |RDBM - global noise| = {gap_eta0:.1e}; "
      f"max |output - x0| = {float((x_mod - x0).abs().max()):.2f}")
assert gap_eta0 == 0

# %% [markdown]
# ## 3. Why RDBM predicts $x_0$, not the noise
#
# Under modulation $x_t - \mu = (\Theta_t + \Sigma_t\epsilon)\pi$, so a noise prediction gives $\pi$ only after a
# division by the random number $\Theta_t + \Sigma_t\epsilon$:

# %%
Th, Sg, eps_hat = parameterisation.Th, parameterisation.Sg, parameterisation.eps_hat
on_family = {Th: family.Theta(u, c), Sg: sp.sqrt(family.Sigma2(u, c))}  # Theta_t and Sigma_t of the RDBM bridge
pi_modulated = parameterisation.solve_modulated()
show(pi, pi_modulated)
sample_modulated = family.bridge_mean(u, c) + sp.sqrt(family.Sigma2(u, c)) * eps * pi  # RDBM's forward sample
vanishes(r"\frac{x_t - \mu}{\Theta_t + \Sigma_t\epsilon}\Big|_{x_t = \mu + (\Theta_t + \Sigma_t\epsilon)\pi} - \pi",
         pi_modulated.subs(on_family).subs(xt, sample_modulated) - pi)

# %% [markdown]
# The division fails where $\Theta_t + \Sigma_t\epsilon = 0$, at the pole $\epsilon^*$. There the forward sample does
# not depend on $\pi$ at all ($x_t = \mu$ whatever the residual), so no formula can recover $\pi$; and as $t \to t_T$
# ($\bar\theta_{t:T} \to 0$; the code's symbol `d`) the pole moves to $0$, the mode of $\mathcal N(0, 1)$:

# %%
pole = parameterisation.pole()
show(r"\epsilon^*", pole)
vanishes(r"\partial_\pi x_t\big|_{\epsilon = \epsilon^*}", sp.diff(sample_modulated.subs(eps, pole.subs(on_family)), pi))
limit(pole.subs({Th: family.Theta(c - d, c), Sg: sp.sqrt(family.Sigma2(c - d, c))}), d, 0, 0,
      lhs=r"\lim_{\bar\theta_{t:T} \to 0}\epsilon^*")

# %% [markdown]
# A noise *prediction* $\hat\epsilon$ with an error near the pole is therefore amplified without bound: the
# sensitivity $\partial\hat\pi/\partial\hat\epsilon$ (for $x_t - \mu = 1$) diverges as $\hat\epsilon$ approaches
# $\epsilon^*$ from above. And since the pole sits where the density of $\epsilon$ is positive, even the mean
# $E\,|1/(\Theta_t + \Sigma_t\epsilon)|$ is infinite: on $\epsilon = \epsilon^* + r$, $0 < r \le 1$, the integrand times
# $r$ tends to $\varphi(\epsilon^*)/\Sigma_t > 0$ ($\varphi$ the standard normal density), a $1/r$ singularity, and the
# integrand is at least $\min(\varphi(\epsilon^*), \varphi(\epsilon^* + 1))/(\Sigma_t r)$, whose integral diverges:

# %%
pi_hat_of_eps = pi_modulated.subs(eps, eps_hat)
sensitivity = sp.diff(pi_hat_of_eps, eps_hat)
show(r"\frac{\partial\hat\pi}{\partial\hat\epsilon}", sp.factor(sensitivity))
limit(sp.Abs(sensitivity).subs(xt, mu + 1), eps_hat, pole, sp.oo, direction="+",
      lhs=r"\lim_{\hat\epsilon \to \epsilon^{*+}}\Big|\frac{\partial\hat\pi}{\partial\hat\epsilon}\Big|_{x_t - \mu = 1}")
r = sp.Symbol("r", positive=True)  # the distance from the pole, an integration variable


def phi(e):
    """The standard normal density."""
    return sp.exp(-e ** 2 / 2) / sp.sqrt(2 * sp.pi)


integrand = phi(pole + r) / sp.Abs(Th + Sg * (pole + r))
rate = sp.limit(r * integrand, r, 0, "+")
assert sp.simplify(rate - phi(pole) / Sg) == 0 and rate.subs({Th: 1, Sg: 1}).is_positive
# displayed with the density's name: written out, its normalising constant would show the number 3.14159... as a
# letter that means the residual everywhere else
show(r"\lim_{r\to0^+} r\,\frac{\varphi(\epsilon^* + r)}{|\Theta_t + \Sigma_t(\epsilon^* + r)|}",
     r"\frac{\varphi(\epsilon^*)}{\Sigma_t} > 0")
lower_bound = sp.Min(phi(pole), phi(pole + 1)) / (Sg * r)
show(r"\int_0^1 \frac{\min\big(\varphi(\epsilon^*), \varphi(\epsilon^* + 1)\big)}{\Sigma_t\,r}\,dr",
     sp.integrate(lower_bound, (r, 0, 1)))
assert sp.integrate(lower_bound, (r, 0, 1)) == sp.oo

# %% [markdown]
# With **global noise** the recovery divides by the deterministic $\Theta_t > 0$ instead,
# well posed for $t < t_T$; but a unit error in $\hat\epsilon$ costs $\Sigma_t/\Theta_t$ in $\hat\pi$, which diverges
# as $t \to t_T$, so noise prediction fails near $T$ for global noise too (and at $t_T$ itself, where
# $\Theta_t = \Sigma_t = 0$, the recovery is $0/0$):

# %%
pi_global = parameterisation.solve_global()
show(r"\pi\ \text{(global noise)}", pi_global)
sample_global = family.bridge_mean(u, c) + sp.sqrt(family.Sigma2(u, c)) * eps
vanishes(r"\frac{x_t - \mu - \Sigma_t\epsilon}{\Theta_t}\Big|_{x_t = \mu + \Theta_t\pi + \Sigma_t\epsilon} - \pi",
         pi_global.subs(on_family).subs(xt, sample_global) - pi)
limit(sp.sqrt(family.Sigma2(c - d, c)) / family.Theta(c - d, c), d, 0, sp.oo,
      lhs=r"\lim_{\bar\theta_{t:T}\to0}\frac{\Sigma_t}{\Theta_t}")
confirm(parameterisation, "check_modulated_division", "check_pole_moves_to_mode", "check_global_division",
        "check_x0_prediction")
for name in ("check_sensitivity", "check_inverse_moment_diverges", "check_global_amplification"):
    value = getattr(parameterisation, name)()  # a limit that must diverge
    print(f"derivations.parameterisation.{name}: limit {'infinite' if value == sp.oo else value}, as displayed above")
    assert value == sp.oo, name

# %% [markdown]
# (The derivations package states these facts as seven checks, printed above. Four return a residual that must be 0;
# three return the value of a limit that must *diverge* (the sensitivity at the pole, the mean of
# $|1/(\Theta_t + \Sigma_t\epsilon)|$, and $\Sigma_t/\Theta_t$ at $t_T$), so their expected value is $\infty$ by design:
# the displays above show each of them as the limit it is.) Predicting $x_0$ divides by nothing: $\hat\pi = \hat x_0 - \mu$ directly.
#
# Numerically, with a noise predictor that is off by only $0.01$, and an $x_0$ predictor off by the same $0.01$, the
# recovered residual on the reference schedule: noise prediction's median error is as small as $x_0$ prediction's
# (it is fine for most samples); its failure is the tail, near the pole.

# %%
n = 2000 if FAST else 200_000
gen = torch.Generator().manual_seed(0)
t_late = torch.tensor(95)
Th_t, _, Sg_t = (float(v) for v in rdbm.coefficients(t_late))
eps_true = torch.randn(n, generator=gen, dtype=torch.float64)
pi_true = 0.5
x_minus_mu = (Th_t + Sg_t * eps_true) * pi_true
pi_from_noise = x_minus_mu / (Th_t + Sg_t * (eps_true + 0.01))
err = (pi_from_noise - pi_true).abs()
print(f"t = 95: Theta = {Th_t:.3f}, Sigma = {Sg_t:.3f}, pole at eps* = {-Th_t / Sg_t:.2f}")
for q in (0.5, 0.99, 0.999):
    print(f"  quantile {q}: |pi_hat - pi| = {float(err.quantile(q)):.3g}")
mu_val = -0.2
x0_hat_val = (mu_val + pi_true) + 0.01  # an x0 prediction off by 0.01
err_x0 = torch.full_like(err, abs((x0_hat_val - mu_val) - pi_true))  # pi_hat = x0_hat - mu: no division
print(f"  max: {float(err.max()):.3g}")
print(f"x0 prediction off by 0.01: |pi_hat - pi| = {float(err_x0.max()):.3g} for every sample "
      f"(median, 0.999 quantile and max alike)")
assert float(err.quantile(0.5)) <= float(err_x0.max()) and float(err.max()) > 10 * float(err_x0.max())
print(f"wall time of this notebook's cells: {time.perf_counter() - T_START:.0f} s")

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/02c_implicit_sampler_solutions.ipynb`.
#
# **02c.1 (implement).** Write one deterministic ($\eta = 0$) implicit step
# `implicit_step_eta0(path, x_t, x0_hat, mu, t, s)` that returns $x_s$ (a tensor shaped like `x_t`) for integer
# grid times $s < t$ given as 0-dim tensors; `path.coefficients(t)` returns $(\Theta_t, \Psi_t, \Sigma_t)$ (with
# $\Psi_t = 1 - \Theta_t$ the weight of $\mu$, notebook 02a). Follow the curve of section 1 through $x_t$; the
# library's samplers (`rdbm_core.bridge.samplers`) may not be used, and the checker refuses an answer that calls them.
# It is checked against the library's sampler with an imperfect `x0_hat`, and with the true $x_0$ it must carry
# $\mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ to $\mu + \Theta_s\pi + \Sigma_s\pi\epsilon$ (same $\epsilon$, hence
# the marginal at $t$ to the marginal at $s$). Two things section 1 does not give you: **the first step** — at
# $t = t_T$ (tested) $\Sigma_t = 0$ and $x_t = \mu$, the curve's $k$ is $0/0$, and the step must return the $\epsilon = 0$
# curve's point $\mu + \Theta_s\hat\pi$, finite, without a NaN; and **intact pixels** ($\hat x_0 = \mu$) must come
# out *exactly* $\mu$, bit for bit (how the mean is evaluated matters: `docs/theory.md` eq. 4.7).

# %%
from rdbm_course.exercises import check

answer_02c_1 = ...  # a function implicit_step_eta0(path, x_t, x0_hat, mu, t, s) -> x_s
check("02c.1", answer_02c_1)

# %% [markdown]
# **02c.2 (predict, then check).** Eight pixels, a clean image $x_0$, its degraded version $\mu$ and a network's
# imperfect prediction $\hat x_0$:
#
# | pixel | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 |
# |---|---|---|---|---|---|---|---|---|
# | $x_0$ | 0.3 | -0.5 | 0.2 | 0.8 | -0.1 | 0.6 | 0.0 | -0.7 |
# | $\mu$ | 0.3 | -0.1 | 0.2 | 0.1 | -0.1 | 0.6 | 0.4 | -0.7 |
# | $\hat x_0$ | 0.3 | -0.5 | 0.25 | 0.1 | -0.1 | 0.6 | 0.1 | -0.7 |
#
# The experiment: `bridges.rdbm(lam=0.01)`, a network that always answers $\hat x_0$, and the stochastic sampler
# `samplers.sample_implicit(..., eta=1.0)` on the grid 99, 89, 79, 69 (three steps from $x_T = \mu$, stopping
# before the clean point). *Before* running anything: which pixels of the result are exactly (bit for bit) equal
# to $\mu$? (Bit for bit: the library evaluates the mean as in `docs/theory.md` eq. 4.7.) Answer with a Python set of
# pixel indices; the checker runs the experiment.

# %%
answer_02c_2 = ...  # a set of pixel indices, e.g. {1, 4}
check("02c.2", answer_02c_2)
