"""Fact 5: conditional score, reverse SDE, probability-flow ODE and the implicit sampler.

All in the clock ``u = thbar_t`` (per unit clock the forward bridge is
``dx = coth(c - u) (mu - x) du + sqrt(2 lam) pi dW``, so ``g^2 = 2 lam pi^2``;
multiply drifts by ``theta_t`` for ``d/dt``).  The conditional marginal is
``q(x | x0) = N(mu + Theta pi, Sigma^2 pi^2)``.

Because the diffusion coefficient ``sqrt(2 lam) pi`` depends on ``x0`` itself,
the reverse SDE is exact *for the conditional path* (``x0`` given); the sampler
plugs ``x0_hat`` in both places (in ``g`` and in the score) and ``pi_hat^2``
cancels.  For the PF-ODE more is true: after the cancellation its velocity is
affine in ``x0`` with an ``x0``-free slope, so ``v(x | E[x0 | x_t])`` is exactly the
velocity that transports the marginal ``p(x_t | mu)``.  No such statement holds
for the stochastic reverse SDE, whose noise amplitude ``sqrt(2 lam) |pi|`` depends
on ``x0`` (the ``eta > 0`` / Euler-Maruyama samplers use ``|pi_hat|``).

* score: ``d/dx log q = -(x - mu - Theta pi) / (Sigma^2 pi^2)``;
* ``g^2 score = -2 lam (x - mu - Theta pi) / Sigma^2``: no division by ``pi``;
* reverse SDE ``drift = f - g^2 score`` reproduces the marginals backwards in time;
* PF-ODE ``v = f - g^2 score / 2 = coth(c-u) (mu - x) + lam (x - mu - Theta pi_hat) / Sigma^2``;
* every ``x(u) = mu + Theta(u) pi_hat + Sigma(u) k`` (``k`` constant) solves the PF-ODE,
  so the ``eta = 0`` implicit step (``k = (x_t - mu - Theta_t pi_hat)/Sigma_t``) is its
  exact solution over ``[s, t]``; the ODE is linear, so that solution is unique;
* with ``rho^2`` = posterior variance the implicit step is the posterior step.
"""
from __future__ import annotations

import sympy as sp

from . import family, hbridge
from .common import (B, a, b, c, d, eps, exp_to_rational, fokker_planck_residual, gaussian_log, lam, m, mu, pi,
                     pihat, theta, u, x, x0, xt, y, zero, zeros)

k = sp.Symbol("k", real=True)  # the constant (x_t - mu - Theta_t pi_hat) / Sigma_t


def log_q(z=x):
    """``log q(x_t = z | x0, mu)``."""
    return gaussian_log(z, family.bridge_mean(u, c), family.Sigma2(u, c) * pi ** 2)


def score():
    """Conditional score ``d/dx log q(x_t | x0, mu)``."""
    return sp.diff(log_q(), x)


def check_score_form():
    """``d/dx log q = -(x - mu - Theta pi) / (Sigma^2 pi^2)``."""
    return zero(score() + (x - family.bridge_mean(u, c)) / (family.Sigma2(u, c) * pi ** 2))


def check_score_term_free_of_pi_division():
    """``g^2 score`` (time ``t``, ``g^2 = 2 lam theta pi^2``) equals ``-2 lam theta (x - mu - Theta pi)/Sigma^2``,
    and it stays finite as ``pi -> 0``: its limit is ``-2 lam theta (x - mu) / Sigma^2``."""
    g2_score = 2 * lam * theta * pi ** 2 * score()
    target = -2 * lam * theta * (x - mu - family.Theta(u, c) * pi) / family.Sigma2(u, c)
    at_zero = sp.limit(sp.cancel(g2_score), pi, 0)
    return zeros(g2_score - target, at_zero + 2 * lam * theta * (x - mu) / family.Sigma2(u, c))


def check_reverse_sde():
    """Reverse time ``tau = T - t``: ``dx = -(f - g^2 score) dtau + g dW`` has the bridge marginals,
    i.e. ``-q_u = d/dx[(f - g^2 score) q] + (g^2/2) q_xx`` (clock form)."""
    f = family.bridge_drift(u, c)
    g2 = 2 * lam * pi ** 2
    rev_drift = -(f - g2 * score())
    # the Fokker-Planck equation in tau = -u: q_tau = -d/dx(rev_drift q) + g2/2 q_xx
    uu = sp.Symbol("tau")
    logq_tau = log_q().subs(u, -uu)
    res = fokker_planck_residual(logq_tau, x, uu, rev_drift.subs(u, -uu), g2 / 2)
    return zero(res.subs(uu, -u))


def check_pf_ode_continuity():
    """The PF-ODE ``v = f - (g^2/2) score`` transports the marginals: ``q_u + d/dx(v q) = 0``."""
    v = family.bridge_drift(u, c) - lam * pi ** 2 * score()
    return zero(fokker_planck_residual(log_q(), x, u, v, 0))


def check_pf_ode_x0hat_form():
    """PF-ODE in time ``t`` with ``x0_hat`` in ``g`` and in the score: ``theta f - theta lam pi_hat^2 score_hat
    = theta coth(thbar_{t:T}) (mu - x) + lam theta (x - mu - Theta pi_hat)/Sigma^2`` (docs/theory.md eq. 7.2)."""
    score_hat = score().subs(pi, pihat)
    v = theta * family.bridge_drift(u, c) - lam * theta * pihat ** 2 * score_hat
    return zero(v - theta * family.pf_velocity(x, u, c, pihat))


def check_pf_velocity_affine_in_x0():
    """The conditional PF-ODE velocity ``f - lam pi^2 score`` (with ``pi = x0 - mu`` in ``g`` *and* in the score)
    is affine in ``x0`` with ``x0``-free slope ``-lam Theta/Sigma^2`` — because ``pi^2`` cancels.  Hence
    ``E[v(x | x0) | x_t = x] = v(x | E[x0 | x_t = x])``: plugging the MMSE ``x0_hat`` into the PF-ODE gives the
    exact velocity of the *marginal* flow (flow-matching argument), even under modulation."""
    v = family.bridge_drift(u, c) - lam * pi ** 2 * score()
    v = v.subs(pi, x0 - mu)
    return zeros(sp.diff(v, x0, 2), sp.diff(v, x0) + lam * family.Theta(u, c) / family.Sigma2(u, c))


def general_target_mean(z0=None):
    """Mean ``m + Theta (x0 - m) + Psi (y - m)`` of the bridge with target ``m`` and endpoint ``y``."""
    z0 = x0 if z0 is None else z0
    return m + family.Theta(u, c) * (z0 - m) + family.Psi(u, c) * (y - m)


def general_target_velocity(z0=None):
    """PF-ODE velocity per unit clock for target ``m``, endpoint ``y``, global noise: the *derived* h-drift
    ``(m - x) + 2 lam d/dx log h`` minus ``lam`` times the score of ``N(mean, Sigma^2)``."""
    h_drift = hbridge.h_drift_clock(target=m, terminal=y).subs(pi, 1)
    sc = sp.diff(gaussian_log(x, general_target_mean(z0), family.Sigma2(u, c)), x)
    return h_drift - lam * sc


def _affine_path_residual(const, mean=None, velocity=None):
    """Residual of ``x(u) = mean(u) + Sigma(u) const`` in the PF-ODE ``dx/du = velocity(x, u)``, as a polynomial
    in ``Sigma(u)`` (with ``Sigma' = (Sigma^2)'/(2 Sigma)`` and ``Sigma^2`` the closed form).  Defaults: RDBM
    (``mean = mu + Theta pi_hat``, velocity with ``pi_hat``)."""
    S = sp.Function("Sigma")(u)
    mean = family.bridge_mean(u, c).subs(pi, pihat) if mean is None else mean
    path = mean + S * const
    if velocity is None:
        v = family.pf_velocity(path, u, c, pihat)
    else:
        v = velocity.subs(x, path)
    res = sp.diff(path, u) - v
    res = sp.expand(res * S).subs(sp.Derivative(S, u), sp.diff(family.Sigma2(u, c), u) / (2 * S))
    res = sp.expand(res).subs(S ** 2, family.Sigma2(u, c))
    sym = sp.Symbol("S_", positive=True)
    poly = sp.Poly(sp.expand(res.subs(S, sym)), sym)
    return zeros(*poly.coeffs())


def check_pf_ode_transports_noise():
    """For every ``eps``, ``x(u) = mu + Theta pi + Sigma pi eps`` solves the PF-ODE (``pi_hat = pi``):
    each noise value is carried along its own deterministic path, all of which end at ``mu``."""
    r = _affine_path_residual(pihat * eps)
    return r


def check_implicit_eta0_solves_pf_ode():
    """``x(u) = mu + Theta(u) pi_hat + Sigma(u)/Sigma_t (x_t - mu - Theta_t pi_hat)`` solves the PF-ODE
    for fixed ``pi_hat`` (and ``x(u_t) = x_t``): the eta = 0 step is the exact ODE solution over ``[s, t]``."""
    return _affine_path_residual(k)


def check_implicit_eta0_general_target():
    """Same for a general target ``m`` and endpoint ``y`` (DDBM-VP, global noise): the implicit step
    ``x(u) = mean(u; x0_hat) + Sigma(u)/Sigma_t (x_t - mean_t)`` solves the derived PF-ODE."""
    x0h = sp.Symbol("x0hat", real=True)
    return _affine_path_residual(k, general_target_mean(x0h), general_target_velocity(x0h))


def check_implicit_eta0_initial_value():
    """The implicit step is continuous at ``s = t``: as ``thbar_s -> thbar_t`` it returns ``x_t``, for eta = 0
    and for every eta (``rho^2 = eta^2`` times the posterior variance ``V``, which vanishes there).  Taken as a
    limit of the step between two clocks ``a < a + b`` (``b -> 0``), not by evaluating it at equal clocks.
    Mutation tried: ``rho^2 = eta^2 Sigma_s^2`` (the marginal instead of the posterior variance) -> the limit
    is ``sqrt(1 - eta^2) x_t + ...``: fails."""
    eta = sp.Symbol("eta", positive=True)
    cc = a + b + d
    V = family.posterior_coefficients(a, b)[2]
    rho2 = eta ** 2 * V
    # the step is mu + Theta_s pi_hat + coef (x_t - mu - Theta_t pi_hat) + rho s(pi_hat) z, coef^2 as below
    coef2 = (family.Sigma2(a, cc) - rho2) / family.Sigma2(a + b, cc)
    lim = lambda e: sp.limit(exp_to_rational(e), B, 1)  # noqa: E731  (b -> 0 is B = e^b -> 1)
    return zeros(sp.limit(family.implicit_step(xt, a, a + b, cc, pihat), b, 0) - xt,
                 lim(coef2) - 1, lim(rho2), lim(family.Theta(a, cc) - family.Theta(a + b, cc)))


def check_implicit_step_keeps_marginal():
    """Started from the marginal at ``t`` (``x_t = mu + Theta_t pi + Sigma_t pi eps``) with ``x0_hat = x0``, the
    implicit step with any ``0 <= rho^2 <= Sigma_s^2`` (and fresh noise ``rho pi z``) has the marginal's mean
    and variance at ``s``: ``E x_s = mu + Theta_s pi``, ``Var x_s = (Sigma_s^2 - rho^2 + rho^2) pi^2``.
    Mutation tried: the ratio ``(Sigma_s^2 - rho^2)/Sigma_t^2`` without the square root -> the variance
    is wrong: fails."""
    rho2 = sp.Symbol("rho2", positive=True)
    cc = a + b + d
    e1, e2 = sp.symbols("e1 e2", real=True)  # independent N(0, 1): the noise at t and the fresh noise
    x_t = family.bridge_mean(a + b, cc) + sp.sqrt(family.Sigma2(a + b, cc)) * pi * e1
    x_s = sp.expand(family.implicit_step(x_t, a, a + b, cc, pi, rho2, pi * e2))
    mean = x_s.subs({e1: 0, e2: 0})
    var = sp.diff(x_s, e1) ** 2 + sp.diff(x_s, e2) ** 2  # x_s is affine in (e1, e2)
    return zeros(mean - family.bridge_mean(a, cc), var - family.Sigma2(a, cc) * pi ** 2)


def check_implicit_eta1_coefficient():
    """With ``rho^2`` = posterior variance: ``(Sigma_s^2 - rho^2)/Sigma_t^2 = K^2`` where ``K = sinh(a)/sinh(a+b)``
    is the posterior's coefficient of ``x_t`` (hence also ``0 <= rho^2 <= Sigma_s^2``)."""
    P, K, Vp = family.posterior_coefficients(a, b)
    cc = a + b + d
    return zero((family.Sigma2(a, cc) - Vp) / family.Sigma2(a + b, cc) - K ** 2)


def check_implicit_eta1_mean():
    """With that ``rho``, the implicit step's mean ``mu + Theta_s pi_hat + K (x_t - mu - Theta_t pi_hat)``
    is the posterior mean ``mu + P pi_hat + K (x_t - mu)``."""
    P, K, Vp = family.posterior_coefficients(a, b)
    cc = a + b + d
    step = mu + family.Theta(a, cc) * pihat + K * (xt - mu - family.Theta(a + b, cc) * pihat)
    return zero(step - (mu + P * pihat + K * (xt - mu)))


def check_near_T_terms():
    """Near ``T`` (``d = thbar_{t:T} -> 0``) the drift ``coth(d)`` and the score factor ``lam/Sigma^2`` both
    blow up like ``1/d``: ``d coth(d) -> 1`` and ``d lam / Sigma^2 -> 1/2``."""
    s2 = family.Sigma2(c - d, c)
    return zeros(sp.limit(d * sp.coth(d), d, 0) - 1, sp.limit(d * lam / s2, d, 0) - sp.Rational(1, 2))


def check_near_T_rate():
    """Along a bridge path ``x = mu + Theta pi + Sigma pi eps`` the PF-ODE velocity grows only like
    ``d^{-1/2}`` (integrable): ``sqrt(d) v -> -sqrt(lam/2) pi eps`` as ``d -> 0``."""
    uu = c - d
    sig = sp.sqrt(family.Sigma2(uu, c))
    path = mu + family.Theta(uu, c) * pi + sig * pi * eps
    v = family.pf_velocity(path, uu, c, pi)
    return sp.limit(sp.sqrt(d) * v, d, 0)


FACTS = [
    ("reverse.score_form", check_score_form, 0, "grad log q = -(x - mu - Theta pi)/(Sigma^2 pi^2)"),
    ("reverse.g2_score_no_division_by_pi", check_score_term_free_of_pi_division, 0,
     "g^2 score = -2 lam theta (x - mu - Theta pi)/Sigma^2, finite as pi -> 0"),
    ("reverse.reverse_sde_marginals", check_reverse_sde, 0, "reverse SDE (drift f - g^2 score) has the bridge marginals"),
    ("reverse.pf_ode_continuity", check_pf_ode_continuity, 0, "PF-ODE (f - g^2 score/2) transports the marginals"),
    ("reverse.pf_ode_x0hat_form", check_pf_ode_x0hat_form, 0,
     "PF-ODE = theta coth(thbar_{t:T})(mu - x) + lam theta (x - mu - Theta pi_hat)/Sigma^2"),
    ("reverse.pf_velocity_affine_in_x0", check_pf_velocity_affine_in_x0, 0,
     "PF-ODE velocity affine in x0 (slope -lam Theta/Sigma^2): x0_hat plug-in is the exact marginal flow"),
    ("reverse.pf_ode_transports_noise", check_pf_ode_transports_noise, 0,
     "x = mu + Theta pi + Sigma pi eps solves the PF-ODE for every eps"),
    ("reverse.implicit_eta0_solves_pf_ode", check_implicit_eta0_solves_pf_ode, 0,
     "eta = 0 step = exact PF-ODE solution for fixed x0_hat"),
    ("reverse.implicit_eta0_general_target", check_implicit_eta0_general_target, 0,
     "eta = 0 step solves the PF-ODE also for target m (DDBM-VP)"),
    ("reverse.implicit_eta0_initial_value", check_implicit_eta0_initial_value, 0,
     "implicit step -> x_t as s -> t, for eta = 0 and for every eta"),
    ("reverse.implicit_step_keeps_marginal", check_implicit_step_keeps_marginal, 0,
     "from the marginal at t (x0_hat = x0), any rho^2 <= Sigma_s^2 gives the marginal mean and variance at s"),
    ("reverse.implicit_eta1_coefficient", check_implicit_eta1_coefficient, 0,
     "rho^2 = posterior var: sqrt(Sigma_s^2 - rho^2)/Sigma_t = posterior coefficient of x_t"),
    ("reverse.implicit_eta1_mean", check_implicit_eta1_mean, 0, "rho^2 = posterior var: step mean = posterior mean"),
    ("reverse.near_T_terms_blow_up", check_near_T_terms, 0, "d coth d -> 1 and d lam/Sigma^2 -> 1/2"),
    ("reverse.near_T_velocity_rate", check_near_T_rate, -sp.sqrt(2) * sp.sqrt(lam) * pi * eps / 2,
     "sqrt(thbar_{t:T}) v -> -sqrt(lam/2) pi eps along a bridge path"),
]
