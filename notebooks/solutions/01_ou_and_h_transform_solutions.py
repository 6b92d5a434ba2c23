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
# **What you will learn.** How $\Theta_t$ comes out of the bridge's mean ODE (an integrating factor), how $\Sigma_t^2$ comes out of the bridge's variance ODE (an integrating factor),
# and how to evaluate $\Theta_t$ on a discrete grid from the schedule's clock alone, without overflow.
#
# **Prerequisites.** Notebook 01.

# %%
import sympy as sp
import torch
from IPython.display import display

from derivations.common import c, lam, mu, pi, u
from rdbm_core.bridge import bridges, schedules
from rdbm_course.exercises import check
from rdbm_course.mathshow import positive_terms_first, show, vanishes

positive_terms_first()  # SymPy prints x - mu, not -mu + x

# %% [markdown]
# ## 01.1 — $\Theta_t$, by the mean ODE
#
# Take expectations in $dx = \coth(c - u)(\mu - x)\,du + \sqrt{2\lambda}\,\pi\,dW_u$: the noise term has mean 0 and
# the drift is affine in $x$, so its expectation is the drift at the mean $M = E[x_t\mid x_0]$:

# %%
M = sp.Symbol("M", real=True)
dM_du = sp.coth(c - u) * (mu - M)
show(r"\frac{dM}{du}", dM_du)

# %% [markdown]
# An integrating factor $I$ must make $\frac{d}{du}\big(I(M - \mu)\big) = I'(M - \mu) + I\,dM/du$ vanish:
# $I'/I = \coth(c - u)$, and since $\frac{d}{du}\log\sinh(c - u) = -\coth(c - u)$, $I = 1/\sinh(c - u)$. So
# $I(M - \mu)$ is constant, equal to its value $I(0)\,\pi$ at $u = 0$ (where $M = x_0 = \mu + \pi$), and
# $\Theta_t = (M - \mu)/\pi = I(0)/I(u)$:

# %%
factor_01_1 = 1 / sp.sinh(c - u)
vanishes(r"I'\,(M - \mu) + I\,\frac{dM}{du}", sp.diff(factor_01_1, u) * (M - mu) + factor_01_1 * dM_du)
Theta_derived = factor_01_1.subs(u, 0) / factor_01_1
show(r"\Theta_t = \frac{I(0)}{I(u)}", Theta_derived)
assert sp.limit(Theta_derived, u, 0) == 1 and sp.limit(Theta_derived, u, c) == 0

# %% [markdown]
# It is $1$ at the clean end and $0$ at $T$, as it must be: $\Theta_t = \sinh(\bar\theta_{t:T})/\sinh(\bar\theta_T)$
# (`docs/theory.md` eq. 4.2). Notebook 02a derives the same mean a second way, by Bayes.

# %%
answer_01_1 = {"dM_du": dM_du, "factor": factor_01_1, "Theta": Theta_derived}
feedback = check("01.1", answer_01_1)
display(feedback)
assert feedback

# %% [markdown]
# ## 01.2 — $\Sigma_t^2$, by the variance ODE
#
# Itô's formula on $x^2$ for $dx = f\,du + \sqrt{2\lambda}\,\pi\,dW_u$ with the affine drift $f = \coth(c - u)(\mu - x)$
# gives $dQ/du = 2\,\mathbb E[(x - M) f] + 2\lambda\pi^2$, and $\mathbb E[(x - M)(\mu - x)] = -Q$:

# %%
Q = sp.Symbol("Q", real=True)
dQ_du = -2 * sp.coth(c - u) * Q + 2 * lam * pi ** 2
show(r"\frac{dQ}{du}", dQ_du)

# %% [markdown]
# An integrating factor $I$ must make $\frac{d}{du}(I Q) = I'Q + I\,dQ/du$ free of $Q$: $I'/I = 2\coth(c - u)$, and since
# $\frac{d}{du}\log\sinh(c - u) = -\coth(c - u)$, $I = 1/\sinh^2(c - u)$. Then $\frac{d}{du}(IQ) = 2\lambda\pi^2 I$. An
# antiderivative of $2\lambda\pi^2 I$ is $J(u) = 2\lambda\pi^2\coth(c - u)$ (checked by differentiating), so integrating
# from $u = 0$, where $Q = 0$, gives $I(u)\,Q(u) = J(u) - J(0)$:

# %%
factor = 1 / sp.sinh(c - u) ** 2
vanishes(r"I'\,Q + I\,\frac{dQ}{du} - 2\lambda\pi^2 I", sp.diff(factor, u) * Q + factor * dQ_du - 2 * lam * pi ** 2 * factor)
J = 2 * lam * pi ** 2 * sp.coth(c - u)
vanishes(r"J'(u) - 2\lambda\pi^2 I(u)", sp.diff(J, u) - 2 * lam * pi ** 2 * factor)
sigma2_derived = sp.expand((J - J.subs(u, 0)) / factor / pi ** 2)
show(r"\Sigma_t^2 = \frac{Q}{\pi^2} = \frac{J(u) - J(0)}{I(u)\,\pi^2}", sigma2_derived)

# %% [markdown]
# With $\sinh(c)\cosh(c - u) - \cosh(c)\sinh(c - u) = \sinh(u)$ this is $2\lambda\sinh(u)\sinh(c - u)/\sinh(c)$
# (`docs/theory.md` eq. 4.2); it vanishes at $u = 0$ (the path starts at $x_0$) and at $u = c$ (pinned to $\mu$):

# %%
sinh_form2 = 2 * lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)
vanishes(r"\Sigma_t^2 - \frac{2\lambda\sinh\bar\theta_t\,\sinh(\bar\theta_T - \bar\theta_t)}{\sinh\bar\theta_T}",
         sigma2_derived - sinh_form2)
assert sp.limit(sigma2_derived, u, 0) == 0 and sp.simplify(sp.limit(sigma2_derived, u, c)) == 0

# %%
answer_01_2 = {"dQ_du": dQ_du, "factor": factor, "Sigma2": sigma2_derived}
feedback = check("01.2", answer_01_2)
display(feedback)
assert feedback

# %% [markdown]
# ## 01.3 — $\Theta_t$ on a schedule's grid
#
# With $\bar\theta_{t:T}$ (`schedule.clock_to_end(t)`, called `to_go` in the code below) and $c = \bar\theta_T$
# (`schedule.u_T`), $\Theta_t = \sinh\bar\theta_{t:T}/\sinh c$. Taken literally, that ratio fails on the checker's
# grid with $\bar\theta_T = 1000$: $\sinh$ overflows float64 (above about 710), and the ratio is $\infty/\infty$, NaN
# (shown below). Written as $e^{\bar\theta_{t:T} - c}(1 - e^{-2\bar\theta_{t:T}})/(1 - e^{-2c})$ it never overflows,
# and `expm1` keeps $1 - e^{-2\bar\theta_{t:T}}$ accurate when $\bar\theta_{t:T}$ is tiny (next to the terminal point).

# %%
def theta_on_grid(schedule, t):
    to_go = schedule.clock_to_end(t)  # thbar_{t:T}
    c_T = torch.tensor(schedule.u_T, dtype=torch.float64)
    return torch.exp(to_go - c_T) * torch.expm1(-2 * to_go) / torch.expm1(-2 * c_T)


path = bridges.rdbm()
t = path.schedule.times()
Theta_lib = path.coefficients(t)[0]
print(f"grid {path.schedule.name}: Theta at the clean point {float(theta_on_grid(path.schedule, t)[0]):.6f}, "
      f"at the terminal point {float(theta_on_grid(path.schedule, t)[-1]):.1e}; "
      f"largest gap to path.coefficients: {float((theta_on_grid(path.schedule, t) - Theta_lib).abs().max()):.1e}")
large = schedules.constant_theta(25, 1000.0)  # a grid like the checker's fourth one
to_go_large, c_large = large.clock_to_end(large.times()), torch.tensor(large.u_T, dtype=torch.float64)
literal = torch.sinh(to_go_large) / torch.sinh(c_large)
stable = theta_on_grid(large, large.times())
print(f"thbar_T = {large.u_T:g}: sinh ratio non-finite at {int((~literal.isfinite()).sum())} of {len(literal)} "
      f"grid points; the form above at {int((~stable.isfinite()).sum())}")
assert not literal.isfinite().all() and stable.isfinite().all() and float(stable[0]) == 1.0
sinh_710_711 = torch.sinh(torch.tensor([710.0, 711.0], dtype=torch.float64))
assert sinh_710_711[0].isfinite() and sinh_710_711[1].isinf()  # float64's sinh overflows between 710 and 711

# %%
feedback = check("01.3", theta_on_grid)
display(feedback)
assert feedback
