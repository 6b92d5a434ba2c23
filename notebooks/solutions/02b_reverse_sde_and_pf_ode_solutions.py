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
# # 02b — Solutions to the exercises
#
# **What you will learn.** The probability-flow velocity from its definition, its size near the pinned end
# along a bridge path (the two $1/d$ terms cancel and $d^{-1/2}$ remains), and the reverse-SDE drift in code that
# never divides by the residual.
#
# **Prerequisites.** Notebook 02b.

# %%
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family
from derivations.common import c, d, eps, gaussian_log, lam, mu, pi, pihat, u, x
from rdbm_core.bridge import bridges
from rdbm_course.exercises import check
from rdbm_course.exercises.ex02b_reverse_time import DRIFT_LAM, DRIFT_TIMES, drift_inputs


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text, ``rhs`` a SymPy expression."""
    display(Math(lhs + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 02b.1 — the probability-flow velocity
#
# Differentiate the Gaussian log-density in $x$ and subtract half of $g^2 = 2\lambda\hat\pi^2$ times it from the
# drift. The $\hat\pi^2$ of $g^2$ cancels the one of the variance:

# %%
log_q = gaussian_log(x, mu + family.Theta(u, c) * pihat, family.Sigma2(u, c) * pihat ** 2)
score = sp.diff(log_q, x)
score_term = sp.factor(sp.cancel(-sp.Rational(1, 2) * 2 * lam * pihat ** 2 * score))
show(r"-\tfrac12 g^2\,\partial_x\log q", score_term)
velocity = family.bridge_drift(u, c) + score_term
show(r"\frac{dx}{du}", velocity)
assert pihat not in sp.denom(sp.together(velocity)).free_symbols

# %%
feedback = check("02b.1", velocity)
display(feedback)
assert feedback

# %% [markdown]
# ## 02b.2 — the velocity near the pinned end
#
# Put the path $x = \mu + \Theta\pi + \Sigma\pi\epsilon$ into the velocity at $u = c - d$ with $\hat\pi = \pi$. The
# mean part $\Theta\pi$ cancels in the score term, so
# $v = -\coth(d)\,(\Theta\pi + \Sigma\pi\epsilon) + \lambda\pi\epsilon/\Sigma$. Term by term near $d = 0$:
# $\coth(d)\,\Theta \to 1/\sinh c$ stays finite, while $\coth(d)\,\Sigma \approx \sqrt{2\lambda d}/d$ and
# $\lambda/\Sigma \approx \lambda/\sqrt{2\lambda d}$ are both of order $d^{-1/2}$ and do not cancel:
# $\sqrt d\,v \to -\sqrt{2\lambda}\,\pi\epsilon + \sqrt{\lambda/2}\,\pi\epsilon$. SymPy does the same:

# %%
uu = c - d
sigma = sp.sqrt(family.Sigma2(uu, c))
on_path = mu + family.Theta(uu, c) * pi + sigma * pi * eps
v_on_path = family.pf_velocity(on_path, uu, c, pi)
leading = sp.limit(sp.sqrt(d) * v_on_path, d, 0)
show(r"\lim_{d\to0}\sqrt d\,v", leading)
show(r"\lim_{d\to0}\frac{\Sigma^2}{2\lambda d}", sp.limit(family.Sigma2(uu, c) / (2 * lam * d), d, 0))
assert sp.simplify(leading - (-sp.sqrt(2 * lam) + sp.sqrt(lam / 2)) * pi * eps) == 0

# %%
feedback = check("02b.2", leading)
display(feedback)
assert feedback

# %% [markdown]
# ## 02b.3 — the reverse-SDE drift on images
#
# Per unit clock the forward drift is $\coth(\bar\theta_{t:T})(\mu - x)$ and $g^2 = 2\lambda\hat\pi^2$. The score of
# $\mathcal N(\mu + \Theta_t\hat\pi, \Sigma_t^2\hat\pi^2)$ is $-(x - \mu - \Theta_t\hat\pi)/(\Sigma_t^2\hat\pi^2)$, so
# $-g^2\,\partial_x\log q = 2\lambda(x - \mu - \Theta_t\hat\pi)/\Sigma_t^2$: the $\hat\pi^2$ is cancelled on paper,
# and the code never divides by $\hat\pi$. An intact pixel ($\hat\pi = 0$, $x = \mu$) gets drift exactly 0.

# %%
def reverse_sde_drift(path, x, x0_hat, mu, t):
    theta_t, _, sigma_t = path.coefficients(t)
    d_t = path.schedule.clock_to_end(t)
    return (mu - x) / torch.tanh(d_t) + 2 * path.lam * (x - mu - theta_t * (x0_hat - mu)) / sigma_t ** 2


# %% [markdown]
# On the checker's batch the drift is 0 at every intact pixel; the naive version, which multiplies $g^2$ by the
# score as two separate tensors, gives $0 \cdot (0/0)$ = NaN there:

# %%
path = bridges.rdbm(lam=DRIFT_LAM)
x0_b, mu_b, x0_hat_b, noise_b, intact_b = drift_inputs()
t_b = torch.tensor(DRIFT_TIMES[0])
x_b = path.sample(x0_b, mu_b, t_b, noise=noise_b)
drift = reverse_sde_drift(path, x_b, x0_hat_b, mu_b, t_b)
pi_hat_b = x0_hat_b - mu_b
theta_b, _, sigma_b = path.coefficients(t_b)
naive = (mu_b - x_b) / torch.tanh(path.schedule.clock_to_end(t_b)) + 2 * path.lam * pi_hat_b ** 2 * (
    x_b - mu_b - theta_b * pi_hat_b) / (sigma_b ** 2 * pi_hat_b ** 2)
print(f"intact pixels: {int(intact_b.sum())}, largest |drift| there: {float(drift[intact_b].abs().max())}, "
      f"naive version NaN there: {bool(naive[intact_b].isnan().all())}")
assert bool((drift[intact_b] == 0).all()) and bool(naive[intact_b].isnan().all())

# %%
feedback = check("02b.3", reverse_sde_drift)
display(feedback)
assert feedback
