"""Exercises of notebook 09 (the bridge explorer): predict from a formula, then check with the explorer.

09.1 predict   how long an OU bridge's clock ``thbar_T`` must be for its largest standard deviation to reach 99 % of
               ``sqrt(lam)`` (from ``max_t Sigma_t^2 = lam tanh(thbar_T / 2)``).
09.2 predict   the smallest residual ``|pi|`` for which RDBM's noise, at its published ``lam = 1e-4`` on the
               ``reference`` schedule, reaches one 8-bit grey level (``2/255`` on images in ``[-1, 1]``).
09.3 predict   the first grid index at which RDBM's mean has moved at least half way from ``x0`` to ``mu``
               (``Theta_t <= 1/2``) on the ``constant`` schedule (``theta = 0.05`` per step).

None of the three answers is printed or drawn by notebook 09 above its exercise, nor by the call the exercise names
for checking.  Every truth is computed with :mod:`rdbm_course.explorer` and the library's bridges.
"""
from __future__ import annotations

import functools
import math

from ._base import correct, exercise, number_answer, wrong

SHARE_09_1 = 0.99  # 09.1: the share of sqrt(lam) the largest standard deviation must reach
LEVEL = 2 / 255  # 09.2: one 8-bit grey level on images in [-1, 1]
SCHEDULE_09_3 = "constant"  # 09.3: the schedule on which Theta_t crosses 1/2


# ----------------------------------------------------------------------------- 09.1


def peak_share(thbar_T: float) -> float:
    """``max_t Sigma_t / sqrt(lam)`` of an OU bridge whose clock ends at ``thbar_T``, from the library: the bridge on
    a continuous constant-rate schedule (clock ``thbar_T t`` on ``[0, 1]``) at :func:`explorer.noise_peak`."""
    from rdbm_core.bridge import bridges, schedules
    from rdbm_course import explorer

    path = bridges.ou_bridge(schedules.continuous_constant(theta=thbar_T), 1.0, noise="global")
    return explorer.noise_peak(path)[0]


@functools.lru_cache(maxsize=None)
def clock_for_share(share: float = SHARE_09_1) -> float:
    """The truth of 09.1: the final clock ``thbar_T`` at which :func:`peak_share` reaches ``share`` (bisection; the
    peak share increases with the clock), cached."""
    lo, hi = 1e-3, 60.0
    for _ in range(45):  # 60 / 2^45: below 1e-12
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if peak_share(mid) < share else (lo, mid)
    return (lo + hi) / 2


@exercise("09.1", "How long a clock for the noise to saturate", "predict")
def check_saturation_clock(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (a final clock thbar_T), got {answer!r}.",
                     "for example `3.0` if you think a clock ending at 3 is just long enough.")
    if got <= 0:
        return wrong("a clock is a sum of rates theta >= 0: thbar_T is positive.",
                     "solve max_t Sigma_t / sqrt(lam) = 0.99 for thbar_T.")
    truth = clock_for_share()
    if abs(got - truth) <= 0.01 * truth:
        return correct(f"thbar_T = {truth:.3f}: tanh(thbar_T / 2) = 0.99^2 = 0.9801, so thbar_T = 2 artanh(0.9801) "
                       f"= ln(1.9801 / 0.0199). The `constant` (5) and `goub-grid` (5.298) clocks are a little "
                       f"longer, `reference` (7.879) and `linear` (10.5) much longer: on all four an OU bridge's noise "
                       f"is within 1 % of sqrt(lam). DDBM-VP's own clock (0.55) is far too short.")
    variance_99 = 2 * math.atanh(SHARE_09_1)
    if abs(got - variance_99) <= 0.01 * variance_99:
        return wrong("at that clock the largest *variance* Sigma_t^2 reaches 99 % of lam; the question is about the "
                     "standard deviation Sigma_t and sqrt(lam).",
                     "square both sides first: max Sigma_t / sqrt(lam) = 0.99 means max Sigma_t^2 / lam = 0.99^2.")
    if any(abs(got - c) <= 0.01 * c for c in (math.atanh(SHARE_09_1 ** 2), math.atanh(SHARE_09_1))):
        return wrong("that clock makes tanh(thbar_T), not tanh(thbar_T / 2), reach the target.",
                     "Sigma_t^2 is largest half way along the clock, at thbar_t = thbar_T / 2: the peak is "
                     "lam tanh(thbar_T / 2).")
    if got < truth:
        return wrong(f"too short: at thbar_T = {got:g} the largest standard deviation stays below 0.99 sqrt(lam).",
                     "write max_t Sigma_t^2 / lam = tanh(thbar_T / 2), set it to 0.99^2 and solve for thbar_T.")
    return wrong(f"longer than needed: at thbar_T = {got:g} the largest standard deviation is already above "
                 "0.99 sqrt(lam); the question asks for the shortest such clock.",
                 "write max_t Sigma_t^2 / lam = tanh(thbar_T / 2), set it to 0.99^2 and solve for thbar_T.")


# ----------------------------------------------------------------------------- 09.2


def rdbm_peak_std() -> float:
    """RDBM's largest ``Sigma_t`` at its published ``lam`` on the reference schedule (the std of a value with
    ``|pi| = 1``)."""
    from rdbm_course import explorer

    return explorer.noise_peak(explorer.explorer_path("rdbm"))[0]


def visible_residual() -> float:
    """The truth of 09.2: the smallest ``|pi|`` with ``max_t Sigma_t |pi| >= LEVEL`` under published RDBM."""
    return LEVEL / rdbm_peak_std()


@exercise("09.2", "The smallest residual whose noise reaches one grey level", "predict")
def check_visible_residual(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (a residual |pi|), got {answer!r}.",
                     "for example `0.5` if you think a value with |pi| = 0.5 reaches one grey level.")
    if got < 0:
        return wrong("the question asks for |pi|, which is not negative.",
                     "under RDBM the standard deviation of x_t is Sigma_t |pi|: set its largest value to 2/255.")
    truth = visible_residual()
    if abs(got - truth) <= 0.01 * truth:
        return correct(f"|pi| = {truth:.3f}: RDBM's std is Sigma_t |pi|, and its largest Sigma_t is "
                       f"sqrt(lam tanh(thbar_T / 2)) = {rdbm_peak_std():.6f}, within 0.04 % of sqrt(lam) = 0.01; so "
                       f"|pi| = (2/255) / {rdbm_peak_std():.6f}. Values with a smaller residual never get a grey level "
                       f"of noise, at any t; on images in [-1, 1] |pi| can reach 2, where the noise is about 2.5 grey "
                       f"levels.")
    if abs(got - 1 / truth) <= 0.01 / truth:
        return wrong("that is the largest standard deviation at |pi| = 1 counted in grey levels; the question asks "
                     "for the residual at which it is one grey level.",
                     "the std is proportional to |pi|: which |pi| makes it exactly 2/255?")
    half_level = truth / 2
    if abs(got - half_level) <= 0.01 * half_level:
        return wrong("that uses 1/255 as the grey level: on images in [-1, 1] the 256 levels span a range of 2.",
                     "one grey level is 2/255 here.")
    variance = LEVEL / 1e-4
    if abs(got - variance) <= 0.01 * variance:
        return wrong("lam is a variance: the standard deviation scales with sqrt(lam), not lam.",
                     "the largest Sigma_t is sqrt(lam tanh(thbar_T / 2)).")
    side = "below" if got < truth else "above"
    return wrong(f"at |pi| = {got:g} the largest standard deviation is {side} one grey level, and the question asks "
                 "for the residual at which it is exactly one.",
                 "the std of x_t under RDBM is Sigma_t |pi|; take Sigma_t at its peak and set the product to 2/255.")


# ----------------------------------------------------------------------------- 09.3


def half_way_index(schedule: str = SCHEDULE_09_3) -> int:
    """The truth of 09.3: the first grid index at which RDBM's ``Theta_t <= 1/2`` on ``schedule``."""
    from rdbm_course import explorer

    path = explorer.explorer_path("rdbm", schedule=schedule)
    grid = explorer.time_grid(path)
    below = (path.coefficients(grid)[0] <= 0.5).nonzero()
    return int(grid[below[0, 0]])


@exercise("09.3", "When the mean is half way on the constant schedule", "predict")
def check_half_way(answer):
    from rdbm_course import explorer

    path = explorer.explorer_path("rdbm", schedule=SCHEDULE_09_3)
    t_clean, t_T = path.schedule.t_clean, path.schedule.t_T
    got = number_answer(answer)
    if got is None or got != int(got):
        return wrong(f"expected a grid index (an integer from {t_clean} to {t_T}), got {answer!r}.",
                     "the bridge exists only at the grid indices: give the first index with Theta_t <= 1/2.")
    got = int(got)
    truth = half_way_index()
    if got == truth:
        clock = float(path.schedule.clock(truth))
        return correct(f"t = {truth}: while the clock still to run is long, Theta_t is close to e^(-thbar_t), which "
                       f"is 1/2 at thbar_t = ln 2 = 0.693; the constant schedule's clock is 0.05 t, so t = 13.9, "
                       f"and the first grid index past it is {truth} (thbar_t = {clock:.2f}). The noise peaks much "
                       f"later, at t = 50, where the clock is half way: the mean's half-way point is set by the clock "
                       f"itself (ln 2), the noise's by the share of the clock (thbar_T / 2).")
    if not t_clean <= got <= t_T:
        return wrong(f"t = {got} is outside this schedule's grid ({t_clean}..{t_T}).",
                     "the constant schedule has 100 steps; index 0 is the clean end.")
    if got == 50:
        return wrong("t = 50 is where the noise Sigma_t peaks (half way along the clock); Theta_t is already well "
                     "below 1/2 there.",
                     "Theta_t = sinh(thbar_T - thbar_t) / sinh(thbar_T); when thbar_T - thbar_t is large this is "
                     "close to e^(-thbar_t).")
    if got == half_way_index("reference"):
        return wrong("that is where Theta_t reaches 1/2 on RDBM's own reference schedule; the constant schedule's "
                     "clock runs at 0.05 per step from the start.",
                     "find the clock value at which Theta_t = 1/2, then the index at which the constant clock "
                     "reaches it.")
    side = ("Theta_t is still above 1/2 there" if got < truth
            else "Theta_t is below 1/2 there, but not for the first time")
    return wrong(f"t = {got} is not the first index with Theta_t <= 1/2: {side}.",
                 "Theta_t is close to e^(-thbar_t) while thbar_T - thbar_t is large; which clock value gives 1/2, "
                 "and at which index does the constant clock (0.05 per step) pass it?")
