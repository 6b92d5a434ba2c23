"""Exercises of notebook 02a (the forward bridge: its marginal and its posterior).

02a.1 derive    the variance coefficient of the posterior ``q(x_s | x_t, x0)`` per unit ``pi^2``.
02a.2 predict   what the posterior becomes when the observation is the terminal point ``x_T = mu``.
"""
from __future__ import annotations

import sympy as sp
import torch

from derivations import family
from derivations.common import D, a, b, d, lam, zero

from ._base import correct, exercise, letter_answer, sympy_answer, wrong

# ----------------------------------------------------------------------------- 02a.1 posterior variance

POSTERIOR = {"thetabar_s": a, "thetabar_s:t": b, "thetabar_t:T": d, "a": a, "b": b, "d": d, "lambda": lam, "lam": lam}


def _limit(expr, symbol, value):
    return sp.simplify(sp.limit(expr, symbol, value))


@exercise("02a.1", "the posterior variance of q(x_s | x_t, x0)", "derive")
def check_posterior_variance(answer):
    return sympy_answer(
        answer, family.posterior_coefficients(a, b)[2], POSTERIOR, what="the posterior variance (per unit pi^2)",
        hints=((lambda e: D in zero(e).free_symbols,
                "your variance depends on thbar_{t:T}, so it still looks beyond t. Given x_t, the bridge is Markov: "
                "how the path continues after t cannot change what x_s can be. (The marginal variance of x_s given "
                "x0 alone does depend on it.)"),
               (lambda e: zero(e - lam * (1 - sp.exp(-2 * b))) == 0,
                "lam (1 - e^{-2 thbar_{s:t}}) is the variance of x_t given x_s (the forward kernel); the posterior "
                "goes the other way and also knows x0."),
               (lambda e: _limit(e, a, 0) != 0,
                "at s = 0 (thbar_s -> 0) we know x_s = x0 exactly: the posterior variance must vanish there."),
               (lambda e: _limit(e, b, 0) != 0,
                "as s -> t (thbar_{s:t} -> 0) we know x_s = x_t: the posterior variance must vanish there.")),
        generic_hint="the posterior is an OU bridge from x0 (clock 0) to x_t (clock thbar_t = thbar_s + thbar_{s:t}); "
                     "reuse exercise 01.2 with the right clock values, or complete the square in x_s.")


# ----------------------------------------------------------------------------- 02a.2 the posterior at the terminal time

#: the four answers of 02a.2
TERMINAL_CHOICES = {
    "a": "a point mass at mu for every s",
    "b": "the bridge marginal q(x_s | x0)",
    "c": "the free OU marginal p(x_s | x0)",
    "d": "a Gaussian narrower than the bridge marginal at every s",
}
#: the pixel and the bridge of the experiment (the picture of notebook 02a, section 2)
TERMINAL_PIXEL = {"x0": 0.6, "mu": -0.2, "lam": 0.1}


def terminal_posterior_moments():
    """Mean and std of ``q(x_s | x_T = mu, x0)`` and of the candidate answers, at every grid time ``s < t_T``.

    Returns ``(posterior, candidates)``: ``posterior = (mean, std)`` from the library's
    :meth:`ResidualPath.posterior`, ``candidates`` a dict letter -> (mean, std), or ``None`` for (d), which is a
    comparison rather than one distribution.
    """
    from rdbm_core.bridge import bridges

    path = bridges.rdbm(lam=TERMINAL_PIXEL["lam"])
    t_T = path.schedule.t_T
    s = torch.arange(path.schedule.t_clean, t_T)
    n = len(s)
    x0 = torch.full((n,), TERMINAL_PIXEL["x0"], dtype=torch.float64)
    mu_ = torch.full((n,), TERMINAL_PIXEL["mu"], dtype=torch.float64)
    posterior = path.posterior(mu_.clone(), x0, mu_, torch.full_like(s, t_T), s)
    u = path.schedule.clock(s)
    pi_abs = abs(TERMINAL_PIXEL["x0"] - TERMINAL_PIXEL["mu"])
    free_ou = (mu_ + torch.exp(-u) * (x0 - mu_), (path.lam * -torch.expm1(-2 * u)).sqrt() * pi_abs)
    candidates = {"a": (mu_, torch.zeros_like(mu_)), "b": (path.mean(x0, mu_, s), path.std(x0, mu_, s)),
                  "c": free_ou, "d": None}
    return posterior, candidates


def terminal_posterior_answer() -> str:
    """The letter whose description the library's posterior at ``x_T = mu`` satisfies (computed, not stored)."""
    (p_mean, p_std), candidates = terminal_posterior_moments()
    matches = [k for k, moments in candidates.items() if moments is not None
               and torch.allclose(p_mean, moments[0], rtol=1e-9, atol=1e-12)
               and torch.allclose(p_std, moments[1], rtol=1e-9, atol=1e-12)]
    b_std = candidates["b"][1]
    interior = b_std > 0
    if bool((p_std[interior] < b_std[interior] * (1 - 1e-9)).all()):
        matches.append("d")
    if len(matches) != 1:
        raise RuntimeError(f"02a.2: the posterior matches {matches}, not exactly one answer")
    return matches[0]


@exercise("02a.2", "the posterior when the observation is the terminal point", "predict")
def check_terminal_posterior(answer):
    choice = letter_answer(answer, TERMINAL_CHOICES)
    if not isinstance(choice, str):
        return choice
    truth = terminal_posterior_answer()
    if choice == truth:
        return correct("observing x_T = mu tells nothing new: every path of the bridge ends there. The posterior, "
                       "the bridge from x0 to the observation, is then the bridge from x0 to mu, which is the "
                       "marginal itself (the library's posterior and marginal agree to rounding at every grid time).")
    (p_mean, p_std), candidates = terminal_posterior_moments()
    hints = {
        "a": "the posterior is pinned at mu only at s = t_T; at the clean end it is pinned at x0. Is x_s = mu for "
             "every earlier s a possible path of the bridge?",
        "c": "the observation x_T = mu is the very condition that turned the free OU process into the bridge in "
             "notebook 01. Can it remove the pull towards mu?",
        "d": "an observation narrows the distribution only if it was uncertain before. How uncertain was x_T before "
             "you observed it?",
    }
    if candidates[choice] is not None:
        gap = float((p_std - candidates[choice][1]).abs().max())
        message = f"the library's posterior differs from that answer: its standard deviation is off by up to {gap:.3g}."
    else:
        message = "the library's posterior is not narrower than the marginal at the grid times."
    return wrong(message, hints[choice])
