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
# # 02b — Reversing time: the score, the reverse SDE and the probability-flow ODE
#
# **What you will learn.** How to run the bridge of notebook 02a backwards, from the degraded $\mu$ to the clean
# image: the score of the marginal, the reverse-time SDE (random paths) and the probability-flow ODE (deterministic
# paths) that share the bridge's marginals; why the residual $\pi$ in the noise never forces a division by $\pi$;
# what the ODE can and cannot do from the pinned end; why the ODE's speed near that end stays integrable.
#
# **Prerequisites.** Notebook 02a (the marginal $x_t = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$) and
# `docs/theory.md` §6–7. The reverse-time SDE of Anderson (drift $f - g^2\,\partial_x\log q$) and the
# probability-flow ODE (velocity $f - \tfrac12 g^2\,\partial_x\log q$), as in score-based diffusion models.
# Same symbols as 02a: the clock $u = \bar\theta_t$, $c = \bar\theta_T$, $d = \bar\theta_{t:T}$.
#
# Full-mode wall time: 12 s on a 2-core CPU shared with other jobs (`FAST=1`: 10 s;
# `benchmarks/notebook_times.py`).

# %%
import matplotlib.pyplot as plt
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family, reverse
from derivations.common import c, d, lam, mu, pi
from rdbm_core.bridge import bridges, samplers


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text (or a SymPy object), ``rhs`` a SymPy expression."""
    display(Math((lhs if isinstance(lhs, str) else sp.latex(lhs)) + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 0. The picture first: two ways back from $\mu$
#
# One degraded pixel ($x_0 = 0.6$, $\mu = -0.2$, $\lambda = 0.1$ on the reference grid, as in 02a's posterior
# picture), with the clean value known to the sampler (an *oracle*; a trained network replaces it in notebook 06).
# The grey shade is the forward marginal $q(x_t\mid x_0)$ of 02a (normalised to 1 at each time's mean); sampling runs
# from $t_T$ on the left to the clean end on the right. **Left:** the reverse-time SDE, simulated with Euler–Maruyama
# from $x_T = \mu$ (the first step, out of the pinned point where the drift is infinite, is the posterior step of
# 02a): random paths that fan out and come back to $x_0$, spread like forward samples. **Right:** the
# probability-flow ODE, integrated from $t = 60$ from seven starting points between $-2$ and $+2$ standard deviations
# of the marginal (Heun's method, 60 steps): deterministic paths that never cross, each keeping its place in the
# distribution.

# %%
pixel_path = bridges.rdbm(lam=0.1)
x0_px, mu_px = 0.6, -0.2
times = pixel_path.schedule.times()
mean_t = pixel_path.mean(torch.tensor([x0_px]).double().expand(len(times)),
                         torch.tensor([mu_px]).double().expand(len(times)), times)
std_t = pixel_path.std(torch.tensor([x0_px]).double().expand(len(times)),
                       torch.tensor([mu_px]).double().expand(len(times)), times)
xg = torch.linspace(-0.9, 1.1, 301, dtype=torch.float64)
density = torch.exp(-(xg[:, None] - mean_t) ** 2 / (2 * std_t.clamp_min(2e-3) ** 2))  # 1 at each column's mean

n_paths = 7
x0_row = torch.full((1, n_paths), x0_px, dtype=torch.float64)
mu_row = torch.full((1, n_paths), mu_px, dtype=torch.float64)
oracle_px = samplers.Denoiser(lambda x_t, m, t: x0_row.expand_as(x_t), clamp=False)
sde_grid = torch.arange(pixel_path.schedule.t_T, -1, -1)  # every grid time, down to the last one before clean
sde_run = samplers.Trajectory()
samplers.sample_euler_maruyama(oracle_px, mu_row, pixel_path, sde_grid, callback=sde_run,
                               generator=torch.Generator().manual_seed(0))
t_start = 60
ode_grid = torch.arange(t_start, -1, -1)
quantiles = torch.linspace(-2.0, 2.0, n_paths, dtype=torch.float64)[None]
x_start = pixel_path.mean(x0_row, mu_row, t_start) + quantiles * pixel_path.std(x0_row, mu_row, t_start)
ode_run = samplers.Trajectory()
samplers.sample_heun(oracle_px, mu_row, pixel_path, ode_grid, x_T=x_start, callback=ode_run)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
for ax, run, title in ((axes[0], sde_run, "reverse-time SDE from $x_T = \\mu$"),
                       (axes[1], ode_run, f"probability-flow ODE from $t = {t_start}$")):
    ax.pcolormesh(times, xg, density, cmap="Greys", shading="auto")
    ax.plot(torch.stack([torch.as_tensor(t) for t in run.t]), torch.stack(run.x)[:, 0], lw=1)
    ax.plot([-1], [x0_px], "o", color="orange")
    ax.invert_xaxis()
    ax.set_xlabel("grid time t (sampling runs from left to right)")
    ax.set_title(title, fontsize=10)
axes[0].set_ylabel("pixel value")
plt.tight_layout()
plt.show()
sde_end, ode_end = sde_run.x[-1][0], ode_run.x[-1][0]
print(f"at t = 0, the last time before the clean point, the marginal std is {float(std_t[1]):.3f}: "
      f"SDE paths end within {float((sde_end - x0_px).abs().max()):.3f} of x0, "
      f"ODE paths within {float((ode_end - x0_px).abs().max()):.3f}")
assert bool((torch.stack(ode_run.x)[:, 0].diff(dim=1) > 0).all())  # ordered at every time: paths never cross

# %% [markdown]
# Both reach $x_0$ (the oracle knows it). What makes them possible is the score of the marginal: the SDE's drift is
# the forward drift minus the full $g^2\,\partial_x\log q$ and it keeps injecting noise, the ODE subtracts half of it
# and injects none.
# The sections below derive the score (section 1), check that both dynamics have the bridge's marginals (section 2),
# say what happens when the network's $\hat x_0$ replaces $x_0$ (section 3) and look at the singular end $t_T$
# (section 4). Notebook 02c solves the ODE in closed form: that is RDBM's sampler.
#
# ## 1. The score, and why nothing divides by $\pi$
#
# The marginal of 02a as a log-density in $x = x_t$ (the residual written out as $x_0 - \mu$, so that the $\pi$ in
# the logarithm is only the number $3.14159\ldots$), then differentiated in $x$:

# %%
show(r"\log q(x_t = x \mid x_0)", reverse.log_q().subs(pi, sp.Symbol("x_0") - mu))  # pi here is 3.14159...
score = reverse.score()
show(r"\partial_x\log q", sp.simplify(score))

# %% [markdown]
# It divides by $\pi^2$, so it is undefined at an intact pixel. But it only ever appears multiplied by
# $g_t^2 = 2\lambda\theta_t\pi^2$, the squared diffusion coefficient of the bridge SDE, and the $\pi^2$ cancels:
# the product has a finite limit as $\pi \to 0$,

# %%
g2_score = sp.cancel(2 * lam * reverse.theta * pi ** 2 * score)
show(r"\lim_{\pi\to0} g_t^2\,\partial_x\log q", sp.factor(sp.limit(g2_score, pi, 0)))

# %% tags=["nbval-check-output"]
checks = [reverse.check_score_form(), reverse.check_score_term_free_of_pi_division()]
assert checks == [0, 0]
print(checks)

# %% [markdown]
# ## 2. The reverse SDE and the probability-flow ODE
#
# Because the diffusion coefficient $\sqrt{2\lambda}\,\pi$ depends on $x_0$, the reverse SDE and PF-ODE are
# exact for the conditional path ($x_0$ given); the sampler puts $\hat x_0$ both into $g$ and into the score,
# and $\hat\pi^2$ cancels. Checks: the reverse-time SDE with drift $f - g^2\nabla\log q$ has the bridge marginals
# (reverse-time Fokker–Planck), the PF-ODE with $f - \tfrac12 g^2\nabla\log q$ transports them (continuity
# equation), and with $\hat x_0$ plugged in the PF-ODE velocity is the library's formula (`docs/theory.md` eq. 7.2).
# Deriving that velocity is exercise 02b.1, so it is not displayed here.

# %% tags=["nbval-check-output"]
checks = [reverse.check_reverse_sde(), reverse.check_pf_ode_continuity(), reverse.check_pf_ode_x0hat_form()]
assert checks == [0, 0, 0]
print(checks)

# %% [markdown]
# ## 3. With a predicted $\hat x_0$: exact between interior times, one output from the pinned end
#
# After the cancellation the conditional velocity is **affine in $x_0$** with an $x_0$-free slope
# $-\lambda\Theta_t/\Sigma_t^2$. Averaging over $x_0\mid x_t$ therefore gives
# $E[v(x\mid x_0)\mid x_t = x] = v(x\mid E[x_0\mid x_t = x])$: with the MMSE prediction $\hat x_0$ the PF-ODE
# transports the *marginal* $p(x_t\mid\mu)$ exactly between any two times strictly inside the bridge (the
# flow-matching argument, `docs/theory.md` eq. 7.3), modulation notwithstanding. **Caveat at the pinned end:** at
# $t_T$ every path sits at $\mu$, the ODE is singular there and its solution through $x_T = \mu$ is not unique; a
# deterministic sampler started at $x_T = \mu$ returns *one* output per $\mu$ and cannot reproduce the spread of
# $p(x_0\mid\mu)$ (notebook 02c, section 1, shows which solution it picks; notebook 04 shows it on paths;
# `docs/theory.md` §7). The averaging argument does not carry over to the stochastic reverse SDE: its noise
# amplitude $\sqrt{2\lambda}|\pi|$ depends on $x_0$, and not affinely, so the $\eta > 0$ samplers use $|\hat\pi|$,
# an approximation (notebook 10 measures the bias it causes).

# %% tags=["nbval-check-output"]
assert reverse.check_pf_velocity_affine_in_x0() == 0
print(reverse.check_pf_velocity_affine_in_x0())

# %% [markdown]
# ## 4. Near the pinned end
#
# Near $T$ both the forward drift's factor $\coth d$ and the score factor $\lambda/\Sigma_t^2$ blow up like $1/d$
# ($d = \bar\theta_{t:T}$). The leading coefficients, as limits:

# %%
show(r"\lim_{d\to0} d\,\coth d", sp.limit(d * sp.coth(d), d, 0))
show(r"\Sigma_t^2", family.Sigma2(c - d, c))
show(r"\lim_{d\to0} d\,\frac{\lambda}{\Sigma_t^2}", sp.limit(d * lam / family.Sigma2(c - d, c), d, 0))

# %% tags=["nbval-check-output"]
assert reverse.check_near_T_terms() == 0
print(reverse.check_near_T_terms())

# %% [markdown]
# Along a bridge path the two $1/d$ terms cancel and the velocity grows only like $d^{-1/2}$, which is integrable:
# a path leaves $\mu$ with a vertical tangent ($x - \mu$ grows like $\sqrt d$) but travels a finite distance. (Its
# coefficient is exercise 02b.2.) Near $t_T$ a fixed step in $t$ is nevertheless stiff for an explicit solver:
# notebook 02c shows Euler's error there.

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/02b_reverse_sde_and_pf_ode_solutions.ipynb`.
#
# **02b.1 (derive).** The probability-flow ODE per unit clock is $dx/du = f - \tfrac12 g^2\,\partial_x\log q$ with
# $f = \coth(\bar\theta_{t:T})(\mu - x)$, $g^2 = 2\lambda\hat\pi^2$ and
# $q = \mathcal N(\mu + \Theta_t\hat\pi,\ \Sigma_t^2\hat\pi^2)$ ($x_0$ replaced by $\mu + \hat\pi$). Derive the
# velocity: a SymPy expression in `x`, `mu`, `pihat`, `u`, `c` and `lam` (`family.Theta(u, c)` and
# `family.Sigma2(u, c)` may be used).

# %%
from derivations.common import mu, pihat, u, x

from rdbm_course.exercises import check

answer_02b_1 = ...  # a SymPy expression in x, mu, pihat, u, c and lam
check("02b.1", answer_02b_1)

# %% [markdown]
# **02b.2 (derive).** Put the velocity of 02b.1 on a bridge path with the true $x_0$ ($\hat\pi = \pi$):
# $x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ for a fixed $\epsilon$, at $u = c - d$. Derive the limit of
# $\sqrt{d}\;dx/du$ as $d \to 0$: a SymPy expression in `lam`, `pi` and `eps`.

# %%
from derivations.common import eps

answer_02b_2 = ...  # a SymPy expression in lam, pi and eps
check("02b.2", answer_02b_2)

# %% [markdown]
# **02b.3 (implement).** Write the drift of the reverse-time SDE per unit clock, for images:
# `reverse_sde_drift(path, x, x0_hat, mu, t)` returns $dx/du$ (a tensor shaped like `x`) at an integer grid time `t`
# (a 0-dim tensor) strictly between the clean end and $t_T$, with $x_0$ replaced by the prediction `x0_hat`.
# `path.coefficients(t)` returns $(\Theta_t, \Psi_t, \Sigma_t)$, `path.lam` is $\lambda$ and
# `path.schedule.clock_to_end(t)` is $\bar\theta_{t:T}$. It is checked against the library on a batch in which a
# third of the pixels are intact ($\hat x_0 = \mu$, and $x = \mu$ there): your drift must be finite at them.

# %%
answer_02b_3 = ...  # a function reverse_sde_drift(path, x, x0_hat, mu, t) -> dx/du
check("02b.3", answer_02b_3)
