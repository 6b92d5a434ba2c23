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
# `docs/theory.md` §1–5 (read §6–7 *after* this notebook: they state the results of exercises 02b.1 and 02b.2). The
# reverse-time SDE of Anderson (drift $f - g^2\,\partial_x\log q$) and the probability-flow ODE (velocity
# $f - \tfrac12 g^2\,\partial_x\log q$), as in score-based diffusion models. Same symbols as 02a: the clock
# $u = \bar\theta_t$, $c = \bar\theta_T$ and the clock still to go $\bar\theta_{t:T} = c - u$ (the code's symbol `d`;
# the notebooks keep the letter $d$ for differentials, $dx$, $du$).
#
# Wall time: about 12 s on a 2-core CPU shared with other jobs (this notebook has no fast mode;
# `benchmarks/notebook_times.py`). Times $t$ are grid indices of the reference grid: $t_T = 99$ is the pinned end (`docs/theory.md` eq. 10.2),
# "grid index 0" the last time before the clean end, which sits at index $-1$.

# %%
import matplotlib.pyplot as plt
import sympy as sp
import torch

from derivations import family, reverse
from derivations.common import c, d, lam, mu, pi, readable, u, x
from rdbm_core.bridge import bridges, samplers
from rdbm_course.mathshow import confirm, limit, show, vanishes, vanishes_by_powers

# %% [markdown]
# ## 0. The picture first: two ways back from $\mu$
#
# One degraded pixel ($x_0 = 0.6$, $\mu = -0.2$, $\lambda = 0.1$ on the reference grid, as in 02a's posterior
# picture), with the clean value known to the sampler (an *oracle*; a trained network replaces it in notebook 06).
# The grey shade is the forward marginal $q(x_t\mid x_0)$ of 02a (divided by its value at each time's mean); sampling
# runs from $t_T$ on the left to the clean end on the right. **Left:** the reverse-time SDE, simulated with
# Euler–Maruyama on every grid time from $x_T = \mu$ (the first step, out of the pinned point where the drift is
# infinite, is the posterior step of 02a): random paths that fan out and come back to $x_0$; six of the 4000 simulated
# paths are drawn. **Right:** the probability-flow ODE, integrated from $t = 60$ from five starting points at
# $-2, -1, 0, 1, 2$ standard deviations of the marginal (60 Heun steps down to grid index 0, then one last step to the
# clean end, which returns the oracle's $\hat x_0 = x_0$: that the paths end at $x_0$ holds by construction, and the
# SDE's grid ends with the same step): deterministic paths that never cross, each keeping its place in the
# distribution.

# %%
pixel_path = bridges.rdbm(lam=0.1)
x0_px, mu_px = 0.6, -0.2
times = pixel_path.schedule.times()
one = torch.ones(len(times), dtype=torch.float64)
mean_t, std_t = pixel_path.mean(x0_px * one, mu_px * one, times), pixel_path.std(x0_px * one, mu_px * one, times)
xg = torch.linspace(-0.9, 1.1, 301, dtype=torch.float64)
density = torch.exp(-(xg[:, None] - mean_t) ** 2 / (2 * std_t.clamp_min(2e-3) ** 2))  # 1 at each column's mean

n_sde, n_ode = 4000, 5
x0_row = torch.full((1, n_sde), x0_px, dtype=torch.float64)
mu_row = torch.full((1, n_sde), mu_px, dtype=torch.float64)
oracle_px = samplers.Denoiser(lambda x_t, m, t: torch.full_like(x_t, x0_px), clamp=False)
t_clean = pixel_path.schedule.t_clean  # -1
# every grid time from t_T down to grid index 0, then the last step to the clean end (it returns x0_hat = x0)
sde_grid = torch.cat([torch.arange(pixel_path.schedule.t_T, -1, -1), torch.tensor([t_clean])])
sde_run = samplers.Trajectory()
samplers.sample_euler_maruyama(oracle_px, mu_row, pixel_path, sde_grid, callback=sde_run,
                               generator=torch.Generator().manual_seed(0))
t_start = 60
ode_grid = torch.cat([torch.arange(t_start, -1, -1), torch.tensor([t_clean])])
quantiles = torch.linspace(-2.0, 2.0, n_ode, dtype=torch.float64)[None]
x_start = (pixel_path.mean(x0_row[:, :n_ode], mu_row[:, :n_ode], t_start)
           + quantiles * pixel_path.std(x0_row[:, :n_ode], mu_row[:, :n_ode], t_start))
ode_run = samplers.Trajectory()
samplers.sample_heun(oracle_px, mu_row[:, :n_ode], pixel_path, ode_grid, x_T=x_start, callback=ode_run)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), sharey=True, layout="constrained")
for ax in axes:
    shade = ax.pcolormesh(times, xg, density, cmap="Greys", shading="auto", vmin=0, vmax=1)
    ax.plot([-1], [x0_px], "o", color="orange", ms=7, label=r"$x_0$ (clean end)", zorder=5)
    ax.set_xlim(float(times.max()), -3)  # inverted, from t_T = 99: sampling runs left to right; room for x0 at -1
    ax.set_xlabel("grid time $t$ (reference grid index; sampling runs left to right)")
sde_t = torch.stack([torch.as_tensor(t) for t in sde_run.t])
sde_x = torch.stack(sde_run.x)[:, 0]  # [time, path]
axes[0].plot(sde_t, sde_x[:, :6], color="C0", lw=0.9)
axes[0].plot([], [], color="C0", lw=0.9, label="reverse-SDE paths (6 of 4000)")
axes[0].set_title(r"reverse-time SDE from $x_T = \mu$", fontsize=10)
ode_t = torch.stack([torch.as_tensor(t) for t in ode_run.t])
ode_x = torch.stack(ode_run.x)[:, 0]
colours = plt.cm.viridis(torch.linspace(0, 0.9, n_ode).numpy())
for k in range(n_ode):
    axes[1].plot(ode_t, ode_x[:, k], color=colours[k], lw=1.3, label=rf"start at mean ${float(quantiles[0, k]):+.0f}$ std")
axes[1].set_title(rf"probability-flow ODE from $t = {t_start}$", fontsize=10)
axes[0].set_ylabel(r"pixel value ($[-1, 1]$ scale)")
axes[0].legend(fontsize=8, loc="lower right")
axes[1].legend(fontsize=8, loc="lower right")
fig.colorbar(shade, ax=axes, label=r"$q(x_t \mid x_0)$ / its value at the mean", shrink=0.9)
plt.show()
assert int(times.max()) == 99 and int(sde_t[-1]) == int(ode_t[-1]) == t_clean
assert bool((sde_x[-1] == x0_px).all() and (ode_x[-1] == x0_px).all())  # the last step returns x0_hat = x0

# %% [markdown]
# How far the two samplers are from the forward marginal, measured (the oracle knows $x_0$, so any gap is the
# samplers' own): the reverse-SDE paths' spread against the marginal's standard deviation at several times, and the
# ODE paths' places in the distribution ($(x - \text{mean})/\text{std}$ at each time; the exact flow keeps them at
# $-2, \dots, 2$). To tell the discretisation from the equations, the same runs are repeated on grids four and sixteen
# times finer (`bridges.rdbm(n=400)`, `bridges.rdbm(n=1600)`: the same cosine schedule with 400 and 1600 steps) and
# compared at the grid times whose clock values match those of reference indices 90, 10 and 0. (The finer grids'
# last clock jump of 0.999 sits on a longer clock, so their $\bar\theta_T$ is larger; near the clean end, where the
# gaps are, the bridges barely differ.)

# %%
spread = {}
for t_show in (90, 60, 40, 20, 10, 5, 1, 0):
    k = int((sde_t == t_show).nonzero()[0, 0])
    spread[t_show] = (float(sde_x[k].std()), float(std_t[times == t_show][0]))
print("reverse SDE, std of 4000 paths / std of the marginal:",
      ", ".join(f"t = {t}: {s / m:.2f}" for t, (s, m) in spread.items()))
rel_se = 1 / (2 * (n_sde - 1)) ** 0.5  # standard error of a sample std, relative to it (Gaussian paths)
print(f"  (the standard error of such a ratio, from 4000 paths: about {rel_se:.3f}, i.e. {100 * rel_se:.1f} %)")
print(f"at grid index 0, the last time before the clean point: paths {spread[0][0]:.4f}, marginal {spread[0][1]:.4f}")
middle = [s / m for t, (s, m) in spread.items() if 10 <= t <= 90]
assert all(1.015 < r < 1.085 for r in middle)  # 1.02-1.08: within 10 %, but above 1 by more than 1 standard error
assert 1.4 < spread[0][0] / spread[0][1] < 1.7  # the coarse last steps widen the end spread: about 1.5 times
inside = ode_t >= 0  # the ODE's times before its last step to the clean end
idx = (ode_t[inside] + 1).long()  # position of each ODE time in `times` (which starts at the clean index -1)
ode_z = (ode_x[inside] - mean_t[idx][:, None]) / std_t[idx][:, None]
late = ode_t[inside] >= 5
print(f"ODE paths: their places (x - mean) / std stay within {float((ode_z[late] - quantiles).abs().max()):.3f} of "
      f"-2, -1, 0, 1, 2 down to t = 5; at grid index 0 the outer two sit at {float(ode_z[-1, 0]):.2f} and "
      f"{float(ode_z[-1, -1]):+.2f}")
assert float((ode_z[late] - quantiles).abs().max()) < 0.02
assert 1.65 < float(ode_z[-1, -1]) < 1.8 and 1.65 < -float(ode_z[-1, 0]) < 1.8  # Heun's last steps: about 1.7
assert bool((ode_x[inside].diff(dim=1) > 0).all())  # ordered at every time before the clean end: they never cross

# %% [markdown]
# The same two measurements on the finer grids, compared at the grid times whose clocks are closest to those of
# reference indices 90, 10 and 0. Two helpers, one per sampler: `sde_spread` returns the reverse-SDE spread over the
# marginal's standard deviation at those times, `ode_places` the places of the ODE paths started at $\pm 2$ standard
# deviations, at the time of reference index 0:

# %%
CLOCKS = {t_: float(pixel_path.schedule.clock(torch.tensor(t_))) for t_ in (90, 10, 0)}  # the reference grid's


def nearest(path, clock):
    """The index of `path`'s grid whose clock is closest to `clock`."""
    ts_ = path.schedule.times()[1:]  # without the clean end
    return int(ts_[(path.schedule.clock(ts_) - clock).abs().argmin()])


def sde_spread(path):
    """Reverse SDE on every time of `path`'s grid: at the times whose clocks are closest to those of reference indices
    90, 10 and 0, the paths' spread / the marginal's std; and the largest relative mismatch of those clocks."""
    run = samplers.Trajectory()
    samplers.sample_euler_maruyama(oracle_px, mu_row, path, torch.arange(path.schedule.t_T, -1, -1), callback=run,
                                   generator=torch.Generator().manual_seed(0))
    run_t, run_x = torch.stack([torch.as_tensor(t) for t in run.t]), torch.stack(run.x)[:, 0]
    ratios, mismatch = {}, 0.0
    for t_ref, clock in CLOCKS.items():
        t_ = nearest(path, clock)
        mismatch = max(mismatch, abs(float(path.schedule.clock(torch.tensor(t_))) / clock - 1))
        paths_std = run_x[int((run_t == t_).nonzero()[0, 0])].std()
        ratios[t_ref] = float(paths_std / path.std(x0_row[:, :1], mu_row[:, :1], torch.tensor(t_)))
    return ratios, mismatch


def ode_places(path):
    """Heun on the PF-ODE from the time closest to reference index 60, started at -2 and +2 std: the two paths'
    places (x - mean) / std at the time closest to reference index 0."""
    t0 = nearest(path, float(pixel_path.schedule.clock(torch.tensor(t_start))))
    t_end = torch.tensor(nearest(path, CLOCKS[0]))
    x0_2, mu_2 = x0_row[:, :2], mu_row[:, :2]
    start = path.mean(x0_2, mu_2, t0) + torch.tensor([[-2.0, 2.0]], dtype=torch.float64) * path.std(x0_2, mu_2, t0)
    flow = samplers.Trajectory()
    samplers.sample_heun(oracle_px, mu_2, path, torch.arange(t0, int(t_end) - 1, -1), x_T=start, callback=flow)
    places = ((flow.x[-1] - path.mean(x0_2, mu_2, t_end)) / path.std(x0_2, mu_2, t_end))[0]
    return float(places[0]), float(places[1])


def end_gaps(path):
    """(SDE spread ratios, ODE places, clock mismatch, terminal clock) on `path`'s grid."""
    ratios, mismatch = sde_spread(path)
    return ratios, ode_places(path), mismatch, float(path.schedule.clock(path.schedule.t_T))


# %%
grids = {n: end_gaps(pixel_path if n == 100 else bridges.rdbm(n=n, lam=0.1)) for n in (100, 400, 1600)}
print("compared at equal clock values (those of reference indices 90, 10 and 0):")
for n, (ratios, places, mismatch, c_n) in grids.items():
    print(f"  N = {n:4d}: SDE spread / marginal std " + ", ".join(f"{r:.3f}" for r in ratios.values())
          + f"; ODE paths from -2 and +2 std end at {places[0]:+.2f} and {places[1]:+.2f} std"
          + f" (clocks matched to {100 * mismatch:.1f} %; terminal clock {c_n:.1f})")
assert all(g[2] < 0.05 for g in grids.values())  # compared at (nearly) equal clock values
# each gap shrinks from N = 100 to N = 400, and on N = 1600 it is within 3 standard errors (SDE) or 0.02 (ODE)
gaps = {n: [abs(r - 1) for r in g[0].values()] + [abs(abs(p) - 2) for p in g[1]] for n, g in grids.items()}
assert all(g100 > g400 for g100, g400 in zip(gaps[100], gaps[400]))
assert all(g < 3 * rel_se for g in gaps[1600][:3]) and all(g < 0.02 for g in gaps[1600][3:])
assert all(abs(r - 1) < 0.02 for n in (400, 1600) for r in list(grids[n][0].values())[:2])  # 90 and 10: within 2 %
assert abs(grids[400][0][0] - 1.1) < 0.03  # at reference index 0's clock, N = 400: about 1.1

# %% [markdown]
# So between $t = 90$ and $t = 10$ the reverse-SDE paths' spread is within 10 % of the marginal's standard deviation,
# but not equal to it: the ratios of 1.02–1.08 are systematic (the printed standard error is about 1 %), and on the
# finer grids they fall to within 2 % of 1. Over the last few grid steps Euler–Maruyama's steps are coarse compared
# with the marginal, which shrinks to 0 at the clean end: at grid index 0 the paths' spread is about 1.5 times the
# marginal's; at the same clock value it is about 1.1 times on the four-times-finer grid and within 3 standard errors
# of 1 on the sixteen-times-finer one. The ODE paths keep their places in the distribution to within 0.02 standard
# deviations down to $t = 5$; over the last steps Heun's method pulls the outer ones in (at grid index 0 the paths
# started at $\pm 2$ std sit at about $\pm 1.7$ std; at the same clock value about $\pm 1.99$ and $\pm 2.00$ on the finer
# grids). Every gap shrinks when the grid is refined: they are the discretisation's, not the equations'. The last
# step of both samplers, to the clean end, returns the oracle's $\hat x_0 = x_0$. What makes both samplers possible
# is the score of the marginal: the SDE's drift
# is the forward drift minus the full $g^2\,\partial_x\log q$ and it keeps injecting noise, the ODE subtracts half of
# it and injects none. The sections below set up the log-density (section 1), which you differentiate in exercise 02b.1
# right after it; then they derive the score from it and check the cancellation of $\pi$ (section 2), show step by step that both dynamics
# have the bridge's marginals (section 3), what happens when the network's $\hat x_0$ replaces $x_0$ (section 4), and
# look at the singular end $t_T$ (section 5). Notebook 02c solves the ODE in closed form: that is RDBM's sampler.
#
# **Two diffusion coefficients.** Per unit clock $u$ the bridge's noise is $g^2 = 2\lambda\pi^2$; per unit time $t$
# it is $g_t^2 = \theta_t g^2 = 2\lambda\theta_t\pi^2$ (since $du = \theta_t\,dt$). The exercises work per unit clock.
#
# ## 1. The log-density of the marginal
#
# The marginal of 02a as a log-density in $x = x_t$, up to a constant free of $x$:

# %%
show(r"\log q(x_t = x \mid x_0)",
     sp.latex(-(x - family.bridge_mean(u, c)) ** 2 / (2 * family.Sigma2(u, c) * pi ** 2)) + r" + \text{const}")

# %% [markdown]
# ## Exercise 02b.1 — the score and the probability-flow velocity
#
# Before the notebook differentiates the log-density above, do it yourself. Checked by `check` from
# `rdbm_course.exercises`: it says what is wrong and gives a hint, never the answer. Worked solutions:
# `solutions/02b_reverse_sde_and_pf_ode_solutions.ipynb`. This *derive* exercise is graded on your **steps**: hand in
# a `dict` of SymPy expressions, one per step (a final formula alone is refused).
#
# **02b.1 (derive).** The probability-flow ODE per unit clock is $dx/du = f - \tfrac12 g^2\,\partial_x\log q$ with
# $f = \coth(\bar\theta_{t:T})(\mu - x)$, $g^2 = 2\lambda\hat\pi^2$ (per unit clock, not $g_t^2$) and
# $q = \mathcal N(\mu + \Theta_t\hat\pi,\ \Sigma_t^2\hat\pi^2)$ ($x_0$ replaced by $\mu + \hat\pi$). Derive the
# velocity, with `x`, `mu`, `pihat`, `u` $= \bar\theta_t$, `c` $= \bar\theta_T$ and `lam` (`family.Theta(u, c)` and
# `family.Sigma2(u, c)` may be used), in two steps:
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
# The score, differentiated from the log-density of section 1 (with the true $\pi$; your 02b.1 has $\hat\pi$):

# %%
score = reverse.score()
show(r"\partial_x\log q", sp.simplify(score))
vanishes(r"\partial_x\log q + \frac{x - \mu - \Theta_t\pi}{\Sigma_t^2\pi^2}",
         score + (x - mu - family.Theta(u, c) * pi) / (family.Sigma2(u, c) * pi ** 2))

# %% [markdown]
# It divides by $\pi^2$, so it is undefined at an intact pixel. But it only ever appears multiplied by the squared
# diffusion coefficient, per unit time $g_t^2 = 2\lambda\theta_t\pi^2$, and the $\pi^2$ cancels. Written as one
# fraction in $e^{\bar\theta_t}$ and $e^{\bar\theta_T}$, the product $g_t^2\,\partial_x\log q$ has a denominator free
# of $\pi$, and it is linear in $\pi$ (its second $\pi$-derivative vanishes): it is finite for every $\pi$, $\pi = 0$
# included.

# %%
gt2_score = readable(2 * lam * reverse.theta * pi ** 2 * score)  # per unit time: theta_t times 02b.1's g2_score
show(r"g_t^2\,\partial_x\log q", gt2_score)
show(r"\text{denominator of } g_t^2\,\partial_x\log q", sp.denom(gt2_score))
assert pi not in sp.denom(gt2_score).free_symbols
vanishes(r"\partial_\pi^2\big(g_t^2\,\partial_x\log q\big)", sp.diff(gt2_score, pi, 2))
confirm(reverse, "check_score_term_free_of_pi_division")  # the derivations package's statement of the same

# %% [markdown]
# ## 3. The reverse SDE and the probability-flow ODE keep the bridge's marginals
#
# Because the diffusion coefficient $\sqrt{2\lambda}\,\pi$ depends on $x_0$, the reverse SDE and PF-ODE are exact
# for the conditional path ($x_0$ given); the sampler puts $\hat x_0$ both into $g$ and into the score, and
# $\hat\pi^2$ cancels. The velocity of 02b.1 with $\hat\pi = \pi$ is
# $v = \coth(\bar\theta_{t:T})(\mu - x) + \lambda(x - \mu - \Theta_t\pi)/\Sigma_t^2$ (checked against the library's
# `family.pf_velocity` below). Write $L = \log q$ (its constant does not matter: only derivatives enter), with
# subscripts for partial derivatives.
#
# (i) The probability flow transports $q$: the continuity equation $\partial_u q + \partial_x(vq) = 0$, divided by
# $q$, reads $L_u + v_x + vL_x = 0$.
#
# (ii) The reverse-time SDE has $q$ as its marginal: in the reversed clock $\tilde u = -u$ (it runs from $-c$ at $t_T$
# up to 0 at the clean end) it has the drift $-F_{\rm rev} = -(f - g^2\partial_x\log q)$ and the diffusion
# $g^2 = 2\lambda\pi^2$, so its Fokker–Planck equation, divided by $q$, reads
# $L_{\tilde u} - \partial_x F_{\rm rev} - F_{\rm rev} L_x - \lambda\pi^2(L_{xx} + L_x^2) = 0$ (evaluated at
# $\tilde u = -u$, where $L_{\tilde u} = -L_u$).

# %%
from derivations.common import fokker_planck_residual, x0, zero

velocity = family.bridge_drift(u, c) + lam * (x - mu - family.Theta(u, c) * pi) / family.Sigma2(u, c)
vanishes(r"v - \big(f - \tfrac12 g^2\,\partial_x\log q\big)", velocity - (family.bridge_drift(u, c)
                                                                        - lam * pi ** 2 * score))
vanishes(r"v - \texttt{family.pf\_velocity}", velocity - family.pf_velocity(x, u, c, pi))
L = reverse.log_q()
L_x = sp.diff(L, x)
assert zero(fokker_planck_residual(L, x, u, velocity, 0) - (sp.diff(L, u) + sp.diff(velocity, x) + velocity * L_x)) == 0
vanishes_by_powers(r"L_u + v_x + v L_x", {"L_u": sp.diff(L, u), "v_x": sp.diff(velocity, x), "v L_x": velocity * L_x},
                   x, family.bridge_mean(u, c), "(x - M)")
u_rev = sp.Symbol(r"\tilde{u}")  # the reversed clock -u
F_rev = family.bridge_drift(u, c) - 2 * lam * pi ** 2 * score
reverse_parts = {r"L_{\tilde u}": -sp.diff(L, u), r"-\partial_x F_{\rm rev}": -sp.diff(F_rev, x), r"-F_{\rm rev} L_x": -F_rev * L_x,
                 r"-\lambda\pi^2(L_{xx} + L_x^2)": -lam * pi ** 2 * (sp.diff(L_x, x) + L_x ** 2)}  # L_u~ = -L_u
assert zero(sum(reverse_parts.values()) - fokker_planck_residual(
    L.subs(u, -u_rev), x, u_rev, -F_rev.subs(u, -u_rev), lam * pi ** 2).subs(u_rev, -u)) == 0
vanishes_by_powers(r"L_{\tilde u} - \partial_x F_{\rm rev} - F_{\rm rev} L_x - \lambda\pi^2(L_{xx} + L_x^2)\,\big|_{\tilde u = -u}",
                   reverse_parts, x, family.bridge_mean(u, c), "(x - M)")
confirm(reverse, "check_reverse_sde", "check_pf_ode_continuity", "check_pf_ode_x0hat_form")

# %% [markdown]
# ## 4. With a predicted $\hat x_0$: exact between interior times, one output from the pinned end
#
# After the cancellation the conditional velocity is **affine in $x_0$** ($\pi = x_0 - \mu$ in $g$ *and* in the
# score) with a slope that does not depend on $x_0$:

# %%
v_x0 = velocity.subs(pi, x0 - mu)
vanishes(r"\partial_{x_0}^2 v", sp.diff(v_x0, x0, 2))
vanishes(r"\partial_{x_0} v + \frac{\lambda\,\Theta_t}{\Sigma_t^2}",
         sp.diff(v_x0, x0) + lam * family.Theta(u, c) / family.Sigma2(u, c))
confirm(reverse, "check_pf_velocity_affine_in_x0")

# %% [markdown]
# Averaging over $x_0\mid x_t$ therefore gives $E[v(x\mid x_0)\mid x_t = x] = v(x\mid E[x_0\mid x_t = x])$, and the
# conditional flows, which each transport their $q(x_t\mid x_0)$ (section 3), average to a flow that transports the
# mixture $q(x_t\mid\mu)$: with the MMSE prediction $\hat x_0$ the PF-ODE transports the *marginal* exactly between
# any two times strictly inside the bridge (the flow-matching argument), modulation notwithstanding. This is a
# derivation, not a measurement: the oracle of section 0 knows $x_0$ and tests only the conditional flow; notebook 10
# integrates the marginal flow with the exact MMSE predictor of a two-mode toy.
# **Caveat at the pinned end:** at $t_T$ every path sits at $\mu$, the ODE is singular there and its solution through
# $x_T = \mu$ is not unique; a deterministic sampler started at $x_T = \mu$ returns *one* output per $\mu$ and cannot
# reproduce the spread of $p_{\rm data}(x_0\mid\mu)$ (notebook 02c, section 1, shows which solution it picks; notebook
# 04 shows it on paths). The averaging argument does not carry over to the stochastic reverse SDE: its noise
# amplitude $\sqrt{2\lambda}|\pi|$ depends on $x_0$, and not affinely, so the stochastic samplers (Euler–Maruyama here,
# and 02c's stochastic implicit steps) use $|\hat\pi|$, an
# approximation (notebook 10 measures the bias it causes).
#
# ## 5. Near the pinned end
#
# Near $T$ both the forward drift's factor $\coth\bar\theta_{t:T}$ and the score factor $\lambda/\Sigma_t^2$ blow up
# like $1/\bar\theta_{t:T}$. Their leading coefficients, as limits:

# %%
limit(d * sp.coth(d), d, 0, 1, lhs=r"\lim_{\bar\theta_{t:T}\to0} \bar\theta_{t:T}\coth\bar\theta_{t:T}")
show(r"\Sigma_t^2\big|_{\bar\theta_t = c - \bar\theta_{t:T}}", family.Sigma2(c - d, c))
limit(d * lam / family.Sigma2(c - d, c), d, 0, sp.Rational(1, 2),
      lhs=r"\lim_{\bar\theta_{t:T}\to0} \bar\theta_{t:T}\,\frac{\lambda}{\Sigma_t^2}")
confirm(reverse, "check_near_T_terms")

# %% [markdown]
# Along a bridge path the drift's $1/\bar\theta_{t:T}$ factor multiplies $x - \mu$ and the score's multiplies
# $x - \mu - \Theta_t\pi$; both are of order $\bar\theta_{t:T}^{1/2}$ there ($\Theta_t\pi$ is of order $\bar\theta_{t:T}$),
# and the velocity grows only like $\bar\theta_{t:T}^{-1/2}$, which is integrable: a path leaves $\mu$ with a vertical tangent but travels a finite
# distance. (Its coefficient is exercise 02b.2.) On the reference grid the blow-up itself is never sampled: the grid
# point nearest $t_T$ has $\coth\bar\theta_{t:T} \le 1.31$ (`docs/theory.md` §10), and the first step out of $t_T$ is the posterior
# or implicit step, not an explicit one. What costs an explicit solver accuracy is the size of its clock steps, at
# rates of order 1: notebook 02c measures Euler's error and how it shrinks on finer grids.

# %% [markdown]
# ## Exercises
#
# Checked like 02b.1 (worked solutions: `solutions/02b_reverse_sde_and_pf_ode_solutions.ipynb`).
#
# **02b.2 (derive).** Put your velocity of 02b.1 on a bridge path with the true $x_0$ ($\hat\pi = \pi$):
# $x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ for a fixed $\epsilon$, at $\bar\theta_t = c - \bar\theta_{t:T}$ (in SymPy,
# `c - d`, with the symbol `d` imported at the top). It splits into three
# parts: `v_mean`, the forward drift $f$ acting on the mean part $\Theta_t\pi$ of $x - \mu$; `v_noise`, $f$ acting on the
# noise part $\Sigma_t\pi\epsilon$; and `v_score`, the score term of your velocity. Hand in the limits as
# $\bar\theta_{t:T} \to 0$ of $\bar\theta_{t:T}^{1/2}$ times each part and of $\bar\theta_{t:T}^{1/2}\,v$, with `lam`,
# `pi` and `eps` (and `c` if you need it):
#
# - `"v_mean"`, `"v_noise"`, `"v_score"`: the limits of $\bar\theta_{t:T}^{1/2}$ times each part;
# - `"rate"`: $\lim_{\bar\theta_{t:T}\to0}\bar\theta_{t:T}^{1/2}\;dx/du$.

# %%
from derivations.common import eps

answer_02b_2 = ...  # {"v_mean": ..., "v_noise": ..., "v_score": ..., "rate": ...}
check("02b.2", answer_02b_2)

# %% [markdown]
# **02b.3 (implement).** Write the drift of the reverse-time SDE per unit clock, for images:
# `reverse_sde_drift(path, x, x0_hat, mu, t)` returns $dx/du$ (a tensor shaped like `x`) at an integer grid time `t`
# (a 0-dim tensor) strictly between the clean end and $t_T$, with $x_0$ replaced by the prediction `x0_hat`.
# `path.coefficients(t)` returns $(\Theta_t, \Psi_t, \Sigma_t)$ (with $\Psi_t = 1 - \Theta_t$ the weight of $\mu$, as in
# notebook 02a), `path.lam` is $\lambda$ and `path.schedule.clock_to_end(t)` is $\bar\theta_{t:T}$; the path's own
# `reverse_drift`, `velocity`, `score` and `posterior` are refused. **Sign convention:** return $F_{\rm rev}$, the drift
# in the direction of increasing clock; the sampler steps backwards with
# $x_s = x_t - \Delta u\,F_{\rm rev} + \sqrt{2\lambda\Delta u}\,|\hat\pi|\,z$, $\Delta u = \bar\theta_t - \bar\theta_s$.
# It is checked against the library on a batch in which a third of the pixels are intact ($\hat x_0 = \mu$, and
# $x = \mu$ there): your drift must be finite at them.

# %%
answer_02b_3 = ...  # a function reverse_sde_drift(path, x, x0_hat, mu, t) -> dx/du
check("02b.3", answer_02b_3)
