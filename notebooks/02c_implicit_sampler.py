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
# $\eta > 0$ it becomes the posterior step of 02a. Why its deterministic trajectory does not depend on the noise
# factor, and why the network predicts $x_0$ rather than the noise.
#
# **Prerequisites.** Notebooks 02a (the marginal and the posterior) and 02b (the PF-ODE, its caveat at the pinned
# end); `docs/theory.md` §8–9. A student who has seen DDIM will recognise the step.
#
# Full-mode wall time: 12 s on a 2-core CPU shared with other jobs (`FAST=1`: 11 s;
# `benchmarks/notebook_times.py`).

# %%
import os

import matplotlib.pyplot as plt
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import parameterisation, reverse
from derivations.common import pi
from rdbm_core.bridge import bridges, samplers

FAST = os.environ.get("FAST") == "1"


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text (or a SymPy object), ``rhs`` a SymPy expression."""
    display(Math((lhs if isinstance(lhs, str) else sp.latex(lhs)) + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 0. The picture first: three samplers with a perfect network
#
# Six pixels (four degraded, two intact) restored by three samplers with an *oracle* network that returns the true
# $x_0$. With a perfect network the first step out of $x_T = \mu$ of the two deterministic samplers (the implicit
# $\eta = 0$ step: explicit Euler takes it too, since the ODE is singular at $T$) lands on the path
# $\mu + \Theta_t\pi$, the mean of the marginal. Then: **implicit, $\eta = 0$**, 10 steps, stays on that path
# exactly; **explicit Euler on the PF-ODE**, 99 steps, only approximates it — near $T$ the reference clock advances
# by up to about 1 per index while the ODE's rates grow like $1/\bar\theta_{t:T}$ (the stiff end of 02b, section 4);
# **implicit, $\eta = 1$** takes the posterior step from the first step on, so it leaves $\mu$ off the mean path,
# wanders like a bridge sample path and ends at $x_0$ as well. The two flat lines are the intact pixels, which no
# sampler moves (notebook 05 shows it on whole images). The printed numbers are the largest distance of each
# trajectory from $\mu + \Theta_t\pi$.

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
    sampler(samplers.Denoiser(oracle, clamp=False), mu_img, rdbm, grid, callback=traj,
            **(dict(generator=torch.Generator().manual_seed(1), **kw) if kw else {}))
    xs_ = torch.stack(traj.x)[:-1, 0]  # drop the final return of x0_hat
    exact = torch.stack([rdbm.mean(x0, mu_img, t)[0] for t in grid[:-1]])
    trajectories[name] = (grid[:-1], xs_)
    print(f"{name:15s} max |x_t - (mu + Theta_t pi)| over the trajectory: {float((xs_ - exact).abs().max()):.1e}")
    if name == "implicit eta=0":
        assert float((xs_ - exact).abs().max()) < 1e-12

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), sharey=True)
for ax, (name, (grid, tr)) in zip(axes, trajectories.items()):
    ax.plot(grid, tr.numpy(), marker=".")
    ax.invert_xaxis()
    ax.set_title(name)
    ax.set_xlabel("t (from t_T down)")
axes[0].set_ylabel("pixel value")
plt.tight_layout()
plt.show()


# %% [markdown]
# ## 1. The implicit step is the exact ODE solution
#
# Every curve $x(u) = \mu + \Theta(u)\hat\pi + \Sigma(u)\,k$ with a constant $k$ solves the PF-ODE of 02b for a
# fixed $\hat x_0 = \mu + \hat\pi$ (checked below). The ODE is linear in $x$, so through a given state $x_t$
# passes exactly one such curve: the one whose $k$ matches $x_t$. Following that curve from $t$ to $s$ is RDBM's
# $\eta = 0$ implicit step (`docs/theory.md` eqs. 8.1–8.4; exercise 02c.1 writes it), which therefore integrates the
# ODE **exactly** over $[s, t]$ for fixed $\hat x_0$: the step size costs nothing, only the prediction's error
# counts. This is the one place the course shows it; notebooks 04, 08, 10 and 11 use it.
#
# With $k = \pi\epsilon$ (the true $x_0$) the family shows each noise value riding its own path into $\mu$: all
# paths meet at $T$, so the ODE started at $T$ is not unique (the caveat of 02b, section 3) — the first step picks
# $\mu + \Theta_s\hat\pi$, the path of $\epsilon = 0$, as in the picture. With noise of variance $\rho_s^2$ = the
# posterior variance of 02a added, the step is the posterior (ancestral) step, $\eta = 1$.
#
# **The deterministic trajectory does not depend on the noise factor.** In the $\eta = 0$ step the noise part of
# $x_t$ is carried to $s$ by the ratio of the marginal standard deviations, $\Sigma_s|s(\pi)| / \Sigma_t|s(\pi)| =
# \Sigma_s/\Sigma_t$: the noise factor cancels, and so it does in the first step out of $x_T = \mu$ (which has no
# noise part) and in the PF-ODE velocity. So for a given network the $\eta = 0$ trajectory from $x_T = \mu$ is the
# same for RDBM ($s(\pi) = \pi$) and for global noise ($s = 1$) (`docs/theory.md` eq. 8.5): **with the deterministic
# sampler, residual modulation acts only through training** (the distribution of $x_t$ the network learns from), and
# otherwise only through the stochastic samplers ($\eta > 0$), whose injected noise is proportional to $s(\hat\pi)$.
# The checks, in order: the $\eta = 0$ step solves the ODE for fixed $\hat x_0$; the curves with $k = \pi\epsilon$
# solve it; the step solves it also for a general target $m$ in place of $\mu$ (the DDBM-VP case); it starts right at
# $T$; it carries the marginal at $t$ to the marginal at $s$; with $\eta = 1$ its coefficient and mean are the
# posterior's.

# %% tags=["nbval-check-output"]
checks = [reverse.check_implicit_eta0_solves_pf_ode(), reverse.check_pf_ode_transports_noise(),
          reverse.check_implicit_eta0_general_target(), reverse.check_implicit_eta0_initial_value(),
          reverse.check_implicit_step_keeps_marginal(), reverse.check_implicit_eta1_coefficient(),
          reverse.check_implicit_eta1_mean()]
assert checks == [0] * 7
print(checks)

# %% [markdown]
# ## 2. The noise factor cancels, numerically
#
# With the oracle every state of the picture has no noise part at all, so take an *imperfect* network whose answer
# depends on the state, $\hat x_0 = x_0 + 0.3\,(x_t - \mu)$: then $x_t - E[x_t\mid\hat x_0]$ is not zero and the
# ratio that carries it matters. `eta = 0`, RDBM against the same bridge with global noise: the outputs must agree to
# rounding (they would not if the step used $|s(\hat\pi)|$ of different predictions at $t$ and $s$, or $\Sigma$ with
# the factor on one side only).

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
assert gap_eta0 < 1e-12

# %% [markdown]
# ## 3. Why RDBM predicts $x_0$, not the noise
#
# Under modulation $x_t - \mu = (\Theta_t + \Sigma_t\epsilon)\pi$, so a noise prediction gives $\pi$ only after a
# division by the random number $\Theta_t + \Sigma_t\epsilon$:

# %%
show(pi, parameterisation.solve_modulated())
show(r"\epsilon^*", parameterisation.pole())
show(r"\lim_{t\to T}\epsilon^*", parameterisation.check_pole_moves_to_mode())
show(r"\pi\ \mathrm{(global\ noise)}", parameterisation.solve_global())

# %% tags=["nbval-check-output"]
checks = [parameterisation.check_modulated_division(), parameterisation.check_pole_moves_to_mode(),
          parameterisation.check_sensitivity(), parameterisation.check_inverse_moment_diverges(),
          parameterisation.check_global_division(), parameterisation.check_global_amplification(),
          parameterisation.check_x0_prediction()]
assert checks == [0, 0, sp.oo, sp.oo, 0, sp.oo, 0]
print(checks)

# %% [markdown]
# Reading the checks: the first two are the division and its pole displayed above; the third, `oo`, is the
# sensitivity $\partial\hat\pi/\partial\hat\epsilon = -\Sigma_t(x_t - \mu)/(\Theta_t + \Sigma_t\hat\epsilon)^2$,
# unbounded near that pole; the fourth is $E|\hat\pi| = \infty$ under modulation (below); the fifth is the
# global-noise formula displayed above; and the sixth, `oo`, says that noise prediction fails near $T$ for
# **global noise too**: there $\hat x_0$ is recovered by dividing by the
# deterministic $\Theta_t$, so a unit error in $\hat\epsilon$ costs $\Sigma_t/\Theta_t \to \infty$ in $\hat\pi$ as
# $t \to t_T$, and at $t_T$ itself the recovery is $0/0$ (`docs/theory.md` eq. 9.5). Predicting $x_0$ (the last check)
# divides by nothing.
#
# Near $T$ the pole $\epsilon^* = -\Theta_t/\Sigma_t$ sits at the mode of $\mathcal N(0,1)$, and
# $\int dz/|z| = \infty$ makes even $E|\hat\pi|$ infinite. Numerically, with a noise predictor that is off by
# only $0.01$, the recovered residual on the reference schedule has a heavy tail:

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
print(f"  max: {float(err.max()):.3g}   (x0 prediction off by 0.01 gives |pi_hat - pi| = 0.01 exactly)")

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/02c_implicit_sampler_solutions.ipynb`.
#
# **02c.1 (implement).** Write one deterministic ($\eta = 0$) implicit step
# `implicit_step_eta0(path, x_t, x0_hat, mu, t, s)` that returns $x_s$ (a tensor shaped like `x_t`) for integer
# grid times $s < t$ given as 0-dim tensors; `path.coefficients(t)` returns $(\Theta_t, \Psi_t, \Sigma_t)$.
# It is checked against the library's sampler with an imperfect `x0_hat`, and with the true $x_0$ it must carry
# $\mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ to $\mu + \Theta_s\pi + \Sigma_s\pi\epsilon$ (same $\epsilon$, hence
# the marginal at $t$ to the marginal at $s$); intact pixels must come out exactly $\mu$.

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
# to $\mu$? Answer with a Python set of pixel indices; the checker runs the experiment.

# %%
answer_02c_2 = ...  # a set of pixel indices, e.g. {1, 4}
check("02c.2", answer_02c_2)
