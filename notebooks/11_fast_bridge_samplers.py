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
# # 11 — Fast bridge samplers: exponential integrators in `lambda = log(Theta / Sigma)`
#
# **What you will learn.** Why the step of the implicit sampler is the *exact* solution of the probability-flow
# ODE when `x0_hat` is held fixed; how writing that solution as an integral of `x0_hat` against a known weight in
# the variable `lambda = log(Theta / Sigma)` gives second- and third-order samplers at one network evaluation per
# step (DBIM, Zheng et al. 2024; UniDB++ / DPM-Solver++ for the stochastic case); what the "booting noise" of
# the first step is; the convergence orders measured with an oracle; and what these samplers buy on trained
# networks of the published GOUB and of a Brownian bridge (the study `benchmarks/sampler_study.py`, read from
# its committed CSV).
#
# **Prerequisites.** Notebooks 02c (the implicit step), 08 (samplers and steps, convergence orders).
#
# Full-mode wall time: 21 s on a 2-core CPU shared with other jobs (load average about 10; `FAST=1`: 17 s;
# `benchmarks/notebook_times.py`).
# Nothing is trained here: the study's numbers come from `benchmarks/results/sampler_study*.csv`.

# %%
import json
import math
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from rdbm_core.bridge import bridges, schedules
from rdbm_core.data.files import read_rows
from rdbm_core.bridge.samplers import (Denoiser, exponential_step, half_log_snr, implicit_step, sample_dbim, sample_euler, sample_heun, sample_implicit)

FAST = os.environ.get("FAST") == "1"
STEPS = [8, 16, 32, 64] if FAST else [8, 16, 32, 64, 128, 256]  # grids of the oracle convergence study
RESULTS = Path("../benchmarks/results") if Path("../benchmarks/results").is_dir() else Path("benchmarks/results")
DT = torch.float64
torch.set_num_threads(1)
T_START = time.perf_counter()

# %% [markdown]
# ## 1. The picture: the exact step is an integral of `x0_hat` in `lambda`
#
# Every bridge of the family has the marginal `x_t = Psi_t mu + Theta_t x0 + Sigma_t s(pi) eps`
# (`Psi = 1 - Theta` for the bridges towards `mu`). The probability-flow ODE is linear in `x` once the network's
# `x0_hat` is given. In the variable
#
# `lambda_t = log(Theta_t / Sigma_t)`  (a log signal-to-noise ratio: `-inf` at the pinned end `t_T`, `+inf` at
# the clean point)
#
# the ODE becomes `d/dlambda [(x - Psi mu) / Sigma] = x0_hat e^lambda` (`derivations/exponential.py`, fact
# `exponential.pf_ode_integral`). Integrating from `t` to `s` with `h = lambda_s - lambda_t`:
#
# `x_s = E[x_s | x0_hat_t] + (Sigma_s / Sigma_t) (x_t - E[x_t | x0_hat_t]) + Theta_s int_0^h e^{-(h - r)} (x0_hat(lambda_t + r) - x0_hat_t) dr`.
#
# The first two terms are the implicit step (`eta = 0`): it is exact if `x0_hat` is constant over the step. All
# that is left is an integral of `x0_hat` against the **known weight** `e^{-(h - r)}`. A sampler only has to
# approximate `x0_hat(lambda)` on the step:
#
# * constant (`x0_hat_t`): order 1, the implicit step;
# * the line through `x0_hat` at `t` and at the previous grid time: order 2 (DBIM-2), no extra evaluation;
# * the parabola through three evaluations: order 3 (DBIM-3).
#
# With the Taylor expansion `x0_hat(lambda_t + r) = x0_hat_t + sum_j d_j r^j / j!` the integral is
# `sum_j psi_j(h) d_j` with the kernel moments `psi_j(h) = int_0^h e^{-(h - r)} r^j / j! dr`
# (`psi_0 = 1 - e^{-h}`, `psi_j = h^j / j! - psi_{j-1}`). Truncating after `d_1` leaves an error of order
# `h^3` per step, i.e. order 2 globally; after `d_2`, order 3. The weights are exact for any step size: only
# `x0_hat` is approximated, never the linear part of the ODE (the stiff part near the clean point).
#
# First, where the grid points sit in `lambda` for the two bridges of the study:

# %%
paths = {"goub": bridges.goub(), "bbdm": bridges.bbdm()}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for ax, (name, path) in zip(axes, paths.items()):
    sch = path.schedule
    ts = torch.arange(sch.t_clean + 1, sch.t_T, dtype=DT)
    lam = [half_log_snr(path, t) for t in ts.tolist()]
    ax.plot(ts, lam, label="lambda_t = log(Theta/Sigma) (+ const)")
    grid = sch.sampling_times(10)[1:-1]
    ax.plot(grid, [half_log_snr(path, t) for t in grid.tolist()], "o", label="10-step grid (interior points)")
    ax.set_xlabel("t (discrete index)")
    ax.set_title(f"{name}: lambda runs from -inf at t_T to +inf at the clean point")
    ax.legend(fontsize=8)
axes[0].set_ylabel("lambda")
fig.tight_layout()
plt.show()

# %% [markdown]
# Now one step of size `h = 0.5` in `lambda` with an `x0_hat` that moves along the step (one pixel, a made-up smooth
# curve). The shaded area under the weighted curve is what the exact solution adds to the implicit step; the
# constant, line and parabola are what orders 1, 2 and 3 integrate instead (the line and the parabola use the
# values at the earlier points `lambda_t - 0.5` and `lambda_t - 1`, a grid uniform in `lambda`, where the network was already evaluated).

# %%
def x0_curve(lam):
    """A made-up smooth x0_hat(lambda) of one pixel."""
    return 0.3 + 0.25 * np.sin(0.6 * lam + 0.4)


h, lam_t = 0.5, 0.0
r = np.linspace(0, h, 200)
weight = np.exp(-(h - r))
nodes = np.array([lam_t, lam_t - h, lam_t - 2 * h])
fits = {order: np.polyfit(nodes[:order], x0_curve(nodes[:order]), order - 1) for order in (1, 2, 3)}
exact = np.trapezoid(weight * (x0_curve(lam_t + r) - x0_curve(lam_t)), r)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
lam_axis = np.linspace(-1.3, 0.8, 300)
axes[0].plot(lam_axis, x0_curve(lam_axis), "k", label="x0_hat(lambda)")
for order, coef in fits.items():
    axes[0].plot(lam_axis, np.polyval(coef, lam_axis), "--", label=f"order {order}: through {order} evaluation(s)")
axes[0].plot(nodes, x0_curve(nodes), "ko")
axes[0].axvspan(lam_t, lam_t + h, color="0.9")
axes[0].set_xlabel("lambda")
axes[0].set_title("the step [lambda_t, lambda_t + h] (grey) and the polynomials")
axes[0].legend(fontsize=8)
axes[1].fill_between(r, 0, weight * (x0_curve(lam_t + r) - x0_curve(lam_t)), color="0.8", label="exact integrand")
errors = {}
for order, coef in fits.items():
    integrand = weight * (np.polyval(coef, lam_t + r) - x0_curve(lam_t))
    axes[1].plot(r, integrand, "--", label=f"order {order}")
    errors[order] = abs(np.trapezoid(integrand, r) - exact)
axes[1].plot(r, weight * 0.3, ":", color="k", label="the weight e^-(h-r) (x 0.3)")
axes[1].set_xlabel("r = lambda - lambda_t")
axes[1].set_title("e^-(h-r) (x0_hat - x0_hat_t): the integral added to the implicit step")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
print("error of the step's integral:", ", ".join(f"order {o}: {e:.2e}" for o, e in errors.items()))
assert errors[1] > errors[2] > errors[3]

# %% [markdown]
# The library's step `exponential_step(path, x_t, mu, t, s, x0_hat, others)` is this formula for every bridge of
# the family; `others` are the earlier `(time, x0_hat)` pairs (none: the implicit step). Two checks on the GOUB
# bridge: with no earlier point it *is* the implicit step; and the kernel moments it uses are the integrals above.

# %%
path = paths["goub"]
g = torch.Generator().manual_seed(0)
mu = 2 * torch.rand(2, 3, 8, 8, generator=g, dtype=DT) - 1
x0_hat = 2 * torch.rand(2, 3, 8, 8, generator=g, dtype=DT) - 1
x_t = path.sample(x0_hat, mu, 60, noise=torch.randn(2, 3, 8, 8, generator=g, dtype=DT))
gap = (exponential_step(path, x_t, mu, 60, 50, x0_hat) - implicit_step(path, x_t, x0_hat, mu, 60, 50)).abs().max()
print(f"first-order exponential step - implicit step: {float(gap):.1e}")
assert gap < 1e-12

for h in (0.3, 1.0, 3.0):
    rr = np.linspace(0, h, 20001)
    quad = [np.trapezoid(np.exp(-(h - rr)) * rr ** j / math.factorial(j), rr) for j in range(3)]
    psi = [1 - math.exp(-h)]
    for j in (1, 2):
        psi.append(h ** j / math.factorial(j) - psi[-1])
    print(f"h = {h}: psi_0..2 = " + ", ".join(f"{p:.5f}" for p in psi) + "  (quadrature "
          + ", ".join(f"{q:.5f}" for q in quad) + ")")
    assert np.allclose(psi, quad, atol=1e-7)

# %% [markdown]
# ## 2. The first step and the booting noise
#
# At the pinned end `t_T` of a bridge, `Theta = Sigma = 0` and `lambda = -inf`: the first step has `h = inf`,
# there is no earlier evaluation, and the formula keeps nothing of `x_T = mu` beyond the mean. Every sampler takes
# it as the implicit step. A *stochastic* sampler (the exact SDE solution with noise `eta`) shrinks the deviation
# from the mean by `kappa = (Sigma_s / Sigma_t) e^{-eta^2 h}` and adds noise `Sigma_s sqrt(1 - e^{-2 eta^2 h})`
# (exercise 11.3): with `h = inf` that is the **full** marginal standard deviation `Sigma_s` — the "booting noise"
# of DBIM, which the first step of a stochastic sampler must draw. A check: the first `eta = 1` step out of the
# pinned end of GOUB, drawn many times, has the marginal variance `Sigma_s^2 lam` (`lam` is GOUB's noise scale).

# %%
n_draws = 2000 if FAST else 20000
mu1 = torch.full((n_draws, 1), 0.2, dtype=DT)
x0_1 = torch.full((n_draws, 1), -0.3, dtype=DT)
gen = torch.Generator().manual_seed(1)
s = 70
x_s = implicit_step(path, mu1, x0_1, mu1, path.schedule.t_T, s, eta=1.0, generator=gen)
expected_var = float(path.std(x0_1[:1], mu1[:1], s).squeeze()) ** 2
measured_var = float(x_s.var())
print(f"variance of the first eta = 1 step to t = {s}: {measured_var:.3e}; marginal variance: {expected_var:.3e}")
assert abs(measured_var / expected_var - 1) < 6 / math.sqrt(n_draws)

# %% [markdown]
# ## 3. Convergence orders with an oracle
#
# With the true `x0` the first-order step is already exact (a constant `x0_hat` is integrated exactly), so an
# order test needs an `x0_hat` that varies with `t` (and with `x`): here
# `x0_hat(x, t) = x0 (1 + sin(3t)/2) + 0.3 cos(2t) mu + 0.3 tanh(x - mu)` on an OU bridge (`theta = 3`, `lam = 0.3`,
# global noise), solved from `t = 0.9` to `t = 0.1` (away from the pinned end). The error is measured against a
# DBIM-3 solution with 2048 steps. The slope of log(error) against log(network evaluations) is the order; Heun
# spends two evaluations per step.

# %%
class SmoothEstimate:
    """A made-up ``x0_hat(x_t, mu, t)`` that moves smoothly with ``t`` and ``x`` (stands in for a network)."""

    def __init__(self, x0, grid):
        self.x0, self.grid = x0, grid

    def __call__(self, x, mu, t):
        # the model receives float32 times: map them back to the float64 grid
        tt = self.grid[(self.grid[:, None] - t[None, :].double()).abs().argmin(0)].reshape(-1, 1, 1, 1)
        return self.x0 * (1 + 0.5 * torch.sin(3 * tt)) + 0.3 * torch.cos(2 * tt) * mu + 0.3 * torch.tanh(x - mu)


ou = bridges.ou_bridge(schedules.continuous_constant(3.0, 1.0), lam=0.3, noise="global")
g = torch.Generator().manual_seed(3)
x0 = 1.6 * torch.rand(2, 1, 4, 4, generator=g, dtype=DT) - 0.8
mu2 = 0.3 * x0 - 0.2
x_start = ou.sample(x0, mu2, 0.9, noise=torch.randn(x0.shape, generator=g, dtype=DT))


def solve(sampler, n, **kw):
    ts = torch.linspace(0.9, 0.1, n + 1, dtype=DT)
    return sampler(Denoiser(SmoothEstimate(x0, ts), clamp=False), mu2, ou, ts, x_T=x_start, **kw)


reference = solve(sample_dbim, 2048, order=3)
solvers = {"implicit (order 1)": (sample_implicit, {}, 1), "Euler (1)": (sample_euler, {}, 1),
           "Heun (2, 2 evals/step)": (sample_heun, {}, 2), "DBIM-2": (sample_dbim, {"order": 2}, 1),
           "DBIM-3": (sample_dbim, {"order": 3}, 1)}
fig, ax = plt.subplots(figsize=(6.5, 4.2))
orders = {}
for label, (sampler, kw, per_step) in solvers.items():
    err = np.array([float((solve(sampler, n, **kw) - reference).abs().max()) for n in STEPS])
    nfe = np.array(STEPS) * per_step
    orders[label] = -np.polyfit(np.log(nfe[-3:]), np.log(err[-3:]), 1)[0]
    ax.loglog(nfe, err, "o-", label=f"{label}: slope {orders[label]:.2f}")
ax.set_xlabel("network evaluations")
ax.set_ylabel("max |x - reference|")
ax.set_title("oracle convergence on [0.9, 0.1]")
ax.legend(fontsize=8)
plt.show()
for label, order in orders.items():
    print(f"{label:24s} measured order {order:.2f}")
assert abs(orders["DBIM-2"] - 2) < 0.3 and abs(orders["DBIM-3"] - 3) < 0.4 and abs(orders["Euler (1)"] - 1) < 0.2

# %% [markdown]
# The measured orders are 1, 2 and 3 (the tests in `tests/core/test_samplers.py` assert them on finer grids).
# Two caveats that the tests also pin: started at the pinned `t_T` on a grid **uniform in `t`**, Heun and DBIM-3
# drop to about 1.5 (the coefficients behave like `sqrt(t_T - t)` there); on a grid clustered at `t_T` the orders
# come back. And an order is an asymptotic statement: with 5 or 10 evaluations on a trained network, what counts
# is the error at that budget — which is what the study measures.
#
# ## 4. The study: trained networks, 64 held-out items, every sampler
#
# `benchmarks/sampler_study.py` takes the networks of the bridge comparison (notebook 07: tiny U-Net, 250 training
# steps, one per seed) of the published GOUB (`lam = (30/255)^2`) and of BBDM's Brownian bridge, restores the 64
# items of the fixed derain benchmark with every sampler at 1, 2, 3, 5, 10, 20, 50 and 100 network evaluations
# (the default grid `sampling_times(steps)` of each schedule; Heun's counts are even), and compares each with the reference, 100-step Euler-Maruyama on the reverse SDE, by the paired
# two-stage bootstrap over seeds and items (notebook 07). Read from the committed CSV:

# %%
summary = read_rows(RESULTS / "sampler_study.csv")
meta = json.loads((RESULTS / "sampler_study.json").read_text())
for row in summary:
    for key in ("nfe", "seeds", "items"):
        row[key] = int(row[key])
    for key in ("psnr", "psnr_y", "diff", "low", "high"):
        row[key] = float(row[key])
panels = sorted({(r["task"], r["bridge"]) for r in summary})
samplers_seen = list(dict.fromkeys(r["sampler"] for r in summary))
fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.6), squeeze=False)
for ax, (task, bridge) in zip(axes[0], panels):
    for k, sampler in enumerate(samplers_seen):
        rs = sorted((r for r in summary if (r["task"], r["bridge"], r["sampler"]) == (task, bridge, sampler)),
                    key=lambda r: r["nfe"])
        x = np.array([r["nfe"] for r in rs]) * (1 + 0.025 * (k - 5))
        y = np.array([r["diff"] for r in rs])
        err = np.array([[r["diff"] - r["low"] for r in rs], [r["high"] - r["diff"] for r in rs]])
        ax.errorbar(x, y, yerr=err, label=sampler, linestyle="--" if "corr" in sampler else "-", marker="o",
                    markersize=3, capsize=2)
    ax.axhspan(-0.1, 0.1, color="0.85", zorder=0)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xscale("log")
    ax.set_ylim(-3, None)
    ax.set_xlabel("network evaluations")
    ax.set_ylabel("PSNR - PSNR(Euler-Maruyama, 100) [dB]")
    ax.set_title(f"{task}, {bridge} ({rs[0]['seeds']} seeds x {rs[0]['items']} items)")
axes[0][-1].legend(fontsize=7, ncol=2, loc="lower right")
fig.tight_layout()
plt.show()
print(meta["criterion"], "\n")
print(f"{'task/bridge/sampler':34s} {'within 0.1 dB: first':>21s} {'stays':>6s} {'reaches: first':>15s} {'stays':>6s}"
      "   NFE measured")
for key, v in meta["verdict"].items():
    cells = [str(v[k]) for k in ("first_within", "stays_within", "first_reaches", "stays_reaches")]
    print(f"{key:34s} {cells[0]:>21s} {cells[1]:>6s} {cells[2]:>15s} {cells[3]:>6s}   {v['nfe_measured']}")

# %% [markdown]
# The same networks, each sampler against the first-order implicit sampler (`eta = 0`) **at the same number of
# evaluations** (paired, same seeds and items): what the higher orders buy over the step they extend.

# %%
print(f"{'task/bridge':13s} {'sampler':17s} " + " ".join(f"{'NFE ' + str(n):>22s}" for n in (5, 10, 20, 50, 100)))
for task, bridge in panels:
    for sampler in samplers_seen:
        cells = []
        for n in (5, 10, 20, 50, 100):
            row = next((r for r in summary if (r["task"], r["bridge"], r["sampler"], r["nfe"]) == (task, bridge, sampler, n)
                        and r["vs_implicit"] not in ("", None)), None)
            cells.append("—" if row is None else
                         f"{float(row['vs_implicit']):+.2f} [{float(row['low_vs_implicit']):+.2f}, "
                         f"{float(row['high_vs_implicit']):+.2f}]")
        if any(c != "—" for c in cells):
            print(f"{task + '/' + bridge:13s} {sampler:17s} " + " ".join(f"{c:>22s}" for c in cells))

# %% [markdown]
# **Reading the study** (derain, 3 seeds x 64 items, NFE 1-100 for every sampler; the numbers are in the CSV):
#
# * **The reference is not converged in PSNR, and the deterministic samplers beat it.** At every measured NFE the
#   implicit sampler (`eta = 0`), DBIM, Heun and Euler score 0.3-0.8 dB *above* 100-step Euler-Maruyama on GOUB
#   (implicit at 10: +0.77 dB [+0.46, +1.14], at 100: +0.48 [+0.33, +0.69]): PSNR rewards an output near the
#   posterior mean, and a reverse-SDE sample is a draw around it. The stochastic samplers drift down towards the
#   reference as the steps grow (Euler-Maruyama itself: +0.56 dB [+0.30, +0.95] at 20, +0.13 [-0.03, +0.33] at
#   50), the exact-SDE sampler past it (-0.23 dB [-0.36, -0.13] at 100). The two-sided rule "within 0.1 dB of the
#   reference" is met on GOUB only by the ancestral implicit sampler (`eta = 1`) at 100 evaluations, -0.002 dB
#   [-0.006, +0.002], where both discretise the same reverse SDE finely; on BBDM it holds at 1 and at 100 for
#   several samplers, mostly as "no difference established" with intervals much wider than ±0.1 dB (only
#   `eta = 1` at 100 is narrow: -0.045 [-0.097, -0.011]).
# * **The one-sided rule** (a loss of more than 0.1 dB excluded) is met on GOUB from 2 evaluations by every
#   sampler, and stays met from there except for Euler and Euler-Maruyama (from 10) and the exact-SDE sampler (it
#   falls below at 50); on BBDM from 4-5 by the deterministic samplers (not staying: at 50 and 100 their lower ends
#   are below -0.1 dB), from 10 by the implicit `eta = 1` sampler, while Euler-Maruyama itself needs 20.
# * **The higher orders buy nothing here.** Against the implicit sampler at the same NFE, DBIM-2 and DBIM-3 (with
#   or without the corrector) differ by at most 0.04 dB up to 20 evaluations (GOUB, DBIM-3 at 10: -0.02 dB
#   [-0.09, +0.05]) and score *below* it at 50 and 100 (GOUB, DBIM-3: -0.14 dB [-0.20, -0.09] and -0.11
#   [-0.15, -0.07]). At 1-3 evaluations they
#   *are* the implicit sampler (the step out of `t_T` is the implicit step and the history starts after it).
#   With networks this small the first-order implicit step is already converged at 3-5 evaluations: the
#   trajectory error that a higher order removes is smaller than the network's own error. The exact-SDE sampler
#   (order 2) keeps the marginals at any step size and, being stochastic, stays below the deterministic samplers
#   (GOUB, at 10: -0.23 dB [-0.40, -0.05] against the implicit sampler).

# %% [markdown]
# ## Exercises
#
# **11.1 (predict).** In the exact step of the PF-ODE, the slope `d_1` of `x0_hat` in `lambda` enters with the
# weight `Theta_s psi_1(h)`, `psi_1(h) = int_0^h e^{-(h - r)} r dr`. What is `psi_1(1)` (a step that multiplies
# `Theta/Sigma` by `e`)? One number.

# %%
from rdbm_course.exercises import check  # noqa: E402

answer_11_1 = ...  # a number
check("11.1", answer_11_1)

# %% [markdown]
# **11.2 (implement).** Write the second-order multistep step (DBIM-2):
# `second_order_step(path, x_t, mu, t, s, x0_t, t_prev, x0_prev)` returns `x_s` from `x_t`, the network's
# `x0_hat` at `t` (`x0_t`) and at the previous grid time `t_prev` (`x0_prev`; `t_prev` is nearer `t_T`). Use
# `implicit_step` for the first-order part and `half_log_snr(path, t)` for `lambda` (both in
# `rdbm_core.bridge.samplers`); the slope of `x0_hat` in `lambda` is estimated from the two evaluations.

# %%
answer_11_2 = ...  # a function second_order_step(path, x_t, mu, t, s, x0_t, t_prev, x0_prev) -> x_s
check("11.2", answer_11_2)

# %% [markdown]
# **11.3 (predict).** The exact solution of the reverse SDE (`eta = 1`) over a step with `h = lambda_s - lambda_t`
# keeps `kappa = (Sigma_s / Sigma_t) e^{-h}` of the deviation from the mean and adds Gaussian noise so that the
# marginal variance is kept. For `h = log 2`, what is the noise's standard deviation as a fraction of `Sigma_s`
# (global noise)? One number.

# %%
answer_11_3 = ...  # a number
check("11.3", answer_11_3)

# %%
print(f"notebook wall time: {time.perf_counter() - T_START:.0f} s")
