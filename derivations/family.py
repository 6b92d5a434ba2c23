"""The closed forms *stated* in ``docs/theory.md`` (eqs. 2.5, 3.5, 4.2, 5.2, 7.2, 8.1), as SymPy expressions.

The other modules derive these objects from first principles and check that
the derivation agrees with the claim.  All functions take clock values
(``thbar``), never times, so they hold for every schedule ``theta_t > 0``.
"""
from __future__ import annotations

import sympy as sp

from .common import lam, mu, pi, x


def ou_mean(u, x_start=None, target=mu):
    """Unpinned OU mean after a clock lag ``u``: ``m + e^{-u} (x_start - m)`` (default ``x_start = x0``)."""
    x_start = target + pi if x_start is None else x_start
    return target + sp.exp(-u) * (x_start - target)


def ou_var(u, noise=pi):
    """Unpinned OU variance after a clock lag ``u``: ``lam (1 - e^{-2u}) s(pi)^2``."""
    return lam * (1 - sp.exp(-2 * u)) * noise ** 2


def Theta(u, c):
    """``Theta_t = sinh(thbar_{t:T}) / sinh(thbar_T)`` with ``u = thbar_t``, ``c = thbar_T``."""
    return sp.sinh(c - u) / sp.sinh(c)


def Psi(u, c):
    """``Psi_t = sinh(thbar_t) / sinh(thbar_T)``: coefficient of ``x_T - m`` for a general target ``m``."""
    return sp.sinh(u) / sp.sinh(c)


def Sigma2(u, c):
    """``Sigma_t^2 = 2 lam sinh(thbar_t) sinh(thbar_{t:T}) / sinh(thbar_T)`` (before the factor ``s(pi)^2``)."""
    return 2 * lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)


def bridge_mean(u, c):
    """RDBM marginal mean ``mu + Theta_t pi``."""
    return mu + Theta(u, c) * pi


def bridge_drift(u, c, z=x):
    """h-transformed drift per unit clock: ``coth(thbar_{t:T}) (mu - x)``."""
    return sp.coth(c - u) * (mu - z)


def posterior_coefficients(a, b):
    """``q(x_s | x_t, x0)`` with ``a = thbar_s``, ``b = thbar_{s:t}``:

    mean ``mu + P pi + K (x_t - mu)``, variance ``V pi^2`` where
    ``P = sinh(b)/sinh(a+b)``, ``K = sinh(a)/sinh(a+b)``, ``V = 2 lam sinh(a) sinh(b)/sinh(a+b)``.
    """
    st = sp.sinh(a + b)
    return sp.sinh(b) / st, sp.sinh(a) / st, 2 * lam * sp.sinh(a) * sp.sinh(b) / st


def pf_velocity(z, u, c, pi_hat):
    """PF-ODE velocity per unit clock with ``x0`` replaced by ``mu + pi_hat``:

    ``coth(thbar_{t:T}) (mu - x) + lam (x - mu - Theta_t pi_hat) / Sigma_t^2``.
    """
    return bridge_drift(u, c, z) + lam * (z - mu - Theta(u, c) * pi_hat) / Sigma2(u, c)


def implicit_step(x_t, u_s, u_t, c, pi_hat, rho2=0, noise=0):
    """Generalised implicit step from clock ``u_t`` to ``u_s < u_t`` (docs/theory.md eqs. 8.1-8.2):

    ``mu + Theta_s pi_hat + sqrt(Sigma_s^2 - rho^2)/Sigma_t (x_t - mu - Theta_t pi_hat) + rho z``
    (``noise`` is ``s(pi_hat) z``).
    """
    coef = sp.sqrt((Sigma2(u_s, c) - rho2) / Sigma2(u_t, c))
    return (mu + Theta(u_s, c) * pi_hat + coef * (x_t - mu - Theta(u_t, c) * pi_hat)
            + sp.sqrt(rho2) * noise)
