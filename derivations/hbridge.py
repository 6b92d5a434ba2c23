"""Fact 2: Doob's h-transform of the OU process towards ``x_T = mu``.

``h(x, t) = p(x_T = mu | x_t = x)`` is the OU kernel over the clock lag
``thbar_{t:T} = c - u`` evaluated at the terminal value.  Conditioning adds the
drift ``g_t^2 d/dx log h`` with ``g_t^2 = 2 lam theta_t pi^2``; because the
kernel's variance carries the same ``pi^2``, it cancels and

    theta (mu - x) + g^2 d/dx log h = theta coth(thbar_{t:T}) (mu - x).

``h`` is space-time harmonic (it solves the backward Kolmogorov equation),
which is what makes the transformed process a Markov diffusion.
"""
from __future__ import annotations

import sympy as sp

from . import family, ou
from .common import backward_kolmogorov_residual, c, lam, m, mu, pi, theta, u, x, y, zero, zeros


def log_h(z=x, target=mu, terminal=mu):
    """``log p(x_T = terminal | x_t = z)`` for the OU process with mean-reversion target ``target``."""
    return ou.kernel_logpdf(terminal, z, c - u, target=target)


def g2_grad_log_h():
    """``g_t^2 d/dx log h`` in time ``t`` (``g^2 = 2 lam theta pi^2``)."""
    return ou.g2_t() * sp.diff(log_h(), x)


def h_drift():
    """Total drift of the conditioned process in time ``t``: ``theta (mu - x) + g^2 d/dx log h``."""
    return ou.drift_t() + g2_grad_log_h()


def h_drift_clock(target=mu, terminal=mu):
    """The same per unit clock (``g^2 = 2 lam pi^2``): ``(m - x) + 2 lam pi^2 d/dx log h``."""
    return (target - x) + 2 * lam * pi ** 2 * sp.diff(log_h(target=target, terminal=terminal), x)


def check_h_backward_kolmogorov():
    """``h_u + (mu - x) h_x + lam pi^2 h_xx = 0`` (clock form): ``h`` is space-time harmonic."""
    return zero(backward_kolmogorov_residual(log_h(), x, u, mu - x, lam * pi ** 2))


def check_drift_coth():
    """``theta (mu - x) + g^2 d/dx log h = theta coth(thbar_{t:T}) (mu - x)``."""
    return zero(h_drift() - theta * family.bridge_drift(u, c))


def check_pi_cancels():
    """``g^2 d/dx log h`` does not depend on ``pi`` at all (its ``pi``-derivative is 0)."""
    return zero(sp.diff(sp.cancel(g2_grad_log_h()), pi))


def check_general_target_drift():
    """OU with target ``m`` conditioned on ``x_T = y`` (per unit clock):
    ``(m - x) + 2 lam pi^2 d/dx log h = -(x - m) coth(thbar_{t:T}) + (y - m) / sinh(thbar_{t:T})``."""
    drift = h_drift_clock(target=m, terminal=y)
    claimed = -(x - m) * sp.coth(c - u) + (y - m) / sp.sinh(c - u)
    harmonic = backward_kolmogorov_residual(log_h(target=m, terminal=y), x, u, m - x, lam * pi ** 2)
    return zeros(drift - claimed, harmonic)


FACTS = [
    ("hbridge.h_is_space_time_harmonic", check_h_backward_kolmogorov, 0,
     "h = p(x_T = mu | x_t) solves the backward Kolmogorov equation"),
    ("hbridge.drift_coth", check_drift_coth, 0,
     "theta (mu - x) + g^2 grad log h = theta coth(thbar_{t:T}) (mu - x)"),
    ("hbridge.pi_squared_cancels", check_pi_cancels, 0, "g^2 grad log h is free of pi"),
    ("hbridge.general_target_drift", check_general_target_drift, 0,
     "target m, endpoint y: -(x - m) coth(thbar_{t:T}) + (y - m)/sinh(thbar_{t:T})"),
]
