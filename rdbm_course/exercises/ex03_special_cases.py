"""Exercises of notebook 03 (the published bridges as members or limits of the family).

03.1 derive    the Brownian (``theta -> 0``) limit of ``Sigma_t^2`` in the accumulated variance ``G_t``, ``G_T``.
03.2 implement BBDM's variance ``2 s (m_t - m_t^2)`` from the clock of the library's BBDM schedule.
03.3 predict   which limit of the bridge family gives IR-SDE; the checker measures each candidate on IR-SDE's grid.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp
import torch

from derivations import special_cases as sc

from ._base import call_student, correct, exercise, letter_answer, sympy_answer, tensor_answer, wrong

# ----------------------------------------------------------------------------- 03.1 the Brownian limit of Sigma^2

G_T = sp.Symbol("G_T", positive=True)
BROWNIAN = {"G_t": sc.G_t, "G_T": G_T}


def brownian_variance() -> sp.Expr:
    """The derivations' limit of ``Sigma_t^2`` (``thbar = e G``, ``lam = 1/(2 e)``, ``e -> 0``) in ``G_t``, ``G_T``."""
    return sc.ve_limits()[1].subs(sc.H, G_T - sc.G_t)


def _at(expr, value):
    return sp.simplify(expr.subs(sc.G_t, value))


@exercise("03.1", "the Brownian limit of Sigma_t^2", "derive")
def check_brownian_variance(answer):
    return sympy_answer(
        answer, brownian_variance(), BROWNIAN, what="the theta -> 0 limit of Sigma_t^2",
        constraint=lambda p: p[sc.G_t] < p[G_T],
        hints=((lambda e: sp.simplify(e - sc.G_t) == 0,
                "G_t is the variance of free Brownian motion; the bridge is pinned at G_T, so its variance must "
                "return to zero there."),
               (lambda e: _at(e, 0) != 0, "at G_t = 0 the path is exactly x0: the variance must vanish."),
               (lambda e: _at(e, G_T) != 0, "at G_t = G_T the path is pinned to mu: the variance must vanish.")),
        generic_hint="substitute thbar_t = e G_t, thbar_T = e G_T and lam = 1/(2 e) into Sigma_t^2 and use "
                     "sinh(e z) = e z + O(e^3); lam = 1/(2 e) absorbs one factor e and the 2.")


# ----------------------------------------------------------------------------- 03.2 BBDM's variance

#: the BBDM variants on which a student's function is checked: (T, m_min, m_max, max_var)
BBDM_CASES = ((1000, 0.001, 0.999, 1.0), (200, 0.01, 0.99, 0.5))


def bbdm_own_variance(T: int, m_min: float, m_max: float, max_var: float) -> torch.Tensor:
    """BBDM's variance as its code writes it, ``2 max_var (m_t - m_t^2)``, on the library's times ``-1 .. T``
    (``m = 0`` at the virtual clean index -1, ``m = linspace(m_min, m_max, T)``, ``m = 1`` at the virtual index T)."""
    m = torch.cat([torch.zeros(1, dtype=torch.float64), torch.linspace(m_min, m_max, T, dtype=torch.float64),
                   torch.ones(1, dtype=torch.float64)])
    return 2 * max_var * (m - m ** 2)


@exercise("03.2", "BBDM's variance from the library's schedule", "implement")
def check_bbdm_variance(answer):
    from rdbm_core.bridge import bridges

    for T, m_min, m_max, max_var in BBDM_CASES:
        schedule = bridges.bbdm(T=T, m_min=m_min, m_max=m_max, max_var=max_var).schedule
        t = schedule.times()
        got, failure = call_student(answer, schedule, t, name="bbdm_variance(schedule, t)")
        if failure is not None:
            return failure
        expected = bbdm_own_variance(T, m_min, m_max, max_var)
        case = f"BBDM with T = {T}, max_var = {max_var}"
        got_t = torch.as_tensor(got, dtype=torch.float64) if isinstance(got, torch.Tensor) else None
        if got_t is not None and got_t.shape == expected.shape and torch.allclose(got_t, schedule.clock(t)):
            return wrong(f"for {case} your values are the clock G_t itself.",
                         "G_t is the variance of free Brownian motion; BBDM's bridge is pinned at m = 1.")
        if got_t is not None and got_t.shape == expected.shape and torch.allclose(got_t * max_var, expected) \
                and max_var != 1.0:
            return wrong(f"right for max_var = 1, but for {case} it is off by the factor max_var.",
                         "recover max_var from the schedule too: where does the clock end?")
        result = tensor_answer(got, expected, what=f"the variance of {case}", rtol=1e-9, atol=1e-12,
                               index_name="position in schedule.times()",
                               hint="on this schedule the clock is G_t = 2 max_var m_t: m_t is the clock divided "
                                    "by its end value schedule.u_T (not t/T), and max_var follows from u_T.")
        if not result.ok:
            return result
    return correct("your variance equals BBDM's 2 s (m_t - m_t^2) on both grids, computed from the family's clock "
                   "alone.")


# ----------------------------------------------------------------------------- 03.3 predict: IR-SDE as a limit

#: the candidate limits of the (global-noise) OU bridge
LIMITS = {
    "a": "theta -> 0 with 2 lam theta fixed (the Brownian / VE limit)",
    "b": "lam -> 0 (no noise)",
    "c": "thbar_T -> infinity (the terminal time moved ever further away on the clock)",
}
#: terminal clock values of the bridges that approach the limit of option "c"
FAR_ENDS = (7.5, 10.0, 15.0, 20.0)


def gaps_to_irsde(choice: str) -> list[tuple[float, float]]:
    """Largest gaps ``(|Theta - Theta_IRSDE|, |Sigma - Sigma_IRSDE|)`` on IR-SDE's grid between IR-SDE and the
    bridge(s) that realise ``choice``: one bridge for "a" and "b", one per terminal clock of :data:`FAR_ENDS`
    for "c"."""
    from rdbm_core.bridge.path import ResidualPath
    from rdbm_core.bridge import bridges, schedules

    irsde = bridges.irsde()
    t = irsde.schedule.times()
    theta_ref, _, sigma_ref = irsde.coefficients(t)
    on_its_grid = ResidualPath(irsde.schedule, irsde.lam, noise="global", name="bridge on IR-SDE's grid")
    if choice == "a":
        candidates = [replace(on_its_grid, kind="brownian")]
    elif choice == "b":
        candidates = [replace(on_its_grid, lam=0.0)]
    else:  # the same clock values, with the pinned end placed further and further away
        candidates = [ResidualPath(schedules.from_table(irsde.schedule.table, clean_on_grid=True, terminal=end),
                                   irsde.lam, noise="global") for end in FAR_ENDS]
    gaps = []
    for path in candidates:
        theta, _, sigma = path.coefficients(t)
        gaps.append((float((theta - theta_ref).abs().max()), float((sigma - sigma_ref).abs().max())))
    return gaps


@exercise("03.3", "which limit of the family is IR-SDE", "predict")
def check_irsde_limit(answer):
    choice = letter_answer(answer, LIMITS)
    if not isinstance(choice, str):
        return choice
    if choice == "c":
        trend = ", ".join(f"{g:.1e} at thbar_T = {end:g}" for (g, _), end in zip(gaps_to_irsde("c"), FAR_ENDS))
        return correct("moving the pinned end away switches the pinning off: the bridge's pull coth(thbar_{t:T}) "
                       f"tends to 1, the free OU drift. The largest gap in Theta on IR-SDE's grid is {trend} "
                       "(it decays like e^{-2 thbar_{t:T}}).")
    g_theta, g_sigma = gaps_to_irsde(choice)[0]
    return wrong(f"with that limit the bridge stays away from IR-SDE on IR-SDE's own grid: the largest gap is "
                 f"{g_theta:.3g} in Theta and {g_sigma:.3g} in Sigma.",
                 "IR-SDE is mean-reverting but never forced to reach mu: its Theta is the free OU factor e^{-thbar_t} "
                 "and its variance levels off. Which parameter decides how hard the bridge is pulled into mu at "
                 "its end?")
