"""Exercises of notebook 01 (the OU process and Doob's h-transform).

01.1 derive    ``Theta_t``, the coefficient of ``pi`` in the bridge mean, by Bayes: graded on the steps
               ``log_p``, ``log_h``, ``precision`` and ``Theta``.
01.2 derive    ``Sigma_t^2``, the bridge variance per unit ``pi^2``, from the variance ODE of the bridge SDE: graded
               on the steps ``dQ_du``, ``factor`` and ``Sigma2``.
01.3 implement ``Theta_t`` on the grid of a schedule from its clock alone.

The derive exercises take a dict of steps (:mod:`rdbm_course.exercises.grading`): a bare formula, such as the
library's ``family.Theta(u, c)``, is refused.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp
import torch

from derivations import family
from derivations.common import c, lam, mu, pi, u, x

from ._base import call_student, correct, exercise, tensor_answer, wrong
from .grading import Step, steps_answer

CLOCK = {"thetabar_t": u, "thetabar_T": c, "u": u, "c": c}
CLOCK_LAM = {**CLOCK, "lambda": lam, "lam": lam}
INSIDE = (lambda p: p[u] < p[c])  # 0 < u < c

#: the variance Q(u) = Var[x_t | x0] of the bridge, the unknown of the ODE of 01.2
Q = sp.Symbol("Q", real=True)
STATE = {**CLOCK_LAM, "x": x, "mu": mu, "pi": pi}

#: the two Gaussian factors of Bayes's rule in x = x_t (terms free of x dropped): the free OU marginal from
#: x0 = mu + pi over the clock u, and h(x, t) = p(x_T = mu | x_t = x), the kernel over the lag c - u at mu
LOG_P = -(x - mu - sp.exp(-u) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * u)) * pi ** 2)
LOG_H = -(sp.exp(-(c - u)) * (x - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * (c - u))) * pi ** 2)
PRECISION = -sp.diff(LOG_P + LOG_H, x, 2)


def _at(expr, value):
    return sp.simplify(sp.limit(expr, u, value))


def _d_dx(expr):
    return sp.diff(expr, x)


THETA_STEPS = (
    Step("log_p", "log p(x_t = x | x0) up to terms free of x", _d_dx(LOG_P), STATE, transform=_d_dx,
         transformed="the x-derivative",
         generic_hint="p(x_t | x0) is the kernel of section 1 started at x0 = mu + pi (so x_s - mu = pi) over the clock "
                      "lag u: a Gaussian in x with mean mu + e^{-u} pi and variance lam (1 - e^{-2u}) pi^2."),
    Step("log_h", "log h(x, t) up to terms free of x", _d_dx(LOG_H), STATE, transform=_d_dx,
         transformed="the x-derivative", constraint=INSIDE,
         hints=((lambda e: sp.simplify(e - _d_dx(LOG_P)) == 0,
                 "this is log p(x_t | x0) again; h is the kernel from x at clock u to mu at clock c."),),
         generic_hint="h(x, t) = p(x_T = mu | x_t = x) is the same kernel over the lag c - u, started at x and "
                      "evaluated at mu: a Gaussian density of mu whose mean mu + e^{-(c - u)} (x - mu) depends on x."),
    Step("precision", "precision (1 / variance) of the product, minus the second x-derivative of log_p + log_h",
         PRECISION, CLOCK_LAM | {"pi": pi}, constraint=INSIDE,
         hints=((lambda e: sp.simplify(e + sp.diff(LOG_P, x, 2)) == 0,
                 "this is the precision of p(x_t | x0) alone; the factor h is a Gaussian in x too and adds its own."),
                (lambda e: x in e.free_symbols, "a precision does not depend on x: differentiate twice.")),
         generic_hint="the precision of a product of Gaussians in x is the sum of their precisions; read each off "
                      "the coefficient of x^2 (times -2)."),
    Step("Theta", "Theta_t = (E[x_t | x0, x_T = mu] - mu) / pi", family.Theta(u, c), CLOCK | {"mu": mu, "pi": pi},
         constraint=INSIDE,
         hints=((lambda e: sp.simplify(e - sp.exp(-u)) == 0,
                 "exp(-u) is the *free* OU process; the factor h pulls the mean towards mu."),
                (lambda e: _at(e, 0) != 1, "at the clean end (u = 0) the mean must be x0: Theta must equal 1 there."),
                (lambda e: _at(e, c) != 0, "at the terminal end (u = c) the bridge is pinned to mu: Theta must be 0.")),
         generic_hint="the mean of the product is the x where the x-derivative of log_p + log_h vanishes; "
                      "subtract mu and divide by pi (any equivalent form is accepted)."),
)

SIGMA_STEPS = (
    Step("dQ_du", "dQ/du, the variance ODE of the bridge per unit clock (Q = Var[x_t | x0])",
         -2 * sp.coth(c - u) * Q + 2 * lam * pi ** 2, {**CLOCK_LAM, "pi": pi, "Q": Q}, constraint=INSIDE,
         hints=((lambda e: sp.simplify(e - (-2 * Q + 2 * lam * pi ** 2)) == 0,
                 "this is the variance ODE of the free OU process (section 1); the bridge's drift has the factor "
                 "coth(c - u)."),
                (lambda e: sp.simplify(e - (-sp.coth(c - u) * Q + 2 * lam * pi ** 2)) == 0,
                 "Ito's formula on x^2 gives 2 E[(x - M) f]: the drift's factor enters the variance twice."),
                (lambda e: sp.diff(e, Q) == 0, "the variance is pulled in by the drift: dQ/du depends on Q."),
                (lambda e: sp.simplify(e.subs(Q, 0)) == 0,
                 "the noise adds g^2 = 2 lam pi^2 per unit clock, whatever Q is.")),
         generic_hint="Ito on x and x^2 for dx = coth(c - u) (mu - x) du + sqrt(2 lam) pi dW: as in section 1 for the "
                      "free process, with the bridge's drift."),
    Step("factor", "integrating factor I(u) with d/du (I Q) = 2 lam pi^2 I", 2 * sp.coth(c - u),
         {**CLOCK_LAM, "pi": pi}, transform=lambda e: sp.diff(e, u) / e, transformed="the logarithmic derivative I'/I",
         constraint=INSIDE,
         generic_hint="d/du (I Q) = I' Q + I dQ/du must leave no Q: I'/I must be minus the coefficient of Q in your "
                      "dQ/du; integrate that (the derivative of log sinh(z) is coth(z))."),
    Step("Sigma2", "Sigma_t^2 = Q(u) / pi^2, with Q = 0 at u = 0", family.Sigma2(u, c), CLOCK_LAM | {"pi": pi},
         constraint=INSIDE,
         hints=((lambda e: lam not in e.free_symbols, "the variance must grow with the noise level lam."),
                (lambda e: sp.simplify(e - lam * (1 - sp.exp(-2 * u))) == 0,
                 "lam (1 - e^{-2u}) is the free OU variance; the bridge's variance vanishes at both ends."),
                (lambda e: _at(e, 0) != 0, "at u = 0 the path starts exactly at x0: the variance must vanish."),
                (lambda e: _at(e, c) != 0, "at u = c the bridge is pinned to mu: the variance must vanish there too.")),
         generic_hint="integrate d/du (I Q) = 2 lam pi^2 I from 0 (where Q = 0) to u, then divide by I(u) and by "
                      "pi^2 (any equivalent form is accepted)."),
)


@exercise("01.1", "Theta_t from the h-transform, by Bayes", "derive")
def check_theta(answer):
    return steps_answer(answer, THETA_STEPS,
                        done="both factors, the precision of their product and Theta_t are right: completing the "
                             "square in x derived the mean of the bridge.")


@exercise("01.2", "Sigma_t^2 from the bridge's variance ODE", "derive")
def check_sigma2(answer):
    return steps_answer(answer, SIGMA_STEPS,
                        done="the variance ODE, its integrating factor and Sigma_t^2 are right: the ODE is linear, so "
                             "with Q = 0 at the clean end this is the bridge's variance.")


@exercise("01.3", "Theta_t on a schedule's grid", "implement")
def check_theta_on_grid(answer):
    from rdbm_core.bridge import bridges

    for path in (bridges.rdbm(), bridges.goub()):
        t = path.schedule.times()
        got, failure = call_student(answer, path.schedule, t, name="theta_on_grid(schedule, t)")
        if failure is not None:
            return failure
        theta, psi, _ = path.coefficients(t)
        psi_sinh = replace(path, target="zero").coefficients(t)[1]  # sinh(thbar_t) / sinh(thbar_T)
        got_t = torch.as_tensor(got, dtype=torch.float64)
        for other in (psi, psi_sinh):
            if got_t.shape == theta.shape and torch.allclose(got_t, other, rtol=1e-6, atol=1e-6):
                return wrong("this is Psi_t, the coefficient of mu (the other end of the bridge), not Theta_t.",
                             "Theta uses the clock still to go, thbar_{t:T} = schedule.clock_to_end(t).")
        result = tensor_answer(got, theta, what=f"Theta_t on the {path.schedule.name} grid", rtol=1e-6,
                               index_name="grid index",
                               hint="evaluate your Theta from 01.1 with u = schedule.clock(t) and c = schedule.u_T "
                                    "(schedule.clock_to_end(t) is c - u); for large thbar_T write the ratio with "
                                    "exponentials to avoid overflow.")
        if not result.ok:
            return result
    return correct("Theta_t matches the library's coefficients on the RDBM and the GOUB grids.")
