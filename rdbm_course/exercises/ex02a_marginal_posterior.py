"""Exercises of notebook 02a (the forward bridge: its marginal and its posterior).

02a.1 derive    the variance coefficient ``V`` of the posterior ``q(x_s | x_t, x0)`` per unit ``pi^2``, by Bayes:
                graded on the steps ``log_prior``, ``log_kernel``, ``precision`` and ``V`` (a bare formula, such as
                the library's ``family.posterior_coefficients(a, b)[2]``, is refused).
02a.2 predict   what the posterior becomes when the observation is the terminal point ``x_T = mu``.
"""
from __future__ import annotations

import sympy as sp
import torch

from derivations import family
from derivations.common import D, a, b, d, lam, mu, pi, x, xt, zero

from ._base import correct, exercise, letter_answer, wrong
from .grading import Step, steps_answer

# ----------------------------------------------------------------------------- 02a.1 posterior variance

POSTERIOR = {"thetabar_s": a, "thetabar_s:t": b, "thetabar_t:T": d, "a": a, "b": b, "d": d, "lambda": lam, "lam": lam}
#: x stands for x_s (the unknown of the posterior); x_t is the observation
STATE = {**POSTERIOR, "x": x, "x_s": x, "x_t": xt, "xt": xt, "mu": mu, "pi": pi}

#: Bayes with the h's cancelled: q(x_s | x_t, x0) ∝ p(x_s | x0) p(x_t | x_s), both free OU kernels
LOG_PRIOR = -(x - mu - sp.exp(-a) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * a)) * pi ** 2)
LOG_KERNEL = -(xt - mu - sp.exp(-b) * (x - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * b)) * pi ** 2)
PRECISION = -sp.diff(LOG_PRIOR + LOG_KERNEL, x, 2)
#: the bridge marginal at s (clock a, terminal clock a + b + d): the factor whose h(x_s, s) cancels
LOG_BRIDGE_S = -(x - family.bridge_mean(a, a + b + d)) ** 2 / (2 * family.Sigma2(a, a + b + d) * pi ** 2)


def _limit(expr, symbol, value):
    return sp.simplify(sp.limit(expr, symbol, value))


def _d_dx(expr):
    return sp.diff(expr, x)


POSTERIOR_STEPS = (
    Step("log_prior", "log p(x_s = x | x0) up to terms free of x", _d_dx(LOG_PRIOR), STATE, transform=_d_dx,
         transformed="the x-derivative",
         hints=((lambda e: zero(e - _d_dx(LOG_BRIDGE_S)) == 0,
                 "this is the bridge marginal q(x_s | x0); its h(x_s, s) cancels against the kernel's, which leaves "
                 "the free OU process's p(x_s | x0)."),),
         generic_hint="p(x_s | x0) is the free OU kernel of notebook 01 from x0 = mu + pi over the clock a."),
    Step("log_kernel", "log p(x_t | x_s = x) up to terms free of x", _d_dx(LOG_KERNEL), STATE, transform=_d_dx,
         transformed="the x-derivative",
         generic_hint="p(x_t | x_s) is the free OU kernel from x_s = x over the clock lag b, evaluated at x_t: a "
                      "Gaussian density of x_t whose mean mu + e^{-b} (x - mu) depends on x."),
    Step("precision", "precision of the posterior, minus the second x-derivative of log_prior + log_kernel",
         PRECISION, {**POSTERIOR, "pi": pi},
         hints=((lambda e: zero(e + sp.diff(LOG_PRIOR, x, 2)) == 0,
                 "this is the precision of p(x_s | x0) alone; the kernel is a Gaussian in x_s too and adds its own."),
                (lambda e: x in e.free_symbols, "a precision does not depend on x: differentiate twice.")),
         generic_hint="the precisions of Gaussian factors in x add; the kernel's precision in x_s carries e^{-2b}."),
    Step("V", "posterior variance per unit pi^2", family.posterior_coefficients(a, b)[2],
         POSTERIOR | {"pi": pi, "mu": mu},
         hints=((lambda e: D in zero(e).free_symbols,
                 "your variance depends on thbar_{t:T}, so it still looks beyond t. Given x_t, the bridge is Markov: "
                 "how the path continues after t cannot change what x_s can be."),
                (lambda e: zero(e - lam * (1 - sp.exp(-2 * b))) == 0,
                 "lam (1 - e^{-2 thbar_{s:t}}) is the variance of x_t given x_s (the forward kernel); the posterior "
                 "goes the other way and also knows x0."),
                (lambda e: _limit(e, a, 0) != 0,
                 "at s = 0 (thbar_s -> 0) we know x_s = x0 exactly: the posterior variance must vanish there."),
                (lambda e: _limit(e, b, 0) != 0,
                 "as s -> t (thbar_{s:t} -> 0) we know x_s = x_t: the posterior variance must vanish there.")),
         generic_hint="V = 1 / (precision pi^2), per unit pi^2 (any equivalent form is accepted)."),
)


@exercise("02a.1", "the posterior variance of q(x_s | x_t, x0), by Bayes", "derive")
def check_posterior_variance(answer):
    return steps_answer(answer, POSTERIOR_STEPS,
                        done="both factors, their precision and V are right: the posterior is the OU bridge from x0 "
                             "to x_t, and thbar_{t:T} has dropped out.")


# ----------------------------------------------------------------------------- 02a.2 the posterior at the terminal time

#: the four answers of 02a.2
TERMINAL_CHOICES = {
    "i": "a point mass at mu for every s",
    "ii": "the bridge marginal q(x_s | x0)",
    "iii": "the free OU marginal p(x_s | x0)",
    "iv": "a Gaussian narrower than the bridge marginal at every s",
}
#: the pixel and the bridge of the experiment (the picture of notebook 02a, section 2)
TERMINAL_PIXEL = {"x0": 0.6, "mu": -0.2, "lam": 0.1}


def terminal_posterior_moments():
    """Mean and std of ``q(x_s | x_T = mu, x0)`` and of the candidate answers, at every grid time ``s < t_T``.

    Returns ``(posterior, candidates)``: ``posterior = (mean, std)`` from the library's
    :meth:`ResidualPath.posterior`, ``candidates`` a dict letter -> (mean, std), or ``None`` for (iv), which is a
    comparison rather than one distribution. (Numerals, not letters: a, b, c, d are clock symbols.)
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
    candidates = {"i": (mu_, torch.zeros_like(mu_)), "ii": (path.mean(x0, mu_, s), path.std(x0, mu_, s)),
                  "iii": free_ou, "iv": None}
    return posterior, candidates


def terminal_posterior_answer() -> str:
    """The letter whose description the library's posterior at ``x_T = mu`` satisfies (computed, not stored)."""
    (p_mean, p_std), candidates = terminal_posterior_moments()
    matches = [k for k, moments in candidates.items() if moments is not None
               and torch.allclose(p_mean, moments[0], rtol=1e-9, atol=1e-12)
               and torch.allclose(p_std, moments[1], rtol=1e-9, atol=1e-12)]
    b_std = candidates["ii"][1]
    interior = b_std > 0
    if bool((p_std[interior] < b_std[interior] * (1 - 1e-9)).all()):
        matches.append("iv")
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
        "i": "the posterior is pinned at mu only at s = t_T; at the clean end it is pinned at x0. Is x_s = mu for "
             "every earlier s a possible path of the bridge?",
        "iii": "the observation x_T = mu is the very condition that turned the free OU process into the bridge in "
             "notebook 01. Can it remove the pull towards mu?",
        "iv": "an observation narrows the distribution only if it was uncertain before. How uncertain was x_T before "
             "you observed it?",
    }
    if candidates[choice] is not None:
        gap = float((p_std - candidates[choice][1]).abs().max())
        message = f"the library's posterior differs from that answer: its standard deviation is off by up to {gap:.3g}."
    else:
        message = "the library's posterior is not narrower than the marginal at the grid times."
    return wrong(message, hints[choice])
