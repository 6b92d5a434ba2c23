"""Exercises of notebook 09 (the bridge explorer): predict, then check with the explorer.

09.1 predict   the largest standard deviation of DDBM-VP when its short clock (thbar_T = 0.55) is replaced by the
               ``linear`` schedule (thbar_T = 10.5), lam = 1 unchanged.
09.2 predict   the grid index at which RDBM's ``Sigma_t`` peaks on the ``constant`` theta schedule.
09.3 predict   the lowest value of the mean of an intact value (``pi = 0``, ``x0 = mu = 0.5``) under DDBM-VP at its
               published settings.

Every truth is computed with :mod:`rdbm_course.explorer` (the settings the explorer draws).
"""
from __future__ import annotations

import math

from ._base import correct, exercise, number_answer, wrong

LONG_SCHEDULE = "linear"  # the schedule of 09.1
MU_INTACT = 0.5  # the degraded value of the intact pixel of 09.3


def _max_std(bridge: str, schedule: str = "published") -> float:
    """The largest ``Sigma_t`` of ``bridge`` (published lam) on ``schedule``, over the explorer's time grid."""
    from rdbm_course import explorer

    path = explorer.explorer_path(bridge, schedule=schedule)
    return float(path.coefficients(explorer.time_grid(path))[2].max())


# ----------------------------------------------------------------------------- 09.1


def vp_max_std(schedule: str = LONG_SCHEDULE) -> float:
    """The truth of 09.1: DDBM-VP's largest ``Sigma_t`` (lam = 1) on ``schedule``, as the middle panel prints it."""
    return _max_std("ddbm-vp", schedule)


@exercise("09.1", "DDBM-VP on a long clock", "predict")
def check_long_clock(answer):
    from rdbm_course import explorer

    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (a standard deviation), got {answer!r}.",
                     "for example `0.7` if you think the largest Sigma_t becomes 0.7.")
    truth = vp_max_std()
    published = _max_std("ddbm-vp")
    c_short = explorer.explorer_path("ddbm-vp").schedule.u_T
    c_long = explorer.explorer_path("ddbm-vp", schedule=LONG_SCHEDULE).schedule.u_T
    if abs(got - truth) <= 0.01 * truth:
        return correct(f"max Sigma_t = {truth:.5f}: in Sigma_t^2 = lam (1 - e^(-2 thbar_t)) (1 - e^(-2 thbar_t:T)) / "
                       f"(1 - e^(-2 thbar_T)) every exponential is tiny once both thbar_t and thbar_T - thbar_t are "
                       f"large, so in the middle of a long clock Sigma_t^2 is lam = 1: the variance the OU process "
                       f"settles at when it has forgotten both ends. On the short clock (thbar_T = {c_short:.2f}) "
                       f"the pins keep it at {published:.3f}.")
    if abs(got - published) <= 0.01 * published:
        return wrong(f"that is DDBM-VP's largest Sigma_t on its own clock (thbar_T = {c_short:.2f}); the linear "
                     f"schedule's clock ends at {c_long:.1f}.",
                     "in the formula for Sigma_t^2, what do the exponentials do when thbar_t and thbar_T - thbar_t "
                     "are both large?")
    brownian = published * math.sqrt(c_long / c_short)
    if abs(got - brownian) <= 0.02 * brownian:
        return wrong("an OU bridge's noise does not grow like the square root of its clock: that is the Brownian "
                     "bridge (Sigma_t^2 = G_t (G_T - G_t) / G_T).",
                     "the OU process pulls its values back (theta > 0): each factor of Sigma_t^2 / lam is below 1.")
    if got > truth:
        return wrong("too large: Sigma_t^2 / lam is a product of factors that are all at most 1.",
                     "write Sigma_t^2 / lam at thbar_t = thbar_T / 2 for a large thbar_T.")
    return wrong("too small: the longer clock lets the bridge forget its pinned ends in the middle.",
                 "in the formula for Sigma_t^2, what do the exponentials do when thbar_t and thbar_T - thbar_t "
                 "are both large?")


# ----------------------------------------------------------------------------- 09.2


def _sigma_peak(schedule: str) -> tuple[int, int, int]:
    """(index of the largest Sigma_t, t_clean, t_T) of RDBM on ``schedule``."""
    from rdbm_course import explorer

    path = explorer.explorer_path("rdbm", schedule=schedule)
    ts = explorer.time_grid(path)
    return int(ts[path.coefficients(ts)[2].argmax()]), path.schedule.t_clean, path.schedule.t_T


@exercise("09.2", "Where Sigma_t peaks on the constant schedule", "predict")
def check_constant_peak(answer):
    truth, t_clean, t_T = _sigma_peak("constant")
    got = number_answer(answer)
    if got is None or got != int(got):
        return wrong(f"expected a grid index (an integer from {t_clean} to {t_T}), got {answer!r}.",
                     "read t off the middle panel of the explorer, or predict it from the schedule.")
    got = int(got)
    if abs(got - truth) <= 1:
        return correct(f"Sigma_t peaks at t = {truth}: with a constant theta the clock thbar_t grows linearly, so "
                       "the point where it is half way (thbar_t = thbar_T / 2, where sinh(a) sinh(c - a) is largest) "
                       "is the middle of the grid.")
    if not t_clean <= got <= t_T:
        return wrong(f"t = {got} is outside this schedule's grid ({t_clean}..{t_T}).",
                     "the constant schedule has 100 steps; index 0 is the clean end.")
    if got in (t_clean, t_T):
        return wrong("at an end point Sigma_t = 0.", "x_t = x0 at the clean end and x_t = mu at the pinned end.")
    reference_peak, *_ = _sigma_peak("reference")
    if abs(got - reference_peak) <= 2:
        return wrong("that is where Sigma_t peaks on the reference schedule.",
                     "the reference clock starts slowly (tiny cosine betas) and reaches thbar_T / 2 late; a constant "
                     "theta makes the clock grow at the same rate at every step.")
    return wrong(f"Sigma_t is not largest at t = {got}: the peak is {'later' if got < truth else 'earlier'}.",
                 "Sigma_t^2 is symmetric in the clock about thbar_T / 2; where is the constant schedule's clock half "
                 "way?")


# ----------------------------------------------------------------------------- 09.3


def vp_intact_mean(mu: float = MU_INTACT):
    """The mean ``(Theta_t + Psi_t) mu`` of an intact value (``x0 = mu``) under DDBM-VP over the explorer's grid:
    ``(times, means)``."""
    from rdbm_course import explorer

    path = explorer.explorer_path("ddbm-vp")
    times = explorer.time_grid(path)
    theta, psi, _ = path.coefficients(times)
    return times, (theta + psi) * mu


def vp_lowest_intact_mean(mu: float = MU_INTACT) -> float:
    """The truth of 09.3: the lowest mean of an intact value under DDBM-VP at its published settings."""
    return float(vp_intact_mean(mu)[1].min())


@exercise("09.3", "An intact value under DDBM-VP", "predict")
def check_intact_vp(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (the lowest mean), got {answer!r}.",
                     "for example `0.45` if you think the mean of the intact value dips to 0.45.")
    times, means = vp_intact_mean()
    truth = float(means.min())
    if abs(got - truth) <= 0.003 * truth:
        return correct(f"the lowest mean is {truth:.4f}, at t = {float(times[means.argmin()]):.3f}: "
                       "Theta_t + Psi_t = (sinh(thbar_T - thbar_t) + sinh(thbar_t)) / sinh(thbar_T) is symmetric "
                       "about the half-way clock and smallest there, where it is 1 / cosh(thbar_T / 2). DDBM-VP "
                       "pulls towards 0, not towards mu, so even a value with x0 = mu moves (and gets global noise "
                       "on top).")
    mean_half = float(means[(times - 0.5).abs().argmin()])
    if abs(got - MU_INTACT) <= 0.001:
        return wrong("the mean of an intact value does move under DDBM-VP.",
                     "its mean reverts to 0, not to mu: with x0 = mu the mean is (Theta_t + Psi_t) mu, and "
                     "Psi_t is not 1 - Theta_t for this bridge.")
    if abs(got - mean_half) <= 0.001:
        return wrong("that is the mean at t = 0.5, the middle of the time axis; the lowest mean is somewhere else.",
                     "Theta_t + Psi_t is symmetric in thbar_t <-> thbar_T - thbar_t; where is DDBM-VP's clock half "
                     "way (thbar_t = 0.05 t + t^2 / 2)?")
    if got > MU_INTACT:
        return wrong("the mean never rises above mu here: the pull is towards 0, below mu = 0.5.",
                     "with x0 = mu the mean is (Theta_t + Psi_t) mu; is Theta_t + Psi_t above or below 1?")
    if got < 0.25:
        return wrong("far too low: DDBM-VP's clock is short (thbar_T = 0.55), so the pull towards 0 is weak.",
                     "with x0 = mu the mean is (Theta_t + Psi_t) mu; evaluate Theta_t + Psi_t where it is smallest.")
    return wrong(f"this is not the lowest mean: it is {'lower' if got > truth else 'higher'} than your value.",
                 "Theta_t + Psi_t = (sinh(thbar_T - thbar_t) + sinh(thbar_t)) / sinh(thbar_T); where is it "
                 "smallest, and what is it there?")
