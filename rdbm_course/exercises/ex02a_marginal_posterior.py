"""Exercises of notebook 02a (the forward bridge: its marginal and its posterior).

02a.1 derive    the variance coefficient ``V`` of the posterior ``q(x_s | x_t, x0)`` per unit ``pi^2`` and the
                weight ``K`` of ``x_t`` in its mean, by Bayes: graded on the steps ``log_prior``, ``log_kernel``,
                ``precision``, ``V`` and ``K`` (a bare formula, such as the library's
                ``family.posterior_coefficients(a, b)[2]``, is refused).
02a.2 predict   the spread of ``x_s`` drawn in two stages (``x_t`` from the marginal, then ``x_s`` from the
                posterior) against the marginal's spread at ``s``.
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
    Step("K", "weight of x_t in the posterior mean", family.posterior_coefficients(a, b)[1], POSTERIOR,
         hints=((lambda e: D in zero(e).free_symbols,
                 "your K depends on thbar_{t:T}: given x_t, nothing after t enters the posterior."),
                (lambda e: zero(e - sp.exp(-b)) == 0,
                 "e^{-thbar_{s:t}} is the weight of x_s in the forward mean of x_t given x_s; the posterior goes the "
                 "other way: read its mean off the quadratic in x."),
                (lambda e: _limit(e, b, 0) != 1,
                 "as s -> t (thbar_{s:t} -> 0) the posterior mean must reach x_t: K must tend to 1 there."),
                (lambda e: _limit(e, a, 0) != 0,
                 "at s = 0 (thbar_s -> 0) we know x_s = x0 whatever x_t is: K must vanish there.")),
         generic_hint="the mean is (coefficient of x in log_prior + log_kernel) / precision; K is its derivative in "
                      "x_t. Only the kernel's cross term e^{-b} (x_t - mu) x / (lam (1 - e^{-2b}) pi^2) carries x_t."),
)


@exercise("02a.1", "the posterior variance of q(x_s | x_t, x0) and the weight of x_t, by Bayes", "derive")
def check_posterior_variance(answer):
    return steps_answer(answer, POSTERIOR_STEPS,
                        done="both factors, their precision, V and K are right: the posterior is the OU bridge "
                             "from x0 to x_t, and thbar_{t:T} has dropped out.")


# ----------------------------------------------------------------------------- 02a.2 a draw of x_t, then of x_s

#: the three answers of 02a.2: how the spread of x_s, drawn in two stages, compares with the marginal's at s
TWO_STAGE_CHOICES = {
    "i": "smaller than the marginal's: each posterior is narrower than the marginal, so their mixture is too",
    "ii": "equal to the marginal's: the x_s drawn are distributed as q(x_s | x0)",
    "iii": "larger than the marginal's: the randomness of x_t and of the posterior add up",
}
#: the pixel, the bridge and the two times of the experiment (the picture of notebook 02a, section 2)
TWO_STAGE = {"x0": 0.6, "mu": -0.2, "lam": 0.1, "t": 80, "s": 75}


def two_stage_spread() -> tuple[float, float]:
    """``(std of x_s drawn in two stages, std of the marginal q(x_s | x0))`` for the pixel of :data:`TWO_STAGE`.

    Two stages: ``x_t ~ q(x_t | x0)``, then ``x_s ~ q(x_s | x_t, x0)``. The library's posterior mean is affine in
    ``x_t`` (its slope is read off two evaluations), so by the law of total variance the spread of ``x_s`` is
    ``sqrt(slope^2 Var[x_t] + posterior variance)``. Computed from :meth:`ResidualPath.posterior`, not stored.
    """
    from rdbm_core.bridge import bridges

    path = bridges.rdbm(lam=TWO_STAGE["lam"])
    x0 = torch.tensor([TWO_STAGE["x0"]], dtype=torch.float64)
    mu_ = torch.tensor([TWO_STAGE["mu"]], dtype=torch.float64)
    t, s = torch.tensor(TWO_STAGE["t"]), torch.tensor(TWO_STAGE["s"])
    m_t = path.mean(x0, mu_, t)
    at_mean, post_std = path.posterior(m_t, x0, mu_, t, s)
    one_above, _ = path.posterior(m_t + 1.0, x0, mu_, t, s)
    slope = one_above - at_mean
    spread = (slope ** 2 * path.std(x0, mu_, t) ** 2 + post_std ** 2).sqrt()
    return float(spread), float(path.std(x0, mu_, s))


def two_stage_answer() -> str:
    """The numeral whose description the library's two-stage spread satisfies (computed, not stored)."""
    spread, marginal = two_stage_spread()
    if abs(spread / marginal - 1) < 1e-9:
        return "ii"
    return "i" if spread < marginal else "iii"


@exercise("02a.2", "the spread of x_s drawn through x_t", "predict")
def check_two_stage(answer):
    choice = letter_answer(answer, TWO_STAGE_CHOICES)
    if not isinstance(choice, str):
        return choice
    truth = two_stage_answer()
    if choice == truth:
        return correct("drawing x_t from q(x_t | x0) and then x_s from q(x_s | x_t, x0) is drawing the pair "
                       "(x_s, x_t) from their joint law given x0; x_s alone then has its marginal q(x_s | x0). The "
                       "posterior's narrowness is made up by its mean, which moves with x_t (the law of total "
                       "variance: V + K^2 Sigma_t^2 = Sigma_s^2).")
    hints = {
        "i": "each posterior is narrower than the marginal, but its centre moves with x_t. What is the spread of a "
             "mixture of narrow Gaussians whose centres are spread out?",
        "iii": "the posterior is not independent of x_t: it is the law of x_s given that very x_t. Write the joint "
               "density of (x_s, x_t) given x0 as a product of the two stages.",
        "ii": "compare the law of total variance with the marginal's variance.",
    }
    return wrong("the library's posterior, drawn after x_t, does not give that spread of x_s.", hints[choice])
