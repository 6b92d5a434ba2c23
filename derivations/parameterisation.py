"""Fact 6: why RDBM predicts ``x0`` and not the noise.

Under modulation ``x_t - mu = (Theta_t + Sigma_t eps) pi``.  Recovering ``pi``
from a noise prediction means dividing by the *random* quantity
``Theta_t + Sigma_t eps``, which vanishes at ``eps* = -Theta_t / Sigma_t``.
Near ``T`` that pole moves to ``eps* -> 0``, the mode of ``N(0, 1)``; since the
Gaussian density is positive there and ``int dz/|z|`` diverges, even
``E|pi_hat|`` is infinite.  With global noise (``x_t - mu = Theta pi + Sigma eps``)
the division is by the deterministic ``Theta_t > 0`` instead, well posed for
``t < T`` but amplified by ``Sigma_t/Theta_t -> oo`` near ``T``.  Predicting ``x0``
gives ``pi_hat = x0_hat - mu`` with no division at all.
"""
from __future__ import annotations

import sympy as sp

from . import family
from .common import c, d, eps, lam, mu, pi, u, xt, zero, zeros

Th, Sg = sp.symbols("Theta_t Sigma_t", positive=True)
eps_hat = sp.Symbol("epsilonhat", real=True)


def solve_modulated():
    """``pi`` from ``x_t - mu = (Theta + Sigma eps) pi`` (``sympy.solve``)."""
    (sol,) = sp.solve(sp.Eq(xt - mu, (Th + Sg * eps) * pi), pi)
    return sol


def solve_global():
    """``pi`` from ``x_t - mu = Theta pi + Sigma eps`` (global noise)."""
    (sol,) = sp.solve(sp.Eq(xt - mu, Th * pi + Sg * eps), pi)
    return sol


def modulated_path():
    """``x_t = mu + Theta_t pi + Sigma_t eps pi`` with the family's coefficients (RDBM's forward sample)."""
    return family.bridge_mean(u, c) + sp.sqrt(family.Sigma2(u, c)) * eps * pi


def global_path():
    """``x_t = mu + Theta_t pi + Sigma_t eps`` (global noise) with the family's coefficients."""
    return family.bridge_mean(u, c) + sp.sqrt(family.Sigma2(u, c)) * eps


def _family_coefficients():
    return {Th: family.Theta(u, c), Sg: sp.sqrt(family.Sigma2(u, c))}


def check_modulated_division():
    """Noise prediction under modulation: ``pi = (x_t - mu) / (Theta_t + Sigma_t eps)``.  Checked on the
    family's forward sample (not on the equation it was solved from): the formula recovers ``pi``, and at
    the pole ``eps* = -Theta_t/Sigma_t`` the sample no longer depends on ``pi`` (``x_t = mu`` for every
    ``pi``), so no formula can recover it there.  Mutation tried: the global-noise inverse
    ``(x_t - mu - Sigma eps)/Theta`` on the modulated sample -> fails."""
    x_t = modulated_path()
    recovered = solve_modulated().subs(_family_coefficients()).subs(xt, x_t)
    at_pole = x_t.subs(eps, pole().subs(_family_coefficients()))
    return zeros(recovered - pi, sp.diff(at_pole, pi))


def pole():
    """The noise value at which ``Theta_t + Sigma_t eps`` vanishes."""
    (e_star,) = sp.solve(Th + Sg * eps, eps)
    return e_star


def check_pole_moves_to_mode():
    """``eps* = -Theta_t/Sigma_t -> 0`` as ``t -> T``: the pole sits at the mode of ``N(0, 1)``."""
    e_star = pole().subs({Th: family.Theta(c - d, c), Sg: sp.sqrt(family.Sigma2(c - d, c))})
    return sp.limit(e_star, d, 0)


def check_sensitivity():
    """``d pi_hat / d eps_hat = -Sigma (x_t - mu)/(Theta + Sigma eps_hat)^2``: unbounded near the pole.
    Returns ``lim |d pi_hat/d eps_hat|`` as ``eps_hat -> eps*`` (expected ``oo``) once the derivative
    formula holds (else its residual).  Mutation tried: the global-noise inverse, whose sensitivity is
    the bounded ``-Sigma/Theta`` -> the limit is finite, fails."""
    pi_hat = solve_modulated().subs(eps, eps_hat)
    deriv = sp.diff(pi_hat, eps_hat)
    residual = zero(deriv + Sg * (xt - mu) / (Th + Sg * eps_hat) ** 2)
    if residual != 0:
        return sp.Tuple(residual)
    return sp.limit(sp.Abs(deriv).subs(xt, mu + 1), eps_hat, pole(), "+")


def check_inverse_moment_diverges():
    """``E|1/(Theta + Sigma eps)| = oo`` for ``eps ~ N(0, 1)``: on ``eps = eps* + z``, ``z in (0, 1]``, the
    integrand ``phi(eps* + z) / (Sigma z)`` is at least ``min(phi(eps*), phi(eps* + 1)) / (Sigma z)`` (``phi`` is
    unimodal, so its minimum on an interval is at an end), whose integral diverges.  Checked: the integrand
    times ``z`` tends to ``phi(eps*)/Sigma > 0`` (a ``1/z`` singularity) and the lower bound integrates to ``oo``.  Mutation tried: the global-noise divisor ``Theta`` (deterministic) -> the
    expectation is ``1/Theta``, finite: fails."""
    z = sp.Symbol("z", positive=True)
    phi = lambda e: sp.exp(-e ** 2 / 2) / sp.sqrt(2 * sp.pi)  # noqa: E731
    e_star = pole()
    integrand = phi(e_star + z) / sp.Abs(Th + Sg * (e_star + z))
    rate = sp.limit(z * integrand, z, 0, "+")
    if not rate.is_positive:
        return sp.Tuple(rate)
    lower = sp.Min(phi(e_star), phi(e_star + 1))  # phi is unimodal: its minimum on [e*, e* + 1] is at an end
    return sp.integrate(lower / (Sg * z), (z, 0, 1))


def check_global_division():
    """Global noise: ``pi = (x_t - mu - Sigma eps) / Theta`` (deterministic divisor): the formula recovers
    ``pi`` from the family's global-noise sample, and its divisor ``Theta_t = sinh(thbar_{t:T})/sinh(thbar_T)``
    is positive for every ``t < T`` and does not depend on the data or the noise.  Mutation tried: the
    modulated inverse ``(x_t - mu)/(Theta + Sigma eps)`` on the global sample -> fails."""
    recovered = solve_global().subs(_family_coefficients()).subs(xt, global_path())
    divisor = family.Theta(c - d, c)  # thbar_t = thbar_T - d, d = thbar_{t:T} > 0
    if not (divisor.is_positive and divisor.free_symbols <= {c, d}):
        return sp.Tuple(divisor)
    return zero(recovered - pi)


def check_global_amplification():
    """Global noise, noise prediction: a unit error in ``eps_hat`` costs ``Sigma_t/Theta_t -> oo`` in ``pi`` near ``T``."""
    ratio = sp.sqrt(family.Sigma2(c - d, c)) / family.Theta(c - d, c)
    return sp.limit(ratio, d, 0)


def check_x0_prediction():
    """Predicting ``x0``: the sampler's step (the implicit step, any ``eta``, :func:`family.implicit_step`)
    is affine in ``x0_hat`` with a slope that depends only on the clock and ``lam`` -- not on ``x_t``,
    ``x0_hat``, ``mu`` or the noise: nothing is divided by a data-dependent quantity.  Mutation tried:
    feeding the step the modulated noise inverse ``x0_hat = mu + (x_t - mu)/(Theta_t + Sigma_t eps_hat)``
    -> its slope in ``eps_hat`` depends on ``x_t`` and ``eps_hat``: fails."""
    x0_hat, us, rho2, z = sp.Symbol("x0hat", real=True), sp.Symbol("u_s", positive=True), \
        sp.Symbol("rho2", positive=True), sp.Symbol("z", real=True)
    step = family.implicit_step(xt, us, u, c, x0_hat - mu, rho2, z)
    slope = sp.diff(step, x0_hat)
    clock_only = slope.free_symbols <= {us, u, c, lam, rho2}
    return zeros(sp.diff(step, x0_hat, 2)) if clock_only else sp.Tuple(slope)


FACTS = [
    ("parameterisation.modulated_noise_divides", check_modulated_division, 0,
     "pi = (x_t - mu)/(Theta_t + Sigma_t eps)"),
    ("parameterisation.pole_moves_to_mode", check_pole_moves_to_mode, 0, "eps* = -Theta/Sigma -> 0 as t -> T"),
    ("parameterisation.sensitivity", check_sensitivity, sp.oo,
     "d pi_hat/d eps_hat = -Sigma (x_t - mu)/(Theta + Sigma eps)^2, unbounded at the pole"),
    ("parameterisation.inverse_moment_diverges", check_inverse_moment_diverges, sp.oo,
     "E|1/(Theta + Sigma eps)| = oo for eps ~ N(0, 1)"),
    ("parameterisation.global_noise_divides_by_theta", check_global_division, 0, "global: pi = (x_t - mu - Sigma eps)/Theta"),
    ("parameterisation.global_amplification", check_global_amplification, sp.oo, "Sigma_t/Theta_t -> oo as t -> T"),
    ("parameterisation.x0_prediction_no_division", check_x0_prediction, 0, "x0-prediction: nothing divides by data"),
]
