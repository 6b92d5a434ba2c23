"""Exercises of notebook 10 (a learned toy bridge: what modulation does to a predictor and its samplers).

10.1 predict   the exact ``x0_hat`` at ``x_t = mu`` (``t < T``) under residual modulation.
10.2 predict   ``E[pi^2 | x_t = mu]``: the squared noise factor an exact ancestral step would use there.
10.3 implement the standard deviation of the noise that the ``eta = 1`` implicit step adds, per element, with V built
               from the clock (the path's posterior, posterior_coefficients, std and sample are refused).

The truths are computed from notebook 10's mixture (and, for 10.3, from :mod:`rdbm_core.bridge.path`).
"""
from __future__ import annotations


import torch

from ._base import call_student, correct, exercise, number_answer, tensor_answer, wrong
from .grading import GuardedPath, refuse_library

DT = torch.float64
MU = 0.4  # the degraded value of notebooks 04 and 10
MODES, MODE_STD = (-0.6, 0.7), 0.05  # the two modes of x0 (equal weights)


def residual_moments_at_mu(n: int = 2001) -> tuple[float, float]:
    """``(E[pi | x_t = mu], E[pi^2 | x_t = mu])`` under modulation, for any ``t`` before the terminal time.

    Given ``x0``, ``x_t - mu = pi (Theta_t + Sigma_t eps)``, so the likelihood of ``x_t = mu`` is
    ``phi(Theta_t / Sigma_t) / (Sigma_t |pi|)``: the posterior weights are the prior's times ``1 / |pi|``,
    whatever ``t`` and ``lam``. Quadrature over each mode (+-5 standard deviations; 6 would reach pi = 0).
    """
    pis, weights = [], []
    for centre in MODES:
        x0 = centre + MODE_STD * torch.linspace(-5, 5, n, dtype=DT)
        pis.append(x0 - MU)
        weights.append(torch.exp(-0.5 * ((x0 - centre) / MODE_STD) ** 2))
    pi, w = torch.cat(pis), torch.cat(weights)
    w = w / pi.abs()
    w = w / w.sum()
    return float((w * pi).sum()), float((w * pi ** 2).sum())


# ----------------------------------------------------------------------------- 10.1


@exercise("10.1", "The exact prediction at the degraded value", "predict")
def check_x0_hat_at_mu(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (a value of x0_hat), got {answer!r}.", "for example `0.25`.")
    truth = MU + residual_moments_at_mu()[0]
    if abs(got - truth) <= 0.01:
        return correct(f"x0_hat(mu, t) = {truth:.3f} = mu: the likelihood of x_t = mu given x0 is proportional to "
                       "1/|pi|, so the narrow upper mode gets 1/0.3 times the weight of the wide lower one, and "
                       "E[pi | x_t = mu] = E[sign pi] / E[1/|pi|] = 0. The predicted residual vanishes where every "
                       "sampler starts.")
    if abs(got - 0.05) <= 0.01:
        return wrong("that is E[x0 | mu], the answer at t = T, where x_T = mu says nothing about x0.",
                     "for t < T, x_t = mu is an observation: how likely is it under each mode, given that the "
                     "noise is Sigma_t |pi|?")
    if min(abs(got - m) for m in MODES) <= 0.06:
        return wrong("the posterior at x_t = mu is not concentrated on one mode.",
                     "both modes can produce x_t = mu; compare their likelihoods there (the noise is Sigma_t |pi|).")
    return wrong("this is not the posterior mean at x_t = mu.",
                 "write x_t - mu = pi (Theta_t + Sigma_t eps) and ask how likely x_t = mu is for a given pi.")


# ----------------------------------------------------------------------------- 10.2


@exercise("10.2", "The noise factor an exact ancestral step would use", "predict")
def check_mean_square_residual(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number, got {answer!r}.", "for example `0.5`.")
    truth = residual_moments_at_mu()[1]
    if abs(got - truth) <= 0.03 * truth:
        return correct(f"E[pi^2 | x_t = mu] = {truth:.3f} (for point modes E|pi| / E[1/|pi|] = 1.0 x 0.3): the exact "
                       "step would add noise with this squared factor, the plug-in step adds (x0_hat - mu)^2 = 0.")
    if abs(got) <= 0.01:
        return wrong("that is (E[pi | x_t = mu])^2, what the plug-in sampler uses, not E[pi^2 | x_t = mu].",
                     "the mean of the squares is not the square of the mean: both modes have |pi| > 0.")
    prior = 0.5 * sum((m - MU) ** 2 + MODE_STD ** 2 for m in MODES)
    if abs(got - prior) <= 0.03 * prior:
        return wrong("that is E[pi^2] under the prior, before x_t = mu is observed.",
                     "the posterior weights at x_t = mu are the prior's times 1/|pi|.")
    if abs(got - 0.65) <= 0.02 or abs(got - 0.65 ** 2) <= 0.02:
        return wrong("this uses the prior's E|pi| = 0.65.",
                     "weight each mode by its likelihood at x_t = mu, proportional to 1/|pi|, then average pi^2.")
    return wrong("this is not E[pi^2 | x_t = mu].",
                 "the posterior weights at x_t = mu are the prior's times 1/|pi|; average pi^2 with them.")


# ----------------------------------------------------------------------------- 10.3


def _noise_setup():
    """The bridge of notebook 10 with both noise factors, a batch with some x0_hat == mu, and step pairs (t, s)."""
    from rdbm_core.bridge import bridges, schedules

    gen = torch.Generator().manual_seed(10)
    mu = 0.3 + 0.2 * torch.rand(64, 1, generator=gen, dtype=DT)
    x0_hat = torch.where(torch.arange(64)[:, None] % 8 == 0, mu, 2 * torch.rand(64, 1, generator=gen, dtype=DT) - 1)
    paths = [bridges.ou_bridge(schedules.continuous_constant(3.0), 0.1, noise=n) for n in ("modulated", "global")]
    return paths, x0_hat, mu, ((0.7, 0.6), (1.0, 0.9), (0.2, 0.05))


#: methods of the path that give V, or the answer, in one call: refused inside the student's function
FORBIDDEN_METHODS = ("posterior", "posterior_coefficients", "std", "sample")



@exercise("10.3", "The noise of the ancestral step", "implement")
def check_ancestral_noise_std(answer):
    paths, x0_hat, mu, steps = _noise_setup()
    refused = refuse_library(answer, ("rdbm_core.bridge.samplers", "rdbm_core.bridge.path",
                                      "rdbm_core.derivations"), "the step's noise")
    if refused is not None:
        return refused
    for path in paths:
        for t, s in steps:
            tt, ss = torch.tensor(t, dtype=DT), torch.tensor(s, dtype=DT)
            guarded = GuardedPath(path, FORBIDDEN_METHODS)
            got, failure = call_student(answer, guarded, x0_hat, mu, tt, ss,
                                        name="ancestral_noise_std(path, x0_hat, mu, t, s)")
            if guarded.used:
                return wrong(f"your function calls path.{guarded.used[0]}: this exercise asks you to build V from "
                             "the clock, path.schedule.clock(t), and path.lam.",
                             "V is the variance of the posterior q(x_s | x_t, x0) per unit nu(pi)^2 (notebook 02a): "
                             "write it with a = clock(s) and b = clock(t) - clock(s).")
            if failure is not None:
                return failure
            expected = path.posterior_coefficients(tt, ss)[2].sqrt() * path.noise_factor(x0_hat, mu).abs()
            result = tensor_answer(got, expected, what=f"the noise std ({path.noise} noise, t = {t}, s = {s})",
                                   rtol=1e-9, atol=1e-12)
            if result:
                continue
            got = torch.as_tensor(got, dtype=DT)
            if got.shape != expected.shape:
                return result
            sigma_s = path.coefficients(ss)[2] * path.noise_factor(x0_hat, mu).abs()
            if torch.allclose(got, sigma_s, rtol=1e-9, atol=1e-12) and t != 1.0:
                return wrong(result.message, "that is the marginal Sigma_s |nu(pi)|; eta = 1 adds the standard "
                                             "deviation of the posterior q(x_s | x_t, x0), which is smaller.")
            if (got < 0).any():
                return wrong(result.message, "a standard deviation is never negative: the noise factor enters "
                                             "through its absolute value.")
            without_factor = path.posterior_coefficients(tt, ss)[2].sqrt().expand_as(expected)
            if path.noise == "modulated" and torch.allclose(got, without_factor, rtol=1e-9):
                return wrong(result.message, "under modulation the step's noise is scaled by the predicted "
                                             "residual nu(pi_hat) = x0_hat - mu.")
            if t == 1.0 and not torch.isfinite(got).all():
                return wrong(result.message, "at t = t_T (Sigma_t = 0) your formula is not finite: write V with "
                                             "the clock increments a and b, which stay finite there.")
            return wrong(result.message, "the eta = 1 step adds rho_s nu(pi_hat) z with rho_s^2 the posterior "
                                         "variance V per unit nu(pi)^2, built from a = clock(s), "
                                         "b = clock(t) - clock(s) and lam.")
    return correct("the eta = 1 step adds sqrt(V) |nu(pi_hat)| z: under modulation it vanishes wherever "
                   "x0_hat = mu, whatever the true residual is.")
