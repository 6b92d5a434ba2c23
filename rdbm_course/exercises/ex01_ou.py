"""Exercises of notebook 01 (the OU process and Doob's h-transform).

01.1 derive    ``Theta_t``, the coefficient of ``pi`` in the bridge mean, from the mean ODE of the bridge SDE:
               graded on the steps ``dM_du``, ``factor`` and ``Theta``.
01.2 derive    ``Sigma_t^2``, the bridge variance per unit ``pi^2``, from the variance ODE of the bridge SDE: graded
               on the steps ``dQ_du``, ``factor`` and ``Sigma2``.
01.3 implement ``Theta_t`` on the grid of a schedule from its clock alone: a function that reaches the library's
               coefficients (``ResidualPath.coefficients`` and the other coefficient methods, on any path object, or a
               function of ``rdbm_core.bridge.path`` / ``bridges``) is refused; a third grid, not named in the
               notebook, catches a table prepared in advance, and a fourth, with ``thbar_T = 1000`` (the notebook
               says so), catches ``sinh(thbar_{t:T}) / sinh(thbar_T)``, whose numerator and denominator overflow
               float64 there (inf / inf = NaN).

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
from .grading import Step, refuse_library, steps_answer, watching_calls

CLOCK = {"thetabar_t": u, "thetabar_T": c, "u": u, "c": c}
CLOCK_LAM = {**CLOCK, "lambda": lam, "lam": lam}
INSIDE = (lambda p: p[u] < p[c])  # 0 < u < c

#: the variance Q(u) = Var[x_t | x0] of the bridge, the unknown of the ODE of 01.2
Q = sp.Symbol("Q", real=True)

#: the mean M(u) = E[x_t | x0] of the bridge, the unknown of the ODE of 01.1
M = sp.Symbol("M", real=True)
#: the bridge's drift per unit clock, coth(c - u) (mu - x): its expectation is the right side of the mean ODE
MEAN_RATE = sp.coth(c - u) * (mu - M)


def _at(expr, value):
    return sp.simplify(sp.limit(expr, u, value))


def _log_derivative(expr):
    return sp.diff(expr, u) / expr


THETA_STEPS = (
    Step("dM_du", "dM/du, the mean ODE of the bridge per unit clock (M = E[x_t | x0])", MEAN_RATE,
         {**CLOCK, "M": M, "mu": mu, "x": x}, constraint=INSIDE,
         hints=((lambda e: x in e.free_symbols,
                 "this is the drift at one state x; the mean's rate is its expectation, a function of M."),
                (lambda e: sp.simplify(e - (mu - M)) == 0,
                 "this is the mean ODE of the free OU process (section 1); the bridge's drift has the factor "
                 "coth(c - u)."),
                (lambda e: sp.simplify(e + MEAN_RATE) == 0,
                 "the sign: the bridge's drift pulls x towards mu."),
                (lambda e: sp.diff(e, M) == 0, "the drift acts on the state: dM/du depends on M.")),
         generic_hint="take the expectation of dx = coth(c - u) (mu - x) du + sqrt(2 lam) pi dW: the noise term has "
                      "mean 0 and the drift is affine in x, so x becomes M."),
    Step("factor", "integrating factor I(u) with d/du (I (M - mu)) = 0", sp.coth(c - u), CLOCK,
         transform=_log_derivative, transformed="the logarithmic derivative I'/I", constraint=INSIDE,
         hints=((lambda e: sp.simplify(e + sp.coth(c - u)) == 0,
                 "d/du (I (M - mu)) = I' (M - mu) + I dM/du: with your dM/du this vanishes only if I'/I is the "
                 "coefficient of (M - mu) with the other sign; check the sign of your I'/I."),
                (lambda e: sp.simplify(e - 2 * sp.coth(c - u)) == 0,
                 "that is the variance's factor (01.2): the mean's drift enters once, not twice.")),
         generic_hint="I'/I must be minus the coefficient of (M - mu) in your dM/du; integrate that (the derivative "
                      "of log sinh(z) is coth(z))."),
    Step("Theta", "Theta_t = (M(u) - mu) / pi, with M = x0 = mu + pi at u = 0", family.Theta(u, c),
         CLOCK | {"mu": mu, "pi": pi}, constraint=INSIDE,
         hints=((lambda e: sp.simplify(e - sp.exp(-u)) == 0,
                 "exp(-u) is the *free* OU process; the bridge's drift pulls the mean towards mu."),
                (lambda e: _at(e, 0) != 1, "at the clean end (u = 0) the mean must be x0: Theta must equal 1 there."),
                (lambda e: _at(e, c) != 0, "at the terminal end (u = c) the bridge is pinned to mu: Theta must be 0.")),
         generic_hint="I (M - mu) is constant: equal to its value I(0) pi at u = 0. Divide by I(u) and by pi (any "
                      "equivalent form is accepted)."),
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


@exercise("01.1", "Theta_t from the bridge's mean ODE", "derive")
def check_theta(answer):
    return steps_answer(answer, THETA_STEPS,
                        done="the mean ODE, its integrating factor and Theta_t are right: the ODE is linear, so with "
                             "M = x0 at the clean end this is the bridge's mean (notebook 02a derives it again, by "
                             "Bayes).")


@exercise("01.2", "Sigma_t^2 from the bridge's variance ODE", "derive")
def check_sigma2(answer):
    return steps_answer(answer, SIGMA_STEPS,
                        done="the variance ODE, its integrating factor and Sigma_t^2 are right: the ODE is linear, so "
                             "with Q = 0 at the clean end this is the bridge's variance.")


#: the methods of a path that give Theta_t (or a value built from it) in one call
COEFFICIENT_METHODS = ("coefficients", "unit_variance", "posterior_coefficients", "mean", "std", "sample")


#: the terminal clock of the fourth grid, stated in the notebook: sinh overflows float64 above about 710
LARGE_CLOCK = 1000.0


def _grids():
    """The RDBM and GOUB paths named in the exercise, a third grid it does not name (a clean index on the grid,
    unlike both; constant theta, a clock unlike both), and a fourth whose terminal clock ``LARGE_CLOCK`` the notebook
    states (constant theta, 25 steps of 40 clock units)."""
    from rdbm_core.bridge import bridges, schedules
    from rdbm_core.bridge.path import ResidualPath

    return (bridges.rdbm(), bridges.goub(), ResidualPath(schedules.constant_theta(37, 3.3), 0.01, name="unnamed"),
            ResidualPath(schedules.constant_theta(25, LARGE_CLOCK), 0.01, name="large clock"))


def _grid_name(path):
    """How the feedback names a grid: the schedule's own name for the two grids the notebook names."""
    return {"unnamed": "third (constant-theta)", "large clock": f"fourth (thbar_T = {LARGE_CLOCK:g})"}.get(
        path.name, path.schedule.name)


@exercise("01.3", "Theta_t on a schedule's grid", "implement")
def check_theta_on_grid(answer):
    from rdbm_core.bridge.path import ResidualPath

    refused = refuse_library(answer, ("rdbm_core.bridge.path", "rdbm_core.bridge.bridges"), "Theta_t")
    if refused is not None:
        return refused
    for path in _grids():
        t = path.schedule.times()
        with watching_calls(ResidualPath, COEFFICIENT_METHODS) as used:
            got, failure = call_student(answer, path.schedule, t, name="theta_on_grid(schedule, t)")
        if used:
            return wrong(f"your function calls a path's `{used[0]}`, which computes Theta_t for you: this exercise asks "
                         "you to compute it from the schedule's clock alone.",
                         "use only schedule.clock(t), schedule.clock_to_end(t) and schedule.u_T, with your Theta from "
                         "01.1.")
        if failure is not None:
            return failure
        theta, psi, _ = path.coefficients(t)
        psi_sinh = replace(path, target="zero").coefficients(t)[1]  # sinh(thbar_t) / sinh(thbar_T)
        got_t = torch.as_tensor(got, dtype=torch.float64)
        for other in (psi, psi_sinh):
            if got_t.shape == theta.shape and torch.allclose(got_t, other, rtol=1e-6, atol=1e-6):
                return wrong("this is Psi_t, the coefficient of mu (the other end of the bridge), not Theta_t.",
                             "Theta uses the clock still to go, thbar_{t:T} = schedule.clock_to_end(t).")
        grid = _grid_name(path)
        result = tensor_answer(got, theta, what=f"Theta_t on the {grid} grid", rtol=1e-6,
                               index_name="grid index",
                               hint="evaluate your Theta from 01.1 with u = schedule.clock(t) and c = schedule.u_T "
                                    "(schedule.clock_to_end(t) is c - u); for large thbar_T write the ratio with "
                                    "exponentials to avoid overflow.")
        if not result.ok:
            return result
    return correct("Theta_t matches the library's coefficients on the RDBM and the GOUB grids, on a third grid, and "
                   f"on a fourth with thbar_T = {LARGE_CLOCK:g}, where it stays finite.")
