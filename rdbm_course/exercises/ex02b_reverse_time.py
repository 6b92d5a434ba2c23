"""Exercises of notebook 02b (reversing time: the score, the reverse SDE and the probability-flow ODE).

02b.1 derive    the probability-flow ODE velocity ``dx/du`` with ``x0`` replaced by ``mu + pihat``: graded on the
                steps ``g2_score`` (``g^2`` times the score, ``pihat^2`` cancelled) and ``velocity``.
02b.2 derive    the leading term of the PF-ODE velocity along a bridge path near the terminal point: graded on the
                leading terms ``Theta_lead`` and ``Sigma2_lead`` of Theta_t and Sigma_t^2 as d = thbar_{t:T} -> 0,
                the limits of the velocity's three parts ``v_mean``, ``v_noise``, ``v_score`` times sqrt(d), and
                that of the whole velocity ``v``.
02b.3 implement (a) the reverse-time SDE drift on images, finite at intact pixels, and (b) with it, the factor
                ``a_t`` by which one Euler-Maruyama step from ``t`` to ``t - 1`` multiplies ``x_t``; handed in as
                ``{"drift": ..., "step_factor": ...}``. The path handed to the student's functions refuses
                ``reverse_drift``, ``velocity``, ``score`` and ``posterior`` (one call away).

A bare formula (the library's ``family.pf_velocity(x, u, c, pihat)`` or ``reverse.check_near_T_rate()``) is refused:
the derive exercises take a dict of steps (:mod:`rdbm_course.exercises.grading`).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp
import torch

from derivations import family, reverse
from derivations.common import c, d, eps, lam, mu, pi, pihat, u, x, zero

from ._base import (call_student, correct, exercise, intact_batch, tensor_answer, tensor_or_none,
                    wrong)
from .grading import GuardedPath, Step, refuse_library, steps_answer

# ----------------------------------------------------------------------------- 02b.1 PF-ODE velocity

VELOCITY = {"x": x, "mu": mu, "pihat": pihat, "thetabar_t": u, "thetabar_T": c, "u": u, "c": c,
            "lambda": lam, "lam": lam}
INSIDE = (lambda p: p[u] < p[c])


def _score_term():
    """``lam (x - mu - Theta pihat) / Sigma^2``: minus half of ``g^2`` times the score, per unit clock."""
    return lam * (x - mu - family.Theta(u, c) * pihat) / family.Sigma2(u, c)


def _is(expr, reference):
    return zero(expr - reference) == 0


SCORE_HAT = -(x - mu - family.Theta(u, c) * pihat) / (family.Sigma2(u, c) * pihat ** 2)


def _pihat_divides(expr):
    if pihat in sp.denom(sp.together(sp.cancel(expr))).free_symbols:
        return wrong("the value is right, but pihat still divides: g^2 = 2 lam pihat^2 should cancel the pihat^2 of "
                     "the score.", "cancel pihat^2 before you go on (sp.cancel), so that nothing divides by pihat.")
    return None


VELOCITY_STEPS = (
    Step("g2_score", "g^2 times the score, per unit clock (g^2 = 2 lam pihat^2)", 2 * lam * pihat ** 2 * SCORE_HAT,
         VELOCITY, constraint=INSIDE, extra=_pihat_divides,
         hints=((lambda e: _is(e, -2 * lam * pihat ** 2 * SCORE_HAT),
                 "the sign: the score points from x back to the mean of q."),
                (lambda e: _is(e, 2 * lam * pihat ** 4 * SCORE_HAT),
                 "the variance of q is Sigma_t^2 pihat^2: under modulation the score divides by pihat^2, and g^2 "
                 "multiplies by it.")),
         generic_hint="differentiate the Gaussian log-density -(x - mean)^2 / (2 variance) in x, with mean "
                      "mu + Theta_t pihat and variance Sigma_t^2 pihat^2 (as section 1 of the notebook did with pi), "
                      "multiply by g^2 = 2 lam pihat^2 and cancel."),
    Step("velocity", "PF-ODE velocity dx/du", family.pf_velocity(x, u, c, pihat), VELOCITY, constraint=INSIDE,
         hints=((lambda e: _is(e, family.bridge_drift(u, c)),
                 "this is the forward drift f alone; the probability flow also has the score term "
                 "-(1/2) g^2 d/dx log q."),
                (lambda e: _is(e, family.bridge_drift(u, c) + 2 * _score_term()),
                 "this is the drift of the reverse-time SDE, f - g^2 d/dx log q; the deterministic flow takes half of "
                 "the g^2 term."),
                (lambda e: _is(e, family.bridge_drift(u, c) - _score_term()),
                 "the score term has the wrong sign: the flow subtracts (1/2) g^2 d/dx log q.")),
         extra=_pihat_divides,
         generic_hint="v = f - (1/2) g^2 d/dx log q with f = coth(thbar_{t:T}) (mu - x) per unit clock: your "
                      "step 'g2_score' is the second term without its factor -1/2."),
)


@exercise("02b.1", "the probability-flow ODE velocity", "derive")
def check_pf_velocity(answer):
    return steps_answer(answer, VELOCITY_STEPS,
                        done="g^2 times the score (pihat^2 cancelled) and the velocity are right: nothing in the "
                             "probability flow divides by pihat.")


# ----------------------------------------------------------------------------- 02b.2 the velocity near T

NEAR_T = {"lam": lam, "lambda": lam, "pi": pi, "eps": eps, "epsilon": eps, "c": c, "thetabar_T": c}
#: the three parts of the velocity on the path x = mu + Theta pi + Sigma pi eps (pihat = pi), times sqrt(d), as d -> 0
NEAR_T_LIMITS = {"v_mean": sp.Integer(0), "v_noise": -sp.sqrt(2 * lam) * pi * eps, "v_score": sp.sqrt(lam / 2) * pi * eps}


def _near_T_step(key, what, hints, generic_hint):
    return Step(key, what, NEAR_T_LIMITS[key], NEAR_T, hints=hints, generic_hint=generic_hint)


#: the leading-order steps may also use d = thbar_{t:T}
NEAR_T_D = {**NEAR_T, "d": d, "thetabar_t:T": d}

NEAR_T_STEPS = (
    Step("Theta_lead", "leading term of Theta_t = sinh(d)/sinh(c) as d -> 0", d / sp.sinh(c), NEAR_T_D,
         hints=((lambda e: zero(e - family.Theta(c - d, c)) == 0,
                 "this is Theta_t itself; its leading term keeps only the first term of the Taylor series of sinh(d) "
                 "in d."),),
         generic_hint="Theta_t = sinh(thbar_{t:T})/sinh(c) = sinh(d)/sinh(c), and sinh(d) = d + O(d^3)."),
    Step("Sigma2_lead", "leading term of Sigma_t^2 as d -> 0", 2 * lam * d, NEAR_T_D,
         hints=((lambda e: zero(e - family.Sigma2(c - d, c)) == 0,
                 "this is Sigma_t^2 itself; its leading term is a constant times d."),),
         generic_hint="Sigma_t^2 = 2 lam sinh(c - d) sinh(d)/sinh(c): near d = 0, sinh(d) = d + O(d^3) and "
                      "sinh(c - d) = sinh(c) + O(d)."),
    _near_T_step("v_mean", "limit of sqrt(d) v_mean, v_mean = the forward drift acting on the mean part Theta_t pi",
                 ((lambda e: e.has(sp.oo, sp.zoo), "Theta_t vanishes like d at T: coth(d) Theta_t stays finite."),),
                 "near T, coth(d) is about 1/d and Theta_t = sinh(d)/sinh(c) about d/sinh(c): what does sqrt(d) do "
                 "to their finite product?"),
    _near_T_step("v_noise", "limit of sqrt(d) v_noise, v_noise = the forward drift acting on the noise part "
                            "Sigma_t pi eps",
                 ((lambda e: eps not in e.free_symbols, "v_noise carries the noise eps of the path: so does its limit."),),
                 "near T, coth(d) is about 1/d and Sigma_t^2 = 2 lam sinh(c - d) sinh(d)/sinh(c) about 2 lam d."),
    _near_T_step("v_score", "limit of sqrt(d) v_score, v_score = the score term of the velocity on the path",
                 ((lambda e: eps not in e.free_symbols, "v_score carries the noise eps of the path: so does its limit."),
                  (lambda e: zero(e + NEAR_T_LIMITS["v_score"]) == 0,
                   "the sign: the flow subtracts (1/2) g^2 times the score, which points back to the mean.")),
                 "on the path x - mu - Theta_t pi = Sigma_t pi eps, and Sigma_t is about sqrt(2 lam d) near T."),
    Step("v", "limit of sqrt(d) dx/du along the path", reverse.check_near_T_rate(), NEAR_T,
         hints=((lambda e: zero(e) == 0,
                 "the parts v_noise and v_score do not cancel completely: a part of order d^{-1/2} survives. (Zero comes out "
                 "with the reverse-SDE drift f - g^2 score instead of the probability flow f - g^2 score / 2.)"),
                (lambda e: zero(e - NEAR_T_LIMITS["v_noise"]) == 0,
                 "this is what the forward drift alone gives; the score term is of the same order near T."),),
         generic_hint="the velocity is v_mean + v_noise + v_score, and each of your three limits is finite: add them."),
)


@exercise("02b.2", "the leading term of the PF-ODE velocity near the terminal point", "derive")
def check_near_T_rate(answer):
    return steps_answer(answer, NEAR_T_STEPS,
                        done="the score term takes back half of the drift's 1/sqrt(d) part; what remains grows like "
                             "d^{-1/2}, which is integrable: a path leaves mu with a vertical tangent but travels a "
                             "finite distance.")


# ----------------------------------------------------------------------------- 02b.3 the reverse-SDE drift on images

#: the bridge and the grid times on which a student's drift is checked
DRIFT_LAM = 0.01
DRIFT_TIMES = (30, 90)


#: methods of the path that compute the answer (or its score term) in one call: refused inside the student's function
FORBIDDEN_METHODS = ("reverse_drift", "velocity", "score", "posterior", "pf_velocity")



def drift_inputs():
    """The batch of 02b.3: ``(x0, mu, x0_hat, noise, intact)``, about a third of the pixels intact."""
    return intact_batch(seed=5)


#: the grids and times on which a student's step factor is checked: (number of grid steps, grid times)
FACTOR_TIMES = ((100, (98, 50, 1)), (400, (398, 1)))


def _du(path, t) -> float:
    """The clock length of the step from ``t`` to ``t - 1``."""
    return float(path.schedule.clock(t) - path.schedule.clock(t - 1))


def _drift_slope(path, t, score_weight=2.0) -> float:
    """``d F / dx`` of ``coth(thbar_{t:T}) (mu - x) + score_weight lam (x - E[x_t]) / Sigma_t^2`` (2: the reverse
    SDE's drift, 1: the probability-flow velocity)."""
    sigma = float(path.coefficients(t)[2])
    return score_weight * path.lam / sigma ** 2 - 1 / float(torch.tanh(path.schedule.clock_to_end(t)))


def step_factor_reference(path, t) -> float:
    """``a_t = 1 - du d F_rev / dx``: one Euler-Maruyama step from ``t`` to ``t - 1`` is ``x_{t-1} = a_t x_t`` plus
    terms free of ``x_t`` (the drift is affine in ``x``)."""
    return 1 - _du(path, t) * _drift_slope(path, t)


def _check_drift(answer):
    from rdbm_core.bridge import bridges

    path = bridges.rdbm(lam=DRIFT_LAM)
    x0, mu_, x0_hat, noise, intact = drift_inputs()
    hint = ("per unit clock, the drift is the forward drift coth(thbar_{t:T}) (mu - x) minus g^2 times the score, "
            "with g^2 = 2 lam pi_hat^2 per unit clock; path.coefficients(t) gives Theta_t and Sigma_t and "
            "path.schedule.clock_to_end(t) gives thbar_{t:T}.")
    for t_ in DRIFT_TIMES:
        t = torch.tensor(t_)
        x_t = path.sample(x0, mu_, t, noise=noise)
        guarded = GuardedPath(path, FORBIDDEN_METHODS)
        got, failure = call_student(answer, guarded, x_t, x0_hat, mu_, t, name="reverse_sde_drift(path, x, x0_hat, mu, t)")
        if guarded.used:
            name = guarded.used[0]
            what = ("the probability-flow velocity" if name == "velocity" else
                    "the reverse-SDE drift itself" if name == "reverse_drift" else "a library term of the drift")
            return wrong(f"your function calls path.{name}, {what}: this exercise asks you to build the drift from "
                         "path.coefficients(t), path.lam and path.schedule.clock_to_end(t).",
                         "write the forward drift and the g^2-times-score term yourself, with the pi_hat^2 cancelled.")
        refused = refuse_library(answer, ("rdbm_core.bridge.samplers", "rdbm_core.bridge.path"), "the drift")
        if refused is not None:
            return refused
        if failure is not None:
            return failure
        got_t = tensor_or_none(got)
        if got_t is not None and got_t.shape == x_t.shape:
            if torch.isfinite(got_t[~intact]).all() and not torch.isfinite(got_t[intact]).all():
                return wrong(f"at t = {t_} your drift is finite where the pixel is degraded but NaN or infinite at "
                             "the intact pixels (pi_hat = 0).",
                             "the score divides by pi_hat^2 and g^2 multiplies by pi_hat^2: cancel them on paper "
                             "before you write the code, so that nothing divides by pi_hat.")
            if torch.allclose(got_t, path.velocity(x_t, x0_hat, mu_, t), rtol=1e-9, atol=1e-12):
                return wrong(f"at t = {t_} this is the probability-flow velocity, not the reverse-SDE drift.",
                             "the deterministic flow takes half of g^2 times the score; the reverse-time SDE takes "
                             "all of it (its noise makes up the difference).")
            if torch.allclose(got_t, path.bridge_drift(x_t, mu_, t), rtol=1e-9, atol=1e-12):
                return wrong(f"at t = {t_} this is the forward drift alone.",
                             "running time backwards adds the term -g^2 d/dx log q to the forward drift.")
        result = tensor_answer(got, path.reverse_drift(x_t, x0_hat, mu_, t), what=f"the drift at t = {t_}",
                               rtol=1e-9, atol=1e-12, index_name="flat index", hint=hint)
        if not result.ok:
            return result
    return None


def _close(got: float, expected: float) -> bool:
    return abs(got - expected) <= 1e-7 * max(1.0, abs(expected))


def _check_step_factor(answer):
    from rdbm_core.bridge import bridges

    for n, times in FACTOR_TIMES:
        path = bridges.rdbm(n=n, lam=DRIFT_LAM)
        for t_ in times:
            t = torch.tensor(t_)
            guarded = GuardedPath(path, FORBIDDEN_METHODS)
            got, failure = call_student(answer, guarded, t, name="step_factor(path, t)")
            if guarded.used:
                return wrong(f"your step_factor calls path.{guarded.used[0]}: compute a_t with your own drift of "
                             "part (a).", "call your reverse_sde_drift inside step_factor.")
            refused = refuse_library(answer, ("rdbm_core.bridge.samplers", "rdbm_core.bridge.path"), "the step factor")
            if refused is not None:
                return refused
            if failure is not None:
                return failure
            got_t = tensor_or_none(got)
            if got_t is None or got_t.numel() != 1:
                return wrong(f"step_factor(path, t) should return one number, got {type(got).__name__}"
                             + (f" with {got_t.numel()} entries" if got_t is not None else "") + ".",
                             "a_t multiplies every pixel alike: return a float (or a one-element tensor).")
            value = float(got_t.reshape(()))
            where = f"on the {n}-step grid at t = {t_}"
            du, slope, flow_slope = _du(path, t), _drift_slope(path, t), _drift_slope(path, t, 1.0)
            if _close(value, step_factor_reference(path, t)):
                continue
            if _close(value, 1 + du * slope):
                return wrong(f"{where} your factor has the wrong sign of the drift term.",
                             "the sampler steps against the clock: x_{t-1} = x_t - du F_rev(x_t) + noise.")
            if _close(value, 1 - du * flow_slope):
                return wrong(f"{where} this is the factor of an Euler step on the probability-flow velocity.",
                             "the reverse-SDE drift has all of -g^2 times the score, the velocity half of it.")
            if _close(value, slope) or _close(value, -slope) or _close(value, du * slope) or _close(value, -du * slope):
                return wrong(f"{where} this is (up to its sign, with or without du) the slope of the drift in x, "
                             "not the factor of the step.",
                             "write the whole step, x_t - du F_rev(x_t), and read off what multiplies x_t.")
            if _close(value, 1 - float(path.schedule.clock(t)) * slope):
                return wrong(f"{where} your du is the clock at t, not the clock length of the step.",
                             "du = thbar_t - thbar_{t-1}: path.schedule.clock(t) - path.schedule.clock(t - 1).")
            return wrong(f"{where} your factor is not a_t (the tolerance is 1e-7 relative).",
                         "F_rev is affine in x: evaluate your drift at two values of x (same x0_hat and mu) to get "
                         "its slope, then write the step x_t - du F_rev(x_t) with du = thbar_t - thbar_{t-1}.")
    return None


@exercise("02b.3", "the reverse-SDE drift on images and the factor of one Euler-Maruyama step", "implement")
def check_reverse_drift(answer):
    if not isinstance(answer, dict) or set(answer) != {"drift", "step_factor"}:
        got = type(answer).__name__ if not isinstance(answer, dict) else f"a dict with keys {sorted(answer)}"
        return wrong(f"expected a dict with the keys 'drift' and 'step_factor', got {got}.",
                     'hand in {"drift": reverse_sde_drift, "step_factor": step_factor}: the two functions of parts '
                     "(a) and (b), not their values.")
    for part, check_part in (("drift", _check_drift), ("step_factor", _check_step_factor)):
        failure = check_part(answer[part])
        if failure is not None:
            return replace(failure, message=f"part '{part}': {failure.message}")
    return correct("your drift is the library's reverse-time SDE drift, finite at intact pixels (the pi_hat^2 of "
                   "g^2 cancels the one of the score), and your step factor a_t is right on both grids.")
