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
from .common import c, d, eps, mu, pi, u, xt, zero, zeros

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


def check_modulated_division():
    """Noise prediction under modulation: ``pi = (x_t - mu) / (Theta_t + Sigma_t eps)``."""
    return zero(solve_modulated() - (xt - mu) / (Th + Sg * eps))


def pole():
    """The noise value at which ``Theta_t + Sigma_t eps`` vanishes."""
    (e_star,) = sp.solve(Th + Sg * eps, eps)
    return e_star


def check_pole_moves_to_mode():
    """``eps* = -Theta_t/Sigma_t -> 0`` as ``t -> T``: the pole sits at the mode of ``N(0, 1)``."""
    e_star = pole().subs({Th: family.Theta(c - d, c), Sg: sp.sqrt(family.Sigma2(c - d, c))})
    return sp.limit(e_star, d, 0)


def check_sensitivity():
    """``d pi_hat / d eps_hat = -Sigma (x_t - mu)/(Theta + Sigma eps_hat)^2``: unbounded near the pole."""
    pi_hat = solve_modulated().subs(eps, eps_hat)
    return zero(sp.diff(pi_hat, eps_hat) + Sg * (xt - mu) / (Th + Sg * eps_hat) ** 2)


def check_inverse_moment_diverges():
    """``int_0^1 dz / z = oo``: ``1/(Theta + Sigma eps)`` has no finite mean under a density positive at the pole."""
    z = sp.Symbol("z", positive=True)
    return sp.integrate(1 / z, (z, 0, 1))


def check_global_division():
    """Global noise: ``pi = (x_t - mu - Sigma eps) / Theta`` (deterministic divisor)."""
    return zero(solve_global() - (xt - mu - Sg * eps) / Th)


def check_global_amplification():
    """Global noise, noise prediction: a unit error in ``eps_hat`` costs ``Sigma_t/Theta_t -> oo`` in ``pi`` near ``T``."""
    ratio = sp.sqrt(family.Sigma2(c - d, c)) / family.Theta(c - d, c)
    return sp.limit(ratio, d, 0)


def check_x0_prediction():
    """Predicting ``x0``: ``pi_hat = x0_hat - mu`` enters the path *affinely* (slope ``Theta_t``, no
    curvature): nothing is divided by a data-dependent quantity."""
    x0_hat = sp.Symbol("x0hat", real=True)
    mean = family.bridge_mean(u, c).subs(pi, x0_hat - mu)
    return zeros(sp.diff(mean, x0_hat) - family.Theta(u, c), sp.diff(mean, x0_hat, 2))


FACTS = [
    ("parameterisation.modulated_noise_divides", check_modulated_division, 0,
     "pi = (x_t - mu)/(Theta_t + Sigma_t eps)"),
    ("parameterisation.pole_moves_to_mode", check_pole_moves_to_mode, 0, "eps* = -Theta/Sigma -> 0 as t -> T"),
    ("parameterisation.sensitivity", check_sensitivity, 0, "d pi_hat/d eps_hat = -Sigma (x_t - mu)/(Theta + Sigma eps)^2"),
    ("parameterisation.inverse_moment_diverges", check_inverse_moment_diverges, sp.oo, "int_0^1 dz/z = oo"),
    ("parameterisation.global_noise_divides_by_theta", check_global_division, 0, "global: pi = (x_t - mu - Sigma eps)/Theta"),
    ("parameterisation.global_amplification", check_global_amplification, sp.oo, "Sigma_t/Theta_t -> oo as t -> T"),
    ("parameterisation.x0_prediction_no_division", check_x0_prediction, 0, "x0-prediction: nothing divides by data"),
]
