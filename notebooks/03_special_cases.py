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
# **What you will learn.** How GOUB, IR-SDE, the VE bridge (DDBM-VE), the Brownian bridge (BBDM), I2SB, the
# deterministic interpolant, DDBM-VP and UniDB are all members (or limits) of the residual bridge family
# $x_t = m + \Theta_t(x_0 - m) + \Psi_t(x_T - m) + \Sigma_t\,s(\pi)\,\epsilon$ — each shown by a SymPy identity or
# limit, then checked numerically against the formula *as its own paper/code writes it*.
#
# **Prerequisites.** Notebooks 01 and 02a–02c; `docs/theory.md` §11. All cases except the interpolant
# use global noise ($s(\pi) = 1$); the coefficient identities do not depend on the noise factor.
#
# Full-mode wall time: 13 s on a 2-core CPU (`FAST=1`: 11 s; `benchmarks/notebook_times.py`).

# %%
import os

import matplotlib.pyplot as plt
import sympy as sp
from IPython.display import Markdown, Math, display

from derivations import family, special_cases as sc
from derivations.common import c, lam, u
from derivations.facts import BY_NAME, verify
from rdbm_core.bridge import bridges

FAST = os.environ.get("FAST") == "1"


def show(lhs, rhs):
    """Display ``lhs = rhs``; ``lhs`` is LaTeX text (or a SymPy object), ``rhs`` a SymPy expression."""
    display(Math((lhs if isinstance(lhs, str) else sp.latex(lhs)) + " = " + sp.latex(rhs)))


def numeric(name):
    """Run a numeric fact; return its max error (asserted within tolerance)."""
    ok, err, _ = verify(BY_NAME[name])
    assert ok, (name, err)
    return float(err)


# %% [markdown]
# ## GOUB (Yue et al., ICML 2024)
#
# GOUB writes $\bar\sigma_t^2 = \lambda_{\rm GOUB}^2(1 - e^{-2\bar\theta_t})$ with $\lambda_{\rm GOUB}$ a *standard
# deviation* ($g_t^2 = 2\lambda_{\rm GOUB}^2\theta_t$), mean coefficient $e^{-\bar\theta_t}\bar\sigma^2_{t:T}/\bar\sigma^2_T$,
# variance $\bar\sigma_t^2\bar\sigma_{t:T}^2/\bar\sigma_T^2$ and drift
# $(\theta_t + g_t^2 e^{-2\bar\theta_{t:T}}/\bar\sigma^2_{t:T})(\mu - x)$. In this course $\lambda$ (`lam`) is always a
# *variance*, so GOUB is `lam` $= \lambda_{\rm GOUB}^2$ (`docs/theory.md` eq. 11.1); with $s(\pi) = 1$ its forms,
# displayed below in GOUB's own $\lambda_{\rm GOUB}$, are $\Theta_t$, $\Sigma_t^2$ and $\coth$:

# %%
mean_coef, var, drift_coef = sc.goub_forms()
show(r"\Theta^{\rm GOUB}", mean_coef)
show(r"\Sigma^{2,\rm GOUB}", var)

# %% tags=["nbval-check-output"]
assert sc.check_goub_identity() == 0
assert numeric("special.goub_numeric") < 1e-12  # GOUB's own cosine grid, thbar_T = -ln 0.005
print(sc.check_goub_identity())

# %% [markdown]
# ## IR-SDE (Luo et al. 2023): the free OU process
#
# IR-SDE runs the mean-reverting SDE of notebook 01 with global noise and does *not* condition it on its end point:
# its end is only close to $\mu$, $x_T = \mu + \Sigma_{t_T}z$. Its coefficients are the free OU marginal from
# notebook 01 (`docs/theory.md` eq. 4.5):

# %%
show(r"\Theta_t^{\rm IR\text{-}SDE}", sp.exp(-u))
show(r"\Sigma_t^{2,\rm IR\text{-}SDE}", family.ou_var(u, 1))

# %% [markdown]
# Which limit of the bridge family gives these is exercise 03.3 (predict it before running the checks below, which
# verify it symbolically and on IR-SDE's own grid).

# %% tags=["nbval-check-output"]
assert sc.check_irsde_limit() == 0
assert numeric("special.irsde_numeric") < 1e-12
print(sc.check_irsde_limit())

# %% [markdown]
# ## The VE bridge, DDBM-VE and BBDM: $\theta \to 0$ with $2\lambda\theta_t = g_t^2$ fixed
#
# Put $\bar\theta_t = \varepsilon G_t$, $\lambda = 1/(2\varepsilon)$ with $G_t = \int_0^t g^2$, and let $\varepsilon \to 0$:

# %%
th_lim, s2_lim = sc.ve_limits()
G_T = sp.Symbol("G_T", positive=True)
show(r"\lim_{\varepsilon\to0}\Theta_t", sp.simplify(th_lim.subs(sc.H, G_T - sc.G_t)))

# %% [markdown]
# The limit of the variance is exercise 03.1; the checks below verify it. DDBM-VE has $G_t = t^2$,
# $G_T = \sigma_{\max}^2$ and mean $(\sigma_t^2/\sigma_T^2)x_T + (1 - \sigma_t^2/\sigma_T^2)x_0$. BBDM has
# $G_t = 2s\,m_t$, $G_T = 2s$ and $\Theta = 1 - m_t$. Their published variances agree with the limit too (the
# identities checked below). The same limit written in the family's own clock gives the library's "Brownian"
# members ($\Theta = b/c$, drift $(\mu - x)/b$ with $b = \bar\theta_{t:T}$, $c = \bar\theta_T$; `docs/theory.md` eq. 11.4).
# Why do BBDM, DDBM-VE and I2SB have `lam = 0.5`? With $\lambda = 1/2$ the noise is $dW_G$ itself, so the clock *is*
# the published variance $G$ (eq. 11.5); that is also why DDBM-VE's clock runs to $\bar\theta_T = G_T =
# \sigma_{\max}^2 = 80^2 = 6400$ (eq. 11.6), a Brownian clock, not an OU one.
# Numerically the OU family at $\varepsilon = 10^{-9}$ matches each model on its own grid:

# %% tags=["nbval-check-output"]
checks = [sc.check_ve_limit(), sc.check_ddbm_ve_identity(), sc.check_bbdm_identity(), sc.check_brownian_forms()]
assert checks == [0, 0, 0, 0]
assert numeric("special.ddbm_ve_numeric") < 1e-9 and numeric("special.bbdm_numeric") < 1e-9
print(checks)

# %% [markdown]
# ## I2SB (Liu et al. 2023): a Gaussian product with discrete stds
#
# I2SB's marginal is $\mathcal N(x_n; x_0, \sigma_f^2)\,\mathcal N(x_N; x_n, \sigma_b^2)$ in $x_n$. With the continuous
# $\sigma_f^2 = G_t$, $\sigma_b^2 = G_T - G_t$ it is exactly the VE bridge. Its code uses
# $\sigma_f^2 = \sum_{k\le n}\beta_k$ and $\sigma_b^2 = \sum_{k\ge n}\beta_k$, which count $\beta_n$ twice — the
# denominator is $G_T + \beta_n$ instead of $G_T$:

# %%
dc, dv = sc.i2sb_discrepancy()
show(r"\Delta\Theta_n", sp.factor(dc.subs(sc.H, G_T - sc.G_t)))
show(r"\Delta\Sigma_n^2", sp.factor(dv.subs(sc.H, G_T - sc.G_t)))

# %% tags=["nbval-check-output"]
assert sc.check_i2sb_continuous() == 0 and sc.check_i2sb_discrepancy() == 0
assert numeric("special.i2sb_numeric") < 1e-12
sizes = sc.i2sb_numbers()
rows_i2sb = (("G_T (the whole clock)", sizes["G_T"]),
             ("largest step beta_k", sizes["beta_max"]),
             ("largest step beta_k / G_T", sizes["beta_max"] / sizes["G_T"]),
             ("max discrepancy, coefficient of x0", sizes["max_coef_discrepancy"]),
             ("max discrepancy, variance", sizes["max_var_discrepancy"]),
             ("max discrepancy, variance / G_T", sizes["max_var_discrepancy_relative_to_G_T"]),
             ("max discrepancy, std", sizes["max_std_discrepancy"]),
             ("std discrepancy / I2SB's std at N - 2", sizes["std_discrepancy_relative_at_n_minus_2"]))
for key, value in rows_i2sb:
    print(f"{key:38s} {value:.3e}")
assert sizes["max_coef_discrepancy"] < sizes["beta_max"] / sizes["G_T"]  # the discrepancy is below one step's share

# %% [markdown]
# I2SB's schedule has 1000 steps and the parameter $\beta_{\max} = 0.3$, but it mirrors the first half of its ramp,
# so its largest step is $\max_k\beta_k = 1.865\times10^{-4}$ (not $\beta_{\max}/n = 3\times10^{-4}$), with
# $G_T = 0.141$ (`docs/theory.md` eq. 11.8). One step's $\beta$ is therefore at most $1.3\times10^{-3}$ of $G_T$,
# and the discrete coefficients differ from the continuous bridge by less than that: at most $7.8\times10^{-4}$ on
# the coefficient of $x_0$ and $1.0\times10^{-4}$ on the variance ($7.1\times10^{-4}$ of $G_T$).
# The standard deviation differs more near the end: at the last index the continuous bridge is pinned
# ($\Sigma = 0$) while I2SB's std is $\sqrt{G_T\beta_N/(G_T + \beta_N)} \approx 0.0100$, and one index earlier the
# two stds still differ by 29 % of I2SB's.
#
# ## The deterministic interpolant: $\lambda \to 0$
#
# $\Sigma_t^2 \to 0$, so $x_t = \mu + \Theta_t\pi$; with constant $\theta \to 0$, $\Theta_t \to 1 - t/T$ and the ODE
# velocity along the path tends to the constant $(\mu - x_0)/T$ (a straight flow-matching / InDI-like line).

# %% tags=["nbval-check-output"]
checks = [sc.check_interpolant_lam0(), sc.check_interpolant_linear(), sc.check_interpolant_velocity()]
assert checks == [0, 0, 0]
assert numeric("special.interpolant_numeric") < 1e-12
print(checks)

# %% [markdown]
# ## DDBM-VP: a general mean-reversion target
#
# For $dx = \theta_t(m - x)dt + \sqrt{2\lambda\theta_t}\,dw$ conditioned on $x_T = y$, the Gaussian product gives
# mean $m + \Theta_t(x_0 - m) + \Psi_t(y - m)$ with $\Psi_t = \sinh(\bar\theta_t)/\sinh(\bar\theta_T)$ and the same
# $\Sigma_t^2$. DDBM-VP is $m = 0$, $\lambda = 1$, $\theta_t = (\beta_{\min} + \beta_d t)/2$; with $a_t = e^{-\bar\theta_t}$,
# $\sigma_t^2 = 1 - a_t^2$ its log-SNR form is:

# %%
c0, cT, var_vp = sc.ddbm_vp_forms()
show(r"a_t(1 - \mathrm{SNR}_T/\mathrm{SNR}_t)", c0)
show(r"\Theta_t", family.Theta(u, c))
show(r"\frac{\mathrm{SNR}_T}{\mathrm{SNR}_t}\frac{a_t}{a_T}", cT)
show(r"\Psi_t", family.Psi(u, c))

# %% tags=["nbval-check-output"]
checks = [sc.check_general_target(), sc.check_ddbm_vp_identity(), sc.check_ddbm_vp_schedule()]
assert checks == [0, 0, 0]
assert numeric("special.ddbm_vp_numeric") < 1e-12
print(checks)

# %% [markdown]
# ## UniDB (Zhu et al. 2025): a finite terminal penalty $\gamma$
#
# The stochastic-optimal-control problem with terminal cost $\tfrac\gamma2|x_T - \mu|^2$ is solved by the
# h-transform with $h_\gamma(x,t) = \int p(x_T\mid x_t = x)\,e^{-\gamma|x_T-\mu|^2/2}dx_T$, i.e. conditioning on a
# Gaussian observation of $x_T$ with precision $\gamma$: the kernel's variance grows by $1/\gamma$. Derived here
# (Gaussian product), written with $\bar\sigma^2_v = \lambda(1 - e^{-2v})$ (this course's variance $\lambda$, i.e.
# $\lambda_{\rm GOUB}^2$ in GOUB's notation):

# %%
coef_u, var_u = sc.unidb_forms()
show(r"\Theta^{\gamma}_t", coef_u)
show(r"\Sigma^{2,\gamma}_t", var_u)
goub_limit = sp.limit(coef_u, sc.inv_gamma, 0)
assert sp.simplify((goub_limit - family.Theta(u, c)).rewrite(sp.exp)) == 0  # simplified: GOUB's Theta
show(r"\lim_{1/\gamma\to0}\Theta^{\gamma}_t", family.Theta(u, c))

# %% [markdown]
# So in the limit $1/\gamma \to 0$ (a hard pin) UniDB is GOUB. In general, with the weight
# $w = \bar\sigma_T^2/(\bar\sigma_T^2 + 1/\gamma)$, UniDB's coefficient is a mixture of GOUB's and the free
# process's (`docs/theory.md` eq. 11.13): $w = 1$ is GOUB, $w = 0$ ($\gamma \to 0$, no pin) the free OU process.

# %%
sig2 = lambda v: lam * (1 - sp.exp(-2 * v))  # noqa: E731
w = sig2(c) / (sig2(c) + sc.inv_gamma)
mixture = w * family.Theta(u, c) + (1 - w) * sp.exp(-u)
show(r"\Theta^{\gamma}_t - \big(w\,\Theta_t^{\rm GOUB} + (1 - w)\,e^{-\bar\theta_t}\big)",
     sp.simplify((coef_u - mixture).rewrite(sp.exp)))

# %% [markdown]
# The checks below compare this with UniDB's *published* formulas (its code, `UniDB-GOU/utils/sde_utils.py`,
# transcribed in `sc.unidb_published()`): the mean coefficient $m(t)$, $n(t) = 1 - m(t)$ and the controlled drift
# agree exactly. UniDB's code uses GOUB's $\gamma$-free variance $\bar\sigma^2_t\bar\sigma^2_{t:T}/\bar\sigma^2_T$,
# which is smaller than the marginal variance of its own process by
# $\bar\sigma^2_t\gamma^{-1}(\bar\sigma^2_T - \bar\sigma^2_{t:T})/(\bar\sigma^2_T(\bar\sigma^2_T + \gamma^{-1}))$ (zero as
# $\gamma\to\infty$).

# %% tags=["nbval-check-output"]
checks = [sc.check_unidb_product(), sc.check_unidb_harmonic(), sc.check_unidb_goub_limit()]
assert checks == [0, 0, 0]
assert numeric("special.unidb_numeric") < 1e-12
print(checks)

# %% [markdown]
# ## The library's members side by side
#
# `rdbm_core.bridge.bridges` builds each model with its published defaults; on a normalised time axis:

# %%
names = ["rdbm", "goub", "irsde", "bbdm", "ddbm-ve", "ddbm-vp", "i2sb", "interpolant"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for name in names:
    path = bridges.make(name)
    sch = path.schedule
    ts = sch.times() if sch.discrete else sch.times(50 if FAST else 200)
    tn = (ts.double() - sch.t_clean) / (sch.t_T - sch.t_clean)
    Th, _, Sg = path.coefficients(ts)
    axes[0].plot(tn, Th, label=name)
    axes[1].plot(tn, Sg / max(float(Sg.max()), 1e-300), label=name)
axes[0].set_title(r"$\Theta_t$ (coefficient of $x_0$)")
axes[1].set_title(r"$\Sigma_t / \max \Sigma$")
for ax in axes:
    ax.set_xlabel("normalised time")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, fontsize=8, loc="center right")
plt.tight_layout(rect=(0, 0, 0.88, 1))
plt.show()

# %% [markdown]
# What the figure shows. **Left:** every member's $\Theta_t$ runs from 1 (clean end) to 0 (degraded end); they differ
# only in *when* the mean moves. BBDM's is a straight line (linear $m_t$; the interpolant's $\Theta_t = 1 - t/T$ is the same line, drawn
# on top of it, so BBDM's colour is hidden), I2SB's almost one; DDBM-VE ($G_t = t^2$)
# and DDBM-VP move slowly at first; GOUB and IR-SDE share a grid and nearly coincide (IR-SDE ends at
# $e^{-\bar\theta_T} = 0.005$, not 0); RDBM lies in between. **Right:** the noise level's *shape* (each curve divided
# by its own maximum: the absolute levels differ by orders of magnitude, see notebook 09). The pinned bridges return
# to 0 at both ends; IR-SDE, unpinned, keeps its largest noise at $t_T$. The Brownian members (BBDM, I2SB) are arches
# peaking near the middle of their clocks; GOUB falls over the last tenth of its grid, and RDBM's reference grid
# keeps its noise almost flat until the final jump (notebook 01, section 4) drops it to 0 in one step. The
# interpolant has no noise at all ($\lambda = 0$), drawn as the zero line.
#
# ## Summary

# %%
rows = [
    ("GOUB", "lam = lambda_GOUB^2, s(pi) = 1", "identity (mean, var, drift)", ["special.goub_identity", "special.goub_numeric"]),
    ("IR-SDE", "unpinned OU, s(pi) = 1", "limit of the bridge (exercise 03.3): e^{-thbar_t}, lam(1 - e^{-2 thbar_t})", ["special.irsde_limit", "special.irsde_numeric"]),
    ("VE bridge", "theta -> 0, 2 lam theta = g^2", "limit: Theta -> 1 - G_t/G_T (variance: exercise 03.1)", ["special.ve_limit", "special.brownian_forms"]),
    ("DDBM-VE", "G_t = t^2, G_T = sigma_max^2", "identity with the VE limit", ["special.ddbm_ve_identity", "special.ddbm_ve_numeric"]),
    ("BBDM", "G_t = 2 s m_t, G_T = 2 s", "identity: Theta = 1 - m_t and BBDM's variance", ["special.bbdm_identity", "special.bbdm_numeric"]),
    ("I2SB", "G_n = sum_{k<=n} beta_k", "identity (continuous); discrete off by G_n beta_n/(G_T(G_T+beta_n))", ["special.i2sb_continuous", "special.i2sb_discrepancy", "special.i2sb_numeric"]),
    ("Interpolant", "lam -> 0 (theta -> 0: linear)", "limit: Sigma^2 -> 0, Theta -> 1 - t/T", ["special.interpolant_lam0", "special.interpolant_linear", "special.interpolant_velocity", "special.interpolant_numeric"]),
    ("DDBM-VP", "target m = 0, lam = 1, theta = (beta_min + beta_d t)/2", "identity with the log-SNR form", ["special.general_target_bridge", "special.ddbm_vp_identity", "special.ddbm_vp_schedule", "special.ddbm_vp_numeric"]),
    ("UniDB", "GOUB + terminal precision gamma", "identity (Gaussian product); limit 1/gamma -> 0 = GOUB", ["special.unidb_product", "special.unidb_h_harmonic", "special.unidb_goub_limit", "special.unidb_numeric"]),
]
verified = {name: verify(BY_NAME[name])[0] for _, _, _, facts in rows for name in facts}
table = ["| model | parameter choice | identity or limit | verified |", "|---|---|---|---|"]
for model, choice, what, facts in rows:
    ok = all(verified[f] for f in facts)
    table.append(f"| {model} | `{choice}` | {what} | {'yes' if ok else 'NO'} ({len(facts)} checks) |")
display(Markdown("\n".join(table)))

# %% tags=["nbval-check-output"]
assert all(verified.values())
print(f"{sum(verified.values())}/{len(verified)} special-case facts verified")

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/03_special_cases_solutions.ipynb`.
#
# **03.1 (derive).** Put $\bar\theta_t = \varepsilon G_t$, $\bar\theta_T = \varepsilon G_T$ and
# $\lambda = 1/(2\varepsilon)$ (so $g^2 = 2\lambda\theta$ stays fixed) into $\Sigma_t^2$ and let
# $\varepsilon \to 0$. What does the bridge variance become? A SymPy expression in `sc.G_t` and `G_T` (both
# defined above).

# %%
from rdbm_course.exercises import check

answer_03_1 = ...  # a SymPy expression in sc.G_t and G_T
check("03.1", answer_03_1)

# %% [markdown]
# **03.2 (implement).** BBDM writes its variance as $2s(m_t - m_t^2)$ with $m_t$ running from 0 to 1 and
# $s$ = `max_var`. Write `bbdm_variance(schedule, t)` that computes it from the clock of the library's BBDM
# schedule alone (`bridges.bbdm(...).schedule`; use `schedule.clock(t)` and `schedule.u_T`, not the bridge's
# coefficients), for `t = schedule.times()`. It is checked on two BBDM grids with different `T` and `max_var`
# against BBDM's own formula.

# %%
answer_03_2 = ...  # a function bbdm_variance(schedule, t) -> tensor shaped like t
check("03.2", answer_03_2)

# %% [markdown]
# **03.3 (predict, then check).** IR-SDE is the free (unpinned) mean-reverting SDE with global noise. Which limit
# of the bridge family (with $s(\pi) = 1$) gives it?
#
# * **a** — $\theta \to 0$ with $2\lambda\theta$ fixed (the Brownian / VE limit)
# * **b** — $\lambda \to 0$ (no noise)
# * **c** — $\bar\theta_T \to \infty$ (the terminal time moved ever further away on the clock)
#
# Answer with the letter as a string; the checker builds the bridge for your choice on IR-SDE's own grid and
# measures how far its $\Theta_t$ and $\Sigma_t$ are from IR-SDE's.

# %%
answer_03_3 = ...  # "a", "b" or "c"
check("03.3", answer_03_3)
