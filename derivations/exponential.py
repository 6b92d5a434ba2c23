"""Fact 8: the exponential integrators of ``rdbm_core.bridge.samplers`` (DBIM high order, the exact-solution SDE sampler).

Written for the OU bridge with target ``mu`` in the clock ``u`` (``c = thbar_T``); the Brownian and
unpinned members follow by the same algebra (``S(x) = x``, ``c -> inf``), and the code is
checked numerically on all of them in ``tests/core/test_samplers.py``.

* ``lambda = log(Theta / Sigma)`` decreases with ``u`` at the rate ``lam / Sigma^2``;
* along the PF-ODE with ``x0_hat = mu + pi_hat``, ``d/du [(x - Psi mu)/Sigma] = x0_hat d/du (Theta/Sigma)``:
  the exact solution is ``x_s = Psi_s mu + (Sigma_s/Sigma_t)(x_t - Psi_t mu) + Sigma_s int x0_hat e^lambda dlambda``,
  an integral of ``x0_hat`` with the known weight ``e^lambda``; a Taylor expansion of ``x0_hat`` in
  ``lambda`` gives the higher-order terms ``Theta_s psi_j(h) d^j x0_hat / dlambda^j`` (kernel moments below);
* the SDE family ``dx = [f - (1 + eta^2)/2 g^2 score] du + eta g dW`` contracts deviations from the mean
  by ``kappa = (Sigma_s / Sigma_t) e^{-eta^2 h}``, ``h = lambda_s - lambda_t``;
* first order: ``eta = 0`` is the implicit step, ``eta = 1`` the posterior step;
* from the pinned end the posterior variance is the marginal variance (the booting noise);
* the PF-ODE velocity does not depend on the noise factor ``s(pi)``; the reverse SDE's noise does.

Mutations tried (each makes its fact fail): ``Psi = Theta`` in the PF-ODE integral; ``(1 + eta^2)/2`` in
place of ``1 + eta^2`` in the SDE slope; ``psi_j = h^j/j!`` without the recursion's second term; a
score whose variance is not multiplied by ``q^2`` (the velocity then depends on ``q``).
"""
from __future__ import annotations

import sympy as sp

from . import family
from .common import a, b, c, lam, mu, pihat, u, x, zero, zeros

h, k = sp.symbols("h k", positive=True)
r = sp.Symbol("r", positive=True)
eta = sp.Symbol("eta", nonnegative=True)
q = sp.Symbol("q", nonzero=True)  # a generic noise factor s(pi)


def half_log_snr(uu):
    """``lambda(u) = log Theta - log(Sigma^2) / 2``."""
    return sp.log(family.Theta(uu, c)) - sp.log(family.Sigma2(uu, c)) / 2


def check_log_snr_rate():
    """``d lambda / du = -lam / Sigma^2``: ``lambda`` runs from ``-inf`` at ``t_T`` to ``+inf`` at the clean point."""
    return zero(sp.diff(half_log_snr(u), u) + lam / family.Sigma2(u, c))


def check_pf_ode_is_an_integral_of_x0_hat():
    """Along ``dx/du = v(x)`` (the PF-ODE velocity with ``x0_hat = mu + pi_hat``),
    ``d/du [(x - Psi mu)/Sigma] = (mu + pi_hat) d/du (Theta/Sigma)``; multiplied by ``Sigma``:
    ``v + Theta' mu - (x - Psi mu) (Sigma^2)'/(2 Sigma^2) = (mu + pi_hat)(Theta' - Theta (Sigma^2)'/(2 Sigma^2))``."""
    th, s2 = family.Theta(u, c), family.Sigma2(u, c)
    v = family.pf_velocity(x, u, c, pihat)
    dth, ds2 = sp.diff(th, u), sp.diff(s2, u)
    lhs = v + dth * mu - (x - (1 - th) * mu) * ds2 / (2 * s2)
    rhs = (mu + pihat) * (dth - th * ds2 / (2 * s2))
    return zero(lhs - rhs)


def check_sde_contraction():
    """Deviations from the mean obey ``dy/du = (-coth(c - u) + (1 + eta^2) lam / Sigma^2) y`` under the SDE family;
    that slope equals ``d/du [log Sigma - eta^2 lambda]``, so backwards ``kappa = (Sigma_s/Sigma_t) e^{-eta^2 h}``."""
    slope = -sp.coth(c - u) + (1 + eta ** 2) * lam / family.Sigma2(u, c)
    log_kappa_rate = sp.diff(sp.log(family.Sigma2(u, c)) / 2 - eta ** 2 * half_log_snr(u), u)
    return zero(slope - log_kappa_rate)


def check_first_order_steps():
    """No higher-order terms: ``eta = 0`` is the implicit step (``kappa = Sigma_s/Sigma_t``); ``eta = 1`` is the
    posterior step: ``kappa_1 = Sigma_s^2 Theta_t / (Sigma_t^2 Theta_s) = K``, the data coefficient
    ``Theta_s - kappa_1 Theta_t = P`` and the noise ``Sigma_s^2 (1 - e^{-2h}) = Sigma_s^2 - kappa_1^2 Sigma_t^2 = V``
    (``u_s = a``, ``u_t = a + b``)."""
    th_s, th_t = family.Theta(a, c), family.Theta(a + b, c)
    s2_s, s2_t = family.Sigma2(a, c), family.Sigma2(a + b, c)
    P, K, V = family.posterior_coefficients(a, b)
    xt = sp.Symbol("x_t", real=True)
    kappa0 = sp.sqrt(s2_s / s2_t)
    eta0 = mu + th_s * pihat + kappa0 * (xt - mu - th_t * pihat)
    kappa1 = s2_s * th_t / (s2_t * th_s)
    return zeros(sp.simplify(eta0 - family.implicit_step(xt, a, a + b, c, pihat)), kappa1 - K,
                 th_s - kappa1 * th_t - P, s2_s - kappa1 ** 2 * s2_t - V)


def kernel_moments(n):
    """``[psi_0, ..., psi_n]`` by the code's recursion: ``psi_0 = 1 - e^{-k h}``, ``psi_j = h^j/j! - psi_{j-1}/k``."""
    psi = [1 - sp.exp(-k * h)]
    for j in range(1, n + 1):
        psi.append(h ** j / sp.factorial(j) - psi[-1] / k)
    return psi


def check_kernel_moments():
    """``psi_j = int_0^h k e^{-k (h - r)} r^j / j! dr`` for ``j = 0..3``: the weights of the Taylor terms
    ``x0_hat(lambda_t + r) = sum_j d_j r^j / j!`` in the exact solution (``k = 1 + eta^2``)."""
    exact = [sp.integrate(k * sp.exp(-k * (h - r)) * r ** j / sp.factorial(j), (r, 0, h)) for j in range(4)]
    return zeros(*(sp.simplify(e - p) for e, p in zip(exact, kernel_moments(3))))


def check_booting_noise():
    """From the pinned end (``u_t = c``, ``u_s = a``) the posterior variance ``V(a, c - a)`` is the marginal
    variance ``Sigma_s^2``: a first step with ``rho^2 = V`` draws exactly ``q(x_s | x0_hat)``."""
    return zero(family.posterior_coefficients(a, c - a)[2] - family.Sigma2(a, c))


def check_pf_ode_free_of_noise_factor():
    """With a noise factor ``q`` (``g^2 = 2 lam q^2``, variance ``Sigma^2 q^2``) the PF-ODE velocity
    ``f - g^2 score / 2`` does not depend on ``q``, while the reverse SDE's diffusion ``sqrt(2 lam) q`` does:
    the deterministic samplers are the same for RDBM and for its global-noise twin."""
    mean = family.bridge_mean(u, c)
    score = -(x - mean) / (family.Sigma2(u, c) * q ** 2)
    v = family.bridge_drift(u, c) - lam * q ** 2 * score
    depends = sp.diff(sp.sqrt(2 * lam) * q, q)
    return zeros(sp.diff(sp.cancel(v), q), sp.Integer(0) if depends != 0 else sp.Integer(1))


FACTS = [
    ("exponential.log_snr_rate", check_log_snr_rate, 0, "d lambda/du = -lam/Sigma^2"),
    ("exponential.pf_ode_integral", check_pf_ode_is_an_integral_of_x0_hat, 0,
     "PF-ODE: d/du[(x - Psi mu)/Sigma] = x0_hat d/du(Theta/Sigma)"),
    ("exponential.sde_contraction", check_sde_contraction, 0, "kappa = (Sigma_s/Sigma_t) e^{-eta^2 h}"),
    ("exponential.first_order_steps", check_first_order_steps, 0,
     "first order: eta = 0 implicit step, eta = 1 posterior step"),
    ("exponential.kernel_moments", check_kernel_moments, 0, "psi_j recursion = int k e^{-k(h-r)} r^j/j!"),
    ("exponential.booting_noise", check_booting_noise, 0, "posterior variance from t_T = marginal variance"),
    ("exponential.pf_free_of_noise_factor", check_pf_ode_free_of_noise_factor, 0,
     "PF-ODE velocity free of s(pi); reverse-SDE noise not"),
]
