"""Fact 3: the RDBM bridge marginal, by Bayes (a), the moment ODEs (b) and the Fokker-Planck equation (c).

    x_t | x0, mu ~ N(mu + Theta_t pi, Sigma_t^2 pi^2)
    Theta_t = sinh(thbar_{t:T}) / sinh(thbar_T),
    Sigma_t^2 = 2 lam sinh(thbar_t) sinh(thbar_{t:T}) / sinh(thbar_T)

(a) Bayes: ``q(x_t | x0, x_T = mu) ∝ p(x_t | x0) p(x_T = mu | x_t)``, a product of
    two Gaussians in ``x_t`` (complete the square);
(b) the mean and variance solve the moment ODEs of the bridge SDE (Ito) with the
    right initial values, hence are *the* solution;
(c) the sinh form has the boundary values ``Theta_0 = 1, Sigma_0 = 0`` (``x = x0``)
    and ``Theta_T = 0, Sigma_T = 0`` (``x = mu``); the Gaussian density also solves
    the Fokker-Planck equation of the bridge SDE.
"""
from __future__ import annotations

import sympy as sp

from . import family, hbridge, ou
from .common import (c, complete_square, exp_to_rational, fokker_planck_residual, gaussian_log, ito_moment_odes,
                     lam, mu, pi, t, theta, u, x, zero, zeros)

M, V = sp.symbols("m v", real=True)


def product_of_gaussians():
    """Mean and variance of ``p(x_t = x | x0) p(x_T = mu | x_t = x)`` as a density in ``x``."""
    logq = ou.kernel_logpdf(x, mu + pi, u) + hbridge.log_h(x)
    return complete_square(exp_to_rational(logq), x)


def check_gaussian_product():
    """(a) The product of Gaussians has mean ``mu + Theta pi`` and variance ``Sigma^2 pi^2`` (sinh form)."""
    mean, var = product_of_gaussians()
    return zeros(mean - family.bridge_mean(u, c), var - family.Sigma2(u, c) * pi ** 2)


def bridge_moment_odes():
    """``(m', v')`` of the bridge SDE ``dx = theta coth(thbar_{t:T}) (mu - x) dt + sqrt(2 lam theta) pi dw``."""
    return ito_moment_odes(theta * family.bridge_drift(u, c), ou.g2_t(), x, M, V)


def check_moment_odes():
    """(b) ``m = mu + Theta pi``, ``v = Sigma^2 pi^2`` solve ``m' = -theta coth(thbar_{t:T}) (m - mu)``,
    ``v' = -2 theta coth(thbar_{t:T}) v + 2 lam theta pi^2`` for any schedule (``thbar' = theta``)."""
    F = sp.Function("thetabar")(t)
    dm, dv = bridge_moment_odes()
    mean, var = family.bridge_mean(F, c), family.Sigma2(F, c) * pi ** 2
    r1 = sp.diff(mean, t) - dm.subs({M: mean, V: var, u: F})
    r2 = sp.diff(var, t) - dv.subs({M: mean, V: var, u: F})
    r1, r2 = (r.subs(sp.Derivative(F, t), theta).subs(F, u) for r in (r1, r2))
    return zeros(r1, r2)


def check_initial_values():
    """(b) With the initial values ``m(0) = x0``, ``v(0) = 0`` the moment ODEs (clock form)
    ``m' = -coth(c - u)(m - mu)``, ``v' = -2 coth(c - u) v + 2 lam pi^2`` have the closed form as their solution:
    the ODEs are integrated numerically from those initial values (mpmath's Taylor integrator, 30 digits;
    independent of the closed form) and compared with ``mu + Theta pi``, ``Sigma^2 pi^2`` at four clocks up to
    ``0.9 c`` (``c = 3``, ``lam = 0.3``, ``mu = 0.2``, ``pi = -0.7``).  Returns the largest error.
    Mutation tried: the variance ``2 lam sinh(u)^2 / sinh(c)`` in the closed form -> errors up to 1.5: fails."""
    import mpmath  # noqa: PLC0415

    cv, lv, muv, piv = 3, mpmath.mpf("0.3"), mpmath.mpf("0.2"), mpmath.mpf("-0.7")
    with mpmath.workdps(30):
        rhs = lambda uu, y: [-mpmath.coth(cv - uu) * (y[0] - muv),  # noqa: E731
                             -2 * mpmath.coth(cv - uu) * y[1] + 2 * lv * piv ** 2]
        sol = mpmath.odefun(rhs, 0, [muv + piv, mpmath.mpf(0)])
        closed = sp.lambdify((u, c, lam, mu, pi), (family.bridge_mean(u, c), family.Sigma2(u, c) * pi ** 2), "mpmath")
        err = 0
        for uv in (mpmath.mpf("0.3"), mpmath.mpf("1.1"), mpmath.mpf("2.0"), mpmath.mpf("2.7")):
            m_num, v_num = sol(uv)
            m_cf, v_cf = closed(uv, cv, lv, muv, piv)
            err = max(err, abs(m_num - m_cf), abs(v_num - v_cf))
    return sp.Float(float(err))


def check_boundary_values():
    """(c) ``Theta_0 = 1, Sigma_0 = 0, Theta_T = 0, Sigma_T = 0`` and both are continuous at ``T``."""
    return zeros(family.Theta(0, c) - 1, family.Sigma2(0, c), family.Theta(c, c), family.Sigma2(c, c),
                 sp.limit(family.Theta(u, c), u, c), sp.limit(family.Sigma2(u, c), u, c))


def check_fokker_planck():
    """(c) ``N(mu + Theta pi, Sigma^2 pi^2)`` solves the bridge's Fokker-Planck equation (clock form)."""
    logq = gaussian_log(x, family.bridge_mean(u, c), family.Sigma2(u, c) * pi ** 2)
    return zero(fokker_planck_residual(logq, x, u, family.bridge_drift(u, c), lam * pi ** 2))


FACTS = [
    ("marginal.a_gaussian_product", check_gaussian_product, 0,
     "p(x_t|x0) p(x_T=mu|x_t) = N(mu + Theta pi, Sigma^2 pi^2)"),
    ("marginal.b_moment_odes", check_moment_odes, 0, "closed form solves the bridge moment ODEs"),
    ("marginal.b_initial_values", check_initial_values, 0,
     "the moment ODEs solved numerically from M = x0, Q = 0 at u = 0 (mpmath Taylor, 30 digits, 4 clocks) give "
     "the closed form", 1e-20),
    ("marginal.c_boundary_values", check_boundary_values, 0, "Theta_0=1, Sigma_0=0, Theta_T=0, Sigma_T=0"),
    ("marginal.c_fokker_planck", check_fokker_planck, 0, "closed form solves the bridge Fokker-Planck equation"),
]
