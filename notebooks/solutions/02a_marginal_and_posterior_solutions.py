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
# # 02a — Solutions to the exercises
#
# **What you will learn.** The posterior variance by Bayes with the free kernels (and why it forgets
# $\bar\theta_T$), the checks of the posterior's variance that notebook 02a left out (they would have shown the
# answer), and why observing the terminal point $x_T = \mu$ leaves the marginal as it was.
#
# **Prerequisites.** Notebook 02a.

# %%
import sympy as sp
import torch
from IPython.display import display

from derivations import family, posterior
from derivations.common import A, C, D, a, b, c, d, lam, mu, pi, readable, x, xt, zero
from rdbm_core.bridge import bridges
from rdbm_course.exercises import check
from rdbm_course.exercises.ex02a_marginal_posterior import TERMINAL_PIXEL
from rdbm_course.mathshow import limit, show, vanishes

# %% [markdown]
# ## 02a.1 — the posterior variance
#
# Bayes with the bridge's transition kernel $q(x_t\mid x_s) = p(x_t\mid x_s)\,h(x_t, t)/h(x_s, s)$ and the bridge
# marginal $q(x_s\mid x_0) \propto p(x_s\mid x_0)\,h(x_s, s)$: the two $h(x_s, s)$ cancel, $h(x_t, t)$ does not depend
# on $x_s$, and
#
# $$q(x_s = x\mid x_t, x_0) \propto p(x_s = x\mid x_0)\;p(x_t\mid x_s = x),$$
#
# the free OU marginal over the clock $a$ from $x_0 = \mu + \pi$ and the free kernel over the lag $b$ from $x$,
# evaluated at $x_t$. Both are Gaussian in $x$ (terms free of $x$ dropped):

# %%
log_prior = -(x - mu - sp.exp(-a) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * a)) * pi ** 2)
log_kernel = -(xt - mu - sp.exp(-b) * (x - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * b)) * pi ** 2)
show(r"\log p(x_s = x \mid x_0)", log_prior)
show(r"\log p(x_t \mid x_s = x)", log_kernel)

# %% [markdown]
# The precision is minus the second $x$-derivative of the sum; the variance per unit $\pi^2$ is
# $V = 1/(\text{precision}\cdot\pi^2)$:

# %%
precision = -sp.diff(log_prior + log_kernel, x, 2)
show(r"\text{precision}", precision, readable(precision))
V_derived = readable(1 / (precision * pi ** 2))
show(r"V", V_derived)

# %% [markdown]
# It depends on $a = \bar\theta_s$ and $b = \bar\theta_{s:t}$ only: nothing beyond $t$ enters (the bridge is Markov,
# and given $x_t$ the future beyond $t$ carries no information about $x_s$). It is exercise 01.2's bridge variance with
# the clock values of that shorter bridge, $u = a$ and $c = a + b$: the bridge from $x_0$ at clock 0 to $x_t$ at clock
# $a + b$. So it vanishes as $s \to 0$ and as $s \to t$:

# %%
vanishes(r"V - \frac{2\lambda\sinh a\,\sinh b}{\sinh(a + b)}", V_derived - family.Sigma2(a, a + b))
limit(V_derived, a, 0, 0, lhs=r"\lim_{a \to 0} V")
limit(V_derived, b, 0, 0, lhs=r"\lim_{b \to 0} V")

# %%
answer_02a_1 = {"log_prior": log_prior, "log_kernel": log_kernel, "precision": precision, "V": V_derived}
feedback = check("02a.1", answer_02a_1)
display(feedback)
assert feedback

# %% [markdown]
# **The checks notebook 02a left out.** (i) The route of notebook 02a (the bridge marginal at $s$, the kernel and
# $1/h(x_s, s)$, completed to a square by `derivations.posterior.posterior_by_bayes`) gives the same variance, with
# $D = e^{\bar\theta_{t:T}}$ cancelling. (ii) Chapman–Kolmogorov for the variance, by the law of total variance: the
# posterior's variance plus the spread its mean inherits from $x_t$ is the marginal variance at $s$,
# $V + K^2\Sigma_t^2 = \Sigma_s^2$ (`docs/theory.md` eq. 5.4).

# %%
V_library_route = posterior.posterior_by_bayes()[1] / pi ** 2
assert D not in zero(V_library_route).free_symbols
vanishes(r"V_{\text{02a's route}} - V", V_library_route - V_derived)
_, K, _ = family.posterior_coefficients(a, b)
vanishes(r"V + K^2\,\Sigma_t^2 - \Sigma_s^2",
         V_derived + K ** 2 * family.Sigma2(a + b, a + b + d) - family.Sigma2(a, a + b + d))
assert posterior.check_variance() == 0 and posterior.check_ck_variance() == 0

# %% [markdown]
# ## 02a.2 — the posterior when the observation is $x_T = \mu$
#
# The posterior is the OU bridge from $x_0$ (clock 0) to the observation (clock $\bar\theta_t$), whatever comes
# after $t$. With the observation at $t_T$ the observation is $\mu$ itself, so the posterior is the bridge from $x_0$
# to $\mu$ over the clock $\bar\theta_T$: the bridge of notebook 01, whose marginal at $s$ is $q(x_s\mid x_0)$. In
# other words, conditioning on an event of probability one ($x_T = \mu$ for every path) changes nothing. So (ii).
# Symbolically: 02a.1's variance with $a = \bar\theta_s$ and $b = \bar\theta_T - \bar\theta_s$ is the marginal
# variance at $s$:

# %%
V_at_T = V_derived.subs(b, c - a)  # the observation at t_T: thbar_{s:t} = thbar_T - thbar_s
show(r"V\big|_{b = \bar\theta_T - \bar\theta_s}", V_at_T)
vanishes(r"V\big|_{b = \bar\theta_T - \bar\theta_s} - \Sigma_s^2", V_at_T - family.Sigma2(a, c), gens={a: A, c: C})

# %% [markdown]
# And numerically, with the library on the reference grid (the pixel of the checker):

# %%
path = bridges.rdbm(lam=TERMINAL_PIXEL["lam"])
s = torch.arange(path.schedule.t_clean, path.schedule.t_T)
x0_s = torch.full((len(s),), TERMINAL_PIXEL["x0"], dtype=torch.float64)
mu_s = torch.full((len(s),), TERMINAL_PIXEL["mu"], dtype=torch.float64)
post_mean, post_std = path.posterior(mu_s, x0_s, mu_s, torch.full_like(s, path.schedule.t_T), s)
print("largest |posterior - marginal|: mean", float((post_mean - path.mean(x0_s, mu_s, s)).abs().max()),
      " std", float((post_std - path.std(x0_s, mu_s, s)).abs().max()))
assert torch.allclose(post_mean, path.mean(x0_s, mu_s, s), atol=1e-12)
assert torch.allclose(post_std, path.std(x0_s, mu_s, s), atol=1e-12)

# %%
feedback = check("02a.2", "ii")
display(feedback)
assert feedback
