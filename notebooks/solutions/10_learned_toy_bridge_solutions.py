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
# # 10 — Solutions to the exercises
#
# **What you will learn.** Why, under residual modulation, the exact posterior mean at the degraded value is the
# degraded value itself, how much noise an exact ancestral step would add there (and the plug-in step does not),
# and how wide the exact reverse step from $x_t = \mu$ is, checked on the forward process.
#
# **Prerequisites.** Notebook 10.

# %%
import torch
from IPython.display import display

from rdbm_core.bridge import bridges, samplers, schedules
from rdbm_course.exercises import check

DT = torch.float64
MODES, MODE_STD, MU = (-0.6, 0.7), 0.05, 0.4

# %% [markdown]
# ## 10.1 — The exact prediction at the degraded value
#
# Given $x_0$, $x_t - \mu = \pi(\Theta_t + \Sigma_t\epsilon)$. For $x_t = \mu$ the noise must be
# $\epsilon = -\Theta_t/\Sigma_t$, and the density of $x_t$ at $\mu$ is $\varphi(\Theta_t/\Sigma_t)/(\Sigma_t|\pi|)$
# ($\varphi$ the standard normal density): the same for every $x_0$ except the factor $1/|\pi|$. So the posterior
# weights at $x_t = \mu$ are the prior's times $1/|\pi|$, and
#
# $$E[\pi \mid x_t = \mu] = \frac{E[\pi/|\pi|]}{E[1/|\pi|]} = \frac{E[\operatorname{sign}\pi]}{E[1/|\pi|]} = 0$$
#
# (equal weights, opposite signs). Hence $\hat x_0(\mu, t) = \mu$, at every $t < T$ and every $\lambda$. A check with
# quadrature over the two modes, through the likelihood of the library's path:

# %%
path = bridges.ou_bridge(schedules.continuous_constant(3.0), 0.1, noise="modulated")
x0 = torch.cat([m + MODE_STD * torch.linspace(-5, 5, 2001, dtype=DT) for m in MODES])[None]
prior = sum(torch.exp(-0.5 * ((x0 - m) / MODE_STD) ** 2) for m in MODES)
mu = torch.full_like(x0, MU)
for t in (0.2, 0.5, 0.9):
    mean, sd = path.mean(x0, mu, t), path.std(x0, mu, t)
    weights = prior * torch.exp(-0.5 * ((MU - mean) / sd) ** 2) / sd
    print(f"t = {t}: E[x0 | x_t = mu] = {float((weights * x0).sum() / weights.sum()):.6f}")

answer_10_1 = float((weights * x0).sum() / weights.sum())
feedback = check("10.1", answer_10_1)
display(feedback)
assert feedback

# %% [markdown]
# ## 10.2 — The noise factor an exact ancestral step would use
#
# With the same weights, $E[\pi^2 \mid x_t = \mu] = E[\pi^2/|\pi|]/E[1/|\pi|] = E|\pi|/E[1/|\pi|]$. For point modes
# with $|\pi| = 1.0$ and $0.3$ this is $\frac{(1.0 + 0.3)/2}{(1/1.0 + 1/0.3)/2} = 1.0 \times 0.3 = 0.30$; the mode
# widths lower it a little (to 0.293, within the checker's 3 %). It depends neither on $t$ nor on $\lambda$. The plug-in step uses
# $(E[\pi \mid x_t = \mu])^2 = 0$.

# %%
pi = x0 - MU
answer_10_2 = float((weights * pi ** 2).sum() / weights.sum())
print(f"E[pi^2 | x_t = mu] = {answer_10_2:.4f}  (point modes: {1.0 * 0.3:.2f})")
feedback = check("10.2", answer_10_2)
display(feedback)
assert feedback

# %% [markdown]
# ## 10.3 — The exact reverse step where the plug-in step adds no noise
#
# The exact step draws $x_0$ from its posterior given $x_t$, then $x_s$ from $q(x_s \mid x_t, x_0)$, whose mean is
# $\mu + P(x_0 - \mu) + K(x_t - \mu)$ and whose variance is $V\nu(\pi)^2 = V\pi^2$ (theory (5.1)). At $x_t = \mu$ the
# term $K(x_t - \mu)$ is 0, and the law of total variance over $x_0 \mid x_t = \mu$ gives
#
# $$\mathrm{Var}[x_s \mid x_t = \mu] = V\,E[\pi^2 \mid x_t = \mu] + P^2\,\mathrm{Var}[\pi \mid x_t = \mu].$$
#
# By 10.1, $E[\pi \mid x_t = \mu] = 0$, so $\mathrm{Var}[\pi \mid x_t = \mu] = E[\pi^2 \mid x_t = \mu]$, the answer of
# 10.2, and
#
# $$\mathrm{Var}[x_s \mid x_t = \mu] = (V + P^2)\,E[\pi^2 \mid x_t = \mu].$$
#
# Both $P$ and $V$ count: at large $\lambda$ the $V$ term dominates, at small $\lambda$ the $P^2$ term, and on the
# last step ($s = 0$: $P = 1$, $V = 0$) the exact step returns a draw of $x_0 \mid x_t = \mu$, whose spread is
# $\sqrt{E[\pi^2 \mid x_t = \mu]}$. The plug-in $\eta = 1$ step adds $\sqrt V\,|\hat x_0 - \mu| = 0$ there.

# %%
E_PI2 = answer_10_2  # E[pi^2 | x_t = mu], the same at every t < T and every lam


def exact_step_std(path, t, s):
    p_coef, _, v = path.posterior_coefficients(t, s)  # P and V of theory (5.2)
    return ((v + p_coef ** 2) * E_PI2).sqrt()


feedback = check("10.3", exact_step_std)
display(feedback)
assert feedback

# %% [markdown]
# **The check by experiment.** Run the forward process: draw $x_0$ from the mixture, $x_t$ from the bridge's marginal
# and $x_s$ from $q(x_s \mid x_t, x_0)$; keep the draws whose $x_t$ lies within 0.002 of $\mu$. Their $x_s$ come from
# the exact reverse step at $x_t \approx \mu$. At $\lambda = 0.01$, $t = 0.5$, $s = 0.3$ the $P^2$ term is most of the
# variance, so the measurement tells the formula from its first term alone. Next to it, the library's $\eta = 1$ step
# from $x_t = \mu$ with the exact $\hat x_0 = \mu$.

# %%
path = bridges.ou_bridge(schedules.continuous_constant(3.0), 0.01, noise="modulated")
t, s = torch.tensor(0.5, dtype=DT), torch.tensor(0.3, dtype=DT)
gen = torch.Generator().manual_seed(0)
n = 4_000_000
x0 = torch.where(torch.rand(n, 1, generator=gen) < 0.5, MODES[1], MODES[0]).double()
x0 = x0 + MODE_STD * torch.randn(n, 1, generator=gen, dtype=DT)
mu_n = torch.full_like(x0, MU)
x_t = path.sample(x0, mu_n, t.expand(n), generator=gen)
keep = (x_t - MU).abs().ravel() < 0.002
mean_s, sd_s = path.posterior(x_t[keep], x0[keep], mu_n[keep], t, s)
x_s = mean_s + sd_s * torch.randn(mean_s.shape, generator=gen, dtype=DT)
p_coef, _, v = path.posterior_coefficients(t, s)
measured, predicted = float(x_s.std()), float(exact_step_std(path, t, s))
first_term = float((v * E_PI2).sqrt())
mu_kept = torch.full((int(keep.sum()), 1), MU, dtype=DT)
plug_in = samplers.implicit_step(path, mu_kept, mu_kept, mu_kept, t, s, eta=1.0, generator=gen)
print(f"{int(keep.sum())} draws with x_t within 0.002 of mu")
print(f"std of x_s: measured {measured:.4f}; (V + P^2) E[pi^2 | mu]: {predicted:.4f}; "
      f"V E[pi^2 | mu] alone: {first_term:.4f}; plug-in eta = 1 step: {float(plug_in.std()):.1e}")
assert int(keep.sum()) > 5000
assert abs(measured / predicted - 1) < 0.03 and abs(measured / first_term - 1) > 0.5
assert float(plug_in.std()) < 1e-12  # no noise: nu(pi_hat) = x0_hat - mu = 0
