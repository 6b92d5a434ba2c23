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
# **What you will learn.** How the Brownian-bridge variance $G_t(G_T - G_t)/G_T$ falls out of the OU family as
# $\theta \to 0$, how BBDM's $2s(m_t - m_t^2)$ is the same formula read off the library's clock, and why IR-SDE is
# the bridge whose terminal point has been moved infinitely far away.
#
# **Prerequisites.** notebook 03.

# %%
import sympy as sp
import torch
from IPython.display import Math, display

from derivations import family, special_cases as sc
from derivations.common import C, U, c, exp_to_rational, lam, u
from rdbm_core.bridge import bridges
from rdbm_course.exercises import check
from rdbm_course.exercises.ex03_special_cases import BBDM_CASES, FAR_ENDS, LIMITS, gaps_to_irsde


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text, ``rhs`` a SymPy expression."""
    display(Math(lhs + " = " + sp.latex(rhs)))


# %% [markdown]
# ## 03.1 — the Brownian limit of $\Sigma_t^2$
#
# Substitute $\bar\theta_t = \varepsilon G_t$, $\bar\theta_T = \varepsilon G_T$, $\lambda = 1/(2\varepsilon)$. Each
# $\sinh(\varepsilon z) = \varepsilon z + O(\varepsilon^3)$: the numerator is $O(\varepsilon^2)$, the denominator
# $O(\varepsilon)$, and $2\lambda = 1/\varepsilon$ makes the product $O(1)$. SymPy takes the limit:

# %%
eps = sc.e_
G_t, G_T = sc.G_t, sp.Symbol("G_T", positive=True)
scaled = family.Sigma2(eps * G_t, eps * G_T).subs(lam, 1 / (2 * eps))
show(r"\Sigma_t^2(\varepsilon)", scaled)
brownian = sp.factor(sp.limit(scaled, eps, 0))
show(r"\lim_{\varepsilon\to0}\Sigma_t^2", brownian)

# %% [markdown]
# It is the variance of a Brownian bridge in "time" $G$: zero at $G_t = 0$ and at $G_t = G_T$, largest ($G_T/4$)
# halfway.

# %%
assert brownian.subs(G_t, 0) == 0 and brownian.subs(G_t, G_T) == 0
assert sp.simplify(brownian.subs(G_t, G_T / 2) - G_T / 4) == 0

# %%
feedback = check("03.1", brownian)
display(feedback)
assert feedback

# %% [markdown]
# ## 03.2 — BBDM's variance from the library's clock
#
# The library builds BBDM as the Brownian member with clock $G_t = 2s\,m_t$ and terminal clock $G_T = 2s$ (the
# virtual index after the last one, where $m = 1$). So $s = G_T/2$ = `schedule.u_T / 2`,
# $m_t = G_t/G_T$ = `schedule.clock(t) / schedule.u_T`, and BBDM's variance is
# $2s(m_t - m_t^2) = G_T(m_t - m_t^2) = G_t(G_T - G_t)/G_T$ — exactly the limit of 03.1.

# %%
def bbdm_variance(schedule, t):
    G_T_value = schedule.u_T
    m = schedule.clock(t) / G_T_value
    s = G_T_value / 2
    return 2 * s * (m - m ** 2)


for T, m_min, m_max, max_var in BBDM_CASES:
    path = bridges.bbdm(T=T, m_min=m_min, m_max=m_max, max_var=max_var)
    t = path.schedule.times()
    var = bbdm_variance(path.schedule, t)
    m_inner = torch.linspace(m_min, m_max, T, dtype=torch.float64)
    gap_own = float((var[1:-1] - 2 * max_var * (m_inner - m_inner ** 2)).abs().max())
    gap_lib = float((var - path.coefficients(t)[2] ** 2).abs().max())
    print(f"T = {T}, max_var = {max_var}: max variance {float(var.max()):.4f} (s/2 = {max_var / 2}); "
          f"gap to BBDM's own formula {gap_own:.1e}, to the library's Sigma^2 {gap_lib:.1e}")
    assert gap_own < 1e-12 and gap_lib < 1e-12

# %%
feedback = check("03.2", bbdm_variance)
display(feedback)
assert feedback

# %% [markdown]
# ## 03.3 — IR-SDE as a limit of the family
#
# IR-SDE is never forced to reach $\mu$: its mean factor is the free OU $e^{-\bar\theta_t}$ and its variance levels
# off at $\lambda$. The bridge's drift $\coth(\bar\theta_{t:T})(\mu - x)$ becomes the free drift $(\mu - x)$ when
# $\coth \to 1$, i.e. when $\bar\theta_{t:T} \to \infty$ for every $t$: the terminal clock $\bar\theta_T \to \infty$.
# The coefficients agree in that limit (in $U = e^{u}$, $C = e^{c}$):

# %%
theta_limit = sp.limit(exp_to_rational(family.Theta(u, c)), C, sp.oo)
sigma2_limit = sp.limit(exp_to_rational(family.Sigma2(u, c)), C, sp.oo)
show(r"\lim_{\bar\theta_T\to\infty}\Theta_t", theta_limit.subs(U, sp.exp(u)))
show(r"\lim_{\bar\theta_T\to\infty}\Sigma_t^2", sp.simplify(sigma2_limit.subs(U, sp.exp(u))))
assert sc.check_irsde_limit() == 0

# %% [markdown]
# The other two candidates fail on IR-SDE's own grid: the Brownian limit has a linear $\Theta$ in the clock, and
# $\lambda \to 0$ removes the noise. Moving the pinned end away instead closes the gap quickly (like
# $e^{-2\bar\theta_{t:T}}$):

# %%
for key, text in LIMITS.items():
    gaps = gaps_to_irsde(key)
    print(f"{key}: {text}")
    for (g_theta, g_sigma), end in zip(gaps, FAR_ENDS if key == "c" else [None]):
        where = f"  (thbar_T = {end:g})" if end else ""
        print(f"     max |Theta - Theta_IRSDE| = {g_theta:.1e}, max |Sigma - Sigma_IRSDE| = {g_sigma:.1e}{where}")
assert gaps_to_irsde("c")[-1][0] < 1e-12 and min(gaps_to_irsde(k)[0][1] for k in "ab") > 1e-2

# %%
feedback = check("03.3", "c")
display(feedback)
assert feedback
