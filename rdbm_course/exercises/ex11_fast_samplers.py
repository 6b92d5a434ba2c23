"""Exercises of notebook 11 (fast bridge samplers: the exponential integrator in lambda = log(Theta/Sigma)).

11.1 predict   the weight ``psi_1(h)`` of the slope term of the exact PF-ODE step, for ``h = 1``.
11.2 implement the second-order multistep step (DBIM order 2) from ``x0_hat`` at ``t`` and at the previous time.
11.3 predict   the noise of the exact reverse-SDE step, as a fraction of ``Sigma_s``, for ``h = log 2``.

The truths are those of :mod:`rdbm_core.bridge.samplers` (``exponential_step`` and its kernel moments).
"""
from __future__ import annotations

import math

import torch

from ._base import call_student, correct, exercise, number_answer, tensor_answer, wrong

DT = torch.float64


# ----------------------------------------------------------------------------- 11.1


def slope_weight(h: float, k: float = 1.0) -> float:
    """``psi_1(h) = int_0^h k e^{-k (h - r)} r dr = h - (1 - e^{-k h}) / k``."""
    return h + math.expm1(-k * h) / k


@exercise("11.1", "The weight of the slope term", "predict")
def check_slope_weight(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (the weight psi_1), got {answer!r}.", "for example `0.25`.")
    truth = slope_weight(1.0)
    if abs(got - truth) <= 0.005:
        return correct(f"psi_1(1) = 1 - (1 - e^-1) = e^-1 = {truth:.4f}: the slope of x0_hat in lambda enters the "
                       "step with this weight (times Theta_s), less than the h^2/2 = 0.5 of a plain Taylor "
                       "integral because the kernel e^{-(h - r)} discounts the start of the step.")
    if abs(got - 0.5) <= 0.005:
        return wrong("that is int_0^h r dr = h^2/2, the integral without the exponential weight.",
                     "the exact solution integrates x0_hat against the kernel e^{-(h - r)}, not against dr.")
    if abs(got - (1 - math.exp(-1))) <= 0.005:
        return wrong("that is psi_0 = 1 - e^-h, the weight of the constant term (the implicit step).",
                     "the slope term weights r, the distance in lambda from the start of the step.")
    if abs(got - 1.0) <= 0.005:
        return wrong("that is h itself.", "integrate k e^{-k (h - r)} r from 0 to h (by parts).")
    return wrong("this is not psi_1(1).", "psi_1(h) = int_0^h e^{-(h - r)} r dr; integrate by parts.")


# ----------------------------------------------------------------------------- 11.2


def step_setup():
    """Two bridges (the published GOUB, BBDM's Brownian bridge), a batch and (t_prev, t, s) triples."""
    from rdbm_core.bridge import bridges

    gen = torch.Generator().manual_seed(11)
    mu = 2 * torch.rand(3, 3, 4, 4, generator=gen, dtype=DT) - 1
    x0_t = 2 * torch.rand(3, 3, 4, 4, generator=gen, dtype=DT) - 1
    x0_prev = x0_t + 0.2 * torch.randn(3, 3, 4, 4, generator=gen, dtype=DT)
    x_t = 0.5 * (mu + x0_t) + 0.1 * torch.randn(3, 3, 4, 4, generator=gen, dtype=DT)
    goub = bridges.goub()
    bbdm = bridges.bbdm()
    cases = [(goub, (80, 70, 60)), (goub, (40, 30, 10)), (bbdm, (800, 700, 500)), (bbdm, (400, 350, 200))]
    return cases, x_t, mu, x0_t, x0_prev


@exercise("11.2", "The second-order step", "implement")
def check_second_order_step(answer):
    from rdbm_core.bridge.samplers import exponential_step, half_log_snr, implicit_step

    cases, x_t, mu, x0_t, x0_prev = step_setup()
    for path, (t_prev, t, s) in cases:
        got, failure = call_student(answer, path, x_t, mu, t, s, x0_t, t_prev, x0_prev,
                                    name="second_order_step(path, x_t, mu, t, s, x0_t, t_prev, x0_prev)")
        if failure is not None:
            return failure
        expected = exponential_step(path, x_t, mu, t, s, x0_t, ((t_prev, x0_prev),))
        result = tensor_answer(got, expected, what=f"x_s ({path.name}, t_prev = {t_prev}, t = {t}, s = {s})",
                               rtol=1e-8, atol=1e-10)
        if result:
            continue
        got = torch.as_tensor(got, dtype=DT)
        if got.shape != expected.shape:
            return result
        first = implicit_step(path, x_t, x0_t, mu, t, s)
        if torch.allclose(got, first, rtol=1e-8, atol=1e-10):
            return wrong(result.message, "that is the first-order (implicit) step: add the slope term, Theta_s "
                                         "psi_1(h) times the slope of x0_hat in lambda estimated from x0_prev.")
        lam_p, lam_t, lam_s = (half_log_snr(path, v) for v in (t_prev, t, s))
        theta_s = path.coefficients(torch.tensor(s, dtype=DT))[0]
        slope = (x0_t - x0_prev) / (lam_t - lam_p)
        h = lam_s - lam_t
        if torch.allclose(got, first + theta_s * h ** 2 / 2 * slope, rtol=1e-8, atol=1e-10):
            return wrong(result.message, "the slope's weight is not h^2/2: integrate it against the kernel "
                                         "e^{-(h - r)} of the exact solution.")
        if torch.allclose(got, first - theta_s * slope_weight(h) * slope, rtol=1e-8, atol=1e-10):
            return wrong(result.message, "the slope term has the wrong sign: x0_prev lies at the smaller lambda "
                                         "(earlier in sampling, nearer t_T).")
        sigma_s = path.coefficients(torch.tensor(s, dtype=DT))[2]
        if torch.allclose(got, first + sigma_s * slope_weight(h) * slope, rtol=1e-8, atol=1e-10):
            return wrong(result.message, "the integral of x0_hat enters the solution multiplied by Theta_s, "
                                         "not Sigma_s.")
        return wrong(result.message, "x_s = (implicit step with x0_t) + Theta_s psi_1(h) (x0_t - x0_prev) / "
                                     "(lambda_t - lambda_prev), with lambda from rdbm_core.bridge.samplers.half_log_snr.")
    return correct("the implicit step plus the slope term: one network evaluation per step, second order, because "
                   "the line through two evaluations in lambda integrates x0_hat to O(h^3) per step.")


# ----------------------------------------------------------------------------- 11.3


@exercise("11.3", "The noise of the exact reverse-SDE step", "predict")
def check_sde_noise_fraction(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (a fraction of Sigma_s), got {answer!r}.", "for example `0.3`.")
    truth = math.sqrt(-math.expm1(-2 * math.log(2)))
    if abs(got - truth) <= 0.005:
        return correct(f"sqrt(1 - e^(-2h)) = sqrt(3)/2 = {truth:.4f}: the deviation from the mean shrinks by "
                       "kappa = (Sigma_s/Sigma_t) e^-h and the noise restores the rest of the marginal variance, "
                       "Sigma_s^2 (1 - e^(-2h)). From the pinned end (h infinite) this is all of Sigma_s: the "
                       "booting noise.")
    if abs(got - 0.75) <= 0.005:
        return wrong("that is the fraction of the variance, 1 - e^(-2h).", "the question asks for a standard "
                                                                          "deviation.")
    if abs(got - 0.5) <= 0.005:
        return wrong("that is e^-h, the extra contraction of the deviation from the mean, not the noise.",
                     "the step keeps the marginal variance: kept part kappa^2 Sigma_t^2 plus the new noise.")
    if abs(got - 1.0) <= 0.005:
        return wrong("the full Sigma_s is drawn only out of the pinned end, where h is infinite.",
                     "with a finite h part of the deviation at t is kept: kappa = (Sigma_s/Sigma_t) e^-h.")
    return wrong("this is not the fraction.",
                 "write the variance of x_s given x_t as Sigma_s^2 minus the part kept, kappa^2 Sigma_t^2.")
