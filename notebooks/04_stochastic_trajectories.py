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
# # 04 — Stochastic trajectories: OU process, OU bridge, Brownian bridge and the residual bridge
#
# **What you will learn.** How the four processes behind IR-SDE, GOUB, BBDM and RDBM move probability
# mass between a clean value $x_0$ and its degraded partner $\mu$: their marginal densities over time,
# SDE sample paths and probability-flow (PF-ODE) paths — and how residual modulation gives each
# $x_0$ a noise level proportional to $|\pi| = |x_0 - \mu|$.
#
# **Prerequisites.** Notebooks 01–03 (the OU SDE, the marginal $x_t = \mu + \Theta_t\pi + \Sigma_t\,\nu(\pi)\,\epsilon$
# with the noise factor $\nu(\pi)$, the samplers) and `docs/theory.md` §1–8.
#
# Full-mode wall time: 34 s on a 2-core CPU (`FAST=1`: 19 s; `benchmarks/notebook_times.py`).

# %%
import math
import os

import matplotlib.pyplot as plt
from matplotlib import patheffects
import numpy as np
import torch

from rdbm_core.bridge.path import ResidualPath
from rdbm_core.bridge import bridges, samplers, schedules
from rdbm_course.trajectories_lesson import forward_em  # Euler-Maruyama on the forward SDE (section 3)

FAST = os.environ.get("FAST") == "1"
N_PATHS = 2_000 if FAST else 20_000  # Monte Carlo paths for the moment checks
N_STEPS = 200 if FAST else 1_000  # SDE steps on [0, T] (a multiple of 4: the check times lie on the grid)
N_ODE = 100 if FAST else 200  # PF-ODE steps (few paths)
DT = torch.float64
torch.set_num_threads(1)  # small tensors: one thread avoids the threading overhead (much faster on a busy 2-core CPU)

# %% [markdown]
# ## 1. One-dimensional data and the four processes
#
# The clean value $x_0$ comes from a two-mode Gaussian mixture (modes at −0.6 and +0.7, std 0.05,
# equal weights). Every $x_0$ is paired with the same degraded value $\mu = 0.4$ — think of a pixel
# whose degraded reading is 0.4 while its clean value is one of two very different ones. The residual
# $\pi = x_0 - \mu$ is then about **−1.0 for the lower mode and +0.3 for the upper one**.
#
# All four processes share the constant schedule $\theta_t = 3$ on $[0, T = 1]$, so the clock is
# $\bar\theta_t = 3t$ and $\bar\theta_T = 3$; the clock left until $T$ is $\bar\theta_{t:T} = \bar\theta_T - \bar\theta_t$.
# All four use $\lambda = 0.04$. For the free OU process (a), and for the OU process that (b) and (d) pin, it gives a
# stationary standard deviation of $\sqrt\lambda = 0.2$ (times $|\pi|$ under modulation); the bridges themselves
# have no stationary law, and for the Brownian bridge $\lambda$ is only a noise scale.
# Given $x_0$, each has the Gaussian marginal $x_t = \mu + \Theta_t\pi + \Sigma_t\,\nu(\pi)\,\epsilon$. The **noise
# factor** $\nu(\pi)$ (`path.noise_factor`) is $1$ under global noise and $\pi$ under residual modulation (RDBM),
# so the standard deviation of $x_t$ given $x_0$ is $\Sigma_t|\nu(\pi)|$ (`path.std`): under modulation the lower
# mode gets $1.0/0.3 \approx 3.3$ times more noise than the upper one. The processes differ only in what the titles name:
#
# | panel | process | library object |
# |---|---|---|
# | (a) | OU process, not pinned (IR-SDE) | `ResidualPath(sch, lam, noise="global", pinned=False)` |
# | (b) | OU bridge, global noise (GOUB) | `bridges.ou_bridge(sch, lam, noise="global")` |
# | (c) | Brownian bridge, global noise (BBDM-like) | `ResidualPath(sch, lam, noise="global", kind="brownian")` |
# | (d) | residual bridge (RDBM) | `bridges.ou_bridge(sch, lam, noise="modulated")` |

# %%
MODES, MODE_STD, MU = (-0.6, 0.7), 0.05, 0.4
THETA, T, LAM = 3.0, 1.0, 0.04
sch = schedules.continuous_constant(THETA, T=T)
PATHS = {  # short name -> process
    "(a) OU process": ResidualPath(sch, LAM, noise="global", pinned=False, name="ou"),
    "(b) OU bridge (GOUB)": bridges.ou_bridge(sch, LAM, noise="global", name="goub"),
    "(c) Brownian bridge": ResidualPath(sch, LAM, noise="global", kind="brownian", name="brownian"),
    "(d) residual bridge (RDBM)": bridges.ou_bridge(sch, LAM, noise="modulated", name="rdbm"),
}
TITLES = {
    "(a) OU process": "(a) OU process (IR-SDE): not pinned, global noise",
    "(b) OU bridge (GOUB)": "(b) OU bridge, global noise (GOUB)",
    "(c) Brownian bridge": "(c) Brownian bridge, global noise (BBDM-like)",
    "(d) residual bridge (RDBM)": r"(d) residual bridge (RDBM): noise $\propto |\pi|$",
}


def draw_x0(n, generator):
    """``n`` draws of the two-mode mixture, shaped [1, n] (one "image" of n pixels) and the mode of each."""
    upper = torch.rand(1, n, generator=generator, dtype=DT) < 0.5
    centre = torch.where(upper, MODES[1], MODES[0])
    return centre + MODE_STD * torch.randn(1, n, generator=generator, dtype=DT), upper


# %% tags=["nbval-check-output"]
for path in PATHS.values():
    print(path.describe())

# %% [markdown]
# Shapes: all paths are stored as **one sample of $n$ pixels**, `x0.shape == (1, n)`. Every library
# function is element-wise, so this is the same as $n$ separate one-pixel samples — but the time $t$
# is then one scalar per call instead of a vector of $n$ equal times, so the coefficients are
# computed once per step instead of once per path.

# %% [markdown]
# ## 2. The marginal density over time, from the closed form
#
# Given $x_0$, every process has the Gaussian marginal $\mathcal N\big(\texttt{path.mean}(x_0, \mu, t),\ \texttt{path.std}(x_0, \mu, t)^2\big)$.
# The marginal of each mode is the mixture of these over $x_0$, which we integrate by quadrature: nodes on a fine
# grid of $x_0$, weighted by the mode's Gaussian density at the node and normalised to sum to 1 (the weights do
# not use the node spacing, so the check below that each column integrates to 1 tests only that the $x$ grid is
# wide and fine enough). Where the standard deviation given $x_0$ is 0 (at $t = 0$ for every process, and at
# $t = T$ for the bridges) each node would contribute a spike; to draw the density we add $(\Delta x)^2$ to every
# variance, i.e. smooth it with a Gaussian of standard deviation $\Delta x$, the spacing of the $x$ grid (one pixel
# of the heat map).

# %%
X_GRID = torch.linspace(-2.0, 2.2, 561, dtype=DT)  # wide enough for every tail (mass check)
Y_LIM = (-0.95, 1.3)  # the part that is drawn
T_GRID = torch.linspace(0.0, T, 121, dtype=DT)
DX = float(X_GRID[1] - X_GRID[0])  # Delta x
X0_NODES = torch.linspace(-1.0, 1.1, 211, dtype=DT)[None]  # [1, J] quadrature nodes over x0
MODE_W = [torch.exp(-0.5 * ((X0_NODES - m) / MODE_STD) ** 2) for m in MODES]
MODE_W = [w / w.sum() for w in MODE_W]  # node weights of the lower and of the upper mode, each summing to 1


def mode_density(path, w):
    """p(x, t | mode) on X_GRID x T_GRID: the nodes' N(mean, std^2 + DX^2) weighted by w, from the library."""
    mu_nodes = torch.full_like(X0_NODES, MU)
    out = torch.empty(len(X_GRID), len(T_GRID), dtype=DT)
    for k, t in enumerate(T_GRID.tolist()):
        m = path.mean(X0_NODES, mu_nodes, t)
        var = path.std(X0_NODES, mu_nodes, t) ** 2 + DX ** 2
        out[:, k] = (w * torch.exp(-0.5 * (X_GRID[:, None] - m) ** 2 / var) / torch.sqrt(2 * math.pi * var)).sum(-1)
    return out


MODE_DENSITY = {name: [mode_density(path, w) for w in MODE_W] for name, path in PATHS.items()}  # [lower, upper]
DENSITY = {name: 0.5 * (low + up) for name, (low, up) in MODE_DENSITY.items()}  # equal mode weights
mass_err = max(float((torch.trapezoid(d, X_GRID, dim=0) - 1).abs().max())
               for pair in MODE_DENSITY.values() for d in pair)
print(f"largest |mass - 1| over every column of every mode's density: {mass_err:.1e}")
assert mass_err < 1e-6

# %% [markdown]
# ## 3. Simulating the processes
#
# **Forward SDE (solid paths).** In the clock $u = \bar\theta_t$ every process of the table solves
# $dx = f(x, u)\,du + \sqrt{2\lambda}\,\nu(\pi)\,dW_u$ (`docs/theory.md` (1.3), (3.5)–(3.7)).
# Here $f$ = `path.bridge_drift` is the drift per unit clock, and $W_u$ a Brownian motion run on the clock.
# For the unpinned process (a), $f$ is just the OU drift $\mu - x$.
# For the OU bridges it is $\coth(\bar\theta_{t:T})\,(\mu - x)$, for the Brownian bridge $(\mu - x)/\bar\theta_{t:T}$;
# both are infinite at $t = T$.
#
# We integrate from $x_0$ with Euler–Maruyama on a uniform grid of `N_STEPS` steps in the time $t$, with `forward_em`.
# Writing its step in $t$ is exercise 04.1. `forward_em` holds a working step (so that this notebook runs):
# do not open its source (`forward_em??`) before you have solved 04.1.
# The drift is evaluated at the left end of each step, so never at $t = T$.
# The simulated bridges still end next to $\mu$: the cell prints the standard deviation of $(x_T - \mu)/|\nu(\pi)|$,
# under 0.02 in full mode (asserted; appendix A, to read after exercise 04.1, explains its size).
#
# %%
CHECK_TIMES = (0.25, 0.5, 0.75)
N_SHOW = 10  # sample paths drawn per panel
gen = torch.Generator().manual_seed(2026)
X0, UPPER = draw_x0(N_PATHS, gen)
MU_T = torch.full_like(X0, MU)
assert X0.abs().max() < 1  # all clean values inside [-1, 1]
SIM = {}
for name, path in PATHS.items():
    fwd, shown, ts_fwd = forward_em(path, X0, MU_T, N_STEPS, CHECK_TIMES + (T,), N_SHOW, gen, T=T)
    SIM[name] = dict(fwd=fwd, shown=shown)

end_spread = {name[:3]: float(((SIM[name]["fwd"][T] - MU_T) / path.noise_factor(X0, MU_T).abs()).std())
              for name, path in PATHS.items() if path.pinned}
print("bridges: std of (x_T - mu) / |nu(pi)| of the forward paths:", {k: f"{v:.4f}" for k, v in end_spread.items()})
assert max(end_spread.values()) < (0.04 if FAST else 0.02)

# %% [markdown]
# **Reverse-time SDE (the generative direction).** The library's `sample_euler_maruyama` with the
# *oracle* model `lambda x, mu, t: x0` (each path knows its own $x_0$). It starts at $x_T = \mu$ for the
# bridges and at a closed-form draw $x_T \sim q(x_T \mid x_0)$ for the unpinned process.
# With the exact $x_0$ it is the time reversal of the forward process *given* $x_0$, so it must reproduce the
# same marginals. We keep only its values at $t = 0.25, 0.5, 0.75$: section 5 compares their marginals with the
# closed form (its paths are not drawn).

# %%
def reverse_em(path, x0, mu, n_steps, generator):
    """The library's reverse-time Euler-Maruyama sampler with the oracle, run in four segments
    T -> 0.75 -> 0.5 -> 0.25 -> 0 so that only the snapshots at CHECK_TIMES are kept in memory."""
    oracle = samplers.Denoiser(lambda x, mu_, t: x0, clamp=False)  # x0 as it is (all draws lie inside [-1, 1])
    x = mu.clone() if path.pinned else path.sample(x0, mu, T, generator=generator)
    snaps, bounds = {}, (T,) + tuple(sorted(CHECK_TIMES, reverse=True)) + (0.0,)
    for a, b in zip(bounds[:-1], bounds[1:]):
        ts = torch.linspace(a, b, n_steps // 4 + 1, dtype=DT)
        x = samplers.sample_euler_maruyama(oracle, mu, path, ts, x_T=x, generator=generator)
        if b > 0:
            snaps[b] = x.clone()
    return snaps, x


for name, path in PATHS.items():
    SIM[name]["rev"] = reverse_em(path, X0, MU_T, N_STEPS, gen)[0]  # the snapshots at CHECK_TIMES

# %% [markdown]
# ### PF-ODE paths with the oracle (dashed paths)
#
# `sample_heun` with the same oracle, `N_ODE` steps. For the unpinned process it starts from the same kind of
# closed-form draws $x_T \sim q(x_T \mid x_0)$ as above. For the bridges it starts at the pinned point $x_T = \mu$,
# where $\Sigma_T = 0$ and the ODE is singular: the sampler's first step is the implicit one (notebook 02c, section 1),
# which picks one of the ODE's solutions through $\mu$. There the noise estimate $(x_T - E[x_T \mid x_0])/\Sigma_T$
# is $0/0$; the step sets it to 0, so the path it picks is the mean curve $\mu + \Theta_t\pi$.
#
# Each dashed path follows its *own* ODE: the oracle's velocity uses that path's $x_0$. So the dashed paths may cross
# (they do in panel (a)). With one learned $\hat x_0(x, t)$ all paths would follow one ODE and could not cross.
#
# We compare Heun (second order) with the implicit sampler at $\eta = 0$, which is the *exact* PF-ODE
# solution for a fixed $\hat x_0$ (shown in notebook 02c, section 1; `docs/theory.md` (8.3)), on the same grid:
# for $t \ge 0.1$ they agree within $10^{-4}$ in full mode (asserted), and for the Brownian bridge (c) to rounding.
# Appendix B explains why the check leaves out $t < 0.1$.

# %%
N_ODE_PATHS = 6
X0_ODE = X0[:, :N_ODE_PATHS]
MU_ODE = MU_T[:, :N_ODE_PATHS]
ode_oracle = samplers.Denoiser(lambda x, mu_, t: X0_ODE, clamp=False)
ode_gen = torch.Generator().manual_seed(7)
XT_ODE = {name: MU_ODE.clone() if path.pinned else path.sample(X0_ODE, MU_ODE, T, generator=ode_gen)
          for name, path in PATHS.items()}


def pf_ode(path, x_T, n_steps, sampler=samplers.sample_heun, **kw):
    """PF-ODE path [n_steps + 1, paths] from x_T at T down to 0 with the oracle."""
    ts = torch.linspace(T, 0.0, n_steps + 1, dtype=DT)
    traj = samplers.Trajectory()
    sampler(ode_oracle, MU_ODE, path, ts, x_T=x_T, callback=traj, **kw)
    return ts, torch.cat(traj.x)


ODE_TOL = 1e-4 * (200 / N_ODE) ** 2  # Heun is second order: a bound that scales like 1/N^2 (1e-4 in full mode)
ODE, ode_err = {}, {}
for name, path in PATHS.items():
    TS_ODE, ODE[name] = pf_ode(path, XT_ODE[name], N_ODE)
    _, exact = pf_ode(path, XT_ODE[name], N_ODE, samplers.sample_implicit, eta=0.0)
    inner = TS_ODE >= 0.1
    ode_err[name] = float((ODE[name] - exact)[inner].abs().max())
print("largest |Heun - exact| for t >= 0.1:", {k[:3]: f"{v:.1e}" for k, v in ode_err.items()})
assert max(ode_err.values()) < ODE_TOL and ode_err["(c) Brownian bridge"] < 1e-12

# %% [markdown]
# ## 4. The picture
#
# Heat map: the density of each mode, $p(x, t \mid \text{mode})$, divided by its own maximum over $x$ at each $t$;
# where the two modes overlap the larger of the two is shown. (Normalising each column of the whole mixture instead
# would let the sharp upper mode of (d) wash out the lower one, and the spike at a bridge's end wash out the rest.)
# Solid lines: forward-SDE sample paths, coloured by the mode of their $x_0$. Dashed white lines (dark outline, drawn
# on top): six PF-ODE paths
# (Heun, oracle). In the bridges (b)–(d) each of them lies on its own $x_0$'s mean curve $\mu + \Theta_t\pi$, and
# the $x_0$ of one mode differ by less than 0.1 (printed and asserted below the figure), so the dashed paths of a
# bridge form two narrow bundles, one per mode. Dotted green line: $\mu$.

# %%
fig, axes = plt.subplots(2, 2, figsize=(12.5, 8.8), sharex=True, sharey=True, layout="constrained")
LOWER_C, UPPER_C = "#e65100", "#ad1457"  # path colours: lower mode (orange), upper mode (magenta)
colours = np.where(UPPER[0, :N_SHOW].numpy(), UPPER_C, LOWER_C)
ODE_OUTLINE = [patheffects.Stroke(linewidth=2.6, foreground="black"), patheffects.Normal()]  # PF-ODE: white, outlined
for ax, (name, path) in zip(axes.flat, PATHS.items()):
    low, up = MODE_DENSITY[name]
    shade = torch.maximum(low / low.max(0).values, up / up.max(0).values)
    im = ax.imshow(shade.numpy(), origin="lower", aspect="auto", cmap="Blues", vmin=0, vmax=1,
                   extent=[0, T, float(X_GRID[0]) - DX / 2, float(X_GRID[-1]) + DX / 2], interpolation="bilinear")
    shown = SIM[name]["shown"].numpy()
    for j in range(N_SHOW):
        ax.plot(ts_fwd.numpy(), shown[:, j], color=colours[j], lw=0.7, alpha=0.8, zorder=3)  # SDE paths on top
    ax.plot(TS_ODE.numpy(), ODE[name].numpy(), color="white", lw=1.5, ls="--", zorder=4, path_effects=ODE_OUTLINE)
    ax.axhline(MU, color="tab:green", lw=1.6, ls=":", zorder=5)
    ax.set_title(TITLES[name], fontsize=11)
    ax.set_ylim(*Y_LIM)
for ax in axes[1]:
    ax.set_xlabel(r"time $t$  ($t = 0$: clean $x_0$,  $t = T$: degraded $\mu$)")
for ax in axes[:, 0]:
    ax.set_ylabel("x")
handles = [plt.Line2D([], [], color=LOWER_C, lw=1.2, label=r"forward-SDE path, lower mode ($\pi\approx-1$)"),
           plt.Line2D([], [], color=UPPER_C, lw=1.2, label=r"forward-SDE path, upper mode ($\pi\approx+0.3$)"),
           plt.Line2D([], [], color="white", lw=1.5, ls="--", path_effects=ODE_OUTLINE,
                      label="PF-ODE path (Heun, oracle)"),
           plt.Line2D([], [], color="tab:green", lw=1.6, ls=":", label=r"$\mu = 0.4$")]
fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9)
fig.colorbar(im, ax=axes, shrink=0.6, pad=0.01, aspect=30, label=r"$p(x, t \mid \mathrm{mode})$ / its maximum over $x$")
fig.suptitle(r"Marginal density (closed form) with SDE and PF-ODE paths; $\theta = 3$, $\lambda = 0.04$, "
             r"$x_0 \sim$ two-mode mixture, $\mu = 0.4$", fontsize=12)
plt.show()

ode_upper = UPPER[0, :N_ODE_PATHS]
x0_gap = max(float(X0_ODE[0, m].max() - X0_ODE[0, m].min()) for m in (ode_upper, ~ode_upper))
print(f"PF-ODE paths: {int(ode_upper.sum())} from the upper mode, {int((~ode_upper).sum())} from the lower one;"
      f"  largest x0 gap within a mode {x0_gap:.3f}")
assert 0 < int(ode_upper.sum()) < N_ODE_PATHS and x0_gap < 0.1

# %% [markdown]
# What to see (each number is computed and asserted in the next cell, or in section 3 where it says so):
#
# * **(a) OU process.** Nothing pins the end. At $t = T$ the weight of $x_0$ is $\Theta_T = e^{-3} = 0.0498$, so
#   $x_T$ has almost forgotten $x_0$. Its spread is $\Sigma_T = \sqrt{\lambda(1 - e^{-6})} = 0.1998$, almost the full
#   stationary $\sqrt\lambda = 0.2$: this is the noisy start IR-SDE must draw from. Its PF-ODE paths start from such
#   noisy points.
# * **(b) OU bridge, (c) Brownian bridge.** Both are pinned: every path ends at $\mu$. The noise is the same for both
#   modes.
#   - Mean: the OU bridge moves it early. $\Theta_t = \sinh(3(1 - t))/\sinh 3$ falls almost like $e^{-3t}$ at first
#     (0.468 at $t = 0.25$, against $e^{-0.75} = 0.472$). The Brownian bridge moves it linearly: $\Theta_t = 1 - t$
#     (0.75 at $t = 0.25$).
#   - Variance: both are symmetric about $t = 1/2$ and 0 at both ends. The OU bridge's rises fast (0.0308 at
#     $t = 0.25$), stays flat around its maximum 0.0362 at $t = 1/2$ (below $\lambda = 0.04$), and falls back to 0
#     symmetrically. The Brownian bridge's,
#     $\Sigma_t^2 = 2\lambda\,\bar\theta_t\bar\theta_{t:T}/\bar\theta_T = 6\lambda\,t(1 - t)$, is a parabolic arch,
#     larger at every $0 < t < T$ (0.0450 at $t = 0.25$, 0.0600 at $t = 0.5$).
# * **(d) Residual bridge.** The same mean as (b), but the standard deviation is $\Sigma_t|\nu(\pi)| = \Sigma_t|\pi|$.
#   The lower mode ($|\pi| \approx 1$) spreads as much as in (b), the upper mode ($|\pi| \approx 0.3$) about 3.3
#   times less. An intact value, $x_0 = \mu$, stays at $\mu$ with no spread at all (notebook 05).
# * **PF-ODE.** For the bridges the dashed paths start at the pinned point, where $\Sigma_T = 0$. A deterministic
#   sampler has no noise to carry there. With the oracle's $x_0$ it follows the mean curve $\mu + \Theta_t\pi$ down to
#   that $x_0$. So, started at $\mu$, these paths do not reproduce the marginal $\mathcal N(\text{mean}, \Sigma_t^2\nu^2)$:
#   they carry none of its spread. The unpinned paths of (a) start from draws of $q(x_T \mid x_0)$, and so carry
#   the spread of the start.
# * **Learned predictor.** With a *learned* $\hat x_0 = E[x_0 \mid x_t, \mu]$, a deterministic bridge sampler started
#   at $x_T = \mu$ returns one value per $\mu$: it cannot split the point mass at $\mu$ into two modes. That is
#   acceptable only when $p(x_0 \mid \mu)$ is (nearly) one value. Here $\mu = 0.4$ has two very different clean
#   values, so it is not (notebook 10 shows it with a learned predictor). A bimodal answer needs noise: the reverse
#   SDE, or a stochastic sampler.

# %%
tg = T_GRID[1:-1]  # interior times
one = lambda v: torch.tensor([[v]], dtype=DT)  # noqa: E731  (a one-pixel tensor)
coef = {name: path.coefficients(T_GRID) for name, path in PATHS.items()}  # (Theta_t, weight of mu, Sigma_t)
th_a, _, sig_a = PATHS["(a) OU process"].coefficients(torch.tensor(T, dtype=DT))
th_b, _, sig_b = coef["(b) OU bridge (GOUB)"]
th_c, _, sig_c = coef["(c) Brownian bridge"]
clock_T = THETA * T  # thbar_T
var_c = lambda t: 2 * LAM * (THETA * t) * (THETA * (T - t)) / clock_T  # noqa: E731  (Brownian bridge)
assert abs(float(th_a) - math.exp(-clock_T)) < 1e-12
assert abs(float(sig_a) - math.sqrt(LAM * (1 - math.exp(-2 * clock_T)))) < 1e-12
assert torch.allclose(th_b, torch.sinh(THETA * (T - T_GRID)) / math.sinh(clock_T), rtol=0, atol=1e-12)
assert torch.allclose(th_c, 1 - T_GRID / T, rtol=0, atol=1e-12)
assert torch.allclose(sig_c ** 2, var_c(T_GRID), rtol=0, atol=1e-12)
for name in ("(b) OU bridge (GOUB)", "(c) Brownian bridge"):  # symmetric about t = 1/2
    assert torch.allclose(PATHS[name].coefficients(1 - T_GRID)[2], coef[name][2], rtol=0, atol=1e-12)
assert bool((var_c(tg) > sig_b[1:-1] ** 2).all()) and float((sig_b ** 2).max()) < LAM  # larger; below lam
rdbm = PATHS["(d) residual bridge (RDBM)"]
assert all(torch.equal(rdbm.mean(one(MU), one(MU), t), one(MU)) and float(rdbm.std(one(MU), one(MU), t)) == 0
           for t in T_GRID.tolist())  # an intact value: mean exactly mu, no spread
on_mean = max(float((ODE[name] - torch.cat([path.mean(X0_ODE, MU_ODE, t) for t in TS_ODE.tolist()])).abs().max())
              for name, path in PATHS.items() if path.pinned)
assert on_mean < ODE_TOL  # the bridges' PF-ODE paths from mu lie on the mean curve (up to Heun's error)
quarter, half = torch.tensor([0.25, 0.5], dtype=DT)
th_b_q = float(PATHS["(b) OU bridge (GOUB)"].coefficients(quarter)[0])
var_b = [float(PATHS["(b) OU bridge (GOUB)"].coefficients(t)[2]) ** 2 for t in (quarter, half)]
assert float((sig_b ** 2).max()) <= var_b[1] + 1e-12 and float(sig_b[0]) == 0 and abs(float(sig_b[-1])) < 1e-12
shown = {
    "(a) Theta_T": f"{float(th_a):.4f}", "(a) Sigma_T": f"{float(sig_a):.4f}",
    "Theta_0.25 OU bridge": f"{th_b_q:.3f}", "e^(-0.75)": f"{math.exp(-THETA * float(quarter)):.3f}",
    "Theta_0.25 Brownian": f"{float(PATHS['(c) Brownian bridge'].coefficients(quarter)[0]):.2f}",
    "Sigma_t^2 OU bridge, t = 0.25, 0.5": f"{var_b[0]:.4f}, {var_b[1]:.4f}",
    "Sigma_t^2 Brownian, t = 0.25, 0.5": f"{float(var_c(quarter)):.4f}, {float(var_c(half)):.4f}",
}
for k, v in shown.items():
    print(f"{k:<36}{v}")
print(f"bridges' PF-ODE paths from mu: largest distance to the mean curve {on_mean:.1e}")
assert list(shown.values()) == ["0.0498", "0.1998", "0.468", "0.472", "0.75", "0.0308, 0.0362", "0.0450, 0.0600"]

# %% [markdown]
# ## 5. Do the simulations have the closed-form marginals?
#
# At $t = 0.25, 0.5, 0.75$ we compare the mean and variance of the simulated values, forward and reverse, with the
# closed form. To remove the randomness of the $x_0$ draw itself we condition on the drawn $x_0$: the closed-form
# values are given the drawn $x_0$ (the same for both directions, which share the draw). The cell prints, per process
# and direction, the largest deviation (simulated minus closed form) in standard errors over the three times and the
# two moments. Every deviation is below 5 standard errors (asserted). Set `SHOW_TABLES = True` to print every row.
# The formulas of the closed form, the standard errors and the tolerance are in the note right after the cell.

# %%
BIAS = 3 * THETA * T / N_STEPS
if not FAST:
    assert abs(BIAS - 0.009) < 1e-15


def moment_check(path, xs, t):
    """Deviations of the simulated mean and variance from the closed form, in units of their standard errors:
    ``(deviations, passed, one printable row)``."""
    m, s = path.mean(X0, MU_T, t), path.std(X0, MU_T, t)
    n = m.numel()
    mean, var = m.mean(), (s ** 2).mean() + m.var(unbiased=False)
    se_m = torch.sqrt((s ** 2).sum()) / n
    se_v = torch.sqrt(4 * ((m - mean) ** 2 * s ** 2).sum() + 2 * (s ** 4).sum()) / n
    dm, dv = xs.mean() - mean, xs.var(unbiased=False) - var
    ok = bool(dm.abs() <= 5 * se_m + BIAS * var.sqrt()) and bool(dv.abs() <= 5 * se_v + BIAS * var)
    zm, zv = float(dm / se_m), float(dv / se_v)
    return (zm, zv), ok, f"cf mean {float(mean):.4f}, cf var {float(var):.5f}, dm/se {zm:.2f}, dv/se {zv:.2f}, {ok}"


SHOW_TABLES = False  # True: print every row (process, direction, time) of the two checks of this section


def deviation_table(check, what):
    """Run ``check`` on every process, direction and check time; print the largest |deviation| / se per process and
    direction (every row with ``SHOW_TABLES``); return whether every check passed and the largest deviation."""
    all_ok, z_max = True, 0.0
    print(f"{'process':<28}{'fwd':>8}{'rev':>8}   (largest |deviation| / se of {what}, t = 0.25, 0.5, 0.75)")
    for name, path in PATHS.items():
        worst = {}
        for direction in ("fwd", "rev"):
            for t in CHECK_TIMES:
                zs, ok, row = check(path, SIM[name][direction][t], t)
                all_ok, worst[direction] = all_ok and ok, max(worst.get(direction, 0.0), *map(abs, zs))
                if SHOW_TABLES:
                    print(f"    {direction} t = {t:.2f}: {row}")
        z_max = max(z_max, *worst.values())
        print(f"{name:<28}{worst['fwd']:>8.2f}{worst['rev']:>8.2f}")
    print(f"largest |deviation| / se: {z_max:.2f}")
    return all_ok, z_max


all_ok, z_max = deviation_table(moment_check, "mean and variance")
assert all_ok and z_max < 5

# %% [markdown]
# **Note: how the checks of this section are set (optional).** The formulas behind `moment_check` above and `pairing_check` below.
#
# Everything is given the drawn $x_0$, for the $n$ paths at one check time $t$:
#
# * closed form: with $m_i$ = `path.mean(x0_i, mu, t)` and $\sigma_i$ = `path.std(x0_i, mu, t)` for the $n$ paths,
#   the mean is $\bar m = \frac1n\sum_i m_i$ and the variance $\bar v = \frac1n\sum_i \sigma_i^2 + \frac1n\sum_i (m_i - \bar m)^2$;
# * standard errors (only the Brownian noise is random): $\mathrm{se}(\text{mean}) = \sqrt{\textstyle\sum_i \sigma_i^2}\,/\,n$,
#   $\mathrm{se}(\text{var}) = \sqrt{4\sum_i (m_i - \bar m)^2\sigma_i^2 + 2\sum_i \sigma_i^4}\,/\,n$;
# * tolerance: $5\,\mathrm{se}$ plus a discretisation allowance of $3\theta\,\Delta t$ relative to the size (times
#   $\sqrt{\bar v}$ for the mean, times $\bar v$ for the variance; full mode: $3\theta\,\Delta t = 0.009$, i.e. 0.9 %).
#   Euler–Maruyama is weakly first order, so its bias is of order $\theta\,\Delta t$; the factor 3 is a chosen margin,
#   not a derived constant. It decides none of the checks here: the largest deviation, printed by each check, is
#   below $5\,\mathrm{se}$ on its own (asserted);
# * covariance check: $\mathrm{se} = \sqrt{\textstyle\sum_i \sigma_i^2 (x_{0,i} - \bar x_0)^2}\,/\,n$, and the
#   allowance is $3\theta\,\Delta t$ times $|\mathrm{Cov}|$.

# %% [markdown]
# Mean and variance alone do not show that each simulated path belongs to *its own* $x_0$: a sampler that mixed the
# paths up would pass them. So we also compare the covariance of the simulated $x_t$ with the paths' own $x_0$ with
# the closed form $\mathrm{Cov}(E[x_t \mid x_{0,i}],\, x_{0,i})$ (given the drawn $x_0$), with the same kind of
# tolerance (every deviation is again below $5\,\mathrm{se}$, asserted).
# For the reverse SDE this checks that the oracle's $x_0$ steers each path: the last lines of the cell pair each
# simulated $x_t$ with its neighbour's $x_0$ (the simulated values rolled by one path), and the check then fails.

# %%
def pairing_check(path, xs, t):
    """Simulated Cov(x_t, x0_i) against the closed form, given the drawn x0: ``(deviation in standard errors,),
    passed, one printable row``."""
    m, s = path.mean(X0, MU_T, t), path.std(X0, MU_T, t)
    d0 = X0 - X0.mean()
    cov_sim, cov_cf = ((xs - xs.mean()) * d0).mean(), ((m - m.mean()) * d0).mean()
    se = torch.sqrt((s ** 2 * d0 ** 2).sum()) / m.numel()
    ok = bool((cov_sim - cov_cf).abs() <= 5 * se + BIAS * cov_cf.abs())
    z = float((cov_sim - cov_cf) / se)
    return (z,), ok, f"Cov sim {float(cov_sim):.5f}, Cov cf {float(cov_cf):.5f}, d/se {z:.2f}, {ok}"


pair_ok, z_max = deviation_table(pairing_check, "Cov(x_t, x0)")
assert pair_ok and z_max < 5
shuffled = SIM["(d) residual bridge (RDBM)"]["rev"][0.25].roll(1, dims=-1)
assert not pairing_check(PATHS["(d) residual bridge (RDBM)"], shuffled, 0.25)[1]  # mixed-up paths are caught

# %% [markdown]
# The same check as a picture, at $t = 0.5$: histograms of the forward and reverse simulations
# over the closed-form density (both modes together).

# %%
fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), layout="constrained")
k_mid = int(torch.argmin((T_GRID - 0.5).abs()))
bins = np.linspace(float(X_GRID[0]), float(X_GRID[-1]), 203)  # the whole x grid (bin width 0.021)
X_SHOWN = (-0.95, 1.6)  # the x range drawn: every tail of the four panels
for ax, (name, path) in zip(axes, PATHS.items()):
    ax.hist(SIM[name]["fwd"][0.5].numpy().ravel(), bins=bins, density=True, alpha=0.5, color="tab:orange",
            label="forward EM (forward_em)")
    ax.hist(SIM[name]["rev"][0.5].numpy().ravel(), bins=bins, density=True, histtype="step", lw=1.3,
            color="tab:blue", label="reverse EM (sample_euler_maruyama)")
    ax.plot(X_GRID.numpy(), DENSITY[name][:, k_mid].numpy(), color="k", lw=1.2, label="closed form")
    ax.set_title(name, fontsize=10)
    ax.set_xlabel(r"$x_t$ at $t = 0.5$")
    ax.set_xlim(*X_SHOWN)
axes[0].set_ylabel("density")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=9)
fig.suptitle(f"Simulated vs closed-form marginal at t = 0.5 ({N_PATHS} paths, {N_STEPS} steps)", fontsize=11)
plt.show()

# %% [markdown]
# ## 6. The spread of each mode over time
#
# Residual modulation in one plot: the standard deviation $\Sigma_t|\nu(\pi)|$ (`path.std`) of $x_t$ given $x_0$ for
# one $x_0$ from each mode (the modes' centres). Under global noise $\nu = 1$ and the two modes have the same curve,
# drawn once; under modulation the curves are in the ratio $|\pi_{\rm lower}| / |\pi_{\rm upper}| = 1.0 / 0.3 \approx 3.3$. The
# lower centre has $|\pi| = 1$ exactly, so its RDBM curve lies on the GOUB one (drawn thicker underneath).

# %%
def std_per_mode(path):
    """path.std on T_GRID for the two mode centres: [len(T_GRID), 2] (lower, upper)."""
    x0_c = torch.tensor([list(MODES)], dtype=DT)
    return torch.cat([path.std(x0_c, torch.full_like(x0_c, MU), t) for t in T_GRID.tolist()])


fig, ax = plt.subplots(figsize=(8.5, 3.8), layout="constrained")
styles = {"(a) OU process": ("tab:gray", 1.5), "(b) OU bridge (GOUB)": ("tab:green", 3.5),
          "(c) Brownian bridge": ("tab:purple", 1.5)}
for name, (colour, lw) in styles.items():
    ax.plot(T_GRID, std_per_mode(PATHS[name])[:, 0], color=colour, lw=lw, label=f"{name}, both modes")
sd_mod = std_per_mode(PATHS["(d) residual bridge (RDBM)"])
ax.plot(T_GRID, sd_mod[:, 0], color="tab:red", lw=1.5, label=r"(d) RDBM, lower mode ($|\pi| = 1$)")
ax.plot(T_GRID, sd_mod[:, 1], color="tab:red", lw=1.5, ls="--", label=r"(d) RDBM, upper mode ($|\pi| = 0.3$)")
ax.set_xlabel("time t")
ax.set_ylabel(r"std of $x_t$ given $x_0$")
ax.set_title(r"Noise level per mode centre, $\Sigma_t\,|\nu(\pi)|$  ($x_0 = -0.6$: $|\pi| = 1$;  $x_0 = 0.7$: $|\pi| = 0.3$)",
             fontsize=10)
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
plt.show()

same = {name: float((std_per_mode(PATHS[name])[:, 0] - std_per_mode(PATHS[name])[:, 1]).abs().max()) for name in styles}
gap = float((sd_mod - std_per_mode(PATHS["(b) OU bridge (GOUB)"]) * torch.tensor([1.0, 0.3], dtype=DT)).abs().max())
mode_ratio = sd_mod[1:-1, 0] / sd_mod[1:-1, 1]  # interior times (both are 0 at t = 0 and T)
print(f"global noise: largest gap between the two modes' curves {max(same.values()):.1e};"
      f"  RDBM vs GOUB x |pi|: largest gap {gap:.1e};  RDBM lower / upper: {float(mode_ratio.min()):.2f}"
      f" to {float(mode_ratio.max()):.2f}")
assert max(same.values()) == 0 and gap < 1e-12
assert f"{float(mode_ratio.min()):.1f}" == f"{float(mode_ratio.max()):.1f}" == "3.3"

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/04_stochastic_trajectories_solutions.ipynb`.
#
# **04.1 (implement).** Write `em_step(path, x, x0, mu, t, dt, dw)`: one Euler–Maruyama step of the forward
# SDE of section 3 from time $t$ to $t + \Delta t$, in the time $t$ (section 3 writes the SDE in the clock $u$), for
# any `ResidualPath`. `t` is a 0-d float64 tensor, `dt` a float and `dw` the Brownian increment in $t$ (shaped like
# `x`, variance `dt`); return the new `x`. What you need from `path` (all element-wise, shaped like `x`):
#
# * `path.schedule.theta(t)`: the clock's rate $\theta_t$ at the time $t$ (a 0-d tensor);
# * `path.lam`: $\lambda$ (a float);
# * `path.bridge_drift(x, mu, t)`: the drift per unit clock, $f(x, u)$ at $u = \bar\theta_t$ — it takes the time $t$
#   and converts it to the clock itself;
# * `path.noise_factor(x0, mu)`: $\nu(\pi)$.
#
# The checker runs your step on RDBM's bridge with a clock rate $\theta_t = 1 + 4t$ (not the constant 3 of this
# notebook), simulates 20 000 paths from two values of $x_0$ (and a few intact ones, $x_0 = \mu$) up to $t = 0.5$, and
# compares their mean and variance with `path.mean` and `path.std`. Once it passes, section 3's call with
# `step=answer_04_1` added, `forward_em(path, X0, MU_T, N_STEPS, CHECK_TIMES + (T,), N_SHOW, gen, T=T, step=answer_04_1)`,
# reruns the forward simulation with your step; the cell after the check does it, and prints section 5's moment
# check for your paths. It returns `(snapshots, shown paths, time grid)`: a dict of the
# states at the check times and at $T$, the first `N_SHOW` paths at every grid time, and the grid.

# %%
from rdbm_course.exercises import check

answer_04_1 = ...  # a function em_step(path, x, x0, mu, t, dt, dw) -> x at t + dt
check("04.1", answer_04_1)

# %%
if callable(answer_04_1):  # runs once 04.1 is answered: section 3's forward simulation with your step
    own_gen = torch.Generator().manual_seed(2026)
    print(f"{'process':<28}{'fwd, your step':>16}   (largest |deviation| / se of mean and variance, as in section 5)")
    for name, path in PATHS.items():
        own = forward_em(path, X0, MU_T, N_STEPS, CHECK_TIMES, 0, own_gen, T=T, step=answer_04_1)[0]
        z_own = max(abs(z) for t in CHECK_TIMES for z in moment_check(path, own[t], t)[0])
        print(f"{name:<28}{z_own:>16.2f}")

# %% [markdown]
# **04.2 (predict).** How much variance does pinning the far end remove? Given $x_0$, the OU bridge with global noise
# is the free OU process of panel (a) conditioned on $x_T = \mu$. For jointly Gaussian values, conditioning $x_t$ on
# $x_T$ multiplies its variance by $1 - \rho^2$, where $\rho$ is their correlation (here under the free process,
# given $x_0$): the bridge keeps the share $\mathrm{Var}_{\rm bridge}/\mathrm{Var}_{\rm OU} = 1 - \rho^2$ of the free
# variance. Take the midpoint of the clock, $\bar\theta_t = c/2$ with $c = \bar\theta_T$, and any $\lambda$.
#
# 1. Before computing anything, predict the share in the two limits $c \to 0$ and $c \to \infty$, and write why in one
#    sentence in `why_04_2` (not checked: once the answer is right, the check's message gives a reason to compare
#    with yours).
# 2. Then derive the share as a function of $c$ from the free OU process alone: given $x_0$, its variance at the clock
#    $u$ is $\lambda(1 - e^{-2u})$ (item (a) of section 4 gives it at $u = 3$), and $x_T$ depends on $x_t$ through the OU
#    transition from $u$ to $c$. Write it as a string in `c`, e.g. `"1 - exp(-c)"` (or a SymPy expression in a
#    symbol named `c`).
#
# Answer with a tuple of three entries: the share as $c \to 0$ and as $c \to \infty$ (two numbers), then the
# formula of step 2 (the string). The bridge's own closed form (`docs/theory.md` (4.2)) gives the same function
# after some algebra, and the check accepts either; the checker tests only the result, while the reason and the
# derivation are what the exercise is for. To test your formula at one value, $c = 3$ (this notebook's clock, with
# $t = 0.5$ the midpoint): compute the share as `PATHS["(b) OU bridge (GOUB)"].std(x0, mu, 0.5) ** 2` over
# `PATHS["(a) OU process"].std(x0, mu, 0.5) ** 2`, with any one-pixel tensors `x0`, `mu` (global noise: it does not
# depend on them). Equivalently: section 4 printed the OU bridge's variance 0.0362 at $t = 0.5$, and the free OU
# variance there is $\lambda(1 - e^{-3})$.

# %%
why_04_2 = ""  # one sentence, written before computing
answer_04_2 = ...  # (share as c -> 0, share as c -> infinity, "the share as a formula in c")
check("04.2", answer_04_2)

# %% [markdown]
# **04.3 (predict).** In panel (d) the dashed PF-ODE paths that start at the pinned point follow the mean curve.
# Think of another PF-ODE path of the same process (RDBM, $\theta = 3$, $\lambda = 0.04$), computed with the oracle
# for the lower mode's centre $x_0 = -0.6$ ($\mu = 0.4$), which passes through $x = 0.1$ at $t = 0.75$, below the
# mean curve there. Where is it at $t = 0.5$? Answer with a number to three decimals (you may compute it from the
# library's coefficients, but not by running a sampler or integrating the ODE: one call of section 3's sampler would
# give the number without the reason, and the reason, written above the check, is what is graded). Recall what notebook 02c, section 1
# and `docs/theory.md` (8.3) show about the PF-ODE's solutions for a fixed $x_0$: its velocity is then affine in $x$.

# %%
answer_04_3 = ...  # a number: x on that PF-ODE path at t = 0.5
check("04.3", answer_04_3)


# %% [markdown]
# ## Appendix A. Why the forward bridges end next to $\mu$ (read after exercise 04.1)
#
# Section 3 printed the spread of $(x_T - \mu)/|\nu(\pi)|$ of the forward bridges. The last step starts at
# $t = T - \Delta t$, where the clock left is $\bar\theta_{t:T} = \theta\Delta t$. The Brownian bridge's drift over
# that step, $\theta\,\frac{\mu - x}{\theta\Delta t}\,\Delta t$, is exactly $\mu - x$; the OU bridges',
# $\theta\Delta t\coth(\theta\Delta t)\,(\mu - x)$, is $\mu - x$ up to a relative $\approx(\theta\Delta t)^2/3$
# ($3.0 \cdot 10^{-6}$ in full mode, printed below). So every path lands on $\mu$ plus that step's noise alone,
# $\sqrt{2\lambda\theta\Delta t}\;\nu(\pi)\,\xi$ with $\xi \sim \mathcal N(0, 1)$: a standard deviation of
# $\sqrt{2 \cdot 0.04 \cdot 3 \cdot 10^{-3}} = 0.0155$ per unit $|\nu(\pi)|$ in full mode ($\Delta t = 10^{-3}$). The
# measured spreads agree with it within 5 standard errors (asserted).

# %%
dclock_last = THETA * T / N_STEPS  # the clock left at the start of the last step, theta dt
last_noise = math.sqrt(2 * LAM * dclock_last)  # that step's noise per unit |nu(pi)|: sqrt(2 lam theta dt)
ou_excess = dclock_last / math.tanh(dclock_last) - 1  # the OU bridges' last drift step is (1 + ou_excess) (mu - x)
print(f"sqrt(2 lam theta dt) = {last_noise:.4f};  theta dt coth(theta dt) - 1 = {ou_excess:.1e}")
print("measured std of (x_T - mu) / |nu(pi)| (section 3):", {k: f"{v:.4f}" for k, v in end_spread.items()})
se_rel = 1 / math.sqrt(2 * N_PATHS)  # relative standard error of a standard deviation estimated from N_PATHS draws
assert all(abs(v / last_noise - 1) < 5 * se_rel for v in end_spread.values()) and ou_excess < 1e-4
if not FAST:
    assert (f"{last_noise:.4f}", f"{ou_excess:.1e}") == ("0.0155", "3.0e-06")


# %% [markdown]
# ## Appendix B. Checking the PF-ODE numerics (optional)
#
# **Takeaway:** Heun's paths are accurate away from the clean end; near $t = 0$ the velocity's slope in $x$ diverges
# and Heun loses its order there, but the sampler's output at $t = 0$ is exact. This appendix shows why.
#
# For the Brownian bridge (c) the error is at rounding level: from $\mu$ its PF-ODE path with the exact $x_0$ is the
# straight line $\mu + (1 - t)\pi$, whose velocity is constant, and Heun integrates that exactly.
#
# Why only $t \ge 0.1$? Near the clean end the velocity per unit clock contains $\lambda\,(x - E[x_t \mid x_0])/\Sigma_t^2$
# (`docs/theory.md` (7.1)); in the time $t$ it is multiplied by $\theta$, and $\Sigma_t^2 \approx 2\lambda\theta t$ for
# small $t$, so the diverging part of the velocity's slope in $x$, $\theta\lambda/\Sigma_t^2 \approx 1/(2t)$, grows
# without bound (printed below at $t = T/400$). The solution is not smooth at $t = 0$, and an explicit method loses
# its order there. For the unpinned process (whose ODE paths start off the mean) the error in the middle of the path
# falls like $1/N^2$ — second order — while the error at the last point before the clean one, $t = T/N$, falls only
# about like $1/\sqrt N$ (observed order between 0.45 and 0.7, asserted). The step that reaches $t = 0$ returns
# $\hat x_0$ itself, so the *output* is exact either way.

# %%
ou_name = next(iter(PATHS))
t_small = T / 400
slope = THETA * LAM / float(PATHS[ou_name].coefficients(torch.tensor(t_small, dtype=DT))[2]) ** 2
print(f"diverging part of the slope, theta lam / Sigma_t^2, at t = T/400: {slope:.1f};"
      f"  1/(2t) = {1 / (2 * t_small):.1f}")
assert abs(slope * 2 * t_small - 1) < 0.01
errs = []
for n_steps in ((50, 100, 200) if FAST else (100, 200, 400)):
    _, heun = pf_ode(PATHS[ou_name], XT_ODE[ou_name], n_steps)
    _, exact = pf_ode(PATHS[ou_name], XT_ODE[ou_name], n_steps, samplers.sample_implicit, eta=0.0)
    err = (heun - exact).abs().amax(1)
    errs.append((float(err[n_steps // 2]), float(err[n_steps - 1])))
    print(f"N = {n_steps:4d}: error at t = 0.5: {errs[-1][0]:.2e}   at t = T/N: {errs[-1][1]:.2e}")
order_mid = math.log2(errs[0][0] / errs[-1][0]) / 2
order_end = math.log2(errs[0][1] / errs[-1][1]) / 2
print(f"observed order: {order_mid:.2f} in the middle, {order_end:.2f} at t = T/N")
assert 1.8 < order_mid < 2.2 and 0.45 < order_end < 0.7
