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
# mass between a clean value `x0` and its degraded partner `mu`: their marginal densities over time,
# SDE sample paths and probability-flow (PF-ODE) paths — and how residual modulation gives each
# `x0` a noise level proportional to `|pi| = |x0 - mu|`.
#
# **Prerequisites.** Notebooks 01–03 (the OU SDE, the bridge marginal `mu + Theta_t pi + Sigma_t pi eps`,
# the samplers) and `docs/theory.md` §3–8.
#
# Full-mode wall time: 34 s on a 2-core CPU (`FAST=1`: 19 s; `benchmarks/notebook_times.py`).

# %%
import math
import os

import matplotlib.pyplot as plt
import numpy as np
import torch

from rdbm_core.bridge.path import ResidualPath
from rdbm_core.bridge import bridges, samplers, schedules

FAST = os.environ.get("FAST") == "1"
N_PATHS = 2_000 if FAST else 20_000  # Monte Carlo paths for the moment checks
N_STEPS = 200 if FAST else 1_000  # SDE steps on [0, T] (a multiple of 4: the check times lie on the grid)
N_ODE = 100 if FAST else 200  # PF-ODE steps (few paths)
DT = torch.float64
torch.set_num_threads(1)  # small tensors: one thread avoids the threading overhead (much faster on a busy 2-core CPU)

# %% [markdown]
# ## 1. One-dimensional data and the four processes
#
# The clean value `x0` comes from a two-mode Gaussian mixture (modes at −0.6 and +0.7, std 0.05,
# equal weights). Every `x0` is paired with the same degraded value `mu = 0.4` — think of a pixel
# whose degraded reading is 0.4 while its clean value is one of two very different ones. The residual
# `pi = x0 - mu` is then about **−1.0 for the lower mode and +0.3 for the upper one**: under residual
# modulation the lower mode gets about three times more noise.
#
# All four processes share the continuous schedule `theta(t) = 3` on `[0, T = 1]` (`thbar_T = 3`)
# and `lam = 0.04` (a stationary standard deviation of 0.2), so that the only differences are the
# ones named in the titles:
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
    "(b) OU bridge (GOUB)": bridges.ou_bridge(sch, LAM, noise="global", name="goub-like"),
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
# Shapes: all paths are stored as **one sample of `n` pixels**, `x0.shape == (1, n)`. Every library
# function is element-wise, so this is the same as `n` separate one-pixel samples — but the time `t`
# is then one scalar per call instead of a vector of `n` equal times, so the coefficients are
# computed once per step instead of once per path.
#
# ## 2. The marginal density over time, from the closed form
#
# Given `x0`, every process has a Gaussian marginal `N(path.mean(x0, mu, t), path.std(x0, mu, t)^2)`.
# The marginal over the data is the mixture over `x0`; we integrate over `x0` by quadrature on a fine
# grid of `x0` nodes (weights = mixture density × node spacing). Where the standard deviation is 0
# (at `t = 0` for every process, and at `t = T` for the bridges) the density is a sum of spikes; the
# heat map shows the density *averaged over one pixel*, i.e. convolved with a Gaussian of the pixel
# height `h` (the variance gets `+ h^2`).

# %%
X_GRID = torch.linspace(-2.0, 2.2, 561, dtype=DT)  # wide enough for every tail (mass check)
Y_LIM = (-1.25, 1.45)  # the part that is drawn
T_GRID = torch.linspace(0.0, T, 121, dtype=DT)
H = float(X_GRID[1] - X_GRID[0])
X0_NODES = torch.linspace(-1.0, 1.1, 211, dtype=DT)[None]  # [1, J] quadrature nodes over x0
W = sum(torch.exp(-0.5 * ((X0_NODES - m) / MODE_STD) ** 2) for m in MODES)
W = W / W.sum()  # mixture weights of the nodes (equal modes)


def marginal_density(path):
    """p(x, t) on X_GRID x T_GRID: mixture over the x0 nodes of N(mean, std^2 + h^2), from the library."""
    mu_nodes = torch.full_like(X0_NODES, MU)
    out = torch.empty(len(X_GRID), len(T_GRID), dtype=DT)
    for k, t in enumerate(T_GRID.tolist()):
        m = path.mean(X0_NODES, mu_nodes, t)
        var = path.std(X0_NODES, mu_nodes, t) ** 2 + H ** 2
        out[:, k] = (W * torch.exp(-0.5 * (X_GRID[:, None] - m) ** 2 / var) / torch.sqrt(2 * math.pi * var)).sum(-1)
    return out


DENSITY = {name: marginal_density(path) for name, path in PATHS.items()}
mass = {name: torch.trapezoid(d, X_GRID, dim=0) for name, d in DENSITY.items()}
assert all((m - 1).abs().max() < 1e-6 for m in mass.values()), {k: float((m - 1).abs().max()) for k, m in mass.items()}

# %% tags=["nbval-check-output"]
print("every column of every density integrates to 1 (to 1e-6):",
      all(bool((m - 1).abs().max() < 1e-6) for m in mass.values()))

# %% [markdown]
# ## 3. Simulating the processes
#
# **Forward SDE (what the heat map shows, drawn as solid paths).** We start at `x0` and integrate
# `dx = theta_t * path.bridge_drift(x, mu, t) dt + sqrt(2 lam theta_t) s(pi) dW` with Euler–Maruyama
# on a uniform grid of `N_STEPS` steps (`bridge_drift` is per unit of the clock `u = thbar_t`, hence
# the factor `theta_t`; for the unpinned process it is `mu - x`). The drift is evaluated at the left
# end of each step, so the bridge's drift `theta coth(thbar_{t:T}) (mu - x)` — infinite at `t = T` —
# is never evaluated there: the last step lands near `mu` up to that step's own noise
# (`sqrt(2 lam theta dt)`, 0.016 with the full-mode 1000 steps).
#
# **Reverse-time SDE (the generative direction).** The library's `sample_euler_maruyama` with the
# *oracle* model `lambda x, mu, t: x0` (each path knows its own `x0`). It starts at `x_T = mu` for the
# bridges (its first step out of the pinned point is the exact posterior step) and at a closed-form
# draw `x_T ~ q(x_T | x0)` for the unpinned process. With the exact `x0`,
# the reverse SDE is the time reversal of the forward process *given* `x0`, so it must reproduce the
# same marginals. `clamp=False`: the oracle's `x0` is used as it is (the samplers clamp `x0_hat` to
# `[-1, 1]` by default — harmless here, where all draws lie inside, but not part of the maths).
#
# **PF-ODE (dashed paths).** `sample_heun` with the same oracle, `N_ODE` steps.

# %%
CHECK_TIMES = (0.25, 0.5, 0.75)
N_SHOW = 10  # sample paths drawn per panel


def forward_em(path, x0, mu, n_steps, generator):
    """Euler-Maruyama on the forward SDE in t; returns snapshots at CHECK_TIMES and the first N_SHOW paths."""
    ts = torch.linspace(0.0, T, n_steps + 1, dtype=DT)
    x, snaps, shown = x0.clone(), {}, [x0[0, :N_SHOW].clone()]
    s_pi = path.noise_factor(x0, mu)
    for k in range(n_steps):
        t, dt = ts[k], float(ts[k + 1] - ts[k])
        th = float(path.schedule.theta(t))
        dw = math.sqrt(dt) * torch.randn(x.shape, generator=generator, dtype=DT)
        x = x + th * path.bridge_drift(x, mu, t) * dt + math.sqrt(2 * path.lam * th) * s_pi * dw
        shown.append(x[0, :N_SHOW].clone())
        for c in CHECK_TIMES:
            if k + 1 == round(c / T * n_steps):
                snaps[c] = x.clone()
    return snaps, torch.stack(shown), ts


def reverse_em(path, x0, mu, n_steps, generator):
    """The library's reverse-time Euler-Maruyama sampler with the oracle, run in four segments
    T -> 0.75 -> 0.5 -> 0.25 -> 0 so that only the snapshots at CHECK_TIMES are kept in memory."""
    oracle = samplers.Denoiser(lambda x, mu_, t: x0, clamp=False)
    x = mu.clone() if path.pinned else path.sample(x0, mu, T, generator=generator)
    snaps, bounds = {}, (T,) + tuple(sorted(CHECK_TIMES, reverse=True)) + (0.0,)
    for a, b in zip(bounds[:-1], bounds[1:]):
        ts = torch.linspace(a, b, n_steps // 4 + 1, dtype=DT)
        x = samplers.sample_euler_maruyama(oracle, mu, path, ts, x_T=x, generator=generator)
        if b > 0:
            snaps[b] = x.clone()
    return snaps, x


gen = torch.Generator().manual_seed(2026)
X0, UPPER = draw_x0(N_PATHS, gen)
MU_T = torch.full_like(X0, MU)
assert X0.abs().max() < 1  # all clean values inside [-1, 1]
SIM = {}
for name, path in PATHS.items():
    fwd, shown, ts_fwd = forward_em(path, X0, MU_T, N_STEPS, gen)
    rev, x_end = reverse_em(path, X0, MU_T, N_STEPS, gen)
    SIM[name] = dict(fwd=fwd, rev=rev, shown=shown, x_end=x_end)

# %% [markdown]
# The PF-ODE with the oracle. For the unpinned process it starts from the same kind of closed-form
# draws `x_T ~ q(x_T | x0)` as above. For the bridges it starts at the pinned point `x_T = mu`, where
# `Sigma_T = 0` and the ODE is singular: the sampler's first step is the implicit one (notebook 02c, section 1),
# which picks one of the ODE's solutions through `mu`. Which one, the figure of section 4 shows (and exercise 04.3
# asks for a number on it).
#
# We compare Heun (second order) with the implicit sampler at `eta = 0`, which is the *exact* PF-ODE
# solution for a fixed `x0_hat` (shown in notebook 02c, section 1; `docs/theory.md` eq. 8.3), on the same grid.

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


ODE, ode_err = {}, {}
for name, path in PATHS.items():
    TS_ODE, ODE[name] = pf_ode(path, XT_ODE[name], N_ODE)
    _, exact = pf_ode(path, XT_ODE[name], N_ODE, samplers.sample_implicit, eta=0.0)
    inner = TS_ODE >= 0.1
    ode_err[name] = float((ODE[name] - exact)[inner].abs().max())
print({k[:3]: f"{v:.1e}" for k, v in ode_err.items()})
assert max(ode_err.values()) < 5e-4

# %% tags=["nbval-check-output"]
print("for t >= 0.1 the Heun PF-ODE paths match the exact (implicit, eta = 0) ones to 5e-4:",
      max(ode_err.values()) < 5e-4)

# %% [markdown]
# Why only `t >= 0.1`? Near the clean end the velocity contains `(x - E[x_t | x0]) / (Sigma_t^2 / lam)`,
# and along a PF-ODE path `x - E[x_t | x0]` is proportional to `Sigma_t`, which vanishes like
# `sqrt(t)`: the solution is not smooth there and an explicit method loses its order. For the
# unpinned process (whose ODE paths carry noise) the error in the middle of the path falls like
# `1/N^2` — second order — while the error at the last point before the clean one, `t = T/N`,
# falls only like `1/sqrt(N)`. The samplers' final step returns `x0_hat` itself, so the *output* is
# exact either way.

# %%
ou_name = next(iter(PATHS))
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
assert 1.8 < order_mid < 2.2 and 0.3 < order_end < 0.9

# %% [markdown]
# ## 4. The picture
#
# Heat map: `p(x, t)` divided by its maximum over `x` at each `t` (so that the spike at a bridge's
# end does not wash out the rest). Solid lines: forward-SDE sample paths, coloured by the mode of
# their `x0`. Dashed black lines: PF-ODE paths (Heun, oracle). Dotted line: `mu`.

# %%
fig, axes = plt.subplots(2, 2, figsize=(12.5, 8.4), sharex=True, sharey=True, constrained_layout=True)
LOWER_C, UPPER_C = "#e65100", "#ad1457"  # path colours: lower mode (orange), upper mode (magenta)
colours = np.where(UPPER[0, :N_SHOW].numpy(), UPPER_C, LOWER_C)
for ax, (name, path) in zip(axes.flat, PATHS.items()):
    d = DENSITY[name]
    im = ax.imshow((d / d.max(0).values).numpy(), origin="lower", aspect="auto", cmap="Blues", vmin=0, vmax=1,
                   extent=[0, T, float(X_GRID[0]) - H / 2, float(X_GRID[-1]) + H / 2], interpolation="bilinear")
    shown = SIM[name]["shown"].numpy()
    for j in range(N_SHOW):
        ax.plot(ts_fwd.numpy(), shown[:, j], color=colours[j], lw=0.7, alpha=0.8)
    ax.plot(TS_ODE.numpy(), ODE[name].numpy(), color="black", lw=1.3, ls="--")
    ax.axhline(MU, color="0.4", lw=0.8, ls=":")
    ax.set_title(TITLES[name], fontsize=11)
    ax.set_ylim(*Y_LIM)
for ax in axes[1]:
    ax.set_xlabel("time t  (t = 0: clean x0,  t = T: degraded mu)")
for ax in axes[:, 0]:
    ax.set_ylabel("x")
handles = [plt.Line2D([], [], color=LOWER_C, lw=1.2, label=r"forward-SDE path, lower mode ($\pi\approx-1$)"),
           plt.Line2D([], [], color=UPPER_C, lw=1.2, label=r"forward-SDE path, upper mode ($\pi\approx+0.3$)"),
           plt.Line2D([], [], color="black", lw=1.3, ls="--", label="PF-ODE path (Heun, oracle)"),
           plt.Line2D([], [], color="0.4", lw=0.8, ls=":", label=r"$\mu = 0.4$")]
axes[0, 0].legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.9)
fig.colorbar(im, ax=axes, shrink=0.8, label=r"$p(x, t)\,/\,\max_x p(x, t)$")
fig.suptitle(r"Marginal density (closed form) with SDE and PF-ODE paths; $\theta = 3$, $\lambda = 0.04$, "
             r"$x_0 \sim$ two-mode mixture, $\mu = 0.4$", fontsize=12)
plt.show()

# %% [markdown]
# What to see:
#
# * **(a) OU process.** Nothing pins the end: at `t = T` the two modes have almost forgotten `x0`
#   (`e^{-3} = 0.05`) and carry the full stationary spread `sqrt(lam) = 0.2` — the noisy start
#   IR-SDE must draw from. Its PF-ODE paths start from such noisy points.
# * **(b) OU bridge, (c) Brownian bridge.** Both are pinned: every path ends exactly at `mu`. The
#   noise is the same for both modes. The OU bridge moves the mean early (`Theta_t = sinh(3(1-t))/sinh 3`
#   decays like `e^{-3t}` at first), the Brownian bridge linearly (`Theta_t = 1 - t`), with a larger
#   and symmetric variance bump (`2 lam thbar_t thbar_{t:T} / thbar_T`).
# * **(d) Residual bridge.** The same mean as (b), but the noise is `Sigma_t |pi|`: the lower mode
#   (`|pi| ≈ 1`) spreads as much as in (b), the upper mode (`|pi| ≈ 0.3`) about three times less. A
#   value with `x0 = mu` (an intact pixel) would be a flat line with no spread at all (notebook 05).
# * **PF-ODE.** For the bridges the dashed paths start at the pinned point, where `Sigma_T = 0`: a
#   deterministic sampler has no noise to carry, and given a (perfect) `x0_hat` it is a deterministic
#   interpolation from `mu` to `x0` (which one: exercise 04.3). With a *learned* `x0_hat = E[x0 | x_t, mu]`
#   a purely deterministic bridge sampler maps each `mu` to one output — fine for restoration, where
#   one `mu` has one `x0`; the diversity of a bimodal answer needs noise (the SDE, or a stochastic
#   first step).

# %% [markdown]
# ## 5. Do the simulations have the closed-form marginals?
#
# At `t = 0.25, 0.5, 0.75` we compare the mean and variance of the simulated values with the
# closed form. To remove the randomness of the `x0` draw itself we condition on the drawn `x0`:
#
# * closed form: `E = mean_i m_i`, `V = mean_i s_i^2 + var_i m_i`, with `m_i = path.mean(x0_i, mu, t)`,
#   `s_i = path.std(x0_i, mu, t)`;
# * standard errors (only the Brownian noise is random): `se(mean) = sqrt(sum_i s_i^2) / n`,
#   `se(var) = sqrt(4 sum_i (m_i - E)^2 s_i^2 + 2 sum_i s_i^4) / n`;
# * tolerance: `5 se` plus a discretisation allowance of `3 theta dt` (relative: times `sqrt(V)` for
#   the mean, `V` for the variance), since Euler–Maruyama is weakly first order
#   (full mode: `3 theta dt = 0.009`, i.e. 0.9 %).

# %%
BIAS = 3 * THETA * T / N_STEPS


def moment_check(path, xs, t):
    """Deviation of the simulated mean/variance from the closed form, in units of its standard error."""
    m, s = path.mean(X0, MU_T, t), path.std(X0, MU_T, t)
    n = m.numel()
    E, V = m.mean(), (s ** 2).mean() + m.var(unbiased=False)
    se_m = torch.sqrt((s ** 2).sum()) / n
    se_v = torch.sqrt(4 * ((m - E) ** 2 * s ** 2).sum() + 2 * (s ** 4).sum()) / n
    dm, dv = xs.mean() - E, xs.var(unbiased=False) - V
    ok = bool(dm.abs() <= 5 * se_m + BIAS * V.sqrt()) and bool(dv.abs() <= 5 * se_v + BIAS * V)
    return float(E), float(V), float(dm / se_m), float(dv / se_v), ok


rows, all_ok = [], True
print(f"{'process':<28}{'sim':>5}{'t':>6}{'E':>9}{'V':>9}{'dE/se':>8}{'dV/se':>8}  ok")
for name, path in PATHS.items():
    for direction in ("fwd", "rev"):
        for t in CHECK_TIMES:
            E, V, zm, zv, ok = moment_check(path, SIM[name][direction][t], t)
            all_ok &= ok
            print(f"{name:<28}{direction:>5}{t:>6.2f}{E:>9.4f}{V:>9.5f}{zm:>8.2f}{zv:>8.2f}  {ok}")
assert all_ok

# %% [markdown]
# Mean and variance alone do not show that each simulated path belongs to *its own* `x0`: a sampler that mixed the
# paths up would pass them. So we also compare the covariance of the simulated `x_t` with the paths' own `x0` with the
# closed form `Cov(E[x_t | x0_i], x0_i)` (given the drawn `x0`), within `5 se + 3 theta dt`. For the reverse SDE
# this checks that the oracle's `x0` steers each path (shuffling the paths' `x0` before the comparison fails it).

# %%
def pairing_check(path, xs, t):
    """Simulated Cov(x_t, x0_i) against the closed form, given the drawn x0; deviation in standard errors."""
    m, s = path.mean(X0, MU_T, t), path.std(X0, MU_T, t)
    d0 = X0 - X0.mean()
    cov_sim, cov_cf = ((xs - xs.mean()) * d0).mean(), ((m - m.mean()) * d0).mean()
    se = torch.sqrt((s ** 2 * d0 ** 2).sum()) / m.numel()
    ok = bool((cov_sim - cov_cf).abs() <= 5 * se + BIAS * cov_cf.abs())
    return float(cov_sim), float(cov_cf), float((cov_sim - cov_cf) / se), ok


pair_ok = True
print(f"{'process':<28}{'sim':>5}{'t':>6}{'Cov sim':>10}{'Cov cf':>10}{'d/se':>8}  ok")
for name, path in PATHS.items():
    for direction in ("fwd", "rev"):
        for t in CHECK_TIMES:
            cs, cc, z, ok = pairing_check(path, SIM[name][direction][t], t)
            pair_ok &= ok
            print(f"{name:<28}{direction:>5}{t:>6.2f}{cs:>10.5f}{cc:>10.5f}{z:>8.2f}  {ok}")
assert pair_ok
shuffled = SIM["(d) residual bridge (RDBM)"]["rev"][0.25].roll(1, dims=-1)
assert not pairing_check(PATHS["(d) residual bridge (RDBM)"], shuffled, 0.25)[3]  # mixed-up paths are caught

# %% [markdown]
# The same check as a picture, at `t = 0.5`: histograms of the forward and reverse simulations
# over the closed-form density.

# %%
fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), layout="constrained")
k_mid = int(torch.argmin((T_GRID - 0.5).abs()))
bins = np.linspace(*Y_LIM, 109)
for ax, (name, path) in zip(axes, PATHS.items()):
    ax.hist(SIM[name]["fwd"][0.5].numpy().ravel(), bins=bins, density=True, alpha=0.5, color="tab:orange",
            label="forward EM (own loop)")
    ax.hist(SIM[name]["rev"][0.5].numpy().ravel(), bins=bins, density=True, histtype="step", lw=1.3,
            color="tab:blue", label="reverse EM (sample_euler_maruyama)")
    ax.plot(X_GRID.numpy(), DENSITY[name][:, k_mid].numpy(), color="k", lw=1.2, label="closed form")
    ax.set_title(name, fontsize=10)
    ax.set_xlabel(r"$x_t$ at $t = 0.5$")
    ax.set_xlim(*Y_LIM)
axes[0].set_ylabel("density")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=9)
fig.suptitle(f"Simulated vs closed-form marginal at t = 0.5 ({N_PATHS} paths, {N_STEPS} steps)", fontsize=11)
plt.show()

# %% [markdown]
# ## 6. The spread of each mode over time
#
# Residual modulation in one plot: the standard deviation `path.std` of `x_t` given `x0` for one
# `x0` from each mode (the modes' centres). Under global noise the two curves of a process coincide;
# under modulation they are in the ratio `|pi_lower| / |pi_upper| = 1.0 / 0.3`. The lower centre
# has `|pi| = 1` exactly, so its RDBM curve lies on the GOUB-like one (drawn thicker underneath).

# %%
x0_c = torch.tensor([list(MODES)], dtype=DT)
mu_c = torch.full_like(x0_c, MU)
tt = T_GRID.tolist()
fig, ax = plt.subplots(figsize=(8.5, 3.8), layout="constrained")
styles = {"(a) OU process": ("tab:gray", 1.5), "(b) OU bridge (GOUB)": ("tab:green", 3.5),
          "(c) Brownian bridge": ("tab:purple", 1.5), "(d) residual bridge (RDBM)": ("tab:red", 1.5)}
for name, path in PATHS.items():
    colour, lw = styles[name]
    sd = torch.cat([path.std(x0_c, mu_c, t) for t in tt])  # [len(tt), 2]: lower, upper mode
    ax.plot(tt, sd[:, 0], color=colour, lw=lw, label=f"{name}, lower mode")
    ax.plot(tt, sd[:, 1], color=colour, lw=lw, ls="--", label=f"{name}, upper mode")
ax.set_xlabel("time t")
ax.set_ylabel(r"std of $x_t$ given $x_0$")
ax.set_title(r"Noise level per mode centre, $\Sigma_t\,|s(\pi)|$  ($x_0 = -0.6$: $|\pi| = 1$;  $x_0 = 0.7$: $|\pi| = 0.3$)",
             fontsize=10)
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
plt.show()

sd_rdbm = torch.cat([PATHS["(d) residual bridge (RDBM)"].std(x0_c, mu_c, t) for t in tt])
sd_goub = torch.cat([PATHS["(b) OU bridge (GOUB)"].std(x0_c, mu_c, t) for t in tt])
ratio = (x0_c - mu_c).abs()[0]
assert torch.allclose(sd_rdbm, sd_goub * ratio, rtol=1e-12, atol=0)  # modulation = global noise x |pi|

# %% tags=["nbval-check-output"]
print("RDBM std == GOUB-like std x |pi| at every t:", torch.allclose(sd_rdbm, sd_goub * ratio, rtol=1e-12, atol=0))

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/04_stochastic_trajectories_solutions.ipynb`.
#
# **04.1 (implement).** Write `em_step(path, x, x0, mu, t, dt, dw)`: one Euler–Maruyama step of the forward
# SDE of section 3 from time `t` to `t + dt`, in the time `t` (not the clock), for any `ResidualPath`. `t` is a
# 0-d float64 tensor, `dt` a float and `dw` the Brownian increment (shaped like `x`, variance `dt`); return the
# new `x`. The checker runs your step on RDBM's bridge with a clock rate `theta_t = 1 + 4t` (not the constant 3
# of this notebook), simulates 20 000 paths from two values of `x0` (and a few intact ones, `x0 = mu`) up to
# `t = 0.5`, and compares their mean and variance with `path.mean` and `path.std`.

# %%
from rdbm_course.exercises import check

answer_04_1 = ...  # a function em_step(path, x, x0, mu, t, dt, dw) -> x at t + dt
check("04.1", answer_04_1)

# %% [markdown]
# **04.2 (predict).** Look at panels (a) and (b) before computing anything. At `t = 0.5`, what fraction of the
# free OU process's variance (given `x0`) does the OU bridge keep? Answer with the number
# `Var_bridge / Var_OU` (two decimals are enough). For comparison: the Brownian bridge keeps exactly half of the
# variance of free Brownian motion at mid-time. Is the OU bridge's share smaller, similar or larger — and why?

# %%
answer_04_2 = ...  # a number: Var(OU bridge) / Var(free OU) at t = 0.5, for theta = 3, T = 1
check("04.2", answer_04_2)

# %% [markdown]
# **04.3 (predict).** Think of one more dashed PF-ODE path in panel (d): the one, computed with the oracle,
# that ends at the lower mode's centre `x0 = -0.6` (`mu = 0.4`). Where is it at `t = 0.5`? Answer with a number
# to three decimals (you may compute it, but not by running a sampler).

# %%
answer_04_3 = ...  # a number: x on the PF-ODE path at t = 0.5
check("04.3", answer_04_3)
