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
# # 10 — A learned toy bridge: what residual modulation does to a trained predictor and to its samplers
#
# **What you will learn.** With a *learned* $x_0$-predictor (a small MLP, trained in seconds) on the
# one-dimensional two-mode example of notebook 04: that the deterministic sampler ($\eta = 0$) started at
# $x_T = \mu$ returns one and the same value for every draw, that $\eta = 1$ and the reverse SDE recover both modes
# under global noise, and what residual modulation changes — in the predictor it learns and in the samples. Then
# why: the $\eta = 0$ step never sees the noise factor, and the stochastic samplers see it only through the
# *predicted* residual.
#
# **Prerequisites.** Notebooks 02c (the implicit step), 04 (the setting of this notebook) and 06 (training an
# $x_0$-predictor); `docs/theory.md` §1–9 and its symbol table ($\nu(\pi)$ is the noise factor, $s$ an earlier time).
#
# Full-mode wall time: about two minutes on a 2-core CPU shared with other jobs (`FAST=1`: about half a minute;
# `benchmarks/notebook_times.py` measures it); this run's own time is printed at the end of section 5.

# %%
import math
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats
from tqdm.auto import tqdm

from rdbm_core.bridge import bridges, samplers, schedules

FAST = os.environ.get("FAST") == "1"
LAMS = (0.1,) if FAST else (1e-4, 1e-2, 0.1, 1.0)  # stationary noise variances compared
TRAIN_STEPS = 500 if FAST else 1200  # Adam steps per model (batch 512)
N_SAMPLES = 1_500 if FAST else 3_000  # draws per sampler, all from the same mu
STEPS_IMPLICIT = 20 if FAST else 50  # implicit sampler (eta = 0 and eta = 1)
STEPS_SDE = 80 if FAST else 150  # Euler-Maruyama on the reverse SDE
NOISES = ("modulated", "global")
torch.set_num_threads(1)  # tiny tensors: one thread avoids the threading overhead on a busy CPU
T_START = time.perf_counter()

# %% [markdown]
# ## 1. The data, the bridges, the predictor
#
# As in notebook 04: the clean value $x_0$ comes from two modes (centres $-0.6$ and $+0.7$, standard deviation
# $0.05$, equal weights); every draw has the same degraded value $\mu = 0.4$, so the residual $\pi = x_0 - \mu$ is
# about $-1.0$ (lower mode) or $+0.3$ (upper mode). The bridge is the OU bridge with $\theta = 3$ on $[0, 1]$, with the
# noise factor $\nu(\pi) = \pi$ (RDBM, *modulated*) or $\nu = 1$ (*global*), at several $\lambda$:
#
# $$x_t = \mu + \Theta_t\,\pi + \Sigma_t\,\nu(\pi)\,\epsilon, \qquad \epsilon \sim \mathcal N(0, 1).$$
#
# Given $\mu$, the answer is bimodal: a restoration model can only return *a* plausible $x_0$, and a sampler that
# is to be a sampler must return the lower mode about half of the time and the upper mode the other half.
#
# **The predictor** $\hat x_0(x_t, \mu, t)$ is an MLP (3 hidden layers of 64, SiLU) trained with the squared error,
# so its target is the posterior mean $E[x_0 \mid x_t, \mu]$ (the paper trains with L1, i.e. the posterior median;
# the squared error keeps the target a mean, which the algebra of section 5 needs). Its input is the rescaled residual
# $(x_t - \mu)/\sqrt{\Theta_t^2 + \Sigma_t^2}$ (roughly unit scale at every $t$, the usual input preconditioning), the
# log of that scale and $t$; it outputs $\hat x_0 - \mu$. Both noise factors get the same network, data, optimiser,
# budget and seed: only the training distribution differs. The bar shows the training's progress.

# %%
MODES, MODE_STD, MU = (-0.6, 0.7), 0.05, 0.4
SPLIT = 0.05  # midpoint of the two modes: a draw below it belongs to the lower mode
sch = schedules.continuous_constant(3.0, T=1.0)
PATHS = {(lam, noise): bridges.ou_bridge(sch, lam, noise=noise, name=f"{noise}, lam={lam:g}")
         for lam in LAMS for noise in NOISES}


def draw_x0(n, generator):
    """``n`` clean values [n, 1] from the two-mode mixture (n samples of one pixel each)."""
    upper = torch.rand(n, 1, generator=generator) < 0.5
    return torch.where(upper, MODES[1], MODES[0]) + MODE_STD * torch.randn(n, 1, generator=generator)


class X0MLP(torch.nn.Module):
    """A small x0-predictor ``model(x_t, mu, t)`` for one-pixel samples [B, 1]; ``t`` is [B]."""

    def __init__(self, path, width=64):
        super().__init__()
        self.path = path  # only for the input scale sqrt(Theta_t^2 + Sigma_t^2)
        self.net = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.SiLU(), torch.nn.Linear(width, width),
                                       torch.nn.SiLU(), torch.nn.Linear(width, width), torch.nn.SiLU(),
                                       torch.nn.Linear(width, 1))

    def forward(self, x, mu, t):
        theta, _, sigma = self.path.coefficients(t.double())
        scale = torch.sqrt(theta ** 2 + sigma ** 2 + 1e-6).float()[:, None]  # the floor keeps t = T finite
        features = torch.cat([(x - mu) / scale, scale.log(), t.float()[:, None]], 1)
        return mu + self.net(features)


def train(path, steps, seed=0, batch=512, bar=None):
    """Adam with a cosine learning rate on the squared error of x0_hat; returns the model and its loss curve.
    ``bar`` (a tqdm bar) is advanced once per step."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the same initial weights for every path
    model = X0MLP(path)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    lr = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    losses = []
    for _ in range(steps):
        x0 = draw_x0(batch, gen)
        mu = torch.full_like(x0, MU)
        t = torch.rand(batch, generator=gen, dtype=torch.float64)
        loss = ((model(path.sample(x0, mu, t, generator=gen), mu, t.float()) - x0) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        lr.step()
        losses.append(loss.item())
        if bar is not None:
            bar.update()
    return model.eval(), losses


t0 = time.perf_counter()
MODELS, LOSSES = {}, {}
bar = tqdm(total=len(PATHS) * TRAIN_STEPS, desc=f"training {len(PATHS)} predictors", unit="step")
for key, path in PATHS.items():
    MODELS[key], LOSSES[key] = train(path, TRAIN_STEPS, bar=bar)
bar.close()
print(f"{len(MODELS)} models trained in {time.perf_counter() - t0:.0f} s")

# %% [markdown]
# **The exact predictor, for reference.** Here the posterior mean can be computed: $x_t$ given $x_0$ is Gaussian,
# so $E[x_0 \mid x_t]$ is a weighted average over a fine grid of $x_0$ nodes (weights: mixture density times the
# Gaussian likelihood $\mathcal N\big(x_t;\ \mu + \Theta_t\pi,\ \Sigma_t^2\,\nu(\pi)^2\big)$). At $t = T$ nothing is known
# about $x_0$ and it returns the prior mean $E[x_0 \mid \mu] = 0.05$. This *oracle* separates what the network learned
# from what the sampler does.

# %%
X0_NODES = torch.cat([m + torch.linspace(-5 * MODE_STD, 5 * MODE_STD, 41, dtype=torch.float64) for m in MODES])
W_NODES = sum(torch.exp(-0.5 * ((X0_NODES - m) / MODE_STD) ** 2) for m in MODES)
W_NODES = W_NODES / W_NODES.sum()
PRIOR_MEAN = float((W_NODES * X0_NODES).sum())


def oracle(path):
    """The exact posterior mean ``E[x0 | x_t, mu]`` as a model (quadrature over the x0 nodes)."""
    def model(x, mu, t):
        _, _, sigma = path.coefficients(t.double())
        nodes = X0_NODES.expand(len(x), -1)
        mean = path.mean(nodes, torch.full_like(nodes, MU), t.double())
        sd = path.std(nodes, torch.full_like(nodes, MU), t.double())
        logp = W_NODES.log() - 0.5 * ((x.double() - mean) / sd) ** 2 - sd.log()
        post = (torch.softmax(logp, 1) * nodes).sum(1, keepdim=True)
        return torch.where(sigma[:, None] > 0, post, torch.full_like(post, PRIOR_MEAN)).to(x.dtype)
    return model


ORACLES = {key: oracle(path) for key, path in PATHS.items()}
print(f"E[x0 | mu] = {PRIOR_MEAN:.4f}")
assert abs(PRIOR_MEAN - 0.05) < 1e-3

# %% [markdown]
# ## 2. What the predictor learned, with and without modulation
#
# The figure of this section draws $\hat x_0$ against $x_t$ at four times, for one $\lambda$: the learned predictor
# (solid) and the exact one (dashed). It shows, among other things, the answer to the next exercise: answer it first.
#
# **Exercise 10.1 (predict, before the figure).** Under residual modulation, what is the exact posterior mean
# $\hat x_0 = E[x_0 \mid x_t, \mu]$ at $x_t = \mu$, at a time $t$ before $T$ (say $t = 0.5$, $\lambda = 0.1$)? Write
# $x_t - \mu = \pi(\Theta_t + \Sigma_t\epsilon)$ and ask how likely $x_t = \mu$ is under each mode. The checker says
# what is wrong and gives a hint, never the answer; worked solution: `solutions/10_learned_toy_bridge_solutions.ipynb`.

# %%
from rdbm_course.exercises import check

answer_10_1 = ...  # a number: E[x0 | x_t = mu] under modulation, for t < T
check("10.1", answer_10_1)

# %% [markdown]
# The figure: $\hat x_0$ against $x_t$ at four times, $\lambda = 0.1$, learned (solid) and exact (dashed); the grey band
# is where the training data $x_t$ lies (its 0.5 %–99.5 % range), the dotted line is $\mu$.

# %%
LAM_SHOW = 0.1
T_SHOW = (0.5, 0.9, 0.97, 0.995)
fig, axes = plt.subplots(2, len(T_SHOW), figsize=(15, 6.8), sharey=True, layout="constrained")
gen = torch.Generator().manual_seed(11)
learn_err, exact_edges, exact_shape = {}, {}, {}
for row, noise in zip(axes, NOISES):
    key = (LAM_SHOW, noise)
    path, model, exact = PATHS[key], MODELS[key], ORACLES[key]
    for ax, t in zip(row, T_SHOW):
        x0 = draw_x0(20_000, gen)
        mu = torch.full_like(x0, MU)
        tt = torch.full((len(x0),), t)
        xt = path.sample(x0, mu, tt.double(), generator=gen)
        lo, hi = np.quantile(xt.numpy(), [0.005, 0.995])
        grid = torch.linspace(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), 400)[:, None]
        tg = torch.full((len(grid),), t)
        with torch.no_grad():
            exact_curve = exact(grid, torch.full_like(grid, MU), tg)
            ax.plot(grid, model(grid, torch.full_like(grid, MU), tg), color="tab:blue", lw=1.8, label="learned")
            ax.plot(grid, exact_curve, color="k", ls="--", lw=1.2, label="exact")
            # error of the learned predictor where the training data lies (weighted by p(x_t))
            learn_err[(noise, t)] = float(((model(xt, mu, tt) - exact(xt, mu, tt)) ** 2).mean().sqrt())
        exact_edges[(noise, t)] = (float(exact_curve[0]), float(exact_curve[-1]))
        exact_shape[(noise, t)] = exact_curve.ravel()
        ax.axvspan(lo, hi, color="0.9", zorder=0, label="training $x_t$ (99 %)")
        ax.axhline(MU, color="0.5", ls=":", lw=0.8, label=r"$\mu = 0.4$")
        ax.set_title(f"{noise} noise, t = {t}", fontsize=10)
        ax.set_xlabel(r"$x_t$ (pixel value)")
    row[0].set_ylabel(r"$\hat x_0(x_t, \mu, t)$ (pixel value)")
fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=9)
fig.suptitle(rf"The learned predictor against the exact posterior mean, $\lambda = {LAM_SHOW}$", fontsize=11)
plt.show()
print("RMS(learned - exact) over the training distribution of x_t:",
      {f"{n[:3]}, t={t}": round(v, 3) for (n, t), v in learn_err.items()})
assert max(learn_err.values()) < 0.15, learn_err
assert all(max(edges) < -0.5 for (n, _), edges in exact_edges.items() if n == "modulated"), exact_edges
assert all(bool((curve.diff() > -1e-6).all()) for (n, _), curve in exact_shape.items() if n == "global")  # increasing
assert exact_shape[("global", 0.5)].min() < -0.4 and exact_shape[("global", 0.5)].max() > 0.5  # a step at t = 0.5
assert -0.1 < exact_shape[("global", 0.995)].min() and exact_shape[("global", 0.995)].max() < 0.2  # flat near T

# %% [markdown]
# The learned curves follow the exact ones to an RMS error below 0.15 over the training distribution (printed). What
# modulation changes in the predictor: under **global** noise the two modes' $x_t$ are two Gaussians of the same width
# around $\mu + \Theta_t\pi$, and the exact $\hat x_0$ increases with $x_t$: at $t = 0.5$ a smooth step from below
# $-0.4$ to above $0.5$, and towards $T$, where $x_t$ tells less and less, ever flatter (at $t = 0.995$ it stays between
# $-0.1$ and $0.2$, near the prior mean 0.05; all asserted). Under
# **modulation** the noise is $\Sigma_t\pi\epsilon$: the lower mode ($|\pi| = 1$) is spread $1/0.3 \approx 3.3$ times
# wider than the upper one ($|\pi| = 0.3$), so near $t = T$ the upper mode's $x_t$ is a narrow spike inside the lower
# mode's broad bump. Far from $\mu$ only the wide lower mode can have produced $x_t$: at both edges of every modulated
# panel the exact $\hat x_0$ is below $-0.5$ (asserted). Near $\mu$ the narrow upper mode gains weight and $\hat x_0$
# rises; exercise 10.1 asked for its exact value at $x_t = \mu$. At $t = T$ itself $x_T = \mu$ carries no information
# and the exact answer jumps to the prior mean $E[x_0 \mid \mu] = 0.05$; a smooth network cannot follow that jump.

# %% [markdown]
# ## 3. Samples from $\mu$: the deterministic sampler, the ancestral sampler, the reverse SDE
#
# For each trained model, `N_SAMPLES` draws, all from the same $\mu$ and started at $x_T = \mu$: the implicit sampler
# with $\eta = 0$ and with $\eta = 1$, and Euler–Maruyama on the reverse SDE, on uniform grids in $t$. The same with
# the exact predictor (the oracle).

# %%
def draw_samples(model, path, n, seed, steps_implicit=STEPS_IMPLICIT, steps_sde=STEPS_SDE):
    """The three samplers of this notebook from x_T = mu: {'eta=0', 'eta=1', 'SDE'} -> [n, 1]."""
    mu = torch.full((n, 1), MU)
    gen = torch.Generator().manual_seed(seed)
    grid = torch.linspace(1.0, 0.0, steps_implicit + 1, dtype=torch.float64)
    grid_sde = torch.linspace(1.0, 0.0, steps_sde + 1, dtype=torch.float64)
    with torch.no_grad():
        return {"eta=0": samplers.sample_implicit(model, mu, path, grid, eta=0.0, generator=gen),
                "eta=1": samplers.sample_implicit(model, mu, path, grid, eta=1.0, generator=gen),
                "SDE": samplers.sample_euler_maruyama(model, mu, path, grid_sde, generator=gen)}


t0 = time.perf_counter()
SAMPLES = {(*key, "learned"): draw_samples(MODELS[key], PATHS[key], N_SAMPLES, seed=1) for key in PATHS}
SAMPLES |= {(*key, "exact"): draw_samples(ORACLES[key], PATHS[key], N_SAMPLES, seed=1) for key in PATHS}
print(f"sampling: {time.perf_counter() - t0:.0f} s")

# %%
X0_TEST = draw_x0(N_SAMPLES, torch.Generator().manual_seed(99))  # a fresh draw of the true x0 | mu
fig, axes = plt.subplots(len(LAMS), 4, figsize=(15, 2.4 * len(LAMS) + 0.9), sharex=True, layout="constrained")
axes = np.atleast_2d(axes)
bins = np.linspace(-0.9, 1.0, 96)
for row, lam in zip(axes, LAMS):
    for ax, (noise, who) in zip(row, [(n, w) for w in ("learned", "exact") for n in NOISES]):
        ax.hist(X0_TEST.numpy().ravel(), bins=bins, density=True, color="0.85", label=r"true $x_0 \mid \mu$")
        for name, colour in (("eta=1", "tab:blue"), ("SDE", "tab:red")):
            x = SAMPLES[(lam, noise, who)][name].numpy().ravel()
            ax.hist(x, bins=bins, density=True, histtype="step", lw=1.3, color=colour, label=name)
        x_det = float(SAMPLES[(lam, noise, who)]["eta=0"][0])
        ax.axvline(x_det, color="k", lw=1.6, label="eta=0 (every draw)")
        ax.axvline(MU, color="0.5", ls=":", lw=0.8, label=r"$\mu = 0.4$")
        ax.set_title(f"{who} predictor, {noise} noise, lam = {lam:g}", fontsize=9)
    row[0].set_ylabel("density (1 / pixel value)", fontsize=9)
for ax in axes[-1]:
    ax.set_xlabel(r"sampled $x_0$ (pixel value)")
fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=5, fontsize=9)
fig.suptitle(r"Samples from one $\mu = 0.4$; grey: the true $x_0 \mid \mu$", fontsize=11)
plt.show()

# %% [markdown]
# What to see (each statement is asserted at the end of section 4, in full and in fast mode; the statements about
# $\lambda = 10^{-4}$, $0.01$ and $1$ concern full mode, whose runs have those $\lambda$):
#
# * **$\eta = 0$ (black line):** one value for all draws. Under global noise it lies between the two mode centres,
#   where exactly depends on $\lambda$ and on the predictor. Under modulation, at $\lambda \le 0.1$, it lies in or
#   next to the lower mode (below $-0.35$), for the learned and for the exact predictor alike. For the exact predictor
#   the first step goes from $\mu$ towards $\hat x_0(\mu, T) = 0.05$, i.e. downwards, and below $\mu$ the wide lower
#   mode explains $x_t$ best.
# * **Global noise, $\eta = 1$ and SDE:** both modes. With the exact predictor in the right proportions (the
#   lower-mode fraction within 4 binomial standard errors of 1/2); with the learned one off by less than 0.1, and
#   with modes a little shifted or sharpened (its KS distance to the truth exceeds the exact predictor's for every
#   $\lambda$ and sampler). Where the learned predictor is weakest, at $\lambda = 1$ in full mode and in fast mode
#   (whose models train 500 steps), fewer than half of its draws lie within 3 mode widths of a mode centre: the mass
#   smears between the modes.
# * **Modulated noise, learned predictor:** at $\lambda \le 0.1$ the upper mode is nearly lost, more than 90 % of the
#   draws fall in the lower mode; at $\lambda = 1$ fewer than 30 % of the draws lie within 3 mode widths of either mode.
# * **Modulated noise, exact predictor:** at $\lambda = 0.01$ and $0.1$ both modes are there, but the lower one gets
#   fewer than half of the draws (between 40 % and 48 %). At $\lambda = 10^{-4}$ the upper mode gets less than a quarter
#   of the draws. At $\lambda = 1$ the $\eta = 1$ sampler misses both modes: fewer than 30 % of its draws lie within
#   3 mode widths of a mode centre, and the largest group, more than a third of all draws, stays within one mode width
#   (0.05) of the degraded value $\mu = 0.4$ (the spike at the dotted line). Section 5 says why: near $\mu$ the
#   predicted residual $\hat x_0 - \mu$, and with it the injected noise, vanishes.

# %% [markdown]
# ## 4. The statistics
#
# For every model, noise factor and sampler: the fraction of draws in the lower mode (below the midpoint 0.05; the
# truth is 1/2; $\pm$ is 1.96 binomial standard errors $\sqrt{p(1 - p)/n}$), the fraction `in` within 3 mode widths of
# a mode centre (the truth is 0.997), the spread (standard deviation; the truth is 0.65), and the two-sample
# Kolmogorov–Smirnov distance `D` to a fresh draw of the true $x_0$. $\eta = 0$ returns a single value for all draws:
# the table gives that value and its spread.

# %%
def summary(x):
    x = x.ravel().double()
    lower = float((x < SPLIT).double().mean())
    ks = stats.ks_2samp(x.numpy(), X0_TEST.ravel().numpy())
    in_mode = float(torch.stack([(x - m).abs() < 3 * MODE_STD for m in MODES]).any(0).double().mean())
    at_mu = float(((x - MU).abs() < MODE_STD).double().mean())
    return dict(lower=lower, se=math.sqrt(max(lower * (1 - lower), 0.25 / len(x)) / len(x)), std=float(x.std()),
                D=float(ks.statistic), p=float(ks.pvalue), value=float(x[0]), in_mode=in_mode, at_mu=at_mu)


STATS = {key: {name: summary(x) for name, x in draws.items()} for key, draws in SAMPLES.items()}
print(f"{'predictor':<9}{'noise':>10}{'lam':>8} | {'eta=0: value':>12} {'std':>5} | "
      f"{'eta=1: lower':>12} {'in':>5} {'std':>5} {'KS D':>6} | {'SDE: lower':>10} {'in':>5} {'std':>5} {'KS D':>6}")
for (lam, noise, who), s in sorted(STATS.items(), key=lambda kv: (kv[0][2] != "learned", kv[0][1], kv[0][0])):
    e0, e1, sde = s["eta=0"], s["eta=1"], s["SDE"]
    print(f"{who:<9}{noise:>10}{lam:>8g} | {e0['value']:>12.3f} {e0['std']:>5.3f} | "
          f"{e1['lower']:>7.3f}±{1.96 * e1['se']:.3f} {e1['in_mode']:>5.2f} {e1['std']:>5.3f} {e1['D']:>6.3f} | "
          f"{sde['lower']:>5.3f}±{1.96 * sde['se']:.3f} {sde['in_mode']:>5.2f} {sde['std']:>5.3f} {sde['D']:>6.3f}")
print("modulated noise, fraction of the draws within one mode width (0.05) of mu:",
      {f"{who}, lam={lam:g}, {name}": round(STATS[(lam, "modulated", who)][name]["at_mu"], 2)
       for who in ("learned", "exact") for lam in LAMS for name in ("eta=1", "SDE")})

# %% [markdown]
# The assertions (each can fail; the thresholds hold in full and in fast mode):
#
# 1. **$\eta = 0$ collapses.** Every draw of the deterministic sampler is the same number (spread exactly 0, for
#    every model, learned or exact): one point instead of a sample.
# 2. **Global noise: $\eta = 1$ and the reverse SDE recover both modes.** With the exact predictor the lower-mode
#    fraction is within 4 standard errors of 1/2 (the global samplers are consistent). With the learned predictor it
#    is within 0.1 of 1/2 (the learned model's own error is allowed for; 3 binomial standard errors are 0.027 at 3000
#    draws), and its KS distance to the truth is below 0.5 and above the exact predictor's, which shows what the
#    samplers themselves cost. In full mode, at $\lambda \le 0.1$, at least 85 % of the learned draws also lie within
#    3 mode widths of a mode centre; at $\lambda = 1$, and in fast mode, fewer than half do.
# 3. **Modulated noise: the stochastic samplers are biased, even with the exact predictor.** With the exact
#    predictor, at every $\lambda$, the lower-mode fraction of the reverse SDE differs from 1/2 by more than
#    4 standard errors (section 5 says why, and shows that refining the grid does not remove it). With the learned
#    predictor at $\lambda \le 0.1$ the fraction is off by more than 0.2 for both stochastic samplers (the upper mode is
#    nearly lost), and the KS distance exceeds the global model's by more than 0.1.
#
# The statements of section 3 are asserted here too.

# %%
learned_global = {lam: STATS[(lam, "global", "learned")] for lam in LAMS}
collapse = {key: s["eta=0"]["std"] == 0.0 for key, s in STATS.items()}
global_learned = {(lam, name): (abs(learned_global[lam][name]["lower"] - 0.5), learned_global[lam][name]["D"])
                  for lam in LAMS for name in ("eta=1", "SDE")}
global_in_mode = {(lam, name): learned_global[lam][name]["in_mode"] for lam in LAMS for name in ("eta=1", "SDE")}
ks_learned_above_exact = {(lam, name): learned_global[lam][name]["D"] > STATS[(lam, "global", "exact")][name]["D"]
                          for lam in LAMS for name in ("eta=1", "SDE")}
global_exact = {(lam, name): abs(STATS[(lam, "global", "exact")][name]["lower"] - 0.5)
                / STATS[(lam, "global", "exact")][name]["se"] for lam in LAMS for name in ("eta=1", "SDE")}
mod_exact = {lam: abs(STATS[(lam, "modulated", "exact")]["SDE"]["lower"] - 0.5)
             / STATS[(lam, "modulated", "exact")]["SDE"]["se"] for lam in LAMS}
mod_learned = {(lam, name): (abs(STATS[(lam, "modulated", "learned")][name]["lower"] - 0.5),
                              STATS[(lam, "modulated", "learned")][name]["D"] - learned_global[lam][name]["D"])
               for lam in LAMS if lam <= 0.1 for name in ("eta=1", "SDE")}
print("1. eta = 0 collapsed:", all(collapse.values()))
print("2. global, learned: max |lower - 1/2| =", round(max(v[0] for v in global_learned.values()), 3),
      " max KS D =", round(max(v[1] for v in global_learned.values()), 3),
      " KS D above the exact predictor's everywhere:", all(ks_learned_above_exact.values()),
      "| exact: max |lower - 1/2| / se =", round(max(global_exact.values()), 1))
print("   learned, in-mode fractions:", {f"lam={lam:g}, {n}": round(v, 2) for (lam, n), v in global_in_mode.items()})
print("3. modulated, exact, SDE: min |lower - 1/2| / se =", round(min(mod_exact.values()), 1),
      "| learned, lam <= 0.1: min |lower - 1/2| =", round(min(v[0] for v in mod_learned.values()), 3),
      " min KS D - global KS D =", round(min(v[1] for v in mod_learned.values()), 3))
assert all(collapse.values()), collapse
assert abs(3 * math.sqrt(0.25 / 3000) - 0.027) < 5e-4  # the "3 binomial standard errors at 3000 draws" of item 2
assert all(d < 0.1 and ks < 0.5 for d, ks in global_learned.values()), global_learned
assert all(ks_learned_above_exact.values()), ks_learned_above_exact
assert FAST or all(v >= 0.85 for (lam, _), v in global_in_mode.items() if lam <= 0.1), global_in_mode
assert all(v < 0.5 for (lam, _), v in global_in_mode.items() if FAST or lam == 1.0), global_in_mode
assert all(z < 4 for z in global_exact.values()), global_exact
assert all(z > 4 for z in mod_exact.values()), mod_exact
assert all(d > 0.2 and dd > 0.1 for d, dd in mod_learned.values()), mod_learned
# section 3's statements
eta0 = {key: s["eta=0"]["value"] for key, s in STATS.items()}
assert all(MODES[0] < v < MODES[1] for (lam, noise, _), v in eta0.items() if noise == "global"), eta0
assert all(v < -0.35 for (lam, noise, _), v in eta0.items() if noise == "modulated" and lam <= 0.1), eta0
assert abs(PRIOR_MEAN - 0.05) < 1e-3
for (lam, noise, who), s in STATS.items():
    if noise != "modulated":
        continue
    if who == "learned" and lam <= 0.1:
        assert all(s[name]["lower"] > 0.9 for name in ("eta=1", "SDE")), (lam, s)
    if who == "learned" and lam == 1.0:
        assert all(s[name]["in_mode"] < 0.3 for name in ("eta=1", "SDE")), (lam, s)
    if who == "exact" and lam in (0.01, 0.1):
        assert all(0.40 < s[name]["lower"] < 0.48 for name in ("eta=1", "SDE")), (lam, s)
    if who == "exact" and lam == 1e-4:
        assert all(s[name]["lower"] > 0.75 for name in ("eta=1", "SDE")), (lam, s)
    if who == "exact" and lam == 1.0:
        assert s["eta=1"]["in_mode"] < 0.3 and s["eta=1"]["at_mu"] > 1 / 3, (lam, s)

# %% tags=["nbval-check-output"]
print("eta = 0 returns one value for all draws:", all(collapse.values()))
print("global noise: eta = 1 and the SDE recover both modes:",
      all(d < 0.1 and ks < 0.5 for d, ks in global_learned.values()))
print("modulated noise: the stochastic samplers are biased even with the exact predictor:",
      all(z > 4 for z in mod_exact.values()))

# %% [markdown]
# ## 5. The algebra: why $\eta = 0$ never sees the modulation
#
# The implicit step from $t$ to $s < t$ (notebook 02c), with the mean $M_t(x_0) = \mu + \Theta_t(x_0 - \mu)$:
#
# $$x_s = M_s(\hat x_0) + \frac{\sqrt{\Sigma_s^2 - \rho_s^2}}{\Sigma_t}\,\bigl(x_t - M_t(\hat x_0)\bigr)
#        + \rho_s\, \nu(\hat\pi)\, z, \qquad \rho_s^2 = \eta^2\,V, \qquad z \sim \mathcal N(0, 1),$$
#
# with $V$ the variance of the posterior $q(x_s \mid x_t, x_0)$ per unit $\nu(\pi)^2$ (notebook 02a). With $\eta = 0$
# the last term is absent, and the middle term carries the marginal noise $\Sigma_t\,\nu(\pi)\,\epsilon$ to
# $\Sigma_s\,\nu(\pi)\,\epsilon$, so the noise factor cancels from its ratio (notebook 02c, section 1): for a fixed
# network the $\eta = 0$ trajectory is the same whatever the noise factor. From $x_T = \mu$, where $\Sigma_T = 0$, the
# first step is $x_s = \mu + \Theta_s(\hat x_0 - \mu)$ for every draw, and so are all later ones: one value, a point
# of the deterministic map $\mu \mapsto x_0$, not a sample.
#
# So the noise factor acts only in two places:
#
# * **in training** — it sets the distribution of $x_t$, hence the function $\hat x_0$ the network learns (section 2);
# * **in stochastic sampling** ($\eta > 0$, the reverse SDE) — through $\nu(\hat\pi) = \hat x_0 - \mu$, the
#   *predicted* residual.
#
# The check of the first point on the trained networks: the same network, sampled along the modulated and along
# the global path. $\eta = 0$ gives bit-identical draws; $\eta = 1$ and the SDE (same random numbers) do not.

# %%
swap = {}
for lam in LAMS:
    model, path = MODELS[(lam, "modulated")], PATHS[(lam, "modulated")]
    along_mod = draw_samples(model, path, 500, seed=3)
    along_glob = draw_samples(model, path.with_noise("global"), 500, seed=3)
    swap[lam] = {name: float((along_mod[name] - along_glob[name]).abs().max()) for name in along_mod}
print("largest |modulated - global| over 500 draws:", {lam: {k: f"{v:.2g}" for k, v in d.items()} for lam, d in swap.items()})
assert all(d["eta=0"] == 0.0 for d in swap.values())
assert all(d["eta=1"] > 0.01 and d["SDE"] > 0.01 for d in swap.values())

# %% tags=["nbval-check-output"]
print("same network, eta = 0 along the modulated and the global path: identical draws:",
      all(d["eta=0"] == 0.0 for d in swap.values()))

# %% [markdown]
# **Why the modulated stochastic samplers are biased.** The step plugs $\hat x_0 = E[x_0 \mid x_t]$ into the posterior
# $q(x_s \mid x_t, x_0)$. Its mean is linear in $x_0$, so plugging in the posterior mean gives the exact mean of
# $p(x_s \mid x_t)$; its variance is $V\,\nu(\pi)^2$ (`docs/theory.md` eq. 5.2), and the exact one is
# $V\,E[\nu(\pi)^2 \mid x_t]$ plus a term of order $\Delta t^2$ ($\Delta t = t - s$, the step). Under global noise
# $\nu = 1$ and nothing is lost. Under modulation the sampler uses $V\,(E[\pi \mid x_t])^2$, smaller by
# $V\,\mathrm{Var}[\pi \mid x_t]$. $V$ is of order $\Delta t$, so every step loses a variance of order $\Delta t$, and the
# $1/\Delta t$ steps of a grid lose a total of order 1: the bias does not vanish as the grid is refined. It is largest
# where $x_t$ does not tell the modes apart — near $t = T$, where the draws leave $\mu$ and decide their mode. There
# the predicted residual $\hat x_0 - \mu$, and with it the injected noise, is far smaller than the true $|\pi|$ of
# 0.3 or 1 (section 2's figure; exercise 10.1 finds its exact value at $x_t = \mu$). The reverse SDE's diffusion
# $\sqrt{2\lambda}\,\nu(\hat\pi)$ has the same defect (the exact reverse process of the mixture has diffusion
# $\sqrt{2\lambda\,E[\nu(\pi)^2 \mid x_t]}$). A learned predictor, which cannot follow the sharp features of $\hat x_0$
# near $\mu$, makes it worse.
#
# **The check: refine the grid.** The exact predictor at $\lambda = 0.01$ (a bridge of its own, no training needed),
# 4000 draws per grid: under modulation, the $\eta = 1$ sampler on 20, 40 and 80 steps and the reverse SDE on 80, 160
# and 320 steps (fast mode: the coarsest and the finest grid only); under global noise, the finest grids. If the bias
# were a discretisation error of first order, refining the grid four times would cut it to a quarter. Asserted: under
# modulation, on the finest grid, both samplers' lower-mode fraction is more than 4 standard errors from 1/2, and the
# SDE's distance from 1/2 is more than half of what it is on the coarsest grid; under global noise, on the finest
# grid, both are within 4 standard errors of 1/2. Refined, the two samplers settle at the same biased fraction (on
# the finest grids they differ by less than 0.02); on its coarsest grid the $\eta = 1$ sampler happens to land closer
# to 1/2.

# %%
LAM_REFINE, N_REFINE = 0.01, 4000
REFINE = (1, 4) if FAST else (1, 2, 4)  # grid refinement factors of 20 implicit / 80 SDE steps
t0 = time.perf_counter()
refined = {}
for noise in NOISES:
    path = bridges.ou_bridge(sch, LAM_REFINE, noise=noise)
    model = oracle(path)
    for r in REFINE if noise == "modulated" else REFINE[-1:]:
        gen = torch.Generator().manual_seed(5)
        mu_n = torch.full((N_REFINE, 1), MU)
        with torch.no_grad():
            draws = {"eta=1": samplers.sample_implicit(model, mu_n, path, torch.linspace(1.0, 0.0, 20 * r + 1,
                                                        dtype=torch.float64), eta=1.0, generator=gen),
                     "SDE": samplers.sample_euler_maruyama(model, mu_n, path, torch.linspace(1.0, 0.0, 80 * r + 1,
                                                            dtype=torch.float64), generator=gen)}
        for name, x in draws.items():
            s = summary(x)
            refined[(noise, name, r)] = (s["lower"], abs(s["lower"] - 0.5) / s["se"])
print(f"refinement study: {time.perf_counter() - t0:.0f} s; lower-mode fraction (distance from 1/2 in standard errors):")
for (noise, name, r), (lower, z) in refined.items():
    print(f"  {noise:9s} {name:5s} {(20 if name == 'eta=1' else 80) * r:3d} steps: {lower:.3f} ({z:.1f})")
finest, coarsest = REFINE[-1], REFINE[0]
assert all(refined[("modulated", name, finest)][1] > 4 for name in ("eta=1", "SDE")), refined
assert abs(refined[("modulated", "SDE", finest)][0] - 0.5) > 0.5 * abs(refined[("modulated", "SDE", coarsest)][0] - 0.5)
assert all(refined[("global", name, finest)][1] < 4 for name in ("eta=1", "SDE")), refined
assert abs(refined[("modulated", "eta=1", finest)][0] - refined[("modulated", "SDE", finest)][0]) < 0.02, refined
assert refined[("modulated", "eta=1", coarsest)][1] < refined[("modulated", "eta=1", finest)][1], refined

# %% [markdown]
# In restoration, where one $\mu$ has essentially one $x_0$, $\mathrm{Var}[\pi \mid x_t]$ is small and the bias with it;
# the deterministic sampler is then the natural choice, and there modulation acts only through training. Notebook 05's
# picture — intact pixels ($\pi = 0$) get no noise — is, for that sampler, a statement about the *training*
# distribution only.

# %%
print(f"wall time of this notebook's cells: {time.perf_counter() - T_START:.0f} s")

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/10_learned_toy_bridge_solutions.ipynb`. Exercise 10.1 is in section 2, before
# the figure that shows its answer.
#
# **10.2 (predict).** An exact ancestral step at $x_t = \mu$ would add noise whose squared noise factor is
# $E[\nu(\pi)^2 \mid x_t = \mu] = E[\pi^2 \mid x_t = \mu]$; the plug-in step of the library uses
# $(\hat x_0 - \mu)^2$. Predict $E[\pi^2 \mid x_t = \mu]$ for this notebook's two modes (two decimals; point modes at
# $-0.6$ and $0.7$ are accurate enough). Does it depend on $t$ or $\lambda$?

# %%
answer_10_2 = ...  # a number: E[pi^2 | x_t = mu] under modulation, for t < T
check("10.2", answer_10_2)

# %% [markdown]
# **10.3 (implement).** Write `ancestral_noise_std(path, x0_hat, mu, t, s)`: the per-element standard deviation of
# the random term that the implicit step with $\eta = 1$ adds from $t$ to $s < t$ (section 5's formula), for any
# `ResidualPath` with either noise factor. `x0_hat` and `mu` are float64 tensors `[B, 1]`; `t` and `s` are 0-d
# float64 tensors. The checker compares your function with the step of the library on a batch in which some
# `x0_hat` equal `mu`.

# %%
answer_10_3 = ...  # a function ancestral_noise_std(path, x0_hat, mu, t, s) -> tensor [B, 1]
check("10.3", answer_10_3)
