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
# # 02a — The forward bridge: its marginal and its posterior
#
# **What you will learn.** Where a pixel of the residual bridge is at any time given the clean image (the
# marginal $q(x_t\mid x_0)$: derived two independent ways, by Bayes's rule and by solving its moment ODEs, then
# checked against the Fokker–Planck equation) and where it was earlier given where it is now (the posterior
# $q(x_s\mid x_t, x_0)$, the distribution an ancestral sampler draws from). Notebook 02b runs the bridge backwards
# with these formulas; 02c turns them into the sampler RDBM uses.
#
# **Prerequisites.** Notebook 01 (the OU process, the h-transform, $\Theta_t$ and $\Sigma_t$, the reference grid)
# and `docs/theory.md` §4 (read §5 *after* this notebook: it states the results of exercises 02a.1 and 02a.2).
# You should know how to condition one Gaussian on another by completing the square. We work in the clock
# $u = \bar\theta_t$ with $c = \bar\theta_T$; for three times $0<s<t<T$ the clock increments $a = \bar\theta_s$,
# $b = \bar\theta_{s:t}$ and $\bar\theta_{t:T}$ are positive symbols (`docs/theory.md` eq. 1.5 and its symbol table).
# The displayed formulas print them as $u, c, a, b$ too (the `derivations` package names them `thetabar_t`, ...). The
# code's SymPy symbol for $\bar\theta_{t:T}$ is `d`; in the text the letter $d$ is only the differential, as in $dx$
# and $dt$. **In the figures** a time is its index on the reference grid of notebook 01: index $-1$ is the clean end
# (clock 0, where $x = x_0$), index 99 is $T$, so there $s$ and $t$ are grid indices and $s = -1$ means $a = 0$.
#
# Wall time: about 13 s on a 2-core CPU shared with other jobs (this notebook has no fast mode;
# `benchmarks/notebook_times.py`).

# %%
import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import sympy as sp
import torch

from derivations.common import EXP, a, b, c, d, gaussian_log, lam, mu, pi, readable, theta, u, x, xt, zero
from derivations.family import bridge_drift
from rdbm_core.bridge import bridges
from rdbm_course.mathshow import agree, fact, limit, show, vanishes

PIXEL = r"pixel value ($[-1, 1]$ scale)"
#: the clock symbols as the displays print them: u = thbar_t, c = thbar_T, a = thbar_s, b = thbar_{s:t}
SHORT = {v: sp.Symbol(name, positive=True) for v, name in ((u, "u"), (c, "c"), (a, "a"), (b, "b"))}
SHORT_EXP = {SHORT.get(k, k): e for k, e in EXP.items()}  # U = e^u, C = e^c, A = e^a, B = e^b, D = e^d


def short(expr):
    """``expr`` with the clock symbols renamed u, c, a, b, for display only."""
    return sp.sympify(expr).subs(SHORT)

# %% [markdown]
# ## 0. The picture first: what the residual bridge does to each pixel
#
# Notebook 01 (section 3) introduced the bridge coefficients. Every pixel follows
# $x_t = \Theta_t x_0 + \Psi_t\mu + \Sigma_t\,\nu(\pi)\,\epsilon$ with $\epsilon \sim \mathcal N(0, 1)$ and the residual
# $\pi = x_0 - \mu$, from the clean $x_0$ at the clean end to the degraded $\mu$ at $T$: $\Theta_t$ is the weight of
# $x_0$, $\Psi_t$ the weight of $\mu$
# (here $\Psi_t = 1 - \Theta_t$, so that $x_t = \mu + \Theta_t\pi + \Sigma_t\,\nu(\pi)\,\epsilon$), and $\nu(\pi)$ the
# **noise factor**. RDBM's noise factor is $\nu(\pi) = \pi$, so the per-pixel standard deviation is $\Sigma_t|\pi|$:
# intact pixels ($\pi = 0$) get no noise (notebook 05 shows what that means on images), slightly degraded pixels
# little. With the global noise factor $\nu = 1$ every pixel gets $\Sigma_t$, whatever its $\pi$ (GOUB, notebook 03,
# is such a bridge on its own grid). The figure uses the reference grid of notebook 01, whose indices run from $-1$
# (the clean end) to 99 ($T$). The paper takes $\lambda = 10^{-4}$, here $\lambda = 0.01$: $\Sigma_t$ is proportional
# to $\sqrt\lambda$, so going from 0.01 to $10^{-4}$ multiplies every $\Sigma_t$ by 0.1 (printed below the figure).
# The left panel's $\Sigma_t/\max_t\Sigma_t$ is therefore the same for both, and the right panel would only have its
# axis values ten times smaller (0.01 gives round ones).

# %%
rdbm = bridges.rdbm(lam=0.01)
ts = rdbm.schedule.times()
Th, _, Sg = rdbm.coefficients(ts)
fig, axes = plt.subplots(1, 2, figsize=(7, 4.2), layout="constrained")
axes[0].plot(ts, Th, color="tab:purple", label=r"$\Theta_t$")
axes[0].plot(ts, Sg / Sg.max(), color="tab:brown", label=r"$\Sigma_t / \max_t\Sigma_t$")
axes[0].set_xlabel("reference grid index $t$")
axes[0].set_ylabel("coefficient (dimensionless)")
axes[0].set_title(r"coefficients (any $\nu$)", fontsize=11)
axes[0].legend(loc="lower center", fontsize=9)  # below the crossing, clear of the drop at indices 98-99
axes[1].plot(ts, Sg, "k--", label=r"global noise $\nu = 1$, any $\pi$ (= RDBM at $|\pi| = 1$)")
for p_abs, colour in ((0.5, "tab:blue"), (0.1, "tab:orange"), (0.0, "tab:green")):
    axes[1].plot(ts, Sg * p_abs, color=colour, label=rf"RDBM, $|\pi| = {p_abs}$")
axes[1].set_xlabel("reference grid index $t$")
axes[1].set_ylabel(r"per-pixel std of $x_t$, " + PIXEL)
axes[1].set_title(r"per-pixel std $\Sigma_t\,|\nu(\pi)|$", fontsize=11)
fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9,
           title="right panel", title_fontsize=9)
plt.show()
drop = float(Sg[-2] / Sg.max())
clock_jump = float(rdbm.schedule.clock(ts[-1]) - rdbm.schedule.clock(ts[-2]))
print(f"Sigma_t / max Sigma_t: {drop:.2f} at index {int(ts[-2])}, 0 at index {int(ts[-1])} (T); "
      f"the clock from index {int(ts[-2])} to {int(ts[-1])}: {clock_jump:.3f}")
assert abs(drop - 0.93) < 0.005 and float(Sg[-1]) == 0 and int(ts[-1]) == 99 and abs(clock_jump - 0.999) < 0.0005
assert int(ts[0]) == -1 and float(rdbm.schedule.clock(ts[0])) == 0 and float(Sg[0]) == 0  # the clean end
Sg_paper = bridges.rdbm(lam=1e-4).coefficients(ts)[2]
paper_ratio = Sg_paper[1:-1] / Sg[1:-1]  # Sigma_t = 0 at both ends
print(f"Sigma_t at lambda = 1e-4 / at lambda = 0.01, indices 0 to 98: from {float(paper_ratio.min()):.4f} to "
      f"{float(paper_ratio.max()):.4f}; largest Sigma_t at lambda = 0.01: {float(Sg.max()):.3f}")
assert torch.allclose(paper_ratio, torch.full_like(paper_ratio, 0.1), rtol=1e-9) and abs(float(Sg.max()) - 0.1) < 5e-4

# %% [markdown]
# (Right: RDBM's curve for $|\pi| = 1$ is the dashed global-noise curve itself, so it is not drawn twice.) Left: the
# vertical drop of $\Sigma_t$ between indices 98 and 99 (from 0.93 of its maximum to 0) is no artefact: the grid's last
# step is a jump of 0.999 in the clock (printed above; `docs/theory.md` eq. 10.4), so index 98 is still far from $T$
# in the clock. This notebook derives these coefficients (section 1), then the posterior a sampler needs to step
# backwards in time (sections 2 and 3).
#
# ## 1. The marginal: two derivations and a check
#
# The closed form of the marginal (`docs/theory.md` eqs. 4.2–4.3) comes out of two independent computations, and a
# third part checks it:
#
# - **(a)** Bayes's rule: a product of two Gaussians in $x_t$, completed to a square (eq. 4.8);
# - **(b)** the ODEs of the mean and the variance of the bridge SDE (eq. 4.9), solved by integrating factors;
# - **(c)** a check, not a third derivation: the Gaussian with these coefficients has the boundary values (4.4) and
#   solves the Fokker–Planck equation of the bridge SDE (3.5). It confirms the formula; it does not produce it.
#
# Each part ends with the `derivations` package's own check of the same result (one line per fact: its name, the
# section of `docs/theory.md` that lists it, the equation it checks).
#
# **(a) Bayes** (`docs/theory.md` eq. 4.8). $q(x_t\mid x_0, x_T = \mu) \propto p(x_t\mid x_0)\,p(x_T = \mu\mid x_t)$
# is a product of two Gaussians in $x_t$. Step by step, writing $x$ for $x_t$, $u = \bar\theta_t$, $c = \bar\theta_T$
# and dropping the terms free of $x$ (written $+\,\mathrm{const}$):
#
# 1. the free OU marginal of notebook 01 and $\log h$ (the kernel from $x$ at $u$ to $\mu$ at $c$);
# 2. their sum is a quadratic in $x$, $-\frac{x^2}{2Q} + \frac{M}{Q}x + \mathrm{const}$ with the mean $M$ and the
#    variance $Q$ of the product: the precision $1/Q$ is minus twice the coefficient of $x^2$, and the mean $M$ is
#    the coefficient of $x$ divided by the precision. SymPy reads the coefficients off (the cell does not display
#    them: it only compares the result);
# 3. in hyperbolic form these are the coefficients of the bridge marginal
#    $x_t = \mu + \Theta_t\pi + \Sigma_t\pi\epsilon$ (eq. 4.2). Writing $U = e^{u}$ and $C = e^{c}$, each side is
#    one short fraction, and the two fractions are the same.

# %%
def marginal_by_bayes():
    """Section 1(a): p(x_t = x | x0) h(x, t) completed to a square and compared with eq. 4.2; displays each step."""
    from derivations.family import Sigma2, Theta

    log_p0 = -(x - mu - sp.exp(-u) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * u)) * pi ** 2)
    log_h = -(sp.exp(-(c - u)) * (x - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * (c - u))) * pi ** 2)
    show(r"\log p(x_t = x \mid x_0)", sp.latex(short(log_p0)) + r" + \mathrm{const}")  # step 1
    show(r"\log h(x, t)", sp.latex(short(log_h)) + r" + \mathrm{const}")
    total = sp.expand(log_p0 + log_h)  # step 2
    inverse_Q = -2 * total.coeff(x, 2)
    Q_bayes = readable(1 / inverse_Q)
    M_bayes = readable(total.coeff(x, 1) / inverse_Q)
    show(r"\Theta_t", short(Theta(u, c)))  # step 3
    show(r"\Sigma_t^2", short(Sigma2(u, c)))
    agree(r"\frac{M - \mu}{\pi}", short((M_bayes - mu) / pi), r"\Theta_t", short(Theta(u, c)), gens=SHORT_EXP)
    agree(r"\frac{Q}{\pi^2}", short(Q_bayes / pi ** 2), r"\Sigma_t^2", short(Sigma2(u, c)), gens=SHORT_EXP)


marginal_by_bayes()
fact("marginal.a_gaussian_product", "4.8")  # the derivations package's own Bayes computation

# %% [markdown]
# **(b) Moment ODEs** (`docs/theory.md` eq. 4.9). In time, the bridge SDE is $dx_t = \theta_t f(x_t)\,dt + g_t\,dw_t$
# with the drift per unit clock $f(x) = \coth(\bar\theta_{t:T})(\mu - x)$ and, as in notebook 01, the squared
# diffusion coefficient per unit time $g_t^2 = 2\lambda\theta_t\pi^2$ (`docs/theory.md` eqs. 2.1 and 3.5). Itô's
# formula on $x$ and on $x^2$, averaged (the $dw$ terms have mean 0), gives
# $\frac{dM}{dt} = \theta_t E[f(x_t)]$ and $\frac{d}{dt}E[x_t^2] = 2\theta_t E[x_t f(x_t)] + g_t^2$. Since
# $Q = E[x_t^2] - M^2$, $\frac{dQ}{dt} = \frac{d}{dt}E[x_t^2] - 2M\frac{dM}{dt}$. The drift is affine in $x$:
# $f(x) = f(M) + f_x\,(x - M)$ with $f_x = -\coth(\bar\theta_{t:T})$ free of $x$. Averaged, that gives the two rules
# $E[f(x_t)] = f(M)$ and $E[x_t f(x_t)] = M f(M) + f_x Q$ (as $E[x_t(x_t - M)] = Q$). The cell builds the ODEs
# from the drift with these two rules, step by step:

# %%
f = bridge_drift(u, c)  # the drift per unit clock, coth(thbar_{t:T}) (mu - x)
f_x = sp.diff(f, x)  # free of x: the drift is affine
M, Q = sp.symbols("M Q", real=True)
g2_t = 2 * lam * theta * pi ** 2
dM = theta * f.subs(x, M)  # rule 1: E[f(x_t)] = f(M)
dE2 = 2 * theta * (M * f.subs(x, M) + f_x * Q) + g2_t  # rule 2: E[x_t f(x_t)] = M f(M) + f_x Q
dQ = sp.expand(dE2 - 2 * M * dM)
show(r"f_x", short(f_x))
show(r"\frac{dM}{dt}", r"\theta_t f(M)", short(dM))
show(r"\frac{dQ}{dt}", r"\frac{d}{dt}E[x_t^2] - 2M\frac{dM}{dt}",
     r"2\theta_t\big(M f(M) + f_x Q\big) + g_t^2 - 2M\theta_t f(M)", r"2\theta_t f_x Q + g_t^2",
     short(sp.collect(dQ, theta)))
assert sp.expand(dQ - (2 * theta * f_x * Q + g2_t)) == 0


def same_as_package():
    """The right-hand sides of eq. 4.9 as derivations.marginal.bridge_moment_odes builds them (same two rules)."""
    from derivations import marginal

    dM_pkg, dQ_pkg = (e.subs({marginal.M: M, marginal.V: Q}) for e in marginal.bridge_moment_odes())
    assert sp.simplify(dM - dM_pkg) == 0 and sp.simplify(dQ - dQ_pkg) == 0
    print("derivations.marginal.bridge_moment_odes (eq. 4.9) builds the same two right-hand sides")


same_as_package()

# %% [markdown]
# Per unit clock ($du = \theta_t\,dt$, so divide by $\theta_t$) these are two linear first-order ODEs,
# $\frac{dM}{du} = \coth(c - u)(\mu - M)$ and $\frac{dQ}{du} = -2\coth(c - u)\,Q + 2\lambda\pi^2$, with the initial
# values $M = x_0 = \mu + \pi$ and $Q = 0$ at the clean end ($u = 0$). The integrating-factor method of exercises 01.1
# and 01.2 solves them:
#
# - the mean: with $I = 1/\sinh(c - u)$, $\frac{d}{du}\big(I\,(M - \mu)\big) = 0$, so $I\,(M - \mu)$ keeps its value
#   $\pi/\sinh c$ at $u = 0$;
# - the variance: with $I^2 = 1/\sinh^2(c - u)$, $\frac{d}{du}\big(I^2 Q\big) = 2\lambda\pi^2 I^2$. An antiderivative
#   of $1/\sinh^2(c - u)$ in $u$ is $\coth(c - u)$, so integrating from $u = 0$ (where $Q = 0$) gives
#   $Q = 2\lambda\pi^2\sinh^2(c - u)\big(\coth(c - u) - \coth c\big)$.
#
# The cell checks each of these steps, then compares the solution with eq. 4.2:

# %%
def moment_odes_solved():
    """Section 1(b): the clock-form moment ODEs solved by integrating factors from M = mu + pi, Q = 0 at u = 0."""
    from derivations.family import Sigma2, Theta

    dM_du, dQ_du = sp.expand(dM / theta), sp.expand(dQ / theta)  # du = theta dt
    I = 1 / sp.sinh(c - u)
    vanishes(r"\frac{d}{du}\Big(\frac{M - \mu}{\sinh(c - u)}\Big)", short(sp.diff(I, u) * (M - mu) + I * dM_du),
             gens=SHORT_EXP)
    M_sol = mu + (pi * I.subs(u, 0)) / I  # I (M - mu) = its value at u = 0
    show(r"M", short(M_sol))
    vanishes(r"\frac{d}{du}\Big(\frac{Q}{\sinh^2(c - u)}\Big) - \frac{2\lambda\pi^2}{\sinh^2(c - u)}",
             short(sp.diff(I ** 2, u) * Q + I ** 2 * dQ_du - 2 * lam * pi ** 2 * I ** 2), gens=SHORT_EXP)
    antiderivative = sp.coth(c - u)
    vanishes(r"\frac{d}{du}\coth(c - u) - \frac{1}{\sinh^2(c - u)}", short(sp.diff(antiderivative, u) - I ** 2),
             gens=SHORT_EXP)
    Q_sol = 2 * lam * pi ** 2 * (antiderivative - antiderivative.subs(u, 0)) / I ** 2  # Q = 0 at u = 0
    show(r"Q", short(Q_sol))
    assert M_sol.subs(u, 0) == mu + pi and Q_sol.subs(u, 0) == 0
    agree(r"\frac{M - \mu}{\pi}", short((M_sol - mu) / pi), r"\Theta_t", short(Theta(u, c)), gens=SHORT_EXP)
    agree(r"\frac{Q}{\pi^2}", short(Q_sol / pi ** 2), r"\Sigma_t^2", short(Sigma2(u, c)), gens=SHORT_EXP)


moment_odes_solved()
fact("marginal.b_moment_odes", "4.9")  # the closed form put into the ODEs, for any schedule
fact("marginal.b_initial_values", "4.9")  # the ODEs integrated numerically from (x0, 0), not by integrating factors

# %% [markdown]
# The second `fact` line is independent of the integrating factors: the package integrates the clock-form ODEs
# numerically from $M = x_0$, $Q = 0$ (mpmath's Taylor integrator at 30 significant digits, for $c = 3$) and compares
# the result with the closed form at four clocks; the printed error is the largest difference, tiny because both
# sides are computed to 30 digits.
#
# **(c) The check: boundary values and Fokker–Planck.** At the clean end $\Theta = 1$, $\Sigma = 0$ (the clean image:
# the initial values of (b)); at $T$ both vanish (exactly $\mu$), also as limits (`docs/theory.md` eq. 4.4); and the
# Gaussian density solves the bridge's Fokker–Planck equation. Per unit clock it reads
# $\partial_u q = -\partial_x(f q) + \lambda\pi^2\,\partial_{xx} q$, with the drift per unit clock $f$ of (b) and the
# diffusion $g_t^2/(2\theta_t) = \lambda\pi^2$ per unit clock; divided by $q$, for $L = \log q$,
# $L_u + f_x + f L_x - \lambda\pi^2(L_{xx} + L_x^2) = 0$. The left side is a
# quadratic in $x$. Collected by powers of $x - M$, each coefficient has two or three non-zero terms (below, each is
# labelled by the part it comes from). The two terms of $(x - M)$ cancel since $1/\tanh = \coth$. Those of $1$ and of
# $(x - M)^2$, put over a common denominator, cancel by the identity $\sinh c - \sinh(c - 2u) = 2\cosh(c - u)\sinh u$,
# checked first:

# %%
def fokker_planck_check():
    """Section 1(c): the boundary values (eq. 4.4) and the Fokker-Planck equation of the bridge SDE, by powers."""
    from derivations.family import Sigma2, Theta

    Theta_t, Sigma2_t = Theta(u, c), Sigma2(u, c)
    show(r"\big(\Theta_t,\ \Sigma_t^2\big)\big|_{u = 0}", sp.Tuple(Theta_t.subs(u, 0), Sigma2_t.subs(u, 0)))
    assert (Theta_t.subs(u, 0), Sigma2_t.subs(u, 0)) == (1, 0)
    limit(Theta_t, u, c, 0, lhs=r"\lim_{u \to c}\Theta_t")
    limit(Sigma2_t, u, c, 0, lhs=r"\lim_{u \to c}\Sigma_t^2")
    identity = sp.sinh(c - 2 * u) + 2 * sp.cosh(c - u) * sp.sinh(u) - sp.sinh(c)
    vanishes(r"\sinh(c - 2u) + 2\cosh(c - u)\sinh u - \sinh c", short(identity), gens=SHORT_EXP)
    mean, var = mu + Theta_t * pi, Sigma2_t * pi ** 2
    log_q = gaussian_log(x, mean, var)
    L_x = sp.diff(log_q, x)
    show(r"L_x", short(sp.factor(L_x)))
    show(r"L_{xx}", short(sp.factor(sp.diff(L_x, x))))
    parts = {"L_u": sp.diff(log_q, u), "f_x": f_x, "f L_x": f * L_x,
             r"-\lambda\pi^2(L_{xx} + L_x^2)": -lam * pi ** 2 * (sp.diff(L_x, x) + L_x ** 2)}
    y = sp.Symbol("y", real=True)  # y = x - M
    expanded = {name: sp.expand(e.subs(x, mean + y)) for name, e in parts.items()}
    assert zero(sum(expanded.values()) - sum(e.coeff(y, k) * y ** k for e in expanded.values() for k in range(3))) == 0
    #: each power's common-denominator form, written by hand (and checked against the terms below)
    common_form = {0: -identity / (2 * sp.sinh(u) * sp.sinh(c - u)), 1: sp.Integer(0),
                   2: sp.sinh(c) * identity / (4 * lam * pi ** 2 * sp.sinh(u) ** 2 * sp.sinh(c - u) ** 2)}
    n_terms = []
    for k, power in ((0, "1"), (1, "(x - M)"), (2, "(x - M)^2")):
        terms = {name: sp.simplify(e.coeff(y, k)) for name, e in expanded.items()}
        terms = {name: term for name, term in terms.items() if term != 0}
        n_terms.append(len(terms))
        body = " + ".join(r"\underbrace{" + sp.latex(short(term)) + "}_{" + name + "}" for name, term in terms.items())
        assert zero(sum(terms.values()) - common_form[k]) == 0 and zero(common_form[k]) == 0
        show(r"\big[" + power + r"\big]", body, *([short(common_form[k])] if k != 1 else []), 0)
    assert sorted(n_terms) == [2, 3, 3]  # two or three non-zero terms per power


fokker_planck_check()
fact("marginal.c_boundary_values", "4.4")
fact("marginal.c_fokker_planck", "3.5")  # the Fokker-Planck equation of the bridge SDE (3.5)

# %% [markdown]
# ## 2. The posterior $q(x_s\mid x_t, x_0)$
#
# Bayes, with the bridge Markov given $\pi$: $q(x_s\mid x_t, x_0) \propto q(x_s\mid x_0)\,q(x_t\mid x_s; \pi)$, with the
# bridge marginal $q(x_s\mid x_0) \propto p(x_s\mid x_0)\,h(x_s, s)$ and the bridge's kernel
# $q(x_t\mid x_s; \pi) = p(x_t\mid x_s)\,h(x_t,t)/h(x_s,s)$ (the h-transform of notebook 01; it depends on $x_0$
# only through $\pi$, the scale of the noise). As a function of $x_s$,
# $h(x_t, t)$ is a constant, and the $h(x_s, s)$ of the kernel cancels the one of the marginal: the posterior is
# $\propto p(x_s\mid x_0)\,p(x_t\mid x_s)$. Because the $h$'s cancel, it does not depend on $\bar\theta_T$. It is what
# an ancestral sampler draws from: given where the path is now ($x_t$) and a guess of the clean image ($x_0$), where
# was it at an earlier time $s$?
#
# **The picture.** One degraded pixel on the reference grid: $x_0 = 0.6$, $\mu = -0.2$ (so $|\pi| = 0.8$), observed
# at $t = 80$ at a value $x_t$ 1.5 standard deviations above its mean. The colour is the posterior density of $x_s$
# for every earlier grid time $s$ (divided by its maximum in each column, so that every column spans the colour
# scale); the thin magenta line is the posterior mean; the dashed white lines (from $s = 0$) are the mean $\pm 2$ std
# of the marginal $q(x_s \mid x_0)$, which does not know $x_t$.
# Two columns are points, with std 0: $s = -1$, the clean end, where the library's posterior is $x_0$, and $s = t$,
# the point $x_t$, added by hand (the library gives the posterior for $s < t$ only). A point has no width on the
# picture's vertical grid (steps of 0.005), so every column whose std is below 0.02 is drawn as if its std were 0.02
# (the columns $s = -1, 0, 1$ and $t$, printed below the picture): the two points show as short bright bars, each
# marked by a triangle beside the axes.
#
# **Why $\lambda = 0.1$ here, not section 0's 0.01.** $\lambda$ sets the scale of the noise and nothing else: every
# std in this picture, the marginal's $\Sigma_s|\pi|$ and the posterior's, is $\sqrt\lambda$ times a function of the
# clock (the two Gaussian factors of the posterior both have variances proportional to $\lambda$), and the means do
# not involve $\lambda$ (only the chosen $x_t$, 1.5 std above its mean, moves with it). With $\lambda = 0.01$ the
# marginal's widest $\pm 2$ std band would be under a fifth of the vertical axis; with $\lambda = 0.1$ the same
# shapes are $\sqrt{10}$ times taller and can be read. The second cell below prints both numbers. Exercise 02a.2
# uses this pixel and this $\lambda$.

# %%
post_path = bridges.rdbm(lam=0.1)
px0, pmu, t_obs = torch.tensor([0.6], dtype=torch.float64), torch.tensor([-0.2], dtype=torch.float64), 80
Th80, _, Sg80 = post_path.coefficients(torch.tensor(t_obs))
px_t = pmu + Th80 * (px0 - pmu) + 1.5 * Sg80 * (px0 - pmu).abs()
s_grid = torch.arange(-1, t_obs + 1)
s_early = s_grid[:-1]  # the library's posterior needs s < t
post_mean, post_std = post_path.posterior(px_t.expand(len(s_early)), px0.expand(len(s_early)),
                                          pmu.expand(len(s_early)), torch.full_like(s_early, t_obs), s_early)
# the column s = t added by hand: the point x_t with std 0
post_mean, post_std = torch.cat([post_mean, px_t]), torch.cat([post_std, torch.zeros(1, dtype=torch.float64)])
marg_mean = post_path.mean(px0.expand(len(s_grid)), pmu.expand(len(s_grid)), s_grid)
marg_std = post_path.std(px0.expand(len(s_grid)), pmu.expand(len(s_grid)), s_grid)
xg = torch.linspace(-0.8, 1.0, 361, dtype=torch.float64)  # the vertical grid of the picture, steps of 0.005
std_floor = 0.02  # the std a column is drawn with when its own is smaller (the points at s = -1 and s = t)
dens = torch.exp(-(xg[:, None] - post_mean[None]) ** 2 / (2 * post_std[None].clamp_min(std_floor) ** 2))
fig, ax = plt.subplots(figsize=(7, 4.4), layout="constrained")
im = ax.pcolormesh(s_grid, xg, dens, cmap="viridis", shading="auto")
fig.colorbar(im, ax=ax, label="posterior density / its column maximum")
outlined = [path_effects.withStroke(linewidth=2.8, foreground="black")]  # white on black: visible on any colour
ax.plot(s_grid, post_mean, color="magenta", lw=0.9, label=r"posterior mean")
for sign in (0, 1, -1):  # from s = 0, so that the bar at s = -1 stays visible
    ax.plot(s_grid[1:], (marg_mean + sign * 2 * marg_std)[1:], "w--", lw=1.0, path_effects=outlined,
            label=r"marginal $q(x_s \mid x_0)$: mean $\pm$ 2 std" if sign == 0 else "_nolegend_")
ax.plot([t_obs + 1.6], px_t, "<", ms=8, color="red", label=rf"$x_t$: the column $s = t = {t_obs}$ (added by hand)")
ax.plot([-3.0], px0, ">", ms=8, color="orange", label=r"$x_0$: the column $s = -1$ (the clean end)")
ax.set_xlim(-4.0, t_obs + 2.8)  # room for the two triangles beside the point columns
ax.set_xlabel(r"time $s \leq t$ (reference grid index)")
ax.set_ylabel(r"$x_s$, " + PIXEL)
ax.set_title(r"posterior $q(x_s \mid x_t, x_0)$ of one degraded pixel, $\lambda = 0.1$", fontsize=11)
ax.set_facecolor("0.3")
fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=1, fontsize=9, facecolor="0.3",
           labelcolor="white", handlelength=4)
plt.show()
assert float(post_std[0]) == 0 and torch.allclose(post_mean[0], px0)  # the library's posterior at s = -1: x0
narrow = s_grid[post_std < std_floor].tolist()
print(f"columns drawn with std {std_floor} (their own std is smaller): s = {narrow}")
assert narrow == [-1, 0, 1, t_obs] and abs(float(xg[1] - xg[0]) - 0.005) < 1e-12

# %% [markdown]
# The bright bar at $s = t$ sits at $x_t$, and the posterior widens from it as $s$ moves away from $t$; so does the
# bar at $s = -1$ from $x_0$. The next cell measures the approach to $x_t$ over the last six grid times before $t$,
# with the clock gap $b = \bar\theta_{s:t}$, and the effect of $\lambda$:

# %%
clock = post_path.schedule.clock
last = s_early[-6:]
gap = clock(torch.tensor(t_obs)) - clock(last)  # b = thbar_{s:t}
for s_, b_, sd_ in zip(last.tolist(), gap.tolist(), post_std[-7:-1].tolist()):
    print(f"s = {s_}: clock gap b = {b_:.3f}, posterior std {sd_:.3f}, std^2 / b = {sd_ ** 2 / b_:.3f}")
ratio = post_std[-7:-1] ** 2 / gap
assert bool((post_std[-7:-1].diff() < 0).all()) and bool((gap.diff() < 0).all())  # both shrink as s -> t
assert bool((ratio.diff() > 0).all())  # std^2 / b rises steadily as s -> t
assert abs(float(ratio[0]) - 0.079) < 0.0005 and abs(float(ratio[-1]) - 0.116) < 0.0005  # from 0.079 to 0.116
# one grid step before t (s = 79): the posterior against x_t and against the marginal, which does not know x_t
m79, sd79, msd79, xt_value = float(post_mean[-2]), float(post_std[-2]), float(marg_std[-2]), float(px_t)
print(f"s = 79: posterior mean {m79:.4f}, x_t = {xt_value:.4f} (difference {m79 - xt_value:.4f}); "
      f"posterior std {sd79:.3f}, marginal std {msd79:.3f} (ratio {sd79 / msd79:.2f})")
assert int(s_grid[-2]) == 79 and abs(m79 - 0.2228) < 0.00005 and abs(xt_value - 0.2503) < 0.00005
assert abs(m79 - xt_value + 0.0275) < 0.00005 and abs(sd79 - 0.105) < 0.0005 and abs(msd79 - 0.252) < 0.0005
assert abs(sd79 / msd79 - 0.42) < 0.005
# lambda: the same pixel at section 0's lambda = 0.01
small_lam = bridges.rdbm(lam=0.01)
_, std_small = small_lam.posterior(px_t.expand(len(s_early)), px0.expand(len(s_early)), pmu.expand(len(s_early)),
                                   torch.full_like(s_early, t_obs), s_early)
std_ratio = post_std[1:-1] / std_small[1:]  # s = 0 ... 79 (s = -1 is 0 at both)
marg_small = small_lam.std(px0.expand(len(s_grid)), pmu.expand(len(s_grid)), s_grid)
print(f"largest marginal std in the picture (s = -1 to {t_obs}): {float(marg_std.max()):.3f} at lambda = 0.1, "
      f"{float(marg_small.max()):.3f} at lambda = 0.01 (+-2 std bands {4 * float(marg_std.max()):.2f} and "
      f"{4 * float(marg_small.max()):.2f} wide)")
print(f"posterior std at lambda = 0.1 / at lambda = 0.01, s = 0 to 79: from {float(std_ratio.min()):.4f} to "
      f"{float(std_ratio.max()):.4f} (sqrt(10) = {10 ** 0.5:.4f})")
assert torch.allclose(std_ratio, torch.full_like(std_ratio, 10 ** 0.5), rtol=1e-9)
assert abs(float(marg_std.max()) - 0.252) < 0.0005 and abs(float(marg_small.max()) - 0.080) < 0.0005
assert 4 * float(marg_small.max()) / 1.8 < 0.2  # the +-2 std band at lambda = 0.01: under a fifth of the axis
assert abs(4 * float(marg_small.max()) - 0.32) < 0.005 and abs(4 * float(marg_std.max()) - 1.01) < 0.005  # band widths

# %% [markdown]
# So the posterior std shrinks with the clock gap: on these times $\mathrm{std}^2/b$ rises steadily, from 0.079 at
# $s = 74$ to 0.116 at $s = 79$, while $b \to 0$ as $s \to t$ (the limit of $\mathrm{std}^2/b$ is computed in
# section 3, after exercise 02a.1). At $s = 79$, one grid step before $t$, the posterior std is 0.105, 0.42 times
# the marginal's 0.252, and the posterior mean, 0.2228, is 0.0275 below $x_t = 0.2503$: knowing $x_t$ narrows the
# posterior and pulls it to $x_t$. At $\lambda = 0.01$ every posterior std is exactly $\sqrt{10}$ times smaller, and the
# marginal's largest std in the picture is 0.080 instead of 0.252 (its $\pm 2$ std band 0.32 wide instead of 1.01,
# on an axis that spans 1.8).

# %% [markdown]
# ## Exercise 02a.1 — the posterior's variance and its weight of $x_t$
#
# Before the notebook derives the posterior's mean (section 3), derive its variance and the weight of $x_t$ in its
# mean yourself. Checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/02a_marginal_and_posterior_solutions.ipynb`.
#
# **02a.1 (derive, graded on your steps).** The posterior is
# $q(x_s\mid x_t, x_0) = \mathcal N\big(\mu + P\pi + K(x_t - \mu),\ V\pi^2\big)$: the coefficients $P$ and $K$ depend
# on the clock only, $V$ on the clock and $\lambda$. Since the $h$'s cancel (above), Bayes's rule reads
# $q(x_s = x\mid x_t, x_0) \propto p(x_s = x\mid x_0)\,p(x_t\mid x_s = x)$ with two *free* OU kernels of notebook 01.
# Derive the variance coefficient $V$ (per unit $\pi^2$) and the weight $K$ of the observation $x_t$ in the mean.
# Hand in a `dict` of five SymPy expressions, writing `x` for $x_s$ and `xt` for $x_t$ (both imported at the top),
# `a` $= \bar\theta_s$, `b` $= \bar\theta_{s:t}$ and `lam`.
# (The picture's `post_path.posterior` gives the posterior as numbers on the grid, not as a formula.)
#
# - `"log_prior"`: $\log p(x_s = x\mid x_0)$; terms free of $x$ may be dropped;
# - `"log_kernel"`: $\log p(x_t\mid x_s = x)$; terms free of $x$ may be dropped;
# - `"precision"`: minus the second $x$-derivative of `log_prior + log_kernel`: an expression in `a`, `b`, `lam`
#   and `pi` (any equivalent form is accepted);
# - `"V"`: the posterior variance per unit $\pi^2$: an expression in `a`, `b` and `lam`;
# - `"K"`: the coefficient of $x_t$ in the posterior mean (the mean is where the $x$-derivative of
#   `log_prior + log_kernel` vanishes; $K$ is its derivative in $x_t$): an expression in `a` and `b`.
#
# A final formula alone is refused: the checker grades the steps. **Do the exercise before you read on:** section 3
# below derives the posterior's mean and variance, and its displays of $K$ and $V$ are answers.

# %%
from rdbm_course.exercises import check

answer_02a_1 = ...  # {"log_prior": ..., "log_kernel": ..., "precision": ..., "V": ..., "K": ...}
check("02a.1", answer_02a_1)

# %% [markdown]
# ## 3. The posterior's mean and its endpoints
#
# SymPy, as for the marginal, but on the bridge's own route (exercise 02a.1 took the shorter one, with the $h$'s
# cancelled by hand): the log of the bridge marginal at $s$, plus the log of the free kernel
# $p(x_t\mid x_s)$, minus $\log h(x_s, s)$, with $x$ for $x_s$ and the clock $a + b + \bar\theta_{t:T}$ at $T$. The
# sum, $\log q(x_s = x\mid x_t, x_0)$ up to a constant, is a quadratic in $x$, so its $x$-derivative is linear in $x$
# and vanishes at exactly one point: the posterior mean; minus the slope of that derivative is the precision, one
# over the posterior variance (the helper returns the two). The mean is affine
# in $\pi$ and in $x_t - \mu$; its two coefficients, read off as derivatives, in the increments $a = \bar\theta_s$,
# $b = \bar\theta_{s:t}$:

# %%
def posterior_by_bayes():
    """Mean and variance of q(x_s = x | x_t, x0) on the bridge's route (clock a + b + d at T)."""
    from derivations import ou
    from derivations.family import Sigma2, bridge_mean

    c_T = a + b + d
    log_post = (gaussian_log(x, bridge_mean(a, c_T), Sigma2(a, c_T) * pi ** 2)
                + ou.kernel_logpdf(xt, x, b) - ou.kernel_logpdf(mu, x, c_T - a))
    slope_form = sp.expand(sp.diff(log_post, x))  # linear in x: (coefficient of x) x + (constant)
    return -slope_form.coeff(x, 0) / slope_form.coeff(x, 1), -1 / slope_form.coeff(x, 1)  # its root; 1 / precision


post_mean_bayes, post_var_bayes = posterior_by_bayes()
P_bayes, K_bayes = readable(sp.diff(post_mean_bayes, pi)), readable(sp.diff(post_mean_bayes, xt))
show(r"P = \partial_\pi\,\mathrm{mean}", short(P_bayes))
show(r"K = \partial_{x_t}\mathrm{mean}", short(K_bayes))
agree(r"\mathrm{mean}", short(post_mean_bayes), r"\mu + P\pi + K(x_t - \mu)",
      short(mu + P_bayes * pi + K_bayes * (xt - mu)), gens=SHORT_EXP)

# %% [markdown]
# In hyperbolic form the mean is $\mu + P\pi + K(x_t - \mu)$ with $P = \sinh b/\sinh(a + b)$ and
# $K = \sinh a/\sinh(a + b)$ (the same fractions in $A = e^a$, $B = e^b$), and $\bar\theta_{t:T}$ has dropped out.
# Then two checks of the mean at its endpoints: it reaches $x_t$ as $s \to t$ ($b \to 0$), and it reaches
# $x_0 = \mu + \pi$ at the clean end ($a \to 0$). The posterior is the OU bridge from $x_0$ (at the clean end) to
# $x_t$ (at $t$). The last two lines run the package's facts `posterior.mean` and `posterior.endpoints` of
# `docs/theory.md` §5 (the second also checks that the variance vanishes at both ends; the picture of section 2 shows
# the approach).

# %%
P_sinh, K_sinh = sp.sinh(b) / sp.sinh(a + b), sp.sinh(a) / sp.sinh(a + b)
agree(r"P", short(P_bayes), r"\frac{\sinh b}{\sinh(a + b)}", short(P_sinh), gens=SHORT_EXP)
agree(r"K", short(K_bayes), r"\frac{\sinh a}{\sinh(a + b)}", short(K_sinh), gens=SHORT_EXP)
claimed_mean = mu + P_sinh * pi + K_sinh * (xt - mu)
limit(claimed_mean, b, 0, xt, lhs=r"\lim_{b \to 0}\big(\mu + P\pi + K(x_t - \mu)\big)")
limit(claimed_mean, a, 0, mu + pi, lhs=r"\lim_{a \to 0}\big(\mu + P\pi + K(x_t - \mu)\big)")
fact("posterior.mean", "5.1", "5.2", "5.3")  # the package's Bayes route against the sinh form of the mean
fact("posterior.endpoints", "5.1")  # the point masses at x_t (s -> t) and at x0 (the clean end)

# %% [markdown]
# **The variance.** From the same quadratic, $V$ (per unit $\pi^2$) is $2\lambda\sinh a\,\sinh b/\sinh(a + b)$: the
# marginal's $\Sigma_t^2$ with $u = a$ and $c = a + b$, the variance of the shorter bridge from $x_0$ at clock 0 to
# $x_t$ at clock $a + b$. As $b \to 0$, $V/b \to 2\lambda$, so $\mathrm{std}^2/b = V\pi^2/b \to 2\lambda\pi^2$: for the
# pixel of section 2 that is 0.128, the value its printed ratios (0.079 at $s = 74$ to 0.116 at $s = 79$) rise
# towards.

# %%
def posterior_variance_checks():
    """V from the bridge's route against the sinh form and the marginal's Sigma_t^2 at u = a, c = a + b."""
    from derivations.family import Sigma2

    V_sinh = 2 * lam * sp.sinh(a) * sp.sinh(b) / sp.sinh(a + b)
    agree(r"V", short(post_var_bayes / pi ** 2), r"\frac{2\lambda\sinh a\,\sinh b}{\sinh(a + b)}", short(V_sinh),
          gens=SHORT_EXP)
    vanishes(r"V - \Sigma_t^2\big|_{u = a,\ c = a + b}", short(V_sinh - Sigma2(a, a + b)), gens=SHORT_EXP)
    limit(V_sinh / b, b, 0, 2 * lam, lhs=r"\lim_{b \to 0}\frac{V}{b}")


posterior_variance_checks()
std2_slope = 2 * post_path.lam * float(px0 - pmu) ** 2  # 2 lam pi^2, section 2 pixel: lam = 0.1, |pi| = 0.8
print(f"2 lam pi^2 = {std2_slope:.3f}; std^2 / b printed in section 2: {float(ratio[0]):.3f} at s = 74 to "
      f"{float(ratio[-1]):.3f} at s = 79")
assert abs(std2_slope - 0.128) < 1e-12 and float(ratio.max()) < std2_slope and post_path.lam == 0.1

# %% [markdown]
# ## Exercise 02a.2
#
# Checked like 02a.1 (worked solutions: `solutions/02a_marginal_and_posterior_solutions.ipynb`).
#
# **02a.2 (predict, then check).** An ancestral sampler draws in two stages. Take the pixel of section 2's picture
# ($x_0 = 0.6$, $\mu = -0.2$, $\lambda = 0.1$ on the reference grid) and two grid times $s = 75 < t = 80$. First draw
# $x_t$ from the marginal $q(x_t\mid x_0)$; then draw $x_s$ from the posterior $q(x_s\mid x_t, x_0)$ with that $x_t$.
# Repeat many times. How does the standard deviation of the $x_s$ drawn compare with the standard deviation
# $\Sigma_s|\pi|$ of the marginal $q(x_s\mid x_0)$?
#
# - (i) smaller: each posterior is narrower than the marginal (the picture), so their mixture is too;
# - (ii) equal: the $x_s$ drawn are distributed as the marginal $q(x_s\mid x_0)$;
# - (iii) larger: the randomness of $x_t$ and the randomness of the posterior add up.
#
# Answer with the numeral as a string; the checker computes the spread from the library's posterior.

# %%
answer_02a_2 = ...  # "i", "ii" or "iii"
check("02a.2", answer_02a_2)
