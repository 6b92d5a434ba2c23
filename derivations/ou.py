"""Fact 1: the mean-reverting OU SDE with residual-modulated noise.

    dx_t = theta_t (mu - x_t) dt + sqrt(2 lam theta_t) pi dw_t

In the clock ``u = thbar_t`` (``du = theta_t dt``) this is the *autonomous* SDE
``dx = (mu - x) du + sqrt(2 lam) pi dW_u``.  With ``y = x - mu`` the integrating
factor ``e^u`` gives ``d(e^u y) = e^u sqrt(2 lam) pi dW_u``, hence

    y_t = e^{-(u_t - u_s)} y_s + sqrt(2 lam) pi int_{u_s}^{u_t} e^{-(u_t - r)} dW_r

so ``x_t | x_s`` is Gaussian: mean by the integrating factor, variance by Ito's
isometry.  Every check returns a residual that must be 0 (or a limit).
"""
from __future__ import annotations

import sympy as sp

from . import family
from .common import (gaussian_log, fokker_planck_residual, ito_moment_odes, lam, mu, pi, t,
                     theta, x, xs, zero, zeros)

tau = sp.Symbol("tau", positive=True)  # a clock lag thbar_{s:t} > 0
tau1, tau2 = sp.symbols("tau_1 tau_2", positive=True)
M, V = sp.symbols("m v", real=True)


def drift_t(z=x):
    """Drift in time ``t``: ``theta_t (mu - x)``."""
    return theta * (mu - z)


def g2_t():
    """Squared diffusion in time ``t``: ``2 lam theta_t pi^2``."""
    return 2 * lam * theta * pi ** 2


def moment_odes():
    """``(m', v')`` of the OU SDE from Ito's formula (time ``t``)."""
    return ito_moment_odes(drift_t(), g2_t(), x, M, V)


def check_moment_odes():
    """Ito: ``m' = theta (mu - m)`` and ``v' = -2 theta v + 2 lam theta pi^2``."""
    dm, dv = moment_odes()
    return zeros(dm - theta * (mu - M), dv - (-2 * theta * V + 2 * lam * theta * pi ** 2))


def mean_by_integrating_factor():
    """Solve ``m_tau = mu - m`` (clock form), ``m(0) = x_s``: multiply by ``e^tau``, integrate."""
    k = sp.Symbol("k")  # the constant e^tau (m - mu)
    # d/dtau [e^tau (m - mu)] = e^tau (m_tau + m - mu) = e^tau * 0  ->  e^tau (m - mu) = k
    mean = mu + k * sp.exp(-tau)
    return mean.subs(k, (xs - mu))  # k fixed by m(0) = x_s


def check_mean_integrating_factor():
    """The integrating-factor mean equals ``dsolve``'s and solves the mean ODE."""
    f = sp.Function("m")
    sol = sp.dsolve(sp.Eq(f(tau).diff(tau), mu - f(tau)), f(tau), ics={f(0): xs}).rhs
    mine = mean_by_integrating_factor()
    ode = sp.diff(mine, tau) - (mu - mine)
    return zeros(sol - mine, ode, mine.subs(tau, 0) - xs)


def variance_by_ito_isometry():
    """``Var = int_0^tau (e^{-(tau - r)} sqrt(2 lam) pi)^2 dr`` (Ito isometry, clock form)."""
    r = sp.Symbol("r", positive=True)
    return sp.integrate(sp.exp(-2 * (tau - r)) * 2 * lam * pi ** 2, (r, 0, tau))


def check_variance_ito_isometry():
    """Ito isometry gives ``lam pi^2 (1 - e^{-2 tau})``."""
    return zero(variance_by_ito_isometry() - family.ou_var(tau), {tau: sp.Symbol("E", positive=True)})


def check_variance_ode():
    """``dsolve`` of ``v_tau = -2 v + 2 lam pi^2``, ``v(0) = 0`` gives the same variance."""
    f = sp.Function("v")
    sol = sp.dsolve(sp.Eq(f(tau).diff(tau), -2 * f(tau) + 2 * lam * pi ** 2), f(tau), ics={f(0): 0}).rhs
    return zero(sol - family.ou_var(tau), {tau: sp.Symbol("E", positive=True)})


def check_time_change():
    """With a general schedule ``thbar(t)`` (``thbar' = theta``), ``m = mu + e^{-thbar_t} pi`` and
    ``v = lam (1 - e^{-2 thbar_t}) pi^2`` solve the moment ODEs *in t*: the clock removes theta."""
    F = sp.Function("thetabar")(t)
    mean = family.ou_mean(F)
    var = family.ou_var(F)
    r1 = sp.diff(mean, t) - theta * (mu - mean)
    r2 = sp.diff(var, t) - (-2 * theta * var + 2 * lam * theta * pi ** 2)
    uu = sp.Symbol("uu", positive=True)
    r1, r2 = (r.subs(sp.Derivative(F, t), theta).subs(F, uu) for r in (r1, r2))
    return zeros(r1, r2, gens={uu: sp.Symbol("E", positive=True)})


def kernel_logpdf(z, x_start, lag, target=mu, noise=pi):
    """``log p(x_t = z | x_s = x_start)`` for the clock lag ``lag = thbar_{s:t}``."""
    return gaussian_log(z, family.ou_mean(lag, x_start, target), family.ou_var(lag, noise))


def check_kernel_fokker_planck():
    """The transition density solves ``p_tau = -d/dx[(mu - x) p] + lam pi^2 p_xx`` (clock form)."""
    logp = kernel_logpdf(x, xs, tau)
    res = fokker_planck_residual(logp, x, tau, mu - x, lam * pi ** 2)
    return zero(res, {tau: sp.Symbol("E", positive=True)})


def check_chapman_kolmogorov():
    """Composing the kernel over lags ``tau_1`` then ``tau_2`` gives the kernel over ``tau_1 + tau_2``
    (mean and variance)."""
    m1 = family.ou_mean(tau1, xs)
    m12 = family.ou_mean(tau2, m1)
    v12 = sp.exp(-2 * tau2) * family.ou_var(tau1) + family.ou_var(tau2)
    E1, E2 = sp.symbols("E1 E2", positive=True)
    gens = {tau1: E1, tau2: E2}
    return zeros(m12 - family.ou_mean(tau1 + tau2, xs), v12 - family.ou_var(tau1 + tau2), gens=gens)


def check_stationary_variance():
    """``lam`` is the stationary variance: ``Var -> lam pi^2`` as ``thbar -> oo``."""
    return sp.limit(family.ou_var(tau), tau, sp.oo)


def check_marginal_from_x0():
    """With ``x_s = x0 = mu + pi`` at ``thbar = 0`` the kernel gives the marginal of ``docs/theory.md`` eq. 2.5
    ``N(mu + e^{-thbar_t} pi, lam (1 - e^{-2 thbar_t}) pi^2)``: the mean by the integrating factor, the
    variance by Ito's isometry (a deterministic start adds no variance), both against ``docs/theory.md`` eq. 2.5
    written out here (not :mod:`family`).  Mutation tried: the variance ``lam (1 - e^{-thbar_t}) pi^2``
    (rate 1 instead of 2) -> fails."""
    mean = mean_by_integrating_factor().subs(xs, mu + pi)
    var = variance_by_ito_isometry()
    theory_mean, theory_var = mu + sp.exp(-tau) * pi, lam * (1 - sp.exp(-2 * tau)) * pi ** 2
    return zeros(mean - theory_mean, var - theory_var, gens={tau: sp.Symbol("E", positive=True)})


FACTS = [
    ("ou.moment_odes_from_ito", check_moment_odes, 0,
     "Ito: m' = theta (mu - m), v' = -2 theta v + 2 lam theta pi^2"),
    ("ou.mean_integrating_factor", check_mean_integrating_factor, 0,
     "mean mu + e^{-thbar_{s:t}} (x_s - mu) (integrating factor = dsolve)"),
    ("ou.variance_ito_isometry", check_variance_ito_isometry, 0,
     "variance lam (1 - e^{-2 thbar_{s:t}}) pi^2 by Ito's isometry"),
    ("ou.variance_ode", check_variance_ode, 0, "the variance ODE gives the same variance"),
    ("ou.time_change", check_time_change, 0, "in t, for any theta_t > 0, via thbar' = theta"),
    ("ou.marginal_from_x0", check_marginal_from_x0, 0, "x_t | x0 ~ N(mu + e^{-thbar_t} pi, lam (1 - e^{-2 thbar_t}) pi^2)"),
    ("ou.kernel_fokker_planck", check_kernel_fokker_planck, 0,
     "the Gaussian kernel p(x_t | x_s) solves the Fokker-Planck equation"),
    ("ou.chapman_kolmogorov", check_chapman_kolmogorov, 0, "kernel composition (mean and variance)"),
    ("ou.stationary_variance", check_stationary_variance, lam * pi ** 2,
     "lam is the stationary variance: Var -> lam pi^2"),
]
