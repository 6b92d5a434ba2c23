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
# **What you will learn.** The posterior variance by Bayes with the bridge's own kernel (and why it forgets
# $\bar\theta_T$), and why observing the terminal point $x_T = \mu$ leaves the marginal as it was.
#
# **Prerequisites.** Notebook 02a.

# %%
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family, ou
from derivations.common import D, a, b, complete_square, d, exp_to_rational, gaussian_log, lam, mu, pi, readable, \
    xs, xt, zero
from rdbm_core.bridge import bridges
from rdbm_course.exercises import check
from rdbm_course.exercises.ex02a_marginal_posterior import TERMINAL_PIXEL


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text, ``rhs`` a SymPy expression."""
    display(Math(lhs + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 02a.1 — the posterior variance
#
# Bayes with the bridge's transition kernel $p^h(x_t\mid x_s) = p(x_t\mid x_s)\,h(x_t, t)/h(x_s, s)$:
#
# $$q(x_s\mid x_t, x_0) \propto q(x_s\mid x_0)\;p(x_t\mid x_s)\,/\,h(x_s, s),$$
#
# where $q(x_s\mid x_0)$ is the bridge marginal at $s$ (clock $a$, terminal clock $a + b + d$), $p(x_t\mid x_s)$ the
# free OU kernel over the lag $b$ and $h(x_s, s)$ the free kernel from $x_s$ to $\mu$ over the lag $b + d$. All three
# are Gaussian in $x_s$: complete the square.

# %%
marginal_s = gaussian_log(xs, family.bridge_mean(a, a + b + d), family.Sigma2(a, a + b + d) * pi ** 2)
log_post = marginal_s + ou.kernel_logpdf(xt, xs, b) - ou.kernel_logpdf(mu, xs, b + d)
post_mean, post_var = complete_square(exp_to_rational(log_post), xs)
V_derived = sp.cancel(post_var / pi ** 2)
show(r"V", readable(V_derived))

# %% [markdown]
# $D = e^d$ has cancelled: the posterior does not depend on how far the terminal point is (the bridge is Markov,
# and given $x_t$ the future beyond $t$ carries no information about $x_s$). It is the bridge from $x_0$ at clock 0
# to $x_t$ at clock $a + b$, and it vanishes as $s \to 0$ and as $s \to t$:

# %%
assert D not in V_derived.free_symbols
assert sp.limit(readable(V_derived), a, 0) == 0 and sp.limit(readable(V_derived), b, 0) == 0

# %% [markdown]
# Indeed it is exercise 01.2's bridge variance with the clock values of that shorter bridge, $u = a$ and
# $c = a + b$:

# %%
assert zero(V_derived - family.Sigma2(a, a + b)) == 0
show(r"V", family.Sigma2(a, a + b))

# %%
V_answer = readable(V_derived)
feedback = check("02a.1", V_answer)
display(feedback)
assert feedback

# %% [markdown]
# ## 02a.2 — the posterior when the observation is $x_T = \mu$
#
# The posterior is the OU bridge from $x_0$ (clock 0) to the observation (clock $\bar\theta_t$), whatever comes
# after $t$. With the observation at $t_T$ the observation is $\mu$ itself, so the posterior is the bridge from $x_0$
# to $\mu$ over the clock $\bar\theta_T$: the bridge of notebook 01, whose marginal at $s$ is $q(x_s\mid x_0)$. In
# other words, conditioning on an event of probability one ($x_T = \mu$ for every path) changes nothing. So (b).
# Symbolically: 02a.1's variance with $a = \bar\theta_s$ and $b = \bar\theta_T - \bar\theta_s$ is the marginal
# variance at $s$:

# %%
assert zero(family.Sigma2(a, a + b) - family.Sigma2(a, a + b + d).subs(d, 0)) == 0
show(r"V\big|_{b = \bar\theta_T - \bar\theta_s}", family.Sigma2(a, a + b))

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
feedback = check("02a.2", "b")
display(feedback)
assert feedback
