"""Exercises of notebook 03 (the published bridges as members or limits of the family).

03.1 derive    the leading correction to the Brownian (``theta -> 0``) limit of ``Sigma_t^2``: ``kappa`` in
               ``Sigma_t^2(delta) = G_t (G_T - G_t)/G_T (1 + kappa delta^2 + O(delta^4))``.
03.2 implement BBDM's ``m_t`` and ``max_var`` from the clock of the library's BBDM schedule (the matching of
               BBDM's formulas with the Brownian limit).
03.3 predict   which limit of the bridge family gives IR-SDE, and how fast the gap closes; the checker measures each
               candidate on IR-SDE's grid.
"""
from __future__ import annotations

import functools
import math

import sympy as sp
import torch

from derivations import family
from derivations import special_cases as sc
from derivations.common import lam

from ._base import Feedback, call_student, correct, exercise, letter_answer, sympy_answer, tensor_answer, wrong

# ----------------------------------------------------------------------------- 03.1 the Brownian limit, corrected

G_T = sp.Symbol("G_T", positive=True)
BROWNIAN = {"G_t": sc.G_t, "G_T": G_T}


@functools.lru_cache(maxsize=None)
def brownian_correction() -> sp.Expr:
    """``kappa`` in ``Sigma_t^2(delta) = G_t (G_T - G_t)/G_T (1 + kappa delta^2 + O(delta^4))``, from the derivations'
    ``Sigma_t^2`` with ``thbar_t = delta G_t``, ``thbar_T = delta G_T``, ``lam = 1/(2 delta)`` (a series in ``delta``).
    ``Sigma_t^2(delta)`` is even in ``delta``, so there is no ``delta`` or ``delta^3`` term."""
    delta = sp.Symbol("delta", positive=True)
    scaled = family.Sigma2(delta * sc.G_t, delta * G_T).subs(lam, 1 / (2 * delta))
    series = sp.expand(sp.series(scaled, delta, 0, 4).removeO())
    limit = series.coeff(delta, 0)
    assert sp.simplify(series.coeff(delta, 1)) == 0 and sp.simplify(series.coeff(delta, 3)) == 0
    return sp.factor(sp.cancel(series.coeff(delta, 2) / limit))


def _brownian_variance() -> sp.Expr:
    return sc.G_t * (G_T - sc.G_t) / G_T


def _at(expr, value):
    return sp.simplify(expr.subs(sc.G_t, value))


@exercise("03.1", "the leading correction to the Brownian limit of Sigma_t^2", "derive")
def check_brownian_correction(answer):
    kappa = brownian_correction()
    absolute = sp.expand(kappa * _brownian_variance())
    numerator_only = (sc.G_t ** 2 + (G_T - sc.G_t) ** 2) / 6
    return sympy_answer(
        answer, kappa, BROWNIAN, what="the relative delta^2 correction kappa",
        constraint=lambda p: p[sc.G_t] < p[G_T],
        hints=((lambda e: sp.simplify(e - absolute) == 0,
                "that is the delta^2 coefficient of Sigma_t^2 itself; kappa is relative: divide by the limit "
                "G_t (G_T - G_t)/G_T."),
               (lambda e: sp.simplify(e - numerator_only) == 0 or sp.simplify(e + numerator_only) == 0,
                "the two sinh factors of the numerator are expanded; the denominator sinh(delta G_T) has a delta^2 "
                "term too, and dividing by it changes the sign of its contribution."),
               (lambda e: _at(e, 0) != 0 or _at(e, G_T) != 0,
                "at G_t -> 0 (and at G_t -> G_T) the ratio Sigma_t^2(delta) / (its limit) tends to 1 for every delta: "
                "kappa must vanish there.")),
        generic_hint="write each sinh(z) = z (1 + z^2/6 + O(z^4)) with z = delta G_t, delta (G_T - G_t) and delta G_T; "
                     "lam = 1/(2 delta) cancels the 2 and one delta, and the ratio of the three brackets is "
                     "1 + kappa delta^2.")


# ----------------------------------------------------------------------------- 03.2 BBDM's m_t and max_var

#: the BBDM variants on which a student's function is checked: (N, m_min, m_max, max_var)
BBDM_CASES = ((1000, 0.001, 0.999, 1.0), (200, 0.01, 0.99, 0.5))


def bbdm_own_m(N: int, m_min: float, m_max: float) -> torch.Tensor:
    """BBDM's ``m_t`` as its code writes it, on the library's times ``-1 .. N`` (``m = 0`` at the virtual clean index
    -1, ``m = linspace(m_min, m_max, N)``, ``m = 1`` at the virtual index N)."""
    return torch.cat([torch.zeros(1, dtype=torch.float64), torch.linspace(m_min, m_max, N, dtype=torch.float64),
                      torch.ones(1, dtype=torch.float64)])


def _close(got, expected) -> bool:
    return got.shape == expected.shape and bool(torch.allclose(got, expected, rtol=1e-9, atol=1e-12))


@exercise("03.2", "BBDM's m_t and max_var from the library's schedule", "implement")
def check_bbdm_parameters(answer):
    from rdbm_core.bridge import bridges

    for N, m_min, m_max, max_var in BBDM_CASES:
        schedule = bridges.bbdm(T=N, m_min=m_min, m_max=m_max, max_var=max_var).schedule
        t = schedule.times()
        got, failure = call_student(answer, schedule, t, name="bbdm_parameters(schedule, t)")
        if failure is not None:
            return failure
        case = f"BBDM with N = {N}, m_min = {m_min}, m_max = {m_max}, max_var = {max_var}"
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            return wrong(f"expected a pair (m, max_var), got {type(got).__name__}.",
                         "return two things: `return m, max_var` (m a tensor shaped like t, max_var a number).")
        m_got, max_var_got = got
        try:
            max_var_value = float(max_var_got)
        except (TypeError, ValueError):
            return wrong(f"max_var should be a number, got {type(max_var_got).__name__}.",
                         "max_var is one number per schedule: a float, or a 0-d tensor.")
        m_expected = bbdm_own_m(N, m_min, m_max)
        m_t = torch.as_tensor(m_got, dtype=torch.float64) if isinstance(m_got, torch.Tensor) else None
        if m_t is not None and _close(m_t, 1 - m_expected):
            return wrong(f"for {case} your m runs from 1 at the clean end to 0 at the degraded end.",
                         "m_t multiplies x_T in BBDM's mean: match it with the coefficient of mu (= x_T), not of x0.")
        if m_t is not None and _close(m_t, schedule.clock(t)) and max_var != 0.5:
            return wrong(f"for {case} your m is the clock G_t itself, which ends at G_T, not at 1.",
                         "m_t ends at 1 at the degraded end; how does the clock end?")
        if m_t is not None and m_t.shape == m_expected.shape and not _close(m_t, m_expected) \
                and _close(m_t, (t.double() + 1) / (schedule.t_T + 1)):
            return wrong(f"for {case} your m is the normalised index, not BBDM's m_t (which starts at m_min and "
                         "ends at m_max on the grid).", "read m_t off the clock, not off the index t.")
        result = tensor_answer(m_got, m_expected, what=f"m of {case}", rtol=1e-9, atol=1e-12,
                               index_name="position in schedule.times()",
                               hint="match 1 - m_t with the Brownian limit's coefficient of x0, 1 - G_t/G_T, and "
                                    "read G_t and G_T off the schedule.")
        if not result.ok:
            return result
        if not math.isclose(max_var_value, max_var, rel_tol=1e-9):
            hint = ("write the Brownian limit's variance in m_t and compare it with BBDM's 2 max_var (m_t - m_t^2)."
                    if math.isclose(max_var_value, 2 * max_var, rel_tol=1e-9) else
                    "match BBDM's variance 2 max_var (m_t - m_t^2) with the Brownian limit G_t (G_T - G_t)/G_T, "
                    "written in m_t.")
            return wrong(f"m is right, but max_var is off for {case}.", hint)
    return correct("m_t = G_t/G_T and max_var = G_T/2 on both grids: BBDM's m_t is the share of the clock already "
                   "used, and its scale is half the clock's end.")


# ----------------------------------------------------------------------------- 03.3 predict: IR-SDE as a limit

#: the candidate limits of the (global-noise) OU bridge, each taken on IR-SDE's grid with IR-SDE's lam
LIMITS = {
    "a": "the whole clock sped up: thbar_t -> k thbar_t at every t (the terminal value too), k -> infinity",
    "b": "lam -> infinity, the clock unchanged",
    "c": "the pin moved later: the bridge pinned at a terminal clock c' > thbar_T, looked at on IR-SDE's grid "
         "[0, thbar_T] only, c' -> infinity",
}
#: how the largest gap max_t |Theta_t - e^{-thbar_t}| on IR-SDE's grid behaves as the limit's parameter p grows
RATES = {"i": "it falls like 1/p", "ii": "it falls like e^{-p}", "iii": "it falls like e^{-2 p}",
         "iv": "it does not fall to 0"}
#: the limit's parameter p (k, lam / lam_IRSDE, c') at which the checker builds bridges
PARAMETERS = {"a": (2.0, 4.0, 8.0, 16.0), "b": (10.0, 100.0, 1000.0, 10000.0), "c": (6.0, 7.0, 8.0, 9.0, 10.0)}
PARAMETER_NAMES = {"a": "k", "b": "lam / lam_IRSDE", "c": "c'"}


def limit_bridges(choice: str) -> list:
    """The bridges (``ResidualPath``) that approach the limit ``choice`` on IR-SDE's grid, one per value of
    :data:`PARAMETERS`: the clock table times ``k`` ("a"), ``lam`` times the factor ("b"), and a virtual terminal
    point at clock ``c'`` after IR-SDE's last index ("c")."""
    from rdbm_core.bridge import bridges, schedules
    from rdbm_core.bridge.path import ResidualPath

    irsde = bridges.irsde()
    table = irsde.schedule.table
    out = []
    for p in PARAMETERS[choice]:
        if choice == "a":
            path = ResidualPath(schedules.from_table(p * table, clean_on_grid=True), irsde.lam, noise="global")
        elif choice == "b":
            path = ResidualPath(irsde.schedule, p * irsde.lam, noise="global")
        else:
            path = ResidualPath(schedules.from_table(table, clean_on_grid=True, terminal=p), irsde.lam,
                                noise="global")
        out.append(path)
    return out


@functools.lru_cache(maxsize=None)
def gaps_to_irsde(choice: str) -> tuple[tuple[float, float], ...]:
    """Largest gaps ``(|Theta - Theta_IRSDE|, |Sigma - Sigma_IRSDE|)`` on IR-SDE's grid between IR-SDE and each
    bridge of :func:`limit_bridges` (cached: the library's coefficients do not change within a session)."""
    from rdbm_core.bridge import bridges

    irsde = bridges.irsde()
    t = irsde.schedule.times()
    theta_ref, _, sigma_ref = irsde.coefficients(t)
    gaps = []
    for path in limit_bridges(choice):
        theta, _, sigma = path.coefficients(t)
        gaps.append((float((theta - theta_ref).abs().max()), float((sigma - sigma_ref).abs().max())))
    return tuple(gaps)


def measured_rate(choice: str) -> str | None:
    """The key of :data:`RATES` that the measured Theta-gaps of ``choice`` follow (None if none fits): "iv" when the
    last gap is not below a tenth of the first; else the mean slope of ``ln(gap)`` against ``ln p`` (-1: "i") or
    against ``p`` (-1: "ii", -2: "iii"), within 0.2."""
    ps = PARAMETERS[choice]
    gaps = [g for g, _ in gaps_to_irsde(choice)]
    if gaps[-1] > 0.1 * gaps[0]:
        return "iv"
    logs = [math.log(g) for g in gaps]
    per_log_p = (logs[-1] - logs[0]) / (math.log(ps[-1]) - math.log(ps[0]))
    per_p = (logs[-1] - logs[0]) / (ps[-1] - ps[0])
    if abs(per_log_p + 1) < 0.2:
        return "i"
    for key, slope in (("ii", -1.0), ("iii", -2.0)):
        if abs(per_p - slope) < 0.2:
            return key
    return None


def irsde_answer() -> tuple[str, str]:
    """The right answer, measured: the one limit whose Theta-gap falls below 1e-6, and the rate at which it falls."""
    closing = [k for k in LIMITS if gaps_to_irsde(k)[-1][0] < 1e-6]
    assert len(closing) == 1, closing
    return closing[0], measured_rate(closing[0])


def _trend(choice: str) -> str:
    name = PARAMETER_NAMES[choice]
    return ", ".join(f"{g:.2g} at {name} = {p:g}" for (g, _), p in zip(gaps_to_irsde(choice), PARAMETERS[choice]))


WRONG_LIMIT_HINTS = {
    "a": "IR-SDE's clock thbar_t is fixed by its grid: a limit that changes thbar_t changes e^{-thbar_t} as well.",
    "b": "lam does not appear in Theta_t at all: no value of lam changes the coefficient of pi.",
    "c": "look again at which parameter decides how hard the bridge is pulled into mu before the end of the grid.",
}


@exercise("03.3", "which limit of the family is IR-SDE, and how fast", "predict")
def check_irsde_limit(answer):
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        return wrong(f"expected a pair (limit, rate), got {answer!r}.",
                     'write two strings in parentheses, e.g. `("a", "i")`: the letter of the limit, then the rate.')
    choice = letter_answer(answer[0], LIMITS)
    if isinstance(choice, Feedback):
        return choice
    rate = letter_answer(answer[1], RATES)
    if isinstance(rate, Feedback):
        return rate
    right_limit, right_rate = irsde_answer()
    if choice != right_limit:
        return wrong(f"with that limit the bridge does not approach IR-SDE on IR-SDE's own grid: the largest gap in "
                     f"Theta is {_trend(choice)}.", WRONG_LIMIT_HINTS[choice])
    if rate != right_rate:
        return wrong("the limit is right, but its gap does not close at that rate.",
                     "write Theta_t - e^{-thbar_t} over one denominator in e^{c'}, then keep its leading term for "
                     "large c' at a fixed thbar_t.")
    gaps = [g for g, _ in gaps_to_irsde(choice)]
    ps = PARAMETERS[choice]
    per_unit = (math.log(gaps[-1]) - math.log(gaps[0])) / (ps[-1] - ps[0])
    return correct(f"moving the pin away switches it off on the grid: the bridge's pull coth(c' - thbar_t) tends to "
                   f"1, the free OU drift. The largest gap in Theta is {_trend(choice)}: each unit of c' multiplies it "
                   f"by e^{{{per_unit:.2f}}}.")
