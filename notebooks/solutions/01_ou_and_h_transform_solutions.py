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
# **What you will learn.** How $\Theta_t$ comes out of conditioning the OU kernel on $x_T = \mu$ (a product of two
# Gaussians, completed to a square), how $\Sigma_t^2$ comes out of the bridge's variance ODE (an integrating factor),
# and how to evaluate $\Theta_t$ on a discrete grid from the schedule's clock alone, without overflow.
#
# **Prerequisites.** Notebook 01.

# %%
import sympy as sp
import torch
from IPython.display import display

from derivations.common import c, lam, mu, pi, readable, u, x
from rdbm_core.bridge import bridges
from rdbm_course.exercises import check
from rdbm_course.mathshow import show, vanishes

# %% [markdown]
# ## 01.1 — $\Theta_t$, by Bayes
#
# $q(x_t = x\mid x_0, x_T = \mu) \propto p(x_t = x\mid x_0)\,h(x, t)$. The first factor is the free OU kernel over
# the clock lag $u$ started at $x_0 = \mu + \pi$: mean $\mu + e^{-u}\pi$, variance $\lambda(1 - e^{-2u})\pi^2$. The
# second is $h(x, t)$, the same kernel over the lag $c - u$ started at $x$ and evaluated at $\mu$: a Gaussian density
# of $\mu$ with mean $\mu + e^{-(c - u)}(x - \mu)$. Both log-densities are quadratics in $x$ (terms free of $x$
# dropped):

# %%
log_p = -(x - mu - sp.exp(-u) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * u)) * pi ** 2)
log_h = -(mu - (mu + sp.exp(-(c - u)) * (x - mu))) ** 2 / (2 * lam * (1 - sp.exp(-2 * (c - u))) * pi ** 2)
show(r"\log p(x_t = x \mid x_0)", log_p)
show(r"\log h(x, t)", log_h)

# %% [markdown]
# Their sum is $-\frac{(x - \text{mean})^2}{2\,\text{var}} + \text{const}$: the precision $1/\text{var}$ is minus its
# second derivative, and the mean is where its first derivative vanishes. SymPy simplifies in $e^u$ and $e^c$:

# %%
total = log_p + log_h
precision = -sp.diff(total, x, 2)
show(r"\frac{1}{\rm var}", precision, readable(precision))
(mean,) = sp.solve(sp.diff(total, x), x)
theta_derived = readable((mean - mu) / pi)
show(r"\Theta_t = \frac{\text{mean} - \mu}{\pi}", theta_derived)

# %% [markdown]
# Multiplying numerator and denominator by $e^{-c}/2$ turns the exponentials into hyperbolic sines: the derived
# expression is $\sinh(c - u)/\sinh(c)$, i.e. $\sinh(\bar\theta_{t:T})/\sinh(\bar\theta_T)$ (`docs/theory.md` eq. 4.2):

# %%
sinh_form = sp.sinh(c - u) / sp.sinh(c)
vanishes(r"\Theta_t - \frac{\sinh(\bar\theta_T - \bar\theta_t)}{\sinh\bar\theta_T}", theta_derived - sinh_form)

# %%
answer_01_1 = {"log_p": log_p, "log_h": log_h, "precision": precision, "Theta": theta_derived}
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
