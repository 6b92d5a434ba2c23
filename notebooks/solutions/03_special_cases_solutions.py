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
# # 03 — Solutions to the exercises
#
# **What you will learn.** How far an OU bridge is from the Brownian bridge with the same accumulated variance (the
# $\delta^2$ term of $\Sigma_t^2$, which also predicts the error the notebook prints for DDBM-VE), how BBDM's
# $m^{\rm BB}_t$ and `max_var` are read off the library's clock by matching BBDM's formulas with the Brownian limit,
# and why IR-SDE is the bridge whose pin has moved infinitely far past its grid, with a gap that closes like $e^{-2c'}$.
#
# **Prerequisites.** Notebook 03.

# %%
import math

import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family, special_cases as sc
from derivations.common import lam, u
from derivations.facts import BY_NAME, verify
from rdbm_core.bridge import bridges
from rdbm_course.exercises import check
from rdbm_course.exercises.ex03_special_cases import (BBDM_CASES, LIMITS, PARAMETER_NAMES, PARAMETERS, RATES,
                                                      gaps_to_irsde)


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text, ``rhs`` a SymPy expression."""
    display(Math(lhs + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 03.1 — the $\delta^2$ correction to the Brownian limit
#
# Substitute $\bar\theta_t = \delta G_t$, $\bar\theta_T = \delta G_T$, $\lambda = 1/(2\delta)$ into
# $\Sigma_t^2 = 2\lambda\sinh\bar\theta_t\sinh\bar\theta_{t:T}/\sinh\bar\theta_T$ and write $H = G_T - G_t$. With
# $\sinh z = z\,(1 + z^2/6 + O(z^4))$,
#
# $$\Sigma_t^2(\delta) = \frac1\delta\cdot\frac{\delta G_t\,(1 + \delta^2G_t^2/6)\;\delta H\,(1 + \delta^2H^2/6)}{\delta G_T\,(1 + \delta^2G_T^2/6)} + O(\delta^4) = \frac{G_tH}{G_T}\Big(1 + \frac{\delta^2}{6}\big(G_t^2 + H^2 - G_T^2\big)\Big) + O(\delta^4),$$
#
# and $G_t^2 + H^2 - G_T^2 = -2G_tH$ because $G_T = G_t + H$. So $\kappa = -G_tH/3 = -G_t(G_T - G_t)/3$. SymPy's series
# agrees:

# %%
delta, G_t, G_T = sp.Symbol("delta", positive=True), sc.G_t, sp.Symbol("G_T", positive=True)
scaled = family.Sigma2(delta * G_t, delta * G_T).subs(lam, 1 / (2 * delta))
series = sp.expand(sp.series(scaled, delta, 0, 4).removeO())
limit_value = sp.factor(series.coeff(delta, 0))
kappa = sp.factor(sp.cancel(series.coeff(delta, 2) / limit_value))
show(r"\lim_{\delta\to0}\Sigma_t^2", limit_value)
show(r"\kappa", kappa)
assert series.coeff(delta, 1) == 0 and series.coeff(delta, 3) == 0
assert sp.simplify(kappa + G_t * (G_T - G_t) / 3) == 0

# %% [markdown]
# **What it means.** In the OU clock $\delta G_t = \bar\theta_t$ and $\delta(G_T - G_t) = \bar\theta_{t:T}$, so
# $\kappa\delta^2 = -\bar\theta_t\bar\theta_{t:T}/3$: an OU bridge's variance is below that of the Brownian bridge
# with the same $G$ by the relative amount $\bar\theta_t\bar\theta_{t:T}/3$, at most $\bar\theta_T^2/12$ (halfway).
# An OU bridge is close to Brownian when its whole clock $\bar\theta_T$ is small, whatever its $\lambda$. For the
# notebook's DDBM-VE check ($\delta = 10^{-9}$, $G_T = 80^2$) the bound is $(\delta G_T)^2/12$, and it is the error
# the check measures (its largest error is the variance's, relative to the largest variance, halfway):

# %%
bound = (1e-9 * 80.0 ** 2) ** 2 / 12
ok, measured, _ = verify(BY_NAME["special.ddbm_ve_numeric"])
print(f"(delta G_T)^2 / 12 = {bound:.4e}; special.ddbm_ve_numeric measures {float(measured):.4e}")
assert ok and abs(float(measured) / bound - 1) < 0.01

# %%
feedback = check("03.1", kappa)
display(feedback)
assert feedback

# %% [markdown]
# ## 03.2 — BBDM's $m^{\rm BB}_t$ and `max_var` from the library's clock
#
# Match BBDM's formulas with the Brownian limit of section 2: $1 - m^{\rm BB}_t = 1 - G_t/G_T$ gives
# $m^{\rm BB}_t = G_t/G_T$, and then $G_t(G_T - G_t)/G_T = G_T\,(m^{\rm BB}_t - (m^{\rm BB}_t)^2)$ equals
# $2\,\texttt{max\_var}\,(m^{\rm BB}_t - (m^{\rm BB}_t)^2)$ only if $G_T = 2\,\texttt{max\_var}$. The library's clock is
# $G$ (`lam = 0.5`), and its end (the virtual index after the last one, where $m^{\rm BB} = 1$) is $G_T$:
# $m^{\rm BB}_t$ = `schedule.clock(t) / schedule.u_T` and `max_var = schedule.u_T / 2`. Below, the pair is compared
# with the values each schedule was built from, and BBDM's variance built from it with the library's $\Sigma_t^2$.

# %%
def bbdm_parameters(schedule, t):
    G_T_value = schedule.u_T
    return schedule.clock(t) / G_T_value, G_T_value / 2


for N, m_min, m_max, max_var in BBDM_CASES:
    path = bridges.bbdm(T=N, m_min=m_min, m_max=m_max, max_var=max_var)
    t = path.schedule.times()
    m, max_var_found = bbdm_parameters(path.schedule, t)
    var = 2 * max_var_found * (m - m ** 2)
    m_inner = torch.linspace(m_min, m_max, N, dtype=torch.float64)
    gap_m = float((m[1:-1] - m_inner).abs().max())
    gap_lib = float((var - path.coefficients(t)[2] ** 2).abs().max())
    print(f"N = {N}, max_var = {max_var}: found max_var = {max_var_found:g}, m from {float(m[0]):g} to "
          f"{float(m[-1]):g}; gap to BBDM's m on its grid {gap_m:.1e}, of 2 max_var (m - m^2) to the library's "
          f"Sigma^2 {gap_lib:.1e}")
    assert max_var_found == max_var and float(m[0]) == 0 and float(m[-1]) == 1
    assert gap_m < 1e-12 and gap_lib < 1e-12

# %%
feedback = check("03.2", bbdm_parameters)
display(feedback)
assert feedback

# %% [markdown]
# ## 03.3 — IR-SDE as a limit of the family, and how fast
#
# **The limit.** IR-SDE's clock $\bar\theta_t$ is fixed by its grid, so a limit that changes it (**a**) changes
# $e^{-\bar\theta_t}$ too: as $k \to \infty$ the bridge's $\Theta_t \approx e^{-k\bar\theta_t}$ collapses to 0 after the
# first steps. $\Theta_t$ does not contain $\lambda$, so (**b**) leaves the coefficient of $\pi$ where it is (GOUB's on
# this grid, 0.005 away from IR-SDE's at the end) while the noise grows without bound. Moving the pin (**c**) removes
# its pull on the grid: the drift $\coth(c' - \bar\theta_t)(\mu - x)$ tends to the free OU drift $\mu - x$, and
#
# $$\Theta_t - e^{-\bar\theta_t} = \frac{\sinh(c' - \bar\theta_t)}{\sinh c'} - e^{-\bar\theta_t}
#   = \frac{e^{c' - \bar\theta_t} - e^{\bar\theta_t - c'} - e^{c' - \bar\theta_t} + e^{-c' - \bar\theta_t}}{2\sinh c'}
#   = -\frac{e^{-c'}\,2\sinh\bar\theta_t}{2\sinh c'} = -\frac{2\sinh\bar\theta_t}{e^{2c'} - 1}.$$
#
# **The rate.** At a fixed $\bar\theta_t$ the gap falls like $e^{-2c'}$ (**iii**), not like $e^{-c'}$: the last
# form carries $e^{-c'}$ twice, once in its numerator and once in $1/\sinh c'$. The same holds for $\Sigma_t^2$, whose
# relative gap is $\approx e^{-2(c' - \bar\theta_t)}$. On the grid the largest gap is at $\bar\theta_t = \bar\theta_T$:
# $2\sinh(\bar\theta_T)\,e^{-2c'}$.

# %%
c_pin = sp.Symbol("c'", positive=True)
gap = sp.simplify((family.Theta(u, c_pin) - sp.exp(-u)).rewrite(sp.exp))
assert sp.simplify(gap + 2 * sp.sinh(u) / (sp.exp(2 * c_pin) - 1)) == 0
show(r"\Theta_t - e^{-\bar\theta_t}", gap)

for key, text in LIMITS.items():
    print(f"{key}: {text}")
    for (g_theta, g_sigma), p in zip(gaps_to_irsde(key), PARAMETERS[key]):
        print(f"     {PARAMETER_NAMES[key]} = {p:g}: max |Theta - Theta_IRSDE| = {g_theta:.2e}, "
              f"max |Sigma - Sigma_IRSDE| = {g_sigma:.2e}")
gaps_c = [g for g, _ in gaps_to_irsde("c")]
per_unit = [math.log(b / a) for a, b in zip(gaps_c, gaps_c[1:])]  # the c' values are 1 apart
print("ln(gap) per unit of c': " + ", ".join(f"{r:.3f}" for r in per_unit) + f"  ({RATES['iii']})")
irsde_T = bridges.irsde().schedule.u_T
assert all(abs(r + 2) < 0.01 for r in per_unit)
assert all(abs(g - 2 * math.sinh(irsde_T) / (math.exp(2 * p) - 1)) < 1e-12 for g, p in zip(gaps_c, PARAMETERS["c"]))
assert min(gaps_to_irsde("a")[-1][0], gaps_to_irsde("b")[-1][0]) > 1e-3

# %%
feedback = check("03.3", ("c", "iii"))
display(feedback)
assert feedback
