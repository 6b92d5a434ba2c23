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
# **What you will learn.** The probability-flow velocity from its definition, the checks of notebook 02b that would
# have shown it (the reverse SDE and the probability flow transport the bridge's marginal between interior times;
# the velocity is affine in $x_0$), its size near the pinned end along a bridge path (from the leading terms of
# $\Theta_t$ and $\Sigma_t^2$: $\bar\theta_{t:T}^{-1/2}$ remains of two $\bar\theta_{t:T}^{-1/2}$ terms), the
# reverse-SDE drift in code that never divides by the residual, and the factor by which one Euler–Maruyama step
# multiplies a path's distance from the mean.
#
# **Prerequisites.** Notebook 02b.

# %%
import sympy as sp
import torch
from IPython.display import display

from derivations import family, reverse
from derivations.common import c, d, eps, fokker_planck_residual, lam, mu, pi, pihat, u, x, x0
from rdbm_core.bridge import bridges
from rdbm_course.exercises import check
from rdbm_course.exercises.ex02b_reverse_time import DRIFT_LAM, DRIFT_TIMES, drift_inputs
from rdbm_course.mathshow import limit, show, vanishes

# %% [markdown]
# ## 02b.1 — the probability-flow velocity
#
# Differentiate the Gaussian log-density of $q = \mathcal N(\mu + \Theta_t\hat\pi, \Sigma_t^2\hat\pi^2)$ in $x$ and
# multiply by $g^2 = 2\lambda\hat\pi^2$: the $\hat\pi^2$ of $g^2$ cancels the one of the variance. Then subtract half
# of it from the drift $f = \coth(\bar\theta_{t:T})(\mu - x)$:

# %%
score = sp.diff(-(x - mu - family.Theta(u, c) * pihat) ** 2 / (2 * family.Sigma2(u, c) * pihat ** 2), x)
g2_score = sp.factor(sp.cancel(2 * lam * pihat ** 2 * score))
show(r"g^2\,\partial_x\log q", 2 * lam * pihat ** 2 * score, g2_score)
velocity = family.bridge_drift(u, c) - g2_score / 2
show(r"\frac{dx}{du} = f - \tfrac12 g^2\,\partial_x\log q", velocity)
assert pihat not in sp.denom(sp.together(velocity)).free_symbols

# %% [markdown]
# In the notation of `docs/theory.md` eq. 7.2, $g^2\,\partial_x\log q = -2\lambda(x - \mu - \Theta_t\hat\pi)/\Sigma_t^2$ and
# the velocity is $\coth(\bar\theta_{t:T})(\mu - x) + \lambda(x - \mu - \Theta_t\hat\pi)/\Sigma_t^2$:

# %%
vanishes(r"\frac{dx}{du} - \Big(\coth(\bar\theta_{t:T})(\mu - x) + \frac{\lambda(x - \mu - \Theta_t\hat\pi)}{\Sigma_t^2}\Big)",
         velocity - (sp.coth(c - u) * (mu - x) + lam * (x - mu - family.Theta(u, c) * pihat) / family.Sigma2(u, c)))

# %%
answer_02b_1 = {"g2_score": g2_score, "velocity": velocity}
feedback = check("02b.1", answer_02b_1)
display(feedback)
assert feedback

# %% [markdown]
# **The checks of notebook 02b, sections 3 and 4, again** (the notebook states all three after exercise 02b.1 and
# verifies them in its Checks).
# With $x_0$ known ($\hat\pi = \pi$), the bridge's marginal $q$ has the log-density $L = \log q$, taken whole: its
# normalising term $-\tfrac12\log(\Sigma_t^2\pi^2)$ is free of $x$ but not of the clock, and it enters $L_u$ (only
# the constant $-\tfrac12\log(2\times3.14159\ldots)$, with the circle constant written as a number because $\pi$ is the
# residual, drops out of every term).
# (i) The probability flow transports it: the continuity equation $\partial_u q + \partial_x(vq) = 0$, divided by $q$,
# reads $L_u + v_x + vL_x = 0$. (ii) The reverse-time SDE has it as marginal: in reversed time $\tau = -u$ its
# Fokker–Planck equation, with the drift $-F_{\rm rev} = -(f - g^2\partial_x\log q)$ in $\tau$, reads
# $L_\tau - \partial_x F_{\rm rev} - F_{\rm rev} L_x - \lambda\pi^2(L_{xx} + L_x^2) = 0$ (evaluated at $\tau = -u$). (iii) The velocity is affine in
# $x_0$ ($\pi = x_0 - \mu$ in $g$ *and* in the score) with a slope free of $x_0$.

# %%
L = reverse.log_q()
v_true = velocity.subs(pihat, pi)
vanishes(r"L_u + v_x + v L_x", fokker_planck_residual(L, x, u, v_true, 0))
tau = sp.Symbol("tau")
F_rev = family.bridge_drift(u, c) - 2 * lam * pi ** 2 * reverse.score()
vanishes(r"L_\tau - \partial_x F_{\rm rev} - F_{\rm rev} L_x - \lambda\pi^2(L_{xx} + L_x^2)\,\big|_{\tau = -u}",
         fokker_planck_residual(L.subs(u, -tau), x, tau, -F_rev.subs(u, -tau), lam * pi ** 2).subs(tau, -u))
v_x0 = v_true.subs(pi, x0 - mu)
vanishes(r"\partial_{x_0}^2 v", sp.diff(v_x0, x0, 2))
show(r"\partial_{x_0} v", sp.simplify(sp.diff(v_x0, x0)))
vanishes(r"\partial_{x_0} v + \frac{\lambda\,\Theta_t}{\Sigma_t^2}",
         sp.diff(v_x0, x0) + lam * family.Theta(u, c) / family.Sigma2(u, c))
assert reverse.check_reverse_sde() == 0 and reverse.check_pf_ode_continuity() == 0
assert reverse.check_pf_velocity_affine_in_x0() == 0

# %% [markdown]
# ## 02b.2 — the velocity near the pinned end
#
# Put the path $x = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ into the velocity at $\bar\theta_t = c - \bar\theta_{t:T}$ (in SymPy `c - d`) with
# $\hat\pi = \pi$. The mean part $\Theta_t\pi$ cancels in the score term, so $v = v_{\rm mean} + v_{\rm noise} +
# v_{\rm score}$ with $v_{\rm mean} = -\coth(\bar\theta_{t:T})\,\Theta_t\pi$, $v_{\rm noise} = -\coth(\bar\theta_{t:T})\,\Sigma_t\pi\epsilon$ and
# $v_{\rm score} = \lambda(x - \mu - \Theta_t\pi)/\Sigma_t^2 = \lambda\pi\epsilon/\Sigma_t$. Near $\bar\theta_{t:T} = 0$:
# $\Theta_t = \sinh\bar\theta_{t:T}/\sinh c \approx \bar\theta_{t:T}/\sinh c$, so $\coth(\bar\theta_{t:T})\,\Theta_t \to 1/\sinh c$ stays finite and
# $\bar\theta_{t:T}^{1/2}\,v_{\rm mean} \to 0$;
# $\Sigma_t^2 \approx 2\lambda\bar\theta_{t:T}$, so $\coth(\bar\theta_{t:T})\,\Sigma_t \approx \sqrt{2\lambda\bar\theta_{t:T}}/\bar\theta_{t:T}$ and $\lambda/\Sigma_t \approx
# \lambda/\sqrt{2\lambda\bar\theta_{t:T}}$ are both of order $\bar\theta_{t:T}^{-1/2}$ and do not cancel. The leading terms
# $\Theta_t \approx \bar\theta_{t:T}/\sinh c$ and $\Sigma_t^2 \approx 2\lambda\bar\theta_{t:T}$ (the steps `"Theta_lead"` and
# `"Sigma2_lead"`) are checked by the ratio limits below, then SymPy takes the three limits:

# %%
theta_t = family.Theta(c - d, c)
sigma_t = sp.sqrt(family.Sigma2(c - d, c))
leading = {"Theta_lead": d / sp.sinh(c), "Sigma2_lead": 2 * lam * d}  # by hand: sinh(d) = d + O(d^3), sinh(c - d) -> sinh(c)
limit(theta_t / leading["Theta_lead"], d, 0, 1, lhs=r"\lim_{\bar\theta_{t:T}\to0}\frac{\Theta_t}{\bar\theta_{t:T}/\sinh c}")
limit(family.Sigma2(c - d, c) / leading["Sigma2_lead"], d, 0, 1,
      lhs=r"\lim_{\bar\theta_{t:T}\to0}\frac{\Sigma_t^2}{2\lambda\bar\theta_{t:T}}")
parts = {"v_mean": -sp.coth(d) * theta_t * pi, "v_noise": -sp.coth(d) * sigma_t * pi * eps,
         "v_score": lam * pi * eps / sigma_t}
names = {"v_mean": r"v_{\rm mean}", "v_noise": r"v_{\rm noise}", "v_score": r"v_{\rm score}"}
limits = {key: sp.limit(sp.sqrt(d) * part, d, 0) for key, part in parts.items()}
for key, value in limits.items():
    show(rf"\lim_{{\bar\theta_{{t:T}}\to0}}\bar\theta_{{t:T}}^{{1/2}}\,{names[key]}", value)
v_limit = sp.simplify(sum(limits.values()))
show(r"\lim_{\bar\theta_{t:T}\to0}\bar\theta_{t:T}^{1/2}\,v = \lim_{\bar\theta_{t:T}\to0}\bar\theta_{t:T}^{1/2}\,(v_{\rm mean} + v_{\rm noise} + v_{\rm score})", v_limit)

# %% [markdown]
# The same limit taken on the whole velocity at once (the library-free check of `docs/theory.md` eq. 7.6):

# %%
on_path = mu + theta_t * pi + sigma_t * pi * eps
limit(sp.sqrt(d) * family.pf_velocity(on_path, c - d, c, pi), d, 0, v_limit, lhs=r"\lim_{\bar\theta_{t:T}\to0}\bar\theta_{t:T}^{1/2}\,v(x)")

# %%
answer_02b_2 = {**leading, **limits, "v": v_limit}
feedback = check("02b.2", answer_02b_2)
display(feedback)
assert feedback

# %% [markdown]
# ## 02b.3 — the reverse-SDE drift on images, and the factor of one Euler–Maruyama step
#
# **(a)** The drift of the introduction is $F_{\rm rev} = f - g^2\,\partial_x\log q$. Per unit clock the forward drift
# is $f = \coth(\bar\theta_{t:T})(\mu - x)$ and $g^2 = 2\lambda\hat\pi^2$. The score of
# $\mathcal N(\mu + \Theta_t\hat\pi, \Sigma_t^2\hat\pi^2)$ is $-(x - \mu - \Theta_t\hat\pi)/(\Sigma_t^2\hat\pi^2)$, so
# $-g^2\,\partial_x\log q = 2\lambda(x - \mu - \Theta_t\hat\pi)/\Sigma_t^2$ (twice the score term of the velocity of
# 02b.1): the $\hat\pi^2$ is cancelled on paper, and the code never divides by $\hat\pi$. An intact pixel
# ($\hat\pi = 0$, $x = \mu$) gets drift exactly 0.

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

# %% [markdown]
# **(b)** The step is $x_{[t-1]} = x_{[t]} - \Delta u\,F_{\rm rev}(x_{[t]}) + \sqrt{2\lambda\Delta u}\,|\hat\pi|\,z$, and
# $F_{\rm rev}$ is affine in $x$ with the slope $\partial_x F_{\rm rev} = -\coth\bar\theta_{t:T} + 2\lambda/\Sigma_t^2$
# (the same for every $\hat x_0$ and $\mu$). So
# $$a_{[t]} = 1 - \Delta u\,\partial_x F_{\rm rev} = 1 + \Delta u\,\Big(\coth\bar\theta_{t:T} - \frac{2\lambda}{\Sigma_t^2}\Big),
# \qquad \Delta u = \bar\theta_{[t]} - \bar\theta_{[t-1]}$$
# (the coefficients taken at grid index $t$).
# The function reads the slope off the drift of (a) at two values of $x$ (at an intact pixel, $\hat x_0 = \mu = 0$,
# where the drift is finite because nothing divides by $\hat\pi$); the cell checks it against the formula on every
# step of the reference grid.

# %%
def step_factor(path, t):
    zero_, one_ = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    slope = reverse_sde_drift(path, one_, zero_, zero_, t) - reverse_sde_drift(path, zero_, zero_, zero_, t)
    return 1 - float(path.schedule.clock(t) - path.schedule.clock(t - 1)) * float(slope)


reference = bridges.rdbm(lam=DRIFT_LAM)
factors = {}
for t_ in range(1, reference.schedule.t_T):
    t = torch.tensor(t_)
    du = float(reference.schedule.clock(t) - reference.schedule.clock(t - 1))
    formula = 1 + du * (1 / float(torch.tanh(reference.schedule.clock_to_end(t)))
                        - 2 * reference.lam / float(reference.coefficients(t)[2]) ** 2)
    factors[t_] = step_factor(reference, t)
    assert abs(factors[t_] - formula) < 1e-12
print(f"a_98 = {factors[98]:.3f}, a_1 = {factors[1]:.3f}; on every step of the reference grid "
      f"{min(factors.values()):.3f} <= a_t <= {max(factors.values()):.3f}")
assert 0 < min(factors.values()) and max(factors.values()) < 1

# %% [markdown]
# **The question of (b).** With $0 < a_{[t]} < 1$ the step brings every path closer to the mean: $x_{[t-1]} - M_{[t-1]}$
# is $a_{[t]}(x_{[t]} - M_{[t]})$ plus terms that do not depend on $x_{[t]}$ (the step's own error of the mean and its fresh noise).
# An excess of the paths' variance over the marginal's, made at an earlier step, is therefore multiplied by
# $a_{[t]}^2 < 1$ at each later step: the reverse SDE forgets the errors of its early steps. (The step adds its own
# error each time, so the spread does not return to the marginal's exactly.) Notebook 02b, section 5, shows this in
# its figure's 16000 paths: the spread's excess after the step from index 98 (1.27 times the marginal's at index 97)
# is down to 1.06 by index 90, while the error of the last explicit steps is not reduced by anything after them
# (1.56 at index 0).

# %%
feedback = check("02b.3", {"drift": reverse_sde_drift, "step_factor": step_factor})
display(feedback)
assert feedback
