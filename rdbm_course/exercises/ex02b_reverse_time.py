"""Exercises of notebook 02b (reversing time: the score, the reverse SDE and the probability-flow ODE).

02b.1 derive    the probability-flow ODE velocity ``dx/du`` with ``x0`` replaced by ``mu + pihat``: graded on the
                steps ``g2_score`` (``g^2`` times the score, ``pihat^2`` cancelled) and ``velocity``.
02b.2 derive    the leading term of the PF-ODE velocity along a bridge path near the terminal point: graded on the
                limits of its three parts ``v_mean``, ``v_noise``, ``v_score`` and their sum ``rate``.
02b.3 implement the reverse-time SDE drift on images, finite at intact pixels; the path handed to the student's
                function refuses ``reverse_drift``, ``velocity``, ``score`` and ``posterior`` (one call away).

A bare formula (the library's ``family.pf_velocity(x, u, c, pihat)`` or ``reverse.check_near_T_rate()``) is refused:
the derive exercises take a dict of steps (:mod:`rdbm_course.exercises.grading`).
"""
from __future__ import annotations

import sympy as sp
import torch

from derivations import family, reverse
from derivations.common import c, eps, lam, mu, pi, pihat, u, x, zero

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


NEAR_T_STEPS = (
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
    Step("rate", "limit of sqrt(d) dx/du along the path", reverse.check_near_T_rate(), NEAR_T,
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


@exercise("02b.3", "the reverse-SDE drift on images", "implement")
def check_reverse_drift(answer):
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
    return correct("your drift is the library's reverse-time SDE drift, finite at intact pixels: the pi_hat^2 of "
                   "g^2 cancels the one of the score.")
