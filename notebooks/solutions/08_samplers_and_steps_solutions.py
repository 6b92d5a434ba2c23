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
# # 08 — Solutions to the exercises
#
# **What you will learn.** How the explicit Euler and Heun steps of the PF-ODE are written in the clock, how
# their orders of convergence (1 and 2) are measured against the exact implicit solution, and how to count the
# network evaluations a sampler spends from the rules of its loop.
#
# **Prerequisites.** notebook 08.

# %%
import math

import torch
from IPython.display import display

from rdbm_core import bridges, samplers, schedules
from rdbm_course.exercises import check

DT = torch.float64


def clock_step(path, t, s):
    """``du = thbar_t - thbar_s > 0``: the step in the clock, in which ``path.velocity`` is a rate."""
    return float(path.schedule.clock(t) - path.schedule.clock(s))


# %% [markdown]
# ## 08.1 — An explicit Euler step of the PF-ODE
#
# `path.velocity(x, x0_hat, mu, t)` is `dx/du` with `u = thbar_t`. Going from `t` back to the earlier time `s`
# the clock decreases by `du = thbar_t - thbar_s`, so the explicit (forward) Euler step — velocity frozen at the
# start point — is `x_s = x_t - du * v(x_t, t)`. The step size is measured in the clock, not in `t`: on part 3's
# schedule (`theta = 3`) the two differ by a factor 3.

# %%
def euler_step(path, x, x0_hat, mu, t, s):
    return x - clock_step(path, t, s) * path.velocity(x, x0_hat, mu, t)


feedback = check("08.1", euler_step)
display(feedback)
assert feedback

# %% [markdown]
# The order, measured by hand on part 3's problem (a small crop): the error against the exact solution
# `x_t1 = mu + Theta_t1 pi + Sigma_t1 pi eps` halves when the number of steps doubles.

# %%
cont = bridges.ou_bridge(schedules.continuous_constant(3.0, 1.0), lam=0.3)
g = torch.Generator().manual_seed(0)
x0 = torch.rand(1, 3, 4, 4, generator=g, dtype=DT) * 2 - 1
mu = (x0 + 0.5 * torch.randn(x0.shape, generator=g, dtype=DT)).clamp(-1, 1)
eps = torch.randn(x0.shape, generator=g, dtype=DT)
x_start, x_exact = cont.sample(x0, mu, 0.9, noise=eps), cont.sample(x0, mu, 0.1, noise=eps)


def integrate(step, n):
    ts = torch.linspace(0.9, 0.1, n + 1, dtype=DT)
    x = x_start
    for t, s in zip(ts[:-1], ts[1:]):
        x = step(x, t, s)
    return float((x - x_exact).abs().max())


STEPS = (16, 32, 64, 128)
euler_errors = [integrate(lambda x, t, s: euler_step(cont, x, x0, mu, t, s), n) for n in STEPS]
euler_orders = [math.log2(a / b) for a, b in zip(euler_errors[:-1], euler_errors[1:])]
print("Euler errors:", [f"{e:.2e}" for e in euler_errors], " measured orders:", [f"{p:.2f}" for p in euler_orders])
assert abs(euler_orders[-1] - 1) < 0.25

# %% [markdown]
# ## 08.2 — A Heun step of the PF-ODE
#
# Heun's method (the explicit trapezoid rule) predicts with Euler, `x_e = x_t - du * v(x_t, t)`, then averages
# the velocity at the start and at the predicted end: `x_s = x_t - du * (v(x_t, t) + v(x_e, s)) / 2`. The
# velocity depends on `x0_hat`, which the network gives *at each point*: one evaluation at `(x_t, t)` and a
# second at `(x_e, s)`. That second evaluation is what makes Heun cost two NFE per step.

# %%
def heun_step(path, model, x, mu, t, s):
    du = clock_step(path, t, s)
    v_start = path.velocity(x, model(x, mu, t), mu, t)
    x_pred = x - du * v_start  # the Euler predictor
    v_end = path.velocity(x_pred, model(x_pred, mu, s), mu, s)  # a second network evaluation
    return x - du * 0.5 * (v_start + v_end)


feedback = check("08.2", heun_step)
display(feedback)
assert feedback

# %% [markdown]
# The same measurement as for Euler: now the error falls by a factor 4 per doubling (on the finer grids: with
# few steps the higher-order terms of the error still show).

# %%
oracle = lambda x, m, t: x0  # noqa: E731
heun_errors = [integrate(lambda x, t, s: heun_step(cont, oracle, x, mu, t, s), n) for n in STEPS]
heun_orders = [math.log2(a / b) for a, b in zip(heun_errors[:-1], heun_errors[1:])]
print("Heun errors:", [f"{e:.2e}" for e in heun_errors], " measured orders:", [f"{p:.2f}" for p in heun_orders])
assert abs(heun_orders[-1] - 2) < 0.25

# %% [markdown]
# ## 08.3 — Counting Heun's network evaluations
#
# `_solve` in `rdbm_core/samplers.py` runs one loop iteration per step and, in each, first calls the network for
# `x0_hat` (1 NFE). Then:
#
# * if the step lands on the clean point (`path.is_clean(s)`), it returns `x0_hat` — no more evaluations;
# * else, if it leaves the pinned terminal point (`path.is_terminal(t)`, which is false for an unpinned process),
#   it takes the implicit step — no more evaluations;
# * else it calls the sampler's own step; Heun's calls the network once more at the predicted point.
#
# So Heun spends `N + (number of ordinary steps)` evaluations:
#
# * (a) RDBM, reference grid 99, …, 9, −1: the first step is implicit and the last returns `x0_hat`, so 8 of the 10
#   steps are ordinary: `10 + 8 = 18` (the `2N - 2` of section 1);
# * (b) IR-SDE is not pinned, so its first step out of `t_T = 100` is an ordinary Heun step (its velocity is finite
#   there); only the last step into the clean index 0 is special: `10 + 9 = 19`;
# * (c) from 0.9 to 0.1 no step touches an end: `10 + 10 = 20`.

# %%
def ordinary_steps(path, ts):
    return sum(not path.is_clean(s) and not path.is_terminal(t) for t, s in zip(ts[:-1], ts[1:]))


rdbm, irsde = bridges.rdbm(), bridges.irsde()
grids = [(rdbm, rdbm.schedule.sampling_times(10)), (irsde, irsde.schedule.sampling_times(10)),
         (cont, torch.linspace(0.9, 0.1, 11, dtype=DT))]
answer_08_3 = tuple(len(ts) - 1 + ordinary_steps(p, ts) for p, ts in grids)
print("predicted NFE (a, b, c):", answer_08_3)

# %% [markdown]
# And counted, with a network that records its calls:

# %%
counted = []
for p, ts in grids:
    calls = []
    model = lambda x, m, t: calls.append(1) or m  # noqa: E731
    mu_1 = torch.zeros(1, 3, 1, 1, dtype=DT)
    x_T = None if p.schedule.clock_to_end(ts[0]) == 0 else mu_1.clone()
    samplers.sample_heun(model, mu_1, p, ts, x_T=x_T, generator=torch.Generator().manual_seed(0))
    counted.append(len(calls))
print("counted NFE (a, b, c):  ", tuple(counted))
assert tuple(counted) == answer_08_3

feedback = check("08.3", answer_08_3)
display(feedback)
assert feedback
