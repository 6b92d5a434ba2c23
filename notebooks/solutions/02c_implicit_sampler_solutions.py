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
# # 02c — Solutions to the exercises
#
# **What you will learn.** An $\eta = 0$ implicit step that carries the marginal exactly, and why "intact" means
# "predicted intact" inside the sampler.
#
# **Prerequisites.** Notebook 02c.

# %%
import os

import torch
from IPython.display import display

from rdbm_core.bridge import bridges, samplers
from rdbm_course.exercises import check
from rdbm_course.exercises.ex02c_implicit_sampler import PIXELS, PREDICT_GRID, STEP_LAM

FAST = os.environ.get("FAST") == "1"


# %% [markdown]
# ## 02c.1 — one implicit $\eta = 0$ step
#
# Split $x_t$ into its mean under $\hat x_0$ and a noise part, $x_t = E[x_t\mid\hat x_0] + \Sigma_t\,k$. The
# $\eta = 0$ step keeps $k$ and puts it at the noise level of $s$: $x_s = E[x_s\mid\hat x_0] + \Sigma_s\,k$.
# (Notebook 02c, section 1, shows that this is the exact PF-ODE solution over $[s, t]$.) The mean is written
# $\mu + \Theta(\hat x_0 - \mu)$ so that a pixel with $\hat x_0 = \mu$ gives exactly $\mu$.

# %%
def implicit_step_eta0(path, x_t, x0_hat, mu, t, s):
    theta_t, _, sigma_t = path.coefficients(t)
    theta_s, _, sigma_s = path.coefficients(s)
    k = (x_t - mu - theta_t * (x0_hat - mu)) / sigma_t
    return mu + theta_s * (x0_hat - mu) + sigma_s * k


# %% [markdown]
# A Monte-Carlo check of the marginal with a known $x_0$: draw many $x_t \sim q(x_t\mid x_0)$ with `path.sample`,
# take one step with $\hat x_0 = x_0$, and compare the mean and standard deviation of the result with the marginal
# at $s$. The pixel with $\pi = 0$ must have exactly zero spread.

# %%
path = bridges.rdbm(lam=STEP_LAM)
t, s = torch.tensor(70), torch.tensor(35)
n = 4000 if FAST else 40_000
x0 = torch.tensor([[0.6, -0.4, 0.2]], dtype=torch.float64).expand(n, 3)
mu_img = torch.tensor([[-0.2, 0.3, 0.2]], dtype=torch.float64).expand(n, 3)  # the last pixel is intact
x_t = path.sample(x0, mu_img, t, generator=torch.Generator().manual_seed(0))
x_s = implicit_step_eta0(path, x_t, x0, mu_img, t, s)
emp_mean, emp_std = x_s.mean(0), x_s.std(0)
true_mean, true_std = path.mean(x0, mu_img, s)[0], path.std(x0, mu_img, s)[0]
print("empirical mean", emp_mean.numpy().round(5), " marginal mean", true_mean.numpy().round(5))
print("empirical std ", emp_std.numpy().round(6), " marginal std ", true_std.numpy().round(6))
assert torch.allclose(emp_mean, true_mean, atol=5 * float(true_std.max()) / n ** 0.5)
assert torch.allclose(emp_std, true_std, rtol=0.05) and emp_std[2] == 0
assert torch.allclose(x_s, samplers.implicit_step(path, x_t, x0, mu_img, t, s, eta=0.0), rtol=1e-12, atol=1e-14)

# %%
feedback = check("02c.1", implicit_step_eta0)
display(feedback)
assert feedback

# %% [markdown]
# ## 02c.2 — which pixels stay exactly $\mu$
#
# The sampler never sees $x_0$; it sees $\hat\pi = \hat x_0 - \mu$. For a pixel with $\hat\pi = 0$, one $\eta = 1$ step
# from a state $x_t = \mu$ gives: mean $\mu + \Theta_s\cdot 0 = \mu$, middle term
# $\propto x_t - E[x_t\mid\hat x_0] = \mu - \mu = 0$, noise $\rho_s\,|\hat\pi|\,z = 0$ — so $x_s = \mu$ exactly, and
# by induction the pixel never moves (it starts at $x_T = \mu$). Every other pixel receives noise. So the answer is the
# set of pixels where the *prediction* equals $\mu$: pixel 2 (truly intact, but predicted 0.25) moves, pixel 3
# (degraded, but predicted intact) stays.

# %%
predicted_intact = {i for i, (p, m) in enumerate(zip(PIXELS["x0_hat"], PIXELS["mu"])) if p == m}
truly_intact = {i for i, (p, m) in enumerate(zip(PIXELS["x0"], PIXELS["mu"])) if p == m}
print("predicted intact:", sorted(predicted_intact), "  truly intact:", sorted(truly_intact))

# %% [markdown]
# The experiment, run here as the checker runs it:

# %%
mu_px = torch.tensor([PIXELS["mu"]], dtype=torch.float64)
x0_hat_px = torch.tensor([PIXELS["x0_hat"]], dtype=torch.float64)
out = samplers.sample_implicit(samplers.Denoiser(lambda x_, m_, t_: x0_hat_px.expand_as(x_), clamp=False), mu_px, path,
                               torch.tensor(PREDICT_GRID), eta=1.0, generator=torch.Generator().manual_seed(3))
print("|x - mu| per pixel:", (out - mu_px).abs()[0].numpy().round(4))
assert {i for i in range(8) if out[0, i] == mu_px[0, i]} == predicted_intact

# %%
feedback = check("02c.2", predicted_intact)
display(feedback)
assert feedback
