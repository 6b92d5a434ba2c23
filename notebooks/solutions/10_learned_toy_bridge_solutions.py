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
# and where the predicted residual enters the $\eta = 1$ step.
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
# ## 10.3 — The noise of the ancestral step
#
# With $\eta = 1$, $\rho_s^2$ is the variance $V$ of the posterior $q(x_s \mid x_t, x_0)$ per unit $\nu(\pi)^2$, and the
# random term is $\rho_s\,\nu(\hat\pi)\,z$ with the *predicted* residual: its per-element standard deviation is
# $\rho_s|\nu(\hat\pi)| = \sqrt V\,|\nu(\hat\pi)|$. From notebook 02a (theory (5.2)), with the clock increments
# $a = \bar\theta_s$ and $b = \bar\theta_t - \bar\theta_s$,
#
# $$V = 2\lambda\,\frac{\sinh a\,\sinh b}{\sinh(a + b)},$$
#
# which stays finite at $t = T$ (there it equals $\Sigma_s^2$, theory (5.5)), whereas a formula through
# $K = \sqrt{\Sigma_s^2 - V}/\Sigma_t$ would divide by $\Sigma_T = 0$.

# %%
def ancestral_noise_std(path, x0_hat, mu, t, s):
    a = path.schedule.clock(s)  # thbar_s
    b = path.schedule.clock(t) - a  # thbar_{s:t}
    variance = 2 * path.lam * torch.sinh(a) * torch.sinh(b) / torch.sinh(a + b)  # V per unit nu(pi)^2
    return variance.sqrt() * path.noise_factor(x0_hat, mu).abs()


feedback = check("10.3", ancestral_noise_std)
display(feedback)
assert feedback

# %% [markdown]
# The same, measured on the library's step: many draws of one $\eta = 1$ step with a fixed $\hat x_0$.

# %%
x_t = torch.full((20_000, 1), 0.1, dtype=DT)
x0_hat, mu_b = torch.full_like(x_t, -0.2), torch.full_like(x_t, MU)
t, s = torch.tensor(0.7, dtype=DT), torch.tensor(0.6, dtype=DT)
for noise in ("modulated", "global"):
    p = bridges.ou_bridge(schedules.continuous_constant(3.0), 0.1, noise=noise)
    draws = samplers.implicit_step(p, x_t, x0_hat, mu_b, t, s, eta=1.0, generator=torch.Generator().manual_seed(0))
    want = float(ancestral_noise_std(p, x0_hat, mu_b, t, s)[0])
    print(f"{noise:9s}: std of the step {float(draws.std()):.4f}, formula {want:.4f}")
    assert abs(float(draws.std()) / want - 1) < 0.03
