"""Helpers of notebook 01 (the OU process and Doob's h-transform): a reference simulation and its checking machinery.

The notebook shows its own Euler-Maruyama loop, the calls, the displays and the figures. Here live the same
simulation written with the library's drift (:func:`simulate_paths`, against which appendix B checks the notebook's
loop), the scheme's exact moments with the library's closed form (against which appendix B measures the simulation's
Monte Carlo noise and the step's bias), the comparison of a grid with a continuous schedule, Itô's rules for
differentials and their formatter, and two display-and-assert helpers, so that its main line stays short. Paths
(:class:`rdbm_core.bridge.path.ResidualPath`) are built inside these functions: the notebook keeps no path object
among its names, since its exercise 01.3 may not use a path's coefficient methods.

Every simulation is written per unit of the clock ``u = thbar_t`` (``docs/theory.md`` §1): one Euler-Maruyama step
of clock length ``Delta u`` maps ``x`` to ``x + f(x) Delta u + sqrt(2 lam Delta u) pi z``, with ``f`` the drift per
unit clock (``mu - x`` for the free process, ``coth(thbar_{t:T}) (mu - x)`` for the bridge) and ``z`` a standard
normal number.
"""
from __future__ import annotations

import sympy as sp
import torch

from derivations.common import zero
from rdbm_course.mathshow import latex, show

__all__ = ["simulate_paths", "scheme_moments", "step_gaps", "grid_gap_to_continuous", "ito", "differentials_tex",
           "difference", "gaussian_log_rate"]

DT = torch.float64


def _path(schedule, lam: float, pinned: bool):
    from rdbm_core.bridge.path import ResidualPath  # noqa: PLC0415  (no path object in the notebook's names)

    return ResidualPath(schedule, lam, noise="modulated", pinned=pinned)


def simulate_paths(schedule, lam: float, x0: torch.Tensor, mu: torch.Tensor, n_paths: int, n_steps: int,
                   pinned: bool, generator: torch.Generator) -> torch.Tensor:
    """Euler-Maruyama paths of the free OU process (``pinned=False``) or of the bridge (``pinned=True``) on the
    continuous ``schedule``, from ``x0`` (one value per pixel) with the degraded image ``mu``, on ``n_steps`` equal
    steps in ``t`` over ``[0, T]``, per unit clock (the module's docstring). Every step of a continuous schedule with
    constant ``theta`` has the same clock length ``Delta u = thbar_T / n_steps``. The drift is
    ``ResidualPath.bridge_drift`` at the start of each step (so a bridge's is never evaluated at ``T``); with the same
    generator this reproduces the notebook's own loop of section 0 to rounding.

    Returns the states, float64, shaped ``[n_steps + 1, n_paths, pixels]`` (time, path, pixel)."""
    process = _path(schedule, lam, pinned)  # bridge_drift with pinned=False is the free drift mu - x
    ts = torch.linspace(0, schedule.T, n_steps + 1, dtype=DT)
    xcur, mus = x0.to(DT).repeat(n_paths, 1), mu.to(DT).repeat(n_paths, 1)
    noise_factor = process.noise_factor(x0.to(DT), mu.to(DT))  # pi, pixel by pixel
    traj = [xcur]
    for t0, t1 in zip(ts[:-1], ts[1:]):
        step_u = float(schedule.clock(t1) - schedule.clock(t0))  # Delta u
        z = torch.randn(xcur.shape, generator=generator, dtype=DT)
        xcur = xcur + process.bridge_drift(xcur, mus, t0) * step_u + (2 * lam * step_u) ** 0.5 * noise_factor * z
        traj.append(xcur)
    return torch.stack(traj)


def scheme_moments(schedule, lam: float, steps: int):
    """The bridge coefficients at the times of an Euler-Maruyama grid of ``steps`` equal steps on ``[0, T]``: the
    library's closed form ``(Theta_t, Sigma_t)``, and the exact mean and standard deviation, per unit ``pi``, of the
    Euler-Maruyama scheme itself (no sampling).

    The scheme's step maps ``x - mu`` to ``a (x - mu)`` plus Gaussian noise of variance ``2 lam Delta u pi^2``, where
    ``a`` depends on the time only (the drift is affine in ``x`` and 0 at ``mu``); so the mean per unit ``pi`` is
    multiplied by ``a`` and the variance per unit ``pi^2`` becomes ``a^2 variance + 2 lam Delta u``.

    Returns ``(times, Theta, Sigma, Theta_em, Sigma_em)``, float64 tensors of length ``steps + 1``."""
    bridge = _path(schedule, lam, pinned=True)
    times = torch.linspace(0, schedule.T, steps + 1, dtype=DT)
    Theta, _, Sigma = bridge.coefficients(times)
    one, nil = torch.ones(1, dtype=DT), torch.zeros(1, dtype=DT)
    mean, var = [1.0], [0.0]  # x - mu per unit pi: 1 at the start, no variance
    for t0, t1 in zip(times[:-1], times[1:]):
        step_u = float(schedule.clock(t1) - schedule.clock(t0))
        a = float(1 + (bridge.bridge_drift(one, nil, t0) - bridge.bridge_drift(nil, nil, t0)) * step_u)  # the slope
        mean.append(a * mean[-1])
        var.append(a ** 2 * var[-1] + 2 * lam * step_u)
    return times, Theta, Sigma, torch.tensor(mean, dtype=DT), torch.tensor(var, dtype=DT).sqrt()


def step_gaps(schedule, lam: float, steps: int, interior: float = 0.9) -> dict:
    """The gaps between the scheme's exact moments and the closed form on a grid of ``steps`` steps
    (:func:`scheme_moments`): ``"Theta"``, the largest over every time; ``"Sigma"``, the largest over the times
    ``t <= interior``; ``"Sigma before T"``, the largest over every time before ``T``, and ``"worst"``, the step
    index where that one is reached."""
    times, Theta, Sigma, Theta_em, Sigma_em = scheme_moments(schedule, lam, steps)
    sigma_gap = (Sigma_em - Sigma).abs()
    inside = times <= interior + 1e-9
    return {"Theta": float((Theta_em - Theta).abs().max()), "Sigma": float(sigma_gap[inside].max()),
            "Sigma before T": float(sigma_gap[:-1].max()), "worst": int(sigma_gap[:-1].argmax())}


def grid_gap_to_continuous(grid, lam: float) -> float:
    """The largest difference between the bridge coefficients ``(Theta, Sigma)`` of the discrete ``grid`` at its
    integer times and those of the continuous schedule ``theta = thbar_T`` on ``[0, 1]``, evaluated at the times
    where its clock equals the grid's. It is 0 (to rounding) when the coefficients depend on the clock alone."""
    from rdbm_core.bridge import schedules  # noqa: PLC0415

    same_clock = schedules.continuous_constant(grid.u_T, 1.0)  # clock thbar_T * s at the time s
    times = grid.times()
    on_grid = _path(grid, lam, pinned=True).coefficients(times)
    continuous = _path(same_clock, lam, pinned=True).coefficients(grid.clock(times) / grid.u_T)
    return max(float((on_grid[k] - continuous[k]).abs().max()) for k in (0, 2))


def ito(expr, step, noise):
    """``expr``, a polynomial in the differentials ``step`` (``dt`` or ``du``) and ``noise`` (its Brownian increment),
    with Itô's rules applied: ``noise^2`` is ``step``; ``step^2``, ``step * noise`` and every product of higher total
    degree are 0."""
    kept = 0
    for (i, j), coefficient in sp.Poly(sp.expand(expr), step, noise).terms():
        if (i, j) == (0, 2):
            kept += coefficient * step
        elif i + j <= 1:
            kept += coefficient * step ** i * noise ** j
    return kept


def differentials_tex(expr, *differentials) -> str:
    """The LaTeX of ``expr``, a polynomial in the symbols ``differentials`` (such as ``dt`` and ``dw``), as a sum of
    terms (factored coefficient) times (monomial) with the differentials written last: ``g_t^2\\,dt``, where SymPy
    would print ``dt g_t^2``. Higher total degrees come first (``dt^2``, ``dt\\,dw``, ``dw^2``, then ``dt``, ``dw``);
    an expression with no term is ``0``."""
    def term_tex(powers, coefficient):
        monomial = r"\,".join(latex(d) + (f"^{p}" if p > 1 else "") for d, p in zip(differentials, powers) if p)
        coefficient = sp.factor(coefficient)
        if not monomial:
            return latex(coefficient)
        if coefficient in (1, -1):
            return ("-" if coefficient == -1 else "") + monomial
        text = latex(coefficient)
        return (rf"\left({text}\right)" if isinstance(coefficient, sp.Add) else text) + r"\," + monomial

    terms = sorted(sp.Poly(sp.expand(expr), *differentials).terms(), key=lambda term: [-p for p in term[0]])
    terms.sort(key=lambda term: -sum(term[0]))  # stable: within one total degree, dt^2 before dt dw before dw^2
    texts = [term_tex(powers, coefficient) for powers, coefficient in terms if coefficient != 0]
    if not texts:
        return "0"
    return texts[0] + "".join(" - " + text[1:].lstrip() if text.startswith("-") else " + " + text for text in texts[1:])


def difference(lhs: str, left, right, gens: dict | None = None) -> None:
    """Display ``lhs = left - (right) = 0``, each side as SymPy writes it, and assert that the difference is 0
    (exactly: as one fraction in the exponentials ``gens``, ``derivations.common.zero``)."""
    show(lhs, latex(left) + r" - \Big(" + latex(right) + r"\Big)", 0)
    assert zero(left - right, gens) == 0, f"{lhs} is not 0"


def gaussian_log_rate(lhs: str, log_density, point, point_tex: str, mean, var, s, lag_tex: str,
                      gens: dict | None = None) -> None:
    """Display the derivative in ``s`` of a Gaussian log-density
    ``log_density = -(point - k)^2 / (2 v) - log(v) / 2`` (``k = mean``, ``v = var``, both functions of ``s``) as

        ``-d_s v / (2 v) + (point - k) d_s k / v + d_s v (point - k)^2 / (2 v^2)``,

    with ``k`` and ``v`` written ``k_{lag}``, ``v_{lag}`` (``lag_tex``) and their derivatives in ``s`` written out,
    and assert that ``log_density`` has that form and that the form is its derivative."""
    k, v, dk, dv = sp.symbols("k v dk dv")
    form = -dv / (2 * v) + (point - k) * dk / v + dv * (point - k) ** 2 / (2 * v ** 2)
    values = {k: mean, v: var, dk: sp.diff(mean, s), dv: sp.diff(var, s)}
    assert zero(log_density - (-(point - mean) ** 2 / (2 * var) - sp.log(var) / 2)) == 0
    assert zero(form.subs(values) - sp.diff(log_density, s), gens) == 0, f"{lhs}: the form is not the derivative"
    kk, vv, ds = f"k_{{{lag_tex}}}", f"v_{{{lag_tex}}}", rf"\partial_{{{latex(s)}}}"
    show(lhs, rf"-\frac{{{ds} {vv}}}{{2\,{vv}}} + \frac{{({point_tex} - {kk})\,{ds} {kk}}}{{{vv}}}"
              rf" + \frac{{{ds} {vv}\,({point_tex} - {kk})^2}}{{2\,{vv}^2}},\quad {ds} {kk} = "
              + latex(values[dk]) + rf",\quad {ds} {vv} = " + latex(values[dv]))
