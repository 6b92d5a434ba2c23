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

from rdbm_core.bridge import bridges, samplers, schedules
from rdbm_course.exercises import check

DT = torch.float64


def clock_step(bridge, t, s):
    """``du = u_t - u_s > 0``: the step in the clock, in which ``bridge.velocity`` is a rate."""
    return float(bridge.schedule.clock(t) - bridge.schedule.clock(s))


# %% [markdown]
# ## 08.1 — An explicit Euler step of the PF-ODE
#
# `bridge.velocity(x, x0_hat, mu, t)` is `dx/du` with the clock `u_t` (`bridge.schedule.clock(t)`). Going from `t`
# back to the earlier time `s` the clock decreases by `du = u_t - u_s`, so the explicit (forward) Euler
# step — velocity frozen at the start point — is `x_s = x_t - du * v(x_t, t)`. The step size is measured in the
# clock, not in `t`: on section 3's schedule (`theta = 3`) the two differ by a factor 3.

# %%
def euler_step(bridge, x, x0_hat, mu, t, s):
    return x - clock_step(bridge, t, s) * bridge.velocity(x, x0_hat, mu, t)


feedback = check("08.1", euler_step)
display(feedback)
assert feedback

# %% [markdown]
# The order, measured by hand on section 3's problem (a small random image instead of a crop): the error against the
# exact solution at `t_end = 0.1`, `mu + Theta_{t_end} pi + Sigma_{t_end} pi eps`, halves when the number of steps
# doubles.

# %%
cont = bridges.ou_bridge(schedules.continuous_constant(3.0, 1.0), lam=0.3)
g = torch.Generator().manual_seed(0)
x0 = torch.rand(1, 3, 4, 4, generator=g, dtype=DT) * 2 - 1
mu = (x0 + 0.5 * torch.randn(x0.shape, generator=g, dtype=DT)).clamp(-1, 1)
eps = torch.randn(x0.shape, generator=g, dtype=DT)
t_start, t_end = 0.9, 0.1
x_start, x_exact = cont.sample(x0, mu, t_start, noise=eps), cont.sample(x0, mu, t_end, noise=eps)


def integrate(step, n):
    ts = torch.linspace(t_start, t_end, n + 1, dtype=DT)
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
def heun_step(bridge, model, x, mu, t, s):
    du = clock_step(bridge, t, s)
    v_start = bridge.velocity(x, model(x, mu, t), mu, t)
    x_pred = x - du * v_start  # the Euler predictor
    v_end = bridge.velocity(x_pred, model(x_pred, mu, s), mu, s)  # a second network evaluation
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
# Section 1's rules: every step first calls the network for `x0_hat` (1 NFE). Then:
#
# * a step onto a clean point (`bridge.is_clean(s)`) returns `x0_hat`: no more evaluations;
# * otherwise a step out of a pinned end (`bridge.is_terminal(t)`, which is false for an unpinned process) takes the
#   implicit rule: no more evaluations;
# * every other step is the sampler's own; Heun's calls the network once more, at the end of its Euler predictor.
#
# So Heun spends `n + (number of ordinary steps)` evaluations with `n` sampler steps:
#
# * (a), given: RDBM, reference grid 99, …, 9, −1: the first step is implicit and the last returns `x0_hat`, so 8 of
#   the 10 steps are ordinary: `10 + 8 = 18` (the `2n - 2` of section 1);
# * (b) IR-SDE is not pinned, so its first step out of index 100 is an ordinary Heun step (its velocity is finite
#   there); only the last step, onto the clean index 0, is special: `10 + 9 = 19`;
# * (c) section 3's bridge *is* pinned at its end `t_T = 1`, so the first step is the implicit one; the grid stops at
#   0.1, before the clean time 0, so the last step is an ordinary Heun step: `10 + 9 = 19`. The same count as (b),
#   for the opposite reason.

# %%
def ordinary_steps(bridge, ts):
    return sum(not bridge.is_clean(s) and not bridge.is_terminal(t) for t, s in zip(ts[:-1], ts[1:]))


rdbm, irsde = bridges.rdbm(), bridges.irsde()
grids = {"a": (rdbm, rdbm.schedule.sampling_times(10)), "b": (irsde, irsde.schedule.sampling_times(10)),
         "c": (cont, torch.linspace(1.0, 0.1, 11, dtype=DT))}
predicted = {k: len(ts) - 1 + ordinary_steps(b, ts) for k, (b, ts) in grids.items()}
print("predicted NFE:", predicted)
assert predicted["a"] == 18  # the baseline the exercise gives
answer_08_3 = (predicted["b"], predicted["c"])

# %% [markdown]
# And counted, with a network that records its calls (every grid here starts at its process's terminal time, so the
# sampler draws its own start `x_T`):

# %%
counted = {}
for k, (b, ts) in grids.items():
    calls = []
    model = lambda x, m, t: calls.append(1) or m  # noqa: E731
    samplers.sample_heun(model, torch.zeros(1, 3, 1, 1, dtype=DT), b, ts, generator=torch.Generator().manual_seed(0))
    counted[k] = len(calls)
print("counted NFE:  ", counted)
assert counted == predicted

feedback = check("08.3", answer_08_3)
display(feedback)
assert feedback

# %% [markdown]
# ## 08.4 — Which samplers coincide with 3 sampler steps
#
# With 2 sampler steps there is no ordinary step: the first is the implicit one out of `t_T` for every setting (with
# noise for `eta = 1` and Euler–Maruyama, the same draw from the same seed), the last returns `x0_hat`. With 3 steps
# the middle step is ordinary, and each setting uses its own rule there: the exact implicit step (`eta = 0`), the
# posterior draw (`eta = 1`), the reverse-SDE Euler–Maruyama step, and the PF-ODE's Euler and Heun steps. For a step
# of finite size none of these maps equals another (Euler approximates the exact step; Euler–Maruyama's drift is not
# the posterior mean), and the last step's `x0_hat` is taken at five different states: **5** distinct outputs.
#
# Checked with the library and a network whose prediction depends on its input:

# %%
from rdbm_course.exercises.ex08_samplers import distinct_outputs

print("2 sampler steps:", distinct_outputs(2))
print("3 sampler steps:", distinct_outputs(3))
answer_08_4 = 5
assert len(distinct_outputs(3)) == answer_08_4

feedback = check("08.4", answer_08_4)
display(feedback)
assert feedback
