"""Fact 4: the posterior ``q(x_s | x_t, x0)`` for ``0 < s < t < T`` and Chapman-Kolmogorov.

Clock increments: ``a = thbar_s``, ``b = thbar_{s:t}``, ``d = thbar_{t:T}`` (all > 0).
Bayes with the *bridge's* own transition kernel
``p^h(x_t | x_s) = p(x_t | x_s) h(x_t, t) / h(x_s, s)``:

    q(x_s | x_t, x0) ∝ q(x_s | x0, x_T = mu) p(x_t | x_s) / h(x_s, s)

The ``h(x_s, s)`` in the bridge marginal cancels the one of the kernel, so the
posterior is the OU bridge from ``x0`` at 0 to ``x_t`` at ``t``; it does not
depend on ``thbar_T`` (Markov property):

    mean = mu + sinh(b)/sinh(a+b) pi + sinh(a)/sinh(a+b) (x_t - mu)
    var  = 2 lam sinh(a) sinh(b) / sinh(a+b) pi^2

Chapman-Kolmogorov: averaging the posterior over ``x_t ~ q(x_t | x0)`` returns
the marginal at ``s`` (mean and variance, law of total variance).
"""
from __future__ import annotations

import sympy as sp

from . import family, ou
from .common import a, b, complete_square, d, exp_to_rational, gaussian_log, mu, pi, xs, xt, zeros

#: the clock values of s, t, T in terms of positive increments
U_S, U_T, C_T = a, a + b, a + b + d


def posterior_by_bayes():
    """Mean and variance of ``q(x_s | x_t, x0)`` from the bridge marginal and the bridge kernel."""
    log_marg_s = gaussian_log(xs, family.bridge_mean(U_S, C_T), family.Sigma2(U_S, C_T) * pi ** 2)
    log_kernel = ou.kernel_logpdf(xt, xs, b)  # p(x_t | x_s), clock lag b
    log_h_s = ou.kernel_logpdf(mu, xs, C_T - U_S)  # h(x_s, s) = p(x_T = mu | x_s)
    return complete_square(exp_to_rational(log_marg_s + log_kernel - log_h_s), xs)


def claimed():
    """The posterior mean and variance of ``docs/theory.md`` eqs. 5.1-5.2."""
    P, K, Vp = family.posterior_coefficients(a, b)
    return mu + P * pi + K * (xt - mu), Vp * pi ** 2


def check_mean():
    """Posterior mean from Bayes = ``mu + sinh(b)/sinh(a+b) pi + sinh(a)/sinh(a+b) (x_t - mu)``."""
    mean, _ = posterior_by_bayes()
    return zeros(mean - claimed()[0])


def check_variance():
    """Posterior variance from Bayes = ``2 lam sinh(a) sinh(b)/sinh(a+b) pi^2`` (independent of ``d``)."""
    _, var = posterior_by_bayes()
    return zeros(var - claimed()[1])


def check_ck_mean():
    """``E_{x_t}[posterior mean] = mu + Theta_s pi`` (Chapman-Kolmogorov on the mean)."""
    mean, _ = claimed()
    return zeros(mean.subs(xt, family.bridge_mean(U_T, C_T)) - family.bridge_mean(U_S, C_T))


def check_ck_variance():
    """``posterior var + K^2 Var(x_t) = Sigma_s^2 pi^2`` (law of total variance)."""
    _, K, Vp = family.posterior_coefficients(a, b)
    total = Vp * pi ** 2 + K ** 2 * family.Sigma2(U_T, C_T) * pi ** 2
    return zeros(total - family.Sigma2(U_S, C_T) * pi ** 2)


def check_endpoints():
    """The posterior mean reaches ``x_t`` as ``s -> t`` (``b -> 0``) and ``x0`` as ``s -> 0`` (``a -> 0``)."""
    mean, var = claimed()
    return zeros(sp.limit(mean, b, 0) - xt, sp.limit(var, b, 0), mean.subs(a, 0) - (mu + pi), var.subs(a, 0))


FACTS = [
    ("posterior.mean", check_mean, 0, "Bayes with the bridge kernel gives the sinh posterior mean"),
    ("posterior.variance", check_variance, 0, "posterior variance 2 lam sinh(a) sinh(b)/sinh(a+b) pi^2"),
    ("posterior.chapman_kolmogorov_mean", check_ck_mean, 0, "E[posterior mean] = marginal mean at s"),
    ("posterior.chapman_kolmogorov_variance", check_ck_variance, 0, "total variance = Sigma_s^2 pi^2"),
    ("posterior.endpoints", check_endpoints, 0,
     "posterior -> delta(x_t) as s -> t and delta(x0) at the clean end (a = 0)"),
]
