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
# how wide the exact reverse step from $x_t = \mu$ is, checked on the forward process, and when along the path a
# learned predictor's error at $x_t = \mu$ matters most.
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
# widths lower it a little, to 0.293, so the point-mode answer is 2.4 % above it, within the checker's 3 %. It
# depends neither on $t$ nor on $\lambda$. The plug-in step uses $(E[\pi \mid x_t = \mu])^2 = 0$.

# %%
pi = x0 - MU
answer_10_2 = float((weights * pi ** 2).sum() / weights.sum())
print(f"E[pi^2 | x_t = mu] = {answer_10_2:.4f}  (point modes: {1.0 * 0.3:.2f}, {0.3 / answer_10_2 - 1:.1%} above)")
assert round(answer_10_2, 3) == 0.293 and round(0.3 / answer_10_2 - 1, 3) == 0.024
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

# %% [markdown]
# ## 10.4 — Where the learned predictor loses the upper mode
#
# Two things have to meet: many draws where the learned $\hat x_0$ is wrong, and enough steps for its error to act.
#
# *Where the draws are.* At $x_t = \mu$ the exact $\hat x_0$ is $\mu$ (10.1), so the plug-in step's mean
# $\mu + P(\hat x_0 - \mu) + K(x_t - \mu)$ is $\mu$ and its noise $\sqrt V\,|\hat x_0 - \mu|$ is 0: draws near $\mu$
# stay near it. Measured below with the exact predictor ($\lambda = 0.1$, the notebook's 50-step $\eta = 1$ grid):
# most draws are within 0.05 of $\mu$ until $t = 0.2$; by $t = 0.1$ most have left.
#
# *Where the learned $\hat x_0$ is wrong there.* Through $x_t = \mu$ the exact $\hat x_0$ grows steeper as $t$
# decreases (printed below: over $\mu \pm 0.03$ it rises by 0.15 at $t = 0.5$ and by 0.90 at $t = 0.1$). A smooth
# network follows the gentle slope of $t = 0.5$ (section 3's RMS errors there) and draws the steep ones as ramps,
# whose value at $\mu$ is off.
#
# So on $(0.3, 0.5]$ the draws wait at $\mu$ but the learned $\hat x_0$ is nearly right there; on $(0, 0.1]$ it is
# wrong, but most draws have left $\mu$ and the interval holds only 5 of the 50 steps; on $(0.1, 0.3]$ both hold, over
# 10 steps. The answer is 0.3. The notebook's section 8 shows the rest: the learned value at $\mu$ is well below
# $\mu$ there, and each step moves the waiting draws down, into the lower mode.

# %%
path = bridges.ou_bridge(schedules.continuous_constant(3.0), 0.1, noise="modulated")
nodes = torch.cat([m + MODE_STD * torch.linspace(-5, 5, 201, dtype=DT) for m in MODES])
prior = sum(torch.exp(-0.5 * ((nodes - m) / MODE_STD) ** 2) for m in MODES)


def exact_x0_hat(x, mu, t):
    """E[x0 | x_t = x] by quadrature over the mixture, for x [B, 1] and t [B]; the prior mean 0.05 at t = T."""
    grid_nodes = nodes.expand(len(x), -1)
    mean = path.mean(grid_nodes, torch.full_like(grid_nodes, MU), t.double())
    sd = path.std(grid_nodes, torch.full_like(grid_nodes, MU), t.double())
    logp = prior.log() - 0.5 * ((x.double() - mean) / sd) ** 2 - sd.log()
    post = (torch.softmax(logp, 1) * grid_nodes).sum(1, keepdim=True)
    sigma = path.coefficients(t.double())[2]
    return torch.where(sigma[:, None] > 0, post, torch.full_like(post, 0.05)).to(x.dtype)


trajectory = samplers.Trajectory()
with torch.no_grad():
    samplers.sample_implicit(exact_x0_hat, torch.full((3000, 1), MU), path, torch.linspace(1, 0, 51, dtype=DT),
                             eta=1.0, generator=torch.Generator().manual_seed(1), callback=trajectory)
near_mu = {round(float(t), 2): float(((x - MU).abs() < MODE_STD).double().mean())
           for t, x in zip(trajectory.t, trajectory.x)}
print("fraction of the exact eta = 1 draws within 0.05 of mu at t =",
      {t: round(near_mu[t], 2) for t in (0.5, 0.3, 0.2, 0.1, 0.04)})
rise = {}
for t in (0.5, 0.3, 0.2, 0.1):
    xs = torch.tensor([[MU - 0.03], [MU], [MU + 0.03]])
    with torch.no_grad():
        values = exact_x0_hat(xs, torch.full_like(xs, MU), torch.full((3,), t)).ravel()
    rise[t] = float(values[2] - values[0])
    print(f"t = {t}: exact x0_hat at mu - 0.03, mu, mu + 0.03: " + ", ".join(f"{v:.3f}" for v in values))
assert near_mu[0.3] > 0.8 and near_mu[0.2] > 0.6 and near_mu[0.1] < 0.5 and near_mu[0.04] < 0.1, near_mu
assert rise[0.5] < rise[0.3] < rise[0.2] < rise[0.1], rise  # steeper as t decreases
assert (round(rise[0.5], 2), round(rise[0.1], 2)) == (0.15, 0.90), rise

answer_10_4 = 0.3
feedback = check("10.4", answer_10_4)
display(feedback)
assert feedback
