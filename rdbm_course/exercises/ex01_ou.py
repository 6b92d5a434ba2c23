"""Exercises of notebook 01 (the OU process and Doob's h-transform).

01.1 derive    ``Theta_t``, the coefficient of ``x0`` in the bridge mean, in the clock ``(u, c)``.
01.2 derive    ``Sigma_t^2``, the bridge variance per unit ``pi^2``.
01.3 implement ``Theta_t`` on the grid of a schedule from its clock alone.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp
import torch

from derivations import family
from derivations.common import c, lam, u

from ._base import call_student, correct, exercise, sympy_answer, tensor_answer, wrong

CLOCK = {"thetabar_t": u, "thetabar_T": c, "u": u, "c": c}
CLOCK_LAM = {**CLOCK, "lambda": lam, "lam": lam}
INSIDE = (lambda p: p[u] < p[c])  # 0 < u < c


def _at(expr, value):
    return sp.simplify(sp.limit(expr, u, value))


@exercise("01.1", "Theta_t from the h-transform", "derive")
def check_theta(answer):
    return sympy_answer(
        answer, family.Theta(u, c), CLOCK, what="Theta_t", constraint=INSIDE,
        hints=((lambda e: sp.simplify(e - sp.exp(-u)) == 0,
                "exp(-u) is the *free* OU process; condition on x_T = mu (the h-transform) first."),
               (lambda e: _at(e, 0) != 1, "at the clean end (u = 0) the mean must be x0: Theta must equal 1 there."),
               (lambda e: _at(e, c) != 0, "at the terminal end (u = c) the bridge is pinned to mu: Theta must be 0.")),
        generic_hint="solve the bridge mean ODE dm/du = coth(c - u) (mu - m) with m(0) = x0; "
                     "the solution is a ratio of two sinh functions.")


@exercise("01.2", "Sigma_t^2, the bridge variance", "derive")
def check_sigma2(answer):
    return sympy_answer(
        answer, family.Sigma2(u, c), CLOCK_LAM, what="Sigma_t^2 (per unit pi^2)", constraint=INSIDE,
        hints=((lambda e: lam not in e.free_symbols, "the variance must grow with the noise level lam."),
               (lambda e: sp.simplify(e - lam * (1 - sp.exp(-2 * u))) == 0,
                "lam (1 - e^{-2u}) is the free OU variance; the bridge's variance vanishes at both ends."),
               (lambda e: _at(e, 0) != 0, "at u = 0 the path starts exactly at x0: the variance must vanish."),
               (lambda e: _at(e, c) != 0, "at u = c the bridge is pinned to mu: the variance must vanish there too.")),
        generic_hint="write the bridge as the free OU process conditioned on x_T = mu: the Gaussian product gives "
                     "2 lam times a product of two sinh over a third.")


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
