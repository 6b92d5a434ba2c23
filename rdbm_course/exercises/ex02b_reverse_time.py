"""Exercises of notebook 02b (reversing time: the score, the reverse SDE and the probability-flow ODE).

02b.1 derive    the probability-flow ODE velocity ``dx/du`` with ``x0`` replaced by ``mu + pihat``.
02b.2 derive    the leading term of the PF-ODE velocity along a bridge path near the terminal point.
02b.3 implement the reverse-time SDE drift on images, finite at intact pixels.
"""
from __future__ import annotations

import sympy as sp
import torch

from derivations import family, reverse
from derivations.common import c, eps, lam, mu, pi, pihat, u, x, zero

from ._base import (call_student, correct, exercise, intact_batch, sympy_answer, tensor_answer, tensor_or_none,
                    wrong)

# ----------------------------------------------------------------------------- 02b.1 PF-ODE velocity

VELOCITY = {"x": x, "mu": mu, "pihat": pihat, "thetabar_t": u, "thetabar_T": c, "u": u, "c": c,
            "lambda": lam, "lam": lam}


def _score_term():
    """``lam (x - mu - Theta pihat) / Sigma^2``: minus half of ``g^2`` times the score, per unit clock."""
    return lam * (x - mu - family.Theta(u, c) * pihat) / family.Sigma2(u, c)


def _is(expr, reference):
    return zero(expr - reference) == 0


@exercise("02b.1", "the probability-flow ODE velocity", "derive")
def check_pf_velocity(answer):
    drift = family.bridge_drift(u, c)
    return sympy_answer(
        answer, family.pf_velocity(x, u, c, pihat), VELOCITY, what="the PF-ODE velocity dx/du",
        constraint=lambda p: p[u] < p[c],
        hints=((lambda e: _is(e, drift),
                "this is the forward drift f alone; the probability flow also has the score term "
                "-(1/2) g^2 d/dx log q."),
               (lambda e: _is(e, drift + 2 * _score_term()),
                "this is the drift of the reverse-time SDE, f - g^2 d/dx log q; the deterministic flow takes half of "
                "the g^2 term."),
               (lambda e: _is(e, drift - _score_term()),
                "the score term has the wrong sign: d/dx log q points back to the mean, and the flow subtracts it."),
               (lambda e: pihat in sp.denom(sp.together(e)).free_symbols,
                "pihat should cancel: g^2 = 2 lam pihat^2 (per unit clock) multiplies a score with pihat^2 in the "
                "denominator.")),
        generic_hint="v = f - (1/2) g^2 d/dx log q with f = coth(thbar_{t:T}) (mu - x), g^2 = 2 lam pihat^2 per unit "
                     "clock and q = N(mu + Theta pihat, Sigma^2 pihat^2); differentiate the Gaussian log-density in x.")


# ----------------------------------------------------------------------------- 02b.2 the velocity near T

NEAR_T = {"lam": lam, "lambda": lam, "pi": pi, "eps": eps, "epsilon": eps}


@exercise("02b.2", "the leading term of the PF-ODE velocity near the terminal point", "derive")
def check_near_T_rate(answer):
    reference = reverse.check_near_T_rate()
    return sympy_answer(
        answer, reference, NEAR_T, what="the limit of sqrt(thbar_{t:T}) times the velocity",
        hints=((lambda e: zero(e) == 0,
                "along a bridge path the velocity does not vanish that fast: the two 1/d terms cancel, but a term "
                "of order d^{-1/2} survives. (Zero comes out with the reverse-SDE drift f - g^2 score instead of "
                "the probability flow f - g^2 score / 2.)"),
               (lambda e: zero(e - 2 * reference) == 0,
                "this is what the forward drift coth(d)(mu - x) alone gives; the score term is of the same order "
                "near T and takes part of it back."),
               (lambda e: zero(e - 3 * reference) == 0,
                "the score term has the wrong sign: the flow subtracts (1/2) g^2 d/dx log q."),
               (lambda e: eps not in e.free_symbols,
                "the surviving term comes from the noise part Sigma pi eps of the path: your limit should depend on "
                "which path (which eps) you are on."),
               (lambda e: sp.simplify(e.subs(lam, 4 * lam) / e) != 2,
                "the noise part of the path is Sigma pi eps, and Sigma^2 is proportional to lam: how does the "
                "result scale with lam?")),
        generic_hint="write u = c - d, put x = mu + Theta pi + Sigma pi eps into the velocity of 02b.1 (pihat = pi), "
                     "multiply by sqrt(d) and let SymPy take sp.limit(..., d, 0); or expand coth(d), Theta and Sigma^2 "
                     "to the first order in d by hand.")


# ----------------------------------------------------------------------------- 02b.3 the reverse-SDE drift on images

#: the bridge and the grid times on which a student's drift is checked
DRIFT_LAM = 0.01
DRIFT_TIMES = (30, 90)


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
        got, failure = call_student(answer, path, x_t, x0_hat, mu_, t, name="reverse_sde_drift(path, x, x0_hat, mu, t)")
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
