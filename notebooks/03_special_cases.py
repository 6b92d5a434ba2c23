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
# # 03 — One family, many bridges: the special cases of RDBM
#
# **What you will learn.** How GOUB, the VE bridge of DDBM-VE, BBDM, IR-SDE, I2SB, the deterministic interpolant,
# DDBM-VP and UniDB are members (or limits) of the bridge family of notebooks 01–02c. Each case is shown as a SymPy
# identity or limit, displayed and asserted, and then checked numerically against the formula as its own paper or code
# writes it, on its own grid.
#
# **Prerequisites.** Notebooks 01 and 02a–02c. Read `docs/theory.md` §11 in full after this notebook: its eqs. 11.3
# and 11.7 state the answers of exercises 03.3 and 03.2. The equations this notebook cites before an exercise
# (11.1, 11.2, 11.4–11.6) give nothing away and can be read at that point.
#
# **Notation** (that of `docs/theory.md`; each symbol has one meaning in this notebook):
#
# | symbol | meaning |
# |---|---|
# | $x_0$, $\mu$, $\pi = x_0 - \mu$ | the clean image, the degraded one, the residual |
# | $\bar\theta_t = \int_0^t\theta_r\,dr$, $\bar\theta_T$, $\bar\theta_{t:T} = \bar\theta_T - \bar\theta_t$ | the clock, its terminal value, the clock still to go (SymPy: `u`, `c`, `c - u`) |
# | $\nu(\pi)$ | the noise factor: $\pi$ for RDBM, $1$ (global noise) for every published member below |
# | $\lambda$ (`lam`) | the noise scale: $g_t^2 = 2\lambda\theta_t\,\nu(\pi)^2$, the stationary variance of an OU member |
# | $G_t = 2\lambda\bar\theta_t$, $G_T$ | the accumulated variance $\int_0^t g_r^2\,dr$ (global noise) and its terminal value (SymPy: `sc.G_t`, `G_T`) |
# | $\bar\theta^{\rm B}_t$, $\lambda^{\rm B}$ | a Brownian member's clock and noise scale in the library (`schedule.clock(t)`, `lam`): $\bar\theta^{\rm B}_t = \bar\theta_t/\delta = G_t$ and $\lambda^{\rm B} = \lambda\delta = \tfrac12$ (section 2); $2\lambda^{\rm B}$ is the variance one unit of this clock adds |
# | $\Theta_t = \dfrac{\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T}$, $\Sigma_t^2 = 2\lambda\,\dfrac{\sinh\bar\theta_t\,\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T}$ | the family's coefficient of $\pi$ and its variance (notebooks 01–02a): $x_t = \mu + \Theta_t\pi + \Sigma_t\,\nu(\pi)\,\epsilon$ |
# | $\epsilon$ | standard normal noise |
# | $\delta$ | the small parameter of a limit, $\delta \to 0$ |
# | $m$ | a mean-reversion target other than $\mu$ (only DDBM-VP: $m = 0$) |
# | $\beta$ | a rate at which $G$ grows: I2SB's step $\beta_n = G_n - G_{n-1}$, DDBM-VP's $\beta(t) = dG_t/dt$ |
# | $\sigma_{\max}^{\rm VE}$, $\sigma_{\max}^{\rm IR}$ | DDBM-VE's largest noise level (80) and IR-SDE's stationary standard deviation ($10/255$) |
#
# Every member except DDBM-VP reverts to $m = \mu$ and ends at $x_T = \mu$, or only near it (IR-SDE, UniDB, I2SB's
# code and BBDM's own grid), so its marginal is $x_t = \mu + \Theta_t\pi + \Sigma_t\nu(\pi)\epsilon$ with the family's
# $\Theta_t$ and $\Sigma_t^2$ at its own clock, terminal clock and $\lambda$, or their limits. RDBM is the member
# with the reference grid of notebook 01, $\lambda = 10^{-4}$ and $\nu(\pi) = \pi$. The published members use global
# noise; since $\nu(\pi)$ only multiplies the noise, the identities for $\Theta_t$ and $\Sigma_t^2$ hold for either
# factor. The interpolant has $\lambda = 0$: no noise at all.
#
# Wall time: about 13 s on a 2-core CPU (the notebook has no fast-mode switch; measured with
# `benchmarks/notebook_times.py`).

# %%
import math

import matplotlib.pyplot as plt
import sympy as sp
import torch
from IPython.display import Markdown, display

from derivations import family, special_cases as sc
from derivations.common import c, exp_to_rational, lam, pi, u
from derivations.facts import BY_NAME, verify
from rdbm_core.bridge import bridges, schedules
from rdbm_core.bridge.path import ResidualPath
from rdbm_course.exercises import check
from rdbm_course.mathshow import fact, latex, limit, show

G_T = sp.Symbol("G_T", positive=True)  # the terminal accumulated variance (sc.G_t is G_t)
delta = sp.Symbol("delta", positive=True)  # the small parameter of the Brownian limit


def _sign_inside(e):
    """``-(t - T)(t + T)/T^2`` as ``(T - t)(T + t)/T^2``: a negative factor moved into a factor that is a sum."""
    n, d = sp.fraction(e)
    coeff, rest = n.as_coeff_Mul()
    if coeff < 0:
        factors = list(sp.Mul.make_args(rest))
        sums = [i for i, f in enumerate(factors) if f.is_Add]
        if sums:
            i = next((i for i in sums if factors[i].could_extract_minus_sign()), sums[0])
            factors[i] = -factors[i]
            return -coeff * sp.Mul(*factors) / d
    return e


def same(lhs, published, rhs, family_form, written=None):
    """Display ``lhs = published = its fraction`` and ``rhs = written = its fraction`` (``written`` defaults to
    ``family_form``; False shows only the fraction; a form equal to its fraction is shown once), each fraction in
    U = e^{thbar_t}, C = e^{thbar_T}; assert that the two fractions are equal."""
    left, right = (_sign_inside(sp.factor(sp.cancel(sp.together(exp_to_rational(e)))))
                   for e in (published, family_form))
    shown = family_form if written is None else written
    show(lhs, *([published] if published == left else [published, left]))
    show(rhs, *([right] if written is False or shown == right else [shown, right]))
    assert sp.cancel(left - right) == 0, f"{lhs} and {rhs} differ"


# %% [markdown]
# ## 1. GOUB (Yue et al., ICML 2024): an identity
#
# GOUB writes its noise scale $\lambda_{\rm GOUB}$ as a standard deviation, $g_t^2 = 2\lambda_{\rm GOUB}^2\theta_t$, so
# this course's $\lambda$ is $\lambda_{\rm GOUB}^2$ (`docs/theory.md` eq. 11.1). With
# $\bar\sigma_v^2 = \lambda_{\rm GOUB}^2(1 - e^{-2v})$ it publishes the coefficient of $\pi$,
# $e^{-\bar\theta_t}\bar\sigma^2_{t:T}/\bar\sigma^2_T$, the variance $\bar\sigma_t^2\bar\sigma_{t:T}^2/\bar\sigma_T^2$
# and the drift $(\theta_t + g_t^2e^{-2\bar\theta_{t:T}}/\bar\sigma^2_{t:T})(\mu - x)$; the family's drift is
# $\theta_t\coth(\bar\theta_{t:T})(\mu - x)$ (notebook 01). Below, each published form (first line) and the family's
# form with $\lambda = \lambda_{\rm GOUB}^2$ (second line) are reduced to one fraction in $U = e^{\bar\theta_t}$,
# $C = e^{\bar\theta_T}$: the fractions are the same (asserted).

# %%
lam_goub = sp.Symbol(r"\lambda_{\rm GOUB}", positive=True)  # sc.lamG, typeset upright
goub_coef, goub_var, goub_drift = (e.subs(sc.lamG, lam_goub) for e in sc.goub_forms())
same(r"\Theta^{\rm GOUB}_t", goub_coef, r"\Theta_t", family.Theta(u, c))
same(r"\Sigma^{2,\rm GOUB}_t", goub_var, r"\Sigma_t^2", family.Sigma2(u, c).subs(lam, lam_goub ** 2))
same(r"\frac{\text{GOUB's drift}}{\theta_t(\mu - x)}", goub_drift, r"\coth\bar\theta_{t:T}", sp.coth(c - u))

# %% [markdown]
# On GOUB's own grid (cosine, $\bar\theta_T = -\ln 0.005$) the published forms and the family's agree to
# rounding (the line gives the largest error of the `derivations` check):

# %%
fact("special.goub_numeric", "11.2")

# %% [markdown]
# ## 2. The Brownian limit: $\theta \to 0$ with $G_t$ fixed (the VE bridge, DDBM-VE, BBDM; I2SB in section 4)
#
# Slow the clock down and raise $\lambda$ together so that the accumulated variance stays: $\bar\theta_t = \delta G_t$,
# $\bar\theta_T = \delta G_T$, $\lambda = 1/(2\delta)$. Then $2\lambda\bar\theta_t = G_t$ for every $\delta$: the noise
# is unchanged, and only the mean reversion, $\theta_t = \delta\,dG_t/dt$, vanishes as $\delta \to 0$. The family's
# coefficients tend to those of a Brownian bridge in the "time" $G$ (`docs/theory.md` eq. 11.4):

# %%
brownian = {u: delta * sc.G_t, c: delta * G_T, lam: 1 / (2 * delta)}
Theta_B, Sigma2_B = 1 - sc.G_t / G_T, sc.G_t * (G_T - sc.G_t) / G_T
limit(family.Theta(u, c).subs(brownian), delta, 0, Theta_B)
limit(family.Sigma2(u, c).subs(brownian), delta, 0, Sigma2_B)

# %% [markdown]
# **The library's clock for a Brownian member.** Section 2's $\bar\theta_t = \delta G_t \to 0$ and
# $\lambda = 1/(2\delta) \to \infty$ have no limits of their own; only their product has. So the library writes a
# Brownian member in the rescaled pair
#
# $$\bar\theta^{\rm B}_t = \bar\theta_t/\delta = G_t, \qquad \lambda^{\rm B} = \lambda\delta = \tfrac12 \qquad
#   \big(2\lambda^{\rm B}\bar\theta^{\rm B}_t = 2\lambda\bar\theta_t = G_t\big),$$
#
# stored as `schedule.clock(t)` and `lam = 0.5` (eq. 11.5), and with `kind = "brownian"` it evaluates the limits
# above, $\Theta_t = 1 - \bar\theta^{\rm B}_t/\bar\theta^{\rm B}_T$ and
# $\Sigma_t^2 = 2\lambda^{\rm B}\,\bar\theta^{\rm B}_t(\bar\theta^{\rm B}_T - \bar\theta^{\rm B}_t)/\bar\theta^{\rm B}_T$,
# not the sinh ratios of the notation table. $\lambda^{\rm B} = 1/2$ is not a stationary variance (a Brownian bridge has
# none) but half the variance one unit of this clock adds. DDBM-VE's noise level is $t$ at time $t \in [0, T]$ with
# $T = \sigma_{\max}^{\rm VE} = 80$, so $G_t = t^2$ and its clock runs to $\bar\theta^{\rm B}_T = G_T = 80^2 = 6400$.
# The library's schedule says so; `schedule.times(n)`, `schedule.clock(t)` and `schedule.u_T` are the clock's
# interface (exercise 03.2 uses them):

# %%
ve = bridges.make("ddbm-ve")
t = ve.schedule.times(4)  # a continuous schedule: 5 times from 0 to T
clock_B, clock_B_T = ve.schedule.clock(t), ve.schedule.u_T
Th_ve, _, Sg_ve = ve.coefficients(t)
print(f"lam = {ve.lam}, kind = {ve.kind}, T = {ve.schedule.t_T:g}")
print("t                 :", [f"{v:g}" for v in t.tolist()])
print("schedule.clock(t) :", [f"{v:g}" for v in clock_B.tolist()])
print(f"schedule.u_T      : {clock_B_T:g}")
print("Theta_t           :", [f"{v:.4g}" for v in Th_ve.tolist()])
print("Sigma_t^2         :", [f"{v:.4g}" for v in (Sg_ve ** 2).tolist()])
assert ve.lam == 0.5 and ve.kind == "brownian"
assert torch.equal(clock_B, t ** 2) and clock_B_T == 80.0 ** 2
assert torch.allclose(Th_ve, 1 - clock_B / clock_B_T, rtol=0, atol=1e-15)
assert torch.allclose(Sg_ve ** 2, 2 * ve.lam * clock_B * (clock_B_T - clock_B) / clock_B_T, rtol=1e-14, atol=1e-12)

# %% [markdown]
# DDBM-VE publishes the coefficient of $x_0$ as $1 - t^2/T^2$ and the variance $t^2(1 - t^2/T^2)$ (eq. 11.6). With
# $G_t = t^2$, $G_T = T^2$ they are the limits above, and on DDBM-VE's own grid the OU family at $\delta = 10^{-9}$
# matches them:

# %%
on_ddbm = {sc.G_t: sc.tt ** 2, G_T: sc.TT ** 2}
same(r"\Theta^{\rm DDBM\text{-}VE}_t", 1 - sc.tt ** 2 / sc.TT ** 2,
     r"\lim_{\delta\to0}\Theta_t\big|_{G_t = t^2}", Theta_B.subs(on_ddbm))
same(r"\Sigma^{2,\rm DDBM\text{-}VE}_t", sc.tt ** 2 * (1 - sc.tt ** 2 / sc.TT ** 2),
     r"\lim_{\delta\to0}\Sigma_t^2\big|_{G_t = t^2}", Sigma2_B.subs(on_ddbm))
fact("special.ddbm_ve_numeric", "11.6")

# %% [markdown]
# ## Exercise 03.1 (derive): how close is an OU bridge to the Brownian one?
#
# Each exercise is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/03_special_cases_solutions.ipynb`. Do each exercise before you read on: the
# text after it uses its answer.
#
# The numeric check above takes $\delta = 10^{-9}$. How far from the Brownian bridge is the family at a small but
# finite $\delta$? Under the substitution of section 2, $\Sigma_t^2(\delta)$ is even in $\delta$, so
#
# $$\Sigma_t^2(\delta) = \frac{G_t(G_T - G_t)}{G_T}\,\big(1 + \kappa\,\delta^2 + O(\delta^4)\big).$$
#
# Derive $\kappa$ by hand, with $\sinh z = z\,(1 + z^2/6 + O(z^4))$ for each of the three sinh factors, and write
# your steps in a markdown cell: they are graded with the derive rubric, and `check` sees only the result. (`sp.series`
# of section 2's expression gives $\kappa$ in one line; use it afterwards to check your expansion, not instead of it.)
# Answer: $\kappa$ as a SymPy expression in `sc.G_t` and `G_T`. Then say what $\kappa\delta^2$ means in the OU clock,
# where $\delta G_t = \bar\theta_t$.

# %%
answer_03_1 = ...  # a SymPy expression in sc.G_t and G_T
check("03.1", answer_03_1)

# %% [markdown]
# **After exercise 03.1.** The DDBM-VE check of section 2 printed a largest relative error of 3e-12 at
# $\delta = 10^{-9}$. That is $|\kappa|\delta^2$ at its largest, halfway ($G_t = G_T/2$):
# $\delta^2G_T^2/12 = 10^{-18}\cdot 6400^2/12 = 3.4\times10^{-12}$.

# %%
ok_ve, err_ve, _ = verify(BY_NAME["special.ddbm_ve_numeric"])
kappa_peak = (1e-9 * 80.0 ** 2) ** 2 / 12
print(f"delta^2 G_T^2 / 12 = {kappa_peak:.2e}; special.ddbm_ve_numeric measures {float(err_ve):.2e}")
assert ok_ve and f"{kappa_peak:.1e}" == "3.4e-12" and abs(float(err_ve) / kappa_peak - 1) < 0.01

# %% [markdown]
# ## Exercise 03.2 (implement): BBDM's $m^{\rm BB}_t$ and `max_var` from the library's clock
#
# BBDM (Li et al., CVPR 2023) publishes its marginal as
# $x_t = (1 - m^{\rm BB}_t)\,x_0 + m^{\rm BB}_t\,x_T + \sqrt{2\,\texttt{max\_var}\,\big(m^{\rm BB}_t - (m^{\rm BB}_t)^2\big)}\,\epsilon$,
# with $m^{\rm BB}_t$ rising from 0 at the clean end to 1 at the degraded end, and a scale `max_var`. The library builds
# it as a Brownian member from BBDM's $N$ grid points, `m_min`, `m_max` and `max_var`
# (`bridges.bbdm(N, m_min, m_max, max_var)`), and keeps neither $m^{\rm BB}_t$ nor `max_var`: its schedule holds only
# the clock $\bar\theta^{\rm B}_t$. First find $m^{\rm BB}_t$ and `max_var` in terms of $G_t$ and $G_T$, by matching
# BBDM's two formulas with the limits of section 2. Then write `bbdm_parameters(schedule, t)` that returns the pair
# `(m, max_var)`: $m^{\rm BB}_t$ at the times `t = schedule.times()` (a tensor shaped like `t`) and `max_var` (a
# number), from `schedule.clock(t)` and `schedule.u_T` only. The checker runs it on two BBDM schedules with different
# $N$, `m_min`, `m_max` and `max_var`, and compares your pair with the values each was built from ($m^{\rm BB} = 0$ and
# $1$ at the schedule's virtual first and last times).

# %%
answer_03_2 = ...  # a function bbdm_parameters(schedule, t) -> (m, max_var)
check("03.2", answer_03_2)

# %% [markdown]
# ### BBDM in the family (after exercise 03.2)
#
# BBDM's $m^{\rm BB}_t$ is the share of the clock already used, $G_t/G_T$, and its scale is half the clock's end:
# $G_t = 2\,\texttt{max\_var}\,m^{\rm BB}_t$, $G_T = 2\,\texttt{max\_var}$ (eq. 11.7). Its published forms are then
# the limits of section 2, and on BBDM's own grid ($m^{\rm BB}_t$ = `linspace(0.001, 0.999, 1000)`) the OU family at
# $\delta = 10^{-9}$ matches them:

# %%
m_bb, max_var = sp.Symbol(r"m^{\rm BB}_t", positive=True), sp.Symbol(r"\texttt{max\_var}", positive=True)
on_bbdm = {sc.G_t: 2 * max_var * m_bb, G_T: 2 * max_var}
same(r"\Theta^{\rm BBDM}_t", 1 - m_bb, r"\lim_{\delta\to0}\Theta_t\big|_{G_t = 2\,\texttt{max\_var}\,m^{\rm BB}_t}",
     Theta_B.subs(on_bbdm))
same(r"\Sigma^{2,\rm BBDM}_t", 2 * max_var * (m_bb - m_bb ** 2),
     r"\lim_{\delta\to0}\Sigma_t^2\big|_{G_t = 2\,\texttt{max\_var}\,m^{\rm BB}_t}", Sigma2_B.subs(on_bbdm))
fact("special.bbdm_numeric", "11.7")

# %% [markdown]
# ## 3. IR-SDE (Luo et al., ICML 2023): the free OU process
#
# IR-SDE runs the mean-reverting SDE of notebook 01, $dx = \theta_t(\mu - x)\,dt + \sqrt{2\lambda\theta_t}\,dw$ with
# global noise and $\lambda = (\sigma_{\max}^{\rm IR})^2$, and does not condition it on its end point. Its marginal is the free
# OU marginal (`docs/theory.md` eq. 2.5): coefficient of $\pi$ $e^{-\bar\theta_t}$, variance
# $\lambda(1 - e^{-2\bar\theta_t})$. So its end is only near $\mu$:
# $x_T = \mu + e^{-\bar\theta_T}\pi + \Sigma_T\,\epsilon$, on its grid with $e^{-\bar\theta_T} = 0.0050$ and
# $\Sigma_T = 0.0392$:

# %%
irsde = bridges.irsde()
Th_ir, _, Sg_ir = irsde.coefficients(irsde.schedule.times())
print(f"thbar_T = {irsde.schedule.u_T:.3f}, lam = (10/255)^2 = {irsde.lam:.3e}")
print(f"at the last index: Theta = {float(Th_ir[-1]):.4f}, Sigma = {float(Sg_ir[-1]):.4f}")
assert abs(float(Th_ir[-1]) - 0.005) < 1e-12 and f"{float(Sg_ir[-1]):.4f}" == "0.0392"

# %% [markdown]
# ## Exercise 03.3 (predict, then check): which limit of the bridge family is IR-SDE?
#
# The bridge family (global noise) pins $x_T = \mu$; IR-SDE does not. Which limit of the family, taken on IR-SDE's own
# grid with its $\lambda$, has IR-SDE's coefficients $e^{-\bar\theta_t}$ and $\lambda(1 - e^{-2\bar\theta_t})$? And for
# that limit, how does the largest gap $\max_t|\Theta_t - e^{-\bar\theta_t}|$ on the grid behave as the limit's
# parameter $p$ ($k$, $\lambda$ or $c'$ below) grows?
#
# | limit | |
# |---|---|
# | **a** | the whole clock sped up: $\bar\theta_t \to k\,\bar\theta_t$ at every $t$ (the terminal value too), $k \to \infty$ |
# | **b** | $\lambda \to \infty$, the clock unchanged |
# | **c** | the pin moved later: the bridge pinned at a terminal clock $c' > \bar\theta_T$, looked at on IR-SDE's grid $[0, \bar\theta_T]$ only, $c' \to \infty$ |
#
# | rate | the gap as $p$ grows |
# |---|---|
# | **i** | falls like $1/p$ |
# | **ii** | falls like $e^{-p}$ |
# | **iii** | falls like $e^{-2p}$ |
# | **iv** | does not fall to 0 |
#
# Write your reason in a markdown cell first, then answer with a pair of strings, e.g. `("a", "i")`. The checker builds
# the bridges of your limit on IR-SDE's grid (float64) and measures the gaps.

# %%
answer_03_3 = ...  # a pair (limit, rate), e.g. ("a", "i")
check("03.3", answer_03_3)

# %% [markdown]
# ### IR-SDE in the family (after exercise 03.3)
#
# IR-SDE is the bridge whose pin has moved infinitely far past the end of its grid (`docs/theory.md` eq. 11.3): with
# the terminal clock $c'$ in place of $\bar\theta_T$,

# %%
c_pin = sp.Symbol("c'", positive=True)
limit(family.Theta(u, c_pin), c_pin, sp.oo, sp.exp(-u))
free_var = lam * (1 - sp.exp(-2 * u))  # the free OU variance, family.ou_var(u, 1) in the derivations
assert sp.simplify(free_var - family.ou_var(u, 1)) == 0
var_free_limit = sp.limit(family.Sigma2(u, c_pin), c_pin, sp.oo)
assert sp.simplify(var_free_limit - free_var) == 0
show(r"\lim_{c'\to\infty}" + latex(family.Sigma2(u, c_pin)), free_var)
gap_ir = sp.simplify((family.Theta(u, c_pin) - sp.exp(-u)).rewrite(sp.exp))
assert sp.simplify(gap_ir + 2 * sp.sinh(u) / (sp.exp(2 * c_pin) - 1)) == 0
show(r"\Theta_t - e^{-\bar\theta_t}", r"-\frac{2\sinh\bar\theta_t}{e^{2c'} - 1}")

# %% [markdown]
# At a fixed $\bar\theta_t$ the gap falls like $e^{-2c'}$; on the grid it is largest at $\bar\theta_t = \bar\theta_T$.
# The library builds these bridges as a `ResidualPath` whose schedule has one virtual terminal point at $c'$ after
# IR-SDE's last index:

# %%
for c_end in (6.0, 8.0, 10.0):
    pinned_later = ResidualPath(schedules.from_table(irsde.schedule.table, clean_on_grid=True, terminal=c_end),
                                irsde.lam, noise="global")
    Th, _, Sg = pinned_later.coefficients(irsde.schedule.times())
    gap_theta = float((Th - Th_ir).abs().max())
    formula = 2 * math.sinh(irsde.schedule.u_T) / (math.exp(2 * c_end) - 1)  # at thbar_t = thbar_T
    print(f"c' = {c_end:4.1f}: max |Theta - e^(-thbar_t)| = {gap_theta:.3e} (formula {formula:.3e}), "
          f"max |Sigma - Sigma_IRSDE| = {float((Sg - Sg_ir).abs().max()):.1e}")
    assert abs(gap_theta - formula) < 1e-12
fact("special.irsde_numeric", "11.3")

# %% [markdown]
# ## 4. I2SB (Liu et al., ICML 2023): a Gaussian product with discrete standard deviations
#
# I2SB's steps $\beta_n$ ($n = 0, \dots, N - 1$, $N = 1000$) accumulate to $G_n = \sum_{j\le n}\beta_j$, with
# $G_T = G_{N-1}$; the library's I2SB is the Brownian member with clock $G_n$ and `lam = 0.5`. I2SB writes its
# marginal as the Gaussian product $\mathcal N(x_n; x_0, \sigma_f^2)\,\mathcal N(x_T; x_n, \sigma_b^2)$ in $x_n$ (its
# `compute_gaussian_product_coef`). With $\sigma_f^2 = G_n$ and $\sigma_b^2 = G_T - G_n$ it is the Brownian bridge of
# section 2. Its code takes $\sigma_b^2 = \sum_{j\ge n}\beta_j = G_T - G_n + \beta_n$, which counts $\beta_n$ twice; the
# differences $\Delta$ below are I2SB's coefficients minus the Brownian bridge's at $G_n$ (`docs/theory.md` eq. 11.8):

# %%
sf2, sb2, i2sb_coef, _, i2sb_var = sc.i2sb_product()
G_n, beta_n = sp.Symbol("G_n", positive=True), sc.beta_n
show(r"\text{coefficient of } x_0", i2sb_coef)
show(r"\text{variance}", i2sb_var)
continuous, discrete = {sf2: G_n, sb2: G_T - G_n}, {sf2: G_n, sb2: G_T - G_n + beta_n}
same(r"\text{coefficient of } x_0\big|_{\sigma_b^2 = G_T - G_n}", i2sb_coef.subs(continuous),
     r"\lim_{\delta\to0}\Theta_t\big|_{G_t = G_n}", Theta_B.subs(sc.G_t, G_n))
dTheta = sp.factor(i2sb_coef.subs(discrete) - Theta_B.subs(sc.G_t, G_n))
dSigma2 = sp.factor(i2sb_var.subs(discrete) - Sigma2_B.subs(sc.G_t, G_n))
show(r"\Delta\Theta_n", dTheta)
show(r"\Delta\Sigma_n^2", dSigma2)
assert sp.simplify(dTheta - G_n * beta_n / (G_T * (G_T + beta_n))) == 0
assert sp.simplify(dSigma2 - G_n ** 2 * beta_n / (G_T * (G_T + beta_n))) == 0
assert sp.simplify(i2sb_var.subs(continuous) - Sigma2_B.subs(sc.G_t, G_n)) == 0

# %% [markdown]
# On I2SB's own schedule the measured differences equal these formulas, and their sizes are:

# %%
fact("special.i2sb_numeric", "11.8")
sizes = sc.i2sb_numbers()
beta_last = float(bridges.i2sb_betas()[-1])  # the step at n = N - 1 (the ramp is mirrored: its first step)
std_last = (sizes["G_T"] * beta_last / (sizes["G_T"] + beta_last)) ** 0.5  # I2SB's std at n = N - 1
share = sizes["beta_max"] / sizes["G_T"]
rows_i2sb = (("G_T = G_{N-1}", f"{sizes['G_T']:.3f}", "0.141"),
             ("largest step max_n beta_n", f"{sizes['beta_max']:.3e}", "1.865e-04"),
             ("max_n beta_n / G_T", f"{share:.2e}", "1.32e-03"),
             ("max_n |Delta Theta_n|", f"{sizes['max_coef_discrepancy']:.1e}", "7.8e-04"),
             ("max_n |Delta Sigma_n^2|", f"{sizes['max_var_discrepancy']:.1e}", "1.0e-04"),
             ("max_n |Delta Sigma_n^2| / G_T", f"{sizes['max_var_discrepancy_relative_to_G_T']:.1e}", "7.1e-04"),
             ("I2SB's std at n = N - 1", f"{std_last:.4f}", "0.0100"),
             ("max_n |Delta std_n|", f"{sizes['max_std_discrepancy']:.4f}", "0.0100"),
             ("|Delta std_n| / I2SB's std at n = N - 2",
              f"{sizes['std_discrepancy_relative_at_n_minus_2']:.0%}", "29%"))
for key, value, in_text in rows_i2sb:
    print(f"{key:42s} {value}")
    assert value == in_text, (key, value)  # the text below quotes these
assert sizes["max_coef_discrepancy"] < share and sizes["max_var_discrepancy_relative_to_G_T"] < share
assert abs(sizes["max_std_discrepancy"] - std_last) < 1e-15  # the largest std difference is at n = N - 1

# %% [markdown]
# I2SB's schedule has $N = 1000$ steps and the parameter $\beta_{\max} = 0.3$, but it mirrors the first half of its
# ramp, so its largest step is $\max_n\beta_n = 1.865\times10^{-4}$ (not $\beta_{\max}/N = 3\times10^{-4}$), and
# $G_T = 0.141$. One step is at most $1.32\times10^{-3}$ of $G_T$, and the discrete coefficients differ from the
# Brownian bridge by less than that: at most $7.8\times10^{-4}$ on the coefficient of $x_0$ and $1.0\times10^{-4}$ on
# the variance ($7.1\times10^{-4}$ of $G_T$). The standard deviations differ most at the last index, $n = N - 1$:
# there the Brownian bridge is pinned ($\Sigma = 0$) while I2SB's std is
# $\sqrt{G_T\beta_{N-1}/(G_T + \beta_{N-1})} = 0.0100$; at $n = N - 2$ the two still differ by 29 % of I2SB's std.
#
# ## 5. The deterministic interpolant: $\lambda \to 0$
#
# $\Theta_t$ does not contain $\lambda$ and $\Sigma_t^2$ is proportional to it, so as $\lambda \to 0$ the path is
# $x_t = \mu + \Theta_t\pi$, without noise whatever $\nu(\pi)$. With a constant $\theta$ that tends to 0 as well
# ($\bar\theta_t = \theta t$), $\Theta_t$ becomes linear, and the drift $\theta\coth(\theta(T - t))(\mu - x)$ along the
# path $x = \mu + (1 - t/T)\pi$ tends to the constant $-\pi/T = (\mu - x_0)/T$: the straight line of flow matching and
# InDI (`docs/theory.md` eq. 11.11):

# %%
limit(family.Sigma2(u, c), lam, 0, 0)
limit(family.Theta(sc.th * sc.tt, sc.th * sc.TT), sc.th, 0, 1 - sc.tt / sc.TT)
limit(sc.th * sp.coth(sc.th * (sc.TT - sc.tt)) * (-(sc.TT - sc.tt) / sc.TT * pi), sc.th, 0, -pi / sc.TT)
for name in ("special.interpolant_lam0", "special.interpolant_numeric"):
    fact(name, "11.11")

# %% [markdown]
# ## 6. DDBM-VP (Zhou et al., ICLR 2024): the target $m = 0$
#
# For $dx = \theta_t(m - x)\,dt + \sqrt{2\lambda\theta_t}\,dw$ conditioned on $x_T = y$, the Gaussian product gives the
# mean $m + \Theta_t(x_0 - m) + \frac{\sinh\bar\theta_t}{\sinh\bar\theta_T}(y - m)$ and the same $\Sigma_t^2$
# (`docs/theory.md` §4; for $m = y = \mu$ the last term is 0, which is why the other members have only $\Theta_t$).
# DDBM-VP has $m = 0$, $\lambda = 1$ and $\theta_t = (\beta_{\min} + \beta_d t)/2$, so that
# $g_t^2 = 2\theta_t = \beta(t)$ is the rate at which $G_t$ grows (eq. 11.9). With $\alpha_t = e^{-\bar\theta_t}$,
# $\sigma_t^2 = 1 - \alpha_t^2$ and $\mathrm{SNR}_t = \alpha_t^2/\sigma_t^2$ it publishes the three coefficients on the
# left (eq. 11.10), shown in the clock and then as one fraction:

# %%
fact("special.general_target_bridge", "4.2")
vp_coef_x0, vp_coef_y, vp_var = sc.ddbm_vp_forms()
same(r"\alpha_t\Big(1 - \frac{\mathrm{SNR}_T}{\mathrm{SNR}_t}\Big)", vp_coef_x0, r"\Theta_t", family.Theta(u, c))
same(r"\frac{\mathrm{SNR}_T}{\mathrm{SNR}_t}\,\frac{\alpha_t}{\alpha_T}", vp_coef_y,
     r"\frac{\sinh\bar\theta_t}{\sinh\bar\theta_T}", family.Psi(u, c))
same(r"\sigma_t^2\Big(1 - \frac{\mathrm{SNR}_T}{\mathrm{SNR}_t}\Big)", vp_var, r"\Sigma_t^2\big|_{\lambda = 1}",
     family.Sigma2(u, c).subs(lam, 1))
fact("special.ddbm_vp_schedule", "11.9")
fact("special.ddbm_vp_numeric", "11.10")

# %% [markdown]
# ## 7. UniDB (Zhu et al., ICML 2025): a finite terminal penalty $\gamma$, and a later pin
#
# UniDB replaces the hard pin by the terminal cost $\tfrac\gamma2|x_T - \mu|^2$ of a stochastic-optimal-control problem:
# with a control $a_t$ that enters as $dx = \big(\theta_t(\mu - x) + g_t a_t\big)dt + g_t\,dw$, it minimises
# $\mathbb E\big[\tfrac12\int_0^T|a_t|^2\,dt + \tfrac\gamma2|x_T - \mu|^2\big]$. Its optimal control,
# $a_t = g_t\nabla_x\ln h_\gamma(x_t, t)$, is the h-transform with
# $h_\gamma(x, t) = \int p(x_T \mid x_t = x)\,e^{-\gamma|x_T - \mu|^2/2}\,dx_T$,
# i.e. conditioning on a Gaussian observation of $x_T$ with precision $\gamma$: the kernel's variance grows by
# $1/\gamma$ (`docs/theory.md` eq. 11.12). The Gaussian product gives its marginal (derived in `derivations`, not
# transcribed), written with GOUB's $\bar\sigma_v^2 = \lambda(1 - e^{-2v})$:

# %%
coef_u, var_u = sc.unidb_forms()
show(r"\Theta^{\gamma}_t", coef_u)
show(r"\Sigma^{2,\gamma}_t", var_u)

# %% [markdown]
# **UniDB is a member of the family.** Move GOUB's pin past the end of the grid, to the terminal clock
# $c' = \bar\theta_T + \tfrac12\ln\big(1 + 1/(\gamma\lambda)\big)$, and look at the bridge on $[0, \bar\theta_T]$ only:
# its coefficients are UniDB's (eq. 11.15).

# %%
c_unidb = sc.unidb_terminal_clock()
show("c'", c_unidb)
same(r"\Theta^{\gamma}_t", coef_u, r"\Theta_t\big|_{\bar\theta_T \to c'}", family.Theta(u, c_unidb),
     family.Theta(u, c_pin))
same(r"\Sigma^{2,\gamma}_t", var_u, r"\Sigma_t^2\big|_{\bar\theta_T \to c'}", family.Sigma2(u, c_unidb),
     family.Sigma2(u, c_pin))
fact("special.unidb_member", "11.15")

# %% [markdown]
# So $\gamma \to \infty$ puts $c'$ back at $\bar\theta_T$ (GOUB), and $\gamma \to 0$ moves it to infinity: the free OU
# process, IR-SDE, as in exercise 03.3. The library builds this member on GOUB's grid as a `ResidualPath` with a virtual
# terminal point at $c'$; at $\gamma = 100$:

# %%
goub = bridges.goub()
gamma = 100.0
c_num = float(c_unidb.subs({c: goub.schedule.u_T, lam: goub.lam, sc.inv_gamma: 1 / gamma}))
unidb_path = ResidualPath(schedules.from_table(goub.schedule.table, clean_on_grid=True, terminal=c_num), goub.lam,
                          noise="global", name="unidb")
t_goub = goub.schedule.times()
Th_u, _, Sg_u = unidb_path.coefficients(t_goub)


def on_goub_grid(expr):
    """A closed form in (u, c, lam, 1/gamma) on GOUB's grid at this gamma (float64), the clean index left out."""
    f = sp.lambdify((u, c, lam, sc.inv_gamma), expr, "math")
    clock = goub.schedule.clock(t_goub)[1:].tolist()
    return torch.tensor([f(v, goub.schedule.u_T, goub.lam, 1 / gamma) for v in clock], dtype=torch.float64)


own_coef, own_var = on_goub_grid(coef_u), on_goub_grid(var_u)
err = max(float((Th_u[1:] - own_coef).abs().max()), float((Sg_u[1:] ** 2 - own_var).abs().max()))
print(f"gamma = {gamma:g}: c' = {c_num:.3f} (thbar_T = {goub.schedule.u_T:.3f}); largest gap between the library's "
      f"path and UniDB's formulas on GOUB's grid {err:.1e}")
print(f"at the grid's last index: Theta = {float(Th_u[-1]):.3f}, Sigma = {float(Sg_u[-1]):.3f} (not pinned)")
assert err < 1e-12 and f"{float(Sg_u[-1]):.3f}" == "0.076"

# %% [markdown]
# With the weight $\omega = \bar\sigma_T^2/(\bar\sigma_T^2 + 1/\gamma)$ the same coefficient is a mixture of GOUB's and
# the free process's (eq. 11.13):

# %%
sig2 = lambda v: lam * (1 - sp.exp(-2 * v))  # noqa: E731  (GOUB's sigma_bar^2_v)
omega = sig2(c) / (sig2(c) + sc.inv_gamma)
same(r"\Theta^{\gamma}_t", coef_u, r"\omega\,\Theta_t + (1 - \omega)\,e^{-\bar\theta_t}",
     omega * family.Theta(u, c) + (1 - omega) * sp.exp(-u), written=False)

# %% [markdown]
# **UniDB's code and its variance.** UniDB's code (github.com/UniDB-SOC/UniDB, file `UniDB-GOU/utils/sde_utils.py`,
# class `UniDB`; transcribed in `sc.unidb_published()`) has this coefficient of $x_0$,
# `m(t) = exp(-thetas_cumsum[t] * dt) * (gamma_inv + sigma_t_T[t] ** 2) / (gamma_inv + sigma_bars[-1] ** 2)`, the
# coefficient `n(t) = 1 - m(t)` of $\mu$ and the h-transform's drift (the checks below). But its training states are
# drawn in `generate_random_states` with `noise_level = self.f_sigma(timesteps)`, and `_initialize` sets
# `self.f_sigmas = self.sigma_bars * self.sigma_t_T / self.sigma_bars[-1]`: GOUB's $\gamma$-free variance
# $\bar\sigma_t^2\bar\sigma_{t:T}^2/\bar\sigma_T^2$. That is smaller than the marginal variance of its own process by
# $\bar\sigma^2_t\gamma^{-1}(\bar\sigma^2_T - \bar\sigma^2_{t:T})/\big(\bar\sigma^2_T(\bar\sigma^2_T + \gamma^{-1})\big)$.
# The gap is 0 at the clean end and grows along the grid: at $\gamma = 100$ the code's standard deviation falls short
# by the whole $\Sigma_T = 0.076$ at the last index, where GOUB's pinned variance is 0.

# %%
_, _, code_var, _ = sc.unidb_published()
show(r"\Sigma^{2,\rm code}_t", code_var)
gap_code = sig2(u) * sc.inv_gamma * (sig2(c) - sig2(c - u)) / (sig2(c) * (sig2(c) + sc.inv_gamma))
same(r"\Sigma^{2,\gamma}_t - \Sigma^{2,\rm code}_t", var_u - code_var,
     r"\frac{\bar\sigma^2_t\,\gamma^{-1}(\bar\sigma^2_T - \bar\sigma^2_{t:T})}"
     r"{\bar\sigma^2_T(\bar\sigma^2_T + \gamma^{-1})}", gap_code, written=False)
std_gap = own_var.sqrt() - on_goub_grid(code_var).sqrt()
print(f"gamma = {gamma:g} on GOUB's grid, the marginal's std minus the code's: "
      + ", ".join(f"{float(std_gap[i - 1]):.1e} at index {i}" for i in (50, 90, 99, 100)) + " (at 100 the code's is 0)")
assert bool((std_gap >= 0).all()) and int(std_gap.argmax()) == len(std_gap) - 1
assert abs(float(std_gap[-1]) - float(Sg_u[-1])) < 1e-12
for name, eq in (("special.unidb_h_harmonic", "11.12"), ("special.unidb_product", "11.13"),
                 ("special.unidb_goub_limit", "11.14"), ("special.unidb_numeric", "11.13")):
    fact(name, eq)

# %% [markdown]
# ## 8. The library's members side by side
#
# `rdbm_core.bridge.bridges` builds each member with its published defaults; UniDB is the path of section 7
# ($\gamma = 100$ on GOUB's grid). The figure puts them on the normalised time
# $(t - t_{\rm clean})/(T - t_{\rm clean})$, 0 at the clean end and 1 at the degraded end; coinciding curves are drawn wide and light under dashed ones, and the
# legend gives each member's largest $\Sigma_t$ (before $\nu(\pi)$).

# %%
names = ["rdbm", "goub", "unidb", "irsde", "ddbm-vp", "bbdm", "interpolant", "i2sb", "ddbm-ve"]
style = {"rdbm": dict(color="k", lw=1.8), "goub": dict(color="C1", lw=5, alpha=0.45),
         "unidb": dict(color="C9", lw=1.6, ls=(0, (6, 2))),
         "irsde": dict(color="C2", lw=1.6, ls="--"), "ddbm-vp": dict(color="C5", lw=1.6),
         "bbdm": dict(color="C3", lw=5, alpha=0.45), "interpolant": dict(color="C7", lw=1.6, ls="--"),
         "i2sb": dict(color="C4", lw=1.8, ls=":"), "ddbm-ve": dict(color="C0", lw=1.6, ls="-.")}
fig, axes = plt.subplots(1, 2, figsize=(12.5, 3.8))
peak, max_sigma, curves = {}, {}, {}
for name in names:
    path, sch = (unidb_path, goub.schedule) if name == "unidb" else (bridges.make(name), None)
    sch = sch or path.schedule  # UniDB is drawn on GOUB's grid, without its virtual terminal point at c'
    ts = sch.times() if sch.discrete else sch.times(200)
    tn = (ts.double() - sch.t_clean) / (sch.t_T - sch.t_clean)
    Th, _, Sg = path.coefficients(ts)
    max_sigma[name], peak[name], curves[name] = float(Sg.max()), float(tn[int(Sg.argmax())]), (tn, Th, Sg)
    label = "unidb, $\\gamma$ = 100" if name == "unidb" else name
    axes[0].plot(tn, Th, label=f"{label} (max $\\Sigma_t$ = {max_sigma[name]:.3g})", **style[name])
    axes[1].plot(tn, Sg / max(max_sigma[name], 1e-300), **style[name])
axes[0].set_title(r"$\Theta_t$ (coefficient of $x_0$, = of $\pi$)")
axes[1].set_title(r"$\Sigma_t$ divided by its largest value (the interpolant: $\Sigma_t = 0$)")
for ax in axes:
    ax.set_xlabel(r"normalised time $(t - t_{\rm clean})/(T - t_{\rm clean})$")
fig.legend(*axes[0].get_legend_handles_labels(), fontsize=8, loc="center right")
plt.tight_layout(rect=(0, 0, 0.815, 1))
plt.show()
noisy = [n for n in names if max_sigma[n] > 0]
print("largest Sigma_t: " + ", ".join(f"{n} {max_sigma[n]:.3g}" for n in noisy))
print("where Sigma_t peaks (normalised time): " + ", ".join(f"{n} {peak[n]:.3f}" for n in noisy))
ratio = max(max_sigma[n] for n in noisy) / min(max_sigma[n] for n in noisy)
print(f"largest / smallest of these: {ratio:.0f}")
off_line = {n: float((curves[n][1] - (1 - curves[n][0])).abs().max()) for n in ("bbdm", "interpolant", "i2sb")}
print("largest |Theta_t - (1 - normalised time)|: " + ", ".join(f"{n} {v:.1e}" for n, v in off_line.items()))
above = {n: bool((curves[n][1] > 1 - curves[n][0])[(curves[n][0] > 0) & (curves[n][0] < 1)].all())
         for n in ("ddbm-ve", "ddbm-vp")}
mid = (curves["ddbm-ve"][0] >= 0.2) & (curves["ddbm-ve"][0] <= 0.95)  # both on times(200): the same normalised times
vp_ve = float((curves["ddbm-vp"][2] / max_sigma["ddbm-vp"] - curves["ddbm-ve"][2] / max_sigma["ddbm-ve"])[mid]
              .abs().max())
print(f"DDBM-VE's and DDBM-VP's Theta_t above the straight line inside (0, 1): {above}; their normalised Sigma_t "
      f"differ by at most {vp_ve:.2f} between 0.2 and 0.95")
assert round(ratio, -2) == 4000 and max_sigma["interpolant"] == 0.0
assert [f"{peak[n]:.3f}" for n in ("bbdm", "i2sb", "ddbm-ve", "goub", "ddbm-vp")] == ["0.500", "0.500", "0.705",
                                                                                        "0.730", "0.695"]
assert off_line["bbdm"] < 1e-6 and off_line["interpolant"] < 1e-15 and f"{off_line['i2sb']:.2f}" == "0.04"
assert all(above.values()) and f"{vp_ve:.2f}" == "0.07"
assert torch.allclose(curves["ddbm-vp"][0], curves["ddbm-ve"][0], rtol=0, atol=1e-12)
assert peak["irsde"] == 1.0 and all(curves[n][2][0] == 0 == curves[n][2][-1] for n in noisy
                                    if n not in ("irsde", "unidb"))
assert f"{peak['unidb']:.3f}" == "0.750" and f"{float(curves['unidb'][2][-1]):.3f}" == "0.076"
tn, Th_r, Sg_r = curves["rdbm"]
late = (tn >= 0.5) & (tn <= 0.98)  # RDBM's and GOUB's grids have the same normalised times k/100
assert bool(((curves["goub"][1] <= Th_r + 1e-12) & (Th_r <= 1 - tn + 1e-12))[late].all())
assert bool((Sg_r / Sg_r.max())[(tn >= 0.55) & (tn <= 0.99)].min() > 0.9)
assert float(curves["goub"][2][90] / max_sigma["goub"]) > 0.9  # GOUB's noise falls over the last tenth
assert abs(float((curves["goub"][1] - curves["irsde"][1]).abs().max()) - 0.005) < 1e-12
gap_ug = float((curves["unidb"][1] - curves["goub"][1]).abs().max())
print(f"UniDB's Theta_t differs from GOUB's by at most {gap_ug:.4f}")
assert f"{gap_ug:.4f}" == "0.0021" and f"{float(curves['unidb'][1][-1]):.3f}" == "0.002"

# %% [markdown]
# **What the figure shows.** *Left:* every member's $\Theta_t$ runs from 1 at the clean end to 0 at the degraded
# end, or near it (IR-SDE's ends at $e^{-\bar\theta_T} = 0.005$, UniDB's at 0.002); they differ in *when* the mean
# moves. BBDM's $1 - m^{\rm BB}_t$ and the interpolant's $1 - t/T$ are the same straight line within $10^{-6}$ (grey
# dashes inside the red band); I2SB's (dotted) is within 0.04 of it. GOUB and IR-SDE share a grid and differ by at
# most 0.005 (green dashes inside the orange band); UniDB at $\gamma = 100$ differs from GOUB by at most 0.0021.
# DDBM-VE ($1 - t^2/T^2$) and DDBM-VP lie above the straight line at every inner time: their means move slowly at
# first. RDBM's (black) lies between GOUB's curve and the straight line from normalised time 0.5 to 0.98. *Right:*
# each $\Sigma_t$ divided by its own largest value; the largest values (in the legend) range from 0.01 (RDBM) to 40
# (DDBM-VE), a factor of 4000. The bridges return to 0 at both ends; IR-SDE, unpinned, has its largest noise at the
# end, and UniDB's peaks at 0.750 and ends at $\Sigma_T = 0.076$, not 0 (section 7). The three Brownian members of the
# library, BBDM, I2SB (section 4) and DDBM-VE, are arches that peak where $G_t = G_T/2$: BBDM and I2SB at 0.500
# (BBDM's $G$ grows linearly with the index, I2SB's symmetrically), DDBM-VE at 0.705, the grid point next to
# $1/\sqrt2 = 0.707$ ($G_t = t^2$). DDBM-VP's (brown) is an arch too: it peaks at 0.695 and lies within 0.07 of
# DDBM-VE's between 0.2 and 0.95. GOUB's noise peaks at 0.730 and falls to 0 over the last tenth of its grid. RDBM's stays above 0.9 of its largest value from 0.55 to
# 0.99 and drops to 0 in the grid's last step (notebook 01, section 4). The interpolant has no noise: the zero line.
#
# ## 9. Summary
#
# Every row is checked by the `derivations` facts it names (`python -m derivations NAME` runs one).

# %%
rows = [
    ("GOUB", r"$\lambda = \lambda_{\rm GOUB}^2$, $\nu = 1$", r"identity: $\Theta_t$, $\Sigma_t^2$, drift",
     ["special.goub_identity", "special.goub_numeric"]),
    ("VE bridge", r"$\bar\theta_t = \delta G_t$, $\lambda = 1/(2\delta)$, $\delta \to 0$",
     r"limit: $\Theta_t \to 1 - G_t/G_T$, $\Sigma_t^2 \to G_t(G_T - G_t)/G_T$",
     ["special.ve_limit", "special.brownian_forms"]),
    ("DDBM-VE", r"$G_t = t^2$, $G_T = (\sigma_{\max}^{\rm VE})^2$, `lam = 0.5`", "identity with the Brownian limit",
     ["special.ddbm_ve_identity", "special.ddbm_ve_numeric"]),
    ("BBDM", r"$G_t = 2\,\texttt{max\_var}\,m^{\rm BB}_t$, $G_T = 2\,\texttt{max\_var}$, `lam = 0.5`",
     "identity with the Brownian limit (exercise 03.2)", ["special.bbdm_identity", "special.bbdm_numeric"]),
    ("IR-SDE", r"pin at $c' \to \infty$, $\nu = 1$",
     r"limit: $e^{-\bar\theta_t}$, $\lambda(1 - e^{-2\bar\theta_t})$; gap $\propto e^{-2c'}$ (exercise 03.3)",
     ["special.irsde_limit", "special.irsde_numeric"]),
    ("I2SB", r"$G_n = \sum_{j \le n}\beta_j$, `lam = 0.5`",
     r"identity (continuous stds); its discrete stds add $G_n\beta_n/(G_T(G_T + \beta_n))$ to $\Theta_t$",
     ["special.i2sb_continuous", "special.i2sb_discrepancy", "special.i2sb_numeric"]),
    ("interpolant", r"$\lambda \to 0$ (and $\theta \to 0$: linear)",
     r"limit: $\Sigma_t^2 \to 0$, $\Theta_t \to 1 - t/T$",
     ["special.interpolant_lam0", "special.interpolant_linear", "special.interpolant_velocity",
      "special.interpolant_numeric"]),
    ("DDBM-VP", r"$m = 0$, $\lambda = 1$, $\theta_t = (\beta_{\min} + \beta_d t)/2$", "identity with the log-SNR form",
     ["special.general_target_bridge", "special.ddbm_vp_identity", "special.ddbm_vp_schedule",
      "special.ddbm_vp_numeric"]),
    ("UniDB", r"pin at $c' = \bar\theta_T + \tfrac12\ln(1 + 1/(\gamma\lambda))$",
     r"member on $[0, \bar\theta_T]$; $\gamma \to \infty$: GOUB, $\gamma \to 0$: IR-SDE",
     ["special.unidb_member", "special.unidb_product", "special.unidb_h_harmonic", "special.unidb_goub_limit",
      "special.unidb_numeric"]),
]
verified = {name: verify(BY_NAME[name])[0] for _, _, _, facts in rows for name in facts}
table = ["| member | parameter choice | identity or limit | verified |", "|---|---|---|---|"]
for model, choice, what, facts in rows:
    table.append(f"| {model} | {choice} | {what} | {'yes' if all(verified[f] for f in facts) else 'NO'} "
                 f"({len(facts)} checks) |")
display(Markdown("\n".join(table)))
assert all(verified.values())
print(f"{sum(verified.values())}/{len(verified)} facts verified")
