"""Exercises of notebook 09 (the bridge explorer): predict, then check with the explorer.

09.1 predict   the factor by which the largest noise level ``max_t Sigma_t`` changes when ``lam`` is multiplied by 4.
09.2 predict   the grid index at which RDBM's ``Sigma_t`` peaks on the ``constant`` theta schedule.
09.3 predict   which of the five bridges leave an intact pixel (``pi = 0``) exactly at ``mu`` along every path.

Every truth is computed with :mod:`rdbm_course.explorer` (the settings the explorer draws).
"""
from __future__ import annotations


import torch

from ._base import correct, exercise, number_answer, wrong

LAM_FACTOR = 4.0
MU_INTACT = 0.5  # the degraded value of the intact pixel of 09.3


# ----------------------------------------------------------------------------- 09.1


def sigma_max_ratio(bridge: str, factor: float = LAM_FACTOR) -> float:
    """``max_t Sigma_t`` at ``factor`` times the published ``lam``, divided by it at the published ``lam``."""
    from rdbm_course import explorer

    base = explorer.explorer_path(bridge)
    scaled = explorer.explorer_path(bridge, lam=factor * base.lam)
    grid = explorer.time_grid(base)
    return float(scaled.coefficients(grid)[2].max() / base.coefficients(grid)[2].max())


@exercise("09.1", "Four times the noise variance", "predict")
def check_lam_factor(answer):
    from rdbm_course.explorer import BRIDGE_CHOICES

    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (a factor), got {answer!r}.",
                     "for example `3.0` if you think the largest Sigma_t triples.")
    ratios = {bridge: sigma_max_ratio(bridge) for bridge in BRIDGE_CHOICES}
    truth = ratios["rdbm"]
    if abs(got - truth) <= 0.01 * truth:
        same = max(abs(r - truth) for r in ratios.values()) < 1e-9
        return correct(f"max Sigma_t grows by {truth:.6g} = sqrt({LAM_FACTOR:g})"
                       + (" for every bridge of the explorer" if same else "")
                       + ": lam is a variance, Sigma_t^2 = lam times a shape that does not depend on lam, so the "
                         "standard deviation scales with sqrt(lam) and the peak stays where it was.")
    if abs(got - LAM_FACTOR) <= 0.01 * LAM_FACTOR:
        return wrong("that is the factor of the variance Sigma_t^2, not of Sigma_t.",
                     "lam is a variance: it multiplies Sigma_t^2, and Sigma_t is a standard deviation.")
    if abs(got - LAM_FACTOR ** 2) <= 0.01 * LAM_FACTOR ** 2:
        return wrong("Sigma_t grows more slowly than lam, not faster.",
                     "write Sigma_t^2 as lam times a shape that does not depend on lam, then take the square root.")
    if abs(got - 1) <= 0.01:
        return wrong("Sigma_t does depend on lam.",
                     "the shape Sigma_t / sqrt(lam) does not; move the lam slider and read the maximum in the title "
                     "of the middle panel.")
    if got < 1:
        return wrong("a larger lam gives more noise, not less.", "lam multiplies the variance Sigma_t^2.")
    return wrong("this is not the factor.",
                 "for every bridge Sigma_t^2 is lam times a shape that does not change with lam; what does "
                 "multiplying lam by 4 do to its square root?")


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


def still_bridges(mu: float = MU_INTACT, n: int = 8) -> set[str]:
    """The explorer's bridges (published settings) whose sample paths from ``x0 = mu`` stay exactly at ``mu``."""
    from rdbm_course import explorer

    out = set()
    for bridge in explorer.BRIDGE_CHOICES:
        path = explorer.explorer_path(bridge)
        paths = explorer.sample_paths(path, mu, mu, explorer.time_grid(path), n,
                                      generator=torch.Generator().manual_seed(0))
        if bool((paths == mu).all()):
            out.add(bridge)
    return out


@exercise("09.3", "An intact pixel", "predict")
def check_intact_pixel(answer):
    from rdbm_course.explorer import BRIDGE_CHOICES

    if isinstance(answer, str):
        answer = {answer}
    try:
        got = {str(name).strip().lower() for name in answer}
    except TypeError:
        return wrong(f"expected a set of bridge names, got {type(answer).__name__}.",
                     f"for example `{{'goub', 'bbdm'}}`, or `set()` for none; the names are "
                     f"{', '.join(BRIDGE_CHOICES)}.")
    unknown = sorted(got - set(BRIDGE_CHOICES))
    if unknown:
        return wrong(f"unknown bridge name(s): {', '.join(unknown)}.", f"use the names {', '.join(BRIDGE_CHOICES)}.")
    truth = still_bridges()
    if got == truth:
        return correct("only the bridge with residual-modulated noise: its standard deviation is Sigma_t |pi| = 0 "
                       "and its mean is mu + Theta_t pi = mu, so a pixel with x0 = mu never moves, on every path. "
                       "The others add global noise (s = 1) to every pixel, degraded or not.")
    extra, missing = got - truth, truth - got
    if "ddbm-vp" in extra:
        return wrong("DDBM-VP moves an intact pixel.",
                     "its noise is global, and its mean reverts to 0 rather than to mu: Theta_t x0 + Psi_t mu with "
                     "Theta_t + Psi_t < 1 inside (x0 = mu = 0.5 here). Set pi = 0 in the explorer and look.")
    if extra:
        return wrong(f"{', '.join(sorted(extra))} move{'s' if len(extra) == 1 else ''} an intact pixel.",
                     "look at the title of the middle panel: global noise (s = 1) reaches every pixel whatever its "
                     "residual; set pi = 0 in the explorer and watch the paths.")
    if missing:
        return wrong("one bridge leaves an intact pixel exactly at mu, and your answer leaves it out.",
                     "which bridge's standard deviation is Sigma_t |pi|? With pi = 0 its noise and the move of its "
                     "mean, Theta_t pi, are both zero.")
    return wrong("this is not the set.", "set pi = 0 in the explorer and look at each bridge's paths.")
