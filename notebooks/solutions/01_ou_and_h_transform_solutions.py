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
# # 01 — Solutions to the exercises
#
# **What you will learn.** How $\Theta_t$ and $\Sigma_t^2$ come out of conditioning the OU kernel on $x_T = \mu$
# (a product of two Gaussians, completed to a square), and how to evaluate $\Theta_t$ on a discrete grid from
# the schedule's clock alone, without overflow.
#
# **Prerequisites.** notebook 01.

# %%
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import hbridge, ou
from derivations.common import c, complete_square, exp_to_rational, lam, mu, pi, readable, u, x, zero
from rdbm_core.bridge import bridges
from rdbm_course.exercises import check


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text, ``rhs`` a SymPy expression."""
    display(Math(lhs + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 01.1 — $\Theta_t$
#
# Bayes: $q(x_t\mid x_0, x_T = \mu) \propto p(x_t\mid x_0)\,p(x_T = \mu\mid x_t)$. The first factor is the free OU
# kernel over the clock lag $u$ started at $x_0 = \mu + \pi$; the second is $h(x_t, t)$, the same kernel over the
# lag $c - u$ evaluated at $\mu$. Both are Gaussian in $x_t$, so their product is one: its log-density is a
# quadratic in $x$, and completing the square (variance $-1/L''$, mean $x + \mathrm{var}\,L'$) gives the
# mean and the variance. SymPy works on $e^u$, $e^c$ as rational variables so that `cancel` decides exactly.

# %%
log_q = exp_to_rational(ou.kernel_logpdf(x, mu + pi, u) + hbridge.log_h(x))
mean, var = complete_square(log_q, x)
theta_derived = readable((mean - mu) / pi)
show(r"\Theta_t = \frac{E[x_t] - \mu}{\pi}", theta_derived)

# %% [markdown]
# Multiplying numerator and denominator by $e^{-c}/2$ turns the exponentials into hyperbolic sines; SymPy confirms
# that the derived expression is $\sinh(c - u)/\sinh(c)$, i.e. $\sinh(\bar\theta_{t:T})/\sinh(\bar\theta_T)$:

# %%
sinh_form = sp.sinh(c - u) / sp.sinh(c)
assert zero(theta_derived - sinh_form) == 0
show(r"\Theta_t", sinh_form)

# %%
feedback = check("01.1", theta_derived)
display(feedback)
assert feedback

# %% [markdown]
# ## 01.2 — $\Sigma_t^2$
#
# The variance of the same product, per unit $\pi^2$ (both factors carry $\pi^2$ in their variances, so it
# factors out). It vanishes at $u = 0$ (the path starts at $x_0$) and at $u = c$ (pinned to $\mu$).

# %%
sigma2_derived = readable(var / pi ** 2)
show(r"\Sigma_t^2", sigma2_derived)
sinh_form2 = 2 * lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)
assert zero(sigma2_derived - sinh_form2) == 0
assert sp.limit(sigma2_derived, u, 0) == 0 and sp.simplify(sp.limit(sigma2_derived, u, c)) == 0
show(r"\Sigma_t^2", sinh_form2)

# %%
feedback = check("01.2", sigma2_derived)
display(feedback)
assert feedback

# %% [markdown]
# ## 01.3 — $\Theta_t$ on a schedule's grid
#
# With $b = \bar\theta_{t:T}$ (`schedule.clock_to_end(t)`) and $c = \bar\theta_T$ (`schedule.u_T`),
# $\Theta_t = \sinh b/\sinh c$. Written as $e^{b - c}(1 - e^{-2b})/(1 - e^{-2c})$ it never overflows, even for a very
# large $\bar\theta_T$, and `expm1` keeps $1 - e^{-2b}$ accurate when $b$ is tiny (next to the terminal point).

# %%
def theta_on_grid(schedule, t):
    b = schedule.clock_to_end(t)
    c_T = torch.tensor(schedule.u_T, dtype=torch.float64)
    return torch.exp(b - c_T) * torch.expm1(-2 * b) / torch.expm1(-2 * c_T)


path = bridges.rdbm()
t = path.schedule.times()
theta_lib = path.coefficients(t)[0]
print(f"grid {path.schedule.name}: Theta at the clean point {float(theta_on_grid(path.schedule, t)[0]):.6f}, "
      f"at the terminal point {float(theta_on_grid(path.schedule, t)[-1]):.1e}; "
      f"largest gap to path.coefficients: {float((theta_on_grid(path.schedule, t) - theta_lib).abs().max()):.1e}")

# %%
feedback = check("01.3", theta_on_grid)
display(feedback)
assert feedback
